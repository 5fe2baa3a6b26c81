//! SSTable benchmarks: building 4 KiB data blocks of 16-byte user keys and 100-byte values,
//! iterating over and seeking in such a block, bloom filter probes (hit and miss) at 10 bits per
//! key over 1 000 000 keys, and point lookups in a whole table of 100 000 such entries (default
//! table options: 4 KiB blocks, zstd, 10 bloom bits per key) with its blocks in the block cache
//! or read from the file each time.
//!
//! `cargo bench -p shale-engine --bench sst` (`-- --quick get` for the table lookups only)

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use shale_engine::fs::{FileSystem, OsFs};
use shale_engine::iter::InternalIterator;
use shale_engine::key::SEQUENCE_MAX;
use shale_engine::key::{encode_internal, trailer, ValueKind};
use shale_engine::memtable::Lookup;
use shale_engine::sst::block::{Block, BlockBuilder, DEFAULT_RESTART_INTERVAL};
use shale_engine::sst::filter::{BloomBuilder, BloomFilter};
use shale_engine::sst::{BlockCache, ReadStats, Table, TableBuilder, TableOptions};
use std::sync::Arc;

mod common;
use common::{key, mix};
use std::time::Duration;

const VALUE: [u8; 100] = [0x5a; 100];
const BLOCK_LEN: usize = 4096;
const BLOOM_KEYS: u64 = 1_000_000;

/// `n` sorted, distinct encoded internal keys.
fn sorted_ikeys(n: u64) -> Vec<Vec<u8>> {
    let mut users: Vec<[u8; 16]> = (0..n).map(|i| key(1, i)).collect();
    users.sort_unstable();
    users.dedup();
    users
        .iter()
        .enumerate()
        .map(|(i, u)| {
            let mut k = Vec::with_capacity(24);
            encode_internal(&mut k, u, trailer(i as u64 + 1, ValueKind::Put as u8));
            k
        })
        .collect()
}

/// Adds keys from `keys[start..]` until the block reaches `BLOCK_LEN`; returns how many.
fn fill(b: &mut BlockBuilder, keys: &[Vec<u8>], start: usize) -> usize {
    let mut n = 0;
    for k in keys.iter().skip(start) {
        if b.estimated_len() >= BLOCK_LEN {
            break;
        }
        b.add(k, &VALUE);
        n += 1;
    }
    n
}

fn block(c: &mut Criterion) {
    let keys = sorted_ikeys(100_000);
    let mut b = BlockBuilder::new(DEFAULT_RESTART_INTERVAL);
    let per_block = fill(&mut b, &keys, 0);
    let block = Arc::new(Block::new(b.finish().to_vec()).expect("a built block parses"));
    let in_block: Vec<&Vec<u8>> = keys.iter().take(per_block).collect();

    let mut g = c.benchmark_group("sst_block");
    g.throughput(Throughput::Bytes(BLOCK_LEN as u64));
    g.bench_function("build_4k", |bench| {
        let mut start = 0;
        bench.iter(|| {
            if start + per_block >= keys.len() {
                start = 0;
            }
            b.reset();
            start += fill(&mut b, &keys, start);
            black_box(b.finish().len())
        });
    });
    g.throughput(Throughput::Elements(per_block as u64));
    g.bench_function("iterate_4k", |bench| {
        let mut it = block.iter();
        bench.iter(|| {
            let mut n = 0usize;
            it.seek_to_first();
            while it.valid() {
                n += it.value().len() + it.user_key().len();
                it.next();
            }
            black_box(n)
        });
    });
    g.throughput(Throughput::Elements(1));
    g.bench_function("seek_4k", |bench| {
        let mut it = block.iter();
        let mut n = 0u64;
        bench.iter(|| {
            n += 1;
            let k = in_block[(mix(n) % per_block as u64) as usize];
            let (u, t) = k.split_at(k.len() - 8);
            it.seek(black_box(u), u64::from_le_bytes(t.try_into().expect("8 bytes")));
            debug_assert!(it.valid() && it.user_key() == u);
            black_box(it.value().len())
        });
    });
    g.finish();
    println!(
        "sst_block: {per_block} entries of 16+8-byte keys and 100-byte values per 4 KiB block"
    );
}

