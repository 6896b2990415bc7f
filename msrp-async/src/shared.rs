//! The runtime-neutral half of the adapter: the engine behind one mutex, the routes that
//! carry its events to sessions and senders, and the wake-ups for connection drivers.
//!
//! Nothing here awaits or touches a socket: it only uses `tokio::sync` primitives, which
//! work under any executor, so an adapter for another runtime can reuse it as is. The
//! runtime-specific loops live in [`crate::driver`].
//!
//! **Rule:** every lock scope that mutates the engine ends with [`Inner::settle`], which
//! drains the engine's events (body bytes are copied out while their references are valid)
//! and wakes whoever has work: the timer task when the deadline moved earlier.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use bytes::Bytes;
use msrp_proto::engine::{
    self, ConnectionError, ConnectionId, Event as EngineEvent, SessionError, SessionId,
};
use msrp_proto::relay::AuthError;
use msrp_proto::tls::{Fingerprint, FingerprintSet, HashAlgorithm, LocalCertificate, TlsError};
use msrp_proto::wire::MessageId;
use smallvec::SmallVec;
use tokio::sync::{Notify, oneshot};

use crate::driver::Io;
use crate::{Outcome, SessionEvent, SessionFailure};

/// Bytes of received body queued for the application, per connection, above which the
/// driver stops reading from its socket (back-pressure to the peer through TCP).
pub(crate) const HIGH_WATER: usize = 4 << 20;

/// State shared by the handles, the drivers and the timer task.
pub(crate) struct Shared {
    inner: Mutex<Inner>,
    /// Wakes the timer task (its deadline moved earlier, or shutdown).
    pub(crate) timer: Notify,
    /// Set once by [`Shared::shutdown`]; accept loops and the timer end.
    pub(crate) closed: AtomicBool,
    /// Woken (all waiters) on shutdown.
    pub(crate) shutdown: Notify,
    pub(crate) certificate: Option<LocalCertificate>,
}

/// A connection driver's doorbell and its receive credit.
#[derive(Debug, Default)]
pub(crate) struct ConnWake {
    /// Rung when the driver has work it did not cause itself: output queued by a command,
    /// the connection lost, credit returned.
    pub(crate) notify: Notify,
    /// Body bytes handed to session channels and not yet taken by the application.
    pub(crate) queued: AtomicUsize,
}

impl ConnWake {
    /// The application took `n` bytes: return credit and wake a driver waiting for it.
    pub(crate) fn release(&self, n: usize) {
        let before = self.queued.fetch_sub(n, Ordering::AcqRel);
        if before > HIGH_WATER && before - n <= HIGH_WATER {
            self.notify.notify_one();
        }
    }

    pub(crate) fn over_high_water(&self) -> bool {
        self.queued.load(Ordering::Acquire) > HIGH_WATER
    }
}

pub(crate) struct ConnRoute {
    pub(crate) wake: Arc<ConnWake>,
    /// The socket (and TLS layer) under the engine: whichever task holds the lock writes
    /// through it (see [`crate::driver::flush`]).
    pub(crate) io: Io,
    /// Set when the engine dropped the connection; the driver exits.
    pub(crate) lost: bool,
    /// The TLS peer's certificate once the handshake completed (server side: checked
    /// against the fingerprints of the session it binds to).
    pub(crate) peer_certificate: Option<Box<[u8]>>,
    /// What only some connections carry (dialled, relay, failed), boxed: this record
    /// exists per connection, quiet ones included.
    extra: Option<Box<ConnExtra>>,
}

/// The rarer parts of a [`ConnRoute`].
#[derive(Default)]
struct ConnExtra {
    /// Why the transport failed, if the driver knows better than the engine.
    failure: Option<SessionFailure>,
    /// The reuse key if this side dialled it.
    key: Option<DialKey>,
    /// Who waits for the relay client's first result on this connection.
    auth_wait: Option<oneshot::Sender<Result<Duration, RelayFailure>>>,
}

