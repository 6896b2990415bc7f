//! Handshakes between two sans-IO TLS endpoints: name-based and fingerprint-based
//! authentication, pinning, protocol versions. No sockets; certificate time is injected.
#![cfg(feature = "tls")]

mod tls_util;

use std::sync::Arc;

use msrp_proto::tls::{
    Alert, ConfigError, Fingerprint, HashAlgorithm, LocalCertificate, MemoryFingerprintStore,
    TlsClientConfig, TlsConnection, TlsError, TlsEvent, TlsServerConfig, TlsVersion,
};
use tls_util::{JAN_2025, JAN_2027, Pair, Split, TestCa, clock, names};

fn name_pair(
    ca: &TestCa,
    leaf_names: &[&str],
    dial: &str,
    at: std::time::Duration,
    split: Split,
) -> Pair {
    let server = TlsServerConfig::by_name(ca.leaf(leaf_names));
    let client = TlsClientConfig::by_name(dial, ca.roots(), clock(at)).unwrap();
    let mut pair = Pair::new(
        TlsConnection::client(&client).unwrap(),
        TlsConnection::server(&server).unwrap(),
        split,
    );
    pair.run();
    pair
}

fn self_signed() -> LocalCertificate {
    LocalCertificate::generate_self_signed(&[]).unwrap()
}

fn fp(c: &LocalCertificate) -> Fingerprint {
    c.fingerprint(HashAlgorithm::Sha256)
}

fn fingerprint_pair(
    client_cert: &LocalCertificate,
    server_cert: &LocalCertificate,
    client_expects: &[Fingerprint],
    server_expects: &[Fingerprint],
    split: Split,
) -> Pair {
    let client =
        TlsClientConfig::by_fingerprint("peer.example", client_cert.clone(), client_expects)
            .unwrap();
    let server = TlsServerConfig::by_fingerprint(server_cert.clone(), server_expects).unwrap();
    let mut pair = Pair::new(
        TlsConnection::client(&client).unwrap(),
        TlsConnection::server(&server).unwrap(),
        split,
    );
    pair.run();
    pair
}

#[test]
fn r4975_026_name_based_ok() {
    let ca = TestCa::new("Test CA");
    let pair = name_pair(
        &ca,
        &["relay.example.com"],
        "relay.example.com",
        JAN_2025,
        Split::Whole,
    );
    assert!(
        pair.handshake_ok(),
        "{:?} {:?}",
        pair.client_error,
        pair.server_error
    );
    assert_eq!(names(&pair.client_events), ["HandshakeComplete"]);
    assert_eq!(names(&pair.server_events), ["HandshakeComplete"]);
    assert_eq!(pair.client.version(), Some(TlsVersion::Tls13));
    // R4976-067: a client talking to a relay presents no certificate.
    assert!(matches!(
        pair.server_events[0],
        TlsEvent::HandshakeComplete {
            peer_fingerprint: None,
            ..
        }
    ));
    assert!(matches!(
        pair.client_events[0],
        TlsEvent::HandshakeComplete {
            peer_fingerprint: Some(_),
            ..
        }
    ));
}

#[test]
fn r4975_026_name_based_ok_with_records_split_at_every_byte() {
    let ca = TestCa::new("Test CA");
    let pair = name_pair(
        &ca,
        &["relay.example.com"],
        "relay.example.com",
        JAN_2025,
        Split::Every(1),
    );
    assert!(
        pair.handshake_ok(),
        "{:?} {:?}",
        pair.client_error,
        pair.server_error
    );
}

#[test]
fn r4975_026_ip_address_san_matches() {
    let ca = TestCa::new("Test CA");
    let pair = name_pair(
        &ca,
        &["192.0.2.7", "2001:db8::1"],
        "192.0.2.7",
        JAN_2025,
        Split::Whole,
    );
    assert!(pair.handshake_ok(), "{:?}", pair.client_error);
    let pair = name_pair(
        &ca,
        &["192.0.2.7", "2001:db8::1"],
        "[2001:db8::1]",
        JAN_2025,
        Split::Whole,
    );
    assert!(pair.handshake_ok(), "{:?}", pair.client_error);
    let pair = name_pair(&ca, &["192.0.2.7"], "192.0.2.8", JAN_2025, Split::Whole);
    assert_eq!(pair.client_error, Some(TlsError::NameMismatch));
}

