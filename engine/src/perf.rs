//! The per-thread performance context (RocksDB's `PerfContext`): where one operation of this
//! thread spent its time, and what it touched, in the engine.
//!
//! A caller turns it on for its thread, runs operations, and reads the figures:
//!
//! ```
//! use shale_engine::perf::{self, PerfLevel, Stat};
//! # let dir = tempfile::tempdir().unwrap();
//! # let db = shale_engine::Db::open(dir.path(), shale_engine::Options::default()).unwrap();
//! let (value, ctx) = perf::measure(PerfLevel::Time, || db.get(&db.default_keyspace(), b"k"));
//! assert!(value.unwrap().is_none());
//! println!("{} ns in the memtables", ctx.get(Stat::MemtableNanos));
//! ```
//!
//! Each [`Stat`] is a counter of the calling thread: a count, a byte count, or nanoseconds
//! (the names say which). At [`PerfLevel::Off`], the default, an instrumented point costs one
//! read of a thread-local; at [`PerfLevel::Count`] counts and bytes are kept; at
//! [`PerfLevel::Time`] the durations too (two clock reads a timed step).
//!
//! Writes commit in groups (`db/write.rs`): one thread, the group's leader, writes the WAL and
//! fsyncs for the whole group while the others wait. Every writer of a group is charged the
//! group's WAL append and fsync (it waited for them), and its queueing time without them.

use std::cell::Cell;
use std::time::Instant;

/// How much the context of this thread records.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum PerfLevel {
    /// Nothing (the default).
    #[default]
    Off,
    /// Counts and byte counts.
    Count,
    /// Counts, byte counts and durations.
    Time,
}

/// Declares [`Stat`] with its names and docs, and [`STAT_COUNT`].
macro_rules! stats {
    ($($(#[doc = $doc:literal])* $variant:ident = $name:literal,)*) => {
        /// One figure of the performance context.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum Stat {
            $($(#[doc = $doc])* $variant,)*
        }

        impl Stat {
            /// Every figure, in the order of [`PerfContext::iter`].
            pub const ALL: &'static [Stat] = &[$(Stat::$variant,)*];

            /// The figure's name (`memtable_nanos`), as reports print it.
            pub fn name(self) -> &'static str {
                match self {
                    $(Stat::$variant => $name,)*
                }
            }
        }
    };
}

stats! {
    /// Nanoseconds searching the memtables in point lookups.
    MemtableNanos = "memtable_nanos",
    /// Point lookups a memtable answered (a value or a deletion).
    MemtableHits = "memtable_hits",
    /// Nanoseconds in SSTable point lookups (filters, index, block cache and file reads).
    TableNanos = "table_nanos",
    /// SSTables a bloom filter ruled out in point lookups (each a data block not read).
    FilterNegatives = "filter_negatives",
    /// Data blocks the block cache held.
    BlockCacheHits = "block_cache_hits",
    /// Data blocks the block cache did not hold (each then read from its file).
    BlockCacheMisses = "block_cache_misses",
    /// Nanoseconds in block cache lookups and inserts (not the reads of missed blocks).
    BlockCacheNanos = "block_cache_nanos",
    /// Reads from SSTable and blob files (blocks, batches of blocks, blob values).
    FileReads = "file_reads",
    /// Bytes those reads asked for.
    FileReadBytes = "file_read_bytes",
    /// Nanoseconds in those reads.
    FileReadNanos = "file_read_nanos",
    /// Nanoseconds a writer waited out a write stall (memtables or L0 files over their limit).
    WriteStallNanos = "write_stall_nanos",
    /// Nanoseconds a writer waited in the commit queue, not counting its group's WAL append and
    /// fsync (earlier groups' commits included).
    WriteQueueNanos = "write_queue_nanos",
    /// Nanoseconds of the writer's group's WAL append, when the group is not synced.
    WalNanos = "wal_nanos",
    /// Bytes of the writer's own batch in the WAL (its encoding, without the log's headers).
    WalBytes = "wal_bytes",
    /// Nanoseconds of the writer's group's WAL append and fsync, when the group is synced (the
    /// two are handed to the file together, and io_uring links them into one submission).
    FsyncNanos = "fsync_nanos",
    /// Nanoseconds inserting the writer's batch into the memtables.
    MemtableInsertNanos = "memtable_insert_nanos",
    /// Nanoseconds waiting for earlier groups to become visible, once inserted.
    PublishWaitNanos = "publish_wait_nanos",
}

/// How many figures a context holds.
pub const STAT_COUNT: usize = Stat::ALL.len();

impl Stat {
    /// True for a duration in nanoseconds (kept at [`PerfLevel::Time`] only).
    pub fn is_nanos(self) -> bool {
        self.name().ends_with("_nanos")
    }
}

/// The figures of one thread over some operations: read with [`context`] or [`measure`].
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PerfContext {
    values: [u64; STAT_COUNT],
}

impl std::fmt::Debug for PerfContext {
    /// The figures that are not zero, by name.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map()
            .entries(self.iter().filter(|&(_, v)| v > 0).map(|(s, v)| (s.name(), v)))
            .finish()
    }
}

impl Default for PerfContext {
    fn default() -> Self {
        PerfContext { values: [0; STAT_COUNT] }
    }
}

impl PerfContext {
    /// The value of `stat`.
    pub fn get(&self, stat: Stat) -> u64 {
        self.values.get(stat as usize).copied().unwrap_or(0)
    }

    /// With `stat` set to `value` (for tests and examples).
    pub fn with(mut self, stat: Stat, value: u64) -> PerfContext {
        if let Some(v) = self.values.get_mut(stat as usize) {
            *v = value;
        }
        self
    }

    /// Every figure with its value, in [`Stat::ALL`]'s order.
    pub fn iter(&self) -> impl Iterator<Item = (Stat, u64)> + '_ {
        Stat::ALL.iter().map(|&s| (s, self.get(s)))
    }

    /// Adds every figure of `other` to this one (saturating).
    pub fn add(&mut self, other: &PerfContext) {
        for (v, o) in self.values.iter_mut().zip(other.values) {
            *v = v.saturating_add(o);
        }
    }

    /// True when every figure is zero.
    pub fn is_empty(&self) -> bool {
        self.values.iter().all(|&v| v == 0)
    }
}

