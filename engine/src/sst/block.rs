//! Data and index blocks: sorted internal keys with prefix compression and restart points
//! (LevelDB's block format).
//!
//! The uncompressed contents of a block:
//!
//! ```text
//! entry*         entry := shared:varint32 unshared:varint32 value_len:varint32
//!                         key_delta[unshared] value[value_len]
//! restarts       u32le * num_restarts   offsets of the entries stored with shared == 0
//! num_restarts   u32le                  >= 1
//! ```
//!
//! Keys are encoded internal keys (`user key ++ trailer:u64le`, see [`crate::key`]) in strictly
//! increasing [`compare_internal`](crate::key::compare_internal) order. An entry's key is the
//! first `shared` bytes of the previous entry's key followed by `key_delta`. Every
//! `restart_interval`-th entry stores its whole key (`shared == 0`) and its offset goes into the
//! restart array, so a seek binary-searches the restart points and then scans at most
//! `restart_interval` entries. The first restart is always offset 0.
//!
//! An empty block (no entries) is `restarts = [0], num_restarts = 1`: 8 bytes.
//!
//! A block's contents carry no checksum of their own (the block trailer of `sst` covers them).
//! Reading is nevertheless defensive: [`Block::new`] checks the restart array, and a
//! [`BlockIter`] meeting a malformed entry becomes invalid and reports
//! [`Error::Corruption`] from `status()`. Nothing is allocated by a length read from the block
//! beyond the block's own size.

use crate::error::{Error, Result};
use crate::iter::InternalIterator;
use crate::key::{self, TRAILER_LEN};
use crate::util::coding::{self, Decoder};
use std::cmp::Ordering;
use std::sync::Arc;

/// Default number of entries between restart points.
pub const DEFAULT_RESTART_INTERVAL: usize = 16;

/// Bytes of one restart offset, and of the restart count.
const U32_LEN: usize = 4;

/// Builds the contents of one block from internal keys added in increasing order.
///
/// A block must stay below 4 GiB (offsets are `u32`); callers cut blocks at a few KiB and bound
/// key and value sizes far below that.
#[derive(Debug, Clone)]
pub struct BlockBuilder {
    buf: Vec<u8>,
    restarts: Vec<u32>,
    restart_interval: usize,
    /// Entries since the last restart point.
    counter: usize,
    entries: usize,
    last_key: Vec<u8>,
    finished: bool,
}

impl BlockBuilder {
    /// An empty builder storing a whole key every `restart_interval` entries (0 is taken as 1).
    pub fn new(restart_interval: usize) -> Self {
        BlockBuilder {
            buf: Vec::new(),
            restarts: vec![0],
            restart_interval: restart_interval.max(1),
            counter: 0,
            entries: 0,
            last_key: Vec::new(),
            finished: false,
        }
    }

    /// Adds an entry. `ikey` is an encoded internal key greater than every key added before;
    /// the builder must not be finished.
    pub fn add(&mut self, ikey: &[u8], value: &[u8]) {
        debug_assert!(!self.finished, "BlockBuilder::add after finish (reset it first)");
        debug_assert!(
            self.entries == 0 || key::compare_internal(&self.last_key, ikey).is_lt(),
            "BlockBuilder keys out of order"
        );
        let shared = if self.counter < self.restart_interval {
            self.last_key.iter().zip(ikey).take_while(|(a, b)| a == b).count()
        } else {
            self.restarts.push(self.offset_u32());
            self.counter = 0;
            0
        };
        let delta = ikey.get(shared..).unwrap_or_default();
        coding::put_varint32(&mut self.buf, len_u32(shared));
        coding::put_varint32(&mut self.buf, len_u32(delta.len()));
        coding::put_varint32(&mut self.buf, len_u32(value.len()));
        self.buf.extend_from_slice(delta);
        self.buf.extend_from_slice(value);
        self.last_key.truncate(shared);
        self.last_key.extend_from_slice(delta);
        self.counter += 1;
        self.entries += 1;
    }

