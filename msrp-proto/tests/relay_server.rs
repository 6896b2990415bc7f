//! The relay server (RFC 4976) in an in-memory network: forwarding, path moves,
//! re-chunking, failure REPORTs, back-pressure.

mod relay_util;

use std::time::Duration;

use msrp_proto::relay::server::{CloseReason, Event};
use relay_util::*;

const ALICE: &str = "msrps://alice.example.org:7965/bar;tcp";
const BOB: &str = "msrps://bob.example.net:8145/foo;tcp";
const RELAY_A: &str = "msrps://a.example.org:9000;tcp";
const RELAY_B: &str = "msrps://b.example.net:9000;tcp";

const V3_01: &str = include_str!("vectors/rfc4976-3-01-send-alice-to-relayA.msrp");
const V3_02: &str = include_str!("vectors/rfc4976-3-02-200ok-relayA-to-alice.msrp");
const V3_03: &str = include_str!("vectors/rfc4976-3-03-send-relayA-to-relayB.msrp");
const V3_05: &str = include_str!("vectors/rfc4976-3-05-send-relayB-to-bob.msrp");
const V3_06: &str = include_str!("vectors/rfc4976-3-06-200ok-bob-to-relayB.corrected.msrp");
const V3_07: &str = include_str!("vectors/rfc4976-3-07-report-bob-to-relayB.msrp");
const V3_08: &str = include_str!("vectors/rfc4976-3-08-report-relayB-to-relayA.msrp");
const V3_09: &str = include_str!("vectors/rfc4976-3-09-report-relayA-to-alice.msrp");

/// Two relays A and B; alice AUTHed at A, bob at B. Returns (net, alice, bob, sid A, sid B).
fn chain() -> (Net, usize, usize, String, String) {
    let mut net = Net::new();
    let a = net.add_relay(relay_config(RELAY_A, 1));
    let b = net.add_relay(relay_config(RELAY_B, 2));
    let (alice, _) = net.connect_peer(a);
    let (bob, _) = net.connect_peer(b);
    let ua = net
        .auth(alice, "alice", PASSWORD, &[RELAY_A], ALICE)
        .unwrap();
    let ub = net.auth(bob, "bob", PASSWORD, &[RELAY_B], BOB).unwrap();
    assert_eq!(ua.len(), 1);
    assert_eq!(ub.len(), 1);
    (net, alice, bob, sid(&ua[0]), sid(&ub[0]))
}

fn subst(v: &str, sa: &str, sb: &str) -> String {
    v.replace("/kjfjan;", &format!("/{sa};"))
        .replace("/aeiug;", &format!("/{sb};"))
}

#[test]
fn r4976_001_r4976_034_vectors_3_01_to_3_05_and_reports_3_07_to_3_09() {
    let (mut net, alice, bob, sa, sb) = chain();
    net.send(alice, subst(V3_01, &sa, &sb).as_bytes());

    // Relay A answers hop by hop (R4976-035): exactly the 3-02 vector.
    let to_alice = net.frames(alice);
    assert_eq!(to_alice.len(), 1);
    assert_eq!(
        text(&to_alice[0]),
        subst(V3_02, &sa, &sb).replace("Message-ID: 87652\r\n", "")
    );

    // What bob received is 3-05 modulo the transaction id (R4976-001, new tid R4976-034).
    let to_bob = net.frames(bob);
    assert_eq!(to_bob.len(), 1);
    assert_eq!(
        mask_tid(&to_bob[0]),
        mask_tid(subst(V3_05, &sa, &sb).as_bytes())
    );
    assert_ne!(tid_of(&to_bob[0]), "6aef");

    // The A → B hop itself is checked against 3-03 in the next test; here bob's
    // From-Path shows A's push came before B's.
    let from_path = header(&to_bob[0], "From-Path").unwrap();
    let v303 = subst(V3_03, &sa, &sb);
    assert!(from_path.ends_with(&header(v303.as_bytes(), "From-Path").unwrap()));

    // Bob answers relay B; nothing more reaches alice (200s are hop by hop).
    let tid = tid_of(&to_bob[0]);
    net.send(
        bob,
        subst(V3_06, &sa, &sb).replace("xght6", &tid).as_bytes(),
    );
    assert!(net.frames(alice).is_empty());
    assert!(net.frames(bob).is_empty());

    // REPORTs travel end to end, with the same path moves, and are never answered
    // (R4976-041, R4975-125).
    net.send(bob, subst(V3_07, &sa, &sb).as_bytes());
    assert!(net.frames(bob).is_empty(), "no response to a REPORT");
    let reports = net.frames(alice);
    assert_eq!(reports.len(), 1);
    assert_eq!(
        mask_tid(&reports[0]),
        mask_tid(subst(V3_09, &sa, &sb).as_bytes())
    );
    let v308 = subst(V3_08, &sa, &sb);
    assert!(
        header(&reports[0], "From-Path")
            .unwrap()
            .ends_with(&header(v308.as_bytes(), "From-Path").unwrap())
    );
}

