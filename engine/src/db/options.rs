//! Options of a database, of writes and of iterators.

use crate::compaction::{CompactionFilter, CompactionOptions, CompactionStyle};
use crate::fs::{FileSystem, IoBackend, OsFs};
use crate::sst::TableOptions;
use std::ops::Bound;
use std::sync::Arc;
use std::time::Duration;

/// How recovery treats a damaged WAL (RocksDB's `WALRecoveryMode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WalRecoveryMode {
    /// Default. A torn tail (the newest WAL ends inside a record: a write that was never
    /// acknowledged as durable) is dropped and cut off; any other damage is `Corruption`.
    #[default]
    TolerateCorruptedTail,
    /// Any damage, a torn tail included, is `Corruption`.
    AbsoluteConsistency,
    /// Salvage: recover up to the last good record, cut the log there and drop what follows
    /// (later WAL files included). Use when `Corruption` stops an open and losing the tail of the
    /// history is acceptable.
    PointInTime,
}

/// How long and how much the WAL archive keeps (see `Options::wal_archive`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WalArchiveOptions {
    /// How far back restores reach: archived WAL files and base checkpoints older than the
    /// window's start are removed (default 35 days, DynamoDB's longest recovery period). It can
    /// be changed on an open database ([`crate::Db::set_archive_retention`]). Zero makes the
    /// archive dormant: WAL files are deleted as without one, and no base is taken.
    pub retention: Duration,
    /// Most bytes the archived WAL files may take (default 64 GiB): past it, the oldest go first
    /// (the window shrinks, and `stats` shows it).
    pub archive_bytes_max: u64,
    /// A new base checkpoint is taken once the newest is this old (default 1 hour): a restore
    /// replays at most this much of the log on top of its base.
    pub base_interval: Duration,
    /// How often the archive thread syncs the journal, applies retention and takes bases
    /// (default every second). `None`: no thread; the owner calls
    /// [`crate::Db::maintain_archive`] itself (tests that count file operations do).
    pub maintain_interval: Option<Duration>,
}

impl Default for WalArchiveOptions {
    fn default() -> Self {
        WalArchiveOptions {
            retention: Duration::from_secs(35 * 24 * 3600),
            archive_bytes_max: 64 << 30,
            base_interval: Duration::from_secs(3600),
            maintain_interval: Some(Duration::from_secs(1)),
        }
    }
}

