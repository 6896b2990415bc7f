//! # msrp-async — the runtime-neutral half of the MSRP adapters
//!
//! Turns the sans-IO core ([`msrp_proto::engine`], [`msrp_proto::tls`]) into an async
//! library for any runtime that implements [`Runtime`]. You normally use it through
//! `msrp-tokio` or `msrp-smol`, which implement [`Runtime`] and name the types
//! (`msrp_tokio::Endpoint` is `Endpoint<Tokio>`). It decides nothing about MSRP: the
//! engine answers requests, chunks, reports and times out; the SDP crate ([`msrp_sdp`])
//! says who dials what. This crate moves bytes and time.
//!
//! ## Shape
//!
//! * [`Endpoint`] — one engine shared by all sessions and connections (cheap to clone).
//!   [`listen`](Endpoint::listen) / [`listen_tls`](Endpoint::listen_tls) accept connections
//!   for passive sessions; [`open_session`](Endpoint::open_session) turns a negotiated
//!   [`msrp_sdp::Session`] into a [`Session`]: it dials the address SDP chose (the c/m
//!   address under CEMA), over TLS with fingerprint authentication for `msrps`, reusing a
//!   connection already dialled to the same target, or waits for the peer. Lower level:
//!   [`connect`](Endpoint::connect) / [`connect_tls`](Endpoint::connect_tls) and
//!   [`add_session`](Endpoint::add_session).
//! * [`Session`] (sending through its cloneable [`Sender`] half) — [`send`](Sender::send)
//!   a whole message (returns an [`Outgoing`] whose [`outcome`](Outgoing::outcome) is the
//!   REPORT/200 result), [`send_reader`](Sender::send_reader) streams a body from any
//!   [`futures_io::AsyncRead`] as the engine asks for it (a file never sits in memory)
//!   with a progress callback, and [`next_event`](Session::next_event) /
//!   [`poll_next_event`](Session::poll_next_event) yield [`SessionEvent`]s: bound, message
//!   started (with its Content-Type), data, received/aborted, delivered/sent/failed
//!   (REPORTs and responses), session failed. Dropping a `Session` closes it; the
//!   connection stays for other sessions (R4975-039).
//!
//! **Received bytes** reach the application as a [`bytes::Bytes`] per
//! [`SessionEvent::Data`]: pieces of 4 KiB or more are views of the engine's input
//! buffer (no copy; over TLS the decrypted records are copied into that buffer once),
//! smaller ones are copied. Up to 4 MiB of them may wait per connection; beyond that the
//! connection's driver stops reading its socket until the application takes events
//! (back-pressure through TCP). So keep polling every session's events. **Sent files** are
//! read straight into the engine's piece buffer and written from it (pieces of 32 KiB or
//! more, [`Config::send_in_place_min`](msrp_proto::engine::Config::send_in_place_min):
//! no copy of ours), the next piece while the last is written.
//!
//! ## Inside
//!
//! One driver task per connection (read into the engine, write what it emits — plain TCP
//! without copies, TLS stacked under the engine; a task that sends writes its own output
//! while the socket takes it, and leaves the rest to the driver), one timer task per
//! endpoint (sleeps to the engine's deadline and compares the runtime's `now` with it
//! itself, as quinn's drivers do), one accept task per listener. The engine sits behind a `std::sync::Mutex`
//! that is never held across `.await`. `driver.rs` holds the loops, `shared.rs` routes
//! engine events to sessions and senders, `rt.rs` is the seam to the runtime. Channels
//! and wake-ups are `tokio::sync` primitives (tokio with only its `sync` feature: no
//! reactor, no executor; they work under any runtime).
//!
//! ## Example
//!
//! Code written against [`Endpoint<R>`](Endpoint) runs on any runtime; applications
//! usually name `msrp_tokio::Endpoint` or `msrp_smol::Endpoint` instead.
//!
//! ```no_run
//! use msrp_async::{Endpoint, Error, Runtime, SessionEvent};
//!
//! /// Says hello on a negotiated session and prints the first message that comes back.
//! async fn hello<R: Runtime>(
//!     endpoint: &Endpoint<R>,
//!     negotiated: &msrp_sdp::Session,
//! ) -> Result<(), Error> {
//!     let mut session = endpoint.open_session(negotiated).await?;
//!     session.send("text/plain", "hello")?;
//!     while let Some(ev) = session.next_event().await {
//!         if let SessionEvent::Data { bytes, .. } = ev {
//!             println!("{}", String::from_utf8_lossy(&bytes));
//!             break;
//!         }
//!     }
//!     Ok(())
//! }
//! ```
//!
//! ## Relays
//!
//! [`Endpoint::connect_relay`] dials a relay (TLS with a caller-built
//! [`TlsClientConfig`], normally by name), authenticates with Digest through the engine's
//! relay client and returns the route; put [`RelayRoute::use_path`] into the SDP
//! configuration and [`Endpoint::open_session`] runs the negotiated session over it. The
//! engine re-AUTHs before the route expires. One route serves one session (R4976-006).
//!
//! ## Not supported yet
//!
//! Name-based TLS toward `msrps` *peers* with CA certificates (`open_session` dials peers
//! by fingerprint), TLS close_notify on shutdown, closing connections left without
//! sessions.

