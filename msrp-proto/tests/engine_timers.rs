//! Timers on the virtual clock: passive binding timeout (P-09), idle connection close
//! after the last session (R4975-039, P-17), and messages that never end (P-35).

mod sim;

use std::time::Duration;

use bytes::Bytes;
use msrp_proto::engine::{
    AbortReason, Config, ConnectionError, Event, OutgoingMessage, SessionError,
};
use msrp_proto::wire::headers::StatusCode;
use sim::{ALICE, BOB, Raw, Sim, send, text};

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

#[test]
fn p09_passive_session_queues_until_bound_then_times_out() {
    let (mut r, s) = Raw::bob(sim::config(1));
    let t0 = r.now;
    let id = r
        .side
        .ep
        .send_message(
            s,
            OutgoingMessage::whole("text/plain", Bytes::from_static(b"queued")),
        )
        .unwrap();
    assert!(r.flush().is_empty(), "nothing before binding (R4975-024)");
    let binding = Config::default().binding_timeout;
    assert_eq!(r.side.ep.poll_timeout(), Some(t0 + binding));
    r.side
        .ep
        .handle_timeout(t0 + binding - Duration::from_millis(1));
    r.side.drain_events();
    assert!(r.side.events.is_empty(), "{:?}", r.side.events);
    r.side.ep.handle_timeout(t0 + binding);
    r.side.drain_events();
    let ev = &r.side.events;
    assert!(ev.iter().any(|e| matches!(e, Event::SessionFailed { session, reason: SessionError::BindingTimeout } if *session == s)));
    assert!(ev.iter().any(|e| matches!(e, Event::MessageFailed { message, status: StatusCode::REQUEST_TIMEOUT, local: true, .. } if *message == id)));
    assert!(r.flush().is_empty(), "the queued message never went out");
}

#[test]
fn p09_passive_session_bound_in_time_sends_its_queue() {
    let (mut r, s) = Raw::bob(sim::config(2));
    r.side
        .ep
        .send_message(
            s,
            OutgoingMessage::whole("text/plain", Bytes::from_static(b"queued")),
        )
        .unwrap();
    r.now += secs(29);
    let out = r.feed(&send(
        "bind0001",
        BOB,
        ALICE,
        "Message-ID: bindmsg1\r\n",
        None,
    ));
    let t = text(&out);
    assert!(t.contains("MSRP bind0001 200 OK"), "{t}");
    assert!(t.contains(" SEND\r\n") && t.contains("queued"), "{t}");
    // No binding deadline any more; the sent SEND's transaction timer runs instead
    // (exact once `handle_timeout` has rescanned: `poll_timeout` may be a lower bound).
    r.side.ep.handle_timeout(r.now);
    assert_eq!(
        r.side.ep.poll_timeout(),
        Some(r.now + Config::default().transaction_timeout)
    );
}

#[test]
fn r4975_039_p17_connection_closes_only_after_its_last_session_plus_idle_time() {
    let (mut sim, sa, _) = Sim::pair(3, sim::config(3), sim::config(4));
    // A second session of Alice shares the connection (R4975-020).
    let now = sim.now;
    let bob2 = "msrp://bob.example.com:8888/secondbob77;tcp";
    let alice2 = "msrp://alicepc.example.com:7777/secondalice7;tcp";
    sim.b
        .ep
        .add_session(sim::uri(bob2), vec![sim::uri(alice2)], None, now)
        .unwrap();
    let sa2 = sim
        .a
        .ep
        .add_session(
            sim::uri(alice2),
            vec![sim::uri(bob2)],
            Some(sim.links[0].0),
            now,
        )
        .unwrap();
    sim.drive();
    // Sessions bound: the connection stays, however long it is quiet.
    sim.advance(secs(600));
    let lost = |sim: &Sim| {
        sim.a
            .events
            .iter()
            .any(|e| matches!(e, Event::ConnectionLost { .. }))
    };
    assert!(!lost(&sim));
    sim.a.ep.close_session(sa).unwrap();
    sim.advance(secs(600));
    assert!(!lost(&sim), "one session is still bound");
    sim.a.ep.close_session(sa2).unwrap();
    let closed_at = sim.now;
    sim.advance(secs(29));
    assert!(!lost(&sim));
    sim.advance(secs(1));
    sim.a.drain_events();
    assert!(sim.a.events.iter().any(|e| matches!(
        e,
        Event::ConnectionLost {
            reason: ConnectionError::Idle,
            ..
        }
    )));
    assert_eq!(
        sim.now,
        closed_at + Config::default().connection_idle_timeout
    );
}

