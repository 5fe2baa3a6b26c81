//! On-demand backups: CreateBackup, DescribeBackup, ListBackups, DeleteBackup and
//! RestoreTableFromBackup, on the backup store (`crate::backup`, `docs/backup.md`).
//!
//! CreateBackup returns once the backup is made (a checkpoint of the table's keyspaces: hard
//! links, no copy), so it reports `AVAILABLE` at once where DynamoDB reports `CREATING` for a
//! while. A restore makes the target table from the backup's definition and entries with the
//! PITR restore's machinery ([`super::pitr::restore_table`]).

use crate::backup::{BackupError, BackupRecord};
use crate::dynamodb::access;
use crate::dynamodb::error::{validation, DResult, DynamoError};
use crate::dynamodb::ops::pitr::{self, Overrides};
use crate::dynamodb::ops::tables::key_schema;
use crate::dynamodb::ops::{now_secs, Gateway, Input};
use crate::dynamodb::request::member::Str;
use crate::dynamodb::request::{shapes, Constraints};
use crate::dynamodb::schema::index::{IndexKind, Projection};
use crate::dynamodb::schema::table::{RestoreMeta, TableMeta};
use crate::iam::caller::Caller;
use serde_json::{json, Map, Value as Json};

/// The most ListBackups answers in one page (the model's maximum `Limit`).
pub const LIST_BACKUPS_LIMIT_MAX: i64 = 100;
/// The longest BackupName.
pub const BACKUP_NAME_LEN_MAX: usize = 255;

fn store_error(e: BackupError) -> DynamoError {
    DynamoError::Internal(format!("the backup store: {e}"))
}

fn backup_not_found(arn: &str) -> DynamoError {
    DynamoError::BackupNotFound(format!("Backup not found: {arn}"))
}

fn details(r: &BackupRecord, status: &str) -> Json {
    json!({
        "BackupArn": r.arn,
        "BackupName": r.name,
        "BackupSizeBytes": r.size_bytes,
        "BackupStatus": status,
        "BackupType": "USER",
        "BackupCreationDateTime": r.created,
    })
}

fn summary(r: &BackupRecord) -> Json {
    json!({
        "TableName": r.meta.name,
        "TableId": r.meta.table_id,
        "TableArn": r.table_arn,
        "BackupArn": r.arn,
        "BackupName": r.name,
        "BackupCreationDateTime": r.created,
        "BackupStatus": "AVAILABLE",
        "BackupType": "USER",
        "BackupSizeBytes": r.size_bytes,
    })
}

/// `BackupDescription`: the backup, the table it was taken of, and the table's features.
fn description(r: &BackupRecord, status: &str) -> Json {
    let m: &TableMeta = &r.meta;
    let mut source = json!({
        "TableName": m.name,
        "TableId": m.table_id,
        "TableArn": r.table_arn,
        "TableSizeBytes": r.size_bytes,
        "KeySchema": key_schema(&m.hash, m.range.as_ref()),
        "TableCreationDateTime": m.created,
        "ProvisionedThroughput": {"ReadCapacityUnits": m.throughput.read,
                                  "WriteCapacityUnits": m.throughput.write},
        "ItemCount": r.item_count,
        "BillingMode": m.billing.name(),
    });
    if let (Some(od), Json::Object(o)) = (m.on_demand, &mut source) {
        o.insert(
            "OnDemandThroughput".into(),
            json!({"MaxReadRequestUnits": od.read, "MaxWriteRequestUnits": od.write}),
        );
    }
    let mut features = Map::new();
    for (kind, member) in
        [(IndexKind::Global, "GlobalSecondaryIndexes"), (IndexKind::Local, "LocalSecondaryIndexes")]
    {
        let list: Vec<Json> = m
            .indexes
            .iter()
            .filter(|ix| ix.kind == kind)
            .map(|ix| {
                let mut projection = json!({"ProjectionType": ix.projection.type_name()});
                if let (Projection::Include(attrs), Json::Object(p)) =
                    (&ix.projection, &mut projection)
                {
                    p.insert("NonKeyAttributes".into(), json!(attrs));
                }
                let mut d = json!({"IndexName": ix.name,
                                   "KeySchema": key_schema(&ix.hash, ix.range.as_ref()),
                                   "Projection": projection});
                if let (IndexKind::Global, Json::Object(o)) = (kind, &mut d) {
                    o.insert(
                        "ProvisionedThroughput".into(),
                        json!({"ReadCapacityUnits": ix.throughput.read,
                               "WriteCapacityUnits": ix.throughput.write}),
                    );
                }
                d
            })
            .collect();
        if !list.is_empty() {
            features.insert(member.into(), Json::Array(list));
        }
    }
    if let Some(s) = m.stream.as_ref().filter(|s| s.enabled) {
        features.insert(
            "StreamDescription".into(),
            json!({"StreamEnabled": true, "StreamViewType": s.view.name()}),
        );
    }
    let ttl = match m.ttl.as_ref().and_then(|t| t.attribute.as_deref()) {
        Some(a) => json!({"TimeToLiveStatus": "ENABLED", "AttributeName": a}),
        None => json!({"TimeToLiveStatus": "DISABLED"}),
    };
    features.insert("TimeToLiveDescription".into(), ttl);
    json!({
        "BackupDetails": details(r, status),
        "SourceTableDetails": source,
        "SourceTableFeatureDetails": Json::Object(features),
    })
}

