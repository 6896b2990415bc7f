//! SDP rows of the spec digest (RFC 4975 §8, RFC 6135) checked on the generated offers and
//! answers. Each test names the rows it checks.

use msrp_proto::uri::Uri;
use msrp_sdp::{
    Address, AnswerOutcome, Connect, LocalConfig, Origin, Resolutions, SessionDescription, Setup,
    create_answer, create_offer, offer_media,
};

const ALICE: &str = "msrp://alice.example.com:7777/a1x9b2;tcp";
const BOB: &str = "msrp://bob.example.com:8888/b1y8c3;tcp";

fn uri(s: &str) -> Uri {
    Uri::parse(s).unwrap()
}

fn origin(host: &str) -> Origin {
    Origin {
        username: "-".into(),
        session_id: 42,
        version: 1,
        address: Address::Name(host.into()),
    }
}

/// The values of every `a=<name>:` line of the text.
fn attrs(sdp: &SessionDescription, name: &str) -> Vec<String> {
    let prefix = format!("a={name}:");
    sdp.to_string()
        .lines()
        .filter_map(|l| l.strip_prefix(&prefix).map(str::to_owned))
        .collect()
}

fn accept(
    offer: &SessionDescription,
    cfg: &LocalConfig,
) -> (SessionDescription, msrp_sdp::Session) {
    let a = create_answer(offer, cfg, &Resolutions::new(), &origin("bob.example.com")).unwrap();
    let AnswerOutcome::Accept { session, .. } = a.outcome else {
        panic!("rejected: {:?}", a.outcome)
    };
    (a.sdp, session)
}

#[test]
fn r6135_002_every_offer_and_answer_carries_an_explicit_setup() {
    for reachable in [true, false] {
        let mut a = LocalConfig::new(uri(ALICE));
        a.reachable = reachable;
        let offer = create_offer(&a, &origin("alice.example.com")).unwrap();
        assert_eq!(attrs(&offer, "setup").len(), 1, "offer: {offer}");
        for bob_reachable in [true, false] {
            let mut b = LocalConfig::new(uri(BOB));
            b.reachable = bob_reachable;
            let (answer, _) = accept(&offer, &b);
            assert_eq!(attrs(&answer, "setup").len(), 1, "answer: {answer}");
        }
    }
}

#[test]
fn r6135_003_active_actpass_passive_are_understood() {
    for (text, setup) in [
        ("active", Setup::Active),
        ("passive", Setup::Passive),
        ("actpass", Setup::ActPass),
        ("ACTPASS", Setup::ActPass),
    ] {
        assert_eq!(Setup::parse(text), Ok(setup));
        assert!(setup.as_str().eq_ignore_ascii_case(text));
    }
    assert!(Setup::parse("sometimes").is_err());
}

#[test]
fn r6135_007_r6135_008_offer_setup_follows_reachability_and_is_never_passive() {
    for cema in [false, true] {
        for reachable in [true, false] {
            let mut cfg = LocalConfig::new(uri(ALICE));
            cfg.cema = cema;
            cfg.reachable = reachable;
            let m = offer_media(&cfg).unwrap();
            let want = if reachable {
                Setup::ActPass
            } else {
                Setup::Active
            };
            assert_eq!(m.setup, Some(want), "cema {cema} reachable {reachable}");
            assert_ne!(m.setup, Some(Setup::Passive));
        }
    }
}

#[test]
fn r6135_005_r4975_171_r4975_173_passive_capable_path_is_where_we_listen() {
    let cfg = LocalConfig::new(uri(ALICE));
    let m = offer_media(&cfg).unwrap();
    assert_eq!(m.setup, Some(Setup::ActPass));
    let own = m.path.last().unwrap().as_ref();
    // c= carries the host and m= the port of our own URI: where we accept connections.
    assert_eq!(
        m.connection.to_string(),
        format!("IN IP4 {}", own.host_str())
    );
    assert_eq!(Some(m.port), own.port());
    assert_eq!(m.port, 7777);
}

