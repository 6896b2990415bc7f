//! What the engine tells the application, and the errors of its commands.

use crate::wire::headers::StatusCode;
use crate::wire::{MessageId, ParseError};

/// A transport connection registered with [`Endpoint::add_connection`](super::Endpoint::add_connection).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ConnectionId(pub(crate) u32);

/// A session registered with [`Endpoint::add_session`](super::Endpoint::add_session).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SessionId(pub(crate) u32);

/// Where received body bytes are: pass it to
/// [`Endpoint::received_body`](super::Endpoint::received_body) before the next mutation.
///
/// A reference carries the endpoint's mutation count from when its event was polled, so
/// a stale one (used after `recv_buf`, a `handle_*` call, `transmit_done` or a connection
/// change) reads as `None`, never as other bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyRef {
    pub(crate) conn: u32,
    pub(crate) len: u32,
    pub(crate) pos: u64,
    /// The endpoint generation in which the reference is valid (set by `poll_event`).
    pub(crate) generation: u64,
}

impl BodyRef {
    /// Number of body bytes.
    #[must_use]
    pub fn len(&self) -> usize {
        self.len as usize
    }

    /// Whether there are no bytes.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// Why a connection ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConnectionError {
    /// The peer closed the stream between messages.
    Closed,
    /// The stream ended inside a message.
    Truncated,
    /// The peer sent bytes that cannot be resynchronised (bad transaction id, header
    /// limit exceeded before the end-line is known, ...).
    Malformed(ParseError),
    /// The application closed it ([`Endpoint::close_connection`](super::Endpoint::close_connection)).
    LocallyClosed,
    /// It carried no session for
    /// [`Config::connection_idle_timeout`](super::Config::connection_idle_timeout)
    /// (R4975-039): close the socket.
    Idle,
    /// A frame stopped arriving mid-way for
    /// [`Config::incoming_idle_timeout`](super::Config::incoming_idle_timeout) (a message
    /// that never ends): without its end-line the stream cannot continue.
    Stalled,
}

/// Why a session failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SessionError {
    /// Its connection was lost (R4975-033).
    ConnectionLost(ConnectionError),
    /// The peer answered the binding SEND with an error (e.g. 481), or did not answer
    /// it in time (408).
    Rejected(StatusCode),
    /// A passive session was not bound by the peer's first request within
    /// [`Config::binding_timeout`](super::Config::binding_timeout) (digest P-09).
    BindingTimeout,
    /// A failure REPORT said part of a message was not received: `408` (a relay got no
    /// answer from its next hop) or `481` (the path is gone). MSRP cannot resend within
    /// the session: renegotiate it through signalling and resend the range on the new one
    /// (R4975-164).
    DataLost(StatusCode),
}

/// Why an incoming message was dropped before completion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AbortReason {
    /// The peer ended a chunk with `#` (R4975-081).
    Peer,
    /// It exceeded a limit and was answered with 413.
    TooLarge,
    /// No chunk arrived for [`Config::incoming_idle_timeout`](super::Config::incoming_idle_timeout);
    /// the sender was sent a failure REPORT `000 413` (if its Failure-Report allows).
    Idle,
    /// Its session or connection ended.
    SessionEnded,
}

