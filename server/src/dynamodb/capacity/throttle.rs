//! Enforcing capacity: a read and a write [`Bucket`] per table and per global secondary index,
//! charged what each request consumed, by DynamoDB's rules.
//!
//! - **Provisioned** tables and their global indexes fill at their provisioned units a second,
//!   and hold up to [`BURST_SECS`] of them (DynamoDB's burst capacity); a new table starts full.
//!   Past them: `ProvisionedThroughputExceededException`.
//! - **On-demand** tables fill at their `OnDemandThroughput` maximum when one is set, and at
//!   DynamoDB's per-table maximum ([`ON_DEMAND_UNITS_MAX`]) otherwise, and hold
//!   [`ON_DEMAND_BURST_SECS`] of it. Past them: `ThrottlingException`.
//! - Local secondary indexes share their table's capacity; a global index has its own.
//! - A request is admitted while every bucket it charges holds units (see [`super::bucket`]);
//!   reads are charged once the items are read, writes once the new items and index entries
//!   are known (before anything is written: a throttled write changes nothing).
//! - Under `--capacity report` nothing is refused; every charge is still taken and reported.
//!   Under `--capacity off` nothing is counted either.
//!
//! Lock order: the table map's lock, then one table's state; never two tables' states at once.

use super::bucket::{Bucket, Limit};
use super::clock::Clock;
use super::units::Consumed;
use crate::dynamodb::error::DynamoError;
use crate::dynamodb::metrics::cell::Cell;
use crate::dynamodb::metrics::DynamoMetrics;
use crate::dynamodb::schema::index::{IndexKind, IndexMeta};
use crate::dynamodb::schema::table::{BillingMode, TableMeta};
use serde_json::{json, Value as Json};
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

/// Seconds of unused provisioned capacity a table (or global index) keeps for bursts.
pub const BURST_SECS: f64 = 300.0;
/// DynamoDB's default per-table (and per-index) maximum of an on-demand table, in request
/// units a second (read and write each).
pub const ON_DEMAND_UNITS_MAX: f64 = 40_000.0;
/// Seconds of its maximum an on-demand table may use at once.
pub const ON_DEMAND_BURST_SECS: f64 = 1.0;

/// Whether a request reads or writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Read,
    Write,
}

/// `--capacity`: whether throttling refuses requests or only reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Enforcement {
    /// Requests past their capacity are refused (the default).
    #[default]
    Enforce,
    /// Nothing is refused; consumption is still counted and reported.
    Report,
    /// Nothing is counted nor refused (`ConsumedCapacity` is still answered when asked for).
    Off,
}

/// Why a request was throttled.
#[derive(Debug, Clone, PartialEq)]
pub struct Throttled {
    pub kind: Kind,
    pub billing: BillingMode,
    /// The on-demand table has its own maximum (`OnDemandThroughput`).
    pub own_max: bool,
    /// The global index throttled (the table's buckets when `None`).
    pub index: Option<String>,
    /// The ARN of the table or index throttled.
    pub resource: String,
}

impl Throttled {
    /// DynamoDB's `ThrottlingReason.reason`: resource, operation and limit.
    pub fn reason(&self) -> String {
        let resource = if self.index.is_some() { "Index" } else { "Table" };
        let op = match self.kind {
            Kind::Read => "Read",
            Kind::Write => "Write",
        };
        let limit = match (self.billing, self.own_max) {
            (BillingMode::Provisioned, _) => "ProvisionedThroughputExceeded",
            (BillingMode::PayPerRequest, true) => "MaxOnDemandThroughputExceeded",
            (BillingMode::PayPerRequest, false) => "AccountLimitExceeded",
        };
        format!("{resource}{op}{limit}")
    }

