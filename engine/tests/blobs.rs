//! Key-value separation: values in blob files, read through every path, collected as garbage,
//! crash-safe.
//!
//! The model test (`model.rs`, `model_memfs_blobs`) and the crash and fault tests
//! (`backend_tests!`'s `mem_blob` variant) run their whole histories over blob-separated
//! keyspaces too; these tests check what only blob files have.

mod common;

use common::Rng;
use shale_engine::compaction::{ttl_value, TtlFilter};
use shale_engine::fs::{FaultMode, FileSystem, MemFs};
use shale_engine::{Db, Error, IterOptions, Options, WriteBatch, WriteOptions};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

const DIR: &str = "/db";

/// In-memory options with blobs of 64 bytes or more, inline flushes and compactions (every file
/// operation in one order), and no compaction unless asked for.
fn opts(fs: &MemFs) -> Options {
    Options {
        fs: Arc::new(fs.clone()),
        blob_threshold_bytes: Some(64),
        background_flush: false,
        compaction: shale_engine::compaction::CompactionOptions {
            level0_trigger: 1 << 30,
            level0_slowdown: 1 << 30,
            level0_stop: 1 << 30,
            ..Default::default()
        },
        ..Options::default()
    }
}

fn value(i: u64, generation: u64) -> Vec<u8> {
    // A third of the values stay in the tables (shorter than the threshold).
    let len = if i.is_multiple_of(3) { 20 } else { 100 + (i * 37 % 400) as usize };
    let mut v = format!("v{generation}-{i}-").into_bytes();
    v.resize(len, b'a' + (i % 26) as u8);
    v
}

fn key(i: u64) -> Vec<u8> {
    format!("key{i:05}").into_bytes()
}

fn files_of(fs: &MemFs, ext: &str) -> Vec<String> {
    let mut v: Vec<String> =
        fs.list(Path::new(DIR)).unwrap().into_iter().filter(|n| n.ends_with(ext)).collect();
    v.sort();
    v
}

fn dump(db: &Db) -> BTreeMap<Vec<u8>, Vec<u8>> {
    db.iter(&db.default_keyspace(), IterOptions::all()).unwrap().map(|r| r.unwrap()).collect()
}

#[test]
fn separated_values_read_back_through_every_path() {
    let fs = MemFs::new();
    let db = Db::open(DIR, opts(&fs)).unwrap();
    let ks = db.default_keyspace();
    let mut want = BTreeMap::new();
    for i in 0..300 {
        db.put(&ks, &key(i), &value(i, 0)).unwrap();
        want.insert(key(i), value(i, 0));
    }
    db.flush().unwrap();
    assert_eq!(files_of(&fs, ".blob").len(), 1, "one flush, one blob file");
    let snap = db.snapshot();
    // Overwrite some in the memtable: reads mix memtable values, table values and blob values.
    for i in (0..300).step_by(7) {
        db.put(&ks, &key(i), &value(i, 1)).unwrap();
        want.insert(key(i), value(i, 1));
    }
    for (k, v) in &want {
        assert_eq!(db.get(&ks, k).unwrap().as_ref(), Some(v));
    }
    let keys: Vec<Vec<u8>> = (0..310).map(key).collect();
    let refs: Vec<&[u8]> = keys.iter().map(Vec::as_slice).collect();
    let got = db.multi_get(&ks, &refs).unwrap();
    for (k, g) in keys.iter().zip(got) {
        assert_eq!(g.as_ref(), want.get(k));
    }
    assert_eq!(dump(&db), want);
    let back: Vec<(Vec<u8>, Vec<u8>)> =
        db.iter(&ks, IterOptions::all().reverse()).unwrap().map(|r| r.unwrap()).collect();
    assert!(back.iter().rev().eq(want
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect::<Vec<_>>()
        .iter()));
    // The snapshot sees the first generation, from the blob file.
    assert_eq!(snap.get(&ks, &key(7)).unwrap(), Some(value(7, 0)));
    drop(snap);
    let r = db.verify().unwrap();
    assert_eq!((r.blob_files, r.blob_records, r.blob_pointers), (1, 200, 200), "{r:?}");
    db.close().unwrap();
    // After a reopen (and with separation switched off: old blob entries still read).
    let db = Db::open(DIR, Options { blob_threshold_bytes: None, ..opts(&fs) }).unwrap();
    assert_eq!(dump(&db), want);
    let stats = db.stats();
    assert_eq!(stats.keyspaces[0].blob_files, 1, "{stats}");
}

