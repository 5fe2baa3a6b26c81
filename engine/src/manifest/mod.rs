//! The MANIFEST codec: version edits ([`VersionEdit`]) and the state they add up to
//! ([`ManifestState`]). How the database reads and rewrites the manifest is in
//! `db/recovery.rs`. The format is specified once, in `docs/format/manifest.md`, which follows
//! here as it is.
//!
#![doc = include_str!("../../../docs/format/manifest.md")]

mod edit;

pub use edit::{
    BlobFileMeta, BlobGarbage, FileMeta, LevelFiles, ManifestState, VersionEdit,
    KEYSPACE_NAME_LEN_MAX, LEVELS, TABLE_BLOB_REFS_MAX,
};

/// Largest manifest record accepted when reading (a snapshot of thousands of keyspaces fits).
pub const RECORD_LEN_MAX: usize = 64 << 20;
