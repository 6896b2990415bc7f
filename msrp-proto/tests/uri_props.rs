//! Property tests: generated valid URIs round-trip through the parser, §6.1 comparison is
//! an equivalence consistent with `Hash`, case/percent variants match, and arbitrary input
//! never panics (R4975-041, R4975-048..056).

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::net::{Ipv4Addr, Ipv6Addr};

use msrp_proto::rand::SeededRandom;
use msrp_proto::uri::{Host, Scheme, Uri, UriRef, path_iter, path_iter_lenient};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum GenHost {
    Name(String),
    V4(Ipv4Addr),
    V6(Ipv6Addr),
}

#[derive(Debug, Clone)]
struct Parts {
    scheme: Scheme,
    userinfo: Option<String>,
    host: GenHost,
    port: Option<u16>,
    session_id: Option<String>,
    transport: String,
    params: Vec<(String, Option<String>)>,
}

impl Parts {
    fn host_text(&self) -> String {
        match &self.host {
            GenHost::Name(n) => n.clone(),
            GenHost::V4(a) => a.to_string(),
            GenHost::V6(a) => format!("[{a}]"),
        }
    }

    fn render(&self) -> String {
        let mut s = format!("{}://", self.scheme.as_str());
        if let Some(u) = &self.userinfo {
            s += &format!("{u}@");
        }
        s += &self.host_text();
        if let Some(p) = self.port {
            s += &format!(":{p}");
        }
        if let Some(sid) = &self.session_id {
            s += &format!("/{sid}");
        }
        s += &format!(";{}", self.transport);
        for (n, v) in &self.params {
            s += &format!(";{n}");
            if let Some(v) = v {
                s += &format!("={v}");
            }
        }
        s
    }
}

fn host_strategy() -> impl Strategy<Value = GenHost> {
    prop_oneof![
        // labels start with a letter, so a name never looks like an IPv4 address
        "[a-z][a-z0-9-]{0,9}(\\.[a-z][a-z0-9-]{0,9}){0,3}".prop_map(GenHost::Name),
        any::<[u8; 4]>().prop_map(|o| GenHost::V4(Ipv4Addr::from(o))),
        any::<[u8; 16]>().prop_map(|o| GenHost::V6(Ipv6Addr::from(o))),
    ]
}

const TOKEN: &str = "[a-zA-Z0-9!#$%&'*+.^_`|~-]{1,6}";

fn parts_strategy() -> impl Strategy<Value = Parts> {
    (
        prop_oneof![Just(Scheme::Msrp), Just(Scheme::Msrps)],
        proptest::option::of("[a-zA-Z0-9._~!$&'()*+,=-]{1,8}"),
        host_strategy(),
        proptest::option::of(any::<u16>()),
        proptest::option::of("[A-Za-z0-9._~+=/-]{1,20}"),
        "[a-zA-Z0-9]{1,5}",
        proptest::collection::vec((TOKEN, proptest::option::of(TOKEN)), 0..4),
    )
        .prop_map(
            |(scheme, userinfo, host, port, session_id, transport, params)| {
                // R4975-044: a numeric host always carries a port
                let port = match host {
                    GenHost::Name(_) => port,
                    _ => Some(port.unwrap_or(2855)),
                };
                Parts {
                    scheme,
                    userinfo,
                    host,
                    port,
                    session_id,
                    transport,
                    params,
                }
            },
        )
}

fn hash_of<T: Hash>(t: &T) -> u64 {
    let mut h = DefaultHasher::new();
    t.hash(&mut h);
    h.finish()
}

/// Rewrites a host name with random case and percent-encoding of unreserved characters
/// (with random hex-digit case), driven by `bits`.
fn host_variant(name: &str, bits: &[u8]) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        let b = bits.get(i).copied().unwrap_or(0);
        match b % 3 {
            0 => out.push(c),
            1 => out.push(c.to_ascii_uppercase()),
            _ => {
                let enc = format!("%{:02X}", c as u32);
                out += &if b & 0x80 != 0 {
                    enc.to_ascii_lowercase()
                } else {
                    enc
                };
            }
        }
    }
    out
}

