//! The relay server's AUTH (RFC 4976 §6.3, §9.1): our AuthClient against our Relay, and
//! hand-made Digest attacks.

mod relay_util;

use std::time::Duration;

use msrp_proto::digest::{DigestInput, ha1, response};
use msrp_proto::relay::server::{CloseReason, Event};
use msrp_proto::relay::{AuthError, AuthEvent};
use msrp_proto::wire::headers::{AuthenticationInfo, DigestChallenge};
use relay_util::*;

const ALICE: &str = "msrps://alice.example.com:9892/98cjs;tcp";
const INTRA: &str = "msrps://intra.example.com:9000;tcp";
const EXTRA: &str = "msrps://extra.example.com:9000;tcp";

fn one_relay(seed: u64) -> (Net, usize) {
    let mut net = Net::new();
    let r = net.add_relay(relay_config(INTRA, seed));
    let (p, _) = net.connect_peer(r);
    (net, p)
}

fn auth_request(tid: &str, authorization: Option<&str>, expires: Option<u32>) -> Vec<u8> {
    let mut s = format!("MSRP {tid} AUTH\r\nTo-Path: {INTRA}\r\nFrom-Path: {ALICE}\r\n");
    if let Some(a) = authorization {
        s.push_str(&format!("Authorization: {a}\r\n"));
    }
    if let Some(e) = expires {
        s.push_str(&format!("Expires: {e}\r\n"));
    }
    s.push_str(&format!("-------{tid}$\r\n"));
    s.into_bytes()
}

/// A correct (for `password`) Authorization for `nonce` with count `nc`.
fn authorization(nonce: &str, nc: u32, password: &str) -> String {
    let nc_text = format!("{nc:08x}");
    let r = response(
        &ha1("alice", "intra.example.com", password),
        &DigestInput {
            nonce,
            nc: &nc_text,
            cnonce: "0a4f113b",
            method: "AUTH",
            uri: INTRA,
        },
    );
    format!(
        "Digest username=\"alice\", realm=\"intra.example.com\", nonce=\"{nonce}\", qop=auth, nc={nc_text}, cnonce=\"0a4f113b\", response=\"{}\"",
        std::str::from_utf8(&r).unwrap()
    )
}

/// Sends `req` and returns the one response.
fn exchange(net: &mut Net, p: usize, req: &[u8]) -> Vec<u8> {
    net.send(p, req);
    let mut f = net.frames(p);
    assert_eq!(
        f.len(),
        1,
        "{:?}",
        f.iter().map(|x| text(x)).collect::<Vec<_>>()
    );
    f.remove(0)
}

fn status(frame: &[u8]) -> u16 {
    text(frame)
        .split_whitespace()
        .nth(2)
        .unwrap()
        .parse()
        .unwrap()
}

fn nonce_of(frame: &[u8]) -> (String, bool) {
    let v = header(frame, "WWW-Authenticate").unwrap();
    let c = DigestChallenge::parse(v.as_bytes()).unwrap();
    assert_eq!(c.realm, "intra.example.com");
    assert!(
        v.contains("qop=\"auth\""),
        "R4976-058: qop quoted in challenges"
    );
    assert!(c.algorithm.is_none() && !v.contains("auth-int") && !v.contains("MD5-sess"));
    (c.nonce.to_owned(), c.stale)
}

#[test]
fn r4976_016_r4976_031_r4976_061_auth_client_authenticates_against_our_relay() {
    let (mut net, p) = one_relay(1);
    let use_path = net.auth(p, "alice", PASSWORD, &[INTRA], ALICE).unwrap();
    assert_eq!(use_path.len(), 1);
    let u = use_path[0].as_ref();
    assert_eq!(u.host_str(), "intra.example.com");
    assert_eq!(u.port(), Some(9000), "R4976-008: explicit port");
    assert!(
        u.session_id().unwrap().len() >= 14,
        "R4976-029: ≥ 80 random bits"
    );
    assert!(net.events.iter().any(|(_, e)| matches!(
        e,
        Event::Authenticated {
            expires_secs: 900,
            ..
        }
    )));
}

