//! How a statement reaches its items, from its `WHERE` clause and the key schema of the table
//! (or index) it names: a `SELECT` reads the partitions its partition key equalities (`=`,
//! `IN`, or an `OR` of equalities) name, narrowed by a sort key condition when it names one
//! partition, or else scans; an `UPDATE` or `DELETE` writes the one item whose every key
//! attribute its `WHERE` clause sets equal to a value. The whole `WHERE` clause is still
//! evaluated on every item read, so the plan only decides where to look.

use crate::dynamodb::expr::key_condition::flip;
use crate::dynamodb::expr::path::{Path, Step};
use crate::dynamodb::expr::{CmpOp, Condition, KeyOp, Operand};
use crate::dynamodb::model::value::{AttrValue, Item};

/// Where a `SELECT` reads.
#[derive(Debug, Clone, PartialEq)]
pub enum Access {
    /// Each of these partitions (partition key values, without duplicates), narrowed by the
    /// sort key condition when there is one partition.
    Partitions { hashes: Vec<AttrValue>, sort: Option<KeyOp> },
    /// The whole table or index.
    Scan,
}

/// The conjuncts of `c` (`a AND b AND ...`).
fn conjuncts(c: &Condition) -> Vec<&Condition> {
    let mut out = Vec::new();
    let mut stack = vec![c];
    while let Some(c) = stack.pop() {
        match c {
            Condition::And(a, b) => {
                stack.push(b);
                stack.push(a);
            }
            other => out.push(other),
        }
    }
    out
}

/// The disjuncts of `c` (`a OR b OR ...`).
fn disjuncts(c: &Condition) -> Vec<&Condition> {
    let mut out = Vec::new();
    let mut stack = vec![c];
    while let Some(c) = stack.pop() {
        match c {
            Condition::Or(a, b) => {
                stack.push(b);
                stack.push(a);
            }
            other => out.push(other),
        }
    }
    out
}

fn is_attr(p: &Path, name: &str) -> bool {
    matches!(p.0.as_slice(), [Step::Attr(a)] if a == name)
}

/// `attr = value` (either way round): the value.
fn equality<'c>(c: &'c Condition, attr: &str) -> Option<&'c AttrValue> {
    match c {
        Condition::Compare(Operand::Path(p), CmpOp::Eq, Operand::Value(v))
        | Condition::Compare(Operand::Value(v), CmpOp::Eq, Operand::Path(p))
            if is_attr(p, attr) =>
        {
            Some(v)
        }
        _ => None,
    }
}

/// The partition key values one conjunct names: `h = v` or `h IN (...)` of values.
fn conjunct_hashes(c: &Condition, hash: &str) -> Option<Vec<AttrValue>> {
    if let Some(v) = equality(c, hash) {
        return Some(vec![v.clone()]);
    }
    if let Condition::In(Operand::Path(p), list) = c {
        if is_attr(p, hash) {
            return list
                .iter()
                .map(|o| match o {
                    Operand::Value(v) => Some(v.clone()),
                    _ => None,
                })
                .collect();
        }
    }
    None
}

/// The partition key values a condition restricts its items to, if it does.
fn hashes_of(c: &Condition, hash: &str) -> Option<Vec<AttrValue>> {
    if let Some(h) = conjuncts(c).into_iter().find_map(|k| conjunct_hashes(k, hash)) {
        return Some(h);
    }
    // An OR each of whose branches names its partitions.
    let branches = disjuncts(c);
    if branches.len() < 2 {
        return None;
    }
    let mut all = Vec::new();
    for b in branches {
        all.extend(hashes_of(b, hash)?);
    }
    Some(all)
}

/// The sort key condition among the conjuncts of `c`, as a key condition.
fn sort_of(c: &Condition, range: &str) -> Option<KeyOp> {
    conjuncts(c).into_iter().find_map(|k| match k {
        Condition::Compare(Operand::Path(p), op, Operand::Value(v)) if is_attr(p, range) => {
            key_op(*op, v.clone())
        }
        Condition::Compare(Operand::Value(v), op, Operand::Path(p)) if is_attr(p, range) => {
            key_op(flip(*op), v.clone())
        }
        Condition::Between(Operand::Path(p), Operand::Value(lo), Operand::Value(hi))
            if is_attr(p, range) =>
        {
            Some(KeyOp::Between(lo.clone(), hi.clone()))
        }
        Condition::BeginsWith(Operand::Path(p), Operand::Value(v)) if is_attr(p, range) => {
            Some(KeyOp::BeginsWith(v.clone()))
        }
        _ => None,
    })
}

