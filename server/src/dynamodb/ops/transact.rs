//! TransactWriteItems and TransactGetItems.
//!
//! A write transaction is one [`execute`] call: its items' stripes are locked in order, every
//! condition is checked against the current items, and all writes go to the engine as one atomic
//! batch, or none does (TransactionCanceledException, with one reason per action in request
//! order). A read transaction reads every item from one engine snapshot, and since a write
//! transaction is one engine batch, it never sees part of one.
//!
//! `ClientRequestToken` makes a write transaction idempotent for ten minutes: the same token with
//! the same request returns the first answer without applying anything again; with a different
//! request, IdempotentParameterMismatchException; while the first is still running,
//! TransactionInProgressException.

use crate::dynamodb::access;
use crate::dynamodb::capacity::throttle::Throttled;
use crate::dynamodb::capacity::{read_units, Consumed, Mode, PerTable};
use crate::dynamodb::error::{validation, DResult, DynamoError};
use crate::dynamodb::expr::path::{projection, Path};
use crate::dynamodb::expr::{Condition, Update};
use crate::dynamodb::limits::{TOKENS_MAX, TOKEN_LEN_MAX, TOKEN_TTL, TRANSACT_ITEMS_MAX};
use crate::dynamodb::model::value::{item_size, item_to_json, Item};
use crate::dynamodb::ops::items::{check_update_keys, required_item};
use crate::dynamodb::ops::params::{ExprMembers, Expressions};
use crate::dynamodb::ops::{Gateway, Input};
use crate::dynamodb::request::member::{Member, Str};
use crate::dynamodb::request::shapes::{TransactAction, TransactGetItems, TransactWriteItems};
use crate::dynamodb::request::{
    return_collection_metrics, return_old_on_failure, table_name, Constraints,
};
use crate::dynamodb::schema::catalog::Table;
use crate::dynamodb::schema::table::KeyError;
use crate::dynamodb::write::collections::per_table_json;
use crate::dynamodb::write::{check_item_size, execute, Action, Gate, Refusal, WriteOp};
use crate::iam::caller::Caller;
use serde_json::{json, Value as Json};
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Instant;

enum TokenState {
    Running,
    Done(Json),
}

/// Remembered ClientRequestTokens.
#[derive(Default)]
pub struct Tokens(Mutex<HashMap<String, (Instant, u64, TokenState)>>);

impl Tokens {
    /// Claims `token` for a request with fingerprint `fp`: `Ok(None)` to go ahead, `Ok(Some(r))`
    /// to answer `r` again.
    pub(crate) fn claim(&self, token: &str, fp: u64) -> DResult<Option<Json>> {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        if let Some((at, seen, state)) = map.get(token) {
            if now.duration_since(*at) < TOKEN_TTL {
                if *seen != fp {
                    return Err(DynamoError::IdempotentParameterMismatch);
                }
                return match state {
                    TokenState::Running => Err(DynamoError::TransactionInProgress),
                    TokenState::Done(r) => Ok(Some(r.clone())),
                };
            }
        }
        if map.len() >= TOKENS_MAX {
            map.retain(|_, (at, _, _)| now.duration_since(*at) < TOKEN_TTL);
            if map.len() >= TOKENS_MAX {
                if let Some(oldest) =
                    map.iter().min_by_key(|(_, (at, _, _))| *at).map(|(k, _)| k.clone())
                {
                    map.remove(&oldest);
                }
            }
        }
        map.insert(token.to_string(), (now, fp, TokenState::Running));
        Ok(None)
    }

    /// Records the answer (`None`: the transaction failed, so the token is free again).
    pub(crate) fn finish(&self, token: &str, answer: Option<&Json>) {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        match answer {
            Some(a) => {
                if let Some(e) = map.get_mut(token) {
                    e.2 = TokenState::Done(a.clone());
                }
            }
            None => {
                map.remove(token);
            }
        }
    }
}

/// A hash of `v`'s `Debug` form (deterministic: the request shapes hold ordered maps only),
/// streamed into the hasher.
pub(crate) fn fingerprint(v: &impl std::fmt::Debug) -> u64 {
    struct Hashing(xxhash_rust::xxh3::Xxh3);
    impl std::fmt::Write for Hashing {
        fn write_str(&mut self, s: &str) -> std::fmt::Result {
            self.0.update(s.as_bytes());
            Ok(())
        }
    }
    let mut h = Hashing(xxhash_rust::xxh3::Xxh3::new());
    // Writing into the hasher cannot fail.
    let _ = std::fmt::write(&mut h, format_args!("{v:?}"));
    h.0.digest()
}