/// Overwrites turn blob records into garbage; compactions account for it, relocate the live
/// values of files past `blob_gc_ratio`, and remove files that are all garbage.
#[test]
fn garbage_is_counted_collected_and_reclaimed() {
    let fs = MemFs::new();
    let db = Db::open(DIR, opts(&fs)).unwrap();
    let ks = db.default_keyspace();
    for i in 0..400 {
        db.put(&ks, &key(i), &value(i, 0)).unwrap();
    }
    db.flush().unwrap();
    let first = files_of(&fs, ".blob");
    // Overwrite 3 in 4 of the keys: the first file becomes mostly garbage.
    for i in (0..400).filter(|i| i % 4 != 0) {
        db.put(&ks, &key(i), &value(i, 1)).unwrap();
    }
    db.flush().unwrap();
    db.compact_range(&ks, None, None).unwrap();
    let s = db.stats();
    assert!(s.compaction_blob_bytes > 0, "live values of the first file were relocated: {s}");
    let blobs = files_of(&fs, ".blob");
    assert!(!blobs.contains(&first[0]), "the first file is gone: {blobs:?}");
    assert!(s.blob_bytes_reclaimed > 0, "{s}");
    assert_eq!(s.keyspaces[0].blob_garbage_bytes, 0, "compact_range left only live records: {s}");
    for i in 0..400 {
        let g = if i % 4 != 0 { 1 } else { 0 };
        assert_eq!(db.get(&ks, &key(i)).unwrap(), Some(value(i, g)), "key {i}");
    }
    db.verify().unwrap();
    // Deleting everything: a compaction to the bottom leaves no blob file at all.
    for i in 0..400 {
        db.delete(&ks, &key(i)).unwrap();
    }
    db.compact_range(&ks, None, None).unwrap();
    assert_eq!(files_of(&fs, ".blob"), Vec::<String>::new());
    assert_eq!(db.stats().keyspaces[0].blob_files, 0);
    db.close().unwrap();
    let db = Db::open(DIR, opts(&fs)).unwrap();
    assert!(dump(&db).is_empty());
    common::check_db_files(&fs, Path::new(DIR)).unwrap();
}

/// When nothing else is due, the background compaction still collects: it rewrites a table
/// pointing into a file past the garbage ratio.
#[test]
fn blob_gc_runs_when_nothing_else_is_due() {
    let fs = MemFs::new();
    let o = Options { background_flush: true, blob_gc_ratio: 0.3, ..opts(&fs) };
    let db = Db::open(DIR, o).unwrap();
    let ks = db.default_keyspace();
    for i in 0..300 {
        db.put(&ks, &key(i), &value(i, 0)).unwrap();
    }
    db.flush().unwrap();
    db.compact_range(&ks, None, None).unwrap(); // one table in the last level
    let before = files_of(&fs, ".blob");
    assert_eq!(before.len(), 1);
    for i in (0..300).filter(|i| i % 2 == 1) {
        db.delete(&ks, &key(i)).unwrap();
    }
    db.flush().unwrap();
    // The L0 table of tombstones goes down with the regular compaction trigger off: only the
    // compaction that merges it (compact_range of L0 alone is not asked for) would drop the
    // versions. Merge it in, then let the background thread collect on its own.
    db.compact_range(&ks, None, None).unwrap();
    db.wait_for_background_work().unwrap();
    let after = files_of(&fs, ".blob");
    assert!(!after.contains(&before[0]), "{before:?} -> {after:?}");
    for i in 0..300 {
        let want = (i % 2 == 0).then(|| value(i, 0));
        assert_eq!(db.get(&ks, &key(i)).unwrap(), want, "key {i}");
    }
}

