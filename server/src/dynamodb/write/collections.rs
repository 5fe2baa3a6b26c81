//! Item collections of tables with local secondary indexes: the items of one partition plus
//! their local index entries, whose size DynamoDB bounds (10 GB,
//! `ItemCollectionSizeLimitExceededException`) and reports (`ReturnItemCollectionMetrics`).
//!
//! Each collection's size is a counter in the table's collections keyspace, keyed by the
//! partition's key component. A write to such a table also locks the stripe of its partition's
//! counter (so writes to one partition update it one at a time), computes the change its item
//! makes, refuses it past the limit, and puts the new size in the same atomic batch as the item.

use super::{Outcome, WriteOp};
use crate::dynamodb::error::{DResult, DynamoError};
use crate::dynamodb::model::key;
use crate::dynamodb::model::value::{item_size, AttrValue, Item};
use crate::dynamodb::ops::Gateway;
use crate::dynamodb::schema::catalog::Table;
use crate::dynamodb::schema::index::IndexKind;
use shale_engine::WriteBatch;

/// An item collection's key and size after a write (for `ItemCollectionMetrics`).
#[derive(Debug, Clone, PartialEq)]
pub struct CollectionSize {
    /// The table's partition key attribute and its value.
    pub key: (String, AttrValue),
    pub bytes: u64,
}

/// The partition component of an item's engine key: its collection's counter key.
pub fn partition(key: &[u8]) -> &[u8] {
    key.get(..key::partition_len(key)).unwrap_or(key)
}

/// The bytes `item` counts for in its collection: its own size and its local index entries'.
pub(crate) fn item_bytes(table: &Table, key: &[u8], item: &Item) -> u64 {
    let entries: usize = table
        .indexes()
        .filter(|(ix, _)| ix.kind == IndexKind::Local)
        .filter(|(ix, _)| matches!(ix.entry_key(item, key), Ok(Some(_))))
        .map(|(ix, _)| item_size(&ix.project(&table.meta, item)))
        .sum();
    (item_size(item) + entries) as u64
}

/// The stripe an op on `table` locks for its collection's counter, if the table has one.
pub fn stripe(g: &Gateway, table: &Table, key: &[u8]) -> Option<usize> {
    let ks = table.collections_ks.as_ref()?;
    Some(g.locks.stripe(ks.name(), partition(key)))
}

/// Applies the size changes of the ops' outcomes to their collections (in op order): `Err` of
/// the first op that would take its collection past the limit; otherwise each outcome gets its
/// collection's new size and `batch` the new counters.
pub fn account(
    g: &Gateway,
    ops: &[WriteOp],
    tables: &[std::sync::Arc<Table>],
    outcomes: &mut [Outcome],
    batch: &mut WriteBatch,
) -> DResult<Result<(), usize>> {
    // The running size of each collection touched, by (counter keyspace, partition), with the
    // size stored before.
    let mut sizes: Vec<(String, Vec<u8>, u64, u64)> = Vec::new();
    for (i, ((op, table), out)) in ops.iter().zip(tables).zip(outcomes.iter_mut()).enumerate() {
        // A ConditionCheck changes nothing, and reports no collection.
        if matches!(op.action, super::Action::Check) {
            continue;
        }
        let Some(ks) = &table.collections_ks else { continue };
        let part = partition(&op.key);
        let pos = match sizes.iter().position(|(k, p, _, _)| k == ks.name() && p == part) {
            Some(p) => p,
            None => {
                let stored = match g.db.get(ks, part)? {
                    None => 0,
                    Some(v) => u64::from_le_bytes(v.as_slice().try_into().map_err(|_| {
                        DynamoError::Internal("an item collection's size is corrupt".into())
                    })?),
                };
                sizes.push((ks.name().to_string(), part.to_vec(), stored, stored));
                sizes.len() - 1
            }
        };
        let before = out.old.as_ref().map_or(0, |o| item_bytes(table, &op.key, o));
        let after = out.new.as_ref().map_or(0, |n| item_bytes(table, &op.key, n));
        let Some(entry) = sizes.get_mut(pos) else { continue };
        debug_assert!(entry.2 >= before, "an item collection's size is below one of its items'");
        if entry.2 < before {
            tracing::warn!(
                "table {}: an item collection's stored size ({}) is below its item's ({before})",
                table.meta.name,
                entry.2
            );
        }
        let total = entry.2.saturating_sub(before).saturating_add(after);
        if after > before && total > g.opts.item_collection_bytes_max {
            return Ok(Err(i));
        }
        entry.2 = total;
        let hash = &table.meta.hash.name;
        let value = out.new.as_ref().or(out.old.as_ref()).and_then(|i| i.get(hash));
        let value = value.or_else(|| op.key_item.get(hash)).cloned();
        out.collection = value.map(|v| CollectionSize { key: (hash.clone(), v), bytes: total });
    }
    for (ks_name, part, total, stored) in sizes {
        if total == stored {
            continue;
        }
        let Some(ks) =
            tables.iter().filter_map(|t| t.collections_ks.as_ref()).find(|k| k.name() == ks_name)
        else {
            continue;
        };
        if total == 0 {
            batch.delete(ks, &part);
        } else {
            batch.put(ks, &part, &total.to_le_bytes());
        }
    }
    Ok(Ok(()))
}

/// A multi-item write's `ItemCollectionMetrics`: table name → the metrics of each collection
/// written (tables with local indexes), or `None` when there is none.
pub fn per_table_json(ops: &[WriteOp], outcomes: &[Outcome]) -> Option<serde_json::Value> {
    let mut out = serde_json::Map::new();
    for (op, o) in ops.iter().zip(outcomes) {
        if let Some(c) = &o.collection {
            let list = out
                .entry(op.table.meta.name.clone())
                .or_insert_with(|| serde_json::Value::Array(Vec::new()));
            if let serde_json::Value::Array(l) = list {
                l.push(metrics_json(c));
            }
        }
    }
    (!out.is_empty()).then_some(serde_json::Value::Object(out))
}

/// `ItemCollectionMetrics` of a write: the collection's key and DynamoDB's size estimate
/// range, in GB.
pub fn metrics_json(c: &CollectionSize) -> serde_json::Value {
    let gb = c.bytes as f64 / (1024.0 * 1024.0 * 1024.0);
    let low = gb.floor();
    serde_json::json!({
        "ItemCollectionKey": { (c.key.0.clone()): c.key.1.to_json() },
        "SizeEstimateRangeGB": [low, low + 1.0],
    })
}
