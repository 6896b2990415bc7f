//! Per-connection TLS settings: who we are, how the peer is authenticated, what to pin.
//!
//! Two modes, chosen by the SDP layer (P-27):
//!
//! * **By name** (relays, and any `msrps` peer with a CA-issued certificate): the server
//!   certificate must chain to [`TrustRoots`] at the injected [`WallClock`] time and name
//!   the host of the URI being dialled (R4975-026, R4976-066). The client presents no
//!   certificate unless one is configured (R4976-067, P-36).
//! * **By fingerprint** (peer-to-peer, RFC 4975 §14.4, RFC 8122): each side presents a
//!   self-signed certificate and the other checks it against the `a=fingerprint` values
//!   from the remote SDP (R4975-027, R4975-234). The server requests the client
//!   certificate and checks it the same way (R8122-007). Dates and names are not checked:
//!   the fingerprint is the identity.

use core::fmt;
use core::time::Duration;
use std::sync::Arc;

use super::{
    ConfigError, Fingerprint, FingerprintSet, FingerprintStore, LocalCertificate, TrustRoots,
};

/// Wall-clock time for certificate validity, injected by the caller (msrp-proto never reads
/// the clock).
///
/// Adapters implement it with `SystemTime::now().duration_since(UNIX_EPOCH).ok()`; any
/// rustls `TimeProvider` is accepted as well (see the blanket implementation).
pub trait WallClock: Send + Sync + fmt::Debug {
    /// Time since the Unix epoch, or `None` if unknown (certificate checks then fail with
    /// [`TlsError::NoWallClock`](super::TlsError::NoWallClock)).
    fn unix_time(&self) -> Option<Duration>;
}

/// A clock stopped at one instant: for tests and simulations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixedClock(pub Duration);

impl WallClock for FixedClock {
    fn unix_time(&self) -> Option<Duration> {
        Some(self.0)
    }
}

/// How the peer's certificate is checked.
#[derive(Debug, Clone)]
pub(crate) enum PeerCheck {
    /// Client side: chain to roots and match the host. Server side: request a client
    /// certificate (optional) and chain it to roots; its names are checked later by the
    /// caller through [`PeerIdentity`](super::PeerIdentity).
    Name {
        roots: TrustRoots,
        clock: Arc<dyn WallClock>,
    },
    /// End-entity certificate must match a fingerprint from the remote SDP.
    Fingerprint(FingerprintSet),
    /// No client certificate is requested (server side, name mode).
    None,
}

/// Remembering the peer's fingerprint per identity (R6714-028).
#[derive(Debug, Clone)]
pub(crate) struct Pinning {
    pub(crate) identity: String,
    pub(crate) store: Arc<dyn FingerprintStore>,
}

/// Settings for the TLS client — the MSRP active side, whoever offered (R6135-012).
#[derive(Debug, Clone)]
pub struct TlsClientConfig {
    pub(crate) host: String,
    pub(crate) local: Option<LocalCertificate>,
    pub(crate) peer: PeerCheck,
    pub(crate) pinning: Option<Pinning>,
}

impl TlsClientConfig {
    /// Name-based authentication of the server (relays; R4975-026, R4976-066).
    ///
    /// `host` is the host of the URI being dialled: a DNS name, an IPv4 address or an IPv6
    /// address (with or without brackets). It is also sent as SNI when it is a DNS name
    /// (R4975-231). No client certificate is presented (R4976-067).
    ///
    /// # Errors
    /// [`ConfigError::InvalidHost`] if `host` is neither a DNS name nor an IP address.
    pub fn by_name(
        host: &str,
        roots: TrustRoots,
        clock: Arc<dyn WallClock>,
    ) -> Result<Self, ConfigError> {
        let host = normalise_host(host)?;
        Ok(Self {
            host,
            local: None,
            peer: PeerCheck::Name { roots, clock },
            pinning: None,
        })
    }

