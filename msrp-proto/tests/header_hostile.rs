//! Hostile header values, each with the precise error it must produce (R4975-236, G-11,
//! EID 1277, R7701-009). None of them may panic.

use HeaderError::*;
use msrp_proto::wire::headers::{
    AuthenticationInfo, ByteRange, ContentType, DigestChallenge, DigestCredentials, FailureReport,
    HeaderError, Status, SuccessReport, parse_delta_seconds, parse_use_nickname,
};

type Parser = fn(&[u8]) -> Result<(), HeaderError>;

fn byte_range(v: &[u8]) -> Result<(), HeaderError> {
    ByteRange::parse(v).map(drop)
}
fn status(v: &[u8]) -> Result<(), HeaderError> {
    Status::parse(v).map(drop)
}
fn success(v: &[u8]) -> Result<(), HeaderError> {
    SuccessReport::parse(v).map(drop)
}
fn failure(v: &[u8]) -> Result<(), HeaderError> {
    FailureReport::parse(v).map(drop)
}
fn content_type(v: &[u8]) -> Result<(), HeaderError> {
    ContentType::parse(v).map(drop)
}
fn expires(v: &[u8]) -> Result<(), HeaderError> {
    parse_delta_seconds(v).map(drop)
}
fn challenge(v: &[u8]) -> Result<(), HeaderError> {
    DigestChallenge::parse(v).map(drop)
}
fn credentials(v: &[u8]) -> Result<(), HeaderError> {
    DigestCredentials::parse(v).map(drop)
}
fn auth_info(v: &[u8]) -> Result<(), HeaderError> {
    AuthenticationInfo::parse(v).map(drop)
}
fn nickname(v: &[u8]) -> Result<(), HeaderError> {
    parse_use_nickname(v).map(drop)
}

const CRED: &str = r#"Digest username="a", realm="r", nonce="n", response="0123456789abcdef0123456789abcdef", qop=auth, cnonce="c", nc=00000001"#;

