//! Key condition expressions (Query's KeyConditionExpression): a condition of the general
//! grammar (`parser`) restricted, as DynamoDB restricts it, to key conditions joined by AND,
//! at most one per attribute, each on a top-level attribute:
//!
//! ```text
//! key_condition ::= cond ("AND" cond)*                         (parentheses allowed)
//! cond          ::= name comparator :v | :v comparator name    (comparator: = < <= > >=)
//!                 | name BETWEEN :lo AND :hi | begins_with(name, :prefix)
//! ```
//!
//! The result is a list of (attribute name, [`KeyOp`]); which names are the table's keys is
//! the gateway's to check. Messages for the restrictions are DynamoDB's, which (unlike parse
//! errors) carry no "Invalid KeyConditionExpression:" prefix.

use crate::dynamodb::expr::eval::{deep_eq, order};
use crate::dynamodb::expr::path::{ExprError, Names, Step};
use crate::dynamodb::expr::{parser, CmpOp, Condition, Operand, Values};
use crate::dynamodb::model::value::AttrValue;
use std::cmp::Ordering;

const KIND: &str = "KeyConditionExpression";

/// A condition on one key attribute.
#[derive(Debug, Clone, PartialEq)]
pub enum KeyOp {
    Eq(AttrValue),
    Lt(AttrValue),
    Le(AttrValue),
    Gt(AttrValue),
    Ge(AttrValue),
    Between(AttrValue, AttrValue),
    BeginsWith(AttrValue),
}

impl KeyOp {
    /// The legacy ComparisonOperator name of this condition ("EQ", "BETWEEN", ...).
    pub fn operator(&self) -> &'static str {
        match self {
            KeyOp::Eq(_) => "EQ",
            KeyOp::Lt(_) => "LT",
            KeyOp::Le(_) => "LE",
            KeyOp::Gt(_) => "GT",
            KeyOp::Ge(_) => "GE",
            KeyOp::Between(..) => "BETWEEN",
            KeyOp::BeginsWith(_) => "BEGINS_WITH",
        }
    }

    /// The values the condition compares with.
    pub fn values(&self) -> Vec<&AttrValue> {
        match self {
            KeyOp::Eq(v) | KeyOp::Lt(v) | KeyOp::Le(v) | KeyOp::Gt(v) | KeyOp::Ge(v) => vec![v],
            KeyOp::BeginsWith(v) => vec![v],
            KeyOp::Between(lo, hi) => vec![lo, hi],
        }
    }

    /// Whether a key value `v` satisfies the condition (values of another type never do).
    pub fn matches(&self, v: &AttrValue) -> bool {
        let cmp = |w: &AttrValue, f: fn(Ordering) -> bool| order(v, w).is_some_and(f);
        match self {
            KeyOp::Eq(w) => deep_eq(v, w),
            KeyOp::Lt(w) => cmp(w, Ordering::is_lt),
            KeyOp::Le(w) => cmp(w, Ordering::is_le),
            KeyOp::Gt(w) => cmp(w, Ordering::is_gt),
            KeyOp::Ge(w) => cmp(w, Ordering::is_ge),
            KeyOp::Between(lo, hi) => cmp(lo, Ordering::is_ge) && cmp(hi, Ordering::is_le),
            KeyOp::BeginsWith(w) => match (v, w) {
                (AttrValue::S(a), AttrValue::S(b)) => a.starts_with(b.as_str()),
                (AttrValue::B(a), AttrValue::B(b)) => a.starts_with(b),
                _ => false,
            },
        }
    }
}

fn err(msg: &str) -> ExprError {
    ExprError(msg.to_string())
}

fn invalid_operator(op: &str) -> ExprError {
    ExprError(format!("Invalid operator used in KeyConditionExpression: {op}"))
}