/// Options for [`crate::Db::open`].
#[derive(Debug, Clone)]
pub struct Options {
    /// Create the database if it does not exist (default true).
    pub create_if_missing: bool,
    /// Fail if the database already exists (default false).
    pub error_if_exists: bool,
    /// A keyspace's active memtable becomes immutable once it allocates this many bytes
    /// (default 64 MiB).
    pub memtable_bytes_max: usize,
    /// Longest key accepted (default 64 KiB; at most 16 MiB).
    pub key_len_max: usize,
    /// Longest value accepted (default 16 MiB; at most 1 GiB).
    pub value_len_max: usize,
    /// Largest encoded write batch accepted (default 64 MiB; at most 2 GiB).
    pub batch_bytes_max: usize,
    /// A group commit stops adding writers' batches once it holds this many bytes (default 1 MiB).
    pub group_commit_bytes_max: usize,
    /// When set, a background thread fsyncs the WAL this often if it holds unsynced writes, so
    /// that writes without `sync` are durable within about this interval. `None` (default): only
    /// writes with `sync: true` fsync.
    pub wal_sync_interval: Option<Duration>,
    /// What recovery does with a damaged WAL.
    pub wal_recovery_mode: WalRecoveryMode,
    /// WAL archiving for point-in-time recovery (`docs/backup.md`): sealed WAL files move to
    /// `archive/` instead of being deleted, base checkpoints are taken there periodically, and
    /// [`crate::Db::restore_to`] rebuilds the database as of any instant of the window. `None`
    /// (the default): WAL files are deleted once flushed.
    pub wal_archive: Option<WalArchiveOptions>,
    /// Flush immutable memtables on a background thread (default true). When false, the writer
    /// whose group switched a memtable flushes it before returning: slower writes, but every
    /// file operation happens in a deterministic order (fault-injection tests rely on it).
    pub background_flush: bool,
    /// How SSTables are built: block size, bloom bits per key, compression.
    pub table: TableOptions,
    /// Bytes of uncompressed blocks kept in the block cache (default 32 MiB; 0 disables it).
    pub block_cache_bytes: usize,
    /// Leveled compaction: L0 trigger and stall thresholds, level sizes, output file size.
    pub compaction: CompactionOptions,
    /// Compaction style of every keyspace not named in `keyspace_styles` (default leveled).
    pub compaction_style: CompactionStyle,
    /// Per keyspace name: its compaction style (e.g. universal for a write-heavy keyspace).
    pub keyspace_styles: std::collections::HashMap<String, CompactionStyle>,
    /// Called by compactions on live values: keep, remove or replace (see
    /// [`crate::compaction::TtlFilter`] for expiry). Default none.
    pub compaction_filter: Option<Arc<dyn CompactionFilter>>,
    /// Background flush threads (default 1). Flushes of one keyspace run one at a time, in
    /// order; more threads flush several keyspaces at once.
    pub flush_threads: usize,
    /// Background compaction threads (default 1; one compaction per keyspace at a time).
    pub compaction_threads: usize,
    /// Compaction writes at most this many bytes per second (0, the default: unlimited).
    pub compaction_bytes_per_sec: u64,
    /// Immutable memtables a keyspace may hold waiting for the flush thread (default 4): when
    /// they are all there and the active one is full too, writes stop until a flush finishes,
    /// so memory never grows without bound (RocksDB's `max_write_buffer_number` minus one).
    pub max_immutable_memtables: usize,
    /// Record get and write latencies in histograms reported by `Db::stats` (default false:
    /// two clock reads per operation).
    pub latency_histograms: bool,
    /// Read SSTables through memory maps instead of `pread` (default false). Block checksums are
    /// still verified on every read.
    pub mmap_reads: bool,
    /// Read SSTables with `O_DIRECT`, bypassing the page cache, so the block cache is the only
    /// cache (default false; RocksDB's `use_direct_reads`). Not together with `mmap_reads`.
    pub direct_reads: bool,
    /// Write flush and compaction output with `O_DIRECT` through aligned 1 MiB buffers (default
    /// false; RocksDB's `use_direct_io_for_flush_and_compaction`).
    pub direct_writes: bool,
    /// Most SSTables kept open at once (default 1000; as many blob files may be open too).
    pub table_cache_files: usize,
    /// Key-value separation: in every keyspace not named in `keyspace_blob_thresholds`, a
    /// flush writes values of at least this many bytes to a blob file and keeps a pointer in
    /// the table, so that compactions move pointers instead of values (WiscKey, RocksDB's
    /// BlobDB). `None` (the default): values stay in the tables.
    pub blob_threshold_bytes: Option<usize>,
    /// Per keyspace name: its blob threshold (`None`: no separation there), overriding
    /// `blob_threshold_bytes`.
    pub keyspace_blob_thresholds: std::collections::HashMap<String, Option<usize>>,
    /// A compaction relocates the live values of a blob file once this share of the file's
    /// bytes is garbage (overwritten or deleted values), and compacts tables pointing into such
    /// files when nothing else is due, so that the file can go (default 0.5; in (0, 1]).
    pub blob_gc_ratio: f64,
    /// A compaction starts a new blob file for the values it relocates once the current one
    /// holds this many bytes (default 256 MiB).
    pub blob_file_bytes_max: u64,
    /// Where commit times, and the archive's notion of now, come from (default: the system's
    /// real-time clock; tests set a [`crate::ManualClock`] to make the log's bytes reproducible).
    pub clock: Arc<dyn crate::Clock>,
    /// The file system the database lives on. Default: the operating system's through io_uring
    /// where a ring can be set up, else through `pread`/`write` ([`IoBackend::Auto`], chosen by
    /// the measurements in `docs/benchmarks.md`, "I/O backends").
    pub fs: Arc<dyn FileSystem>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            create_if_missing: true,
            error_if_exists: false,
            memtable_bytes_max: 64 << 20,
            key_len_max: 64 << 10,
            value_len_max: 16 << 20,
            batch_bytes_max: 64 << 20,
            group_commit_bytes_max: 1 << 20,
            wal_sync_interval: None,
            wal_recovery_mode: WalRecoveryMode::default(),
            wal_archive: None,
            background_flush: true,
            table: TableOptions::default(),
            block_cache_bytes: 32 << 20,
            compaction: CompactionOptions::default(),
            compaction_style: CompactionStyle::Leveled,
            keyspace_styles: std::collections::HashMap::new(),
            compaction_filter: None,
            flush_threads: 1,
            compaction_threads: 1,
            compaction_bytes_per_sec: 0,
            max_immutable_memtables: 4,
            latency_histograms: false,
            mmap_reads: false,
            direct_reads: false,
            direct_writes: false,
            table_cache_files: 1000,
            blob_threshold_bytes: None,
            keyspace_blob_thresholds: std::collections::HashMap::new(),
            blob_gc_ratio: 0.5,
            blob_file_bytes_max: 256 << 20,
            clock: Arc::new(crate::SystemClock),
            fs: IoBackend::Auto.file_system().unwrap_or_else(|_| Arc::new(OsFs)),
        }
    }
}

