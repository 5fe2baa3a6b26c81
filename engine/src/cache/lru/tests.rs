use super::*;
use crate::error::Error;
use crate::util::rand::SplitMix64;
use std::cell::Cell;
use std::collections::HashSet;

/// Checks one shard's structure: links agree both ways, the list holds exactly the mapped
/// entries, usage is their total charge and within capacity, free slots are exactly the empty
/// ones. Returns the keys from most to least recently used.
fn check_shard<K: Hash + Eq + Clone + fmt::Debug, V>(s: &Shard<K, V>) -> Vec<K> {
    let mut order = Vec::new();
    let mut charge = 0;
    let mut prev = NIL;
    let mut i = s.head;
    while i != NIL {
        let n = s.node(i).expect("linked slot is occupied");
        assert_eq!(n.prev, prev, "prev link of slot {i}");
        assert_eq!(s.map.get(&n.key), Some(&i), "map entry of {:?}", n.key);
        order.push(n.key.clone());
        charge += n.charge;
        prev = i;
        i = n.next;
        assert!(order.len() <= s.slots.len(), "cycle in the recency list");
    }
    assert_eq!(s.tail, prev);
    assert_eq!(order.len(), s.map.len());
    assert_eq!(charge, s.usage);
    assert!(s.usage <= s.capacity, "usage {} > capacity {}", s.usage, s.capacity);
    let empty: HashSet<usize> =
        s.slots.iter().enumerate().filter(|(_, n)| n.is_none()).map(|(i, _)| i).collect();
    assert_eq!(empty, s.free.iter().copied().collect::<HashSet<_>>());
    assert_eq!(empty.len(), s.free.len(), "a slot is free twice");
    order
}

fn check<K: Hash + Eq + Clone + fmt::Debug, V>(c: &ShardedLru<K, V>) {
    let mut usage = 0;
    for cell in c.shards.iter() {
        let s = ShardedLru::lock(cell);
        check_shard(&s);
        usage += s.usage;
    }
    assert_eq!(usage, c.usage());
    assert!(c.usage() <= c.capacity());
}

/// Keys of a one-shard cache, most recently used first.
fn order<K: Hash + Eq + Clone + fmt::Debug, V>(c: &ShardedLru<K, V>) -> Vec<K> {
    assert_eq!(c.shards.len(), 1);
    check_shard(&ShardedLru::lock(&c.shards[0]))
}

fn val(c: &ShardedLru<u64, u64>, k: u64) -> Option<u64> {
    c.get(&k).map(|v| *v)
}

#[test]
fn shard_count_and_capacity() {
    let c = ShardedLru::<u64, u64>::new(1000, 3);
    assert_eq!(c.shards.len(), 4);
    assert_eq!(c.capacity(), 1000);
    let c = ShardedLru::<u64, u64>::new(1000, 0);
    assert_eq!(c.shards.len(), DEFAULT_SHARDS);
    assert_eq!(c.capacity(), 992, "1000 / 16 = 62 per shard");
    let c = ShardedLru::<u64, u64>::new(5, 16);
    assert_eq!(c.capacity(), 16, "each shard holds at least 1");
    let c = ShardedLru::<u64, u64>::with_capacity(1 << 20);
    assert_eq!((c.shards.len(), c.capacity()), (16, 1 << 20));
    assert!(c.is_empty());
    assert!(format!("{c:?}").contains("capacity: 1048576"));
}

