//! Helpers shared by the benchmarks (each bench binary compiles its own copy).

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
