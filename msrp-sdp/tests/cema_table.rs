//! The RFC 6714 §4.2/§4.3 decision table, one test per row, named after the requirement.
//! Each row asserts the whole decision: outcome kind, role, connection target and its source,
//! To-Path, CEMA status, and (answerer) the answer's `a=setup`, `a=msrp-cema` and c/m.
//!
//! Cast: Alice (offerer, `alice.example.com:7777`), Bob (answerer, `bob.example.com:8888`),
//! relays `relay-a.example.net:9000` / `relay-b.example.net:9000`, and a middlebox that
//! rewrote c/m to `192.0.2.99:40000`.

use std::net::IpAddr;

use msrp_proto::uri::Uri;
use msrp_sdp::*;

const ALICE: &str = "msrp://alice.example.com:7777/alice1;tcp";
const BOB: &str = "msrp://bob.example.com:8888/bob1;tcp";
const RELAY_A: &str = "msrp://relay-a.example.net:9000/ra;tcp";
const RELAY_B: &str = "msrp://relay-b.example.net:9000/rb;tcp";

fn uri(s: &str) -> Uri {
    Uri::parse(s).unwrap()
}

fn conn(s: &str) -> Connection {
    Connection::parse(s).unwrap()
}

fn config(own: &str, relay: Option<&str>, cema: bool) -> LocalConfig {
    let mut c = LocalConfig::new(uri(own));
    c.use_path = relay.map(uri).into_iter().collect();
    c.cema = cema;
    c
}

/// A peer's media section.
fn peer(path: &[&str], c: &str, port: u16, setup: Option<Setup>, cema: bool) -> MsrpMedia {
    let mut m = MsrpMedia::new(
        port,
        Transport::Tcp,
        conn(c),
        path.iter().map(|p| uri(p)).collect(),
        vec![FormatEntry::parse("text/plain").unwrap()],
    );
    m.setup = setup;
    m.cema = cema;
    m
}

fn dns() -> Resolutions {
    let mut r = Resolutions::new();
    r.insert(
        "alice.example.com",
        ["198.51.100.1".parse::<IpAddr>().unwrap()],
    );
    r.insert(
        "bob.example.com",
        ["203.0.113.5".parse::<IpAddr>().unwrap()],
    );
    r
}

fn middlebox() -> Connect {
    Connect::Dial {
        address: Address::Ip("192.0.2.99".parse().unwrap()),
        port: 40000,
        tls: false,
        source: DialSource::CmLine,
    }
}

fn dial_name(host: &str, port: u16, source: DialSource) -> Connect {
    Connect::Dial {
        address: Address::Name(host.into()),
        port,
        tls: false,
        source,
    }
}

fn relay(hop: &str) -> Connect {
    Connect::Relay { next_hop: uri(hop) }
}

fn paths(v: &[Uri]) -> Vec<&str> {
    v.iter().map(Uri::as_str).collect()
}

#[derive(Debug, PartialEq)]
struct Expect<'a> {
    role: Role,
    connect: Connect,
    cema: CemaStatus,
    to_path: Vec<&'a str>,
}

fn check_session(s: &Session, e: &Expect<'_>) {
    let got = Expect {
        role: s.role,
        connect: s.connect.clone(),
        cema: s.cema,
        to_path: paths(&s.to_path),
    };
    assert_eq!(&got, e);
}

#[derive(Debug, PartialEq)]
struct AnswerShape {
    setup: Option<Setup>,
    cema: bool,
    c: String,
    port: u16,
}

fn accepted(o: AnswerOutcome) -> (MsrpMedia, Session) {
    match o {
        AnswerOutcome::Accept { answer, session } => (answer, session),
        other => panic!("expected Accept, got {other:?}"),
    }
}

fn shape(a: &MsrpMedia) -> AnswerShape {
    AnswerShape {
        setup: a.setup,
        cema: a.cema,
        c: a.connection.to_string(),
        port: a.port,
    }
}

// ---------------------------------------------------------------- answerer (§4.3)

#[test]
fn r6714_014_answerer_rejects_non_cema_offer_whose_cm_port_differs() {
    // Port differs from every path URI: a mismatch without any DNS.
    let offer = peer(&[ALICE], "IN IP4 192.0.2.99", 40000, None, false);
    assert!(matches!(
        answer_media(&offer, &config(BOB, None, true), &Resolutions::new()).unwrap(),
        AnswerOutcome::Reject {
            reason: RejectReason::CmMismatchWithoutCema,
            ..
        }
    ));
}