    /// The message DynamoDB answers with.
    pub fn message(&self) -> &'static str {
        match (self.billing, &self.index) {
            (BillingMode::Provisioned, None) => {
                "The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API."
            }
            (BillingMode::Provisioned, Some(_)) => {
                "The level of configured provisioned throughput for one or more global secondary indexes of the table was exceeded. Consider increasing your provisioning level for the under-provisioned global secondary indexes with the UpdateTable API"
            }
            (BillingMode::PayPerRequest, _) => {
                "Throughput exceeds the current capacity of your table or index. DynamoDB is automatically scaling your table or index so please try again shortly. If exceptions persist, check if you have a hot key: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-partition-key-design.html"
            }
        }
    }

    /// The `ThrottlingReasons` list.
    pub fn reasons(&self) -> Json {
        json!([{ "reason": self.reason(), "resource": self.resource }])
    }

    /// The error: `ProvisionedThroughputExceededException` for a provisioned table,
    /// `ThrottlingException` for an on-demand one.
    pub fn to_error(&self) -> DynamoError {
        match self.billing {
            BillingMode::Provisioned => DynamoError::ProvisionedThroughputExceeded {
                message: self.message().into(),
                reasons: self.reasons(),
            },
            BillingMode::PayPerRequest => {
                DynamoError::Throttling { message: self.message().into(), reasons: self.reasons() }
            }
        }
    }

    /// The cancellation reason code of a transaction it cancelled.
    pub fn cancellation_code(&self) -> &'static str {
        match self.billing {
            BillingMode::Provisioned => "ProvisionedThroughputExceeded",
            BillingMode::PayPerRequest => "ThrottlingError",
        }
    }
}

/// A read bucket and a write bucket.
#[derive(Debug)]
struct Pair {
    read: Bucket,
    write: Bucket,
}

impl Pair {
    fn of(&mut self, kind: Kind) -> &mut Bucket {
        match kind {
            Kind::Read => &mut self.read,
            Kind::Write => &mut self.write,
        }
    }
}

/// One table's buckets: its own (shared with its local indexes) and each global index's.
#[derive(Debug)]
struct TableBuckets {
    table: Pair,
    globals: Vec<(String, Pair)>,
}

/// Ids of [`Capacity`] instances (a process may run several: tests do).
static NEXT_CAPACITY_ID: AtomicU64 = AtomicU64::new(1);

/// A thread's last table buckets: (capacity id, table keyspace, buckets).
type LastBuckets = Option<(u64, String, Arc<Mutex<TableBuckets>>)>;

thread_local! {
    /// This thread's last table buckets. A keyspace is never given to another table, so the
    /// entry of a table since deleted is only memory.
    static LAST_BUCKETS: RefCell<LastBuckets> = const { RefCell::new(None) };
}

/// The buckets of every table, and the clock they run by.
#[derive(Debug)]
pub struct Capacity {
    clock: Arc<dyn Clock>,
    enforcement: Enforcement,
    /// `arn:aws:dynamodb:REGION:ACCOUNT:table/`, which a table's name completes.
    table_arn_prefix: String,
    /// By table keyspace (a table made again under its name starts afresh).
    tables: RwLock<HashMap<String, Arc<Mutex<TableBuckets>>>>,
    /// This instance among others (the key of each thread's last hit, [`LAST_BUCKETS`]).
    id: u64,
    /// Where consumption and throttle events are counted.
    metrics: Arc<DynamoMetrics>,
}

/// The limit of a table's (`index: None`) or a global index's bucket of `kind`.
fn limit(meta: &TableMeta, index: Option<&IndexMeta>, kind: Kind) -> (Limit, bool) {
    match meta.billing {
        BillingMode::Provisioned => {
            let t = index.map_or(&meta.throughput, |ix| &ix.throughput);
            let units = match kind {
                Kind::Read => t.read,
                Kind::Write => t.write,
            } as f64;
            (Limit { rate: units, depth: units * BURST_SECS }, false)
        }
        BillingMode::PayPerRequest => {
            let own = meta.on_demand.and_then(|o| {
                let v = match kind {
                    Kind::Read => o.read,
                    Kind::Write => o.write,
                };
                (v >= 1).then_some(v as f64)
            });
            // An index's own maximum is not kept: it runs by the table's.
            let rate = own.unwrap_or(ON_DEMAND_UNITS_MAX);
            (Limit { rate, depth: rate * ON_DEMAND_BURST_SECS }, own.is_some())
        }
    }
}

