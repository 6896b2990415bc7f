//! The loops: one driver task per connection, one timer task per endpoint, one accept
//! loop per listener. Everything MSRP is decided by the engine; these loops only move
//! bytes and time, through the [`Runtime`] seam (tokio or smol/async-std sockets, timers
//! and spawning).
//!
//! A driver alternates between *flushing* (under the lock: engine output → [TLS →] socket
//! with `try_write`, until the socket would block or nothing is left) and *waiting* (no
//! lock: socket readiness, or its doorbell rung by a command, a lost connection or returned
//! receive credit). Plain TCP reads go straight into the engine's buffer and writes come
//! straight from it; over TLS the connection's [`TlsConnection`] is stacked under the
//! engine (socket → TLS → plaintext → engine, engine → TLS → socket).
//!
//! The socket and TLS state live in the connection's route ([`Io`]), behind the engine's
//! lock, so a task that queued output writes it itself ([`write_through`]): a file sent
//! with `send_reader` is framed, encrypted and written on the sending task while the
//! drivers read, and the driver is rung only when the socket is full.

use std::io;
use std::sync::Arc;
use std::time::Instant;

use msrp_proto::engine::{ConnectionId, SessionId};
use msrp_proto::tls::{TlsConnection, TlsEvent, TlsServerConfig};

use crate::SessionFailure;
use crate::rt::{Either, Listener, Ready, Runtime, Socket, first};
use crate::shared::{ConnWake, Inner, Shared};

/// TLS stacked under the engine.
pub(crate) struct Tls {
    conn: TlsConnection,
    /// Plaintext the engine could not take yet, or that arrived before the handshake was
    /// reported (so the peer certificate is known before any request is decoded).
    pending: Vec<u8>,
    ready: bool,
}

/// A connection's transport, kept in its route behind the engine's lock: the socket and,
/// over TLS, the TLS layer under the engine. Whichever task holds the lock can write
/// through it ([`flush`]): a sending task writes its own pieces while the socket takes
/// them, on its own thread; the driver reads, and writes what a full socket left.
pub(crate) struct Io {
    socket: Arc<dyn Socket>,
    /// Boxed: a plain TCP connection's route would otherwise carry the TLS state's size.
    tls: Option<Box<Tls>>,
}

impl Io {
    pub(crate) fn new(socket: Arc<dyn Socket>, tls: Option<TlsConnection>) -> Self {
        let tls = tls.map(|conn| {
            Box::new(Tls {
                conn,
                pending: Vec::new(),
                ready: false,
            })
        });
        Self { socket, tls }
    }
}

/// Runs one connection until the engine drops it: reads, writes what is left when the
/// socket was full, and notices the connection ending.
pub(crate) async fn drive<R: Runtime>(
    shared: Arc<Shared>,
    conn: ConnectionId,
    wake: Arc<ConnWake>,
    stream: Arc<R::Socket>,
) {
    let _ = stream.set_nodelay(true);
    let mut eof = false;
    loop {
        let (read, write) = {
            let mut g = shared.lock();
            // The engine reuses the id of a lost connection: once that happened, this
            // driver must not touch the engine with it again.
            if !owns(&g, conn, &wake) {
                break;
            }
            let write = flush(&mut g, conn, R::now());
            g.settle();
            let Some(route) = g.conns.get(&conn).filter(|r| !r.lost) else {
                if owns(&g, conn, &wake) {
                    g.retire(conn);
                }
                break;
            };
            let room = match &route.io.tls {
                // Asked without taking a buffer: an idle connection holds none.
                None => g.engine.can_read(conn).unwrap_or(false),
                Some(t) => t.pending.is_empty() && t.conn.can_read(),
            };
            (!eof && room && !wake.over_high_water(), write)
        };
        match first(ready(&*stream, read, write), wake.notify.notified()).await {
            Either::Left(Ok(r)) if r.readable => {
                eof = read_once::<R>(&shared, conn, &wake);
            }
            Either::Left(Ok(_)) | Either::Right(()) => {}
            Either::Left(Err(e)) => {
                let mut g = shared.lock();
                if owns(&g, conn, &wake) {
                    g.fail_connection(conn, SessionFailure::Io(e.kind()));
                }
            }
        }
    }
    tracing::debug!(?conn, "driver finished");
}

async fn ready(stream: &impl Socket, read: bool, write: bool) -> io::Result<Ready> {
    if !read && !write {
        return std::future::pending().await;
    }
    std::future::poll_fn(|cx| stream.poll_ready(cx, read, write)).await
}

/// Whether `conn` still names this driver's connection (its route carries our doorbell)
/// and not a newer connection that reused the id.
fn owns(g: &Inner, conn: ConnectionId, wake: &Arc<ConnWake>) -> bool {
    g.conns
        .get(&conn)
        .is_some_and(|r| Arc::ptr_eq(&r.wake, wake))
}

