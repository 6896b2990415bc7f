//! The relay server (RFC 4976 §6–§9) as a deterministic sans-IO state machine.
//!
//! # Shape
//!
//! One [`Relay`] holds every transport connection of one relay, with the same
//! connection-level surface as [`Endpoint`](crate::engine::Endpoint), so one adapter
//! driver can run either:
//!
//! * [`Relay::add_connection`] for every accepted connection; outgoing connections are
//!   requested by the relay itself with [`Event::Connect`] (the adapter dials, then calls
//!   [`Relay::handle_connected`] or [`Relay::handle_connect_failed`]).
//! * Input: [`Relay::recv_buf`] + [`Relay::handle_read`] (or [`Relay::handle_input`]),
//!   [`Relay::handle_eof`], [`Relay::handle_timeout`]. [`Relay::wants_read`] says whether
//!   to read a connection now (back-pressure).
//! * Output: [`Relay::poll_transmit`] + [`Relay::transmit_done`], [`Relay::poll_event`],
//!   [`Relay::poll_timeout`].
//!
//! **The loop** is the engine's: after every input, drain `poll_transmit`/`transmit_done`
//! for every connection and `poll_event`, then wait for readable sockets (those with
//! `wants_read`), writable sockets or `poll_timeout`.
//!
//! # What it does
//!
//! * **AUTH** (§6.3, §9.1) addressed to [`RelayConfig::authority`]: 401 with a Digest
//!   challenge (`qop="auth"`, fresh nonce from the injected randomness); credentials
//!   checked against a [`CredentialStore`] (H(A1) only, never logged); nonces expire
//!   ([`RelayConfig::nonce_lifetime`] → 401 `stale=true`), each `nc` is accepted once and
//!   a successful AUTH consumes its nonce; `Expires` outside
//!   `min_expires..=max_expires` → 423 with `Min-Expires`/`Max-Expires`; success → 200
//!   with `Use-Path` (the forwarding relays' URIs from the From-Path, then a new URI with
//!   a ~95-bit session-id), `Expires` and `Authentication-Info` (`nextnonce`, `rspauth`,
//!   `cnonce`, `nc`, `qop`). The issued URI is valid only over the AUTH connection and
//!   until it expires (R4976-028/-029); it dies with that connection.
//! * **Forwarding** (§6.4): the first To-Path URI must be a URI this relay issued, and
//!   either the request comes from the connection that owns it (it then goes on toward
//!   the next To-Path URI: a URI of ours again; the connection that last sent toward the
//!   owner from exactly that URI, which is how a relay-less peer that dialled us is
//!   reached (R4976-005); or a connection reused or opened toward
//!   `(scheme, host, port)`, P-17) or it goes to that owner's connection (R4976-033).
//!   The relay pops its URI and pushes it onto From-Path (R4976-001), mints a new
//!   transaction id per hop (R4976-034) and copies every other header in order.
//!   * SEND is answered hop by hop: 200 when the chunk has been received (Failure-Report
//!     `yes`; nothing for `partial`/`no`, R4976-035). Each forwarded chunk with
//!     Failure-Report `yes` gets a timer started when its last byte is written
//!     (`transmit_done`); no response within [`RelayConfig::transaction_timeout`] →
//!     REPORT 408 to the original sender (R4976-036). An error response from downstream
//!     → REPORT with that code (`yes`/`partial`, R4976-037/-044). A next hop that cannot
//!     be reached or whose connection is lost before it answered → REPORT 481 (RFC 4976
//!     names no code; 481 says "this path is gone", which makes the sender end the
//!     session).
//!   * SEND bodies are streamed, never buffered whole: a chunk larger than
//!     [`RelayConfig::max_chunk`] is forwarded as several chunks with rewritten
//!     Byte-Range `start-*/total` (R4976-038/-039), which also lets responses and other
//!     sessions' frames interleave on a shared connection (R4975-112). A first piece is
//!     copied with its Byte-Range unchanged when the chunk claims ≤ 2048 octets.
//!   * Other methods (REPORT, AUTH to a further relay, NICKNAME, unknown ones unless
//!     [`RelayConfig::block_unknown_methods`]) are forwarded end to end as one frame
//!     (bodies ≤ [`RelayConfig::max_non_send_body`]) and never answered by the relay;
//!     their responses are routed back to the connection and transaction id they came
//!     from, with the To-Path/From-Path move (R4976-041/-045).
//!   * Responses whose first To-Path URI is not the one the relay put in the request are
//!     dropped (R4976-042); unknown transactions are dropped.
//! * **Refusals**: a first To-Path URI that is not this relay's closes the connection
//!   (R4976-024); one with our authority but an unknown, expired or foreign-owned
//!   session-id is dropped, and a SEND with Failure-Report `yes` gets REPORT 481 back
//!   (R4976-030/-040); a request through our bare authority (not an issued URI) gets 403.
//!   Unauthenticated clients can thus only reach clients that gave them a relay URI:
//!   never an open relay.
//! * **Back-pressure**: per connection, output waiting to be written (including a
//!   connection still being dialled) is bounded by [`RelayConfig::high_water`] plus one
//!   head and one piece; above it the relay stops reading every connection whose traffic
//!   goes there (`recv_buf` becomes empty, `wants_read` false) until it drains. Failure
//!   REPORTs owed to a sender are kept as data (at most
//!   [`RelayConfig::max_outstanding`] per connection, contiguous failures of one message
//!   merged into one REPORT) and written only while its output is below the mark.
//! * **Probation** (R4976-023): an accepted connection that has not had a request succeed
//!   within [`RelayConfig::probation`] is closed; so is a client connection after
//!   [`RelayConfig::max_auth_failures`] failed AUTHs (R4976-032).
//!
//! * **Peer relays** (RFC 4976 §6.1, §6.3): a connection whose peer presented a valid
//!   certificate is marked with [`Relay::set_peer_relay`] by the adapter (R4976-022).
//!   Each request on it must name, first in From-Path, a host the certificate is valid
//!   for, or gets 403 (R4976-025); the client behind it is still authenticated by Digest.
//!   A URI issued through such a relay belongs to the relay, not to the connection: it
//!   outlives the connection and is valid over any connection to that relay — another
//!   one it authenticated on, or one dialled toward it (R4976-028).
//!
//! # Not done yet
//!
//! * Incoming connections from peer relays are not reused for outgoing requests toward
//!   them (the relay dials its own; RFC 4976 §5.2 leaves suitability to local policy).
//! * AUTH only over TLS (R4976-051) is the adapter's business (listen for AUTH on TLS
//!   only); the relay does not know the transport.
//! * A relay-initiated close discards unwritten output (e.g. the last 401 before an
//!   [`CloseReason::AuthFailures`] close).
//! * A downstream 413 is reported upstream but the rest of that message is still
//!   forwarded; the end-line collision check of R4975-082 is not done on forwarded bodies
//!   (the new transaction id is random with ≥ 71 bits, unknown to the sender).
//! * Idle connection shedding (R4976-046), REPORTs for non-SEND failures, and forwarding
//!   a REPORT whose original connection is gone.
//! * No counting-allocator test of the back-pressure bound: it is checked by
//!   [`Relay::buffered`] in the tests and the `relay` fuzz target, and measured by the
//!   tokio adapter's `relay_idle` bench.

mod auth;
mod config;
mod event;

pub use auth::{CredentialStore, CredentialsError, Ha1, MemoryCredentials};
pub use config::{ConfigError, RelayConfig};
pub use event::{CloseReason, Event};

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;
use std::time::Instant;

use bytes::BufMut;

use self::auth::{NonceTable, Verdict, rspauth};
use crate::engine::{ConnectionId, Error, ResponsePolicy, response_policy};
use crate::rand::{OsRandom, RandomSource, SeededRandom};
use crate::uri::{Host, Scheme, Uri, UriRef, path_iter};
use crate::wire::encode::{HeadWriter, write_end_line, write_report, write_response};
use crate::wire::headers::{
    AuthenticationInfo, ByteRange, DigestChallenge, DigestCredentials, FailureReport, Status,
    StatusCode, parse_delta_seconds,
};
use crate::wire::{Decoder, Event as WireEvent, Flag, Head, KnownHeader, Method};
use crate::wire::{MessageId, TransactionId};

/// Chunks claiming at most this many octets may carry a known range-end and so are not
/// interruptible (R4975-107).
const SMALL_CHUNK: u64 = 2048;

/// The connection reuse key (P-17): scheme, lower-case host, port.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct ConnKey {
    scheme: Scheme,
    host: String,
    port: Option<u16>,
}