#[test]
fn r4975_026_name_mismatch_rejected_with_bad_certificate() {
    let ca = TestCa::new("Test CA");
    let pair = name_pair(
        &ca,
        &["relay.example.com"],
        "other.example.com",
        JAN_2025,
        Split::Whole,
    );
    assert_eq!(pair.client_error, Some(TlsError::NameMismatch));
    assert_eq!(
        pair.server_error,
        Some(TlsError::AlertReceived(Alert::BAD_CERTIFICATE))
    );
    assert!(pair.client_events.is_empty());
    assert!(pair.server_plain.is_empty() && pair.client_plain.is_empty());
}

#[test]
fn r4975_026_expired_certificate_rejected() {
    let ca = TestCa::new("Test CA");
    let pair = name_pair(
        &ca,
        &["relay.example.com"],
        "relay.example.com",
        JAN_2027,
        Split::Whole,
    );
    assert_eq!(pair.client_error, Some(TlsError::CertificateExpired));
    assert_eq!(pair.server_error, Some(TlsError::AlertReceived(Alert(45))));
}

#[test]
fn r4975_026_untrusted_issuer_rejected() {
    let ca = TestCa::new("Test CA");
    let other = TestCa::new("Other CA");
    let server = TlsServerConfig::by_name(ca.leaf(&["relay.example.com"]));
    let client =
        TlsClientConfig::by_name("relay.example.com", other.roots(), clock(JAN_2025)).unwrap();
    let mut pair = Pair::new(
        TlsConnection::client(&client).unwrap(),
        TlsConnection::server(&server).unwrap(),
        Split::Whole,
    );
    pair.run();
    assert_eq!(pair.client_error, Some(TlsError::UntrustedIssuer));
}

#[test]
fn r4975_026_sticky_error_repeats() {
    let ca = TestCa::new("Test CA");
    let mut pair = name_pair(
        &ca,
        &["relay.example.com"],
        "bad.example.com",
        JAN_2025,
        Split::Whole,
    );
    assert_eq!(pair.client.error(), Some(&TlsError::NameMismatch));
    assert_eq!(
        pair.client.handle_read(0, |_| {}),
        Err(TlsError::NameMismatch)
    );
    assert_eq!(
        pair.client.write_plaintext(b"x"),
        Err(TlsError::NameMismatch)
    );
    assert_eq!(pair.client.close(), Err(TlsError::NameMismatch));
}

#[test]
fn r4975_234_fingerprint_ok_both_directions() {
    let (c, s) = (self_signed(), self_signed());
    let pair = fingerprint_pair(&c, &s, &[fp(&s)], &[fp(&c)], Split::Whole);
    assert!(
        pair.handshake_ok(),
        "{:?} {:?}",
        pair.client_error,
        pair.server_error
    );
    assert_eq!(
        pair.client_events,
        [TlsEvent::HandshakeComplete {
            version: TlsVersion::Tls13,
            peer_fingerprint: Some(fp(&s))
        }]
    );
    assert_eq!(
        pair.server_events,
        [TlsEvent::HandshakeComplete {
            version: TlsVersion::Tls13,
            peer_fingerprint: Some(fp(&c))
        }]
    );
}

#[test]
fn r4975_234_fingerprint_ok_split_at_every_byte_and_random() {
    let (c, s) = (self_signed(), self_signed());
    let pair = fingerprint_pair(&c, &s, &[fp(&s)], &[fp(&c)], Split::Every(1));
    assert!(
        pair.handshake_ok(),
        "{:?} {:?}",
        pair.client_error,
        pair.server_error
    );
    for seed in 0..20 {
        let pair = fingerprint_pair(
            &c,
            &s,
            &[fp(&s)],
            &[fp(&c)],
            Split::Random { seed, max: 300 },
        );
        assert!(pair.handshake_ok(), "seed {seed}");
    }
}

