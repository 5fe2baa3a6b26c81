//! The user-facing iterator: resolves versions at a sequence number, hides tombstones, applies
//! bounds, in either direction.

use crate::error::Result;
use crate::iter::{InternalIterator, MergingIterator};
use crate::key::{self, SequenceNumber, ValueKind, SEQUENCE_MAX};
use crate::IterOptions;
use std::ops::Bound;

/// Iterates `(key, value)` pairs of one keyspace at one sequence number. Holds the memtables it
/// reads alive; later writes are never seen.
pub struct DbIterator {
    inner: MergingIterator,
    seq: SequenceNumber,
    lower: Bound<Vec<u8>>,
    upper: Bound<Vec<u8>>,
    reverse: bool,
    started: bool,
    done: bool,
    /// When set, entries the filter `hides` are skipped (expired TTL entries).
    hide: Option<(std::sync::Arc<dyn crate::compaction::CompactionFilter>, String)>,
}

impl std::fmt::Debug for DbIterator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DbIterator")
            .field("seq", &self.seq)
            .field("reverse", &self.reverse)
            .field("done", &self.done)
            .finish()
    }
}

impl DbIterator {
    pub(crate) fn new(inner: MergingIterator, seq: SequenceNumber, opts: IterOptions) -> Self {
        DbIterator {
            inner,
            seq,
            lower: opts.lower,
            upper: opts.upper,
            reverse: opts.reverse,
            started: false,
            done: false,
            hide: None,
        }
    }

    /// Skips the entries `filter` hides (see `CompactionFilter::hides`).
    pub(crate) fn hiding(
        mut self,
        filter: std::sync::Arc<dyn crate::compaction::CompactionFilter>,
        keyspace: String,
    ) -> Self {
        self.hide = Some((filter, keyspace));
        self
    }

    fn hidden(&self, k: &[u8], v: &[u8]) -> bool {
        self.hide.as_ref().is_some_and(|(f, ks)| f.hides(ks, k, v))
    }

    fn above_lower(&self, k: &[u8]) -> bool {
        match &self.lower {
            Bound::Unbounded => true,
            Bound::Included(l) => k >= l.as_slice(),
            Bound::Excluded(l) => k > l.as_slice(),
        }
    }

    fn below_upper(&self, k: &[u8]) -> bool {
        match &self.upper {
            Bound::Unbounded => true,
            Bound::Included(u) => k <= u.as_slice(),
            Bound::Excluded(u) => k < u.as_slice(),
        }
    }

    fn start(&mut self) {
        self.started = true;
        if self.reverse {
            match &self.upper {
                Bound::Unbounded => self.inner.seek_to_last(),
                // Last entry < (u, MAX) is the last entry of any key < u.
                Bound::Excluded(u) => {
                    let u = u.clone();
                    self.inner.seek_lt(&u, u64::MAX);
                }
                // Last entry < the first entry of u's successor key (u + 0x00).
                Bound::Included(u) => {
                    let mut s = u.clone();
                    s.push(0);
                    self.inner.seek_lt(&s, u64::MAX);
                }
            }
        } else {
            match &self.lower {
                Bound::Unbounded => self.inner.seek_to_first(),
                Bound::Included(l) => {
                    let l = l.clone();
                    self.inner.seek(&l, u64::MAX);
                }
                Bound::Excluded(l) => {
                    let mut s = l.clone();
                    s.push(0);
                    self.inner.seek(&s, u64::MAX);
                }
            }
        }
    }

    fn visible(&self) -> bool {
        key::trailer_seq(self.inner.trailer()) <= self.seq.min(SEQUENCE_MAX)
    }

    fn next_forward(&mut self) -> Option<(Vec<u8>, Vec<u8>)> {
        while self.inner.valid() {
            if !self.below_upper(self.inner.user_key()) {
                return None;
            }
            if !self.visible() {
                self.inner.next();
                continue;
            }
            // The newest visible version of this key decides.
            let k = self.inner.user_key().to_vec();
            let kind = ValueKind::from_u8(key::trailer_kind(self.inner.trailer()));
            let v = (kind == Some(ValueKind::Put)).then(|| self.inner.value().to_vec());
            // Skip the older versions of the key.
            self.inner.next();
            while self.inner.valid() && self.inner.user_key() == k.as_slice() {
                self.inner.next();
            }
            if let Some(v) = v {
                return Some((k, v));
            }
        }
        None
    }

    fn next_reverse(&mut self) -> Option<(Vec<u8>, Vec<u8>)> {
        while self.inner.valid() {
            if !self.above_lower(self.inner.user_key()) {
                return None;
            }
            // Backwards, a key's versions come oldest first: the last visible one wins.
            let k = self.inner.user_key().to_vec();
            let mut newest: Option<Option<Vec<u8>>> = None;
            while self.inner.valid() && self.inner.user_key() == k.as_slice() {
                if self.visible() {
                    let kind = ValueKind::from_u8(key::trailer_kind(self.inner.trailer()));
                    newest =
                        Some((kind == Some(ValueKind::Put)).then(|| self.inner.value().to_vec()));
                }
                self.inner.prev();
            }
            if let Some(Some(v)) = newest {
                return Some((k, v));
            }
        }
        None
    }
}

impl Iterator for DbIterator {
    type Item = Result<(Vec<u8>, Vec<u8>)>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        if !self.started {
            self.start();
        }
        let item = loop {
            let item = if self.reverse { self.next_reverse() } else { self.next_forward() };
            match &item {
                Some((k, v)) if self.hidden(k, v) => continue,
                _ => break item,
            }
        };
        if let Err(e) = self.inner.status() {
            self.done = true;
            return Some(Err(e));
        }
        match item {
            Some(kv) => Some(Ok(kv)),
            None => {
                self.done = true;
                None
            }
        }
    }
}
