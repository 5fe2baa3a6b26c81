//! The control plane: CreateTable, DescribeTable, ListTables, UpdateTable, DeleteTable.
//!
//! Tables are ready when CreateTable returns, so they are reported `ACTIVE` at once (DynamoDB
//! reports `CREATING` for a few seconds; waiters accept both). `ItemCount` and `TableSizeBytes`
//! are counted by DescribeTable with a scan of the table: exact for tables of up to
//! [`COUNT_EXACT_ITEMS_MAX`] items, at most [`COUNT_REFRESH`] old for larger ones (DynamoDB
//! refreshes them about every six hours).

use crate::dynamodb::error::{validation, DResult, DynamoError};
use crate::dynamodb::limits::{CAPACITY_MAX, LIST_TABLES_LIMIT_MAX};
use crate::dynamodb::model::value::item_size;
use crate::dynamodb::ops::{decode, now_secs, Gateway, Input};
use crate::dynamodb::request::member::{Member, Str};
use crate::dynamodb::request::shapes::{self, TableDefinition};
use crate::dynamodb::request::{table_name, Constraints};
use crate::dynamodb::schema::catalog::not_found;
use crate::dynamodb::schema::table::{BillingMode, KeyAttr, ScalarType, TableMeta, Throughput};
use serde_json::{json, Map, Value as Json};
use shale_engine::IterOptions;
use std::time::{Duration, Instant};

fn key_schema(
    ks: Member<Vec<Member<shapes::KeySchemaElement>>>,
    c: &mut Constraints,
) -> DResult<Vec<(String, String)>> {
    let Some(ks) = ks.get("KeySchema")? else {
        c.not_null::<()>("keySchema", None);
        return Ok(vec![]);
    };
    if ks.is_empty() || ks.len() > 2 {
        c.add(
            "'[]'",
            "keySchema",
            if ks.is_empty() {
                "Member must have length greater than or equal to 1"
            } else {
                "Member must have length less than or equal to 2"
            },
        );
    }
    let pairs = ks.into_iter().map(|e| e.present().map(|e| (e.attribute_name, e.key_type)));
    name_type_pairs(pairs, ("keySchema", "KeyType", "keyType"), &["HASH", "RANGE"], c)
}

/// The `(AttributeName, <type member>)` pairs of a list (`KeySchema`, `AttributeDefinitions`;
/// `None` for an element that is not a structure, which is skipped), each member's
/// constraints added to `c`; `(at, member, member_at)` name the list and the type member as
/// DynamoDB's messages do.
fn name_type_pairs<'a>(
    list: impl Iterator<Item = Option<(Member<Str<'a>>, Member<Str<'a>>)>>,
    (at, member, member_at): (&str, &str, &str),
    allowed: &[&str],
    c: &mut Constraints,
) -> DResult<Vec<(String, String)>> {
    let mut out = Vec::new();
    for (i, e) in list.enumerate() {
        let Some((name, ty)) = e else { continue };
        let name = name.get("AttributeName")?;
        let ty = ty.get(member)?;
        c.not_null(&format!("{at}.{}.member.attributeName", i + 1), name.as_ref());
        c.not_null(&format!("{at}.{}.member.{member_at}", i + 1), ty.as_ref());
        c.one_of(&format!("{at}.{}.member.{member_at}", i + 1), ty.as_deref(), allowed);
        if let (Some(n), Some(t)) = (name, ty) {
            out.push((n.into_owned(), t.into_owned()));
        }
    }
    Ok(out)
}

fn attribute_definitions(
    defs: Member<Vec<Member<shapes::AttributeDefinition>>>,
    c: &mut Constraints,
) -> DResult<Vec<(String, String)>> {
    let Some(defs) = defs.get("AttributeDefinitions")? else {
        c.not_null::<()>("attributeDefinitions", None);
        return Ok(vec![]);
    };
    let pairs = defs.into_iter().map(|e| e.present().map(|e| (e.attribute_name, e.attribute_type)));
    let at = ("attributeDefinitions", "AttributeType", "attributeType");
    name_type_pairs(pairs, at, &["B", "N", "S"], c)
}

