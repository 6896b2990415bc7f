//! Every typed header value that occurs in the RFC wire examples (`shared/vectors/*.msrp`)
//! parses, and writing the parsed value reproduces the original wherever the original is
//! in canonical form.

use msrp_proto::wire::headers::{
    AuthenticationInfo, ByteRange, ContentType, DigestChallenge, DigestCredentials, FailureReport,
    HeaderError, Status, SuccessReport, parse_delta_seconds, parse_use_nickname,
    write_delta_seconds, write_use_nickname,
};
use std::collections::BTreeMap;

const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/vectors");

/// Values printed in the RFCs in a form our writers do not emit (parameter order or
/// separators differ); they must still parse and survive a parse/write/parse round trip.
const NON_CANONICAL: &[&str] = &[
    // RFC 7977 §8.1.2: `realm, nonce, qop` order (RFC 4976 uses `realm, qop, nonce`).
    r#"Digest realm="example.com", nonce="UvtfpVL7XnnJ63EE244fXDthfLihlMHOY4+dd4A=", qop="auth""#,
    // RFC 7977 §8.1.2: `uri, response, qop, cnonce, nc` order.
    r#"Digest username="alice", realm="example.com", nonce="UvtfpVL7XnnJ63EE244fXDthfLihlMHOY4+dd4A=", uri="msrps://alice@a.example.com:443;ws", response="5011d0d58fe975e0d0cdc007ae26f4b7", qop=auth, cnonce="zic5ml401prb", nc=00000001"#,
    // RFC 4976 §5.1 (E-13): first separator `,` without SP.
    r#"nextnonce="40f2e879449675f288476d772627370a",rspauth="7327570c586207eca2afae94fc20903d", cnonce="0a4f113b", nc=00000001, qop=auth"#,
];

/// Parses `value` as header `name`; returns the canonical re-encoding and whether
/// re-parsing it gives the same typed value. `None` = not a typed header.
fn check(name: &str, value: &[u8]) -> Option<Result<(Vec<u8>, bool), HeaderError>> {
    let mut out = Vec::new();
    let r = match name.to_ascii_lowercase().as_str() {
        "byte-range" => ByteRange::parse(value).map(|v| {
            v.write(&mut out);
            ByteRange::parse(&out) == Ok(v)
        }),
        "status" => Status::parse(value).map(|v| {
            v.write(&mut out);
            Status::parse(&out) == Ok(v)
        }),
        "success-report" => SuccessReport::parse(value).map(|v| {
            v.write(&mut out);
            SuccessReport::parse(&out) == Ok(v)
        }),
        "failure-report" => FailureReport::parse(value).map(|v| {
            v.write(&mut out);
            FailureReport::parse(&out) == Ok(v)
        }),
        "content-type" => ContentType::parse(value).map(|v| {
            v.write(&mut out);
            ContentType::parse(&out).map(|c| (c.media_type(), c.params().count()))
                == Ok((v.media_type(), v.params().count()))
        }),
        "expires" | "min-expires" | "max-expires" => parse_delta_seconds(value).map(|v| {
            write_delta_seconds(v, &mut out);
            parse_delta_seconds(&out) == Ok(v)
        }),
        "www-authenticate" => DigestChallenge::parse(value).map(|v| {
            v.write(&mut out);
            DigestChallenge::parse(&out) == Ok(v)
        }),
        "authorization" => DigestCredentials::parse(value).map(|v| {
            v.write(&mut out);
            DigestCredentials::parse(&out) == Ok(v)
        }),
        "authentication-info" => AuthenticationInfo::parse(value).map(|v| {
            v.write(&mut out);
            AuthenticationInfo::parse(&out) == Ok(v)
        }),
        "use-nickname" => parse_use_nickname(value).map(|v| {
            write_use_nickname(v, &mut out);
            parse_use_nickname(&out) == Ok(v)
        }),
        _ => return None,
    };
    Some(r.map(|same| (out, same)))
}

#[test]
fn every_vector_header_value_parses_and_round_trips() {
    let mut files: Vec<_> = std::fs::read_dir(VECTORS)
        .expect("shared/vectors next to the workspace")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "msrp"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 60,
        "expected the RFC vectors, found {}",
        files.len()
    );

    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut canonical = 0;
    let mut failures = Vec::new();
    for path in &files {
        let data = std::fs::read(path).unwrap();
        // Naive: every CRLF-separated line that looks like `Name: value` (bodies included).
        for line in data.split(|&b| b == b'\n') {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let Some(colon) = line.windows(2).position(|w| w == b": ") else {
                continue;
            };
            let Ok(name) = std::str::from_utf8(&line[..colon]) else {
                continue;
            };
            let value = &line[colon + 2..];
            let Some(result) = check(name, value) else {
                continue;
            };
            *seen.entry(name.to_ascii_lowercase()).or_default() += 1;
            let shown = String::from_utf8_lossy(value).into_owned();
            match result {
                Err(e) => failures.push(format!("{}: {name}: {shown}: {e:?}", path.display())),
                Ok((_, false)) => failures.push(format!(
                    "{}: {name}: {shown}: re-parse differs",
                    path.display()
                )),
                Ok((out, true)) if out == value => canonical += 1,
                Ok((out, true)) => {
                    if !NON_CANONICAL.contains(&shown.as_str()) {
                        failures.push(format!(
                            "{}: {name}: {shown}: wrote {}",
                            path.display(),
                            String::from_utf8_lossy(&out)
                        ));
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    for name in [
        "byte-range",
        "status",
        "success-report",
        "failure-report",
        "content-type",
        "expires",
        "www-authenticate",
        "authorization",
        "authentication-info",
        "use-nickname",
    ] {
        assert!(
            seen.get(name).copied().unwrap_or(0) > 0,
            "no {name} value found in the vectors: {seen:?}"
        );
    }
    let total: usize = seen.values().sum();
    assert!(total >= 100, "only {total} header values checked: {seen:?}");
    assert!(canonical >= total - 4, "{canonical} of {total} canonical");
}

#[test]
fn vector_values_typed_spot_checks() {
    // rfc4975-5.1-01/02: the two chunks of "abcdEFGH".
    assert_eq!(
        ByteRange::parse(b"1-*/8"),
        Ok(ByteRange {
            start: 1,
            end: None,
            total: Some(8)
        })
    );
    assert_eq!(
        ByteRange::parse(b"5-8/8"),
        Ok(ByteRange {
            start: 5,
            end: Some(8),
            total: Some(8)
        })
    );
    // rfc7977-8.1.2-05: `uri` present (P-28).
    let c = DigestCredentials::parse(NON_CANONICAL[1].as_bytes()).unwrap();
    assert_eq!(c.uri, Some("msrps://alice@a.example.com:443;ws"));
    assert_eq!(c.nonce, "UvtfpVL7XnnJ63EE244fXDthfLihlMHOY4+dd4A=");
    assert_eq!(c.nc, 1);
    // rfc4976-5.1-04 (E-13).
    let a = AuthenticationInfo::parse(NON_CANONICAL[2].as_bytes()).unwrap();
    assert_eq!(a.require_rfc4976(), Ok(()));
    assert_eq!(
        parse_use_nickname(br#""Alice in Wonderland""#),
        Ok("Alice in Wonderland")
    );
}
