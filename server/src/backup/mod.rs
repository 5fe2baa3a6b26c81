//! On-demand backups of DynamoDB tables (CreateBackup and the rest, `dynamodb/ops/backups.rs`):
//! where they live and how they are made, found and removed.
//!
//! Each backup is a folder `backups/<id>/` in the database's folder (on the database's file
//! system, so in memory for `--in-memory`), holding:
//!
//! - `db/`: a checkpoint of the table's keyspaces only ([`shale_engine::Db::checkpoint_keyspaces`]:
//!   its items, its indexes' entries and its item collections' sizes, tables hard-linked, so a
//!   backup costs no copy until compaction replaces the live files), consistent as of one
//!   sequence number, taken without a write lock;
//! - `MANIFEST`: the backup's record (name, ARN, the table's definition as it was, size and
//!   item count), written last and atomically, with a checksum (`docs/format/backup.md`).
//!
//! A backup exists once its `MANIFEST` does: a folder without one (a crash during
//! CreateBackup) is removed at the next start, and DeleteBackup removes the `MANIFEST` first.
//! The records are independent of the table: a backup outlives DeleteTable and restarts.

use crate::dynamodb::schema::table::TableMeta;
use serde::{Deserialize, Serialize};
use shale_engine::fs::FileSystem;
use shale_engine::{Db, Keyspace};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The folder of backups inside the database's folder.
pub const BACKUPS_DIR: &str = "backups";
/// A backup's record file.
pub const MANIFEST: &str = "MANIFEST";
/// The separator between a manifest's JSON and its checksum line.
const CRC_PREFIX: &str = "\ncrc32 ";
/// Largest manifest read (a table definition is a few kilobytes).
pub const MANIFEST_BYTES_MAX: u64 = 1 << 20;

/// What a backup records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BackupRecord {
    /// The id in the ARN (`<13-digit ms>-<8 hex digits>`, as DynamoDB's).
    pub id: String,
    pub arn: String,
    pub name: String,
    pub table_arn: String,
    /// Seconds since the epoch.
    pub created: f64,
    pub size_bytes: u64,
    pub item_count: u64,
    /// The table as it was.
    pub meta: TableMeta,
}

/// Errors of the backup store, for the operations to put in DynamoDB's words.
#[derive(Debug)]
pub enum BackupError {
    /// The manifest is damaged (its checksum or its JSON).
    Corrupt(String),
    /// The engine or the file system failed.
    Io(String),
}

impl std::fmt::Display for BackupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BackupError::Corrupt(m) | BackupError::Io(m) => f.write_str(m),
        }
    }
}

fn io(e: impl std::fmt::Display) -> BackupError {
    BackupError::Io(e.to_string())
}

/// A manifest's bytes: the record's JSON, then `\ncrc32 ` and the CRC-32 of the JSON in 8
/// lowercase hex digits, then `\n`.
pub fn encode_manifest(r: &BackupRecord) -> Vec<u8> {
    let mut out = serde_json::to_vec(r).unwrap_or_default();
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(format!("{CRC_PREFIX}{crc:08x}\n").as_bytes());
    out
}

/// Reads a manifest's bytes, checking the checksum first.
pub fn decode_manifest(bytes: &[u8]) -> Result<BackupRecord, BackupError> {
    let text = std::str::from_utf8(bytes).map_err(|_| BackupError::Corrupt("not UTF-8".into()))?;
    let (json, tail) = text
        .rsplit_once(CRC_PREFIX)
        .ok_or_else(|| BackupError::Corrupt("no checksum line".into()))?;
    let hex = tail.strip_suffix('\n').filter(|h| h.len() == 8);
    let want = hex
        .and_then(|h| u32::from_str_radix(h, 16).ok())
        .ok_or_else(|| BackupError::Corrupt(format!("bad checksum line {tail:?}")))?;
    let got = crc32fast::hash(json.as_bytes());
    if got != want {
        return Err(BackupError::Corrupt(format!("checksum {got:08x}, expected {want:08x}")));
    }
    serde_json::from_str(json).map_err(|e| BackupError::Corrupt(e.to_string()))
}

