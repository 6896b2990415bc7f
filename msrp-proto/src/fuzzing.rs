//! Fuzz bodies, kept in the crate so they compile with it (the `fuzz/` targets are one
//! line each). Built only for `cargo fuzz` (`cfg(fuzzing)`) and for this crate's unit
//! tests, which run every body over the RFC vectors: not part of the public API.

//!
//! The bodies take plain bytes and derive their structure from them with [`Input`]
//! (no `arbitrary` dependency: the crate stays dependency-free for fuzzing, and a body's
//! input layout is documented next to it).

mod engine;
mod relay;
#[cfg(feature = "tls")]
mod tls_engine;
mod uri;

pub use self::engine::engine;
pub use self::relay::relay;
#[cfg(feature = "tls")]
pub use self::tls_engine::tls_engine;
pub use self::uri::uri;

use crate::wire::{Decoder, Event, Flag, Limits, ParseError};

/// A cursor over fuzz input: each read takes bytes from the front and yields zeros once
/// the input is exhausted, so every byte string is a valid program.
#[derive(Debug, Clone)]
pub struct Input<'a> {
    data: &'a [u8],
}

impl<'a> Input<'a> {
    /// A cursor over `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Self { data }
    }

    /// Whether the input is used up.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The next byte (0 when exhausted).
    pub fn byte(&mut self) -> u8 {
        match self.data.split_first() {
            Some((&b, rest)) => {
                self.data = rest;
                b
            }
            None => 0,
        }
    }

    /// The next two bytes, little-endian.
    pub fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.byte(), self.byte()])
    }

    /// The next eight bytes, little-endian.
    pub fn u64(&mut self) -> u64 {
        (0..8).fold(0, |acc, i| acc | u64::from(self.byte()) << (8 * i))
    }

    /// Up to `n` bytes.
    pub fn bytes(&mut self, n: usize) -> &'a [u8] {
        let (head, rest) = self.data.split_at(n.min(self.data.len()));
        self.data = rest;
        head
    }

    /// A length-prefixed (one byte) slice.
    pub fn slice(&mut self) -> &'a [u8] {
        let n = usize::from(self.byte());
        self.bytes(n)
    }
}

/// The `framer` target: decodes the input once in one read and once in the read sizes
/// the input's prefix chooses, and checks that
///
/// * nothing panics and the decoder always makes progress;
/// * both runs give the same events at the same stream offsets (body slices joined);
/// * every body and end-line agrees with a split-free reference that simply looks for
///   the first `CRLF "-------" tid flag CRLF` after the header block (P-10), and every
///   complete message re-serializes byte-exactly from `Head::as_bytes`, the body and
///   the end-line.
///
/// Input layout: byte 0 selects the configuration (bit 0 strict, bit 1 small limits,
/// bit 2 resynchronise after errors, bit 3 a small `max_chunk_body`); byte 1 (mod 8) is the
/// number of read-size bytes that follow (each 1..=256 bytes, used in turn); the rest is
/// the stream.
pub fn framer(data: &[u8]) {
    let _ = check_framer(data);
}

/// [`framer`], returning the number of messages that ended (for the unit tests).
fn check_framer(data: &[u8]) -> usize {
    let [config, n, rest @ ..] = data else {
        return 0;
    };
    let n = usize::from(*n % 8).min(rest.len());
    let (sizes, payload) = rest.split_at(n);
    let sizes: Vec<usize> = sizes.iter().map(|&b| usize::from(b) + 1).collect();
    let mut limits = if config & 1 != 0 {
        Limits::strict()
    } else {
        Limits::default()
    };
    if config & 2 != 0 {
        limits.max_start_line = 64;
        limits.max_header_line = 96;
        limits.max_headers = 5;
        limits.max_header_bytes = 300;
        limits.max_path_uris = 2;
        limits.max_ident_len = 8;
    }
    if config & 8 != 0 {
        limits.max_chunk_body = Some(u64::from(config >> 4));
    }
    let skip = config & 4 != 0;

    let whole = run(limits, skip, payload, &[]);
    if !sizes.is_empty() {
        let split = run(limits, skip, payload, &sizes);
        assert_eq!(whole, split, "events depend on the read sizes {sizes:?}");
    }
    check_reference(&whole, payload)
}

/// One recorded step, with stream offsets.
#[derive(Debug, PartialEq, Eq)]
enum Step {
    /// A head starting at `at`; the decoder consumed `len` bytes for it.
    Head {
        at: usize,
        len: usize,
        raw: Vec<u8>,
        tid: Vec<u8>,
        has_body: bool,
    },
    /// Joined body bytes starting at `at`.
    Body {
        at: usize,
        bytes: Vec<u8>,
    },
    /// An end-line; `after` is the offset just past it.
    End {
        after: usize,
        flag: Flag,
    },
    Err(ParseError),
    Resync {
        after: usize,
        flag: Flag,
    },
    Closed,
    Finish(Result<(), ParseError>),
}

