//! Splitting a path header or attribute value (`To-Path`, `From-Path`, `Use-Path`, SDP
//! `a=path`) into URIs.

use core::iter::FusedIterator;

use super::parse::{Mode, parse_common};
use super::{UriError, UriRef};

/// Iterator over the URIs of a path value, one `Result` per white-space separated token.
///
/// Runs of SP (and HTAB) separate URIs, and leading/trailing white space is skipped: the
/// RFCs' own examples put two spaces after the colon or between URIs (digest E-14, E-17).
/// A malformed token yields `Err` and iteration continues with the next one. No allocation.
#[derive(Debug, Clone)]
pub struct PathIter<'a> {
    rest: &'a [u8],
    lenient: bool,
}

/// Iterates the URIs of a path value, parsing each with [`UriRef::parse_bytes`].
#[must_use]
pub fn path_iter(value: &[u8]) -> PathIter<'_> {
    PathIter {
        rest: value,
        lenient: false,
    }
}

/// Like [`path_iter`], parsing each URI with [`UriRef::parse_bytes_lenient`] (for SDP from
/// peers that print unbracketed IPv6, digest E-24).
#[must_use]
pub fn path_iter_lenient(value: &[u8]) -> PathIter<'_> {
    PathIter {
        rest: value,
        lenient: true,
    }
}

const fn is_ws(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

impl<'a> Iterator for PathIter<'a> {
    type Item = Result<UriRef<'a>, UriError>;

    fn next(&mut self) -> Option<Self::Item> {
        let start = self.rest.iter().position(|&b| !is_ws(b))?;
        let rest = &self.rest[start..];
        let mode = if self.lenient {
            Mode::Lenient
        } else {
            Mode::Strict
        };
        // One pass for the common shape; it stops at the separating white space itself.
        if let Some((p, len)) = parse_common(rest, mode)
            && let Ok(s) = core::str::from_utf8(&rest[..len])
        {
            self.rest = &rest[len..];
            return Some(Ok(UriRef { s, p }));
        }
        let end = rest.iter().position(|&b| is_ws(b)).unwrap_or(rest.len());
        let (token, tail) = rest.split_at(end);
        self.rest = tail;
        Some(if self.lenient {
            UriRef::parse_bytes_lenient(token)
        } else {
            UriRef::parse_bytes(token)
        })
    }
}

impl FusedIterator for PathIter<'_> {}

/// Validates a path value and counts its URIs, stopping with an error after `max` URIs
/// (`Err(None)`) or at the first malformed one (`Err(Some(e))`). Same acceptance as
/// [`path_iter`], without building [`UriRef`]s: the decoder's hot path.
pub(crate) fn validate_path(value: &[u8], max: usize) -> Result<usize, Option<UriError>> {
    let mut rest = value;
    let mut n = 0;
    loop {
        let Some(start) = rest.iter().position(|&b| !is_ws(b)) else {
            return Ok(n);
        };
        rest = &rest[start..];
        n += 1;
        if n > max {
            return Err(None);
        }
        if let Some((_, len)) = parse_common(rest, Mode::Strict) {
            rest = &rest[len..];
            continue;
        }
        let end = rest.iter().position(|&b| is_ws(b)).unwrap_or(rest.len());
        UriRef::parse_bytes(&rest[..end]).map_err(Some)?;
        rest = &rest[end..];
    }
}
