//! WAL archiving and point-in-time restore (`docs/backup.md`) against a model: after every
//! batch, the model's state of every keyspace. A restore to any sequence, or to any commit
//! time, of the window equals the model at that point, across flushes (WAL files archived),
//! bases, keyspaces created and dropped, reopens, and power loss; retention and the size bound
//! shrink the window; what cannot be restored is refused by name.

mod common;

use common::Rng;
use shale_engine::fs::{FaultMode, FileSystem, MemFs};
use shale_engine::{
    Db, Error, IterOptions, ManualClock, Options, RestorePoint, WalArchiveOptions, WriteBatch,
    WriteOptions,
};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// Keyspace name → key → value.
type State = BTreeMap<String, BTreeMap<Vec<u8>, Vec<u8>>>;

const DIR: &str = "/db";

thread_local! {
    /// Each test's clock (tests run on threads of their own): moved by hand, so that instants
    /// fall where the test puts them.
    static CLOCK: Arc<ManualClock> = Arc::new(ManualClock::new(1_765_000_000_000));
}

fn clock() -> Arc<ManualClock> {
    CLOCK.with(Arc::clone)
}

fn options(fs: &MemFs) -> Options {
    Options {
        fs: Arc::new(fs.clone()),
        clock: clock(),
        // Small memtables: WAL files fill, flush and move to the archive all the time.
        memtable_bytes_max: 32 << 10,
        background_flush: false,
        wal_archive: Some(WalArchiveOptions {
            retention: Duration::from_secs(24 * 3600),
            archive_bytes_max: u64::MAX,
            // The test takes its bases itself.
            base_interval: Duration::from_secs(24 * 3600),
            ..WalArchiveOptions::default()
        }),
        ..Options::default()
    }
}

fn plain(fs: &MemFs) -> Options {
    Options { fs: Arc::new(fs.clone()), ..Options::default() }
}

/// Everything a database holds, keyspace by keyspace (empty keyspaces included).
fn contents(db: &Db) -> State {
    let mut out = State::new();
    for name in db.list_keyspaces() {
        let ks = db.keyspace(&name).unwrap();
        let mut m = BTreeMap::new();
        for kv in db.iter(&ks, IterOptions::all()).unwrap() {
            let (k, v) = kv.unwrap();
            m.insert(k, v);
        }
        out.insert(name, m);
    }
    out
}

/// The model's history: after each batch, its last sequence, commit time and the state.
struct History {
    points: Vec<(u64, u64, State)>,
    state: State,
}

impl History {
    fn new(db: &Db) -> Self {
        let state = contents(db);
        History { points: vec![(db.latest_sequence(), 0, state.clone())], state }
    }

    /// Writes a random batch over `names` and records it.
    fn write(&mut self, db: &Db, names: &[&str], rng: &mut Rng, sync: bool) {
        let mut batch = WriteBatch::new();
        for _ in 0..=rng.below(3) {
            let name = names[rng.index(names.len())];
            let ks = db.keyspace(name).unwrap();
            let key = format!("k{:03}", rng.below(200)).into_bytes();
            let m = self.state.entry(name.to_string()).or_default();
            if rng.below(5) == 0 {
                batch.delete(&ks, &key);
                m.remove(&key);
            } else {
                let v = format!("{:x}", rng.next_u64()).repeat(1 + rng.index(12)).into_bytes();
                batch.put(&ks, &key, &v);
                m.insert(key, v);
            }
        }
        db.write(batch, WriteOptions { sync }).unwrap();
        self.record(db);
    }

    fn record(&mut self, db: &Db) {
        let seq = db.latest_sequence();
        let ms =
            db.updates_since(seq).unwrap().last().map_or(0, |b| b.unwrap().commit_time_ms.unwrap());
        self.points.push((seq, ms, self.state.clone()));
    }

    /// The state as of sequence `seq`.
    fn at_sequence(&self, seq: u64) -> &State {
        &self.points.iter().rev().find(|p| p.0 <= seq).unwrap().2
    }

    /// The state as of instant `ms`: after the last batch committed at or before it.
    fn at_time(&self, ms: u64) -> &State {
        &self.points.iter().rev().find(|p| p.1 <= ms).unwrap().2
    }
}

