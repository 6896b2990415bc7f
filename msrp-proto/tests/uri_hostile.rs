//! Malformed and hostile URIs: each is rejected with the precise error, by every entry
//! point, and nothing panics (R4975-041, -042, -044, -047; G-5, G-6).

use msrp_proto::uri::{MAX_URI_LEN, Uri, UriError, UriRef, path_iter};

/// What `parse_lenient` does with a row.
#[derive(Clone, Copy)]
enum Lenient {
    /// Rejects it with the same error as `parse`.
    Same,
    /// Accepts it (the documented leniencies: unbracketed IPv6, IP without port).
    Accepts,
    /// Rejects it with another error.
    Err(UriError),
}

use Lenient::{Accepts, Same};

/// (input, error from `parse`, what `parse_lenient` does)
#[rustfmt::skip]
const HOSTILE: &[(&[u8], UriError, Lenient)] = &[
    (b"msrp://h\xc3\xa9.example.com:1/s;tcp", UriError::NonAscii, Same),
    (b"msrp://h.example.com:1/s\x80;tcp", UriError::NonAscii, Same),
    (b"msrp://h.example.com:1/s;tcp\xff", UriError::NonAscii, Same),
    (b"msrp://user:pw@h.example.com:1/s;tcp", UriError::PasswordInUserinfo, Same),
    (b"msrp://:pw@h.example.com:1/s;tcp", UriError::PasswordInUserinfo, Same),
    (b"msrp://u%2@h:1/s;tcp", UriError::BadPercentEncoding, Same),
    (b"msrp://u\"@h:1/s;tcp", UriError::BadUserinfo, Same),
    (b"msrp:///s;tcp", UriError::EmptyHost, Same),
    (b"msrp://:2855/s;tcp", UriError::EmptyHost, Same),
    (b"msrp://bob@:2855/s;tcp", UriError::EmptyHost, Same),
    (b"msrp://h:65536/s;tcp", UriError::BadPort, Same),
    (b"msrp://h:99999999999999999999/s;tcp", UriError::BadPort, Same),
    (b"msrp://h:-1/s;tcp", UriError::BadPort, Same),
    (b"msrp://h:/s;tcp", UriError::BadPort, Same),
    (b"msrp://[v7.abc]:2855/s;tcp", UriError::IpvFuture, Same),
    (b"msrp://[::1:2855/s;tcp", UriError::BadIpv6, Same),
    (b"msrp://[::1%25eth0]:2855/s;tcp", UriError::BadIpv6, Same),
    (b"msrp://[1:2:3:4:5:6:7:8:9]:2855/s;tcp", UriError::BadIpv6, Same),
    (b"msrp://[192.0.2.1]:2855/s;tcp", UriError::BadIpv6, Same),
    (b"msrp://2001:db8::1:2855/s;tcp", UriError::UnbracketedIpv6, Accepts),
    (b"msrp://h:1:2/s;tcp", UriError::BadHost, Lenient::Err(UriError::BadIpv6)),
    (b"msrp://192.0.2.1/s;tcp", UriError::IpWithoutPort, Accepts),
    (b"msrp://[::1]:2855x/s;tcp", UriError::BadPort, Same),
    (b"msrp://h.example.com:1/s", UriError::MissingTransport, Same),
    (b"msrp://h.example.com:1", UriError::MissingTransport, Same),
    (b"msrp://h.example.com:1/s;", UriError::MissingTransport, Same),
    (b"msrp://h.example.com:1/s;t_c_p", UriError::BadTransport, Same),
    (b"msrp://h.example.com:1/s;tcp/x", UriError::BadTransport, Same),
    (b"msrp://h.example.com:1/s%41;tcp", UriError::BadSessionId, Same),
    (b"msrp://h.example.com:1/;tcp", UriError::BadSessionId, Same),
    (b"msrp://h.example.com:1/a b;tcp", UriError::BadSessionId, Same),
    (b"msrp://h.example.com:1/s;tcp;a b", UriError::BadParam, Same),
    (b"msrp://h.example.com:1/s;tcp;=v", UriError::BadParam, Same),
    (b"msrp://h.example.com:1/s;tcp;;", UriError::BadParam, Same),
    (b"http://h.example.com:1/s;tcp", UriError::BadScheme, Same),
    (b"msrpss://h.example.com:1/s;tcp", UriError::BadScheme, Same),
    (b"msrp:h.example.com:1/s;tcp", UriError::BadScheme, Same),
    (b" msrp://h.example.com:1/s;tcp", UriError::BadScheme, Same),
    (b"msrp://h.exa\tmple.com:1/s;tcp", UriError::BadHost, Same),
    (b"msrp://h.exa\0mple.com:1/s;tcp", UriError::BadHost, Same),
    (b"msrp://a@b@h:1/s;tcp", UriError::BadHost, Same),
    (b"msrp://h.example.com:1/s;tcp\r\n", UriError::BadTransport, Same),
    (b"", UriError::Empty, Same),
];

