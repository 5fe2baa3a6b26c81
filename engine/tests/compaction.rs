//! Compaction: the tree stays shaped and bounded under sustained writes, and compaction never
//! loses, resurrects or duplicates a key, with or without snapshots.

use shale_engine::compaction::{CompactionOptions, CompactionStyle, UniversalOptions};
use shale_engine::{Db, IterOptions, Options, WriteOptions};
use std::collections::BTreeMap;

fn small_tree(background: bool) -> Options {
    Options {
        memtable_bytes_max: 1 << 20,
        background_flush: background,
        compaction: CompactionOptions {
            level_base_bytes: 4 << 20,
            target_file_bytes: 1 << 20,
            ..CompactionOptions::default()
        },
        ..Options::default()
    }
}

/// A tree of tiny memtables and levels, so a few thousand writes make many tables; output
/// tables of `table_bytes`.
fn tiny_tree(background: bool, table_bytes: u64) -> Options {
    Options {
        memtable_bytes_max: 16 << 10,
        background_flush: background,
        compaction: CompactionOptions {
            level_base_bytes: 32 << 10,
            target_file_bytes: table_bytes,
            level0_trigger: 2,
            ..CompactionOptions::default()
        },
        ..Options::default()
    }
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

#[test]
fn sustained_writes_stay_bounded_and_correct() {
    sustained(small_tree(true), "leveled");
}

#[test]
fn sustained_writes_universal() {
    let opts = Options {
        compaction_style: CompactionStyle::Universal(UniversalOptions::default()),
        ..small_tree(true)
    };
    sustained(opts, "universal");
}

fn sustained(opts: Options, style: &str) {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path(), opts.clone()).unwrap();
    let ks = db.default_keyspace();
    let mut rng = Rng(7);
    let mut model: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
    let budget = opts.memtable_bytes_max as u64;
    let mut written = 0u64;
    let mut i = 0u64;
    let mut max_mem = 0usize;
    // At least 50x the memtable budget.
    while written < 56 * budget {
        let k = format!("key{:08}", rng.next() % 200_000).into_bytes();
        let v = vec![b'a' + (i % 26) as u8; 100 + (rng.next() % 60) as usize];
        written += (k.len() + v.len()) as u64;
        db.put(&ks, &k, &v).unwrap();
        model.insert(k, v);
        if i.is_multiple_of(5000) {
            let s = db.stats();
            let k0 = &s.keyspaces[0];
            max_mem = max_mem.max(k0.memtable_bytes);
            assert!(
                k0.memtable_bytes <= (opts.max_immutable_memtables + 2) * opts.memtable_bytes_max,
                "memtables grew past the bound: {} bytes",
                k0.memtable_bytes
            );
            assert!(k0.levels[0].files < opts.compaction.level0_stop + 2, "L0 ran away");
        }
        i += 1;
    }
    let s = db.stats();
    let k0 = &s.keyspaces[0];
    assert!(k0.levels[0].files < opts.compaction.level0_stop, "L0 under its stop threshold");
    assert!(s.compactions + s.trivial_moves > 0, "compaction ran");
    let deeper: usize = k0.levels[1..].iter().map(|l| l.files).sum();
    assert!(deeper > 0, "data reached deeper levels: {k0:?}");
    println!(
        "sustained ({style}): {} MiB written in {i} puts; write amplification {:.2} (flushed {} MiB, \
         compactions wrote {} MiB, {} compactions, {} trivial moves); stalls {} ({} ms), \
         slowdowns {}; peak memtables {} KiB; levels {:?}",
        written >> 20,
        s.write_amplification(),
        s.flush_bytes >> 20,
        s.compaction_write_bytes >> 20,
        s.compactions,
        s.trivial_moves,
        s.stalls,
        s.stall_micros / 1000,
        s.slowdowns,
        max_mem >> 10,
        k0.levels.iter().map(|l| l.files).collect::<Vec<_>>()
    );
    // Every key reads back, and iteration equals the model.
    for (k, v) in model.iter().step_by(7) {
        assert_eq!(db.get(&ks, k).unwrap().as_ref(), Some(v));
    }
    let all: Vec<_> = db.iter(&ks, IterOptions::all()).unwrap().map(|kv| kv.unwrap()).collect();
    assert_eq!(all.len(), model.len());
    assert!(all.iter().zip(&model).all(|((k, v), (mk, mv))| k == mk && v == mv));
    db.verify().unwrap();
    drop(db);
    let db = Db::open(dir.path(), opts).unwrap();
    let n = db.iter(&db.default_keyspace(), IterOptions::all()).unwrap().count();
    assert_eq!(n, model.len(), "after reopen");
}

