//! Scenario tests of the public API: snapshots, iterator bounds, keyspaces, size bounds, locking,
//! open options, group commit and background WAL sync.
//!
//! Most run on `MemFs`; the ones that simulate a power loss run on every backend (one body, see
//! `common/backend.rs`): `<test>::mem`, and `<test>::pread` / `<test>::uring` on real files under
//! the fault-injecting `FaultFs`.

mod common;

use common::backend::{backend_tests, Backend, TestFs};
use common::{expected, Kvs, Rng};
use shale_engine::fs::{FileSystem, MemFs};
use shale_engine::{
    Db, Error, IterOptions, Keyspace, Options, WriteBatch, WriteOptions, DEFAULT_KEYSPACE,
};
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Asserts that `$e` is `Err($pat)`.
macro_rules! assert_err {
    ($e:expr, $pat:pat) => {{
        let r = $e;
        assert!(matches!(r, Err($pat)), "expected Err({}), got {:?}", stringify!($pat), r);
    }};
}

/// A file system the tests hand to `Options::fs`: a `MemFs`, or a backend's [`TestFs`].
trait TestFsHandle {
    fn options(&self) -> Options;
}

impl TestFsHandle for MemFs {
    fn options(&self) -> Options {
        Options { fs: Arc::new(self.clone()), ..Options::default() }
    }
}

impl TestFsHandle for TestFs {
    fn options(&self) -> Options {
        TestFs::options(self)
    }
}

fn mem_opts(fs: &impl TestFsHandle) -> Options {
    fs.options()
}

/// The database directory of the tests that run on every backend (relative: under the
/// `FaultFs` root on the real backends).
const DB: &str = "db";

backend_tests!(
    keyspace_create_and_drop_persist_across_reopen,
    wal_sync_interval_makes_unsynced_writes_durable,
    power_loss_after_reopen_loses_no_acknowledged_history,
    sync_writes_survive_power_loss,
    keyspaces_survive_flush_and_reopen,
);

/// Opens the database at `/db` of `fs`.
fn mem_open(fs: &MemFs) -> Db {
    Db::open("/db", mem_opts(fs)).expect("open")
}

/// A fresh `MemFs` and a new database at `/db` in it.
fn mem_db() -> (MemFs, Db) {
    let fs = MemFs::new();
    let db = mem_open(&fs);
    (fs, db)
}

fn collect(it: shale_engine::Result<shale_engine::DbIterator>) -> Kvs {
    common::collect_kvs(it).unwrap_or_else(|e| panic!("{e}"))
}

fn keys(kvs: &Kvs) -> Vec<Vec<u8>> {
    kvs.iter().map(|(k, _)| k.clone()).collect()
}

fn all(db: &Db, ks: &Keyspace) -> Kvs {
    collect(db.iter(ks, IterOptions::all()))
}

fn kv(k: &[u8], v: &[u8]) -> (Vec<u8>, Vec<u8>) {
    (k.to_vec(), v.to_vec())
}

fn v(b: &[u8]) -> Option<Vec<u8>> {
    Some(b.to_vec())
}

// ---------------------------------------------------------------------------------------------
// Snapshots
// ---------------------------------------------------------------------------------------------

#[test]
fn snapshot_isolation() {
    let fs = MemFs::new();
    // A tiny memtable: the writes after the snapshot rotate memtables under it.
    let db = Db::open("/db", Options { memtable_bytes_max: 512, ..mem_opts(&fs) }).unwrap();
    let ks = db.default_keyspace();
    let other = db.create_keyspace("other").unwrap();
    db.put(&ks, b"a", b"1").unwrap();
    db.put(&ks, b"b", b"2").unwrap();
    db.put(&ks, b"c", b"3").unwrap();
    db.put(&other, b"a", b"o1").unwrap();
    assert_eq!(db.latest_sequence(), 4);
    assert_eq!(db.oldest_snapshot(), None);

    let s1 = db.snapshot();
    assert_eq!(s1.sequence(), 4);
    assert_eq!(db.oldest_snapshot(), Some(4));
    // An iterator made now never sees later writes either.
    let early_iter = db.iter(&ks, IterOptions::all()).unwrap();

    db.put(&ks, b"a", b"10").unwrap();
    db.delete(&ks, b"b").unwrap();
    let mut batch = WriteBatch::new();
    batch.put(&ks, b"d", b"4").delete(&ks, b"c").put(&ks, b"a", b"11").put(&other, b"b", b"o2");
    db.write(batch, WriteOptions::default()).unwrap();
    assert_eq!(db.latest_sequence(), 10, "a batch takes one sequence number per entry");
    let s2 = db.snapshot();
    assert_eq!(s2.sequence(), 10);
    db.put(&ks, b"b", b"20").unwrap();
    db.delete(&ks, b"d").unwrap();
    db.delete(&other, b"a").unwrap();
    // Many more writes, to rotate memtables while the snapshots are alive.
    for i in 0..200u32 {
        db.put(&ks, format!("z{i:03}").as_bytes(), &[7; 40]).unwrap();
        db.delete(&ks, b"a").unwrap();
        db.put(&ks, b"a", &i.to_be_bytes()).unwrap();
    }

    // s1: the state after the first four writes.
    assert_eq!(s1.get(&ks, b"a").unwrap(), v(b"1"));
    assert_eq!(s1.get(&ks, b"b").unwrap(), v(b"2"));
    assert_eq!(s1.get(&ks, b"c").unwrap(), v(b"3"));
    assert_eq!(s1.get(&ks, b"d").unwrap(), None);
    assert_eq!(s1.get(&other, b"a").unwrap(), v(b"o1"));
    assert_eq!(s1.get(&other, b"b").unwrap(), None);
    let s1_all = vec![kv(b"a", b"1"), kv(b"b", b"2"), kv(b"c", b"3")];
    assert_eq!(collect(s1.iter(&ks, IterOptions::all())), s1_all);
    let mut rev = s1_all.clone();
    rev.reverse();
    assert_eq!(collect(s1.iter(&ks, IterOptions::all().reverse())), rev);
    assert_eq!(collect(s1.iter(&other, IterOptions::all())), vec![kv(b"a", b"o1")]);
    assert_eq!(early_iter.collect::<shale_engine::Result<Kvs>>().unwrap(), s1_all);

    // s2: after the batch, before the later writes.
    assert_eq!(s2.get(&ks, b"a").unwrap(), v(b"11"));
    assert_eq!(s2.get(&ks, b"b").unwrap(), None);
    assert_eq!(s2.get(&ks, b"c").unwrap(), None);
    assert_eq!(s2.get(&ks, b"d").unwrap(), v(b"4"));
    assert_eq!(collect(s2.iter(&ks, IterOptions::all())), vec![kv(b"a", b"11"), kv(b"d", b"4")]);
    assert_eq!(
        collect(s2.iter(&other, IterOptions::all().reverse())),
        vec![kv(b"b", b"o2"), kv(b"a", b"o1")]
    );

    // Latest sees everything.
    assert_eq!(db.get(&ks, b"a").unwrap(), v(&199u32.to_be_bytes()));
    assert_eq!(db.get(&ks, b"b").unwrap(), v(b"20"));
    assert_eq!(db.get(&ks, b"c").unwrap(), None);
    assert_eq!(db.get(&ks, b"d").unwrap(), None);
    assert_eq!(db.get(&other, b"a").unwrap(), None);
    assert_eq!(all(&db, &ks).len(), 2 + 200);

    // Live snapshots are tracked by sequence.
    assert_eq!(db.oldest_snapshot(), Some(4));
    drop(s1);
    assert_eq!(db.oldest_snapshot(), Some(10));
    let s3 = db.snapshot();
    drop(s2);
    assert_eq!(db.oldest_snapshot(), Some(s3.sequence()));
    assert_eq!(s3.sequence(), db.latest_sequence());
    drop(s3);
    assert_eq!(db.oldest_snapshot(), None);
}

#[test]
fn snapshot_of_empty_db_stays_empty() {
    let (_fs, db) = mem_db();
    let ks = db.default_keyspace();
    let s = db.snapshot();
    assert_eq!(s.sequence(), 0);
    db.put(&ks, b"", b"x").unwrap();
    db.put(&ks, b"k", b"v").unwrap();
    assert_eq!(s.get(&ks, b"").unwrap(), None);
    assert_eq!(s.get(&ks, b"k").unwrap(), None);
    assert!(collect(s.iter(&ks, IterOptions::all())).is_empty());
    assert!(collect(s.iter(&ks, IterOptions::all().reverse())).is_empty());
    assert_eq!(all(&db, &ks).len(), 2);
}

// ---------------------------------------------------------------------------------------------
// Iterators
// ---------------------------------------------------------------------------------------------

fn bound_candidates(points: &[&[u8]]) -> Vec<Bound<Vec<u8>>> {
    let mut out = vec![Bound::Unbounded];
    for p in points {
        out.push(Bound::Included(p.to_vec()));
        out.push(Bound::Excluded(p.to_vec()));
    }
    out
}

/// Every combination of bounds over `points`, both directions, against `data`.
fn check_all_bounds(db: &Db, ks: &Keyspace, data: &Kvs, points: &[&[u8]], what: &str) {
    let cands = bound_candidates(points);
    for lower in &cands {
        for upper in &cands {
            for reverse in [false, true] {
                let o = IterOptions { lower: lower.clone(), upper: upper.clone(), reverse };
                let got = collect(db.iter(ks, o.clone()));
                assert_eq!(got, expected(data.iter().map(|(k, v)| (k, v)), &o), "{what}: {o:?}");
            }
        }
    }
}

