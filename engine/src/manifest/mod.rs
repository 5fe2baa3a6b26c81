//! The MANIFEST: which keyspaces (and, from the SSTable issue on, which files) make up the database.
//!
//! A manifest file `MANIFEST-NNNNNN` is a log in the WAL's format (`crate::wal`: 32 KiB blocks,
//! crc32-checked fragments) whose records are [`VersionEdit`]s. The first record of a manifest is a
//! full snapshot of the state; later records are changes. `CURRENT` names the live manifest and is
//! replaced atomically (write `CURRENT.tmp`, fsync, rename, fsync the directory). Every open writes a
//! fresh manifest holding one snapshot record, so a manifest never grows past one session's edits.
//!
//! A version edit is a sequence of tagged fields (`tag:varint32` then the field):
//!
//! | tag | field | encoding |
//! |---|---|---|
//! | 0 | reserved | never written |
//! | 1 | next file number | varint64 |
//! | 2 | last sequence | varint64 |
//! | 3 | log number: WAL files numbered below it are obsolete | varint64 |
//! | 4 | next keyspace id | varint32 |
//! | 5 | add keyspace | id:varint32, name: varint32 length + UTF-8 bytes (1..=255) |
//! | 6 | drop keyspace | id:varint32 |
//! | 7 | new file | keyspace:varint32, level:varint32, number:varint64, size:varint64, smallest key and largest key (length-prefixed internal keys), smallest seq:varint64, largest seq:varint64, entries:varint64 |
//! | 8 | deleted file | keyspace:varint32, level:varint32, number:varint64 |
//! | 9 | keyspace log number | keyspace:varint32, number:varint64: that keyspace's writes in WAL files below it are all in SSTables |
//! | 10 | new blob file | keyspace:varint32, number:varint64, size:varint64, records:varint64, record bytes:varint64 |
//! | 11 | blob garbage | keyspace:varint32, number:varint64, records:varint64, bytes:varint64: added to the file's garbage |
//! | 12 | deleted blob file | keyspace:varint32, number:varint64 (every record of it garbage) |
//! | 13 | new file with blob references | the fields of tag 7, then count:varint32 and that many blob file numbers (varint64, ascending) its entries point into |
//!
//! An unknown tag is corruption (a newer format must bump the manifest's first record). Details and a
//! worked example: `docs/format/manifest.md`.

mod edit;

pub use edit::{
    BlobFileMeta, BlobGarbage, FileMeta, LevelFiles, ManifestState, VersionEdit,
    KEYSPACE_NAME_LEN_MAX, LEVELS, TABLE_BLOB_REFS_MAX,
};

/// Largest manifest record accepted when reading (a snapshot of thousands of keyspaces fits).
pub const RECORD_LEN_MAX: usize = 64 << 20;
