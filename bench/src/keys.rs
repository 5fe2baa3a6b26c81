//! Keys, values and key choosers, shaped like db_bench's and YCSB's so that the same parameters
//! mean the same data on both engines.
//!
//! - Keys: db_bench's `GenerateKeyFromInt` without prefixes: the key index as up to 8 big-endian
//!   bytes, then `'0'` padding up to `key_size`. Byte order equals numeric order.
//! - Values: db_bench's `RandomGenerator`: a 1 MiB pool of printable bytes that compress to
//!   `compression_ratio` (0.5) of their size, handed out as consecutive slices.
//! - Choosers (uniform is `gen_range`): YCSB's zipfian (Gray et al., constant 0.99) scrambled by an FNV-1a hash
//!   so that hot keys are spread over the key space; YCSB's "latest" (hot keys are the newest).

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

/// YCSB's zipfian constant.
pub const ZIPFIAN_THETA: f64 = 0.99;
/// Size of the value pool; values are slices of it (db_bench uses 1 MiB too).
const VALUE_POOL_BYTES: usize = 1 << 20;
/// Fraction of its size a value compresses to (db_bench's `--compression_ratio` default).
const COMPRESSION_RATIO: f64 = 0.5;

/// Writes the db_bench key for index `i` into `buf` (cleared first).
pub fn make_key(i: u64, key_size: usize, buf: &mut Vec<u8>) {
    buf.clear();
    let be = i.to_be_bytes();
    let n = key_size.min(8);
    buf.extend_from_slice(&be[8 - n..]);
    buf.resize(key_size, b'0');
}

/// A per-thread random source, seeded reproducibly from the run seed, the workload and thread.
pub fn thread_rng(seed: u64, workload: usize, thread: usize) -> SmallRng {
    let mix = seed
        ^ (workload as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ (thread as u64 + 1).wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
    SmallRng::seed_from_u64(mix)
}

/// db_bench's value generator: compressible printable data handed out in consecutive slices.
pub struct ValueGen {
    pool: Vec<u8>,
    pos: usize,
}

impl ValueGen {
    /// A pool able to hand out values of up to `value_size` bytes.
    pub fn new(rng: &mut SmallRng, value_size: usize) -> ValueGen {
        let mut pool = Vec::with_capacity(VALUE_POOL_BYTES.max(value_size) + 100);
        while pool.len() < VALUE_POOL_BYTES.max(value_size) {
            // 100-byte pieces whose first half is random and second half repeats it.
            let raw = ((100.0 * COMPRESSION_RATIO) as usize).max(1);
            let start = pool.len();
            for _ in 0..raw {
                pool.push(rng.gen_range(b' '..=b'~'));
            }
            while pool.len() < start + 100 {
                let b = pool[start + (pool.len() - start) % raw];
                pool.push(b);
            }
        }
        ValueGen { pool, pos: 0 }
    }

    /// The next value of `len` bytes.
    pub fn next(&mut self, len: usize) -> &[u8] {
        if self.pos + len > self.pool.len() {
            self.pos = 0;
        }
        let v = &self.pool[self.pos..self.pos + len];
        self.pos += len;
        v
    }
}

fn zeta(from: u64, to: u64, theta: f64, start: f64) -> f64 {
    (from..to).fold(start, |acc, i| acc + 1.0 / ((i + 1) as f64).powf(theta))
}

/// YCSB's `ZipfianGenerator`: item 0 is the most popular. The item count may grow between calls
/// (as in YCSB, zeta is extended incrementally), which the "latest" chooser relies on.
#[derive(Clone, Debug)]
pub struct Zipfian {
    items: u64,
    theta: f64,
    zeta2: f64,
    zetan: f64,
    alpha: f64,
    eta: f64,
}

impl Zipfian {
    /// A generator over `items` items (at least 2).
    pub fn new(items: u64, theta: f64) -> Zipfian {
        let items = items.max(2);
        let zeta2 = zeta(0, 2, theta, 0.0);
        let zetan = zeta(0, items, theta, 0.0);
        let mut z = Zipfian { items, theta, zeta2, zetan, alpha: 1.0 / (1.0 - theta), eta: 0.0 };
        z.eta = z.eta_for(items);
        z
    }

    fn eta_for(&self, n: u64) -> f64 {
        (1.0 - (2.0 / n as f64).powf(1.0 - self.theta)) / (1.0 - self.zeta2 / self.zetan)
    }

    /// Grows the item count to `items` (never shrinks).
    pub fn grow(&mut self, items: u64) {
        if items > self.items {
            self.zetan = zeta(self.items, items, self.theta, self.zetan);
            self.items = items;
            self.eta = self.eta_for(items);
        }
    }

    /// An item in `[0, items)`, small items most likely.
    pub fn next(&self, rng: &mut SmallRng) -> u64 {
        let u: f64 = rng.gen();
        let uz = u * self.zetan;
        if uz < 1.0 {
            return 0;
        }
        if uz < 1.0 + 0.5f64.powf(self.theta) {
            return 1;
        }
        let v = (self.items as f64 * (self.eta * u - self.eta + 1.0).powf(self.alpha)) as u64;
        v.min(self.items - 1)
    }
}

/// FNV-1a over the eight bytes of `v` (YCSB's `fnvhash64`).
pub fn fnv64(v: u64) -> u64 {
    let mut h: u64 = 0xCBF2_9CE4_8422_2325;
    for b in v.to_le_bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01B3);
    }
    h
}