#[test]
fn iter_on_empty_db() {
    let (_fs, db) = mem_db();
    let ks = db.default_keyspace();
    check_all_bounds(&db, &ks, &Vec::new(), &[b"", b"a", b"\xff"], "empty db");
    for o in [
        IterOptions::all(),
        IterOptions::all().reverse(),
        IterOptions::prefix(""),
        IterOptions::prefix("").reverse(),
        IterOptions::prefix(vec![0xff]),
        IterOptions::range("a", "z"),
        IterOptions::range("a", "z").reverse(),
    ] {
        assert!(collect(db.iter(&ks, o.clone())).is_empty(), "{o:?}");
    }
    // Only tombstones: still empty, both ways.
    db.put(&ks, b"a", b"1").unwrap();
    db.put(&ks, b"b", b"2").unwrap();
    db.delete(&ks, b"a").unwrap();
    db.delete(&ks, b"b").unwrap();
    db.delete(&ks, b"never-written").unwrap();
    check_all_bounds(&db, &ks, &Vec::new(), &[b"", b"a", b"b", b"c"], "tombstones only");
}

fn bounds_fixture(memtable_bytes_max: usize) -> (MemFs, Db, Kvs) {
    let fs = MemFs::new();
    let db = Db::open("/db", Options { memtable_bytes_max, ..mem_opts(&fs) }).unwrap();
    let ks = db.default_keyspace();
    // Overwritten and deleted keys around the live ones "b", "d", "f", "h".
    db.put(&ks, b"a", b"gone").unwrap();
    db.put(&ks, b"b", b"old-b").unwrap();
    db.put(&ks, b"d", b"d").unwrap();
    db.put(&ks, b"e", b"gone").unwrap();
    db.put(&ks, b"f", b"old-f").unwrap();
    db.put(&ks, b"h", b"h").unwrap();
    db.put(&ks, b"i", b"gone").unwrap();
    db.delete(&ks, b"a").unwrap();
    db.put(&ks, b"b", b"b").unwrap();
    db.delete(&ks, b"e").unwrap();
    db.put(&ks, b"f", b"f").unwrap();
    db.delete(&ks, b"i").unwrap();
    db.delete(&ks, b"c").unwrap();
    let data = vec![kv(b"b", b"b"), kv(b"d", b"d"), kv(b"f", b"f"), kv(b"h", b"h")];
    (fs, db, data)
}

#[test]
fn iter_bounds_both_directions() {
    // memtable_bytes_max = 1: every write group starts a new memtable, so iterators merge many.
    for mt in [Options::default().memtable_bytes_max, 1] {
        let (_fs, db, data) = bounds_fixture(mt);
        let ks = db.default_keyspace();
        assert_eq!(all(&db, &ks), data);
        let points: [&[u8]; 11] =
            [b"", b"a", b"b", b"c", b"d", b"e", b"f", b"h", b"h\0", b"i", b"z"];
        check_all_bounds(&db, &ks, &data, &points, &format!("memtable_bytes_max {mt}"));

        // A few cases spelled out.
        let k = |o: IterOptions| keys(&collect(db.iter(&ks, o)));
        let ks_of = |s: &[&str]| s.iter().map(|x| x.as_bytes().to_vec()).collect::<Vec<_>>();
        assert_eq!(k(IterOptions::range("c", "g")), ks_of(&["d", "f"]));
        assert_eq!(k(IterOptions::range("c", "g").reverse()), ks_of(&["f", "d"]));
        assert_eq!(k(IterOptions::range("b", "h")), ks_of(&["b", "d", "f"]));
        assert_eq!(k(IterOptions::range("b", "h").reverse()), ks_of(&["f", "d", "b"]));
        assert_eq!(k(IterOptions::range("d", "d")), ks_of(&[]));
        assert_eq!(k(IterOptions::range("d", "d").reverse()), ks_of(&[]));
        assert_eq!(k(IterOptions::range("z", "a")), ks_of(&[]));
        assert_eq!(k(IterOptions::range("z", "a").reverse()), ks_of(&[]));
        assert_eq!(k(IterOptions::all().from("i")), ks_of(&[]));
        assert_eq!(k(IterOptions::all().from("i").reverse()), ks_of(&[]));
        assert_eq!(k(IterOptions::all().to("a")), ks_of(&[]));
        assert_eq!(k(IterOptions::all().to("b").reverse()), ks_of(&[]));
        assert_eq!(k(IterOptions::all().from("0").to("zz")), ks_of(&["b", "d", "f", "h"]));
        assert_eq!(
            k(IterOptions::all().from("0").to("zz").reverse()),
            ks_of(&["h", "f", "d", "b"])
        );
        let incl = IterOptions {
            lower: Bound::Excluded(b"b".to_vec()),
            upper: Bound::Included(b"h".to_vec()),
            reverse: true,
        };
        assert_eq!(k(incl), ks_of(&["h", "f", "d"]));
        let point = IterOptions {
            lower: Bound::Included(b"d".to_vec()),
            upper: Bound::Included(b"d".to_vec()),
            reverse: true,
        };
        assert_eq!(k(point), ks_of(&["d"]));
        let empty_excl = IterOptions {
            lower: Bound::Excluded(b"d".to_vec()),
            upper: Bound::Included(b"d".to_vec()),
            reverse: false,
        };
        assert_eq!(k(empty_excl), ks_of(&[]));
    }
}

#[test]
fn iter_prefix_with_0xff_bytes_and_empty_prefix() {
    for mt in [Options::default().memtable_bytes_max, 1] {
        let (_fs, db) = {
            let fs = MemFs::new();
            let db = Db::open("/db", Options { memtable_bytes_max: mt, ..mem_opts(&fs) }).unwrap();
            (fs, db)
        };
        let ks = db.default_keyspace();
        let raw: Vec<&[u8]> = vec![
            b"",
            b"\x00",
            b"\x61",
            b"\x61\x00",
            b"\x61\xfe\xff",
            b"\x61\xff",
            b"\x61\xff\x00",
            b"\x61\xff\xff",
            b"\x61\xff\xff\xff\x01",
            b"\x62",
            b"\x62\x00",
            b"\xff",
            b"\xff\xff",
            b"\xff\xff\x01",
        ];
        for (i, k) in raw.iter().enumerate() {
            db.put(&ks, k, &[i as u8]).unwrap();
        }
        // Deleted keys inside the prefixes never appear.
        db.put(&ks, b"\x61\xff\x42", b"x").unwrap();
        db.delete(&ks, b"\x61\xff\x42").unwrap();
        db.put(&ks, b"\xff\xff\xff", b"x").unwrap();
        db.delete(&ks, b"\xff\xff\xff").unwrap();
        let mut data: Kvs =
            raw.iter().enumerate().map(|(i, k)| (k.to_vec(), vec![i as u8])).collect();
        data.sort();

        let p = |prefix: &[u8], reverse: bool| {
            let mut o = IterOptions::prefix(prefix.to_vec());
            o.reverse = reverse;
            keys(&collect(db.iter(&ks, o)))
        };
        let want: Vec<Vec<u8>> =
            [&b"\x61\xff"[..], b"\x61\xff\x00", b"\x61\xff\xff", b"\x61\xff\xff\xff\x01"]
                .iter()
                .map(|k| k.to_vec())
                .collect();
        assert_eq!(p(b"\x61\xff", false), want);
        let mut rev = want.clone();
        rev.reverse();
        assert_eq!(p(b"\x61\xff", true), rev);
        let want_ff: Vec<Vec<u8>> = vec![b"\xff\xff".to_vec(), b"\xff\xff\x01".to_vec()];
        assert_eq!(p(b"\xff\xff", false), want_ff);
        assert_eq!(p(b"\xff\xff", true), want_ff.iter().rev().cloned().collect::<Vec<_>>());
        assert_eq!(p(b"\xff", false).len(), 3);
        // The empty prefix is everything, the empty key first (last backwards).
        assert_eq!(p(b"", false), keys(&data));
        assert_eq!(p(b"", false)[0], b"".to_vec());
        let mut all_rev = keys(&data);
        all_rev.reverse();
        assert_eq!(p(b"", true), all_rev);
        assert_eq!(p(b"", true).last(), Some(&Vec::new()));

        // Every prefix up to 3 bytes over a small alphabet, against a filter.
        let alphabet = [0x00u8, 0x61, 0x62, 0xfe, 0xff];
        let mut prefixes: Vec<Vec<u8>> = vec![Vec::new()];
        for len in 1..=3 {
            let mut next = Vec::new();
            for p in prefixes.iter().filter(|p| p.len() == len - 1) {
                for b in alphabet {
                    let mut q = p.clone();
                    q.push(b);
                    next.push(q);
                }
            }
            prefixes.extend(next);
        }
        for prefix in prefixes {
            for reverse in [false, true] {
                let mut want: Vec<Vec<u8>> =
                    keys(&data).into_iter().filter(|k| k.starts_with(&prefix)).collect();
                if reverse {
                    want.reverse();
                }
                assert_eq!(p(&prefix, reverse), want, "prefix {prefix:02x?} reverse {reverse}");
            }
        }
    }
}

