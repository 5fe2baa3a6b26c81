//! Recovery from damaged logs: torn WAL tails at every offset of the last record, flipped bytes in
//! the middle of a WAL (newest and older files), point-in-time salvage, zero-filled tails, and a
//! damaged `CURRENT` or MANIFEST, and a point-in-time salvage interrupted by a power loss.
//!
//! Each case builds a database in a [`MemFs`], copies its files, damages the copy with
//! [`MemFs::set_file_bytes`] and opens it.

mod common;

use common::{OnPanic, Rng};
use shale_engine::filename::{self, FileKind};
use shale_engine::fs::{BytesFile, FileSystem, MemFs};
use shale_engine::wal::{LogEvent, LogReader, BLOCK_LEN, HEADER_LEN};
use shale_engine::{Db, Error, IterOptions, Options, WalRecoveryMode, WriteOptions};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

const DIR: &str = "db";

fn options(fs: &MemFs, mode: WalRecoveryMode) -> Options {
    Options { fs: Arc::new(fs.clone()), wal_recovery_mode: mode, ..Options::default() }
}

fn try_open(fs: &MemFs, mode: WalRecoveryMode) -> shale_engine::Result<Db> {
    Db::open(DIR, options(fs, mode))
}

fn open(fs: &MemFs) -> Db {
    try_open(fs, WalRecoveryMode::default()).unwrap_or_else(|e| panic!("open failed: {e}"))
}

/// Opens `fs` in `mode`: the database, or `None` if the open fails with `Corruption`; any other
/// error fails the test.
fn open_unless_corrupt(fs: &MemFs, mode: WalRecoveryMode) -> Option<Db> {
    match try_open(fs, mode) {
        Ok(db) => Some(db),
        Err(Error::Corruption(_)) => None,
        Err(e) => panic!("{mode:?} open: expected Corruption or success, got {e:?}"),
    }
}

/// Asserts that opening `fs` in `mode` fails with `Corruption`; `damage` names what a successful
/// open would have accepted.
fn assert_corruption(fs: &MemFs, mode: WalRecoveryMode, damage: &str) {
    if open_unless_corrupt(fs, mode).is_some() {
        panic!("{mode:?} open accepted {damage}");
    }
}

/// The files of the database directory: name -> bytes.
type Files = BTreeMap<String, Vec<u8>>;

