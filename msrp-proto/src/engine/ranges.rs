//! Bounded sets of byte ranges and the in-memory [`Reassembly`] helper.

/// The set of ranges could not take another disjoint range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RangesFull;

impl core::fmt::Display for RangesFull {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("too many disjoint byte ranges")
    }
}

impl std::error::Error for RangesFull {}

/// A sorted set of disjoint, non-adjacent half-open ranges `[start, end)` of 0-based
/// offsets, holding at most a fixed number of ranges (allocated once, up front).
#[derive(Debug, Clone)]
pub struct RangeSet {
    ranges: Vec<(u64, u64)>,
    max: usize,
}

impl RangeSet {
    /// An empty set that holds at most `max` disjoint ranges (at least 1).
    #[must_use]
    pub fn with_max(max: usize) -> Self {
        let max = max.max(1);
        // Grows with use, up to `max`.
        Self {
            ranges: Vec::new(),
            max,
        }
    }

    /// The most ranges the set may hold (fuzz bodies' memory bound).
    #[cfg(any(fuzzing, test))]
    pub(crate) fn max(&self) -> usize {
        self.max
    }

    /// Ranges the set has room for without reallocating (fuzz bodies' memory check).
    #[cfg(any(fuzzing, test))]
    pub(crate) fn capacity(&self) -> usize {
        self.ranges.capacity()
    }

    /// Removes every range (keeps the allocation).
    pub fn clear(&mut self) {
        self.ranges.clear();
    }

    /// Adds `[start, end)`, merging with overlapping and adjacent ranges. Fails, leaving
    /// the set unchanged, if the result would hold more than `max` ranges.
    pub fn insert(&mut self, start: u64, end: u64) -> Result<(), RangesFull> {
        if start >= end {
            return Ok(());
        }
        // First range whose end reaches `start` (may merge), last whose start <= `end`.
        let lo = self.ranges.partition_point(|&(_, e)| e < start);
        let hi = self.ranges.partition_point(|&(s, _)| s <= end);
        if lo == hi {
            if self.ranges.len() == self.max {
                return Err(RangesFull);
            }
            if self.ranges.capacity() == 0 {
                // Once, at first use: never reallocated after.
                self.ranges.reserve_exact(self.max);
            }
            self.ranges.insert(lo, (start, end));
        } else {
            let s = start.min(self.ranges[lo].0);
            let e = end.max(self.ranges[hi - 1].1);
            self.ranges[lo] = (s, e);
            self.ranges.drain(lo + 1..hi);
        }
        Ok(())
    }

    /// Whether `[0, len)` is fully covered.
    #[must_use]
    pub fn covers(&self, len: u64) -> bool {
        len == 0
            || self
                .ranges
                .first()
                .is_some_and(|&(s, e)| s == 0 && e >= len)
    }

    /// The ranges, sorted.
    #[must_use]
    pub fn as_slice(&self) -> &[(u64, u64)] {
        &self.ranges
    }

    /// Number of bytes covered.
    #[must_use]
    pub fn covered(&self) -> u64 {
        self.ranges.iter().map(|&(s, e)| e - s).sum()
    }
}

/// Where a [`Reassembly`] refused data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReassemblyError {
    /// The data reaches beyond the configured maximum message size.
    TooLarge,
    /// Too many holes.
    TooManyRanges,
}

/// A small, bounded in-memory sink for one incoming message: write body pieces at their
/// offsets in any order (the latest write wins where pieces overlap, R4975-155) and ask
/// whether the message is complete.
///
/// Memory grows with the highest offset actually written, never with a declared total
/// (digest P-35), and never beyond `max_len`. Meant for tests and small messages; files
/// belong in the application's own sink.
#[derive(Debug, Clone)]
pub struct Reassembly {
    data: Vec<u8>,
    ranges: RangeSet,
    max_len: u64,
}

impl Reassembly {
    /// A sink for messages up to `max_len` bytes with at most `max_ranges` holes.
    #[must_use]
    pub fn new(max_len: u64, max_ranges: usize) -> Self {
        Self {
            data: Vec::new(),
            ranges: RangeSet::with_max(max_ranges),
            max_len,
        }
    }

    /// Writes `bytes` at 0-based `offset`.
    pub fn write(&mut self, offset: u64, bytes: &[u8]) -> Result<(), ReassemblyError> {
        let end = offset
            .checked_add(bytes.len() as u64)
            .filter(|&e| e <= self.max_len)
            .ok_or(ReassemblyError::TooLarge)?;
        self.ranges
            .insert(offset, end)
            .map_err(|_| ReassemblyError::TooManyRanges)?;
        let (o, e) = (offset as usize, end as usize);
        if self.data.len() < e {
            self.data.resize(e, 0);
        }
        self.data[o..e].copy_from_slice(bytes);
        Ok(())
    }

    /// Whether bytes `[0, len)` have all been written.
    #[must_use]
    pub fn is_complete(&self, len: u64) -> bool {
        self.ranges.covers(len)
    }

    /// The bytes written so far (holes read as zero).
    #[must_use]
    pub fn bytes(&self) -> &[u8] {
        &self.data
    }

    /// The ranges received so far.
    #[must_use]
    pub fn ranges(&self) -> &RangeSet {
        &self.ranges
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_and_bound() {
        let mut r = RangeSet::with_max(2);
        r.insert(10, 20).unwrap();
        r.insert(0, 5).unwrap();
        assert_eq!(r.insert(30, 40), Err(RangesFull));
        r.insert(5, 10).unwrap();
        assert_eq!(r.as_slice(), &[(0, 20)]);
        r.insert(30, 40).unwrap();
        r.insert(15, 35).unwrap();
        assert_eq!(r.as_slice(), &[(0, 40)]);
        assert!(r.covers(40) && !r.covers(41));
    }

    #[test]
    fn r4975_154_r4975_155_out_of_order_and_latest_wins() {
        let mut a = Reassembly::new(100, 4);
        a.write(4, b"EFGH").unwrap();
        assert!(!a.is_complete(8));
        a.write(0, b"abcd").unwrap();
        assert!(a.is_complete(8));
        assert_eq!(a.bytes(), b"abcdEFGH");
        a.write(2, b"XY").unwrap();
        assert_eq!(a.bytes(), b"abXYEFGH");
        assert_eq!(a.write(99, b"zz"), Err(ReassemblyError::TooLarge));
    }
}
