//! Checkpoints taken while writers run open as databases holding exactly the writes up to the
//! sequence number the checkpoint reports.

use shale_engine::{Db, IterOptions, Options};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

#[test]
fn checkpoint_under_concurrent_writes_is_a_consistent_prefix() {
    let dir = tempfile::tempdir().unwrap();
    let opts = Options { memtable_bytes_max: 256 << 10, ..Options::default() };
    let db = Db::open(dir.path().join("db"), opts.clone()).unwrap();
    let ks = db.default_keyspace();
    // Sequence numbers start at the first write: key i is written at sequence base + i + 1.
    let base = db.latest_sequence();
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (db, ks, stop) = (db.clone(), ks.clone(), Arc::clone(&stop));
        std::thread::spawn(move || {
            let mut i = 0u64;
            while !stop.load(Ordering::Relaxed) || i < 20_000 {
                db.put(&ks, format!("key{i:08}").as_bytes(), &i.to_le_bytes()).unwrap();
                i += 1;
            }
            i
        })
    };
    let mut seqs = Vec::new();
    for c in 0..4 {
        std::thread::sleep(std::time::Duration::from_millis(30));
        let seq = db.checkpoint(dir.path().join(format!("cp{c}"))).unwrap();
        seqs.push(seq);
    }
    stop.store(true, Ordering::Relaxed);
    let written = writer.join().unwrap();
    assert!(seqs.windows(2).all(|w| w[0] <= w[1]));
    for (c, seq) in seqs.iter().enumerate() {
        let cp = Db::open(dir.path().join(format!("cp{c}")), opts.clone()).unwrap();
        let n = seq - base;
        let got: Vec<(Vec<u8>, Vec<u8>)> = cp
            .iter(&cp.default_keyspace(), IterOptions::all())
            .unwrap()
            .map(|kv| kv.unwrap())
            .collect();
        assert_eq!(got.len() as u64, n, "checkpoint {c} at sequence {seq}");
        for (i, (k, v)) in got.iter().enumerate() {
            assert_eq!(k, format!("key{i:08}").as_bytes());
            assert_eq!(v, &(i as u64).to_le_bytes());
        }
        assert_eq!(cp.latest_sequence(), *seq);
        cp.verify().unwrap();
    }
    // The source goes on unaffected, and a checkpoint cannot overwrite a directory.
    assert_eq!(db.iter(&ks, IterOptions::all()).unwrap().count() as u64, written);
    assert!(db.checkpoint(dir.path().join("cp0")).is_err());
}

/// Every key and value of keyspace `name`.
fn all_of(db: &Db, name: &str) -> Vec<(Vec<u8>, Vec<u8>)> {
    let ks = db.keyspace(name).unwrap();
    db.iter(&ks, IterOptions::all()).unwrap().map(Result::unwrap).collect()
}

#[test]
fn a_checkpoint_of_some_keyspaces_holds_them_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let opts = Options { memtable_bytes_max: 64 << 10, ..Options::default() };
    let db = Db::open(dir.path().join("db"), opts.clone()).unwrap();
    let (a, b, c) = (
        db.create_keyspace("a").unwrap(),
        db.create_keyspace("b").unwrap(),
        db.create_keyspace("c").unwrap(),
    );
    let def = db.default_keyspace();
    for i in 0..3000u32 {
        let k = format!("k{i:05}");
        for (ks, tag) in [(&a, "a"), (&b, "b"), (&c, "c"), (&def, "d")] {
            db.put(ks, k.as_bytes(), format!("{tag}{i}").repeat(8).as_bytes()).unwrap();
        }
    }
    // Everything in tables, and no compaction changing them while they are counted.
    db.flush().unwrap();
    db.wait_for_background_work().unwrap();
    let tables_of = |db: &Db, names: &[&str]| -> usize {
        let stats = db.stats();
        let chosen = stats.keyspaces.iter().filter(|k| names.contains(&k.name.as_str()));
        chosen.flat_map(|k| &k.levels).map(|l| l.files).sum()
    };
    let chosen = tables_of(&db, &["a", "c"]);
    // Some of it only in the WAL and the memtables.
    db.delete(&a, b"k00007").unwrap();
    let seq = db.checkpoint_keyspaces(&[&a, &c], dir.path().join("cp")).unwrap();
    assert_eq!(seq, db.latest_sequence());
    db.put(&a, b"later", b"x").unwrap();
    // Only the chosen keyspaces' tables were linked: those counted, and the one the checkpoint's
    // flush made of the delete.
    let linked = std::fs::read_dir(dir.path().join("cp"))
        .unwrap()
        .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().ends_with(".sst"))
        .count();
    assert_eq!(linked, chosen + 1, "tables linked into the copy");

    let cp = Db::open(dir.path().join("cp"), opts.clone()).unwrap();
    assert_eq!(cp.list_keyspaces(), vec!["a", "c", "default"]);
    assert_eq!(all_of(&cp, "a").len(), 2999);
    assert_eq!(all_of(&cp, "default"), vec![], "the default keyspace is there, empty");
    let a_now: Vec<_> = all_of(&db, "a").into_iter().filter(|(k, _)| k != b"later").collect();
    assert_eq!(all_of(&cp, "a"), a_now);
    assert_eq!(all_of(&cp, "c"), all_of(&db, "c"));
    assert!(cp.keyspace("b").is_err());
    drop(cp);
    // A dropped keyspace cannot be chosen.
    db.drop_keyspace(&b).unwrap();
    assert!(db.checkpoint_keyspaces(&[&b], dir.path().join("cp2")).is_err());
}
