//! A request latency histogram in Prometheus' form: cumulative counts per upper bound
//! ([`BOUNDS_MS`]), the count and the sum, in atomics (recorded without a lock).

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Upper bounds of the buckets, in milliseconds (the last bucket, `+Inf`, is implied).
pub const BOUNDS_MS: [f64; 14] =
    [0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 5000.0];

/// One histogram.
#[derive(Debug, Default)]
pub struct Histogram {
    /// Requests at or under each bound (not cumulative: summed when read).
    buckets: [AtomicU64; BOUNDS_MS.len()],
    count: AtomicU64,
    /// Microseconds.
    sum_us: AtomicU64,
}

/// A histogram's counts when read.
#[derive(Debug, Clone, PartialEq)]
pub struct Read {
    /// Cumulative count at or under each of [`BOUNDS_MS`].
    pub cumulative: Vec<u64>,
    pub count: u64,
    pub sum_ms: f64,
}

impl Histogram {
    /// Records one request of `ms` milliseconds.
    pub fn record(&self, ms: f64) {
        if let Some(b) = BOUNDS_MS.iter().position(|b| ms <= *b).and_then(|i| self.buckets.get(i)) {
            b.fetch_add(1, Relaxed);
        }
        self.sum_us.fetch_add((ms.max(0.0) * 1000.0).round() as u64, Relaxed);
        self.count.fetch_add(1, Relaxed);
    }

    /// The counts so far.
    pub fn read(&self) -> Read {
        let mut total = 0;
        let cumulative = self
            .buckets
            .iter()
            .map(|b| {
                total += b.load(Relaxed);
                total
            })
            .collect();
        Read {
            cumulative,
            count: self.count.load(Relaxed),
            sum_ms: self.sum_us.load(Relaxed) as f64 / 1000.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cumulative_buckets() {
        let h = Histogram::default();
        for ms in [0.05, 0.3, 0.3, 7.0, 9000.0] {
            h.record(ms);
        }
        let r = h.read();
        assert_eq!(r.count, 5);
        assert_eq!(r.cumulative[0], 1);
        assert_eq!(r.cumulative[2], 3, "0.5 ms and under");
        assert_eq!(r.cumulative[6], 4, "10 ms and under");
        assert_eq!(*r.cumulative.last().unwrap(), 4, "9 s is only in +Inf");
        assert_eq!(r.sum_ms, 9007.65);
    }
}
