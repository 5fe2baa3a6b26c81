//! Tests of the log format: round trips, torn tails, corruption, zero tails, bounds.

use super::*;
use crate::fs::{BytesFile, FileSystem, OsFs, ReadableFile, WritableFile};
use crate::util::rand::SplitMix64;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

const B: u64 = BLOCK_LEN as u64;
const H: u64 = HEADER_LEN as u64;
const MAX: usize = 1 << 20;

/// A [`LogEvent`] that owns its payload.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Ev {
    Rec { payload: Vec<u8>, offset: u64, end: u64 },
    End(u64),
    Torn(u64),
    Corrupt(u64, String),
}

impl Ev {
    fn of(ev: LogEvent<'_>) -> Ev {
        match ev {
            LogEvent::Record { payload, offset, end } => {
                Ev::Rec { payload: payload.to_vec(), offset, end }
            }
            LogEvent::End { offset } => Ev::End(offset),
            LogEvent::TornTail { offset } => Ev::Torn(offset),
            LogEvent::Corrupt { offset, reason } => Ev::Corrupt(offset, reason),
        }
    }

    /// The event with a corruption's reason dropped, for comparisons.
    fn kind(&self) -> Ev {
        match self {
            Ev::Corrupt(o, _) => Ev::Corrupt(*o, String::new()),
            e => e.clone(),
        }
    }
}

/// A record as written: payload, offset of its first fragment, offset past its last.
#[derive(Debug, Clone)]
struct Rec {
    payload: Vec<u8>,
    offset: u64,
    end: u64,
}

/// Reads every record up to the terminal event, retrying I/O errors, and checks that the terminal
/// event repeats.
fn read_all(file: Arc<dyn ReadableFile>, max: usize) -> (Vec<Rec>, Ev) {
    let mut r = LogReader::new(file, max);
    let mut recs = Vec::new();
    let mut errors = 0;
    loop {
        match r.read_record() {
            Err(e) => {
                errors += 1;
                assert!(errors < 1000, "I/O errors never stop: {e}");
            }
            Ok(LogEvent::Record { payload, offset, end }) => {
                recs.push(Rec { payload: payload.to_vec(), offset, end })
            }
            Ok(ev) => {
                let ev = Ev::of(ev);
                for _ in 0..2 {
                    assert_eq!(Ev::of(r.read_record().unwrap()), ev, "terminal event must repeat");
                }
                return (recs, ev);
            }
        }
    }
}

fn bytes_file(data: Vec<u8>) -> Arc<dyn ReadableFile> {
    Arc::new(BytesFile::new(data))
}

/// Asserts that `got` is exactly `want` (payloads, offsets, ends).
fn assert_records(got: &[Rec], want: &[Rec], ctx: &str) {
    assert_eq!(got.len(), want.len(), "{ctx}: record count");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(g.payload == w.payload, "{ctx}: record {i} payload differs");
        assert_eq!((g.offset, g.end), (w.offset, w.end), "{ctx}: record {i} position");
    }
}

/// Where a record of `len` bytes appended at `pos` starts (after any trailer) and ends: an
/// independent model of the writer's fragmentation.
fn model(pos: u64, len: usize) -> (u64, u64) {
    let pad = |p: u64| if B - p % B < H { p + (B - p % B) } else { p };
    let mut p = pad(pos);
    let start = p;
    let mut left = len as u64;
    loop {
        p = pad(p);
        let n = left.min(B - p % B - H);
        p += H + n;
        left -= n;
        if left == 0 {
            return (start, p);
        }
    }
}

/// The payload length of a record starting at the (padded) `start` that ends exactly at `target`.
fn len_ending_at(start: u64, target: u64) -> usize {
    let fragments = (target - 1) / B - start / B + 1;
    let len = (target - start - H * fragments) as usize;
    assert_eq!(model(start, len), (start, target));
    len
}

