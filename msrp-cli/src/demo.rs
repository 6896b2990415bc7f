//! `msrp demo`: two endpoints on loopback negotiate by SDP through a simulated media anchor
//! that rewrites c=/m= and forwards TCP bytes; with CEMA they connect through it over TLS
//! with fingerprints checked end to end; without CEMA the answerer must refuse.

use std::error::Error;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use msrp_proto::engine::OutgoingMessage;
use msrp_proto::tls::LocalCertificate;
use msrp_proto::wire::headers::SuccessReport;
use msrp_sdp::{
    AnswerOutcome, FormatEntry, LocalConfig, OfferOutcome, RejectReason, Resolutions,
    SessionDescription, apply_answer_sdp, create_answer, create_offer,
};
use msrp_tokio::{Endpoint, EndpointConfig, Outcome, Session, SessionEvent, session_uri};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::ui;

type Res<T> = Result<T, Box<dyn Error>>;

const LOOPBACK: &str = "127.0.0.1";

/// Runs the demo: part 1 (CEMA) unless `no_cema`, then part 2 (RFC 4975 alone).
pub(crate) async fn run(no_cema: bool, file_size: usize) -> Res<()> {
    if !no_cema {
        with_cema(file_size).await?;
        println!();
    }
    without_cema().await
}

fn endpoint() -> Res<Endpoint> {
    let cert = LocalCertificate::generate_self_signed(&[])?;
    Ok(Endpoint::new(
        EndpointConfig::default().with_certificate(cert),
    ))
}

fn config(ep: &Endpoint, port: u16, cema: bool, reachable: bool) -> Res<LocalConfig> {
    let mut c = LocalConfig::new(session_uri(true, LOOPBACK, port)?);
    c.cema = cema;
    c.reachable = reachable;
    c.fingerprints = ep.sdp_fingerprint().into_iter().collect();
    c.accept_types
        .push(FormatEntry::parse("application/octet-stream").map_err(|e| format!("{e:?}"))?);
    Ok(c)
}

/// Counters of the simulated anchor.
#[derive(Default)]
struct Anchor {
    to_alice: AtomicU64,
    to_bob: AtomicU64,
}

/// The middlebox: accepts on its own port and forwards bytes to `target` both ways,
/// without looking at them (it could not: they are TLS records).
async fn middlebox(listener: TcpListener, target: SocketAddr, counts: Arc<Anchor>) {
    while let Ok((inbound, peer)) = listener.accept().await {
        println!("[anchor] connection from {peer}; forwarding it to {target}");
        let Ok(outbound) = TcpStream::connect(target).await else {
            continue;
        };
        let _ = (inbound.set_nodelay(true), outbound.set_nodelay(true));
        let (ri, wi) = inbound.into_split();
        let (ro, wo) = outbound.into_split();
        let c = counts.clone();
        tokio::spawn(pipe(ri, wo, "Bob", move |n| {
            c.to_alice.fetch_add(n, Ordering::Relaxed)
        }));
        let c = counts.clone();
        tokio::spawn(pipe(ro, wi, "Alice", move |n| {
            c.to_bob.fetch_add(n, Ordering::Relaxed)
        }));
    }
}

async fn pipe(
    mut r: tokio::net::tcp::OwnedReadHalf,
    mut w: tokio::net::tcp::OwnedWriteHalf,
    from: &str,
    count: impl Fn(u64) -> u64,
) {
    let mut buf = vec![0u8; 64 * 1024];
    let mut first = true;
    while let Ok(n) = r.read(&mut buf).await {
        if n == 0 || w.write_all(&buf[..n]).await.is_err() {
            break;
        }
        if first && n >= 3 {
            println!(
                "[anchor] first bytes from {from}: {:02x} {:02x} {:02x} (a TLS record, not MSRP text)",
                buf[0], buf[1], buf[2]
            );
            first = false;
        }
        count(n as u64);
    }
    let _ = w.shutdown().await;
}

/// The anchor's SDP rewrite: c= and the m= port now point at the anchor; a=path untouched.
fn rewrite(offer: &str, real: SocketAddr, anchor: SocketAddr) -> Res<SessionDescription> {
    let from = format!("m=message {} ", real.port());
    let to = format!("m=message {} ", anchor.port());
    println!(
        "[anchor] rewrites the offer: c=IN IP4 {}, {from}→ {to}",
        anchor.ip()
    );
    println!("         (a=path is left alone: session matching still uses the endpoint URIs)");
    let text = offer.replace(&from, &to).replace(
        &format!("c=IN IP4 {}", real.ip()),
        &format!("c=IN IP4 {}", anchor.ip()),
    );
    Ok(SessionDescription::parse(&text)?)
}

