//! The harvester: every second it takes every cell's statistics into the metric store (the
//! current minute of each series), samples each provisioned table's capacity once a minute and
//! each index backfill's progress every pass, flushes the store, and trims it past its
//! retention once an hour.

use super::cell::Cell;
use super::{DynamoMetrics, NAMESPACE, OPERATIONS};
use crate::cloudwatch::store::series::SeriesKey;
use crate::cloudwatch::store::stats::Stats;
use crate::cloudwatch::store::{minute_of, MetricStore};
use crate::dynamodb::ops::Gateway;
use crate::dynamodb::schema::index::{IndexKind, IndexStatus};
use crate::dynamodb::schema::table::BillingMode;
use shale_engine::DbStats;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Weak};
use std::time::Duration;

/// How often cells are harvested.
pub const HARVEST_INTERVAL: Duration = Duration::from_secs(1);
/// Minutes between trims of the store.
const TRIM_EVERY_MINUTES: i64 = 60;

type Points = Vec<(SeriesKey, &'static str, Stats)>;

fn dims(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect()
}

fn push(points: &mut Points, name: &str, d: &[(&str, &str)], unit: &'static str, cell: &Cell) {
    if let Some(s) = cell.take() {
        points.push((SeriesKey::new(NAMESPACE, name, dims(d)), unit, s));
    }
}

/// Takes every cell of `metrics` into points.
pub fn take_all(metrics: &DynamoMetrics) -> Points {
    let mut p = Points::new();
    for (table, c) in metrics.all() {
        let t = [("TableName", table.as_str())];
        push(&mut p, "ConsumedReadCapacityUnits", &t, "Count", &c.consumed_read);
        push(&mut p, "ConsumedWriteCapacityUnits", &t, "Count", &c.consumed_write);
        push(&mut p, "ReadThrottleEvents", &t, "Count", &c.read_throttles);
        push(&mut p, "WriteThrottleEvents", &t, "Count", &c.write_throttles);
        push(&mut p, "ConditionalCheckFailedRequests", &t, "Count", &c.conditional_check_failed);
        push(&mut p, "TransactionConflict", &t, "Count", &c.transaction_conflict);
        push(&mut p, "TimeToLiveDeletedItemCount", &t, "Count", &c.ttl_deleted);
        for (op, cells) in OPERATIONS.iter().zip(&c.ops) {
            let d = [("TableName", table.as_str()), ("Operation", *op)];
            push(&mut p, "SuccessfulRequestLatency", &d, "Milliseconds", &cells.latency_ms);
            push(&mut p, "ReturnedItemCount", &d, "Count", &cells.returned_items);
            push(&mut p, "ThrottledRequests", &d, "Count", &cells.throttled);
            push(&mut p, "SystemErrors", &d, "Count", &cells.system_errors);
        }
        let indexes: Vec<(String, Arc<super::IndexCells>)> = {
            let m = c.indexes.lock().unwrap_or_else(|e| e.into_inner());
            m.iter().map(|(n, c)| (n.clone(), Arc::clone(c))).collect()
        };
        for (ix, ic) in indexes {
            let d = [("TableName", table.as_str()), ("GlobalSecondaryIndexName", ix.as_str())];
            push(&mut p, "ConsumedReadCapacityUnits", &d, "Count", &ic.consumed_read);
            push(&mut p, "ConsumedWriteCapacityUnits", &d, "Count", &ic.consumed_write);
            push(&mut p, "ReadThrottleEvents", &d, "Count", &ic.read_throttles);
            push(&mut p, "WriteThrottleEvents", &d, "Count", &ic.write_throttles);
        }
        let streams: Vec<(String, Arc<super::StreamCells>)> = {
            let m = c.streams.lock().unwrap_or_else(|e| e.into_inner());
            m.iter().map(|(n, c)| (n.clone(), Arc::clone(c))).collect()
        };
        for (label, sc) in streams {
            let t = table.as_str();
            let d =
                [("TableName", t), ("StreamLabel", label.as_str()), ("Operation", "GetRecords")];
            push(&mut p, "ReturnedBytes", &d, "Bytes", &sc.returned_bytes);
            push(&mut p, "ReturnedRecordsCount", &d, "Count", &sc.returned_records);
            let d = [("TableName", t), ("Operation", "GetRecords")];
            push(&mut p, "SuccessfulRequestLatency", &d, "Milliseconds", &sc.latency_ms);
        }
    }
    push(&mut p, "UserErrors", &[], "Count", &metrics.user_errors);
    p
}

/// Provisioned capacity already sampled this minute, by (table, index; `""` the table
/// itself): the (read, write) units sampled.
type SampledCapacity = BTreeMap<(String, String), (i64, i64)>;

/// Each provisioned table's (and global index's) provisioned capacity: one sample a minute,
/// plus one as soon as a table appears or its capacity changes (so that a new table's line
/// starts with its first second, not at the next minute). `sampled` holds this minute's.
fn provisioned(g: &Gateway, sampled: &mut SampledCapacity) -> Points {
    let mut p = Points::new();
    for m in g.catalog.tables() {
        if m.billing != BillingMode::Provisioned {
            continue;
        }
        let mut sample = |index: &str, read: i64, write: i64| {
            let key = (m.name.clone(), index.to_string());
            if sampled.get(&key) == Some(&(read, write)) {
                return;
            }
            sampled.insert(key, (read, write));
            let mut d = vec![("TableName", m.name.as_str())];
            if !index.is_empty() {
                d.push(("GlobalSecondaryIndexName", index));
            }
            for (name, v) in
                [("ProvisionedReadCapacityUnits", read), ("ProvisionedWriteCapacityUnits", write)]
            {
                p.push((SeriesKey::new(NAMESPACE, name, dims(&d)), "Count", Stats::one(v as f64)));
            }
        };
        sample("", m.throughput.read, m.throughput.write);
        for ix in m.indexes.iter().filter(|ix| ix.kind == IndexKind::Global) {
            sample(&ix.name, ix.throughput.read, ix.throughput.write);
        }
    }
    p
}

/// The harvester's state between passes.
#[derive(Debug, Default)]
pub struct Harvester {
    sampled_minute: Option<i64>,
    /// The provisioned capacity sampled in `sampled_minute`.
    sampled_capacity: SampledCapacity,
    trimmed_minute: Option<i64>,
    /// The global indexes being backfilled at the last pass, by (table, index).
    backfilling: BTreeSet<(String, String)>,
}

/// Estimated entries of keyspace `name`: its memtables' and its tables' entries (older
/// versions and deletions included, so an estimate from above until compaction drops them).
fn estimated_entries(stats: &DbStats, name: &str) -> u64 {
    stats
        .keyspaces
        .iter()
        .find(|k| k.name == name)
        .map_or(0, |k| k.memtable_entries as u64 + k.levels.iter().map(|l| l.entries).sum::<u64>())
}

impl Harvester {
    /// OnlineIndexPercentageProgress: for each global index being backfilled, the items copied
    /// so far over its table's estimated entries, as a percentage (at most 99 until it is
    /// done); 100 once for an index that finished since the last pass.
    fn index_progress(&mut self, g: &Gateway) -> Points {
        let mut p = Points::new();
        let mut sample = |table: &str, index: &str, v: f64| {
            let d = [("TableName", table), ("GlobalSecondaryIndexName", index)];
            p.push((
                SeriesKey::new(NAMESPACE, "OnlineIndexPercentageProgress", dims(&d)),
                "Count",
                Stats::one(v),
            ));
        };
        let tables = g.catalog.tables();
        let mut now = BTreeSet::new();
        let mut stats = None;
        for m in &tables {
            for ix in &m.indexes {
                let Some(b) = ix.backfill.as_ref().filter(|_| ix.status == IndexStatus::Creating)
                else {
                    continue;
                };
                let stats = stats.get_or_insert_with(|| g.db.stats());
                let total = estimated_entries(stats, &m.keyspace).max(1);
                let share = (b.items as f64 / total as f64 * 100.0).min(99.0);
                sample(&m.name, &ix.name, share.floor());
                now.insert((m.name.clone(), ix.name.clone()));
            }
        }
        for (table, index) in self.backfilling.difference(&now) {
            let done = tables.iter().any(|m| {
                m.name == *table
                    && m.indexes
                        .iter()
                        .any(|ix| ix.name == *index && ix.status == IndexStatus::Active)
            });
            if done {
                sample(table, index, 100.0);
            }
        }
        self.backfilling = now;
        p
    }

    /// One pass: cells into the store, provisioned capacity (once a minute, and at once when
    /// it is new or changed), the progress of index backfills, a flush, a trim once an hour.
    pub fn pass(&mut self, g: &Gateway, store: &MetricStore) {
        let minute = minute_of(g.opts.clock.now());
        let mut points = take_all(&g.metrics);
        points.extend(self.index_progress(g));
        if self.sampled_minute != Some(minute) {
            self.sampled_minute = Some(minute);
            self.sampled_capacity.clear();
        }
        points.extend(provisioned(g, &mut self.sampled_capacity));
        g.metrics.add_totals(&points);
        let refused = store.record_all(points, minute);
        if refused > 0 {
            tracing::warn!(
                "cloudwatch: {refused} datapoints dropped: the metric store holds its most series"
            );
        }
        g.metrics.retain(|name| g.catalog.get(name).is_some());
        if let Err(e) = store.flush() {
            tracing::warn!("cloudwatch: flushing metrics failed: {e}");
        }
        if self.trimmed_minute.is_none_or(|m| minute - m >= TRIM_EVERY_MINUTES) {
            self.trimmed_minute = Some(minute);
            if let Err(e) = store.trim(minute) {
                tracing::warn!("cloudwatch: trimming metrics failed: {e}");
            }
        }
    }
}

/// Starts the harvester thread for `gateway` into `store`; it stops (after a last pass) once
/// the gateway is dropped.
pub fn start(gateway: &Arc<Gateway>, store: Arc<MetricStore>) {
    let weak: Weak<Gateway> = Arc::downgrade(gateway);
    let spawned = std::thread::Builder::new().name("dynamo-metrics".into()).spawn(move || {
        let mut h = Harvester::default();
        loop {
            std::thread::sleep(HARVEST_INTERVAL);
            let Some(g) = weak.upgrade() else {
                let _ = store.flush();
                return;
            };
            h.pass(&g, &store);
        }
    });
    if let Err(e) = spawned {
        tracing::error!("cloudwatch: the metrics harvester did not start: {e}");
    }
}
