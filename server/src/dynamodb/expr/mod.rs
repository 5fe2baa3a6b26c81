//! DynamoDB's expressions: condition and filter expressions, update expressions and key
//! condition expressions, parsed into trees with DynamoDB's validation and messages, then
//! evaluated against items with DynamoDB's semantics. Document paths and projections are in
//! [`crate::dynamodb::expr::path`], whose `Cursor` these parsers share.
//!
//! - `lexer`: tokens and DynamoDB's syntax error message.
//! - [`reserved`]: the reserved words bare attribute names may not be.
//! - `parser`: condition expressions and their operands.
//! - [`eval`]: evaluating conditions; DynamoDB's equality, order and `size`.
//! - [`update`]: update expressions, parsed and applied.
//! - [`key_condition`]: key condition expressions, as (attribute, [`KeyOp`]) pairs.
//! - [`legacy`]: the legacy parameters (`Expected`, `QueryFilter`, `AttributeUpdates`, ...)
//!   converted to the same trees.
//!
//! ```text
//! condition  ::= or
//! or         ::= and ("OR" and)*
//! and        ::= not ("AND" not)*
//! not        ::= "NOT" not | primary
//! primary    ::= "(" condition ")"
//!              | operand comparator operand
//!              | operand "BETWEEN" operand "AND" operand
//!              | operand "IN" "(" operand ("," operand)* ")"          (1 to 99 in the list)
//!              | function
//! comparator ::= "=" | "<>" | "<" | "<=" | ">" | ">="
//! operand    ::= "(" operand ")" | path | ":value" | "size" "(" operand ")"
//! function   ::= name "(" operand ("," operand)* ")"
//!                  attribute_exists(path), attribute_not_exists(path), attribute_type(path, :type),
//!                  begins_with(operand, operand), contains(operand, operand)
//!
//! update     ::= section+                                         (each section at most once)
//! section    ::= "SET" set ("," set)* | "REMOVE" path ("," path)*
//!              | "ADD" path ":value" ("," path ":value")* | "DELETE" path ":value" (...)*
//! set        ::= path "=" value
//! value      ::= "(" value ")" | term | term "+" term | term "-" term
//! term       ::= "(" term ")" | path | ":value"
//!              | "if_not_exists" "(" path "," term ")" | "list_append" "(" term "," term ")"
//! ```
//!
//! Precedence, tightest first: comparisons, BETWEEN, IN and functions; NOT; AND; OR. Keywords
//! are case-insensitive, function names are not. Nesting of parentheses, NOT and function calls
//! is bounded by [`EXPRESSION_NESTING_MAX`](crate::dynamodb::limits::EXPRESSION_NESTING_MAX) (an error, never a deep recursion); an expression has at most
//! [`OPERATORS_MAX`](crate::dynamodb::limits::OPERATORS_MAX) operators and functions, as in DynamoDB.

pub mod eval;
pub mod key_condition;
pub mod legacy;
pub(crate) mod lexer;
pub(crate) mod parser;
pub mod path;
pub mod reserved;
pub mod update;

use crate::dynamodb::expr::path::{ExprError, Names, Path};
use crate::dynamodb::model::value::AttrValue;
use std::collections::{BTreeSet, HashMap};

pub use key_condition::{parse_key_condition, KeyOp};
pub use update::{parse_update, Action, SetValue, Update, UpdateOperand};

/// The `ExpressionAttributeValues` of a request, and which of them the expressions used.
#[derive(Debug, Default)]
pub struct Values<'a> {
    map: Option<&'a HashMap<String, AttrValue>>,
    used: BTreeSet<String>,
}

impl<'a> Values<'a> {
    pub fn new(map: Option<&'a HashMap<String, AttrValue>>) -> Self {
        Values { map, used: BTreeSet::new() }
    }

    /// The value `placeholder` (`:x`) stands for, marking it used.
    pub(crate) fn resolve(&mut self, placeholder: &str) -> Option<AttrValue> {
        let v = self.map.and_then(|m| m.get(placeholder))?;
        self.used.insert(placeholder.to_string());
        Some(v.clone())
    }

    /// After every expression of the request is parsed: values supplied but never used are an
    /// error, as in DynamoDB.
    pub fn check_all_used(&self) -> Result<(), ExprError> {
        crate::dynamodb::expr::path::check_all_used(
            "ExpressionAttributeValues",
            self.map,
            &self.used,
        )
    }
}