/// `TransactItems`, checked.
fn transact_items<T>(items: Member<Vec<T>>) -> DResult<Vec<T>> {
    let items = items.get("TransactItems")?;
    let mut c = Constraints::default();
    c.not_null("transactItems", items.as_ref());
    if let Some(list) = &items {
        if list.is_empty() {
            c.add("'[]'", "transactItems", "Member must have length greater than or equal to 1");
        } else if list.len() > TRANSACT_ITEMS_MAX {
            c.add(
                "'[...]'",
                "transactItems",
                &format!("Member must have length less than or equal to {TRANSACT_ITEMS_MAX}"),
            );
        }
    }
    c.finish()?;
    items.ok_or_else(|| validation("TransactItems is required"))
}

/// The one action of a TransactItem element, from its action members `(name, member)`.
fn only_action<'a, const N: usize>(
    actions: [(&'static str, Member<TransactAction<'a>>); N],
) -> DResult<(&'static str, TransactAction<'a>)> {
    let mut found = None;
    for (k, a) in actions {
        if let Some(a) = a.get(k)? {
            if found.is_some() {
                return Err(validation(
                    "TransactItems can only contain one of Check, Put, Update or Delete",
                ));
            }
            found = Some((k, a));
        }
    }
    found.ok_or_else(|| {
        validation("TransactItems can only contain one of Check, Put, Update or Delete")
    })
}

fn not_a_structure() -> DynamoError {
    DynamoError::Serialization("TransactItems elements must be structures".into())
}

