//! The black-box probe: wire-level checks that make sense against any MSRP endpoint or
//! relay reachable over TCP (`msrp-conformance probe msrp://host:port/session;tcp`).
//!
//! Each check opens its own connection, sends crafted frames with the stack's encoder,
//! and reads the answers with its decoder. A check passes, fails (with what was seen), or
//! is inconclusive (e.g. the peer closed the connection, which some relays do instead of
//! answering). Absence of a response is tested without waiting on a timer: a request
//! that must not be answered is followed by one that must be, and the first response
//! must belong to the second.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use msrp_proto::rand::{OsRandom, RandomSource};
use msrp_proto::uri::{Uri, UriRef};
use msrp_proto::wire::encode::{HeadWriter, write_end_line};
use msrp_proto::wire::headers::{ByteRange, FailureReport, Status, StatusCode};
use msrp_proto::wire::{Decoder, Event, Flag, MessageId, Method, TransactionId};

/// The verdict of one check.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Verdict {
    /// The peer behaved as the requirement says.
    Pass,
    /// It did not; the string says what was seen.
    Fail(String),
    /// The check could not decide (connection refused or closed, timeout).
    Inconclusive(String),
}

/// One probe check and its outcome.
#[derive(Debug, Clone)]
pub struct CheckResult {
    /// Short name.
    pub name: &'static str,
    /// Requirement ids exercised.
    pub requirements: &'static [&'static str],
    /// The outcome.
    pub verdict: Verdict,
}

/// A response seen on the wire.
#[derive(Debug, Clone)]
struct Seen {
    tid: String,
    status: Option<u16>,
    method: Option<String>,
}

struct Wire {
    sock: TcpStream,
    decoder: Decoder,
    buf: Vec<u8>,
}

impl Wire {
    fn connect(target: &UriRef<'_>, timeout: Duration) -> Result<Self, String> {
        let host = target.host_str();
        let port = target.port().ok_or("the target URI needs a port")?;
        let addr = if host.contains(':') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        let sock = TcpStream::connect(&addr).map_err(|e| format!("connect {addr}: {e}"))?;
        sock.set_read_timeout(Some(timeout))
            .map_err(|e| e.to_string())?;
        sock.set_nodelay(true).ok();
        Ok(Self {
            sock,
            decoder: Decoder::default(),
            buf: Vec::new(),
        })
    }

    fn send(&mut self, bytes: &[u8], drip: bool) -> Result<(), String> {
        if drip {
            for b in bytes {
                self.sock
                    .write_all(std::slice::from_ref(b))
                    .map_err(|e| e.to_string())?;
            }
            Ok(())
        } else {
            self.sock.write_all(bytes).map_err(|e| e.to_string())
        }
    }

    /// The next complete message's start line, or an error string (timeout/close/garbage).
    fn next(&mut self) -> Result<Seen, String> {
        let mut seen: Option<Seen> = None;
        let mut chunk = [0u8; 8192];
        loop {
            let (consumed, done) = match self.decoder.decode(&self.buf) {
                Ok((n, Event::Head(h))) => {
                    seen = Some(Seen {
                        tid: h.transaction_id().to_owned(),
                        status: h.status().map(|s| s.0),
                        method: h.method().map(|m| m.as_str().to_owned()),
                    });
                    (n, false)
                }
                Ok((n, Event::End(_))) => (n, true),
                Ok((_, Event::NeedMore)) => {
                    let n = self
                        .sock
                        .read(&mut chunk)
                        .map_err(|e| format!("no answer: {e}"))?;
                    if n == 0 {
                        return Err("connection closed by peer".into());
                    }
                    self.buf.extend_from_slice(&chunk[..n]);
                    continue;
                }
                Ok((n, _)) => (n, false),
                Err(e) => return Err(format!("unparsable answer: {e}")),
            };
            self.buf.drain(..consumed);
            if done {
                return seen.ok_or_else(|| "end without head".into());
            }
        }
    }

    /// The next response to `tid`, skipping requests the peer sends meanwhile.
    fn response_to(&mut self, tid: &TransactionId) -> Result<Seen, String> {
        loop {
            let s = self.next()?;
            if s.status.is_some() {
                return Ok(s);
            }
            let _ = tid;
        }
    }
}

