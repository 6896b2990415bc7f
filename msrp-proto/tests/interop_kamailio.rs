//! Interop against a real RFC 4976 relay: Debian's Kamailio with its msrp module, started
//! on loopback by `.ci/run` from `shared/interop/kamailio/` (see its README).
//!
//! The tests run when `MSRP_KAMAILIO_TCP` names the relay's TCP listener (e.g.
//! `127.0.0.1:2855`); `.ci/run` sets it. Without it they print why and pass vacuously —
//! CI always sets it, so there they can fail.

// A test against a real relay over real sockets runs on the real clock.
#![allow(clippy::disallowed_methods)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use msrp_proto::rand::OsRandom;
use msrp_proto::relay::{AuthClient, AuthConfig, AuthEvent};
use msrp_proto::uri::Uri;
use msrp_proto::wire::encode::{HeadWriter, write_end_line};
use msrp_proto::wire::headers::{ByteRange, StatusCode};
use msrp_proto::wire::{Decoder, Event, Flag, Method, TransactionId};

fn relay_addr() -> Option<String> {
    let v = std::env::var("MSRP_KAMAILIO_TCP").ok();
    if v.is_none() {
        eprintln!("MSRP_KAMAILIO_TCP not set: Kamailio interop skipped (CI sets it)");
    }
    v
}

/// One received message, owned.
#[derive(Debug, Default)]
struct Msg {
    tid: String,
    method: Option<String>,
    status: Option<u16>,
    to_path: Vec<String>,
    from_path: Vec<String>,
    use_path: Vec<String>,
    body: Vec<u8>,
}

struct Conn {
    sock: TcpStream,
    decoder: Decoder,
    buf: Vec<u8>,
}

impl Conn {
    fn open(addr: &str) -> Self {
        let sock = TcpStream::connect(addr).expect("relay reachable");
        sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        Self {
            sock,
            decoder: Decoder::default(),
            buf: Vec::new(),
        }
    }

    fn send(&mut self, bytes: &[u8]) {
        self.sock.write_all(bytes).unwrap();
    }

    fn recv(&mut self) -> Msg {
        let mut msg = Msg::default();
        let mut chunk = [0u8; 4096];
        loop {
            let (consumed, done) = match self
                .decoder
                .decode(&self.buf)
                .expect("valid MSRP from the relay")
            {
                (n, Event::Head(h)) => {
                    msg.tid = h.transaction_id().to_owned();
                    msg.method = h.method().map(|m| m.as_str().to_owned());
                    msg.status = h.status().map(|s| s.0);
                    let list = |p: Option<msrp_proto::uri::PathIter<'_>>| {
                        p.map(|p| p.flatten().map(|u| u.as_str().to_owned()).collect())
                            .unwrap_or_default()
                    };
                    msg.to_path = list(h.to_path());
                    msg.from_path = list(h.from_path());
                    msg.use_path = list(h.use_path());
                    (n, false)
                }
                (n, Event::Body(b)) => {
                    msg.body.extend_from_slice(b);
                    (n, false)
                }
                (n, Event::End(_)) => (n, true),
                (_, Event::NeedMore) => {
                    let n = self.sock.read(&mut chunk).expect("relay answered in time");
                    assert!(n > 0, "relay closed the connection");
                    self.buf.extend_from_slice(&chunk[..n]);
                    continue;
                }
                (_, other) => panic!("unexpected {other:?}"),
            };
            self.buf.drain(..consumed);
            if done {
                return msg;
            }
        }
    }
}

/// AUTHs `own` at the relay over `conn`; returns the Use-Path.
fn authenticate(conn: &mut Conn, relay: &str, own: &Uri, expires: Option<u32>) -> Vec<Uri> {
    let mut cfg = AuthConfig::new(
        "alice",
        "msrp-pass",
        vec![Uri::parse(relay).unwrap()],
        own.clone(),
    );
    cfg.allow_plain_tcp = true; // loopback test relay; production AUTH is TLS-only (R4976-051)
    cfg.expires = expires;
    let mut client = AuthClient::new(cfg).unwrap();
    let now = Instant::now();
    for _ in 0..6 {
        let mut out = Vec::new();
        if client.poll_transmit(now, &mut OsRandom, &mut out).is_some() {
            conn.send(&out);
        }
        let bytes = conn.recv_raw();
        let mut d = Decoder::default();
        let (_, ev) = d.decode(&bytes).unwrap();
        let Event::Head(h) = ev else {
            panic!("head expected")
        };
        match client.handle_response(now, &h) {
            Some(AuthEvent::Authenticated { use_path, .. }) => return use_path,
            Some(AuthEvent::Failed(e)) => panic!("AUTH failed: {e}"),
            _ => {}
        }
    }
    panic!("AUTH did not complete");
}