#[test]
fn compaction_respects_snapshots_and_drops_garbage() {
    for background in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let opts = small_tree(background);
        let db = Db::open(dir.path(), opts.clone()).unwrap();
        let ks = db.default_keyspace();
        for i in 0..2000u32 {
            db.put(&ks, format!("k{i:05}").as_bytes(), b"v1").unwrap();
        }
        db.flush().unwrap();
        let snap = db.snapshot();
        for i in 0..2000u32 {
            if i % 2 == 0 {
                db.put(&ks, format!("k{i:05}").as_bytes(), b"v2").unwrap();
            } else {
                db.delete(&ks, format!("k{i:05}").as_bytes()).unwrap();
            }
        }
        db.compact_range(&ks, None, None).unwrap();
        let s = db.stats();
        assert_eq!(s.keyspaces[0].levels[0].files, 0, "compact_range empties L0");
        // The snapshot still sees v1 everywhere; the latest state sees v2 or nothing.
        for i in (0..2000u32).step_by(13) {
            let k = format!("k{i:05}");
            assert_eq!(snap.get(&ks, k.as_bytes()).unwrap().as_deref(), Some(&b"v1"[..]));
            let want: Option<&[u8]> = if i % 2 == 0 { Some(b"v2") } else { None };
            assert_eq!(db.get(&ks, k.as_bytes()).unwrap().as_deref(), want);
        }
        assert_eq!(snap.iter(&ks, IterOptions::all()).unwrap().count(), 2000);
        let entries_with_snapshot: u64 = s.keyspaces[0].levels.iter().map(|l| l.entries).sum();
        assert!(entries_with_snapshot >= 3000, "old versions kept for the snapshot");
        drop(snap);
        db.compact_range(&ks, None, None).unwrap();
        let entries: u64 = db.stats().keyspaces[0].levels.iter().map(|l| l.entries).sum();
        assert_eq!(entries, 1000, "shadowed versions and bottom tombstones dropped");
        drop(db);
        let db = Db::open(dir.path(), opts).unwrap();
        let ks = db.default_keyspace();
        let keys: Vec<_> =
            db.iter(&ks, IterOptions::all()).unwrap().map(|kv| kv.unwrap()).collect();
        assert_eq!(keys.len(), 1000, "deleted keys stay deleted after compaction and reopen");
        assert!(keys.iter().all(|(_, v)| v == b"v2"));
    }
}

#[test]
fn compact_range_limits_itself_to_the_range() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path(), small_tree(false)).unwrap();
    let ks = db.default_keyspace();
    for round in 0..3u32 {
        for i in 0..500u32 {
            db.put_with(
                &ks,
                format!("a{i:04}").as_bytes(),
                &round.to_le_bytes(),
                WriteOptions::default(),
            )
            .unwrap();
            db.put(&ks, format!("z{i:04}").as_bytes(), &round.to_le_bytes()).unwrap();
        }
        db.flush().unwrap();
    }
    db.compact_range(&ks, Some(b"a"), Some(b"a9999")).unwrap();
    for i in 0..500u32 {
        assert_eq!(
            db.get(&ks, format!("a{i:04}").as_bytes()).unwrap(),
            Some(2u32.to_le_bytes().to_vec())
        );
        assert_eq!(
            db.get(&ks, format!("z{i:04}").as_bytes()).unwrap(),
            Some(2u32.to_le_bytes().to_vec())
        );
    }
    db.verify().unwrap();
}

