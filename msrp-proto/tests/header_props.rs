//! Property tests: every writer's output parses back to the same value, and no parser
//! panics on arbitrary input.

use msrp_proto::wire::headers::{
    AuthenticationInfo, ByteRange, ContentType, DigestChallenge, DigestCredentials, FailureReport,
    HeaderError, Status, StatusCode, SuccessReport, escape_into, parse_delta_seconds,
    parse_use_nickname, quoted_text_is_valid, unescape, write_delta_seconds, write_use_nickname,
};
use proptest::prelude::*;

const TOKEN: &str = r"[!#$%&'*+.0-9A-Z^_`a-z{|}~-]{1,12}";
/// Printable text including `"` and `\`, plus HTAB and non-ASCII.
const TEXT: &str = "[ -~\té✓\u{1F600}]{0,24}";

fn escaped(text: &str) -> String {
    let mut v = Vec::new();
    escape_into(text, &mut v).unwrap();
    String::from_utf8(v).unwrap()
}

fn consistent_range() -> impl Strategy<Value = ByteRange> {
    (any::<u64>(), any::<u64>(), any::<bool>(), any::<bool>()).prop_map(
        |(a, b, end_star, total_star)| {
            let total = a.max(b);
            let start = a
                .min(b)
                .saturating_add(1)
                .min(total.saturating_add(1))
                .max(1);
            // Clamp start into 1..=total+1 and end into start-1..=total.
            let end = if end_star {
                None
            } else {
                Some(total.max(start - 1))
            };
            ByteRange {
                start,
                end,
                total: if total_star { None } else { Some(total) },
            }
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn r4975_100_byte_range_round_trip(r in consistent_range()) {
        prop_assert_eq!(r.check(), Ok(()));
        let mut out = Vec::new();
        r.write(&mut out);
        prop_assert_eq!(ByteRange::parse(&out), Ok(r));
    }

    #[test]
    fn r4975_100_byte_range_any_u64_triple(start: u64, end: Option<u64>, total: Option<u64>) {
        // Any numbers write to valid syntax; parse either returns them or says why not.
        let r = ByteRange { start, end, total };
        let mut out = Vec::new();
        r.write(&mut out);
        let expect = r.check().map(|()| r);
        prop_assert_eq!(ByteRange::parse(&out), expect);
        if let Err(e) = expect { prop_assert_eq!(e, HeaderError::Inconsistent); }
    }

    #[test]
    fn r4975_byte_range_whole(len: u64) {
        let mut out = Vec::new();
        ByteRange::whole(len).write(&mut out);
        prop_assert_eq!(ByteRange::parse(&out), Ok(ByteRange::whole(len)));
        prop_assert_eq!(ByteRange::whole(len).len(), Some(len));
    }

    #[test]
    fn r4975_130_status_round_trip(
        namespace in 0u16..1000,
        code in 0u16..1000,
        comment in proptest::option::of("[!-~é✓]([ \t!-~é✓]{0,20}[!-~é✓])?"),
    ) {
        let s = Status { namespace, code: StatusCode(code), comment: comment.as_deref() };
        let mut out = Vec::new();
        s.write(&mut out);
        prop_assert_eq!(Status::parse(&out), Ok(s));
        prop_assert_eq!(StatusCode::parse(&out[4..7]), Ok(StatusCode(code)));
    }

    #[test]
    fn p21_reports_round_trip_any_case(upper in proptest::collection::vec(any::<bool>(), 7)) {
        for r in [SuccessReport::Yes, SuccessReport::No] {
            let mut out = Vec::new();
            r.write(&mut out);
            prop_assert_eq!(SuccessReport::parse(&out), Ok(r));
            let mixed: Vec<u8> = out.iter().zip(&upper).map(|(c, u)| if *u { c.to_ascii_uppercase() } else { *c }).collect();
            prop_assert_eq!(SuccessReport::parse(&mixed), Ok(r));
        }
        for r in [FailureReport::Yes, FailureReport::No, FailureReport::Partial] {
            let mut out = Vec::new();
            r.write(&mut out);
            prop_assert_eq!(FailureReport::parse(&out), Ok(r));
            let mixed: Vec<u8> = out.iter().zip(&upper).map(|(c, u)| if *u { c.to_ascii_uppercase() } else { *c }).collect();
            prop_assert_eq!(FailureReport::parse(&mixed), Ok(r));
        }
    }

    #[test]
    fn r4976_delta_seconds_round_trip(n: u32) {
        let mut out = Vec::new();
        write_delta_seconds(n, &mut out);
        prop_assert_eq!(out.clone(), n.to_string().into_bytes());
        prop_assert_eq!(parse_delta_seconds(&out), Ok(n));
    }

    #[test]
    fn r4976_058_challenge_round_trip(
        realm in TEXT, nonce in TEXT, opaque in proptest::option::of(TEXT),
        qop in proptest::collection::vec(TOKEN, 1..4), stale: bool,
        algorithm in proptest::option::of(TOKEN),
    ) {
        let (realm, nonce, opaque, qop) = (escaped(&realm), escaped(&nonce), opaque.as_deref().map(escaped), qop.join(","));
        let c = DigestChallenge { realm: &realm, nonce: &nonce, qop: &qop, opaque: opaque.as_deref(), stale, algorithm: algorithm.as_deref() };
        let mut out = Vec::new();
        c.write(&mut out);
        prop_assert_eq!(DigestChallenge::parse(&out), Ok(c));
    }

    #[test]
    fn r4976_059_credentials_round_trip(
        username in TEXT, realm in TEXT, nonce in TEXT, cnonce in TEXT,
        uri in proptest::option::of("msrps://[a-z]{1,8}\\.example\\.com:[0-9]{1,5};tcp"),
        response in "[0-9a-f]{32}", qop in TOKEN, nc: u32,
        opaque in proptest::option::of(TEXT), algorithm in proptest::option::of(TOKEN),
    ) {
        let (username, realm, nonce, cnonce, opaque) =
            (escaped(&username), escaped(&realm), escaped(&nonce), escaped(&cnonce), opaque.as_deref().map(escaped));
        let c = DigestCredentials {
            username: &username, realm: &realm, nonce: &nonce, uri: uri.as_deref(), response: &response,
            algorithm: algorithm.as_deref(), cnonce: &cnonce, opaque: opaque.as_deref(), qop: &qop, nc,
        };
        let mut out = Vec::new();
        c.write(&mut out);
        prop_assert_eq!(DigestCredentials::parse(&out), Ok(c));
    }

    #[test]
    fn r4976_061_authentication_info_round_trip(
        nextnonce in proptest::option::of(TEXT), qop in proptest::option::of(TOKEN),
        rspauth in proptest::option::of("[0-9a-f]{0,32}"), cnonce in proptest::option::of(TEXT),
        nc in proptest::option::of(any::<u32>()),
    ) {
        prop_assume!(nextnonce.is_some() || qop.is_some() || rspauth.is_some() || cnonce.is_some() || nc.is_some());
        let (nextnonce, cnonce) = (nextnonce.as_deref().map(escaped), cnonce.as_deref().map(escaped));
        let a = AuthenticationInfo {
            nextnonce: nextnonce.as_deref(), qop: qop.as_deref(), rspauth: rspauth.as_deref(), cnonce: cnonce.as_deref(), nc,
        };
        let mut out = Vec::new();
        a.write(&mut out);
        prop_assert_eq!(AuthenticationInfo::parse(&out), Ok(a));
        // E-13: the same list with bare commas parses to the same value.
        let tight = String::from_utf8(out).unwrap().replace(", ", ",");
        // (Only safe when no quoted text contains ", ".)
        if !nextnonce.as_deref().unwrap_or("").contains(", ") && !cnonce.as_deref().unwrap_or("").contains(", ") {
            prop_assert_eq!(AuthenticationInfo::parse(tight.as_bytes()), Ok(a));
        }
    }

    #[test]
    fn r7701_use_nickname_round_trip(text in "[ -~\té✓]{0,60}") {
        let raw = escaped(&text);
        prop_assert!(quoted_text_is_valid(&raw));
        let mut out = Vec::new();
        write_use_nickname(&raw, &mut out);
        prop_assert_eq!(parse_use_nickname(&out), Ok(raw.as_str()));
        prop_assert_eq!(unescape(&raw).collect::<String>(), text);
    }

    #[test]
    fn content_type_params_round_trip(
        ty in TOKEN, sub in TOKEN,
        params in proptest::collection::vec((TOKEN, prop_oneof![TOKEN.prop_map(|t| (t, false)), TEXT.prop_map(|t| (escaped(&t), true))]), 0..4),
    ) {
        let mut s = format!("{ty}/{sub}");
        for (n, (v, quoted)) in &params {
            if *quoted { s.push_str(&format!("; {n}=\"{v}\"")) } else { s.push_str(&format!(";{n}={v}")) }
        }
        let ct = ContentType::parse(s.as_bytes()).unwrap();
        prop_assert_eq!(ct.type_(), ty.as_str());
        prop_assert_eq!(ct.subtype(), sub.as_str());
        let essence = format!("{ty}/{sub}").to_ascii_uppercase();
        prop_assert!(ct.eq_ignore_params(&essence));
        let got: Vec<(&str, &str)> = ct.params().collect();
        let want: Vec<(&str, &str)> = params.iter().map(|(n, (v, _))| (n.as_str(), v.as_str())).collect();
        prop_assert_eq!(got, want);
    }

    /// No parser panics, whatever the bytes (R4975-236: hostile input is an error).
    #[test]
    fn parsers_never_panic(v in proptest::collection::vec(any::<u8>(), 0..64)) {
        let _ = ByteRange::parse(&v);
        let _ = Status::parse(&v);
        let _ = StatusCode::parse(&v);
        let _ = SuccessReport::parse(&v);
        let _ = FailureReport::parse(&v);
        let _ = ContentType::parse(&v).map(|c| c.params().count());
        let _ = parse_delta_seconds(&v);
        let _ = DigestChallenge::parse(&v);
        let _ = DigestCredentials::parse(&v);
        let _ = AuthenticationInfo::parse(&v);
        let _ = parse_use_nickname(&v);
    }

    /// Same, with inputs built from the characters that matter to the grammars.
    #[test]
    fn parsers_never_panic_structured(v in "(Digest |[\"\\\\,;=/ *0-9a-z-]|\u{e9}|realm=|nonce=|qop=|nc=|response=){0,24}") {
        let v = v.as_bytes();
        let _ = ByteRange::parse(v);
        let _ = Status::parse(v);
        let _ = ContentType::parse(v).map(|c| c.params().count());
        let _ = DigestChallenge::parse(v);
        let _ = DigestCredentials::parse(v);
        let _ = AuthenticationInfo::parse(v);
        let _ = parse_use_nickname(v);
    }
}
