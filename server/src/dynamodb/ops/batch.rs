//! BatchGetItem (≤ 100 keys) and BatchWriteItem (≤ 25 puts and deletes), across tables.
//!
//! BatchWriteItem applies all of its requests in one atomic engine batch, so `UnprocessedItems`
//! is always empty. BatchGetItem stops reading once the response reaches 16 MB and returns the
//! remaining keys as `UnprocessedKeys`, as DynamoDB does.

use crate::dynamodb::access;
use crate::dynamodb::capacity::throttle::Kind;
use crate::dynamodb::capacity::{read_units, write_units, Consumed, Mode, PerTable};
use crate::dynamodb::error::{validation, DResult, DynamoError};
use crate::dynamodb::expr::path::{projection, Path};
use crate::dynamodb::limits::{BATCH_GET_BYTES_MAX, BATCH_GET_KEYS_MAX, BATCH_WRITE_REQUESTS_MAX};
use crate::dynamodb::model::value::decode::Text;
use crate::dynamodb::model::value::{item_size, item_to_json, Item};
use crate::dynamodb::ops::items::required_item;
use crate::dynamodb::ops::params::read_projection;
use crate::dynamodb::ops::{Gateway, Input};
use crate::dynamodb::request::member::{Map as Members, Member, Str};
use crate::dynamodb::request::shapes::{BatchGetItem, BatchWriteItem, KeysAndAttributes};
use crate::dynamodb::request::{return_collection_metrics, Constraints};
use crate::dynamodb::schema::table::KeyError;
use crate::dynamodb::write::collections::per_table_json;
use crate::dynamodb::write::{check_item_size, execute, Action, Gate, Outcome, Refusal, WriteOp};
use crate::iam::caller::Caller;
use serde_json::{json, Map, Value as Json};
use std::collections::BTreeSet;

/// `RequestItems`, checked: table names to each table's requests.
fn request_items<'a, T>(items: Member<Members<'a, T>>) -> DResult<Members<'a, T>> {
    let items = items.get("RequestItems")?;
    let mut c = Constraints::default();
    c.not_null("requestItems", items.as_ref());
    if let Some(m) = &items {
        if m.is_empty() {
            c.add("'{}'", "requestItems", "Member must have length greater than or equal to 1");
        }
        for name in m.keys() {
            c.table_name("requestItems.key", Some(&name.0));
        }
    }
    c.finish()?;
    items.ok_or_else(|| validation("RequestItems is required"))
}

fn duplicates() -> DynamoError {
    validation("Provided list of item keys contains duplicates")
}

/// One table's part of a BatchGetItem.
struct GetTable<'a> {
    name: Str<'a>,
    consistent_read: bool,
    projection: Option<Vec<Path>>,
    keys: Vec<Item>,
    /// The table's request without its keys, for `UnprocessedKeys`.
    spec: Map<String, Json>,
}

/// A table's request as JSON without its keys (`UnprocessedKeys` gives it back with the keys
/// left unread, in their normalized form): the members it takes that were given.
fn unprocessed_spec(t: &KeysAndAttributes) -> Map<String, Json> {
    let mut spec = Map::new();
    if let Member::Present(c) = t.consistent_read {
        spec.insert("ConsistentRead".into(), Json::Bool(c));
    }
    if let Some(p) = t.projection_expression.as_str() {
        spec.insert("ProjectionExpression".into(), Json::String(p.into()));
    }
    if let Member::Present(names) = &t.expression_attribute_names {
        let names = names.iter().filter_map(|(k, v)| Some((k.0.to_string(), v.as_str()?.into())));
        spec.insert("ExpressionAttributeNames".into(), Json::Object(names.collect()));
    }
    if let Member::Present(a) = &t.attributes_to_get {
        spec.insert("AttributesToGet".into(), a.clone());
    }
    if let Member::Present(a) = &t.conditional_operator {
        spec.insert("ConditionalOperator".into(), a.clone());
    }
    spec
}

/// BatchGetItem's input, decoded and checked before the handler runs (the keys against their
/// tables' schemas once the tables are found).
pub struct BatchGetItemInput<'a> {
    tables: Vec<GetTable<'a>>,
    return_consumed_capacity: Mode,
}

