//! msrp-tokio on 127.0.0.1: plain and TLS sessions, from SDP and by hand.

use std::time::Duration;

use bytes::Bytes;
use msrp_proto::engine::OutgoingMessage;
use msrp_proto::tls::LocalCertificate;
use msrp_proto::uri::Uri;
use msrp_proto::wire::headers::SuccessReport;
use msrp_sdp::{
    Address, AnswerOutcome, OfferOutcome, Origin, Resolutions, apply_answer_sdp, create_answer,
    create_offer,
};
use msrp_tokio::{
    ConnectionId, Endpoint, EndpointConfig, Fingerprint, MessageId, Outcome, Session, SessionEvent,
    SessionFailure, session_uri,
};

const LIMIT: Duration = Duration::from_secs(10);

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
        match tokio::time::timeout(LIMIT, s.next_event()).await.unwrap() {
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

/// Alice offers (passive, listening), Bob answers (active, not reachable) and dials.
async fn negotiate(alice: &Endpoint, bob: &Endpoint, tls: bool) -> (Session, Session) {
    let addr = if tls {
        alice
            .listen_tls("127.0.0.1:0".parse().unwrap())
            .await
            .unwrap()
    } else {
        alice.listen("127.0.0.1:0".parse().unwrap()).await.unwrap()
    };
    let mut a = msrp_sdp::LocalConfig::new(session_uri(tls, "127.0.0.1", addr.port()).unwrap());
    let mut b = msrp_sdp::LocalConfig::new(session_uri(tls, "127.0.0.1", 9).unwrap());
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
    assert_eq!(
        receive(&mut sa).await,
        ("text/plain".into(), b"Hello Alice".to_vec())
    );
    assert!(matches!(
        hello.outcome().await,
        Outcome::Delivered { confirmed: 11 }
    ));

    // Alice answers on the connection Bob opened (she is passive).
    let back = sa
        .send("text/plain", Bytes::from_static(b"Hi Bob"))
        .unwrap();
    assert_eq!(receive(&mut sb).await.1, b"Hi Bob");
    assert!(matches!(back.outcome().await, Outcome::Delivered { .. }));

    // A 1 MB body pulled from a reader, with a success REPORT and progress.
    let data: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
    let msg = OutgoingMessage::pulled("application/octet-stream", Some(data.len() as u64))
        .success_report(SuccessReport::Yes);
    let mut last = 0;
    let sender = async {
        sb.send_reader(msg, &data[..], |n| {
            assert!(n >= last);
            last = n;
        })
        .await
    };
    let (outcome, (ct, body)) = tokio::join!(sender, receive(&mut sa));
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

#[tokio::test]
async fn tcp_sessions_from_sdp_exchange_messages_and_a_pulled_file() {
    tokio::time::timeout(LIMIT, exchange(false)).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_sessions_with_fingerprints_exchange_messages_and_a_pulled_file() {
    tokio::time::timeout(LIMIT, exchange(true)).await.unwrap();
}

/// Bob dials Alice over TLS expecting a certificate fingerprint that is not hers.
async fn dial_the_wrong_fingerprint() -> (
    Endpoint,
    Endpoint,
    Session,
    ConnectionId,
    Uri,
    Uri,
    Fingerprint,
) {
    let (alice, bob) = (endpoint(true), endpoint(true));
    let addr = alice
        .listen_tls("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let alice_uri = session_uri(true, "127.0.0.1", addr.port()).unwrap();
    let bob_uri = session_uri(true, "127.0.0.1", 9).unwrap();
    let stranger = LocalCertificate::generate_self_signed(&[]).unwrap();
    let wrong = stranger.fingerprint(msrp_proto::tls::HashAlgorithm::Sha256);
    let bob_fp = bob
        .certificate()
        .unwrap()
        .fingerprint(msrp_proto::tls::HashAlgorithm::Sha256);
    let sa = alice
        .add_session(alice_uri.clone(), vec![bob_uri.clone()], None, &[bob_fp])
        .unwrap();
    let cfg = msrp_proto::tls::TlsClientConfig::by_fingerprint(
        "127.0.0.1",
        bob.certificate().unwrap().clone(),
        &[wrong],
    )
    .unwrap();
    let conn = bob.connect_tls(addr, &cfg).await.unwrap();
    (alice, bob, sa, conn, alice_uri, bob_uri, wrong)
}

fn is_fingerprint_mismatch(why: &SessionFailure) -> bool {
    matches!(
        why,
        SessionFailure::Tls(msrp_proto::tls::TlsError::FingerprintMismatch { .. })
    )
}

#[tokio::test]
async fn tls_client_refuses_a_server_whose_fingerprint_differs() {
    let (_alice, bob, _sa, conn, alice_uri, bob_uri, wrong) = dial_the_wrong_fingerprint().await;
    let mut sb = bob
        .add_session(bob_uri, vec![alice_uri], Some(conn), &[wrong])
        .unwrap();
    let ev = tokio::time::timeout(LIMIT, sb.next_event()).await.unwrap();
    assert!(
        matches!(&ev, Some(SessionEvent::SessionFailed(why)) if is_fingerprint_mismatch(why)),
        "{ev:?}"
    );
}

/// The handshake runs in the background: a session added once it has failed is refused
/// with the reason (`Error::Connection`), not an anonymous "unknown connection".
#[tokio::test]
async fn a_session_added_to_a_connection_that_already_failed_is_told_why() {
    let (_alice, bob, _sa, conn, alice_uri, bob_uri, wrong) = dial_the_wrong_fingerprint().await;
    let refused = tokio::time::timeout(LIMIT, async {
        loop {
            tokio::time::sleep(Duration::from_millis(20)).await;
            match bob.add_session(
                bob_uri.clone(),
                vec![alice_uri.clone()],
                Some(conn),
                &[wrong],
            ) {
                Ok(s) => drop(s), // not failed yet
                Err(e) => break e,
            }
        }
    })
    .await
    .unwrap();
    assert!(
        matches!(&refused, msrp_tokio::Error::Connection(why) if is_fingerprint_mismatch(why)),
        "{refused}"
    );
}

#[tokio::test]
async fn two_sessions_share_one_dialled_connection() {
    let (alice, bob) = (endpoint(false), endpoint(false));
    let addr = alice.listen("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let mut pairs = Vec::new();
    for _ in 0..2 {
        let a = msrp_sdp::LocalConfig::new(session_uri(false, "127.0.0.1", addr.port()).unwrap());
        let mut b = msrp_sdp::LocalConfig::new(session_uri(false, "127.0.0.1", 9).unwrap());
        b.reachable = false;
        let offer = create_offer(&a, &origin()).unwrap();
        let answer = create_answer(&offer, &b, &Resolutions::new(), &origin()).unwrap();
        let AnswerOutcome::Accept { session: sb, .. } = answer.outcome else {
            panic!()
        };
        let OfferOutcome::Established(sa) =
            apply_answer_sdp(&a, &offer, &answer.sdp, &Resolutions::new()).unwrap()
        else {
            panic!()
        };
        let sa = alice.open_session(&sa).await.unwrap();
        let sb = bob.open_session(&sb).await.unwrap();
        pairs.push((sa, sb));
    }
    let mut ids: Vec<MessageId> = Vec::new();
    for (i, (_, sb)) in pairs.iter().enumerate() {
        ids.push(
            sb.send("text/plain", format!("to session {i}"))
                .unwrap()
                .id(),
        );
    }
    for (i, (sa, _)) in pairs.iter_mut().enumerate() {
        assert_eq!(receive(sa).await.1, format!("to session {i}").into_bytes());
    }
    // Closing one session leaves the connection to the other (R4975-039).
    let (sa0, sb0) = pairs.remove(0);
    drop((sa0, sb0));
    let (sa1, sb1) = &mut pairs[0];
    let o = sb1.send("text/plain", "still here").unwrap();
    assert_eq!(receive(sa1).await.1, b"still here");
    assert!(matches!(o.outcome().await, Outcome::Delivered { .. }));
}

#[tokio::test]
async fn peer_closing_the_connection_fails_the_session() {
    let (alice, bob) = (endpoint(false), endpoint(false));
    let (mut sa, sb) = negotiate(&alice, &bob, false).await;
    // Wait until bound, then close Bob's endpoint entirely.
    loop {
        match tokio::time::timeout(LIMIT, sa.next_event()).await.unwrap() {
            Some(SessionEvent::Bound { .. }) => break,
            Some(_) => {}
            None => panic!("ended"),
        }
    }
    bob.close();
    let failed = loop {
        match tokio::time::timeout(LIMIT, sa.next_event()).await.unwrap() {
            Some(SessionEvent::SessionFailed(f)) => break f,
            Some(_) => {}
            None => panic!("ended without SessionFailed"),
        }
    };
    // EOF or a reset, depending on whether Bob had unread bytes when he closed.
    assert!(
        matches!(failed, SessionFailure::Msrp(_) | SessionFailure::Io(_)),
        "{failed:?}"
    );
    drop(sb);
}

/// R4975-189: a Content-Type the peer's SDP did not list is refused locally and nothing
/// is written; listed types still go.
#[tokio::test]
async fn r4975_189_a_type_the_peer_did_not_list_is_never_sent() {
    let (alice, bob) = (endpoint(false), endpoint(false));
    let (mut sa, sb) = negotiate(&alice, &bob, false).await;
    let refused = sb.send("image/png", Bytes::from_static(b"\x89PNG"));
    assert!(
        matches!(&refused, Err(msrp_tokio::Error::NotAccepted(t)) if t == "image/png"),
        "{refused:?}"
    );
    sb.send("text/plain", "after").unwrap();
    // The first message Alice sees is the accepted one.
    assert_eq!(
        tokio::time::timeout(LIMIT, receive(&mut sa)).await.unwrap(),
        ("text/plain".into(), b"after".to_vec())
    );
}

/// R4975-045: an `msrps` session is only ever bound to a TLS connection. A peer that
/// knows the session URI and sends the binding SEND over a plain TCP listener is refused
/// and the session fails, instead of carrying its traffic unprotected.
#[tokio::test]
async fn r4975_045_an_msrps_session_never_binds_a_plain_tcp_connection() {
    let (alice, mallory) = (endpoint(true), endpoint(false));
    // Alice mistakenly also listens on plain TCP; her session is msrps.
    let addr = alice.listen("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let alice_uri = session_uri(true, "127.0.0.1", addr.port()).unwrap();
    let mallory_uri = session_uri(false, "127.0.0.1", 9).unwrap();
    let some_fp = alice
        .certificate()
        .unwrap()
        .fingerprint(msrp_proto::tls::HashAlgorithm::Sha256);
    let mut sa = alice
        .add_session(
            alice_uri.clone(),
            vec![mallory_uri.clone()],
            None,
            &[some_fp],
        )
        .unwrap();
    let conn = mallory.connect(addr).await.unwrap();
    let _sm = mallory
        .add_session(mallory_uri, vec![alice_uri], Some(conn), &[])
        .unwrap();
    let ev = tokio::time::timeout(LIMIT, sa.next_event()).await.unwrap();
    assert!(
        matches!(
            ev,
            Some(SessionEvent::SessionFailed(SessionFailure::Tls(
                msrp_proto::tls::TlsError::NoCertificate
            )))
        ),
        "{ev:?}"
    );
}

/// R4975-058: a path URI with a host name is dialled by resolving the name (A/AAAA) and
/// connecting to the URI's port.
#[tokio::test]
async fn r4975_058_a_host_name_in_the_path_is_resolved_and_dialled() {
    let (alice, bob) = (endpoint(false), endpoint(false));
    let addr = alice.listen("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let a = msrp_sdp::LocalConfig::new(session_uri(false, "localhost", addr.port()).unwrap());
    let mut b = msrp_sdp::LocalConfig::new(session_uri(false, "127.0.0.1", 9).unwrap());
    b.reachable = false;
    let offer = create_offer(&a, &origin()).unwrap();
    let answer = create_answer(&offer, &b, &Resolutions::new(), &origin()).unwrap();
    let AnswerOutcome::Accept { session: sb, .. } = answer.outcome else {
        panic!("rejected");
    };
    match &sb.connect {
        msrp_sdp::Connect::Dial { address, port, .. } => {
            assert_eq!(address.to_string(), "localhost");
            assert_eq!(*port, addr.port());
        }
        other => panic!("{other:?}"),
    }
    let OfferOutcome::Established(sa) =
        apply_answer_sdp(&a, &offer, &answer.sdp, &Resolutions::new()).unwrap()
    else {
        panic!("not established");
    };
    let mut alice_s = alice.open_session(&sa).await.unwrap();
    let bob_s = bob.open_session(&sb).await.unwrap();
    bob_s.send("text/plain", "by name").unwrap();
    assert_eq!(
        tokio::time::timeout(LIMIT, receive(&mut alice_s))
            .await
            .unwrap()
            .1,
        b"by name"
    );
}

/// R6135-011, R4975-234: TLS with self-signed certificates means the fingerprint travels in
/// the SDP. Our offer carries it; an answer without one leaves nothing to check the peer
/// against, and the session is refused rather than run unauthenticated.
#[tokio::test]
async fn r6135_011_self_signed_tls_needs_the_fingerprint_in_the_sdp() {
    let (alice, bob) = (endpoint(true), endpoint(true));
    let addr = alice
        .listen_tls("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let mut a = msrp_sdp::LocalConfig::new(session_uri(true, "127.0.0.1", addr.port()).unwrap());
    a.fingerprints = vec![alice.sdp_fingerprint().unwrap()];
    let mut b = msrp_sdp::LocalConfig::new(session_uri(true, "127.0.0.1", 9).unwrap());
    b.reachable = false; // Bob dials; his answer forgets the fingerprint
    let offer = create_offer(&a, &origin()).unwrap();
    let fp = alice.sdp_fingerprint().unwrap().to_string();
    assert!(
        offer.to_string().contains(&format!("a=fingerprint:{fp}")),
        "{offer}"
    );
    let answer = create_answer(&offer, &b, &Resolutions::new(), &origin()).unwrap();
    let AnswerOutcome::Accept { session: sb, .. } = answer.outcome else {
        panic!("rejected");
    };
    assert!(!answer.sdp.to_string().contains("a=fingerprint"));
    let OfferOutcome::Established(sa) =
        apply_answer_sdp(&a, &offer, &answer.sdp, &Resolutions::new()).unwrap()
    else {
        panic!("not established");
    };
    assert!(sa.remote_fingerprints.is_empty());
    let refused = tokio::time::timeout(LIMIT, alice.open_session(&sa))
        .await
        .unwrap();
    assert!(
        refused.is_err(),
        "Alice cannot authenticate Bob: {:?}",
        refused.is_ok()
    );
    // Bob has Alice's fingerprint and dials, but Alice's side does not take him.
    if let Ok(mut s) = tokio::time::timeout(LIMIT, bob.open_session(&sb))
        .await
        .unwrap()
    {
        let ev = tokio::time::timeout(LIMIT, s.next_event()).await.unwrap();
        assert!(
            matches!(ev, Some(SessionEvent::SessionFailed(_)) | None),
            "{ev:?}"
        );
    }
}

/// A message is written by the task that sends it while the socket takes it: on a
/// single-threaded runtime the driver task cannot run between `send` and the blocking
/// read below, so only the sending task can have written the bytes.
#[tokio::test(flavor = "current_thread")]
async fn the_sending_task_writes_its_own_message() {
    let peer = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = peer.local_addr().unwrap();
    let bob = endpoint(false);
    let conn = bob.connect(addr).await.unwrap();
    let b = session_uri(false, "127.0.0.1", 9).unwrap();
    let a = session_uri(false, "127.0.0.1", addr.port()).unwrap();
    let sb = bob.add_session(b, vec![a], Some(conn), &[]).unwrap();
    sb.send("text/plain", "written-by-the-sender").unwrap();
    // No `.await` from here on: the driver gets no chance to run.
    let (mut s, _) = peer.accept().unwrap();
    s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while !got.windows(21).any(|w| w == b"written-by-the-sender") {
        match std::io::Read::read(&mut s, &mut buf) {
            Ok(0) => panic!("closed"),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) => panic!(
                "the message was not written by the sending task ({e}); got {:?}",
                String::from_utf8_lossy(&got)
            ),
        }
    }
    assert!(
        got.starts_with(b"MSRP "),
        "{:?}",
        String::from_utf8_lossy(&got)
    );
}
