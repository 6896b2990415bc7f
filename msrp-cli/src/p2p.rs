//! `msrp listen`, `msrp send`, `msrp chat`: real sessions between two machines, the SDP
//! offer/answer carried by files or stdin/stdout (there is no SIP here).
//!
//! The sending side offers (`a=setup:active`, it dials); the listening side answers
//! (`passive`), opens its session before it hands out the answer, and so is ready when the
//! connection arrives.

use std::collections::HashMap;
use std::error::Error;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use indicatif::ProgressBar;
use msrp_proto::engine::{ConnectionError, OutgoingMessage, SessionError};
use msrp_proto::tls::LocalCertificate;
use msrp_proto::wire::headers::SuccessReport;
use msrp_sdp::{
    AnswerOutcome, FormatEntry, LocalConfig, OfferOutcome, Resolutions, SessionDescription,
    apply_answer_sdp, create_answer, create_offer,
};
use msrp_tokio::{
    Endpoint, EndpointConfig, MessageId, Outcome, Session, SessionEvent, SessionFailure,
    session_uri,
};
use tokio::io::{AsyncBufReadExt, AsyncSeekExt, AsyncWriteExt, BufReader, Lines, Stdin};

use crate::ui;

type Res<T> = Result<T, Box<dyn Error>>;

/// Options shared by the three commands.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct Common {
    /// Where the offer goes (sender) or comes from (listener); `-` is stdout/stdin.
    #[arg(long, default_value = "-")]
    pub(crate) offer: String,
    /// Where the answer comes from (sender) or goes (listener); `-` is stdin/stdout.
    #[arg(long, default_value = "-")]
    pub(crate) answer: String,
    /// Use TLS (`msrps`) with self-signed certificates checked by SDP fingerprint.
    #[arg(long)]
    pub(crate) tls: bool,
    /// Signal CEMA (RFC 6714), for networks whose middleboxes rewrite c=/m=.
    #[arg(long)]
    pub(crate) cema: bool,
    /// Host or IP address the peer reaches us at, written into our a=path (default: the
    /// listening address, or 127.0.0.1 for the dialling side).
    #[arg(long)]
    pub(crate) host: Option<String>,
    /// Address to accept the connection on (listening side).
    #[arg(long, default_value = "127.0.0.1:2855")]
    pub(crate) listen: SocketAddr,
}

type StdinLines = Lines<BufReader<Stdin>>;

fn stdin_lines() -> StdinLines {
    BufReader::new(tokio::io::stdin()).lines()
}

fn endpoint(tls: bool) -> Res<Endpoint> {
    let mut cfg = EndpointConfig::default();
    if tls {
        cfg = cfg.with_certificate(LocalCertificate::generate_self_signed(&[])?);
    }
    Ok(Endpoint::new(cfg))
}

fn local_config(
    ep: &Endpoint,
    c: &Common,
    host: &str,
    port: u16,
    reachable: bool,
) -> Res<LocalConfig> {
    let mut cfg = LocalConfig::new(session_uri(c.tls, host, port)?);
    cfg.cema = c.cema;
    cfg.reachable = reachable;
    cfg.fingerprints = ep.sdp_fingerprint().into_iter().collect();
    cfg.accept_types = vec![FormatEntry::parse("*").map_err(|e| format!("{e:?}"))?];
    Ok(cfg)
}

async fn write_sdp(path: &str, sdp: &SessionDescription, what: &str) -> Res<()> {
    if path == "-" {
        eprintln!("msrp: give this {what} to the other side (ends with an empty line):");
        println!("{sdp}");
    } else {
        // Written whole and renamed, so a peer polling for it never reads half of it.
        let tmp = format!("{path}.tmp");
        tokio::fs::write(&tmp, sdp.to_string()).await?;
        tokio::fs::rename(&tmp, path).await?;
        eprintln!("msrp: wrote the {what} to {path}");
    }
    Ok(())
}

async fn read_sdp(path: &str, what: &str, stdin: &mut StdinLines) -> Res<SessionDescription> {
    let text = if path == "-" {
        eprintln!("msrp: paste the {what}, then an empty line:");
        let mut text = String::new();
        while let Some(line) = stdin.next_line().await? {
            if line.trim().is_empty() && !text.is_empty() {
                break;
            }
            text.push_str(line.trim_end());
            text.push_str("\r\n");
        }
        text
    } else {
        eprintln!("msrp: waiting for the {what} in {path}");
        loop {
            match tokio::fs::read_to_string(path).await {
                Ok(t) => break t,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => return Err(format!("cannot read {path}: {e}").into()),
            }
        }
    };
    SessionDescription::parse(&text)
        .map_err(|e| format!("the {what} is not valid SDP: {e:?}").into())
}

