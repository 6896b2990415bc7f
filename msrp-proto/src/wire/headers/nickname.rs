//! `Use-Nickname` (RFC 7701 §7.1).

use super::{HeaderError, util};

/// Maximum nickname length in grammar elements (`1*1023(qdtext / qd-esc)`, RFC 7701 §7.1):
/// a UTF-8 character or an escape pair counts as one.
pub const MAX_NICKNAME_CHARS: usize = 1023;

/// Parses `Use-Nickname: DQUOTE *1023(qdtext / qd-esc) DQUOTE` and returns the raw text
/// between the quotes (escapes validated, not decoded; see [`super::unescape`]).
///
/// `""` is accepted and means "remove my nickname" (RFC 7701 §7.3, E-23/P-38) even though
/// the grammar says `1*`. More than [`MAX_NICKNAME_CHARS`] elements is
/// [`HeaderError::TooLong`]; invalid UTF-8 is [`HeaderError::NonUtf8`]; a missing quote,
/// trailing text, a control character or an escape other than `\\`/`\"` is
/// [`HeaderError::Syntax`].
pub fn parse_use_nickname(v: &[u8]) -> Result<&str, HeaderError> {
    let v = util::trim(v);
    if v.is_empty() {
        return Err(HeaderError::Empty);
    }
    let s = core::str::from_utf8(v).map_err(|_| HeaderError::NonUtf8)?;
    let b = s.as_bytes();
    if b[0] != b'"' {
        return Err(HeaderError::Syntax);
    }
    let (close, count) = util::scan_quoted(b, 0)?;
    if close + 1 != b.len() {
        return Err(HeaderError::Syntax);
    }
    if count > MAX_NICKNAME_CHARS {
        return Err(HeaderError::TooLong);
    }
    s.get(1..close).ok_or(HeaderError::Syntax)
}

/// Writes a raw (already escaped) nickname between quotes.
pub fn write_use_nickname(raw: &str, buf: &mut impl bytes::BufMut) {
    buf.put_u8(b'"');
    buf.put_slice(raw.as_bytes());
    buf.put_u8(b'"');
}
