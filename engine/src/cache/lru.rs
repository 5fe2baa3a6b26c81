//! [`ShardedLru`]: a concurrent least-recently-used cache bounded by total *charge*.
//!
//! The cache is split into a power-of-two number of shards, each behind its own [`Mutex`]; a
//! key's shard is chosen from its hash, so threads touching different shards never contend.
//! Each shard keeps a doubly-linked recency list whose nodes live in a slab (`Vec` of slots,
//! linked by index, freed slots reused through a free list) and a `HashMap` from key to slot, so
//! lookup, insertion, refresh and eviction are O(1) without `unsafe`.
//!
//! Values are handed out as `Arc`s: evicting or erasing an entry only drops the cache's
//! reference, and a reader still holding the value keeps it alive. Memory is therefore bounded by
//! the capacity plus whatever readers pin. Values dropped by the cache are dropped after the
//! shard's lock is released.

use crate::error::Result;
use crate::util::hash::FastBuildHasher;
use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasher, Hash};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// Shard count used when `0` is asked for.
pub const DEFAULT_SHARDS: usize = 16;

/// "No node": the end of a recency list.
const NIL: usize = usize::MAX;

/// Counters of a cache's activity since it was created (each read with `Relaxed` ordering, so a
/// snapshot taken while other threads work is approximate).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CacheStats {
    /// Lookups that found their key.
    pub hits: u64,
    /// Lookups that did not.
    pub misses: u64,
    /// Entries stored (new keys and replacements; not values too large to keep).
    pub inserts: u64,
    /// Entries removed to make room (not erasures or replacements).
    pub evictions: u64,
}

/// One cached entry, linked into its shard's recency list.
struct Node<K, V> {
    key: K,
    value: Arc<V>,
    charge: usize,
    /// Towards the most recently used end (`NIL` at the head).
    prev: usize,
    /// Towards the least recently used end (`NIL` at the tail).
    next: usize,
}

/// The state behind one shard's lock.
struct Shard<K, V> {
    map: HashMap<K, usize, FastBuildHasher>,
    /// Node slots; `None` slots are listed in `free`.
    slots: Vec<Option<Node<K, V>>>,
    free: Vec<usize>,
    /// Most recently used node.
    head: usize,
    /// Least recently used node.
    tail: usize,
    /// Sum of the charges of the entries.
    usage: usize,
    capacity: usize,
}

impl<K: Hash + Eq + Clone, V> Shard<K, V> {
    fn new(capacity: usize) -> Self {
        Shard {
            map: HashMap::default(),
            slots: Vec::new(),
            free: Vec::new(),
            head: NIL,
            tail: NIL,
            usage: 0,
            capacity,
        }
    }

    fn node(&self, i: usize) -> Option<&Node<K, V>> {
        self.slots.get(i).and_then(Option::as_ref)
    }

    fn node_mut(&mut self, i: usize) -> Option<&mut Node<K, V>> {
        self.slots.get_mut(i).and_then(Option::as_mut)
    }

    /// Points `i`'s `next` at `n` (`i == NIL`: makes `n` the head).
    fn set_next(&mut self, i: usize, n: usize) {
        if i == NIL {
            self.head = n;
        } else if let Some(node) = self.node_mut(i) {
            node.next = n;
        }
    }

    /// Points `i`'s `prev` at `p` (`i == NIL`: makes `p` the tail).
    fn set_prev(&mut self, i: usize, p: usize) {
        if i == NIL {
            self.tail = p;
        } else if let Some(node) = self.node_mut(i) {
            node.prev = p;
        }
    }

    /// Takes node `i` out of the recency list (its own links are left stale).
    fn unlink(&mut self, i: usize) {
        let Some(&Node { prev, next, .. }) = self.node(i) else { return };
        self.set_next(prev, next);
        self.set_prev(next, prev);
    }

    /// Links node `i` in as the most recently used.
    fn push_front(&mut self, i: usize) {
        let old_head = self.head;
        let Some(node) = self.node_mut(i) else { return };
        node.prev = NIL;
        node.next = old_head;
        self.set_prev(old_head, i);
        self.head = i;
    }

    /// Makes node `i` the most recently used.
    fn touch(&mut self, i: usize) {
        if self.head != i {
            self.unlink(i);
            self.push_front(i);
        }
    }

    /// Removes node `i` entirely (list, map, slab, usage) and returns it.
    fn remove(&mut self, i: usize) -> Option<Node<K, V>> {
        self.unlink(i);
        let node = self.slots.get_mut(i).and_then(Option::take)?;
        self.free.push(i);
        self.map.remove(&node.key);
        self.usage -= node.charge;
        Some(node)
    }

