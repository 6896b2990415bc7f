//! Unit tests, named after the requirement they check (digest §2.1.4, §3, §2.7).

use super::*;
use crate::rand::SeededRandom;
use std::collections::hash_map::DefaultHasher;

fn p(s: &str) -> UriRef<'_> {
    UriRef::parse(s).unwrap_or_else(|e| panic!("{s:?} should parse: {e}"))
}

fn eqv(a: &str, b: &str) -> bool {
    let (a, b) = (p(a), p(b));
    let ab = a.matches(&b);
    assert_eq!(ab, b.matches(&a), "matches() must be symmetric");
    if ab {
        assert_eq!(hash_of(&a), hash_of(&b), "equal URIs must hash equally");
    }
    ab
}

fn hash_of<T: Hash>(t: &T) -> u64 {
    let mut h = DefaultHasher::new();
    t.hash(&mut h);
    h.finish()
}

#[test]
fn r4975_040_session_uri_vs_device_uri() {
    let session = p("msrps://relay.example.com:9000/hjdhfha;tcp");
    assert_eq!(session.session_id(), Some("hjdhfha"));
    let device = p("msrps://extra.example.com;tcp");
    assert_eq!(device.session_id(), None);
    assert_eq!(device.port(), None);
    assert_eq!(device.host(), Host::Name("extra.example.com"));
}

#[test]
fn r4975_041_parses_typical_uri() {
    let u = p("msrp://host.example.com:8493/asfd34;tcp");
    assert_eq!(u.scheme(), Scheme::Msrp);
    assert_eq!(u.userinfo(), None);
    assert_eq!(u.host(), Host::Name("host.example.com"));
    assert_eq!(u.host_str(), "host.example.com");
    assert_eq!(u.port(), Some(8493));
    assert_eq!(u.session_id(), Some("asfd34"));
    assert_eq!(u.transport(), "tcp");
    assert_eq!(u.params().count(), 0);
    assert_eq!(u.as_str(), "msrp://host.example.com:8493/asfd34;tcp");
}

#[test]
fn r4975_041_all_components() {
    let u = p("MSRPS://bob@[2001:DB8::1]:2855/a+b=c/d_~.-;WS;x=1;flag;Y=Z");
    assert_eq!(u.scheme(), Scheme::Msrps);
    assert_eq!(u.userinfo(), Some("bob"));
    assert_eq!(u.host(), Host::Ipv6("2001:db8::1".parse().unwrap()));
    assert_eq!(u.host_str(), "2001:DB8::1");
    assert_eq!(u.port(), Some(2855));
    assert_eq!(u.session_id(), Some("a+b=c/d_~.-"));
    assert_eq!(u.transport(), "WS");
    let params: Vec<_> = u.params().collect();
    assert_eq!(params, [("x", Some("1")), ("flag", None), ("Y", Some("Z"))]);
    assert_eq!(u.param("y"), Some(Some("Z")));
    assert_eq!(u.param("FLAG"), Some(None));
    assert_eq!(u.param("nope"), None);
}

#[test]
fn r4975_041_ipv4_host_and_reg_name_lookalikes() {
    assert_eq!(
        p("msrp://192.0.2.1:1/s;tcp").host(),
        Host::Ipv4(Ipv4Addr::new(192, 0, 2, 1))
    );
    // RFC 3986 §3.2.2: what is not a valid IPv4address is a reg-name
    assert_eq!(
        p("msrp://192.0.2.256:1/s;tcp").host(),
        Host::Name("192.0.2.256")
    );
    assert_eq!(p("msrp://01.2.3.4:1/s;tcp").host(), Host::Name("01.2.3.4"));
    assert_eq!(p("msrp://1.2.3:1/s;tcp").host(), Host::Name("1.2.3"));
}