#[test]
fn r4976_061_200_carries_use_path_expires_and_authentication_info() {
    let (mut net, p) = one_relay(2);
    let first = exchange(&mut net, p, &auth_request("49fh", None, None));
    assert_eq!(status(&first), 401);
    assert_eq!(header(&first, "To-Path").unwrap(), ALICE);
    assert_eq!(header(&first, "From-Path").unwrap(), INTRA);
    let (nonce, stale) = nonce_of(&first);
    assert!(!stale);
    let ok = exchange(
        &mut net,
        p,
        &auth_request("49fi", Some(&authorization(&nonce, 1, PASSWORD)), None),
    );
    assert_eq!(status(&ok), 200);
    assert_eq!(
        header(&ok, "Expires").unwrap(),
        "1800",
        "the default lifetime"
    );
    assert!(
        header(&ok, "Use-Path")
            .unwrap()
            .starts_with("msrps://intra.example.com:9000/")
    );
    let info = header(&ok, "Authentication-Info").unwrap();
    let info = AuthenticationInfo::parse(info.as_bytes()).unwrap();
    info.require_rfc4976().unwrap();
    assert_eq!(info.cnonce, Some("0a4f113b"));
    assert_eq!(info.nc, Some(1));
    assert!(info.nextnonce.is_some());
    // rspauth proves the relay knows H(A1): the digest with an empty method.
    let expected = response(
        &ha1("alice", "intra.example.com", PASSWORD),
        &DigestInput {
            nonce: &nonce,
            nc: "00000001",
            cnonce: "0a4f113b",
            method: "",
            uri: INTRA,
        },
    );
    assert_eq!(info.rspauth.unwrap().as_bytes(), &expected);
}

#[test]
fn r4976_027_expires_out_of_bounds_gets_423() {
    let (mut net, p) = one_relay(3);
    let (nonce, _) = nonce_of(&exchange(&mut net, p, &auth_request("t001", None, None)));
    let low = exchange(
        &mut net,
        p,
        &auth_request("t002", Some(&authorization(&nonce, 1, PASSWORD)), Some(10)),
    );
    assert_eq!(status(&low), 423);
    assert_eq!(header(&low, "Min-Expires").unwrap(), "60");
    let high = exchange(
        &mut net,
        p,
        &auth_request(
            "t003",
            Some(&authorization(&nonce, 2, PASSWORD)),
            Some(99_999),
        ),
    );
    assert_eq!(status(&high), 423);
    assert_eq!(header(&high, "Max-Expires").unwrap(), "3600");
    let ok = exchange(
        &mut net,
        p,
        &auth_request(
            "t004",
            Some(&authorization(&nonce, 3, PASSWORD)),
            Some(3600),
        ),
    );
    assert_eq!(status(&ok), 200);
    assert_eq!(header(&ok, "Expires").unwrap(), "3600");

    // And our AuthClient adapts to the bound by itself.
    let mut net = Net::new();
    let mut cfg = relay_config(INTRA, 4);
    cfg.min_expires = 1000;
    let r = net.add_relay(cfg);
    let (p, _) = net.connect_peer(r);
    net.auth(p, "alice", PASSWORD, &[INTRA], ALICE).unwrap();
    assert!(net.events.iter().any(|(_, e)| matches!(
        e,
        Event::Authenticated {
            expires_secs: 1000,
            ..
        }
    )));
}

#[test]
fn r4976_053_wrong_password_is_refused() {
    let (mut net, p) = one_relay(5);
    let r = net.auth(p, "alice", "wrong", &[INTRA], ALICE);
    assert_eq!(r, Err(AuthEvent::Failed(AuthError::WrongCredentials)));
    assert_eq!(net.relays[0].issued_count(), 0);
    // Unknown users look exactly the same.
    let (p2, _) = net.connect_peer(0);
    let r = net.auth(p2, "mallory", PASSWORD, &[INTRA], ALICE);
    assert_eq!(r, Err(AuthEvent::Failed(AuthError::WrongCredentials)));
}

