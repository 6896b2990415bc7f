//! RFC 4976 rows of the spec digest checked against our relay and our AUTH client in
//! the in-memory network. Each test names the rows it checks.

mod relay_util;

use msrp_proto::rand::SeededRandom;
use msrp_proto::relay::{AuthClient, AuthConfig, AuthEvent};
use msrp_proto::wire::{Decoder, Event as WireEvent};
use relay_util::*;

const ALICE: &str = "msrps://alice.example.org:7965/bar;tcp";
const BOB: &str = "msrps://bob.example.net:8145/foo;tcp";
const RELAY: &str = "msrps://a.example.org:9000;tcp";

fn status(frame: &[u8]) -> u16 {
    text(frame)
        .split_whitespace()
        .nth(2)
        .unwrap()
        .parse()
        .unwrap()
}

fn auth(tid: &str, authorization: Option<&str>) -> Vec<u8> {
    let mut s = format!("MSRP {tid} AUTH\r\nTo-Path: {RELAY}\r\nFrom-Path: {ALICE}\r\n");
    if let Some(a) = authorization {
        s.push_str(&format!("Authorization: {a}\r\n"));
    }
    s.push_str(&format!("-------{tid}$\r\n"));
    s.into_bytes()
}

/// Alice and Bob AUTHed at one relay: (net, alice, bob, alice's relay URI, bob's).
fn two_through_one() -> (Net, usize, usize, String, String) {
    let mut net = Net::new();
    let r = net.add_relay(relay_config(RELAY, 3));
    let (alice, _) = net.connect_peer(r);
    let (bob, _) = net.connect_peer(r);
    let ua = net.auth(alice, "alice", PASSWORD, &[RELAY], ALICE).unwrap();
    let ub = net.auth(bob, "bob", PASSWORD, &[RELAY], BOB).unwrap();
    (
        net,
        alice,
        bob,
        ua[0].as_str().to_owned(),
        ub[0].as_str().to_owned(),
    )
}

#[test]
fn r4976_055_r4976_056_challenges_offer_neither_auth_int_nor_md5_sess() {
    let mut net = Net::new();
    let r = net.add_relay(relay_config(RELAY, 1));
    let (p, _) = net.connect_peer(r);
    net.send(p, &auth("ch000001", None));
    let f = net.frames(p);
    assert_eq!(f.len(), 1);
    assert_eq!(status(&f[0]), 401);
    let challenge = header(&f[0], "WWW-Authenticate").unwrap();
    assert!(challenge.starts_with("Digest "), "{challenge}");
    assert!(!challenge.contains("auth-int"), "R4976-055: {challenge}");
    assert!(
        !challenge.to_ascii_lowercase().contains("md5-sess"),
        "R4976-056: {challenge}"
    );
}

#[test]
fn r4976_054_basic_authentication_is_never_accepted() {
    let mut net = Net::new();
    let r = net.add_relay(relay_config(RELAY, 2));
    let (p, _) = net.connect_peer(r);
    // "alice:correct horse"
    net.send(
        p,
        &auth("ba000001", Some("Basic YWxpY2U6Y29ycmVjdCBob3JzZQ==")),
    );
    let f = net.frames(p);
    assert_eq!(f.len(), 1);
    assert_ne!(status(&f[0]), 200, "{}", text(&f[0]));
    assert!(header(&f[0], "Use-Path").is_none());
}

#[test]
fn r4976_062_uri_quoted_and_authentication_info_comma_separated() {
    let mut net = Net::new();
    let r = net.add_relay(relay_config(RELAY, 4));
    let (p, _) = net.connect_peer(r);
    let mut cfg = AuthConfig::new("alice", PASSWORD, vec![uri(RELAY)], uri(ALICE));
    cfg.expires = Some(900);
    let mut client = AuthClient::new(cfg).unwrap();
    let mut rng = SeededRandom::new(9);
    let mut sent = Vec::new();
    let mut ok = None;
    for _ in 0..10 {
        let mut buf = Vec::new();
        if client.poll_transmit(net.now, &mut rng, &mut buf).is_some() {
            sent.push(buf.clone());
            net.send(p, &buf);
        }
        for f in net.frames(p) {
            let mut d = Decoder::default();
            if let Ok((_, WireEvent::Head(h))) = d.decode(&f) {
                match client.handle_response(net.now, &h) {
                    Some(AuthEvent::Authenticated { .. }) => ok = Some(f.clone()),
                    Some(other) => panic!("{other:?}"),
                    None => {}
                }
            }
        }
        if ok.is_some() {
            break;
        }
    }
    let ok = ok.expect("authenticated");
    let authorization = sent
        .iter()
        .find_map(|f| header(f, "Authorization"))
        .expect("the second AUTH carries credentials");
    if let Some(i) = authorization.find("uri=") {
        assert_eq!(
            authorization.as_bytes()[i + 4],
            b'"',
            "R4976-062: uri quoted in {authorization}"
        );
    }
    let info = header(&ok, "Authentication-Info").expect("Authentication-Info");
    let params: Vec<&str> = info.split(',').map(str::trim).collect();
    assert!(params.len() >= 2, "comma-separated: {info}");
    for p in params {
        assert!(p.contains('='), "{p} in {info}");
    }
}

#[test]
fn r4976_035_relay_answers_a_send_at_once_before_the_next_hop() {
    let (mut net, alice, bob, ua, ub) = two_through_one();
    net.send(
        alice,
        &send(
            "im000001",
            &[&ua, &ub, BOB],
            &[ALICE],
            "Message-ID: m35m35\r\nByte-Range: 1-5/5\r\n",
            Some(b"hello"),
        ),
    );
    // Bob has not answered anything, yet Alice already has her 200 from the relay.
    let to_alice = net.frames(alice);
    assert_eq!(to_alice.len(), 1);
    assert!(text(&to_alice[0]).starts_with("MSRP im000001 200 OK\r\n"));
    assert_eq!(header(&to_alice[0], "To-Path").unwrap(), ALICE);
    let to_bob = net.frames(bob);
    assert_eq!(to_bob.len(), 1);
    assert_eq!(body(&to_bob[0]), b"hello");
}

#[test]
fn r4976_044_an_error_from_the_next_hop_becomes_a_report() {
    let (mut net, alice, bob, ua, ub) = two_through_one();
    net.send(
        alice,
        &send(
            "er000001",
            &[&ua, &ub, BOB],
            &[ALICE],
            "Message-ID: m44m44\r\nByte-Range: 1-5/5\r\n",
            Some(b"hello"),
        ),
    );
    assert_eq!(net.frames(alice).len(), 1); // the relay's 200
    let fwd = net.frames(bob);
    assert_eq!(fwd.len(), 1);
    let tid = tid_of(&fwd[0]);
    let to = header(&fwd[0], "From-Path").unwrap();
    net.send(
        bob,
        format!("MSRP {tid} 415 Unsupported Media Type\r\nTo-Path: {to}\r\nFrom-Path: {BOB}\r\n-------{tid}$\r\n")
            .as_bytes(),
    );
    let reports = net.frames(alice);
    assert_eq!(
        reports.len(),
        1,
        "{:?}",
        reports.iter().map(|f| text(f)).collect::<Vec<_>>()
    );
    let r = &reports[0];
    assert!(text(r).contains(" REPORT\r\n"));
    assert_eq!(header(r, "Message-ID").unwrap(), "m44m44");
    assert!(
        header(r, "Status").unwrap().starts_with("000 415"),
        "{}",
        text(r)
    );
}