/// An operand of a comparison, BETWEEN, IN or function.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    /// The value at a document path of the item (absent when the item has none).
    Path(Path),
    /// A value from ExpressionAttributeValues.
    Value(AttrValue),
    /// `size(path)`: a number, absent when the path is missing or its value has no size.
    Size(Path),
}

/// A comparator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    /// The comparator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "<>",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
}

/// A condition (ConditionExpression, FilterExpression, or a converted legacy parameter).
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    Compare(Operand, CmpOp, Operand),
    /// `a BETWEEN low AND high`.
    Between(Operand, Operand, Operand),
    /// `a IN (b, c, ...)`.
    In(Operand, Vec<Operand>),
    And(Box<Condition>, Box<Condition>),
    Or(Box<Condition>, Box<Condition>),
    Not(Box<Condition>),
    AttributeExists(Path),
    AttributeNotExists(Path),
    /// `attribute_type(path, :t)`: the operand is always an S value naming a type (of a value
    /// rather than a path, attribute_type is decided at parse time: [`Condition::True`] or its
    /// negation).
    AttributeType(Path, Operand),
    BeginsWith(Operand, Operand),
    Contains(Operand, Operand),
    /// Always true (a legacy filter with no conditions).
    True,
}

/// Parses a condition expression; `kind` is the parameter name used in messages
/// ("ConditionExpression", "FilterExpression", "KeyConditionExpression").
pub fn parse_condition(
    s: &str,
    kind: &'static str,
    names: &mut Names,
    values: &mut Values,
) -> Result<Condition, ExprError> {
    parser::parse_condition(s, kind, names, values)
}

#[cfg(test)]
pub(crate) mod test_util {
    //! Helpers shared by this module's tests.

    use super::*;
    use crate::dynamodb::model::number::Number;
    use crate::dynamodb::model::value::{item_from_json, Item};
    use serde_json::json;

    /// ExpressionAttributeValues from `(":x", json)` pairs.
    pub fn values(pairs: &[(&str, serde_json::Value)]) -> HashMap<String, AttrValue> {
        pairs.iter().map(|(k, v)| (k.to_string(), AttrValue::from_json(v).unwrap())).collect()
    }