#[test]
fn statistics_report_the_tree_and_the_work() {
    let dir = tempfile::tempdir().unwrap();
    let opts = Options { latency_histograms: true, ..small_tree(false) };
    let db = Db::open(dir.path(), opts).unwrap();
    let ks = db.default_keyspace();
    for i in 0..20_000u32 {
        let sync = WriteOptions { sync: i % 1000 == 0 };
        db.put_with(&ks, format!("k{:06}", i % 5000).as_bytes(), &[7u8; 120], sync).unwrap();
    }
    for i in 0..1000u32 {
        db.get(&ks, format!("k{i:06}").as_bytes()).unwrap();
    }
    let s = db.stats();
    assert!(s.wal_syncs >= 20 && s.wal_bytes > 20_000 * 120, "{s:?}");
    assert_eq!(s.write_latency.count, 20_000);
    assert_eq!(s.get_latency.count, 1000);
    assert!(s.get_latency.p50 <= s.get_latency.p99 && s.get_latency.p99 <= s.get_latency.max);
    assert!(s.flushes > 0 && s.level_write_bytes[0] == s.flush_bytes);
    let below: u64 = s.level_write_bytes[1..].iter().sum();
    assert_eq!(below, s.compaction_write_bytes, "compaction writes land below L0");
    let read: u64 = s.level_read_bytes.iter().sum();
    assert_eq!(read, s.compaction_read_bytes);
    assert!(s.write_amplification() >= 1.0);
    let k0 = &s.keyspaces[0];
    assert!(k0.levels[6].target_bytes > 0, "the last level has a target");
    assert!(k0.levels[0].score < 1.0 + 1e-9, "inline compaction keeps L0 under its trigger");
}

#[test]
fn thread_pools_work_on_several_keyspaces_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let opts = Options {
        flush_threads: 2,
        compaction_threads: 2,
        compaction: CompactionOptions {
            level_base_bytes: 256 << 10,
            target_file_bytes: 64 << 10,
            level0_trigger: 2,
            ..CompactionOptions::default()
        },
        memtable_bytes_max: 64 << 10,
        ..Options::default()
    };
    let db = Db::open(dir.path(), opts.clone()).unwrap();
    let names = ["a", "b", "c"];
    let handles: Vec<_> = names.iter().map(|n| db.create_keyspace(n).unwrap()).collect();
    std::thread::scope(|s| {
        for (t, ks) in handles.iter().enumerate() {
            let db = &db;
            s.spawn(move || {
                for i in 0..30_000u32 {
                    let v = format!("{t}-{i}");
                    db.put(ks, format!("k{:05}", i % 7000).as_bytes(), v.as_bytes()).unwrap();
                }
            });
        }
    });
    db.flush().unwrap();
    for (t, ks) in handles.iter().enumerate() {
        for i in (0..7000u32).step_by(97) {
            // The last write of key i was at the largest j < 30_000 with j % 7000 == i.
            let last = (0..30_000u32).rev().find(|j| j % 7000 == i).unwrap();
            let want = format!("{t}-{last}");
            assert_eq!(db.get(ks, format!("k{i:05}").as_bytes()).unwrap(), Some(want.into_bytes()));
        }
        assert_eq!(db.iter(ks, IterOptions::all()).unwrap().count(), 7000);
    }
    let s = db.stats();
    assert!(s.compactions + s.trivial_moves > 0);
    db.verify().unwrap();
}

/// Waits until the background compaction thread leaves L0 under its trigger.
fn wait_for_compactions(db: &Db) {
    for _ in 0..500 {
        if db.stats().keyspaces[0].levels[0].files < 2 {
            std::thread::sleep(std::time::Duration::from_millis(20));
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("background compaction did not catch up");
}

fn table_names(dir: &std::path::Path) -> std::collections::BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".sst"))
        .collect()
}