async fn with_cema(file_size: usize) -> Res<()> {
    println!("== Part 1: Alice and Bob through an IMS-style media anchor, with CEMA (RFC 6714) ==");
    let (alice, bob) = (endpoint()?, endpoint()?);
    let alice_addr = alice.listen_tls(format!("{LOOPBACK}:0").parse()?).await?;
    let anchor = TcpListener::bind(format!("{LOOPBACK}:0")).await?;
    let anchor_addr = anchor.local_addr()?;
    let counts = Arc::new(Anchor::default());
    tokio::spawn(middlebox(anchor, alice_addr, counts.clone()));
    println!("[alice]  listens for msrps on {alice_addr}; the anchor listens on {anchor_addr}");

    let a_cfg = config(&alice, alice_addr.port(), true, true)?;
    let offer = create_offer(&a_cfg, &ui::origin(LOOPBACK)).map_err(|e| format!("{e:?}"))?;
    println!(
        "[alice]  SDP offer (abridged):\n{}",
        ui::abridged(&offer.to_string())
    );
    let seen_by_bob = rewrite(&offer.to_string(), alice_addr, anchor_addr)?;

    let b_cfg = config(&bob, 9, true, false)?;
    let answer = create_answer(
        &seen_by_bob,
        &b_cfg,
        &Resolutions::new(),
        &ui::origin(LOOPBACK),
    )
    .map_err(|e| format!("{e:?}"))?;
    let AnswerOutcome::Accept { session: bob_s, .. } = &answer.outcome else {
        return Err(format!("Bob rejected the offer: {:?}", answer.outcome).into());
    };
    println!(
        "[bob]    SDP answer (abridged):\n{}",
        ui::abridged(&answer.sdp.to_string())
    );
    println!("[bob]    decides: {}", ui::describe(bob_s));
    let outcome = apply_answer_sdp(&a_cfg, &offer, &answer.sdp, &Resolutions::new())
        .map_err(|e| format!("{e:?}"))?;
    let OfferOutcome::Established(alice_s) = outcome else {
        return Err(format!("Alice cannot use the answer: {outcome:?}").into());
    };
    println!("[alice]  decides: {}", ui::describe(&alice_s));

    let mut sa = alice.open_session(&alice_s).await?;
    let mut sb = bob.open_session(bob_s).await?;
    let fp_b = bound(&mut sb).await?;
    println!(
        "[bob]    TLS through the anchor: Alice's certificate matches her a=fingerprint ({fp_b})"
    );
    let fp_a = bound(&mut sa).await?;
    println!(
        "[alice]  TLS: Bob's client certificate matches his a=fingerprint ({fp_a}); session bound"
    );

    chat(
        &sb,
        &mut sa,
        "bob",
        "Hi Alice! I'm on the operator's network, behind its media anchor.",
    )
    .await?;
    chat(
        &sa,
        &mut sb,
        "alice",
        "Hi Bob. The anchor sees only TLS records, and our fingerprints match.",
    )
    .await?;
    chat(&sb, &mut sa, "bob", "Great. Sending you the file now.").await?;

    // The file: pulled from disk by the engine as it sends, chunked, confirmed by REPORT.
    let path = std::env::temp_dir().join(format!("msrp-demo-{}.bin", std::process::id()));
    let data: Vec<u8> = (0..file_size).map(|i| (i * 7 + i / 251) as u8).collect();
    std::fs::write(&path, &data)?;
    println!(
        "[bob]    sends {} ({} bytes) as SEND chunks, Success-Report: yes",
        path.display(),
        data.len()
    );
    let file = tokio::fs::File::open(&path).await?;
    let bar = ui::progress_bar(data.len() as u64, "bob → alice");
    let msg = OutgoingMessage::pulled("application/octet-stream", Some(data.len() as u64))
        .success_report(SuccessReport::Yes);
    let started = Instant::now();
    let (sent, got) = tokio::join!(
        sb.send_reader(msg, msrp_tokio::compat(file), |n| bar.set_position(n)),
        receive(&mut sa)
    );
    bar.finish_and_clear();
    let _ = std::fs::remove_file(&path);
    let (ct, body) = got?;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "[bob]    file sent in {secs:.2} s ({:.1} MB/s)",
        data.len() as f64 / secs / 1e6
    );
    report("bob", sent?);
    let same = if body == data {
        "identical to Bob's file"
    } else {
        "DIFFERENT from Bob's file"
    };
    println!(
        "[alice]  received {} bytes of {ct}, sha-256 {}…: {same}",
        body.len(),
        &ui::sha256_hex(&body)[..16]
    );
    println!(
        "[anchor] forwarded {} bytes Bob→Alice and {} bytes Alice→Bob without reading any of it",
        counts.to_alice.load(Ordering::Relaxed),
        counts.to_bob.load(Ordering::Relaxed)
    );
    if body != data {
        return Err("the received file differs".into());
    }
    drop((sa, sb));
    alice.close();
    bob.close();
    Ok(())
}

/// One chat line from `name` with a success REPORT, printed on both sides.
async fn chat(from: &Session, to: &mut Session, name: &str, text: &str) -> Res<()> {
    let msg = OutgoingMessage::whole("text/plain", text.as_bytes().to_vec().into())
        .success_report(SuccessReport::Yes);
    let out = from.send_message(msg)?;
    let (_, body) = receive(to).await?;
    let me = if name == "bob" { "alice" } else { "bob" };
    let pad = 6 - me.len();
    println!(
        "[{me}]{:pad$} <{name}> {}",
        "",
        String::from_utf8_lossy(&body)
    );
    report(name, out.outcome().await);
    Ok(())
}

