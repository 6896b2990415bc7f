//! Hostile peers against the engine, for the categories the wire-level suites cannot
//! show: interleaved half-messages of several sessions on one connection, header floods
//! at exactly the limits, and frames that arrive one byte at a time (slow drip).
//! Catalogued in msrp-conformance/docs/hostile-inputs.md.

mod sim;

use std::time::Duration;

use msrp_proto::engine::{AbortReason, Config, ConnectionError, Event};
use sim::{ALICE, BOB, Raw, send, text, uri};

const BOB2: &str = "msrp://bob.example.com:8888/second77session;tcp";
const ALICE2: &str = "msrp://alicepc.example.com:7777/other55alice;tcp";

/// One chunk of `msg` with body `body` at 1-based `start`, ended with `flag`.
fn chunk(tid: &str, to: &str, from: &str, msg: &str, start: u64, body: &[u8], flag: u8) -> Vec<u8> {
    let mut v = send(
        tid,
        to,
        from,
        &format!("Message-ID: {msg}\r\nByte-Range: {start}-*/*\r\n"),
        Some(body),
    );
    let n = v.len();
    v[n - 3] = flag;
    v
}

#[test]
fn p35_interleaved_half_messages_of_two_sessions_stay_apart_and_expire() {
    let (mut r, s1) = Raw::bob(sim::config(31));
    let now = r.now;
    let s2 = r
        .side
        .ep
        .add_session(uri(BOB2), vec![uri(ALICE2)], None, now)
        .unwrap();
    // Two sessions, two messages each, first halves interleaved on one connection and
    // never finished.
    let mut wire = Vec::new();
    for (i, (to, from, msg)) in [
        (BOB, ALICE, "aaaa1111"),
        (BOB2, ALICE2, "bbbb2222"),
        (BOB, ALICE, "cccc3333"),
        (BOB2, ALICE2, "dddd4444"),
    ]
    .into_iter()
    .enumerate()
    {
        wire.extend(chunk(
            &format!("t{i}half"),
            to,
            from,
            msg,
            1,
            msg.as_bytes(),
            b'+',
        ));
    }
    let out = text(&r.feed(&wire));
    assert_eq!(out.matches(" 200 OK").count(), 4, "{out}");
    let data: Vec<_> = r
        .side
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Data {
                session, message, ..
            } => Some((*session, message.as_str().to_owned())),
            _ => None,
        })
        .collect();
    assert_eq!(
        data,
        [
            (s1, "aaaa1111".to_owned()),
            (s2, "bbbb2222".to_owned()),
            (s1, "cccc3333".to_owned()),
            (s2, "dddd4444".to_owned())
        ]
    );
    assert!(!r.side.events.iter().any(|e| matches!(
        e,
        Event::MessageReceived {
            bodiless: false,
            ..
        }
    )));
    // Nobody finishes them: after the idle timeout all four are dropped, the connection
    // (between frames) and both sessions stay.
    r.side.events.clear();
    let later = r.now + Config::default().incoming_idle_timeout;
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
    assert_eq!(idle, 4, "{:?}", r.side.events);
    assert!(
        !r.side
            .events
            .iter()
            .any(|e| matches!(e, Event::ConnectionLost { .. }))
    );
}

#[test]
fn limits_header_flood_at_exactly_32_headers_is_accepted_and_33_refused() {
    let limit = Config::default().wire.max_headers;
    assert_eq!(limit, 32);
    let with_headers = |n: usize| {
        // To-Path, From-Path and Message-ID count; the rest are unknown extension headers.
        let extra: String = (0..n - 3).map(|i| format!("X-Flood-{i}: v\r\n")).collect();
        send(
            "flood001",
            BOB,
            ALICE,
            &format!("Message-ID: flood1\r\n{extra}"),
            None,
        )
    };
    let (mut r, _) = Raw::bob(sim::config(32));
    let out = text(&r.feed(&with_headers(limit)));
    assert!(out.contains("MSRP flood001 200 OK"), "{out}");
    let (mut r, _) = Raw::bob(sim::config(33));
    let out = text(&r.feed(&with_headers(limit + 1)));
    assert!(!out.contains(" 200 "), "{out}");
    let refused = out.contains(" 400 ")
        || r.side.events.iter().any(|e| {
            matches!(
                e,
                Event::ConnectionLost {
                    reason: ConnectionError::Malformed(_),
                    ..
                }
            )
        });
    assert!(refused, "{out} {:?}", r.side.events);
}