#[test]
fn r8122_005_other_hash_functions_accepted() {
    let (c, s) = (self_signed(), self_signed());
    for alg in [
        HashAlgorithm::Sha1,
        HashAlgorithm::Sha384,
        HashAlgorithm::Sha512,
    ] {
        let pair = fingerprint_pair(
            &c,
            &s,
            &[s.fingerprint(alg)],
            &[c.fingerprint(alg)],
            Split::Whole,
        );
        assert!(pair.handshake_ok(), "{alg}");
    }
}

#[test]
fn r4975_234_fingerprint_mismatch_closes() {
    let (c, s, wrong) = (self_signed(), self_signed(), self_signed());
    let mut pair = fingerprint_pair(&c, &s, &[fp(&wrong)], &[fp(&c)], Split::Whole);
    assert_eq!(
        pair.client_error,
        Some(TlsError::FingerprintMismatch { presented: fp(&s) })
    );
    // R8122-006: the client aborts with bad_certificate.
    assert_eq!(
        pair.server_error,
        Some(TlsError::AlertReceived(Alert::BAD_CERTIFICATE))
    );
    assert!(pair.client_events.is_empty());
    // No data is delivered after a mismatch.
    assert_eq!(
        pair.server.write_plaintext(b"MSRP"),
        Err(TlsError::AlertReceived(Alert::BAD_CERTIFICATE))
    );
    assert!(pair.client_plain.is_empty());
}

#[test]
fn r8122_007_server_checks_client_fingerprint() {
    let (c, s, wrong) = (self_signed(), self_signed(), self_signed());
    let mut pair = fingerprint_pair(&c, &s, &[fp(&s)], &[fp(&wrong)], Split::Whole);
    assert_eq!(
        pair.server_error,
        Some(TlsError::FingerprintMismatch { presented: fp(&c) })
    );
    // In TLS 1.3 the client finishes first, then learns of the rejection by alert; whatever
    // it wrote meanwhile is never delivered.
    let _ = pair.client.write_plaintext(b"MSRP a786hjs2 SEND\r\n");
    pair.run();
    assert_eq!(
        pair.client_error,
        Some(TlsError::AlertReceived(Alert::BAD_CERTIFICATE))
    );
    assert!(pair.server_plain.is_empty());
    assert!(!names(&pair.server_events).contains(&"HandshakeComplete"));
}

#[test]
fn r8122_007_client_without_certificate_refused() {
    // A client that trusts the server's self-signed certificate by name but presents none.
    let s = LocalCertificate::generate_self_signed(&["peer.example"]).unwrap();
    let mut roots = msrp_proto::tls::TrustRoots::new();
    roots.add_der(s.certificate_der()).unwrap();
    let client = TlsClientConfig::by_name("peer.example", roots, clock(JAN_2025)).unwrap();
    let server = TlsServerConfig::by_fingerprint(s.clone(), &[fp(&self_signed())]).unwrap();
    let mut pair = Pair::new(
        TlsConnection::client(&client).unwrap(),
        TlsConnection::server(&server).unwrap(),
        Split::Whole,
    );
    pair.run();
    assert_eq!(pair.server_error, Some(TlsError::NoCertificate));
    assert!(
        matches!(pair.client_error, Some(TlsError::AlertReceived(_))),
        "{:?}",
        pair.client_error
    );
}

#[test]
fn r4975_027_fingerprint_mode_needs_fingerprints() {
    let c = self_signed();
    assert_eq!(
        TlsClientConfig::by_fingerprint("peer.example", c.clone(), &[]).unwrap_err(),
        ConfigError::NoUsableFingerprint
    );
    assert_eq!(
        TlsServerConfig::by_fingerprint(c, &[]).unwrap_err(),
        ConfigError::NoUsableFingerprint
    );
}

