//! The cache of derived signing keys. Deriving one is four HMACs (eight SHA-256 compressions
//! and more); a client signs every request of a day with the same one, so verification keeps
//! it per (access key id, day, region, service).
//!
//! Entries are found by a SHA-256 of that tuple (nothing is allocated to look one up), and
//! each holds a fingerprint (SHA-256) of the secret it was derived from: a key id whose secret
//! changed misses and is derived again. The cache holds at most `entries_max` keys, in
//! [`SHARDS`] independently locked shards; a full shard drops one arbitrary entry to take a
//! new one.

use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

/// Independently locked parts of the cache (requests on many threads rarely wait for each
/// other).
pub const SHARDS: usize = 16;

type Digest32 = [u8; 32];

/// A cached signing key and the fingerprint of the secret it comes from.
#[derive(Clone, Copy)]
struct Entry {
    secret_fingerprint: Digest32,
    signing_key: [u8; 32],
}

/// The bounded cache of signing keys.
pub struct KeyCache {
    shards: Vec<Mutex<HashMap<Digest32, Entry>>>,
    shard_entries_max: usize,
}

/// Where a key lives in the cache: the tuple's digest and the secret's fingerprint.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    id: Digest32,
    secret_fingerprint: Digest32,
}

impl Slot {
    /// The slot of the key of `secret` for (`access_key_id`, `date`, `region`, `service`).
    pub fn new(access_key_id: &str, date: &str, region: &str, service: &str, secret: &str) -> Slot {
        let mut h = Sha256::new();
        for part in [access_key_id, date, region, service] {
            // Length-prefixed: no two tuples hash the same bytes.
            h.update(u64::try_from(part.len()).unwrap_or(u64::MAX).to_le_bytes());
            h.update(part.as_bytes());
        }
        let id = h.finalize().into();
        let mut f = Sha256::new();
        f.update(b"shale sigv4 secret fingerprint\0");
        f.update(secret.as_bytes());
        Slot { id, secret_fingerprint: f.finalize().into() }
    }
}

impl KeyCache {
    /// A cache of at most `entries_max` keys (0: nothing is cached).
    pub fn new(entries_max: usize) -> KeyCache {
        KeyCache {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            shard_entries_max: entries_max.div_ceil(SHARDS),
        }
    }

    fn shard(&self, slot: &Slot) -> Option<MutexGuard<'_, HashMap<Digest32, Entry>>> {
        let i = usize::from(slot.id[0]) % SHARDS;
        // A poisoned lock still holds a consistent map (entries are written whole).
        self.shards.get(i).map(|m| m.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// The key in `slot`, if cached for the same secret.
    pub fn get(&self, slot: &Slot) -> Option<[u8; 32]> {
        let shard = self.shard(slot)?;
        let e = shard.get(&slot.id)?;
        (e.secret_fingerprint == slot.secret_fingerprint).then_some(e.signing_key)
    }

    /// Caches `signing_key` in `slot` (replacing a key of another secret there).
    pub fn put(&self, slot: &Slot, signing_key: [u8; 32]) {
        if self.shard_entries_max == 0 {
            return;
        }
        let Some(mut shard) = self.shard(slot) else { return };
        if shard.len() >= self.shard_entries_max && !shard.contains_key(&slot.id) {
            if let Some(victim) = shard.keys().next().copied() {
                shard.remove(&victim);
            }
        }
        shard.insert(slot.id, Entry { secret_fingerprint: slot.secret_fingerprint, signing_key });
    }

    /// How many keys are cached.
    pub fn len(&self) -> usize {
        self.shards.iter().map(|m| m.lock().unwrap_or_else(|e| e.into_inner()).len()).sum()
    }

    /// The most keys it holds.
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
        let a = Slot::new("AKID", "20261206", "us-east-1", "dynamodb", "s1");
        assert_eq!(c.get(&a), None);
        c.put(&a, [1; 32]);
        assert_eq!(c.get(&a), Some([1; 32]));
        // Another secret for the same tuple misses, and replaces it.
        let a2 = Slot::new("AKID", "20261206", "us-east-1", "dynamodb", "s2");
        assert_eq!(c.get(&a2), None);
        c.put(&a2, [2; 32]);
        assert_eq!((c.get(&a), c.get(&a2), c.len()), (None, Some([2; 32]), 1));
        // Tuples are told apart however their parts split.
        let b = Slot::new("AKI", "D20261206", "us-east-1", "dynamodb", "s2");
        assert_eq!(c.get(&b), None);
        for i in 0..1000 {
            c.put(&Slot::new(&format!("K{i}"), "d", "r", "s", "x"), [3; 32]);
        }
        assert!(c.len() <= c.entries_max() && c.entries_max() == 32, "{}", c.len());
        let none = KeyCache::new(0);
        none.put(&a, [1; 32]);
        assert_eq!((none.get(&a), none.len()), (None, 0));
    }
}
