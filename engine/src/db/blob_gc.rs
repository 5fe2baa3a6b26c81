//! Blob garbage collection at the database level.
//!
//! * Every compaction counts the records of blob files its outputs stop pointing to (dropped,
//!   filtered out, or relocated); the manifest edit that installs the compaction adds them to
//!   each file's garbage ([`Core::blob_edit`]).
//! * A compaction relocates the live values of the keyspace's blob files whose garbage ratio
//!   passed `blob_gc_ratio` ([`Core::blobs_to_collect`]) into a new blob file.
//! * When no other compaction is due, one table pointing into such a file is rewritten in place
//!   ([`Core::pick_blob_gc`]), so that collection finishes even where the tree is quiet.
//! * A blob file all of whose records are garbage leaves the manifest in the same edit. No table
//!   of the tree points into it any more, but a reader holding an older super version may still
//!   hold such a table: the file is deleted once every table that was obsolete at that moment is
//!   gone ([`Core::retire_blobs`], [`Core::remove_obsolete_blobs`]). A crash in between leaves a
//!   file no manifest names, which the next open removes.
//!
//! Crash safety is the compaction's: new blob files and tables are fsynced before the one
//! manifest edit that names them, records their garbage and drops what they replace.

use super::keyspace::KeyspaceState;
use super::{CommitState, Core};
use crate::compaction::{Compaction, CompactionOutput};
use crate::filename;
use crate::manifest::{FileMeta, LevelFiles, VersionEdit};
use std::collections::BTreeSet;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};

/// A blob file removed from the manifest, waiting for the readers that may still reach it.
#[derive(Debug)]
pub(crate) struct RetiredBlob {
    number: u64,
    /// Every table obsolete when the file left the manifest: once none is alive, no super
    /// version can lead a reader into the file.
    holders: Vec<Weak<FileMeta>>,
}

impl Core {
    /// The blob files of keyspace `ks` whose garbage ratio passed `blob_gc_ratio`.
    pub(crate) fn blobs_to_collect(&self, ks: u32) -> BTreeSet<u64> {
        let cs = self.commit.lock().unwrap_or_else(|e| e.into_inner());
        cs.manifest_state.blobs.get(&ks).map_or_else(BTreeSet::new, |files| {
            files
                .values()
                .filter(|f| !f.all_garbage() && f.garbage_ratio() >= self.opts.blob_gc_ratio)
                .map(|f| f.number)
                .collect()
        })
    }

    /// A compaction that rewrites, onto its own level, the table of `files` pointing into the
    /// most garbage-laden blob file to collect; `None` when no table does (L0 tables are left to
    /// the regular compactions unless `allow_l0`).
    pub(crate) fn pick_blob_gc(
        &self,
        ks: &KeyspaceState,
        files: &LevelFiles,
        allow_l0: bool,
    ) -> Option<Compaction> {
        let collect = self.blobs_to_collect(ks.id);
        if collect.is_empty() {
            return None;
        }
        let (level, table) = files
            .iter()
            .enumerate()
            .filter(|(level, _)| allow_l0 || *level > 0)
            .flat_map(|(level, tables)| tables.iter().map(move |t| (level, t)))
            .find(|(_, t)| t.blob_refs.iter().any(|r| collect.contains(r)))?;
        Some(Compaction {
            level,
            output_level: level,
            inputs: vec![Arc::clone(table)],
            overlapping: Vec::new(),
            trivial_move: false,
            score: 0.0,
        })
    }

    /// Adds the blob side of a compaction's result to `edit` (commit lock held): the new blob
    /// files, the garbage found, and the removal of every file that garbage completes. Returns
    /// the removed files' numbers.
    pub(crate) fn blob_edit(
        &self,
        cs: &CommitState,
        ks: u32,
        out: &mut CompactionOutput,
        edit: &mut VersionEdit,
    ) -> Vec<u64> {
        let mut removed = Vec::new();
        let known = cs.manifest_state.blobs.get(&ks);
        for (number, g) in &out.blob_garbage {
            if let Some(f) = known.and_then(|m| m.get(number)) {
                if f.garbage_records + g.records >= f.records {
                    removed.push(*number);
                }
            }
            edit.blob_garbage.push((ks, *number, *g));
        }
        edit.new_blob_files
            .extend(std::mem::take(&mut out.blob_files).into_iter().map(|b| (ks, b)));
        edit.deleted_blob_files.extend(removed.iter().map(|n| (ks, *n)));
        removed
    }

    /// Queues blob files just removed from the manifest for deletion: once every table obsolete
    /// now (the ones this compaction replaced included, which the caller put on the obsolete
    /// list first) is gone.
    pub(crate) fn retire_blobs(&self, numbers: Vec<u64>) {
        if numbers.is_empty() {
            return;
        }
        let holders: Vec<Weak<FileMeta>> = self
            .obsolete
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(Arc::downgrade)
            .collect();
        let mut retired = self.retired_blobs.lock().unwrap_or_else(|e| e.into_inner());
        for number in numbers {
            retired.push(RetiredBlob { number, holders: holders.clone() });
        }
    }

    /// Deletes the retired blob files no reader can reach any more.
    pub(crate) fn remove_obsolete_blobs(&self) {
        let mut retired = self.retired_blobs.lock().unwrap_or_else(|e| e.into_inner());
        retired.retain(|r| {
            if r.holders.iter().any(|h| h.strong_count() > 0) {
                return true;
            }
            self.blobs.evict(r.number);
            let p = self.dir.join(filename::blob(r.number));
            let size = self.opts.fs.open(&p).and_then(|f| f.len()).unwrap_or(0);
            match self.opts.fs.remove(&p) {
                Ok(()) => {
                    self.counters.blob_bytes_reclaimed.fetch_add(size, Ordering::Relaxed);
                    false
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
                Err(_) => true, // try again later
            }
        });
    }

    /// True when retired blob files wait for readers.
    pub(crate) fn blobs_retired(&self) -> bool {
        !self.retired_blobs.lock().unwrap_or_else(|e| e.into_inner()).is_empty()
    }
}