/// Reads `ProvisionedThroughput` (read, write), with DynamoDB's range checks.
fn throughput(
    pt: Member<shapes::ProvisionedThroughput>,
    c: &mut Constraints,
) -> DResult<Option<(i64, i64)>> {
    let Some(pt) = pt.get("ProvisionedThroughput")? else { return Ok(None) };
    let r = pt.read_capacity_units.get("ReadCapacityUnits")?;
    let w = pt.write_capacity_units.get("WriteCapacityUnits")?;
    c.not_null("provisionedThroughput.readCapacityUnits", r);
    c.not_null("provisionedThroughput.writeCapacityUnits", w);
    c.range("provisionedThroughput.readCapacityUnits", r, 1, i64::MAX);
    c.range("provisionedThroughput.writeCapacityUnits", w, 1, i64::MAX);
    Ok(r.zip(w))
}

fn billing_mode(v: Member<Str>, c: &mut Constraints) -> DResult<Option<BillingMode>> {
    let v = v.get("BillingMode")?;
    let v = v.as_deref();
    c.one_of("billingMode", v, &["PROVISIONED", "PAY_PER_REQUEST"]);
    Ok(match v {
        Some("PROVISIONED") => Some(BillingMode::Provisioned),
        Some("PAY_PER_REQUEST") => Some(BillingMode::PayPerRequest),
        _ => None,
    })
}

fn check_capacity(r: i64, w: i64) -> DResult<()> {
    if r > CAPACITY_MAX || w > CAPACITY_MAX {
        return Err(crate::dynamodb::error::DynamoError::LimitExceeded(format!(
            "Subscriber limit exceeded: Provisioned throughput for the table exceeds the account limit of {CAPACITY_MAX}"
        )));
    }
    Ok(())
}

/// The members CreateTable and UpdateTable share, and what `between` read.
struct TableMembers<'a, T> {
    name: Str<'a>,
    between: T,
    billing: Option<BillingMode>,
    /// Provisioned (read, write) capacity.
    throughput: Option<(i64, i64)>,
}

/// Reads [`TableMembers`] with their constraints gathered into one message in DynamoDB's
/// order: `TableName`, then what `between` reads (CreateTable's key schema and attribute
/// definitions), then `BillingMode` and `ProvisionedThroughput`.
fn table_members<'a, T>(
    w: TableDefinition<'a>,
    between: impl FnOnce(
        &mut Constraints,
        Member<Vec<Member<shapes::KeySchemaElement<'a>>>>,
        Member<Vec<Member<shapes::AttributeDefinition<'a>>>>,
    ) -> DResult<T>,
) -> DResult<TableMembers<'a, T>> {
    let mut c = Constraints::default();
    let name = w.table_name.get("TableName")?;
    c.table_name("tableName", name.as_deref());
    let between = between(&mut c, w.key_schema, w.attribute_definitions)?;
    let billing = billing_mode(w.billing_mode, &mut c)?;
    let throughput = throughput(w.provisioned_throughput, &mut c)?;
    c.finish()?;
    Ok(TableMembers { name: name.unwrap_or_default(), between, billing, throughput })
}

/// CreateTable's input, decoded and checked before the handler runs.
pub struct CreateTableInput<'a> {
    table_name: Str<'a>,
    hash: KeyAttr,
    range: Option<KeyAttr>,
    attribute_definitions: Vec<KeyAttr>,
    billing: BillingMode,
    /// Provisioned (read, write) capacity.
    throughput: Option<(i64, i64)>,
}

