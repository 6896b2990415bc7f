//! Receive-side features through a raw peer: duplicate detection (R4975-036, P-16),
//! failure REPORTs for messages rejected later (§7.1.4), concurrent duplicate
//! transaction ids (P-44), the stale-`BodyRef` guard and bodies lent as views
//! (`take_received`).

mod sim;

use msrp_proto::engine::{Error, Event};
use msrp_proto::wire::MessageId;
use msrp_proto::wire::headers::StatusCode;
use sim::{ALICE, BOB, Raw, send, text};

fn bob() -> Raw {
    Raw::bob(sim::config(1)).0
}

fn mid(s: &str) -> MessageId {
    MessageId::parse(s).unwrap()
}

/// Every MSRP start line in `out`.
fn start_lines(out: &[u8]) -> Vec<String> {
    text(out)
        .lines()
        .filter(|l| l.starts_with("MSRP "))
        .map(str::to_owned)
        .collect()
}

fn received(r: &Raw, id: MessageId) -> Vec<bool> {
    r.side
        .events
        .iter()
        .filter_map(|e| match e {
            Event::MessageReceived {
                message, duplicate, ..
            } if *message == id => Some(*duplicate),
            _ => None,
        })
        .collect()
}

#[test]
fn r4975_036_duplicate_message_id_flagged() {
    let mut r = bob();
    let req = |tid: &str, sr: &str| {
        send(
            tid,
            BOB,
            ALICE,
            &format!("Message-ID: dup1dup1\r\n{sr}Byte-Range: 1-5/5\r\n"),
            Some(b"hello"),
        )
    };
    let out1 = r.feed(&req("tx000001", "Success-Report: yes\r\n"));
    let out2 = r.feed(&req("tx000002", "Success-Report: yes\r\n"));
    // Both copies answered and reported (the headers require it), the second flagged.
    for (out, tid) in [(&out1, "tx000001"), (&out2, "tx000002")] {
        let lines = start_lines(out);
        assert_eq!(lines[0], format!("MSRP {tid} 200 OK"), "{lines:?}");
        assert!(lines[1].ends_with(" REPORT"), "{lines:?}");
    }
    assert_eq!(received(&r, mid("dup1dup1")), [false, true]);
    let data: Vec<bool> = r
        .side
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Data { duplicate, .. } => Some(*duplicate),
            _ => None,
        })
        .collect();
    assert_eq!(data, [false, true]);
}

#[test]
fn r4975_036_p16_duplicate_window_is_bounded_lru() {
    let mut cfg = sim::config(2);
    cfg.limits.duplicate_window = 2;
    let (mut r, _) = Raw::bob(cfg);
    let msg = |tid: &str, id: &str| {
        send(
            tid,
            BOB,
            ALICE,
            &format!("Message-ID: {id}\r\nByte-Range: 1-1/1\r\n"),
            Some(b"x"),
        )
    };
    r.feed(&msg("t0000001", "aaaa1111"));
    r.feed(&msg("t0000002", "bbbb2222"));
    r.feed(&msg("t0000003", "aaaa1111")); // duplicate, refreshed as most recent
    r.feed(&msg("t0000004", "cccc3333")); // evicts bbbb2222, not aaaa1111
    r.feed(&msg("t0000005", "aaaa1111"));
    r.feed(&msg("t0000006", "bbbb2222"));
    assert_eq!(received(&r, mid("aaaa1111")), [false, true, true]);
    assert_eq!(received(&r, mid("bbbb2222")), [false, false]);
}

#[test]
fn r4975_036_chunked_duplicate_flagged_from_its_first_chunk() {
    let mut r = bob();
    let chunk = |tid: &str, range: &str, body: &[u8], last: bool| {
        let mut v = send(
            tid,
            BOB,
            ALICE,
            &format!("Message-ID: chunkdup\r\nByte-Range: {range}\r\n"),
            Some(body),
        );
        if !last {
            let n = v.len();
            v[n - 3] = b'+';
        }
        v
    };
    r.feed(&chunk("c0000001", "1-3/6", b"abc", false));
    r.feed(&chunk("c0000002", "4-6/6", b"def", true));
    r.side.events.clear();
    r.feed(&chunk("c0000003", "1-3/6", b"abc", false));
    assert!(r.side.events.iter().any(|e| matches!(
        e,
        Event::Data {
            duplicate: true,
            ..
        }
    )));
    r.feed(&chunk("c0000004", "4-6/6", b"def", true));
    assert_eq!(received(&r, mid("chunkdup")), [true]);
}

