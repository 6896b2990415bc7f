//! In-memory throughput of MSRP SEND chunks through our sans-IO TLS layer versus rustls'
//! own buffered `ClientConnection`/`ServerConnection` pair, same data, same run.
//!
//! Both sides model the socket the same way: ciphertext goes into a `wire` vector and is
//! read back from it. The variants are interleaved round-robin and the median per-round
//! ratio is printed as `ratio tls_vs_rustls_buffered <value>` (target >= 0.9).
//!
//! Run: `cargo bench -p msrp-proto --bench tls`.
#![allow(clippy::disallowed_methods)] // a benchmark measures wall-clock time

use std::io::{Read, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use msrp_proto::tls::{
    HashAlgorithm, LocalCertificate, TlsClientConfig, TlsConnection, TlsServerConfig,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};

const BODY: usize = 16 * 1024;
const CHUNKS_PER_ROUND: usize = 128; // 2 MiB of body per variant per round
// Many short rounds: the median of per-round ratios shrugs off bursts of noise from
// other tenants of a shared machine.
const ROUNDS: usize = 101;

/// One SEND chunk: headers, a 16 KiB printable body with CRLF every 76 bytes, end-line.
fn send_chunk(i: usize) -> Vec<u8> {
    let start = i * BODY + 1;
    let end = start + BODY - 1;
    let mut m = format!(
        "MSRP t{i:07} SEND\r\nTo-Path: msrps://b.example.com:2855/s;tcp\r\n\
         From-Path: msrps://a.example.com:2855/s;tcp\r\nMessage-ID: m1\r\n\
         Byte-Range: {start}-{end}/*\r\nContent-Type: text/plain\r\n\r\n"
    )
    .into_bytes();
    m.extend((0..BODY).map(|j| {
        if j % 78 >= 76 {
            b"\r\n"[j % 78 - 76]
        } else {
            b'a' + (j % 26) as u8
        }
    }));
    m.extend_from_slice(format!("\r\n-------t{i:07}+\r\n").as_bytes());
    m
}

fn ours_pair(c: &LocalCertificate, s: &LocalCertificate) -> (TlsConnection, TlsConnection) {
    let client = TlsClientConfig::by_fingerprint(
        "b.example.com",
        c.clone(),
        &[s.fingerprint(HashAlgorithm::Sha256)],
    )
    .unwrap();
    let server =
        TlsServerConfig::by_fingerprint(s.clone(), &[c.fingerprint(HashAlgorithm::Sha256)])
            .unwrap();
    let mut cl = TlsConnection::client(&client).unwrap();
    let mut sv = TlsConnection::server(&server).unwrap();
    for _ in 0..10 {
        pump(&mut cl, &mut sv, &mut Vec::new(), &mut 0);
        pump(&mut sv, &mut cl, &mut Vec::new(), &mut 0);
    }
    assert!(!cl.is_handshaking() && !sv.is_handshaking());
    (cl, sv)
}

/// Moves everything `from` has to send through `wire` into `to`.
fn pump(from: &mut TlsConnection, to: &mut TlsConnection, wire: &mut Vec<u8>, got: &mut usize) {
    while let Some(out) = from.poll_transmit() {
        wire.clear();
        wire.extend_from_slice(out);
        let n = out.len();
        from.transmit_done(n, |_| {}).unwrap();
        let mut off = 0;
        while off < wire.len() {
            let buf = to.recv_buf();
            let k = buf.len().min(wire.len() - off);
            buf[..k].copy_from_slice(&wire[off..off + k]);
            off += k;
            to.handle_read(k, |p| *got += std::hint::black_box(p).len())
                .unwrap();
        }
    }
}

fn run_ours(cl: &mut TlsConnection, sv: &mut TlsConnection, chunks: &[Vec<u8>]) -> Duration {
    let mut wire = Vec::with_capacity(64 * 1024);
    let mut got = 0;
    let total: usize = chunks.iter().map(Vec::len).sum();
    let t = Instant::now();
    for chunk in chunks {
        let mut off = 0;
        while off < chunk.len() {
            off += cl.write_plaintext(&chunk[off..]).unwrap();
            pump(cl, sv, &mut wire, &mut got);
        }
    }
    let d = t.elapsed();
    assert_eq!(got, total);
    d
}

fn buffered_pair(
    s: &LocalCertificate,
    key_pkcs8: &[u8],
) -> (rustls::Connection, rustls::Connection) {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from(s.certificate_der().to_vec()))
        .unwrap();
    let client = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key_pkcs8.to_vec()));
    let server = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(s.certificate_der().to_vec())],
            key,
        )
        .unwrap();
    let mut cl = rustls::Connection::from(
        rustls::ClientConnection::new(
            Arc::new(client),
            ServerName::try_from("bench.example").unwrap(),
        )
        .unwrap(),
    );
    let mut sv = rustls::Connection::from(rustls::ServerConnection::new(Arc::new(server)).unwrap());
    let mut wire = Vec::new();
    let mut sink = vec![0; 64 * 1024];
    for _ in 0..10 {
        buffered_pump(&mut cl, &mut sv, &mut wire, &mut sink, &mut 0);
        buffered_pump(&mut sv, &mut cl, &mut wire, &mut sink, &mut 0);
    }
    assert!(!cl.is_handshaking() && !sv.is_handshaking());
    (cl, sv)
}

