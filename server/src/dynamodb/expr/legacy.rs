//! DynamoDB's legacy request parameters, converted to the trees expressions parse into, with
//! DynamoDB's validation messages:
//!
//! - `Expected` (+ `ConditionalOperator`) → [`Condition`]: per attribute either
//!   `{Value, Exists}` (equality, or absence when `Exists` is false) or
//!   `{ComparisonOperator, AttributeValueList | Value}`.
//! - `QueryFilter` / `ScanFilter` (+ `ConditionalOperator`) → [`Condition`].
//! - `KeyConditions` → (attribute, [`KeyOp`]) pairs, as a key condition expression gives.
//! - `AttributeUpdates` (`PUT` / `ADD` / `DELETE` with or without `Value`) → [`Update`].
//! - `AttributesToGet` → top-level paths.
//!
//! Comparison operators and their `AttributeValueList` arity: `NULL`, `NOT_NULL` take none;
//! `EQ`, `NE`, `LE`, `LT`, `GE`, `GT`, `CONTAINS`, `NOT_CONTAINS`, `BEGINS_WITH` one; `IN` one
//! or more; `BETWEEN` two. A request may not mix legacy and expression parameters
//! ([`mixing_message`]).
//!
//! Attributes are taken in ascending name order (the order of the JSON object as read), so
//! which of several invalid attributes is reported is deterministic.

use crate::dynamodb::expr::eval::order;
use crate::dynamodb::expr::path::{ExprError, Path, Step};
use crate::dynamodb::expr::update::{Action, Update};
use crate::dynamodb::expr::{CmpOp, Condition, KeyOp, Operand};
use crate::dynamodb::model::value::AttrValue;
use serde_json::{Map, Value as Json};
use std::cmp::Ordering;
use std::collections::BTreeSet;

const OPERATORS: &str =
    "[IN, NULL, BETWEEN, LT, NOT_CONTAINS, EQ, GT, NOT_NULL, NE, LE, BEGINS_WITH, GE, CONTAINS]";

fn invalid(msg: impl std::fmt::Display) -> ExprError {
    ExprError(format!("One or more parameter values were invalid: {msg}"))
}

/// DynamoDB's message for a request that mixes legacy and expression parameters, naming each
/// kind in the order given.
pub fn mixing_message(non_expression: &[&str], expression: &[&str]) -> String {
    format!(
        "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {{{}}} Expression parameters: {{{}}}",
        non_expression.join(", "),
        expression.join(", ")
    )
}

/// The JSON member name DynamoDB uses in constraint messages (`Expected` → `expected`).
fn member(param: &str) -> String {
    let mut c = param.chars();
    c.next().map_or_else(String::new, |f| f.to_ascii_lowercase().to_string() + c.as_str())
}

fn object<'j>(v: &'j Json, what: &str) -> Result<&'j Map<String, Json>, ExprError> {
    v.as_object().ok_or_else(|| ExprError(format!("{what} must be a map")))
}

fn attr_value(v: &Json) -> Result<AttrValue, ExprError> {
    AttrValue::from_json(v).map_err(|e| ExprError(e.0))
}

/// `ConditionalOperator`: OR, or AND (the default).
fn conditional_operator(op: Option<&Json>) -> Result<bool, ExprError> {
    match op {
        None | Some(Json::Null) => Ok(false),
        Some(Json::String(s)) if s == "AND" => Ok(false),
        Some(Json::String(s)) if s == "OR" => Ok(true),
        Some(other) => Err(ExprError(format!(
            "1 validation error detected: Value '{}' at 'conditionalOperator' failed to satisfy constraint: Member must satisfy enum value set: [OR, AND]",
            other.as_str().map_or_else(|| other.to_string(), str::to_string)
        ))),
    }
}

/// Joins conditions with AND or OR into a balanced tree (so evaluation depth stays small);
/// none is always true.
fn join(mut conds: Vec<Condition>, or: bool) -> Condition {
    while conds.len() > 1 {
        let mut next = Vec::with_capacity(conds.len().div_ceil(2));
        let mut it = conds.into_iter();
        while let Some(a) = it.next() {
            next.push(match it.next() {
                Some(b) if or => Condition::Or(Box::new(a), Box::new(b)),
                Some(b) => Condition::And(Box::new(a), Box::new(b)),
                None => a,
            });
        }
        conds = next;
    }
    conds.pop().unwrap_or(Condition::True)
}