/// An iterator opened before a file becomes all garbage keeps reading it; the file goes once
/// the iterator is dropped.
#[test]
fn a_live_iterator_keeps_its_blob_files() {
    let fs = MemFs::new();
    let db = Db::open(DIR, opts(&fs)).unwrap();
    let ks = db.default_keyspace();
    for i in 0..100 {
        db.put(&ks, &key(i), &value(i, 0)).unwrap();
    }
    db.flush().unwrap();
    let first = files_of(&fs, ".blob");
    let mut it = db.iter(&ks, IterOptions::all()).unwrap();
    assert!(it.advance().unwrap());
    for i in 0..100 {
        db.put(&ks, &key(i), &value(i, 1)).unwrap();
    }
    db.compact_range(&ks, None, None).unwrap();
    assert!(files_of(&fs, ".blob").contains(&first[0]), "still read by the iterator");
    let mut n = 1;
    while it.advance().unwrap() {
        assert_eq!(it.value(), value(n, 0), "key {n}");
        n += 1;
    }
    assert_eq!(n, 100);
    drop(it);
    db.wait_for_background_work().unwrap();
    assert!(!files_of(&fs, ".blob").contains(&first[0]), "removed once the iterator is gone");
}

/// The compaction filter sees a separated value as it is (not its pointer), and what it
/// replaces or removes becomes garbage.
#[test]
fn the_compaction_filter_reads_separated_values() {
    let fs = MemFs::new();
    let now = Arc::new(std::sync::atomic::AtomicU64::new(100));
    let clock = Arc::clone(&now);
    let filter = TtlFilter::prefixed()
        .with_clock(Arc::new(move || clock.load(std::sync::atomic::Ordering::Relaxed)));
    // No relocation: what the filter removes stays counted as garbage.
    let o = Options { compaction_filter: Some(Arc::new(filter)), blob_gc_ratio: 1.0, ..opts(&fs) };
    let db = Db::open(DIR, o).unwrap();
    let ks = db.default_keyspace();
    for i in 0..50u64 {
        let expires = if i % 2 == 0 { 150 } else { 1000 };
        db.put(&ks, &key(i), &ttl_value(expires, &[b'x'; 200])).unwrap();
    }
    db.flush().unwrap();
    now.store(200, std::sync::atomic::Ordering::Relaxed);
    db.compact_range(&ks, None, None).unwrap();
    for i in 0..50u64 {
        assert_eq!(db.get(&ks, &key(i)).unwrap().is_some(), i % 2 == 1, "key {i}");
    }
    let s = db.stats();
    let k = &s.keyspaces[0];
    let frame = (shale_engine::blob::BLOB_HEADER_LEN + shale_engine::blob::BLOB_FOOTER_LEN) as u64;
    assert_eq!(k.blob_garbage_bytes * 2 + frame, k.blob_bytes, "the expired half is garbage: {s}");
}

/// Per-keyspace thresholds, and a dropped keyspace takes its blob files along.
#[test]
fn keyspace_thresholds_and_drops() {
    let fs = MemFs::new();
    let mut o = opts(&fs);
    o.keyspace_blob_thresholds.insert("inline".into(), None);
    o.keyspace_blob_thresholds.insert("tiny".into(), Some(1));
    let db = Db::open(DIR, o).unwrap();
    let inline = db.create_keyspace("inline").unwrap();
    let tiny = db.create_keyspace("tiny").unwrap();
    let mut b = WriteBatch::new();
    b.put(&inline, b"a", &[1; 500]).put(&tiny, b"a", &[2; 5]);
    db.write(b, WriteOptions::SYNC).unwrap();
    db.flush().unwrap();
    let st = db.stats();
    let blob_files = |name: &str| st.keyspaces.iter().find(|k| k.name == name).unwrap().blob_files;
    assert_eq!((blob_files("inline"), blob_files("tiny")), (0, 1), "{st}");
    assert_eq!(db.get(&tiny, b"a").unwrap(), Some(vec![2; 5]));
    db.drop_keyspace(&tiny).unwrap();
    assert!(files_of(&fs, ".blob").is_empty());
    assert_eq!(db.get(&inline, b"a").unwrap(), Some(vec![1; 500]));
}