fn random_bytes(rng: &mut SplitMix64, len: usize) -> Vec<u8> {
    let mut v = Vec::with_capacity(len + 8);
    while v.len() < len {
        v.extend_from_slice(&rng.next_u64().to_le_bytes());
    }
    v.truncate(len);
    v
}

fn below(rng: &mut SplitMix64, n: u64) -> u64 {
    rng.next_u64() % n
}

/// Appends `group` with one `add_records` call, pushing its records with their modelled
/// positions onto `recs` and checking the offset the writer returns against the model.
fn add_group(w: &mut LogWriter, group: &[Vec<u8>], recs: &mut Vec<Rec>) {
    let mut pos = w.len();
    for p in group {
        let (offset, end) = model(pos, p.len());
        recs.push(Rec { payload: p.clone(), offset, end });
        pos = end;
    }
    let slices: Vec<&[u8]> = group.iter().map(Vec::as_slice).collect();
    assert_eq!(w.add_records(&slices).unwrap(), pos);
    assert_eq!(w.len(), pos);
}

/// Writes each group with one `add_records` call to a new file at `path`; returns the records
/// with their modelled positions.
fn write_groups(path: &Path, groups: &[Vec<Vec<u8>>]) -> Vec<Rec> {
    let mut w = LogWriter::new(OsFs.create(path).unwrap());
    let mut recs = Vec::new();
    for g in groups {
        add_group(&mut w, g, &mut recs);
    }
    w.sync().unwrap();
    recs
}

fn temp_log() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("000001.log");
    (dir, path)
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect::<Vec<_>>().join(" ")
}

#[test]
fn record_type_round_trips_through_u8() {
    for t in [RecordType::Full, RecordType::First, RecordType::Middle, RecordType::Last] {
        assert_eq!(RecordType::try_from(u8::from(t)), Ok(t));
    }
    assert_eq!(RecordType::try_from(0), Err(0));
    assert_eq!(RecordType::try_from(5), Err(5));
    let h = Header { crc: 0x0403_0201, len: 0x0605, ty: 7 };
    assert_eq!(h.encode(), [1, 2, 3, 4, 5, 6, 7]);
    assert_eq!(Header::decode(h.encode()), h);
}

#[test]
fn worked_example() {
    let (_dir, path) = temp_log();
    let mut w = LogWriter::new(OsFs.create(&path).unwrap());
    assert!(w.is_empty());
    assert_eq!(w.add_records(&[b"hello", b"abc"]).unwrap(), 22);
    assert_eq!(w.len(), 22);
    let bytes = std::fs::read(&path).unwrap();
    eprintln!("worked example: {}", hex(&bytes));
    assert_eq!(hex(&bytes), "9d 23 ac 8a 05 00 01 68 65 6c 6c 6f a9 20 9d 53 03 00 01 61 62 63");
    let (recs, end) = read_all(OsFs.open(&path).unwrap(), MAX);
    assert_eq!(recs.len(), 2);
    assert_eq!((recs[0].payload.as_slice(), recs[0].offset, recs[0].end), (&b"hello"[..], 0, 12));
    assert_eq!((recs[1].payload.as_slice(), recs[1].offset, recs[1].end), (&b"abc"[..], 12, 22));
    assert_eq!(end, Ev::End(22));
}

#[test]
fn fragmentation_example() {
    // The second example of docs/format/wal.md: a 100-byte record, then a 70 000-byte one.
    let (_dir, path) = temp_log();
    let mut w = LogWriter::new(OsFs.create(&path).unwrap());
    let big = vec![0xabu8; 70_000];
    assert_eq!(w.add_records(&[&[0x11; 100], &big]).unwrap(), 70_128);
    let bytes = std::fs::read(&path).unwrap();
    let header_at = |o: usize| Header::decode(bytes[o..o + HEADER_LEN].try_into().unwrap());
    let h = header_at(107);
    assert_eq!((h.len, h.ty), (32_654, RecordType::First as u8));
    let h = header_at(32_768);
    assert_eq!((h.len, h.ty), (32_761, RecordType::Middle as u8));
    let h = header_at(65_536);
    assert_eq!((h.len, h.ty), (4_585, RecordType::Last as u8));
    assert_eq!(32_654 + 32_761 + 4_585, 70_000);
    let (recs, end) = read_all(OsFs.open(&path).unwrap(), MAX);
    assert_eq!((recs[1].offset, recs[1].end), (107, 70_128));
    assert_eq!(end, Ev::End(70_128));
}

