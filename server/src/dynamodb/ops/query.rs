//! Query and Scan: one engine range walk, pages bounded by `Limit` (items evaluated, before the
//! filter) and by 1 MB of items read, `ExclusiveStartKey`/`LastEvaluatedKey` paging, filters,
//! projections and `Select`.
//!
//! Query turns the key condition into one engine range: the partition's prefix
//! ([`key::partition_prefix`]) narrowed by the sort-key condition, whose order-preserving
//! encoding makes `<`, `BETWEEN` and `begins_with` plain byte ranges. Scan walks the table;
//! a parallel Scan's segment holds the partitions whose key hashes to it.
//!
//! `LastEvaluatedKey` is returned only when an item remains past the page (DynamoDB may also
//! return one when the page ends exactly at the last item).

use crate::bounds::{max_lower, min_upper};
use crate::dynamodb::capacity::{read_units, Consumed, Mode};
use crate::dynamodb::error::{validation, DResult};
use crate::dynamodb::expr::path::projection;
use crate::dynamodb::expr::path::{Path, Step};
use crate::dynamodb::expr::{Condition, KeyOp, Operand};
use crate::dynamodb::limits::{PAGE_BYTES_MAX, TOTAL_SEGMENTS_MAX};
use crate::dynamodb::model::key;
use crate::dynamodb::model::value::{item_size, item_to_json, AttrValue, Item};
use crate::dynamodb::ops::params::{ExprMembers, Expressions, Parsed};
use crate::dynamodb::ops::{decode, Gateway, Input};
use crate::dynamodb::request::member::Str;
use crate::dynamodb::request::{shapes, table_name, Constraints};
use crate::dynamodb::schema::catalog::Table;
use crate::dynamodb::schema::table::KeyAttr;
use serde_json::{json, Map, Value as Json};
use shale_engine::IterOptions;
use std::ops::Bound;

/// `Select`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Select {
    All,
    Specific,
    Count,
}

/// What Query and Scan share.
struct Walk {
    select: Select,
    limit: Option<usize>,
    consistent: bool,
    mode: Mode,
    parsed: Parsed,
    start: Option<Item>,
}

/// Reads what Query and Scan share (taking those members out of `w`); `query`: whether it is a
/// Query's (with its key conditions) or a Scan's.
fn read_walk(w: &mut shapes::Walk, query: bool) -> DResult<Walk> {
    use std::mem::take;
    let mut c = Constraints::default();
    let limit = take(&mut w.limit).get("Limit")?;
    c.range("limit", limit, 1, i64::MAX);
    let select = take(&mut w.select).get("Select")?;
    let select = select.as_deref();
    c.one_of(
        "select",
        select,
        &["ALL_ATTRIBUTES", "ALL_PROJECTED_ATTRIBUTES", "SPECIFIC_ATTRIBUTES", "COUNT"],
    );
    c.finish()?;
    let consistent = take(&mut w.consistent_read).get("ConsistentRead")?.unwrap_or(false);
    let mode = Mode::read(take(&mut w.return_consumed_capacity))?;
    let (names, values) =
        (take(&mut w.expression_attribute_names), take(&mut w.expression_attribute_values));
    let (filter, projection) = (take(&mut w.filter_expression), take(&mut w.projection_expression));
    let (attributes_to_get, op) =
        (take(&mut w.attributes_to_get), take(&mut w.conditional_operator));
    let ex = if query {
        Expressions::read(ExprMembers {
            names,
            values,
            expressions: [
                ("KeyConditionExpression", take(&mut w.key_condition_expression)),
                ("FilterExpression", filter),
                ("ProjectionExpression", projection),
            ],
            legacy: [
                ("KeyConditions", take(&mut w.key_conditions)),
                ("QueryFilter", take(&mut w.query_filter)),
                ("AttributesToGet", attributes_to_get),
            ],
            conditional_operator: op,
        })?
    } else {
        Expressions::read(ExprMembers {
            names,
            values,
            expressions: [("FilterExpression", filter), ("ProjectionExpression", projection)],
            legacy: [
                ("ScanFilter", take(&mut w.scan_filter)),
                ("AttributesToGet", attributes_to_get),
            ],
            conditional_operator: op,
        })?
    };
    let parsed = ex.parse()?;
    let has_projection = parsed.projection.is_some();
    let select = match select {
        None if has_projection => Select::Specific,
        None | Some("ALL_ATTRIBUTES") => {
            if has_projection {
                return Err(validation(
                    "Cannot specify the ProjectionExpression when choosing to get ALL_ATTRIBUTES",
                ));
            }
            Select::All
        }
        Some("ALL_PROJECTED_ATTRIBUTES") => {
            return Err(validation(
                "One or more parameter values were invalid: Select type ALL_PROJECTED_ATTRIBUTES is supported only for index queries",
            ));
        }
        Some("COUNT") => {
            if has_projection {
                return Err(validation(
                    "Cannot specify the ProjectionExpression when choosing to get COUNT",
                ));
            }
            Select::Count
        }
        _ => {
            if !has_projection {
                return Err(validation(
                    "One or more parameter values were invalid: SPECIFIC_ATTRIBUTES must be specified with a ProjectionExpression or AttributesToGet",
                ));
            }
            Select::Specific
        }
    };
    let start = take(&mut w.exclusive_start_key).get("ExclusiveStartKey")?.transpose()?;
    Ok(Walk { select, limit: limit.map(|l| l as usize), consistent, mode, parsed, start })
}