/// Records an action's key check in `errors` (one entry per action): a key that does not fit
/// its table's schema becomes that action's cancellation reason (`Ok(None)`); any other key
/// error fails the request.
fn schema_checked<T>(
    key: Result<T, KeyError>,
    errors: &mut Vec<Option<String>>,
) -> DResult<Option<T>> {
    match key {
        Ok(k) => {
            errors.push(None);
            Ok(Some(k))
        }
        Err(KeyError::Schema(m)) => {
            errors.push(Some(m));
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}

/// The cancellation for actions whose keys do not fit their tables.
fn key_cancellation(errors: Vec<Option<String>>) -> DynamoError {
    let reasons = errors
        .into_iter()
        .map(|e| match e {
            Some(m) => json!({"Code": "ValidationError", "Message": m}),
            None => json!({"Code": "None"}),
        })
        .collect();
    DynamoError::TransactionCanceled { reasons }
}

pub(crate) fn multiple_ops() -> DynamoError {
    validation("Transaction request cannot include multiple operations on one item")
}

/// One action of a TransactWriteItems, decoded (its key is checked against its table's schema
/// once the table is found).
struct WriteAction<'a> {
    table_name: Str<'a>,
    /// The key attributes (`Key`), or the whole item of a `Put`.
    item: Item,
    kind: WriteKind,
    condition: Option<Condition>,
    return_old_on_failure: bool,
}

enum WriteKind {
    Put,
    Delete,
    Update(Update),
    Check,
}

/// TransactWriteItems' input, decoded and checked before the handler runs.
pub struct TransactWriteItemsInput<'a> {
    actions: Vec<WriteAction<'a>>,
    return_consumed_capacity: Mode,
    /// `ReturnItemCollectionMetrics: SIZE`.
    return_collection_metrics: bool,
    /// `ClientRequestToken`, with the fingerprint of the request it came with.
    token: Option<(Str<'a>, u64)>,
}

impl<'a> Input<'a> for TransactWriteItemsInput<'a> {
    fn tables(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.actions.iter().map(|a| &*a.table_name).collect();
        names.sort_unstable();
        names.dedup();
        names
    }

    fn authorize(&self, g: &Gateway, caller: &Caller, action: &'static str) -> DResult<()> {
        let _ = action;
        for a in &self.actions {
            let action = match a.kind {
                WriteKind::Put => "dynamodb:PutItem",
                WriteKind::Delete => "dynamodb:DeleteItem",
                WriteKind::Update(_) => "dynamodb:UpdateItem",
                WriteKind::Check => "dynamodb:ConditionCheckItem",
            };
            let mut k = access::Keys {
                return_consumed_capacity: Some(access::mode_name(self.return_consumed_capacity)),
                ..access::Keys::default()
            };
            k.lead(g, &a.table_name, &a.item);
            k.names(a.item.keys().map(String::as_str));
            if let WriteKind::Update(u) = &a.kind {
                k.paths(u.paths());
            }
            access::table_with(g, caller, action, &a.table_name, k)?;
        }
        Ok(())
    }

    type Shape = TransactWriteItems<'a>;

    fn decode(w: TransactWriteItems<'a>) -> DResult<Self> {
        let items = transact_items(w.transact_items)?;
        let return_consumed_capacity = Mode::read(w.return_consumed_capacity)?;
        let metrics_member = w.return_item_collection_metrics;
        let token = w.client_request_token.get("ClientRequestToken")?;
        if let Some(t) = &token {
            let mut c = Constraints::default();
            c.len("clientRequestToken", &format!("'{t}'"), t.len(), 1, TOKEN_LEN_MAX);
            c.finish()?;
        }
        // The request a token stands for: its actions as decoded (numbers normalized, maps
        // sorted, so a retry that words them differently is still the same request) and its
        // ReturnItemCollectionMetrics; not ReturnConsumedCapacity.
        let token = token.map(|t| (t, fingerprint(&(&items, &metrics_member))));
        let return_collection_metrics = return_collection_metrics(metrics_member)?;
        let mut actions = Vec::with_capacity(items.len());
        for e in items {
            let Member::Present(e) = e else { return Err(not_a_structure()) };
            let (kind, a) = only_action([
                ("ConditionCheck", e.condition_check),
                ("Put", e.put),
                ("Delete", e.delete),
                ("Update", e.update),
            ])?;
            let table_name = table_name(a.table_name)?;
            let update = match kind {
                "Update" => a.update_expression,
                _ => Member::Absent,
            };
            let ex = Expressions::read(ExprMembers {
                names: a.expression_attribute_names,
                values: a.expression_attribute_values,
                expressions: [
                    ("UpdateExpression", update),
                    ("ConditionExpression", a.condition_expression),
                ],
                legacy: [],
                conditional_operator: a.conditional_operator,
            })?;
            let parsed = ex.parse()?;
            let return_old_on_failure =
                return_old_on_failure(a.return_values_on_condition_check_failure)?;
            let item = match kind {
                "Put" => {
                    let item = required_item(a.item, "Item", "transactItems.member.put.item")?;
                    check_item_size(&item)?;
                    item
                }
                "Delete" => required_item(a.key, "Key", "transactItems.member.delete.key")?,
                "Update" => required_item(a.key, "Key", "transactItems.member.update.key")?,
                _ => required_item(a.key, "Key", "transactItems.member.conditionCheck.key")?,
            };
            let kind = match kind {
                "Put" => WriteKind::Put,
                "Delete" => WriteKind::Delete,
                "Update" => match parsed.update {
                    Some(u) => WriteKind::Update(u),
                    None => return Err(validation("1 validation error detected: Value null at 'transactItems.member.update.updateExpression' failed to satisfy constraint: Member must not be null")),
                },
                _ => {
                    if parsed.condition.is_none() {
                        return Err(validation("1 validation error detected: Value null at 'transactItems.member.conditionCheck.conditionExpression' failed to satisfy constraint: Member must not be null"));
                    }
                    WriteKind::Check
                }
            };
            actions.push(WriteAction {
                table_name,
                item,
                kind,
                condition: parsed.condition,
                return_old_on_failure,
            });
        }
        Ok(TransactWriteItemsInput {
            actions,
            return_consumed_capacity,
            return_collection_metrics,
            token,
        })
    }
}