/// Restores `db` to `point` into a fresh folder and returns what the copy holds.
fn restored(fs: &MemFs, db: &Db, point: RestorePoint, n: &mut usize) -> State {
    *n += 1;
    let out = format!("/restore-{n}");
    db.restore_to(point, &out, plain(fs)).unwrap();
    let copy = Db::open(&out, plain(fs)).unwrap();
    let got = contents(&copy);
    drop(copy);
    got
}

/// Model states carry every keyspace ever written; a restore has those alive at its point.
fn same(got: &State, want: &State, what: &str) {
    for (name, m) in want {
        if let Some(g) = got.get(name) {
            assert_eq!(g, m, "{what}: keyspace {name}");
        } else {
            assert!(m.is_empty(), "{what}: keyspace {name} missing from the restore");
        }
    }
}

#[test]
fn a_restore_to_any_sequence_or_instant_equals_the_model_then() {
    let fs = MemFs::new();
    let db = Db::open(DIR, options(&fs)).unwrap();
    db.create_keyspace("a").unwrap();
    db.take_archive_base().unwrap();
    let mut h = History::new(&db);
    let mut rng = Rng::new(0x5eed_a4c1);
    for i in 0..600 {
        h.write(&db, &["default", "a"], &mut rng, i % 50 == 0);
        if i % 150 == 149 {
            db.take_archive_base().unwrap();
        }
        if i % 40 == 0 {
            // Distinct commit times, so that instants fall between batches.
            clock().advance(2);
        }
    }
    let stats = db.archive_stats().unwrap();
    assert!(stats.files > 3, "the WAL files went to the archive: {stats:?}");
    assert_eq!(stats.bases, 5);
    let mut n = 0;
    let last = h.points.last().unwrap().0;
    let mut seqs: Vec<u64> = (0..25).map(|_| h.points[rng.index(h.points.len())].0).collect();
    seqs.extend([h.points[0].0, last]);
    for s in seqs {
        let got = restored(&fs, &db, RestorePoint::Sequence(s), &mut n);
        same(&got, h.at_sequence(s), &format!("sequence {s}"));
    }
    for _ in 0..15 {
        let (_, ms, _) = h.points[1 + rng.index(h.points.len() - 1)];
        let t = ms + rng.below(2);
        let got = restored(&fs, &db, RestorePoint::Time(t), &mut n);
        same(&got, h.at_time(t), &format!("instant {t}"));
    }
    let got = restored(&fs, &db, RestorePoint::Latest, &mut n);
    same(&got, &h.state, "latest");
}

#[test]
fn keyspaces_created_and_dropped_inside_the_window_come_and_go_with_the_point() {
    let fs = MemFs::new();
    let db = Db::open(DIR, options(&fs)).unwrap();
    db.take_archive_base().unwrap();
    let mut h = History::new(&db);
    let mut rng = Rng::new(7);
    h.write(&db, &["default"], &mut rng, false);
    let before = db.latest_sequence();
    let c = db.create_keyspace("c").unwrap();
    h.write(&db, &["default", "c"], &mut rng, false);
    h.write(&db, &["c"], &mut rng, false);
    let alive = db.latest_sequence();
    db.drop_keyspace(&c).unwrap();
    h.state.remove("c");
    h.write(&db, &["default"], &mut rng, false);
    let after = db.latest_sequence();
    let mut n = 0;
    let got = restored(&fs, &db, RestorePoint::Sequence(before), &mut n);
    assert!(!got.contains_key("c"), "not yet created at {before}");
    let got = restored(&fs, &db, RestorePoint::Sequence(alive), &mut n);
    assert_eq!(got.get("c"), h.at_sequence(alive).get("c"));
    assert!(!got["c"].is_empty());
    let got = restored(&fs, &db, RestorePoint::Sequence(after), &mut n);
    assert!(!got.contains_key("c"), "dropped by {after}");
    same(&got, &h.state, "after the drop");
}

