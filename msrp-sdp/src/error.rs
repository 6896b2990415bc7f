//! Typed errors. Every error that comes from SDP text carries the 1-based line number of the
//! line it is about (for a "missing" error: the line that starts the section that lacks it).

use core::fmt;

/// An error found in SDP text, with the line it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SdpError {
    /// 1-based line number in the (serialized) description.
    pub line: usize,
    /// What is wrong.
    pub kind: SdpErrorKind,
}

impl SdpError {
    pub(crate) fn new(line: usize, kind: SdpErrorKind) -> Self {
        Self { line, kind }
    }
}

/// What is wrong with an SDP line or section.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SdpErrorKind {
    /// The input is empty.
    Empty,
    /// The input is not valid UTF-8.
    InvalidUtf8,
    /// A line contains NUL or a carriage return that does not end the line (RFC 8866 §9).
    ForbiddenCharacter,
    /// An empty line in the middle of the description.
    EmptyLine,
    /// A line that is not `<letter>=<value>`.
    MalformedLine,
    /// A type letter RFC 8866 does not define (RFC 8866 §5: the description must be rejected).
    UnknownLineType(char),
    /// A whole description does not start with `v=0`.
    MissingVersion,
    /// `v=` with a value other than `0`.
    UnsupportedVersion,
    /// A whole description lacks a mandatory session-level line (`o=`, `s=` or `t=`).
    MissingSessionLine(char),
    /// A malformed `o=` line.
    MalformedOrigin,
    /// A malformed `m=` line (RFC 8866 §5.14).
    MalformedMediaLine,
    /// A malformed `c=` line (RFC 8866 §5.7), e.g. `c=IN IP6 IP6 2001:db8::1`.
    MalformedConnection,
    /// No `c=` line applies to this media description (R8866-001).
    MissingConnection,
    /// An MSRP m-line whose proto is not `TCP/MSRP` or `TCP/TLS/MSRP`, or whose format list is
    /// not exactly `*` (R4975-172).
    NotMsrpMedia,
    /// An MSRP media description without `a=path` (R4975-170).
    MissingPath,
    /// An `a=path` value that is empty or holds an invalid MSRP URI (the URI parser's reason).
    InvalidPath(msrp_proto::uri::UriError),
    /// A path URI without an explicit port (R4975-176).
    PathUriWithoutPort,
    /// An MSRP media description without `a=accept-types` (R4975-184).
    MissingAcceptTypes,
    /// A malformed `accept-types` or `accept-wrapped-types` entry (RFC 4975 §8.6).
    InvalidFormatList,
    /// `a=max-size` that is not a decimal integer fitting 64 bits.
    InvalidMaxSize,
    /// `a=setup` with an unknown role (RFC 4145 §4).
    InvalidSetup,
    /// A malformed `a=fingerprint` (RFC 8122 §5).
    InvalidFingerprint,
    /// More than one direction attribute at the same level (R8866-003).
    DuplicateDirection,
    /// A single-valued attribute repeated in one media description.
    DuplicateAttribute(&'static str),
    /// A malformed `a=file-selector` (RFC 5547 §6).
    InvalidFileSelector,
    /// A malformed `a=file-transfer-id` (must be a token).
    InvalidFileTransferId,
    /// A malformed `a=file-disposition` (must be a token).
    InvalidFileDisposition,
    /// A malformed `a=file-date`, or a date kind given twice (R5547-006).
    InvalidFileDate,
    /// A malformed `a=file-icon` (must be a `cid:` URL).
    InvalidFileIcon,
    /// A malformed `a=file-range` (start ≥ 1, stop ≥ start or `*`).
    InvalidFileRange,
    /// The requested media index does not exist.
    NoSuchMedia,
}

impl fmt::Display for SdpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SDP line {}: {:?}", self.line, self.kind)
    }
}

impl std::error::Error for SdpError {}