pub fn write(g: &Gateway, input: TransactWriteItemsInput) -> DResult<Json> {
    let TransactWriteItemsInput {
        actions,
        return_consumed_capacity: mode,
        return_collection_metrics: metrics,
        token,
    } = input;
    let mut ops = Vec::with_capacity(actions.len());
    let mut return_old = Vec::with_capacity(actions.len());
    // A key that does not fit its table's schema cancels the transaction with that action's
    // reason (DynamoDB's behaviour); every other invalid parameter fails the whole request.
    let mut key_errors: Vec<Option<String>> = Vec::with_capacity(actions.len());
    let mut seen = BTreeSet::new();
    for a in actions {
        return_old.push(a.return_old_on_failure);
        let table = g.table(&a.table_name)?;
        let (key_item, key) = match a.kind {
            WriteKind::Put => (
                table.meta.key_attrs(&a.item),
                table.meta.key_of_item(&a.item).map(|k| (k, a.item)),
            ),
            _ => {
                let key = table.meta.key_of_key(&a.item).map(|k| (k, Item::new()));
                (a.item, key)
            }
        };
        let Some((key, item)) = schema_checked(key, &mut key_errors)? else { continue };
        let action = match a.kind {
            WriteKind::Put => Action::Put(item),
            WriteKind::Delete => Action::Delete,
            WriteKind::Update(u) => {
                check_update_keys(&table.meta, Some(&u))?;
                Action::Update(Some(u))
            }
            WriteKind::Check => Action::Check,
        };
        let op = WriteOp { table, key, key_item, condition: a.condition, action };
        if !seen.insert((op.table.meta.keyspace.clone(), op.key.clone())) {
            return Err(multiple_ops());
        }
        ops.push(op);
    }
    if key_errors.iter().any(Option::is_some) {
        return Err(key_cancellation(key_errors));
    }
    if let Some((t, fp)) = &token {
        if let Some(answer) = g.tokens.claim(t, *fp)? {
            return Ok(answer);
        }
    }
    let result = run_write(g, &ops, &return_old, (mode, metrics));
    if let Some((t, _)) = &token {
        g.tokens.finish(t, result.as_ref().ok());
    }
    result
}

fn run_write(
    g: &Gateway,
    ops: &[WriteOp],
    return_old: &[bool],
    (mode, metrics): (Mode, bool),
) -> DResult<Json> {
    match execute(g, ops, Gate::Admit(2.0))? {
        Ok(outcomes) => {
            let mut consumed = PerTable::default();
            for (op, out) in ops.iter().zip(&outcomes) {
                consumed.add(&op.table.meta.name, &out.consumed().times(2.0));
            }
            let mut out = json!({});
            if let (Json::Object(o), Some(c)) = (&mut out, consumed.to_json(mode)) {
                o.insert("ConsumedCapacity".into(), c);
            }
            let collections = per_table_json(ops, &outcomes).filter(|_| metrics);
            if let (Json::Object(o), Some(m)) = (&mut out, collections) {
                o.insert("ItemCollectionMetrics".into(), m);
            }
            Ok(out)
        }
        Err(refusals) => {
            let reasons = refusals
                .into_iter()
                .zip(return_old)
                .map(|(r, &old)| cancellation_reason(r, old))
                .collect();
            Err(DynamoError::TransactionCanceled { reasons })
        }
    }
}

/// The cancellation reason of one action of a refused transaction (`return_old`: the item
/// is returned when its condition failed).
pub(crate) fn cancellation_reason(r: Option<Refusal>, return_old: bool) -> Json {
    match r {
        None => json!({"Code": "None"}),
        Some(Refusal::Condition(item)) => {
            let mut j = json!({"Code": "ConditionalCheckFailed", "Message": "The conditional request failed"});
            if let (true, Some(item), Json::Object(o)) = (return_old, item, &mut j) {
                o.insert("Item".into(), item_to_json(&item));
            }
            j
        }
        Some(Refusal::Invalid(DynamoError::ItemCollectionSizeLimitExceeded)) => {
            json!({"Code": "ItemCollectionSizeLimitExceeded", "Message": "Collection size exceeded."})
        }
        Some(Refusal::Invalid(e)) => json!({"Code": "ValidationError", "Message": e.message()}),
        Some(Refusal::Throttled(t)) => throttled_reason(&t),
    }
}

/// TransactGetItems' input, decoded and checked before the handler runs: per action, the
/// table, the key and the projection.
pub struct TransactGetItemsInput<'a> {
    gets: Vec<(Str<'a>, Item, Option<Vec<Path>>)>,
    return_consumed_capacity: Mode,
}

