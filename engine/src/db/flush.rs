//! Flush: immutable memtables become L0 SSTables.
//!
//! One background thread flushes the oldest immutable memtable of any keyspace, oldest first:
//! 1. write the table (`NNNNNN.sst`) and fsync it, then fsync the directory;
//! 2. under the commit lock, append a manifest edit (the new file; every keyspace's log number:
//!    the WAL holding its oldest unflushed write) and fsync the manifest;
//! 3. install a new super version (the memtable leaves, the table comes in);
//! 4. remove WAL files below the smallest keyspace log number: every write they hold is now in
//!    a durable table named by a durable manifest.
//!
//! A crash before step 2 leaves an unnamed table (removed at the next open) and the WAL (replayed).

use super::keyspace::KeyspaceState;
use super::Core;
use crate::batch::KeyspaceId;
use crate::blob::BlobWriter;
use crate::compaction::Horizon;
use crate::error::{Error, Result};
use crate::filename;
use crate::fs::FileSystem;
use crate::iter::InternalIterator;
use crate::key::{self, SequenceNumber, ValueKind};
use crate::manifest::{BlobFileMeta, FileMeta, VersionEdit};
use crate::memtable::MemTable;
use crate::sst::{TableBuilder, TableOptions};
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// Where new tables and blob files are written: the database directory, and whether through
/// `O_DIRECT` ([`FileSystem::create_direct`], `Options::direct_writes`).
pub(crate) struct TableFiles<'a> {
    pub fs: &'a dyn FileSystem,
    pub dir: &'a Path,
    pub direct: bool,
}

impl TableFiles<'_> {
    /// The path of table `number`.
    pub fn path(&self, number: u64) -> std::path::PathBuf {
        self.dir.join(filename::table(number))
    }

    /// The path of blob file `number`.
    pub fn blob_path(&self, number: u64) -> std::path::PathBuf {
        self.dir.join(filename::blob(number))
    }

    fn create_at(&self, path: &Path) -> std::io::Result<Arc<dyn crate::fs::WritableFile>> {
        if self.direct {
            self.fs.create_direct(path)
        } else {
            self.fs.create(path)
        }
    }

    /// Creates table `number` for writing.
    pub fn create(&self, number: u64) -> std::io::Result<Arc<dyn crate::fs::WritableFile>> {
        self.create_at(&self.path(number))
    }

    /// Creates blob file `number` of keyspace `ks` for writing.
    pub fn create_blob(&self, number: u64, ks: KeyspaceId) -> Result<BlobWriter> {
        Ok(BlobWriter::new(self.create_at(&self.blob_path(number))?, number, ks))
    }
}

/// Where a flush puts values of at least `threshold` bytes: a new blob file numbered by
/// `next_number` (called only if some value qualifies).
pub(crate) struct BlobSeparation<'a> {
    pub threshold: usize,
    pub next_number: &'a mut dyn FnMut() -> u64,
}

/// What a flush wrote: the table, and the blob file of its separated values, if any.
pub(crate) struct Flushed {
    pub table: FileMeta,
    pub blob: Option<BlobFileMeta>,
}

