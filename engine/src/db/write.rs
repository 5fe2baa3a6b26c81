//! The write path: group commit, parallel memtable inserts in a pipeline, memtable rotation.
//!
//! 1. A writer validates its batch, waits out a write stall, and queues the batch.
//! 2. Whichever queued writer finds no leader becomes the leader. It takes the queued batches (up
//!    to `group_commit_bytes_max`) and, under the commit lock: switches full memtables (after the
//!    inserts in flight finish, so that none lands in a memtable that became immutable), assigns
//!    sequence numbers, appends the whole group to the WAL with one `write` (linked to one
//!    `fdatasync` if any writer of the group asked for `sync`), and registers the group with the
//!    [`Publisher`].
//! 3. It then gives up leadership, so the next group's leader can write the WAL while this group
//!    inserts (RocksDB's pipelined write), and hands every writer of the group its batch back,
//!    waking each one alone (no shared condition variable).
//! 4. Every writer inserts its own batch into the memtables, all at once (the skiplist takes
//!    concurrent inserts), and tells the publisher. A group becomes visible to readers when all
//!    its inserts are done and every earlier group is visible (`publish.rs`); a writer returns
//!    once its own group is.
//!
//! Waiting costs more than the work on a small machine: a park and its unpark, or a condition
//! variable's sleep and wake-up, are two context switches and a futex call. So a queued writer
//! yields the CPU a few times, watching the leaders' hand-off counter, before it parks, and a
//! writer waiting for its group's publication yields a few times, watching the count of
//! published groups, before it sleeps (`HANDOFF_YIELDS`, `publish::WAIT_YIELDS`). With 4
//! writer threads on 2 cores this took fillrandom from 160k to 370–400k ops/s.
//!
//! A lone writer (one thread) leads a group of one: no hand-off, no wake-up, no allocation
//! (`Db::put` reuses a per-thread batch; the WAL's encoding buffer and the leader's group vector
//! are reused too).
//!
//! A failed WAL write or fsync poisons the database: every later write fails with
//! [`Error::Poisoned`] until it is reopened (after a failed fsync the kernel may have dropped the
//! dirty pages, so nothing written since the last good fsync can be trusted to be on disk).
//!
//! Lock order: `Core::queue` is never held while taking another lock; `Core::commit` →
//! `Publisher::state` (registration and the wait before a memtable switch).

use super::keyspace::KeyspaceState;
use super::publish::Ticket;
use super::{Core, Keyspace};
use crate::batch::{BatchRep, KeyspaceId};
use crate::error::{Error, Result};
use crate::filename;
use crate::key::SequenceNumber;
use crate::memtable::MemTable;
use crate::perf::{self, Stat};
use crate::wal::LogWriter;
use crate::WriteOptions;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread::Thread;

/// Times a queued writer yields the CPU, watching for its leader's hand-off, before it parks.
/// (Measured: fillrandom with 4 threads, `docs/benchmarks.md`.)
const HANDOFF_YIELDS: usize = 8;

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

    /// Removes every entry, keeping the memory for the next ones.
    pub fn clear(&mut self) {
        self.rep.clear();
        self.keyspaces.clear();
        self.key_len_max_seen = 0;
        self.value_len_max_seen = 0;
    }
}

thread_local! {
    /// The batch `Db::put_with` and `Db::delete_with` fill, reused so that a single write
    /// allocates nothing once the thread has written once.
    static SINGLE: std::cell::Cell<Option<WriteBatch>> = const { std::cell::Cell::new(None) };
}

/// Runs `fill` on this thread's reusable batch, writes it, and keeps it (emptied) for next time.
pub(crate) fn write_single(
    core: &Core,
    opts: WriteOptions,
    fill: impl FnOnce(&mut WriteBatch),
) -> Result<()> {
    let mut batch = SINGLE.take().unwrap_or_default();
    batch.clear();
    fill(&mut batch);
    let (result, mut batch) = core.write(batch, opts);
    // Hold no keyspace alive from a thread-local.
    batch.clear();
    SINGLE.set(Some(batch));
    result
}

/// What the leader decided for one writer of its group.
#[derive(Debug)]
enum Outcome {
    /// In the WAL: insert the batch, then wait for the group's publication.
    Insert(Ticket),
    /// Nothing to insert (an empty batch): wait for the group's publication.
    Nothing(Ticket),
    /// Not written.
    Failed(Error),
}

