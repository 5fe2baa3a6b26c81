//! A statistics cell: the sample count, sum, minimum and maximum of the values recorded since
//! it was last taken, in atomics (fixed point, thousandths), so that recording on the request
//! path takes no lock. Values are never negative (units, milliseconds, counts), so their
//! fixed-point forms order as the values do.

use crate::cloudwatch::store::stats::Stats;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Fixed-point scale: thousandths (half capacity units and microseconds are exact).
const SCALE: f64 = 1000.0;

/// One cell.
#[derive(Debug)]
pub struct Cell {
    count: AtomicU64,
    sum: AtomicU64,
    min: AtomicU64,
    max: AtomicU64,
}

impl Default for Cell {
    fn default() -> Self {
        Cell {
            count: AtomicU64::new(0),
            sum: AtomicU64::new(0),
            min: AtomicU64::new(u64::MAX),
            max: AtomicU64::new(0),
        }
    }
}

impl Cell {
    /// Records one value (negative values count as zero).
    pub fn add(&self, value: f64) {
        let v = (value.max(0.0) * SCALE).round() as u64;
        self.sum.fetch_add(v, Relaxed);
        self.min.fetch_min(v, Relaxed);
        self.max.fetch_max(v, Relaxed);
        self.count.fetch_add(1, Relaxed);
    }

    /// The statistics recorded since the last take, and a fresh start; `None` when nothing
    /// was recorded. (A value recorded while it is taken may land in either interval.)
    pub fn take(&self) -> Option<Stats> {
        let count = self.count.swap(0, Relaxed);
        if count == 0 {
            return None;
        }
        let sum = self.sum.swap(0, Relaxed) as f64 / SCALE;
        let min = self.min.swap(u64::MAX, Relaxed);
        let max = self.max.swap(0, Relaxed) as f64 / SCALE;
        let min = if min == u64::MAX { max } else { min as f64 / SCALE };
        Some(Stats { count: count as f64, sum, min, max })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_and_takes() {
        let c = Cell::default();
        assert_eq!(c.take(), None);
        c.add(0.5);
        c.add(2.0);
        c.add(1.25);
        assert_eq!(c.take(), Some(Stats { count: 3.0, sum: 3.75, min: 0.5, max: 2.0 }));
        assert_eq!(c.take(), None);
        c.add(-1.0);
        assert_eq!(c.take(), Some(Stats { count: 1.0, sum: 0.0, min: 0.0, max: 0.0 }));
    }
}
