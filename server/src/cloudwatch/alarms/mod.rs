//! Metric alarms: stored in the engine ([`model`]), evaluated every minute against the metric
//! store ([`evaluate`]), their state changes kept as history and sent to their webhook
//! actions ([`notify`]).
//!
//! Bounds: [`ALARMS_MAX`] alarms, [`HISTORY_MAX`] history items (the oldest go first), kept
//! [`HISTORY_RETENTION_SECS`].
//!
//! Lock order: `changes` (held across a read-modify-write of an alarm), then `inner`; engine
//! writes happen under `changes` only, webhook calls under neither.

pub mod evaluate;
pub mod model;
pub mod notify;

use model::{Alarm, HistoryItem};
use shale_engine::{Db, IterOptions, Keyspace, WriteBatch, WriteOptions};
use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;

/// Keyspace of the alarms.
pub const ALARMS_KEYSPACE: &str = "cloudwatch.alarms";
/// Keyspace of their history.
pub const HISTORY_KEYSPACE: &str = "cloudwatch.alarm_history";
/// Most alarms.
pub const ALARMS_MAX: usize = 5000;
/// Most history items kept.
pub const HISTORY_MAX: usize = 10_000;
/// How long history is kept (CloudWatch's 14 days).
pub const HISTORY_RETENTION_SECS: f64 = 14.0 * 86400.0;

#[derive(Debug, Default)]
struct Inner {
    alarms: BTreeMap<String, Alarm>,
    /// (stored key, item), oldest first.
    history: VecDeque<(Vec<u8>, HistoryItem)>,
    sequence: u32,
}

/// Every alarm and its history.
#[derive(Debug)]
pub struct Alarms {
    db: Db,
    alarms_ks: Keyspace,
    history_ks: Keyspace,
    inner: Mutex<Inner>,
    /// Held across each read-modify-write of an alarm (a configuration put, a state change,
    /// a delete), so that the evaluator and a request never write over each other's change.
    changes: Mutex<()>,
}

fn keyspace(db: &Db, name: &str) -> Result<Keyspace, String> {
    match db.keyspace(name) {
        Ok(ks) => Ok(ks),
        Err(_) => db.create_keyspace(name).map_err(|e| format!("creating {name}: {e}")),
    }
}

fn engine(e: shale_engine::Error) -> String {
    e.to_string()
}

impl Alarms {
    /// Opens the alarms stored in `db`.
    pub fn open(db: &Db) -> Result<Alarms, String> {
        let alarms_ks = keyspace(db, ALARMS_KEYSPACE)?;
        let history_ks = keyspace(db, HISTORY_KEYSPACE)?;
        let mut inner = Inner::default();
        let mut it = db.iter(&alarms_ks, IterOptions::all()).map_err(engine)?;
        while it.advance().map_err(engine)? {
            match model::decode::<Alarm>(it.value()) {
                Ok(a) => {
                    inner.alarms.insert(a.name.clone(), a);
                }
                Err(e) => tracing::warn!("cloudwatch: skipping a stored alarm: {e}"),
            }
        }
        drop(it);
        let mut it = db.iter(&history_ks, IterOptions::all()).map_err(engine)?;
        while it.advance().map_err(engine)? {
            match model::decode::<HistoryItem>(it.value()) {
                Ok(h) => inner.history.push_back((it.key().to_vec(), h)),
                Err(e) => tracing::warn!("cloudwatch: skipping a stored history item: {e}"),
            }
        }
        drop(it);
        Ok(Alarms {
            db: db.clone(),
            alarms_ks,
            history_ks,
            inner: Mutex::new(inner),
            changes: Mutex::new(()),
        })
    }

    /// Serializes a read-modify-write of alarms (lock order: `changes`, then `inner`).
    pub fn changing(&self) -> std::sync::MutexGuard<'_, ()> {
        self.changes.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The alarm called `name`.
    pub fn get(&self, name: &str) -> Option<Alarm> {
        self.lock().alarms.get(name).cloned()
    }