fn files_of(fs: &MemFs) -> Files {
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
fn restore(files: &Files) -> MemFs {
    let fs = MemFs::new();
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

/// `files` with the byte at `at` of file `name` XORed with `mask`.
fn flipped(files: &Files, name: &str, at: usize, mask: u8) -> Files {
    let mut bytes = files[name].clone();
    bytes[at] ^= mask;
    with_file(files, name, bytes)
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

/// The WAL files that hold bytes, oldest first.
fn nonempty_wals(files: &Files) -> Vec<String> {
    wal_names(files).into_iter().filter(|n| !files[n].is_empty()).collect()
}

/// The newest WAL file that holds bytes.
fn newest_wal(files: &Files) -> String {
    nonempty_wals(files).pop().expect("a non-empty WAL")
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

/// Whether `bytes` reads as a clean log (no torn tail, no corruption) with `n` records.
fn clean_log_with(bytes: &[u8], n: usize) -> bool {
    let mut reader = LogReader::new(Arc::new(BytesFile::new(bytes.to_vec())), usize::MAX);
    let mut count = 0;
    loop {
        match reader.read_record().unwrap() {
            LogEvent::Record { .. } => count += 1,
            LogEvent::End { .. } => return count == n,
            _ => return false,
        }
    }
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

/// Builds a database holding `values[i]` under `key(i)`, one put per record; `sessions` splits
/// the puts over that many open-close sessions (one WAL file each). Every fourth put syncs.
fn build(values: &[Vec<u8>], sessions: usize) -> Files {
    let fs = MemFs::new();
    let per = values.len().div_ceil(sessions);
    for chunk in (0..values.len()).collect::<Vec<_>>().chunks(per) {
        let db = open(&fs);
        let ks = db.default_keyspace();
        for &i in chunk {
            db.put_with(&ks, &key(i), &values[i], WriteOptions { sync: i % 4 == 3 }).unwrap();
        }
        db.close().unwrap();
    }
    files_of(&fs)
}

/// Builds a database holding `values` in one session (see `build`): its files, the name of its
/// WAL and the records of that WAL.
fn build_one_wal(values: &[Vec<u8>]) -> (Files, String, Vec<Rec>) {
    let files = build(values, 1);
    let wal = newest_wal(&files);
    let recs = records(&files[&wal]);
    (files, wal, recs)
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

fn torn_tail_case(values: &[Vec<u8>]) -> usize {
    let n = values.len();
    let (files, wal, recs) = build_one_wal(values);
    let bytes = &files[&wal];
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
    for &cut in &cuts {
        let _guard = OnPanic(format!("cut at {cut} (last record {last:?}, {} bytes)", bytes.len()));
        let cut_files = with_file(&files, &wal, bytes[..cut].to_vec());

        // Default mode: the torn record is dropped and cut off, nothing else is lost.
        let fs = restore(&cut_files);
        let db = open(&fs);
        check_keys(&db, values, 0..n - 1, "first open");
        assert_eq!(db.latest_sequence(), (n - 1) as u64);
        let cut_wal = fs.file_bytes(Path::new(DIR).join(&wal)).unwrap();
        assert!(clean_log_with(&cut_wal, n - 1), "the torn tail was not cut off");
        // Reopening (the cut file is now an older WAL) and writing again work.
        drop(db);
        let db = open(&fs);
        check_keys(&db, values, 0..n - 1, "second open");
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
        let fs = restore(&cut_files);
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

#[test]
fn torn_tail_of_a_multi_block_record() {
    // Records 4 and 11 and the last one span several 32 KiB blocks.
    let mut values = make_values(1, 20, &[4, 11]);
    values[19] = Rng::new(19).bytes(100 << 10); // FIRST, two MIDDLE and a LAST fragment
    assert!(values[19].len() > 3 * BLOCK_LEN);
    let tested = torn_tail_case(&values);
    println!("{tested} cuts");
    assert!(tested > 1000, "{tested}");
}

#[test]
fn torn_tail_of_a_small_record() {
    for seed in 0..3 {
        let _guard = OnPanic(format!("seed {seed}"));
        let values = make_values(100 + seed, 12, &[3]);
        // Every offset of the last record is cut (it is small).
        torn_tail_case(&values);
    }
}

/// A last record whose FIRST fragment is empty: it starts exactly a header's length before a block
/// end, so its header fills the block and its payload is all in the next one.
#[test]
fn torn_tail_at_an_empty_first_fragment() {
    let target = BLOCK_LEN - HEADER_LEN;
    let mut values = vec![vec![9u8; 10], vec![5u8; 30_000], vec![6u8; 300]];
    for _ in 0..4 {
        let (files, wal, recs) = build_one_wal(&values);
        if recs[2].offset == target {
            let frags = fragments(&files[&wal]);
            assert_eq!(frags[2].start, target);
            assert_eq!(frags[2].end, BLOCK_LEN, "an empty FIRST fragment");
            torn_tail_case(&values);
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

#[test]
fn flipped_byte_in_a_middle_record_is_corruption() {
    let values = mid_log_values();
    let (files, wal, recs) = build_one_wal(&values);
    let bytes = &files[&wal];
    let mid = recs[10];
    assert!(
        mid.end / BLOCK_LEN < (bytes.len() - 1) / BLOCK_LEN,
        "record 10 is not in the last block"
    );
    for at in mid.offset..mid.end {
        for mask in [0x01u8, 0x80] {
            let _guard = OnPanic(format!("flip {mask:#x} at {at} (record {mid:?})"));
            let damaged = flipped(&files, &wal, at, mask);
            if let Some(db) = open_unless_corrupt(&restore(&damaged), WalRecoveryMode::default()) {
                check_no_wrong_value(&db, &values, "open");
                panic!("a flipped byte in the middle of the log was accepted")
            }
            // And the same with AbsoluteConsistency.
            assert_corruption(
                &restore(&damaged),
                WalRecoveryMode::AbsoluteConsistency,
                "a flipped byte in the middle of the log",
            );
        }
    }
}

/// Flips across the whole newest WAL. Characterization: every flip is `Corruption`, except one in
/// the length field of a fragment in the file's LAST block that makes the fragment run past the end
/// of the file: the reader cannot tell that from a torn write (the length is not under the crc),
/// so the default mode drops that record and every later one (see
/// `length_flip_in_the_last_block_is_corruption_not_a_torn_tail` for why that is a bug). Never a
/// wrong value, never a panic.
#[test]
fn flipped_bytes_across_the_newest_wal() {
    let values = mid_log_values();
    let (files, wal, recs) = build_one_wal(&values);
    let bytes = &files[&wal];
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
            let fs = restore(&flipped(&files, &wal, at, mask));
            if let Some(db) = open_unless_corrupt(&fs, WalRecoveryMode::default()) {
                let present = check_no_wrong_value(&db, &values, "open");
                let frag = frags.iter().find(|f| f.start + 4 <= at && at < f.start + 6);
                let Some(frag) = frag.filter(|f| f.start / BLOCK_LEN == last_block) else {
                    panic!("a flip outside a length field of the last block was accepted");
                };
                let r =
                    recs.iter().position(|r| r.offset <= frag.start && frag.start < r.end).unwrap();
                assert_eq!(present, (0..r).collect(), "not exactly the records before the flip");
                accepted += 1;
            }
        }
    }
    println!("{} flips, {accepted} accepted as a torn tail", offsets.len() * 2);
}

/// A length byte flipped in a record of the newest WAL's last block, followed by records that were
/// synced: the reader takes it for a torn tail, and the default mode silently drops (and cuts off
/// the file: irrecoverably) that record and every later one, synced writes included. The
/// documented contract of `TolerateCorruptedTail` is that only a torn tail (a write never
/// acknowledged as durable) is dropped and "any other damage is Corruption".
#[test]
fn length_flip_in_the_last_block_is_corruption_not_a_torn_tail() {
    let values: Vec<Vec<u8>> = (0..8).map(|i| vec![b'a' + i as u8; 100]).collect();
    let (files, wal, recs) = build_one_wal(&values); // puts 3 and 7 synced: every record is durable
    let bytes = &files[&wal];
    assert!(bytes.len() < BLOCK_LEN);
    let at = recs[2].offset + 5; // high byte of record 2's length: 100 -> 32868, past the end
    let fs = restore(&flipped(&files, &wal, at, 0x80));
    if let Some(db) = open_unless_corrupt(&fs, WalRecoveryMode::default()) {
        let present = check_no_wrong_value(&db, &values, "open");
        let left = fs.file_bytes(Path::new(DIR).join(&wal)).unwrap().len();
        panic!(
            "a flipped length byte in record 2 of 8 (all synced) was taken for a torn tail: \
             records {present:?} recovered, the WAL was cut from {} to {left} bytes",
            bytes.len()
        );
    }
}

#[test]
fn flipped_byte_in_an_older_wal_is_corruption() {
    let values = make_values(11, 20, &[3]);
    let files = build(&values, 2);
    let wals = nonempty_wals(&files);
    assert_eq!(wals.len(), 2, "{wals:?}");
    let older = &wals[0];
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
            let fs = restore(&flipped(&files, older, at, mask));
            if let Some(db) = open_unless_corrupt(&fs, WalRecoveryMode::default()) {
                check_no_wrong_value(&db, &values, "open");
                panic!("a flipped byte in an older WAL was accepted");
            }
        }
    }
    // A torn end of an older WAL is corruption too (it cannot come from a crash).
    let cut = with_file(&files, older, bytes[..bytes.len() - 3].to_vec());
    assert_corruption(&restore(&cut), WalRecoveryMode::default(), "a torn end of an older WAL");
}

// ------------------------------------------------------------------------------------------------
// 3. Point-in-time salvage.
// ------------------------------------------------------------------------------------------------

/// Opens the damaged copy with PointInTime: exactly records `0..keep` survive; then a default
/// reopen works, and new writes work and survive reopens.
fn check_salvage(files: &Files, values: &[Vec<u8>], keep: usize) {
    let fs = restore(files);
    let db = try_open(&fs, WalRecoveryMode::PointInTime)
        .unwrap_or_else(|e| panic!("PointInTime open failed: {e}"));
    check_keys(&db, values, 0..keep, "PointInTime open");
    assert!(db.latest_sequence() >= keep as u64);
    drop(db);
    let db = try_open(&fs, WalRecoveryMode::default())
        .unwrap_or_else(|e| panic!("default open after the salvage failed: {e}"));
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

#[test]
fn point_in_time_salvages_up_to_a_corrupt_record() {
    let values = mid_log_values();
    let (files, wal, recs) = build_one_wal(&values);
    let mid = recs[10];
    // Every header byte, and a spread of payload bytes, of the middle record.
    let offsets: BTreeSet<usize> = (mid.offset..mid.offset + HEADER_LEN)
        .chain((mid.offset..mid.end).step_by(13))
        .chain([mid.end - 1])
        .collect();
    for &at in &offsets {
        let _guard = OnPanic(format!("flip at {at} (record {mid:?})"));
        check_salvage(&flipped(&files, &wal, at, 0x01), &values, 10);
    }
    // A corrupt record that spans blocks: a byte of its MIDDLE fragment.
    let big = recs[13];
    let at = (big.offset / BLOCK_LEN + 1) * BLOCK_LEN + 100;
    check_salvage(&flipped(&files, &wal, at, 0x01), &values, 13);
}

#[test]
fn point_in_time_in_an_older_wal_drops_later_files() {
    let values = make_values(12, 20, &[15]);
    let files = build(&values, 2);
    let wals = nonempty_wals(&files);
    assert_eq!(wals.len(), 2);
    let older = &wals[0];
    let recs = records(&files[older]);
    assert_eq!(recs.len(), 10);
    let damaged = flipped(&files, older, recs[4].offset + HEADER_LEN + 3, 0x80);
    // The default mode refuses it.
    assert_corruption(&restore(&damaged), WalRecoveryMode::default(), "a flipped byte");
    check_salvage(&damaged, &values, 4);
    // The salvage removed the newer WAL.
    let fs = restore(&damaged);
    drop(try_open(&fs, WalRecoveryMode::PointInTime).unwrap());
    let after = files_of(&fs);
    assert!(!after.contains_key(&wals[1]), "the WAL after the salvage point was kept");
}

/// A power loss (after an I/O error) at every operation of a point-in-time salvage that cuts an
/// older WAL and removes the newer one: whatever the next open finds, it must never show the
/// records of the newer WAL without the ones the salvage cut from the older (a hole in the
/// history).
#[test]
fn interrupted_point_in_time_salvage() {
    let values = make_values(21, 20, &[]);
    let files = build(&values, 2);
    let wals = nonempty_wals(&files);
    let older = &wals[0];
    let recs = records(&files[older]);
    let damaged = flipped(&files, older, recs[4].offset + HEADER_LEN + 3, 0x80);
    let fs = restore(&damaged);
    let before = fs.op_count();
    drop(try_open(&fs, WalRecoveryMode::PointInTime).unwrap());
    let ops = fs.op_count() - before;
    let mut failures = Vec::new();
    for k in 0..ops {
        let fs = restore(&damaged);
        fs.fail_after(k, shale_engine::fs::FaultMode::Permanent);
        assert!(try_open(&fs, WalRecoveryMode::PointInTime).is_err());
        fs.clear_faults();
        fs.crash(k);
        for mode in [WalRecoveryMode::default(), WalRecoveryMode::PointInTime] {
            match try_open(&fs, mode) {
                Err(Error::Corruption(_)) if mode == WalRecoveryMode::default() => {}
                Err(e) => failures.push(format!("op {k}: {mode:?} open failed: {e}")),
                Ok(db) => {
                    let present = check_no_wrong_value(&db, &values, "open");
                    if present != (0..4).collect() {
                        failures.push(format!(
                            "op {k}: {mode:?} open recovered records {present:?}, not 0..4"
                        ));
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{ops} operations in the salvage: {failures:#?}");
}

// ------------------------------------------------------------------------------------------------
// 4. A zero-filled tail.
// ------------------------------------------------------------------------------------------------

#[test]
fn zero_filled_tail_opens_with_all_data() {
    let values = make_values(13, 10, &[6]);
    let files = build(&values, 1);
    let wal = newest_wal(&files);
    for zeros in [1usize, 6, 7, 4096, 40_000] {
        let _guard = OnPanic(format!("{zeros} zeros"));
        let mut bytes = files[&wal].clone();
        bytes.resize(bytes.len() + zeros, 0);
        let damaged = with_file(&files, &wal, bytes);
        for mode in [WalRecoveryMode::default(), WalRecoveryMode::AbsoluteConsistency] {
            let db = try_open(&restore(&damaged), mode).unwrap_or_else(|e| panic!("{mode:?}: {e}"));
            check_keys(&db, &values, 0..values.len(), "open");
        }
        // Writes after it, and reopens (the zero-tailed file is an older WAL then), work.
        let fs = restore(&damaged);
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
fn keyspace_db() -> Files {
    let fs = MemFs::new();
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

#[test]
fn manifest_round_trip() {
    let files = keyspace_db();
    let db = open(&restore(&files));
    check_keyspace_db(&db, &ALL_KEYSPACES);
}

#[test]
fn current_naming_a_missing_manifest_is_an_error() {
    let files = keyspace_db();
    let manifest = manifest_name(&files);
    // CURRENT names a manifest that does not exist.
    let misnamed = with_file(&files, filename::CURRENT, b"MANIFEST-999999\n".to_vec());
    // The manifest CURRENT names was removed.
    let mut removed = files.clone();
    removed.remove(&manifest);
    for damaged in [&misnamed, &removed] {
        match try_open(&restore(damaged), WalRecoveryMode::default()) {
            Err(Error::Io(_) | Error::Corruption(_)) => {}
            Err(e) => panic!("expected Io or Corruption, got {e}"),
            Ok(_) => panic!("opened a database whose manifest is missing"),
        }
    }
    // And it stays an error (the failed open did not "repair" anything).
    let fs = restore(&removed);
    assert!(try_open(&fs, WalRecoveryMode::default()).is_err());
    assert!(try_open(&fs, WalRecoveryMode::PointInTime).is_err());
}

#[test]
fn garbage_current_is_corruption() {
    let files = keyspace_db();
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
        assert_corruption(&restore(&damaged), WalRecoveryMode::default(), "a garbage CURRENT");
    }
}

/// A CURRENT longer than the 4 KiB the reader accepts is garbage too: `Corruption` (the
/// InvalidData of `read_small_file`), not an `Io` error that would tell the caller to retry.
#[test]
fn oversized_current_is_corruption() {
    let files = keyspace_db();
    let damaged = with_file(&files, filename::CURRENT, vec![b'x'; 5000]);
    assert_corruption(&restore(&damaged), WalRecoveryMode::default(), "an oversized CURRENT");
}

/// Flips every byte of the MANIFEST (twice). Characterization: `Corruption`, or success with
/// every keyspace and value intact; the one exception is a flip in the length field of an edit
/// (the manifest is a single block, the file's last) that sends it past the end of the file: read
/// as a torn tail, that edit and the later ones are ignored (see
/// `manifest_length_flip_is_corruption_not_a_torn_tail`).
#[test]
fn flipped_byte_in_the_manifest() {
    let files = keyspace_db();
    let manifest = manifest_name(&files);
    let bytes = &files[&manifest];
    let recs = records(bytes);
    assert_eq!(recs.len(), 4, "a snapshot and three edits");
    let frags = fragments(bytes);
    let mut torn = 0;
    for at in 0..bytes.len() {
        for mask in [0x01u8, 0x80] {
            let _guard = OnPanic(format!("flip {mask:#x} at {at} of {} bytes", bytes.len()));
            let fs = restore(&flipped(&files, &manifest, at, mask));
            if let Some(db) = open_unless_corrupt(&fs, WalRecoveryMode::default()) {
                let in_length = frags.iter().position(|f| f.start + 4 <= at && at < f.start + 6);
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
    println!("{} flips, {torn} accepted as a torn tail", bytes.len() * 2);
}

/// `create_keyspace` returned (its edit was synced), yet one flipped bit in the length field of
/// its manifest record makes the next open drop the keyspace silently: the reader calls it a torn
/// tail, which `read_manifest` ignores in every recovery mode.
#[test]
fn manifest_length_flip_is_corruption_not_a_torn_tail() {
    let files = keyspace_db();
    let manifest = manifest_name(&files);
    let bytes = &files[&manifest];
    let recs = records(bytes);
    let at = recs[3].offset + 5; // high byte of the length of the edit that creates "gamma"
    let damaged = flipped(&files, &manifest, at, 0x80);
    if let Some(db) = open_unless_corrupt(&restore(&damaged), WalRecoveryMode::default()) {
        panic!(
            "a flipped length byte in the manifest was taken for a torn tail: keyspaces {:?}",
            db.list_keyspaces()
        );
    }
}
