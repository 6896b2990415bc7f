//! Hostile-input catalogue H-068: 10 000 connections sending garbage at once, through
//! msrp-tokio on loopback. Each must be closed by the endpoint (the engine reports it
//! `Malformed`), the endpoint's memory must stay bounded, and a legitimate session on
//! the same listener must work afterwards.
//!
//! The garbage clients run in a child process (this test binary again, test
//! `garbage_client`) so each process needs only N file descriptors; N is 10 000, or
//! less when `ulimit -n` is lower (the test says so; `.ci/run` raises the soft limit).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use msrp_tokio::{Endpoint, EndpointConfig, SessionEvent, session_uri};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const WANTED: usize = 10_000;

/// N: `MSRP_H068_N` if set (to try smaller runs), else 10 000.
fn wanted() -> usize {
    std::env::var("MSRP_H068_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(WANTED)
}

/// The soft limit on open files, from /proc (Linux).
fn open_files_limit() -> usize {
    std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|l| {
            l.lines()
                .find(|l| l.starts_with("Max open files"))
                .and_then(|l| l.split_whitespace().nth(3)?.parse().ok())
        })
        .unwrap_or(1024)
}

fn rss() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("Linux /proc");
    statm
        .split_whitespace()
        .nth(1)
        .unwrap()
        .parse::<u64>()
        .unwrap()
        * 4096
}

/// Garbage a connection sends: not an MSRP start line, then some binary noise.
fn garbage(i: usize) -> Vec<u8> {
    let mut g = format!("GET /{i} HTTP/1.1\r\nHost: x\r\n\r\n").into_bytes();
    g.extend((0..64).map(|k| (i * 31 + k * 7) as u8));
    g
}

/// The child: opens `MSRP_GARBAGE_N` connections to `MSRP_GARBAGE_ADDR`, all at once,
/// writes garbage on each, and counts those the server closed. Prints `closed <n>`.
#[test]
#[ignore = "run by h068_ten_thousand_garbage_connections in a child process"]
fn garbage_client() {
    let Ok(addr) = std::env::var("MSRP_GARBAGE_ADDR") else {
        return;
    };
    let n: usize = std::env::var("MSRP_GARBAGE_N").unwrap().parse().unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let closed = rt.block_on(async move {
        let mut tasks = tokio::task::JoinSet::new();
        // At most 512 connects in flight: more would overflow the listener's accept
        // backlog, and the kernel, not the endpoint, would drop connections.
        let connecting = std::sync::Arc::new(tokio::sync::Semaphore::new(512));
        for i in 0..n {
            let addr = addr.clone();
            let connecting = connecting.clone();
            tasks.spawn(async move {
                let permit = connecting.acquire_owned().await.unwrap();
                let mut s = loop {
                    match tokio::net::TcpStream::connect(&addr).await {
                        Ok(s) => break s,
                        Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
                    }
                };
                let wrote = s.write_all(&garbage(i)).await;
                drop(permit);
                if wrote.is_err() {
                    return true; // already closed by the server
                }
                let mut buf = [0u8; 1024];
                loop {
                    match tokio::time::timeout(Duration::from_secs(20), s.read(&mut buf)).await {
                        Ok(Ok(0) | Err(_)) => return true,
                        Ok(Ok(_)) => {}
                        Err(_) => return false, // never closed
                    }
                }
            });
        }
        let mut closed = 0;
        while let Some(r) = tasks.join_next().await {
            closed += usize::from(r.unwrap());
        }
        closed
    });
    println!("closed {closed}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn h068_ten_thousand_garbage_connections() {
    let limit = open_files_limit();
    let n = wanted().min(limit.saturating_sub(200));
    if n < WANTED {
        println!("H-068: open-files limit {limit}: {n} connections instead of {WANTED}");
    }
    assert!(n >= 500, "open-files limit {limit} too low for this test");
    let server = Endpoint::new(EndpointConfig::default());
    let addr = server.listen("127.0.0.1:0".parse().unwrap()).await.unwrap();
    // A legitimate passive session waits on the same listener.
    let server_uri = session_uri(false, "127.0.0.1", addr.port()).unwrap();
    let client_uri = session_uri(false, "127.0.0.1", 9).unwrap();
    let mut legit = server
        .add_session(server_uri.clone(), vec![client_uri.clone()], None, &[])
        .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let before = rss();

    let exe = std::env::current_exe().unwrap();
    let out = tokio::task::spawn_blocking(move || {
        let mut child = Command::new(exe)
            .args(["--exact", "garbage_client", "--ignored", "--nocapture"])
            .env("MSRP_GARBAGE_ADDR", addr.to_string())
            .env("MSRP_GARBAGE_N", n.to_string())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let lines: Vec<String> = BufReader::new(child.stdout.take().unwrap())
            .lines()
            .map_while(Result::ok)
            .collect();
        assert!(child.wait().unwrap().success(), "garbage client failed");
        lines
    })
    .await
    .unwrap();
    let closed: usize = out
        .iter()
        .find_map(|l| l.strip_prefix("closed ")?.parse().ok())
        .unwrap_or_else(|| panic!("no count from the child: {out:?}"));
    let grown = rss().saturating_sub(before);
    println!(
        "H-068: {n} garbage connections, {closed} closed by the endpoint; RSS grew {} KiB ({} B per connection)",
        grown / 1024,
        grown / n as u64
    );
    assert_eq!(closed, n, "every garbage connection is closed");
    // Bounded: a garbage connection never costs the engine's full buffers. The input
    // buffer starts at 4 KiB; 16 KiB per connection leaves room for the runtime's own.
    assert!(
        grown < 16 * 1024 * n as u64,
        "memory grew {grown} bytes for {n} connections"
    );

    // Others unaffected: the legitimate session binds and delivers a message.
    let client = Endpoint::new(EndpointConfig::default());
    let conn = client.connect(addr).await.unwrap();
    let sc = client
        .add_session(client_uri, vec![server_uri], Some(conn), &[])
        .unwrap();
    let sent = sc.send("text/plain", "still here").unwrap();
    let limit = Duration::from_secs(20);
    let mut got = Vec::new();
    loop {
        match tokio::time::timeout(limit, legit.next_event()).await {
            Ok(Some(SessionEvent::Data { bytes, .. })) => got.extend_from_slice(&bytes),
            Ok(Some(SessionEvent::MessageReceived {
                bodiless: false, ..
            })) => break,
            Ok(Some(_)) => {}
            other => panic!("legitimate session: {other:?}"),
        }
    }
    assert_eq!(got, b"still here");
    let outcome = tokio::time::timeout(limit, sent.outcome()).await.unwrap();
    assert!(
        matches!(outcome, msrp_tokio::Outcome::Delivered { .. }),
        "{outcome:?}"
    );
}
