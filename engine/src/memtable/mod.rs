//! The memtable: recent writes, in memory, ordered by internal key.
//!
//! A [`MemTable`] is a short list of **segments**, each a lock-free [`skiplist`] with a [`bloom`]
//! filter of its keys; their nodes share the memtable's [`arena`]. Many writers insert
//! concurrently, readers never block. It only grows; when it passes `memtable_bytes_max` the
//! database makes it immutable, starts a fresh one, and flushes the old one to disk.
//!
//! Why segments: an insert walks its skiplist from the top, and in a list of hundreds of
//! thousands of nodes almost every step of the walk misses the CPU cache (and the TLB): in one
//! 64 MiB list, `fillrandom` spent 62 % of the writer thread's time in `SkipList::insert`. A
//! segment of a few MiB keeps the walk's upper levels in cache. The price is paid by cursors: a
//! seek seeks every segment. Measured on the 2-core machine of `docs/benchmarks.md` with
//! `shale-bench --benchmarks=fillrandom,seekrandom,ycsbe,readrandom --num=5000000
//! --reads=300000 --cache_size=67108864` (64 MiB memtables; two alternating runs, ops/s):
//!
//! | segments       | fillrandom | seekrandom | ycsbe   | readrandom |
//! |----------------|-----------:|-----------:|--------:|-----------:|
//! | one 64 MiB list| 378k–389k  | 144k–152k  | 91k–92k | 211k–212k  |
//! | 4 MiB (16)     | 761k–770k  | 79k–81k    | 53k–58k | 286k–307k  |
//! | 8 MiB (8)      | 687k–729k  | 98k–99k    | 68k–69k | 305k–318k  |
//! | 16 MiB (4)     | 578k–623k  | 99k–113k   | 68k–74k | 267k–291k  |
//!
//! Point reads gain with any segment size (a probe of a few small filters costs less than a walk
//! of the big list). [`SEGMENT_BYTES_MAX`] is 8 MiB: it keeps most of the write gain and gives
//! up a third of the seek rate, where 4 MiB segments give up half of it for 8 % more writes.
//!
//! * Segments split the memtable by **sequence number**: the group-commit leader starts a new
//!   segment ([`MemTable::start_segment_if_full`], under the commit lock) before assigning a
//!   group's sequence numbers; recovery does so before each replayed entry. So each segment
//!   holds one contiguous range of sequence numbers, newer segments newer ones; an insert goes
//!   to the newest segment that starts at or below its sequence number (inserts of an earlier
//!   group may still be landing in the previous one).
//! * A point lookup asks the segments newest first, skipping those that start above its
//!   sequence and those whose filter rules the key out; the first visible version it finds is
//!   the newest (newer segments only hold newer versions).
//! * Iteration merges the segments ([`iter::MemTableIter`]); the flush reads them merged too.
//! * A segment is full once the arena grew by the segment size since it started (segments take
//!   their writes one after the other, so that growth is, but for the stragglers of a group
//!   still landing in the previous segment, the segment's own nodes).
//! * [`MemTable::approximate_bytes`] is the arena's bytes, exactly, plus the segments' filters.
//!
//! Memory ordering: a segment is written into its slot, then `count` is raised with a release
//! store (under `grow`); readers load `count` with acquire and only touch slots below it. A
//! reader that can see an entry (its sequence was published to it through acquire loads, after
//! the insert) also sees the segment that holds it and that segment's filter bits.
//!
//! Lock order: `MemTable::grow` is a leaf lock; the leader takes it under the commit lock.

pub(crate) mod arena;
pub(crate) mod bloom;
pub(crate) mod iter;
pub(crate) mod skiplist;

use crate::key::{self, SequenceNumber, ValueKind, KIND_SEEK};
// `Lookup` lives in `key`: the SSTable reader, a layer below, answers lookups with it too.
// Re-exported so that `shale_engine::memtable::Lookup` still names it.
pub use crate::key::Lookup;
use crate::sync::{AtomicUsize, Mutex, Ordering};
use arena::Arena;
use bloom::SegmentBloom;
pub use iter::MemTableIter;
use skiplist::SkipList;
use std::sync::{Arc, OnceLock};