#[test]
fn r4975_041_invalid_uris_rejected() {
    let table: &[(&str, UriError)] = &[
        ("", UriError::Empty),
        ("sip://h:1/s;tcp", UriError::BadScheme),
        ("msrp:/h:1/s;tcp", UriError::BadScheme),
        ("msrp://h:1/s", UriError::MissingTransport),
        ("msrp://h:1/s;", UriError::MissingTransport),
        ("msrp://h:1", UriError::MissingTransport),
        ("msrp://h:1/;tcp", UriError::BadSessionId),
        ("msrp://h:1/s;t-cp", UriError::BadTransport),
        ("msrp://h:1/s;tcp;", UriError::BadParam),
        ("msrp://h:1/s;tcp;a=b=c", UriError::BadParam),
        ("msrp://h:1/s;tcp;a=", UriError::BadParam),
        ("msrp://h:/s;tcp", UriError::BadPort),
        ("msrp://h:x/s;tcp", UriError::BadPort),
        ("msrp://h:1 /s;tcp", UriError::BadPort),
        ("msrp://h h:1/s;tcp", UriError::BadHost),
        ("msrp://h%2:1/s;tcp", UriError::BadPercentEncoding),
        ("msrp://[v1.x]:1/s;tcp", UriError::IpvFuture),
        ("msrp://[::1]x:1/s;tcp", UriError::BadHost),
        ("msrp://[]:1/s;tcp", UriError::EmptyHost),
    ];
    for &(s, e) in table {
        assert_eq!(UriRef::parse(s).map(|u| u.as_str()), Err(e), "{s:?}");
    }
}

#[test]
fn r4975_042_non_ascii_rejected() {
    assert_eq!(
        UriRef::parse("msrp://hé.example.com:1/s;tcp").err(),
        Some(UriError::NonAscii)
    );
    for bad in [0x80u8, 0xC3, 0xFF] {
        let mut b = b"msrp://h.example.com:1/s;tcp".to_vec();
        b[8] = bad;
        assert_eq!(
            UriRef::parse_bytes(&b).err(),
            Some(UriError::NonAscii),
            "{bad:#x}"
        );
        assert_eq!(
            UriRef::parse_bytes_lenient(&b).err(),
            Some(UriError::NonAscii)
        );
    }
    assert!(UriRef::parse_bytes(b"msrp://h.example.com:1/s;tcp").is_ok());
}

#[test]
fn r4975_043_generated_uris_carry_transport() {
    let mut rng = SeededRandom::new(43);
    for t in ["tcp", "ws", "dc"] {
        let u = Uri::generate(Scheme::Msrps, "a.example.com", 2855, t, &mut rng).unwrap();
        assert!(u.as_str().ends_with(&format!(";{t}")), "{u}");
        assert_eq!(u.as_ref().transport(), t);
    }
    assert_eq!(
        Uri::generate(Scheme::Msrp, "h", 1, "", &mut rng).err(),
        Some(UriError::MissingTransport)
    );
    assert_eq!(
        Uri::generate(Scheme::Msrp, "h", 1, "tcp;x", &mut rng).err(),
        Some(UriError::BadTransport)
    );
}

#[test]
fn r4975_044_numeric_ip_requires_port() {
    assert_eq!(
        UriRef::parse("msrp://192.0.2.1/s;tcp").err(),
        Some(UriError::IpWithoutPort)
    );
    assert_eq!(
        UriRef::parse("msrp://[2001:db8::1]/s;tcp").err(),
        Some(UriError::IpWithoutPort)
    );
    // lenient parsing keeps it readable; session validation still refuses it
    let u = UriRef::parse_lenient("msrp://192.0.2.1/s;tcp").unwrap();
    assert_eq!(u.check_session_uri(), Err(UriError::MissingPort));
    // host names may lack a port in plain parsing (AUTH To-Path, RFC 4976 §8)
    assert_eq!(p("msrps://relay.example.com;tcp").port(), None);
}

#[test]
fn r4975_047_password_in_userinfo_rejected() {
    assert_eq!(
        UriRef::parse("msrp://user:pw@h:1/s;tcp").err(),
        Some(UriError::PasswordInUserinfo)
    );
    assert_eq!(
        UriRef::parse("msrp://user:@h:1/s;tcp").err(),
        Some(UriError::PasswordInUserinfo)
    );
    assert_eq!(
        UriRef::parse_lenient("msrp://user:pw@h:1/s;tcp").err(),
        Some(UriError::PasswordInUserinfo)
    );
    assert_eq!(
        p("msrp://us%65r.name!@h:1/s;tcp").userinfo(),
        Some("us%65r.name!")
    );
    assert_eq!(
        UriRef::parse("msrp://us[er@h:1/s;tcp").err(),
        Some(UriError::BadUserinfo)
    );
    // generate never produces userinfo
    let mut rng = SeededRandom::new(47);
    assert_eq!(
        Uri::generate(Scheme::Msrp, "user:pw@h", 1, "tcp", &mut rng).err(),
        Some(UriError::PasswordInUserinfo)
    );
    assert_eq!(
        Uri::generate(Scheme::Msrp, "user@h", 1, "tcp", &mut rng).err(),
        Some(UriError::BadHost)
    );
}

