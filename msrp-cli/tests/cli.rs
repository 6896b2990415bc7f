//! The `msrp` command run as a user would: spawned processes on 127.0.0.1.

use std::process::{Command, Stdio};

fn msrp() -> Command {
    Command::new(env!("CARGO_BIN_EXE_msrp"))
}

#[test]
fn demo_negotiates_cema_sends_over_tls_through_the_anchor_and_shows_the_rejection() {
    let out = msrp()
        .args(["demo", "--file-size", "300000"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "exit {:?}\n{stdout}\n{stderr}",
        out.status
    );
    for expected in [
        "a=msrp-cema",
        "[anchor] rewrites the offer",
        "CEMA enabled; active: dials 127.0.0.1:",
        "(the c=/m= address)",
        "first bytes from Bob: 16 03",
        "Alice's certificate matches her a=fingerprint",
        "Bob's client certificate matches his a=fingerprint",
        "<bob> Hi Alice!",
        "REPORT: 200 OK, 300000 bytes confirmed",
        "received 300000 bytes of application/octet-stream",
        "identical to Bob's file",
        "REJECTS the offer (SIP 488",
        "R6714-014",
        "(the a=path URI)",
    ] {
        assert!(
            stdout.contains(expected),
            "missing {expected:?} in:\n{stdout}"
        );
    }
}

#[test]
fn demo_no_cema_runs_only_the_rejection() {
    let out = msrp().args(["demo", "--no-cema"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(!stdout.contains("Part 1"), "{stdout}");
    assert!(stdout.contains("REJECTS the offer"), "{stdout}");
}

#[test]
fn listen_and_send_exchange_sdp_through_files_and_transfer_a_file_over_tls() {
    let dir = std::env::temp_dir().join(format!("msrp-cli-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("in")).unwrap();
    let file = dir.join("payload.bin");
    let data: Vec<u8> = (0..200_000u32).map(|i| (i % 253) as u8).collect();
    std::fs::write(&file, &data).unwrap();
    let (offer, answer) = (dir.join("offer.sdp"), dir.join("answer.sdp"));
    // An ephemeral port for the listener: bind, note it, release it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let sdp_args = |cmd: &mut Command| {
        cmd.args(["--tls", "--offer"])
            .arg(&offer)
            .arg("--answer")
            .arg(&answer);
    };
    let mut listen = msrp();
    listen
        .args(["listen", "--listen", &format!("127.0.0.1:{port}"), "--out"])
        .arg(dir.join("in"));
    sdp_args(&mut listen);
    let listener = listen
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut send = msrp();
    send.arg("send").arg(&file);
    sdp_args(&mut send);
    let sender = send.stdin(Stdio::null()).output().unwrap();
    let sent = String::from_utf8_lossy(&sender.stdout);
    assert!(
        sender.status.success(),
        "send failed: {sent}\n{}",
        String::from_utf8_lossy(&sender.stderr)
    );
    assert!(sent.contains("confirmed by the peer's REPORT"), "{sent}");
    let got = listener.wait_with_output().unwrap();
    let said = String::from_utf8_lossy(&got.stdout);
    assert!(
        got.status.success(),
        "listen failed: {said}\n{}",
        String::from_utf8_lossy(&got.stderr)
    );
    assert!(said.contains("received 200000 bytes"), "{said}");
    let saved: Vec<_> = std::fs::read_dir(dir.join("in"))
        .unwrap()
        .flatten()
        .collect();
    assert_eq!(saved.len(), 1);
    assert!(std::fs::read(saved[0].path()).unwrap() == data);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn send_reports_a_missing_file_clearly() {
    let out = msrp()
        .args(["send", "/nonexistent/file.bin"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("msrp: error: cannot open /nonexistent/file.bin"),
        "{stderr}"
    );
}

/// `msrp relay` as a user runs it: an htdigest file, a listening port; a client AUTHs.
#[test]
fn r4976_016_msrp_relay_authenticates_a_client() {
    use msrp_proto::rand::OsRandom;
    use msrp_proto::relay::{AuthClient, AuthConfig, AuthEvent};
    use msrp_proto::uri::Uri;
    use msrp_proto::wire::{Decoder, Event};
    use std::io::{Read, Write};
    use std::time::{Duration, Instant};

    let dir = std::env::temp_dir().join(format!("msrp-relay-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let creds = dir.join("users.htdigest");
    let ha1 = msrp_proto::digest::ha1("alice", "relay.test", "s3cret");
    std::fs::write(
        &creds,
        format!("alice:relay.test:{}\n", String::from_utf8_lossy(&ha1)),
    )
    .unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = msrp()
        .args([
            "relay",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--realm",
            "relay.test",
        ])
        .arg("--credentials")
        .arg(&creds)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut sock = None;
    for _ in 0..100 {
        if let Ok(s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            sock = Some(s);
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut sock = sock.expect("msrp relay listens");
    sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let relay = format!("msrp://127.0.0.1:{port};tcp");
    let mut cfg = AuthConfig::new(
        "alice",
        "s3cret",
        vec![Uri::parse(&relay).unwrap()],
        Uri::parse("msrp://127.0.0.1:7001/alice0sess1;tcp").unwrap(),
    );
    cfg.allow_plain_tcp = true;
    let mut client = AuthClient::new(cfg).unwrap();
    let mut buf = Vec::new();
    let mut result = None;
    #[allow(clippy::disallowed_methods)] // a real process on the real clock
    let now = Instant::now();
    'auth: for _ in 0..4 {
        let mut out = Vec::new();
        if client.poll_transmit(now, &mut OsRandom, &mut out).is_some() {
            sock.write_all(&out).unwrap();
        }
        loop {
            let mut d = Decoder::default();
            if let Ok((_, Event::Head(h))) = d.decode(&buf)
                && buf.windows(10).any(|w| w.starts_with(b"\r\n-------"))
            {
                let r = client.handle_response(now, &h);
                buf.clear();
                if let Some(r) = r {
                    result = Some(r);
                    break 'auth;
                }
                break;
            }
            let mut chunk = [0u8; 4096];
            let n = sock.read(&mut chunk).expect("the relay answers");
            assert!(n > 0, "the relay closed the connection");
            buf.extend_from_slice(&chunk[..n]);
        }
    }
    let _ = child.kill();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        matches!(result, Some(AuthEvent::Authenticated { .. })),
        "{result:?}\n{stderr}"
    );
    assert!(stderr.contains("msrp relay:"), "{stderr}");
    assert!(!stderr.contains("s3cret"), "a password in the log");
    let _ = std::fs::remove_dir_all(&dir);
}

/// PEM armour for `der` (the test writes its own certificate files).
fn pem(label: &str, der: &[u8]) -> String {
    const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut text = String::new();
    for chunk in der.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                text.push(B64[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                text.push('=');
            }
        }
    }
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in text.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).unwrap());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// `msrp relay --tls-listen --cert --key` loads a PEM identity and listens for `msrps`
/// (R4976-051: AUTH over TLS), `--tls-roots` the roots for dialling `msrps` next hops,
/// `--peer-roots` those of peer relays' client certificates (R4976-065);
/// a key that is not PKCS#8 PEM is a clear error.
#[test]
fn r4976_051_msrp_relay_listens_for_tls_with_a_pem_identity() {
    use std::io::BufRead;

    let dir = std::env::temp_dir().join(format!("msrp-relay-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let creds = dir.join("users.htdigest");
    let ha1 = msrp_proto::digest::ha1("alice", "relay.test", "s3cret");
    std::fs::write(
        &creds,
        format!("alice:relay.test:{}\n", String::from_utf8_lossy(&ha1)),
    )
    .unwrap();
    let ck = rcgen::generate_simple_self_signed(vec!["relay.test".to_owned()]).unwrap();
    let (cert, key) = (dir.join("relay.crt"), dir.join("relay.key"));
    std::fs::write(&cert, pem("CERTIFICATE", ck.cert.der())).unwrap();
    std::fs::write(&key, pem("PRIVATE KEY", &ck.signing_key.serialize_der())).unwrap();
    let relay = |key: &std::path::Path| {
        let mut c = msrp();
        c.args([
            "relay",
            "--listen",
            "127.0.0.1:0",
            "--tls-listen",
            "127.0.0.1:0",
        ])
        .args(["--realm", "relay.test"])
        .arg("--credentials")
        .arg(&creds)
        .arg("--cert")
        .arg(&cert)
        .arg("--key")
        .arg(key)
        // Its own certificate as the trust root for msrps next hops and peer relays.
        .arg("--tls-roots")
        .arg(&cert)
        .arg("--peer-roots")
        .arg(&cert)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
        c
    };
    let mut child = relay(&key).spawn().unwrap();
    let mut first = String::new();
    std::io::BufReader::new(child.stderr.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(first.contains("msrps://127.0.0.1:"), "{first}");
    assert!(first.contains(", tls 127.0.0.1:"), "{first}");
    assert!(first.contains("(peer relays by certificate)"), "{first}");
    assert!(
        first.contains("msrps next hops over TLS (1 roots)"),
        "{first}"
    );

    // The certificate where the key should be: refused with a reason.
    let out = relay(&cert).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("PKCS#8"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}