#[test]
fn empty_log_and_empty_records() {
    let (_dir, path) = temp_log();
    let mut w = LogWriter::new(OsFs.create(&path).unwrap());
    assert_eq!(read_all(OsFs.open(&path).unwrap(), MAX).1, Ev::End(0));
    assert_eq!(w.add_records(&[]).unwrap(), 0);
    assert_eq!(w.add_records(&[b"", b""]).unwrap(), 14);
    assert_eq!(w.add_record(b"").unwrap(), 21);
    let (recs, end) = read_all(OsFs.open(&path).unwrap(), 0);
    assert_eq!(
        recs.iter().map(|r| (r.payload.len(), r.offset, r.end)).collect::<Vec<_>>(),
        [(0, 0, 7), (0, 7, 14), (0, 14, 21)]
    );
    assert_eq!(end, Ev::End(21));
}

#[test]
fn round_trip_random_sizes_across_blocks_and_reopen() {
    let mut rng = SplitMix64::new(0x5eed);
    let mut groups: Vec<Vec<Vec<u8>>> = Vec::new();
    let mut pos = 0u64;
    let mut crafted = 0u64;
    let mut ends_at = [0usize; 8]; // records ending k bytes before a block end
    for _ in 0..60 {
        let mut group = Vec::new();
        for _ in 0..1 + below(&mut rng, 5) {
            let len = match below(&mut rng, 4) {
                0 => below(&mut rng, 100) as usize,
                1 => below(&mut rng, 100 * 1024) as usize,
                _ => {
                    // End exactly k bytes before a block end, k in 0..=7, spanning 0..=2 more
                    // blocks. k = 7 leaves exactly a header's room: the next record starts with
                    // an empty FIRST (or is an empty FULL) fragment.
                    let k = crafted % 8;
                    crafted += 1;
                    let (start, _) = model(pos, 0);
                    let mut target = (start / B + 1 + below(&mut rng, 3)) * B - k;
                    if target < start + H {
                        target += B;
                    }
                    len_ending_at(start, target)
                }
            };
            let (_, end) = model(pos, len);
            pos = end;
            let k = (B - end % B) % B;
            if k <= 7 {
                ends_at[k as usize] += 1;
            }
            group.push(random_bytes(&mut rng, len));
        }
        groups.push(group);
    }
    assert!(ends_at.iter().all(|&n| n > 0), "every trailer length is exercised: {ends_at:?}");

    let (_dir, path) = temp_log();
    let file = OsFs.create(&path).unwrap();
    let mut w = LogWriter::new(file.clone());
    let mut want = Vec::new();
    let (first, second) = groups.split_at(groups.len() / 2);
    for g in first {
        add_group(&mut w, g, &mut want);
    }
    // Read what is there so far, then continue the log with a new writer on the same file.
    let len = w.len();
    drop(w);
    let (recs, end) = read_all(OsFs.open(&path).unwrap(), MAX);
    assert_records(&recs, &want, "first half");
    assert_eq!(end, Ev::End(len));
    let mut w = LogWriter::new(file);
    assert_eq!(w.len(), len);
    for g in second {
        add_group(&mut w, g, &mut want);
    }
    w.sync().unwrap();
    assert_eq!(std::fs::metadata(&path).unwrap().len(), w.len());
    let (recs, end) = read_all(OsFs.open(&path).unwrap(), MAX);
    assert_records(&recs, &want, "whole log");
    assert_eq!(end, Ev::End(w.len()));
    // Consecutive records are adjacent but for trailers.
    for pair in want.windows(2) {
        assert_eq!(model(pair[0].end, 0).0, pair[1].offset);
    }
}

