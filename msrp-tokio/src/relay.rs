//! An RFC 4976 relay on tokio: msrp-proto's sans-IO [`Relay`] driven over TCP.
//!
//! One task owns the relay and makes every decision's I/O happen: per connection a
//! reader task (socket → bounded channel → relay) and a writer task (relay → bounded
//! channel → socket); outgoing connections are dialled when the relay asks
//! ([`Event::Connect`]); one timer follows [`Relay::poll_timeout`]. The bounded channels
//! carry the relay's back-pressure to the sockets: a relay that stops taking input stops
//! the reader, and at most a few pieces per connection sit between the relay and its
//! socket.
//!
//! ```no_run
//! use msrp_proto::relay::server::{MemoryCredentials, RelayConfig};
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let mut creds = MemoryCredentials::new();
//! creds.insert_password("relay.example.net", "alice", "secret");
//! let mut cfg = RelayConfig::new("msrp://relay.example.net:2855;tcp".parse()?);
//! cfg.realm = "relay.example.net".into();
//! let relay = msrp_tokio::relay::RelayServer::bind("0.0.0.0:2855".parse()?, cfg, creds).await?;
//! println!("relaying on {}", relay.local_addr());
//! relay.run().await;
//! # Ok(()) }
//! ```
//!
//! A TLS listener (`msrps`, RFC 4976 §9.2: AUTH only over TLS) is added with
//! [`RelayServer::with_tls_listener`]: the relay presents its certificate; each TLS
//! connection is one task that owns the [`TlsConnection`] (socket ⇄ TLS ⇄ relay), with
//! the same back-pressure. Built with [`TlsServerConfig::with_peer_relays`], the listener
//! also requests client certificates: a peer that presents one the given roots accept is
//! a peer relay (mutual TLS, R4976-022/-065) and the relay checks what it forwards
//! against its names (R4976-025/-028); clients present none (R4976-067) and use Digest.
//!
//! Toward an `msrps` next hop the relay dials TLS, checking the peer by name, when
//! [`RelayServer::with_tls_dial`] gave it trust roots (and presents its own certificate
//! if given one); without them it refuses such a hop rather than fall back to plain TCP.

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use msrp_proto::engine::ConnectionId;
use msrp_proto::relay::server::{ConfigError, CredentialStore, Event, Relay, RelayConfig};
use msrp_proto::tls::{
    LocalCertificate, PeerIdentity, TlsClientConfig, TlsConnection, TlsEvent, TlsServerConfig,
    TrustRoots, WallClock,
};
use msrp_proto::uri::Scheme;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

use crate::now;

/// Pieces in flight per connection in each direction.
const PIPE: usize = 4;
/// Largest read.
const READ: usize = 64 * 1024;

/// What the I/O tasks report to the relay task.
enum Io {
    Accepted(TcpStream),
    AcceptedTls(TcpStream),
    Dialled(
        ConnectionId,
        io::Result<TcpStream>,
        Option<Box<TlsConnection>>,
    ),
    Read(ConnectionId, Bytes),
    /// An accepted TLS peer presented a certificate our roots vouch for: a peer relay.
    PeerRelay(ConnectionId, PeerIdentity),
    Eof(ConnectionId),
    Written,
}

struct ConnIo {
    /// To the writer task.
    out: mpsc::Sender<Bytes>,
    /// Input the relay has not taken yet (it pushed back).
    pending: Option<Bytes>,
    /// One permit per read: the reader reads again only once the relay took the last
    /// one, so a relay that pushes back stops the socket.
    credit: Arc<tokio::sync::Semaphore>,
    reader: tokio::task::JoinHandle<()>,
}

/// A running relay: a TCP listener and the [`Relay`] behind it.
pub struct RelayServer {
    relay: Relay,
    listener: TcpListener,
    local: SocketAddr,
    tls: Option<(TcpListener, Arc<TlsServerConfig>)>,
    dial: Option<TlsDial>,
}

/// How the relay opens TLS toward `msrps` next hops.
struct TlsDial {
    roots: TrustRoots,
    clock: Arc<dyn WallClock>,
    certificate: Option<LocalCertificate>,
}

impl TlsDial {
    fn client(&self, host: &str) -> Result<TlsConnection, msrp_proto::tls::ConfigError> {
        let mut cfg = TlsClientConfig::by_name(host, self.roots.clone(), self.clock.clone())?;
        if let Some(c) = &self.certificate {
            cfg = cfg.with_client_certificate(c.clone());
        }
        TlsConnection::client(&cfg)
    }
}