impl<'a> Input<'a> for CreateTableInput<'a> {
    type Shape = TableDefinition<'a>;

    fn decode(w: TableDefinition<'a>) -> DResult<Self> {
        let m = table_members(w, |c, ks, defs| {
            Ok((key_schema(ks, c)?, attribute_definitions(defs, c)?))
        })?;
        let TableMembers { name, between: (keys, defs), billing, throughput: pt } = m;

        let billing = billing.unwrap_or(BillingMode::Provisioned);
        match billing {
            BillingMode::Provisioned if pt.is_none() => {
                return Err(validation("One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED"));
            }
            BillingMode::PayPerRequest if pt.is_some() => {
                return Err(validation("One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST"));
            }
            _ => {}
        }
        if let Some((r, w)) = pt {
            check_capacity(r, w)?;
        }
        let mut seen = std::collections::BTreeSet::new();
        for (n, _) in &defs {
            if !seen.insert(n.as_str()) {
                return Err(validation(format!(
                    "One or more parameter values were invalid: Duplicate AttributeName in AttributeDefinitions: {n}"
                )));
            }
        }
        let Some((hash_name, hash_type)) = keys.first() else {
            return Err(validation(
                "Invalid KeySchema: Some index key attribute have no definition",
            ));
        };
        if hash_type != "HASH" {
            return Err(validation(
                "Invalid KeySchema: The first KeySchemaElement is not a HASH key type",
            ));
        }
        let range = match keys.get(1) {
            Some((n, t)) => {
                if t != "RANGE" {
                    return Err(validation(
                        "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type",
                    ));
                }
                if n == hash_name {
                    return Err(validation("Invalid KeySchema: Both the Hash Key and the Range Key element in the KeySchema have the same name"));
                }
                Some(n)
            }
            None => None,
        };
        let key_names: Vec<&str> = keys.iter().map(|(n, _)| n.as_str()).collect();
        let def_names: Vec<&str> = defs.iter().map(|(n, _)| n.as_str()).collect();
        if key_names.iter().any(|k| !def_names.contains(k)) {
            return Err(validation(format!(
                "One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [{}], AttributeDefinitions: [{}]",
                key_names.join(", "),
                def_names.join(", ")
            )));
        }
        if defs.len() != keys.len() {
            return Err(validation("One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions"));
        }
        let attr = |n: &str| -> KeyAttr {
            let ty = defs
                .iter()
                .find(|(d, _)| d == n)
                .and_then(|(_, t)| ScalarType::parse(t))
                .unwrap_or(ScalarType::S);
            KeyAttr { name: n.to_string(), ty }
        };
        let hash = attr(hash_name);
        let range = range.map(|r| attr(r));
        let definitions: Vec<KeyAttr> = defs.iter().map(|(n, _)| attr(n)).collect();
        Ok(CreateTableInput {
            table_name: name,
            hash,
            range,
            attribute_definitions: definitions,
            billing,
            throughput: pt,
        })
    }
}

pub fn create(g: &Gateway, input: CreateTableInput) -> DResult<Json> {
    let (name, billing) = (&*input.table_name, input.billing);
    let now = now_secs();
    let (read, write) = input.throughput.unwrap_or((0, 0));
    let table = g.catalog.create(name, |keyspace| TableMeta {
        name: name.to_string(),
        keyspace,
        hash: input.hash,
        range: input.range,
        attribute_definitions: input.attribute_definitions,
        billing,
        throughput: Throughput { read, write, ..Throughput::default() },
        created: now,
        table_id: table_id(name, now),
        pay_per_request_since: (billing == BillingMode::PayPerRequest).then_some(now),
    })?;
    Ok(json!({ "TableDescription": description(g, &table.meta, None) }))
}

/// A stable, unique-enough TableId in UUID form.
fn table_id(name: &str, now: f64) -> String {
    let h = xxhash_rust::xxh3::xxh3_128(format!("{name}/{now}").as_bytes());
    let b = h.to_be_bytes();
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        hex.get(0..8).unwrap_or(""),
        hex.get(8..12).unwrap_or(""),
        hex.get(12..16).unwrap_or(""),
        hex.get(16..20).unwrap_or(""),
        hex.get(20..32).unwrap_or("")
    )
}

/// Tables of at most this many items are counted at every DescribeTable (exact figures).
pub const COUNT_EXACT_ITEMS_MAX: u64 = 10_000;
/// Larger tables are recounted at most this often; DescribeTable answers the last count
/// in between (DynamoDB itself refreshes the figures about every six hours).
pub const COUNT_REFRESH: Duration = Duration::from_secs(60);

/// A table's last count.
#[derive(Debug, Clone, Copy)]
pub struct Counted {
    at: Instant,
    items: u64,
    bytes: u64,
}

