//! Fuzz bodies, kept in the crate so they compile with it (the `fuzz/` targets are one
//! line each). Built only for `cargo fuzz` (`cfg(fuzzing)`) and for this crate's unit
//! tests, which run every body over the RFC vectors: not part of the public API.
//!
//! The bodies take plain bytes and derive their structure from them (no `arbitrary`
//! dependency; each body documents its input layout).

use msrp_proto::uri::Uri;

use crate::{
    Address, AnswerOutcome, CemaStatus, Connect, Direction, LocalConfig, MsrpMedia, OfferOutcome,
    Origin, Resolutions, Role, SessionDescription, apply_answer_sdp, create_answer, create_offer,
};

/// The `sdp` target: parses the input as a whole description, a fragment and either, and
/// checks that an accepted description serializes back to exactly the input text,
/// re-parses to an equal value, validates without panicking, and that every MSRP media
/// section's typed view ([`MsrpMedia::from_sdp`]) either fails with an error or
/// round-trips: its media description re-parses to the same typed view.
pub fn sdp(data: &[u8]) {
    let Ok(sdp) = SessionDescription::parse_bytes(data) else {
        if let Ok(text) = core::str::from_utf8(data) {
            let _ = SessionDescription::parse_fragment(text).map(|f| check(&f, text));
        }
        return;
    };
    let text = core::str::from_utf8(data).expect("parse_bytes accepted it, so it is UTF-8");
    check(&sdp, text);
    let any = SessionDescription::parse_any(text).expect("parse_any accepts a full description");
    assert_eq!(any, sdp);
}

fn check(sdp: &SessionDescription, text: &str) {
    let out = sdp.to_string();
    assert_eq!(out, text, "serialization differs from the input");
    let again = match sdp.kind() {
        crate::DescriptionKind::Full => SessionDescription::parse(&out),
        _ => SessionDescription::parse_fragment(&out),
    }
    .expect("serialized output re-parses");
    assert_eq!(&again, sdp);
    let _ = sdp.validate();
    for i in 0..sdp.media().len() {
        let Ok(m) = MsrpMedia::from_sdp(sdp, i) else {
            continue;
        };
        let rebuilt = SessionDescription::from_parts(
            crate::DescriptionKind::Fragment,
            Vec::new(),
            vec![m.to_media_description()],
        );
        let text = rebuilt.to_string();
        let parsed = SessionDescription::parse_fragment(&text).expect("a built section parses");
        let m2 = MsrpMedia::from_sdp(&parsed, 0).expect("a built section is MSRP media");
        assert_eq!(m2, m, "typed media does not round-trip through {text:?}");
    }
}

/// One side's configuration from two input bytes.
fn local(name: &str, flags: u8, more: u8) -> LocalConfig {
    let scheme = if flags & 1 == 1 { "msrps" } else { "msrp" };
    let host = match (flags >> 1) & 3 {
        0 => format!("{name}.example.com"),
        1 => format!("192.0.2.{}", 1 + (more & 63)),
        2 => format!("[2001:db8::{:x}]", 1 + (more & 63)),
        _ => format!("{name}pc.example.net"),
    };
    let own = Uri::parse(&format!(
        "{scheme}://{host}:{}/{name}s1;tcp",
        7000 + u16::from(more)
    ))
    .expect("valid URI");
    let mut c = LocalConfig::new(own);
    if flags & 8 != 0 {
        c.use_path = vec![
            Uri::parse(&format!(
                "{scheme}://relay-{name}.example.org:2855/r{name};tcp"
            ))
            .expect("valid URI"),
        ];
    }
    c.rfc6135 = flags & 0x10 == 0;
    c.cema = flags & 0x20 != 0 && c.rfc6135;
    c.reachable = flags & 0x40 != 0;
    c.direction = [
        Direction::SendRecv,
        Direction::SendOnly,
        Direction::RecvOnly,
        Direction::Inactive,
    ][usize::from(more >> 6)];
    if flags & 0x80 != 0 {
        c.max_size = Some(u64::from(more) * 1000);
    }
    c
}

