//! A deterministic two-endpoint simulation: an in-memory network with a virtual clock,
//! random read splits, several connections per endpoint and (optionally) random
//! per-piece delays that keep order within a connection but reorder across connections,
//! plus a raw peer for byte-level tests.
#![allow(dead_code, unreachable_pub)]

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use msrp_proto::engine::{
    Config, ConnectionId, Endpoint, Event, OutgoingMessage, Reassembly, SessionId,
};
use msrp_proto::rand::SeededRandom;
use msrp_proto::uri::Uri;
use msrp_proto::wire::MessageId;

pub const ALICE: &str = "msrp://alicepc.example.com:7777/iau39soe2843z;tcp";
pub const BOB: &str = "msrp://bob.example.com:8888/9di4eae923wzd;tcp";

pub fn uri(s: &str) -> Uri {
    Uri::parse(s).unwrap()
}

pub fn config(seed: u64) -> Config {
    let mut c = Config::default();
    c.rng_seed = Some(seed);
    c
}

/// One side of the simulation plus what the application did with its events.
pub struct Side {
    pub ep: Endpoint,
    pub events: Vec<Event>,
    pub bodies: HashMap<MessageId, Reassembly>,
    /// Pulled bodies: message → (content, bytes given so far).
    pub pulls: HashMap<MessageId, (Vec<u8>, usize)>,
    /// Every byte this side wrote, per connection.
    pub wrote: HashMap<ConnectionId, Vec<u8>>,
    /// Content-Type of each incoming message, from `MessageStarted`.
    pub content_types: HashMap<MessageId, String>,
    /// Messages seen complete (`MessageReceived`), kept even when `events` is cleared.
    pub completed: std::collections::HashSet<MessageId>,
}

impl Side {
    pub fn new(cfg: Config) -> Self {
        Self {
            ep: Endpoint::new(Arc::new(cfg)),
            events: Vec::new(),
            bodies: HashMap::new(),
            pulls: HashMap::new(),
            wrote: HashMap::new(),
            content_types: HashMap::new(),
            completed: std::collections::HashSet::new(),
        }
    }

    /// Drains events, feeding Data into reassembly and answering BodyWanted.
    pub fn drain_events(&mut self) -> bool {
        let mut any = false;
        while let Some(ev) = self.ep.poll_event() {
            any = true;
            match ev {
                Event::Data {
                    message,
                    offset,
                    body,
                    ..
                } => {
                    let bytes = self.ep.received_body(body).expect("valid body").to_vec();
                    self.bodies
                        .entry(message)
                        .or_insert_with(|| Reassembly::new(1 << 30, 64))
                        .write(offset, &bytes)
                        .unwrap();
                }
                Event::MessageStarted {
                    message,
                    content_type,
                    ..
                } => {
                    let ct = self.ep.received_body(content_type).expect("valid ref");
                    let ct = String::from_utf8_lossy(ct).into_owned();
                    // Once per message, unless the message completed and is being received
                    // again (a duplicate, R4975-036).
                    let again = self.completed.contains(&message);
                    assert!(
                        self.content_types.insert(message, ct).is_none() || again,
                        "MessageStarted twice for one message"
                    );
                }
                Event::MessageReceived { message, .. } => {
                    self.completed.insert(message);
                }
                Event::BodyWanted { message, max, .. } => {
                    if let Some((data, given)) = self.pulls.get_mut(&message) {
                        let n = (data.len() - *given).min(max);
                        // The message may have failed meanwhile: then these calls fail.
                        if n == 0 {
                            let _ = self.ep.end_body(message);
                        } else if let Ok(took) =
                            self.ep.write_body(message, &data[*given..*given + n])
                        {
                            *given += took;
                        }
                    }
                }
                _ => {}
            }
            self.events.push(ev);
        }
        any
    }

    pub fn send_pulled(
        &mut self,
        s: SessionId,
        ct: &'static str,
        data: Vec<u8>,
        known_total: bool,
    ) -> MessageId {
        let total = known_total.then_some(data.len() as u64);
        // Register the source before the first BodyWanted is drained.
        let id = self
            .ep
            .send_message(s, OutgoingMessage::pulled(ct, total))
            .unwrap();
        self.pulls.insert(id, (data, 0));
        id
    }
}

/// Pieces on the wire in one direction of one connection: (arrival, bytes).
pub type Wire = VecDeque<(Instant, Vec<u8>)>;

pub struct Sim {
    pub now: Instant,
    pub a: Side,
    pub b: Side,
    /// (connection at a, connection at b)
    pub links: Vec<(ConnectionId, ConnectionId)>,
    pub rng: SeededRandom,
    /// Largest piece moved per write/read (random 1..=max_split).
    pub max_split: usize,
    /// With `Some((min, max))`, each written piece reaches the other side after a random
    /// delay in `[min, max]` of virtual time. Order within a connection is kept (TCP);
    /// across connections pieces overtake each other.
    pub delay: Option<(Duration, Duration)>,
    /// Pieces on the wire per link: `[a → b, b → a]`, each (arrival, bytes).
    pub in_flight: Vec<[Wire; 2]>,
}

