//! The write path: batches, group commit, memtable rotation.
//!
//! Writers enqueue their batch and wait. Whichever waiting writer finds no leader becomes the
//! leader: it takes every pending batch (up to `group_commit_bytes_max`), assigns sequence
//! numbers, appends all of them to the WAL with one `write`, fsyncs once if any writer of the
//! group asked for `sync`, inserts the entries into the memtables, publishes the group's last
//! sequence number to readers, and wakes the group. While it works, new writers queue up behind
//! it and form the next group, so the cost of an fsync is shared by every writer waiting on it.
//!
//! A failed WAL write or fsync poisons the database: every later write fails with
//! [`Error::Poisoned`] until it is reopened (after a failed fsync the kernel may have dropped the
//! dirty pages, so nothing written since the last good fsync can be trusted to be on disk).

use super::keyspace::KeyspaceState;
use super::{filename, Core, Keyspace};
use crate::batch::{BatchRep, KeyspaceId};
use crate::error::{Error, Result};
use crate::key::SequenceNumber;
use crate::memtable::MemTable;
use crate::wal::LogWriter;
use crate::WriteOptions;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// An atomic group of puts and deletes, possibly across keyspaces.
#[derive(Debug, Clone, Default)]
pub struct WriteBatch {
    pub(crate) rep: BatchRep,
    pub(crate) keyspaces: Vec<Arc<KeyspaceState>>,
    key_len_max_seen: usize,
    value_len_max_seen: usize,
}

impl WriteBatch {
    /// An empty batch.
    pub fn new() -> Self {
        Self::default()
    }

    fn note_keyspace(&mut self, ks: &Keyspace) {
        if !self.keyspaces.iter().any(|k| Arc::ptr_eq(k, &ks.state)) {
            self.keyspaces.push(Arc::clone(&ks.state));
        }
    }

    /// Adds a put of `key` = `value` in `ks`.
    pub fn put(&mut self, ks: &Keyspace, key: &[u8], value: &[u8]) -> &mut Self {
        self.note_keyspace(ks);
        self.key_len_max_seen = self.key_len_max_seen.max(key.len());
        self.value_len_max_seen = self.value_len_max_seen.max(value.len());
        self.rep.put(ks.state.id, key, value);
        self
    }

    /// Adds a delete of `key` in `ks`.
    pub fn delete(&mut self, ks: &Keyspace, key: &[u8]) -> &mut Self {
        self.note_keyspace(ks);
        self.key_len_max_seen = self.key_len_max_seen.max(key.len());
        self.rep.delete(ks.state.id, key);
        self
    }

    /// Number of puts and deletes.
    pub fn len(&self) -> usize {
        self.rep.count() as usize
    }

    /// True when the batch holds nothing.
    pub fn is_empty(&self) -> bool {
        self.rep.count() == 0
    }

    /// Encoded size in bytes (what the WAL record will carry).
    pub fn encoded_len(&self) -> usize {
        self.rep.encoded_len()
    }

    /// Removes every entry.
    pub fn clear(&mut self) {
        *self = Self::default();
    }
}

struct Pending {
    id: u64,
    batch: WriteBatch,
    sync: bool,
}

#[derive(Default)]
pub(crate) struct WriteQueue {
    next_id: u64,
    pending: VecDeque<Pending>,
    leader_active: bool,
    done: HashMap<u64, Result<()>>,
    /// Writers blocked on the condition variable: the leader wakes them only when there are
    /// any (a wake is a futex syscall even with nobody waiting; a lone writer never needs one).
    waiting: usize,
}

impl Core {
    fn validate(&self, batch: &WriteBatch) -> Result<()> {
        let o = &self.opts;
        if batch.key_len_max_seen > o.key_len_max {
            return Err(Error::invalid(format!(
                "key of {} bytes exceeds key_len_max ({})",
                batch.key_len_max_seen, o.key_len_max
            )));
        }
        if batch.value_len_max_seen > o.value_len_max {
            return Err(Error::invalid(format!(
                "value of {} bytes exceeds value_len_max ({})",
                batch.value_len_max_seen, o.value_len_max
            )));
        }
        if batch.encoded_len() > o.batch_bytes_max {
            return Err(Error::invalid(format!(
                "write batch of {} bytes exceeds batch_bytes_max ({})",
                batch.encoded_len(),
                o.batch_bytes_max
            )));
        }
        for ks in &batch.keyspaces {
            self.check_keyspace(ks)?;
        }
        Ok(())
    }

