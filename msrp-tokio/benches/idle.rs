//! Idle memory per session (perf target 6): N connections, each carrying one bound
//! session that then goes quiet, held by one msrp-tokio endpoint. The figure is the
//! server's RSS growth divided by N; the clients run in a child process (this binary
//! again) so their memory is not counted.
//!
//! Run: `cargo bench -p msrp-tokio --bench idle` (prints `figure idle_bytes_per_session_tcp
//! <n>` and `figure idle_bytes_per_session_tls <n>`; `MSRP_IDLE_N` sets N, default
//! 10 000). Needs 2·N+100 file descriptors per process: raise `ulimit -n` first.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use msrp_proto::tls::{Fingerprint, HashAlgorithm, LocalCertificate, TlsClientConfig};
use msrp_tokio::{Endpoint, EndpointConfig, SessionEvent};

fn n() -> usize {
    std::env::var("MSRP_IDLE_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000)
}

/// Resident set size of this process, in bytes.
fn rss() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("Linux /proc");
    let pages: u64 = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * 4096
}

fn uri(host_port: &str, id: &str, tls: bool) -> msrp_proto::uri::Uri {
    let scheme = if tls { "msrps" } else { "msrp" };
    format!("{scheme}://{host_port}/{id};tcp").parse().unwrap()
}

fn server_id(i: usize) -> String {
    format!("srv{i:07}idle0000")
}

fn client_id(i: usize) -> String {
    format!("cli{i:07}idle0000")
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// The server side: returns bytes of RSS growth per idle session.
fn server(n: usize, tls: bool) -> u64 {
    runtime().block_on(async move {
        let cert = LocalCertificate::generate_self_signed(&[]).unwrap();
        let server_fp = cert.fingerprint(HashAlgorithm::Sha256);
        // N passive sessions wait while the client binds them one wave after another.
        let mut engine = msrp_tokio::EngineConfig::default();
        engine.binding_timeout = Duration::from_secs(3600);
        let endpoint = Endpoint::new(
            EndpointConfig::default()
                .with_certificate(cert)
                .with_engine(engine),
        );
        let any: std::net::SocketAddr = "127.0.0.1:0".parse().unwrap();
        let addr = if tls {
            endpoint.listen_tls(any).await.unwrap()
        } else {
            endpoint.listen(any).await.unwrap()
        };
        let mut child = Command::new(std::env::current_exe().unwrap())
            .env("MSRP_IDLE_CLIENT", addr.to_string())
            .env("MSRP_IDLE_N", n.to_string())
            .env("MSRP_IDLE_TLS", if tls { "1" } else { "0" })
            .env("MSRP_IDLE_SERVER_FP", server_fp.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn the client process");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let client_fp: Fingerprint = lines.next().unwrap().unwrap().parse().unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
        let before = rss();
        let host = addr.to_string();
        let mut sessions = Vec::with_capacity(n);
        for i in 0..n {
            let s = endpoint
                .add_session(
                    uri(&host, &server_id(i), tls),
                    vec![uri("127.0.0.1:9", &client_id(i), tls)],
                    None,
                    std::slice::from_ref(&client_fp),
                )
                .unwrap();
            sessions.push(s);
        }
        writeln!(child.stdin.as_mut().unwrap(), "go").unwrap();
        for s in &mut sessions {
            wait_bound(s).await;
        }
        // Let every connection go quiet, then measure.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let after = rss();
        assert_eq!(lines.next().unwrap().unwrap(), "bound");
        drop(child.stdin.take());
        let _ = child.wait();
        drop(sessions);
        endpoint.close();
        after.saturating_sub(before) / n as u64
    })
}

async fn wait_bound(s: &mut msrp_tokio::Session) {
    loop {
        match tokio::time::timeout(Duration::from_secs(60), s.next_event()).await {
            Ok(Some(SessionEvent::Bound { .. })) => return,
            Ok(Some(ev)) => eprintln!("idle bench: {ev:?}"),
            other => panic!("session never bound: {other:?}"),
        }
    }
}

/// The client side (child process): N connections, each binding one session.
fn client(addr: &str) {
    let n = n();
    let tls = std::env::var("MSRP_IDLE_TLS").as_deref() == Ok("1");
    let server_fp: Fingerprint = std::env::var("MSRP_IDLE_SERVER_FP")
        .unwrap()
        .parse()
        .unwrap();
    runtime().block_on(async move {
        let cert = LocalCertificate::generate_self_signed(&[]).unwrap();
        println!("{}", cert.fingerprint(HashAlgorithm::Sha256));
        std::io::stdout().flush().unwrap();
        let mut go = String::new();
        std::io::stdin().read_line(&mut go).unwrap();
        let endpoint = Endpoint::new(EndpointConfig::default().with_certificate(cert.clone()));
        let tls_config =
            TlsClientConfig::by_fingerprint("127.0.0.1", cert, std::slice::from_ref(&server_fp))
                .unwrap();
        let sock: std::net::SocketAddr = addr.parse().unwrap();
        let mut sessions = Vec::with_capacity(n);
        let mut waited = 0;
        for i in 0..n {
            let conn = if tls {
                endpoint.connect_tls(sock, &tls_config).await.unwrap()
            } else {
                endpoint.connect(sock).await.unwrap()
            };
            let s = endpoint
                .add_session(
                    uri("127.0.0.1:9", &client_id(i), tls),
                    vec![uri(addr, &server_id(i), tls)],
                    Some(conn),
                    std::slice::from_ref(&server_fp),
                )
                .unwrap();
            sessions.push(s);
            // Binding SENDs in flight count against the engine's `max_outgoing_messages`
            // (64 by default, endpoint-wide): bind in waves.
            if sessions.len() - waited == 32 || i + 1 == n {
                for s in &mut sessions[waited..] {
                    wait_bound(s).await;
                }
                waited = sessions.len();
            }
        }
        println!("bound");
        std::io::stdout().flush().unwrap();
        // Stay connected until the server has measured (it closes our stdin).
        let mut rest = String::new();
        let _ = std::io::stdin().read_line(&mut rest);
    });
}

fn main() {
    if let Ok(addr) = std::env::var("MSRP_IDLE_CLIENT") {
        client(&addr);
        return;
    }
    let n = n();
    for tls in [false, true] {
        let per = server(n, tls);
        let name = if tls { "tls" } else { "tcp" };
        println!("figure idle_bytes_per_session_{name} {per}");
    }
}
