//! [`TlsConnection`]: one sans-IO TLS connection with caller-visible buffers.

use std::collections::VecDeque;

use super::config::Pinning;
use super::rustls_seam::{Buffers, MAX_RECORD, Progress, Session, Sink, Stop, Work};
use super::{
    ConfigError, Fingerprint, HashAlgorithm, PinStatus, TlsClientConfig, TlsError, TlsServerConfig,
};

/// The negotiated protocol version (only TLS 1.2 and 1.3 exist here, RFC 8996).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsVersion {
    /// TLS 1.2.
    Tls12,
    /// TLS 1.3.
    Tls13,
}

/// Something the caller should know about, from [`TlsConnection::poll_event`].
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsEvent {
    /// The handshake finished and the peer's certificate (if any was required) checked out.
    /// Application data may flow from now on.
    HandshakeComplete {
        /// The negotiated version.
        version: TlsVersion,
        /// SHA-256 fingerprint of the peer's end-entity certificate; `None` when the peer
        /// presented none (a client talking to a relay, R4976-067).
        peer_fingerprint: Option<Fingerprint>,
    },
    /// The peer's fingerprint differs from the one remembered for its identity
    /// (R6714-028). A warning: the connection stays up, the new fingerprint is remembered.
    FingerprintChanged {
        /// The identity given to `with_pinning`.
        identity: String,
        /// What was remembered.
        previous: Fingerprint,
        /// What the peer presented now.
        current: Fingerprint,
    },
    /// The fingerprint store failed; pinning did not happen for this connection.
    PinStoreFailed {
        /// The store's reason.
        reason: String,
    },
    /// The peer sent close_notify: no more data will arrive. Writing is still possible
    /// until [`TlsConnection::close`].
    PeerClosed,
    /// Both sides have sent close_notify; once `poll_transmit` is drained the transport
    /// can be closed.
    Closed,
}

/// Buffer sizes for a [`TlsConnection`]. Each is raised to at least one maximal TLS record
/// ([`BufferSizes::MIN`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BufferSizes {
    /// Received ciphertext. Must hold the largest handshake message (certificate chain)
    /// the peer sends, and bounds how much one `recv_buf` can take.
    pub incoming: usize,
    /// Ciphertext waiting to be sent.
    pub outgoing: usize,
}

impl BufferSizes {
    /// One maximal record (16 KiB of payload + 2 KiB of expansion + header).
    pub const MIN: usize = MAX_RECORD;
}

impl Default for BufferSizes {
    /// Two maximal records each (about 36 KiB per direction).
    fn default() -> Self {
        Self {
            incoming: 2 * MAX_RECORD,
            outgoing: 2 * MAX_RECORD,
        }
    }
}

/// A read or write smaller than this, leaving a buffer empty, hands that buffer back:
/// what the last exchange of a connection going quiet looks like (a response, a short
/// message), and what bulk transfers, which move records of up to 16 KiB, rarely do.
const SMALL_IO: usize = 1024;

/// One TLS connection, driven without I/O: ciphertext in, plaintext to the caller's sink,
/// plaintext from the caller, ciphertext out — through two buffers allocated once.
///
/// The TLS client role belongs to the MSRP active side (R6135-012), independent of who
/// sent the SDP offer.
///
/// # The loop
///
/// ```text
/// loop {
///     n = socket.read(tls.recv_buf())          // read straight into our buffer
///     tls.handle_read(n, |plain| framer.feed(plain))?
///     while let Some(out) = tls.poll_transmit() {
///         k = socket.write(out)
///         tls.transmit_done(k, |plain| framer.feed(plain))?
///     }
///     while let Some(ev) = tls.poll_event() { … }
///     tls.write_plaintext(msrp_bytes)?         // returns how much was taken
/// }
/// ```
///
/// Plaintext is delivered to the sink during `handle_read` and `transmit_done` (the latter
/// only when processing had stopped for lack of outgoing room). After every call, drain
/// `poll_transmit` and `poll_event`.
///
/// Errors are sticky: once a call returns `Err`, every later call returns the same error,
/// and `poll_transmit` still yields the fatal alert to send before closing.
#[derive(Debug)]
pub struct TlsConnection {
    session: Session,
    bufs: Buffers,
    events: VecDeque<TlsEvent>,
    error: Option<TlsError>,
    pinning: Option<Pinning>,
    handshake_reported: bool,
    close_requested: bool,
    close_sent: bool,
    stop: Stop,
}

impl TlsConnection {
    /// A client connection (we dial) with default buffer sizes.
    ///
    /// # Errors
    /// See [`ConfigError`].
    pub fn client(config: &TlsClientConfig) -> Result<Self, ConfigError> {
        Self::client_with_buffers(config, BufferSizes::default())
    }

    /// A client connection with explicit buffer sizes.
    ///
    /// # Errors
    /// See [`ConfigError`].
    pub fn client_with_buffers(
        config: &TlsClientConfig,
        sizes: BufferSizes,
    ) -> Result<Self, ConfigError> {
        let session = Session::client(config)?;
        let mut conn = Self::new(session, sizes, config.pinning.clone());
        // The ClientHello is ready at once.
        let _ = conn.drive(None, None);
        Ok(conn)
    }

