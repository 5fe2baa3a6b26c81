//! Point-in-time recovery: UpdateContinuousBackups, DescribeContinuousBackups and
//! RestoreTableToPointInTime, on the engine's WAL archive (`docs/backup.md`).
//!
//! The engine keeps one window for the whole database: the longest `RecoveryPeriodInDays` of
//! the tables with recovery enabled (none: the archive is dormant and keeps nothing). A table's
//! own window starts when its recovery was enabled, its period ago, or the engine's earliest
//! restorable instant, whichever is latest; it ends now (every committed write is restorable at
//! once, where DynamoDB's window ends about five minutes back).
//!
//! A restore rebuilds the whole database as of the instant in a folder of its own
//! (`<data>/restores/<n>/`, [`shale_engine::Db::restore_to`]), reads the source table's
//! definition there, creates the target table (with the indexes that were active then; no
//! stream, TTL or recovery setting, as DynamoDB does) and copies the table's items, index
//! entries and item-collection sizes into it, then removes the folder. Until the copy is
//! done the table's `RestoreSummary` says `RestoreInProgress`; a table a crash leaves so is
//! removed at the next start ([`cleanup`]).

use crate::dynamodb::access;
use crate::dynamodb::error::{validation, DResult, DynamoError};
use crate::dynamodb::ops::tables::TableNameInput;
use crate::dynamodb::ops::{now_secs, Gateway, Input};
use crate::dynamodb::request::member::{Member, Str};
use crate::dynamodb::request::{shapes, Constraints};
use crate::dynamodb::schema::catalog::CATALOG_KEYSPACE;
use crate::dynamodb::schema::index::{IndexKind, IndexMeta, IndexStatus, Projection};
use crate::dynamodb::schema::table::{BillingMode, OnDemand, PitrMeta, RestoreMeta, TableMeta};
use crate::dynamodb::transfer::Failure;
use crate::iam::caller::Caller;
use serde_json::{json, Value as Json};
use shale_engine::{Db, IterOptions, Keyspace, Options, RestorePoint, WriteBatch};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// `RecoveryPeriodInDays` when UpdateContinuousBackups gives none.
pub const RECOVERY_PERIOD_DAYS_DEFAULT: u32 = 35;
/// The longest `RecoveryPeriodInDays`.
pub const RECOVERY_PERIOD_DAYS_MAX: u32 = 35;
/// Entries a restore copies per engine batch.
const COPY_BATCH_ENTRIES: usize = 1000;
/// The folder (inside the database's) where restores are built.
pub const RESTORES_DIR: &str = "restores";

const DAY_SECS: f64 = 86_400.0;

/// A table name, or a table ARN of this region and account, as its name.
pub(crate) fn name_of<'a>(g: &Gateway, name_or_arn: &'a str) -> DResult<&'a str> {
    let prefix = g.table_arn("");
    match name_or_arn.strip_prefix(&prefix) {
        Some(name) => Ok(name),
        None if name_or_arn.starts_with("arn:") => Err(validation(format!(
            "Invalid TableArn: {name_or_arn} is not a table of this server"
        ))),
        None => Ok(name_or_arn),
    }
}

fn table_not_found(name: &str) -> DynamoError {
    DynamoError::TableNotFound(format!("Table not found: {name}"))
}

/// Gives the engine's archive the longest recovery period of the tables with recovery on (0:
/// dormant).
pub fn sync_retention(g: &Gateway) -> DResult<()> {
    let days = g.catalog.tables().iter().filter_map(|t| t.pitr).map(|p| p.period_days).max();
    let live_ms = u64::from(days.unwrap_or(0)) * 86_400_000;
    // Deleted tables may be restored for their period after the deletion.
    let ms = live_ms.max(super::pitr_deleted::retention_ms(g)?);
    if ms == 0 && g.db.archive_stats().is_none() {
        // No table asks for recovery, and the database keeps no archive: nothing to do.
        return Ok(());
    }
    let retention = Duration::from_millis(ms);
    g.db.set_archive_retention(retention).map_err(|e| {
        DynamoError::PointInTimeRecoveryUnavailable(format!(
            "point-in-time recovery needs the engine's WAL archive: {e}"
        ))
    })
}

