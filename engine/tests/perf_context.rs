//! The per-thread performance context (`shale_engine::perf`) through the public API: what a
//! point lookup, a batched lookup and a write report at each level, on real files.

use shale_engine::perf::{self, PerfContext, PerfLevel, Stat};
use shale_engine::{Db, Options, WriteBatch, WriteOptions};
use std::sync::{Arc, Barrier};

fn open(dir: &std::path::Path) -> Db {
    Db::open(dir, Options::default()).unwrap()
}

fn timed<R>(f: impl FnOnce() -> R) -> (R, PerfContext) {
    perf::measure(PerfLevel::Time, f)
}

#[test]
fn a_memtable_hit_reads_no_file_and_a_table_hit_goes_through_the_block_cache() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(dir.path());
    let ks = db.default_keyspace();
    db.put(&ks, b"a", b"1").unwrap();
    db.put(&ks, b"m", b"2").unwrap();
    db.put(&ks, b"z", b"3").unwrap();

    let (v, c) = timed(|| db.get(&ks, b"m").unwrap());
    assert_eq!(v.as_deref(), Some(&b"2"[..]));
    assert_eq!(c.get(Stat::MemtableHits), 1);
    assert!(c.get(Stat::MemtableNanos) > 0, "{c:?}");
    for s in [Stat::FileReads, Stat::TableNanos, Stat::BlockCacheHits, Stat::BlockCacheMisses] {
        assert_eq!(c.get(s), 0, "{}: {c:?}", s.name());
    }

    db.flush().unwrap();
    drop(db);
    let db = open(dir.path());
    let ks = db.default_keyspace();
    // Cold: the table opens (footer, index, filter, properties read) and its data block is
    // missed and read.
    let (v, cold) = timed(|| db.get(&ks, b"m").unwrap());
    assert_eq!(v.as_deref(), Some(&b"2"[..]));
    assert_eq!(cold.get(Stat::MemtableHits), 0);
    assert_eq!((cold.get(Stat::BlockCacheMisses), cold.get(Stat::BlockCacheHits)), (1, 0));
    assert!(cold.get(Stat::FileReads) >= 2, "{cold:?}");
    assert!(cold.get(Stat::FileReadBytes) > 0 && cold.get(Stat::FileReadNanos) > 0);
    assert!(cold.get(Stat::TableNanos) >= cold.get(Stat::FileReadNanos), "{cold:?}");

    // Warm: the block comes from the cache, nothing is read.
    let (_, warm) = timed(|| db.get(&ks, b"m").unwrap());
    assert_eq!((warm.get(Stat::BlockCacheMisses), warm.get(Stat::BlockCacheHits)), (0, 1));
    assert_eq!((warm.get(Stat::FileReads), warm.get(Stat::FileReadBytes)), (0, 0));
    assert!(warm.get(Stat::BlockCacheNanos) > 0, "{warm:?}");

    // A key inside the table's range that it lacks: the filter rules the table out (or, on a
    // false positive, the data block is searched); nothing is read either way.
    let (v, absent) = timed(|| db.get(&ks, b"k").unwrap());
    assert!(v.is_none());
    assert_eq!(absent.get(Stat::FileReads), 0);
    assert_eq!(absent.get(Stat::FilterNegatives) + absent.get(Stat::BlockCacheHits), 1);

    // A batched lookup counts the same way (its two keys share the table's one data block,
    // looked up once).
    let (vs, multi) = timed(|| db.multi_get(&ks, &[b"a", b"z"]).unwrap());
    assert_eq!(vs.len(), 2);
    assert_eq!(multi.get(Stat::BlockCacheHits), 1, "{multi:?}");
    assert_eq!(multi.get(Stat::FileReads), 0);

    // Counting keeps counts, not durations; off keeps nothing.
    let (_, counted) = perf::measure(PerfLevel::Count, || db.get(&ks, b"m").unwrap());
    assert_eq!(counted.get(Stat::BlockCacheHits), 1);
    assert!(counted.iter().all(|(s, v)| !s.is_nanos() || v == 0), "{counted:?}");
    let (_, off) = perf::measure(PerfLevel::Off, || db.get(&ks, b"m").unwrap());
    assert!(off.is_empty());
}

#[test]
fn a_write_reports_its_queue_wal_fsync_and_memtable_insert() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(dir.path());
    let ks = db.default_keyspace();
    let mut batch = WriteBatch::new();
    batch.put(&ks, b"k", &[7u8; 100]);
    let len = batch.encoded_len() as u64;

    let ((), unsynced) = timed(|| db.write(batch, WriteOptions::default()).unwrap());
    assert_eq!(unsynced.get(Stat::WalBytes), len);
    assert!(unsynced.get(Stat::WalNanos) > 0, "{unsynced:?}");
    assert_eq!(unsynced.get(Stat::FsyncNanos), 0);
    assert!(unsynced.get(Stat::MemtableInsertNanos) > 0, "{unsynced:?}");

    let synced = WriteOptions { sync: true };
    let ((), c) = timed(|| db.put_with(&ks, b"k", b"v", synced).unwrap());
    assert!(c.get(Stat::FsyncNanos) > 0, "{c:?}");
    assert_eq!(c.get(Stat::WalNanos), 0);
    // Reads are not charged to a write.
    assert_eq!(c.get(Stat::MemtableHits) + c.get(Stat::FileReads), 0);
}

/// Every writer of a group commit is charged its group's fsync, whichever thread led it.
#[test]
fn every_writer_of_a_synced_group_is_charged_the_fsync() {
    let dir = tempfile::tempdir().unwrap();
    let db = Arc::new(open(dir.path()));
    let threads = 4;
    let start = Arc::new(Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let (db, start) = (Arc::clone(&db), Arc::clone(&start));
            std::thread::spawn(move || {
                let ks = db.default_keyspace();
                start.wait();
                (0..50)
                    .map(|i| {
                        let key = format!("{t}-{i}");
                        let put =
                            || db.put_with(&ks, key.as_bytes(), b"v", WriteOptions { sync: true });
                        timed(|| put().unwrap()).1
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    for h in handles {
        for c in h.join().unwrap() {
            assert!(c.get(Stat::FsyncNanos) > 0, "{c:?}");
            assert!(c.get(Stat::MemtableInsertNanos) > 0, "{c:?}");
        }
    }
}