fn bloom(c: &mut Criterion) {
    const STREAM: u64 = 0xF00D;
    const MISS_STREAM: u64 = 0xBAD;
    let mut b = BloomBuilder::new(10);
    for i in 0..BLOOM_KEYS {
        b.add_key(&key(STREAM, i));
    }
    let f = BloomFilter::new(b.finish()).expect("a built filter parses");
    let mut g = c.benchmark_group("bloom_10_bits_1m");
    g.throughput(Throughput::Elements(1));
    g.bench_function("hit", |bench| {
        let mut n = 0u64;
        bench.iter(|| {
            n += 1;
            let k = key(STREAM, mix(n) % BLOOM_KEYS);
            let r = f.may_contain(black_box(&k));
            debug_assert!(r);
            r
        });
    });
    g.bench_function("miss", |bench| {
        let mut n = 0u64;
        bench.iter(|| {
            n += 1;
            f.may_contain(black_box(&key(MISS_STREAM, n)))
        });
    });
    g.finish();
    let fp = (0..100_000).filter(|&i| f.may_contain(&key(MISS_STREAM, i))).count();
    println!("bloom_10_bits_1m: {} bytes, false positives {fp} / 100000", f.len());
    assert!((0..1000).all(|i| f.may_contain(&key(STREAM, i))));
}

const TABLE_KEYS: u64 = 100_000;

fn table_get(c: &mut Criterion) {
    // 100 000 distinct random 16-byte user keys (sorted), 100-byte values, one version each.
    let mut users: Vec<[u8; 16]> = (0..TABLE_KEYS).map(|i| key(3, i)).collect();
    users.sort_unstable();
    users.dedup();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("000001.sst");
    let file = OsFs.create(&path).expect("create");
    let mut b = TableBuilder::new(file, TableOptions::default(), 0);
    for (i, u) in users.iter().enumerate() {
        b.add(u, trailer(i as u64 + 1, ValueKind::Put as u8), &VALUE).expect("add");
    }
    let (props, size) = b.finish().expect("finish");
    let open = |number: u64, cache: Option<Arc<BlockCache>>| {
        let file = OsFs.open(&path).expect("open file");
        let stats = Arc::new(ReadStats::default());
        Table::open(file, number, size, cache, stats).expect("open table")
    };
    let n = users.len() as u64;
    let mut g = c.benchmark_group("sst_table_get");
    g.throughput(Throughput::Elements(1));
    // Every block in a large block cache, warmed by one lookup per block beforehand: a lookup is
    // a bloom probe, an index seek and a seek in a cached, decoded block.
    let cache = Arc::new(BlockCache::new(256 << 20, 16));
    let cached = open(1, Some(Arc::clone(&cache)));
    for u in &users {
        cached.get(u, SEQUENCE_MAX).expect("warm");
    }
    assert_eq!(cache.len() as u64, props.data_blocks, "every block cached");
    g.bench_function("cached", |bench| {
        let mut i = 0u64;
        bench.iter(|| {
            i += 1;
            let u = &users[(mix(i) % n) as usize];
            let r = cached.get(black_box(u), SEQUENCE_MAX).expect("get");
            debug_assert!(matches!(r, Some(Lookup::Value(_))));
            r
        });
    });
    // No block cache: every lookup reads its data block from the file (pread through `OsFs`),
    // checks its crc32 and zstd-decompresses it. The file is in the operating system's page
    // cache (it was just written, and is re-read constantly), so this measures the read
    // syscall, checksum and decompression, not a disk.
    let uncached = open(2, None);
    g.bench_function("uncached_osfs", |bench| {
        let mut i = 0u64;
        bench.iter(|| {
            i += 1;
            let u = &users[(mix(i) % n) as usize];
            let r = uncached.get(black_box(u), SEQUENCE_MAX).expect("get");
            debug_assert!(matches!(r, Some(Lookup::Value(_))));
            r
        });
    });
    // An absent key: the bloom filter answers about 99% of the time without reading a block.
    g.bench_function("absent_uncached", |bench| {
        let mut i = 0u64;
        bench.iter(|| {
            i += 1;
            uncached.get(black_box(&key(0xAB5E, i)), SEQUENCE_MAX).expect("get")
        });
    });
    g.finish();
    println!(
        "sst_table_get: {n} entries, {} data blocks, {size} bytes ({} bytes of data blocks)",
        props.data_blocks, props.data_bytes
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2));
    targets = block, bloom, table_get
}
criterion_main!(benches);
