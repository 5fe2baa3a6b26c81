//! Update expressions: parsing (`SET`, `REMOVE`, `ADD`, `DELETE` sections, each at most once,
//! in any order) and applying them to an item with DynamoDB's semantics.
//!
//! Parsing checks what DynamoDB checks before touching an item: no two paths of the expression
//! may overlap (one a prefix of the other) or conflict (one position used as both map key and
//! list index); ADD takes a number or a set, DELETE a set; `+` and `-` take numbers,
//! `list_append` lists, and `if_not_exists` a path first.
//!
//! Applying, all in one step or not at all:
//!
//! 1. Every SET value is computed from the item as it was before the update (`if_not_exists`,
//!    `list_append`, exact `+` and `-`). A path that is missing is an error unless inside
//!    `if_not_exists`.
//! 2. SET, ADD and DELETE are applied in order. The parent of each path must exist and be a map
//!    (for a key) or a list (for an index). SET or ADD at a list index past the end appends; all
//!    appends to one list land in index order, after the rest. ADD adds numbers (a missing
//!    attribute counts as zero) or unites sets; DELETE takes elements out of a set and removes
//!    the attribute when none are left.
//! 3. Removals (REMOVE, and sets DELETE emptied) go last, highest path first, so list indexes
//!    refer to the list before the update: `REMOVE l[0], l[2]` removes the first and third
//!    elements. An index past the end of the original list removes nothing.
//!
//! A value may not end up nested deeper than DynamoDB allows (its path's depth plus its own).
//!
//! Sets built by ADD are in ascending order (numbers by value); DynamoDB does not order sets,
//! so any order is as good, and this one is deterministic.

use crate::dynamodb::expr::lexer::Tok;
use crate::dynamodb::expr::parser::{Parser, Term, KEYWORDS, R};
use crate::dynamodb::expr::path::{
    check_text, clash, clash_message, Check, Clash, ExprError, Names, Path, Step,
};
use crate::dynamodb::expr::Values;
use crate::dynamodb::limits::ATTRIBUTE_NESTING_MAX;
use crate::dynamodb::model::value::{AttrValue, Item};
use std::collections::{BTreeMap, BTreeSet};

const KIND: &str = "UpdateExpression";

/// DynamoDB's precedence among the errors held while parsing an update expression.
const UPDATE_ORDER: &[&[Check]] = &[
    &[Check::TooManyOperators],
    &[Check::Reserved],
    &[Check::UnknownFunction],
    &[Check::Section],
    &[Check::UndefinedName],
    &[Check::UndefinedValue],
    &[Check::Overlap],
    &[Check::Conflict],
    &[Check::UpdateOperand],
    &[Check::Function, Check::OperandCount],
];

const BAD_TYPE: &str = "An operand in the update expression has an incorrect data type";
const NO_ATTRIBUTE: &str =
    "The provided expression refers to an attribute that does not exist in the item";
const BAD_PATH: &str = "The document path provided in the update expression is invalid for update";
/// The legacy AttributeUpdates wording for ADD or DELETE on a value of the wrong type.
const LEGACY_MISMATCH: &str = "Type mismatch for attribute to update";

/// An update: its actions in the order written.
#[derive(Debug, Clone, PartialEq)]
pub struct Update {
    actions: Vec<Action>,
    /// Built from legacy AttributeUpdates: ADD also appends lists, and type errors are worded
    /// as for AttributeUpdates.
    legacy: bool,
}

/// One action of an update.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Set(Path, SetValue),
    Remove(Path),
    Add(Path, AttrValue),
    Delete(Path, AttrValue),
}

impl Action {
    /// The path the action writes or removes.
    pub fn path(&self) -> &Path {
        match self {
            Action::Set(p, _) | Action::Remove(p) | Action::Add(p, _) | Action::Delete(p, _) => p,
        }
    }
}

/// The right-hand side of a SET action.
#[derive(Debug, Clone, PartialEq)]
pub enum SetValue {
    Operand(UpdateOperand),
    Plus(UpdateOperand, UpdateOperand),
    Minus(UpdateOperand, UpdateOperand),
}

/// An operand of a SET value.
#[derive(Debug, Clone, PartialEq)]
pub enum UpdateOperand {
    Path(Path),
    Value(AttrValue),
    /// `if_not_exists(path, operand)`: the path's value if the item has one, else the operand.
    IfNotExists(Path, Box<UpdateOperand>),
    /// `list_append(a, b)`: the elements of list `a`, then those of list `b`.
    ListAppend(Box<UpdateOperand>, Box<UpdateOperand>),
}

/// Parses an UpdateExpression.
pub fn parse_update(s: &str, names: &mut Names, values: &mut Values) -> Result<Update, ExprError> {
    check_text(s, KIND)?;
    let mut p = Parser::new(s, KIND, names, values);
    let mut actions: Vec<Action> = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    loop {
        let t = p.peek();
        if t.kind == Tok::Eof && !actions.is_empty() {
            break;
        }
        let section = ["SET", "REMOVE", "ADD", "DELETE"]
            .into_iter()
            .find(|k| p.is_keyword(t, k))
            .ok_or_else(|| p.error_at(t))?;
        if seen.contains(&section) {
            p.note(Check::Section, || {
                format!("The \"{section}\" section can only be used once in an update expression;")
            });
        }
        seen.push(section);
        p.bump(t);
        loop {
            let action = p.action(section)?;
            for earlier in &actions {
                let (one, two) = (earlier.path(), action.path());
                match clash(one, two) {
                    Some(Clash::Overlap) => {
                        p.note(Check::Overlap, || clash_message(Clash::Overlap, one, two))
                    }
                    Some(Clash::Conflict) => {
                        p.note(Check::Conflict, || clash_message(Clash::Conflict, one, two))
                    }
                    None => {}
                }
            }
            actions.push(action);
            if !p.eat_op(",") {
                break;
            }
        }
    }
    p.end(UPDATE_ORDER)?;
    Ok(Update { actions, legacy: false })
}

