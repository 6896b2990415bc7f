//! The relay client's AUTH state machine against a scripted relay (RFC 4976 §5, §9.1).

// The scripted relay needs a starting instant; all later times are derived from it.
#![allow(clippy::disallowed_methods)]

mod relay_util;

use std::time::{Duration, Instant};

use msrp_proto::digest::{DigestInput, digest_eq, ha1, response};
use msrp_proto::rand::SeededRandom;
use msrp_proto::relay::{AuthClient, AuthConfig, AuthError, AuthEvent, DigestUriParam};
use msrp_proto::uri::Uri;
use msrp_proto::wire::encode::HeadWriter;
use msrp_proto::wire::headers::{DigestCredentials, StatusCode};
use msrp_proto::wire::{Decoder, Event, Flag, Head, KnownHeader, Method};

const PASSWORD: &str = "msrp-pass";

fn uri(s: &str) -> Uri {
    Uri::parse(s).unwrap()
}

fn config(relays: &[&str]) -> AuthConfig {
    let mut c = AuthConfig::new(
        "alice",
        PASSWORD,
        relays.iter().map(|r| uri(r)).collect(),
        uri("msrps://alice.example.com:9892/98cjs;tcp"),
    );
    c.expires = Some(900);
    c
}

/// Decodes one complete message and hands its head to `f`.
fn with_head<R>(bytes: &[u8], f: impl FnOnce(&Head<'_>) -> R) -> R {
    let mut d = Decoder::default();
    match d.decode(bytes).unwrap() {
        (_, Event::Head(h)) => f(&h),
        other => panic!("no head: {other:?}"),
    }
}

/// What the scripted relay answers.
enum Answer<'a> {
    Challenge {
        nonce: &'a str,
        stale: bool,
    },
    Interval {
        min: Option<u32>,
        max: Option<u32>,
    },
    Ok {
        use_path: &'a str,
        expires: u32,
        rspauth: Option<&'a str>,
    },
    Status(u16),
}

/// Builds the relay's response to `request`.
fn answer(request: &[u8], a: &Answer<'_>) -> Vec<u8> {
    with_head(request, |req| {
        let mut out = Vec::new();
        let from: Vec<_> = req.from_path().unwrap().flatten().collect();
        let own = req.to_path().unwrap().flatten().last().unwrap();
        let (code, comment) = match a {
            Answer::Challenge { .. } => (401, "Unauthorized"),
            Answer::Interval { .. } => (423, "Interval Out-of-Bounds"),
            Answer::Ok { .. } => (200, "OK"),
            Answer::Status(c) => (*c, "Nope"),
        };
        let mut w = HeadWriter::response(
            &mut out,
            req.transaction_id(),
            StatusCode(code),
            Some(comment),
            from,
            [own],
        );
        match a {
            Answer::Challenge { nonce, stale } => {
                let v = format!(
                    "Digest realm=\"intra.example.com\", nonce=\"{nonce}\", qop=\"auth\"{}",
                    if *stale { ", stale=TRUE" } else { "" }
                );
                w.header("WWW-Authenticate", v.as_bytes());
            }
            Answer::Interval { min, max } => {
                if let Some(m) = min {
                    w.number(KnownHeader::MinExpires, u64::from(*m));
                }
                if let Some(m) = max {
                    w.number(KnownHeader::MaxExpires, u64::from(*m));
                }
            }
            Answer::Ok {
                use_path,
                expires,
                rspauth,
            } => {
                w.header("Use-Path", use_path.as_bytes());
                w.number(KnownHeader::Expires, u64::from(*expires));
                if let Some(r) = rspauth {
                    w.header(
                        "Authentication-Info",
                        format!("rspauth=\"{r}\", qop=auth").as_bytes(),
                    );
                }
            }
            Answer::Status(_) => {}
        }
        w.finish_bodiless(Flag::End);
        out
    })
}