#[test]
fn r4975_048_scheme_case_insensitive_and_msrp_ne_msrps() {
    assert!(eqv("MSRP://h:1/s;tcp", "msrp://h:1/s;tcp"));
    assert!(eqv("Msrps://h:1/s;tcp", "msrps://h:1/s;tcp"));
    assert!(!eqv("msrp://h:1/s;tcp", "msrps://h:1/s;tcp"));
}

#[test]
fn r4975_049_ip_addresses_compared_as_addresses() {
    assert!(eqv(
        "msrp://[2001:DB8:0::1]:2855/s;tcp",
        "msrp://[2001:db8::1]:2855/s;tcp"
    ));
    assert!(eqv(
        "msrp://[2001:0db8:0:0:0:0:0:0001]:1/s;tcp",
        "msrp://[2001:db8::1]:1/s;tcp"
    ));
    assert!(!eqv(
        "msrp://[2001:db8::1]:1/s;tcp",
        "msrp://[2001:db8::2]:1/s;tcp"
    ));
    assert!(eqv("msrp://192.0.2.1:1/s;tcp", "msrp://192.0.2.1:1/s;tcp"));
    assert!(!eqv("msrp://192.0.2.1:1/s;tcp", "msrp://192.0.2.2:1/s;tcp"));
    // IPv4-mapped IPv6 is a different address family: not equal (module docs)
    assert!(!eqv(
        "msrp://[::ffff:192.0.2.1]:1/s;tcp",
        "msrp://192.0.2.1:1/s;tcp"
    ));
    // ports compared numerically
    assert!(eqv("msrp://h:02855/s;tcp", "msrp://h:2855/s;tcp"));
    assert!(!eqv("msrp://h:2855/s;tcp", "msrp://h:2856/s;tcp"));
}

#[test]
fn r4975_050_percent_encoded_unreserved_decoded_in_authority() {
    assert!(eqv(
        "msrp://%61lice.example.com:1/s;tcp",
        "msrp://alice.example.com:1/s;tcp"
    ));
    assert!(eqv(
        "msrp://%41lice.example.com:1/s;tcp",
        "msrp://alice.example.com:1/s;tcp"
    ));
    assert!(eqv("msrp://%7e%2D.x:1/s;tcp", "msrp://~-.x:1/s;tcp"));
    // a percent-encoded reserved character is not its literal, but hex case is irrelevant
    assert!(!eqv("msrp://a%21b:1/s;tcp", "msrp://a!b:1/s;tcp"));
    assert!(eqv("msrp://a%2cb:1/s;tcp", "msrp://a%2Cb:1/s;tcp"));
}

#[test]
fn r4975_051_userinfo_ignored() {
    assert!(eqv("msrp://bob@h:1/x;tcp", "msrp://h:1/x;tcp"));
    assert!(eqv("msrp://bob@h:1/x;tcp", "msrp://alice@h:1/x;tcp"));
}

#[test]
fn r4975_052_host_case_insensitive_no_dns() {
    assert!(eqv(
        "msrp://HOST.example.com:1/s;tcp",
        "msrp://host.example.com:1/s;tcp"
    ));
    assert!(!eqv("msrp://localhost:1/s;tcp", "msrp://127.0.0.1:1/s;tcp"));
    assert!(!eqv(
        "msrp://host.example.com:1/s;tcp",
        "msrp://host.example.org:1/s;tcp"
    ));
    assert!(!eqv("msrp://h:1/s;tcp", "msrp://hh:1/s;tcp"));
}

#[test]
fn r4975_053_explicit_port_never_equals_absent() {
    assert!(!eqv("msrp://h:2855/s;tcp", "msrp://h/s;tcp"));
    assert!(!eqv(
        "msrps://df7jal23ls0d.invalid:2855/98cjs;ws",
        "msrps://df7jal23ls0d.invalid/98cjs;ws"
    ));
    assert!(eqv("msrp://h/s;tcp", "msrp://h/s;tcp"));
}

