//! Two endpoints over the simulated network: sending, chunking, interruption, reports,
//! timers, connection loss and hostile peers.

mod sim;

use std::time::Duration;

use bytes::Bytes;
use msrp_proto::engine::{AbortReason, Config, Event, OutgoingMessage, SessionError};
use msrp_proto::wire::MessageId;
use msrp_proto::wire::headers::{StatusCode, SuccessReport};
use proptest::prelude::*;
use sim::{ALICE, BOB, Raw, Sim, send, text};

fn body(n: usize, seed: u8) -> Vec<u8> {
    (0..n)
        .map(|i| b"abcdefghij-\r\n0123456789"[(i + seed as usize) % 23])
        .collect()
}

fn small_chunks(seed: u64, chunk: usize) -> Config {
    let mut c = sim::config(seed);
    c.chunk_size = chunk;
    c
}

#[test]
fn r4975_023_active_side_binds_with_bodiless_send() {
    let (sim, sa, sb) = Sim::pair(1, sim::config(1), sim::config(2));
    let wrote = text(&sim.a.wrote[&sim.links[0].0]);
    assert!(wrote.starts_with("MSRP ") && wrote.lines().next().unwrap().ends_with(" SEND"));
    assert!(!wrote.contains("Content-Type"), "bodiless: {wrote}");
    assert!(
        sim.b
            .events
            .iter()
            .any(|e| matches!(e, Event::SessionBound { session, .. } if *session == sb))
    );
    assert!(
        sim.a
            .events
            .iter()
            .any(|e| matches!(e, Event::SessionBound { session, .. } if *session == sa))
    );
}

#[test]
fn r4975_127_success_report_confirms_delivery() {
    let (mut sim, sa, _) = Sim::pair(2, sim::config(3), sim::config(4));
    let data = body(5000, 1);
    let id = sim
        .a
        .ep
        .send_message(
            sa,
            OutgoingMessage::whole("text/plain", Bytes::from(data.clone()))
                .success_report(SuccessReport::Yes),
        )
        .unwrap();
    sim.drive();
    assert_eq!(sim.b.bodies[&id].bytes(), &data[..]);
    assert!(sim.a.events.iter().any(
        |e| matches!(e, Event::MessageDelivered { message, confirmed: 5000, .. } if *message == id)
    ));
}

#[test]
fn r4975_107_r4975_111_chunking_byte_ranges_and_star_range_end() {
    let (mut sim, sa, _) = Sim::pair(3, small_chunks(5, 3000), sim::config(6));
    let data = body(10_000, 2);
    let id = sim
        .a
        .ep
        .send_message(
            sa,
            OutgoingMessage::whole("text/plain", Bytes::from(data.clone())),
        )
        .unwrap();
    // A second message competes, so the first is cut every 3000 bytes (R4975-113).
    let id2 = sim
        .a
        .ep
        .send_message(
            sa,
            OutgoingMessage::whole("text/plain", Bytes::from(body(7000, 3))),
        )
        .unwrap();
    sim.drive();
    assert_eq!(sim.b.bodies[&id].bytes(), &data[..]);
    assert_eq!(sim.b.bodies[&id2].bytes().len(), 7000);
    let wrote = text(&sim.a.wrote[&sim.links[0].0]);
    let ranges: Vec<&str> = wrote
        .lines()
        .filter_map(|l| l.strip_prefix("Byte-Range: "))
        .collect();
    assert!(
        ranges.contains(&"1-*/10000") && ranges.contains(&"3001-*/10000"),
        "{ranges:?}"
    );
    assert!(ranges.len() > 4, "{ranges:?}");
    for id in [id, id2] {
        assert!(
            sim.a
                .events
                .iter()
                .any(|e| matches!(e, Event::MessageDelivered { message, .. } if *message == id))
        );
    }
}

#[test]
fn r4975_104_pulled_stream_with_unknown_total() {
    let (mut sim, sa, _) = Sim::pair(4, small_chunks(7, 4096), sim::config(8));
    let data = body(50_000, 4);
    let id = sim
        .a
        .send_pulled(sa, "application/octet-stream", data.clone(), false);
    sim.drive();
    assert_eq!(sim.b.bodies[&id].bytes(), &data[..]);
    let wrote = text(&sim.a.wrote[&sim.links[0].0]);
    assert!(wrote.contains("Byte-Range: 1-*/*"));
    assert!(sim.b.events.iter().any(
        |e| matches!(e, Event::MessageReceived { message, len: 50_000, .. } if *message == id)
    ));
    assert!(
        sim.a
            .events
            .iter()
            .any(|e| matches!(e, Event::MessageDelivered { message, .. } if *message == id))
    );
}

#[test]
fn r4975_112_pending_response_interrupts_a_large_chunk() {
    let (mut sim, sa, sb) = Sim::pair(5, sim::config(9), sim::config(10));
    sim.max_split = 1000;
    let big = body(1 << 20, 5);
    let id = sim
        .a
        .send_pulled(sa, "application/octet-stream", big.clone(), true);
    // Let some of the big message flow, then Bob sends: Alice's 200 must not wait.
    for _ in 0..50 {
        sim.step();
    }
    let bid = sim
        .b
        .ep
        .send_message(
            sb,
            OutgoingMessage::whole("text/plain", Bytes::from_static(b"ping")),
        )
        .unwrap();
    sim.drive();
    let got = sim.b.bodies[&id].bytes();
    let diff = got.iter().zip(&big).position(|(a, b)| a != b);
    assert_eq!((got.len(), diff), (big.len(), None));
    let wrote = text(&sim.a.wrote[&sim.links[0].0]);
    let ok = wrote.find(" 200 OK\r\n").unwrap();
    let last = wrote.rfind('$').unwrap();
    assert!(ok < last, "the 200 was stuck behind the 1 MiB message");
    assert!(wrote.contains("+\r\n"), "the chunk was interrupted with +");
    assert!(
        sim.b
            .events
            .iter()
            .any(|e| matches!(e, Event::MessageDelivered { message, .. } if *message == bid))
    );
}

/// Alice active towards a raw Bob that never answers.
fn alice_raw(cfg: Config) -> (Raw, msrp_proto::engine::SessionId) {
    let mut r = Raw::new(cfg);
    let s = r
        .side
        .ep
        .add_session(sim::uri(ALICE), vec![sim::uri(BOB)], Some(r.conn), r.now)
        .unwrap();
    let out = r.flush();
    assert!(!out.is_empty());
    (r, s)
}

#[test]
fn r4975_095_p12_transaction_timer_fires_exactly_at_30s() {
    let (mut r, s) = alice_raw(sim::config(11));
    let t0 = r.now;
    // The binding SEND's timer runs from its flush.
    assert_eq!(r.side.ep.poll_timeout(), Some(t0 + Duration::from_secs(30)));
    r.side.ep.handle_timeout(t0 + Duration::from_millis(29_999));
    r.side.drain_events();
    assert!(r.side.events.is_empty());
    r.side.ep.handle_timeout(t0 + Duration::from_secs(30));
    r.side.ep.handle_timeout(t0 + Duration::from_secs(30)); // idempotent
    r.side.drain_events();
    assert_eq!(r.side.events.len(), 1);
    assert!(
        matches!(r.side.events[0], Event::SessionFailed { session, reason: SessionError::Rejected(StatusCode::REQUEST_TIMEOUT) } if session == s)
    );
}