impl Sim {
    pub fn new(seed: u64, cfg_a: Config, cfg_b: Config) -> Self {
        Self {
            now: origin(),
            a: Side::new(cfg_a),
            b: Side::new(cfg_b),
            links: Vec::new(),
            rng: SeededRandom::new(seed),
            max_split: 4096,
            delay: None,
            in_flight: Vec::new(),
        }
    }

    pub fn connect(&mut self) -> usize {
        let ca = self.a.ep.add_connection();
        let cb = self.b.ep.add_connection();
        self.links.push((ca, cb));
        self.in_flight.push([VecDeque::new(), VecDeque::new()]);
        self.links.len() - 1
    }

    /// Alice (side a) active and Bob (side b) passive on `n` connections, one session
    /// pair per connection. Bob's sessions accept the first request on any connection
    /// (R4975-029/030), so with delays the bindings race each other.
    pub fn multi(
        seed: u64,
        cfg_a: Config,
        cfg_b: Config,
        n: usize,
        delay: Option<(Duration, Duration)>,
    ) -> (Self, Vec<(SessionId, SessionId)>) {
        let mut sim = Self::new(seed, cfg_a, cfg_b);
        sim.delay = delay;
        let now = sim.now;
        let mut pairs = Vec::new();
        for i in 0..n {
            let link = sim.connect();
            let alice = uri(&format!("msrp://alicepc.example.com:7777/alice{i:04}x;tcp"));
            let bob = uri(&format!("msrp://bob.example.com:8888/bob{i:04}xyz;tcp"));
            let sb = sim
                .b
                .ep
                .add_session(bob.clone(), vec![alice.clone()], None, now)
                .unwrap();
            let sa = sim
                .a
                .ep
                .add_session(alice, vec![bob], Some(sim.links[link].0), now)
                .unwrap();
            pairs.push((sa, sb));
        }
        sim.settle();
        (sim, pairs)
    }

    /// Alice (side a) active on link 0, Bob (side b) passive.
    pub fn pair(seed: u64, cfg_a: Config, cfg_b: Config) -> (Self, SessionId, SessionId) {
        let mut sim = Self::new(seed, cfg_a, cfg_b);
        sim.connect();
        let now = sim.now;
        let sb = sim
            .b
            .ep
            .add_session(uri(BOB), vec![uri(ALICE)], None, now)
            .unwrap();
        let sa = sim
            .a
            .ep
            .add_session(uri(ALICE), vec![uri(BOB)], Some(sim.links[0].0), now)
            .unwrap();
        sim.drive();
        (sim, sa, sb)
    }

    fn split(&mut self, n: usize) -> usize {
        let m = self.max_split.max(1) as u64;
        (1 + (self.rng.next_u64() % m) as usize).min(n)
    }

    /// Moves bytes over every link once in each direction; true if anything happened.
    pub fn step(&mut self) -> bool {
        if self.delay.is_some() {
            return self.step_delayed();
        }
        let mut any = self.a.drain_events() | self.b.drain_events();
        for i in 0..self.links.len() {
            let (ca, cb) = self.links[i];
            for dir in 0..2 {
                let (from, to, cf, ct) = if dir == 0 {
                    (&mut self.a, &mut self.b, ca, cb)
                } else {
                    (&mut self.b, &mut self.a, cb, ca)
                };
                let Some(out) = from.ep.poll_transmit(cf) else {
                    continue;
                };
                let want = out.len();
                let m = self.max_split.max(1) as u64;
                let n = (1 + (self.rng.next_u64() % m) as usize).min(want);
                let piece = out[..n].to_vec();
                let taken = to.ep.handle_input(ct, self.now, &piece).unwrap_or(0);
                if taken == 0 {
                    // The receiver's buffer is full: let it drain first.
                    to.drain_events();
                    continue;
                }
                from.wrote
                    .entry(cf)
                    .or_default()
                    .extend_from_slice(&piece[..taken]);
                from.ep.transmit_done(cf, self.now, taken).unwrap();
                any = true;
                to.drain_events();
                from.drain_events();
            }
        }
        let _ = self.split(1);
        any
    }

