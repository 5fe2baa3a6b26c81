//! A `SELECT` of ExecuteStatement: one page per call. The statement's plan
//! ([`crate::dynamodb::partiql::plan`]) names the partitions it reads (each a Query) or a Scan;
//! a call reads one partition's page at most, and its `NextToken` says where the next call
//! goes on: the partition, and the last key read in it. A token is tied to the statement and
//! parameters it was given for.
//!
//! `ORDER BY` orders by the source's key attributes: by the sort key within a partition
//! (`DESC` walks backwards), and by the partition key across the partitions an `IN` names. It
//! needs a `WHERE` clause that names the partitions.

use super::NEXT_TOKEN_LEN_MAX;
use crate::dynamodb::capacity::Mode;
use crate::dynamodb::error::{validation, DResult};
use crate::dynamodb::expr::eval::order;
use crate::dynamodb::expr::path::Step;
use crate::dynamodb::model::value::{item_from_json, AttrValue};
use crate::dynamodb::ops::query::{partiql_page, PartiqlRead};
use crate::dynamodb::ops::Gateway;
use crate::dynamodb::partiql::plan::{access, Access};
use crate::dynamodb::partiql::Select;
use base64::Engine as _;
use serde_json::{json, Map, Value as Json};

/// How the statement reads: ExecuteStatement's ConsistentRead, Limit and
/// ReturnConsumedCapacity.
pub(crate) struct ReadOptions {
    pub consistent: bool,
    pub limit: Option<usize>,
    pub mode: Mode,
}

/// Where a call goes on: the partition's position in the plan and the last key read.
struct Cursor {
    partition: usize,
    last_key: Option<Json>,
}

fn bad_token() -> crate::dynamodb::error::DynamoError {
    validation("Invalid NextToken: it was not given for this statement and these parameters")
}

fn encode_token(fingerprint: u64, c: &Cursor) -> String {
    let j = json!({"f": format!("{fingerprint:016x}"), "p": c.partition, "k": c.last_key});
    base64::engine::general_purpose::STANDARD.encode(j.to_string())
}

fn decode_token(fingerprint: u64, token: &str) -> DResult<Cursor> {
    let bytes = base64::engine::general_purpose::STANDARD.decode(token).map_err(|_| bad_token())?;
    let j: Json = serde_json::from_slice(&bytes).map_err(|_| bad_token())?;
    if j.get("f").and_then(Json::as_str) != Some(&format!("{fingerprint:016x}")) {
        return Err(bad_token());
    }
    let partition = j.get("p").and_then(Json::as_u64).ok_or_else(bad_token)? as usize;
    let last_key = j.get("k").filter(|k| !k.is_null()).cloned();
    Ok(Cursor { partition, last_key })
}

pub(crate) fn run(
    g: &Gateway,
    s: &Select,
    fingerprint: u64,
    token: Option<&str>,
    o: ReadOptions,
) -> DResult<Json> {
    let table = g.table(&s.table)?;
    let (hash, range) = match &s.index {
        Some(i) => {
            let (ix, _) = table.index(i).ok_or_else(|| {
                validation(format!("The table does not have the specified index: {i}"))
            })?;
            (ix.hash.name.clone(), ix.range.as_ref().map(|r| r.name.clone()))
        }
        None => (table.meta.hash.name.clone(), table.meta.range.as_ref().map(|r| r.name.clone())),
    };
    let plan = access(s.condition.as_ref(), &hash, range.as_deref());
    let (mut hashes, sort) = match plan {
        Access::Partitions { hashes, sort } => (Some(hashes), sort),
        Access::Scan => (None, None),
    };
    // ORDER BY: key attributes only, and only with the partitions named.
    let mut reverse = false;
    for (path, desc) in &s.order_by {
        let name = match path.0.as_slice() {
            [Step::Attr(a)] if *a == hash || Some(a) == range.as_ref() => a,
            _ => {
                return Err(validation(
                    "ORDER BY is supported only on the key attributes of the table or index",
                ))
            }
        };
        let Some(h) = hashes.as_mut() else {
            return Err(validation(
                "ORDER BY needs a WHERE clause that names the partition key with = or IN",
            ));
        };
        if *name == hash {
            h.sort_by(|a, b| order(a, b).unwrap_or(std::cmp::Ordering::Equal));
            if *desc {
                h.reverse();
            }
        } else {
            reverse = *desc;
        }
    }
    let cursor = match token {
        Some(t) => decode_token(fingerprint, t)?,
        None => Cursor { partition: 0, last_key: None },
    };
    let partition: Option<(AttrValue, _)> = match &hashes {
        Some(h) => match h.get(cursor.partition) {
            Some(v) => Some((v.clone(), sort)),
            None => return Err(bad_token()),
        },
        None if cursor.partition == 0 => None,
        None => return Err(bad_token()),
    };
    let start = match &cursor.last_key {
        Some(k) => Some(item_from_json(k).map_err(|_| bad_token())?),
        None => None,
    };
    let page = partiql_page(
        g,
        PartiqlRead {
            table: &table,
            index: s.index.as_deref(),
            filter: s.condition.clone(),
            projection: s.projection.clone(),
            consistent: o.consistent,
            mode: o.mode,
            limit: o.limit,
            start,
            partition,
            reverse,
        },
    )?;
    let mut out = Map::new();
    let Json::Object(mut page) = page else { return Ok(json!({"Items": []})) };
    out.insert("Items".into(), page.remove("Items").unwrap_or_else(|| json!([])));
    let last = page.remove("LastEvaluatedKey");
    let next = match (&last, &hashes) {
        (Some(k), _) => Some(Cursor { partition: cursor.partition, last_key: Some(k.clone()) }),
        (None, Some(h)) if cursor.partition + 1 < h.len() => {
            Some(Cursor { partition: cursor.partition + 1, last_key: None })
        }
        _ => None,
    };
    if let Some(n) = next {
        // A key is at most 2048 + 1024 bytes of values and two names of 255: its token fits.
        let t = encode_token(fingerprint, &n);
        debug_assert!(t.len() <= NEXT_TOKEN_LEN_MAX);
        out.insert("NextToken".into(), Json::String(t));
    }
    if let Some(k) = last {
        out.insert("LastEvaluatedKey".into(), k);
    }
    if let Some(c) = page.remove("ConsumedCapacity") {
        out.insert("ConsumedCapacity".into(), c);
    }
    Ok(Json::Object(out))
}