mod driver;
pub mod rt;
mod shared;

use std::borrow::Cow;
use std::io;
use std::marker::PhantomData;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_io::AsyncRead;
use msrp_proto::engine::{self, OutgoingMessage};
use msrp_proto::relay::{AuthConfig, AuthError};
use msrp_proto::tls::{ConfigError, HashAlgorithm, TlsClientConfig, TlsConnection};
use msrp_proto::uri::{Scheme, Uri};
use tokio::sync::{Notify, oneshot};

pub use msrp_proto::engine::{
    AbortReason, Config as EngineConfig, ConnectionId, SessionError, SessionId,
};
pub use msrp_proto::tls::{Fingerprint, LocalCertificate, TlsError};
pub use msrp_proto::wire::MessageId;
pub use msrp_proto::wire::headers::StatusCode;

pub use rt::Runtime;
use shared::{DialKey, Item, OutRoute, SessionRoute, Shared};

/// Settings of an [`Endpoint`].
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct EndpointConfig {
    /// The engine's configuration (limits, chunk size, timers).
    pub engine: EngineConfig,
    /// Our certificate for TLS (`msrps`); its fingerprint goes into our SDP.
    pub certificate: Option<LocalCertificate>,
}

impl EndpointConfig {
    /// Uses `certificate` for TLS.
    #[must_use]
    pub fn with_certificate(mut self, certificate: LocalCertificate) -> Self {
        self.certificate = Some(certificate);
        self
    }

    /// Uses this engine configuration.
    #[must_use]
    pub fn with_engine(mut self, engine: EngineConfig) -> Self {
        self.engine = engine;
        self
    }
}

/// What can go wrong in the adapter's calls.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// A socket operation failed.
    Io(io::Error),
    /// The engine refused a command (misuse, e.g. a local URI without session-id).
    Engine(engine::Error),
    /// The engine refused a message.
    Send(engine::SendError),
    /// TLS could not be configured (e.g. the SDP had no usable fingerprint).
    TlsConfig(ConfigError),
    /// TLS was asked for but the endpoint has no certificate.
    NoCertificate,
    /// The session failed or was closed.
    SessionGone,
    /// What the SDP asks for is not implemented here.
    Unsupported(&'static str),
    /// The relay refused us, or AUTH failed otherwise (RFC 4976 §5).
    RelayAuth(AuthError),
    /// SDP routes the session through a relay we hold no authenticated connection to
    /// (call [`Endpoint::connect_relay`] first and put its route into the SDP).
    NoRelayRoute,
    /// The connection closed before the operation completed.
    ConnectionLost,
    /// The connection failed (TLS, socket, closed by the peer) before the operation
    /// completed.
    Connection(SessionFailure),
    /// Another live session already uses this relay route: a relay-issued URI serves one
    /// session only (RFC 4976 §3.1, R4976-006); authenticate again for the next one.
    RouteInUse,
    /// The peer's SDP accept-types do not admit this Content-Type (R4975-189): nothing
    /// was sent. Wrap it (e.g. in `message/cpim`) if the peer lists it among its
    /// accept-wrapped-types.
    NotAccepted(String),
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Io(e) => write!(f, "I/O: {e}"),
            Self::Engine(e) => write!(f, "MSRP engine: {e}"),
            Self::Send(e) => write!(f, "cannot send: {e}"),
            Self::TlsConfig(e) => write!(f, "TLS configuration: {e}"),
            Self::NoCertificate => f.write_str("TLS needs a local certificate"),
            Self::SessionGone => f.write_str("the session failed or was closed"),
            Self::Unsupported(what) => write!(f, "not supported: {what}"),
            Self::RelayAuth(e) => write!(f, "relay AUTH: {e}"),
            Self::NoRelayRoute => f.write_str("no authenticated connection to that relay"),
            Self::ConnectionLost => f.write_str("the connection closed"),
            Self::Connection(why) => write!(f, "connection failed: {why}"),
            Self::RouteInUse => f.write_str("the relay route already serves a session"),
            Self::NotAccepted(ct) => write!(f, "the peer does not accept {ct}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        Self::Io(e)
    }
}
impl From<engine::Error> for Error {
    fn from(e: engine::Error) -> Self {
        Self::Engine(e)
    }
}
impl From<engine::SendError> for Error {
    fn from(e: engine::SendError) -> Self {
        Self::Send(e)
    }
}
impl From<ConfigError> for Error {
    fn from(e: ConfigError) -> Self {
        Self::TlsConfig(e)
    }
}

