//! The seam to an async runtime: spawning, its clock and timers, TCP sockets and
//! listeners. `msrp-tokio` and `msrp-smol` each implement [`Runtime`] in about a hundred
//! lines; everything else in this crate is the same for both.
//!
//! Sockets are driven *readiness-first*, the way tokio's `TcpStream::ready` + `try_read`
//! works: the driver asks [`Socket::poll_ready`] for the directions it wants, then calls
//! the non-blocking [`Socket::try_read`] / [`Socket::try_write`] under the engine's lock,
//! straight into and out of the engine's buffers. `WouldBlock` from either clears the
//! readiness the socket remembered.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::task::{Context, Poll};
use std::time::Instant;

/// An async runtime: what the adapter needs from tokio, smol or async-std.
pub trait Runtime: Send + Sync + 'static {
    /// A connected TCP socket.
    type Socket: Socket;
    /// A TCP listener.
    type Listener: Listener<Socket = Self::Socket>;

    /// Runs `future` to completion in the background (detached).
    fn spawn(future: impl Future<Output = ()> + Send + 'static);

    /// The runtime's clock (a runtime with paused time, like tokio's test clock, returns
    /// its own notion of now). Engine deadlines are compared with it.
    fn now() -> Instant;

    /// Completes at (or after) `deadline`.
    fn sleep_until(deadline: Instant) -> impl Future<Output = ()> + Send + 'static;

    /// Connects to `host:port` (a name is resolved first).
    fn connect(host: String, port: u16) -> impl Future<Output = io::Result<Self::Socket>> + Send;

    /// Binds a listener.
    fn bind(addr: SocketAddr) -> impl Future<Output = io::Result<Self::Listener>> + Send;
}

/// Which directions a socket is ready for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ready {
    /// Data (or end of stream, or an error) can be read.
    pub readable: bool,
    /// Data can be written.
    pub writable: bool,
}

/// A non-blocking TCP socket registered with the runtime's reactor.
pub trait Socket: Send + Sync + 'static {
    /// Polls readiness for reading (`read`) and/or writing (`write`); ready as soon as
    /// one asked-for direction is. Never called with both `false`.
    ///
    /// # Errors
    /// The reactor reported an error for this socket.
    fn poll_ready(&self, cx: &mut Context<'_>, read: bool, write: bool) -> Poll<io::Result<Ready>>;

    /// Reads what is available now; `WouldBlock` when nothing is (and forgets readiness).
    ///
    /// # Errors
    /// As `read(2)`.
    fn try_read(&self, buf: &mut [u8]) -> io::Result<usize>;

    /// Writes what fits now; `WouldBlock` when nothing does (and forgets readiness).
    ///
    /// # Errors
    /// As `write(2)`.
    fn try_write(&self, buf: &[u8]) -> io::Result<usize>;

    /// Sets `TCP_NODELAY` (MSRP frames are written whole; Nagle only delays responses).
    ///
    /// # Errors
    /// As `setsockopt(2)`.
    fn set_nodelay(&self, nodelay: bool) -> io::Result<()>;
}

/// A TCP listener registered with the runtime's reactor.
pub trait Listener: Send + Sync + 'static {
    /// The sockets it accepts.
    type Socket: Socket;

    /// Polls for the next connection.
    ///
    /// # Errors
    /// As `accept(2)` (e.g. out of descriptors); the accept loop logs and retries.
    fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(Self::Socket, SocketAddr)>>;

    /// The bound address.
    ///
    /// # Errors
    /// As `getsockname(2)`.
    fn local_addr(&self) -> io::Result<SocketAddr>;
}

/// The output of [`first`].
pub(crate) enum Either<A, B> {
    Left(A),
    Right(B),
}

/// Polls both futures and completes with the first one ready (`a` is polled first).
/// The runtime-neutral `select!` of two arms.
pub(crate) async fn first<A: Future, B: Future>(a: A, b: B) -> Either<A::Output, B::Output> {
    let mut a = std::pin::pin!(a);
    let mut b = std::pin::pin!(b);
    std::future::poll_fn(|cx| {
        if let Poll::Ready(x) = a.as_mut().poll(cx) {
            return Poll::Ready(Either::Left(x));
        }
        b.as_mut().poll(cx).map(Either::Right)
    })
    .await
}
