//! Perf target 4: steady-state SEND → 200 → REPORT exchanges between two endpoints make
//! zero heap allocations per message after warm-up. A counting global allocator with
//! thread-local counters (so parallel tests do not disturb each other) counts only inside
//! the measured section; the driver loop itself is written without allocating.
//!
//! Set `MSRP_ALLOC_TRACE=1` to print a backtrace of the first allocation in a measured
//! section.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use msrp_proto::engine::{Config, ConnectionId, Endpoint, Event, OutgoingMessage, SessionId};
use msrp_proto::uri::Uri;
use msrp_proto::wire::MessageId;
use msrp_proto::wire::headers::{FailureReport, SuccessReport};

struct Counting;

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
    static TRACE: Cell<bool> = const { Cell::new(false) };
    static IN_TRACE: Cell<bool> = const { Cell::new(false) };
}

fn note_alloc() {
    // `try_with`: the allocator runs during thread teardown too.
    let counting = COUNTING.try_with(Cell::get).unwrap_or(false);
    if !counting {
        return;
    }
    let _ = ALLOCS.try_with(|a| a.set(a.get() + 1));
    if TRACE.try_with(Cell::get).unwrap_or(false) && !IN_TRACE.with(Cell::get) {
        IN_TRACE.with(|t| t.set(true));
        TRACE.with(|t| t.set(false));
        eprintln!(
            "first allocation in the measured section:\n{}",
            std::backtrace::Backtrace::force_capture()
        );
        IN_TRACE.with(|t| t.set(false));
    }
}

// SAFETY: every call is forwarded unchanged to the system allocator; the counters are
// thread-local `Cell`s with const initialisers (no allocation, no destructor).
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note_alloc();
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note_alloc();
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note_alloc();
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Runs `f` and returns how many allocations it made on this thread.
fn count<R>(f: impl FnOnce() -> R) -> (u64, R) {
    let trace = std::env::var_os("MSRP_ALLOC_TRACE").is_some();
    ALLOCS.with(|a| a.set(0));
    TRACE.with(|t| t.set(trace));
    COUNTING.with(|c| c.set(true));
    let r = f();
    COUNTING.with(|c| c.set(false));
    TRACE.with(|t| t.set(false));
    (ALLOCS.with(Cell::get), r)
}

const ALICE: &str = "msrp://alicepc.example.com:7777/iau39soe2843z;tcp";
const BOB: &str = "msrp://bob.example.com:8888/9di4eae923wzd;tcp";

/// The canonical 66-byte text body of perf/targets.md.
static SHORT: &[u8] = b"Hi Bob, this is the canonical sixty-six byte message body. Bye!!\r\n";

struct Pair {
    now: Instant,
    a: Endpoint,
    b: Endpoint,
    ca: ConnectionId,
    cb: ConnectionId,
    sa: SessionId,
    sb: SessionId,
    /// Outcome counters (no allocation: plain integers).
    delivered: u64,
    sent: u64,
    received: u64,
    body_bytes: u64,
    failed: u64,
    /// A pulled body in progress at Alice: (id, bytes still to give).
    pull: Option<(MessageId, usize)>,
    /// What each piece of a pulled body is cut from.
    pull_src: &'static [u8],
    /// Bob takes received bodies as views (`take_received`) instead of reading them in
    /// place; `held` keeps the last few alive, as an application still busy with them.
    take_views: bool,
    held: std::collections::VecDeque<Bytes>,
    hold: usize,
}

#[allow(clippy::disallowed_methods)] // reason: an arbitrary origin for the virtual clock
fn origin() -> Instant {
    Instant::now()
}

impl Pair {
    fn new(cfg: Config) -> Self {
        let now = origin();
        let cfg = Arc::new(cfg);
        let mut a = Endpoint::new(cfg.clone());
        let mut b = Endpoint::new(cfg);
        let ca = a.add_connection();
        let cb = b.add_connection();
        let sb = b
            .add_session(
                Uri::parse(BOB).unwrap(),
                vec![Uri::parse(ALICE).unwrap()],
                None,
                now,
            )
            .unwrap();
        let sa = a
            .add_session(
                Uri::parse(ALICE).unwrap(),
                vec![Uri::parse(BOB).unwrap()],
                Some(ca),
                now,
            )
            .unwrap();
        let mut p = Self {
            now,
            a,
            b,
            ca,
            cb,
            sa,
            sb,
            delivered: 0,
            sent: 0,
            received: 0,
            body_bytes: 0,
            failed: 0,
            pull: None,
            pull_src: SHORT,
            take_views: false,
            held: std::collections::VecDeque::new(),
            hold: 0,
        };
        p.drive();
        p
    }