/// Why a session failed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SessionFailure {
    /// The engine's reason: the connection closed or broke, or the peer rejected the
    /// binding SEND.
    Msrp(SessionError),
    /// TLS failed (handshake, fingerprint mismatch, alert).
    Tls(TlsError),
    /// The socket failed.
    Io(io::ErrorKind),
}

impl core::fmt::Display for SessionFailure {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Msrp(SessionError::Rejected(s)) => {
                write!(f, "the peer rejected the session: {} {}", s.0, s.reason())
            }
            Self::Msrp(SessionError::ConnectionLost(r)) => write!(f, "connection lost: {r:?}"),
            Self::Msrp(SessionError::DataLost(s)) => write!(
                f,
                "part of a message was not received ({} {}): renegotiate the session",
                s.0,
                s.reason()
            ),
            Self::Msrp(e) => write!(f, "{e:?}"),
            Self::Tls(e) => write!(f, "TLS: {e}"),
            Self::Io(k) => write!(f, "I/O: {k}"),
        }
    }
}

/// The final state of an outgoing message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// Confirmed by success REPORTs (`Success-Report: yes`) or by a 200 per chunk.
    Delivered {
        /// Bytes confirmed.
        confirmed: u64,
    },
    /// Written without positive feedback requested.
    Sent,
    /// Failed: an error response or REPORT (`local: false`), a timeout (408) or the
    /// session ending (481) (`local: true`).
    Failed {
        /// The status.
        status: StatusCode,
        /// Decided locally.
        local: bool,
    },
}

/// What happens on a [`Session`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SessionEvent {
    /// The session is bound to its connection (the peer's first request arrived, or our
    /// binding SEND got its 200).
    Bound {
        /// Over TLS: the SHA-256 fingerprint of the peer's certificate, already verified
        /// against the session's SDP fingerprints.
        peer_fingerprint: Option<Fingerprint>,
    },
    /// A new incoming message.
    MessageStarted {
        /// Its Message-ID.
        message: MessageId,
        /// Its Content-Type.
        content_type: String,
        /// Its length, if the sender announced it.
        total: Option<u64>,
    },
    /// Body bytes of an incoming message at `offset` (0-based).
    Data {
        /// The message.
        message: MessageId,
        /// Offset in the message.
        offset: u64,
        /// The bytes. Pieces of 4 KiB or more are views of the connection's input buffer
        /// (reused once all its views are dropped, so a steady transfer allocates
        /// nothing per piece): copy what you keep for long, or it keeps a whole buffer
        /// (`EngineConfig::recv_buffer`, 128 KiB by default) alive.
        bytes: Bytes,
        /// The message had already been received complete in this session (RFC 4975
        /// §7.1.1: a resend or a relay's duplicate); flag it rather than show it twice.
        duplicate: bool,
    },
    /// An incoming message is complete (`bodiless`: an empty SEND such as the binding one).
    MessageReceived {
        /// The message.
        message: MessageId,
        /// Its length.
        len: u64,
        /// Whether it had no body.
        bodiless: bool,
        /// The message had already been received complete in this session.
        duplicate: bool,
    },
    /// An incoming message was dropped before completion.
    MessageAborted {
        /// The message.
        message: MessageId,
        /// Why.
        reason: AbortReason,
    },
    /// One of our messages was confirmed (REPORT or 200s).
    Delivered {
        /// The message.
        message: MessageId,
        /// Bytes confirmed.
        confirmed: u64,
    },
    /// One of our messages was written (no feedback requested).
    Sent {
        /// The message.
        message: MessageId,
    },
    /// One of our messages failed.
    Failed {
        /// The message.
        message: MessageId,
        /// The status.
        status: StatusCode,
        /// Decided locally (timeout, session ended).
        local: bool,
    },
    /// The session failed; no more events follow.
    SessionFailed(SessionFailure),
}

/// A fresh session URI (`msrp[s]://host:port/<random>;tcp`) for our SDP.
///
/// # Errors
/// A host or port that cannot form a URI.
pub fn session_uri(tls: bool, host: &str, port: u16) -> Result<Uri, msrp_proto::uri::UriError> {
    let scheme = if tls { Scheme::Msrps } else { Scheme::Msrp };
    Uri::generate(scheme, host, port, "tcp", &mut msrp_proto::rand::OsRandom)
}

struct Handle {
    shared: Arc<Shared>,
}

impl Drop for Handle {
    fn drop(&mut self) {
        self.shared.shutdown();
    }
}

