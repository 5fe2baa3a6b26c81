//! The control plane: CreateTable, DescribeTable, ListTables, UpdateTable, DeleteTable.
//!
//! Tables are ready when CreateTable returns, so they are reported `ACTIVE` at once (DynamoDB
//! reports `CREATING` for a few seconds; waiters accept both). `ItemCount` and `TableSizeBytes`
//! are counted by DescribeTable with a scan of the table: exact for tables of up to
//! [`COUNT_EXACT_ITEMS_MAX`] items, at most [`COUNT_REFRESH`] old for larger ones (DynamoDB
//! refreshes them about every six hours).
//!
//! [`input`] reads the inputs of CreateTable and UpdateTable, [`describe`] builds the
//! `TableDescription`.

mod describe;
mod index_updates;
mod indexes;
mod input;

use crate::dynamodb::access;
use crate::iam::caller::Caller;
pub(crate) use describe::key_schema;
use describe::{counts, description};
pub use describe::{Counted, Counts, COUNT_EXACT_ITEMS_MAX, COUNT_REFRESH};
pub use input::CreateTableInput;
use input::{check_capacity, table_members, TableMembers};

use crate::dynamodb::error::{validation, DResult, DynamoError};
use crate::dynamodb::limits::LIST_TABLES_LIMIT_MAX;
use crate::dynamodb::ops::{now_secs, Gateway, Input};
use crate::dynamodb::request::member::Str;
use crate::dynamodb::request::shapes::{self, TableDefinition};
use crate::dynamodb::request::{table_name, Constraints};
use crate::dynamodb::schema::catalog::not_found;
use crate::dynamodb::schema::index::{IndexKind, IndexMeta, IndexStatus};
use crate::dynamodb::schema::table::{BillingMode, OnDemand, TableMeta, Throughput};
use crate::dynamodb::stream::{self, StreamRef, ViewType};
use index_updates::IndexUpdate;
use serde_json::{json, Value as Json};

pub fn create(g: &Gateway, input: CreateTableInput) -> DResult<Json> {
    let table = make(g, input, None)?;
    Ok(json!({ "TableDescription": description(g, &table.meta, None) }))
}

/// Makes the table CreateTable describes; `importing`: the ImportTable that will fill it.
pub(crate) fn make(
    g: &Gateway,
    input: CreateTableInput,
    importing: Option<String>,
) -> DResult<std::sync::Arc<crate::dynamodb::schema::catalog::Table>> {
    let (name, billing) = (&*input.table_name, input.billing);
    let now = now_secs();
    let (read, write) = input.throughput.unwrap_or((0, 0));
    let new_indexes = input.indexes;
    // A table with local indexes keeps its item collections' sizes.
    let collections = new_indexes.iter().any(|i| i.def.kind == IndexKind::Local);
    let made = (new_indexes.len(), collections, input.stream.is_some());
    let table_arn = g.table_arn(name);
    let (label, created_ms) = unique_label(g, &table_arn, None, stream::now_ms());
    let table =
        g.catalog.create(name, made, |keyspace, index_keyspaces, collections, stream_ks| {
            let indexes = new_indexes
                .into_iter()
                .zip(index_keyspaces)
                .map(|(ix, keyspace)| {
                    let (read, write) = ix.def.throughput.unwrap_or((0, 0));
                    IndexMeta {
                        name: ix.def.name,
                        kind: ix.def.kind,
                        keyspace,
                        hash: ix.hash,
                        range: ix.range,
                        projection: ix.def.projection,
                        status: IndexStatus::Active,
                        throughput: Throughput { read, write, ..Throughput::default() },
                        created: now,
                        backfill: None,
                    }
                })
                .collect();
            TableMeta {
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
                indexes,
                collections,
                stream: input.stream.zip(stream_ks).map(|(view, keyspace)| StreamRef {
                    arn: stream::arn_of(&table_arn, &label),
                    label,
                    view,
                    keyspace,
                    enabled: true,
                }),
                ttl: None,
                on_demand: input.on_demand,
                pitr: None,
                restored: None,
                importing,
                deletion_protection: input.deletion_protection,
                table_class: input.table_class,
                tags: input.tags,
            }
        })?;
    if let Some(r) = &table.meta.stream {
        g.streams.create(&table.meta, r, created_ms)?;
    }
    Ok(table)
}

/// A new table's TableId (a restored table's too).
pub(crate) fn new_table_id(name: &str, now: f64) -> String {
    table_id(name, now)
}

/// A table's `TableDescription`, without counting its items.
pub(crate) fn description_of(g: &Gateway, meta: &TableMeta) -> Json {
    description(g, meta, None)
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

/// The input of DescribeTable and DeleteTable: a table name, checked.
pub struct TableNameInput<'a> {
    table_name: Str<'a>,
}