    /// Moves every byte both ways and drains every event, until nothing moves.
    /// `max_piece` splits writes (a fixed pattern, no RNG state needed).
    fn drive_split(&mut self, max_piece: usize) {
        let mut round = 0usize;
        loop {
            let mut moved = false;
            moved |= self.drain();
            for dir in 0..2 {
                let (from, to, cf, ct) = if dir == 0 {
                    (&mut self.a, &mut self.b, self.ca, self.cb)
                } else {
                    (&mut self.b, &mut self.a, self.cb, self.ca)
                };
                let Some(out) = from.poll_transmit(cf) else {
                    continue;
                };
                round += 1;
                let want = out.len().min(1 + (round * 7919) % max_piece);
                let n = to.handle_input(ct, self.now, &out[..want]).unwrap();
                if n > 0 {
                    from.transmit_done(cf, self.now, n).unwrap();
                    moved = true;
                }
            }
            moved |= self.drain();
            if !moved {
                return;
            }
        }
    }

    fn drive(&mut self) {
        self.drive_split(usize::MAX / 2);
    }

    fn drain(&mut self) -> bool {
        let mut any = false;
        while let Some(ev) = self.a.poll_event() {
            any = true;
            match ev {
                Event::MessageDelivered { .. } => self.delivered += 1,
                Event::MessageSent { .. } => self.sent += 1,
                Event::MessageFailed { .. } | Event::SessionFailed { .. } => self.failed += 1,
                Event::BodyWanted { message, max, .. } => {
                    if let Some((id, left)) = self.pull.as_mut()
                        && *id == message
                    {
                        if *left == 0 {
                            self.a.end_body(message).unwrap();
                            self.pull = None;
                        } else {
                            let n = (*left).min(max).min(self.pull_src.len());
                            let took = self.a.write_body(message, &self.pull_src[..n]).unwrap();
                            *left -= took;
                        }
                    }
                }
                _ => {}
            }
        }
        while let Some(ev) = self.b.poll_event() {
            any = true;
            match ev {
                Event::Data { body, .. } if self.take_views => {
                    let view = self.b.take_received(body).expect("fresh body ref");
                    assert_eq!(view.len(), body.len());
                    self.body_bytes += view.len() as u64;
                    if self.hold > 0 {
                        if self.held.len() == self.hold {
                            self.held.pop_front();
                        }
                        self.held.push_back(view);
                    }
                }
                Event::Data { body, .. } => {
                    let bytes = self.b.received_body(body).expect("fresh body ref");
                    self.body_bytes += bytes.len() as u64;
                }
                Event::MessageReceived {
                    bodiless: false, ..
                } => self.received += 1,
                Event::MessageAborted { .. } | Event::SessionFailed { .. } => self.failed += 1,
                _ => {}
            }
        }
        any
    }

    fn send_whole(&mut self, body: &Bytes, sr: SuccessReport, fr: FailureReport) {
        self.a
            .send_message(
                self.sa,
                OutgoingMessage::whole("text/plain", body.clone())
                    .success_report(sr)
                    .failure_report(fr),
            )
            .unwrap();
    }
}

fn cfg(seed: u64) -> Config {
    let mut c = Config::default();
    c.rng_seed = Some(seed);
    c
}

/// Asserts that `rounds` iterations of `one` after `warm` warm-up iterations allocate
/// nothing, and returns the allocation count of the measured section (0).
fn assert_steady(p: &mut Pair, warm: usize, rounds: usize, mut one: impl FnMut(&mut Pair)) {
    for _ in 0..warm {
        one(p);
    }
    let (allocs, ()) = count(|| {
        for _ in 0..rounds {
            one(p);
        }
    });
    assert_eq!(
        p.failed, 0,
        "no failures expected (delivered {})",
        p.delivered
    );
    println!("allocations over {rounds} messages after {warm} warm-up: {allocs}");
    assert_eq!(
        allocs, 0,
        "{allocs} allocations in {rounds} steady-state messages"
    );
}

