//! Query and Scan, of a table or of one of its secondary indexes ([`source`]): one engine
//! range walk ([`page`]), pages bounded by `Limit` (items evaluated, before the filter) and by
//! 1 MB of items read, `ExclusiveStartKey`/`LastEvaluatedKey` paging, filters, projections and
//! `Select`.
//!
//! Query turns the key condition into one engine range ([`keys`]). Scan walks the table or
//! index; a parallel Scan's segment holds the partitions whose key hashes to it.
//!
//! `LastEvaluatedKey` is returned only when an item remains past the page (DynamoDB may also
//! return one when the page ends exactly at the last item).

mod keys;
mod page;
mod source;

use crate::dynamodb::access;
use crate::dynamodb::capacity::Mode;
use crate::dynamodb::error::{validation, DResult};
use crate::dynamodb::expr::KeyOp;
use crate::dynamodb::limits::TOTAL_SEGMENTS_MAX;
use crate::dynamodb::model::value::Item;
use crate::dynamodb::ops::params::{ExprMembers, Expressions, Parsed};
use crate::dynamodb::ops::{Gateway, Input};
use crate::dynamodb::request::member::{Member, Str};
use crate::dynamodb::request::{shapes, table_name, Constraints};
use crate::iam::caller::Caller;
use keys::{key_range, top_level_attrs};
use page::page;
use serde_json::Value as Json;
use shale_engine::IterOptions;
use source::Source;

/// `Select`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Select {
    /// Every attribute of the item (from the table, for an index that does not hold them all).
    All,
    /// What the index holds.
    Projected,
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

impl Walk {
    /// The condition keys a Query or Scan gives: Select, the projection's attributes and
    /// ReturnConsumedCapacity.
    fn keys(&self) -> access::Keys {
        let mut k = access::Keys {
            select: Some(match self.select {
                Select::All => "ALL_ATTRIBUTES",
                Select::Projected => "ALL_PROJECTED_ATTRIBUTES",
                Select::Specific => "SPECIFIC_ATTRIBUTES",
                Select::Count => "COUNT",
            }),
            return_consumed_capacity: Some(access::mode_name(self.mode)),
            ..access::Keys::default()
        };
        if let Some(p) = &self.parsed.projection {
            k.paths(p);
        }
        k
    }
}

impl QueryInput<'_> {
    fn authorize_on(
        &self,
        g: &Gateway,
        caller: &Caller,
        action: &str,
        k: access::Keys,
    ) -> DResult<()> {
        authorize_walk(g, caller, action, &self.table_name, self.index_name.as_deref(), k)
    }
}

/// Checks a Query or Scan: on the table, or on `table/NAME/index/INDEX` for an index.
fn authorize_walk(
    g: &Gateway,
    caller: &Caller,
    action: &str,
    table: &str,
    index: Option<&str>,
    k: access::Keys,
) -> DResult<()> {
    if caller.is_unrestricted() {
        return Ok(());
    }
    let mut context = caller.context();
    k.apply(&mut context);
    let resource = match index {
        Some(i) => access::index_arn(g, table, i),
        None => access::table_arn(g, table),
    };
    access::check(caller, action, &resource, &context)
}

/// Reads what Query and Scan share (taking those members out of `w`); `query`: whether it is a
/// Query's (with its key conditions) or a Scan's.
fn read_walk(w: &mut shapes::Walk, query: bool) -> DResult<Walk> {
    // Whether the request reads an index (which one, and whether it exists, is the handler's).
    let index = matches!(w.index_name, Member::Present(_));
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
    // The projection parameter named in Select's messages.
    let projection_param =
        if attributes_to_get.is_given() { "AttributesToGet" } else { "ProjectionExpression" };
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
    // DynamoDB's messages (the conformance captures of Query and Scan `Select`): a projection
    // with a Select that returns whole items is refused first, then ALL_PROJECTED_ATTRIBUTES
    // without an index.
    // Query wraps them in the constraint envelope, Scan answers them bare (moto's tests of
    // Select, checked against AWS; the conformance suite's Query error messages).
    let envelope = if query { "1 validation error detected: " } else { "" };
    let whole = |select: Select, name: &str| {
        if has_projection {
            return Err(validation(format!(
                "{envelope}Cannot specify the {projection_param} when choosing to get {name}"
            )));
        }
        Ok(select)
    };
    let select = match select {
        None if has_projection => Select::Specific,
        None if index => Select::Projected,
        None | Some("ALL_ATTRIBUTES") => whole(Select::All, "ALL_ATTRIBUTES")?,
        Some("ALL_PROJECTED_ATTRIBUTES") => {
            let select = whole(Select::Projected, "ALL_PROJECTED_ATTRIBUTES")?;
            if !index {
                return Err(validation(format!(
                    "{envelope}ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName"
                )));
            }
            select
        }
        Some("COUNT") => whole(Select::Count, "only the Count")?,
        _ => {
            if !has_projection {
                return Err(validation(format!(
                    "{envelope}Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES"
                )));
            }
            Select::Specific
        }
    };
    let start = take(&mut w.exclusive_start_key).get("ExclusiveStartKey")?.transpose()?;
    Ok(Walk { select, limit: limit.map(|l| l as usize), consistent, mode, parsed, start })
}

