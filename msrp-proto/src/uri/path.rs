//! Splitting a path header or attribute value (`To-Path`, `From-Path`, `Use-Path`, SDP
//! `a=path`) into URIs.

use core::iter::FusedIterator;

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