/// Most segments of one memtable. Segments are sized so that a full memtable needs at most half
/// of them (see [`segment_bytes_for`]); should a memtable ever run out, its newest segment keeps
/// taking inserts (correct, only slower).
pub const SEGMENTS_MAX: usize = 32;
/// The smallest segment (tiny memtables in tests).
pub const SEGMENT_BYTES_MIN: usize = 1 << 10;
/// The largest segment of a memtable of up to `SEGMENT_BYTES_MAX * SEGMENTS_MAX / 2` bytes
/// (128 MiB); larger memtables get larger segments, never more than `SEGMENTS_MAX / 2` full ones.
pub const SEGMENT_BYTES_MAX: usize = 8 << 20;
/// A memtable is split into at least this many segments when that keeps them above
/// [`SEGMENT_BYTES_MIN`].
const SEGMENTS_PER_MEMTABLE_MIN: usize = 8;

const _: () = assert!(SEGMENT_BYTES_MIN <= SEGMENT_BYTES_MAX);
const _: () = assert!(SEGMENTS_PER_MEMTABLE_MIN < SEGMENTS_MAX / 2);

/// The segment size of a memtable bounded by `memtable_bytes_max`: an eighth of it within
/// [`SEGMENT_BYTES_MIN`]`..=`[`SEGMENT_BYTES_MAX`], and never so small that a full memtable
/// needs more than `SEGMENTS_MAX / 2` segments (a segment, like the memtable, may overshoot its
/// size by one group's entries).
pub fn segment_bytes_for(memtable_bytes_max: usize) -> usize {
    (memtable_bytes_max / SEGMENTS_PER_MEMTABLE_MIN)
        .clamp(SEGMENT_BYTES_MIN, SEGMENT_BYTES_MAX)
        .max(memtable_bytes_max.div_ceil(SEGMENTS_MAX / 2))
}

/// One segment: the entries from sequence `first_seq` on (until the next segment's start).
struct Segment {
    first_seq: SequenceNumber,
    /// The arena's size when the segment started.
    arena_bytes_at_start: usize,
    list: SkipList,
    bloom: SegmentBloom,
}

/// An in-memory table of entries.
pub struct MemTable {
    /// The memory of every segment's nodes.
    arena: Arc<Arena>,
    segments: [OnceLock<Segment>; SEGMENTS_MAX],
    /// Segments published: `segments[..count]` are set.
    count: AtomicUsize,
    /// Held while a segment is added (the first one may come from any inserter).
    grow: Mutex<()>,
    segment_bytes: usize,
    /// Number of the WAL file that was current when this memtable was created: every entry of
    /// this memtable is in that WAL file or a later one.
    wal_number: u64,
}

impl std::fmt::Debug for MemTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemTable")
            .field("entries", &self.len())
            .field("segments", &self.segments().count())
            .field("bytes", &self.approximate_bytes())
            .field("wal_number", &self.wal_number)
            .finish()
    }
}

impl MemTable {
    /// An empty memtable whose entries start in WAL file `wal_number`, sized for a
    /// `memtable_bytes_max` bound (its segments' sizes follow from it). It holds no memory until
    /// the first insert (every keyspace has one).
    pub fn new(wal_number: u64, memtable_bytes_max: usize) -> Self {
        let segment_bytes = segment_bytes_for(memtable_bytes_max);
        MemTable {
            arena: Arc::new(Arena::new(arena::block_bytes_for(memtable_bytes_max))),
            segments: std::array::from_fn(|_| OnceLock::new()),
            count: AtomicUsize::new(0),
            grow: Mutex::new(()),
            segment_bytes,
            wal_number,
        }
    }