#[test]
fn r4975_161_p13_report_413_stops_message_with_hash() {
    let mut cfg = sim::config(13);
    cfg.chunk_size = 4096;
    let (mut r, s) = alice_raw(cfg);
    let id = r
        .side
        .ep
        .send_message(
            s,
            OutgoingMessage::pulled("application/octet-stream", Some(1 << 20)),
        )
        .unwrap();
    r.side.pulls.insert(id, (body(1 << 20, 6), 0));
    r.side.drain_events();
    // Take only the first few KiB, then the peer says `000 413`.
    let mut out = Vec::new();
    if let Some(b) = r.side.ep.poll_transmit(r.conn) {
        let n = b.len().min(3000);
        out.extend_from_slice(&b[..n]);
        r.side.ep.transmit_done(r.conn, r.now, n).unwrap();
    }
    let report = format!(
        "MSRP rp413abc REPORT\r\nTo-Path: {ALICE}\r\nFrom-Path: {BOB}\r\nMessage-ID: {id}\r\nByte-Range: 1-100/1048576\r\nStatus: 000 413 Stop\r\n-------rp413abc$\r\n"
    );
    let rest = r.feed(report.as_bytes());
    assert!(
        rest.is_empty() || !text(&rest).contains(" 200 "),
        "REPORTs are never answered"
    );
    out.extend(rest);
    out.extend(r.flush());
    let t = text(&out);
    assert!(t.contains("#\r\n"), "the chunk in flight ends with #");
    assert!(t.len() < 200_000, "sending stopped");
    assert!(r.side.events.iter().any(|e| matches!(e, Event::MessageFailed { message, status: StatusCode::STOP_SENDING, local: false, .. } if *message == id)));
}

#[test]
fn r4975_033_connection_loss_fails_every_bound_session() {
    let (mut sim, sa, _) = Sim::pair(6, sim::config(14), sim::config(15));
    let id = sim
        .a
        .ep
        .send_message(
            sa,
            OutgoingMessage::whole("text/plain", Bytes::from_static(b"late")),
        )
        .unwrap();
    let now = sim.now;
    sim.a.ep.handle_eof(sim.links[0].0, now).unwrap();
    sim.a.drain_events();
    let ev = &sim.a.events;
    assert!(ev.iter().any(|e| matches!(e, Event::ConnectionLost { .. })));
    assert!(ev.iter().any(|e| matches!(e, Event::SessionFailed { session, reason: SessionError::ConnectionLost(_) } if *session == sa)));
    assert!(
        ev.iter().any(
            |e| matches!(e, Event::MessageFailed { message, local: true, .. } if *message == id)
        )
    );
}

#[test]
fn p35_hostile_10000_message_ids_get_413_beyond_the_limit() {
    let (mut r, s) = Raw::bob(sim::config(16));
    let _ = s;
    let mut n413 = 0;
    for i in 0..10_000 {
        let req = send(
            &format!("h{i:05}x"),
            BOB,
            ALICE,
            &format!("Message-ID: m{i:05}x\r\nByte-Range: 1-*/*\r\n"),
            Some(b"x"),
        );
        let mut req = req;
        let n = req.len();
        req[n - 3] = b'+'; // never finished
        let out = text(&r.feed(&req));
        if out.contains(" 413 ") {
            n413 += 1;
        }
        r.side.events.clear();
    }
    assert_eq!(
        n413,
        10_000 - Config::default().limits.max_incoming_messages
    );
    // Idle messages are dropped after the idle timeout (a message that never ends).
    let later = r.now + Config::default().incoming_idle_timeout;
    r.side.ep.handle_timeout(r.now);
    assert_eq!(r.side.ep.poll_timeout(), Some(later));
    r.side.ep.handle_timeout(later);
    r.side.drain_events();
    let idle = r
        .side
        .events
        .iter()
        .filter(|e| {
            matches!(
                e,
                Event::MessageAborted {
                    reason: AbortReason::Idle,
                    ..
                }
            )
        })
        .count();
    assert_eq!(idle, 16);
    assert_eq!(r.side.ep.poll_timeout(), None);
}

#[test]
fn p35_hostile_endless_plus_chunks_and_tiny_chunks() {
    let (mut r, _) = Raw::bob(sim::config(17));
    let mut wire = Vec::new();
    for i in 0..20_000u64 {
        let mut req = send(
            &format!("e{i:06}"),
            BOB,
            ALICE,
            &format!("Message-ID: endless1\r\nByte-Range: {}-*/*\r\n", i + 1),
            Some(b"y"),
        );
        let n = req.len();
        req[n - 3] = b'+';
        wire.extend(req);
    }
    let out = r.feed(&wire);
    assert_eq!(text(&out).matches(" 200 OK").count(), 20_000);
    // One message slot, one range: memory stays bounded.
    let data = r
        .side
        .events
        .iter()
        .filter(|e| matches!(e, Event::Data { .. }))
        .count();
    assert_eq!(data, 20_000);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]
    #[test]
    fn prop_any_messages_arrive_intact(
        seed in 0u64..1000,
        sizes in proptest::collection::vec(0usize..20_000, 1..6),
        chunk in 512usize..9000,
        split in 1usize..5000,
        pulled in any::<bool>(),
        sr in any::<bool>(),
    ) {
        let (mut sim, sa, _) = Sim::pair(seed, small_chunks(seed, chunk), sim::config(seed + 1));
        sim.max_split = split;
        let mut ids = Vec::new();
        for (i, &n) in sizes.iter().enumerate() {
            let data = body(n, i as u8);
            let id = if pulled && n > 0 {
                sim.a.send_pulled(sa, "application/octet-stream", data.clone(), seed % 2 == 0)
            } else {
                let m = OutgoingMessage::whole("text/plain", Bytes::from(data.clone()));
                let m = if sr { m.success_report(SuccessReport::Yes) } else { m };
                sim.a.ep.send_message(sa, m).unwrap()
            };
            ids.push((id, data));
        }
        sim.drive();
        for (id, data) in &ids {
            if !data.is_empty() {
                prop_assert_eq!(sim.b.bodies[id].bytes(), &data[..]);
            }
            let delivered = sim.a.events.iter().any(|e| matches!(e, Event::MessageDelivered { message, .. } if message == id));
            prop_assert!(delivered);
            let received = sim.b.events.iter().any(|e| matches!(e, Event::MessageReceived { message, len, .. } if message == id && *len == data.len() as u64));
            prop_assert!(received);
        }
    }
}

