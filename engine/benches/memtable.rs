//! Memtable benchmarks: inserts of random 16-byte keys with 100-byte values (one thread, and two
//! threads inserting into the same memtable), and point lookups in a memtable of 100 000 entries
//! (hit and miss from one thread, and hits from two threads reading it at once). Throughput is
//! operations per second over all threads.
//!
//! `cargo bench -p shale-engine --bench memtable`

mod common;
use common::{key, mix};

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use shale_engine::key::{ValueKind, SEQUENCE_MAX};
use shale_engine::memtable::{Lookup, MemTable};
use std::time::{Duration, Instant};

const VALUE: [u8; 100] = [0x5a; 100];
/// Inserts go into a fresh memtable every this many entries, so that a sample's cost does not
/// depend on how many iterations criterion chose for it (and memory stays bounded).
const CHUNK: u64 = 100_000;
/// Entries of the memtable the lookups run against.
const GET_ENTRIES: u64 = 100_000;
/// Key stream of the memtable the lookups run against, and one none of whose keys it holds.
const GET_STREAM: u64 = 0xFEED;
const MISS_STREAM: u64 = 0xBAD;

/// Inserts `n` entries into `table` from `threads` threads concurrently (sequence numbers are
/// unique: thread `j` uses `j + 1, j + 1 + threads, ...`); returns the time the inserts took.
fn insert_chunk(table: &MemTable, stream: u64, n: u64, threads: u64) -> Duration {
    if threads == 1 {
        let start = Instant::now();
        for i in 0..n {
            table.add(i + 1, ValueKind::Put, &key(stream, i), &VALUE);
        }
        return start.elapsed();
    }
    common::timed_threads(threads, |j| {
        let mut i = j;
        while i < n {
            table.add(i + 1, ValueKind::Put, &key(stream, i), &VALUE);
            i += threads;
        }
    })
}

/// The key of the `n`-th lookup that hits: a pseudo-random one of the memtable's entries.
fn hit_key(n: u64) -> [u8; 16] {
    key(GET_STREAM, mix(n) % GET_ENTRIES)
}

fn insert(c: &mut Criterion) {
    let mut g = c.benchmark_group("memtable_insert");
    g.throughput(Throughput::Elements(1));
    for threads in [1u64, 2] {
        g.bench_function(BenchmarkId::from_parameter(format!("{threads}_threads")), |b| {
            let mut stream = 0u64;
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                let mut done = 0u64;
                while done < iters {
                    let n = (iters - done).min(CHUNK);
                    stream += 1;
                    let table = MemTable::new(1, 64 << 20);
                    total += insert_chunk(&table, stream, n, threads);
                    assert_eq!(table.len() as u64, n);
                    // Dropping the table is not part of the measurement.
                    drop(table);
                    done += n;
                }
                total
            });
        });
    }
    g.finish();
}

fn get(c: &mut Criterion) {
    let table = MemTable::new(1, 64 << 20);
    for i in 0..GET_ENTRIES {
        table.add(i + 1, ValueKind::Put, &key(GET_STREAM, i), &VALUE);
    }
    let mut g = c.benchmark_group("memtable_get");
    g.throughput(Throughput::Elements(1));
    g.bench_function("hit_100k", |b| {
        let mut n = 0u64;
        b.iter(|| {
            n += 1;
            let k = hit_key(n);
            let r = table.get(black_box(&k), SEQUENCE_MAX);
            debug_assert!(matches!(r, Some(Lookup::Value(_))));
            r
        });
    });
    // Two threads looking up at once, `iters` lookups between them (`Throughput` counts each).
    g.bench_function("hit_100k_2_threads", |b| {
        const THREADS: u64 = 2;
        let mut done = 0u64;
        b.iter_custom(|iters| {
            let first = done;
            done += iters;
            common::timed_threads(THREADS, |t| {
                // This thread's share of the sample's lookups: `first + t + 1`, then every
                // THREADS-th.
                let mut n = first + t + 1;
                while n <= first + iters {
                    let r = table.get(black_box(&hit_key(n)), SEQUENCE_MAX);
                    debug_assert!(matches!(r, Some(Lookup::Value(_))));
                    black_box(r);
                    n += THREADS;
                }
            })
        });
    });
    g.bench_function("miss_100k", |b| {
        let mut n = 0u64;
        b.iter(|| {
            n += 1;
            let k = key(MISS_STREAM, n);
            let r = table.get(black_box(&k), SEQUENCE_MAX);
            debug_assert!(r.is_none());
            r
        });
    });
    g.finish();
    // The lookups measured above really hit and miss.
    assert!(matches!(table.get(&key(GET_STREAM, 7), SEQUENCE_MAX), Some(Lookup::Value(_))));
    assert_eq!(table.get(&key(MISS_STREAM, 7), SEQUENCE_MAX), None);
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = insert, get
}
criterion_main!(benches);
