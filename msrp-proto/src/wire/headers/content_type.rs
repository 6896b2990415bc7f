//! `Content-Type` (RFC 4975 §9 `media-type`, RFC 2045).

use super::{
    HeaderError,
    util::{self, ParamIter},
};

/// A parsed `Content-Type` value: `type "/" subtype *( ";" gen-param )`.
///
/// Borrows the input; the parameters are validated by [`ContentType::parse`] and
/// re-tokenized lazily by [`ContentType::params`]. Type, subtype and parameter names are
/// case-insensitive tokens and are returned as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContentType<'a> {
    raw: &'a str,
    slash: usize,
    essence_end: usize,
    params_start: usize,
}

impl<'a> ContentType<'a> {
    /// Parses a media type with optional parameters.
    ///
    /// Lenient: SP/HTAB is accepted around `;` and `=`. A parameter value is a token or a
    /// quoted string; a bare parameter name (`pname` without `=`) is allowed by the RFC 4975
    /// grammar. An empty parameter (`text/plain;`) is [`HeaderError::Syntax`].
    pub fn parse(v: &'a [u8]) -> Result<Self, HeaderError> {
        let v = util::trim(v);
        if v.is_empty() {
            return Err(HeaderError::Empty);
        }
        let raw = core::str::from_utf8(v).map_err(|_| HeaderError::NonUtf8)?;
        let b = raw.as_bytes();
        let slash = b
            .iter()
            .position(|&c| !util::is_token_char(c))
            .ok_or(HeaderError::Syntax)?;
        if slash == 0 || b[slash] != b'/' {
            return Err(HeaderError::Syntax);
        }
        let sub = &b[slash + 1..];
        let sub_len = sub
            .iter()
            .position(|&c| !util::is_token_char(c))
            .unwrap_or(sub.len());
        if sub_len == 0 {
            return Err(HeaderError::Syntax);
        }
        let essence_end = slash + 1 + sub_len;
        let mut i = essence_end;
        while b.get(i).is_some_and(|&c| util::is_ws(c)) {
            i += 1;
        }
        let has_params = match b.get(i) {
            None => false,
            Some(b';') => true,
            Some(_) => return Err(HeaderError::Syntax),
        };
        let params_start = if has_params { i + 1 } else { b.len() };
        let ct = Self {
            raw,
            slash,
            essence_end,
            params_start,
        };
        if has_params {
            // `text/plain;` is an empty element; the tokenizer only sees what follows the
            // `;`, so check explicitly.
            if b[params_start..].iter().all(|&c| util::is_ws(c)) {
                return Err(HeaderError::Syntax);
            }
            for p in ct.raw_params() {
                p?;
            }
        }
        Ok(ct)
    }

    fn raw_params(&self) -> ParamIter<'a> {
        ParamIter::new(self.raw.get(self.params_start..).unwrap_or(""), b';', true)
    }

    /// The whole value as written (trimmed).
    pub const fn as_str(&self) -> &'a str {
        self.raw
    }

    /// `type/subtype` as written (e.g. `text/plain`), without parameters.
    pub fn media_type(&self) -> &'a str {
        &self.raw[..self.essence_end]
    }

    /// The top-level type as written (e.g. `text`).
    pub fn type_(&self) -> &'a str {
        &self.raw[..self.slash]
    }

    /// The subtype as written (e.g. `plain`).
    pub fn subtype(&self) -> &'a str {
        &self.raw[self.slash + 1..self.essence_end]
    }

    /// The parameters in order, as `(name, value)`. The value is a token, or the raw text
    /// between the quotes of a quoted string (escapes not decoded); a bare name yields an
    /// empty value.
    pub fn params(&self) -> Params<'a> {
        Params {
            inner: self.raw_params(),
        }
    }

    /// The value of the first parameter named `name` (case-insensitive), as in
    /// [`ContentType::params`].
    pub fn param(&self, name: &str) -> Option<&'a str> {
        self.params()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// Does the media type equal `essence` (`type/subtype`), ignoring case and parameters
    /// (RFC 4975 §8.6: parameters do not take part in matching, R4975-185)? Parameters and
    /// white space in `essence` itself are ignored too.
    pub fn eq_ignore_params(&self, essence: &str) -> bool {
        let e = essence
            .split(';')
            .next()
            .unwrap_or("")
            .trim_matches([' ', '\t']);
        self.media_type().eq_ignore_ascii_case(e)
    }

    /// Writes the value as parsed.
    pub fn write(&self, buf: &mut impl bytes::BufMut) {
        buf.put_slice(self.raw.as_bytes());
    }
}

/// Iterator over the parameters of a [`ContentType`], yielding `(name, value)`.
#[derive(Debug, Clone)]
pub struct Params<'a> {
    inner: ParamIter<'a>,
}

impl<'a> Iterator for Params<'a> {
    type Item = (&'a str, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        // Validated by `ContentType::parse`, so errors cannot occur; stop if one did.
        match self.inner.next()? {
            Ok(p) => Some((p.name, p.value.unwrap_or(""))),
            Err(_) => None,
        }
    }
}

impl core::iter::FusedIterator for Params<'_> {}