#[test]
fn iter_reverse_over_tombstones_and_overwritten_keys() {
    for mt in [Options::default().memtable_bytes_max, 1] {
        let fs = MemFs::new();
        let db = Db::open("/db", Options { memtable_bytes_max: mt, ..mem_opts(&fs) }).unwrap();
        let ks = db.default_keyspace();
        let key = |i: u32| format!("k{i:02}").into_bytes();
        for i in 0..20 {
            db.put(&ks, &key(i), b"v0").unwrap();
        }
        let snap0 = db.snapshot();
        for round in 1..=3u8 {
            for i in (0..20).step_by(2) {
                db.put(&ks, &key(i), &[b'v', b'0' + round]).unwrap();
            }
        }
        for i in (0..20).step_by(3) {
            db.delete(&ks, &key(i)).unwrap();
        }
        db.put(&ks, &key(9), b"back").unwrap();
        // A batch that writes and deletes one key: the delete is last and wins.
        let mut b = WriteBatch::new();
        b.put(&ks, &key(19), b"x").delete(&ks, &key(19)).delete(&ks, &key(1)).put(
            &ks,
            &key(1),
            b"y",
        );
        db.write(b, WriteOptions::default()).unwrap();

        let mut want: Kvs = Vec::new();
        for i in 0..20u32 {
            let val: Option<Vec<u8>> = match i {
                19 => None,
                1 => v(b"y"),
                9 => v(b"back"),
                _ if i % 3 == 0 => None,
                _ if i % 2 == 0 => v(b"v3"),
                _ => v(b"v0"),
            };
            if let Some(val) = val {
                want.push((key(i), val));
            }
        }
        assert_eq!(all(&db, &ks), want, "memtable_bytes_max {mt}");
        let mut rev = want.clone();
        rev.reverse();
        assert_eq!(collect(db.iter(&ks, IterOptions::all().reverse())), rev);
        // The allocation-free cursor (advance/key/value) sees the same entries both ways.
        for (opts, expect) in [(IterOptions::all(), &want), (IterOptions::all().reverse(), &rev)] {
            let mut it = db.iter(&ks, opts).unwrap();
            let mut got: Kvs = Vec::new();
            while it.advance().unwrap() {
                got.push((it.key().to_vec(), it.value().to_vec()));
            }
            assert!(!it.advance().unwrap(), "stays at the end");
            assert_eq!(&got, expect);
        }
        for (i, (k, _)) in want.iter().enumerate() {
            // Reverse from just below each live key.
            let got = collect(db.iter(&ks, IterOptions::all().to(k.clone()).reverse()));
            let mut w: Kvs = want[..i].to_vec();
            w.reverse();
            assert_eq!(got, w);
        }
        for i in 0..20u32 {
            let present = want.iter().any(|(k, _)| *k == key(i));
            assert_eq!(db.get(&ks, &key(i)).unwrap().is_some(), present, "key {i}");
        }
        // The snapshot from before all of it still sees the first version of everything.
        let first: Kvs = (0..20).map(|i| (key(i), b"v0".to_vec())).collect();
        assert_eq!(collect(snap0.iter(&ks, IterOptions::all())), first);
        let mut first_rev = first.clone();
        first_rev.reverse();
        assert_eq!(collect(snap0.iter(&ks, IterOptions::all().reverse())), first_rev);
    }
}

// ---------------------------------------------------------------------------------------------
// Keyspaces
// ---------------------------------------------------------------------------------------------

#[test]
fn keyspace_create_list_drop_recreate() {
    let (_fs, db) = mem_db();
    assert_eq!(db.list_keyspaces(), vec![DEFAULT_KEYSPACE.to_string()]);
    let def = db.default_keyspace();
    assert_eq!(def.name(), DEFAULT_KEYSPACE);
    assert_eq!(def.id(), 0);
    assert_eq!(db.keyspace(DEFAULT_KEYSPACE).unwrap().id(), 0);

    let users = db.create_keyspace("users").unwrap();
    assert_eq!(users.name(), "users");
    assert_ne!(users.id(), def.id());
    assert_eq!(db.list_keyspaces(), vec!["default".to_string(), "users".to_string()]);
    assert_eq!(db.keyspace("users").unwrap().id(), users.id());
    assert_err!(db.create_keyspace("users"), Error::AlreadyExists(_));
    assert_err!(db.create_keyspace(DEFAULT_KEYSPACE), Error::AlreadyExists(_));
    assert_err!(db.create_keyspace(""), Error::InvalidArgument(_));
    assert_err!(db.create_keyspace(&"n".repeat(256)), Error::InvalidArgument(_));
    let long = db.create_keyspace(&"n".repeat(255)).unwrap();
    assert_err!(db.keyspace("nope"), Error::NotFound(_));
    assert_err!(db.drop_keyspace(&def), Error::InvalidArgument(_));
    assert_err!(
        db.drop_keyspace(&db.keyspace(DEFAULT_KEYSPACE).unwrap()),
        Error::InvalidArgument(_)
    );
    assert_eq!(db.list_keyspaces().len(), 3);

    db.put(&users, b"u1", b"ada").unwrap();
    db.put(&def, b"d1", b"x").unwrap();
    let seq = db.latest_sequence();
    let snap = db.snapshot();
    db.drop_keyspace(&users).unwrap();
    assert_eq!(db.latest_sequence(), seq, "keyspace changes take no sequence number");
    assert_eq!(db.list_keyspaces(), vec!["default".to_string(), "n".repeat(255)]);
    assert_err!(db.keyspace("users"), Error::NotFound(_));

    // The dropped handle refuses everything, and a batch touching it is rejected whole.
    assert_err!(db.put(&users, b"u2", b"x"), Error::KeyspaceDropped(_));
    assert_err!(db.delete(&users, b"u1"), Error::KeyspaceDropped(_));
    assert_err!(db.get(&users, b"u1"), Error::KeyspaceDropped(_));
    assert_err!(db.iter(&users, IterOptions::all()), Error::KeyspaceDropped(_));
    assert_err!(snap.get(&users, b"u1"), Error::KeyspaceDropped(_));
    assert_err!(snap.iter(&users, IterOptions::all()), Error::KeyspaceDropped(_));
    assert_err!(db.drop_keyspace(&users), Error::KeyspaceDropped(_));
    let mut b = WriteBatch::new();
    b.put(&def, b"d2", b"y").put(&users, b"u3", b"z");
    assert_err!(db.write(b, WriteOptions::default()), Error::KeyspaceDropped(_));
    assert_eq!(db.get(&def, b"d2").unwrap(), None);
    assert_eq!(db.latest_sequence(), seq);

    // Recreating the name gives a new, empty keyspace; the old handle stays dead.
    let users2 = db.create_keyspace("users").unwrap();
    assert_ne!(users2.id(), users.id());
    assert_eq!(db.get(&users2, b"u1").unwrap(), None);
    assert!(all(&db, &users2).is_empty());
    assert!(collect(snap.iter(&users2, IterOptions::all())).is_empty());
    assert_err!(db.get(&users, b"u1"), Error::KeyspaceDropped(_));
    db.put(&users2, b"u9", b"new").unwrap();
    assert_eq!(all(&db, &users2), vec![kv(b"u9", b"new")]);
    assert_eq!(snap.get(&def, b"d1").unwrap(), v(b"x"));
    drop(long);
}

fn keyspace_create_and_drop_persist_across_reopen(backend: Backend) {
    let fs = backend.fs();
    let opts = mem_opts(&fs);
    let (a_id, c_id);
    {
        let db = Db::open(DB, opts.clone()).unwrap();
        let a = db.create_keyspace("a").unwrap();
        let b = db.create_keyspace("b").unwrap();
        let c = db.create_keyspace("c").unwrap();
        db.put(&a, b"k", b"a").unwrap();
        db.put(&b, b"k", b"b").unwrap();
        db.put(&c, b"k", b"old-c").unwrap();
        db.put(&c, b"only-old", b"x").unwrap();
        db.drop_keyspace(&b).unwrap();
        db.drop_keyspace(&c).unwrap();
        let c = db.create_keyspace("c").unwrap();
        db.put(&c, b"k", b"new-c").unwrap();
        a_id = a.id();
        c_id = c.id();
        // Durable, so that the power loss below only tests the keyspace changes (see
        // `power_loss_after_reopen_loses_no_acknowledged_history` for the unsynced case).
        db.close().unwrap();
    }
    for round in 0..3 {
        let db = Db::open(DB, opts.clone()).unwrap();
        assert_eq!(db.list_keyspaces(), vec!["a", "c", "default"], "round {round}");
        assert_err!(db.keyspace("b"), Error::NotFound(_));
        let a = db.keyspace("a").unwrap();
        let c = db.keyspace("c").unwrap();
        assert_eq!((a.id(), c.id()), (a_id, c_id), "ids are stable");
        assert_eq!(all(&db, &a), vec![kv(b"k", b"a")]);
        assert_eq!(all(&db, &c), vec![kv(b"k", b"new-c")]);
        // Recreating "b" after reopen is empty too.
        let b = db.create_keyspace("b").unwrap();
        assert!(all(&db, &b).is_empty(), "round {round}");
        assert!(b.id() > c_id, "ids are never reused");
        db.drop_keyspace(&b).unwrap();
    }
    // Keyspace changes are durable when they return: they survive a power loss.
    {
        let db = Db::open(DB, opts.clone()).unwrap();
        let d = db.create_keyspace("d").unwrap();
        db.drop_keyspace(&db.keyspace("a").unwrap()).unwrap();
        db.put_with(&d, b"k", b"d", WriteOptions::SYNC).unwrap();
        fs.crash(7);
        drop(db);
    }
    let db = Db::open(DB, opts).unwrap();
    assert_eq!(db.list_keyspaces(), vec!["c", "d", "default"]);
    assert_eq!(all(&db, &db.keyspace("d").unwrap()), vec![kv(b"k", b"d")]);
}

#[test]
fn drop_keyspace_while_a_writer_writes_to_it() {
    let fs = MemFs::new();
    let db = Db::open("/db", Options { memtable_bytes_max: 4 << 10, ..mem_opts(&fs) }).unwrap();
    let victim = db.create_keyspace("victim").unwrap();
    let def = db.default_keyspace();
    let started = AtomicBool::new(false);
    let (ok, first_err) = std::thread::scope(|s| {
        let w = s.spawn(|| {
            let mut ok = 0u64;
            let mut first_err = None;
            for i in 0..3000u64 {
                let mut b = WriteBatch::new();
                b.put(&victim, &i.to_be_bytes(), b"v").put(&def, &i.to_be_bytes(), b"d");
                match db.write(b, WriteOptions::default()) {
                    Ok(()) => {
                        assert!(first_err.is_none(), "write {i} succeeded after a refused one");
                        ok += 1;
                    }
                    Err(e) => {
                        assert!(matches!(e, Error::KeyspaceDropped(_)), "write {i}: {e:?}");
                        first_err.get_or_insert(i);
                    }
                }
                if i == 100 {
                    started.store(true, Ordering::Release);
                }
            }
            (ok, first_err)
        });
        while !started.load(Ordering::Acquire) {
            std::thread::yield_now();
        }
        db.drop_keyspace(&victim).unwrap();
        w.join().unwrap()
    });
    assert!(ok >= 101, "{ok}");
    // Refused batches wrote nothing, not even their default-keyspace half.
    assert_eq!(all(&db, &def).len() as u64, ok);
    assert_eq!(db.latest_sequence(), 2 * ok);
    if let Some(e) = first_err {
        assert_eq!(e, ok);
    }
    drop(db);
    let db = mem_open(&fs);
    assert_eq!(db.list_keyspaces(), vec![DEFAULT_KEYSPACE]);
    assert_eq!(all(&db, &db.default_keyspace()).len() as u64, ok);
    let victim = db.create_keyspace("victim").unwrap();
    assert!(all(&db, &victim).is_empty());
}