#[test]
fn r4976_001_vector_3_03_is_relay_a_output() {
    // Relay A alone, its next hop a raw peer standing in for relay B.
    let mut net = Net::new();
    let a = net.add_relay(relay_config(RELAY_A, 1));
    let (alice, _) = net.connect_peer(a);
    let relay_b = net.add_peer();
    net.names
        .insert(("b.example.net".into(), 9000), Dial::Peer(relay_b));
    let ua = net
        .auth(alice, "alice", PASSWORD, &[RELAY_A], ALICE)
        .unwrap();
    let sa = sid(&ua[0]);
    net.send(alice, subst(V3_01, &sa, "aeiug").as_bytes());
    let hop = net.frames(relay_b);
    assert_eq!(hop.len(), 1);
    assert_eq!(
        mask_tid(&hop[0]),
        mask_tid(subst(V3_03, &sa, "aeiug").as_bytes())
    );
    // 3-04: relay B's 200 to relay A ends the hop; A generates nothing else.
    let tid = tid_of(&hop[0]);
    let ok = format!(
        "MSRP {tid} 200 OK\r\nTo-Path: msrps://a.example.org:9000/{sa};tcp\r\nFrom-Path: msrps://b.example.net:9000/aeiug;tcp\r\nMessage-ID: 87652\r\n-------{tid}$\r\n"
    );
    net.peers[relay_b].backlog.extend_from_slice(ok.as_bytes());
    net.drive();
    net.advance(Duration::from_secs(60));
    assert_eq!(
        net.frames(alice).len(),
        1,
        "only the hop-by-hop 200, no REPORT"
    );
}

#[test]
fn r4976_033_two_endpoints_through_one_relay_both_ways() {
    let mut net = Net::new();
    let r = net.add_relay(relay_config(RELAY_A, 7));
    let (alice, _) = net.connect_peer(r);
    let (bob, _) = net.connect_peer(r);
    let ua = net
        .auth(alice, "alice", PASSWORD, &[RELAY_A], ALICE)
        .unwrap();
    let ub = net.auth(bob, "bob", PASSWORD, &[RELAY_A], BOB).unwrap();
    let (ua, ub) = (ua[0].as_str().to_owned(), ub[0].as_str().to_owned());

    net.send(
        alice,
        &send(
            "a1b2c3d4",
            &[&ua, &ub, BOB],
            &[ALICE],
            "Message-ID: m1m1m1\r\nByte-Range: 1-5/5\r\n",
            Some(b"hello"),
        ),
    );
    let got = net.frames(bob);
    assert_eq!(got.len(), 1);
    assert_eq!(header(&got[0], "To-Path").unwrap(), BOB);
    assert_eq!(
        header(&got[0], "From-Path").unwrap(),
        format!("{ub} {ua} {ALICE}")
    );
    assert_eq!(header(&got[0], "Byte-Range").unwrap(), "1-5/5");
    assert_eq!(body(&got[0]), b"hello");
    let ok = net.frames(alice);
    assert_eq!(ok.len(), 1);
    assert!(text(&ok[0]).starts_with("MSRP a1b2c3d4 200 OK\r\n"));

    net.send(
        bob,
        &send(
            "z9y8x7w6",
            &[&ub, &ua, ALICE],
            &[BOB],
            "Message-ID: m2m2m2\r\nByte-Range: 1-3/3\r\n",
            Some(b"hey"),
        ),
    );
    let got = net.frames(alice);
    assert_eq!(got.len(), 1);
    assert_eq!(
        header(&got[0], "From-Path").unwrap(),
        format!("{ua} {ub} {BOB}")
    );
    assert_eq!(body(&got[0]), b"hey");
}

