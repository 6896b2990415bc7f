//! The one module that names rustls.
//!
//! rustls' main branch has removed the unbuffered API this module is written against (its
//! replacement, a split send/receive API, is still being written). Everything that depends
//! on rustls — configuration building, certificate verifiers, the state-machine loop over
//! `process_tls_records`, error mapping — is here, so an upgrade rewrites this file and
//! nothing else. Everything outside sees [`Session`], [`TrustRoots`], the crate's own error
//! types and [`Buffers`].
//!
//! # Buffer discipline (rustls 0.23.x)
//!
//! * An `EncodeTlsData` state dropped without a successful `encode` loses its record (the
//!   chunk was already popped). [`drive`] therefore never calls `process_tls_records`
//!   unless one maximal record ([`MAX_RECORD`]) is free in the outgoing buffer; otherwise
//!   it stops with [`Stop::NeedTransmit`] until the caller has sent some bytes.
//! * `TransmitTlsData::done` is called as soon as the bytes are in our outgoing buffer:
//!   delivering them is then our job.
//! * The `discard` of every status (plus each record's own) is applied before the next
//!   call, by advancing the start of the incoming window; no bytes move.
//! * Decrypted records are handed to the caller's sink straight from rustls' buffer.
//!   rustls 0.23 decrypts in place and then copies each record into a `Vec` once; we add no
//!   copy of our own.

use core::time::Duration;
use std::sync::{Arc, Mutex};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{ClientConnectionData, Resumption, UnbufferedClientConnection};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::server::{NoServerSessionStorage, ServerConnectionData, UnbufferedServerConnection};
use rustls::time_provider::TimeProvider;
use rustls::unbuffered::{
    ConnectionState, EncryptError, InsufficientSizeError, UnbufferedStatus, WriteTraffic,
};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, DistinguishedName, Error,
    PeerIncompatible, RootCertStore, ServerConfig, SignatureScheme,
};

use super::config::{PeerCheck, TlsClientConfig, TlsServerConfig};
use super::{
    Alert, ConfigError, Fingerprint, FingerprintSet, LocalCertificate, TlsError, TlsVersion,
    WallClock,
};

/// The largest TLS record on the wire: 5-byte header plus 16 KiB + 2048 bytes of payload
/// (RFC 5246 §6.2.3 allows TLSCiphertext up to 2^14 + 2048). Both buffers hold at least one.
pub(crate) const MAX_RECORD: usize = 5 + 16_384 + 2_048;

/// Plaintext per record (RFC 8446 §5.1).
const MAX_FRAGMENT: usize = 16_384;

/// Record expansion we budget for when sizing a write: header 5, TLS 1.2 explicit nonce 8,
/// AEAD tag 16, TLS 1.3 content type 1, rounded up. rustls reports the exact need if the
/// guess is short, and the write is retried smaller.
const RECORD_OVERHEAD: usize = 32;

/// The two caller-visible buffers. Each is allocated when traffic needs it and given back
/// when a connection with little traffic has emptied it (see
/// [`TlsConnection`](super::TlsConnection)), so an idle connection holds neither.
#[derive(Debug)]
pub(crate) struct Buffers {
    /// Received ciphertext; `in_start..in_end` is not yet consumed by rustls. Empty while
    /// released.
    pub(crate) incoming: Box<[u8]>,
    in_size: usize,
    out_size: usize,
    pub(crate) in_start: usize,
    pub(crate) in_end: usize,
    /// Ciphertext to send; `out_start..out_end` is not yet transmitted.
    pub(crate) outgoing: Box<[u8]>,
    pub(crate) out_start: usize,
    pub(crate) out_end: usize,
}

impl Buffers {
    pub(crate) fn new(incoming: usize, outgoing: usize) -> Self {
        Self {
            incoming: Box::default(),
            in_size: incoming.max(MAX_RECORD),
            out_size: outgoing.max(MAX_RECORD),
            in_start: 0,
            in_end: 0,
            outgoing: Box::default(),
            out_start: 0,
            out_end: 0,
        }
    }

    /// Allocates the receive buffer if it was released.
    pub(crate) fn ensure_in(&mut self) {
        if self.incoming.is_empty() {
            self.incoming = vec![0; self.in_size].into_boxed_slice();
        }
    }

    /// Allocates the send buffer if it was released.
    pub(crate) fn ensure_out(&mut self) {
        if self.outgoing.is_empty() {
            self.outgoing = vec![0; self.out_size].into_boxed_slice();
        }
    }

