//! Shared test driver: feeds a [`Decoder`] exactly as a socket would (arbitrary pieces,
//! unconsumed bytes kept at the front, new bytes appended) and records an owned, split-
//! independent transcript of what it saw.
//!
//! Body events are coalesced (their boundaries depend on the read sizes, their bytes must
//! not), `NeedMore` is not recorded, and the transcript ends with what `finish` said.

#![allow(dead_code, unreachable_pub)] // each test binary uses a different subset

use std::path::PathBuf;

use msrp_proto::wire::headers::{ByteRange, FailureReport, SuccessReport};
use msrp_proto::wire::{Decoder, Event, Flag, Head, Limits, ParseError};

/// The vectors directory, relative to this crate (never an absolute path).
pub const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/vectors");

/// Reads one vector file.
pub fn vector(name: &str) -> Vec<u8> {
    let path = PathBuf::from(VECTORS).join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// Every `*.msrp` vector, sorted by name.
pub fn msrp_vectors() -> Vec<(String, Vec<u8>)> {
    let mut names: Vec<String> = std::fs::read_dir(VECTORS)
        .expect("the shared vectors directory")
        .map(|e| {
            e.expect("dir entry")
                .file_name()
                .into_string()
                .expect("UTF-8 name")
        })
        .filter(|n| n.ends_with(".msrp"))
        .collect();
    names.sort();
    assert!(
        names.len() >= 70,
        "expected the full vector set, found {}",
        names.len()
    );
    names
        .into_iter()
        .map(|n| {
            let b = vector(&n);
            (n, b)
        })
        .collect()
}

/// An owned summary of a [`Head`]: everything a caller can read from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeadSummary {
    pub raw: Vec<u8>,
    pub tid: String,
    pub method: Option<String>,
    pub status: Option<u16>,
    pub comment: Option<String>,
    pub has_body: bool,
    pub message_id: Option<String>,
    pub byte_range: Option<ByteRange>,
    pub success_report: SuccessReport,
    pub failure_report: FailureReport,
    pub fields: Vec<(String, Vec<u8>)>,
    pub to_path: Vec<String>,
    pub from_path: Vec<String>,
}

impl HeadSummary {
    pub fn of(h: &Head<'_>) -> Self {
        let uris = |p: Option<msrp_proto::uri::PathIter<'_>>| -> Vec<String> {
            p.into_iter()
                .flatten()
                .map(|u| {
                    u.expect("paths are validated by the decoder")
                        .as_str()
                        .to_owned()
                })
                .collect()
        };
        Self {
            raw: h.as_bytes().to_vec(),
            tid: h.transaction_id().to_owned(),
            method: h.method().map(|m| m.as_str().to_owned()),
            status: h.status().map(|s| s.0),
            comment: h.comment().map(str::to_owned),
            has_body: h.has_body(),
            message_id: h.message_id().map(str::to_owned),
            byte_range: h.byte_range(),
            success_report: h.success_report(),
            failure_report: h.failure_report(),
            fields: h
                .fields()
                .map(|f| (f.name.to_owned(), f.value.to_vec()))
                .collect(),
            to_path: uris(h.to_path()),
            from_path: uris(h.from_path()),
        }
    }
}

/// One recorded step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ev {
    Head(Box<HeadSummary>),
    /// Adjacent body slices, joined.
    Body(Vec<u8>),
    End(Flag),
    Err(ParseError),
    /// `skip_message` resynchronised and the bad message's end-line was found.
    Resync(Flag),
    /// `skip_message` refused: the stream cannot be resynchronised.
    Closed,
    /// What `finish` returned at end of input.
    Finish(Result<(), ParseError>),
}

/// How the driver reacts to errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnError {
    Stop,
    Skip,
}

/// Feeds `pieces` one after the other and records the transcript.
pub fn drive<'p>(
    limits: Limits,
    on_error: OnError,
    pieces: impl IntoIterator<Item = &'p [u8]>,
) -> Vec<Ev> {
    let mut d = Decoder::new(limits);
    let mut pending: Vec<u8> = Vec::new();
    let mut out: Vec<Ev> = Vec::new();
    let mut skipping = false;
    let mut dead = false;
    let push_body = |out: &mut Vec<Ev>, b: &[u8]| {
        if let Some(Ev::Body(prev)) = out.last_mut() {
            prev.extend_from_slice(b);
        } else {
            out.push(Ev::Body(b.to_vec()));
        }
    };
    'feed: for piece in pieces {
        pending.extend_from_slice(piece);
        let mut idle_steps = 0;
        loop {
            let (consumed, stop) = match d.decode(&pending) {
                Ok((consumed, ev)) => {
                    let stop = matches!(ev, Event::NeedMore) && consumed == 0;
                    match ev {
                        Event::Head(h) => out.push(Ev::Head(Box::new(HeadSummary::of(&h)))),
                        Event::Body(b) => {
                            assert!(!b.is_empty(), "empty Body event");
                            push_body(&mut out, b);
                        }
                        Event::End(f) if skipping => {
                            skipping = false;
                            out.push(Ev::Resync(f));
                        }
                        Event::End(f) => out.push(Ev::End(f)),
                        Event::NeedMore => {}
                        other => panic!("unexpected event {other:?}"),
                    }
                    (consumed, stop)
                }
                Err(e) => {
                    out.push(Ev::Err(e));
                    if on_error == OnError::Skip && d.skip_message() {
                        skipping = true;
                        (0, false)
                    } else {
                        out.push(Ev::Closed);
                        dead = true;
                        break 'feed;
                    }
                }
            };
            if stop {
                break;
            }
            assert!(consumed <= pending.len(), "consumed more than given");
            if consumed == 0 {
                idle_steps += 1;
                assert!(idle_steps < 4, "decoder makes no progress: {out:?}");
            } else {
                idle_steps = 0;
            }
            pending.drain(..consumed);
        }
    }
    if !dead {
        out.push(Ev::Finish(d.finish(&pending)));
    }
    out
}

/// The whole input in one read.
pub fn drive_one(limits: Limits, on_error: OnError, input: &[u8]) -> Vec<Ev> {
    drive(limits, on_error, [input])
}

/// The input split at the given ascending positions.
pub fn pieces_at<'a>(input: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut out = Vec::with_capacity(cuts.len() + 1);
    let mut from = 0;
    for &c in cuts {
        let c = c.clamp(from, input.len());
        out.push(&input[from..c]);
        from = c;
    }
    out.push(&input[from..]);
    out
}

/// The first error in a transcript (including what `finish` reported).
pub fn first_error(t: &[Ev]) -> Option<ParseError> {
    t.iter().find_map(|e| match e {
        Ev::Err(e) | Ev::Finish(Err(e)) => Some(*e),
        _ => None,
    })
}

/// The joined body bytes of a transcript.
pub fn body_of(t: &[Ev]) -> Vec<u8> {
    t.iter()
        .filter_map(|e| match e {
            Ev::Body(b) => Some(b.as_slice()),
            _ => None,
        })
        .flatten()
        .copied()
        .collect()
}
