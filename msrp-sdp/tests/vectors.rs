//! Every RFC SDP vector parses and round-trips byte for byte; the MSRP ones yield the typed
//! values the RFCs print.

use msrp_sdp::{
    Address, DescriptionKind, Direction, FileDateKind, MsrpMedia, SdpErrorKind, SessionDescription,
    Setup, Transport,
};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/vectors");

fn read(name: &str) -> String {
    std::fs::read_to_string(format!("{DIR}/{name}")).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn sdp_vectors() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(DIR)
        .expect("vectors directory")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".sdp"))
        .collect();
    v.sort();
    v
}

#[test]
fn r8866_every_vector_round_trips_byte_exact() {
    let names = sdp_vectors();
    assert_eq!(names.len(), 19, "MANIFEST lists 19 SDP vectors");
    for name in names {
        let text = read(&name);
        let sdp = SessionDescription::parse_any(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let want = if name.contains("fragment") {
            DescriptionKind::Fragment
        } else {
            DescriptionKind::Full
        };
        assert_eq!(sdp.kind(), want, "{name}");
        assert_eq!(sdp.to_string(), text, "{name} round trip");
        // And the reparsed value is equal.
        assert_eq!(
            SessionDescription::parse_any(&sdp.to_string()).unwrap(),
            sdp,
            "{name}"
        );
    }
}

#[test]
fn r4975_170_every_msrp_vector_validates_except_known_defects() {
    for name in sdp_vectors() {
        let sdp = SessionDescription::parse_any(&read(&name)).unwrap();
        let r = sdp.validate();
        if name == "rfc8873-4.8-answer-fragment.sdp" {
            // E-25: `c=IN IP6 IP6 2001:db8::1` is malformed (line 2).
            let e = r.unwrap_err();
            assert_eq!((e.line, e.kind), (2, SdpErrorKind::MalformedConnection));
        } else {
            r.unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }
}

#[test]
fn r4975_172_offer_fig7_typed() {
    let sdp = SessionDescription::parse(&read("rfc4975-8.2-fig7-offer.sdp")).unwrap();
    let m = MsrpMedia::from_sdp(&sdp, 0).unwrap();
    assert_eq!(m.port, 7394);
    assert_eq!(m.transport, Transport::Tcp);
    assert_eq!(
        m.connection.address,
        Address::Name("alice.example.com".into())
    );
    assert_eq!(m.path.len(), 1);
    assert_eq!(
        m.path[0].as_str(),
        "msrp://alice.example.com:7394/2s93i9ek2a;tcp"
    );
    assert_eq!(m.accept_types.len(), 1);
    assert!(m.accepts("text/plain"));
    assert!(!m.accepts("text/html"));
    assert_eq!(m.setup, None);
    assert!(!m.cema);
    assert_eq!(m.direction, Direction::SendRecv);
}

#[test]
fn r8122_001_fingerprint_fig19() {
    let sdp =
        SessionDescription::parse_fragment(&read("rfc4975-14.4-fig19-fingerprint-fragment.sdp"))
            .unwrap();
    let m = MsrpMedia::from_sdp(&sdp, 0).unwrap();
    assert_eq!(m.transport, Transport::Tls);
    assert_eq!(m.fingerprints.len(), 1);
    assert_eq!(m.fingerprints[0].hash, "SHA-1");
    assert_eq!(m.fingerprints[0].value.len(), 20);
    assert_eq!(m.fingerprints[0].value[0], 0x4A);
}

#[test]
fn r4976_relay_answer_lenient_lists() {
    // E-14: leading space in accept-types, two spaces between path URIs.
    let sdp = SessionDescription::parse_fragment(&read("rfc4976-11-answer-fragment.sdp")).unwrap();
    let m = MsrpMedia::from_sdp(&sdp, 0).unwrap();
    assert_eq!(m.accept_types.len(), 2);
    assert_eq!(m.path.len(), 2);
    assert!(m.uses_relay());
    assert_eq!(m.path[1].as_str(), "msrps://bob.example.com:1234/fuige;tcp");
}

#[test]
fn r5547_file_transfer_fig2() {
    let sdp = SessionDescription::parse(&read("rfc5547-6-fig2-offer.sdp")).unwrap();
    let m = MsrpMedia::from_sdp(&sdp, 0).unwrap();
    assert_eq!(m.direction, Direction::SendOnly);
    assert_eq!(m.accept_wrapped_types[0].as_str(), "*");
    let sel = m.file.selector.as_ref().unwrap();
    assert_eq!(sel.name.as_deref(), Some("My cool picture.jpg"));
    assert_eq!(sel.media_type.as_deref(), Some("image/jpeg"));
    assert_eq!(sel.size, Some(32349));
    assert_eq!(sel.hashes[0].algorithm, "sha-1");
    assert_eq!(sel.hashes[0].value.len(), 20);
    assert_eq!(
        m.file.transfer_id.as_deref(),
        Some("vBnG916bdberum2fFEABR1FR3ExZMUrd")
    );
    assert_eq!(m.file.disposition.as_deref(), Some("attachment"));
    let date = m.file.date.as_ref().unwrap();
    assert_eq!(
        date.0,
        [(
            FileDateKind::Creation,
            "Mon, 15 May 2006 15:01:31 +0300".to_string()
        )]
    );
    assert_eq!(m.file.icon.as_deref(), Some("cid:id2@alicepc.example.com"));
    let r = m.file.range.unwrap();
    assert_eq!((r.start, r.stop), (1, Some(32349)));
    // The canonical serialization of the typed value parses back to the same value.
    let again = m.to_media_description();
    let rebuilt = SessionDescription::from_parts(DescriptionKind::Fragment, vec![], vec![again]);
    assert_eq!(MsrpMedia::from_sdp(&rebuilt, 0).unwrap(), m);
}

#[test]
fn r8873_non_msrp_media_preserved_and_setup_parsed() {
    let sdp = SessionDescription::parse_fragment(&read("rfc8873-4.8-offer-fragment.sdp")).unwrap();
    assert_eq!(sdp.media().len(), 1);
    let ml = sdp.media()[0].media_line().unwrap();
    assert!(!ml.is_msrp());
    assert_eq!(MsrpMedia::find(&sdp), None);
    let setup = sdp.media()[0]
        .attributes("setup")
        .next()
        .unwrap()
        .1
        .unwrap();
    assert_eq!(Setup::parse(setup).unwrap(), Setup::ActPass);
    assert_eq!(
        MsrpMedia::from_sdp(&sdp, 0).unwrap_err().kind,
        SdpErrorKind::NotMsrpMedia
    );
}

#[test]
fn r8866_005_lf_only_round_trips() {
    let text = read("rfc4975-11.1-01-offer.sdp").replace("\r\n", "\n");
    let sdp = SessionDescription::parse(&text).unwrap();
    assert_eq!(sdp.to_string(), text);
    MsrpMedia::from_sdp(&sdp, 0).unwrap();
    // A text without the final newline also round-trips.
    let trimmed = text.trim_end();
    assert_eq!(
        SessionDescription::parse(trimmed).unwrap().to_string(),
        trimmed
    );
}
