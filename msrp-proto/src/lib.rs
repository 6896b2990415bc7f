//! # msrp-proto — the sans-IO core of the MSRP stack
//!
//! Deterministic, no I/O, no clock: bytes go in, events and bytes to send come out, and
//! time is an `Instant` the caller passes in. Sockets, timers and TLS records live in the
//! adapters (`msrp-tokio`, `msrp-smol`); this crate only decides.
//!
//! (The crate guide with the canonical loop is written as the engine lands.)
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(any(fuzzing, test))]
pub mod fuzzing;
pub mod rand;
#[cfg(feature = "tls")]
pub mod tls;
pub mod uri;
pub mod wire;
