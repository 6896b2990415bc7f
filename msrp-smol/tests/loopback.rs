//! msrp-smol on 127.0.0.1, under smol and under async-std: plain and TLS sessions from an
//! SDP offer/answer, whole messages and a pulled 1 MB body with a success REPORT.

use std::future::Future;
use std::time::Duration;

use msrp_proto::engine::OutgoingMessage;
use msrp_proto::tls::{HashAlgorithm, LocalCertificate, TlsClientConfig};
use msrp_proto::wire::headers::SuccessReport;
use msrp_sdp::{
    Address, AnswerOutcome, OfferOutcome, Origin, Resolutions, apply_answer_sdp, create_answer,
    create_offer,
};
use msrp_smol::{Endpoint, EndpointConfig, Outcome, Session, SessionEvent, SessionFailure};

const LIMIT: Duration = Duration::from_secs(20);

/// `f`, failing the test if it takes longer than [`LIMIT`].
async fn limited<T>(f: impl Future<Output = T>) -> T {
    smol::future::or(f, async {
        smol::Timer::after(LIMIT).await;
        panic!("timed out");
    })
    .await
}

fn origin() -> Origin {
    Origin {
        username: "-".into(),
        session_id: 1,
        version: 1,
        address: Address::Name("127.0.0.1".into()),
    }
}

fn endpoint(tls: bool) -> Endpoint {
    let mut cfg = EndpointConfig::default();
    if tls {
        cfg = cfg.with_certificate(LocalCertificate::generate_self_signed(&[]).unwrap());
    }
    Endpoint::new(cfg)
}

/// Collects one whole incoming message: (content type, body).
async fn receive(s: &mut Session) -> (String, Vec<u8>) {
    let mut ct = None;
    let mut body = Vec::new();
    loop {
        match s.next_event().await {
            Some(SessionEvent::MessageStarted { content_type, .. }) => ct = Some(content_type),
            Some(SessionEvent::Data { offset, bytes, .. }) => {
                assert_eq!(offset, body.len() as u64);
                body.extend_from_slice(&bytes);
            }
            Some(SessionEvent::MessageReceived {
                bodiless: false, ..
            }) => return (ct.expect("MessageStarted first"), body),
            Some(SessionEvent::SessionFailed(f)) => panic!("session failed: {f}"),
            Some(_) => {}
            None => panic!("session ended"),
        }
    }
}

/// Alice offers (passive, listening), Bob answers (active) and dials what SDP chose.
async fn negotiate(alice: &Endpoint, bob: &Endpoint, tls: bool) -> (Session, Session) {
    let any = "127.0.0.1:0".parse().unwrap();
    let addr = if tls {
        alice.listen_tls(any).await.unwrap()
    } else {
        alice.listen(any).await.unwrap()
    };
    negotiate_at(alice, bob, tls, addr).await
}

/// [`negotiate`] with Alice's listener already running on `addr`.
async fn negotiate_at(
    alice: &Endpoint,
    bob: &Endpoint,
    tls: bool,
    addr: std::net::SocketAddr,
) -> (Session, Session) {
    let uri = |port| msrp_smol::session_uri(tls, "127.0.0.1", port).unwrap();
    let mut a = msrp_sdp::LocalConfig::new(uri(addr.port()));
    let mut b = msrp_sdp::LocalConfig::new(uri(9));
    b.reachable = false;
    for c in [&mut a, &mut b] {
        // Both sides take files (what the SDP says is what may be sent, R4975-189).
        c.accept_types
            .push(msrp_sdp::FormatEntry::parse("application/octet-stream").unwrap());
    }
    if tls {
        a.fingerprints = vec![alice.sdp_fingerprint().unwrap()];
        b.fingerprints = vec![bob.sdp_fingerprint().unwrap()];
    }
    let offer = create_offer(&a, &origin()).unwrap();
    let answer = create_answer(&offer, &b, &Resolutions::new(), &origin()).unwrap();
    let AnswerOutcome::Accept { session: sb, .. } = answer.outcome else {
        panic!("rejected");
    };
    let OfferOutcome::Established(sa) =
        apply_answer_sdp(&a, &offer, &answer.sdp, &Resolutions::new()).unwrap()
    else {
        panic!("not established");
    };
    let alice_s = alice.open_session(&sa).await.unwrap();
    let bob_s = bob.open_session(&sb).await.unwrap();
    (alice_s, bob_s)
}

