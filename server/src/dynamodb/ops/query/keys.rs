//! A Query's key condition as one engine range of its source: the partition's prefix narrowed
//! by the sort key condition, whose order-preserving encoding makes `<`, `BETWEEN` and
//! `begins_with` plain byte ranges.

use super::source::Source;
use crate::dynamodb::error::{validation, DResult, DynamoError};
use crate::dynamodb::expr::path::{Path, Step};
use crate::dynamodb::expr::{Condition, KeyOp, Operand};
use crate::dynamodb::model::key;
use crate::dynamodb::model::value::AttrValue;
use crate::dynamodb::schema::table::KeyAttr;
use shale_engine::IterOptions;
use std::ops::Bound;

fn type_matches(attr: &KeyAttr, v: &AttrValue) -> bool {
    attr.ty.name() == v.type_name()
}

fn schema_mismatch() -> DynamoError {
    validation("One or more parameter values were invalid: Condition parameter type does not match schema type")
}

/// The engine range a key condition selects in `source`.
pub(super) fn key_range(source: &Source, conds: &[(String, KeyOp)]) -> DResult<IterOptions> {
    let (hash_attr, range_attr) = (source.hash(), source.range());
    let missed =
        || validation(format!("Query condition missed key schema element: {}", hash_attr.name));
    let mut hash: Option<&AttrValue> = None;
    let mut range: Option<&KeyOp> = None;
    for (name, op) in conds {
        if *name == hash_attr.name {
            match op {
                KeyOp::Eq(v) if hash.is_none() => hash = Some(v),
                _ => return Err(validation("Query key condition not supported")),
            }
        } else if range_attr.is_some_and(|r| r.name == *name) && range.is_none() {
            range = Some(op);
        } else if range_attr.is_some_and(|r| r.name == *name) {
            return Err(validation("Query key condition not supported"));
        } else {
            return Err(match range_attr {
                Some(r) if hash.is_some() || conds.len() > 1 => validation(format!(
                    "Query condition missed key schema element: {}",
                    if conds.iter().any(|(n, _)| *n == hash_attr.name) {
                        &r.name
                    } else {
                        &hash_attr.name
                    }
                )),
                _ => missed(),
            });
        }
    }
    let hash = hash.ok_or_else(missed)?;
    if !type_matches(hash_attr, hash) {
        return Err(schema_mismatch());
    }
    let prefix = key::partition_prefix(hash)?;
    let partition = IterOptions::prefix(prefix.clone());
    let (Some(op), Some(rattr)) = (range, range_attr) else {
        return Ok(partition);
    };
    let end = partition.upper;
    // The position of a sort key value, and whether positions are whole engine keys (a table's)
    // or prefixes of the entries holding that value (an index's).
    let at = |v: &AttrValue| -> DResult<(Vec<u8>, bool)> {
        if !type_matches(rattr, v) {
            return Err(schema_mismatch());
        }
        let (pos, exact) = source.sort_position(v)?;
        Ok(([prefix.as_slice(), &pos].concat(), exact))
    };
    // Just before, and just after, every key holding the value `v`.
    let before = |v: &AttrValue| -> DResult<Bound<Vec<u8>>> { Ok(Bound::Excluded(at(v)?.0)) };
    let after = |v: &AttrValue| -> DResult<Bound<Vec<u8>>> {
        let (k, exact) = at(v)?;
        Ok(if exact { Bound::Included(k) } else { IterOptions::prefix(k).upper })
    };
    // The first key past every key holding `v`, as a lower bound.
    let past = |v: &AttrValue| -> DResult<Bound<Vec<u8>>> {
        let (k, exact) = at(v)?;
        Ok(if exact { Bound::Excluded(k) } else { incl(IterOptions::prefix(k).upper) })
    };
    let start = Bound::Included(prefix.clone());
    let (lower, upper) = match op {
        KeyOp::Eq(v) => (incl(before(v)?), after(v)?),
        KeyOp::Lt(v) => (start, before(v)?),
        KeyOp::Le(v) => (start, after(v)?),
        KeyOp::Gt(v) => (past(v)?, end),
        KeyOp::Ge(v) => (incl(before(v)?), end),
        KeyOp::Between(a, b) => {
            if at(a)?.0 > at(b)?.0 {
                return Err(validation(format!(
                    "Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {{{}:{}}}, upper bound operand: AttributeValue: {{{}:{}}}",
                    a.type_name(), short(a), b.type_name(), short(b)
                )));
            }
            (incl(before(a)?), after(b)?)
        }
        KeyOp::BeginsWith(v) => {
            if matches!(v, AttrValue::N(_)) || rattr.ty.name() == "N" {
                return Err(validation(format!(
                    "Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: {}",
                    v.type_name()
                )));
            }
            if !type_matches(rattr, v) {
                return Err(schema_mismatch());
            }
            // The keys whose sort key starts with v: a prefix range inside the partition.
            let within = IterOptions::prefix([prefix.as_slice(), &source.sort_prefix(v)?].concat());
            (within.lower, within.upper)
        }
    };
    Ok(IterOptions { lower, upper, reverse: false })
}

/// The same position, included (an exclusive upper bound becomes the inclusive lower bound of
/// what follows it).
fn incl(b: Bound<Vec<u8>>) -> Bound<Vec<u8>> {
    match b {
        Bound::Excluded(k) | Bound::Included(k) => Bound::Included(k),
        Bound::Unbounded => Bound::Unbounded,
    }
}

/// The top-level attributes a condition reads.
pub(super) fn top_level_attrs<'c>(c: &'c Condition, out: &mut Vec<&'c str>) {
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
