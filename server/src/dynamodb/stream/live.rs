//! A stream's live state: the next sequence number, the records being written, and its
//! generations of shards.
//!
//! **Visibility.** A writer takes a sequence number ([`LiveStream::begin`]) under its item's
//! lock, puts the record in the item change's engine batch, and releases the number when the
//! write returns ([`Ticket`]'s drop). Numbers are taken in one order and writes may land in
//! another, so a reader sees only records below the **watermark**: the lowest number still
//! being written (or the next number when none is). Below it every record is either written
//! or never will be, so a reader that has passed a number never misses a record before it.
//!
//! **No number twice.** Numbers are handed out only below a bound stored durably (the
//! reservation entry), raised by [`RESERVE_BLOCK`] with one synced write when reached. On
//! open, the next number is that bound (and at least one past the last generation's start and
//! every record of its shards), so a number a reader may have passed, given to a write that
//! never landed (or landed unsynced and was lost), is never given again.
//! A write that fails for an I/O reason keeps its number in flight ([`Ticket::keep`]): its
//! batch may still be replayed from the WAL, and no reader may pass it before a restart.
//!
//! Lock order: an item's stripe lock (the writer's), then [`LiveStream`]'s state mutex.

use super::record::Record;
use super::shards::{
    decode_reserved, encode_reserved, Generation, ShardRef, GENERATION_TAG, RECORD_TAG,
    RESERVED_KEY, RESERVE_BLOCK, SHARDS_PER_GENERATION, TRIMMED_KEY,
};
use super::ViewType;
use crate::dynamodb::error::{DResult, DynamoError};
use shale_engine::{Db, IterOptions, Keyspace, WriteOptions};
use std::collections::BTreeSet;
use std::ops::Bound;
use std::sync::{Arc, Mutex, MutexGuard};

/// A stream being written and read.
#[derive(Debug)]
pub struct LiveStream {
    pub arn: String,
    pub view: ViewType,
    pub ks: Keyspace,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    next: u64,
    /// Numbers below this may have been handed out (stored in the reservation entry).
    reserved: u64,
    /// Numbers taken by writes that have not returned.
    in_flight: BTreeSet<u64>,
    /// Every generation not trimmed, oldest first (never empty).
    generations: Vec<Generation>,
    /// Generations numbered below this are trimmed.
    trimmed: u32,
    /// Disabled: no more records; the end of its last generation is `next`.
    closed: bool,
}

/// A shard that existed and has been trimmed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trimmed;

/// A shard's bounds as a reader sees them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShardInfo {
    pub shard: ShardRef,
    pub created_ms: u64,
    /// Its first sequence number.
    pub start: u64,
    /// One past its last, once it is closed (a later generation started, or the stream was
    /// disabled).
    pub end: Option<u64>,
    /// Its parent: the same shard of the generation before.
    pub parent: Option<(ShardRef, u64)>,
}

impl ShardInfo {
    pub fn id(&self) -> String {
        self.shard.id(self.created_ms)
    }
}

/// A sequence number taken for a record being written; released when dropped.
#[derive(Debug)]
pub struct Ticket {
    stream: Arc<LiveStream>,
    pub shard: ShardRef,
    pub seq: u64,
}

impl Ticket {
    /// The record's key.
    pub fn key(&self) -> Vec<u8> {
        self.shard.record_key(self.seq)
    }

    /// The stream's keyspace.
    pub fn keyspace(&self) -> &Keyspace {
        &self.stream.ks
    }
}

impl Ticket {
    /// Keeps the number in flight for good (until a restart): its write failed in a way that
    /// may still land it (an I/O error; the engine is then read-only until restarted), so no
    /// reader may pass it.
    pub fn keep(self) {
        std::mem::forget(self);
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let removed = self.stream.state().in_flight.remove(&self.seq);
        debug_assert!(removed, "a ticket is released once");
    }
}

fn corrupt(what: String) -> DynamoError {
    DynamoError::Internal(format!("a stream is corrupt: {what}"))
}

