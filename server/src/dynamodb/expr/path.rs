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

/// The kinds of error DynamoDB reports only once an expression has parsed. Each expression kind
/// ranks them in its own order (see [`Deferred::first`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Check {
    /// More than [`crate::dynamodb::limits::OPERATORS_MAX`] operators and functions.
    TooManyOperators,
    /// The whole expression (or an operand) wrapped in two pairs of parentheses.
    Parens,
    /// A function name that does not exist (in this kind of expression).
    UnknownFunction,
    /// A function used where it cannot be (a condition function as an operand, `size` alone).
    MisusedFunction,
    /// A bare attribute name that is a reserved word.
    Reserved,
    /// An update expression section (SET, REMOVE, ADD, DELETE) given twice.
    Section,
    /// A `#name` placeholder missing from ExpressionAttributeNames.
    UndefinedName,
    /// A `:value` placeholder missing from ExpressionAttributeValues.
    UndefinedValue,
    /// Two paths of which one is a prefix of the other.
    Overlap,
    /// Two paths that use one position as both a map key and a list index.
    Conflict,
    /// An ADD or DELETE value of a type the action does not take.
    UpdateOperand,
    /// A function or operator given the wrong number of operands.
    OperandCount,
    /// The same path as the first and another operand.
    Distinct,
    /// A function operand of the wrong kind (type, or a value where a path is needed).
    Function,
}

/// Errors found while parsing, held until the whole expression has parsed (a syntax error
/// anywhere wins over them): the first of each [`Check`] kind, in the order found.
#[derive(Debug, Default)]
pub(crate) struct Deferred {
    found: Vec<(Check, String)>,
}

impl Deferred {
    /// Records an error of kind `check`, unless one of that kind is already held.
    pub(crate) fn note(&mut self, check: Check, msg: impl FnOnce() -> String) {
        if !self.found.iter().any(|(c, _)| *c == check) {
            self.found.push((check, msg()));
        }
    }

    /// The error to report: the earliest-found error of the first group of `order` that has
    /// one. Kinds in no group are not reported.
    pub(crate) fn first(&self, order: &[&[Check]]) -> Option<&str> {
        order.iter().find_map(|group| {
            self.found.iter().find(|(c, _)| group.contains(c)).map(|(_, m)| m.as_str())
        })
    }
}

pub(crate) fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_'
}

pub(crate) fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
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

/// A cursor over an expression's bytes, with the errors held until the expression has parsed.
pub(crate) struct Cursor<'s> {
    pub(crate) s: &'s str,
    pub(crate) i: usize,
    /// The parameter name used in messages ("ConditionExpression", ...).
    pub(crate) kind: &'static str,
    pub(crate) deferred: Deferred,
}

impl<'s> Cursor<'s> {
    pub(crate) fn new(s: &'s str, kind: &'static str) -> Self {
        Cursor { s, i: 0, kind, deferred: Deferred::default() }
    }

    pub(crate) fn peek(&self) -> Option<u8> {
        self.s.as_bytes().get(self.i).copied()
    }

    pub(crate) fn skip_ws(&mut self) {
        while self.peek().is_some_and(|c| c.is_ascii_whitespace()) {
            self.i += 1;
        }
    }

    /// A syntax error at the current position, worded as DynamoDB words it.
    pub(crate) fn error(&self) -> ExprError {
        lexer::syntax_error(self.kind, self.s, self.i)
    }

    /// A message prefixed with this expression's kind, as DynamoDB prefixes its errors.
    pub(crate) fn invalid(&self, msg: &str) -> ExprError {
        ExprError(format!("Invalid {}: {msg}", self.kind))
    }

    /// After a successful parse: the first held error by `order`, if any.
    pub(crate) fn finish(&self, order: &[&[Check]]) -> Result<(), ExprError> {
        match self.deferred.first(order) {
            Some(msg) => Err(self.invalid(msg)),
            None => Ok(()),
        }
    }

