//! ExecuteTransaction: up to 100 statements run atomically, as TransactGetItems (all
//! `SELECT`s, each naming one item by its whole key) or as TransactWriteItems (`INSERT`,
//! `UPDATE`, `DELETE` and `EXISTS` condition checks): in one engine batch through the one write
//! path, or none of them, with DynamoDB's cancellation reasons (`DuplicateItem` for an
//! `INSERT` whose key exists) and its `ClientRequestToken` idempotency.

use super::write::{key_names, plan, KEY_NOT_NAMED};
use super::{authorize_statement, read_statement};
use crate::dynamodb::capacity::{Mode, PerTable};
use crate::dynamodb::error::{validation, DResult, DynamoError};
use crate::dynamodb::limits::{TOKEN_LEN_MAX, TRANSACT_ITEMS_MAX};
use crate::dynamodb::ops::transact::{
    cancellation_reason, fingerprint, multiple_ops, run_gets, TransactGet,
};
use crate::dynamodb::ops::{Gateway, Input};
use crate::dynamodb::partiql::plan::key_of;
use crate::dynamodb::partiql::Statement;
use crate::dynamodb::request::member::Member;
use crate::dynamodb::request::shapes;
use crate::dynamodb::request::{return_old_on_failure, Constraints};
use crate::dynamodb::write::{execute, Gate, Refusal};
use crate::iam::caller::Caller;
use serde_json::{json, Value as Json};
use std::collections::BTreeSet;

/// ExecuteTransaction's input.
pub struct TransactionInput {
    statements: Vec<(Statement, bool)>,
    /// The ClientRequestToken and the fingerprint of the request it was given with.
    token: Option<(String, u64)>,
    mode: Mode,
}

impl<'a> Input<'a> for TransactionInput {
    type Shape = shapes::ExecuteTransaction<'a>;

    fn decode(w: shapes::ExecuteTransaction<'a>) -> DResult<Self> {
        let list = w.transact_statements.get("TransactStatements")?;
        let token = w.client_request_token.get("ClientRequestToken")?;
        let mut c = Constraints::default();
        c.not_null("transactStatements", list.as_ref());
        if let Some(l) = &list {
            c.len("transactStatements", "'[...]'", l.len(), 1, TRANSACT_ITEMS_MAX);
        }
        if let Some(t) = token.as_deref() {
            c.len("clientRequestToken", &format!("'{t}'"), t.len(), 1, TOKEN_LEN_MAX);
        }
        c.finish()?;
        let mode = Mode::read(w.return_consumed_capacity)?;
        let mut statements = Vec::new();
        let mut fingerprints = Vec::new();
        for s in list.unwrap_or_default() {
            let Member::Present(s) = s else {
                return Err(validation(
                    "TransactStatements must hold ParameterizedStatement structures",
                ));
            };
            if s.consistent_read.is_given() {
                return Err(validation(
                    "ConsistentRead is not a member of ParameterizedStatement: transactions always read consistently",
                ));
            }
            let return_old = return_old_on_failure(s.return_values_on_condition_check_failure)?;
            let at = "transactStatements.member.statement";
            let parsed = read_statement(s.statement, s.parameters, at)?;
            fingerprints.push((parsed.fingerprint, return_old));
            statements.push((parsed.statement, return_old));
        }
        let reads = statements.iter().filter(|(s, _)| s.is_read()).count();
        if reads != 0 && reads != statements.len() {
            return Err(validation(
                "Unsupported operation: A transaction must consist of either read statements or write statements",
            ));
        }
        let token = token.map(|t| (t.into_owned(), fingerprint(&(&fingerprints, mode))));
        Ok(TransactionInput { statements, token, mode })
    }

    fn authorize(&self, g: &Gateway, caller: &Caller, action: &'static str) -> DResult<()> {
        let _ = action;
        self.statements.iter().try_for_each(|(s, _)| authorize_statement(g, caller, s))
    }

    fn tables(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.statements.iter().map(|(s, _)| s.table()).collect();
        names.sort_unstable();
        names.dedup();
        names
    }
}

pub fn transaction(g: &Gateway, input: TransactionInput) -> DResult<Json> {
    let TransactionInput { statements, token, mode } = input;
    // A transaction of reads changes nothing, so a repeated token has nothing to replay: it
    // reads again (the SDKs send a token with every ExecuteTransaction).
    if statements.first().is_some_and(|(s, _)| s.is_read()) {
        return reads(g, statements.into_iter().map(|(s, _)| s).collect(), mode);
    }
    let mut ops = Vec::with_capacity(statements.len());
    let mut inserts = Vec::with_capacity(statements.len());
    let mut return_old = Vec::with_capacity(statements.len());
    let mut seen = BTreeSet::new();
    for (s, old) in statements {
        let p = plan(g, s)?;
        if !seen.insert((p.op.table.meta.keyspace.clone(), p.op.key.clone())) {
            return Err(multiple_ops());
        }
        inserts.push(p.insert);
        return_old.push(old);
        ops.push(p.op);
    }
    if let Some((t, fp)) = &token {
        if let Some(answer) = g.tokens.claim(t, *fp)? {
            return Ok(answer);
        }
    }
    let result = match execute(g, &ops, Gate::Admit(2.0))? {
        Ok(outcomes) => {
            let mut consumed = PerTable::default();
            for (op, out) in ops.iter().zip(&outcomes) {
                consumed.add(&op.table.meta.name, &out.consumed().times(2.0));
            }
            let mut out = json!({});
            if let (Json::Object(o), Some(c)) = (&mut out, consumed.to_json(mode)) {
                o.insert("ConsumedCapacity".into(), c);
            }
            Ok(out)
        }
        Err(refusals) => {
            let reasons = refusals
                .into_iter()
                .zip(inserts.iter().zip(&return_old))
                .map(|(r, (&insert, &old))| match r {
                    Some(Refusal::Condition(_)) if insert => json!({
                        "Code": "DuplicateItem",
                        "Message": DynamoError::DuplicateItem.message(),
                    }),
                    r => cancellation_reason(r, old),
                })
                .collect();
            Err(DynamoError::TransactionCanceled { reasons })
        }
    };
    if let Some((t, _)) = &token {
        g.tokens.finish(t, result.as_ref().ok());
    }
    result
}

/// A transaction of `SELECT`s, each naming one item (run as TransactGetItems runs).
fn reads(g: &Gateway, statements: Vec<Statement>, mode: Mode) -> DResult<Json> {
    let mut plans = Vec::with_capacity(statements.len());
    let mut seen = BTreeSet::new();
    for s in statements {
        let Statement::Select(s) = s else { continue };
        if s.index.is_some() {
            return Err(validation("A transaction reads tables, not indexes"));
        }
        let table = g.table(&s.table)?;
        let keys = key_names(&table);
        let key_item = s
            .condition
            .as_ref()
            .and_then(|c| key_of(c, &keys))
            .ok_or_else(|| validation(KEY_NOT_NAMED))?;
        let key = table.meta.key_of_key(&key_item)?;
        if !seen.insert((table.meta.keyspace.clone(), key.clone())) {
            return Err(multiple_ops());
        }
        plans.push(TransactGet { table, key, condition: s.condition, projection: s.projection });
    }
    run_gets(g, plans, mode)
}