fn reject(r: &mut Raw, session: msrp_proto::engine::SessionId, id: &str, st: StatusCode) {
    r.side.ep.reject_message(session, mid(id), st).unwrap();
}

#[test]
fn r4975_133_r4975_136_reject_after_200_sends_failure_report() {
    let (mut r, s) = Raw::bob(sim::config(3));
    let out = r.feed(&send(
        "rj000001",
        BOB,
        ALICE,
        "Message-ID: rejectme\r\nByte-Range: 1-5/5\r\n",
        Some(b"hello"),
    ));
    assert_eq!(start_lines(&out), ["MSRP rj000001 200 OK"]);
    // The application learns the content is bad only now (e.g. a gateway failed).
    reject(&mut r, s, "rejectme", StatusCode(415));
    let t = text(&r.flush());
    let lines: Vec<&str> = t.lines().collect();
    assert!(
        lines[0].starts_with("MSRP ") && lines[0].ends_with(" REPORT"),
        "{t}"
    );
    assert_eq!(lines[1], format!("To-Path: {ALICE}"));
    assert_eq!(lines[2], format!("From-Path: {BOB}"));
    assert!(t.contains("Message-ID: rejectme\r\n"), "{t}");
    assert!(t.contains("Byte-Range: 1-5/5\r\n"), "{t}");
    assert!(t.contains("Status: 000 415"), "{t}");
    // Rejecting twice sends nothing more.
    reject(&mut r, s, "rejectme", StatusCode(415));
    assert!(r.flush().is_empty());
}

#[test]
fn r4975_137_failure_report_range_end_from_octets_received() {
    // The digest's example: SEND `1-*/100` with a 40-octet body, learnt bad → the
    // REPORT says `1-40/100`.
    let (mut r, s) = Raw::bob(sim::config(4));
    let mut req = send(
        "rg000001",
        BOB,
        ALICE,
        "Message-ID: partly40\r\nByte-Range: 1-*/100\r\n",
        Some(&[b'z'; 40]),
    );
    let n = req.len();
    req[n - 3] = b'+';
    r.feed(&req);
    reject(&mut r, s, "partly40", StatusCode(415));
    let t = text(&r.flush());
    assert!(t.contains("Byte-Range: 1-40/100\r\n"), "{t}");
    assert!(t.contains("Status: 000 415"), "{t}");
    // Later chunks of the rejected message are refused with the same status, and
    // produce no events.
    r.side.events.clear();
    let more = r.feed(&send(
        "rg000002",
        BOB,
        ALICE,
        "Message-ID: partly40\r\nByte-Range: 41-100/100\r\n",
        Some(&[b'z'; 60]),
    ));
    assert_eq!(
        start_lines(&more),
        ["MSRP rg000002 415 Unsupported Media Type"]
    );
    assert!(r.side.events.is_empty(), "{:?}", r.side.events);
}

#[test]
fn r4975_134_r4975_135_reject_honours_failure_report() {
    let (mut r, s) = Raw::bob(sim::config(5));
    for (id, fr) in [("fr-partial", "partial"), ("fr-no-xyz", "no")] {
        let out = r.feed(&send(
            "fx000001",
            BOB,
            ALICE,
            &format!("Message-ID: {id}\r\nFailure-Report: {fr}\r\nByte-Range: 1-2/2\r\n"),
            Some(b"ok"),
        ));
        assert!(out.is_empty(), "no 200 for partial/no");
        reject(&mut r, s, id, StatusCode(500));
        let t = text(&r.flush());
        if fr == "partial" {
            assert!(
                t.contains("Status: 000 500"),
                "partial allows a failure REPORT: {t}"
            );
        } else {
            assert!(t.is_empty(), "Failure-Report: no → nothing: {t}");
        }
    }
}

#[test]
fn reject_misuse_is_an_error() {
    let (mut r, s) = Raw::bob(sim::config(6));
    assert_eq!(
        r.side
            .ep
            .reject_message(s, mid("never-seen"), StatusCode(415)),
        Err(Error::UnknownMessage)
    );
    assert_eq!(
        r.side
            .ep
            .reject_message(s, mid("never-seen"), StatusCode::OK),
        Err(Error::NotAnError)
    );
}

