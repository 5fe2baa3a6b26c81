//! Document paths (`a.b[3].#c`) and projection expressions: parsing with expression attribute
//! name placeholders, the overlap rule, resolution against an item, and projection.
//!
//! ```text
//! projection ::= path ("," path)*
//! path       ::= element ("." element | "[" digits "]")*
//! element    ::= identifier | "#" identifier        (an identifier: [A-Za-z_][A-Za-z0-9_]*)
//! ```
//!
//! Not yet here (next, with the expression parser): the reserved-word check on bare names.

use super::value::{AttrValue, Item};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Longest expression DynamoDB accepts (4 KB).
pub const EXPRESSION_LEN_MAX: usize = 4096;
/// Deepest document path (DynamoDB's nesting limit).
pub const PATH_DEPTH_MAX: usize = 32;

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

    fn resolve(&mut self, placeholder: &str) -> Result<String, ExprError> {
        match self.map.and_then(|m| m.get(placeholder)) {
            Some(name) => {
                self.used.insert(placeholder.to_string());
                Ok(name.clone())
            }
            None => Err(ExprError(format!(
                "An expression attribute name used in the document path is not defined; attribute name: {placeholder}"
            ))),
        }
    }

    /// After every expression of the request is parsed: names supplied but never used are an
    /// error, as in DynamoDB.
    pub fn check_all_used(&self) -> Result<(), ExprError> {
        let unused: Vec<&String> = self
            .map
            .into_iter()
            .flat_map(|m| m.keys())
            .filter(|k| !self.used.contains(*k))
            .collect();
        if unused.is_empty() {
            return Ok(());
        }
        let mut keys: Vec<&str> = unused.iter().map(|s| s.as_str()).collect();
        keys.sort_unstable();
        Err(ExprError(format!(
            "Value provided in ExpressionAttributeNames unused in expressions: keys: {{{}}}",
            keys.join(", ")
        )))
    }
}

fn syntax(kind: &str, token: &str, near: &str) -> ExprError {
    ExprError(format!("Invalid {kind}: Syntax error; token: \"{token}\", near: \"{near}\""))
}

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_'
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// A cursor over an expression's bytes.
struct Cursor<'s> {
    s: &'s str,
    i: usize,
    kind: &'static str,
}

impl<'s> Cursor<'s> {
    fn peek(&self) -> Option<u8> {
        self.s.as_bytes().get(self.i).copied()
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(|c| c.is_ascii_whitespace()) {
            self.i += 1;
        }
    }

    fn near(&self) -> &'s str {
        let start = self.i.saturating_sub(8);
        let end = (self.i + 8).min(self.s.len());
        self.s.get(start..end).unwrap_or(self.s)
    }

    fn error(&self) -> ExprError {
        let token = match self.peek() {
            None => "<EOF>".to_string(),
            Some(c) => char::from(c).to_string(),
        };
        syntax(self.kind, &token, self.near())
    }

    fn word(&mut self) -> &'s str {
        let start = self.i;
        while self.peek().is_some_and(is_ident) {
            self.i += 1;
        }
        self.s.get(start..self.i).unwrap_or("")
    }

    fn path(&mut self, names: &mut Names) -> Result<Path, ExprError> {
        let mut steps = vec![Step::Attr(self.element(names)?)];
        loop {
            match self.peek() {
                Some(b'.') => {
                    self.i += 1;
                    steps.push(Step::Attr(self.element(names)?));
                }
                Some(b'[') => {
                    self.i += 1;
                    let start = self.i;
                    while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                        self.i += 1;
                    }
                    let digits = self.s.get(start..self.i).unwrap_or("");
                    if digits.is_empty() || self.peek() != Some(b']') {
                        return Err(self.error());
                    }
                    self.i += 1;
                    let n = digits.parse().map_err(|_| {
                        ExprError(format!("Invalid {}: List index is too large", self.kind))
                    })?;
                    steps.push(Step::Index(n));
                }
                _ => break,
            }
            if steps.len() > PATH_DEPTH_MAX {
                return Err(ExprError(format!(
                    "Invalid {}: The document path has too many nesting levels",
                    self.kind
                )));
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
                names.resolve(self.s.get(start..self.i).unwrap_or(""))
            }
            Some(c) if is_ident_start(c) => Ok(self.word().to_string()),
            _ => Err(self.error()),
        }
    }
}

/// Parses one document path (as in `attribute_exists(a.b[1])` or an update target).
pub fn parse_path(s: &str, names: &mut Names, kind: &'static str) -> Result<Path, ExprError> {
    let mut c = Cursor { s, i: 0, kind };
    c.skip_ws();
    let p = c.path(names)?;
    c.skip_ws();
    if c.peek().is_some() {
        return Err(c.error());
    }
    Ok(p)
}

/// Parses a ProjectionExpression; refuses overlapping paths as DynamoDB does.
pub fn parse_projection(s: &str, names: &mut Names) -> Result<Vec<Path>, ExprError> {
    const KIND: &str = "ProjectionExpression";
    if s.len() > EXPRESSION_LEN_MAX {
        return Err(ExprError(format!(
            "Invalid {KIND}: Expression size has exceeded the maximum allowed size"
        )));
    }
    if s.trim().is_empty() {
        return Err(ExprError(format!("Invalid {KIND}: The expression can not be empty;")));
    }
    let mut c = Cursor { s, i: 0, kind: KIND };
    let mut paths: Vec<Path> = Vec::new();
    loop {
        c.skip_ws();
        let p = c.path(names)?;
        if let Some(other) = paths.iter().find(|q| overlaps(q, &p)) {
            return Err(ExprError(format!(
                "Invalid {KIND}: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: {}, path two: {}",
                show(other),
                show(&p)
            )));
        }
        paths.push(p);
        c.skip_ws();
        match c.peek() {
            Some(b',') => c.i += 1,
            None => return Ok(paths),
            _ => return Err(c.error()),
        }
    }
}

/// One path is a prefix of the other (or they are equal).
fn overlaps(a: &Path, b: &Path) -> bool {
    a.0.iter().zip(&b.0).all(|(x, y)| x == y)
}

/// DynamoDB's rendering of a path in messages: `[a, b, [3]]`.
fn show(p: &Path) -> String {
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
    use crate::dynamo::value::item_from_json;
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
        assert_eq!(err, "An expression attribute name used in the document path is not defined; attribute name: #missing");
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
        let paths = parse_projection("id, m.y, l[2], l[0], missing.x", &mut n).unwrap();
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
            Some(&AttrValue::N(crate::dynamo::number::Number::parse("2").unwrap()))
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
