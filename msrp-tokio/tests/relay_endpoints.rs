//! Two msrp-tokio endpoints through a relay over sockets, negotiated by SDP: each side
//! that uses the relay calls `Endpoint::connect_relay` (AUTH, Digest) and puts the route
//! into its `LocalConfig::use_path`; `open_session` then runs the session over the relay
//! connection (`Connect::Relay`). Against our `RelayServer` both sides use it (the RFC
//! 4976 topology); against Kamailio (when `MSRP_KAMAILIO_TCP` is set, as in CI) Alice
//! uses it and Bob dials the relay URI in her path, which is the topology Kamailio's
//! msrp module forwards.

use std::net::SocketAddr;
use std::time::Duration;

use msrp_proto::engine::OutgoingMessage;
use msrp_proto::relay::AuthConfig;
use msrp_proto::relay::server::{MemoryCredentials, RelayConfig};
use msrp_proto::tls::{LocalCertificate, TlsClientConfig, TlsServerConfig, TrustRoots, WallClock};
use msrp_proto::uri::Uri;
use msrp_proto::wire::headers::SuccessReport;
use msrp_sdp::{
    Address, AnswerOutcome, Connect, OfferOutcome, Origin, Resolutions, apply_answer_sdp,
    create_answer, create_offer,
};
use msrp_tokio::relay::RelayServer;
use msrp_tokio::{Endpoint, EndpointConfig, EngineConfig, Outcome, Session, SessionEvent};
use tokio::net::TcpListener;

const LIMIT: Duration = Duration::from_secs(20);

fn origin() -> Origin {
    Origin {
        username: "-".into(),
        session_id: 1,
        version: 1,
        address: Address::Name("127.0.0.1".into()),
    }
}

/// One whole incoming message's body.
async fn receive(s: &mut Session) -> Vec<u8> {
    let mut body = Vec::new();
    loop {
        match s.next_event().await {
            Some(SessionEvent::Data { offset, bytes, .. }) => {
                assert_eq!(offset, body.len() as u64);
                body.extend_from_slice(&bytes);
            }
            Some(SessionEvent::MessageReceived {
                bodiless: false, ..
            }) => return body,
            Some(SessionEvent::SessionFailed(f)) => panic!("session failed: {f}"),
            Some(_) => {}
            None => panic!("session ended"),
        }
    }
}

/// Where one side authenticates: the relay's address, TLS (if any), authority URI and
/// the (username, password) there.
#[derive(Clone, Copy)]
struct At<'a> {
    addr: SocketAddr,
    tls: Option<&'a TlsClientConfig>,
    authority: &'a str,
    user: (&'a str, &'a str),
}