#[test]
fn keyspace_handle_of_another_db_instance_is_refused() {
    let (fs, db) = mem_db();
    let a = db.create_keyspace("a").unwrap();
    db.put(&a, b"k", b"v").unwrap();
    drop(db);
    let db = mem_open(&fs);
    assert_err!(db.get(&a, b"k"), Error::InvalidArgument(_));
    assert_err!(db.put(&a, b"k", b"w"), Error::InvalidArgument(_));
    assert_err!(db.drop_keyspace(&a), Error::InvalidArgument(_));
    let a = db.keyspace("a").unwrap();
    assert_eq!(db.get(&a, b"k").unwrap(), v(b"v"));
}

#[test]
fn same_key_in_two_keyspaces_is_independent() {
    let (_fs, db) = mem_db();
    let d = db.default_keyspace();
    let o = db.create_keyspace("other").unwrap();
    db.put(&d, b"k", b"1").unwrap();
    db.put(&o, b"k", b"2").unwrap();
    assert_eq!(db.get(&d, b"k").unwrap(), v(b"1"));
    assert_eq!(db.get(&o, b"k").unwrap(), v(b"2"));
    db.delete(&d, b"k").unwrap();
    assert_eq!(db.get(&d, b"k").unwrap(), None);
    assert_eq!(db.get(&o, b"k").unwrap(), v(b"2"));
    let mut b = WriteBatch::new();
    b.put(&d, b"k", b"3").delete(&o, b"k").put(&o, b"j", b"4");
    db.write(b, WriteOptions::default()).unwrap();
    assert_eq!(all(&db, &d), vec![kv(b"k", b"3")]);
    assert_eq!(all(&db, &o), vec![kv(b"j", b"4")]);
    assert_eq!(collect(db.iter(&o, IterOptions::all().reverse())), vec![kv(b"j", b"4")]);
}

#[test]
fn batch_across_keyspaces_is_atomic_for_concurrent_readers() {
    const BATCHES: u64 = 2000;
    let fs = MemFs::new();
    let db = Db::open("/db", Options { memtable_bytes_max: 2 << 10, ..mem_opts(&fs) }).unwrap();
    let a = db.create_keyspace("a").unwrap();
    let b = db.create_keyspace("b").unwrap();
    let stop = AtomicBool::new(false);
    let rounds = AtomicU64::new(0);
    std::thread::scope(|s| {
        let readers: Vec<_> = (0..2)
            .map(|r| {
                let (db, a, b, stop, rounds) = (&db, &a, &b, &stop, &rounds);
                s.spawn(move || {
                    let mut last = 0u64;
                    loop {
                        let done = stop.load(Ordering::Acquire);
                        let snap = db.snapshot();
                        let xa = snap.get(a, b"x").unwrap();
                        let xb = snap.get(b, b"x").unwrap();
                        assert_eq!(
                            xa,
                            xb,
                            "reader {r}: x differs between keyspaces at seq {}",
                            snap.sequence()
                        );
                        let ya = snap.get(a, b"y").unwrap();
                        let yb = snap.get(b, b"y").unwrap();
                        assert_eq!(ya, yb, "reader {r}: y differs at seq {}", snap.sequence());
                        let ia = collect(snap.iter(a, IterOptions::all()));
                        let ib = collect(snap.iter(b, IterOptions::all().reverse()));
                        let ib: Kvs = ib.into_iter().rev().collect();
                        assert_eq!(
                            ia,
                            ib,
                            "reader {r}: keyspaces differ at seq {}",
                            snap.sequence()
                        );
                        if let Some(x) = xa {
                            let n = u64::from_be_bytes(x.as_slice().try_into().unwrap());
                            assert!(n >= last, "reader {r}: went back from {last} to {n}");
                            last = n;
                        }
                        rounds.fetch_add(1, Ordering::Relaxed);
                        if done {
                            return;
                        }
                    }
                })
            })
            .collect();
        let writer = s.spawn(|| {
            for i in 1..=BATCHES {
                let val = i.to_be_bytes();
                let mut batch = WriteBatch::new();
                batch.put(&a, b"x", &val).put(&b, b"x", &val);
                if i % 5 == 0 {
                    batch.delete(&b, b"y").delete(&a, b"y");
                } else {
                    batch.put(&b, b"y", &val[4..]).put(&a, b"y", &val[4..]);
                }
                // Padding so that memtables rotate often.
                batch.put(&a, format!("p{}", i % 16).as_bytes(), &[0; 64]);
                batch.put(&b, format!("p{}", i % 16).as_bytes(), &[0; 64]);
                db.write(batch, WriteOptions { sync: i % 50 == 0 }).unwrap();
            }
        });
        let w = writer.join();
        stop.store(true, Ordering::Release);
        let r: Vec<_> = readers.into_iter().map(|h| h.join()).collect();
        if let Err(p) = w {
            std::panic::resume_unwind(p);
        }
        for x in r {
            if let Err(p) = x {
                std::panic::resume_unwind(p);
            }
        }
    });
    assert!(rounds.load(Ordering::Relaxed) >= 2);
    assert_eq!(db.get(&a, b"x").unwrap(), v(&BATCHES.to_be_bytes()));
    assert_eq!(db.latest_sequence(), BATCHES * 6);
}

// ---------------------------------------------------------------------------------------------
// Size bounds
// ---------------------------------------------------------------------------------------------

#[test]
fn oversize_keys_values_and_batches_are_rejected_whole() {
    let fs = MemFs::new();
    let opts =
        Options { key_len_max: 16, value_len_max: 64, batch_bytes_max: 256, ..mem_opts(&fs) };
    let db = Db::open("/db", opts.clone()).unwrap();
    let ks = db.default_keyspace();
    let other = db.create_keyspace("other").unwrap();
    let k16 = [b'k'; 16];
    let k17 = [b'k'; 17];
    let v64 = [b'v'; 64];
    let v65 = [b'v'; 65];

    assert_err!(db.put(&ks, &k17, b"v"), Error::InvalidArgument(_));
    assert_err!(db.put_with(&ks, &k17, b"v", WriteOptions::SYNC), Error::InvalidArgument(_));
    assert_err!(db.delete(&ks, &k17), Error::InvalidArgument(_));
    assert_err!(db.put(&ks, b"k", &v65), Error::InvalidArgument(_));
    assert_eq!(db.latest_sequence(), 0);
    assert_eq!(db.get(&ks, b"k").unwrap(), None);

    // Exact limits are accepted.
    db.put(&ks, &k16, &v64).unwrap();
    assert_eq!(db.get(&ks, &k16).unwrap(), v(&v64));
    db.delete(&ks, &k16).unwrap();
    db.put(&ks, &k16, &v64).unwrap();
    assert_eq!(db.latest_sequence(), 3);

    // A batch with one bad op among valid ones is rejected whole.
    for bad in 0..3 {
        let mut b = WriteBatch::new();
        b.put(&ks, b"a", b"1").put(&other, b"b", b"2").delete(&ks, &k16);
        match bad {
            0 => b.put(&other, &k17, b"x"),
            1 => b.put(&other, b"c", &v65),
            _ => b.delete(&ks, &k17),
        };
        b.put(&ks, b"d", b"4");
        assert_err!(db.write(b, WriteOptions::default()), Error::InvalidArgument(_));
        assert_eq!(db.get(&ks, b"a").unwrap(), None);
        assert_eq!(db.get(&other, b"b").unwrap(), None);
        assert_eq!(db.get(&ks, &k16).unwrap(), v(&v64));
        assert_eq!(db.get(&ks, b"d").unwrap(), None);
        assert_eq!(db.latest_sequence(), 3);
    }

    // batch_bytes_max: exactly at the limit is accepted, one byte more is not.
    let build = |value_len: usize| {
        let mut b = WriteBatch::new();
        for i in 0..3u8 {
            b.put(&other, &[b'b', i], &v64);
        }
        b.put(&other, b"last", &vec![b'x'; value_len]);
        b
    };
    let base = build(0).encoded_len();
    assert!(base < 256);
    let fits = (0..=64).find(|&n| build(n).encoded_len() == 256);
    let over = (0..=64).find(|&n| build(n).encoded_len() == 257);
    let (fits, over) = (fits.expect("a batch of exactly 256 bytes"), over.expect("257 bytes"));
    assert_err!(db.write(build(over), WriteOptions::default()), Error::InvalidArgument(_));
    assert_eq!(all(&db, &other), Vec::new());
    assert_eq!(db.latest_sequence(), 3);
    db.write(build(fits), WriteOptions::default()).unwrap();
    assert_eq!(all(&db, &other).len(), 4);
    assert_eq!(db.latest_sequence(), 7);

    // Nothing rejected reached the WAL either.
    drop(db);
    let db = Db::open("/db", opts).unwrap();
    let ks = db.default_keyspace();
    assert_eq!(all(&db, &ks), vec![(k16.to_vec(), v64.to_vec())]);
    assert_eq!(all(&db, &db.keyspace("other").unwrap()).len(), 4);
    assert_eq!(db.latest_sequence(), 7);
}

#[test]
fn default_bounds_accept_limits_and_reject_one_more() {
    let (_fs, db) = mem_db();
    let ks = db.default_keyspace();
    let d = Options::default();
    let kmax = vec![b'k'; d.key_len_max];
    db.put(&ks, &kmax, b"v").unwrap();
    assert_eq!(db.get(&ks, &kmax).unwrap(), v(b"v"));
    assert_err!(db.put(&ks, &vec![b'k'; d.key_len_max + 1], b"v"), Error::InvalidArgument(_));
    assert_err!(db.put(&ks, b"big", &vec![0u8; d.value_len_max + 1]), Error::InvalidArgument(_));
    assert_eq!(db.get(&ks, b"big").unwrap(), None);
    assert_eq!(db.latest_sequence(), 1);
}