impl Conn {
    /// The raw bytes of the next complete message (for feeding a fresh decoder).
    fn recv_raw(&mut self) -> Vec<u8> {
        let mut chunk = [0u8; 4096];
        loop {
            if let Some(end) = find_end(&self.buf) {
                return self.buf.drain(..end).collect();
            }
            let n = self.sock.read(&mut chunk).expect("relay answered in time");
            assert!(n > 0, "relay closed the connection");
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }
}

/// End offset of the first complete bodiless message in `buf` (AUTH responses are
/// bodiless).
fn find_end(buf: &[u8]) -> Option<usize> {
    let text = std::str::from_utf8(buf).ok()?;
    let first = text.find("\r\n")?;
    let tid = text[..first].split(' ').nth(1)?;
    let marker = format!("-------{tid}");
    let at = text.find(&marker)?;
    let line_end = text[at..].find("\r\n")? + at + 2;
    Some(line_end)
}

fn local_uri(tag: &str) -> Uri {
    Uri::parse(&format!(
        "msrp://127.0.0.1:9/{tag}{};tcp",
        std::process::id()
    ))
    .unwrap()
}

fn send(
    conn: &mut Conn,
    to: &[&Uri],
    from: &Uri,
    body: &[u8],
    failure_report_no: bool,
) -> TransactionId {
    let tid = TransactionId::generate_avoiding(&mut OsRandom, body);
    let mut out = Vec::new();
    let mut w = HeadWriter::request(
        &mut out,
        tid.as_str(),
        Method::Send,
        to.iter().map(|u| u.as_ref()),
        [from.as_ref()],
    );
    w.message_id(TransactionId::generate(&mut OsRandom).as_str())
        .byte_range(ByteRange::whole(body.len() as u64));
    if failure_report_no {
        w.failure_report(msrp_proto::wire::headers::FailureReport::No);
    }
    w.finish_with_body("text/plain");
    out.extend_from_slice(body);
    write_end_line(&mut out, tid.as_str(), Flag::End, true);
    conn.send(&out);
    tid
}

#[test]
fn r4976_016_r4976_031_auth_against_kamailio() {
    let Some(addr) = relay_addr() else { return };
    let relay = format!("msrp://{addr};tcp");
    let mut conn = Conn::open(&addr);
    let use_path = authenticate(&mut conn, &relay, &local_uri("auth"), None);
    assert_eq!(use_path.len(), 1);
    assert!(
        use_path[0].as_str().starts_with(&format!("msrp://{addr}/")),
        "{use_path:?}"
    );
    assert!(use_path[0].as_ref().session_id().is_some());
}

#[test]
fn r4976_027_kamailio_423_then_min_expires() {
    let Some(addr) = relay_addr() else { return };
    let relay = format!("msrp://{addr};tcp");
    let mut conn = Conn::open(&addr);
    // Kamailio's bounds are [60, 3600]; asking for 10 s draws a 423 with Min-Expires.
    let use_path = authenticate(&mut conn, &relay, &local_uri("exp"), Some(10));
    assert!(!use_path.is_empty());
}

#[test]
fn r4975_031_unknown_session_at_kamailio_gets_481() {
    let Some(addr) = relay_addr() else { return };
    let mut conn = Conn::open(&addr);
    let bogus = Uri::parse(&format!("msrp://{addr}/doesnotexist42;tcp")).unwrap();
    let me = local_uri("lost");
    let tid = send(&mut conn, &[&bogus, &me], &me, b"hello", false);
    let resp = conn.recv();
    assert_eq!(resp.tid, tid.as_str());
    assert_eq!(resp.status, Some(StatusCode::SESSION_DOES_NOT_EXIST.0));
}

#[test]
fn r4976_001_message_through_kamailio_both_ways() {
    let Some(addr) = relay_addr() else { return };
    let relay = format!("msrp://{addr};tcp");
    let alice = local_uri("alice");
    let bob = local_uri("bob");
    let mut a = Conn::open(&addr);
    let use_path = authenticate(&mut a, &relay, &alice, None);

    // Bob → relay → Alice: To-Path = Alice's SDP path (Use-Path + Alice), R4976-014.
    let mut b = Conn::open(&addr);
    let tid = send(&mut b, &[&use_path[0], &alice], &bob, b"Hello Alice", false);
    let hop = b.recv();
    assert_eq!(
        (hop.tid.as_str(), hop.status),
        (tid.as_str(), Some(200)),
        "hop-by-hop 200 (R4976-035)"
    );
    let got = a.recv();
    assert_eq!(got.method.as_deref(), Some("SEND"));
    assert_eq!(got.body, b"Hello Alice");
    assert_eq!(
        got.to_path,
        [alice.as_str()],
        "relay popped its URI (R4976-001)"
    );
    assert_eq!(
        got.from_path,
        [use_path[0].as_str(), bob.as_str()],
        "relay pushed its URI"
    );

    // Alice → relay → Bob, answering with Failure-Report: no (no response expected).
    send(&mut a, &[&use_path[0], &bob], &alice, b"Hi Bob", true);
    let back = b.recv();
    assert_eq!(back.body, b"Hi Bob");
    assert_eq!(back.from_path, [use_path[0].as_str(), alice.as_str()]);
}
