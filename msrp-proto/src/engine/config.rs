//! Engine configuration: every limit in one place, each with a documented default.

use core::time::Duration;

use crate::wire::Limits;

/// Configuration of an [`Endpoint`](super::Endpoint). Build with [`Config::default`] and
/// change fields; share it with `Arc`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    /// Memory and concurrency limits of the engine.
    pub limits: EngineLimits,
    /// Limits of the wire decoder (header sizes, identifier lengths, strictness).
    pub wire: Limits,
    /// Most body bytes written into one SEND chunk before the engine ends it with `+` to
    /// let other queued messages go (round robin, R4975-113). Default 128 KiB. A chunk is
    /// also cut earlier when a response or REPORT is waiting (R4975-112) or when the body
    /// contains the chunk's end-line (R4975-082/083).
    pub chunk_size: usize,
    /// A hard cap on body bytes per SEND chunk, whether or not anything else waits:
    /// for next hops that refuse large frames (Kamailio's msrp relay takes frames of at
    /// most 11238 bytes, so about 10 KiB of body). `None` (default): chunks end only for
    /// the reasons above and at the end of the body. (The receive-side limit is
    /// [`Limits::max_chunk_body`](crate::wire::Limits::max_chunk_body).)
    pub max_send_chunk_body: Option<usize>,
    /// Size of the per-connection input buffer that [`Endpoint::recv_buf`](super::Endpoint::recv_buf)
    /// exposes (taken while data arrives, given back while the connection is quiet).
    /// Default 128 KiB; must exceed `wire.max_header_bytes`. Bodies taken as views
    /// ([`Endpoint::take_received`](super::Endpoint::take_received)) keep their buffer
    /// alive; the endpoint keeps up to 8 such buffers for reuse once their views are
    /// dropped.
    pub recv_buffer: usize,
    /// Size of the per-connection output buffer (taken while writing). Default 128 KiB.
    /// A pulled body is given in pieces of `chunk_size` capped by this, two pieces
    /// buffered per message. (The adapters' loopback throughput bench moves more per
    /// second with 128 KiB than with 64 KiB: fewer wake-ups per byte.)
    pub send_buffer: usize,
    /// A pulled body's piece of at least this many bytes is written from the buffer it
    /// was given in (the slices [`Endpoint::poll_transmit`](super::Endpoint::poll_transmit)
    /// offers point into it) instead of being copied into the output buffer; the piece's
    /// buffer is asked for again once that is written. Smaller pieces are copied: then
    /// a chunk's head, body and end-line go out in one slice, which saves writes (and TLS
    /// records) that cost more than copying a small piece. Default 32 KiB; `usize::MAX`
    /// always copies.
    pub send_in_place_min: usize,
    /// The transaction timer (R4975-095): how long after the last byte of a request with
    /// `Failure-Report: yes` has been written the engine waits for its response before it
    /// fails the message with a local 408. Default 30 s.
    pub transaction_timeout: Duration,
    /// An incoming message with no chunk for this long is dropped (digest P-35: a message
    /// that never ends; its sender gets a failure REPORT `000 413` unless it sent
    /// `Failure-Report: no`, and later chunks of it get 413), and a connection on which a frame stops arriving mid-way for
    /// this long is lost with
    /// [`ConnectionError::Stalled`](super::ConnectionError::Stalled) (the stream cannot
    /// be resynchronised without the end-line). Default 120 s.
    pub incoming_idle_timeout: Duration,
    /// How long a passive session waits for the peer's first request to bind a
    /// connection (digest P-09; RFC 4976 uses 30 s for relays). Messages queued meanwhile
    /// wait with it; when it passes, the session fails
    /// ([`SessionError::BindingTimeout`](super::SessionError::BindingTimeout)) and they
    /// fail with a local 408. Default 30 s.
    pub binding_timeout: Duration,
    /// A connection with no session bound (its last session ended, or nobody bound it
    /// after it was added) and no traffic for this long is closed with
    /// [`ConnectionError::Idle`](super::ConnectionError::Idle): the adapter then closes
    /// the socket (R4975-039, digest P-17). A connection with sessions is never closed.
    /// Default 30 s.
    pub connection_idle_timeout: Duration,
    /// Media types accepted in SENDs (`*`, `type/*` or `type/subtype`, compared without
    /// parameters, case-insensitively). Default `["*"]`. Anything else gets 415, except
    /// `multipart/mixed` and `multipart/alternative`, which every endpoint receives
    /// (R4975-158).
    pub accept_types: Vec<String>,
    /// Match the To-Path of incoming requests against local session URIs by session-id
    /// only, instead of the full RFC 4975 §6.1 comparison. For peers behind SBCs that
    /// rewrite `a=path` (digest P-11). Default `false`.
    pub match_session_id_only: bool,
    /// Seed for identifier generation. `None` (default) uses the operating system's
    /// CSPRNG; `Some` makes simulations reproducible (never use it in production).
    pub rng_seed: Option<u64>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            limits: EngineLimits::default(),
            wire: Limits::default(),
            chunk_size: 128 * 1024,
            max_send_chunk_body: None,
            recv_buffer: 128 * 1024,
            send_buffer: 128 * 1024,
            send_in_place_min: 32 * 1024,
            transaction_timeout: Duration::from_secs(30),
            incoming_idle_timeout: Duration::from_secs(120),
            binding_timeout: Duration::from_secs(30),
            connection_idle_timeout: Duration::from_secs(30),
            accept_types: vec!["*".to_owned()],
            match_session_id_only: false,
            rng_seed: None,
        }
    }
}