    /// Stores `node` in a free slot (or a new one) and returns its index; it is not yet linked.
    fn alloc(&mut self, node: Node<K, V>) -> usize {
        if let Some(i) = self.free.pop() {
            if let Some(slot) = self.slots.get_mut(i) {
                *slot = Some(node);
                return i;
            }
        }
        self.slots.push(Some(node));
        self.slots.len() - 1
    }

    fn lookup(&mut self, key: &K) -> Option<Arc<V>> {
        let i = *self.map.get(key)?;
        self.touch(i);
        self.node(i).map(|n| Arc::clone(&n.value))
    }

    /// Inserts or replaces `key`, then evicts from the cold end until the shard fits. Values the
    /// cache lets go of are pushed to `dropped`, for the caller to drop after unlocking.
    /// Returns whether the entry was kept, and how many entries were evicted.
    fn insert(
        &mut self,
        key: K,
        value: Arc<V>,
        charge: usize,
        dropped: &mut Vec<Arc<V>>,
    ) -> (bool, u64) {
        if charge > self.capacity {
            // Too large to keep; an older value under the key is stale now.
            if let Some(&i) = self.map.get(&key) {
                dropped.extend(self.remove(i).map(|n| n.value));
            }
            return (false, 0);
        }
        if let Some(&i) = self.map.get(&key) {
            let Some(node) = self.node_mut(i) else { return (false, 0) };
            let old_charge = std::mem::replace(&mut node.charge, charge);
            dropped.push(std::mem::replace(&mut node.value, value));
            self.usage = self.usage - old_charge + charge;
            self.touch(i);
        } else {
            let i = self.alloc(Node { key: key.clone(), value, charge, prev: NIL, next: NIL });
            self.map.insert(key, i);
            self.push_front(i);
            self.usage += charge;
        }
        // The new entry is at the head and fits alone, so it is never the one evicted.
        let mut evicted = 0;
        while self.usage > self.capacity && self.tail != NIL && self.tail != self.head {
            let Some(node) = self.remove(self.tail) else { break };
            dropped.push(node.value);
            evicted += 1;
        }
        (true, evicted)
    }
}

/// One shard: its lock and its counters (kept apart from other shards' to avoid sharing cache
/// lines across hot shards more than necessary).
struct ShardCell<K, V> {
    state: Mutex<Shard<K, V>>,
    hits: AtomicU64,
    misses: AtomicU64,
    inserts: AtomicU64,
    evictions: AtomicU64,
}

/// A concurrent LRU cache of `Arc<V>` values, bounded by the total charge of its entries.
///
/// The capacity is split evenly between the shards (each gets `capacity / shards`, at least 1),
/// and each shard evicts on its own; [`ShardedLru::capacity`] reports the effective total.
/// An entry whose charge exceeds a shard's capacity is never kept.
pub struct ShardedLru<K, V> {
    shards: Box<[ShardCell<K, V>]>,
    /// `shards.len() - 1` (the count is a power of two).
    mask: usize,
    /// Chooses shards (high bits; the shards' maps use the low ones). The keys are the
    /// engine's own (table numbers, offsets), so a fast non-cryptographic hash is safe.
    hasher: FastBuildHasher,
    shard_capacity: usize,
}

impl<K, V> fmt::Debug for ShardedLru<K, V>
where
    K: Hash + Eq + Clone,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShardedLru")
            .field("shards", &self.shards.len())
            .field("capacity", &self.capacity())
            .field("usage", &self.usage())
            .field("len", &self.len())
            .field("stats", &self.stats())
            .finish()
    }
}

impl<K: Hash + Eq + Clone, V> ShardedLru<K, V> {
    /// A cache holding entries of total charge up to about `capacity`, in `shards` shards
    /// (rounded up to a power of two; `0` means [`DEFAULT_SHARDS`]).
    pub fn new(capacity: usize, shards: usize) -> Self {
        let n = if shards == 0 { DEFAULT_SHARDS } else { shards }
            .checked_next_power_of_two()
            .unwrap_or(DEFAULT_SHARDS);
        let shard_capacity = (capacity / n).max(1);
        let shards = (0..n)
            .map(|_| ShardCell {
                state: Mutex::new(Shard::new(shard_capacity)),
                hits: AtomicU64::new(0),
                misses: AtomicU64::new(0),
                inserts: AtomicU64::new(0),
                evictions: AtomicU64::new(0),
            })
            .collect::<Vec<_>>()
            .into_boxed_slice();
        ShardedLru { shards, mask: n - 1, hasher: FastBuildHasher::default(), shard_capacity }
    }