/// Removes what a crash left of restores: tables whose copy had not finished, and the folders
/// they were built in.
pub fn cleanup(g: &Gateway) -> DResult<()> {
    for meta in g.catalog.tables() {
        if meta.restored.as_ref().is_some_and(|r| r.in_progress) {
            tracing::warn!("removing table {}: its restore did not finish", meta.name);
            g.catalog.delete(&meta.name)?;
        }
    }
    let fs = g.db.file_system();
    let dir = g.db.path().join(RESTORES_DIR);
    if fs.exists(&dir).map_err(internal)? {
        for name in fs.list(&dir).map_err(internal)? {
            remove_tree(g, &dir.join(name))?;
        }
    }
    sync_retention(g)
}

fn internal(e: impl std::fmt::Display) -> DynamoError {
    DynamoError::Internal(e.to_string())
}

/// Removes a restore folder (it holds files only).
fn remove_tree(g: &Gateway, dir: &std::path::Path) -> DResult<()> {
    let fs = g.db.file_system();
    for name in fs.list(dir).map_err(internal)? {
        fs.remove(&dir.join(name)).map_err(internal)?;
    }
    fs.remove_dir(dir).map_err(internal)
}

/// The table's recovery window in seconds since the epoch: `(earliest, latest)`.
pub(crate) fn window(g: &Gateway, p: &PitrMeta) -> (f64, f64) {
    let now = now_secs();
    let earliest = p
        .since
        .max(now - f64::from(p.period_days) * DAY_SECS)
        .max(engine_earliest(g, now))
        .min(now);
    (earliest, now)
}

/// The engine archive's earliest restorable instant in seconds (`none`: none yet).
fn engine_earliest(g: &Gateway, none: f64) -> f64 {
    g.db.archive_stats()
        .and_then(|s| s.earliest_restorable_ms)
        .map_or(none, |ms| ms as f64 / 1000.0)
}

fn description(g: &Gateway, meta: &TableMeta) -> Json {
    let pitr = match &meta.pitr {
        Some(p) => {
            let (earliest, latest) = window(g, p);
            json!({
                "PointInTimeRecoveryStatus": "ENABLED",
                "RecoveryPeriodInDays": p.period_days,
                "EarliestRestorableDateTime": earliest,
                "LatestRestorableDateTime": latest,
            })
        }
        None => json!({"PointInTimeRecoveryStatus": "DISABLED"}),
    };
    json!({
        "ContinuousBackupsDescription": {
            "ContinuousBackupsStatus": "ENABLED",
            "PointInTimeRecoveryDescription": pitr,
        }
    })
}

/// UpdateContinuousBackups' input, checked.
pub struct UpdateInput<'a> {
    table_name: Str<'a>,
    enabled: bool,
    period_days: Option<u32>,
}

impl<'a> Input<'a> for UpdateInput<'a> {
    fn authorize(&self, g: &Gateway, caller: &Caller, action: &'static str) -> DResult<()> {
        access::table(g, caller, action, name_of(g, &self.table_name)?, |_| {})
    }

    type Shape = shapes::UpdateContinuousBackups<'a>;

    fn decode(w: shapes::UpdateContinuousBackups<'a>) -> DResult<Self> {
        let mut c = Constraints::default();
        let name = w.table_name.get("TableName")?;
        c.not_null("tableName", name.as_ref());
        if let Some(n) = name.as_deref() {
            c.len("tableName", &format!("'{n}'"), n.len(), 1, 1024);
        }
        let spec =
            w.point_in_time_recovery_specification.get("PointInTimeRecoverySpecification")?;
        let (mut enabled, mut period) = (None, None);
        match spec {
            None => c.not_null::<()>("pointInTimeRecoverySpecification", None),
            Some(s) => {
                enabled = s.point_in_time_recovery_enabled.get("PointInTimeRecoveryEnabled")?;
                period = s.recovery_period_in_days.get("RecoveryPeriodInDays")?;
                let at = "pointInTimeRecoverySpecification.pointInTimeRecoveryEnabled";
                c.not_null(at, enabled);
                let at = "pointInTimeRecoverySpecification.recoveryPeriodInDays";
                c.range(at, period, 1, i64::from(RECOVERY_PERIOD_DAYS_MAX));
            }
        }
        c.finish()?;
        let enabled = enabled.unwrap_or(false);
        if !enabled && period.is_some() {
            return Err(validation(
                "RecoveryPeriodInDays can only be set when PointInTimeRecoveryEnabled is true",
            ));
        }
        Ok(UpdateInput {
            table_name: name.unwrap_or_default(),
            enabled,
            period_days: period.and_then(|p| u32::try_from(p).ok()),
        })
    }
}

