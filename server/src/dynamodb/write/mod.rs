//! One write path for PutItem, UpdateItem, DeleteItem, BatchWriteItem and TransactWriteItems:
//! a request becomes [`WriteOp`]s; [`execute`] locks their stripes (ascending), reads the current
//! items, evaluates every condition and computes every new item, and then writes all of them,
//! with every secondary index entry they change, in one atomic engine batch (fsynced per the
//! server's sync setting) before unlocking. Either every op is applied or none is, and an index
//! is never behind its table.

pub mod backfill;
pub mod collections;
pub mod locks;
pub mod verify;

use crate::dynamodb::capacity::throttle::{Kind, Throttled};
use crate::dynamodb::capacity::{write_units, Consumed};
use crate::dynamodb::error::{validation, DResult, DynamoError};
use crate::dynamodb::expr::{Condition, Update};
use crate::dynamodb::limits::ITEM_SIZE_MAX;
use crate::dynamodb::model::value::{item_size, AttrValue, Item};
use crate::dynamodb::model::{item_codec, key};
use crate::dynamodb::ops::Gateway;
use crate::dynamodb::schema::catalog::Table;
use crate::dynamodb::schema::index::{IndexKind, IndexMeta};
use crate::dynamodb::stream::{self, live::Ticket, record::Record};
use shale_engine::WriteBatch;
use std::sync::Arc;

/// What a write does to its item.
pub enum Action {
    /// Replace the item.
    Put(Item),
    /// Remove it.
    Delete,
    /// Apply an update expression (creating the item from its key when absent; with no
    /// expression, only that).
    Update(Option<Update>),
    /// Only check the condition (a transaction's ConditionCheck).
    Check,
    /// The TTL expirer's delete: the item goes if its TTL attribute still holds the value
    /// found expired (an item whose TTL changed since stays). Its stream record is DynamoDB's
    /// service's.
    Expire { attribute: String, value: AttrValue },
}

/// One item write.
pub struct WriteOp {
    pub table: Arc<Table>,
    /// The engine key.
    pub key: Vec<u8>,
    /// The key attributes (an update of a missing item starts from these).
    pub key_item: Item,
    pub condition: Option<Condition>,
    pub action: Action,
}

/// Why an op was refused.
#[derive(Debug)]
pub enum Refusal {
    /// Its condition was false; carries the current item.
    Condition(Option<Item>),
    /// It is invalid against the current item (a type error in an update, a too-large item).
    Invalid(DynamoError),
    /// Its table (or one of the table's global indexes) is out of write capacity.
    Throttled(Throttled),
}

/// How [`execute`] charges write capacity.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Gate {
    /// Admit the ops only if every bucket they charge holds units, and take what they consume
    /// times the factor (transactions cost double).
    Admit(f64),
    /// The caller admitted them (a batch, item by item): take what they consume.
    Take,
    /// Not charged (the TTL expirer's deletes, which DynamoDB does not charge).
    Free,
}

/// What an applied op saw and left.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub old: Option<Item>,
    pub new: Option<Item>,
    /// Write units of the index entries the op changed, per index (DynamoDB's rule: a unit per
    /// KB of each entry written or deleted; an unchanged entry costs nothing).
    pub index_units: Vec<(String, IndexKind, f64)>,
    /// The item's collection after the op (tables with local indexes).
    pub collection: Option<collections::CollectionSize>,
}

impl Outcome {
    /// Bytes that write capacity is charged on: the larger of the old and new item.
    pub fn charged_bytes(&self) -> usize {
        let size = |i: &Option<Item>| i.as_ref().map_or(0, item_size);
        size(&self.old).max(size(&self.new))
    }

    /// The write capacity the op consumed: the table's and its indexes'.
    pub fn consumed(&self) -> Consumed {
        let mut c = Consumed::writes(write_units(self.charged_bytes()));
        for (name, kind, units) in &self.index_units {
            c.index(name, *kind, *units);
        }
        c
    }
}