    /// Publishes a new segment for sequences from `first_seq` on; `grow` must be held. Does
    /// nothing when every slot is taken.
    fn push_segment(&self, first_seq: SequenceNumber) {
        let n = self.count.load(Ordering::Acquire);
        let Some(slot) = self.segments.get(n) else { return };
        debug_assert!(self.segments().next_back().is_none_or(|s| s.first_seq < first_seq));
        // Deterministic: the same history builds the same towers (reproducible tests).
        let seed =
            crate::util::rand::SplitMix64::new(self.wal_number ^ ((n as u64) << 56)).next_u64();
        let segment = Segment {
            first_seq,
            arena_bytes_at_start: self.arena.allocated_bytes(),
            list: SkipList::with_arena(seed, Arc::clone(&self.arena)),
            bloom: SegmentBloom::for_segment(self.segment_bytes),
        };
        if slot.set(segment).is_ok() {
            self.count.store(n + 1, Ordering::Release);
        }
    }

    /// The published segments, oldest first.
    fn segments(&self) -> impl DoubleEndedIterator<Item = &Segment> {
        let n = self.count.load(Ordering::Acquire);
        self.segments.iter().take(n).filter_map(OnceLock::get)
    }

    /// Starts a new segment for the entries from sequence `next_seq` on when the newest one
    /// holds `segment_bytes` or more. Only one thread at a time may call this with sequences
    /// that are not yet assigned: the group-commit leader (under the commit lock) before it
    /// assigns a group's sequence numbers, or recovery before it replays an entry. So every
    /// insert of a later group goes to the new segment, and none of an earlier one does.
    pub fn start_segment_if_full(&self, next_seq: SequenceNumber) {
        let full = |m: &MemTable| {
            m.segments().next_back().is_some_and(|s| {
                let grown = m.arena.allocated_bytes().saturating_sub(s.arena_bytes_at_start);
                grown >= m.segment_bytes && s.first_seq < next_seq
            })
        };
        if full(self) {
            let _g = self.grow.lock().unwrap_or_else(|e| e.into_inner());
            if full(self) {
                self.push_segment(next_seq);
            }
        }
    }

    /// Adds an entry; `(key, seq)` must be new.
    pub fn add(&self, seq: SequenceNumber, kind: ValueKind, key: &[u8], value: &[u8]) {
        if self.count.load(Ordering::Acquire) == 0 {
            let _g = self.grow.lock().unwrap_or_else(|e| e.into_inner());
            if self.count.load(Ordering::Acquire) == 0 {
                self.push_segment(0);
            }
        }
        // The newest segment that starts at or below `seq` (segment 0 starts at 0).
        if let Some(s) = self.segments().rev().find(|s| s.first_seq <= seq) {
            // The filter first: a reader that finds the node must find its bits.
            s.bloom.insert(key);
            s.list.insert(key, key::trailer(seq, kind as u8), value);
        }
    }

    /// The newest version of `key` with a sequence number `<= seq`.
    pub fn get(&self, user_key: &[u8], seq: SequenceNumber) -> Option<Lookup> {
        for s in self.segments().rev() {
            if s.first_seq > seq || !s.bloom.may_contain(user_key) {
                continue;
            }
            let pos = s.list.seek(user_key, key::trailer(seq, KIND_SEEK));
            let Some(node) = s.list.node(pos) else { continue };
            if node.key() != user_key {
                continue;
            }
            let t = s.list.trailer_at(pos)?;
            return match ValueKind::from_u8(key::trailer_kind(t)) {
                Some(ValueKind::Put) => Some(Lookup::Value(node.value().to_vec())),
                Some(ValueKind::Delete) => Some(Lookup::Deleted),
                Some(ValueKind::Blob) => Some(Lookup::Blob(node.value().to_vec())),
                None => None,
            };
        }
        None
    }

