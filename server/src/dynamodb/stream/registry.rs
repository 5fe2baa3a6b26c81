//! Every stream of the server: their metadata, stored by ARN in the keyspace `dynamo.streams`
//! (JSON, like the table catalog), and their live states. A stream outlives its table's
//! interest in it: disabled, or its table deleted, it stays readable for the retention
//! period (24 hours by default), then its keyspace is dropped.
//!
//! The table's metadata names its latest stream ([`super::StreamRef`], with its keyspace).
//! Enabling stores the table's metadata first and the stream's after; on open, a table whose
//! enabled stream has no entry gets one (a crash between the two), an enabled entry whose table
//! no longer names it is disabled, and a `dynamo.s.<n>` keyspace nobody names is dropped.

use super::live::LiveStream;
use super::{now_ms, StreamMeta, StreamRef};
use crate::dynamodb::error::{DResult, DynamoError};
use crate::dynamodb::schema::catalog::Catalog;
use crate::dynamodb::schema::table::TableMeta;
use shale_engine::{Db, IterOptions, Keyspace, WriteOptions};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

/// The registry's keyspace.
pub const STREAMS_KEYSPACE: &str = "dynamo.streams";
/// Stream keyspaces are named this, then a number (the catalog's sequence).
pub const STREAM_KEYSPACE_PREFIX: &str = "dynamo.s.";
/// Most keys one stream's trim deletes a pass of the worker.
pub const TRIM_KEYS_PER_PASS: usize = 100_000;
/// How long records (and a disabled stream) stay readable by default (DynamoDB's 24 hours).
pub const RETENTION_DEFAULT: Duration = Duration::from_secs(24 * 3600);

/// A stream and its live state.
#[derive(Debug, Clone)]
pub struct Entry {
    pub meta: StreamMeta,
    pub live: Arc<LiveStream>,
}

/// Every stream.
pub struct Streams {
    db: Db,
    ks: Keyspace,
    /// By ARN.
    streams: RwLock<BTreeMap<String, Entry>>,
    /// Serializes changes.
    change: Mutex<()>,
    retention: Duration,
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> DynamoError {
    DynamoError::Internal(format!("the stream registry is corrupt ({what}): {e}"))
}

fn secs_of_ms(ms: u64) -> f64 {
    ms as f64 / 1000.0
}

impl Streams {
    /// Loads every stream and reconciles them with the table catalog (see the module doc).
    pub fn open(db: Db, catalog: &Catalog, retention: Duration) -> DResult<Streams> {
        let ks = match db.keyspace(STREAMS_KEYSPACE) {
            Ok(ks) => ks,
            Err(_) => db.create_keyspace(STREAMS_KEYSPACE)?,
        };
        let mut metas = Vec::new();
        let mut it = db.iter(&ks, IterOptions::all())?;
        while it.advance()? {
            let arn = String::from_utf8_lossy(it.key()).into_owned();
            let meta: StreamMeta =
                serde_json::from_slice(it.value()).map_err(|e| corrupt(&arn, e))?;
            metas.push(meta);
        }
        drop(it);
        let s = Streams {
            db,
            ks,
            streams: RwLock::new(BTreeMap::new()),
            change: Mutex::new(()),
            retention,
        };
        let now = now_ms();
        let tables = catalog.tables();
        for mut meta in metas {
            let named = tables.iter().any(|t| {
                t.stream.as_ref().is_some_and(|r| r.enabled && r.arn == meta.arn)
                    && t.name == meta.table_name
            });
            if meta.disabled.is_none() && !named {
                meta.disabled = Some(secs_of_ms(now));
                s.store(&meta)?;
            }
            let Ok(stream_ks) = s.db.keyspace(&meta.keyspace) else {
                tracing::warn!("stream {} has lost its keyspace; forgetting it", meta.arn);
                s.db.delete_with(&s.ks, meta.arn.as_bytes(), WriteOptions::SYNC)?;
                continue;
            };
            s.insert(meta, stream_ks, now)?;
        }
        for t in &tables {
            if let Some(r) = t.stream.as_ref().filter(|r| r.enabled) {
                if s.get(&r.arn).is_some() {
                    continue;
                }
                if s.db.keyspace(&r.keyspace).is_err() {
                    // Writes to the table fail (see `writer`) rather than lose records.
                    tracing::error!(
                        "the stream {} of table {} has lost its keyspace",
                        r.arn,
                        t.name
                    );
                    continue;
                }
                s.create(t, r, now)?;
            }
        }
        for name in s.db.list_keyspaces() {
            if name.starts_with(STREAM_KEYSPACE_PREFIX)
                && !s.all().iter().any(|e| e.meta.keyspace == name)
            {
                tracing::warn!("dropping keyspace {name}: no stream names it");
                s.db.drop_keyspace(&s.db.keyspace(&name)?)?;
            }
        }
        s.expire(now)?;
        Ok(s)
    }

    fn store(&self, meta: &StreamMeta) -> DResult<()> {
        let json = serde_json::to_vec(meta).map_err(|e| DynamoError::Internal(e.to_string()))?;
        self.db.put_with(&self.ks, meta.arn.as_bytes(), &json, WriteOptions::SYNC)?;
        Ok(())
    }

