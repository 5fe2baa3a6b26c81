//! # shale-engine
//!
//! A log-structured storage engine. Layers, bottom to top (each uses only those below it):
//!
//! | layer | module | concern |
//! |---|---|---|
//! | seam | [`fs`] | every file operation; OS and fault-injecting in-memory implementations |
//! | util | `util` | integer coding, checksums |
//! | codecs | [`wal`], `batch`, `manifest` | byte formats of the log, write batches, version edits |
//! | memtable | `memtable` | the lock-free skiplist holding recent writes |
//! | db | [`Db`] | group commit, recovery, keyspaces, snapshots, iterators |
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)
)]
#![warn(missing_docs)]

pub mod error;
pub mod fs;
// Shared helpers for codecs that are still being written (batch, manifest, memtable); drop this
// allow once they use every helper.
#[allow(dead_code)]
mod util;
pub mod wal;

pub use error::{Error, Result};