impl Parser<'_, '_, '_, '_> {
    /// One action of section `section`.
    fn action(&mut self, section: &str) -> R<Action> {
        let path = self.target()?;
        Ok(match section {
            "SET" => {
                self.expect_op("=")?;
                Action::Set(path, self.set_value()?)
            }
            "REMOVE" => Action::Remove(path),
            _ => {
                let t = self.peek();
                if t.kind != Tok::Value {
                    return Err(self.error_at(t));
                }
                self.bump(t);
                let v = self.value(t);
                let ok = match &v {
                    AttrValue::Ss(_) | AttrValue::Ns(_) | AttrValue::Bs(_) => true,
                    AttrValue::N(_) => section == "ADD",
                    _ => false,
                };
                if !ok {
                    let ty = match &v {
                        AttrValue::S(_) => "STRING",
                        AttrValue::N(_) => "NUMBER",
                        AttrValue::B(_) => "BINARY",
                        AttrValue::Bool(_) => "BOOLEAN",
                        AttrValue::Null => "NULL",
                        AttrValue::L(_) => "LIST",
                        AttrValue::M(_) => "MAP",
                        other => other.type_name(),
                    };
                    self.note(Check::UpdateOperand, || {
                        format!("Incorrect operand type for operator or function; operator: {section}, operand type: {ty}")
                    });
                }
                if section == "ADD" {
                    Action::Add(path, v)
                } else {
                    Action::Delete(path, v)
                }
            }
        })
    }

    /// The path an action writes.
    fn target(&mut self) -> R<Path> {
        let t = self.peek();
        let keyword = KEYWORDS.iter().any(|k| self.is_keyword(t, k));
        match t.kind {
            Tok::Word | Tok::Name if !keyword => self.path_at(t),
            _ => Err(self.error_at(t)),
        }
    }

    /// A SET value: an operand, or two joined by `+` or `-`, perhaps in parentheses.
    fn set_value(&mut self) -> R<SetValue> {
        let t = self.peek();
        let arithmetic_after =
            |p: &Self| p.after_group(t).is_some_and(|a| p.is_op(a, "+") || p.is_op(a, "-"));
        if self.is_op(t, "(") && !arithmetic_after(self) {
            self.enter()?;
            self.bump(t);
            let v = self.set_value()?;
            self.expect_op(")")?;
            self.leave();
            return Ok(v);
        }
        let a = self.term()?;
        let t = self.peek();
        let op = if self.is_op(t, "+") {
            "+"
        } else if self.is_op(t, "-") {
            "-"
        } else {
            return Ok(SetValue::Operand(self.update_operand(a)));
        };
        self.bump(t);
        self.count_operator();
        let b = self.term()?;
        let (a, b) = (self.update_operand(a), self.update_operand(b));
        for x in [&a, &b] {
            if let UpdateOperand::Value(v) = x {
                if !matches!(v, AttrValue::N(_)) {
                    self.wrong_type(op, v.type_name());
                }
            }
        }
        Ok(if op == "+" { SetValue::Plus(a, b) } else { SetValue::Minus(a, b) })
    }

    /// The operand a term stands for in a SET value.
    fn update_operand(&mut self, t: Term) -> UpdateOperand {
        let dummy = || UpdateOperand::Value(AttrValue::Null);
        match t {
            Term::Path(p) => UpdateOperand::Path(p),
            Term::Value(v) => UpdateOperand::Value(v),
            Term::Call { name, args } => {
                let n = args.len();
                let mut ops: Vec<UpdateOperand> =
                    args.into_iter().map(|a| self.update_operand(a)).collect();
                if name != "if_not_exists" && name != "list_append" {
                    self.note(Check::UnknownFunction, || {
                        format!("Invalid function name; function: {name}")
                    });
                    return dummy();
                }
                if n != 2 {
                    self.wrong_count(&name, n);
                    return dummy();
                }
                let (b, a) = (ops.pop(), ops.pop());
                match (name.as_str(), a, b) {
                    ("if_not_exists", Some(UpdateOperand::Path(p)), Some(b)) => {
                        UpdateOperand::IfNotExists(p, Box::new(b))
                    }
                    ("list_append", Some(a), Some(b)) => {
                        for x in [&a, &b] {
                            if let UpdateOperand::Value(v) = x {
                                if !matches!(v, AttrValue::L(_)) {
                                    self.wrong_type(&name, v.type_name());
                                }
                            }
                        }
                        UpdateOperand::ListAppend(Box::new(a), Box::new(b))
                    }
                    _ => {
                        self.needs_path(&name);
                        dummy()
                    }
                }
            }
        }
    }
}