    fn offset_u32(&self) -> u32 {
        len_u32(self.buf.len())
    }

    /// Bytes `finish()` would return if called now.
    pub fn estimated_len(&self) -> usize {
        if self.finished {
            self.buf.len()
        } else {
            self.buf.len() + self.restarts.len() * U32_LEN + U32_LEN
        }
    }

    /// True when no entry was added since the last reset.
    pub fn is_empty(&self) -> bool {
        self.entries == 0
    }

    /// Entries added since the last reset.
    pub fn entries(&self) -> usize {
        self.entries
    }

    /// The last key added (empty if none).
    pub fn last_key(&self) -> &[u8] {
        &self.last_key
    }

    /// Appends the restart array and returns the block's contents. Calling it again returns the
    /// same bytes; call [`reset`](Self::reset) before adding to the builder again.
    pub fn finish(&mut self) -> &[u8] {
        if !self.finished {
            for &r in &self.restarts {
                self.buf.extend_from_slice(&r.to_le_bytes());
            }
            let n = len_u32(self.restarts.len());
            self.buf.extend_from_slice(&n.to_le_bytes());
            self.finished = true;
        }
        &self.buf
    }

    /// Empties the builder (keeping its allocations).
    pub fn reset(&mut self) {
        self.buf.clear();
        self.restarts.clear();
        self.restarts.push(0);
        self.counter = 0;
        self.entries = 0;
        self.last_key.clear();
        self.finished = false;
    }
}

impl Default for BlockBuilder {
    fn default() -> Self {
        BlockBuilder::new(DEFAULT_RESTART_INTERVAL)
    }
}

/// A length the format stores in 32 bits (blocks, keys and values are far below 4 GiB).
fn len_u32(n: usize) -> u32 {
    debug_assert!(u32::try_from(n).is_ok(), "block component of {n} bytes");
    n as u32
}

/// The parsed contents of one block, shared by its iterators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    data: Vec<u8>,
    /// Offset of the restart array = end of the entries.
    restarts_offset: usize,
    num_restarts: usize,
}

impl Block {
    /// Checks the block's structure: at least 4 bytes, `num_restarts >= 1`, the restart array
    /// inside the block, restart offsets strictly increasing from 0 and each inside the entries
    /// (an empty block has the single restart 0). Entries themselves are checked as iterators
    /// decode them.
    pub fn new(contents: Vec<u8>) -> Result<Block> {
        let len = contents.len();
        let tail = len
            .checked_sub(U32_LEN)
            .and_then(|at| contents.get(at..))
            .ok_or_else(|| Error::corruption(format!("sst block: {len} bytes is too short")))?;
        let num_restarts = u32::from_le_bytes(
            tail.try_into().map_err(|_| Error::corruption("sst block: short restart count"))?,
        );
        if num_restarts == 0 {
            return Err(Error::corruption("sst block: no restart points"));
        }
        let num_restarts = num_restarts as usize;
        let restarts_offset = num_restarts
            .checked_mul(U32_LEN)
            .and_then(|a| a.checked_add(U32_LEN))
            .and_then(|a| len.checked_sub(a))
            .ok_or_else(|| {
                Error::corruption(format!(
                    "sst block: {num_restarts} restart points do not fit in {len} bytes"
                ))
            })?;
        let block = Block { data: contents, restarts_offset, num_restarts };
        let mut prev: Option<usize> = None;
        for i in 0..num_restarts {
            let r = block.restart_point(i);
            let ok = match prev {
                None => r == 0,
                Some(p) => r > p,
            } && (r < restarts_offset || (restarts_offset == 0 && num_restarts == 1));
            if !ok {
                return Err(Error::corruption(format!(
                    "sst block: restart point {i} at {r} (entries end at {restarts_offset})"
                )));
            }
            prev = Some(r);
        }
        Ok(block)
    }

    /// Bytes of the block's contents (what a cache charges for it).
    #[allow(clippy::len_without_is_empty)] // a valid block is never 0 bytes
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// Number of restart points.
    pub fn num_restarts(&self) -> usize {
        self.num_restarts
    }

