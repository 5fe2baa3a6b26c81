//! Cursors over a memtable: [`MemTableIter`] merges the cursors of its segments
//! ([`SegmentIter`], one skiplist each) in internal-key order.

use super::skiplist::{Position, SkipList};
use super::MemTable;
use crate::error::Result;
use crate::iter::{InternalIterator, MergingIterator};
use std::sync::Arc;

impl MemTable {
    /// An iterator that keeps this memtable alive while it exists, over the segments published
    /// when it is made. A segment started later holds only sequence numbers above every one
    /// assigned before it started, so a reader that read its sequence number before making the
    /// iterator could not see any of its entries.
    pub fn iter(self: &Arc<Self>) -> MemTableIter {
        let n = self.segment_count();
        if n <= 1 {
            // One segment, or none: then an iterator over nothing, even once a segment is
            // published (it only touches segments published before it was made).
            return MemTableIter::One(SegmentIter::new(self, if n == 0 { None } else { Some(0) }));
        }
        let children = (0..n)
            .map(|i| Box::new(SegmentIter::new(self, Some(i))) as Box<dyn InternalIterator>)
            .collect();
        MemTableIter::Many(MergingIterator::new(children))
    }
}

/// An [`InternalIterator`] over one memtable. Entries inserted after it was made may or may not
/// be seen; the database filters by sequence number.
pub enum MemTableIter {
    /// A memtable of one segment (or none).
    One(SegmentIter),
    /// The segments, merged.
    Many(MergingIterator),
}

impl MemTableIter {
    fn inner(&self) -> &dyn InternalIterator {
        match self {
            MemTableIter::One(s) => s,
            MemTableIter::Many(m) => m,
        }
    }

    fn inner_mut(&mut self) -> &mut dyn InternalIterator {
        match self {
            MemTableIter::One(s) => s,
            MemTableIter::Many(m) => m,
        }
    }
}

impl InternalIterator for MemTableIter {
    fn valid(&self) -> bool {
        self.inner().valid()
    }
    fn seek_to_first(&mut self) {
        self.inner_mut().seek_to_first()
    }
    fn seek_to_last(&mut self) {
        self.inner_mut().seek_to_last()
    }
    fn seek(&mut self, user_key: &[u8], trailer: u64) {
        self.inner_mut().seek(user_key, trailer)
    }
    fn seek_lt(&mut self, user_key: &[u8], trailer: u64) {
        self.inner_mut().seek_lt(user_key, trailer)
    }
    fn next(&mut self) {
        self.inner_mut().next()
    }
    fn prev(&mut self) {
        self.inner_mut().prev()
    }
    fn user_key(&self) -> &[u8] {
        self.inner().user_key()
    }
    fn trailer(&self) -> u64 {
        self.inner().trailer()
    }
    fn value(&self) -> &[u8] {
        self.inner().value()
    }
    fn status(&self) -> Result<()> {
        self.inner().status()
    }
}

/// An [`InternalIterator`] over one segment of a memtable (or over nothing).
pub struct SegmentIter {
    table: Arc<MemTable>,
    /// A segment published when the iterator was made.
    segment: Option<usize>,
    pos: Position,
}

// SAFETY: `Position` is a raw pointer into a segment's skiplist, which the `Arc` keeps alive and
// which is `Sync`; the iterator only reads through it.
unsafe impl Send for SegmentIter {}

impl SegmentIter {
    fn new(table: &Arc<MemTable>, segment: Option<usize>) -> Self {
        debug_assert!(segment.is_none_or(|i| i < table.segment_count()));
        SegmentIter { table: Arc::clone(table), segment, pos: Position::null() }
    }

    /// The segment's list (none when the memtable had no segment when the iterator was made).
    fn list(&self) -> Option<&SkipList> {
        let slot = self.table.segments.get(self.segment?)?;
        slot.get().map(|s| &s.list)
    }

    fn step(&mut self, f: impl FnOnce(&SkipList) -> Position) {
        self.pos = self.list().map_or(Position::null(), f);
    }
}

impl InternalIterator for SegmentIter {
    fn valid(&self) -> bool {
        self.pos.is_valid()
    }

    fn seek_to_first(&mut self) {
        self.step(SkipList::first);
    }

    fn seek_to_last(&mut self) {
        self.step(SkipList::last);
    }

    fn seek(&mut self, user_key: &[u8], trailer: u64) {
        self.step(|l| l.seek(user_key, trailer));
    }

    fn seek_lt(&mut self, user_key: &[u8], trailer: u64) {
        self.step(|l| l.seek_lt(user_key, trailer));
    }

    fn next(&mut self) {
        let pos = self.pos;
        self.step(|l| l.next(pos));
    }

    fn prev(&mut self) {
        let pos = self.pos;
        self.step(|l| l.prev(pos));
    }

    fn user_key(&self) -> &[u8] {
        self.list().and_then(|l| l.node(self.pos)).map_or(&[], |n| n.key())
    }

    fn trailer(&self) -> u64 {
        self.list().and_then(|l| l.trailer_at(self.pos)).unwrap_or(0)
    }

    fn value(&self) -> &[u8] {
        self.list().and_then(|l| l.node(self.pos)).map_or(&[], |n| n.value())
    }

    fn status(&self) -> Result<()> {
        Ok(())
    }
}
