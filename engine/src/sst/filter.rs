//! The filter block: one bloom filter over every user key of a table (RocksDB's "full filter").
//!
//! ```text
//! bits[m / 8]   the bit array, m a multiple of 8 and >= 64; bit j is (bits[j / 8] >> (j % 8)) & 1
//! k: u8         number of probes, 1..=30
//! ```
//!
//! A key is hashed once, `h = xxh3_64(user key)`. Its `k` probes are double hashing over the
//! whole 64-bit hash: `x_i = h + i * d (mod 2^64)` with
//! `d = (h.rotate_left(32) ^ 0x9E37_79B9_7F4A_7C15) | 1` (so the step comes from the other half of
//! the hash, and a trivial hash such as 0 gets a golden-ratio step rather than a step of 1), and
//! probe `i` tests bit `(x_i * m) >> 64`: the high half of the 128-bit product, a uniform map of
//! `x_i` onto `0..m` ("fastrange") used instead of `x_i mod m`. Working on 64 bits keeps every bit
//! reachable however large `m` is, without the bias or the short cycles of 32-bit
//! `(h1 + i * h2) mod m`, and the multiply avoids a division per probe.
//!
//! Sizing: with `n` distinct keys and `b` bits per key, `m = max(64, n * b)` rounded up to a
//! multiple of 8, and `k = round(b * ln 2)` clamped to `1..=30`, which minimises the
//! false-positive rate `(1 - e^(-k n / m))^k` (about 0.8% at 10 bits per key).
//!
//! The filter block is covered by its block trailer's checksum; [`BloomFilter::new`] still checks
//! the shape so that a bad block cannot make probes misbehave.

use crate::error::{Error, Result};
use xxhash_rust::xxh3::xxh3_64;

/// Most probes a filter may ask for.
pub const PROBES_MAX: u32 = 30;
/// Fewest bits a builder makes a filter of.
const BITS_MIN: u64 = 64;

/// The hash a filter stores for a user key.
#[inline]
pub fn key_hash(user_key: &[u8]) -> u64 {
    xxh3_64(user_key)
}

/// Number of probes for `bits_per_key`: `round(bits_per_key * ln 2)` clamped to `1..=30`.
pub fn probes_for(bits_per_key: u32) -> u32 {
    let k = (f64::from(bits_per_key) * std::f64::consts::LN_2).round();
    // `k` is a small non-negative integer (at most 2^32 * 0.7), so the cast is exact enough.
    (k as u32).clamp(1, PROBES_MAX)
}

/// Mixed into the probe step (2^64 / golden ratio).
const STEP_MIX: u64 = 0x9E37_79B9_7F4A_7C15;

/// The probes of hash `h` in a filter of `m` bits, in order.
#[inline]
fn probes(h: u64, m: u64, k: u32) -> impl Iterator<Item = u64> {
    let d = (h.rotate_left(32) ^ STEP_MIX) | 1;
    (0..u64::from(k)).map(move |i| {
        let x = h.wrapping_add(i.wrapping_mul(d));
        ((u128::from(x) * u128::from(m)) >> 64) as u64
    })
}

/// Collects the hashes of a table's user keys and builds its filter.
#[derive(Debug, Clone)]
pub struct BloomBuilder {
    bits_per_key: u32,
    hashes: Vec<u64>,
}

impl BloomBuilder {
    /// A builder spending `bits_per_key` bits per distinct key.
    pub fn new(bits_per_key: u32) -> Self {
        BloomBuilder { bits_per_key, hashes: Vec::new() }
    }

    /// Adds a user key. Consecutive equal keys (versions of one key) are counted once.
    pub fn add_key(&mut self, user_key: &[u8]) {
        self.add_hash(key_hash(user_key));
    }

    /// Adds a key by its [`key_hash`].
    pub fn add_hash(&mut self, h: u64) {
        // Equal hashes set equal bits: skipping a repeat never loses a key.
        if self.hashes.last() != Some(&h) {
            self.hashes.push(h);
        }
    }

    /// Distinct (consecutive-deduplicated) keys added since the last `finish`.
    pub fn keys(&self) -> usize {
        self.hashes.len()
    }

    /// Bytes `finish` would return now.
    pub fn estimated_len(&self) -> usize {
        self.num_bits().div_ceil(8) as usize + 1
    }

    fn num_bits(&self) -> u64 {
        let want = (self.hashes.len() as u64).saturating_mul(u64::from(self.bits_per_key));
        want.max(BITS_MIN).next_multiple_of(8)
    }

    /// Builds the filter over the keys added so far and empties the builder.
    pub fn finish(&mut self) -> Vec<u8> {
        let m = self.num_bits();
        let k = probes_for(self.bits_per_key);
        // `m / 8` bytes: the filter is sized by the keys the caller added, in memory already.
        let mut out = vec![0u8; (m / 8) as usize];
        for &h in &self.hashes {
            for bit in probes(h, m, k) {
                if let Some(byte) = out.get_mut((bit / 8) as usize) {
                    *byte |= 1 << (bit % 8);
                }
            }
        }
        // `k <= PROBES_MAX` fits a byte.
        out.push(k as u8);
        self.hashes.clear();
        out
    }
}

/// A bloom filter read back from a filter block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BloomFilter {
    /// The bit array followed by the probe count.
    data: Vec<u8>,
    num_bits: u64,
    k: u32,
}

