//! The endpoint engine: sessions, chunking, reassembly, reports and timers as one
//! deterministic sans-IO state machine.
//!
//! No sockets, no clock, no threads: bytes, commands and the current [`Instant`] go in;
//! bytes to send, [`Event`]s and the next deadline come out. Identifiers come from the
//! seedable source named in [`Config::rng_seed`], so simulations are reproducible.
//!
//! # Shape
//!
//! One [`Endpoint`] holds every session and every transport connection of one MSRP
//! endpoint (quinn's `Endpoint` + `Connection` folded into one object). It is one object
//! rather than one per connection because two rules need a view across connections: the
//! passive side learns which session an accepted connection belongs to only from its
//! first request (R4975-029/030), and a session already bound to one connection answers
//! requests arriving on another with 506 (R4975-032). A connection may carry several
//! sessions (R4975-020, §5.4).
//!
//! * Setup: [`Endpoint::add_connection`] per transport connection, [`Endpoint::add_session`]
//!   per session (local URI, remote path, and the connection for the active side).
//! * Input: [`Endpoint::recv_buf`] + [`Endpoint::handle_read`] (the endpoint owns the
//!   input buffer; adapters read straight into it), or [`Endpoint::handle_input`] which
//!   copies; [`Endpoint::handle_eof`]; [`Endpoint::handle_timeout`]. Received bodies are
//!   read in place ([`Endpoint::received_body`]) or taken as [`Bytes`] views of the
//!   input buffer without a copy ([`Endpoint::take_received`]).
//! * Output: [`Endpoint::poll_transmit`] + [`Endpoint::transmit_done`] (TCP writes are
//!   partial), [`Endpoint::poll_event`], [`Endpoint::poll_timeout`].
//! * Commands: [`Endpoint::send_message`], [`Endpoint::write_body`], [`Endpoint::end_body`],
//!   [`Endpoint::abort_message`], [`Endpoint::reject_message`], [`Endpoint::close_session`],
//!   [`Endpoint::close_connection`].
//!
//! **The loop.** After every input or command, drain `poll_transmit` (write, then
//! `transmit_done`) for each connection and `poll_event` until both are empty, then wait
//! for readable sockets or `poll_timeout`. Events carry ids, offsets and statuses, never
//! body bytes: body bytes are read with [`Endpoint::received_body`] from the
//! [`BodyRef`] of an [`Event::Data`], valid from `poll_event` until the next mutation
//! (`recv_buf`, `handle_*`, `transmit_done`, connection changes; a stale one reads as
//! `None`). A peer's bad input becomes an MSRP response or [`Event::ConnectionLost`];
//! an `Err` from a method means caller misuse.
//!
//! # Receiving
//!
//! Decoding is eager: `handle_read` decodes every complete event in the buffer, writes
//! responses and REPORTs into a per-connection control queue and queues events. Body
//! bytes stay in the input buffer and are not copied; the buffer is compacted only on the
//! next `recv_buf`/`handle_*`, never past a [`BodyRef`] still queued. The engine does not
//! store bodies: per incoming message it keeps a bounded [`RangeSet`] of the octets seen
//! (to know completion and to write success REPORTs). [`Reassembly`] is a bounded
//! in-memory sink applications and tests can use.
//!
//! Response policy (digest P-01, [`response_policy`], the one place): Failure-Report
//! absent/`yes` → always answer; `partial` → errors only; `no` → nothing, not even
//! 481/415/501; REPORTs are never answered. Responses to SEND go to the leftmost
//! From-Path URI, others to the full From-Path (P-06; `wire::encode`). Checks in order:
//! To-Path (exactly one URI matching a local session per §6.1, or by session-id with
//! [`Config::match_session_id_only`]) → 481; session bound to another connection → 506;
//! method other than SEND/REPORT → 501; SEND without Message-ID → 400; content type
//! outside [`Config::accept_types`] → 415; limits ([`EngineLimits`]) → 413; malformed
//! (decoder error) → 400 when the request can still be addressed, else the connection
//! is lost with [`ConnectionError::Malformed`]. A success REPORT `1-len/len` goes to the
//! full From-Path when the last missing octet of a `Success-Report: yes` message arrives
//! (none for bodiless SENDs, P-46). A request reusing the transaction id of one whose
//! response is not written yet gets 400 (P-44).
//!
//! Each session remembers its last [`EngineLimits::duplicate_window`] completed
//! Message-IDs: a message seen again is answered and reported as usual, with
//! `duplicate: true` on its events (R4975-036, P-16). [`Endpoint::reject_message`] turns a
//! message the application learnt bad later into a failure REPORT (R4975-133/136/137;
//! only for `Failure-Report` `yes`/`partial`) and refuses its further chunks. A chunk whose
//! Byte-Range declares a total beyond [`EngineLimits::max_message_size`] is answered 413
//! before anything of it reaches the application; one that crosses the limit mid-body gets
//! a `000 413` REPORT at once, so the sender stops mid-chunk (R4975-206).
//!
//! Timers: an incoming message silent for [`Config::incoming_idle_timeout`] is dropped
//! and its sender told so, as the failure REPORT `000 413` (stop sending) that R4975-133
//! allows for errors learnt after a 200, with 413 for any later chunk of it; a
//! frame that stops mid-way for as long loses its connection
//! ([`ConnectionError::Stalled`]); a passive session not bound within
//! [`Config::binding_timeout`] fails (P-09); a connection without sessions and traffic
//! for [`Config::connection_idle_timeout`] is closed ([`ConnectionError::Idle`],
//! R4975-039/P-17).
//!
//! # Sending
//!
//! [`Endpoint::send_message`] takes an [`OutgoingMessage`]: whole ([`bytes::Bytes`],
//! never copied until written) or pulled (the engine emits [`Event::BodyWanted`] and the
//! application answers with [`Endpoint::write_body`] (a copy) or fills a lent buffer in
//! place ([`Endpoint::lend_body_buf`] / [`Endpoint::give_body`]), then
//! [`Endpoint::end_body`]; a file never sits in memory: two pieces of it are buffered per
//! message, the next filled while the last is written). A piece of
//! [`Config::send_in_place_min`] bytes or more is written from the buffer it was given in
//! (`poll_transmit` offers slices of it); smaller ones are copied into the output buffer
//! with the chunk's head and end-line.
//! The scheduler fills the output buffer lazily in `poll_transmit`:
//!
//! * pending responses/REPORTs first; an open chunk is ended with `+` to let them out
//!   (R4975-112, P-12..P-14), and resumes in a new chunk later;
//! * otherwise chunks of queued messages, round robin every [`Config::chunk_size`] bytes
//!   (R4975-113); range-end is `*` unless the whole rest (≤ 2048 bytes) is written at once
//!   (R4975-107); total `*` for streams of unknown length;
//! * body bytes are scanned for `-------<tid>` (across pieces) and the chunk is cut before
//!   a collision, the rest continuing under a new transaction id (R4975-082/083);
//! * a failure (error response, failure REPORT, 413, timeout) stops the whole Message-ID
//!   and ends a chunk in flight with `#` (P-13, R4975-162).
//!
//! Each chunk is a transaction; with `Failure-Report: yes` its timer starts when
//! `transmit_done` reports its last byte written (R4975-095) and a missing response
//! after [`Config::transaction_timeout`] fails the message with a local 408. `partial`
//! chunks run no timer and hold no transaction slot once written, but stay matchable so
//! a late error response still fails the message (R4975-096). Through relays responses
//! are hop by hop, so a failure REPORT often arrives after the message's outcome was
//! reported: each session remembers its last
//! [`EngineLimits::late_report_window`](EngineLimits::late_report_window) finished
//! Message-IDs and reports such a late failure once, as `MessageFailed { local: false }`.
//! A failure REPORT 408 or 481 says data was lost, which MSRP cannot repair inside the
//! session: the session fails with [`SessionError::DataLost`] (R4975-164).
//! Outcomes: [`Event::MessageDelivered`], [`Event::MessageFailed`], [`Event::MessageSent`].
//!
//! The active side of a session sends a bodiless SEND at once to bind the connection
//! (R4975-023); a passive session sends nothing before the peer's first request binds it
//! (R4975-024). Losing a connection fails every session bound to it (R4975-033).
//!
//! # Not done yet
//!
//! * No success-report timer: a message sent with `Success-Report: yes` whose success
//!   REPORT never comes (a receiver that does not report, or `Failure-Report: no` so a
//!   receiver's failure REPORT is not sent either) gets no outcome until its session ends,
//!   as R4975-094 allows; the application-chosen timer RFC 4975 §7.1.1 mentions is not
//!   offered yet.
//! * Incremental success REPORTs for aborted/partial messages (only one final REPORT).
//! * Duplicate windows live and die with their session: content resent on a re-created
//!   session (R4975-035) is not flagged as a duplicate.
//! * A failure REPORT from [`Endpoint::reject_message`] is addressed to the session's
//!   remote path, not to the request's own From-Path (equal under RFC 4976 routing).
//! * A chunk that trickles bytes forever below [`EngineLimits::max_message_size`] keeps
//!   its connection: only silence is detected, not slowness.
//! * The idle timer of a connection added before the endpoint was given any time starts
//!   with the first call that brings one.
//! * P-44 covers requests received on one connection; a peer id equal to one of our own
//!   outstanding request ids is not treated as a collision.
//! * `Event` holds a `MessageId` inline (~70 bytes); the size is asserted ≤ 128 bytes.

mod config;
mod event;
mod ranges;
mod recv;
mod send;

use std::borrow::Cow;
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant;

use bytes::{Bytes, BytesMut};

pub use config::{Config, EngineLimits};
pub use event::{
    AbortReason, BodyRef, ConnectionError, ConnectionId, Error, Event, SendError, SessionError,
    SessionId,
};
pub use ranges::{RangeSet, RangesFull, Reassembly, ReassemblyError};

use crate::rand::{OsRandom, RandomSource, SeededRandom};
use crate::relay::{AuthClient, AuthConfig, AuthEvent};
use crate::uri::Uri;
use crate::wire::headers::{ByteRange, FailureReport, StatusCode, SuccessReport};
use crate::wire::{Decoder, MessageId, TransactionId};

/// When a request gets a transaction response (digest P-01, R4975-125/134/135/140).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResponsePolicy {
    /// Every outcome, 200 included (Failure-Report absent or `yes`).
    Always,
    /// Only error responses (Failure-Report `partial`).
    ErrorsOnly,
    /// Nothing at all (Failure-Report `no`, and every REPORT).
    Never,
}

impl ResponsePolicy {
    /// Whether a response with `status` is sent under this policy.
    #[must_use]
    pub fn answers(self, status: StatusCode) -> bool {
        match self {
            Self::Always => true,
            Self::ErrorsOnly => !status.is_success(),
            Self::Never => false,
        }
    }
}

/// The response policy of a request: the one function that decides it.
#[must_use]
pub fn response_policy(is_report: bool, failure_report: FailureReport) -> ResponsePolicy {
    if is_report {
        return ResponsePolicy::Never;
    }
    match failure_report {
        FailureReport::No => ResponsePolicy::Never,
        FailureReport::Partial => ResponsePolicy::ErrorsOnly,
        _ => ResponsePolicy::Always,
    }
}

/// A message to send: its content type, reporting and body source.
#[derive(Debug, Clone)]
pub struct OutgoingMessage {
    content_type: Cow<'static, str>,
    body: OutBody,
    total: Option<u64>,
    success_report: SuccessReport,
    failure_report: FailureReport,
    message_id: Option<MessageId>,
}

#[derive(Debug, Clone)]
enum OutBody {
    Whole(Bytes),
    Pulled,
}

impl OutgoingMessage {
    /// Its Content-Type.
    #[must_use]
    pub fn content_type(&self) -> &str {
        &self.content_type
    }

    /// A message whose whole body is at hand (`Bytes::from_static` or a shared buffer:
    /// never copied before it is written).
    #[must_use]
    pub fn whole(content_type: impl Into<Cow<'static, str>>, body: Bytes) -> Self {
        let total = Some(body.len() as u64);
        Self {
            content_type: content_type.into(),
            body: OutBody::Whole(body),
            total,
            success_report: SuccessReport::No,
            failure_report: FailureReport::Yes,
            message_id: None,
        }
    }