/// The context of one thread.
struct Local {
    level: Cell<PerfLevel>,
    values: [Cell<u64>; STAT_COUNT],
}

thread_local! {
    static LOCAL: Local = const {
        Local { level: Cell::new(PerfLevel::Off), values: [const { Cell::new(0) }; STAT_COUNT] }
    };
}

/// Sets how much this thread's context records.
pub fn set_level(level: PerfLevel) {
    LOCAL.with(|l| l.level.set(level));
}

/// How much this thread's context records.
pub fn level() -> PerfLevel {
    LOCAL.with(|l| l.level.get())
}

/// Zeroes this thread's figures.
pub fn reset() {
    LOCAL.with(|l| l.values.iter().for_each(|v| v.set(0)));
}

/// This thread's figures.
pub fn context() -> PerfContext {
    LOCAL.with(|l| {
        let mut c = PerfContext::default();
        for (out, v) in c.values.iter_mut().zip(&l.values) {
            *out = v.get();
        }
        c
    })
}

/// Runs `f` with this thread's context reset and recording at `level`; returns what `f`
/// returned and the figures of its run. The thread's earlier level and figures are restored.
pub fn measure<R>(level: PerfLevel, f: impl FnOnce() -> R) -> (R, PerfContext) {
    let (before, saved) = (self::level(), context());
    reset();
    set_level(level);
    let r = f();
    let ctx = context();
    set_level(before);
    LOCAL.with(|l| {
        for (v, s) in l.values.iter().zip(saved.values) {
            v.set(s);
        }
    });
    (r, ctx)
}