/// How a workload picks the key of its next operation.
#[derive(Clone, Debug)]
pub enum Chooser {
    /// Zipfian over `[0, n)`, scrambled so the popular keys are spread out.
    ScrambledZipfian(Zipfian),
    /// The newest keys are the most popular: `newest - zipfian(count)`.
    Latest(Zipfian),
}

impl Chooser {
    /// Picks a key index. `count` is the number of keys inserted so far (used by `Latest`).
    pub fn pick(&mut self, rng: &mut SmallRng, count: u64) -> u64 {
        match self {
            Chooser::ScrambledZipfian(z) => fnv64(z.next(rng)) % z.items,
            Chooser::Latest(z) => {
                z.grow(count);
                let newest = count.max(1) - 1;
                newest - z.next(rng).min(newest)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_match_db_bench_layout_and_order() {
        let mut a = Vec::new();
        let mut b = Vec::new();
        make_key(1, 16, &mut a);
        assert_eq!(a, b"\0\0\0\0\0\0\0\x0100000000");
        make_key(256, 16, &mut b);
        assert!(a < b);
        assert_eq!(&b[..8], &256u64.to_be_bytes());
        make_key(0x0102, 4, &mut a);
        assert_eq!(a, [0, 0, 1, 2]);
    }

    #[test]
    fn values_compress_about_half() {
        let mut rng = SmallRng::seed_from_u64(1);
        let mut g = ValueGen::new(&mut rng, 100);
        let v = g.next(100).to_vec();
        assert_eq!(&v[..50], &v[50..]);
        assert!(v.iter().all(|b| (b' '..=b'~').contains(b)));
        assert_ne!(g.next(100), &v[..]);
    }

    #[test]
    fn zipfian_is_skewed_and_in_range() {
        let mut rng = SmallRng::seed_from_u64(7);
        let z = Zipfian::new(1000, ZIPFIAN_THETA);
        let mut counts = vec![0u32; 1000];
        for _ in 0..100_000 {
            counts[z.next(&mut rng) as usize] += 1;
        }
        // Item 0 takes about 1/zeta(1000) ~ 13% of draws; the tail half far less.
        assert!(counts[0] > 10_000, "{}", counts[0]);
        let tail: u32 = counts[500..].iter().sum();
        assert!(tail < counts[0], "tail {tail}");
    }

    #[test]
    fn zipfian_growth_matches_fresh_generator() {
        let mut grown = Zipfian::new(100, ZIPFIAN_THETA);
        grown.grow(5000);
        let fresh = Zipfian::new(5000, ZIPFIAN_THETA);
        assert!((grown.zetan - fresh.zetan).abs() < 1e-9);
        assert!((grown.eta - fresh.eta).abs() < 1e-12);
    }

    #[test]
    fn latest_prefers_newest_keys() {
        let mut rng = SmallRng::seed_from_u64(3);
        let mut c = Chooser::Latest(Zipfian::new(10, ZIPFIAN_THETA));
        let picks: Vec<u64> = (0..10_000).map(|_| c.pick(&mut rng, 1000)).collect();
        assert!(picks.iter().all(|&p| p < 1000));
        let newest = picks.iter().filter(|&&p| p >= 990).count();
        assert!(newest > 3000, "{newest}");
    }
}
