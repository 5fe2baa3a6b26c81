//! SSTable tests through the public API (`shale_engine::sst`), on `MemFs` and `OsFs` files:
//!
//! * round trip: random internal keys (several versions per user key, puts and deletes, empty
//!   values, values up to 100 KiB) in every combination of block size (256, 4096), compression
//!   (none, zstd), bloom filter (0, 10 bits per key) and block cache (none, large); point
//!   lookups at many sequence numbers, absent keys, both iteration directions, seeks, `verify`
//!   and the properties block are checked against a sorted-vector model;
//! * damage: every single-byte flip and every truncation of small tables, directly and through a
//!   `Db`: an open or a read fails with `Corruption` (or `Io`), or answers correctly; never a
//!   wrong answer, never a panic; and every flip is detected somewhere (every byte is covered by
//!   a checksum);
//! * the bloom filter's measured false-positive rate, through `ReadStats`;
//! * the block cache's bound and hits.
//!
//! `SHALE_TEST_SEED` changes the seed of the random tables.

mod common;

use common::{env_seed, Rng};
use shale_engine::fs::{FileSystem, MemFs, OsFs};
use shale_engine::iter::InternalIterator;
use shale_engine::key::{self, trailer, ValueKind, KIND_SEEK, SEQUENCE_MAX};
use shale_engine::memtable::Lookup;
use shale_engine::sst::{
    BlockCache, Compression, ReadStats, Table, TableBuilder, TableOptions, TableProperties,
};
use shale_engine::{Db, Error, IterOptions, Options};
use std::collections::{BTreeMap, BTreeSet};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;

// ---------------------------------------------------------------------------------------------
// The model: a sorted vector of entries.
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    key: Vec<u8>,
    seq: u64,
    kind: ValueKind,
    value: Vec<u8>,
}

impl Entry {
    fn trailer(&self) -> u64 {
        trailer(self.seq, self.kind as u8)
    }

    fn encoded(&self) -> Vec<u8> {
        let mut k = Vec::new();
        key::encode_internal(&mut k, &self.key, self.trailer());
        k
    }
}

/// What a table must hold: entries in internal-key order (user key ascending, newest first).
#[derive(Debug, Clone)]
struct Model {
    entries: Vec<Entry>,
}

impl Model {
    fn new(mut entries: Vec<Entry>) -> Model {
        entries.sort_by(|a, b| key::compare(&a.key, a.trailer(), &b.key, b.trailer()));
        for w in entries.windows(2) {
            assert!(w[0].key != w[1].key || w[0].seq != w[1].seq, "model: duplicate version");
        }
        Model { entries }
    }

    /// Index of the first entry `>= (user_key, t)`.
    fn lower_bound(&self, user_key: &[u8], t: u64) -> usize {
        self.entries.partition_point(|e| key::compare(&e.key, e.trailer(), user_key, t).is_lt())
    }

    /// The newest version of `user_key` at or below `seq`.
    fn get(&self, user_key: &[u8], seq: u64) -> Option<Lookup> {
        let e = self.entries.get(self.lower_bound(user_key, trailer(seq, KIND_SEEK)))?;
        (e.key == user_key).then(|| match e.kind {
            ValueKind::Put => Lookup::Value(e.value.clone()),
            ValueKind::Delete => Lookup::Deleted,
            ValueKind::Blob => Lookup::Blob(e.value.clone()),
        })
    }

    fn user_keys(&self) -> Vec<Vec<u8>> {
        let mut out: Vec<Vec<u8>> = Vec::new();
        for e in &self.entries {
            if out.last() != Some(&e.key) {
                out.push(e.key.clone());
            }
        }
        out
    }

    /// Point lookups to try: every version's sequence and its neighbours, 0, the maximum, and
    /// keys next to the present ones (mostly absent).
    fn probes(&self, rng: &mut Rng) -> Vec<(Vec<u8>, u64)> {
        let mut out = Vec::new();
        for e in &self.entries {
            out.push((e.key.clone(), e.seq));
            out.push((e.key.clone(), e.seq + 1));
            out.push((e.key.clone(), e.seq.saturating_sub(1)));
        }
        for k in self.user_keys() {
            out.push((k.clone(), 0));
            out.push((k.clone(), SEQUENCE_MAX));
            if rng.chance(1, 3) {
                let mut longer = k.clone();
                longer.push(rng.below(256) as u8);
                out.push((longer, SEQUENCE_MAX));
                if let Some((_, shorter)) = k.split_last() {
                    out.push((shorter.to_vec(), SEQUENCE_MAX));
                }
            }
        }
        for _ in 0..100 {
            out.push((random_user_key(rng), rng.below(1 << 20)));
        }
        out.push((Vec::new(), SEQUENCE_MAX));
        out.push((vec![0xff; 40], SEQUENCE_MAX));
        out
    }
}

fn hex(b: &[u8]) -> String {
    let mut s: String = b.iter().take(24).map(|x| format!("{x:02x}")).collect();
    if b.len() > 24 {
        s.push_str(&format!("..({} bytes)", b.len()));
    }
    if s.is_empty() {
        s.push_str("<empty>");
    }
    s
}

fn show(l: &Option<Lookup>) -> String {
    match l {
        None => "None".into(),
        Some(Lookup::Deleted) => "Deleted".into(),
        Some(Lookup::Value(v)) => format!("Value({})", hex(v)),
        Some(Lookup::Blob(p)) => format!("Blob({})", hex(p)),
    }
}

