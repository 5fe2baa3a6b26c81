//! [`FastHasher`]: a quick, non-cryptographic hasher for keys the engine makes itself (table
//! numbers, block offsets), where the standard library's DoS-resistant SipHash only costs time.
//! Never use it for keys an outside party chooses.

use std::hash::{BuildHasherDefault, Hasher};

/// Word-at-a-time multiply-rotate mixing, finished with MurmurHash3's 64-bit finalizer so that
/// every output bit depends on every input bit (shard choice uses high bits, tables low ones).
#[derive(Debug, Default, Clone, Copy)]
pub struct FastHasher(u64);

/// Builds [`FastHasher`]s (for `HashMap::with_hasher`).
pub type FastBuildHasher = BuildHasherDefault<FastHasher>;

const MUL: u64 = 0x517C_C1B7_2722_0A95;

impl Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut w = [0u8; 8];
            for (d, s) in w.iter_mut().zip(chunk) {
                *d = *s;
            }
            self.write_u64(u64::from_le_bytes(w));
        }
    }

    fn write_u8(&mut self, n: u8) {
        self.write_u64(u64::from(n));
    }

    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(MUL);
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }

    fn finish(&self) -> u64 {
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xFF51_AFD7_ED55_8CCD);
        h ^= h >> 33;
        h = h.wrapping_mul(0xC4CE_B9FE_1A85_EC53);
        h ^ (h >> 33)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::BuildHasher;

    #[test]
    fn spreads_block_keys_over_shards() {
        // (table, offset) pairs as the block cache sees them: 16 shards stay within 20% of even.
        let b = FastBuildHasher::default();
        let mut shards = [0u32; 16];
        for table in 1..50u64 {
            for block in 0..1000u64 {
                let h = b.hash_one((table, block * 4096));
                shards[((h >> 32) & 15) as usize] += 1;
            }
        }
        let even = 49_000 / 16;
        assert!(shards.iter().all(|&n| n > even * 8 / 10 && n < even * 12 / 10), "{shards:?}");
        assert_ne!(b.hash_one((1u64, 0u64)), b.hash_one((0u64, 1u64)));
        assert_ne!(b.hash_one(b"ab".as_slice()), b.hash_one(b"ba".as_slice()));
    }
}
