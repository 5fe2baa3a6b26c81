//! The metric store: every metric series (DynamoDB's own, under `AWS/DynamoDB`, and custom
//! ones from PutMetricData) at one-minute resolution for [`RETENTION_MINUTES`] (15 days),
//! persisted in the engine so that it survives restarts.
//!
//! - Keyspace [`SERIES_KEYSPACE`]: each series by id ([`series`]).
//! - Keyspace [`POINTS_KEYSPACE`]: each minute of each series, under `id (u64 BE) | minute
//!   (u64 BE, minutes since the epoch)` ([`stats`]).
//!
//! Recording merges into the minute's statistics in memory; [`MetricStore::flush`] (every
//! second, from the harvester) writes the minutes changed since, so memory holds only the
//! series index and the unflushed minutes. Queries read the engine and add what is unflushed.
//! Bounds: [`SERIES_MAX`] series (a datapoint of a new series past it is refused); each
//! series' minutes older than the retention are deleted by [`MetricStore::trim`].
//!
//! Lock order: `inner` only; engine writes happen outside it.
#![doc = include_str!("../../../../docs/format/cloudwatch.md")]

pub mod series;
pub mod stats;

use series::SeriesKey;
use shale_engine::{Db, IterOptions, Keyspace, WriteBatch, WriteOptions};
use stats::Stats;
use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;
use std::sync::{Mutex, RwLock};

/// Keyspace of the series index.
pub const SERIES_KEYSPACE: &str = "cloudwatch.series";
/// Keyspace of the minutes.
pub const POINTS_KEYSPACE: &str = "cloudwatch.points";
/// Most series kept.
pub const SERIES_MAX: usize = 10_000;
/// Minutes a datapoint is kept: 15 days (CloudWatch keeps one-minute data that long).
pub const RETENTION_MINUTES: i64 = 15 * 24 * 60;
/// Bytes of a minute's key: the series id and the minute.
pub const POINT_KEY_LEN: usize = 16;

/// Why a datapoint was not recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordError {
    /// The store holds [`SERIES_MAX`] series already.
    Full,
}

/// What the store knows of one series.
#[derive(Debug, Clone)]
struct SeriesInfo {
    id: u64,
    unit: String,
    /// The latest minute with a datapoint.
    last_minute: i64,
    /// Whether its index entry is stored.
    stored: bool,
}

#[derive(Debug, Default)]
struct Inner {
    series: BTreeMap<SeriesKey, SeriesInfo>,
    /// Minutes changed since the last flush, by (series id, minute).
    dirty: HashMap<(u64, i64), Stats>,
}

/// The metric store.
#[derive(Debug)]
pub struct MetricStore {
    db: Db,
    series_ks: Keyspace,
    points_ks: Keyspace,
    inner: Mutex<Inner>,
    /// Held for writing by a flush (from taking the dirty minutes to their write landing) and
    /// for reading by a query (from copying the dirty minutes to reading the stored ones), so
    /// a query never sees a flushed minute twice or not at all. Lock order: `flushing`, then
    /// `inner`.
    flushing: RwLock<()>,
}

/// The minute (since the epoch) of `secs` since the epoch.
pub fn minute_of(secs: f64) -> i64 {
    (secs / 60.0).floor() as i64
}

fn point_key(id: u64, minute: i64) -> [u8; POINT_KEY_LEN] {
    let mut k = [0u8; POINT_KEY_LEN];
    k[..8].copy_from_slice(&id.to_be_bytes());
    k[8..].copy_from_slice(&(minute.max(0) as u64).to_be_bytes());
    k
}

fn keyspace(db: &Db, name: &str) -> Result<Keyspace, String> {
    match db.keyspace(name) {
        Ok(ks) => Ok(ks),
        Err(_) => db.create_keyspace(name).map_err(|e| format!("creating {name}: {e}")),
    }
}

