//! Our server against rustls' own buffered client, forced to TLS 1.2: checks the 1.2 path
//! (R4975-231 as updated by RFC 8996) and that our framing interoperates with a stock
//! rustls peer.
#![cfg(feature = "tls")]

mod tls_util;

use std::io::{Read, Write};
use std::sync::Arc;

use msrp_proto::tls::{TlsConnection, TlsEvent, TlsServerConfig, TlsVersion};
use rustls::pki_types::{CertificateDer, ServerName};
use tls_util::{JAN_2025, TestCa};

/// rustls' own time-provider trait, injected so certificate dates do not depend on the
/// machine's clock.
#[derive(Debug)]
struct Jan2025;

impl rustls::time_provider::TimeProvider for Jan2025 {
    fn current_time(&self) -> Option<rustls::pki_types::UnixTime> {
        Some(rustls::pki_types::UnixTime::since_unix_epoch(JAN_2025))
    }
}

#[test]
fn r4975_231_tls12_with_stock_rustls_client() {
    let ca = TestCa::new("Test CA");
    let mut server =
        TlsConnection::server(&TlsServerConfig::by_name(ca.leaf(&["relay.example.com"]))).unwrap();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(CertificateDer::from(ca.der.clone())).unwrap();
    let config = rustls::ClientConfig::builder_with_details(
        Arc::new(rustls::crypto::ring::default_provider()),
        Arc::new(Jan2025),
    )
    .with_protocol_versions(&[&rustls::version::TLS12])
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let mut client = rustls::ClientConnection::new(
        Arc::new(config),
        ServerName::try_from("relay.example.com").unwrap(),
    )
    .unwrap();
    client
        .writer()
        .write_all(b"MSRP a SEND\r\n-------a$\r\n")
        .unwrap();
    let mut server_plain = Vec::new();
    let mut client_plain = Vec::new();
    let mut wire = Vec::new();
    for _ in 0..20 {
        wire.clear();
        while client.wants_write() {
            client.write_tls(&mut wire).unwrap();
        }
        let mut off = 0;
        while off < wire.len() {
            let buf = server.recv_buf();
            let k = buf.len().min(wire.len() - off);
            buf[..k].copy_from_slice(&wire[off..off + k]);
            off += k;
            server
                .handle_read(k, |p| server_plain.extend_from_slice(p))
                .unwrap();
        }
        if !server.is_handshaking() && server_plain.is_empty() {
            let _ = server.write_plaintext(b"MSRP a 200 OK\r\n-------a$\r\n");
        }
        while let Some(out) = server.poll_transmit() {
            let n = out.len();
            let mut rd = out;
            while !rd.is_empty() {
                client.read_tls(&mut rd).unwrap();
            }
            server
                .transmit_done(n, |p| server_plain.extend_from_slice(p))
                .unwrap();
            client.process_new_packets().unwrap();
        }
        let _ = client.reader().read_to_end(&mut client_plain);
    }
    assert_eq!(server.version(), Some(TlsVersion::Tls12));
    assert!(matches!(
        server.poll_event(),
        Some(TlsEvent::HandshakeComplete {
            version: TlsVersion::Tls12,
            peer_fingerprint: None
        })
    ));
    assert_eq!(server_plain, b"MSRP a SEND\r\n-------a$\r\n");
    assert_eq!(client_plain, b"MSRP a 200 OK\r\n-------a$\r\n");
}