    /// Gives back whichever buffer holds nothing.
    pub(crate) fn release_empty(&mut self) {
        if self.in_start == self.in_end {
            self.in_start = 0;
            self.in_end = 0;
            self.incoming = Box::default();
        }
        if self.out_start == self.out_end {
            self.out_start = 0;
            self.out_end = 0;
            self.outgoing = Box::default();
        }
    }

    fn discard_in(&mut self, n: usize) {
        self.in_start += n;
        debug_assert!(self.in_start <= self.in_end);
        if self.in_start == self.in_end {
            self.in_start = 0;
            self.in_end = 0;
        }
    }

    /// Makes `need` bytes free at the end of `outgoing`, moving unsent bytes to the front
    /// if that helps. Only partially transmitted data is ever moved.
    fn make_out_room(&mut self, need: usize) -> bool {
        if self.outgoing.len() - self.out_end >= need {
            return true;
        }
        if self.out_start > 0 {
            self.outgoing.copy_within(self.out_start..self.out_end, 0);
            self.out_end -= self.out_start;
            self.out_start = 0;
        }
        self.outgoing.len() - self.out_end >= need
    }
}

/// Why [`drive`] returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    /// Needs more ciphertext from the peer (or nothing left to do).
    NeedInput,
    /// Needs room in the outgoing buffer: transmit first.
    NeedTransmit,
    /// Decrypted data is waiting and no sink was given.
    PlaintextPending,
    /// Both sides have sent close_notify.
    Closed,
}

/// What happened during one [`drive`] besides its [`Stop`].
#[derive(Debug, Default)]
pub(crate) struct Progress {
    /// Plaintext bytes accepted from the caller's write.
    pub(crate) written: usize,
    /// Our close_notify is in the outgoing buffer.
    pub(crate) close_sent: bool,
    /// The peer's close_notify was processed (edge: reported once).
    pub(crate) peer_closed: bool,
}

/// Where decrypted application data goes.
pub(crate) type Sink<'a> = &'a mut dyn FnMut(&[u8]);

/// What a drive may do for the caller.
pub(crate) struct Work<'a> {
    pub(crate) sink: Option<Sink<'a>>,
    pub(crate) write: Option<&'a [u8]>,
    pub(crate) close: bool,
}

enum Conn {
    Client(UnbufferedClientConnection),
    Server(UnbufferedServerConnection),
}

/// One TLS connection's rustls state.
pub(crate) struct Session {
    conn: Conn,
    /// Set by a fingerprint verifier when it rejects a certificate, so the error can name
    /// the fingerprint (rustls' error carries only `NotValidForName`).
    mismatch: Arc<Mutex<Option<Fingerprint>>>,
    /// The peer's certificate, if it presents one, is chain-verified against trust roots
    /// (name mode), so its names mean something.
    by_name: bool,
}

impl core::fmt::Debug for Session {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Session")
            .field(
                "role",
                &match self.conn {
                    Conn::Client(_) => "client",
                    Conn::Server(_) => "server",
                },
            )
            .finish_non_exhaustive()
    }
}

