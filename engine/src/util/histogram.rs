//! A lock-free latency histogram: 64 power-of-two buckets of nanoseconds, each split into 4
//! linear sub-buckets (so a percentile is known within 25 %). Recording is two relaxed atomic
//! adds; reading sums the buckets.

use std::sync::atomic::{AtomicU64, Ordering};

const SUB: usize = 4;
const BUCKETS: usize = 64 * SUB;

/// Counts of durations.
#[derive(Debug)]
pub struct Histogram {
    counts: Box<[AtomicU64]>,
    total: AtomicU64,
    max: AtomicU64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            counts: (0..BUCKETS).map(|_| AtomicU64::new(0)).collect(),
            total: AtomicU64::new(0),
            max: AtomicU64::new(0),
        }
    }
}

fn bucket_of(ns: u64) -> usize {
    if ns < SUB as u64 {
        return ns as usize;
    }
    let exp = 63 - ns.leading_zeros() as usize; // ns in [2^exp, 2^(exp+1))
    let sub = ((ns >> exp.saturating_sub(2)) & (SUB as u64 - 1)) as usize;
    (exp * SUB + sub).min(BUCKETS - 1)
}

/// The largest duration a bucket holds (its upper edge).
fn upper_of(bucket: usize) -> u64 {
    let (exp, sub) = (bucket / SUB, (bucket % SUB) as u64);
    if exp < 2 {
        return bucket as u64;
    }
    let base = 1u64 << exp;
    let step = base / SUB as u64;
    base + (sub + 1) * step - 1
}

/// Percentiles of a histogram, in nanoseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Percentiles {
    /// Samples recorded.
    pub count: u64,
    /// Median.
    pub p50: u64,
    /// 99th percentile.
    pub p99: u64,
    /// 99.9th percentile.
    pub p999: u64,
    /// Largest sample.
    pub max: u64,
}

impl Histogram {
    /// Records one duration.
    pub fn record(&self, ns: u64) {
        if let Some(c) = self.counts.get(bucket_of(ns)) {
            c.fetch_add(1, Ordering::Relaxed);
        }
        self.total.fetch_add(1, Ordering::Relaxed);
        self.max.fetch_max(ns, Ordering::Relaxed);
    }

    /// Current percentiles (upper bucket edges, capped at the maximum seen).
    pub fn percentiles(&self) -> Percentiles {
        let counts: Vec<u64> = self.counts.iter().map(|c| c.load(Ordering::Relaxed)).collect();
        let count: u64 = counts.iter().sum();
        let max = self.max.load(Ordering::Relaxed);
        let at = |q: f64| -> u64 {
            if count == 0 {
                return 0;
            }
            let rank = ((count as f64) * q).ceil().max(1.0) as u64;
            let mut seen = 0;
            for (i, c) in counts.iter().enumerate() {
                seen += c;
                if seen >= rank {
                    return upper_of(i).min(max);
                }
            }
            max
        };
        Percentiles { count, p50: at(0.50), p99: at(0.99), p999: at(0.999), max }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_cover_and_bound_values() {
        for ns in [0u64, 1, 3, 4, 5, 7, 8, 100, 1000, 123_456, u64::MAX / 2] {
            let b = bucket_of(ns);
            assert!(upper_of(b) >= ns, "{ns} in bucket {b} with upper {}", upper_of(b));
            if ns >= 8 {
                assert!(upper_of(b) <= ns + ns / 4 + 1, "within 25%: {ns} -> {}", upper_of(b));
            }
        }
    }

    #[test]
    fn percentiles_of_a_known_distribution() {
        let h = Histogram::default();
        for i in 1..=1000u64 {
            h.record(i * 1000);
        }
        let p = h.percentiles();
        assert_eq!(p.count, 1000);
        assert!((500_000..=625_000).contains(&p.p50), "{p:?}");
        assert!((990_000..=1_000_000).contains(&p.p99), "{p:?}");
        assert_eq!(p.max, 1_000_000);
        assert_eq!(Histogram::default().percentiles(), Percentiles::default());
    }
}