/// An MSRP endpoint on runtime `R`: every session and connection of one engine. Cheap to
/// clone; when the last clone and the last [`Session`] are dropped (or on
/// [`close`](Endpoint::close)), all its connections and listeners close.
pub struct Endpoint<R> {
    handle: Arc<Handle>,
    runtime: PhantomData<fn() -> R>,
}

impl<R> Clone for Endpoint<R> {
    fn clone(&self) -> Self {
        Self {
            handle: self.handle.clone(),
            runtime: PhantomData,
        }
    }
}

impl<R> core::fmt::Debug for Endpoint<R> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Endpoint").finish_non_exhaustive()
    }
}

static SESSION_TOKEN: AtomicU64 = AtomicU64::new(1);

impl<R> Endpoint<R> {
    fn shared(&self) -> &Arc<Shared> {
        &self.handle.shared
    }
}

impl<R: Runtime> Endpoint<R> {
    /// A new endpoint. Spawns its timer task on `R` (with tokio: call it inside a
    /// runtime).
    #[must_use]
    pub fn new(config: EndpointConfig) -> Self {
        let shared = Arc::new(Shared::new(config.engine, config.certificate));
        R::spawn(driver::run_timer::<R>(shared.clone()));
        Self {
            handle: Arc::new(Handle { shared }),
            runtime: PhantomData,
        }
    }

    /// Our TLS certificate, if configured.
    #[must_use]
    pub fn certificate(&self) -> Option<&LocalCertificate> {
        self.shared().certificate.as_ref()
    }

    /// The SHA-256 fingerprint of our certificate, as `a=fingerprint` wants it.
    #[must_use]
    pub fn sdp_fingerprint(&self) -> Option<msrp_sdp::Fingerprint> {
        let f = self.certificate()?.fingerprint(HashAlgorithm::Sha256);
        msrp_sdp::Fingerprint::parse(&f.to_string()).ok()
    }

    /// Accepts plain TCP connections on `addr` (port 0: any) for passive sessions; returns
    /// the bound address.
    ///
    /// # Errors
    /// Binding failed.
    pub async fn listen(&self, addr: SocketAddr) -> io::Result<SocketAddr> {
        let listener = R::bind(addr).await?;
        let local = rt::Listener::local_addr(&listener)?;
        R::spawn(driver::accept_loop::<R>(
            self.shared().clone(),
            listener,
            false,
        ));
        Ok(local)
    }

    /// Accepts TLS connections on `addr`. Each handshake requires the client certificate to
    /// match the SDP fingerprints of a TLS session waiting for its connection, and the
    /// session the connection then binds to must be the one it matches (R8122-007).
    ///
    /// # Errors
    /// No certificate configured, or binding failed.
    pub async fn listen_tls(&self, addr: SocketAddr) -> Result<SocketAddr, Error> {
        if self.certificate().is_none() {
            return Err(Error::NoCertificate);
        }
        let listener = R::bind(addr).await?;
        let local = rt::Listener::local_addr(&listener)?;
        R::spawn(driver::accept_loop::<R>(
            self.shared().clone(),
            listener,
            true,
        ));
        Ok(local)
    }

    /// Opens a plain TCP connection for active sessions ([`add_session`](Self::add_session)).
    ///
    /// # Errors
    /// Connecting failed.
    pub async fn connect(&self, addr: SocketAddr) -> io::Result<ConnectionId> {
        let stream = R::connect(addr.ip().to_string(), addr.port()).await?;
        Ok(self.start(stream, None, None))
    }

    /// Opens a TLS connection (we are the TLS client, as the active side, R6135-012).
    ///
    /// # Errors
    /// Connecting failed or `config` is unusable.
    pub async fn connect_tls(
        &self,
        addr: SocketAddr,
        config: &TlsClientConfig,
    ) -> Result<ConnectionId, Error> {
        let tls = TlsConnection::client(config)?;
        let stream = R::connect(addr.ip().to_string(), addr.port()).await?;
        Ok(self.start(stream, Some(tls), None))
    }

    fn start(
        &self,
        stream: R::Socket,
        tls: Option<TlsConnection>,
        key: Option<DialKey>,
    ) -> ConnectionId {
        let stream = Arc::new(stream);
        let io = driver::Io::new(stream.clone(), tls);
        let (id, wake) = self.shared().lock().add_connection(key, io);
        R::spawn(driver::drive::<R>(self.shared().clone(), id, wake, stream));
        id
    }

