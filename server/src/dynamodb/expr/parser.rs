//! Condition expressions (ConditionExpression, FilterExpression, KeyConditionExpression) and
//! the operand grammar the update parser ([`crate::dynamodb::expr::update`]) shares.
//!
//! Recursive descent over [`Cursor`], one precedence level per function (grammar in
//! [`super`]). A `(` opens a parenthesized operand when its matching `)` is followed by a
//! comparator, BETWEEN or IN, and a parenthesized condition otherwise, so no backtracking is
//! needed. Operands are first read as [`Term`]s (a path, a value, or a function call with its
//! arguments), then checked and turned into [`Operand`]s and [`Condition`]s; what DynamoDB
//! reports only after a successful parse (unknown or misused functions, wrong operand counts and
//! types, undefined placeholders, reserved words) is held in the cursor's
//! [`Deferred`](crate::dynamodb::expr::path::Deferred) and ranked by [`CONDITION_ORDER`].

use crate::dynamodb::expr::eval::size_of;
use crate::dynamodb::expr::lexer::{self, Tok, Token};
use crate::dynamodb::expr::path::{check_text, show, Check, Cursor, ExprError, Names, Path};
use crate::dynamodb::expr::{CmpOp, Condition, Operand, Values};
use crate::dynamodb::limits::{EXPRESSION_NESTING_MAX, IN_OPERANDS_MAX, OPERATORS_MAX};
use crate::dynamodb::model::value::AttrValue;

pub(crate) type R<T> = Result<T, ExprError>;

/// Words that cannot start an operand: the keywords of condition and update expressions
/// (DynamoDB reads them as keywords in both).
pub(crate) const KEYWORDS: &[&str] =
    &["AND", "OR", "NOT", "BETWEEN", "IN", "SET", "REMOVE", "ADD", "DELETE"];

/// The functions of condition expressions (`size` is the only one that is an operand).
const CONDITION_FUNCTIONS: &[&str] = &[
    "attribute_exists",
    "attribute_not_exists",
    "attribute_type",
    "begins_with",
    "contains",
    "size",
];

/// The type names `attribute_type` takes, in DynamoDB's message order.
const TYPE_NAMES: &str = "{B,NULL,SS,BOOL,L,BS,N,NS,S,M}";

/// DynamoDB's precedence among the errors held while parsing a condition.
pub(crate) const CONDITION_ORDER: &[&[Check]] = &[
    &[Check::TooManyOperators],
    &[Check::Parens],
    &[Check::UnknownFunction],
    &[Check::MisusedFunction],
    &[Check::Reserved],
    &[Check::UndefinedName, Check::UndefinedValue],
    &[Check::OperandCount],
    &[Check::Distinct],
    &[Check::Function],
];

/// An operand as written, before it is checked: a path, a value, or a function call.
#[derive(Debug)]
pub(crate) enum Term {
    Path(Path),
    /// A resolved `:value` (an undefined one is recorded as an error and read as NULL).
    Value(AttrValue),
    Call {
        name: String,
        args: Vec<Term>,
    },
}

/// The parser state shared by condition and update expressions.
pub(crate) struct Parser<'s, 'p, 'a, 'b> {
    pub(crate) c: Cursor<'s>,
    names: &'p mut Names<'a>,
    values: &'p mut Values<'b>,
    /// For each `(` byte, the byte of its matching `)`.
    close: Vec<Option<usize>>,
    depth: usize,
    operators: usize,
}

impl<'s, 'p, 'a, 'b> Parser<'s, 'p, 'a, 'b> {
    pub(crate) fn new(
        s: &'s str,
        kind: &'static str,
        names: &'p mut Names<'a>,
        values: &'p mut Values<'b>,
    ) -> Self {
        Parser {
            c: Cursor::new(s, kind),
            names,
            values,
            close: lexer::matching_parens(s),
            depth: 0,
            operators: 0,
        }
    }

    // ---- tokens ----

    pub(crate) fn peek(&self) -> Token {
        lexer::next(self.c.s, self.c.i)
    }

    /// The token after `t`.
    pub(crate) fn after(&self, t: Token) -> Token {
        lexer::next(self.c.s, t.end)
    }

    pub(crate) fn bump(&mut self, t: Token) {
        self.c.i = t.end;
    }

    pub(crate) fn is_op(&self, t: Token, op: &str) -> bool {
        t.is_op(self.c.s, op)
    }

    pub(crate) fn is_keyword(&self, t: Token, kw: &str) -> bool {
        t.is_keyword(self.c.s, kw)
    }

