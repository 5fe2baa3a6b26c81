//! Evaluating conditions against an item, with DynamoDB's semantics:
//!
//! - `=` and `<>` compare any two values deeply (numbers by value, sets as sets, maps by key,
//!   lists in order); a missing operand is never equal, so `<>` with one is true.
//! - `<`, `<=`, `>`, `>=` and BETWEEN order numbers numerically, strings and binaries bytewise;
//!   operands of different types, of other types, or missing make them false.
//! - `contains(a, b)`: substring of a string, subsequence of a binary, member of a set (of the
//!   matching element type), element of a list (deep equality).
//! - `begins_with(a, b)`: prefix of a string or a binary.
//! - `size(x)`: bytes of a string or binary, elements of a set, list or map; no size otherwise.

use crate::dynamodb::expr::{CmpOp, Condition, Operand};
use crate::dynamodb::model::number::Number;
use crate::dynamodb::model::value::{AttrValue, Item};
use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::BTreeSet;

impl Condition {
    /// Whether `item` satisfies the condition (a missing item is evaluated as an empty one).
    pub fn eval(&self, item: &Item) -> bool {
        match self {
            Condition::Compare(a, op, b) => compare(resolve(a, item), *op, resolve(b, item)),
            Condition::Between(a, lo, hi) => {
                match (resolve(a, item), resolve(lo, item), resolve(hi, item)) {
                    (Some(a), Some(lo), Some(hi)) => {
                        order(&lo, &a).is_some_and(Ordering::is_le)
                            && order(&a, &hi).is_some_and(Ordering::is_le)
                    }
                    _ => false,
                }
            }
            Condition::In(a, list) => resolve(a, item).is_some_and(|a| {
                list.iter().any(|b| resolve(b, item).is_some_and(|b| deep_eq(&a, &b)))
            }),
            Condition::And(x, y) => x.eval(item) && y.eval(item),
            Condition::Or(x, y) => x.eval(item) || y.eval(item),
            Condition::Not(x) => !x.eval(item),
            Condition::AttributeExists(p) => p.get(item).is_some(),
            Condition::AttributeNotExists(p) => p.get(item).is_none(),
            Condition::AttributeType(p, t) => match (p.get(item), t) {
                (Some(v), Operand::Value(AttrValue::S(t))) => v.type_name() == t,
                _ => false,
            },
            Condition::BeginsWith(a, b) => match (resolve(a, item), resolve(b, item)) {
                (Some(a), Some(b)) => begins_with(&a, &b),
                _ => false,
            },
            Condition::Contains(a, b) => match (resolve(a, item), resolve(b, item)) {
                (Some(a), Some(b)) => contains(&a, &b),
                _ => false,
            },
            Condition::True => true,
        }
    }
}

/// The value of an operand for `item`, if it has one.
pub(crate) fn resolve<'i>(op: &'i Operand, item: &'i Item) -> Option<Cow<'i, AttrValue>> {
    match op {
        Operand::Path(p) => p.get(item).map(Cow::Borrowed),
        Operand::Value(v) => Some(Cow::Borrowed(v)),
        Operand::Size(p) => size_of(p.get(item)?).map(|n| Cow::Owned(AttrValue::N(n))),
    }
}

fn compare(a: Option<Cow<AttrValue>>, op: CmpOp, b: Option<Cow<AttrValue>>) -> bool {
    let (Some(a), Some(b)) = (a, b) else {
        return op == CmpOp::Ne;
    };
    match op {
        CmpOp::Eq => deep_eq(&a, &b),
        CmpOp::Ne => !deep_eq(&a, &b),
        CmpOp::Lt => order(&a, &b).is_some_and(Ordering::is_lt),
        CmpOp::Le => order(&a, &b).is_some_and(Ordering::is_le),
        CmpOp::Gt => order(&a, &b).is_some_and(Ordering::is_gt),
        CmpOp::Ge => order(&a, &b).is_some_and(Ordering::is_ge),
    }
}