    pub(crate) fn check_keyspace(&self, ks: &KeyspaceState) -> Result<()> {
        if ks.db_id != self.db_id {
            return Err(Error::invalid(format!(
                "keyspace {:?} belongs to another database handle",
                ks.name
            )));
        }
        if ks.is_dropped() {
            return Err(Error::invalid(format!("keyspace {:?} was dropped", ks.name)));
        }
        Ok(())
    }

    /// Applies `batch` atomically; see the module docs.
    pub(crate) fn write(&self, batch: WriteBatch, opts: WriteOptions) -> Result<()> {
        self.validate(&batch)?;
        self.check_poison()?;
        self.stall_if_needed(&batch.keyspaces)?;
        self.counters.user_bytes.fetch_add(batch.encoded_len() as u64, Ordering::Relaxed);
        let mut q = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        let id = q.next_id;
        q.next_id += 1;
        q.pending.push_back(Pending { id, batch, sync: opts.sync });
        loop {
            if let Some(r) = q.done.remove(&id) {
                return r;
            }
            if !q.leader_active {
                q.leader_active = true;
                let mut group = Vec::new();
                let mut bytes = 0usize;
                while let Some(p) = q.pending.front() {
                    let len = p.batch.encoded_len();
                    if !group.is_empty() && bytes + len > self.opts.group_commit_bytes_max {
                        break;
                    }
                    bytes += len;
                    if let Some(p) = q.pending.pop_front() {
                        group.push(p);
                    }
                }
                drop(q);
                let rotations = self.rotations.load(Ordering::Relaxed);
                let results = self.commit_group(&mut group);
                if !self.opts.background_flush
                    && self.rotations.load(Ordering::Relaxed) != rotations
                {
                    // Inline flush: the group's writes are durable already; a failed flush
                    // poisons the database but does not fail them.
                    self.flush_pending();
                }
                q = self.queue.lock().unwrap_or_else(|e| e.into_inner());
                for (p, r) in group.iter().zip(results) {
                    q.done.insert(p.id, r);
                }
                q.leader_active = false;
                if q.waiting > 0 {
                    self.queue_cv.notify_all();
                }
                continue;
            }
            q.waiting += 1;
            q = self.queue_cv.wait(q).unwrap_or_else(|e| e.into_inner());
            q.waiting -= 1;
        }
    }