fn key_op(op: CmpOp, v: AttrValue) -> Option<KeyOp> {
    match op {
        CmpOp::Eq => Some(KeyOp::Eq(v)),
        CmpOp::Lt => Some(KeyOp::Lt(v)),
        CmpOp::Le => Some(KeyOp::Le(v)),
        CmpOp::Gt => Some(KeyOp::Gt(v)),
        CmpOp::Ge => Some(KeyOp::Ge(v)),
        CmpOp::Ne => None,
    }
}

/// Where a `SELECT` with `condition` reads a source whose keys are `hash` and `range`.
pub fn access(condition: Option<&Condition>, hash: &str, range: Option<&str>) -> Access {
    let Some(c) = condition else { return Access::Scan };
    let Some(mut hashes) = hashes_of(c, hash) else { return Access::Scan };
    let mut unique: Vec<AttrValue> = Vec::with_capacity(hashes.len());
    for h in hashes.drain(..) {
        if !unique.contains(&h) {
            unique.push(h);
        }
    }
    let sort = match (unique.len(), range) {
        (1, Some(r)) => sort_of(c, r),
        _ => None,
    };
    Access::Partitions { hashes: unique, sort }
}

/// The key an `UPDATE` or `DELETE` writes: the value each of `keys` is set equal to by a
/// conjunct of `condition`; `None` when one is missing.
pub fn key_of(condition: &Condition, keys: &[&str]) -> Option<Item> {
    let parts = conjuncts(condition);
    let mut key = Item::new();
    for k in keys {
        let v = parts.iter().find_map(|c| equality(c, k))?;
        key.insert((*k).to_string(), v.clone());
    }
    Some(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dynamodb::partiql::{parse, Statement};

    fn select_condition(s: &str) -> Condition {
        match parse(s, &[]).unwrap() {
            Statement::Select(sel) => sel.condition.unwrap(),
            other => panic!("{other:?}"),
        }
    }

    fn s(v: &str) -> AttrValue {
        AttrValue::S(v.into())
    }

    #[test]
    fn partitions_from_equality_in_and_or() {
        let c = select_condition("SELECT * FROM t WHERE pk = 'a' AND sk > 'm' AND x = 1");
        assert_eq!(
            access(Some(&c), "pk", Some("sk")),
            Access::Partitions { hashes: vec![s("a")], sort: Some(KeyOp::Gt(s("m"))) }
        );
        let c = select_condition("SELECT * FROM t WHERE 'a' = pk AND 'm' > sk");
        assert_eq!(
            access(Some(&c), "pk", Some("sk")),
            Access::Partitions { hashes: vec![s("a")], sort: Some(KeyOp::Lt(s("m"))) }
        );
        let c = select_condition("SELECT * FROM t WHERE pk IN ['a', 'b', 'a']");
        assert_eq!(
            access(Some(&c), "pk", Some("sk")),
            Access::Partitions { hashes: vec![s("a"), s("b")], sort: None }
        );
        let c = select_condition("SELECT * FROM t WHERE pk = 'a' OR pk = 'b'");
        assert_eq!(
            access(Some(&c), "pk", None),
            Access::Partitions { hashes: vec![s("a"), s("b")], sort: None }
        );
        let c = select_condition("SELECT * FROM t WHERE pk = 'a' AND begins_with(sk, 'x')");
        assert_eq!(
            access(Some(&c), "pk", Some("sk")),
            Access::Partitions { hashes: vec![s("a")], sort: Some(KeyOp::BeginsWith(s("x"))) }
        );
    }

    #[test]
    fn scans_when_the_partition_is_not_pinned() {
        for w in [
            "pk > 'a'",
            "x = 'a'",
            "pk = 'a' OR x = 'b'",
            "NOT pk = 'a'",
            "pk <> 'a'",
            "pk IN [x, 'b']",
        ] {
            let c = select_condition(&format!("SELECT * FROM t WHERE {w}"));
            assert_eq!(access(Some(&c), "pk", None), Access::Scan, "{w}");
        }
        assert_eq!(access(None, "pk", None), Access::Scan);
    }

    #[test]
    fn write_keys_need_every_key_attribute() {
        let c = select_condition("SELECT * FROM t WHERE pk = 'a' AND sk = 2 AND x > 1");
        let key = key_of(&c, &["pk", "sk"]).unwrap();
        assert_eq!(key.len(), 2);
        assert!(key_of(&c, &["pk", "other"]).is_none());
        let c = select_condition("SELECT * FROM t WHERE pk = 'a' OR sk = 2");
        assert!(key_of(&c, &["pk"]).is_none());
    }
}
