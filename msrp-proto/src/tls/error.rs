//! Errors of the TLS layer, each saying precisely what failed.

use core::fmt;

use super::{Fingerprint, FingerprintError};

/// A TLS alert description code (RFC 8446 §6, RFC 5246 §7.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Alert(pub u8);

impl Alert {
    /// `bad_certificate` (42): what RFC 8122 §6.2 requires on a fingerprint mismatch.
    pub const BAD_CERTIFICATE: Self = Self(42);
    /// `protocol_version` (70).
    pub const PROTOCOL_VERSION: Self = Self(70);
    /// `certificate_required` (116).
    pub const CERTIFICATE_REQUIRED: Self = Self(116);

    /// The registered name, or `None` for a code not listed here.
    #[must_use]
    pub const fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "close_notify",
            10 => "unexpected_message",
            20 => "bad_record_mac",
            22 => "record_overflow",
            40 => "handshake_failure",
            42 => "bad_certificate",
            43 => "unsupported_certificate",
            44 => "certificate_revoked",
            45 => "certificate_expired",
            46 => "certificate_unknown",
            47 => "illegal_parameter",
            48 => "unknown_ca",
            49 => "access_denied",
            50 => "decode_error",
            51 => "decrypt_error",
            70 => "protocol_version",
            71 => "insufficient_security",
            80 => "internal_error",
            86 => "inappropriate_fallback",
            90 => "user_canceled",
            109 => "missing_extension",
            110 => "unsupported_extension",
            112 => "unrecognized_name",
            113 => "bad_certificate_status_response",
            115 => "unknown_psk_identity",
            116 => "certificate_required",
            120 => "no_application_protocol",
            _ => return None,
        })
    }
}

impl fmt::Display for Alert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => write!(f, "{n} ({})", self.0),
            None => write!(f, "alert {}", self.0),
        }
    }
}

/// Why a TLS connection failed. Sticky: once returned, every later call returns it again.
///
/// Errors detected locally are also sent to the peer as a fatal alert, available from
/// [`TlsConnection::poll_transmit`](super::TlsConnection::poll_transmit) before closing.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsError {
    /// The peer certificate is valid but not for the host being dialled (R4975-026).
    NameMismatch,
    /// The peer certificate matches none of the SDP fingerprints (R4975-234, R8122-005).
    FingerprintMismatch {
        /// The certificate's fingerprint, with the hash function used for verification.
        presented: Fingerprint,
    },
    /// The peer certificate has expired or is not yet valid (R4975-026).
    CertificateExpired,
    /// The peer certificate does not chain to a configured root (R4975-026).
    UntrustedIssuer,
    /// Another certificate problem (bad encoding, bad signature, wrong key usage…).
    BadCertificate(String),
    /// The peer presented no certificate although one is required (R8122-007).
    NoCertificate,
    /// The peer offered or chose a protocol version other than TLS 1.2/1.3 (RFC 8996).
    ProtocolVersion,
    /// The peer sent a fatal alert.
    AlertReceived(Alert),
    /// The injected [`WallClock`](super::WallClock) gave no time, so certificate dates
    /// could not be checked.
    NoWallClock,
    /// Any other TLS protocol failure, with rustls' description.
    Protocol(String),
    /// Data was written after the connection was closed for writing.
    Closed,
}

impl fmt::Display for TlsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NameMismatch => f.write_str("peer certificate is not valid for the host dialled"),
            Self::FingerprintMismatch { presented } => write!(
                f,
                "peer certificate ({presented}) matches no fingerprint from the SDP"
            ),
            Self::CertificateExpired => f.write_str("peer certificate expired or not yet valid"),
            Self::UntrustedIssuer => f.write_str("peer certificate issuer is not trusted"),
            Self::BadCertificate(d) => write!(f, "bad peer certificate: {d}"),
            Self::NoCertificate => f.write_str("peer presented no certificate"),
            Self::ProtocolVersion => f.write_str("TLS version below 1.2 refused (RFC 8996)"),
            Self::AlertReceived(a) => write!(f, "peer sent fatal alert {a}"),
            Self::NoWallClock => f.write_str("no wall-clock time to check certificate dates"),
            Self::Protocol(d) => write!(f, "TLS protocol error: {d}"),
            Self::Closed => f.write_str("connection closed for writing"),
        }
    }
}

impl std::error::Error for TlsError {}

/// Why a TLS configuration or connection could not be set up.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    /// No usable fingerprint from the peer's SDP (none, or only MD5/unknown hashes).
    NoUsableFingerprint,
    /// A fingerprint could not be used.
    Fingerprint(FingerprintError),
    /// The host is neither a DNS name nor an IP address.
    InvalidHost(String),
    /// A certificate could not be parsed.
    BadCertificate(String),
    /// The private key could not be parsed or is of an unsupported type.
    BadPrivateKey(String),
    /// Certificate generation failed.
    Generation(String),
    /// rustls refused the configuration.
    Tls(String),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoUsableFingerprint => f.write_str("no usable fingerprint for the peer"),
            Self::Fingerprint(e) => write!(f, "fingerprint: {e}"),
            Self::InvalidHost(h) => write!(f, "invalid host {h:?}"),
            Self::BadCertificate(d) => write!(f, "bad certificate: {d}"),
            Self::BadPrivateKey(d) => write!(f, "bad private key: {d}"),
            Self::Generation(d) => write!(f, "certificate generation failed: {d}"),
            Self::Tls(d) => write!(f, "TLS configuration: {d}"),
        }
    }
}

impl std::error::Error for ConfigError {}

impl From<FingerprintError> for ConfigError {
    fn from(e: FingerprintError) -> Self {
        Self::Fingerprint(e)
    }
}