/// Secondary indexes come with a later issue: every index name is unknown for now.
fn no_index(index_name: Option<&str>) -> DResult<()> {
    if let Some(ix) = index_name {
        return Err(validation(format!("The table does not have the specified index: {ix}")));
    }
    Ok(())
}

fn start_key(table: &Table, start: &Item) -> DResult<Vec<u8>> {
    table.meta.key_of_key(start).map_err(|_| {
        validation("The provided starting key is invalid: The provided key element does not match the schema")
    })
}

/// Walks `opts`, building the page.
fn page(
    g: &Gateway,
    table: &Table,
    w: &Walk,
    mut opts: IterOptions,
    segment: Option<(u64, u64)>,
) -> DResult<Json> {
    if let Some(start) = &w.start {
        let k = start_key(table, start)?;
        if opts.reverse {
            opts.upper = min_upper(opts.upper, Bound::Excluded(k));
        } else {
            opts.lower = max_lower(opts.lower, Bound::Excluded(k));
        }
    }
    let mut it = g.db.iter(&table.ks, opts)?;
    let (mut scanned, mut bytes) = (0usize, 0usize);
    let mut items: Vec<Json> = Vec::new();
    let mut count = 0usize;
    let mut last: Option<Item> = None;
    let mut more = false;
    while it.advance()? {
        if let Some((seg, total)) = segment {
            let k = it.key();
            let p = k.get(..key::partition_len(k)).unwrap_or(k);
            if xxhash_rust::xxh3::xxh3_64(p) % total != seg {
                continue;
            }
        }
        if w.limit.is_some_and(|l| scanned >= l) || bytes >= PAGE_BYTES_MAX {
            more = true;
            break;
        }
        let item = decode(it.value())?;
        scanned += 1;
        bytes += item_size(&item);
        let passes = w.parsed.filter.as_ref().is_none_or(|f| f.eval(&item));
        if passes {
            count += 1;
            match (w.select, &w.parsed.projection) {
                (Select::Count, _) => {}
                (_, Some(p)) => items.push(item_to_json(&projection(&item, p))),
                (_, None) => items.push(item_to_json(&item)),
            }
        }
        last = Some(item);
    }
    let mut out = Map::new();
    if w.select != Select::Count {
        out.insert("Items".into(), Json::Array(items));
    }
    out.insert("Count".into(), json!(count));
    out.insert("ScannedCount".into(), json!(scanned));
    if more {
        if let Some(last) = &last {
            out.insert("LastEvaluatedKey".into(), item_to_json(&table.meta.key_attrs(last)));
        }
    }
    if let Some(c) =
        Consumed::reads(read_units(bytes, w.consistent)).to_json(&table.meta.name, w.mode)
    {
        out.insert("ConsumedCapacity".into(), c);
    }
    Ok(Json::Object(out))
}

fn type_matches(attr: &KeyAttr, v: &AttrValue) -> bool {
    attr.ty.name() == v.type_name()
}

fn schema_mismatch() -> crate::dynamodb::error::DynamoError {
    validation("One or more parameter values were invalid: Condition parameter type does not match schema type")
}

