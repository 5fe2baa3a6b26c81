//! The clock commit times are read from (`Options::clock`): the system's real-time clock, or a
//! clock a test sets by hand so that the log's bytes, and so crash tests, are reproducible.

use std::sync::atomic::{AtomicU64, Ordering};

/// Where the database reads the time: commit times of write groups, keyspace changes and
/// archive bases, and the archive's retention window.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Milliseconds since the Unix epoch.
    fn now_ms(&self) -> u64;
}

/// The system's real-time clock (the default).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    /// The coarse real-time clock on Linux (the time of the last timer tick, 1 to 4 ms old): a
    /// few instructions where `SystemTime::now` and its conversion cost about 140 (callgrind on
    /// `fillrandom`), and every commit group reads it.
    #[cfg(target_os = "linux")]
    fn now_ms(&self) -> u64 {
        let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
        // SAFETY: `ts` is a valid, writable timespec for the duration of the call, and
        // CLOCK_REALTIME_COARSE is a clock every Linux since 2.6.32 has.
        let r = unsafe { libc::clock_gettime(libc::CLOCK_REALTIME_COARSE, &mut ts) };
        if r != 0 {
            return portable_now_ms();
        }
        let secs = u64::try_from(ts.tv_sec).unwrap_or(0);
        let nanos = u64::try_from(ts.tv_nsec).unwrap_or(0);
        secs.saturating_mul(1000).saturating_add(nanos / 1_000_000)
    }

    #[cfg(not(target_os = "linux"))]
    fn now_ms(&self) -> u64 {
        portable_now_ms()
    }
}

fn portable_now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// A clock that shows what it was last set to (tests).
#[derive(Debug, Default)]
pub struct ManualClock(AtomicU64);

impl ManualClock {
    /// A clock showing `ms`.
    pub fn new(ms: u64) -> Self {
        ManualClock(AtomicU64::new(ms))
    }

    /// Sets the time.
    pub fn set(&self, ms: u64) {
        self.0.store(ms, Ordering::SeqCst);
    }

    /// Moves the time on by `ms`.
    pub fn advance(&self, ms: u64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}