#[test]
fn p44_concurrent_duplicate_transaction_id_gets_400() {
    let mut r = bob();
    let a = send(
        "same0001",
        BOB,
        ALICE,
        "Message-ID: first001\r\nByte-Range: 1-1/1\r\n",
        Some(b"a"),
    );
    let b = send(
        "same0001",
        BOB,
        ALICE,
        "Message-ID: second01\r\nByte-Range: 1-1/1\r\n",
        Some(b"b"),
    );
    // Pipelined: the second arrives while the first's 200 is still unwritten.
    let mut both = a.clone();
    both.extend_from_slice(&b);
    let out = r.feed(&both);
    assert_eq!(
        start_lines(&out),
        ["MSRP same0001 200 OK", "MSRP same0001 400 Bad Request"]
    );
    assert_eq!(received(&r, mid("second01")), Vec::<bool>::new());
    // Reusing the id after the transaction completed (its 200 written) is fine.
    let out = r.feed(&b);
    assert_eq!(start_lines(&out), ["MSRP same0001 200 OK"]);
    assert_eq!(received(&r, mid("second01")), [false]);
}

#[test]
fn stale_body_ref_reads_none() {
    let mut r = bob();
    let req = send(
        "st000001",
        BOB,
        ALICE,
        "Message-ID: stale001\r\nByte-Range: 1-5/5\r\n",
        Some(b"fresh"),
    );
    let ep = &mut r.side.ep;
    assert_eq!(ep.handle_input(r.conn, r.now, &req).unwrap(), req.len());
    let body = std::iter::from_fn(|| ep.poll_event())
        .find_map(|e| match e {
            Event::Data { body, .. } => Some(body),
            _ => None,
        })
        .unwrap();
    assert_eq!(ep.received_body(body), Some(&b"fresh"[..]));
    // Any mutation invalidates it, even one that leaves the bytes in place.
    let _ = ep.recv_buf(r.conn).unwrap();
    assert_eq!(ep.received_body(body), None);
    // A new connection in the same slot must not alias it either.
    ep.close_connection(r.conn).unwrap();
    let c2 = ep.add_connection();
    assert_eq!(c2, r.conn, "the slot is reused");
    assert_eq!(ep.received_body(body), None);
}

#[test]
fn body_ref_of_an_event_queued_across_reads_stays_valid() {
    // Events polled after a later read still see their bytes (compaction keeps them).
    let mut r = bob();
    let a = send(
        "q0000001",
        BOB,
        ALICE,
        "Message-ID: queued01\r\nByte-Range: 1-5/5\r\n",
        Some(b"first"),
    );
    let b = send(
        "q0000002",
        BOB,
        ALICE,
        "Message-ID: queued02\r\nByte-Range: 1-6/6\r\n",
        Some(b"second"),
    );
    let ep = &mut r.side.ep;
    ep.handle_input(r.conn, r.now, &a).unwrap();
    ep.handle_input(r.conn, r.now, &b).unwrap();
    let mut bodies = Vec::new();
    while let Some(e) = ep.poll_event() {
        if let Event::Data { body, .. } = e {
            bodies.push(ep.received_body(body).unwrap().to_vec());
        }
    }
    assert_eq!(bodies, [b"first".to_vec(), b"second".to_vec()]);
}

#[test]
fn a_body_taken_as_a_view_is_the_body_and_outlives_later_reads() {
    // Two messages in one read: both bodies taken as views, in order; the engine then
    // reads on and the views keep their bytes.
    let mut r = bob();
    let a = send(
        "v0000001",
        BOB,
        ALICE,
        "Message-ID: views001\r\nByte-Range: 1-5/5\r\n",
        Some(b"first"),
    );
    let b = send(
        "v0000002",
        BOB,
        ALICE,
        "Message-ID: views002\r\nByte-Range: 1-6/6\r\n",
        Some(b"second"),
    );
    let ep = &mut r.side.ep;
    let both = [a.clone(), b.clone()].concat();
    assert_eq!(ep.handle_input(r.conn, r.now, &both).unwrap(), both.len());
    let mut views = Vec::new();
    let mut content_types = Vec::new();
    while let Some(e) = ep.poll_event() {
        match e {
            Event::MessageStarted { content_type, .. } => {
                content_types.push(ep.received_body(content_type).unwrap().to_vec());
            }
            Event::Data { body, .. } => {
                let v = ep.take_received(body).expect("a fresh body is lent");
                // Taken: the reference no longer reads in place.
                assert_eq!(ep.received_body(body), None);
                assert_eq!(ep.take_received(body), None, "a body is lent once");
                views.push(v);
            }
            _ => {}
        }
    }
    assert_eq!(
        content_types,
        [b"text/plain".to_vec(), b"text/plain".to_vec()]
    );
    assert_eq!(views, [&b"first"[..], &b"second"[..]]);
    // A caller claiming bytes it never read into `recv_buf` (here after the buffer's
    // front was lent out): refused, nothing decoded, no panic.
    for n in [1, 4096, usize::MAX] {
        assert_eq!(ep.handle_read(r.conn, r.now, n), Err(Error::TooManyBytes));
    }
    assert!(ep.poll_event().is_none());
    // Much more input through the same connection: the views do not change.
    for i in 0..50 {
        let req = send(
            &format!("w{i:07}"),
            BOB,
            ALICE,
            &format!("Message-ID: more{i:04}\r\nByte-Range: 1-9/9\r\n"),
            Some(b"overwrite"),
        );
        assert_eq!(ep.handle_input(r.conn, r.now, &req).unwrap(), req.len());
        while let Some(e) = ep.poll_event() {
            if let Event::Data { body, .. } = e {
                assert_eq!(ep.take_received(body).unwrap(), &b"overwrite"[..]);
            }
        }
    }
    assert_eq!(views, [&b"first"[..], &b"second"[..]]);
}