pub fn update(g: &Gateway, input: UpdateInput) -> DResult<Json> {
    let name = name_of(g, &input.table_name)?;
    let now = now_secs();
    let table = g
        .catalog
        .update(name, |m| {
            m.pitr = match (input.enabled, m.pitr) {
                (false, _) => None,
                (true, old) => Some(PitrMeta {
                    since: old.map_or(now, |p| p.since),
                    period_days: input
                        .period_days
                        .or(old.map(|p| p.period_days))
                        .unwrap_or(RECOVERY_PERIOD_DAYS_DEFAULT),
                }),
            };
            Ok(())
        })
        .map_err(|e| match e {
            DynamoError::ResourceNotFound(_) => table_not_found(name),
            e => e,
        })?;
    sync_retention(g)?;
    if input.enabled && g.db.archive_stats().is_some_and(|s| s.earliest_restorable_ms.is_none()) {
        // The window starts with the first base: take it now rather than at the archive
        // thread's next round.
        g.db.take_archive_base()?;
    }
    Ok(description(g, &table.meta))
}

pub fn describe(g: &Gateway, input: TableNameInput) -> DResult<Json> {
    let name = name_of(g, input.name())?;
    let table = g.catalog.get(name).ok_or_else(|| table_not_found(name))?;
    Ok(description(g, &table.meta))
}

/// RestoreTableToPointInTime's input, checked.
pub struct RestoreInput<'a> {
    source: Str<'a>,
    target: Str<'a>,
    /// Seconds since the epoch; `None`: the latest restorable time.
    time: Option<f64>,
    overrides: Overrides,
}

/// `{"ReadCapacityUnits": r, "WriteCapacityUnits": w}` (or the on-demand names) as a pair.
fn pair(v: &Json, what: &str, (a, b): (&str, &str), min: i64) -> DResult<(i64, i64)> {
    let get = |k: &str| {
        v.get(k)
            .and_then(Json::as_i64)
            .filter(|n| *n >= min)
            .ok_or_else(|| validation(format!("{what}.{k} must be a number of at least {min}")))
    };
    Ok((get(a)?, get(b)?))
}