impl<'a> Input<'a> for BatchGetItemInput<'a> {
    fn tables(&self) -> Vec<&str> {
        self.tables.iter().map(|t| &*t.name).collect()
    }

    fn authorize(&self, g: &Gateway, caller: &Caller, action: &'static str) -> DResult<()> {
        for t in &self.tables {
            let mut k = access::Keys {
                return_consumed_capacity: Some(access::mode_name(self.return_consumed_capacity)),
                ..access::Keys::default()
            };
            for key in &t.keys {
                k.lead(g, &t.name, key);
            }
            k.projection(t.projection.as_deref());
            access::table_with(g, caller, action, &t.name, k)?;
        }
        Ok(())
    }

    type Shape = BatchGetItem<'a>;

    fn decode(w: BatchGetItem<'a>) -> DResult<Self> {
        let items = request_items(w.request_items)?;
        let return_consumed_capacity = Mode::read(w.return_consumed_capacity)?;
        let keys_of = |t: &Member<KeysAndAttributes>| match t {
            Member::Present(t) => match &t.keys {
                Member::Present(k) => k.len(),
                _ => 0,
            },
            _ => 0,
        };
        for (name, t) in &items {
            if keys_of(t) > BATCH_GET_KEYS_MAX {
                return Err(validation(format!(
                    "1 validation error detected: Value '[...]' at 'requestItems.{}.member.keys' failed to satisfy constraint: Member must have length less than or equal to {BATCH_GET_KEYS_MAX}",
                    name.0
                )));
            }
        }
        let total: usize = items.values().map(keys_of).sum();
        if total > BATCH_GET_KEYS_MAX {
            return Err(validation("Too many items requested for the BatchGetItem call"));
        }
        let mut tables = Vec::new();
        for (Text(name), t) in items {
            let Member::Present(t) = t else {
                return Err(DynamoError::Serialization(
                    "RequestItems values must be structures".into(),
                ));
            };
            let spec = unprocessed_spec(&t);
            let keys = t.keys.get("Keys")?;
            let mut c = Constraints::default();
            c.not_null(&format!("requestItems.{name}.member.keys"), keys.as_ref());
            if keys.as_ref().is_some_and(Vec::is_empty) {
                c.add(
                    "'[]'",
                    &format!("requestItems.{name}.member.keys"),
                    "Member must have length greater than or equal to 1",
                );
            }
            c.finish()?;
            let consistent_read = t.consistent_read.get("ConsistentRead")?.unwrap_or(false);
            let projection = read_projection(
                t.expression_attribute_names,
                t.expression_attribute_values,
                t.projection_expression,
                t.attributes_to_get,
                t.conditional_operator,
            )?;
            let keys = keys
                .into_iter()
                .flatten()
                .map(|k| match k {
                    Member::Present(k) => Ok(k?),
                    _ => Err(validation("An item must be a map of attribute names to values")),
                })
                .collect::<DResult<Vec<_>>>()?;
            tables.push(GetTable { name, consistent_read, projection, keys, spec });
        }
        Ok(BatchGetItemInput { tables, return_consumed_capacity })
    }
}

pub fn get(g: &Gateway, input: BatchGetItemInput) -> DResult<Json> {
    let mode = input.return_consumed_capacity;
    // Check every key against its table before reading anything.
    let mut plans = Vec::new();
    for t in input.tables {
        let table = g.table(&t.name)?;
        let mut seen = BTreeSet::new();
        let mut ks = Vec::new();
        for key_item in t.keys {
            let key = table.meta.key_of_key(&key_item)?;
            if !seen.insert(key.clone()) {
                return Err(duplicates());
            }
            ks.push((key, key_item));
        }
        plans.push((t.name.into_owned(), table, t.consistent_read, t.projection, ks, t.spec));
    }
    let mut responses = Map::new();
    let mut unprocessed = Map::new();
    let mut consumed = PerTable::default();
    let mut bytes = 0usize;
    // The keys each table's read capacity admits now (the rest are left unprocessed); when
    // none of any table is, the request is throttled as a whole, as DynamoDB throttles it.
    let mut admitted = Vec::with_capacity(plans.len());
    for (_, table, consistent, _, keys, _) in &plans {
        let estimate = read_units(0, *consistent);
        admitted.push(g.capacity.admit_batch(&table.meta, Kind::Read, &vec![estimate; keys.len()]));
    }
    if admitted.iter().all(|&n| n == 0) {
        if let Some((_, table, ..)) = plans.iter().find(|p| !p.4.is_empty()) {
            return Err(g.capacity.throttled(&table.meta, Kind::Read).to_error());
        }
    }
    for ((name, table, consistent, paths, mut keys, spec), admitted) in
        plans.into_iter().zip(admitted)
    {
        let mut found = Vec::new();
        let mut left: Vec<Json> =
            keys.split_off(admitted.min(keys.len())).iter().map(|(_, k)| item_to_json(k)).collect();
        let refs: Vec<&[u8]> = keys.iter().map(|(k, _)| k.as_slice()).collect();
        let items = g.read_items(&table.ks, &refs)?;
        let mut table_consumed = Consumed::default();
        for ((_, key_item), item) in keys.into_iter().zip(items) {
            if bytes >= BATCH_GET_BYTES_MAX {
                left.push(item_to_json(&key_item));
                continue;
            }
            let size = item.as_ref().map_or(0, item_size);
            table_consumed.add(&Consumed::reads(read_units(size, consistent)));
            if let Some(item) = item {
                bytes += size;
                found.push(match &paths {
                    Some(p) => item_to_json(&projection(&item, p)),
                    None => item_to_json(&item),
                });
            }
        }
        g.charge_read(&table, &table_consumed);
        consumed.add(&name, &table_consumed);
        responses.insert(name.clone(), Json::Array(found));
        if !left.is_empty() {
            let mut s = spec;
            s.insert("Keys".into(), Json::Array(left));
            unprocessed.insert(name, Json::Object(s));
        }
    }
    let mut out = json!({"Responses": responses, "UnprocessedKeys": unprocessed});
    if let (Json::Object(o), Some(c)) = (&mut out, consumed.to_json(mode)) {
        o.insert("ConsumedCapacity".into(), c);
    }
    Ok(out)
}