async fn bound(s: &mut Session) -> Res<String> {
    loop {
        match s.next_event().await {
            Some(SessionEvent::Bound { peer_fingerprint }) => {
                return Ok(peer_fingerprint.map_or("no TLS".into(), |f| ui::short_fp(&f)));
            }
            Some(SessionEvent::SessionFailed(f)) => {
                return Err(format!("session failed: {f}").into());
            }
            Some(_) => {}
            None => return Err("session ended".into()),
        }
    }
}

/// Collects one whole incoming message with a body: (content type, bytes).
pub(crate) async fn receive(s: &mut Session) -> Res<(String, Vec<u8>)> {
    let mut ct = String::new();
    let mut body = Vec::new();
    loop {
        match s.next_event().await {
            Some(SessionEvent::MessageStarted {
                content_type,
                total,
                ..
            }) => {
                ct = content_type;
                body.reserve(total.unwrap_or(0).min(1 << 30) as usize);
            }
            Some(SessionEvent::Data { offset, bytes, .. }) => {
                let end = offset as usize + bytes.len();
                if body.len() < end {
                    body.resize(end, 0);
                }
                body[offset as usize..end].copy_from_slice(&bytes);
            }
            Some(SessionEvent::MessageReceived {
                bodiless: false, ..
            }) => return Ok((ct, body)),
            Some(SessionEvent::MessageAborted { reason, .. }) => {
                return Err(format!("message aborted: {reason:?}").into());
            }
            Some(SessionEvent::SessionFailed(f)) => {
                return Err(format!("session failed: {f}").into());
            }
            Some(_) => {}
            None => return Err("session ended".into()),
        }
    }
}

fn report(sender: &str, outcome: Outcome) {
    let pad = 6 - sender.len();
    match outcome {
        Outcome::Delivered { confirmed } => {
            println!(
                "[{sender}]{:pad$} REPORT: 200 OK, {confirmed} bytes confirmed",
                ""
            );
        }
        other => println!("[{sender}]{:pad$} outcome: {other:?}", ""),
    }
}

async fn without_cema() -> Res<()> {
    println!("== Part 2: the same network with RFC 4975 alone (Alice does not offer CEMA) ==");
    let alice = endpoint()?;
    let bob = endpoint()?;
    let alice_addr: SocketAddr = format!("{LOOPBACK}:40001").parse()?;
    let anchor_addr: SocketAddr = format!("{LOOPBACK}:40002").parse()?;
    let a_cfg = config(&alice, alice_addr.port(), false, true)?;
    let offer = create_offer(&a_cfg, &ui::origin(LOOPBACK)).map_err(|e| format!("{e:?}"))?;
    println!(
        "[alice]  SDP offer (abridged, no a=msrp-cema):\n{}",
        ui::abridged(&offer.to_string())
    );
    let seen_by_bob = rewrite(&offer.to_string(), alice_addr, anchor_addr)?;

    let b_cfg = config(&bob, 9, true, false)?;
    let answer = create_answer(
        &seen_by_bob,
        &b_cfg,
        &Resolutions::new(),
        &ui::origin(LOOPBACK),
    )
    .map_err(|e| format!("{e:?}"))?;
    match &answer.outcome {
        AnswerOutcome::Reject { reason, .. } => {
            println!(
                "[bob]    REJECTS the offer (SIP {} or m= port 0): {}",
                reason.sip_status(),
                why(*reason)
            );
        }
        other => return Err(format!("expected a rejection, got {other:?}").into()),
    }
    let plain = b_cfg.without_cema();
    let answer = create_answer(
        &seen_by_bob,
        &plain,
        &Resolutions::new(),
        &ui::origin(LOOPBACK),
    )
    .map_err(|e| format!("{e:?}"))?;
    if let AnswerOutcome::Accept { session, .. } = &answer.outcome {
        println!(
            "[bob]    an RFC 4975-only Bob would accept and {}",
            ui::describe(session)
        );
        println!(
            "         i.e. go around the anchor, which the operator's network does not allow;"
        );
        println!(
            "         an MSRP B2BUA rewriting a=path instead would end TLS and the fingerprints."
        );
    }
    println!(
        "[demo]   CEMA lets the endpoints dial the anchor's c=/m= address while MSRP and TLS stay end to end."
    );
    alice.close();
    bob.close();
    Ok(())
}

fn why(reason: RejectReason) -> &'static str {
    match reason {
        RejectReason::CmMismatchWithoutCema => {
            "c=/m= no longer match a=path and the offer has no a=msrp-cema, so a middlebox \
             rewrote c=/m= without anchoring MSRP (RFC 6714 §4.3, R6714-014)"
        }
        RejectReason::NoCommonType => "no common content type",
        RejectReason::TransportMismatch => "TCP vs TLS mismatch",
        _ => "setup cannot be honoured",
    }
}
