//! Recovery from damaged logs: torn WAL tails at every offset of the last record, flipped bytes in
//! the middle of a WAL (newest and older files), point-in-time salvage, zero-filled tails, and a
//! damaged `CURRENT` or MANIFEST, and a point-in-time salvage interrupted by a power loss.
//!
//! Each case builds a database, copies its files, damages the copy with `set_file_bytes` and
//! opens it. Every test runs on every backend (one body, see `common/backend.rs`): as
//! `<test>::mem` on the in-memory `MemFs`, and as `<test>::pread`, `<test>::uring` and
//! `<test>::uring_direct` on real files (`OsFs`, `UringFs`; the last with `O_DIRECT` tables)
//! under the fault-injecting `FaultFs`. The `uring` tests pass with a
//! note where io_uring cannot be set up, except under CI. On the real backends the torn-tail
//! tests try every fourth cut ([`DISK_CUT_STRIDE`]).
//!
//! Every open replays the WAL files, flushes what it recovered to L0 tables, writes a new
//! manifest and only then removes the replayed WAL files: a recovered WAL is never cut or
//! appended to. So where these tests once checked that a torn tail was cut off, they check that
//! the damaged WAL is gone after the open, that what was recovered is in the tables (a reopen,
//! which finds an empty WAL, still has it), and that later writes and opens work. Older WAL files
//! holding data come from [`build_two_wals`].

mod common;
use common::backend::{backend_tests, Backend, TestFs};
use common::OnPanic;
use common::Rng;
use shale_engine::batch::BatchEntries;
use shale_engine::filename::{self, FileKind};
use shale_engine::fs::{BytesFile, FaultMode};
use shale_engine::wal::{LogEvent, LogReader, BLOCK_LEN, HEADER_LEN};
use shale_engine::{Db, Error, IterOptions, Options, WalRecoveryMode, WriteBatch, WriteOptions};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

const DIR: &str = "db";
/// On the real backends the torn-tail tests try every this-many-th cut.
const DISK_CUT_STRIDE: usize = 4;

backend_tests!(
    torn_tail_of_a_multi_block_record,
    torn_tail_of_a_small_record,
    torn_tail_at_an_empty_first_fragment,
    flipped_byte_in_a_middle_record_is_corruption,
    flipped_bytes_across_the_newest_wal,
    length_flip_in_the_last_block_is_corruption_not_a_torn_tail,
    flipped_byte_in_an_older_wal_is_corruption,
    point_in_time_salvages_up_to_a_corrupt_record,
    point_in_time_in_an_older_wal_drops_later_files,
    interrupted_point_in_time_salvage,
    point_in_time_salvage_behind_a_flushed_keyspace_keeps_a_prefix,
    zero_filled_tail_opens_with_all_data,
    manifest_round_trip,
    current_naming_a_missing_manifest_is_an_error,
    garbage_current_is_corruption,
    oversized_current_is_corruption,
    flipped_byte_in_the_manifest,
    manifest_length_flip_is_corruption_not_a_torn_tail,
);

fn options(fs: &TestFs, mode: WalRecoveryMode) -> Options {
    // Inline flushes: every file operation in a reproducible order (the salvage test counts them).
    Options { wal_recovery_mode: mode, background_flush: false, ..fs.options() }
}

fn try_open(fs: &TestFs, mode: WalRecoveryMode) -> shale_engine::Result<Db> {
    Db::open(DIR, options(fs, mode))
}

fn open(fs: &TestFs) -> Db {
    match try_open(fs, WalRecoveryMode::default()) {
        Ok(db) => db,
        Err(e) => panic!("open failed: {e}"),
    }
}

/// The files of the database directory: name -> bytes.
type Files = BTreeMap<String, Vec<u8>>;

fn files_of(fs: &TestFs) -> Files {
    fs.list(Path::new(DIR))
        .unwrap()
        .into_iter()
        .filter(|n| n != filename::LOCK)
        .map(|n| {
            let bytes = fs.file_bytes(Path::new(DIR).join(&n)).unwrap();
            (n, bytes)
        })
        .collect()
}

/// A fresh file system holding `files` (all durable).
fn restore(backend: Backend, files: &Files) -> TestFs {
    let fs = backend.fs();
    fs.create_dir_all(Path::new(DIR)).unwrap();
    for (name, bytes) in files {
        fs.set_file_bytes(Path::new(DIR).join(name), bytes).unwrap();
    }
    fs
}

/// `files` with `name` replaced by `bytes`.
fn with_file(files: &Files, name: &str, bytes: Vec<u8>) -> Files {
    let mut f = files.clone();
    f.insert(name.to_owned(), bytes);
    f
}

/// WAL file names, oldest first.
fn wal_names(files: &Files) -> Vec<String> {
    let mut wals: Vec<(u64, String)> = files
        .keys()
        .filter_map(|n| match filename::parse(n) {
            Some(FileKind::Wal(num)) => Some((num, n.clone())),
            _ => None,
        })
        .collect();
    wals.sort();
    wals.into_iter().map(|(_, n)| n).collect()
}

/// The newest WAL file that holds bytes.
fn newest_wal(files: &Files) -> String {
    wal_names(files).into_iter().rev().find(|n| !files[n].is_empty()).expect("a non-empty WAL")
}

fn manifest_name(files: &Files) -> String {
    let current = std::str::from_utf8(&files[filename::CURRENT]).unwrap();
    current.trim_end().to_owned()
}

/// A record of a log: `[offset, end)`.
#[derive(Debug, Clone, Copy)]
struct Rec {
    offset: usize,
    end: usize,
}

/// The records of an intact log, read with the engine's own reader (which must end cleanly).
fn records(bytes: &[u8]) -> Vec<Rec> {
    let mut reader = LogReader::new(Arc::new(BytesFile::new(bytes.to_vec())), usize::MAX);
    let mut out = Vec::new();
    loop {
        match reader.read_record().unwrap() {
            // Commit-time markers (empty timed batches, `docs/format/wal.md`) hold no write.
            LogEvent::Record { payload, .. } if is_marker(payload) => {}
            LogEvent::Record { offset, end, .. } => {
                out.push(Rec { offset: offset as usize, end: end as usize })
            }
            LogEvent::End { offset } => {
                assert_eq!(offset as usize, bytes.len(), "log ends with zeros");
                return out;
            }
            other => panic!("the intact log reads as {other:?}"),
        }
    }
}

