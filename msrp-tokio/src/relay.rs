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
//! Not yet: TLS listeners (`msrps`) and the TLS identity of peer relays; the relay
//! speaks plain TCP only.

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use msrp_proto::engine::ConnectionId;
use msrp_proto::relay::server::{ConfigError, CredentialStore, Event, Relay, RelayConfig};
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
    Dialled(ConnectionId, io::Result<TcpStream>),
    Read(ConnectionId, Bytes),
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
        })
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
            ..
        } = self;
        let (io_tx, mut io_rx) = mpsc::channel::<Io>(1024);
        let accept_tx = io_tx.clone();
        let acceptor = tokio::spawn(async move {
            loop {
                match listener.accept().await {
                    Ok((s, _)) => {
                        if accept_tx.send(Io::Accepted(s)).await.is_err() {
                            return;
                        }
                    }
                    Err(e) => {
                        tracing::warn!("relay accept: {e}");
                        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                    }
                }
            }
        });
        let mut conns: HashMap<ConnectionId, ConnIo> = HashMap::new();
        loop {
            settle(&mut relay, &mut conns, &io_tx);
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
                Io::Dialled(c, Ok(s)) => {
                    let _ = s.set_nodelay(true);
                    if relay.handle_connected(c, t).is_ok() {
                        conns.insert(c, start(c, s, &io_tx));
                    }
                }
                Io::Dialled(c, Err(e)) => {
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
                Io::Written => {}
            }
        }
        acceptor.abort();
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
fn settle(relay: &mut Relay, conns: &mut HashMap<ConnectionId, ConnIo>, io_tx: &mpsc::Sender<Io>) {
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
                    tokio::spawn(async move {
                        let r = TcpStream::connect(addr).await;
                        let _ = tx.send(Io::Dialled(conn, r)).await;
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
    let (mut rd, mut wr) = s.into_split();
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
        let mut buf = vec![0u8; READ];
        loop {
            match permits.acquire().await {
                Ok(p) => p.forget(),
                Err(_) => return,
            }
            match rd.read(&mut buf).await {
                Ok(0) | Err(_) => {
                    let _ = tx.send(Io::Eof(c)).await;
                    return;
                }
                Ok(n) => {
                    if tx
                        .send(Io::Read(c, Bytes::copy_from_slice(&buf[..n])))
                        .await
                        .is_err()
                    {
                        return;
                    }
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
