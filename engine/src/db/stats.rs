//! What the database reports about itself: per keyspace and level, files and bytes; memtables;
//! cache and bloom-filter counters.

use super::{Core, Db};
use crate::error::Result;
use crate::manifest::LEVELS;
pub use crate::util::histogram::Percentiles;
use std::fmt;
use std::sync::atomic::Ordering;

/// One level of one keyspace.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LevelStats {
    /// Compaction score (≥ 1: due); L0 by file count, deeper levels by bytes / target.
    pub score: f64,
    /// Target bytes (0: the level is above the base level, or L0).
    pub target_bytes: u64,
    /// Table files.
    pub files: usize,
    /// Bytes of those files.
    pub bytes: u64,
    /// Entries in those files.
    pub entries: u64,
}

/// One keyspace.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KeyspaceStats {
    /// Its name.
    pub name: String,
    /// Entries in its memtables (active and immutable).
    pub memtable_entries: usize,
    /// Bytes its memtables allocated.
    pub memtable_bytes: usize,
    /// Immutable memtables waiting to be flushed.
    pub immutable_memtables: usize,
    /// Per level, L0 first.
    pub levels: Vec<LevelStats>,
    /// Blob files (values separated from the tables).
    pub blob_files: usize,
    /// Bytes of those files.
    pub blob_bytes: u64,
    /// Bytes of their records no table points to any more.
    pub blob_garbage_bytes: u64,
}

/// A snapshot of the database's counters.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DbStats {
    /// Every keyspace, by name.
    pub keyspaces: Vec<KeyspaceStats>,
    /// Sequence number of the last visible write.
    pub last_sequence: u64,
    /// Block cache capacity and usage in bytes.
    pub block_cache_capacity: usize,
    /// Bytes the block cache holds.
    pub block_cache_usage: usize,
    /// Block cache hits.
    pub block_cache_hits: u64,
    /// Block cache misses.
    pub block_cache_misses: u64,
    /// Blocks read from table files.
    pub blocks_read: u64,
    /// Point lookups that consulted a bloom filter.
    pub bloom_checks: u64,
    /// Lookups a bloom filter answered "absent".
    pub bloom_negatives: u64,
    /// Lookups a bloom filter let through for a key the table did not have.
    pub bloom_false_positives: u64,
    /// Bytes of write batches accepted.
    pub user_bytes: u64,
    /// Memtables flushed, and the bytes of tables they became.
    pub flushes: u64,
    /// Bytes of tables written by flushes.
    pub flush_bytes: u64,
    /// Compactions run (trivial moves excluded).
    pub compactions: u64,
    /// Tables moved down a level without a rewrite.
    pub trivial_moves: u64,
    /// Bytes of tables compactions read.
    pub compaction_read_bytes: u64,
    /// Bytes of tables compactions wrote.
    pub compaction_write_bytes: u64,
    /// Bytes of blob files flushes wrote (separated values).
    pub flush_blob_bytes: u64,
    /// Bytes of blob files compactions wrote (values relocated by blob GC or replaced by the
    /// compaction filter).
    pub compaction_blob_bytes: u64,
    /// Bytes of blob files removed once all their records were garbage.
    pub blob_bytes_reclaimed: u64,
    /// Times a writer had to stop for flush or compaction to catch up.
    pub stalls: u64,
    /// Total time writers spent stopped, in microseconds.
    pub stall_micros: u64,
    /// Writes delayed by a millisecond because L0 was deep.
    pub slowdowns: u64,
    /// WAL fsyncs (one per group commit that asked for sync).
    pub wal_syncs: u64,
    /// Bytes appended to WAL files.
    pub wal_bytes: u64,
    /// Per level (all keyspaces): bytes compactions read from it.
    pub level_read_bytes: Vec<u64>,
    /// Per level (all keyspaces): bytes flushes and compactions wrote into it.
    pub level_write_bytes: Vec<u64>,
    /// `Db::get` latencies (with `Options::latency_histograms`).
    pub get_latency: Percentiles,
    /// `Db::write` (and put/delete) latencies (with `Options::latency_histograms`).
    pub write_latency: Percentiles,
    /// The WAL archive (with `Options::wal_archive`).
    pub archive: Option<super::ArchiveStats>,
}

