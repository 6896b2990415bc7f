//! Malformed and hostile input: each case expects one precise, typed [`ParseError`], the
//! same whatever the read sizes, and never a panic. Also the framing edge cases around
//! the end-line (R4975-077..081) and error recovery.
//!
//! Requirement IDs refer to `shared/spec/msrp-spec-digest.md`.

mod common;

use common::{Ev, OnError, body_of, drive, drive_one, first_error};
use msrp_proto::wire::headers::{HeaderError, StatusCode};
use msrp_proto::wire::{Decoder, Event, Flag, KnownHeader, Limit, Limits, ParseError};

const TID: &str = "abcd1234";
const TO: &str = "To-Path: msrp://bob.example.com:8888/9di4eae923wzd;tcp";
const FROM: &str = "From-Path: msrp://alicepc.example.com:7777/iau39soe2843z;tcp";
const URI: &str = "msrp://relay.example.com:2855/s9u3wh3;tcp";

/// A bodiless request: start line, header lines, end-line (R4975-077).
fn bodiless(start: &str, headers: &[&str]) -> Vec<u8> {
    let mut v = format!("{start}\r\n").into_bytes();
    for h in headers {
        v.extend_from_slice(h.as_bytes());
        v.extend_from_slice(b"\r\n");
    }
    v.extend_from_slice(format!("-------{TID}$\r\n").as_bytes());
    v
}

/// A SEND with To-Path, From-Path, `extra` headers, Content-Type and `body`.
fn send(extra: &[&str], body: &[u8]) -> Vec<u8> {
    let mut v = format!("MSRP {TID} SEND\r\n{TO}\r\n{FROM}\r\n").into_bytes();
    for h in extra {
        v.extend_from_slice(h.as_bytes());
        v.extend_from_slice(b"\r\n");
    }
    v.extend_from_slice(b"Content-Type: text/plain\r\n\r\n");
    v.extend_from_slice(body);
    v.extend_from_slice(format!("\r\n-------{TID}$\r\n").as_bytes());
    v
}

fn start() -> String {
    format!("MSRP {TID} SEND")
}

/// Feeds `input` in one read and in several read sizes: every run must give the same
/// transcript, whose first error is `expected`. Returns the one-read transcript.
fn expect_err(limits: Limits, input: &[u8], expected: ParseError) -> Vec<Ev> {
    let whole = drive_one(limits, OnError::Stop, input);
    assert_eq!(first_error(&whole), Some(expected), "one read: {whole:?}");
    for size in [1, 2, 7, 64, 4096] {
        let t = drive(limits, OnError::Stop, input.chunks(size));
        assert_eq!(t, whole, "{size}-byte reads");
    }
    whole
}

/// Like [`expect_err`] for head errors: nothing at all was delivered before the error.
fn expect_head_err(limits: Limits, input: &[u8], expected: ParseError) {
    let t = expect_err(limits, input, expected);
    assert_eq!(t, [Ev::Err(expected), Ev::Closed], "error before any event");
}

fn lenient() -> Limits {
    Limits::default()
}

