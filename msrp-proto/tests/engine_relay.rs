//! The engine as a relay client (RFC 4976 §5): two engines AUTH at our in-memory relay
//! through `Endpoint::authenticate_relay` (401 challenge → Digest → 200 with Use-Path),
//! then a session runs through the relay with the route the engine learnt, and the
//! engine re-AUTHs before the granted lifetime ends.

mod relay_util;

use std::time::{Duration, Instant};

use msrp_proto::engine::{Config, ConnectionId, Endpoint, Event, OutgoingMessage};
use msrp_proto::relay::{AuthConfig, AuthError};
use msrp_proto::uri::Uri;
use relay_util::{Net, PASSWORD, relay_config, uri};

const RELAY: &str = "msrps://relay.example.org:9000;tcp";
const ALICE: &str = "msrps://alice.example.org:7965/alice0sess1;tcp";
const BOB: &str = "msrps://bob.example.net:8145/bob0sess22;tcp";

struct Side {
    ep: Endpoint,
    conn: ConnectionId,
    peer: usize,
    events: Vec<Event>,
}

impl Side {
    fn new(net: &mut Net, r: usize, seed: u64) -> Self {
        let mut cfg = Config::default();
        cfg.rng_seed = Some(seed);
        let mut ep = Endpoint::new(std::sync::Arc::new(cfg));
        let conn = ep.add_connection();
        let (peer, _) = net.connect_peer(r);
        Self {
            ep,
            conn,
            peer,
            events: Vec::new(),
        }
    }

    fn auth(&mut self, now: Instant, user: &str, password: &str, own: &str) {
        let mut cfg = AuthConfig::new(user, password, vec![uri(RELAY)], uri(own));
        cfg.expires = Some(600);
        self.ep.authenticate_relay(self.conn, cfg, now).unwrap();
    }

    /// Moves bytes both ways between this engine and its relay connection until quiet.
    fn pump(&mut self, net: &mut Net) -> bool {
        let mut moved = false;
        loop {
            let mut step = false;
            while let Some(out) = self.ep.poll_transmit(self.conn) {
                let bytes = out.to_vec();
                self.ep
                    .transmit_done(self.conn, net.now, bytes.len())
                    .unwrap();
                net.send(self.peer, &bytes);
                step = true;
            }
            let rx = std::mem::take(&mut net.peers[self.peer].rx);
            let mut at = 0;
            while at < rx.len() {
                let n = self.ep.handle_input(self.conn, net.now, &rx[at..]).unwrap();
                at += n;
                self.drain();
                assert!(n > 0 || at == rx.len(), "the engine takes its input");
                step = true;
            }
            self.drain();
            if !step {
                return moved;
            }
            moved = true;
        }
    }

    fn drain(&mut self) {
        while let Some(ev) = self.ep.poll_event() {
            self.events.push(ev);
        }
    }

    fn authenticated(&self) -> usize {
        self.events
            .iter()
            .filter(|e| matches!(e, Event::RelayAuthenticated { .. }))
            .count()
    }
}

fn run(net: &mut Net, sides: &mut [&mut Side]) {
    for _ in 0..100 {
        let mut moved = false;
        for s in sides.iter_mut() {
            moved |= s.pump(net);
        }
        if !moved {
            return;
        }
    }
    panic!("the network never went quiet");
}

#[test]
fn r4976_011_r4976_014_r4976_015_engine_authenticates_and_a_session_runs_through_the_relay() {
    let mut net = Net::new();
    let r = net.add_relay(relay_config(RELAY, 7));
    let mut alice = Side::new(&mut net, r, 1);
    let mut bob = Side::new(&mut net, r, 2);
    let now = net.now;
    alice.auth(now, "alice", PASSWORD, ALICE);
    bob.auth(now, "bob", PASSWORD, BOB);
    run(&mut net, &mut [&mut alice, &mut bob]);
    assert_eq!(alice.authenticated(), 1, "{:?}", alice.events);
    assert_eq!(bob.authenticated(), 1, "{:?}", bob.events);

    // R4976-015: our a=path is the Use-Path reversed, then our own URI.
    let a_path = alice.ep.relay_sdp_path(alice.conn).unwrap();
    let b_path = bob.ep.relay_sdp_path(bob.conn).unwrap();
    assert_eq!(a_path.len(), 2);
    assert_eq!(a_path[1], uri(ALICE));
    assert_eq!(a_path[0].as_ref().host_str(), "relay.example.org");
    // R4976-014: To-Path = our Use-Path, then the peer's SDP path.
    let to =
        |mine: &[Uri], theirs: &[Uri]| -> Vec<Uri> { mine.iter().chain(theirs).cloned().collect() };
    let a_to = to(alice.ep.relay_use_path(alice.conn).unwrap(), &b_path);
    let b_to = to(bob.ep.relay_use_path(bob.conn).unwrap(), &a_path);
    let sa = alice
        .ep
        .add_session(uri(ALICE), a_to, Some(alice.conn), now)
        .unwrap();
    let sb = bob
        .ep
        .add_session(uri(BOB), b_to, Some(bob.conn), now)
        .unwrap();
    let msg = alice
        .ep
        .send_message(
            sa,
            OutgoingMessage::whole(
                "text/plain",
                bytes::Bytes::from_static(b"through the relay"),
            ),
        )
        .unwrap();
    run(&mut net, &mut [&mut alice, &mut bob]);
    assert!(
        bob.events.iter().any(|e| matches!(
            e,
            Event::MessageReceived { session, bodiless: false, len: 17, .. } if *session == sb
        )),
        "{:?}",
        bob.events
    );
    // Hop by hop: the relay's 200 ends the transaction (no end-to-end wait, R4976-002).
    assert!(
        alice.events.iter().any(|e| matches!(
            e,
            Event::MessageSent { message, .. } | Event::MessageDelivered { message, .. }
                if *message == msg
        )),
        "{:?}",
        alice.events
    );

    // The relay connection is not closed as idle while the route is in use, and the
    // engine re-AUTHs before the 600 s the relay granted run out.
    for _ in 0..12 {
        net.advance(Duration::from_secs(60));
        for s in [&mut alice, &mut bob] {
            s.ep.handle_timeout(net.now);
            s.drain();
        }
        run(&mut net, &mut [&mut alice, &mut bob]);
    }
    assert!(alice.authenticated() >= 2, "re-AUTH: {:?}", alice.events);
    assert!(
        !alice.events.iter().any(|e| matches!(
            e,
            Event::ConnectionLost { .. } | Event::RelayAuthFailed { .. }
        )),
        "{:?}",
        alice.events
    );
}

