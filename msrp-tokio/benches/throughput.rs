//! Loopback throughput (perf target 5): MSRP through msrp-tokio vs raw tokio TCP, and over
//! TLS vs raw rustls (msrp-proto's unbuffered seam, same provider and suite) on tokio TCP.
//! Variants run interleaved, round by round; medians are reported.
//!
//! Threads: the sending side runs on the main thread (`block_on`), everything else on
//! the runtime's workers, one per core but the main thread's (`MSRP_BENCH_WORKERS`
//! overrides): as many busy threads as cores, the same budget as the smol bench (its
//! main thread plus smol's one executor thread). With a worker per core on top of the
//! main thread, the MSRP variants (three busy tasks: the sender, the receiving driver,
//! the receiving application) oversubscribe the cores and the TLS ratio swung between
//! 0.67 and 1.06 from one run to the next on a 2-core machine; the raw variants (two
//! busy tasks) do not.
//!
//! Run: `cargo bench -p msrp-tokio --bench throughput` (prints `ratio …` and `figure …`
//! lines; `MSRP_BENCH_MIB` sets the transfer size, default 1024, `MSRP_BENCH_ROUNDS` the
//! number of interleaved rounds, default 3, `MSRP_BENCH_PIECE_KIB` the engine's chunk
//! size and buffers instead of their defaults, `MSRP_BENCH_ONLY` the variants to run).

use std::time::Instant;

use msrp_proto::engine::OutgoingMessage;
use msrp_proto::tls::{
    Fingerprint, HashAlgorithm, LocalCertificate, TlsClientConfig, TlsConnection, TlsServerConfig,
};
use msrp_tokio::{Endpoint, EndpointConfig, SessionEvent, session_uri};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const PIECE: usize = 64 * 1024;

fn mib() -> usize {
    std::env::var("MSRP_BENCH_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1024)
}

/// Raw tokio TCP: `total` bytes in 64 KiB writes; returns seconds.
async fn raw_tcp(total: usize) -> f64 {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    let rx = tokio::spawn(async move {
        let (mut s, _) = l.accept().await.unwrap();
        let mut buf = vec![0u8; PIECE];
        let mut n = 0;
        while n < total {
            let k = s.read(&mut buf).await.unwrap();
            assert!(k > 0);
            n += k;
        }
    });
    let start = Instant::now();
    let mut s = TcpStream::connect(addr).await.unwrap();
    let buf = vec![b'x'; PIECE];
    let mut n = 0;
    while n < total {
        s.write_all(&buf).await.unwrap();
        n += PIECE;
    }
    rx.await.unwrap();
    start.elapsed().as_secs_f64()
}

/// A reader producing `left` bytes of text.
struct Source {
    left: usize,
}

impl tokio::io::AsyncRead for Source {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        // Filled in place, as the smol bench's source does (no allocation per read).
        let n = buf.remaining().min(self.left);
        buf.initialize_unfilled_to(n).fill(b'x');
        buf.advance(n);
        self.left -= n;
        std::task::Poll::Ready(Ok(()))
    }
}

/// Raw TLS: msrp-proto's `TlsConnection` (rustls unbuffered, the same provider and suite
/// the adapter uses) over tokio TCP, 64 KiB plaintext writes, no MSRP; returns seconds.
async fn raw_tls(total: usize) -> f64 {
    let (ca, cb) = certs();
    let server = TlsServerConfig::by_fingerprint(ca.clone(), &[fp(&cb)]).unwrap();
    let client = TlsClientConfig::by_fingerprint("127.0.0.1", cb, &[fp(&ca)]).unwrap();
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    let rx = tokio::spawn(async move {
        let (mut s, _) = l.accept().await.unwrap();
        let mut t = TlsConnection::server(&server).unwrap();
        let mut n = 0;
        while n < total {
            let k = s.read(t.recv_buf()).await.unwrap();
            assert!(k > 0);
            t.handle_read(k, |p| n += p.len()).unwrap();
            while let Some(out) = t.poll_transmit() {
                let k = s.write(out).await.unwrap();
                t.transmit_done(k, |p| n += p.len()).unwrap();
            }
        }
    });
    let start = Instant::now();
    let mut s = TcpStream::connect(addr).await.unwrap();
    let mut t = TlsConnection::client(&client).unwrap();
    let buf = vec![b'x'; PIECE];
    let mut sent = 0;
    let mut at = 0;
    while sent < total {
        let k = t.write_plaintext(&buf[at..]).unwrap();
        sent += k;
        at = (at + k) % PIECE;
        while let Some(out) = t.poll_transmit() {
            let k = s.write(out).await.unwrap();
            t.transmit_done(k, |_| {}).unwrap();
        }
        if k == 0 {
            // Handshake: read the server's flight.
            let k = s.read(t.recv_buf()).await.unwrap();
            t.handle_read(k, |_| {}).unwrap();
        }
    }
    rx.await.unwrap();
    start.elapsed().as_secs_f64()
}

