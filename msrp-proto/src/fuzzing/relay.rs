//! The `relay` target: a [`Relay`] between clients that send arbitrary bytes,
//! authenticate with our [`AuthClient`], and send templated SENDs through it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::Input;
use crate::engine::ConnectionId;
use crate::rand::SeededRandom;
use crate::relay::server::PeerRelay;
use crate::relay::{
    AuthClient, AuthConfig, AuthEvent, Event as RelayEvent, MemoryCredentials, Relay, RelayConfig,
};
use crate::uri::Uri;
use crate::wire::{Decoder, Event as WireEvent, Head, Limits};

/// The `relay` target. The first bytes configure the relay (chunk size, buffer, high-water
/// mark, outstanding transactions, non-SEND body limit, probation, transaction timeout,
/// unknown-method blocking, wire limits); then commands, one per byte plus arguments:
///
/// * arbitrary bytes from client k (up to four accepted connections);
/// * client k authenticates with [`AuthClient`] (correct or wrong password), which makes
///   the relay issue it a URI;
/// * client k sends a SEND through its issued URI toward client j's, with fuzz-chosen
///   transaction id, reports, Byte-Range, extra header lines and body;
/// * client k reads n bytes of what the relay wrote to it (or stops reading), half-closes,
///   or a new client connects; the relay's dial requests succeed or fail by choice;
///   client k is marked a peer relay with a certificate for some client's host;
/// * the clock advances through every timer.
///
/// Checks: nothing panics, no method refuses a connection the relay still reports open;
/// the bytes queued for any connection stay within `high_water` plus one header block,
/// one chunk and a small slack (the back-pressure promise); and everything the relay
/// writes to a client decodes as well-formed MSRP under generous limits, whatever came
/// in (a relay never forwards garbage: it re-frames).
pub fn relay(data: &[u8]) {
    let mut input = Input::new(data);
    let mut sim = RelaySim::new(&mut input);
    let mut steps = 0;
    while !input.is_empty() && steps < 1000 {
        sim.command(&mut input);
        sim.check();
        steps += 1;
    }
    for _ in 0..64 {
        if !sim.flush_all(usize::MAX) {
            break;
        }
    }
    sim.check();
}

/// The virtual clock's origin: any instant will do, time only moves through the body.
#[allow(clippy::disallowed_methods)] // reason: an arbitrary origin for the virtual clock
fn origin() -> Instant {
    Instant::now()
}

fn pick<T: Copy>(b: u8, from: &[T]) -> T {
    from[usize::from(b) % from.len()]
}

const AUTHORITY: &str = "msrps://relay.example.com:2855;tcp";
const REALM: &str = "relay.example.com";

/// One client connection, as the relay's peer sees it.
struct Client {
    conn: ConnectionId,
    open: bool,
    reading: bool,
    /// Checks the relay's output to this client.
    check: Decoder,
    pending: Vec<u8>,
    own: Uri,
    /// The URI the relay issued to this client.
    issued: Option<Uri>,
}

struct RelaySim {
    now: Instant,
    relay: Relay,
    clients: Vec<Client>,
    rng: SeededRandom,
    bound: usize,
}

impl RelaySim {
    fn new(input: &mut Input<'_>) -> Self {
        let mut cfg = RelayConfig::new(Uri::parse(AUTHORITY).expect("valid"));
        cfg.rng_seed = Some(u64::from(input.byte()));
        cfg.max_chunk = pick(input.byte(), &[1, 16, 2048, 65536]);
        cfg.recv_buffer = pick(input.byte(), &[0, 4096, 65536]);
        cfg.high_water = pick(input.byte(), &[0, 512, 8192, 256 * 1024]);
        cfg.max_outstanding = pick(input.byte(), &[1, 4, 1024]);
        cfg.max_non_send_body = pick(input.byte(), &[0, 100, 10240]);
        cfg.probation = Duration::from_secs(pick(input.byte(), &[1, 30]));
        cfg.transaction_timeout = Duration::from_secs(pick(input.byte(), &[1, 30]));
        cfg.nonce_lifetime = Duration::from_secs(pick(input.byte(), &[1, 300]));
        cfg.max_nonces = pick(input.byte(), &[1, 4, 4096]);
        cfg.max_issued = pick(input.byte(), &[1, 4, 65536]);
        cfg.block_unknown_methods = input.byte() & 1 == 1;
        if input.byte() & 1 == 1 {
            cfg.wire = Limits::strict();
        }
        let bound = cfg.high_water + 2 * cfg.wire.max_header_bytes + cfg.max_chunk + 4096;
        let mut creds = MemoryCredentials::new();
        creds.insert_password(REALM, "alice", "secret");
        creds.insert_password(REALM, "bob", "secret");
        let relay = Relay::new(Arc::new(cfg), Box::new(creds)).expect("valid configuration");
        let mut sim = Self {
            now: origin(),
            relay,
            clients: Vec::new(),
            rng: SeededRandom::new(7),
            bound,
        };
        sim.accept();
        sim.accept();
        sim
    }

