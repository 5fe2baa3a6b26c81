//! GetItem, PutItem, UpdateItem and DeleteItem.

use crate::dynamodb::capacity::{read_units, write_units, Consumed, Mode};
use crate::dynamodb::error::{validation, DResult};
use crate::dynamodb::expr::path::{projection, Path};
use crate::dynamodb::model::value::{item_size, item_to_json, Item};
use crate::dynamodb::ops::params::{Expressions, Parsed};
use crate::dynamodb::ops::Gateway;
use crate::dynamodb::request::{return_old_on_failure, Constraints, Req, ReturnValues};
use crate::dynamodb::write::{check_item_size, execute_one, Action, WriteOp};
use serde_json::{Map, Value as Json};

/// Reads a required attribute map (`Key`, `Item`); `at` is its name in constraint messages.
pub(crate) fn required_item(req: Req, name: &str, at: &str) -> DResult<Item> {
    let item = req.item(name)?;
    let mut c = Constraints::default();
    c.not_null(at, item.as_ref());
    c.finish()?;
    Ok(item.unwrap_or_default())
}

fn respond(fields: Vec<(&str, Option<Json>)>) -> Json {
    let mut m = Map::new();
    for (k, v) in fields {
        if let Some(v) = v {
            m.insert(k.to_string(), v);
        }
    }
    Json::Object(m)
}

pub fn get(g: &Gateway, req: Req) -> DResult<Json> {
    let name = req.table_name()?;
    let key = required_item(req, "Key", "key")?;
    let consistent = req.bool("ConsistentRead")?.unwrap_or(false);
    let mode = Mode::read(req)?;
    let ex = Expressions::read(req, &["ProjectionExpression"], &["AttributesToGet"])?;
    let Parsed { projection: paths, .. } = ex.parse()?;
    let table = g.table(name)?;
    let k = table.meta.key_of_key(&key)?;
    let item = g.read_item(&table.ks, &k)?;
    let size = item.as_ref().map_or(0, item_size);
    let item = match (item, &paths) {
        (Some(i), Some(p)) => Some(projection(&i, p)),
        (i, _) => i,
    };
    Ok(respond(vec![
        ("Item", item.as_ref().map(item_to_json)),
        ("ConsumedCapacity", Consumed::reads(read_units(size, consistent)).to_json(name, mode)),
    ]))
}

pub fn put(g: &Gateway, req: Req) -> DResult<Json> {
    let name = req.table_name()?;
    let item = required_item(req, "Item", "item")?;
    let rv = ReturnValues::read(req, &["NONE", "ALL_OLD"])?;
    let return_old = return_old_on_failure(req)?;
    let mode = Mode::read(req)?;
    let ex = Expressions::read(req, &["ConditionExpression"], &["Expected"])?;
    let parsed = ex.parse()?;
    check_item_size(&item)?;
    let table = g.table(name)?;
    let key = table.meta.key_of_item(&item)?;
    let key_item = table.meta.key_attrs(&item);
    let op = WriteOp {
        table: table.clone(),
        key,
        key_item,
        condition: parsed.condition,
        action: Action::Put(item),
    };
    run_write(g, op, return_old, rv, &[], name, mode)
}

pub fn delete(g: &Gateway, req: Req) -> DResult<Json> {
    let name = req.table_name()?;
    let key = required_item(req, "Key", "key")?;
    let rv = ReturnValues::read(req, &["NONE", "ALL_OLD"])?;
    let return_old = return_old_on_failure(req)?;
    let mode = Mode::read(req)?;
    let ex = Expressions::read(req, &["ConditionExpression"], &["Expected"])?;
    let parsed = ex.parse()?;
    let table = g.table(name)?;
    let k = table.meta.key_of_key(&key)?;
    let op = WriteOp {
        table: table.clone(),
        key: k,
        key_item: key,
        condition: parsed.condition,
        action: Action::Delete,
    };
    run_write(g, op, return_old, rv, &[], name, mode)
}

/// Runs one item write and answers with the attributes `rv` asks for (`paths`: what an update
/// wrote, for UPDATED_OLD and UPDATED_NEW) and the consumed capacity.
fn run_write(
    g: &Gateway,
    op: WriteOp,
    return_old: bool,
    rv: ReturnValues,
    paths: &[Path],
    table: &str,
    mode: Mode,
) -> DResult<Json> {
    let out = execute_one(g, op, return_old)?;
    let updated = |i: &Item| {
        let part = projection(i, paths);
        (!part.is_empty()).then(|| item_to_json(&part))
    };
    let attributes = match rv {
        ReturnValues::None => None,
        ReturnValues::AllOld => out.old.as_ref().map(item_to_json),
        ReturnValues::AllNew => out.new.as_ref().map(item_to_json),
        ReturnValues::UpdatedOld => out.old.as_ref().and_then(updated),
        ReturnValues::UpdatedNew => out.new.as_ref().and_then(updated),
    };
    Ok(respond(vec![
        ("Attributes", attributes),
        (
            "ConsumedCapacity",
            Consumed::writes(write_units(out.charged_bytes())).to_json(table, mode),
        ),
    ]))
}

/// DynamoDB refuses updates of key attributes.
pub(crate) fn check_update_keys(
    meta: &crate::dynamodb::schema::table::TableMeta,
    update: Option<&crate::dynamodb::expr::Update>,
) -> DResult<()> {
    let Some(u) = update else { return Ok(()) };
    for p in u.paths() {
        if let Some(crate::dynamodb::expr::path::Step::Attr(a)) = p.0.first() {
            if meta.is_key_attr(a) {
                return Err(validation(format!(
                    "One or more parameter values were invalid: Cannot update attribute {a}. This attribute is part of the key"
                )));
            }
        }
    }
    Ok(())
}

pub fn update(g: &Gateway, req: Req) -> DResult<Json> {
    let name = req.table_name()?;
    let key = required_item(req, "Key", "key")?;
    let rv =
        ReturnValues::read(req, &["NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"])?;
    let return_old = return_old_on_failure(req)?;
    let mode = Mode::read(req)?;
    let ex = Expressions::read(
        req,
        &["UpdateExpression", "ConditionExpression"],
        &["AttributeUpdates", "Expected"],
    )?;
    let parsed = ex.parse()?;
    let table = g.table(name)?;
    let k = table.meta.key_of_key(&key)?;
    check_update_keys(&table.meta, parsed.update.as_ref())?;
    let paths: Vec<Path> = parsed
        .update
        .as_ref()
        .map(|u| u.paths().into_iter().cloned().collect())
        .unwrap_or_default();
    let op = WriteOp {
        table: table.clone(),
        key: k,
        key_item: key,
        condition: parsed.condition,
        action: Action::Update(parsed.update),
    };
    run_write(g, op, return_old, rv, &paths, name, mode)
}