    /// Connects to a relay (RFC 4976) and authenticates: dials `addr` (over TLS with
    /// `tls`, which should verify the relay by name, R4976-066; plain TCP only with
    /// [`AuthConfig::allow_plain_tcp`]), sends AUTH, answers the Digest challenge and
    /// returns the route the relay granted once it is ready. Put
    /// [`RelayRoute::use_path`] into [`msrp_sdp::LocalConfig::use_path`]; the session
    /// whose SDP outcome is [`msrp_sdp::Connect::Relay`] then runs over this connection
    /// ([`open_session`](Self::open_session)). A route serves one session at a time
    /// (R4976-006: relay-issued URIs are not shared): call this once per session. The
    /// engine re-AUTHs on its own before the route expires; the connection stays open
    /// while the endpoint lives.
    ///
    /// # Errors
    /// Dialling failed ([`Error::Io`]), the connection or TLS failed
    /// ([`Error::Connection`]), or AUTH did ([`Error::RelayAuth`]).
    pub async fn connect_relay(
        &self,
        addr: SocketAddr,
        tls: Option<&TlsClientConfig>,
        auth: AuthConfig,
    ) -> Result<RelayRoute, Error> {
        let tls = tls.map(TlsConnection::client).transpose()?;
        let stream = R::connect(addr.ip().to_string(), addr.port()).await?;
        let conn = self.start(stream, tls, None);
        let (tx, rx) = oneshot::channel();
        {
            let mut g = self.shared().lock();
            if let Some(r) = g.conns.get_mut(&conn) {
                r.set_auth_wait(tx);
            }
            let r = g.engine.authenticate_relay(conn, auth, R::now());
            g.settle();
            g.kick_conn(conn);
            r?;
        }
        let result = rx.await.map_err(|_| Error::ConnectionLost)?;
        let mut g = self.shared().lock();
        match result {
            Ok(expires) => {
                let use_path = g.engine.relay_use_path(conn).unwrap_or_default().to_vec();
                let sdp_path = g.engine.relay_sdp_path(conn).unwrap_or_default();
                Ok(RelayRoute {
                    connection: conn,
                    use_path,
                    sdp_path,
                    expires,
                })
            }
            Err(shared::RelayFailure::Auth(e)) => {
                let _ = g.engine.close_connection(conn);
                g.settle();
                Err(Error::RelayAuth(e))
            }
            Err(shared::RelayFailure::Transport(why)) => Err(Error::Connection(why)),
        }
    }

    /// Creates a session directly: our URI, the To-Path of our requests (next hop first,
    /// the peer's URI last), `active = Some(conn)` to bind `conn` now with a bodiless
    /// SEND, or `None` to wait for the peer's first request on any accepted connection.
    /// `peer_fingerprints` are the peer's SDP fingerprints (TLS sessions).
    ///
    /// # Errors
    /// The engine refused the URIs or the connection.
    pub fn add_session(
        &self,
        local: Uri,
        to_path: Vec<Uri>,
        active: Option<ConnectionId>,
        peer_fingerprints: &[Fingerprint],
    ) -> Result<Session<R>, Error> {
        let tls = local.as_ref().scheme() == Scheme::Msrps;
        let peer = Peer {
            fingerprints: peer_fingerprints,
            check_certificate: tls,
            relay: None,
            accepts: None,
        };
        self.add_session_checked(local, to_path, active, peer)
    }

    /// [`add_session`](Self::add_session) with what is known of the peer.
    fn add_session_checked(
        &self,
        local: Uri,
        to_path: Vec<Uri>,
        active: Option<ConnectionId>,
        peer: Peer<'_>,
    ) -> Result<Session<R>, Error> {
        let Peer {
            fingerprints: peer_fingerprints,
            check_certificate: tls,
            relay,
            accepts,
        } = peer;
        let rx = Arc::new(shared::SessionQueue::default());
        let tx = shared::QueueTx(rx.clone());
        let token = SESSION_TOKEN.fetch_add(1, Ordering::Relaxed);
        let mut g = self.shared().lock();
        if relay.is_some() && g.sessions.values().any(|s| s.relay == relay) {
            return Err(Error::RouteInUse);
        }
        let id = match g
            .engine
            .add_session(local.clone(), to_path, active, R::now())
        {
            Ok(id) => id,
            // The connection already ended (a TLS handshake can fail before the session
            // is added): say why.
            Err(engine::Error::UnknownConnection) => {
                return Err(active.and_then(|c| g.connection_failure(c)).map_or(
                    Error::Engine(engine::Error::UnknownConnection),
                    Error::Connection,
                ));
            }
            Err(e) => return Err(e.into()),
        };
        g.sessions.insert(
            id,
            SessionRoute {
                tx,
                fingerprints: peer_fingerprints.to_vec(),
                tls,
                token,
                relay,
            },
        );
        g.settle();
        g.kick_session(id);
        drop(g);
        let inner = SessionInner {
            endpoint: self.clone(),
            id,
            token,
            local,
            accepts,
        };
        Ok(Session {
            sender: Sender {
                inner: Arc::new(inner),
            },
            rx,
        })
    }

