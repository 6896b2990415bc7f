//! The `tls_engine` target: two [`Endpoint`]s talking through two [`TlsConnection`]s,
//! with fuzz-chosen record and read splits and an optional corrupted byte.

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use bytes::Bytes;

use super::Input;
use crate::engine::{Config, ConnectionId, Endpoint, Event, OutgoingMessage};
use crate::tls::{
    BufferSizes, HashAlgorithm, LocalCertificate, TlsClientConfig, TlsConnection, TlsServerConfig,
};
use crate::uri::Uri;
use crate::wire::MessageId;

/// The `tls_engine` target. Alice (MSRP active, TLS client) and Bob (passive, TLS server)
/// authenticate each other by fingerprint (certificates generated once per process), then
/// Alice sends three messages and Bob one (up to 20 000 bytes each; sizes and content from
/// the input). The input also chooses the TLS buffer sizes, the plaintext write sizes (and
/// so the record boundaries), the ciphertext read sizes in each direction, and optionally
/// one byte of one direction's ciphertext stream to flip.
///
/// Checks, without corruption: the handshake completes, no side reports a [`TlsError`],
/// and every message arrives intact and is reported delivered. With corruption: nothing
/// panics; either the flip is detected as a typed [`TlsError`] on some side (or the
/// connection dies with an engine error), or whatever arrived is intact and nothing is
/// reported delivered that did not arrive (a flipped record length can leave the peer
/// waiting without an error: ending that is the timers' job, and this body runs no
/// clock).
///
/// rustls draws its own randomness, so ciphertexts differ between runs; the checks do
/// not depend on it.
pub fn tls_engine(data: &[u8]) {
    let mut input = Input::new(data);
    let sizes = BufferSizes {
        incoming: usize::from(input.u16()),
        outgoing: usize::from(input.u16()),
    };
    let (client, server) = configs();
    let tls = [
        TlsConnection::client_with_buffers(client, sizes).expect("client"),
        TlsConnection::server_with_buffers(server, sizes).expect("server"),
    ];
    let corrupt = match input.byte() {
        b @ 0..=31 => Some((
            usize::from(b & 1),
            usize::from(input.u16()),
            input.byte() | 1,
        )),
        _ => None,
    };
    let mut splits = [[0usize; 4]; 2];
    for d in &mut splits {
        for s in d.iter_mut() {
            *s = 1 + usize::from(input.u16()) % 20_000;
        }
    }
    let writes = [
        1 + usize::from(input.u16()) % 20_000,
        1 + usize::from(input.u16()) % 20_000,
    ];
    let mut p = Pair::new(tls, splits, writes, corrupt);
    let mut want = Vec::new();
    for i in 0..4 {
        let size = usize::from(input.u16()) % 20_000;
        let pat = input.slice();
        let content: Vec<u8> = if pat.is_empty() {
            (0..size).map(|i| (i % 253) as u8).collect()
        } else {
            pat.iter().copied().cycle().take(size).collect()
        };
        let from = usize::from(i == 3);
        let session = p.sessions[from];
        let id = p.eps[from]
            .send_message(
                session,
                OutgoingMessage::whole("text/plain", Bytes::from(content.clone())),
            )
            .expect("room for four messages");
        want.push((from, id, content));
    }
    p.run();
    let failed = p.errors();
    if corrupt.is_some() && failed {
        return; // detected: a typed error, no panic
    }
    assert!(
        !failed,
        "TLS or engine failure without corruption: {:?}",
        p.report()
    );
    for (from, id, content) in want {
        let got = p
            .received
            .iter()
            .find(|(s, m, _)| *s == 1 - from && *m == id);
        let delivered = p.delivered.contains(&(from, id));
        match got {
            Some((_, _, bytes)) => assert!(*bytes == content, "{id:?} arrived changed"),
            // A flipped record length leaves the peer waiting for bytes that never come:
            // no error, no progress (the engine's timers end it; this body runs no clock).
            None if corrupt.is_some() => {
                assert!(!delivered, "{id:?} delivered but never received");
                continue;
            }
            None => panic!("{id:?} not received: {:?}", p.report()),
        }
        assert!(
            delivered || corrupt.is_some(),
            "{id:?} not reported delivered"
        );
    }
}

