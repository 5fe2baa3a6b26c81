//! The cache of derived signing keys. Deriving one is four HMACs (eight SHA-256 compressions
//! and more); a client signs every request of a day with the same one, so verification keeps
//! it per (access key id, day, region, service).
//!
//! Entries are found by an xxh3 hash of that tuple (nothing is allocated to look one up), and
//! each holds the tuple and the secret it was derived from, compared on every hit: a hash
//! collision or a key id whose secret changed misses, and the key is derived again. The cache holds at most `entries_max` keys, in
//! [`SHARDS`] independently locked shards; a full shard drops one arbitrary entry to take a
//! new one.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// Independently locked parts of the cache (fewer threads wait on one lock).
pub const SHARDS: usize = 16;

/// One cached signing key, with everything it was derived from: a hit compares them all, so
/// neither a hash collision nor a changed secret for the same key id can return a wrong key.
struct Entry {
    access_key_id: Box<str>,
    date: Box<str>,
    region: Box<str>,
    service: Box<str>,
    secret: Arc<str>,
    signing_key: [u8; 32],
}

/// The bounded cache of derived signing keys.
pub struct KeyCache {
    shards: Vec<Mutex<HashMap<u64, Entry>>>,
    shard_entries_max: usize,
}

/// What a signing key is derived from (borrowed: a lookup allocates nothing).
#[derive(Clone, Copy)]
pub struct Slot<'a> {
    hash: u64,
    access_key_id: &'a str,
    date: &'a str,
    region: &'a str,
    service: &'a str,
    secret: &'a Arc<str>,
}

impl<'a> Slot<'a> {
    /// The slot of a key id, day, region, service and secret.
    pub fn new(
        access_key_id: &'a str,
        date: &'a str,
        region: &'a str,
        service: &'a str,
        secret: &'a Arc<str>,
    ) -> Slot<'a> {
        let mut h = xxhash_rust::xxh3::Xxh3::new();
        for part in [access_key_id, date, region, service] {
            // Length-prefixed: no two tuples hash the same bytes.
            h.update(&u64::try_from(part.len()).unwrap_or(u64::MAX).to_le_bytes());
            h.update(part.as_bytes());
        }
        Slot { hash: h.digest(), access_key_id, date, region, service, secret }
    }

    fn matches(&self, e: &Entry) -> bool {
        *e.access_key_id == *self.access_key_id
            && *e.date == *self.date
            && *e.region == *self.region
            && *e.service == *self.service
            && (Arc::ptr_eq(&e.secret, self.secret) || *e.secret == **self.secret)
    }
}

impl KeyCache {
    /// A cache of at most `entries_max` keys (0: caches nothing).
    pub fn new(entries_max: usize) -> KeyCache {
        KeyCache {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            shard_entries_max: entries_max.div_ceil(SHARDS),
        }
    }

    fn shard(&self, slot: &Slot) -> Option<MutexGuard<'_, HashMap<u64, Entry>>> {
        let i = usize::try_from(slot.hash % SHARDS as u64).unwrap_or(0);
        // A poisoned lock still holds a consistent map (entries are written whole).
        self.shards.get(i).map(|m| m.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// The cached signing key of `slot`.
    pub fn get(&self, slot: &Slot) -> Option<[u8; 32]> {
        let shard = self.shard(slot)?;
        let e = shard.get(&slot.hash)?;
        slot.matches(e).then_some(e.signing_key)
    }

    /// Caches `signing_key` for `slot` (replacing what its hash held; dropping an arbitrary
    /// entry when the shard is full).
    pub fn put(&self, slot: &Slot, signing_key: [u8; 32]) {
        if self.shard_entries_max == 0 {
            return;
        }
        let Some(mut shard) = self.shard(slot) else { return };
        if shard.len() >= self.shard_entries_max && !shard.contains_key(&slot.hash) {
            if let Some(victim) = shard.keys().next().copied() {
                shard.remove(&victim);
            }
        }
        let entry = Entry {
            access_key_id: slot.access_key_id.into(),
            date: slot.date.into(),
            region: slot.region.into(),
            service: slot.service.into(),
            secret: Arc::clone(slot.secret),
            signing_key,
        };
        shard.insert(slot.hash, entry);
    }

    /// Keys cached now.
    pub fn len(&self) -> usize {
        self.shards.iter().map(|m| m.lock().unwrap_or_else(|e| e.into_inner()).len()).sum()
    }

    #[cfg(test)]
    pub fn entries_max(&self) -> usize {
        self.shard_entries_max * SHARDS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hits_misses_and_bounds() {
        let c = KeyCache::new(32);
        let (s1, s2, x): (Arc<str>, Arc<str>, Arc<str>) = ("s1".into(), "s2".into(), "x".into());
        let a = Slot::new("AKID", "20261206", "us-east-1", "dynamodb", &s1);
        assert_eq!(c.get(&a), None);
        c.put(&a, [1; 32]);
        assert_eq!(c.get(&a), Some([1; 32]));
        // Another secret for the same tuple misses, and replaces it.
        let a2 = Slot::new("AKID", "20261206", "us-east-1", "dynamodb", &s2);
        assert_eq!(c.get(&a2), None);
        c.put(&a2, [2; 32]);
        assert_eq!((c.get(&a), c.get(&a2), c.len()), (None, Some([2; 32]), 1));
        // Tuples are told apart however their parts split.
        let b = Slot::new("AKI", "D20261206", "us-east-1", "dynamodb", &s2);
        assert_eq!(c.get(&b), None);
        for i in 0..1000 {
            let id = format!("K{i}");
            c.put(&Slot::new(&id, "d", "r", "s", &x), [3; 32]);
        }
        assert!(c.len() <= c.entries_max() && c.entries_max() == 32, "{}", c.len());
        let none = KeyCache::new(0);
        none.put(&a, [1; 32]);
        assert_eq!((none.get(&a), none.len()), (None, 0));
    }
}