#[test]
fn value_of_16_mib_accepted_with_default_options() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("db");
    let mut rng = Rng::new(16);
    let big = rng.bytes(16 << 20);
    assert_eq!(big.len(), Options::default().value_len_max);
    {
        let db = Db::open(&dir, Options::default()).unwrap();
        let ks = db.default_keyspace();
        db.put(&ks, b"big", &big).unwrap();
        db.put(&ks, b"after", b"small").unwrap();
        assert!(db.get(&ks, b"big").unwrap().as_deref() == Some(&big[..]));
        db.close().unwrap();
    }
    let db = Db::open(&dir, Options::default()).unwrap();
    let ks = db.default_keyspace();
    assert!(db.get(&ks, b"big").unwrap().as_deref() == Some(&big[..]), "16 MiB value after reopen");
    assert_eq!(db.get(&ks, b"after").unwrap(), v(b"small"));
}

#[test]
fn invalid_options_are_refused() {
    let fs = MemFs::new();
    for o in [
        Options { key_len_max: 0, ..mem_opts(&fs) },
        Options { key_len_max: (16 << 20) + 1, ..mem_opts(&fs) },
        Options { value_len_max: (1 << 30) + 1, ..mem_opts(&fs) },
        Options { batch_bytes_max: 0, ..mem_opts(&fs) },
        Options { memtable_bytes_max: 0, ..mem_opts(&fs) },
    ] {
        assert_err!(Db::open("/db", o), Error::InvalidArgument(_));
    }
    // Nothing was created by the refused opens.
    assert_err!(
        Db::open("/db", Options { create_if_missing: false, ..mem_opts(&fs) }),
        Error::NotFound(_) | Error::Io(_)
    );
}

// ---------------------------------------------------------------------------------------------
// Locking and open options
// ---------------------------------------------------------------------------------------------

fn check_locking(dir: &Path, alias: &Path, opts: &Options) {
    let db = Db::open(dir, opts.clone()).unwrap();
    let ks = db.default_keyspace();
    db.put(&ks, b"k", b"1").unwrap();
    assert_err!(Db::open(dir, opts.clone()), Error::Locked(_));
    assert_err!(Db::open(alias, opts.clone()), Error::Locked(_));
    // The failed opens did not disturb the open instance.
    db.put(&ks, b"k", b"2").unwrap();
    assert_eq!(db.get(&ks, b"k").unwrap(), v(b"2"));
    // A clone keeps the database open (and locked).
    let clone = db.clone();
    drop(db);
    assert_err!(Db::open(dir, opts.clone()), Error::Locked(_));
    clone.close().unwrap();
    let db = Db::open(dir, opts.clone()).unwrap();
    assert_eq!(db.get(&db.default_keyspace(), b"k").unwrap(), v(b"2"));
    assert_err!(Db::open(dir, opts.clone()), Error::Locked(_));
    drop(db);
    let db = Db::open(alias, opts.clone()).unwrap();
    assert_eq!(db.get(&db.default_keyspace(), b"k").unwrap(), v(b"2"));
}

#[test]
fn second_open_is_locked_osfs() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("db");
    let alias = tmp.path().join("db/./");
    check_locking(&dir, &alias, &Options::default());
}

#[test]
fn second_open_is_locked_memfs() {
    let fs = MemFs::new();
    check_locking(Path::new("/data/db"), Path::new("/data/x/../db/"), &mem_opts(&fs));
}

#[test]
fn error_if_exists() {
    let fs = MemFs::new();
    let opts = Options { error_if_exists: true, ..mem_opts(&fs) };
    // A new database is created.
    let db = Db::open("/db", opts.clone()).unwrap();
    db.put(&db.default_keyspace(), b"k", b"v").unwrap();
    drop(db);
    // An existing one is refused, and left as it was.
    assert_err!(Db::open("/db", opts.clone()), Error::AlreadyExists(_));
    let db = mem_open(&fs);
    assert_eq!(db.get(&db.default_keyspace(), b"k").unwrap(), v(b"v"));
    drop(db);
    // Also on the real file system.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("db");
    let os = Options { error_if_exists: true, ..Options::default() };
    drop(Db::open(&dir, os.clone()).unwrap());
    assert_err!(Db::open(&dir, os), Error::AlreadyExists(_));
    drop(Db::open(&dir, Options::default()).unwrap());
}

#[test]
fn create_if_missing_false_opens_an_existing_database() {
    let (fs, db) = mem_db();
    db.put(&db.default_keyspace(), b"k", b"v").unwrap();
    drop(db);
    let db = Db::open("/db", Options { create_if_missing: false, ..mem_opts(&fs) }).unwrap();
    assert_eq!(db.get(&db.default_keyspace(), b"k").unwrap(), v(b"v"));
}

#[test]
fn create_if_missing_false_on_an_empty_directory_is_not_found() {
    let fs = MemFs::new();
    fs.create_dir_all(Path::new("/empty")).unwrap();
    let opts = Options { create_if_missing: false, ..mem_opts(&fs) };
    assert_err!(Db::open("/empty", opts), Error::NotFound(_));
    // Nothing that looks like a database was left behind.
    let left: Vec<String> = fs.list(Path::new("/empty")).unwrap();
    assert!(
        !left.iter().any(|n| n == "CURRENT" || n.starts_with("MANIFEST") || n.ends_with(".log")),
        "{left:?}"
    );
    let tmp = tempfile::tempdir().unwrap();
    let os = Options { create_if_missing: false, ..Options::default() };
    assert_err!(Db::open(tmp.path(), os), Error::NotFound(_));
    // And a later open that may create works.
    drop(Db::open("/empty", mem_opts(&fs)).unwrap());
}

/// `Error::NotFound` is the documented error for "the database does not exist"
/// (`create_if_missing: false`); a missing directory is the plainest case of it.
#[test]
fn create_if_missing_false_on_a_missing_directory_is_not_found() {
    let fs = MemFs::new();
    let opts = Options { create_if_missing: false, ..mem_opts(&fs) };
    assert_err!(Db::open("/missing/db", opts), Error::NotFound(_));
    assert!(!fs.exists(Path::new("/missing/db")).unwrap());
    let tmp = tempfile::tempdir().unwrap();
    let os = Options { create_if_missing: false, ..Options::default() };
    let missing: PathBuf = tmp.path().join("missing");
    assert_err!(Db::open(&missing, os), Error::NotFound(_));
    assert!(!missing.exists());
}

// ---------------------------------------------------------------------------------------------
// Small things
// ---------------------------------------------------------------------------------------------

#[test]
fn empty_key_and_empty_value_round_trip() {
    let (fs, db) = mem_db();
    let ks = db.default_keyspace();
    db.put(&ks, b"", b"").unwrap();
    assert_eq!(db.get(&ks, b"").unwrap(), Some(Vec::new()));
    db.put(&ks, b"k", b"").unwrap();
    db.put(&ks, b"\x00", b"zero").unwrap();
    assert_eq!(db.get(&ks, b"k").unwrap(), Some(Vec::new()));
    let want = vec![kv(b"", b""), kv(b"\x00", b"zero"), kv(b"k", b"")];
    assert_eq!(all(&db, &ks), want);
    assert_eq!(collect(db.iter(&ks, IterOptions::range("", "\x00"))), vec![kv(b"", b"")]);
    assert_eq!(collect(db.iter(&ks, IterOptions::all().to("").reverse())), Vec::new());
    let mut rev = want.clone();
    rev.reverse();
    assert_eq!(collect(db.iter(&ks, IterOptions::prefix("").reverse())), rev);
    let snap = db.snapshot();
    db.put(&ks, b"", b"now-set").unwrap();
    assert_eq!(snap.get(&ks, b"").unwrap(), Some(Vec::new()));
    assert_eq!(db.get(&ks, b"").unwrap(), v(b"now-set"));
    let mut b = WriteBatch::new();
    b.put(&ks, b"", b"").delete(&ks, b"\x00");
    db.write(b, WriteOptions::SYNC).unwrap();
    drop(snap);
    drop(db);
    let db = mem_open(&fs);
    let ks = db.default_keyspace();
    assert_eq!(all(&db, &ks), vec![kv(b"", b""), kv(b"k", b"")]);
    db.delete(&ks, b"").unwrap();
    assert_eq!(db.get(&ks, b"").unwrap(), None);
    assert_eq!(all(&db, &ks), vec![kv(b"k", b"")]);
}

#[test]
fn sequence_numbers_count_entries() {
    let (_fs, db) = mem_db();
    let ks = db.default_keyspace();
    assert_eq!(db.latest_sequence(), 0);
    db.write(WriteBatch::new(), WriteOptions::SYNC).unwrap();
    assert_eq!(db.latest_sequence(), 0, "an empty batch takes no sequence number");
    let mut b = WriteBatch::new();
    b.put(&ks, b"a", b"1").put(&ks, b"a", b"2").delete(&ks, b"a");
    assert_eq!(b.len(), 3);
    assert!(!b.is_empty());
    db.write(b, WriteOptions::default()).unwrap();
    assert_eq!(db.latest_sequence(), 3);
    assert_eq!(db.get(&ks, b"a").unwrap(), None, "the last op of a batch wins");
    let mut b = WriteBatch::new();
    b.delete(&ks, b"a").put(&ks, b"a", b"3");
    db.write(b, WriteOptions::default()).unwrap();
    assert_eq!(db.get(&ks, b"a").unwrap(), v(b"3"));
    let mut b = WriteBatch::new();
    b.put(&ks, b"x", b"1");
    b.clear();
    assert!(b.is_empty());
    db.write(b, WriteOptions::default()).unwrap();
    assert_eq!(db.get(&ks, b"x").unwrap(), None);
    assert_eq!(db.latest_sequence(), 5);
}