/// A WAL commit-time marker: a batch without entries that carries a commit time.
fn is_marker(payload: &[u8]) -> bool {
    let e = BatchEntries::new(payload, usize::MAX, usize::MAX);
    e.is_ok_and(|e| e.entry_count() == 0 && e.commit_time().is_some())
}

/// A fragment of an intact log: header start and payload end.
#[derive(Debug, Clone, Copy)]
struct Frag {
    start: usize,
    end: usize,
}

/// The fragments of an intact log, by walking its headers.
fn fragments(bytes: &[u8]) -> Vec<Frag> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < bytes.len() {
        let left_in_block = BLOCK_LEN - pos % BLOCK_LEN;
        if left_in_block < HEADER_LEN {
            pos += left_in_block; // trailer
            continue;
        }
        let len = usize::from(u16::from_le_bytes([bytes[pos + 4], bytes[pos + 5]]));
        let end = pos + HEADER_LEN + len;
        out.push(Frag { start: pos, end });
        pos = end;
    }
    assert_eq!(pos, bytes.len());
    out
}

fn key(i: usize) -> Vec<u8> {
    format!("key-{i:03}").into_bytes()
}

/// Builds a database holding `values[i]` under `key(i)`, one put per record, in one session: its
/// one WAL file holds every record (no table). Every fourth put syncs.
fn build(backend: Backend, values: &[Vec<u8>]) -> Files {
    let fs = backend.fs();
    let db = open(&fs);
    let ks = db.default_keyspace();
    for (i, v) in values.iter().enumerate() {
        db.put_with(&ks, &key(i), v, WriteOptions { sync: i % 4 == 3 }).unwrap();
    }
    db.close().unwrap();
    files_of(&fs)
}

/// A database whose records `0..split` are only in an OLDER WAL file and records `split..` only in
/// a newer one; see [`build_two_wals`].
struct TwoWals {
    files: Files,
    older: String,
    newer: String,
    /// The table of the interrupted flush, which the manifest does not name.
    orphan: String,
}

/// The state a power loss leaves when it strikes during the flush of the memtable that holds
/// records `0..split`: the WAL was switched (the older WAL synced, records `split..` written to
/// the newer one and synced), the table was written and synced, but the flush's manifest edit was
/// not. The next open must replay both WAL files and ignore (and remove) the unnamed table.
///
/// Built deterministically with inline flushes: the files just before `db.flush()` (the older
/// WAL complete, the manifest without the flush's edit), plus the newer WAL and the table as they
/// are at the end of the session.
fn build_two_wals(backend: Backend, values: &[Vec<u8>], split: usize) -> TwoWals {
    let fs = backend.fs();
    let db = open(&fs);
    let ks = db.default_keyspace();
    let put = |i: usize| {
        db.put_with(&ks, &key(i), &values[i], WriteOptions { sync: i % 4 == 3 }).unwrap();
    };
    (0..split).for_each(put);
    db.sync_wal().unwrap();
    let before = files_of(&fs);
    db.flush().unwrap();
    (split..values.len()).for_each(put);
    db.close().unwrap();
    let after = files_of(&fs);

    let manifest = manifest_name(&before);
    assert_eq!(manifest_name(&after), manifest, "one session, one manifest");
    assert!(
        after[&manifest].len() > before[&manifest].len()
            && after[&manifest].starts_with(&before[&manifest]),
        "the flush appended an edit to the manifest"
    );
    let older = match &wal_names(&before)[..] {
        [w] => w.clone(),
        other => panic!("WAL files before the flush: {other:?}"),
    };
    let newer = match &wal_names(&after)[..] {
        [w] => w.clone(),
        other => panic!("WAL files after the flush: {other:?}"),
    };
    assert!(!after.contains_key(&older), "the flush removed the older WAL");
    let tables: Vec<&String> =
        after.keys().filter(|n| matches!(filename::parse(n), Some(FileKind::Table(_)))).collect();
    let orphan = match &tables[..] {
        [t] => (*t).clone(),
        other => panic!("tables after the flush: {other:?}"),
    };
    assert!(before.keys().all(|n| !matches!(filename::parse(n), Some(FileKind::Table(_)))));
    let mut files = before;
    files.insert(newer.clone(), after[&newer].clone());
    files.insert(orphan.clone(), after[&orphan].clone());
    assert_eq!(records(&files[&older]).len(), split);
    assert_eq!(records(&files[&newer]).len(), values.len() - split);
    TwoWals { files, older, newer, orphan }
}

/// After a successful open: the directory holds only the new manifest, the tables it names, and
/// one WAL, which is new (none of `replayed`) and empty; the tables hold `entries` entries.
fn check_flushed(fs: &TestFs, replayed: &[&String], entries: u64, what: &str) {
    let wals = match common::check_db_files(&**fs, Path::new(DIR)) {
        Ok(w) => w,
        Err(e) => panic!("{what}: {e}"),
    };
    let [wal] = &wals[..] else { panic!("{what}: WAL files {wals:?} after the open") };
    assert!(!replayed.contains(&wal), "{what}: replayed WAL {wal} was kept");
    assert_eq!(fs.file_bytes(Path::new(DIR).join(wal)).unwrap().len(), 0, "{what}: new WAL");
    let (_, state) = common::read_manifest(&**fs, Path::new(DIR)).unwrap();
    let in_tables: u64 =
        state.files.values().flat_map(|levels| levels.iter().flatten()).map(|f| f.entries).sum();
    assert_eq!(in_tables, entries, "{what}: entries in the tables");
}

/// Values for `n` records: mostly small, with big multi-block ones at `big`.
fn make_values(seed: u64, n: usize, big: &[usize]) -> Vec<Vec<u8>> {
    let mut rng = Rng::new(seed);
    (0..n)
        .map(|i| {
            let len =
                if big.contains(&i) { rng.range(40 << 10, 100 << 10) } else { rng.range(1, 600) };
            rng.bytes(len)
        })
        .collect()
}

