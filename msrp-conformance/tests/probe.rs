//! The black-box probe against peers whose behaviour is known: a well-behaved fake
//! endpoint (every check passes), a broken one (the matching checks fail), and the real
//! Kamailio relay CI starts (its known deviation is pinned).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

use msrp_conformance::probe::{self, Verdict};
use msrp_proto::uri::UriRef;
use msrp_proto::wire::encode::write_response;
use msrp_proto::wire::headers::{FailureReport, StatusCode};
use msrp_proto::wire::{Decoder, Event, Method};

/// How the fake endpoint misbehaves.
#[derive(Clone, Copy, PartialEq)]
enum Flaw {
    None,
    AnswersFailureReportNo,
    AnswersReports,
}

/// Serves one connection: every session is unknown (481), unknown methods get 501, and
/// the response policy of RFC 4975 §7.2 is applied unless `flaw` says otherwise.
fn serve(mut sock: TcpStream, flaw: Flaw) {
    let me = UriRef::parse("msrp://127.0.0.1:1/fake;tcp").unwrap();
    let mut decoder = Decoder::default();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let (consumed, need_more) = match decoder.decode(&buf) {
            Ok((n, Event::Head(h))) => {
                let method = h.method();
                let silent = match method {
                    Some(Method::Report) => flaw != Flaw::AnswersReports,
                    _ => {
                        h.failure_report() == FailureReport::No
                            && flaw != Flaw::AnswersFailureReportNo
                    }
                };
                let status = match method {
                    Some(Method::Send | Method::Report) => StatusCode::SESSION_DOES_NOT_EXIST,
                    _ => StatusCode::METHOD_NOT_UNDERSTOOD,
                };
                // Answer as soon as the head is in: responses never wait for the body.
                let mut out = Vec::new();
                if !silent
                    && write_response(&mut out, &h, status, None, me)
                    && sock.write_all(&out).is_err()
                {
                    return;
                }
                (n, false)
            }
            Ok((n, Event::NeedMore)) => (n, true),
            Ok((n, _)) => (n, false),
            Err(_) => return,
        };
        buf.drain(..consumed);
        if need_more {
            match sock.read(&mut chunk) {
                Ok(0) | Err(_) => return,
                Ok(k) => buf.extend_from_slice(&chunk[..k]),
            }
        }
    }
}

fn fake_peer(flaw: Flaw) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    thread::spawn(move || {
        for sock in listener.incoming().flatten() {
            thread::spawn(move || serve(sock, flaw));
        }
    });
    format!("msrp://127.0.0.1:{port}/someone;tcp")
}

fn verdicts(target: &str) -> Vec<(&'static str, Verdict)> {
    probe::run(target, Duration::from_secs(3))
        .unwrap()
        .into_iter()
        .map(|r| (r.name, r.verdict))
        .collect()
}

#[test]
fn r4975_134_r4975_125_well_behaved_peer_passes_every_check() {
    for (name, v) in verdicts(&fake_peer(Flaw::None)) {
        assert_eq!(v, Verdict::Pass, "{name}");
    }
}

#[test]
fn a_peer_answering_failure_report_no_is_caught() {
    let v = verdicts(&fake_peer(Flaw::AnswersFailureReportNo));
    let bad: Vec<_> = v
        .iter()
        .filter(|(_, v)| matches!(v, Verdict::Fail(_)))
        .map(|(n, _)| *n)
        .collect();
    assert_eq!(bad, ["Failure-Report: no -> no response at all"]);
}

#[test]
fn a_peer_answering_reports_is_caught() {
    let v = verdicts(&fake_peer(Flaw::AnswersReports));
    let bad: Vec<_> = v
        .iter()
        .filter(|(_, v)| matches!(v, Verdict::Fail(_)))
        .map(|(n, _)| *n)
        .collect();
    assert_eq!(bad, ["REPORT is never answered"]);
}

#[test]
fn nobody_listening_is_inconclusive_not_pass() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    for (_, v) in verdicts(&format!("msrp://127.0.0.1:{port}/x;tcp")) {
        assert!(matches!(v, Verdict::Inconclusive(_)));
    }
}

/// Kamailio 5.6's msrp module answers a SEND whose Failure-Report is `no` with a 481
/// (R4975-134 says: no response at all). Everything else the probe checks, it does
/// right. Pinning this keeps the probe honest against a real implementation.
#[test]
fn kamailio_passes_all_but_its_known_failure_report_no_deviation() {
    let Ok(addr) = std::env::var("MSRP_KAMAILIO_TCP") else {
        eprintln!("MSRP_KAMAILIO_TCP not set: Kamailio probe skipped (CI sets it)");
        return;
    };
    for (name, v) in verdicts(&format!("msrp://{addr}/probe;tcp")) {
        if name.starts_with("Failure-Report: no") {
            assert!(
                matches!(v, Verdict::Fail(_)),
                "Kamailio fixed R4975-134? {v:?}"
            );
        } else {
            assert_eq!(v, Verdict::Pass, "{name}");
        }
    }
}
