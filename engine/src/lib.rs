//! # shale-engine
//!
//! A log-structured storage engine. Layers, bottom to top: a module uses only the modules of the
//! layers below its own (and, within the codecs, `manifest` uses `batch`'s keyspace ids).
//! `tests/layering.rs` holds this order and checks every `crate::` path against it.
//!
//! | layer | module | concern |
//! |---|---|---|
//! | foundation | [`error`], [`perf`], `sync` | the error type; the per-thread performance context; atomics and locks (`std`'s, or loom's under `cfg(loom)`) |
//! | util | `util` | integer coding, checksums, hashing, histograms, a PRNG |
//! | seam | [`fs`] | every file operation; OS, io_uring and in-memory file systems; fault injection for tests (feature `testing`) |
//! | names | [`key`], [`filename`] | internal keys and the answer of a point lookup; file names of a database directory |
//! | iterators | [`iter`] | the internal iterator trait, the merging iterator |
//! | cache | [`cache`] | sharded LRU caches of blocks, open tables and open blob files |
//! | codecs | [`wal`], [`batch`], [`blob`], [`manifest`], [`sst`] | byte formats of the log, write batches, blob files, version edits, SSTables |
//! | memtable | [`memtable`] | the lock-free skiplists holding recent writes |
//! | version | `version` | which tables a keyspace has; point reads and iterators over them |
//! | compaction | [`compaction`] | picking compactions and running the merge |
//! | db | `db` | [`Db`]: group commit, recovery, keyspaces, snapshots, iterators, background threads |
//!
//! Start at [`Db::open`].
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)
)]
#![warn(missing_docs)]
// Every `unsafe` block and impl says why it is sound, in a `// SAFETY:` comment.
#![deny(clippy::undocumented_unsafe_blocks)]

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
pub mod perf;
pub mod sst;
mod sync;
mod util;
mod version;
pub mod wal;

pub use db::options::{IterOptions, Options, WalArchiveOptions, WalRecoveryMode, WriteOptions};
pub use db::{
    ArchiveStats, Clock, Db, DbIterator, DbStats, Keyspace, KeyspaceStats, LevelStats, LogUpdates,
    LoggedBatch, LoggedEntry, ManualClock, Percentiles, RestorePoint, Restored, Snapshot,
    SystemClock, VerifyReport, WriteBatch, DEFAULT_KEYSPACE,
};
pub use error::{Error, Result};
