//! Property tests: generated valid messages → serialize with the encoder → decode under
//! random splits → the same events as the generated model, the same events as one read,
//! and byte-exact raw re-serialization. Bodies are seeded with near-miss end-lines
//! (digest P-10, R4975-079/082).

mod common;

use common::{Ev, OnError, drive, drive_one, pieces_at};
use msrp_proto::uri::UriRef;
use msrp_proto::wire::encode::{HeadWriter, write_end_line};
use msrp_proto::wire::headers::{ByteRange, FailureReport, StatusCode, SuccessReport};
use msrp_proto::wire::{Flag, Limits, Method};
use proptest::prelude::*;

/// One generated message (the model).
#[derive(Debug, Clone)]
struct Msg {
    tid: String,
    /// `Ok(method)` for a request, `Err((code, comment))` for a response.
    kind: Result<String, (u16, Option<String>)>,
    to: Vec<String>,
    from: Vec<String>,
    message_id: Option<String>,
    byte_range: Option<ByteRange>,
    success: Option<SuccessReport>,
    failure: Option<FailureReport>,
    extra: Vec<(String, String)>,
    /// `Some` = a body (possibly empty) with Content-Type; requests only.
    body: Option<Vec<u8>>,
    flag: Flag,
}

fn ident() -> impl Strategy<Value = String> {
    "[A-Za-z0-9][A-Za-z0-9.+%=-]{3,31}"
}

fn uri() -> impl Strategy<Value = String> {
    (
        prop_oneof![Just("msrp"), Just("msrps")],
        "[a-z][a-z0-9]{0,9}(\\.[a-z]{2,6}){0,2}",
        1u16..,
        "[A-Za-z0-9]{1,16}",
    )
        .prop_map(|(s, host, port, sid)| format!("{s}://{host}:{port}/{sid};tcp"))
}

fn byte_range() -> impl Strategy<Value = ByteRange> {
    (
        1u64..1_000_000,
        proptest::option::of(0u64..5000),
        any::<bool>(),
        0u64..100,
    )
        .prop_map(|(start, len, star_total, extra)| {
            let end = len.map(|l| start - 1 + l);
            let total = if star_total {
                None
            } else {
                Some(end.unwrap_or(start) + extra)
            };
            ByteRange { start, end, total }
        })
}

/// Body pieces that stress the end-line scan: CRLFs, dash runs, the tid, prefixes of the
/// end-line, flags, random bytes.
fn body(tid: &str) -> impl Strategy<Value = Vec<u8>> + use<> {
    let tid = tid.to_owned();
    let t2 = tid.clone();
    let piece = prop_oneof![
        4 => proptest::collection::vec(any::<u8>(), 0..40),
        2 => Just(b"\r\n".to_vec()),
        2 => Just(b"-------".to_vec()),
        2 => Just(tid.clone().into_bytes()),
        1 => Just(vec![b'$']),
        1 => Just(vec![b'+']),
        1 => Just(vec![b'#']),
        1 => Just(b"\r".to_vec()),
        2 => (0..=tid.len() + 9).prop_map(move |n| {
            let full = format!("\r\n-------{t2}");
            full.as_bytes()[..n.min(full.len())].to_vec()
        }),
    ];
    proptest::collection::vec(piece, 0..24).prop_map(|ps| ps.concat())
}

/// Breaks every real end-line inside the body (R4975-082: the sender guarantees the
/// end-line does not occur in the body) by inserting a byte after its CRLF.
fn sanitize(body: &mut Vec<u8>, tid: &str) {
    let needle = format!("\r\n-------{tid}");
    loop {
        let mut full = body.clone();
        full.extend_from_slice(needle.as_bytes());
        full.extend_from_slice(b"$\r\n");
        let n = needle.len();
        let first = (0..full.len().saturating_sub(n + 2)).find(|&i| {
            full[i..].starts_with(needle.as_bytes())
                && matches!(full[i + n], b'$' | b'+' | b'#')
                && full[i + n + 1..].starts_with(b"\r\n")
        });
        match first {
            Some(i) if i < body.len() => body.insert(i + 2, b'x'),
            _ => return,
        }
    }
}