#[test]
fn limits_header_block_near_max_header_bytes_is_accepted_far_over_refused() {
    let max = Config::default().wire.max_header_bytes;
    let base = send(
        "exact001",
        BOB,
        ALICE,
        "Message-ID: exact1\r\nX-Pad: \r\n",
        None,
    );
    // The header block ends with the blank line or the end-line; pad it to the limit.
    let end_line = "-------exact001$\r\n".len();
    let head_len = base.len() - end_line;
    let (mut r, _) = Raw::bob(sim::config(34));
    let pad = "p".repeat(max.saturating_sub(head_len).min(8000));
    let req = send(
        "exact001",
        BOB,
        ALICE,
        &format!("Message-ID: exact1\r\nX-Pad: {pad}\r\n"),
        None,
    );
    let out = text(&r.feed(&req));
    assert!(out.contains("MSRP exact001 200 OK"), "{out}");
    // A block far over the limit is refused without being buffered whole.
    let (mut r, _) = Raw::bob(sim::config(35));
    let pads: String = (0..4)
        .map(|i| format!("X-Pad{i}: {}\r\n", "q".repeat(5000)))
        .collect();
    let req = send(
        "over0001",
        BOB,
        ALICE,
        &format!("Message-ID: over1\r\n{pads}"),
        None,
    );
    let out = text(&r.feed(&req));
    assert!(!out.contains(" 200 "), "{out}");
}

/// Binds Bob's session with a quick bodiless SEND, as the peer's first request would
/// (a drip taking longer than the binding timeout would fail the session first, P-09).
fn bound_bob(seed: u64) -> Raw {
    let (mut r, _) = Raw::bob(sim::config(seed));
    let out = text(&r.feed(&send("bind0001", BOB, ALICE, "Message-ID: bind1\r\n", None)));
    assert!(out.contains(" 200 OK"), "{out}");
    r.side.events.clear();
    r
}

#[test]
fn p35_slow_drip_frame_one_byte_a_second_is_delivered() {
    let mut r = bound_bob(36);
    let req = send(
        "drip0001",
        BOB,
        ALICE,
        "Message-ID: drip1\r\nByte-Range: 1-5/5\r\n",
        Some(b"hello"),
    );
    assert!(req.len() as u64 > Config::default().binding_timeout.as_secs());
    let mut out = Vec::new();
    for b in &req {
        r.now += Duration::from_secs(1);
        r.side.ep.handle_timeout(r.now);
        out.extend(r.feed(std::slice::from_ref(b)));
    }
    assert!(
        text(&out).contains("MSRP drip0001 200 OK"),
        "{}",
        text(&out)
    );
    assert!(
        r.side
            .events
            .iter()
            .any(|e| matches!(e, Event::MessageReceived { len: 5, .. }))
    );
    assert!(
        !r.side
            .events
            .iter()
            .any(|e| matches!(e, Event::ConnectionLost { .. }))
    );
}

#[test]
fn p35_slow_drip_frame_that_stops_mid_way_stalls_the_connection() {
    let mut r = bound_bob(37);
    let req = send(
        "drip0002",
        BOB,
        ALICE,
        "Message-ID: drip2\r\nByte-Range: 1-5/5\r\n",
        Some(b"hello"),
    );
    for b in &req[..req.len() / 2] {
        r.now += Duration::from_secs(1);
        r.side.ep.handle_timeout(r.now);
        r.feed(std::slice::from_ref(b));
    }
    // `poll_timeout` may wake early (a timer that moved later since it was armed), never
    // late; the connection stalls exactly `incoming_idle_timeout` after the last byte.
    let stall_at = r.now + Config::default().incoming_idle_timeout;
    let lost = |r: &Raw| {
        r.side
            .events
            .iter()
            .any(|e| matches!(e, Event::ConnectionLost { .. }))
    };
    let mut deadline;
    loop {
        deadline = r
            .side
            .ep
            .poll_timeout()
            .expect("a stall timer runs mid-frame");
        assert!(deadline <= stall_at, "woken late");
        r.side.ep.handle_timeout(deadline);
        r.side.drain_events();
        if lost(&r) {
            break;
        }
    }
    assert_eq!(deadline, stall_at);
    assert!(r.side.events.iter().any(|e| matches!(
        e,
        Event::ConnectionLost {
            reason: ConnectionError::Stalled,
            ..
        }
    )));
}