/// Truncates the log at every offset from the end of the next-to-last record to the
/// end of the last, and checks: earlier records intact, then `End` at a boundary (or in the
/// trailer before the last record) and `TornTail` at the last record's start inside it.
fn check_torn_tail(lens: &[usize], seed: u64) {
    let mut rng = SplitMix64::new(seed);
    let groups: Vec<Vec<Vec<u8>>> = lens.iter().map(|&n| vec![random_bytes(&mut rng, n)]).collect();
    let (_dir, path) = temp_log();
    let want = write_groups(&path, &groups);
    let (last, before) = want.split_last().unwrap();
    let prev_end = before.last().map_or(0, |r| r.end);
    let f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    for t in (prev_end..=last.end).rev() {
        f.set_len(t).unwrap();
        let (recs, ev) = read_all(OsFs.open(&path).unwrap(), MAX);
        let ctx = format!("lens {lens:?} cut at {t}");
        if t == last.end {
            assert_records(&recs, &want, &ctx);
            assert_eq!(ev, Ev::End(last.end), "{ctx}");
        } else if t <= last.offset {
            assert_records(&recs, before, &ctx);
            assert_eq!(ev, Ev::End(prev_end), "{ctx}");
        } else {
            assert_records(&recs, before, &ctx);
            assert_eq!(ev, Ev::Torn(last.offset), "{ctx}");
        }
    }
}

#[test]
fn torn_tail_single_fragment() {
    check_torn_tail(&[10, 0, 300, 2000, 500], 1);
}

#[test]
fn torn_tail_first_middle_last() {
    // The last record starts 754 bytes before the end of block 0 and ends in block 2.
    assert_eq!(model(model(model(0, 100).1, 31_900).1, 40_000), (32_014, 2 * B + 7 + 6_492));
    check_torn_tail(&[100, 31_900, 40_000], 2);
}

#[test]
fn torn_tail_after_trailer_and_empty_first() {
    // Ends 3 bytes before the block end: the last record starts in the next block.
    let first = len_ending_at(0, B - 3);
    check_torn_tail(&[first, 1000], 3);
    // Ends exactly a header before the block end: the last record starts with an empty FIRST.
    let first = len_ending_at(0, B - H);
    check_torn_tail(&[first, 1000], 4);
    // Ends exactly at the block end.
    let first = len_ending_at(0, B);
    check_torn_tail(&[first, 10], 5);
}

/// The log of the corruption test: FULL, FIRST+LAST across blocks 0 and 1, a record ending 3
/// bytes before the end of block 1 (a trailer), then small records in block 2.
fn corruption_log() -> (tempfile::TempDir, Vec<Rec>, Vec<u8>) {
    let mut rng = SplitMix64::new(9);
    let r1_end = model(17, 40_000).1;
    let r2 = len_ending_at(r1_end, 2 * B - 3);
    let lens = [10, 40_000, r2, 0, 100, 5];
    let groups: Vec<Vec<Vec<u8>>> = lens.iter().map(|&n| vec![random_bytes(&mut rng, n)]).collect();
    let (dir, path) = temp_log();
    let want = write_groups(&path, &groups);
    assert_eq!(want[1].offset, 17);
    assert_eq!(want[3].offset, 2 * B);
    let bytes = std::fs::read(&path).unwrap();
    (dir, want, bytes)
}