impl DbStats {
    /// Write amplification of the tree: bytes written to tables and blob files (flushes and
    /// compactions) per byte flushed; 1.0 before any compaction. (The WAL adds one more write of
    /// `user_bytes`.)
    pub fn write_amplification(&self) -> f64 {
        let flushed = self.flush_bytes + self.flush_blob_bytes;
        if flushed == 0 {
            return 0.0;
        }
        (flushed + self.compaction_write_bytes + self.compaction_blob_bytes) as f64 / flushed as f64
    }

    /// Bytes written to tables and blob files by flushes and compactions (the WAL excluded).
    pub fn storage_write_bytes(&self) -> u64 {
        self.flush_bytes
            + self.flush_blob_bytes
            + self.compaction_write_bytes
            + self.compaction_blob_bytes
    }
}

impl fmt::Display for DbStats {
    /// A human-readable report: the level table per keyspace, bytes per level, WAL, flush and
    /// compaction counters, write amplification, stalls, cache and bloom counters.
    fn fmt(&self, out: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self;
        let mb = |b: u64| b as f64 / 1048576.0;
        for k in &s.keyspaces {
            writeln!(out, "** keyspace {} **", k.name)?;
            writeln!(out, "Level  Files  Size(MB)  Target(MB)  Score     Entries")?;
            for (i, l) in k.levels.iter().enumerate() {
                writeln!(
                    out,
                    "  L{i}   {:>5}  {:>8.3}  {:>10.3}  {:>5.2}  {:>10}",
                    l.files,
                    mb(l.bytes),
                    mb(l.target_bytes),
                    l.score,
                    l.entries
                )?;
            }
            writeln!(
                out,
                "memtables: {} entries, {:.3} MB, {} immutable waiting for flush",
                k.memtable_entries,
                k.memtable_bytes as f64 / 1048576.0,
                k.immutable_memtables
            )?;
            if k.blob_files > 0 {
                writeln!(
                    out,
                    "blob files: {}, {:.3} MB, {:.3} MB of it garbage",
                    k.blob_files,
                    mb(k.blob_bytes),
                    mb(k.blob_garbage_bytes)
                )?;
            }
        }
        writeln!(out, "** all keyspaces: bytes per level **")?;
        writeln!(out, "Level  Read(MB)  Write(MB)")?;
        for (i, (r, w)) in s.level_read_bytes.iter().zip(&s.level_write_bytes).enumerate() {
            writeln!(out, "  L{i}   {:>8.3}  {:>9.3}", mb(*r), mb(*w))?;
        }
        writeln!(out, "wal: {} syncs, {:.3} MB appended", s.wal_syncs, mb(s.wal_bytes))?;
        if let Some(a) = &s.archive {
            writeln!(
                out,
                "wal archive: {} files, {:.3} MB, {} bases; restorable from {} ms (sequence {} \
                 on), last commit {} ms; retention {} s; {} removed{}",
                a.files,
                mb(a.file_bytes),
                a.bases,
                a.earliest_restorable_ms.map_or_else(|| "-".to_string(), |t| t.to_string()),
                a.log_start_sequence,
                a.latest_commit_ms,
                a.retention_ms / 1000,
                a.removed,
                a.base_error
                    .as_deref()
                    .map_or_else(String::new, |e| format!("; last base failed: {e}"))
            )?;
        }
        for (name, p) in [("get", &s.get_latency), ("write", &s.write_latency)] {
            if p.count > 0 {
                writeln!(
                    out,
                    "{name} latency (us): count {} p50 {:.1} p99 {:.1} p99.9 {:.1} max {:.1}",
                    p.count,
                    p.p50 as f64 / 1e3,
                    p.p99 as f64 / 1e3,
                    p.p999 as f64 / 1e3,
                    p.max as f64 / 1e3
                )?;
            }
        }
        writeln!(out, "last sequence: {}", s.last_sequence)?;
        writeln!(
        out,
        "flushes: {} ({:.3} MB); compactions: {} (read {:.3} MB, wrote {:.3} MB), trivial moves {}",
        s.flushes,
        s.flush_bytes as f64 / 1048576.0,
        s.compactions,
        s.compaction_read_bytes as f64 / 1048576.0,
        s.compaction_write_bytes as f64 / 1048576.0,
        s.trivial_moves
    )?;
        if s.flush_blob_bytes + s.compaction_blob_bytes > 0 {
            writeln!(
                out,
                "blob files written: {:.3} MB by flushes, {:.3} MB by compactions; {:.3} MB \
                 reclaimed",
                mb(s.flush_blob_bytes),
                mb(s.compaction_blob_bytes),
                mb(s.blob_bytes_reclaimed)
            )?;
        }
        writeln!(
            out,
            "write amplification: {:.2}; stalls: {} ({} ms), slowdowns {}",
            s.write_amplification(),
            s.stalls,
            s.stall_micros / 1000,
            s.slowdowns
        )?;
        writeln!(
            out,
            "block cache: {:.3} / {:.3} MB, {} hits, {} misses; blocks read {}",
            s.block_cache_usage as f64 / 1048576.0,
            s.block_cache_capacity as f64 / 1048576.0,
            s.block_cache_hits,
            s.block_cache_misses,
            s.blocks_read
        )?;
        writeln!(
            out,
            "bloom: {} checks, {} negatives, {} false positives",
            s.bloom_checks, s.bloom_negatives, s.bloom_false_positives
        )
    }
}

