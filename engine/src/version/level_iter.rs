//! [`LevelIter`]: one iterator over a level whose tables hold disjoint, sorted key ranges (L1
//! and deeper). A seek binary-searches the tables' key ranges and opens only the table that can
//! hold the target; `next`/`prev` move into the neighbouring table at a table's end. A database
//! iterator therefore merges one child per level (plus the L0 tables and memtables), not one per
//! table, and a seek reads one table per level (RocksDB's `LevelIterator` does the same).

use super::TableCache;
use crate::error::{Error, Result};
use crate::iter::InternalIterator;
use crate::key;
use crate::manifest::FileMeta;
use crate::sst::TableIter;
use std::cmp::Ordering;
use std::sync::Arc;

pub struct LevelIter {
    tables: Arc<TableCache>,
    /// The level's tables, sorted by key range, ranges disjoint.
    files: Vec<Arc<FileMeta>>,
    /// Index in `files` of the table `cur` reads.
    at: usize,
    cur: Option<TableIter>,
    /// A table that failed to open.
    error: Option<Error>,
}

/// `ikey` (an encoded internal key) compared with `(user_key, trailer)`.
fn cmp_with(ikey: &[u8], user_key: &[u8], trailer: u64) -> Ordering {
    match key::split_internal(ikey) {
        Some((k, t)) => key::compare(k, t, user_key, trailer),
        // The manifest validated every key; an undecodable one sorts first and is never chosen.
        None => Ordering::Less,
    }
}

impl LevelIter {
    pub fn new(tables: Arc<TableCache>, files: Vec<Arc<FileMeta>>) -> Self {
        LevelIter { tables, files, at: 0, cur: None, error: None }
    }

    /// Makes table `i` current (unpositioned). False when it cannot be opened or does not exist.
    fn open(&mut self, i: usize) -> bool {
        self.at = i;
        self.cur = None;
        let Some(meta) = self.files.get(i) else { return false };
        match self.tables.table(meta) {
            Ok(t) => {
                self.cur = Some(t.iter());
                true
            }
            Err(e) => {
                self.error = Some(e);
                false
            }
        }
    }

    /// True when the current table iterator stopped on an error (which must surface, not be
    /// skipped over).
    fn failed(&self) -> bool {
        self.error.is_some() || self.cur.as_ref().is_some_and(|c| c.status().is_err())
    }

    /// Past the current table's end: on to the first entry of the next non-empty table.
    fn forward_to_data(&mut self) {
        while !self.valid() && !self.failed() && self.at + 1 < self.files.len() {
            if self.open(self.at + 1) {
                if let Some(c) = self.cur.as_mut() {
                    c.seek_to_first();
                }
            }
        }
    }

    /// Before the current table's start: on to the last entry of the previous non-empty table.
    fn backward_to_data(&mut self) {
        while !self.valid() && !self.failed() && self.at > 0 {
            if self.open(self.at - 1) {
                if let Some(c) = self.cur.as_mut() {
                    c.seek_to_last();
                }
            }
        }
    }
}

impl InternalIterator for LevelIter {
    fn valid(&self) -> bool {
        self.cur.as_ref().is_some_and(|c| c.valid())
    }

    fn seek_to_first(&mut self) {
        if self.open(0) {
            if let Some(c) = self.cur.as_mut() {
                c.seek_to_first();
            }
            self.forward_to_data();
        }
    }

    fn seek_to_last(&mut self) {
        if self.open(self.files.len().wrapping_sub(1)) {
            if let Some(c) = self.cur.as_mut() {
                c.seek_to_last();
            }
            self.backward_to_data();
        }
    }

    fn seek(&mut self, user_key: &[u8], trailer: u64) {
        // The first table whose largest key is >= the target holds the first entry >= it.
        let i = self
            .files
            .partition_point(|f| cmp_with(&f.largest, user_key, trailer) == Ordering::Less);
        if self.open(i) {
            if let Some(c) = self.cur.as_mut() {
                c.seek(user_key, trailer);
            }
            self.forward_to_data();
        }
    }

    fn seek_lt(&mut self, user_key: &[u8], trailer: u64) {
        // The last table whose smallest key is < the target holds the last entry < it.
        let i = self
            .files
            .partition_point(|f| cmp_with(&f.smallest, user_key, trailer) == Ordering::Less);
        if i == 0 {
            self.cur = None;
            return;
        }
        if self.open(i - 1) {
            if let Some(c) = self.cur.as_mut() {
                c.seek_lt(user_key, trailer);
            }
            self.backward_to_data();
        }
    }

    fn next(&mut self) {
        if let Some(c) = self.cur.as_mut() {
            c.next();
        }
        self.forward_to_data();
    }

    fn prev(&mut self) {
        if let Some(c) = self.cur.as_mut() {
            c.prev();
        }
        self.backward_to_data();
    }

    fn user_key(&self) -> &[u8] {
        self.cur.as_ref().map_or(&[], |c| c.user_key())
    }

    fn trailer(&self) -> u64 {
        self.cur.as_ref().map_or(0, |c| c.trailer())
    }

    fn value(&self) -> &[u8] {
        self.cur.as_ref().map_or(&[], |c| c.value())
    }

    fn status(&self) -> Result<()> {
        match (&self.error, &self.cur) {
            (Some(e), _) => Err(e.duplicate()),
            (None, Some(c)) => c.status(),
            (None, None) => Ok(()),
        }
    }
}