    /// Opens the session an SDP offer/answer produced: dials [`msrp_sdp::Connect::Dial`]'s
    /// address and port (over TLS with fingerprint authentication when SDP says so; an
    /// existing connection to the same target and fingerprints is reused, digest P-17), or
    /// waits for the peer with [`msrp_sdp::Connect::Accept`] (a listener must be running on
    /// our URI's port).
    ///
    /// On the session this returns, messages whose Content-Type the peer's accept-types
    /// do not admit are refused with [`Error::NotAccepted`] before anything is written
    /// (R4975-189).
    ///
    /// # Errors
    /// Dialling or TLS setup failed, or the SDP asks for a relay.
    pub async fn open_session(&self, negotiated: &msrp_sdp::Session) -> Result<Session<R>, Error> {
        let local = negotiated
            .local_path
            .last()
            .cloned()
            .ok_or(Error::Unsupported("an empty local path"))?;
        let fps: Vec<Fingerprint> = negotiated
            .remote_fingerprints
            .iter()
            .filter_map(|f| Fingerprint::parse(&f.to_string()).ok())
            .collect();
        let to_path = negotiated.to_path.clone();
        let tls = local.as_ref().scheme() == Scheme::Msrps;
        let accepts = Some(negotiated.remote_accept_types.clone());
        match &negotiated.connect {
            msrp_sdp::Connect::Dial {
                address, port, tls, ..
            } => {
                let host = address.to_string();
                let mut names: Vec<String> = fps.iter().map(ToString::to_string).collect();
                names.sort();
                let key = DialKey {
                    host: host.clone(),
                    port: *port,
                    tls: tls.then_some(names),
                };
                let existing = self.shared().lock().dialled.get(&key).copied();
                let conn = match existing {
                    Some(c) => c,
                    None => {
                        let tls = if *tls {
                            let cert = self.certificate().cloned().ok_or(Error::NoCertificate)?;
                            let peer = negotiated.remote_path.last();
                            let name = peer.map_or(host.as_str(), |u| u.as_ref().host_str());
                            let cfg = TlsClientConfig::by_fingerprint(name, cert, &fps)?;
                            Some(TlsConnection::client(&cfg)?)
                        } else {
                            None
                        };
                        let stream = R::connect(host, *port).await?;
                        self.start(stream, tls, Some(key))
                    }
                };
                let peer = Peer {
                    fingerprints: &fps,
                    check_certificate: *tls,
                    relay: None,
                    accepts,
                };
                self.add_session_checked(local, to_path, Some(conn), peer)
            }
            msrp_sdp::Connect::Accept => {
                // Self-signed TLS without the peer's fingerprint in its SDP (R6135-011,
                // R4975-234): no connection could ever be accepted for this session.
                if tls && fps.is_empty() {
                    return Err(ConfigError::NoUsableFingerprint.into());
                }
                let peer = Peer {
                    fingerprints: &fps,
                    check_certificate: tls,
                    relay: None,
                    accepts,
                };
                self.add_session_checked(local, to_path, None, peer)
            }
            msrp_sdp::Connect::Relay { next_hop } => {
                // Our authenticated connection whose route starts at that relay URI.
                let conn = {
                    let g = self.shared().lock();
                    g.conns
                        .keys()
                        .copied()
                        .find(|c| {
                            g.engine
                                .relay_use_path(*c)
                                .and_then(<[Uri]>::first)
                                .is_some_and(|u| u == next_hop)
                        })
                        .ok_or(Error::NoRelayRoute)?
                };
                // Through relays TLS is hop by hop: the SDP fingerprints name no
                // certificate we will see (RFC 4976 §9). Only the active side sends the
                // binding SEND; the passive one is bound by the peer's first request
                // arriving over the relay.
                let active = (negotiated.role == msrp_sdp::Role::Active).then_some(conn);
                let peer = Peer {
                    fingerprints: &[],
                    check_certificate: false,
                    relay: Some(conn),
                    accepts,
                };
                self.add_session_checked(local, to_path, active, peer)
            }
            _ => Err(Error::Unsupported("this connection setup")),
        }
    }

    /// Closes every connection and listener now. Sessions report
    /// [`SessionEvent::SessionFailed`].
    pub fn close(&self) {
        self.shared().shutdown();
    }
}

/// What a new session knows of its peer.
struct Peer<'a> {
    /// Its SDP fingerprints (TLS).
    fingerprints: &'a [Fingerprint],
    /// Whether the connection's TLS peer is the session's peer, whose certificate must
    /// match `fingerprints` (not through a relay, where TLS is hop by hop).
    check_certificate: bool,
    /// The relay route (its connection) the session uses, which no other live session
    /// may use (R4976-006).
    relay: Option<ConnectionId>,
    /// Its SDP accept-types, when the session comes from SDP (R4975-189).
    accepts: Option<Vec<msrp_sdp::FormatEntry>>,
}