fn msg() -> impl Strategy<Value = Msg> {
    let status = prop_oneof![
        Just(200u16),
        Just(400),
        Just(403),
        Just(408),
        Just(413),
        Just(415),
        Just(481),
        Just(501),
        Just(506),
        100u16..1000
    ];
    let kind = prop_oneof![
        3 => prop_oneof![
            Just("SEND".to_owned()),
            Just("REPORT".to_owned()),
            Just("AUTH".to_owned()),
            Just("NICKNAME".to_owned()),
            "[A-Z]{1,12}"
        ]
        .prop_map(Ok),
        1 => (status, proptest::option::of("[ -~]{1,30}")).prop_map(Err),
    ];
    (
        ident(),
        kind,
        proptest::collection::vec(uri(), 1..4),
        proptest::collection::vec(uri(), 1..4),
        proptest::option::of(ident()),
        proptest::option::of(byte_range()),
        proptest::option::of(prop_oneof![
            Just(SuccessReport::Yes),
            Just(SuccessReport::No)
        ]),
        proptest::option::of(prop_oneof![
            Just(FailureReport::Yes),
            Just(FailureReport::No),
            Just(FailureReport::Partial)
        ]),
        proptest::collection::vec(("X-[A-Za-z]{1,10}", "[!-~]([ -~]{0,30}[!-~])?"), 0..3),
        any::<bool>(),
        prop_oneof![Just(Flag::End), Just(Flag::More), Just(Flag::Abort)],
    )
        .prop_flat_map(
            |(
                tid,
                kind,
                to,
                from,
                message_id,
                byte_range,
                success,
                failure,
                extra,
                with_body,
                flag,
            )| {
                let has_body = with_body && kind.is_ok();
                let flag = if kind.is_ok() { flag } else { Flag::End };
                (
                    Just(Msg {
                        tid: tid.clone(),
                        kind,
                        to,
                        from,
                        message_id,
                        byte_range,
                        success,
                        failure,
                        extra,
                        body: None,
                        flag,
                    }),
                    if has_body {
                        body(&tid).prop_map(Some).boxed()
                    } else {
                        Just(None).boxed()
                    },
                )
            },
        )
        .prop_map(|(mut m, body)| {
            m.body = body.map(|mut b| {
                sanitize(&mut b, &m.tid);
                b
            });
            m
        })
}

/// Serializes with the encoder (always strict and canonical).
fn encode(m: &Msg, out: &mut Vec<u8>) {
    fn parse(u: &str) -> UriRef<'_> {
        UriRef::parse(u).expect("generated URIs are valid")
    }
    let to: Vec<UriRef<'_>> = m.to.iter().map(|u| parse(u)).collect();
    let from: Vec<UriRef<'_>> = m.from.iter().map(|u| parse(u)).collect();
    let mut w = match &m.kind {
        Ok(method) => {
            let method = match method.as_str() {
                "SEND" => Method::Send,
                "REPORT" => Method::Report,
                "AUTH" => Method::Auth,
                "NICKNAME" => Method::Nickname,
                other => Method::Other(other),
            };
            HeadWriter::request(out, &m.tid, method, to, from)
        }
        Err((code, comment)) => {
            HeadWriter::response(out, &m.tid, StatusCode(*code), comment.as_deref(), to, from)
        }
    };
    if let Some(id) = &m.message_id {
        w.message_id(id);
    }
    if let Some(r) = m.byte_range {
        w.byte_range(r);
    }
    if let Some(v) = m.success {
        w.success_report(v);
    }
    if let Some(v) = m.failure {
        w.failure_report(v);
    }
    for (name, value) in &m.extra {
        w.header(name, value.as_bytes());
    }
    match &m.body {
        Some(body) => {
            w.finish_with_body("text/plain");
            out.extend_from_slice(body);
            write_end_line(out, &m.tid, m.flag, true);
        }
        None => w.finish_bodiless(m.flag),
    }
}

/// Checks a one-read transcript against the model, message by message.
fn check_model(t: &[Ev], msgs: &[Msg], stream: &[u8]) -> Result<(), TestCaseError> {
    let mut it = t.iter();
    let mut offset = 0;
    for m in msgs {
        let Some(Ev::Head(h)) = it.next() else {
            return Err(TestCaseError::fail(format!("expected a head: {t:?}")));
        };
        prop_assert_eq!(&h.tid, &m.tid);
        match &m.kind {
            Ok(method) => prop_assert_eq!(h.method.as_ref(), Some(method)),
            Err((code, comment)) => {
                prop_assert_eq!(h.status, Some(*code));
                prop_assert_eq!(&h.comment, comment);
            }
        }
        prop_assert_eq!(&h.to_path, &m.to);
        prop_assert_eq!(&h.from_path, &m.from);
        prop_assert_eq!(&h.message_id, &m.message_id);
        prop_assert_eq!(h.byte_range, m.byte_range);
        prop_assert_eq!(h.success_report, m.success.unwrap_or(SuccessReport::No));
        prop_assert_eq!(h.failure_report, m.failure.unwrap_or(FailureReport::Yes));
        for (name, value) in &m.extra {
            prop_assert!(
                h.fields
                    .iter()
                    .any(|(n, v)| n == name && v == value.as_bytes())
            );
        }
        prop_assert_eq!(h.has_body, m.body.is_some());
        prop_assert!(stream[offset..].starts_with(&h.raw));
        offset += h.raw.len();
        if let Some(body) = &m.body {
            if !body.is_empty() {
                let Some(Ev::Body(b)) = it.next() else {
                    return Err(TestCaseError::fail(format!("expected a body: {t:?}")));
                };
                prop_assert_eq!(b, body);
            }
            offset += body.len() + 2;
        }
        prop_assert_eq!(it.next(), Some(&Ev::End(m.flag)));
        offset += m.tid.len() + 10;
    }
    prop_assert_eq!(offset, stream.len());
    prop_assert_eq!(it.next(), Some(&Ev::Finish(Ok(()))));
    prop_assert_eq!(it.next(), None);
    Ok(())
}