impl<'a> Input<'a> for RestoreInput<'a> {
    fn authorize(&self, g: &Gateway, caller: &Caller, action: &'static str) -> DResult<()> {
        access::table(g, caller, action, name_of(g, &self.source)?, |_| {})?;
        access::table(g, caller, action, &self.target, |_| {})
    }

    type Shape = shapes::RestoreTableToPointInTime<'a>;

    fn decode(w: shapes::RestoreTableToPointInTime<'a>) -> DResult<Self> {
        let mut c = Constraints::default();
        let target = w.target_table_name.get("TargetTableName")?;
        c.table_name("targetTableName", target.as_deref());
        let source_name = w.source_table_name.get("SourceTableName")?;
        if let Some(n) = source_name.as_deref() {
            c.table_name("sourceTableName", Some(n));
        }
        let source_arn = w.source_table_arn.get("SourceTableArn")?;
        let billing = w.billing_mode_override.get("BillingModeOverride")?;
        c.one_of("billingModeOverride", billing.as_deref(), &["PROVISIONED", "PAY_PER_REQUEST"]);
        c.finish()?;
        let source = match (source_name, source_arn) {
            (Some(n), None) => n,
            (None, Some(a)) => a,
            (Some(_), Some(_)) => {
                return Err(validation(
                    "Only one of SourceTableArn or SourceTableName may be given",
                ))
            }
            (None, None) => {
                return Err(validation("Either SourceTableArn or SourceTableName must be given"))
            }
        };
        let latest = w.use_latest_restorable_time.get("UseLatestRestorableTime")?.unwrap_or(false);
        let time = match w.restore_date_time.get("RestoreDateTime")? {
            None => None,
            Some(t) => Some(t.as_f64().ok_or_else(|| {
                DynamoError::Serialization(
                    "RestoreDateTime must be a timestamp (seconds since the epoch)".into(),
                )
            })?),
        };
        match (latest, time) {
            (true, Some(_)) => {
                return Err(validation(
                    "Only one of RestoreDateTime or UseLatestRestorableTime may be given",
                ))
            }
            (false, None) => {
                return Err(validation(
                    "Either RestoreDateTime or UseLatestRestorableTime must be given",
                ))
            }
            _ => {}
        }
        let overrides = overrides(
            billing.as_deref(),
            [
                (w.global_secondary_index_override, "GlobalSecondaryIndexOverride"),
                (w.local_secondary_index_override, "LocalSecondaryIndexOverride"),
                (w.sse_specification_override, "SSESpecificationOverride"),
            ],
            w.provisioned_throughput_override,
            w.on_demand_throughput_override,
        )?;
        Ok(RestoreInput { source, target: target.unwrap_or_default(), time, overrides })
    }
}

/// The overrides of a restore (RestoreTableToPointInTime's and RestoreTableFromBackup's):
/// `BillingModeOverride` (checked by the caller), the provisioned and on-demand throughput;
/// `unsupported` (the index and SSE overrides) are refused by name, never ignored.
pub(crate) fn overrides(
    billing: Option<&str>,
    [(global, _), (local, _), (sse, _)]: [(Member<Json>, &str); 3],
    provisioned: Member<Json>,
    on_demand: Member<Json>,
) -> DResult<Overrides> {
    if sse.get("SSESpecificationOverride")?.is_some() {
        return Err(validation(
            "SSESpecificationOverride is not supported by this server: tables are not \
             encrypted at rest",
        ));
    }
    let global = match global.get("GlobalSecondaryIndexOverride")? {
        Some(v) => Some(index_overrides(&v, "GlobalSecondaryIndexOverride", true)?),
        None => None,
    };
    let local = match local.get("LocalSecondaryIndexOverride")? {
        Some(v) => Some(index_overrides(&v, "LocalSecondaryIndexOverride", false)?),
        None => None,
    };
    let throughput = match provisioned.get("ProvisionedThroughputOverride")? {
        Some(v) => Some(pair(
            &v,
            "ProvisionedThroughputOverride",
            ("ReadCapacityUnits", "WriteCapacityUnits"),
            1,
        )?),
        None => None,
    };
    let on_demand = match on_demand.get("OnDemandThroughputOverride")? {
        Some(v) => {
            let (read, write) = pair(
                &v,
                "OnDemandThroughputOverride",
                ("MaxReadRequestUnits", "MaxWriteRequestUnits"),
                -1,
            )?;
            Some(OnDemand { read, write })
        }
        None => None,
    };
    let billing = billing.map(|b| {
        if b == "PROVISIONED" {
            BillingMode::Provisioned
        } else {
            BillingMode::PayPerRequest
        }
    });
    Ok(Overrides { billing, throughput, on_demand, global, local })
}

/// One entry of `GlobalSecondaryIndexOverride` / `LocalSecondaryIndexOverride`: an index of the
/// source to keep, described as it is (name, key schema, projection), with, for a global one,
/// its provisioned throughput.
#[derive(Debug, Clone)]
pub struct IndexOverride {
    pub name: String,
    pub hash: String,
    pub range: Option<String>,
    /// `ProjectionType` and `NonKeyAttributes`.
    pub projection: (String, Vec<String>),
    pub throughput: Option<(i64, i64)>,
}

