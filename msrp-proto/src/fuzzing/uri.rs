//! The `uri` target: parsing, §6.1 comparison, hashing, path splitting and generation.

use core::hash::BuildHasher;
use std::collections::hash_map::RandomState;

use crate::rand::SeededRandom;
use crate::uri::{GENERATED_SESSION_ID_LEN, Scheme, Uri, UriRef, path_iter, path_iter_lenient};

/// The `uri` target. The input is split at `\n` into up to three candidate URIs (the first
/// byte of the remainder after the third seeds [`Uri::generate`]). Checks that
///
/// * strict and lenient parsing never panic, and every URI the strict grammar accepts is
///   accepted leniently with the same components;
/// * an accepted URI keeps its text (`as_str`, `Display`), re-parses from its `Display`
///   form to the same components, survives `to_owned`, and passes or fails
///   `check_session_uri`/`check_use_path_uri` without panicking;
/// * `matches` is reflexive, symmetric and transitive over the three candidates, agrees
///   with `==` on [`Uri`] and [`UriRef`], and equal URIs hash equally;
/// * splitting the whole input as a path value (`path_iter`, strict and lenient) yields
///   exactly one result per white-space separated token, equal to parsing that token
///   alone;
/// * [`Uri::generate`] with a candidate's host, port and transport either fails or gives a
///   session URI that parses back with a 16-character session-id.
pub fn uri(data: &[u8]) {
    let mut parts = data.splitn(4, |&b| b == b'\n');
    let cands: Vec<&[u8]> = parts.by_ref().take(3).collect();
    let seed = parts.next().and_then(|r| r.first().copied()).unwrap_or(0);
    let parsed: Vec<Option<UriRef<'_>>> = cands.iter().map(|c| check_one(c)).collect();

    let state = RandomState::new();
    let ok: Vec<UriRef<'_>> = parsed.iter().flatten().copied().collect();
    for a in &ok {
        for b in &ok {
            let ab = a.matches(b);
            assert_eq!(ab, b.matches(a), "matches is not symmetric: {a} / {b}");
            assert_eq!(ab, a == b);
            assert_eq!(ab, a.to_owned() == *b);
            assert_eq!(ab, a.to_owned() == b.to_owned());
            if ab {
                assert_eq!(
                    state.hash_one(a),
                    state.hash_one(b),
                    "equal URIs hash differently: {a} / {b}"
                );
                assert_eq!(state.hash_one(a.to_owned()), state.hash_one(b.to_owned()));
                for c in &ok {
                    if b.matches(c) {
                        assert!(a.matches(c), "matches is not transitive: {a} / {b} / {c}");
                    }
                }
            }
        }
    }

    check_path(data, false);
    check_path(data, true);

    // Generation from the first accepted candidate's parts.
    if let Some(u) = ok.first() {
        let host = u.host().to_string();
        let port = u.port().unwrap_or(u16::from(seed));
        let scheme = if seed & 1 == 0 {
            Scheme::Msrp
        } else {
            Scheme::Msrps
        };
        let mut rng = SeededRandom::new(u64::from(seed));
        if let Ok(g) = Uri::generate(scheme, &host, port, u.transport(), &mut rng) {
            let r = UriRef::parse(g.as_str()).expect("a generated URI parses");
            assert!(
                r.check_session_uri().is_ok(),
                "generated {g} is no session URI"
            );
            assert_eq!(r.session_id().map(str::len), Some(GENERATED_SESSION_ID_LEN));
            assert_eq!(r.port(), Some(port));
            assert_eq!(r.scheme(), scheme);
            assert!(g.matches(&r));
            assert_eq!(r.host(), u.host());
        }
    }
}