/// The offering, dialling side: returns its session once bound.
pub(crate) async fn offerer(c: &Common, stdin: &mut StdinLines) -> Res<(Endpoint, Session)> {
    let ep = endpoint(c.tls)?;
    let host = c.host.clone().unwrap_or_else(|| "127.0.0.1".into());
    let cfg = local_config(&ep, c, &host, 9, false)?;
    let offer = create_offer(&cfg, &ui::origin(&host)).map_err(|e| format!("{e:?}"))?;
    write_sdp(&c.offer, &offer, "offer").await?;
    let answer = read_sdp(&c.answer, "answer", stdin).await?;
    let outcome = apply_answer_sdp(&cfg, &offer, &answer, &Resolutions::new())
        .map_err(|e| format!("cannot use the answer: {e:?}"))?;
    let negotiated = match outcome {
        OfferOutcome::Established(s) => s,
        OfferOutcome::Reoffer { criterion, .. } => {
            return Err(
                format!("CEMA cannot work here ({criterion:?}): run again without --cema").into(),
            );
        }
        OfferOutcome::Refused => return Err("the other side refused the session".into()),
        other => return Err(format!("unexpected outcome {other:?}").into()),
    };
    eprintln!("msrp: {}", ui::describe(&negotiated));
    let mut s = ep.open_session(&negotiated).await?;
    wait_bound(&mut s).await?;
    Ok((ep, s))
}

/// The answering, listening side: returns its session once the peer connected.
pub(crate) async fn answerer(c: &Common, stdin: &mut StdinLines) -> Res<(Endpoint, Session)> {
    let ep = endpoint(c.tls)?;
    let addr = if c.tls {
        ep.listen_tls(c.listen).await?
    } else {
        ep.listen(c.listen).await?
    };
    let host = match &c.host {
        Some(h) => h.clone(),
        None if addr.ip().is_unspecified() => {
            return Err(
                "listening on all addresses: say which one the peer uses with --host".into(),
            );
        }
        None => addr.ip().to_string(),
    };
    eprintln!("msrp: listening on {addr}");
    let offer = read_sdp(&c.offer, "offer", stdin).await?;
    let cfg = local_config(&ep, c, &host, addr.port(), true)?;
    let answer = create_answer(&offer, &cfg, &Resolutions::new(), &ui::origin(&host))
        .map_err(|e| format!("cannot answer: {e:?}"))?;
    let negotiated = match &answer.outcome {
        AnswerOutcome::Accept { session, .. } => session.clone(),
        AnswerOutcome::Reject { reason, .. } => {
            write_sdp(&c.answer, &answer.sdp, "refusal").await?;
            return Err(format!("refusing the offer: {reason:?}").into());
        }
        other => return Err(format!("unexpected outcome {other:?}").into()),
    };
    eprintln!("msrp: {}", ui::describe(&negotiated));
    let mut s = ep.open_session(&negotiated).await?;
    write_sdp(&c.answer, &answer.sdp, "answer").await?;
    wait_bound(&mut s).await?;
    Ok((ep, s))
}

async fn wait_bound(s: &mut Session) -> Res<()> {
    loop {
        match s.next_event().await {
            Some(SessionEvent::Bound { peer_fingerprint }) => {
                match peer_fingerprint {
                    Some(f) => eprintln!(
                        "msrp: connected; TLS peer matches its SDP fingerprint {}",
                        ui::short_fp(&f)
                    ),
                    None => eprintln!("msrp: connected"),
                }
                return Ok(());
            }
            Some(SessionEvent::SessionFailed(f)) => {
                return Err(format!("session failed: {f}").into());
            }
            Some(_) => {}
            None => return Err("session ended".into()),
        }
    }
}

/// `msrp send FILE`.
pub(crate) async fn send(c: &Common, file: &Path, content_type: &str) -> Res<()> {
    let f = tokio::fs::File::open(file)
        .await
        .map_err(|e| format!("cannot open {}: {e}", file.display()))?;
    let len = f.metadata().await?.len();
    let mut stdin = stdin_lines();
    let (_ep, mut s) = offerer(c, &mut stdin).await?;
    let bar = ui::progress_bar(len, "sending");
    let msg = OutgoingMessage::pulled(content_type.to_owned(), Some(len))
        .success_report(SuccessReport::Yes);
    let sender = s.sender();
    let sending = sender.send_reader(msg, msrp_tokio::compat(f), |n| bar.set_position(n));
    tokio::pin!(sending);
    let outcome = loop {
        tokio::select! {
            o = &mut sending => break o?,
            ev = s.next_event() => if let Some(SessionEvent::SessionFailed(f)) = ev {
                bar.abandon();
                return Err(format!("session failed: {f}").into());
            },
        }
    };
    bar.finish_and_clear();
    match outcome {
        Outcome::Delivered { confirmed } => {
            println!(
                "sent {} ({confirmed} bytes), confirmed by the peer's REPORT",
                file.display()
            );
            Ok(())
        }
        other => Err(format!("not delivered: {other:?}").into()),
    }
}