/// CreateBackup's input, checked.
pub struct CreateInput<'a> {
    table: Str<'a>,
    name: Str<'a>,
}

impl<'a> Input<'a> for CreateInput<'a> {
    fn authorize(&self, g: &Gateway, caller: &Caller, action: &'static str) -> DResult<()> {
        access::table(g, caller, action, pitr::name_of(g, &self.table)?, |_| {})
    }

    type Shape = shapes::CreateBackup<'a>;

    fn decode(w: shapes::CreateBackup<'a>) -> DResult<Self> {
        let mut c = Constraints::default();
        let table = w.table_name.get("TableName")?;
        c.not_null("tableName", table.as_ref());
        if let Some(t) = table.as_deref() {
            c.len("tableName", &format!("'{t}'"), t.len(), 1, 1024);
        }
        let name = w.backup_name.get("BackupName")?;
        c.not_null("backupName", name.as_ref());
        if let Some(n) = name.as_deref() {
            c.len("backupName", &format!("'{n}'"), n.len(), 3, BACKUP_NAME_LEN_MAX);
            if !n.bytes().all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b)) {
                c.add(
                    &format!("'{n}'"),
                    "backupName",
                    "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
                );
            }
        }
        c.finish()?;
        Ok(CreateInput { table: table.unwrap_or_default(), name: name.unwrap_or_default() })
    }
}

pub fn create(g: &Gateway, input: CreateInput) -> DResult<Json> {
    let name = pitr::name_of(g, &input.table)?;
    let table = g
        .catalog
        .get(name)
        .ok_or_else(|| DynamoError::TableNotFound(format!("Table not found: {name}")))?;
    if table.meta.importing.is_some() {
        return Err(DynamoError::TableInUse(format!("Table is being imported: {name}")));
    }
    if table.meta.restored.as_ref().is_some_and(|r| r.in_progress) {
        return Err(DynamoError::TableInUse(format!("Table is being restored: {name}")));
    }
    let now = now_secs();
    let ms = (now * 1000.0) as u64;
    let salt = xxhash_rust::xxh3::xxh3_64(format!("{name}/{}/{now}", input.name).as_bytes());
    let id = format!("{ms:013}-{:08x}", salt & 0xffff_ffff);
    let table_arn = g.table_arn(name);
    // The table's keyspaces: items, the indexes written (those being deleted are not), sizes;
    // only the indexes backed up are the backup's.
    let mut keyspaces = vec![&table.ks];
    keyspaces.extend(table.indexes().map(|(_, ks)| ks));
    keyspaces.extend(table.collections_ks.as_ref());
    let mut meta = table.meta.clone();
    let written: Vec<String> = table.indexes().map(|(m, _)| m.name.clone()).collect();
    meta.indexes.retain(|ix| written.contains(&ix.name));
    let record = BackupRecord {
        arn: format!("{table_arn}/backup/{id}"),
        id,
        name: input.name.to_string(),
        table_arn,
        created: now,
        size_bytes: 0,
        item_count: 0,
        meta,
    };
    let record = g.backups.create(record, &keyspaces).map_err(store_error)?;
    Ok(json!({"BackupDetails": details(&record, "AVAILABLE")}))
}