impl BloomFilter {
    /// Checks the filter's shape: at least one byte of bits, then a probe count in `1..=30`.
    pub fn new(contents: Vec<u8>) -> Result<BloomFilter> {
        let (&k, bits) = contents
            .split_last()
            .ok_or_else(|| Error::corruption("sst filter: empty filter block"))?;
        if bits.is_empty() {
            return Err(Error::corruption("sst filter: no bits"));
        }
        let k = u32::from(k);
        if k == 0 || k > PROBES_MAX {
            return Err(Error::corruption(format!("sst filter: {k} probes")));
        }
        let num_bits = (bits.len() as u64).saturating_mul(8);
        Ok(BloomFilter { data: contents, num_bits, k })
    }

    /// False when `user_key` is certainly absent from the table; true when it may be present.
    pub fn may_contain(&self, user_key: &[u8]) -> bool {
        self.may_contain_hash(key_hash(user_key))
    }

    /// [`may_contain`](Self::may_contain) for a key's [`key_hash`].
    pub fn may_contain_hash(&self, h: u64) -> bool {
        probes(h, self.num_bits, self.k).all(|bit| {
            // Every probe is below `num_bits`; a miss cannot happen and would answer "maybe".
            self.data.get((bit / 8) as usize).is_none_or(|byte| byte & (1 << (bit % 8)) != 0)
        })
    }

    /// Bytes of the filter block (what a cache charges for it).
    #[allow(clippy::len_without_is_empty)] // a valid filter is never 0 bytes
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// Bits of the bit array.
    pub fn num_bits(&self) -> u64 {
        self.num_bits
    }

    /// Probes per key.
    pub fn probes(&self) -> u32 {
        self.k
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(i: u64) -> Vec<u8> {
        format!("key{i:010}").into_bytes()
    }

    /// Builds a filter over `n` keys, checks there is no false negative, and measures the
    /// false-positive rate over `absent` other keys. Returns (measured, theoretical).
    fn measure(bits_per_key: u32, n: u64, absent: u64) -> (f64, f64) {
        let mut b = BloomBuilder::new(bits_per_key);
        for i in 0..n {
            b.add_key(&key(i));
            b.add_key(&key(i)); // versions of one key count once
        }
        assert_eq!(b.keys() as u64, n);
        let est = b.estimated_len();
        let f = BloomFilter::new(b.finish()).unwrap();
        assert_eq!(f.len(), est);
        assert_eq!(b.keys(), 0, "finish empties the builder");
        for i in 0..n {
            assert!(f.may_contain(&key(i)), "false negative for key {i}");
        }
        let fp = (n..n + absent).filter(|&i| f.may_contain(&key(i))).count();
        let measured = fp as f64 / absent as f64;
        let (k, m) = (f64::from(f.probes()), f.num_bits() as f64);
        let theory = (1.0 - (-k * n as f64 / m).exp()).powf(k);
        println!(
            "bloom {bits_per_key} bits/key, k = {k}, n = {n}: false positives {fp} / {absent} = \
             {:.4}% (theory {:.4}%)",
            measured * 100.0,
            theory * 100.0
        );
        (measured, theory)
    }

    #[test]
    fn false_positive_rates_match_theory() {
        for bits in [5, 10, 20] {
            let (measured, theory) = measure(bits, 100_000, 1_000_000);
            assert!(
                measured <= 2.0 * theory && measured >= theory / 2.0,
                "{bits} bits/key: measured {measured}, theory {theory}"
            );
        }
    }

    #[test]
    fn sizing() {
        assert_eq!(probes_for(10), 7);
        assert_eq!(probes_for(5), 3);
        assert_eq!(probes_for(20), 14);
        assert_eq!(probes_for(0), 1);
        assert_eq!(probes_for(1000), PROBES_MAX);
        // Empty and tiny filters get 64 bits; sizes round up to whole bytes.
        let mut b = BloomBuilder::new(10);
        let empty = b.finish();
        assert_eq!(empty.len(), 8 + 1);
        assert!(!BloomFilter::new(empty).unwrap().may_contain(b"x"));
        let mut b = BloomBuilder::new(3);
        for i in 0..23 {
            b.add_key(&key(i));
        }
        assert_eq!(b.finish().len(), 72 / 8 + 1);
        // Small filters have no false negatives either.
        for n in 1..50 {
            let mut b = BloomBuilder::new(10);
            (0..n).for_each(|i| b.add_key(&key(i)));
            let f = BloomFilter::new(b.finish()).unwrap();
            assert!((0..n).all(|i| f.may_contain(&key(i))));
        }
    }

    #[test]
    fn probes_stay_in_range_and_spread() {
        for m in [64u64, 72, 1000, 1 << 40] {
            for h in [0u64, 1, u64::MAX, 0x8000_0000_0000_0000, 0xdead_beef_1234_5678] {
                let ps: Vec<u64> = probes(h, m, PROBES_MAX).collect();
                assert!(ps.iter().all(|&p| p < m));
                if m >= 1000 {
                    let mut d = ps.clone();
                    d.sort_unstable();
                    d.dedup();
                    assert!(d.len() > 1, "h {h:#x} m {m}: {ps:?}");
                }
            }
        }
    }

    #[test]
    fn malformed_filters_are_corruption() {
        for bad in [&[][..], &[7], &[0xff, 0], &[0xff, 31], &[0xff; 9]] {
            assert!(BloomFilter::new(bad.to_vec()).unwrap_err().is_corruption(), "{bad:?}");
        }
        // Any shape that passes answers without panicking; all-ones says "maybe" for everything.
        let f = BloomFilter::new(vec![0xff, 0xff, 30]).unwrap();
        assert!(f.may_contain(b"anything"));
        assert_eq!(f.num_bits(), 16);
        let f = BloomFilter::new(vec![0, 1]).unwrap();
        assert!(!f.may_contain(b"anything"));
    }
}