#[test]
fn r4976_053_engine_reports_a_wrong_password() {
    let mut net = Net::new();
    let r = net.add_relay(relay_config(RELAY, 8));
    let mut alice = Side::new(&mut net, r, 3);
    alice.auth(net.now, "alice", "not the password", ALICE);
    run(&mut net, &mut [&mut alice]);
    assert!(
        alice.events.iter().any(|e| matches!(
            e,
            Event::RelayAuthFailed {
                error: AuthError::WrongCredentials | AuthError::Rejected(_),
                ..
            }
        )),
        "{:?}",
        alice.events
    );
    assert!(alice.ep.relay_use_path(alice.conn).is_none());
}

/// Hostile or broken relay answers to the engine's AUTH: a 401 without a challenge, a
/// `Basic` challenge (never accepted, R4976-054), a response to another transaction
/// (ignored), and silence. Each ends in a typed `RelayAuthFailed`, never a panic, and the
/// connection stays for the caller to close.
#[test]
fn r4976_054_engine_auth_against_broken_relay_answers_fails_typed() {
    let start = Net::new().now; // any instant: time only moves through the calls
    let auth = |ep: &mut Endpoint, conn| {
        let cfg = AuthConfig::new("alice", PASSWORD, vec![uri(RELAY)], uri(ALICE));
        ep.authenticate_relay(conn, cfg, start).unwrap();
        let out = ep.poll_transmit(conn).unwrap().to_vec();
        ep.transmit_done(conn, start, out.len()).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains(" AUTH\r\n"), "{text}");
        text.split_whitespace().nth(1).unwrap().to_owned()
    };
    let answer = |tid: &str, extra: &str| {
        format!(
            "MSRP {tid} 401 Unauthorized\r\nTo-Path: {ALICE}\r\nFrom-Path: {RELAY}\r\n{extra}-------{tid}$\r\n"
        )
    };
    let failed = |ep: &mut Endpoint| {
        let mut out = None;
        while let Some(ev) = ep.poll_event() {
            if let Event::RelayAuthFailed { error, .. } = ev {
                out = Some(error);
            }
        }
        out
    };
    for extra in ["", "WWW-Authenticate: Basic realm=\"relay\"\r\n"] {
        let mut ep = Endpoint::new(std::sync::Arc::new(Config::default()));
        let conn = ep.add_connection();
        let tid = auth(&mut ep, conn);
        ep.handle_input(conn, start, answer(&tid, extra).as_bytes())
            .unwrap();
        assert!(
            matches!(failed(&mut ep), Some(AuthError::BadChallenge(_))),
            "{extra:?}"
        );
        assert!(ep.relay_use_path(conn).is_none());
        assert!(ep.close_connection(conn).is_ok(), "still open");
    }
    // Another transaction's answer is ignored; then silence times the AUTH out.
    let mut ep = Endpoint::new(std::sync::Arc::new(Config::default()));
    let conn = ep.add_connection();
    let _ = auth(&mut ep, conn);
    ep.handle_input(conn, start, answer("otherTid99", "").as_bytes())
        .unwrap();
    assert_eq!(failed(&mut ep), None);
    let later = start + Duration::from_secs(31);
    assert!(ep.poll_timeout().is_some_and(|t| t <= later));
    ep.handle_timeout(later);
    assert_eq!(failed(&mut ep), Some(AuthError::Timeout));
}