impl TableNameInput<'_> {
    /// The table's name.
    pub fn name(&self) -> &str {
        &self.table_name
    }
}

impl<'a> Input<'a> for TableNameInput<'a> {
    fn authorize(&self, g: &Gateway, caller: &Caller, action: &'static str) -> DResult<()> {
        access::table(g, caller, action, &self.table_name, |_| {})
    }

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
    fn authorize(&self, g: &Gateway, caller: &Caller, action: &'static str) -> DResult<()> {
        let _ = g;
        access::account_wide(caller, action)
    }

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
    /// `AttributeDefinitions` (for a new index's keys).
    definitions: Vec<(String, String)>,
    index_updates: Vec<IndexUpdate>,
    /// Enable the stream with this view type (`Some(Some(_))`), or disable it (`Some(None)`).
    stream: Option<Option<ViewType>>,
    /// New `OnDemandThroughput` maximums (each -1: none; `None`: unchanged).
    on_demand: Option<(Option<i64>, Option<i64>)>,
    /// `DeletionProtectionEnabled`, when given.
    deletion_protection: Option<bool>,
    /// `TableClass`, when given.
    table_class: Option<String>,
}

impl<'a> Input<'a> for UpdateTableInput<'a> {
    fn authorize(&self, g: &Gateway, caller: &Caller, action: &'static str) -> DResult<()> {
        access::table(g, caller, action, &self.table_name, |_| {})
    }

    type Shape = TableDefinition<'a>;

    fn decode(w: TableDefinition<'a>) -> DResult<Self> {
        use std::mem::take;
        let members = table_members(w, |c, w| {
            let defs = index_updates::read_definitions(take(&mut w.attribute_definitions), c)?;
            let updates = index_updates::read(take(&mut w.global_secondary_index_updates), c)?;
            Ok((defs, updates))
        })?;
        let TableMembers {
            name,
            billing,
            throughput: pt,
            between: (definitions, updates),
            stream,
            on_demand,
            deletion_protection,
            table_class,
        } = members;
        let no_updates = updates.as_ref().is_none_or(Vec::is_empty);
        if billing.is_none()
            && pt.is_none()
            && no_updates
            && stream.is_none()
            && on_demand.is_none()
            && deletion_protection.is_none()
            && table_class.is_none()
        {
            return Err(validation("At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required"));
        }
        let index_updates = match updates {
            Some(u) => index_updates::check(u, pt.is_some())?,
            None => vec![],
        };
        let stream = match stream {
            None => None,
            Some((true, Some(view))) => Some(Some(view)),
            Some((false, None)) => Some(None),
            Some((true, None)) => return Err(validation("One or more parameter values were invalid: If stream is being enabled then UpdateViewType is required")),
            Some((false, Some(_))) => return Err(validation("One or more parameter values were invalid: If stream is being disabled, then UpdateViewType must not be specified")),
        };
        if stream.is_some() && (pt.is_some() || billing == Some(BillingMode::Provisioned)) {
            return Err(validation("One or more parameter values were invalid: You cannot modify stream status while updating table IOPS"));
        }
        if let Some((r, w)) = pt {
            check_capacity(r, w)?;
        }
        for u in &index_updates {
            if let IndexUpdate::Update(_, Some((r, w))) = u {
                check_capacity(*r, *w)?;
            }
        }
        Ok(UpdateTableInput {
            table_name: name,
            billing,
            throughput: pt,
            definitions,
            index_updates,
            stream,
            on_demand,
            deletion_protection,
            table_class,
        })
    }
}

/// Applies a change of billing mode or provisioned throughput to `m`.
fn change_billing(
    m: &mut TableMeta,
    billing: Option<BillingMode>,
    pt: Option<(i64, i64)>,
    updates: &[IndexUpdate],
    now: f64,
    free_decreases: i64,
) -> DResult<()> {
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
                for ix in &mut m.indexes {
                    ix.throughput.read = 0;
                    ix.throughput.write = 0;
                }
            }
        }
        BillingMode::Provisioned => {
            let Some((r, w)) = pt else {
                return Err(validation("One or more parameter values were invalid: ProvisionedThroughput must be specified when BillingMode is PROVISIONED"));
            };
            if m.billing == BillingMode::Provisioned
                && r == m.throughput.read
                && w == m.throughput.write
            {
                return Err(validation(format!(
                    "The provisioned throughput for the table will not change. The requested value equals the current value. Current ReadCapacityUnits provisioned for the table: {}. Requested ReadCapacityUnits: {r}. Current WriteCapacityUnits provisioned for the table: {}. Requested WriteCapacityUnits: {w}. Refer to the Amazon DynamoDB Developer Guide for current limits and how to request higher limits.",
                    m.throughput.read, m.throughput.write
                )));
            }
            if m.billing == BillingMode::PayPerRequest {
                let missing = index_updates::without_throughput(m, updates);
                if !missing.is_empty() {
                    return Err(validation(format!(
                        "One or more parameter values were invalid: ProvisionedThroughput must be specified for index: {}",
                        missing.join(",")
                    )));
                }
            }
            if m.billing == BillingMode::Provisioned {
                index_updates::set_throughput(&mut m.throughput, (r, w), now, free_decreases)?;
            } else {
                // From on-demand: a first setting, not an increase or decrease.
                m.throughput.read = r;
                m.throughput.write = w;
            }
        }
    }
    m.billing = mode;
    Ok(())
}

