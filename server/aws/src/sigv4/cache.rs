//! The cache of derived signing keys. Deriving one is four HMACs (eight SHA-256 compressions
//! and more); a client signs every request of a day with the same one, so verification keeps
//! it per (access key id, day, region, service).
//!
//! Entries are found by an xxh3 hash of that tuple (nothing is allocated to look one up), and
//! each holds the tuple and the secret it was derived from, compared on every hit: a hash
//! collision or a key id whose secret changed misses, and the key is derived again. The cache
//! holds at most `entries_max` keys, in [`SHARDS`] independently locked shards; a full shard
//! drops one arbitrary entry to take a new one. In front of it, each thread remembers its last
//! hit (compared in full the same way), so a steady client costs no lock and no hash.
//!
//! A key is cached ready to sign with ([`SigningKey`]: the HMAC state after its pads).

use super::sign::SigningKey;
use std::cell::RefCell;
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
    signing_key: SigningKey,
}

thread_local! {
    /// This thread's last hit, tried before the shared cache: a client's requests carry the
    /// same key all day, and this answers them without a lock or a hash. It is only ever a
    /// copy of a shared entry, compared in full like one (a signing key is a function of the
    /// tuple and the secret, whichever cache holds it).
    static LAST: RefCell<Option<Arc<Entry>>> = const { RefCell::new(None) };
}

/// The bounded cache of derived signing keys.
pub struct KeyCache {
    shards: Vec<Mutex<HashMap<u64, Arc<Entry>>>>,
    shard_entries_max: usize,
}

/// What a signing key is derived from (borrowed: a lookup allocates nothing).
#[derive(Clone, Copy)]
pub struct Slot<'a> {
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
        Slot { access_key_id, date, region, service, secret }
    }

    /// The xxh3 hash of the tuple (not of the secret).
    fn hash(&self) -> u64 {
        let mut h = xxhash_rust::xxh3::Xxh3::new();
        for part in [self.access_key_id, self.date, self.region, self.service] {
            // Length-prefixed: no two tuples hash the same bytes.
            h.update(&u64::try_from(part.len()).unwrap_or(u64::MAX).to_le_bytes());
            h.update(part.as_bytes());
        }
        h.digest()
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

    fn shard(&self, hash: u64) -> Option<MutexGuard<'_, HashMap<u64, Arc<Entry>>>> {
        let i = usize::try_from(hash % SHARDS as u64).unwrap_or(0);
        // A poisoned lock still holds a consistent map (entries are written whole).
        self.shards.get(i).map(|m| m.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// The cached signing key of `slot`.
    pub fn get(&self, slot: &Slot) -> Option<SigningKey> {
        if self.shard_entries_max == 0 {
            return None;
        }
        let last = LAST.with_borrow(|last| {
            last.as_ref().filter(|e| slot.matches(e)).map(|e| e.signing_key.clone())
        });
        if last.is_some() {
            return last;
        }
        let hash = slot.hash();
        let entry = {
            let shard = self.shard(hash)?;
            let e = shard.get(&hash)?;
            slot.matches(e).then(|| Arc::clone(e))?
        };
        let key = entry.signing_key.clone();
        LAST.set(Some(entry));
        Some(key)
    }

    /// Caches `signing_key` for `slot` (replacing what its hash held; dropping an arbitrary
    /// entry when the shard is full).
    pub fn put(&self, slot: &Slot, signing_key: &SigningKey) {
        if self.shard_entries_max == 0 {
            return;
        }
        let hash = slot.hash();
        let Some(mut shard) = self.shard(hash) else { return };
        if shard.len() >= self.shard_entries_max && !shard.contains_key(&hash) {
            if let Some(victim) = shard.keys().next().copied() {
                shard.remove(&victim);
            }
        }
        let entry = Arc::new(Entry {
            access_key_id: slot.access_key_id.into(),
            date: slot.date.into(),
            region: slot.region.into(),
            service: slot.service.into(),
            secret: Arc::clone(slot.secret),
            signing_key: signing_key.clone(),
        });
        shard.insert(hash, Arc::clone(&entry));
        drop(shard);
        LAST.set(Some(entry));
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
    use crate::sigv4::sign::signature_of_hash;

    fn key(n: u8) -> SigningKey {
        SigningKey::new(&[n; 32])
    }

    /// What a key signs (keys have no equality of their own).
    fn sig(k: Option<SigningKey>) -> Option<[u8; 32]> {
        k.map(|k| signature_of_hash(&k, "20261206T000000Z", "scope", &[0; 32]))
    }

    #[test]
    fn hits_misses_and_bounds() {
        let c = KeyCache::new(32);
        let (s1, s2, x): (Arc<str>, Arc<str>, Arc<str>) = ("s1".into(), "s2".into(), "x".into());
        let a = Slot::new("AKID", "20261206", "us-east-1", "dynamodb", &s1);
        assert!(c.get(&a).is_none());
        c.put(&a, &key(1));
        assert_eq!(sig(c.get(&a)), sig(Some(key(1))));
        // Another secret for the same tuple misses, and replaces it.
        let a2 = Slot::new("AKID", "20261206", "us-east-1", "dynamodb", &s2);
        assert!(c.get(&a2).is_none());
        c.put(&a2, &key(2));
        assert!(c.get(&a).is_none(), "the thread's last hit is compared in full too");
        assert_eq!((sig(c.get(&a2)), c.len()), (sig(Some(key(2))), 1));
        // Tuples are told apart however their parts split.
        let b = Slot::new("AKI", "D20261206", "us-east-1", "dynamodb", &s2);
        assert!(c.get(&b).is_none());
        for i in 0..1000 {
            let id = format!("K{i}");
            c.put(&Slot::new(&id, "d", "r", "s", &x), &key(3));
        }
        assert!(c.len() <= c.entries_max() && c.entries_max() == 32, "{}", c.len());
        // Found in the shared cache from another thread (whose last hit is empty).
        let k999 = Slot::new("K999", "d", "r", "s", &x);
        let other = std::thread::scope(|t| t.spawn(|| sig(c.get(&k999))).join().unwrap());
        assert_eq!(other, sig(Some(key(3))));
        let none = KeyCache::new(0);
        none.put(&a, &key(1));
        assert!(none.get(&a).is_none() && none.len() == 0);
    }
}