    /// A message whose body the engine pulls with [`Event::BodyWanted`]; `total` is its
    /// length if known (`None` sends `*` totals, R4975-104).
    #[must_use]
    pub fn pulled(content_type: impl Into<Cow<'static, str>>, total: Option<u64>) -> Self {
        Self {
            content_type: content_type.into(),
            body: OutBody::Pulled,
            total,
            success_report: SuccessReport::No,
            failure_report: FailureReport::Yes,
            message_id: None,
        }
    }

    /// Sets `Success-Report` (default `no`).
    #[must_use]
    pub fn success_report(mut self, v: SuccessReport) -> Self {
        self.success_report = v;
        self
    }

    /// Sets `Failure-Report` (default `yes`).
    #[must_use]
    pub fn failure_report(mut self, v: FailureReport) -> Self {
        self.failure_report = v;
        self
    }

    /// Reuses a Message-ID (resending on a new session keeps it, R4975-035). Default: a
    /// fresh random one.
    #[must_use]
    pub fn message_id(mut self, id: MessageId) -> Self {
        self.message_id = Some(id);
        self
    }
}

// ---------------------------------------------------------------------------------------
// State

/// One incoming message being reassembled (a preallocated slot).
#[derive(Debug)]
struct InMsg {
    active: bool,
    id: MessageId,
    ranges: RangeSet,
    /// Fixed by the `$` chunk (R4975-153).
    len: Option<u64>,
    success_report: SuccessReport,
    /// The first chunk's response policy (decides failure REPORTs, R4975-134).
    policy: ResponsePolicy,
    /// The total declared by a chunk's Byte-Range, if numeric (copied into failure
    /// REPORTs, R4975-137).
    declared: Option<u64>,
    /// The Message-ID was in the session's duplicate window when its first chunk came.
    duplicate: bool,
    last: Instant,
}

impl InMsg {
    /// A free entry of a session's incoming-message table.
    fn unused(max_ranges: usize, now: Instant) -> Self {
        Self {
            active: false,
            id: MessageId::parse("none").expect("valid"),
            ranges: RangeSet::with_max(max_ranges),
            len: None,
            success_report: SuccessReport::No,
            policy: ResponsePolicy::Always,
            declared: None,
            duplicate: false,
            last: now,
        }
    }
}

/// A finished incoming message, remembered in the session's duplicate window.
#[derive(Debug, Clone, Copy)]
struct Done {
    id: MessageId,
    len: u64,
    policy: ResponsePolicy,
    /// Rejected by the application: further chunks get this status.
    rejected: Option<StatusCode>,
}

#[derive(Debug)]
struct Session {
    local: Uri,
    remote: Vec<Uri>,
    conn: Option<u32>,
    incoming: Vec<InMsg>,
    /// Most recently finished last; bounded by `EngineLimits::duplicate_window`.
    done: VecDeque<Done>,
    /// Outgoing messages whose outcome was reported, most recent last; bounded by
    /// `EngineLimits::late_report_window` (late failure REPORTs, R4975-164).
    sent: VecDeque<MessageId>,
    /// When it was added: a passive session not bound by `created + binding_timeout`
    /// fails (P-09).
    created: Instant,
}

impl Session {
    fn done_index(&self, id: MessageId) -> Option<usize> {
        self.done.iter().position(|d| d.id == id)
    }

    /// Records (or refreshes) a finished message as the most recent; forgets the least
    /// recent when the window is full.
    fn remember(&mut self, d: Done, window: usize) {
        if window == 0 {
            return;
        }
        if let Some(i) = self.done_index(d.id) {
            self.done.remove(i);
        } else if self.done.len() >= window {
            self.done.pop_front();
        }
        if self.done.capacity() == 0 {
            self.done.reserve_exact(window);
        }
        self.done.push_back(d);
    }
}

/// One outgoing message slot; `confirmed`, `staging` and `spare` are kept across reuse.
///
/// A pulled body is double-buffered: `staging` holds the piece being cut into chunks,
/// `spare` the next one, which the application fills (by `write_body`, or in place
/// after `lend_body_buf`) while the first is written: `BodyWanted` comes as soon as
/// `spare` is free, not when everything given so far is on the wire. The pieces swap
/// when `staging` is cut into chunks and, if it is written in place (`splice`), written.
#[derive(Debug)]
struct OutSlot {
    msg: Option<OutMsg>,
    confirmed: RangeSet,
    staging: Vec<u8>,
    /// Part of `staging` is being written in place on a connection (the one whose
    /// `Conn::spliced` names this slot): the slot is pinned.
    splice: Option<Splice>,
    /// The next piece: its bytes are `spare[..OutMsg::spare_len]`. Allocated on first
    /// use; empty while lent to the application.
    spare: Vec<u8>,
}

#[derive(Debug)]
struct OutMsg {
    session: u32,
    id: MessageId,
    /// `None`: the bodiless binding SEND.
    content_type: Option<Cow<'static, str>>,
    whole: Option<Bytes>,
    staged_pos: usize,
    /// Bytes of the next piece in `OutSlot::spare` (`None`: it is free).
    spare_len: Option<usize>,
    /// `OutSlot::spare` is lent to the application (`lend_body_buf`).
    lent: bool,
    eof: bool,
    wanted: bool,
    total: Option<u64>,
    /// Bytes placed into chunks so far.
    sent: u64,
    success_report: SuccessReport,
    failure_report: FailureReport,
    written_all: bool,
    flushed_all: bool,
    /// Transactions awaiting a 200.
    open_tx: u32,
    /// A success REPORT for it arrived (an empty message is confirmed by one covering
    /// nothing: `confirmed` alone cannot tell).
    reported: bool,
    queued: bool,
}

impl OutMsg {
    fn is_binding(&self) -> bool {
        self.content_type.is_none()
    }

    /// Every byte of the body is given: once the current piece is cut into chunks,
    /// the message ends. A pulled body ended with its last piece still waiting behind a
    /// pinned one ([`Splice`]) is not.
    fn body_given(&self) -> bool {
        self.whole.is_some() || (self.eof && self.spare_len.is_none())
    }
}

/// Body bytes that go out straight from a message slot's `staging`
/// (`staging[start..start + len]`, `sent` of them written), between `out[..at]` and
/// `out[at..]` of its connection: a pulled piece of `Config::send_in_place_min` bytes or
/// more is not copied into the output buffer. The slot is pinned meanwhile: its piece is
/// not replaced, and a freed slot is not reused, until the splice is written or its
/// connection lost. Kept in the slot (a connection only names the slot: an idle
/// connection's size counts).
#[derive(Debug, Clone, Copy)]
struct Splice {
    at: u32,
    start: u32,
    len: u32,
    sent: u32,
}

/// A sent chunk (transaction).
#[derive(Debug, Clone, Copy)]
struct Tx {
    tid: TransactionId,
    slot: u32,
    session: u32,
    message: MessageId,
    /// Output-stream position just after its end-line.
    end_pos: u64,
    flushed: bool,
    expect_response: bool,
    /// `Failure-Report: partial`: kept after it is written so a late error response
    /// still matches (R4975-096), as a lingering entry.
    keep: bool,
    /// Written `partial` chunk: occupies a table entry but not a transaction slot (it
    /// expects nothing), and is evicted first when the table needs room.
    lingering: bool,
    last_chunk: bool,
    deadline: Option<Instant>,
}

#[derive(Debug, Clone, Copy)]
struct OpenChunk {
    slot: u32,
    message: MessageId,
    tid: TransactionId,
    written: u64,
    tail: [u8; 80],
    tail_len: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CurKind {
    /// Between frames, or a frame that needs nothing at its end.
    Ignore,
    Send,
    Report,
    /// A request answered with `verdict` (501, 481, ...), body ignored.
    Other,
    Response,
}

/// A connection's receive state while frames arrive: the decoder and what the engine
/// keeps about the current frame. Boxed and parked in a pool between frames of an idle
/// connection (see [`Endpoint::park_input`]): about 1 KB a quiet connection does not hold.
#[derive(Debug)]
struct Frame {
    decoder: Decoder,
    cur: Cur,
}

impl Frame {
    fn new(limits: crate::wire::Limits) -> Box<Self> {
        Box::new(Self {
            decoder: Decoder::new(limits),
            cur: Cur {
                kind: CurKind::Ignore,
                tid: None,
                message: None,
                session: None,
                verdict: None,
                policy: ResponsePolicy::Never,
                is_send: false,
                has_body: false,
                from: Vec::new(),
                to: Vec::new(),
                start: 0,
                received: 0,
                slot: None,
                status: None,
                report_ns: 0,
                range: None,
                content_type: (0, 0),
            },
        })
    }
}

/// What the engine keeps about the frame being received (owned copies: the head's bytes
/// may be compacted away while its body streams).
#[derive(Debug)]
struct Cur {
    kind: CurKind,
    tid: Option<TransactionId>,
    message: Option<MessageId>,
    session: Option<u32>,
    verdict: Option<StatusCode>,
    policy: ResponsePolicy,
    is_send: bool,
    has_body: bool,
    /// Raw From-Path and To-Path values (capacity kept across frames).
    from: Vec<u8>,
    to: Vec<u8>,
    start: u64,
    received: u64,
    slot: Option<usize>,
    status: Option<StatusCode>,
    report_ns: u16,
    range: Option<ByteRange>,
    /// Stream position and length of the Content-Type value of the current head.
    content_type: (u64, u32),
}

/// A received request whose response has not been written out yet: its transaction is
/// still open, so a request reusing its id is a concurrent duplicate (digest P-44).
#[derive(Debug, Clone, Copy)]
struct InTx {
    tid: TransactionId,
    /// End of its response: an offset in `ctrl` until moved, then in the output stream.
    end: u64,
    in_out: bool,
}

#[derive(Debug)]
struct Conn {
    /// Empty while parked: an idle connection holds no input buffer (see
    /// [`Endpoint::park_input`]). Holds the bytes `in_base ..` of the stream up to
    /// `in_end` (initialized further while zero-filled for a read); its front may be
    /// lent out as [`Bytes`] ([`Endpoint::take_received`]), after which it is shorter
    /// than `in_size` until the next read makes room again.
    in_buf: BytesMut,
    /// The buffer's size for reads (0 until the first): starts small, doubles while
    /// reads fill it, up to `Config::recv_buffer`; kept while the buffer is parked.
    in_size: u32,
    /// `EngineLimits::max_outstanding_transactions`: `txs` grows up to it.
    tx_max: u32,
    /// The last read filled all the free input space: double the buffer (up to
    /// `Config::recv_buffer`) before the next read.
    in_grow: bool,
    /// Stream position of `in_buf[0]`.
    in_base: u64,
    in_start: usize,
    in_end: usize,
    /// The decoder and the current frame; `None` while parked (between frames of an idle
    /// connection, see [`Endpoint::park_input`]).
    frame: Option<Box<Frame>>,
    ctrl: Vec<u8>,
    /// Bounded by `EngineLimits::max_outstanding_transactions`.
    open_in: Vec<InTx>,
    /// Output: bytes `out_base ..` of the stream, `out[..out_sent]` written; a pending
    /// splice goes between `out[..at]` and `out[at..]`.
    out: Vec<u8>,
    out_sent: usize,
    out_base: u64,
    /// The message slot whose piece is being written in place on this connection
    /// ([`Splice`], in the slot): at most one per connection, until written.
    spliced: Option<u32>,
    queue: VecDeque<u32>,
    /// The chunk being written, boxed (224 bytes a quiet connection does not hold) and
    /// pooled while no chunk is open.
    open: Option<Box<OpenChunk>>,
    txs: Vec<Option<Tx>>,
    /// Entries of `txs` that are not lingering: the transactions the scheduler waits for.
    tx_count: u32,
    /// No session is bound to it (R4975-039: only such a connection may be closed).
    idle: bool,
    /// Since when it has been idle without traffic; `None` while not idle, or idle but
    /// not yet stamped (see `Endpoint::idle_unstamped`).
    idle_since: Option<Instant>,
    /// When bytes last arrived (a frame that stops mid-way is stalled after
    /// `incoming_idle_timeout`).
    last_rx: Option<Instant>,
    /// The relay client authenticating on this connection, if any (RFC 4976 §5).
    auth: Option<Box<AuthClient>>,
}

impl Conn {
    /// Inside a frame: some of a request or response has arrived but not its end-line.
    fn mid_frame(&self) -> bool {
        self.frame.as_ref().is_some_and(|f| !f.decoder.is_idle()) || self.in_start < self.in_end
    }

