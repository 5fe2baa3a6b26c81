//! Running compactions: the background thread, installing results, removing obsolete tables,
//! manual `compact_range`, and the write stalls that keep L0 and the memtables bounded.

use super::keyspace::KeyspaceState;
use super::Core;
use crate::compaction::{self, picker, Compaction, CompactionStyle, OutputFiles};
use crate::error::{Error, Result};
use crate::filename;
use crate::fs::WritableFile;
use crate::iter::InternalIterator;
use crate::manifest::{FileMeta, VersionEdit, LEVELS};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Counters of background work (exported by `Db::stats`).
#[derive(Debug, Default)]
pub(crate) struct WorkCounters {
    pub(crate) user_bytes: std::sync::atomic::AtomicU64,
    pub(crate) flush_bytes: std::sync::atomic::AtomicU64,
    /// Bytes of blob files flushes wrote (separated values).
    pub(crate) flush_blob_bytes: std::sync::atomic::AtomicU64,
    /// Bytes of blob files compactions wrote (values relocated by blob GC, or replaced by the
    /// compaction filter).
    pub(crate) compaction_blob_bytes: std::sync::atomic::AtomicU64,
    /// Bytes of blob files removed once all their records were garbage.
    pub(crate) blob_bytes_reclaimed: std::sync::atomic::AtomicU64,
    pub(crate) flushes: std::sync::atomic::AtomicU64,
    pub(crate) compactions: std::sync::atomic::AtomicU64,
    pub(crate) trivial_moves: std::sync::atomic::AtomicU64,
    pub(crate) compaction_read_bytes: std::sync::atomic::AtomicU64,
    pub(crate) compaction_write_bytes: std::sync::atomic::AtomicU64,
    pub(crate) stalls: std::sync::atomic::AtomicU64,
    pub(crate) stall_micros: std::sync::atomic::AtomicU64,
    pub(crate) slowdowns: std::sync::atomic::AtomicU64,
    pub(crate) wal_syncs: std::sync::atomic::AtomicU64,
    pub(crate) wal_bytes: std::sync::atomic::AtomicU64,
    /// Per level: bytes compactions read from it.
    pub(crate) level_read: [std::sync::atomic::AtomicU64; LEVELS],
    /// Per level: bytes flushes and compactions wrote into it.
    pub(crate) level_write: [std::sync::atomic::AtomicU64; LEVELS],
    pub(crate) get_latency: crate::util::histogram::Histogram,
    pub(crate) write_latency: crate::util::histogram::Histogram,
}

struct Outputs<'a> {
    core: &'a Core,
    keyspace: u32,
    /// Every table and blob file number handed out (removed if the compaction fails).
    numbers: Vec<u64>,
}

impl Outputs<'_> {
    fn files(&self) -> super::flush::TableFiles<'_> {
        super::flush::TableFiles {
            fs: self.core.opts.fs.as_ref(),
            dir: &self.core.dir,
            direct: self.core.opts.direct_writes,
        }
    }
}

impl OutputFiles for Outputs<'_> {
    fn next_number(&mut self) -> u64 {
        let n = self.core.next_file.fetch_add(1, Ordering::SeqCst);
        self.numbers.push(n);
        n
    }

    fn create(&mut self, number: u64) -> Result<Arc<dyn WritableFile>> {
        Ok(self.files().create(number)?)
    }

    fn create_blob(&mut self, number: u64) -> Result<crate::blob::BlobWriter> {
        self.files().create_blob(number, self.keyspace)
    }
}