#[test]
fn the_archive_survives_reopens_and_power_loss() {
    let fs = MemFs::new();
    let mut rng = Rng::new(99);
    let mut db = Db::open(DIR, options(&fs)).unwrap();
    db.create_keyspace("a").unwrap();
    db.take_archive_base().unwrap();
    let mut h = History::new(&db);
    let mut synced = 1;
    let mut n = 0;
    for round in 0..4 {
        for i in 0..150 {
            let sync = i % 10 == 9;
            h.write(&db, &["default", "a"], &mut rng, sync);
            if sync {
                synced = h.points.len();
            }
        }
        if round == 1 {
            db.take_archive_base().unwrap();
        }
        // Power loss: the writes after the last synced one may go (and the archive's renames
        // and journal records not synced yet).
        drop(db);
        fs.crash_drop_unsynced();
        h.points.truncate(synced);
        h.state = h.points.last().unwrap().2.clone();
        db = Db::open(DIR, options(&fs)).unwrap();
        assert_eq!(db.latest_sequence(), h.points.last().unwrap().0, "round {round}");
        for _ in 0..6 {
            let (s, _, want) = h.points[rng.index(h.points.len())].clone();
            let got = restored(&fs, &db, RestorePoint::Sequence(s), &mut n);
            same(&got, &want, &format!("round {round}, sequence {s}"));
        }
        // Restores made before the crash are whole databases too.
        let got = restored(&fs, &db, RestorePoint::Latest, &mut n);
        same(&got, &h.state, &format!("round {round}, latest"));
    }
}

#[test]
fn retention_and_the_size_bound_shrink_the_window_and_older_points_are_refused() {
    let fs = MemFs::new();
    let db = Db::open(DIR, options(&fs)).unwrap();
    let mut h = History::new(&db);
    let mut rng = Rng::new(3);
    assert!(matches!(
        db.restore_to(RestorePoint::Latest, "/r0", plain(&fs)),
        Err(Error::NotFound(m)) if m.contains("no base")
    ));
    db.take_archive_base().unwrap();
    for _ in 0..300 {
        h.write(&db, &["default"], &mut rng, false);
    }
    let early = h.points[10].0;
    clock().advance(5);
    db.take_archive_base().unwrap();
    for _ in 0..300 {
        h.write(&db, &["default"], &mut rng, false);
    }
    let before = db.archive_stats().unwrap();
    assert_eq!(before.bases, 2);
    // A window of 1 ms: only the newest base (at or before its start) and the log after it stay.
    clock().advance(5);
    db.set_archive_retention(Duration::from_millis(1)).unwrap();
    db.maintain_archive().unwrap();
    let after = db.archive_stats().unwrap();
    assert_eq!(after.bases, 1, "{after:?}");
    assert!(after.files < before.files, "{before:?} -> {after:?}");
    assert!(after.removed > 0);
    assert!(after.earliest_restorable_ms > before.earliest_restorable_ms);
    let refused = db.restore_to(RestorePoint::Sequence(early), "/r1", plain(&fs));
    assert!(matches!(&refused, Err(Error::NotFound(m)) if m.contains("window")), "{refused:?}");
    assert!(
        !FileSystem::exists(&fs, Path::new("/r1")).unwrap(),
        "a refused restore leaves nothing"
    );
    let mut n = 10;
    let got = restored(&fs, &db, RestorePoint::Latest, &mut n);
    same(&got, &h.state, "latest after retention");
    // The size bound: every archived file goes; the base then has no log after it, so a new
    // one is taken at once.
    drop(db);
    let tight = Options {
        wal_archive: Some(WalArchiveOptions {
            archive_bytes_max: 0,
            ..options(&fs).wal_archive.unwrap()
        }),
        ..options(&fs)
    };
    let db = Db::open(DIR, tight).unwrap();
    for _ in 0..300 {
        h.write(&db, &["default"], &mut rng, false);
    }
    db.maintain_archive().unwrap();
    let s = db.archive_stats().unwrap();
    // Every file went; the base then taken (the old one had no log after it left) flushed,
    // which may have archived one more.
    assert!(s.files <= 1, "{s:?}");
    assert!(s.removed > 0 && s.bases >= 1, "{s:?}");
    let got = restored(&fs, &db, RestorePoint::Latest, &mut n);
    same(&got, &h.state, "latest after the size bound");
}