    /// An iterator over the block's entries, keeping the block alive. It starts unpositioned.
    pub fn iter(self: &Arc<Block>) -> BlockIter {
        BlockIter {
            block: Arc::clone(self),
            current: self.restarts_offset,
            next_offset: self.restarts_offset,
            restart_index: self.num_restarts,
            key: Vec::new(),
            value_start: 0,
            value_end: 0,
            err: None,
        }
    }

    /// Offset of restart point `i` (the end of the entries if out of range, which `new` rules
    /// out for `i < num_restarts`).
    fn restart_point(&self, i: usize) -> usize {
        let at = self.restarts_offset + i * U32_LEN;
        self.data
            .get(at..at + U32_LEN)
            .and_then(|b| <[u8; U32_LEN]>::try_from(b).ok())
            .map_or(self.restarts_offset, |b| u32::from_le_bytes(b) as usize)
    }

    /// The entries area.
    fn entries(&self) -> &[u8] {
        self.data.get(..self.restarts_offset).unwrap_or_default()
    }

    /// Decodes the header of the entry at `offset` and checks that its key delta and value fit
    /// in the entries area.
    fn decode_entry(&self, offset: usize) -> std::result::Result<Entry, String> {
        let entries = self.entries();
        let rest = entries.get(offset..).unwrap_or_default();
        let (shared, unshared, value_len, header) = match rest {
            // Fast path: three one-byte varints.
            [a, b, c, ..] if (a | b | c) < 0x80 => {
                (usize::from(*a), usize::from(*b), usize::from(*c), 3)
            }
            _ => {
                let mut d = Decoder::new(rest, "sst block entry");
                let shared = d.varint32().map_err(|e| format!("entry at {offset}: {e}"))?;
                let unshared = d.varint32().map_err(|e| format!("entry at {offset}: {e}"))?;
                let value_len = d.varint32().map_err(|e| format!("entry at {offset}: {e}"))?;
                let header = rest.len() - d.remaining().len();
                (shared as usize, unshared as usize, value_len as usize, header)
            }
        };
        let delta_start = offset + header;
        let end = delta_start
            .checked_add(unshared)
            .and_then(|e| e.checked_add(value_len))
            .filter(|&e| e <= entries.len())
            .ok_or_else(|| {
                format!(
                    "entry at {offset}: key delta {unshared} and value {value_len} bytes run past \
                     the entries ({} bytes)",
                    entries.len()
                )
            })?;
        Ok(Entry { shared, delta_start, value_start: delta_start + unshared, end })
    }

    /// The whole key of the entry at restart point `i` (which must store `shared == 0`).
    fn restart_key(&self, i: usize) -> std::result::Result<&[u8], String> {
        let offset = self.restart_point(i);
        let e = self.decode_entry(offset)?;
        if e.shared != 0 {
            return Err(format!("restart entry at {offset} shares {} bytes", e.shared));
        }
        let k = self.data.get(e.delta_start..e.value_start).unwrap_or_default();
        if k.len() < TRAILER_LEN {
            return Err(format!("entry at {offset}: key of {} bytes", k.len()));
        }
        Ok(k)
    }
}

/// Where an entry's parts are.
#[derive(Debug, Clone, Copy)]
struct Entry {
    shared: usize,
    delta_start: usize,
    value_start: usize,
    /// Offset just past the entry.
    end: usize,
}

/// Compares an encoded internal key (at least [`TRAILER_LEN`] bytes) with `(user_key, trailer)`.
fn compare_to(ikey: &[u8], user_key: &[u8], trailer: u64) -> Ordering {
    match key::split_internal(ikey) {
        Some((k, t)) => key::compare(k, t, user_key, trailer),
        None => Ordering::Less,
    }
}

