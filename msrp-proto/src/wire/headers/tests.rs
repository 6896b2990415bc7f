//! Unit tests, named after the requirement or pitfall they check.

use super::util::{Param, ParamIter, put_hex8, put_u64};
use super::*;

fn w(f: impl FnOnce(&mut Vec<u8>)) -> String {
    let mut v = Vec::new();
    f(&mut v);
    String::from_utf8(v).unwrap()
}

// ---- integer writer -------------------------------------------------------------------

#[test]
fn digit_writer_edges() {
    for n in [
        0u64,
        1,
        9,
        10,
        99,
        100,
        12345,
        u64::from(u32::MAX),
        1 << 63,
        u64::MAX,
    ] {
        assert_eq!(w(|b| put_u64(b, n)), n.to_string());
    }
    assert_eq!(w(|b| put_hex8(b, 1)), "00000001");
    assert_eq!(w(|b| put_hex8(b, 0xDEADBEEF)), "deadbeef");
}

// ---- Byte-Range -------------------------------------------------------------------------

#[test]
fn r4975_100_byte_range_basic() {
    let r = ByteRange::parse(b"1-25/25").unwrap();
    assert_eq!(
        r,
        ByteRange {
            start: 1,
            end: Some(25),
            total: Some(25)
        }
    );
    assert_eq!(r.len(), Some(25));
    assert_eq!(ByteRange::parse(b"138-148/148").unwrap().len(), Some(11));
}

#[test]
fn r4975_103_r4975_104_byte_range_stars() {
    assert_eq!(
        ByteRange::parse(b"1-*/*").unwrap(),
        ByteRange {
            start: 1,
            end: None,
            total: None
        }
    );
    assert_eq!(
        ByteRange::parse(b"1-*/174").unwrap(),
        ByteRange {
            start: 1,
            end: None,
            total: Some(174)
        }
    );
    assert_eq!(
        ByteRange::parse(b"5-8/*").unwrap(),
        ByteRange {
            start: 5,
            end: Some(8),
            total: None
        }
    );
    assert_eq!(ByteRange::parse(b"1-*/*").unwrap().len(), None);
}

#[test]
fn r4975_106_empty_byte_range() {
    let r = ByteRange::parse(b"1-0/0").unwrap();
    assert_eq!(r, ByteRange::whole(0));
    assert!(r.is_empty());
    assert_eq!(w(|b| r.write(b)), "1-0/0");
}

#[test]
fn r4975_111_resumed_chunk_range() {
    // An empty chunk at the end of a message and a resumed chunk are consistent.
    assert!(ByteRange::parse(b"11-10/10").is_ok());
    assert!(ByteRange::parse(b"5-4/10").is_ok());
    assert!(ByteRange::parse(b"2049-*/*").is_ok());
}

#[test]
fn r4975_236_g11_byte_range_overflow() {
    assert_eq!(
        ByteRange::parse(b"1-*/99999999999999999999"),
        Err(HeaderError::Overflow)
    );
    assert_eq!(
        ByteRange::parse(b"99999999999999999999-*/*"),
        Err(HeaderError::Overflow)
    );
    assert_eq!(
        ByteRange::parse(b"1-18446744073709551616/*"),
        Err(HeaderError::Overflow)
    );
    // 2^63 and u64::MAX themselves work.
    let big = ByteRange::parse(b"1-9223372036854775808/18446744073709551615").unwrap();
    assert_eq!(big.end, Some(1 << 63));
    assert_eq!(big.total, Some(u64::MAX));
    assert_eq!(
        ByteRange::parse(b"18446744073709551615-18446744073709551615/18446744073709551615")
            .unwrap()
            .len(),
        Some(1)
    );
}

#[test]
fn byte_range_inconsistent() {
    for v in [
        "0-5/5", "0-*/*", "5-3/10", "1-10/5", "12-*/10", "12-11/10", "3-1/*",
    ] {
        assert_eq!(
            ByteRange::parse(v.as_bytes()),
            Err(HeaderError::Inconsistent),
            "{v}"
        );
    }
}