#[test]
fn r6714_028_changed_fingerprint_warns_once() {
    let store = Arc::new(MemoryFingerprintStore::new());
    let c = self_signed();
    let run = |s: &LocalCertificate| {
        let client = TlsClientConfig::by_fingerprint("bob.example", c.clone(), &[fp(s)])
            .unwrap()
            .with_pinning("sip:bob@example.com", store.clone());
        let server = TlsServerConfig::by_fingerprint(s.clone(), &[fp(&c)]).unwrap();
        let mut pair = Pair::new(
            TlsConnection::client(&client).unwrap(),
            TlsConnection::server(&server).unwrap(),
            Split::Whole,
        );
        pair.run();
        assert!(pair.handshake_ok());
        pair.client_events
    };
    let (s1, s2) = (self_signed(), self_signed());
    assert_eq!(names(&run(&s1)), ["HandshakeComplete"]);
    assert_eq!(names(&run(&s1)), ["HandshakeComplete"]);
    let events = run(&s2);
    assert_eq!(names(&events), ["HandshakeComplete", "FingerprintChanged"]);
    assert_eq!(
        events[1],
        TlsEvent::FingerprintChanged {
            identity: "sip:bob@example.com".into(),
            previous: fp(&s1),
            current: fp(&s2),
        }
    );
    assert_eq!(names(&run(&s2)), ["HandshakeComplete"]);
}

/// A TLS 1.1 ClientHello: legacy version 3.2, no supported_versions extension.
///
/// It carries signature_algorithms (which real TLS 1.1 stacks do not send: rustls then
/// fails earlier, on the missing extension, and we report that as a protocol error).
fn tls11_client_hello() -> Vec<u8> {
    let mut body = vec![0x03, 0x02];
    body.extend_from_slice(&[7; 32]); // random
    body.push(0); // session id
    body.extend_from_slice(&[0x00, 0x04, 0xc0, 0x13, 0xc0, 0x14]); // ECDHE-RSA-AES-CBC-SHA
    body.extend_from_slice(&[0x01, 0x00]); // null compression
    let ext = [
        0x00, 0x0d, 0x00, 0x04, 0x00, 0x02, 0x04, 0x03, // signature_algorithms
        0x00, 0x0a, 0x00, 0x04, 0x00, 0x02, 0x00, 0x17, // supported_groups: secp256r1
        0x00, 0x0b, 0x00, 0x02, 0x01, 0x00, // ec_point_formats: uncompressed
    ];
    body.extend_from_slice(&[0, ext.len() as u8]);
    body.extend_from_slice(&ext);
    let mut hs = vec![0x01, 0, 0, body.len() as u8];
    hs.extend_from_slice(&body);
    let mut rec = vec![0x16, 0x03, 0x01, 0, hs.len() as u8];
    rec.extend_from_slice(&hs);
    rec
}

#[test]
fn r4975_231_r4976_064_tls11_client_refused() {
    let s = self_signed();
    let server = TlsServerConfig::by_fingerprint(s, &[fp(&self_signed())]).unwrap();
    let mut server = TlsConnection::server(&server).unwrap();
    let hello = tls11_client_hello();
    server.recv_buf()[..hello.len()].copy_from_slice(&hello);
    assert_eq!(
        server.handle_read(hello.len(), |_| {}),
        Err(TlsError::ProtocolVersion)
    );
    // A fatal alert is queued for the peer.
    let alert = server.poll_transmit().expect("alert");
    assert_eq!(alert[0], 0x15, "alert record");
    assert_eq!(alert[alert.len() - 1], 70, "protocol_version");
}

