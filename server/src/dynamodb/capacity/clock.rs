//! The clock that capacity and metrics are decided by: the system's, or one a test sets
//! ([`ManualClock`]), so that a throttling test does not depend on how fast it runs.

use std::sync::atomic::{AtomicU64, Ordering};

/// Wall-clock time, in seconds since the Unix epoch.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Now, in seconds since the epoch.
    fn now(&self) -> f64;
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> f64 {
        crate::dynamodb::ops::now_secs()
    }
}

/// A clock that moves only when told (tests).
#[derive(Debug)]
pub struct ManualClock {
    /// Microseconds since the epoch.
    micros: AtomicU64,
}

impl ManualClock {
    /// A clock standing at `secs` since the epoch.
    pub fn at(secs: f64) -> ManualClock {
        ManualClock { micros: AtomicU64::new(to_micros(secs)) }
    }

    /// Moves the clock `secs` forward.
    pub fn advance(&self, secs: f64) {
        self.micros.fetch_add(to_micros(secs), Ordering::SeqCst);
    }

    /// Sets the clock to `secs` since the epoch.
    pub fn set(&self, secs: f64) {
        self.micros.store(to_micros(secs), Ordering::SeqCst);
    }
}

fn to_micros(secs: f64) -> u64 {
    (secs.max(0.0) * 1e6).round() as u64
}

impl Clock for ManualClock {
    fn now(&self) -> f64 {
        self.micros.load(Ordering::SeqCst) as f64 / 1e6
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_told() {
        let c = ManualClock::at(1000.0);
        assert_eq!(c.now(), 1000.0);
        c.advance(1.5);
        assert_eq!(c.now(), 1001.5);
        c.set(5.0);
        assert_eq!(c.now(), 5.0);
        assert!(SystemClock.now() > 1.7e9);
    }
}