#[test]
fn byte_range_syntax() {
    for v in [
        "a-5/5", "1-5", "1/5", "-5/5", "1-/5", "1-5/", "*-5/5", "1 - 5/5", "1-5/5x", "1-5/5/5",
        "1--5/5", "+1-5/5", "1-**/*", "1-5/-5", "1-0x5/5",
    ] {
        assert_eq!(
            ByteRange::parse(v.as_bytes()),
            Err(HeaderError::Syntax),
            "{v}"
        );
    }
    assert_eq!(ByteRange::parse(b""), Err(HeaderError::Empty));
    assert_eq!(ByteRange::parse(b"  "), Err(HeaderError::Empty));
    // Syntax wins over overflow.
    assert_eq!(
        ByteRange::parse(b"1-99999999999999999999x/*"),
        Err(HeaderError::Syntax)
    );
}

#[test]
fn byte_range_leading_zeros_and_ws_accepted() {
    assert_eq!(
        ByteRange::parse(b"01-05/005").unwrap(),
        ByteRange {
            start: 1,
            end: Some(5),
            total: Some(5)
        }
    );
    assert_eq!(ByteRange::parse(b" 1-5/5 ").unwrap(), ByteRange::whole(5));
}

// ---- Status ---------------------------------------------------------------------------

#[test]
fn r4975_130_status_basic() {
    let s = Status::parse(b"000 200 OK").unwrap();
    assert_eq!(
        s,
        Status {
            namespace: 0,
            code: StatusCode::OK,
            comment: Some("OK")
        }
    );
    assert_eq!(w(|b| s.write(b)), "000 200 OK");
    assert_eq!(Status::parse(b"000 413").unwrap().comment, None);
    assert_eq!(
        Status::parse(b"000 408 Request timed out, sorry")
            .unwrap()
            .comment,
        Some("Request timed out, sorry")
    );
}

#[test]
fn p23_status_other_namespace_parses() {
    let s = Status::parse(b"123 999 whatever").unwrap();
    assert_eq!((s.namespace, s.code), (123, StatusCode(999)));
}

#[test]
fn g8_status_trailing_space_empty_comment() {
    assert_eq!(Status::parse(b"000 200 ").unwrap().comment, None);
    assert_eq!(Status::parse(b"000  200   OK").unwrap().comment, Some("OK"));
}

#[test]
fn g7_status_utf8_comment() {
    let s = Status::parse("000 200 Très bien ✓".as_bytes()).unwrap();
    assert_eq!(s.comment, Some("Très bien ✓"));
    assert_eq!(
        Status::parse(b"000 200 \xff\xfe"),
        Err(HeaderError::NonUtf8)
    );
    assert_eq!(
        Status::parse(b"000 200 \xc0\xaf"),
        Err(HeaderError::NonUtf8)
    ); // overlong
    assert_eq!(Status::parse(b"000 200 a\rb"), Err(HeaderError::Syntax));
    assert_eq!(Status::parse(b"000 200 a\0b"), Err(HeaderError::Syntax));
}

#[test]
fn status_hostile() {
    for v in [
        "00 200",
        "000 2000",
        "000 20",
        "0000 200",
        "000",
        "000 ",
        "abc 200",
        "000 2x0",
        "000-200",
        "000 200OK",
    ] {
        assert_eq!(Status::parse(v.as_bytes()), Err(HeaderError::Syntax), "{v}");
    }
    assert_eq!(Status::parse(b""), Err(HeaderError::Empty));
}

