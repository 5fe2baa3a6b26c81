//! Item locks: conditional writes, UpdateItem's read-modify-write, batches and transactions are
//! isolated by lock striping. An item's stripe is a hash of its table's keyspace and its engine
//! key; a request locks every stripe it touches, in ascending stripe order (so two requests never
//! wait on each other in a cycle), reads, decides, writes one atomic engine batch, then unlocks.
//! Every write takes its item's stripe, blind ones included, so a conditional write never decides
//! on a value that a concurrent write is replacing.

use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::{Mutex, MutexGuard};

/// Number of stripes: enough that unrelated items rarely share one.
pub const STRIPES: usize = 4096;

/// The stripe table.
pub struct Locks {
    stripes: Vec<Mutex<()>>,
    hasher: std::collections::hash_map::RandomState,
}

/// Held stripes; dropping releases them.
pub struct Held<'a>(#[allow(dead_code)] Vec<MutexGuard<'a, ()>>);

impl Default for Locks {
    fn default() -> Self {
        Locks {
            stripes: (0..STRIPES).map(|_| Mutex::new(())).collect(),
            hasher: std::collections::hash_map::RandomState::new(),
        }
    }
}

impl Locks {
    /// The stripe of item `key` of the table stored in `keyspace`.
    pub fn stripe(&self, keyspace: &str, key: &[u8]) -> usize {
        let mut h = self.hasher.build_hasher();
        keyspace.hash(&mut h);
        key.hash(&mut h);
        (h.finish() % STRIPES as u64) as usize
    }

    /// Locks the given stripes (any order, duplicates allowed).
    pub fn lock(&self, mut stripes: Vec<usize>) -> Held<'_> {
        stripes.sort_unstable();
        stripes.dedup();
        Held(
            stripes
                .into_iter()
                .filter_map(|s| self.stripes.get(s))
                .map(|m| m.lock().unwrap_or_else(|e| e.into_inner()))
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn overlapping_lock_sets_in_any_order_do_not_deadlock() {
        let locks = Arc::new(Locks::default());
        let counter = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let (locks, counter) = (Arc::clone(&locks), Arc::clone(&counter));
                std::thread::spawn(move || {
                    for i in 0..2000usize {
                        let mut s = vec![(i * 7 + t) % 16, (i * 3) % 16, 5];
                        if t % 2 == 0 {
                            s.reverse();
                        }
                        let _held = locks.lock(s);
                        counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(counter.load(std::sync::atomic::Ordering::Relaxed), 8000);
        assert_eq!(locks.stripe("a", b"k"), locks.stripe("a", b"k"));
    }
}