/// The backups of one database.
pub struct Backups {
    db: Db,
    fs: Arc<dyn FileSystem>,
    dir: PathBuf,
    /// Serializes creations, deletions and restores (a restore opens the backup's database).
    change: Mutex<()>,
}

impl std::fmt::Debug for Backups {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Backups").field("dir", &self.dir).finish()
    }
}

/// Removes a folder whose sub-folders hold files only.
fn remove_tree(fs: &dyn FileSystem, dir: &Path) -> Result<(), BackupError> {
    for name in fs.list(dir).map_err(io)? {
        let p = dir.join(&name);
        if fs.remove(&p).is_err() {
            remove_tree(fs, &p)?;
        }
    }
    fs.remove_dir(dir).map_err(io)
}

impl Backups {
    /// The backups of `db`; removes what a crash left of a backup being made.
    pub fn open(db: Db) -> Result<Backups, BackupError> {
        let fs = db.file_system();
        let dir = db.path().join(BACKUPS_DIR);
        fs.create_dir_all(&dir).map_err(io)?;
        for name in fs.list(&dir).map_err(io)? {
            let b = dir.join(&name);
            if !fs.exists(&b.join(MANIFEST)).map_err(io)? {
                tracing::warn!("removing backup folder {name}: it was never finished");
                remove_tree(fs.as_ref(), &b)?;
            }
        }
        Ok(Backups { db, fs, dir, change: Mutex::new(()) })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ()> {
        self.change.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Every backup, oldest first.
    pub fn list(&self) -> Result<Vec<BackupRecord>, BackupError> {
        let mut out = Vec::new();
        for name in self.fs.list(&self.dir).map_err(io)? {
            let path = self.dir.join(&name).join(MANIFEST);
            // Being made or deleted: not (or no longer) a backup.
            let Ok(bytes) =
                shale_engine::fs::read_small_file(self.fs.as_ref(), &path, MANIFEST_BYTES_MAX)
            else {
                continue;
            };
            out.push(decode_manifest(&bytes).map_err(|e| {
                BackupError::Corrupt(format!("backup {name}: its manifest is damaged: {e}"))
            })?);
        }
        out.sort_by(|a, b| a.created.total_cmp(&b.created).then_with(|| a.id.cmp(&b.id)));
        Ok(out)
    }

    /// The backup with ARN `arn`.
    pub fn get(&self, arn: &str) -> Result<Option<BackupRecord>, BackupError> {
        Ok(self.list()?.into_iter().find(|b| b.arn == arn))
    }

    /// Backs up `keyspaces` (the table's, its indexes', its collections') as `record` (whose
    /// size and item count are filled in here).
    pub fn create(
        &self,
        mut record: BackupRecord,
        keyspaces: &[&Keyspace],
    ) -> Result<BackupRecord, BackupError> {
        let _guard = self.lock();
        let dir = self.dir.join(&record.id);
        let made = (|| {
            self.fs.create_dir_all(&dir).map_err(io)?;
            self.db.checkpoint_keyspaces(keyspaces, dir.join("db")).map_err(io)?;
            let mut size = 0;
            for name in self.fs.list(&dir.join("db")).map_err(io)? {
                let f = self.fs.open(&dir.join("db").join(name)).map_err(io)?;
                size += f.len().map_err(io)?;
            }
            record.size_bytes = size;
            record.item_count = self.count_items(&dir, &record.meta.keyspace)?;
            shale_engine::fs::write_file_atomic(
                self.fs.as_ref(),
                &dir,
                MANIFEST,
                &encode_manifest(&record),
            )
            .map_err(io)?;
            Ok(record)
        })();
        if made.is_err() && self.fs.exists(&dir).unwrap_or(false) {
            let _ = remove_tree(self.fs.as_ref(), &dir);
        }
        made
    }

    /// Items in the backup's table keyspace (read from a copy: opening a database writes to it).
    fn count_items(&self, dir: &Path, keyspace: &str) -> Result<u64, BackupError> {
        self.with_copy(dir, |db| {
            let ks = db.keyspace(keyspace).map_err(io)?;
            let mut it = db.iter(&ks, shale_engine::IterOptions::all()).map_err(io)?;
            let mut n = 0;
            while it.advance().map_err(io)? {
                n += 1;
            }
            Ok(n)
        })
    }

    /// Runs `f` on a copy of backup folder `dir`'s database (tables hard-linked), removed after.
    fn with_copy<T>(
        &self,
        dir: &Path,
        f: impl FnOnce(&Db) -> Result<T, BackupError>,
    ) -> Result<T, BackupError> {
        let (from, to) = (dir.join("db"), dir.join("open"));
        if self.fs.exists(&to).map_err(io)? {
            remove_tree(self.fs.as_ref(), &to)?;
        }
        self.fs.create_dir_all(&to).map_err(io)?;
        let result = (|| {
            for name in self.fs.list(&from).map_err(io)? {
                let (a, b) = (from.join(&name), to.join(&name));
                let linked = (name.ends_with(".sst") || name.ends_with(".blob"))
                    && self.fs.hard_link(&a, &b).is_ok();
                if !linked {
                    let bytes = shale_engine::fs::read_small_file(self.fs.as_ref(), &a, u64::MAX)
                        .map_err(io)?;
                    let w = self.fs.create(&b).map_err(io)?;
                    w.append(&bytes).map_err(io)?;
                    w.sync().map_err(io)?;
                }
            }
            let opts = shale_engine::Options {
                fs: Arc::clone(&self.fs),
                create_if_missing: false,
                ..shale_engine::Options::default()
            };
            let db = Db::open(&to, opts).map_err(io)?;
            let r = f(&db);
            drop(db);
            r
        })();
        remove_tree(self.fs.as_ref(), &to)?;
        result
    }

    /// Runs `f` on the database of backup `record` (a restore reads the table from it).
    pub fn read<T>(
        &self,
        record: &BackupRecord,
        f: impl FnOnce(&Db) -> Result<T, BackupError>,
    ) -> Result<T, BackupError> {
        let _guard = self.lock();
        self.with_copy(&self.dir.join(&record.id), f)
    }

    /// Deletes a backup: its manifest first (from then on it is gone), then its files.
    pub fn delete(&self, record: &BackupRecord) -> Result<(), BackupError> {
        let _guard = self.lock();
        let dir = self.dir.join(&record.id);
        self.fs.remove(&dir.join(MANIFEST)).map_err(io)?;
        self.fs.sync_dir(&dir).map_err(io)?;
        remove_tree(self.fs.as_ref(), &dir)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manifest_round_trips_and_any_damage_is_refused() {
        let r = BackupRecord {
            id: "01700000000000-0a1b2c3d".into(),
            arn: "arn:aws:dynamodb:us-east-1:000000000000:table/t/backup/01700000000000-0a1b2c3d"
                .into(),
            name: "nightly".into(),
            table_arn: "arn:aws:dynamodb:us-east-1:000000000000:table/t".into(),
            created: 1_700_000_000.5,
            size_bytes: 1234,
            item_count: 7,
            meta: TableMeta::for_tests("pk", None),
        };
        let bytes = encode_manifest(&r);
        assert_eq!(decode_manifest(&bytes).unwrap(), r);
        for i in 0..bytes.len() {
            let mut m = bytes.clone();
            m[i] ^= 0x01;
            assert!(decode_manifest(&m).is_err(), "flip at {i} decoded");
        }
        assert!(decode_manifest(&bytes[..bytes.len() - 1]).is_err());
        // The worked example of docs/format/backup.md.
        let doc = include_str!("../../../docs/format/backup.md");
        let example = br#"{"a":1}"#;
        let crc = crc32fast::hash(example);
        assert!(doc.contains(&format!("crc32 {crc:08x}")), "backup.md's example checksum");
    }
}
