//! Runs one compaction: merge the inputs, drop what no reader can see, write output tables.
//!
//! Garbage collection, for the versions of one user key seen newest first:
//! * a version is dropped when no reader reads between it and the key's next newer version
//!   ([`Horizon::shadowed`]): every reader that could see it sees the newer one;
//! * a tombstone at or below every reader's sequence ([`Horizon::smallest`]) is dropped when no
//!   level below the output level holds the key (`is_bottom(key)`): there is nothing left for it
//!   to hide.
//!
//! Outputs are cut at user-key boundaries once they reach `target_file_bytes`, so that a user
//! key never spans two tables of one level.
//!
//! Blob entries (values separated into blob files) move as pointers. The compaction counts, per
//! blob file, the records whose pointer it does not carry on (dropped, removed by the filter, or
//! relocated): that is the file's new garbage. With [`BlobCompaction`], it also relocates the
//! live values of the files named in `relocate` (their garbage ratio passed `blob_gc_ratio`) into
//! a new blob file, and reads a blob entry's value when the compaction filter needs to see it.

use super::Horizon;
use crate::batch::KeyspaceId;
use crate::blob::{BlobPointer, BlobWriter};
use crate::error::{Error, Result};
use crate::iter::{InternalIterator, MergingIterator};
use crate::key::{self, SequenceNumber, ValueKind};
use crate::manifest::{BlobFileMeta, BlobGarbage, FileMeta};
use crate::sst::{TableBuilder, TableOptions};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// What a compaction wrote.
#[derive(Debug, Default)]
pub struct CompactionOutput {
    /// The new tables.
    pub files: Vec<FileMeta>,
    /// The new blob files (relocated values, and replaced values at or above the threshold).
    pub blob_files: Vec<BlobFileMeta>,
    /// Per blob file: the records of it the outputs no longer point to.
    pub blob_garbage: BTreeMap<u64, BlobGarbage>,
    /// Entries read from the inputs.
    pub entries_in: u64,
    /// Entries written.
    pub entries_out: u64,
    /// Entries dropped as invisible or as obsolete tombstones.
    pub dropped: u64,
    /// Entries a compaction filter removed or replaced.
    pub filtered: u64,
    /// Values moved out of blob files being collected.
    pub relocated: u64,
}

/// Where output tables go: `create(number)` makes the file of a new table number.
pub trait OutputFiles {
    /// A fresh file number.
    fn next_number(&mut self) -> u64;
    /// Creates the file for table `number`.
    fn create(&mut self, number: u64) -> Result<Arc<dyn crate::fs::WritableFile>>;
    /// Creates blob file `number` (for relocated or replaced values).
    fn create_blob(&mut self, number: u64) -> Result<BlobWriter>;
}

/// Reads the value of a blob entry: `(key, encoded pointer) -> value`.
pub type ReadBlob<'a> = &'a dyn Fn(&[u8], &[u8]) -> Result<Vec<u8>>;

/// How a compaction treats blob entries beyond carrying their pointers.
pub struct BlobCompaction<'a> {
    /// Reads the value of a blob entry.
    pub read: ReadBlob<'a>,
    /// Blob files whose live values are moved to a new blob file.
    pub relocate: &'a BTreeSet<u64>,
    /// A value the filter replaces goes to a blob file when it has at least this many bytes.
    pub threshold: Option<usize>,
    /// A new blob output is started once the current one holds this many bytes.
    pub file_bytes_max: u64,
}

struct Output<'a> {
    builder: Option<(u64, TableBuilder)>,
    /// Blob files the current table's entries point into.
    refs: BTreeSet<u64>,
    blob: Option<BlobWriter>,
    files: &'a mut dyn OutputFiles,
    topts: TableOptions,
    keyspace: KeyspaceId,
    done: Vec<FileMeta>,
    blobs_done: Vec<BlobFileMeta>,
    pointer: Vec<u8>,
}