    pub(crate) fn text(&self, t: Token) -> &'s str {
        t.text(self.c.s)
    }

    pub(crate) fn eat_op(&mut self, op: &str) -> bool {
        let t = self.peek();
        let yes = self.is_op(t, op);
        if yes {
            self.bump(t);
        }
        yes
    }

    pub(crate) fn expect_op(&mut self, op: &str) -> R<()> {
        if self.eat_op(op) {
            Ok(())
        } else {
            Err(self.error_at(self.peek()))
        }
    }

    /// A syntax error at token `t`.
    pub(crate) fn error_at(&self, t: Token) -> ExprError {
        lexer::syntax_error(self.c.kind, self.c.s, t.start)
    }

    /// The byte of the `)` matching the `(` at byte `open`.
    pub(crate) fn close_of(&self, open: usize) -> Option<usize> {
        self.close.get(open).copied().flatten()
    }

    /// The token after the `)` matching the `(` token `open`.
    pub(crate) fn after_group(&self, open: Token) -> Option<Token> {
        self.close_of(open.start).map(|c| lexer::next(self.c.s, c + 1))
    }

    // ---- bookkeeping ----

    /// Enters one level of nesting, refusing to go deeper than [`EXPRESSION_NESTING_MAX`].
    pub(crate) fn enter(&mut self) -> R<()> {
        self.depth += 1;
        if self.depth > EXPRESSION_NESTING_MAX {
            return Err(self.c.invalid(&format!(
                "The expression is nested too deeply; maximum nesting depth: {EXPRESSION_NESTING_MAX}"
            )));
        }
        Ok(())
    }

    pub(crate) fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    /// Counts one operator or function.
    pub(crate) fn count_operator(&mut self) {
        self.operators += 1;
    }

    pub(crate) fn note(&mut self, check: Check, msg: impl FnOnce() -> String) {
        self.c.deferred.note(check, msg);
    }

    /// After the expression: nothing may follow it; then the held errors, ranked by `order`.
    pub(crate) fn end(&mut self, order: &[&[Check]]) -> R<()> {
        let t = self.peek();
        if t.kind != Tok::Eof {
            return Err(self.error_at(t));
        }
        let n = self.operators;
        if n > OPERATORS_MAX {
            self.note(Check::TooManyOperators, || {
                format!("The expression contains too many operators; operator count: {n}")
            });
        }
        self.c.finish(order)
    }

    /// Whether the whole expression is wrapped in two (or more) pairs of parentheses, which
    /// DynamoDB refuses as redundant.
    fn double_wrapped(&self) -> bool {
        let s = self.c.s;
        let first = lexer::next(s, 0);
        let inner = self.after(first);
        match (self.close_of(first.start), self.close_of(inner.start)) {
            (Some(outer), Some(inner_close))
                if self.is_op(first, "(") && self.is_op(inner, "(") =>
            {
                lexer::next(s, outer + 1).kind == Tok::Eof
                    && lexer::next(s, inner_close + 1).start == outer
            }
            _ => false,
        }
    }

    // ---- operands ----

    /// Resolves the `:value` token `t`, recording an undefined placeholder.
    pub(crate) fn value(&mut self, t: Token) -> AttrValue {
        let placeholder = t.text(self.c.s);
        match self.values.resolve(placeholder) {
            Some(v) => v,
            None => {
                self.c.deferred.note(Check::UndefinedValue, || {
                    format!("An expression attribute value used in expression is not defined; attribute value: {placeholder}")
                });
                AttrValue::Null
            }
        }
    }

    /// Reads a document path starting at token `t`.
    pub(crate) fn path_at(&mut self, t: Token) -> R<Path> {
        self.c.i = t.start;
        self.c.path(self.names)
    }

    /// Reads an operand: a parenthesized operand, a path, a value or a function call.
    pub(crate) fn term(&mut self) -> R<Term> {
        let t = self.peek();
        match t.kind {
            Tok::Op if self.is_op(t, "(") => {
                let inner = self.after(t);
                if self.is_op(inner, "(")
                    && self.after_group(inner).map(|a| a.start) == self.close_of(t.start)
                {
                    self.note(Check::Parens, || "The expression has redundant parentheses;".into());
                }
                self.enter()?;
                self.bump(t);
                let term = self.term()?;
                self.expect_op(")")?;
                self.leave();
                Ok(term)
            }
            Tok::Value => {
                self.bump(t);
                Ok(Term::Value(self.value(t)))
            }
            Tok::Name => Ok(Term::Path(self.path_at(t)?)),
            Tok::Word => {
                let word = self.text(t);
                if KEYWORDS.iter().any(|k| word.eq_ignore_ascii_case(k)) {
                    return Err(self.error_at(t));
                }
                let open = self.after(t);
                if !self.is_op(open, "(") {
                    return Ok(Term::Path(self.path_at(t)?));
                }
                self.bump(open);
                self.enter()?;
                let mut args = vec![self.term()?];
                while self.eat_op(",") {
                    args.push(self.term()?);
                }
                self.expect_op(")")?;
                self.leave();
                self.count_operator();
                Ok(Term::Call { name: word.to_string(), args })
            }
            _ => Err(self.error_at(t)),
        }
    }

    // ---- conditions ----

    fn or(&mut self) -> R<Condition> {
        let mut left = self.and()?;
        loop {
            let t = self.peek();
            if !self.is_keyword(t, "OR") {
                return Ok(left);
            }
            self.bump(t);
            self.count_operator();
            let right = self.and()?;
            left = Condition::Or(Box::new(left), Box::new(right));
        }
    }

    fn and(&mut self) -> R<Condition> {
        let mut left = self.not()?;
        loop {
            let t = self.peek();
            if !self.is_keyword(t, "AND") {
                return Ok(left);
            }
            self.bump(t);
            self.count_operator();
            let right = self.not()?;
            left = Condition::And(Box::new(left), Box::new(right));
        }
    }

    fn not(&mut self) -> R<Condition> {
        let t = self.peek();
        if !self.is_keyword(t, "NOT") {
            return self.primary();
        }
        self.bump(t);
        self.count_operator();
        self.enter()?;
        let inner = self.not()?;
        self.leave();
        Ok(Condition::Not(Box::new(inner)))
    }

    /// Whether the `(` token `open` starts a parenthesized operand (its group is followed by a
    /// comparator, BETWEEN or IN) rather than a parenthesized condition.
    fn opens_operand(&self, open: Token) -> bool {
        self.after_group(open).is_some_and(|t| {
            comparator(self.c.s, t).is_some()
                || self.is_keyword(t, "BETWEEN")
                || self.is_keyword(t, "IN")
        })
    }

    fn primary(&mut self) -> R<Condition> {
        let t = self.peek();
        if self.is_op(t, "(") && !self.opens_operand(t) {
            self.enter()?;
            self.bump(t);
            let inner = self.or()?;
            self.expect_op(")")?;
            self.leave();
            return Ok(inner);
        }
        let left = self.term()?;
        let t = self.peek();
        if let Some(op) = comparator(self.c.s, t) {
            self.bump(t);
            self.count_operator();
            let right = self.term()?;
            return Ok(self.compare(left, op, right));
        }
        if self.is_keyword(t, "BETWEEN") {
            self.bump(t);
            self.count_operator();
            let low = self.term()?;
            let and = self.peek();
            if !self.is_keyword(and, "AND") {
                return Err(self.error_at(and));
            }
            self.bump(and);
            let high = self.term()?;
            return Ok(self.between(left, low, high));
        }
        if self.is_keyword(t, "IN") {
            self.bump(t);
            self.count_operator();
            self.expect_op("(")?;
            let mut list = vec![self.term()?];
            while self.eat_op(",") {
                list.push(self.term()?);
            }
            self.expect_op(")")?;
            return Ok(self.is_in(left, list));
        }
        match left {
            Term::Call { name, args } => Ok(self.function(name, args)),
            _ => Err(self.error_at(t)),
        }
    }

    // ---- checks: terms to operands and conditions ----

    /// The operand a term stands for; a function other than `size` here is an error.
    fn operand(&mut self, t: Term) -> Operand {
        match t {
            Term::Path(p) => Operand::Path(p),
            Term::Value(v) => Operand::Value(v),
            Term::Call { name, args } if name == "size" => self.size(args),
            Term::Call { name, args } => {
                if CONDITION_FUNCTIONS.contains(&name.as_str()) {
                    self.note(Check::MisusedFunction, || {
                        format!("The function is not allowed to be used this way in an expression; function: {name}")
                    });
                } else {
                    self.note(Check::UnknownFunction, || {
                        format!("Invalid function name; function: {name}")
                    });
                }
                // Its arguments are still checked, as DynamoDB checks them.
                for a in args {
                    self.operand(a);
                }
                dummy_operand()
            }
        }
    }

    fn operands(&mut self, terms: Vec<Term>) -> Vec<Operand> {
        terms.into_iter().map(|t| self.operand(t)).collect()
    }

    /// `size(x)`: of a path, evaluated per item; of a value, computed now.
    fn size(&mut self, args: Vec<Term>) -> Operand {
        let mut ops = self.operands(args);
        if ops.len() != 1 {
            self.wrong_count("size", ops.len());
            return dummy_operand();
        }
        match ops.pop() {
            Some(Operand::Path(p)) => Operand::Size(p),
            Some(Operand::Value(v)) => match size_of(&v) {
                Some(n) => Operand::Value(AttrValue::N(n)),
                None => {
                    self.wrong_type("size", v.type_name());
                    dummy_operand()
                }
            },
            _ => {
                self.wrong_type("size", "N");
                dummy_operand()
            }
        }
    }

    pub(crate) fn wrong_count(&mut self, name: &str, n: usize) {
        self.note(Check::OperandCount, || {
            format!("Incorrect number of operands for operator or function; operator or function: {name}, number of operands: {n}")
        });
    }

    pub(crate) fn wrong_type(&mut self, name: &str, ty: &str) {
        self.note(Check::Function, || {
            format!("Incorrect operand type for operator or function; operator or function: {name}, operand type: {ty}")
        });
    }

    pub(crate) fn needs_path(&mut self, name: &str) {
        self.note(Check::Function, || {
            format!("Operator or function requires a document path; operator or function: {name}")
        });
    }

    /// DynamoDB refuses the same path as the first and another operand.
    fn distinct(&mut self, op: &str, first: &Operand, rest: &[&Operand]) {
        if let Operand::Path(p) = first {
            if rest.iter().any(|o| matches!(o, Operand::Path(q) if q == p)) {
                self.note(Check::Distinct, || {
                    format!("The first operand must be distinct from the remaining operands for this operator or function; operator: {op}, first operand: {}", show(p))
                });
            }
        }
    }

    fn compare(&mut self, left: Term, op: CmpOp, right: Term) -> Condition {
        let a = self.operand(left);
        let b = self.operand(right);
        self.distinct(op.symbol(), &a, &[&b]);
        if !matches!(op, CmpOp::Eq | CmpOp::Ne) {
            self.ordered(op.symbol(), &[&a, &b]);
        }
        Condition::Compare(a, op, b)
    }

    /// An ordering (`<`, ..., BETWEEN) of a value that has no order is an error, not a false
    /// condition (an item's value of such a type only makes the condition false).
    fn ordered(&mut self, op: &str, operands: &[&Operand]) {
        for o in operands {
            if let Operand::Value(v) = o {
                if !matches!(v, AttrValue::S(_) | AttrValue::N(_) | AttrValue::B(_)) {
                    self.wrong_type(op, v.type_name());
                }
            }
        }
    }

    fn between(&mut self, x: Term, low: Term, high: Term) -> Condition {
        let a = self.operand(x);
        let lo = self.operand(low);
        let hi = self.operand(high);
        self.distinct("BETWEEN", &a, &[&lo, &hi]);
        if let (Operand::Value(l), Operand::Value(h)) = (&lo, &hi) {
            let bounds = || {
                format!(
                    "lower bound operand: AttributeValue: {}, upper bound operand: AttributeValue: {}",
                    render(l),
                    render(h)
                )
            };
            if l.type_name() != h.type_name() {
                self.note(Check::Function, || {
                    format!("The BETWEEN operator requires same data type for lower and upper bounds; {}", bounds())
                });
            } else if crate::dynamodb::expr::eval::order(l, h) == Some(std::cmp::Ordering::Greater)
            {
                self.note(Check::Function, || {
                    format!("The BETWEEN operator requires upper bound to be greater than or equal to lower bound; {}", bounds())
                });
            }
        }
        self.ordered("BETWEEN", &[&a, &lo, &hi]);
        Condition::Between(a, lo, hi)
    }

    fn is_in(&mut self, x: Term, list: Vec<Term>) -> Condition {
        let a = self.operand(x);
        let list = self.operands(list);
        // The count is of every operand, the first included.
        let n = list.len() + 1;
        if n > IN_OPERANDS_MAX {
            self.note(Check::OperandCount, || {
                format!(
                    "The IN operator is provided with too many operands; number of operands: {n}"
                )
            });
        }
        let rest: Vec<&Operand> = list.iter().collect();
        self.distinct("IN", &a, &rest);
        Condition::In(a, list)
    }

    /// A function used as a condition.
    fn function(&mut self, name: String, args: Vec<Term>) -> Condition {
        let ops = self.operands(args);
        let arity = match name.as_str() {
            "attribute_exists" | "attribute_not_exists" => 1,
            "attribute_type" | "begins_with" | "contains" => 2,
            "size" => {
                self.note(Check::MisusedFunction, || {
                    "The function is not allowed to be used this way in an expression; function: size".into()
                });
                return Condition::True;
            }
            _ => {
                self.note(Check::UnknownFunction, || {
                    format!("Invalid function name; function: {name}")
                });
                return Condition::True;
            }
        };
        if ops.len() != arity {
            self.wrong_count(&name, ops.len());
            return Condition::True;
        }
        let mut it = ops.into_iter();
        let (Some(a), b) = (it.next(), it.next()) else { return Condition::True };
        match (name.as_str(), a, b) {
            ("attribute_exists", Operand::Path(p), None) => Condition::AttributeExists(p),
            ("attribute_not_exists", Operand::Path(p), None) => Condition::AttributeNotExists(p),
            ("attribute_type", a, Some(t)) => {
                match &t {
                    Operand::Value(AttrValue::S(ty)) => {
                        if !is_type_name(ty) {
                            self.note(Check::Function, || {
                                format!("Invalid attribute type name found; type: {ty}, valid types: {TYPE_NAMES}")
                            });
                        }
                    }
                    Operand::Value(v) => self.wrong_type(&name, v.type_name()),
                    Operand::Size(_) => self.wrong_type(&name, "N"),
                    Operand::Path(_) => self.wrong_type(&name, "{NS,SS,L,BS,N,M,B,BOOL,NULL,S}"),
                }
                match (a, &t) {
                    (Operand::Path(p), _) => Condition::AttributeType(p, t),
                    // Of a value, the answer is known now.
                    (Operand::Value(v), Operand::Value(AttrValue::S(ty)))
                        if v.type_name() == ty =>
                    {
                        Condition::True
                    }
                    (Operand::Value(_), _) => Condition::Not(Box::new(Condition::True)),
                    (Operand::Size(_), _) => {
                        self.needs_path(&name);
                        Condition::True
                    }
                }
            }
            ("begins_with", a, Some(b)) => {
                self.distinct(&name, &a, &[&b]);
                for ty in [static_type(&a), static_type(&b)].into_iter().flatten() {
                    if ty != "S" && ty != "B" {
                        self.wrong_type(&name, ty);
                    }
                }
                Condition::BeginsWith(a, b)
            }
            ("contains", a, Some(b)) => {
                self.distinct(&name, &a, &[&b]);
                Condition::Contains(a, b)
            }
            _ => {
                self.needs_path(&name);
                Condition::True
            }
        }
    }
}