#[test]
fn flipped_bytes_never_yield_a_wrong_record() {
    let (_dir, want, bytes) = corruption_log();
    let file_len = bytes.len() as u64;
    let frags = fragment_starts(&bytes);
    let last_block = (file_len - 1) / B;
    // Every byte with all bits flipped; bytes near fragment boundaries (headers, trailers, the
    // first and last payload bytes) also with the lowest and the highest bit flipped.
    let near_boundary = |i: usize| {
        frags.iter().any(|&f| {
            let f = f as usize;
            (f.saturating_sub(16)..f + HEADER_LEN + 16).contains(&i)
        })
    };
    let flips = (0..bytes.len())
        .map(|i| (i, 0xffu8))
        .chain((0..bytes.len()).filter(|&i| near_boundary(i)).flat_map(|i| [(i, 0x01), (i, 0x80)]));
    let mut caught = 0;
    for (i, mask) in flips {
        let mut b = bytes.clone();
        b[i] ^= mask;
        let damaged_length =
            frags.iter().find(|&&f| (f + 4..f + 6).contains(&(i as u64))).map(|&f| {
                let at = f as usize;
                (f, u64::from(u16::from_le_bytes([b[at + 4], b[at + 5]])))
            });
        let (recs, ev) = read_all(bytes_file(b), MAX);
        let i = i as u64;
        // The first record touched by the flip: the one holding byte i, or the one after the
        // trailer holding it.
        let k = want.iter().position(|r| i < r.end).unwrap();
        let ctx = format!("byte {i} ^ {mask:#04x}");
        assert_records(&recs, &want[..k], &ctx);
        let in_trailer = i < want[k].offset;
        let bad_start = if in_trailer { want[k - 1].end } else { want[k].offset };
        // A flip that damages a length so that its fragment runs past the end of the file
        // looks like a crash in the middle of writing that fragment; the reader tells them apart
        // (the rest of the fragment carries its checksum, or valid fragments follow): every
        // single-byte flip is corruption.
        let runs_past_eof =
            damaged_length.is_some_and(|(f, len)| f / B == last_block && f + H + len > file_len);
        if runs_past_eof {
            caught += 1;
        }
        assert_eq!(ev.kind(), Ev::Corrupt(bad_start, String::new()), "{ctx}");
    }
    assert!(caught >= 6, "damaged lengths running past the end were exercised: {caught}");
}

/// File offsets of the fragments of an undamaged log.
fn fragment_starts(bytes: &[u8]) -> Vec<u64> {
    let mut starts = Vec::new();
    let mut pos = 0usize;
    loop {
        if BLOCK_LEN - pos % BLOCK_LEN < HEADER_LEN {
            pos += BLOCK_LEN - pos % BLOCK_LEN;
        }
        if pos >= bytes.len() {
            return starts;
        }
        starts.push(pos as u64);
        let h = Header::decode(bytes[pos..pos + HEADER_LEN].try_into().unwrap());
        pos += HEADER_LEN + usize::from(h.len);
    }
}

#[test]
fn zero_filled_tail_is_a_clean_end() {
    for (lens, zeros) in [
        (vec![10usize, 300], 100usize),
        (vec![10, 300], 40 * 1024),
        (vec![40_000], 100),
        (vec![40_000], 40 * 1024),
        (vec![len_ending_at(0, B - 3)], 3),
        (vec![len_ending_at(0, B - 3)], 3 + 100),
        (vec![len_ending_at(0, B)], 40 * 1024),
        (vec![], 100),
        (vec![], 3 * BLOCK_LEN + 5),
    ] {
        let mut rng = SplitMix64::new(lens.len() as u64);
        let groups: Vec<Vec<Vec<u8>>> =
            lens.iter().map(|&n| vec![random_bytes(&mut rng, n)]).collect();
        let (_dir, path) = temp_log();
        let want = write_groups(&path, &groups);
        let end = want.last().map_or(0, |r| r.end);
        let ctx = format!("lens {lens:?} + {zeros} zeros");
        {
            let f = std::fs::OpenOptions::new().append(true).open(&path).unwrap();
            std::io::Write::write_all(&mut &f, &vec![0u8; zeros]).unwrap();
        }
        let (recs, ev) = read_all(OsFs.open(&path).unwrap(), MAX);
        assert_records(&recs, &want, &ctx);
        assert_eq!(ev, Ev::End(end), "{ctx}");
        // A non-zero byte at the very end of the zeros makes it corrupt.
        let mut bytes = std::fs::read(&path).unwrap();
        *bytes.last_mut().unwrap() = 1;
        let bad = bytes.len() as u64 - 1;
        let (recs, ev) = read_all(bytes_file(bytes), MAX);
        assert_records(&recs, &want, &ctx);
        // Reported at the trailer if the byte is in it, else at the zero header.
        let zero_header = model(end, 0).0;
        let at = if bad < zero_header { end } else { zero_header };
        assert_eq!(ev.kind(), Ev::Corrupt(at, String::new()), "{ctx}");
    }
}