struct Req<'a> {
    method: Method<'a>,
    to: Vec<UriRef<'a>>,
    from: UriRef<'a>,
    failure: Option<FailureReport>,
    body: Option<&'a [u8]>,
    report_status: bool,
}

fn build(req: &Req<'_>, rng: &mut dyn RandomSource) -> (TransactionId, Vec<u8>) {
    let tid = TransactionId::generate_avoiding(rng, req.body.unwrap_or_default());
    let mut out = Vec::new();
    let mut w = HeadWriter::request(
        &mut out,
        tid.as_str(),
        req.method,
        req.to.iter().copied(),
        [req.from],
    );
    let mid = MessageId::generate(rng);
    if matches!(req.method, Method::Send | Method::Report) {
        w.message_id(mid.as_str());
    }
    if let Some(f) = req.failure {
        w.failure_report(f);
    }
    if req.report_status {
        w.status(&Status::msrp(StatusCode::OK));
    }
    match req.body {
        Some(body) => {
            w.byte_range(ByteRange::whole(body.len() as u64));
            w.finish_with_body("text/plain");
            out.extend_from_slice(body);
            write_end_line(&mut out, tid.as_str(), Flag::End, true);
        }
        None => w.finish_bodiless(Flag::End),
    }
    (tid, out)
}

fn expect_status(got: Result<Seen, String>, tid: &TransactionId, want: &[u16]) -> Verdict {
    match got {
        Ok(s) if s.tid == tid.as_str() && s.status.is_some_and(|c| want.contains(&c)) => {
            Verdict::Pass
        }
        Ok(s) => Verdict::Fail(format!(
            "got {:?} {:?} for tid {} (wanted {want:?} for {})",
            s.status,
            s.method,
            s.tid,
            tid.as_str()
        )),
        Err(e) => Verdict::Inconclusive(e),
    }
}