/// Parses a KeyConditionExpression into (attribute name, condition) pairs, in the order
/// written, each on a different attribute. How many there may be depends on the key schema
/// (DynamoDB: "The number of query conditions (3) exceeds the number of key attributes defined
/// in the schema (2)"), so the caller checks that.
pub fn parse_key_condition(
    s: &str,
    names: &mut Names,
    values: &mut Values,
) -> Result<Vec<(String, KeyOp)>, ExprError> {
    let c = parser::parse_condition(s, KIND, names, values)?;
    let mut out = Vec::new();
    collect(&c, &mut out)?;
    Ok(out)
}

/// Walks the AND tree, turning each condition into a key condition.
fn collect(c: &Condition, out: &mut Vec<(String, KeyOp)>) -> Result<(), ExprError> {
    let (operands, first_must_be_key): (Vec<&Operand>, Option<&str>) = match c {
        Condition::And(a, b) => {
            collect(a, out)?;
            return collect(b, out);
        }
        Condition::True => return Ok(()),
        Condition::Or(..) => return Err(invalid_operator("OR")),
        Condition::Not(_) => return Err(invalid_operator("NOT")),
        Condition::In(..) => return Err(invalid_operator("IN")),
        Condition::Compare(_, CmpOp::Ne, _) => return Err(invalid_operator("<>")),
        Condition::AttributeExists(_) => return Err(invalid_operator("attribute_exists")),
        Condition::AttributeNotExists(_) => return Err(invalid_operator("attribute_not_exists")),
        Condition::AttributeType(..) => return Err(invalid_operator("attribute_type")),
        Condition::Contains(..) => return Err(invalid_operator("contains")),
        Condition::Compare(a, _, b) => (vec![a, b], None),
        Condition::Between(a, lo, hi) => (vec![a, lo, hi], Some("BETWEEN")),
        Condition::BeginsWith(a, b) => (vec![a, b], Some("begins_with")),
    };
    if let Some(op) = first_must_be_key {
        if !matches!(operands.first(), Some(Operand::Path(_))) {
            return Err(ExprError(format!(
                "Invalid condition in KeyConditionExpression: {op} operator must have the key attribute as its first operand"
            )));
        }
    }
    let mut key: Option<(&str, usize)> = None;
    for (i, o) in operands.iter().enumerate() {
        match o {
            Operand::Path(p) => {
                if key.is_some() {
                    return Err(err("Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition"));
                }
                match p.0.as_slice() {
                    [Step::Attr(name)] => key = Some((name, i)),
                    _ => {
                        return Err(err(
                            "KeyConditionExpressions cannot have conditions on nested attributes",
                        ))
                    }
                }
            }
            Operand::Size(_) => {
                return Err(err("KeyConditionExpressions cannot contain nested operations"))
            }
            Operand::Value(_) => {}
        }
    }
    let Some((name, at)) = key else {
        return Err(err("Invalid condition in KeyConditionExpression: No key attribute specified"));
    };
    if out.iter().any(|(n, _)| n == name) {
        return Err(err("KeyConditionExpressions must only contain one condition per key"));
    }
    // Every operand but the key is a value now.
    let mut vals = operands.iter().filter_map(|o| match o {
        Operand::Value(v) => Some(v.clone()),
        _ => None,
    });
    let (Some(v), w) = (vals.next(), vals.next()) else {
        return Err(err("Invalid condition in KeyConditionExpression: No key attribute specified"));
    };
    let op = match (c, w) {
        (Condition::Compare(_, op, _), None) => {
            // `:v < key` is `key > :v`.
            let op = if at == 0 { *op } else { flip(*op) };
            match op {
                CmpOp::Eq => KeyOp::Eq(v),
                CmpOp::Lt => KeyOp::Lt(v),
                CmpOp::Le => KeyOp::Le(v),
                CmpOp::Gt => KeyOp::Gt(v),
                CmpOp::Ge => KeyOp::Ge(v),
                CmpOp::Ne => return Err(invalid_operator("<>")),
            }
        }
        (Condition::Between(..), Some(w)) => KeyOp::Between(v, w),
        (Condition::BeginsWith(..), None) => KeyOp::BeginsWith(v),
        _ => {
            return Err(err(
                "Invalid condition in KeyConditionExpression: No key attribute specified",
            ))
        }
    };
    out.push((name.to_string(), op));
    Ok(())
}