#[test]
fn status_code_parse_and_reason() {
    assert_eq!(StatusCode::parse(b"200"), Ok(StatusCode::OK));
    assert_eq!(StatusCode::parse(b"000"), Ok(StatusCode(0)));
    assert_eq!(StatusCode::parse(b""), Err(HeaderError::Empty));
    for v in ["20", "2000", " 200", "20a", "-20"] {
        assert_eq!(
            StatusCode::parse(v.as_bytes()),
            Err(HeaderError::Syntax),
            "{v}"
        );
    }
    assert_eq!(StatusCode::OK.reason(), "OK");
    assert_eq!(StatusCode::UNAUTHORIZED.reason(), "Unauthorized");
    assert_eq!(
        StatusCode::NICKNAME_IN_USE.reason(),
        "Nickname reserved or already in use"
    );
    assert_eq!(StatusCode(299).reason(), "Success");
    assert_eq!(StatusCode(499).reason(), "Client Error");
    assert_eq!(StatusCode(0).reason(), "Unknown");
    assert!(StatusCode::OK.is_success() && StatusCode(299).is_success());
    assert!(!StatusCode::BAD_REQUEST.is_success() && !StatusCode(199).is_success());
    assert_eq!(w(|b| StatusCode(7).write(b)), "007");
    assert_eq!(StatusCode(7).to_string(), "007");
    let codes = [
        (StatusCode::BAD_REQUEST, 400),
        (StatusCode::FORBIDDEN, 403),
        (StatusCode::NOT_FOUND, 404),
        (StatusCode::REQUEST_TIMEOUT, 408),
        (StatusCode::STOP_SENDING, 413),
        (StatusCode::UNSUPPORTED_MEDIA_TYPE, 415),
        (StatusCode::PARAMETER_OUT_OF_BOUNDS, 423),
        (StatusCode::MALFORMED_NICKNAME, 424),
        (StatusCode::PRIVATE_MESSAGES_NOT_SUPPORTED, 428),
        (StatusCode::SESSION_DOES_NOT_EXIST, 481),
        (StatusCode::METHOD_NOT_UNDERSTOOD, 501),
        (StatusCode::SESSION_ALREADY_IN_USE, 506),
    ];
    for (c, n) in codes {
        assert_eq!(c.0, n);
        assert!(!c.reason().is_empty());
    }
    assert_eq!(
        w(|b| Status::msrp(StatusCode::STOP_SENDING).write(b)),
        "000 413 Stop Sending Message"
    );
}

// ---- Success-/Failure-Report ------------------------------------------------------------

#[test]
fn r4975_098_report_defaults() {
    assert_eq!(SuccessReport::default(), SuccessReport::No);
    assert_eq!(FailureReport::default(), FailureReport::Yes);
}

#[test]
fn p21_report_values_case_insensitive() {
    assert_eq!(SuccessReport::parse(b"YES"), Ok(SuccessReport::Yes));
    assert_eq!(SuccessReport::parse(b"No"), Ok(SuccessReport::No));
    assert_eq!(FailureReport::parse(b"Partial"), Ok(FailureReport::Partial));
    assert_eq!(FailureReport::parse(b"nO"), Ok(FailureReport::No));
    assert_eq!(FailureReport::parse(b"yes"), Ok(FailureReport::Yes));
    assert_eq!(
        SuccessReport::parse(b"partial"),
        Err(HeaderError::UnknownValue)
    );
    assert_eq!(
        SuccessReport::parse(b"maybe"),
        Err(HeaderError::UnknownValue)
    );
    assert_eq!(
        FailureReport::parse(b"yes please"),
        Err(HeaderError::UnknownValue)
    );
    assert_eq!(FailureReport::parse(b""), Err(HeaderError::Empty));
    assert_eq!(SuccessReport::parse(b" "), Err(HeaderError::Empty));
    assert_eq!(w(|b| FailureReport::Partial.write(b)), "partial");
    assert_eq!(SuccessReport::Yes.as_str(), "yes");
}

// ---- Content-Type -----------------------------------------------------------------------

