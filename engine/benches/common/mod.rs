//! Helpers shared by the benchmarks (each bench binary compiles its own copy).
#![allow(dead_code)] // each bench binary compiles its own copy and uses part of it

use criterion::Criterion;
use std::sync::Barrier;
use std::time::{Duration, Instant};

/// The criterion settings of every benchmark: 10 samples of about 3 s after a 1 s warm-up.
pub fn config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

/// Runs `work(t)` on `threads` threads at once, for `t` in `0..threads`; returns the time from the
/// moment every thread is ready until the last one has finished (thread start-up not included).
pub fn timed_threads(threads: u64, work: impl Fn(u64) + Sync) -> Duration {
    let barrier = Barrier::new(threads as usize + 1);
    let start = std::thread::scope(|s| {
        for t in 0..threads {
            let (barrier, work) = (&barrier, &work);
            s.spawn(move || {
                barrier.wait();
                work(t);
            });
        }
        barrier.wait();
        Instant::now()
    });
    start.elapsed()
}

/// One SplitMix64 step: a stateless 64-bit mix.
pub fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The `i`-th random 16-byte key of stream `stream` (the same keys in every benchmark).
pub fn key(stream: u64, i: u64) -> [u8; 16] {
    let a = mix(stream.wrapping_mul(0x1_0000_0001) ^ (i << 1));
    let b = mix(a ^ 0x5555);
    let mut k = [0u8; 16];
    k[..8].copy_from_slice(&a.to_be_bytes());
    k[8..].copy_from_slice(&b.to_be_bytes());
    k
}