fn index_overrides(v: &Json, what: &str, global: bool) -> DResult<Vec<IndexOverride>> {
    let bad = |m: &str| validation(format!("{what}: {m}"));
    let list = v.as_array().ok_or_else(|| bad("must be a list of indexes"))?;
    let mut out: Vec<IndexOverride> = Vec::with_capacity(list.len());
    for ix in list {
        let name = ix["IndexName"].as_str().ok_or_else(|| bad("an index has no IndexName"))?;
        let keys = ix["KeySchema"].as_array().ok_or_else(|| bad("an index has no KeySchema"))?;
        let key = |ty: &str| {
            keys.iter()
                .find(|k| k["KeyType"] == ty)
                .and_then(|k| k["AttributeName"].as_str())
                .map(str::to_string)
        };
        let hash = key("HASH").ok_or_else(|| bad(&format!("index {name} has no HASH key")))?;
        let p = &ix["Projection"];
        let ty = p["ProjectionType"].as_str().unwrap_or("ALL").to_string();
        let mut non_key: Vec<String> = p["NonKeyAttributes"]
            .as_array()
            .map(|a| a.iter().filter_map(|n| n.as_str().map(str::to_string)).collect())
            .unwrap_or_default();
        non_key.sort();
        let throughput = match ix.get("ProvisionedThroughput") {
            Some(t) if global => Some(pair(
                t,
                &format!("{what}.ProvisionedThroughput"),
                ("ReadCapacityUnits", "WriteCapacityUnits"),
                1,
            )?),
            Some(_) => return Err(bad("a local index has no ProvisionedThroughput of its own")),
            None => None,
        };
        if out.iter().any(|o| o.name == name) {
            return Err(bad(&format!("index {name} is named twice")));
        }
        out.push(IndexOverride {
            name: name.to_string(),
            hash,
            range: key("RANGE"),
            projection: (ty, non_key),
            throughput,
        });
    }
    Ok(out)
}

/// The indexes a restored table gets: those of the source (ACTIVE then) that the overrides
/// keep, each override matching its index exactly (DynamoDB: "the indexes provided should match
/// existing secondary indexes"; some or all may be left out).
fn kept_indexes(old: &TableMeta, overrides: &Overrides) -> DResult<Vec<IndexMeta>> {
    let active: Vec<&IndexMeta> =
        old.indexes.iter().filter(|i| i.status == IndexStatus::Active).collect();
    let mut kept = Vec::new();
    for (kind, list, what) in [
        (IndexKind::Global, &overrides.global, "GlobalSecondaryIndexOverride"),
        (IndexKind::Local, &overrides.local, "LocalSecondaryIndexOverride"),
    ] {
        let of_kind = active.iter().filter(|i| i.kind == kind);
        let Some(list) = list else {
            kept.extend(of_kind.map(|i| (*i).clone()));
            continue;
        };
        for o in list {
            let Some(ix) = of_kind.clone().find(|i| i.name == o.name) else {
                return Err(validation(format!(
                    "{what}: table {} has no {} index {}",
                    old.name,
                    if kind == IndexKind::Global { "global" } else { "local" },
                    o.name
                )));
            };
            let mut non_key = match &ix.projection {
                Projection::Include(n) => n.clone(),
                _ => Vec::new(),
            };
            non_key.sort();
            let same = ix.hash.name == o.hash
                && ix.range.as_ref().map(|r| &r.name) == o.range.as_ref()
                && ix.projection.type_name() == o.projection.0
                && non_key == o.projection.1;
            if !same {
                return Err(validation(format!(
                    "{what}: index {} does not match the source's (key schema and projection \
                     must be as they are)",
                    o.name
                )));
            }
            let mut ix = (*ix).clone();
            if let Some((read, write)) = o.throughput {
                ix.throughput.read = read;
                ix.throughput.write = write;
            }
            kept.push(ix);
        }
    }
    Ok(kept)
}

/// Numbers the restore folders of this process.
static NEXT_RESTORE: AtomicU64 = AtomicU64::new(1);

