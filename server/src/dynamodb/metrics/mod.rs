//! DynamoDB's CloudWatch metrics (namespace `AWS/DynamoDB`), recorded on the request path into
//! lock-free [`cell::Cell`]s per table (and per operation and global index), and moved into
//! the metric store every second by the harvester ([`harvest`]), which also samples each
//! table's provisioned capacity. See `docs/monitoring.md` for every metric.
//!
//! | metric | dimensions | recorded |
//! |---|---|---|
//! | ConsumedReadCapacityUnits, ConsumedWriteCapacityUnits | TableName (+ GlobalSecondaryIndexName) | each request's charge ([`super::capacity::throttle`]) |
//! | ReadThrottleEvents, WriteThrottleEvents | TableName (+ GlobalSecondaryIndexName) | each refusal by a bucket |
//! | ThrottledRequests | TableName, Operation | each request throttled (or with unprocessed items) |
//! | SuccessfulRequestLatency | TableName, Operation | each successful request, milliseconds |
//! | ReturnedItemCount | TableName, Operation | each Query and Scan |
//! | SystemErrors | TableName, Operation | each internal error |
//! | UserErrors | (none) | each client error other than throttling and failed conditions |
//! | ConditionalCheckFailedRequests | TableName | each failed condition of a single-item write |
//! | TransactionConflict | TableName | each transaction refused for an item another one holds |
//! | TimeToLiveDeletedItemCount | TableName | each item the TTL expirer deletes |
//! | ProvisionedReadCapacityUnits, ProvisionedWriteCapacityUnits | TableName (+ GlobalSecondaryIndexName) | sampled once a minute, and within a second of a table's creation or a change of its capacity |
//! | ReturnedBytes, ReturnedRecordsCount | TableName, StreamLabel, Operation (GetRecords) | each DynamoDB Streams GetRecords |
//! | SuccessfulRequestLatency | TableName, Operation (GetRecords) | each successful GetRecords |
//! | OnlineIndexPercentageProgress | TableName, GlobalSecondaryIndexName | sampled each second while a global index is backfilled, 100 once done |

pub mod cell;
pub mod harvest;
pub mod histogram;

use crate::cloudwatch::store::series::SeriesKey;
use crate::cloudwatch::store::stats::Stats;
use crate::dynamodb::error::{DResult, DynamoError};
use cell::Cell;
use serde_json::Value as Json;
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

/// The namespace of DynamoDB's metrics.
pub const NAMESPACE: &str = "AWS/DynamoDB";

/// The operations with an `Operation` dimension, in slot order.
pub const OPERATIONS: [&str; 10] = [
    "GetItem",
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "Query",
    "Scan",
    "BatchGetItem",
    "BatchWriteItem",
    "TransactGetItems",
    "TransactWriteItems",
];

/// The slot of operation `name`, if it has an `Operation` dimension.
pub fn slot(name: &str) -> Option<usize> {
    OPERATIONS.iter().position(|o| *o == name)
}

/// One operation's cells on one table.
#[derive(Debug, Default)]
pub struct OpCells {
    pub latency_ms: Cell,
    pub returned_items: Cell,
    pub throttled: Cell,
    pub system_errors: Cell,
}

/// A global secondary index's cells.
#[derive(Debug, Default)]
pub struct IndexCells {
    pub consumed_read: Cell,
    pub consumed_write: Cell,
    pub read_throttles: Cell,
    pub write_throttles: Cell,
}

/// A stream's cells (DynamoDB Streams' GetRecords).
#[derive(Debug, Default)]
pub struct StreamCells {
    pub returned_bytes: Cell,
    pub returned_records: Cell,
    pub latency_ms: Cell,
}

/// One table's cells.
#[derive(Debug, Default)]
pub struct TableCells {
    pub consumed_read: Cell,
    pub consumed_write: Cell,
    pub read_throttles: Cell,
    pub write_throttles: Cell,
    pub conditional_check_failed: Cell,
    pub transaction_conflict: Cell,
    pub ttl_deleted: Cell,
    pub ops: [OpCells; OPERATIONS.len()],
    /// By index name (few tables have global indexes: a lock serves).
    pub indexes: Mutex<HashMap<String, Arc<IndexCells>>>,
    /// By stream label (GetRecords is not a hot path: a lock serves).
    pub streams: Mutex<HashMap<String, Arc<StreamCells>>>,
}