/// What [`Db::verify`] checked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VerifyReport {
    /// Table files read.
    pub tables: usize,
    /// Entries read from them.
    pub entries: u64,
    /// Blob files read whole.
    pub blob_files: usize,
    /// Records read from them.
    pub blob_records: u64,
    /// Blob pointers of the tables followed to their records.
    pub blob_pointers: u64,
}

impl Core {
    fn stats(&self) -> DbStats {
        let mut out = DbStats {
            last_sequence: self.last_sequence(),
            archive: self.archive_stats(),
            ..Default::default()
        };
        let blobs =
            self.commit.lock().unwrap_or_else(|e| e.into_inner()).manifest_state.blobs.clone();
        let keyspaces = self.keyspaces.read().unwrap_or_else(|e| e.into_inner());
        for (name, ks) in keyspaces.iter() {
            let sv = ks.state.sv();
            let mut k = KeyspaceStats {
                name: name.clone(),
                immutable_memtables: sv.immutables.len(),
                levels: vec![LevelStats::default(); LEVELS],
                ..Default::default()
            };
            for m in sv.newest_first() {
                k.memtable_entries += m.len();
                k.memtable_bytes += m.approximate_bytes();
            }
            for f in blobs.get(&ks.state.id).into_iter().flat_map(|m| m.values()) {
                k.blob_files += 1;
                k.blob_bytes += f.size;
                k.blob_garbage_bytes += f.garbage_bytes;
            }
            let targets = crate::compaction::level_targets(&sv.files, &self.opts.compaction);
            for (level, files) in sv.files.iter().enumerate() {
                if let Some(l) = k.levels.get_mut(level) {
                    l.files = files.len();
                    l.bytes = files.iter().map(|f| f.size).sum();
                    l.entries = files.iter().map(|f| f.entries).sum();
                    l.target_bytes = targets.target.get(level).copied().unwrap_or(0);
                    l.score = if level == 0 {
                        l.files as f64 / self.opts.compaction.level0_trigger.max(1) as f64
                    } else if l.target_bytes > 0 {
                        l.bytes as f64 / l.target_bytes as f64
                    } else {
                        0.0
                    };
                }
            }
            out.keyspaces.push(k);
        }
        if let Some(c) = self.tables.block_cache() {
            let s = c.stats();
            out.block_cache_capacity = c.capacity();
            out.block_cache_usage = c.usage();
            out.block_cache_hits = s.hits;
            out.block_cache_misses = s.misses;
        }
        let c = &self.counters;
        out.user_bytes = c.user_bytes.load(Ordering::Relaxed);
        out.flushes = c.flushes.load(Ordering::Relaxed);
        out.flush_bytes = c.flush_bytes.load(Ordering::Relaxed);
        out.compactions = c.compactions.load(Ordering::Relaxed);
        out.trivial_moves = c.trivial_moves.load(Ordering::Relaxed);
        out.compaction_read_bytes = c.compaction_read_bytes.load(Ordering::Relaxed);
        out.compaction_write_bytes = c.compaction_write_bytes.load(Ordering::Relaxed);
        out.flush_blob_bytes = c.flush_blob_bytes.load(Ordering::Relaxed);
        out.compaction_blob_bytes = c.compaction_blob_bytes.load(Ordering::Relaxed);
        out.blob_bytes_reclaimed = c.blob_bytes_reclaimed.load(Ordering::Relaxed);
        out.stalls = c.stalls.load(Ordering::Relaxed);
        out.stall_micros = c.stall_micros.load(Ordering::Relaxed);
        out.slowdowns = c.slowdowns.load(Ordering::Relaxed);
        out.wal_syncs = c.wal_syncs.load(Ordering::Relaxed);
        out.wal_bytes = c.wal_bytes.load(Ordering::Relaxed);
        out.level_read_bytes = c.level_read.iter().map(|a| a.load(Ordering::Relaxed)).collect();
        out.level_write_bytes = c.level_write.iter().map(|a| a.load(Ordering::Relaxed)).collect();
        out.get_latency = c.get_latency.percentiles();
        out.write_latency = c.write_latency.percentiles();
        let r = self.tables.stats();
        out.blocks_read = r.blocks_read.load(Ordering::Relaxed);
        out.bloom_checks = r.bloom_checks.load(Ordering::Relaxed);
        out.bloom_negatives = r.bloom_negatives.load(Ordering::Relaxed);
        out.bloom_false_positives = r.bloom_false_positives.load(Ordering::Relaxed);
        out
    }