/// Alice offers, Bob answers; `bob: None` means Bob uses no relay; `max_chunk` caps chunk
/// bodies for relays with a frame limit.
async fn exchange(alice_at: At<'_>, bob_at: Option<At<'_>>, max_chunk: Option<usize>) {
    let endpoint = || {
        let mut engine = EngineConfig::default();
        engine.max_send_chunk_body = max_chunk;
        Endpoint::new(EndpointConfig::default().with_engine(engine))
    };
    let (alice, bob) = (endpoint(), endpoint());
    let own = |_| msrp_tokio::session_uri(false, "127.0.0.1", 9).unwrap();
    let (ua, ub): (Uri, Uri) = (own(()), own(()));
    let auth = |at: At<'_>, me: &Uri| {
        let (user, pw) = at.user;
        let relay = Uri::parse(at.authority).unwrap();
        let mut cfg = AuthConfig::new(user, pw, vec![relay], me.clone());
        cfg.allow_plain_tcp = true; // loopback relay; production AUTH is TLS-only (R4976-051)
        cfg
    };
    let ra = alice
        .connect_relay(alice_at.addr, alice_at.tls, auth(alice_at, &ua))
        .await
        .unwrap();
    assert_eq!(ra.sdp_path.last(), Some(&ua));
    let mut la = msrp_sdp::LocalConfig::new(ua);
    la.use_path = ra.use_path.clone();
    let mut lb = msrp_sdp::LocalConfig::new(ub.clone());
    lb.reachable = false;
    for c in [&mut la, &mut lb] {
        // Both sides take files (what the SDP says is what may be sent, R4975-189).
        c.accept_types
            .push(msrp_sdp::FormatEntry::parse("application/octet-stream").unwrap());
    }
    if let Some(at) = bob_at {
        let rb = bob
            .connect_relay(at.addr, at.tls, auth(at, &ub))
            .await
            .unwrap();
        lb.use_path = rb.use_path;
    }
    let offer = create_offer(&la, &origin()).unwrap();
    let answer = create_answer(&offer, &lb, &Resolutions::new(), &origin()).unwrap();
    let AnswerOutcome::Accept { session: nb, .. } = answer.outcome else {
        panic!("rejected: {:?}", answer.outcome);
    };
    let OfferOutcome::Established(na) =
        apply_answer_sdp(&la, &offer, &answer.sdp, &Resolutions::new()).unwrap()
    else {
        panic!("not established");
    };
    assert!(
        matches!(na.connect, Connect::Relay { .. }),
        "{:?}",
        na.connect
    );
    // The passive side's session exists before the active side's binding SEND can reach
    // it (as a SIP UA would have it before sending its answer).
    let (mut sa, mut sb) = if na.role == msrp_sdp::Role::Passive {
        let sa = alice.open_session(&na).await.unwrap();
        (sa, bob.open_session(&nb).await.unwrap())
    } else {
        let sb = bob.open_session(&nb).await.unwrap();
        (alice.open_session(&na).await.unwrap(), sb)
    };
    // R4976-006: the relay-issued URI serves this one session.
    assert!(matches!(
        alice.open_session(&na).await,
        Err(msrp_tokio::Error::RouteInUse)
    ));

    let hello = sb.send("text/plain", "Hello Alice, via the relay").unwrap();
    assert_eq!(receive(&mut sa).await, b"Hello Alice, via the relay");
    assert!(matches!(
        hello.outcome().await,
        Outcome::Delivered { .. } | Outcome::Sent
    ));
    let back = sa.send("text/plain", "Hi Bob").unwrap();
    assert_eq!(receive(&mut sb).await, b"Hi Bob");
    assert!(matches!(
        back.outcome().await,
        Outcome::Delivered { .. } | Outcome::Sent
    ));

    // 200 KB pulled from a reader, chunked by the engine; a success REPORT comes back
    // end to end through the relay.
    let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let msg = OutgoingMessage::pulled("application/octet-stream", Some(data.len() as u64))
        .success_report(SuccessReport::Yes);
    let (outcome, body) = tokio::join!(sa.send_reader(msg, &data[..], |_| {}), receive(&mut sb));
    assert!(body == data, "the body arrived intact");
    assert_eq!(outcome.unwrap(), Outcome::Delivered { confirmed: 200_000 });
}

/// RFC 4976 §5: both endpoints AUTH at our relay and talk through it.
#[tokio::test]
async fn r4976_006_r4976_011_r4976_014_r4976_015_endpoints_negotiate_through_our_relay() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let authority = format!("msrp://127.0.0.1:{};tcp", addr.port());
    let mut cfg = RelayConfig::new(Uri::parse(&authority).unwrap());
    cfg.realm = "relay.test".into();
    cfg.max_chunk = 16 * 1024;
    let mut creds = MemoryCredentials::new();
    creds.insert_password("relay.test", "alice", "pw-a");
    creds.insert_password("relay.test", "bob", "pw-b");
    tokio::spawn(
        RelayServer::with_listener(listener, cfg, creds)
            .unwrap()
            .run(),
    );
    let at = |user| At {
        addr,
        tls: None,
        authority: &authority,
        user,
    };
    let run = exchange(at(("alice", "pw-a")), Some(at(("bob", "pw-b"))), None);
    tokio::time::timeout(LIMIT, run).await.unwrap();
}

/// Against Kamailio's msrp relay: Alice AUTHs (401 → Digest with `uri=` → 200), Bob
/// dials the relay URI in her path; frames stay under Kamailio's 11238-byte limit.
#[tokio::test]
async fn r4976_011_endpoints_negotiate_through_kamailio() {
    let Ok(addr) = std::env::var("MSRP_KAMAILIO_TCP") else {
        eprintln!("MSRP_KAMAILIO_TCP not set: Kamailio interop skipped (CI sets it)");
        return;
    };
    let addr: SocketAddr = addr.parse().unwrap();
    let authority = format!("msrp://{addr};tcp");
    let alice = At {
        addr,
        tls: None,
        authority: &authority,
        user: ("alice", "msrp-pass"),
    };
    let run = exchange(alice, None, Some(8 * 1024));
    tokio::time::timeout(LIMIT, run).await.unwrap();
}

/// The system clock, for certificate validity (msrp-proto takes time from the caller).
#[derive(Debug)]
struct SystemClock;

impl WallClock for SystemClock {
    #[allow(clippy::disallowed_methods)] // a socket test runs on real time
    fn unix_time(&self) -> Option<Duration> {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .ok()
    }
}