#[test]
fn r4976_024_r4976_026_r4976_030_r4976_040_never_an_open_relay() {
    let mut net = Net::new();
    let r = net.add_relay(relay_config(RELAY_A, 3));
    let (alice, _) = net.connect_peer(r);
    let ua = net
        .auth(alice, "alice", PASSWORD, &[RELAY_A], ALICE)
        .unwrap();
    let ua = ua[0].as_str().to_owned();

    // An unauthenticated peer guessing a session-id: dropped, REPORT 481 (R4976-030,
    // R4976-040).
    let (mallory, _) = net.connect_peer(r);
    let guess = "msrps://a.example.org:9000/guessedsession12;tcp";
    net.send(
        mallory,
        &send(
            "aaaa1111",
            &[guess, "msrps://victim.example.com:1/x;tcp"],
            &["msrps://m.example.com:1/m;tcp"],
            "Message-ID: mmmm1\r\nByte-Range: 1-2/2\r\n",
            Some(b"hi"),
        ),
    );
    let f = net.frames(mallory);
    assert_eq!(f.len(), 1);
    assert!(text(&f[0]).contains(" REPORT\r\n"));
    assert_eq!(
        header(&f[0], "Status").unwrap(),
        "000 481 Session Does Not Exist"
    );
    assert_eq!(header(&f[0], "Byte-Range").unwrap(), "1-2/2");

    // Through the bare authority: 403, never forwarded.
    net.send(
        mallory,
        &send(
            "bbbb2222",
            &[RELAY_A, "msrps://victim.example.com:1/x;tcp"],
            &["msrps://m.example.com:1/m;tcp"],
            "Message-ID: mmmm2\r\n",
            None,
        ),
    );
    let f = net.frames(mallory);
    assert!(text(&f[0]).starts_with("MSRP bbbb2222 403 "));

    // Alice's URI used outward by someone who is not alice goes to alice, not onward.
    net.send(
        mallory,
        &send(
            "cccc3333",
            &[&ua, "msrps://victim.example.com:1/x;tcp"],
            &["msrps://m.example.com:1/m;tcp"],
            "Message-ID: mmmm3\r\n",
            None,
        ),
    );
    assert_eq!(net.frames(alice).len(), 1);
    assert!(
        net.events
            .iter()
            .all(|(_, e)| !matches!(e, Event::Connect { .. })),
        "no dial on behalf of strangers"
    );

    // A request not addressed to the relay closes the connection (R4976-024).
    net.send(
        mallory,
        &send(
            "dddd4444",
            &["msrps://elsewhere.example.com:9/x;tcp"],
            &["msrps://m.example.com:1/m;tcp"],
            "",
            None,
        ),
    );
    assert_eq!(
        net.closed_events(),
        vec![Event::Closed {
            conn: match net.links[net.peers[mallory].link.unwrap()].a {
                End::Relay(_, c) => c,
                End::Peer(_) => unreachable!(),
            },
            reason: CloseReason::NotAddressedToRelay
        }]
    );
}