/// A comparison operator and its values, checked for arity.
struct Comparison {
    op: String,
    values: Vec<AttrValue>,
}

impl Comparison {
    /// Reads `ComparisonOperator` and the values (from `AttributeValueList`, or from `Value`
    /// when `value` is given) of attribute `name` of parameter `param`.
    fn read(
        c: &Map<String, Json>,
        param: &str,
        name: &str,
        value: Option<&Json>,
    ) -> Result<Comparison, ExprError> {
        let at = format!("{}.{name}.member.comparisonOperator", member(param));
        let op = match c.get("ComparisonOperator") {
            None | Some(Json::Null) => {
                return Err(ExprError(format!(
                    "1 validation error detected: Value null at '{at}' failed to satisfy constraint: Member must not be null"
                )))
            }
            Some(Json::String(s)) => s.clone(),
            Some(other) => other.to_string(),
        };
        let known = [
            "EQ",
            "NE",
            "LE",
            "LT",
            "GE",
            "GT",
            "NULL",
            "NOT_NULL",
            "CONTAINS",
            "NOT_CONTAINS",
            "BEGINS_WITH",
            "IN",
            "BETWEEN",
        ];
        if !known.contains(&op.as_str()) {
            return Err(ExprError(format!(
                "1 validation error detected: Value '{op}' at '{at}' failed to satisfy constraint: Member must satisfy enum value set: {OPERATORS}"
            )));
        }
        let values = match (c.get("AttributeValueList"), value) {
            (Some(Json::Array(list)), _) => {
                list.iter().map(attr_value).collect::<Result<Vec<_>, _>>()?
            }
            (Some(Json::Null) | None, Some(v)) => vec![attr_value(v)?],
            (Some(Json::Null) | None, None) => Vec::new(),
            (Some(_), _) => return Err(ExprError("AttributeValueList must be a list".into())),
        };
        let n = values.len();
        let arity_ok = match op.as_str() {
            "NULL" | "NOT_NULL" => n == 0,
            "IN" => n >= 1,
            "BETWEEN" => n == 2,
            _ => n == 1,
        };
        if !arity_ok {
            return Err(invalid(format!(
                "Invalid number of argument(s) for the {op} ComparisonOperator"
            )));
        }
        if let Some(first) = values.first() {
            if values.iter().any(|v| v.type_name() != first.type_name()) {
                return Err(invalid(
                    "AttributeValues inside AttributeValueList must be of same type",
                ));
            }
        }
        Ok(Comparison { op, values })
    }

    /// The types each operator takes in filters and key conditions.
    fn check_types(&self) -> Result<(), ExprError> {
        // EQ and NE take every type, lists and maps included (the Condition reference: "EQ is
        // supported for all data types, including lists and maps"; Alternator's
        // test_query_filter_eq and test_query_filter_ne, written against DynamoDB).
        let allowed: &[&str] = match self.op.as_str() {
            "EQ" | "NE" => return Ok(()),
            "BEGINS_WITH" => &["S", "B"],
            "NULL" | "NOT_NULL" => &[],
            _ => &["S", "N", "B"],
        };
        for v in &self.values {
            if !allowed.contains(&v.type_name()) {
                return Err(invalid(format!(
                    "ComparisonOperator {} is not valid for {} AttributeValue type",
                    self.op,
                    v.type_name()
                )));
            }
        }
        Ok(())
    }

    fn check_between(&self) -> Result<(), ExprError> {
        if let ("BETWEEN", [lo, hi]) = (self.op.as_str(), self.values.as_slice()) {
            if order(lo, hi) == Some(Ordering::Greater) {
                return Err(ExprError(
                    "The BETWEEN condition was provided a range where the lower bound is greater than the upper bound".into(),
                ));
            }
        }
        Ok(())
    }

