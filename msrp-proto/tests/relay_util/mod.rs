//! An in-memory network of relays and raw byte peers with a virtual clock.
#![allow(dead_code, unreachable_pub, clippy::disallowed_methods)]

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use msrp_proto::engine::ConnectionId;
use msrp_proto::rand::SeededRandom;
use msrp_proto::relay::server::{Event, PeerRelay};
use msrp_proto::relay::{AuthClient, AuthConfig, AuthEvent, MemoryCredentials, Relay, RelayConfig};
use msrp_proto::uri::Uri;
use msrp_proto::wire::{Decoder, Event as WireEvent};

pub const PASSWORD: &str = "correct horse";

pub fn uri(s: &str) -> Uri {
    Uri::parse(s).unwrap()
}

/// A relay config for `authority` (seeded, default limits).
pub fn relay_config(authority: &str, seed: u64) -> RelayConfig {
    let mut c = RelayConfig::new(uri(authority));
    c.rng_seed = Some(seed);
    c
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    Relay(usize, ConnectionId),
    Peer(usize),
}

pub struct Peer {
    /// Bytes received and not yet taken.
    pub rx: Vec<u8>,
    /// Bytes waiting to be accepted by the relay.
    pub backlog: Vec<u8>,
    /// Whether this peer reads its socket (false = a stalled receiver).
    pub reading: bool,
    pub link: Option<usize>,
    pub closed: bool,
}

pub struct Link {
    pub a: End,
    pub b: End,
    pub up: bool,
}

pub struct Net {
    pub now: Instant,
    pub start: Instant,
    pub relays: Vec<Relay>,
    pub peers: Vec<Peer>,
    pub links: Vec<Link>,
    /// (host, port) → where a dial lands.
    pub names: HashMap<(String, u16), Dial>,
    pub events: Vec<(usize, Event)>,
    /// Relays with a certificate for these names: a relay they dial learns it
    /// (mutual TLS, R4976-022).
    pub certs: HashMap<usize, Vec<String>>,
}

/// A peer relay's verified certificate, by its names (exact match only), counting the
/// checks made against it.
#[derive(Debug, Default)]
pub struct TestCert(pub Vec<String>, pub std::sync::atomic::AtomicUsize);

impl PeerRelay for TestCert {
    fn is_valid_for(&self, host: &str) -> bool {
        self.1.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.0.iter().any(|n| n.eq_ignore_ascii_case(host))
    }
}

pub fn counted_cert(names: &[&str]) -> Arc<TestCert> {
    Arc::new(TestCert(
        names.iter().map(|&n| n.to_owned()).collect(),
        Default::default(),
    ))
}

pub fn cert(names: &[&str]) -> Arc<dyn PeerRelay> {
    counted_cert(names)
}

#[derive(Debug, Clone, Copy)]
pub enum Dial {
    Relay(usize),
    /// A listening raw peer that accepts exactly one connection.
    Peer(usize),
}

impl Net {
    pub fn new() -> Self {
        let now = Instant::now();
        Self {
            now,
            start: now,
            relays: Vec::new(),
            peers: Vec::new(),
            links: Vec::new(),
            names: HashMap::new(),
            events: Vec::new(),
            certs: HashMap::new(),
        }
    }

    /// Adds a relay reachable at its authority's host and port; users alice and bob.
    pub fn add_relay(&mut self, cfg: RelayConfig) -> usize {
        let mut creds = MemoryCredentials::new();
        for user in ["alice", "bob"] {
            creds.insert_password(&cfg.realm, user, PASSWORD);
        }
        let a = cfg.authority.as_ref();
        let key = (a.host_str().to_ascii_lowercase(), a.port().unwrap());
        let relay = Relay::new(Arc::new(cfg), Box::new(creds)).unwrap();
        self.relays.push(relay);
        let i = self.relays.len() - 1;
        self.names.insert(key, Dial::Relay(i));
        i
    }

    pub fn add_peer(&mut self) -> usize {
        self.peers.push(Peer {
            rx: Vec::new(),
            backlog: Vec::new(),
            reading: true,
            link: None,
            closed: false,
        });
        self.peers.len() - 1
    }

    /// A peer connected to relay `r` (the relay accepts the connection).
    pub fn connect_peer(&mut self, r: usize) -> (usize, ConnectionId) {
        let p = self.add_peer();
        let c = self.relays[r].add_connection(self.now);
        self.links.push(Link {
            a: End::Relay(r, c),
            b: End::Peer(p),
            up: true,
        });
        self.peers[p].link = Some(self.links.len() - 1);
        (p, c)
    }

    pub fn send(&mut self, p: usize, bytes: &[u8]) {
        self.peers[p].backlog.extend_from_slice(bytes);
        self.drive();
    }

    /// Every relay-to-relay connection goes down (both relays see EOF).
    pub fn cut_relay_links(&mut self) {
        for l in 0..self.links.len() {
            if let (true, End::Relay(r1, c1), End::Relay(r2, c2)) =
                (self.links[l].up, self.links[l].a, self.links[l].b)
            {
                self.links[l].up = false;
                let _ = self.relays[r1].handle_eof(c1, self.now);
                let _ = self.relays[r2].handle_eof(c2, self.now);
            }
        }
        self.drive();
    }