/// One decoded frame of a byte stream: (start line, Byte-Range start, body, flag).
fn frames(wire: &[u8]) -> Vec<(String, u64, Vec<u8>, msrp_proto::wire::Flag)> {
    use msrp_proto::wire::{Decoder, Event as W};
    let mut d = Decoder::default();
    let mut out = Vec::new();
    let mut rest = wire;
    let mut cur: Option<(String, u64, Vec<u8>)> = None;
    while !rest.is_empty() {
        let (n, ev) = d.decode(rest).unwrap();
        match ev {
            W::Head(h) => {
                let line = text(rest).lines().next().unwrap().to_owned();
                let start = h.byte_range().map_or(1, |r| r.start);
                cur = Some((line, start, Vec::new()));
            }
            W::Body(b) => cur.as_mut().unwrap().2.extend_from_slice(b),
            W::End(f) => {
                let (l, s, b) = cur.take().unwrap();
                out.push((l, s, b, f));
            }
            _ => {}
        }
        rest = &rest[n..];
    }
    out
}

/// Answers the binding SEND Alice wrote (the first frame of `out`) with a 200.
fn answer_binding(r: &mut Raw, out: &[u8]) {
    let tid = text(out).split_whitespace().nth(1).unwrap().to_owned();
    let ok =
        format!("MSRP {tid} 200 OK\r\nTo-Path: {ALICE}\r\nFrom-Path: {BOB}\r\n-------{tid}$\r\n");
    assert!(r.feed(ok.as_bytes()).is_empty());
}

fn alice_bound(cfg: Config) -> (Raw, msrp_proto::engine::SessionId) {
    let mut r = Raw::new(cfg);
    let s = r
        .side
        .ep
        .add_session(sim::uri(ALICE), vec![sim::uri(BOB)], Some(r.conn), r.now)
        .unwrap();
    let out = r.flush();
    answer_binding(&mut r, &out);
    // `poll_timeout` is a lower bound until `handle_timeout` rescans (early is harmless).
    r.side.ep.handle_timeout(r.now);
    assert_eq!(r.side.ep.poll_timeout(), None);
    r.side.events.clear();
    (r, s)
}

/// Alice's pulled message on session `s`, with the `BodyWanted` it starts with drained.
fn pulled(r: &mut Raw, s: msrp_proto::engine::SessionId, total: Option<u64>) -> MessageId {
    let id = r
        .side
        .ep
        .send_message(s, OutgoingMessage::pulled("text/plain", total))
        .unwrap();
    r.side.drain_events();
    id
}

/// The bodies of `frames` joined, checking that their Byte-Ranges are contiguous.
fn joined(frames: &[(String, u64, Vec<u8>, msrp_proto::wire::Flag)]) -> Vec<u8> {
    let mut whole = Vec::new();
    for (_, start, b, _) in frames {
        assert_eq!(*start as usize, whole.len() + 1);
        whole.extend_from_slice(b);
    }
    whole
}

#[test]
fn r4975_096_partial_sender_runs_no_timer_and_reports_errors() {
    use msrp_proto::wire::headers::FailureReport;
    let (mut r, s) = alice_bound(sim::config(20));
    let id = r
        .side
        .ep
        .send_message(
            s,
            OutgoingMessage::whole("text/plain", Bytes::from_static(b"hello"))
                .failure_report(FailureReport::Partial),
        )
        .unwrap();
    let out = r.flush();
    let t = text(&out);
    assert!(t.contains("Failure-Report: partial\r\n"), "{t}");
    assert!(
        r.side
            .events
            .iter()
            .any(|e| matches!(e, Event::MessageSent { message, .. } if *message == id))
    );
    // No transaction timer for `partial` (R4975-096, P-01), once `handle_timeout` has
    // made the lower bound exact.
    r.side.ep.handle_timeout(r.now);
    assert_eq!(r.side.ep.poll_timeout(), None);
    let tid = t.split_whitespace().nth(1).unwrap().to_owned();
    // An unexpected 200 is ignored; a non-recoverable error is reported to the user.
    let ok =
        format!("MSRP {tid} 200 OK\r\nTo-Path: {ALICE}\r\nFrom-Path: {BOB}\r\n-------{tid}$\r\n");
    r.feed(ok.as_bytes());
    assert!(
        !r.side
            .events
            .iter()
            .any(|e| matches!(e, Event::MessageFailed { .. }))
    );
    let err = format!(
        "MSRP {tid} 415 Unsupported\r\nTo-Path: {ALICE}\r\nFrom-Path: {BOB}\r\n-------{tid}$\r\n"
    );
    r.feed(err.as_bytes());
    assert!(r.side.events.iter().any(|e| matches!(
        e,
        Event::MessageFailed { message, status: StatusCode(415), local: false, .. } if *message == id
    )));
}

#[test]
fn r4975_096_many_partial_chunks_never_stall_the_transaction_table() {
    // `partial` chunks get no 200, so they must not hold transaction slots: two competing
    // 40 KiB messages in 1 KiB chunks through a table of 4 slots.
    use msrp_proto::wire::headers::FailureReport;
    let mut cfg = small_chunks(21, 1024);
    cfg.limits.max_outstanding_transactions = 4;
    let (mut r, s) = alice_bound(cfg);
    let mut ids = Vec::new();
    for i in 0..2 {
        let m = OutgoingMessage::whole("text/plain", Bytes::from(body(40_000, i)))
            .failure_report(FailureReport::Partial);
        ids.push(r.side.ep.send_message(s, m).unwrap());
    }
    let out = r.flush();
    let f = frames(&out);
    assert!(f.len() > 8, "{} chunks", f.len());
    let total: usize = f.iter().map(|x| x.2.len()).sum();
    assert_eq!(total, 80_000);
    for id in ids {
        assert!(
            r.side
                .events
                .iter()
                .any(|e| matches!(e, Event::MessageSent { message, .. } if *message == id))
        );
    }
}

