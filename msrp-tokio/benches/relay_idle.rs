//! Memory per relayed idle session (issue: relays): N sessions, each between two clients
//! AUTHed at one `msrp_tokio::relay::RelayServer`, each having carried its binding SEND
//! through the relay, then quiet. The figure is the relay process's RSS growth divided
//! by N; the clients (msrp-tokio endpoints using `connect_relay`) run in a child process
//! (this binary again) so their memory is not counted.
//!
//! Run: `cargo bench -p msrp-tokio --bench relay_idle` (prints `figure
//! relay_idle_bytes_per_session <n>`; `MSRP_RELAY_IDLE_N` sets N, default 1000). Needs
//! 2·N+100 file descriptors per process: raise `ulimit -n` first.

#![allow(clippy::disallowed_methods)] // a benchmark runs on the real clock

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::Duration;

use msrp_proto::relay::AuthConfig;
use msrp_proto::relay::server::{MemoryCredentials, RelayConfig};
use msrp_proto::uri::Uri;
use msrp_tokio::relay::RelayServer;
use msrp_tokio::{Endpoint, EndpointConfig, SessionEvent};

fn n() -> usize {
    std::env::var("MSRP_RELAY_IDLE_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000)
}

/// Resident set size of this process, in bytes.
fn rss() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("Linux /proc");
    let pages: u64 = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * 4096
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// The relay side: returns bytes of RSS growth per relayed idle session.
fn relay(n: usize) -> u64 {
    runtime().block_on(async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let authority = format!("msrp://127.0.0.1:{};tcp", addr.port());
        let mut cfg = RelayConfig::new(Uri::parse(&authority).unwrap());
        cfg.realm = "bench".into();
        cfg.max_expires = 3600;
        let mut creds = MemoryCredentials::new();
        creds.insert_password("bench", "user", "pw");
        let server = RelayServer::with_listener(listener, cfg, creds).unwrap();
        let relay = tokio::spawn(server.run());
        tokio::time::sleep(Duration::from_millis(200)).await;
        let before = rss();
        let mut child = Command::new(std::env::current_exe().unwrap())
            .env("MSRP_RELAY_IDLE_CLIENT", addr.to_string())
            .env("MSRP_RELAY_IDLE_N", n.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn the client process");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        // The child reports once every session is bound through the relay; the relay
        // task runs meanwhile on this runtime.
        let ready = tokio::task::spawn_blocking(move || {
            let l = lines.next().unwrap().unwrap();
            (l, lines)
        })
        .await
        .unwrap();
        assert_eq!(ready.0, "bound");
        tokio::time::sleep(Duration::from_millis(500)).await;
        let after = rss();
        drop(child.stdin.take());
        let _ = child.wait();
        relay.abort();
        after.saturating_sub(before) / n as u64
    })
}

async fn wait_bound(s: &mut msrp_tokio::Session) {
    loop {
        match tokio::time::timeout(Duration::from_secs(60), s.next_event()).await {
            Ok(Some(SessionEvent::Bound { .. })) => return,
            Ok(Some(_)) => {}
            other => panic!("session never bound: {other:?}"),
        }
    }
}

/// The clients (child process): N pairs AUTH at the relay and bind a session each.
fn clients(addr: SocketAddr) {
    let n = n();
    runtime().block_on(async move {
        let authority = Uri::parse(&format!("msrp://{addr};tcp")).unwrap();
        let (alice, bob) = (
            Endpoint::new(EndpointConfig::default()),
            Endpoint::new(EndpointConfig::default()),
        );
        let auth = |me: &Uri| {
            let mut cfg = AuthConfig::new("user", "pw", vec![authority.clone()], me.clone());
            cfg.allow_plain_tcp = true;
            cfg
        };
        let mut sessions = Vec::with_capacity(2 * n);
        let mut waited = 0;
        for i in 0..n {
            let ua: Uri = format!("msrp://127.0.0.1:9/alice{i:07}x;tcp")
                .parse()
                .unwrap();
            let ub: Uri = format!("msrp://127.0.0.1:9/bob{i:07}xx;tcp")
                .parse()
                .unwrap();
            let ra = alice.connect_relay(addr, None, auth(&ua)).await.unwrap();
            let rb = bob.connect_relay(addr, None, auth(&ub)).await.unwrap();
            let to_bob: Vec<Uri> = ra.use_path.iter().chain(&rb.sdp_path).cloned().collect();
            let to_alice: Vec<Uri> = rb.use_path.iter().chain(&ra.sdp_path).cloned().collect();
            // Bob waits, Alice binds through the relay.
            let sb = bob.add_session(ub, to_alice, None, &[]).unwrap();
            let sa = alice
                .add_session(ua, to_bob, Some(ra.connection), &[])
                .unwrap();
            sessions.push(sa);
            sessions.push(sb);
            // Binding SENDs in flight count against `max_outgoing_messages`: waves.
            if sessions.len() - waited == 64 || i + 1 == n {
                for s in &mut sessions[waited..] {
                    wait_bound(s).await;
                }
                waited = sessions.len();
            }
        }
        println!("bound");
        std::io::stdout().flush().unwrap();
        let mut rest = String::new();
        let _ = std::io::stdin().read_line(&mut rest);
    });
}

fn main() {
    if let Ok(addr) = std::env::var("MSRP_RELAY_IDLE_CLIENT") {
        clients(addr.parse().unwrap());
        return;
    }
    let per = relay(n());
    println!("figure relay_idle_bytes_per_session {per}");
}
