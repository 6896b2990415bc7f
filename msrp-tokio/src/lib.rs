//! # msrp-tokio — MSRP on tokio
//!
//! The sans-IO core ([`msrp_proto::engine`], [`msrp_proto::tls`]) as an async library on
//! tokio. The endpoint, sessions and connection drivers are [`msrp_async`]'s, shared with
//! `msrp-smol`; this crate plugs tokio's sockets, timers and `spawn` into them
//! ([`Tokio`]) and adds an MSRP relay server on sockets ([`relay`]).
//!
//! * [`Endpoint`] — one engine shared by all sessions and connections (cheap to clone).
//!   [`listen`](Endpoint::listen) / [`listen_tls`](Endpoint::listen_tls) accept connections
//!   for passive sessions; [`open_session`](Endpoint::open_session) turns a negotiated
//!   [`msrp_sdp::Session`] into a [`Session`]: it dials the address SDP chose (the c/m
//!   address under CEMA), over TLS with fingerprint authentication for `msrps`, reusing a
//!   connection already dialled to the same target, or waits for the peer.
//! * [`Session`] / [`Sender`] — send whole messages or stream a body
//!   ([`send_reader`](Sender::send_reader); wrap a tokio reader in [`compat`]), and read
//!   [`SessionEvent`]s. Dropping a `Session` closes it.
//!
//! Time is tokio's clock (`tokio::time::Instant`), so paused-time tests work.
//!
//! ## Example
//!
//! Alice and Bob on loopback, negotiating by SDP offer/answer as two SIP user agents would
//! (here the SDP just passes between two variables):
//!
//! ```
//! use msrp_sdp::{
//!     Address, AnswerOutcome, LocalConfig, OfferOutcome, Origin, Resolutions, apply_answer_sdp,
//!     create_answer, create_offer,
//! };
//! use msrp_tokio::{Endpoint, EndpointConfig, Outcome, SessionEvent, session_uri};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
//! rt.block_on(async {
//!     let origin = Origin {
//!         username: "-".into(),
//!         session_id: 1,
//!         version: 1,
//!         address: Address::Name("127.0.0.1".into()),
//!     };
//!     let (alice, bob) = (
//!         Endpoint::new(EndpointConfig::default()),
//!         Endpoint::new(EndpointConfig::default()),
//!     );
//!     // Alice listens and offers; Bob is not reachable, so he answers `active` and dials.
//!     let addr = alice.listen("127.0.0.1:0".parse()?).await?;
//!     let a = LocalConfig::new(session_uri(false, "127.0.0.1", addr.port())?);
//!     let mut b = LocalConfig::new(session_uri(false, "127.0.0.1", 9)?);
//!     b.reachable = false;
//!     let offer = create_offer(&a, &origin).map_err(|e| format!("{e:?}"))?;
//!     let answer = create_answer(&offer, &b, &Resolutions::new(), &origin)?;
//!     let AnswerOutcome::Accept { session: for_bob, .. } = answer.outcome else {
//!         return Err("Bob rejected the offer".into());
//!     };
//!     let OfferOutcome::Established(for_alice) =
//!         apply_answer_sdp(&a, &offer, &answer.sdp, &Resolutions::new())?
//!     else {
//!         return Err("no session".into());
//!     };
//!     let mut alice_s = alice.open_session(&for_alice).await?;
//!     let bob_s = bob.open_session(&for_bob).await?;
//!
//!     let sent = bob_s.send("text/plain", "Hello Alice")?;
//!     while let Some(ev) = alice_s.next_event().await {
//!         if let SessionEvent::Data { bytes, .. } = ev {
//!             println!("Alice got: {}", String::from_utf8_lossy(&bytes));
//!             break;
//!         }
//!     }
//!     // The 200 (Failure-Report: yes) confirms it.
//!     assert!(matches!(sent.outcome().await, Outcome::Delivered { .. }));
//!     Ok(())
//! })
//! # }
//! ```