impl Core {
    /// Runs one compaction of any keyspace that needs one; `false` when none does.
    pub(crate) fn compact_once(&self) -> Result<bool> {
        for ks in self.keyspace_states() {
            // One compaction per keyspace at a time; other threads take other keyspaces.
            let Some(_claim) = self.compacting.try_claim(ks.id) else { continue };
            // A drop of the keyspace holds its claim until its tables are removed, and marks it
            // dropped before: checked under the claim, a dropped keyspace is never picked from
            // (its superversion still names tables that are gone).
            if ks.is_dropped() {
                continue;
            }
            if let Some(c) = self.pick_for(&ks) {
                self.execute(&ks, &c)?;
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The compaction `ks` needs now, by its style.
    fn pick_for(&self, ks: &KeyspaceState) -> Option<Compaction> {
        let files = ks.sv().files.clone();
        let style = self.opts.keyspace_styles.get(&ks.name).copied();
        let (picked, universal) = match style.unwrap_or(self.opts.compaction_style) {
            CompactionStyle::Leveled => {
                (compaction::pick(&files, &self.opts.compaction, &self.pointers_of(ks.id)), false)
            }
            CompactionStyle::Universal(u) => (compaction::pick_universal(&files, &u), true),
        };
        // Nothing else due: collect blob garbage (universal keeps everything in L0 runs).
        picked.or_else(|| self.pick_blob_gc(ks, &files, universal))
    }

    /// Whether `ks` needs a compaction now.
    pub(crate) fn compaction_due(&self, ks: &KeyspaceState) -> bool {
        self.pick_for(ks).is_some()
    }

    fn pointers_of(&self, ks: u32) -> Vec<Vec<u8>> {
        let p = self.compact_pointers.lock().unwrap_or_else(|e| e.into_inner());
        p.get(&ks).cloned().unwrap_or_else(|| vec![Vec::new(); LEVELS])
    }

    /// Runs `c` on keyspace `ks` and installs the result.
    pub(crate) fn execute(&self, ks: &Arc<KeyspaceState>, c: &Compaction) -> Result<()> {
        let c_level = c.level as u32;
        let out_level = c.output_level as u32;
        if c.trivial_move {
            let mut cs = self.commit.lock().unwrap_or_else(|e| e.into_inner());
            if ks.is_dropped() {
                return Ok(());
            }
            let edit = VersionEdit {
                deleted_files: c.inputs.iter().map(|f| (ks.id, c_level, f.number)).collect(),
                new_files: c.inputs.iter().map(|f| (ks.id, out_level, (**f).clone())).collect(),
                ..Default::default()
            };
            self.log_edit(&mut cs, &edit)?;
            self.install_files(&mut cs, ks);
            self.counters.trivial_moves.fetch_add(1, Ordering::Relaxed);
            self.advance_pointer(ks.id, c);
            return Ok(());
        }

        let sv = ks.sv();
        let mut iters: Vec<Box<dyn InternalIterator>> = Vec::new();
        let mut read_bytes = 0u64;
        for f in c.inputs.iter().chain(&c.overlapping) {
            iters.push(Box::new(self.tables.table(f)?.compaction_iter()));
            read_bytes += f.size;
        }
        // Tables that may hold older versions of the inputs' keys: everything at or below the
        // output level that the compaction does not rewrite (for a universal L0-to-L0 merge,
        // the older L0 runs too).
        let rewritten =
            |f: &Arc<FileMeta>| c.inputs.iter().chain(&c.overlapping).any(|i| i.number == f.number);
        let deeper: Vec<Arc<FileMeta>> = sv
            .files
            .iter()
            .skip(c.output_level)
            .flatten()
            .filter(|f| !rewritten(f))
            .cloned()
            .collect();
        let is_bottom = |k: &[u8]| {
            !deeper.iter().any(|f| f.smallest_user_key() <= k && k <= f.largest_user_key())
        };
        let (horizon, newest_snapshot) = self.snapshots.horizon(|| self.last_sequence());
        let mut outputs = Outputs { core: self, keyspace: ks.id, numbers: Vec::new() };
        let mut limiter = self.rate_limiter();
        let relocate = self.blobs_to_collect(ks.id);
        let read_blob = |k: &[u8], p: &[u8]| self.blobs.read(k, p);
        let result = compaction::run_compaction(
            iters,
            &horizon,
            &is_bottom,
            // An L0 output is one sorted run: never split it.
            if c.output_level == 0 { u64::MAX } else { self.opts.compaction.target_file_bytes },
            self.table_opts,
            ks.id,
            &mut outputs,
            &mut limiter,
            self.opts.compaction_filter.as_deref().map(|filter| compaction::run::FilterCtx {
                filter,
                keyspace: &ks.name,
                level: c.output_level,
                newest_snapshot,
            }),
            Some(compaction::run::BlobCompaction {
                read: &read_blob,
                relocate: &relocate,
                threshold: self.opts.blob_threshold_for(&ks.name),
                file_bytes_max: self.opts.blob_file_bytes_max,
            }),
        )
        .and_then(|out| {
            if !out.files.is_empty() {
                self.opts.fs.sync_dir(&self.dir)?;
            }
            Ok(out)
        });
        let mut out = match result {
            Ok(out) => out,
            Err(e) => {
                self.remove_tables(&outputs.numbers);
                return Err(e);
            }
        };
        let written: u64 = out.files.iter().map(|f| f.size).sum();
        let blob_written: u64 = out.blob_files.iter().map(|f| f.size).sum();
        let mut cs = self.commit.lock().unwrap_or_else(|e| e.into_inner());
        if ks.is_dropped() {
            drop(cs);
            self.remove_tables(&outputs.numbers);
            return Ok(());
        }
        let mut deleted: Vec<(u32, u32, u64)> =
            c.inputs.iter().map(|f| (ks.id, c_level, f.number)).collect();
        deleted.extend(c.overlapping.iter().map(|f| (ks.id, out_level, f.number)));
        let mut edit = VersionEdit {
            next_file: Some(self.next_file.load(Ordering::SeqCst)),
            // Dropped entries may carry the newest sequence of the inputs: keep it recorded.
            last_sequence: c.inputs.iter().chain(&c.overlapping).map(|f| f.largest_seq).max(),
            deleted_files: deleted,
            new_files: std::mem::take(&mut out.files)
                .into_iter()
                .map(|f| (ks.id, out_level, f))
                .collect(),
            ..Default::default()
        };
        let retired = self.blob_edit(&cs, ks.id, &mut out, &mut edit);
        // On failure the edit may be in the manifest already (a failed fsync after the append):
        // the outputs must stay. The next open removes them if the manifest does not name them.
        self.log_edit(&mut cs, &edit)?;
        self.install_files(&mut cs, ks);
        drop(cs);
        self.obsolete
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(c.inputs.iter().chain(&c.overlapping).cloned());
        self.retire_blobs(retired);
        self.counters.compactions.fetch_add(1, Ordering::Relaxed);
        self.counters.compaction_blob_bytes.fetch_add(blob_written, Ordering::Relaxed);
        self.counters.compaction_read_bytes.fetch_add(read_bytes, Ordering::Relaxed);
        self.counters.compaction_write_bytes.fetch_add(written, Ordering::Relaxed);
        let in_level: u64 = c.inputs.iter().map(|f| f.size).sum();
        if let Some(a) = self.counters.level_read.get(c.level) {
            a.fetch_add(in_level, Ordering::Relaxed);
        }
        if let Some(a) = self.counters.level_read.get(c.output_level) {
            a.fetch_add(read_bytes - in_level, Ordering::Relaxed);
        }
        if let Some(a) = self.counters.level_write.get(c.output_level) {
            a.fetch_add(written, Ordering::Relaxed);
        }
        self.advance_pointer(ks.id, c);
        self.remove_obsolete_tables();
        Ok(())
    }

    fn advance_pointer(&self, ks: u32, c: &Compaction) {
        if c.level == 0 {
            return;
        }
        let largest = c.inputs.iter().map(|f| f.largest_user_key()).max().map(<[u8]>::to_vec);
        let mut p = self.compact_pointers.lock().unwrap_or_else(|e| e.into_inner());
        let v = p.entry(ks).or_insert_with(|| vec![Vec::new(); LEVELS]);
        if let (Some(slot), Some(l)) = (v.get_mut(c.level), largest) {
            *slot = l;
        }
    }

    /// Publishes the manifest state's files of `ks` in a new super version (commit lock held).
    pub(crate) fn install_files(&self, cs: &mut super::CommitState, ks: &KeyspaceState) {
        let files = cs.manifest_state.files.get(&ks.id).cloned().unwrap_or_default();
        ks.install_files(Arc::new(files));
    }

    fn remove_tables(&self, numbers: &[u64]) {
        for n in numbers {
            let _ = self.opts.fs.remove(&self.dir.join(filename::table(*n)));
        }
    }

    /// Removes tables no super version refers to any more (the `obsolete` list holds the last
    /// reference), then the blob files that were waiting for them. Open iterators keep their
    /// tables open, so removing the file is safe.
    pub(crate) fn remove_obsolete_tables(&self) {
        self.remove_obsolete_table_files();
        self.remove_obsolete_blobs();
    }

    fn remove_obsolete_table_files(&self) {
        let mut obsolete = self.obsolete.lock().unwrap_or_else(|e| e.into_inner());
        obsolete.retain(|f| {
            if Arc::strong_count(f) > 1 {
                return true;
            }
            self.tables.evict(f.number);
            let p = self.dir.join(filename::table(f.number));
            match self.opts.fs.remove(&p) {
                Ok(()) => false,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
                Err(_) => true, // try again later
            }
        });
    }

    /// A throttle for compaction writes at `compaction_bytes_per_sec` (0: unlimited).
    fn rate_limiter(&self) -> impl FnMut(u64) + '_ {
        let rate = self.opts.compaction_bytes_per_sec;
        let start = Instant::now();
        let mut bytes = 0u64;
        move |n| {
            if rate == 0 {
                return;
            }
            bytes += n;
            let due = Duration::from_secs_f64(bytes as f64 / rate as f64);
            let elapsed = start.elapsed();
            if due > elapsed {
                std::thread::sleep(due - elapsed);
            }
        }
    }

    /// Runs compactions until none is needed; a failure poisons the database.
    pub(crate) fn compact_pending(&self) {
        loop {
            if self.check_poison().is_err() {
                return;
            }
            match self.compact_once() {
                Ok(true) => self.bg_cv.notify_all(),
                Ok(false) => {
                    self.remove_obsolete_tables();
                    return;
                }
                Err(e) => {
                    self.poison(&e);
                    self.bg_cv.notify_all();
                    return;
                }
            }
        }
    }

    /// Compacts every table of `ks` overlapping `[lo, hi]` (all when `None`) down to the last
    /// level, after flushing the memtables.
    pub(crate) fn compact_range(
        &self,
        ks: &Arc<KeyspaceState>,
        lo: Option<&[u8]>,
        hi: Option<&[u8]>,
    ) -> Result<()> {
        self.flush_all()?;
        let _claim = self.compacting.claim(ks.id);
        // Level by level down to the last level, then the last level onto itself (that is where
        // old versions and tombstones finally go).
        for level in 0..LEVELS {
            self.check_poison()?;
            if ks.is_dropped() {
                return Err(Error::KeyspaceDropped(ks.name.clone()));
            }
            let files = ks.sv().files.clone();
            let level_files = files.get(level).cloned().unwrap_or_default();
            let inputs: Vec<Arc<FileMeta>> = match (lo, hi) {
                (None, None) => level_files,
                _ => {
                    picker::overlapping(&level_files, lo.unwrap_or(&[]), hi.unwrap_or(&[0xff; 64]))
                }
            };
            let inputs = if level == 0 && !inputs.is_empty() {
                // L0 files overlap one another: take them all to keep newer over older.
                files.first().cloned().unwrap_or_default()
            } else {
                inputs
            };
            if inputs.is_empty() {
                continue;
            }
            if level == LEVELS - 1 {
                let c = Compaction {
                    level,
                    output_level: level,
                    inputs,
                    overlapping: Vec::new(),
                    trivial_move: false,
                    score: 0.0,
                };
                self.execute(ks, &c)?;
            } else if let Some(c) = picker::compaction_of(&files, level, level + 1, inputs, 0.0) {
                self.execute(ks, &c)?;
            }
        }
        // The compactions' inputs (and the blob files only they pointed into) can go now that
        // no `Compaction` holds them.
        self.remove_obsolete_tables();
        Ok(())
    }

    /// Before a write: slows down or stops the writer while L0 or the immutable memtables of the
    /// keyspaces it writes are past their thresholds, until compaction and flush catch up.
    pub(crate) fn stall_if_needed(&self, keyspaces: &[Arc<KeyspaceState>]) -> Result<()> {
        let o = &self.opts.compaction;
        let mut stalled: Option<Instant> = None;
        loop {
            self.check_poison()?;
            let (mut l0, mut memtables_full, mut pending) = (0usize, false, 0u64);
            for ks in keyspaces {
                // A dropped keyspace never flushes again: fail the write instead of waiting.
                self.check_keyspace(ks)?;
                let sv = ks.sv();
                l0 = l0.max(sv.files.first().map_or(0, Vec::len));
                // Writes stop only when the active memtable is full *and* no more immutable ones
                // may queue for flush (RocksDB's max_write_buffer_number): until then, the
                // active memtable keeps taking writes while the flush runs.
                memtables_full |= sv.immutables.len() >= self.opts.max_immutable_memtables
                    && sv.active.approximate_bytes() >= self.opts.memtable_bytes_max;
                pending = pending.max(compaction::pending_bytes(&sv.files, o));
            }
            let stop = l0 >= o.level0_stop || memtables_full || pending >= o.pending_bytes_stop;
            if stop && self.opts.background_flush {
                stalled.get_or_insert_with(|| {
                    self.counters.stalls.fetch_add(1, Ordering::Relaxed);
                    Instant::now()
                });
                self.request_flush();
                self.request_compaction();
                let bg = self.bg.lock().unwrap_or_else(|e| e.into_inner());
                let _ = self
                    .bg_cv
                    .wait_timeout(bg, Duration::from_millis(10))
                    .unwrap_or_else(|e| e.into_inner());
                continue;
            }
            if let Some(t) = stalled {
                self.counters
                    .stall_micros
                    .fetch_add(t.elapsed().as_micros() as u64, Ordering::Relaxed);
            }
            if l0 >= o.level0_slowdown || pending >= o.pending_bytes_slowdown {
                // Give compaction a head start: one millisecond per write while L0 is deep.
                self.counters.slowdowns.fetch_add(1, Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(1));
            }
            return Ok(());
        }
    }
}
