//! Relay forwarding throughput (issue: relays): SEND chunks from one client to another
//! through our relay (`msrp_tokio::relay::RelayServer`: parse, pop/push paths, re-chunk,
//! re-frame) vs through a plain tokio TCP copy proxy, on loopback in the same run. Both
//! receivers decode the MSRP stream they get. Prints `ratio relay_vs_tcp_copy <x>`
//! (target ≥ 0.5) and the MB/s of each.
//!
//! Run: `cargo bench -p msrp-tokio --bench relay` (`MSRP_BENCH_MIB`, default 256;
//! `MSRP_BENCH_ROUNDS`, default 3).

#![allow(clippy::disallowed_methods)] // a benchmark measures the real clock

use std::net::SocketAddr;
use std::time::Instant;

use msrp_proto::rand::OsRandom;
use msrp_proto::relay::server::{MemoryCredentials, RelayConfig};
use msrp_proto::relay::{AuthClient, AuthConfig, AuthEvent};
use msrp_proto::uri::Uri;
use msrp_proto::wire::{Decoder, Event};
use msrp_tokio::relay::RelayServer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const CHUNK: usize = 1 << 20;
const ALICE: &str = "msrp://127.0.0.1:7001/alice0sess1;tcp";
const BOB: &str = "msrp://127.0.0.1:7002/bob0sess22;tcp";

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `total` bytes as SEND chunks of 1 MiB with `Failure-Report: no` (nothing comes back).
fn frames(to: &str, total: usize) -> Vec<Vec<u8>> {
    let body = vec![b'x'; CHUNK];
    (0..total / CHUNK)
        .map(|i| {
            let tid = format!("c{i:07}");
            let last = (i + 1) * CHUNK == total;
            let mut v = format!(
                "MSRP {tid} SEND\r\nTo-Path: {to}\r\nFrom-Path: {ALICE}\r\nMessage-ID: big1\r\n\
                 Byte-Range: {}-{}/{total}\r\nFailure-Report: no\r\n\
                 Content-Type: application/octet-stream\r\n\r\n",
                i * CHUNK + 1,
                (i + 1) * CHUNK
            )
            .into_bytes();
            v.extend_from_slice(&body);
            v.extend_from_slice(
                format!("\r\n-------{tid}{}\r\n", if last { '$' } else { '+' }).as_bytes(),
            );
            v
        })
        .collect()
}

/// Reads and decodes until `total` body bytes arrived.
async fn sink(mut s: TcpStream, total: usize) {
    let mut buf = vec![0u8; 256 * 1024];
    let mut d = Decoder::default();
    let (mut start, mut end, mut got) = (0, 0, 0);
    while got < total {
        loop {
            match d.decode(&buf[start..end]).expect("valid MSRP") {
                (_, Event::NeedMore) => break,
                (n, Event::Body(b)) => {
                    got += b.len();
                    start += n;
                }
                (n, _) => start += n,
            }
        }
        if got >= total {
            break;
        }
        if start > 0 {
            buf.copy_within(start..end, 0);
            end -= start;
            start = 0;
        }
        let n = s.read(&mut buf[end..]).await.unwrap();
        assert!(n > 0, "closed early");
        end += n;
    }
}

async fn auth(s: &mut TcpStream, user: &str, relay: &str, own: &str) -> String {
    let mut cfg = AuthConfig::new(
        user,
        "pw",
        vec![Uri::parse(relay).unwrap()],
        Uri::parse(own).unwrap(),
    );
    cfg.allow_plain_tcp = true;
    let mut client = AuthClient::new(cfg).unwrap();
    let mut buf = Vec::new();
    loop {
        let mut out = Vec::new();
        if client
            .poll_transmit(Instant::now(), &mut OsRandom, &mut out)
            .is_some()
        {
            s.write_all(&out).await.unwrap();
        }
        loop {
            let mut d = Decoder::default();
            if let Ok((_, Event::Head(h))) = d.decode(&buf)
                && buf.windows(10).any(|w| w.starts_with(b"\r\n-------"))
            {
                let r = client.handle_response(Instant::now(), &h);
                buf.clear();
                match r {
                    Some(AuthEvent::Authenticated { use_path, .. }) => {
                        return use_path[0].as_str().to_owned();
                    }
                    Some(other) => panic!("{other:?}"),
                    None => break,
                }
            }
            let mut chunk = [0u8; 4096];
            let n = s.read(&mut chunk).await.unwrap();
            assert!(n > 0);
            buf.extend_from_slice(&chunk[..n]);
        }
    }
}

/// Through our relay; returns seconds.
async fn through_relay(total: usize) -> f64 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let authority = format!("msrp://127.0.0.1:{};tcp", addr.port());
    let mut cfg = RelayConfig::new(Uri::parse(&authority).unwrap());
    cfg.realm = "bench".into();
    let mut creds = MemoryCredentials::new();
    creds.insert_password("bench", "alice", "pw");
    creds.insert_password("bench", "bob", "pw");
    let relay = tokio::spawn(
        RelayServer::with_listener(listener, cfg, creds)
            .unwrap()
            .run(),
    );
    let mut a = TcpStream::connect(addr).await.unwrap();
    let mut b = TcpStream::connect(addr).await.unwrap();
    let ua = auth(&mut a, "alice", &authority, ALICE).await;
    let ub = auth(&mut b, "bob", &authority, BOB).await;
    let to = format!("{ua} {ub} {BOB}");
    let data = frames(&to, total);
    let start = Instant::now();
    let rx = tokio::spawn(sink(b, total));
    for f in &data {
        a.write_all(f).await.unwrap();
    }
    rx.await.unwrap();
    let t = start.elapsed().as_secs_f64();
    relay.abort();
    t
}

/// Through a plain TCP copy proxy; returns seconds.
async fn through_copy(total: usize) -> f64 {
    let sink_l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let sink_addr = sink_l.local_addr().unwrap();
    let proxy_l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy_addr: SocketAddr = proxy_l.local_addr().unwrap();
    let proxy = tokio::spawn(async move {
        let (mut inbound, _) = proxy_l.accept().await.unwrap();
        let mut outbound = TcpStream::connect(sink_addr).await.unwrap();
        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
    });
    let data = frames(BOB, total);
    let start = Instant::now();
    let rx = tokio::spawn(async move {
        let (s, _) = sink_l.accept().await.unwrap();
        sink(s, total).await;
    });
    let mut a = TcpStream::connect(proxy_addr).await.unwrap();
    for f in &data {
        a.write_all(f).await.unwrap();
    }
    rx.await.unwrap();
    let t = start.elapsed().as_secs_f64();
    proxy.abort();
    t
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let total = env("MSRP_BENCH_MIB", 256) << 20;
    let rounds = env("MSRP_BENCH_ROUNDS", 3);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let (mut relay, mut copy) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        copy.push(rt.block_on(through_copy(total)));
        relay.push(rt.block_on(through_relay(total)));
    }
    let (r, c) = (median(relay), median(copy));
    let mb = total as f64 / 1e6;
    println!("figure relay_mb_per_s {:.0}", mb / r);
    println!("figure tcp_copy_mb_per_s {:.0}", mb / c);
    println!("ratio relay_vs_tcp_copy {:.2}", c / r);
}
