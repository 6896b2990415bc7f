//! Relay configuration: every limit in one place, each with a documented default.

use core::fmt;
use core::time::Duration;

use crate::uri::{Uri, UriError};
use crate::wire::Limits;

/// Configuration of a [`Relay`](super::Relay). Build with [`RelayConfig::new`] and
/// change fields; share it with `Arc`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RelayConfig {
    /// The relay's own URI without a session-id, e.g. `msrps://relay.example.com:2855;tcp`.
    /// AUTH requests are addressed to it (a To-Path URI with the same scheme and host,
    /// and the same port or none, matches); issued URIs are minted under it
    /// (`scheme://host:port/<session-id>;transport`). Its host should be an FQDN
    /// (R4976-008) and its port explicit.
    pub authority: Uri,
    /// Digest realm (the protection space, R4976-057). Default: the authority's host.
    pub realm: String,
    /// Smallest `Expires` accepted in an AUTH; a smaller request gets 423 with
    /// `Min-Expires` (R4976-027). Default 60 s.
    pub min_expires: u32,
    /// Largest `Expires` accepted; a larger request gets 423 with `Max-Expires`.
    /// Default 3600 s.
    pub max_expires: u32,
    /// Lifetime granted when the AUTH carries no `Expires` (clamped into
    /// `min_expires..=max_expires`). Default 1800 s.
    pub default_expires: u32,
    /// How long a nonce from a 401 stays usable; later use gets 401 `stale=TRUE`.
    /// Default 300 s.
    pub nonce_lifetime: Duration,
    /// Most outstanding nonces remembered (the oldest is forgotten first). Default 4096.
    pub max_nonces: usize,
    /// Most issued URIs alive at once; an AUTH beyond it gets 403. Default 65536.
    pub max_issued: usize,
    /// Failed AUTHs (401 to a request with credentials, not stale) after which a client
    /// connection is closed (R4976-032). Never applied to AUTHs forwarded by another
    /// relay. Default 3.
    pub max_auth_failures: u8,
    /// A new incoming connection must send a request that succeeds within this time, or
    /// it is closed (R4976-023). Default 30 s.
    pub probation: Duration,
    /// How long after the last byte of a forwarded SEND chunk with `Failure-Report: yes`
    /// the relay waits for the next hop's response before sending REPORT 408 to the
    /// original sender (R4976-036). Default 30 s.
    pub transaction_timeout: Duration,
    /// Most body bytes in one forwarded SEND chunk: larger chunks are re-chunked
    /// (R4976-038/-039). Default 64 KiB; minimum 1.
    pub max_chunk: usize,
    /// Size of each connection's input buffer (what `recv_buf` exposes). Default
    /// 64 KiB; at least `wire.max_header_bytes + 1024` is used.
    pub recv_buffer: usize,
    /// Output high-water mark per connection: when this many bytes wait to be written
    /// toward a next hop (including a connection still being dialled), the relay stops
    /// reading from connections whose traffic goes there (back-pressure). Per-connection
    /// output is bounded by this plus one header block and one `max_chunk` piece.
    /// Default 256 KiB.
    pub high_water: usize,
    /// Most forwarded transactions awaiting a response per next-hop connection; when
    /// reached, sources feeding it are paused. Default 1024.
    pub max_outstanding: usize,
    /// Largest body of a non-SEND request (RFC 4975 §7.1 limits them to 10240 octets,
    /// they are never chunked); larger ones are dropped. Default 10240.
    pub max_non_send_body: usize,
    /// Refuse requests with methods other than SEND, REPORT, AUTH and NICKNAME with 501
    /// instead of forwarding them (R4976-041 MAY). Default `false`.
    pub block_unknown_methods: bool,
    /// Limits of the wire decoder.
    pub wire: Limits,
    /// Seed for nonces, issued URIs and transaction ids. `None` (default) uses the
    /// operating system's CSPRNG; `Some` makes simulations reproducible (never use it
    /// in production: issued URIs are capabilities, R4976-029).
    pub rng_seed: Option<u64>,
}

impl RelayConfig {
    /// A configuration for `authority` with the documented defaults.
    #[must_use]
    pub fn new(authority: Uri) -> Self {
        Self {
            realm: authority.as_ref().host_str().to_owned(),
            authority,
            min_expires: 60,
            max_expires: 3600,
            default_expires: 1800,
            nonce_lifetime: Duration::from_secs(300),
            max_nonces: 4096,
            max_issued: 65536,
            max_auth_failures: 3,
            probation: Duration::from_secs(30),
            transaction_timeout: Duration::from_secs(30),
            max_chunk: 64 * 1024,
            recv_buffer: 64 * 1024,
            high_water: 256 * 1024,
            max_outstanding: 1024,
            max_non_send_body: 10240,
            block_unknown_methods: false,
            wire: Limits::default(),
            rng_seed: None,
        }
    }

    pub(crate) fn check(&self) -> Result<(), ConfigError> {
        let a = self.authority.as_ref();
        match a.port() {
            None | Some(0) => return Err(ConfigError::Authority(UriError::MissingPort)),
            Some(_) => {}
        }
        if a.session_id().is_some() {
            return Err(ConfigError::AuthorityHasSessionId);
        }
        if self.min_expires > self.max_expires {
            return Err(ConfigError::ExpiresBounds);
        }
        if self.realm.is_empty() || self.realm.contains(['"', '\\']) {
            return Err(ConfigError::Realm);
        }
        Ok(())
    }
}

/// Why a [`RelayConfig`] was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// The authority URI cannot mint dialable URIs (it needs an explicit port).
    Authority(UriError),
    /// The authority URI must not carry a session-id.
    AuthorityHasSessionId,
    /// `min_expires` > `max_expires`.
    ExpiresBounds,
    /// The realm is empty or contains a quote or backslash.
    Realm,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Authority(e) => write!(f, "relay authority URI: {e}"),
            Self::AuthorityHasSessionId => f.write_str("relay authority URI has a session-id"),
            Self::ExpiresBounds => f.write_str("min_expires is larger than max_expires"),
            Self::Realm => f.write_str("realm is empty or needs escaping"),
        }
    }
}

impl std::error::Error for ConfigError {}