impl Output<'_> {
    fn finish_current(&mut self) -> Result<()> {
        if let Some((number, b)) = self.builder.take() {
            let (props, size) = b.finish()?;
            let mut meta = crate::version::file_meta(number, size, props);
            meta.blob_refs = std::mem::take(&mut self.refs).into_iter().collect();
            self.done.push(meta);
        }
        Ok(())
    }

    fn finish_blob(&mut self) -> Result<()> {
        if let Some(w) = self.blob.take() {
            let number = w.number();
            let s = w.finish()?;
            self.blobs_done.push(BlobFileMeta {
                number,
                size: s.size,
                records: s.records,
                record_bytes: s.record_bytes,
                ..Default::default()
            });
        }
        Ok(())
    }

    fn add(&mut self, user_key: &[u8], trailer: u64, value: &[u8]) -> Result<()> {
        if self.builder.is_none() {
            let number = self.files.next_number();
            let file = self.files.create(number)?;
            self.builder = Some((number, TableBuilder::new(file, self.topts, self.keyspace)));
        }
        if let Some((_, b)) = &mut self.builder {
            b.add(user_key, trailer, value)?;
        }
        Ok(())
    }

    /// Adds a blob entry carrying `pointer` (already encoded in `value`).
    fn add_pointer(
        &mut self,
        user_key: &[u8],
        trailer: u64,
        value: &[u8],
        file: u64,
    ) -> Result<()> {
        self.refs.insert(file);
        self.add(user_key, trailer, value)
    }

    /// Writes `value` to the blob output and adds a blob entry pointing to it.
    fn add_to_blob(
        &mut self,
        user_key: &[u8],
        seq: SequenceNumber,
        value: &[u8],
        file_bytes_max: u64,
    ) -> Result<()> {
        if self.blob.as_ref().is_some_and(|w| w.len() >= file_bytes_max) {
            self.finish_blob()?;
        }
        let w = match &mut self.blob {
            Some(w) => w,
            None => {
                let n = self.files.next_number();
                self.blob.insert(self.files.create_blob(n)?)
            }
        };
        let p = w.add(user_key, value)?;
        let mut pointer = std::mem::take(&mut self.pointer);
        pointer.clear();
        p.encode_to(&mut pointer);
        let r =
            self.add_pointer(user_key, key::trailer(seq, ValueKind::Blob as u8), &pointer, p.file);
        self.pointer = pointer;
        r
    }

    fn size(&self) -> u64 {
        self.builder.as_ref().map_or(0, |(_, b)| b.estimated_size())
    }
}

/// A compaction filter bound to one compaction: the keyspace's name and the output level.
pub struct FilterCtx<'a> {
    /// The filter.
    pub filter: &'a dyn super::CompactionFilter,
    /// The keyspace compacted.
    pub keyspace: &'a str,
    /// The output level.
    pub level: usize,
    /// The newest live snapshot (0: none). Versions a snapshot can see are never filtered.
    pub newest_snapshot: SequenceNumber,
}

/// Counts the record a blob entry (`user_key`, encoded `pointer`) names as garbage.
fn note_garbage(
    garbage: &mut BTreeMap<u64, BlobGarbage>,
    user_key: &[u8],
    pointer: &[u8],
) -> Result<BlobPointer> {
    let p = BlobPointer::decode(pointer)?;
    let g = garbage.entry(p.file).or_default();
    g.records += 1;
    g.bytes += p.record_len(user_key.len()) as u64;
    Ok(p)
}