#[test]
fn perf4_send_200_report_allocates_nothing_in_steady_state() {
    // The counter works: one Vec, one allocation.
    let (n, v) = count(|| Vec::<u8>::with_capacity(8));
    assert_eq!((n, v.capacity() >= 8), (1, true));
    let mut p = Pair::new(cfg(1));
    let body = Bytes::from_static(SHORT);
    assert_steady(&mut p, 50, 2000, |p| {
        p.send_whole(&body, SuccessReport::Yes, FailureReport::Yes);
        p.drive();
    });
    assert_eq!(p.delivered, 2050);
    assert_eq!(p.received, 2050);
    assert_eq!(p.body_bytes, 2050 * SHORT.len() as u64);
}

#[test]
fn perf4_pipelined_messages_with_split_reads_allocate_nothing() {
    // Several messages in flight at once, each byte stream cut into odd pieces, every
    // reporting mode: still nothing allocated per message.
    let mut p = Pair::new(cfg(2));
    let body = Bytes::from_static(SHORT);
    let modes = [
        (SuccessReport::Yes, FailureReport::Yes),
        (SuccessReport::No, FailureReport::Yes),
        (SuccessReport::No, FailureReport::Partial),
        (SuccessReport::Yes, FailureReport::No),
        (SuccessReport::No, FailureReport::No),
    ];
    assert_steady(&mut p, 20, 400, |p| {
        for (sr, fr) in modes {
            p.send_whole(&body, sr, fr);
        }
        p.drive_split(37);
    });
    assert_eq!(p.received, 420 * 5);
    assert_eq!(p.delivered + p.sent, 420 * 5);
}

#[test]
fn perf4_chunked_and_pulled_messages_allocate_nothing() {
    // A 200 KiB message cut into 16 KiB chunks with a REPORT at the end, and a pulled
    // body streamed through the staging buffer.
    let mut c = cfg(3);
    c.chunk_size = 16 * 1024;
    let mut p = Pair::new(c);
    let big = Bytes::from(vec![b'x'; 200 * 1024]);
    assert_steady(&mut p, 5, 50, |p| {
        p.send_whole(&big, SuccessReport::Yes, FailureReport::Yes);
        let id =
            p.a.send_message(p.sa, OutgoingMessage::pulled("text/plain", None))
                .unwrap();
        p.pull = Some((id, 10 * SHORT.len()));
        p.drive_split(5000);
    });
    assert_eq!(p.received, 110);
    assert_eq!(p.delivered, 110);
}

static BIG: [u8; 96 * 1024] = [b'y'; 96 * 1024];

#[test]
fn perf4_pulled_pieces_written_in_place_allocate_nothing() {
    // Pieces large enough to be written from their buffer in place (a splice per piece),
    // written in split writes: neither splicing nor the pinned double buffer allocates.
    let mut c = cfg(4);
    c.chunk_size = 64 * 1024;
    c.send_buffer = 64 * 1024;
    let mut p = Pair::new(c);
    p.pull_src = &BIG;
    assert_steady(&mut p, 3, 20, |p| {
        let id =
            p.a.send_message(
                p.sa,
                OutgoingMessage::pulled("application/octet-stream", None),
            )
            .unwrap();
        p.pull = Some((id, 300 * 1024));
        p.drive_split(50_000);
    });
    assert_eq!(p.received, 23);
    assert_eq!(p.body_bytes, 23 * 300 * 1024);
}

#[test]
fn perf4_bodies_taken_as_views_allocate_nothing() {
    // Bob takes each body as a view of his input buffer and keeps the last three alive
    // for a while (an application still busy with them): the engine reads on into other
    // buffers and reuses each once its views are gone, so the stream allocates nothing.
    let mut c = cfg(5);
    c.chunk_size = 16 * 1024;
    c.recv_buffer = 32 * 1024;
    let mut p = Pair::new(c);
    p.take_views = true;
    p.hold = 3;
    let big = Bytes::from(vec![b'v'; 100 * 1024]);
    assert_steady(&mut p, 5, 50, |p| {
        p.send_whole(&big, SuccessReport::Yes, FailureReport::Yes);
        p.drive_split(20_000);
    });
    assert_eq!(p.received, 55);
    assert_eq!(p.body_bytes, 55 * 100 * 1024);
    assert!(p.held.iter().all(|v| v.iter().all(|&b| b == b'v')));
}