/// Feeds `payload` in reads of `sizes` (in turn; the whole payload if empty).
fn run(limits: Limits, skip: bool, payload: &[u8], sizes: &[usize]) -> Vec<Step> {
    let mut d = Decoder::new(limits);
    let mut pending: Vec<u8> = Vec::new();
    let mut base = 0; // stream offset of pending[0]
    let mut fed = 0;
    let mut steps = Vec::new();
    let mut skipping = false;
    let mut read = 0;
    loop {
        let size = if sizes.is_empty() {
            payload.len()
        } else {
            sizes[read % sizes.len()]
        };
        read += 1;
        let end = (fed + size).min(payload.len());
        pending.extend_from_slice(&payload[fed..end]);
        fed = end;
        let mut idle = 0;
        loop {
            let (consumed, more) = match d.decode(&pending) {
                Ok((consumed, event)) => {
                    assert!(consumed <= pending.len(), "consumed beyond the input");
                    let more = !(matches!(event, Event::NeedMore) && consumed == 0);
                    match event {
                        Event::Head(h) => {
                            assert!(consumed > 0 && pending.starts_with(h.as_bytes()));
                            steps.push(Step::Head {
                                at: base,
                                len: consumed,
                                raw: h.as_bytes().to_vec(),
                                tid: h.transaction_id().as_bytes().to_vec(),
                                has_body: h.has_body(),
                            });
                        }
                        Event::Body(b) => {
                            assert!(!b.is_empty() && b.len() == consumed);
                            assert!(core::ptr::eq(b.as_ptr(), pending.as_ptr()), "body copied");
                            match steps.last_mut() {
                                Some(Step::Body { bytes, .. }) => bytes.extend_from_slice(b),
                                _ => steps.push(Step::Body {
                                    at: base,
                                    bytes: b.to_vec(),
                                }),
                            }
                        }
                        Event::End(flag) => {
                            let after = base + consumed;
                            steps.push(if skipping {
                                Step::Resync { after, flag }
                            } else {
                                Step::End { after, flag }
                            });
                            skipping = false;
                        }
                        Event::NeedMore => {}
                    }
                    (consumed, more)
                }
                Err(e) => {
                    steps.push(Step::Err(e));
                    if skip && d.skip_message() {
                        skipping = true;
                        (0, true)
                    } else {
                        steps.push(Step::Closed);
                        return steps;
                    }
                }
            };
            if !more {
                break;
            }
            idle = if consumed == 0 { idle + 1 } else { 0 };
            assert!(idle < 4, "no progress");
            pending.drain(..consumed);
            base += consumed;
        }
        if fed == payload.len() {
            break;
        }
    }
    steps.push(Step::Finish(d.finish(&pending)));
    steps
}

/// The first `CRLF "-------" tid flag CRLF` at or after `from`: (its offset, the flag).
fn reference_end_line(payload: &[u8], from: usize, tid: &[u8]) -> Option<(usize, Flag)> {
    let n = 9 + tid.len();
    (from..payload.len()).find_map(|i| {
        let line = payload.get(i..i + n + 3)?;
        let flag = match line[n] {
            b'$' => Flag::End,
            b'+' => Flag::More,
            b'#' => Flag::Abort,
            _ => return None,
        };
        (line.starts_with(b"\r\n-------") && &line[9..n] == tid && line.ends_with(b"\r\n"))
            .then_some((i, flag))
    })
}

fn end_line(tid: &[u8], flag: Flag) -> Vec<u8> {
    [b"-------", tid, &[flag.as_byte()], b"\r\n"].concat()
}