/// Writes `mem` as table `number` of keyspace `ks` and fsyncs it; `None` (and no file) when the
/// memtable is empty. With `blobs`, values of at least its threshold go to one new blob file
/// (fsynced too) and the table holds pointers to them. The caller fsyncs the directory.
///
/// Versions no reader can see (see [`Horizon::shadowed`]) are not written: a hot key overwritten
/// a thousand times in one memtable becomes one entry, plus one per snapshot stripe. Tombstones
/// stay: older versions may live in deeper tables.
pub(crate) fn build_table(
    files: &TableFiles<'_>,
    number: u64,
    ks: KeyspaceId,
    mem: &Arc<MemTable>,
    topts: &TableOptions,
    horizon: &Horizon,
    mut blobs: Option<BlobSeparation<'_>>,
) -> Result<Option<Flushed>> {
    if mem.is_empty() {
        return Ok(None);
    }
    let mut blob: Option<BlobWriter> = None;
    let mut blob_number: Option<u64> = None;
    let result = (|| {
        let file = files.create(number)?;
        let mut b = TableBuilder::new(file, *topts, ks);
        let mut it = mem.iter();
        it.seek_to_first();
        // The sequence of the previous entry if it had the same user key as the current one.
        let mut newer_seq: Option<SequenceNumber> = None;
        let mut last_key: Vec<u8> = Vec::new();
        let mut pointer = Vec::with_capacity(crate::blob::POINTER_LEN_MAX);
        while it.valid() {
            let same_key = newer_seq.is_some() && it.user_key() == last_key.as_slice();
            let seq = key::trailer_seq(it.trailer());
            if !(same_key && newer_seq.is_some_and(|n| horizon.shadowed(seq, n))) {
                let is_put = key::trailer_kind(it.trailer()) == ValueKind::Put as u8;
                match &mut blobs {
                    Some(sep) if is_put && it.value().len() >= sep.threshold => {
                        let w = match &mut blob {
                            Some(w) => w,
                            None => {
                                let n = (sep.next_number)();
                                blob_number = Some(n);
                                blob.insert(files.create_blob(n, ks)?)
                            }
                        };
                        let p = w.add(it.user_key(), it.value())?;
                        pointer.clear();
                        p.encode_to(&mut pointer);
                        b.add(it.user_key(), key::trailer(seq, ValueKind::Blob as u8), &pointer)?;
                    }
                    _ => b.add(it.user_key(), it.trailer(), it.value())?,
                }
            }
            if !same_key {
                last_key.clear();
                last_key.extend_from_slice(it.user_key());
            }
            newer_seq = Some(seq);
            it.next();
        }
        let blob_meta = match blob.take() {
            Some(w) => {
                let n = w.number();
                let s = w.finish()?;
                Some(BlobFileMeta {
                    number: n,
                    size: s.size,
                    records: s.records,
                    record_bytes: s.record_bytes,
                    ..Default::default()
                })
            }
            None => None,
        };
        let (props, size) = b.finish()?;
        let mut table = crate::version::file_meta(number, size, props);
        table.blob_refs = blob_meta.iter().map(|m| m.number).collect();
        Ok(Flushed { table, blob: blob_meta })
    })();
    match result {
        Ok(f) => Ok(Some(f)),
        Err(e) => {
            let _ = files.fs.remove(&files.path(number));
            if let Some(n) = blob_number {
                let _ = files.fs.remove(&files.blob_path(n));
            }
            Err(e)
        }
    }
}

impl Core {
    /// The keyspace whose oldest immutable memtable is the oldest of all.
    /// The keyspace (not being flushed by another thread) whose oldest immutable memtable is the
    /// oldest of all, claimed.
    fn next_flush(&self) -> Option<(Arc<KeyspaceState>, Arc<MemTable>, super::busy::Claim<'_>)> {
        let mut candidates: Vec<(Arc<KeyspaceState>, Arc<MemTable>)> = {
            let keyspaces = self.keyspaces.read().unwrap_or_else(|e| e.into_inner());
            keyspaces
                .values()
                .filter_map(|ks| {
                    ks.state.sv().immutables.last().cloned().map(|m| (Arc::clone(&ks.state), m))
                })
                .collect()
        };
        candidates.sort_by_key(|(_, m)| m.wal_number());
        for (ks, _) in candidates {
            if let Some(claim) = self.flushing.try_claim(ks.id) {
                // Re-read under the claim: another thread may have flushed it meanwhile.
                if let Some(m) = ks.sv().immutables.last().cloned() {
                    return Some((ks, m, claim));
                }
            }
        }
        None
    }

