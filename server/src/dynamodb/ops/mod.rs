//! The gateway's operations (DynamoDB API 2012-08-10): one module per group, all behind
//! [`Gateway::run`], which takes the operation (named by `X-Amz-Target`) and the body's bytes.
//!
//! - [`tables`]: CreateTable, DescribeTable, ListTables, UpdateTable, DeleteTable.
//! - [`items`]: GetItem, PutItem, UpdateItem, DeleteItem.
//! - [`query`]: Query and Scan.
//! - [`batch`]: BatchGetItem and BatchWriteItem.
//! - [`transact`]: TransactWriteItems and TransactGetItems.
//! - [`partiql`]: ExecuteStatement, BatchExecuteStatement and ExecuteTransaction.
//! - [`ttl`]: UpdateTimeToLive and DescribeTimeToLive; [`limits`]: DescribeLimits;
//!   [`endpoints`]: DescribeEndpoints.
//! - [`tags`]: TagResource, UntagResource, ListTagsOfResource.
//! - [`kinesis`]: DescribeKinesisStreamingDestination (none), and the refusal of Enable-,
//!   Disable- and UpdateKinesisStreamingDestination.
//! - [`pitr`]: UpdateContinuousBackups, DescribeContinuousBackups, RestoreTableToPointInTime.
//! - [`backups`]: CreateBackup, DescribeBackup, ListBackups, DeleteBackup,
//!   RestoreTableFromBackup.
//! - [`exports`]: ExportTableToPointInTime, DescribeExport, ListExports; [`imports`]:
//!   ImportTable, DescribeImport, ListImports.

pub mod backups;
pub mod batch;
pub mod endpoints;
pub mod exports;
pub mod imports;
pub mod items;
pub mod kinesis;
pub mod limits;
mod params;
pub mod partiql;
pub mod pitr;
pub mod pitr_deleted;
pub mod query;
pub mod registry;
pub mod tables;
pub mod tags;
pub mod transact;
pub mod ttl;

use crate::dynamodb::capacity::clock::{Clock, SystemClock};
use crate::dynamodb::capacity::throttle::{Capacity, Enforcement, Kind};
use crate::dynamodb::capacity::Consumed;
use crate::dynamodb::error::{DResult, DynamoError};
use crate::dynamodb::metrics::DynamoMetrics;
use crate::dynamodb::model::item_codec;
use crate::dynamodb::model::value::Item;
use crate::dynamodb::schema::catalog::{Catalog, Table};
use crate::dynamodb::schema::index::IndexMeta;
use crate::dynamodb::stream::registry::Streams;
use crate::dynamodb::stream::worker::StreamWorker;
use crate::dynamodb::write::backfill::{JobContext, Jobs};
use crate::dynamodb::write::locks::Locks;
use crate::http::service::Operation;
use crate::iam::caller::Caller;
use registry::{Handler, Schedule};
use serde_json::Value as Json;
use shale_engine::{Db, Keyspace, WriteOptions};
use std::sync::Arc;

/// An operation's input: its request body decoded into [`Input::Shape`] (botocore's shape,
/// [`crate::dynamodb::request::shapes`]) in one pass, then checked, in DynamoDB's order of
/// checks, before its handler runs: the handler reads typed fields, never the JSON. What needs
/// the table (its existence, a key against its schema) is the handler's.
pub trait Input<'a>: Sized {
    /// The request shape the body is decoded into.
    type Shape: serde::Deserialize<'a>;
    /// Checks the decoded shape.
    fn decode(shape: Self::Shape) -> DResult<Self>;
    /// Whether `caller` may run `action` (`dynamodb:PutItem`) with this input: every table,
    /// index and condition key it touches ([`crate::dynamodb::access`]).
    fn authorize(&self, g: &Gateway, caller: &Caller, action: &'static str) -> DResult<()>;
    /// The tables an item operation's metrics are counted on (`TableName`); none for the
    /// others.
    fn tables(&self) -> Vec<&str> {
        Vec::new()
    }
}

