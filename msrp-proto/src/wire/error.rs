//! Parse errors: small `Copy` values, kept apart from "need more bytes" (which is not an error).

use core::fmt;

use super::headers::{HeaderError, StatusCode};

/// The header fields the decoder recognises and indexes (RFC 4975, 4976, 7701 and MIME).
///
/// Every one of them may occur at most once in a message: a duplicate is
/// [`ParseError::DuplicateHeader`] (digest P-18).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KnownHeader {
    /// `To-Path`
    ToPath,
    /// `From-Path`
    FromPath,
    /// `Message-ID`
    MessageId,
    /// `Byte-Range`
    ByteRange,
    /// `Success-Report`
    SuccessReport,
    /// `Failure-Report`
    FailureReport,
    /// `Status`
    Status,
    /// `Content-Type`
    ContentType,
    /// `Content-ID`
    ContentId,
    /// `Content-Description`
    ContentDescription,
    /// `Content-Disposition`
    ContentDisposition,
    /// `Expires` (RFC 4976)
    Expires,
    /// `Min-Expires` (RFC 4976)
    MinExpires,
    /// `Max-Expires` (RFC 4976)
    MaxExpires,
    /// `Use-Path` (RFC 4976)
    UsePath,
    /// `WWW-Authenticate` (RFC 4976)
    WwwAuthenticate,
    /// `Authorization` (RFC 4976)
    Authorization,
    /// `Authentication-Info` (RFC 4976)
    AuthenticationInfo,
    /// `Use-Nickname` (RFC 7701)
    UseNickname,
}

impl KnownHeader {
    /// Every known header, in index order.
    pub const ALL: [KnownHeader; 19] = [
        Self::ToPath,
        Self::FromPath,
        Self::MessageId,
        Self::ByteRange,
        Self::SuccessReport,
        Self::FailureReport,
        Self::Status,
        Self::ContentType,
        Self::ContentId,
        Self::ContentDescription,
        Self::ContentDisposition,
        Self::Expires,
        Self::MinExpires,
        Self::MaxExpires,
        Self::UsePath,
        Self::WwwAuthenticate,
        Self::Authorization,
        Self::AuthenticationInfo,
        Self::UseNickname,
    ];