impl Session {
    pub(crate) fn client(cfg: &TlsClientConfig) -> Result<Self, ConfigError> {
        let provider = provider();
        let mismatch = Arc::new(Mutex::new(None));
        let versions = &[&rustls::version::TLS13, &rustls::version::TLS12];
        let (time, wants_webpki): (Arc<dyn TimeProvider>, Option<&TrustRoots>) = match &cfg.peer {
            PeerCheck::Name { roots, clock } => {
                (Arc::new(ClockAdapter(clock.clone())), Some(roots))
            }
            PeerCheck::Fingerprint(_) | PeerCheck::None => (Arc::new(Epoch), None),
        };
        let builder = ClientConfig::builder_with_details(provider.clone(), time)
            .with_protocol_versions(versions)
            .map_err(|e| tls_config(&e))?;
        let builder = match (&cfg.peer, wants_webpki) {
            (PeerCheck::Fingerprint(set), _) => builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(FingerprintVerifier {
                    set: set.clone(),
                    mismatch: mismatch.clone(),
                    algorithms: provider.signature_verification_algorithms,
                })),
            (_, Some(roots)) => {
                let verifier = rustls::client::WebPkiServerVerifier::builder_with_provider(
                    roots.store.clone(),
                    provider.clone(),
                )
                .build()
                .map_err(|e| ConfigError::Tls(e.to_string()))?;
                builder.with_webpki_verifier(verifier)
            }
            _ => return Err(ConfigError::Tls("client needs a peer check".into())),
        };
        let mut config = match &cfg.local {
            Some(local) => {
                let (chain, key) = cert_and_key(local);
                builder
                    .with_client_auth_cert(chain, key)
                    .map_err(|e| ConfigError::BadPrivateKey(e.to_string()))?
            }
            None => builder.with_no_client_auth(),
        };
        // Peer-to-peer connections are one-off: no session resumption state to keep.
        config.resumption = Resumption::disabled();
        let name = ServerName::try_from(cfg.host.clone())
            .map_err(|_| ConfigError::InvalidHost(cfg.host.clone()))?;
        let conn =
            UnbufferedClientConnection::new(Arc::new(config), name).map_err(|e| tls_config(&e))?;
        Ok(Self {
            conn: Conn::Client(conn),
            mismatch,
            by_name: wants_webpki.is_some(),
        })
    }

    pub(crate) fn server(cfg: &TlsServerConfig) -> Result<Self, ConfigError> {
        let provider = provider();
        let mismatch = Arc::new(Mutex::new(None));
        let versions = &[&rustls::version::TLS13, &rustls::version::TLS12];
        let time: Arc<dyn TimeProvider> = match &cfg.peer {
            PeerCheck::Name { clock, .. } => Arc::new(ClockAdapter(clock.clone())),
            PeerCheck::Fingerprint(_) | PeerCheck::None => Arc::new(Epoch),
        };
        let builder = ServerConfig::builder_with_details(provider.clone(), time)
            .with_protocol_versions(versions)
            .map_err(|e| tls_config(&e))?;
        let builder = match &cfg.peer {
            PeerCheck::Fingerprint(set) => {
                builder.with_client_cert_verifier(Arc::new(FingerprintVerifier {
                    set: set.clone(),
                    mismatch: mismatch.clone(),
                    algorithms: provider.signature_verification_algorithms,
                }))
            }
            PeerCheck::Name { roots, .. } => {
                // Peer relays present a CA-issued certificate; clients present none
                // (R4976-022): requested, not required.
                let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                    roots.store.clone(),
                    provider.clone(),
                )
                .allow_unauthenticated()
                .build()
                .map_err(|e| ConfigError::Tls(e.to_string()))?;
                builder.with_client_cert_verifier(verifier)
            }
            PeerCheck::None => builder.with_no_client_auth(),
        };
        let (chain, key) = cert_and_key(&cfg.local);
        let mut config = builder
            .with_single_cert(chain, key)
            .map_err(|e| ConfigError::BadPrivateKey(e.to_string()))?;
        config.session_storage = Arc::new(NoServerSessionStorage {});
        config.send_tls13_tickets = 0;
        let conn = UnbufferedServerConnection::new(Arc::new(config)).map_err(|e| tls_config(&e))?;
        Ok(Self {
            conn: Conn::Server(conn),
            mismatch,
            by_name: matches!(cfg.peer, PeerCheck::Name { .. }),
        })
    }

    /// Runs rustls until it needs input, needs outgoing room, or closes.
    pub(crate) fn drive(
        &mut self,
        b: &mut Buffers,
        work: Work<'_>,
        progress: &mut Progress,
    ) -> Result<Stop, TlsError> {
        let r = match &mut self.conn {
            Conn::Client(c) => drive(c, b, work, progress),
            Conn::Server(c) => drive(c, b, work, progress),
        };
        r.map_err(|e| self.map_error(e))
    }

    /// After an error, moves the fatal alert rustls queued into the outgoing buffer.
    pub(crate) fn flush_alerts(&mut self, b: &mut Buffers) {
        match &mut self.conn {
            Conn::Client(c) => flush_alerts(c, b),
            Conn::Server(c) => flush_alerts(c, b),
        }
    }

    pub(crate) fn is_handshaking(&self) -> bool {
        match &self.conn {
            Conn::Client(c) => c.is_handshaking(),
            Conn::Server(c) => c.is_handshaking(),
        }
    }

    /// The peer's end-entity certificate, DER.
    pub(crate) fn peer_end_entity(&self) -> Option<&[u8]> {
        let certs = match &self.conn {
            Conn::Client(c) => c.peer_certificates(),
            Conn::Server(c) => c.peer_certificates(),
        };
        certs.and_then(|c| c.first()).map(AsRef::as_ref)
    }

    /// The peer's end-entity certificate when it was verified against trust roots.
    pub(crate) fn verified_peer(&self) -> Option<&[u8]> {
        if !self.by_name || self.is_handshaking() {
            return None;
        }
        self.peer_end_entity()
    }

    pub(crate) fn version(&self) -> Option<TlsVersion> {
        let v = match &self.conn {
            Conn::Client(c) => c.protocol_version(),
            Conn::Server(c) => c.protocol_version(),
        };
        match v? {
            rustls::ProtocolVersion::TLSv1_3 => Some(TlsVersion::Tls13),
            rustls::ProtocolVersion::TLSv1_2 => Some(TlsVersion::Tls12),
            _ => None,
        }
    }

    fn map_error(&self, e: Error) -> TlsError {
        use CertificateError as C;
        match e {
            Error::InvalidCertificate(C::NotValidForName | C::NotValidForNameContext { .. }) => {
                match self.mismatch.lock().ok().and_then(|mut m| m.take()) {
                    Some(presented) => TlsError::FingerprintMismatch { presented },
                    None => TlsError::NameMismatch,
                }
            }
            Error::InvalidCertificate(
                C::Expired
                | C::ExpiredContext { .. }
                | C::NotValidYet
                | C::NotValidYetContext { .. },
            ) => TlsError::CertificateExpired,
            Error::InvalidCertificate(C::UnknownIssuer) => TlsError::UntrustedIssuer,
            Error::InvalidCertificate(other) => TlsError::BadCertificate(other.to_string()),
            Error::NoCertificatesPresented => TlsError::NoCertificate,
            Error::FailedToGetCurrentTime => TlsError::NoWallClock,
            Error::PeerIncompatible(
                PeerIncompatible::ServerDoesNotSupportTls12Or13
                | PeerIncompatible::Tls12NotOffered
                | PeerIncompatible::Tls12NotOfferedOrEnabled
                | PeerIncompatible::SupportedVersionsExtensionRequired
                | PeerIncompatible::ServerTlsVersionIsDisabledByOurConfig,
            ) => TlsError::ProtocolVersion,
            Error::AlertReceived(d) => TlsError::AlertReceived(Alert(u8::from(d))),
            other => TlsError::Protocol(other.to_string()),
        }
    }
}

