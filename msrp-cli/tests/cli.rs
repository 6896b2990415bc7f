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
