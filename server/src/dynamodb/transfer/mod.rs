//! Exports of tables to, and imports of tables from, files laid out as DynamoDB lays them out in
//! S3 (`docs/format/export.md`, `docs/backup.md`). A bucket is a folder under the export root
//! (`--export-root`): bucket `b`, key `k` is the file `<root>/b/k`.
//!
//! - [`export`]: writes one export (data files, manifests) and publishes it atomically.
//! - [`import`]: reads the files under a key prefix, item by item, counting bad ones.
//! - [`ddb_json`], [`ion`], [`csv`]: the text formats.
//! - [`records`]: the exports' and imports' records (DescribeExport, ListImports and the rest).
//! - [`worker`]: runs the jobs in the background, one at a time.
//!
//! The operations are in `dynamodb/ops/exports.rs` and `dynamodb/ops/imports.rs`; the offline
//! `shale export` and `shale import` call [`export`] and [`import`] directly.

pub mod csv;
pub mod ddb_json;
pub mod export;
pub mod import;
pub mod ion;
pub mod records;
pub mod worker;

use std::path::{Path, PathBuf};

/// Longest line (or CSV record) an import reads. An item is at most 400 KB; its text form
/// (base64, escapes, type tags) stays well below this. A longer line is an error counted in
/// `ErrorCount`, skipped without being held.
pub const RECORD_BYTES_MAX: usize = 4 << 20;
/// Most files one import reads (DynamoDB's quota).
pub const IMPORT_FILES_MAX: usize = 50_000;
/// Longest `S3Prefix` / `S3KeyPrefix` (the model's bound).
pub const KEY_PREFIX_LEN_MAX: usize = 1024;
/// The folder DynamoDB writes exports under, below the prefix.
pub const EXPORTS_FOLDER: &str = "AWSDynamoDB";

/// The item formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum DataFormat {
    #[serde(rename = "DYNAMODB_JSON")]
    DynamodbJson,
    #[serde(rename = "ION")]
    Ion,
    #[serde(rename = "CSV")]
    Csv,
}

impl DataFormat {
    pub fn name(self) -> &'static str {
        match self {
            DataFormat::DynamodbJson => "DYNAMODB_JSON",
            DataFormat::Ion => "ION",
            DataFormat::Csv => "CSV",
        }
    }

    pub fn parse(s: &str) -> Option<DataFormat> {
        match s {
            "DYNAMODB_JSON" => Some(DataFormat::DynamodbJson),
            "ION" => Some(DataFormat::Ion),
            "CSV" => Some(DataFormat::Csv),
            _ => None,
        }
    }

    /// A data file's extension before `.gz`.
    pub fn extension(self) -> &'static str {
        match self {
            DataFormat::DynamodbJson => "json",
            DataFormat::Ion => "ion",
            DataFormat::Csv => "csv",
        }
    }
}

/// How import files are compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Compression {
    #[serde(rename = "GZIP")]
    Gzip,
    #[serde(rename = "ZSTD")]
    Zstd,
    #[serde(rename = "NONE")]
    None,
}

impl Compression {
    pub fn name(self) -> &'static str {
        match self {
            Compression::Gzip => "GZIP",
            Compression::Zstd => "ZSTD",
            Compression::None => "NONE",
        }
    }

    pub fn parse(s: &str) -> Option<Compression> {
        match s {
            "GZIP" => Some(Compression::Gzip),
            "ZSTD" => Some(Compression::Zstd),
            "NONE" => Some(Compression::None),
            _ => None,
        }
    }
}

/// Checks a bucket name by S3's rules (3 to 63 of `a-z 0-9 . -`, starting and ending with a
/// letter or digit): so a name never leaves the export root.
pub fn check_bucket_name(name: &str) -> Result<(), String> {
    let ok_chars = name
        .bytes()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'.' || c == b'-');
    let edge = |c: Option<u8>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if (3..=63).contains(&name.len())
        && ok_chars
        && edge(name.bytes().next())
        && edge(name.bytes().last())
        && !name.contains("..")
    {
        Ok(())
    } else {
        Err(format!(
            "Invalid bucket name {name:?}: a bucket name is 3 to 63 lowercase letters, digits, \
             dots and hyphens, starting and ending with a letter or digit"
        ))
    }
}

/// Checks a key prefix: at most [`KEY_PREFIX_LEN_MAX`] bytes, relative, no `.` or `..`
/// segment, no backslash or NUL (so it stays inside its bucket's folder).
pub fn check_key_prefix(prefix: &str, what: &str) -> Result<(), String> {
    let bad_segment = prefix.split('/').enumerate().any(|(i, seg)| {
        seg == ".." || seg == "." || (seg.is_empty() && i == 0 && !prefix.is_empty())
    });
    if prefix.len() > KEY_PREFIX_LEN_MAX {
        return Err(format!("{what} is longer than {KEY_PREFIX_LEN_MAX} bytes"));
    }
    if bad_segment || prefix.contains('\\') || prefix.contains('\0') {
        return Err(format!(
            "{what} {prefix:?} is not a relative key: it may not start with '/', hold a '.' or \
             '..' segment, a backslash or a NUL"
        ));
    }
    Ok(())
}