const ALPHABET: [u8; 5] = [0x00, b'a', b'b', b'z', 0xff];

fn random_user_key(rng: &mut Rng) -> Vec<u8> {
    let prefixes: [&[u8]; 5] = [b"", b"k", b"user/", b"user/profile/", b"\x00\xff"];
    let mut k = rng.pick(&prefixes).to_vec();
    let len = rng.range(0, 8);
    k.extend((0..len).map(|_| *rng.pick(&ALPHABET)));
    k
}

/// A value: often empty or short, sometimes compressible, with `big_per_mille` of them 10 to
/// 100 KiB (so that a block holding one is far larger than the block size).
fn random_value(rng: &mut Rng, big_per_mille: u64) -> Vec<u8> {
    let len = if rng.chance(big_per_mille, 1000) {
        rng.range(10 << 10, 100 << 10)
    } else if rng.chance(1, 8) {
        0
    } else {
        rng.range(1, 200)
    };
    if rng.chance(1, 2) {
        rng.bytes(len)
    } else {
        // Compressible: a short random pattern repeated.
        let plen = rng.range(1, 8);
        let pat = rng.bytes(plen);
        pat.iter().copied().cycle().take(len).collect()
    }
}

/// About `user_keys` distinct user keys, 1 to 4 versions each (distinct sequence numbers), a
/// fifth of them deletes.
fn random_model(rng: &mut Rng, user_keys: usize, big_per_mille: u64) -> Model {
    let mut keys = BTreeSet::new();
    for _ in 0..user_keys * 4 {
        if keys.len() >= user_keys {
            break;
        }
        keys.insert(random_user_key(rng));
    }
    let mut entries = Vec::new();
    for k in keys {
        let versions = match rng.below(10) {
            0..=5 => 1,
            6..=7 => 2,
            8 => 3,
            _ => 4,
        };
        let mut seqs = BTreeSet::new();
        while seqs.len() < versions {
            seqs.insert(rng.range(1, 100_000) as u64);
        }
        for seq in seqs {
            let (kind, value) = if rng.chance(1, 5) {
                // A tombstone; the table stores whatever value it is given.
                (ValueKind::Delete, if rng.chance(1, 10) { rng.bytes(3) } else { Vec::new() })
            } else {
                (ValueKind::Put, random_value(rng, big_per_mille))
            };
            entries.push(Entry { key: k.clone(), seq, kind, value });
        }
    }
    Model::new(entries)
}

// ---------------------------------------------------------------------------------------------
// Building and opening tables.
// ---------------------------------------------------------------------------------------------

fn topts(block_size: usize, compression: Compression, bloom: u32) -> TableOptions {
    TableOptions { block_size, compression, bloom_bits_per_key: bloom, ..TableOptions::default() }
}

fn build(
    fs: &dyn FileSystem,
    path: &Path,
    opts: TableOptions,
    keyspace: u32,
    m: &Model,
) -> (TableProperties, u64) {
    let file = fs.create(path).expect("create table file");
    let mut b = TableBuilder::new(file, opts, keyspace);
    for e in &m.entries {
        b.add(&e.key, e.trailer(), &e.value).expect("add");
    }
    assert_eq!(b.entries(), m.entries.len() as u64);
    let (props, size) = b.finish().expect("finish");
    assert_eq!(fs.open(path).expect("open").len().expect("len"), size, "finish's size");
    (props, size)
}

fn open(
    fs: &dyn FileSystem,
    path: &Path,
    number: u64,
    size: u64,
    cache: Option<Arc<BlockCache>>,
    stats: &Arc<ReadStats>,
) -> shale_engine::Result<Arc<Table>> {
    let file = fs.open(path)?;
    Table::open(file, number, size, cache, Arc::clone(stats)).map(Arc::new)
}

fn at(it: &TableItem) -> Option<(Vec<u8>, u64, Vec<u8>)> {
    it.valid().then(|| (it.user_key().to_vec(), it.trailer(), it.value().to_vec()))
}

type TableItem = shale_engine::sst::TableIter;

fn model_at(m: &Model, i: usize) -> Option<(Vec<u8>, u64, Vec<u8>)> {
    m.entries.get(i).map(|e| (e.key.clone(), e.trailer(), e.value.clone()))
}