/// Client and server configurations with fingerprint authentication, made once.
fn configs() -> &'static (TlsClientConfig, TlsServerConfig) {
    static CONFIGS: OnceLock<(TlsClientConfig, TlsServerConfig)> = OnceLock::new();
    CONFIGS.get_or_init(|| {
        let c = LocalCertificate::generate_self_signed(&[]).expect("certificate");
        let s = LocalCertificate::generate_self_signed(&[]).expect("certificate");
        let client = TlsClientConfig::by_fingerprint(
            "bob.example.com",
            c.clone(),
            &[s.fingerprint(HashAlgorithm::Sha256)],
        )
        .expect("client config");
        let server = TlsServerConfig::by_fingerprint(s, &[c.fingerprint(HashAlgorithm::Sha256)])
            .expect("server config");
        (client, server)
    })
}

/// The virtual clock's origin: the body never advances it.
#[allow(clippy::disallowed_methods)] // reason: an arbitrary origin for the virtual clock
fn origin() -> Instant {
    Instant::now()
}

struct Pair {
    now: Instant,
    eps: [Endpoint; 2],
    conns: [ConnectionId; 2],
    sessions: [crate::engine::SessionId; 2],
    tls: [TlsConnection; 2],
    /// Decrypted bytes not yet taken by the engine.
    plain: [Vec<u8>; 2],
    /// Ciphertext on the wire from side i, and how much of it was ever sent.
    wire: [Vec<u8>; 2],
    wire_pos: [usize; 2],
    /// How much of `wire` / `plain` was consumed (see `consume`).
    wire_head: [usize; 2],
    plain_head: [usize; 2],
    splits: [[usize; 4]; 2],
    turn: [usize; 2],
    writes: [usize; 2],
    corrupt: Option<(usize, usize, u8)>,
    received: Vec<(usize, MessageId, Vec<u8>)>,
    partial: Vec<(usize, MessageId, Vec<u8>)>,
    delivered: Vec<(usize, MessageId)>,
    engine_failed: bool,
    /// Bob takes received bodies as views (`take_received`) and keeps the last two
    /// alive with a copy: they must not change while held.
    held: std::collections::VecDeque<(Bytes, Vec<u8>)>,
}

impl Pair {
    #[allow(clippy::field_reassign_with_default)] // reason: `Config` is non-exhaustive
    fn new(
        tls: [TlsConnection; 2],
        splits: [[usize; 4]; 2],
        writes: [usize; 2],
        corrupt: Option<(usize, usize, u8)>,
    ) -> Self {
        let now = origin();
        let mk = |seed| {
            let mut c = Config::default();
            c.rng_seed = Some(seed);
            Endpoint::new(Arc::new(c))
        };
        let mut eps = [mk(1), mk(2)];
        let conns = [eps[0].add_connection(), eps[1].add_connection()];
        let alice = Uri::parse("msrps://alice.example.com:7777/a1;tcp").expect("valid");
        let bob = Uri::parse("msrps://bob.example.com:8888/b1;tcp").expect("valid");
        let sb = eps[1]
            .add_session(bob.clone(), vec![alice.clone()], None, now)
            .expect("passive");
        let sa = eps[0]
            .add_session(alice, vec![bob], Some(conns[0]), now)
            .expect("active");
        Self {
            now,
            eps,
            conns,
            sessions: [sa, sb],
            tls,
            plain: [Vec::new(), Vec::new()],
            wire: [Vec::new(), Vec::new()],
            wire_pos: [0, 0],
            wire_head: [0, 0],
            plain_head: [0, 0],
            splits,
            turn: [0, 0],
            writes,
            corrupt,
            received: Vec::new(),
            partial: Vec::new(),
            delivered: Vec::new(),
            engine_failed: false,
            held: std::collections::VecDeque::new(),
        }
    }