/// Merges `inputs` into new tables of at most about `target_file_bytes` each.
#[allow(clippy::too_many_arguments)]
pub fn run_compaction(
    inputs: Vec<Box<dyn InternalIterator>>,
    horizon: &Horizon,
    is_bottom: &dyn Fn(&[u8]) -> bool,
    target_file_bytes: u64,
    topts: TableOptions,
    keyspace: KeyspaceId,
    files: &mut dyn OutputFiles,
    throttle: &mut dyn FnMut(u64),
    filter: Option<FilterCtx<'_>>,
    blobs: Option<BlobCompaction<'_>>,
) -> Result<CompactionOutput> {
    let mut it = MergingIterator::new(inputs);
    it.seek_to_first();
    let mut out = Output {
        builder: None,
        refs: BTreeSet::new(),
        blob: None,
        files,
        topts,
        keyspace,
        done: Vec::new(),
        blobs_done: Vec::new(),
        pointer: Vec::new(),
    };
    let mut stats = CompactionOutput::default();
    let mut current: Option<Vec<u8>> = None;
    let mut last_seq_for_key = SequenceNumber::MAX;
    let read_blob = |k: &[u8], v: &[u8]| match &blobs {
        Some(b) => (b.read)(k, v),
        None => Err(Error::corruption("compaction: a blob entry, and no blob files to read")),
    };
    let result = (|| {
        while it.valid() {
            stats.entries_in += 1;
            let t = it.trailer();
            let seq = key::trailer_seq(t);
            let new_key = current.as_deref() != Some(it.user_key());
            if new_key {
                // Cut the output only between user keys.
                if out.size() >= target_file_bytes {
                    out.finish_current()?;
                }
                current = Some(it.user_key().to_vec());
                last_seq_for_key = SequenceNumber::MAX;
            }
            let kind = ValueKind::from_u8(key::trailer_kind(t));
            let is_delete = kind == Some(ValueKind::Delete);
            let is_blob = kind == Some(ValueKind::Blob);
            // The filter sees the newest version of a key, unless a snapshot can see it.
            let newest = last_seq_for_key == SequenceNumber::MAX;
            let decision = match &filter {
                Some(f) if newest && !is_delete && seq > f.newest_snapshot => {
                    if is_blob {
                        let v = read_blob(it.user_key(), it.value())?;
                        f.filter.filter(f.keyspace, f.level, it.user_key(), &v)
                    } else {
                        f.filter.filter(f.keyspace, f.level, it.user_key(), it.value())
                    }
                }
                _ => super::Decision::Keep,
            };
            if decision != super::Decision::Keep {
                last_seq_for_key = seq;
                stats.filtered += 1;
                if is_blob {
                    note_garbage(&mut stats.blob_garbage, it.user_key(), it.value())?;
                }
                match decision {
                    super::Decision::Replace(v) => {
                        let threshold = blobs.as_ref().and_then(|b| b.threshold);
                        match (&blobs, threshold) {
                            (Some(b), Some(th)) if v.len() >= th => {
                                out.add_to_blob(it.user_key(), seq, &v, b.file_bytes_max)?
                            }
                            _ => {
                                out.add(it.user_key(), key::trailer(seq, ValueKind::Put as u8), &v)?
                            }
                        }
                        stats.entries_out += 1;
                    }
                    _ if is_bottom(it.user_key()) => stats.dropped += 1,
                    _ => {
                        // A tombstone in its place hides older versions further down.
                        let tomb = key::trailer(seq, ValueKind::Delete as u8);
                        out.add(it.user_key(), tomb, &[])?;
                        stats.entries_out += 1;
                    }
                }
                it.next();
                continue;
            }
            let drop = if last_seq_for_key != SequenceNumber::MAX
                && horizon.shadowed(seq, last_seq_for_key)
            {
                true // every reader that could see it sees the newer version
            } else {
                is_delete && seq <= horizon.smallest() && is_bottom(it.user_key())
            };
            last_seq_for_key = seq;
            if drop {
                stats.dropped += 1;
                if is_blob {
                    note_garbage(&mut stats.blob_garbage, it.user_key(), it.value())?;
                }
            } else {
                let len = (it.user_key().len() + it.value().len()) as u64;
                if is_blob {
                    let p = BlobPointer::decode(it.value())?;
                    match &blobs {
                        Some(b) if b.relocate.contains(&p.file) => {
                            let v = (b.read)(it.user_key(), it.value())?;
                            note_garbage(&mut stats.blob_garbage, it.user_key(), it.value())?;
                            out.add_to_blob(it.user_key(), seq, &v, b.file_bytes_max)?;
                            stats.relocated += 1;
                        }
                        _ => out.add_pointer(it.user_key(), t, it.value(), p.file)?,
                    }
                } else {
                    out.add(it.user_key(), t, it.value())?;
                }
                stats.entries_out += 1;
                throttle(len);
            }
            it.next();
        }
        it.status()?;
        out.finish_current()?;
        out.finish_blob()
    })();
    if let Err(e) = result {
        // Unfinished outputs are garbage: the caller removes every number it handed out.
        out.builder = None;
        out.blob = None;
        return Err(e);
    }
    stats.files = out.done;
    stats.blob_files = out.blobs_done;
    Ok(stats)
}