/// The order of two values of one ordered type (N, S, B); `None` for anything else.
pub(crate) fn order(a: &AttrValue, b: &AttrValue) -> Option<Ordering> {
    match (a, b) {
        (AttrValue::N(x), AttrValue::N(y)) => Some(x.cmp(y)),
        (AttrValue::S(x), AttrValue::S(y)) => Some(x.as_bytes().cmp(y.as_bytes())),
        (AttrValue::B(x), AttrValue::B(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

/// DynamoDB's equality: same type and same value, sets compared as sets.
pub fn deep_eq(a: &AttrValue, b: &AttrValue) -> bool {
    match (a, b) {
        (AttrValue::Ss(x), AttrValue::Ss(y)) => same_set(x, y),
        (AttrValue::Ns(x), AttrValue::Ns(y)) => same_set(x, y),
        (AttrValue::Bs(x), AttrValue::Bs(y)) => same_set(x, y),
        (AttrValue::M(x), AttrValue::M(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| deep_eq(v, w)))
        }
        (AttrValue::L(x), AttrValue::L(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(v, w)| deep_eq(v, w))
        }
        _ => a == b,
    }
}

/// Sets hold no duplicates, so equal sizes and inclusion make them equal.
fn same_set<T: Ord>(x: &[T], y: &[T]) -> bool {
    x.len() == y.len() && {
        let xs: BTreeSet<&T> = x.iter().collect();
        y.iter().all(|e| xs.contains(e))
    }
}

fn begins_with(a: &AttrValue, b: &AttrValue) -> bool {
    match (a, b) {
        (AttrValue::S(x), AttrValue::S(y)) => x.starts_with(y.as_str()),
        (AttrValue::B(x), AttrValue::B(y)) => x.starts_with(y),
        _ => false,
    }
}

fn contains(a: &AttrValue, b: &AttrValue) -> bool {
    match (a, b) {
        (AttrValue::S(x), AttrValue::S(y)) => x.contains(y.as_str()),
        (AttrValue::B(x), AttrValue::B(y)) => {
            y.is_empty() || x.windows(y.len()).any(|w| w == y.as_slice())
        }
        (AttrValue::Ss(x), AttrValue::S(y)) => x.contains(y),
        (AttrValue::Ns(x), AttrValue::N(y)) => x.contains(y),
        (AttrValue::Bs(x), AttrValue::B(y)) => x.contains(y),
        (AttrValue::L(x), y) => x.iter().any(|e| deep_eq(e, y)),
        _ => false,
    }
}

/// `size()` of a value: bytes of S and B, elements of sets, lists and maps; none for N, BOOL
/// and NULL.
pub fn size_of(v: &AttrValue) -> Option<Number> {
    let n = match v {
        AttrValue::S(s) => s.len(),
        AttrValue::B(b) => b.len(),
        AttrValue::Ss(x) => x.len(),
        AttrValue::Ns(x) => x.len(),
        AttrValue::Bs(x) => x.len(),
        AttrValue::M(m) => m.len(),
        AttrValue::L(l) => l.len(),
        AttrValue::N(_) | AttrValue::Bool(_) | AttrValue::Null => return None,
    };
    Number::parse(&n.to_string()).ok()
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use super::super::{parse_condition, Values};
    use super::*;
    use crate::dynamodb::expr::path::Names;
    use serde_json::json;
    use std::collections::HashMap;

    fn vals() -> HashMap<String, AttrValue> {
        values(&[
            (":s", json!({"S": "hello"})),
            (":he", json!({"S": "he"})),
            (":ell", json!({"S": "ell"})),
            (":empty", json!({"S": ""})),
            (":z", json!({"S": "zzz"})),
            (":n10", json!({"N": "10"})),
            (":n10b", json!({"N": "10.000"})),
            (":n9", json!({"N": "9"})),
            (":n2", json!({"N": "2"})),
            (":n1", json!({"N": "1"})),
            (":n3", json!({"N": "3"})),
            (":n5", json!({"N": "5"})),
            (":neg", json!({"N": "-100"})),
            (":b", json!({"B": "AQID"})),
            (":b1", json!({"B": "AQ=="})),
            (":b23", json!({"B": "AgM="})),
            (":b13", json!({"B": "AQM="})),
            (":a", json!({"S": "a"})),
            (":ss", json!({"SS": ["b", "a"]})),
            (":ss1", json!({"SS": ["a"]})),
            (":ns", json!({"NS": ["2.0", "1"]})),
            (":bs", json!({"BS": ["Ag==", "AQ=="]})),
            (
                ":m",
                json!({"M": {"k": {"S": "v"}, "deep": {"L": [{"N": "1.0"}, {"M": {"x": {"S": "y"}}}]}}}),
            ),
            (":mk", json!({"M": {"k": {"S": "v"}}})),
            (":l", json!({"L": [{"S": "a"}, {"N": "1"}, {"M": {"k": {"S": "v"}}}]})),
            (":lrev", json!({"L": [{"N": "1"}, {"S": "a"}, {"M": {"k": {"S": "v"}}}]})),
            (":true", json!({"BOOL": true})),
            (":false", json!({"BOOL": false})),
            (":null", json!({"NULL": true})),
            (":tS", json!({"S": "S"})),
            (":tN", json!({"S": "N"})),
            (":tB", json!({"S": "B"})),
            (":tSS", json!({"S": "SS"})),
            (":tNS", json!({"S": "NS"})),
            (":tBS", json!({"S": "BS"})),
            (":tM", json!({"S": "M"})),
            (":tL", json!({"S": "L"})),
            (":tBOOL", json!({"S": "BOOL"})),
            (":tNULL", json!({"S": "NULL"})),
        ])
    }

    fn check(expr: &str, item: &Item) -> bool {
        let v = vals();
        let mut names = Names::new(None);
        let mut values = Values::new(Some(&v));
        match parse_condition(expr, "FilterExpression", &mut names, &mut values) {
            Ok(c) => c.eval(item),
            Err(e) => panic!("{expr}: {}", e.0),
        }
    }

    fn all(item: &Item, cases: &[(&str, bool)]) {
        for (expr, want) in cases {
            assert_eq!(check(expr, item), *want, "{expr}");
        }
    }

    #[test]
    fn equality_on_every_type() {
        let it = every_type();
        all(
            &it,
            &[
                ("s = :s", true),
                ("s = :he", false),
                ("s <> :he", true),
                ("n = :n10", true),
                ("n = :n10b", true),
                ("n = :s", false),
                ("n <> :s", true),
                ("b = :b", true),
                ("b = :b1", false),
                ("ss = :ss", true),
                ("ss = :ss1", false),
                ("ns = :ns", true),
                ("bs = :bs", true),
                ("m = :m", true),
                ("m = :mk", false),
                ("l = :l", true),
                ("l = :lrev", false),
                ("t = :true", true),
                ("t = :false", false),
                ("z = :null", true),
                ("z = :false", false),
                ("e = :empty", true),
                ("s = s2", false),
                ("s = m.k", false),
                ("m.k = l[2].k", true),
                ("m.deep[1].x = l[2].k", false),
                ("l[1] = :n1", true),
                ("m.deep[0] = :n1", true),
            ],
        );
    }

    #[test]
    fn missing_attributes() {
        let it = every_type();
        all(
            &it,
            &[
                ("missing1 = :s", false),
                ("missing1 <> :s", true),
                ("missing1 < :s", false),
                ("missing1 >= :s", false),
                ("missing1 = missing2", false),
                ("missing1 <> missing2", true),
                ("missing1 BETWEEN :n1 AND :n3", false),
                ("missing1 IN (:s, :n1)", false),
                ("NOT missing1 = :s", true),
                ("begins_with(missing1, :he)", false),
                ("contains(missing1, :he)", false),
                ("size(missing1) = :n1", false),
                ("size(missing1) <> :n1", true),
                ("attribute_exists(missing1)", false),
                ("attribute_not_exists(missing1)", true),
                ("attribute_type(missing1, :tS)", false),
                ("s.x = :s", false),
                ("l[9] = :s", false),
                ("m[0] = :s", false),
                ("l.k = :s", false),
            ],
        );
        // A missing item is an empty one.
        let empty = Item::new();
        assert!(check("attribute_not_exists(s)", &empty));
        assert!(!check("s = :s", &empty));
    }

    #[test]
    fn ordering_on_numbers_strings_and_binaries() {
        let it = every_type();
        all(
            &it,
            &[
                ("n < :n9", false),
                ("n > :n9", true),
                ("n >= :n10b", true),
                ("n <= :n10", true),
                ("n > :neg", true),
                ("n < :n10", false),
                ("s < :z", true),
                ("s > :he", true),
                ("s >= :s", true),
                ("b < :b23", true),
                ("b > :b1", true),
                ("b > :b13", false),
                // Type mismatches and item values of unordered types are false, not errors.
                ("n < :s", false),
                ("n > :s", false),
                ("s < :n10", false),
                ("ss < l", false),
                ("ss >= bs", false),
                ("t <= z", false),
                ("l >= m", false),
                ("m <= l[2]", false),
                ("n BETWEEN :n9 AND :n10", true),
                ("n BETWEEN :n10 AND :n10b", true),
                ("n BETWEEN :n1 AND :n9", false),
                ("n BETWEEN :he AND :z", false),
                ("s BETWEEN :he AND :z", true),
                ("b BETWEEN :b1 AND :b23", true),
                ("ss BETWEEN ns AND bs", false),
                // Item values without an order (constants without one are refused at parse).
                ("s < l", false),
                // Operands on either side, size on either side.
                (":n9 < n", true),
                (":n10 BETWEEN n AND :n10b", true),
            ],
        );
    }

    #[test]
    fn in_lists() {
        let it = every_type();
        all(
            &it,
            &[
                ("n IN (:s, :n10b)", true),
                ("n IN (:s, :n9)", false),
                ("ss IN (:ss1, :ss)", true),
                ("m IN (:mk, :m)", true),
                ("s IN (:he, m.k)", false),
                ("s IN (:he, m.k, :s)", true),
            ],
        );
    }

    #[test]
    fn functions_on_every_type() {
        let it = every_type();
        all(
            &it,
            &[
                ("begins_with(s, :he)", true),
                ("begins_with(s, :ell)", false),
                ("begins_with(s, :empty)", true),
                ("begins_with(b, :b1)", true),
                ("begins_with(b, :b23)", false),
                ("begins_with(n, :he)", false),
                ("begins_with(ss, :a)", false),
                ("begins_with(s, :b1)", false),
                ("contains(s, :ell)", true),
                ("contains(s, :z)", false),
                ("contains(s, :empty)", true),
                ("contains(b, :b23)", true),
                ("contains(b, :b13)", false),
                ("contains(ss, :a)", true),
                ("contains(ss, :he)", false),
                ("contains(ns, :n2)", true),
                ("contains(ns, :n3)", false),
                ("contains(ns, :s)", false),
                ("contains(bs, :b1)", true),
                ("contains(bs, :b)", false),
                ("contains(l, :a)", true),
                ("contains(l, :n1)", true),
                ("contains(l, :mk)", true),
                ("contains(l, :s)", false),
                ("contains(m, :a)", false),
                ("contains(n, :n10)", false),
                ("contains(ss, :ss1)", false),
                ("contains(s, m.k)", false),
                ("contains(l, l[0])", true),
                ("attribute_exists(m.deep[1].x)", true),
                ("attribute_exists(m.deep[2])", false),
                ("attribute_not_exists(m.deep[2])", true),
            ],
        );
        for (attr, ty) in [
            ("s", "S"),
            ("n", "N"),
            ("b", "B"),
            ("ss", "SS"),
            ("ns", "NS"),
            ("bs", "BS"),
            ("m", "M"),
            ("l", "L"),
            ("t", "BOOL"),
            ("z", "NULL"),
        ] {
            for other in ["S", "N", "B", "SS", "NS", "BS", "M", "L", "BOOL", "NULL"] {
                let expr = format!("attribute_type({attr}, :t{other})");
                assert_eq!(check(&expr, &it), ty == other, "{expr}");
            }
        }
    }

    #[test]
    fn size_of_every_type() {
        let it = every_type();
        all(
            &it,
            &[
                ("size(s) = :n5", true),
                ("size(b) = :n3", true),
                ("size(ss) = :n2", true),
                ("size(ns) = :n2", true),
                ("size(bs) = :n2", true),
                ("size(m) = :n2", true),
                ("size(l) = :n3", true),
                ("size(e) < :n1", true),
                ("size(m.deep) = :n2", true),
                ("size(n) = :n2", false),
                ("size(n) <> :n2", true),
                ("size(t) >= :n1", false),
                ("size(z) >= :n1", false),
                ("size(s) BETWEEN :n3 AND size(s)", true),
                (":n3 < size(s)", true),
                ("size(s) > size(l)", true),
                ("size(:s) = :n5", true),
                ("contains(l, size(ss))", false),
            ],
        );
        let uni = item(json!({"u": {"S": "é"}}));
        assert!(check("size(u) = :n2", &uni), "size counts UTF-8 bytes");
    }

    #[test]
    fn logic() {
        let it = every_type();
        all(
            &it,
            &[
                ("s = :s AND n = :n10", true),
                ("s = :s AND n = :n9", false),
                ("s = :he OR n = :n10", true),
                ("s = :he OR n = :n9", false),
                ("NOT s = :he", true),
                ("NOT (s = :s AND n = :n9)", true),
                ("s = :he OR s = :s AND n = :n9", false),
                ("(s = :he OR s = :s) AND n = :n10", true),
            ],
        );
    }

    #[test]
    fn deep_equality_treats_sets_as_sets() {
        let a = AttrValue::Ns(vec![n("1").into_number(), n("2").into_number()]);
        let b = AttrValue::Ns(vec![n("2.00").into_number(), n("1").into_number()]);
        assert!(deep_eq(&a, &b));
        assert!(!deep_eq(&a, &AttrValue::Ns(vec![n("1").into_number()])));
        assert!(!deep_eq(&s("1"), &n("1")));
        assert!(!deep_eq(&AttrValue::L(vec![]), &AttrValue::M(Default::default())));
        assert_eq!(size_of(&AttrValue::Null), None);
    }

    trait IntoNumber {
        fn into_number(self) -> Number;
    }

    impl IntoNumber for AttrValue {
        fn into_number(self) -> Number {
            match self {
                AttrValue::N(x) => x,
                _ => panic!(),
            }
        }
    }
}
