//! The memtable: recent writes, in memory, ordered by internal key.
//!
//! A [`MemTable`] wraps the lock-free [`skiplist`]: many writers insert concurrently, readers never
//! block. It only grows; when it passes `memtable_bytes_max` the database makes it immutable,
//! starts a fresh one, and (once SSTables exist) flushes the old one to disk.

pub(crate) mod arena;
pub(crate) mod skiplist;

use crate::error::Result;
use crate::iter::InternalIterator;
use crate::key::{self, SequenceNumber, ValueKind, KIND_SEEK};
use skiplist::{Position, SkipList};
use std::sync::Arc;

/// The answer of a memtable to a point lookup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// The newest visible version is this value.
    Value(Vec<u8>),
    /// The newest visible version is a tombstone.
    Deleted,
    /// The newest visible version's value is in a blob file: this encoded
    /// [`crate::blob::BlobPointer`] says where (tables only; the reader resolves it).
    Blob(Vec<u8>),
}

/// An in-memory table of entries.
pub struct MemTable {
    list: SkipList,
    /// Number of the WAL file that was current when this memtable was created: every entry of
    /// this memtable is in that WAL file or a later one.
    wal_number: u64,
}

impl std::fmt::Debug for MemTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemTable")
            .field("entries", &self.list.len())
            .field("bytes", &self.list.allocated_bytes())
            .field("wal_number", &self.wal_number)
            .finish()
    }
}

impl MemTable {
    /// An empty memtable whose entries start in WAL file `wal_number`, sized for a
    /// `memtable_bytes_max` bound (its arena's block size follows from it).
    pub fn new(wal_number: u64, memtable_bytes_max: usize) -> Self {
        // Deterministic: the same history builds the same towers (reproducible tests).
        let seed = crate::util::rand::SplitMix64::new(wal_number).next_u64();
        let block = arena::block_bytes_for(memtable_bytes_max);
        MemTable { list: SkipList::new(seed, block), wal_number }
    }

    /// Adds an entry; `(key, seq)` must be new.
    pub fn add(&self, seq: SequenceNumber, kind: ValueKind, key: &[u8], value: &[u8]) {
        self.list.insert(key, key::trailer(seq, kind as u8), value);
    }

    /// The newest version of `key` with a sequence number `<= seq`.
    pub fn get(&self, user_key: &[u8], seq: SequenceNumber) -> Option<Lookup> {
        let pos = self.list.seek(user_key, key::trailer(seq, KIND_SEEK));
        let node = self.list.node(pos)?;
        if node.key() != user_key {
            return None;
        }
        let t = self.list.trailer_at(pos)?;
        match ValueKind::from_u8(key::trailer_kind(t)) {
            Some(ValueKind::Put) => Some(Lookup::Value(node.value().to_vec())),
            Some(ValueKind::Delete) => Some(Lookup::Deleted),
            Some(ValueKind::Blob) => Some(Lookup::Blob(node.value().to_vec())),
            None => None,
        }
    }

    /// The memory this memtable holds: its arena's blocks, counted exactly (what
    /// `memtable_bytes_max` bounds).
    pub fn approximate_bytes(&self) -> usize {
        self.list.allocated_bytes()
    }

    /// Entries in this memtable.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// True when no entry was added.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The WAL file this memtable's entries start in.
    pub fn wal_number(&self) -> u64 {
        self.wal_number
    }

    /// An iterator that keeps this memtable alive while it exists.
    pub fn iter(self: &Arc<Self>) -> MemTableIter {
        MemTableIter { table: Arc::clone(self), pos: Position::null() }
    }
}

/// An [`InternalIterator`] over one memtable. Entries inserted after it was made may or may not
/// be seen; the database filters by sequence number.
pub struct MemTableIter {
    table: Arc<MemTable>,
    pos: Position,
}

// SAFETY: `Position` is a raw pointer into `table`'s skiplist, which `Arc` keeps alive and which
// is `Sync`; the iterator only reads through it.
unsafe impl Send for MemTableIter {}