#[test]
fn r4975_054_session_id_case_sensitive() {
    assert!(!eqv("msrp://h:1/AbC;tcp", "msrp://h:1/abc;tcp"));
    assert!(eqv("msrp://h:1/AbC;tcp", "msrp://h:1/AbC;tcp"));
    assert!(!eqv("msrp://h:1/abc;tcp", "msrp://h:1;tcp"));
}

#[test]
fn r4975_055_transport_compared_case_insensitively() {
    assert!(eqv("msrp://h:1/s;tcp", "msrp://h:1/s;TCP"));
    assert!(!eqv("msrp://h:1/s;tcp", "msrp://h:1/s;ws"));
}

#[test]
fn r4975_056_no_path_normalisation_of_session_id() {
    assert_eq!(p("msrp://h:1/a/./b;tcp").session_id(), Some("a/./b"));
    assert!(!eqv("msrp://h:1/a/./b;tcp", "msrp://h:1/a/b;tcp"));
    assert!(!eqv("msrp://h:1/a/../b;tcp", "msrp://h:1/b;tcp"));
    assert!(!eqv("msrp://h:1/a/;tcp", "msrp://h:1/a;tcp"));
}

#[test]
fn p_11_other_uri_params_ignored() {
    assert!(eqv("msrp://h:1/s;tcp;foo=bar", "msrp://h:1/s;tcp"));
    assert!(eqv("msrp://h:1/s;tcp;foo=bar", "msrp://h:1/s;tcp;foo=baz"));
}

#[test]
fn g_5_authority_ends_at_first_slash_or_semicolon() {
    let u = p("msrps://host;tcp");
    assert_eq!(u.host_str(), "host");
    assert_eq!(u.transport(), "tcp");
    assert_eq!(u.session_id(), None);
    let u = p("msrp://a!$&'()*+,=:7/s;tcp");
    assert_eq!(u.host_str(), "a!$&'()*+,=");
    assert_eq!(u.port(), Some(7));
}

#[test]
fn g_6_session_id_split_at_first_semicolon_never_at_slash() {
    let u = p("msrp://h:1/a/b/c;tcp;x");
    assert_eq!(u.session_id(), Some("a/b/c"));
    assert_eq!(u.transport(), "tcp");
    assert_eq!(
        UriRef::parse("msrp://h:1/a%20b;tcp").err(),
        Some(UriError::BadSessionId)
    );
    assert_eq!(
        UriRef::parse("msrp://h:1/a:b;tcp").err(),
        Some(UriError::BadSessionId)
    );
}

#[test]
fn r4975_176_check_session_uri() {
    assert_eq!(p("msrp://h:1/s;tcp").check_session_uri(), Ok(()));
    assert_eq!(
        p("msrp://h/s;tcp").check_session_uri(),
        Err(UriError::MissingPort)
    );
    assert_eq!(
        p("msrp://h:0/s;tcp").check_session_uri(),
        Err(UriError::BadPort)
    );
    assert_eq!(
        p("msrp://h:1;tcp").check_session_uri(),
        Err(UriError::MissingSessionId)
    );
    assert_eq!(
        p("msrps://alice@intra.example.com;tcp").check_session_uri(),
        Err(UriError::MissingPort)
    );
}

#[test]
fn r4976_008_use_path_uri_fqdn_and_port() {
    assert_eq!(
        p("msrps://intra.example.com:9000/jui787s2f;tcp").check_use_path_uri(),
        Ok(())
    );
    assert_eq!(
        p("msrps://192.0.2.1:9000/j;tcp").check_use_path_uri(),
        Err(UriError::NumericHost)
    );
    assert_eq!(
        p("msrps://intra.example.com/j;tcp").check_use_path_uri(),
        Err(UriError::MissingPort)
    );
}