impl WriteOp {
    /// Refuses a new item whose index key attributes an index of `table` cannot hold
    /// (`in_update`: the item an update expression made).
    fn check_index_keys(&self, table: &Table, item: &Item, in_update: bool) -> Result<(), Refusal> {
        for (ix, _) in table.indexes() {
            ix.checked_entry_key(item, &self.key, in_update)
                .map_err(|e| Refusal::Invalid(e.into()))?;
        }
        Ok(())
    }

    /// The new state of the item given the current one (`table`: the table as it is now, with
    /// its current indexes).
    fn decide(&self, table: &Table, old: Option<&Item>) -> Result<Option<Item>, Refusal> {
        // A put's item is checked against the indexes before its condition, as a request
        // parameter; an update's result once it is known.
        if let Action::Put(item) = &self.action {
            self.check_index_keys(table, item, false)?;
        }
        if let Some(c) = &self.condition {
            let empty = Item::new();
            if !c.eval(old.unwrap_or(&empty)) {
                return Err(Refusal::Condition(old.cloned()));
            }
        }
        let new = match &self.action {
            Action::Put(item) => Some(item.clone()),
            Action::Delete => None,
            Action::Check => old.cloned(),
            Action::Expire { attribute, value } => {
                if old.and_then(|o| o.get(attribute)) != Some(value) {
                    return Err(Refusal::Condition(old.cloned()));
                }
                None
            }
            // An update of a missing item that only takes away has nothing to take: it makes
            // no item, as in DynamoDB (a bare UpdateItem does make one).
            Action::Update(Some(u)) if old.is_none() && u.only_removes() => None,
            Action::Update(u) => {
                let mut item = old.cloned().unwrap_or_else(|| self.key_item.clone());
                if let Some(u) = u {
                    u.apply(&mut item).map_err(|e| Refusal::Invalid(validation(e.0)))?;
                }
                if item_size(&item) > ITEM_SIZE_MAX {
                    return Err(Refusal::Invalid(validation(
                        "Item size to update has exceeded the maximum allowed size",
                    )));
                }
                self.check_index_keys(table, &item, u.is_some())?;
                Some(item)
            }
        };
        Ok(new)
    }
}

/// Runs `ops` atomically. On refusal, returns each op's refusal (`None` for ops that would have
/// been applied) and writes nothing.
pub fn execute(
    g: &Gateway,
    ops: &[WriteOp],
    gate: Gate,
) -> DResult<Result<Vec<Outcome>, Vec<Option<Refusal>>>> {
    let mut stripes: Vec<usize> =
        ops.iter().map(|op| g.locks.stripe(op.table.ks.name(), &op.key)).collect();
    // A table with local indexes: the item's collection size too (a table's local indexes are
    // made with it, so `op.table` knows whether it has them).
    stripes.extend(ops.iter().filter_map(|op| collections::stripe(g, &op.table, &op.key)));
    let _held = g.locks.lock(stripes);
    // The tables as they are now that the items are locked: an index added since the request
    // looked its table up (and being backfilled, item by item under these locks) is written
    // too, and one being deleted is not.
    let tables: Vec<Arc<Table>> = ops
        .iter()
        .map(|op| {
            g.catalog
                .get(&op.table.meta.name)
                .filter(|t| t.ks.name() == op.table.ks.name())
                .unwrap_or_else(|| Arc::clone(&op.table))
        })
        .collect();
    let mut outcomes = Vec::with_capacity(ops.len());
    let mut refusals: Vec<Option<Refusal>> = Vec::with_capacity(ops.len());
    let mut refused = false;
    for (op, table) in ops.iter().zip(&tables) {
        let old = g.read_item(&op.table.ks, &op.key)?;
        match op.decide(table, old.as_ref()) {
            Ok(new) => {
                outcomes.push(Outcome { old, new, ..Outcome::default() });
                refusals.push(None);
            }
            Err(r) => {
                refused = true;
                refusals.push(Some(r));
            }
        }
    }
    if refused {
        charge_failed_condition(g, ops, &tables, &refusals, gate);
        return Ok(Err(refusals));
    }
    let mut batch = WriteBatch::new();
    if let Err(full) = collections::account(g, ops, &tables, &mut outcomes, &mut batch)? {
        let mut refusals: Vec<Option<Refusal>> = ops.iter().map(|_| None).collect();
        if let Some(r) = refusals.get_mut(full) {
            *r = Some(Refusal::Invalid(DynamoError::ItemCollectionSizeLimitExceeded));
        }
        return Ok(Err(refusals));
    }
    // The sequence numbers of the stream records in the batch, released when it has landed.
    let mut tickets = Vec::new();
    let now_ms = stream::now_ms();
    for ((op, out), table) in ops.iter().zip(&mut outcomes).zip(&tables) {
        // A check writes nothing; neither does a change from no item to no item (a delete or
        // a removing update of a missing item).
        if matches!(op.action, Action::Check) || (out.old.is_none() && out.new.is_none()) {
            continue;
        }
        match &out.new {
            Some(item) => batch.put(&op.table.ks, &op.key, &item_codec::encode(item)),
            None => batch.delete(&op.table.ks, &op.key),
        };
        out.index_units = index_changes(table, &op.key, out, &mut batch);
        tickets.extend(stream_record(g, table, op, out, now_ms, &mut batch)?);
    }
    // Capacity is charged once every op's units are known, before anything is written: a
    // throttled request changes nothing (its stream records' numbers are released unused).
    if let Err(refusals) = charge(g, ops, &tables, &outcomes, gate) {
        return Ok(Err(refusals));
    }
    if !batch.is_empty() {
        if let Err(e) = g.db.write(batch, g.write_options()) {
            // A batch refused outright (its table dropped) never lands; one that failed on
            // I/O may still be replayed from the WAL: its records' numbers stay in flight.
            if !matches!(e, shale_engine::Error::KeyspaceDropped(_)) {
                tickets.into_iter().for_each(Ticket::keep);
            }
            return Err(e.into());
        }
    }
    drop(tickets);
    Ok(Ok(outcomes))
}