/// Where the parent of a path's last step is.
enum Container<'w> {
    Map(&'w mut BTreeMap<String, AttrValue>),
    List(&'w mut Vec<AttrValue>),
}

/// The map or list at `steps` (the item itself for no steps).
fn container<'w>(item: &'w mut Item, steps: &[Step]) -> Option<Container<'w>> {
    let Some((first, rest)) = steps.split_first() else {
        return Some(Container::Map(item));
    };
    let Step::Attr(name) = first else { return None };
    let mut v = item.get_mut(name)?;
    for step in rest {
        v = match (step, v) {
            (Step::Attr(k), AttrValue::M(m)) => m.get_mut(k)?,
            (Step::Index(i), AttrValue::L(l)) => l.get_mut(*i)?,
            _ => return None,
        };
    }
    match v {
        AttrValue::M(m) => Some(Container::Map(m)),
        AttrValue::L(l) => Some(Container::List(l)),
        _ => None,
    }
}

/// Where a path lands: a key of a map or an index of a list (perhaps past its end).
enum Slot<'w> {
    Key(&'w mut BTreeMap<String, AttrValue>, &'w str),
    Elem(&'w mut Vec<AttrValue>, usize),
}

impl Slot<'_> {
    fn get_mut(&mut self) -> Option<&mut AttrValue> {
        match self {
            Slot::Key(m, k) => m.get_mut(*k),
            Slot::Elem(l, i) => l.get_mut(*i),
        }
    }
}

fn bad_path() -> ExprError {
    ExprError(BAD_PATH.to_string())
}

/// The slot `path` names in `item`; its parent must exist and be of the right kind.
fn slot<'w>(item: &'w mut Item, path: &'w Path) -> Result<Slot<'w>, ExprError> {
    let (last, parent) = path.0.split_last().ok_or_else(bad_path)?;
    match (container(item, parent), last) {
        (Some(Container::Map(m)), Step::Attr(k)) => Ok(Slot::Key(m, k)),
        (Some(Container::List(l)), Step::Index(i)) => Ok(Slot::Elem(l, *i)),
        _ => Err(bad_path()),
    }
}

/// A value to append to the list at `parent`, from an action at index `index`.
struct Append<'u> {
    parent: &'u [Step],
    index: usize,
    value: AttrValue,
}

impl Update {
    /// An update from already-checked actions (used for legacy AttributeUpdates).
    pub(crate) fn from_actions(actions: Vec<Action>, legacy: bool) -> Self {
        Update { actions, legacy }
    }

    /// The actions, in the order written.
    pub fn actions(&self) -> &[Action] {
        &self.actions
    }

    /// Every path the update writes or removes, in the order written (for the "cannot update
    /// key attribute" check and UPDATED_OLD/UPDATED_NEW).
    pub fn paths(&self) -> Vec<&Path> {
        self.actions.iter().map(Action::path).collect()
    }

    fn mismatch(&self) -> ExprError {
        ExprError(if self.legacy { LEGACY_MISMATCH } else { BAD_TYPE }.to_string())
    }

    /// Applies the update to `item` (an empty item when there was none) in DynamoDB's
    /// semantics (module docs). On an error (DynamoDB's runtime ValidationException message)
    /// `item` is left as it was.
    pub fn apply(&self, item: &mut Item) -> Result<(), ExprError> {
        let old: &Item = item;
        // 1. Every SET value, from the item before the update.
        let mut computed = Vec::with_capacity(self.actions.len());
        for a in &self.actions {
            computed.push(match a {
                Action::Set(_, v) => Some(eval_set(v, old)?),
                _ => None,
            });
        }
        for (a, v) in self.actions.iter().zip(&computed) {
            let placed = match (a, v) {
                (Action::Set(..), Some(v)) | (Action::Add(_, v), None) => v,
                _ => continue,
            };
            if a.path().0.len().saturating_sub(1) + depth(placed) > ATTRIBUTE_NESTING_MAX {
                return Err(ExprError("Nesting Levels have exceeded supported limits".into()));
            }
        }
        let mut work = old.clone();
        let mut appends: Vec<Append> = Vec::new();
        let mut removals: Vec<&Path> = Vec::new();
        // 2. SET, ADD and DELETE in order.
        for (action, value) in self.actions.iter().zip(computed) {
            let path = action.path();
            let mut at = slot(&mut work, path)?;
            match (action, value) {
                (Action::Set(..), Some(v)) => match &mut at {
                    Slot::Key(m, k) => {
                        m.insert(k.to_string(), v);
                    }
                    Slot::Elem(l, i) => match l.get_mut(*i) {
                        Some(e) => *e = v,
                        None => appends.push(append(path, *i, v)),
                    },
                },
                (Action::Add(_, v), _) => {
                    if let Some(e) = at.get_mut() {
                        *e = self.add(e, v)?;
                    } else {
                        match at {
                            Slot::Key(m, k) => {
                                m.insert(k.to_string(), v.clone());
                            }
                            Slot::Elem(_, i) => appends.push(append(path, i, v.clone())),
                        }
                    }
                }
                (Action::Delete(_, v), _) => {
                    if let Some(e) = at.get_mut() {
                        match self.delete(e, v)? {
                            Some(rest) => *e = rest,
                            None => removals.push(path),
                        }
                    }
                }
                (Action::Remove(_), _) => removals.push(path),
                (Action::Set(..), None) => return Err(bad_path()),
            }
        }
        // Appends, each list's in index order.
        appends.sort_by(|a, b| (a.parent, a.index).cmp(&(b.parent, b.index)));
        for a in appends {
            match container(&mut work, a.parent) {
                Some(Container::List(l)) => l.push(a.value),
                _ => return Err(bad_path()),
            }
        }
        // 3. Removals, highest path first, list indexes as in the original item.
        removals.sort();
        for path in removals.into_iter().rev() {
            let Some((last, parent)) = path.0.split_last() else { continue };
            match (container(&mut work, parent), last) {
                (Some(Container::Map(m)), Step::Attr(k)) => {
                    m.remove(k);
                }
                (Some(Container::List(l)), Step::Index(i)) => {
                    let original = match Path(parent.to_vec()).get(old) {
                        Some(AttrValue::L(o)) => o.len(),
                        _ => l.len(),
                    };
                    if *i < original.min(l.len()) {
                        l.remove(*i);
                    }
                }
                _ => return Err(bad_path()),
            }
        }
        *item = work;
        Ok(())
    }

