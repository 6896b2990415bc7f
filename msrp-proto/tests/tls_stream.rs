//! MSRP byte streams through a pair of sans-IO TLS endpoints: hand-written SEND and 200
//! frames, split at random points on both the write and the transport side, with small
//! buffers; close_notify handling.
#![cfg(feature = "tls")]

mod tls_util;

use msrp_proto::rand::SeededRandom;
use msrp_proto::tls::{
    BufferSizes, HashAlgorithm, LocalCertificate, TlsClientConfig, TlsConnection, TlsError,
    TlsServerConfig,
};
use tls_util::{Pair, Split, names};

const SEND: &[u8] = b"MSRP a786hjs2 SEND\r\n\
To-Path: msrps://biloxi.example.com:12763/kjhd37s2s20w2a;tcp\r\n\
From-Path: msrps://atlanta.example.com:7654/jshA7weztas;tcp\r\n\
Message-ID: 87652491\r\n\
Byte-Range: 1-25/25\r\n\
Content-Type: text/plain\r\n\
\r\n\
Hey Bob, are you there?\r\n\
-------a786hjs2$\r\n";

const OK: &[u8] = b"MSRP a786hjs2 200 OK\r\n\
To-Path: msrps://atlanta.example.com:7654/jshA7weztas;tcp\r\n\
From-Path: msrps://biloxi.example.com:12763/kjhd37s2s20w2a;tcp\r\n\
-------a786hjs2$\r\n";

fn pair_with(sizes: BufferSizes, split: Split) -> Pair {
    let c = LocalCertificate::generate_self_signed(&[]).unwrap();
    let s = LocalCertificate::generate_self_signed(&[]).unwrap();
    let client = TlsClientConfig::by_fingerprint(
        "biloxi.example.com",
        c.clone(),
        &[s.fingerprint(HashAlgorithm::Sha256)],
    )
    .unwrap();
    let server =
        TlsServerConfig::by_fingerprint(s, &[c.fingerprint(HashAlgorithm::Sha256)]).unwrap();
    let mut pair = Pair::new(
        TlsConnection::client_with_buffers(&client, sizes).unwrap(),
        TlsConnection::server_with_buffers(&server, sizes).unwrap(),
        split,
    );
    pair.run();
    assert!(
        pair.handshake_ok(),
        "{:?} {:?}",
        pair.client_error,
        pair.server_error
    );
    pair
}

/// A SEND with a `len`-byte body of printable ASCII and CRLF every 76 bytes.
fn big_send(tid: &str, len: usize) -> Vec<u8> {
    let mut m = format!(
        "MSRP {tid} SEND\r\nTo-Path: msrps://b.example.com:1/s;tcp\r\n\
         From-Path: msrps://a.example.com:1/s;tcp\r\nMessage-ID: m1\r\n\
         Byte-Range: 1-{len}/{len}\r\nContent-Type: text/plain\r\n\r\n"
    )
    .into_bytes();
    for i in 0..len {
        m.push(if i % 78 >= 76 {
            b"\r\n"[i % 78 - 76]
        } else {
            b'a' + (i % 26) as u8
        });
    }
    m.extend_from_slice(format!("\r\n-------{tid}$\r\n").as_bytes());
    m
}

#[test]
fn r4975_025_send_and_200_through_tls_split_at_random_points() {
    for seed in 0..30 {
        let mut pair = pair_with(BufferSizes::default(), Split::Random { seed, max: 97 });
        let mut rng = SeededRandom::new(seed ^ 0xabc);
        // The writer hands the frame over in random pieces too.
        let mut off = 0;
        while off < SEND.len() {
            let end = SEND.len().min(off + 1 + (rng.next_u64() % 40) as usize);
            pair.send_all(true, &SEND[off..end], usize::MAX);
            off = end;
        }
        pair.send_all(false, OK, 7);
        pair.run();
        assert_eq!(pair.server_plain, SEND, "seed {seed}");
        assert_eq!(pair.client_plain, OK, "seed {seed}");
    }
}

#[test]
fn r4975_025_records_split_at_every_byte() {
    let mut pair = pair_with(BufferSizes::default(), Split::Every(1));
    let msg = big_send("every1", 40_000);
    pair.send_all(true, &msg, usize::MAX);
    pair.send_all(false, OK, usize::MAX);
    assert_eq!(pair.server_plain, msg);
    assert_eq!(pair.client_plain, OK);
}

#[test]
fn r4975_025_smallest_buffers_carry_large_bodies() {
    let min = BufferSizes {
        incoming: BufferSizes::MIN,
        outgoing: BufferSizes::MIN,
    };
    for split in [
        Split::Whole,
        Split::Random { seed: 7, max: 5000 },
        Split::Every(1000),
    ] {
        let mut pair = pair_with(min, split);
        let msg = big_send("small", 300_000);
        pair.send_all(true, &msg, usize::MAX);
        let reply = big_send("reply", 50_000);
        pair.send_all(false, &reply, 3000);
        assert_eq!(pair.server_plain.len(), msg.len(), "{split:?}");
        assert!(pair.server_plain == msg, "{split:?}");
        assert!(pair.client_plain == reply, "{split:?}");
    }
}

#[test]
fn r4975_025_both_directions_at_once_with_small_buffers() {
    let min = BufferSizes {
        incoming: BufferSizes::MIN,
        outgoing: BufferSizes::MIN,
    };
    let mut pair = pair_with(
        min,
        Split::Random {
            seed: 3,
            max: 20_000,
        },
    );
    let a = big_send("aaaa", 200_000);
    let b = big_send("bbbb", 200_000);
    let (mut oa, mut ob) = (0, 0);
    while oa < a.len() || ob < b.len() {
        oa += pair.client.write_plaintext(&a[oa..]).unwrap();
        ob += pair.server.write_plaintext(&b[ob..]).unwrap();
        pair.run();
    }
    assert!(pair.server_plain == a);
    assert!(pair.client_plain == b);
}

#[test]
fn write_before_handshake_is_deferred_not_lost() {
    let c = LocalCertificate::generate_self_signed(&[]).unwrap();
    let s = LocalCertificate::generate_self_signed(&[]).unwrap();
    let client = TlsClientConfig::by_fingerprint(
        "b.example.com",
        c.clone(),
        &[s.fingerprint(HashAlgorithm::Sha256)],
    )
    .unwrap();
    let mut client = TlsConnection::client(&client).unwrap();
    assert!(client.is_handshaking());
    assert_eq!(client.write_plaintext(SEND), Ok(0));
}

#[test]
fn close_notify_both_ways() {
    let mut pair = pair_with(BufferSizes::default(), Split::Whole);
    pair.send_all(true, SEND, usize::MAX);
    pair.client.close().unwrap();
    assert_eq!(pair.client.write_plaintext(b"more"), Err(TlsError::Closed));
    pair.run();
    assert_eq!(
        names(&pair.server_events),
        ["HandshakeComplete", "PeerClosed"]
    );
    // The server may still answer before closing.
    pair.send_all(false, OK, usize::MAX);
    pair.server.close().unwrap();
    pair.run();
    assert_eq!(pair.server_plain, SEND);
    assert_eq!(pair.client_plain, OK);
    assert_eq!(
        names(&pair.client_events),
        ["HandshakeComplete", "PeerClosed", "Closed"]
    );
    assert_eq!(
        names(&pair.server_events),
        ["HandshakeComplete", "PeerClosed", "Closed"]
    );
}