#[test]
fn r4975_231_r4976_064_tls11_server_refused() {
    let c = self_signed();
    let client = TlsClientConfig::by_fingerprint("peer.example", c, &[fp(&self_signed())]).unwrap();
    let mut client = TlsConnection::client(&client).unwrap();
    let hello = client.poll_transmit().expect("ClientHello").len();
    client.transmit_done(hello, |_| {}).unwrap();
    // ServerHello choosing TLS 1.1.
    let mut body = vec![0x03, 0x02];
    body.extend_from_slice(&[9; 32]);
    body.push(0);
    body.extend_from_slice(&[0xc0, 0x13, 0x00]);
    let mut rec = vec![
        0x16,
        0x03,
        0x02,
        0,
        body.len() as u8 + 4,
        0x02,
        0,
        0,
        body.len() as u8,
    ];
    rec.extend_from_slice(&body);
    client.recv_buf()[..rec.len()].copy_from_slice(&rec);
    assert_eq!(
        client.handle_read(rec.len(), |_| {}),
        Err(TlsError::ProtocolVersion)
    );
}

#[test]
fn hostile_bytes_give_typed_errors_not_panics() {
    let mut rng = msrp_proto::rand::SeededRandom::new(42);
    for i in 0..300 {
        let s = if i % 2 == 0 {
            TlsServerConfig::by_name(
                LocalCertificate::generate_self_signed(&["x.example"]).unwrap(),
            )
        } else {
            TlsServerConfig::by_fingerprint(self_signed(), &[fp(&self_signed())]).unwrap()
        };
        let mut server = TlsConnection::server(&s).unwrap();
        let mut junk = vec![0u8; 1 + (rng.next_u64() % 600) as usize];
        for b in &mut junk {
            *b = rng.next_u64() as u8;
        }
        if i % 3 == 0 {
            // A plausible handshake record header followed by junk.
            junk[..3].copy_from_slice(&[0x16, 0x03, 0x03]);
        }
        let n = junk.len().min(server.recv_buf().len());
        server.recv_buf()[..n].copy_from_slice(&junk[..n]);
        match server.handle_read(n, |_| panic!("plaintext from junk")) {
            Ok(()) => assert!(server.is_handshaking()),
            Err(e) => assert_eq!(server.error(), Some(&e)),
        }
    }
}

/// rustls' own `TimeProvider` is accepted wherever a `WallClock` is expected.
#[derive(Debug)]
struct RustlsClock(std::time::Duration);

impl rustls::time_provider::TimeProvider for RustlsClock {
    fn current_time(&self) -> Option<rustls::pki_types::UnixTime> {
        Some(rustls::pki_types::UnixTime::since_unix_epoch(self.0))
    }
}

#[test]
fn r4975_026_rustls_time_provider_injected() {
    let ca = TestCa::new("Test CA");
    for (at, ok) in [(JAN_2025, true), (JAN_2027, false)] {
        let server = TlsServerConfig::by_name(ca.leaf(&["relay.example.com"]));
        let client =
            TlsClientConfig::by_name("relay.example.com", ca.roots(), Arc::new(RustlsClock(at)))
                .unwrap();
        let mut pair = Pair::new(
            TlsConnection::client(&client).unwrap(),
            TlsConnection::server(&server).unwrap(),
            Split::Whole,
        );
        pair.run();
        assert_eq!(pair.handshake_ok(), ok);
    }
}

/// R4975-231 / R4976-064: a client dialling by name sends SNI with that name in its
/// ClientHello; dialling an IP address it sends none (SNI carries DNS names only).
#[test]
fn r4975_231_r4976_064_client_hello_carries_sni_for_names() {
    let ca = TestCa::new("Test CA");
    let hello = |host: &str| {
        let cfg = TlsClientConfig::by_name(host, ca.roots(), clock(JAN_2025)).unwrap();
        let mut c = TlsConnection::client(&cfg).unwrap();
        let mut out = Vec::new();
        while let Some(b) = c.poll_transmit() {
            out.extend_from_slice(b);
            let n = b.len();
            c.transmit_done(n, |_| {}).unwrap();
        }
        out
    };
    let find = |hay: &[u8], needle: &[u8]| hay.windows(needle.len()).any(|w| w == needle);
    let named = hello("relay.example.com");
    assert_eq!(named[0], 0x16, "a handshake record");
    assert!(find(&named, b"relay.example.com"), "SNI present");
    let by_ip = hello("192.0.2.1");
    assert!(!by_ip.is_empty());
    assert!(!find(&by_ip, b"192.0.2.1"), "no SNI for an IP address");
}