// ---------------------------------------------------------------------------------------------
// Group commit and background sync
// ---------------------------------------------------------------------------------------------

fn group_commit(dir: &Path, opts: Options, threads: u64, per_thread: u64) {
    let db = Db::open(dir, opts.clone()).unwrap();
    let ks = db.default_keyspace();
    let other = db.create_keyspace("other").unwrap();
    std::thread::scope(|s| {
        for t in 0..threads {
            let (db, ks, other) = (&db, &ks, &other);
            s.spawn(move || {
                let mut rng = Rng::new(0x6C0 + t);
                for i in 0..per_thread {
                    let k = format!("t{t:02}-{i:04}");
                    let target = if i % 3 == 0 { other } else { ks };
                    let wo = WriteOptions { sync: rng.chance(1, 4) };
                    db.put_with(target, k.as_bytes(), &(t * 10_000 + i).to_le_bytes(), wo).unwrap();
                }
            });
        }
    });
    let n = threads * per_thread;
    let check = |db: &Db, what: &str| {
        assert_eq!(db.latest_sequence(), n, "{what}: one sequence number per write");
        let ks = db.default_keyspace();
        let other = db.keyspace("other").unwrap();
        let mut count = 0;
        for t in 0..threads {
            for i in 0..per_thread {
                let k = format!("t{t:02}-{i:04}");
                let target = if i % 3 == 0 { &other } else { &ks };
                let got = db.get(target, k.as_bytes()).unwrap();
                assert_eq!(got, Some((t * 10_000 + i).to_le_bytes().to_vec()), "{what}: {k}");
                count += 1;
            }
        }
        assert_eq!(count, n);
        assert_eq!((all(db, &ks).len() + all(db, &other).len()) as u64, n, "{what}");
    };
    check(&db, "before reopen");
    drop(db);
    let db = Db::open(dir, opts).unwrap();
    check(&db, "after reopen");
}

#[test]
fn group_commit_under_concurrency_osfs() {
    let tmp = tempfile::tempdir().unwrap();
    group_commit(&tmp.path().join("db"), Options::default(), 16, 200);
}

#[test]
fn group_commit_with_tiny_groups_and_memtables_memfs() {
    let fs = MemFs::new();
    let opts = Options { group_commit_bytes_max: 1, memtable_bytes_max: 4 << 10, ..mem_opts(&fs) };
    group_commit(Path::new("/db"), opts, 8, 150);
}

#[test]
fn wal_sync_interval_osfs() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("db");
    let opts = Options { wal_sync_interval: Some(Duration::from_millis(10)), ..Options::default() };
    let db = Db::open(&dir, opts.clone()).unwrap();
    let ks = db.default_keyspace();
    for i in 0..200u32 {
        db.put(&ks, &i.to_be_bytes(), &[1; 100]).unwrap();
        if i % 50 == 0 {
            std::thread::sleep(Duration::from_millis(15));
        }
    }
    db.close().unwrap();
    let db = Db::open(&dir, opts).unwrap();
    assert_eq!(all(&db, &db.default_keyspace()).len(), 200);
    // Dropping (not closing) with the background thread running is clean too.
    db.put(&db.default_keyspace(), b"last", b"x").unwrap();
    drop(db);
    let db = Db::open(&dir, Options::default()).unwrap();
    assert_eq!(db.get(&db.default_keyspace(), b"last").unwrap(), v(b"x"));
}

/// The newest WAL file of a database.
fn newest_wal(fs: &dyn FileSystem, dir: &Path) -> PathBuf {
    let n = fs
        .list(dir)
        .unwrap()
        .iter()
        .filter_map(|name| match shale_engine::filename::parse(name) {
            Some(shale_engine::filename::FileKind::Wal(n)) => Some(n),
            _ => None,
        })
        .max()
        .expect("a WAL file");
    dir.join(shale_engine::filename::wal(n))
}

fn wal_sync_interval_makes_unsynced_writes_durable(backend: Backend) {
    let fs = backend.fs();
    let dir = Path::new(DB);
    let opts = Options { wal_sync_interval: Some(Duration::from_millis(10)), ..mem_opts(&fs) };
    let db = Db::open(dir, opts.clone()).unwrap();
    let ks = db.default_keyspace();
    for i in 0..50u32 {
        db.put(&ks, &i.to_be_bytes(), b"unsynced").unwrap();
    }
    let wal = newest_wal(&*fs, dir);
    let len = fs.file_bytes(&wal).unwrap().len() as u64;
    assert!(len > 0);
    // Liveness, not speed: the background thread must sync within a (very generous) deadline.
    let deadline = Instant::now() + Duration::from_secs(60);
    while fs.durable_len(&wal) != Some(len) {
        assert!(Instant::now() < deadline, "the WAL was never synced in the background");
        std::thread::sleep(Duration::from_millis(5));
    }
    fs.crash_drop_unsynced();
    drop(db);
    let db = Db::open(dir, mem_opts(&fs)).unwrap();
    assert_eq!(all(&db, &db.default_keyspace()).len(), 50);
    assert_eq!(db.latest_sequence(), 50);
    db.close().unwrap();
}

/// Writes acknowledged without `sync` by a process that then exits (here: drops the `Db` without
/// `close`) are in the page cache. The next open replays them; a `sync` write of the new session
/// must then make the whole history up to it durable, as `rotate_wal` does for a live rotation
/// ("recovery must never find a hole before a later, durable write").
fn power_loss_after_reopen_loses_no_acknowledged_history(backend: Backend) {
    for seed in 0..8u64 {
        let fs = backend.fs();
        {
            let db = Db::open(DB, mem_opts(&fs)).unwrap();
            let ks = db.default_keyspace();
            for i in 0..20u32 {
                db.put(&ks, format!("a{i:02}").as_bytes(), &[b'x'; 30]).unwrap();
            }
            drop(db); // the process exits: nothing was synced
        }
        let db = Db::open(DB, mem_opts(&fs)).unwrap();
        let ks = db.default_keyspace();
        assert_eq!(all(&db, &ks).len(), 20);
        db.put_with(&ks, b"c", b"synced", WriteOptions::SYNC).unwrap();
        // Power loss: the previous session's WAL was never synced by anyone.
        if seed == 0 {
            fs.crash_drop_unsynced();
        } else {
            fs.crash(seed);
        }
        drop(db);
        let db = Db::open(DB, mem_opts(&fs))
            .unwrap_or_else(|e| panic!("crash seed {seed}: open after power loss failed: {e}"));
        let ks = db.default_keyspace();
        assert_eq!(db.get(&ks, b"c").unwrap(), v(b"synced"), "crash seed {seed}: the sync write");
        assert_eq!(
            all(&db, &ks).len(),
            21,
            "crash seed {seed}: writes before an acknowledged sync write were lost"
        );
    }
}

fn sync_writes_survive_power_loss(backend: Backend) {
    let fs = backend.fs();
    let db = Db::open(DB, mem_opts(&fs)).unwrap();
    let ks = db.default_keyspace();
    db.put(&ks, b"a", b"1").unwrap();
    db.put_with(&ks, b"b", b"2", WriteOptions::SYNC).unwrap();
    db.put(&ks, b"c", b"3").unwrap();
    db.sync_wal().unwrap();
    db.put(&ks, b"d", b"4").unwrap();
    fs.crash_drop_unsynced();
    drop(db);
    let db = Db::open(DB, mem_opts(&fs)).unwrap();
    let ks = db.default_keyspace();
    assert_eq!(all(&db, &ks), vec![kv(b"a", b"1"), kv(b"b", b"2"), kv(b"c", b"3")]);
    assert_eq!(db.latest_sequence(), 3);
}

// ---------------------------------------------------------------------------------------------
// Flushes: reads across memtables and SSTables.
// ---------------------------------------------------------------------------------------------

fn table_names(fs: &MemFs, dir: &str) -> std::collections::BTreeSet<String> {
    fs.list(Path::new(dir))
        .unwrap()
        .into_iter()
        .filter(|n| {
            matches!(
                shale_engine::filename::parse(n),
                Some(shale_engine::filename::FileKind::Table(_))
            )
        })
        .collect()
}

/// The properties of every table in `dir`, by file name.
fn table_props(fs: &MemFs, dir: &str) -> Vec<(String, shale_engine::sst::TableProperties)> {
    table_names(fs, dir)
        .into_iter()
        .map(|n| {
            let path = Path::new(dir).join(&n);
            let file = fs.open(&path).unwrap();
            let size = file.len().unwrap();
            let number = match shale_engine::filename::parse(&n) {
                Some(shale_engine::filename::FileKind::Table(x)) => x,
                _ => unreachable!(),
            };
            let stats = Arc::new(shale_engine::sst::ReadStats::default());
            let t = shale_engine::sst::Table::open(file, number, size, None, stats)
                .unwrap_or_else(|e| panic!("{n}: {e}"));
            (n, t.properties().clone())
        })
        .collect()
}

/// Concurrent `flush()` calls (and, with background flush off, the writers' inline flushes) must
/// not flush one memtable twice: every table holds its own range of sequence numbers.
fn concurrent_flushes(background_flush: bool, rounds: usize) {
    for _ in 0..rounds {
        concurrent_flushes_round(background_flush);
    }
}

