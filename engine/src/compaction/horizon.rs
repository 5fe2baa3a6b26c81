//! [`Horizon`]: which old versions some reader may still need, for flush and compaction.
//!
//! Readers read at a sequence number: a live snapshot's, or (without one) the latest at the time
//! they start, which is never below the latest sequence when the horizon is taken. A version of
//! a key that a newer version of the same key shadows is needed only by a reader whose sequence
//! lies between the two: `older <= s < newer`. With no such reader it is garbage. This is
//! RocksDB's "snapshot stripes" rule; LevelDB's rule (keep everything newer than the oldest
//! snapshot) is the special case of one stripe.

use crate::key::SequenceNumber;

/// The sequence numbers readers may read at, ascending: the live snapshots, then the latest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Horizon {
    reads: Vec<SequenceNumber>,
}

impl Horizon {
    /// The horizon for live `snapshots` (any order) when the latest sequence is `latest`.
    pub fn new(
        snapshots: impl IntoIterator<Item = SequenceNumber>,
        latest: SequenceNumber,
    ) -> Self {
        let mut reads: Vec<SequenceNumber> = snapshots.into_iter().chain([latest]).collect();
        reads.sort_unstable();
        reads.dedup();
        Horizon { reads }
    }

    /// No reader at all (recovery, before the database opens): every shadowed version and every
    /// bottom-most tombstone is garbage.
    pub fn no_readers() -> Self {
        Horizon { reads: vec![SequenceNumber::MAX] }
    }

    /// The oldest sequence any reader reads at: a tombstone at or below it hides its key from
    /// every reader.
    pub fn smallest(&self) -> SequenceNumber {
        self.reads.first().copied().unwrap_or(SequenceNumber::MAX)
    }

    /// True when no reader can see the version at `older`, given that the same key has a version
    /// at `newer > older`: no reader's sequence lies in `[older, newer)`.
    pub fn shadowed(&self, older: SequenceNumber, newer: SequenceNumber) -> bool {
        let i = self.reads.partition_point(|&s| s < older);
        self.reads.get(i).is_none_or(|&s| s >= newer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stripes_keep_only_what_a_reader_sees() {
        // Snapshots at 10 and 20, latest 30.
        let h = Horizon::new([20, 10], 30);
        assert_eq!(h.smallest(), 10);
        assert!(h.shadowed(3, 5), "both below every reader: the newer one is seen instead");
        assert!(!h.shadowed(5, 12), "the snapshot at 10 sees 5, not 12");
        assert!(h.shadowed(12, 15), "no reader between 12 and 15");
        assert!(!h.shadowed(15, 25), "the snapshot at 20");
        assert!(h.shadowed(21, 29));
        assert!(!h.shadowed(29, 31), "the latest readers see 29");
        assert!(!h.shadowed(10, 11), "a snapshot exactly at the older version sees it");
        assert!(h.shadowed(9, 10), "a snapshot exactly at the newer version sees the newer one");
        let none = Horizon::no_readers();
        assert!(none.shadowed(1, 2) && none.smallest() == SequenceNumber::MAX);
    }
}