#[test]
fn hostile_values_give_precise_errors() {
    let long_nick = format!("\"{}\"", "x".repeat(1024));
    let cred_no_cnonce = CRED.replace(r#", cnonce="c""#, "");
    let cred_bad_nc = CRED.replace("nc=00000001", "nc=123456789");
    let cred_dup = format!("{CRED}, response=\"0123456789abcdef0123456789abcdef\"");
    let cases: Vec<(&str, Parser, &[u8], HeaderError)> = vec![
        // Byte-Range (R4975-100, -106, -236; G-11)
        (
            "range overflow total",
            byte_range,
            b"1-*/99999999999999999999",
            Overflow,
        ),
        (
            "range overflow start",
            byte_range,
            b"18446744073709551616-*/*",
            Overflow,
        ),
        ("range zero start", byte_range, b"0-5/5", Inconsistent),
        (
            "range end before start",
            byte_range,
            b"5-3/10",
            Inconsistent,
        ),
        (
            "range end beyond total",
            byte_range,
            b"1-10/5",
            Inconsistent,
        ),
        (
            "range start beyond total",
            byte_range,
            b"7-*/5",
            Inconsistent,
        ),
        ("range non-digit", byte_range, b"1-1O/10", Syntax),
        ("range negative", byte_range, b"-1-5/5", Syntax),
        ("range empty", byte_range, b"", Empty),
        ("range missing total", byte_range, b"1-5", Syntax),
        ("range missing end", byte_range, b"1-/5", Syntax),
        ("range missing start", byte_range, b"-5/5", Syntax),
        ("range star start", byte_range, b"*-5/5", Syntax),
        ("range inner space", byte_range, b"1 -5/5", Syntax),
        // Status
        ("status short namespace", status, b"00 200", Syntax),
        ("status long code", status, b"000 2000", Syntax),
        ("status no code", status, b"000", Syntax),
        (
            "status non-utf8 comment",
            status,
            b"000 200 \xc3\x28",
            NonUtf8,
        ),
        (
            "status control in comment",
            status,
            b"000 200 O\x1bK",
            Syntax,
        ),
        ("status empty", status, b"   ", Empty),
        // Reports (P-21)
        ("success unknown", success, b"sometimes", UnknownValue),
        ("failure unknown", failure, b"partially", UnknownValue),
        ("failure empty", failure, b"", Empty),
        // Content-Type
        ("content-type no subtype", content_type, b"text/", Syntax),
        (
            "content-type trailing semicolon",
            content_type,
            b"text/plain;",
            Syntax,
        ),
        (
            "content-type unterminated quote",
            content_type,
            b"text/plain; a=\"b",
            Syntax,
        ),
        // delta-seconds
        ("expires overflow", expires, b"4294967296", Overflow),
        (
            "expires huge",
            expires,
            b"99999999999999999999999999",
            Overflow,
        ),
        ("expires non-digit", expires, b"12e3", Syntax),
        // WWW-Authenticate (EID 1277, R4976-058)
        (
            "challenge empty element",
            challenge,
            br#"Digest realm="r",, nonce="n", qop="auth""#,
            Syntax,
        ),
        (
            "challenge trailing comma",
            challenge,
            br#"Digest realm="r", nonce="n", qop="auth", "#,
            Syntax,
        ),
        (
            "challenge missing nonce",
            challenge,
            br#"Digest realm="r", qop="auth""#,
            MissingParameter,
        ),
        (
            "challenge missing qop",
            challenge,
            br#"Digest realm="r", nonce="n""#,
            MissingParameter,
        ),
        (
            "challenge unterminated quote",
            challenge,
            br#"Digest realm="r, nonce="n", qop="auth"#,
            Syntax,
        ),
        (
            "challenge bad escape",
            challenge,
            br#"Digest realm="a\b", nonce="n", qop="auth""#,
            Syntax,
        ),
        (
            "challenge basic scheme",
            challenge,
            br#"Basic realm="r""#,
            UnknownValue,
        ),
        (
            "challenge duplicate nonce",
            challenge,
            br#"Digest realm="r", nonce="n", nonce="m", qop="auth""#,
            DuplicateParameter,
        ),
        (
            "challenge bare name",
            challenge,
            br#"Digest realm, nonce="n", qop="auth""#,
            Syntax,
        ),
        // Authorization (R4976-059)
        (
            "credentials missing cnonce",
            credentials,
            cred_no_cnonce.as_bytes(),
            MissingParameter,
        ),
        (
            "credentials nine-digit nc",
            credentials,
            cred_bad_nc.as_bytes(),
            Syntax,
        ),
        (
            "credentials duplicate response",
            credentials,
            cred_dup.as_bytes(),
            DuplicateParameter,
        ),
        (
            "credentials not utf8",
            credentials,
            b"Digest username=\"\xff\"",
            NonUtf8,
        ),
        // Authentication-Info
        (
            "auth-info empty element",
            auth_info,
            br#"rspauth="00",,cnonce="c""#,
            Syntax,
        ),
        (
            "auth-info non-hex rspauth",
            auth_info,
            br#"rspauth="xyz""#,
            Syntax,
        ),
        // Use-Nickname (R7701-009, P-38)
        (
            "nickname 1024 chars",
            nickname,
            long_nick.as_bytes(),
            TooLong,
        ),
        ("nickname unquoted", nickname, b"Alice", Syntax),
        ("nickname bad escape", nickname, br#""Al\ice""#, Syntax),
        ("nickname non-utf8", nickname, b"\"Al\xe9\"", NonUtf8),
        (
            "nickname trailing text",
            nickname,
            br#""Alice" "Bob""#,
            Syntax,
        ),
    ];
    assert!(cases.len() >= 20);
    for (what, parse, v, want) in cases {
        assert_eq!(
            parse(v),
            Err(want),
            "{what}: {}",
            String::from_utf8_lossy(v)
        );
    }
}
