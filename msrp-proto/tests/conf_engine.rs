//! RFC 4975 endpoint rows of the spec digest checked through a raw peer and the
//! two-endpoint simulator: what the engine writes (reports, chunk headers, responses) and
//! how it treats what it reads. Each test names the rows it checks.

mod sim;

use bytes::Bytes;
use msrp_proto::engine::{Event, OutgoingMessage};
use msrp_proto::wire::headers::{FailureReport, StatusCode, SuccessReport};
use sim::{ALICE, BOB, Raw, Sim, send, text};

/// Every frame (start line to end-line) in `out`, as text.
fn frames(out: &[u8]) -> Vec<String> {
    let t = text(out);
    let mut v = Vec::new();
    let mut cur = String::new();
    for line in t.split_inclusive("\r\n") {
        cur.push_str(line);
        if line.starts_with("-------") {
            v.push(std::mem::take(&mut cur));
        }
    }
    v
}

fn bob() -> Raw {
    Raw::bob(sim::config(11)).0
}

/// Alice's bound session on a raw connection whose peer we play.
fn alice(cfg: msrp_proto::engine::Config) -> (Raw, msrp_proto::engine::SessionId) {
    let mut r = Raw::new(cfg);
    let s = r
        .side
        .ep
        .add_session(sim::uri(ALICE), vec![sim::uri(BOB)], Some(r.conn), r.now)
        .unwrap();
    let out = r.flush();
    let t = text(&out);
    let tid = t.split_whitespace().nth(1).unwrap().to_owned();
    r.feed(
        format!("MSRP {tid} 200 OK\r\nTo-Path: {ALICE}\r\nFrom-Path: {BOB}\r\n-------{tid}$\r\n")
            .as_bytes(),
    );
    r.side.events.clear();
    (r, s)
}

/// Answers every request frame in `out` with a 200 as Bob would.
fn ok_all(r: &mut Raw, out: &[u8]) -> Vec<u8> {
    let mut replies = Vec::new();
    for f in frames(out) {
        let mut w = f.split_whitespace();
        let (_, tid, method) = (w.next(), w.next().unwrap(), w.next().unwrap());
        if method == "SEND" {
            replies.extend_from_slice(
                format!(
                    "MSRP {tid} 200 OK\r\nTo-Path: {ALICE}\r\nFrom-Path: {BOB}\r\n-------{tid}$\r\n"
                )
                .as_bytes(),
            );
        }
    }
    r.feed(&replies)
}

#[test]
fn r4975_013_response_written_as_soon_as_the_end_line_is_parsed() {
    let mut r = bob();
    let req = send(
        "prompt01",
        BOB,
        ALICE,
        "Message-ID: m013\r\nByte-Range: 1-5/5\r\n",
        Some(b"hello"),
    );
    // Everything but the end-line's final LF: no response yet.
    let (head, last) = req.split_at(req.len() - 1);
    assert!(r.feed(head).is_empty());
    let out = r.feed(last);
    assert!(
        text(&out).starts_with("MSRP prompt01 200 OK\r\n"),
        "{}",
        text(&out)
    );
}

#[test]
fn r4975_122_r4975_159_r4975_120_success_report_generated_without_report_headers() {
    let mut r = bob();
    let out = r.feed(&send(
        "sr000001",
        BOB,
        ALICE,
        "Message-ID: m122\r\nByte-Range: 1-5/5\r\nSuccess-Report: yes\r\n",
        Some(b"hello"),
    ));
    let f = frames(&out);
    let report = f
        .iter()
        .find(|f| f.lines().next().unwrap().ends_with(" REPORT"))
        .unwrap_or_else(|| panic!("no REPORT in {f:?}"));
    assert!(report.contains("Message-ID: m122\r\n"));
    assert!(report.contains("Byte-Range: 1-5/5\r\n"));
    assert!(report.contains("Status: 000 200"));
    assert!(
        !report.contains("Success-Report") && !report.contains("Failure-Report"),
        "R4975-120: {report}"
    );
}

#[test]
fn r4975_131_no_success_report_when_absent_or_no() {
    for headers in ["", "Success-Report: no\r\n"] {
        let mut r = bob();
        let out = r.feed(&send(
            "sr000002",
            BOB,
            ALICE,
            &format!("Message-ID: m131\r\nByte-Range: 1-5/5\r\n{headers}"),
            Some(b"hello"),
        ));
        assert!(
            !text(&out).contains(" REPORT\r\n"),
            "{headers:?}: {}",
            text(&out)
        );
    }
}