impl ConnRoute {
    fn extra(&mut self) -> &mut ConnExtra {
        self.extra.get_or_insert_with(Box::default)
    }

    fn failure(&self) -> Option<&SessionFailure> {
        self.extra.as_ref()?.failure.as_ref()
    }

    /// Records why the transport failed, unless a reason is known already.
    pub(crate) fn set_failure(&mut self, why: SessionFailure) {
        self.extra().failure.get_or_insert(why);
    }

    /// Who waits for the relay client's first result on this connection.
    pub(crate) fn set_auth_wait(&mut self, tx: oneshot::Sender<Result<Duration, RelayFailure>>) {
        self.extra().auth_wait = Some(tx);
    }
}

/// Why a relay connection did not produce a route.
#[derive(Debug)]
pub(crate) enum RelayFailure {
    /// AUTH failed.
    Auth(AuthError),
    /// The connection failed first (TLS, socket, closed by the relay).
    Transport(SessionFailure),
}

/// Which dialled connections a new session may share (digest P-17): same target, same
/// transport, and for TLS the same accepted peer fingerprints.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct DialKey {
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) tls: Option<Vec<String>>,
}

pub(crate) struct SessionRoute {
    pub(crate) tx: QueueTx,
    /// The peer's SDP fingerprints (TLS sessions), checked when a connection we accepted
    /// binds to the session.
    pub(crate) fingerprints: Vec<Fingerprint>,
    pub(crate) tls: bool,
    /// Tells this session from a later one reusing its engine slot.
    pub(crate) token: u64,
    /// The relay route (its connection) this session uses, if any.
    pub(crate) relay: Option<ConnectionId>,
}

pub(crate) struct OutRoute {
    pub(crate) session: SessionId,
    /// `Some(max)` after `BodyWanted`, taken by the pulling task.
    pub(crate) wanted: Option<usize>,
    pub(crate) wake: Option<Arc<Notify>>,
    pub(crate) done: Option<oneshot::Sender<Outcome>>,
}

impl OutRoute {
    pub(crate) fn new(
        session: SessionId,
        wake: Option<Arc<Notify>>,
        done: oneshot::Sender<Outcome>,
    ) -> Self {
        Self {
            session,
            wanted: None,
            wake,
            done: Some(done),
        }
    }
}

/// One item in a session's channel: the event plus the receive credit it holds.
#[derive(Debug)]
pub(crate) struct Item {
    pub(crate) event: SessionEvent,
    pub(crate) credit: Option<(Arc<ConnWake>, usize)>,
}

/// A session's events on their way to its [`Session`](crate::Session): a queue under its
/// own small lock (pushed under the engine lock, popped without it). Lighter than a
/// channel: an idle session holds a few dozen bytes, not a pre-allocated block.
#[derive(Debug, Default)]
pub(crate) struct SessionQueue {
    state: Mutex<QueueState>,
}

#[derive(Debug, Default)]
struct QueueState {
    items: std::collections::VecDeque<Item>,
    waker: Option<std::task::Waker>,
    /// The route is gone (session failed or closed): `None` once drained.
    ended: bool,
    /// The [`Session`](crate::Session) is gone: nothing is queued any more.
    dropped: bool,
}

impl SessionQueue {
    fn state(&self) -> MutexGuard<'_, QueueState> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Queues `item`; gives it back if the session is gone.
    /// Queues `item`; the waiting task's waker goes to `wakes` (woken when the engine
    /// lock is released). Returns the item if the session was dropped.
    pub(crate) fn push(&self, item: Item, wakes: &mut Vec<Wake>) -> Option<Item> {
        let mut st = self.state();
        if st.dropped {
            return Some(item);
        }
        st.items.push_back(item);
        if let Some(w) = st.waker.take() {
            wakes.push(Wake::Task(w));
        }
        None
    }