/// The engine range a key condition selects.
fn key_range(table: &Table, conds: &[(String, KeyOp)]) -> DResult<IterOptions> {
    let meta = &table.meta;
    let missed =
        || validation(format!("Query condition missed key schema element: {}", meta.hash.name));
    let mut hash: Option<&AttrValue> = None;
    let mut range: Option<&KeyOp> = None;
    for (name, op) in conds {
        if *name == meta.hash.name {
            match op {
                KeyOp::Eq(v) if hash.is_none() => hash = Some(v),
                _ => return Err(validation("Query key condition not supported")),
            }
        } else if meta.range.as_ref().is_some_and(|r| r.name == *name) && range.is_none() {
            range = Some(op);
        } else if meta.range.as_ref().is_some_and(|r| r.name == *name) {
            return Err(validation("Query key condition not supported"));
        } else {
            return Err(match meta.range.as_ref() {
                Some(r) if hash.is_some() || conds.len() > 1 => validation(format!(
                    "Query condition missed key schema element: {}",
                    if conds.iter().any(|(n, _)| *n == meta.hash.name) {
                        &r.name
                    } else {
                        &meta.hash.name
                    }
                )),
                _ => missed(),
            });
        }
    }
    let hash = hash.ok_or_else(missed)?;
    if !type_matches(&meta.hash, hash) {
        return Err(schema_mismatch());
    }
    let prefix = key::partition_prefix(hash)?;
    let partition = IterOptions::prefix(prefix.clone());
    let (Some(op), Some(rattr)) = (range, meta.range.as_ref()) else {
        return Ok(partition);
    };
    let end = partition.upper;
    let at = |v: &AttrValue| -> DResult<Vec<u8>> {
        if !type_matches(rattr, v) {
            return Err(schema_mismatch());
        }
        let mut k = prefix.clone();
        k.extend(key::sort_component(v)?);
        Ok(k)
    };
    let start = Bound::Included(prefix.clone());
    let (lower, upper) = match op {
        KeyOp::Eq(v) => (Bound::Included(at(v)?), Bound::Included(at(v)?)),
        KeyOp::Lt(v) => (start, Bound::Excluded(at(v)?)),
        KeyOp::Le(v) => (start, Bound::Included(at(v)?)),
        KeyOp::Gt(v) => (Bound::Excluded(at(v)?), end),
        KeyOp::Ge(v) => (Bound::Included(at(v)?), end),
        KeyOp::Between(a, b) => {
            let (ka, kb) = (at(a)?, at(b)?);
            if ka > kb {
                return Err(validation(format!(
                    "Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {{{}:{}}}, upper bound operand: AttributeValue: {{{}:{}}}",
                    a.type_name(), short(a), b.type_name(), short(b)
                )));
            }
            (Bound::Included(ka), Bound::Included(kb))
        }
        KeyOp::BeginsWith(v) => {
            if matches!(v, AttrValue::N(_)) || rattr.ty.name() == "N" {
                return Err(validation(format!(
                    "Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: {}",
                    v.type_name()
                )));
            }
            // The items whose sort key starts with v: a prefix range inside the partition.
            let within = IterOptions::prefix(at(v)?);
            (within.lower, within.upper)
        }
    };
    Ok(IterOptions { lower, upper, reverse: false })
}

/// The top-level attributes a condition reads.
fn top_level_attrs<'c>(c: &'c Condition, out: &mut Vec<&'c str>) {
    fn operand<'c>(o: &'c Operand, out: &mut Vec<&'c str>) {
        if let Operand::Path(p) | Operand::Size(p) = o {
            path(p, out);
        }
    }
    fn path<'c>(p: &'c Path, out: &mut Vec<&'c str>) {
        if let Some(Step::Attr(a)) = p.0.first() {
            out.push(a);
        }
    }
    match c {
        Condition::Compare(a, _, b) | Condition::BeginsWith(a, b) | Condition::Contains(a, b) => {
            operand(a, out);
            operand(b, out);
        }
        Condition::Between(a, b, c) => {
            for o in [a, b, c] {
                operand(o, out);
            }
        }
        Condition::In(a, list) => {
            operand(a, out);
            list.iter().for_each(|o| operand(o, out));
        }
        Condition::And(a, b) | Condition::Or(a, b) => {
            top_level_attrs(a, out);
            top_level_attrs(b, out);
        }
        Condition::Not(a) => top_level_attrs(a, out),
        Condition::AttributeExists(p) | Condition::AttributeNotExists(p) => path(p, out),
        Condition::AttributeType(p, o) => {
            path(p, out);
            operand(o, out);
        }
        Condition::True => {}
    }
}