#[test]
fn r4976_070_stale_nonce_gets_401_stale_true() {
    let (mut net, p) = one_relay(6);
    let (nonce, _) = nonce_of(&exchange(&mut net, p, &auth_request("s001", None, None)));
    // Keep the connection out of probation trouble: the lifetime (300 s) is what matters.
    net.relays[0].handle_timeout(net.now);
    net.now += Duration::from_secs(300);
    let stale = exchange(
        &mut net,
        p,
        &auth_request("s002", Some(&authorization(&nonce, 1, PASSWORD)), None),
    );
    assert_eq!(status(&stale), 401);
    let (fresh, is_stale) = nonce_of(&stale);
    assert!(is_stale, "right digest, expired nonce → stale=TRUE");
    assert_ne!(fresh, nonce);
    let ok = exchange(
        &mut net,
        p,
        &auth_request("s003", Some(&authorization(&fresh, 1, PASSWORD)), None),
    );
    assert_eq!(status(&ok), 200);
}

#[test]
fn r4976_063_replayed_nonce_and_nc_are_refused() {
    let (mut net, p) = one_relay(7);
    let (nonce, _) = nonce_of(&exchange(&mut net, p, &auth_request("p001", None, None)));
    let creds = authorization(&nonce, 1, PASSWORD);
    let ok = exchange(&mut net, p, &auth_request("p002", Some(&creds), None));
    assert_eq!(status(&ok), 200);
    // The very same AUTH again (a captured request): 401, no second URI.
    let replay = exchange(&mut net, p, &auth_request("p003", Some(&creds), None));
    assert_eq!(status(&replay), 401);
    assert_eq!(net.relays[0].issued_count(), 1);

    // A replayed nc on a nonce that is still valid (after a 423): 401, not stale.
    let (nonce, _) = nonce_of(&replay);
    let c1 = authorization(&nonce, 1, PASSWORD);
    assert_eq!(
        status(&exchange(
            &mut net,
            p,
            &auth_request("p004", Some(&c1), Some(1))
        )),
        423
    );
    let again = exchange(&mut net, p, &auth_request("p005", Some(&c1), None));
    assert_eq!(status(&again), 401);
    assert!(
        !nonce_of(&again).1,
        "a replayed nc is a failure, not staleness"
    );
    assert_eq!(net.relays[0].issued_count(), 1);
}

#[test]
fn r4976_032_repeated_failures_close_the_client_connection() {
    let (mut net, p) = one_relay(8);
    let (mut nonce, _) = nonce_of(&exchange(&mut net, p, &auth_request("f000", None, None)));
    for i in 1..=3 {
        net.send(
            p,
            &auth_request(
                &format!("f00{i}"),
                Some(&authorization(&nonce, 1, "guess")),
                None,
            ),
        );
        if let Some(f) = net.frames(p).pop() {
            nonce = nonce_of(&f).0;
        }
    }
    let closed = net.closed_events();
    assert_eq!(closed.len(), 1);
    assert!(matches!(
        closed[0],
        Event::Closed {
            reason: CloseReason::AuthFailures,
            ..
        }
    ));
}

#[test]
fn r4976_018_r4976_045_auth_through_an_intra_domain_relay() {
    // Vectors 5.1-05..12: alice AUTHs to extra through intra; the 401 and the 200 from
    // extra are routed back through intra with the path move.
    let mut net = Net::new();
    let intra = net.add_relay(relay_config(INTRA, 10));
    let _extra = net.add_relay(relay_config(EXTRA, 11));
    let (alice, _) = net.connect_peer(intra);
    let use_path = net
        .auth(alice, "alice", PASSWORD, &[INTRA, EXTRA], ALICE)
        .unwrap();
    assert_eq!(use_path.len(), 2, "{use_path:?}");
    assert!(
        use_path[0]
            .as_str()
            .starts_with("msrps://intra.example.com:9000/")
    );
    assert!(
        use_path[1]
            .as_str()
            .starts_with("msrps://extra.example.com:9000/")
    );

    // The route works: a peer of extra's (bob, connected directly) reaches alice.
    let (bob, _) = net.connect_peer(1);
    let bob_uri = "msrps://bob.example.net:8145/foo;tcp";
    let got = bob_reaches_alice(&mut net, bob, alice, &use_path, "ab12ab");
    assert_eq!(
        header(&got, "From-Path").unwrap(),
        format!(
            "{} {} {bob_uri}",
            use_path[0].as_str(),
            use_path[1].as_str()
        )
    );

    // And alice reaches bob the other way (intra dials extra for the SEND).
    net.send(
        alice,
        &send(
            "c3p0c3p0",
            &[use_path[0].as_str(), use_path[1].as_str(), bob_uri],
            &[ALICE],
            "Message-ID: cd34cd\r\n",
            None,
        ),
    );
    let got = net.frames(bob);
    let sends: Vec<_> = got
        .iter()
        .filter(|g| text(g).contains(" SEND\r\n"))
        .collect();
    assert_eq!(
        sends.len(),
        1,
        "{:?}",
        got.iter().map(|g| text(g)).collect::<Vec<_>>()
    );
}