    /// The next item, `Ready(None)` once the route ended and everything was taken.
    pub(crate) fn poll_pop(
        &self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Item>> {
        let mut st = self.state();
        if let Some(item) = st.items.pop_front() {
            if st.items.is_empty() && st.items.capacity() > 0 {
                // The room goes back once drained: a quiet session holds no queue (its
                // first block is 512 bytes); a busy one pays one allocation per burst.
                st.items = std::collections::VecDeque::new();
            }
            return std::task::Poll::Ready(Some(item));
        }
        if st.ended {
            return std::task::Poll::Ready(None);
        }
        st.waker = Some(cx.waker().clone());
        std::task::Poll::Pending
    }

    /// The session was dropped: returns what was still queued (for its credit).
    pub(crate) fn drop_receiver(&self) -> std::collections::VecDeque<Item> {
        let mut st = self.state();
        st.dropped = true;
        core::mem::take(&mut st.items)
    }
}

/// The pushing end, held by the route; dropping it ends the queue.
#[derive(Debug)]
pub(crate) struct QueueTx(pub(crate) Arc<SessionQueue>);

impl Drop for QueueTx {
    fn drop(&mut self) {
        let mut st = self.0.state();
        st.ended = true;
        if let Some(w) = st.waker.take() {
            w.wake();
        }
    }
}

/// A wake-up owed to another task. It is made when the engine lock is released, not
/// when the event is queued: a task woken under the lock would only wait for it, and a
/// receiver woken per event would take one piece per wake-up instead of all of them.
pub(crate) enum Wake {
    /// A session's event stream.
    Task(std::task::Waker),
    /// A pulled-body sender or an outcome waiter.
    Notify(Arc<Notify>),
    /// A connection driver's doorbell.
    Conn(Arc<ConnWake>),
}

impl Wake {
    fn wake(self) {
        match self {
            Self::Task(w) => w.wake(),
            Self::Notify(n) => n.notify_one(),
            Self::Conn(c) => c.notify.notify_one(),
        }
    }
}

/// Everything behind the mutex.
pub(crate) struct Inner {
    pub(crate) engine: engine::Endpoint,
    pub(crate) conns: HashMap<ConnectionId, ConnRoute>,
    pub(crate) sessions: HashMap<SessionId, SessionRoute>,
    pub(crate) outgoing: HashMap<MessageId, OutRoute>,
    pub(crate) dialled: HashMap<DialKey, ConnectionId>,
    /// The deadline the timer task currently sleeps towards.
    pub(crate) timer_at: Option<Instant>,
    timer_kick: bool,
    /// Wake-ups to make once the lock is released ([`Guard`]'s drop).
    wakes: Vec<Wake>,
    /// Why the last few connections ended (their routes are gone): a session added to
    /// one of them learns why instead of "unknown connection". Bounded by [`RECENT_LOST`].
    recent_lost: std::collections::VecDeque<(ConnectionId, SessionFailure)>,
}

/// How many ended connections [`Inner::recent_lost`] remembers.
const RECENT_LOST: usize = 16;

/// Received pieces at least this large are handed to the application as views of the
/// engine's input buffer (no copy, see [`msrp_proto::engine::Endpoint::take_received`]);
/// smaller ones (chat) are copied, so a kept message does not pin a whole buffer.
const VIEW_MIN: usize = 4096;

/// The bytes of a received piece: a view of the engine's buffer, or a copy.
fn received(engine: &mut engine::Endpoint, body: engine::BodyRef) -> Bytes {
    if body.len() >= VIEW_MIN
        && let Some(view) = engine.take_received(body)
    {
        return view;
    }
    Bytes::copy_from_slice(engine.received_body(body).unwrap_or_default())
}

impl Shared {
    pub(crate) fn new(config: engine::Config, certificate: Option<LocalCertificate>) -> Self {
        Self {
            inner: Mutex::new(Inner {
                engine: engine::Endpoint::new(Arc::new(config)),
                conns: HashMap::new(),
                sessions: HashMap::new(),
                outgoing: HashMap::new(),
                dialled: HashMap::new(),
                timer_at: None,
                timer_kick: false,
                wakes: Vec::new(),
                recent_lost: std::collections::VecDeque::new(),
            }),
            timer: Notify::new(),
            closed: AtomicBool::new(false),
            shutdown: Notify::new(),
            certificate,
        }
    }

