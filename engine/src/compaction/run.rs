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

use super::Horizon;
use crate::batch::KeyspaceId;
use crate::error::Result;
use crate::iter::{InternalIterator, MergingIterator};
use crate::key::{self, SequenceNumber, ValueKind};
use crate::manifest::FileMeta;
use crate::sst::{TableBuilder, TableOptions};
use std::sync::Arc;

/// What a compaction wrote.
#[derive(Debug, Default)]
pub struct CompactionOutput {
    /// The new tables.
    pub files: Vec<FileMeta>,
    /// Entries read from the inputs.
    pub entries_in: u64,
    /// Entries written.
    pub entries_out: u64,
    /// Entries dropped as invisible or as obsolete tombstones.
    pub dropped: u64,
    /// Entries a compaction filter removed or replaced.
    pub filtered: u64,
}

/// Where output tables go: `create(number)` makes the file of a new table number.
pub trait OutputFiles {
    /// A fresh file number.
    fn next_number(&mut self) -> u64;
    /// Creates the file for table `number`.
    fn create(&mut self, number: u64) -> Result<Arc<dyn crate::fs::WritableFile>>;
}

struct Output<'a> {
    builder: Option<(u64, TableBuilder)>,
    files: &'a mut dyn OutputFiles,
    topts: TableOptions,
    keyspace: KeyspaceId,
    done: Vec<FileMeta>,
}

impl Output<'_> {
    fn finish_current(&mut self) -> Result<()> {
        if let Some((number, b)) = self.builder.take() {
            let (props, size) = b.finish()?;
            self.done.push(crate::version::file_meta(number, size, props));
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
) -> Result<CompactionOutput> {
    let mut it = MergingIterator::new(inputs);
    it.seek_to_first();
    let mut out = Output { builder: None, files, topts, keyspace, done: Vec::new() };
    let mut stats = CompactionOutput::default();
    let mut current: Option<Vec<u8>> = None;
    let mut last_seq_for_key = SequenceNumber::MAX;
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
            let is_delete = ValueKind::from_u8(key::trailer_kind(t)) == Some(ValueKind::Delete);
            // The filter sees the newest version of a key, unless a snapshot can see it.
            let newest = last_seq_for_key == SequenceNumber::MAX;
            let decision = match &filter {
                Some(f) if newest && !is_delete && seq > f.newest_snapshot => {
                    f.filter.filter(f.keyspace, f.level, it.user_key(), it.value())
                }
                _ => super::Decision::Keep,
            };
            if decision != super::Decision::Keep {
                last_seq_for_key = seq;
                stats.filtered += 1;
                match decision {
                    super::Decision::Replace(v) => {
                        out.add(it.user_key(), t, &v)?;
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
            } else {
                let len = (it.user_key().len() + it.value().len()) as u64;
                out.add(it.user_key(), t, it.value())?;
                stats.entries_out += 1;
                throttle(len);
            }
            it.next();
        }
        it.status()?;
        out.finish_current()
    })();
    if let Err(e) = result {
        // Unfinished outputs are garbage: the caller removes every number it handed out.
        out.builder = None;
        return Err(e);
    }
    stats.files = out.done;
    Ok(stats)
}