    /// Has something to write or to wait for.
    fn busy(&self) -> bool {
        self.out_sent < self.out.len()
            || self.spliced.is_some()
            || !self.ctrl.is_empty()
            || self.tx_count > 0
    }

    /// Its pending splice, with the slot it is in.
    fn splice(&self, outs: &[OutSlot]) -> Option<(usize, Splice)> {
        let k = self.spliced? as usize;
        let s = outs[k].splice;
        debug_assert!(s.is_some(), "a spliced connection's slot holds the splice");
        s.map(|s| (k, s))
    }

    /// Stream position just past everything queued for output (the splice included).
    fn out_end(&self, outs: &[OutSlot]) -> u64 {
        let spliced = self.splice(outs).map_or(0, |(_, s)| u64::from(s.len));
        self.out_base + self.out.len() as u64 + spliced
    }

    /// Removes transaction entry `i`.
    fn drop_tx(&mut self, i: usize) -> Option<Tx> {
        let t = self.txs[i].take()?;
        if !t.lingering {
            self.tx_count -= 1;
        }
        Some(t)
    }

    /// A free entry for a new transaction, evicting the oldest lingering one if needed.
    fn free_tx_entry(&mut self) -> Option<usize> {
        if let Some(i) = self.txs.iter().position(Option::is_none) {
            return Some(i);
        }
        let oldest_lingering = (0..self.txs.len())
            .filter(|&i| self.txs[i].is_some_and(|t| t.lingering))
            .min_by_key(|&i| self.txs[i].map_or(0, |t| t.end_pos));
        // The table grows for transactions that wait for responses; lingering entries
        // (late errors to `partial` chunks) only reuse the room it already has.
        let full = self.txs.len() == self.txs.capacity();
        let max = self.tx_max as usize;
        if self.txs.len() < max && !(full && oldest_lingering.is_some()) {
            grow_within(&mut self.txs, max);
            self.txs.push(None);
            return Some(self.txs.len() - 1);
        }
        let i = oldest_lingering?;
        self.txs[i] = None;
        Some(i)
    }
}

/// An MSRP endpoint: every session and connection, as a sans-IO state machine. See the
/// [module docs](self).
pub struct Endpoint {
    cfg: Arc<Config>,
    rng: Box<dyn RandomSource>,
    conns: Vec<Option<Conn>>,
    sessions: Vec<Option<Session>>,
    outs: Vec<OutSlot>,
    /// The size of a pulled body's piece (`chunk_size` capped by `send_buffer`).
    piece: usize,
    events: VecDeque<Event>,
    /// Bumped by every call that may move or free input bytes; a [`BodyRef`] is valid
    /// only in the generation in which its event was polled.
    generation: u64,
    /// The latest instant any call passed in.
    last_now: Option<Instant>,
    /// Input buffers of connections lost in the current generation whose `Data` events
    /// are still queued: (connection, stream position of `buf[0]`, buffer, end).
    lost_input: Vec<(u32, u64, BytesMut, usize)>,
    /// Some connection became idle in a call without `now` (`add_connection`,
    /// `close_session`): its idle timer starts at the next call that brings the time,
    /// and `poll_timeout` asks for one at once.
    idle_unstamped: bool,
    /// No deadline is earlier than this (`None`: no timer runs). Every place that starts
    /// a timer lowers it ([`arm`]); [`Endpoint::handle_timeout`] recomputes it exactly.
    /// So [`Endpoint::poll_timeout`] costs O(1) however many sessions there are, at the
    /// price of an occasional early wake-up when a deadline moved later.
    next_deadline: Option<Instant>,
    /// Input buffers of parked connections, kept for reuse (at most [`SPARE_BUFFERS`]).
    spare_in: Vec<BytesMut>,
    /// Input buffers whose front is lent out ([`Endpoint::take_received`]) and which
    /// were replaced because views of them were alive: reused once the views are gone,
    /// so a steady stream allocates nothing (at most [`LENT_BUFFERS`], oldest dropped).
    lent: Vec<BytesMut>,
    /// Output buffers likewise.
    spare_out: Vec<Vec<u8>>,
    /// Buffers for pending responses and REPORTs likewise.
    spare_ctrl: Vec<Vec<u8>>,
    /// Frame states (decoder and current frame) of connections between frames, for the
    /// next one that reads. Boxed: they move between a connection and this pool without
    /// being copied or reallocated.
    #[allow(clippy::vec_box)]
    spare_frames: Vec<Box<Frame>>,
    /// Transaction tables, open-response lists and send queues of quiet connections:
    /// a connection with nothing in flight holds none of them.
    spare_txs: Vec<Vec<Option<Tx>>>,
    spare_open_in: Vec<Vec<InTx>>,
    spare_queues: Vec<VecDeque<u32>>,
    #[allow(clippy::vec_box)]
    spare_open: Vec<Box<OpenChunk>>,
    /// The connection last read from: its input buffer is parked at the next mutation
    /// if it holds nothing then.
    park_candidate: Option<u32>,
}

/// Buffers kept for reuse when connections park theirs: traffic that comes and goes on a
/// few connections allocates nothing, while 10 000 idle connections hold no buffers.
const SPARE_BUFFERS: usize = 4;
/// Input buffers with views possibly still alive kept for reuse ([`Endpoint::lent`]).
const LENT_BUFFERS: usize = 8;

/// First size of a connection's input buffer; it doubles up to `Config::recv_buffer`.
const INITIAL_RECV_BUFFER: usize = 4096;

/// Lowers `next` to `at`: a timer that starts now must be seen by `poll_timeout`.
fn arm(next: &mut Option<Instant>, at: Instant) {
    if next.is_none_or(|n| at < n) {
        *next = Some(at);
    }
}

impl core::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Endpoint")
            .field("connections", &self.conns.iter().flatten().count())
            .field("sessions", &self.sessions.iter().flatten().count())
            .field("events", &self.events.len())
            .finish_non_exhaustive()
    }
}

const MIN_ROOM: usize = 256;

