//! # msrp-proto — the sans-IO core of the MSRP stack
//!
//! Deterministic, no I/O, no clock: bytes go in, events and bytes to send come out, and
//! time is an `Instant` the caller passes in. Sockets, timers and TLS records live in the
//! adapters (`msrp-tokio`, `msrp-smol`); this crate only decides.
//!
//! ## The data path
//!
//! ```text
//! socket bytes ─► wire::Decoder ─► wire::Event { Head, Body(&[u8]), End(Flag) } ─► engine ─► application
//! application ─► engine ─► wire::encode (into a caller's BufMut) ─► socket
//! ```
//!
//! * [`wire`] — the streaming [`Decoder`](wire::Decoder) (resumable header parse, end-line
//!   scan with a packed-pair SIMD finder, body delivered as borrowed slices), the typed
//!   [`headers`](wire::headers), identifiers and the allocation-free [`encode`](wire::encode)r.
//! * [`uri`] — `msrp:`/`msrps:` URIs, RFC 4975 §6.1 comparison, session-id generation.
//! * [`rand`] — the injected randomness every identifier comes from.
//!
//! ## A round trip
//!
//! ```
//! use msrp_proto::uri::UriRef;
//! use msrp_proto::wire::{encode::write_response, headers::StatusCode, Decoder, Event};
//!
//! let send = b"MSRP d93kswow SEND\r\n\
//! To-Path: msrp://bob.example.com:8888/9di4eae923wzd;tcp\r\n\
//! From-Path: msrp://alicepc.example.com:7777/iau39soe2843z;tcp\r\n\
//! Message-ID: 12339sdqwer\r\n\
//! Byte-Range: 1-14/14\r\n\
//! Content-Type: text/plain\r\n\
//! \r\n\
//! Hi, I'm Alice!\r\n\
//! -------d93kswow$\r\n";
//!
//! let mut decoder = Decoder::default();
//! let (_, event) = decoder.decode(send).unwrap();
//! let Event::Head(head) = event else { panic!("a complete head") };
//! let bob = UriRef::parse("msrp://bob.example.com:8888/9di4eae923wzd;tcp").unwrap();
//! let mut out = Vec::new();
//! assert!(write_response(&mut out, &head, StatusCode::OK, None, bob));
//! assert_eq!(
//!     out,
//!     b"MSRP d93kswow 200 OK\r\n\
//! To-Path: msrp://alicepc.example.com:7777/iau39soe2843z;tcp\r\n\
//! From-Path: msrp://bob.example.com:8888/9di4eae923wzd;tcp\r\n\
//! -------d93kswow$\r\n"
//! );
//! ```
//!
//! ## Rules this crate keeps
//!
//! * `#![forbid(unsafe_code)]`; no sockets, threads, files or clocks (clippy's
//!   `disallowed_methods` bans `Instant::now`).
//! * Bad input is a typed error or an MSRP status, never a panic, never unbounded memory:
//!   every limit ([`wire::Limits`]) is checked before anything is buffered.
//! * The hot path (decode, encode) does not allocate.
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod cpim;
pub mod digest;
pub mod engine;
#[cfg(any(fuzzing, test))]
#[doc(hidden)]
pub mod fuzzing;
pub mod rand;
pub mod relay;
#[cfg(all(feature = "tls", not(any(feature = "ring", feature = "aws-lc-rs"))))]
compile_error!("the `tls` feature needs a crypto provider: enable `ring` (default) or `aws-lc-rs`");
#[cfg(feature = "tls")]
pub mod tls;
pub mod uri;
pub mod wire;