fn origin(name: &str) -> Origin {
    Origin {
        username: "-".into(),
        session_id: 1,
        version: 1,
        address: Address::Name(format!("{name}.example.com")),
    }
}

/// Resolves every name the examples use to one address each.
fn resolutions() -> Resolutions {
    let mut r = Resolutions::new();
    for n in [
        "alice",
        "bob",
        "alicepc",
        "bobpc",
        "relay-alice",
        "relay-bob",
    ] {
        for d in ["example.com", "example.net", "example.org"] {
            r.insert(&format!("{n}.{d}"), ["192.0.2.200".parse().expect("IP")]);
        }
    }
    r
}

/// The `offer_answer` target: arbitrary offers against arbitrary local configurations.
///
/// Input: byte 0 selects the mode, bytes 1–4 the offerer's and the answerer's
/// configuration (scheme, host kind, relay, RFC 6135, CEMA, reachability, direction,
/// max-size); the rest is an edit of the offer (mode 0–1: replace the offer's `c=`
/// address with the given text, a middlebox; mode 2: replace its `a=setup` value;
/// mode 3: the rest is the whole offer text, parsed, with no offerer).
///
/// Checks: nothing panics; our own offers always parse back; when both sides accept
/// (answer `Accept` and the offerer's outcome `Established`), exactly one side is active,
/// each side's remote path is the other's local path, both use the same transport, CEMA
/// is enabled only if both support it, and the active side has something to connect to
/// while the passive side accepts or uses its relay; the answer SDP re-parses.
pub fn offer_answer(data: &[u8]) {
    let [mode, a1, a2, b1, b2, rest @ ..] = data else {
        return;
    };
    let alice = local("alice", *a1, *a2);
    let bob = local("bob", *b1, *b2);
    let res = resolutions();
    let edit = String::from_utf8_lossy(rest);
    // A middlebox rewrites a value inside its line (modes 0–2): the edit ends at the first
    // line break. (Letting it run on injected whole lines, e.g. an `a=msrp-cema` the
    // offerer never sent, which the answerer then rightly believes: found by this target.)
    let value = edit.split(['\r', '\n']).next().unwrap_or_default();
    if mode % 4 == 3 {
        // An arbitrary offer: the answerer must answer or refuse, never panic.
        if let Ok(offer) = SessionDescription::parse_any(&edit)
            && let Ok(answer) = create_answer(&offer, &bob, &res, &origin("bob"))
        {
            let text = answer.sdp.to_string();
            let back = SessionDescription::parse(&text).expect("our answer parses");
            assert_eq!(back, answer.sdp);
        }
        return;
    }
    let Ok(offer) = create_offer(&alice, &origin("alice")) else {
        return;
    };
    let offer_text = offer.to_string();
    assert_eq!(
        SessionDescription::parse(&offer_text).expect("our offer parses"),
        offer
    );
    let edited = match mode % 4 {
        0 | 1 if !value.is_empty() => offer_text
            .lines()
            .map(|l| {
                if l.starts_with("c=") {
                    format!("c=IN IP4 {value}")
                } else {
                    l.to_owned()
                }
            })
            .collect::<Vec<_>>()
            .join("\r\n"),
        2 => offer_text
            .lines()
            .map(|l| {
                if l.starts_with("a=setup:") {
                    format!("a=setup:{value}")
                } else {
                    l.to_owned()
                }
            })
            .collect::<Vec<_>>()
            .join("\r\n"),
        _ => offer_text.clone(),
    };
    let Ok(seen) = SessionDescription::parse_any(&edited) else {
        return;
    };
    let Ok(answer) = create_answer(&seen, &bob, &res, &origin("bob")) else {
        return;
    };
    let answer_text = answer.sdp.to_string();
    let answer_back = SessionDescription::parse(&answer_text).expect("our answer parses");
    assert_eq!(answer_back, answer.sdp);
    let AnswerOutcome::Accept { session: b, .. } = &answer.outcome else {
        return;
    };
    assert!(
        !matches!(b.connect, Connect::Accept) || b.role == Role::Passive,
        "an active answerer must connect: {b:?}"
    );
    let Ok(OfferOutcome::Established(a)) = apply_answer_sdp(&alice, &offer, &answer.sdp, &res)
    else {
        return;
    };
    assert_ne!(a.role, b.role, "exactly one active side: {a:?} / {b:?}");
    assert_eq!(a.transport, b.transport);
    if seen == offer {
        assert_eq!(a.remote_path, b.local_path);
        assert_eq!(b.remote_path, a.local_path);
    }
    if a.cema == CemaStatus::Enabled || b.cema == CemaStatus::Enabled {
        assert!(
            alice.cema && bob.cema,
            "CEMA without both sides: {a:?} / {b:?}"
        );
    }
    for s in [&a, b] {
        match (&s.role, &s.connect) {
            (Role::Active, Connect::Accept) => panic!("the active side must connect: {s:?}"),
            (Role::Passive, Connect::Dial { .. }) => panic!("the passive side dials: {s:?}"),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/vectors");

    fn sdp_vectors() -> Vec<Vec<u8>> {
        let mut v: Vec<_> = std::fs::read_dir(VECTORS)
            .expect("vectors")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "sdp"))
            .collect();
        v.sort();
        v.iter().map(|p| std::fs::read(p).expect("read")).collect()
    }

    /// Every committed seed of the two SDP targets replays cleanly, including each input
    /// a fuzzer once failed on.
    #[test]
    fn every_fuzz_seed_replays() {
        let seeds = concat!(env!("CARGO_MANIFEST_DIR"), "/../fuzz/seeds");
        type Body = fn(&[u8]);
        let mut replayed = 0;
        for (target, body) in [("sdp", sdp as Body), ("offer_answer", offer_answer as Body)] {
            for e in std::fs::read_dir(format!("{seeds}/{target}")).expect("seed directory") {
                body(&std::fs::read(e.expect("entry").path()).expect("read seed"));
                replayed += 1;
            }
        }
        assert!(replayed >= 8, "only {replayed} seeds");
    }

    #[test]
    fn sdp_body_round_trips_every_vector() {
        let vs = sdp_vectors();
        assert!(vs.len() >= 10);
        for v in &vs {
            sdp(v);
            for cut in [1, v.len() / 2, v.len().saturating_sub(1)] {
                sdp(&v[..cut.min(v.len())]);
            }
        }
        for odd in [
            &b""[..],
            b"v=0",
            b"v=0\r\n",
            b"m=message 1 TCP/MSRP *\n",
            b"\xff",
        ] {
            sdp(odd);
        }
    }

    #[test]
    fn offer_answer_body_negotiates_every_configuration_pair() {
        for a in 0..=255u8 {
            for b in [
                0u8, 0x40, 0x48, 0x60, 0x68, 0x20, 0x10, 0x01, 0x41, 0x23, 0x67,
            ] {
                offer_answer(&[0, a, 3, b, 200]);
                offer_answer(&[0, b, 1, a, 64]);
                offer_answer(&[
                    1, a, 3, b, 200, b'1', b'9', b'8', b'.', b'5', b'1', b'.', b'1', b'0', b'0',
                    b'.', b'1',
                ]);
                offer_answer(&[2, a, 0, b, 0, b'p', b'a', b's', b's', b'i', b'v', b'e']);
            }
        }
        for v in sdp_vectors() {
            let mut d = vec![3, 0, 0, 0x40, 0];
            d.extend_from_slice(&v);
            offer_answer(&d);
        }
    }
}