    /// Locks the engine. Never hold the guard across an `.await`.
    pub(crate) fn lock(&self) -> Guard<'_> {
        Guard {
            shared: self,
            inner: Some(
                self.inner
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner),
            ),
        }
    }

    /// Closes every connection and stops the accept loops and the timer.
    pub(crate) fn shutdown(&self) {
        if self.closed.swap(true, Ordering::AcqRel) {
            return;
        }
        let mut g = self.lock();
        let conns: Vec<ConnectionId> = g.conns.keys().copied().collect();
        for c in conns {
            let _ = g.engine.close_connection(c);
        }
        g.settle();
        drop(g);
        self.shutdown.notify_waiters();
        self.timer.notify_one();
    }
}

/// The locked engine; dropping it releases the lock, then makes the wake-ups owed
/// (tasks with new events, the timer task if its deadline moved).
pub(crate) struct Guard<'a> {
    shared: &'a Shared,
    /// `Some` until dropped.
    inner: Option<MutexGuard<'a, Inner>>,
}

impl core::ops::Deref for Guard<'_> {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        self.inner.as_deref().expect("held until dropped")
    }
}

impl core::ops::DerefMut for Guard<'_> {
    fn deref_mut(&mut self) -> &mut Inner {
        self.inner.as_deref_mut().expect("held until dropped")
    }
}

impl Drop for Guard<'_> {
    fn drop(&mut self) {
        let Some(mut g) = self.inner.take() else {
            return;
        };
        let timer = std::mem::take(&mut g.timer_kick);
        let wakes: SmallVec<[Wake; 8]> = g.wakes.drain(..).collect();
        drop(g);
        if timer {
            self.shared.timer.notify_one();
        }
        for w in wakes {
            w.wake();
        }
    }
}

impl Inner {
    /// Registers a transport connection with the engine and a route for its driver.
    pub(crate) fn add_connection(
        &mut self,
        key: Option<DialKey>,
        io: Io,
    ) -> (ConnectionId, Arc<ConnWake>) {
        let id = self.engine.add_connection();
        // The engine reuses ids: what is remembered about an earlier holder goes.
        self.recent_lost.retain(|(c, _)| *c != id);
        let wake = Arc::new(ConnWake::default());
        if let Some(k) = &key {
            self.dialled.insert(k.clone(), id);
        }
        self.conns.insert(
            id,
            ConnRoute {
                wake: wake.clone(),
                io,
                lost: false,
                peer_certificate: None,
                extra: key.map(|k| {
                    Box::new(ConnExtra {
                        key: Some(k),
                        ..ConnExtra::default()
                    })
                }),
            },
        );
        (id, wake)
    }

    /// Rings the driver of the connection `session` is bound to (after a command).
    pub(crate) fn kick_session(&mut self, session: SessionId) {
        if let Some(c) = self.engine.session_connection(session)
            && let Some(r) = self.conns.get(&c)
        {
            self.wakes.push(Wake::Conn(r.wake.clone()));
        }
    }

    /// Rings the driver of `conn` (after a command that queued output on it).
    pub(crate) fn kick_conn(&self, conn: ConnectionId) {
        if let Some(r) = self.conns.get(&conn) {
            r.wake.notify.notify_one();
        }
    }

    /// Rings every driver (after timers fired: any connection may have output).
    pub(crate) fn kick_all(&self) {
        for r in self.conns.values() {
            r.wake.notify.notify_one();
        }
    }

    /// The driver of `conn` ended: its route goes, why it ended is remembered.
    pub(crate) fn retire(&mut self, conn: ConnectionId) {
        if let Some(why) = self
            .conns
            .remove(&conn)
            .and_then(|r| r.extra)
            .and_then(|e| e.failure)
        {
            if self.recent_lost.len() >= RECENT_LOST {
                self.recent_lost.pop_front();
            }
            self.recent_lost.push_back((conn, why));
        }
    }