/// One request of a BatchWriteItem, decoded.
enum WriteRequest {
    Put(Item),
    Delete(Item),
}

/// BatchWriteItem's input, decoded and checked before the handler runs (the keys against their
/// tables' schemas once the tables are found).
pub struct BatchWriteItemInput<'a> {
    tables: Vec<(Str<'a>, Vec<WriteRequest>)>,
    return_consumed_capacity: Mode,
    /// `ReturnItemCollectionMetrics: SIZE`.
    return_collection_metrics: bool,
}

impl<'a> Input<'a> for BatchWriteItemInput<'a> {
    fn tables(&self) -> Vec<&str> {
        self.tables.iter().map(|(n, _)| &**n).collect()
    }

    fn authorize(&self, g: &Gateway, caller: &Caller, action: &'static str) -> DResult<()> {
        for (t, requests) in &self.tables {
            let mut k = access::Keys {
                return_consumed_capacity: Some(access::mode_name(self.return_consumed_capacity)),
                ..access::Keys::default()
            };
            for r in requests {
                let (WriteRequest::Put(item) | WriteRequest::Delete(item)) = r;
                k.lead(g, t, item);
                k.names(item.keys().map(String::as_str));
            }
            access::table_with(g, caller, action, t, k)?;
        }
        Ok(())
    }

    type Shape = BatchWriteItem<'a>;

    fn decode(w: BatchWriteItem<'a>) -> DResult<Self> {
        let items = request_items(w.request_items)?;
        let return_consumed_capacity = Mode::read(w.return_consumed_capacity)?;
        let return_collection_metrics =
            return_collection_metrics(w.return_item_collection_metrics)?;
        let len = |list: &Member<Vec<_>>| list.as_ref().present().map_or(0, Vec::len);
        for (name, list) in &items {
            let n = len(list);
            if n == 0 || n > BATCH_WRITE_REQUESTS_MAX {
                let shown = if n == 0 { "[]" } else { "[...]" };
                return Err(validation(format!(
                    "1 validation error detected: Value '{{{}={shown}}}' at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to {BATCH_WRITE_REQUESTS_MAX}, Member must have length greater than or equal to 1]",
                    name.0
                )));
            }
        }
        let total: usize = items.values().map(len).sum();
        if total > BATCH_WRITE_REQUESTS_MAX {
            return Err(validation("Too many items requested for the BatchWriteItem call"));
        }
        let mut tables = Vec::new();
        for (Text(name), list) in items {
            let Member::Present(list) = list else {
                return Err(DynamoError::Serialization("RequestItems values must be lists".into()));
            };
            let mut requests = Vec::with_capacity(list.len());
            for r in list {
                let Member::Present(r) = r else {
                    return Err(DynamoError::Serialization(
                        "WriteRequest must be a structure".into(),
                    ));
                };
                let put = r.put_request.get("PutRequest")?;
                let del = r.delete_request.get("DeleteRequest")?;
                requests.push(match (put, del) {
                    (Some(p), None) => {
                        let item = required_item(
                            p.item,
                            "Item",
                            &format!("requestItems.{name}.member.putRequest.item"),
                        )?;
                        check_item_size(&item)?;
                        WriteRequest::Put(item)
                    }
                    (None, Some(d)) => WriteRequest::Delete(required_item(
                        d.key,
                        "Key",
                        &format!("requestItems.{name}.member.deleteRequest.key"),
                    )?),
                    _ => {
                        return Err(validation(
                            "A WriteRequest must contain exactly one of PutRequest or DeleteRequest",
                        ));
                    }
                });
            }
            tables.push((name, requests));
        }
        Ok(BatchWriteItemInput { tables, return_consumed_capacity, return_collection_metrics })
    }
}