    /// A server connection (we accepted) with default buffer sizes.
    ///
    /// # Errors
    /// See [`ConfigError`].
    pub fn server(config: &TlsServerConfig) -> Result<Self, ConfigError> {
        Self::server_with_buffers(config, BufferSizes::default())
    }

    /// A server connection with explicit buffer sizes.
    ///
    /// # Errors
    /// See [`ConfigError`].
    pub fn server_with_buffers(
        config: &TlsServerConfig,
        sizes: BufferSizes,
    ) -> Result<Self, ConfigError> {
        let session = Session::server(config)?;
        Ok(Self::new(session, sizes, config.pinning.clone()))
    }

    fn new(session: Session, sizes: BufferSizes, pinning: Option<Pinning>) -> Self {
        Self {
            session,
            bufs: Buffers::new(sizes.incoming, sizes.outgoing),
            events: VecDeque::new(),
            error: None,
            pinning,
            handshake_reported: false,
            close_requested: false,
            close_sent: false,
            stop: Stop::NeedInput,
        }
    }

    /// The free part of the receive buffer: read ciphertext from the transport into it,
    /// then call [`handle_read`](Self::handle_read) with the count.
    ///
    /// Empty while the buffer is full of unprocessed data (processing is waiting for
    /// [`transmit_done`](Self::transmit_done)). Moves an unfinished record to the front
    /// only when less than one maximal record is free behind it.
    pub fn recv_buf(&mut self) -> &mut [u8] {
        let b = &mut self.bufs;
        b.ensure_in();
        if b.incoming.len() - b.in_end < MAX_RECORD && b.in_start > 0 {
            b.incoming.copy_within(b.in_start..b.in_end, 0);
            b.in_end -= b.in_start;
            b.in_start = 0;
        }
        &mut b.incoming[b.in_end..]
    }

    /// Takes `n` bytes just read into [`recv_buf`](Self::recv_buf) and processes them:
    /// handshake progress, and every decrypted application record passed to
    /// `on_plaintext` (borrowed straight from rustls; no copy of ours).
    ///
    /// `n == 0` only re-runs processing; a transport EOF is not signalled this way.
    ///
    /// # Errors
    /// The sticky [`TlsError`] if the connection failed now or before.
    ///
    /// # Panics
    /// If `n` is larger than the slice `recv_buf` returned (caller bug).
    pub fn handle_read(
        &mut self,
        n: usize,
        mut on_plaintext: impl FnMut(&[u8]),
    ) -> Result<(), TlsError> {
        self.check()?;
        let b = &mut self.bufs;
        assert!(
            n <= b.incoming.len() - b.in_end,
            "handle_read past recv_buf"
        );
        b.in_end += n;
        let r = self.drive(Some(&mut on_plaintext), None).map(drop);
        if n < SMALL_IO {
            // Little traffic: hand the buffers back while they are empty.
            self.bufs.release_empty();
        }
        r
    }

    /// Gives back the buffers that hold nothing: call it when a read into
    /// [`recv_buf`](Self::recv_buf) found the transport empty after all (`WouldBlock`),
    /// so an idle connection keeps no buffer.
    pub fn release_buffers(&mut self) {
        self.bufs.release_empty();
    }

    /// Whether [`recv_buf`](Self::recv_buf) would offer room, without allocating a
    /// buffer (a connection with little traffic gives its buffers back between reads):
    /// ask this before waiting for the transport to become readable.
    #[must_use]
    pub fn can_read(&self) -> bool {
        let b = &self.bufs;
        b.incoming.is_empty() || b.in_end < b.incoming.len() || b.in_start > 0
    }

    /// Ciphertext waiting to be sent, if any. After writing some of it to the transport,
    /// call [`transmit_done`](Self::transmit_done). Changes after every mutating call.
    #[must_use]
    pub fn poll_transmit(&self) -> Option<&[u8]> {
        let b = &self.bufs;
        (b.out_end > b.out_start).then(|| &b.outgoing[b.out_start..b.out_end])
    }

    /// `n` bytes of [`poll_transmit`](Self::poll_transmit) were written to the transport.
    /// If processing had stopped for lack of outgoing room it resumes, which may deliver
    /// plaintext to `on_plaintext`.
    ///
    /// # Errors
    /// The sticky [`TlsError`].
    ///
    /// # Panics
    /// If `n` is larger than the slice `poll_transmit` returned (caller bug).
    pub fn transmit_done(
        &mut self,
        n: usize,
        mut on_plaintext: impl FnMut(&[u8]),
    ) -> Result<(), TlsError> {
        let b = &mut self.bufs;
        assert!(
            n <= b.out_end - b.out_start,
            "transmit_done past poll_transmit"
        );
        b.out_start += n;
        if b.out_start == b.out_end {
            b.out_start = 0;
            b.out_end = 0;
        }
        self.check()?;
        if self.stop == Stop::NeedTransmit {
            self.drive(Some(&mut on_plaintext), None)?;
        }
        if n < SMALL_IO {
            self.bufs.release_empty();
        }
        Ok(())
    }