/// The source a Query or Scan reads, with the checks that need it: a global index reads
/// eventually consistently, and returns all attributes only if it holds them all.
fn source<'t>(
    table: &'t crate::dynamodb::schema::catalog::Table,
    index_name: Option<&str>,
    w: &Walk,
) -> DResult<Source<'t>> {
    let source = Source::of(table, index_name)?;
    if let Some(ix) = source.global_index() {
        if w.consistent {
            return Err(validation(
                "Consistent reads are not supported on global secondary indexes",
            ));
        }
        if w.select == Select::All && !source.holds_everything() {
            return Err(validation(format!(
                "One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global secondary index {} because its projection type is not ALL",
                ix.name
            )));
        }
    }
    Ok(source)
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
    fn tables(&self) -> Vec<&str> {
        vec![&self.table_name]
    }

    fn authorize(&self, g: &Gateway, caller: &Caller, action: &'static str) -> DResult<()> {
        let mut k = self.walk.keys();
        // The partition key's value: the key condition's equality on the table's (or the
        // index's) partition key.
        if let Some(t) = g.catalog.get(&self.table_name) {
            let hash = match &self.index_name {
                Some(i) => t.index(i).map(|(m, _)| m.hash.name.clone()),
                None => Some(t.meta.hash.name.clone()),
            };
            for (name, op) in &self.key_conditions {
                if let (Some(h), KeyOp::Eq(v)) = (&hash, op) {
                    if name == h {
                        k.leading.extend(access::key_text(v));
                    }
                }
            }
        }
        self.authorize_on(g, caller, action, k)
    }

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
    let source = source(&table, index_name.as_deref(), &w)?;
    let key_count = 1 + usize::from(source.range().is_some());
    if conds.len() > key_count {
        return Err(validation(format!(
            "The number of query conditions ({}) exceeds the number of key attributes defined in the schema ({key_count})",
            conds.len()
        )));
    }
    if let Some(f) = &w.parsed.filter {
        let mut attrs = Vec::new();
        top_level_attrs(f, &mut attrs);
        if let Some(k) = attrs.iter().find(|a| source.is_key_attr(a)) {
            return Err(validation(format!(
                "Filter Expression can only contain non-primary key attributes: Primary key attribute: {k}"
            )));
        }
    }
    let mut opts = key_range(&source, &conds)?;
    opts.reverse = !scan_index_forward;
    page(g, &source, &w, opts, None)
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
    fn tables(&self) -> Vec<&str> {
        vec![&self.table_name]
    }

    fn authorize(&self, g: &Gateway, caller: &Caller, action: &'static str) -> DResult<()> {
        let k = self.walk.keys();
        let resource_index = self.index_name.as_deref();
        authorize_walk(g, caller, action, &self.table_name, resource_index, k)
    }

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
    let source = source(&table, input.index_name.as_deref(), &input.walk)?;
    page(g, &source, &input.walk, IterOptions::all(), input.segment)
}

/// A PartiQL `SELECT`'s read of one page ([`crate::dynamodb::ops::partiql`]): a Query of one
/// partition (narrowed by a sort key condition) or a Scan, with its whole `WHERE` clause as
/// the filter. A partition or sort key value of another type than the key's selects nothing
/// by that condition, as PartiQL's comparison of different types is false.
pub(crate) struct PartiqlRead<'r> {
    pub table: &'r crate::dynamodb::schema::catalog::Table,
    pub index: Option<&'r str>,
    pub filter: Option<crate::dynamodb::expr::Condition>,
    pub projection: Option<Vec<crate::dynamodb::expr::path::Path>>,
    pub consistent: bool,
    pub mode: Mode,
    pub limit: Option<usize>,
    pub start: Option<Item>,
    /// The partition key value and the sort key condition of a Query; `None` for a Scan.
    pub partition: Option<(crate::dynamodb::model::value::AttrValue, Option<KeyOp>)>,
    pub reverse: bool,
}

pub(crate) fn partiql_page(g: &Gateway, r: PartiqlRead) -> DResult<Json> {
    let select = match (&r.projection, r.index) {
        (Some(_), _) => Select::Specific,
        (None, Some(_)) => Select::Projected,
        (None, None) => Select::All,
    };
    let parsed = Parsed { filter: r.filter, projection: r.projection, ..Parsed::default() };
    let w = Walk {
        select,
        limit: r.limit,
        consistent: r.consistent,
        mode: r.mode,
        parsed,
        start: r.start,
    };
    let source = source(r.table, r.index, &w)?;
    let mut opts = match r.partition {
        None => IterOptions::all(),
        Some((hash, sort)) => {
            if hash.type_name() != source.hash().ty.name() {
                return Ok(serde_json::json!({"Items": [], "Count": 0, "ScannedCount": 0}));
            }
            let hash_cond = (source.hash().name.clone(), KeyOp::Eq(hash));
            let range = source.range().map(|r| r.name.clone());
            let with_sort = match (sort, range) {
                (Some(op), Some(name)) => key_range(&source, &[hash_cond.clone(), (name, op)]).ok(),
                _ => None,
            };
            match with_sort {
                Some(o) => o,
                None => key_range(&source, &[hash_cond])?,
            }
        }
    };
    opts.reverse = r.reverse;
    page(g, &source, &w, opts, None)
}
