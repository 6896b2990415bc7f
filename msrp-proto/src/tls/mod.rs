//! TLS for `msrps` (RFC 4975 §5.4, §14) through rustls' unbuffered API, sans-IO.
//!
//! * [`TlsConnection`] — one connection: `recv_buf`/`handle_read` in, plaintext to a sink,
//!   `write_plaintext` out, `poll_transmit`/`transmit_done`, `poll_event`. Two buffers,
//!   allocated once, no sockets, no clock.
//! * [`TlsClientConfig`] / [`TlsServerConfig`] — authentication **by name** (relays:
//!   [`TrustRoots`] + host of the URI dialled + an injected [`WallClock`]) or **by
//!   fingerprint** (peer-to-peer: a [`LocalCertificate`], usually self-signed, whose
//!   [`Fingerprint`] goes into our SDP, and the remote SDP's fingerprints). The server
//!   requests the client certificate in fingerprint mode (RFC 8122 §6.2), and — for a
//!   relay recognising peer relays — optionally in name mode
//!   ([`TlsServerConfig::with_peer_relays`], [`PeerIdentity`]).
//! * [`FingerprintStore`] — first-seen pinning per peer identity (RFC 6714 §7.7), with an
//!   in-memory store here and a file-backed one behind the `fingerprint-file-store`
//!   feature.
//!
//! Only TLS 1.2 and 1.3 are spoken (RFC 8996). There is no "accept any certificate" mode.
//!
//! rustls is confined to one private module, so the coming replacement of its unbuffered
//! API touches that module only. The crypto provider is ring, or aws-lc-rs with the
//! `aws-lc-rs` feature; fingerprints are computed with the same provider's digests.
//!
//! # Copies
//!
//! Receive path: rustls 0.23 decrypts each record in place in our buffer and then copies
//! its plaintext once into an owned buffer, which is lent to the sink — one copy per
//! record, none of ours. Send path: rustls encrypts into an owned record and copies it
//! into our outgoing buffer — one copy per record. (Plain TCP is where the stack can claim
//! zero allocations; TLS with rustls 0.23 cannot.)

mod cert;
mod config;
mod connection;
mod error;
#[cfg(feature = "fingerprint-file-store")]
mod file_store;
mod fingerprint;
mod rustls_seam;
mod store;

pub use cert::LocalCertificate;
pub use config::{FixedClock, TlsClientConfig, TlsServerConfig, WallClock};
pub use connection::{BufferSizes, TlsConnection, TlsEvent, TlsVersion};
pub use error::{Alert, ConfigError, TlsError};
#[cfg(feature = "fingerprint-file-store")]
pub use file_store::FileFingerprintStore;
pub use fingerprint::{Fingerprint, FingerprintError, FingerprintSet, HashAlgorithm};
pub use rustls_seam::{PeerIdentity, TrustRoots};
pub use store::{FingerprintStore, MemoryFingerprintStore, PinStatus, PinStoreError};
