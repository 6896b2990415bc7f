//! Property tests: generated SDP round-trips; generated offers always negotiate to consistent
//! roles on both sides.
#![allow(clippy::field_reassign_with_default)] // generators fill the structs field by field

use msrp_proto::uri::Uri;
use msrp_sdp::*;
use proptest::prelude::*;

fn host() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z]{1,8}\\.example\\.(com|net)",
        (1u8..=254, 0u8..=255, 0u8..=255, 1u8..=254)
            .prop_map(|(a, b, c, d)| format!("{a}.{b}.{c}.{d}")),
        any::<[u16; 8]>().prop_map(|s| std::net::Ipv6Addr::from(s).to_string()),
    ]
}

fn uri_str(scheme: &'static str) -> impl Strategy<Value = String> {
    (host(), 1u16.., "[A-Za-z0-9]{4,16}").prop_map(move |(h, p, s)| {
        let h = if h.contains(':') { format!("[{h}]") } else { h };
        format!("{scheme}://{h}:{p}/{s};tcp")
    })
}

fn uri(scheme: &'static str) -> impl Strategy<Value = Uri> {
    uri_str(scheme).prop_map(|s| Uri::parse(&s).unwrap())
}

fn connection() -> impl Strategy<Value = Connection> {
    host().prop_map(|h| {
        let address = match h.parse() {
            Ok(ip) => Address::Ip(ip),
            Err(_) => Address::Name(h),
        };
        Connection::new(address)
    })
}

fn format_entry() -> impl Strategy<Value = FormatEntry> {
    prop_oneof![
        Just("*".to_string()),
        "(text|message|image|multipart)/(plain|cpim|\\*|html|jpeg)",
        "text/plain;charset=(utf-8|\"x-y\")",
    ]
    .prop_map(|s| FormatEntry::parse(&s).unwrap())
}

fn setup() -> impl Strategy<Value = Option<Setup>> {
    prop_oneof![
        Just(None),
        Just(Some(Setup::Active)),
        Just(Some(Setup::Passive)),
        Just(Some(Setup::ActPass)),
        Just(Some(Setup::HoldConn))
    ]
}

fn direction() -> impl Strategy<Value = Direction> {
    prop_oneof![
        Just(Direction::SendRecv),
        Just(Direction::SendOnly),
        Just(Direction::RecvOnly),
        Just(Direction::Inactive)
    ]
}

fn file() -> impl Strategy<Value = FileTransfer> {
    (
        proptest::option::of((
            "[A-Za-z0-9 ._-]{1,12}",
            proptest::option::of(0u64..1 << 40),
            proptest::collection::vec(any::<[u8; 4]>(), 0..2),
        )),
        proptest::option::of("[A-Za-z0-9]{8,32}"),
        proptest::option::of((1u64..1000, proptest::option::of(1000u64..2000))),
    )
        .prop_map(|(sel, id, range)| {
            let mut f = FileTransfer::default();
            f.selector = sel.map(|(name, size, hashes)| {
                let mut s = FileSelector::default();
                s.name = Some(name);
                s.media_type = Some("image/jpeg".into());
                s.size = size;
                s.hashes = hashes
                    .into_iter()
                    .map(|h| FileHash {
                        algorithm: "sha-1".into(),
                        value: h.to_vec(),
                    })
                    .collect();
                s
            });
            f.transfer_id = id;
            f.range = range.map(|(start, stop)| FileRange { start, stop });
            f
        })
}

prop_compose! {
    fn media()(
        port in any::<u16>(),
        tls in any::<bool>(),
        connection in connection(),
        path in proptest::collection::vec(uri("msrp"), 1..4),
        accept in proptest::collection::vec(format_entry(), 1..4),
        wrapped in proptest::collection::vec(format_entry(), 0..3),
        max_size in proptest::option::of(any::<u64>()),
        setup in setup(),
        fps in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 1..33), 0..3),
        cema in any::<bool>(),
        direction in direction(),
        file in file(),
    ) -> MsrpMedia {
        let mut m = MsrpMedia::new(port, if tls { Transport::Tls } else { Transport::Tcp }, connection, path, accept);
        m.accept_wrapped_types = wrapped;
        m.max_size = max_size;
        m.setup = setup;
        m.fingerprints = fps.into_iter().map(|v| Fingerprint { hash: "sha-256".into(), value: v }).collect();
        m.cema = cema;
        m.direction = direction;
        m.file = file;
        m
    }
}