#[test]
fn r4975_082_r4975_083_body_containing_its_own_end_line_is_cut_and_continues() {
    let (mut r, s) = alice_bound(sim::config(22));
    let id = pulled(&mut r, s, None);
    let first = vec![b'a'; 3000];
    assert_eq!(r.side.ep.write_body(id, &first).unwrap(), 3000);
    let out1 = r.flush();
    let tid = text(&out1).split_whitespace().nth(1).unwrap().to_owned();
    // The next piece holds the open chunk's own end-line, split over two writes so the
    // collision straddles the scan boundary.
    let evil = format!("xx\r\n-------{tid}$\r\nyy");
    let (p1, p2) = evil.as_bytes().split_at(8);
    let mut pieces = Vec::new();
    for p in [p1, p2] {
        assert_eq!(r.side.ep.write_body(id, p).unwrap(), p.len());
        pieces.push(r.flush());
    }
    r.side.ep.end_body(id).unwrap();
    let mut wire = out1;
    for p in pieces {
        wire.extend(p);
    }
    wire.extend(r.flush());
    let f = frames(&wire);
    assert!(f.len() >= 2, "{f:?}");
    assert!(f[0].0.contains(&tid));
    assert_eq!(
        f[0].3,
        msrp_proto::wire::Flag::More,
        "cut with + before the collision"
    );
    assert!(
        !f[1].0.contains(&tid),
        "continued under a new transaction id"
    );
    // The receiver sees exactly the body that was written, ranges contiguous.
    let whole = joined(&f);
    let mut expect = first.clone();
    expect.extend_from_slice(evil.as_bytes());
    assert_eq!(text(&whole), text(&expect));
    assert_eq!(f.last().unwrap().3, msrp_proto::wire::Flag::End);
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[test]
fn r4975_029_r4975_030_sim_bindings_race_across_delayed_connections() {
    // Four connections, each binding SEND delayed at random: every passive session is
    // bound to the connection its own peer used, whatever order they arrive in.
    let (sim, pairs) = Sim::multi(
        40,
        sim::config(40),
        sim::config(41),
        4,
        Some((ms(1), ms(80))),
    );
    for (i, &(_, sb)) in pairs.iter().enumerate() {
        assert_eq!(sim.b.ep.session_connection(sb), Some(sim.links[i].1));
    }
    let bound: Vec<_> = sim
        .b
        .events
        .iter()
        .filter_map(|e| match e {
            Event::SessionBound { session, .. } => Some(*session),
            _ => None,
        })
        .collect();
    assert_eq!(bound.len(), 4);
}

#[test]
fn sim_reordering_across_connections_with_random_delays() {
    // Messages sent in one order over several connections arrive in another: later
    // messages on fast links overtake earlier ones on slow links. Every byte still
    // arrives intact and every message is confirmed.
    let (mut sim, pairs) = Sim::multi(
        42,
        small_chunks(42, 2048),
        sim::config(43),
        3,
        Some((ms(0), ms(200))),
    );
    sim.max_split = 700;
    let mut sent = Vec::new();
    for round in 0..6 {
        for (i, &(sa, _)) in pairs.iter().enumerate() {
            let data = body(500 + 3000 * ((round + i) % 3), (round * 3 + i) as u8);
            let m = OutgoingMessage::whole("text/plain", Bytes::from(data.clone())).success_report(
                if round % 2 == 0 {
                    SuccessReport::Yes
                } else {
                    SuccessReport::No
                },
            );
            sent.push((sim.a.ep.send_message(sa, m).unwrap(), data));
        }
    }
    sim.settle();
    for (id, data) in &sent {
        assert_eq!(sim.b.bodies[id].bytes(), &data[..]);
        assert!(
            sim.a
                .events
                .iter()
                .any(|e| matches!(e, Event::MessageDelivered { message, .. } if message == id))
        );
    }
    let arrived: Vec<_> = sim
        .b
        .events
        .iter()
        .filter_map(|e| match e {
            Event::MessageReceived {
                message,
                bodiless: false,
                ..
            } => Some(*message),
            _ => None,
        })
        .collect();
    let order: Vec<_> = sent.iter().map(|s| s.0).collect();
    assert_eq!(arrived.len(), order.len());
    assert_ne!(
        arrived, order,
        "the delays reordered messages across connections"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, .. ProptestConfig::default() })]
    #[test]
    fn prop_delayed_multi_connection_transfers_arrive_intact(
        seed in 0u64..10_000,
        links in 1usize..4,
        max_delay in 1u64..300,
        chunk in 600usize..5000,
        split in 1usize..3000,
        sizes in proptest::collection::vec(0usize..12_000, 1..8),
    ) {
        let (mut sim, pairs) = Sim::multi(
            seed,
            small_chunks(seed, chunk),
            sim::config(seed + 7),
            links,
            Some((ms(0), ms(max_delay))),
        );
        sim.max_split = split;
        let mut sent = Vec::new();
        for (k, &n) in sizes.iter().enumerate() {
            // Both directions, spread over the sessions.
            let (sa, sb) = pairs[k % links];
            let data = body(n, k as u8);
            let m = OutgoingMessage::whole("text/plain", Bytes::from(data.clone()));
            if k % 3 == 2 {
                sent.push((false, sim.b.ep.send_message(sb, m).unwrap(), data));
            } else {
                sent.push((true, sim.a.ep.send_message(sa, m).unwrap(), data));
            }
        }
        sim.settle();
        for (a_to_b, id, data) in &sent {
            let (rx, tx) = if *a_to_b { (&sim.b, &sim.a) } else { (&sim.a, &sim.b) };
            if !data.is_empty() {
                prop_assert_eq!(rx.bodies[id].bytes(), &data[..]);
            }
            let delivered = tx.events.iter().any(|e| matches!(e, Event::MessageDelivered { message, .. } if message == id));
            prop_assert!(delivered);
        }
    }
}

#[test]
fn message_started_carries_content_type_once() {
    let (mut sim, sa, _) = Sim::pair(11, small_chunks(7, 4096), sim::config(12));
    let data = body(30_000, 5);
    let id = sim
        .a
        .send_pulled(sa, "application/octet-stream", data, true);
    let id2 = sim
        .a
        .ep
        .send_message(
            sa,
            OutgoingMessage::whole("text/plain;charset=utf-8", Bytes::from_static(b"hi")),
        )
        .unwrap();
    sim.drive();
    assert_eq!(sim.b.content_types[&id], "application/octet-stream");
    assert_eq!(sim.b.content_types[&id2], "text/plain;charset=utf-8");
    let started = |m: MessageId| {
        sim.b.events.iter().position(
            |e| matches!(e, Event::MessageStarted { message, total: Some(_), .. } if *message == m),
        )
    };
    let first_data = sim
        .b
        .events
        .iter()
        .position(|e| matches!(e, Event::Data { message, .. } if *message == id));
    assert!(started(id).unwrap() < first_data.unwrap());
    assert!(started(id2).is_some());
}

/// Found by the `engine` fuzz target: an empty message with `Success-Report: yes` was
/// reported delivered as soon as its chunk was written (a success REPORT covering zero
/// octets is vacuously complete), before the peer had read it. Delivery now waits for
/// the peer's REPORT.
#[test]
fn fuzz_r4975_129_empty_message_with_success_report_waits_for_the_report() {
    let (mut sim, sa, _sb) = Sim::pair(3, sim::config(3), sim::config(4));
    let id = sim
        .a
        .ep
        .send_message(
            sa,
            OutgoingMessage::whole("text/plain", Bytes::new()).success_report(SuccessReport::Yes),
        )
        .unwrap();
    // Write Alice's output without letting Bob read it.
    let conn = sim.links[0].0;
    while let Some(out) = sim.a.ep.poll_transmit(conn) {
        let n = out.len();
        sim.a.ep.transmit_done(conn, sim.now, n).unwrap();
    }
    sim.a.drain_events();
    assert!(
        !sim.a
            .events
            .iter()
            .any(|e| matches!(e, Event::MessageDelivered { message, .. } if *message == id)),
        "delivered before the peer read it: {:?}",
        sim.a.events
    );
    // A connection that dies now fails it instead.
    sim.a.ep.handle_eof(conn, sim.now).unwrap();
    sim.a.drain_events();
    assert!(
        sim.a
            .events
            .iter()
            .any(|e| matches!(e, Event::MessageFailed { message, .. } if *message == id))
    );
}

#[test]
fn r4975_129_empty_message_with_success_report_is_delivered_after_the_report() {
    let (mut sim, sa, sb) = Sim::pair(5, sim::config(5), sim::config(6));
    let id = sim
        .a
        .ep
        .send_message(
            sa,
            OutgoingMessage::whole("text/plain", Bytes::new()).success_report(SuccessReport::Yes),
        )
        .unwrap();
    sim.drive();
    assert!(sim.b.events.iter().any(|e| matches!(e, Event::MessageReceived { session, message, len: 0, .. } if *session == sb && *message == id)));
    assert!(sim.a.events.iter().any(
        |e| matches!(e, Event::MessageDelivered { message, confirmed: 0, .. } if *message == id)
    ));
}