/// Checks that `db` holds exactly `key(i)` = `values[i]` for `i` in `present`, and no other key
/// of `values`.
fn check_keys(db: &Db, values: &[Vec<u8>], present: std::ops::Range<usize>, what: &str) {
    let ks = db.default_keyspace();
    for (i, v) in values.iter().enumerate() {
        let got = db.get(&ks, &key(i)).unwrap();
        if present.contains(&i) {
            assert!(got.as_ref() == Some(v), "{what}: record {i} missing or wrong");
        } else {
            assert!(got.is_none(), "{what}: record {i} should be absent");
        }
    }
}

/// Every value `db` holds is one that was written (absent keys allowed); returns the present ones.
fn check_no_wrong_value(db: &Db, values: &[Vec<u8>], what: &str) -> BTreeSet<usize> {
    let ks = db.default_keyspace();
    let mut present = BTreeSet::new();
    for kv in db.iter(&ks, IterOptions::all()).unwrap() {
        let (k, v) = kv.unwrap();
        let i = (0..values.len()).find(|&i| key(i) == k);
        let Some(i) = i else { panic!("{what}: unknown key {k:?}") };
        assert!(v == values[i], "{what}: wrong value for record {i}");
        present.insert(i);
    }
    present
}

// ------------------------------------------------------------------------------------------------
// 1. Torn tail at every offset of the last record.
// ------------------------------------------------------------------------------------------------

fn torn_tail_case(backend: Backend, values: &[Vec<u8>]) -> usize {
    let n = values.len();
    let files = build(backend, values);
    let wal = newest_wal(&files);
    let bytes = &files[&wal];
    let recs = records(bytes);
    assert_eq!(recs.len(), n);
    let last = recs[n - 1];
    let prev_end = recs[n - 2].end;
    assert_eq!(last.end, bytes.len());

    // Cut offsets: all of them for a small last record; else every one of the last 200 bytes,
    // every 97th elsewhere, and around every fragment boundary and block boundary of the record.
    let small = last.end - last.offset < 1000;
    let mut cuts: BTreeSet<usize> = (prev_end..last.end)
        .filter(|&o| {
            small
                || o + 200 >= last.end
                || (o - prev_end).is_multiple_of(97)
                || o <= last.offset + 1
        })
        .collect();
    for f in fragments(bytes).iter().filter(|f| f.start >= last.offset) {
        for o in [
            f.start,
            f.start + 1,
            f.start + HEADER_LEN - 1,
            f.start + HEADER_LEN,
            f.end - 1,
            f.end,
            f.end + 1,
        ] {
            cuts.insert(o);
        }
        cuts.extend([f.start.saturating_sub(1), f.start + 4, f.start + 6]);
    }
    let first_block = last.offset / BLOCK_LEN;
    for b in first_block..=last.end / BLOCK_LEN {
        let at = b * BLOCK_LEN;
        cuts.extend([at.saturating_sub(1), at, at + 1]);
    }
    cuts.retain(|&o| o >= prev_end && o < last.end);
    assert!(last.end - last.offset < 1000 || cuts.len() > 500);

    let mut tested = 0;
    // The real backends try every DISK_CUT_STRIDE-th cut (each is several opens with fsyncs).
    let stride = if backend.is_disk() { DISK_CUT_STRIDE } else { 1 };
    for &cut in cuts.iter().step_by(stride) {
        let _guard = OnPanic(format!("cut at {cut} (last record {last:?}, {} bytes)", bytes.len()));
        let cut_files = with_file(&files, &wal, bytes[..cut].to_vec());

        // Default mode: the torn record is dropped, nothing else is lost; the open flushed the
        // other records to tables and removed the torn WAL.
        let fs = restore(backend, &cut_files);
        let db = open(&fs);
        check_keys(&db, values, 0..n - 1, "first open");
        assert_eq!(db.latest_sequence(), (n - 1) as u64);
        check_flushed(&fs, &[&wal], (n - 1) as u64, "first open");
        // Reopening (the data is only in the tables now) and writing again work.
        drop(db);
        let db = open(&fs);
        check_keys(&db, values, 0..n - 1, "second open");
        assert_eq!(db.latest_sequence(), (n - 1) as u64, "second open");
        {
            let ks = db.default_keyspace();
            db.put_with(&ks, b"new", b"write", WriteOptions::SYNC).unwrap();
            drop(db);
            let db = open(&fs);
            check_keys(&db, values, 0..n - 1, "third open");
            assert_eq!(
                db.get(&db.default_keyspace(), b"new").unwrap().as_deref(),
                Some(&b"write"[..])
            );
            assert_eq!(db.latest_sequence(), n as u64);
        }

        // AbsoluteConsistency: any torn tail is corruption; a cut that leaves only the previous
        // record and zeros (a block trailer) is a clean end.
        let fs = restore(backend, &cut_files);
        let clean = bytes[prev_end..cut].iter().all(|&b| b == 0);
        match try_open(&fs, WalRecoveryMode::AbsoluteConsistency) {
            Ok(db) if clean => check_keys(&db, values, 0..n - 1, "AbsoluteConsistency"),
            Ok(_) => panic!("AbsoluteConsistency accepted a torn tail"),
            Err(Error::Corruption(_)) if !clean => {}
            Err(e) => panic!("AbsoluteConsistency: unexpected {e} (clean cut: {clean})"),
        }
        tested += 1;
    }
    tested
}

fn torn_tail_of_a_multi_block_record(backend: Backend) {
    // Records 4 and 11 and the last one span several 32 KiB blocks.
    let mut values = make_values(1, 20, &[4, 11]);
    values[19] = Rng::new(19).bytes(100 << 10); // FIRST, two MIDDLE and a LAST fragment
    assert!(values[19].len() > 3 * BLOCK_LEN);
    let tested = torn_tail_case(backend, &values);
    println!("{tested} cuts");
    assert!(tested * DISK_CUT_STRIDE > 1000, "{tested}");
}