#[test]
fn capacity_respected_under_random_inserts() {
    for shards in [1, 4, 16] {
        let c = ShardedLru::<u64, u64>::new(1000, shards);
        let mut rng = SplitMix64::new(shards as u64);
        let mut evictions_seen = false;
        for step in 0..20_000u64 {
            let k = rng.next_u64() % 500;
            let charge = 1 + (rng.next_u64() % 40) as usize;
            let v = c.insert(k, Arc::new(k * 3), charge);
            assert_eq!(*v, k * 3);
            assert!(c.usage() <= c.capacity(), "step {step}: usage {}", c.usage());
            if step.is_multiple_of(97) {
                check(&c);
            }
            if rng.next_u64().is_multiple_of(4) {
                let k = rng.next_u64() % 500;
                if let Some(v) = c.get(&k) {
                    assert_eq!(*v, k * 3);
                }
            }
            if rng.next_u64().is_multiple_of(8) {
                c.erase(&(rng.next_u64() % 500));
            }
            evictions_seen |= c.stats().evictions > 0;
        }
        check(&c);
        assert!(evictions_seen);
        // Slots are reused: the slab never holds more nodes than could fit at once.
        for cell in c.shards.iter() {
            let s = ShardedLru::lock(cell);
            assert!(
                s.slots.len() <= s.capacity + 1,
                "{} slots for capacity {}",
                s.slots.len(),
                s.capacity
            );
        }
    }
}

#[test]
fn lru_order_and_get_refreshes() {
    let c = ShardedLru::<u64, u64>::new(3, 1);
    for k in [1, 2, 3] {
        c.insert(k, Arc::new(k), 1);
    }
    assert_eq!(order(&c), [3, 2, 1]);
    assert_eq!(val(&c, 1), Some(1));
    assert_eq!(order(&c), [1, 3, 2]);
    c.insert(4, Arc::new(4), 1);
    assert_eq!(order(&c), [4, 1, 3], "2 was least recently used");
    assert_eq!(val(&c, 2), None);
    // A miss does not disturb the order; getting the head keeps it.
    assert_eq!(val(&c, 4), Some(4));
    assert_eq!(order(&c), [4, 1, 3]);
    // Getting the tail moves it to the head.
    assert_eq!(val(&c, 3), Some(3));
    assert_eq!(order(&c), [3, 4, 1]);
    // A charge-2 entry evicts the two coldest.
    c.insert(5, Arc::new(5), 2);
    assert_eq!(order(&c), [5, 3]);
    assert_eq!(c.usage(), 3);
    // Erase from the middle, head and tail.
    c.insert(6, Arc::new(6), 1);
    assert_eq!(order(&c), [6, 5]);
    c.erase(&7);
    c.erase(&6);
    assert_eq!(order(&c), [5]);
    c.erase(&5);
    assert_eq!(order(&c), Vec::<u64>::new());
    assert!(c.is_empty());
    assert_eq!(c.usage(), 0);
    for k in [1, 2, 3] {
        c.insert(k, Arc::new(k), 1);
    }
    c.erase(&2);
    assert_eq!(order(&c), [3, 1]);
    check(&c);
}

#[test]
fn replacement_adjusts_usage() {
    let c = ShardedLru::<u64, u64>::new(10, 1);
    c.insert(1, Arc::new(10), 4);
    c.insert(2, Arc::new(20), 3);
    c.insert(3, Arc::new(30), 2);
    assert_eq!(c.usage(), 9);
    // Smaller: usage drops, the entry becomes the most recent.
    c.insert(1, Arc::new(11), 1);
    assert_eq!((c.usage(), c.len()), (6, 3));
    assert_eq!(order(&c), [1, 3, 2]);
    assert_eq!(val(&c, 1), Some(11));
    // Larger: evicts others (coldest first) but never the replaced entry itself.
    c.insert(3, Arc::new(31), 8);
    assert_eq!(order(&c), [3, 1]);
    assert_eq!((c.usage(), c.len()), (9, 2));
    c.insert(3, Arc::new(32), 10);
    assert_eq!(order(&c), [3]);
    assert_eq!(c.usage(), 10);
    assert_eq!(val(&c, 3), Some(32));
    let s = c.stats();
    assert_eq!((s.inserts, s.evictions), (6, 2));
    check(&c);
}