impl ConnKey {
    fn of(u: &UriRef<'_>) -> Self {
        Self {
            scheme: u.scheme(),
            host: u.host().to_string().to_ascii_lowercase(),
            port: u.port(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ConnState {
    Connecting,
    Open,
}

/// The 200 owed to the previous hop when a SEND chunk has been received.
#[derive(Debug, Clone)]
struct Reply {
    tid: TransactionId,
    /// The leftmost From-Path URI of the request (P-06).
    to: Uri,
    /// Our URI as the request addressed it.
    own: Uri,
}

/// How to report a forwarded SEND's failure to its original sender.
#[derive(Debug, Clone)]
struct ReportBase {
    /// The connection the SEND came on.
    src: u32,
    /// The SEND's From-Path as received (the REPORT's To-Path).
    to_path: Vec<u8>,
    /// Our URI as the SEND addressed it (the REPORT's From-Path).
    own: Uri,
    message_id: MessageId,
    /// Failure-Report `yes` (timeouts are reported too) rather than `partial`.
    yes: bool,
}

/// A failure REPORT owed to the connection a SEND came on. Kept as data, not bytes, until
/// that connection's output has room: a sender that stops reading must not make the relay
/// buffer REPORTs without bound, and the failures of contiguous pieces of one message with
/// one status merge into a single REPORT over their joint range.
#[derive(Debug)]
struct OwedReport {
    to_path: Vec<u8>,
    own: Uri,
    message_id: MessageId,
    range: ByteRange,
    code: StatusCode,
}

impl OwedReport {
    /// Extends this REPORT by `range` when it is the same message, status and paths and
    /// `range` starts right after it.
    fn merge(&mut self, r: &ReportBase, range: ByteRange, code: StatusCode) -> bool {
        let follows = self
            .range
            .end
            .and_then(|e| e.checked_add(1))
            .is_some_and(|next| next == range.start);
        if follows
            && self.code == code
            && self.range.total == range.total
            && self.message_id.as_str() == r.message_id.as_str()
            && self.own.as_str() == r.own.as_str()
            && self.to_path == r.to_path
        {
            self.range.end = range.end;
            return true;
        }
        false
    }
}

#[derive(Debug)]
enum TxKind {
    /// A forwarded SEND chunk (hop by hop): its response ends here.
    Send {
        report: ReportBase,
        range: ByteRange,
    },
    /// A forwarded non-SEND request: its response goes back to `src` as `src_tid`.
    Other { src: u32, src_tid: TransactionId },
}

/// A forwarded transaction awaiting its response, keyed by (next-hop connection, our tid).
#[derive(Debug)]
struct Tx {
    /// The URI we put at the front of From-Path: the response must be addressed to it.
    own: Uri,
    kind: TxKind,
    timer: Option<(Instant, u64)>,
}

#[derive(Debug, Clone)]
enum Timer {
    Tx(u32, TransactionId),
    Issued(Box<str>),
    Probation(u32, u64),
}

/// An open piece of a streamed chunk on the next hop's connection.
#[derive(Debug, Clone, Copy)]
struct Sub {
    tid: TransactionId,
    bytes: u64,
    interruptible: bool,
}

/// A SEND chunk being streamed to `dest`.
#[derive(Debug)]
struct Stream {
    dest: u32,
    reply: Option<Reply>,
    /// To-Path and From-Path lines and the other headers (without Byte-Range and
    /// Content-Type), each with CRLF.
    lines: Vec<u8>,
    content_type: Vec<u8>,
    start: u64,
    total: Option<u64>,
    /// The source range, when the first piece may copy it unchanged.
    verbatim: Option<ByteRange>,
    /// Body bytes forwarded so far.
    done: u64,
    sub: Option<Sub>,
    report: Option<ReportBase>,
    own: Uri,
}

/// A non-streamed request (bodiless, or non-SEND with a small body) being collected.
#[derive(Debug)]
struct Collect {
    dest: u32,
    frame: Vec<u8>,
    tid: TransactionId,
    has_body: bool,
    reply: Option<Reply>,
    tx: Option<Tx>,
}

#[derive(Debug)]
enum Cur {
    Idle,
    /// Skip the body; answer `reply` at the end-line.
    Discard(Option<Reply>),
    Stream(Box<Stream>),
    Collect(Box<Collect>),
}

struct Conn {
    epoch: u64,
    state: ConnState,
    key: Option<ConnKey>,
    in_buf: Box<[u8]>,
    in_start: usize,
    in_end: usize,
    decoder: Decoder,
    cur: Cur,
    out: Vec<u8>,
    out_sent: usize,
    out_base: u64,
    /// Complete frames waiting for an open streamed piece to end.
    waiting: VecDeque<(Vec<u8>, Option<TransactionId>)>,
    waiting_bytes: usize,
    /// Failure REPORTs not yet written (at most `max_outstanding`).
    reports: VecDeque<OwedReport>,
    /// The source connection whose streamed piece is open in `out`.
    owner: Option<u32>,
    /// (end position in the output stream, tid) of requests not yet fully written.
    unflushed: VecDeque<(u64, TransactionId)>,
    tx_count: usize,
    /// Where this connection's current traffic goes (back-pressure).
    feeds: Option<u32>,
    paused: bool,
    /// The probation timer, until a request succeeds (R4976-023).
    probation: Option<(Instant, u64)>,
    auth_failures: u8,
    /// The peer authenticated as a relay by mutual TLS (R4976-022).
    peer_relay: Option<Arc<dyn PeerRelay>>,
    /// The host `peer_relay` was last found valid for: requests from a relay name the
    /// same host again and again, and checking a certificate parses it.
    peer_host: Option<Box<str>>,
}

impl Conn {
    fn pending(&self) -> usize {
        self.out.len() - self.out_sent + self.waiting_bytes
    }
}

/// What TLS established about a connection's peer when it authenticated as a relay with
/// a certificate (mutual TLS, R4976-022): the names it may speak for. The adapter hands
/// it over with [`Relay::set_peer_relay`]; with the `tls` feature
/// [`tls::PeerIdentity`](crate::tls::PeerIdentity) implements it.
pub trait PeerRelay: Send + Sync + core::fmt::Debug {
    /// Whether the peer's certificate names `host` (a URI host as written: a DNS name,
    /// an IPv4 address or a bracketed IPv6 address).
    fn is_valid_for(&self, host: &str) -> bool;
}

#[cfg(feature = "tls")]
impl PeerRelay for crate::tls::PeerIdentity {
    fn is_valid_for(&self, host: &str) -> bool {
        Self::is_valid_for(self, host)
    }
}

/// An issued URI (R4976-028/-029).
struct Issued {
    uri: Uri,
    owner: u32,
    owner_epoch: u64,
    timer: (Instant, u64),
    /// The last connection that sent toward the owner, with the previous hop's URI
    /// (From-Path[0]): outward requests to that URI go back over it (R4976-005), which
    /// is how a relay-less peer that dialled us is reached.
    peer: Option<(u32, u64, Uri)>,
    /// Issued to a previous-hop relay authenticated by mutual TLS: its URI (From-Path[0]
    /// of the AUTH). The issued URI is then valid over any connection to that relay and
    /// outlives the one the AUTH came on (R4976-028).
    relay: Option<Uri>,
}

/// What the first To-Path URI of a request is to us.
enum Target {
    /// Our authority without a session-id (AUTH goes here).
    Authority,
    /// A URI we issued and that is alive: its owner is connected, or is a relay we can
    /// reach over any connection (resolved by `Relay::owner_of`, which may dial, once
    /// the request is accepted).
    Issued,
    /// Our host, but no live issued URI.
    OwnUnknown,
    /// Not ours at all.
    Foreign,
}

/// An MSRP relay (RFC 4976): AUTH, forwarding, re-chunking, REPORTs, back-pressure. See
/// the [module docs](self).
pub struct Relay {
    cfg: Arc<RelayConfig>,
    rng: Box<dyn RandomSource>,
    creds: Box<dyn CredentialStore>,
    conns: Vec<Option<Conn>>,
    next_epoch: u64,
    issued: HashMap<Box<str>, Issued>,
    nonces: NonceTable,
    txs: HashMap<(u32, TransactionId), Tx>,
    timers: BTreeMap<(Instant, u64), Timer>,
    timer_seq: u64,
    events: VecDeque<Event>,
    /// Input buffers of connections that had nothing left to decode, for the next
    /// connection that reads: an idle connection holds none.
    spare_in: Vec<Box<[u8]>>,
}

/// Input buffers kept for reuse across connections.
const SPARE_BUFFERS: usize = 4;

impl core::fmt::Debug for Relay {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Relay")
            .field("authority", &self.cfg.authority)
            .field("connections", &self.conns.iter().flatten().count())
            .field("issued", &self.issued.len())
            .field("transactions", &self.txs.len())
            .finish_non_exhaustive()
    }
}

/// Writes `name: a b c` + CRLF.
fn put_path_line<'a>(buf: &mut Vec<u8>, name: &str, uris: impl IntoIterator<Item = &'a str>) {
    buf.put_slice(name.as_bytes());
    buf.put_slice(b": ");
    for (i, u) in uris.into_iter().enumerate() {
        if i > 0 {
            buf.put_u8(b' ');
        }
        buf.put_slice(u.as_bytes());
    }
    buf.put_slice(b"\r\n");
}

fn is_named(name: &str, h: KnownHeader) -> bool {
    name.eq_ignore_ascii_case(h.as_str())
}

impl Relay {
    /// A relay with `config`, checking credentials against `credentials`.
    pub fn new(
        config: Arc<RelayConfig>,
        credentials: Box<dyn CredentialStore>,
    ) -> Result<Self, ConfigError> {
        config.check()?;
        let rng: Box<dyn RandomSource> = match config.rng_seed {
            Some(seed) => Box::new(SeededRandom::new(seed)),
            None => Box::new(OsRandom),
        };
        Ok(Self {
            nonces: NonceTable::new(config.max_nonces, config.nonce_lifetime),
            rng,
            creds: credentials,
            conns: Vec::new(),
            next_epoch: 0,
            issued: HashMap::new(),
            txs: HashMap::new(),
            timers: BTreeMap::new(),
            timer_seq: 0,
            events: VecDeque::new(),
            spare_in: Vec::new(),
            cfg: config,
        })
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &RelayConfig {
        &self.cfg
    }

    // -----------------------------------------------------------------------------------
    // Connections

    fn alloc_conn(&mut self, state: ConnState, key: Option<ConnKey>) -> u32 {
        let cfg = &self.cfg;
        self.next_epoch += 1;
        let conn = Conn {
            epoch: self.next_epoch,
            state,
            key,
            // Allocated by the first `recv_buf`, given back when drained (see
            // `process_input`).
            in_buf: Box::default(),
            in_start: 0,
            in_end: 0,
            decoder: Decoder::new(cfg.wire),
            cur: Cur::Idle,
            out: Vec::new(),
            out_sent: 0,
            out_base: 0,
            waiting: VecDeque::new(),
            waiting_bytes: 0,
            reports: VecDeque::new(),
            owner: None,
            unflushed: VecDeque::new(),
            tx_count: 0,
            feeds: None,
            paused: false,
            probation: None,
            auth_failures: 0,
            peer_relay: None,
            peer_host: None,
        };
        match self.conns.iter().position(Option::is_none) {
            Some(i) => {
                self.conns[i] = Some(conn);
                i as u32
            }
            None => {
                self.conns.push(Some(conn));
                (self.conns.len() - 1) as u32
            }
        }
    }

    /// Registers an accepted transport connection. It is on probation: unless a request
    /// on it succeeds within [`RelayConfig::probation`], it is closed (R4976-023).
    pub fn add_connection(&mut self, now: Instant) -> ConnectionId {
        let c = self.alloc_conn(ConnState::Open, None);
        let epoch = self.conns[c as usize].as_ref().map_or(0, |c| c.epoch);
        let key = self.add_timer(now + self.cfg.probation, Timer::Probation(c, epoch));
        if let Some(conn) = self.conns[c as usize].as_mut() {
            conn.probation = Some(key);
        }
        ConnectionId(c)
    }

    /// The connection requested by [`Event::Connect`] is up: queued frames can go.
    pub fn handle_connected(&mut self, conn: ConnectionId, now: Instant) -> Result<(), Error> {
        let c = self.conn_mut(conn.0)?;
        c.state = ConnState::Open;
        self.resume(now);
        Ok(())
    }

    /// The connection requested by [`Event::Connect`] could not be opened: everything
    /// queued for it fails (REPORT 481 to the senders that asked for failure reports).
    pub fn handle_connect_failed(&mut self, conn: ConnectionId, now: Instant) -> Result<(), Error> {
        self.conn_mut(conn.0)?;
        self.drop_conn(conn.0, None, now);
        self.resume(now);
        Ok(())
    }

    /// The peer closed `conn` (or the socket failed): the relay forgets it. URIs issued
    /// over it die (R4976-028); transactions forwarded over it fail with REPORT 481.
    pub fn handle_eof(&mut self, conn: ConnectionId, now: Instant) -> Result<(), Error> {
        self.conn_mut(conn.0)?;
        self.drop_conn(conn.0, None, now);
        self.resume(now);
        Ok(())
    }

    /// `conn`'s peer authenticated as a relay with a certificate (mutual TLS, RFC 4976
    /// §6.1, R4976-022): call it after the TLS handshake, before feeding input. From then
    /// on every request on `conn` must carry, as its first From-Path URI, a host `peer`
    /// is valid for, or it is refused with 403 (R4976-025); URIs issued through it are
    /// valid over any connection to that relay (R4976-028). A connection without it is a
    /// client's, authenticated by Digest.
    ///
    /// # Errors
    /// [`Error::UnknownConnection`] if `conn` is not open.
    pub fn set_peer_relay(
        &mut self,
        conn: ConnectionId,
        peer: Arc<dyn PeerRelay>,
    ) -> Result<(), Error> {
        self.conn_mut(conn.0)?.peer_relay = Some(peer);
        Ok(())
    }

    /// Whether the adapter should read from `conn` now: `false` while the relay applies
    /// back-pressure (the next hop's output is above the high-water mark), while the
    /// input buffer is full, or while the connection is still being dialled.
    #[must_use]
    pub fn wants_read(&self, conn: ConnectionId) -> bool {
        self.conn(conn.0).is_some_and(|c| {
            c.state == ConnState::Open
                && !c.paused
                && (c.in_buf.is_empty() || c.in_start > 0 || c.in_end < c.in_buf.len())
        })
    }

    /// Bytes the relay holds for writing to `conn` (diagnostics and tests: this is the
    /// memory back-pressure bounds).
    #[must_use]
    pub fn buffered(&self, conn: ConnectionId) -> usize {
        self.conn(conn.0).map_or(0, Conn::pending)
    }

    /// Number of URIs currently issued.
    #[must_use]
    pub fn issued_count(&self) -> usize {
        self.issued.len()
    }

    // -----------------------------------------------------------------------------------
    // Input

    /// The free part of `conn`'s input buffer: read socket bytes into it, then call
    /// [`handle_read`](Self::handle_read). Empty while back-pressure pauses the
    /// connection (see [`wants_read`](Self::wants_read)).
    pub fn recv_buf(&mut self, conn: ConnectionId) -> Result<&mut [u8], Error> {
        let size = self
            .cfg
            .recv_buffer
            .max(self.cfg.wire.max_header_bytes + 1024);
        let spare = &mut self.spare_in;
        let c = self
            .conns
            .get_mut(conn.0 as usize)
            .and_then(Option::as_mut)
            .ok_or(Error::UnknownConnection)?;
        if c.in_buf.is_empty() && !c.paused && c.state == ConnState::Open {
            c.in_buf = spare
                .pop()
                .unwrap_or_else(|| vec![0; size].into_boxed_slice());
        }
        if c.in_start > 0 {
            c.in_buf.copy_within(c.in_start..c.in_end, 0);
            c.in_end -= c.in_start;
            c.in_start = 0;
        }
        if c.paused || c.state != ConnState::Open {
            return Ok(&mut []);
        }
        Ok(&mut c.in_buf[c.in_end..])
    }

    /// `n` bytes were read into [`recv_buf`](Self::recv_buf): process them.
    pub fn handle_read(&mut self, conn: ConnectionId, now: Instant, n: usize) -> Result<(), Error> {
        let c = self.conn_mut(conn.0)?;
        if n > c.in_buf.len() - c.in_end {
            return Err(Error::TooManyBytes);
        }
        c.in_end += n;
        self.process_input(conn.0, now);
        self.resume(now);
        Ok(())
    }

    /// Copies as much of `data` as the input buffer takes and processes it; returns how
    /// many bytes were taken (0 under back-pressure: retry after output drained).
    pub fn handle_input(
        &mut self,
        conn: ConnectionId,
        now: Instant,
        data: &[u8],
    ) -> Result<usize, Error> {
        let buf = self.recv_buf(conn)?;
        let n = buf.len().min(data.len());
        buf[..n].copy_from_slice(&data[..n]);
        self.handle_read(conn, now, n)?;
        Ok(n)
    }

    // -----------------------------------------------------------------------------------
    // Output

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Bytes to write on `conn`, if any (none while it is being dialled): write (part
    /// of) them, then call [`transmit_done`](Self::transmit_done).
    pub fn poll_transmit(&mut self, conn: ConnectionId) -> Option<&[u8]> {
        let c = self.conn(conn.0)?;
        if c.state != ConnState::Open {
            return None;
        }
        let rest = &c.out[c.out_sent..];
        (!rest.is_empty()).then_some(rest)
    }

    /// `n` bytes of what [`poll_transmit`](Self::poll_transmit) returned were written.
    /// Starts the timers of forwarded requests whose last byte is now written
    /// (R4976-036) and resumes connections paused by back-pressure.
    pub fn transmit_done(
        &mut self,
        conn: ConnectionId,
        now: Instant,
        n: usize,
    ) -> Result<(), Error> {
        let c = self.conn_mut(conn.0)?;
        if n > c.out.len() - c.out_sent {
            return Err(Error::TooManyBytes);
        }
        c.out_sent += n;
        let flushed = c.out_base + c.out_sent as u64;
        if c.out_sent == c.out.len() {
            c.out_base += c.out.len() as u64;
            c.out.clear();
            c.out_sent = 0;
        } else if c.out_sent > 64 * 1024 && c.out_sent * 2 > c.out.len() {
            c.out.drain(..c.out_sent);
            c.out_base += c.out_sent as u64;
            c.out_sent = 0;
        }
        let mut started = Vec::new();
        while let Some(&(end, tid)) = c.unflushed.front() {
            if end > flushed {
                break;
            }
            c.unflushed.pop_front();
            started.push(tid);
        }
        self.write_reports(conn.0);
        let timeout = self.cfg.transaction_timeout;
        for tid in started {
            if self.txs.contains_key(&(conn.0, tid)) {
                let key = self.add_timer(now + timeout, Timer::Tx(conn.0, tid));
                if let Some(tx) = self.txs.get_mut(&(conn.0, tid)) {
                    tx.timer = Some(key);
                }
            }
        }
        self.resume(now);
        Ok(())
    }

    /// The earliest deadline (transaction timers, URI expiry, probation), if any.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.keys().next().map(|k| k.0)
    }

    /// Runs every timer due at `now`: REPORT 408 for forwarded chunks without a response
    /// (R4976-036), expiry of issued URIs (R4976-029), probation closes (R4976-023).
    /// Calling it early or twice does nothing.
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some(entry) = self.timers.first_entry() {
            if entry.key().0 > now {
                break;
            }
            let key = *entry.key();
            let timer = entry.remove();
            match timer {
                Timer::Tx(d, tid) => {
                    if self
                        .txs
                        .get(&(d, tid))
                        .is_some_and(|t| t.timer == Some(key))
                    {
                        let tx = self.remove_tx(d, tid).expect("present");
                        if let TxKind::Send { report, range } = tx.kind
                            && report.yes
                        {
                            self.send_report(&report, range, StatusCode::REQUEST_TIMEOUT);
                        }
                    }
                }
                Timer::Issued(sid) => {
                    if self.issued.get(&sid).is_some_and(|i| i.timer == key) {
                        self.issued.remove(&sid);
                    }
                }
                Timer::Probation(c, epoch) => {
                    if self
                        .conn(c)
                        .is_some_and(|x| x.epoch == epoch && x.probation.is_some())
                    {
                        self.drop_conn(c, Some(CloseReason::Probation), now);
                    }
                }
            }
        }
        self.resume(now);
    }

    // -----------------------------------------------------------------------------------
    // Helpers

    fn conn(&self, c: u32) -> Option<&Conn> {
        self.conns.get(c as usize).and_then(Option::as_ref)
    }

    fn conn_mut(&mut self, c: u32) -> Result<&mut Conn, Error> {
        self.conns
            .get_mut(c as usize)
            .and_then(Option::as_mut)
            .ok_or(Error::UnknownConnection)
    }

    fn add_timer(&mut self, at: Instant, t: Timer) -> (Instant, u64) {
        self.timer_seq += 1;
        let key = (at, self.timer_seq);
        self.timers.insert(key, t);
        key
    }

    fn remove_tx(&mut self, d: u32, tid: TransactionId) -> Option<Tx> {
        let tx = self.txs.remove(&(d, tid))?;
        if let Some(k) = tx.timer {
            self.timers.remove(&k);
        }
        if let Some(c) = self.conns.get_mut(d as usize).and_then(Option::as_mut) {
            c.tx_count = c.tx_count.saturating_sub(1);
        }
        Some(tx)
    }

    fn insert_tx(&mut self, d: u32, tid: TransactionId, tx: Tx) {
        if let Some(c) = self.conns.get_mut(d as usize).and_then(Option::as_mut) {
            c.tx_count += 1;
        }
        self.txs.insert((d, tid), tx);
    }

    /// Processes paused connections again (after output drained or transactions ended).
    fn resume(&mut self, now: Instant) {
        for i in 0..self.conns.len() {
            if self.conns[i].as_ref().is_some_and(|c| c.paused) {
                self.process_input(i as u32, now);
            }
        }
    }

    /// Whether reading `c` must wait: its own output (responses) or the output of the
    /// connection its traffic goes to is above the high-water mark.
    fn blocked(&self, c: u32) -> bool {
        let Some(conn) = self.conn(c) else {
            return true;
        };
        let hw = self.cfg.high_water;
        if conn.pending() >= hw {
            return true;
        }
        conn.feeds
            .and_then(|d| self.conn(d))
            .is_some_and(|d| d.pending() >= hw || d.tx_count >= self.cfg.max_outstanding)
    }

    /// Appends a complete frame to `dest`'s output, or queues it behind an open streamed
    /// piece (asking that piece to end early if it may be interrupted).
    fn push_frame(&mut self, dest: u32, frame: Vec<u8>, tid: Option<TransactionId>) {
        let Some(c) = self.conns.get_mut(dest as usize).and_then(Option::as_mut) else {
            return;
        };
        if c.owner.is_none() {
            c.out.extend_from_slice(&frame);
            if let Some(t) = tid {
                let end = c.out_base + c.out.len() as u64;
                c.unflushed.push_back((end, t));
            }
            return;
        }
        c.waiting_bytes += frame.len();
        c.waiting.push_back((frame, tid));
        let owner = c.owner.expect("checked");
        self.interrupt(owner, dest);
    }

    /// Ends the open, interruptible streamed piece of `src` on `dest` with `+` so that
    /// queued frames can go (R4975-112).
    fn interrupt(&mut self, src: u32, dest: u32) {
        let Some(sc) = self.conns.get_mut(src as usize).and_then(Option::as_mut) else {
            return;
        };
        let Cur::Stream(s) = &mut sc.cur else { return };
        let Some(sub) = s.sub else { return };
        if !sub.interruptible || s.dest != dest {
            return;
        }
        s.sub = None;
        self.end_piece(dest, sub, Flag::More);
    }

    /// Writes a piece's end-line on `dest`, records its end for the timer, and lets
    /// queued frames out.
    fn end_piece(&mut self, dest: u32, sub: Sub, flag: Flag) {
        let tid = sub.tid;
        // P-03: a failure REPORT's range-end is what was actually forwarded.
        if let Some(Tx {
            kind: TxKind::Send { range, .. },
            ..
        }) = self.txs.get_mut(&(dest, tid))
        {
            range.end = Some(range.start + sub.bytes - 1);
        }
        let Some(c) = self.conns.get_mut(dest as usize).and_then(Option::as_mut) else {
            return;
        };
        write_end_line(&mut c.out, tid.as_str(), flag, true);
        let end = c.out_base + c.out.len() as u64;
        c.unflushed.push_back((end, tid));
        c.owner = None;
        while let Some((frame, t)) = c.waiting.pop_front() {
            c.waiting_bytes -= frame.len();
            c.out.extend_from_slice(&frame);
            if let Some(t) = t {
                let end = c.out_base + c.out.len() as u64;
                c.unflushed.push_back((end, t));
            }
        }
    }

    /// Drops connection `c`, emitting [`Event::Closed`] when the relay decided it.
    fn drop_conn(&mut self, c: u32, reason: Option<CloseReason>, _now: Instant) {
        let Some(conn) = self.conns.get_mut(c as usize).and_then(Option::take) else {
            return;
        };
        if let Some(reason) = reason {
            self.events.push_back(Event::Closed {
                conn: ConnectionId(c),
                reason,
            });
        }
        // R4976-028: URIs issued over this connection die with it.
        let timers = &mut self.timers;
        // Those issued to a mutually authenticated relay outlive it (R4976-028).
        self.issued.retain(|_, i| {
            let dies = i.owner == c && i.relay.is_none();
            if dies {
                timers.remove(&i.timer);
            }
            !dies
        });
        if let Some(key) = conn.probation {
            self.timers.remove(&key);
        }
        // Its own streamed piece, open on another connection, is aborted.
        if let Cur::Stream(s) = &conn.cur
            && let Some(sub) = s.sub
        {
            self.end_piece(s.dest, sub, Flag::Abort);
        }
        // Streams going to it stop (their source keeps reading and discards).
        for other in self.conns.iter_mut().flatten() {
            if let Cur::Stream(s) = &mut other.cur
                && s.dest == c
            {
                let reply = s.reply.take();
                other.cur = Cur::Discard(reply);
            } else if let Cur::Collect(col) = &mut other.cur
                && col.dest == c
            {
                let reply = col.reply.take();
                other.cur = Cur::Discard(reply);
            }
            if other.feeds == Some(c) {
                other.feeds = None;
            }
        }
        // Transactions forwarded over it fail (R4976-037 with 481, see the module docs).
        let keys: Vec<_> = self.txs.keys().filter(|k| k.0 == c).copied().collect();
        for (d, tid) in keys {
            if let Some(tx) = self.remove_tx(d, tid)
                && let TxKind::Send { report, range } = tx.kind
            {
                self.send_report(&report, range, StatusCode::SESSION_DOES_NOT_EXIST);
            }
        }
    }

    /// Owes a failure REPORT about `range` of a forwarded SEND to its original sender on
    /// the connection it came on (if that is still there), merged with the previous one
    /// when contiguous; written as that connection's output drains.
    fn send_report(&mut self, r: &ReportBase, range: ByteRange, code: StatusCode) {
        let cap = self.cfg.max_outstanding.max(1);
        let Some(c) = self.conns.get_mut(r.src as usize).and_then(Option::as_mut) else {
            return;
        };
        let merged = c
            .reports
            .back_mut()
            .is_some_and(|last| last.merge(r, range, code));
        if !merged {
            if c.reports.len() >= cap {
                // A sender that has not read its REPORTs for `max_outstanding` distinct
                // failures loses the newest ones: memory stays bounded (REPORTs carry
                // no delivery guarantee, RFC 4975 §7.1.2).
                return;
            }
            c.reports.push_back(OwedReport {
                to_path: r.to_path.clone(),
                own: r.own.clone(),
                message_id: r.message_id,
                range,
                code,
            });
        }
        self.write_reports(r.src);
    }

    /// Serializes owed REPORTs on `c` while its output is below the high-water mark.
    fn write_reports(&mut self, c: u32) {
        let hw = self.cfg.high_water;
        loop {
            let Some(conn) = self.conns.get_mut(c as usize).and_then(Option::as_mut) else {
                return;
            };
            let pending = conn.pending();
            if pending > 0 && pending >= hw {
                return;
            }
            let Some(rep) = conn.reports.pop_front() else {
                return;
            };
            let tid = TransactionId::generate(&mut *self.rng);
            let mut frame = Vec::with_capacity(256 + rep.to_path.len());
            write_report(
                &mut frame,
                tid.as_str(),
                path_iter(&rep.to_path).flatten(),
                rep.own.as_ref(),
                rep.message_id.as_str(),
                Some(rep.range),
                &Status::msrp(rep.code),
            );
            self.push_frame(c, frame, None);
        }
    }

    /// Writes a response to `head` on `src` if the response policy allows it.
    fn respond(
        &mut self,
        src: u32,
        head: &Head<'_>,
        policy: ResponsePolicy,
        status: StatusCode,
        own: UriRef<'_>,
    ) {
        if !policy.answers(status) {
            return;
        }
        let mut frame = Vec::with_capacity(256);
        if write_response(&mut frame, head, status, None, own) {
            self.push_frame(src, frame, None);
        }
    }

    fn end_probation(&mut self, c: u32) {
        if let Some(key) = self
            .conns
            .get_mut(c as usize)
            .and_then(Option::as_mut)
            .and_then(|conn| conn.probation.take())
        {
            self.timers.remove(&key);
        }
    }

    /// What `u` (a first To-Path URI) is to this relay. Decides only: dials nothing.
    fn classify(&self, u: &UriRef<'_>) -> Target {
        let a = self.cfg.authority.as_ref();
        let ours = u.scheme() == a.scheme()
            && u.host()
                .to_string()
                .eq_ignore_ascii_case(&a.host().to_string())
            && u.port().is_none_or(|p| Some(p) == a.port());
        if !ours {
            return Target::Foreign;
        }
        let Some(sid) = u.session_id() else {
            return Target::Authority;
        };
        match self.issued.get(sid) {
            Some(i)
                if i.uri.matches(u) && (i.relay.is_some() || self.live_owner(sid).is_some()) =>
            {
                Target::Issued
            }
            _ => Target::OwnUnknown,
        }
    }

    /// The connection issued URI `sid` was granted on, while it lives.
    fn live_owner(&self, sid: &str) -> Option<u32> {
        let i = self.issued.get(sid)?;
        self.conn(i.owner)
            .is_some_and(|c| c.epoch == i.owner_epoch)
            .then_some(i.owner)
    }

    /// The live connection toward the owner of issued URI `sid`. A client's URI lives
    /// only on the connection its AUTH came on; a relay's (R4976-028) on any connection
    /// to that relay: the one it came on, another one the relay authenticated on, or one
    /// dialled toward its URI.
    fn owner_of(&mut self, sid: &str) -> Option<u32> {
        if let Some(c) = self.live_owner(sid) {
            return Some(c);
        }
        let relay = self.issued.get(sid)?.relay.clone()?;
        let found = (0..self.conns.len() as u32).find(|&c| self.speaks_for(c, &relay.as_ref()));
        let c = match found {
            Some(c) => c,
            None => self.connection_toward(&relay.as_ref()),
        };
        let epoch = self.conn(c)?.epoch;
        let i = self.issued.get_mut(sid)?;
        i.owner = c;
        i.owner_epoch = epoch;
        Some(c)
    }

    /// Whether connection `c` is to the relay at `relay`'s host, authenticated: by its
    /// client certificate (mutual TLS), or because we dialled it over TLS at that host
    /// (the adapter checks an `msrps` next hop's certificate by name).
    fn speaks_for(&self, c: u32, relay: &UriRef<'_>) -> bool {
        let host = relay.host_str();
        self.conn(c).is_some_and(|conn| {
            conn.peer_host
                .as_deref()
                .is_some_and(|h| h.eq_ignore_ascii_case(host))
                || conn
                    .peer_relay
                    .as_ref()
                    .is_some_and(|p| p.is_valid_for(host))
                || conn.key.as_ref().is_some_and(|k| {
                    k.scheme == Scheme::Msrps
                        && match relay.host() {
                            Host::Name(n) => k.host.eq_ignore_ascii_case(n),
                            addr => k.host == addr.to_string(),
                        }
                })
        })
    }

    /// The connection toward `next` (reused by P-17 key, else a new one to dial).
    fn connection_toward(&mut self, next: &UriRef<'_>) -> u32 {
        let key = ConnKey::of(next);
        if let Some(i) = self
            .conns
            .iter()
            .position(|c| c.as_ref().is_some_and(|c| c.key.as_ref() == Some(&key)))
        {
            return i as u32;
        }
        let c = self.alloc_conn(ConnState::Connecting, Some(key));
        self.events.push_back(Event::Connect {
            conn: ConnectionId(c),
            target: next.to_owned(),
        });
        c
    }

    // -----------------------------------------------------------------------------------
    // Processing input

    fn process_input(&mut self, c: u32, now: Instant) {
        let Some(conn) = self.conns.get_mut(c as usize).and_then(Option::as_mut) else {
            return;
        };
        if conn.state != ConnState::Open {
            return;
        }
        let epoch = conn.epoch;
        let buf = core::mem::take(&mut conn.in_buf);
        let mut decoder = core::mem::replace(&mut conn.decoder, Decoder::new(self.cfg.wire));
        let (mut start, end) = (conn.in_start, conn.in_end);
        let mut paused = false;
        loop {
            if self.conn(c).is_none_or(|x| x.epoch != epoch) {
                break;
            }
            if self.blocked(c) {
                paused = true;
                break;
            }
            let input = &buf[start..end];
            match decoder.decode(input) {
                Err(e) => {
                    let recovered =
                        self.on_parse_error(c, &decoder, input) && decoder.skip_message();
                    if !recovered {
                        self.drop_conn(c, Some(CloseReason::Malformed(e)), now);
                        break;
                    }
                    if let Some(x) = self.conns.get_mut(c as usize).and_then(Option::as_mut) {
                        x.cur = Cur::Discard(None);
                    }
                }
                Ok((n, WireEvent::Head(head))) => {
                    start += n;
                    self.on_head(c, &head, now);
                }
                Ok((n, WireEvent::Body(body))) => {
                    let took = self.on_body(c, body);
                    debug_assert!(took <= n);
                    start += took;
                    if took < n {
                        paused = true;
                        break;
                    }
                }
                Ok((n, WireEvent::End(flag))) => {
                    start += n;
                    self.on_end(c, flag);
                }
                Ok((n, WireEvent::NeedMore)) => {
                    // After `skip_message`, skipped bytes are consumed with NeedMore.
                    start += n;
                    if n == 0 {
                        break;
                    }
                }
            }
        }
        if let Some(conn) = self
            .conns
            .get_mut(c as usize)
            .and_then(Option::as_mut)
            .filter(|x| x.epoch == epoch)
        {
            conn.decoder = decoder;
            conn.in_start = start;
            conn.paused = paused;
            if start == end {
                conn.in_start = 0;
                conn.in_end = 0;
                // Nothing left to decode: the buffer goes back until the next read.
                if !buf.is_empty() && self.spare_in.len() < SPARE_BUFFERS {
                    self.spare_in.push(buf);
                }
            } else {
                conn.in_buf = buf;
            }
        }
    }

    /// A head failed to parse: answer 400 when the request can be addressed. Returns
    /// whether the stream can be resynchronised.
    fn on_parse_error(&mut self, c: u32, decoder: &Decoder, input: &[u8]) -> bool {
        let Some(head) = decoder.failed_head(input) else {
            return false;
        };
        if head.is_request() && head.method().is_some() {
            let policy =
                response_policy(head.method() == Some(Method::Report), head.failure_report());
            let own = self.cfg.authority.clone();
            let first = head
                .to_path()
                .and_then(|mut p| p.next())
                .and_then(Result::ok);
            self.respond(
                c,
                &head,
                policy,
                StatusCode::BAD_REQUEST,
                first.unwrap_or(own.as_ref()),
            );
        }
        true
    }

    fn set_cur(&mut self, c: u32, cur: Cur, feeds: Option<u32>) {
        if let Some(conn) = self.conns.get_mut(c as usize).and_then(Option::as_mut) {
            conn.cur = cur;
            conn.feeds = feeds;
        }
    }

    fn on_head(&mut self, src: u32, head: &Head<'_>, now: Instant) {
        if head.status().is_some() {
            self.on_response(src, head);
            self.set_cur(src, Cur::Discard(None), None);
            return;
        }
        let Some(method) = head.method() else {
            self.set_cur(src, Cur::Discard(None), None);
            return;
        };
        let is_send = method == Method::Send;
        let policy = response_policy(method == Method::Report, head.failure_report());
        let to: Vec<UriRef<'_>> = head
            .to_path()
            .map(|p| p.flatten().collect())
            .unwrap_or_default();
        let from_ok = head.from_path().is_some_and(|mut p| p.next().is_some());
        let (Some(first), true) = (to.first().copied(), from_ok) else {
            // Unaddressable: nothing sensible can be answered.
            self.set_cur(src, Cur::Discard(None), None);
            return;
        };
        // R4976-025: a previous hop authenticated as a relay speaks only for its own
        // names.
        if let Some(c) = self.conns.get_mut(src as usize).and_then(Option::as_mut)
            && let Some(peer) = &c.peer_relay
        {
            let prev = head
                .from_path()
                .and_then(|mut p| p.next())
                .and_then(Result::ok)
                .map(|u| u.host_str());
            let ok = match prev {
                Some(h)
                    if c.peer_host
                        .as_deref()
                        .is_some_and(|k| k.eq_ignore_ascii_case(h)) =>
                {
                    true
                }
                Some(h) if peer.is_valid_for(h) => {
                    c.peer_host = Some(h.into());
                    true
                }
                _ => false,
            };
            if !ok {
                self.respond(src, head, policy, StatusCode::FORBIDDEN, first);
                self.set_cur(src, Cur::Discard(None), None);
                return;
            }
        }
        match self.classify(&first) {
            Target::Foreign => {
                // R4976-024: a request not addressed to us.
                self.drop_conn(src, Some(CloseReason::NotAddressedToRelay), now);
            }
            Target::Authority => {
                if method == Method::Auth && to.len() == 1 {
                    self.on_auth(src, head, first, now);
                } else {
                    // Forwarding through the bare authority would be an open relay.
                    self.respond(src, head, policy, StatusCode::FORBIDDEN, first);
                }
                self.set_cur(src, Cur::Discard(None), None);
            }
            Target::OwnUnknown => {
                self.refuse_unknown(src, head, first);
                self.set_cur(src, Cur::Discard(None), None);
            }
            Target::Issued => {
                if self.cfg.block_unknown_methods && matches!(method, Method::Other(_)) {
                    self.respond(src, head, policy, StatusCode::METHOD_NOT_UNDERSTOOD, first);
                    self.set_cur(src, Cur::Discard(None), None);
                    return;
                }
                self.forward(src, head, &to, is_send, policy);
            }
        }
    }

    /// R4976-030/-040: our host but no live URI: drop, REPORT 481 for `Failure-Report:
    /// yes` SENDs.
    fn refuse_unknown(&mut self, src: u32, head: &Head<'_>, first: UriRef<'_>) {
        if head.method() != Some(Method::Send) || head.failure_report() != FailureReport::Yes {
            return;
        }
        let (Some(mid), Some(from)) = (
            head.message_id().and_then(|m| MessageId::parse(m).ok()),
            head.raw(KnownHeader::FromPath),
        ) else {
            return;
        };
        let report = ReportBase {
            src,
            to_path: from.to_vec(),
            own: first.to_owned(),
            message_id: mid,
            yes: true,
        };
        let range = head.byte_range().unwrap_or(ByteRange {
            start: 1,
            end: None,
            total: None,
        });
        self.send_report(&report, range, StatusCode::SESSION_DOES_NOT_EXIST);
    }

    /// Routes a request whose first To-Path URI is one we issued. Every refusal comes
    /// before a connection is dialled: only an accepted request opens one.
    fn forward(
        &mut self,
        src: u32,
        head: &Head<'_>,
        to: &[UriRef<'_>],
        is_send: bool,
        policy: ResponsePolicy,
    ) {
        let first = to[0];
        let sid = first.session_id().expect("classified as issued");
        let content_type = head.raw(KnownHeader::ContentType);
        if is_send && head.has_body() && content_type.is_none() {
            self.respond(src, head, policy, StatusCode::BAD_REQUEST, first);
            self.set_cur(src, Cur::Discard(None), None);
            return;
        }
        // R4976-033: from the owner outward, or from anyone toward the owner. A relay's
        // URI is the owner's over any of its connections (R4976-028).
        let from_owner = self.live_owner(sid) == Some(src)
            || self
                .issued
                .get(sid)
                .and_then(|i| i.relay.as_ref())
                .is_some_and(|r| self.speaks_for(src, &r.as_ref()));
        let mut popped = 1;
        let dest = if from_owner {
            match to.get(1).map(|n| (n, self.classify(n))) {
                Some((n, Target::Issued)) if to.len() >= 3 => {
                    // Both ends behind this relay: our URI again, toward its owner.
                    popped = 2;
                    let sid2 = n.session_id().expect("classified as issued");
                    self.owner_of(sid2)
                }
                Some((n, Target::Foreign)) => {
                    let n = *n;
                    let known = self
                        .issued
                        .get(sid)
                        .and_then(|i| i.peer.as_ref())
                        .filter(|(pc, pe, pu)| {
                            pu.matches(&n) && self.conn(*pc).is_some_and(|c| c.epoch == *pe)
                        })
                        .map(|p| p.0);
                    Some(known.unwrap_or_else(|| self.connection_toward(&n)))
                }
                _ => None,
            }
        } else if to.len() >= 2 {
            let prev = head
                .from_path()
                .and_then(|mut p| p.next())
                .and_then(Result::ok);
            let epoch = self.conn(src).map_or(0, |c| c.epoch);
            if let (Some(prev), Some(i)) = (prev, self.issued.get_mut(sid)) {
                i.peer = Some((src, epoch, prev.to_owned()));
            }
            self.owner_of(sid)
        } else {
            None
        };
        let Some(dest) = dest else {
            self.respond(src, head, policy, StatusCode::SESSION_DOES_NOT_EXIST, first);
            self.set_cur(src, Cur::Discard(None), None);
            return;
        };
        self.end_probation(src);

        // The rewritten To-Path and From-Path (R4976-001).
        let mut lines = Vec::with_capacity(head.as_bytes().len() + 128);
        put_path_line(
            &mut lines,
            "To-Path",
            to[popped..].iter().map(UriRef::as_str),
        );
        let from_raw = head.raw(KnownHeader::FromPath).unwrap_or_default();
        lines.put_slice(b"From-Path: ");
        for u in to[..popped].iter().rev() {
            lines.put_slice(u.as_str().as_bytes());
            lines.put_u8(b' ');
        }
        lines.put_slice(from_raw);
        lines.put_slice(b"\r\n");
        let own_next = to[popped - 1].to_owned();

        let reply = (is_send && policy.answers(StatusCode::OK)).then(|| Reply {
            tid: TransactionId::parse(head.transaction_id()).expect("validated by the decoder"),
            to: head
                .from_path()
                .and_then(|mut p| p.next())
                .and_then(Result::ok)
                .map(|u| u.to_owned())
                .expect("checked"),
            own: first.to_owned(),
        });
        let report = match (is_send, head.failure_report(), head.message_id()) {
            (true, FailureReport::Yes | FailureReport::Partial, Some(mid)) => {
                MessageId::parse(mid).ok().map(|message_id| ReportBase {
                    src,
                    to_path: from_raw.to_vec(),
                    own: first.to_owned(),
                    message_id,
                    yes: head.failure_report() == FailureReport::Yes,
                })
            }
            _ => None,
        };

        if is_send && head.has_body() {
            let ct = content_type.expect("checked above");
            for f in head.fields() {
                if [
                    KnownHeader::ToPath,
                    KnownHeader::FromPath,
                    KnownHeader::ByteRange,
                    KnownHeader::ContentType,
                ]
                .iter()
                .any(|&h| is_named(f.name, h))
                {
                    continue;
                }
                lines.put_slice(f.line);
                lines.put_slice(b"\r\n");
            }
            let range = head.byte_range().unwrap_or(ByteRange {
                start: 1,
                end: None,
                total: None,
            });
            let verbatim = head.byte_range().filter(|r| {
                r.len()
                    .is_some_and(|l| l <= SMALL_CHUNK.min(self.cfg.max_chunk as u64))
            });
            let stream = Stream {
                dest,
                reply,
                lines,
                content_type: ct.to_vec(),
                start: range.start,
                total: range.total,
                verbatim,
                done: 0,
                sub: None,
                report,
                own: own_next,
            };
            self.set_cur(src, Cur::Stream(Box::new(stream)), Some(dest));
            return;
        }

        // One frame: bodiless, or a non-SEND with a (small) body.
        let tid = TransactionId::generate(&mut *self.rng);
        let method_name = head.method().map_or("", |m| m.as_str());
        let mut frame = Vec::with_capacity(lines.len() + 64);
        frame.put_slice(b"MSRP ");
        frame.put_slice(tid.as_str().as_bytes());
        frame.put_u8(b' ');
        frame.put_slice(method_name.as_bytes());
        frame.put_slice(b"\r\n");
        frame.put_slice(&lines);
        for f in head.fields() {
            if is_named(f.name, KnownHeader::ToPath) || is_named(f.name, KnownHeader::FromPath) {
                continue;
            }
            frame.put_slice(f.line);
            frame.put_slice(b"\r\n");
        }
        if head.has_body() {
            frame.put_slice(b"\r\n");
        }
        let tx = if is_send {
            report.map(|report| Tx {
                own: own_next.clone(),
                kind: TxKind::Send {
                    report,
                    range: head.byte_range().unwrap_or(ByteRange::whole(0)),
                },
                timer: None,
            })
        } else if head.method() == Some(Method::Report) {
            None
        } else {
            Some(Tx {
                own: own_next,
                kind: TxKind::Other {
                    src,
                    src_tid: TransactionId::parse(head.transaction_id()).expect("validated"),
                },
                timer: None,
            })
        };
        let collect = Collect {
            dest,
            frame,
            tid,
            has_body: head.has_body(),
            reply,
            tx,
        };
        self.set_cur(src, Cur::Collect(Box::new(collect)), Some(dest));
    }

    /// Body bytes of the current request; returns how many were taken (fewer when the
    /// next hop is above its high-water mark or busy with another stream).
    fn on_body(&mut self, src: u32, data: &[u8]) -> usize {
        let Some(conn) = self.conns.get_mut(src as usize).and_then(Option::as_mut) else {
            return data.len();
        };
        match &mut conn.cur {
            Cur::Idle | Cur::Discard(_) => data.len(),
            Cur::Collect(col) => {
                if col.frame.len() + data.len() > self.cfg.max_non_send_body + 16 * 1024 {
                    // Too large for a non-SEND (R4975-075): drop it.
                    let reply = col.reply.take();
                    conn.cur = Cur::Discard(reply);
                } else {
                    col.frame.extend_from_slice(data);
                }
                data.len()
            }
            Cur::Stream(_) => {
                let Cur::Stream(mut s) = core::mem::replace(&mut conn.cur, Cur::Idle) else {
                    unreachable!()
                };
                let took = self.stream_body(src, &mut s, data);
                if let Some(conn) = self.conns.get_mut(src as usize).and_then(Option::as_mut)
                    && matches!(conn.cur, Cur::Idle)
                {
                    conn.cur = Cur::Stream(s);
                }
                took
            }
        }
    }

    fn stream_body(&mut self, src: u32, s: &mut Stream, data: &[u8]) -> usize {
        let hw = self.cfg.high_water;
        let max_chunk = self.cfg.max_chunk.max(1) as u64;
        let mut taken = 0;
        while taken < data.len() {
            let Some(d) = self.conns.get(s.dest as usize).and_then(Option::as_ref) else {
                return data.len();
            };
            let room = hw.saturating_sub(d.pending());
            if room == 0 {
                break;
            }
            if let Some(sub) = s.sub
                && sub.bytes >= max_chunk
            {
                // The piece is full and more follows: end it, start another.
                s.sub = None;
                self.end_piece(s.dest, sub, Flag::More);
                continue;
            }
            if s.sub.is_none() {
                let d = self.conns[s.dest as usize].as_ref().expect("checked");
                if let Some(other) = d.owner.filter(|&o| o != src) {
                    // Another session's piece is open there: cut it (if it may be cut) so
                    // that a stalled sender cannot hold a shared connection.
                    self.interrupt(other, s.dest);
                }
                let d = self.conns[s.dest as usize].as_ref().expect("checked");
                if d.owner.is_some() || d.tx_count >= self.cfg.max_outstanding {
                    break;
                }
                self.open_piece(src, s);
            }
            let sub = s.sub.as_mut().expect("opened");
            let n = (data.len() - taken)
                .min(room)
                .min((max_chunk - sub.bytes) as usize);
            let d = self.conns[s.dest as usize].as_mut().expect("checked");
            d.out.extend_from_slice(&data[taken..taken + n]);
            sub.bytes += n as u64;
            s.done += n as u64;
            taken += n;
            if !d.waiting.is_empty() && sub.interruptible {
                let sub = *sub;
                s.sub = None;
                self.end_piece(s.dest, sub, Flag::More);
            }
        }
        taken
    }

    /// Writes the head of a new piece of stream `s` on its destination.
    fn open_piece(&mut self, src: u32, s: &mut Stream) {
        let tid = TransactionId::generate(&mut *self.rng);
        let pos = s.start + s.done;
        let (range, interruptible) = match s.verbatim.take() {
            Some(r) if s.done == 0 => (r, false),
            _ => (
                ByteRange {
                    start: pos,
                    end: None,
                    total: s.total,
                },
                true,
            ),
        };
        let d = self.conns[s.dest as usize].as_mut().expect("checked");
        let mut head = Vec::with_capacity(s.lines.len() + s.content_type.len() + 64);
        head.put_slice(b"MSRP ");
        head.put_slice(tid.as_str().as_bytes());
        head.put_slice(b" SEND\r\n");
        head.put_slice(&s.lines);
        head.put_slice(b"Byte-Range: ");
        range.write(&mut head);
        head.put_slice(b"\r\nContent-Type: ");
        head.put_slice(&s.content_type);
        head.put_slice(b"\r\n\r\n");
        d.out.extend_from_slice(&head);
        d.owner = Some(src);
        s.sub = Some(Sub {
            tid,
            bytes: 0,
            interruptible,
        });
        if let Some(report) = &s.report {
            let tx = Tx {
                own: s.own.clone(),
                kind: TxKind::Send {
                    report: report.clone(),
                    range: ByteRange {
                        start: pos,
                        end: None,
                        total: s.total,
                    },
                },
                timer: None,
            };
            self.insert_tx(s.dest, tid, tx);
        }
    }

    fn on_end(&mut self, src: u32, flag: Flag) {
        let Some(conn) = self.conns.get_mut(src as usize).and_then(Option::as_mut) else {
            return;
        };
        let cur = core::mem::replace(&mut conn.cur, Cur::Idle);
        let reply = match cur {
            Cur::Idle => None,
            Cur::Discard(reply) => reply,
            Cur::Collect(col) => {
                let Collect {
                    dest,
                    mut frame,
                    tid,
                    has_body,
                    reply,
                    tx,
                } = *col;
                if self.conn(dest).is_some() {
                    write_end_line(&mut frame, tid.as_str(), flag, has_body);
                    let track = tx.as_ref().map(|_| tid);
                    if let Some(tx) = tx {
                        self.insert_tx(dest, tid, tx);
                    }
                    self.push_frame(dest, frame, track);
                }
                reply
            }
            Cur::Stream(mut s) => {
                if self.conn(s.dest).is_some() {
                    self.end_stream(src, &mut s, flag);
                }
                s.reply.take()
            }
        };
        if let Some(r) = reply {
            let mut frame = Vec::with_capacity(256);
            HeadWriter::response(
                &mut frame,
                r.tid.as_str(),
                StatusCode::OK,
                Some("OK"),
                [r.to.as_ref()],
                [r.own.as_ref()],
            )
            .finish_bodiless(Flag::End);
            self.push_frame(src, frame, None);
        }
    }

    /// The source chunk ended with `flag`: end the open piece with it, or send a frame
    /// carrying the flag if no piece is open.
    fn end_stream(&mut self, src: u32, s: &mut Stream, flag: Flag) {
        if let Some(sub) = s.sub.take() {
            self.end_piece(s.dest, sub, flag);
            return;
        }
        if s.done > 0 && flag == Flag::More {
            return;
        }
        // Nothing open: an empty body, or the last piece was cut before the end-line.
        let tid = TransactionId::generate(&mut *self.rng);
        let pos = s.start + s.done;
        let range = match s.verbatim.take() {
            Some(r) if s.done == 0 => r,
            _ => ByteRange {
                start: pos,
                end: Some(pos - 1),
                total: s.total,
            },
        };
        let mut frame = Vec::with_capacity(s.lines.len() + 128);
        frame.put_slice(b"MSRP ");
        frame.put_slice(tid.as_str().as_bytes());
        frame.put_slice(b" SEND\r\n");
        frame.put_slice(&s.lines);
        frame.put_slice(b"Byte-Range: ");
        range.write(&mut frame);
        frame.put_slice(b"\r\nContent-Type: ");
        frame.put_slice(&s.content_type);
        frame.put_slice(b"\r\n\r\n");
        write_end_line(&mut frame, tid.as_str(), flag, true);
        let track = s.report.as_ref().map(|report| {
            let tx = Tx {
                own: s.own.clone(),
                kind: TxKind::Send {
                    report: report.clone(),
                    range,
                },
                timer: None,
            };
            self.insert_tx(s.dest, tid, tx);
            tid
        });
        let _ = src;
        self.push_frame(s.dest, frame, track);
    }

    /// A response arrived on `d`.
    fn on_response(&mut self, d: u32, head: &Head<'_>) {
        let Ok(tid) = TransactionId::parse(head.transaction_id()) else {
            return;
        };
        let Some(tx) = self.txs.get(&(d, tid)) else {
            return;
        };
        // R4976-042: it must be addressed to the URI we put in the request.
        let mut to = head.to_path().into_iter().flatten().flatten();
        if !to.next().is_some_and(|u| tx.own.matches(&u)) {
            return;
        }
        let tx = self.remove_tx(d, tid).expect("present");
        let status = head.status().unwrap_or(StatusCode::BAD_REQUEST);
        match tx.kind {
            TxKind::Send { report, range } => {
                if !status.is_success() {
                    // R4976-037/-044: tell the original sender.
                    self.send_report(&report, range, status);
                }
            }
            TxKind::Other { src, src_tid } => {
                // R4976-045: pop our URI, push it onto From-Path, back where it came from.
                let rest: Vec<UriRef<'_>> = to.collect();
                if rest.is_empty() || self.conn(src).is_none() {
                    return;
                }
                let from = head.from_path().into_iter().flatten().flatten();
                let mut frame = Vec::with_capacity(head.as_bytes().len() + 128);
                let mut w = HeadWriter::response(
                    &mut frame,
                    src_tid.as_str(),
                    status,
                    head.comment(),
                    rest,
                    core::iter::once(tx.own.as_ref()).chain(from),
                );
                for f in head.fields() {
                    if is_named(f.name, KnownHeader::ToPath)
                        || is_named(f.name, KnownHeader::FromPath)
                    {
                        continue;
                    }
                    w.header(f.name, f.value);
                }
                w.finish_bodiless(Flag::End);
                self.push_frame(src, frame, None);
            }
        }
    }

    // -----------------------------------------------------------------------------------
    // AUTH (RFC 4976 §6.3, §9.1)

    fn on_auth(&mut self, src: u32, head: &Head<'_>, to: UriRef<'_>, now: Instant) {
        let forwarded = head.from_path().map_or(0, Iterator::count) > 1;
        let Some(raw) = head.raw(KnownHeader::Authorization) else {
            self.challenge(src, head, to, false, now);
            return;
        };
        let Ok(creds) = DigestCredentials::parse(raw) else {
            self.respond(
                src,
                head,
                ResponsePolicy::Always,
                StatusCode::BAD_REQUEST,
                to,
            );
            return;
        };
        // R4976-060: digest-uri = the rightmost To-Path URI (the only one here).
        let digest_uri = to.as_str();
        let params_ok = creds.realm == self.cfg.realm
            && creds.qop.eq_ignore_ascii_case("auth")
            && creds
                .algorithm
                .is_none_or(|a| a.eq_ignore_ascii_case("MD5"))
            && creds.uri.is_none_or(|u| u == digest_uri);
        let verdict = if params_ok {
            let ha1 = self.creds.lookup(&self.cfg.realm, creds.username);
            self.nonces.verify(now, &creds, ha1, digest_uri)
        } else {
            Verdict::Bad
        };
        let ha1 = match verdict {
            Verdict::Ok(ha1) => ha1,
            Verdict::Stale => {
                self.challenge(src, head, to, true, now);
                return;
            }
            Verdict::Bad => {
                self.challenge(src, head, to, false, now);
                if !forwarded
                    && let Some(c) = self.conns.get_mut(src as usize).and_then(Option::as_mut)
                {
                    c.auth_failures = c.auth_failures.saturating_add(1);
                    if c.auth_failures >= self.cfg.max_auth_failures {
                        self.drop_conn(src, Some(CloseReason::AuthFailures), now);
                    }
                }
                return;
            }
        };
        // R4976-027: Expires within bounds, else 423 (the nonce stays usable).
        let cfg = &self.cfg;
        let granted = match head.raw(KnownHeader::Expires).map(parse_delta_seconds) {
            None => cfg.default_expires.clamp(cfg.min_expires, cfg.max_expires),
            Some(Ok(e)) if e < cfg.min_expires => {
                self.interval(src, head, to, KnownHeader::MinExpires, cfg.min_expires);
                return;
            }
            Some(Ok(e)) if e > cfg.max_expires => {
                self.interval(src, head, to, KnownHeader::MaxExpires, cfg.max_expires);
                return;
            }
            Some(Err(crate::wire::headers::HeaderError::Overflow)) => {
                self.interval(src, head, to, KnownHeader::MaxExpires, cfg.max_expires);
                return;
            }
            Some(Ok(e)) => e,
            Some(Err(_)) => {
                self.respond(
                    src,
                    head,
                    ResponsePolicy::Always,
                    StatusCode::BAD_REQUEST,
                    to,
                );
                return;
            }
        };
        if self.issued.len() >= self.cfg.max_issued {
            self.respond(src, head, ResponsePolicy::Always, StatusCode::FORBIDDEN, to);
            return;
        }
        let a = self.cfg.authority.as_ref();
        let Ok(uri) = Uri::generate(
            a.scheme(),
            a.host_str(),
            a.port().unwrap_or(2855),
            a.transport(),
            &mut *self.rng,
        ) else {
            self.respond(src, head, ResponsePolicy::Always, StatusCode::FORBIDDEN, to);
            return;
        };
        self.nonces.consume(creds.nonce);
        let next = self.nonces.issue(now, &mut *self.rng);
        let sid: Box<str> = uri.as_ref().session_id().unwrap_or_default().into();
        let expires_at = now + core::time::Duration::from_secs(u64::from(granted));
        let timer = self.add_timer(expires_at, Timer::Issued(sid.clone()));
        let owner_epoch = self.conn(src).map_or(0, |c| c.epoch);
        // Use-Path: the relays the AUTH came through (From-Path minus the client, in
        // To-Path order), then our new URI (RFC 4976 §5.1, vector 5.1-11).
        let from: Vec<UriRef<'_>> = head
            .from_path()
            .map(|p| p.flatten().collect())
            .unwrap_or_default();
        let via = from.len().saturating_sub(1);
        let rsp = rspauth(&ha1, &creds, digest_uri);
        let mut frame = Vec::with_capacity(512);
        let mut w = HeadWriter::response(
            &mut frame,
            head.transaction_id(),
            StatusCode::OK,
            Some("OK"),
            from.iter().copied(),
            [to],
        );
        w.use_path(from[..via].iter().rev().copied().chain([uri.as_ref()]));
        w.number(KnownHeader::Expires, u64::from(granted));
        let info = AuthenticationInfo {
            nextnonce: core::str::from_utf8(&next).ok(),
            qop: Some("auth"),
            rspauth: core::str::from_utf8(&rsp).ok(),
            cnonce: Some(creds.cnonce),
            nc: Some(creds.nc),
        };
        w.typed(KnownHeader::AuthenticationInfo, |b| info.write(b));
        w.finish_bodiless(Flag::End);
        // Through a mutually authenticated relay (its name checked in `on_head`), the
        // URI belongs to that relay rather than to this connection (R4976-028).
        let relay = self
            .conn(src)
            .is_some_and(|c| c.peer_relay.is_some())
            .then(|| from.first().filter(|_| via > 0).map(UriRef::to_owned))
            .flatten();
        self.issued.insert(
            sid,
            Issued {
                uri,
                owner: src,
                owner_epoch,
                timer,
                peer: None,
                relay,
            },
        );
        self.push_frame(src, frame, None);
        self.end_probation(src);
        if let Some(c) = self.conns.get_mut(src as usize).and_then(Option::as_mut) {
            c.auth_failures = 0;
        }
        self.events.push_back(Event::Authenticated {
            conn: ConnectionId(src),
            expires_secs: granted,
        });
    }

    /// 401 with a fresh nonce (R4976-016, -058: `qop="auth"` quoted; never auth-int or
    /// MD5-sess, R4976-055/-056).
    fn challenge(&mut self, src: u32, head: &Head<'_>, to: UriRef<'_>, stale: bool, now: Instant) {
        let nonce = self.nonces.issue(now, &mut *self.rng);
        let ch = DigestChallenge {
            realm: &self.cfg.realm,
            nonce: core::str::from_utf8(&nonce).unwrap_or_default(),
            qop: "auth",
            opaque: None,
            stale,
            algorithm: None,
        };
        let mut frame = Vec::with_capacity(512);
        let from = head.from_path().into_iter().flatten().flatten();
        let mut w = HeadWriter::response(
            &mut frame,
            head.transaction_id(),
            StatusCode::UNAUTHORIZED,
            Some("Unauthorized"),
            from,
            [to],
        );
        w.typed(KnownHeader::WwwAuthenticate, |b| ch.write(b));
        w.finish_bodiless(Flag::End);
        self.push_frame(src, frame, None);
    }

    /// 423 with `Min-Expires` or `Max-Expires` (R4976-027).
    fn interval(&mut self, src: u32, head: &Head<'_>, to: UriRef<'_>, h: KnownHeader, v: u32) {
        let mut frame = Vec::with_capacity(256);
        let from = head.from_path().into_iter().flatten().flatten();
        let mut w = HeadWriter::response(
            &mut frame,
            head.transaction_id(),
            StatusCode::PARAMETER_OUT_OF_BOUNDS,
            Some("Interval Out-of-Bounds"),
            from,
            [to],
        );
        w.number(h, u64::from(v));
        w.finish_bodiless(Flag::End);
        self.push_frame(src, frame, None);
    }
}