#[test]
fn r4975_184_r4975_186_accept_types_always_present_with_the_mandatory_formats() {
    let a = LocalConfig::new(uri(ALICE));
    let offer = create_offer(&a, &origin("alice.example.com")).unwrap();
    let (answer, _) = accept(&offer, &LocalConfig::new(uri(BOB)));
    for sdp in [&offer, &answer] {
        let types = attrs(sdp, "accept-types");
        assert_eq!(types.len(), 1, "{sdp}");
        let list: Vec<&str> = types[0].split_whitespace().collect();
        for mandatory in [
            "message/cpim",
            "multipart/mixed",
            "multipart/alternative",
            "multipart/signed",
        ] {
            assert!(
                list.contains(&mandatory) || list.contains(&"*"),
                "{mandatory} missing in {list:?}"
            );
        }
    }
}

#[test]
fn r4975_182_an_unchanged_offer_keeps_the_same_origin_line() {
    let a = LocalConfig::new(uri(ALICE));
    let o = origin("alice.example.com");
    let first = create_offer(&a, &o).unwrap().to_string();
    let again = create_offer(&a, &o).unwrap().to_string();
    let oline = |s: &str| s.lines().find(|l| l.starts_with("o=")).unwrap().to_owned();
    assert_eq!(oline(&first), oline(&again));
    assert_eq!(first, again);
}

#[test]
fn r4975_179_multi_uri_peer_path_accepted_and_first_uri_dialled() {
    // An offerer behind a relay (no CEMA): path = relay, then its own URI.
    let offer = SessionDescription::parse(
        "v=0\r\n\
         o=- 1 1 IN IP4 alice.example.com\r\n\
         s=-\r\n\
         c=IN IP4 relay.example.net\r\n\
         t=0 0\r\n\
         m=message 9000 TCP/MSRP *\r\n\
         a=accept-types:text/plain\r\n\
         a=path:msrp://relay.example.net:9000/r3l4y5;tcp msrp://alice.example.com:7777/a1x9b2;tcp\r\n\
         a=setup:actpass\r\n",
    )
    .unwrap();
    let mut b = LocalConfig::new(uri(BOB));
    b.reachable = false; // Bob answers active: he dials.
    let (_, session) = accept(&offer, &b);
    assert_eq!(session.remote_path.len(), 2, "both URIs kept");
    match session.connect {
        Connect::Dial { address, port, .. } => {
            assert_eq!(address.to_string(), "relay.example.net");
            assert_eq!(port, 9000);
        }
        other => panic!("expected a dial to the first URI, got {other:?}"),
    }
    assert_eq!(
        session.to_path.first().unwrap().as_ref().host_str(),
        "relay.example.net"
    );
}

#[test]
fn r4975_021_without_setup_the_offerer_dials_and_the_answerer_waits() {
    // Plain RFC 4975 endpoints (no a=setup at all).
    let mut a = LocalConfig::new(uri(ALICE));
    a.rfc6135 = false;
    let mut b = LocalConfig::new(uri(BOB));
    b.rfc6135 = false;
    let offer = create_offer(&a, &origin("alice.example.com")).unwrap();
    assert!(attrs(&offer, "setup").is_empty(), "{offer}");
    let (answer, bob) = accept(&offer, &b);
    assert!(matches!(bob.connect, Connect::Accept), "{:?}", bob.connect);
    let alice = match msrp_sdp::apply_answer_sdp(&a, &offer, &answer, &Resolutions::new()).unwrap()
    {
        msrp_sdp::OfferOutcome::Established(s) => s,
        other => panic!("{other:?}"),
    };
    match alice.connect {
        Connect::Dial { port, .. } => assert_eq!(port, 8888),
        other => panic!("the offerer dials: {other:?}"),
    }
}