    /// The memory this memtable holds: its arena's blocks, counted exactly, and its segments'
    /// filters (what `memtable_bytes_max` bounds).
    pub fn approximate_bytes(&self) -> usize {
        self.arena.allocated_bytes() + self.segments().map(|s| s.bloom.bytes()).sum::<usize>()
    }

    /// Entries in this memtable.
    pub fn len(&self) -> usize {
        self.segments().map(|s| s.list.len()).sum()
    }

    /// True when no entry was added.
    pub fn is_empty(&self) -> bool {
        self.segments().all(|s| s.list.is_empty())
    }

    /// Segments started so far.
    pub fn segment_count(&self) -> usize {
        self.segments().count()
    }

    /// The WAL file this memtable's entries start in.
    pub fn wal_number(&self) -> u64 {
        self.wal_number
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::iter::{InternalIterator, MergingIterator};
    use crate::key::trailer_seq;
    use std::collections::BTreeMap;
    use std::sync::Arc;

    #[test]
    fn segment_sizes_stay_in_bounds() {
        assert_eq!(segment_bytes_for(64 << 20), SEGMENT_BYTES_MAX);
        assert_eq!(segment_bytes_for(8 << 20), 1 << 20);
        assert_eq!(segment_bytes_for(1 << 10), SEGMENT_BYTES_MIN);
        assert_eq!(segment_bytes_for(1 << 30), (1 << 30) / (SEGMENTS_MAX / 2));
        for max in [0, 1, 4096, 1 << 20, 3 << 24, 64 << 20, (64 << 20) + 1, 1 << 33] {
            let seg = segment_bytes_for(max);
            assert!(seg >= SEGMENT_BYTES_MIN, "{max}: {seg}");
            assert!(max.div_ceil(seg) <= SEGMENTS_MAX / 2, "{max}: {seg}");
        }
    }

    /// Entries written as the database writes them (a new segment may start before each group)
    /// read back as a `BTreeMap` of the same history says, at every sequence number, by lookup
    /// and by merged iteration both ways.
    #[test]
    fn segments_read_like_one_table() {
        let m = Arc::new(MemTable::new(7, 32 << 10));
        let mut model: BTreeMap<(Vec<u8>, u64), Option<Vec<u8>>> = BTreeMap::new();
        let mut seq = 0u64;
        let mut rng = crate::util::rand::SplitMix64::new(3);
        while seq < 3000 {
            // A group of 1..=4 entries.
            m.start_segment_if_full(seq + 1);
            for _ in 0..=rng.next_u64() % 4 {
                seq += 1;
                let key = format!("k{:03}", rng.next_u64() % 300).into_bytes();
                if rng.next_u64().is_multiple_of(5) {
                    m.add(seq, ValueKind::Delete, &key, b"");
                    model.insert((key, seq), None);
                } else {
                    let value = format!("v{seq}").into_bytes();
                    m.add(seq, ValueKind::Put, &key, &value);
                    model.insert((key, seq), Some(value));
                }
            }
        }
        let segments = m.segment_count();
        assert!(segments > 8, "{segments} segments");
        assert_eq!(m.len(), model.len());
        let newest = |key: &[u8], at: u64| {
            model
                .range((key.to_vec(), 0)..=(key.to_vec(), at))
                .next_back()
                .map(|(_, v)| v.clone().map_or(Lookup::Deleted, Lookup::Value))
        };
        for at in [0, 1, 17, 500, 1499, 2222, seq] {
            for k in 0..300 {
                let key = format!("k{k:03}").into_bytes();
                assert_eq!(m.get(&key, at), newest(&key, at), "key {k} at {at}");
            }
        }
        // Internal-key order: user key ascending, sequence descending.
        let mut want: Vec<(Vec<u8>, u64)> = model.keys().cloned().collect();
        want.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        let mut it = m.iter();
        let mut got = Vec::new();
        it.seek_to_first();
        while it.valid() {
            got.push((it.user_key().to_vec(), trailer_seq(it.trailer())));
            it.next();
        }
        assert_eq!(got, want);
        let mut back = Vec::new();
        it.seek_to_last();
        while it.valid() {
            back.push((it.user_key().to_vec(), trailer_seq(it.trailer())));
            it.prev();
        }
        back.reverse();
        assert_eq!(back, want);
        it.seek(b"k150", u64::MAX);
        assert!(it.valid() && it.user_key() >= b"k150".as_slice());
    }

    /// Past `SEGMENTS_MAX` segments (a memtable written far past its bound) the newest one keeps
    /// taking entries.
    #[test]
    fn a_memtable_out_of_segments_keeps_its_entries() {
        let m = MemTable::new(1, 1 << 10);
        for seq in 1..=5000u64 {
            m.start_segment_if_full(seq);
            m.add(seq, ValueKind::Put, &seq.to_be_bytes(), b"value");
        }
        assert_eq!(m.segment_count(), SEGMENTS_MAX);
        assert_eq!(m.len(), 5000);
        for seq in (1..=5000u64).step_by(97) {
            assert_eq!(m.get(&seq.to_be_bytes(), 5000), Some(Lookup::Value(b"value".to_vec())));
        }
    }

    #[test]
    fn an_empty_memtable_holds_nothing() {
        let m = Arc::new(MemTable::new(1, 64 << 20));
        assert_eq!((m.approximate_bytes(), m.segment_count(), m.len()), (0, 0, 0));
        assert!(m.is_empty() && m.get(b"k", 9).is_none());
        let mut it = m.iter();
        it.seek_to_first();
        assert!(!it.valid());
        // The first segment of a 64 MiB memtable: its filter (128 KiB for an 8 MiB segment) and
        // the arena's first block (4 KiB and its header).
        m.add(1, ValueKind::Put, b"k", b"v");
        let bytes = m.approximate_bytes();
        assert!(bytes > (132 << 10) && bytes <= (132 << 10) + 64, "{bytes}");
    }

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

#[cfg(all(test, loom))]
mod loom_tests {
    //! Run with `RUSTFLAGS="--cfg loom" cargo test -p shale-engine --lib loom`.
    use super::*;
    use crate::iter::InternalIterator;
    use crate::sync::AtomicU64;
    // `MemTable::iter` takes a `std` `Arc`; the atomics inside are loom's.
    use std::sync::Arc;

    /// A writer fills segment 0, starts segment 1 (as the leader does) and writes into it,
    /// publishing each sequence number as the publisher does (release after the insert). A
    /// reader that sees a sequence number published finds that entry by lookup and by iteration.
    #[test]
    fn a_published_entry_is_found_across_a_new_segment() {
        crate::sync::loom_model(|| {
            let m = Arc::new(MemTable::new(1, 1 << 10));
            let published = Arc::new(AtomicU64::new(0));
            let (mw, pw) = (Arc::clone(&m), Arc::clone(&published));
            let writer = loom::thread::spawn(move || {
                // Past the segment size (1 KiB): the next group starts a segment.
                mw.add(1, ValueKind::Put, b"a", &[1; 1100]);
                pw.store(1, Ordering::Release);
                mw.start_segment_if_full(2);
                mw.add(2, ValueKind::Put, b"b", b"2");
                pw.store(2, Ordering::Release);
            });
            let seen = published.load(Ordering::Acquire);
            let want: &[(&[u8], &[u8])] = &[(b"a", &[1; 1100]), (b"b", b"2")];
            for (key, value) in want.iter().take(seen as usize) {
                assert_eq!(m.get(key, seen), Some(Lookup::Value(value.to_vec())));
            }
            let mut it = m.iter();
            it.seek_to_first();
            let mut found = 0;
            while it.valid() {
                found += usize::from(crate::key::trailer_seq(it.trailer()) <= seen);
                it.next();
            }
            assert!(found >= seen as usize);
            writer.join().unwrap();
            assert_eq!(m.segment_count(), 2);
        });
    }
}