/// Found by the `engine` fuzz target: a `partial` message already reported sent kept its
/// written chunks for late errors (R4975-096), and an error arriving after the
/// application closed the session still raised `MessageFailed` for the closed session's
/// id, which a new session may reuse. Closing a session now forgets them.
#[test]
fn fuzz_r4975_096_late_error_after_close_session_raises_no_event() {
    use msrp_proto::wire::headers::FailureReport;
    let (mut r, s) = alice_bound(sim::config(22));
    r.side
        .ep
        .send_message(
            s,
            OutgoingMessage::whole("text/plain", Bytes::from_static(b"hello"))
                .failure_report(FailureReport::Partial),
        )
        .unwrap();
    let t = text(&r.flush());
    let tid = t.split_whitespace().nth(1).unwrap().to_owned();
    r.side.ep.close_session(s).unwrap();
    r.side.events.clear();
    let err = format!(
        "MSRP {tid} 413 Too Large\r\nTo-Path: {ALICE}\r\nFrom-Path: {BOB}\r\n-------{tid}$\r\n"
    );
    r.feed(err.as_bytes());
    assert!(
        !r.side
            .events
            .iter()
            .any(|e| matches!(e, Event::MessageFailed { .. })),
        "{:?}",
        r.side.events
    );
}

/// R4975-112 says responses must not wait behind a chunk, but a chunk interrupted
/// before it carries any body makes no progress: with tiny chunks and a send buffer that
/// holds little more than a chunk head, two peers sending at once used to cut each
/// other's chunks right after the head, restarting the same Byte-Range forever (found by
/// the engine fuzzer). Every message must arrive, with a bounded number of chunks.
#[test]
fn r4975_112_bidirectional_tiny_chunks_make_progress() {
    let tiny = |seed| {
        let mut c = small_chunks(seed, 13);
        c.send_buffer = 100;
        c
    };
    let (mut sim, sa, sb) = Sim::pair(41, tiny(41), tiny(42));
    sim.max_split = usize::MAX;
    let mut sent = Vec::new();
    for k in 0..3u8 {
        for (from_a, session) in [(true, sa), (false, sb)] {
            let data = body(256 + usize::from(k), k);
            let m = OutgoingMessage::whole("text/plain", Bytes::from(data.clone()))
                .success_report(SuccessReport::Yes);
            let side = if from_a { &mut sim.a } else { &mut sim.b };
            sent.push((from_a, side.ep.send_message(session, m).unwrap(), data));
        }
    }
    let steps = (0..100_000).take_while(|_| sim.step()).count();
    assert!(steps < 100_000, "the link never goes quiet");
    for (from_a, id, data) in &sent {
        let (tx, rx) = if *from_a {
            (&sim.a, &sim.b)
        } else {
            (&sim.b, &sim.a)
        };
        assert_eq!(rx.bodies[id].bytes(), &data[..]);
        assert!(
            tx.events
                .iter()
                .any(|e| matches!(e, Event::MessageDelivered { message, .. } if message == id))
        );
    }
    // 6 messages of ~256 bytes in 13-byte chunks: about 20 chunks each.
    let chunks = text(&sim.a.wrote[&sim.links[0].0])
        .matches(" SEND\r\n")
        .count();
    assert!(chunks < 6 * 40, "{chunks} chunks written by Alice");
}

/// `Config::max_send_chunk_body`: every SEND chunk carries at most that many body bytes even
/// with nothing else waiting (a next hop with a frame limit, such as Kamailio's relay),
/// and messages of exactly a multiple of it, of unknown length, and whole ones still
/// arrive intact (R4975-107 Byte-Ranges stay right across the cuts).
#[test]
fn r4975_107_max_send_chunk_body_caps_every_chunk() {
    let mut cfg = sim::config(40);
    cfg.max_send_chunk_body = Some(1000);
    let (mut sim, sa, _) = Sim::pair(40, cfg, sim::config(41));
    let whole = body(2500, 4);
    let exact = body(2000, 5);
    let unknown = body(3000, 6);
    let id1 = sim
        .a
        .ep
        .send_message(
            sa,
            OutgoingMessage::whole("text/plain", Bytes::from(whole.clone())),
        )
        .unwrap();
    let id2 = sim.a.send_pulled(sa, "text/plain", exact.clone(), true);
    let id3 = sim.a.send_pulled(sa, "text/plain", unknown.clone(), false);
    sim.drive();
    assert_eq!(sim.b.bodies[&id1].bytes(), &whole[..]);
    assert_eq!(sim.b.bodies[&id2].bytes(), &exact[..]);
    assert_eq!(sim.b.bodies[&id3].bytes(), &unknown[..]);
    // Every chunk's body, measured on the wire.
    let wrote = &sim.a.wrote[&sim.links[0].0];
    let mut d = msrp_proto::wire::Decoder::default();
    let (mut at, mut cur, mut chunks) = (0, 0usize, 0);
    while at < wrote.len() {
        let (n, ev) = d.decode(&wrote[at..]).unwrap();
        match ev {
            msrp_proto::wire::Event::Body(b) => cur += b.len(),
            msrp_proto::wire::Event::End(_) => {
                assert!(cur <= 1000, "a chunk of {cur} body bytes");
                chunks += 1;
                cur = 0;
            }
            msrp_proto::wire::Event::NeedMore => break,
            _ => {}
        }
        at += n;
    }
    assert!(chunks >= 3 + 2 + 3, "{chunks} chunks");
}

/// Answers every request in `out` with 200 (as the first relay would, hop by hop).
fn answer_all(r: &mut Raw, out: &[u8]) {
    for line in text(out).lines().filter(|l| l.starts_with("MSRP ")) {
        let tid = line.split(' ').nth(1).unwrap();
        let ok = format!(
            "MSRP {tid} 200 OK\r\nTo-Path: {ALICE}\r\nFrom-Path: {BOB}\r\n-------{tid}$\r\n"
        );
        r.feed(ok.as_bytes());
    }
    r.side.drain_events();
}

/// A bound session on which alice sent `text` and got its hop-by-hop 200.
fn sent_through_relay(
    seed: u64,
    text_body: &'static [u8],
) -> (Raw, msrp_proto::engine::SessionId, MessageId) {
    let mut r = Raw::new(sim::config(seed));
    let s = r
        .side
        .ep
        .add_session(sim::uri(ALICE), vec![sim::uri(BOB)], Some(r.conn), r.now)
        .unwrap();
    let out = r.flush();
    answer_all(&mut r, &out);
    let id = r
        .side
        .ep
        .send_message(
            s,
            OutgoingMessage::whole("text/plain", Bytes::from_static(text_body)),
        )
        .unwrap();
    let out = r.flush();
    answer_all(&mut r, &out);
    assert!(
        r.side
            .events
            .iter()
            .any(|e| matches!(e, Event::MessageDelivered { message, .. } if *message == id)),
        "{:?}",
        r.side.events
    );
    r.side.events.clear();
    (r, s, id)
}