/// Stands in for an operand whose error is already recorded (never returned to a caller).
fn dummy_operand() -> Operand {
    Operand::Value(AttrValue::Null)
}

/// The comparator token `t` is, if it is one.
fn comparator(s: &str, t: Token) -> Option<CmpOp> {
    if t.kind != Tok::Op {
        return None;
    }
    Some(match t.text(s) {
        "=" => CmpOp::Eq,
        "<>" => CmpOp::Ne,
        "<" => CmpOp::Lt,
        "<=" => CmpOp::Le,
        ">" => CmpOp::Gt,
        ">=" => CmpOp::Ge,
        _ => return None,
    })
}

/// The type an operand is known to have before evaluation.
pub(crate) fn static_type(o: &Operand) -> Option<&'static str> {
    match o {
        Operand::Value(v) => Some(v.type_name()),
        Operand::Size(_) => Some("N"),
        Operand::Path(_) => None,
    }
}

fn is_type_name(t: &str) -> bool {
    matches!(t, "S" | "N" | "B" | "SS" | "NS" | "BS" | "M" | "L" | "BOOL" | "NULL")
}

/// A value as DynamoDB renders it in messages: `{N:1}`, `{S:a}`.
pub(crate) fn render(v: &AttrValue) -> String {
    let inner = match v {
        AttrValue::S(s) => s.clone(),
        AttrValue::N(n) => n.to_text(),
        other => {
            let j = other.to_json();
            j.get(other.type_name()).map(|x| x.to_string()).unwrap_or_default()
        }
    };
    format!("{{{}:{inner}}}", v.type_name())
}