impl Options {
    /// The blob threshold of keyspace `name` (see `blob_threshold_bytes`).
    pub fn blob_threshold_for(&self, name: &str) -> Option<usize> {
        match self.keyspace_blob_thresholds.get(name) {
            Some(t) => *t,
            None => self.blob_threshold_bytes,
        }
    }
}

/// Hard ceilings on the configurable bounds (they keep every length inside a `u32`).
pub(crate) const KEY_LEN_CEILING: usize = 16 << 20;
pub(crate) const VALUE_LEN_CEILING: usize = 1 << 30;
pub(crate) const BATCH_BYTES_CEILING: usize = 2 << 30;

/// Options for one write.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteOptions {
    /// Return only once the write is on stable storage (fsync of the WAL, shared with every
    /// write of the same group commit).
    pub sync: bool,
}

impl WriteOptions {
    /// `sync: true`.
    pub const SYNC: WriteOptions = WriteOptions { sync: true };
}

/// Which entries an iterator visits, and in which direction.
#[derive(Debug, Clone)]
pub struct IterOptions {
    /// Lower bound on user keys.
    pub lower: Bound<Vec<u8>>,
    /// Upper bound on user keys.
    pub upper: Bound<Vec<u8>>,
    /// Visit keys from largest to smallest.
    pub reverse: bool,
}

impl Default for IterOptions {
    fn default() -> Self {
        Self::all()
    }
}

impl IterOptions {
    /// Every key, ascending.
    pub fn all() -> Self {
        IterOptions { lower: Bound::Unbounded, upper: Bound::Unbounded, reverse: false }
    }

    /// Keys in `[start, end)`, ascending.
    pub fn range(start: impl Into<Vec<u8>>, end: impl Into<Vec<u8>>) -> Self {
        IterOptions {
            lower: Bound::Included(start.into()),
            upper: Bound::Excluded(end.into()),
            reverse: false,
        }
    }

    /// Keys that start with `prefix`, ascending.
    pub fn prefix(prefix: impl Into<Vec<u8>>) -> Self {
        let p: Vec<u8> = prefix.into();
        let upper = match prefix_successor(&p) {
            Some(s) => Bound::Excluded(s),
            None => Bound::Unbounded,
        };
        IterOptions { lower: Bound::Included(p), upper, reverse: false }
    }

    /// Sets the lower bound (inclusive).
    pub fn from(mut self, key: impl Into<Vec<u8>>) -> Self {
        self.lower = Bound::Included(key.into());
        self
    }

    /// Sets the upper bound (exclusive).
    pub fn to(mut self, key: impl Into<Vec<u8>>) -> Self {
        self.upper = Bound::Excluded(key.into());
        self
    }

    /// Visits keys from largest to smallest.
    pub fn reverse(mut self) -> Self {
        self.reverse = true;
        self
    }
}

/// The smallest key greater than every key starting with `p`, or `None` if there is none
/// (`p` is empty or all `0xff`).
pub(crate) fn prefix_successor(p: &[u8]) -> Option<Vec<u8>> {
    let mut s = p.to_vec();
    while let Some(last) = s.pop() {
        if last != 0xff {
            s.push(last + 1);
            return Some(s);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn successor() {
        assert_eq!(prefix_successor(b"ab"), Some(b"ac".to_vec()));
        assert_eq!(prefix_successor(&[1, 0xff]), Some(vec![2]));
        assert_eq!(prefix_successor(&[0xff, 0xff]), None);
        assert_eq!(prefix_successor(b""), None);
    }
}
