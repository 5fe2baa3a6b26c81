//! # shale-engine
//!
//! A log-structured storage engine. Layers, bottom to top (each uses only those below it):
//!
//! | layer | module | concern |
//! |---|---|---|
//! | seam | [`fs`] | every file operation; OS and fault-injecting in-memory implementations |
//! | util | `util` | integer coding, checksums |
//! | codecs | [`wal`], [`batch`], [`manifest`] | byte formats of the log, write batches, version edits |
//! | memtable | [`memtable`] | the lock-free skiplist holding recent writes |
//! | cache | [`cache`] | sharded LRU caches of blocks and open tables |
//! | db | [`Db`] | group commit, recovery, keyspaces, snapshots, iterators |
//!
//! Start at [`Db::open`].
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)
)]
#![warn(missing_docs)]

pub mod batch;
pub mod blob;
pub mod cache;
pub mod compaction;
mod db;
pub mod error;
pub mod filename;
pub mod fs;
pub mod iter;
pub mod key;
pub mod manifest;
pub mod memtable;
pub mod sst;
mod sync;
mod util;
mod version;
pub mod wal;

pub use db::options::{IterOptions, Options, WalRecoveryMode, WriteOptions};
pub use db::{
    Db, DbIterator, DbStats, Keyspace, KeyspaceStats, LevelStats, Percentiles, Snapshot,
    VerifyReport, WriteBatch, DEFAULT_KEYSPACE,
};
pub use error::{Error, Result};