    /// The canonical spelling (what the encoder writes).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::ToPath => "To-Path",
            Self::FromPath => "From-Path",
            Self::MessageId => "Message-ID",
            Self::ByteRange => "Byte-Range",
            Self::SuccessReport => "Success-Report",
            Self::FailureReport => "Failure-Report",
            Self::Status => "Status",
            Self::ContentType => "Content-Type",
            Self::ContentId => "Content-ID",
            Self::ContentDescription => "Content-Description",
            Self::ContentDisposition => "Content-Disposition",
            Self::Expires => "Expires",
            Self::MinExpires => "Min-Expires",
            Self::MaxExpires => "Max-Expires",
            Self::UsePath => "Use-Path",
            Self::WwwAuthenticate => "WWW-Authenticate",
            Self::Authorization => "Authorization",
            Self::AuthenticationInfo => "Authentication-Info",
            Self::UseNickname => "Use-Nickname",
        }
    }

    /// Recognises a header name, ASCII case-insensitively (R4975-201).
    #[must_use]
    pub fn from_name(name: &[u8]) -> Option<Self> {
        // Dispatch on length and first letter: at most one comparison per call.
        let first = *name.first()? | 0x20;
        let candidate = match (name.len(), first) {
            (6, b's') => Self::Status,
            (7, b't') => Self::ToPath,
            (7, b'e') => Self::Expires,
            (8, b'u') => Self::UsePath,
            (9, b'f') => Self::FromPath,
            (10, b'm') => Self::MessageId,
            (10, b'b') => Self::ByteRange,
            (10, b'c') => Self::ContentId,
            (11, b'm') if name.get(1).is_some_and(|&c| c | 0x20 == b'i') => Self::MinExpires,
            (11, b'm') => Self::MaxExpires,
            (12, b'c') => Self::ContentType,
            (12, b'u') => Self::UseNickname,
            (13, b'a') => Self::Authorization,
            (14, b's') => Self::SuccessReport,
            (14, b'f') => Self::FailureReport,
            (16, b'w') => Self::WwwAuthenticate,
            (19, b'a') => Self::AuthenticationInfo,
            (19, b'c') if name.get(12).is_some_and(|&c| c | 0x20 == b'r') => {
                Self::ContentDescription
            }
            (19, b'c') => Self::ContentDisposition,
            _ => return None,
        };
        eq_fold(name, candidate.as_str().as_bytes()).then_some(candidate)
    }

    pub(crate) const fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for KnownHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The limit a message exceeded (see [`Limits`](super::Limits)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Limit {
    /// [`Limits::max_start_line`](super::Limits::max_start_line)
    StartLine,
    /// [`Limits::max_header_line`](super::Limits::max_header_line)
    HeaderLine,
    /// [`Limits::max_headers`](super::Limits::max_headers)
    HeaderCount,
    /// [`Limits::max_header_bytes`](super::Limits::max_header_bytes)
    HeaderBytes,
    /// [`Limits::max_path_uris`](super::Limits::max_path_uris)
    PathUris,
    /// [`Limits::max_ident_len`](super::Limits::max_ident_len) for a transaction id
    TransactionIdLength,
    /// [`Limits::max_ident_len`](super::Limits::max_ident_len) for a Message-ID
    MessageIdLength,
    /// [`Limits::max_chunk_body`](super::Limits::max_chunk_body)
    ChunkBody,
}

/// Why a byte stream is not valid MSRP.
///
/// Small and `Copy`, like httparse's errors. Incomplete input is never an error: the
/// decoder answers [`Event::NeedMore`](super::Event::NeedMore) instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParseError {
    /// The start line does not begin with `MSRP SP` (upper case, R4975-200).
    NotMsrp,
    /// The transaction id is not an `ident` (first character alphanumeric, then
    /// `ALPHANUM . - + % =`, at least 4 characters; R4975-071).
    BadTransactionId,
    /// The method is not `1*UPALPHA` (R4975-200).
    BadMethod,
    /// The status code is not three digits, or the comment is malformed.
    BadStatusLine,
    /// A line ends in a bare LF instead of CRLF.
    BareLf,
    /// A control character (NUL, CR alone, DEL, ...) inside a start or header line.
    ControlCharacter,
    /// A header line starts with white space: MSRP has no line folding (R4975-203).
    FoldedHeader,
    /// A header name is empty or not a token, or the colon is missing.
    BadHeaderName,
    /// A header that may occur once occurs twice (digest P-18).
    DuplicateHeader(KnownHeader),
    /// A known header's value is malformed.
    BadHeaderValue(KnownHeader, HeaderError),
    /// Strict mode only: not exactly one SP after the colon (R4975-201).
    HeaderSpacing,
    /// Strict mode only: To-Path and From-Path are not the first two headers, or one of
    /// them is missing (R4975-072).
    HeaderOrder,
    /// A Message-ID is not an `ident` (R4975-090).
    BadMessageId,
    /// A line in the header block looks like an end-line but does not carry this
    /// message's transaction id and a flag (R4975-079).
    EndLineMismatch,
    /// A response has a body; responses never do (R4975-145).
    ResponseWithBody,
    /// A limit was exceeded.
    Limit(Limit),
    /// The input ended in the middle of a message ([`Decoder::finish`](super::Decoder::finish)).
    Truncated,
}

