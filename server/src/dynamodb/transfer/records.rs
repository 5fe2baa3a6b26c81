//! The records of exports and imports, in the keyspace `dynamo.transfers`: key `e/<ExportArn>`
//! or `i/<ImportArn>`, value the record as JSON, written with sync. A record is written when the
//! job is accepted (`IN_PROGRESS`) and again when it ends; one found `IN_PROGRESS` at start was
//! cut short by a crash ([`super::worker::recover`]). A record goes [`RECORD_RETENTION_SECS`]
//! after its job ended (DynamoDB lists exports and imports of the past 90 days).

use super::{Compression, DataFormat};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use shale_engine::{Db, IterOptions, Keyspace, WriteOptions};
use std::ops::Bound;

/// The keyspace of the records.
pub const TRANSFERS_KEYSPACE: &str = "dynamo.transfers";
/// How long a finished job's record is kept: 90 days.
pub const RECORD_RETENTION_SECS: f64 = 90.0 * 86_400.0;
const EXPORT_PREFIX: &str = "e/";
const IMPORT_PREFIX: &str = "i/";

/// A job's status (`ExportStatus`, `ImportStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Status {
    #[serde(rename = "IN_PROGRESS")]
    InProgress,
    #[serde(rename = "COMPLETED")]
    Completed,
    #[serde(rename = "FAILED")]
    Failed,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::InProgress => "IN_PROGRESS",
            Status::Completed => "COMPLETED",
            Status::Failed => "FAILED",
        }
    }
}

/// An export.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportRecord {
    pub id: String,
    pub arn: String,
    pub status: Status,
    pub table_name: String,
    pub table_arn: String,
    pub table_id: String,
    /// Seconds since the epoch.
    pub start_time: f64,
    pub end_time: Option<f64>,
    pub export_time: f64,
    /// Whether `ExportTime` was given (else the export is of the table when it was asked for).
    pub export_time_given: bool,
    pub client_token: String,
    pub bucket: String,
    pub bucket_owner: Option<String>,
    pub prefix: Option<String>,
    pub format: DataFormat,
    /// Whether `ExportType` was given (DynamoDB echoes it only then).
    pub export_type_given: bool,
    pub item_count: Option<u64>,
    pub billed_size_bytes: Option<u64>,
    /// The key of `manifest-summary.json`, once written.
    pub manifest: Option<String>,
    pub failure_code: Option<String>,
    pub failure_message: Option<String>,
}

/// An import.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportRecord {
    pub id: String,
    pub arn: String,
    pub status: Status,
    pub table_name: String,
    pub table_arn: String,
    pub table_id: Option<String>,
    pub client_token: String,
    /// `S3BucketSource` as given.
    pub source: Json,
    pub bucket: String,
    pub key_prefix: String,
    pub format: DataFormat,
    /// `InputFormatOptions` as given.
    pub format_options: Option<Json>,
    pub compression: Compression,
    /// `TableCreationParameters` as given.
    pub creation: Json,
    pub start_time: f64,
    pub end_time: Option<f64>,
    pub processed_size_bytes: u64,
    pub processed_item_count: u64,
    pub imported_item_count: u64,
    pub error_count: u64,
    pub failure_code: Option<String>,
    pub failure_message: Option<String>,
}

/// Errors of the record store.
#[derive(Debug)]
pub struct StoreError(pub String);

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the export and import records: {}", self.0)
    }
}

fn err(e: impl std::fmt::Display) -> StoreError {
    StoreError(e.to_string())
}

/// The records over one database.
pub struct Records {
    db: Db,
    ks: Keyspace,
}

impl Records {
    pub fn open(db: &Db) -> Result<Records, StoreError> {
        let ks = match db.keyspace(TRANSFERS_KEYSPACE) {
            Ok(k) => k,
            Err(_) => db.create_keyspace(TRANSFERS_KEYSPACE).map_err(err)?,
        };
        Ok(Records { db: db.clone(), ks })
    }

    fn put<T: Serialize>(&self, key: String, r: &T) -> Result<(), StoreError> {
        let v = serde_json::to_vec(r).map_err(err)?;
        self.db.put_with(&self.ks, key.as_bytes(), &v, WriteOptions::SYNC).map_err(err)
    }

    fn get<T: for<'de> Deserialize<'de>>(&self, key: String) -> Result<Option<T>, StoreError> {
        match self.db.get(&self.ks, key.as_bytes()).map_err(err)? {
            Some(v) => serde_json::from_slice(&v).map(Some).map_err(err),
            None => Ok(None),
        }
    }

    fn all<T: for<'de> Deserialize<'de>>(&self, prefix: &str) -> Result<Vec<T>, StoreError> {
        let mut upper = prefix.as_bytes().to_vec();
        if let Some(last) = upper.last_mut() {
            *last += 1;
        }
        let opts = IterOptions {
            lower: Bound::Included(prefix.as_bytes().to_vec()),
            upper: Bound::Excluded(upper),
            reverse: false,
        };
        let mut it = self.db.iter(&self.ks, opts).map_err(err)?;
        let mut out = Vec::new();
        while it.advance().map_err(err)? {
            out.push(serde_json::from_slice(it.value()).map_err(err)?);
        }
        Ok(out)
    }

    /// Removes the records of jobs that ended more than [`RECORD_RETENTION_SECS`] before `now`.
    pub fn prune(&self, now: f64) -> Result<(), StoreError> {
        let old = |end: Option<f64>| end.is_some_and(|e| now - e > RECORD_RETENTION_SECS);
        for r in self.exports()? {
            if old(r.end_time) {
                self.remove(format!("{EXPORT_PREFIX}{}", r.arn))?;
            }
        }
        for r in self.imports()? {
            if old(r.end_time) {
                self.remove(format!("{IMPORT_PREFIX}{}", r.arn))?;
            }
        }
        Ok(())
    }

    fn remove(&self, key: String) -> Result<(), StoreError> {
        self.db.delete_with(&self.ks, key.as_bytes(), WriteOptions::SYNC).map_err(err)
    }

    pub fn put_export(&self, r: &ExportRecord) -> Result<(), StoreError> {
        self.put(format!("{EXPORT_PREFIX}{}", r.arn), r)
    }

    pub fn export(&self, arn: &str) -> Result<Option<ExportRecord>, StoreError> {
        self.get(format!("{EXPORT_PREFIX}{arn}"))
    }

    /// Every export, by ARN.
    pub fn exports(&self) -> Result<Vec<ExportRecord>, StoreError> {
        self.all(EXPORT_PREFIX)
    }

    pub fn put_import(&self, r: &ImportRecord) -> Result<(), StoreError> {
        self.put(format!("{IMPORT_PREFIX}{}", r.arn), r)
    }

    pub fn import(&self, arn: &str) -> Result<Option<ImportRecord>, StoreError> {
        self.get(format!("{IMPORT_PREFIX}{arn}"))
    }

    /// Every import, by ARN.
    pub fn imports(&self) -> Result<Vec<ImportRecord>, StoreError> {
        self.all(IMPORT_PREFIX)
    }
}