impl Endpoint {
    /// A new endpoint. Preallocates the outgoing-message table and the event queue.
    #[must_use]
    pub fn new(config: Arc<Config>) -> Self {
        let rng: Box<dyn RandomSource> = match config.rng_seed {
            Some(seed) => Box::new(SeededRandom::new(seed)),
            None => Box::new(OsRandom),
        };
        let piece = config.chunk_size.min(config.send_buffer).max(1);
        let outs = (0..config.limits.max_outgoing_messages)
            .map(|_| OutSlot {
                msg: None,
                confirmed: RangeSet::with_max(config.limits.max_ranges),
                // Both piece buffers are allocated by the first pulled message that
                // uses the slot, and kept.
                staging: Vec::new(),
                splice: None,
                spare: Vec::new(),
            })
            .collect();
        Self {
            rng,
            conns: Vec::new(),
            sessions: Vec::new(),
            outs,
            piece,
            events: VecDeque::with_capacity(1024),
            generation: 0,
            last_now: None,
            lost_input: Vec::new(),
            idle_unstamped: false,
            next_deadline: None,
            spare_in: Vec::with_capacity(SPARE_BUFFERS),
            lent: Vec::new(),
            spare_out: Vec::with_capacity(SPARE_BUFFERS),
            spare_ctrl: Vec::with_capacity(SPARE_BUFFERS),
            spare_frames: Vec::with_capacity(SPARE_BUFFERS),
            spare_txs: Vec::with_capacity(SPARE_BUFFERS),
            spare_open_in: Vec::with_capacity(SPARE_BUFFERS),
            spare_queues: Vec::with_capacity(SPARE_BUFFERS),
            spare_open: Vec::with_capacity(SPARE_BUFFERS),
            park_candidate: None,
            cfg: config,
        }
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &Config {
        &self.cfg
    }

    /// Heap bytes held by the endpoint's tables, queues and buffers (capacities, not
    /// lengths): what the fuzz bodies compare against the bound the limits promise.
    #[cfg(any(fuzzing, test))]
    pub(crate) fn footprint(&self) -> usize {
        use core::mem::size_of;
        let conns: usize = self
            .conns
            .iter()
            .flatten()
            .map(|c| {
                c.in_buf.capacity()
                    + c.ctrl.capacity()
                    + c.out.capacity()
                    + c.open_in.capacity() * size_of::<InTx>()
                    + c.queue.capacity() * size_of::<u32>()
                    + c.txs.capacity() * size_of::<Option<Tx>>()
                    + c.frame.as_ref().map_or(0, |f| {
                        size_of::<Frame>() + f.cur.from.capacity() + f.cur.to.capacity()
                    })
                    + c.open.as_ref().map_or(0, |_| size_of::<OpenChunk>())
            })
            .sum();
        let sessions: usize = self
            .sessions
            .iter()
            .flatten()
            .map(|s| {
                s.remote.capacity() * size_of::<Uri>()
                    + s.incoming.capacity() * size_of::<InMsg>()
                    + s.incoming
                        .iter()
                        .map(|m| m.ranges.capacity() * 16)
                        .sum::<usize>()
                    + s.done.capacity() * size_of::<Done>()
                    + s.sent.capacity() * size_of::<MessageId>()
            })
            .sum();
        let outs: usize = self
            .outs
            .iter()
            .map(|o| {
                o.staging.capacity()
                    + o.spare.capacity()
                    + o.confirmed.capacity() * 16
                    + size_of::<OutSlot>()
            })
            .sum();
        conns
            + sessions
            + outs
            + self.conns.capacity() * size_of::<Option<Conn>>()
            + self.sessions.capacity() * size_of::<Option<Session>>()
            + self.events.capacity() * size_of::<Event>()
            + self.lost_input.iter().map(|l| l.2.capacity()).sum::<usize>()
            // A pooled input buffer may be the tail of a whole lent-out allocation.
            + (self.spare_in.len() + self.lent.len()) * self.recv_buffer_size()
            + self.spare_out.iter().map(Vec::capacity).sum::<usize>()
            + self.spare_ctrl.iter().map(Vec::capacity).sum::<usize>()
            + self
                .spare_frames
                .iter()
                .map(|f| size_of::<Frame>() + f.cur.from.capacity() + f.cur.to.capacity())
                .sum::<usize>()
            + self
                .spare_txs
                .iter()
                .map(|v| v.capacity() * size_of::<Option<Tx>>())
                .sum::<usize>()
            + self
                .spare_open_in
                .iter()
                .map(|v| v.capacity() * size_of::<InTx>())
                .sum::<usize>()
            + self
                .spare_queues
                .iter()
                .map(|v| v.capacity() * size_of::<u32>())
                .sum::<usize>()
            + self.spare_open.len() * size_of::<OpenChunk>()
    }

    /// The most [`footprint`](Self::footprint) may reach with the current connections
    /// and sessions: every lazily grown table at its limit (twice over, for `Vec`'s
    /// doubling), every buffer taken, the spares full. The limits promise this bound.
    #[cfg(any(fuzzing, test))]
    pub(crate) fn footprint_bound(&self) -> usize {
        use core::mem::size_of;
        let cfg = &self.cfg;
        let lim = &cfg.limits;
        let tx_max = lim.max_outstanding_transactions.max(1);
        let buffers =
            self.recv_buffer_size() + self.send_buffer_capacity() + 2 * self.control_capacity();
        let per_conn = buffers
            + size_of::<Frame>()
            + size_of::<OpenChunk>()
            + 2 * (lim.max_pending_control + 2 * cfg.wire.max_header_bytes)
            + 2 * tx_max * (size_of::<InTx>() + size_of::<Option<Tx>>())
            + 2 * lim.max_outgoing_messages * size_of::<u32>()
            + 4 * cfg.wire.max_header_line;
        let per_session =
            2 * lim.max_incoming_messages * (size_of::<InMsg>() + 2 * lim.max_ranges.max(1) * 16)
                + 2 * lim.duplicate_window * size_of::<Done>()
                + lim.late_report_window * size_of::<MessageId>();
        let conns = self.conns.iter().flatten().count();
        let remote: usize = self
            .sessions
            .iter()
            .flatten()
            .map(|s| s.remote.capacity() * size_of::<Uri>() + per_session)
            .sum();
        let outs: usize = self
            .outs
            .iter()
            .map(|o| 2 * self.piece + o.confirmed.max() * 2 * 16 + size_of::<OutSlot>())
            .sum();
        conns * per_conn
            + remote
            + outs
            + LENT_BUFFERS * self.recv_buffer_size()
            + SPARE_BUFFERS
                * (buffers
                    + size_of::<Frame>()
                    + size_of::<OpenChunk>()
                    + 4 * cfg.wire.max_header_line
                    + 2 * tx_max * (size_of::<InTx>() + size_of::<Option<Tx>>())
                    + 2 * lim.max_outgoing_messages * size_of::<u32>())
            + self.conns.capacity() * size_of::<Option<Conn>>()
            + self.sessions.capacity() * size_of::<Option<Session>>()
            + self.events.capacity() * size_of::<Event>()
            + self
                .lost_input
                .iter()
                .map(|l| l.2.capacity())
                .sum::<usize>()
    }

    /// Registers a transport connection (either direction). Buffers and tables are
    /// taken when traffic needs them and given back when it goes quiet.
    pub fn add_connection(&mut self) -> ConnectionId {
        self.bump();
        let cfg = &self.cfg;
        let tx_max =
            u32::try_from(cfg.limits.max_outstanding_transactions.max(1)).unwrap_or(u32::MAX);
        // Nothing is allocated until the connection carries traffic.
        let conn = Conn {
            in_buf: BytesMut::new(),
            in_size: 0,
            tx_max,
            in_grow: false,
            in_base: 0,
            in_start: 0,
            in_end: 0,
            frame: None,
            ctrl: Vec::new(),
            open_in: Vec::new(),
            out: Vec::new(),
            out_sent: 0,
            out_base: 0,
            spliced: None,
            queue: VecDeque::new(),
            open: None,
            txs: Vec::new(),
            tx_count: 0,
            idle: true,
            idle_since: None,
            last_rx: None,
            auth: None,
        };
        self.idle_unstamped = true;
        // A slot whose lost input queued events still read is not reused yet: their
        // `BodyRef`s name the connection by index.
        let lost = &self.lost_input;
        let free = |(i, c): (usize, &Option<Conn>)| {
            (c.is_none() && !lost.iter().any(|l| l.0 as usize == i)).then_some(i)
        };
        let idx = match self.conns.iter().enumerate().find_map(free) {
            Some(i) => {
                self.conns[i] = Some(conn);
                i
            }
            None => {
                self.conns.push(Some(conn));
                self.conns.len() - 1
            }
        };
        ConnectionId(idx as u32)
    }

    /// Registers a session: its own URI (with a session-id) and the peer's path (next hop
    /// first, the peer's own URI last). With `active = Some(conn)` this side opened
    /// `conn` and binds it at once with a bodiless SEND (R4975-023); with `None` the
    /// session waits for the peer's first request on any connection (R4975-029/030).
    pub fn add_session(
        &mut self,
        local: Uri,
        remote_path: Vec<Uri>,
        active: Option<ConnectionId>,
        now: Instant,
    ) -> Result<SessionId, Error> {
        if local.as_ref().session_id().is_none() || remote_path.is_empty() {
            return Err(Error::BadSession);
        }
        // Our URI identifies this session alone (R4975-178, R4975-180).
        let by_sid = self.cfg.match_session_id_only;
        if self
            .sessions
            .iter()
            .flatten()
            .any(|s| recv::names(&s.local, &local.as_ref(), by_sid))
        {
            return Err(Error::DuplicateSession);
        }
        if let Some(c) = active {
            self.conn_mut(c)?;
        }
        self.observe(now);
        if let Some(c) = active {
            let c = self.conn_mut(c)?;
            c.idle = false;
            c.idle_since = None;
        }
        // The incoming-message table and the duplicate window grow with use, up to
        // their limits: an idle session holds neither.
        let s = Session {
            local,
            remote: remote_path,
            conn: active.map(|c| c.0),
            incoming: Vec::new(),
            done: VecDeque::new(),
            sent: VecDeque::new(),
            created: now,
        };
        let idx = match self.sessions.iter().position(Option::is_none) {
            Some(i) => {
                self.sessions[i] = Some(s);
                i
            }
            None => {
                self.sessions.push(Some(s));
                self.sessions.len() - 1
            }
        };
        let sid = SessionId(idx as u32);
        if active.is_none() {
            arm(&mut self.next_deadline, now + self.cfg.binding_timeout);
        }
        if let Some(c) = active {
            let id = MessageId::generate(&mut *self.rng);
            let slot = self
                .alloc_out(sid, id, None, None, SuccessReport::No, FailureReport::Yes)
                .map_err(|_| Error::BadSession)?;
            self.enqueue(c.0, slot);
        }
        Ok(sid)
    }

    /// The local URI of a session.
    #[must_use]
    pub fn session_uri(&self, session: SessionId) -> Option<&Uri> {
        self.session(session.0).map(|s| &s.local)
    }

    /// The connection a session is bound to, if any.
    #[must_use]
    pub fn session_connection(&self, session: SessionId) -> Option<ConnectionId> {
        self.session(session.0)
            .and_then(|s| s.conn)
            .map(ConnectionId)
    }

    /// Queues a message on a session and returns its Message-ID. A pulled body is
    /// requested at once with [`Event::BodyWanted`]. A passive session holds its
    /// messages until the peer binds a connection (R4975-024).
    pub fn send_message(
        &mut self,
        session: SessionId,
        msg: OutgoingMessage,
    ) -> Result<MessageId, SendError> {
        if self.session(session.0).is_none() {
            return Err(SendError::UnknownSession);
        }
        let id = msg
            .message_id
            .unwrap_or_else(|| MessageId::generate(&mut *self.rng));
        let whole = match msg.body {
            OutBody::Whole(b) => Some(b),
            OutBody::Pulled => None,
        };
        let slot = self.alloc_out(
            session,
            id,
            Some(msg.content_type),
            whole,
            msg.success_report,
            msg.failure_report,
        )?;
        if let Some(m) = self.outs[slot as usize].msg.as_mut()
            && m.whole.is_none()
        {
            m.total = msg.total;
        }
        self.want_body(slot);
        if let Some(c) = self.session(session.0).and_then(|s| s.conn) {
            self.enqueue(c, slot);
        }
        Ok(id)
    }

    /// Gives the engine body bytes of a pulled message; returns how many were taken (at
    /// most the `max` of the last [`Event::BodyWanted`]; 0 while the previous piece is
    /// still waiting its turn). Another `BodyWanted` follows when there is room again,
    /// usually while this piece is being written. Copies `data`: to fill the engine's
    /// buffer in place instead, use [`lend_body_buf`](Self::lend_body_buf).
    pub fn write_body(&mut self, message: MessageId, data: &[u8]) -> Result<usize, Error> {
        let piece = self.piece;
        let slot = self.find_out(message).ok_or(Error::UnknownMessage)?;
        let OutSlot { msg, spare, .. } = &mut self.outs[slot];
        let m = msg.as_mut().ok_or(Error::UnknownMessage)?;
        if m.whole.is_some() || m.eof {
            return Err(Error::UnknownMessage);
        }
        if m.lent || m.spare_len.is_some() {
            return Ok(0);
        }
        let n = data.len().min(piece);
        spare.clear();
        spare.reserve_exact(piece);
        spare.extend_from_slice(&data[..n]);
        if n > 0 {
            m.spare_len = Some(n);
            m.wanted = false;
        }
        self.promote(slot);
        Ok(n)
    }

    /// Lends the buffer for the next piece of a pulled message's body, after
    /// [`Event::BodyWanted`]: `max` bytes long (their content is stale). Fill a prefix
    /// (say, read a file into it) and hand it back with
    /// [`give_body`](Self::give_body): the bytes reach the wire without another copy.
    ///
    /// # Errors
    /// `UnknownMessage` for a message that is not a pulled one still taking body, or
    /// whose buffer is lent or still full (wait for the next `BodyWanted`).
    pub fn lend_body_buf(&mut self, message: MessageId) -> Result<Vec<u8>, Error> {
        let piece = self.piece;
        let slot = self.find_out(message).ok_or(Error::UnknownMessage)?;
        let OutSlot { msg, spare, .. } = &mut self.outs[slot];
        let m = msg.as_mut().ok_or(Error::UnknownMessage)?;
        if m.whole.is_some() || m.eof || m.lent || m.spare_len.is_some() {
            return Err(Error::UnknownMessage);
        }
        m.lent = true;
        // Stale bytes stay: only a buffer never filled so far is zeroed (once).
        spare.resize(piece, 0);
        Ok(std::mem::take(spare))
    }

    /// Takes back the buffer [`lend_body_buf`](Self::lend_body_buf) lent, with its first
    /// `n` bytes as the next piece of the body (`n` = 0: nothing this time; end the body
    /// with [`end_body`](Self::end_body)).
    ///
    /// # Errors
    /// `UnknownMessage` if the message is gone, was ended meanwhile
    /// ([`end_body`](Self::end_body) fixes its length) or nothing was lent for it,
    /// `TooManyBytes` if `n` exceeds the buffer or the `max` of `BodyWanted` (nothing is
    /// taken; lend again). The buffer is dropped on error.
    pub fn give_body(&mut self, message: MessageId, buf: Vec<u8>, n: usize) -> Result<(), Error> {
        let slot = self.find_out(message).ok_or(Error::UnknownMessage)?;
        let OutSlot { msg, spare, .. } = &mut self.outs[slot];
        let m = msg.as_mut().ok_or(Error::UnknownMessage)?;
        if !m.lent {
            return Err(Error::UnknownMessage);
        }
        m.lent = false;
        if m.eof {
            // Ended meanwhile: its length is fixed, these bytes are not part of it.
            return Err(Error::UnknownMessage);
        }
        if n > buf.len().min(self.piece) {
            return Err(Error::TooManyBytes);
        }
        *spare = buf;
        // The memory bound counts one piece here: a buffer grown by the application
        // goes back to that size.
        spare.truncate(self.piece);
        spare.shrink_to(self.piece);
        if n > 0 {
            m.spare_len = Some(n);
            m.wanted = false;
        }
        self.promote(slot);
        Ok(())
    }

    /// Ends the body of a pulled message.
    pub fn end_body(&mut self, message: MessageId) -> Result<(), Error> {
        let slot = self.find_out(message).ok_or(Error::UnknownMessage)?;
        let OutSlot { msg, staging, .. } = &mut self.outs[slot];
        let m = msg.as_mut().ok_or(Error::UnknownMessage)?;
        if m.whole.is_some() {
            return Err(Error::UnknownMessage);
        }
        m.eof = true;
        m.wanted = false;
        let total = m.sent + (staging.len() - m.staged_pos + m.spare_len.unwrap_or(0)) as u64;
        m.total = Some(total);
        Ok(())
    }

    /// Stops sending a message: a chunk in flight ends with `#` (R4975-081), no outcome
    /// event follows.
    pub fn abort_message(&mut self, message: MessageId) -> Result<(), Error> {
        let slot = self.find_out(message).ok_or(Error::UnknownMessage)?;
        self.free_out(slot);
        Ok(())
    }

    /// Rejects an incoming message the application learnt was bad after it was answered
    /// (RFC 4975 §7.1.4, R4975-133): a failure REPORT with `status` goes to the peer
    /// when the message's `Failure-Report` allows one (`yes` or `partial`; never for
    /// `no`, R4975-134), and further chunks of it are answered with `status`.
    ///
    /// Works for a message still arriving (its Byte-Range is `1-<last octet received>/
    /// <declared total or *>`, R4975-137, and later chunks are refused) and for one
    /// already received that is still in the session's duplicate window
    /// ([`EngineLimits::duplicate_window`]; range `1-len/len`). Rejecting twice sends one
    /// REPORT. The REPORT's To-Path is the session's remote path (the SEND's From-Path
    /// under RFC 4976 routing; the engine does not keep each request's From-Path), its
    /// From-Path the session URI. Nothing is sent while the session is not bound
    /// (R4975-126).
    ///
    /// Errors: `NotAnError` for a 1xx/2xx `status`, `UnknownSession`, `UnknownMessage`
    /// (never seen, or forgotten), `ControlQueueFull` (nothing changed; retry after
    /// writing pending output).
    pub fn reject_message(
        &mut self,
        session: SessionId,
        message: MessageId,
        status: StatusCode,
    ) -> Result<(), Error> {
        if !(400..=999).contains(&status.0) {
            return Err(Error::NotAnError);
        }
        let max_ctrl = self.cfg.limits.max_pending_control;
        let window = self.cfg.limits.duplicate_window;
        let s = self
            .sessions
            .get(session.0 as usize)
            .and_then(Option::as_ref)
            .ok_or(Error::UnknownSession)?;
        let conn = s.conn;
        if let Some(c) = conn.and_then(|c| self.conns.get(c as usize)?.as_ref())
            && c.ctrl.len() >= max_ctrl
        {
            return Err(Error::ControlQueueFull);
        }
        if let Some(i) = s.incoming.iter().position(|m| m.active && m.id == message) {
            self.refuse_incoming(session.0 as usize, i, status);
            return Ok(());
        }
        let Some(d) = s.done_index(message).map(|i| s.done[i]) else {
            return Err(Error::UnknownMessage);
        };
        if d.rejected.is_some() {
            return Ok(());
        }
        let s = self.sessions[session.0 as usize].as_mut().expect("checked");
        s.remember(
            Done {
                rejected: Some(status),
                ..d
            },
            window,
        );
        if d.policy != ResponsePolicy::Never
            && let Some(ci) = conn
        {
            self.failure_report(
                ci as usize,
                session.0 as usize,
                message,
                ByteRange::whole(d.len),
                status,
            );
        }
        Ok(())
    }

    /// Gives up on incoming message `slot` of session `si` with `status` (the caller
    /// reports it to the application): a chunk of it still streaming stops producing
    /// data and is answered with `status`; later chunks are refused with `status` while
    /// the Message-ID stays in the duplicate window; a failure REPORT covering what
    /// arrived (`1-<last octet>/<total or *>`, R4975-137) tells the peer, when the
    /// message's Failure-Report allows one (R4975-133/-134) and the session is bound
    /// (R4975-126). Its own REPORT is skipped if the control queue is full (a caller
    /// that must know checks first).
    fn refuse_incoming(&mut self, si: usize, slot: usize, status: StatusCode) {
        let (window, max_ctrl) = (
            self.cfg.limits.duplicate_window,
            self.cfg.limits.max_pending_control,
        );
        let Some(s) = self.sessions.get_mut(si).and_then(Option::as_mut) else {
            return;
        };
        let m = &mut s.incoming[slot];
        m.active = false;
        let (first, last) = match (m.ranges.as_slice().first(), m.ranges.as_slice().last()) {
            (Some(&(a, _)), Some(&(_, b))) => (a, b),
            _ => (0, 0),
        };
        let range = ByteRange {
            start: first + 1,
            end: Some(last),
            total: m.len.or(m.declared),
        };
        let (id, policy, conn) = (m.id, m.policy, s.conn);
        s.remember(
            Done {
                id,
                len: last,
                policy,
                rejected: Some(status),
            },
            window,
        );
        let Some(c) = conn.and_then(|c| self.conns.get_mut(c as usize)?.as_mut()) else {
            return;
        };
        if let Some(cur) = c.frame.as_mut().map(|f| &mut f.cur)
            && cur.kind == CurKind::Send
            && cur.session == Some(si as u32)
            && cur.slot == Some(slot)
        {
            cur.slot = None;
            cur.verdict = Some(status);
        }
        if policy != ResponsePolicy::Never && c.ctrl.len() < max_ctrl {
            self.failure_report(conn.expect("bound") as usize, si, id, range, status);
        }
    }

    /// Ends a session locally: its queued messages are dropped without events and
    /// requests for it get 481 from now on. The connection stays open (R4975-039).
    pub fn close_session(&mut self, session: SessionId) -> Result<(), Error> {
        if self.session(session.0).is_none() {
            return Err(Error::UnknownSession);
        }
        for i in 0..self.outs.len() {
            if self.outs[i]
                .msg
                .as_ref()
                .is_some_and(|m| m.session == session.0)
            {
                self.free_out(i);
            }
        }
        // Written `partial` chunks kept for late error responses (R4975-096) go too: an
        // error arriving after the close must not raise an event for a session id that
        // may already name a new session.
        for ci in self.conns_of(session.0) {
            let Some(c) = self.conns[ci].as_mut() else {
                continue;
            };
            for i in 0..c.txs.len() {
                if c.txs[i].is_some_and(|t| t.session == session.0) {
                    c.drop_tx(i);
                }
            }
        }
        let conn = self.sessions[session.0 as usize]
            .take()
            .and_then(|s| s.conn);
        if let Some(c) = conn {
            self.refresh_idle(c);
        }
        Ok(())
    }

    /// Closes a connection locally: every session bound to it fails
    /// ([`ConnectionError::LocallyClosed`]).
    pub fn close_connection(&mut self, conn: ConnectionId) -> Result<(), Error> {
        self.bump();
        self.conn_mut(conn)?;
        self.lose_connection(conn.0, ConnectionError::LocallyClosed);
        Ok(())
    }

    // -----------------------------------------------------------------------------------
    // Input

    /// The transport had nothing to read after all (`WouldBlock` on a read into
    /// [`recv_buf`](Self::recv_buf)): gives the input buffer back if it holds nothing, so
    /// an idle connection keeps none. A mutation (earlier [`BodyRef`]s become invalid).
    ///
    /// # Errors
    /// An unknown connection.
    pub fn release_recv_buf(&mut self, conn: ConnectionId) -> Result<(), Error> {
        self.conn_mut(conn)?;
        self.bump();
        self.park_input(conn.0);
        Ok(())
    }

    /// The free part of a connection's input buffer: read socket bytes into it, then call
    /// [`handle_read`](Self::handle_read). Compacts the buffer first (this is a
    /// mutation: earlier [`BodyRef`]s become invalid). Empty when the buffer is full
    /// because the engine is waiting for the peer to read (back-pressure).
    pub fn recv_buf(&mut self, conn: ConnectionId) -> Result<&mut [u8], Error> {
        self.bump();
        let room = self.input_room(conn)?;
        let c = self.conn_mut(conn)?;
        let want = c.in_end + room;
        if c.in_buf.len() < want {
            // Fresh room (a new buffer, or one whose front was lent out) is zeroed once.
            c.in_buf.resize(want, 0);
        }
        Ok(&mut c.in_buf[c.in_end..want])
    }

    /// Makes room for input on `conn` and returns how much there is: drops consumed
    /// bytes no queued event points at, takes a buffer if the connection was parked,
    /// grows it while reads fill it, and gets its capacity back after the front was
    /// lent out (reusing the allocation once every view of it is dropped). The room may
    /// be uninitialized beyond `in_buf.len()`.
    fn input_room(&mut self, conn: ConnectionId) -> Result<usize, Error> {
        self.compact(conn.0)?;
        let size = self.recv_buffer_size();
        let spare = &mut self.spare_in;
        let lent = &mut self.lent;
        let c = self
            .conns
            .get_mut(conn.0 as usize)
            .and_then(Option::as_mut)
            .ok_or(Error::UnknownConnection)?;
        if c.in_buf.capacity() == 0 {
            c.in_buf = spare.pop().unwrap_or_default();
        }
        let mut in_size = c.in_size as usize;
        if in_size == 0 {
            // A new connection starts small (an idle chat connection never needs more);
            // one that parked between reads keeps the size it grew to.
            in_size = size.min(INITIAL_RECV_BUFFER);
        }
        // Grow while reads fill the buffer or a frame head does not fit.
        let full = c.in_end == in_size;
        let grows = (c.in_grow || full) && in_size < size;
        if grows {
            in_size = (2 * in_size).min(size);
        }
        c.in_grow = false;
        c.in_size = in_size as u32;
        // What is left behind a lent-out front serves until it runs low (an allocation
        // is filled before the next is taken); then the buffer gets its size back.
        let needed = (in_size - c.in_end).min(in_size / 4);
        if c.in_buf.capacity() - c.in_end < needed {
            c.in_buf.truncate(c.in_end);
            if !c.in_buf.try_reclaim(in_size - c.in_end) {
                // Views of this allocation are alive (its front was lent out), or it is
                // too small: go on in a lent buffer whose views are all gone, or a new
                // one of exactly the size (never more than the limits promise), and
                // keep this one until its views are gone.
                let reusable = lent.iter_mut().position(|b| b.try_reclaim(in_size));
                let mut fresh = match reusable {
                    Some(i) => lent.swap_remove(i),
                    None => BytesMut::with_capacity(in_size),
                };
                fresh.extend_from_slice(&c.in_buf);
                let mut old = core::mem::replace(&mut c.in_buf, fresh);
                old.clear();
                if !grows && old.capacity() > 0 {
                    if lent.len() == LENT_BUFFERS {
                        lent.remove(0);
                    }
                    lent.push(old);
                }
            }
        }
        Ok(input_room_of(c))
    }

    /// Whether [`recv_buf`](Self::recv_buf) would offer room to read into, without
    /// taking a buffer for the connection (an idle connection holds none): ask this
    /// before waiting for the socket to become readable.
    pub fn can_read(&self, conn: ConnectionId) -> Result<bool, Error> {
        let c = self
            .conns
            .get(conn.0 as usize)
            .and_then(Option::as_ref)
            .ok_or(Error::UnknownConnection)?;
        let held = self
            .events
            .iter()
            .any(|e| matches!(e, Event::Data { body, .. } if body.conn == conn.0));
        let in_size = c.in_size as usize;
        let grows = in_size < self.recv_buffer_size();
        Ok(c.in_buf.capacity() == 0 || c.in_end < in_size || grows || (c.in_start > 0 && !held))
    }

    /// `n` bytes were read into [`recv_buf`](Self::recv_buf): decode them.
    pub fn handle_read(&mut self, conn: ConnectionId, now: Instant, n: usize) -> Result<(), Error> {
        self.bump();
        self.observe(now);
        if n > 0 {
            arm(
                &mut self.next_deadline,
                now + self.cfg.connection_idle_timeout,
            );
        }
        let c = self.conn_mut(conn)?;
        let room = input_room_of(c);
        if n > room || c.in_end + n > c.in_buf.len() {
            return Err(Error::TooManyBytes);
        }
        c.in_grow = n > 0 && n == room;
        c.in_end += n;
        if n > 0 {
            c.last_rx = Some(now);
            if c.idle {
                c.idle_since = Some(now);
            }
        }
        self.process_input(conn.0, now);
        self.park_candidate = Some(conn.0);
        Ok(())
    }

    /// Copies as much of `data` as fits into the input buffer and decodes it; returns how
    /// many bytes were taken (feed the rest after draining transmits and events).
    pub fn handle_input(
        &mut self,
        conn: ConnectionId,
        now: Instant,
        data: &[u8],
    ) -> Result<usize, Error> {
        self.bump();
        let room = self.input_room(conn)?;
        let n = room.min(data.len());
        let c = self.conn_mut(conn)?;
        // Appended, not copied over zeroed room: one pass over the bytes.
        c.in_buf.truncate(c.in_end);
        c.in_buf.extend_from_slice(&data[..n]);
        self.handle_read(conn, now, n)?;
        Ok(n)
    }

    /// The peer closed its side: the connection is lost (cleanly between messages,
    /// [`ConnectionError::Truncated`] inside one).
    pub fn handle_eof(&mut self, conn: ConnectionId, now: Instant) -> Result<(), Error> {
        self.bump();
        self.observe(now);
        let c = self.conn_mut(conn)?;
        let rest = &c.in_buf[c.in_start..c.in_end];
        let clean = match &c.frame {
            Some(f) => f.decoder.finish(rest).is_ok(),
            // Parked: idle between frames.
            None => rest.is_empty(),
        };
        let reason = if clean {
            ConnectionError::Closed
        } else {
            ConnectionError::Truncated
        };
        self.lose_connection(conn.0, reason);
        Ok(())
    }

    /// The body bytes of an [`Event::Data`] (or the Content-Type value of an
    /// [`Event::MessageStarted`]) just polled; `None` if the reference is stale (a
    /// mutation happened since it was polled: `recv_buf`, `handle_*`, `transmit_done`,
    /// `add_connection`, `close_connection`) or was never polled.
    #[must_use]
    pub fn received_body(&self, body: BodyRef) -> Option<&[u8]> {
        if body.generation != self.generation {
            return None;
        }
        let (base, buf, in_end) = match self.conns.get(body.conn as usize) {
            Some(Some(c)) => (c.in_base, &c.in_buf[..], c.in_end),
            _ => {
                let (_, base, buf, end) = self.lost_input.iter().find(|l| l.0 == body.conn)?;
                (*base, &buf[..], *end)
            }
        };
        let start = usize::try_from(body.pos.checked_sub(base)?).ok()?;
        let end = start.checked_add(body.len as usize)?;
        if end > in_end {
            return None;
        }
        buf.get(start..end)
    }

    /// The bytes of `body` (as [`received_body`](Self::received_body) gives them) as a
    /// [`Bytes`] view of the input buffer, without copying them: the buffer's front up
    /// to the end of `body` goes with the view, and the engine reads on into the rest,
    /// or into a new buffer while views of the old one are alive (its allocation is
    /// reused once they are all dropped). Take the events' bodies in the order they were
    /// polled. `None` when [`received_body`](Self::received_body) would say `None`, or
    /// for a connection that was lost meanwhile: copy those bytes instead.
    ///
    /// A view keeps its whole buffer (up to `Config::recv_buffer`) alive: copy small
    /// pieces an application keeps for long.
    pub fn take_received(&mut self, body: BodyRef) -> Option<Bytes> {
        if body.generation != self.generation {
            return None;
        }
        let c = self.conns.get_mut(body.conn as usize)?.as_mut()?;
        let start = usize::try_from(body.pos.checked_sub(c.in_base)?).ok()?;
        let end = start.checked_add(body.len as usize)?;
        // Only bytes the decoder is done with.
        if end > c.in_start {
            return None;
        }
        let front = c.in_buf.split_to(end);
        c.in_base += end as u64;
        c.in_start -= end;
        c.in_end -= end;
        if c.in_buf.capacity() == 0 {
            // All of it lent out: the empty rest still names the allocation, so it is
            // kept to reuse the allocation once the views are gone.
            let rest = core::mem::take(&mut c.in_buf);
            if self.lent.len() == LENT_BUFFERS {
                self.lent.remove(0);
            }
            self.lent.push(rest);
        }
        Some(front.freeze().slice(start..))
    }

    // -----------------------------------------------------------------------------------
    // Output

    /// The next event, if any. Changes after every `handle_*`, `poll_transmit`,
    /// `transmit_done` and command.
    pub fn poll_event(&mut self) -> Option<Event> {
        let mut ev = self.events.pop_front()?;
        if let Event::Data { body, .. }
        | Event::MessageStarted {
            content_type: body, ..
        } = &mut ev
        {
            body.generation = self.generation;
        }
        Some(ev)
    }

    /// Bytes to write on `conn`, if any: write (part of) them, then call
    /// [`transmit_done`](Self::transmit_done). Refills lazily from the control queue and
    /// the message scheduler. Changes after every input, command and `transmit_done`.
    pub fn poll_transmit(&mut self, conn: ConnectionId) -> Option<&[u8]> {
        let c = self.conns.get(conn.0 as usize)?.as_ref()?;
        if c.out_sent == c.out.len() && c.spliced.is_none() {
            self.fill(conn.0 as usize);
        }
        let c = self.conns.get(conn.0 as usize)?.as_ref()?;
        let rest = match c.splice(&self.outs) {
            Some((k, s)) if c.out_sent == s.at as usize => {
                let (from, to) = (s.start + s.sent, s.start + s.len);
                &self.outs[k].staging[from as usize..to as usize]
            }
            Some((_, s)) => &c.out[c.out_sent..s.at as usize],
            None => &c.out[c.out_sent..],
        };
        (!rest.is_empty()).then_some(rest)
    }

    /// `n` bytes of what [`poll_transmit`](Self::poll_transmit) returned were written.
    /// Starts the transaction timers of requests whose last byte is now written
    /// (R4975-095), and resumes decoding paused by back-pressure.
    pub fn transmit_done(
        &mut self,
        conn: ConnectionId,
        now: Instant,
        n: usize,
    ) -> Result<(), Error> {
        self.bump();
        self.observe(now);
        let timeout = self.cfg.transaction_timeout;
        if n > 0 {
            // An idle connection's timer restarts (a lower bound if it is not idle).
            arm(
                &mut self.next_deadline,
                now + self.cfg.connection_idle_timeout,
            );
        }
        let Self { conns, outs, .. } = self;
        let c = conns
            .get_mut(conn.0 as usize)
            .and_then(Option::as_mut)
            .ok_or(Error::UnknownConnection)?;
        // What `poll_transmit` offered: the splice, or the buffer up to it.
        let splice = c.splice(outs);
        let (offered, in_splice) = match splice {
            Some((_, s)) if c.out_sent == s.at as usize => ((s.len - s.sent) as usize, true),
            Some((_, s)) => (s.at as usize - c.out_sent, false),
            None => (c.out.len() - c.out_sent, false),
        };
        if n > offered {
            return Err(Error::TooManyBytes);
        }
        let mut unpinned = None;
        let mut splice_sent = 0;
        match splice {
            Some((k, s)) if in_splice => {
                let sent = s.sent + n as u32; // n ≤ len - sent: fits
                if sent == s.len {
                    // Written: `out[at..]` now starts `len` bytes further on.
                    c.out_base += u64::from(s.len);
                    unpinned = Some(k);
                    c.spliced = None;
                } else {
                    outs[k].splice = Some(Splice { sent, ..s });
                    splice_sent = sent;
                }
            }
            _ => c.out_sent += n,
        }
        if n > 0 && c.idle {
            c.idle_since = Some(now);
        }
        let flushed = c.out_base + c.out_sent as u64 + u64::from(splice_sent);
        c.open_in.retain(|t| !t.in_out || t.end > flushed);
        if c.out_sent == c.out.len() && c.spliced.is_none() {
            c.out_base += c.out.len() as u64;
            c.out.clear();
            c.out_sent = 0;
        }
        let ci = conn.0 as usize;
        let ntx = c.txs.len();
        for i in 0..ntx {
            let Some(c) = self.conns[ci].as_mut() else {
                break;
            };
            let Some(tx) = c.txs[i].as_mut() else {
                continue;
            };
            if tx.flushed || tx.end_pos > flushed {
                continue;
            }
            tx.flushed = true;
            if tx.expect_response {
                tx.deadline = Some(now + timeout);
                arm(&mut self.next_deadline, now + timeout);
            }
            let tx = *tx;
            if !tx.expect_response {
                if tx.keep {
                    // `partial`: only an error can come back; keep it, but stop counting it.
                    if let Some(t) = c.txs[i].as_mut() {
                        t.lingering = true;
                    }
                    c.tx_count -= 1;
                } else {
                    // `Failure-Report: no`: nothing can come back for this chunk.
                    c.drop_tx(i);
                }
            }
            if tx.last_chunk
                && let Some(m) = self.outs[tx.slot as usize].msg.as_mut()
                && m.id == tx.message
            {
                m.flushed_all = true;
                self.check_out(tx.slot as usize);
            }
        }
        if let Some(slot) = unpinned {
            self.unpin(slot);
        }
        self.park_output(ci);
        self.process_input(conn.0, now);
        self.park_candidate = Some(conn.0);
        Ok(())
    }

    /// The earliest deadline, if any: transaction timers, idle incoming messages,
    /// stalled frames, passive binding timeouts and idle connections. It may be the
    /// latest time the endpoint was given (already due) when a command without a time
    /// (`add_connection`, `close_session`) started an idle timer: call
    /// [`handle_timeout`](Self::handle_timeout) with the current time then. Changes after
    /// every input, command and `transmit_done`.
    ///
    /// O(1) whatever the number of sessions: it is a lower bound kept as timers start,
    /// never later than the real next deadline but possibly earlier when a timer moved
    /// later or stopped (a response arrived, traffic refreshed an idle timer). Waking at
    /// such an instant is harmless: `handle_timeout` then fires nothing and makes the
    /// bound exact again with the only full scan of every timer.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        let mut best = self.next_deadline;
        if self.idle_unstamped
            && let Some(t) = self.last_now
        {
            arm(&mut best, t); // an idle timer to start: call `handle_timeout` with the time
        }
        // Every timer started was armed (checked where a full scan is cheap).
        if cfg!(debug_assertions) && self.conns.len() + self.sessions.len() < 64 {
            let exact = self.scan_deadlines();
            assert!(
                exact.is_none_or(|e| best.is_some_and(|b| b <= e)),
                "a timer at {exact:?} was not armed (next {best:?})"
            );
        }
        best
    }