    /// The condition on attribute `name`.
    fn condition(self, name: &str) -> Condition {
        let path = Path(vec![Step::Attr(name.to_string())]);
        let attr = || Operand::Path(path.clone());
        let mut values = self.values.into_iter().map(Operand::Value);
        let mut one = || values.next().unwrap_or(Operand::Value(AttrValue::Null));
        let cmp = |op: CmpOp, v: Operand| Condition::Compare(attr(), op, v);
        match self.op.as_str() {
            "EQ" => cmp(CmpOp::Eq, one()),
            "NE" => cmp(CmpOp::Ne, one()),
            "LE" => cmp(CmpOp::Le, one()),
            "LT" => cmp(CmpOp::Lt, one()),
            "GE" => cmp(CmpOp::Ge, one()),
            "GT" => cmp(CmpOp::Gt, one()),
            "NULL" => Condition::AttributeNotExists(path),
            "NOT_NULL" => Condition::AttributeExists(path),
            "CONTAINS" => Condition::Contains(attr(), one()),
            "NOT_CONTAINS" => Condition::Not(Box::new(Condition::Contains(attr(), one()))),
            "BEGINS_WITH" => Condition::BeginsWith(attr(), one()),
            "BETWEEN" => {
                let lo = one();
                Condition::Between(attr(), lo, one())
            }
            _ => Condition::In(attr(), values.collect()),
        }
    }
}

/// `Expected` (with `ConditionalOperator`) as a condition.
pub fn expected(v: &Json, op: Option<&Json>) -> Result<Condition, ExprError> {
    let or = conditional_operator(op)?;
    let mut conds = Vec::new();
    for (name, c) in object(v, "Expected")? {
        let c = object(c, "Expected attribute condition")?;
        let has = |k: &str| c.get(k).is_some_and(|x| !x.is_null());
        if has("AttributeValueList") && has("Value") {
            return Err(invalid(format!(
                "Value and AttributeValueList cannot be used together for Attribute: {name}"
            )));
        }
        if has("ComparisonOperator") {
            if has("Exists") {
                return Err(invalid(format!(
                    "Exists and ComparisonOperator cannot be used together for Attribute: {name}"
                )));
            }
            let op = c.get("ComparisonOperator").and_then(Json::as_str).unwrap_or("");
            if op != "NULL" && op != "NOT_NULL" && !has("AttributeValueList") && !has("Value") {
                return Err(invalid(format!(
                    "Value or AttributeValueList must be used with ComparisonOperator: {op} for Attribute: {name}"
                )));
            }
            let cmp =
                Comparison::read(c, "Expected", name, c.get("Value").filter(|x| !x.is_null()))?;
            cmp.check_between()?;
            conds.push(cmp.condition(name));
            continue;
        }
        if has("AttributeValueList") {
            return Err(invalid(format!(
                "AttributeValueList can only be used with a ComparisonOperator for Attribute: {name}"
            )));
        }
        let exists = match c.get("Exists") {
            None | Some(Json::Null) => None,
            Some(Json::Bool(b)) => Some(*b),
            Some(_) => return Err(ExprError("Exists must be a boolean".into())),
        };
        let path = Path(vec![Step::Attr(name.clone())]);
        match (exists, c.get("Value").filter(|x| !x.is_null())) {
            (Some(false), None) => conds.push(Condition::AttributeNotExists(path)),
            (Some(false), Some(_)) => {
                return Err(invalid(format!(
                    "Value cannot be used when Exists is false for Attribute: {name}"
                )))
            }
            (_, Some(value)) => conds.push(Condition::Compare(
                Operand::Path(path),
                CmpOp::Eq,
                Operand::Value(attr_value(value)?),
            )),
            (e, None) => {
                let shown = if e.is_some() { "true" } else { "null" };
                return Err(invalid(format!(
                    "Value must be provided when Exists is {shown} for Attribute: {name}"
                )));
            }
        }
    }
    Ok(join(conds, or))
}

/// `QueryFilter` or `ScanFilter` (named by `param`, with `ConditionalOperator`) as a condition.
pub fn filter(v: &Json, op: Option<&Json>, param: &str) -> Result<Condition, ExprError> {
    let or = conditional_operator(op)?;
    let mut conds = Vec::new();
    for (name, c) in object(v, param)? {
        let c = object(c, param)?;
        let cmp = Comparison::read(c, param, name, None)?;
        cmp.check_types()?;
        cmp.check_between()?;
        conds.push(cmp.condition(name));
    }
    Ok(join(conds, or))
}

