//! Caches of decoded data: the block cache and the table cache's LRU.
//!
//! Both are a [`ShardedLru`]: a concurrent least-recently-used map bounded by the total *charge*
//! of its entries, split into independently locked shards.
//!
//! * The **block cache** maps a [`BlockKey`] (file number, block offset) to a decoded block,
//!   charged by its size in bytes, so hot blocks are read and checksummed once.
//! * The **table cache** maps a file number to an open table reader, charged 1 per table, so it
//!   bounds the number of open files.
//!
//! Values are shared as `Arc`s: an evicted block stays alive for as long as an iterator still
//! reads it, and memory is bounded by the capacity plus what readers pin.

mod lru;

pub use lru::{CacheStats, ShardedLru, DEFAULT_SHARDS};

/// The block cache's key: which file, and where in it the block starts.
///
/// File numbers are never reused, so a key never names a stale block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlockKey {
    /// The SSTable's file number.
    pub file: u64,
    /// Offset of the block's first byte in that file.
    pub offset: u64,
}