    /// The earliest deadline of every timer, by a full scan.
    fn scan_deadlines(&self) -> Option<Instant> {
        let mut best: Option<Instant> = None;
        let mut consider = |t: Instant| {
            if best.is_none_or(|b| t < b) {
                best = Some(t);
            }
        };
        for c in self.conns.iter().flatten() {
            for tx in c.txs.iter().flatten() {
                if let Some(d) = tx.deadline {
                    consider(d);
                }
            }
        }
        let cfg = &self.cfg;
        for c in self.conns.iter().flatten() {
            if let Some(t) = c.idle_since {
                consider(t + cfg.connection_idle_timeout);
            }
            if let Some(t) = c.auth.as_ref().and_then(|a| a.poll_timeout()) {
                consider(t);
            }
            if let Some(t) = c.last_rx.filter(|_| c.mid_frame()) {
                consider(t + cfg.incoming_idle_timeout);
            }
        }
        for (si, s) in self.sessions.iter().enumerate() {
            let Some(s) = s else { continue };
            if s.conn.is_none() {
                consider(s.created + cfg.binding_timeout);
            }
            // The message streaming now has its connection's stall timer instead.
            let streaming = self.streaming_slot(si);
            for (i, m) in s.incoming.iter().enumerate() {
                if m.active && streaming != Some(i) {
                    consider(m.last + cfg.incoming_idle_timeout);
                }
            }
        }
        best
    }