fn report(id: &str, status: &str) -> String {
    format!(
        "MSRP late0rpt REPORT\r\nTo-Path: {ALICE}\r\nFrom-Path: {BOB}\r\nMessage-ID: {id}\r\nByte-Range: 1-5/5\r\nStatus: 000 {status}\r\n-------late0rpt$\r\n"
    )
}

/// R4975-164: a failure REPORT saying bytes were not received (here a relay's 408, after
/// its hop-by-hop 200 had already completed the message) fails the message and the
/// session: MSRP cannot resend within it.
#[test]
fn r4975_164_late_failure_report_408_fails_the_session() {
    let (mut r, s, id) = sent_through_relay(21, b"hello");
    let rest = r.feed(report(id.as_str(), "408 Request Timeout").as_bytes());
    assert!(
        rest.is_empty(),
        "REPORTs are never answered: {}",
        text(&rest)
    );
    r.side.drain_events();
    let ev = &r.side.events;
    assert!(ev.iter().any(|e| matches!(e, Event::MessageFailed { message, status: StatusCode::REQUEST_TIMEOUT, local: false, .. } if *message == id)), "{ev:?}");
    assert!(ev.iter().any(|e| matches!(e, Event::SessionFailed { session, reason: SessionError::DataLost(StatusCode::REQUEST_TIMEOUT) } if *session == s)), "{ev:?}");
}

/// R4975-161, R4975-164: a late 415 is the receiver's verdict on one message: the
/// application learns it once, the session goes on; a REPORT about a Message-ID never
/// sent is ignored (R4975-099).
#[test]
fn r4975_161_r4975_099_late_415_fails_only_the_message_unknown_id_ignored() {
    let (mut r, s, id) = sent_through_relay(22, b"hello");
    r.feed(report(id.as_str(), "415 Unsupported Media Type").as_bytes());
    // A second REPORT about the same message (found by the engine fuzz target): one
    // outcome per message.
    r.feed(report(id.as_str(), "415 Unsupported Media Type").as_bytes());
    r.feed(report("neverSent1", "408 Request Timeout").as_bytes());
    r.side.drain_events();
    let ev = &r.side.events;
    assert_eq!(ev.len(), 1, "{ev:?}");
    assert!(matches!(ev[0], Event::MessageFailed { message, local: false, .. } if message == id));
    // Still usable.
    assert!(
        r.side
            .ep
            .send_message(
                s,
                OutgoingMessage::whole("text/plain", Bytes::from_static(b"more"))
            )
            .is_ok()
    );
}

/// R4975-164 with the message still in flight: REPORT 481 (the path is gone) ends it and
/// the session.
#[test]
fn r4975_164_failure_report_481_in_flight_fails_the_session() {
    let (mut r, s) = alice_raw(sim::config(23));
    let id = r
        .side
        .ep
        .send_message(
            s,
            OutgoingMessage::whole("text/plain", Bytes::from_static(b"hello")),
        )
        .unwrap();
    r.flush();
    r.feed(report(id.as_str(), "481 Session Does Not Exist").as_bytes());
    r.side.drain_events();
    let ev = &r.side.events;
    assert!(ev.iter().any(|e| matches!(e, Event::SessionFailed { session, reason: SessionError::DataLost(StatusCode::SESSION_DOES_NOT_EXIST) } if *session == s)), "{ev:?}");
}

/// A pulled body is double-buffered: the next `BodyWanted` comes as soon as a piece is
/// given, before that piece is on the wire, so the application fills the next piece
/// while the engine writes the last one; a piece can be given as a copy (`write_body`)
/// or written in place into a lent buffer (`lend_body_buf` / `give_body`).
#[test]
fn pulled_body_is_double_buffered_and_can_be_filled_in_place() {
    let (mut sim, sa, _) = Sim::pair(31, sim::config(31), sim::config(32));
    sim.drive();
    let data: Vec<u8> = (0..300_000u32)
        .map(|i| b"abcdefghij"[(i % 10) as usize])
        .collect();
    let id = sim
        .a
        .ep
        .send_message(
            sa,
            OutgoingMessage::pulled("application/octet-stream", Some(data.len() as u64)),
        )
        .unwrap();
    let wanted = |ep: &mut msrp_proto::engine::Endpoint| {
        let mut max = None;
        while let Some(ev) = ep.poll_event() {
            if let Event::BodyWanted {
                message, max: m, ..
            } = ev
            {
                assert_eq!(message, id);
                max = Some(m);
            }
        }
        max
    };
    let max = wanted(&mut sim.a.ep).expect("asked at once");
    // More than was asked: refused, nothing taken, the buffer can be lent again.
    let buf = sim.a.ep.lend_body_buf(id).unwrap();
    assert_eq!(
        sim.a.ep.give_body(id, buf, max + 1),
        Err(msrp_proto::engine::Error::TooManyBytes)
    );
    // Ended while a buffer is lent: what comes back afterwards is not part of it.
    {
        let (mut sim, sa, _) = Sim::pair(33, sim::config(33), sim::config(34));
        sim.drive();
        let id = sim
            .a
            .ep
            .send_message(sa, OutgoingMessage::pulled("text/plain", None))
            .unwrap();
        while sim.a.ep.poll_event().is_some() {}
        let buf = sim.a.ep.lend_body_buf(id).unwrap();
        sim.a.ep.end_body(id).unwrap();
        assert_eq!(
            sim.a.ep.give_body(id, buf, 5),
            Err(msrp_proto::engine::Error::UnknownMessage)
        );
        sim.drive();
        assert_eq!(sim.b.bodies.get(&id).map_or(0, |b| b.bytes().len()), 0);
    }
    // In place: a buffer `max` long, lent once at a time.
    let mut buf = sim.a.ep.lend_body_buf(id).unwrap();
    assert_eq!(buf.len(), max);
    assert!(sim.a.ep.lend_body_buf(id).is_err());
    assert_eq!(
        sim.a.ep.write_body(id, b"x").unwrap(),
        0,
        "lent: no copy taken"
    );
    buf.copy_from_slice(&data[..max]);
    sim.a.ep.give_body(id, buf, max).unwrap();
    // Asked again before anything was written: the next piece may be prepared now.
    assert_eq!(wanted(&mut sim.a.ep), Some(max));
    assert_eq!(sim.a.ep.write_body(id, &data[max..2 * max]).unwrap(), max);
    // Both pieces held: nothing more is asked or taken until one is written.
    assert_eq!(wanted(&mut sim.a.ep), None);
    assert_eq!(sim.a.ep.write_body(id, &data[2 * max..]).unwrap(), 0);
    assert!(sim.a.ep.lend_body_buf(id).is_err());
    // The rest by the simulation's copying source.
    sim.a.pulls.insert(id, (data.clone(), 2 * max));
    // The BodyWanted of the first piece written was polled above, none is pending: the
    // simulation answers the ones that follow.
    sim.drive();
    assert_eq!(sim.b.bodies[&id].bytes(), &data[..]);
    assert!(
        sim.a
            .events
            .iter()
            .any(|e| matches!(e, Event::MessageDelivered { message, .. } if *message == id))
    );
}