/// `KeyConditions` as (attribute, key condition) pairs.
pub fn key_conditions(v: &Json) -> Result<Vec<(String, KeyOp)>, ExprError> {
    let mut out = Vec::new();
    let mut cmps = Vec::new();
    for (name, c) in object(v, "KeyConditions")? {
        let c = object(c, "KeyConditions")?;
        let cmp = Comparison::read(c, "KeyConditions", name, None)?;
        cmp.check_types()?;
        cmp.check_between()?;
        cmps.push((name, cmp));
    }
    // More conditions than the key schema has attributes is the caller's to refuse.
    if cmps.is_empty() {
        return Err(ExprError("Conditions can be of length 1 or 2 only".into()));
    }
    for (name, cmp) in cmps {
        let mut vals = cmp.values.into_iter();
        let op = match (cmp.op.as_str(), vals.next(), vals.next()) {
            ("EQ", Some(v), None) => KeyOp::Eq(v),
            ("LT", Some(v), None) => KeyOp::Lt(v),
            ("LE", Some(v), None) => KeyOp::Le(v),
            ("GT", Some(v), None) => KeyOp::Gt(v),
            ("GE", Some(v), None) => KeyOp::Ge(v),
            ("BEGINS_WITH", Some(v), None) => KeyOp::BeginsWith(v),
            ("BETWEEN", Some(lo), Some(hi)) => KeyOp::Between(lo, hi),
            _ => {
                return Err(ExprError(
                    "Attempted conditional constraint is not an indexable operation".into(),
                ))
            }
        };
        out.push((name.clone(), op));
    }
    Ok(out)
}

/// `AttributeUpdates` as an update.
pub fn attribute_updates(v: &Json) -> Result<Update, ExprError> {
    let mut actions = Vec::new();
    for (name, u) in object(v, "AttributeUpdates")? {
        let u = object(u, "AttributeUpdates")?;
        let action = match u.get("Action") {
            None | Some(Json::Null) => "PUT".to_string(),
            Some(Json::String(s)) => s.clone(),
            Some(other) => other.to_string(),
        };
        if !["PUT", "ADD", "DELETE"].contains(&action.as_str()) {
            return Err(ExprError(format!(
                "1 validation error detected: Value '{action}' at 'attributeUpdates.{name}.member.action' failed to satisfy constraint: Member must satisfy enum value set: [ADD, PUT, DELETE]"
            )));
        }
        let value = match u.get("Value") {
            None | Some(Json::Null) => None,
            Some(j) => Some(attr_value(j)?),
        };
        let path = Path(vec![Step::Attr(name.clone())]);
        actions.push(match (action.as_str(), value) {
            ("DELETE", None) => Action::Remove(path),
            (_, None) => {
                return Err(invalid(
                    "Only DELETE action is allowed when no attribute value is specified",
                ))
            }
            ("PUT", Some(v)) => Action::Set(
                path,
                crate::dynamodb::expr::SetValue::Operand(
                    crate::dynamodb::expr::UpdateOperand::Value(v),
                ),
            ),
            ("ADD", Some(v)) => match v {
                AttrValue::N(_)
                | AttrValue::Ss(_)
                | AttrValue::Ns(_)
                | AttrValue::Bs(_)
                | AttrValue::L(_) => Action::Add(path, v),
                other => {
                    return Err(invalid(format!(
                        "ADD action is not supported for the type {}",
                        other.type_name()
                    )))
                }
            },
            (_, Some(v)) => match v {
                AttrValue::Ss(_) | AttrValue::Ns(_) | AttrValue::Bs(_) => Action::Delete(path, v),
                other => {
                    return Err(invalid(format!(
                        "DELETE action with value is not supported for the type {}",
                        other.type_name()
                    )))
                }
            },
        });
    }
    Ok(Update::from_actions(actions, true))
}