/// Memory and concurrency limits. Tables are preallocated from these at session or
/// connection setup, so steady-state traffic does not allocate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct EngineLimits {
    /// Outgoing messages in flight (queued, being sent or awaiting responses/REPORTs)
    /// across the endpoint. Default 64. `send_message` fails with
    /// [`SendError::TooManyMessages`](super::SendError::TooManyMessages) beyond it. An
    /// aborted message whose last piece is still being written in place
    /// ([`Config::send_in_place_min`](super::Config::send_in_place_min)) counts until that
    /// piece is written or its connection is lost.
    pub max_outgoing_messages: usize,
    /// Outstanding transactions (sent chunks awaiting a response) per connection. Default
    /// 256. When full the scheduler stops opening chunks on that connection. It also
    /// bounds the received requests per connection whose responses are not written yet
    /// (tracked to refuse concurrent duplicate transaction ids, digest P-44); when those
    /// reach it the engine stops decoding input until the peer reads.
    pub max_outstanding_transactions: usize,
    /// Incomplete incoming messages per session. Default 16. A chunk of one more
    /// Message-ID is answered with 413 (digest P-35).
    pub max_incoming_messages: usize,
    /// Disjoint byte ranges tracked per incoming or outgoing message. Default 32. A
    /// message with more holes is answered with 413.
    pub max_ranges: usize,
    /// Largest incoming message accepted. Default 1 GiB. Bigger → 413. The engine never
    /// buffers bodies, so this bounds the application's sink, not engine memory.
    pub max_message_size: u64,
    /// Bytes of responses and REPORTs waiting to be written per connection. Default
    /// 64 KiB. When reached the engine stops decoding input on that connection until
    /// the peer reads (back-pressure against floods of tiny chunks).
    pub max_pending_control: usize,
    /// Completed incoming Message-IDs remembered per session (least recently seen
    /// forgotten first) to flag duplicates (R4975-036, digest P-16) and to refuse further
    /// chunks of a message the application rejected. Default 32; 0 disables both.
    pub duplicate_window: usize,
    /// Outgoing Message-IDs remembered per session after their outcome was reported, so
    /// that a failure REPORT arriving later (typically from a relay, after its hop-by-hop
    /// 200, R4976-036/-044) still reaches the application and can fail the session
    /// (R4975-164). Default 8; 0 ignores late REPORTs (R4975-099).
    pub late_report_window: usize,
}

impl Default for EngineLimits {
    fn default() -> Self {
        Self {
            max_outgoing_messages: 64,
            max_outstanding_transactions: 256,
            max_incoming_messages: 16,
            max_ranges: 32,
            max_message_size: 1 << 30,
            max_pending_control: 64 * 1024,
            duplicate_window: 32,
            late_report_window: 8,
        }
    }
}
