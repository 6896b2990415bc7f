//! Our relay (RFC 4976) over real sockets: msrp-proto's `AuthClient` AUTHs two clients
//! at a `msrp_tokio::relay::RelayServer` on loopback, then a message and a 1 MiB chunk
//! travel from one to the other through it, re-chunked on the way.

// Real sockets run on the real clock.
#![allow(clippy::disallowed_methods)]

use std::time::{Duration, Instant};

use msrp_proto::rand::OsRandom;
use msrp_proto::relay::server::{MemoryCredentials, RelayConfig};
use msrp_proto::relay::{AuthClient, AuthConfig, AuthEvent};
use msrp_proto::uri::Uri;
use msrp_proto::wire::{Decoder, Event};
use msrp_tokio::relay::RelayServer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const ALICE: &str = "msrp://127.0.0.1:7001/alice0sess1;tcp";
const BOB: &str = "msrp://127.0.0.1:7002/bob0sess22;tcp";
const REALM: &str = "relay.test";
const LIMIT: Duration = Duration::from_secs(10);

struct Client {
    s: TcpStream,
    buf: Vec<u8>,
}

impl Client {
    async fn connect(addr: std::net::SocketAddr) -> Self {
        Self {
            s: TcpStream::connect(addr).await.unwrap(),
            buf: Vec::new(),
        }
    }