/// Something the application must know or do. Drain with
/// [`Endpoint::poll_event`](super::Endpoint::poll_event) after every mutation.
///
/// Events carry ids, offsets and statuses, never body bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The session is bound to the connection: the passive side received the first
    /// request (R4975-030), or the active side's binding SEND got its 200.
    SessionBound {
        /// The session.
        session: SessionId,
        /// The connection it is bound to.
        connection: ConnectionId,
    },
    /// The session failed; its outgoing messages failed with it (each gets
    /// [`Event::MessageFailed`]).
    SessionFailed {
        /// The session.
        session: SessionId,
        /// Why.
        reason: SessionError,
    },
    /// [`Endpoint::authenticate_relay`](super::Endpoint::authenticate_relay) succeeded
    /// (again, after each re-AUTH): read the route with
    /// [`Endpoint::relay_use_path`](super::Endpoint::relay_use_path) (To-Path prefix,
    /// R4976-014) and [`Endpoint::relay_sdp_path`](super::Endpoint::relay_sdp_path) (our
    /// `a=path`, R4976-015). The engine re-AUTHs on its own before `expires` runs out.
    RelayAuthenticated {
        /// The connection to the first relay.
        connection: ConnectionId,
        /// How long the relay granted the route.
        expires: core::time::Duration,
    },
    /// AUTH on this connection failed for good (wrong credentials, a rejection, no
    /// answer); the connection stays open for the caller to close.
    RelayAuthFailed {
        /// The connection to the first relay.
        connection: ConnectionId,
        /// Why.
        error: crate::relay::AuthError,
    },
    /// A connection ended; every session bound to it failed (R4975-033).
    ConnectionLost {
        /// The connection.
        connection: ConnectionId,
        /// Why.
        reason: ConnectionError,
    },
    /// A pulled body wants more bytes: answer with
    /// [`Endpoint::write_body`](super::Endpoint::write_body) (at most `max` bytes), by
    /// filling [`Endpoint::lend_body_buf`](super::Endpoint::lend_body_buf) and
    /// [`Endpoint::give_body`](super::Endpoint::give_body), or with
    /// [`Endpoint::end_body`](super::Endpoint::end_body). Emitted once per request, as
    /// soon as the message's next-piece buffer is free (usually while the previous piece
    /// is still being written).
    BodyWanted {
        /// The session.
        session: SessionId,
        /// The message.
        message: MessageId,
        /// Most bytes that will be taken now.
        max: usize,
    },
    /// Every byte of a message without positive feedback (`Success-Report: no` and
    /// `Failure-Report: no`/`partial`) has been written to the transport. With
    /// `partial`, a [`Event::MessageFailed`] may still follow if the peer answers a chunk
    /// with an error later (R4975-096); the written chunks are remembered for that until
    /// the transaction table needs their entries.
    MessageSent {
        /// The session.
        session: SessionId,
        /// The message.
        message: MessageId,
    },
    /// The peer confirmed a message: success REPORTs cover all of it (`Success-Report:
    /// yes`), or every chunk got a 200 (`Failure-Report: yes`, `Success-Report: no`).
    MessageDelivered {
        /// The session.
        session: SessionId,
        /// The message.
        message: MessageId,
        /// Bytes confirmed (the message length).
        confirmed: u64,
    },
    /// A message failed: an error response or failure REPORT (`local: false`), or the
    /// transaction timer / a local condition (`local: true`, status 408 for a timeout,
    /// 481 when the session or connection ended).
    MessageFailed {
        /// The session.
        session: SessionId,
        /// The message.
        message: MessageId,
        /// The status.
        status: StatusCode,
        /// Whether the status was decided locally.
        local: bool,
    },
    /// The first chunk of a new incoming message arrived (before its [`Event::Data`]).
    /// Emitted once per Message-ID, for the first chunk seen of it, which is usually the
    /// one starting at offset 0. `content_type` locates the chunk's `Content-Type` value;
    /// read it with [`Endpoint::received_body`](super::Endpoint::received_body) before
    /// the next mutation, like body bytes.
    MessageStarted {
        /// The session.
        session: SessionId,
        /// The message.
        message: MessageId,
        /// The message length from the chunk's Byte-Range, if known (not `*`).
        total: Option<u64>,
        /// The `Content-Type` header value of the chunk (empty if absent).
        content_type: BodyRef,
    },
    /// Received body bytes at 0-based `offset` of message `message`; read them with
    /// [`Endpoint::received_body`](super::Endpoint::received_body). Overlapping data
    /// may arrive again; the latest wins (R4975-155).
    Data {
        /// The session.
        session: SessionId,
        /// The message.
        message: MessageId,
        /// 0-based offset in the message.
        offset: u64,
        /// The bytes.
        body: BodyRef,
        /// The Message-ID was already received complete in this session (R4975-036):
        /// the same content again (a resend after a timeout, or a relay's duplicate).
        /// Responses and REPORTs are sent as the headers require; do not show it to the
        /// user without flagging it.
        duplicate: bool,
    },
    /// Every byte of an incoming message has arrived (R4975-151/154); `len` is its
    /// length. A bodiless SEND is reported with `len` 0 and `bodiless: true`.
    MessageReceived {
        /// The session.
        session: SessionId,
        /// The message.
        message: MessageId,
        /// Its length.
        len: u64,
        /// Whether it was a bodiless SEND (e.g. the binding SEND).
        bodiless: bool,
        /// The Message-ID had already been received complete in this session
        /// (R4975-036, see [`Event::Data`]). Always `false` for bodiless SENDs, which are
        /// not remembered.
        duplicate: bool,
    },
    /// An incoming message was dropped before it was complete.
    MessageAborted {
        /// The session.
        session: SessionId,
        /// The message.
        message: MessageId,
        /// Why.
        reason: AbortReason,
    },
}

/// Misuse of [`Endpoint`](super::Endpoint) commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// No such connection (never added, or already closed).
    UnknownConnection,
    /// No such session.
    UnknownSession,
    /// No such outgoing message, or it does not pull its body.
    UnknownMessage,
    /// `handle_read` reported more bytes than `recv_buf` offered, or `transmit_done`
    /// more than `poll_transmit` returned.
    TooManyBytes,
    /// The input buffer is full; drain events and transmit first.
    RecvBufferFull,
    /// The session URI is not a session URI (it needs a session-id) or the remote path
    /// is empty.
    BadSession,
    /// A rejection needs an error status (4xx/5xx), not a success.
    NotAnError,
    /// The connection's queue of responses and REPORTs is full
    /// ([`EngineLimits::max_pending_control`](super::EngineLimits::max_pending_control)):
    /// write pending output first, then retry.
    ControlQueueFull,
    /// Another live session already has this local URI: each session's own URI is
    /// allocated for it alone (R4975-178, R4975-180).
    DuplicateSession,
    /// The relay client refused its configuration
    /// ([`Endpoint::authenticate_relay`](super::Endpoint::authenticate_relay)).
    Auth(crate::relay::AuthError),
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::UnknownConnection => "unknown connection",
            Self::UnknownSession => "unknown session",
            Self::UnknownMessage => "unknown message",
            Self::TooManyBytes => "more bytes than offered",
            Self::RecvBufferFull => "input buffer full",
            Self::BadSession => "invalid session URIs",
            Self::NotAnError => "status is not an error",
            Self::ControlQueueFull => "control queue full",
            Self::DuplicateSession => "another session has this URI",
            Self::Auth(e) => return write!(f, "relay client: {e}"),
        })
    }
}

impl std::error::Error for Error {}

/// Why [`Endpoint::send_message`](super::Endpoint::send_message) refused a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SendError {
    /// No such session, or it failed.
    UnknownSession,
    /// [`EngineLimits::max_outgoing_messages`](super::EngineLimits::max_outgoing_messages) reached.
    TooManyMessages,
}

impl core::fmt::Display for SendError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::UnknownSession => "unknown or failed session",
            Self::TooManyMessages => "too many outgoing messages",
        })
    }
}

impl std::error::Error for SendError {}
