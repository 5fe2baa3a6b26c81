//! DescribeTable's `TableDescription`: the table's metadata, with `ItemCount` and
//! `TableSizeBytes` counted by a scan (see [`COUNT_EXACT_ITEMS_MAX`]).

use crate::dynamodb::error::DResult;
use crate::dynamodb::model::value::item_size;
use crate::dynamodb::ops::{decode, Gateway};
use crate::dynamodb::schema::catalog::Table;
use crate::dynamodb::schema::index::{IndexKind, IndexMeta, IndexStatus, Projection};
use crate::dynamodb::schema::table::{BillingMode, KeyAttr, TableMeta, Throughput};
use serde_json::{json, Map, Value as Json};
use shale_engine::IterOptions;
use shale_engine::Keyspace;
use std::time::{Duration, Instant};

/// Tables of at most this many items are counted at every DescribeTable (exact figures).
pub const COUNT_EXACT_ITEMS_MAX: u64 = 10_000;
/// Larger tables are recounted at most this often; DescribeTable answers the last count
/// in between (DynamoDB itself refreshes the figures about every six hours).
pub const COUNT_REFRESH: Duration = Duration::from_secs(60);

/// A table's last count.
#[derive(Debug, Clone, Copy)]
pub struct Counted {
    pub(super) at: Instant,
    items: u64,
    bytes: u64,
}

/// `(ItemCount, size in bytes)` of a table and of each of its indexes (in `meta.indexes`
/// order).
#[derive(Debug, Clone, Default)]
pub struct Counts {
    pub table: (u64, u64),
    pub indexes: Vec<(u64, u64)>,
}

/// The counts of a table and its indexes: each counted by a scan, or its last count when it is
/// large and the count recent (see [`COUNT_REFRESH`]).
pub(super) fn counts(g: &Gateway, table: &Table) -> DResult<Counts> {
    let mut indexes = Vec::with_capacity(table.meta.indexes.len());
    for (ix, ks) in table.meta.indexes.iter().zip(&table.index_ks) {
        indexes.push(if ix.is_written() { count(g, ks)? } else { (0, 0) });
    }
    Ok(Counts { table: count(g, &table.ks)?, indexes })
}

/// `(items, bytes)` of one keyspace of items or index entries.
fn count(g: &Gateway, ks: &Keyspace) -> DResult<(u64, u64)> {
    let cached = g.counts.lock().unwrap_or_else(|e| e.into_inner()).get(ks.name()).copied();
    if let Some(c) = cached {
        if c.items > COUNT_EXACT_ITEMS_MAX && c.at.elapsed() < COUNT_REFRESH {
            return Ok((c.items, c.bytes));
        }
    }
    let mut it = g.db.iter(ks, IterOptions::all())?;
    let (mut items, mut bytes) = (0u64, 0u64);
    while it.advance()? {
        items += 1;
        bytes += item_size(&decode(it.value())?) as u64;
    }
    let counted = Counted { at: Instant::now(), items, bytes };
    g.counts.lock().unwrap_or_else(|e| e.into_inner()).insert(ks.name().to_string(), counted);
    Ok((items, bytes))
}

/// A `KeySchema` list: the hash key, then the range key if any.
pub(crate) fn key_schema(hash: &KeyAttr, range: Option<&KeyAttr>) -> Json {
    let mut keys = vec![json!({"AttributeName": hash.name, "KeyType": "HASH"})];
    if let Some(r) = range {
        keys.push(json!({"AttributeName": r.name, "KeyType": "RANGE"}));
    }
    Json::Array(keys)
}

fn throughput(t: &Throughput) -> Json {
    let mut pt = Map::new();
    let today = super::index_updates::decreases_today(t, crate::dynamodb::ops::now_secs());
    pt.insert("NumberOfDecreasesToday".into(), json!(today));
    pt.insert("ReadCapacityUnits".into(), json!(t.read));
    pt.insert("WriteCapacityUnits".into(), json!(t.write));
    if let Some(t) = t.last_increase {
        pt.insert("LastIncreaseDateTime".into(), json!(t));
    }
    if let Some(t) = t.last_decrease {
        pt.insert("LastDecreaseDateTime".into(), json!(t));
    }
    Json::Object(pt)
}