    /// The incoming message of session `si` whose chunk is streaming on its connection
    /// right now (its index in `incoming`): its idleness is the connection's business
    /// (`incoming_idle_timeout` after the last byte, a stalled frame).
    fn streaming_slot(&self, si: usize) -> Option<usize> {
        let s = self.sessions.get(si)?.as_ref()?;
        let cur = &self
            .conns
            .get(s.conn? as usize)?
            .as_ref()?
            .frame
            .as_ref()?
            .cur;
        (cur.kind == CurKind::Send && cur.session == Some(si as u32))
            .then_some(cur.slot)
            .flatten()
    }

    /// Runs every timer due at `now`. Calling it early or twice does nothing.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.bump();
        self.observe(now);
        // Connections first: a stalled frame or an idle connection goes before the
        // messages and sessions it would take with it.
        let (idle, stall) = (
            self.cfg.connection_idle_timeout,
            self.cfg.incoming_idle_timeout,
        );
        for ci in 0..self.conns.len() {
            let Some(c) = self.conns[ci].as_mut() else {
                continue;
            };
            if c.last_rx.is_some_and(|t| t + stall <= now) && c.mid_frame() {
                self.lose_connection(ci as u32, ConnectionError::Stalled);
                continue;
            }
            if c.idle_since.is_some_and(|t| t + idle <= now) {
                if c.busy() {
                    c.idle_since = Some(now); // let it finish what it is writing
                } else {
                    self.lose_connection(ci as u32, ConnectionError::Idle);
                }
            }
        }
        for ci in 0..self.conns.len() {
            let Some(c) = self.conns[ci].as_mut() else {
                continue;
            };
            if let Some(a) = c.auth.as_mut() {
                let ev = a.handle_timeout(now);
                self.auth_progress(ci as u32, now, ev.as_ref());
            }
        }
        let binding = self.cfg.binding_timeout;
        for si in 0..self.sessions.len() {
            if self.sessions[si]
                .as_ref()
                .is_some_and(|s| s.conn.is_none() && s.created + binding <= now)
            {
                self.fail_session(
                    si,
                    SessionError::BindingTimeout,
                    StatusCode::REQUEST_TIMEOUT,
                );
            }
        }
        for ci in 0..self.conns.len() {
            let ntx = self.conns[ci].as_ref().map_or(0, |c| c.txs.len());
            for i in 0..ntx {
                let Some(c) = self.conns[ci].as_mut() else {
                    break;
                };
                let Some(tx) = c.txs[i] else { continue };
                if tx.deadline.is_some_and(|d| d <= now) {
                    c.drop_tx(i);
                    self.fail_out(
                        tx.slot as usize,
                        tx.message,
                        StatusCode::REQUEST_TIMEOUT,
                        true,
                    );
                }
            }
        }
        let idle = self.cfg.incoming_idle_timeout;
        for si in 0..self.sessions.len() {
            // The message whose chunk is streaming now is the connection's business.
            let streaming = self.streaming_slot(si);
            // Given up: the peer is told with a failure REPORT 413 "stop sending" and
            // later chunks get 413, so a sender never takes 200s for delivery of a
            // message the receiver dropped (found by the `engine` fuzz target).
            while let Some((i, id)) = self.sessions[si].as_ref().and_then(|s| {
                s.incoming
                    .iter()
                    .enumerate()
                    .find(|&(i, m)| m.active && streaming != Some(i) && m.last + idle <= now)
                    .map(|(i, m)| (i, m.id))
            }) {
                self.refuse_incoming(si, i, StatusCode::STOP_SENDING);
                self.events.push_back(Event::MessageAborted {
                    session: SessionId(si as u32),
                    message: id,
                    reason: AbortReason::Idle,
                });
            }
        }
        // A session that failed above left its connection idle: its idle timer starts
        // now, not at a later call (else `poll_timeout` would stay due at `now`).
        self.observe(now);
        // The only full scan: timers that moved later since they were armed.
        self.next_deadline = self.scan_deadlines();
    }

    // -----------------------------------------------------------------------------------
    // Relays (RFC 4976 §5)

    /// Authenticates to the relay(s) of `config` over `conn`, a connection to the first
    /// of them (over TLS: RFC 4976 §9.2 allows AUTH nowhere else, R4976-051; see
    /// [`AuthConfig::allow_plain_tcp`]). The AUTH requests go out with the connection's
    /// other output; 401 challenges are answered with Digest credentials, 423 with an
    /// adjusted Expires; the result is [`Event::RelayAuthenticated`] or
    /// [`Event::RelayAuthFailed`]. The engine re-AUTHs before the granted lifetime ends.
    /// A connection with a relay client is never closed as idle.
    ///
    /// Sessions then use the route: To-Path = [`relay_use_path`](Self::relay_use_path)
    /// followed by the peer's SDP path (R4976-014), our `a=path` =
    /// [`relay_sdp_path`](Self::relay_sdp_path) (R4976-015); pass `Some(conn)` as the
    /// session's connection whether or not SDP made us active (R6135-014). Requests
    /// arriving through the relay carry the relays in From-Path: the engine never
    /// compares From-Path with SDP.
    ///
    /// # Errors
    /// An unknown connection; [`Error::Auth`] for a configuration the relay client
    /// refuses (no relays, plain TCP without `allow_plain_tcp`).
    pub fn authenticate_relay(
        &mut self,
        conn: ConnectionId,
        config: AuthConfig,
        now: Instant,
    ) -> Result<(), Error> {
        self.bump();
        self.observe(now);
        let client = AuthClient::new(config).map_err(Error::Auth)?;
        let c = self.conn_mut(conn)?;
        c.auth = Some(Box::new(client));
        // It has a user now: no idle timer (R4975-039 concerns sessions; a relay
        // connection must outlive the gaps between them).
        c.idle = false;
        c.idle_since = None;
        self.auth_progress(conn.0, now, None);
        Ok(())
    }

    /// The Use-Path the relays granted on `conn` (next hop first): the front of every
    /// To-Path through them (R4976-014). `None` until authenticated.
    #[must_use]
    pub fn relay_use_path(&self, conn: ConnectionId) -> Option<&[Uri]> {
        self.conns
            .get(conn.0 as usize)?
            .as_ref()?
            .auth
            .as_ref()?
            .use_path()
    }

    /// Our SDP `a=path` through the relays on `conn`: the Use-Path reversed, then our own
    /// URI (R4976-015). `None` until authenticated.
    #[must_use]
    pub fn relay_sdp_path(&self, conn: ConnectionId) -> Option<Vec<Uri>> {
        self.conns
            .get(conn.0 as usize)?
            .as_ref()?
            .auth
            .as_ref()?
            .sdp_path()
    }

    /// After the relay client of `conn` handled something: report `event` (if any),
    /// write the next AUTH request if one is due, and arm its deadline.
    pub(super) fn auth_progress(&mut self, conn: u32, now: Instant, event: Option<&AuthEvent>) {
        let connection = ConnectionId(conn);
        match event {
            Some(AuthEvent::Authenticated { expires, .. }) => {
                self.events.push_back(Event::RelayAuthenticated {
                    connection,
                    expires: *expires,
                });
            }
            Some(AuthEvent::Failed(error)) => {
                self.events.push_back(Event::RelayAuthFailed {
                    connection,
                    error: *error,
                });
            }
            _ => {}
        }
        let cap = self.control_capacity();
        let Some(c) = self.conns.get_mut(conn as usize).and_then(Option::as_mut) else {
            return;
        };
        let Some(a) = c.auth.as_mut() else { return };
        if c.ctrl.capacity() == 0 {
            c.ctrl = self
                .spare_ctrl
                .pop()
                .unwrap_or_else(|| Vec::with_capacity(cap));
        }
        let _ = a.poll_transmit(now, &mut *self.rng, &mut c.ctrl);
        if let Some(t) = a.poll_timeout() {
            arm(&mut self.next_deadline, t);
        }
    }

    // -----------------------------------------------------------------------------------
    // Helpers

    fn conn_mut(&mut self, c: ConnectionId) -> Result<&mut Conn, Error> {
        self.conns
            .get_mut(c.0 as usize)
            .and_then(Option::as_mut)
            .ok_or(Error::UnknownConnection)
    }

    fn session(&self, s: u32) -> Option<&Session> {
        self.sessions.get(s as usize).and_then(Option::as_ref)
    }

    fn find_out(&self, id: MessageId) -> Option<usize> {
        self.outs
            .iter()
            .position(|s| s.msg.as_ref().is_some_and(|m| m.id == id))
    }

    fn alloc_out(
        &mut self,
        session: SessionId,
        id: MessageId,
        content_type: Option<Cow<'static, str>>,
        whole: Option<Bytes>,
        success_report: SuccessReport,
        failure_report: FailureReport,
    ) -> Result<u32, SendError> {
        // A pinned slot's piece is still being written (an aborted message's last
        // splice): not reused until then.
        let slot = self
            .outs
            .iter()
            .position(|s| s.msg.is_none() && s.splice.is_none())
            .ok_or(SendError::TooManyMessages)?;
        let total = whole.as_ref().map(|b| b.len() as u64);
        let bodiless = content_type.is_none();
        let s = &mut self.outs[slot];
        s.confirmed.clear();
        s.staging.clear();
        s.msg = Some(OutMsg {
            session: session.0,
            id,
            content_type,
            whole,
            staged_pos: 0,
            spare_len: None,
            lent: false,
            eof: bodiless,
            wanted: false,
            total: if bodiless { Some(0) } else { total },
            sent: 0,
            success_report,
            failure_report,
            written_all: false,
            flushed_all: false,
            open_tx: 0,
            reported: false,
            queued: false,
        });
        Ok(slot as u32)
    }

    fn enqueue(&mut self, conn: u32, slot: u32) {
        let Some(m) = self.outs[slot as usize].msg.as_mut() else {
            return;
        };
        if m.queued {
            return;
        }
        if let Some(c) = self.conns.get_mut(conn as usize).and_then(Option::as_mut) {
            m.queued = true;
            if c.queue.capacity() == 0 {
                c.queue = take_queue(
                    &mut self.spare_queues,
                    self.cfg.limits.max_outgoing_messages,
                );
            }
            c.queue.push_back(slot);
        }
    }

    /// A splice of slot `slot`'s piece is written (or its connection lost): the piece
    /// may be replaced and a freed slot reused.
    fn unpin(&mut self, slot: usize) {
        self.outs[slot].splice = None;
        self.promote(slot);
    }

    /// Moves a pulled message's next piece into place once the current one is cut into
    /// chunks and no longer written from in place ([`Splice`]), then asks for more
    /// (`want_body`).
    pub(super) fn promote(&mut self, slot: usize) {
        let OutSlot {
            msg,
            staging,
            spare,
            splice,
            ..
        } = &mut self.outs[slot];
        if let Some(m) = msg.as_mut()
            && splice.is_none()
            && m.staged_pos == staging.len()
            && let Some(n) = m.spare_len.take()
        {
            std::mem::swap(staging, spare);
            staging.truncate(n);
            m.staged_pos = 0;
        }
        self.want_body(slot as u32);
    }

    /// Emits `BodyWanted` for a pulled message whose next-piece buffer is free.
    fn want_body(&mut self, slot: u32) {
        let piece = self.piece;
        let OutSlot { msg, .. } = &mut self.outs[slot as usize];
        let Some(m) = msg.as_mut() else { return };
        if m.whole.is_some() || m.eof || m.wanted || m.lent || m.spare_len.is_some() {
            return;
        }
        m.wanted = true;
        self.events.push_back(Event::BodyWanted {
            session: SessionId(m.session),
            message: m.id,
            max: piece,
        });
    }

    /// Frees an outgoing slot and drops its transactions; the scheduler ends an open
    /// chunk with `#` when it sees the slot gone. With `keep_lingering`, written
    /// `partial` chunks stay so a late error response is still reported.
    fn free_out_with(&mut self, slot: usize, keep_lingering: bool) {
        let Some(m) = self.outs[slot].msg.take() else {
            return;
        };
        for ci in self.conns_of(m.session) {
            let Some(c) = self.conns[ci].as_mut() else {
                continue;
            };
            for i in 0..c.txs.len() {
                if c.txs[i].is_some_and(|t| {
                    t.message == m.id && t.slot as usize == slot && !(keep_lingering && t.lingering)
                }) {
                    c.drop_tx(i);
                }
            }
            c.queue.retain(|&q| q as usize != slot);
        }
    }

    /// The connections that may hold transactions or queue entries of `session`: its
    /// connection once bound (everything it sends goes there), else all of them. Keeps
    /// per-message cleanup O(1) in the number of connections.
    fn conns_of(&self, session: u32) -> core::ops::Range<usize> {
        match self
            .sessions
            .get(session as usize)
            .and_then(Option::as_ref)
            .and_then(|s| s.conn)
        {
            Some(c) => c as usize..(c as usize + 1).min(self.conns.len()),
            None => 0..self.conns.len(),
        }
    }

    fn free_out(&mut self, slot: usize) {
        self.free_out_with(slot, false);
    }

    /// Fails message `id` in `slot` (if still there) with an event.
    fn fail_out(&mut self, slot: usize, id: MessageId, status: StatusCode, local: bool) {
        let Some(m) = self.outs[slot].msg.as_ref() else {
            return;
        };
        if m.id != id {
            return;
        }
        let session = SessionId(m.session);
        let binding = m.is_binding();
        self.free_out(slot);
        if binding {
            // The peer refused the session (e.g. 481, R4975-208): it is over.
            self.fail_session(
                session.0 as usize,
                SessionError::Rejected(status),
                StatusCode::SESSION_DOES_NOT_EXIST,
            );
        } else {
            self.events.push_back(Event::MessageFailed {
                session,
                message: id,
                status,
                local,
            });
        }
    }

    /// Emits the outcome of an outgoing message once it is known.
    fn check_out(&mut self, slot: usize) {
        let OutSlot { msg, confirmed, .. } = &self.outs[slot];
        let Some(m) = msg.as_ref() else { return };
        if !m.flushed_all {
            return;
        }
        let total = m.sent;
        let session = SessionId(m.session);
        let ev = if m.success_report == SuccessReport::Yes && !m.is_binding() {
            if !m.reported || !confirmed.covers(total) {
                return;
            }
            Event::MessageDelivered {
                session,
                message: m.id,
                confirmed: total,
            }
        } else if m.failure_report == FailureReport::Yes {
            if m.open_tx > 0 {
                return;
            }
            if m.is_binding() {
                Event::SessionBound {
                    session,
                    connection: ConnectionId(
                        self.session(m.session)
                            .and_then(|s| s.conn)
                            .unwrap_or(u32::MAX),
                    ),
                }
            } else {
                Event::MessageDelivered {
                    session,
                    message: m.id,
                    confirmed: total,
                }
            }
        } else {
            Event::MessageSent {
                session,
                message: m.id,
            }
        };
        let (id, si, binding) = (m.id, m.session, m.is_binding());
        let window = self.cfg.limits.late_report_window;
        if let Some(s) = self.sessions.get_mut(si as usize).and_then(Option::as_mut)
            && !binding
            && window > 0
        {
            // A resent message keeps its Message-ID (R4975-035): one entry per id.
            if let Some(i) = s.sent.iter().position(|x| *x == id) {
                s.sent.remove(i);
            } else if s.sent.len() >= window {
                s.sent.pop_front();
            }
            if s.sent.capacity() == 0 {
                s.sent.reserve_exact(window);
            }
            s.sent.push_back(id);
        }
        self.free_out_with(slot, true);
        self.events.push_back(ev);
    }

    fn lose_connection(&mut self, conn: u32, reason: ConnectionError) {
        let Some(c) = self.conns.get_mut(conn as usize).and_then(Option::take) else {
            return;
        };
        // Queued events still point into its input buffer: keep the buffer readable
        // until they are polled and a mutation follows, as every `BodyRef` promises.
        if self.input_referenced(conn) {
            self.lost_input.push((conn, c.in_base, c.in_buf, c.in_end));
        }
        let spliced = c.spliced.map(|k| k as usize);
        self.events.push_back(Event::ConnectionLost {
            connection: ConnectionId(conn),
            reason,
        });
        for si in 0..self.sessions.len() {
            if self.sessions[si]
                .as_ref()
                .is_some_and(|s| s.conn == Some(conn))
            {
                self.fail_session(
                    si,
                    SessionError::ConnectionLost(reason),
                    StatusCode::SESSION_DOES_NOT_EXIST,
                );
            }
        }
        // After the sessions failed: a message of theirs asks for nothing more.
        if let Some(slot) = spliced {
            self.unpin(slot);
        }
    }

    /// Fails session `si` for good (R4975-033/034: re-create it after new SDP): aborts
    /// its incoming messages, emits `SessionFailed`, fails its outgoing messages with a
    /// local `status`, and starts the idle timer of its connection if it was the last.
    fn fail_session(&mut self, si: usize, reason: SessionError, status: StatusCode) {
        let Some(s) = self.sessions.get_mut(si).and_then(Option::take) else {
            return;
        };
        for m in s.incoming.iter().filter(|m| m.active) {
            self.events.push_back(Event::MessageAborted {
                session: SessionId(si as u32),
                message: m.id,
                reason: AbortReason::SessionEnded,
            });
        }
        self.events.push_back(Event::SessionFailed {
            session: SessionId(si as u32),
            reason,
        });
        for o in 0..self.outs.len() {
            let Some(m) = self.outs[o].msg.as_ref() else {
                continue;
            };
            if m.session as usize == si {
                let id = m.id;
                if m.is_binding() {
                    self.free_out(o);
                } else {
                    self.fail_out(o, id, status, true);
                }
            }
        }
        if let Some(c) = s.conn {
            self.refresh_idle(c);
        }
    }

    /// A mutation: earlier `BodyRef`s become stale, and so do lost connections' buffers
    /// that no queued event points into any more.
    fn bump(&mut self) {
        self.generation += 1;
        if !self.lost_input.is_empty() {
            let mut lost = core::mem::take(&mut self.lost_input);
            lost.retain(|l| self.input_referenced(l.0));
            self.lost_input = lost;
        }
        if let Some(ci) = self.park_candidate.take() {
            self.park_input(ci);
        }
    }

    /// Size of a connection's input buffer.
    fn recv_buffer_size(&self) -> usize {
        self.cfg
            .recv_buffer
            .max(self.cfg.wire.max_header_bytes + 1024)
            .min(u32::MAX as usize)
    }

    /// Capacity of a connection's buffer of pending responses and REPORTs.
    fn control_capacity(&self) -> usize {
        self.cfg.limits.max_pending_control + 2 * self.cfg.wire.max_header_bytes
    }

    /// Capacity of a connection's output buffer: a refill never needs more.
    fn send_buffer_capacity(&self) -> usize {
        self.cfg.send_buffer.max(2 * MIN_ROOM)
            + self.cfg.limits.max_pending_control
            + 2 * self.cfg.wire.max_header_bytes
    }

    /// Gives connection `ci`'s input buffer back (to the spares, or to the allocator)
    /// when it holds no unread byte and no queued event points into it: between reads
    /// an idle connection holds no buffer. Between frames its frame state goes to the
    /// pool too, and so do its transaction table, open-response list and send queue when
    /// they are empty (taken back when traffic resumes: the steady state allocates
    /// nothing). Runs at the start of a mutation, when the `BodyRef`s of polled events
    /// are stale anyway.
    fn park_input(&mut self, ci: u32) {
        let held = self.input_referenced(ci);
        let Some(c) = self.conns.get_mut(ci as usize).and_then(Option::as_mut) else {
            return;
        };
        if held || c.in_start != c.in_end {
            return;
        }
        // Between frames the decoder and the frame state hold nothing either.
        if c.frame.as_ref().is_some_and(|f| f.decoder.is_idle())
            && let Some(mut f) = c.frame.take()
            && self.spare_frames.len() < SPARE_BUFFERS
        {
            // Whatever the last frame left is not the next connection's business.
            f.cur.kind = CurKind::Ignore;
            f.cur.session = None;
            f.cur.slot = None;
            self.spare_frames.push(f);
        }
        // Tables with nothing in them go back to the pools (taken again by `tables`).
        if c.txs.capacity() > 0
            && c.txs.iter().all(Option::is_none)
            && self.spare_txs.len() < SPARE_BUFFERS
        {
            let mut v = core::mem::take(&mut c.txs);
            v.clear();
            self.spare_txs.push(v);
        }
        if c.open_in.capacity() > 0
            && c.open_in.is_empty()
            && self.spare_open_in.len() < SPARE_BUFFERS
        {
            self.spare_open_in.push(core::mem::take(&mut c.open_in));
        }
        if c.queue.capacity() > 0 && c.queue.is_empty() && self.spare_queues.len() < SPARE_BUFFERS {
            self.spare_queues.push(core::mem::take(&mut c.queue));
        }
        if c.in_buf.capacity() == 0 {
            return;
        }
        c.in_base += c.in_end as u64;
        c.in_start = 0;
        c.in_end = 0;
        let mut buf = core::mem::take(&mut c.in_buf);
        buf.clear();
        let ctrl = if c.ctrl.is_empty() && c.ctrl.capacity() > 0 {
            Some(core::mem::take(&mut c.ctrl))
        } else {
            None
        };
        if self.spare_in.len() < SPARE_BUFFERS && buf.capacity() > 0 {
            self.spare_in.push(buf);
        }
        if let Some(ctrl) = ctrl
            && self.spare_ctrl.len() < SPARE_BUFFERS
        {
            self.spare_ctrl.push(ctrl);
        }
    }

    /// Whether a queued event ([`Event::Data`], [`Event::MessageStarted`]) points into
    /// connection `ci`'s input buffer.
    fn input_referenced(&self, ci: u32) -> bool {
        self.events.iter().any(|e| match e {
            Event::Data { body, .. } => body.conn == ci,
            Event::MessageStarted { content_type, .. } => content_type.conn == ci,
            _ => false,
        })
    }

    /// Gives connection `ci`'s output buffer back when everything in it is written.
    fn park_output(&mut self, ci: usize) {
        let Some(c) = self.conns.get_mut(ci).and_then(Option::as_mut) else {
            return;
        };
        if !c.out.is_empty() || c.out.capacity() == 0 || c.spliced.is_some() {
            return;
        }
        c.out_sent = 0;
        let out = core::mem::take(&mut c.out);
        if self.spare_out.len() < SPARE_BUFFERS {
            self.spare_out.push(out);
        }
    }

    /// Remembers `now` as the latest time seen and starts the idle timers of
    /// connections that became idle in calls without a time.
    fn observe(&mut self, now: Instant) {
        if self.idle_unstamped {
            self.idle_unstamped = false;
            for c in self.conns.iter_mut().flatten() {
                if c.idle && c.idle_since.is_none() {
                    c.idle_since = Some(now);
                    arm(
                        &mut self.next_deadline,
                        now + self.cfg.connection_idle_timeout,
                    );
                }
            }
        }
        if self.last_now.is_none_or(|t| t < now) {
            self.last_now = Some(now);
        }
    }

    /// Starts the idle timer of connection `conn` if no session is bound to it any more
    /// (R4975-039, P-17).
    fn refresh_idle(&mut self, conn: u32) {
        let bound = self.sessions.iter().flatten().any(|s| s.conn == Some(conn));
        if let Some(c) = self.conns.get_mut(conn as usize).and_then(Option::as_mut)
            && !bound
            && !c.idle
            && c.auth.is_none()
        {
            c.idle = true;
            c.idle_since = None;
            self.idle_unstamped = true;
        }
    }

    /// Drops consumed input, keeping bytes a queued [`Event::Data`] or
    /// [`Event::MessageStarted`] still points at.
    fn compact(&mut self, conn: u32) -> Result<(), Error> {
        let hold = self
            .events
            .iter()
            .filter_map(|e| match e {
                Event::Data { body, .. } if body.conn == conn => Some(body.pos),
                Event::MessageStarted { content_type, .. } if content_type.conn == conn => {
                    Some(content_type.pos)
                }
                _ => None,
            })
            .min();
        let c = self
            .conns
            .get_mut(conn as usize)
            .and_then(Option::as_mut)
            .ok_or(Error::UnknownConnection)?;
        let keep = hold
            .map_or(c.in_start, |p| p.saturating_sub(c.in_base) as usize)
            .min(c.in_start);
        if keep > 0 {
            c.in_buf.copy_within(keep..c.in_end, 0);
            c.in_base += keep as u64;
            c.in_start -= keep;
            c.in_end -= keep;
        }
        Ok(())
    }
}

