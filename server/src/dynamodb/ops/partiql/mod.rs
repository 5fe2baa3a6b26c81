//! PartiQL's operations: ExecuteStatement ([`execute`]), BatchExecuteStatement
//! ([`batch::batch`]) and ExecuteTransaction ([`transaction::transaction`]). Statements are
//! parsed by [`crate::dynamodb::partiql`]; a `SELECT` is read by the Query and Scan walk
//! ([`select`]), and writes are [`WriteOp`](crate::dynamodb::write::WriteOp)s run by the one
//! write path ([`write`]), so indexes, streams and capacity follow as for every other write.
//!
//! IAM: each statement needs `dynamodb:PartiQLSelect`, `PartiQLInsert`, `PartiQLUpdate` or
//! `PartiQLDelete` on its table (or index), as in DynamoDB; the operations themselves need
//! nothing more.

pub mod batch;
mod select;
pub mod transaction;
mod write;

use crate::dynamodb::access;
use crate::dynamodb::capacity::Mode;
use crate::dynamodb::error::{validation, DResult, DynamoError};
use crate::dynamodb::model::value::AttrValue;
use crate::dynamodb::ops::{Gateway, Input};
use crate::dynamodb::partiql::{self, Statement, STATEMENT_LEN_MAX};
use crate::dynamodb::request::member::{Member, Str};
use crate::dynamodb::request::shapes::{self, Parameters};
use crate::dynamodb::request::{return_old_on_failure, Constraints};
use crate::iam::caller::Caller;
use serde_json::Value as Json;

/// The longest `NextToken` (the API's `PartiQLNextToken` bound).
pub const NEXT_TOKEN_LEN_MAX: usize = 32768;

/// One statement of a request: parsed, with its parameters bound, and a fingerprint of its
/// text and parameters (which a `NextToken` is tied to).
pub(crate) struct Parsed {
    pub statement: Statement,
    pub fingerprint: u64,
}

/// Reads a statement and its parameters (`at`: where the statement is, for constraint
/// messages) and parses it.
pub(crate) fn read_statement(text: Member<Str>, params: Parameters, at: &str) -> DResult<Parsed> {
    let text = text.get("Statement")?;
    let params = params.get("Parameters")?;
    let mut c = Constraints::default();
    c.not_null(at, text.as_deref());
    if let Some(t) = text.as_deref() {
        c.len(at, &format!("'{t}'"), t.len(), 1, STATEMENT_LEN_MAX);
    }
    if params.as_ref().is_some_and(Vec::is_empty) {
        c.add("'[]'", "parameters", "Member must have length greater than or equal to 1");
    }
    c.finish()?;
    let text = text.unwrap_or_default();
    let mut values: Vec<AttrValue> = Vec::new();
    for p in params.unwrap_or_default() {
        values.push(p.0.map_err(|e| {
            if e.is_shape_error() {
                DynamoError::from(e)
            } else {
                validation(e.0)
            }
        })?);
    }
    let fingerprint = crate::dynamodb::ops::transact::fingerprint(&(&*text, &values));
    let statement = partiql::parse(&text, &values).map_err(|e| validation(e.0))?;
    Ok(Parsed { statement, fingerprint })
}

/// Whether `caller` may run `statement`: the PartiQL action of its kind on its table, or on
/// the index a `SELECT` names.
pub(crate) fn authorize_statement(
    g: &Gateway,
    caller: &Caller,
    statement: &Statement,
) -> DResult<()> {
    if caller.is_unrestricted() {
        return Ok(());
    }
    let action = match statement {
        Statement::Select(_) | Statement::Exists(_) => "dynamodb:PartiQLSelect",
        Statement::Insert { .. } => "dynamodb:PartiQLInsert",
        Statement::Update { .. } => "dynamodb:PartiQLUpdate",
        Statement::Delete { .. } => "dynamodb:PartiQLDelete",
    };
    let resource = match statement {
        Statement::Select(s) => match &s.index {
            Some(i) => access::index_arn(g, &s.table, i),
            None => access::table_arn(g, &s.table),
        },
        other => access::table_arn(g, other.table()),
    };
    access::check(caller, action, &resource, &caller.context())
}

/// ExecuteStatement's input.
pub struct ExecuteStatementInput {
    parsed: Parsed,
    consistent: bool,
    limit: Option<usize>,
    next_token: Option<String>,
    mode: Mode,
    return_old: bool,
}

impl<'a> Input<'a> for ExecuteStatementInput {
    type Shape = shapes::ExecuteStatement<'a>;

    fn decode(w: shapes::ExecuteStatement<'a>) -> DResult<Self> {
        let limit = w.limit.get("Limit")?;
        let next_token = w.next_token.get("NextToken")?;
        let mut c = Constraints::default();
        c.range("limit", limit, 1, i64::MAX);
        if let Some(t) = next_token.as_deref() {
            c.len("nextToken", &format!("'{t}'"), t.len(), 1, NEXT_TOKEN_LEN_MAX);
        }
        c.finish()?;
        let consistent = w.consistent_read.get("ConsistentRead")?.unwrap_or(false);
        let mode = Mode::read(w.return_consumed_capacity)?;
        let return_old = return_old_on_failure(w.return_values_on_condition_check_failure)?;
        let parsed = read_statement(w.statement, w.parameters, "statement")?;
        if !parsed.statement.is_read() {
            if limit.is_some() {
                return Err(validation("Limit is supported only for SELECT statements"));
            }
            if next_token.is_some() {
                return Err(validation("NextToken is supported only for SELECT statements"));
            }
        } else if return_old {
            return Err(validation(
                "ReturnValuesOnConditionCheckFailure is supported only for write statements",
            ));
        }
        Ok(ExecuteStatementInput {
            parsed,
            consistent,
            limit: limit.map(|l| l as usize),
            next_token: next_token.map(|t| t.into_owned()),
            mode,
            return_old,
        })
    }

    fn authorize(&self, g: &Gateway, caller: &Caller, action: &'static str) -> DResult<()> {
        let _ = action;
        authorize_statement(g, caller, &self.parsed.statement)
    }

    fn tables(&self) -> Vec<&str> {
        vec![self.parsed.statement.table()]
    }
}

pub fn execute(g: &Gateway, input: ExecuteStatementInput) -> DResult<Json> {
    let ExecuteStatementInput { parsed, consistent, limit, next_token, mode, return_old } = input;
    match parsed.statement {
        Statement::Select(s) => {
            let read = select::ReadOptions { consistent, limit, mode };
            select::run(g, &s, parsed.fingerprint, next_token.as_deref(), read)
        }
        Statement::Exists(_) => {
            Err(validation("Unsupported operation: EXISTS is supported only in ExecuteTransaction"))
        }
        st => {
            let planned = write::plan(g, st)?;
            write::run_one(g, planned, return_old, mode)
        }
    }
}