/// How the gateway is run.
#[derive(Debug, Clone)]
pub struct GatewayOptions {
    /// Acknowledge writes only once fsynced (group commit). Default true.
    pub sync: bool,
    /// Region and account shown in ARNs.
    pub region: String,
    pub account: String,
    /// Pace of the backfill of an index added to a live table, in items a second (0: as fast
    /// as it goes).
    pub backfill_items_per_sec: u64,
    /// Items a backfill copies per batch (tests make it small).
    pub backfill_chunk_items: usize,
    /// Largest item collection of a table with local indexes, in bytes (DynamoDB's 10 GB;
    /// tests make it small).
    pub item_collection_bytes_max: u64,
    /// How often a stream starts a new generation of shards, closing the current ones
    /// (`--stream-shard-rollover`; DynamoDB's shards last about 4 hours).
    pub stream_shard_rollover: std::time::Duration,
    /// How long a disabled stream (or a deleted table's) stays readable (24 hours).
    pub stream_retention: std::time::Duration,
    /// How often the TTL expirer looks for expired items (`--ttl-scan-interval`, 10 s).
    pub ttl_scan_interval: std::time::Duration,
    /// How soon a table's TTL setting may change again (`--ttl-change-cooldown`; DynamoDB's
    /// hour).
    pub ttl_change_cooldown: std::time::Duration,
    /// Most items the TTL expirer examines a second, over all tables.
    pub ttl_items_per_sec: u64,
    /// `--capacity`: refuse requests past their table's capacity, or only report.
    pub capacity: Enforcement,
    /// The clock capacity and metrics run by (tests set their own).
    pub clock: Arc<dyn Clock>,
    /// Whether requests are counted in the CloudWatch metrics (`--metrics`, default true).
    pub metrics: bool,
    /// Decreases of a table's (or index's) provisioned throughput allowed any time in a UTC
    /// day (`--throughput-decreases-per-day`; DynamoDB's 4); after them, one an hour.
    pub throughput_decreases_per_day: i64,
    /// Where the buckets of exports and imports are (`--export-root`): bucket `b` is the
    /// folder `<root>/b`. `None`: exports and imports are refused.
    pub export_root: Option<std::path::PathBuf>,
}

impl Default for GatewayOptions {
    fn default() -> Self {
        GatewayOptions {
            sync: true,
            region: "us-east-1".into(),
            account: "000000000000".into(),
            backfill_items_per_sec: crate::dynamodb::limits::BACKFILL_ITEMS_PER_SEC_DEFAULT,
            backfill_chunk_items: crate::dynamodb::limits::BACKFILL_CHUNK_ITEMS,
            item_collection_bytes_max: crate::dynamodb::limits::ITEM_COLLECTION_BYTES_MAX,
            stream_shard_rollover: crate::dynamodb::limits::STREAM_SHARD_ROLLOVER_DEFAULT,
            stream_retention: crate::dynamodb::stream::registry::RETENTION_DEFAULT,
            ttl_scan_interval: crate::dynamodb::limits::TTL_SCAN_INTERVAL_DEFAULT,
            ttl_change_cooldown: crate::dynamodb::limits::TTL_CHANGE_COOLDOWN_DEFAULT,
            ttl_items_per_sec: crate::dynamodb::limits::TTL_ITEMS_PER_SEC_DEFAULT,
            capacity: Enforcement::Enforce,
            clock: Arc::new(SystemClock),
            throughput_decreases_per_day: crate::dynamodb::limits::THROUGHPUT_DECREASES_PER_DAY,
            metrics: true,
            export_root: None,
        }
    }
}

/// The DynamoDB service over one database.
pub struct Gateway {
    pub(crate) db: Db,
    pub(crate) catalog: Arc<Catalog>,
    pub(crate) locks: Arc<Locks>,
    pub(crate) tokens: transact::Tokens,
    /// The last item counts of large tables, by keyspace (see `tables::counts`).
    pub(crate) counts: std::sync::Mutex<std::collections::HashMap<String, tables::Counted>>,
    pub(crate) opts: GatewayOptions,
    /// Every table's and global index's capacity buckets.
    pub(crate) capacity: Capacity,
    /// The CloudWatch metrics recorded on the request path.
    pub(crate) metrics: Arc<DynamoMetrics>,
    /// The jobs of the online index changes under way (stopped when the gateway is dropped).
    pub(crate) jobs: Jobs,
    /// Every stream.
    pub(crate) streams: Arc<Streams>,
    /// The on-demand backups.
    pub(crate) backups: crate::backup::Backups,
    /// The exports and imports: records, queue, buckets.
    pub(crate) transfers: crate::dynamodb::transfer::worker::Transfers,
    /// The address clients reach the gateway at, once the front door has bound it
    /// (DescribeEndpoints answers it).
    pub(crate) endpoint: std::sync::OnceLock<String>,
    /// Rolls streams over and expires disabled ones (stopped when the gateway is dropped).
    _stream_worker: StreamWorker,
}

impl Gateway {
    /// Opens the service over `db`, and resumes the index changes a restart interrupted.
    pub fn open(db: Db, opts: GatewayOptions) -> DResult<Gateway> {
        let catalog = Arc::new(Catalog::open(db.clone())?);
        let streams = Arc::new(Streams::open(db.clone(), &catalog, opts.stream_retention)?);
        let worker = StreamWorker::start(Arc::clone(&streams), opts.stream_shard_rollover);
        let arn_prefix = format!("arn:aws:dynamodb:{}:{}:table/", opts.region, opts.account);
        let metrics = Arc::new(DynamoMetrics::new(opts.metrics));
        let capacity =
            Capacity::new(Arc::clone(&opts.clock), opts.capacity, arn_prefix, Arc::clone(&metrics));
        let backups = crate::backup::Backups::open(db.clone())
            .map_err(|e| DynamoError::Internal(format!("opening the backups: {e}")))?;
        let transfers =
            crate::dynamodb::transfer::worker::Transfers::open(&db, opts.export_root.clone())
                .map_err(crate::dynamodb::transfer::worker::store_error)?;
        let g = Gateway {
            backups,
            transfers,
            capacity,
            metrics,
            db,
            catalog,
            locks: Arc::default(),
            tokens: transact::Tokens::default(),
            counts: Default::default(),
            opts,
            jobs: Jobs::default(),
            streams,
            endpoint: std::sync::OnceLock::new(),
            _stream_worker: worker,
        };
        g.jobs.resume(&g.job_context());
        pitr::cleanup(&g)?;
        crate::dynamodb::transfer::worker::recover(&g)?;
        Ok(g)
    }