fn check_props(p: &TableProperties, m: &Model, opts: &TableOptions, keyspace: u32, ctx: &str) {
    let es = &m.entries;
    assert_eq!(p.entries, es.len() as u64, "{ctx}: entries");
    let dels = es.iter().filter(|e| e.kind == ValueKind::Delete).count() as u64;
    assert_eq!(p.deletions, dels, "{ctx}: deletions");
    assert_eq!(p.smallest_key, es[0].encoded(), "{ctx}: smallest key");
    assert_eq!(p.largest_key, es[es.len() - 1].encoded(), "{ctx}: largest key");
    assert_eq!(p.smallest_seq, es.iter().map(|e| e.seq).min().unwrap(), "{ctx}: smallest seq");
    assert_eq!(p.largest_seq, es.iter().map(|e| e.seq).max().unwrap(), "{ctx}: largest seq");
    let raw_keys: u64 = es.iter().map(|e| e.key.len() as u64 + 8).sum();
    assert_eq!(p.raw_key_bytes, raw_keys, "{ctx}: raw key bytes");
    let raw_values: u64 = es.iter().map(|e| e.value.len() as u64).sum();
    assert_eq!(p.raw_value_bytes, raw_values, "{ctx}: raw value bytes");
    assert_eq!(p.compression, opts.compression, "{ctx}: compression");
    assert_eq!(p.filter_bits_per_key, opts.bloom_bits_per_key, "{ctx}: bloom bits");
    assert_eq!(p.keyspace, keyspace, "{ctx}: keyspace");
    // Blocks are cut once they reach the block size: at least (raw bytes / (block size + the
    // largest entry)) of them, and never more than one per entry.
    let largest = es.iter().map(|e| e.key.len() + e.value.len() + 8 + 15).max().unwrap();
    let raw = raw_keys + raw_values;
    let min_blocks = raw / (opts.block_size + largest) as u64;
    assert!(
        p.data_blocks >= min_blocks.max(1) && p.data_blocks <= p.entries,
        "{ctx}: {} data blocks for {} raw bytes",
        p.data_blocks,
        raw
    );
}

/// Every check of a healthy table against its model.
fn check_table(t: &Arc<Table>, m: &Model, rng: &mut Rng, ctx: &str) {
    // Point lookups.
    for (k, seq) in m.probes(rng) {
        let got = t.get(&k, seq).unwrap_or_else(|e| panic!("{ctx}: get {} @{seq}: {e}", hex(&k)));
        let want = m.get(&k, seq);
        assert!(
            got == want,
            "{ctx}: get {} @{seq}: got {}, want {}",
            hex(&k),
            show(&got),
            show(&want)
        );
    }
    if t.properties().filter_bits_per_key > 0 {
        for k in m.user_keys() {
            assert!(t.may_contain(&k), "{ctx}: bloom false negative for {}", hex(&k));
        }
    }
    // Forward and backward.
    let mut it = t.iter();
    it.seek_to_first();
    let mut i = 0;
    while let Some(got) = at(&it) {
        assert_eq!(Some(got), model_at(m, i), "{ctx}: forward item {i}");
        i += 1;
        it.next();
    }
    it.status().unwrap_or_else(|e| panic!("{ctx}: forward status: {e}"));
    assert_eq!(i, m.entries.len(), "{ctx}: forward count");
    it.seek_to_last();
    let mut i = m.entries.len();
    while let Some(got) = at(&it) {
        i -= 1;
        assert_eq!(Some(got), model_at(m, i), "{ctx}: backward item {i}");
        it.prev();
    }
    it.status().unwrap_or_else(|e| panic!("{ctx}: backward status: {e}"));
    assert_eq!(i, 0, "{ctx}: backward count");
    // Seeks to random targets: existing keys at random sequences and kinds, neighbours, others.
    let users = m.user_keys();
    for round in 0..600 {
        let (k, t_) = match rng.below(4) {
            0 => {
                let e = rng.pick(&m.entries);
                (e.key.clone(), e.trailer())
            }
            1 => (rng.pick(&users).clone(), trailer(rng.below(100_002), KIND_SEEK)),
            2 => {
                let mut k = rng.pick(&users).clone();
                k.push(*rng.pick(&ALPHABET));
                (k, rng.next_u64())
            }
            _ => (random_user_key(rng), rng.next_u64()),
        };
        let lb = m.lower_bound(&k, t_);
        it.seek(&k, t_);
        assert_eq!(at(&it), model_at(m, lb), "{ctx}: seek {} {t_:#x} (round {round})", hex(&k));
        // A few steps either way from there.
        let mut pos = lb as isize;
        for _ in 0..4 {
            if !it.valid() {
                break;
            }
            if rng.chance(1, 2) {
                it.next();
                pos += 1;
            } else {
                it.prev();
                pos -= 1;
            }
            let want = usize::try_from(pos).ok().and_then(|p| model_at(m, p));
            assert_eq!(at(&it), want, "{ctx}: step after seek {} (round {round})", hex(&k));
        }
        it.seek_lt(&k, t_);
        let want = lb.checked_sub(1).and_then(|i| model_at(m, i));
        assert_eq!(at(&it), want, "{ctx}: seek_lt {} {t_:#x} (round {round})", hex(&k));
        it.status().unwrap_or_else(|e| panic!("{ctx}: seek status: {e}"));
    }
    assert_eq!(t.verify().expect("verify"), m.entries.len() as u64, "{ctx}: verify count");
}