/// `(ItemCount, TableSizeBytes)`: counted by a scan, or the last count of a large table when
/// it is recent (see [`COUNT_REFRESH`]).
fn counts(g: &Gateway, table: &crate::dynamodb::schema::catalog::Table) -> DResult<(u64, u64)> {
    let cached =
        g.counts.lock().unwrap_or_else(|e| e.into_inner()).get(&table.meta.keyspace).copied();
    if let Some(c) = cached {
        if c.items > COUNT_EXACT_ITEMS_MAX && c.at.elapsed() < COUNT_REFRESH {
            return Ok((c.items, c.bytes));
        }
    }
    let mut it = g.db.iter(&table.ks, IterOptions::all())?;
    let (mut items, mut bytes) = (0u64, 0u64);
    while it.advance()? {
        items += 1;
        bytes += item_size(&decode(it.value())?) as u64;
    }
    let counted = Counted { at: Instant::now(), items, bytes };
    g.counts.lock().unwrap_or_else(|e| e.into_inner()).insert(table.meta.keyspace.clone(), counted);
    Ok((items, bytes))
}

/// The `TableDescription` object; `counts` are `(ItemCount, TableSizeBytes)`.
fn description(g: &Gateway, m: &TableMeta, counts: Option<(u64, u64)>) -> Json {
    let (items, bytes) = counts.unwrap_or((0, 0));
    let mut keys = vec![json!({"AttributeName": m.hash.name, "KeyType": "HASH"})];
    if let Some(r) = &m.range {
        keys.push(json!({"AttributeName": r.name, "KeyType": "RANGE"}));
    }
    let defs: Vec<Json> = m
        .attribute_definitions
        .iter()
        .map(|a| json!({"AttributeName": a.name, "AttributeType": a.ty.name()}))
        .collect();
    let mut pt = Map::new();
    pt.insert("NumberOfDecreasesToday".into(), json!(m.throughput.decreases_today));
    pt.insert("ReadCapacityUnits".into(), json!(m.throughput.read));
    pt.insert("WriteCapacityUnits".into(), json!(m.throughput.write));
    if let Some(t) = m.throughput.last_increase {
        pt.insert("LastIncreaseDateTime".into(), json!(t));
    }
    if let Some(t) = m.throughput.last_decrease {
        pt.insert("LastDecreaseDateTime".into(), json!(t));
    }
    let mut d = json!({
        "AttributeDefinitions": defs,
        "TableName": m.name,
        "KeySchema": keys,
        "TableStatus": "ACTIVE",
        "CreationDateTime": m.created,
        "ProvisionedThroughput": Json::Object(pt),
        "TableSizeBytes": bytes,
        "ItemCount": items,
        "TableArn": m.arn(&g.opts.region, &g.opts.account),
        "TableId": m.table_id,
        "DeletionProtectionEnabled": false,
    });
    if let Json::Object(o) = &mut d {
        let mut summary = Map::new();
        summary.insert("BillingMode".into(), json!(m.billing.name()));
        if let Some(t) = m.pay_per_request_since {
            summary.insert("LastUpdateToPayPerRequestDateTime".into(), json!(t));
        }
        o.insert("BillingModeSummary".into(), Json::Object(summary));
        if m.billing == BillingMode::PayPerRequest {
            o.insert(
                "TableThroughputModeSummary".into(),
                json!({"TableThroughputMode": "PAY_PER_REQUEST"}),
            );
        }
    }
    d
}

/// The input of DescribeTable and DeleteTable: a table name, checked.
pub struct TableNameInput<'a> {
    table_name: Str<'a>,
}

impl<'a> Input<'a> for TableNameInput<'a> {
    type Shape = shapes::TableName<'a>;

    fn decode(w: shapes::TableName<'a>) -> DResult<Self> {
        Ok(TableNameInput { table_name: table_name(w.table_name)? })
    }
}

/// A table deleted while a control-plane request counted its items is not found, in the
/// control plane's words.
fn table_gone(e: DynamoError, name: &str) -> DynamoError {
    match e {
        DynamoError::ResourceNotFound(_) => not_found(name),
        e => e,
    }
}

pub fn describe(g: &Gateway, input: TableNameInput) -> DResult<Json> {
    let name: &str = &input.table_name;
    let table = g.catalog.get(name).ok_or_else(|| not_found(name))?;
    let c = counts(g, &table).map_err(|e| table_gone(e, name))?;
    Ok(json!({ "Table": description(g, &table.meta, Some(c)) }))
}

/// ListTables' input, decoded and checked before the handler runs.
pub struct ListTablesInput<'a> {
    exclusive_start_table_name: Option<Str<'a>>,
    limit: usize,
}