/// One non-blocking read; returns whether the peer closed its side.
fn read_once<R: Runtime>(shared: &Shared, conn: ConnectionId, wake: &Arc<ConnWake>) -> bool {
    let mut g = shared.lock();
    if !owns(&g, conn, wake) {
        return false; // the loop notices and ends
    }
    let now = R::now();
    let eof = with_io(&mut g, conn, |g, stream, tls| match tls {
        None => {
            let Ok(buf) = g.engine.recv_buf(conn) else {
                return false;
            };
            match stream.try_read(buf) {
                Ok(0) => return true,
                Ok(n) => {
                    let _ = g.engine.handle_read(conn, now, n);
                }
                // Readiness was stale: the buffer taken for the read goes back.
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    let _ = g.engine.release_recv_buf(conn);
                }
                Err(e) => g.fail_connection(conn, SessionFailure::Io(e.kind())),
            }
            false
        }
        Some(t) => match stream.try_read(t.conn.recv_buf()) {
            Ok(0) => true,
            Ok(n) => {
                let Tls {
                    conn: tc,
                    pending,
                    ready,
                } = t;
                let r = tc.handle_read(n, |p| feed(g, conn, now, pending, *ready, p));
                match r {
                    Err(e) => {
                        g.fail_connection(conn, SessionFailure::Tls(e));
                        false
                    }
                    Ok(()) => tls_events(g, conn, t),
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                t.conn.release_buffers();
                false
            }
            Err(e) => {
                g.fail_connection(conn, SessionFailure::Io(e.kind()));
                false
            }
        },
    })
    .unwrap_or(false);
    if eof {
        let _ = g.engine.handle_eof(conn, now);
    }
    g.settle();
    eof
}

/// Runs `f` on connection `conn`'s transport with the lock held: its TLS state is out
/// of the route meanwhile (so `f` may use the rest of `Inner`) and goes back after.
/// `None` if the connection has no route.
fn with_io<T>(
    g: &mut Inner,
    conn: ConnectionId,
    f: impl FnOnce(&mut Inner, &dyn Socket, Option<&mut Tls>) -> T,
) -> Option<T> {
    let route = g.conns.get_mut(&conn)?;
    let socket = route.io.socket.clone();
    let mut tls = route.io.tls.take();
    let out = f(g, &*socket, tls.as_deref_mut());
    if let Some(r) = g.conns.get_mut(&conn) {
        r.io.tls = tls;
    }
    Some(out)
}

/// Writes what the engine has for `conn` until the socket would block (then returns
/// `true`: its driver must wait until it is writable) or nothing is left. A transport
/// failure drops the connection. Any task holding the lock may call it.
pub(crate) fn flush(g: &mut Inner, conn: ConnectionId, now: Instant) -> bool {
    let blocked = with_io(g, conn, |g, socket, tls| match tls {
        None => flush_plain(g, conn, socket, now),
        Some(t) => flush_tls(g, conn, socket, t, now),
    });
    match blocked {
        Some(Err(why)) => {
            g.fail_connection(conn, why);
            false
        }
        Some(Ok(b)) => b,
        None => false,
    }
}

/// Writes a command's output (a message, a piece of a body) on the calling task, as far
/// as the socket takes it now; rings the driver only if it must take over (the socket
/// was full, or the connection failed). Saves a wake-up of the driver per piece and
/// spreads a transfer's work over the sending task and the drivers.
pub(crate) fn write_through(g: &mut Inner, session: SessionId, now: Instant) {
    let Some(conn) = g.engine.session_connection(session) else {
        return;
    };
    let blocked = flush(g, conn, now);
    g.settle();
    match g.conns.get(&conn) {
        Some(r) if blocked || r.lost => r.wake.notify.notify_one(),
        _ => {}
    }
}

/// Largest plain TCP write. The engine offers a pulled piece written in place whole
/// (128 KiB by default); on loopback, writes of this size (the raw baseline's) moved
/// 1 GiB about a quarter faster than 128 KiB writes (the receiver reads the first part
/// while the next is copied), at one more system call per piece.
const MAX_TCP_WRITE: usize = 64 * 1024;

