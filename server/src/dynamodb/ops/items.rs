//! GetItem, PutItem, UpdateItem and DeleteItem.

use crate::dynamodb::access;
use crate::dynamodb::capacity::{read_units, Consumed, Mode};
use crate::dynamodb::error::{validation, DResult};
use crate::dynamodb::expr::path::{projection, Path};
use crate::dynamodb::expr::{Condition, Update};
use crate::dynamodb::model::value::decode::Decoded;
use crate::dynamodb::model::value::{item_size, item_to_json, Item};
use crate::dynamodb::ops::params::{read_projection, ExprMembers, Expressions};
use crate::dynamodb::ops::Gateway;
use crate::dynamodb::ops::Input;
use crate::dynamodb::request::member::{Member, Str};
use crate::dynamodb::request::shapes::{GetItem, ItemWrite};
use crate::dynamodb::request::{
    return_collection_metrics, return_old_on_failure, table_name, Constraints, ReturnValues,
};
use crate::dynamodb::write::collections::metrics_json;
use crate::dynamodb::write::{check_item_size, execute_one, Action, Gate, WriteOp};
use crate::iam::caller::Caller;
use serde_json::{Map, Value as Json};

/// Reads a required attribute map (`Key`, `Item`); `at` is its name in constraint messages.
pub(crate) fn required_item(item: Member<Decoded<Item>>, name: &str, at: &str) -> DResult<Item> {
    let item = item.get(name)?.transpose()?;
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
    pub table_name: Str<'a>,
    pub key: Item,
    pub consistent_read: bool,
    pub return_consumed_capacity: Mode,
    pub projection: Option<Vec<Path>>,
}

impl<'a> Input<'a> for GetItemInput<'a> {
    fn authorize(&self, g: &Gateway, caller: &Caller, action: &'static str) -> DResult<()> {
        let mut k = access::Keys {
            return_consumed_capacity: Some(access::mode_name(self.return_consumed_capacity)),
            ..access::Keys::default()
        };
        k.lead(g, &self.table_name, &self.key);
        k.projection(self.projection.as_deref());
        access::table_with(g, caller, action, &self.table_name, k)
    }

    fn tables(&self) -> Vec<&str> {
        vec![&self.table_name]
    }

    type Shape = GetItem<'a>;

    fn decode(w: GetItem<'a>) -> DResult<Self> {
        let table_name = table_name(w.table_name)?;
        let key = required_item(w.key, "Key", "key")?;
        let consistent_read = w.consistent_read.get("ConsistentRead")?.unwrap_or(false);
        let return_consumed_capacity = Mode::read(w.return_consumed_capacity)?;
        let projection = read_projection(
            w.expression_attribute_names,
            w.expression_attribute_values,
            w.projection_expression,
            w.attributes_to_get,
            w.conditional_operator,
        )?;
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
    let table = g.table(&name)?;
    let k = table.meta.key_of_key(&key)?;
    g.admit_read(&table, None)?;
    let item = g.read_item(&table.ks, &k)?;
    let size = item.as_ref().map_or(0, item_size);
    let consumed = Consumed::reads(read_units(size, consistent_read));
    g.charge_read(&table, &consumed);
    let item = match (item, &paths) {
        (Some(i), Some(p)) => Some(projection(&i, p)),
        (i, _) => i,
    };
    Ok(respond(vec![
        ("Item", item.as_ref().map(item_to_json)),
        ("ConsumedCapacity", consumed.to_json(&name, return_consumed_capacity)),
    ]))
}

/// What PutItem, UpdateItem and DeleteItem take, decoded and checked (in DynamoDB's order)
/// before the handler runs.
pub struct ItemWriteInput<'a> {
    pub table_name: Str<'a>,
    /// The item (PutItem) or its key (UpdateItem, DeleteItem).
    pub item: Item,
    pub return_values: ReturnValues,
    pub return_old_on_failure: bool,
    pub return_consumed_capacity: Mode,
    /// `ReturnItemCollectionMetrics: SIZE`.
    pub return_collection_metrics: bool,
    pub condition: Option<Condition>,
    pub update: Option<Update>,
}

/// Which of [`ItemWrite`]'s members an operation takes.
struct WriteMembers {
    /// The item member (`Item` or `Key`) and its name in constraint messages.
    item: (&'static str, &'static str),
    /// The `ReturnValues` it allows.
    return_values: &'static [&'static str],
    /// Whether it takes `UpdateExpression` and `AttributeUpdates`.
    update: bool,
}