#[test]
fn r4976_028_issued_uri_dies_with_its_connection() {
    let mut net = Net::new();
    let r = net.add_relay(relay_config(RELAY_A, 4));
    let (alice, _) = net.connect_peer(r);
    let ua = net
        .auth(alice, "alice", PASSWORD, &[RELAY_A], ALICE)
        .unwrap();
    assert_eq!(net.relays[r].issued_count(), 1);
    net.close_peer(alice);
    assert_eq!(net.relays[r].issued_count(), 0);
    let (bob, _) = net.connect_peer(r);
    net.send(
        bob,
        &send(
            "eeee5555",
            &[ua[0].as_str(), ALICE],
            &[BOB],
            "Message-ID: q1q1q1\r\n",
            None,
        ),
    );
    let f = net.frames(bob);
    assert_eq!(
        header(&f[0], "Status").unwrap(),
        "000 481 Session Does Not Exist"
    );
}

#[test]
fn r4976_029_issued_uri_expires() {
    let mut net = Net::new();
    let r = net.add_relay(relay_config(RELAY_A, 4));
    let (alice, _) = net.connect_peer(r);
    net.auth(alice, "alice", PASSWORD, &[RELAY_A], ALICE)
        .unwrap();
    net.advance(Duration::from_secs(899));
    assert_eq!(net.relays[r].issued_count(), 1);
    net.advance(Duration::from_secs(1));
    assert_eq!(net.relays[r].issued_count(), 0);
}

#[test]
fn r4976_037_next_hop_down_reports_481() {
    let mut net = Net::new();
    let r = net.add_relay(relay_config(RELAY_A, 5));
    let (alice, _) = net.connect_peer(r);
    let ua = net
        .auth(alice, "alice", PASSWORD, &[RELAY_A], ALICE)
        .unwrap();
    net.send(
        alice,
        &send(
            "ffff6666",
            &[ua[0].as_str(), "msrps://down.example.com:9/x;tcp"],
            &[ALICE],
            "Message-ID: dn1dn1\r\nByte-Range: 1-4/4\r\n",
            Some(b"ping"),
        ),
    );
    let f = net.frames(alice);
    assert_eq!(f.len(), 2, "{f:?}");
    assert!(text(&f[0]).starts_with("MSRP ffff6666 200 OK"));
    assert!(text(&f[1]).contains(" REPORT\r\n"));
    assert_eq!(header(&f[1], "To-Path").unwrap(), ALICE);
    assert_eq!(header(&f[1], "From-Path").unwrap(), ua[0].as_str());
    assert_eq!(header(&f[1], "Message-ID").unwrap(), "dn1dn1");
    assert_eq!(
        header(&f[1], "Status").unwrap(),
        "000 481 Session Does Not Exist"
    );
}

#[test]
fn r4976_036_downstream_timeout_reports_408_at_exactly_30s() {
    let mut net = Net::new();
    let r = net.add_relay(relay_config(RELAY_A, 6));
    let (alice, _) = net.connect_peer(r);
    let ua = net
        .auth(alice, "alice", PASSWORD, &[RELAY_A], ALICE)
        .unwrap();
    let bob = net.add_peer();
    net.names
        .insert(("bob.example.net".into(), 8145), Dial::Peer(bob));
    let sent_at = net.now;
    net.send(
        alice,
        &send(
            "gggg7777",
            &[ua[0].as_str(), BOB],
            &[ALICE],
            "Message-ID: to1to1\r\nByte-Range: 1-4/4\r\n",
            Some(b"ping"),
        ),
    );
    assert_eq!(net.frames(bob).len(), 1);
    assert_eq!(net.frames(alice).len(), 1, "the hop-by-hop 200");
    assert_eq!(
        net.relays[r].poll_timeout(),
        Some(sent_at + Duration::from_secs(30))
    );
    net.advance_to(sent_at + Duration::from_secs(30) - Duration::from_nanos(1));
    assert!(net.frames(alice).is_empty());
    net.advance_to(sent_at + Duration::from_secs(30));
    let f = net.frames(alice);
    assert_eq!(f.len(), 1);
    assert_eq!(header(&f[0], "Status").unwrap(), "000 408 Request Timeout");
    assert_eq!(header(&f[0], "Byte-Range").unwrap(), "1-4/4");

    // With Failure-Report: partial there is no timeout REPORT, but an error is reported.
    net.send(
        alice,
        &send(
            "hhhh8888",
            &[ua[0].as_str(), BOB],
            &[ALICE],
            "Message-ID: to2to2\r\nFailure-Report: partial\r\nByte-Range: 1-4/4\r\n",
            Some(b"pong"),
        ),
    );
    assert!(net.frames(alice).is_empty(), "no 200 for partial");
    let fwd = net.frames(bob);
    let tid = tid_of(&fwd[0]);
    let rsp = format!(
        "MSRP {tid} 415 Nope\r\nTo-Path: {}\r\nFrom-Path: {BOB}\r\n-------{tid}$\r\n",
        ua[0].as_str()
    );
    net.peers[bob].backlog.extend_from_slice(rsp.as_bytes());
    net.drive();
    let f = net.frames(alice);
    assert_eq!(f.len(), 1);
    assert_eq!(
        header(&f[0], "Status").unwrap(),
        "000 415 Unsupported Media Type"
    );
}