impl<'a> Input<'a> for ListTablesInput<'a> {
    type Shape = shapes::ListTables<'a>;

    fn decode(w: shapes::ListTables<'a>) -> DResult<Self> {
        let mut c = Constraints::default();
        let start = w.exclusive_start_table_name.get("ExclusiveStartTableName")?;
        if start.is_some() {
            c.table_name("exclusiveStartTableName", start.as_deref());
        }
        let limit = w.limit.get("Limit")?;
        c.range("limit", limit, 1, LIST_TABLES_LIMIT_MAX);
        c.finish()?;
        let limit = limit.unwrap_or(LIST_TABLES_LIMIT_MAX) as usize;
        Ok(ListTablesInput { exclusive_start_table_name: start, limit })
    }
}

pub fn list(g: &Gateway, input: ListTablesInput) -> DResult<Json> {
    let (names, more) =
        g.catalog.names_after(input.exclusive_start_table_name.as_deref(), input.limit);
    let mut out = json!({ "TableNames": names });
    if more {
        if let (Json::Object(o), Some(last)) = (&mut out, names.last()) {
            o.insert("LastEvaluatedTableName".into(), json!(last));
        }
    }
    Ok(out)
}

/// UpdateTable's input, decoded and checked before the handler runs.
pub struct UpdateTableInput<'a> {
    table_name: Str<'a>,
    billing: Option<BillingMode>,
    /// Provisioned (read, write) capacity.
    throughput: Option<(i64, i64)>,
}

impl<'a> Input<'a> for UpdateTableInput<'a> {
    type Shape = TableDefinition<'a>;

    fn decode(w: TableDefinition<'a>) -> DResult<Self> {
        let TableMembers { name, billing, throughput: pt, .. } =
            table_members(w, |_, _, _| Ok(()))?;
        if billing.is_none() && pt.is_none() {
            return Err(validation("At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required"));
        }
        if let Some((r, w)) = pt {
            check_capacity(r, w)?;
        }
        Ok(UpdateTableInput { table_name: name, billing, throughput: pt })
    }
}

pub fn update(g: &Gateway, input: UpdateTableInput) -> DResult<Json> {
    let UpdateTableInput { table_name: name, billing, throughput: pt } = input;
    let name: &str = &name;
    let now = now_secs();
    let table = g.catalog.update(name, |m| {
        let mode = billing.unwrap_or(m.billing);
        match mode {
            BillingMode::PayPerRequest => {
                if pt.is_some() {
                    return Err(validation("One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST"));
                }
                if m.billing != BillingMode::PayPerRequest {
                    m.pay_per_request_since = Some(now);
                    m.throughput.read = 0;
                    m.throughput.write = 0;
                }
            }
            BillingMode::Provisioned => {
                let Some((r, w)) = pt else {
                    return Err(validation("One or more parameter values were invalid: ProvisionedThroughput must be specified when BillingMode is PROVISIONED"));
                };
                if m.billing == BillingMode::Provisioned && r == m.throughput.read && w == m.throughput.write {
                    return Err(validation(format!(
                        "The provisioned throughput for the table will not change. The requested value equals the current value. Current ReadCapacityUnits provisioned for the table: {}. Requested ReadCapacityUnits: {r}. Current WriteCapacityUnits provisioned for the table: {}. Requested WriteCapacityUnits: {w}. Refer to the Amazon DynamoDB Developer Guide for current limits and how to request higher limits.",
                        m.throughput.read, m.throughput.write
                    )));
                }
                if r > m.throughput.read || w > m.throughput.write {
                    m.throughput.last_increase = Some(now);
                }
                if (r < m.throughput.read || w < m.throughput.write) && m.billing == BillingMode::Provisioned {
                    m.throughput.last_decrease = Some(now);
                    m.throughput.decreases_today += 1;
                }
                m.throughput.read = r;
                m.throughput.write = w;
            }
        }
        m.billing = mode;
        Ok(())
    })?;
    let c = counts(g, &table).map_err(|e| table_gone(e, name))?;
    Ok(json!({ "TableDescription": description(g, &table.meta, Some(c)) }))
}

