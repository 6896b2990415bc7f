//! # msrp-smol — MSRP on smol (and async-std)
//!
//! The sans-IO core ([`msrp_proto::engine`], [`msrp_proto::tls`]) as an async library on
//! [`async-io`](async_io)'s reactor and smol's executor, with the same API as
//! `msrp-tokio`: both are [`msrp_async`]'s endpoint, sessions and connection drivers; this
//! crate plugs in `async_io::Async<TcpStream>` sockets, `async_io::Timer` and
//! `smol::spawn` ([`Smol`]).
//!
//! It runs under smol and under async-std (which drives the same async-io reactor): the
//! endpoint's tasks go to smol's global executor whichever runtime the application's own
//! tasks run on. Bodies are streamed from any [`futures_io::AsyncRead`] (smol's and
//! async-std's files, `&[u8]`).
//!
//! ## Example
//!
//! ```
//! use msrp_smol::{Endpoint, EndpointConfig, SessionEvent, session_uri};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! smol::block_on(async {
//!     let alice = Endpoint::new(EndpointConfig::default());
//!     let bob = Endpoint::new(EndpointConfig::default());
//!     let addr = alice.listen("127.0.0.1:0".parse()?).await?;
//!     let a = session_uri(false, "127.0.0.1", addr.port())?;
//!     let b = session_uri(false, "127.0.0.1", 9)?;
//!     // What SDP would have said: Alice waits, Bob dials her address.
//!     let mut sa = alice.add_session(a.clone(), vec![b.clone()], None, &[])?;
//!     let conn = bob.connect(addr).await?;
//!     let sb = bob.add_session(b, vec![a], Some(conn), &[])?;
//!     let sent = sb.send("text/plain", "hello")?;
//!     while let Some(ev) = sa.next_event().await {
//!         if let SessionEvent::Data { bytes, .. } = ev {
//!             println!("{}", String::from_utf8_lossy(&bytes));
//!             break;
//!         }
//!     }
//!     println!("{:?}", sent.outcome().await);
//!     Ok(())
//! })
//! # }
//! ```

use std::future::Future;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Instant;

use async_io::{Async, Timer};
use msrp_async::rt::{self, Ready};

pub use msrp_async::{
    AbortReason, ConnectionId, EndpointConfig, EngineConfig, Error, Fingerprint, LocalCertificate,
    MessageId, Outcome, Outgoing, RelayRoute, SessionError, SessionEvent, SessionFailure,
    SessionId, StatusCode, TlsError, session_uri,
};

/// An MSRP endpoint on smol (see [`msrp_async::Endpoint`]).
pub type Endpoint = msrp_async::Endpoint<Smol>;
/// A session on smol (see [`msrp_async::Session`]).
pub type Session = msrp_async::Session<Smol>;
/// The sending half of a [`Session`] (see [`msrp_async::Sender`]).
pub type Sender = msrp_async::Sender<Smol>;

/// smol as an [`msrp_async::Runtime`]: `smol::spawn` (detached, on smol's global
/// executor), the std clock, `async_io::Timer`, `async_io::Async` TCP sockets.
#[derive(Debug, Clone, Copy)]
pub struct Smol;

impl rt::Runtime for Smol {
    type Socket = Socket;
    type Listener = Listener;

    fn spawn(future: impl Future<Output = ()> + Send + 'static) {
        smol::spawn(future).detach();
    }

    #[allow(clippy::disallowed_methods)] // the adapter is where real time enters
    fn now() -> Instant {
        Instant::now()
    }

    async fn sleep_until(deadline: Instant) {
        Timer::at(deadline).await;
    }

    async fn connect(host: String, port: u16) -> io::Result<Socket> {
        let addrs = match host.parse::<std::net::IpAddr>() {
            Ok(ip) => vec![SocketAddr::new(ip, port)],
            Err(_) => smol::net::resolve((host.as_str(), port)).await?,
        };
        let mut last = io::Error::new(io::ErrorKind::NotFound, "no address for host");
        for addr in addrs {
            match Async::<TcpStream>::connect(addr).await {
                Ok(io) => return Ok(Socket::new(io)),
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    async fn bind(addr: SocketAddr) -> io::Result<Listener> {
        Async::<TcpListener>::bind(addr).map(Listener)
    }
}

/// An `async_io::Async<TcpStream>` that remembers readiness until an operation would
/// block (as tokio's sockets do), so a driver reading or writing in several steps does not
/// wait for the reactor between them.
#[derive(Debug)]
pub struct Socket {
    io: Async<TcpStream>,
    readable: AtomicBool,
    writable: AtomicBool,
}

impl Socket {
    fn new(io: Async<TcpStream>) -> Self {
        Self {
            io,
            readable: AtomicBool::new(true),
            writable: AtomicBool::new(true),
        }
    }

    /// The registered socket.
    #[must_use]
    pub fn get_ref(&self) -> &Async<TcpStream> {
        &self.io
    }
}

/// Whether `hint` or the reactor says the direction is ready (polling registers `cx`).
fn poll_dir(
    hint: &AtomicBool,
    cx: &mut Context<'_>,
    poll: impl FnOnce(&mut Context<'_>) -> Poll<io::Result<()>>,
) -> io::Result<bool> {
    if hint.load(Ordering::Acquire) {
        return Ok(true);
    }
    match poll(cx) {
        Poll::Ready(Ok(())) => {
            hint.store(true, Ordering::Release);
            Ok(true)
        }
        Poll::Ready(Err(e)) => Err(e),
        Poll::Pending => Ok(false),
    }
}

/// Forgets readiness when `r` would block.
fn note<T>(hint: &AtomicBool, r: io::Result<T>) -> io::Result<T> {
    if matches!(&r, Err(e) if e.kind() == io::ErrorKind::WouldBlock) {
        hint.store(false, Ordering::Release);
    }
    r
}

impl rt::Socket for Socket {
    fn poll_ready(&self, cx: &mut Context<'_>, read: bool, write: bool) -> Poll<io::Result<Ready>> {
        let ready = (|| {
            Ok::<_, io::Error>(Ready {
                readable: read && poll_dir(&self.readable, cx, |cx| self.io.poll_readable(cx))?,
                writable: write && poll_dir(&self.writable, cx, |cx| self.io.poll_writable(cx))?,
            })
        })();
        match ready {
            Ok(r) if r == Ready::default() => Poll::Pending,
            r => Poll::Ready(r),
        }
    }

    fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        note(&self.readable, self.io.get_ref().read(buf))
    }

    fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        note(&self.writable, self.io.get_ref().write(buf))
    }

    fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.io.get_ref().set_nodelay(nodelay)
    }
}

/// An `async_io::Async<TcpListener>` as the adapter's listener.
#[derive(Debug)]
pub struct Listener(pub Async<TcpListener>);

impl rt::Listener for Listener {
    type Socket = Socket;

    fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(Socket, SocketAddr)>> {
        loop {
            match self.0.get_ref().accept() {
                Ok((stream, peer)) => {
                    return Poll::Ready(Async::new(stream).map(|io| (Socket::new(io), peer)));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    if let Err(e) = std::task::ready!(self.0.poll_readable(cx)) {
                        return Poll::Ready(Err(e));
                    }
                }
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.0.get_ref().local_addr()
    }
}