/// Checks a one-read transcript against the split-free reference; returns the number of
/// messages that ended.
fn check_reference(steps: &[Step], payload: &[u8]) -> usize {
    let mut ended = 0;
    let mut i = 0;
    while i < steps.len() {
        let Step::Head {
            at,
            len,
            raw,
            tid,
            has_body,
        } = &steps[i]
        else {
            i += 1;
            continue;
        };
        i += 1;
        let (at, len) = (*at, *len);
        assert!(payload[at..].starts_with(raw));
        if !has_body {
            // Bodiless: the head's bytes are the raw head plus the end-line (R4975-077).
            let Some(Step::End { after, flag }) = steps.get(i) else {
                panic!("a bodiless head is always followed by its end");
            };
            assert_eq!(*after, at + len);
            assert_eq!(payload[at + raw.len()..at + len], end_line(tid, *flag));
            ended += 1;
            i += 1;
            continue;
        }
        assert_eq!(raw.len(), len, "a head with a body is the raw head");
        let body_start = at + len;
        let mut body: &[u8] = &[];
        if let Some(Step::Body { at, bytes }) = steps.get(i) {
            assert_eq!(*at, body_start);
            body = bytes;
            i += 1;
        }
        match (steps.get(i), reference_end_line(payload, body_start, tid)) {
            (Some(Step::End { after, flag }), Some((e, rflag))) => {
                assert_eq!(
                    body,
                    &payload[body_start..e],
                    "body differs from the reference"
                );
                assert_eq!(*flag, rflag);
                assert_eq!(*after, e + 9 + tid.len() + 3);
                // Raw re-serialization of the whole message.
                let mut out = raw.clone();
                out.extend_from_slice(body);
                out.extend_from_slice(b"\r\n");
                out.extend_from_slice(&end_line(tid, *flag));
                assert_eq!(out, payload[at..*after]);
                ended += 1;
                i += 1;
            }
            (Some(Step::End { .. }), None) => panic!("end-line found where there is none"),
            (Some(Step::Err(ParseError::Limit(_))), _) => {
                // max_chunk_body: what was delivered is the start of the body.
                assert!(payload[body_start..].starts_with(body));
            }
            (Some(Step::Finish(Err(ParseError::Truncated))), found) => {
                assert!(found.is_none(), "the decoder missed an end-line");
                assert!(payload[body_start..].starts_with(body));
            }
            (other, found) => panic!("unexpected {other:?} (reference {found:?})"),
        }
    }
    ended
}

#[cfg(test)]
mod tests {
    use super::*;

    const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/vectors");

    fn vectors() -> Vec<Vec<u8>> {
        let mut v: Vec<_> = std::fs::read_dir(VECTORS)
            .expect("vectors")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "msrp"))
            .collect();
        v.sort();
        v.iter().map(|p| std::fs::read(p).expect("read")).collect()
    }

    /// Every committed seed, including each input a fuzzer once failed on, replays
    /// cleanly: the regression guard for fuzz findings runs with the ordinary tests.
    #[test]
    fn every_fuzz_seed_replays() {
        let seeds = concat!(env!("CARGO_MANIFEST_DIR"), "/../fuzz/seeds");
        type Body = fn(&[u8]);
        let mut bodies: Vec<(&str, Body)> = vec![
            ("framer", framer),
            ("uri", uri),
            ("engine", engine),
            ("relay", relay),
        ];
        #[cfg(feature = "tls")]
        bodies.push(("tls_engine", tls_engine));
        let mut replayed = 0;
        for (target, body) in bodies {
            for e in std::fs::read_dir(format!("{seeds}/{target}")).expect("seed directory") {
                let path = e.expect("entry").path();
                body(&std::fs::read(&path).expect("read seed"));
                replayed += 1;
            }
        }
        assert!(replayed >= 20, "only {replayed} seeds");
    }

    #[test]
    fn framer_body_accepts_every_vector_in_every_configuration() {
        let vectors = vectors();
        assert!(vectors.len() >= 70);
        let stream: Vec<u8> = vectors.concat();
        for config in [0u8, 1, 2, 4, 5, 6, 7, 8 | (3 << 4), 12 | (15 << 4)] {
            for sizes in [&[][..], &[0], &[6, 0, 200], &[255, 16]] {
                let mut ended = 0;
                for v in &vectors {
                    let data = [&[config, sizes.len() as u8][..], sizes, v].concat();
                    ended += check_framer(&data);
                }
                if config == 0 {
                    // Every vector but the as-printed one ends (P-10, E-9).
                    assert_eq!(ended, vectors.len() - 1, "config {config}");
                }
                // All of them back to back on one connection.
                let data = [&[config, sizes.len() as u8][..], sizes, &stream].concat();
                let n = check_framer(&data);
                if config == 0 {
                    assert!(n > 1, "the stream decodes");
                }
            }
        }
    }

    #[test]
    fn framer_body_survives_near_miss_end_lines_and_garbage() {
        let body = b"MSRP abcd SEND\r\nTo-Path: msrp://a.example.com:1/x;tcp\r\n\
From-Path: msrp://b.example.com:2/y;tcp\r\nContent-Type: a/b\r\n\r\n\
x\r\n-------abcd\r\n-------abce$\r\n-------abcd$x\r\n-------abcd$\r\n";
        for config in 0..16u8 {
            for size in 0..=255u8 {
                let data = [&[config, 1, size][..], body].concat();
                let ended = check_framer(&data);
                if config & 10 == 0 {
                    assert_eq!(ended, 1);
                }
            }
        }
        for garbage in [
            &b""[..],
            b"\x00",
            b"\x00\x01",
            b"\r\n\r\n",
            b"MSRP",
            b"\xff\xfe\xfd",
        ] {
            for config in 0..16u8 {
                framer(&[&[config, 0][..], garbage].concat());
            }
        }
    }
}