#[test]
fn round_trip_every_option_combination() {
    let seed = env_seed(0x5575_0001);
    eprintln!("seed {seed:#x}");
    let mut rng = Rng::new(seed);
    let fs = MemFs::new();
    fs.create_dir_all(Path::new("/t")).unwrap();
    let m = random_model(&mut rng, 1200, 12);
    let big = m.entries.iter().filter(|e| e.value.len() > 10 << 10).count();
    assert!(big > 3, "some values are large ({big})");
    let mut number = 0;
    for block_size in [256, 4096] {
        for compression in [Compression::None, Compression::Zstd] {
            for bloom in [0, 10] {
                number += 1;
                let opts = topts(block_size, compression, bloom);
                let path = PathBuf::from(format!("/t/{number:06}.sst"));
                let (props, size) = build(&fs, &path, opts, 3, &m);
                let ctx =
                    format!("seed {seed:#x} block {block_size} {compression:?} bloom {bloom}");
                check_props(&props, &m, &opts, 3, &ctx);
                for cached in [false, true] {
                    let ctx = format!("{ctx} cache {cached}");
                    let cache = cached.then(|| Arc::new(BlockCache::new(64 << 20, 16)));
                    let stats = Arc::new(ReadStats::default());
                    let t = open(&fs, &path, number, size, cache.clone(), &stats).expect("open");
                    // Open reads the index, the properties and (if any) the filter.
                    let meta_blocks = if bloom > 0 { 3 } else { 2 };
                    assert_eq!(stats.blocks_read.load(Ordering::Relaxed), meta_blocks, "{ctx}");
                    assert_eq!(t.properties(), &props, "{ctx}: properties read back");
                    assert_eq!((t.number(), t.size()), (number, size), "{ctx}");
                    check_table(&t, &m, &mut rng, &ctx);
                    if let Some(c) = &cache {
                        assert!(c.usage() <= c.capacity(), "{ctx}: cache usage");
                        assert_eq!(c.len() as u64, props.data_blocks, "{ctx}: every block cached");
                    }
                }
                if compression == Compression::Zstd {
                    let raw = props.raw_key_bytes + props.raw_value_bytes;
                    assert!(props.data_bytes < raw, "{ctx}: zstd shrinks the data");
                }
            }
        }
    }
}

#[test]
fn round_trip_osfs() {
    let seed = env_seed(0x5575_0002);
    let mut rng = Rng::new(seed);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("000009.sst");
    let m = random_model(&mut rng, 600, 10);
    let opts = TableOptions::default();
    let (props, size) = build(&OsFs, &path, opts, 0, &m);
    check_props(&props, &m, &opts, 0, "osfs");
    let stats = Arc::new(ReadStats::default());
    let t = open(&OsFs, &path, 9, size, None, &stats).unwrap();
    check_table(&t, &m, &mut rng, &format!("osfs seed {seed:#x}"));
}

#[test]
fn edge_tables_empty_single_and_one_key_many_versions() {
    let fs = MemFs::new();
    fs.create_dir_all(Path::new("/t")).unwrap();
    let stats = Arc::new(ReadStats::default());
    let mut rng = Rng::new(1);
    // Empty table.
    let (props, size) = build(
        &fs,
        Path::new("/t/1.sst"),
        TableOptions::default(),
        0,
        &Model { entries: Vec::new() },
    );
    assert_eq!((props.entries, props.data_blocks, props.smallest_seq), (0, 0, 0));
    let t = open(&fs, Path::new("/t/1.sst"), 1, size, None, &stats).unwrap();
    assert_eq!(t.get(b"", SEQUENCE_MAX).unwrap(), None);
    assert_eq!(t.get(b"a", SEQUENCE_MAX).unwrap(), None);
    let mut it = t.iter();
    it.seek_to_first();
    assert!(!it.valid());
    it.seek_to_last();
    assert!(!it.valid());
    it.seek(b"a", u64::MAX);
    assert!(!it.valid());
    it.seek_lt(b"a", 0);
    assert!(!it.valid());
    it.status().unwrap();
    assert_eq!(t.verify().unwrap(), 0);
    // One entry, the empty user key.
    let one = Model::new(vec![Entry {
        key: Vec::new(),
        seq: 5,
        kind: ValueKind::Put,
        value: b"v".to_vec(),
    }]);
    let (_, size) = build(&fs, Path::new("/t/2.sst"), TableOptions::default(), 0, &one);
    let t = open(&fs, Path::new("/t/2.sst"), 2, size, None, &stats).unwrap();
    check_table(&t, &one, &mut rng, "single entry");
    // One user key, 2000 versions across many tiny blocks (a lookup must find the right block
    // among several ending with the same user key).
    let many = Model::new(
        (1..=2000u64)
            .map(|s| Entry {
                key: b"hot".to_vec(),
                seq: s * 3,
                kind: if s % 7 == 0 { ValueKind::Delete } else { ValueKind::Put },
                value: if s % 7 == 0 { Vec::new() } else { s.to_le_bytes().to_vec() },
            })
            .collect(),
    );
    let opts = topts(128, Compression::Zstd, 10);
    let (props, size) = build(&fs, Path::new("/t/3.sst"), opts, 0, &many);
    assert!(props.data_blocks > 20, "{} blocks", props.data_blocks);
    let t = open(&fs, Path::new("/t/3.sst"), 3, size, None, &stats).unwrap();
    check_table(&t, &many, &mut rng, "one key, many versions");
}

#[test]
fn builder_refuses_out_of_order_and_duplicate_entries() {
    let fs = MemFs::new();
    let mut b =
        TableBuilder::new(fs.create(Path::new("/x.sst")).unwrap(), TableOptions::default(), 0);
    b.add(b"b", trailer(5, 1), b"v").unwrap();
    for (k, s) in [(&b"b"[..], 5), (b"b", 6), (b"a", 1)] {
        match b.add(k, trailer(s, 1), b"v") {
            Err(Error::InvalidArgument(_)) => {}
            other => panic!("add {k:?}@{s} after b@5: {other:?}"),
        }
    }
    b.add(b"b", trailer(4, 2), b"").unwrap();
    b.add(b"c", trailer(9, 1), b"").unwrap();
    assert_eq!(b.entries(), 3);
}

