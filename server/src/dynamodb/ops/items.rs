//! GetItem, PutItem, UpdateItem and DeleteItem.

use crate::dynamodb::capacity::{read_units, write_units, Consumed, Mode};
use crate::dynamodb::error::{validation, DResult};
use crate::dynamodb::expr::path::{projection, Path};
use crate::dynamodb::expr::{Condition, Update};
use crate::dynamodb::model::value::{item_size, item_to_json, Item};
use crate::dynamodb::ops::params::{Expressions, Parsed};
use crate::dynamodb::ops::Gateway;
use crate::dynamodb::ops::Input;
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

/// GetItem's input, decoded and checked before the handler runs.
pub struct GetItemInput<'a> {
    pub table_name: &'a str,
    pub key: Item,
    pub consistent_read: bool,
    pub return_consumed_capacity: Mode,
    pub projection: Option<Vec<Path>>,
}

impl<'a> Input<'a> for GetItemInput<'a> {
    fn decode(req: Req<'a>) -> DResult<Self> {
        let table_name = req.table_name()?;
        let key = required_item(req, "Key", "key")?;
        let consistent_read = req.bool("ConsistentRead")?.unwrap_or(false);
        let return_consumed_capacity = Mode::read(req)?;
        let ex = Expressions::read(req, &["ProjectionExpression"], &["AttributesToGet"])?;
        let Parsed { projection, .. } = ex.parse()?;
        Ok(GetItemInput { table_name, key, consistent_read, return_consumed_capacity, projection })
    }
}

pub fn get(g: &Gateway, input: GetItemInput) -> DResult<Json> {
    let GetItemInput {
        table_name: name,
        key,
        consistent_read,
        return_consumed_capacity,
        projection: paths,
    } = input;
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
        (
            "ConsumedCapacity",
            Consumed::reads(read_units(size, consistent_read))
                .to_json(name, return_consumed_capacity),
        ),
    ]))
}

/// What PutItem, UpdateItem and DeleteItem take, decoded and checked (in DynamoDB's order)
/// before the handler runs.
pub struct ItemWriteInput<'a> {
    pub table_name: &'a str,
    /// The item (PutItem) or its key (UpdateItem, DeleteItem).
    pub item: Item,
    pub return_values: ReturnValues,
    pub return_old_on_failure: bool,
    pub return_consumed_capacity: Mode,
    pub condition: Option<Condition>,
    pub update: Option<Update>,
}

impl<'a> ItemWriteInput<'a> {
    /// Decodes a single-item write: the item parameter `(name, at)` (`at`: its name in
    /// constraint messages), the `ReturnValues` it allows, its expression and legacy
    /// parameters.
    fn decode(
        req: Req<'a>,
        (name, at): (&str, &str),
        return_values: &[&str],
        (exprs, legacy): (&[&'static str], &[&'static str]),
    ) -> DResult<Self> {
        let table_name = req.table_name()?;
        let item = required_item(req, name, at)?;
        let return_values = ReturnValues::read(req, return_values)?;
        let return_old_on_failure = return_old_on_failure(req)?;
        let return_consumed_capacity = Mode::read(req)?;
        let parsed = Expressions::read(req, exprs, legacy)?.parse()?;
        Ok(ItemWriteInput {
            table_name,
            item,
            return_values,
            return_old_on_failure,
            return_consumed_capacity,
            condition: parsed.condition,
            update: parsed.update,
        })
    }

    /// How the write answers (borrowing the request and `paths`, not the input).
    fn answer<'p>(&self, paths: &'p [Path]) -> Answer<'p>
    where
        'a: 'p,
    {
        Answer {
            return_old: self.return_old_on_failure,
            rv: self.return_values,
            paths,
            table: self.table_name,
            mode: self.return_consumed_capacity,
        }
    }
}

/// PutItem's input.
pub struct PutItemInput<'a>(ItemWriteInput<'a>);

impl<'a> Input<'a> for PutItemInput<'a> {
    fn decode(req: Req<'a>) -> DResult<Self> {
        let exprs = (&["ConditionExpression"][..], &["Expected"][..]);
        let input = ItemWriteInput::decode(req, ("Item", "item"), &["NONE", "ALL_OLD"], exprs)?;
        check_item_size(&input.item)?;
        Ok(PutItemInput(input))
    }
}

pub fn put(g: &Gateway, PutItemInput(input): PutItemInput) -> DResult<Json> {
    let table = g.table(input.table_name)?;
    let key = table.meta.key_of_item(&input.item)?;
    let key_item = table.meta.key_attrs(&input.item);
    let answer = input.answer(&[]);
    let op = WriteOp {
        table: table.clone(),
        key,
        key_item,
        condition: input.condition,
        action: Action::Put(input.item),
    };
    run_write(g, op, answer)
}

/// DeleteItem's input.
pub struct DeleteItemInput<'a>(ItemWriteInput<'a>);

impl<'a> Input<'a> for DeleteItemInput<'a> {
    fn decode(req: Req<'a>) -> DResult<Self> {
        let exprs = (&["ConditionExpression"][..], &["Expected"][..]);
        ItemWriteInput::decode(req, ("Key", "key"), &["NONE", "ALL_OLD"], exprs)
            .map(DeleteItemInput)
    }
}

pub fn delete(g: &Gateway, DeleteItemInput(input): DeleteItemInput) -> DResult<Json> {
    let table = g.table(input.table_name)?;
    let k = table.meta.key_of_key(&input.item)?;
    let answer = input.answer(&[]);
    let op = WriteOp {
        table: table.clone(),
        key: k,
        key_item: input.item,
        condition: input.condition,
        action: Action::Delete,
    };
    run_write(g, op, answer)
}

/// How a write answers: the attributes `rv` asks for (`paths`: what an update wrote, for
/// UPDATED_OLD and UPDATED_NEW) and the consumed capacity.
struct Answer<'p> {
    return_old: bool,
    rv: ReturnValues,
    paths: &'p [Path],
    table: &'p str,
    mode: Mode,
}

/// Runs one item write and answers as `answer` says.
fn run_write(g: &Gateway, op: WriteOp, answer: Answer) -> DResult<Json> {
    let Answer { return_old, rv, paths, table, mode } = answer;
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

/// UpdateItem's input.
pub struct UpdateItemInput<'a>(ItemWriteInput<'a>);

impl<'a> Input<'a> for UpdateItemInput<'a> {
    fn decode(req: Req<'a>) -> DResult<Self> {
        let return_values = ["NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"];
        let exprs = (
            &["UpdateExpression", "ConditionExpression"][..],
            &["AttributeUpdates", "Expected"][..],
        );
        ItemWriteInput::decode(req, ("Key", "key"), &return_values, exprs).map(UpdateItemInput)
    }
}

pub fn update(g: &Gateway, UpdateItemInput(input): UpdateItemInput) -> DResult<Json> {
    let table = g.table(input.table_name)?;
    let k = table.meta.key_of_key(&input.item)?;
    check_update_keys(&table.meta, input.update.as_ref())?;
    let paths: Vec<Path> =
        input.update.as_ref().map(|u| u.paths().into_iter().cloned().collect()).unwrap_or_default();
    let answer = input.answer(&paths);
    let op = WriteOp {
        table: table.clone(),
        key: k,
        key_item: input.item,
        condition: input.condition,
        action: Action::Update(input.update),
    };
    run_write(g, op, answer)
}