fn certs() -> (LocalCertificate, LocalCertificate) {
    (
        LocalCertificate::generate_self_signed(&[]).unwrap(),
        LocalCertificate::generate_self_signed(&[]).unwrap(),
    )
}

fn fp(c: &LocalCertificate) -> Fingerprint {
    c.fingerprint(HashAlgorithm::Sha256)
}

/// 1 GiB (by default) as one pulled message through two msrp-tokio endpoints: the
/// engine's default pieces and chunks (128 KiB), the receiver's engine checking every
/// end-line.
async fn msrp(total: usize, tls: bool) -> f64 {
    let (ca, cb) = certs();
    let mut ecfg = msrp_proto::engine::Config::default();
    if let Some(k) = std::env::var("MSRP_BENCH_PIECE_KIB")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
    {
        ecfg.chunk_size = k << 10;
        ecfg.send_buffer = k << 10;
        ecfg.recv_buffer = k << 10;
    }
    let a = Endpoint::new(
        EndpointConfig::default()
            .with_engine(ecfg.clone())
            .with_certificate(ca.clone()),
    );
    let b = Endpoint::new(
        EndpointConfig::default()
            .with_engine(ecfg)
            .with_certificate(cb.clone()),
    );
    let addr = if tls {
        a.listen_tls("127.0.0.1:0".parse().unwrap()).await.unwrap()
    } else {
        a.listen("127.0.0.1:0".parse().unwrap()).await.unwrap()
    };
    let ua = session_uri(tls, "127.0.0.1", addr.port()).unwrap();
    let ub = session_uri(tls, "127.0.0.1", 9).unwrap();
    let mut sa = a
        .add_session(ua.clone(), vec![ub.clone()], None, &[fp(&cb)])
        .unwrap();
    let conn = if tls {
        let cfg = TlsClientConfig::by_fingerprint("127.0.0.1", cb, &[fp(&ca)]).unwrap();
        b.connect_tls(addr, &cfg).await.unwrap()
    } else {
        b.connect(addr).await.unwrap()
    };
    let sb = b.add_session(ub, vec![ua], Some(conn), &[fp(&ca)]).unwrap();
    let start = Instant::now();
    let rx = tokio::spawn(async move {
        let mut n = 0;
        while let Some(ev) = sa.next_event().await {
            match ev {
                SessionEvent::Data { bytes, .. } => n += bytes.len(),
                SessionEvent::MessageReceived {
                    bodiless: false, ..
                } => break,
                _ => {}
            }
        }
        assert_eq!(n, total);
    });
    let msg = OutgoingMessage::pulled("application/octet-stream", Some(total as u64));
    sb.send_reader(msg, msrp_tokio::compat(Source { left: total }), |_| {})
        .await
        .unwrap();
    rx.await.unwrap();
    start.elapsed().as_secs_f64()
}

const NAMES: [&str; 4] = ["raw_tcp", "tokio_tcp", "raw_tls", "tokio_tls"];

/// Whether variant `i` runs (`MSRP_BENCH_ONLY` lists the ones to run, e.g. `tokio_tls` to
/// profile one; default all).
fn wants(i: usize) -> bool {
    std::env::var("MSRP_BENCH_ONLY").map_or(true, |v| v.split(',').any(|n| n == NAMES[i]))
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    let workers = std::env::var("MSRP_BENCH_WORKERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(cores - 1)
        .max(1);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .unwrap();
    let total = mib() << 20;
    let rounds: usize = std::env::var("MSRP_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let mut t: [Vec<f64>; 4] = Default::default();
    rt.block_on(async {
        for _ in 0..rounds {
            if wants(0) {
                t[0].push(raw_tcp(total).await);
            }
            if wants(1) {
                t[1].push(msrp(total, false).await);
            }
            if wants(2) {
                t[2].push(raw_tls(total).await);
            }
            if wants(3) {
                t[3].push(msrp(total, true).await);
            }
        }
    });
    let mb: Vec<Option<f64>> = t
        .iter_mut()
        .map(|v| (!v.is_empty()).then(|| total as f64 / median(v) / 1e6))
        .collect();
    for (n, m) in NAMES.iter().zip(&mb) {
        if let Some(m) = m {
            println!("figure {n}_mb_per_s {m:.0}");
        }
    }
    if let (Some(raw), Some(ours)) = (mb[0], mb[1]) {
        println!("ratio tokio_tcp_vs_raw {:.2}", ours / raw);
    }
    if let (Some(raw), Some(ours)) = (mb[2], mb[3]) {
        println!("ratio tokio_tls_vs_raw {:.2}", ours / raw);
    }
}
