//! Shared lexical helpers: trimming, digits, tokens, quoted strings, the parameter-list
//! tokenizer and the allocation-free integer writers.

use super::HeaderError;

/// Is `b` SP or HTAB?
#[inline]
pub(super) const fn is_ws(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// Strips leading and trailing SP/HTAB.
#[inline]
pub(super) fn trim(mut v: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = v {
        if !is_ws(*first) {
            break;
        }
        v = rest;
    }
    while let [rest @ .., last] = v {
        if !is_ws(*last) {
            break;
        }
        v = rest;
    }
    v
}

/// RFC 4975 `token` character: `%x21 / %x23-27 / %x2A-2B / %x2D-2E / %x30-39 / %x41-5A /
/// %x5E-7E`.
#[inline]
pub(super) const fn is_token_char(b: u8) -> bool {
    matches!(b, 0x21 | 0x23..=0x27 | 0x2A..=0x2B | 0x2D..=0x2E | 0x30..=0x39 | 0x41..=0x5A | 0x5E..=0x7E)
}

/// Is `s` a non-empty `token`?
#[inline]
pub(super) fn is_token(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(|&b| is_token_char(b))
}

/// Parses `1*DIGIT` into a `u64` with checked arithmetic. Any non-digit (or no digit at
/// all) is [`HeaderError::Syntax`]; a value beyond `u64::MAX` is
/// [`HeaderError::Overflow`].
pub(super) fn parse_u64(v: &[u8]) -> Result<u64, HeaderError> {
    if v.is_empty() || !v.iter().all(u8::is_ascii_digit) {
        return Err(HeaderError::Syntax);
    }
    let mut n: u64 = 0;
    for &b in v {
        n = n
            .checked_mul(10)
            .and_then(|n| n.checked_add(u64::from(b - b'0')))
            .ok_or(HeaderError::Overflow)?;
    }
    Ok(n)
}

/// Parses exactly eight hex digits (`8LHEX`, upper case accepted) into a `u32`.
pub(super) fn parse_hex8(v: &[u8]) -> Result<u32, HeaderError> {
    if v.len() != 8 {
        return Err(HeaderError::Syntax);
    }
    let mut n: u32 = 0;
    for &b in v {
        let d = match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'f' => b - b'a' + 10,
            b'A'..=b'F' => b - b'A' + 10,
            _ => return Err(HeaderError::Syntax),
        };
        n = (n << 4) | u32::from(d);
    }
    Ok(n)
}