/// An [`InternalIterator`] over one [`Block`].
///
/// The first malformed entry met makes the iterator invalid for good: every later positioning
/// leaves it invalid and `status()` keeps reporting the corruption.
#[derive(Debug, Clone)]
pub struct BlockIter {
    block: Arc<Block>,
    /// Offset of the current entry; `restarts_offset` when not positioned.
    current: usize,
    /// Offset just past the current entry.
    next_offset: usize,
    /// Index of the last restart point `<= current`.
    restart_index: usize,
    /// The current entry's whole internal key.
    key: Vec<u8>,
    value_start: usize,
    value_end: usize,
    err: Option<String>,
}

impl BlockIter {
    /// The current entry's whole encoded internal key. Requires `valid()`.
    pub fn internal_key(&self) -> &[u8] {
        &self.key
    }

    /// The block iterated over.
    pub fn block(&self) -> &Arc<Block> {
        &self.block
    }

    fn invalidate(&mut self) {
        self.current = self.block.restarts_offset;
        self.next_offset = self.block.restarts_offset;
        self.restart_index = self.block.num_restarts;
        self.key.clear();
        self.value_start = 0;
        self.value_end = 0;
    }

    fn corrupt(&mut self, msg: String) {
        self.invalidate();
        if self.err.is_none() {
            self.err = Some(msg);
        }
    }

    /// Positions just before restart point `i`: the next `parse_next` decodes its entry.
    fn seek_to_restart(&mut self, i: usize) {
        self.key.clear();
        self.restart_index = i;
        let r = self.block.restart_point(i);
        self.current = r;
        self.next_offset = r;
    }

    /// Decodes the entry at `next_offset`. False at the end of the entries or on corruption.
    fn parse_next(&mut self) -> bool {
        let offset = self.next_offset;
        if offset >= self.block.restarts_offset {
            self.invalidate();
            return false;
        }
        let e = match self.block.decode_entry(offset) {
            Ok(e) => e,
            Err(msg) => {
                self.corrupt(msg);
                return false;
            }
        };
        if e.shared > self.key.len() {
            let msg = format!(
                "entry at {offset} shares {} bytes of a {}-byte previous key",
                e.shared,
                self.key.len()
            );
            self.corrupt(msg);
            return false;
        }
        let delta = self.block.data.get(e.delta_start..e.value_start).unwrap_or_default();
        self.key.truncate(e.shared);
        self.key.extend_from_slice(delta);
        if self.key.len() < TRAILER_LEN {
            let msg = format!("entry at {offset}: key of {} bytes", self.key.len());
            self.corrupt(msg);
            return false;
        }
        self.current = offset;
        self.next_offset = e.end;
        self.value_start = e.value_start;
        self.value_end = e.end;
        while self.restart_index + 1 < self.block.num_restarts
            && self.block.restart_point(self.restart_index + 1) <= offset
        {
            self.restart_index += 1;
        }
        true
    }

    /// Index of the last restart point whose key is `< (user_key, trailer)`, or 0 when there is
    /// none. `Err` on a malformed restart entry.
    fn find_restart(&self, user_key: &[u8], trailer: u64) -> std::result::Result<usize, String> {
        let (mut left, mut right) = (0, self.block.num_restarts - 1);
        while left < right {
            let mid = left + (right - left).div_ceil(2);
            let k = self.block.restart_key(mid)?;
            if compare_to(k, user_key, trailer).is_lt() {
                left = mid;
            } else {
                right = mid - 1;
            }
        }
        Ok(left)
    }
}

impl InternalIterator for BlockIter {
    fn valid(&self) -> bool {
        self.current < self.block.restarts_offset && self.err.is_none()
    }

    fn seek_to_first(&mut self) {
        if self.err.is_some() {
            return;
        }
        self.seek_to_restart(0);
        self.parse_next();
    }

    fn seek_to_last(&mut self) {
        if self.err.is_some() {
            return;
        }
        self.seek_to_restart(self.block.num_restarts - 1);
        while self.parse_next() && self.next_offset < self.block.restarts_offset {}
    }