/// Parses one candidate both ways and checks the per-URI invariants.
fn check_one(c: &[u8]) -> Option<UriRef<'_>> {
    let strict = UriRef::parse_bytes(c);
    let lenient = UriRef::parse_bytes_lenient(c);
    if let Ok(s) = std::str::from_utf8(c) {
        assert_eq!(UriRef::parse(s).is_ok(), strict.is_ok());
        assert_eq!(Uri::parse(s).is_ok(), strict.is_ok());
        assert_eq!(Uri::parse_lenient(s).is_ok(), lenient.is_ok());
    }
    if let Ok(l) = lenient {
        let _ = l.check_session_uri();
        let _ = l.check_use_path_uri();
        assert!(l.matches(&l));
        assert_eq!(l.as_str().as_bytes(), c);
    }
    let u = strict.ok()?;
    let l = lenient.expect("the lenient grammar accepts whatever the strict one does");
    assert_same(&u, &l);
    assert_eq!(u.as_str().as_bytes(), c);
    assert!(u.matches(&u), "matches is not reflexive: {u}");
    let text = u.to_string();
    let again = UriRef::parse(&text).expect("Display output re-parses");
    assert_same(&u, &again);
    let owned = u.to_owned();
    assert_same(&u, &owned.as_ref());
    assert_eq!(owned.as_str(), u.as_str());
    assert_eq!(text.parse::<Uri>().ok().as_ref(), Some(&owned));
    let _ = u.check_session_uri();
    let _ = u.check_use_path_uri();
    let _ = u.params().count();
    Some(u)
}

/// Same components (not just §6.1-equal).
fn assert_same(a: &UriRef<'_>, b: &UriRef<'_>) {
    assert_eq!(a.scheme(), b.scheme(), "{a} / {b}");
    assert_eq!(a.userinfo(), b.userinfo(), "{a} / {b}");
    assert_eq!(a.host(), b.host(), "{a} / {b}");
    assert_eq!(a.host_str(), b.host_str(), "{a} / {b}");
    assert_eq!(a.port(), b.port(), "{a} / {b}");
    assert_eq!(a.session_id(), b.session_id(), "{a} / {b}");
    assert_eq!(a.transport(), b.transport(), "{a} / {b}");
    assert!(a.params().eq(b.params()), "{a} / {b}");
    assert!(a.matches(b));
}

/// `path_iter` over `value` agrees with parsing each white-space separated token alone.
fn check_path(value: &[u8], lenient: bool) {
    let tokens = value
        .split(|&b| b == b' ' || b == b'\t')
        .filter(|t| !t.is_empty());
    let items: Vec<_> = if lenient {
        path_iter_lenient(value).collect()
    } else {
        path_iter(value).collect()
    };
    let mut n = 0;
    for (item, token) in items.iter().zip(tokens.clone()) {
        n += 1;
        let alone = if lenient {
            UriRef::parse_bytes_lenient(token)
        } else {
            UriRef::parse_bytes(token)
        };
        match (item, alone) {
            (Ok(a), Ok(b)) => {
                assert_same(a, &b);
                assert_eq!(a.as_str().as_bytes(), token);
            }
            (Err(_), Err(_)) => {}
            (a, b) => panic!("path token {token:?}: in a path {a:?}, alone {b:?}"),
        }
    }
    assert_eq!(n, items.len());
    assert_eq!(items.len(), tokens.count(), "one result per token");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_body_accepts_every_rfc_uri_and_pairs_of_them() {
        let tsv = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/vectors/rfc-uris.tsv"
        ))
        .expect("rfc-uris.tsv");
        let uris: Vec<&str> = tsv
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| l.split('\t').find(|f| f.starts_with("msrp")))
            .collect();
        assert!(uris.len() >= 20, "{}", uris.len());
        for (i, a) in uris.iter().enumerate() {
            let b = uris[(i + 1) % uris.len()];
            uri(format!("{a}\n{b}\n{}\n{}", a.to_uppercase(), i as u8 as char).as_bytes());
            uri(format!("{a} {b}").as_bytes());
        }
        for odd in [
            &b""[..],
            b"\n\n\n",
            b"msrp://a:1/x;tcp\nmsrp://A:1/x;TCP\nmsrp://a:1/x;tcp;p=1\n\x07",
            b"msrp://%61:1/x;tcp\nmsrp://a:1/x;tcp",
            b"msrps://[::1]:0/;tcp",
            b"msrps://2001:db8::1:51444/x;dc",
            b"msrp://\xff:1/x;tcp",
        ] {
            uri(odd);
        }
    }
}