    fn errors(&self) -> bool {
        self.engine_failed || self.tls.iter().any(|t| t.error().is_some())
    }

    fn report(&self) -> String {
        format!(
            "tls errors {:?} / {:?}, engine failed {}, received {}, delivered {}",
            self.tls[0].error(),
            self.tls[1].error(),
            self.engine_failed,
            self.received.len(),
            self.delivered.len()
        )
    }

    fn drain(&mut self, s: usize) {
        while let Some(ev) = self.eps[s].poll_event() {
            match ev {
                Event::Data {
                    message,
                    offset,
                    body,
                    ..
                } => {
                    let view = if s == 1 {
                        self.eps[s].take_received(body)
                    } else {
                        None
                    };
                    let bytes = match &view {
                        Some(v) => &v[..],
                        None => self.eps[s].received_body(body).expect("fresh"),
                    };
                    let i = match self
                        .partial
                        .iter()
                        .position(|(x, m, _)| *x == s && *m == message)
                    {
                        Some(i) => i,
                        None => {
                            self.partial.push((s, message, Vec::new()));
                            self.partial.len() - 1
                        }
                    };
                    let buf = &mut self.partial[i].2;
                    let end = offset as usize + bytes.len();
                    if buf.len() < end {
                        buf.resize(end, 0);
                    }
                    buf[offset as usize..end].copy_from_slice(bytes);
                    if let Some(v) = view {
                        if self.held.len() == 2
                            && let Some((old, copy)) = self.held.pop_front()
                        {
                            assert!(old == copy, "a view changed while it was held");
                        }
                        let copy = v.to_vec();
                        self.held.push_back((v, copy));
                    }
                }
                Event::MessageReceived {
                    message,
                    bodiless: false,
                    ..
                } => {
                    let body = self
                        .partial
                        .iter()
                        .position(|(x, m, _)| *x == s && *m == message)
                        .map(|i| self.partial.swap_remove(i).2)
                        .unwrap_or_default();
                    self.received.push((s, message, body));
                }
                Event::MessageDelivered { message, .. } => self.delivered.push((s, message)),
                Event::MessageFailed { .. }
                | Event::ConnectionLost { .. }
                | Event::SessionFailed { .. } => self.engine_failed = true,
                _ => {}
            }
        }
    }

