//! Zero heap allocations in steady state (perf/targets.md target 4): decoding a SEND, a
//! 200 and a REPORT fed in pieces through a fixed receive buffer, reading their typed
//! headers, and writing the 200, the REPORT and the SEND (typed and raw) allocates
//! nothing after one warm-up round.
//!
//! The counting allocator is global to this test binary (its own binary: the other tests
//! allocate freely), with a thread-local counter so that parallel tests and the test
//! harness's own threads do not disturb the measurement.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use msrp_proto::uri::UriRef;
use msrp_proto::wire::encode::{HeadWriter, write_end_line, write_report, write_response};
use msrp_proto::wire::headers::{Status, StatusCode};
use msrp_proto::wire::{Decoder, Event, Method};

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

fn count() {
    // `try_with`: the allocator also runs while thread-locals are being torn down.
    let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
}

fn allocations() -> u64 {
    ALLOCATIONS.with(Cell::get)
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged; the
// counter update neither allocates nor touches the memory being managed.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: forwarded contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: forwarded contract.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        // SAFETY: forwarded contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded contract.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const SEND: &[u8] = b"MSRP a786hjs2 SEND\r\n\
To-Path: msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp\r\n\
From-Path: msrp://atlanta.example.com:7654/jshA7weztas;tcp\r\n\
Message-ID: 87652491\r\n\
Byte-Range: 1-23/23\r\n\
Success-Report: yes\r\n\
Content-Type: text/plain\r\n\
\r\n\
Hey Bob, are you there?\r\n\
-------a786hjs2$\r\n";

const OK: &[u8] = b"MSRP a786hjs2 200 OK\r\n\
To-Path: msrp://atlanta.example.com:7654/jshA7weztas;tcp\r\n\
From-Path: msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp\r\n\
-------a786hjs2$\r\n";

const REPORT: &[u8] = b"MSRP dkei38sd REPORT\r\n\
To-Path: msrp://atlanta.example.com:7654/jshA7weztas;tcp\r\n\
From-Path: msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp\r\n\
Message-ID: 87652491\r\n\
Byte-Range: 1-23/23\r\n\
Status: 000 200 OK\r\n\
-------dkei38sd$\r\n";

const BOB: &str = "msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp";

/// What one round produced, for the assertions (plain counters: no allocation).
#[derive(Debug, Default, PartialEq, Eq)]
struct Seen {
    heads: u32,
    body_bytes: usize,
    ends: u32,
    statuses: u32,
    paths: u32,
}

/// One steady-state round: the three messages arrive in 29-byte reads through a fixed
/// receive buffer; each head is inspected and answered; everything written goes to `out`.
fn round(decoder: &mut Decoder, rx: &mut [u8; 512], out: &mut Vec<u8>) -> Seen {
    let own = UriRef::parse(BOB).expect("valid URI");
    let mut seen = Seen::default();
    for wire in [SEND, OK, REPORT] {
        let mut used = 0;
        let mut tid_buf = [0u8; 64];
        let mut tid_len = 0;
        let mut has_body = false;
        for piece in wire.chunks(29) {
            rx[used..used + piece.len()].copy_from_slice(piece);
            used += piece.len();
            let mut start = 0;
            loop {
                let (consumed, event) = decoder.decode(&rx[start..used]).expect("valid");
                match event {
                    Event::Head(head) => {
                        seen.heads += 1;
                        let tid = head.transaction_id();
                        tid_buf[..tid.len()].copy_from_slice(tid.as_bytes());
                        tid_len = tid.len();
                        has_body = head.has_body();
                        seen.paths += head.to_path().into_iter().flatten().count() as u32;
                        seen.paths += head.from_path().into_iter().flatten().count() as u32;
                        out.extend_from_slice(head.as_bytes());
                        match head.method() {
                            Some(Method::Send) => {
                                // Answer it, report it, and re-encode it typed.
                                assert!(write_response(out, &head, StatusCode::OK, None, own));
                                let range = head.byte_range().expect("Byte-Range");
                                let id = head.message_id().expect("Message-ID");
                                let _ = head.content_type().expect("Content-Type");
                                write_report(
                                    out,
                                    "dkei38sd",
                                    head.from_path().expect("From-Path").flatten(),
                                    own,
                                    id,
                                    Some(range),
                                    &Status::msrp(StatusCode::OK),
                                );
                                let mut w = HeadWriter::request(
                                    out,
                                    "a786hjs2",
                                    Method::Send,
                                    head.to_path().expect("To-Path").flatten(),
                                    head.from_path().expect("From-Path").flatten(),
                                );
                                w.message_id(id).byte_range(range);
                                w.success_report(head.success_report());
                                w.finish_with_body("text/plain");
                            }
                            Some(Method::Report) => {
                                let status = head.report_status().expect("Status");
                                assert_eq!(status.code, StatusCode::OK);
                                seen.statuses += 1;
                            }
                            None => {
                                assert_eq!(head.status(), Some(StatusCode::OK));
                                seen.statuses += 1;
                            }
                            Some(other) => panic!("unexpected {other:?}"),
                        }
                    }
                    Event::Body(bytes) => {
                        seen.body_bytes += bytes.len();
                        out.extend_from_slice(bytes);
                    }
                    Event::End(flag) => {
                        seen.ends += 1;
                        let tid = std::str::from_utf8(&tid_buf[..tid_len]).expect("ASCII");
                        write_end_line(out, tid, flag, has_body);
                    }
                    Event::NeedMore => break,
                    _ => unreachable!("no other events"),
                }
                start += consumed;
            }
            // Keep the unconsumed bytes at the front of the fixed buffer.
            rx.copy_within(start..used, 0);
            used -= start;
        }
        assert_eq!(used, 0, "every byte consumed");
        assert!(decoder.is_idle());
    }
    seen
}

#[test]
fn target_4_zero_allocations_to_parse_and_write_send_200_report() {
    let mut decoder = Decoder::default();
    let mut rx = [0u8; 512];
    let mut out = Vec::new();

    // Warm-up: lets `out` grow to its steady-state capacity.
    let warm = round(&mut decoder, &mut rx, &mut out);
    let expected_len = out.len();
    assert_eq!(
        warm,
        Seen {
            heads: 3,
            body_bytes: 23,
            ends: 3,
            statuses: 2,
            paths: 6,
        }
    );
    // The raw re-serialization of the three messages is in there, byte for byte, and the
    // 200 the SEND was answered with equals the 200 received.
    assert!(out.starts_with(&SEND[..SEND.len() - 43]));
    assert!(out.windows(OK.len()).filter(|w| *w == OK).count() >= 2);
    assert!(out.windows(REPORT.len()).any(|w| w == REPORT));

    for _ in 0..3 {
        out.clear();
        let before = allocations();
        let seen = round(&mut decoder, &mut rx, &mut out);
        let after = allocations();
        assert_eq!(seen, warm);
        assert_eq!(out.len(), expected_len);
        assert_eq!(after - before, 0, "heap allocations in steady state");
    }
}

#[test]
fn the_counter_counts() {
    // Guards the test above against passing vacuously.
    let before = allocations();
    let v: Vec<u8> = std::hint::black_box(Vec::with_capacity(16));
    let after = allocations();
    drop(v);
    assert_eq!(after - before, 1);
}