/// Parses a condition expression (see [`crate::dynamodb::expr::parse_condition`]).
pub(crate) fn parse_condition(
    s: &str,
    kind: &'static str,
    names: &mut Names,
    values: &mut Values,
) -> R<Condition> {
    check_text(s, kind)?;
    let mut p = Parser::new(s, kind, names, values);
    if p.double_wrapped() {
        p.note(Check::Parens, || "The expression has redundant parentheses;".into());
    }
    let c = p.or()?;
    p.end(CONDITION_ORDER)?;
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use super::*;
    use crate::dynamodb::expr::path::Step;
    use serde_json::json;
    use std::collections::HashMap;

    const KIND: &str = "ConditionExpression";

    fn std_values() -> HashMap<String, AttrValue> {
        values(&[
            (":x", json!({"S": "x"})),
            (":y", json!({"S": "y"})),
            (":z", json!({"S": "z"})),
            (":n", json!({"N": "1"})),
            (":m", json!({"N": "2"})),
            (":t", json!({"S": "S"})),
            (":bad", json!({"S": "STRING"})),
            (":b", json!({"B": "AQ=="})),
            (":ss", json!({"SS": ["a"]})),
            (":bool", json!({"BOOL": true})),
            (":null", json!({"NULL": true})),
        ])
    }

    fn parse_with(s: &str, nm: &HashMap<String, String>) -> Result<Condition, String> {
        let vals = std_values();
        let mut n = Names::new(Some(nm));
        let mut v = Values::new(Some(&vals));
        parse_condition(s, KIND, &mut n, &mut v).map_err(|e| e.0)
    }

    fn parse(s: &str) -> Result<Condition, String> {
        parse_with(s, &names(&[("#s", "status"), ("#a", "a")]))
    }

    fn err(s: &str) -> String {
        match parse(s) {
            Ok(c) => panic!("{s:?} parsed: {c:?}"),
            Err(e) => e.strip_prefix("Invalid ConditionExpression: ").unwrap_or(&e).to_string(),
        }
    }

    fn path(names: &[&str]) -> Path {
        Path(names.iter().map(|n| Step::Attr(n.to_string())).collect())
    }

    fn cmp(a: &str, v: &str) -> Condition {
        Condition::Compare(Operand::Path(path(&[a])), CmpOp::Eq, Operand::Value(s(v)))
    }

    #[test]
    fn precedence_is_comparison_not_and_or() {
        let c = parse("a = :x OR b = :y AND NOT c = :z").unwrap();
        let want = Condition::Or(
            Box::new(cmp("a", "x")),
            Box::new(Condition::And(
                Box::new(cmp("b", "y")),
                Box::new(Condition::Not(Box::new(cmp("c", "z")))),
            )),
        );
        assert_eq!(c, want);
        // Keywords are case-insensitive; AND and OR associate to the left.
        let c = parse("a = :x and b = :y or c = :z or NOT not a = :x").unwrap();
        let Condition::Or(left, right) = c else { panic!() };
        assert!(matches!(*left, Condition::Or(..)));
        assert!(
            matches!(*right, Condition::Not(ref inner) if matches!(**inner, Condition::Not(_)))
        );
        // Parentheses regroup.
        let c = parse("(a = :x OR b = :y) AND c = :z").unwrap();
        assert!(matches!(c, Condition::And(ref l, _) if matches!(**l, Condition::Or(..))));
    }

    #[test]
    fn parses_every_form() {
        let ok = [
            "a <> :x",
            "a < :n",
            "a <= :n",
            "a > :n",
            "a >= :n",
            ":n = a",
            "a = b",
            "a.b[1].#s = :x",
            "a BETWEEN :n AND :m",
            "a between :n and :m",
            "a IN (:x, :y, b)",
            "a in (:x)",
            "attribute_exists(a)",
            "attribute_not_exists(#s.x)",
            "attribute_type(a, :t)",
            "begins_with(a, :x)",
            "begins_with(a, :b)",
            "contains(a, :x)",
            "contains(a, b)",
            "size(a) > :n",
            "size (a.b) BETWEEN :n AND size(c)",
            ":n < size(a)",
            "(a) = :x",
            "(size(a)) = :n",
            "((a = :x) AND (b = :y))",
            "(a = :x AND (b = :y))",
            "((a = :x)) AND ((b = :y))",
            "NOT (a = :x)",
            "(NOT (a = :x))",
            "a=:x AND(b=:y)OR(c=:z)",
            "contains(size(a), :n)",
            "\ta\n=\r:x ",
            "a . b [ 2 ] = :x",
        ];
        for s in ok {
            if let Err(e) = parse(s) {
                panic!("{s:?}: {e}");
            }
        }
        assert_eq!(
            parse("size(a) > :n").unwrap(),
            Condition::Compare(Operand::Size(path(&["a"])), CmpOp::Gt, Operand::Value(n("1")))
        );
        // size of a value is computed at parse time.
        assert_eq!(
            parse("size(:x) = :n").unwrap(),
            Condition::Compare(Operand::Value(n("1")), CmpOp::Eq, Operand::Value(n("1")))
        );
        assert_eq!(
            parse("#s.x = :x").unwrap(),
            Condition::Compare(
                Operand::Path(path(&["status", "x"])),
                CmpOp::Eq,
                Operand::Value(s("x"))
            )
        );
    }

    #[test]
    fn syntax_errors_name_the_token() {
        assert_eq!(err("a = :x AND"), "Syntax error; token: \"<EOF>\", near: \"AND\"");
        assert_eq!(err("a > 4"), "Syntax error; token: \"4\", near: \"> 4\"");
        assert_eq!(err("a = :x b = :y"), "Syntax error; token: \"b\", near: \":x b =\"");
        assert_eq!(err("ADD #a :x"), "Syntax error; token: \"ADD\", near: \"ADD #a\"");
        for bad in [
            "a",
            "a =",
            "= :x",
            "a = :x)",
            "(a = :x",
            "a BETWEEN :n",
            "a BETWEEN :n OR :m",
            "a IN ()",
            "a IN :x",
            "a IN (:x,)",
            "NOT",
            "a == :x",
            "a != :x",
            "a = AND",
            "attribute_exists()",
            "attribute_exists(a",
            "things are not gonna be ok",
            "(size(a))[0] > a",
            "a = \"x\"",
            "a[-1] = :x",
            "a.1 = :x",
            "#",
            ":",
            "a = :x AND OR b = :y",
            "é = :x",
        ] {
            let e = err(bad);
            assert!(e.starts_with("Syntax error; token: "), "{bad:?}: {e}");
        }
    }

    #[test]
    fn empty_and_too_long() {
        assert_eq!(err(""), "The expression can not be empty;");
        assert_eq!(err("  "), "The expression can not be empty;");
        let long = format!("a = :x{}", " ".repeat(4096));
        assert_eq!(err(&long), "Expression size has exceeded the maximum allowed size");
    }

    #[test]
    fn reserved_words_and_placeholders() {
        assert_eq!(
            err("status = :x"),
            "Attribute name is a reserved keyword; reserved keyword: status"
        );
        assert_eq!(
            err("a.Size = :x"),
            "Attribute name is a reserved keyword; reserved keyword: Size"
        );
        assert_eq!(
            err("contains(a, comment)"),
            "Attribute name is a reserved keyword; reserved keyword: comment"
        );
        parse("#s = :x").unwrap();
        assert_eq!(
            err("#nope = :x"),
            "An expression attribute name used in the document path is not defined; attribute name: #nope"
        );
        assert_eq!(
            err("a = :nope"),
            "An expression attribute value used in expression is not defined; attribute value: :nope"
        );
        // A syntax error anywhere wins over held errors.
        assert!(err("status = :nope AND").starts_with("Syntax error"));
        // A reserved word is reported before an undefined placeholder.
        assert!(err("a = :nope AND status = :x").contains("reserved keyword"));
        // The first undefined placeholder is reported.
        assert!(err("#q = :nope").ends_with("attribute name: #q"));
        assert!(err("a = :nope AND #q = :x").ends_with("attribute value: :nope"));
    }

    #[test]
    fn function_checks() {
        assert_eq!(err("foo(a)"), "Invalid function name; function: foo");
        assert_eq!(err("ATTRIBUTE_EXISTS(a)"), "Invalid function name; function: ATTRIBUTE_EXISTS");
        assert_eq!(err("if_not_exists(a, :x)"), "Invalid function name; function: if_not_exists");
        assert_eq!(err("a = foo(b)"), "Invalid function name; function: foo");
        assert_eq!(
            err("size(a)"),
            "The function is not allowed to be used this way in an expression; function: size"
        );
        assert_eq!(
            err("attribute_exists(a) = :x"),
            "The function is not allowed to be used this way in an expression; function: attribute_exists"
        );
        assert_eq!(
            err("contains(begins_with(a, :x), :x)"),
            "The function is not allowed to be used this way in an expression; function: begins_with"
        );
        assert_eq!(
            err("begins_with(a)"),
            "Incorrect number of operands for operator or function; operator or function: begins_with, number of operands: 1"
        );
        assert_eq!(
            err("attribute_exists(a, b)"),
            "Incorrect number of operands for operator or function; operator or function: attribute_exists, number of operands: 2"
        );
        assert_eq!(
            err("size(a, b) = :n"),
            "Incorrect number of operands for operator or function; operator or function: size, number of operands: 2"
        );
        assert_eq!(
            err("attribute_exists(:x)"),
            "Operator or function requires a document path; operator or function: attribute_exists"
        );
        assert_eq!(
            err("attribute_not_exists(size(a))"),
            "Operator or function requires a document path; operator or function: attribute_not_exists"
        );
        assert_eq!(
            err("attribute_type(size(a), :t)"),
            "Operator or function requires a document path; operator or function: attribute_type"
        );
        // attribute_type of a value is decided at parse time.
        assert_eq!(parse("attribute_type(:x, :t)").unwrap(), Condition::True);
        assert!(!parse("attribute_type(:n, :t)").unwrap().eval(&Default::default()));
        assert_eq!(
            err("begins_with(a, :n)"),
            "Incorrect operand type for operator or function; operator or function: begins_with, operand type: N"
        );
        assert_eq!(
            err("begins_with(:ss, a)"),
            "Incorrect operand type for operator or function; operator or function: begins_with, operand type: SS"
        );
        assert_eq!(
            err("begins_with(a, size(b))"),
            "Incorrect operand type for operator or function; operator or function: begins_with, operand type: N"
        );
        assert_eq!(
            err("attribute_type(a, :n)"),
            "Incorrect operand type for operator or function; operator or function: attribute_type, operand type: N"
        );
        assert_eq!(
            err("attribute_type(a, b)"),
            "Incorrect operand type for operator or function; operator or function: attribute_type, operand type: {NS,SS,L,BS,N,M,B,BOOL,NULL,S}"
        );
        assert_eq!(
            err("attribute_type(a, :bad)"),
            "Invalid attribute type name found; type: STRING, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}"
        );
        for (v, ty) in [(":n", "N"), (":bool", "BOOL"), (":null", "NULL")] {
            assert_eq!(
                err(&format!("size({v}) = :n")),
                format!("Incorrect operand type for operator or function; operator or function: size, operand type: {ty}")
            );
        }
        assert_eq!(
            err("size(size(a)) = :n"),
            "Incorrect operand type for operator or function; operator or function: size, operand type: N"
        );
        // Unknown beats misused beats counts.
        assert_eq!(err("size(a) AND foo(b)"), "Invalid function name; function: foo");
    }

    #[test]
    fn distinct_operands_and_between_bounds() {
        let msg = |op: &str, p: &str| {
            format!("The first operand must be distinct from the remaining operands for this operator or function; operator: {op}, first operand: {p}")
        };
        assert_eq!(err("a = a"), msg("=", "[a]"));
        assert_eq!(err("a.b[1] <> a.b[1]"), msg("<>", "[a, b, [1]]"));
        assert_eq!(err("#a >= a"), msg(">=", "[a]"));
        assert_eq!(err("contains(a, a)"), msg("contains", "[a]"));
        assert_eq!(err("begins_with(a, a)"), msg("begins_with", "[a]"));
        assert_eq!(err("a BETWEEN b AND a"), msg("BETWEEN", "[a]"));
        assert_eq!(err("a IN (:x, a)"), msg("IN", "[a]"));
        parse("a = a.b").unwrap();
        parse(":x = :x").unwrap();
        assert_eq!(
            err("a BETWEEN :n AND :x"),
            "The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: AttributeValue: {N:1}, upper bound operand: AttributeValue: {S:x}"
        );
        assert_eq!(
            err("a BETWEEN :y AND :x"),
            "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {S:y}, upper bound operand: AttributeValue: {S:x}"
        );
        parse("a BETWEEN :x AND :x").unwrap();
    }

    #[test]
    fn ordering_a_value_without_order_is_an_error() {
        let msg = |op: &str, ty: &str| {
            format!("Incorrect operand type for operator or function; operator or function: {op}, operand type: {ty}")
        };
        assert_eq!(err("a < :ss"), msg("<", "SS"));
        assert_eq!(err(":bool >= a"), msg(">=", "BOOL"));
        assert_eq!(err("a BETWEEN :ss AND :ss"), msg("BETWEEN", "SS"));
        assert_eq!(err(":null BETWEEN a AND b"), msg("BETWEEN", "NULL"));
        parse("a = :ss").unwrap();
        parse("a <> :null").unwrap();
        parse("a < b").unwrap();
        parse("a <= :b").unwrap();
    }

    #[test]
    fn redundant_parentheses() {
        let msg = "The expression has redundant parentheses;";
        assert_eq!(err("((a = :x))"), msg);
        assert_eq!(err("(((attribute_not_exists(a))))"), msg);
        assert_eq!(err(" ( ( a = :x AND b = :y ) ) "), msg);
        assert_eq!(err("((a)) = :x"), msg);
        parse("((a = :x) AND (b = :y))").unwrap();
        parse("((a = :x)) AND ((b = :y))").unwrap();
        parse("(a) = (:x)").unwrap();
    }

    #[test]
    fn in_and_operator_limits() {
        // 100 operands in all, the first included.
        let list: Vec<String> = (0..100).map(|i| format!("b{i}")).collect();
        assert_eq!(
            err(&format!("a IN ({})", list.join(","))),
            "The IN operator is provided with too many operands; number of operands: 101"
        );
        parse(&format!("a IN ({})", list[..99].join(","))).unwrap();
        let many = vec!["a = :x"; 151].join(" OR ");
        assert_eq!(err(&many), "The expression contains too many operators; operator count: 301");
        parse(&vec!["a = :x"; 150].join(" OR ")).unwrap();
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = format!(
            "{}a = :x{}",
            "(".repeat(EXPRESSION_NESTING_MAX),
            ")".repeat(EXPRESSION_NESTING_MAX)
        );
        assert!(err(&deep).contains("redundant"), "{}", err(&deep));
        let deeper = format!(
            "{}a = :x{}",
            "(".repeat(EXPRESSION_NESTING_MAX + 1),
            ")".repeat(EXPRESSION_NESTING_MAX + 1)
        );
        assert!(err(&deeper).contains("nested too deeply"));
        let nots = format!("{}a = :x", "NOT ".repeat(EXPRESSION_NESTING_MAX + 1));
        assert!(err(&nots).contains("nested too deeply"));
        let calls = format!(
            "{}a{} = :n",
            "size(".repeat(EXPRESSION_NESTING_MAX + 1),
            ")".repeat(EXPRESSION_NESTING_MAX + 1)
        );
        assert!(err(&calls).contains("nested too deeply"));
        // Far past the bound, still an error and no stack overflow.
        let huge = "(".repeat(4000);
        assert!(err(&huge).contains("nested too deeply"));
        let huge_nots = "NOT ".repeat(1000);
        assert!(err(&huge_nots).contains("nested too deeply"));
    }
}
