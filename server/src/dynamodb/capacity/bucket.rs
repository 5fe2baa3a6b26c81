//! A token bucket in capacity units: it fills at `rate` units a second up to `depth` units,
//! and a request is admitted while it holds any (more than zero). What the request then
//! consumed is taken out, which may leave the bucket below zero: a large item read or written
//! on a small table goes through, and the table pays it back before the next request starts.
//! This is DynamoDB's rule for provisioned tables: an item's units are known only once it has
//! been read, and a request is never refused for being larger than the rate.

/// A bucket's rate and depth.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limit {
    /// Units a second.
    pub rate: f64,
    /// Most units held (DynamoDB's burst capacity: 300 seconds of the rate).
    pub depth: f64,
}

/// One token bucket.
#[derive(Debug, Clone, PartialEq)]
pub struct Bucket {
    limit: Limit,
    /// Units held now (negative: owed).
    tokens: f64,
    /// When `tokens` was last brought up to date, seconds since the epoch.
    at: f64,
}

impl Bucket {
    /// A full bucket at `now` (a new table starts with its burst capacity).
    pub fn full(limit: Limit, now: f64) -> Bucket {
        Bucket { limit, tokens: limit.depth, at: now }
    }

    pub fn limit(&self) -> Limit {
        self.limit
    }

    /// Brings the bucket up to `now` (a clock that went back adds nothing).
    fn refill(&mut self, now: f64) {
        if now > self.at {
            self.tokens = (self.tokens + (now - self.at) * self.limit.rate).min(self.limit.depth);
            self.at = now;
        }
    }

    /// Units held at `now`.
    pub fn tokens(&mut self, now: f64) -> f64 {
        self.refill(now);
        self.tokens
    }

    /// Whether a request may start at `now`: the bucket holds more than zero units.
    pub fn admits(&mut self, now: f64) -> bool {
        self.tokens(now) > 0.0
    }

    /// Takes `units` out at `now`.
    pub fn take(&mut self, units: f64, now: f64) {
        debug_assert!(units >= 0.0, "a charge is never negative");
        self.refill(now);
        self.tokens -= units;
    }

    /// Puts back `units` taken at `now` for a request that then did not run (never past the
    /// depth).
    pub fn give(&mut self, units: f64, now: f64) {
        self.refill(now);
        self.tokens = (self.tokens + units).min(self.limit.depth);
    }

    /// Changes the limit at `now`: what was accrued at the old rate is kept, up to the new
    /// depth.
    pub fn set_limit(&mut self, limit: Limit, now: f64) {
        self.refill(now);
        self.limit = limit;
        self.tokens = self.tokens.min(limit.depth);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_at_the_rate_up_to_the_depth() {
        let mut b = Bucket::full(Limit { rate: 5.0, depth: 1500.0 }, 100.0);
        assert_eq!(b.tokens(100.0), 1500.0);
        b.take(1500.0, 100.0);
        assert!(!b.admits(100.0));
        assert_eq!(b.tokens(101.0), 5.0);
        assert_eq!(b.tokens(1000.0), 1500.0, "never past the depth");
        // A clock that goes back adds nothing and takes nothing.
        assert_eq!(b.tokens(900.0), 1500.0);
    }

    #[test]
    fn a_large_charge_leaves_a_debt_paid_back_at_the_rate() {
        let mut b = Bucket::full(Limit { rate: 1.0, depth: 300.0 }, 0.0);
        b.take(299.5, 0.0);
        assert!(b.admits(0.0));
        b.take(10.0, 0.0);
        assert_eq!(b.tokens(0.0), -9.5);
        assert!(!b.admits(9.0));
        assert!(!b.admits(9.5));
        assert!(b.admits(9.6));
    }

    #[test]
    fn a_new_limit_keeps_what_was_accrued_up_to_its_depth() {
        let mut b = Bucket::full(Limit { rate: 10.0, depth: 3000.0 }, 0.0);
        b.set_limit(Limit { rate: 1.0, depth: 300.0 }, 0.0);
        assert_eq!(b.tokens(0.0), 300.0);
        b.take(300.0, 0.0);
        b.set_limit(Limit { rate: 100.0, depth: 30000.0 }, 1.0);
        assert_eq!(b.tokens(1.0), 1.0, "accrued at the old rate until the change");
        assert_eq!(b.tokens(2.0), 101.0);
    }
}