#[test]
fn r4975_230_generated_session_id_entropy() {
    let mut rng = SeededRandom::new(230);
    let a = Uri::generate(Scheme::Msrp, "alice.example.com", 7777, "tcp", &mut rng).unwrap();
    let b = Uri::generate(Scheme::Msrp, "alice.example.com", 7777, "tcp", &mut rng).unwrap();
    for u in [&a, &b] {
        let sid = u.as_ref().session_id().unwrap();
        assert_eq!(sid.len(), GENERATED_SESSION_ID_LEN);
        assert!(sid.bytes().all(|c| c.is_ascii_alphanumeric()));
        assert_eq!(u.as_ref().check_session_uri(), Ok(()));
    }
    // 16 base62 characters: 16 * log2(62) ≈ 95.3 bits ≥ 80
    assert!(GENERATED_SESSION_ID_LEN as f64 * 62f64.log2() >= 80.0);
    assert_ne!(a, b);
    let c = Uri::generate(Scheme::Msrps, "h", 1, "tcp", &mut crate::rand::OsRandom).unwrap();
    assert_eq!(c.as_ref().scheme(), Scheme::Msrps);
}

#[test]
fn r5952_generate_writes_ipv6_bracketed_canonical() {
    let mut rng = SeededRandom::new(5952);
    for host in ["2001:0DB8:0:0:0:0:2:1", "[2001:db8::2:1]"] {
        let u = Uri::generate(Scheme::Msrp, host, 2855, "tcp", &mut rng).unwrap();
        assert!(
            u.as_str().starts_with("msrp://[2001:db8::2:1]:2855/"),
            "{u}"
        );
    }
    let u = Uri::generate(Scheme::Msrp, "192.0.2.1", 2855, "tcp", &mut rng).unwrap();
    assert_eq!(u.as_ref().host(), Host::Ipv4(Ipv4Addr::new(192, 0, 2, 1)));
    assert_eq!(
        Uri::generate(Scheme::Msrp, "[nope]", 1, "tcp", &mut rng).err(),
        Some(UriError::BadIpv6)
    );
    assert_eq!(
        Uri::generate(Scheme::Msrp, "h", 0, "tcp", &mut rng).err(),
        Some(UriError::BadPort)
    );
}

#[test]
fn e_24_lenient_recovers_unbracketed_ipv6() {
    let s = "msrps://2001:db8::1:51444/di551fsaodes;dc";
    assert_eq!(UriRef::parse(s).err(), Some(UriError::UnbracketedIpv6));
    let u = UriRef::parse_lenient(s).unwrap();
    assert_eq!(u.host(), Host::Ipv6("2001:db8::1".parse().unwrap()));
    assert_eq!(u.host_str(), "2001:db8::1");
    assert_eq!(u.port(), Some(51444));
    assert_eq!(u.session_id(), Some("di551fsaodes"));
    assert_eq!(u.transport(), "dc");
    assert!(u.matches(&p("msrps://[2001:db8::1]:51444/di551fsaodes;dc")));
    // no valid port after the last ':' → the whole text is the address
    let u = UriRef::parse_lenient("msrps://2001:db8::1/x;dc").unwrap();
    assert_eq!(u.port(), None);
    assert_eq!(
        UriRef::parse_lenient("msrps://2001:zz::1:5/x;dc").err(),
        Some(UriError::BadIpv6)
    );
}

#[test]
fn owned_uri_keeps_offsets_and_semantics() {
    let s = "msrps://alice@a.example.com:443;ws;k=v";
    let r = p(s);
    let u = r.to_owned();
    assert_eq!(u.as_str(), s);
    assert_eq!(u.to_string(), s);
    assert_eq!(format!("{u:?}"), format!("Uri({s:?})"));
    let v = u.as_ref();
    assert_eq!(
        (
            v.scheme(),
            v.userinfo(),
            v.host_str(),
            v.port(),
            v.session_id(),
            v.transport()
        ),
        (
            r.scheme(),
            r.userinfo(),
            r.host_str(),
            r.port(),
            r.session_id(),
            r.transport()
        )
    );
    assert_eq!(v.params().collect::<Vec<_>>(), [("k", Some("v"))]);
    let w: Uri = "MSRPS://A.EXAMPLE.COM:443;WS".parse().unwrap();
    assert_eq!(u, w);
    assert_eq!(hash_of(&u), hash_of(&w));
    assert_eq!(hash_of(&u), hash_of(&r));
    assert!(u == r);
    assert!(r == u);
    assert!(u.matches(&w.as_ref()));
    let mut set = std::collections::HashSet::new();
    set.insert(u.clone());
    assert!(set.contains(&w));
    assert_eq!(Uri::from(r), u);
}