    /// Every alarm, by name.
    pub fn all(&self) -> Vec<Alarm> {
        self.lock().alarms.values().cloned().collect()
    }

    /// Stores `alarm` (new or replacing its namesake) with `history`; refused past
    /// [`ALARMS_MAX`].
    pub fn put(&self, alarm: Alarm, history: Vec<HistoryItem>) -> Result<(), String> {
        {
            let inner = self.lock();
            if !inner.alarms.contains_key(&alarm.name) && inner.alarms.len() >= ALARMS_MAX {
                return Err(format!("The maximum number of alarms ({ALARMS_MAX}) is reached."));
            }
        }
        let mut batch = WriteBatch::new();
        batch.put(&self.alarms_ks, alarm.name.as_bytes(), &model::encode(&alarm));
        let items = self.history_batch(history, &mut batch);
        self.db.write(batch, WriteOptions { sync: true }).map_err(engine)?;
        let mut inner = self.lock();
        inner.alarms.insert(alarm.name.clone(), alarm);
        inner.history.extend(items);
        Ok(())
    }

    /// Records history items only.
    pub fn record(&self, history: Vec<HistoryItem>) -> Result<(), String> {
        let mut batch = WriteBatch::new();
        let items = self.history_batch(history, &mut batch);
        self.db.write(batch, WriteOptions { sync: false }).map_err(engine)?;
        self.lock().history.extend(items);
        Ok(())
    }

    /// Adds `history` to `batch` under fresh keys, and the deletions of the items past the
    /// bounds.
    fn history_batch(
        &self,
        history: Vec<HistoryItem>,
        batch: &mut WriteBatch,
    ) -> Vec<(Vec<u8>, HistoryItem)> {
        let mut inner = self.lock();
        let mut out = Vec::new();
        for h in history {
            inner.sequence = inner.sequence.wrapping_add(1);
            let mut key = ((h.at.max(0.0) * 1e6) as u64).to_be_bytes().to_vec();
            key.extend_from_slice(&inner.sequence.to_be_bytes());
            batch.put(&self.history_ks, &key, &model::encode(&h));
            out.push((key, h));
        }
        let newest = out.last().map_or(0.0, |(_, h)| h.at);
        while inner.history.len() + out.len() > HISTORY_MAX
            || inner.history.front().is_some_and(|(_, h)| h.at < newest - HISTORY_RETENTION_SECS)
        {
            let Some((k, _)) = inner.history.pop_front() else { break };
            batch.delete(&self.history_ks, &k);
        }
        out
    }

    /// Deletes the alarms called `names` (all must exist, or none is deleted).
    pub fn delete(&self, names: &[&str]) -> Result<(), Option<String>> {
        {
            let inner = self.lock();
            if let Some(missing) = names.iter().find(|n| !inner.alarms.contains_key(**n)) {
                return Err(Some((*missing).to_string()));
            }
        }
        let mut batch = WriteBatch::new();
        for n in names {
            batch.delete(&self.alarms_ks, n.as_bytes());
        }
        self.db.write(batch, WriteOptions { sync: true }).map_err(|e| {
            tracing::error!("cloudwatch: deleting alarms failed: {e}");
            None
        })?;
        let mut inner = self.lock();
        for n in names {
            inner.alarms.remove(*n);
        }
        Ok(())
    }

    /// History items of `alarm` (every alarm when `None`), of `kind` (when given), between
    /// `from` and `to` (seconds), newest first unless `ascending`.
    pub fn history(
        &self,
        alarm: Option<&str>,
        kind: Option<&str>,
        (from, to): (f64, f64),
        ascending: bool,
    ) -> Vec<HistoryItem> {
        let inner = self.lock();
        let mut items: Vec<HistoryItem> = inner
            .history
            .iter()
            .map(|(_, h)| h)
            .filter(|h| {
                alarm.is_none_or(|a| a == h.alarm)
                    && kind.is_none_or(|k| k == h.kind)
                    && h.at >= from
                    && h.at <= to
            })
            .cloned()
            .collect();
        if !ascending {
            items.reverse();
        }
        items
    }
}