fn torn_tail_of_a_small_record(backend: Backend) {
    for seed in 0..3 {
        let _guard = OnPanic(format!("seed {seed}"));
        let values = make_values(100 + seed, 12, &[3]);
        // Every offset of the last record is cut (it is small).
        torn_tail_case(backend, &values);
    }
}

/// A last record whose FIRST fragment is empty: it starts exactly a header's length before a block
/// end, so its header fills the block and its payload is all in the next one.
fn torn_tail_at_an_empty_first_fragment(backend: Backend) {
    let target = BLOCK_LEN - HEADER_LEN;
    let mut values = vec![vec![9u8; 10], vec![5u8; 30_000], vec![6u8; 300]];
    // A commit-time marker lands between two puts when the clock ticks between them: try again.
    for _ in 0..20 {
        let files = build(backend, &values);
        let recs = records(&files[&newest_wal(&files)]);
        if recs[2].offset == target {
            let frags = fragments(&files[&newest_wal(&files)]);
            let frag = frags.iter().find(|f| f.start == target).unwrap();
            assert_eq!(frag.end, BLOCK_LEN, "an empty FIRST fragment");
            torn_tail_case(backend, &values);
            return;
        }
        let len = values[1].len() as isize + target as isize - recs[2].offset as isize;
        values[1] = vec![5u8; len as usize];
    }
    panic!("could not place the last record at {target}");
}

// ------------------------------------------------------------------------------------------------
// 2. Flipped bytes in the middle of the log.
// ------------------------------------------------------------------------------------------------

/// The values of the mid-log tests: record 10 is small and lies in a block before the last one
/// (two big records follow it).
fn mid_log_values() -> Vec<Vec<u8>> {
    let mut values = make_values(7, 20, &[5, 13, 17]);
    values[10] = Rng::new(70).bytes(150);
    values
}

fn flip(bytes: &[u8], at: usize, mask: u8) -> Vec<u8> {
    let mut b = bytes.to_vec();
    b[at] ^= mask;
    b
}

fn flipped_byte_in_a_middle_record_is_corruption(backend: Backend) {
    let values = mid_log_values();
    let files = build(backend, &values);
    let wal = newest_wal(&files);
    let bytes = &files[&wal];
    let recs = records(bytes);
    let mid = recs[10];
    assert!(
        mid.end / BLOCK_LEN < (bytes.len() - 1) / BLOCK_LEN,
        "record 10 is not in the last block"
    );
    for at in mid.offset..mid.end {
        for mask in [0x01u8, 0x80] {
            let _guard = OnPanic(format!("flip {mask:#x} at {at} (record {mid:?})"));
            let fs = restore(backend, &with_file(&files, &wal, flip(bytes, at, mask)));
            match try_open(&fs, WalRecoveryMode::default()) {
                Err(Error::Corruption(_)) => {}
                Err(e) => panic!("expected Corruption, got {e}"),
                Ok(db) => {
                    check_no_wrong_value(&db, &values, "open");
                    panic!("a flipped byte in the middle of the log was accepted")
                }
            }
            // And the same with AbsoluteConsistency.
            let fs = restore(backend, &with_file(&files, &wal, flip(bytes, at, mask)));
            assert!(matches!(
                try_open(&fs, WalRecoveryMode::AbsoluteConsistency),
                Err(Error::Corruption(_))
            ));
        }
    }
}

/// Flips across the whole newest WAL. Characterization: every flip is `Corruption`, except one in
/// the length field of a fragment in the file's LAST block that makes the fragment run past the end
/// of the file: the reader cannot tell that from a torn write (the length is not under the crc),
/// so the default mode drops that record and every later one (see
/// `length_flip_in_the_last_block_drops_synced_records` for why that is a bug). Never a wrong
/// value, never a panic.
fn flipped_bytes_across_the_newest_wal(backend: Backend) {
    let values = mid_log_values();
    let files = build(backend, &values);
    let wal = newest_wal(&files);
    let bytes = &files[&wal];
    let recs = records(bytes);
    let frags = fragments(bytes);
    let last_block = (bytes.len() - 1) / BLOCK_LEN;
    let mut offsets: BTreeSet<usize> = (0..bytes.len()).step_by(bytes.len() / 300).collect();
    for f in &frags {
        offsets.extend(f.start..f.start + HEADER_LEN);
        offsets.insert(f.end - 1);
    }
    let mut rng = Rng::new(99);
    offsets.extend((0..100).map(|_| rng.index(bytes.len())));
    let mut accepted = 0;
    for &at in &offsets {
        for mask in [0x01u8, 0x80] {
            let _guard = OnPanic(format!("flip {mask:#x} at {at}"));
            let fs = restore(backend, &with_file(&files, &wal, flip(bytes, at, mask)));
            match try_open(&fs, WalRecoveryMode::default()) {
                Err(Error::Corruption(_)) => {}
                Err(e) => panic!("expected Corruption or success, got {e}"),
                Ok(db) => {
                    let present = check_no_wrong_value(&db, &values, "open");
                    let frag = frags.iter().find(|f| f.start + 4 <= at && at < f.start + 6);
                    let Some(frag) = frag.filter(|f| f.start / BLOCK_LEN == last_block) else {
                        panic!("a flip outside a length field of the last block was accepted");
                    };
                    let r = recs
                        .iter()
                        .position(|r| r.offset <= frag.start && frag.start < r.end)
                        .unwrap();
                    assert_eq!(
                        present,
                        (0..r).collect(),
                        "not exactly the records before the flip"
                    );
                    accepted += 1;
                }
            }
        }
    }
    println!("{} flips, {accepted} accepted as a torn tail", offsets.len() * 2);
}