fn origin() -> Origin {
    Origin {
        username: "-".into(),
        session_id: 1,
        version: 1,
        address: Address::Name("host.example.com".into()),
    }
}

proptest! {
    #[test]
    fn r8866_generated_sdp_serialize_parse_equal(m in media(), lf in any::<bool>()) {
        let sdp = session_description(&origin(), vec![m.to_media_description()]);
        let text = sdp.to_string();
        let parsed = SessionDescription::parse(&text).unwrap();
        prop_assert_eq!(&parsed, &sdp);
        prop_assert_eq!(MsrpMedia::from_sdp(&parsed, 0).unwrap(), m);
        // LF-only input round-trips byte-exactly as well.
        if lf {
            let lf_text = text.replace("\r\n", "\n");
            prop_assert_eq!(SessionDescription::parse(&lf_text).unwrap().to_string(), lf_text);
        }
    }

    #[test]
    fn parser_never_panics(s in "[a-z=: /*\\r\\n0-9.;\"-]{0,200}") {
        if let Ok(sdp) = SessionDescription::parse_any(&s) {
            prop_assert_eq!(sdp.to_string(), s);
            let _ = sdp.validate();
        }
    }

    #[test]
    fn r6135_r6714_offer_answer_roles_are_consistent(
        alice in uri_str("msrp"), bob in uri_str("msrp"),
        alice_relay in proptest::option::of(uri_str("msrp")), bob_relay in proptest::option::of(uri_str("msrp")),
        alice_cema in any::<bool>(), bob_cema in any::<bool>(),
        alice_reach in any::<bool>(), bob_reach in any::<bool>(),
        bob_6135 in any::<bool>(),
    ) {
        let mk = |own: &str, relay: &Option<String>, cema: bool, reach: bool, rfc6135: bool| {
            let mut c = LocalConfig::new(Uri::parse(own).unwrap());
            c.use_path = relay.iter().map(|r| Uri::parse(r).unwrap()).collect();
            c.cema = cema && rfc6135;
            c.reachable = reach;
            c.rfc6135 = rfc6135;
            c
        };
        let a_cfg = mk(&alice, &alice_relay, alice_cema, alice_reach, true);
        let b_cfg = mk(&bob, &bob_relay, bob_cema, bob_reach, bob_6135);
        let offer_sdp = create_offer(&a_cfg, &origin()).unwrap();
        let answer = create_answer(&offer_sdp, &b_cfg, &Resolutions::new(), &origin()).unwrap();
        let AnswerOutcome::Accept { session: bob_s, .. } = &answer.outcome else {
            // Only a 4975-only answerer facing a `passive`-free offer may fail; our offers never
            // say passive, so nothing may be rejected.
            return Err(TestCaseError::fail(format!("rejected: {:?}", answer.outcome)));
        };
        let outcome = apply_answer_sdp(&a_cfg, &offer_sdp, &answer.sdp, &Resolutions::new()).unwrap();
        let OfferOutcome::Established(alice_s) = outcome else {
            return Err(TestCaseError::fail(format!("no session: {outcome:?}")));
        };
        // Exactly one active side.
        prop_assert_ne!(alice_s.role, bob_s.role);
        // Each side's To-Path ends with the other's own URI; paths agree.
        prop_assert_eq!(&alice_s.remote_path, &bob_s.local_path);
        prop_assert_eq!(&bob_s.remote_path, &alice_s.local_path);
        // The active side dials what the passive side listens on: without relays that is the
        // passive side's own URI authority (c/m equals it here: no middlebox).
        let (active, passive_cfg) = if alice_s.role == Role::Active { (&alice_s, &b_cfg) } else { (bob_s, &a_cfg) };
        match &active.connect {
            Connect::Dial { address, port, .. } => {
                let target = passive_cfg.sdp_path()[0].clone();
                let t = target.as_ref();
                prop_assert_eq!(Some(*port), t.port());
                prop_assert_eq!(address.to_string(), t.host().to_string());
            }
            Connect::Relay { next_hop } => prop_assert_eq!(Some(next_hop), if alice_s.role == Role::Active { a_cfg.use_path.first() } else { b_cfg.use_path.first() }),
            Connect::Accept => prop_assert!(false, "active side must connect"),
            _ => prop_assert!(false, "unknown connect"),
        }
        // CEMA is enabled only when both support it.
        if alice_s.cema == CemaStatus::Enabled || bob_s.cema == CemaStatus::Enabled {
            prop_assert!(a_cfg.cema && b_cfg.cema);
        }
    }
}
