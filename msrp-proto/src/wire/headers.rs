//! Typed header field values (RFC 4975, RFC 4976, RFC 7701).
//!
//! Every parser here takes a header field *value* — the bytes after `Name:` and the
//! separating space, without the CRLF — and returns a typed value that borrows from the
//! input. Nothing allocates, nothing panics, and every failure is one small, `Copy`
//! [`HeaderError`]. Every writer appends the canonical form of a value to a
//! [`bytes::BufMut`] without formatting machinery (integers go through a small digit
//! routine).
//!
//! # Leniency (P-18, E-13, E-17)
//!
//! * Leading and trailing SP/HTAB around a whole value are ignored (RFC 7977's examples
//!   put two spaces after the colon, E-17).
//! * Inside list-valued headers (Digest parameters, Content-Type parameters) optional
//!   white space is accepted around separators and `=`; RFC 4976's own examples mix `,`
//!   and `, ` (E-13).
//! * ABNF literals are case-insensitive: `YES`, `Partial`, `digest`, `stale=TRUE` are
//!   accepted (P-21). Parameter names are compared case-insensitively.
//! * Writers are strict: they always emit the canonical form (one SP after each comma,
//!   lowercase literals, quoting exactly as RFC 4976 §7 prescribes).
//!
//! # Quoted strings
//!
//! `quoted-string` values (Digest parameters, Content-Type parameters, Use-Nickname) are
//! returned as the **raw text between the quotes**: escapes (`\\` and `\"`, the only two
//! the RFC 4975 grammar admits) are validated but *not* decoded, so the value stays a
//! zero-copy slice of the input and writing it back between quotes reproduces the wire
//! form exactly. Use [`unescape`] to iterate over the decoded characters and
//! [`quoted_text_is_valid`] to check a raw value before handing it to a writer. Any other
//! backslash sequence, a control character other than HTAB, or a missing closing quote is
//! [`HeaderError::Syntax`].
//!
//! # Writers and raw values
//!
//! Writers copy borrowed string fields verbatim. A value obtained from a parser is always
//! safe to write back; a value constructed by hand must already be in wire form (tokens
//! for token positions, escaped text for quoted positions) — see [`quoted_text_is_valid`]
//! and [`escape_into`].

mod content_type;
mod digest;
mod nickname;
mod range;
mod report;
mod status;
#[cfg(test)]
mod tests;
mod util;

pub use content_type::{ContentType, Params};
pub use digest::{AuthenticationInfo, DigestChallenge, DigestCredentials};
pub use nickname::{MAX_NICKNAME_CHARS, parse_use_nickname, write_use_nickname};
pub use range::ByteRange;
pub use report::{FailureReport, SuccessReport};
pub use status::{Status, StatusCode};
pub use util::{Unescape, escape_into, quoted_text_is_valid, unescape};

use core::fmt;

/// Why a header field value could not be parsed.
///
/// Small and `Copy` so the framer can return it by value on the hot path. The variants
/// say *what* was wrong, never *where*; callers that need a position know the header
/// they passed in.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderError {
    /// The value is empty (or only white space).
    Empty,
    /// The value does not match the grammar (bad character, missing part, bad escape,
    /// unterminated quote, empty list element, trailing garbage, ...).
    Syntax,
    /// A number has more digits than its type can hold (RFC 4975 G-11, R4975-236).
    Overflow,
    /// The value is well-formed but self-contradictory (e.g. a Byte-Range whose end lies
    /// beyond its total).
    Inconsistent,
    /// A literal or enumerated value is not one this implementation knows
    /// (e.g. `Success-Report: maybe`, an authentication scheme other than `Digest`).
    UnknownValue,
    /// A parameter the header requires is absent (e.g. a challenge without `nonce`).
    MissingParameter,
    /// A parameter occurs more than once.
    DuplicateParameter,
    /// The value exceeds a length limit of its grammar (e.g. a nickname over 1023
    /// characters).
    TooLong,
    /// The value is not valid UTF-8 (RFC 3629; G-7).
    NonUtf8,
}

impl HeaderError {
    /// A short, static description of the error.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Empty => "empty header value",
            Self::Syntax => "malformed header value",
            Self::Overflow => "number too large in header value",
            Self::Inconsistent => "inconsistent header value",
            Self::UnknownValue => "unknown header value",
            Self::MissingParameter => "required header parameter missing",
            Self::DuplicateParameter => "duplicate header parameter",
            Self::TooLong => "header value too long",
            Self::NonUtf8 => "header value is not valid UTF-8",
        }
    }
}

impl fmt::Display for HeaderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::error::Error for HeaderError {}

/// Parses a `delta-seconds` value: `Expires`, `Min-Expires`, `Max-Expires` (RFC 4976 §7,
/// `1*DIGIT`).
///
/// Values above `u32::MAX` (about 136 years) are [`HeaderError::Overflow`] rather than
/// being clamped, so a relay can answer 423 instead of silently granting a different
/// lifetime.
pub fn parse_delta_seconds(v: &[u8]) -> Result<u32, HeaderError> {
    let v = util::trim(v);
    if v.is_empty() {
        return Err(HeaderError::Empty);
    }
    let n = util::parse_u64(v)?;
    u32::try_from(n).map_err(|_| HeaderError::Overflow)
}

/// Writes a `delta-seconds` value (decimal, no leading zeros).
pub fn write_delta_seconds(secs: u32, buf: &mut impl bytes::BufMut) {
    util::put_u64(buf, u64::from(secs));
}