    fn seek(&mut self, user_key: &[u8], trailer: u64) {
        if self.err.is_some() {
            return;
        }
        match self.find_restart(user_key, trailer) {
            Ok(i) => self.seek_to_restart(i),
            Err(msg) => return self.corrupt(msg),
        }
        while self.parse_next() {
            if !compare_to(&self.key, user_key, trailer).is_lt() {
                return;
            }
        }
    }

    fn seek_lt(&mut self, user_key: &[u8], trailer: u64) {
        if self.err.is_some() {
            return;
        }
        self.seek(user_key, trailer);
        if self.valid() {
            self.prev();
        } else if self.err.is_none() {
            self.seek_to_last();
        }
    }

    fn next(&mut self) {
        if !self.valid() {
            return;
        }
        self.parse_next();
    }

    fn prev(&mut self) {
        if !self.valid() {
            return;
        }
        let original = self.current;
        // The restart point before the current entry, then the entry just before it.
        while self.block.restart_point(self.restart_index) >= original {
            if self.restart_index == 0 {
                self.invalidate();
                return;
            }
            self.restart_index -= 1;
        }
        self.seek_to_restart(self.restart_index);
        while self.parse_next() && self.next_offset < original {}
    }

    fn user_key(&self) -> &[u8] {
        key::split_internal(&self.key).map_or(&[], |(k, _)| k)
    }

    fn trailer(&self) -> u64 {
        key::split_internal(&self.key).map_or(0, |(_, t)| t)
    }

    fn value(&self) -> &[u8] {
        self.block.data.get(self.value_start..self.value_end).unwrap_or_default()
    }