/// `v op path` as `path op' v`.
pub(crate) fn flip(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Lt => CmpOp::Gt,
        CmpOp::Le => CmpOp::Ge,
        CmpOp::Gt => CmpOp::Lt,
        CmpOp::Ge => CmpOp::Le,
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use super::*;
    use serde_json::json;
    use std::collections::HashMap;

    fn run(s: &str) -> Result<Vec<(String, KeyOp)>, String> {
        let vals: HashMap<String, AttrValue> = values(&[
            (":a", json!({"S": "a"})),
            (":b", json!({"S": "b"})),
            (":n", json!({"N": "1"})),
            (":m", json!({"N": "2"})),
            (":t", json!({"S": "S"})),
        ]);
        let nm = names(&[("#pk", "pk"), ("#sk", "sk")]);
        let mut n = Names::new(Some(&nm));
        let mut v = Values::new(Some(&vals));
        parse_key_condition(s, &mut n, &mut v).map_err(|e| e.0)
    }

    fn pairs(list: &[(&str, KeyOp)]) -> Vec<(String, KeyOp)> {
        list.iter().map(|(n, o)| (n.to_string(), o.clone())).collect()
    }

    #[test]
    fn accepted_forms() {
        assert_eq!(run("pk = :a").unwrap(), pairs(&[("pk", KeyOp::Eq(s("a")))]));
        assert_eq!(
            run("#pk = :a AND #sk BETWEEN :n AND :m").unwrap(),
            pairs(&[("pk", KeyOp::Eq(s("a"))), ("sk", KeyOp::Between(n("1"), n("2")))])
        );
        assert_eq!(
            run("(#pk = :a) AND (begins_with(sk, :b))").unwrap(),
            pairs(&[("pk", KeyOp::Eq(s("a"))), ("sk", KeyOp::BeginsWith(s("b")))])
        );
        assert_eq!(
            run("(pk = :a AND :n < sk)").unwrap(),
            pairs(&[("pk", KeyOp::Eq(s("a"))), ("sk", KeyOp::Gt(n("1")))])
        );
        assert_eq!(
            run("((pk = :a)) AND ((sk = :b))").unwrap(),
            pairs(&[("pk", KeyOp::Eq(s("a"))), ("sk", KeyOp::Eq(s("b")))])
        );
        for (expr, op) in [
            ("k < :n", KeyOp::Lt(n("1"))),
            ("k <= :n", KeyOp::Le(n("1"))),
            ("k > :n", KeyOp::Gt(n("1"))),
            ("k >= :n", KeyOp::Ge(n("1"))),
            (":n > k", KeyOp::Lt(n("1"))),
            (":n >= k", KeyOp::Le(n("1"))),
            (":n <= k", KeyOp::Ge(n("1"))),
            (":n = k", KeyOp::Eq(n("1"))),
        ] {
            assert_eq!(run(expr).unwrap(), pairs(&[("k", op)]), "{expr}");
        }
    }

    #[test]
    fn refused_forms_with_dynamodb_messages() {
        for (expr, op) in [
            ("a > :a and size(b) > :n or a > :b", "OR"),
            ("a in (:a, :b)", "IN"),
            ("attribute_exists(a)", "attribute_exists"),
            ("attribute_not_exists(a)", "attribute_not_exists"),
            ("contains(a.d, :a)", "contains"),
            ("attribute_type(a, :t)", "attribute_type"),
            ("not a > :a", "NOT"),
            ("a <> :a", "<>"),
        ] {
            assert_eq!(
                run(expr).unwrap_err(),
                format!("Invalid operator used in KeyConditionExpression: {op}")
            );
        }
        for (expr, op) in [
            (":a between :a and :b and b > :b", "BETWEEN"),
            ("begins_with(:a, b) and a > :b", "begins_with"),
        ] {
            assert_eq!(
                run(expr).unwrap_err(),
                format!("Invalid condition in KeyConditionExpression: {op} operator must have the key attribute as its first operand")
            );
        }
        for expr in [
            "size(b) > :n AND a.b > :a AND b > :a",
            "a > size(b.d)",
            "a between size(b) and size(a)",
        ] {
            assert_eq!(
                run(expr).unwrap_err(),
                "KeyConditionExpressions cannot contain nested operations",
                "{expr}"
            );
        }
        for expr in
            ["b > a.b", "b between c[1] and d", "a between b and size(a)", "begins_with(a, b)"]
        {
            assert_eq!(
                run(expr).unwrap_err(),
                "Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition",
                "{expr}"
            );
        }
        for expr in ["b.d > :a AND c.d > :a", "a.d > :a", "b[0] > :a"] {
            assert_eq!(
                run(expr).unwrap_err(),
                "KeyConditionExpressions cannot have conditions on nested attributes",
                "{expr}"
            );
        }
        for expr in [":b > :a AND a < :b", ":a > b AND :a < :b"] {
            assert_eq!(
                run(expr).unwrap_err(),
                "Invalid condition in KeyConditionExpression: No key attribute specified",
                "{expr}"
            );
        }
        for expr in [
            "b > :a AND b < :a and c = :a and d = :a",
            "(a > :a and b > :a) and (b > :a and c > :a)",
        ] {
            assert_eq!(
                run(expr).unwrap_err(),
                "KeyConditionExpressions must only contain one condition per key",
                "{expr}"
            );
        }
        // More conditions than the key schema has attributes is the caller's to refuse.
        assert_eq!(run(":a = a and b = :a and :a = c").unwrap().len(), 3);
        // Parse errors keep the prefix.
        assert_eq!(
            run("").unwrap_err(),
            "Invalid KeyConditionExpression: The expression can not be empty;"
        );
        assert_eq!(
            run("((pk = :a))").unwrap_err(),
            "Invalid KeyConditionExpression: The expression has redundant parentheses;"
        );
        assert!(run("a > 4")
            .unwrap_err()
            .starts_with("Invalid KeyConditionExpression: Syntax error; "));
        assert_eq!(
            run("a between :b and :a").unwrap_err(),
            "Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {S:b}, upper bound operand: AttributeValue: {S:a}"
        );
        assert_eq!(
            run("a between :n and :a").unwrap_err(),
            "Invalid KeyConditionExpression: The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: AttributeValue: {N:1}, upper bound operand: AttributeValue: {S:a}"
        );
    }

    #[test]
    fn key_ops_match_values() {
        let cases = [
            (KeyOp::Eq(n("1")), n("1.0"), true),
            (KeyOp::Eq(n("1")), s("1"), false),
            (KeyOp::Lt(n("2")), n("1"), true),
            (KeyOp::Lt(n("1")), n("1"), false),
            (KeyOp::Le(n("1")), n("1"), true),
            (KeyOp::Gt(s("a")), s("b"), true),
            (KeyOp::Ge(s("b")), s("a"), false),
            (KeyOp::Gt(s("a")), n("5"), false),
            (KeyOp::Between(n("1"), n("3")), n("3"), true),
            (KeyOp::Between(n("1"), n("3")), n("0"), false),
            (KeyOp::BeginsWith(s("ab")), s("abc"), true),
            (KeyOp::BeginsWith(s("ab")), s("a"), false),
            (KeyOp::BeginsWith(AttrValue::B(vec![1])), AttrValue::B(vec![1, 2]), true),
        ];
        for (op, v, want) in cases {
            assert_eq!(op.matches(&v), want, "{op:?} {v:?}");
        }
        assert_eq!(KeyOp::Between(n("1"), n("2")).operator(), "BETWEEN");
        assert_eq!(KeyOp::Between(n("1"), n("2")).values().len(), 2);
    }
}