macro_rules! hostile {
    ($($(#[$m:meta])* $name:ident: $limits:expr, $input:expr => $err:expr;)*) => {$(
        $(#[$m])*
        #[test]
        fn $name() {
            let input: Vec<u8> = Vec::from($input);
            expect_head_err($limits, &input, $err);
        }
    )*};
}

hostile! {
    // ---- line structure ----
    /// CRLF is the only line terminator.
    bare_lf_after_start_line:
        lenient(), format!("MSRP {TID} SEND\n{TO}\r\n").into_bytes() => ParseError::BareLf;
    bare_lf_after_header_line:
        lenient(), format!("MSRP {TID} SEND\r\n{TO}\n{FROM}\r\n").into_bytes()
        => ParseError::BareLf;
    bare_lf_as_blank_line:
        lenient(), format!("MSRP {TID} SEND\r\n{TO}\r\n{FROM}\r\n\nbody").into_bytes()
        => ParseError::BareLf;
    bare_lf_as_first_byte:
        lenient(), b"\nMSRP abcd SEND\r\n" => ParseError::BareLf;
    /// R4975-203: no line folding in MSRP.
    r4975_203_folded_header_line:
        lenient(), bodiless(&start(), &[TO, FROM, "Message-ID: abcd", " continued"])
        => ParseError::FoldedHeader;
    r4975_203_folded_with_tab:
        lenient(), bodiless(&start(), &[TO, "\tFrom-Path: x"]) => ParseError::FoldedHeader;

    // ---- start line ----
    /// R4975-200: `MSRP` is upper case.
    r4975_200_lower_case_protocol:
        lenient(), bodiless("msrp abcd1234 SEND", &[TO, FROM]) => ParseError::NotMsrp;
    r4975_200_http_request_line:
        lenient(), b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" => ParseError::NotMsrp;
    r4975_200_empty_first_line:
        lenient(), b"\r\nMSRP abcd SEND\r\n" => ParseError::NotMsrp;
    r4975_200_lower_case_method:
        lenient(), bodiless("MSRP abcd1234 send", &[TO, FROM]) => ParseError::BadMethod;
    r4975_200_method_with_digit:
        lenient(), bodiless("MSRP abcd1234 SEND2", &[TO, FROM]) => ParseError::BadMethod;
    r4975_200_missing_method:
        lenient(), bodiless("MSRP abcd1234", &[TO, FROM]) => ParseError::BadMethod;
    nul_in_method:
        lenient(), bodiless("MSRP abcd1234 SE\0ND", &[TO, FROM]) => ParseError::ControlCharacter;
    /// R4975-071: an ident has at least 4 characters.
    r4975_071_three_char_tid:
        lenient(), bodiless("MSRP abc SEND", &[TO, FROM]) => ParseError::BadTransactionId;
    r4975_071_tid_with_underscore:
        lenient(), bodiless("MSRP abc_d SEND", &[TO, FROM]) => ParseError::BadTransactionId;
    r4975_071_tid_starting_with_dot:
        lenient(), bodiless("MSRP .abcd SEND", &[TO, FROM]) => ParseError::BadTransactionId;
    r4975_071_empty_tid:
        lenient(), bodiless("MSRP  SEND", &[TO, FROM]) => ParseError::BadTransactionId;
    r4975_071_nul_in_tid:
        lenient(), bodiless("MSRP ab\0cd SEND", &[TO, FROM]) => ParseError::BadTransactionId;
    /// R4975-071 / P-15: 33 characters is over the grammar's 32 (strict mode)...
    r4975_071_33_char_tid_strict:
        Limits::strict(), bodiless(&format!("MSRP {} SEND", "a".repeat(33)), &[TO, FROM])
        => ParseError::Limit(Limit::TransactionIdLength);
    /// ...and 65 is over the lenient ceiling.
    p15_65_char_tid_lenient:
        lenient(), bodiless(&format!("MSRP {} SEND", "a".repeat(65)), &[TO, FROM])
        => ParseError::Limit(Limit::TransactionIdLength);
    r4975_202_two_digit_status:
        lenient(), bodiless("MSRP abcd1234 20 OK", &[TO, FROM]) => ParseError::BadStatusLine;
    r4975_202_status_without_space:
        lenient(), bodiless("MSRP abcd1234 200OK", &[TO, FROM]) => ParseError::BadStatusLine;
    r4975_202_four_digit_status:
        lenient(), bodiless("MSRP abcd1234 2000", &[TO, FROM]) => ParseError::BadStatusLine;
    r4975_202_non_utf8_comment:
        lenient(), bodiless("MSRP abcd1234 200 \u{fffd}", &[TO, FROM])
            .into_iter()
            .map(|b| if b == 0xef { 0xff } else { b })
            .collect::<Vec<u8>>()
        => ParseError::BadStatusLine;
    del_in_comment:
        lenient(), bodiless("MSRP abcd1234 200 O\x7fK", &[TO, FROM])
        => ParseError::ControlCharacter;
    start_line_over_the_limit:
        lenient(), bodiless(&format!("MSRP abcd1234 200 {}", "x".repeat(2000)), &[TO, FROM])
        => ParseError::Limit(Limit::StartLine);

    // ---- header lines ----
    header_without_colon:
        lenient(), bodiless(&start(), &[TO, FROM, "Message-ID abcd"])
        => ParseError::BadHeaderName;
    header_name_starting_with_digit:
        lenient(), bodiless(&start(), &[TO, FROM, "1X: y"]) => ParseError::BadHeaderName;
    empty_header_name:
        lenient(), bodiless(&start(), &[TO, FROM, ": y"]) => ParseError::BadHeaderName;
    nul_in_header_name:
        lenient(), bodiless(&start(), &[TO, FROM, "X-\0: y"]) => ParseError::BadHeaderName;
    nul_in_header_value:
        lenient(), bodiless(&start(), &[TO, FROM, "X-Thing: a\0b"])
        => ParseError::ControlCharacter;
    lone_cr_in_header_value:
        lenient(), bodiless(&start(), &[TO, FROM, "X-Thing: a\rb"])
        => ParseError::ControlCharacter;
    /// A 1 MiB header line stops at the 8 KiB line limit, long before it is buffered.
    one_mib_header_line:
        lenient(), bodiless(&start(), &[TO, FROM, &format!("X-Big: {}", "x".repeat(1 << 20))])
        => ParseError::Limit(Limit::HeaderLine);
    thirty_three_headers:
        lenient(), bodiless(&start(), &[TO, FROM].into_iter()
            .chain(std::iter::repeat_n("X-A: b", 31)).collect::<Vec<_>>())
        => ParseError::Limit(Limit::HeaderCount);
    header_block_over_16_kib:
        lenient(), bodiless(&start(), &std::iter::repeat_n(format!("X-A: {}", "b".repeat(1000)), 17)
            .collect::<Vec<_>>().iter().map(String::as_str).collect::<Vec<_>>())
        => ParseError::Limit(Limit::HeaderBytes);

    // ---- paths ----
    /// Digest P-18 / Limits: 33 URIs in a path is an attack (32 is the default maximum).
    thirty_three_path_uris:
        lenient(), bodiless(&start(), &[&format!("To-Path: {}", vec![URI; 33].join(" ")), FROM])
        => ParseError::Limit(Limit::PathUris);
    r4975_040_to_path_with_a_bad_uri:
        lenient(), bodiless(&start(), &["To-Path: http://bob.example.com/x;tcp", FROM])
        => ParseError::BadHeaderValue(KnownHeader::ToPath, HeaderError::Syntax);
    empty_from_path:
        lenient(), bodiless(&start(), &[TO, "From-Path: "])
        => ParseError::BadHeaderValue(KnownHeader::FromPath, HeaderError::Empty);

    // ---- duplicates (P-18: duplicate singleton headers are a 400) ----
    p18_duplicate_byte_range:
        lenient(), bodiless(&start(), &[TO, FROM, "Byte-Range: 1-*/*", "Byte-Range: 1-5/5"])
        => ParseError::DuplicateHeader(KnownHeader::ByteRange);
    p18_duplicate_to_path:
        lenient(), bodiless(&start(), &[TO, FROM, TO])
        => ParseError::DuplicateHeader(KnownHeader::ToPath);
    /// R4975-201: header names compare case-insensitively, duplicates too.
    r4975_201_duplicate_message_id_in_other_case:
        lenient(), bodiless(&start(), &[TO, FROM, "Message-ID: abcd", "message-id: efgh"])
        => ParseError::DuplicateHeader(KnownHeader::MessageId);

    // ---- values ----
    /// G-11 / R4975-236: a range beyond u64 is an overflow, not a wrap.
    g11_byte_range_overflow:
        lenient(), bodiless(&start(), &[TO, FROM, "Byte-Range: 1-18446744073709551616/*"])
        => ParseError::BadHeaderValue(KnownHeader::ByteRange, HeaderError::Overflow);
    r4975_100_byte_range_non_digit:
        lenient(), bodiless(&start(), &[TO, FROM, "Byte-Range: 1-a/5"])
        => ParseError::BadHeaderValue(KnownHeader::ByteRange, HeaderError::Syntax);
    r4975_100_byte_range_negative:
        lenient(), bodiless(&start(), &[TO, FROM, "Byte-Range: -1-5/5"])
        => ParseError::BadHeaderValue(KnownHeader::ByteRange, HeaderError::Syntax);
    r4975_100_byte_range_star_start:
        lenient(), bodiless(&start(), &[TO, FROM, "Byte-Range: *-5/5"])
        => ParseError::BadHeaderValue(KnownHeader::ByteRange, HeaderError::Syntax);
    r4975_102_byte_range_zero_start:
        lenient(), bodiless(&start(), &[TO, FROM, "Byte-Range: 0-5/5"])
        => ParseError::BadHeaderValue(KnownHeader::ByteRange, HeaderError::Inconsistent);
    r4975_100_byte_range_end_beyond_total:
        lenient(), bodiless(&start(), &[TO, FROM, "Byte-Range: 1-9/5"])
        => ParseError::BadHeaderValue(KnownHeader::ByteRange, HeaderError::Inconsistent);
    r4975_090_short_message_id:
        lenient(), bodiless(&start(), &[TO, FROM, "Message-ID: abc"]) => ParseError::BadMessageId;
    p15_message_id_over_the_ceiling:
        lenient(), bodiless(&start(), &[TO, FROM, &format!("Message-ID: {}", "m".repeat(65))])
        => ParseError::Limit(Limit::MessageIdLength);
    r4975_121_malformed_status_header:
        lenient(), bodiless("MSRP abcd1234 REPORT", &[TO, FROM, "Message-ID: abcd", "Status: 200 OK"])
        => ParseError::BadHeaderValue(KnownHeader::Status, HeaderError::Syntax);

    // ---- end-line in the header block ----
    /// R4975-079: a bodiless message's end-line carries this message's tid.
    r4975_079_wrong_tid_end_line_after_headers:
        lenient(), [format!("MSRP {TID} SEND\r\n{TO}\r\n{FROM}\r\n-------wxyz9876$\r\n")
            .as_bytes()].concat()
        => ParseError::EndLineMismatch;
    /// R4975-079: the tid compares exactly (case-sensitively).
    r4975_079_end_line_tid_in_other_case:
        lenient(), format!("MSRP {TID} SEND\r\n{TO}\r\n{FROM}\r\n-------ABCD1234$\r\n").into_bytes()
        => ParseError::EndLineMismatch;
    r4975_081_end_line_without_flag:
        lenient(), format!("MSRP {TID} SEND\r\n{TO}\r\n{FROM}\r\n-------{TID}\r\n").into_bytes()
        => ParseError::EndLineMismatch;
    r4975_081_end_line_with_unknown_flag:
        lenient(), format!("MSRP {TID} SEND\r\n{TO}\r\n{FROM}\r\n-------{TID}!\r\n").into_bytes()
        => ParseError::EndLineMismatch;
    r4975_081_end_line_with_trailing_garbage:
        lenient(), format!("MSRP {TID} SEND\r\n{TO}\r\n{FROM}\r\n-------{TID}$ \r\n").into_bytes()
        => ParseError::EndLineMismatch;

    // ---- responses ----
    /// R4975-145: responses never have a body.
    r4975_145_response_with_a_body:
        lenient(), format!("MSRP {TID} 200 OK\r\n{TO}\r\n{FROM}\r\nContent-Type: text/plain\r\n\r\nhi\r\n-------{TID}$\r\n").into_bytes()
        => ParseError::ResponseWithBody;

    // ---- strict mode (P-18, P-21) ----
    r4975_201_strict_two_spaces_after_colon:
        Limits::strict(), bodiless(&start(), &[TO, "From-Path:  msrp://a.example.com:1/x;tcp"])
        => ParseError::HeaderSpacing;
    r4975_201_strict_no_space_after_colon:
        Limits::strict(), bodiless(&start(), &[TO, "From-Path:msrp://a.example.com:1/x;tcp"])
        => ParseError::HeaderSpacing;
    r4975_072_strict_from_path_first:
        Limits::strict(), bodiless(&start(), &[FROM, TO]) => ParseError::HeaderOrder;
    r4975_072_strict_unknown_header_first:
        Limits::strict(), bodiless(&start(), &["X-A: b", TO, FROM]) => ParseError::HeaderOrder;
    r4975_072_strict_to_path_late:
        Limits::strict(), bodiless(&start(), &[TO, FROM, "Message-ID: abcd", TO])
        => ParseError::HeaderOrder;
    /// R4975-072: both paths are mandatory; strict mode rejects their absence.
    r4975_072_strict_missing_from_path:
        Limits::strict(), bodiless(&start(), &[TO]) => ParseError::HeaderOrder;
    r4975_072_strict_no_headers_at_all:
        Limits::strict(), bodiless(&start(), &[]) => ParseError::HeaderOrder;
    r4975_072_strict_missing_paths_with_body:
        Limits::strict(), format!("MSRP {TID} SEND\r\n{TO}\r\nContent-Type: a/b\r\n\r\nx\r\n-------{TID}$\r\n").into_bytes()
        => ParseError::HeaderOrder;
    p21_strict_unknown_success_report:
        Limits::strict(), bodiless(&start(), &[TO, FROM, "Success-Report: maybe"])
        => ParseError::BadHeaderValue(KnownHeader::SuccessReport, HeaderError::UnknownValue);
    p21_strict_unknown_failure_report:
        Limits::strict(), bodiless(&start(), &[TO, FROM, "Failure-Report: sometimes"])
        => ParseError::BadHeaderValue(KnownHeader::FailureReport, HeaderError::UnknownValue);
}

// -------------------------------------------------------------------------------------
// Errors that are not head errors, limits at their boundary, recovery

#[test]
fn p10_missing_end_line_after_a_body_is_truncated_at_eof() {
    let full = send(&[], b"Hello, world");
    let cut = &full[..full.len() - format!("\r\n-------{TID}$\r\n").len()];
    let t = expect_err(lenient(), cut, ParseError::Truncated);
    assert!(
        matches!(t.as_slice(), [Ev::Head(_), Ev::Body(b), Ev::Finish(Err(ParseError::Truncated))] if b == b"Hello, world")
    );
    // A partial end-line is retained, not delivered as body.
    for keep in 1..format!("\r\n-------{TID}$\r\n").len() {
        let t = drive_one(lenient(), OnError::Stop, &full[..cut.len() + keep]);
        assert_eq!(body_of(&t), b"Hello, world", "{keep} end-line bytes");
        assert_eq!(t.last(), Some(&Ev::Finish(Err(ParseError::Truncated))));
    }
}

#[test]
fn r4975_077_missing_end_line_of_a_bodiless_request_is_truncated_at_eof() {
    let full = bodiless(&start(), &[TO, FROM]);
    let cut = &full[..full.len() - 4];
    let t = expect_err(lenient(), cut, ParseError::Truncated);
    assert_eq!(t, [Ev::Finish(Err(ParseError::Truncated))]);
}

#[test]
fn r4975_109_chunk_over_max_chunk_body_is_413() {
    let mut limits = Limits::default();
    limits.max_chunk_body = Some(10);
    // The body up to the limit is delivered whatever the read sizes, then the error.
    let t = expect_err(
        limits,
        &send(&[], b"0123456789A"),
        ParseError::Limit(Limit::ChunkBody),
    );
    assert!(
        matches!(t.as_slice(), [Ev::Head(_), Ev::Body(b), Ev::Err(_), Ev::Closed] if b == b"0123456789"),
        "{t:?}"
    );
    assert_eq!(
        ParseError::Limit(Limit::ChunkBody).status(),
        StatusCode::STOP_SENDING
    );
    assert_eq!(ParseError::BareLf.status(), StatusCode::BAD_REQUEST);
    // Exactly at the limit is fine.
    let t = drive_one(limits, OnError::Stop, &send(&[], b"0123456789"));
    assert_eq!(body_of(&t), b"0123456789");
    assert_eq!(t.last(), Some(&Ev::Finish(Ok(()))));
}

#[test]
fn limits_hold_exactly_at_their_boundary() {
    // 32 path URIs are fine.
    let to = format!("To-Path: {}", vec![URI; 32].join(" "));
    let t = drive_one(lenient(), OnError::Stop, &bodiless(&start(), &[&to, FROM]));
    assert!(
        matches!(&t[0], Ev::Head(h) if h.to_path.len() == 32),
        "{t:?}"
    );
    // A header line of exactly max_header_line bytes (CRLF included) is fine, one more is not.
    let limit = Limits::default().max_header_line;
    let line = |len: usize| format!("X-Pad: {}", "p".repeat(len - "X-Pad: ".len() - 2));
    let ok = bodiless(&start(), &[TO, FROM, &line(limit)]);
    assert_eq!(
        drive_one(lenient(), OnError::Stop, &ok).last(),
        Some(&Ev::Finish(Ok(())))
    );
    expect_head_err(
        lenient(),
        &bodiless(&start(), &[TO, FROM, &line(limit + 1)]),
        ParseError::Limit(Limit::HeaderLine),
    );
    // 32 headers are fine, and a 32-character tid is fine in strict mode.
    let many: Vec<&str> = [TO, FROM]
        .into_iter()
        .chain(std::iter::repeat_n("X-A: b", 30))
        .collect();
    let t = drive_one(lenient(), OnError::Stop, &bodiless(&start(), &many));
    assert_eq!(t.last(), Some(&Ev::Finish(Ok(()))));
    let tid = "a".repeat(32);
    let msg = format!("MSRP {tid} SEND\r\n{TO}\r\n{FROM}\r\n-------{tid}$\r\n");
    let t = drive_one(Limits::strict(), OnError::Stop, msg.as_bytes());
    assert_eq!(t.last(), Some(&Ev::Finish(Ok(()))), "{t:?}");
}

#[test]
fn p21_lenient_unknown_report_values_mean_the_defaults() {
    let msg = bodiless(
        &start(),
        &[
            TO,
            FROM,
            "Success-Report: maybe",
            "Failure-Report: sometimes",
        ],
    );
    let t = drive_one(lenient(), OnError::Stop, &msg);
    let Ev::Head(h) = &t[0] else { panic!("{t:?}") };
    assert_eq!(
        h.success_report,
        msrp_proto::wire::headers::SuccessReport::No
    );
    assert_eq!(
        h.failure_report,
        msrp_proto::wire::headers::FailureReport::Yes
    );
}

#[test]
fn errors_are_sticky_until_skip_message() {
    let bad = bodiless("MSRP abcd1234 send", &[TO, FROM]);
    let mut d = Decoder::default();
    assert_eq!(d.decode(&bad).unwrap_err(), ParseError::BadMethod);
    assert_eq!(d.decode(&bad).unwrap_err(), ParseError::BadMethod);
    assert_eq!(d.decode(b"").unwrap_err(), ParseError::BadMethod);
    assert_eq!(d.finish(b""), Err(ParseError::BadMethod));
}

#[test]
fn p18_skip_message_resynchronises_at_the_bad_messages_end_line() {
    let good = send(&["Message-ID: good0001"], b"fine");
    for bad in [
        // head errors, bodiless and with a body that contains near-miss end-lines
        bodiless(
            &start(),
            &[TO, FROM, "Byte-Range: 1-*/*", "Byte-Range: 1-*/*"],
        ),
        send(
            &["Byte-Range: x"],
            format!("a\r\n-------{TID}x\r\n-------{TID}").as_bytes(),
        ),
        send(&["X-Nul: \0"], b""),
        bodiless("MSRP abcd1234 send", &[TO, FROM]),
    ] {
        let stream = [&bad[..], &good[..], &good[..]].concat();
        let whole = drive_one(lenient(), OnError::Skip, &stream);
        let [
            Ev::Err(_),
            Ev::Resync(Flag::End),
            Ev::Head(h1),
            Ev::Body(b1),
            Ev::End(Flag::End),
            Ev::Head(_),
            Ev::Body(_),
            Ev::End(Flag::End),
            Ev::Finish(Ok(())),
        ] = whole.as_slice()
        else {
            panic!("{whole:?}")
        };
        assert_eq!(h1.message_id.as_deref(), Some("good0001"));
        assert_eq!(b1, b"fine");
        for size in [1, 3, 16, 100] {
            assert_eq!(drive(lenient(), OnError::Skip, stream.chunks(size)), whole);
        }
    }
}

#[test]
fn r4975_071_skip_message_refuses_when_the_tid_is_unknown() {
    let mut d = Decoder::default();
    let bad = bodiless("MSRP a SEND", &[TO, FROM]);
    assert_eq!(d.decode(&bad).unwrap_err(), ParseError::BadTransactionId);
    assert!(
        !d.skip_message(),
        "no end-line to look for: close the connection"
    );
    assert!(d.failed_head(&bad).is_none());
    // skip_message on a healthy decoder does nothing.
    assert!(!Decoder::default().skip_message());
}

#[test]
fn failed_head_addresses_the_400() {
    let bad = bodiless(&start(), &[TO, FROM, "Byte-Range: 9-1/1"]);
    let mut d = Decoder::default();
    let err = d.decode(&bad).unwrap_err();
    assert_eq!(
        err,
        ParseError::BadHeaderValue(KnownHeader::ByteRange, HeaderError::Inconsistent)
    );
    assert_eq!(err.status(), StatusCode::BAD_REQUEST);
    let h = d.failed_head(&bad).expect("tid and paths were read");
    assert_eq!(h.transaction_id(), TID);
    assert_eq!(h.method(), Some(msrp_proto::wire::Method::Send));
    let from: Vec<_> = h.from_path().expect("From-Path").collect();
    assert_eq!(from.len(), 1);
}

// -------------------------------------------------------------------------------------
// End-line edge cases (not errors)

/// Decodes one complete message in one read; returns (has_body, body, flag).
fn one_message(input: &[u8]) -> (bool, Vec<u8>, Flag) {
    let t = drive_one(lenient(), OnError::Stop, input);
    for size in [1, 5] {
        assert_eq!(drive(lenient(), OnError::Stop, input.chunks(size)), t);
    }
    match t.as_slice() {
        [Ev::Head(h), Ev::End(f), Ev::Finish(Ok(()))] => (h.has_body, Vec::new(), *f),
        [Ev::Head(h), Ev::Body(b), Ev::End(f), Ev::Finish(Ok(()))] => (h.has_body, b.clone(), *f),
        _ => panic!("{t:?}"),
    }
}

#[test]
fn r4975_077_bodiless_send() {
    let msg = format!("MSRP {TID} SEND\r\n{TO}\r\n{FROM}\r\n-------{TID}$\r\n");
    assert_eq!(one_message(msg.as_bytes()), (false, Vec::new(), Flag::End));
    // The head's bytes exclude the end-line; the Head event consumed it.
    let mut d = Decoder::default();
    let (n, ev) = d.decode(msg.as_bytes()).expect("valid");
    assert_eq!(n, msg.len());
    let Event::Head(h) = ev else { panic!("{ev:?}") };
    assert!(!h.has_body());
    assert!(msg.as_bytes().starts_with(h.as_bytes()));
    assert_eq!(
        h.as_bytes().len(),
        msg.len() - format!("-------{TID}$\r\n").len()
    );
    let (n, ev) = d.decode(b"").expect("pending end");
    assert_eq!(n, 0);
    assert!(matches!(ev, Event::End(Flag::End)));
    assert!(d.is_idle());
}

#[test]
fn r4975_078_empty_body_vs_bodiless() {
    let empty = send(&[], b"");
    assert!(empty.ends_with(format!("text/plain\r\n\r\n\r\n-------{TID}$\r\n").as_bytes()));
    assert_eq!(one_message(&empty), (true, Vec::new(), Flag::End));
    let bodiless = bodiless(&start(), &[TO, FROM]);
    assert_eq!(one_message(&bodiless), (false, Vec::new(), Flag::End));
}

#[test]
fn r4975_080_crlf_before_end_line_not_body() {
    assert_eq!(one_message(&send(&[], b"abcd")).1, b"abcd");
    // A body that itself ends in CRLF keeps it: only the last CRLF belongs to the end-line.
    assert_eq!(one_message(&send(&[], b"abcd\r\n")).1, b"abcd\r\n");
    assert_eq!(one_message(&send(&[], b"\r\n")).1, b"\r\n");
}

#[test]
fn r4975_079_wrong_tid_end_line_is_body() {
    for body in [
        "x\r\n-------wxyz9876$\r\ny".to_owned(),
        "\r\n-------ABCD1234$\r\n".to_owned(), // tid compares case-sensitively
        format!("\r\n-------{TID}5$\r\n"),     // a longer tid with ours as prefix
        format!("\r\n-------{TID}\r\n"),       // no flag
        format!("\r\n-------{TID}$x\r\n"),     // no CRLF after the flag
        format!("\r\n-------{TID}$\rx"),       // CR without LF
        format!("------{TID}$\r\n"),           // six dashes
        format!("-------{TID}$\r\n"),          // at the very start: no CRLF before it
        format!("a\r\n-------{}", &TID[..4]),  // a prefix of the needle at the end
    ] {
        let (has_body, got, flag) = one_message(&send(&[], body.as_bytes()));
        assert!(has_body);
        assert_eq!(String::from_utf8_lossy(&got), body);
        assert_eq!(flag, Flag::End);
    }
}

#[test]
fn r4975_081_continuation_and_abort_flags() {
    for (c, flag) in [('+', Flag::More), ('#', Flag::Abort), ('$', Flag::End)] {
        let mut msg = send(&[], b"chunk");
        let n = msg.len();
        msg[n - 3] = c as u8;
        assert_eq!(one_message(&msg), (true, b"chunk".to_vec(), flag));
    }
}

#[test]
fn g10_tid_ending_in_plus_is_matched_exactly() {
    // G-10: `abc+` as tid; `-------abc++` ends a chunk with `+`, `-------abc+$` with `$`.
    let tid = "abc+";
    let body = "\r\n-------abc+\r\n-------abc+x";
    let msg = format!(
        "MSRP {tid} SEND\r\n{TO}\r\n{FROM}\r\nContent-Type: a/b\r\n\r\n{body}\r\n-------{tid}+\r\n"
    );
    assert_eq!(
        one_message(msg.as_bytes()),
        (true, body.as_bytes().to_vec(), Flag::More)
    );
}