/// Raw re-serialization of a transcript (head bytes, body, end-line).
fn reserialize(t: &[Ev]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut head = None;
    for ev in t {
        match ev {
            Ev::Head(h) => {
                out.extend_from_slice(&h.raw);
                head = Some(h);
            }
            Ev::Body(b) => out.extend_from_slice(b),
            Ev::End(f) => {
                let h = head.take().expect("head first");
                write_end_line(&mut out, &h.tid, *f, h.has_body);
            }
            _ => {}
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Generated messages, pipelined, under random splits: equal to the model (lenient
    /// and strict decoders alike, since the encoder is strict), equal to one read, and
    /// raw re-serialization gives back the stream (R4975-079/080/082, P-10).
    #[test]
    fn p10_generated_messages_survive_random_splits(
        msgs in proptest::collection::vec(msg(), 1..4),
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..12),
    ) {
        let mut stream = Vec::new();
        for m in &msgs {
            encode(m, &mut stream);
        }
        for limits in [Limits::default(), Limits::strict()] {
            let whole = drive_one(limits, OnError::Stop, &stream);
            check_model(&whole, &msgs, &stream)?;
            prop_assert_eq!(reserialize(&whole), stream.clone());
            let mut at: Vec<usize> = cuts.iter().map(|i| i.index(stream.len() + 1)).collect();
            at.sort_unstable();
            let split = drive(limits, OnError::Stop, pieces_at(&stream, &at));
            prop_assert_eq!(&split, &whole);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// One generated request or response split at every byte position, and fed byte by
    /// byte: always the same events.
    #[test]
    fn p10_generated_message_split_at_every_position(m in msg()) {
        let mut bytes = Vec::new();
        encode(&m, &mut bytes);
        let whole = drive_one(Limits::default(), OnError::Stop, &bytes);
        check_model(&whole, std::slice::from_ref(&m), &bytes)?;
        for cut in 0..=bytes.len() {
            let split = drive(Limits::default(), OnError::Stop, pieces_at(&bytes, &[cut]));
            prop_assert_eq!(&split, &whole, "split at {}", cut);
        }
        let bytewise = drive(Limits::default(), OnError::Stop, bytes.chunks(1));
        prop_assert_eq!(&bytewise, &whole);
    }

    /// Lenient input (extra white space, lower-case names, unknown headers first) is
    /// preserved byte for byte by raw re-serialization, under random splits (P-18).
    #[test]
    fn p18_lenient_spellings_reserialize_raw(
        m in msg(),
        spaces in proptest::collection::vec(0usize..4, 16),
        lower in any::<bool>(),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut canonical = Vec::new();
        encode(&m, &mut canonical);
        // Respell every header line: `Name:` + 0..3 spaces, optionally lower-case names.
        let text = canonical.clone();
        let head_end = text
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .map(|p| p + 2)
            .filter(|_| m.body.is_some())
            .unwrap_or_else(|| text.len() - m.tid.len() - 10);
        let (head, rest) = text.split_at(head_end);
        let mut lines = head.split(|&b| b == b'\n');
        let mut stream = lines.next().expect("start line").to_vec();
        stream.push(b'\n');
        for (i, line) in lines.filter(|l| !l.is_empty()).enumerate() {
            let colon = line.iter().position(|&b| b == b':').expect("a header");
            let mut name = line[..colon].to_vec();
            if lower {
                name.make_ascii_lowercase();
            }
            stream.extend_from_slice(&name);
            stream.push(b':');
            stream.extend(std::iter::repeat_n(b' ', spaces[i % spaces.len()]));
            stream.extend_from_slice(line[colon + 1..].trim_ascii_start());
            stream.push(b'\n');
        }
        stream.extend_from_slice(rest);
        let whole = drive_one(Limits::default(), OnError::Stop, &stream);
        prop_assert_eq!(whole.last(), Some(&Ev::Finish(Ok(()))), "{:?}", whole);
        prop_assert_eq!(reserialize(&whole), stream.clone());
        let split = drive(Limits::default(), OnError::Stop, pieces_at(&stream, &[cut.index(stream.len() + 1)]));
        prop_assert_eq!(&split, &whole);
    }
}