    /// Why `conn` ended, if it did and that is still known.
    pub(crate) fn connection_failure(&self, conn: ConnectionId) -> Option<SessionFailure> {
        match self.conns.get(&conn) {
            Some(r) if r.lost => r.failure().cloned(),
            Some(_) => None,
            None => self
                .recent_lost
                .iter()
                .rev()
                .find(|(c, _)| *c == conn)
                .map(|(_, why)| why.clone()),
        }
    }

    /// The transport of `conn` failed: record why and drop it from the engine.
    pub(crate) fn fail_connection(&mut self, conn: ConnectionId, why: SessionFailure) {
        if let Some(r) = self.conns.get_mut(&conn) {
            r.set_failure(why);
        }
        let _ = self.engine.close_connection(conn);
    }

    /// The fingerprints a TLS server should accept on a new connection: those of every
    /// TLS session still waiting for its connection (which one it is is known only from
    /// the first request, R4975-029; [`Inner::settle`] then checks the pairing).
    pub(crate) fn pending_fingerprints(&self) -> Vec<Fingerprint> {
        let mut out: Vec<Fingerprint> = Vec::new();
        for (id, s) in &self.sessions {
            if s.tls && self.engine.session_connection(*id).is_none() {
                for f in &s.fingerprints {
                    if !out.contains(f) {
                        out.push(*f);
                    }
                }
            }
        }
        out
    }

    /// Drains engine events to their routes and notes whether the timer must be re-armed.
    /// Call at the end of every lock scope that touched the engine.
    pub(crate) fn settle(&mut self) {
        let mut lost_reason: Option<SessionFailure> = None;
        while let Some(ev) = self.engine.poll_event() {
            match ev {
                EngineEvent::Data {
                    session,
                    message,
                    offset,
                    body,
                    duplicate,
                } => {
                    let bytes = received(&mut self.engine, body);
                    let credit = self
                        .engine
                        .session_connection(session)
                        .and_then(|c| self.conns.get(&c))
                        .map(|r| {
                            r.wake.queued.fetch_add(bytes.len(), Ordering::AcqRel);
                            (r.wake.clone(), bytes.len())
                        });
                    let event = SessionEvent::Data {
                        message,
                        offset,
                        bytes,
                        duplicate,
                    };
                    self.emit_with(session, event, credit);
                }
                EngineEvent::MessageStarted {
                    session,
                    message,
                    total,
                    content_type,
                } => {
                    let ct = self.engine.received_body(content_type).unwrap_or_default();
                    let content_type = String::from_utf8_lossy(ct).into_owned();
                    self.emit(
                        session,
                        SessionEvent::MessageStarted {
                            message,
                            content_type,
                            total,
                        },
                    );
                }
                EngineEvent::MessageReceived {
                    session,
                    message,
                    len,
                    bodiless,
                    duplicate,
                } => self.emit(
                    session,
                    SessionEvent::MessageReceived {
                        message,
                        len,
                        bodiless,
                        duplicate,
                    },
                ),
                EngineEvent::MessageAborted {
                    session,
                    message,
                    reason,
                } => self.emit(session, SessionEvent::MessageAborted { message, reason }),
                EngineEvent::BodyWanted { message, max, .. } => {
                    if let Some(r) = self.outgoing.get_mut(&message) {
                        r.wanted = Some(max);
                        if let Some(w) = &r.wake {
                            self.wakes.push(Wake::Notify(w.clone()));
                        }
                    }
                }
                EngineEvent::MessageDelivered {
                    session,
                    message,
                    confirmed,
                } => self.finish(
                    session,
                    message,
                    Outcome::Delivered { confirmed },
                    SessionEvent::Delivered { message, confirmed },
                ),
                EngineEvent::MessageSent { session, message } => self.finish(
                    session,
                    message,
                    Outcome::Sent,
                    SessionEvent::Sent { message },
                ),
                EngineEvent::MessageFailed {
                    session,
                    message,
                    status,
                    local,
                } => self.finish(
                    session,
                    message,
                    Outcome::Failed { status, local },
                    SessionEvent::Failed {
                        message,
                        status,
                        local,
                    },
                ),
                EngineEvent::SessionBound {
                    session,
                    connection,
                } => self.bound(session, connection),
                EngineEvent::SessionFailed { session, reason } => {
                    let reason = match (reason, &lost_reason) {
                        (SessionError::ConnectionLost(_), Some(why)) => why.clone(),
                        (r, _) => SessionFailure::Msrp(r),
                    };
                    self.emit(session, SessionEvent::SessionFailed(reason));
                    self.sessions.remove(&session);
                }
                EngineEvent::RelayAuthenticated {
                    connection,
                    expires,
                } => {
                    tracing::debug!(?connection, ?expires, "relay route granted");
                    self.auth_result(connection, Ok(expires));
                }
                EngineEvent::RelayAuthFailed { connection, error } => {
                    tracing::warn!(?connection, %error, "relay AUTH failed");
                    self.auth_result(connection, Err(RelayFailure::Auth(error)));
                }
                EngineEvent::ConnectionLost { connection, reason } => {
                    let why = self
                        .conns
                        .get(&connection)
                        .and_then(|r| r.failure().cloned());
                    let why =
                        why.unwrap_or(SessionFailure::Msrp(SessionError::ConnectionLost(reason)));
                    self.auth_result(connection, Err(RelayFailure::Transport(why.clone())));
                    if let Some(r) = self.conns.get_mut(&connection) {
                        r.lost = true;
                        r.wake.notify.notify_one();
                        lost_reason = r.failure().cloned();
                        r.set_failure(why);
                        if let Some(k) = r.extra().key.take() {
                            self.dialled.remove(&k);
                        }
                    }
                    tracing::debug!(?connection, ?reason, "connection lost");
                }
                other => tracing::trace!(?other, "engine event not routed"),
            }
        }
        let next = self.engine.poll_timeout();
        if next.is_some_and(|t| self.timer_at.is_none_or(|a| t < a)) {
            self.timer_kick = true;
        }
    }