    fn word(&mut self) -> &'s str {
        let start = self.i;
        while self.peek().is_some_and(is_ident) {
            self.i += 1;
        }
        self.s.get(start..self.i).unwrap_or("")
    }

    /// Parses a document path at the cursor.
    pub(crate) fn path(&mut self, names: &mut Names) -> Result<Path, ExprError> {
        let mut steps = vec![Step::Attr(self.element(names)?)];
        loop {
            let before = self.i;
            self.skip_ws();
            match self.peek() {
                Some(b'.') => {
                    self.i += 1;
                    self.skip_ws();
                    steps.push(Step::Attr(self.element(names)?));
                }
                Some(b'[') => {
                    self.i += 1;
                    self.skip_ws();
                    let start = self.i;
                    while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                        self.i += 1;
                    }
                    let digits = self.s.get(start..self.i).unwrap_or("");
                    if digits.is_empty() {
                        return Err(self.error());
                    }
                    self.skip_ws();
                    if self.peek() != Some(b']') {
                        return Err(self.error());
                    }
                    self.i += 1;
                    let n = digits.parse().map_err(|_| self.invalid("List index is too large"))?;
                    steps.push(Step::Index(n));
                }
                _ => {
                    self.i = before;
                    break;
                }
            }
            if steps.len() > PATH_DEPTH_MAX {
                return Err(self.invalid("The document path has too many nesting levels"));
            }
        }
        Ok(Path(steps))
    }

    fn element(&mut self, names: &mut Names) -> Result<String, ExprError> {
        match self.peek() {
            Some(b'#') => {
                let start = self.i;
                self.i += 1;
                if !self.peek().is_some_and(is_ident) {
                    return Err(self.error());
                }
                self.word();
                let placeholder = self.s.get(start..self.i).unwrap_or("");
                Ok(names.resolve(placeholder).unwrap_or_else(|| {
                    self.deferred.note(Check::UndefinedName, || {
                        format!("An expression attribute name used in the document path is not defined; attribute name: {placeholder}")
                    });
                    placeholder.to_string()
                }))
            }
            Some(c) if is_ident_start(c) => {
                let w = self.word();
                if reserved::is_reserved(w) {
                    self.deferred.note(Check::Reserved, || {
                        format!("Attribute name is a reserved keyword; reserved keyword: {w}")
                    });
                }
                Ok(w.to_string())
            }
            _ => Err(self.error()),
        }
    }
}

/// Checks an expression's length and that it is not empty, as DynamoDB does before parsing.
pub(crate) fn check_text(s: &str, kind: &str) -> Result<(), ExprError> {
    if s.len() > EXPRESSION_LEN_MAX {
        return Err(ExprError(format!(
            "Invalid {kind}: Expression size has exceeded the maximum allowed size"
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

/// Parses a ProjectionExpression; refuses overlapping paths as DynamoDB does.
pub fn parse_projection(s: &str, names: &mut Names) -> Result<Vec<Path>, ExprError> {
    const KIND: &str = "ProjectionExpression";
    check_text(s, KIND)?;
    let mut c = Cursor::new(s, KIND);
    let mut paths: Vec<Path> = Vec::new();
    loop {
        c.skip_ws();
        let p = c.path(names)?;
        for other in &paths {
            if let Some(kind) = clash(other, &p) {
                let check = match kind {
                    Clash::Overlap => Check::Overlap,
                    Clash::Conflict => Check::Conflict,
                };
                c.deferred.note(check, || clash_message(kind, other, &p));
            }
        }
        paths.push(p);
        c.skip_ws();
        match c.peek() {
            Some(b',') => c.i += 1,
            None => break,
            _ => return Err(c.error()),
        }
    }
    c.finish(PATH_ORDER)?;
    Ok(paths)
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

/// What a projection selects, as a tree: a node either takes its whole value or descends.
#[derive(Debug, Default)]
struct Select {
    whole: bool,
    children: BTreeMap<Step, Select>,
}

impl Select {
    /// The part of `v` this node selects; `None` when nothing selected exists.
    fn apply(&self, v: &AttrValue) -> Option<AttrValue> {
        if self.whole {
            return Some(v.clone());
        }
        match v {
            AttrValue::M(m) => {
                let out: BTreeMap<String, AttrValue> = self
                    .children
                    .iter()
                    .filter_map(|(step, sel)| match step {
                        Step::Attr(k) => Some((k.clone(), sel.apply(m.get(k)?)?)),
                        Step::Index(_) => None,
                    })
                    .collect();
                (!out.is_empty()).then_some(AttrValue::M(out))
            }
            AttrValue::L(l) => {
                // Indexes ascend (Step's order), so the selected elements keep the list's order.
                let out: Vec<AttrValue> = self
                    .children
                    .iter()
                    .filter_map(|(step, sel)| match step {
                        Step::Index(i) => sel.apply(l.get(*i)?),
                        Step::Attr(_) => None,
                    })
                    .collect();
                (!out.is_empty()).then_some(AttrValue::L(out))
            }
            _ => None,
        }
    }
}

/// The item reduced to `paths` (from [`parse_projection`], so no two overlap): nested structure
/// is kept, and selected list elements keep their order but not their indexes, as DynamoDB
/// returns them.
pub fn projection(item: &Item, paths: &[Path]) -> Item {
    let mut root = Select::default();
    for p in paths {
        let mut node = &mut root;
        for step in &p.0 {
            node = node.children.entry(step.clone()).or_default();
        }
        node.whole = true;
    }
    root.children
        .iter()
        .filter_map(|(step, sel)| match step {
            Step::Attr(name) => Some((name.clone(), sel.apply(item.get(name)?)?)),
            Step::Index(_) => None,
        })
        .collect()
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