pub fn update(g: &Gateway, input: UpdateTableInput) -> DResult<Json> {
    let UpdateTableInput {
        table_name: name,
        billing,
        throughput: pt,
        definitions,
        index_updates,
        stream,
        on_demand,
        deletion_protection,
        table_class,
    } = input;
    let name: &str = &name;
    if let Some(t) = g.catalog.get(name) {
        refuse_while_importing(&t.meta)?;
    }
    if let Some(stream) = stream {
        // A stream change stands alone (its own keyspace, its own registry entry), made after
        // the rest of the request; its refusals come first, so a refused request changes
        // nothing.
        let t = g.catalog.get(name).ok_or_else(|| not_found(name))?;
        check_stream_change(&t.meta, stream)?;
        let other = billing.is_some()
            || !index_updates.is_empty()
            || on_demand.is_some()
            || deletion_protection.is_some()
            || table_class.is_some();
        if other {
            update(
                g,
                UpdateTableInput {
                    table_name: Str::Borrowed(name),
                    billing,
                    throughput: pt,
                    definitions,
                    index_updates,
                    stream: None,
                    on_demand,
                    deletion_protection,
                    table_class,
                },
            )?;
        }
        change_stream(g, name, stream)?;
        let table = g.catalog.get(name).ok_or_else(|| not_found(name))?;
        let c = counts(g, &table).map_err(|e| table_gone(e, name))?;
        return Ok(json!({ "TableDescription": description(g, &table.meta, Some(c)) }));
    }
    let now = g.opts.clock.now();
    let free_decreases = g.opts.throughput_decreases_per_day;
    let mut job = None;
    let mut change = |m: &mut TableMeta, keyspace: Option<String>| -> DResult<()> {
        if billing.is_some() || pt.is_some() {
            change_billing(m, billing, pt, &index_updates, now, free_decreases)?;
        }
        if let Some((r, w)) = on_demand {
            if m.billing != BillingMode::PayPerRequest {
                return Err(validation(input::ON_DEMAND_WITH_PROVISIONED));
            }
            let old = m.on_demand.unwrap_or(OnDemand { read: -1, write: -1 });
            let new = OnDemand { read: r.unwrap_or(old.read), write: w.unwrap_or(old.write) };
            m.on_demand = (new.read >= 1 || new.write >= 1).then_some(new);
        }
        if m.billing == BillingMode::Provisioned {
            m.on_demand = None;
        }
        if let Some(on) = deletion_protection {
            m.deletion_protection = on;
        }
        if let Some(class) = &table_class {
            m.table_class = Some(class.clone());
        }
        job = index_updates::apply(m, &index_updates, &definitions, keyspace, now, free_decreases)?;
        Ok(())
    };
    let creates = index_updates.iter().any(|u| matches!(u, IndexUpdate::Create(_)));
    let table = if creates {
        // The table must exist before a keyspace is made for its new index.
        g.catalog.get(name).ok_or_else(|| not_found(name))?;
        g.catalog.add_index(name, |m, ks| change(m, Some(ks)))?
    } else {
        g.catalog.update(name, |m| change(m, None))?
    };
    g.capacity.reconfigure(&table.meta);
    if let Some(index) = &job {
        g.jobs.start(&g.job_context(), name, index);
    }
    let c = counts(g, &table).map_err(|e| table_gone(e, name))?;
    Ok(json!({ "TableDescription": description(g, &table.meta, Some(c)) }))
}

/// Refuses enabling a table's enabled stream, and disabling a stream it does not have.
fn check_stream_change(m: &TableMeta, view: Option<ViewType>) -> DResult<()> {
    let enabled = m.stream.as_ref().is_some_and(|r| r.enabled);
    match (view, enabled) {
        (Some(_), true) => {
            Err(validation(format!("Table already has an enabled stream: TableName: {}", m.name)))
        }
        (None, false) => {
            Err(validation(format!("Table has no stream to disable: TableName: {}", m.name)))
        }
        _ => Ok(()),
    }
}