    /// The peer closes its connection.
    pub fn close_peer(&mut self, p: usize) {
        let l = self.peers[p].link.unwrap();
        self.links[l].up = false;
        self.peers[p].closed = true;
        if let End::Relay(r, c) = self.links[l].a {
            self.relays[r].handle_eof(c, self.now).unwrap();
        }
        self.drive();
    }

    fn other(&self, l: usize, me: End) -> End {
        let link = &self.links[l];
        if link.a == me { link.b } else { link.a }
    }

    fn link_of(&self, e: End) -> Option<usize> {
        self.links
            .iter()
            .position(|l| l.up && (l.a == e || l.b == e))
    }

    /// Moves bytes and handles events until nothing changes.
    pub fn drive(&mut self) {
        for _ in 0..100_000 {
            if !self.step() {
                return;
            }
        }
        panic!("network does not settle");
    }

    fn step(&mut self) -> bool {
        let mut progress = false;
        let now = self.now;
        // Peers' backlogs into their relays.
        for p in 0..self.peers.len() {
            if self.peers[p].backlog.is_empty() || self.peers[p].closed {
                continue;
            }
            let Some(l) = self.peers[p].link.filter(|&l| self.links[l].up) else {
                continue;
            };
            if let End::Relay(r, c) = self.other(l, End::Peer(p)) {
                let data = std::mem::take(&mut self.peers[p].backlog);
                let n = self.relays[r].handle_input(c, now, &data).unwrap_or(0);
                self.peers[p].backlog = data[n..].to_vec();
                progress |= n > 0;
            }
        }
        // Relays' output.
        for l in 0..self.links.len() {
            if !self.links[l].up {
                continue;
            }
            for (from, to) in [
                (self.links[l].a, self.links[l].b),
                (self.links[l].b, self.links[l].a),
            ] {
                let End::Relay(r, c) = from else { continue };
                match to {
                    End::Peer(p) => {
                        if !self.peers[p].reading {
                            continue;
                        }
                        let Some(bytes) = self.relays[r].poll_transmit(c) else {
                            continue;
                        };
                        let n = bytes.len();
                        self.peers[p].rx.extend_from_slice(bytes);
                        self.relays[r].transmit_done(c, now, n).unwrap();
                        progress = true;
                    }
                    End::Relay(r2, c2) => {
                        let Some(bytes) = self.relays[r].poll_transmit(c) else {
                            continue;
                        };
                        let bytes = bytes.to_vec();
                        let n = self.relays[r2].handle_input(c2, now, &bytes).unwrap_or(0);
                        if n > 0 {
                            self.relays[r].transmit_done(c, now, n).unwrap();
                            progress = true;
                        }
                    }
                }
            }
        }
        // Events.
        for r in 0..self.relays.len() {
            while let Some(ev) = self.relays[r].poll_event() {
                progress = true;
                match &ev {
                    Event::Connect { conn, target } => {
                        let t = target.as_ref();
                        let key = (t.host_str().to_ascii_lowercase(), t.port().unwrap_or(2855));
                        match self.names.get(&key).copied() {
                            Some(Dial::Relay(r2)) => {
                                let c2 = self.relays[r2].add_connection(now);
                                if let Some(names) = self.certs.get(&r) {
                                    let names: Vec<&str> =
                                        names.iter().map(String::as_str).collect();
                                    self.relays[r2].set_peer_relay(c2, cert(&names)).unwrap();
                                }
                                self.links.push(Link {
                                    a: End::Relay(r, *conn),
                                    b: End::Relay(r2, c2),
                                    up: true,
                                });
                                self.relays[r].handle_connected(*conn, now).unwrap();
                            }
                            Some(Dial::Peer(p)) if self.peers[p].link.is_none() => {
                                self.links.push(Link {
                                    a: End::Relay(r, *conn),
                                    b: End::Peer(p),
                                    up: true,
                                });
                                self.peers[p].link = Some(self.links.len() - 1);
                                self.relays[r].handle_connected(*conn, now).unwrap();
                            }
                            _ => self.relays[r].handle_connect_failed(*conn, now).unwrap(),
                        }
                    }
                    Event::Closed { conn, .. } => {
                        if let Some(l) = self.link_of(End::Relay(r, *conn)) {
                            self.links[l].up = false;
                            match self.other(l, End::Relay(r, *conn)) {
                                End::Peer(p) => self.peers[p].closed = true,
                                End::Relay(r2, c2) => {
                                    let _ = self.relays[r2].handle_eof(c2, now);
                                }
                            }
                        }
                    }
                    _ => {}
                }
                self.events.push((r, ev));
            }
        }
        progress
    }

    /// Advances the virtual clock to `t`, running relay timers on the way.
    pub fn advance_to(&mut self, t: Instant) {
        loop {
            let next = self
                .relays
                .iter()
                .filter_map(Relay::poll_timeout)
                .filter(|&d| d <= t)
                .min();
            match next {
                Some(d) => {
                    self.now = self.now.max(d);
                    let now = self.now;
                    for r in &mut self.relays {
                        r.handle_timeout(now);
                    }
                    self.drive();
                }
                None => break,
            }
        }
        self.now = t;
        self.drive();
    }

