//! Document paths (`a.b[3].#c`) and projection expressions: parsing with expression attribute
//! name placeholders, the reserved-word check, the overlap rule, resolution against an item, and
//! projection. The path grammar and its `Cursor` are shared with the condition and update
//! expression parsers ([`crate::dynamodb::expr`]).
//!
//! ```text
//! projection ::= path ("," path)*
//! path       ::= element ("." element | "[" digits "]")*   (whitespace allowed around . [ ])
//! element    ::= identifier | "#" name       (an identifier: [A-Za-z_][A-Za-z0-9_]*)
//! ```
//!
//! A bare identifier that is one of DynamoDB's reserved words ([`crate::dynamodb::expr::reserved`]) is an
//! error, as in DynamoDB; `#name` placeholders are how such attributes are named.
//!
//! Errors follow DynamoDB's order: a syntax error anywhere is reported first; errors found while
//! parsing (a reserved word, an undefined placeholder, overlapping paths) are held in
//! `Deferred` until the whole expression has parsed, then the first by DynamoDB's precedence is
//! reported.

use crate::dynamodb::expr::{lexer, reserved};
use crate::dynamodb::limits::{EXPRESSION_LEN_MAX, PATH_DEPTH_MAX};
use crate::dynamodb::model::value::{AttrValue, Item};
use std::collections::{BTreeMap, BTreeSet, HashMap};

mod cursor;
mod projection;
mod rank;

pub(crate) use cursor::{is_ident, is_ident_start, Cursor};
pub use projection::{parse_projection, projection};
pub(crate) use rank::{Check, Deferred};

/// One step of a document path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Step {
    Attr(String),
    Index(usize),
}

/// A document path: a top-level attribute, then map keys and list indexes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Path(pub Vec<Step>);

/// An expression error, worded as DynamoDB words it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExprError(pub String);

/// The `ExpressionAttributeNames` of a request, and which of them the expressions used.
#[derive(Debug, Default)]
pub struct Names<'a> {
    map: Option<&'a HashMap<String, String>>,
    used: BTreeSet<String>,
}

impl<'a> Names<'a> {
    pub fn new(map: Option<&'a HashMap<String, String>>) -> Self {
        Names { map, used: BTreeSet::new() }
    }

    /// The attribute name `placeholder` (`#x`) stands for, marking it used.
    fn resolve(&mut self, placeholder: &str) -> Option<String> {
        let name = self.map.and_then(|m| m.get(placeholder))?;
        self.used.insert(placeholder.to_string());
        Some(name.clone())
    }

    /// After every expression of the request is parsed: names supplied but never used are an
    /// error, as in DynamoDB.
    pub fn check_all_used(&self) -> Result<(), ExprError> {
        check_all_used("ExpressionAttributeNames", self.map, &self.used)
    }
}

/// DynamoDB's error for placeholders of `param` (ExpressionAttributeNames or ...Values) that no
/// expression used, keys in sorted order.
pub(crate) fn check_all_used<V>(
    param: &str,
    map: Option<&HashMap<String, V>>,
    used: &BTreeSet<String>,
) -> Result<(), ExprError> {
    let mut unused: Vec<&str> = map
        .into_iter()
        .flat_map(|m| m.keys())
        .filter(|k| !used.contains(*k))
        .map(String::as_str)
        .collect();
    if unused.is_empty() {
        return Ok(());
    }
    unused.sort_unstable();
    Err(ExprError(format!(
        "Value provided in {param} unused in expressions: keys: {{{}}}",
        unused.join(", ")
    )))
}

/// How two document paths relate, for the rule that the paths of one expression must be
/// independent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Clash {
    /// One is a prefix of the other (or they are equal).
    Overlap,
    /// At the first position where they differ, one has a map key and the other a list index.
    Conflict,
}

/// Whether `a` and `b` clash, and how.
pub(crate) fn clash(a: &Path, b: &Path) -> Option<Clash> {
    for (x, y) in a.0.iter().zip(&b.0) {
        match (x, y) {
            (Step::Attr(_), Step::Index(_)) | (Step::Index(_), Step::Attr(_)) => {
                return Some(Clash::Conflict)
            }
            _ if x != y => return None,
            _ => {}
        }
    }
    Some(Clash::Overlap)
}

/// The message for clashing paths `one` (the earlier) and `two`.
pub(crate) fn clash_message(kind: Clash, one: &Path, two: &Path) -> String {
    let verb = match kind {
        Clash::Overlap => "overlap",
        Clash::Conflict => "conflict",
    };
    format!(
        "Two document paths {verb} with each other; must remove or rewrite one of these paths; path one: {}, path two: {}",
        show(one),
        show(two)
    )
}

/// Checks an expression's length and that it is not empty, as DynamoDB does before parsing.
pub(crate) fn check_text(s: &str, kind: &str) -> Result<(), ExprError> {
    if s.len() > EXPRESSION_LEN_MAX {
        return Err(ExprError(format!(
            "Invalid {kind}: Expression size has exceeded the maximum allowed size; expression size: {}",
            s.len()
        )));
    }
    if s.trim().is_empty() {
        return Err(ExprError(format!("Invalid {kind}: The expression can not be empty;")));
    }
    Ok(())
}