/// Checks the Authorization of `request` like a relay would: the response digest must be
/// right for `password`. Returns (nonce, nc, cnonce, uri) for rspauth computation.
fn verify(request: &[u8], password: &str) -> Option<(String, String, String, String)> {
    with_head(request, |req| {
        let raw = req.raw(KnownHeader::Authorization)?;
        let c = DigestCredentials::parse(raw).unwrap();
        // R4976-060: digest-uri = rightmost To-Path URI.
        let rightmost = req.to_path().unwrap().flatten().last().unwrap();
        let nc = format!("{:08x}", c.nc);
        let expected = response(
            &ha1(c.username, c.realm, password),
            &DigestInput {
                nonce: c.nonce,
                nc: &nc,
                cnonce: c.cnonce,
                method: "AUTH",
                uri: rightmost.as_str(),
            },
        );
        assert_eq!(c.qop, "auth", "R4976-058");
        assert!(!c.cnonce.is_empty(), "R4976-059: cnonce always sent");
        if let Some(u) = c.uri {
            assert_eq!(u, rightmost.as_str());
        }
        digest_eq(c.response.as_bytes(), &expected).then(|| {
            (
                c.nonce.to_owned(),
                nc,
                c.cnonce.to_owned(),
                rightmost.as_str().to_owned(),
            )
        })
    })
}

struct Run {
    client: AuthClient,
    rng: SeededRandom,
    now: Instant,
}

impl Run {
    fn new(cfg: AuthConfig) -> Self {
        Self {
            client: AuthClient::new(cfg).unwrap(),
            rng: SeededRandom::new(1),
            now: Instant::now(),
        }
    }

    fn request(&mut self) -> Vec<u8> {
        let mut buf = Vec::new();
        self.client
            .poll_transmit(self.now, &mut self.rng, &mut buf)
            .expect("an AUTH is due");
        buf
    }

    fn respond(&mut self, bytes: &[u8]) -> Option<AuthEvent> {
        with_head(bytes, |h| self.client.handle_response(self.now, h))
    }
}

#[test]
fn r4976_016_r4976_017_challenge_then_credentials_then_use_path() {
    let mut run = Run::new(config(&["msrps://intra.example.com;tcp"]));
    let first = run.request();
    with_head(&first, |h| {
        assert_eq!(h.method(), Some(Method::Auth));
        assert!(
            h.raw(KnownHeader::Authorization).is_none(),
            "first AUTH carries no credentials"
        );
        assert_eq!(h.raw(KnownHeader::Expires), Some(&b"900"[..]));
    });
    assert!(
        run.respond(&answer(
            &first,
            &Answer::Challenge {
                nonce: "n1",
                stale: false
            }
        ))
        .is_none()
    );
    let second = run.request();
    let (nonce, nc, cnonce, duri) = verify(&second, PASSWORD).expect("correct digest");
    assert_eq!((nonce.as_str(), nc.as_str()), ("n1", "00000001"));
    let rspauth = response(
        &ha1("alice", "intra.example.com", PASSWORD),
        &DigestInput {
            nonce: &nonce,
            nc: &nc,
            cnonce: &cnonce,
            method: "",
            uri: &duri,
        },
    );
    let ok = Answer::Ok {
        use_path: "msrps://intra.example.com:9000/jui787s2f;tcp",
        expires: 600,
        rspauth: Some(core::str::from_utf8(&rspauth).unwrap()),
    };
    let ev = run.respond(&answer(&second, &ok)).expect("authenticated");
    assert_eq!(
        ev,
        AuthEvent::Authenticated {
            use_path: vec![uri("msrps://intra.example.com:9000/jui787s2f;tcp")],
            expires: Duration::from_secs(600)
        }
    );
    // R4976-015: own SDP path = Use-Path reversed + own URI.
    let path: Vec<String> = run
        .client
        .sdp_path()
        .unwrap()
        .iter()
        .map(|u| u.as_str().to_owned())
        .collect();
    assert_eq!(
        path,
        [
            "msrps://intra.example.com:9000/jui787s2f;tcp",
            "msrps://alice.example.com:9892/98cjs;tcp"
        ]
    );
    assert!(
        run.client
            .poll_transmit(run.now, &mut run.rng, &mut Vec::new())
            .is_none()
    );
}