/// Enables the table's stream with `view`, or disables it (`None`), with DynamoDB's refusals.
fn change_stream(g: &Gateway, name: &str, view: Option<ViewType>) -> DResult<()> {
    let table_arn = g.table_arn(name);
    let Some(view) = view else {
        let mut arn = None;
        g.catalog.update(name, |m| match m.stream.as_mut().filter(|r| r.enabled) {
            Some(r) => {
                r.enabled = false;
                arn = Some(r.arn.clone());
                Ok(())
            }
            None => Err(validation(format!("Table has no stream to disable: TableName: {name}"))),
        })?;
        return match arn {
            Some(arn) => g.streams.disable(&arn),
            None => Ok(()),
        };
    };
    g.catalog.get(name).ok_or_else(|| not_found(name))?;
    let mut ms = stream::now_ms();
    let mut registered = None;
    let added = g.catalog.add_keyspace(name, stream::registry::STREAM_KEYSPACE_PREFIX, |m, ks| {
        if m.stream.as_ref().is_some_and(|r| r.enabled) {
            return Err(validation(format!(
                "Table already has an enabled stream: TableName: {name}"
            )));
        }
        let (label, at) = unique_label(g, &table_arn, m.stream.as_ref(), ms);
        ms = at;
        let arn = stream::arn_of(&table_arn, &label);
        let r = StreamRef { arn, label, view, keyspace: ks, enabled: true };
        // Registered before the table names it: a write that sees the stream finds it.
        g.streams.create(m, &r, ms)?;
        registered = Some(r.arn.clone());
        m.stream = Some(r);
        Ok(())
    });
    if let Err(e) = added {
        if let Some(arn) = registered {
            g.streams.forget(&arn)?;
        }
        return Err(e);
    }
    // A write that read the table before the stream was on may still be in flight: the stream
    // is on when UpdateTable returns, so wait for it.
    barrier(g);
    Ok(())
}

/// Waits until no item write that began before now is in flight: every stripe held once.
fn barrier(g: &Gateway) {
    drop(g.locks.lock((0..crate::dynamodb::write::locks::STRIPES).collect()));
}

/// A stream label for a table whose ARN is `table_arn` from `ms` on (moved later by a
/// millisecond at a time): a stream's ARN names it for good, so a new one never takes the
/// label of one still known (`previous`: the table's latest).
fn unique_label(
    g: &Gateway,
    table_arn: &str,
    previous: Option<&StreamRef>,
    mut ms: u64,
) -> (String, u64) {
    let mut label = stream::label_of(ms);
    while g.streams.exists(&stream::arn_of(table_arn, &label))
        || previous.is_some_and(|r| r.label == label)
    {
        ms += 1;
        label = stream::label_of(ms);
    }
    (label, ms)
}

/// A table being imported into cannot be changed or deleted until the import ends.
pub(crate) fn refuse_while_importing(m: &TableMeta) -> DResult<()> {
    match &m.importing {
        Some(_) => Err(DynamoError::ResourceInUse(format!(
            "Attempt to change a resource which is still in use: Table is being created by an \
             import: {}",
            m.name
        ))),
        None => Ok(()),
    }
}

pub fn delete(g: &Gateway, input: TableNameInput) -> DResult<Json> {
    let name: &str = &input.table_name;
    let table = g.catalog.get(name).ok_or_else(|| not_found(name))?;
    refuse_while_importing(&table.meta)?;
    // DynamoDB answers a ValidationException here (the code AWS's clients check for, e.g.
    // aws-nuke's DynamoDB table remover).
    if table.meta.deletion_protection {
        return Err(validation(
            "Resource cannot be deleted as it is currently protected against deletion. Disable \
             deletion protection first.",
        ));
    }
    let c = counts(g, &table).map_err(|e| table_gone(e, name))?;
    let deleting = crate::dynamodb::ops::pitr_deleted::deleting_at(g);
    let table = g.catalog.delete(name)?;
    // Its recovery window stays restorable for its period (and the archive keeps it).
    crate::dynamodb::ops::pitr_deleted::note(g, &table.meta, deleting)?;
    crate::dynamodb::ops::pitr::sync_retention(g)?;
    if let Some(r) = table.meta.stream.as_ref().filter(|r| r.enabled) {
        g.streams.disable(&r.arn)?;
    }
    let mut cached = g.counts.lock().unwrap_or_else(|e| e.into_inner());
    cached.remove(&table.meta.keyspace);
    for ix in &table.meta.indexes {
        cached.remove(&ix.keyspace);
    }
    drop(cached);
    g.capacity.forget(&table.meta.keyspace);
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