    /// `step` with delays: writes go onto the wire with an arrival time, arrivals due
    /// now are read.
    fn step_delayed(&mut self) -> bool {
        let (lo, hi) = self.delay.expect("delayed");
        let mut any = self.a.drain_events() | self.b.drain_events();
        for i in 0..self.links.len() {
            let (ca, cb) = self.links[i];
            for dir in 0..2 {
                let (from, to, cf, ct) = if dir == 0 {
                    (&mut self.a, &mut self.b, ca, cb)
                } else {
                    (&mut self.b, &mut self.a, cb, ca)
                };
                // Write: the piece is on the wire, arriving after a random delay but
                // never before the previous piece of this connection.
                if let Some(out) = from.ep.poll_transmit(cf) {
                    let m = self.max_split.max(1) as u64;
                    let n = (1 + (self.rng.next_u64() % m) as usize).min(out.len());
                    let piece = out[..n].to_vec();
                    from.ep.transmit_done(cf, self.now, n).unwrap();
                    from.wrote.entry(cf).or_default().extend_from_slice(&piece);
                    let span = (hi - lo).as_micros() as u64;
                    let d = lo + Duration::from_micros(self.rng.next_u64() % (span + 1));
                    let q = &mut self.in_flight[i][dir];
                    let at = q.back().map_or(self.now + d, |b| b.0.max(self.now + d));
                    q.push_back((at, piece));
                    any = true;
                    from.drain_events();
                }
                // Read what has arrived.
                let q = &mut self.in_flight[i][dir];
                while let Some((at, piece)) = q.front_mut() {
                    if *at > self.now {
                        break;
                    }
                    let Ok(taken) = to.ep.handle_input(ct, self.now, piece) else {
                        q.clear(); // the connection is gone at the receiver
                        break;
                    };
                    if taken == 0 {
                        to.drain_events();
                        break;
                    }
                    any = true;
                    piece.drain(..taken);
                    if piece.is_empty() {
                        q.pop_front();
                    }
                    to.drain_events();
                }
            }
        }
        any
    }

    /// The earliest arrival still on the wire.
    pub fn next_arrival(&self) -> Option<Instant> {
        self.in_flight
            .iter()
            .flat_map(|l| l.iter().filter_map(|q| q.front().map(|p| p.0)))
            .min()
    }

    /// With delays: runs, moving virtual time to each arrival, until the wire is empty
    /// (engine timers only fire if an arrival is later than their deadline).
    pub fn settle(&mut self) {
        loop {
            self.drive();
            let Some(t) = self.next_arrival() else { return };
            self.now = self.now.max(t);
            self.a.ep.handle_timeout(self.now);
            self.b.ep.handle_timeout(self.now);
        }
    }

    /// Runs until nothing moves (no time passes).
    pub fn drive(&mut self) {
        for _ in 0..10_000_000 {
            if !self.step() {
                return;
            }
        }
        panic!("simulation did not settle");
    }

    /// Runs, advancing virtual time to each deadline, until `until`.
    pub fn run_until(&mut self, until: Instant) {
        loop {
            self.drive();
            let next = [
                self.a.ep.poll_timeout(),
                self.b.ep.poll_timeout(),
                self.next_arrival(),
            ]
            .into_iter()
            .flatten()
            .min();
            match next {
                Some(t) if t <= until => {
                    self.now = self.now.max(t);
                    self.a.ep.handle_timeout(self.now);
                    self.b.ep.handle_timeout(self.now);
                }
                _ => {
                    self.now = until;
                    return;
                }
            }
        }
    }

    pub fn advance(&mut self, d: Duration) {
        let t = self.now + d;
        self.run_until(t);
    }
}

/// One endpoint driven with raw bytes: for byte-exact response-policy tests.
pub struct Raw {
    pub now: Instant,
    pub side: Side,
    pub conn: ConnectionId,
}

impl Raw {
    pub fn new(cfg: Config) -> Self {
        let mut side = Side::new(cfg);
        let conn = side.ep.add_connection();
        Self {
            now: origin(),
            side,
            conn,
        }
    }

    /// Bob's passive session.
    pub fn bob(cfg: Config) -> (Self, SessionId) {
        let mut r = Self::new(cfg);
        let s = r
            .side
            .ep
            .add_session(uri(BOB), vec![uri(ALICE)], None, r.now)
            .unwrap();
        (r, s)
    }

    /// Feeds bytes (all of them) and returns everything the endpoint writes in reply.
    pub fn feed(&mut self, mut data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        while !data.is_empty() {
            let n = self
                .side
                .ep
                .handle_input(self.conn, self.now, data)
                .unwrap();
            data = &data[n..];
            self.side.drain_events();
            out.extend(self.flush());
        }
        out.extend(self.flush());
        out
    }

    pub fn flush(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        loop {
            self.side.drain_events();
            let Some(b) = self.side.ep.poll_transmit(self.conn) else {
                break;
            };
            let n = b.len();
            out.extend_from_slice(b);
            self.side.ep.transmit_done(self.conn, self.now, n).unwrap();
        }
        self.side.drain_events();
        out
    }
}

/// A SEND from Alice to Bob (or to `to`) with the given extra headers and body.
pub fn send(tid: &str, to: &str, from: &str, headers: &str, body: Option<&[u8]>) -> Vec<u8> {
    let mut v =
        format!("MSRP {tid} SEND\r\nTo-Path: {to}\r\nFrom-Path: {from}\r\n{headers}").into_bytes();
    match body {
        Some(b) => {
            v.extend_from_slice(b"Content-Type: text/plain\r\n\r\n");
            v.extend_from_slice(b);
            v.extend_from_slice(format!("\r\n-------{tid}$\r\n").as_bytes());
        }
        None => v.extend_from_slice(format!("-------{tid}$\r\n").as_bytes()),
    }
    v
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The virtual clock's origin: any instant will do, time only moves through the tests.
#[allow(clippy::disallowed_methods)] // reason: an arbitrary origin for the virtual clock
pub fn origin() -> Instant {
    Instant::now()
}