/// A forwarded AUTH (From-Path: previous hop, then the client) on connection `c`.
fn forwarded_auth(tid: &str, prev: &str) -> Vec<u8> {
    format!("MSRP {tid} AUTH\r\nTo-Path: {INTRA}\r\nFrom-Path: {prev} {ALICE}\r\n-------{tid}$\r\n")
        .into_bytes()
}

/// R4976-025: a previous hop authenticated as a relay by mutual TLS must speak for the
/// host of the first From-Path URI; a relay certificate for one name cannot forward
/// requests in another's name (403), while the client behind it is still challenged.
#[test]
fn r4976_025_peer_relay_must_own_the_first_from_path_host() {
    let mut net = Net::new();
    let r = net.add_relay(relay_config(INTRA, 21));
    let (p, c) = net.connect_peer(r);
    let edge = counted_cert(&["edge.example.com"]);
    net.relays[r].set_peer_relay(c, edge.clone()).unwrap();
    let ok = exchange(
        &mut net,
        p,
        &forwarded_auth("pr000001", "msrps://edge.example.com:9000/xyz;tcp"),
    );
    assert_eq!(status(&ok), 401, "{}", text(&ok));
    // The next request in the same name is not checked against the certificate again.
    let again = exchange(
        &mut net,
        p,
        &forwarded_auth("pr000011", "msrps://EDGE.example.com:9000/xyz;tcp"),
    );
    assert_eq!(status(&again), 401, "{}", text(&again));
    assert_eq!(edge.1.load(std::sync::atomic::Ordering::Relaxed), 1);
    let forged = exchange(
        &mut net,
        p,
        &forwarded_auth("pr000002", "msrps://other.example.net:9000/xyz;tcp"),
    );
    assert_eq!(status(&forged), 403, "{}", text(&forged));
    // A plain client connection is not a relay: the same AUTH is challenged (Digest
    // authenticates the client; R4976-022 "none marks an MSRP client").
    let (q, qc) = net.connect_peer(r);
    let plain = exchange(
        &mut net,
        q,
        &forwarded_auth("pr000003", "msrps://other.example.net:9000/xyz;tcp"),
    );
    assert_eq!(status(&plain), 401, "{}", text(&plain));
    // A closed connection cannot be marked.
    net.close_peer(q);
    assert!(net.relays[r].set_peer_relay(qc, cert(&["x"])).is_err());
}

/// Alice AUTHs through intra to extra (intra presenting a certificate when `mutual`),
/// Bob (a client of extra) reaches her, then the relay link drops and Alice sends to Bob
/// again. Returns the network, Alice, Bob, Alice's Use-Path and the SEND bodies Bob got.
fn after_the_relay_link_drops(
    mutual: bool,
    seed: u64,
) -> (Net, usize, usize, Vec<msrp_proto::uri::Uri>, Vec<Vec<u8>>) {
    let mut net = Net::new();
    let intra = net.add_relay(relay_config(INTRA, seed));
    let extra = net.add_relay(relay_config(EXTRA, seed + 1));
    if mutual {
        net.certs.insert(intra, vec!["intra.example.com".into()]);
    }
    let (alice, _) = net.connect_peer(intra);
    let use_path = net
        .auth(alice, "alice", PASSWORD, &[INTRA, EXTRA], ALICE)
        .unwrap();
    assert_eq!(use_path.len(), 2, "{use_path:?}");
    let (bob, _) = net.connect_peer(extra);
    let bob_uri = "msrps://bob.example.net:8145/foo;tcp";
    let _ = bob_reaches_alice(&mut net, bob, alice, &use_path, &format!("first{seed}"));

    net.cut_relay_links();
    net.send(
        alice,
        &send(
            &format!("a1b2c3d{seed}"),
            &[use_path[0].as_str(), use_path[1].as_str(), bob_uri],
            &[ALICE],
            &format!("Message-ID: after{seed}\r\n"),
            Some(b"hello again"),
        ),
    );
    let sends = net
        .frames(bob)
        .iter()
        .filter(|g| text(g).contains(" SEND\r\n"))
        .map(|g| body(g))
        .collect();
    (net, alice, bob, use_path, sends)
}

