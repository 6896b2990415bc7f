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
        // The decoder hands over trimmed values; only trim when there is something to trim.
        let v = if v.first().is_some_and(|&b| b == b' ' || b == b'\t')
            || v.last().is_some_and(|&b| b == b' ' || b == b'\t')
        {
            util::trim(v)
        } else {
            v
        };
        if v.is_empty() {
            return Err(HeaderError::Empty);
        }
        // One pass: each part is `*` (not for range-start) or digits; overflow is noted
        // but reported only if the syntax is right, so a malformed value is always
        // `Syntax` whatever its numbers.
        let mut i = 0;
        let mut overflow = false;
        let start = range_part(v, &mut i, &mut overflow, Some(b'-'), false)?.unwrap_or(0);
        i += 1;
        let end = range_part(v, &mut i, &mut overflow, Some(b'/'), true)?;
        i += 1;
        let total = range_part(v, &mut i, &mut overflow, None, true)?;
        if overflow {
            return Err(HeaderError::Overflow);
        }
        let r = Self { start, end, total };
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

/// One part of a Byte-Range at `v[*i..]`: `*` (when `star_ok`) or digits, followed by
/// `terminator` (`None` = end of value). Overflow is recorded in `overflow`, not returned,
/// so the caller can let syntax errors take precedence.
fn range_part(
    v: &[u8],
    i: &mut usize,
    overflow: &mut bool,
    terminator: Option<u8>,
    star_ok: bool,
) -> Result<Option<u64>, HeaderError> {
    if star_ok && v.get(*i) == Some(&b'*') && v.get(*i + 1).copied() == terminator {
        *i += 1;
        return Ok(None);
    }
    let start = *i;
    let mut n: u64 = 0;
    while let Some(&b) = v.get(*i) {
        if !b.is_ascii_digit() {
            break;
        }
        match n
            .checked_mul(10)
            .and_then(|n| n.checked_add(u64::from(b - b'0')))
        {
            Some(m) => n = m,
            None => *overflow = true,
        }
        *i += 1;
    }
    if *i == start || v.get(*i).copied() != terminator {
        return Err(HeaderError::Syntax);
    }
    Ok(Some(n))
}