impl<'a> Input<'a> for TransactGetItemsInput<'a> {
    fn tables(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.gets.iter().map(|(t, _, _)| &**t).collect();
        names.sort_unstable();
        names.dedup();
        names
    }

    fn authorize(&self, g: &Gateway, caller: &Caller, action: &'static str) -> DResult<()> {
        let _ = action;
        for (t, key, projection) in &self.gets {
            let mut k = access::Keys {
                return_consumed_capacity: Some(access::mode_name(self.return_consumed_capacity)),
                ..access::Keys::default()
            };
            k.lead(g, t, key);
            k.projection(projection.as_deref());
            access::table_with(g, caller, "dynamodb:GetItem", t, k)?;
        }
        Ok(())
    }

    type Shape = TransactGetItems<'a>;

    fn decode(w: TransactGetItems<'a>) -> DResult<Self> {
        let items = transact_items(w.transact_items)?;
        let return_consumed_capacity = Mode::read(w.return_consumed_capacity)?;
        let mut gets = Vec::with_capacity(items.len());
        for e in items {
            let Member::Present(e) = e else { return Err(not_a_structure()) };
            let (_, a) = only_action([("Get", e.get)])?;
            let name = table_name(a.table_name)?;
            let ex = Expressions::read(ExprMembers {
                names: a.expression_attribute_names,
                values: a.expression_attribute_values,
                expressions: [("ProjectionExpression", a.projection_expression)],
                legacy: [],
                conditional_operator: a.conditional_operator,
            })?;
            let paths = ex.parse()?.projection;
            let key_item = required_item(a.key, "Key", "transactItems.member.get.key")?;
            gets.push((name, key_item, paths));
        }
        Ok(TransactGetItemsInput { gets, return_consumed_capacity })
    }
}

pub fn get(g: &Gateway, input: TransactGetItemsInput) -> DResult<Json> {
    let mode = input.return_consumed_capacity;
    let mut plans = Vec::with_capacity(input.gets.len());
    let mut key_errors = Vec::with_capacity(input.gets.len());
    let mut seen = BTreeSet::new();
    for (name, key_item, paths) in input.gets {
        let table = g.table(&name)?;
        let Some(key) = schema_checked(table.meta.key_of_key(&key_item), &mut key_errors)? else {
            continue;
        };
        if !seen.insert((table.meta.keyspace.clone(), key.clone())) {
            return Err(multiple_ops());
        }
        plans.push(TransactGet { table, key, condition: None, projection: paths });
    }
    if key_errors.iter().any(Option::is_some) {
        return Err(key_cancellation(key_errors));
    }
    run_gets(g, plans, mode)
}

/// One read of a read transaction (TransactGetItems, or ExecuteTransaction's SELECTs).
pub(crate) struct TransactGet {
    pub table: Arc<Table>,
    pub key: Vec<u8>,
    /// A PartiQL `WHERE` clause: the item is answered only when it holds.
    pub condition: Option<Condition>,
    pub projection: Option<Vec<Path>>,
}

/// Runs the reads of a read transaction from one snapshot, at twice a consistent read's units;
/// a table without read capacity cancels the whole transaction.
pub(crate) fn run_gets(g: &Gateway, plans: Vec<TransactGet>, mode: Mode) -> DResult<Json> {
    let throttles: Vec<Option<Throttled>> =
        plans.iter().map(|p| g.capacity.admit_read(&p.table.meta, None).err()).collect();
    if throttles.iter().any(Option::is_some) {
        let reasons = throttles
            .iter()
            .map(|t| t.as_ref().map_or_else(|| json!({"Code": "None"}), throttled_reason))
            .collect();
        return Err(DynamoError::TransactionCanceled { reasons });
    }
    let snap = g.db.snapshot();
    let mut responses = Vec::with_capacity(plans.len());
    let mut consumed = PerTable::default();
    for TransactGet { table, key, condition, projection: paths } in plans {
        let item = match snap.get(&table.ks, &key)? {
            Some(b) => Some(crate::dynamodb::ops::decode(&b)?),
            None => None,
        };
        let size = item.as_ref().map_or(0, item_size);
        let units = Consumed::reads(2.0 * read_units(size, true));
        g.charge_read(&table, &units);
        consumed.add(&table.meta.name, &units);
        let item = item.filter(|i| condition.as_ref().is_none_or(|c| c.eval(i)));
        responses.push(match (item, &paths) {
            (Some(i), Some(p)) => json!({"Item": item_to_json(&projection(&i, p))}),
            (Some(i), None) => json!({"Item": item_to_json(&i)}),
            (None, _) => json!({}),
        });
    }
    let mut out = json!({ "Responses": responses });
    if let (Json::Object(o), Some(c)) = (&mut out, consumed.to_json(mode)) {
        o.insert("ConsumedCapacity".into(), c);
    }
    Ok(out)
}

/// The cancellation reason of an action on a throttled table.
fn throttled_reason(t: &Throttled) -> Json {
    json!({"Code": t.cancellation_code(), "Message": t.message()})
}