#[test]
fn path_iter_splits_on_runs_of_white_space() {
    let v = b"  msrps://a.example.com:2855/jui787s2f;tcp  msrps://df7jal23ls0d.invalid/98cjs;ws \t";
    let uris: Vec<_> = path_iter(v).map(Result::unwrap).collect();
    assert_eq!(uris.len(), 2);
    assert_eq!(uris[0].session_id(), Some("jui787s2f"));
    assert_eq!(uris[1].host_str(), "df7jal23ls0d.invalid");
    assert_eq!(path_iter(b"").count(), 0);
    assert_eq!(path_iter(b"   ").count(), 0);
    let mixed: Vec<_> = path_iter(b"msrp://h:1/s;tcp bogus msrp://h:2/t;tcp").collect();
    assert_eq!(mixed.len(), 3);
    assert!(mixed[0].is_ok() && mixed[2].is_ok());
    assert_eq!(mixed[1].err(), Some(UriError::BadScheme));
    let v6 = b"msrps://2001:db8::3:54111/si438dsaodes;dc";
    assert_eq!(
        path_iter(v6).next().unwrap().err(),
        Some(UriError::UnbracketedIpv6)
    );
    assert_eq!(
        path_iter_lenient(v6).next().unwrap().unwrap().port(),
        Some(54111)
    );
}

#[test]
fn display_helpers() {
    assert_eq!(Scheme::Msrps.to_string(), "msrps");
    assert!(Scheme::Msrps.is_secure() && !Scheme::Msrp.is_secure());
    assert_eq!(
        Host::Ipv6("2001:DB8::1".parse().unwrap()).to_string(),
        "2001:db8::1"
    );
    assert_eq!(
        UriError::PasswordInUserinfo.to_string(),
        "password in userinfo"
    );
    let e: Box<dyn std::error::Error> = Box::new(UriError::BadPort);
    assert_eq!(e.to_string(), "invalid port");
}

mod fast_path {
    use super::super::parse::{Mode, parse_common, parse_general};
    use proptest::prelude::*;

    /// The fast path must agree with the general parser whenever it answers, and answer
    /// for the common shapes at all (or it is pointless).
    fn agree(s: &str) -> bool {
        for mode in [Mode::Strict, Mode::Lenient] {
            if let Some((p, len)) = parse_common(s.as_bytes(), mode) {
                let g = parse_general(&s[..len], mode)
                    .expect("fast path accepted what the general parser rejects");
                assert_eq!(format!("{p:?}"), format!("{g:?}"), "{s:?} {mode:?}");
                if len < s.len() {
                    assert!(
                        matches!(s.as_bytes()[len], b' ' | b'\t'),
                        "stops only at white space"
                    );
                }
            }
        }
        parse_common(s.as_bytes(), Mode::Strict).is_some()
    }

    #[test]
    fn common_uris_take_the_fast_path() {
        for s in [
            "msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp",
            "MSRPS://atlanta.example.com:7654/jshA7weztas;TCP",
            "msrps://intra.example.com;tcp",
            "msrp://192.0.2.1:2855/x;tcp",
            "msrp://relay.example.com:2855/a/b+c=d;ws",
        ] {
            assert!(agree(s), "{s}");
        }
        for s in [
            "msrp://alice@host:1/x;tcp",
            "msrp://[::1]:5/x;tcp",
            "msrp://h:1/x;tcp;p=1",
            "msrp://%61lice:1/x;tcp",
            "msrp://192.0.2.1/x;tcp",
            "msrp://h:99999/x;tcp",
            "msrp://h:1/;tcp",
        ] {
            assert!(!agree(s), "{s} must be left to the general parser");
        }
    }

    proptest! {
        #[test]
        fn fast_path_agrees_with_general_parser(
            s in "(msrp|MSRPS|msrps|msr)://[a-z0-9.:%@\\[\\]-]{0,12}(:[0-9]{0,6})?(/[A-Za-z0-9+=/%.-]{0,8})?(;[a-z0-9=]{0,4}){0,2}( [a-z]{0,3})?"
        ) {
            agree(&s);
        }
    }
}