/// Precedence of the errors a path or projection can hold.
const PATH_ORDER: &[&[Check]] =
    &[&[Check::Reserved], &[Check::UndefinedName], &[Check::Overlap], &[Check::Conflict]];

/// Parses one document path (as in `attribute_exists(a.b[1])` or an update target).
pub fn parse_path(s: &str, names: &mut Names, kind: &'static str) -> Result<Path, ExprError> {
    let mut c = Cursor::new(s, kind);
    c.skip_ws();
    let p = c.path(names)?;
    c.skip_ws();
    if c.peek().is_some() {
        return Err(c.error());
    }
    c.finish(PATH_ORDER)?;
    Ok(p)
}

/// DynamoDB's rendering of a path in messages: `[a, b, [3]]`.
pub(crate) fn show(p: &Path) -> String {
    let parts: Vec<String> =
        p.0.iter()
            .map(|s| match s {
                Step::Attr(a) => a.clone(),
                Step::Index(i) => format!("[{i}]"),
            })
            .collect();
    format!("[{}]", parts.join(", "))
}

impl Path {
    /// The value at this path in `item`, if there is one.
    pub fn get<'i>(&self, item: &'i Item) -> Option<&'i AttrValue> {
        let (first, rest) = self.0.split_first()?;
        let Step::Attr(name) = first else { return None };
        let mut v = item.get(name)?;
        for step in rest {
            v = match (step, v) {
                (Step::Attr(k), AttrValue::M(m)) => m.get(k)?,
                (Step::Index(i), AttrValue::L(l)) => l.get(*i)?,
                _ => return None,
            };
        }
        Some(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dynamodb::model::value::item_from_json;
    use serde_json::json;

    fn names(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    }

    #[test]
    fn parses_paths_with_placeholders_and_indexes() {
        let map = names(&[("#c", "weird name"), ("#u", "unused")]);
        let mut n = Names::new(Some(&map));
        let p = parse_path(" a.b[3].#c ", &mut n, "ConditionExpression").unwrap();
        assert_eq!(
            p,
            Path(vec![
                Step::Attr("a".into()),
                Step::Attr("b".into()),
                Step::Index(3),
                Step::Attr("weird name".into())
            ])
        );
        assert_eq!(
            n.check_all_used().unwrap_err().0,
            "Value provided in ExpressionAttributeNames unused in expressions: keys: {#u}"
        );
        let err = parse_path("#missing", &mut n, "ConditionExpression").unwrap_err().0;
        assert_eq!(err, "Invalid ConditionExpression: An expression attribute name used in the document path is not defined; attribute name: #missing");
        for bad in ["", "a..b", "a[", "a[x]", "a[]", "1a", "a b", "#"] {
            let e = parse_path(bad, &mut n, "ConditionExpression").unwrap_err().0;
            assert!(
                e.starts_with("Invalid ConditionExpression: Syntax error; token: "),
                "{bad:?}: {e}"
            );
        }
    }

    #[test]
    fn projections_refuse_overlaps_and_select_nested_parts() {
        let mut n = Names::new(None);
        let e = parse_projection("a.b, a", &mut n).unwrap_err().0;
        assert!(
            e.contains("Two document paths overlap")
                && e.contains("path one: [a, b], path two: [a]"),
            "{e}"
        );
        assert!(parse_projection("  ", &mut n).is_err());
        let item = item_from_json(&json!({
            "id": {"S": "1"},
            "m": {"M": {"x": {"N": "1"}, "y": {"N": "2"}}},
            "l": {"L": [{"S": "zero"}, {"S": "one"}, {"S": "two"}]},
            "other": {"S": "dropped"}
        }))
        .unwrap();
        let paths = parse_projection("id, m.y, l[2], l[0], absent.x", &mut n).unwrap();
        let got = projection(&item, &paths);
        let want = item_from_json(&json!({
            "id": {"S": "1"},
            "m": {"M": {"y": {"N": "2"}}},
            "l": {"L": [{"S": "zero"}, {"S": "two"}]}
        }))
        .unwrap();
        assert_eq!(got, want);
        assert_eq!(
            paths[1].get(&item),
            Some(&AttrValue::N(crate::dynamodb::model::number::Number::parse("2").unwrap()))
        );
        // A selected element that is itself a list of one-key maps comes back as it is.
        let nested =
            item_from_json(&json!({"l2": {"L": [{"L": [{"M": {"a": {"N": "1"}}}]}, {"S": "x"}]}}))
                .unwrap();
        let p = parse_projection("l2[0]", &mut n).unwrap();
        let want =
            item_from_json(&json!({"l2": {"L": [{"L": [{"M": {"a": {"N": "1"}}}]}]}})).unwrap();
        assert_eq!(projection(&nested, &p), want);
        assert_eq!(paths[4].get(&item), None);
    }
}