/// Found by the `engine` fuzz target: a complete message and unresynchronisable garbage
/// in one read. The garbage loses the connection in the same call that queued the
/// message's `Data` event, and the connection's input buffer went with it, so the
/// freshly polled `BodyRef` read as `None`: the message was reported received with its
/// bytes gone. The buffer now stays readable until the next mutation.
#[test]
fn fuzz_data_of_a_message_before_fatal_garbage_stays_readable() {
    let (mut r, _) = Raw::bob(sim::config(38));
    let mut input = send(
        "good0001",
        BOB,
        ALICE,
        "Message-ID: good1\r\nByte-Range: 1-5/5\r\n",
        Some(b"hello"),
    );
    input.extend_from_slice(b"MSRP x SEND\r\n\r\n");
    let n = r.side.ep.handle_input(r.conn, r.now, &input).unwrap();
    assert_eq!(n, input.len());
    let mut got = Vec::new();
    let mut lost = false;
    while let Some(ev) = r.side.ep.poll_event() {
        match ev {
            Event::Data { body, .. } => got.extend_from_slice(
                r.side
                    .ep
                    .received_body(body)
                    .expect("a fresh BodyRef reads"),
            ),
            Event::ConnectionLost {
                reason: ConnectionError::Malformed(_),
                ..
            } => lost = true,
            _ => {}
        }
    }
    assert_eq!(got, b"hello");
    assert!(lost, "the garbage loses the connection");
}

/// Found by the engine fuzz target: a message whose head arrived in the same call that
/// lost the connection (here: the next frame is garbage), with a command issued before
/// the events are drained (as an application feeding a pulled body on `BodyWanted`
/// does). The queued `MessageStarted`'s Content-Type must still read when polled, and a
/// new connection must not take over the lost one's index meanwhile.
#[test]
fn fuzz_content_type_of_a_message_started_before_the_connection_was_lost_stays_readable() {
    let (mut r, _) = Raw::bob(sim::config(39));
    let mut input = b"MSRP head0001 SEND\r\nTo-Path: ".to_vec();
    input.extend_from_slice(
        format!(
            "{BOB}\r\nFrom-Path: {ALICE}\r\nMessage-ID: head1\r\nByte-Range: 1-5/5\r\n\
             Content-Type: text/x-started\r\n\r\n"
        )
        .as_bytes(),
    );
    let lost_conn = r.conn;
    r.side.ep.handle_input(lost_conn, r.now, &input).unwrap();
    // The connection is closed and another one comes before anything is polled.
    r.side.ep.close_connection(lost_conn).unwrap();
    let other = r.side.ep.add_connection();
    assert_ne!(
        other, lost_conn,
        "a lost connection's index is not reused yet"
    );
    let mut ct = None;
    while let Some(ev) = r.side.ep.poll_event() {
        if let Event::MessageStarted { content_type, .. } = ev {
            ct = Some(
                r.side
                    .ep
                    .received_body(content_type)
                    .expect("a fresh content-type BodyRef reads")
                    .to_vec(),
            );
        }
    }
    assert_eq!(ct.as_deref(), Some(&b"text/x-started"[..]));
    // Once drained and mutated, the lost buffer is gone and the index is free again.
    let _ = r.side.ep.close_connection(other);
    let next = r.side.ep.add_connection();
    assert!(next == lost_conn || next == other, "{next:?}");
}