/// The last piece given and the body ended at once (both piece buffers full), while the
/// peer's requests make responses wait to interrupt the chunk: the chunk must not end the
/// message (`$`) when the first piece is drained (or drained but still being written in
/// place) and the second still waits to move in. Over many seeds and write sizes, pieces
/// copied or written in place, the message arrives intact.
#[test]
fn r4975_112_ending_a_double_buffered_body_under_interruptions_loses_nothing() {
    for seed in 0..300u64 {
        let mut ca = sim::config(100 + seed);
        ca.chunk_size = 4096;
        ca.send_buffer = 4096;
        // 0 is taken as 1: every piece in place, never an empty splice.
        ca.send_in_place_min = [usize::MAX, 0, 1, 64][seed as usize % 4];
        let (mut sim, sa, sb) = Sim::pair(200 + seed, ca, sim::config(300 + seed));
        sim.max_split = 1 + (seed as usize * 97) % 3000;
        // Two pieces, the first of a varying size, given before anything is written.
        let first = 100 + (seed as usize * 389) % 4000;
        let data: Vec<u8> = (0..first + 4096).map(|i| (i % 251) as u8).collect();
        let id = sim
            .a
            .ep
            .send_message(
                sa,
                OutgoingMessage::pulled("application/octet-stream", None),
            )
            .unwrap();
        let mut given = 0;
        for len in [first, 4096] {
            let asked = std::iter::from_fn(|| sim.a.ep.poll_event())
                .any(|e| matches!(e, Event::BodyWanted { .. }));
            assert!(
                asked,
                "seed {seed}: double-buffered, both pieces asked for at once"
            );
            given += sim.a.ep.write_body(id, &data[given..given + len]).unwrap();
        }
        assert_eq!(given, data.len());
        // Bob talks meanwhile: Alice owes him responses while her chunks go out.
        for k in 0..20 {
            sim.b
                .ep
                .send_message(
                    sb,
                    OutgoingMessage::whole("text/plain", Bytes::from(format!("m{k}"))),
                )
                .unwrap();
        }
        sim.a.pulls.insert(id, (data.clone(), given));
        if given == data.len() {
            sim.a.ep.end_body(id).unwrap();
        }
        sim.drive();
        let got = sim.b.bodies[&id].bytes();
        assert!(
            got == &data[..],
            "seed {seed}: received {} of {} bytes, or other bytes",
            got.len(),
            data.len()
        );
        assert!(sim.b.completed.contains(&id), "seed {seed}");
    }
}

/// Counts the `BodyWanted` events Alice's side recorded for `id`, and forgets them.
fn wanted_count(r: &mut Raw, id: MessageId) -> usize {
    let n = r
        .side
        .events
        .iter()
        .filter(|e| matches!(e, Event::BodyWanted { message, .. } if *message == id))
        .count();
    r.side.events.clear();
    n
}

/// Writes everything Alice has for the connection, `step` bytes at a time, checking on
/// the way that `transmit_done` refuses more than `poll_transmit` offered. Returns the
/// bytes and the largest slice offered from inside `inside` (pointer range).
fn flush_in_steps(r: &mut Raw, step: usize, inside: (usize, usize)) -> (Vec<u8>, usize) {
    let mut wire = Vec::new();
    let mut in_place = 0;
    loop {
        r.side.drain_events();
        let Some(b) = r.side.ep.poll_transmit(r.conn) else {
            break;
        };
        let p = b.as_ptr() as usize;
        if p >= inside.0 && p + b.len() <= inside.1 {
            in_place = in_place.max(b.len());
        }
        let offered = b.len();
        let n = offered.min(step);
        wire.extend_from_slice(&b[..n]);
        if n == offered {
            assert_eq!(
                r.side.ep.transmit_done(r.conn, r.now, n + 1),
                Err(msrp_proto::engine::Error::TooManyBytes),
                "more than offered"
            );
        }
        r.side.ep.transmit_done(r.conn, r.now, n).unwrap();
    }
    r.side.drain_events();
    (wire, in_place)
}

/// Perf (zero copy on send): a large piece of a pulled body, filled in the buffer the
/// engine lent, is written from that buffer — `poll_transmit` offers slices of it — and
/// the buffer is not handed out again (no `BodyWanted` for the third piece) until its
/// last byte is written, however the writes split it. The receiver gets exactly the body.
#[test]
fn large_pulled_pieces_are_written_from_the_lent_buffer_in_place() {
    let (mut r, s) = alice_bound(sim::config(41));
    let id = pulled(&mut r, s, Some(3 * 100_000));
    assert_eq!(wanted_count(&mut r, id), 1);
    let data: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let mut buf = r.side.ep.lend_body_buf(id).unwrap();
    let inside = (buf.as_ptr() as usize, buf.as_ptr() as usize + buf.len());
    buf[..100_000].copy_from_slice(&data[..100_000]);
    r.side.ep.give_body(id, buf, 100_000).unwrap();
    r.side.drain_events();
    assert_eq!(
        wanted_count(&mut r, id),
        1,
        "the second piece is asked at once"
    );
    assert_eq!(
        r.side.ep.write_body(id, &data[100_000..200_000]).unwrap(),
        100_000
    );
    // Write the first piece partly: the head, then 1000 bytes of the body.
    let mut wire = Vec::new();
    let head = r.side.ep.poll_transmit(r.conn).unwrap().to_vec();
    assert!(
        text(&head).contains("Byte-Range: 1-*/300000"),
        "{}",
        text(&head)
    );
    r.side.ep.transmit_done(r.conn, r.now, head.len()).unwrap();
    wire.extend(head);
    let b = r.side.ep.poll_transmit(r.conn).unwrap();
    assert_eq!(
        (b.as_ptr() as usize, b.len()),
        (inside.0, 100_000),
        "the body is offered from the lent buffer, all of it"
    );
    wire.extend_from_slice(&b[..1000]);
    r.side.ep.transmit_done(r.conn, r.now, 1000).unwrap();
    r.side.drain_events();
    assert_eq!(
        wanted_count(&mut r, id),
        0,
        "both buffers busy while the first piece is being written"
    );
    let (rest, in_place) = flush_in_steps(&mut r, 7777, inside);
    wire.extend(rest);
    assert_eq!(
        in_place, 99_000,
        "the rest of the first piece, offered in place"
    );
    assert_eq!(
        wanted_count(&mut r, id),
        1,
        "asked again once the piece is written"
    );
    assert_eq!(r.side.ep.write_body(id, &data[200_000..]).unwrap(), 100_000);
    r.side.ep.end_body(id).unwrap();
    let (rest, _) = flush_in_steps(&mut r, 4096, (0, 0));
    wire.extend(rest);
    let whole = joined(&frames(&wire));
    assert!(
        whole == data,
        "received {} bytes, or other bytes",
        whole.len()
    );
}