#[test]
fn r6714_014_answerer_rejects_non_cema_offer_whose_cm_mismatches_path() {
    // The middlebox kept the port, so only DNS can tell whether the address differs.
    let offer = peer(
        &[ALICE],
        "IN IP4 192.0.2.99",
        7777,
        Some(Setup::ActPass),
        false,
    );
    let cfg = config(BOB, None, true);
    // Sans-IO: the first call asks for DNS, the caller answers, the second call decides.
    let err = answer_media(&offer, &cfg, &Resolutions::new()).unwrap_err();
    assert_eq!(
        err,
        NegotiationError::NeedsResolution(NeedsResolution {
            names: vec!["alice.example.com".into()]
        })
    );
    match answer_media(&offer, &cfg, &dns()).unwrap() {
        AnswerOutcome::Reject {
            reason,
            port_zero_answer,
        } => {
            assert_eq!(reason, RejectReason::CmMismatchWithoutCema);
            assert_eq!(reason.sip_status(), 488);
            assert_eq!(port_zero_answer.port, 0);
            assert!(!port_zero_answer.cema);
            assert_eq!(port_zero_answer.setup, Some(Setup::Passive));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn r6714_014_answerer_accepts_non_cema_offer_whose_cm_matches_path() {
    // RFC 4975 offer (no a=setup → offerer active), c/m = its own URI.
    let offer = peer(&[ALICE], "IN IP4 alice.example.com", 7777, None, false);
    let (a, s) =
        accepted(answer_media(&offer, &config(BOB, None, true), &Resolutions::new()).unwrap());
    assert_eq!(
        shape(&a),
        AnswerShape {
            setup: Some(Setup::Passive),
            cema: true,
            c: "IN IP4 bob.example.com".into(),
            port: 8888
        }
    );
    check_session(
        &s,
        &Expect {
            role: Role::Passive,
            connect: Connect::Accept,
            cema: CemaStatus::NotSignalledByPeer,
            to_path: vec![ALICE],
        },
    );
}

#[test]
fn r6714_014_non_cema_answerer_never_checks_cm() {
    // Without CEMA support the middlebox's c/m is irrelevant: RFC 4975 dials the path (R4975-179).
    let offer = peer(
        &[ALICE],
        "IN IP4 192.0.2.99",
        40000,
        Some(Setup::Passive),
        false,
    );
    let (a, s) =
        accepted(answer_media(&offer, &config(BOB, None, false), &Resolutions::new()).unwrap());
    assert_eq!(
        shape(&a),
        AnswerShape {
            setup: Some(Setup::Active),
            cema: false,
            c: "IN IP4 bob.example.com".into(),
            port: 8888
        }
    );
    check_session(
        &s,
        &Expect {
            role: Role::Active,
            connect: dial_name("alice.example.com", 7777, DialSource::PathUri),
            cema: CemaStatus::NotSupportedLocally,
            to_path: vec![ALICE],
        },
    );
}

#[test]
fn r6714_015_c1_both_use_relays_answerer_falls_back() {
    let offer = peer(
        &[RELAY_A, ALICE],
        "IN IP4 relay-a.example.net",
        9000,
        Some(Setup::ActPass),
        true,
    );
    let (a, s) = accepted(
        answer_media(
            &offer,
            &config(BOB, Some(RELAY_B), true),
            &Resolutions::new(),
        )
        .unwrap(),
    );
    assert_eq!(
        shape(&a),
        AnswerShape {
            setup: Some(Setup::Passive),
            cema: false,
            c: "IN IP4 bob.example.com".into(),
            port: 8888
        }
    );
    check_session(
        &s,
        &Expect {
            role: Role::Passive,
            connect: relay(RELAY_B),
            cema: CemaStatus::Fallback(CemaFallback::BothUseRelays),
            to_path: vec![RELAY_B, RELAY_A, ALICE],
        },
    );
}

#[test]
fn r6714_015_c2_offerer_relay_active_answerer_falls_back() {
    for setup in [Some(Setup::Active), None] {
        let offer = peer(
            &[RELAY_A, ALICE],
            "IN IP4 relay-a.example.net",
            9000,
            setup,
            true,
        );
        let (a, s) =
            accepted(answer_media(&offer, &config(BOB, None, true), &Resolutions::new()).unwrap());
        assert_eq!(
            shape(&a),
            AnswerShape {
                setup: Some(Setup::Passive),
                cema: false,
                c: "IN IP4 bob.example.com".into(),
                port: 8888
            }
        );
        check_session(
            &s,
            &Expect {
                role: Role::Passive,
                connect: Connect::Accept,
                cema: CemaStatus::Fallback(CemaFallback::OffererRelayActive),
                to_path: vec![RELAY_A, ALICE],
            },
        );
    }
}

#[test]
fn r6714_002_non_cema_offerer_with_relay_is_dialled_through_its_path() {
    // §4.1 second case: a non-CEMA offerer behind a relay puts its own address in c/m, so an
    // active answerer must dial the path (the relay), not c/m.
    let offer = peer(
        &[RELAY_A, ALICE],
        "IN IP4 alice.example.com",
        7777,
        Some(Setup::ActPass),
        false,
    );
    let mut cfg = config(BOB, None, true);
    cfg.reachable = false;
    let (a, s) = accepted(answer_media(&offer, &cfg, &Resolutions::new()).unwrap());
    assert_eq!(
        shape(&a),
        AnswerShape {
            setup: Some(Setup::Active),
            cema: false,
            c: "IN IP4 bob.example.com".into(),
            port: 8888
        }
    );
    check_session(
        &s,
        &Expect {
            role: Role::Active,
            connect: dial_name("relay-a.example.net", 9000, DialSource::PathUri),
            cema: CemaStatus::Fallback(CemaFallback::NonCemaOffererRelay),
            to_path: vec![RELAY_A, ALICE],
        },
    );
}

#[test]
fn r6714_015_c3_answerer_relay_cannot_be_passive_falls_back() {
    // P-29: a `passive` offer (forbidden by RFC 6135 but legal RFC 4145).
    let offer = peer(
        &[ALICE],
        "IN IP4 alice.example.com",
        7777,
        Some(Setup::Passive),
        true,
    );
    let (a, s) = accepted(
        answer_media(
            &offer,
            &config(BOB, Some(RELAY_B), true),
            &Resolutions::new(),
        )
        .unwrap(),
    );
    assert_eq!(
        shape(&a),
        AnswerShape {
            setup: Some(Setup::Active),
            cema: false,
            c: "IN IP4 bob.example.com".into(),
            port: 8888
        }
    );
    check_session(
        &s,
        &Expect {
            role: Role::Active,
            connect: relay(RELAY_B),
            cema: CemaStatus::Fallback(CemaFallback::AnswererRelayCannotBePassive),
            to_path: vec![RELAY_B, ALICE],
        },
    );
}

#[test]
fn r6714_016_r6714_018_answerer_with_relay_puts_relay_in_cm_and_answers_passive() {
    for setup in [Some(Setup::ActPass), Some(Setup::Active), None] {
        let offer = peer(&[ALICE], "IN IP4 192.0.2.99", 40000, setup, true);
        let (a, s) = accepted(
            answer_media(
                &offer,
                &config(BOB, Some(RELAY_B), true),
                &Resolutions::new(),
            )
            .unwrap(),
        );
        assert_eq!(
            shape(&a),
            AnswerShape {
                setup: Some(Setup::Passive),
                cema: true,
                c: "IN IP4 relay-b.example.net".into(),
                port: 9000
            }
        );
        assert_eq!(paths(&a.path), [RELAY_B, BOB]);
        check_session(
            &s,
            &Expect {
                role: Role::Passive,
                connect: relay(RELAY_B),
                cema: CemaStatus::Enabled,
                to_path: vec![RELAY_B, ALICE],
            },
        );
    }
}

#[test]
fn r6714_017_answerer_without_relay_reachable_answers_passive() {
    let offer = peer(
        &[ALICE],
        "IN IP4 192.0.2.99",
        40000,
        Some(Setup::ActPass),
        true,
    );
    let (a, s) =
        accepted(answer_media(&offer, &config(BOB, None, true), &Resolutions::new()).unwrap());
    assert_eq!(
        shape(&a),
        AnswerShape {
            setup: Some(Setup::Passive),
            cema: true,
            c: "IN IP4 bob.example.com".into(),
            port: 8888
        }
    );
    check_session(
        &s,
        &Expect {
            role: Role::Passive,
            connect: Connect::Accept,
            cema: CemaStatus::Enabled,
            to_path: vec![ALICE],
        },
    );
}

#[test]
fn r6714_019_active_answerer_dials_offer_cm_address() {
    let offer = peer(
        &[ALICE],
        "IN IP4 192.0.2.99",
        40000,
        Some(Setup::ActPass),
        true,
    );
    let mut cfg = config(BOB, None, true);
    cfg.reachable = false;
    let (a, s) = accepted(answer_media(&offer, &cfg, &Resolutions::new()).unwrap());
    assert_eq!(
        shape(&a),
        AnswerShape {
            setup: Some(Setup::Active),
            cema: true,
            c: "IN IP4 bob.example.com".into(),
            port: 8888
        }
    );
    check_session(
        &s,
        &Expect {
            role: Role::Active,
            connect: middlebox(),
            cema: CemaStatus::Enabled,
            to_path: vec![ALICE],
        },
    );
}

#[test]
fn r6714_019_passive_offer_answerer_active_dials_offer_cm_address() {
    let offer = peer(
        &[ALICE],
        "IN IP4 192.0.2.99",
        40000,
        Some(Setup::Passive),
        true,
    );
    let (a, s) =
        accepted(answer_media(&offer, &config(BOB, None, true), &Resolutions::new()).unwrap());
    assert_eq!(a.setup, Some(Setup::Active));
    check_session(
        &s,
        &Expect {
            role: Role::Active,
            connect: middlebox(),
            cema: CemaStatus::Enabled,
            to_path: vec![ALICE],
        },
    );
}

#[test]
fn r6714_002_answerer_chooses_active_to_keep_cema_with_relay_offerer() {
    // §4.1: a CEMA endpoint behind a relay must not become active, so the answerer takes
    // the active role when the offerer (relay, actpass) leaves the choice.
    let offer = peer(
        &[RELAY_A, ALICE],
        "IN IP4 relay-a.example.net",
        9000,
        Some(Setup::ActPass),
        true,
    );
    let (a, s) =
        accepted(answer_media(&offer, &config(BOB, None, true), &Resolutions::new()).unwrap());
    assert_eq!(
        shape(&a),
        AnswerShape {
            setup: Some(Setup::Active),
            cema: true,
            c: "IN IP4 bob.example.com".into(),
            port: 8888
        }
    );
    check_session(
        &s,
        &Expect {
            role: Role::Active,
            connect: dial_name("relay-a.example.net", 9000, DialSource::CmLine),
            cema: CemaStatus::Enabled,
            to_path: vec![RELAY_A, ALICE],
        },
    );
}

#[test]
fn r6714_021_cema_requires_rfc6135() {
    let mut cfg = config(BOB, None, true);
    cfg.rfc6135 = false;
    let offer = peer(&[ALICE], "IN IP4 alice.example.com", 7777, None, true);
    assert_eq!(
        answer_media(&offer, &cfg, &Resolutions::new()).unwrap_err(),
        NegotiationError::Config(ConfigError::CemaRequiresRfc6135)
    );
    assert_eq!(
        offer_media(&cfg).unwrap_err(),
        ConfigError::CemaRequiresRfc6135
    );
}

#[test]
fn r6714_020_port_9_of_an_active_non_cema_offer_is_not_a_mismatch() {
    // RFC 6135 offerers that cannot accept connections use port 9 (R6135-006).
    let offer = peer(
        &[ALICE],
        "IN IP4 alice.example.com",
        9,
        Some(Setup::Active),
        false,
    );
    let (_, s) =
        accepted(answer_media(&offer, &config(BOB, None, true), &Resolutions::new()).unwrap());
    assert_eq!(s.cema, CemaStatus::NotSignalledByPeer);
    // … but port 9 with actpass is compared like any port.
    let offer = peer(
        &[ALICE],
        "IN IP4 alice.example.com",
        9,
        Some(Setup::ActPass),
        false,
    );
    assert!(matches!(
        answer_media(&offer, &config(BOB, None, true), &Resolutions::new()).unwrap(),
        AnswerOutcome::Reject {
            reason: RejectReason::CmMismatchWithoutCema,
            ..
        }
    ));
}

// ---------------------------------------------------------------- offerer (§4.2)

fn alice_offer(relay: Option<&str>, cema: bool) -> (LocalConfig, MsrpMedia) {
    let cfg = config(ALICE, relay, cema);
    let m = offer_media(&cfg).unwrap();
    (cfg, m)
}

fn established(o: OfferOutcome) -> Session {
    match o {
        OfferOutcome::Established(s) => s,
        other => panic!("expected Established, got {other:?}"),
    }
}

#[test]
fn r6714_003_r6714_004_offer_without_relay_has_cema_and_setup() {
    let (_, m) = alice_offer(None, true);
    assert!(m.cema);
    assert_eq!(m.setup, Some(Setup::ActPass));
    assert_eq!(
        (m.connection.to_string(), m.port),
        ("IN IP4 alice.example.com".into(), 7777)
    );
    let mut cfg = config(ALICE, None, true);
    cfg.reachable = false;
    assert_eq!(offer_media(&cfg).unwrap().setup, Some(Setup::Active)); // R6135-007
}

#[test]
fn r6714_005_offer_with_relay_puts_relay_in_cm_and_actpass() {
    let mut cfg = config(ALICE, Some(RELAY_A), true);
    cfg.reachable = false;
    let m = offer_media(&cfg).unwrap();
    assert!(m.cema);
    assert_eq!(m.setup, Some(Setup::ActPass));
    assert_eq!(
        (m.connection.to_string(), m.port),
        ("IN IP4 relay-a.example.net".into(), 9000)
    );
    assert_eq!(paths(&m.path), [RELAY_A, ALICE]);
}

#[test]
fn r6714_007_criterion1_mismatch_and_offerer_passive_reoffers() {
    let (cfg, offer) = alice_offer(None, true);
    let answer = peer(
        &[BOB],
        "IN IP4 192.0.2.99",
        8888,
        Some(Setup::Active),
        false,
    );
    let err = apply_answer(&cfg, &offer, &answer, &Resolutions::new()).unwrap_err();
    assert_eq!(
        err,
        NegotiationError::NeedsResolution(NeedsResolution {
            names: vec!["bob.example.com".into()]
        })
    );
    match apply_answer(&cfg, &offer, &answer, &dns()).unwrap() {
        OfferOutcome::Reoffer {
            criterion,
            new_offer,
        } => {
            assert_eq!(criterion, ReofferCriterion::MismatchOffererPassive);
            assert!(!new_offer.cema, "R6714-006: the new offer has no msrp-cema");
            assert_eq!(new_offer.setup, Some(Setup::ActPass));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn r6714_008_criterion2_offerer_relay_mismatch_active_reoffers() {
    let (cfg, offer) = alice_offer(Some(RELAY_A), true);
    let answer = peer(
        &[BOB],
        "IN IP4 192.0.2.99",
        40000,
        Some(Setup::Passive),
        false,
    );
    match apply_answer(&cfg, &offer, &answer, &dns()).unwrap() {
        OfferOutcome::Reoffer {
            criterion,
            new_offer,
        } => {
            assert_eq!(criterion, ReofferCriterion::MismatchOffererRelayActive);
            assert!(!new_offer.cema);
            // RFC 4975/4976 offer: c/m is our own URI again (R4975-171).
            assert_eq!(new_offer.connection.to_string(), "IN IP4 alice.example.com");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn r6714_009_criterion3_answerer_relay_mismatch_offerer_active_reoffers() {
    let (cfg, offer) = alice_offer(None, true);
    let answer = peer(
        &[RELAY_B, BOB],
        "IN IP4 192.0.2.99",
        40000,
        Some(Setup::Passive),
        false,
    );
    let mut res = dns();
    res.insert(
        "relay-b.example.net",
        ["203.0.113.9".parse::<IpAddr>().unwrap()],
    );
    match apply_answer(&cfg, &offer, &answer, &res).unwrap() {
        OfferOutcome::Reoffer { criterion, .. } => assert_eq!(
            criterion,
            ReofferCriterion::MismatchAnswererRelayOffererActive
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn r6714_012_answerer_relay_cm_matches_path_falls_back_without_reoffer() {
    let (cfg, offer) = alice_offer(None, true);
    // RFC 4976 answer: c/m = Bob's own URI (matches one of the path URIs).
    let answer = peer(
        &[RELAY_B, BOB],
        "IN IP4 bob.example.com",
        8888,
        Some(Setup::Passive),
        false,
    );
    let s = established(apply_answer(&cfg, &offer, &answer, &Resolutions::new()).unwrap());
    check_session(
        &s,
        &Expect {
            role: Role::Active,
            connect: dial_name("relay-b.example.net", 9000, DialSource::PathUri),
            cema: CemaStatus::Fallback(CemaFallback::AnswererRelayNoMiddlebox),
            to_path: vec![RELAY_B, BOB],
        },
    );
}

#[test]
fn r6714_013_offerer_dials_cm_address() {
    let (cfg, offer) = alice_offer(None, true);
    let answer = peer(
        &[BOB],
        "IN IP4 192.0.2.99",
        40000,
        Some(Setup::Passive),
        true,
    );
    let s = established(apply_answer(&cfg, &offer, &answer, &Resolutions::new()).unwrap());
    check_session(
        &s,
        &Expect {
            role: Role::Active,
            connect: middlebox(),
            cema: CemaStatus::Enabled,
            to_path: vec![BOB],
        },
    );
}

#[test]
fn r6714_013_answer_without_cema_and_no_criterion_still_dials_cm() {
    // No relays, offerer active, c/m rewritten: no criterion fires, so "in other cases" the
    // active offerer uses c/m (the middlebox anchors transparently).
    let (cfg, offer) = alice_offer(None, true);
    let answer = peer(
        &[BOB],
        "IN IP4 192.0.2.99",
        40000,
        Some(Setup::Passive),
        false,
    );
    let s = established(apply_answer(&cfg, &offer, &answer, &dns()).unwrap());
    check_session(
        &s,
        &Expect {
            role: Role::Active,
            connect: middlebox(),
            cema: CemaStatus::NotSignalledByPeer,
            to_path: vec![BOB],
        },
    );
}

#[test]
fn r6714_013_passive_offerer_waits() {
    let (cfg, offer) = alice_offer(None, true);
    let answer = peer(
        &[BOB],
        "IN IP4 192.0.2.99",
        40000,
        Some(Setup::Active),
        true,
    );
    let s = established(apply_answer(&cfg, &offer, &answer, &Resolutions::new()).unwrap());
    check_session(
        &s,
        &Expect {
            role: Role::Passive,
            connect: Connect::Accept,
            cema: CemaStatus::Enabled,
            to_path: vec![BOB],
        },
    );
}

#[test]
fn r6714_002_offerer_with_relay_passive_keeps_cema() {
    let (cfg, offer) = alice_offer(Some(RELAY_A), true);
    let answer = peer(
        &[BOB],
        "IN IP4 192.0.2.99",
        40000,
        Some(Setup::Active),
        true,
    );
    let s = established(apply_answer(&cfg, &offer, &answer, &Resolutions::new()).unwrap());
    check_session(
        &s,
        &Expect {
            role: Role::Passive,
            connect: relay(RELAY_A),
            cema: CemaStatus::Enabled,
            to_path: vec![RELAY_A, BOB],
        },
    );
}

#[test]
fn r6714_002_offerer_with_relay_made_active_by_cema_answer() {
    let (cfg, offer) = alice_offer(Some(RELAY_A), true);
    // Mismatch → treated like criterion 2.
    let answer = peer(
        &[BOB],
        "IN IP4 192.0.2.99",
        40000,
        Some(Setup::Passive),
        true,
    );
    assert!(matches!(
        apply_answer(&cfg, &offer, &answer, &dns()).unwrap(),
        OfferOutcome::Reoffer {
            criterion: ReofferCriterion::MismatchOffererRelayActive,
            ..
        }
    ));
    // Match → RFC 4975 through our relay, no re-offer.
    let answer = peer(
        &[BOB],
        "IN IP4 bob.example.com",
        8888,
        Some(Setup::Passive),
        true,
    );
    let s = established(apply_answer(&cfg, &offer, &answer, &Resolutions::new()).unwrap());
    check_session(
        &s,
        &Expect {
            role: Role::Active,
            connect: relay(RELAY_A),
            cema: CemaStatus::Fallback(CemaFallback::LocalRelayActive),
            to_path: vec![RELAY_A, BOB],
        },
    );
}

#[test]
fn r6714_002_answerer_relay_active_with_cema_answer() {
    let (cfg, offer) = alice_offer(None, true);
    let answer = peer(
        &[RELAY_B, BOB],
        "IN IP4 relay-b.example.net",
        9000,
        Some(Setup::Active),
        true,
    );
    let s = established(apply_answer(&cfg, &offer, &answer, &Resolutions::new()).unwrap());
    check_session(
        &s,
        &Expect {
            role: Role::Passive,
            connect: Connect::Accept,
            cema: CemaStatus::Fallback(CemaFallback::PeerRelayActive),
            to_path: vec![RELAY_B, BOB],
        },
    );
}

#[test]
fn r6714_001_non_cema_offerer_uses_path() {
    let (cfg, offer) = alice_offer(None, false);
    assert!(!offer.cema);
    let answer = peer(
        &[BOB],
        "IN IP4 192.0.2.99",
        40000,
        Some(Setup::Passive),
        true,
    );
    let s = established(apply_answer(&cfg, &offer, &answer, &Resolutions::new()).unwrap());
    check_session(
        &s,
        &Expect {
            role: Role::Active,
            connect: dial_name("bob.example.com", 8888, DialSource::PathUri),
            cema: CemaStatus::NotSupportedLocally,
            to_path: vec![BOB],
        },
    );
}

#[test]
fn r3264_005_port_zero_answer_is_refused() {
    let (cfg, offer) = alice_offer(None, true);
    let answer = peer(
        &[BOB],
        "IN IP4 bob.example.com",
        0,
        Some(Setup::Passive),
        true,
    );
    assert_eq!(
        apply_answer(&cfg, &offer, &answer, &Resolutions::new()).unwrap(),
        OfferOutcome::Refused
    );
}

#[test]
fn r4145_002_invalid_answer_setup_is_an_error() {
    let mut cfg = config(ALICE, None, true);
    cfg.reachable = false; // offer active
    let offer = offer_media(&cfg).unwrap();
    let answer = peer(
        &[BOB],
        "IN IP4 bob.example.com",
        8888,
        Some(Setup::Active),
        true,
    );
    assert_eq!(
        apply_answer(&cfg, &offer, &answer, &Resolutions::new()).unwrap_err(),
        NegotiationError::Setup(SetupError::BothActive)
    );
}

// ---------------------------------------------------------------- address matching (§4.4)

#[test]
fn r6714_020_ipv6_compared_in_rfc5952_form() {
    let path = [uri("msrp://[2001:db8:0:0::1]:8888/s;tcp")];
    let c = conn("IN IP6 2001:DB8::1");
    assert_eq!(
        cm_matches_path(&c, 8888, false, &path, &Resolutions::new()),
        Ok(true)
    );
    assert_eq!(
        cm_matches_path(&c, 8889, false, &path, &Resolutions::new()),
        Ok(false)
    );
}

#[test]
fn r6714_020_any_dns_record_may_match() {
    let path = [uri(BOB)];
    let c = conn("IN IP4 203.0.113.7");
    let mut res = Resolutions::new();
    res.insert(
        "BOB.example.com.",
        [
            "203.0.113.5".parse::<IpAddr>().unwrap(),
            "203.0.113.7".parse().unwrap(),
        ],
    );
    assert_eq!(cm_matches_path(&c, 8888, false, &path, &res), Ok(true));
    // A name that does not resolve (empty answer) never matches.
    let mut none = Resolutions::new();
    none.insert("bob.example.com", []);
    assert_eq!(cm_matches_path(&c, 8888, false, &path, &none), Ok(false));
}

#[test]
fn r6714_020_fqdn_in_c_line_is_resolved_too() {
    let path = [uri("msrp://198.51.100.1:7777/a;tcp")];
    let c = conn("IN IP4 alice.example.com");
    assert_eq!(
        cm_matches_path(&c, 7777, false, &path, &Resolutions::new()),
        Err(NeedsResolution {
            names: vec!["alice.example.com".into()]
        })
    );
    assert_eq!(cm_matches_path(&c, 7777, false, &path, &dns()), Ok(true));
    // Port differs → no DNS needed at all.
    assert_eq!(
        cm_matches_path(&c, 7778, false, &path, &Resolutions::new()),
        Ok(false)
    );
}
