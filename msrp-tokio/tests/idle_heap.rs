//! Idle sessions hold no I/O buffers (perf target 6): live heap bytes per idle session
//! pair, counted by a global allocator, over plain TCP and TLS. A connection whose
//! readiness turned out stale (`WouldBlock`) must hand back the engine's input buffer
//! and the TLS buffers it took for the read; before that fix one 4 KiB (TCP) or one
//! 36 KiB (TLS) buffer stayed with every idle connection.
//!
//! Between frames an idle connection also parks its frame state (decoder and current
//! frame, about 1 KB), and a connection with nothing in flight parks its transaction
//! table, open-response list, send queue and open-chunk record in the engine's pools; a
//! drained session event queue gives its block back.
//!
//! The bounds have slack over what was measured (4.4 KB per TCP pair, 16.8 KB per TLS
//! pair, both ends in this process; 7.2 / 19.5 KB before the frame state, tables and
//! queues were parked, 10.2 / 22.4 KB before decoders were parked, 18.3 / 96.2 KB before
//! buffers were handed back): they catch a regression, not a few bytes of drift.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use msrp_proto::tls::{HashAlgorithm, LocalCertificate, TlsClientConfig};
use msrp_tokio::{Endpoint, EndpointConfig, SessionEvent};

struct Counting;

static LIVE: AtomicI64 = AtomicI64::new(0);

// SAFETY: forwards to the system allocator; only counts sizes.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        LIVE.fetch_add(l.size() as i64, Ordering::Relaxed);
        // SAFETY: the caller's contract is passed on unchanged.
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size() as i64, Ordering::Relaxed);
        // SAFETY: as above.
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        LIVE.fetch_add(n as i64 - l.size() as i64, Ordering::Relaxed);
        // SAFETY: as above.
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

const PAIRS: usize = 100;

/// Live heap bytes per bound, idle session pair (server and client end).
async fn per_pair(tls: bool) -> i64 {
    let ca = LocalCertificate::generate_self_signed(&[]).unwrap();
    let cb = LocalCertificate::generate_self_signed(&[]).unwrap();
    let (fa, fb) = (
        ca.fingerprint(HashAlgorithm::Sha256),
        cb.fingerprint(HashAlgorithm::Sha256),
    );
    let mut engine = msrp_tokio::EngineConfig::default();
    engine.binding_timeout = Duration::from_secs(3600);
    let server = Endpoint::new(
        EndpointConfig::default()
            .with_certificate(ca)
            .with_engine(engine),
    );
    let client = Endpoint::new(EndpointConfig::default().with_certificate(cb.clone()));
    let any = "127.0.0.1:0".parse().unwrap();
    let addr = if tls {
        server.listen_tls(any).await.unwrap()
    } else {
        server.listen(any).await.unwrap()
    };
    let scheme = if tls { "msrps" } else { "msrp" };
    let cfg = TlsClientConfig::by_fingerprint("127.0.0.1", cb, &[fa]).unwrap();
    let mut keep = Vec::new();
    let mut before = 0;
    // Ten pairs warm the tables and pools up, then the measured ones.
    for i in 0..PAIRS + 10 {
        if i == 10 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            before = LIVE.load(Ordering::Relaxed);
        }
        let su: msrp_proto::uri::Uri =
            format!("{scheme}://127.0.0.1:{}/srv{i:06}x;tcp", addr.port())
                .parse()
                .unwrap();
        let cu: msrp_proto::uri::Uri = format!("{scheme}://127.0.0.1:9/cli{i:06}x;tcp")
            .parse()
            .unwrap();
        let mut ss = server
            .add_session(su.clone(), vec![cu.clone()], None, &[fb])
            .unwrap();
        let conn = if tls {
            client.connect_tls(addr, &cfg).await.unwrap()
        } else {
            client.connect(addr).await.unwrap()
        };
        let mut cs = client.add_session(cu, vec![su], Some(conn), &[fa]).unwrap();
        for s in [&mut ss, &mut cs] {
            while !matches!(
                tokio::time::timeout(Duration::from_secs(10), s.next_event()).await,
                Ok(Some(SessionEvent::Bound { .. }))
            ) {}
        }
        keep.push((ss, cs));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    (LIVE.load(Ordering::Relaxed) - before) / PAIRS as i64
}

#[tokio::test(flavor = "current_thread")]
async fn perf6_idle_tcp_and_tls_sessions_hold_no_io_buffers() {
    let tcp = per_pair(false).await;
    let tls = per_pair(true).await;
    println!("live heap per idle pair: tcp {tcp} B, tls {tls} B");
    assert!(tcp < 6 * 1024, "TCP: {tcp} bytes per idle session pair");
    assert!(tls < 20 * 1024, "TLS: {tls} bytes per idle session pair");
}