// ---------------------------------------------------------------------------------------------
// Damage: bit flips and truncations.
// ---------------------------------------------------------------------------------------------

fn acceptable(e: &Error) -> bool {
    e.is_corruption() || matches!(e, Error::Io(_))
}

/// Reads a possibly damaged table in every way and checks that every answer is right or an
/// error. `Ok(true)`: the damage was detected (an open or a read failed).
fn check_damaged(
    fs: &MemFs,
    path: &Path,
    size: u64,
    m: &Model,
    probes: &[(Vec<u8>, u64)],
) -> Result<bool, String> {
    let stats = Arc::new(ReadStats::default());
    let t = match open(fs, path, 1, size, None, &stats) {
        Ok(t) => t,
        Err(e) if e.is_corruption() => return Ok(true),
        Err(e) => return Err(format!("open failed with a non-corruption error: {e}")),
    };
    let mut detected = false;
    for (k, seq) in probes {
        match t.get(k, *seq) {
            Ok(got) => {
                let want = m.get(k, *seq);
                if got != want {
                    return Err(format!(
                        "get {} @{seq}: WRONG ANSWER {}, want {}",
                        hex(k),
                        show(&got),
                        show(&want)
                    ));
                }
            }
            Err(e) if acceptable(&e) => detected = true,
            Err(e) => return Err(format!("get {} @{seq}: unexpected error {e}", hex(k))),
        }
    }
    let mut it = t.iter();
    it.seek_to_first();
    let mut i = 0;
    while let Some(got) = at(&it) {
        if Some(&got) != model_at(m, i).as_ref() {
            return Err(format!("forward item {i}: WRONG ENTRY {}", hex(&got.0)));
        }
        i += 1;
        it.next();
    }
    match it.status() {
        Ok(()) if i != m.entries.len() => {
            return Err(format!(
                "forward iteration stopped at {i} of {} without error",
                m.entries.len()
            ))
        }
        Ok(()) => {}
        Err(e) if acceptable(&e) => detected = true,
        Err(e) => return Err(format!("forward iteration: unexpected error {e}")),
    }
    it.seek_to_last();
    let mut i = m.entries.len();
    while let Some(got) = at(&it) {
        if i == 0 {
            return Err("backward iteration yields more entries than the table holds".into());
        }
        i -= 1;
        if Some(&got) != model_at(m, i).as_ref() {
            return Err(format!("backward item {i}: WRONG ENTRY {}", hex(&got.0)));
        }
        it.prev();
    }
    match it.status() {
        Ok(()) if i != 0 => return Err(format!("backward iteration stopped at {i} without error")),
        Ok(()) => {}
        Err(e) if acceptable(&e) => detected = true,
        Err(e) => return Err(format!("backward iteration: unexpected error {e}")),
    }
    match t.verify() {
        Ok(n) if n == m.entries.len() as u64 => {}
        Ok(n) => return Err(format!("verify counts {n} entries, want {}", m.entries.len())),
        Err(e) if acceptable(&e) => detected = true,
        Err(e) => return Err(format!("verify: unexpected error {e}")),
    }
    Ok(detected)
}

/// A small table of several blocks, with compressible values (so zstd blocks are compressed).
fn small_model(rng: &mut Rng) -> Model {
    let mut entries = Vec::new();
    for i in 0..40u64 {
        let key = format!("key{:03}", i * 7).into_bytes();
        let versions = 1 + (i % 3);
        for v in 0..versions {
            let seq = 1000 - i * 10 - v;
            let del = (i + v) % 5 == 4;
            let value = if del {
                Vec::new()
            } else {
                let n = rng.range(0, 60);
                std::iter::repeat_n(b'a' + (i % 26) as u8, n).collect()
            };
            entries.push(Entry {
                key: key.clone(),
                seq,
                kind: if del { ValueKind::Delete } else { ValueKind::Put },
                value,
            });
        }
    }
    Model::new(entries)
}

fn flip_sweep(compression: Compression) {
    let mut rng = Rng::new(0xF11B);
    let fs = MemFs::new();
    fs.create_dir_all(Path::new("/t")).unwrap();
    let path = Path::new("/t/000001.sst");
    let m = small_model(&mut rng);
    let (props, size) = build(&fs, path, topts(256, compression, 10), 0, &m);
    assert!(props.data_blocks >= 4, "{} data blocks", props.data_blocks);
    let original = fs.file_bytes(path).unwrap();
    let probes = m.probes(&mut rng);
    assert_eq!(check_damaged(&fs, path, size, &m, &probes), Ok(false), "pristine table");
    let mut flips = 0;
    let mut undetected = Vec::new();
    for pos in 0..original.len() {
        let masks: &[u8] = if pos % 5 == 0 { &[0x01, 0x80, 0xff] } else { &[0x01, 0x80] };
        for &mask in masks {
            let mut b = original.clone();
            b[pos] ^= mask;
            fs.set_file_bytes(path, &b).unwrap();
            let r = catch_unwind(AssertUnwindSafe(|| check_damaged(&fs, path, size, &m, &probes)));
            let ctx = format!("{compression:?} table of {size} bytes, byte {pos} ^ {mask:#04x}");
            match r {
                Err(_) => panic!("{ctx}: PANIC while reading"),
                Ok(Err(msg)) => panic!("{ctx}: {msg}"),
                Ok(Ok(false)) => undetected.push((pos, mask)),
                Ok(Ok(true)) => {}
            }
            flips += 1;
        }
    }
    eprintln!(
        "{compression:?}: {flips} flips of a {size}-byte table, {} undetected",
        undetected.len()
    );
    // Every byte is under a checksum (block trailers, footer crc and magic): no flip goes unseen.
    assert!(undetected.is_empty(), "{compression:?}: undetected flips (pos, mask): {undetected:?}");
}