#[test]
fn r4975_057_a_numeric_address_is_dialled_verbatim() {
    let mut a = LocalConfig::new(uri("msrp://192.0.2.7:7777/a1x9b2;tcp"));
    a.reachable = true;
    let offer = create_offer(&a, &origin("192.0.2.7")).unwrap();
    let mut b = LocalConfig::new(uri(BOB));
    b.reachable = false;
    let (_, bob) = accept(&offer, &b);
    match bob.connect {
        Connect::Dial { address, port, .. } => {
            assert_eq!(address, Address::Ip("192.0.2.7".parse().unwrap()));
            assert_eq!(port, 7777);
        }
        other => panic!("{other:?}"),
    }
}

fn established(
    a: &LocalConfig,
    offer: &SessionDescription,
    answer: &SessionDescription,
) -> msrp_sdp::Session {
    match msrp_sdp::apply_answer_sdp(a, offer, answer, &Resolutions::new()).unwrap() {
        msrp_sdp::OfferOutcome::Established(s) => s,
        other => panic!("{other:?}"),
    }
}

/// R6135-013: we never send `a=connection`, and one received changes nothing (RFC 4975's
/// reuse rules stay in force).
#[test]
fn r6135_013_a_connection_is_never_sent_and_ignored_when_received() {
    let a = LocalConfig::new(uri(ALICE));
    let b = LocalConfig::new(uri(BOB));
    let offer = create_offer(&a, &origin("alice.example.com")).unwrap();
    assert!(attrs(&offer, "connection").is_empty(), "{offer}");
    let (answer, plain) = accept(&offer, &b);
    assert!(attrs(&answer, "connection").is_empty(), "{answer}");
    for value in ["new", "existing"] {
        let text = offer
            .to_string()
            .replace("a=path:", &format!("a=connection:{value}\r\na=path:"));
        assert!(text.contains("a=connection:"), "{text}");
        let with = SessionDescription::parse(&text).unwrap();
        let (_, session) = accept(&with, &b);
        assert_eq!(session.connect, plain.connect);
        assert_eq!(session.role, plain.role);
        assert_eq!(session.to_path, plain.to_path);
    }
}

/// R4975-034, R4975-038, R4975-181: a session is re-created only through a new offer and
/// answer, and what that exchange says is used: the answerer's new path becomes the new
/// To-Path; nothing is carried over from the old exchange.
#[test]
fn r4975_034_r4975_038_r4975_181_a_new_exchange_brings_a_new_path() {
    let a = LocalConfig::new(uri(ALICE));
    let offer = create_offer(&a, &origin("alice.example.com")).unwrap();
    let (answer, _) = accept(&offer, &LocalConfig::new(uri(BOB)));
    let first = established(&a, &offer, &answer);
    assert_eq!(first.to_path, vec![uri(BOB)]);
    // Bob comes back on another host, port and session id after the session failed.
    let bob2 = "msrp://bob-new.example.net:9999/z7q1w2;tcp";
    let reoffer = create_offer(&a, &origin("alice.example.com")).unwrap();
    let (reanswer, _) = accept(&reoffer, &LocalConfig::new(uri(bob2)));
    let second = established(&a, &reoffer, &reanswer);
    assert_eq!(second.to_path, vec![uri(bob2)]);
    assert_eq!(second.remote_path, vec![uri(bob2)]);
    // Whoever dials now dials the new address.
    if let Connect::Dial { port, .. } = second.connect {
        assert_eq!(port, 9999);
    }
}

