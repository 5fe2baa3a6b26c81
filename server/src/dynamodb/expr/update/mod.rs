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

mod apply;

const KIND: &str = "UpdateExpression";

/// The functions of condition expressions: known to DynamoDB, but not allowed in an update.
const CONDITION_FUNCTIONS: &[&str] = &[
    "attribute_exists",
    "attribute_not_exists",
    "attribute_type",
    "begins_with",
    "contains",
    "size",
];

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
                    // A condition function is known, but not here.
                    let known = CONDITION_FUNCTIONS.contains(&name.as_str());
                    self.note(Check::UnknownFunction, || {
                        if known {
                            format!("The function is not allowed in an update expression; function: {name}")
                        } else {
                            format!("Invalid function name; function: {name}")
                        }
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
                        // DynamoDB does not nest list_append (if_not_exists nests).
                        if [&a, &b].iter().any(|x| matches!(x, UpdateOperand::ListAppend(..))) {
                            self.note(Check::Function, || {
                                "The function is not allowed to be used this way in an expression; function: list_append".to_string()
                            });
                        }
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

#[cfg(test)]
mod tests;