impl MemTableIter {
    fn list(&self) -> &SkipList {
        &self.table.list
    }
}

impl InternalIterator for MemTableIter {
    fn valid(&self) -> bool {
        self.pos.is_valid()
    }

    fn seek_to_first(&mut self) {
        self.pos = self.list().first();
    }

    fn seek_to_last(&mut self) {
        self.pos = self.list().last();
    }

    fn seek(&mut self, user_key: &[u8], trailer: u64) {
        self.pos = self.list().seek(user_key, trailer);
    }

    fn seek_lt(&mut self, user_key: &[u8], trailer: u64) {
        self.pos = self.list().seek_lt(user_key, trailer);
    }

    fn next(&mut self) {
        self.pos = self.list().next(self.pos);
    }

    fn prev(&mut self) {
        self.pos = self.list().prev(self.pos);
    }

    fn user_key(&self) -> &[u8] {
        self.list().node(self.pos).map_or(&[], |n| n.key())
    }

    fn trailer(&self) -> u64 {
        self.list().trailer_at(self.pos).unwrap_or(0)
    }

    fn value(&self) -> &[u8] {
        self.list().node(self.pos).map_or(&[], |n| n.value())
    }

    fn status(&self) -> Result<()> {
        Ok(())
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::iter::MergingIterator;
    use crate::key::trailer_seq;

    #[test]
    fn mvcc_visibility() {
        let m = MemTable::new(1, 1 << 20);
        m.add(1, ValueKind::Put, b"k", b"v1");
        m.add(3, ValueKind::Delete, b"k", b"");
        m.add(5, ValueKind::Put, b"k", b"v5");
        assert_eq!(m.get(b"k", 0), None);
        assert_eq!(m.get(b"k", 1), Some(Lookup::Value(b"v1".to_vec())));
        assert_eq!(m.get(b"k", 2), Some(Lookup::Value(b"v1".to_vec())));
        assert_eq!(m.get(b"k", 3), Some(Lookup::Deleted));
        assert_eq!(m.get(b"k", 4), Some(Lookup::Deleted));
        assert_eq!(m.get(b"k", 99), Some(Lookup::Value(b"v5".to_vec())));
        assert_eq!(m.get(b"j", 99), None);
        assert_eq!(m.get(b"kk", 99), None);
    }

    #[test]
    fn merged_iteration_both_ways_with_direction_changes() {
        let a = Arc::new(MemTable::new(1, 1 << 20));
        let b = Arc::new(MemTable::new(2, 1 << 20));
        for i in 0..100u64 {
            let t = if i % 2 == 0 { &a } else { &b };
            t.add(i + 1, ValueKind::Put, format!("k{:03}", i % 40).as_bytes(), &i.to_le_bytes());
        }
        let mut all: Vec<(Vec<u8>, u64)> = Vec::new();
        let mut m = MergingIterator::new(vec![Box::new(a.iter()), Box::new(b.iter())]);
        m.seek_to_first();
        while m.valid() {
            all.push((m.user_key().to_vec(), m.trailer()));
            m.next();
        }
        assert_eq!(all.len(), 100);
        assert!(all.windows(2).all(|w| key::compare(&w[0].0, w[0].1, &w[1].0, w[1].1).is_lt()));
        let mut back = Vec::new();
        m.seek_to_last();
        while m.valid() {
            back.push((m.user_key().to_vec(), m.trailer()));
            m.prev();
        }
        back.reverse();
        assert_eq!(back, all);
        // Zig-zag: next then prev returns to the same entry.
        m.seek(b"k010", u64::MAX);
        let here = (m.user_key().to_vec(), m.trailer());
        m.next();
        m.next();
        m.prev();
        m.prev();
        assert_eq!((m.user_key().to_vec(), m.trailer()), here);
        m.seek_lt(b"k010", u64::MAX);
        assert_eq!(m.user_key(), b"k009");
        assert!(trailer_seq(m.trailer()) > 0);
    }
}
