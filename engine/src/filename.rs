//! Names of the files in a database directory (RocksDB's habit).
//!
//! | file | name |
//! |---|---|
//! | write-ahead log | `NNNNNN.log` |
//! | SSTable | `NNNNNN.sst` |
//! | blob file (separated values) | `NNNNNN.blob` |
//! | manifest | `MANIFEST-NNNNNN` |
//! | pointer to the live manifest | `CURRENT` (its content: the manifest's name and `\n`) |
//! | the process lock | `LOCK` |
//!
//! `NNNNNN` is a file number, zero-padded to at least six digits; all files share one counter.

/// The kinds of file a database directory holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A write-ahead log with its number.
    Wal(u64),
    /// A manifest with its number.
    Manifest(u64),
    /// An SSTable with its number.
    Table(u64),
    /// A blob file with its number.
    Blob(u64),
    /// `CURRENT`.
    Current,
    /// `LOCK`.
    Lock,
    /// A temporary file of an atomic replace.
    Temp,
}

/// `CURRENT`.
pub const CURRENT: &str = "CURRENT";
/// `LOCK`.
pub const LOCK: &str = "LOCK";

/// The WAL file name for `number`.
pub fn wal(number: u64) -> String {
    format!("{number:06}.log")
}

/// The SSTable file name for `number`.
pub fn table(number: u64) -> String {
    format!("{number:06}.sst")
}

/// The blob file name for `number`.
pub fn blob(number: u64) -> String {
    format!("{number:06}.blob")
}

/// The manifest file name for `number`.
pub fn manifest(number: u64) -> String {
    format!("MANIFEST-{number:06}")
}

/// Parses a file name of the database directory.
pub fn parse(name: &str) -> Option<FileKind> {
    if name == CURRENT {
        return Some(FileKind::Current);
    }
    if name == LOCK {
        return Some(FileKind::Lock);
    }
    if name.ends_with(".tmp") {
        return Some(FileKind::Temp);
    }
    if let Some(n) = name.strip_prefix("MANIFEST-") {
        return parse_number(n).map(FileKind::Manifest);
    }
    if let Some(n) = name.strip_suffix(".log") {
        return parse_number(n).map(FileKind::Wal);
    }
    if let Some(n) = name.strip_suffix(".sst") {
        return parse_number(n).map(FileKind::Table);
    }
    if let Some(n) = name.strip_suffix(".blob") {
        return parse_number(n).map(FileKind::Blob);
    }
    None
}

fn parse_number(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        assert_eq!(parse(&wal(7)), Some(FileKind::Wal(7)));
        assert_eq!(wal(7), "000007.log");
        assert_eq!(parse(&manifest(1234567)), Some(FileKind::Manifest(1234567)));
        assert_eq!(parse("CURRENT"), Some(FileKind::Current));
        assert_eq!(parse(&table(12)), Some(FileKind::Table(12)));
        assert_eq!(blob(12), "000012.blob");
        assert_eq!(parse(&blob(12)), Some(FileKind::Blob(12)));
        assert_eq!(parse("x.log"), None);
        assert_eq!(parse("-1.log"), None);
        assert_eq!(parse("MANIFEST-"), None);
    }
}