pub fn delete(g: &Gateway, input: TableNameInput) -> DResult<Json> {
    let name: &str = &input.table_name;
    let table = g.catalog.get(name).ok_or_else(|| not_found(name))?;
    let c = counts(g, &table).map_err(|e| table_gone(e, name))?;
    let table = g.catalog.delete(name)?;
    g.counts.lock().unwrap_or_else(|e| e.into_inner()).remove(&table.meta.keyspace);
    let mut d = description(g, &table.meta, Some(c));
    if let Json::Object(o) = &mut d {
        o.insert("TableStatus".into(), json!("DELETING"));
    }
    Ok(json!({ "TableDescription": d }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dynamodb::ops::GatewayOptions;
    use serde_json::json;
    use shale_engine::fs::MemFs;
    use shale_engine::{Db, Options};
    use std::sync::Arc;

    fn gateway() -> Gateway {
        let opts = Options { fs: Arc::new(MemFs::new()), ..Options::default() };
        let db = Db::open("/t", opts).unwrap();
        Gateway::open(db, GatewayOptions { sync: false, ..GatewayOptions::default() }).unwrap()
    }

    fn create(g: &Gateway, name: &str) {
        g.handle(
            "CreateTable",
            &json!({"TableName": name, "BillingMode": "PAY_PER_REQUEST",
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "N"}]}),
        )
        .unwrap();
    }

    fn put(g: &Gateway, name: &str, i: u64) {
        g.handle("PutItem", &json!({"TableName": name, "Item": {"pk": {"N": i.to_string()}}}))
            .unwrap();
    }

    fn item_count(g: &Gateway, name: &str) -> u64 {
        let d = g.handle("DescribeTable", &json!({"TableName": name})).unwrap();
        d["Table"]["ItemCount"].as_u64().unwrap()
    }

    #[test]
    fn small_tables_are_counted_exactly_large_ones_at_most_once_a_refresh() {
        let g = gateway();
        create(&g, "small");
        put(&g, "small", 1);
        assert_eq!(item_count(&g, "small"), 1);
        put(&g, "small", 2);
        assert_eq!(item_count(&g, "small"), 2);

        create(&g, "large");
        for i in 0..=COUNT_EXACT_ITEMS_MAX {
            put(&g, "large", i);
        }
        let n = COUNT_EXACT_ITEMS_MAX + 1;
        assert_eq!(item_count(&g, "large"), n);
        put(&g, "large", n);
        assert_eq!(item_count(&g, "large"), n, "a large table's count is reused until refreshed");
        // Once the last count is older than the refresh interval, the table is recounted.
        let ks = g.catalog.get("large").unwrap().meta.keyspace.clone();
        if let Some(c) = g.counts.lock().unwrap().get_mut(&ks) {
            c.at -= COUNT_REFRESH;
        }
        assert_eq!(item_count(&g, "large"), n + 1);
        g.handle("DeleteTable", &json!({"TableName": "large"})).unwrap();
        assert!(!g.counts.lock().unwrap().contains_key(&ks));
    }

    #[test]
    fn an_item_request_racing_delete_table_gets_resource_not_found() {
        let g = gateway();
        create(&g, "gone");
        create(&g, "kept");
        // A request took the table, then DeleteTable dropped its keyspace under it.
        let held = g.catalog.get("gone").unwrap();
        g.handle("DeleteTable", &json!({"TableName": "gone"})).unwrap();
        let e = g.db.put(&held.ks, b"k", b"v").unwrap_err();
        assert!(matches!(e, shale_engine::Error::KeyspaceDropped(_)), "{e:?}");
        let settled = crate::dynamodb::error::DynamoError::from(e);
        assert!(matches!(settled, crate::dynamodb::error::DynamoError::ResourceNotFound(_)));
        // Through the operations, too.
        let put = g.handle("PutItem", &json!({"TableName": "gone", "Item": {"pk": {"S": "a"}}}));
        assert!(matches!(put, Err(crate::dynamodb::error::DynamoError::ResourceNotFound(_))));
        // A real internal error of a table that still exists stays one.
        let kept =
            crate::dynamodb::error::DynamoError::from(shale_engine::Error::Corruption("x".into()));
        assert!(matches!(kept, crate::dynamodb::error::DynamoError::Internal(_)));
    }
}
