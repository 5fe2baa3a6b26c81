//! Log tailing (`Db::updates_since`) against a model of the write log: every batch written,
//! with its sequence numbers. Asked for any sequence, the engine answers exactly the model's
//! batches from the one holding it on, or `NotFound` when a flush (or a reopen, which flushes
//! what it replays) has removed the WAL holding it; while a writer goes on; without dropped
//! keyspaces' entries.

mod common;

use common::Rng;
use shale_engine::fs::MemFs;
use shale_engine::{Db, Error, LoggedBatch, LoggedEntry, Options, WriteBatch, WriteOptions};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

fn open(fs: &MemFs, memtable_bytes_max: usize) -> Db {
    let opts = Options { fs: Arc::new(fs.clone()), memtable_bytes_max, ..Options::default() };
    Db::open("/tail", opts).unwrap()
}

/// Writes `n` random batches over keyspaces `names` and returns them as the log holds them.
fn write_batches(db: &Db, names: &[&str], n: usize, rng: &mut Rng) -> Vec<LoggedBatch> {
    let mut log = Vec::new();
    for _ in 0..n {
        let mut batch = WriteBatch::new();
        let mut entries = Vec::new();
        for _ in 0..=rng.below(4) {
            let name = names[rng.below(names.len() as u64) as usize];
            let ks = db.keyspace(name).unwrap();
            let key = format!("k{:04}", rng.below(300)).into_bytes();
            let value = if rng.below(5) == 0 {
                batch.delete(&ks, &key);
                None
            } else {
                let v = vec![b'v'; 1 + rng.below(200) as usize];
                batch.put(&ks, &key, &v);
                Some(v)
            };
            entries.push(LoggedEntry { keyspace: name.to_string(), key, value });
        }
        let count = entries.len() as u64;
        db.write(batch, WriteOptions::default()).unwrap();
        let sequence = db.latest_sequence() + 1 - count;
        log.push(LoggedBatch { sequence, count: count as u32, commit_time_ms: None, entries });
    }
    log
}

/// The batches as the model knows them: commit times (checked present and never decreasing)
/// taken off.
fn untimed(batches: Vec<LoggedBatch>) -> Vec<LoggedBatch> {
    let mut last = 0;
    batches
        .into_iter()
        .map(|mut b| {
            let t = b.commit_time_ms.take().expect("every batch carries its commit time");
            assert!(t >= last, "commit times never decrease: {t} after {last}");
            last = t;
            b
        })
        .collect()
}

/// The model's answer from `from`: every batch whose last sequence is at least `from`.
fn expected(log: &[LoggedBatch], from: u64) -> Vec<LoggedBatch> {
    log.iter().filter(|b| b.sequence + b.entries.len() as u64 > from).cloned().collect()
}

#[test]
fn every_sequence_still_in_the_wal_answers_the_model_batches_from_it_on() {
    let fs = MemFs::new();
    // A large memtable: nothing is flushed, the WAL holds everything.
    let db = open(&fs, 64 << 20);
    db.create_keyspace("a").unwrap();
    let mut rng = Rng::new(0x9e37_79b9_7f4a_7c15);
    let log = write_batches(&db, &["default", "a"], 400, &mut rng);
    let last = db.latest_sequence();
    for from in (0..=last + 1).step_by(7).chain([1, last, last + 1]) {
        let got: Vec<LoggedBatch> = db.updates_since(from).unwrap().map(Result::unwrap).collect();
        assert_eq!(untimed(got), expected(&log, from), "from {from}");
    }
    // A reopen flushes what it replays and removes the old WAL: those sequences are refused,
    // and later writes are tailed from the new WAL.
    drop(db);
    let db = open(&fs, 64 << 20);
    assert!(matches!(db.updates_since(1), Err(Error::NotFound(_))));
    let more = write_batches(&db, &["default", "a"], 50, &mut rng);
    let got: Vec<LoggedBatch> = db.updates_since(last + 1).unwrap().map(Result::unwrap).collect();
    assert_eq!(untimed(got), more);
}

#[test]
fn a_flush_removes_the_old_wal_and_its_sequences_are_then_refused() {
    let fs = MemFs::new();
    // A small memtable: writes rotate and flush, and old WAL files go.
    let db = open(&fs, 64 << 10);
    let mut rng = Rng::new(7);
    let log = write_batches(&db, &["default"], 3000, &mut rng);
    db.wait_for_background_work().unwrap();
    let last = db.latest_sequence();
    let mut refused = 0;
    let mut answered = 0;
    for from in (1..=last).step_by(13).chain([last]) {
        match db.updates_since(from) {
            Ok(it) => {
                let got: Vec<LoggedBatch> = it.map(Result::unwrap).collect();
                assert_eq!(untimed(got), expected(&log, from), "from {from}");
                answered += 1;
            }
            Err(Error::NotFound(m)) => {
                assert!(m.contains(&format!("sequence {from}")), "{m}");
                refused += 1;
            }
            Err(e) => panic!("from {from}: {e}"),
        }
    }
    assert!(refused > 0 && answered > 0, "{refused} refused, {answered} answered");
    // Nothing written yet past the end: an empty answer, not a refusal.
    assert_eq!(db.updates_since(last + 1).unwrap().count(), 0);
}

#[test]
fn a_dropped_keyspace_entries_are_left_out() {
    let fs = MemFs::new();
    let db = open(&fs, 64 << 20);
    let gone = db.create_keyspace("gone").unwrap();
    let kept = db.default_keyspace();
    let mut batch = WriteBatch::new();
    batch.put(&gone, b"x", b"1");
    batch.put(&kept, b"y", b"2");
    db.write(batch, WriteOptions::default()).unwrap();
    db.drop_keyspace(&gone).unwrap();
    let got: Vec<LoggedBatch> = db.updates_since(0).unwrap().map(Result::unwrap).collect();
    let want =
        LoggedEntry { keyspace: "default".into(), key: b"y".to_vec(), value: Some(b"2".to_vec()) };
    let want = LoggedBatch { sequence: 1, count: 2, commit_time_ms: None, entries: vec![want] };
    assert_eq!(untimed(got), vec![want]);
}

#[test]
fn tailing_while_a_writer_goes_on_sees_a_contiguous_prefix() {
    let fs = MemFs::new();
    let db = Arc::new(open(&fs, 64 << 20));
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (db, stop) = (Arc::clone(&db), Arc::clone(&stop));
        std::thread::spawn(move || {
            let ks = db.default_keyspace();
            let mut i = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let mut batch = WriteBatch::new();
                batch.put(&ks, format!("k{i}").as_bytes(), &i.to_le_bytes());
                batch.put(&ks, b"last", &i.to_le_bytes());
                db.write(batch, WriteOptions::default()).unwrap();
                i += 1;
            }
        })
    };
    for _ in 0..50 {
        let before = db.latest_sequence();
        let got: Vec<LoggedBatch> = db.updates_since(1).unwrap().map(Result::unwrap).collect();
        // Every batch in order, none missing, each the writer's (two entries, same number).
        for (n, b) in got.iter().enumerate() {
            assert_eq!(b.sequence, 1 + 2 * n as u64);
            let i = (n as u64).to_le_bytes().to_vec();
            assert_eq!(b.entries[0].key, format!("k{n}").into_bytes());
            assert_eq!(
                (b.entries[0].value.as_ref(), b.entries[1].value.as_ref()),
                (Some(&i), Some(&i))
            );
        }
        assert!(got.len() as u64 * 2 >= before, "at least what was visible before the call");
    }
    stop.store(true, Ordering::Relaxed);
    writer.join().unwrap();
}