#[test]
fn r4976_053_wrong_password_fails_once_credentials_are_refused() {
    let mut cfg = config(&["msrps://intra.example.com;tcp"]);
    cfg.password = "wrong".into();
    let mut run = Run::new(cfg);
    let first = run.request();
    run.respond(&answer(
        &first,
        &Answer::Challenge {
            nonce: "n1",
            stale: false,
        },
    ));
    let second = run.request();
    assert!(
        verify(&second, PASSWORD).is_none(),
        "the relay sees a wrong digest"
    );
    let ev = run.respond(&answer(
        &second,
        &Answer::Challenge {
            nonce: "n2",
            stale: false,
        },
    ));
    assert_eq!(ev, Some(AuthEvent::Failed(AuthError::WrongCredentials)));
    assert_eq!(run.client.error(), Some(AuthError::WrongCredentials));
}

#[test]
fn r4976_032_stale_nonce_is_retried_with_the_new_nonce() {
    let mut run = Run::new(config(&["msrps://intra.example.com;tcp"]));
    let first = run.request();
    run.respond(&answer(
        &first,
        &Answer::Challenge {
            nonce: "n1",
            stale: false,
        },
    ));
    let second = run.request();
    assert!(
        run.respond(&answer(
            &second,
            &Answer::Challenge {
                nonce: "n2",
                stale: true
            }
        ))
        .is_none()
    );
    let third = run.request();
    let (nonce, ..) = verify(&third, PASSWORD).unwrap();
    assert_eq!(nonce, "n2");
}

#[test]
fn r4976_027_interval_too_brief_retries_with_min_expires() {
    let mut cfg = config(&["msrps://intra.example.com;tcp"]);
    cfg.expires = Some(10);
    let mut run = Run::new(cfg);
    let first = run.request();
    run.respond(&answer(
        &first,
        &Answer::Interval {
            min: Some(60),
            max: None,
        },
    ));
    let second = run.request();
    with_head(&second, |h| {
        assert_eq!(h.raw(KnownHeader::Expires), Some(&b"60"[..]));
    });
    // A second 423 means we cannot satisfy the relay.
    let ev = run.respond(&answer(
        &second,
        &Answer::Interval {
            min: Some(120),
            max: None,
        },
    ));
    assert_eq!(ev, Some(AuthEvent::Failed(AuthError::ExpiresOutOfBounds)));
}

#[test]
fn r4976_010_interval_too_long_retries_with_max_expires() {
    let mut run = Run::new(config(&["msrps://intra.example.com;tcp"]));
    let first = run.request();
    run.respond(&answer(
        &first,
        &Answer::Interval {
            min: None,
            max: Some(300),
        },
    ));
    with_head(&run.request(), |h| {
        assert_eq!(h.raw(KnownHeader::Expires), Some(&b"300"[..]));
    });
}

#[test]
fn r4976_018_second_relay_is_authenticated_through_the_first() {
    let mut run = Run::new(config(&[
        "msrps://intra.example.com;tcp",
        "msrps://extra.example.com;tcp",
    ]));
    let a1 = run.request();
    run.respond(&answer(
        &a1,
        &Answer::Challenge {
            nonce: "i1",
            stale: false,
        },
    ));
    let a2 = run.request();
    verify(&a2, PASSWORD).unwrap();
    let ok1 = Answer::Ok {
        use_path: "msrps://intra.example.com:9000/jui787s2f;tcp",
        expires: 900,
        rspauth: None,
    };
    assert!(
        run.respond(&answer(&a2, &ok1)).is_none(),
        "one more relay to go"
    );
    let b1 = run.request();
    with_head(&b1, |h| {
        let to: Vec<_> = h.to_path().unwrap().flatten().map(|u| u.as_str()).collect();
        // As in the RFC 4976 §5.1 vector rfc4976-5.1-05.
        assert_eq!(
            to,
            [
                "msrps://intra.example.com:9000/jui787s2f;tcp",
                "msrps://extra.example.com;tcp"
            ]
        );
    });
    run.respond(&answer(
        &b1,
        &Answer::Challenge {
            nonce: "e1",
            stale: false,
        },
    ));
    let b2 = run.request();
    let (_, _, _, duri) = verify(&b2, PASSWORD).unwrap();
    assert_eq!(
        duri, "msrps://extra.example.com;tcp",
        "R4976-060: digest-uri is the rightmost To-Path URI"
    );
    let ok2 = Answer::Ok {
        use_path: "msrps://intra.example.com:9000/jui787s2f;tcp msrps://extra.example.com:9000/mywdEe1233;tcp",
        expires: 300,
        rspauth: None,
    };
    match run.respond(&answer(&b2, &ok2)) {
        Some(AuthEvent::Authenticated { use_path, expires }) => {
            assert_eq!(use_path.len(), 2);
            assert_eq!(
                expires,
                Duration::from_secs(300),
                "the shortest lifetime wins"
            );
        }
        other => panic!("{other:?}"),
    }
    // R4976-014/-015: To-Path order vs SDP path order.
    let sdp: Vec<String> = run
        .client
        .sdp_path()
        .unwrap()
        .iter()
        .map(|u| u.as_str().to_owned())
        .collect();
    assert_eq!(sdp[0], "msrps://extra.example.com:9000/mywdEe1233;tcp");
    assert_eq!(sdp[2], "msrps://alice.example.com:9892/98cjs;tcp");
}