    fn accept(&mut self) {
        if self.clients.len() >= 6 {
            return;
        }
        let conn = self.relay.add_connection(self.now);
        let n = self.clients.len();
        self.add_client(conn, n);
    }

    fn add_client(&mut self, conn: ConnectionId, n: usize) {
        let lenient = Limits {
            max_header_line: 1 << 20,
            max_header_bytes: 1 << 20,
            max_headers: 1024,
            max_path_uris: 1024,
            ..Limits::default()
        };
        self.clients.push(Client {
            conn,
            open: true,
            reading: true,
            check: Decoder::new(lenient),
            pending: Vec::new(),
            own: Uri::parse(&format!("msrp://c{n}.example.com:9000/s{n}x;tcp")).expect("valid"),
            issued: None,
        });
    }

    fn check(&self) {
        for c in self.clients.iter().filter(|c| c.open) {
            let b = self.relay.buffered(c.conn);
            assert!(
                b <= self.bound,
                "{b} bytes queued for {:?}, bound {}",
                c.conn,
                self.bound
            );
        }
    }

    fn events(&mut self) {
        while let Some(ev) = self.relay.poll_event() {
            match ev {
                RelayEvent::Closed { conn, .. } => {
                    // The adapter closes the socket; the id is invalid from now on.
                    if let Some(c) = self.clients.iter_mut().find(|c| c.conn == conn && c.open) {
                        c.open = false;
                    }
                    assert!(self.relay.poll_transmit(conn).is_none());
                }
                RelayEvent::Connect { conn, .. } => {
                    let n = self.clients.len();
                    self.add_client(conn, n);
                    // Whether the dial works is decided later by the program; meanwhile
                    // a dial that is never answered is a connection that never opens.
                }
                RelayEvent::Authenticated { .. } => {}
            }
        }
    }

    /// Client `k` reads up to `n` bytes; returns whether anything moved.
    fn read(&mut self, k: usize, n: usize) -> bool {
        let now = self.now;
        let c = &mut self.clients[k];
        if !c.open || !c.reading {
            return false;
        }
        let Some(out) = self.relay.poll_transmit(c.conn) else {
            return false;
        };
        let m = out.len().min(n);
        c.pending.extend_from_slice(&out[..m]);
        self.relay
            .transmit_done(c.conn, now, m)
            .expect("transmit_done on an open connection");
        check_stream(c, |_| {});
        self.events();
        m > 0
    }

    fn flush_all(&mut self, n: usize) -> bool {
        let mut any = false;
        for k in 0..self.clients.len() {
            any |= self.read(k, n);
        }
        any
    }

    fn write(&mut self, k: usize, bytes: &[u8]) {
        let now = self.now;
        let c = &self.clients[k];
        if !c.open {
            return;
        }
        let mut rest = bytes;
        for _ in 0..64 {
            if rest.is_empty() {
                break;
            }
            let conn = self.clients[k].conn;
            match self.relay.handle_input(conn, now, rest) {
                Ok(0) => {
                    // Back-pressure: let every client read, then retry.
                    self.events();
                    if !self.flush_all(usize::MAX) {
                        break;
                    }
                }
                Ok(n) => rest = &rest[n..],
                Err(_) => break,
            }
            self.events();
        }
        self.events();
    }