fn ipv6_expanded_upper(a: &Ipv6Addr) -> String {
    a.segments()
        .iter()
        .map(|s| format!("{s:04X}"))
        .collect::<Vec<_>>()
        .join(":")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn r4975_041_generated_uri_round_trips(parts in parts_strategy()) {
        let s = parts.render();
        let u = UriRef::parse(&s).map_err(|e| TestCaseError::fail(format!("{s}: {e}")))?;
        prop_assert_eq!(u.as_str(), s.as_str());
        prop_assert_eq!(u.scheme(), parts.scheme);
        prop_assert_eq!(u.userinfo(), parts.userinfo.as_deref());
        match &parts.host {
            GenHost::Name(n) => {
                prop_assert_eq!(u.host(), Host::Name(n));
                prop_assert_eq!(u.host_str(), n.as_str());
            }
            GenHost::V4(a) => prop_assert_eq!(u.host(), Host::Ipv4(*a)),
            GenHost::V6(a) => {
                prop_assert_eq!(u.host(), Host::Ipv6(*a));
                prop_assert_eq!(u.host_str(), a.to_string());
            }
        }
        prop_assert_eq!(u.port(), parts.port);
        prop_assert_eq!(u.session_id(), parts.session_id.as_deref());
        prop_assert_eq!(u.transport(), parts.transport.as_str());
        let params: Vec<(String, Option<String>)> =
            u.params().map(|(n, v)| (n.to_owned(), v.map(str::to_owned))).collect();
        prop_assert_eq!(&params, &parts.params);
        // the owned form keeps the same view and the same equivalence class
        let o = Uri::parse(&s).unwrap();
        prop_assert_eq!(o.as_ref().session_id(), u.session_id());
        prop_assert!(o == u);
        prop_assert_eq!(hash_of(&o), hash_of(&u));
        // the parts the lenient parser sees are the same
        let l = UriRef::parse_lenient(&s).unwrap();
        prop_assert_eq!((l.host(), l.port(), l.session_id()), (u.host(), u.port(), u.session_id()));
        // and a path of such URIs splits back into them
        let path = format!("{s}  {s} ");
        prop_assert_eq!(path_iter(path.as_bytes()).filter(|r| r.as_ref().is_ok_and(|x| x.as_str() == s)).count(), 2);
    }

    #[test]
    fn r4975_048_r4975_056_matches_reflexive_symmetric_hash_consistent(
        a in parts_strategy(),
        b in parts_strategy(),
    ) {
        let (sa, sb) = (a.render(), b.render());
        let (ua, ub) = (UriRef::parse(&sa).unwrap(), UriRef::parse(&sb).unwrap());
        prop_assert!(ua.matches(&ua));
        prop_assert_eq!(ua.matches(&ub), ub.matches(&ua));
        if ua.matches(&ub) {
            prop_assert_eq!(hash_of(&ua), hash_of(&ub));
        }
        // same URI with b's userinfo and params: still equal (R4975-051, P-11)
        let mixed = Parts { userinfo: b.userinfo.clone(), params: b.params.clone(), ..a.clone() };
        let sm = mixed.render();
        let um = UriRef::parse(&sm).unwrap();
        prop_assert!(ua.matches(&um), "{} vs {}", sa, sm);
        prop_assert_eq!(hash_of(&ua), hash_of(&um));
    }

    #[test]
    fn r4975_050_r4975_052_case_and_percent_variants_match(
        parts in parts_strategy(),
        bits in proptest::collection::vec(any::<u8>(), 64),
        upper_scheme in any::<bool>(),
    ) {
        let s = parts.render();
        let u = UriRef::parse(&s).unwrap();
        let host = match &parts.host {
            GenHost::Name(n) => host_variant(n, &bits),
            GenHost::V4(a) => a.to_string(),
            GenHost::V6(a) => format!("[{}]", ipv6_expanded_upper(a)),
        };
        let mut v = String::new();
        let scheme = parts.scheme.as_str();
        v += &if upper_scheme { scheme.to_ascii_uppercase() } else { scheme.to_owned() };
        v += "://";
        v += &host;
        if let Some(p) = parts.port {
            v += &format!(":{p}");
        }
        if let Some(sid) = &parts.session_id {
            v += &format!("/{sid}");
        }
        v += &format!(";{}", parts.transport.to_ascii_uppercase());
        let w = UriRef::parse(&v).map_err(|e| TestCaseError::fail(format!("{v}: {e}")))?;
        prop_assert!(u.matches(&w), "{} vs {}", s, v);
        prop_assert!(w.matches(&u));
        prop_assert_eq!(hash_of(&u), hash_of(&w));
        prop_assert_eq!(hash_of(&u.to_owned()), hash_of(&w.to_owned()));

        // R4975-054: a session-id with a letter in another case is a different URI
        if let Some(sid) = &parts.session_id
            && let Some(pos) = sid.find(|c: char| c.is_ascii_alphabetic())
        {
            let mut flipped = sid.clone().into_bytes();
            flipped[pos] ^= 0x20;
            let flipped = String::from_utf8(flipped).unwrap();
            let f = Parts { session_id: Some(flipped), ..parts.clone() }.render();
            prop_assert!(!u.matches(&UriRef::parse(&f).unwrap()));
        }
        // R4975-053: dropping an explicit port (name hosts only) breaks equality
        if parts.port.is_some() && matches!(parts.host, GenHost::Name(_)) {
            let np = Parts { port: None, ..parts.clone() }.render();
            prop_assert!(!u.matches(&UriRef::parse(&np).unwrap()));
        }
    }

    #[test]
    fn r4975_230_generate_parses_back(seed in any::<u64>(), host in host_strategy(), port in 1u16.., tcp in any::<bool>()) {
        let mut rng = SeededRandom::new(seed);
        let host_text = match &host {
            GenHost::Name(n) => n.clone(),
            GenHost::V4(a) => a.to_string(),
            GenHost::V6(a) => a.to_string(),
        };
        let transport = if tcp { "tcp" } else { "ws" };
        let u = Uri::generate(Scheme::Msrps, &host_text, port, transport, &mut rng).unwrap();
        let r = u.as_ref();
        prop_assert_eq!(r.check_session_uri(), Ok(()));
        prop_assert_eq!(r.port(), Some(port));
        prop_assert_eq!(r.transport(), transport);
        prop_assert_eq!(r.session_id().unwrap().len(), 16);
        let again = Uri::parse(u.as_str()).unwrap();
        prop_assert!(again == u);
    }

    #[test]
    fn arbitrary_bytes_never_panic(b in proptest::collection::vec(any::<u8>(), 0..80)) {
        let _ = UriRef::parse_bytes(&b);
        let _ = UriRef::parse_bytes_lenient(&b);
        let _ = path_iter(&b).count();
        let _ = path_iter_lenient(&b).count();
        if let Ok(s) = std::str::from_utf8(&b) {
            let _ = UriRef::parse(s);
            let _ = Uri::parse_lenient(s);
        }
    }

    #[test]
    fn uri_shaped_junk_never_panics(
        scheme in "(msrps?|MSRP|x)://",
        tail in "[a-zA-Z0-9:/\\[\\]@;=%.+_~ !-]{0,48}",
    ) {
        let s = format!("{scheme}{tail}");
        for r in [UriRef::parse(&s), UriRef::parse_lenient(&s)].into_iter().flatten() {
            // whatever parses must be self-consistent
            prop_assert!(r.matches(&r));
            let _ = (r.host(), r.params().count(), r.check_session_uri(), r.check_use_path_uri());
            prop_assert!(r.to_owned() == r);
        }
    }
}