/// The free input space of `c`: up to its size, within its buffer's capacity.
fn input_room_of(c: &Conn) -> usize {
    (c.in_size as usize)
        .min(c.in_buf.capacity())
        .saturating_sub(c.in_end)
}

/// First entries of a per-connection transaction table: an idle connection keeps this
/// many, not the whole `max_outstanding_transactions` (each entry holds ids inline).
const INITIAL_TABLE: usize = 2;

/// `v` in a box from the pool, or a new box.
fn pooled<T>(pool: &mut Vec<Box<T>>, v: T) -> Box<T> {
    match pool.pop() {
        Some(mut b) => {
            *b = v;
            b
        }
        None => Box::new(v),
    }
}

/// A send queue from the pool, or a new one with room for `n` messages.
fn take_queue(pool: &mut Vec<VecDeque<u32>>, n: usize) -> VecDeque<u32> {
    pool.pop().unwrap_or_else(|| VecDeque::with_capacity(n))
}

/// Makes room for one more entry in `v`, doubling from [`INITIAL_TABLE`] but never
/// reserving beyond `max` (callers check `v.len() < max` first). Growth happens only
/// when a connection reaches a new high-water mark of concurrent transactions.
pub(crate) fn grow_within<T>(v: &mut Vec<T>, max: usize) {
    if v.len() == v.capacity() {
        let want = (v.capacity() * 2).clamp(INITIAL_TABLE.min(max), max);
        v.reserve_exact(want.saturating_sub(v.len()).max(1));
    }
}