#[test]
fn oversize_entry_not_kept() {
    let c = ShardedLru::<u64, u64>::new(10, 1);
    c.insert(1, Arc::new(1), 5);
    let big = Arc::new(99);
    let got = c.insert(2, Arc::clone(&big), 11);
    assert!(Arc::ptr_eq(&got, &big));
    assert_eq!(Arc::strong_count(&big), 2, "the cache kept no reference");
    assert_eq!(val(&c, 2), None);
    assert_eq!(val(&c, 1), Some(1), "nothing was evicted for it");
    assert_eq!(c.usage(), 5);
    // Replacing a kept entry by an oversize value drops the stale one.
    let got = c.insert(1, Arc::new(100), 11);
    assert_eq!(*got, 100);
    assert_eq!(val(&c, 1), None);
    assert_eq!((c.usage(), c.len()), (0, 0));
    // Through get_or_insert_with too.
    let got = c.get_or_insert_with(3, || Ok((Arc::new(3), 50))).unwrap();
    assert_eq!(*got, 3);
    assert_eq!(val(&c, 3), None);
    // Per shard: 4 shards of 10 do not keep an entry of 11 either.
    let c = ShardedLru::<u64, u64>::new(40, 4);
    c.insert(1, Arc::new(1), 11);
    assert!(c.is_empty());
    c.insert(1, Arc::new(1), 10);
    assert_eq!(c.len(), 1);
    let s = c.stats();
    assert_eq!((s.inserts, s.evictions), (1, 0));
}

#[test]
fn stats_count() {
    let c = ShardedLru::<u64, u64>::new(2, 1);
    assert_eq!(c.stats(), CacheStats::default());
    assert_eq!(val(&c, 1), None);
    c.insert(1, Arc::new(1), 1);
    c.insert(2, Arc::new(2), 1);
    assert_eq!(val(&c, 1), Some(1));
    assert_eq!(val(&c, 1), Some(1));
    c.insert(3, Arc::new(3), 1); // evicts 2
    assert_eq!(val(&c, 2), None);
    c.insert(1, Arc::new(1), 1); // replacement: an insert, no eviction
    c.erase(&1); // neither
    c.insert(4, Arc::new(4), 5); // oversize: neither
    assert_eq!(c.get_or_insert_with(5, || Ok((Arc::new(5), 1))).unwrap(), Arc::new(5)); // miss
    assert_eq!(c.get_or_insert_with(5, || unreachable!()).unwrap(), Arc::new(5)); // hit
    assert_eq!(c.stats(), CacheStats { hits: 3, misses: 3, inserts: 5, evictions: 1 });
}

#[test]
fn evicted_value_lives_while_pinned() {
    let c = ShardedLru::<u64, Vec<u8>>::new(2, 1);
    c.insert(1, Arc::new(vec![1; 100]), 1);
    let pinned = c.get(&1).unwrap();
    assert_eq!(Arc::strong_count(&pinned), 2);
    c.insert(2, Arc::new(vec![2]), 1);
    c.insert(3, Arc::new(vec![3]), 1);
    assert!(c.get(&1).is_none());
    assert_eq!(Arc::strong_count(&pinned), 1, "the cache dropped its reference");
    assert_eq!(pinned.len(), 100);
    c.erase(&2);
    let three = c.get(&3).unwrap();
    c.insert(3, Arc::new(vec![33]), 1);
    assert_eq!(*three, [3], "a replaced value stays intact for its reader");
    assert_eq!(Arc::strong_count(&three), 1);
}

