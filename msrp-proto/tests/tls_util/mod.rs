//! Shared helpers for the TLS integration tests: certificates, clocks and an in-memory
//! pair of [`TlsConnection`]s joined by a link that splits ciphertext at chosen points.
#![allow(dead_code, unreachable_pub)] // each test file uses a different subset

use std::sync::Arc;
use std::time::Duration;

use msrp_proto::rand::SeededRandom;
use msrp_proto::tls::{
    FixedClock, LocalCertificate, TlsConnection, TlsError, TlsEvent, TrustRoots, WallClock,
};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    date_time_ymd,
};

/// 2025-01-01T00:00:00Z.
pub const JAN_2025: Duration = Duration::from_secs(1_735_689_600);
/// 2027-01-01T00:00:00Z, after the test leaf certificates expire.
pub const JAN_2027: Duration = Duration::from_secs(1_798_761_600);

pub fn clock(at: Duration) -> Arc<dyn WallClock> {
    Arc::new(FixedClock(at))
}

/// A CA and a way to issue leaves valid 2024-01-01..2026-01-01.
pub struct TestCa {
    pub der: Vec<u8>,
    issuer: Issuer<'static, KeyPair>,
}

impl TestCa {
    pub fn new(name: &str) -> Self {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let cert = params.self_signed(&key).unwrap();
        Self {
            der: cert.der().to_vec(),
            issuer: Issuer::new(params, key),
        }
    }

    pub fn roots(&self) -> TrustRoots {
        let mut roots = TrustRoots::new();
        roots.add_der(&self.der).unwrap();
        roots
    }

    pub fn leaf(&self, names: &[&str]) -> LocalCertificate {
        let key = KeyPair::generate().unwrap();
        let names: Vec<String> = names.iter().map(|&s| s.to_owned()).collect();
        let mut params = CertificateParams::new(names).unwrap();
        params.not_before = date_time_ymd(2024, 1, 1);
        params.not_after = date_time_ymd(2026, 1, 1);
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        LocalCertificate::from_der(vec![cert.der().to_vec()], key.serialize_der()).unwrap()
    }
}

/// How ciphertext moves between the two endpoints.
#[derive(Debug, Clone, Copy)]
pub enum Split {
    /// As much as fits at once.
    Whole,
    /// At most `n` bytes per `handle_read`.
    Every(usize),
    /// Random sizes 1..=max, seeded.
    Random { seed: u64, max: usize },
}

/// Two endpoints, what each received, and what each reported.
pub struct Pair {
    pub client: TlsConnection,
    pub server: TlsConnection,
    pub client_plain: Vec<u8>,
    pub server_plain: Vec<u8>,
    pub client_events: Vec<TlsEvent>,
    pub server_events: Vec<TlsEvent>,
    pub client_error: Option<TlsError>,
    pub server_error: Option<TlsError>,
    split: Split,
    rng: SeededRandom,
}

impl Pair {
    pub fn new(client: TlsConnection, server: TlsConnection, split: Split) -> Self {
        let seed = match split {
            Split::Random { seed, .. } => seed,
            _ => 0,
        };
        Self {
            client,
            server,
            client_plain: Vec::new(),
            server_plain: Vec::new(),
            client_events: Vec::new(),
            server_events: Vec::new(),
            client_error: None,
            server_error: None,
            split,
            rng: SeededRandom::new(seed),
        }
    }

    /// Moves ciphertext one way until the sender has nothing left or the receiver is full.
    /// Returns whether any byte moved.
    fn flow(&mut self, client_to_server: bool) -> bool {
        let Pair {
            client,
            server,
            client_plain,
            server_plain,
            client_error,
            server_error,
            split,
            rng,
            ..
        } = self;
        let mut chunk = |avail: usize| match *split {
            Split::Whole => avail,
            Split::Every(n) => avail.min(n),
            Split::Random { max, .. } => avail.min(1 + (rng.next_u64() % max as u64) as usize),
        };
        if client_to_server {
            flow_one(
                client,
                server,
                client_plain,
                server_plain,
                client_error,
                server_error,
                &mut chunk,
            )
        } else {
            flow_one(
                server,
                client,
                server_plain,
                client_plain,
                server_error,
                client_error,
                &mut chunk,
            )
        }
    }

    fn sides(&mut self, client_to_server: bool) -> (&mut TlsConnection, &mut TlsConnection) {
        if client_to_server {
            (&mut self.client, &mut self.server)
        } else {
            (&mut self.server, &mut self.client)
        }
    }

    fn collect_events(&mut self) {
        while let Some(e) = self.client.poll_event() {
            self.client_events.push(e);
        }
        while let Some(e) = self.server.poll_event() {
            self.server_events.push(e);
        }
    }

    /// Runs until neither side has anything to send.
    pub fn run(&mut self) {
        for _ in 0..1_000_000 {
            let a = self.flow(true);
            let b = self.flow(false);
            self.collect_events();
            if !a && !b {
                return;
            }
        }
        panic!("pair did not settle");
    }

    /// Writes all of `data` from one side, moving ciphertext as needed, in write calls of
    /// at most `max_write` bytes.
    pub fn send_all(&mut self, from_client: bool, data: &[u8], max_write: usize) {
        let mut off = 0;
        let mut stalls = 0;
        while off < data.len() {
            let end = data.len().min(off.saturating_add(max_write));
            let (from, _) = self.sides(from_client);
            let n = from.write_plaintext(&data[off..end]).expect("write");
            off += n;
            if n == 0 {
                stalls += 1;
                assert!(stalls < 10_000, "writer stuck");
            }
            self.run();
        }
    }

    pub fn handshake_ok(&self) -> bool {
        self.client_error.is_none()
            && self.server_error.is_none()
            && !self.client.is_handshaking()
            && !self.server.is_handshaking()
    }
}

/// Event names, for transcript comparisons.
pub fn names(events: &[TlsEvent]) -> Vec<&'static str> {
    events
        .iter()
        .map(|e| match e {
            TlsEvent::HandshakeComplete { .. } => "HandshakeComplete",
            TlsEvent::FingerprintChanged { .. } => "FingerprintChanged",
            TlsEvent::PinStoreFailed { .. } => "PinStoreFailed",
            TlsEvent::PeerClosed => "PeerClosed",
            TlsEvent::Closed => "Closed",
            _ => "Other",
        })
        .collect()
}

fn flow_one(
    from: &mut TlsConnection,
    to: &mut TlsConnection,
    from_plain: &mut Vec<u8>,
    to_plain: &mut Vec<u8>,
    from_err: &mut Option<TlsError>,
    to_err: &mut Option<TlsError>,
    chunk: &mut dyn FnMut(usize) -> usize,
) -> bool {
    let mut moved = false;
    while let Some(out) = from.poll_transmit() {
        let avail = out.len();
        if to_err.is_some() {
            // The receiver has failed; what is sent to it is dropped.
            let _ = from.transmit_done(avail, |_| {});
            continue;
        }
        let room = to.recv_buf().len();
        if room == 0 {
            break;
        }
        let k = chunk(avail.min(room));
        let out = from.poll_transmit().unwrap();
        to.recv_buf()[..k].copy_from_slice(&out[..k]);
        moved = true;
        if let Err(e) = from.transmit_done(k, |p| from_plain.extend_from_slice(p)) {
            from_err.get_or_insert(e);
        }
        if let Err(e) = to.handle_read(k, |p| to_plain.extend_from_slice(p)) {
            to_err.get_or_insert(e);
        }
    }
    moved
}