async fn exchange(tls: bool) {
    let (alice, bob) = (endpoint(tls), endpoint(tls));
    let (mut sa, mut sb) = negotiate(&alice, &bob, tls).await;

    let hello = sb.send("text/plain", "Hello Alice").unwrap();
    let got = receive(&mut sa).await;
    assert_eq!(got, ("text/plain".into(), b"Hello Alice".to_vec()));
    assert_eq!(hello.outcome().await, Outcome::Delivered { confirmed: 11 });

    // Alice answers on the connection Bob opened (she is passive).
    let back = sa.send("text/plain", "Hi Bob").unwrap();
    assert_eq!(receive(&mut sb).await.1, b"Hi Bob");
    assert!(matches!(back.outcome().await, Outcome::Delivered { .. }));

    // A 1 MB body pulled from a futures-io reader, with a success REPORT and progress.
    let data: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
    let msg = OutgoingMessage::pulled("application/octet-stream", Some(data.len() as u64))
        .success_report(SuccessReport::Yes);
    let mut last = 0;
    let sending = sb.send_reader(msg, &data[..], |n| {
        assert!(n >= last);
        last = n;
    });
    let (outcome, (ct, body)) = smol::future::zip(sending, receive(&mut sa)).await;
    assert_eq!(ct, "application/octet-stream");
    assert!(body == data, "body differs");
    assert_eq!(
        outcome.unwrap(),
        Outcome::Delivered {
            confirmed: 1_000_000
        }
    );
    assert_eq!(last, 1_000_000);
}

#[test]
fn smol_tcp_sessions_from_sdp_exchange_messages_and_a_pulled_file() {
    smol::block_on(limited(exchange(false)));
}

#[test]
fn smol_tls_sessions_with_fingerprints_exchange_messages_and_a_pulled_file() {
    smol::block_on(limited(exchange(true)));
}

#[test]
fn async_std_tcp_sessions_exchange_messages_and_a_pulled_file() {
    async_std::task::block_on(limited(exchange(false)));
}

#[test]
fn async_std_tls_sessions_exchange_messages_and_a_pulled_file() {
    async_std::task::block_on(limited(exchange(true)));
}

/// R8122-007: the active side refuses a server whose certificate is not the one in SDP.
#[test]
fn r8122_007_tls_client_refuses_a_server_whose_fingerprint_differs() {
    smol::block_on(limited(async {
        let (alice, bob) = (endpoint(true), endpoint(true));
        let addr = alice
            .listen_tls("127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        let alice_uri = msrp_smol::session_uri(true, "127.0.0.1", addr.port()).unwrap();
        let bob_uri = msrp_smol::session_uri(true, "127.0.0.1", 9).unwrap();
        let wrong = LocalCertificate::generate_self_signed(&[])
            .unwrap()
            .fingerprint(HashAlgorithm::Sha256);
        let bob_fp = bob
            .certificate()
            .unwrap()
            .fingerprint(HashAlgorithm::Sha256);
        let _sa = alice
            .add_session(alice_uri.clone(), vec![bob_uri.clone()], None, &[bob_fp])
            .unwrap();
        let cert = bob.certificate().unwrap().clone();
        let cfg = TlsClientConfig::by_fingerprint("127.0.0.1", cert, &[wrong]).unwrap();
        let conn = bob.connect_tls(addr, &cfg).await.unwrap();
        // The handshake runs in the background and may fail before the session is
        // added: then adding it says why.
        let why = match bob.add_session(bob_uri, vec![alice_uri], Some(conn), &[wrong]) {
            Ok(mut sb) => match sb.next_event().await {
                Some(SessionEvent::SessionFailed(why)) => why,
                other => panic!("{other:?}"),
            },
            Err(msrp_smol::Error::Connection(why)) => why,
            Err(e) => panic!("{e}"),
        };
        assert!(
            matches!(
                why,
                SessionFailure::Tls(msrp_smol::TlsError::FingerprintMismatch { .. })
            ),
            "{why:?}"
        );
    }));
}

/// R4975-039 / digest P-17: a second session to the same peer reuses the dialled
/// connection, and closing one session leaves the other working.
#[test]
fn r4975_039_two_sessions_share_a_connection_and_outlive_each_other() {
    smol::block_on(limited(async {
        let (alice, bob) = (endpoint(false), endpoint(false));
        let addr = alice.listen("127.0.0.1:0".parse().unwrap()).await.unwrap();
        let (mut a1, b1) = negotiate_at(&alice, &bob, false, addr).await;
        let (mut a2, b2) = negotiate_at(&alice, &bob, false, addr).await;
        b1.send("text/plain", "one").unwrap();
        assert_eq!(receive(&mut a1).await.1, b"one");
        let (c1, c2) = (b1.connection(), b2.connection());
        assert!(c1.is_some() && c1 == c2, "{c1:?} {c2:?}");
        drop(b1);
        drop(a1);
        b2.send("text/plain", "two").unwrap();
        assert_eq!(receive(&mut a2).await.1, b"two");
    }));
}