    /// Encrypts as much of `data` as fits in the outgoing buffer and returns how much
    /// that was. `Ok(0)` means: not yet — the handshake is still running or the outgoing
    /// buffer is full; drain [`poll_transmit`](Self::poll_transmit) and retry.
    ///
    /// rustls 0.23 encrypts each record into its own allocation and copies it into our
    /// buffer: one copy per record on the send path.
    ///
    /// # Errors
    /// The sticky [`TlsError`], or [`TlsError::Closed`] after [`close`](Self::close).
    pub fn write_plaintext(&mut self, data: &[u8]) -> Result<usize, TlsError> {
        self.check()?;
        if self.close_requested {
            return Err(TlsError::Closed);
        }
        if data.is_empty() {
            return Ok(0);
        }
        self.drive(None, Some(data))
    }

    /// Sends close_notify (now, or as soon as the handshake allows). Later writes fail with
    /// [`TlsError::Closed`].
    ///
    /// # Errors
    /// The sticky [`TlsError`].
    pub fn close(&mut self) -> Result<(), TlsError> {
        self.check()?;
        self.close_requested = true;
        self.drive(None, None).map(drop)
    }

    /// The next event. Changes after `handle_read`, `transmit_done`, `write_plaintext` and
    /// `close`.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<TlsEvent> {
        self.events.pop_front()
    }

    /// Whether the handshake is still running.
    #[must_use]
    pub fn is_handshaking(&self) -> bool {
        self.session.is_handshaking()
    }

    /// The error that ended the connection, if any.
    #[must_use]
    pub fn error(&self) -> Option<&TlsError> {
        self.error.as_ref()
    }

    /// The peer's end-entity certificate (DER), once received.
    #[must_use]
    pub fn peer_certificate(&self) -> Option<&[u8]> {
        self.session.peer_end_entity()
    }

    /// After the handshake, the peer's certificate if it was verified against trust roots
    /// (name mode: the server we dialled, or a client certificate accepted by
    /// [`TlsServerConfig::with_peer_relays`]); `None` for fingerprint mode, for a client
    /// that presented none, and during the handshake.
    #[must_use]
    pub fn peer_identity(&self) -> Option<super::PeerIdentity> {
        self.session.verified_peer().map(super::PeerIdentity::new)
    }

    /// The negotiated version, once known.
    #[must_use]
    pub fn version(&self) -> Option<TlsVersion> {
        self.session.version()
    }

    fn check(&self) -> Result<(), TlsError> {
        match &self.error {
            Some(e) => Err(e.clone()),
            None => Ok(()),
        }
    }

    fn drive<'a>(
        &mut self,
        sink: Option<Sink<'a>>,
        write: Option<&'a [u8]>,
    ) -> Result<usize, TlsError> {
        let mut progress = Progress::default();
        self.bufs.ensure_in();
        self.bufs.ensure_out();
        let work = Work {
            sink,
            write,
            close: self.close_requested && !self.close_sent,
        };
        let result = self.session.drive(&mut self.bufs, work, &mut progress);
        if progress.close_sent {
            self.close_sent = true;
        }
        if progress.peer_closed {
            self.events.push_back(TlsEvent::PeerClosed);
        }
        let stop = match result {
            Ok(stop) => stop,
            Err(e) => return Err(self.fail(e)),
        };
        if stop == Stop::NeedInput
            && self.bufs.in_start == 0
            && self.bufs.in_end == self.bufs.incoming.len()
        {
            // rustls wants more, but the buffer is full of one unfinished message.
            return Err(self.fail(TlsError::Protocol(
                "handshake message larger than the receive buffer".into(),
            )));
        }
        if stop == Stop::Closed && self.stop != Stop::Closed {
            self.events.push_back(TlsEvent::Closed);
        }
        self.stop = stop;
        if !self.handshake_reported && !self.session.is_handshaking() {
            self.handshake_complete();
        }
        Ok(progress.written)
    }

    fn fail(&mut self, e: TlsError) -> TlsError {
        self.session.flush_alerts(&mut self.bufs);
        self.error = Some(e.clone());
        e
    }

    fn handshake_complete(&mut self) {
        self.handshake_reported = true;
        let peer_fingerprint = self
            .session
            .peer_end_entity()
            .map(|der| Fingerprint::of_der(HashAlgorithm::Sha256, der));
        self.events.push_back(TlsEvent::HandshakeComplete {
            version: self.session.version().unwrap_or(TlsVersion::Tls13),
            peer_fingerprint,
        });
        let (Some(pin), Some(current)) = (&self.pinning, peer_fingerprint) else {
            return;
        };
        match pin.store.observe(&pin.identity, &current) {
            Ok(PinStatus::Changed { previous }) => {
                self.events.push_back(TlsEvent::FingerprintChanged {
                    identity: pin.identity.clone(),
                    previous,
                    current,
                });
            }
            Ok(_) => {}
            Err(e) => self.events.push_back(TlsEvent::PinStoreFailed {
                reason: e.to_string(),
            }),
        }
    }
}