#[test]
fn get_or_insert_with_calls_f_once_per_miss() {
    let c = ShardedLru::<u64, u64>::new(100, 4);
    let calls = Cell::new(0);
    let load = |k: u64| {
        calls.set(calls.get() + 1);
        Ok((Arc::new(k * 2), 1))
    };
    assert_eq!(*c.get_or_insert_with(7, || load(7)).unwrap(), 14);
    assert_eq!(calls.get(), 1);
    assert_eq!(*c.get_or_insert_with(7, || load(7)).unwrap(), 14);
    assert_eq!(calls.get(), 1, "a hit does not call f");
    assert_eq!(val(&c, 7), Some(14));
    c.erase(&7);
    assert_eq!(*c.get_or_insert_with(7, || load(7)).unwrap(), 14);
    assert_eq!(calls.get(), 2);

    // Errors propagate and insert nothing.
    let r = c.get_or_insert_with(8, || Err(Error::corruption("bad block")));
    assert!(r.unwrap_err().is_corruption());
    assert_eq!(val(&c, 8), None);
    assert_eq!(c.len(), 1);
    assert_eq!(c.stats().inserts, 2);

    // `f` runs without the shard lock (it may use the cache); a value inserted meanwhile wins.
    let theirs = Arc::new(1000);
    let got = c
        .get_or_insert_with(9, || {
            assert_eq!(val(&c, 9), None);
            c.insert(9, Arc::clone(&theirs), 1);
            Ok((Arc::new(2000), 1))
        })
        .unwrap();
    assert!(Arc::ptr_eq(&got, &theirs));
    assert_eq!(val(&c, 9), Some(1000));
    check(&c);
}

#[test]
fn concurrent_use() {
    const KEYS: u64 = 300;
    let c = ShardedLru::<u64, (u64, Vec<u8>)>::new(2000, 8);
    let value = |k: u64| (k, vec![k as u8; (k % 50) as usize]);
    let charge = |k: u64| 1 + (k % 50) as usize;
    std::thread::scope(|s| {
        for t in 0..4u64 {
            let c = &c;
            s.spawn(move || {
                let mut rng = SplitMix64::new(t);
                for i in 0..50_000 {
                    let k = rng.next_u64() % KEYS;
                    match rng.next_u64() % 8 {
                        0..=2 => {
                            if let Some(v) = c.get(&k) {
                                assert_eq!(*v, value(k));
                            }
                        }
                        3..=4 => {
                            let v = c.insert(k, Arc::new(value(k)), charge(k));
                            assert_eq!(v.0, k);
                        }
                        5 => c.erase(&k),
                        _ => {
                            let v = c
                                .get_or_insert_with(k, || Ok((Arc::new(value(k)), charge(k))))
                                .unwrap();
                            assert_eq!(*v, value(k));
                        }
                    }
                    if i % 1000 == 0 {
                        assert!(c.usage() <= c.capacity());
                    }
                }
            });
        }
    });
    check(&c);
    let s = c.stats();
    assert!(s.hits > 0 && s.misses > 0 && s.inserts > 0 && s.evictions > 0, "{s:?}");
    for k in 0..KEYS {
        if let Some(v) = c.get(&k) {
            assert_eq!(*v, value(k));
        }
    }
}

#[test]
fn poisoned_shard_recovers() {
    let c = ShardedLru::<u64, u64>::new(10, 1);
    c.insert(1, Arc::new(1), 1);
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _g = c.shards[0].state.lock().unwrap();
        panic!("poison");
    }));
    assert!(r.is_err());
    assert!(c.shards[0].state.is_poisoned());
    assert_eq!(val(&c, 1), Some(1));
    c.insert(2, Arc::new(2), 1);
    assert_eq!(c.len(), 2);
}

#[test]
fn block_keys() {
    use crate::cache::BlockKey;
    // 16 blocks of 4096 per shard: all 30 fit, however they spread.
    let c = ShardedLru::<BlockKey, Vec<u8>>::new(1 << 20, 16);
    for file in 1..4 {
        for offset in (0..10).map(|i| i * 4096) {
            c.insert(BlockKey { file, offset }, Arc::new(vec![file as u8; 16]), 4096);
        }
    }
    assert_eq!(c.get(&BlockKey { file: 2, offset: 8192 }).as_deref(), Some(&vec![2u8; 16]));
    assert!(c.get(&BlockKey { file: 4, offset: 0 }).is_none());
    assert_eq!((c.len(), c.usage()), (30, 30 * 4096));
    check(&c);
}