#[test]
fn r4975_039_accepted_connection_nobody_binds_is_closed_when_idle() {
    let mut r = Raw::new(sim::config(5));
    // Time becomes known to the endpoint only with the first input.
    let t0 = r.now;
    let out = r.feed(&send(
        "nobody01",
        "msrp://bob.example.com:8888/nosuchsession;tcp",
        ALICE,
        "Message-ID: m0000001\r\n",
        None,
    ));
    assert!(text(&out).contains(" 481 "));
    let idle = Config::default().connection_idle_timeout;
    assert_eq!(r.side.ep.poll_timeout(), Some(t0 + idle));
    r.side.ep.handle_timeout(t0 + idle);
    r.side.drain_events();
    assert!(matches!(
        r.side.events[..],
        [Event::ConnectionLost {
            reason: ConnectionError::Idle,
            ..
        }]
    ));
}

#[test]
fn p35_message_that_never_ends_stalls_the_connection() {
    let (mut r, s) = Raw::bob(sim::config(6));
    let mut req = send(
        "never001",
        BOB,
        ALICE,
        "Message-ID: neverend\r\nByte-Range: 1-*/*\r\n",
        Some(&[b'n'; 1000]),
    );
    req.truncate(req.len() - 20); // no end-line, ever
    let t0 = r.now;
    assert!(r.feed(&req).is_empty());
    // A trickle keeps it alive: activity is not a stall.
    for i in 1..=5u64 {
        r.now = t0 + secs(60 * i);
        r.side.ep.handle_timeout(r.now);
        r.feed(b"trickle");
    }
    r.side.drain_events();
    assert!(
        !r.side.events.iter().any(|e| matches!(
            e,
            Event::ConnectionLost { .. } | Event::MessageAborted { .. }
        )),
        "{:?}",
        r.side.events
    );
    // Then silence: after incoming_idle_timeout the connection is lost, typed.
    let stall = Config::default().incoming_idle_timeout;
    r.side.ep.handle_timeout(r.now);
    assert_eq!(r.side.ep.poll_timeout(), Some(r.now + stall));
    r.side.ep.handle_timeout(r.now + stall);
    r.side.drain_events();
    let ev = &r.side.events;
    assert!(ev.iter().any(|e| matches!(
        e,
        Event::ConnectionLost {
            reason: ConnectionError::Stalled,
            ..
        }
    )));
    assert!(ev.iter().any(|e| matches!(
        e,
        Event::MessageAborted {
            reason: AbortReason::SessionEnded,
            ..
        }
    )));
    assert!(
        ev.iter()
            .any(|e| matches!(e, Event::SessionFailed { session, .. } if *session == s))
    );
}

#[test]
fn p35_r4975_206_oversized_single_chunk_is_stopped_early_with_report_413() {
    // A 1 MiB stream of unknown length in one chunk towards a receiver that accepts
    // 100 000 bytes: the receiver's REPORT `000 413` stops it mid-chunk with `#`.
    let mut cb = sim::config(8);
    cb.limits.max_message_size = 100_000;
    let (mut sim, sa, _) = Sim::pair(7, sim::config(7), cb);
    sim.max_split = 8192;
    let data: Vec<u8> = (0..1 << 20).map(|i| b"0123456789abcdef"[i % 16]).collect();
    let id = sim
        .a
        .send_pulled(sa, "application/octet-stream", data, false);
    sim.drive();
    assert!(sim.a.events.iter().any(|e| matches!(
        e,
        Event::MessageFailed { message, status: StatusCode::STOP_SENDING, local: false, .. } if *message == id
    )));
    assert!(sim.b.events.iter().any(|e| matches!(
        e,
        Event::MessageAborted { message, reason: AbortReason::TooLarge, .. } if *message == id
    )));
    let wrote = &sim.a.wrote[&sim.links[0].0];
    assert!(
        wrote.len() < 400_000,
        "stopped early: {} bytes",
        wrote.len()
    );
    assert!(
        text(wrote).contains("#\r\n"),
        "the chunk in flight ends with #"
    );
    let got: usize = sim.b.bodies.get(&id).map_or(0, |b| b.bytes().len());
    assert!(got <= 100_000, "{got}");
}

