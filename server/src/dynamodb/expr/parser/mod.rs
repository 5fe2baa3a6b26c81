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

mod condition;

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
mod tests;