    /// A cache of `capacity` in [`DEFAULT_SHARDS`] shards.
    pub fn with_capacity(capacity: usize) -> Self {
        Self::new(capacity, DEFAULT_SHARDS)
    }

    fn shard(&self, key: &K) -> Option<&ShardCell<K, V>> {
        // Deterministic (reproducible tests). Bits 32.. pick the shard; a shard's `HashMap` indexes
        // buckets with the low bits and tags with the top 7, so the two choices do not correlate.
        let h = self.hasher.hash_one(key);
        self.shards.get((h >> 32) as usize & self.mask)
    }

    fn lock(cell: &ShardCell<K, V>) -> MutexGuard<'_, Shard<K, V>> {
        cell.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The value under `key`, made most recently used. Counts a hit or a miss.
    pub fn get(&self, key: &K) -> Option<Arc<V>> {
        let cell = self.shard(key)?;
        let found = Self::lock(cell).lookup(key);
        let counter = if found.is_some() { &cell.hits } else { &cell.misses };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    /// Stores `value` under `key` with `charge`, replacing any entry there, and evicts least
    /// recently used entries until the shard fits. A value whose charge exceeds the shard's
    /// capacity is not kept (and any older entry under `key` is removed). Returns `value`.
    pub fn insert(&self, key: K, value: Arc<V>, charge: usize) -> Arc<V> {
        let Some(cell) = self.shard(&key) else { return value };
        let mut dropped = Vec::new();
        let (kept, evicted) =
            Self::lock(cell).insert(key, Arc::clone(&value), charge, &mut dropped);
        Self::count_insert(cell, kept, evicted);
        drop(dropped);
        value
    }

    /// The value under `key`; on a miss, `f` computes it and its charge (without any lock held,
    /// so `f` may do I/O or use the cache) and it is inserted. If another thread inserted `key`
    /// meanwhile, that value is returned and `f`'s is discarded. An error from `f` is returned and
    /// nothing is inserted.
    pub fn get_or_insert_with(
        &self,
        key: K,
        f: impl FnOnce() -> Result<(Arc<V>, usize)>,
    ) -> Result<Arc<V>> {
        if let Some(v) = self.get(&key) {
            return Ok(v);
        }
        let (value, charge) = f()?;
        let Some(cell) = self.shard(&key) else { return Ok(value) };
        let mut dropped = Vec::new();
        let mut shard = Self::lock(cell);
        if let Some(theirs) = shard.lookup(&key) {
            return Ok(theirs);
        }
        let (kept, evicted) = shard.insert(key, Arc::clone(&value), charge, &mut dropped);
        drop(shard);
        Self::count_insert(cell, kept, evicted);
        drop(dropped);
        Ok(value)
    }

    fn count_insert(cell: &ShardCell<K, V>, kept: bool, evicted: u64) {
        if kept {
            cell.inserts.fetch_add(1, Ordering::Relaxed);
        }
        if evicted > 0 {
            cell.evictions.fetch_add(evicted, Ordering::Relaxed);
        }
    }

    /// Removes the entry under `key`, if any.
    pub fn erase(&self, key: &K) {
        let Some(cell) = self.shard(key) else { return };
        let mut shard = Self::lock(cell);
        let removed = shard.map.get(key).copied().and_then(|i| shard.remove(i));
        drop(shard);
        drop(removed);
    }

    /// Total charge of the entries now cached (each shard read under its lock in turn).
    pub fn usage(&self) -> usize {
        self.shards.iter().map(|c| Self::lock(c).usage).sum()
    }

    /// The effective capacity: the per-shard capacity times the number of shards. It is at most
    /// the capacity asked for, unless that was smaller than the number of shards.
    pub fn capacity(&self) -> usize {
        self.shard_capacity * self.shards.len()
    }

    /// Number of entries now cached.
    pub fn len(&self) -> usize {
        self.shards.iter().map(|c| Self::lock(c).map.len()).sum()
    }

    /// True when nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The counters, summed over the shards.
    pub fn stats(&self) -> CacheStats {
        let mut s = CacheStats::default();
        for c in self.shards.iter() {
            s.hits += c.hits.load(Ordering::Relaxed);
            s.misses += c.misses.load(Ordering::Relaxed);
            s.inserts += c.inserts.load(Ordering::Relaxed);
            s.evictions += c.evictions.load(Ordering::Relaxed);
        }
        s
    }
}

#[cfg(test)]
mod tests;
