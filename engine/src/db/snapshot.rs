//! Snapshots: read views at a sequence number.

use super::iter::DbIterator;
use super::{Core, Keyspace};
use crate::compaction::Horizon;
use crate::error::Result;
use crate::key::SequenceNumber;
use crate::IterOptions;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// Live snapshots, counted by sequence number (compaction will keep versions they need).
#[derive(Debug, Default)]
pub(crate) struct SnapshotList {
    live: Mutex<BTreeMap<SequenceNumber, usize>>,
}

impl SnapshotList {
    /// Registers a snapshot at the sequence `current` returns, read under the list's lock, and
    /// returns that sequence. Reading and registering under one lock is what makes
    /// [`SnapshotList::horizon`] safe: a compaction either sees this snapshot or chose its
    /// horizon at or below the snapshot's sequence (which then loses no version it needs).
    pub(crate) fn acquire_current(
        &self,
        current: impl FnOnce() -> SequenceNumber,
    ) -> SequenceNumber {
        let mut live = self.live.lock().unwrap_or_else(|e| e.into_inner());
        let seq = current();
        *live.entry(seq).or_insert(0) += 1;
        seq
    }

    pub(crate) fn release(&self, seq: SequenceNumber) {
        let mut live = self.live.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = live.get_mut(&seq) {
            *n -= 1;
            if *n == 0 {
                live.remove(&seq);
            }
        }
    }

    /// What flushes and compactions may collect: the [`Horizon`] of the live snapshots and the
    /// latest sequence (`current()`, read under the lock, so no snapshot can register below it
    /// afterwards), and the newest live snapshot's sequence (0 when none).
    pub(crate) fn horizon(
        &self,
        current: impl FnOnce() -> SequenceNumber,
    ) -> (Horizon, SequenceNumber) {
        let live = self.live.lock().unwrap_or_else(|e| e.into_inner());
        let newest = live.keys().next_back().copied().unwrap_or(0);
        (Horizon::new(live.keys().copied(), current()), newest)
    }

    /// The oldest live snapshot's sequence number.
    pub(crate) fn oldest(&self) -> Option<SequenceNumber> {
        self.live.lock().unwrap_or_else(|e| e.into_inner()).keys().next().copied()
    }
}

/// A consistent read view: reads through it never see writes made after it was taken.
///
/// A snapshot keeps the database's shared state alive, the directory lock included: drop every
/// snapshot (and every `Db` handle) before opening the same directory again.
#[derive(Debug)]
pub struct Snapshot {
    pub(crate) core: Arc<Core>,
    pub(crate) seq: SequenceNumber,
}

impl Snapshot {
    /// The sequence number of the last write the snapshot sees.
    pub fn sequence(&self) -> SequenceNumber {
        self.seq
    }

    /// The value of `key` as of the snapshot.
    pub fn get(&self, ks: &Keyspace, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.core.get_at(ks, key, Some(self.seq))
    }

    /// The values of `keys` as of the snapshot, in order ([`crate::Db::multi_get`]).
    pub fn multi_get(&self, ks: &Keyspace, keys: &[&[u8]]) -> Result<Vec<Option<Vec<u8>>>> {
        self.core.multi_get_at(ks, keys, Some(self.seq))
    }

    /// An iterator over the keyspace as of the snapshot.
    pub fn iter(&self, ks: &Keyspace, opts: IterOptions) -> Result<DbIterator> {
        self.core.iter_at(ks, opts, Some(self.seq))
    }
}

impl Drop for Snapshot {
    fn drop(&mut self) {
        self.core.snapshots.release(self.seq);
    }
}