/// Appends `n` in decimal without leading zeros.
pub(super) fn put_u64(buf: &mut impl bytes::BufMut, mut n: u64) {
    let mut tmp = [0u8; 20];
    let mut i = tmp.len();
    loop {
        i -= 1;
        // `n % 10 < 10`, so the cast is lossless.
        tmp[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    buf.put_slice(&tmp[i..]);
}

/// Appends `n` as at least three decimal digits (zero-padded), the `3DIGIT` form of status
/// codes and namespaces. Values above 999 are written in full.
pub(super) fn put_3digits(buf: &mut impl bytes::BufMut, n: u16) {
    if n < 1000 {
        let n = n as usize;
        let d = [
            b'0' + (n / 100) as u8,
            b'0' + (n / 10 % 10) as u8,
            b'0' + (n % 10) as u8,
        ];
        buf.put_slice(&d);
    } else {
        put_u64(buf, u64::from(n));
    }
}

/// Appends `n` as eight lowercase hex digits (`nc-value`).
pub(super) fn put_hex8(buf: &mut impl bytes::BufMut, n: u32) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut tmp = [0u8; 8];
    for (i, slot) in tmp.iter_mut().enumerate() {
        *slot = HEX[((n >> (28 - 4 * i)) & 0xF) as usize];
    }
    buf.put_slice(&tmp);
}

/// Validates UTF-8 (RFC 3629) and the `utf8text` character set: HTAB, `%x20-7E` and
/// non-ASCII characters. Other control characters (including CR, LF, NUL, DEL) are
/// [`HeaderError::Syntax`].
pub(super) fn utf8text(v: &[u8]) -> Result<&str, HeaderError> {
    let s = core::str::from_utf8(v).map_err(|_| HeaderError::NonUtf8)?;
    if s.bytes().any(|b| (b < 0x20 && b != b'\t') || b == 0x7F) {
        return Err(HeaderError::Syntax);
    }
    Ok(s)
}

/// Scans a quoted string whose opening DQUOTE is at `b[open]`. Returns the index of the
/// closing DQUOTE and the number of grammar elements (`qdtext` characters and `qd-esc`
/// pairs) between the quotes. `b` must be valid UTF-8.
pub(super) fn scan_quoted(b: &[u8], open: usize) -> Result<(usize, usize), HeaderError> {
    let mut i = open + 1;
    let mut count = 0usize;
    loop {
        let Some(&c) = b.get(i) else {
            return Err(HeaderError::Syntax); // unterminated
        };
        match c {
            b'"' => return Ok((i, count)),
            b'\\' => match b.get(i + 1) {
                Some(b'\\' | b'"') => {
                    i += 2;
                    count += 1;
                }
                _ => return Err(HeaderError::Syntax),
            },
            b'\t' | 0x20..=0x7E => {
                i += 1;
                count += 1;
            }
            0x80..=0xFF => {
                // Input is valid UTF-8: count lead bytes only.
                if c & 0xC0 != 0x80 {
                    count += 1;
                }
                i += 1;
            }
            _ => return Err(HeaderError::Syntax),
        }
    }
}

/// Is `raw` valid content for a quoted string (the text between the quotes): only
/// `qdtext` characters and the escapes `\\` and `\"`?
///
/// Every raw value a parser of this module returns passes this check.
pub fn quoted_text_is_valid(raw: &str) -> bool {
    let b = raw.as_bytes();
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        match c {
            b'"' => return false,
            b'\\' => {
                if !matches!(b.get(i + 1), Some(b'\\' | b'"')) {
                    return false;
                }
                i += 2;
            }
            b'\t' | 0x20..=0x7E | 0x80..=0xFF => i += 1,
            _ => return false,
        }
    }
    true
}

/// Iterates over the decoded characters of a raw quoted-string value (`\"` becomes `"`,
/// `\\` becomes `\`).
///
/// Intended for values returned by this module's parsers (which validated the escapes);
/// on arbitrary input a trailing lone backslash is yielded as itself.
pub fn unescape(raw: &str) -> Unescape<'_> {
    Unescape { chars: raw.chars() }
}

/// Iterator returned by [`unescape`].
#[derive(Debug, Clone)]
pub struct Unescape<'a> {
    chars: core::str::Chars<'a>,
}

impl Iterator for Unescape<'_> {
    type Item = char;

    fn next(&mut self) -> Option<char> {
        match self.chars.next()? {
            '\\' => Some(self.chars.next().unwrap_or('\\')),
            c => Some(c),
        }
    }
}

/// Appends `text` escaped for use between the quotes of a quoted string (`"` → `\"`,
/// `\` → `\\`), without the surrounding quotes.
///
/// Control characters other than HTAB cannot be represented in a quoted string: if `text`
/// contains one, nothing is written and [`HeaderError::Syntax`] is returned.
pub fn escape_into(text: &str, buf: &mut impl bytes::BufMut) -> Result<(), HeaderError> {
    if text.bytes().any(|b| (b < 0x20 && b != b'\t') || b == 0x7F) {
        return Err(HeaderError::Syntax);
    }
    let b = text.as_bytes();
    let mut start = 0;
    for (i, &c) in b.iter().enumerate() {
        if c == b'"' || c == b'\\' {
            buf.put_slice(&b[start..i]);
            buf.put_slice(&[b'\\', c]);
            start = i + 1;
        }
    }
    buf.put_slice(&b[start..]);
    Ok(())
}