#[test]
fn r4975_124_no_report_in_reaction_to_a_report() {
    let mut r = bob();
    for status in ["000 200 OK", "000 413 Too Large", "000 481 No Session"] {
        let out = r.feed(
            format!(
                "MSRP rp000001 REPORT\r\nTo-Path: {BOB}\r\nFrom-Path: {ALICE}\r\n\
                 Message-ID: unknown1\r\nByte-Range: 1-5/5\r\nStatus: {status}\r\n\
                 -------rp000001$\r\n"
            )
            .as_bytes(),
        );
        assert!(
            !text(&out).contains(" REPORT\r\n"),
            "{status}: {}",
            text(&out)
        );
    }
}

#[test]
fn r4975_209_unknown_header_fields_are_ignored() {
    let mut r = bob();
    let out = r.feed(&send(
        "unk00001",
        BOB,
        ALICE,
        "Message-ID: m209\r\nX-Unknown-Extension: whatever; a=b\r\nByte-Range: 1-5/5\r\n",
        Some(b"hello"),
    ));
    assert!(text(&out).starts_with("MSRP unk00001 200 OK\r\n"));
    assert!(r.side.events.iter().any(|e| matches!(
        e,
        Event::MessageReceived {
            len: 5,
            bodiless: false,
            ..
        }
    )));
}

#[test]
fn r4975_076_r4975_116_bodiless_requests_carry_no_mime_headers() {
    let mut r = Raw::new(sim::config(3));
    r.side
        .ep
        .add_session(sim::uri(ALICE), vec![sim::uri(BOB)], Some(r.conn), r.now)
        .unwrap();
    let binding = text(&r.flush());
    assert!(binding.lines().next().unwrap().ends_with(" SEND"));
    for h in [
        "Content-Type",
        "Content-ID",
        "Content-Description",
        "Content-Disposition",
    ] {
        assert!(!binding.contains(h), "{h}: {binding}");
    }
    // Nor does anything the engine writes use a transfer encoding (R4975-116).
    assert!(!binding.contains("Content-Transfer-Encoding"));
}

#[test]
fn r4975_011_r4975_105_r4975_093_chunks_ascending_interruptible_with_identical_reports() {
    let mut cfg = sim::config(5);
    cfg.chunk_size = 3000;
    let (mut r, s) = alice(cfg);
    let data: Vec<u8> = (0..10_000u32).map(|i| b'a' + (i % 26) as u8).collect();
    // Two messages at once: each chunk ends at the chunk size so the other can go.
    for _ in 0..2 {
        r.side
            .ep
            .send_message(
                s,
                OutgoingMessage::whole("text/plain", Bytes::from(data.clone()))
                    .success_report(SuccessReport::Yes)
                    .failure_report(FailureReport::Partial),
            )
            .unwrap();
    }
    let mut out = r.flush();
    let mut all = Vec::new();
    for _ in 0..20 {
        if out.is_empty() {
            break;
        }
        all.extend_from_slice(&out);
        out = ok_all(&mut r, &out);
    }
    let sends: Vec<String> = frames(&all)
        .into_iter()
        .filter(|f| f.lines().next().unwrap().ends_with(" SEND"))
        .collect();
    assert!(sends.len() >= 6, "{} chunks", sends.len());
    let mut last_start = std::collections::HashMap::new();
    for f in &sends {
        let id = f
            .lines()
            .find_map(|l| l.strip_prefix("Message-ID: "))
            .unwrap()
            .to_owned();
        let range = f
            .lines()
            .find_map(|l| l.strip_prefix("Byte-Range: "))
            .unwrap();
        let (start, rest) = range.split_once('-').unwrap();
        let start: u64 = start.parse().unwrap();
        let last = last_start.insert(id, start).unwrap_or(0);
        assert!(start > last, "R4975-105: {range} after {last}");
        let body = f.split("\r\n\r\n").nth(1).unwrap_or_default();
        let body_len = body
            .len()
            .saturating_sub(f.lines().last().unwrap().len() + 2);
        if body_len > 2048 {
            assert!(
                rest.starts_with('*'),
                "R4975-011: {body_len} B with {range}"
            );
        }
        // R4975-093: every chunk repeats the same report headers.
        assert!(f.contains("Success-Report: yes\r\n"), "{f}");
        assert!(f.contains("Failure-Report: partial\r\n"), "{f}");
    }
}