/// Adds `n` to `stat` when this thread counts.
#[inline]
pub(crate) fn count(stat: Stat, n: u64) {
    LOCAL.with(|l| {
        if l.level.get() >= PerfLevel::Count {
            add(l, stat, n);
        }
    });
}

#[inline]
fn add(l: &Local, stat: Stat, n: u64) {
    if let Some(v) = l.values.get(stat as usize) {
        v.set(v.get().saturating_add(n));
    }
}

/// A step being timed: started by [`timer`], when this thread times.
#[derive(Debug, Clone, Copy)]
#[must_use]
pub(crate) struct Timer(Option<Instant>);

/// Starts timing a step (a no-op below [`PerfLevel::Time`]).
#[inline]
pub(crate) fn timer() -> Timer {
    Timer(if level() == PerfLevel::Time { Some(Instant::now()) } else { None })
}

impl Timer {
    /// Nanoseconds since the timer started (0 when not timing).
    #[inline]
    pub(crate) fn elapsed_nanos(self) -> u64 {
        self.0.map_or(0, |t| u64::try_from(t.elapsed().as_nanos()).unwrap_or(u64::MAX))
    }

    /// Adds the time since the timer started to `stat`.
    #[inline]
    pub(crate) fn stop(self, stat: Stat) {
        if self.0.is_some() {
            charge(stat, self.elapsed_nanos());
        }
    }

    /// True when this timer times (the thread was at [`PerfLevel::Time`]).
    #[inline]
    pub(crate) fn is_timing(self) -> bool {
        self.0.is_some()
    }
}

/// Adds `nanos` to the duration `stat` when this thread times.
#[inline]
pub(crate) fn charge(stat: Stat, nanos: u64) {
    debug_assert!(stat.is_nanos(), "{} is not a duration", stat.name());
    LOCAL.with(|l| {
        if l.level.get() == PerfLevel::Time {
            add(l, stat, nanos);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn off_records_nothing_count_skips_durations_time_records_all() {
        let run = |level| {
            measure(level, || {
                count(Stat::BlockCacheHits, 2);
                charge(Stat::WalNanos, 7);
                let t = timer();
                std::thread::sleep(std::time::Duration::from_millis(1));
                t.stop(Stat::FsyncNanos);
            })
            .1
        };
        assert!(run(PerfLevel::Off).is_empty());
        let c = run(PerfLevel::Count);
        assert_eq!((c.get(Stat::BlockCacheHits), c.get(Stat::WalNanos)), (2, 0));
        assert_eq!(c.get(Stat::FsyncNanos), 0);
        let t = run(PerfLevel::Time);
        assert_eq!((t.get(Stat::BlockCacheHits), t.get(Stat::WalNanos)), (2, 7));
        assert!(t.get(Stat::FsyncNanos) >= 1_000_000, "{t:?}");
    }

    #[test]
    fn measure_restores_the_outer_level_and_figures_and_threads_are_apart() {
        set_level(PerfLevel::Count);
        reset();
        count(Stat::FileReads, 1);
        let ((), inner) = measure(PerfLevel::Time, || count(Stat::FileReads, 5));
        assert_eq!(inner.get(Stat::FileReads), 5);
        assert_eq!(level(), PerfLevel::Count);
        assert_eq!(context().get(Stat::FileReads), 1);
        let other = std::thread::spawn(|| (level(), context())).join().unwrap();
        assert_eq!(other, (PerfLevel::Off, PerfContext::default()));
        set_level(PerfLevel::Off);
    }

    #[test]
    fn names_are_unique_and_durations_end_in_nanos() {
        let mut names: Vec<&str> = Stat::ALL.iter().map(|s| s.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), STAT_COUNT);
        assert!(Stat::WalNanos.is_nanos() && !Stat::WalBytes.is_nanos());
        let mut sum = PerfContext::default();
        let ((), c) = measure(PerfLevel::Count, || count(Stat::WalBytes, 3));
        sum.add(&c);
        sum.add(&c);
        assert_eq!(sum.get(Stat::WalBytes), 6);
        assert_eq!(sum.iter().count(), STAT_COUNT);
    }
}