fn concurrent_flushes_round(background_flush: bool) {
    let fs = MemFs::new();
    let opts = Options {
        memtable_bytes_max: 2 << 10,
        background_flush,
        compaction: no_compaction(),
        ..mem_opts(&fs)
    };
    let db = Db::open("/db", opts).unwrap();
    let ks = db.default_keyspace();
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                while !stop.load(Ordering::Acquire) {
                    db.flush().unwrap();
                }
            });
        }
        for i in 0..3000u32 {
            let k = format!("k{:03}", i % 200);
            db.put(&ks, k.as_bytes(), &i.to_be_bytes()).unwrap();
            assert_eq!(db.get(&ks, k.as_bytes()).unwrap(), v(&i.to_be_bytes()), "write {i}");
        }
        stop.store(true, Ordering::Release);
    });
    db.flush().unwrap();
    let mut ranges: Vec<(u64, u64, String)> = table_props(&fs, "/db")
        .into_iter()
        .map(|(n, p)| (p.smallest_seq, p.largest_seq, n))
        .collect();
    ranges.sort();
    assert!(ranges.len() > 10, "{} tables", ranges.len());
    for w in ranges.windows(2) {
        assert!(
            w[0].1 < w[1].0,
            "tables {} (seqs {}..={}) and {} (seqs {}..={}) overlap: one memtable flushed twice",
            w[0].2,
            w[0].0,
            w[0].1,
            w[1].2,
            w[1].0,
            w[1].1
        );
    }
    // Every write is in exactly one table.
    assert_eq!(ranges.iter().map(|(a, b, _)| b - a + 1).sum::<u64>(), 3000);
    for i in 2800..3000u32 {
        assert_eq!(
            db.get(&ks, format!("k{:03}", i % 200).as_bytes()).unwrap(),
            v(&i.to_be_bytes())
        );
    }
}

#[test]
fn concurrent_flushes_flush_each_memtable_once_background() {
    concurrent_flushes(true, 3);
}

/// Regression test (a bug fixed by serialising flushes): with `background_flush: false`, `Db::flush` runs
/// `Core::flush_pending` on the calling thread while a write leader may run it too (or another
/// `flush()` caller), and `Core::flush_one` picks "the oldest immutable memtable" without
/// claiming it, so two threads build and install the same memtable as two tables.
#[test]
fn concurrent_flushes_flush_each_memtable_once_inline() {
    // The race is lost in most rounds of a few hundred flushes; 20 rounds make it near certain.
    concurrent_flushes(false, 20);
}

/// Compaction that never triggers: these tests count and inspect the flushed tables themselves.
fn no_compaction() -> shale_engine::compaction::CompactionOptions {
    shale_engine::compaction::CompactionOptions {
        level0_trigger: 1 << 30,
        level0_slowdown: 1 << 30,
        level0_stop: 1 << 30,
        ..Default::default()
    }
}

fn flush_opts(fs: &impl TestFsHandle, background_flush: bool) -> Options {
    Options {
        background_flush,
        compaction: no_compaction(),
        table: shale_engine::sst::TableOptions { block_size: 256, ..Default::default() },
        ..mem_opts(fs)
    }
}

/// Versions spread over the memtable and several overlapping L0 tables: the newest visible one
/// wins in gets and iterators (both directions, with bounds), and snapshots taken before a
/// flush keep seeing their versions (a flush writes every version).
#[test]
fn reads_across_memtable_and_tables() {
    for background in [true, false] {
        let fs = MemFs::new();
        let db = Db::open("/db", flush_opts(&fs, background)).unwrap();
        let ks = db.default_keyspace();
        let mut rng = Rng::new(0xF1 + u64::from(background));
        let mut model: std::collections::BTreeMap<Vec<u8>, Vec<u8>> = Default::default();
        let mut snaps = Vec::new();
        for round in 0..6u32 {
            for i in 0..150u32 {
                let k = format!("key{:03}", rng.below(120)).into_bytes();
                if rng.chance(1, 4) {
                    db.delete(&ks, &k).unwrap();
                    model.remove(&k);
                } else {
                    let val = format!("r{round}-{i}-{}", "x".repeat(rng.index(30))).into_bytes();
                    db.put(&ks, &k, &val).unwrap();
                    model.insert(k, val);
                }
            }
            // A snapshot taken before the flush, with the model at that point.
            snaps.push((db.snapshot(), model.clone()));
            if round < 5 {
                db.flush().unwrap();
                assert_eq!(
                    table_names(&fs, "/db").len(),
                    round as usize + 1,
                    "one table per flush"
                );
            }
            let data: Kvs = model.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
            for k in 0..125u32 {
                let k = format!("key{k:03}").into_bytes();
                assert_eq!(db.get(&ks, &k).unwrap(), model.get(&k).cloned(), "round {round}");
            }
            for lower in bound_candidates(&[b"key000", b"key050", b"key0505", b"zzz"]) {
                for upper in bound_candidates(&[b"key010", b"key100", b"key119"]) {
                    for reverse in [false, true] {
                        let o = IterOptions { lower: lower.clone(), upper: upper.clone(), reverse };
                        assert_eq!(
                            collect(db.iter(&ks, o.clone())),
                            expected(data.iter().map(|(k, v)| (k, v)), &o),
                            "{o:?}"
                        );
                    }
                }
            }
            for (snap, m) in &snaps {
                let data: Kvs = m.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
                assert_eq!(
                    collect(snap.iter(&ks, IterOptions::all())),
                    data,
                    "snapshot {}",
                    snap.sequence()
                );
                let mut rev = data.clone();
                rev.reverse();
                assert_eq!(collect(snap.iter(&ks, IterOptions::all().reverse())), rev);
                for k in 0..125u32 {
                    let k = format!("key{k:03}").into_bytes();
                    assert_eq!(
                        snap.get(&ks, &k).unwrap(),
                        m.get(&k).cloned(),
                        "snapshot {}",
                        snap.sequence()
                    );
                }
            }
        }
        // Reopened, the latest state is intact (snapshots are gone).
        drop(snaps);
        drop(db);
        let db = Db::open("/db", flush_opts(&fs, background)).unwrap();
        let data: Kvs = model.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        assert_eq!(all(&db, &db.default_keyspace()), data);
    }
}

/// An iterator made before a flush reads the state it was made on, while the flush moves that
/// data into a table.
#[test]
fn iterator_made_before_a_flush_is_unaffected() {
    let fs = MemFs::new();
    let db = Db::open("/db", flush_opts(&fs, true)).unwrap();
    let ks = db.default_keyspace();
    for i in 0..100u32 {
        db.put(&ks, format!("k{i:03}").as_bytes(), &i.to_be_bytes()).unwrap();
    }
    let mut it = db.iter(&ks, IterOptions::all()).unwrap();
    let first = it.next().unwrap().unwrap();
    db.flush().unwrap();
    for i in 0..100u32 {
        db.put(&ks, format!("k{i:03}").as_bytes(), b"new").unwrap();
    }
    db.delete(&ks, b"k050").unwrap();
    db.flush().unwrap();
    let mut got = vec![first];
    got.extend(it.map(|r| r.unwrap()));
    let want: Kvs =
        (0..100u32).map(|i| (format!("k{i:03}").into_bytes(), i.to_be_bytes().to_vec())).collect();
    assert_eq!(got, want);
    assert_eq!(db.get(&ks, b"k050").unwrap(), None);
    assert_eq!(db.get(&ks, b"k051").unwrap(), v(b"new"));
}

/// A delete written after a flush hides the table's value (in the memtable, then in a newer
/// table, and after a reopen).
#[test]
fn delete_after_flush_hides_the_tables_value() {
    for background in [true, false] {
        let fs = MemFs::new();
        let db = Db::open("/db", flush_opts(&fs, background)).unwrap();
        let ks = db.default_keyspace();
        db.put(&ks, b"a", b"1").unwrap();
        db.put(&ks, b"b", b"2").unwrap();
        db.put(&ks, b"c", b"3").unwrap();
        db.flush().unwrap();
        let before = db.snapshot();
        db.delete(&ks, b"b").unwrap();
        let check = |db: &Db, what: &str| {
            let ks = db.default_keyspace();
            assert_eq!(db.get(&ks, b"b").unwrap(), None, "{what}");
            assert_eq!(db.get(&ks, b"a").unwrap(), v(b"1"), "{what}");
            assert_eq!(all(db, &ks), vec![kv(b"a", b"1"), kv(b"c", b"3")], "{what}");
            assert_eq!(
                collect(db.iter(&ks, IterOptions::all().reverse())),
                vec![kv(b"c", b"3"), kv(b"a", b"1")],
                "{what}"
            );
            assert_eq!(collect(db.iter(&ks, IterOptions::range("b", "c"))), vec![], "{what}");
        };
        check(&db, "tombstone in the memtable");
        assert_eq!(before.get(&ks, b"b").unwrap(), v(b"2"));
        db.flush().unwrap();
        check(&db, "tombstone in a newer table");
        assert_eq!(before.get(&ks, b"b").unwrap(), v(b"2"), "snapshot under two tables");
        assert_eq!(table_names(&fs, "/db").len(), 2);
        // A new value over the tombstone, then a delete again, each flushed.
        db.put(&ks, b"b", b"22").unwrap();
        db.flush().unwrap();
        assert_eq!(db.get(&ks, b"b").unwrap(), v(b"22"));
        db.delete(&ks, b"b").unwrap();
        check(&db, "second tombstone in the memtable");
        drop(before);
        db.close().unwrap();
        let db = Db::open("/db", flush_opts(&fs, background)).unwrap();
        check(&db, "after reopen");
    }
}

/// Dropping a keyspace removes its tables from the directory and leaves the others alone.
#[test]
fn drop_keyspace_removes_its_table_files() {
    let fs = MemFs::new();
    let db = Db::open("/db", flush_opts(&fs, true)).unwrap();
    let ks = db.default_keyspace();
    for i in 0..50u32 {
        db.put(&ks, format!("d{i}").as_bytes(), b"default").unwrap();
    }
    db.flush().unwrap();
    let default_tables = table_names(&fs, "/db");
    assert_eq!(default_tables.len(), 1);
    let x = db.create_keyspace("x").unwrap();
    for round in 0..3 {
        for i in 0..50u32 {
            db.put(&x, format!("x{i}").as_bytes(), format!("{round}").as_bytes()).unwrap();
        }
        db.flush().unwrap();
    }
    db.put(&x, b"unflushed", b"1").unwrap();
    let with_x = table_names(&fs, "/db");
    let x_tables: Vec<&String> = with_x.difference(&default_tables).collect();
    assert_eq!(x_tables.len(), 3, "{with_x:?}");
    assert_eq!(db.get(&x, b"x7").unwrap(), v(b"2"));
    db.drop_keyspace(&x).unwrap();
    assert_eq!(table_names(&fs, "/db"), default_tables, "x's tables are removed");
    // Recreated under the same name, it is empty; a flush of it makes a new table.
    let x2 = db.create_keyspace("x").unwrap();
    assert_eq!(all(&db, &x2), vec![]);
    db.put(&x2, b"fresh", b"1").unwrap();
    db.flush().unwrap();
    assert_eq!(table_names(&fs, "/db").len(), 2);
    db.close().unwrap();
    let db = Db::open("/db", flush_opts(&fs, true)).unwrap();
    let x2 = db.keyspace("x").unwrap();
    assert_eq!(all(&db, &x2), vec![kv(b"fresh", b"1")]);
    assert_eq!(all(&db, &db.default_keyspace()).len(), 50);
    assert_eq!(table_names(&fs, "/db").len(), 2, "reopen keeps exactly the live tables");
}