/// The two connection types share every state type; this names their one difference.
trait Process {
    type Data;
    fn process<'c, 'i>(
        &'c mut self,
        incoming: &'i mut [u8],
    ) -> UnbufferedStatus<'c, 'i, Self::Data>;
}

impl Process for UnbufferedClientConnection {
    type Data = ClientConnectionData;
    fn process<'c, 'i>(
        &'c mut self,
        incoming: &'i mut [u8],
    ) -> UnbufferedStatus<'c, 'i, Self::Data> {
        self.process_tls_records(incoming)
    }
}

impl Process for UnbufferedServerConnection {
    type Data = ServerConnectionData;
    fn process<'c, 'i>(
        &'c mut self,
        incoming: &'i mut [u8],
    ) -> UnbufferedStatus<'c, 'i, Self::Data> {
        self.process_tls_records(incoming)
    }
}

fn drive<C: Process>(
    conn: &mut C,
    b: &mut Buffers,
    mut work: Work<'_>,
    progress: &mut Progress,
) -> Result<Stop, Error> {
    loop {
        // Never let rustls hand us a record we have no room for (see module docs).
        if !b.make_out_room(MAX_RECORD) {
            return Ok(Stop::NeedTransmit);
        }
        let status = conn.process(&mut b.incoming[b.in_start..b.in_end]);
        let mut discard = status.discard;
        let state = match status.state {
            Ok(state) => state,
            Err(e) => {
                b.discard_in(discard);
                return Err(e);
            }
        };
        let stop = match state {
            ConnectionState::ReadTraffic(mut traffic) => match work.sink.as_mut() {
                None => Some(Stop::PlaintextPending),
                Some(sink) => {
                    while let Some(record) = traffic.next_record() {
                        match record {
                            Ok(record) => {
                                discard += record.discard;
                                sink(record.payload);
                            }
                            Err(e) => {
                                b.discard_in(discard);
                                return Err(e);
                            }
                        }
                    }
                    None
                }
            },
            ConnectionState::EncodeTlsData(mut encode) => {
                match encode.encode(&mut b.outgoing[b.out_end..]) {
                    Ok(n) => b.out_end += n,
                    // Unreachable with MAX_RECORD free; refuse to lose the record silently.
                    Err(e) => return Err(Error::General(format!("encode: {e}"))),
                }
                None
            }
            ConnectionState::TransmitTlsData(transmit) => {
                transmit.done();
                None
            }
            ConnectionState::BlockedHandshake => Some(Stop::NeedInput),
            ConnectionState::WriteTraffic(mut traffic) => {
                if let Some(data) = work.write.take() {
                    progress.written = encrypt_fitting(&mut traffic, data, b)?;
                }
                if work.close {
                    work.close = false;
                    match traffic.queue_close_notify(&mut b.outgoing[b.out_end..]) {
                        Ok(n) => b.out_end += n,
                        Err(e) => return Err(Error::General(format!("close_notify: {e}"))),
                    }
                    progress.close_sent = true;
                    // Go round once more: if the peer has closed too, rustls says Closed.
                    None
                } else {
                    Some(Stop::NeedInput)
                }
            }
            ConnectionState::PeerClosed => {
                progress.peer_closed = true;
                None
            }
            ConnectionState::Closed => Some(Stop::Closed),
            // Early data is never enabled on our servers; anything else is a new state of a
            // newer 0.23.x that this loop does not know how to serve.
            _ => return Err(Error::General("unexpected unbuffered TLS state".into())),
        };
        b.discard_in(discard);
        if let Some(stop) = stop {
            return Ok(stop);
        }
    }
}