/// DescribeBackup's and DeleteBackup's input: a backup ARN.
pub struct ArnInput<'a> {
    arn: Str<'a>,
}

fn decode_arn(arn: crate::dynamodb::request::member::Member<Str<'_>>) -> DResult<Str<'_>> {
    let mut c = Constraints::default();
    let arn = arn.get("BackupArn")?;
    c.not_null("backupArn", arn.as_ref());
    if let Some(a) = arn.as_deref() {
        c.len("backupArn", &format!("'{a}'"), a.len(), 37, 1024);
    }
    c.finish()?;
    Ok(arn.unwrap_or_default())
}

impl<'a> Input<'a> for ArnInput<'a> {
    fn authorize(&self, _g: &Gateway, caller: &Caller, action: &'static str) -> DResult<()> {
        if caller.is_unrestricted() {
            return Ok(());
        }
        access::check(caller, action, &self.arn, &caller.context())
    }

    type Shape = shapes::BackupArn<'a>;

    fn decode(w: shapes::BackupArn<'a>) -> DResult<Self> {
        Ok(ArnInput { arn: decode_arn(w.backup_arn)? })
    }
}

fn find(g: &Gateway, arn: &str) -> DResult<BackupRecord> {
    g.backups.get(arn).map_err(store_error)?.ok_or_else(|| backup_not_found(arn))
}

pub fn describe(g: &Gateway, input: ArnInput) -> DResult<Json> {
    let r = find(g, &input.arn)?;
    Ok(json!({"BackupDescription": description(&r, "AVAILABLE")}))
}

pub fn delete(g: &Gateway, input: ArnInput) -> DResult<Json> {
    let r = find(g, &input.arn)?;
    g.backups.delete(&r).map_err(store_error)?;
    Ok(json!({"BackupDescription": description(&r, "DELETED")}))
}

/// ListBackups' input, checked.
pub struct ListInput<'a> {
    table: Option<Str<'a>>,
    limit: usize,
    after: Option<f64>,
    before: Option<f64>,
    start: Option<Str<'a>>,
    /// Whether user backups are asked for (BackupType USER or ALL).
    user: bool,
}

fn timestamp(v: Option<Json>, what: &str) -> DResult<Option<f64>> {
    v.map(|t| {
        t.as_f64().ok_or_else(|| {
            DynamoError::Serialization(format!(
                "{what} must be a timestamp (seconds since the epoch)"
            ))
        })
    })
    .transpose()
}

impl<'a> Input<'a> for ListInput<'a> {
    fn authorize(&self, _g: &Gateway, caller: &Caller, action: &'static str) -> DResult<()> {
        access::account_wide(caller, action)
    }

    type Shape = shapes::ListBackups<'a>;

    fn decode(w: shapes::ListBackups<'a>) -> DResult<Self> {
        let mut c = Constraints::default();
        let table = w.table_name.get("TableName")?;
        if let Some(t) = table.as_deref() {
            c.len("tableName", &format!("'{t}'"), t.len(), 1, 1024);
        }
        let limit = w.limit.get("Limit")?;
        c.range("limit", limit, 1, LIST_BACKUPS_LIMIT_MAX);
        let start = w.exclusive_start_backup_arn.get("ExclusiveStartBackupArn")?;
        if let Some(s) = start.as_deref() {
            c.len("exclusiveStartBackupArn", &format!("'{s}'"), s.len(), 37, 1024);
        }
        let kind = w.backup_type.get("BackupType")?;
        c.one_of("backupType", kind.as_deref(), &["USER", "SYSTEM", "AWS_BACKUP", "ALL"]);
        c.finish()?;
        let after =
            timestamp(w.time_range_lower_bound.get("TimeRangeLowerBound")?, "TimeRangeLowerBound")?;
        let before =
            timestamp(w.time_range_upper_bound.get("TimeRangeUpperBound")?, "TimeRangeUpperBound")?;
        if let (Some(a), Some(b)) = (after, before) {
            if a > b {
                return Err(validation(
                    "TimeRangeLowerBound must not be after TimeRangeUpperBound",
                ));
            }
        }
        Ok(ListInput {
            table,
            limit: limit
                .and_then(|l| usize::try_from(l).ok())
                .unwrap_or(LIST_BACKUPS_LIMIT_MAX as usize),
            after,
            before,
            start,
            user: matches!(kind.as_deref(), None | Some("USER") | Some("ALL")),
        })
    }
}