#[test]
fn r4975_146_response_goes_back_on_the_arrival_connection() {
    let mut r = bob();
    let other = r.side.ep.add_connection();
    // Bind Bob's session on the first connection, then send on the second one.
    r.feed(&send("bind0001", BOB, ALICE, "Message-ID: bind1\r\n", None));
    let req = send(
        "second01",
        BOB,
        ALICE,
        "Message-ID: m146\r\nByte-Range: 1-2/2\r\n",
        Some(b"hi"),
    );
    let n = r.side.ep.handle_input(other, r.now, &req).unwrap();
    assert_eq!(n, req.len());
    r.side.drain_events();
    let mut on_other = Vec::new();
    while let Some(b) = r.side.ep.poll_transmit(other) {
        let k = b.len();
        on_other.extend_from_slice(b);
        r.side.ep.transmit_done(other, r.now, k).unwrap();
    }
    let on_first = text(&r.flush());
    assert!(
        text(&on_other).starts_with("MSRP second01 "),
        "on the arrival connection: {}",
        text(&on_other)
    );
    assert!(!on_first.contains("second01"), "{on_first}");
}

#[test]
fn r4975_205_a_408_response_is_handled_like_a_local_timeout() {
    let (mut r, s) = alice(sim::config(7));
    let id = r
        .side
        .ep
        .send_message(
            s,
            OutgoingMessage::whole("text/plain", Bytes::from_static(b"hello")),
        )
        .unwrap();
    let out = text(&r.flush());
    let tid = out.split_whitespace().nth(1).unwrap().to_owned();
    r.feed(
        format!(
            "MSRP {tid} 408 Timeout\r\nTo-Path: {ALICE}\r\nFrom-Path: {BOB}\r\n-------{tid}$\r\n"
        )
        .as_bytes(),
    );
    assert!(r.side.events.iter().any(|e| matches!(
        e,
        Event::MessageFailed { message, status, .. }
            if *message == id && *status == StatusCode::REQUEST_TIMEOUT
    )));
}

#[test]
fn r4975_114_reports_with_other_boundaries_than_the_chunks_still_correlate() {
    // A relay re-chunked our message: success REPORTs cover ranges that match none of
    // the chunks we sent; together they confirm the message.
    let mut cfg = sim::config(9);
    cfg.chunk_size = 4000;
    let (mut r, s) = alice(cfg);
    let id = r
        .side
        .ep
        .send_message(
            s,
            OutgoingMessage::whole("text/plain", Bytes::from(vec![b'x'; 9000]))
                .success_report(SuccessReport::Yes),
        )
        .unwrap();
    let out = r.flush();
    ok_all(&mut r, &out);
    for (i, (a, b)) in [(1, 2500), (2501, 7000), (7001, 9000)].iter().enumerate() {
        r.feed(
            format!(
                "MSRP rep0000{i} REPORT\r\nTo-Path: {ALICE}\r\nFrom-Path: {BOB}\r\n\
                 Message-ID: {}\r\nByte-Range: {a}-{b}/9000\r\nStatus: 000 200 OK\r\n\
                 -------rep0000{i}$\r\n",
                id.as_str()
            )
            .as_bytes(),
        );
    }
    assert!(r.side.events.iter().any(|e| matches!(
        e,
        Event::MessageDelivered { message, confirmed: 9000, .. } if *message == id
    )));
}

#[test]
fn r4975_122_simulated_peers_both_generate_success_reports() {
    let (mut sim, sa, sb) = Sim::pair(13, sim::config(13), sim::config(14));
    let a = sim
        .a
        .ep
        .send_message(
            sa,
            OutgoingMessage::whole("text/plain", Bytes::from_static(b"ping"))
                .success_report(SuccessReport::Yes),
        )
        .unwrap();
    let b = sim
        .b
        .ep
        .send_message(
            sb,
            OutgoingMessage::whole("text/plain", Bytes::from_static(b"pong"))
                .success_report(SuccessReport::Yes),
        )
        .unwrap();
    sim.drive();
    assert!(sim.a.events.iter().any(
        |e| matches!(e, Event::MessageDelivered { message, confirmed: 4, .. } if *message == a)
    ));
    assert!(sim.b.events.iter().any(
        |e| matches!(e, Event::MessageDelivered { message, confirmed: 4, .. } if *message == b)
    ));
}