/// Encrypts the longest prefix of `data` that fits in the free part of `outgoing`.
fn encrypt_fitting<D>(
    traffic: &mut WriteTraffic<'_, D>,
    data: &[u8],
    b: &mut Buffers,
) -> Result<usize, Error> {
    let free = b.outgoing.len() - b.out_end;
    let records = free / MAX_FRAGMENT + 1;
    let mut n = data
        .len()
        .min(free.saturating_sub(records * RECORD_OVERHEAD));
    while n > 0 {
        match traffic.encrypt(&data[..n], &mut b.outgoing[b.out_end..]) {
            Ok(written) => {
                b.out_end += written;
                return Ok(n);
            }
            Err(EncryptError::InsufficientSize(InsufficientSizeError { required_size })) => {
                n = n.saturating_sub((required_size - free).max(1));
            }
            Err(e) => return Err(Error::General(e.to_string())),
        }
    }
    Ok(0)
}

fn flush_alerts<
    C: Process + core::ops::Deref<Target = rustls::unbuffered::UnbufferedConnectionCommon<C::Data>>,
>(
    conn: &mut C,
    b: &mut Buffers,
) {
    // Only while rustls has queued records (the fatal alert): then `process_tls_records`
    // returns `EncodeTlsData` before looking at the input again, so the bytes that caused
    // the error are not parsed a second time.
    while conn.wants_write() && b.make_out_room(MAX_RECORD) {
        let status = conn.process(&mut b.incoming[b.in_start..b.in_end]);
        let Ok(ConnectionState::EncodeTlsData(mut encode)) = status.state else {
            return;
        };
        match encode.encode(&mut b.outgoing[b.out_end..]) {
            Ok(n) => b.out_end += n,
            Err(_) => return,
        }
    }
}

fn provider() -> Arc<CryptoProvider> {
    #[cfg(feature = "aws-lc-rs")]
    let p = rustls::crypto::aws_lc_rs::default_provider();
    #[cfg(not(feature = "aws-lc-rs"))]
    let p = rustls::crypto::ring::default_provider();
    Arc::new(p)
}

fn tls_config(e: &Error) -> ConfigError {
    ConfigError::Tls(e.to_string())
}

fn cert_and_key(
    local: &LocalCertificate,
) -> (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>) {
    let chain = local
        .chain()
        .iter()
        .map(|c| CertificateDer::from(c.clone()))
        .collect();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(local.key_pkcs8().to_vec()));
    (chain, key)
}

/// Certificate authorities trusted for name-based authentication (R4975-026).
#[derive(Clone)]
pub struct TrustRoots {
    store: Arc<RootCertStore>,
}

impl Default for TrustRoots {
    fn default() -> Self {
        Self {
            store: Arc::new(RootCertStore::empty()),
        }
    }
}