struct Pending {
    id: u64,
    batch: WriteBatch,
    sync: bool,
    /// The writer, woken when its hand-off is ready (or when it may become the leader).
    thread: Thread,
    /// The writer times its steps ([`perf`]): the leader times the group's WAL append.
    timed: bool,
    outcome: Option<Outcome>,
    commit: CommitTimes,
}

/// What a group's WAL append and fsync took, for the performance context of its writers
/// (measured when one of them times its steps).
#[derive(Debug, Clone, Copy, Default)]
struct CommitTimes {
    wal_nanos: u64,
    fsync_nanos: u64,
}

/// A writer's batch back from its leader, with what to do with it.
struct Handoff {
    batch: WriteBatch,
    outcome: Outcome,
    commit: CommitTimes,
}

#[derive(Default)]
pub(crate) struct WriteQueue {
    next_id: u64,
    pending: VecDeque<Pending>,
    leader_active: bool,
    /// Batches handed back by a leader, by writer id.
    handoffs: HashMap<u64, Handoff>,
    /// The group vector, kept between leaders (its capacity is reused).
    spare: Vec<Pending>,
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
            return Err(Error::KeyspaceDropped(ks.name.clone()));
        }
        Ok(())
    }

    /// Applies `batch` atomically (see the module docs); gives the batch back for reuse.
    pub(crate) fn write(&self, batch: WriteBatch, opts: WriteOptions) -> (Result<()>, WriteBatch) {
        let ready = self.validate(&batch).and_then(|()| self.check_poison()).and_then(|()| {
            let t = perf::timer();
            let waited = self.stall_if_needed(&batch.keyspaces);
            t.stop(Stat::WriteStallNanos);
            waited
        });
        if let Err(e) = ready {
            return (Err(e), batch);
        }
        let encoded_len = batch.encoded_len() as u64;
        self.counters.user_bytes.fetch_add(encoded_len, Ordering::Relaxed);
        let queued = perf::timer();
        let mut q = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        let id = q.next_id;
        q.next_id += 1;
        let thread = std::thread::current();
        q.pending.push_back(Pending {
            id,
            batch,
            sync: opts.sync,
            thread,
            timed: queued.is_timing(),
            outcome: None,
            commit: CommitTimes::default(),
        });
        let own = loop {
            if let Some(h) = q.handoffs.remove(&id) {
                drop(q);
                break h;
            }
            if q.leader_active {
                let round = self.handoff_rounds.load(Ordering::Acquire);
                drop(q);
                // A leader's group commit is short: yield a few times, watching for its
                // hand-off, before parking (a park and its unpark cost two context switches
                // and a futex wake by the leader).
                let handed = (0..HANDOFF_YIELDS).any(|_| {
                    std::thread::yield_now();
                    self.handoff_rounds.load(Ordering::Acquire) != round
                });
                if !handed {
                    // Woken by our leader's hand-off, or to become the leader. Spurious
                    // wake-ups and early unparks just loop.
                    std::thread::park();
                }
                q = self.queue.lock().unwrap_or_else(|e| e.into_inner());
                continue;
            }
            q.leader_active = true;
            let mut group = std::mem::take(&mut q.spare);
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
            self.commit_group(&mut group);
            if !self.opts.background_flush && self.rotations.load(Ordering::Relaxed) != rotations {
                // Inline flush, still leading (every file operation in one order): the group's
                // writes are in the WAL already; a failed flush poisons the database but does
                // not fail them.
                self.flush_pending();
            }
            q = self.queue.lock().unwrap_or_else(|e| e.into_inner());
            q.leader_active = false;
            let mut wake: Vec<Thread> = Vec::new();
            let mut mine = None;
            for p in group.drain(..) {
                let outcome = p.outcome.unwrap_or_else(|| {
                    Outcome::Failed(Error::invalid("write left without an outcome"))
                });
                let h = Handoff { batch: p.batch, outcome, commit: p.commit };
                if p.id == id {
                    mine = Some(h);
                } else {
                    q.handoffs.insert(p.id, h);
                    wake.push(p.thread);
                }
            }
            // The next group's leader: the oldest writer still queued.
            if let Some(next) = q.pending.front() {
                wake.push(next.thread.clone());
            }
            q.spare = group;
            self.handoff_rounds.fetch_add(1, Ordering::Release);
            drop(q);
            for t in wake {
                t.unpark();
            }
            match mine {
                Some(h) => break h,
                // Our batch was not in the group we led (too many bytes queued before it).
                None => q = self.queue.lock().unwrap_or_else(|e| e.into_inner()),
            }
        };
        if queued.is_timing() {
            let CommitTimes { wal_nanos, fsync_nanos } = own.commit;
            let waited = queued.elapsed_nanos().saturating_sub(wal_nanos + fsync_nanos);
            perf::charge(Stat::WriteQueueNanos, waited);
            perf::charge(Stat::WalNanos, wal_nanos);
            perf::charge(Stat::FsyncNanos, fsync_nanos);
        }
        let publish = |ticket| {
            let t = perf::timer();
            self.publisher.wait(ticket);
            t.stop(Stat::PublishWaitNanos);
        };
        let result = match own.outcome {
            Outcome::Failed(e) => Err(e),
            Outcome::Nothing(ticket) => {
                publish(ticket);
                Ok(())
            }
            Outcome::Insert(ticket) => {
                perf::count(Stat::WalBytes, encoded_len);
                let t = perf::timer();
                let inserted = apply_batch(&own.batch);
                t.stop(Stat::MemtableInsertNanos);
                if let Err(e) = &inserted {
                    // Our own encoding failed to decode: a bug, never expected. Refuse more
                    // writes.
                    self.poison(e);
                }
                self.publisher.finish(ticket);
                publish(ticket);
                inserted
            }
        };
        (result, own.batch)
    }

    /// The leader's work for `group`, under the commit lock: switch full memtables, assign
    /// sequence numbers, write the WAL (and fsync), register the group for publication. Sets
    /// every writer's outcome.
    fn commit_group(&self, group: &mut [Pending]) {
        // The leader takes at least the oldest queued writer, and it queued one itself.
        debug_assert!(!group.is_empty(), "a leader commits no empty group");
        let mut cs = self.commit.lock().unwrap_or_else(|e| e.into_inner());
        // Groups are published only once written: readers never see past the WAL.
        debug_assert!(
            self.publisher.visible() <= cs.last_seq,
            "visible sequence {} past the last written {}",
            self.publisher.visible(),
            cs.last_seq
        );
        let fail_all = |group: &mut [Pending], e: Error| {
            for p in group.iter_mut() {
                p.outcome = Some(Outcome::Failed(e.duplicate()));
            }
        };
        if let Err(e) = self.check_poison() {
            return fail_all(group, e);
        }
        // A keyspace dropped since the writer checked fails that writer alone.
        for p in group.iter_mut() {
            if let Err(e) = p.batch.keyspaces.iter().try_for_each(|ks| self.check_keyspace(ks)) {
                p.outcome = Some(Outcome::Failed(e));
            }
        }

        // Switch full memtables first, so that this group lands in fresh ones; in the others,
        // start a new segment if the newest is full (`memtable/mod.rs`).
        let mut full: Vec<Arc<KeyspaceState>> = Vec::new();
        for p in group.iter().filter(|p| p.outcome.is_none()) {
            for ks in &p.batch.keyspaces {
                if full.iter().any(|f| Arc::ptr_eq(f, ks)) {
                    continue;
                }
                let sv = ks.sv();
                if sv.active.approximate_bytes() >= self.opts.memtable_bytes_max {
                    full.push(Arc::clone(ks));
                } else {
                    sv.active.start_segment_if_full(cs.last_seq + 1);
                }
            }
        }
        if !full.is_empty() {
            if let Err(e) = self.rotate_wal(&mut cs, &full) {
                self.poison(&e);
                return fail_all(group, e);
            }
        }

        let mut seq = cs.last_seq;
        let mut any_sync = false;
        let mut inserts = 0usize;
        // One commit time for the group, never less than the last group's (`docs/format/wal.md`).
        let now_ms = self.opts.clock.now_ms().max(cs.last_commit_ms);
        for p in group.iter_mut().filter(|p| p.outcome.is_none()) {
            any_sync |= p.sync;
            if !p.batch.is_empty() {
                p.batch.rep.set_sequence(seq + 1);
                seq += u64::from(p.batch.rep.count());
                inserts += 1;
            }
        }
        // The group's time goes in a marker before its batches when it differs from the last
        // one this WAL file got (with a millisecond clock, once a millisecond at most).
        let marker = (inserts > 0 && cs.wal_time != Some(now_ms))
            .then(|| crate::batch::time_marker(cs.last_seq + 1, now_ms));
        let batches = group
            .iter()
            .filter(|p| p.outcome.is_none() && !p.batch.is_empty())
            .map(|p| p.batch.rep.encoded());
        let mut payloads = marker.iter().map(|m| m.as_slice()).chain(batches).peekable();
        if payloads.peek().is_some() || any_sync {
            // One append for the group, and one fsync if any writer asked for it (handed to the
            // file together, so a backend that can links them into one submission).
            let before = cs.wal.len();
            if any_sync {
                self.counters.wal_syncs.fetch_add(1, Ordering::Relaxed);
            }
            let started = group.iter().any(|p| p.timed).then(std::time::Instant::now);
            let appended = cs.wal.add_records_iter(payloads, any_sync);
            if let Some(started) = started {
                let nanos = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
                let commit = if any_sync {
                    CommitTimes { wal_nanos: 0, fsync_nanos: nanos }
                } else {
                    CommitTimes { wal_nanos: nanos, fsync_nanos: 0 }
                };
                group.iter_mut().for_each(|p| p.commit = commit);
            }
            match appended {
                Ok(end) => {
                    self.counters
                        .wal_bytes
                        .fetch_add(end.saturating_sub(before), Ordering::Relaxed);
                }
                Err(e) => {
                    let e = Error::Io(e);
                    self.poison(&e);
                    return fail_all(group, e);
                }
            }
        }
        debug_assert!(seq >= cs.last_seq, "sequence numbers only grow");
        debug_assert_eq!(inserts == 0, seq == cs.last_seq, "a group's inserts take sequences");
        if inserts > 0 {
            let first = cs.last_seq + 1;
            super::archive::WalSpan::extend(&mut cs.wal_span, first, seq, now_ms);
            cs.last_commit_ms = now_ms;
            cs.wal_time = Some(now_ms);
        }
        cs.last_seq = seq;
        let ticket = self.publisher.register(seq, inserts);
        for p in group.iter_mut().filter(|p| p.outcome.is_none()) {
            p.outcome = Some(if p.batch.is_empty() {
                Outcome::Nothing(ticket)
            } else {
                Outcome::Insert(ticket)
            });
        }
    }

    /// Syncs the WAL, starts a new one, and switches the memtables of `keyspaces`, once every
    /// insert in flight has finished (none may land in a memtable once it is immutable: the
    /// flush would miss it).
    pub(crate) fn rotate_wal(
        &self,
        cs: &mut super::CommitState,
        keyspaces: &[Arc<KeyspaceState>],
    ) -> Result<()> {
        self.publisher.wait_all();
        debug_assert_eq!(
            self.publisher.visible(),
            cs.last_seq,
            "no insert in flight at a memtable switch: every written sequence is visible"
        );
        // The old WAL must be durable before the new one takes writes: recovery replays WAL files
        // in order and must never find a hole before a later, durable write.
        cs.wal.sync()?;
        let number = self.next_file.fetch_add(1, Ordering::SeqCst);
        let file = self.opts.fs.create(&self.dir.join(filename::wal(number)))?;
        self.opts.fs.sync_dir(&self.dir)?;
        cs.wal = LogWriter::new(Arc::clone(&file));
        let sealed = cs.wal_span.take();
        cs.wal_time = None;
        cs.sealed_spans.insert(cs.wal_number, sealed);
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

    /// The last sequence number readers see: every write up to it is in the memtables.
    pub(crate) fn last_sequence(&self) -> SequenceNumber {
        self.publisher.visible()
    }
}

/// Inserts a committed batch (sequence numbers already assigned) into its keyspaces' active
/// memtables. A batch of one keyspace (the common case) looks its memtable up once.
fn apply_batch(batch: &WriteBatch) -> Result<()> {
    let entries = batch.rep.entries()?;
    let first = entries.sequence();
    if let [ks] = batch.keyspaces.as_slice() {
        let m = Arc::clone(&ks.sv().active);
        for (seq, e) in (first..).zip(entries) {
            let e = e?;
            if e.keyspace == ks.id {
                m.add(seq, e.kind, e.key, e.value);
            }
        }
        return Ok(());
    }
    let actives: Vec<(KeyspaceId, Arc<MemTable>)> =
        batch.keyspaces.iter().map(|ks| (ks.id, Arc::clone(&ks.sv().active))).collect();
    for (seq, e) in (first..).zip(entries) {
        let e = e?;
        if let Some((_, m)) = actives.iter().find(|(id, _)| *id == e.keyspace) {
            m.add(seq, e.kind, e.key, e.value);
        }
    }
    Ok(())
}