    /// ADD: `existing` plus `v`.
    fn add(&self, existing: &AttrValue, v: &AttrValue) -> Result<AttrValue, ExprError> {
        Ok(match (existing, v) {
            (AttrValue::N(a), AttrValue::N(b)) => {
                AttrValue::N(a.add(b).map_err(|e| ExprError(e.to_string()))?)
            }
            (AttrValue::Ss(a), AttrValue::Ss(b)) => AttrValue::Ss(union(a, b)),
            (AttrValue::Ns(a), AttrValue::Ns(b)) => AttrValue::Ns(union(a, b)),
            (AttrValue::Bs(a), AttrValue::Bs(b)) => AttrValue::Bs(union(a, b)),
            (AttrValue::L(a), AttrValue::L(b)) if self.legacy => {
                AttrValue::L(a.iter().chain(b).cloned().collect())
            }
            _ => return Err(self.mismatch()),
        })
    }

    /// DELETE: `existing` without the elements of `v`; `None` when nothing is left.
    fn delete(&self, existing: &AttrValue, v: &AttrValue) -> Result<Option<AttrValue>, ExprError> {
        let rest = match (existing, v) {
            (AttrValue::Ss(a), AttrValue::Ss(b)) => difference(a, b).map(AttrValue::Ss),
            (AttrValue::Ns(a), AttrValue::Ns(b)) => difference(a, b).map(AttrValue::Ns),
            (AttrValue::Bs(a), AttrValue::Bs(b)) => difference(a, b).map(AttrValue::Bs),
            _ => return Err(self.mismatch()),
        };
        Ok(rest)
    }
}

/// How many levels of maps and lists `v` holds below itself.
fn depth(v: &AttrValue) -> usize {
    match v {
        AttrValue::M(m) => m.values().map(|c| 1 + depth(c)).max().unwrap_or(0),
        AttrValue::L(l) => l.iter().map(|c| 1 + depth(c)).max().unwrap_or(0),
        _ => 0,
    }
}

fn append(path: &Path, index: usize, value: AttrValue) -> Append<'_> {
    let parent = path.0.split_last().map_or(&[][..], |(_, p)| p);
    Append { parent, index, value }
}

/// The union of two sets, in ascending order.
fn union<T: Ord + Clone>(a: &[T], b: &[T]) -> Vec<T> {
    let all: BTreeSet<&T> = a.iter().chain(b).collect();
    all.into_iter().cloned().collect()
}

/// `a` without the elements of `b`, in `a`'s order; `None` when nothing is left.
fn difference<T: Ord + Clone>(a: &[T], b: &[T]) -> Option<Vec<T>> {
    let gone: BTreeSet<&T> = b.iter().collect();
    let rest: Vec<T> = a.iter().filter(|x| !gone.contains(x)).cloned().collect();
    (!rest.is_empty()).then_some(rest)
}

/// A SET value, from the item before the update.
fn eval_set(v: &SetValue, item: &Item) -> Result<AttrValue, ExprError> {
    let number = |o: &UpdateOperand| match eval_operand(o, item)? {
        AttrValue::N(n) => Ok(n),
        _ => Err(ExprError(BAD_TYPE.to_string())),
    };
    let num_err = |e: crate::dynamodb::model::number::NumberError| ExprError(e.to_string());
    match v {
        SetValue::Operand(o) => eval_operand(o, item),
        SetValue::Plus(a, b) => {
            let a = number(a)?;
            Ok(AttrValue::N(a.add(&number(b)?).map_err(num_err)?))
        }
        SetValue::Minus(a, b) => {
            let a = number(a)?;
            Ok(AttrValue::N(a.sub(&number(b)?).map_err(num_err)?))
        }
    }
}

