//! The TTL expirer: a thread that deletes the items whose Time to Live has passed.
//!
//! Every `--ttl-scan-interval` it walks the tables with TTL enabled, resuming each where it
//! stopped, examining at most `ttl_items_per_sec × interval` items a pass over all tables (so
//! a large table is walked incrementally at a bounded rate). An item expires when its TTL
//! attribute is a Number of epoch seconds in the past, but not more than five years in the
//! past (DynamoDB's rule); anything else (a string, a future time) never expires.
//!
//! Each expired item is deleted through the one write path ([`crate::dynamodb::write`]), one
//! item at a time under its lock, on the condition that its TTL attribute still holds the value
//! found: its index entries go with it, and its stream record is a REMOVE with DynamoDB's
//! service as `userIdentity`. Until then an expired item still reads as present, as in
//! DynamoDB. The expirer holds the gateway weakly and stops when it is dropped.

use crate::dynamodb::error::DynamoError;
use crate::dynamodb::limits::TTL_PAST_MAX_SECS;
use crate::dynamodb::model::value::{AttrValue, Item};
use crate::dynamodb::ops::{decode, now_secs, Gateway};
use crate::dynamodb::schema::catalog::Table;
use crate::dynamodb::write::{execute_one, Action, Gate, WriteOp};
use shale_engine::IterOptions;
use std::collections::HashMap;
use std::ops::Bound;
use std::sync::{Arc, Weak};
use std::time::Duration;

/// Whether an item whose TTL attribute holds `v` has expired at `now` (epoch seconds).
pub fn expired(v: &AttrValue, now: f64) -> bool {
    let AttrValue::N(n) = v else { return false };
    let Ok(t) = n.to_text().parse::<f64>() else { return false };
    t <= now && t >= now - TTL_PAST_MAX_SECS
}

/// Where the expirer stopped in each table (by item keyspace): the last key examined.
type Cursors = HashMap<String, Vec<u8>>;

/// One pass: examines at most `budget` items over the tables with TTL, deleting the expired
/// ones. Returns how many it deleted.
pub fn pass(g: &Gateway, cursors: &mut Cursors, budget: usize, now: f64) -> usize {
    let mut left = budget;
    let mut deleted = 0;
    let tables = g.catalog.tables();
    for meta in &tables {
        let Some(attribute) = meta.ttl.as_ref().and_then(|t| t.attribute.clone()) else {
            continue;
        };
        let Some(table) = g.catalog.get(&meta.name) else { continue };
        if left == 0 {
            break;
        }
        match expire_table(g, &table, &attribute, cursors, &mut left, now) {
            Ok(n) => deleted += n,
            Err(e) => tracing::warn!("TTL expiry of table {}: {}", meta.name, e.message()),
        }
    }
    cursors.retain(|ks, _| tables.iter().any(|t| &t.keyspace == ks));
    deleted
}

fn expire_table(
    g: &Gateway,
    table: &Arc<Table>,
    attribute: &str,
    cursors: &mut Cursors,
    left: &mut usize,
    now: f64,
) -> Result<usize, DynamoError> {
    let lower = match cursors.get(table.ks.name()) {
        Some(k) => Bound::Excluded(k.clone()),
        None => Bound::Unbounded,
    };
    let mut found: Vec<(Vec<u8>, Item, AttrValue)> = Vec::new();
    let mut it =
        g.db.iter(&table.ks, IterOptions { lower, upper: Bound::Unbounded, reverse: false })?;
    let mut last = None;
    let mut finished = true;
    while *left > 0 {
        if !it.advance()? {
            break;
        }
        *left -= 1;
        let item = decode(it.value())?;
        if let Some(v) = item.get(attribute).filter(|v| expired(v, now)) {
            found.push((it.key().to_vec(), table.meta.key_attrs(&item), v.clone()));
        }
        if *left == 0 {
            // The budget is spent: the next pass resumes after this key.
            finished = false;
            last = Some(it.key().to_vec());
        }
    }
    drop(it);
    match (finished, last) {
        (false, Some(k)) => {
            cursors.insert(table.ks.name().to_string(), k);
        }
        _ => {
            // The end of the table: the next pass starts over.
            cursors.remove(table.ks.name());
        }
    }
    let mut deleted = 0;
    let cells = g.metrics.table(&table.meta.name);
    for (key, key_item, value) in found {
        let op = WriteOp {
            table: Arc::clone(table),
            key,
            key_item,
            condition: None,
            action: Action::Expire { attribute: attribute.to_string(), value },
        };
        match execute_one(g, op, false, Gate::Free) {
            Ok(_) => {
                deleted += 1;
                if g.metrics.is_on() {
                    cells.ttl_deleted.add(1.0);
                }
            }
            // Changed since it was found (a new TTL, deleted): it stays as it is.
            Err(DynamoError::ConditionalCheckFailed { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(deleted)
}

/// Starts the expirer over `gateway`: a pass every `interval` until the gateway is dropped.
pub fn start(gateway: &Arc<Gateway>) {
    let weak: Weak<Gateway> = Arc::downgrade(gateway);
    let interval = gateway.opts.ttl_scan_interval.max(Duration::from_millis(10));
    let per_sec = gateway.opts.ttl_items_per_sec.max(1);
    let budget = usize::try_from((per_sec as f64 * interval.as_secs_f64()).ceil().max(1.0) as u64)
        .unwrap_or(usize::MAX);
    let spawned = std::thread::Builder::new().name("shale-ttl".into()).spawn(move || {
        let mut cursors = Cursors::new();
        // Wakes often enough to notice the gateway has gone.
        let step = interval.min(Duration::from_millis(200));
        let mut waited = Duration::ZERO;
        loop {
            std::thread::sleep(step);
            waited += step;
            let Some(g) = weak.upgrade() else { return };
            if waited < interval {
                continue;
            }
            waited = Duration::ZERO;
            let n = pass(&g, &mut cursors, budget, now_secs());
            if n > 0 {
                tracing::debug!("TTL expirer deleted {n} items");
            }
        }
    });
    if spawned.is_err() {
        tracing::error!("could not start the TTL expirer: expired items will not be deleted");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dynamodb::model::number::Number;

    #[test]
    fn what_expires() {
        let n = |s: &str| AttrValue::N(Number::parse(s).unwrap());
        let now = 1_800_000_000.0;
        assert!(expired(&n("1799999999"), now));
        assert!(expired(&n("1800000000"), now));
        assert!(expired(&n("179999999.9e1"), now));
        assert!(!expired(&n("1800000001"), now), "in the future");
        assert!(!expired(&n("1"), now), "more than five years ago");
        assert!(!expired(&AttrValue::S("1".into()), now), "not a number");
    }
}