#[test]
fn r4976_061_rspauth_mismatch_is_an_error() {
    let mut run = Run::new(config(&["msrps://intra.example.com;tcp"]));
    let first = run.request();
    run.respond(&answer(
        &first,
        &Answer::Challenge {
            nonce: "n1",
            stale: false,
        },
    ));
    let second = run.request();
    let ok = Answer::Ok {
        use_path: "msrps://intra.example.com:9000/x;tcp",
        expires: 60,
        rspauth: Some("00000000000000000000000000000000"),
    };
    assert_eq!(
        run.respond(&answer(&second, &ok)),
        Some(AuthEvent::Failed(AuthError::RspauthMismatch))
    );
}

#[test]
fn r4976_008_use_path_without_port_is_refused() {
    let mut run = Run::new(config(&["msrps://intra.example.com;tcp"]));
    let first = run.request();
    run.respond(&answer(
        &first,
        &Answer::Challenge {
            nonce: "n1",
            stale: false,
        },
    ));
    let second = run.request();
    let ok = Answer::Ok {
        use_path: "msrps://intra.example.com/x;tcp",
        expires: 60,
        rspauth: None,
    };
    assert_eq!(
        run.respond(&answer(&second, &ok)),
        Some(AuthEvent::Failed(AuthError::BadUsePath))
    );
}

#[test]
fn r4976_026_forbidden_is_final() {
    let mut run = Run::new(config(&["msrps://intra.example.com;tcp"]));
    let first = run.request();
    let ev = run.respond(&answer(&first, &Answer::Status(403)));
    assert_eq!(
        ev,
        Some(AuthEvent::Failed(AuthError::Rejected(
            StatusCode::FORBIDDEN
        )))
    );
}

#[test]
fn r4976_051_r4976_068_auth_refused_over_plain_tcp() {
    let e = AuthClient::new(config(&["msrp://intra.example.com:2855;tcp"])).unwrap_err();
    assert_eq!(e, AuthError::InsecureTransport);
    let mut cfg = config(&["msrp://intra.example.com:2855;tcp"]);
    cfg.allow_plain_tcp = true;
    assert!(AuthClient::new(cfg).is_ok());
}

#[test]
fn responses_to_other_transactions_are_ignored() {
    let mut run = Run::new(config(&["msrps://intra.example.com;tcp"]));
    let first = run.request();
    let other = String::from_utf8(answer(&first, &Answer::Status(403))).unwrap();
    let tid = with_head(&first, |h| h.transaction_id().to_owned());
    let other = other.replace(&tid, "zzzz9999");
    assert_eq!(run.respond(other.as_bytes()), None);
    assert_eq!(run.client.error(), None);
}

#[test]
fn r4975_095_no_response_times_out_exactly_at_the_deadline() {
    let mut run = Run::new(config(&["msrps://intra.example.com;tcp"]));
    run.request();
    let deadline = run.client.poll_timeout().unwrap();
    assert_eq!(deadline, run.now + Duration::from_secs(30));
    assert_eq!(
        run.client
            .handle_timeout(deadline - Duration::from_millis(1)),
        None
    );
    assert_eq!(
        run.client.handle_timeout(deadline),
        Some(AuthEvent::Failed(AuthError::Timeout))
    );
    assert_eq!(run.client.handle_timeout(deadline), None, "idempotent");
}