    /// The next whole frame (start line to end-line).
    async fn frame(&mut self) -> Vec<u8> {
        loop {
            let mut d = Decoder::default();
            let mut at = 0;
            loop {
                match d
                    .decode(&self.buf[at..])
                    .expect("valid MSRP from the relay")
                {
                    (_, Event::NeedMore) => break,
                    (n, Event::End(_)) => {
                        let end = at + n;
                        return self.buf.drain(..end).collect();
                    }
                    (n, _) => at += n,
                }
            }
            let mut chunk = [0u8; 65536];
            let n = tokio::time::timeout(LIMIT, self.s.read(&mut chunk))
                .await
                .expect("the relay answers in time")
                .unwrap();
            assert!(n > 0, "the relay closed the connection");
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    async fn auth(&mut self, user: &str, relay: &str, own: &str) -> String {
        let mut cfg = AuthConfig::new(
            user,
            &format!("pw-of-{user}"),
            vec![Uri::parse(relay).unwrap()],
            Uri::parse(own).unwrap(),
        );
        cfg.allow_plain_tcp = true; // loopback test; production AUTH is TLS-only (R4976-051)
        let mut client = AuthClient::new(cfg).unwrap();
        for _ in 0..4 {
            let mut out = Vec::new();
            if client
                .poll_transmit(Instant::now(), &mut OsRandom, &mut out)
                .is_some()
            {
                self.s.write_all(&out).await.unwrap();
            }
            let f = self.frame().await;
            let mut d = Decoder::default();
            let (_, Event::Head(h)) = d.decode(&f).unwrap() else {
                panic!("a head")
            };
            match client.handle_response(Instant::now(), &h) {
                Some(AuthEvent::Authenticated { use_path, .. }) => {
                    return use_path[0].as_str().to_owned();
                }
                Some(other) => panic!("{other:?}"),
                None => {}
            }
        }
        panic!("AUTH did not finish")
    }
}

fn header(frame: &[u8], name: &str) -> Option<String> {
    let t = String::from_utf8_lossy(frame);
    let prefix = format!("{name}: ");
    t.lines()
        .take_while(|l| !l.is_empty())
        .find_map(|l| l.strip_prefix(&prefix).map(str::to_owned))
}

/// The body of a frame (between the blank line and the end-line's CRLF).
fn body(frame: &[u8]) -> &[u8] {
    let start = frame.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let end = frame.len()
        - frame
            .iter()
            .rev()
            .skip(2)
            .position(|&b| b == b'\n')
            .unwrap()
        - 3;
    &frame[start..end - 1]
}

async fn relay() -> (std::net::SocketAddr, String) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let authority = format!("msrp://127.0.0.1:{};tcp", addr.port());
    let mut cfg = RelayConfig::new(Uri::parse(&authority).unwrap());
    cfg.realm = REALM.into();
    cfg.max_chunk = 16 * 1024;
    let mut creds = MemoryCredentials::new();
    for u in ["alice", "bob"] {
        creds.insert_password(REALM, u, &format!("pw-of-{u}"));
    }
    let server = RelayServer::with_listener(listener, cfg, creds).unwrap();
    tokio::spawn(server.run());
    (addr, authority)
}

fn send(tid: &str, to: &[&str], from: &str, id: &str, body: &[u8]) -> Vec<u8> {
    let mut v = format!(
        "MSRP {tid} SEND\r\nTo-Path: {}\r\nFrom-Path: {from}\r\nMessage-ID: {id}\r\n\
         Byte-Range: 1-{n}/{n}\r\nContent-Type: application/octet-stream\r\n\r\n",
        to.join(" "),
        n = body.len()
    )
    .into_bytes();
    v.extend_from_slice(body);
    v.extend_from_slice(format!("\r\n-------{tid}$\r\n").as_bytes());
    v
}

#[tokio::test]
async fn r4976_033_r4976_038_two_clients_through_our_relay_over_sockets() {
    let (addr, authority) = relay().await;
    let mut alice = Client::connect(addr).await;
    let mut bob = Client::connect(addr).await;
    let ua = alice.auth("alice", &authority, ALICE).await;
    let ub = bob.auth("bob", &authority, BOB).await;
    assert!(ua.starts_with(&authority[..authority.len() - 4]), "{ua}");

    // A short message: the relay answers at once and forwards it.
    alice
        .s
        .write_all(&send(
            "t0000001",
            &[&ua, &ub, BOB],
            ALICE,
            "msg1",
            b"hello through a relay",
        ))
        .await
        .unwrap();
    let ok = alice.frame().await;
    assert!(ok.starts_with(b"MSRP t0000001 200 OK\r\n"));
    let got = bob.frame().await;
    assert_eq!(header(&got, "To-Path").unwrap(), BOB);
    assert_eq!(
        header(&got, "From-Path").unwrap(),
        format!("{ub} {ua} {ALICE}")
    );
    assert_eq!(body(&got), b"hello through a relay");

    // 1 MiB in one chunk: re-chunked into pieces of at most 16 KiB, streamed.
    let big: Vec<u8> = (0..1 << 20).map(|i: u32| (i % 251) as u8).collect();
    let req = send("t0000002", &[&ua, &ub, BOB], ALICE, "msg2", &big);
    let writer = tokio::spawn(async move {
        alice.s.write_all(&req).await.unwrap();
        alice
    });
    let mut received = vec![0u8; big.len()];
    let mut pieces = 0;
    let mut done = false;
    while !done {
        let f = bob.frame().await;
        let range = header(&f, "Byte-Range").unwrap();
        let start: usize = range.split('-').next().unwrap().parse().unwrap();
        let b = body(&f);
        assert!(b.len() <= 16 * 1024 + 2048, "piece of {}", b.len());
        received[start - 1..start - 1 + b.len()].copy_from_slice(b);
        pieces += 1;
        done = f.ends_with(b"$\r\n");
        // Answer each piece as an endpoint would (hop by hop).
        let tid = String::from_utf8_lossy(&f)
            .split_whitespace()
            .nth(1)
            .unwrap()
            .to_owned();
        let to = header(&f, "From-Path").unwrap();
        bob.s
            .write_all(
                format!(
                    "MSRP {tid} 200 OK\r\nTo-Path: {to}\r\nFrom-Path: {BOB}\r\n-------{tid}$\r\n"
                )
                .as_bytes(),
            )
            .await
            .unwrap();
    }
    assert!(pieces >= 64, "{pieces} pieces");
    assert!(received == big, "the file arrived intact");
    let mut alice = writer.await.unwrap();
    let ok = alice.frame().await;
    assert!(ok.starts_with(b"MSRP t0000002 200 OK\r\n"));
}

#[tokio::test]
async fn r4976_053_wrong_password_is_refused_over_sockets() {
    let (addr, authority) = relay().await;
    let mut c = Client::connect(addr).await;
    let mut cfg = AuthConfig::new(
        "alice",
        "not-the-password",
        vec![Uri::parse(&authority).unwrap()],
        Uri::parse(ALICE).unwrap(),
    );
    cfg.allow_plain_tcp = true;
    let mut client = AuthClient::new(cfg).unwrap();
    let mut failed = false;
    for _ in 0..4 {
        let mut out = Vec::new();
        if client
            .poll_transmit(Instant::now(), &mut OsRandom, &mut out)
            .is_some()
        {
            c.s.write_all(&out).await.unwrap();
        }
        let f = c.frame().await;
        let mut d = Decoder::default();
        let (_, Event::Head(h)) = d.decode(&f).unwrap() else {
            panic!("a head")
        };
        match client.handle_response(Instant::now(), &h) {
            Some(AuthEvent::Authenticated { .. }) => panic!("authenticated with a wrong password"),
            Some(_) => {
                failed = true;
                break;
            }
            None => {}
        }
    }
    assert!(failed, "the client gives up on repeated 401s");
}

/// RFC 4976 §3 / §6.4: a chain of two of our relays over sockets. Alice AUTHs at relay A,
/// Bob at relay B; Alice's SEND goes To-Path `A B Bob`: A pops itself, dials B (a
/// connection opened as needed, R4976-005), B pops itself and delivers to Bob's AUTH
/// connection; each hop pushes itself onto From-Path (R4976-001) and answers hop by hop.
#[tokio::test]
async fn r4976_001_r4976_033_through_a_chain_of_two_relays_over_sockets() {
    let (addr_a, auth_a) = relay().await;
    let (addr_b, auth_b) = relay().await;
    let mut alice = Client::connect(addr_a).await;
    let mut bob = Client::connect(addr_b).await;
    let ua = alice.auth("alice", &auth_a, ALICE).await;
    let ub = bob.auth("bob", &auth_b, BOB).await;
    for (i, text) in ["first through two relays", "second, same path"]
        .iter()
        .enumerate()
    {
        let tid = format!("c000000{i}");
        let req = send(
            &tid,
            &[&ua, &ub, BOB],
            ALICE,
            &format!("chain{i}"),
            text.as_bytes(),
        );
        alice.s.write_all(&req).await.unwrap();
        let ok = alice.frame().await;
        assert!(
            ok.starts_with(format!("MSRP {tid} 200 OK\r\n").as_bytes()),
            "{}",
            String::from_utf8_lossy(&ok)
        );
        let got = bob.frame().await;
        assert_eq!(header(&got, "To-Path").unwrap(), BOB);
        assert_eq!(
            header(&got, "From-Path").unwrap(),
            format!("{ub} {ua} {ALICE}")
        );
        assert_eq!(body(&got), text.as_bytes());
        let hop_tid = String::from_utf8_lossy(&got)
            .split_whitespace()
            .nth(1)
            .unwrap()
            .to_owned();
        let to = header(&got, "From-Path").unwrap();
        let first_hop = to.split(' ').next().unwrap().to_owned();
        bob.s
            .write_all(
                format!(
                    "MSRP {hop_tid} 200 OK\r\nTo-Path: {first_hop}\r\nFrom-Path: {BOB}\r\n-------{hop_tid}$\r\n"
                )
                .as_bytes(),
            )
            .await
            .unwrap();
    }
}