    fn auth_result(&mut self, conn: ConnectionId, r: Result<Duration, RelayFailure>) {
        let wait = self.conns.get_mut(&conn).and_then(|c| c.extra.as_mut());
        if let Some(tx) = wait.and_then(|e| e.auth_wait.take()) {
            let _ = tx.send(r);
        }
    }

    /// A session got its connection. For a connection we accepted over TLS, the peer's
    /// certificate must match the fingerprints of *this* session's SDP (R4975-234): the
    /// handshake only checked it against all sessions waiting at the time.
    fn bound(&mut self, session: SessionId, connection: ConnectionId) {
        let peer = self
            .conns
            .get(&connection)
            .and_then(|r| r.peer_certificate.as_deref());
        let wants_tls = self.sessions.get(&session).is_some_and(|r| r.tls);
        let refused = match (peer, self.sessions.get(&session)) {
            (Some(der), Some(route)) if route.tls => {
                let ok =
                    FingerprintSet::new(&route.fingerprints).is_ok_and(|s| s.verify(der).is_ok());
                (!ok).then(|| TlsError::FingerprintMismatch {
                    presented: Fingerprint::of_der(HashAlgorithm::Sha256, der),
                })
            }
            // An msrps session over a connection without TLS (R4975-045): whoever knows
            // the session URI must not get in over plain TCP.
            (None, _) if wants_tls => Some(TlsError::NoCertificate),
            _ => None,
        };
        if let Some(e) = refused {
            tracing::warn!(?session, "refusing the connection for this session: {e}");
            self.emit(session, SessionEvent::SessionFailed(SessionFailure::Tls(e)));
            self.sessions.remove(&session);
            let _ = self.engine.close_session(session);
            self.fail_connection(
                connection,
                SessionFailure::Msrp(SessionError::ConnectionLost(ConnectionError::LocallyClosed)),
            );
            return;
        }
        let peer_fingerprint = peer.map(|der| Fingerprint::of_der(HashAlgorithm::Sha256, der));
        self.emit(session, SessionEvent::Bound { peer_fingerprint });
    }