#[test]
fn an_unfinished_restore_cannot_be_opened_and_misuse_is_refused_by_name() {
    let fs = MemFs::new();
    let db = Db::open(DIR, plain(&fs)).unwrap();
    let e = db.restore_to(RestorePoint::Latest, "/r", plain(&fs)).unwrap_err();
    assert!(matches!(&e, Error::InvalidArgument(m) if m.contains("wal_archive")), "{e:?}");
    assert!(db.take_archive_base().is_err());
    assert!(db.set_archive_retention(Duration::from_secs(1)).is_err());
    assert!(db.archive_stats().is_none());
    drop(db);

    let db = Db::open(DIR, options(&fs)).unwrap();
    db.take_archive_base().unwrap();
    db.put(&db.default_keyspace(), b"k", b"v").unwrap();
    db.restore_to(RestorePoint::Latest, "/done", plain(&fs)).unwrap();
    let e = db.restore_to(RestorePoint::Latest, "/done", plain(&fs)).unwrap_err();
    assert!(matches!(e, Error::AlreadyExists(_)), "{e:?}");
    // A restore cut short by a crash leaves its marker: the folder does not open.
    db.restore_to(RestorePoint::Latest, "/cut", plain(&fs)).unwrap();
    fs.set_file_bytes(Path::new("/cut/RESTORING"), b"restore in progress\n").unwrap();
    let e = Db::open("/cut", plain(&fs)).unwrap_err();
    assert!(e.to_string().contains("RESTORING"), "{e}");
}

/// Thread `t`'s keys: `t{t}/last` holds its last write's number, `t{t}/k{i % 40}` write `i`.
fn thread_state(t: usize, upto: u64) -> BTreeMap<Vec<u8>, Vec<u8>> {
    let mut m = BTreeMap::new();
    for i in 1..=upto {
        m.insert(format!("t{t}/k{:02}", i % 40).into_bytes(), i.to_string().into_bytes());
    }
    if upto > 0 {
        m.insert(format!("t{t}/last").into_bytes(), upto.to_string().into_bytes());
    }
    m
}