/// A sender that stops reading while many small re-chunked pieces time out: the relay
/// keeps the REPORTs it owes as data, merges the contiguous ranges of one message, and
/// writes them only as the sender's output drains (found by the `relay` fuzz target: the
/// 408s of 187 one-byte pieces used to be serialized at once, 43 KB for a 512-byte
/// high-water mark).
#[test]
fn r4976_036_owed_reports_are_merged_and_bounded_by_back_pressure() {
    let mut net = Net::new();
    let mut cfg = relay_config(RELAY_A, 12);
    cfg.max_chunk = 16;
    cfg.high_water = 512;
    let r = net.add_relay(cfg);
    let (alice, alice_conn) = net.connect_peer(r);
    let (bob, _) = net.connect_peer(r);
    let ua = net
        .auth(alice, "alice", PASSWORD, &[RELAY_A], ALICE)
        .unwrap();
    let ub = net.auth(bob, "bob", PASSWORD, &[RELAY_A], BOB).unwrap();
    let data = vec![b'x'; 4000];
    net.send(
        alice,
        &send(
            "many0pieces",
            &[ua[0].as_str(), ub[0].as_str(), BOB],
            &[ALICE],
            "Message-ID: pieces1\r\nByte-Range: 1-4000/4000\r\n",
            Some(&data),
        ),
    );
    let pieces = net.frames(bob);
    assert_eq!(pieces.len(), 250, "4000 bytes in 16-byte pieces");
    assert_eq!(net.frames(alice).len(), 1, "the hop-by-hop 200");
    // Bob never answers; alice stops reading; every piece times out.
    net.peers[alice].reading = false;
    net.advance(Duration::from_secs(31));
    let held = net.relays[r].buffered(alice_conn);
    assert!(held <= 512 + 1024, "held {held} for a non-reading sender");
    net.peers[alice].reading = true;
    net.drive();
    // The REPORTs written while there was room are per piece; the rest, owed while alice
    // did not read, became one. Together they cover the message exactly once, in order.
    let reports = net.frames(alice);
    assert!(
        (2..=5).contains(&reports.len()),
        "{} REPORTs for 250 failed pieces",
        reports.len()
    );
    let mut next = 1u64;
    for f in &reports {
        assert_eq!(header(f, "Status").unwrap(), "000 408 Request Timeout");
        assert_eq!(header(f, "Message-ID").unwrap(), "pieces1");
        let range = header(f, "Byte-Range").unwrap();
        let (span, total) = range.split_once('/').unwrap();
        let (a, b) = span.split_once('-').unwrap();
        assert_eq!(
            (a.parse::<u64>().unwrap(), total),
            (next, "4000"),
            "{range}"
        );
        next = b.parse::<u64>().unwrap() + 1;
    }
    assert_eq!(next, 4001);
    assert!(
        header(reports.last().unwrap(), "Byte-Range")
            .unwrap()
            .ends_with("-4000/4000")
    );
}