impl MetricStore {
    /// Opens the store in `db`, loading its series index.
    pub fn open(db: &Db) -> Result<MetricStore, String> {
        let series_ks = keyspace(db, SERIES_KEYSPACE)?;
        let points_ks = keyspace(db, POINTS_KEYSPACE)?;
        let mut inner = Inner::default();
        let mut it = db.iter(&series_ks, IterOptions::all()).map_err(|e| e.to_string())?;
        while it.advance().map_err(|e| e.to_string())? {
            match SeriesKey::decode(it.value()) {
                Ok((key, unit)) => {
                    let id = key.id();
                    inner.series.insert(key, SeriesInfo { id, unit, last_minute: 0, stored: true });
                }
                Err(e) => tracing::warn!("cloudwatch: skipping a stored series: {e}"),
            }
        }
        drop(it);
        let store = MetricStore {
            db: db.clone(),
            series_ks,
            points_ks,
            inner: Mutex::new(inner),
            flushing: RwLock::new(()),
        };
        // Each series' latest minute (for ListMetrics' RecentlyActive).
        let keys: Vec<(SeriesKey, u64)> =
            store.lock().series.iter().map(|(k, s)| (k.clone(), s.id)).collect();
        for (key, id) in keys {
            let opts = IterOptions {
                lower: Bound::Included(point_key(id, 0).to_vec()),
                upper: Bound::Included(point_key(id, i64::MAX).to_vec()),
                reverse: true,
            };
            let mut it = db.iter(&store.points_ks, opts).map_err(|e| e.to_string())?;
            if it.advance().map_err(|e| e.to_string())? {
                let minute =
                    it.key().get(8..16).and_then(|b| b.try_into().ok()).map(u64::from_be_bytes);
                if let (Some(m), Some(s)) = (minute, store.lock().series.get_mut(&key)) {
                    s.last_minute = m as i64;
                }
            }
        }
        Ok(store)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records `stats` in `key`'s `minute` (a new series takes `unit`).
    pub fn record(
        &self,
        key: &SeriesKey,
        unit: &str,
        minute: i64,
        stats: Stats,
    ) -> Result<(), RecordError> {
        let mut inner = self.lock();
        Self::record_locked(&mut inner, key, unit, minute, stats)
    }

    /// Records many datapoints under one lock (the harvester's minute of every table).
    pub fn record_all(&self, points: Vec<(SeriesKey, &'static str, Stats)>, minute: i64) -> usize {
        let mut inner = self.lock();
        let mut refused = 0;
        for (key, unit, stats) in points {
            if Self::record_locked(&mut inner, &key, unit, minute, stats).is_err() {
                refused += 1;
            }
        }
        refused
    }

    fn record_locked(
        inner: &mut Inner,
        key: &SeriesKey,
        unit: &str,
        minute: i64,
        stats: Stats,
    ) -> Result<(), RecordError> {
        let id = match inner.series.get_mut(key) {
            Some(s) => {
                s.last_minute = s.last_minute.max(minute);
                s.id
            }
            None => {
                if inner.series.len() >= SERIES_MAX {
                    return Err(RecordError::Full);
                }
                let id = key.id();
                let info =
                    SeriesInfo { id, unit: unit.to_string(), last_minute: minute, stored: false };
                inner.series.insert(key.clone(), info);
                id
            }
        };
        inner.dirty.entry((id, minute)).and_modify(|s| s.merge(&stats)).or_insert(stats);
        Ok(())
    }

    /// Writes the minutes recorded since the last flush (merged with what is stored) and new
    /// series' index entries.
    pub fn flush(&self) -> Result<(), shale_engine::Error> {
        let _flushing = self.flushing.write().unwrap_or_else(|e| e.into_inner());
        let (dirty, new_series) = {
            let mut inner = self.lock();
            let dirty = std::mem::take(&mut inner.dirty);
            let mut new_series = Vec::new();
            for (k, s) in inner.series.iter_mut().filter(|(_, s)| !s.stored) {
                new_series.push((s.id, k.encode(&s.unit)));
                s.stored = true;
            }
            (dirty, new_series)
        };
        if dirty.is_empty() && new_series.is_empty() {
            return Ok(());
        }
        let mut batch = WriteBatch::new();
        for (id, bytes) in new_series {
            batch.put(&self.series_ks, &id.to_be_bytes(), &bytes);
        }
        // The flusher is the only writer of minutes: read, merge, write is not raced.
        for ((id, minute), mut stats) in dirty {
            let key = point_key(id, minute);
            if let Some(stored) = self.db.get(&self.points_ks, &key)? {
                match Stats::decode(&stored) {
                    Ok(old) => stats.merge(&old),
                    Err(e) => tracing::warn!("cloudwatch: replacing a corrupt minute: {e}"),
                }
            }
            batch.put(&self.points_ks, &key, &stats.encode());
        }
        self.db.write(batch, WriteOptions { sync: false })
    }

    /// Deletes every minute older than the retention at `now_minute`, and series left with
    /// none.
    pub fn trim(&self, now_minute: i64) -> Result<(), shale_engine::Error> {
        let cutoff = now_minute - RETENTION_MINUTES;
        let series: Vec<(SeriesKey, u64, i64)> =
            self.lock().series.iter().map(|(k, s)| (k.clone(), s.id, s.last_minute)).collect();
        for (key, id, last) in series {
            let opts = IterOptions {
                lower: Bound::Included(point_key(id, 0).to_vec()),
                upper: Bound::Excluded(point_key(id, cutoff).to_vec()),
                reverse: false,
            };
            let mut batch = WriteBatch::new();
            let mut it = self.db.iter(&self.points_ks, opts)?;
            while it.advance()? {
                batch.delete(&self.points_ks, it.key());
            }
            drop(it);
            if last < cutoff {
                batch.delete(&self.series_ks, &id.to_be_bytes());
                let mut inner = self.lock();
                if inner.series.get(&key).is_some_and(|s| s.last_minute < cutoff) {
                    inner.series.remove(&key);
                }
            }
            if !batch.is_empty() {
                self.db.write(batch, WriteOptions { sync: false })?;
            }
        }
        Ok(())
    }

    /// The series of `namespace` and `name` (when given) that have every dimension of
    /// `dims`, and a datapoint at `since_minute` or later (when given), in order.
    pub fn list(
        &self,
        namespace: Option<&str>,
        name: Option<&str>,
        dims: &[(String, Option<String>)],
        since_minute: Option<i64>,
    ) -> Vec<SeriesKey> {
        self.lock()
            .series
            .iter()
            .filter(|(k, s)| {
                namespace.is_none_or(|n| n == k.namespace)
                    && name.is_none_or(|n| n == k.name)
                    && k.matches(dims)
                    && since_minute.is_none_or(|m| s.last_minute >= m)
            })
            .map(|(k, _)| k.clone())
            .collect()
    }

    /// The unit of `key`, when it exists.
    pub fn unit(&self, key: &SeriesKey) -> Option<String> {
        self.lock().series.get(key).map(|s| s.unit.clone())
    }

    /// `key`'s statistics over each period of `period` minutes from `start` (inclusive) to
    /// `end` (exclusive), in minutes since the epoch: (period start, statistics) for each
    /// period with datapoints, in order.
    pub fn statistics(
        &self,
        key: &SeriesKey,
        start: i64,
        end: i64,
        period: i64,
    ) -> Result<Vec<(i64, Stats)>, shale_engine::Error> {
        let period = period.max(1);
        let _flushing = self.flushing.read().unwrap_or_else(|e| e.into_inner());
        let (id, unflushed) = {
            let inner = self.lock();
            let Some(s) = inner.series.get(key) else { return Ok(Vec::new()) };
            let unflushed: Vec<(i64, Stats)> = inner
                .dirty
                .iter()
                .filter(|((i, m), _)| *i == s.id && *m >= start && *m < end)
                .map(|((_, m), st)| (*m, *st))
                .collect();
            (s.id, unflushed)
        };
        let mut periods: BTreeMap<i64, Stats> = BTreeMap::new();
        let mut add = |minute: i64, st: Stats| {
            let p = start + (minute - start).div_euclid(period) * period;
            periods.entry(p).and_modify(|s| s.merge(&st)).or_insert(st);
        };
        let opts = IterOptions {
            lower: Bound::Included(point_key(id, start).to_vec()),
            upper: Bound::Excluded(point_key(id, end).to_vec()),
            reverse: false,
        };
        let mut it = self.db.iter(&self.points_ks, opts)?;
        while it.advance()? {
            let minute =
                it.key().get(8..16).and_then(|b| b.try_into().ok()).map(u64::from_be_bytes);
            match (minute, Stats::decode(it.value())) {
                (Some(m), Ok(st)) => add(m as i64, st),
                (_, Err(e)) => tracing::warn!("cloudwatch: skipping a corrupt minute: {e}"),
                _ => {}
            }
        }
        drop(it);
        for (m, st) in unflushed {
            add(m, st);
        }
        Ok(periods.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shale_engine::fs::MemFs;
    use shale_engine::Options;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;

    fn key(table: &str) -> SeriesKey {
        SeriesKey::new(
            "AWS/DynamoDB",
            "ConsumedReadCapacityUnits",
            vec![("TableName".into(), table.into())],
        )
    }

    /// A query racing a flush sees every recorded datapoint exactly once: the count it answers
    /// lies between the records finished before it began and those begun before it ended.
    #[test]
    fn a_query_racing_flushes_counts_each_datapoint_once() {
        let db =
            Db::open("/m", Options { fs: Arc::new(MemFs::new()), ..Options::default() }).unwrap();
        let s = Arc::new(MetricStore::open(&db).unwrap());
        let t0 = 29_000_000;
        let (begun, done) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
        let start = Arc::new(std::sync::Barrier::new(2));
        let writer = {
            let (s, begun, done) = (Arc::clone(&s), Arc::clone(&begun), Arc::clone(&done));
            let start = Arc::clone(&start);
            std::thread::spawn(move || {
                start.wait();
                for i in 0..20_000 {
                    begun.fetch_add(1, Ordering::SeqCst);
                    s.record(&key("a"), "Count", t0, Stats::one(1.0)).unwrap();
                    done.fetch_add(1, Ordering::SeqCst);
                    if i % 3 == 0 {
                        s.flush().unwrap();
                    }
                }
            })
        };
        start.wait();
        let mut queries = 0;
        while !writer.is_finished() {
            queries += 1;
            let before = done.load(Ordering::SeqCst) as f64;
            let got = s.statistics(&key("a"), t0, t0 + 1, 1).unwrap();
            let after = begun.load(Ordering::SeqCst) as f64;
            let count = got.first().map_or(0.0, |(_, st)| st.count);
            assert!(before <= count && count <= after, "{before} <= {count} <= {after}");
        }
        writer.join().unwrap();
        assert!(queries > 10, "{queries} queries raced the writer");
    }

    #[test]
    fn records_flushes_reopens_and_aggregates_periods() {
        let fs = Arc::new(MemFs::new());
        let db = Db::open("/m", Options { fs: fs.clone(), ..Options::default() }).unwrap();
        let s = MetricStore::open(&db).unwrap();
        let t0 = 29_000_000;
        s.record(&key("a"), "Count", t0, Stats::one(1.0)).unwrap();
        s.record(&key("a"), "Count", t0, Stats::one(3.0)).unwrap();
        // Unflushed minutes are answered too.
        assert_eq!(
            s.statistics(&key("a"), t0, t0 + 1, 1).unwrap(),
            vec![(t0, Stats { count: 2.0, sum: 4.0, min: 1.0, max: 3.0 })]
        );
        s.flush().unwrap();
        s.record(&key("a"), "Count", t0, Stats::one(0.5)).unwrap();
        s.record(&key("a"), "Count", t0 + 3, Stats::one(2.0)).unwrap();
        s.record(&key("b"), "Count", t0 + 3, Stats::one(7.0)).unwrap();
        s.flush().unwrap();
        let five = s.statistics(&key("a"), t0, t0 + 5, 5).unwrap();
        assert_eq!(five, vec![(t0, Stats { count: 4.0, sum: 6.5, min: 0.5, max: 3.0 })]);
        assert_eq!(s.list(Some("AWS/DynamoDB"), None, &[], None).len(), 2);
        assert_eq!(
            s.list(None, None, &[("TableName".into(), Some("b".into()))], None),
            vec![key("b")]
        );
        assert_eq!(s.list(None, None, &[], Some(t0 + 4)), Vec::<SeriesKey>::new());
        drop(s);
        db.close().unwrap();
        let db = Db::open("/m", Options { fs, ..Options::default() }).unwrap();
        let s = MetricStore::open(&db).unwrap();
        assert_eq!(s.statistics(&key("a"), t0, t0 + 5, 1).unwrap().len(), 2, "survives a restart");
        assert_eq!(s.list(None, None, &[], Some(t0 + 3)).len(), 2, "latest minutes reloaded");
        // Retention: 15 days later, the old minutes and series go.
        s.record(&key("b"), "Count", t0 + RETENTION_MINUTES + 4, Stats::one(1.0)).unwrap();
        s.flush().unwrap();
        s.trim(t0 + RETENTION_MINUTES + 4).unwrap();
        assert_eq!(s.list(None, None, &[], None), vec![key("b")]);
        assert_eq!(
            s.statistics(&key("b"), 0, i64::MAX / 2, 1_000_000_000).unwrap()[0].1.count,
            1.0
        );
    }

    #[test]
    fn series_past_the_bound_are_refused() {
        let fs = Arc::new(MemFs::new());
        let db = Db::open("/m", Options { fs, ..Options::default() }).unwrap();
        let s = MetricStore::open(&db).unwrap();
        for i in 0..SERIES_MAX {
            s.record(&key(&i.to_string()), "Count", 1, Stats::one(1.0)).unwrap();
        }
        assert_eq!(s.record(&key("one more"), "Count", 1, Stats::one(1.0)), Err(RecordError::Full));
        s.record(&key("0"), "Count", 2, Stats::one(1.0)).unwrap();
    }
}

#[cfg(test)]
mod format_tests;