/// A relay's TLS listener with peer relays: relay A dials B presenting its certificate.
fn relay_pair(ca_b_trusts: &TestCa, a_cert: Option<LocalCertificate>) -> Pair {
    let ca = TestCa::new("Relay CA");
    let server = TlsServerConfig::by_name(ca.leaf(&["b.example.net"]))
        .with_peer_relays(ca_b_trusts.roots(), clock(JAN_2025));
    let mut client =
        TlsClientConfig::by_name("b.example.net", ca.roots(), clock(JAN_2025)).unwrap();
    if let Some(c) = a_cert {
        client = client.with_client_certificate(c);
    }
    let mut pair = Pair::new(
        TlsConnection::client(&client).unwrap(),
        TlsConnection::server(&server).unwrap(),
        Split::Whole,
    );
    pair.run();
    pair
}

/// R4976-022, R4976-065: relay↔relay connections are mutually authenticated; the
/// listener learns which names the dialling relay's certificate vouches for.
#[test]
fn r4976_022_r4976_065_listener_accepts_peer_relay_certificate() {
    let peers = TestCa::new("Peer relay CA");
    let pair = relay_pair(
        &peers,
        Some(peers.leaf(&["a.example.org", "*.farm.example.org"])),
    );
    assert!(
        pair.handshake_ok(),
        "{:?} {:?}",
        pair.client_error,
        pair.server_error
    );
    let id = pair
        .server
        .peer_identity()
        .expect("a verified client certificate");
    assert!(id.is_valid_for("a.example.org"));
    assert!(id.is_valid_for("A.EXAMPLE.ORG"));
    assert!(id.is_valid_for("r2.farm.example.org"));
    assert!(!id.is_valid_for("b.example.net"));
    assert!(!id.is_valid_for("example.org"));
    assert!(!id.is_valid_for("192.0.2.1"));
    assert!(!id.is_valid_for("not a host"));
    // The dialling side knows who it reached, by the same check.
    let server_id = pair
        .client
        .peer_identity()
        .expect("the server was verified by name");
    assert!(server_id.is_valid_for("b.example.net"));
}

/// R4976-022, R4976-067: a client that presents no certificate is an ordinary client.
#[test]
fn r4976_022_listener_accepts_client_without_certificate() {
    let peers = TestCa::new("Peer relay CA");
    let pair = relay_pair(&peers, None);
    assert!(
        pair.handshake_ok(),
        "{:?} {:?}",
        pair.client_error,
        pair.server_error
    );
    assert!(pair.server.peer_identity().is_none());
}

/// R4976-065: a certificate the listener does not trust fails the handshake.
#[test]
fn r4976_065_listener_refuses_untrusted_relay_certificate() {
    let peers = TestCa::new("Peer relay CA");
    let stranger = TestCa::new("Someone else");
    let pair = relay_pair(&peers, Some(stranger.leaf(&["a.example.org"])));
    assert!(!pair.handshake_ok());
    assert!(pair.server.peer_identity().is_none());
    assert!(
        matches!(pair.server_error, Some(TlsError::UntrustedIssuer)),
        "{:?}",
        pair.server_error
    );
}

/// Fingerprint mode never yields a name identity: the fingerprint is the identity.
#[test]
fn r4975_234_fingerprint_mode_has_no_name_identity() {
    let (a, b) = (self_signed(), self_signed());
    let pair = fingerprint_pair(&a, &b, &[fp(&b)], &[fp(&a)], Split::Whole);
    assert!(pair.handshake_ok());
    assert!(pair.server.peer_identity().is_none());
    assert!(pair.client.peer_identity().is_none());
}