    fn command(&mut self, input: &mut Input<'_>) {
        let op = input.byte();
        let k = usize::from(input.byte()) % self.clients.len();
        match op % 10 {
            0 | 1 => {
                let bytes = input.slice();
                self.write(k, bytes);
            }
            2 => self.auth(k, input.byte() & 1 == 0),
            3 | 4 => self.send(k, input),
            5 => {
                let n = pick(input.byte(), &[1, 10, 100, 5000, usize::MAX]);
                self.read(k, n);
            }
            6 => self.clients[k].reading = !self.clients[k].reading,
            7 => {
                let d = pick(input.byte(), &[10, 1000, 2000, 31_000, 301_000, 3_601_000]);
                self.advance(self.now + Duration::from_millis(d));
            }
            8 => {
                let c = &mut self.clients[k];
                if c.open {
                    c.open = false;
                    let conn = c.conn;
                    self.relay
                        .handle_eof(conn, self.now)
                        .expect("EOF on an open connection");
                    self.events();
                }
            }
            _ => match input.byte() % 4 {
                0 => self.accept(),
                3 => {
                    // The client authenticated as a relay by TLS, for its own name or
                    // for another client's (R4976-025 must refuse the latter's traffic).
                    let n = usize::from(input.byte()) % self.clients.len();
                    let host = self.clients[n].own.as_ref().host_str().to_owned();
                    let conn = self.clients[k].conn;
                    if self.clients[k].open {
                        self.relay
                            .set_peer_relay(conn, Arc::new(FuzzCert(host)))
                            .expect("marking an open connection");
                    }
                }
                1 => {
                    let conn = self.clients[k].conn;
                    if self.clients[k].open && self.relay.handle_connected(conn, self.now).is_ok() {
                        self.events();
                    }
                }
                _ => {
                    let conn = self.clients[k].conn;
                    if self.clients[k].open
                        && self.relay.handle_connect_failed(conn, self.now).is_ok()
                    {
                        self.clients[k].open = false;
                        self.events();
                    }
                }
            },
        }
    }

    fn advance(&mut self, until: Instant) {
        for _ in 0..10_000 {
            match self.relay.poll_timeout() {
                Some(t) if t <= until => {
                    self.now = self.now.max(t);
                    self.relay.handle_timeout(self.now);
                    self.events();
                }
                _ => break,
            }
        }
        self.now = until;
    }

    /// Client `k` authenticates with our AUTH client.
    fn auth(&mut self, k: usize, right_password: bool) {
        let user = if k.is_multiple_of(2) { "alice" } else { "bob" };
        let password = if right_password { "secret" } else { "wrong" };
        let mut cfg = AuthConfig::new(
            user,
            password,
            vec![Uri::parse(AUTHORITY).expect("valid")],
            self.clients[k].own.clone(),
        );
        cfg.expires = Some(900);
        let Ok(mut client) = AuthClient::new(cfg) else {
            return;
        };
        for _ in 0..8 {
            let mut buf = Vec::new();
            if client
                .poll_transmit(self.now, &mut self.rng, &mut buf)
                .is_some()
            {
                self.write(k, &buf);
            }
            // Read everything the relay wrote back and hand responses to the client.
            let now = self.now;
            let c = &mut self.clients[k];
            if !c.open {
                return;
            }
            let mut done = None;
            if let Some(out) = self.relay.poll_transmit(c.conn) {
                let m = out.len();
                c.pending.extend_from_slice(out);
                self.relay
                    .transmit_done(c.conn, now, m)
                    .expect("transmit_done on an open connection");
            }
            check_stream(c, |h| {
                if done.is_none() {
                    done = client.handle_response(now, h);
                }
            });
            self.events();
            match done {
                Some(AuthEvent::Authenticated { use_path, .. }) => {
                    assert!(right_password, "authenticated with a wrong password");
                    self.clients[k].issued = use_path.last().cloned();
                    return;
                }
                Some(_) => return,
                None => {}
            }
        }
    }