impl RelayServer {
    /// Binds the listener and checks the configuration.
    ///
    /// # Errors
    /// Binding failed, or `config` is invalid (as an [`io::ErrorKind::InvalidInput`]).
    pub async fn bind(
        addr: SocketAddr,
        config: RelayConfig,
        credentials: impl CredentialStore + 'static,
    ) -> io::Result<Self> {
        Self::with_listener(TcpListener::bind(addr).await?, config, credentials)
    }

    /// Uses a listener already bound (e.g. to learn the port before writing
    /// [`RelayConfig::authority`]).
    ///
    /// # Errors
    /// `config` is invalid (as an [`io::ErrorKind::InvalidInput`]).
    pub fn with_listener(
        listener: TcpListener,
        config: RelayConfig,
        credentials: impl CredentialStore + 'static,
    ) -> io::Result<Self> {
        let relay = Relay::new(Arc::new(config), Box::new(credentials))
            .map_err(|e: ConfigError| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        let local = listener.local_addr()?;
        Ok(Self {
            relay,
            listener,
            local,
            tls: None,
            dial: None,
        })
    }

    /// Dials `msrps` next hops over TLS, checking them by name against `roots` at
    /// `clock`'s time and presenting `certificate` if given (R4976-065 wants relays to
    /// authenticate each other).
    #[must_use]
    pub fn with_tls_dial(
        mut self,
        roots: TrustRoots,
        clock: Arc<dyn WallClock>,
        certificate: Option<LocalCertificate>,
    ) -> Self {
        self.dial = Some(TlsDial {
            roots,
            clock,
            certificate,
        });
        self
    }

    /// Also accepts TLS (`msrps`) connections on `listener`, presenting `config`'s
    /// certificate (build it with [`TlsServerConfig::by_name`]: the relay is identified
    /// by the name in its certificate, R4976-065).
    #[must_use]
    pub fn with_tls_listener(mut self, listener: TcpListener, config: TlsServerConfig) -> Self {
        self.tls = Some((listener, Arc::new(config)));
        self
    }

    /// The address the listener is bound to.
    #[must_use]
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// Relays until the task is dropped.
    pub async fn run(self) {
        let Self {
            mut relay,
            listener,
            tls,
            dial,
            ..
        } = self;
        let (io_tx, mut io_rx) = mpsc::channel::<Io>(1024);
        let acceptor = tokio::spawn(accept(listener, io_tx.clone(), Io::Accepted));
        let (tls_acceptor, tls_config) = match tls {
            Some((l, cfg)) => (
                Some(tokio::spawn(accept(l, io_tx.clone(), Io::AcceptedTls))),
                Some(cfg),
            ),
            None => (None, None),
        };
        let mut conns: HashMap<ConnectionId, ConnIo> = HashMap::new();
        loop {
            settle(&mut relay, &mut conns, &io_tx, dial.as_ref());
            let deadline = relay.poll_timeout();
            let io = tokio::select! {
                io = io_rx.recv() => io,
                () = sleep_until(deadline) => {
                    relay.handle_timeout(now());
                    continue;
                }
            };
            let Some(io) = io else { break };
            let t = now();
            match io {
                Io::Accepted(s) => {
                    let _ = s.set_nodelay(true);
                    let c = relay.add_connection(t);
                    conns.insert(c, start(c, s, &io_tx));
                }
                Io::AcceptedTls(s) => {
                    let Some(cfg) = &tls_config else { continue };
                    match TlsConnection::server(cfg) {
                        Ok(tls) => {
                            let _ = s.set_nodelay(true);
                            let c = relay.add_connection(t);
                            conns.insert(c, start_tls(c, s, tls, true, &io_tx));
                        }
                        Err(e) => tracing::warn!("relay TLS: {e}"),
                    }
                }
                Io::Dialled(c, Ok(s), tls) => {
                    let _ = s.set_nodelay(true);
                    if relay.handle_connected(c, t).is_ok() {
                        let io = match tls {
                            Some(tls) => start_tls(c, s, *tls, false, &io_tx),
                            None => start(c, s, &io_tx),
                        };
                        conns.insert(c, io);
                    }
                }
                Io::Dialled(c, Err(e), _) => {
                    tracing::info!(?c, "relay: next hop unreachable: {e}");
                    let _ = relay.handle_connect_failed(c, t);
                }
                Io::Read(c, bytes) => {
                    if let Some(io) = conns.get_mut(&c) {
                        debug_assert!(io.pending.is_none(), "one read at a time");
                        io.pending = Some(bytes);
                    }
                }
                Io::Eof(c) => {
                    let _ = relay.handle_eof(c, t);
                }
                Io::PeerRelay(c, id) => {
                    tracing::debug!(?c, "relay: peer relay authenticated by certificate");
                    let _ = relay.set_peer_relay(c, Arc::new(id));
                }
                Io::Written => {}
            }
        }
        acceptor.abort();
        if let Some(a) = tls_acceptor {
            a.abort();
        }
    }
}

/// Accepts connections on `listener` and hands them to the relay task as `wrap(stream)`.
async fn accept(listener: TcpListener, tx: mpsc::Sender<Io>, wrap: fn(TcpStream) -> Io) {
    loop {
        match listener.accept().await {
            Ok((s, _)) => {
                if tx.send(wrap(s)).await.is_err() {
                    return;
                }
            }
            Err(e) => {
                tracing::warn!("relay accept: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        }
    }
}

/// Sleeps until `deadline`, or forever without one.
async fn sleep_until(deadline: Option<std::time::Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d.into()).await,
        None => std::future::pending().await,
    }
}

/// Feeds pending input, moves output to the writers and acts on the relay's events, until
/// nothing moves.
fn settle(
    relay: &mut Relay,
    conns: &mut HashMap<ConnectionId, ConnIo>,
    io_tx: &mpsc::Sender<Io>,
    dial: Option<&TlsDial>,
) {
    loop {
        let t = now();
        let mut moved = false;
        for (&c, io) in conns.iter_mut() {
            if let Some(mut p) = io.pending.take() {
                // An error: the relay dropped the connection; its input goes with it.
                if let Ok(n) = relay.handle_input(c, t, &p) {
                    moved |= n > 0;
                    let _ = p.split_to(n);
                    if p.is_empty() {
                        io.credit.add_permits(1);
                    } else {
                        io.pending = Some(p);
                    }
                }
            }
            while let Ok(permit) = io.out.try_reserve() {
                let Some(out) = relay.poll_transmit(c) else {
                    break;
                };
                let n = out.len();
                permit.send(Bytes::copy_from_slice(out));
                let _ = relay.transmit_done(c, t, n);
                moved = true;
            }
        }
        while let Some(ev) = relay.poll_event() {
            moved = true;
            match ev {
                Event::Connect { conn, target } => {
                    let tx = io_tx.clone();
                    let u = target.as_ref();
                    let addr = format!("{}:{}", u.host_str(), u.port().unwrap_or(2855));
                    // msrps is TLS or nothing: never a silent downgrade to plain TCP.
                    let tls = match (u.scheme() == Scheme::Msrps, dial) {
                        (false, _) => None,
                        (true, Some(d)) => match d.client(u.host_str()) {
                            Ok(c) => Some(Box::new(c)),
                            Err(e) => {
                                tracing::warn!(?conn, "relay: TLS toward {addr}: {e}");
                                let _ = relay.handle_connect_failed(conn, now());
                                continue;
                            }
                        },
                        (true, None) => {
                            tracing::warn!(?conn, "relay: {addr} needs TLS; no with_tls_dial");
                            let _ = relay.handle_connect_failed(conn, now());
                            continue;
                        }
                    };
                    tokio::spawn(async move {
                        let r = TcpStream::connect(addr).await;
                        let _ = tx.send(Io::Dialled(conn, r, tls)).await;
                    });
                }
                Event::Closed { conn, reason } => {
                    tracing::debug!(?conn, ?reason, "relay: connection closed");
                    if let Some(io) = conns.remove(&conn) {
                        io.reader.abort(); // the writer ends with its channel
                    }
                }
                Event::Authenticated { conn, expires_secs } => {
                    tracing::info!(?conn, expires_secs, "relay: client authenticated");
                }
                other => tracing::trace!(?other, "relay event"),
            }
        }
        if !moved {
            return;
        }
    }
}

/// Starts the reader and writer tasks of a connection.
fn start(c: ConnectionId, s: TcpStream, io_tx: &mpsc::Sender<Io>) -> ConnIo {
    let (rd, mut wr) = s.into_split();
    let (out_tx, mut out_rx) = mpsc::channel::<Bytes>(PIPE);
    let tx = io_tx.clone();
    tokio::spawn(async move {
        while let Some(b) = out_rx.recv().await {
            if wr.write_all(&b).await.is_err() {
                break;
            }
            if tx.send(Io::Written).await.is_err() {
                break;
            }
        }
        let _ = wr.shutdown().await;
    });
    let tx = io_tx.clone();
    let credit = Arc::new(tokio::sync::Semaphore::new(1));
    let permits = credit.clone();
    let reader = tokio::spawn(async move {
        loop {
            match permits.acquire().await {
                Ok(p) => p.forget(),
                Err(_) => return,
            }
            // The buffer exists only while bytes are there: an idle connection holds
            // none, and what was read goes to the relay task without another copy.
            let read = loop {
                if rd.readable().await.is_err() {
                    break Err(());
                }
                let mut buf = BytesMut::with_capacity(READ);
                match rd.try_read_buf(&mut buf) {
                    Ok(0) => break Err(()),
                    Ok(_) => break Ok(buf.freeze()),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                    Err(_) => break Err(()),
                }
            };
            match read {
                Ok(bytes) => {
                    if tx.send(Io::Read(c, bytes)).await.is_err() {
                        return;
                    }
                }
                Err(()) => {
                    let _ = tx.send(Io::Eof(c)).await;
                    return;
                }
            }
        }
    });
    ConnIo {
        out: out_tx,
        pending: None,
        credit,
        reader,
    }
}

/// Starts the one task of a TLS connection: it owns the [`TlsConnection`] and moves
/// ciphertext to and from the socket, plaintext to the relay task (one piece at a time,
/// under the same credit as [`start`]'s reader) and from the relay's output channel.
///
/// On an `accepted` connection whose client presented a certificate the listener's
/// roots accept ([`TlsServerConfig::with_peer_relays`]), the relay learns the peer's
/// identity before any of its input (R4976-022).
fn start_tls(
    c: ConnectionId,
    s: TcpStream,
    mut tls: TlsConnection,
    accepted: bool,
    io_tx: &mpsc::Sender<Io>,
) -> ConnIo {
    let (out_tx, mut out_rx) = mpsc::channel::<Bytes>(PIPE);
    let tx = io_tx.clone();
    let credit = Arc::new(tokio::sync::Semaphore::new(1));
    let permits = credit.clone();
    let task = tokio::spawn(async move {
        let mut s = s;
        // Plaintext from the peer not yet handed over / for the peer not yet encrypted.
        let mut inbound: Vec<u8> = Vec::new();
        let mut outbound: Option<Bytes> = None;
        let mut input_open = true;
        loop {
            // Encrypt what the relay gave us, as far as TLS takes it (nothing during the
            // handshake), and write every record, until neither moves.
            loop {
                let mut moved = false;
                while let Some(b) = outbound.as_mut() {
                    match tls.write_plaintext(b) {
                        Ok(0) => break,
                        Ok(k) => {
                            moved = true;
                            let _ = b.split_to(k);
                            if b.is_empty() {
                                outbound = None;
                                let _ = tx.send(Io::Written).await;
                            }
                        }
                        Err(e) => return tls_lost(&tx, c, &e).await,
                    }
                }
                while let Some(ct) = tls.poll_transmit() {
                    moved = true;
                    let n = match s.write(ct).await {
                        Ok(n) if n > 0 => n,
                        _ => return eof(&tx, c).await,
                    };
                    if let Err(e) = tls.transmit_done(n, |p| inbound.extend_from_slice(p)) {
                        return tls_lost(&tx, c, &e).await;
                    }
                }
                if !moved {
                    break;
                }
            }
            while let Some(ev) = tls.poll_event() {
                tracing::debug!(?c, ?ev, "relay TLS");
                if let (true, TlsEvent::HandshakeComplete { .. }, Some(id)) =
                    (accepted, &ev, tls.peer_identity())
                    && tx.send(Io::PeerRelay(c, id)).await.is_err()
                {
                    return;
                }
            }
            // Hand plaintext to the relay once it took the previous piece.
            if !inbound.is_empty() {
                match permits.acquire().await {
                    Ok(p) => p.forget(),
                    Err(_) => return,
                }
                let piece = Bytes::from(std::mem::take(&mut inbound));
                if tx.send(Io::Read(c, piece)).await.is_err() {
                    return;
                }
                continue;
            }
            tokio::select! {
                r = s.read(tls.recv_buf()), if input_open => match r {
                    Ok(0) | Err(_) => {
                        input_open = false;
                        let _ = tx.send(Io::Eof(c)).await;
                    }
                    Ok(n) => {
                        if let Err(e) = tls.handle_read(n, |p| inbound.extend_from_slice(p)) {
                            return tls_lost(&tx, c, &e).await;
                        }
                    }
                },
                b = out_rx.recv(), if outbound.is_none() => match b {
                    Some(b) => outbound = Some(b),
                    None => return, // the relay dropped the connection
                },
                // The peer closed during the handshake with our output still waiting.
                else => return,
            }
        }
    });
    ConnIo {
        out: out_tx,
        pending: None,
        credit,
        reader: task,
    }
}

async fn tls_lost(tx: &mpsc::Sender<Io>, c: ConnectionId, e: &msrp_proto::tls::TlsError) {
    tracing::info!(?c, "relay TLS connection failed: {e}");
    eof(tx, c).await;
}

async fn eof(tx: &mpsc::Sender<Io>, c: ConnectionId) {
    let _ = tx.send(Io::Eof(c)).await;
}