/// A route through relays, from [`Endpoint::connect_relay`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RelayRoute {
    /// The connection to the first relay; sessions using the route run over it.
    pub connection: ConnectionId,
    /// The Use-Path the relays granted (nearest first): the front of every To-Path
    /// (R4976-014) and what [`msrp_sdp::LocalConfig::use_path`] wants.
    pub use_path: Vec<Uri>,
    /// Our SDP `a=path` through the relays: `use_path` reversed, then our URI (R4976-015).
    pub sdp_path: Vec<Uri>,
    /// How long the relay granted the route (the engine renews it before then).
    pub expires: core::time::Duration,
}

/// A message queued on a session.
#[derive(Debug)]
pub struct Outgoing {
    id: MessageId,
    done: oneshot::Receiver<Outcome>,
}

impl Outgoing {
    /// Its Message-ID.
    #[must_use]
    pub fn id(&self) -> MessageId {
        self.id
    }

    /// Waits for its outcome. A message dropped with its session reports
    /// `Failed { status: 481, local: true }`.
    pub async fn outcome(self) -> Outcome {
        self.done.await.unwrap_or(GONE)
    }
}

const GONE: Outcome = Outcome::Failed {
    status: StatusCode::SESSION_DOES_NOT_EXIST,
    local: true,
};

/// One MSRP session: its events, and (through [`Deref`](core::ops::Deref) to [`Sender`])
/// its sending methods. The session closes (requests for it then get 481) when it and
/// every [`Sender`] cloned from it are dropped.
pub struct Session<R> {
    sender: Sender<R>,
    rx: Arc<shared::SessionQueue>,
}

/// The sending half of a [`Session`], cheap to clone: send from one task while another
/// reads the session's events.
pub struct Sender<R> {
    inner: Arc<SessionInner<R>>,
}

impl<R> Clone for Sender<R> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
        }
    }
}

struct SessionInner<R> {
    endpoint: Endpoint<R>,
    id: SessionId,
    token: u64,
    local: Uri,
    /// The peer's SDP accept-types, for sessions opened from SDP.
    accepts: Option<Vec<msrp_sdp::FormatEntry>>,
}

impl<R> core::fmt::Debug for Session<R> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        self.sender.fmt(f)
    }
}

impl<R> core::fmt::Debug for Sender<R> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Session")
            .field("id", &self.inner.id)
            .field("local", &self.inner.local)
            .finish_non_exhaustive()
    }
}

impl<R> core::ops::Deref for Session<R> {
    type Target = Sender<R>;
    fn deref(&self) -> &Sender<R> {
        &self.sender
    }
}

impl<R> Session<R> {
    /// A sending handle usable while this `Session` polls events.
    #[must_use]
    pub fn sender(&self) -> Sender<R> {
        self.sender.clone()
    }

    /// The next event; `None` once the session failed or the endpoint closed.
    pub async fn next_event(&mut self) -> Option<SessionEvent> {
        std::future::poll_fn(|cx| self.poll_next_event(cx)).await
    }

    /// Polls for the next event (the `Stream` shape: wrap it in any `Stream` adapter).
    pub fn poll_next_event(&mut self, cx: &mut Context<'_>) -> Poll<Option<SessionEvent>> {
        self.rx.poll_pop(cx).map(|item| {
            item.map(|Item { event, credit }| {
                if let Some((w, n)) = credit {
                    w.release(n);
                }
                event
            })
        })
    }

    /// Closes the session (same as dropping it and its senders).
    pub fn close(self) {}
}

impl<R> Drop for Session<R> {
    fn drop(&mut self) {
        for item in self.rx.drop_receiver() {
            if let Some((w, n)) = item.credit {
                w.release(n);
            }
        }
    }
}

impl<R: Runtime> Sender<R> {
    /// The engine's id of this session.
    #[must_use]
    pub fn id(&self) -> SessionId {
        self.inner.id
    }

    /// Our URI in this session.
    #[must_use]
    pub fn local_uri(&self) -> &Uri {
        &self.inner.local
    }

    /// The transport connection the session is bound to (`None` while a passive session
    /// waits for its peer, or once it is gone). Sessions dialled to the same target share
    /// one (digest P-17).
    #[must_use]
    pub fn connection(&self) -> Option<ConnectionId> {
        let g = self.shared().lock();
        self.live(&g).ok()?;
        g.engine.session_connection(self.inner.id)
    }

    fn shared(&self) -> &Arc<Shared> {
        self.inner.endpoint.shared()
    }

    fn live(&self, g: &shared::Inner) -> Result<(), Error> {
        self.inner.live(g)
    }

    /// Sends a whole message (`Failure-Report: yes`, `Success-Report: no`).
    ///
    /// # Errors
    /// The session is gone or too many messages are in flight.
    pub fn send(
        &self,
        content_type: impl Into<Cow<'static, str>>,
        body: impl Into<Bytes>,
    ) -> Result<Outgoing, Error> {
        self.send_message(OutgoingMessage::whole(content_type, body.into()))
    }