#[test]
fn r4975_041_hostile_uris_rejected_with_precise_error() {
    assert!(HOSTILE.len() >= 15);
    for &(input, strict, lenient) in HOSTILE {
        let shown = String::from_utf8_lossy(input);
        assert_eq!(
            UriRef::parse_bytes(input).err(),
            Some(strict),
            "parse_bytes {shown:?}"
        );
        let lenient_result = UriRef::parse_bytes_lenient(input).err();
        let expected = match lenient {
            Same => Some(strict),
            Accepts => None,
            Lenient::Err(e) => Some(e),
        };
        assert_eq!(lenient_result, expected, "parse_lenient {shown:?}");
        if let Ok(s) = std::str::from_utf8(input) {
            let e = if s.is_ascii() {
                strict
            } else {
                UriError::NonAscii
            };
            assert_eq!(UriRef::parse(s).err(), Some(e), "parse {s:?}");
            assert_eq!(Uri::parse(s).err(), Some(e), "Uri::parse {s:?}");
            assert_eq!(s.parse::<Uri>().err(), Some(e), "FromStr {s:?}");
        }
    }
}

#[test]
fn r4975_042_every_high_octet_rejected_everywhere() {
    let good = b"msrps://bob@[2001:db8::1]:2855/ab+c=d/e;tcp;x=y";
    assert!(UriRef::parse_bytes(good).is_ok());
    for pos in 0..good.len() {
        for bad in [0x80u8, 0xA0, 0xC0, 0xFF] {
            let mut b = good.to_vec();
            b[pos] = bad;
            assert_eq!(UriRef::parse_bytes(&b).err(), Some(UriError::NonAscii));
            assert_eq!(
                UriRef::parse_bytes_lenient(&b).err(),
                Some(UriError::NonAscii)
            );
            assert_eq!(
                path_iter(&b).next().unwrap().err(),
                Some(UriError::NonAscii)
            );
        }
    }
}

#[test]
fn oversized_input_is_rejected_without_work() {
    let mut s = String::from("msrp://h:1/");
    s.push_str(&"a".repeat(MAX_URI_LEN));
    s.push_str(";tcp");
    assert_eq!(UriRef::parse(&s).err(), Some(UriError::TooLong));
    // just below the limit is fine
    let mut s = String::from("msrp://h:1/");
    s.push_str(&"a".repeat(MAX_URI_LEN - 15));
    s.push_str(";tcp");
    assert_eq!(
        UriRef::parse(&s).unwrap().session_id().unwrap().len(),
        MAX_URI_LEN - 15
    );
}

#[test]
fn many_params_and_separators_do_not_panic() {
    let mut s = String::from("msrp://h:1/s;tcp");
    for i in 0..2000 {
        s.push_str(&format!(";p{i}=v{i}"));
    }
    let u = UriRef::parse(&s).unwrap();
    assert_eq!(u.params().count(), 2000);
    assert_eq!(u.param("p1999"), Some(Some("v1999")));
    let colons = format!("msrp://{}/s;tcp", ":".repeat(500));
    assert!(UriRef::parse(&colons).is_err());
    assert!(UriRef::parse_lenient(&colons).is_err());
    let brackets = format!("msrp://{}/s;tcp", "[".repeat(500));
    assert!(UriRef::parse(&brackets).is_err());
    let pcts = format!("msrp://{}:1/s;tcp", "%".repeat(500));
    assert_eq!(
        UriRef::parse(&pcts).err(),
        Some(UriError::BadPercentEncoding)
    );
}