/// A length byte flipped in a record of the newest WAL's last block, followed by records that were
/// synced: the reader takes it for a torn tail, and the default mode silently drops (irrecoverably,
/// once the open has flushed and removed the WAL) that record and every later one, synced writes
/// included. The documented contract of `TolerateCorruptedTail` is that only a torn tail (a write
/// never acknowledged as durable) is dropped and "any other damage is Corruption".
fn length_flip_in_the_last_block_is_corruption_not_a_torn_tail(backend: Backend) {
    let values: Vec<Vec<u8>> = (0..8).map(|i| vec![b'a' + i as u8; 100]).collect();
    let files = build(backend, &values); // puts 3 and 7 synced: every record is durable
    let wal = newest_wal(&files);
    let bytes = &files[&wal];
    let recs = records(bytes);
    assert!(bytes.len() < BLOCK_LEN);
    let at = recs[2].offset + 5; // high byte of record 2's length: 100 -> 32868, past the end
    let fs = restore(backend, &with_file(&files, &wal, flip(bytes, at, 0x80)));
    match try_open(&fs, WalRecoveryMode::default()) {
        Err(Error::Corruption(_)) => {}
        Err(e) => panic!("expected Corruption, got {e}"),
        Ok(db) => {
            let present = check_no_wrong_value(&db, &values, "open");
            let kept = fs.exists(&Path::new(DIR).join(&wal)).unwrap();
            panic!(
                "a flipped length byte in record 2 of 8 (all synced) was taken for a torn tail: \
                 records {present:?} recovered (the WAL was {}removed by the open)",
                if kept { "not " } else { "" }
            );
        }
    }
}

fn flipped_byte_in_an_older_wal_is_corruption(backend: Backend) {
    let values = make_values(11, 20, &[3]);
    let two = build_two_wals(backend, &values, 10);
    let (files, older) = (&two.files, &two.older);
    // Undamaged, it opens with every record; the open removes both WAL files and the orphan.
    let fs = restore(backend, files);
    let db = open(&fs);
    check_keys(&db, &values, 0..values.len(), "intact open");
    check_flushed(&fs, &[older, &two.newer], values.len() as u64, "intact open");
    assert!(!fs.exists(&Path::new(DIR).join(&two.orphan)).unwrap(), "the orphan table was kept");
    drop(db);

    let bytes = &files[older];
    let frags = fragments(bytes);
    let mut offsets: BTreeSet<usize> = (0..bytes.len()).step_by(53).collect();
    for f in &frags {
        offsets.extend(f.start..f.start + HEADER_LEN);
        offsets.insert(f.end - 1);
    }
    offsets.insert(bytes.len() - 1);
    for &at in &offsets {
        for mask in [0x01u8, 0x80] {
            let _guard = OnPanic(format!("flip {mask:#x} at {at} of {older}"));
            let damaged = with_file(files, older, flip(bytes, at, mask));
            let fs = restore(backend, &damaged);
            match try_open(&fs, WalRecoveryMode::default()) {
                Err(Error::Corruption(_)) => {}
                Err(e) => panic!("expected Corruption, got {e}"),
                Ok(db) => {
                    check_no_wrong_value(&db, &values, "open");
                    panic!("a flipped byte in an older WAL was accepted");
                }
            }
            // A refused open changes nothing: the WAL files are all still there.
            assert!(files_of(&fs) == damaged, "a refused open changed the files");
        }
    }
    // A torn end of an older WAL is corruption too (it cannot come from a crash).
    let cut = with_file(files, older, bytes[..bytes.len() - 3].to_vec());
    assert!(matches!(
        try_open(&restore(backend, &cut), WalRecoveryMode::default()),
        Err(Error::Corruption(_))
    ));
}

// ------------------------------------------------------------------------------------------------
// 3. Point-in-time salvage.
// ------------------------------------------------------------------------------------------------

/// Opens the damaged copy with PointInTime: exactly records `0..keep` survive; then a default
/// reopen works, and new writes work and survive reopens.
fn check_salvage(backend: Backend, files: &Files, values: &[Vec<u8>], keep: usize) {
    let fs = restore(backend, files);
    let db = match try_open(&fs, WalRecoveryMode::PointInTime) {
        Ok(db) => db,
        Err(e) => panic!("PointInTime open failed: {e}"),
    };
    check_keys(&db, values, 0..keep, "PointInTime open");
    assert!(db.latest_sequence() >= keep as u64);
    drop(db);
    let db = match try_open(&fs, WalRecoveryMode::default()) {
        Ok(db) => db,
        Err(e) => panic!("default open after the salvage failed: {e}"),
    };
    check_keys(&db, values, 0..keep, "default open after salvage");
    let ks = db.default_keyspace();
    // Overwrite a salvaged key and write a lost one: the new versions must win.
    db.put_with(&ks, &key(0), b"new-0", WriteOptions::SYNC).unwrap();
    db.put(&ks, &key(values.len() - 1), b"new-last").unwrap();
    db.close().unwrap();
    for mode in [WalRecoveryMode::default(), WalRecoveryMode::AbsoluteConsistency] {
        let db = try_open(&fs, mode).unwrap();
        let ks = db.default_keyspace();
        assert_eq!(db.get(&ks, &key(0)).unwrap().as_deref(), Some(&b"new-0"[..]));
        assert_eq!(db.get(&ks, &key(values.len() - 1)).unwrap().as_deref(), Some(&b"new-last"[..]));
        for (i, v) in values.iter().enumerate().take(values.len() - 1).skip(1) {
            let got = db.get(&ks, &key(i)).unwrap();
            assert_eq!(got.as_ref(), (i < keep).then_some(v), "record {i} after salvage + writes");
        }
    }
}

fn point_in_time_salvages_up_to_a_corrupt_record(backend: Backend) {
    let values = mid_log_values();
    let files = build(backend, &values);
    let wal = newest_wal(&files);
    let bytes = &files[&wal];
    let recs = records(bytes);
    let mid = recs[10];
    // Every header byte, and a spread of payload bytes, of the middle record.
    let offsets: BTreeSet<usize> = (mid.offset..mid.offset + HEADER_LEN)
        .chain((mid.offset..mid.end).step_by(13))
        .chain([mid.end - 1])
        .collect();
    for &at in &offsets {
        let _guard = OnPanic(format!("flip at {at} (record {mid:?})"));
        check_salvage(backend, &with_file(&files, &wal, flip(bytes, at, 0x01)), &values, 10);
    }
    // A corrupt record that spans blocks: a byte of its MIDDLE fragment.
    let big = recs[13];
    let at = (big.offset / BLOCK_LEN + 1) * BLOCK_LEN + 100;
    check_salvage(backend, &with_file(&files, &wal, flip(bytes, at, 0x01)), &values, 13);
}

