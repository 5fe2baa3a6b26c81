//! PartiQL's writes as the one write path's [`WriteOp`]s, with DynamoDB's semantics:
//!
//! - `INSERT` puts the item if no item has its key: otherwise `DuplicateItemException`.
//! - `UPDATE` updates the one item its `WHERE` clause names by every key attribute, if the
//!   clause holds for it: an item that is missing fails it, as DynamoDB documents
//!   (`ConditionalCheckFailedException`).
//! - `DELETE` deletes the item if the clause holds; a missing item is no error (nothing is
//!   deleted), as DynamoDB documents.
//! - `EXISTS(SELECT ...)` (in a transaction) checks the clause on the item it names.

use crate::dynamodb::capacity::Mode;
use crate::dynamodb::error::{validation, DResult, DynamoError};
use crate::dynamodb::expr::path::{projection, Path, Step};
use crate::dynamodb::expr::Condition;
use crate::dynamodb::model::value::{item_to_json, Item};
use crate::dynamodb::ops::items::check_update_keys;
use crate::dynamodb::ops::Gateway;
use crate::dynamodb::partiql::plan::key_of;
use crate::dynamodb::partiql::{Returning, Statement};
use crate::dynamodb::schema::catalog::Table;
use crate::dynamodb::write::{check_item_size, execute_one, Action, Gate, Outcome, WriteOp};
use serde_json::{json, Value as Json};
use std::sync::Arc;

/// DynamoDB's message for a write whose `WHERE` clause does not name its item.
pub(crate) const KEY_NOT_NAMED: &str =
    "Where clause does not contain a mandatory equality on all key attributes";

/// A write statement as a write, and how it answers.
pub(crate) struct Planned {
    pub op: WriteOp,
    pub returning: Returning,
    /// The paths an UPDATE writes (for `MODIFIED OLD` and `MODIFIED NEW`).
    pub paths: Vec<Path>,
    /// An INSERT: a failed condition is a duplicate key.
    pub insert: bool,
}

/// The names of `table`'s key attributes.
pub(crate) fn key_names(table: &Table) -> Vec<&str> {
    let mut k = vec![table.meta.hash.name.as_str()];
    if let Some(r) = &table.meta.range {
        k.push(&r.name);
    }
    k
}

fn missing(table: &Table) -> Condition {
    Condition::AttributeNotExists(Path(vec![Step::Attr(table.meta.hash.name.clone())]))
}

/// The key of the item `condition` names in `table`: its engine key and key attributes.
fn named_key(table: &Table, condition: &Condition) -> DResult<(Vec<u8>, Item)> {
    let key_item = key_of(condition, &key_names(table)).ok_or_else(|| validation(KEY_NOT_NAMED))?;
    Ok((table.meta.key_of_key(&key_item)?, key_item))
}

/// Plans a write statement (any other is refused).
pub(crate) fn plan(g: &Gateway, st: Statement) -> DResult<Planned> {
    let table: Arc<Table> = g.table(st.table())?;
    let planned = |op, returning, paths, insert| Planned { op, returning, paths, insert };
    Ok(match st {
        Statement::Insert { item, .. } => {
            check_item_size(&item)?;
            let key = table.meta.key_of_item(&item)?;
            let key_item = table.meta.key_attrs(&item);
            let condition = Some(missing(&table));
            let op = WriteOp { table, key, key_item, condition, action: Action::Put(item) };
            planned(op, Returning::None, Vec::new(), true)
        }
        Statement::Update { update, condition, returning, .. } => {
            let (key, key_item) = named_key(&table, &condition)?;
            check_update_keys(&table.meta, Some(&update))?;
            let paths = update.paths().into_iter().cloned().collect();
            let op = WriteOp {
                table,
                key,
                key_item,
                condition: Some(condition),
                action: Action::Update(Some(update)),
            };
            planned(op, returning, paths, false)
        }
        Statement::Delete { condition, returning, .. } => {
            let (key, key_item) = named_key(&table, &condition)?;
            let condition = Some(Condition::Or(Box::new(missing(&table)), Box::new(condition)));
            let op = WriteOp { table, key, key_item, condition, action: Action::Delete };
            planned(op, returning, Vec::new(), false)
        }
        Statement::Exists(s) => {
            if s.index.is_some() {
                return Err(validation("EXISTS reads a table, not an index"));
            }
            let condition = s.condition.ok_or_else(|| validation(KEY_NOT_NAMED))?;
            let (key, key_item) = named_key(&table, &condition)?;
            let op =
                WriteOp { table, key, key_item, condition: Some(condition), action: Action::Check };
            planned(op, Returning::None, Vec::new(), false)
        }
        Statement::Select(_) => {
            return Err(validation("A SELECT statement is not a write"));
        }
    })
}

/// The item a write's `RETURNING` clause returns.
pub(crate) fn returned(returning: Returning, out: &Outcome, paths: &[Path]) -> Option<Item> {
    let part = |i: &Item| Some(projection(i, paths)).filter(|p| !p.is_empty());
    match returning {
        Returning::None => None,
        Returning::AllOld => out.old.clone(),
        Returning::AllNew => out.new.clone(),
        Returning::ModifiedOld => out.old.as_ref().and_then(part),
        Returning::ModifiedNew => out.new.as_ref().and_then(part),
    }
}

/// Runs one write statement's op (`insert`: a failed condition is a duplicate key).
pub(crate) fn run(g: &Gateway, op: WriteOp, insert: bool, return_old: bool) -> DResult<Outcome> {
    match execute_one(g, op, return_old && !insert, Gate::Admit(1.0)) {
        Err(DynamoError::ConditionalCheckFailed { .. }) if insert => {
            Err(DynamoError::DuplicateItem)
        }
        other => other,
    }
}

/// ExecuteStatement of a write: `Items` holds what `RETURNING` asked for.
pub(crate) fn run_one(g: &Gateway, p: Planned, return_old: bool, mode: Mode) -> DResult<Json> {
    if matches!(p.op.action, Action::Check) {
        return Err(validation(
            "Unsupported operation: EXISTS is supported only in ExecuteTransaction",
        ));
    }
    let Planned { op, returning, paths, insert } = p;
    let table = op.table.meta.name.clone();
    let out = run(g, op, insert, return_old)?;
    let items: Vec<Json> = returned(returning, &out, &paths).iter().map(item_to_json).collect();
    let mut answer = json!({ "Items": items });
    if let (Json::Object(o), Some(c)) = (&mut answer, out.consumed().to_json(&table, mode)) {
        o.insert("ConsumedCapacity".into(), c);
    }
    Ok(answer)
}