#[test]
fn zero_tail_inside_an_open_record_is_torn() {
    // A record of three fragments whose LAST never made it; the space is zero-filled.
    let (_dir, path) = temp_log();
    let want = write_groups(&path, &[vec![vec![1; 10]], vec![vec![2; 50_000]]]);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.truncate(B as usize);
    bytes.resize(3 * BLOCK_LEN, 0);
    let (recs, ev) = read_all(bytes_file(bytes), MAX);
    assert_records(&recs, &want[..1], "zeroed LAST");
    assert_eq!(ev, Ev::Torn(want[1].offset));
}

#[test]
fn record_len_max_is_enforced() {
    let (_dir, path) = temp_log();
    let want = write_groups(&path, &[vec![vec![1; 100], vec![2; 40_000], vec![3; 101]]]);
    let file = || OsFs.open(&path).unwrap();
    let (recs, ev) = read_all(file(), 40_000);
    assert_records(&recs, &want, "max 40 000");
    assert_eq!(ev, Ev::End(want[2].end));
    // Fails at the LAST fragment: 40 000 bytes assembled are one too many.
    let (recs, ev) = read_all(file(), 39_999);
    assert_records(&recs, &want[..1], "max 39 999");
    assert_eq!(ev.kind(), Ev::Corrupt(want[1].offset, String::new()));
    // Fails at the FIRST fragment.
    let (recs, ev) = read_all(file(), 1000);
    assert_records(&recs, &want[..1], "max 1000");
    assert_eq!(ev.kind(), Ev::Corrupt(want[1].offset, String::new()));
    // Fails at a FULL fragment.
    let (recs, ev) = read_all(file(), 99);
    assert_records(&recs, &[], "max 99");
    assert_eq!(ev.kind(), Ev::Corrupt(0, String::new()));
}

/// One fragment with a correct checksum.
fn fragment(ty: u8, payload: &[u8]) -> Vec<u8> {
    let h = Header {
        crc: crate::util::crc::type_and_payload(ty, payload),
        len: payload.len() as u16,
        ty,
    };
    let mut v = h.encode().to_vec();
    v.extend_from_slice(payload);
    v
}

#[test]
fn malformed_fragment_sequences_are_corrupt() {
    let full = fragment(1, b"ok");
    let (first, middle, last) = (fragment(2, b"ab"), fragment(3, b"cd"), fragment(4, b"ef"));
    let (type5, type0, type0_empty) = (fragment(5, b"x"), fragment(0, b"x"), fragment(0, b""));
    let zero = [0u8; HEADER_LEN];
    let cases: Vec<(Vec<&[u8]>, u64, &str)> = vec![
        (vec![&full, &middle], 9, "MIDDLE without FIRST"),
        (vec![&full, &last], 9, "LAST without FIRST"),
        (vec![&full, &first, &full], 9, "FULL inside a record"),
        (vec![&full, &first, &middle, &first, &last], 9, "FIRST inside a record"),
        (vec![&full, &type5], 9, "type 5"),
        (vec![&full, &type0], 9, "type 0 with a valid checksum"),
        (vec![&full, &type0_empty], 9, "empty type 0 with a valid checksum"),
        (vec![&full, &zero, &full], 9, "data after a zero header"),
        (vec![&full, &first, &zero, &full], 9, "data after a zero header in a record"),
    ];
    for (parts, offset, what) in cases {
        let (recs, ev) = read_all(bytes_file(parts.concat()), MAX);
        assert_eq!(recs.len(), 1, "{what}");
        match ev {
            Ev::Corrupt(o, reason) => {
                assert_eq!(o, offset, "{what}");
                eprintln!("{what}: {reason}");
            }
            ev => panic!("{what}: {ev:?}"),
        }
    }
    // In contrast, FIRST and MIDDLE followed by the end of the file are torn, and a lone partial
    // header is torn.
    let (_, ev) = read_all(bytes_file([&full[..], &first, &middle].concat()), MAX);
    assert_eq!(ev, Ev::Torn(9));
    let (_, ev) = read_all(bytes_file([&full[..], &first[..3]].concat()), MAX);
    assert_eq!(ev, Ev::Torn(9));
    let (_, ev) = read_all(bytes_file([&full[..], &[0, 0, 0]].concat()), MAX);
    assert_eq!(ev, Ev::End(9));
}