/// An index's `LocalSecondaryIndexDescription` or `GlobalSecondaryIndexDescription`.
fn index_description(ix: &IndexMeta, table_arn: &str, (items, bytes): (u64, u64)) -> Json {
    let mut projection = json!({"ProjectionType": ix.projection.type_name()});
    if let (Projection::Include(attrs), Json::Object(p)) = (&ix.projection, &mut projection) {
        let mut attrs = attrs.clone();
        attrs.sort();
        p.insert("NonKeyAttributes".into(), json!(attrs));
    }
    let mut d = json!({
        "IndexName": ix.name,
        "KeySchema": key_schema(&ix.hash, ix.range.as_ref()),
        "Projection": projection,
        "IndexSizeBytes": bytes,
        "ItemCount": items,
        "IndexArn": ix.arn(table_arn),
    });
    if let (IndexKind::Global, Json::Object(o)) = (ix.kind, &mut d) {
        o.insert("IndexStatus".into(), json!(ix.status.name()));
        if ix.status == IndexStatus::Creating && ix.backfill.is_some() {
            o.insert("Backfilling".into(), json!(true));
        }
        o.insert("ProvisionedThroughput".into(), throughput(&ix.throughput));
    }
    d
}

/// The `TableDescription` object (with zero counts when `counts` is `None`: a new table).
pub(super) fn description(g: &Gateway, m: &TableMeta, counts: Option<Counts>) -> Json {
    let counts = counts.unwrap_or_default();
    let (items, bytes) = counts.table;
    let keys = key_schema(&m.hash, m.range.as_ref());
    let defs: Vec<Json> = m
        .attribute_definitions
        .iter()
        .map(|a| json!({"AttributeName": a.name, "AttributeType": a.ty.name()}))
        .collect();
    let table_arn = m.arn(&g.opts.region, &g.opts.account);
    let mut d = json!({
        "AttributeDefinitions": defs,
        "TableName": m.name,
        "KeySchema": keys,
        "TableStatus": if m.importing.is_some() { "CREATING" } else { "ACTIVE" },
        "CreationDateTime": m.created,
        "ProvisionedThroughput": throughput(&m.throughput),
        "TableSizeBytes": bytes,
        "ItemCount": items,
        "TableArn": table_arn.clone(),
        "TableId": m.table_id,
        "DeletionProtectionEnabled": m.deletion_protection,
    });
    if let (Some(class), Json::Object(o)) = (&m.table_class, &mut d) {
        o.insert("TableClassSummary".into(), json!({ "TableClass": class }));
    }
    if let Json::Object(o) = &mut d {
        let mut summary = Map::new();
        summary.insert("BillingMode".into(), json!(m.billing.name()));
        if let Some(t) = m.pay_per_request_since {
            summary.insert("LastUpdateToPayPerRequestDateTime".into(), json!(t));
        }
        o.insert("BillingModeSummary".into(), Json::Object(summary));
        for (kind, member) in [
            (IndexKind::Local, "LocalSecondaryIndexes"),
            (IndexKind::Global, "GlobalSecondaryIndexes"),
        ] {
            let list: Vec<Json> = m
                .indexes
                .iter()
                .enumerate()
                .filter(|(_, ix)| ix.kind == kind)
                .map(|(i, ix)| {
                    let c = counts.indexes.get(i).copied().unwrap_or((0, 0));
                    index_description(ix, &table_arn, c)
                })
                .collect();
            if !list.is_empty() {
                o.insert(member.into(), Json::Array(list));
            }
        }
        if let Some(r) = &m.stream {
            // A disabled stream has no StreamSpecification, but stays the latest one.
            if r.enabled {
                o.insert(
                    "StreamSpecification".into(),
                    json!({"StreamEnabled": true, "StreamViewType": r.view.name()}),
                );
            }
            o.insert("LatestStreamArn".into(), json!(r.arn));
            o.insert("LatestStreamLabel".into(), json!(r.label));
        }
        if let Some(od) = m.on_demand.filter(|_| m.billing == BillingMode::PayPerRequest) {
            o.insert(
                "OnDemandThroughput".into(),
                json!({"MaxReadRequestUnits": od.read, "MaxWriteRequestUnits": od.write}),
            );
        }
        if let Some(r) = &m.restored {
            let mut s = json!({
                "SourceTableArn": r.source_table_arn,
                "RestoreDateTime": r.restore_time,
                "RestoreInProgress": r.in_progress,
            });
            if let (Some(b), Json::Object(s)) = (&r.source_backup_arn, &mut s) {
                s.insert("SourceBackupArn".into(), json!(b));
            }
            o.insert("RestoreSummary".into(), s);
        }
        if m.billing == BillingMode::PayPerRequest {
            o.insert(
                "TableThroughputModeSummary".into(),
                json!({"TableThroughputMode": "PAY_PER_REQUEST"}),
            );
        }
    }
    d
}
