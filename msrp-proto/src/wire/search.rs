//! The end-line searcher: a `Copy` substring finder that does not borrow its needle.
//!
//! `memchr::memmem::Finder` borrows its needle, and the needle (`CRLF "-------" tid`) lives
//! inside the decoder, so a `Finder` could not be kept across calls without allocating an
//! owned copy. memchr's lower-level packed-pair finders store only the chosen byte pair
//! and take the needle as an argument, so one is built once per message, kept by value,
//! and searches every read without allocation.

/// A reusable finder for one needle (passed again to every [`find`](Self::find)).
#[derive(Clone, Copy, Debug)]
pub(crate) struct EndLineFinder {
    #[cfg(target_arch = "x86_64")]
    avx2: Option<memchr::arch::x86_64::avx2::packedpair::Finder>,
}

impl EndLineFinder {
    /// Builds the finder for `needle` (which must be the same bytes at every `find`).
    pub(crate) fn new(needle: &[u8]) -> Self {
        #[cfg(target_arch = "x86_64")]
        {
            Self {
                avx2: memchr::arch::x86_64::avx2::packedpair::Finder::new(needle),
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            let _ = needle;
            Self {}
        }
    }

    /// A placeholder finder (searches with the portable path).
    pub(crate) fn empty() -> Self {
        #[cfg(target_arch = "x86_64")]
        {
            Self { avx2: None }
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            Self {}
        }
    }

    /// The first position of `needle` in `haystack`.
    #[inline]
    pub(crate) fn find(&self, haystack: &[u8], needle: &[u8]) -> Option<usize> {
        #[cfg(target_arch = "x86_64")]
        if let Some(f) = self.avx2.filter(|f| haystack.len() >= f.min_haystack_len()) {
            return f.find(haystack, needle);
        }
        memchr::memmem::find(haystack, needle)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_like_memmem() {
        let needle = b"\r\n-------abcd1234";
        let mut hay = vec![b'x'; 5000];
        hay[4000..4000 + needle.len()].copy_from_slice(needle);
        hay[100..100 + needle.len() - 1].copy_from_slice(&needle[..needle.len() - 1]);
        let f = EndLineFinder::new(needle);
        for start in [0, 50, 101, 3999, 4000, 4001] {
            assert_eq!(
                f.find(&hay[start..], needle),
                memchr::memmem::find(&hay[start..], needle),
                "start {start}"
            );
        }
        assert_eq!(EndLineFinder::empty().find(&hay, needle), Some(4000));
    }
}