#[test]
fn length_crossing_the_block_end() {
    // A FULL fragment at offset 0 that claims 40 000 bytes, where a block holds 32 761.
    let mut bytes = fragment(1, b"x");
    bytes[4..6].copy_from_slice(&40_000u16.to_le_bytes());
    bytes.resize(BLOCK_LEN, 0x55);
    // The file ends at the block end: the length runs past the end of the file: torn.
    let (_, ev) = read_all(bytes_file(bytes.clone()), MAX);
    assert_eq!(ev, Ev::Torn(0));
    // The file ends inside the block: torn.
    let (_, ev) = read_all(bytes_file(bytes[..1000].to_vec()), MAX);
    assert_eq!(ev, Ev::Torn(0));
    // The file goes on past the block: corrupt.
    bytes.push(0);
    let (_, ev) = read_all(bytes_file(bytes), MAX);
    assert_eq!(ev.kind(), Ev::Corrupt(0, String::new()));
}

#[test]
fn non_zero_trailer_is_corrupt() {
    let (_dir, path) = temp_log();
    let len = len_ending_at(0, B - 3);
    let want = write_groups(&path, &[vec![vec![7; len]], vec![vec![8; 10]]]);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[BLOCK_LEN - 1] = 1;
    let (recs, ev) = read_all(bytes_file(bytes), MAX);
    assert_records(&recs, &want[..1], "trailer");
    assert_eq!(ev.kind(), Ev::Corrupt(B - 3, String::new()));
}

/// A readable file that fails every `period`-th read.
#[derive(Debug)]
struct FlakyFile {
    inner: BytesFile,
    period: usize,
    reads: AtomicUsize,
}

impl ReadableFile for FlakyFile {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        if self.reads.fetch_add(1, Ordering::Relaxed) % self.period == self.period - 1 {
            return Err(io::Error::other("injected read failure"));
        }
        self.inner.read_at(buf, offset)
    }

    fn len(&self) -> io::Result<u64> {
        self.inner.len()
    }
}

#[test]
fn read_errors_are_retryable() {
    let (_dir, want, bytes) = corruption_log();
    let mut with_zeros = bytes.clone();
    with_zeros.resize(bytes.len() + 2 * BLOCK_LEN, 0);
    let clean_end = want.last().unwrap().end;
    for period in 4..9 {
        for data in [bytes.clone(), with_zeros.clone()] {
            let f = FlakyFile { inner: BytesFile::new(data), period, reads: AtomicUsize::new(0) };
            let (recs, ev) = read_all(Arc::new(f), MAX);
            assert_records(&recs, &want, "flaky");
            assert_eq!(ev, Ev::End(clean_end));
        }
    }
}

/// A writable file whose appends fail while `fail` is set.
#[derive(Debug)]
struct FailingFile {
    inner: Arc<dyn WritableFile>,
    fail: AtomicBool,
    appends: AtomicUsize,
}

impl WritableFile for FailingFile {
    fn append(&self, data: &[u8]) -> io::Result<()> {
        self.appends.fetch_add(1, Ordering::Relaxed);
        if self.fail.load(Ordering::Relaxed) {
            return Err(io::Error::other("injected append failure"));
        }
        self.inner.append(data)
    }