    fn insert(&self, meta: StreamMeta, ks: Keyspace, now: u64) -> DResult<()> {
        let closed = meta.disabled.is_some();
        let live =
            Arc::new(LiveStream::open(&self.db, ks, meta.arn.clone(), meta.view, closed, now)?);
        let entry = Entry { meta, live };
        self.streams
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(entry.meta.arn.clone(), entry);
        Ok(())
    }

    /// Registers the stream `r` that `table`'s metadata (stored) names, its keyspace made.
    pub fn create(&self, table: &TableMeta, r: &StreamRef, now: u64) -> DResult<()> {
        let _g = self.change.lock().unwrap_or_else(|e| e.into_inner());
        let ks = self.db.keyspace(&r.keyspace)?;
        let meta = StreamMeta {
            arn: r.arn.clone(),
            label: r.label.clone(),
            table_name: table.name.clone(),
            keyspace: r.keyspace.clone(),
            view: r.view,
            hash: table.hash.clone(),
            range: table.range.clone(),
            created: secs_of_ms(now),
            disabled: None,
        };
        self.store(&meta)?;
        self.insert(meta, ks, now)
    }

    /// Disables the stream `arn` (its table's stream turned off, or the table deleted): no
    /// more records; readable until the retention period has passed.
    pub fn disable(&self, arn: &str) -> DResult<()> {
        let _g = self.change.lock().unwrap_or_else(|e| e.into_inner());
        let Some(mut entry) = self.get(arn) else { return Ok(()) };
        if entry.meta.disabled.is_some() {
            return Ok(());
        }
        entry.live.close();
        entry.meta.disabled = Some(secs_of_ms(now_ms()));
        self.store(&entry.meta)?;
        self.streams.write().unwrap_or_else(|e| e.into_inner()).insert(arn.to_string(), entry);
        Ok(())
    }

    /// Forgets a stream registered by an enable that then failed (its keyspace goes with the
    /// failed change).
    pub fn forget(&self, arn: &str) -> DResult<()> {
        let _g = self.change.lock().unwrap_or_else(|e| e.into_inner());
        self.db.delete_with(&self.ks, arn.as_bytes(), WriteOptions::SYNC)?;
        self.streams.write().unwrap_or_else(|e| e.into_inner()).remove(arn);
        Ok(())
    }

    /// The stream `arn`.
    pub fn get(&self, arn: &str) -> Option<Entry> {
        self.streams.read().unwrap_or_else(|e| e.into_inner()).get(arn).cloned()
    }

    /// Whether an ARN was ever used by a stream still known (labels are made unique with it).
    pub fn exists(&self, arn: &str) -> bool {
        self.get(arn).is_some()
    }

    /// The live stream that a write to `table` records into, if its stream is enabled. A
    /// table naming an enabled stream that is not registered cannot be written (its records
    /// would be lost): an internal error.
    pub fn writer(&self, table: &TableMeta) -> DResult<Option<Arc<LiveStream>>> {
        let Some(r) = table.stream.as_ref().filter(|r| r.enabled) else { return Ok(None) };
        let s = self.streams.read().unwrap_or_else(|e| e.into_inner());
        match s.get(&r.arn) {
            Some(e) => Ok(Some(Arc::clone(&e.live))),
            None => Err(DynamoError::Internal(format!(
                "the stream {} of table {} is not registered",
                r.arn, table.name
            ))),
        }
    }

    /// Every stream, by ARN.
    pub fn all(&self) -> Vec<Entry> {
        self.streams.read().unwrap_or_else(|e| e.into_inner()).values().cloned().collect()
    }

    /// Trims every stream's generations older than the retention period, starts a new
    /// generation of every enabled stream whose current one is `rollover` old, and drops the
    /// streams disabled longer than the retention period.
    pub fn maintain(&self, rollover: Duration, now: u64) -> DResult<()> {
        let every = u64::try_from(rollover.as_millis()).unwrap_or(u64::MAX).max(1);
        let retention = u64::try_from(self.retention.as_millis()).unwrap_or(u64::MAX);
        let cutoff = now.saturating_sub(retention);
        for e in self.all() {
            if let Err(err) = e.live.trim(&self.db, cutoff, TRIM_KEYS_PER_PASS) {
                tracing::error!("trimming stream {}: {}", e.meta.arn, err.message());
            }
            if !e.live.is_closed() && now.saturating_sub(e.live.current_generation_ms()) >= every {
                // One stream's failure does not hold up the others'.
                if let Err(err) = e.live.rollover(&self.db, now) {
                    tracing::error!("rolling stream {} over: {}", e.meta.arn, err.message());
                }
            }
        }
        self.expire(now)
    }

    fn expire(&self, now: u64) -> DResult<()> {
        let retention = self.retention.as_secs_f64();
        let now = secs_of_ms(now);
        for e in self.all() {
            if e.meta.disabled.is_some_and(|d| d + retention <= now) {
                let _g = self.change.lock().unwrap_or_else(|e| e.into_inner());
                self.db.delete_with(&self.ks, e.meta.arn.as_bytes(), WriteOptions::SYNC)?;
                self.streams.write().unwrap_or_else(|e| e.into_inner()).remove(&e.meta.arn);
                self.db.drop_keyspace(&e.live.ks)?;
            }
        }
        Ok(())
    }
}