    /// ExpressionAttributeNames from `("#x", "name")` pairs.
    pub fn names(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    pub fn item(j: serde_json::Value) -> Item {
        item_from_json(&j).unwrap()
    }

    pub fn n(s: &str) -> AttrValue {
        AttrValue::N(Number::parse(s).unwrap())
    }

    pub fn s(s: &str) -> AttrValue {
        AttrValue::S(s.to_string())
    }

    /// An item with one attribute of every type, for operator tests.
    pub fn every_type() -> Item {
        item(json!({
            "s": {"S": "hello"}, "n": {"N": "10"}, "b": {"B": "AQID"},
            "ss": {"SS": ["a", "b"]}, "ns": {"NS": ["1", "2"]}, "bs": {"BS": ["AQ==", "Ag=="]},
            "m": {"M": {"k": {"S": "v"}, "deep": {"L": [{"N": "1"}, {"M": {"x": {"S": "y"}}}]}}},
            "l": {"L": [{"S": "a"}, {"N": "1"}, {"M": {"k": {"S": "v"}}}]},
            "t": {"BOOL": true}, "z": {"NULL": true}, "e": {"S": ""}
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::test_util::*;
    use super::*;
    use crate::dynamodb::model::value::Item;
    use serde_json::json;

    #[test]
    fn values_report_unused_and_undefined_placeholders() {
        let map = values(&[
            (":a", json!({"S": "x"})),
            (":c", json!({"N": "1"})),
            (":b", json!({"N": "2"})),
        ]);
        let mut v = Values::new(Some(&map));
        let mut n = Names::new(None);
        parse_condition("x = :a", "ConditionExpression", &mut n, &mut v).unwrap();
        assert_eq!(
            v.check_all_used().unwrap_err().0,
            "Value provided in ExpressionAttributeValues unused in expressions: keys: {:b, :c}"
        );
        parse_condition("x IN (:b, :c)", "FilterExpression", &mut n, &mut v).unwrap();
        v.check_all_used().unwrap();
        let e = parse_condition("x = :nope", "FilterExpression", &mut n, &mut v).unwrap_err();
        assert_eq!(
            e.0,
            "Invalid FilterExpression: An expression attribute value used in expression is not defined; attribute value: :nope"
        );
        // No map at all: every placeholder is undefined, and nothing is unused.
        let mut none = Values::new(None);
        assert!(parse_condition("x = :a", "ConditionExpression", &mut n, &mut none).is_err());
        none.check_all_used().unwrap();
    }

    /// Random token soup through every parser, then evaluation and application: errors are
    /// fine, panics are not.
    #[test]
    fn random_text_never_panics() {
        const TOKENS: &[&str] = &[
            "a",
            "b",
            "l",
            "m",
            "#a",
            "#zz",
            ":s",
            ":n",
            ":l",
            ":ss",
            ":zz",
            "(",
            ")",
            "[",
            "]",
            "0",
            "1",
            "99999999999999999999999",
            ".",
            ",",
            "=",
            "<",
            ">",
            "<>",
            "<=",
            ">=",
            "+",
            "-",
            "AND",
            "OR",
            "NOT",
            "BETWEEN",
            "IN",
            "size",
            "contains",
            "attribute_exists",
            "attribute_type",
            "begins_with",
            "if_not_exists",
            "list_append",
            "SET",
            "REMOVE",
            "ADD",
            "DELETE",
            " ",
            "status",
            "#",
            ":",
            "é",
            "\"",
        ];
        let vals = values(&[
            (":s", json!({"S": "S"})),
            (":n", json!({"N": "1"})),
            (":l", json!({"L": [{"N": "1"}]})),
            (":ss", json!({"SS": ["a"]})),
        ]);
        let nm = names(&[("#a", "a")]);
        let sample = item(json!({"a": {"N": "5"}, "b": {"S": "hello"},
            "l": {"L": [{"N": "1"}, {"M": {"a": {"S": "x"}}}]}, "m": {"M": {"a": {"L": []}}}}));
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut parsed = 0;
        for _ in 0..20_000 {
            let len = (next() % 24) as usize;
            let text: String = (0..len)
                .map(|_| TOKENS[(next() % TOKENS.len() as u64) as usize])
                .collect::<Vec<_>>()
                .join(if next() % 2 == 0 { " " } else { "" });
            let (mut n, mut v) = (Names::new(Some(&nm)), Values::new(Some(&vals)));
            if let Ok(c) = parse_condition(&text, "FilterExpression", &mut n, &mut v) {
                parsed += 1;
                c.eval(&sample);
            }
            let (mut n, mut v) = (Names::new(Some(&nm)), Values::new(Some(&vals)));
            if let Ok(u) = parse_update(&text, &mut n, &mut v) {
                parsed += 1;
                let _ = u.apply(&mut sample.clone());
                let _ = u.apply(&mut Item::new());
            }
            let (mut n, mut v) = (Names::new(Some(&nm)), Values::new(Some(&vals)));
            let _ = parse_key_condition(&text, &mut n, &mut v);
        }
        assert!(parsed > 0);
    }

    /// A tiny deterministic generator of expressions from the grammar.
    struct Gen(u64);

    impl Gen {
        fn next(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n as u64) as usize
        }

        fn pick<'x>(&mut self, from: &[&'x str]) -> &'x str {
            from[self.next(from.len())]
        }

        fn path(&mut self) -> String {
            let mut p = self.pick(&["a", "b", "l", "m", "#a", "ss", "ns"]).to_string();
            for _ in 0..self.next(3) {
                p.push_str(self.pick(&[".a", ".k", "[0]", "[1]", "[5]"]));
            }
            p
        }

        fn operand(&mut self) -> String {
            match self.next(7) {
                0 | 1 => self.path(),
                2 => format!("size({})", self.path()),
                _ => self.pick(&[":s", ":n", ":l", ":ss", ":m", ":b"]).to_string(),
            }
        }

        fn condition(&mut self, depth: usize) -> String {
            let leaf = depth > 3;
            match if leaf { self.next(3) } else { self.next(9) } {
                0 => {
                    let cmp = self.pick(&["=", "<>", "<", "<=", ">", ">="]);
                    format!("{} {cmp} {}", self.operand(), self.operand())
                }
                1 => {
                    format!("{} BETWEEN {} AND {}", self.operand(), self.operand(), self.operand())
                }
                2 => {
                    let f = self.pick(&["attribute_exists", "attribute_not_exists"]);
                    match self.next(4) {
                        0 => format!("{f}({})", self.path()),
                        1 => format!("attribute_type({}, :t)", self.path()),
                        2 => format!("begins_with({}, {})", self.operand(), self.operand()),
                        _ => format!("contains({}, {})", self.operand(), self.operand()),
                    }
                }
                3 => format!("{} IN ({}, {})", self.operand(), self.operand(), self.operand()),
                4 => format!("NOT {}", self.condition(depth + 1)),
                5 => format!("({})", self.condition(depth + 1)),
                6 => format!("{} OR {}", self.condition(depth + 1), self.condition(depth + 1)),
                _ => format!("{} AND {}", self.condition(depth + 1), self.condition(depth + 1)),
            }
        }

        fn value(&mut self) -> String {
            match self.next(6) {
                0 => format!("{} + {}", self.operand(), self.operand()),
                1 => format!("{} - {}", self.operand(), self.operand()),
                2 => format!("if_not_exists({}, {})", self.path(), self.operand()),
                3 => format!("list_append({}, {})", self.operand(), self.operand()),
                _ => self.operand().replace("size(", "(").replace("((", "("),
            }
        }

        fn update(&mut self) -> String {
            let mut sections = Vec::new();
            for section in ["SET", "REMOVE", "ADD", "DELETE"] {
                if self.next(2) == 0 {
                    continue;
                }
                let n = 1 + self.next(3);
                let actions: Vec<String> = (0..n)
                    .map(|_| match section {
                        "SET" => format!("{} = {}", self.path(), self.value()),
                        "REMOVE" => self.path(),
                        "ADD" => format!("{} {}", self.path(), self.pick(&[":n", ":ss", ":ns"])),
                        _ => format!("{} {}", self.path(), self.pick(&[":ss", ":ns"])),
                    })
                    .collect();
                sections.push(format!("{section} {}", actions.join(", ")));
            }
            sections.join(" ")
        }
    }

    /// Expressions generated from the grammar: many parse; evaluation and application never
    /// panic, and a failed application leaves the item as it was.
    #[test]
    fn generated_expressions_evaluate_and_apply() {
        let vals = values(&[
            (":s", json!({"S": "hello"})),
            (":n", json!({"N": "1"})),
            (":l", json!({"L": [{"N": "1"}]})),
            (":ss", json!({"SS": ["a", "x"]})),
            (":ns", json!({"NS": ["1", "5"]})),
            (":m", json!({"M": {"k": {"S": "v"}}})),
            (":b", json!({"B": "AQI="})),
            (":t", json!({"S": "N"})),
        ]);
        let nm = names(&[("#a", "a")]);
        let sample = item(json!({"a": {"N": "5"}, "b": {"S": "hello"}, "ss": {"SS": ["a", "b"]},
            "ns": {"NS": ["1"]}, "l": {"L": [{"N": "1"}, {"M": {"a": {"S": "x"}, "k": {"L": []}}}]},
            "m": {"M": {"a": {"L": [{"S": "y"}]}, "k": {"N": "2"}}}}));
        let mut g = Gen(0x9e37_79b9_7f4a_7c15);
        let (mut conditions, mut updates, mut applied) = (0, 0, 0);
        for _ in 0..3000 {
            let text = g.condition(0);
            let (mut n, mut v) = (Names::new(Some(&nm)), Values::new(Some(&vals)));
            if let Ok(c) = parse_condition(&text, "FilterExpression", &mut n, &mut v) {
                conditions += 1;
                assert_eq!(c.eval(&sample), c.eval(&sample.clone()));
                c.eval(&Item::new());
            }
            let text = g.update();
            let (mut n, mut v) = (Names::new(Some(&nm)), Values::new(Some(&vals)));
            if let Ok(u) = parse_update(&text, &mut n, &mut v) {
                updates += 1;
                let mut it = sample.clone();
                match u.apply(&mut it) {
                    Ok(()) => applied += 1,
                    Err(_) => assert_eq!(it, sample, "{text}"),
                }
                let _ = u.apply(&mut Item::new());
            }
        }
        assert!(
            conditions > 500 && updates > 500 && applied > 30,
            "{conditions} {updates} {applied}"
        );
    }

    #[test]
    fn cmp_symbols() {
        let all = [CmpOp::Eq, CmpOp::Ne, CmpOp::Lt, CmpOp::Le, CmpOp::Gt, CmpOp::Ge];
        let syms: Vec<&str> = all.iter().map(|c| c.symbol()).collect();
        assert_eq!(syms, ["=", "<>", "<", "<=", ">", ">="]);
    }
}
