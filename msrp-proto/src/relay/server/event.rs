//! What the relay tells its adapter.

use crate::engine::ConnectionId;
use crate::uri::Uri;
use crate::wire::ParseError;

/// Something the adapter must do or may log. Drain with
/// [`Relay::poll_event`](super::Relay::poll_event) after every mutation.
///
/// Events carry ids, URIs and reasons; never credentials, nonces' secrets or bodies.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// Open a transport connection toward `target` (the next hop's URI; resolve it per
    /// RFC 4976 §8: explicit port → A/AAAA, no port → SRV `_msrps._tcp`, else 2855) and
    /// report the outcome with [`Relay::handle_connected`](super::Relay::handle_connected)
    /// or [`Relay::handle_connect_failed`](super::Relay::handle_connect_failed). Frames
    /// for `conn` are queued (bounded by `high_water`) meanwhile.
    Connect {
        /// The connection id the relay allocated (state "connecting").
        conn: ConnectionId,
        /// Where to connect (scheme, host and port decide; the session-id is irrelevant).
        target: Uri,
    },
    /// The relay dropped `conn`: close the socket. Unwritten output is discarded; the id
    /// is invalid from now on.
    Closed {
        /// The connection.
        conn: ConnectionId,
        /// Why.
        reason: CloseReason,
    },
    /// A client authenticated on `conn` and was issued a URI valid over that connection
    /// for `expires_secs` seconds (R4976-028/-029).
    Authenticated {
        /// The connection the AUTH came on.
        conn: ConnectionId,
        /// Granted lifetime in seconds.
        expires_secs: u32,
    },
}

/// Why the relay closed a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CloseReason {
    /// A request whose first To-Path URI is not this relay's (R4976-024).
    NotAddressedToRelay,
    /// No successful request within [`RelayConfig::probation`](super::RelayConfig::probation)
    /// of the connection being accepted (R4976-023).
    Probation,
    /// Too many failed AUTHs from a directly connected client (R4976-032).
    AuthFailures,
    /// Bytes that cannot be resynchronised.
    Malformed(ParseError),
}