/// An iterator and a snapshot taken over tables in L0 and L6 stay correct while compactions
/// replace (and delete the files of) every table they read: drained afterwards, the iterator
/// yields exactly the state at its creation, and the snapshot reads that state too.
#[test]
fn iterators_and_snapshots_survive_compactions_removing_their_tables() {
    for background in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let opts = tiny_tree(background, 8 << 10);
        let db = Db::open(dir.path(), opts).unwrap();
        let ks = db.default_keyspace();
        let mut rng = Rng(11);
        let mut model: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
        let mut write_round = |db: &Db, model: &mut BTreeMap<Vec<u8>, Vec<u8>>, round: u64| {
            for _ in 0..600 {
                let k = format!("k{:04}", rng.next() % 1500).into_bytes();
                if rng.next().is_multiple_of(4) {
                    db.delete(&ks, &k).unwrap();
                    model.remove(&k);
                } else {
                    let mut v = format!("r{round}-").into_bytes();
                    v.extend((0..40 + rng.next() % 80).map(|_| rng.next() as u8));
                    db.put(&ks, &k, &v).unwrap();
                    model.insert(k, v);
                }
            }
        };
        write_round(&db, &mut model, 0);
        if !background {
            db.compact_range(&ks, None, None).unwrap();
        }
        write_round(&db, &mut model, 1);
        db.flush().unwrap();
        write_round(&db, &mut model, 2); // partly in the memtable
        let at_creation = model.clone();
        let tables_at_creation = table_names(dir.path());
        assert!(tables_at_creation.len() >= 2, "{tables_at_creation:?}");
        let mut it = db.iter(&ks, IterOptions::all()).unwrap();
        let snap = db.snapshot();
        // Read a little of the iterator first, so that it holds positioned blocks.
        let mut drained: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
        for _ in 0..10 {
            drained.push(it.next().unwrap().unwrap());
        }
        for round in 3..7 {
            write_round(&db, &mut model, round);
            if background {
                // Leave compaction to the background thread (a concurrent compact_range races it:
                // see compact_range_concurrent_with_background_compaction).
                db.flush().unwrap();
                wait_for_compactions(&db);
            } else {
                db.compact_range(&ks, None, None).unwrap();
            }
        }
        let now = table_names(dir.path());
        let removed = tables_at_creation.difference(&now).count();
        println!(
            "background {background}: {removed} of {} tables the iterator read were removed \
             under it",
            tables_at_creation.len()
        );
        drained.extend(it.map(|kv| kv.unwrap()));
        let want: Vec<_> = at_creation.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        assert_eq!(
            drained.len(),
            want.len(),
            "iterator after compactions (background {background})"
        );
        assert!(drained == want, "iterator after compactions differs (background {background})");
        let from_snap: Vec<_> =
            snap.iter(&ks, IterOptions::all()).unwrap().map(|kv| kv.unwrap()).collect();
        assert!(
            from_snap == want,
            "snapshot iteration after compactions (background {background})"
        );
        for (k, v) in at_creation.iter().step_by(5) {
            assert_eq!(snap.get(&ks, k).unwrap().as_ref(), Some(v));
        }
        for i in (0..1500).step_by(7) {
            let k = format!("k{i:04}").into_bytes();
            assert_eq!(snap.get(&ks, &k).unwrap(), at_creation.get(&k).cloned(), "snapshot get");
            assert_eq!(db.get(&ks, &k).unwrap(), model.get(&k).cloned(), "latest get");
        }
        drop(snap);
        wait_for_compactions(&db);
        db.compact_range(&ks, None, None).unwrap();
        let latest: Vec<_> =
            db.iter(&ks, IterOptions::all()).unwrap().map(|kv| kv.unwrap()).collect();
        assert!(latest.iter().map(|(k, v)| (k, v)).eq(model.iter()), "latest state");
        assert!(
            table_names(dir.path()).is_disjoint(&tables_at_creation),
            "every table of the iterator's time is gone once nothing reads it"
        );
        db.verify().unwrap();
    }
}

/// `compact_range` while the background compaction thread compacts the same L0 files: both must
/// not install a compaction of the same inputs, and the database must reopen.
#[test]
fn compact_range_concurrent_with_background_compaction() {
    for attempt in 0..20u64 {
        let dir = tempfile::tempdir().unwrap();
        let opts = Options {
            memtable_bytes_max: 16 << 10,
            compaction: CompactionOptions {
                level_base_bytes: 32 << 10,
                target_file_bytes: 8 << 10,
                level0_trigger: 2,
                ..CompactionOptions::default()
            },
            ..Options::default()
        };
        let db = Db::open(dir.path(), opts.clone()).unwrap();
        let ks = db.default_keyspace();
        let mut rng = Rng(attempt);
        let mut model: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
        for round in 0..4u64 {
            for _ in 0..600 {
                let k = format!("k{:04}", rng.next() % 1500).into_bytes();
                let v = vec![b'a' + (round as u8); 40 + (rng.next() % 80) as usize];
                db.put(&ks, &k, &v).unwrap();
                model.insert(k, v);
            }
            if let Err(e) = db.compact_range(&ks, None, None) {
                drop(ks);
                drop(db);
                let reopen = Db::open(dir.path(), opts).map(|_| ());
                panic!("attempt {attempt}: compact_range failed: {e}; reopen: {reopen:?}");
            }
        }
        let all: Vec<_> = db.iter(&ks, IterOptions::all()).unwrap().map(|kv| kv.unwrap()).collect();
        assert!(all.iter().map(|(k, v)| (k, v)).eq(model.iter()));
    }
}