pub fn write(g: &Gateway, input: BatchWriteItemInput) -> DResult<Json> {
    let mode = input.return_consumed_capacity;
    let total = input.tables.iter().map(|(_, r)| r.len()).sum();
    let mut ops = Vec::with_capacity(total);
    let mut seen = BTreeSet::new();
    for (name, requests) in input.tables {
        let table = g.table(&name)?;
        for r in requests {
            let op = match r {
                WriteRequest::Put(item) => {
                    // BatchWriteItem words every schema mismatch of a put as a key mismatch.
                    let key = table.meta.key_of_item(&item).map_err(|e| match e {
                        KeyError::Schema(_) => {
                            validation("The provided key element does not match the schema")
                        }
                        e => e.into(),
                    })?;
                    let key_item = table.meta.key_attrs(&item);
                    WriteOp {
                        table: table.clone(),
                        key,
                        key_item,
                        condition: None,
                        action: Action::Put(item),
                    }
                }
                WriteRequest::Delete(key_item) => {
                    let key = table.meta.key_of_key(&key_item)?;
                    WriteOp {
                        table: table.clone(),
                        key,
                        key_item,
                        condition: None,
                        action: Action::Delete,
                    }
                }
            };
            if !seen.insert((table.meta.keyspace.clone(), op.key.clone())) {
                return Err(duplicates());
            }
            ops.push(op);
        }
    }
    let (ops, unprocessed) = admit_writes(g, ops)?;
    let outcomes: Vec<Outcome> = match execute(g, &ops, Gate::Take)? {
        Ok(o) => o,
        // Unconditional: only a new item an index cannot hold is refused, and fails the batch.
        Err(refusals) => {
            return Err(match refusals.into_iter().flatten().next() {
                Some(Refusal::Invalid(e)) => e,
                Some(Refusal::Throttled(t)) => t.to_error(),
                _ => DynamoError::Internal("an unconditional batch was refused".into()),
            })
        }
    };
    let mut consumed = PerTable::default();
    for (op, out) in ops.iter().zip(&outcomes) {
        consumed.add(&op.table.meta.name, &out.consumed());
    }
    let mut out = json!({ "UnprocessedItems": unprocessed });
    if let (Json::Object(o), Some(c)) = (&mut out, consumed.to_json(mode)) {
        o.insert("ConsumedCapacity".into(), c);
    }
    let metrics = per_table_json(&ops, &outcomes).filter(|_| input.return_collection_metrics);
    if let (Json::Object(o), Some(m)) = (&mut out, metrics) {
        o.insert("ItemCollectionMetrics".into(), m);
    }
    Ok(out)
}

/// Splits a batch's writes into those their tables' write capacity admits now and the rest,
/// which are answered as `UnprocessedItems` (per table, in request form); when none is
/// admitted, the request is throttled as a whole.
fn admit_writes(g: &Gateway, ops: Vec<WriteOp>) -> DResult<(Vec<WriteOp>, Map<String, Json>)> {
    // Each table's ops, in request order.
    let mut tables: Vec<(String, Vec<WriteOp>)> = Vec::new();
    for op in ops {
        match tables.iter_mut().find(|(n, _)| n == &op.table.meta.name) {
            Some((_, v)) => v.push(op),
            None => tables.push((op.table.meta.name.clone(), vec![op])),
        }
    }
    let mut run = Vec::new();
    let mut unprocessed = Map::new();
    let mut first_throttled = None;
    for (name, mut table_ops) in tables {
        let estimates: Vec<f64> = table_ops
            .iter()
            .map(|op| match &op.action {
                Action::Put(item) => write_units(item_size(item)),
                _ => write_units(0),
            })
            .collect();
        let Some(meta) = table_ops.first().map(|op| op.table.meta.clone()) else { continue };
        let admitted = g.capacity.admit_batch(&meta, Kind::Write, &estimates);
        let left = table_ops.split_off(admitted.min(table_ops.len()));
        if !left.is_empty() {
            first_throttled.get_or_insert_with(|| g.capacity.throttled(&meta, Kind::Write));
            let requests: Vec<Json> = left
                .iter()
                .map(|op| match &op.action {
                    Action::Put(item) => json!({"PutRequest": {"Item": item_to_json(item)}}),
                    _ => json!({"DeleteRequest": {"Key": item_to_json(&op.key_item)}}),
                })
                .collect();
            unprocessed.insert(name, Json::Array(requests));
        }
        run.extend(table_ops);
    }
    match first_throttled {
        Some(t) if run.is_empty() => Err(t.to_error()),
        _ => Ok((run, unprocessed)),
    }
}
