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
fn r4975_107_111_chunking_byte_ranges_and_star_range_end() {
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