impl Capacity {
    pub fn new(
        clock: Arc<dyn Clock>,
        enforcement: Enforcement,
        table_arn_prefix: String,
        metrics: Arc<DynamoMetrics>,
    ) -> Capacity {
        let id = NEXT_CAPACITY_ID.fetch_add(1, Ordering::Relaxed);
        Capacity { clock, enforcement, table_arn_prefix, tables: RwLock::default(), id, metrics }
    }

    /// The clock capacity runs by.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    pub fn enforcement(&self) -> Enforcement {
        self.enforcement
    }

    /// The buckets of `meta`'s table: this thread's last hit when it is that table's (no lock,
    /// no hash: most requests name the table the thread's last one did), else from the map.
    fn buckets(&self, meta: &TableMeta) -> Arc<Mutex<TableBuckets>> {
        let hit = LAST_BUCKETS.with(|last| match &*last.borrow() {
            Some((id, ks, b)) if *id == self.id && *ks == meta.keyspace => Some(Arc::clone(b)),
            _ => None,
        });
        if let Some(b) = hit {
            return b;
        }
        let b = self.shared_buckets(meta);
        LAST_BUCKETS.with(|last| {
            *last.borrow_mut() = Some((self.id, meta.keyspace.clone(), Arc::clone(&b)))
        });
        b
    }

    /// The buckets of `meta`'s table in the map, made full when first needed.
    fn shared_buckets(&self, meta: &TableMeta) -> Arc<Mutex<TableBuckets>> {
        if let Ok(map) = self.tables.read() {
            if let Some(b) = map.get(&meta.keyspace) {
                return Arc::clone(b);
            }
        }
        let now = self.clock.now();
        let pair = |ix: Option<&IndexMeta>| Pair {
            read: Bucket::full(limit(meta, ix, Kind::Read).0, now),
            write: Bucket::full(limit(meta, ix, Kind::Write).0, now),
        };
        let made = TableBuckets { table: pair(None), globals: Vec::new() };
        match self.tables.write() {
            Ok(mut map) => Arc::clone(
                map.entry(meta.keyspace.clone()).or_insert_with(|| Arc::new(Mutex::new(made))),
            ),
            // A poisoned map: a bucket of its own, so the request is still served.
            Err(_) => Arc::new(Mutex::new(made)),
        }
    }

    /// Runs `f` on the table's buckets, their limits brought up to `meta`'s first.
    fn with<R>(&self, meta: &TableMeta, f: impl FnOnce(&mut Ctx<'_>) -> R) -> R {
        let buckets = self.buckets(meta);
        let mut guard = match buckets.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        let now = self.clock.now();
        let mut ctx = Ctx { meta, buckets: &mut guard, now };
        ctx.sync_limits();
        f(&mut ctx)
    }

    /// Whether a read of `meta`'s table (`index`: `None` or a local index) or of a global
    /// index may start now.
    pub fn admit_read(&self, meta: &TableMeta, index: Option<&IndexMeta>) -> Result<(), Throttled> {
        if self.enforcement == Enforcement::Off {
            return Ok(());
        }
        let global = index.filter(|ix| ix.kind == IndexKind::Global);
        let throttled = self.with(meta, |c| c.refuses(global, Kind::Read));
        self.verdict(meta, throttled, Kind::Read)
    }

    /// Takes what a request consumed from `meta`'s buckets (index units to each global
    /// index's, local indexes' to the table's).
    pub fn take(&self, meta: &TableMeta, kind: Kind, consumed: &Consumed) {
        if self.enforcement == Enforcement::Off {
            return;
        }
        self.with(meta, |c| c.take(kind, consumed));
        self.count(meta, kind, consumed);
    }

    /// Counts a charge in the table's (and its global indexes') metrics.
    fn count(&self, meta: &TableMeta, kind: Kind, consumed: &Consumed) {
        if !self.metrics.is_on() {
            return;
        }
        let cells = self.metrics.table(&meta.name);
        let (own, local) = table_units(kind, consumed);
        if own + local > 0.0 || consumed.indexes.is_empty() {
            of_kind(kind, &cells.consumed_read, &cells.consumed_write).add(own + local);
        }
        for (name, _, units) in consumed.indexes.iter().filter(|e| e.1 == IndexKind::Global) {
            let ic = cells.index(name);
            of_kind(kind, &ic.consumed_read, &ic.consumed_write).add(*units);
        }
    }

    /// Puts back what [`Capacity::admit_write`] took for a request that then did not run.
    pub fn give_back(&self, meta: &TableMeta, kind: Kind, consumed: &Consumed) {
        if self.enforcement == Enforcement::Off {
            return;
        }
        self.with(meta, |c| c.give(kind, consumed));
    }

    /// Admits a write that will consume `consumed` (the table's units and every index's) and
    /// takes it, or refuses it when any bucket it charges is empty.
    pub fn admit_write(&self, meta: &TableMeta, consumed: &Consumed) -> Result<(), Throttled> {
        if self.enforcement == Enforcement::Off {
            return Ok(());
        }
        let throttled = self.with(meta, |c| {
            let refused = c.refuses(None, Kind::Write).or_else(|| {
                consumed.indexes.iter().filter(|e| e.1 == IndexKind::Global).find_map(
                    |(n, _, _)| {
                        let ix = meta.indexes.iter().find(|ix| &ix.name == n)?;
                        c.refuses(Some(ix), Kind::Write)
                    },
                )
            });
            if refused.is_none() || self.enforcement == Enforcement::Report {
                c.take(Kind::Write, consumed);
            }
            refused
        });
        if throttled.is_none() || self.enforcement == Enforcement::Report {
            self.count(meta, Kind::Write, consumed);
        }
        self.verdict(meta, throttled, Kind::Write)
    }

    /// How many of a batch's requests on `meta`'s table, each estimated to cost `estimates`
    /// units of `kind` in order, may run now (the first that finds the table's bucket empty
    /// and those after it wait). A write also needs units in every global index's bucket.
    /// Nothing is taken: the requests run take what they consumed.
    pub fn admit_batch(&self, meta: &TableMeta, kind: Kind, estimates: &[f64]) -> usize {
        if self.enforcement != Enforcement::Enforce {
            return estimates.len();
        }
        self.with(meta, |c| {
            if kind == Kind::Write {
                let globals = meta.indexes.iter().filter(|ix| ix.kind == IndexKind::Global);
                if globals.into_iter().any(|ix| c.refuses(Some(ix), kind).is_some()) {
                    return 0;
                }
            }
            let mut tokens = c.buckets.table.of(kind).tokens(c.now);
            let mut admitted = 0;
            for e in estimates {
                if tokens <= 0.0 {
                    break;
                }
                tokens -= e;
                admitted += 1;
            }
            admitted
        })
    }

    /// Brings the table's buckets to its settings now (after UpdateTable: a new rate counts
    /// from the change on, not from the next request).
    pub fn reconfigure(&self, meta: &TableMeta) {
        self.with(meta, |_| ());
    }

    /// Forgets a deleted table's buckets.
    pub fn forget(&self, keyspace: &str) {
        if let Ok(mut map) = self.tables.write() {
            map.remove(keyspace);
        }
    }

    fn verdict(
        &self,
        meta: &TableMeta,
        throttled: Option<Option<String>>,
        kind: Kind,
    ) -> Result<(), Throttled> {
        match throttled {
            Some(index) if self.enforcement == Enforcement::Enforce => {
                Err(self.refusal(meta, kind, index))
            }
            _ => Ok(()),
        }
    }

    /// The refusal of a request of `kind` on `meta`'s table (a batch none of whose requests
    /// was admitted).
    pub fn throttled(&self, meta: &TableMeta, kind: Kind) -> Throttled {
        self.refusal(meta, kind, None)
    }

    fn refusal(&self, meta: &TableMeta, kind: Kind, index: Option<String>) -> Throttled {
        let cells = self.metrics.is_on().then(|| self.metrics.table(&meta.name));
        match (&index, cells) {
            (_, None) => {}
            (None, Some(cells)) => {
                of_kind(kind, &cells.read_throttles, &cells.write_throttles).add(1.0)
            }
            (Some(n), Some(cells)) => {
                let ic = cells.index(n);
                of_kind(kind, &ic.read_throttles, &ic.write_throttles).add(1.0);
            }
        }
        let table_arn = format!("{}{}", self.table_arn_prefix, meta.name);
        let resource = match &index {
            Some(n) => format!("{table_arn}/index/{n}"),
            None => table_arn,
        };
        let own_max = meta.on_demand.is_some_and(|o| match kind {
            Kind::Read => o.read >= 1,
            Kind::Write => o.write >= 1,
        });
        Throttled { kind, billing: meta.billing, own_max, index, resource }
    }
}