/// Engine output → socket. `Ok(true)`: the socket would block with output left.
fn flush_plain(
    g: &mut Inner,
    conn: ConnectionId,
    stream: &dyn Socket,
    now: Instant,
) -> Result<bool, SessionFailure> {
    while let Some(out) = g.engine.poll_transmit(conn) {
        let out = &out[..out.len().min(MAX_TCP_WRITE)];
        match stream.try_write(out) {
            Ok(n) => {
                let _ = g.engine.transmit_done(conn, now, n);
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(true),
            Err(e) => return Err(SessionFailure::Io(e.kind())),
        }
    }
    Ok(false)
}

/// Pending plaintext → engine; engine output → TLS → socket.
fn flush_tls(
    g: &mut Inner,
    conn: ConnectionId,
    stream: &dyn Socket,
    t: &mut Tls,
    now: Instant,
) -> Result<bool, SessionFailure> {
    while t.ready && !t.pending.is_empty() {
        let Ok(n) = g.engine.handle_input(conn, now, &t.pending) else {
            t.pending.clear();
            break;
        };
        g.settle();
        if n == 0 {
            break;
        }
        t.pending.drain(..n);
    }
    let result = 'out: loop {
        while let Some(out) = g.engine.poll_transmit(conn) {
            match t.conn.write_plaintext(out) {
                Ok(0) => break,
                Ok(k) => {
                    let _ = g.engine.transmit_done(conn, now, k);
                }
                Err(e) => break 'out Err(SessionFailure::Tls(e)),
            }
        }
        let Some(ct) = t.conn.poll_transmit() else {
            break Ok(false);
        };
        match stream.try_write(ct) {
            Ok(n) => {
                let Tls {
                    conn: tc,
                    pending,
                    ready,
                } = t;
                if let Err(e) = tc.transmit_done(n, |p| feed(g, conn, now, pending, *ready, p)) {
                    break Err(SessionFailure::Tls(e));
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break Ok(true),
            Err(e) => break Err(SessionFailure::Io(e.kind())),
        }
    };
    if let Err(SessionFailure::Tls(_)) = &result
        && let Some(alert) = t.conn.poll_transmit()
    {
        let _ = stream.try_write(alert); // best effort: the fatal alert
    }
    if tls_events(g, conn, t) {
        let _ = g.engine.handle_eof(conn, now);
    }
    result
}

/// Plaintext from TLS → engine (or kept while the engine is full or the handshake is
/// not yet reported).
fn feed(
    g: &mut Inner,
    conn: ConnectionId,
    now: Instant,
    pending: &mut Vec<u8>,
    ready: bool,
    mut p: &[u8],
) {
    if !ready || !pending.is_empty() {
        pending.extend_from_slice(p);
        return;
    }
    while !p.is_empty() {
        let Ok(n) = g.engine.handle_input(conn, now, p) else {
            return; // connection gone: drop
        };
        g.settle();
        if n == 0 {
            pending.extend_from_slice(p);
            return;
        }
        p = &p[n..];
    }
}

/// TLS events; returns whether the peer closed (close_notify).
fn tls_events(g: &mut Inner, conn: ConnectionId, t: &mut Tls) -> bool {
    let mut closed = false;
    while let Some(ev) = t.conn.poll_event() {
        match ev {
            TlsEvent::HandshakeComplete {
                version,
                peer_fingerprint,
            } => {
                tracing::debug!(?conn, ?version, ?peer_fingerprint, "TLS handshake complete");
                if let Some(r) = g.conns.get_mut(&conn) {
                    r.peer_certificate = t.conn.peer_certificate().map(Box::from);
                    r.wake.notify.notify_one(); // pending plaintext may go now
                }
                t.ready = true;
            }
            TlsEvent::PeerClosed => closed = true,
            other => tracing::warn!(?conn, ?other, "TLS"),
        }
    }
    closed
}

/// Sleeps until the engine's earliest deadline and runs its timers.
pub(crate) async fn run_timer<R: Runtime>(shared: Arc<Shared>) {
    loop {
        let notified = shared.timer.notified();
        if shared.closed.load(std::sync::atomic::Ordering::Acquire) {
            return;
        }
        let deadline = {
            let mut g = shared.lock();
            let d = g.engine.poll_timeout();
            g.timer_at = d;
            d
        };
        match deadline {
            Some(d) => {
                first(R::sleep_until(d), notified).await;
            }
            None => notified.await,
        }
        let now = R::now();
        let mut g = shared.lock();
        if g.engine.poll_timeout().is_some_and(|d| d <= now) {
            g.engine.handle_timeout(now);
            g.settle();
            g.kick_all();
        }
    }
}

/// Accepts connections for passive sessions until the endpoint closes.
pub(crate) async fn accept_loop<R: Runtime>(shared: Arc<Shared>, listener: R::Listener, tls: bool) {
    loop {
        let stop = shared.shutdown.notified();
        if shared.closed.load(std::sync::atomic::Ordering::Acquire) {
            return;
        }
        let accept = std::future::poll_fn(|cx| listener.poll_accept(cx));
        let (stream, peer) = match first(accept, stop).await {
            Either::Left(Ok(x)) => x,
            Either::Left(Err(e)) => {
                // Typically out of descriptors: back off instead of spinning.
                tracing::warn!("accept: {e}");
                R::sleep_until(R::now() + std::time::Duration::from_millis(20)).await;
                continue;
            }
            Either::Right(()) => return,
        };
        let tls = if tls {
            let fingerprints = shared.lock().pending_fingerprints();
            let Some(cert) = shared.certificate.clone() else {
                tracing::warn!(%peer, "TLS listener without a certificate");
                continue;
            };
            let server = TlsServerConfig::by_fingerprint(cert, &fingerprints)
                .and_then(|c| TlsConnection::server(&c));
            match server {
                Ok(c) => Some(c),
                Err(e) => {
                    tracing::info!(%peer, "refusing TLS connection: {e}");
                    continue;
                }
            }
        } else {
            None
        };
        tracing::debug!(%peer, "accepted");
        let stream = Arc::new(stream);
        let io = Io::new(stream.clone(), tls);
        let (id, wake) = shared.lock().add_connection(None, io);
        R::spawn(drive::<R>(shared.clone(), id, wake, stream));
    }
}