#[test]
fn r4976_021_reauth_before_expiry() {
    let mut run = Run::new(config(&["msrps://intra.example.com;tcp"]));
    let first = run.request();
    run.respond(&answer(
        &first,
        &Answer::Challenge {
            nonce: "n1",
            stale: false,
        },
    ));
    let second = run.request();
    let ok = Answer::Ok {
        use_path: "msrps://intra.example.com:9000/x;tcp",
        expires: 100,
        rspauth: None,
    };
    run.respond(&answer(&second, &ok)).unwrap();
    let at = run.client.poll_timeout().unwrap();
    assert_eq!(at, run.now + Duration::from_secs(80));
    run.client.handle_timeout(at);
    let again = run.request();
    with_head(&again, |h| {
        assert!(h.raw(KnownHeader::Authorization).is_none());
    });
}

#[test]
fn digest_uri_param_can_be_omitted_per_relay() {
    let mut cfg = config(&["msrps://intra.example.com;tcp"]);
    cfg.uri_param = vec![DigestUriParam::Omit];
    let mut run = Run::new(cfg);
    let first = run.request();
    run.respond(&answer(
        &first,
        &Answer::Challenge {
            nonce: "n1",
            stale: false,
        },
    ));
    let second = run.request();
    with_head(&second, |h| {
        let c = DigestCredentials::parse(h.raw(KnownHeader::Authorization).unwrap()).unwrap();
        assert_eq!(c.uri, None);
    });
    assert!(verify(&second, PASSWORD).is_some());
}

#[test]
fn password_is_not_in_debug_output() {
    let cfg = config(&["msrps://intra.example.com;tcp"]);
    assert!(!format!("{cfg:?}").contains(PASSWORD));
}

/// R4976-057: the protection space is the relay URI's authority; a `domain` parameter in
/// the challenge is ignored by the client (its digest still covers the relay URI), and
/// our relay never sends one.
#[test]
fn r4976_057_a_challenge_domain_is_ignored() {
    let mut run = Run::new(config(&["msrps://intra.example.com;tcp"]));
    let first = run.request();
    let challenge = answer(
        &first,
        &Answer::Challenge {
            nonce: "n57",
            stale: false,
        },
    );
    let text = String::from_utf8(challenge).unwrap().replace(
        "qop=\"auth\"",
        "qop=\"auth\", domain=\"msrps://elsewhere.example.net:1;tcp\"",
    );
    assert!(text.contains("domain="));
    assert!(run.respond(text.as_bytes()).is_none());
    let second = run.request();
    let (nonce, _, _, duri) = verify(&second, PASSWORD).expect("correct digest");
    assert_eq!(nonce, "n57");
    assert_eq!(
        duri, "msrps://intra.example.com;tcp",
        "digest-uri is the relay URI"
    );
    with_head(&second, |h| {
        let auth = String::from_utf8_lossy(h.raw(KnownHeader::Authorization).unwrap());
        assert!(!auth.contains("elsewhere"), "{auth}");
    });

    // Our relay's own challenge carries no domain.
    let mut net = relay_net();
    let p = net.1;
    net.0.send(
        p,
        b"MSRP dom00001 AUTH\r\nTo-Path: msrps://relay.example.org:9000;tcp\r\nFrom-Path: msrps://alice.example.com:9892/98cjs;tcp\r\n-------dom00001$\r\n",
    );
    let f = net.0.frames(p);
    let t = String::from_utf8_lossy(&f[0]);
    assert!(t.contains("WWW-Authenticate: Digest "), "{t}");
    assert!(!t.to_ascii_lowercase().contains("domain="), "{t}");
}

/// Our relay on the in-memory network with one connected raw peer.
fn relay_net() -> (relay_util::Net, usize) {
    let mut net = relay_util::Net::new();
    let r = net.add_relay(relay_util::relay_config(
        "msrps://relay.example.org:9000;tcp",
        57,
    ));
    let (p, _) = net.connect_peer(r);
    (net, p)
}
