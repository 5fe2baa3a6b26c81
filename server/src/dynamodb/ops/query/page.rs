//! One page of a Query or Scan: the walk of an engine range of the source, bounded by `Limit`
//! (items evaluated, before the filter) and by 1 MB of items read, with the filter, the
//! projection, `Select`, and `ExclusiveStartKey`/`LastEvaluatedKey` paging.

use super::keys::top_level_attrs;
use super::source::Source;
use super::{Select, Walk};
use crate::bounds::{max_lower, min_upper};
use crate::dynamodb::capacity::{read_units, Consumed};
use crate::dynamodb::error::{validation, DResult};
use crate::dynamodb::expr::path::{projection, Step};
use crate::dynamodb::limits::PAGE_BYTES_MAX;
use crate::dynamodb::model::key;
use crate::dynamodb::model::value::{item_size, item_to_json, Item};
use crate::dynamodb::ops::{decode, Gateway};
use serde_json::{json, Map, Value as Json};
use shale_engine::IterOptions;
use std::ops::Bound;

/// Whether items read from `source` must be completed from the table: a local index that does
/// not hold an attribute the request returns or filters on (DynamoDB fetches those from the
/// table; a global index returns what it holds).
fn fetches(source: &Source, w: &Walk) -> bool {
    if source.holds_everything() || source.global_index().is_some() {
        return false;
    }
    let mut read: Vec<&str> = Vec::new();
    if let Some(f) = &w.parsed.filter {
        top_level_attrs(f, &mut read);
    }
    match (w.select, &w.parsed.projection) {
        (Select::All, _) => return true,
        (Select::Specific, Some(paths)) => {
            read.extend(paths.iter().filter_map(|p| match p.0.first() {
                Some(Step::Attr(a)) => Some(a.as_str()),
                _ => None,
            }))
        }
        _ => {}
    }
    read.iter().any(|a| !source.holds(a))
}

/// Walks `opts` in `source`, building the page; `segment` is a parallel Scan's
/// `(Segment, TotalSegments)`.
pub(super) fn page(
    g: &Gateway,
    source: &Source,
    w: &Walk,
    mut opts: IterOptions,
    segment: Option<(u64, u64)>,
) -> DResult<Json> {
    // A parallel Scan's segment is a part of the key space: the partitions whose position
    // (`key::partition_position`) falls in its share of the positions. It walks from the first
    // key that can hold its first position and stops at the first partition past its share.
    let share = segment.map(|(seg, total)| {
        let at =
            |s: u64| u64::try_from((u128::from(s) << 64) / u128::from(total)).unwrap_or(u64::MAX);
        (at(seg), (seg + 1 < total).then(|| at(seg + 1)))
    });
    if let Some(start) = &w.start {
        let k = source.start_key(start)?;
        // A segment's ExclusiveStartKey must be one of its own keys (DynamoDB's message, as
        // dynalite's test of a key from another segment records it).
        if let (Some((from, to)), Some((seg, total))) = (share, segment) {
            let position = key::partition_position(&k);
            if position < from || to.is_some_and(|to| position >= to) {
                return Err(validation(format!(
                    "The provided starting key is invalid: Invalid ExclusiveStartKey. Please use ExclusiveStartKey with correct Segment. TotalSegments: {total} Segment: {seg}"
                )));
            }
        }
        if opts.reverse {
            opts.upper = min_upper(opts.upper, Bound::Excluded(k));
        } else {
            opts.lower = max_lower(opts.lower, Bound::Excluded(k));
        }
    }
    if let Some((from, _)) = share {
        let tag = key::tag_of(source.hash().ty.name());
        opts.lower = max_lower(opts.lower, Bound::Included(key::position_lower_bound(tag, from)));
    }
    let fetch = fetches(source, w);
    g.admit_read(source.table, source.index.map(|(ix, _)| ix))?;
    // One snapshot for the index and the table items its entries are completed from.
    let snapshot = g.db.snapshot();
    let mut it = snapshot.iter(source.ks(), opts)?;
    // Bytes read from the source, and from the table to complete index entries.
    let (mut scanned, mut bytes, mut fetched_bytes) = (0usize, 0usize, 0usize);
    let mut items: Vec<Json> = Vec::new();
    let mut count = 0usize;
    // The last entry evaluated: `LastEvaluatedKey` is its key in the source.
    let mut last: Option<Item> = None;
    let mut more = false;
    while it.advance()? {
        if let Some((from, to)) = share {
            let position = key::partition_position(it.key());
            if position < from {
                continue;
            }
            if to.is_some_and(|to| position >= to) {
                break;
            }
        }
        if w.limit.is_some_and(|l| scanned >= l) || bytes + fetched_bytes >= PAGE_BYTES_MAX {
            more = true;
            break;
        }
        let entry = decode(it.value())?;
        scanned += 1;
        bytes += item_size(&entry);
        // The item evaluated, and (when completed from the table) the entry it came from.
        let (item, fetched_from) = if fetch {
            // The snapshot's index and table agree: an entry always has its item.
            let Some(item) = source.fetch(&snapshot, &entry)? else {
                last = Some(entry);
                continue;
            };
            fetched_bytes += item_size(&item);
            let item = if w.select == Select::Projected { source.projected(item) } else { item };
            (item, Some(entry))
        } else {
            (entry, None)
        };
        let passes = w.parsed.filter.as_ref().is_none_or(|f| f.eval(&item));
        if passes {
            count += 1;
            match (w.select, &w.parsed.projection) {
                (Select::Count, _) => {}
                (_, Some(p)) => items.push(item_to_json(&projection(&item, p))),
                (_, None) => items.push(item_to_json(&item)),
            }
        }
        last = Some(fetched_from.unwrap_or(item));
    }
    let mut out = Map::new();
    if w.select != Select::Count {
        out.insert("Items".into(), Json::Array(items));
    }
    out.insert("Count".into(), json!(count));
    out.insert("ScannedCount".into(), json!(scanned));
    if more {
        if let Some(last) = &last {
            out.insert("LastEvaluatedKey".into(), item_to_json(&source.last_key(last)));
        }
    }
    let table = &source.table.meta.name;
    let consumed = match source.index {
        None => Consumed::reads(read_units(bytes, w.consistent)),
        Some((ix, _)) => {
            // An index read charges the index; completing entries from the table, the table.
            let mut c = Consumed::reads(if fetched_bytes > 0 {
                read_units(fetched_bytes, w.consistent)
            } else {
                0.0
            });
            c.index(&ix.name, ix.kind, read_units(bytes, w.consistent));
            c
        }
    };
    g.charge_read(source.table, &consumed);
    if let Some(c) = consumed.to_json(table, w.mode) {
        out.insert("ConsumedCapacity".into(), c);
    }
    Ok(Json::Object(out))
}