/// A single-item write whose condition failed consumes write capacity all the same, as in
/// DynamoDB: the units of the item as it is (one when there is none). It is charged (not
/// admitted: the request has already failed) unless the write is free.
fn charge_failed_condition(
    g: &Gateway,
    ops: &[WriteOp],
    tables: &[Arc<Table>],
    refusals: &[Option<Refusal>],
    gate: Gate,
) {
    let ([_], [table], [Some(Refusal::Condition(old))]) = (ops, tables, refusals) else { return };
    if matches!(gate, Gate::Free) {
        return;
    }
    let units = write_units(old.as_ref().map_or(0, item_size));
    g.capacity.take(&table.meta, Kind::Write, &Consumed::writes(units));
}

/// Charges the ops' write capacity per `gate`, table by table; on a throttled table, its ops
/// are refused.
fn charge(
    g: &Gateway,
    ops: &[WriteOp],
    tables: &[Arc<Table>],
    outcomes: &[Outcome],
    gate: Gate,
) -> Result<(), Vec<Option<Refusal>>> {
    let factor = match gate {
        Gate::Free => return Ok(()),
        Gate::Admit(k) => k,
        Gate::Take => 1.0,
    };
    // Each table's ops' consumption (a request names few tables: a list serves).
    let mut per_table: Vec<(&Arc<Table>, Consumed)> = Vec::new();
    for (out, table) in outcomes.iter().zip(tables) {
        let c = out.consumed().times(factor);
        match per_table.iter_mut().find(|(t, _)| t.ks.name() == table.ks.name()) {
            Some((_, sum)) => sum.add(&c),
            None => per_table.push((table, c)),
        }
    }
    for (i, (table, consumed)) in per_table.iter().enumerate() {
        let refused = match gate {
            Gate::Admit(_) => g.capacity.admit_write(&table.meta, consumed).err(),
            _ => {
                g.capacity.take(&table.meta, Kind::Write, consumed);
                None
            }
        };
        if let Some(t) = refused {
            // The tables admitted before this one give their units back.
            for (t, c) in per_table.iter().take(i) {
                g.capacity.give_back(&t.meta, Kind::Write, c);
            }
            return Err(ops
                .iter()
                .map(|op| {
                    (op.table.ks.name() == table.ks.name()).then(|| Refusal::Throttled(t.clone()))
                })
                .collect());
        }
    }
    Ok(())
}