    /// One round: engine output into TLS, TLS output onto the wire, wire into the peer's
    /// TLS, plaintext into the peer's engine. Returns whether anything moved.
    fn step(&mut self) -> bool {
        let now = self.now;
        let mut moved = false;
        for s in 0..2 {
            self.drain(s);
            // Engine → TLS (in writes of the chosen size: they shape the records).
            if !self.tls[s].is_handshaking()
                && self.tls[s].error().is_none()
                && let Some(out) = self.eps[s].poll_transmit(self.conns[s])
            {
                let n = out.len().min(self.writes[s]);
                if let Ok(k) = self.tls[s].write_plaintext(&out[..n])
                    && k > 0
                {
                    let _ = self.eps[s].transmit_done(self.conns[s], now, k);
                    moved = true;
                }
            }
            self.drain(s);
            // TLS → wire (everything; `transmit_done` may resume processing).
            if let Some(out) = self.tls[s].poll_transmit() {
                let n = out.len();
                let start = self.wire_pos[s];
                self.wire[s].extend_from_slice(out);
                if let Some((dir, at, mask)) = self.corrupt
                    && dir == s
                    && (start..start + n).contains(&at)
                {
                    let i = self.wire[s].len() - n + (at - start);
                    self.wire[s][i] ^= mask;
                }
                self.wire_pos[s] += n;
                let plain = &mut self.plain[s];
                let _ = self.tls[s].transmit_done(n, |p| plain.extend_from_slice(p));
                moved = true;
            }
            // Wire → peer TLS, in the chosen read sizes.
            let r = 1 - s;
            if self.wire[s].len() > self.wire_head[s] && self.tls[r].error().is_none() {
                let split = self.splits[s][self.turn[s] % 4];
                self.turn[s] += 1;
                let buf = self.tls[r].recv_buf();
                let wire = &self.wire[s][self.wire_head[s]..];
                let n = buf.len().min(split).min(wire.len());
                buf[..n].copy_from_slice(&wire[..n]);
                consume(&mut self.wire[s], &mut self.wire_head[s], n);
                let plain = &mut self.plain[r];
                let _ = self.tls[r].handle_read(n, |p| plain.extend_from_slice(p));
                moved |= n > 0;
            }
            while self.tls[s].poll_event().is_some() {}
            // Plaintext → engine.
            if self.plain[s].len() > self.plain_head[s] {
                let plain = &self.plain[s][self.plain_head[s]..];
                match self.eps[s].handle_input(self.conns[s], now, plain) {
                    Ok(k) => {
                        consume(&mut self.plain[s], &mut self.plain_head[s], k);
                        moved |= k > 0;
                    }
                    Err(_) => {
                        self.plain[s].clear();
                        self.plain_head[s] = 0;
                        self.engine_failed = true;
                    }
                }
                self.drain(s);
            }
        }
        moved
    }

    fn run(&mut self) {
        // Every step moves bytes (or the pair has settled); one-byte reads of about
        // 90 KB of ciphertext take that many steps.
        for _ in 0..2_000_000 {
            if !self.step() && !self.step() {
                return;
            }
        }
        panic!("the TLS pair does not settle: {}", self.report());
    }
}

/// Consumes `n` bytes at `*head` of `v`: the front is cut only once it is half of `v`,
/// so feeding a large buffer a byte at a time stays linear (a `drain` per step made
/// single inputs run for seconds).
fn consume(v: &mut Vec<u8>, head: &mut usize, n: usize) {
    *head += n;
    if *head >= v.len() {
        v.clear();
        *head = 0;
    } else if *head > v.len() / 2 {
        v.drain(..*head);
        *head = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_engine_body_carries_messages_through_any_split() {
        // sizes, no corruption (byte 255), read splits, write sizes, four messages.
        let mut base = vec![0, 0, 0, 0, 255];
        base.extend_from_slice(&[1, 0, 7, 0, 0, 1, 100, 0]); // Alice → Bob reads
        base.extend_from_slice(&[3, 0, 0, 64, 5, 0, 0, 0]); // Bob → Alice reads
        base.extend_from_slice(&[0, 4, 13, 0]); // writes
        base.extend_from_slice(&[0, 1, 0, 0x40, 0, 0x10, 3, b'\r', b'\n', b'-', 100, 0, 0]);
        tls_engine(&base);
        for split in [1u8, 2, 5, 200] {
            let mut v = base.clone();
            v[5] = split;
            v[13] = split;
            tls_engine(&v);
        }
    }

    #[test]
    fn tls_engine_body_reports_a_flipped_byte_as_a_typed_error() {
        let mut base = vec![0, 0, 0, 0, 255];
        base.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
        base.extend_from_slice(&[0, 1, 0, 1]);
        base.extend_from_slice(&[0, 4, 0, 0, 0, 0, 0, 0]);
        for (dir, at) in [
            (0u8, 0u16),
            (0, 5),
            (1, 100),
            (0, 700),
            (1, 2000),
            (0, 3000),
        ] {
            let mut v = base.clone();
            v[4] = dir;
            v.splice(5..5, [at.to_le_bytes()[0], at.to_le_bytes()[1], 0x20]);
            tls_engine(&v);
        }
    }
}