pub fn restore(g: &Gateway, input: RestoreInput) -> DResult<Json> {
    let source = name_of(g, &input.source)?.to_string();
    let target: &str = &input.target;
    let (earliest, latest) = match g.catalog.get(&source) {
        Some(table) => {
            let pitr = table.meta.pitr.ok_or_else(|| {
                DynamoError::PointInTimeRecoveryUnavailable(format!(
                    "Point in time recovery is not enabled for table '{source}'"
                ))
            })?;
            window(g, &pitr)
        }
        // A table deleted with recovery on: up to its deletion, for its period after.
        None => match super::pitr_deleted::find(g, &source)? {
            Some(d) => {
                let (start, end) = d.window();
                (start.max(engine_earliest(g, end)), end)
            }
            None => {
                return Err(DynamoError::TableNotFound(format!("Source table not found: {source}")))
            }
        },
    };
    if g.catalog.get(target).is_some() {
        return Err(DynamoError::TableAlreadyExists(format!("Table already exists: {target}")));
    }
    let at = input.time.unwrap_or(latest);
    if at < earliest.floor() || at > latest {
        return Err(DynamoError::InvalidRestoreTime(format!(
            "RestoreDateTime {at} is outside the recovery window of table '{source}': \
             {earliest} to {latest}"
        )));
    }
    // The latest restorable time of a live table is now (everything); of a deleted one, its
    // deletion.
    let point = match input.time {
        None if g.catalog.get(&source).is_some() => RestorePoint::Latest,
        t => RestorePoint::Time((t.unwrap_or(at) * 1000.0).floor() as u64),
    };
    with_database_at(g, point, &source, |then, old| {
        let Some(old) = old else {
            return Err(DynamoError::InvalidRestoreTime(format!(
                "Table '{source}' did not exist at {at}"
            )));
        };
        let from = RestoreMeta {
            source_backup_arn: None,
            source_table_arn: g.table_arn(&source),
            restore_time: at,
            in_progress: true,
        };
        restore_table(g, then, &old, &input.target, &input.overrides, from)
    })
}

/// Restores the whole database as of `point` into a folder of its own, opens it and runs `f` on
/// it with table `name`'s definition then (`None`: there was no such table); the folder is
/// removed after.
pub(crate) fn with_database_at<T>(
    g: &Gateway,
    point: RestorePoint,
    name: &str,
    f: impl FnOnce(&Db, Option<TableMeta>) -> DResult<T>,
) -> DResult<T> {
    let out = g.db.path().join(RESTORES_DIR).join(format!(
        "{}-{}",
        std::process::id(),
        NEXT_RESTORE.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| {
        g.db.restore_to(point, &out, Options::default())?;
        let opts =
            Options { fs: g.db.file_system(), create_if_missing: false, ..Options::default() };
        let then = Db::open(&out, opts)?;
        let catalog = then.keyspace(CATALOG_KEYSPACE)?;
        let old: Option<TableMeta> = match then.get(&catalog, name.as_bytes())? {
            Some(json) => Some(serde_json::from_slice(&json).map_err(internal)?),
            None => None,
        };
        f(&then, old)
    })();
    if g.db.file_system().exists(&out).unwrap_or(false) {
        remove_tree(g, &out)?;
    }
    result
}

/// Runs `f` on the database restored as of `at` (seconds since the epoch) and table `name`'s
/// definition then (an export's view of its instant).
pub(crate) fn with_table_at<T>(
    g: &Gateway,
    name: &str,
    at: f64,
    f: impl FnOnce(&Db, &TableMeta) -> Result<T, Failure>,
) -> Result<T, Failure> {
    let point = RestorePoint::Time((at * 1000.0).floor() as u64);
    let mut failure = None;
    let done = with_database_at(g, point, name, |then, old| match old {
        None => {
            failure = Some(Failure::new(
                "InvalidExportTime",
                format!("Table '{name}' did not exist at {at}"),
            ));
            Ok(None)
        }
        Some(old) => match f(then, &old) {
            Ok(v) => Ok(Some(v)),
            Err(e) => {
                failure = Some(e);
                Ok(None)
            }
        },
    });
    match (done, failure) {
        (Ok(Some(v)), _) => Ok(v),
        (_, Some(f)) => Err(f),
        (Err(e), None) => Err(Failure::new("InternalError", e.message())),
        (Ok(None), None) => Err(Failure::new("InternalError", "the restore gave nothing")),
    }
}

/// What a restore may change of the source table's settings.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub billing: Option<BillingMode>,
    pub throughput: Option<(i64, i64)>,
    pub on_demand: Option<OnDemand>,
    /// The global indexes to keep (`None`: all).
    pub global: Option<Vec<IndexOverride>>,
    /// The local indexes to keep (`None`: all).
    pub local: Option<Vec<IndexOverride>>,
}