    /// Sends a message built with [`OutgoingMessage::whole`] (reporting options, Message-ID).
    /// Pulled messages go through [`send_reader`](Self::send_reader) instead.
    ///
    /// # Errors
    /// The session is gone or too many messages are in flight.
    pub fn send_message(&self, msg: OutgoingMessage) -> Result<Outgoing, Error> {
        self.inner.admits(&msg)?;
        let (tx, done) = oneshot::channel();
        let mut g = self.shared().lock();
        self.live(&g)?;
        let id = g.engine.send_message(self.inner.id, msg)?;
        g.outgoing
            .insert(id, OutRoute::new(self.inner.id, None, tx));
        g.settle();
        driver::write_through(&mut g, self.inner.id, R::now());
        Ok(Outgoing { id, done })
    }

    /// Sends a message whose body is read from `reader` as the engine asks for it (into
    /// the engine's own buffer, at most two pieces in memory), built with
    /// [`OutgoingMessage::pulled`] (give the length if known). `progress` gets the number of body bytes handed to the engine so far. Returns
    /// the outcome once the peer confirmed (or refused) the whole message.
    ///
    /// `reader` is a [`futures_io::AsyncRead`] (smol's and async-std's files and sockets,
    /// `&[u8]`); wrap a tokio reader in `msrp_tokio::compat`.
    ///
    /// # Errors
    /// The session is gone, or reading failed (the message is then aborted, R4975-081).
    pub async fn send_reader<B: AsyncRead + Unpin>(
        &self,
        msg: OutgoingMessage,
        mut reader: B,
        mut progress: impl FnMut(u64),
    ) -> Result<Outcome, Error> {
        self.inner.admits(&msg)?;
        let wake = Arc::new(Notify::new());
        let (tx, done) = oneshot::channel();
        let shared = self.shared();
        let id = {
            let mut g = shared.lock();
            self.live(&g)?;
            let id = g.engine.send_message(self.inner.id, msg)?;
            g.outgoing
                .insert(id, OutRoute::new(self.inner.id, Some(wake.clone()), tx));
            g.settle();
            id
        };
        let mut given = 0u64;
        loop {
            let notified = wake.notified();
            // The engine lends its own buffer for the next piece: the reader fills it
            // in place, no copy on the way to the wire. It asks for the next piece while
            // the last one is written.
            let lent = {
                let mut g = shared.lock();
                match g.outgoing.get_mut(&id).map(|r| r.wanted.take()) {
                    None => break,
                    Some(None) => None,
                    Some(Some(max)) => g.engine.lend_body_buf(id).ok().map(|b| (b, max)),
                }
            };
            let Some((mut buf, max)) = lent else {
                notified.await;
                continue;
            };
            let piece = &mut buf[..max];
            let read = std::future::poll_fn(|cx| Pin::new(&mut reader).poll_read(cx, piece));
            let n = match read.await {
                Ok(n) => n,
                Err(e) => {
                    let mut g = shared.lock();
                    let _ = g.engine.abort_message(id);
                    g.outgoing.remove(&id);
                    g.settle();
                    g.kick_session(self.inner.id);
                    return Err(Error::Io(e));
                }
            };
            let mut g = shared.lock();
            if !g.outgoing.contains_key(&id) {
                break;
            }
            let _ = g.engine.give_body(id, buf, n);
            if n == 0 {
                let _ = g.engine.end_body(id);
            }
            g.settle();
            driver::write_through(&mut g, self.inner.id, R::now());
            drop(g);
            given += n as u64;
            progress(given);
            if n == 0 {
                break;
            }
        }
        Ok(done.await.unwrap_or(GONE))
    }
}

impl<R> SessionInner<R> {
    /// R4975-189: never send a type the peer did not list (for sessions from SDP).
    fn admits(&self, msg: &OutgoingMessage) -> Result<(), Error> {
        let ct = msg.content_type();
        match &self.accepts {
            Some(list) if !list.iter().any(|e| e.admits(ct)) => {
                Err(Error::NotAccepted(ct.to_owned()))
            }
            _ => Ok(()),
        }
    }

    fn live(&self, g: &shared::Inner) -> Result<(), Error> {
        match g.sessions.get(&self.id) {
            Some(r) if r.token == self.token => Ok(()),
            _ => Err(Error::SessionGone),
        }
    }
}

impl<R> Drop for SessionInner<R> {
    fn drop(&mut self) {
        let mut g = self.endpoint.shared().lock();
        if self.live(&g).is_ok() {
            g.sessions.remove(&self.id);
            let _ = g.engine.close_session(self.id);
            g.outgoing.retain(|_, r| r.session != self.id);
            g.settle();
        }
    }
}
