//! BatchExecuteStatement: up to 25 statements, all reads or all writes, each run on its own
//! (a batch is not a transaction). Each read names one item by its whole key, as a
//! BatchGetItem does; each answer is the statement's `TableName` and `Item`, or its `Error`
//! (a `BatchStatementError`) when it failed; one statement's failure does not stop the
//! others.

use super::write::{key_names, plan, run};
use super::{authorize_statement, read_statement, Parsed};
use crate::dynamodb::capacity::{read_units, Consumed, Mode, PerTable};
use crate::dynamodb::error::{validation, DResult, DynamoError};
use crate::dynamodb::expr::path::projection;
use crate::dynamodb::limits::BATCH_WRITE_REQUESTS_MAX;
use crate::dynamodb::model::value::{item_size, item_to_json};
use crate::dynamodb::ops::{Gateway, Input};
use crate::dynamodb::partiql::plan::key_of;
use crate::dynamodb::partiql::{Select, Statement};
use crate::dynamodb::request::member::Member;
use crate::dynamodb::request::shapes;
use crate::dynamodb::request::{return_old_on_failure, Constraints};
use crate::iam::caller::Caller;
use serde_json::{json, Value as Json};
use std::cell::RefCell;

/// One statement of the batch: parsed, or refused on its own.
struct Entry {
    parsed: DResult<Parsed>,
    consistent: bool,
    return_old: bool,
}

/// BatchExecuteStatement's input.
pub struct BatchInput {
    entries: Vec<Entry>,
    mode: Mode,
    /// Per statement, the refusal of the caller's policies (filled by `authorize`).
    denied: RefCell<Vec<Option<DynamoError>>>,
}

impl<'a> Input<'a> for BatchInput {
    type Shape = shapes::BatchExecuteStatement<'a>;

    fn decode(w: shapes::BatchExecuteStatement<'a>) -> DResult<Self> {
        let statements = w.statements.get("Statements")?;
        let mut c = Constraints::default();
        c.not_null("statements", statements.as_ref());
        if let Some(list) = &statements {
            c.len("statements", "'[...]'", list.len(), 1, BATCH_WRITE_REQUESTS_MAX);
        }
        c.finish()?;
        let mode = Mode::read(w.return_consumed_capacity)?;
        let mut entries = Vec::new();
        for s in statements.unwrap_or_default() {
            let Member::Present(s) = s else {
                return Err(validation("Statements must hold BatchStatementRequest structures"));
            };
            let consistent = s.consistent_read.get("ConsistentRead")?.unwrap_or(false);
            let return_old = return_old_on_failure(s.return_values_on_condition_check_failure)?;
            let parsed = read_statement(s.statement, s.parameters, "statements.member.statement");
            entries.push(Entry { parsed, consistent, return_old });
        }
        let kinds: Vec<bool> = entries
            .iter()
            .filter_map(|e| e.parsed.as_ref().ok().map(|p| p.statement.is_read()))
            .collect();
        if kinds.iter().any(|r| *r) && kinds.iter().any(|r| !*r) {
            return Err(validation(
                "Unsupported operation: A batch must consist of either read statements or write statements",
            ));
        }
        Ok(BatchInput { entries, mode, denied: RefCell::new(Vec::new()) })
    }

    fn authorize(&self, g: &Gateway, caller: &Caller, action: &'static str) -> DResult<()> {
        let _ = action;
        let denied = self
            .entries
            .iter()
            .map(|e| match &e.parsed {
                Ok(p) => authorize_statement(g, caller, &p.statement).err(),
                Err(_) => None,
            })
            .collect();
        *self.denied.borrow_mut() = denied;
        Ok(())
    }
}

/// A `BatchStatementError`'s code for `e`.
fn error_code(e: &DynamoError) -> &'static str {
    match e {
        DynamoError::ConditionalCheckFailed { .. } => "ConditionalCheckFailed",
        DynamoError::DuplicateItem => "DuplicateItem",
        DynamoError::ResourceNotFound(_) => "ResourceNotFound",
        DynamoError::AccessDenied(_) => "AccessDenied",
        DynamoError::ItemCollectionSizeLimitExceeded => "ItemCollectionSizeLimitExceeded",
        DynamoError::ProvisionedThroughputExceeded { .. } => "ProvisionedThroughputExceeded",
        DynamoError::Throttling { .. } => "ThrottlingError",
        DynamoError::RequestLimitExceeded(_) => "RequestLimitExceeded",
        DynamoError::TransactionCanceled { .. } => "TransactionConflict",
        DynamoError::Internal(_) => "InternalServerError",
        _ => "ValidationError",
    }
}

fn error_json(e: &DynamoError) -> Json {
    let mut err = json!({"Code": error_code(e), "Message": e.message()});
    if let (DynamoError::ConditionalCheckFailed { item: Some(item) }, Json::Object(o)) =
        (e, &mut err)
    {
        o.insert("Item".into(), item.clone());
    }
    json!({ "Error": err })
}

/// One read of a batch: the item the `SELECT` names by its key, if the `WHERE` clause holds.
fn read(g: &Gateway, s: &Select, consistent: bool, consumed: &mut PerTable) -> DResult<Json> {
    if s.index.is_some() {
        return Err(validation("A batch reads tables, not indexes"));
    }
    let table = g.table(&s.table)?;
    let keys = key_names(&table);
    let condition = s.condition.as_ref();
    let key_item = condition.and_then(|c| key_of(c, &keys)).ok_or_else(|| {
        validation("Select statements within BatchExecuteStatement must specify the equality value of all the primary key attributes")
    })?;
    let key = table.meta.key_of_key(&key_item)?;
    g.admit_read(&table, None)?;
    let item = g.read_item(&table.ks, &key)?;
    let units = Consumed::reads(read_units(item.as_ref().map_or(0, item_size), consistent));
    g.charge_read(&table, &units);
    consumed.add(&table.meta.name, &units);
    let item = item.filter(|i| condition.is_none_or(|c| c.eval(i)));
    let item = match (item, &s.projection) {
        (Some(i), Some(p)) => Some(projection(&i, p)),
        (i, _) => i,
    };
    let mut answer = json!({"TableName": s.table});
    if let (Json::Object(o), Some(i)) = (&mut answer, item) {
        o.insert("Item".into(), item_to_json(&i));
    }
    Ok(answer)
}

pub fn batch(g: &Gateway, input: BatchInput) -> DResult<Json> {
    let BatchInput { entries, mode, denied } = input;
    let denied = denied.into_inner();
    let mut consumed = PerTable::default();
    let mut responses = Vec::with_capacity(entries.len());
    for (i, e) in entries.into_iter().enumerate() {
        let Entry { parsed, consistent, return_old } = e;
        let answer = match (parsed, denied.get(i).and_then(Option::as_ref)) {
            (Err(err), _) => Err(err),
            (Ok(_), Some(d)) => Err(d.clone()),
            (Ok(p), None) => match p.statement {
                Statement::Select(s) => read(g, &s, consistent, &mut consumed),
                st => {
                    let table = st.table().to_string();
                    plan(g, st).and_then(|p| {
                        let out = run(g, p.op, p.insert, return_old)?;
                        consumed.add(&table, &out.consumed());
                        Ok(json!({"TableName": table}))
                    })
                }
            },
        };
        responses.push(match answer {
            Ok(a) => a,
            Err(e) => error_json(&e),
        });
    }
    let mut out = json!({ "Responses": responses });
    if let (Json::Object(o), Some(c)) = (&mut out, consumed.to_json(mode)) {
        o.insert("ConsumedCapacity".into(), c);
    }
    Ok(out)
}