    fn commit_group(&self, group: &mut [Pending]) -> Vec<Result<()>> {
        let mut cs = self.commit.lock().unwrap_or_else(|e| e.into_inner());
        let n = group.len();
        let fail_all = |e: Error| (0..n).map(|_| Err(e.duplicate())).collect::<Vec<_>>();
        if let Err(e) = self.check_poison() {
            return fail_all(e);
        }
        let mut results: Vec<Result<()>> = group
            .iter()
            .map(|p| p.batch.keyspaces.iter().try_for_each(|ks| self.check_keyspace(ks)))
            .collect();

        // Rotate full memtables first, so that this group lands in fresh ones.
        let mut full: Vec<Arc<KeyspaceState>> = Vec::new();
        for (p, r) in group.iter().zip(&results) {
            if r.is_err() {
                continue;
            }
            for ks in &p.batch.keyspaces {
                if !full.iter().any(|f| Arc::ptr_eq(f, ks))
                    && ks.sv().active.approximate_bytes() >= self.opts.memtable_bytes_max
                {
                    full.push(Arc::clone(ks));
                }
            }
        }
        if !full.is_empty() {
            if let Err(e) = self.rotate_wal(&mut cs, &full) {
                self.poison(&e);
                return fail_all(e);
            }
        }

        let mut seq = cs.last_seq;
        let mut any_sync = false;
        for (p, r) in group.iter_mut().zip(&results) {
            if r.is_ok() {
                any_sync |= p.sync;
                if !p.batch.is_empty() {
                    p.batch.rep.set_sequence(seq + 1);
                    seq += u64::from(p.batch.rep.count());
                }
            }
        }
        let payloads: Vec<&[u8]> = group
            .iter()
            .zip(&results)
            .filter(|(p, r)| r.is_ok() && !p.batch.is_empty())
            .map(|(p, _)| p.batch.rep.encoded())
            .collect();
        if !payloads.is_empty() || any_sync {
            // One append for the group, and one fsync if any writer asked for it (handed to the
            // file together, so a backend that can links them into one submission).
            let before = cs.wal.len();
            let appended = if any_sync {
                self.counters.wal_syncs.fetch_add(1, Ordering::Relaxed);
                cs.wal.add_records_and_sync(&payloads)
            } else {
                cs.wal.add_records(&payloads)
            };
            if let Ok(end) = appended {
                self.counters.wal_bytes.fetch_add(end.saturating_sub(before), Ordering::Relaxed);
            }
            if let Err(e) = appended {
                let e = Error::Io(e);
                self.poison(&e);
                return fail_all(e);
            }
        }

        for (p, r) in group.iter().zip(results.iter_mut()) {
            if r.is_err() || p.batch.is_empty() {
                continue;
            }
            if let Err(e) = apply_batch(&p.batch) {
                // Our own encoding failed to decode: a bug, never expected. Refuse more writes.
                self.poison(&e);
                *r = Err(e);
            }
        }
        cs.last_seq = seq;
        self.visible_seq.store(seq, Ordering::Release);
        results
    }

    /// Syncs the WAL, starts a new one, and switches the memtables of `keyspaces`.
    pub(crate) fn rotate_wal(
        &self,
        cs: &mut super::CommitState,
        keyspaces: &[Arc<KeyspaceState>],
    ) -> Result<()> {
        // The old WAL must be durable before the new one takes writes: recovery replays WAL files
        // in order and must never find a hole before a later, durable write.
        cs.wal.sync()?;
        let number = self.next_file.fetch_add(1, Ordering::SeqCst);
        let file = self.opts.fs.create(&self.dir.join(filename::wal(number)))?;
        self.opts.fs.sync_dir(&self.dir)?;
        cs.wal = LogWriter::new(Arc::clone(&file));
        cs.wal_number = number;
        cs.live_wals.insert(number);
        *self.current_wal.lock().unwrap_or_else(|e| e.into_inner()) = file;
        for ks in keyspaces {
            ks.switch_memtable(number);
        }
        self.rotations.fetch_add(1, Ordering::Relaxed);
        self.request_flush();
        Ok(())
    }

    /// Makes every write so far durable.
    pub(crate) fn sync_wal(&self) -> Result<()> {
        self.check_poison()?;
        let file = Arc::clone(&*self.current_wal.lock().unwrap_or_else(|e| e.into_inner()));
        if let Err(e) = file.sync() {
            let e = Error::Io(e);
            self.poison(&e);
            return Err(e);
        }
        Ok(())
    }

    pub(crate) fn last_sequence(&self) -> SequenceNumber {
        self.visible_seq.load(Ordering::Acquire)
    }
}

/// Inserts a committed batch (sequence numbers already assigned) into its keyspaces' active
/// memtables.
fn apply_batch(batch: &WriteBatch) -> Result<()> {
    let actives: Vec<(KeyspaceId, Arc<MemTable>)> =
        batch.keyspaces.iter().map(|ks| (ks.id, Arc::clone(&ks.sv().active))).collect();
    let entries = batch.rep.entries()?;
    for (seq, e) in (entries.sequence()..).zip(entries) {
        let e = e?;
        if let Some((_, m)) = actives.iter().find(|(id, _)| *id == e.keyspace) {
            m.add(seq, e.kind, e.key, e.value);
        }
    }
    Ok(())
}
