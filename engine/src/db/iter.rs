//! The user-facing iterator: resolves versions at a sequence number, hides tombstones, applies
//! bounds, in either direction.

use super::keyspace::{KeyspaceState, SuperVersion};
use crate::error::{Error, Result};
use crate::iter::{InternalIterator, MergingIterator};
use crate::key::{self, SequenceNumber, ValueKind, KIND_SEEK, SEQUENCE_MAX};
use crate::version::BlobCache;
use crate::IterOptions;
use std::ops::Bound;
use std::sync::Arc;

/// Versions of one key stepped over one at a time before a seek jumps over the rest
/// (RocksDB's `max_sequential_skip_in_iterations`).
pub(crate) const SEQUENTIAL_SKIP_MAX: usize = 8;

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
    /// The current entry (reused between entries).
    key: Vec<u8>,
    value: Vec<u8>,
    /// `value` holds a blob pointer, not the value: resolved once the entry is chosen.
    value_is_pointer: bool,
    /// Where separated values are read.
    blobs: Arc<BlobCache>,
    /// The keyspace read, whose drop names a failed read ([`KeyspaceState::settle_read_error`]).
    keyspace: Option<Arc<KeyspaceState>>,
    /// The memtables and tables read, held for the iterator's life: the blob files its tables
    /// point into are not removed while a super version names those tables.
    _sv: Arc<SuperVersion>,
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
    pub(crate) fn new(
        inner: MergingIterator,
        seq: SequenceNumber,
        opts: IterOptions,
        blobs: Arc<BlobCache>,
        sv: Arc<SuperVersion>,
    ) -> Self {
        DbIterator {
            inner,
            seq,
            lower: opts.lower,
            upper: opts.upper,
            reverse: opts.reverse,
            started: false,
            done: false,
            hide: None,
            key: Vec::new(),
            value: Vec::new(),
            value_is_pointer: false,
            blobs,
            keyspace: None,
            _sv: sv,
        }
    }

    /// The iterator reads `keyspace`: its errors are settled by whether it was dropped.
    pub(crate) fn of_keyspace(mut self, keyspace: Arc<KeyspaceState>) -> Self {
        self.keyspace = Some(keyspace);
        self
    }

    fn settle(&self, e: Error) -> Error {
        match &self.keyspace {
            Some(ks) => ks.settle_read_error(e),
            None => e,
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

    /// Whether the current entry holds a value (a put, or a blob pointer); if so, copies it
    /// into `value` (a pointer is resolved only once the entry is the one returned).
    fn capture(&mut self) -> bool {
        let kind = ValueKind::from_u8(key::trailer_kind(self.inner.trailer()));
        let has_value = matches!(kind, Some(ValueKind::Put | ValueKind::Blob));
        if has_value {
            self.value.clear();
            self.value.extend_from_slice(self.inner.value());
            self.value_is_pointer = kind == Some(ValueKind::Blob);
        }
        has_value
    }

    /// The trailer a seek uses to land on the newest version visible at the read's sequence.
    fn seek_trailer(&self) -> u64 {
        key::trailer(self.seq.min(SEQUENCE_MAX), KIND_SEEK)
    }

    /// Moves to the next visible key; its key and value are copied into `key`/`value` (reused
    /// buffers, so no allocation per entry). False at the end.
    ///
    /// Versions of one key that cannot be returned (older than the one returned, or newer than
    /// the read's sequence) are stepped over one by one only [`SEQUENTIAL_SKIP_MAX`] times; past
    /// that, one seek jumps over the rest (a hot key can have thousands of versions).
    fn next_forward(&mut self) -> bool {
        // Consecutive invisible entries of the key in `self.key`.
        let mut invisible = 0usize;
        while self.inner.valid() {
            if !self.below_upper(self.inner.user_key()) {
                return false;
            }
            if !self.visible() {
                if invisible > 0 && self.inner.user_key() == self.key.as_slice() {
                    invisible += 1;
                } else {
                    self.key.clear();
                    self.key.extend_from_slice(self.inner.user_key());
                    invisible = 1;
                }
                if invisible > SEQUENTIAL_SKIP_MAX {
                    // Straight to the newest version this read can see.
                    let target = self.seek_trailer();
                    self.inner.seek(&self.key, target);
                    invisible = 0;
                } else {
                    self.inner.next();
                }
                continue;
            }
            invisible = 0;
            // The newest visible version of this key decides.
            self.key.clear();
            self.key.extend_from_slice(self.inner.user_key());
            let put = self.capture();
            // Skip the older versions of the key.
            self.inner.next();
            let mut older = 0usize;
            while self.inner.valid() && self.inner.user_key() == self.key.as_slice() {
                older += 1;
                if older > SEQUENTIAL_SKIP_MAX {
                    // (key, 0) sorts after every version of the key (kind 0 is never written).
                    self.inner.seek(&self.key, 0);
                    break;
                }
                self.inner.next();
            }
            if put {
                return true;
            }
        }
        false
    }

    fn next_reverse(&mut self) -> bool {
        while self.inner.valid() {
            if !self.above_lower(self.inner.user_key()) {
                return false;
            }
            // Backwards, a key's versions come oldest first: the last visible one wins.
            self.key.clear();
            self.key.extend_from_slice(self.inner.user_key());
            let mut newest_is_put: Option<bool> = None;
            let mut steps = 0usize;
            while self.inner.valid() && self.inner.user_key() == self.key.as_slice() {
                steps += 1;
                if steps > SEQUENTIAL_SKIP_MAX {
                    // Many versions: seek to the newest visible one, then to before the key.
                    let target = self.seek_trailer();
                    self.inner.seek(&self.key, target);
                    newest_is_put = None;
                    if self.inner.valid() && self.inner.user_key() == self.key.as_slice() {
                        newest_is_put = Some(self.capture());
                    }
                    // The last entry below (key, MAX) is the previous key's last entry.
                    self.inner.seek_lt(&self.key, u64::MAX);
                    break;
                }
                if self.visible() {
                    newest_is_put = Some(self.capture());
                }
                self.inner.prev();
            }
            if newest_is_put == Some(true) {
                return true;
            }
        }
        false
    }

    /// Moves to the next entry (the first one on the first call) and says whether there is one;
    /// read it with [`key`](Self::key) and [`value`](Self::value). Unlike `Iterator::next`, it
    /// allocates nothing per entry: the entry is copied into buffers the iterator reuses.
    pub fn advance(&mut self) -> Result<bool> {
        if self.done {
            return Ok(false);
        }
        if !self.started {
            self.start();
        }
        let found = loop {
            let found = if self.reverse { self.next_reverse() } else { self.next_forward() };
            if found && self.value_is_pointer {
                self.value_is_pointer = false;
                match self.blobs.read(&self.key, &self.value) {
                    Ok(v) => self.value = v,
                    Err(e) => {
                        self.done = true;
                        return Err(self.settle(e));
                    }
                }
            }
            if !(found && self.hidden(&self.key, &self.value)) {
                break found;
            }
        };
        if let Err(e) = self.inner.status() {
            self.done = true;
            return Err(self.settle(e));
        }
        if !found {
            self.done = true;
        }
        Ok(found)
    }

    /// The key of the entry [`advance`](Self::advance) moved to.
    pub fn key(&self) -> &[u8] {
        &self.key
    }

    /// The value of the entry [`advance`](Self::advance) moved to.
    pub fn value(&self) -> &[u8] {
        &self.value
    }
}

impl Iterator for DbIterator {
    type Item = Result<(Vec<u8>, Vec<u8>)>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.advance() {
            Ok(true) => Some(Ok((self.key.clone(), self.value.clone()))),
            Ok(false) => None,
            Err(e) => Some(Err(e)),
        }
    }
}