/// For each thread, the number of its writes `state` holds; panics unless the state is exactly
/// some prefix of each thread's writes (no batch split, none missing before a later one).
fn prefixes(state: &State, threads: usize) -> Vec<u64> {
    let empty = BTreeMap::new();
    let all = state.get("default").unwrap_or(&empty);
    (0..threads)
        .map(|t| {
            let prefix = format!("t{t}/");
            let mine: BTreeMap<Vec<u8>, Vec<u8>> = all
                .iter()
                .filter(|(k, _)| k.starts_with(prefix.as_bytes()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            let last = mine
                .get(format!("t{t}/last").as_bytes())
                .map_or(0, |v| String::from_utf8_lossy(v).parse::<u64>().unwrap());
            assert_eq!(mine, thread_state(t, last), "thread {t}'s keys are not a prefix");
            last
        })
        .collect()
}

#[test]
fn restores_made_while_writers_run_hold_a_prefix_of_every_writer_and_move_forward() {
    const THREADS: usize = 3;
    let fs = MemFs::new();
    let opts = Options {
        background_flush: true,
        clock: Arc::new(shale_engine::SystemClock),
        ..options(&fs)
    };
    let db = Db::open(DIR, opts).unwrap();
    db.take_archive_base().unwrap();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writers: Vec<_> = (0..THREADS)
        .map(|t| {
            let (db, stop) = (db.clone(), Arc::clone(&stop));
            std::thread::spawn(move || {
                let ks = db.default_keyspace();
                let mut i = 0u64;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    i += 1;
                    let mut b = WriteBatch::new();
                    let v = i.to_string();
                    b.put(&ks, format!("t{t}/k{:02}", i % 40).as_bytes(), v.as_bytes());
                    b.put(&ks, format!("t{t}/last").as_bytes(), v.as_bytes());
                    db.write(b, WriteOptions { sync: i.is_multiple_of(16) }).unwrap();
                }
                i
            })
        })
        .collect();
    let mut seen = vec![0u64; THREADS];
    let mut n = 0;
    for round in 0..12 {
        std::thread::sleep(Duration::from_millis(15));
        if round % 4 == 3 {
            db.take_archive_base().unwrap();
        }
        // Alternately the latest state and a sequence chosen now: each later than the last.
        let point = if round % 2 == 0 {
            RestorePoint::Latest
        } else {
            RestorePoint::Sequence(db.latest_sequence())
        };
        let got = prefixes(&restored(&fs, &db, point, &mut n), THREADS);
        for (t, (g, s)) in got.iter().zip(&seen).enumerate() {
            assert!(g >= s, "round {round}: thread {t} went back from {s} to {g}");
        }
        seen = got;
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let written: Vec<u64> = writers.into_iter().map(|w| w.join().unwrap()).collect();
    let got = prefixes(&restored(&fs, &db, RestorePoint::Latest, &mut n), THREADS);
    assert_eq!(got, written, "after the writers stopped, the latest restore holds every write");
    assert!(written.iter().all(|w| *w > 100), "the writers got going: {written:?}");
}

/// The options of the fault test: no archive thread (every file operation happens in the test's
/// order, so that the k-th can be failed), inline flushes, tiny memtables.
fn fault_options(fs: &MemFs) -> Options {
    let mut o = options(fs);
    o.memtable_bytes_max = 16 << 10;
    o.wal_archive = Some(WalArchiveOptions { maintain_interval: None, ..o.wal_archive.unwrap() });
    o
}

/// The faulted phase: open, then synced batches with a base, an upkeep round and a restore
/// among them, until the first error. Returns the points acknowledged (every one durable) and
/// the restore made, if it succeeded, with the point it should equal.
fn faulted_phase(fs: &MemFs, h: &mut History, rng: &mut Rng) -> Option<(String, State)> {
    let Ok(db) = Db::open(DIR, fault_options(fs)) else { return None };
    let mut made = None;
    for i in 0..120 {
        let step = match i {
            40 => db.take_archive_base().map(drop),
            60 => db.maintain_archive(),
            80 => {
                let r = db.restore_to(RestorePoint::Latest, "/during", plain(fs));
                if r.is_ok() {
                    made = Some(("/during".to_string(), h.state.clone()));
                }
                r.map(drop)
            }
            _ => {
                let mut batch = WriteBatch::new();
                let ks = db.keyspace(if i % 3 == 0 { "a" } else { "default" }).unwrap();
                let key = format!("k{:03}", rng.below(100)).into_bytes();
                let v = format!("{i}-{:x}", rng.next_u64()).into_bytes();
                batch.put(&ks, &key, &v);
                let r = db.write(batch, WriteOptions::SYNC);
                if r.is_ok() {
                    let name = if i % 3 == 0 { "a" } else { "default" };
                    h.state.entry(name.to_string()).or_default().insert(key, v);
                    // (No read of the log here: it would meet the fault.)
                    h.points.push((db.latest_sequence(), 0, h.state.clone()));
                }
                r
            }
        };
        if step.is_err() {
            break;
        }
    }
    made
}

#[test]
fn an_io_error_at_any_operation_then_power_loss_loses_no_restorable_point() {
    // The setup: a keyspace and a base (the clock stands still: every run is the same).
    let setup = || {
        let fs = MemFs::new();
        let db = Db::open(DIR, fault_options(&fs)).unwrap();
        db.create_keyspace("a").unwrap();
        db.take_archive_base().unwrap();
        let h = History::new(&db);
        db.close().unwrap();
        (fs, h)
    };
    const SEED: u64 = 0xfa17;
    // Count the faulted phase's operations without a fault.
    let (probe, mut h) = setup();
    let before = probe.op_count();
    faulted_phase(&probe, &mut h, &mut Rng::new(SEED));
    let ops = probe.op_count() - before;
    assert!(ops > 200, "the phase does real work: {ops} operations");
    // How many points each run acknowledged before its fault: from none to nearly all.
    let mut hit_after = Vec::new();
    for k in 0..ops {
        for mode in [FaultMode::Once, FaultMode::Permanent] {
            let (fs, mut h) = setup();
            let what = format!("{mode:?} fault at operation {k} of {ops}");
            let mut r = Rng::new(SEED);
            fs.fail_after(k, mode);
            let made = faulted_phase(&fs, &mut h, &mut r);
            assert!(fs.faults_hit() > 0, "{what}: the fault struck");
            hit_after.push(h.points.len());
            fs.clear_faults();
            fs.crash_drop_unsynced();
            let db = Db::open(DIR, fault_options(&fs)).unwrap_or_else(|e| panic!("{what}: {e}"));
            let last = h.points.last().unwrap().0;
            assert_eq!(db.latest_sequence(), last, "{what}: every acknowledged write is there");
            let mut n = 0;
            for i in [0, h.points.len() / 2, h.points.len() - 1] {
                let (s, _, want) = &h.points[i];
                let got = restored(&fs, &db, RestorePoint::Sequence(*s), &mut n);
                same(&got, want, &format!("{what}: sequence {s}"));
            }
            // The restore made during the phase is whole, or refused by name.
            let opened = Db::open("/during", Options { create_if_missing: false, ..plain(&fs) });
            match (made, opened) {
                (Some((_, want)), Ok(copy)) => same(&contents(&copy), &want, &what),
                (None, Err(_)) => {}
                (Some(_), Err(e)) => panic!("{what}: a finished restore does not open: {e}"),
                // It finished, but the fault struck before its caller heard.
                (None, Ok(copy)) => drop(copy),
            }
        }
    }
    let (least, most) = (hit_after.iter().min().unwrap(), hit_after.iter().max().unwrap());
    eprintln!(
        "{} runs over {ops} operations; points acknowledged {least}..={most}",
        hit_after.len()
    );
    assert!(*least <= 2 && *most >= 100, "faults struck all along: {least}..={most}");
}

#[test]
fn a_window_of_zero_keeps_nothing_until_it_opens() {
    let fs = MemFs::new();
    let mut o = options(&fs);
    o.wal_archive = Some(WalArchiveOptions { retention: Duration::ZERO, ..o.wal_archive.unwrap() });
    let db = Db::open(DIR, o).unwrap();
    let mut h = History::new(&db);
    let mut rng = Rng::new(5);
    for _ in 0..300 {
        h.write(&db, &["default"], &mut rng, false);
    }
    db.maintain_archive().unwrap();
    let s = db.archive_stats().unwrap();
    assert_eq!((s.files, s.bases, s.earliest_restorable_ms), (0, 0, None), "{s:?}");
    // Opened: the next round takes a base, and from then on the log is kept.
    db.set_archive_retention(Duration::from_secs(3600)).unwrap();
    db.maintain_archive().unwrap();
    for _ in 0..300 {
        h.write(&db, &["default"], &mut rng, false);
    }
    let s = db.archive_stats().unwrap();
    assert!(s.bases == 1 && s.files > 0, "{s:?}");
    let mut n = 0;
    let got = restored(&fs, &db, RestorePoint::Latest, &mut n);
    same(&got, &h.state, "latest");
    // Closed again: everything goes at the next round.
    db.set_archive_retention(Duration::ZERO).unwrap();
    db.maintain_archive().unwrap();
    let s = db.archive_stats().unwrap();
    assert_eq!((s.files, s.bases), (0, 0), "{s:?}");
}

#[test]
fn a_window_set_outlives_the_options_of_the_next_open() {
    let fs = MemFs::new();
    let dormant = || {
        let mut o = options(&fs);
        o.wal_archive =
            Some(WalArchiveOptions { retention: Duration::ZERO, ..o.wal_archive.unwrap() });
        o
    };
    let db = Db::open(DIR, dormant()).unwrap();
    db.set_archive_retention(Duration::from_secs(3600)).unwrap();
    db.maintain_archive().unwrap();
    let mut h = History::new(&db);
    let mut rng = Rng::new(11);
    for _ in 0..300 {
        h.write(&db, &["default"], &mut rng, true);
    }
    drop(db);
    // Reopened with options that say 0: the window set before holds, the WAL files recovery
    // replays are archived, and everything is still restorable.
    let db = Db::open(DIR, dormant()).unwrap();
    db.maintain_archive().unwrap();
    let s = db.archive_stats().unwrap();
    assert_eq!(s.retention_ms, 3_600_000, "{s:?}");
    let mut n = 0;
    for i in [1, h.points.len() / 2, h.points.len() - 1] {
        let (seq, _, want) = &h.points[i];
        let got = restored(&fs, &db, RestorePoint::Sequence(*seq), &mut n);
        same(&got, want, &format!("sequence {seq} after the reopen"));
    }
}