impl TableCells {
    /// The cells of global index `name`.
    pub fn index(&self, name: &str) -> Arc<IndexCells> {
        let mut m = self.indexes.lock().unwrap_or_else(|e| e.into_inner());
        Arc::clone(m.entry(name.to_string()).or_default())
    }

    /// The cells of the stream labelled `label`.
    pub fn stream(&self, label: &str) -> Arc<StreamCells> {
        let mut m = self.streams.lock().unwrap_or_else(|e| e.into_inner());
        Arc::clone(m.entry(label.to_string()).or_default())
    }
}

/// Ids of [`DynamoMetrics`] instances (a process may run several: tests do).
static NEXT_METRICS_ID: AtomicU64 = AtomicU64::new(1);

thread_local! {
    /// This thread's last table cells: (metrics id, table name, cells). While a thread holds
    /// them they are not forgotten ([`DynamoMetrics::retain`] keeps cells held elsewhere), so
    /// the map and this entry never disagree.
    static LAST_TABLE: RefCell<Option<(u64, String, Arc<TableCells>)>> = const { RefCell::new(None) };
}

/// Every table's cells, and the account's.
#[derive(Debug)]
pub struct DynamoMetrics {
    /// `--metrics false`: nothing is recorded.
    off: bool,
    /// This instance among others (the key of each thread's last hit, [`LAST_TABLE`]).
    id: u64,
    tables: RwLock<HashMap<String, Arc<TableCells>>>,
    pub user_errors: Cell,
    /// Each operation's latency, for Prometheus.
    pub latency: [histogram::Histogram; OPERATIONS.len()],
    /// Every series' statistics since the server started (Prometheus' counters), and its
    /// unit; the harvester adds each second's.
    pub totals: Mutex<BTreeMap<SeriesKey, (Stats, &'static str)>>,
}

impl Default for DynamoMetrics {
    /// Recording.
    fn default() -> Self {
        DynamoMetrics::new(true)
    }
}

impl DynamoMetrics {
    /// Recording (`on`) or not (`--metrics false`).
    pub fn new(on: bool) -> DynamoMetrics {
        DynamoMetrics {
            off: !on,
            id: NEXT_METRICS_ID.fetch_add(1, Ordering::Relaxed),
            tables: RwLock::default(),
            user_errors: Cell::default(),
            latency: Default::default(),
            totals: Mutex::default(),
        }
    }

    /// Whether requests are counted.
    pub fn is_on(&self) -> bool {
        !self.off
    }

    /// The cells of table `name`: this thread's last hit when it is that table's (no lock, no
    /// hash), else from the map.
    pub fn table(&self, name: &str) -> Arc<TableCells> {
        let hit = LAST_TABLE.with(|last| match &*last.borrow() {
            Some((id, t, c)) if *id == self.id && t == name => Some(Arc::clone(c)),
            _ => None,
        });
        if let Some(c) = hit {
            return c;
        }
        let c = self.shared_table(name);
        LAST_TABLE
            .with(|last| *last.borrow_mut() = Some((self.id, name.to_string(), Arc::clone(&c))));
        c
    }

    /// The cells of table `name` in the map.
    fn shared_table(&self, name: &str) -> Arc<TableCells> {
        if let Ok(m) = self.tables.read() {
            if let Some(c) = m.get(name) {
                return Arc::clone(c);
            }
        }
        let mut m = self.tables.write().unwrap_or_else(|e| e.into_inner());
        Arc::clone(m.entry(name.to_string()).or_default())
    }

    /// Every table's cells (the harvester's view).
    pub fn all(&self) -> Vec<(String, Arc<TableCells>)> {
        let m = self.tables.read().unwrap_or_else(|e| e.into_inner());
        m.iter().map(|(n, c)| (n.clone(), Arc::clone(c))).collect()
    }

    /// Forgets the cells of tables not in `keep` that recorded nothing since the last
    /// harvest (a deleted table's).
    pub fn retain(&self, keep: impl Fn(&str) -> bool) {
        let mut m = self.tables.write().unwrap_or_else(|e| e.into_inner());
        m.retain(|n, c| keep(n) || Arc::strong_count(c) > 1);
    }