pub mod relay;

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use msrp_async::rt::{self, Ready};
use tokio::io::ReadBuf;
use tokio::net::{TcpListener, TcpStream};

pub use msrp_async::{
    AbortReason, ConnectionId, EndpointConfig, EngineConfig, Error, Fingerprint, LocalCertificate,
    MessageId, Outcome, Outgoing, RelayRoute, SessionError, SessionEvent, SessionFailure,
    SessionId, StatusCode, TlsError, session_uri,
};

/// An MSRP endpoint on tokio (see [`msrp_async::Endpoint`]).
pub type Endpoint = msrp_async::Endpoint<Tokio>;
/// A session on tokio (see [`msrp_async::Session`]).
pub type Session = msrp_async::Session<Tokio>;
/// The sending half of a [`Session`] (see [`msrp_async::Sender`]).
pub type Sender = msrp_async::Sender<Tokio>;

/// tokio as an [`msrp_async::Runtime`]: `tokio::spawn`, tokio's clock and timers, tokio
/// TCP sockets.
#[derive(Debug, Clone, Copy)]
pub struct Tokio;

impl rt::Runtime for Tokio {
    type Socket = Socket;
    type Listener = Listener;

    fn spawn(future: impl Future<Output = ()> + Send + 'static) {
        tokio::spawn(future);
    }

    fn now() -> Instant {
        now()
    }

    fn sleep_until(deadline: Instant) -> impl Future<Output = ()> + Send + 'static {
        tokio::time::sleep_until(deadline.into())
    }

    async fn connect(host: String, port: u16) -> io::Result<Socket> {
        TcpStream::connect((host.as_str(), port)).await.map(Socket)
    }

    async fn bind(addr: SocketAddr) -> io::Result<Listener> {
        TcpListener::bind(addr).await.map(Listener)
    }
}

/// tokio's clock as a std `Instant`.
pub(crate) fn now() -> Instant {
    tokio::time::Instant::now().into_std()
}

/// A tokio `TcpStream` as the adapter's socket.
#[derive(Debug)]
pub struct Socket(pub TcpStream);

/// A tokio `TcpListener` as the adapter's listener.
#[derive(Debug)]
pub struct Listener(pub TcpListener);

impl rt::Socket for Socket {
    fn poll_ready(&self, cx: &mut Context<'_>, read: bool, write: bool) -> Poll<io::Result<Ready>> {
        let mut ready = Ready::default();
        if read {
            match self.0.poll_read_ready(cx) {
                Poll::Ready(Ok(())) => ready.readable = true,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => {}
            }
        }
        if write {
            match self.0.poll_write_ready(cx) {
                Poll::Ready(Ok(())) => ready.writable = true,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => {}
            }
        }
        if ready == Ready::default() {
            Poll::Pending
        } else {
            Poll::Ready(Ok(ready))
        }
    }

    fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.try_read(buf)
    }

    fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        self.0.try_write(buf)
    }

    fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.0.set_nodelay(nodelay)
    }
}

impl rt::Listener for Listener {
    type Socket = Socket;

    fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(Socket, SocketAddr)>> {
        self.0.poll_accept(cx).map_ok(|(s, a)| (Socket(s), a))
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.0.local_addr()
    }
}

/// A tokio reader as the [`futures_io::AsyncRead`] that
/// [`Sender::send_reader`](msrp_async::Sender::send_reader) takes:
/// `sender.send_reader(msg, msrp_tokio::compat(file), progress)`.
pub fn compat<R: tokio::io::AsyncRead + Unpin>(reader: R) -> Compat<R> {
    Compat(reader)
}

/// See [`compat`].
#[derive(Debug)]
pub struct Compat<R>(pub R);

impl<R: tokio::io::AsyncRead + Unpin> futures_io::AsyncRead for Compat<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let mut rb = ReadBuf::new(buf);
        match Pin::new(&mut self.0).poll_read(cx, &mut rb) {
            Poll::Ready(Ok(())) => Poll::Ready(Ok(rb.filled().len())),
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => Poll::Pending,
        }
    }
}
