//! [`SegmentBloom`]: a concurrent blocked bloom filter over the keys of one memtable segment, so
//! that a point lookup skips the segments that cannot hold its key.
//!
//! Blocked (one 64-byte block per key, [`PROBES`] bits set in it): a lookup or an insert touches
//! one cache line. Inserts `fetch_or` with relaxed ordering *before* the skiplist links the node
//! (a release CAS); a reader that can see the node (its sequence is published to it through
//! acquire loads) therefore sees the bits. A false positive only costs a skiplist seek.

use crate::sync::{AtomicU64, Ordering};
use xxhash_rust::xxh3::xxh3_64;

/// Words of one block: 8 × 64 bits = one cache line.
const BLOCK_WORDS: usize = 8;
/// Bits set per key, inside its block.
pub const PROBES: u32 = 6;
/// Bytes of segment per filter bit: an 8 MiB segment gets 1 Mi bits (128 KiB, 1.6 % of the
/// segment), about 19 bits per key for the 159-byte nodes of 16-byte keys and 100-byte values
/// (under 0.1 % false positives), 6 bits per key for the smallest nodes (48 bytes).
const SEGMENT_BYTES_PER_BIT: usize = 8;
/// The smallest filter (bits).
const BITS_MIN: usize = 512;

const _: () = assert!(BLOCK_WORDS * 64 == 512 && BITS_MIN.is_multiple_of(512));

/// See the module docs.
pub struct SegmentBloom {
    words: Box<[AtomicU64]>,
    blocks: u64,
}

impl std::fmt::Debug for SegmentBloom {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SegmentBloom").field("bytes", &self.bytes()).finish()
    }
}

impl SegmentBloom {
    /// A filter sized for a segment of `segment_bytes`.
    pub fn for_segment(segment_bytes: usize) -> Self {
        let bits = (segment_bytes / SEGMENT_BYTES_PER_BIT).max(BITS_MIN);
        let blocks = bits.div_ceil(BLOCK_WORDS * 64);
        let words = (0..blocks * BLOCK_WORDS).map(|_| AtomicU64::new(0)).collect();
        SegmentBloom { words, blocks: blocks as u64 }
    }

    /// Bytes of the filter (counted in the memtable's size).
    pub fn bytes(&self) -> usize {
        self.words.len() * 8
    }

    /// The block and the bit positions (word in block, bit in word) of `key`.
    fn probes(&self, key: &[u8]) -> (usize, [(usize, u32); PROBES as usize]) {
        let h = xxh3_64(key);
        let block = ((h >> 32) % self.blocks) as usize * BLOCK_WORDS;
        let mut out = [(0usize, 0u32); PROBES as usize];
        let (mut a, b) = (h as u32, (h >> 32) as u32 | 1);
        for p in &mut out {
            // 9 bits pick one of the block's 512 bits.
            let bit = a & 511;
            *p = ((bit >> 6) as usize, bit & 63);
            a = a.wrapping_add(b).rotate_left(7);
        }
        (block, out)
    }

    /// Adds `key`.
    pub fn insert(&self, key: &[u8]) {
        let (block, probes) = self.probes(key);
        for (w, bit) in probes {
            if let Some(word) = self.words.get(block + w) {
                word.fetch_or(1 << bit, Ordering::Relaxed);
            }
        }
    }

    /// False when `key` was never added.
    pub fn may_contain(&self, key: &[u8]) -> bool {
        let (block, probes) = self.probes(key);
        probes.iter().all(|&(w, bit)| {
            self.words
                .get(block + w)
                .is_some_and(|word| word.load(Ordering::Relaxed) & (1 << bit) != 0)
        })
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn no_false_negatives_and_few_false_positives() {
        // 128 Ki bits for 7000 keys: about 19 bits per key.
        let f = SegmentBloom::for_segment(1 << 20);
        for i in 0..7000u32 {
            f.insert(format!("key{i}").as_bytes());
        }
        assert!((0..7000u32).all(|i| f.may_contain(format!("key{i}").as_bytes())));
        let fp = (0..100_000u32).filter(|i| f.may_contain(format!("other{i}").as_bytes())).count();
        assert!(fp < 1000, "{fp} false positives in 100000");
        assert_eq!(SegmentBloom::for_segment(0).bytes(), BITS_MIN / 8);
    }
}