impl TrustRoots {
    /// An empty set: nothing is trusted until added.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a DER-encoded CA certificate as a trust anchor.
    ///
    /// # Errors
    /// [`ConfigError::BadCertificate`] if it cannot be parsed as a trust anchor.
    pub fn add_der(&mut self, ca_der: &[u8]) -> Result<(), ConfigError> {
        Arc::make_mut(&mut self.store)
            .add(CertificateDer::from(ca_der.to_vec()))
            .map_err(|e| ConfigError::BadCertificate(e.to_string()))
    }

    /// Number of trust anchors.
    #[must_use]
    pub fn len(&self) -> usize {
        self.store.len()
    }

    /// Whether no anchor was added.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.store.is_empty()
    }
}

impl core::fmt::Debug for TrustRoots {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("TrustRoots")
            .field("anchors", &self.len())
            .finish()
    }
}

/// Any rustls `TimeProvider` (such as `rustls::time_provider::DefaultTimeProvider`) can
/// be injected as the [`WallClock`].
impl<T: TimeProvider> WallClock for T {
    fn unix_time(&self) -> Option<Duration> {
        self.current_time()
            .map(|t| Duration::from_secs(t.as_secs()))
    }
}

/// Our [`WallClock`] seen by rustls.
#[derive(Debug)]
struct ClockAdapter(Arc<dyn WallClock>);

impl TimeProvider for ClockAdapter {
    fn current_time(&self) -> Option<UnixTime> {
        self.0.unix_time().map(UnixTime::since_unix_epoch)
    }
}

/// The time given to rustls where no certificate date is checked (fingerprint mode, and
/// servers that do not verify clients by name): rustls asks for a time anyway.
#[derive(Debug)]
struct Epoch;

impl TimeProvider for Epoch {
    fn current_time(&self) -> Option<UnixTime> {
        Some(UnixTime::since_unix_epoch(Duration::ZERO))
    }
}

/// Verifies the peer's end-entity certificate against SDP fingerprints (RFC 8122 §6.2),
/// for either role. Handshake signatures are still verified with the provider's
/// algorithms, so the peer proves it holds the certificate's key.
#[derive(Debug)]
struct FingerprintVerifier {
    set: FingerprintSet,
    mismatch: Arc<Mutex<Option<Fingerprint>>>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl FingerprintVerifier {
    fn check(&self, end_entity: &CertificateDer<'_>) -> Result<(), Error> {
        match self.set.verify(end_entity.as_ref()) {
            Ok(_) => Ok(()),
            Err(seen) => {
                if let Ok(mut slot) = self.mismatch.lock() {
                    *slot = Some(seen);
                }
                // NotValidForName makes rustls send `bad_certificate`, as RFC 8122 §6.2
                // requires; the fingerprint slot lets us report the precise reason.
                Err(Error::InvalidCertificate(CertificateError::NotValidForName))
            }
        }
    }
}

impl ServerCertVerifier for FingerprintVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        self.check(end_entity)
            .map(|()| ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

impl ClientCertVerifier for FingerprintVerifier {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        true
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, Error> {
        self.check(end_entity)
            .map(|()| ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// A peer certificate that chained to our trust roots: which host names it vouches for.
#[derive(Clone, PartialEq, Eq)]
pub struct PeerIdentity {
    der: Arc<[u8]>,
}

impl PeerIdentity {
    pub(crate) fn new(der: &[u8]) -> Self {
        Self { der: der.into() }
    }

    /// Whether the certificate names `host` (a DNS name, or an IP address with or without
    /// IPv6 brackets) in its subject alternative names, with the same rules as a TLS
    /// client's server-name check (wildcards included).
    #[must_use]
    pub fn is_valid_for(&self, host: &str) -> bool {
        let host = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        let Ok(name) = ServerName::try_from(host) else {
            return false;
        };
        let der = CertificateDer::from(&self.der[..]);
        webpki::EndEntityCert::try_from(&der)
            .is_ok_and(|cert| cert.verify_is_valid_for_subject_name(&name).is_ok())
    }

    /// The certificate, DER.
    #[must_use]
    pub fn certificate(&self) -> &[u8] {
        &self.der
    }
}

impl core::fmt::Debug for PeerIdentity {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PeerIdentity")
            .field("len", &self.der.len())
            .finish_non_exhaustive()
    }
}
