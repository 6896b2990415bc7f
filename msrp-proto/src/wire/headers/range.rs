//! The `Byte-Range` header (RFC 4975 §7.1.1).

use super::{HeaderError, util};

/// `Byte-Range: range-start "-" range-end "/" total` (RFC 4975 §7.1.1, R4975-100).
///
/// Positions are 1-based and inclusive; `*` for range-end or total is `None`. All values
/// are `u64` with checked arithmetic.
///
/// # Consistency rules enforced by [`ByteRange::parse`]
///
/// * `start >= 1` (positions are 1-based; `0-5/5` is [`HeaderError::Inconsistent`]).
/// * `end >= start - 1`: `end == start - 1` is an empty chunk, which is how the empty
///   message is written (`1-0/0`, R4975-106); `5-3/10` is inconsistent.
/// * with a numeric total: `end <= total` and `start <= total + 1`.
///
/// A body length that disagrees with the range is *not* checked here: the RFC examples
/// get it wrong themselves (E-1..E-7) and the receiver takes the length from the data
/// (R4975-152, P-04).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    /// Position of the chunk's first octet in the whole message (1-based).
    pub start: u64,
    /// Position of the chunk's last octet; `None` = `*` (unknown or interruptible).
    pub end: Option<u64>,
    /// Length of the whole message; `None` = `*` (not known in advance).
    pub total: Option<u64>,
}

impl ByteRange {
    /// The range of a complete message of `len` octets sent in one chunk: `1-len/len`
    /// (`1-0/0` for the empty message, R4975-106).
    pub const fn whole(len: u64) -> Self {
        Self {
            start: 1,
            end: Some(len),
            total: Some(len),
        }
    }

    /// Number of octets the range claims for this chunk (`end - start + 1`), if range-end
    /// is known. Never trust it for allocation (R4975-236).
    pub const fn len(&self) -> Option<u64> {
        match self.end {
            // `end >= start - 1 >= 0` for parsed values; saturate for hand-built ones.
            Some(end) if self.start > 0 => Some(end.saturating_sub(self.start - 1)),
            Some(end) => Some(end.saturating_add(1)),
            None => None,
        }
    }

    /// Does the range claim a zero-length chunk (e.g. `1-0/0`)?
    pub const fn is_empty(&self) -> bool {
        matches!(self.len(), Some(0))
    }

    /// Checks the consistency rules listed on the type.
    pub const fn check(&self) -> Result<(), HeaderError> {
        if self.start == 0 {
            return Err(HeaderError::Inconsistent);
        }
        if let Some(end) = self.end
            && end < self.start - 1
        {
            return Err(HeaderError::Inconsistent);
        }
        if let Some(total) = self.total {
            if self.start - 1 > total {
                return Err(HeaderError::Inconsistent);
            }
            if let Some(end) = self.end
                && end > total
            {
                return Err(HeaderError::Inconsistent);
            }
        }
        Ok(())
    }

    /// Parses `range-start "-" range-end "/" total`.
    ///
    /// Errors: empty → [`HeaderError::Empty`]; missing part, non-digit, white space inside,
    /// `*` as range-start → [`HeaderError::Syntax`]; a number beyond `u64::MAX` →
    /// [`HeaderError::Overflow`] (G-11, R4975-236); a violated consistency rule →
    /// [`HeaderError::Inconsistent`]. Leading zeros are accepted.
    pub fn parse(v: &[u8]) -> Result<Self, HeaderError> {
        let v = util::trim(v);
        if v.is_empty() {
            return Err(HeaderError::Empty);
        }
        let dash = v
            .iter()
            .position(|&c| c == b'-')
            .ok_or(HeaderError::Syntax)?;
        let (start, rest) = (&v[..dash], &v[dash + 1..]);
        let slash = rest
            .iter()
            .position(|&c| c == b'/')
            .ok_or(HeaderError::Syntax)?;
        let (end, total) = (&rest[..slash], &rest[slash + 1..]);
        // Check the syntax of all three parts before any overflow, so that a malformed
        // value is always `Syntax`.
        let star_or_digits =
            |p: &[u8]| p == b"*" || (!p.is_empty() && p.iter().all(u8::is_ascii_digit));
        if start.is_empty()
            || !start.iter().all(u8::is_ascii_digit)
            || !star_or_digits(end)
            || !star_or_digits(total)
        {
            return Err(HeaderError::Syntax);
        }
        let opt = |p: &[u8]| {
            if p == b"*" {
                Ok(None)
            } else {
                util::parse_u64(p).map(Some)
            }
        };
        let r = Self {
            start: util::parse_u64(start)?,
            end: opt(end)?,
            total: opt(total)?,
        };
        r.check()?;
        Ok(r)
    }

    /// Writes `start-end/total` with `*` for unknown parts.
    pub fn write(&self, buf: &mut impl bytes::BufMut) {
        util::put_u64(buf, self.start);
        buf.put_u8(b'-');
        match self.end {
            Some(n) => util::put_u64(buf, n),
            None => buf.put_u8(b'*'),
        }
        buf.put_u8(b'/');
        match self.total {
            Some(n) => util::put_u64(buf, n),
            None => buf.put_u8(b'*'),
        }
    }
}