/// R4976-051, R4976-065, R4976-066: AUTH over TLS to our relay's `msrps` listener; the
/// endpoints check the relay's certificate by name (its self-signed certificate is the
/// trust root here) and the session then runs over those TLS connections.
#[tokio::test]
async fn r4976_012_r4976_051_r4976_065_r4976_066_endpoints_authenticate_to_our_relay_over_tls_by_name()
 {
    let plain = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let tls_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = tls_listener.local_addr().unwrap();
    let authority = format!("msrps://relay.test:{};tcp", addr.port());
    let mut cfg = RelayConfig::new(Uri::parse(&authority).unwrap());
    cfg.realm = "relay.test".into();
    let mut creds = MemoryCredentials::new();
    creds.insert_password("relay.test", "alice", "pw-a");
    creds.insert_password("relay.test", "bob", "pw-b");
    let cert = LocalCertificate::generate_self_signed(&["relay.test"]).unwrap();
    let mut roots = TrustRoots::new();
    roots.add_der(cert.certificate_der()).unwrap();
    let server = RelayServer::with_listener(plain, cfg, creds)
        .unwrap()
        .with_tls_listener(tls_listener, TlsServerConfig::by_name(cert));
    tokio::spawn(server.run());
    let client =
        TlsClientConfig::by_name("relay.test", roots, std::sync::Arc::new(SystemClock)).unwrap();
    let at = |user| At {
        addr,
        tls: Some(&client),
        authority: &authority,
        user,
    };
    let run = exchange(at(("alice", "pw-a")), Some(at(("bob", "pw-b"))), None);
    tokio::time::timeout(LIMIT, run).await.unwrap();
}

/// R4976-051: AUTH to Kamailio's TLS listener (plain TCP is not allowed for this AUTH).
/// Its test certificate is a self-signed CA certificate, which name-based validation
/// refuses as an end entity (`CaUsedAsEndEntity`): it is pinned by fingerprint instead.
/// Runs when `.ci/run` exports `MSRP_KAMAILIO_TLS` and `MSRP_KAMAILIO_CERT`.
#[tokio::test]
async fn r4976_051_auth_to_kamailio_over_tls() {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;
    let (Ok(addr), Ok(cert)) = (
        std::env::var("MSRP_KAMAILIO_TLS"),
        std::env::var("MSRP_KAMAILIO_CERT"),
    ) else {
        eprintln!("MSRP_KAMAILIO_TLS / MSRP_KAMAILIO_CERT not set: skipped (CI sets them)");
        return;
    };
    let addr: SocketAddr = addr.parse().unwrap();
    let der = CertificateDer::from_pem_file(&cert).unwrap();
    let pinned = msrp_tokio::Fingerprint::of_der(msrp_proto::tls::HashAlgorithm::Sha256, &der);
    let own = LocalCertificate::generate_self_signed(&[]).unwrap();
    let tls = TlsClientConfig::by_fingerprint(&addr.ip().to_string(), own, &[pinned]).unwrap();
    let endpoint = Endpoint::new(EndpointConfig::default());
    let me = msrp_tokio::session_uri(true, "127.0.0.1", 9).unwrap();
    let authority = format!("msrps://{addr};tcp");
    let cfg = AuthConfig::new(
        "alice",
        "msrp-pass",
        vec![Uri::parse(&authority).unwrap()],
        me.clone(),
    );
    let route = tokio::time::timeout(LIMIT, endpoint.connect_relay(addr, Some(&tls), cfg))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(route.use_path.len(), 1);
    assert!(
        route.use_path[0].as_str().starts_with("msrps://127.0.0.1:"),
        "{:?}",
        route.use_path
    );
    assert_eq!(route.sdp_path.last(), Some(&me));
}

/// A relay with users alice and bob, plain TCP on `plain`; returns the server to run.
fn relay_server(plain: TcpListener, authority: &str) -> RelayServer {
    let mut cfg = RelayConfig::new(Uri::parse(authority).unwrap());
    cfg.realm = "relay.test".into();
    let mut creds = MemoryCredentials::new();
    creds.insert_password("relay.test", "alice", "pw-a");
    creds.insert_password("relay.test", "bob", "pw-b");
    RelayServer::with_listener(plain, cfg, creds).unwrap()
}