fn point_in_time_in_an_older_wal_drops_later_files(backend: Backend) {
    let values = make_values(12, 20, &[15]);
    let two = build_two_wals(backend, &values, 10);
    let (files, older) = (&two.files, &two.older);
    let recs = records(&files[older]);
    assert_eq!(recs.len(), 10);
    let damaged =
        with_file(files, older, flip(&files[older], recs[4].offset + HEADER_LEN + 3, 0x80));
    // The default mode refuses it.
    assert!(matches!(
        try_open(&restore(backend, &damaged), WalRecoveryMode::default()),
        Err(Error::Corruption(_))
    ));
    // Exactly records 0..4 survive: not the rest of the older WAL, not the newer WAL, and not the
    // orphan table (which holds records 0..10).
    check_salvage(backend, &damaged, &values, 4);
    // The salvage flushed records 0..4 and removed both WAL files (the damaged one and the later
    // one) and the orphan table.
    let fs = restore(backend, &damaged);
    drop(try_open(&fs, WalRecoveryMode::PointInTime).unwrap());
    check_flushed(&fs, &[older, &two.newer], 4, "salvage");
    assert!(!fs.exists(&Path::new(DIR).join(&two.orphan)).unwrap(), "the orphan table was kept");
}

/// A power loss (after an I/O error) at every operation of a point-in-time salvage that stops in
/// an older WAL and drops the newer one: whatever the next open finds, it must never show the
/// records of the newer WAL (or of the orphan table) without the ones the salvage dropped from the
/// older (a hole in the history). The salvage flushes records `0..4`, writes a new manifest whose
/// log number is past both WAL files, and only then removes them: a crash before the new
/// manifest is durable leaves the damaged state (the default mode refuses it, a salvage redoes
/// it), a crash after leaves both WAL files obsolete.
fn interrupted_point_in_time_salvage(backend: Backend) {
    let values = make_values(21, 20, &[]);
    let two = build_two_wals(backend, &values, 10);
    let (files, older) = (&two.files, &two.older);
    let recs = records(&files[older]);
    let damaged =
        with_file(files, older, flip(&files[older], recs[4].offset + HEADER_LEN + 3, 0x80));
    let fs = restore(backend, &damaged);
    let before = fs.op_count();
    drop(try_open(&fs, WalRecoveryMode::PointInTime).unwrap());
    let ops = fs.op_count() - before;
    let fs = restore(backend, &damaged);
    let before = fs.op_count();
    drop(try_open(&fs, WalRecoveryMode::PointInTime).unwrap());
    assert_eq!(fs.op_count() - before, ops, "the salvage's operations are not reproducible");
    let mut failures = Vec::new();
    let mut refused = 0;
    for k in 0..ops {
        for fault in [FaultMode::Permanent, FaultMode::Once] {
            let fs = restore(backend, &damaged);
            fs.fail_after(k, fault);
            assert!(try_open(&fs, WalRecoveryMode::PointInTime).is_err(), "op {k}: no error");
            fs.clear_faults();
            fs.crash(k);
            for mode in [WalRecoveryMode::default(), WalRecoveryMode::PointInTime] {
                let what = format!("op {k} ({fault:?}): {mode:?} open");
                match try_open(&fs, mode) {
                    Err(Error::Corruption(_)) if mode == WalRecoveryMode::default() => refused += 1,
                    Err(e) => failures.push(format!("{what} failed: {e}")),
                    Ok(db) => {
                        let present = check_no_wrong_value(&db, &values, "open");
                        if present != (0..4).collect() {
                            failures
                                .push(format!("{what} recovered records {present:?}, not 0..4"));
                        }
                        if db.latest_sequence() != 4 {
                            failures
                                .push(format!("{what}: latest_sequence {}", db.latest_sequence()));
                        }
                        if let Err(e) = common::check_db_files(&*fs, Path::new(DIR)) {
                            failures.push(format!("{what}: {e}"));
                        }
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{ops} operations in the salvage: {failures:#?}");
    println!("{ops} operations in the salvage, {refused} default opens refused");
    // Both outcomes happened: crashes before the new manifest was durable, and after.
    assert!(refused > 0 && refused < 2 * ops, "{refused} of {} default opens refused", 2 * ops);
}

/// A salvage that stops in an older WAL file which one keyspace has already flushed past: the
/// default keyspace's memtable filled up and was flushed (its table holds its writes from the
/// older WAL, the manifest records that its writes below the newer WAL are all in tables), while
/// the `other` keyspace still needs the older WAL. A damaged record early in the older WAL stops
/// the replay there, but the table still holds the default keyspace's LATER writes: the open
/// must not show them without the `other` keyspace's writes between the damage and them (a hole
/// in the history, and a cross-keyspace batch split in half). Either the recovered state is the
/// state after a prefix of the writes, or the salvage is refused as `Corruption` (RocksDB's
/// "SST file is ahead of WALs").
fn point_in_time_salvage_behind_a_flushed_keyspace_keeps_a_prefix(backend: Backend) {
    type W = Vec<(&'static str, &'static [u8], Vec<u8>)>;
    let writes: Vec<W> = vec![
        vec![("other", b"b0", b"0".to_vec())],
        vec![("default", b"a0", b"1".to_vec())], // the damaged record
        vec![("default", b"a1", b"2".to_vec())],
        vec![("default", b"a-batch", b"3".to_vec()), ("other", b"b-batch", b"3".to_vec())],
        vec![("default", b"a2", b"4".to_vec())],
        vec![("default", b"huge", vec![7u8; 20_000])], // fills the default keyspace's memtable
        vec![("default", b"a3", b"5".to_vec())],       // switches the WAL, flushes default's
        vec![("other", b"b1", b"6".to_vec())],
    ];
    let fs = backend.fs();
    let small = |fs: &TestFs, mode| Options { memtable_bytes_max: 16 << 10, ..options(fs, mode) };
    let db = Db::open(DIR, small(&fs, WalRecoveryMode::default())).unwrap();
    db.create_keyspace("other").unwrap();
    for w in &writes {
        let mut b = WriteBatch::new();
        for (ks, k, v) in w {
            b.put(&db.keyspace(ks).unwrap(), k, v);
        }
        db.write(b, WriteOptions::SYNC).unwrap();
    }
    db.close().unwrap();
    let files = files_of(&fs);
    let wals = wal_names(&files);
    let [older, newer] = &wals[..] else { panic!("WAL files {wals:?}") };
    assert_eq!(records(&files[older]).len(), 6, "writes 0..6 in the older WAL");
    assert_eq!(records(&files[newer]).len(), 2, "writes 6..8 in the newer WAL");
    let (_, state) = common::read_manifest(&*fs, Path::new(DIR)).unwrap();
    assert_eq!(state.live_files().count(), 1, "the default keyspace's table");

    let view = |p: usize| {
        let mut out: BTreeMap<String, BTreeMap<Vec<u8>, Vec<u8>>> = BTreeMap::new();
        out.insert("default".into(), BTreeMap::new());
        out.insert("other".into(), BTreeMap::new());
        for w in &writes[..p] {
            for (ks, k, v) in w {
                out.get_mut(*ks).unwrap().insert(k.to_vec(), v.clone());
            }
        }
        out
    };
    let recs = records(&files[older]);
    let damaged = with_file(&files, older, flip(&files[older], recs[1].offset + HEADER_LEN, 0x01));
    let fs = restore(backend, &damaged);
    match Db::open(DIR, small(&fs, WalRecoveryMode::PointInTime)) {
        Err(Error::Corruption(_)) => {}
        Err(e) => panic!("expected Corruption or a salvage, got {e}"),
        Ok(db) => {
            let mut got = BTreeMap::new();
            for name in db.list_keyspaces() {
                let ks = db.keyspace(&name).unwrap();
                let kv: BTreeMap<Vec<u8>, Vec<u8>> =
                    db.iter(&ks, IterOptions::all()).unwrap().map(|r| r.unwrap()).collect();
                got.insert(name, kv);
            }
            let shown = |m: &BTreeMap<String, BTreeMap<Vec<u8>, Vec<u8>>>| {
                m.iter()
                    .map(|(ks, kv)| {
                        let keys: Vec<String> =
                            kv.keys().map(|k| String::from_utf8_lossy(k).into_owned()).collect();
                        format!("{ks}: {keys:?}")
                    })
                    .collect::<Vec<_>>()
            };
            assert!(
                (0..=writes.len()).any(|p| view(p) == got),
                "the salvage recovered {:?} (latest_sequence {}): the state after no prefix of the \
                 writes. The default keyspace's table holds its writes after the damaged record \
                 (the damaged one too), the other keyspace lost the ones between (half of a \
                 batch). A consistent salvage keeps {:?}, or refuses with Corruption.",
                shown(&got),
                db.latest_sequence(),
                shown(&view(1))
            );
        }
    }
}

// ------------------------------------------------------------------------------------------------
// 4. A zero-filled tail.
// ------------------------------------------------------------------------------------------------

fn zero_filled_tail_opens_with_all_data(backend: Backend) {
    let values = make_values(13, 10, &[6]);
    let files = build(backend, &values);
    let wal = newest_wal(&files);
    for zeros in [1usize, 6, 7, 4096, 40_000] {
        let _guard = OnPanic(format!("{zeros} zeros"));
        let mut bytes = files[&wal].clone();
        bytes.resize(bytes.len() + zeros, 0);
        let damaged = with_file(&files, &wal, bytes);
        for mode in [WalRecoveryMode::default(), WalRecoveryMode::AbsoluteConsistency] {
            let db = match try_open(&restore(backend, &damaged), mode) {
                Ok(db) => db,
                Err(e) => panic!("{mode:?}: {e}"),
            };
            check_keys(&db, &values, 0..values.len(), "open");
        }
        // Writes after it, and reopens (the zero-tailed WAL was flushed and removed), work.
        let fs = restore(backend, &damaged);
        let db = open(&fs);
        db.put_with(&db.default_keyspace(), b"after", b"zeros", WriteOptions::SYNC).unwrap();
        drop(db);
        let db = open(&fs);
        check_keys(&db, &values, 0..values.len(), "reopen");
        assert_eq!(
            db.get(&db.default_keyspace(), b"after").unwrap().as_deref(),
            Some(&b"zeros"[..])
        );
        drop(db);
        let db = try_open(&fs, WalRecoveryMode::AbsoluteConsistency).unwrap();
        check_keys(&db, &values, 0..values.len(), "reopen");
    }
}

// ------------------------------------------------------------------------------------------------
// 5. CURRENT and MANIFEST.
// ------------------------------------------------------------------------------------------------

/// A database with keyspaces created in its last session (so the manifest holds edits after its
/// snapshot record) and data in some of them.
fn keyspace_db(backend: Backend) -> Files {
    let fs = backend.fs();
    let db = open(&fs);
    db.put(&db.default_keyspace(), b"d", b"0").unwrap();
    db.close().unwrap();
    let db = open(&fs);
    for name in ["alpha", "beta", "gamma"] {
        let ks = db.create_keyspace(name).unwrap();
        if name != "gamma" {
            db.put_with(&ks, b"k", name.as_bytes(), WriteOptions::SYNC).unwrap();
        }
    }
    db.close().unwrap();
    files_of(&fs)
}

fn check_keyspace_db(db: &Db, names: &[&str]) {
    let mut want: Vec<&str> = names.to_vec();
    want.sort_unstable();
    assert_eq!(db.list_keyspaces(), want);
    assert_eq!(db.get(&db.default_keyspace(), b"d").unwrap().as_deref(), Some(&b"0"[..]));
    for name in names.iter().filter(|n| **n == "alpha" || **n == "beta") {
        let ks = db.keyspace(name).unwrap();
        assert_eq!(db.get(&ks, b"k").unwrap().as_deref(), Some(name.as_bytes()));
    }
}

const ALL_KEYSPACES: [&str; 4] = ["default", "alpha", "beta", "gamma"];

fn manifest_round_trip(backend: Backend) {
    let files = keyspace_db(backend);
    let db = open(&restore(backend, &files));
    check_keyspace_db(&db, &ALL_KEYSPACES);
}

fn current_naming_a_missing_manifest_is_an_error(backend: Backend) {
    let files = keyspace_db(backend);
    let manifest = manifest_name(&files);
    // CURRENT names a manifest that does not exist.
    let damaged = with_file(&files, filename::CURRENT, b"MANIFEST-999999\n".to_vec());
    match try_open(&restore(backend, &damaged), WalRecoveryMode::default()) {
        Err(Error::Io(_) | Error::Corruption(_)) => {}
        Err(e) => panic!("expected Io or Corruption, got {e}"),
        Ok(_) => panic!("opened a database whose manifest is missing"),
    }
    // The manifest CURRENT names was removed.
    let mut removed = files.clone();
    removed.remove(&manifest);
    match try_open(&restore(backend, &removed), WalRecoveryMode::default()) {
        Err(Error::Io(_) | Error::Corruption(_)) => {}
        Err(e) => panic!("expected Io or Corruption, got {e}"),
        Ok(_) => panic!("opened a database whose manifest is missing"),
    }
    // And it stays an error (the failed open did not "repair" anything).
    let fs = restore(backend, &removed);
    assert!(try_open(&fs, WalRecoveryMode::default()).is_err());
    assert!(try_open(&fs, WalRecoveryMode::PointInTime).is_err());
}

fn garbage_current_is_corruption(backend: Backend) {
    let files = keyspace_db(backend);
    let manifest = manifest_name(&files);
    let cases: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"\n".to_vec(),
        b"garbage".to_vec(),
        b"garbage\n".to_vec(),
        manifest.as_bytes().to_vec(), // no newline
        format!("{manifest}\n\n").into_bytes(),
        format!(" {manifest}\n").into_bytes(),
        b"MANIFEST-\n".to_vec(),
        b"MANIFEST-abc\n".to_vec(),
        b"MANIFEST--1\n".to_vec(),
        b"MANIFEST-99999999999999999999999\n".to_vec(),
        b"000002.log\n".to_vec(),
        b"CURRENT\n".to_vec(),
        b"LOCK\n".to_vec(),
        b"../MANIFEST-000001\n".to_vec(),
        vec![0xff, 0xfe, b'\n'],
        vec![0; 20],
    ];
    for current in cases {
        let _guard = OnPanic(format!("CURRENT = {:?}", String::from_utf8_lossy(&current)));
        let damaged = with_file(&files, filename::CURRENT, current);
        match try_open(&restore(backend, &damaged), WalRecoveryMode::default()) {
            Err(Error::Corruption(_)) => {}
            Err(e) => panic!("expected Corruption, got {e}"),
            Ok(_) => panic!("opened with a garbage CURRENT"),
        }
    }
}

/// A CURRENT longer than the 4 KiB the reader accepts is garbage too, but comes back as
/// `Error::Io` (InvalidData from `read_small_file`, wrapped by `io_at`), telling the caller
/// the operation may be retried when the bytes on disk are bad.
fn oversized_current_is_corruption(backend: Backend) {
    let files = keyspace_db(backend);
    let damaged = with_file(&files, filename::CURRENT, vec![b'x'; 5000]);
    match try_open(&restore(backend, &damaged), WalRecoveryMode::default()) {
        Err(Error::Corruption(_)) => {}
        Err(e) => panic!("expected Corruption, got {e:?}"),
        Ok(_) => panic!("opened with a garbage CURRENT"),
    }
}

/// Flips every byte of the MANIFEST (twice). Characterization: `Corruption`, or success with
/// every keyspace and value intact; the one exception is a flip in the length field of an edit
/// (the manifest is a single block, the file's last) that sends it past the end of the file: read
/// as a torn tail, that edit and the later ones are ignored (see
/// `manifest_length_flip_drops_an_acknowledged_keyspace`).
fn flipped_byte_in_the_manifest(backend: Backend) {
    let files = keyspace_db(backend);
    let manifest = manifest_name(&files);
    let bytes = &files[&manifest];
    let recs = records(bytes);
    assert_eq!(recs.len(), 4, "a snapshot and three edits");
    let frags = fragments(bytes);
    let mut torn = 0;
    for at in 0..bytes.len() {
        for mask in [0x01u8, 0x80] {
            let _guard = OnPanic(format!("flip {mask:#x} at {at} of {} bytes", bytes.len()));
            let damaged = with_file(&files, &manifest, flip(bytes, at, mask));
            match try_open(&restore(backend, &damaged), WalRecoveryMode::default()) {
                Err(Error::Corruption(_)) => {}
                Err(e) => panic!("expected Corruption or success, got {e}"),
                Ok(db) => {
                    let in_length =
                        frags.iter().position(|f| f.start + 4 <= at && at < f.start + 6);
                    match in_length {
                        // Edits r.. ignored: the keyspaces of the earlier ones.
                        Some(r) if r > 0 => {
                            check_keyspace_db(&db, &ALL_KEYSPACES[..r]);
                            torn += 1;
                        }
                        _ => check_keyspace_db(&db, &ALL_KEYSPACES),
                    }
                }
            }
        }
    }
    println!("{} flips, {torn} accepted as a torn tail", bytes.len() * 2);
}

/// `create_keyspace` returned (its edit was synced), yet one flipped bit in the length field of
/// its manifest record makes the next open drop the keyspace silently: the reader calls it a torn
/// tail, which `read_manifest` ignores in every recovery mode.
fn manifest_length_flip_is_corruption_not_a_torn_tail(backend: Backend) {
    let files = keyspace_db(backend);
    let manifest = manifest_name(&files);
    let bytes = &files[&manifest];
    let recs = records(bytes);
    let at = recs[3].offset + 5; // high byte of the length of the edit that creates "gamma"
    let damaged = with_file(&files, &manifest, flip(bytes, at, 0x80));
    match try_open(&restore(backend, &damaged), WalRecoveryMode::default()) {
        Err(Error::Corruption(_)) => {}
        Err(e) => panic!("expected Corruption, got {e}"),
        Ok(db) => panic!(
            "a flipped length byte in the manifest was taken for a torn tail: keyspaces {:?}",
            db.list_keyspaces()
        ),
    }
}