/// `AttributesToGet` as top-level paths (names are taken literally, never parsed).
pub fn attributes_to_get(v: &Json) -> Result<Vec<Path>, ExprError> {
    let list = v.as_array().ok_or_else(|| ExprError("AttributesToGet must be a list".into()))?;
    if list.is_empty() {
        return Err(ExprError(
            "1 validation error detected: Value '[]' at 'attributesToGet' failed to satisfy constraint: Member must have length greater than or equal to 1".into(),
        ));
    }
    let mut seen = BTreeSet::new();
    let mut out = Vec::with_capacity(list.len());
    for n in list {
        let name = n
            .as_str()
            .ok_or_else(|| ExprError("AttributesToGet must be a list of strings".into()))?;
        if !seen.insert(name) {
            return Err(invalid(format!("Duplicate value in attribute name: {name}")));
        }
        out.push(Path(vec![Step::Attr(name.to_string())]));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use super::*;
    use crate::dynamodb::model::value::Item;
    use serde_json::json;

    fn exp(v: Json) -> Result<Condition, String> {
        expected(&v, None).map_err(|e| e.0)
    }

    #[test]
    fn mixing_message_names_both_kinds() {
        assert_eq!(
            mixing_message(&["Expected"], &["ConditionExpression"]),
            "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {Expected} Expression parameters: {ConditionExpression}"
        );
        assert_eq!(
            mixing_message(&["AttributeUpdates", "Expected"], &["UpdateExpression", "ConditionExpression"]),
            "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {AttributeUpdates, Expected} Expression parameters: {UpdateExpression, ConditionExpression}"
        );
    }

    #[test]
    fn expected_value_and_exists_forms() {
        let it = item(json!({"a": {"S": "x"}, "n": {"N": "5"}}));
        let c = exp(json!({"a": {"Value": {"S": "x"}}})).unwrap();
        assert!(c.eval(&it));
        assert!(exp(json!({"a": {"Value": {"S": "x"}, "Exists": true}})).unwrap().eval(&it));
        assert!(!exp(json!({"a": {"Value": {"S": "y"}}})).unwrap().eval(&it));
        assert!(exp(json!({"b": {"Exists": false}})).unwrap().eval(&it));
        assert!(!exp(json!({"a": {"Exists": false}})).unwrap().eval(&it));
        assert!(exp(json!({})).unwrap().eval(&it));
        let p = "One or more parameter values were invalid: ";
        assert_eq!(
            exp(json!({"a": {}})).unwrap_err(),
            format!("{p}Value must be provided when Exists is null for Attribute: a")
        );
        assert_eq!(
            exp(json!({"a": {"Exists": true}})).unwrap_err(),
            format!("{p}Value must be provided when Exists is true for Attribute: a")
        );
        assert_eq!(
            exp(json!({"a": {"Exists": false, "Value": {"S": "a"}}})).unwrap_err(),
            format!("{p}Value cannot be used when Exists is false for Attribute: a")
        );
        assert_eq!(
            exp(json!({"a": {"AttributeValueList": [{"S": "a"}]}})).unwrap_err(),
            format!(
                "{p}AttributeValueList can only be used with a ComparisonOperator for Attribute: a"
            )
        );
        assert_eq!(
            exp(json!({"a": {"ComparisonOperator": "EQ", "Exists": true, "Value": {"S": "a"}}}))
                .unwrap_err(),
            format!("{p}Exists and ComparisonOperator cannot be used together for Attribute: a")
        );
        assert_eq!(
            exp(json!({"a": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "a"}], "Value": {"S": "a"}}})).unwrap_err(),
            format!("{p}Value and AttributeValueList cannot be used together for Attribute: a")
        );
        assert_eq!(
            exp(json!({"a": {"ComparisonOperator": "EQ"}})).unwrap_err(),
            format!("{p}Value or AttributeValueList must be used with ComparisonOperator: EQ for Attribute: a")
        );
        assert!(exp(json!({"a": {"Value": {"SS": []}}})).unwrap_err().contains("may not be empty"));
    }

    #[test]
    fn expected_comparison_operators() {
        let it = item(
            json!({"a": {"S": "abc"}, "n": {"N": "5"}, "ss": {"SS": ["x", "y"]}, "l": {"L": [{"N": "1"}]}}),
        );
        let cases = [
            (json!({"n": {"ComparisonOperator": "EQ", "Value": {"N": "5"}}}), true),
            (
                json!({"n": {"ComparisonOperator": "EQ", "AttributeValueList": [{"N": "5.0"}]}}),
                true,
            ),
            (json!({"n": {"ComparisonOperator": "NE", "AttributeValueList": [{"N": "5"}]}}), false),
            (json!({"zz": {"ComparisonOperator": "NE", "AttributeValueList": [{"N": "5"}]}}), true),
            (json!({"n": {"ComparisonOperator": "LT", "AttributeValueList": [{"N": "6"}]}}), true),
            (json!({"n": {"ComparisonOperator": "LE", "AttributeValueList": [{"N": "5"}]}}), true),
            (json!({"n": {"ComparisonOperator": "GT", "AttributeValueList": [{"N": "5"}]}}), false),
            (json!({"n": {"ComparisonOperator": "GE", "AttributeValueList": [{"N": "5"}]}}), true),
            (json!({"n": {"ComparisonOperator": "NOT_NULL"}}), true),
            (json!({"n": {"ComparisonOperator": "NULL"}}), false),
            (json!({"zz": {"ComparisonOperator": "NULL"}}), true),
            (
                json!({"a": {"ComparisonOperator": "CONTAINS", "AttributeValueList": [{"S": "b"}]}}),
                true,
            ),
            (
                json!({"ss": {"ComparisonOperator": "CONTAINS", "AttributeValueList": [{"S": "y"}]}}),
                true,
            ),
            (
                json!({"l": {"ComparisonOperator": "CONTAINS", "AttributeValueList": [{"N": "1"}]}}),
                true,
            ),
            (
                json!({"a": {"ComparisonOperator": "NOT_CONTAINS", "AttributeValueList": [{"S": "b"}]}}),
                false,
            ),
            (
                json!({"zz": {"ComparisonOperator": "NOT_CONTAINS", "AttributeValueList": [{"S": "b"}]}}),
                true,
            ),
            (
                json!({"a": {"ComparisonOperator": "BEGINS_WITH", "AttributeValueList": [{"S": "ab"}]}}),
                true,
            ),
            (
                json!({"n": {"ComparisonOperator": "IN", "AttributeValueList": [{"N": "1"}, {"N": "5"}]}}),
                true,
            ),
            (
                json!({"n": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "1"}, {"N": "5"}]}}),
                true,
            ),
            (
                json!({"n": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "6"}, {"N": "7"}]}}),
                false,
            ),
        ];
        for (j, want) in cases {
            assert_eq!(exp(j.clone()).unwrap().eval(&it), want, "{j}");
        }
        // AND by default, OR on request.
        let two = json!({"n": {"Value": {"N": "5"}}, "a": {"Value": {"S": "nope"}}});
        assert!(!expected(&two, None).unwrap().eval(&it));
        assert!(!expected(&two, Some(&json!("AND"))).unwrap().eval(&it));
        assert!(expected(&two, Some(&json!("OR"))).unwrap().eval(&it));
        assert!(expected(&two, Some(&json!("XOR")))
            .unwrap_err()
            .0
            .contains("enum value set: [OR, AND]"));
    }

    #[test]
    fn arity_and_type_messages() {
        let arity = |op: &str| {
            format!("One or more parameter values were invalid: Invalid number of argument(s) for the {op} ComparisonOperator")
        };
        let f = |c: Json| filter(&json!({"a": c}), None, "ScanFilter").map_err(|e| e.0);
        for (op, list) in [
            ("EQ", json!([])),
            ("EQ", json!([{"S": "a"}, {"S": "a"}])),
            ("NE", json!([])),
            ("LE", json!([])),
            ("LT", json!([])),
            ("GE", json!([])),
            ("GT", json!([])),
            ("CONTAINS", json!([])),
            ("NOT_CONTAINS", json!([])),
            ("BEGINS_WITH", json!([])),
            ("IN", json!([])),
            ("BETWEEN", json!([{"S": "a"}])),
            ("BETWEEN", json!([{"S": "a"}, {"S": "a"}, {"S": "a"}])),
            ("NULL", json!([{"S": "a"}])),
            ("NOT_NULL", json!([{"S": "a"}])),
        ] {
            assert_eq!(
                f(json!({"ComparisonOperator": op, "AttributeValueList": list})).unwrap_err(),
                arity(op)
            );
        }
        assert_eq!(f(json!({"ComparisonOperator": "EQ"})).unwrap_err(), arity("EQ"));
        assert_eq!(
            exp(json!({"a": {"ComparisonOperator": "BETWEEN", "Value": {"N": "1"}}})).unwrap_err(),
            arity("BETWEEN")
        );
        for (op, v) in [
            ("LT", json!({"BOOL": true})),
            ("GE", json!({"SS": ["a"]})),
            ("IN", json!({"M": {}})),
            ("BEGINS_WITH", json!({"N": "1"})),
            ("CONTAINS", json!({"L": []})),
        ] {
            let ty = AttrValue::from_json(&v).unwrap().type_name();
            assert_eq!(
                f(json!({"ComparisonOperator": op, "AttributeValueList": [v]})).unwrap_err(),
                format!("One or more parameter values were invalid: ComparisonOperator {op} is not valid for {ty} AttributeValue type")
            );
        }
        assert_eq!(
            f(json!({"ComparisonOperator": "IN", "AttributeValueList": [{"S": "b"}, {"N": "1"}]})).unwrap_err(),
            "One or more parameter values were invalid: AttributeValues inside AttributeValueList must be of same type"
        );
        assert_eq!(
            f(json!({"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"S": "b"}, {"S": "a"}]})).unwrap_err(),
            "The BETWEEN condition was provided a range where the lower bound is greater than the upper bound"
        );
        assert!(f(json!({"ComparisonOperator": "LIKE", "AttributeValueList": []})).unwrap_err().ends_with(
            "at 'scanFilter.a.member.comparisonOperator' failed to satisfy constraint: Member must satisfy enum value set: [IN, NULL, BETWEEN, LT, NOT_CONTAINS, EQ, GT, NOT_NULL, NE, LE, BEGINS_WITH, GE, CONTAINS]"
        ));
        assert!(f(json!({"AttributeValueList": []}))
            .unwrap_err()
            .contains("Member must not be null"));
    }

    #[test]
    fn filters_combine_many_conditions() {
        let mut m = serde_json::Map::new();
        for i in 0..1000 {
            m.insert(format!("a{i}"), json!({"ComparisonOperator": "NOT_NULL"}));
        }
        let c = filter(&Json::Object(m.clone()), None, "QueryFilter").unwrap();
        let mut it = Item::new();
        for i in 0..1000 {
            it.insert(format!("a{i}"), n("1"));
        }
        assert!(c.eval(&it));
        it.remove("a500");
        assert!(!c.eval(&it));
        assert!(filter(&Json::Object(m), Some(&json!("OR")), "QueryFilter").unwrap().eval(&it));
        assert!(filter(&json!({}), None, "QueryFilter").unwrap().eval(&Item::new()));
    }

    #[test]
    fn key_conditions_become_key_ops() {
        let k = |j: Json| key_conditions(&j).map_err(|e| e.0);
        assert_eq!(
            k(json!({"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "a"}]},
                     "sk": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "1"}, {"N": "2"}]}}))
            .unwrap(),
            vec![("pk".to_string(), KeyOp::Eq(s("a"))), ("sk".to_string(), KeyOp::Between(n("1"), n("2")))]
        );
        for (op, want) in [
            ("LT", KeyOp::Lt(s("a"))),
            ("LE", KeyOp::Le(s("a"))),
            ("GT", KeyOp::Gt(s("a"))),
            ("GE", KeyOp::Ge(s("a"))),
            ("BEGINS_WITH", KeyOp::BeginsWith(s("a"))),
        ] {
            assert_eq!(
                k(json!({"x": {"ComparisonOperator": op, "AttributeValueList": [{"S": "a"}]}}))
                    .unwrap(),
                vec![("x".to_string(), want)]
            );
        }
        assert_eq!(k(json!({})).unwrap_err(), "Conditions can be of length 1 or 2 only");
        assert_eq!(
            k(json!({"a": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "a"}]},
                     "b": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "a"}]},
                     "c": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "a"}]}}))
            .unwrap()
            .len(),
            3
        );
        assert_eq!(
            k(json!({"a": {"ComparisonOperator": "NE", "AttributeValueList": [{"S": "a"}]}}))
                .unwrap_err(),
            "Attempted conditional constraint is not an indexable operation"
        );
        assert!(k(json!({"a": {"ComparisonOperator": "EQ"}}))
            .unwrap_err()
            .contains("Invalid number of argument(s) for the EQ"));
    }

    #[test]
    fn attribute_updates_become_updates() {
        let u = attribute_updates(&json!({
            "b": {"Action": "DELETE"},
            "c": {"Action": "DELETE", "Value": {"SS": ["a", "b"]}},
            "d": {"Action": "ADD", "Value": {"N": "5"}},
            "e": {"Action": "ADD", "Value": {"SS": ["a", "b"]}},
            "f": {"Action": "ADD", "Value": {"L": [{"S": "a"}, {"N": "1"}]}},
            "g": {"Value": {"S": "put"}},
            "h": {"Action": "PUT", "Value": {"N": "1"}}
        }))
        .unwrap();
        let mut it = Item::new();
        u.apply(&mut it).unwrap();
        assert_eq!(
            it,
            item(
                json!({"d": {"N": "5"}, "e": {"SS": ["a", "b"]}, "f": {"L": [{"S": "a"}, {"N": "1"}]},
                        "g": {"S": "put"}, "h": {"N": "1"}})
            )
        );
        // Again: numbers add, sets unite, lists append, DELETE takes out set elements.
        let again = attribute_updates(&json!({
            "c": {"Action": "DELETE", "Value": {"SS": ["a"]}},
            "d": {"Action": "ADD", "Value": {"N": "-1.5"}},
            "e": {"Action": "ADD", "Value": {"SS": ["c"]}},
            "f": {"Action": "ADD", "Value": {"L": [{"S": "b"}]}},
            "g": {"Action": "DELETE"}
        }))
        .unwrap();
        again.apply(&mut it).unwrap();
        assert_eq!(
            it,
            item(
                json!({"d": {"N": "3.5"}, "e": {"SS": ["a", "b", "c"]}, "f": {"L": [{"S": "a"}, {"N": "1"}, {"S": "b"}]},
                        "h": {"N": "1"}})
            )
        );
        let paths: Vec<String> =
            again.paths().iter().map(|p| crate::dynamodb::expr::path::show(p)).collect();
        assert_eq!(paths, ["[c]", "[d]", "[e]", "[f]", "[g]"]);
        let mismatch =
            attribute_updates(&json!({"h": {"Action": "ADD", "Value": {"NS": ["1"]}}})).unwrap();
        assert_eq!(mismatch.apply(&mut it).unwrap_err().0, "Type mismatch for attribute to update");
        let mismatch =
            attribute_updates(&json!({"e": {"Action": "DELETE", "Value": {"NS": ["1"]}}})).unwrap();
        assert_eq!(mismatch.apply(&mut it).unwrap_err().0, "Type mismatch for attribute to update");
        // Names are literal: a dot is part of the name.
        let dotted = attribute_updates(&json!({"a.b": {"Value": {"S": "x"}}})).unwrap();
        let mut it = Item::new();
        dotted.apply(&mut it).unwrap();
        assert_eq!(it, item(json!({"a.b": {"S": "x"}})));
    }

    #[test]
    fn attribute_update_messages() {
        let u = |j: Json| attribute_updates(&j).map_err(|e| e.0);
        let p = "One or more parameter values were invalid: ";
        assert_eq!(
            u(json!({"a": {"x": "whatever"}})).unwrap_err(),
            format!("{p}Only DELETE action is allowed when no attribute value is specified")
        );
        assert_eq!(
            u(json!({"a": {"Action": "ADD"}})).unwrap_err(),
            format!("{p}Only DELETE action is allowed when no attribute value is specified")
        );
        for v in [
            json!({"S": "1"}),
            json!({"N": "1"}),
            json!({"B": "Yg=="}),
            json!({"NULL": true}),
            json!({"BOOL": true}),
            json!({"M": {}}),
            json!({"L": []}),
        ] {
            let ty = AttrValue::from_json(&v).unwrap().type_name();
            assert_eq!(
                u(json!({"a": {"Action": "DELETE", "Value": v}})).unwrap_err(),
                format!("{p}DELETE action with value is not supported for the type {ty}")
            );
        }
        for v in [
            json!({"S": "1"}),
            json!({"B": "Yg=="}),
            json!({"NULL": true}),
            json!({"BOOL": true}),
            json!({"M": {}}),
        ] {
            let ty = AttrValue::from_json(&v).unwrap().type_name();
            assert_eq!(
                u(json!({"a": {"Action": "ADD", "Value": v}})).unwrap_err(),
                format!("{p}ADD action is not supported for the type {ty}")
            );
        }
        assert!(u(json!({"a": {"Action": "REPLACE", "Value": {"S": "x"}}}))
            .unwrap_err()
            .ends_with("Member must satisfy enum value set: [ADD, PUT, DELETE]"));
    }

    #[test]
    fn attributes_to_get_are_literal_paths() {
        let p = attributes_to_get(&json!(["a", "b.c", "status"])).unwrap();
        assert_eq!(p[1], Path(vec![Step::Attr("b.c".into())]));
        assert_eq!(
            attributes_to_get(&json!(["a", "a"])).unwrap_err().0,
            "One or more parameter values were invalid: Duplicate value in attribute name: a"
        );
        assert!(attributes_to_get(&json!([]))
            .unwrap_err()
            .0
            .contains("length greater than or equal to 1"));
    }
}