    /// What a background job of the gateway works with.
    pub(crate) fn job_context(&self) -> JobContext {
        JobContext {
            db: self.db.clone(),
            catalog: Arc::clone(&self.catalog),
            locks: Arc::clone(&self.locks),
            write: self.write_options(),
            items_per_sec: self.opts.backfill_items_per_sec,
            chunk_items: self.opts.backfill_chunk_items.max(1),
        }
    }

    /// Waits until no index change is under way (tests).
    pub fn wait_for_index_jobs(&self) {
        self.jobs.wait();
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Every stream (the Streams API reads them).
    pub fn streams(&self) -> &Streams {
        &self.streams
    }

    /// The CloudWatch metrics recorded on the request path.
    pub fn metrics(&self) -> &DynamoMetrics {
        &self.metrics
    }

    /// The gateway's options.
    pub fn options(&self) -> &GatewayOptions {
        &self.opts
    }

    /// Tells the gateway the address clients reach it at (`host:port`, the front door's bound
    /// address), which DescribeEndpoints answers; the first address told is kept.
    pub fn set_endpoint(&self, address: String) {
        let _ = self.endpoint.set(address);
    }

    /// The ARN of the table called `name`.
    pub(crate) fn table_arn(&self, name: &str) -> String {
        format!("arn:aws:dynamodb:{}:{}:table/{name}", self.opts.region, self.opts.account)
    }

    /// Whether `op` runs on the connection's task (see [`Schedule`]).
    pub fn runs_inline(&self, op: &Operation<Handler>) -> bool {
        match op.handler.schedule {
            Schedule::Read => true,
            Schedule::Write => !self.opts.sync,
            Schedule::SlowRead | Schedule::TableChange => false,
        }
    }

    /// Runs the operation called `name` on a request body given as JSON (for tests and
    /// tools; the front door calls [`Gateway::run`] with the body's bytes).
    pub fn handle(&self, name: &str, body: &Json) -> DResult<Json> {
        let caller = Caller::anonymous(&self.opts.account, None, false);
        match registry::operation(name) {
            Some(op) => self.run(op, body.to_string().as_bytes(), &caller),
            None => Err(DynamoError::UnknownOperation),
        }
    }

    /// Runs `op` on its request body for `caller`.
    pub fn run(&self, op: &Operation<Handler>, body: &[u8], caller: &Caller) -> DResult<Json> {
        (op.handler.run)(self, body, caller)
    }

    /// A table for an item operation (DynamoDB's data-plane message when it is missing).
    /// (An item request racing the table's deletion gets the engine's
    /// `Error::KeyspaceDropped`, which is ResourceNotFoundException too.)
    pub(crate) fn table(&self, name: &str) -> DResult<Arc<Table>> {
        // A table being imported into is CREATING: not there yet for items.
        self.catalog
            .get(name)
            .filter(|t| t.meta.importing.is_none())
            .ok_or_else(|| DynamoError::ResourceNotFound("Requested resource not found".into()))
    }

    /// Whether a read of `table` (through `index`, when it reads one) may start now.
    pub(crate) fn admit_read(&self, table: &Table, index: Option<&IndexMeta>) -> DResult<()> {
        self.capacity.admit_read(&table.meta, index).map_err(|t| t.to_error())
    }

    /// Charges a read of `table` what it consumed.
    pub(crate) fn charge_read(&self, table: &Table, consumed: &Consumed) {
        self.capacity.take(&table.meta, Kind::Read, consumed);
    }

    pub(crate) fn write_options(&self) -> WriteOptions {
        WriteOptions { sync: self.opts.sync }
    }

    /// Reads and decodes one item.
    pub(crate) fn read_item(&self, ks: &Keyspace, key: &[u8]) -> DResult<Option<Item>> {
        match self.db.get(ks, key)? {
            None => Ok(None),
            Some(bytes) => decode(&bytes).map(Some),
        }
    }

    /// The items under `keys`, in order, read by one engine `multi_get` (their block reads go
    /// out together).
    pub(crate) fn read_items(&self, ks: &Keyspace, keys: &[&[u8]]) -> DResult<Vec<Option<Item>>> {
        let values = self.db.multi_get(ks, keys)?;
        values.into_iter().map(|v| v.map(|b| decode(&b)).transpose()).collect()
    }
}

/// Decodes a stored item.
pub(crate) fn decode(bytes: &[u8]) -> DResult<Item> {
    item_codec::decode(bytes)
        .map_err(|e| DynamoError::Internal(format!("a stored item is corrupt: {}", e.0)))
}

/// Seconds since the epoch.
pub(crate) fn now_secs() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}