/// Alice sends one big chunk to bob through one relay with `max_chunk` 64 KiB.
fn big_transfer(stall_bob: bool) -> (Net, usize, usize, Vec<u8>, msrp_proto::engine::ConnectionId) {
    let mut net = Net::new();
    let mut cfg = relay_config(RELAY_A, 8);
    cfg.max_chunk = 64 * 1024;
    cfg.high_water = 128 * 1024;
    let r = net.add_relay(cfg);
    let (alice, _) = net.connect_peer(r);
    let (bob, bob_conn) = net.connect_peer(r);
    let ua = net
        .auth(alice, "alice", PASSWORD, &[RELAY_A], ALICE)
        .unwrap();
    let ub = net.auth(bob, "bob", PASSWORD, &[RELAY_A], BOB).unwrap();
    let data: Vec<u8> = (0..(1u32 << 20)).map(|i| (i % 251) as u8).collect();
    net.peers[bob].reading = !stall_bob;
    let frame = send(
        "big0chunk",
        &[ua[0].as_str(), ub[0].as_str(), BOB],
        &[ALICE],
        "Message-ID: bigbig1\r\nByte-Range: 1-1048576/1048576\r\n",
        Some(&data),
    );
    net.send(alice, &frame);
    (net, alice, bob, data, bob_conn)
}

#[test]
fn r4976_038_r4976_039_rechunks_1mib_into_max_chunk_pieces() {
    let (mut net, alice, bob, data, _) = big_transfer(false);
    let got = net.frames(bob);
    assert!(got.len() >= 16, "{} pieces", got.len());
    let mut next = 1u64;
    let mut all = Vec::new();
    for (i, f) in got.iter().enumerate() {
        let b = body(f);
        assert!(b.len() <= 64 * 1024);
        assert_eq!(
            header(f, "Byte-Range").unwrap(),
            format!("{next}-*/1048576")
        );
        assert_eq!(header(f, "Message-ID").unwrap(), "bigbig1");
        let last = i == got.len() - 1;
        let flag = if last { "$" } else { "+" };
        assert!(text(f).ends_with(&format!("{flag}\r\n")), "piece {i}");
        next += b.len() as u64;
        all.extend_from_slice(&b);
    }
    assert_eq!(all, data);
    let tids: std::collections::HashSet<_> = got.iter().map(|f| tid_of(f)).collect();
    assert_eq!(tids.len(), got.len(), "a new transaction id per piece");
    assert_eq!(net.frames(alice).len(), 1, "one 200 for alice's one chunk");
}

#[test]
fn r4976_038_slow_receiver_back_pressure_bounds_memory() {
    let (mut net, alice, bob, data, bob_conn) = big_transfer(true);
    let r = 0;
    // The relay holds at most high-water + one head + one piece for bob…
    let held = net.relays[r].buffered(bob_conn);
    assert!(held <= 128 * 1024 + 64 * 1024 + 16 * 1024, "held {held}");
    // …and stopped reading alice: most of her chunk is still on her side.
    assert!(
        net.peers[alice].backlog.len() > 1_048_576 - 128 * 1024 - 2 * 65536 - 16 * 1024 * 2,
        "backlog {}",
        net.peers[alice].backlog.len()
    );
    let alice_conn = match net.links[net.peers[alice].link.unwrap()].a {
        End::Relay(_, c) => c,
        End::Peer(_) => unreachable!(),
    };
    assert!(!net.relays[r].wants_read(alice_conn));
    // Bob reads again: everything arrives intact.
    net.peers[bob].reading = true;
    net.drive();
    let got = net.frames(bob);
    let all: Vec<u8> = got.iter().flat_map(|f| body(f)).collect();
    assert_eq!(all.len(), data.len());
    assert_eq!(all, data);
    assert!(net.relays[r].wants_read(alice_conn));
}

