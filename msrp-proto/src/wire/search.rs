//! The end-line searcher: a `Copy` substring finder that does not borrow its needle.
//!
//! `memchr::memmem::Finder` borrows its needle, and the needle (`CRLF "-------" tid`) lives
//! inside the decoder, so a `Finder` could not be kept across calls without allocating an
//! owned copy. memchr's lower-level packed-pair finders store only the chosen byte pair
//! and take the needle as an argument, so one is built once per message, kept by value,
//! and searches every read without allocation.

/// Below this many bytes a haystack is searched by a plain CR scan: building the SIMD
/// finder would cost more than it saves (a small message's whole body is shorter).
const SIMD_THRESHOLD: usize = 256;

/// A reusable finder for one needle (passed again to every [`find`](Self::find)), built
/// lazily the first time a haystack is long enough to profit from it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct EndLineFinder {
    built: bool,
    #[cfg(target_arch = "x86_64")]
    avx2: Option<memchr::arch::x86_64::avx2::packedpair::Finder>,
}

impl EndLineFinder {
    /// A finder for a new needle (nothing is built until a long haystack arrives).
    pub(crate) fn new() -> Self {
        Self {
            built: false,
            #[cfg(target_arch = "x86_64")]
            avx2: None,
        }
    }

    /// The first position of `needle` (which starts with CR, found nowhere else in it) in
    /// `haystack`.
    #[inline]
    pub(crate) fn find(&mut self, haystack: &[u8], needle: &[u8]) -> Option<usize> {
        if haystack.len() < SIMD_THRESHOLD {
            return find_by_cr(haystack, needle);
        }
        if !self.built {
            self.built = true;
            #[cfg(target_arch = "x86_64")]
            {
                self.avx2 = memchr::arch::x86_64::avx2::packedpair::Finder::new(needle);
            }
        }
        #[cfg(target_arch = "x86_64")]
        if let Some(f) = self
            .avx2
            .as_ref()
            .filter(|f| haystack.len() >= f.min_haystack_len())
        {
            return f.find(haystack, needle);
        }
        memchr::memmem::find(haystack, needle)
    }
}

/// Candidate positions are the CRs; each is compared with the needle.
fn find_by_cr(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    let mut from = 0;
    while let Some(p) = memchr::memchr(b'\r', &haystack[from..]) {
        let at = from + p;
        if haystack[at..].starts_with(needle) {
            return Some(at);
        }
        from = at + 1;
    }
    None
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
        let mut f = EndLineFinder::new();
        for start in [0, 50, 101, 3999, 4000, 4001, 4900] {
            for end in [hay.len(), start + 100, start + 300] {
                let h = &hay[start..end.min(hay.len())];
                assert_eq!(
                    f.find(h, needle),
                    memchr::memmem::find(h, needle),
                    "{start}..{end}"
                );
            }
        }
    }
}