/// Seeks in both directions over a tree whose levels hold many tables each (so a level's
/// iterator crosses table boundaries and binary-searches the tables) agree with a `BTreeMap`.
#[test]
fn seeks_across_many_tables_per_level_match_the_model() {
    let dir = tempfile::tempdir().unwrap();
    let opts = tiny_tree(false, 4 << 10);
    let db = Db::open(dir.path(), opts).unwrap();
    let ks = db.default_keyspace();
    let mut rng = Rng(29);
    let mut model: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
    for round in 0..3u64 {
        for _ in 0..1500 {
            let k = format!("k{:05}", rng.next() % 4000).into_bytes();
            if rng.next().is_multiple_of(5) {
                db.delete(&ks, &k).unwrap();
                model.remove(&k);
            } else {
                let v = format!("r{round}-{:060}", rng.next() % 1000).into_bytes();
                db.put(&ks, &k, &v).unwrap();
                model.insert(k, v);
            }
        }
        db.compact_range(&ks, None, None).unwrap();
    }
    let stats = db.stats();
    let deep_tables: usize = stats.keyspaces[0].levels[1..].iter().map(|l| l.files).max().unwrap();
    assert!(deep_tables >= 8, "one level should hold many tables: {stats}");
    let take = |opts: IterOptions, n: usize| -> Vec<(Vec<u8>, Vec<u8>)> {
        db.iter(&ks, opts).unwrap().take(n).map(|kv| kv.unwrap()).collect()
    };
    for _ in 0..300 {
        let k = format!("k{:05}", rng.next() % 4100).into_bytes();
        let n = 1 + (rng.next() % 40) as usize;
        let fwd: Vec<_> =
            model.range(k.clone()..).take(n).map(|(a, b)| (a.clone(), b.clone())).collect();
        assert_eq!(take(IterOptions::all().from(k.clone()), n), fwd, "forward from {k:?}");
        let back: Vec<_> =
            model.range(..k.clone()).rev().take(n).map(|(a, b)| (a.clone(), b.clone())).collect();
        assert_eq!(
            take(IterOptions::all().to(k.clone()).reverse(), n),
            back,
            "backward below {k:?}"
        );
    }
    let all: Vec<_> = model.iter().map(|(a, b)| (a.clone(), b.clone())).collect();
    assert_eq!(take(IterOptions::all(), usize::MAX), all);
    let mut rev = all.clone();
    rev.reverse();
    assert_eq!(take(IterOptions::all().reverse(), usize::MAX), rev);
}

/// Keyspaces dropped while their compaction is due, over and over, while another keyspace is
/// written and compacted: a compaction thread that listed a keyspace before its drop must not
/// pick tables from it afterwards (they are gone; reading one failed the database, seen in the
/// model test as "opening 000056.sst: No such file or directory").
#[test]
fn dropping_keyspaces_with_compactions_due_never_fails_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let opts = Options { compaction_threads: 2, ..tiny_tree(true, 16 << 10) };
    let db = Db::open(dir.path(), opts).unwrap();
    let base = db.default_keyspace();
    let stop = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            let mut i = 0u32;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                db.put(&base, format!("b{:05}", i % 3000).as_bytes(), &[7u8; 64]).unwrap();
                i += 1;
            }
        });
        for round in 0..40u32 {
            let names: Vec<String> = (0..4).map(|j| format!("x{round}-{j}")).collect();
            let handles: Vec<_> = names.iter().map(|n| db.create_keyspace(n).unwrap()).collect();
            for (j, ks) in handles.iter().enumerate() {
                // Enough for several L0 tables: a compaction is due when the drop comes.
                for i in 0..(600 + 150 * j as u32) {
                    db.put(ks, format!("k{i:05}").as_bytes(), &[round as u8; 96]).unwrap();
                }
            }
            for ks in &handles {
                db.drop_keyspace(ks).unwrap();
            }
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
    });
    db.put(&base, b"after", b"1").unwrap();
    db.flush().unwrap();
    db.compact_range(&base, None, None).unwrap();
    assert_eq!(db.get(&base, b"after").unwrap(), Some(b"1".to_vec()));
    assert_eq!(db.iter(&base, IterOptions::all()).unwrap().count(), 3001);
    db.verify().unwrap();
}