    /// Flushes one immutable memtable; `false` when there was none (or every keyspace holding
    /// one is being flushed by another thread).
    pub(crate) fn flush_one(&self) -> Result<bool> {
        let Some((ks, mem, _claim)) = self.next_flush() else { return Ok(false) };
        let number = self.next_file.fetch_add(1, Ordering::SeqCst);
        let fs = self.opts.fs.as_ref();
        let (horizon, _) = self.snapshots.horizon(|| self.last_sequence());
        let files = TableFiles { fs, dir: &self.dir, direct: self.opts.direct_writes };
        let mut next_number = || self.next_file.fetch_add(1, Ordering::SeqCst);
        let blobs = self
            .opts
            .blob_threshold_for(&ks.name)
            .map(|threshold| BlobSeparation { threshold, next_number: &mut next_number });
        let flushed = build_table(&files, number, ks.id, &mem, &self.table_opts, &horizon, blobs)?;
        if flushed.is_some() {
            fs.sync_dir(&self.dir)?;
        }
        let mut cs = self.commit.lock().unwrap_or_else(|e| e.into_inner());
        if ks.is_dropped() {
            if let Some(f) = &flushed {
                let _ = fs.remove(&files.path(number));
                if let Some(b) = &f.blob {
                    let _ = fs.remove(&files.blob_path(b.number));
                }
            }
            return Ok(true);
        }
        let (table, blob) = match flushed {
            Some(f) => (Some(f.table), f.blob),
            None => (None, None),
        };
        let blob_bytes = blob.as_ref().map_or(0, |b| b.size);
        let mut edit = VersionEdit {
            next_file: Some(self.next_file.load(Ordering::SeqCst)),
            // The table is durable: its newest sequence must never be handed out again, even once
            // a compaction drops the entry that carries it.
            last_sequence: table.as_ref().map(|m| m.largest_seq),
            new_files: table.into_iter().map(|m| (ks.id, 0, m)).collect(),
            new_blob_files: blob.into_iter().map(|b| (ks.id, b)).collect(),
            ..Default::default()
        };
        let current = cs.wal_number;
        {
            let keyspaces = self.keyspaces.read().unwrap_or_else(|e| e.into_inner());
            for other in keyspaces.values() {
                let log = if Arc::ptr_eq(&other.state, &ks) {
                    ks.log_number_without(&mem, current)
                } else {
                    other.state.log_number(current)
                };
                edit.keyspace_logs.push((other.state.id, log));
            }
        }
        let global = edit.keyspace_logs.iter().map(|(_, l)| *l).min().unwrap_or(current);
        edit.log_number = Some(global);
        self.log_edit(&mut cs, &edit)?;
        let files = cs.manifest_state.files.get(&ks.id).cloned().unwrap_or_default();
        ks.install_flush(&mem, Arc::new(files));
        self.counters.flushes.fetch_add(1, Ordering::Relaxed);
        if let Some((_, _, m)) = edit.new_files.first() {
            self.counters.flush_bytes.fetch_add(m.size, Ordering::Relaxed);
            if let Some(l0) = self.counters.level_write.first() {
                l0.fetch_add(m.size, Ordering::Relaxed);
            }
        }
        self.counters.flush_blob_bytes.fetch_add(blob_bytes, Ordering::Relaxed);
        // Every write in WAL files below `global` is in a durable table now.
        let obsolete: Vec<u64> = cs.live_wals.range(..global).copied().collect();
        for n in obsolete {
            if n != current {
                let span = cs.sealed_spans.remove(&n).flatten();
                match &self.archive {
                    // A rename: durable at the archive's next sync (`archive/mod.rs`).
                    Some(a) => {
                        if let Err(e) = a.take_wal(n, span) {
                            cs.sealed_spans.insert(n, span);
                            return Err(e);
                        }
                    }
                    None => fs.remove(&self.dir.join(filename::wal(n)))?,
                }
                cs.live_wals.remove(&n);
            }
        }
        Ok(true)
    }

    /// Flushes until no immutable memtable is left; a failure poisons the database.
    pub(crate) fn flush_pending(&self) {
        loop {
            if self.check_poison().is_err() {
                return;
            }
            match self.flush_one() {
                Ok(true) => self.bg_cv.notify_all(),
                Ok(false) => {
                    self.request_compaction();
                    return;
                }
                Err(e) => {
                    self.poison(&e);
                    return;
                }
            }
        }
    }

    /// Switches every non-empty memtable and waits until every immutable memtable is flushed.
    pub(crate) fn flush_all(&self) -> Result<()> {
        self.check_poison()?;
        {
            let mut cs = self.commit.lock().unwrap_or_else(|e| e.into_inner());
            let keyspaces = self.keyspaces.read().unwrap_or_else(|e| e.into_inner());
            let full: Vec<Arc<KeyspaceState>> = keyspaces
                .values()
                .filter(|k| !k.state.sv().active.is_empty())
                .map(|k| Arc::clone(&k.state))
                .collect();
            drop(keyspaces);
            if !full.is_empty() {
                if let Err(e) = self.rotate_wal(&mut cs, &full) {
                    self.poison(&e);
                    return Err(e);
                }
            }
        }
        if self.opts.background_flush {
            self.request_flush();
        } else {
            self.flush_pending();
        }
        let mut bg = self.bg.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            self.check_poison()?;
            let pending = {
                let keyspaces = self.keyspaces.read().unwrap_or_else(|e| e.into_inner());
                keyspaces.values().any(|k| !k.state.sv().immutables.is_empty())
            };
            if !pending {
                return Ok(());
            }
            if bg.shutdown {
                return Err(Error::invalid("database is closing"));
            }
            let (g, _) = self
                .bg_cv
                .wait_timeout(bg, std::time::Duration::from_millis(50))
                .unwrap_or_else(|e| e.into_inner());
            bg = g;
        }
    }
}