fn eval_operand(o: &UpdateOperand, item: &Item) -> Result<AttrValue, ExprError> {
    match o {
        UpdateOperand::Path(p) => {
            p.get(item).cloned().ok_or_else(|| ExprError(NO_ATTRIBUTE.to_string()))
        }
        UpdateOperand::Value(v) => Ok(v.clone()),
        UpdateOperand::IfNotExists(p, alt) => match p.get(item) {
            Some(v) => Ok(v.clone()),
            None => eval_operand(alt, item),
        },
        UpdateOperand::ListAppend(a, b) => {
            let AttrValue::L(mut x) = eval_operand(a, item)? else {
                return Err(ExprError(BAD_TYPE.to_string()));
            };
            let AttrValue::L(y) = eval_operand(b, item)? else {
                return Err(ExprError(BAD_TYPE.to_string()));
            };
            x.extend(y);
            Ok(AttrValue::L(x))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use super::*;
    use serde_json::json;
    use std::collections::HashMap;

    fn std_values() -> HashMap<String, AttrValue> {
        values(&[
            (":s", json!({"S": "a"})),
            (":n", json!({"N": "1"})),
            (":two", json!({"N": "2"})),
            (":p1", json!({"N": "0.1"})),
            (":p2", json!({"N": "0.2"})),
            (":big", json!({"N": "9.9999999999999999999999999999999999999E+125"})),
            (":b", json!({"B": "YQ=="})),
            (":bool", json!({"BOOL": true})),
            (":null", json!({"NULL": true})),
            (":ss", json!({"SS": ["a"]})),
            (":ss2", json!({"SS": ["c", "b"]})),
            (":ns", json!({"NS": ["1", "3"]})),
            (":bs", json!({"BS": ["YQ=="]})),
            (":l", json!({"L": [{"N": "1"}]})),
            (":l2", json!({"L": [{"S": "x"}, {"S": "y"}]})),
            (":empty", json!({"L": []})),
            (":m", json!({"M": {"a": {"L": [{"N": "1"}]}}})),
        ])
    }

    fn parse_with(s: &str, nm: &HashMap<String, String>) -> Result<Update, String> {
        let vals = std_values();
        let mut n = Names::new(Some(nm));
        let mut v = Values::new(Some(&vals));
        parse_update(s, &mut n, &mut v).map_err(|e| e.0)
    }

    fn parse(s: &str) -> Result<Update, String> {
        parse_with(s, &names(&[("#c", "c"), ("#d", "[3]"), ("#b", "b"), ("#1", "1")]))
    }

    fn err(s: &str) -> String {
        match parse(s) {
            Ok(u) => panic!("{s:?} parsed: {u:?}"),
            Err(e) => e.strip_prefix("Invalid UpdateExpression: ").unwrap_or(&e).to_string(),
        }
    }

    /// Applies `expr` to `before` and returns the result (or the error).
    fn run(expr: &str, before: serde_json::Value) -> Result<Item, String> {
        let u = parse(expr).unwrap_or_else(|e| panic!("{expr}: {e}"));
        let mut it = item(before);
        let snapshot = it.clone();
        match u.apply(&mut it) {
            Ok(()) => Ok(it),
            Err(e) => {
                assert_eq!(it, snapshot, "an error leaves the item as it was");
                Err(e.0)
            }
        }
    }

    fn ok(expr: &str, before: serde_json::Value, after: serde_json::Value) {
        assert_eq!(
            run(expr, before).unwrap_or_else(|e| panic!("{expr}: {e}")),
            item(after),
            "{expr}"
        );
    }

    fn fails(expr: &str, before: serde_json::Value, msg: &str) {
        assert_eq!(run(expr, before).unwrap_err(), msg, "{expr}");
    }

    #[test]
    fn parses_sections_in_any_order() {
        let u = parse("REMOVE b DELETE c :ss ADD d :n, e :ss SET f = :l, g = h + :n").unwrap();
        let kinds: Vec<&str> = u
            .actions()
            .iter()
            .map(|a| match a {
                Action::Set(..) => "set",
                Action::Remove(_) => "remove",
                Action::Add(..) => "add",
                Action::Delete(..) => "delete",
            })
            .collect();
        assert_eq!(kinds, ["remove", "delete", "add", "add", "set", "set"]);
        let paths: Vec<String> =
            u.paths().iter().map(|p| crate::dynamodb::expr::path::show(p)).collect();
        assert_eq!(paths, ["[b]", "[c]", "[d]", "[e]", "[f]", "[g]"]);
        for s in [
            "set a = :n",
            "SET a=:n,b=:s",
            "set a = b, c = if_not_exists(c, :n) + :n",
            "set a = list_append(if_not_exists(a, :empty), :l)",
            "set a = (b + c)",
            "set a = ((b))",
            "set a = (b) - (c)",
            "set b.c=((c[1])+(b.a)),b.a = a",
            "set a = if_not_exists(a, if_not_exists(b, :n))",
            "remove a, b[1].c, #c",
            "add a :n",
            "delete a :ss, b :ns",
            "set a.b [1] . c = :n",
        ] {
            if let Err(e) = parse(s) {
                panic!("{s}: {e}");
            }
        }
    }

    #[test]
    fn syntax_errors() {
        for s in [
            "whatever",
            "set a",
            "add a",
            "delete a",
            "set a=set",
            "remove a = b",
            "add a = b",
            "delete a = b",
            "delete a b",
            "delete a if_not_exist(b)",
            "add abort b",
            "add a if_not_exist(b)",
            "remove a b",
            "set a b",
            "set :a = b",
            "add :a b",
            "delete :a b",
            "remove :a",
            "set a = b / c",
            "set a = b * c",
            "set a[1] = \"eight\"",
            "set a[1] = 1",
            "SET if_not_exist(a, b) = a",
            "set (a = (b + c))",
            "set a = (b.c).d + e",
            "set a = (b.c)[0] + e",
            "set a = b + c + d",
            "set a = (b + c) + d",
            "set a = :n,",
            "set a = :n remove",
            "SET a = :n AND b = :n",
            "set and = :n",
        ] {
            let e = err(s);
            assert!(e.starts_with("Syntax error; token: "), "{s:?}: {e}");
        }
        assert_eq!(err(""), "The expression can not be empty;");
        assert_eq!(err("add hits : incr"), "Syntax error; token: \":\", near: \"hits : incr\"");
    }

    #[test]
    fn parse_time_errors() {
        assert_eq!(
            err(" set #c = :s set abOrt = :s "),
            "Attribute name is a reserved keyword; reserved keyword: abOrt"
        );
        assert_eq!(
            err(" remove Absolute "),
            "Attribute name is a reserved keyword; reserved keyword: Absolute"
        );
        assert_eq!(err("set a = size(b)"), "Invalid function name; function: size");
        assert_eq!(
            err("set #c = if_not_exist(:s) set c = d"),
            "Invalid function name; function: if_not_exist"
        );
        for (s, sec) in [
            ("set a = #c set c = :s", "SET"),
            ("remove #c set a = b remove e", "REMOVE"),
            ("add #c :n set a = b add e :n", "ADD"),
            ("delete #c :ss set a = b delete e :ss", "DELETE"),
        ] {
            assert_eq!(
                err(s),
                format!("The \"{sec}\" section can only be used once in an update expression;")
            );
        }
        assert_eq!(
            err("SET #zz = if_not_exists(:s)"),
            "An expression attribute name used in the document path is not defined; attribute name: #zz"
        );
        assert_eq!(
            err("SET a = if_not_exists(:zz)"),
            "An expression attribute value used in expression is not defined; attribute value: :zz"
        );
        let overlap = |a: &str, b: &str| {
            format!("Two document paths overlap with each other; must remove or rewrite one of these paths; path one: {a}, path two: {b}")
        };
        for (s, one, two) in [
            ("set d[1] = a, d.b = a, c[1].a = a, #c = if_not_exists(a)", "[c, [1], a]", "[c]"),
            ("set c.b.#c = a, c = a, #d = a", "[c, b, c]", "[c]"),
            ("set a = b remove a, #c, #d", "[a]", "[a]"),
            ("set #c[3].#d = a, #c[3] = a", "[c, [3], [3]]", "[c, [3]]"),
            ("remove c, #c.a, #d", "[c]", "[c, a]"),
            ("remove a, #c, a, #d", "[a]", "[a]"),
        ] {
            assert_eq!(err(s), overlap(one, two), "{s}");
        }
        let conflict = |a: &str, b: &str| {
            format!("Two document paths conflict with each other; must remove or rewrite one of these paths; path one: {a}, path two: {b}")
        };
        assert_eq!(
            err("set #c[3].#d = a, #c.#d[3] = if_not_exists(a)"),
            conflict("[c, [3], [3]]", "[c, [3], [3]]")
        );
        assert_eq!(err("remove a.#c set a[1] = #d"), conflict("[a, c]", "[a, [1]]"));
        let operand = |op: &str, ty: &str| {
            format!("Incorrect operand type for operator or function; operator: {op}, operand type: {ty}")
        };
        assert_eq!(
            err("set b = list_append(:s, a), c = if_not_exists(a) add a.b :s"),
            operand("ADD", "STRING")
        );
        for (v, ty) in [
            (":s", "STRING"),
            (":null", "NULL"),
            (":bool", "BOOLEAN"),
            (":b", "BINARY"),
            (":m", "MAP"),
            (":l", "LIST"),
        ] {
            assert_eq!(err(&format!("add a.b {v}")), operand("ADD", ty));
            assert_eq!(err(&format!("delete a.b {v}")), operand("DELETE", ty));
        }
        assert_eq!(err("delete a.b :n"), operand("DELETE", "NUMBER"));
        for s in ["set a = if_not_exists(c)", "set a = list_append(c)"] {
            assert!(
                err(s).starts_with(
                    "Incorrect number of operands for operator or function; operator or function: "
                ),
                "{s}"
            );
        }
        assert_eq!(
            err("set a = if_not_exists(:s, c)"),
            "Operator or function requires a document path; operator or function: if_not_exists"
        );
        assert_eq!(
            err("set a = if_not_exists(if_not_exists(a, b), c)"),
            "Operator or function requires a document path; operator or function: if_not_exists"
        );
        let ftype = |f: &str, ty: &str| {
            format!("Incorrect operand type for operator or function; operator or function: {f}, operand type: {ty}")
        };
        assert_eq!(err("set a = list_append(:s, a)"), ftype("list_append", "S"));
        assert_eq!(err("set a = list_append(a, :n)"), ftype("list_append", "N"));
        assert_eq!(err("set a = list_append(:m, a)"), ftype("list_append", "M"));
        assert_eq!(err("set a = a + :s"), ftype("+", "S"));
        assert_eq!(err("set a = :s + :b"), ftype("+", "S"));
        assert_eq!(err("set a = :b - a"), ftype("-", "B"));
        assert_eq!(err("set a = a - :l"), ftype("-", "L"));
        assert_eq!(err("set a = a - :ns"), ftype("-", "NS"));
    }

    #[test]
    fn set_values() {
        ok(
            "set a = :s, b = c, d = if_not_exists(d, :n), e = if_not_exists(c, :n), f = list_append(l, :l2)",
            json!({"c": {"N": "5"}, "l": {"L": [{"S": "w"}]}}),
            json!({"a": {"S": "a"}, "b": {"N": "5"}, "c": {"N": "5"}, "d": {"N": "1"}, "e": {"N": "5"},
                   "f": {"L": [{"S": "w"}, {"S": "x"}, {"S": "y"}]}, "l": {"L": [{"S": "w"}]}}),
        );
        ok("set a = :p1 + :p2", json!({}), json!({"a": {"N": "0.3"}}));
        ok("set a = a - :two", json!({"a": {"N": "0.3"}}), json!({"a": {"N": "-1.7"}}));
        ok("set a = if_not_exists(a, :two) + :n", json!({}), json!({"a": {"N": "3"}}));
        ok(
            "set l = list_append(:l, if_not_exists(l, :empty))",
            json!({"l": {"L": [{"S": "z"}]}}),
            json!({"l": {"L": [{"N": "1"}, {"S": "z"}]}}),
        );
        fails("set a = a + :big", json!({"a": {"N": "1E125"}}),
            "Number overflow. Attempting to store a number with magnitude larger than supported range");
        fails(
            "set c = b",
            json!({}),
            "The provided expression refers to an attribute that does not exist in the item",
        );
        fails(
            "set e = list_append(b, c)",
            json!({"b": {"L": []}}),
            "The provided expression refers to an attribute that does not exist in the item",
        );
        for (expr, before) in [
            ("set e = a + :n", json!({"a": {"S": "x"}})),
            ("set e = b - :n", json!({"b": {"M": {}}})),
            ("set e = :n - b", json!({"b": {"NS": ["1"]}})),
            ("set e = list_append(d, if_not_exists(f, :empty))", json!({"d": {"NS": ["1"]}})),
            ("set e = list_append(:l, d)", json!({"d": {"S": "x"}})),
        ] {
            fails(expr, before, "An operand in the update expression has an incorrect data type");
        }
        // Values come from the item before the update: a swap works.
        ok(
            "set a = b, b = a",
            json!({"a": {"S": "1"}, "b": {"S": "2"}}),
            json!({"a": {"S": "2"}, "b": {"S": "1"}}),
        );
    }

    #[test]
    fn nested_paths_and_list_appends() {
        // DynamoDB's own example: values from the old item, appends in index order.
        ok(
            "set b.c=((c[1])+(b.a)),b.a = a,c[1] = a, c[4] = b.a - b.b, c[2] = b.c add c[8] :ss, c[6] :two",
            json!({"a": {"S": "k"}, "b": {"M": {"a": {"N": "1"}, "b": {"N": "2"}, "c": {"N": "3"}}},
                   "c": {"L": [{"N": "1"}, {"N": "3"}]}}),
            json!({"a": {"S": "k"}, "b": {"M": {"a": {"S": "k"}, "b": {"N": "2"}, "c": {"N": "4"}}},
                   "c": {"L": [{"N": "1"}, {"S": "k"}, {"N": "3"}, {"N": "-1"}, {"N": "2"}, {"SS": ["a"]}]}}),
        );
        ok("set l[0] = :s", json!({"l": {"L": []}}), json!({"l": {"L": [{"S": "a"}]}}));
        ok(
            "set l[5] = :s",
            json!({"l": {"L": [{"N": "0"}, {"N": "1"}]}}),
            json!({"l": {"L": [{"N": "0"}, {"N": "1"}, {"S": "a"}]}}),
        );
        ok(
            "set m.x.y = :n, m.l[1].z = :s",
            json!({"m": {"M": {"x": {"M": {}}, "l": {"L": [{"N": "0"}, {"M": {}}]}}}}),
            json!({"m": {"M": {"x": {"M": {"y": {"N": "1"}}}, "l": {"L": [{"N": "0"}, {"M": {"z": {"S": "a"}}}]}}}}),
        );
        let bad = "The document path provided in the update expression is invalid for update";
        let before = json!({"b": {"S": "x"}, "c": {"M": {"1": {"S": "a"}}}, "d": {"L": [{"S": "a"}, {"S": "b"}]}});
        for verb in ["set", "remove", "delete", "add"] {
            for target in ["b.a", "b[1]", "y.a", "y[1]", "c[1]", "d.#1", "y.a.b"] {
                let expr = match verb {
                    "set" => format!("set {target} = :ss"),
                    "remove" => format!("remove {target}"),
                    _ => format!("{verb} {target} :ss"),
                };
                fails(&expr, before.clone(), bad);
            }
        }
        fails("set b.a = a", json!({"a": {"S": "k"}}), bad);
        fails("set b[1] = a", json!({"a": {"S": "k"}}), bad);
    }

    #[test]
    fn remove_shifts_lists_by_original_indexes() {
        let l = || json!({"l": {"L": [{"S": "a"}, {"S": "b"}, {"S": "c"}, {"S": "d"}]}});
        ok("remove l[1]", l(), json!({"l": {"L": [{"S": "a"}, {"S": "c"}, {"S": "d"}]}}));
        ok("remove l[0], l[2]", l(), json!({"l": {"L": [{"S": "b"}, {"S": "d"}]}}));
        ok("remove l[2], l[0]", l(), json!({"l": {"L": [{"S": "b"}, {"S": "d"}]}}));
        ok("remove l[3], l[9]", l(), json!({"l": {"L": [{"S": "a"}, {"S": "b"}, {"S": "c"}]}}));
        ok(
            "remove l[1] set l[0] = :n",
            l(),
            json!({"l": {"L": [{"N": "1"}, {"S": "c"}, {"S": "d"}]}}),
        );
        ok(
            "remove l[0] set l[9] = :n",
            l(),
            json!({"l": {"L": [{"S": "b"}, {"S": "c"}, {"S": "d"}, {"N": "1"}]}}),
        );
        // An index past the original end removes nothing, even after appends.
        ok(
            "remove l[4] set l[7] = :n",
            l(),
            json!({"l": {"L": [{"S": "a"}, {"S": "b"}, {"S": "c"}, {"S": "d"}, {"N": "1"}]}}),
        );
        ok(
            "remove n[0], n[1].x",
            json!({"n": {"L": [{"S": "a"}, {"M": {"x": {"S": "1"}, "y": {"S": "2"}}}]}}),
            json!({"n": {"L": [{"M": {"y": {"S": "2"}}}]}}),
        );
        ok(
            "remove l[0] set l[1] = :n",
            l(),
            json!({"l": {"L": [{"N": "1"}, {"S": "c"}, {"S": "d"}]}}),
        );
        ok(
            "remove a, b.c, gone",
            json!({"a": {"S": "x"}, "b": {"M": {"c": {"N": "1"}, "d": {"N": "2"}}}}),
            json!({"b": {"M": {"d": {"N": "2"}}}}),
        );
        ok("remove m.gone", json!({"m": {"M": {}}}), json!({"m": {"M": {}}}));
    }

    #[test]
    fn add_and_delete() {
        ok("add a :n", json!({}), json!({"a": {"N": "1"}}));
        ok("add a :p2", json!({"a": {"N": "0.1"}}), json!({"a": {"N": "0.3"}}));
        ok("add a :ss2", json!({}), json!({"a": {"SS": ["c", "b"]}}));
        ok("add a :ss2", json!({"a": {"SS": ["z", "b"]}}), json!({"a": {"SS": ["b", "c", "z"]}}));
        ok(
            "add a :ns",
            json!({"a": {"NS": ["3", "2", "10"]}}),
            json!({"a": {"NS": ["1", "2", "3", "10"]}}),
        );
        ok("add a :bs", json!({"a": {"BS": ["Yg=="]}}), json!({"a": {"BS": ["YQ==", "Yg=="]}}));
        ok(
            "add m.x :n, l[0] :n, l[3] :two",
            json!({"m": {"M": {}}, "l": {"L": [{"N": "5"}]}}),
            json!({"m": {"M": {"x": {"N": "1"}}}, "l": {"L": [{"N": "6"}, {"N": "2"}]}}),
        );
        fails("add a :big", json!({"a": {"N": "1E125"}}),
            "Number overflow. Attempting to store a number with magnitude larger than supported range");
        let bad = "An operand in the update expression has an incorrect data type";
        for (expr, before) in [
            ("add a :n", json!({"a": {"NS": ["1"]}})),
            ("add a :ns", json!({"a": {"SS": ["1"]}})),
            ("add a :ss", json!({"a": {"N": "1"}})),
            ("add a :ss", json!({"a": {"L": []}})),
            ("delete a :ss", json!({"a": {"NS": ["1"]}})),
            ("delete a :ns", json!({"a": {"N": "1"}})),
            ("delete a :bs", json!({"a": {"S": "YQ=="}})),
        ] {
            fails(expr, before, bad);
        }
        ok("delete a :ss", json!({"a": {"SS": ["a", "b"]}}), json!({"a": {"SS": ["b"]}}));
        ok("delete a :ns", json!({"a": {"NS": ["1", "2", "3"]}}), json!({"a": {"NS": ["2"]}}));
        ok("delete a :ss", json!({"a": {"SS": ["a"]}}), json!({}));
        ok("delete a :ss", json!({}), json!({}));
        ok("delete a :ss2", json!({"a": {"SS": ["a"]}}), json!({"a": {"SS": ["a"]}}));
        ok(
            "delete l[0] :ss",
            json!({"l": {"L": [{"SS": ["a"]}, {"S": "x"}]}}),
            json!({"l": {"L": [{"S": "x"}]}}),
        );
        ok(
            "delete m.s :bs",
            json!({"m": {"M": {"s": {"BS": ["YQ=="]}, "t": {"N": "1"}}}}),
            json!({"m": {"M": {"t": {"N": "1"}}}}),
        );
    }

    #[test]
    fn everything_at_once_on_an_empty_item() {
        ok(
            "REMOVE b DELETE c :ss ADD d :n, e :ss SET f = :l",
            json!({}),
            json!({"d": {"N": "1"}, "e": {"SS": ["a"]}, "f": {"L": [{"N": "1"}]}}),
        );
    }

    #[test]
    fn results_nested_too_deeply_are_refused() {
        let mut v = json!({"S": "x"});
        for _ in 0..31 {
            v = json!({"L": [v]});
        }
        let vals: HashMap<String, AttrValue> = values(&[(":deep", v)]);
        let mut names = Names::new(None);
        let mut values_ = Values::new(Some(&vals));
        let u = parse_update("set a.b.c = :deep", &mut names, &mut values_).unwrap();
        let mut it = item(json!({"a": {"M": {"b": {"M": {}}}}}));
        assert_eq!(
            u.apply(&mut it).unwrap_err().0,
            "Nesting Levels have exceeded supported limits"
        );
        let u = parse_update("set a.b = :deep", &mut names, &mut values_).unwrap();
        u.apply(&mut it).unwrap();
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = format!("set a = {}b{}", "if_not_exists(a, ".repeat(200), ")".repeat(200));
        assert!(err(&deep).contains("nested too deeply"));
        let parens = format!("set a = {}b{}", "(".repeat(300), ")".repeat(300));
        assert!(err(&parens).contains("nested too deeply"));
    }
}