    /// Adds a harvest's points to the totals (a provisioned-capacity sample replaces the
    /// last: it is a gauge).
    pub fn add_totals(&self, points: &[(SeriesKey, &'static str, Stats)]) {
        let mut t = self.totals.lock().unwrap_or_else(|e| e.into_inner());
        for (k, unit, s) in points {
            let full = t.len() >= crate::cloudwatch::store::SERIES_MAX;
            match t.get_mut(k) {
                Some((old, _)) if !k.name.starts_with("Provisioned") => old.merge(s),
                Some(slot) => *slot = (*s, unit),
                // As many series as the metric store keeps.
                None if full => {}
                None => {
                    t.insert(k.clone(), (*s, unit));
                }
            }
        }
    }

    /// Records the end of a request of operation `op` (a slot of [`OPERATIONS`], or `None`)
    /// on `tables`, started at `started`, with its result.
    pub fn finish(
        &self,
        op: Option<usize>,
        tables: &[Arc<TableCells>],
        started: Instant,
        result: &DResult<Json>,
    ) {
        if self.off {
            return;
        }
        match result {
            Ok(out) => {
                let Some(op) = op else { return };
                let ms = started.elapsed().as_secs_f64() * 1000.0;
                if let Some(h) = self.latency.get(op) {
                    h.record(ms);
                }
                for t in tables {
                    let Some(cells) = t.ops.get(op) else { continue };
                    cells.latency_ms.add(ms);
                    if let Some(n) = out.get("Count").and_then(Json::as_f64) {
                        cells.returned_items.add(n);
                    }
                }
                // A batch that left items unprocessed was throttled on those tables.
                for member in ["UnprocessedItems", "UnprocessedKeys"] {
                    if out.get(member).and_then(Json::as_object).is_some_and(|m| !m.is_empty()) {
                        for t in tables {
                            if let Some(c) = t.ops.get(op) {
                                c.throttled.add(1.0);
                            }
                        }
                    }
                }
            }
            Err(e) => self.error(op, tables, e),
        }
    }

    /// Records a GetRecords of `records` records of `bytes` bytes from the stream labelled
    /// `label` of `table`, started at `started`.
    pub fn get_records(
        &self,
        table: &str,
        label: &str,
        records: usize,
        bytes: usize,
        started: Instant,
    ) {
        if self.off {
            return;
        }
        let cells = self.table(table).stream(label);
        cells.returned_records.add(records as f64);
        cells.returned_bytes.add(bytes as f64);
        cells.latency_ms.add(started.elapsed().as_secs_f64() * 1000.0);
    }

    /// Records a request's error.
    pub fn error(&self, op: Option<usize>, tables: &[Arc<TableCells>], e: &DynamoError) {
        if self.off {
            return;
        }
        let per_op = |f: fn(&OpCells) -> &Cell| {
            for t in tables {
                if let Some(c) = op.and_then(|op| t.ops.get(op)) {
                    f(c).add(1.0);
                }
            }
        };
        match e {
            DynamoError::Internal(_) => per_op(|c| &c.system_errors),
            DynamoError::ProvisionedThroughputExceeded { .. } | DynamoError::Throttling { .. } => {
                per_op(|c| &c.throttled)
            }
            DynamoError::TransactionCanceled { reasons } => {
                let code =
                    |r: &Json| r.get("Code").and_then(Json::as_str).unwrap_or("").to_string();
                if reasons.iter().any(|r| {
                    matches!(code(r).as_str(), "ProvisionedThroughputExceeded" | "ThrottlingError")
                }) {
                    per_op(|c| &c.throttled);
                }
                if reasons.iter().any(|r| code(r) == "TransactionConflict") {
                    tables.iter().for_each(|t| t.transaction_conflict.add(1.0));
                }
            }
            DynamoError::ConditionalCheckFailed { .. } => {
                tables.iter().for_each(|t| t.conditional_check_failed.add(1.0));
            }
            DynamoError::TransactionInProgress => {
                tables.iter().for_each(|t| t.transaction_conflict.add(1.0));
            }
            _ => self.user_errors.add(1.0),
        }
    }
}