    /// Fingerprint-based authentication (peer-to-peer; R4975-027, R4975-234, R8122-006).
    ///
    /// `host` is the host of the peer's MSRP URI (used for SNI only); `local` is presented
    /// to the server, which must check it against our SDP fingerprint (R8122-007);
    /// `remote` are the `a=fingerprint` values of the remote SDP.
    ///
    /// # Errors
    /// [`ConfigError::NoUsableFingerprint`] if `remote` is empty;
    /// [`ConfigError::InvalidHost`] for a host that is not a DNS name or IP address.
    pub fn by_fingerprint(
        host: &str,
        local: LocalCertificate,
        remote: &[Fingerprint],
    ) -> Result<Self, ConfigError> {
        let set = FingerprintSet::new(remote).map_err(|_| ConfigError::NoUsableFingerprint)?;
        Ok(Self {
            host: normalise_host(host)?,
            local: Some(local),
            peer: PeerCheck::Fingerprint(set),
            pinning: None,
        })
    }

    /// Presents `certificate` when the server asks (relay-to-relay mutual TLS, R4976-065).
    #[must_use]
    pub fn with_client_certificate(mut self, certificate: LocalCertificate) -> Self {
        self.local = Some(certificate);
        self
    }

    /// Remembers the server's fingerprint under `identity` in `store` and reports changes
    /// as [`TlsEvent::FingerprintChanged`](super::TlsEvent::FingerprintChanged) (R6714-028).
    #[must_use]
    pub fn with_pinning(mut self, identity: &str, store: Arc<dyn FingerprintStore>) -> Self {
        self.pinning = Some(Pinning {
            identity: identity.to_owned(),
            store,
        });
        self
    }
}

/// Settings for the TLS server — the MSRP passive side.
#[derive(Debug, Clone)]
pub struct TlsServerConfig {
    pub(crate) local: LocalCertificate,
    pub(crate) peer: PeerCheck,
    pub(crate) pinning: Option<Pinning>,
}

impl TlsServerConfig {
    /// A server authenticated by name (a relay): presents `local` and does not request a
    /// client certificate (R4976-067, P-36).
    #[must_use]
    pub fn by_name(local: LocalCertificate) -> Self {
        Self {
            local,
            peer: PeerCheck::None,
            pinning: None,
        }
    }

    /// Fingerprint-based authentication in both directions (R8122-007): presents `local`
    /// (self-signed, its fingerprint in our SDP), requires a client certificate and checks
    /// it against `remote`, the fingerprints of the remote SDP.
    ///
    /// # Errors
    /// [`ConfigError::NoUsableFingerprint`] if `remote` is empty.
    pub fn by_fingerprint(
        local: LocalCertificate,
        remote: &[Fingerprint],
    ) -> Result<Self, ConfigError> {
        let set = FingerprintSet::new(remote).map_err(|_| ConfigError::NoUsableFingerprint)?;
        Ok(Self {
            local,
            peer: PeerCheck::Fingerprint(set),
            pinning: None,
        })
    }

    /// Also requests a client certificate — without requiring one — and accepts it only
    /// if it chains to `roots` at `clock`'s time: how a relay recognises peer relays on
    /// its TLS listener (RFC 4976 §6.1, R4976-022/-065). A client that presents none is an
    /// ordinary MSRP client (Digest follows); one that presents an untrusted certificate
    /// fails the handshake. [`TlsConnection::peer_identity`](super::TlsConnection::peer_identity)
    /// then says which names the peer may use.
    ///
    /// Only for name-based servers: a fingerprint server already requires its client's
    /// certificate, and this replaces that check.
    #[must_use]
    pub fn with_peer_relays(mut self, roots: TrustRoots, clock: Arc<dyn WallClock>) -> Self {
        self.peer = PeerCheck::Name { roots, clock };
        self
    }

    /// Remembers the client's fingerprint under `identity` (R6714-028).
    #[must_use]
    pub fn with_pinning(mut self, identity: &str, store: Arc<dyn FingerprintStore>) -> Self {
        self.pinning = Some(Pinning {
            identity: identity.to_owned(),
            store,
        });
        self
    }
}

/// Strips IPv6 brackets (`[2001:db8::1]` as written in URIs) and checks the host is
/// non-empty; the seam parses it into a DNS name or IP address.
fn normalise_host(host: &str) -> Result<String, ConfigError> {
    let h = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    if h.is_empty() || h.contains(|c: char| c.is_ascii_whitespace() || c == '/') {
        return Err(ConfigError::InvalidHost(host.to_owned()));
    }
    Ok(h.to_owned())
}