#[test]
fn r4975_158_multipart_is_always_received_and_unlisted_types_get_415() {
    let mut cfg = sim::config(21);
    cfg.accept_types = vec!["text/plain".to_owned()];
    let (mut r, _) = Raw::bob(cfg);
    for (tid, ct, want) in [
        ("mp000001", "multipart/mixed; boundary=x", "200"),
        ("mp000002", "multipart/alternative; boundary=y", "200"),
        ("mp000003", "image/png", "415"),
    ] {
        let req = format!(
            "MSRP {tid} SEND\r\nTo-Path: {BOB}\r\nFrom-Path: {ALICE}\r\nMessage-ID: {tid}\r\n\
             Byte-Range: 1-2/2\r\nContent-Type: {ct}\r\n\r\nhi\r\n-------{tid}$\r\n"
        );
        let out = text(&r.feed(req.as_bytes()));
        assert!(
            out.starts_with(&format!("MSRP {tid} {want} ")),
            "{ct}: {out}"
        );
    }
}

/// R4975-001: no free-standing MSRP: a session needs our own session URI and the peer's
/// path, both from signalling. R4975-178 / R4975-180: our URI is allocated for one
/// session only; a second live session with the same URI is refused, a closed one's URI
/// is free again.
#[test]
fn r4975_001_r4975_178_r4975_180_sessions_need_signalled_uris_of_their_own() {
    use msrp_proto::engine::Error;
    let mut r = Raw::new(sim::config(60));
    let ep = &mut r.side.ep;
    let no_sid = sim::uri("msrp://alicepc.example.com:7777;tcp");
    assert_eq!(
        ep.add_session(no_sid, vec![sim::uri(BOB)], None, r.now),
        Err(Error::BadSession)
    );
    assert_eq!(
        ep.add_session(sim::uri(ALICE), vec![], None, r.now),
        Err(Error::BadSession)
    );
    let s = ep
        .add_session(sim::uri(ALICE), vec![sim::uri(BOB)], None, r.now)
        .unwrap();
    // The same URI, spelt with another case in the host (RFC 4975 §6.1 equal).
    let same = sim::uri("msrp://AlicePC.example.com:7777/iau39soe2843z;tcp");
    assert_eq!(
        ep.add_session(same.clone(), vec![sim::uri(BOB)], None, r.now),
        Err(Error::DuplicateSession)
    );
    ep.close_session(s).unwrap();
    assert!(
        ep.add_session(same, vec![sim::uri(BOB)], None, r.now)
            .is_ok()
    );
}

/// R4975-023 / R6135-010: whoever is active sends a (bodiless) SEND as soon as the
/// session is on its connection, before the application sends anything.
#[test]
fn r4975_023_r6135_010_the_active_side_binds_with_a_send_at_once() {
    let mut r = Raw::new(sim::config(61));
    r.side
        .ep
        .add_session(sim::uri(ALICE), vec![sim::uri(BOB)], Some(r.conn), r.now)
        .unwrap();
    let f = frames(&r.flush());
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(f[0].starts_with("MSRP ") && f[0].lines().next().unwrap().ends_with(" SEND"));
    assert!(f[0].contains(&format!("To-Path: {BOB}\r\n")), "{}", f[0]);
    assert!(!f[0].contains("Content-Type"), "bodiless: {}", f[0]);
}

/// R4975-035: content resent on a new session keeps its original Message-ID.
#[test]
fn r4975_035_a_resent_message_keeps_its_message_id() {
    let (mut r, s) = alice(sim::config(62));
    let id = msrp_proto::wire::MessageId::parse("resent-0001").unwrap();
    let sent = r
        .side
        .ep
        .send_message(
            s,
            OutgoingMessage::whole("text/plain", Bytes::from_static(b"again")).message_id(id),
        )
        .unwrap();
    assert_eq!(sent, id);
    let f = frames(&r.flush());
    assert!(f[0].contains("Message-ID: resent-0001\r\n"), "{}", f[0]);
}