/// One `name[=value]` element of a parameter list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Param<'a> {
    /// The parameter name (a token), as written.
    pub(super) name: &'a str,
    /// The value: a token, or the raw text between the quotes of a quoted string.
    /// `None` for a bare name (only when the list allows it).
    pub(super) value: Option<&'a str>,
    /// Whether the value was a quoted string.
    pub(super) quoted: bool,
}

/// The one tokenizer for `name=value` lists: Digest parameters (separator `,`) and
/// Content-Type parameters (separator `;`, bare names allowed).
///
/// Grammar accepted: `[elem *(OWS sep OWS elem)]` with `elem = token OWS ["=" OWS (token
/// / quoted-string)]` and OWS = `*(SP / HTAB)`. An empty element (two separators in a row,
/// a leading or trailing separator) is [`HeaderError::Syntax`] (RFC 4976 erratum EID
/// 1277). After the first error the iterator is fused.
#[derive(Debug, Clone)]
pub(super) struct ParamIter<'a> {
    s: &'a str,
    pos: usize,
    sep: u8,
    allow_bare: bool,
    after_sep: bool,
    done: bool,
}

impl<'a> ParamIter<'a> {
    /// A tokenizer over `s`, which must already be valid UTF-8 (it is a `&str`).
    pub(super) fn new(s: &'a str, sep: u8, allow_bare: bool) -> Self {
        Self {
            s,
            pos: 0,
            sep,
            allow_bare,
            after_sep: false,
            done: false,
        }
    }

    fn skip_ws(&mut self) {
        let b = self.s.as_bytes();
        while b.get(self.pos).is_some_and(|&c| is_ws(c)) {
            self.pos += 1;
        }
    }

    fn token(&mut self) -> Result<&'a str, HeaderError> {
        let b = self.s.as_bytes();
        let start = self.pos;
        while b.get(self.pos).is_some_and(|&c| is_token_char(c)) {
            self.pos += 1;
        }
        if self.pos == start {
            return Err(HeaderError::Syntax);
        }
        // Token characters are ASCII, so both ends are char boundaries.
        self.s.get(start..self.pos).ok_or(HeaderError::Syntax)
    }

    fn element(&mut self) -> Result<Option<Param<'a>>, HeaderError> {
        let b = self.s.as_bytes();
        self.skip_ws();
        match b.get(self.pos) {
            None if self.after_sep => return Err(HeaderError::Syntax),
            None => return Ok(None),
            Some(&c) if c == self.sep => return Err(HeaderError::Syntax),
            Some(_) => {}
        }
        let name = self.token()?;
        self.skip_ws();
        let mut param = Param {
            name,
            value: None,
            quoted: false,
        };
        if b.get(self.pos) == Some(&b'=') {
            self.pos += 1;
            self.skip_ws();
            if b.get(self.pos) == Some(&b'"') {
                let (close, _) = scan_quoted(b, self.pos)?;
                param.value = Some(self.s.get(self.pos + 1..close).ok_or(HeaderError::Syntax)?);
                param.quoted = true;
                self.pos = close + 1;
            } else {
                param.value = Some(self.token()?);
            }
            self.skip_ws();
        } else if !self.allow_bare {
            return Err(HeaderError::Syntax);
        }
        match b.get(self.pos) {
            None => self.done = true,
            Some(&c) if c == self.sep => {
                self.pos += 1;
                self.after_sep = true;
            }
            Some(_) => return Err(HeaderError::Syntax),
        }
        Ok(Some(param))
    }
}

impl<'a> Iterator for ParamIter<'a> {
    type Item = Result<Param<'a>, HeaderError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.element() {
            Ok(Some(p)) => Some(Ok(p)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

impl core::iter::FusedIterator for ParamIter<'_> {}