#[test]
fn perf4_timers_allocate_nothing() {
    // poll_timeout / handle_timeout on a busy endpoint (time moves, nothing expires).
    let mut p = Pair::new(cfg(4));
    let body = Bytes::from_static(SHORT);
    assert_steady(&mut p, 10, 500, |p| {
        p.send_whole(&body, SuccessReport::No, FailureReport::Yes);
        let _ = p.a.poll_timeout();
        p.now += Duration::from_millis(10);
        p.a.handle_timeout(p.now);
        p.b.handle_timeout(p.now);
        p.drive();
    });
    let _ = p.sb;
}

/// A hostile peer: `n` one-byte `+` chunks of one never-finished message, generated into
/// a stack buffer (no allocation), each at offset `offset(i)`. Returns how many 200s and
/// 413s came back and how many Data events were seen.
fn tiny_chunk_flood(
    ep: &mut Endpoint,
    conn: ConnectionId,
    now: Instant,
    range: std::ops::Range<u64>,
    offset: impl Fn(u64) -> u64,
) -> (u64, u64, u64) {
    use std::io::Write;
    let (mut ok, mut too_large, mut data) = (0, 0, 0);
    let mut buf = [0u8; 512];
    for i in range {
        let tid = 10_000_000 + i; // 8 digits: a valid, unique transaction id
        let at = offset(i) + 1;
        let len = {
            let mut w = &mut buf[..];
            write!(
                w,
                "MSRP t{tid} SEND\r\nTo-Path: {BOB}\r\nFrom-Path: {ALICE}\r\n\
                 Message-ID: tinyflood\r\nByte-Range: {at}-{at}/*\r\n\
                 Content-Type: text/plain\r\n\r\nx\r\n-------t{tid}+\r\n"
            )
            .unwrap();
            512 - w.len()
        };
        let mut fed = 0;
        while fed < len {
            fed += ep.handle_input(conn, now, &buf[fed..len]).unwrap();
            while let Some(ev) = ep.poll_event() {
                if let Event::Data { body, .. } = ev {
                    assert_eq!(ep.received_body(body), Some(&b"x"[..]));
                    data += 1;
                }
            }
            while let Some(out) = ep.poll_transmit(conn) {
                let n = out.len();
                ok += out.windows(7).filter(|w| w == b" 200 OK").count() as u64;
                too_large += out.windows(5).filter(|w| w == b" 413 ").count() as u64;
                ep.transmit_done(conn, now, n).unwrap();
            }
        }
    }
    (ok, too_large, data)
}

#[test]
fn p35_hostile_200k_tiny_chunks_use_bounded_memory() {
    // 200 000 one-byte chunks (the "millions of tiny chunks", CI-sized): after
    // warm-up nothing is allocated at all, so engine memory cannot grow with the flood;
    // every chunk is answered. Then a flood of holes: beyond max_ranges disjoint ranges
    // the message is refused with 413, still without allocating.
    let now = origin();
    let mut ep = Endpoint::new(Arc::new(cfg(9)));
    let conn = ep.add_connection();
    ep.add_session(
        Uri::parse(BOB).unwrap(),
        vec![Uri::parse(ALICE).unwrap()],
        None,
        now,
    )
    .unwrap();
    let (ok, _, _) = tiny_chunk_flood(&mut ep, conn, now, 0..1000, |i| i);
    assert_eq!(ok, 1000);
    const N: u64 = 200_000;
    let (allocs, (ok, too_large, data)) =
        count(|| tiny_chunk_flood(&mut ep, conn, now, 1000..1000 + N, |i| i));
    println!("allocations over {N} tiny chunks: {allocs}");
    assert_eq!((ok, too_large, data), (N, 0, N));
    assert_eq!(allocs, 0);
    // Every other byte: each chunk opens a new hole.
    let max_ranges = Config::default().limits.max_ranges as u64;
    let (allocs, (ok, too_large, _)) =
        count(|| tiny_chunk_flood(&mut ep, conn, now, 300_000..320_000, |i| 2 * i));
    println!("allocations over 20000 hole-making chunks: {allocs} ({too_large} got 413)");
    assert_eq!(allocs, 0);
    assert_eq!(ok + too_large, 20_000);
    // Each refusal forgets the message; the next chunk starts a fresh one with one range.
    assert!(too_large >= 20_000 / (max_ranges + 1), "{ok} {too_large}");
}