#[test]
fn take_received_refuses_stale_and_lost_references() {
    let mut r = bob();
    let req = send(
        "tk000001",
        BOB,
        ALICE,
        "Message-ID: taken001\r\nByte-Range: 1-5/5\r\n",
        Some(b"fresh"),
    );
    let ep = &mut r.side.ep;
    ep.handle_input(r.conn, r.now, &req).unwrap();
    let data = |ep: &mut msrp_proto::engine::Endpoint| {
        std::iter::from_fn(|| ep.poll_event()).find_map(|e| match e {
            Event::Data { body, .. } => Some(body),
            _ => None,
        })
    };
    let body = data(ep).unwrap();
    let _ = ep.recv_buf(r.conn).unwrap();
    assert_eq!(ep.take_received(body), None, "stale after a mutation");
    // A connection lost with the event still queued: the bytes read in place (the
    // buffer is kept for them), but are not lent.
    let req = send(
        "tk000002",
        BOB,
        ALICE,
        "Message-ID: taken002\r\nByte-Range: 1-5/5\r\n",
        Some(b"later"),
    );
    ep.handle_input(r.conn, r.now, &req).unwrap();
    ep.close_connection(r.conn).unwrap();
    let body = data(ep).unwrap();
    assert_eq!(ep.take_received(body), None);
    assert_eq!(ep.received_body(body), Some(&b"later"[..]));
}

/// P-35 / R4975-236: a chunk whose Byte-Range declares a total beyond
/// `max_message_size` is refused with 413 before anything of it reaches the
/// application; a message already under way (total `*` so far) is dropped when a later
/// chunk declares too much.
#[test]
fn p35_r4975_236_declared_total_beyond_max_message_size_is_413_up_front() {
    let mut cfg = sim::config(1);
    cfg.limits.max_message_size = 100;
    let mut r = Raw::bob(cfg.clone()).0;
    let out = r.feed(&send(
        "tx000001",
        BOB,
        ALICE,
        "Message-ID: big1big1\r\nByte-Range: 1-5/771\r\n",
        Some(b"hello"),
    ));
    assert_eq!(
        start_lines(&out)[0],
        "MSRP tx000001 413 Stop Sending Message"
    );
    assert!(
        !r.side.events.iter().any(|e| matches!(
            e,
            Event::MessageStarted { .. } | Event::Data { .. } | Event::MessageReceived { .. }
        )),
        "{:?}",
        r.side.events
    );

    let mut r = Raw::bob(cfg).0;
    let mut chunk = send(
        "tx000002",
        BOB,
        ALICE,
        "Message-ID: big2big2\r\nByte-Range: 1-5/*\r\n",
        Some(b"hello"),
    );
    let flag = chunk.len() - 3;
    assert_eq!(chunk[flag], b'$');
    chunk[flag] = b'+'; // more to come
    let first = r.feed(&chunk);
    assert_eq!(start_lines(&first)[0], "MSRP tx000002 200 OK");
    let second = r.feed(&send(
        "tx000003",
        BOB,
        ALICE,
        "Message-ID: big2big2\r\nByte-Range: 6-10/771\r\n",
        Some(b"world"),
    ));
    assert_eq!(
        start_lines(&second)[0],
        "MSRP tx000003 413 Stop Sending Message"
    );
    assert!(
        r.side.events.iter().any(|e| matches!(
            e,
            Event::MessageAborted { message, .. } if *message == mid("big2big2")
        )),
        "{:?}",
        r.side.events
    );
}