#[test]
fn content_type_basic() {
    let ct = ContentType::parse(b"text/plain").unwrap();
    assert_eq!(
        (ct.media_type(), ct.type_(), ct.subtype()),
        ("text/plain", "text", "plain")
    );
    assert_eq!(ct.params().count(), 0);
    let ct = ContentType::parse(b"Text/HTML ; charset=\"utf-8\";format=flowed;bare").unwrap();
    assert_eq!(ct.media_type(), "Text/HTML");
    assert!(ct.eq_ignore_params("text/html"));
    assert!(ct.eq_ignore_params("text/html; charset=x"));
    assert!(!ct.eq_ignore_params("text/plain"));
    let p: Vec<_> = ct.params().collect();
    assert_eq!(
        p,
        [("charset", "utf-8"), ("format", "flowed"), ("bare", "")]
    );
    assert_eq!(ct.param("CHARSET"), Some("utf-8"));
    assert_eq!(ct.param("nope"), None);
    assert_eq!(
        w(|b| ct.write(b)),
        "Text/HTML ; charset=\"utf-8\";format=flowed;bare"
    );
    let ct = ContentType::parse(b"message/cpim").unwrap();
    assert!(ct.eq_ignore_params("Message/CPIM"));
    assert!(ContentType::parse(b"*/*").is_ok());
    let ct = ContentType::parse(br#"multipart/mixed; boundary="a \"b\" \\ c""#).unwrap();
    assert_eq!(ct.param("boundary"), Some(r#"a \"b\" \\ c"#));
    assert_eq!(
        unescape(ct.param("boundary").unwrap()).collect::<String>(),
        r#"a "b" \ c"#
    );
}

#[test]
fn content_type_hostile() {
    for v in [
        "text",
        "text/",
        "/plain",
        "text/plain;",
        "text/plain; ",
        "text/plain;;a=b",
        "text /plain",
        "text/plain x",
        "text/plain; a=",
        "text/plain; a=\"open",
        "text/plain; =b",
        "te(xt/plain",
        "text/plain; a=\"\\x\"",
    ] {
        assert_eq!(
            ContentType::parse(v.as_bytes()),
            Err(HeaderError::Syntax),
            "{v}"
        );
    }
    assert_eq!(ContentType::parse(b""), Err(HeaderError::Empty));
    assert_eq!(
        ContentType::parse(b"text/plain; a=\"\xff\""),
        Err(HeaderError::NonUtf8)
    );
}

// ---- delta-seconds ----------------------------------------------------------------------

#[test]
fn r4976_expires_delta_seconds() {
    assert_eq!(parse_delta_seconds(b"900"), Ok(900));
    assert_eq!(parse_delta_seconds(b"0"), Ok(0));
    assert_eq!(parse_delta_seconds(b"4294967295"), Ok(u32::MAX));
    assert_eq!(
        parse_delta_seconds(b"4294967296"),
        Err(HeaderError::Overflow)
    );
    assert_eq!(
        parse_delta_seconds(b"99999999999999999999999"),
        Err(HeaderError::Overflow)
    );
    assert_eq!(parse_delta_seconds(b"-1"), Err(HeaderError::Syntax));
    assert_eq!(parse_delta_seconds(b"1800s"), Err(HeaderError::Syntax));
    assert_eq!(parse_delta_seconds(b"18 00"), Err(HeaderError::Syntax));
    assert_eq!(parse_delta_seconds(b""), Err(HeaderError::Empty));
    assert_eq!(w(|b| write_delta_seconds(1800, b)), "1800");
}

// ---- shared tokenizer -------------------------------------------------------------------

#[test]
fn eid1277_tokenizer_rejects_empty_elements() {
    fn all(s: &str) -> Result<Vec<Param<'_>>, HeaderError> {
        ParamIter::new(s, b',', false).collect()
    }
    assert_eq!(all("").unwrap().len(), 0);
    assert_eq!(all("a=1").unwrap().len(), 1);
    assert_eq!(all("a=1,b=\"x,y\" ,\tc=3").unwrap().len(), 3);
    for bad in [
        ",a=1",
        "a=1,",
        "a=1,,b=2",
        "a=1, ,b=2",
        " , ",
        "a",
        "a=1 b=2",
        "a=\"x",
        "a=\"x\"y",
    ] {
        assert_eq!(all(bad), Err(HeaderError::Syntax), "{bad}");
    }
    // Fused after an error.
    let mut it = ParamIter::new(",a=1", b',', false);
    assert!(matches!(it.next(), Some(Err(HeaderError::Syntax))));
    assert!(it.next().is_none());
}

// ---- Digest -----------------------------------------------------------------------------

#[test]
fn r4976_058_challenge_basic() {
    let v = br#"Digest realm="intra.example.com", qop="auth", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093""#;
    let c = DigestChallenge::parse(v).unwrap();
    assert_eq!(c.realm, "intra.example.com");
    assert_eq!(c.qop, "auth");
    assert_eq!(c.nonce, "dcd98b7102dd2f0e8b11d0f600bfb0c093");
    assert!(c.offers_auth() && !c.stale && c.opaque.is_none() && c.algorithm.is_none());
    assert_eq!(w(|b| c.write(b)).as_bytes(), v);
}

#[test]
fn r4976_challenge_optional_params_and_case() {
    let c = DigestChallenge::parse(
        br#"digest REALM="r",nonce="n", qop="auth-int , auth", opaque="o", stale=TRUE, algorithm=MD5, domain="x""#,
    )
    .unwrap();
    assert_eq!(
        (c.opaque, c.stale, c.algorithm),
        (Some("o"), true, Some("MD5"))
    );
    assert_eq!(c.qop_options().collect::<Vec<_>>(), ["auth-int", "auth"]);
    assert!(c.offers_auth());
    assert_eq!(
        w(|b| c.write(b)),
        r#"Digest realm="r", qop="auth-int , auth", nonce="n", opaque="o", stale=true, algorithm=MD5"#
    );
    assert!(
        !DigestChallenge::parse(br#"Digest realm="r", nonce="n", qop=auth, stale="false""#)
            .unwrap()
            .stale
    );
}

#[test]
fn r4976_058_challenge_hostile() {
    let cases: &[(&[u8], HeaderError)] = &[
        (
            br#"Digest realm="r", qop="auth""#,
            HeaderError::MissingParameter,
        ),
        (
            br#"Digest nonce="n", qop="auth""#,
            HeaderError::MissingParameter,
        ),
        (
            br#"Digest realm="r", nonce="n""#,
            HeaderError::MissingParameter,
        ),
        (b"Digest", HeaderError::MissingParameter),
        (
            br#"Digest realm="r",, nonce="n", qop="auth""#,
            HeaderError::Syntax,
        ),
        (
            br#"Digest realm="r", nonce="n", qop="auth","#,
            HeaderError::Syntax,
        ),
        (
            br#"Digest , realm="r", nonce="n", qop="auth""#,
            HeaderError::Syntax,
        ),
        (
            br#"Digest realm="r, nonce="n", qop="auth"#,
            HeaderError::Syntax,
        ),
        (
            br#"Digest realm="r", nonce="n", qop="auth,,auth-int""#,
            HeaderError::Syntax,
        ),
        (
            br#"Digest realm="r", nonce="n", qop="""#,
            HeaderError::Syntax,
        ),
        (
            br#"Digest realm="r", nonce="n", qop="auth", stale=maybe"#,
            HeaderError::UnknownValue,
        ),
        (
            br#"Digest realm="r", realm="s", nonce="n", qop="auth""#,
            HeaderError::DuplicateParameter,
        ),
        (br#"Basic realm="r""#, HeaderError::UnknownValue),
        (br#"Digestrealm="r""#, HeaderError::UnknownValue),
        (br#"Digest=realm="r""#, HeaderError::Syntax),
        (
            br#"Digest realm="r\n", nonce="n", qop="auth""#,
            HeaderError::Syntax,
        ),
        (
            b"Digest realm=\"\xe9\", nonce=\"n\", qop=\"auth\"",
            HeaderError::NonUtf8,
        ),
        (b"", HeaderError::Empty),
    ];
    for (v, e) in cases {
        assert_eq!(
            DigestChallenge::parse(v),
            Err(*e),
            "{}",
            String::from_utf8_lossy(v)
        );
    }
}

#[test]
fn r4976_059_credentials_basic() {
    let v = br#"Digest username="Alice", realm="intra.example.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", qop=auth, nc=00000001, cnonce="0a4f113b", response="6629fae49393a05397450978507c4ef1""#;
    let c = DigestCredentials::parse(v).unwrap();
    assert_eq!(
        (c.username, c.realm, c.qop, c.nc, c.cnonce),
        ("Alice", "intra.example.com", "auth", 1, "0a4f113b")
    );
    assert_eq!(c.response, "6629fae49393a05397450978507c4ef1");
    assert_eq!(c.uri, None);
    assert_eq!(w(|b| c.write(b)).as_bytes(), v);
}

#[test]
fn p28_credentials_with_uri_and_quoted_qop() {
    let c = DigestCredentials::parse(
        br#"Digest username="a", realm="r", nonce="n", uri="msrps://a@h:443;ws", response="5011D0D58FE975E0D0CDC007AE26F4B7", qop="auth", cnonce="c", nc=0000000A, algorithm=MD5, opaque="o""#,
    )
    .unwrap();
    assert_eq!(
        (c.uri, c.qop, c.nc, c.algorithm, c.opaque),
        (
            Some("msrps://a@h:443;ws"),
            "auth",
            10,
            Some("MD5"),
            Some("o")
        )
    );
}

#[test]
fn r4976_059_credentials_hostile() {
    const OK: &str = r#"username="a", realm="r", nonce="n", response="0123456789abcdef0123456789abcdef", qop=auth, cnonce="c", nc=00000001"#;
    assert!(DigestCredentials::parse(format!("Digest {OK}").as_bytes()).is_ok());
    for missing in [
        "username", "realm", "nonce", "response", "qop", "cnonce", "nc",
    ] {
        let v: Vec<&str> = OK
            .split(", ")
            .filter(|p| !p.starts_with(&format!("{missing}=")))
            .collect();
        let v = format!("Digest {}", v.join(", "));
        assert_eq!(
            DigestCredentials::parse(v.as_bytes()),
            Err(HeaderError::MissingParameter),
            "{v}"
        );
    }
    let syntax = [
        format!("Digest {OK},"),
        format!("Digest {OK}, , x=1"),
        format!("Digest {OK}, nonce2=\"unterminated"),
        OK.replace("nc=00000001", "nc=1"),
        OK.replace("nc=00000001", "nc=0000000g"),
        OK.replace("response=\"0123", "response=\"x123"),
        OK.replace(
            "response=\"0123456789abcdef0123456789abcdef\"",
            "response=\"\"",
        ),
        OK.replace("qop=auth", "qop=\"auth, auth-int\""),
    ];
    for v in syntax {
        let v = if v.starts_with("Digest") {
            v
        } else {
            format!("Digest {v}")
        };
        assert_eq!(
            DigestCredentials::parse(v.as_bytes()),
            Err(HeaderError::Syntax),
            "{v}"
        );
    }
    let dup = format!("Digest {OK}, nc=00000002");
    assert_eq!(
        DigestCredentials::parse(dup.as_bytes()),
        Err(HeaderError::DuplicateParameter)
    );
}

#[test]
fn e13_authentication_info_mixed_commas() {
    let v = br#"nextnonce="40f2e879449675f288476d772627370a",rspauth="7327570c586207eca2afae94fc20903d", cnonce="0a4f113b", nc=00000001, qop=auth"#;
    let a = AuthenticationInfo::parse(v).unwrap();
    assert_eq!(a.nextnonce, Some("40f2e879449675f288476d772627370a"));
    assert_eq!(a.rspauth, Some("7327570c586207eca2afae94fc20903d"));
    assert_eq!(
        (a.cnonce, a.nc, a.qop),
        (Some("0a4f113b"), Some(1), Some("auth"))
    );
    assert_eq!(a.require_rfc4976(), Ok(()));
    assert_eq!(
        w(|b| a.write(b)),
        r#"nextnonce="40f2e879449675f288476d772627370a", rspauth="7327570c586207eca2afae94fc20903d", cnonce="0a4f113b", nc=00000001, qop=auth"#
    );
}

#[test]
fn r4976_061_authentication_info_required_fields() {
    let a = AuthenticationInfo::parse(br#"nextnonce="x""#).unwrap();
    assert_eq!(a.require_rfc4976(), Err(HeaderError::MissingParameter));
    assert_eq!(
        AuthenticationInfo::parse(br#"rspauth="""#).unwrap().rspauth,
        Some("")
    );
    assert_eq!(AuthenticationInfo::parse(b""), Err(HeaderError::Empty));
    assert_eq!(
        AuthenticationInfo::parse(br#"rspauth="zz""#),
        Err(HeaderError::Syntax)
    );
    assert_eq!(
        AuthenticationInfo::parse(br#"qop=auth,,nc=00000001"#),
        Err(HeaderError::Syntax)
    );
    assert_eq!(
        AuthenticationInfo::parse(br#"qop=auth, qop=auth"#),
        Err(HeaderError::DuplicateParameter)
    );
    assert_eq!(
        AuthenticationInfo::default().require_rfc4976(),
        Err(HeaderError::MissingParameter)
    );
    assert_eq!(w(|b| AuthenticationInfo::default().write(b)), "");
}

// ---- Use-Nickname -----------------------------------------------------------------------

#[test]
fn r7701_009_use_nickname() {
    assert_eq!(
        parse_use_nickname(br#""Alice the great""#),
        Ok("Alice the great")
    );
    assert_eq!(parse_use_nickname("\"Zoë ☕\"".as_bytes()), Ok("Zoë ☕"));
    assert_eq!(
        parse_use_nickname(br#""say \"hi\" \\o/""#),
        Ok(r#"say \"hi\" \\o/"#)
    );
    assert_eq!(
        w(|b| write_use_nickname("Alice the great", b)),
        "\"Alice the great\""
    );
}

#[test]
fn p38_e23_empty_nickname_accepted() {
    assert_eq!(parse_use_nickname(br#""""#), Ok(""));
}

#[test]
fn r7701_009_nickname_length_limit() {
    let ok = format!("\"{}\"", "a".repeat(1023));
    assert_eq!(parse_use_nickname(ok.as_bytes()).map(str::len), Ok(1023));
    let long = format!("\"{}\"", "a".repeat(1024));
    assert_eq!(
        parse_use_nickname(long.as_bytes()),
        Err(HeaderError::TooLong)
    );
    // Elements, not octets: 1023 three-octet characters and 1023 escapes fit.
    let wide = format!("\"{}\"", "☕".repeat(1023));
    assert!(parse_use_nickname(wide.as_bytes()).is_ok());
    let esc = format!("\"{}\"", "\\\"".repeat(1023));
    assert!(parse_use_nickname(esc.as_bytes()).is_ok());
    let esc = format!("\"{}\"", "\\\\".repeat(1024));
    assert_eq!(
        parse_use_nickname(esc.as_bytes()),
        Err(HeaderError::TooLong)
    );
}

#[test]
fn nickname_hostile() {
    let cases: &[(&[u8], HeaderError)] = &[
        (b"", HeaderError::Empty),
        (b"Alice", HeaderError::Syntax),
        (b"\"Alice", HeaderError::Syntax),
        (b"\"Ali\"ce\"", HeaderError::Syntax),
        (b"\"Alice\" x", HeaderError::Syntax),
        (b"\"a\\b\"", HeaderError::Syntax),
        (b"\"a\\\"", HeaderError::Syntax),
        (b"\"a\x01b\"", HeaderError::Syntax),
        (b"\"a\x7fb\"", HeaderError::Syntax),
        (b"\"\xff\"", HeaderError::NonUtf8),
        (b"\"\xed\xa0\x80\"", HeaderError::NonUtf8), // surrogate
    ];
    for (v, e) in cases {
        assert_eq!(
            parse_use_nickname(v),
            Err(*e),
            "{}",
            String::from_utf8_lossy(v)
        );
    }
}

// ---- quoted-string helpers --------------------------------------------------------------

#[test]
fn escape_helpers() {
    let mut b = Vec::new();
    escape_into(r#"a "b" \ c"#, &mut b).unwrap();
    assert_eq!(b, br#"a \"b\" \\ c"#);
    let raw = core::str::from_utf8(&b).unwrap();
    assert!(quoted_text_is_valid(raw));
    assert_eq!(unescape(raw).collect::<String>(), r#"a "b" \ c"#);
    assert!(!quoted_text_is_valid("a\"b"));
    assert!(!quoted_text_is_valid("a\\b"));
    assert!(!quoted_text_is_valid("a\\"));
    assert!(!quoted_text_is_valid("a\nb"));
    let mut b = Vec::new();
    assert_eq!(escape_into("a\nb", &mut b), Err(HeaderError::Syntax));
    assert!(b.is_empty());
}

#[test]
fn header_error_display() {
    assert_eq!(
        HeaderError::Overflow.to_string(),
        "number too large in header value"
    );
    let e: Box<dyn std::error::Error> = Box::new(HeaderError::Syntax);
    assert!(!e.to_string().is_empty());
    assert!(size_of::<HeaderError>() == 1);
}