/// Adds to `batch` the stream record of the change `out` that `op` made, when `table` has an
/// enabled stream and the item changed; returns the record's sequence number, held until the
/// batch has landed.
fn stream_record(
    g: &Gateway,
    table: &Table,
    op: &WriteOp,
    out: &Outcome,
    now_ms: u64,
    batch: &mut WriteBatch,
) -> DResult<Option<Ticket>> {
    let Some(live) = g.streams.writer(&table.meta)? else { return Ok(None) };
    let by_ttl = matches!(op.action, Action::Expire { .. });
    let Some(record) = Record::of_change(
        live.view,
        &op.key_item,
        out.old.as_ref(),
        out.new.as_ref(),
        now_ms,
        by_ttl,
    ) else {
        return Ok(None);
    };
    let partition = op.key.get(..key::partition_len(&op.key)).unwrap_or(&op.key);
    let Some(ticket) = live.begin(&g.db, partition)? else { return Ok(None) };
    batch.put(ticket.keyspace(), &ticket.key(), &record.encode());
    Ok(Some(ticket))
}

/// Adds to `batch` the index entries of `table` that the change `out` of the item under `key`
/// makes: the old entry goes when the item leaves the index or moves in it, the new one is
/// written when the item enters, moves, or changes what the index projects. Returns the write
/// units charged to each index changed.
pub(crate) fn index_changes(
    table: &Table,
    key: &[u8],
    out: &Outcome,
    batch: &mut WriteBatch,
) -> Vec<(String, IndexKind, f64)> {
    let meta = &table.meta;
    let mut charged = Vec::new();
    for (ix, ks) in table.indexes() {
        let mut units = 0.0;
        // An old item the index cannot hold (an index added over items of another type) has no
        // entry; a new one was checked by `decide`.
        fn entry<'i>(
            ix: &IndexMeta,
            key: &[u8],
            i: Option<&'i Item>,
        ) -> Option<(Vec<u8>, &'i Item)> {
            i.and_then(|i| Some((ix.entry_key(i, key).ok()??, i)))
        }
        let (old, new) = (entry(ix, key, out.old.as_ref()), entry(ix, key, out.new.as_ref()));
        if let Some((ok, o)) = &old {
            if new.as_ref().is_none_or(|(nk, _)| nk != ok) {
                batch.delete(ks, ok);
                units += write_units(item_size(&ix.project(meta, o)));
            }
        }
        if let Some((nk, item)) = new {
            let projected = ix.project(meta, item);
            let unchanged = old.is_some_and(|(ok, o)| ok == nk && ix.project(meta, o) == projected);
            if !unchanged {
                units += write_units(item_size(&projected));
                batch.put(ks, &nk, &item_codec::encode(&projected));
            }
        }
        if units > 0.0 {
            charged.push((ix.name.clone(), ix.kind, units));
        }
    }
    charged
}

/// Runs one op: a refused condition becomes `ConditionalCheckFailedException` (with the item
/// when `return_old` is set).
pub fn execute_one(g: &Gateway, op: WriteOp, return_old: bool, gate: Gate) -> DResult<Outcome> {
    match execute(g, std::slice::from_ref(&op), gate)? {
        Ok(mut outs) => outs.pop().ok_or_else(|| DynamoError::Internal("no outcome".into())),
        Err(mut refusals) => match refusals.pop().flatten() {
            Some(Refusal::Condition(item)) => Err(DynamoError::ConditionalCheckFailed {
                item: if return_old {
                    item.as_ref().map(crate::dynamodb::model::value::item_to_json)
                } else {
                    None
                },
            }),
            Some(Refusal::Invalid(e)) => Err(e),
            Some(Refusal::Throttled(t)) => Err(t.to_error()),
            None => Err(DynamoError::Internal("refused without a reason".into())),
        },
    }
}

/// PutItem's size check (before any lock is taken).
pub fn check_item_size(item: &Item) -> DResult<()> {
    if item_size(item) > ITEM_SIZE_MAX {
        return Err(validation("Item size has exceeded the maximum allowed size"));
    }
    Ok(())
}