#[test]
fn r4976_023_probation_closes_silent_connections() {
    let mut net = Net::new();
    let r = net.add_relay(relay_config(RELAY_A, 9));
    let (_idle, _) = net.connect_peer(r);
    let (alice, _) = net.connect_peer(r);
    net.auth(alice, "alice", PASSWORD, &[RELAY_A], ALICE)
        .unwrap();
    net.advance(Duration::from_secs(30));
    let closed = net.closed_events();
    assert_eq!(closed.len(), 1);
    assert!(matches!(
        closed[0],
        Event::Closed {
            reason: CloseReason::Probation,
            ..
        }
    ));
    assert_eq!(
        net.relays[r].issued_count(),
        1,
        "the authenticated client stays"
    );
}

/// R4976-020: a relay sends each request over an existing suitable connection to its
/// next hop: relay A dials relay B for the first SEND and reuses that connection for the
/// next ones (and for requests of other sessions to B).
#[test]
fn r4976_020_requests_reuse_the_connection_to_the_next_hop() {
    let (mut net, alice, bob, sa, sb) = chain();
    let ua = format!("msrps://a.example.org:9000/{sa};tcp");
    let ub = format!("msrps://b.example.net:9000/{sb};tcp");
    for i in 0..3 {
        let tid = format!("reuse00{i}");
        net.send(
            alice,
            &send(
                &tid,
                &[&ua, &ub, BOB],
                &[ALICE],
                &format!("Message-ID: reuse{i}x\r\nByte-Range: 1-5/5\r\n"),
                Some(b"hello"),
            ),
        );
        let got = net.frames(bob);
        assert_eq!(got.len(), 1, "message {i} delivered");
        assert_eq!(body(&got[0]), b"hello");
        let _ = net.frames(alice);
    }
    let dials = net
        .events
        .iter()
        .filter(|(_, e)| matches!(e, Event::Connect { .. }))
        .count();
    assert_eq!(dials, 1, "one connection from A to B, reused");
}

/// R4976-042: a response whose first To-Path URI is not the relay's is dropped, and so is
/// one that does not parse; nothing is forwarded and the sender's connection keeps
/// working.
#[test]
fn r4976_042_stray_and_unparsable_responses_are_dropped() {
    let mut net = Net::new();
    let r = net.add_relay(relay_config(RELAY_A, 9));
    let (alice, _) = net.connect_peer(r);
    let (bob, _) = net.connect_peer(r);
    let ua = net
        .auth(alice, "alice", PASSWORD, &[RELAY_A], ALICE)
        .unwrap();
    let ub = net.auth(bob, "bob", PASSWORD, &[RELAY_A], BOB).unwrap();
    let (ua, ub) = (ua[0].as_str().to_owned(), ub[0].as_str().to_owned());
    // Not addressed to the relay.
    net.send(
        bob,
        format!(
            "MSRP stray001 200 OK\r\nTo-Path: msrps://elsewhere.example.com:9/x;tcp {ALICE}\r\nFrom-Path: {BOB}\r\n-------stray001$\r\n"
        )
        .as_bytes(),
    );
    // Addressed to the relay but unparsable (a status that is not three digits).
    net.send(
        bob,
        format!("MSRP stray002 2x0 OK\r\nTo-Path: {ub} {ALICE}\r\nFrom-Path: {BOB}\r\n-------stray002$\r\n")
            .as_bytes(),
    );
    assert!(net.frames(alice).is_empty(), "nothing forwarded");
    // Bob's connection still carries his traffic.
    net.send(
        bob,
        &send(
            "after001",
            &[&ub, &ua, ALICE],
            &[BOB],
            "Message-ID: after001\r\nByte-Range: 1-2/2\r\n",
            Some(b"ok"),
        ),
    );
    let got = net.frames(alice);
    assert_eq!(
        got.len(),
        1,
        "{:?}",
        got.iter().map(|f| text(f)).collect::<Vec<_>>()
    );
    assert_eq!(body(&got[0]), b"ok");
}