/// Found by the `engine` fuzz target: a session failing inside `handle_timeout` (here the
/// binding SEND's transaction timer) made its connection idle without stamping the idle
/// timer, so `poll_timeout` stayed due at `now` until `handle_timeout` ran a second time.
#[test]
fn fuzz_handle_timeout_leaves_no_timer_due_when_a_session_fails_in_it() {
    let mut r = Raw::new(sim::config(9));
    let now = r.now;
    let s = r
        .side
        .ep
        .add_session(sim::uri(ALICE), vec![sim::uri(BOB)], Some(r.conn), now)
        .unwrap();
    assert!(!r.flush().is_empty(), "the binding SEND goes out");
    let t = r
        .side
        .ep
        .poll_timeout()
        .expect("the binding SEND's transaction timer");
    r.side.ep.handle_timeout(t);
    r.side.drain_events();
    assert!(
        r.side
            .events
            .iter()
            .any(|e| matches!(e, Event::SessionFailed { session, .. } if *session == s))
    );
    let next = r.side.ep.poll_timeout();
    assert!(
        next.is_some_and(|n| n > t),
        "due again at once: {next:?} (now {t:?})"
    );
    assert_eq!(next, Some(t + Config::default().connection_idle_timeout));
}

/// A receiver that gives up on a half-received message (idle for
/// `incoming_idle_timeout`) had answered its chunks with 200, so a sender that asked for
/// no success report took those 200s for delivery (found by the `engine` fuzz target).
/// Now the receiver tells it: a failure REPORT `000 413` covering what arrived
/// (R4975-133, R4975-136/-137; 413 = stop sending, R4975-206) and 413 for every later
/// chunk; with `Failure-Report: no` nothing is sent (R4975-134).
#[test]
fn r4975_133_receiver_that_abandons_a_message_reports_413_and_refuses_the_rest() {
    for (policy, reported) in [
        ("", true),
        ("Failure-Report: partial\r\n", true),
        ("Failure-Report: no\r\n", false),
    ] {
        let (mut r, s) = Raw::bob(sim::config(9));
        let mut first = send(
            "half0001",
            BOB,
            ALICE,
            &format!("Message-ID: halfdone\r\n{policy}Byte-Range: 1-4/8\r\n"),
            Some(b"abcd"),
        );
        let n = first.len();
        first[n - 3] = b'+';
        let out = text(&r.feed(&first));
        assert_eq!(out.contains(" 200 OK"), policy.is_empty(), "{out}");
        let idle = Config::default().incoming_idle_timeout;
        r.now += idle;
        r.side.ep.handle_timeout(r.now);
        let out = text(&r.flush());
        assert!(r.side.events.iter().any(|e| matches!(
            e,
            Event::MessageAborted { session, reason: AbortReason::Idle, .. } if *session == s
        )));
        if reported {
            assert!(out.contains(" REPORT\r\n"), "{out}");
            assert!(
                out.contains("To-Path: msrp://alicepc.example.com:7777/iau39soe2843z;tcp\r\n"),
                "{out}"
            );
            assert!(out.contains("Message-ID: halfdone\r\n"), "{out}");
            assert!(out.contains("Byte-Range: 1-4/8\r\n"), "{out}");
            assert!(out.contains("Status: 000 413"), "{out}");
        } else {
            assert!(out.is_empty(), "{out}");
        }
        // The rest comes late: refused, not started as a new message.
        r.side.events.clear();
        let last = send(
            "half0002",
            BOB,
            ALICE,
            &format!("Message-ID: halfdone\r\n{policy}Byte-Range: 5-8/8\r\n"),
            Some(b"efgh"),
        );
        let out = text(&r.feed(&last));
        if reported {
            assert!(out.contains("MSRP half0002 413"), "{out}");
        } else {
            assert!(out.is_empty(), "{out}");
        }
        assert!(
            !r.side.events.iter().any(|e| matches!(
                e,
                Event::MessageStarted { .. } | Event::MessageReceived { .. } | Event::Data { .. }
            )),
            "{:?}",
            r.side.events
        );
    }
}