impl<'a> ItemWriteInput<'a> {
    /// Decodes a single-item write taking `members`.
    fn decode(w: ItemWrite<'a>, members: WriteMembers) -> DResult<Self> {
        let WriteMembers { item: (name, at), return_values, update } = members;
        let table_name = table_name(w.table_name)?;
        let item = if name == "Item" { w.item } else { w.key };
        let item = required_item(item, name, at)?;
        let return_values = ReturnValues::read(w.return_values, return_values)?;
        let return_collection_metrics =
            return_collection_metrics(w.return_item_collection_metrics)?;
        let return_old_on_failure =
            return_old_on_failure(w.return_values_on_condition_check_failure)?;
        let return_consumed_capacity = Mode::read(w.return_consumed_capacity)?;
        let (names, values, op) =
            (w.expression_attribute_names, w.expression_attribute_values, w.conditional_operator);
        let parsed = if update {
            Expressions::read(ExprMembers {
                names,
                values,
                expressions: [
                    ("UpdateExpression", w.update_expression),
                    ("ConditionExpression", w.condition_expression),
                ],
                legacy: [("AttributeUpdates", w.attribute_updates), ("Expected", w.expected)],
                conditional_operator: op,
            })?
            .parse()?
        } else {
            Expressions::read(ExprMembers {
                names,
                values,
                expressions: [("ConditionExpression", w.condition_expression)],
                legacy: [("Expected", w.expected)],
                conditional_operator: op,
            })?
            .parse()?
        };
        Ok(ItemWriteInput {
            table_name,
            item,
            return_values,
            return_old_on_failure,
            return_consumed_capacity,
            return_collection_metrics,
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
            table: self.table_name.clone(),
            mode: self.return_consumed_capacity,
            metrics: self.return_collection_metrics,
        }
    }
}

/// PutItem's input.
pub struct PutItemInput<'a>(ItemWriteInput<'a>);

/// What PutItem and DeleteItem allow of `ReturnValues`.
impl ItemWriteInput<'_> {
    /// The write's condition keys: its partition key, the attributes it names (a put's item,
    /// a delete's key, an update's key and updated attributes), ReturnValues and
    /// ReturnConsumedCapacity.
    fn authorize(&self, g: &Gateway, caller: &Caller, action: &'static str) -> DResult<()> {
        let mut k = access::Keys {
            return_values: Some(access::return_values_name(self.return_values)),
            return_consumed_capacity: Some(access::mode_name(self.return_consumed_capacity)),
            ..access::Keys::default()
        };
        k.lead(g, &self.table_name, &self.item);
        k.names(self.item.keys().map(String::as_str));
        if let Some(u) = &self.update {
            k.paths(u.paths());
        }
        access::table_with(g, caller, action, &self.table_name, k)
    }
}

const NONE_OR_ALL_OLD: &[&str] = &["NONE", "ALL_OLD"];

impl<'a> Input<'a> for PutItemInput<'a> {
    fn authorize(&self, g: &Gateway, caller: &Caller, action: &'static str) -> DResult<()> {
        self.0.authorize(g, caller, action)
    }

    fn tables(&self) -> Vec<&str> {
        vec![&self.0.table_name]
    }

    type Shape = ItemWrite<'a>;

    fn decode(w: ItemWrite<'a>) -> DResult<Self> {
        let members =
            WriteMembers { item: ("Item", "item"), return_values: NONE_OR_ALL_OLD, update: false };
        let input = ItemWriteInput::decode(w, members)?;
        check_item_size(&input.item)?;
        Ok(PutItemInput(input))
    }
}

pub fn put(g: &Gateway, PutItemInput(input): PutItemInput) -> DResult<Json> {
    let table = g.table(&input.table_name)?;
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
    fn authorize(&self, g: &Gateway, caller: &Caller, action: &'static str) -> DResult<()> {
        self.0.authorize(g, caller, action)
    }

    fn tables(&self) -> Vec<&str> {
        vec![&self.0.table_name]
    }

    type Shape = ItemWrite<'a>;

    fn decode(w: ItemWrite<'a>) -> DResult<Self> {
        let members =
            WriteMembers { item: ("Key", "key"), return_values: NONE_OR_ALL_OLD, update: false };
        ItemWriteInput::decode(w, members).map(DeleteItemInput)
    }
}

pub fn delete(g: &Gateway, DeleteItemInput(input): DeleteItemInput) -> DResult<Json> {
    let table = g.table(&input.table_name)?;
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
    table: Str<'p>,
    mode: Mode,
    metrics: bool,
}

/// Runs one item write and answers as `answer` says.
fn run_write(g: &Gateway, op: WriteOp, answer: Answer) -> DResult<Json> {
    let Answer { return_old, rv, paths, table, mode, metrics } = answer;
    let out = execute_one(g, op, return_old, Gate::Admit(1.0))?;
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
        ("ConsumedCapacity", out.consumed().to_json(&table, mode)),
        ("ItemCollectionMetrics", out.collection.as_ref().filter(|_| metrics).map(metrics_json)),
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
    fn authorize(&self, g: &Gateway, caller: &Caller, action: &'static str) -> DResult<()> {
        self.0.authorize(g, caller, action)
    }

    fn tables(&self) -> Vec<&str> {
        vec![&self.0.table_name]
    }

    type Shape = ItemWrite<'a>;

    fn decode(w: ItemWrite<'a>) -> DResult<Self> {
        let return_values = &["NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"];
        let members = WriteMembers { item: ("Key", "key"), return_values, update: true };
        ItemWriteInput::decode(w, members).map(UpdateItemInput)
    }
}

pub fn update(g: &Gateway, UpdateItemInput(input): UpdateItemInput) -> DResult<Json> {
    let table = g.table(&input.table_name)?;
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