/// R4975-082/083 with pieces written in place: the open chunk's own end-line inside a
/// large piece — far in (the piece is written in place up to it) or near its start (copied
/// up to it) — cuts the chunk there and the body continues under a new transaction id.
#[test]
fn r4975_082_r4975_083_end_line_inside_a_large_piece_is_cut_in_place() {
    for (seed, at) in [(51u64, 40_000usize), (52, 100), (53, 65_000)] {
        let (mut r, s) = alice_bound(sim::config(seed));
        let id = pulled(&mut r, s, None);
        let first = vec![b'a'; 3000];
        assert_eq!(r.side.ep.write_body(id, &first).unwrap(), 3000);
        let mut wire = r.flush();
        let tid = text(&wire).split_whitespace().nth(1).unwrap().to_owned();
        let evil = format!("\r\n-------{tid}$\r\n");
        let mut piece = vec![b'b'; 70_000];
        piece[at..at + evil.len()].copy_from_slice(evil.as_bytes());
        let mut buf = r.side.ep.lend_body_buf(id).unwrap();
        let inside = (buf.as_ptr() as usize, buf.as_ptr() as usize + buf.len());
        buf[..piece.len()].copy_from_slice(&piece);
        r.side.ep.give_body(id, buf, piece.len()).unwrap();
        r.side.ep.end_body(id).unwrap();
        let (rest, in_place) = flush_in_steps(&mut r, 10_000, inside);
        wire.extend(rest);
        if at >= 32 * 1024 {
            assert!(in_place >= 10_000, "seed {seed}: written in place");
        }
        let f = frames(&wire);
        assert!(f.len() >= 2, "{f:?}");
        assert!(f[0].0.contains(&tid));
        assert_eq!(
            f[0].3,
            msrp_proto::wire::Flag::More,
            "seed {seed}: cut with +"
        );
        assert!(f[1..].iter().all(|fr| !fr.0.contains(&tid)), "seed {seed}");
        let whole = joined(&f);
        let mut expect = first.clone();
        expect.extend_from_slice(&piece);
        assert!(whole == expect, "seed {seed}: {} bytes", whole.len());
        assert_eq!(f.last().unwrap().3, msrp_proto::wire::Flag::End);
    }
}

/// Gives Alice's pulled message `id` one 100 000-byte piece and writes its head and the
/// first `k` body bytes: the rest of the piece is pending, written from its buffer.
fn half_written_piece(r: &mut Raw, id: MessageId, k: usize) -> Vec<u8> {
    assert_eq!(r.side.ep.write_body(id, &[b'p'; 100_000]).unwrap(), 100_000);
    let mut wire = r.side.ep.poll_transmit(r.conn).unwrap().to_vec();
    let n = wire.len();
    r.side.ep.transmit_done(r.conn, r.now, n).unwrap();
    let b = r.side.ep.poll_transmit(r.conn).unwrap();
    assert_eq!(b.len(), 100_000, "the piece, in place");
    wire.extend_from_slice(&b[..k]);
    r.side.ep.transmit_done(r.conn, r.now, k).unwrap();
    wire
}

/// R4975-081 with a piece being written in place: aborting the message writes the rest
/// of the piece (its bytes unchanged) and then `#`; the message's slot stays taken until
/// then (with one slot, a new message is refused with `TooManyMessages` meanwhile, and
/// accepted after).
#[test]
fn r4975_081_aborted_message_keeps_its_piece_until_written() {
    let mut cfg = sim::config(61);
    cfg.limits.max_outgoing_messages = 1;
    let (mut r, s) = alice_bound(cfg);
    let id = pulled(&mut r, s, None);
    let mut wire = Vec::new();
    wire.extend(half_written_piece(&mut r, id, 5000));
    r.side.ep.abort_message(id).unwrap();
    assert!(
        matches!(
            r.side.ep.send_message(
                s,
                OutgoingMessage::whole("text/plain", Bytes::from_static(b"x"))
            ),
            Err(msrp_proto::engine::SendError::TooManyMessages)
        ),
        "the aborted message's piece is still being written"
    );
    wire.extend(r.flush());
    let f = frames(&wire);
    let last = f.last().unwrap();
    assert_eq!(last.3, msrp_proto::wire::Flag::Abort, "{f:?}");
    assert_eq!(
        last.2,
        vec![b'p'; 100_000],
        "the piece went out whole and unchanged"
    );
    r.side
        .ep
        .send_message(
            s,
            OutgoingMessage::whole("text/plain", Bytes::from_static(b"x")),
        )
        .expect("the slot is free once the piece is written");
}

/// R4975-033 with a piece being written in place: the connection is lost, the session
/// fails, and the message slot is free for a new session's messages.
#[test]
fn r4975_033_connection_lost_mid_piece_frees_its_slot() {
    let mut cfg = sim::config(71);
    cfg.limits.max_outgoing_messages = 1;
    let (mut r, s) = alice_bound(cfg);
    let id = pulled(&mut r, s, None);
    half_written_piece(&mut r, id, 5000);
    r.side.ep.handle_eof(r.conn, r.now).unwrap();
    r.side.drain_events();
    assert!(
        r.side
            .events
            .iter()
            .any(|e| matches!(e, Event::SessionFailed { .. }))
    );
    assert!(r.side.ep.poll_transmit(r.conn).is_none());
    let conn = r.side.ep.add_connection();
    let s2 = r
        .side
        .ep
        .add_session(sim::uri(ALICE), vec![sim::uri(BOB)], Some(conn), r.now)
        .expect("a new session");
    let _ = s2;
    r.conn = conn;
    let out = r.flush();
    assert!(
        text(&out).contains("SEND"),
        "the new session's binding SEND got the freed slot: {}",
        text(&out)
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, .. ProptestConfig::default() })]
    /// Pulled bodies in pieces large enough to be written in place (32 KiB and more),
    /// written in arbitrary splits while the peer's messages interrupt the chunks with
    /// their responses (R4975-112): every body arrives intact and is delivered.
    #[test]
    fn prop_large_pulled_pieces_arrive_intact_under_interruptions(
        seed in 0u64..1000,
        sizes in proptest::collection::vec(0usize..300_000, 1..4),
        piece in 32_768usize..200_000,
        split in 1usize..70_000,
        bob_talks in 0usize..8,
    ) {
        let mut ca = small_chunks(seed, piece);
        ca.send_buffer = piece;
        let (mut sim, sa, sb) = Sim::pair(seed, ca, sim::config(seed + 1));
        sim.max_split = split;
        let mut ids = Vec::new();
        for (i, &n) in sizes.iter().enumerate() {
            let data = body(n, i as u8);
            let id = sim.a.send_pulled(sa, "application/octet-stream", data.clone(), i % 2 == 0);
            ids.push((id, data));
        }
        for k in 0..bob_talks {
            for _ in 0..5 {
                sim.step();
            }
            sim.b
                .ep
                .send_message(sb, OutgoingMessage::whole("text/plain", Bytes::from(format!("m{k}"))))
                .unwrap();
        }
        sim.drive();
        for (id, data) in &ids {
            let got = sim.b.bodies.get(id).map_or(&[][..], |b| b.bytes());
            prop_assert!(got == &data[..], "{} of {} bytes, or other bytes", got.len(), data.len());
            let delivered = sim.a.events.iter().any(|e| matches!(e, Event::MessageDelivered { message, .. } if message == id));
            prop_assert!(delivered);
        }
    }
}