    /// Client `k` sends a SEND toward client `j` through the URIs the relay issued.
    fn send(&mut self, k: usize, input: &mut Input<'_>) {
        let j = usize::from(input.byte()) % self.clients.len();
        let flags = input.byte();
        let tid = {
            let t = input.bytes(usize::from(flags >> 5) + 4);
            let s: String = t
                .iter()
                .map(|&b| char::from(b"abcdefghijklmnopqrstuvwxyz0123456789"[usize::from(b) % 36]))
                .collect();
            if s.len() < 4 { "abcd".to_owned() } else { s }
        };
        let body = input.slice();
        let extra = input.slice();
        let mut to = Vec::new();
        if let Some(u) = &self.clients[k].issued {
            to.push(u.as_str().to_owned());
        }
        if let Some(u) = &self.clients[j].issued {
            to.push(u.as_str().to_owned());
        }
        to.push(self.clients[j].own.as_str().to_owned());
        if flags & 1 == 1 {
            to.remove(0);
        }
        let fr = pick(
            flags >> 1,
            &["", "Failure-Report: no\r\n", "Failure-Report: partial\r\n"],
        );
        let range = match flags & 0x18 {
            0 => String::new(),
            8 => format!("Byte-Range: 1-{}/{}\r\n", body.len(), body.len()),
            0x10 => format!("Byte-Range: 1-*/{}\r\n", body.len() + 10),
            _ => "Byte-Range: 1-*/*\r\n".to_owned(),
        };
        let flag = pick(input.byte(), b"$+#");
        let mut msg = format!(
            "MSRP {tid} SEND\r\nTo-Path: {}\r\nFrom-Path: {}\r\nMessage-ID: m{tid}\r\n{fr}{range}",
            to.join(" "),
            self.clients[k].own
        )
        .into_bytes();
        msg.extend_from_slice(extra);
        msg.extend_from_slice(b"Content-Type: text/plain\r\n\r\n");
        msg.extend_from_slice(body);
        msg.extend_from_slice(format!("\r\n-------{tid}").as_bytes());
        msg.push(flag);
        msg.extend_from_slice(b"\r\n");
        self.write(k, &msg);
    }
}

/// A peer relay certificate valid for one host.
#[derive(Debug)]
struct FuzzCert(String);

impl PeerRelay for FuzzCert {
    fn is_valid_for(&self, host: &str) -> bool {
        self.0.eq_ignore_ascii_case(host)
    }
}

/// Feeds a client's pending bytes to its checking decoder: the relay's output must be
/// well-formed MSRP. `on_head` sees every complete head.
fn check_stream(c: &mut Client, mut on_head: impl FnMut(&Head<'_>)) {
    let mut used = 0;
    loop {
        match c.check.decode(&c.pending[used..]) {
            Ok((n, ev)) => {
                if let WireEvent::Head(h) = &ev {
                    on_head(h);
                }
                used += n;
                if matches!(ev, WireEvent::NeedMore) && n == 0 {
                    break;
                }
            }
            Err(e) => panic!(
                "the relay wrote malformed MSRP: {e:?} in {:?}",
                String::from_utf8_lossy(&c.pending[used..])
            ),
        }
    }
    c.pending.drain(..used);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relay_body_runs_auth_and_forwarding_programs() {
        let cfgs: [[u8; 13]; 3] = [
            [1, 3, 2, 3, 2, 2, 1, 1, 1, 2, 2, 0, 0],
            [2, 1, 1, 1, 0, 1, 0, 0, 0, 0, 0, 1, 1],
            [3, 0, 0, 0, 1, 0, 1, 1, 1, 1, 1, 0, 0],
        ];
        for cfg in cfgs {
            let mut p = cfg.to_vec();
            // auth both, send both ways, read, time, garbage.
            p.extend_from_slice(&[2, 0, 0, 2, 1, 0]);
            p.extend_from_slice(&[
                3, 0, 1, 8, 1, 2, 3, 4, 5, b'h', b'i', b'!', b'!', b'!', 0, 0,
            ]);
            p.extend_from_slice(&[4, 1, 0, 0x18, 1, 2, 3, 4, 0, 0, 1]);
            p.extend_from_slice(&[5, 1, 4, 5, 0, 4, 7, 0, 3, 7, 0, 5]);
            p.extend_from_slice(&[0, 0, 5, b'M', b'S', b'R', b'P', b' ']);
            p.extend_from_slice(&[2, 1, 1, 9, 0, 0, 8, 1, 7, 0, 4]);
            relay(&p);
        }
        let vectors = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/vectors");
        for e in std::fs::read_dir(vectors).expect("vectors") {
            let p = e.expect("entry").path();
            if p.extension().is_some_and(|x| x == "msrp") {
                let v = std::fs::read(&p).expect("read");
                for chunk in v.chunks(255) {
                    let mut prog = vec![0u8; 13];
                    prog.extend_from_slice(&[0, 0, chunk.len() as u8]);
                    prog.extend_from_slice(chunk);
                    relay(&prog);
                }
            }
        }
    }
}