/// Runs every check against `target` (an MSRP URI with explicit port). `timeout` bounds
/// each wait for an answer.
pub fn run(target: &str, timeout: Duration) -> Result<Vec<CheckResult>, String> {
    let target = Uri::parse(target).map_err(|e| format!("bad target URI: {e}"))?;
    let t = target.as_ref();
    let mut rng = OsRandom;
    // A session URI that cannot exist at the target: same authority, fresh session-id.
    let lost = Uri::generate(
        t.scheme(),
        t.host_str(),
        t.port().unwrap_or(2855),
        t.transport(),
        &mut rng,
    )
    .map_err(|e| e.to_string())?;
    let me = Uri::generate(t.scheme(), "probe.invalid", 9, "tcp", &mut rng)
        .map_err(|e| e.to_string())?;
    let (lost, me) = (lost.as_ref(), me.as_ref());
    let mut results = Vec::new();
    let mut check = |name, requirements, f: &mut dyn FnMut(&mut Wire) -> Verdict| {
        let verdict = match Wire::connect(&t, timeout) {
            Ok(mut w) => f(&mut w),
            Err(e) => Verdict::Inconclusive(e),
        };
        results.push(CheckResult {
            name,
            requirements,
            verdict,
        });
    };

    check(
        "unknown session -> 481",
        &["R4975-031", "R4975-150"],
        &mut |w| {
            let (tid, bytes) = build(
                &Req {
                    method: Method::Send,
                    to: vec![lost],
                    from: me,
                    failure: None,
                    body: Some(b"probe"),
                    report_status: false,
                },
                &mut rng,
            );
            if let Err(e) = w.send(&bytes, false) {
                return Verdict::Inconclusive(e);
            }
            expect_status(w.response_to(&tid), &tid, &[481])
        },
    );

    check(
        "unknown method -> 501 (or 481 for an unknown session)",
        &["R4975-210"],
        &mut |w| {
            let (tid, bytes) = build(
                &Req {
                    method: Method::Other("PROBE"),
                    to: vec![t],
                    from: me,
                    failure: None,
                    body: None,
                    report_status: false,
                },
                &mut rng,
            );
            if let Err(e) = w.send(&bytes, false) {
                return Verdict::Inconclusive(e);
            }
            expect_status(w.response_to(&tid), &tid, &[501, 481])
        },
    );

    check(
        "Failure-Report: no -> no response at all",
        &["R4975-134"],
        &mut |w| {
            let (quiet, a) = build(
                &Req {
                    method: Method::Send,
                    to: vec![lost],
                    from: me,
                    failure: Some(FailureReport::No),
                    body: Some(b"quiet"),
                    report_status: false,
                },
                &mut rng,
            );
            let (loud, b) = build(
                &Req {
                    method: Method::Send,
                    to: vec![lost],
                    from: me,
                    failure: None,
                    body: Some(b"loud"),
                    report_status: false,
                },
                &mut rng,
            );
            if let Err(e) = w.send(&[a, b].concat(), false) {
                return Verdict::Inconclusive(e);
            }
            match w.response_to(&loud) {
                Ok(s) if s.tid == quiet.as_str() => {
                    Verdict::Fail("the Failure-Report: no request was answered".into())
                }
                other => expect_status(other, &loud, &[481]),
            }
        },
    );

    check(
        "Failure-Report: partial -> errors still answered",
        &["R4975-135", "R4975-141"],
        &mut |w| {
            let (tid, bytes) = build(
                &Req {
                    method: Method::Send,
                    to: vec![lost],
                    from: me,
                    failure: Some(FailureReport::Partial),
                    body: Some(b"p"),
                    report_status: false,
                },
                &mut rng,
            );
            if let Err(e) = w.send(&bytes, false) {
                return Verdict::Inconclusive(e);
            }
            expect_status(w.response_to(&tid), &tid, &[481])
        },
    );

    check("REPORT is never answered", &["R4975-125"], &mut |w| {
        let (report, a) = build(
            &Req {
                method: Method::Report,
                to: vec![lost],
                from: me,
                failure: None,
                body: None,
                report_status: true,
            },
            &mut rng,
        );
        let (loud, b) = build(
            &Req {
                method: Method::Send,
                to: vec![lost],
                from: me,
                failure: None,
                body: Some(b"after"),
                report_status: false,
            },
            &mut rng,
        );
        if let Err(e) = w.send(&[a, b].concat(), false) {
            return Verdict::Inconclusive(e);
        }
        match w.response_to(&loud) {
            Ok(s) if s.tid == report.as_str() => Verdict::Fail("the REPORT was answered".into()),
            other => expect_status(other, &loud, &[481]),
        }
    });

    check(
        "slow drip: a frame written one byte at a time",
        &["R4975-010", "R4975-079"],
        &mut |w| {
            let body = b"line one\r\n-------notours$\r\n-------\r\nlast line";
            let (tid, bytes) = build(
                &Req {
                    method: Method::Send,
                    to: vec![lost],
                    from: me,
                    failure: None,
                    body: Some(body),
                    report_status: false,
                },
                &mut rng,
            );
            if let Err(e) = w.send(&bytes, true) {
                return Verdict::Inconclusive(e);
            }
            expect_status(w.response_to(&tid), &tid, &[481])
        },
    );

    check(
        "two frames in one write are both answered",
        &["R4975-097"],
        &mut |w| {
            let (t1, a) = build(
                &Req {
                    method: Method::Send,
                    to: vec![lost],
                    from: me,
                    failure: None,
                    body: Some(b"one"),
                    report_status: false,
                },
                &mut rng,
            );
            let (t2, b) = build(
                &Req {
                    method: Method::Send,
                    to: vec![lost],
                    from: me,
                    failure: None,
                    body: Some(b"two"),
                    report_status: false,
                },
                &mut rng,
            );
            if let Err(e) = w.send(&[a, b].concat(), false) {
                return Verdict::Inconclusive(e);
            }
            match expect_status(w.response_to(&t1), &t1, &[481]) {
                Verdict::Pass => expect_status(w.response_to(&t2), &t2, &[481]),
                v => v,
            }
        },
    );

    Ok(results)
}