/// Damage in a blob file is corruption at the read that meets it, never a wrong value.
#[test]
fn a_damaged_blob_record_is_corruption() {
    let fs = MemFs::new();
    let db = Db::open(DIR, opts(&fs)).unwrap();
    let ks = db.default_keyspace();
    db.put(&ks, b"k", &[7u8; 300]).unwrap();
    db.flush().unwrap();
    let name = files_of(&fs, ".blob").pop().unwrap();
    let path = Path::new(DIR).join(name);
    let mut bytes = fs.file_bytes(&path).unwrap();
    bytes[100] ^= 0x20;
    fs.set_file_bytes(&path, &bytes).unwrap();
    drop(db);
    let db = Db::open(DIR, opts(&fs)).unwrap();
    let ks = db.default_keyspace();
    assert!(matches!(db.get(&ks, b"k"), Err(Error::Corruption(_))));
    assert!(matches!(dump_result(&db), Err(Error::Corruption(_))));
    assert!(matches!(db.verify(), Err(Error::Corruption(_))));
}

fn dump_result(db: &Db) -> shale_engine::Result<Vec<(Vec<u8>, Vec<u8>)>> {
    db.iter(&db.default_keyspace(), IterOptions::all())?.collect()
}

/// Power loss during blob garbage collection, at every file operation of it: every
/// acknowledged (synced) write survives with its newest value, and the directory holds nothing
/// no manifest names after the reopen.
#[test]
fn power_loss_during_blob_gc_loses_nothing_acknowledged() {
    // The history: 120 keys, then three quarters overwritten (both synced, both flushed), so that
    // the compaction relocates the first file's live values and removes it.
    let setup = |fs: &MemFs| {
        let db = Db::open(DIR, opts(fs)).unwrap();
        let ks = db.default_keyspace();
        for i in 0..120 {
            db.put_with(&ks, &key(i), &value(i, 0), WriteOptions::SYNC).unwrap();
        }
        db.flush().unwrap();
        for i in (0..120).filter(|i| i % 4 != 0) {
            db.put_with(&ks, &key(i), &value(i, 1), WriteOptions::SYNC).unwrap();
        }
        db.flush().unwrap();
        db
    };
    let want = |i: u64| value(i, u64::from(!i.is_multiple_of(4)));
    // Count the compaction's file operations.
    let fs = MemFs::new();
    let db = setup(&fs);
    let before = fs.op_count();
    db.compact_range(&db.default_keyspace(), None, None).unwrap();
    let ops = fs.op_count() - before;
    assert!(db.stats().compaction_blob_bytes > 0, "the compaction relocates values");
    drop(db);
    let mut rng = Rng::new(0xB10B);
    let mut failed = 0;
    for k in 0..=ops {
        let fs = MemFs::new();
        let db = setup(&fs);
        fs.fail_after(k, FaultMode::Permanent);
        // A failed removal of an obsolete file is retried later, not an error: the last
        // operations may fail without failing the compaction.
        if db.compact_range(&db.default_keyspace(), None, None).is_err() {
            failed += 1;
        }
        drop(db);
        fs.clear_faults();
        fs.crash(rng.next_u64());
        let db = Db::open(DIR, opts(&fs))
            .unwrap_or_else(|e| panic!("reopen after a fault at operation {k}: {e}"));
        let ks = db.default_keyspace();
        for i in 0..120 {
            assert_eq!(db.get(&ks, &key(i)).unwrap(), Some(want(i)), "fault at {k}: key {i}");
        }
        db.verify().unwrap_or_else(|e| panic!("fault at {k}: {e}"));
        common::check_db_files(&fs, Path::new(DIR)).unwrap_or_else(|e| panic!("fault at {k}: {e}"));
        // The collection finishes after the reopen.
        db.compact_range(&ks, None, None).unwrap();
        assert_eq!(db.stats().keyspaces[0].blob_garbage_bytes, 0, "fault at {k}");
    }
    assert!(failed >= ops / 2, "only {failed} of {ops} faults failed the compaction");
}