#[test]
fn bit_flip_sweep_none() {
    flip_sweep(Compression::None);
}

#[test]
fn bit_flip_sweep_zstd() {
    flip_sweep(Compression::Zstd);
}

#[test]
fn truncated_tables_are_corruption() {
    let mut rng = Rng::new(0x7C);
    let fs = MemFs::new();
    fs.create_dir_all(Path::new("/t")).unwrap();
    let path = Path::new("/t/000001.sst");
    let m = small_model(&mut rng);
    for compression in [Compression::None, Compression::Zstd] {
        let (_, size) = build(&fs, path, topts(256, compression, 10), 0, &m);
        let original = fs.file_bytes(path).unwrap();
        let probes = m.probes(&mut rng);
        let stats = Arc::new(ReadStats::default());
        for cut in 0..original.len() {
            fs.set_file_bytes(path, &original[..cut]).unwrap();
            let ctx = format!("{compression:?} table cut to {cut} of {size} bytes");
            // The size the file has now, and the size a manifest recorded (the file shrank).
            for claimed in [cut as u64, size] {
                let r =
                    catch_unwind(AssertUnwindSafe(|| open(&fs, path, 1, claimed, None, &stats)));
                match r {
                    Err(_) => panic!("{ctx}, size {claimed}: PANIC in open"),
                    Ok(Err(e)) if e.is_corruption() => {}
                    Ok(Err(e)) => panic!("{ctx}, size {claimed}: open: {e} (want Corruption)"),
                    Ok(Ok(_)) => {
                        // Should not happen (the footer's magic is gone), but if it does, no
                        // read may answer wrongly.
                        let r = catch_unwind(AssertUnwindSafe(|| {
                            check_damaged(&fs, path, claimed, &m, &probes)
                        }));
                        match r {
                            Ok(Ok(true)) => {}
                            other => panic!("{ctx}, size {claimed}: opened, then {other:?}"),
                        }
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Through a database.
// ---------------------------------------------------------------------------------------------

fn table_files(fs: &dyn FileSystem, dir: &Path) -> Vec<String> {
    fs.list(dir)
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

/// What a database read of the damaged table gave: `Ok(true)` when an error showed.
fn check_db_damaged(
    db: &Db,
    model: &BTreeMap<Vec<u8>, Vec<u8>>,
    probes: &[Vec<u8>],
) -> Result<bool, String> {
    let ks = db.default_keyspace();
    let mut detected = false;
    for k in probes {
        match db.get(&ks, k) {
            Ok(got) if got.as_ref() == model.get(k) => {}
            Ok(got) => {
                return Err(format!(
                    "get {}: WRONG ANSWER {:?}, want {:?}",
                    hex(k),
                    got.as_deref().map(hex),
                    model.get(k).map(|v| hex(v))
                ))
            }
            Err(e) if acceptable(&e) => detected = true,
            Err(e) => return Err(format!("get {}: unexpected error {e}", hex(k))),
        }
    }
    for reverse in [false, true] {
        let mut want: Vec<(&Vec<u8>, &Vec<u8>)> = model.iter().collect();
        if reverse {
            want.reverse();
        }
        let it = match db.iter(&ks, IterOptions { reverse, ..IterOptions::all() }) {
            Ok(it) => it,
            Err(e) if acceptable(&e) => {
                detected = true;
                continue;
            }
            Err(e) => return Err(format!("iter: unexpected error {e}")),
        };
        let mut i = 0;
        let mut failed = false;
        for item in it {
            match item {
                Ok((k, v)) => {
                    if want.get(i) != Some(&(&k, &v)) {
                        return Err(format!(
                            "iter (reverse {reverse}) item {i}: WRONG ENTRY {}",
                            hex(&k)
                        ));
                    }
                    i += 1;
                }
                Err(e) if acceptable(&e) => {
                    detected = true;
                    failed = true;
                    break;
                }
                Err(e) => return Err(format!("iter: unexpected error {e}")),
            }
        }
        if !failed && i != want.len() {
            return Err(format!(
                "iter (reverse {reverse}) ended at {i} of {} without error",
                want.len()
            ));
        }
    }
    Ok(detected)
}

#[test]
fn db_reads_of_a_damaged_table_are_right_or_errors() {
    let fs = MemFs::new();
    let dir = Path::new("/db");
    let opts = Options {
        fs: Arc::new(fs.clone()),
        table: topts(256, Compression::Zstd, 10),
        background_flush: false,
        ..Options::default()
    };
    let mut rng = Rng::new(0xDB);
    let mut model = BTreeMap::new();
    let mut probes = Vec::new();
    {
        let db = Db::open(dir, opts.clone()).unwrap();
        let ks = db.default_keyspace();
        for i in 0..120u64 {
            let k = format!("k{:03}", rng.below(60)).into_bytes();
            if rng.chance(1, 5) {
                db.delete(&ks, &k).unwrap();
                model.remove(&k);
            } else {
                let v: Vec<u8> =
                    std::iter::repeat_n(b'a' + (i % 26) as u8, rng.range(0, 40)).collect();
                db.put(&ks, &k, &v).unwrap();
                model.insert(k.clone(), v);
            }
            probes.push(k);
        }
        db.flush().unwrap();
        db.close().unwrap();
    }
    probes.sort();
    probes.dedup();
    probes.push(b"k".to_vec());
    probes.push(b"zzz".to_vec());
    let names = table_files(&fs, dir);
    assert_eq!(names.len(), 1, "one table after the flush: {names:?}");
    let path = dir.join(&names[0]);
    let original = fs.file_bytes(&path).unwrap();
    let mut undetected = Vec::new();
    let mut flips = 0;
    for pos in 0..original.len() {
        let masks: &[u8] = if pos % 2 == 0 { &[0x01, 0x80] } else { &[0x01] };
        for &mask in masks {
            let mut b = original.clone();
            b[pos] ^= mask;
            fs.set_file_bytes(&path, &b).unwrap();
            let ctx = format!("table {} of {} bytes, byte {pos} ^ {mask:#04x}", names[0], b.len());
            let r = catch_unwind(AssertUnwindSafe(|| {
                // Opening reads no table: it must succeed; the reads find the damage.
                let db = Db::open(dir, opts.clone()).map_err(|e| format!("reopen failed: {e}"))?;
                check_db_damaged(&db, &model, &probes)
            }));
            match r {
                Err(_) => panic!("{ctx}: PANIC"),
                Ok(Err(msg)) => panic!("{ctx}: {msg}"),
                Ok(Ok(false)) => undetected.push((pos, mask)),
                Ok(Ok(true)) => {}
            }
            flips += 1;
        }
    }
    eprintln!(
        "db: {flips} flips of a {}-byte table, {} undetected",
        original.len(),
        undetected.len()
    );
    assert!(undetected.is_empty(), "undetected flips (pos, mask): {undetected:?}");
    // Repaired, everything reads back.
    fs.set_file_bytes(&path, &original).unwrap();
    let db = Db::open(dir, opts).unwrap();
    assert_eq!(check_db_damaged(&db, &model, &probes), Ok(false));
}

// ---------------------------------------------------------------------------------------------
// Bloom filter and block cache.
// ---------------------------------------------------------------------------------------------

fn seq_key(stream: u64, i: u64) -> Vec<u8> {
    let mut r = Rng::new(stream.wrapping_mul(0x1_0000_0001) ^ i);
    let mut k = r.bytes(16);
    k[0] = stream as u8; // Disjoint streams: the first byte tells them apart.
    k
}

#[test]
fn bloom_false_positive_rate_through_table_get() {
    const N: u64 = 100_000;
    let fs = MemFs::new();
    fs.create_dir_all(Path::new("/t")).unwrap();
    let path = Path::new("/t/000001.sst");
    let m = Model::new(
        (0..N)
            .map(|i| Entry {
                key: seq_key(1, i),
                seq: i + 1,
                kind: ValueKind::Put,
                value: vec![7; 8],
            })
            .collect(),
    );
    let (props, size) = build(&fs, path, topts(4096, Compression::None, 10), 0, &m);
    let stats = Arc::new(ReadStats::default());
    let t = open(&fs, path, 1, size, None, &stats).unwrap();
    let after_open = stats.blocks_read.load(Ordering::Relaxed);
    for i in 0..N {
        assert_eq!(t.get(&seq_key(2, i), SEQUENCE_MAX).unwrap(), None);
    }
    let checks = stats.bloom_checks.load(Ordering::Relaxed);
    let negatives = stats.bloom_negatives.load(Ordering::Relaxed);
    let fps = stats.bloom_false_positives.load(Ordering::Relaxed);
    let blocks = stats.blocks_read.load(Ordering::Relaxed) - after_open;
    assert_eq!(checks, N);
    assert_eq!(negatives + fps, N, "every absent key is a negative or a false positive");
    assert!(blocks <= fps, "only false positives read a data block ({blocks} > {fps})");
    let rate = fps as f64 / N as f64;
    let k = 7.0; // round(10 ln 2)
    let theory = (1.0 - (-k / 10.0f64).exp()).powf(k);
    eprintln!(
        "bloom 10 bits/key over {N} keys ({} data blocks): {fps} false positives in {N} absent \
         probes = {:.3}% (theory {:.3}%)",
        props.data_blocks,
        rate * 100.0,
        theory * 100.0
    );
    assert!(rate < theory * 2.0 && rate > theory / 2.0, "fp rate {rate} vs theory {theory}");
    // Present keys: never filtered out.
    for i in (0..N).step_by(97) {
        assert_eq!(t.get(&seq_key(1, i), SEQUENCE_MAX).unwrap(), Some(Lookup::Value(vec![7; 8])));
    }
    assert_eq!(stats.bloom_negatives.load(Ordering::Relaxed), negatives, "false negative");
}

#[test]
fn block_cache_bounds_and_hits() {
    let mut rng = Rng::new(0xCAC4E);
    let fs = MemFs::new();
    fs.create_dir_all(Path::new("/t")).unwrap();
    let path = Path::new("/t/000004.sst");
    let m = random_model(&mut rng, 1500, 0);
    let (props, size) = build(&fs, path, topts(1024, Compression::Zstd, 10), 0, &m);
    assert!(props.data_blocks > 20);
    let full_read = |t: &Arc<Table>| {
        let mut it = t.iter();
        it.seek_to_first();
        let mut n = 0;
        while it.valid() {
            n += 1;
            it.next();
        }
        it.status().unwrap();
        assert_eq!(n, m.entries.len());
    };
    // Tiny: 4 KiB in one shard holds a few blocks; usage never passes the capacity.
    let tiny = Arc::new(BlockCache::new(4 << 10, 1));
    let stats = Arc::new(ReadStats::default());
    let t = open(&fs, path, 4, size, Some(Arc::clone(&tiny)), &stats).unwrap();
    let mut it = t.iter();
    it.seek_to_first();
    while it.valid() {
        assert!(tiny.usage() <= tiny.capacity(), "usage {} > {}", tiny.usage(), tiny.capacity());
        it.next();
    }
    for (k, seq) in m.probes(&mut rng) {
        assert_eq!(t.get(&k, seq).unwrap(), m.get(&k, seq));
        assert!(tiny.usage() <= tiny.capacity());
    }
    assert!(tiny.stats().evictions > 0, "the tiny cache evicts");
    // Large: the second full read hits the cache for every block.
    let large = Arc::new(BlockCache::new(64 << 20, 16));
    let stats = Arc::new(ReadStats::default());
    let t = open(&fs, path, 4, size, Some(Arc::clone(&large)), &stats).unwrap();
    let opened = stats.blocks_read.load(Ordering::Relaxed);
    full_read(&t);
    let first = stats.blocks_read.load(Ordering::Relaxed) - opened;
    assert_eq!(first, props.data_blocks, "the first read reads every data block once");
    let hits = large.stats().hits;
    full_read(&t);
    for (k, seq) in m.probes(&mut rng) {
        assert_eq!(t.get(&k, seq).unwrap(), m.get(&k, seq));
    }
    assert_eq!(stats.blocks_read.load(Ordering::Relaxed) - opened, first, "no block read again");
    assert!(large.stats().hits >= hits + props.data_blocks, "second read hits the cache");
    assert!(large.usage() <= large.capacity());
    // A second table sharing the cache does not see the first one's blocks (keyed by number).
    let stats2 = Arc::new(ReadStats::default());
    let t2 = open(&fs, path, 5, size, Some(Arc::clone(&large)), &stats2).unwrap();
    let opened2 = stats2.blocks_read.load(Ordering::Relaxed);
    full_read(&t2);
    assert_eq!(stats2.blocks_read.load(Ordering::Relaxed) - opened2, props.data_blocks);
    // Without a cache, every read reads its block.
    let stats3 = Arc::new(ReadStats::default());
    let t3 = open(&fs, path, 6, size, None, &stats3).unwrap();
    let opened3 = stats3.blocks_read.load(Ordering::Relaxed);
    full_read(&t3);
    full_read(&t3);
    assert_eq!(
        stats3.blocks_read.load(Ordering::Relaxed) - opened3,
        2 * props.data_blocks,
        "uncached reads"
    );
}

/// Threads reading one table through a tiny shared cache (blocks evicted and reloaded under
/// them) all get the right answers, and the cache stays within its capacity.
#[test]
fn concurrent_readers_share_a_tiny_cache() {
    let mut rng = Rng::new(0xC0C0);
    let fs = MemFs::new();
    fs.create_dir_all(Path::new("/t")).unwrap();
    let path = Path::new("/t/000008.sst");
    let m = random_model(&mut rng, 800, 2);
    let (_, size) = build(&fs, path, topts(512, Compression::Zstd, 10), 0, &m);
    let cache = Arc::new(BlockCache::new(8 << 10, 4));
    let stats = Arc::new(ReadStats::default());
    let t = open(&fs, path, 8, size, Some(Arc::clone(&cache)), &stats).unwrap();
    let probes = m.probes(&mut rng);
    std::thread::scope(|s| {
        for th in 0..4usize {
            let (t, m, probes, cache) = (&t, &m, &probes, &cache);
            s.spawn(move || {
                for (k, seq) in probes.iter().skip(th).step_by(2) {
                    let got = t.get(k, *seq).unwrap();
                    assert!(got == m.get(k, *seq), "thread {th}: get {} @{seq}", hex(k));
                }
                let mut it = t.iter();
                it.seek_to_first();
                let mut i = 0;
                while let Some(got) = at(&it) {
                    assert_eq!(Some(got), model_at(m, i), "thread {th}: item {i}");
                    i += 1;
                    it.next();
                }
                it.status().unwrap();
                assert_eq!(i, m.entries.len());
                assert!(cache.usage() <= cache.capacity());
            });
        }
    });
    assert!(cache.usage() <= cache.capacity(), "{} > {}", cache.usage(), cache.capacity());
    assert!(cache.stats().evictions > 0 && cache.stats().hits > 0, "{:?}", cache.stats());
}