/// Makes table `target` from the table `old` of database `then` (a restored database, or a
/// backup's): its definition (the indexes that were active; no stream, TTL or recovery setting)
/// with `overrides`, then its items, index entries and item-collection sizes. The table is
/// marked `from` with `in_progress` until the copy is done (a crash leaves it so, and the next
/// start removes it); a failed copy removes it.
pub(crate) fn restore_table(
    g: &Gateway,
    then: &Db,
    old: &TableMeta,
    target: &str,
    overrides: &Overrides,
    from: RestoreMeta,
) -> DResult<Json> {
    let indexes = kept_indexes(old, overrides)?;
    let collections = indexes.iter().any(|i| i.kind == IndexKind::Local);
    let now = now_secs();
    let made = g.catalog.create(
        target,
        (indexes.len(), collections, false),
        |ks, index_ks, coll, _| {
            let mut m = old.clone();
            m.name = target.to_string();
            m.keyspace = ks;
            m.indexes = indexes
                .iter()
                .cloned()
                .zip(index_ks)
                .map(|(mut ix, k)| {
                    ix.keyspace = k;
                    ix.backfill = None;
                    ix
                })
                .collect();
            m.collections = coll;
            m.stream = None;
            m.ttl = None;
            m.pitr = None;
            m.created = now;
            m.table_id = super::tables::new_table_id(target, now);
            if let Some(b) = overrides.billing {
                m.billing = b;
                if b == BillingMode::PayPerRequest {
                    m.pay_per_request_since = Some(now);
                }
            }
            if let Some((read, write)) = overrides.throughput {
                m.throughput.read = read;
                m.throughput.write = write;
            }
            if overrides.on_demand.is_some() {
                m.on_demand = overrides.on_demand;
            }
            m.restored = Some(from);
            m.importing = None;
            // Deletion protection is the table's, not restored with it (its class is).
            m.deletion_protection = false;
            // Nor are its tags (DynamoDB: tags are to be set up again on a restored table).
            m.tags.clear();
            m
        },
    )?;
    let copied = (|| {
        copy(g, then, &old.keyspace, &made.ks)?;
        for (ix, ks) in indexes.iter().zip(&made.index_ks) {
            copy(g, then, &ix.keyspace, ks)?;
        }
        if let (Some(from), Some(to)) = (&old.collections, &made.collections_ks) {
            copy(g, then, from, to)?;
        }
        g.db.sync_wal()?;
        DResult::Ok(())
    })();
    if let Err(e) = copied {
        let _ = g.catalog.delete(target);
        return Err(e);
    }
    let done = g.catalog.update(target, |m| {
        if let Some(r) = &mut m.restored {
            r.in_progress = false;
        }
        Ok(())
    })?;
    Ok(json!({ "TableDescription": super::tables::description_of(g, &done.meta) }))
}

/// Copies every entry of keyspace `from` of `then` into `to` of the live database.
fn copy(g: &Gateway, then: &Db, from: &str, to: &Keyspace) -> DResult<()> {
    let src = then.keyspace(from)?;
    let mut it = then.iter(&src, IterOptions::all())?;
    let mut batch = WriteBatch::new();
    while it.advance()? {
        batch.put(to, it.key(), it.value());
        if batch.len() >= COPY_BATCH_ENTRIES {
            g.db.write(std::mem::take(&mut batch), shale_engine::WriteOptions::default())?;
        }
    }
    if !batch.is_empty() {
        g.db.write(batch, shale_engine::WriteOptions::default())?;
    }
    Ok(())
}