/// R4975-101: every chunk we write carries Byte-Range (the first SHOULD, the later ones
/// MUST), and a SEND without one is taken as the whole message.
#[test]
fn r4975_101_byte_range_on_every_chunk_and_none_means_whole() {
    let mut cfg = sim::config(63);
    cfg.max_send_chunk_body = Some(100);
    let (mut r, s) = alice(cfg);
    r.side
        .ep
        .send_message(
            s,
            OutgoingMessage::whole("text/plain", Bytes::from(vec![b'x'; 450])),
        )
        .unwrap();
    let mut out = r.flush();
    let mut chunks = 0;
    for _ in 0..10 {
        let replies = ok_all(&mut r, &out);
        chunks += frames(&out).len();
        for f in frames(&out) {
            assert!(f.contains("\r\nByte-Range: "), "{f}");
        }
        if replies.is_empty() {
            break;
        }
        out = r.feed(&replies);
        out.extend(r.flush());
    }
    assert!(chunks >= 5, "{chunks} chunks");

    let mut b = bob();
    let out = b.feed(&send(
        "nobr0001",
        BOB,
        ALICE,
        "Message-ID: nobr0001\r\n",
        Some(b"whole"),
    ));
    assert!(
        text(&out).starts_with("MSRP nobr0001 200 OK"),
        "{}",
        text(&out)
    );
    assert!(b.side.events.iter().any(|e| matches!(
        e,
        Event::MessageReceived {
            len: 5,
            bodiless: false,
            ..
        }
    )));
}

/// R4975-075 / P-20: non-SEND requests are never chunked and carry at most 10240 octets.
/// Our REPORTs are whole and bodiless; a success REPORT that arrives with `+` or with a
/// body over 10240 octets is dropped (never answered), a proper one is acted on.
#[test]
fn r4975_075_non_send_requests_are_whole_and_small() {
    let (mut r, s) = alice(sim::config(64));
    let id = r
        .side
        .ep
        .send_message(
            s,
            OutgoingMessage::whole("text/plain", Bytes::from_static(b"hello"))
                .success_report(SuccessReport::Yes),
        )
        .unwrap();
    let out = r.flush();
    let replies = ok_all(&mut r, &out);
    r.feed(&replies);
    r.side.events.clear();
    let report = |tid: &str, flag: char, body: Option<&[u8]>| {
        let mut v = format!(
            "MSRP {tid} REPORT\r\nTo-Path: {ALICE}\r\nFrom-Path: {BOB}\r\nMessage-ID: {id}\r\n\
             Byte-Range: 1-5/5\r\nStatus: 000 200 OK\r\n"
        )
        .into_bytes();
        match body {
            Some(b) => {
                v.extend_from_slice(b"Content-Type: text/plain\r\n\r\n");
                v.extend_from_slice(b);
                v.extend_from_slice(format!("\r\n-------{tid}{flag}\r\n").as_bytes());
            }
            None => v.extend_from_slice(format!("-------{tid}{flag}\r\n").as_bytes()),
        }
        v
    };
    let delivered = |r: &Raw| {
        r.side
            .events
            .iter()
            .any(|e| matches!(e, Event::MessageDelivered { message, .. } if *message == id))
    };
    // A REPORT "chunk" with `+`, then one with an 11 000-byte body: both dropped.
    let out1 = r.feed(&report("rep00001", '+', None));
    let out2 = r.feed(&report("rep00002", '$', Some(&[b'x'; 11_000])));
    assert!(
        out1.is_empty() && out2.is_empty(),
        "REPORTs are never answered"
    );
    assert!(!delivered(&r), "{:?}", r.side.events);
    // The proper REPORT confirms the message.
    r.feed(&report("rep00003", '$', None));
    assert!(delivered(&r), "{:?}", r.side.events);
    // What we send: every REPORT whole (`$`) and bodiless.
    let mut b = bob();
    let out = b.feed(&send(
        "srep0001",
        BOB,
        ALICE,
        "Message-ID: srep0001\r\nByte-Range: 1-5/5\r\nSuccess-Report: yes\r\n",
        Some(b"hello"),
    ));
    let reports: Vec<String> = frames(&out)
        .into_iter()
        .filter(|f| f.lines().next().is_some_and(|l| l.ends_with(" REPORT")))
        .collect();
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert!(!reports[0].contains("Content-Type"), "{}", reports[0]);
    assert!(reports[0].trim_end().ends_with('$'), "{}", reports[0]);
}