    fn status(&self) -> Result<()> {
        match &self.err {
            None => Ok(()),
            Some(msg) => Err(Error::corruption(format!("sst block: {msg}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::{encode_internal, trailer, SEQUENCE_MAX};
    use crate::util::rand::SplitMix64;

    type Model = Vec<(Vec<u8>, u64, Vec<u8>)>;

    fn ikey(user: &[u8], t: u64) -> Vec<u8> {
        let mut k = Vec::new();
        encode_internal(&mut k, user, t);
        k
    }

    /// Sorted, distinct entries: keys from a small alphabet (long shared prefixes), the empty
    /// user key, one user key with many versions, values of 0..60 bytes.
    fn random_entries(rng: &mut SplitMix64, n: usize) -> Model {
        let mut out: Model = Vec::new();
        let prefixes: [&[u8]; 4] = [b"", b"user/", b"user/profile/", b"\x00\xff"];
        for i in 0..n {
            let user: Vec<u8> = if i % 10 == 0 {
                b"hot".to_vec()
            } else if i % 37 == 0 {
                Vec::new()
            } else {
                let p = prefixes[(rng.next_u64() % 4) as usize];
                let len = (rng.next_u64() % 6) as usize;
                let mut u = p.to_vec();
                u.extend((0..len).map(|_| b"abc\xff"[(rng.next_u64() % 4) as usize]));
                u
            };
            let seq = rng.next_u64() % 1000;
            let kind = if rng.next_u64().is_multiple_of(4) { 2 } else { 1 };
            let vlen = match rng.next_u64() % 5 {
                0 => 0,
                _ => (rng.next_u64() % 60) as usize,
            };
            let value = (0..vlen).map(|_| rng.next_u64() as u8).collect();
            out.push((user, trailer(seq, kind), value));
        }
        out.sort_by(|a, b| key::compare(&a.0, a.1, &b.0, b.1));
        out.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);
        out
    }

    fn build(model: &Model, interval: usize) -> Arc<Block> {
        let mut b = BlockBuilder::new(interval);
        for (u, t, v) in model {
            b.add(&ikey(u, *t), v);
            assert_eq!(b.last_key(), ikey(u, *t));
        }
        assert_eq!(b.entries(), model.len());
        let est = b.estimated_len();
        let contents = b.finish().to_vec();
        assert_eq!(contents.len(), est);
        assert_eq!(b.finish(), &contents[..], "finish is idempotent");
        b.reset();
        assert!(b.is_empty());
        let block = Block::new(contents).unwrap();
        assert_eq!(block.len(), est);
        Arc::new(block)
    }

    fn at(it: &BlockIter) -> Option<(Vec<u8>, u64, Vec<u8>)> {
        it.valid().then(|| (it.user_key().to_vec(), it.trailer(), it.value().to_vec()))
    }

    fn lower_bound(model: &Model, user: &[u8], t: u64) -> usize {
        model.partition_point(|e| key::compare(&e.0, e.1, user, t).is_lt())
    }

    /// Targets: every key, its neighbours by trailer and by user key, and the extremes.
    fn targets(model: &Model) -> Vec<(Vec<u8>, u64)> {
        let mut ts = vec![(Vec::new(), u64::MAX), (Vec::new(), 0), (vec![0xff; 20], 0)];
        for (u, t, _) in model {
            ts.push((u.clone(), *t));
            ts.push((u.clone(), t.wrapping_add(1)));
            ts.push((u.clone(), t.wrapping_sub(1)));
            ts.push((u.clone(), trailer(SEQUENCE_MAX, KIND_SEEK_FOR_TEST)));
            let mut longer = u.clone();
            longer.push(0);
            ts.push((longer, u64::MAX));
            if let Some((_, shorter)) = u.split_last() {
                ts.push((shorter.to_vec(), 0));
            }
        }
        ts
    }

    const KIND_SEEK_FOR_TEST: u8 = crate::key::KIND_SEEK;

    fn check_block(model: &Model, block: &Arc<Block>, rng: &mut SplitMix64) {
        let mut it = block.iter();
        assert!(!it.valid());
        // Forward.
        it.seek_to_first();
        let mut fwd = Vec::new();
        while let Some(e) = at(&it) {
            assert_eq!(it.internal_key(), ikey(&e.0, e.1));
            fwd.push(e);
            it.next();
        }
        it.status().unwrap();
        assert_eq!(&fwd, model);
        // Backward.
        it.seek_to_last();
        let mut back = Vec::new();
        while let Some(e) = at(&it) {
            back.push(e);
            it.prev();
        }
        back.reverse();
        assert_eq!(&back, model);
        // Seeks.
        for (u, t) in targets(model) {
            let lb = lower_bound(model, &u, t);
            it.seek(&u, t);
            assert_eq!(at(&it), model.get(lb).cloned(), "seek {u:?} {t}");
            it.seek_lt(&u, t);
            let want = lb.checked_sub(1).and_then(|i| model.get(i)).cloned();
            assert_eq!(at(&it), want, "seek_lt {u:?} {t}");
        }
        // Zig-zag: a random walk of next and prev.
        if model.is_empty() {
            return;
        }
        let mut pos = (rng.next_u64() % model.len() as u64) as usize;
        let (u, t, _) = &model[pos];
        it.seek(u, *t);
        for _ in 0..(4 * model.len()) {
            assert_eq!(at(&it).as_ref(), Some(&model[pos]));
            let forward = rng.next_u64().is_multiple_of(2);
            if forward && pos + 1 < model.len() {
                it.next();
                pos += 1;
            } else if !forward && pos > 0 {
                it.prev();
                pos -= 1;
            } else if forward {
                it.next();
                assert!(!it.valid());
                it.seek_to_last();
            } else {
                it.prev();
                assert!(!it.valid());
                it.seek_to_first();
            }
        }
        it.status().unwrap();
    }

    #[test]
    fn round_trip_random_blocks() {
        let mut rng = SplitMix64::new(7);
        for n in [1, 2, 3, 15, 16, 17, 100, 700] {
            let model = random_entries(&mut rng, n);
            for interval in [1, 2, 3, 16] {
                let block = build(&model, interval);
                assert_eq!(block.num_restarts(), model.len().div_ceil(interval));
                check_block(&model, &block, &mut rng);
            }
        }
    }

    #[test]
    fn prefix_compression_shrinks_blocks() {
        let mut rng = SplitMix64::new(3);
        let model = random_entries(&mut rng, 400);
        assert!(build(&model, 16).len() < build(&model, 1).len());
    }

    #[test]
    fn empty_block() {
        let mut b = BlockBuilder::default();
        assert_eq!(b.estimated_len(), 8);
        let block = Arc::new(Block::new(b.finish().to_vec()).unwrap());
        assert_eq!(block.len(), 8);
        let mut it = block.iter();
        it.seek_to_first();
        assert!(!it.valid());
        it.seek_to_last();
        assert!(!it.valid());
        it.seek(b"a", 0);
        assert!(!it.valid());
        it.seek_lt(b"a", 0);
        assert!(!it.valid());
        it.status().unwrap();
    }

    #[test]
    fn builder_reuse_after_reset() {
        let mut b = BlockBuilder::new(2);
        b.add(&ikey(b"z", 1), b"old");
        b.finish();
        b.reset();
        let model: Model = vec![(b"a".to_vec(), 5, b"x".to_vec()), (b"a".to_vec(), 4, vec![])];
        for (u, t, v) in &model {
            b.add(&ikey(u, *t), v);
        }
        let block = Arc::new(Block::new(b.finish().to_vec()).unwrap());
        check_block(&model, &block, &mut SplitMix64::new(1));
    }

    fn corruption_of(contents: Vec<u8>) -> String {
        let block = match Block::new(contents) {
            Err(e) => {
                assert!(e.is_corruption());
                return e.to_string();
            }
            Ok(b) => Arc::new(b),
        };
        let mut it = block.iter();
        it.seek_to_first();
        while it.valid() {
            it.next();
        }
        let e = it.status().unwrap_err();
        assert!(e.is_corruption());
        assert!(!it.valid());
        // Sticky.
        it.seek_to_first();
        assert!(!it.valid());
        assert!(it.status().is_err());
        e.to_string()
    }

    fn raw_block(entries: &[u8], restarts: &[u32]) -> Vec<u8> {
        let mut b = entries.to_vec();
        for r in restarts {
            b.extend_from_slice(&r.to_le_bytes());
        }
        b.extend_from_slice(&(restarts.len() as u32).to_le_bytes());
        b
    }

    #[test]
    fn malformed_blocks_are_corruption() {
        let good_entry = {
            let mut e = vec![0, 9, 1];
            e.extend_from_slice(&ikey(b"k", 1));
            e.push(b'v');
            e
        };
        // Too short, no restarts, restart array too long, restart offsets out of range.
        for bad in [
            vec![],
            vec![1, 0, 0],
            raw_block(&good_entry, &[]),
            {
                let mut b = good_entry.clone();
                b.extend_from_slice(&1000u32.to_le_bytes());
                b
            },
            raw_block(&good_entry, &[0, 13]),
            raw_block(&good_entry, &[3]),
            raw_block(&good_entry, &[0, 0]),
            raw_block(&[], &[0, 0]),
            raw_block(&[], &[1]),
        ] {
            let msg = corruption_of(bad.clone());
            assert!(msg.contains("sst block"), "{bad:?}: {msg}");
        }
        // An entry whose varint runs off the entries.
        corruption_of(raw_block(&[0, 0x80, 0x80], &[0]));
        // A key delta or value past the entries.
        corruption_of(raw_block(&[0, 9, 5, b'k', 1, 0, 0, 0, 0, 0, 0, 0, b'v'], &[0]));
        corruption_of(raw_block(&[0, 30, 0, b'k'], &[0]));
        // A key shorter than a trailer.
        corruption_of(raw_block(&[0, 3, 0, b'a', b'b', b'c'], &[0]));
        // Sharing more than the previous key has.
        let mut two = good_entry.clone();
        two.extend_from_slice(&[10, 1, 0, 0]);
        let msg = corruption_of(raw_block(&two, &[0]));
        assert!(msg.contains("shares"), "{msg}");
        // A restart entry that shares bytes (seen by a seek's binary search).
        let mut sharing = good_entry.clone();
        let second = sharing.len() as u32;
        sharing.extend_from_slice(&[1, 8, 0]);
        sharing.extend_from_slice(&2u64.to_le_bytes());
        let block = Arc::new(Block::new(raw_block(&sharing, &[0, second])).unwrap());
        let mut it = block.iter();
        it.seek(b"z", 0);
        assert!(!it.valid());
        assert!(it.status().unwrap_err().is_corruption());
        // A varint32 that overflows 32 bits.
        corruption_of(raw_block(&[0, 0xff, 0xff, 0xff, 0xff, 0x1f, 0], &[0]));
    }

    /// Runs every operation on a (possibly damaged) block: none may panic, loop forever or grow
    /// the key buffer past the block's size.
    fn exercise(contents: Vec<u8>, probes: &[(Vec<u8>, u64)]) -> usize {
        let len = contents.len();
        let Ok(block) = Block::new(contents) else { return 0 };
        let block = Arc::new(block);
        let bound = len / 3 + 1;
        let mut yielded = 0;
        let mut it = block.iter();
        it.seek_to_first();
        let mut steps = 0;
        while it.valid() {
            assert!(it.internal_key().len() >= TRAILER_LEN);
            assert_eq!(it.user_key().len() + TRAILER_LEN, it.internal_key().len());
            let _ = it.value();
            it.next();
            steps += 1;
            assert!(steps <= bound);
        }
        yielded += steps;
        assert!(it.key.capacity() <= 2 * len + 64);
        let mut it = block.iter();
        it.seek_to_last();
        let mut steps = 0;
        while it.valid() {
            it.prev();
            steps += 1;
            assert!(steps <= bound);
        }
        yielded += steps;
        for (u, t) in probes {
            let mut it = block.iter();
            it.seek(u, *t);
            if it.valid() {
                it.next();
                it.prev();
                it.prev();
            }
            let mut it = block.iter();
            it.seek_lt(u, *t);
            if it.valid() {
                it.prev();
                it.next();
                it.next();
            }
            let _ = it.status();
        }
        yielded
    }

    #[test]
    fn random_garbage_never_panics() {
        let mut rng = SplitMix64::new(5);
        let probes = [(Vec::new(), 0), (b"a".to_vec(), u64::MAX), (vec![0xff; 9], 1)];
        for _ in 0..20_000 {
            // Entries of small varints (likely to decode a while), then a plausible restart array.
            let n = (rng.next_u64() % 64) as usize;
            let entries: Vec<u8> = (0..n)
                .map(|_| match rng.next_u64() % 3 {
                    0 => (rng.next_u64() % 12) as u8,
                    _ => rng.next_u64() as u8,
                })
                .collect();
            let mut restarts = vec![0u32];
            for _ in 0..rng.next_u64() % 4 {
                let last = restarts.last().copied().unwrap_or(0);
                restarts.push(last + 1 + (rng.next_u64() % 16) as u32);
            }
            exercise(raw_block(&entries, &restarts), &probes);
        }
    }

    #[test]
    fn truncations_and_byte_flips_never_panic() {
        let mut rng = SplitMix64::new(11);
        let model = random_entries(&mut rng, 120);
        for interval in [1, 4, 16] {
            let block = build(&model, interval);
            let contents = block.data.clone();
            let probes: Vec<(Vec<u8>, u64)> =
                targets(&model).into_iter().step_by(17).take(12).collect();
            assert!(exercise(contents.clone(), &probes) == 2 * model.len());
            for cut in 0..contents.len() {
                exercise(contents[..cut].to_vec(), &probes);
            }
            let mut survived = 0;
            for i in 0..contents.len() {
                for mask in [0x01, 0x80, 0xff] {
                    let mut bad = contents.clone();
                    bad[i] ^= mask;
                    if exercise(bad, &probes) > 0 {
                        survived += 1;
                    }
                }
            }
            // Most flips land in keys and values and leave a readable block.
            assert!(survived > contents.len(), "{survived} of {}", 3 * contents.len());
        }
    }
}
