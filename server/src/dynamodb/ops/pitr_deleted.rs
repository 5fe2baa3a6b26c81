//! Point-in-time recovery of deleted tables: DynamoDB lets a table whose recovery was on be
//! restored for its recovery period after DeleteTable, to any instant of its window up to the
//! deletion. Each such deletion is recorded in the keyspace `dynamo.pitr.deleted` (key: the
//! table's name, a NUL and the deletion time in ms, 20 digits; value: [`Deleted`] as JSON,
//! written with sync), the engine's archive keeps the log that window needs
//! ([`retention_ms`]), and a record goes once its period has passed.

use crate::dynamodb::error::{DResult, DynamoError};
use crate::dynamodb::ops::{now_secs, Gateway};
use crate::dynamodb::schema::table::{PitrMeta, TableMeta};
use serde::{Deserialize, Serialize};
use shale_engine::{IterOptions, Keyspace, WriteOptions};

/// The keyspace of the records.
pub const DELETED_KEYSPACE: &str = "dynamo.pitr.deleted";

const DAY_SECS: f64 = 86_400.0;

/// A deleted table whose recovery was on.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Deleted {
    pub name: String,
    pub pitr: PitrMeta,
    /// When DeleteTable ran, seconds since the epoch, read from the database's clock before the
    /// table's removal was written: that write's commit time is at least this, so every
    /// instant before it still has the table.
    pub deleted: f64,
}

impl Deleted {
    /// The window restores reach: from when recovery was enabled (or the period before the
    /// deletion) to the last millisecond before the deletion.
    pub fn window(&self) -> (f64, f64) {
        let start = self.pitr.since.max(self.deleted - f64::from(self.pitr.period_days) * DAY_SECS);
        (start, self.deleted - 0.001)
    }

    /// Until when it may be restored: its period after the deletion.
    fn expires(&self) -> f64 {
        self.deleted + f64::from(self.pitr.period_days) * DAY_SECS
    }
}

fn keyspace(g: &Gateway) -> DResult<Keyspace> {
    match g.db.keyspace(DELETED_KEYSPACE) {
        Ok(k) => Ok(k),
        Err(_) => Ok(g.db.create_keyspace(DELETED_KEYSPACE)?),
    }
}

fn internal(e: impl std::fmt::Display) -> DynamoError {
    DynamoError::Internal(format!("the deleted tables' recovery records: {e}"))
}

/// The instant to record for a deletion about to be written (see [`Deleted::deleted`]).
pub fn deleting_at(g: &Gateway) -> f64 {
    g.db.now_ms() as f64 / 1000.0
}

/// Records the deletion, at `deleted` ([`deleting_at`]), of `meta`'s table, if its recovery
/// was on.
pub fn note(g: &Gateway, meta: &TableMeta, deleted: f64) -> DResult<()> {
    let Some(pitr) = meta.pitr else { return Ok(()) };
    let record = Deleted { name: meta.name.clone(), pitr, deleted };
    let key = format!("{}\0{:020}", meta.name, (deleted * 1000.0) as u64);
    let value = serde_json::to_vec(&record).map_err(internal)?;
    g.db.put_with(&keyspace(g)?, key.as_bytes(), &value, WriteOptions::SYNC)?;
    Ok(())
}

/// Every record still within its period (the expired ones are removed).
pub fn all(g: &Gateway) -> DResult<Vec<Deleted>> {
    let Ok(ks) = g.db.keyspace(DELETED_KEYSPACE) else { return Ok(Vec::new()) };
    let now = now_secs();
    let (mut live, mut expired) = (Vec::new(), Vec::new());
    let mut it = g.db.iter(&ks, IterOptions::all())?;
    while it.advance()? {
        let d: Deleted = serde_json::from_slice(it.value()).map_err(internal)?;
        if d.expires() < now {
            expired.push(it.key().to_vec());
        } else {
            live.push(d);
        }
    }
    drop(it);
    for k in expired {
        g.db.delete(&ks, &k)?;
    }
    Ok(live)
}

/// The latest deletion of a table called `name` that may still be restored.
pub fn find(g: &Gateway, name: &str) -> DResult<Option<Deleted>> {
    let found = all(g)?.into_iter().filter(|d| d.name == name);
    Ok(found.max_by(|a, b| a.deleted.total_cmp(&b.deleted)))
}

/// How far back the archive must reach for the records, in ms: enough for each one's window
/// start until the record expires.
pub fn retention_ms(g: &Gateway) -> DResult<u64> {
    let need = all(g)?.iter().map(|d| d.expires() - d.window().0).fold(0.0, f64::max);
    Ok((need * 1000.0).ceil() as u64)
}