/// R4976-065: Alice AUTHs at relay A (plain TCP), Bob at relay B, which only
/// takes TLS (`msrps`); relay A dials B's `msrps` URI over TLS, checking B by name, and
/// the session runs Alice → A → B → Bob and back.
#[tokio::test]
async fn r4976_065_a_relay_dials_an_msrps_next_hop_over_tls() {
    let cert_b = LocalCertificate::generate_self_signed(&["127.0.0.1"]).unwrap();
    let mut roots = TrustRoots::new();
    roots.add_der(cert_b.certificate_der()).unwrap();
    let clock: std::sync::Arc<dyn WallClock> = std::sync::Arc::new(SystemClock);

    let b_plain = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let b_tls = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let b_addr = b_tls.local_addr().unwrap();
    let b_auth = format!("msrps://127.0.0.1:{};tcp", b_addr.port());
    let b =
        relay_server(b_plain, &b_auth).with_tls_listener(b_tls, TlsServerConfig::by_name(cert_b));
    tokio::spawn(b.run());

    let a_plain = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let a_addr = a_plain.local_addr().unwrap();
    let a_auth = format!("msrp://127.0.0.1:{};tcp", a_addr.port());
    let a = relay_server(a_plain, &a_auth).with_tls_dial(roots.clone(), clock.clone(), None);
    tokio::spawn(a.run());

    let to_b = TlsClientConfig::by_name("127.0.0.1", roots, clock).unwrap();
    let alice = At {
        addr: a_addr,
        tls: None,
        authority: &a_auth,
        user: ("alice", "pw-a"),
    };
    let bob = At {
        addr: b_addr,
        tls: Some(&to_b),
        authority: &b_auth,
        user: ("bob", "pw-b"),
    };
    tokio::time::timeout(LIMIT, exchange(alice, Some(bob), None))
        .await
        .unwrap();
}

/// Relay A (plain TCP for Alice) forwards Alice's AUTH to relay B, whose `msrps`
/// listener requests client certificates and trusts A's. Returns Alice's AUTH result
/// through both (R4976-018): A presents a certificate for `a_names`.
async fn auth_through_two_relays(
    a_names: &[&str],
) -> Result<msrp_tokio::RelayRoute, msrp_tokio::Error> {
    let clock: std::sync::Arc<dyn WallClock> = std::sync::Arc::new(SystemClock);
    let cert_b = LocalCertificate::generate_self_signed(&["127.0.0.1"]).unwrap();
    let cert_a = LocalCertificate::generate_self_signed(a_names).unwrap();
    let (mut trust_b, mut trust_a) = (TrustRoots::new(), TrustRoots::new());
    trust_b.add_der(cert_b.certificate_der()).unwrap();
    trust_a.add_der(cert_a.certificate_der()).unwrap();

    let b_plain = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let b_tls = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let b_auth = format!(
        "msrps://127.0.0.1:{};tcp",
        b_tls.local_addr().unwrap().port()
    );
    let listener = TlsServerConfig::by_name(cert_b).with_peer_relays(trust_a, clock.clone());
    tokio::spawn(
        relay_server(b_plain, &b_auth)
            .with_tls_listener(b_tls, listener)
            .run(),
    );
    let a_plain = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let a_addr = a_plain.local_addr().unwrap();
    let a_auth = format!("msrp://127.0.0.1:{};tcp", a_addr.port());
    tokio::spawn(
        relay_server(a_plain, &a_auth)
            .with_tls_dial(trust_b, clock, Some(cert_a))
            .run(),
    );
    let me = msrp_tokio::session_uri(false, "127.0.0.1", 9).unwrap();
    let relays = vec![Uri::parse(&a_auth).unwrap(), Uri::parse(&b_auth).unwrap()];
    let mut cfg = AuthConfig::new("alice", "pw-a", relays, me);
    cfg.allow_plain_tcp = true; // loopback; production AUTH is TLS-only (R4976-051)
    let alice = Endpoint::new(EndpointConfig::default());
    tokio::time::timeout(LIMIT, alice.connect_relay(a_addr, None, cfg))
        .await
        .unwrap()
}

/// R4976-022, R4976-025, R4976-065: relay-to-relay TLS is mutual. Relay B's listener
/// accepts A's certificate, learns its names and lets A forward in its own name: the
/// AUTH through both relays succeeds with a two-relay Use-Path.
#[tokio::test]
async fn r4976_022_r4976_065_relays_authenticate_each_other_by_certificate() {
    let route = auth_through_two_relays(&["127.0.0.1"]).await.unwrap();
    assert_eq!(route.use_path.len(), 2, "{:?}", route.use_path);
}

/// R4976-025: a relay whose (trusted) certificate does not name the host it forwards
/// for is refused: the AUTH through it fails with 403 instead of reaching Digest.
#[tokio::test]
async fn r4976_025_a_relay_certificate_for_another_name_is_refused() {
    let err = auth_through_two_relays(&["elsewhere.test"])
        .await
        .unwrap_err();
    assert!(
        format!("{err:?}").contains("403"),
        "expected a 403 from relay B: {err:?}"
    );
}