/// R4975-187: wrapped types are usable only inside a listed container, so
/// accept-wrapped-types without `message/cpim` or a `multipart/*` in accept-types is a
/// configuration error; with one, both lists are offered. R4975-189 (SDP side): what
/// the peer listed decides what may be sent unwrapped.
#[test]
fn r4975_187_r4975_189_wrapped_types_need_a_container() {
    let entry = |s: &str| msrp_sdp::FormatEntry::parse(s).unwrap();
    let mut a = LocalConfig::new(uri(ALICE));
    a.accept_types = vec![entry("text/plain")];
    a.accept_wrapped_types = vec![entry("image/png")];
    assert_eq!(
        create_offer(&a, &origin("alice.example.com")),
        Err(msrp_sdp::ConfigError::WrappedTypesWithoutContainer)
    );
    a.accept_types.push(entry("message/cpim"));
    let offer = create_offer(&a, &origin("alice.example.com")).unwrap();
    assert_eq!(attrs(&offer, "accept-types"), ["text/plain message/cpim"]);
    assert_eq!(attrs(&offer, "accept-wrapped-types"), ["image/png"]);
    let (_, bob) = accept(&offer, &LocalConfig::new(uri(BOB)));
    assert!(bob.accepts("text/plain"));
    assert!(bob.accepts("message/cpim"));
    assert!(!bob.accepts("image/png"), "only inside message/cpim");
}

/// R6135-014: a UA behind a relay always connects to its relay, whatever `a=setup`
/// makes of it; `role` then only says whether it sends the binding SEND.
#[test]
fn r6135_014_behind_a_relay_we_always_use_the_relay_connection() {
    let relay = "msrps://relay.example.com:2855/r3l4y5;tcp";
    for (offer_setup, bob_reachable) in [("actpass", true), ("active", true), ("passive", false)] {
        let a = LocalConfig::new(uri(ALICE));
        let offer = create_offer(&a, &origin("alice.example.com")).unwrap();
        let text = offer
            .to_string()
            .replace("a=setup:actpass", &format!("a=setup:{offer_setup}"));
        let offer = SessionDescription::parse(&text).unwrap();
        let mut b = LocalConfig::new(uri(BOB));
        b.use_path = vec![uri(relay)];
        b.reachable = bob_reachable;
        let (_, bob) = accept(&offer, &b);
        assert_eq!(
            bob.connect,
            Connect::Relay {
                next_hop: uri(relay)
            },
            "offer setup {offer_setup}"
        );
        // The role follows a=setup (for actpass it is the answerer's choice).
        match offer_setup {
            "active" => assert_eq!(bob.role, msrp_sdp::Role::Passive),
            "passive" => assert_eq!(bob.role, msrp_sdp::Role::Active),
            _ => {}
        }
    }
}

/// R4975-174: equal ports on several m-lines imply nothing. Two MSRP media sections on
/// the same port (say, a chat and a file, both over one connection) are two sessions,
/// told apart by their paths; each is answered on its own and neither is merged into
/// the other or refused for sharing the port.
#[test]
fn r4975_174_equal_ports_on_two_m_lines_are_two_sessions() {
    let text = "v=0\r\n\
o=- 42 1 IN IP4 alice.example.com\r\n\
s=-\r\n\
c=IN IP4 alice.example.com\r\n\
t=0 0\r\n\
m=message 7777 TCP/MSRP *\r\n\
a=accept-types:text/plain\r\n\
a=path:msrp://alice.example.com:7777/chat1x;tcp\r\n\
m=message 7777 TCP/MSRP *\r\n\
a=accept-types:application/octet-stream\r\n\
a=path:msrp://alice.example.com:7777/file2y;tcp\r\n";
    let offer = SessionDescription::parse(text).unwrap();
    let mut b = LocalConfig::new(uri(BOB));
    b.accept_types
        .push(msrp_sdp::FormatEntry::parse("application/octet-stream").unwrap());
    let mut paths = Vec::new();
    for index in 0..2 {
        let media = msrp_sdp::MsrpMedia::from_sdp(&offer, index).unwrap();
        match msrp_sdp::answer_media(&media, &b, &Resolutions::new()).unwrap() {
            AnswerOutcome::Accept { session, .. } => paths.push(session.to_path.clone()),
            other => panic!("m-line {index} refused: {other:?}"),
        }
    }
    assert_eq!(
        paths[0],
        vec![uri("msrp://alice.example.com:7777/chat1x;tcp")]
    );
    assert_eq!(
        paths[1],
        vec![uri("msrp://alice.example.com:7777/file2y;tcp")]
    );
}