/// Several keyspaces, flushed and not, survive a reopen (with and without `close`) and a power
/// loss after the flush: a flushed write is durable even though it was written without `sync`.
fn keyspaces_survive_flush_and_reopen(backend: Backend) {
    for (case, crash) in [(0u64, false), (1, true), (2, true), (3, true)] {
        let fs = backend.fs();
        let names = ["a", "b", "ključ"];
        let mut model: std::collections::BTreeMap<(usize, Vec<u8>), Vec<u8>> = Default::default();
        {
            let db = Db::open(DB, flush_opts(&fs, case % 2 == 0)).unwrap();
            let handles: Vec<Keyspace> =
                names.iter().map(|n| db.create_keyspace(n).unwrap()).collect();
            let mut rng = Rng::new(case);
            for i in 0..400u32 {
                let j = rng.index(3);
                let k = format!("k{:02}", rng.below(80)).into_bytes();
                let val = format!("{i}").into_bytes();
                db.put(&handles[j], &k, &val).unwrap();
                model.insert((j, k), val);
                if i == 250 {
                    db.flush().unwrap();
                }
            }
            db.flush().unwrap();
            if crash {
                // Nothing was written with `sync`: what survives is what the flush made durable.
                fs.crash(case);
            } else {
                // Some writes stay in the WAL only.
                for (i, h) in handles.iter().enumerate() {
                    db.put(h, b"late", b"wal").unwrap();
                    model.insert((i, b"late".to_vec()), b"wal".to_vec());
                }
                db.close().unwrap();
            }
        }
        let db = Db::open(DB, flush_opts(&fs, true))
            .unwrap_or_else(|e| panic!("case {case}: reopen: {e}"));
        let mut listed = db.list_keyspaces();
        listed.retain(|n| n != DEFAULT_KEYSPACE);
        let mut want_names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        want_names.sort();
        assert_eq!(listed, want_names, "case {case}");
        for (j, name) in names.iter().enumerate() {
            let h = db.keyspace(name).unwrap();
            let want: Kvs = model
                .iter()
                .filter(|((i, _), _)| *i == j)
                .map(|((_, k), v)| (k.clone(), v.clone()))
                .collect();
            assert_eq!(all(&db, &h), want, "case {case} keyspace {name}");
        }
    }
}

/// Regression test (drop_keyspace now records the last sequence): sequence numbers must never go backwards across a reopen. When
/// the newest writes belonged to a keyspace that was dropped after a flush removed the WAL
/// holding them, the reopened database derives its last sequence from the live tables only
/// (flush and drop edits do not record the last sequence in the manifest), and hands out the
/// same sequence numbers again.
#[test]
fn sequence_numbers_never_go_back_after_flush_and_drop() {
    for close in [true, false] {
        let fs = MemFs::new();
        let db = Db::open("/db", flush_opts(&fs, true)).unwrap();
        let ks = db.default_keyspace();
        let x = db.create_keyspace("x").unwrap();
        db.put(&ks, b"a", b"1").unwrap();
        db.put(&x, b"k", b"2").unwrap();
        db.put(&x, b"k", b"3").unwrap();
        assert_eq!(db.latest_sequence(), 3);
        db.flush().unwrap();
        db.drop_keyspace(&x).unwrap();
        assert_eq!(db.latest_sequence(), 3);
        if close {
            db.close().unwrap();
        } else {
            drop(db);
        }
        let db = Db::open("/db", flush_opts(&fs, true)).unwrap();
        assert_eq!(db.latest_sequence(), 3, "close {close}: the last sequence went back");
        db.put(&db.default_keyspace(), b"b", b"4").unwrap();
        assert_eq!(db.latest_sequence(), 4, "close {close}: a sequence number was reused");
    }
}

/// Keys with long version chains (far more versions than the iterator steps over before it
/// seeks past them), with newer versions hidden from a snapshot, in the memtable and in tables:
/// forward and reverse iteration, at the latest state and at the snapshot, return each key once
/// with the right version.
#[test]
fn iterators_jump_over_long_version_chains() {
    for flush in [false, true] {
        let fs = MemFs::new();
        let db = Db::open("/db", mem_opts(&fs)).unwrap();
        let ks = db.default_keyspace();
        for k in [b"a".as_slice(), b"c", b"e"] {
            db.put(&ks, k, b"0").unwrap();
        }
        for i in 1..=50u32 {
            db.put(&ks, b"b", format!("b{i}").as_bytes()).unwrap();
            db.put(&ks, b"d", format!("d{i}").as_bytes()).unwrap();
        }
        db.delete(&ks, b"d").unwrap();
        let snap = db.snapshot();
        for i in 51..=80u32 {
            db.put(&ks, b"b", format!("b{i}").as_bytes()).unwrap();
            db.put(&ks, b"c", format!("c{i}").as_bytes()).unwrap();
            db.put(&ks, b"d", format!("d{i}").as_bytes()).unwrap();
        }
        if flush {
            db.flush().unwrap();
        }
        let latest: Kvs = vec![
            kv(b"a", b"0"),
            kv(b"b", b"b80"),
            kv(b"c", b"c80"),
            kv(b"d", b"d80"),
            kv(b"e", b"0"),
        ];
        let at_snap: Kvs = vec![kv(b"a", b"0"), kv(b"b", b"b50"), kv(b"c", b"0"), kv(b"e", b"0")];
        let rev = |v: &Kvs| v.iter().rev().cloned().collect::<Kvs>();
        assert_eq!(collect(db.iter(&ks, IterOptions::all())), latest, "flush {flush}");
        assert_eq!(
            collect(db.iter(&ks, IterOptions::all().reverse())),
            rev(&latest),
            "flush {flush}"
        );
        assert_eq!(collect(snap.iter(&ks, IterOptions::all())), at_snap, "flush {flush}");
        assert_eq!(
            collect(snap.iter(&ks, IterOptions::all().reverse())),
            rev(&at_snap),
            "flush {flush}"
        );
        // Bounds that start or stop inside a chain.
        assert_eq!(collect(snap.iter(&ks, IterOptions::range("b", "d"))), at_snap[1..3].to_vec());
        assert_eq!(
            collect(db.iter(&ks, IterOptions::range("b", "e").reverse())),
            rev(&latest[1..4].to_vec())
        );
    }
}

/// A flush writes only versions some reader can still see: the newest version of each key,
/// plus the ones live snapshots need; tombstones stay (older versions may sit below).
#[test]
fn flush_drops_versions_no_reader_can_see() {
    let fs = MemFs::new();
    let db = Db::open("/db", mem_opts(&fs)).unwrap();
    let ks = db.default_keyspace();
    db.put(&ks, b"gone", b"1").unwrap();
    db.delete(&ks, b"gone").unwrap();
    for i in 1..=50u32 {
        db.put(&ks, b"k", format!("v{i}").as_bytes()).unwrap();
    }
    let snap = db.snapshot();
    for i in 51..=100u32 {
        db.put(&ks, b"k", format!("v{i}").as_bytes()).unwrap();
    }
    db.flush().unwrap();
    let l0 = |db: &Db| db.stats().keyspaces[0].levels[0].clone();
    // k@v100, k@v50 (the snapshot's), and the tombstone of "gone".
    assert_eq!(l0(&db).entries, 3, "{}", db.stats());
    assert_eq!(snap.get(&ks, b"k").unwrap(), v(b"v50"));
    assert_eq!(db.get(&ks, b"k").unwrap(), v(b"v100"));
    assert_eq!(db.get(&ks, b"gone").unwrap(), None);
    drop(snap);
    for i in 101..=150u32 {
        db.put(&ks, b"k", format!("v{i}").as_bytes()).unwrap();
    }
    db.flush().unwrap();
    assert_eq!(l0(&db).entries, 4, "one more table, with one entry: {}", db.stats());
    assert_eq!(db.get(&ks, b"k").unwrap(), v(b"v150"));
}

/// A scan that is running when its keyspace is dropped (its table files deleted under it)
/// fails with `KeyspaceDropped`, not with the I/O error of the table it could not open.
#[test]
fn a_scan_racing_drop_keyspace_fails_with_keyspace_dropped() {
    let fs = MemFs::new();
    let mut opts = mem_opts(&fs);
    opts.compaction.target_file_bytes = 4 << 10;
    let db = Db::open("/db", opts).expect("open");
    let victim = db.create_keyspace("victim").unwrap();
    for i in 0..4000u32 {
        db.put(&victim, &i.to_be_bytes(), &[7u8; 100]).unwrap();
    }
    // Many small tables in the last level, opened one after another by the scan.
    db.compact_range(&victim, None, None).unwrap();
    let mut it = db.iter(&victim, IterOptions::all()).unwrap();
    assert!(it.advance().unwrap());
    db.drop_keyspace(&victim).unwrap();
    let err = loop {
        match it.advance() {
            Ok(true) => continue,
            Ok(false) => panic!("the scan finished although its tables were deleted"),
            Err(e) => break e,
        }
    };
    assert!(matches!(err, Error::KeyspaceDropped(ref n) if n == "victim"), "{err:?}");
}