    fn finish(
        &mut self,
        session: SessionId,
        message: MessageId,
        outcome: Outcome,
        ev: SessionEvent,
    ) {
        if let Some(mut r) = self.outgoing.remove(&message) {
            if let Some(done) = r.done.take() {
                let _ = done.send(outcome);
            }
            if let Some(w) = &r.wake {
                w.notify_one();
            }
        }
        self.emit(session, ev);
    }

    fn emit(&mut self, session: SessionId, event: SessionEvent) {
        self.emit_with(session, event, None);
    }

    fn emit_with(
        &mut self,
        session: SessionId,
        event: SessionEvent,
        credit: Option<(Arc<ConnWake>, usize)>,
    ) {
        match self.sessions.get(&session) {
            Some(r) => {
                if let Some(item) = r.tx.0.push(Item { event, credit }, &mut self.wakes) {
                    // The application dropped the session: give the credit back.
                    if let Some((w, n)) = item.credit {
                        w.release(n);
                    }
                }
            }
            None => {
                if let Some((w, n)) = credit {
                    w.release(n);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use msrp_proto::uri::Uri;

    /// One SEND of `body` to Bob, as a peer writes it.
    fn send(tid: &str, id: &str, body: &[u8]) -> Vec<u8> {
        let mut v = format!(
            "MSRP {tid} SEND\r\nTo-Path: msrp://bob.example.com:8888/b1;tcp\r\n\
             From-Path: msrp://alice.example.com:7777/a1;tcp\r\nMessage-ID: {id}\r\n\
             Byte-Range: 1-{n}/{n}\r\nContent-Type: text/plain\r\n\r\n",
            n = body.len()
        )
        .into_bytes();
        v.extend_from_slice(body);
        v.extend_from_slice(format!("\r\n-------{tid}$\r\n").as_bytes());
        v
    }

    #[test]
    fn large_pieces_are_lent_and_small_ones_copied() {
        #[allow(clippy::disallowed_methods)] // reason: any instant will do here
        let now = Instant::now();
        let mut e = engine::Endpoint::new(Arc::new(engine::Config::default()));
        let conn = e.add_connection();
        let bob = Uri::parse("msrp://bob.example.com:8888/b1;tcp").unwrap();
        let alice = Uri::parse("msrp://alice.example.com:7777/a1;tcp").unwrap();
        e.add_session(bob, vec![alice], None, now).unwrap();
        let big = vec![b'b'; 16 * VIEW_MIN];
        let (mut lent, mut copied) = (0, 0);
        for (tid, id, body) in [
            ("tx000001", "small001", &b"hello"[..]),
            ("tx000002", "large001", &big),
        ] {
            let input = send(tid, id, body);
            let mut fed = 0;
            let mut got = Vec::new();
            while fed < input.len() {
                fed += e.handle_input(conn, now, &input[fed..]).unwrap();
                while let Some(ev) = e.poll_event() {
                    let EngineEvent::Data { body: r, .. } = ev else {
                        continue;
                    };
                    got.extend_from_slice(&received(&mut e, r));
                    // A copied piece leaves the engine's bytes in place; a lent one
                    // took them.
                    let in_place = e.received_body(r).is_some();
                    assert_eq!(in_place, r.len() < VIEW_MIN, "piece of {}", r.len());
                    if in_place {
                        copied += 1;
                    } else {
                        lent += 1;
                    }
                }
            }
            assert_eq!(got, body);
        }
        assert!(lent > 0 && copied > 0, "lent {lent}, copied {copied}");
    }
}