    fn sync(&self) -> io::Result<()> {
        self.inner.sync()
    }

    fn len(&self) -> u64 {
        self.inner.len()
    }
}

#[test]
fn one_append_per_group_and_failed_appends_leave_no_trace() {
    let (_dir, path) = temp_log();
    let file = Arc::new(FailingFile {
        inner: OsFs.create(&path).unwrap(),
        fail: AtomicBool::new(false),
        appends: AtomicUsize::new(0),
    });
    let mut w = LogWriter::new(file.clone());
    let big = vec![9u8; 70_000];
    let mut want = Vec::new();
    let a = w.add_records(&[b"one", &big, b"two"]).unwrap();
    assert_eq!(file.appends.load(Ordering::Relaxed), 1, "one append for a group");
    want.push(b"one".to_vec());
    want.push(big.clone());
    want.push(b"two".to_vec());
    // Fail a group that would have needed a trailer and new blocks: nothing may change.
    file.fail.store(true, Ordering::Relaxed);
    assert!(w.add_records(&[&big, b"lost"]).is_err());
    assert_eq!(w.len(), a);
    file.fail.store(false, Ordering::Relaxed);
    let b = w.add_records(&[b"three"]).unwrap();
    want.push(b"three".to_vec());
    assert_eq!(b, model(a, 5).1);
    assert_eq!(file.appends.load(Ordering::Relaxed), 3);
    let (recs, ev) = read_all(OsFs.open(&path).unwrap(), MAX);
    assert!(recs.iter().map(|r| &r.payload).eq(want.iter()));
    assert_eq!(ev, Ev::End(b));
}

/// The checks of the `wal_reader` fuzz target (which needs nightly), over generated inputs:
/// garbage, and sequences of well-formed fragments of random types, lengths and padding.
#[test]
fn generated_inputs_keep_the_reader_consistent() {
    let mut rng = SplitMix64::new(77);
    for case in 0..3000 {
        let mut data = Vec::new();
        if case % 4 == 0 {
            let len = below(&mut rng, 300) as usize;
            data = random_bytes(&mut rng, len);
        } else {
            while data.len() < 3 * BLOCK_LEN && below(&mut rng, 8) != 0 {
                let len = match below(&mut rng, 3) {
                    0 => below(&mut rng, 20),
                    1 => below(&mut rng, 40_000),
                    _ => (B - data.len() as u64 % B).saturating_sub(H + below(&mut rng, 8)),
                } as usize;
                let payload = random_bytes(&mut rng, len.min(FRAGMENT_PAYLOAD_MAX));
                data.extend_from_slice(&fragment(below(&mut rng, 6) as u8, &payload));
                if below(&mut rng, 4) == 0 {
                    data.resize(data.len() + below(&mut rng, 8) as usize, 0);
                }
            }
            data.truncate(below(&mut rng, data.len() as u64 + 1) as usize + data.len() / 2);
        }
        let file_len = data.len() as u64;
        let max = [MAX, 100, 40_000, 0, 32_761][case % 5];
        let mut r = LogReader::new(bytes_file(data), max);
        let mut last_end = 0;
        let terminal = loop {
            match Ev::of(r.read_record().unwrap()) {
                Ev::Rec { payload, offset, end } => {
                    assert!(payload.len() <= max);
                    assert!(last_end <= offset && offset < end && end <= file_len);
                    assert!(end - offset >= H + payload.len() as u64);
                    last_end = end;
                }
                ev @ Ev::End(offset) => {
                    assert_eq!(offset, last_end);
                    break ev;
                }
                ev @ (Ev::Torn(offset) | Ev::Corrupt(offset, _)) => {
                    assert!(last_end <= offset && offset < file_len, "case {case}: {ev:?}");
                    break ev;
                }
            }
        };
        assert_eq!(Ev::of(r.read_record().unwrap()), terminal);
    }
}