fn short(v: &AttrValue) -> String {
    match v {
        AttrValue::S(s) => s.clone(),
        AttrValue::N(n) => n.to_text(),
        AttrValue::B(b) => format!("{} bytes", b.len()),
        other => other.type_name().to_string(),
    }
}

/// Query's input, decoded and checked before the handler runs.
pub struct QueryInput<'a> {
    table_name: Str<'a>,
    walk: Walk,
    scan_index_forward: bool,
    key_conditions: Vec<(String, KeyOp)>,
    index_name: Option<Str<'a>>,
}

impl<'a> Input<'a> for QueryInput<'a> {
    type Shape = shapes::Walk<'a>;

    fn decode(mut w: shapes::Walk<'a>) -> DResult<Self> {
        let table_name = table_name(std::mem::take(&mut w.table_name))?;
        let mut walk = read_walk(&mut w, true)?;
        let scan_index_forward = w.scan_index_forward.get("ScanIndexForward")?.unwrap_or(true);
        let Some(key_conditions) = walk.parsed.key_condition.take() else {
            return Err(validation("Either the KeyConditions or KeyConditionExpression parameter must be specified in the request."));
        };
        let index_name = w.index_name.get("IndexName")?;
        Ok(QueryInput { table_name, walk, scan_index_forward, key_conditions, index_name })
    }
}

pub fn query(g: &Gateway, input: QueryInput) -> DResult<Json> {
    let QueryInput { table_name, walk: w, scan_index_forward, key_conditions: conds, index_name } =
        input;
    let table = g.table(&table_name)?;
    no_index(index_name.as_deref())?;
    let key_count = 1 + usize::from(table.meta.range.is_some());
    if conds.len() > key_count {
        return Err(validation(format!(
            "The number of query conditions ({}) exceeds the number of key attributes defined in the schema ({key_count})",
            conds.len()
        )));
    }
    if let Some(f) = &w.parsed.filter {
        let mut attrs = Vec::new();
        top_level_attrs(f, &mut attrs);
        if let Some(k) = attrs.iter().find(|a| table.meta.is_key_attr(a)) {
            return Err(validation(format!(
                "Filter Expression can only contain non-primary key attributes: Primary key attribute: {k}"
            )));
        }
    }
    let mut opts = key_range(&table, &conds)?;
    opts.reverse = !scan_index_forward;
    page(g, &table, &w, opts, None)
}

/// Scan's input, decoded and checked before the handler runs.
pub struct ScanInput<'a> {
    table_name: Str<'a>,
    /// `(Segment, TotalSegments)` of a parallel scan.
    segment: Option<(u64, u64)>,
    walk: Walk,
    index_name: Option<Str<'a>>,
}

impl<'a> Input<'a> for ScanInput<'a> {
    type Shape = shapes::Walk<'a>;

    fn decode(mut w: shapes::Walk<'a>) -> DResult<Self> {
        let table_name = table_name(std::mem::take(&mut w.table_name))?;
        let mut c = Constraints::default();
        let segment = std::mem::take(&mut w.segment).get("Segment")?;
        let total = std::mem::take(&mut w.total_segments).get("TotalSegments")?;
        c.range("segment", segment, 0, TOTAL_SEGMENTS_MAX - 1);
        c.range("totalSegments", total, 1, TOTAL_SEGMENTS_MAX);
        c.finish()?;
        let segment = match (segment, total) {
            (None, None) => None,
            (Some(_), None) => {
                return Err(validation("The TotalSegments parameter is required but was not present in the request when Segment parameter is present"));
            }
            (None, Some(_)) => {
                return Err(validation("The Segment parameter is required but was not present in the request when parameter TotalSegments is present"));
            }
            (Some(s), Some(t)) => {
                if s >= t {
                    return Err(validation(format!(
                        "The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: {s} is not less than TotalSegments: {t}"
                    )));
                }
                Some((s as u64, t as u64))
            }
        };
        let walk = read_walk(&mut w, false)?;
        let index_name = w.index_name.get("IndexName")?;
        Ok(ScanInput { table_name, segment, walk, index_name })
    }
}

pub fn scan(g: &Gateway, input: ScanInput) -> DResult<Json> {
    let table = g.table(&input.table_name)?;
    no_index(input.index_name.as_deref())?;
    page(g, &table, &input.walk, IterOptions::all(), input.segment)
}