impl LiveStream {
    /// Opens the stream whose records are in `ks` (starting its first generation at `now_ms`
    /// when it has none: a new stream).
    pub fn open(
        db: &Db,
        ks: Keyspace,
        arn: String,
        view: ViewType,
        closed: bool,
        now_ms: u64,
    ) -> DResult<LiveStream> {
        let trimmed = match db.get(&ks, &TRIMMED_KEY)? {
            Some(v) => u32::try_from(decode_reserved(&v)?)
                .map_err(|_| corrupt("the trim entry is out of range".into()))?,
            None => 0,
        };
        let mut generations = Vec::new();
        let opts = IterOptions {
            lower: Bound::Included(Generation::key(0).to_vec()),
            upper: Bound::Included(Generation::key(u32::MAX).to_vec()),
            reverse: false,
        };
        let mut it = db.iter(&ks, opts)?;
        while it.advance()? {
            let g = Generation::decode(it.key(), it.value())?;
            // A trimmed generation's entry outlives it until its records are deleted.
            if g.number >= trimmed {
                generations.push(g);
            }
        }
        drop(it);
        if generations.is_empty() {
            let first = Generation {
                number: trimmed,
                start: 1,
                created_ms: now_ms,
                shards: SHARDS_PER_GENERATION,
            };
            db.put_with(&ks, &Generation::key(trimmed), &first.encode(), WriteOptions::SYNC)?;
            generations.push(first);
        }
        for pair in generations.windows(2) {
            if let [a, b] = pair {
                if b.number != a.number + 1 || b.start < a.start {
                    return Err(corrupt(format!("generation {} follows {}", b.number, a.number)));
                }
            }
        }
        let last = *generations.last().ok_or_else(|| corrupt("no generation".into()))?;
        let reserved = match db.get(&ks, &RESERVED_KEY)? {
            Some(v) => decode_reserved(&v)?,
            None => 0,
        };
        let mut next = last.start.max(reserved);
        for index in 0..last.shards {
            let shard = ShardRef { generation: last.number, index };
            let prefix = shard.prefix();
            let mut upper = prefix.clone();
            upper.extend_from_slice(&u64::MAX.to_be_bytes());
            let opts = IterOptions {
                lower: Bound::Included(prefix),
                upper: Bound::Included(upper),
                reverse: true,
            };
            let mut it = db.iter(&ks, opts)?;
            if it.advance()? {
                let seq = shard
                    .seq_of(it.key())
                    .ok_or_else(|| corrupt("a record key of the wrong length".into()))?;
                next = next.max(seq.saturating_add(1));
            }
        }
        let state = State {
            next,
            reserved: next,
            in_flight: BTreeSet::new(),
            generations,
            trimmed,
            closed,
        };
        Ok(LiveStream { arn, view, ks, state: Mutex::new(state) })
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // The state is updated whole under the lock: a poisoned one is still consistent.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes the next sequence number for a record of an item in `partition` (its engine-key
    /// component); `Ok(None)` once the stream is disabled. Raising the reservation (once every
    /// [`RESERVE_BLOCK`] numbers) is a synced write.
    pub fn begin(self: &Arc<Self>, db: &Db, partition: &[u8]) -> DResult<Option<Ticket>> {
        let mut s = self.state();
        if s.closed {
            return Ok(None);
        }
        let Some(generation) = s.generations.last().copied() else { return Ok(None) };
        if s.next >= s.reserved {
            let bound = s.next.saturating_add(RESERVE_BLOCK);
            db.put_with(&self.ks, &RESERVED_KEY, &encode_reserved(bound), WriteOptions::SYNC)?;
            s.reserved = bound;
        }
        let seq = s.next;
        s.next += 1;
        s.in_flight.insert(seq);
        let shard =
            ShardRef { generation: generation.number, index: generation.shard_of(partition) };
        Ok(Some(Ticket { stream: Arc::clone(self), shard, seq }))
    }

    /// Below this number, every record is written or never will be.
    pub fn watermark(&self) -> u64 {
        let s = self.state();
        s.in_flight.first().copied().unwrap_or(s.next)
    }

    /// Closes the stream (disabled): no record is written after.
    pub fn close(&self) {
        self.state().closed = true;
    }

    pub fn is_closed(&self) -> bool {
        self.state().closed
    }

    /// When the current generation started (ms since the epoch).
    pub fn current_generation_ms(&self) -> u64 {
        self.state().generations.last().map_or(0, |g| g.created_ms)
    }

    /// Starts a new generation of shards at `now_ms`, closing the current one (stored before
    /// any record goes to it). Does nothing to a closed stream.
    pub fn rollover(&self, db: &Db, now_ms: u64) -> DResult<()> {
        let mut s = self.state();
        let Some(last) = s.generations.last().copied() else { return Ok(()) };
        if s.closed {
            return Ok(());
        }
        let number = last
            .number
            .checked_add(1)
            .ok_or_else(|| DynamoError::Internal("a stream ran out of generations".into()))?;
        let g = Generation {
            number,
            start: s.next,
            created_ms: now_ms.max(last.created_ms + 1),
            shards: SHARDS_PER_GENERATION,
        };
        // Under the lock: no number is taken for the new generation before it is stored.
        db.put_with(&self.ks, &Generation::key(number), &g.encode(), WriteOptions::SYNC)?;
        s.generations.push(g);
        Ok(())
    }

    /// Every shard, oldest generation first, each generation's shards in order.
    pub fn shards(&self) -> Vec<ShardInfo> {
        let s = self.state();
        let mut out = Vec::new();
        for (i, g) in s.generations.iter().enumerate() {
            let end = match s.generations.get(i + 1) {
                Some(n) => Some(n.start),
                None => s.closed.then_some(s.next),
            };
            let parent_gen = i.checked_sub(1).and_then(|p| s.generations.get(p));
            for index in 0..g.shards {
                let shard = ShardRef { generation: g.number, index };
                let parent = parent_gen
                    .filter(|p| index < p.shards)
                    .map(|p| (ShardRef { generation: p.number, index }, p.created_ms));
                out.push(ShardInfo {
                    shard,
                    created_ms: g.created_ms,
                    start: g.start,
                    end,
                    parent,
                });
            }
        }
        out
    }

    /// The shard an API shard id names: `Err(Trimmed)` for a shard of a generation trimmed
    /// since (it was older than the oldest kept), `Ok(None)` for no shard of this stream.
    pub fn shard(&self, id: &str) -> Result<Option<ShardInfo>, Trimmed> {
        let Some((ms, gen_low, index)) = ShardRef::parse(id) else { return Ok(None) };
        let shards = self.shards();
        let found = shards.iter().find(|s| {
            s.created_ms == ms
                && s.shard.generation & 0xffff == u32::from(gen_low)
                && s.shard.index == index
        });
        let trimmed = self.state().trimmed > 0;
        match found {
            Some(s) => Ok(Some(*s)),
            None if trimmed && shards.first().is_some_and(|f| ms < f.created_ms) => Err(Trimmed),
            None => Ok(None),
        }
    }

    /// Whether `shard`'s generation has been trimmed.
    pub fn is_trimmed(&self, shard: ShardRef) -> bool {
        shard.generation < self.state().trimmed
    }

    /// Trims the generations whose records are all older than `cutoff_ms`: every generation
    /// but the current one whose successor started before the cutoff. The trim point is
    /// stored first (readers of a trimmed shard are told so at once, and a restart does not
    /// bring it back), then its records and entry are deleted, at most `budget` keys a call
    /// (the rest at the next).
    pub fn trim(&self, db: &Db, cutoff_ms: u64, budget: usize) -> DResult<()> {
        {
            let mut s = self.state();
            let mut upto = s.trimmed;
            for pair in s.generations.windows(2) {
                if let [a, b] = pair {
                    if b.created_ms <= cutoff_ms {
                        upto = a.number + 1;
                    }
                }
            }
            if upto > s.trimmed {
                let v = encode_reserved(u64::from(upto));
                db.put_with(&self.ks, &TRIMMED_KEY, &v, WriteOptions::SYNC)?;
                s.trimmed = upto;
                s.generations.retain(|g| g.number >= upto);
            }
        }
        // Delete what lies below the trim point: records, then generation entries.
        let trimmed = self.state().trimmed;
        if trimmed == 0 {
            return Ok(());
        }
        let mut batch = shale_engine::WriteBatch::new();
        let mut n = 0;
        let record_upper = [&[RECORD_TAG][..], &trimmed.to_be_bytes()].concat();
        for (tag, upper) in
            [(RECORD_TAG, record_upper), (GENERATION_TAG, Generation::key(trimmed).to_vec())]
        {
            let opts = IterOptions {
                lower: Bound::Included(vec![tag]),
                upper: Bound::Excluded(upper),
                reverse: false,
            };
            let mut it = db.iter(&self.ks, opts)?;
            while n < budget && it.advance()? {
                batch.delete(&self.ks, it.key());
                n += 1;
            }
        }
        if !batch.is_empty() {
            db.write(batch, WriteOptions::default())?;
        }
        Ok(())
    }

    /// Up to `limit` records of `shard` from sequence number `from` on, of at most
    /// `bytes_max` bytes of `SizeBytes` together (at least one record when there is one);
    /// with the position after the last one read (`from` when none was).
    pub fn read(
        &self,
        db: &Db,
        shard: &ShardInfo,
        from: u64,
        limit: usize,
        bytes_max: usize,
    ) -> DResult<(Vec<(u64, Record)>, u64)> {
        let visible = self.watermark();
        let stop = shard.end.map_or(visible, |e| e.min(visible));
        let mut out = Vec::new();
        if from >= stop {
            return Ok((out, from));
        }
        let opts = IterOptions {
            lower: Bound::Included(shard.shard.record_key(from)),
            upper: Bound::Excluded(shard.shard.record_key(stop)),
            reverse: false,
        };
        let mut it = db.iter(&self.ks, opts)?;
        let mut bytes = 0usize;
        while out.len() < limit {
            if !it.advance()? {
                // Every record below `stop` is final: a reader can move past them all.
                return Ok((out, stop));
            }
            let seq = shard
                .shard
                .seq_of(it.key())
                .ok_or_else(|| corrupt("a record key of the wrong length".into()))?;
            let record = Record::decode(it.value())?;
            let size = record.size_bytes();
            if !out.is_empty() && bytes + size > bytes_max {
                return Ok((out, seq));
            }
            bytes += size;
            out.push((seq, record));
        }
        let position = out.last().map_or(from, |(s, _)| s + 1);
        Ok((out, position))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shale_engine::fs::MemFs;
    use shale_engine::Options;

    fn db() -> Db {
        Db::open("/s", Options { fs: Arc::new(MemFs::new()), ..Options::default() }).unwrap()
    }

    fn open(db: &Db, closed: bool, now: u64) -> Arc<LiveStream> {
        let ks = db.keyspace("dynamo.s.1").or_else(|_| db.create_keyspace("dynamo.s.1")).unwrap();
        Arc::new(LiveStream::open(db, ks, "arn".into(), ViewType::KeysOnly, closed, now).unwrap())
    }

    #[test]
    fn the_watermark_waits_for_the_lowest_number_in_flight() {
        let db = db();
        let s = open(&db, false, 1000);
        assert_eq!(s.watermark(), 1);
        let a = s.begin(&db, b"p").unwrap().unwrap();
        let b = s.begin(&db, b"q").unwrap().unwrap();
        assert_eq!((a.seq, b.seq, s.watermark()), (1, 2, 1));
        drop(b);
        assert_eq!(s.watermark(), 1, "a later number landing first does not pass the earlier");
        drop(a);
        assert_eq!(s.watermark(), 3);
        let kept = s.begin(&db, b"p").unwrap().unwrap();
        kept.keep();
        let _later = s.begin(&db, b"p").unwrap().unwrap();
        assert_eq!(s.watermark(), 3, "a kept number holds the watermark for good");
    }

    #[test]
    fn numbers_are_never_handed_out_twice_across_a_reopen() {
        let db = db();
        let s = open(&db, false, 1000);
        let t = s.begin(&db, b"p").unwrap().unwrap();
        // Its record never lands: the stream reopens (a crash) with no record at all.
        std::mem::forget(t);
        drop(s);
        let s = open(&db, false, 2000);
        let next = s.begin(&db, b"p").unwrap().unwrap();
        assert!(next.seq > 1, "number {} again", next.seq);
        assert!(next.seq > RESERVE_BLOCK, "numbers resume at the reservation bound");
    }

    #[test]
    fn rollover_parents_closing_and_trimming() {
        let db = db();
        let s = open(&db, false, 1000);
        s.rollover(&db, 2000).unwrap();
        s.rollover(&db, 3000).unwrap();
        let shards = s.shards();
        assert_eq!(shards.len(), 3 * usize::from(SHARDS_PER_GENERATION));
        let (first, last) = (shards[0], shards[shards.len() - 1]);
        assert!(first.end.is_some() && last.end.is_none() && first.parent.is_none());
        assert_eq!(last.parent.map(|(p, _)| p.generation), Some(1));
        assert_eq!(s.shard(&first.id()), Ok(Some(first)));
        // Generation 0 ended at 2000: trimmed by a cutoff after it; 1 (ended 3000) is not.
        s.trim(&db, 2500, 1000).unwrap();
        assert!(s.is_trimmed(first.shard) && !s.is_trimmed(last.shard));
        assert_eq!(s.shard(&first.id()), Err(Trimmed));
        assert_eq!(s.shards().len(), 2 * usize::from(SHARDS_PER_GENERATION));
        drop(s);
        let s = open(&db, false, 4000);
        assert!(s.is_trimmed(first.shard), "the trim survives a reopen");
        assert_eq!(s.shards().len(), 2 * usize::from(SHARDS_PER_GENERATION));
        s.close();
        assert!(s.begin(&db, b"p").unwrap().is_none(), "a closed stream takes no records");
        assert!(s.shards().iter().all(|sh| sh.end.is_some()));
    }
}