pub fn list(g: &Gateway, input: ListInput) -> DResult<Json> {
    let table = input.table.as_deref().map(|t| pitr::name_of(g, t)).transpose()?;
    let mut all: Vec<BackupRecord> = if input.user {
        g.backups.list().map_err(store_error)?
    } else {
        // This server makes user backups only: no SYSTEM or AWS_BACKUP ones.
        Vec::new()
    };
    all.retain(|b| {
        table.is_none_or(|t| b.meta.name == t)
            && input.after.is_none_or(|a| b.created >= a)
            && input.before.is_none_or(|u| b.created < u)
    });
    if let Some(start) = input.start.as_deref() {
        match all.iter().position(|b| b.arn == start) {
            Some(i) => {
                all.drain(..=i);
            }
            None => return Err(validation(format!("Invalid ExclusiveStartBackupArn: {start}"))),
        }
    }
    let more = all.len() > input.limit;
    all.truncate(input.limit);
    let mut out = json!({"BackupSummaries": all.iter().map(summary).collect::<Vec<_>>()});
    if let (true, Some(last), Json::Object(o)) = (more, all.last(), &mut out) {
        o.insert("LastEvaluatedBackupArn".into(), json!(last.arn));
    }
    Ok(out)
}

/// RestoreTableFromBackup's input, checked.
pub struct RestoreInput<'a> {
    target: Str<'a>,
    arn: Str<'a>,
    overrides: Overrides,
}

impl<'a> Input<'a> for RestoreInput<'a> {
    fn authorize(&self, g: &Gateway, caller: &Caller, action: &'static str) -> DResult<()> {
        if caller.is_unrestricted() {
            return Ok(());
        }
        access::check(caller, action, &self.arn, &caller.context())?;
        access::table(g, caller, action, &self.target, |_| {})
    }

    type Shape = shapes::RestoreTableFromBackup<'a>;

    fn decode(w: shapes::RestoreTableFromBackup<'a>) -> DResult<Self> {
        let mut c = Constraints::default();
        let target = w.target_table_name.get("TargetTableName")?;
        c.table_name("targetTableName", target.as_deref());
        let billing = w.billing_mode_override.get("BillingModeOverride")?;
        c.one_of("billingModeOverride", billing.as_deref(), &["PROVISIONED", "PAY_PER_REQUEST"]);
        c.finish()?;
        let arn = decode_arn(w.backup_arn)?;
        let overrides = pitr::overrides(
            billing.as_deref(),
            [
                (w.global_secondary_index_override, "GlobalSecondaryIndexOverride"),
                (w.local_secondary_index_override, "LocalSecondaryIndexOverride"),
                (w.sse_specification_override, "SSESpecificationOverride"),
            ],
            w.provisioned_throughput_override,
            w.on_demand_throughput_override,
        )?;
        Ok(RestoreInput { target: target.unwrap_or_default(), arn, overrides })
    }
}

pub fn restore(g: &Gateway, input: RestoreInput) -> DResult<Json> {
    let r = find(g, &input.arn)?;
    let target: &str = &input.target;
    if g.catalog.get(target).is_some() {
        return Err(DynamoError::TableAlreadyExists(format!("Table already exists: {target}")));
    }
    let from = RestoreMeta {
        source_backup_arn: Some(r.arn.clone()),
        source_table_arn: r.table_arn.clone(),
        restore_time: now_secs(),
        in_progress: true,
    };
    let mut result = None;
    g.backups
        .read(&r, |then| {
            result = Some(pitr::restore_table(g, then, &r.meta, target, &input.overrides, from));
            Ok(())
        })
        .map_err(store_error)?;
    result.unwrap_or_else(|| Err(DynamoError::Internal("the backup was not read".into())))
}