/// Incoming messages being received.
#[derive(Default)]
struct Inbox {
    out_dir: Option<PathBuf>,
    open: HashMap<MessageId, Incoming>,
}

struct Incoming {
    content_type: String,
    text: Vec<u8>,
    file: Option<(PathBuf, tokio::fs::File, ProgressBar)>,
}

impl Inbox {
    /// Handles one event; `Ok(false)` when the session is over.
    async fn event(&mut self, ev: Option<SessionEvent>) -> Res<bool> {
        match ev {
            Some(SessionEvent::MessageStarted {
                message,
                content_type,
                total,
            }) => {
                let file = match &self.out_dir {
                    Some(dir) if !content_type.starts_with("text/") => {
                        let path = dir.join(format!("{}.bin", message.as_str()));
                        let f = tokio::fs::File::create(&path).await?;
                        Some((path, f, ui::progress_bar(total.unwrap_or(0), "receiving")))
                    }
                    _ => None,
                };
                self.open.insert(
                    message,
                    Incoming {
                        content_type,
                        text: Vec::new(),
                        file,
                    },
                );
            }
            Some(SessionEvent::Data {
                message,
                offset,
                bytes,
                ..
            }) => {
                if let Some(m) = self.open.get_mut(&message) {
                    match &mut m.file {
                        Some((_, f, bar)) => {
                            f.seek(std::io::SeekFrom::Start(offset)).await?;
                            f.write_all(&bytes).await?;
                            bar.set_position(offset + bytes.len() as u64);
                        }
                        None if m.text.len() < 1 << 20 => m.text.extend_from_slice(&bytes),
                        None => {}
                    }
                }
            }
            Some(SessionEvent::MessageReceived {
                message,
                len,
                duplicate,
                ..
            }) => {
                let again = if duplicate { " (again: a resend)" } else { "" };
                if let Some(m) = self.open.remove(&message) {
                    match m.file {
                        Some((path, mut f, bar)) => {
                            f.flush().await?;
                            bar.finish_and_clear();
                            println!(
                                "received {len} bytes of {} into {}{again}",
                                m.content_type,
                                path.display()
                            );
                        }
                        None => println!("<peer>{again} {}", String::from_utf8_lossy(&m.text)),
                    }
                }
            }
            Some(SessionEvent::MessageAborted { message, reason }) => {
                self.open.remove(&message);
                eprintln!("msrp: incoming message aborted ({reason:?})");
            }
            Some(SessionEvent::Failed { status, .. }) => {
                eprintln!(
                    "msrp: a message was not delivered: {} {}",
                    status.0,
                    status.reason()
                );
            }
            Some(SessionEvent::SessionFailed(SessionFailure::Msrp(
                SessionError::ConnectionLost(ConnectionError::Closed),
            ))) => {
                eprintln!("msrp: the peer closed the session");
                return Ok(false);
            }
            Some(SessionEvent::SessionFailed(f)) => {
                return Err(format!("session failed: {f}").into());
            }
            Some(_) => {}
            None => return Ok(false),
        }
        Ok(true)
    }
}

/// `msrp listen`: receives until the peer closes; files go to `out_dir`.
pub(crate) async fn listen(c: &Common, out_dir: PathBuf) -> Res<()> {
    let mut stdin = stdin_lines();
    let (_ep, mut s) = answerer(c, &mut stdin).await?;
    let mut inbox = Inbox {
        out_dir: Some(out_dir),
        ..Inbox::default()
    };
    while inbox.event(s.next_event().await).await? {}
    Ok(())
}

/// `msrp chat`: stdin lines out, the peer's lines in.
pub(crate) async fn chat(c: &Common, accept: bool) -> Res<()> {
    let mut stdin = stdin_lines();
    let (_ep, mut s) = if accept {
        answerer(c, &mut stdin).await?
    } else {
        offerer(c, &mut stdin).await?
    };
    eprintln!("msrp: type lines to send; end with Ctrl-D");
    let mut inbox = Inbox::default();
    loop {
        tokio::select! {
            line = stdin.next_line() => match line? {
                Some(l) if !l.is_empty() => {
                    s.send("text/plain", l)?;
                }
                Some(_) => {}
                None => return Ok(()),
            },
            ev = s.next_event() => if !inbox.event(ev).await? {
                return Ok(());
            },
        }
    }
}
