//! Write-path benchmarks: `Db` puts through group commit on the real file system (a fresh
//! tempdir per sample), from 1, 4 and 16 threads, without and with `sync`; 16-byte keys,
//! 100-byte values. Throughput is writes per second over all threads.
//!
//! `cargo bench -p shale-engine --bench wal`

mod common;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use shale_engine::{Db, Options, WriteOptions};
use std::time::Duration;

const VALUE: [u8; 100] = [0xa5; 100];

/// `iters` puts split over `threads` threads into a fresh database; returns the time from the
/// moment every thread is ready until the last put returned.
fn run(threads: u64, iters: u64, sync: bool) -> Duration {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Db::open(dir.path(), Options::default()).expect("open");
    let ks = db.default_keyspace();
    let opts = WriteOptions { sync };
    let elapsed = common::timed_threads(threads, |t| {
        let share = iters / threads + u64::from(t < iters % threads);
        for i in 0..share {
            // 16 bytes: thread, then index.
            let key = format!("{t:04}-{i:011}");
            db.put_with(&ks, key.as_bytes(), &VALUE, opts).expect("put");
        }
    });
    assert_eq!(db.latest_sequence(), iters, "every put took one sequence number");
    db.close().expect("close");
    elapsed
}

fn writes(c: &mut Criterion) {
    let mut g = c.benchmark_group("db_write");
    g.throughput(Throughput::Elements(1));
    for sync in [false, true] {
        for threads in [1u64, 4, 16] {
            let name = if sync { "sync" } else { "nosync" };
            g.bench_function(BenchmarkId::new(name, format!("{threads}_threads")), |b| {
                b.iter_custom(|iters| run(threads, iters, sync));
            });
        }
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = writes
}
criterion_main!(benches);