    fn verify(&self) -> Result<VerifyReport> {
        let mut report = VerifyReport::default();
        // One consistent view of tables and blob files; its `Arc<FileMeta>`s keep the tables,
        // and so the blob files they point into, from being removed while they are read.
        let (files, blobs) = {
            let cs = self.commit.lock().unwrap_or_else(|e| e.into_inner());
            (cs.manifest_state.files.clone(), cs.manifest_state.blobs.clone())
        };
        for (ks, levels) in &files {
            let own = blobs.get(ks);
            for meta in levels.iter().flatten() {
                let table = self.tables.table(meta)?;
                report.entries += table.verify()?;
                report.tables += 1;
                if !meta.blob_refs.is_empty() {
                    report.blob_pointers += self.verify_pointers(&table, meta, own)?;
                }
            }
        }
        for own in blobs.values() {
            for f in own.values() {
                let file = self.blobs.file(f.number)?;
                let (records, bytes) = file.scan(|_, _| {})?;
                if (records, bytes) != (f.records, f.record_bytes) {
                    return Err(crate::Error::corruption(format!(
                        "blob file {}: {records} records of {bytes} bytes, the manifest says \
                         {} of {}",
                        f.number, f.records, f.record_bytes
                    )));
                }
                report.blob_files += 1;
                report.blob_records += records;
            }
        }
        Ok(report)
    }

    /// Follows every blob pointer of `table` to its record; returns how many there were.
    fn verify_pointers(
        &self,
        table: &std::sync::Arc<crate::sst::Table>,
        meta: &crate::manifest::FileMeta,
        own: Option<&std::collections::BTreeMap<u64, crate::manifest::BlobFileMeta>>,
    ) -> Result<u64> {
        use crate::iter::InternalIterator;
        let mut it = table.compaction_iter();
        it.seek_to_first();
        let mut n = 0u64;
        while it.valid() {
            if crate::key::trailer_kind(it.trailer()) == crate::key::ValueKind::Blob as u8 {
                let p = crate::blob::BlobPointer::decode(it.value())?;
                if !meta.blob_refs.contains(&p.file)
                    || !own.is_some_and(|m| m.contains_key(&p.file))
                {
                    return Err(crate::Error::corruption(format!(
                        "sst {}: a pointer into blob file {}, which it does not list or the \
                         keyspace does not have",
                        meta.number, p.file
                    )));
                }
                self.blobs.read(it.user_key(), it.value())?;
                n += 1;
            }
            it.next();
        }
        it.status()?;
        Ok(n)
    }
}

impl Db {
    /// Counters and the shape of the tree.
    pub fn stats(&self) -> DbStats {
        self.core().stats()
    }

    /// Reads every block of every live table and every record of every live blob file, checks
    /// every checksum, and follows every blob pointer to its record; `Corruption` on the first
    /// damage found.
    pub fn verify(&self) -> Result<VerifyReport> {
        self.core().verify()
    }
}