impl ParseError {
    /// The MSRP status a request that failed this way should be answered with (when its
    /// Failure-Report allows an answer at all): 413 for an oversized chunk, 400 otherwise.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Limit(Limit::ChunkBody) => StatusCode::STOP_SENDING,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotMsrp => f.write_str("start line does not begin with \"MSRP \""),
            Self::BadTransactionId => f.write_str("malformed transaction id"),
            Self::BadMethod => f.write_str("malformed method"),
            Self::BadStatusLine => f.write_str("malformed status code or comment"),
            Self::BareLf => f.write_str("line ends in a bare LF"),
            Self::ControlCharacter => f.write_str("control character in a start or header line"),
            Self::FoldedHeader => {
                f.write_str("header line starts with white space (no folding in MSRP)")
            }
            Self::BadHeaderName => f.write_str("malformed header name or missing colon"),
            Self::DuplicateHeader(h) => write!(f, "duplicate {h} header"),
            Self::BadHeaderValue(h, e) => write!(f, "malformed {h} value: {e}"),
            Self::HeaderSpacing => f.write_str("not exactly one SP after a header colon (strict)"),
            Self::HeaderOrder => {
                f.write_str("To-Path and From-Path are not the first headers (strict)")
            }
            Self::BadMessageId => f.write_str("malformed Message-ID"),
            Self::EndLineMismatch => f.write_str("end-line does not match the transaction id"),
            Self::ResponseWithBody => f.write_str("response with a body"),
            Self::Limit(l) => write!(f, "limit exceeded: {l:?}"),
            Self::Truncated => f.write_str("input ended inside a message"),
        }
    }
}

impl std::error::Error for ParseError {}

/// `name` equals `canonical` ignoring ASCII case, where `canonical` holds only letters and
/// `-`: the bytes may differ only in bit 0x20, and only where `canonical` has a letter
/// (bit 0x40 set; `-` has it clear), so `To\rPath` is not `To-Path`. Exact for any input,
/// eight bytes at a time (the last word overlaps the previous one).
fn eq_fold(name: &[u8], canonical: &[u8]) -> bool {
    const LETTERS: u64 = 0x4040_4040_4040_4040;
    let same = |x: u64, c: u64| (x ^ c) & !((c & LETTERS) >> 1) == 0;
    let n = name.len();
    if n != canonical.len() {
        return false;
    }
    let w8 = |b: &[u8], i: usize| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&b[i..i + 8]);
        u64::from_le_bytes(w)
    };
    let w4 = |b: &[u8], i: usize| {
        let mut w = [0u8; 4];
        w.copy_from_slice(&b[i..i + 4]);
        u64::from(u32::from_le_bytes(w))
    };
    if n >= 8 {
        let mut i = 0;
        while i + 8 < n {
            if !same(w8(name, i), w8(canonical, i)) {
                return false;
            }
            i += 8;
        }
        same(w8(name, n - 8), w8(canonical, n - 8))
    } else if n >= 4 {
        same(w4(name, 0), w4(canonical, 0)) && same(w4(name, n - 4), w4(canonical, n - 4))
    } else {
        name.iter()
            .zip(canonical)
            .all(|(&x, &c)| same(u64::from(x), u64::from(c)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r4975_201_header_names_case_insensitive_and_exact() {
        for h in KnownHeader::ALL {
            let name = h.as_str();
            assert_eq!(KnownHeader::from_name(name.as_bytes()), Some(h));
            assert_eq!(
                KnownHeader::from_name(name.to_ascii_lowercase().as_bytes()),
                Some(h)
            );
            assert_eq!(
                KnownHeader::from_name(name.to_ascii_uppercase().as_bytes()),
                Some(h)
            );
            // Every single-byte change to any other byte (tokens or not: the public
            // function sees arbitrary input; CR is `-` with bit 0x20 cleared) is a
            // different header.
            for i in 0..name.len() {
                for c in 0..=255u8 {
                    let mut v = name.as_bytes().to_vec();
                    if v[i].eq_ignore_ascii_case(&c) {
                        continue;
                    }
                    v[i] = c;
                    assert_ne!(
                        KnownHeader::from_name(&v),
                        Some(h),
                        "{}",
                        String::from_utf8_lossy(&v)
                    );
                }
            }
        }
        assert_eq!(KnownHeader::from_name(b""), None);
        assert_eq!(KnownHeader::from_name(b"X-Custom"), None);
    }
}