/// R4976-028: a URI issued to a mutually authenticated previous-hop relay is valid over
/// any connection to that relay: after the relay link drops, intra dials extra again and
/// traffic flows both ways through the URI extra issued before.
#[test]
fn r4976_028_uri_issued_to_a_peer_relay_survives_its_connection() {
    let (mut net, alice, bob, use_path, sends) = after_the_relay_link_drops(true, 22);
    // Alice → bob: intra dialled extra anew; extra accepted its own URI from that relay.
    assert_eq!(sends, [b"hello again".to_vec()]);
    // Bob → alice over the new connection.
    let _ = bob_reaches_alice(&mut net, bob, alice, &use_path, "back11");
}

/// R4976-028, the other half: without mutual TLS the URI dies with the connection.
#[test]
fn r4976_028_uri_issued_over_an_unauthenticated_relay_link_dies_with_it() {
    let (.., sends) = after_the_relay_link_drops(false, 24);
    assert!(sends.is_empty(), "{sends:?}");
}

/// R4976-028: a request the relay refuses (here a SEND
/// with a body and no Content-Type, 400) toward a peer relay's URI whose connection is
/// gone dials nothing; only an accepted one opens the connection again.
#[test]
fn r4976_028_refused_request_toward_a_peer_relay_uri_dials_nothing() {
    let (mut net, alice, bob, use_path, sends) = after_the_relay_link_drops(true, 26);
    assert_eq!(sends, [b"hello again".to_vec()]);
    net.cut_relay_links();
    net.frames(alice);
    let links = net.links.len();
    let bob_uri = "msrps://bob.example.net:8145/foo;tcp";
    let bad = format!(
        "MSRP nocttid1 SEND\r\nTo-Path: {} {} {ALICE}\r\nFrom-Path: {bob_uri}\r\n\
         Message-ID: noct1\r\n\r\nhi\r\n-------nocttid1$\r\n",
        use_path[1], use_path[0]
    );
    net.send(bob, bad.as_bytes());
    let got = net.frames(bob);
    assert!(
        got.iter().any(|g| text(g).starts_with("MSRP nocttid1 400")),
        "{:?}",
        got.iter().map(|g| text(g)).collect::<Vec<_>>()
    );
    assert_eq!(net.links.len(), links, "a refused request dialled");
    assert!(net.frames(alice).is_empty());
    // An accepted one dials and arrives.
    let _ = bob_reaches_alice(&mut net, bob, alice, &use_path, "redial1");
    assert_eq!(net.links.len(), links + 1);
}

/// Bob (a direct client of extra) sends one SEND to alice through both relays.
fn bob_reaches_alice(
    net: &mut Net,
    bob: usize,
    alice: usize,
    use_path: &[msrp_proto::uri::Uri],
    mid: &str,
) -> Vec<u8> {
    let bob_uri = "msrps://bob.example.net:8145/foo;tcp";
    let to = [use_path[1].as_str(), use_path[0].as_str(), ALICE];
    let tid = format!("t{mid}");
    net.send(
        bob,
        &send(
            &tid,
            &to,
            &[bob_uri],
            &format!("Message-ID: {mid}\r\n"),
            Some(b"hi"),
        ),
    );
    let got = net.frames(alice);
    let mut sends: Vec<_> = got
        .iter()
        .filter(|g| text(g).contains(" SEND\r\n"))
        .cloned()
        .collect();
    assert_eq!(
        sends.len(),
        1,
        "{:?}",
        got.iter().map(|g| text(g)).collect::<Vec<_>>()
    );
    net.frames(bob);
    sends.remove(0)
}
