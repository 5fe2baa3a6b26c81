//! Compaction filters and TTL: removed keys stay removed (no older version resurfaces), replaced
//! values are read back, snapshots never see a filtered change, and reads can hide expired
//! entries before any compaction.

use shale_engine::compaction::{ttl_value, CompactionFilter, Decision, TtlFilter};
use shale_engine::{Db, IterOptions, Options};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

#[derive(Debug)]
struct EvenOnlyUpper;

impl CompactionFilter for EvenOnlyUpper {
    fn filter(&self, keyspace: &str, _level: usize, key: &[u8], value: &[u8]) -> Decision {
        if keyspace != "custom" {
            return Decision::Keep;
        }
        let n: u32 = std::str::from_utf8(&key[1..]).unwrap().parse().unwrap();
        match n % 3 {
            0 => Decision::Remove,
            1 => Decision::Replace(value.to_ascii_uppercase()),
            _ => Decision::Keep,
        }
    }
}

fn opts(filter: Arc<dyn CompactionFilter>) -> Options {
    Options { compaction_filter: Some(filter), background_flush: false, ..Options::default() }
}

#[test]
fn custom_filter_removes_and_replaces_without_resurrection() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path(), opts(Arc::new(EvenOnlyUpper))).unwrap();
    let ks = db.create_keyspace("custom").unwrap();
    let other = db.default_keyspace();
    // An old version in the last level, then a newer one above it.
    for i in 0..300u32 {
        db.put(&ks, format!("k{i}").as_bytes(), b"old").unwrap();
        db.put(&other, format!("k{i}").as_bytes(), b"kept").unwrap();
    }
    db.compact_range(&ks, None, None).unwrap();
    // That compaction already filtered "old": rewrite values and compact again.
    for i in 0..300u32 {
        db.put(&ks, format!("k{i}").as_bytes(), b"new").unwrap();
    }
    let snap = db.snapshot();
    db.compact_range(&ks, None, None).unwrap();
    // The snapshot pins the newest versions: the filter must not have touched them.
    for i in (0..300u32).step_by(7) {
        assert_eq!(
            snap.get(&ks, format!("k{i}").as_bytes()).unwrap().as_deref(),
            Some(&b"new"[..])
        );
    }
    drop(snap);
    db.compact_range(&ks, None, None).unwrap();
    for i in 0..300u32 {
        let got = db.get(&ks, format!("k{i}").as_bytes()).unwrap();
        let want: Option<&[u8]> = match i % 3 {
            0 => None,
            1 => Some(b"NEW"),
            _ => Some(b"new"),
        };
        assert_eq!(got.as_deref(), want, "k{i}");
        assert_eq!(
            db.get(&other, format!("k{i}").as_bytes()).unwrap().as_deref(),
            Some(&b"kept"[..])
        );
    }
    drop(db);
    let db = Db::open(dir.path(), opts(Arc::new(EvenOnlyUpper))).unwrap();
    let ks = db.keyspace("custom").unwrap();
    assert_eq!(db.iter(&ks, IterOptions::all()).unwrap().count(), 200, "after reopen");
}

#[test]
fn ttl_filter_drops_expired_entries_and_reads_can_hide_them_first() {
    let dir = tempfile::tempdir().unwrap();
    let now = Arc::new(AtomicU64::new(1_000));
    let clock = Arc::clone(&now);
    let ttl = TtlFilter::prefixed().with_clock(Arc::new(move || clock.load(Ordering::Relaxed)));
    let db = Db::open(dir.path(), opts(Arc::new(ttl))).unwrap();
    let ks = db.default_keyspace();
    for i in 0..100u64 {
        // Keys 0..50 expire at 1_050, the others at 5_000.
        let at = if i < 50 { 1_050 } else { 5_000 };
        db.put(&ks, format!("s{i:03}").as_bytes(), &ttl_value(at, b"session")).unwrap();
    }
    db.compact_range(&ks, None, None).unwrap();
    assert_eq!(db.iter(&ks, IterOptions::all()).unwrap().count(), 100, "nothing expired yet");
    now.store(2_000, Ordering::Relaxed);
    // Before a compaction: plain reads still see them, unexpired reads do not.
    assert!(db.get(&ks, b"s000").unwrap().is_some());
    assert_eq!(db.get_unexpired(&ks, b"s000").unwrap(), None);
    assert!(db.get_unexpired(&ks, b"s099").unwrap().is_some());
    assert_eq!(db.iter_unexpired(&ks, IterOptions::all()).unwrap().count(), 50);
    assert_eq!(db.iter_unexpired(&ks, IterOptions::all().reverse()).unwrap().count(), 50);
    db.compact_range(&ks, None, None).unwrap();
    assert_eq!(db.iter(&ks, IterOptions::all()).unwrap().count(), 50, "compaction removed them");
    let entries: u64 = db.stats().keyspaces[0].levels.iter().map(|l| l.entries).sum();
    assert_eq!(entries, 50, "dropped outright at the last level");
}