/// The read or the write cell, by `kind`.
fn of_kind<'c>(kind: Kind, read: &'c Cell, write: &'c Cell) -> &'c Cell {
    match kind {
        Kind::Read => read,
        Kind::Write => write,
    }
}

/// The units of `consumed` the table's own bucket is charged: its own, and its local indexes'.
fn table_units(kind: Kind, consumed: &Consumed) -> (f64, f64) {
    let own = match kind {
        Kind::Read => consumed.read,
        Kind::Write => consumed.write,
    };
    let local = consumed.indexes.iter().filter(|e| e.1 == IndexKind::Local).map(|e| e.2).sum();
    (own, local)
}

/// One table's buckets, locked, at one instant.
struct Ctx<'a> {
    meta: &'a TableMeta,
    buckets: &'a mut TableBuckets,
    now: f64,
}

impl Ctx<'_> {
    /// Brings every bucket's limit up to the table's settings (a throughput change, an index
    /// added or deleted).
    fn sync_limits(&mut self) {
        let (meta, now) = (self.meta, self.now);
        for kind in [Kind::Read, Kind::Write] {
            let (l, _) = limit(meta, None, kind);
            let b = self.buckets.table.of(kind);
            if b.limit() != l {
                b.set_limit(l, now);
            }
        }
        // No allocation on this path (it runs for every request): the indexes are walked.
        let globals = || meta.indexes.iter().filter(|ix| ix.kind == IndexKind::Global);
        self.buckets.globals.retain(|(n, _)| globals().any(|ix| &ix.name == n));
        for ix in globals() {
            let (r, w) =
                (limit(meta, Some(ix), Kind::Read).0, limit(meta, Some(ix), Kind::Write).0);
            match self.buckets.globals.iter_mut().find(|(n, _)| n == &ix.name) {
                Some((_, p)) => {
                    if p.read.limit() != r {
                        p.read.set_limit(r, now);
                    }
                    if p.write.limit() != w {
                        p.write.set_limit(w, now);
                    }
                }
                None => self.buckets.globals.push((
                    ix.name.clone(),
                    Pair { read: Bucket::full(r, now), write: Bucket::full(w, now) },
                )),
            }
        }
    }

    fn pair(&mut self, global: Option<&str>) -> Option<&mut Pair> {
        match global {
            None => Some(&mut self.buckets.table),
            Some(n) => self.buckets.globals.iter_mut().find(|(g, _)| g == n).map(|(_, p)| p),
        }
    }

    /// `Some(index name or None for the table)` when the bucket of `kind` of the table (or
    /// of the global index `global`) is empty.
    fn refuses(&mut self, global: Option<&IndexMeta>, kind: Kind) -> Option<Option<String>> {
        let now = self.now;
        let name = global.map(|ix| ix.name.as_str());
        let p = self.pair(name)?;
        (!p.of(kind).admits(now)).then(|| name.map(str::to_string))
    }

    fn take(&mut self, kind: Kind, consumed: &Consumed) {
        self.apply(kind, consumed, Bucket::take);
    }

    fn give(&mut self, kind: Kind, consumed: &Consumed) {
        self.apply(kind, consumed, Bucket::give);
    }

    /// Applies `f` to every bucket `consumed` charges with its units.
    fn apply(&mut self, kind: Kind, consumed: &Consumed, f: fn(&mut Bucket, f64, f64)) {
        let now = self.now;
        let (own, local) = table_units(kind, consumed);
        f(self.buckets.table.of(kind), own + local, now);
        for (name, _, units) in consumed.indexes.iter().filter(|e| e.1 == IndexKind::Global) {
            if let Some(p) = self.pair(Some(name)) {
                f(p.of(kind), *units, now);
            }
        }
    }
}