    pub fn advance(&mut self, d: Duration) {
        self.advance_to(self.now + d);
    }

    /// Takes the complete frames a peer received.
    pub fn frames(&mut self, p: usize) -> Vec<Vec<u8>> {
        let (frames, used) = split_frames(&self.peers[p].rx);
        self.peers[p].rx.drain(..used);
        frames
    }

    /// Authenticates `user` from peer `p` through `relays` with our own AuthClient.
    pub fn auth(
        &mut self,
        p: usize,
        user: &str,
        password: &str,
        relays: &[&str],
        own: &str,
    ) -> Result<Vec<Uri>, AuthEvent> {
        let mut cfg = AuthConfig::new(
            user,
            password,
            relays.iter().map(|r| uri(r)).collect(),
            uri(own),
        );
        cfg.expires = Some(900);
        let mut client = AuthClient::new(cfg).unwrap();
        let mut rng = SeededRandom::new(p as u64 + 100);
        for _ in 0..20 {
            let mut buf = Vec::new();
            if client.poll_transmit(self.now, &mut rng, &mut buf).is_some() {
                self.send(p, &buf);
            }
            for f in self.frames(p) {
                let mut d = Decoder::default();
                if let Ok((_, WireEvent::Head(h))) = d.decode(&f) {
                    match client.handle_response(self.now, &h) {
                        Some(AuthEvent::Authenticated { use_path, .. }) => return Ok(use_path),
                        Some(other) => return Err(other),
                        None => {}
                    }
                }
            }
        }
        panic!("AUTH did not finish");
    }

    pub fn closed_events(&self) -> Vec<Event> {
        self.events
            .iter()
            .filter(|(_, e)| matches!(e, Event::Closed { .. }))
            .map(|(_, e)| e.clone())
            .collect()
    }
}

/// Splits `bytes` into complete frames; returns them and the bytes used.
pub fn split_frames(bytes: &[u8]) -> (Vec<Vec<u8>>, usize) {
    let mut frames = Vec::new();
    let mut pos = 0;
    let mut frame_start = 0;
    let mut d = Decoder::default();
    loop {
        let Ok((n, ev)) = d.decode(&bytes[pos..]) else {
            panic!(
                "peer received malformed bytes: {}",
                String::from_utf8_lossy(&bytes[frame_start..])
            );
        };
        match ev {
            WireEvent::NeedMore => break,
            WireEvent::End(_) => {
                pos += n;
                frames.push(bytes[frame_start..pos].to_vec());
                frame_start = pos;
            }
            _ => pos += n,
        }
    }
    (frames, frame_start)
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The transaction id of a frame's start line.
pub fn tid_of(frame: &[u8]) -> String {
    let t = text(frame);
    t.split_whitespace().nth(1).unwrap().to_owned()
}

/// The frame text with its transaction id replaced by `TID` (start line and end-line).
pub fn mask_tid(frame: &[u8]) -> String {
    let tid = tid_of(frame);
    let t = text(frame);
    let mut lines: Vec<String> = t.split("\r\n").map(str::to_owned).collect();
    lines[0] = lines[0].replacen(&tid, "TID", 1);
    for l in &mut lines {
        if l.starts_with("-------") {
            *l = l.replacen(&tid, "TID", 1);
        }
    }
    lines.join("\r\n")
}

/// The value of header `name` in a frame.
pub fn header(frame: &[u8], name: &str) -> Option<String> {
    let t = text(frame);
    let head = t.split("\r\n\r\n").next().unwrap().to_owned();
    head.split("\r\n").find_map(|l| {
        let (n, v) = l.split_once(": ")?;
        n.eq_ignore_ascii_case(name).then(|| v.to_owned())
    })
}

/// The body of a frame (between the blank line and the end-line).
pub fn body(frame: &[u8]) -> Vec<u8> {
    let t = frame;
    let Some(p) = t.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Vec::new();
    };
    let tid = tid_of(frame);
    let end = t.len() - (2 + 7 + tid.len() + 1 + 2);
    t[p + 4..end].to_vec()
}

pub fn sid(u: &Uri) -> String {
    u.as_ref().session_id().unwrap().to_owned()
}

/// Builds a SEND.
pub fn send(tid: &str, to: &[&str], from: &[&str], extra: &str, body: Option<&[u8]>) -> Vec<u8> {
    let mut out = format!(
        "MSRP {tid} SEND\r\nTo-Path: {}\r\nFrom-Path: {}\r\n{extra}",
        to.join(" "),
        from.join(" ")
    )
    .into_bytes();
    match body {
        Some(b) => {
            out.extend_from_slice(b"Content-Type: text/plain\r\n\r\n");
            out.extend_from_slice(b);
            out.extend_from_slice(format!("\r\n-------{tid}$\r\n").as_bytes());
        }
        None => out.extend_from_slice(format!("-------{tid}$\r\n").as_bytes()),
    }
    out
}