fn buffered_pump(
    from: &mut rustls::Connection,
    to: &mut rustls::Connection,
    wire: &mut Vec<u8>,
    plain: &mut [u8],
    got: &mut usize,
) {
    while from.wants_write() {
        wire.clear();
        from.write_tls(wire).unwrap();
        let mut rd = &wire[..];
        while !rd.is_empty() {
            to.read_tls(&mut rd).unwrap();
            to.process_new_packets().unwrap();
            loop {
                match to.reader().read(plain) {
                    Ok(0) => break,
                    Ok(n) => *got += std::hint::black_box(&plain[..n]).len(),
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                    Err(e) => panic!("{e}"),
                }
            }
        }
    }
}

fn run_buffered(
    cl: &mut rustls::Connection,
    sv: &mut rustls::Connection,
    chunks: &[Vec<u8>],
) -> Duration {
    let mut wire = Vec::with_capacity(64 * 1024);
    let mut plain = vec![0; 64 * 1024];
    let mut got = 0;
    let total: usize = chunks.iter().map(Vec::len).sum();
    let t = Instant::now();
    for chunk in chunks {
        cl.writer().write_all(chunk).unwrap();
        buffered_pump(cl, sv, &mut wire, &mut plain, &mut got);
    }
    let d = t.elapsed();
    assert_eq!(got, total);
    d
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let chunks: Vec<Vec<u8>> = (0..CHUNKS_PER_ROUND).map(send_chunk).collect();
    let bytes: usize = chunks.iter().map(Vec::len).sum();
    let c = LocalCertificate::generate_self_signed(&[]).unwrap();
    // The buffered pair needs the key, which LocalCertificate keeps to itself.
    let generated = rcgen::generate_simple_self_signed(vec!["bench.example".to_owned()]).unwrap();
    let key = generated.signing_key.serialize_der();
    let s = LocalCertificate::from_der(vec![generated.cert.der().to_vec()], key.clone()).unwrap();
    let (mut ocl, mut osv) = ours_pair(&c, &s);
    let (mut bcl, mut bsv) = buffered_pair(&s, &key);
    // Warm-up.
    run_ours(&mut ocl, &mut osv, &chunks[..32]);
    run_buffered(&mut bcl, &mut bsv, &chunks[..32]);
    let (mut ours, mut theirs, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        // Alternate which variant goes first, so neither always runs on a warmer cache.
        let (o, b) = if round % 2 == 0 {
            let o = run_ours(&mut ocl, &mut osv, &chunks);
            (o, run_buffered(&mut bcl, &mut bsv, &chunks))
        } else {
            let b = run_buffered(&mut bcl, &mut bsv, &chunks);
            (run_ours(&mut ocl, &mut osv, &chunks), b)
        };
        let (o, b) = (o.as_secs_f64(), b.as_secs_f64());
        ours.push(bytes as f64 / o / 1e9);
        theirs.push(bytes as f64 / b / 1e9);
        ratios.push(b / o);
    }
    println!(
        "msrp SEND chunks, {} KiB body, {} MiB per round, {ROUNDS} rounds",
        BODY / 1024,
        bytes >> 20
    );
    println!(
        "ours (unbuffered seam)     {:.3} GB/s (median)",
        median(ours)
    );
    println!(
        "rustls buffered pair       {:.3} GB/s (median)",
        median(theirs)
    );
    println!("ratio tls_vs_rustls_buffered {:.3}", median(ratios));
}