/// Where buckets are.
#[derive(Debug, Clone)]
pub struct Buckets {
    root: PathBuf,
}

impl Buckets {
    pub fn new(root: impl Into<PathBuf>) -> Buckets {
        Buckets { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The folder of bucket `name`, which must exist (as an S3 bucket must).
    pub fn bucket(&self, name: &str) -> Result<PathBuf, Failure> {
        check_bucket_name(name).map_err(|m| Failure::new("S3InvalidBucketName", m))?;
        let dir = self.root.join(name);
        if dir.is_dir() {
            Ok(dir)
        } else {
            Err(Failure::new(
                "S3NoSuchBucket",
                format!(
                    "The specified bucket does not exist: {name} (no folder {})",
                    dir.display()
                ),
            ))
        }
    }
}

/// Why an export or import failed: DynamoDB's `FailureCode` and `FailureMessage`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub code: String,
    pub message: String,
}

impl Failure {
    pub fn new(code: &str, message: impl Into<String>) -> Failure {
        Failure { code: code.to_string(), message: message.into() }
    }

    pub fn io(what: &str, e: impl std::fmt::Display) -> Failure {
        Failure::new("IOError", format!("{what}: {e}"))
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

/// `2020-11-04T07:28:34.028Z` of seconds since the epoch.
pub fn iso_millis(secs: f64) -> String {
    let whole = secs.max(0.0).floor();
    let ms = (((secs.max(0.0) - whole) * 1000.0).round() as u64).min(999);
    let base = crate::iam::xml::iso8601(whole as u64);
    format!("{}.{ms:03}Z", base.trim_end_matches('Z'))
}

/// A new id: `<14-digit ms>-<8 hex digits>` (DynamoDB's export and import ids).
pub fn new_id(now: f64) -> String {
    let mut r = [0u8; 4];
    if getrandom::getrandom(&mut r).is_err() {
        r = (xxhash_rust::xxh3::xxh3_64(format!("{now}").as_bytes()) as u32).to_le_bytes();
    }
    format!("{:014}-{:08x}", (now * 1000.0) as u64, u32::from_le_bytes(r))
}

/// `n` random lowercase base32 characters (a data file's name, as DynamoDB's).
pub fn random_name(n: usize) -> String {
    const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
    let mut r = vec![0u8; n];
    if getrandom::getrandom(&mut r).is_err() {
        let seed =
            xxhash_rust::xxh3::xxh3_64(format!("{:?}", std::time::SystemTime::now()).as_bytes());
        for (i, b) in r.iter_mut().enumerate() {
            *b = (seed >> ((i % 8) * 8)) as u8;
        }
    }
    r.iter()
        .map(|b| char::from(ALPHABET.get(usize::from(b & 31)).copied().unwrap_or(b'a')))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_names_and_prefixes_stay_inside_the_root() {
        for ok in ["abc", "my-bucket.2026", "a1b"] {
            check_bucket_name(ok).unwrap();
        }
        for bad in ["ab", "..", "a..b", "A-bucket", "-abc", "abc-", "a/b", "a b", &"x".repeat(64)] {
            assert!(check_bucket_name(bad).is_err(), "{bad}");
        }
        for ok in ["", "2020-Nov", "a/b/c", "a/b/", "x.y"] {
            check_key_prefix(ok, "S3Prefix").unwrap();
        }
        for bad in ["/abs", "a/../b", "..", "./a", "a\\b", "a\0b"] {
            let e = check_key_prefix(bad, "S3Prefix").unwrap_err();
            assert!(e.contains("S3Prefix"), "{e}");
        }
        assert!(check_key_prefix(&"a".repeat(1025), "S3KeyPrefix").is_err());
    }

    #[test]
    fn times_ids_and_names() {
        assert_eq!(iso_millis(1604474914.028), "2020-11-04T07:28:34.028Z");
        assert_eq!(iso_millis(0.0), "1970-01-01T00:00:00.000Z");
        let id = new_id(1604474914.028);
        assert!(id.starts_with("01604474914028-") && id.len() == 23, "{id}");
        let n = random_name(26);
        assert_eq!(n.len(), 26);
        assert!(n.bytes().all(|c| c.is_ascii_lowercase() || (b'2'..=b'7').contains(&c)));
    }
}
