//! The PartiQL parser: recursive descent over [`super::lexer`]'s tokens into [`Statement`]s,
//! binding `?` parameters in order as it meets them.

use super::lexer::{tokens, Tok, Token};
use super::STATEMENT_LEN_MAX;
use super::{PartiqlError, Returning, Select, Statement, Value, STATEMENT_NESTING_MAX};
use crate::dynamodb::expr::path::{clash, clash_message, Path, Step};
use crate::dynamodb::expr::{Action, CmpOp, Condition, Operand, SetValue, Update, UpdateOperand};
use crate::dynamodb::limits::{ATTRIBUTE_NESTING_MAX, IN_OPERANDS_MAX, PATH_DEPTH_MAX};
use crate::dynamodb::model::number::Number;
use crate::dynamodb::model::value::AttrValue;
use std::collections::BTreeMap;

type R<T> = Result<T, PartiqlError>;

/// Words that are keywords wherever they appear: a name spelled like one must be quoted.
const RESERVED: &[&str] = &[
    "SELECT",
    "FROM",
    "WHERE",
    "AND",
    "OR",
    "NOT",
    "BETWEEN",
    "IN",
    "IS",
    "MISSING",
    "NULL",
    "TRUE",
    "FALSE",
    "INSERT",
    "INTO",
    "VALUE",
    "UPDATE",
    "SET",
    "REMOVE",
    "DELETE",
    "RETURNING",
    "ORDER",
    "BY",
    "EXISTS",
];

/// Parses `statement`, binding `params` to its `?`s in order.
pub fn parse(statement: &str, params: &[AttrValue]) -> R<Statement> {
    if statement.len() > STATEMENT_LEN_MAX {
        return Err(PartiqlError(format!(
            "Statement length exceeds the maximum of {STATEMENT_LEN_MAX} bytes"
        )));
    }
    let mut p = Parser { toks: tokens(statement)?, pos: 0, params, used: 0, depth: 0 };
    let s = p.statement()?;
    if p.peek().tok != Tok::Eof {
        return Err(p.unexpected());
    }
    if p.used != params.len() {
        return Err(PartiqlError(
            "Number of parameters in request and statement don't match.".into(),
        ));
    }
    Ok(s)
}

struct Parser<'p> {
    toks: Vec<Token>,
    pos: usize,
    params: &'p [AttrValue],
    /// Parameters bound so far.
    used: usize,
    /// Current nesting.
    depth: usize,
}

/// What a SET's right-hand side is.
enum SetRhs {
    Value(SetValue),
    /// `set_add(path, set)`: DynamoDB's ADD of a set.
    Add(Path, AttrValue),
    /// `set_delete(path, set)`: DynamoDB's DELETE from a set.
    Delete(Path, AttrValue),
}

impl<'p> Parser<'p> {
    fn peek(&self) -> &Token {
        self.toks.get(self.pos).or(self.toks.last()).unwrap_or(&EOF)
    }

    fn peek_at(&self, ahead: usize) -> &Tok {
        self.toks.get(self.pos + ahead).map_or(&Tok::Eof, |t| &t.tok)
    }

    fn bump(&mut self) -> Tok {
        let t = self.peek().tok.clone();
        if self.pos < self.toks.len() {
            self.pos += 1;
        }
        t
    }

    fn unexpected(&self) -> PartiqlError {
        match &self.peek().tok {
            Tok::Eof => PartiqlError::syntax("Unexpected end of statement"),
            Tok::Word(w) if is_reserved(w) => {
                PartiqlError::syntax(format!("Unexpected keyword: {}", w.to_ascii_uppercase()))
            }
            Tok::Word(w) | Tok::Quoted(w) => PartiqlError::syntax(format!("Unexpected term: {w}")),
            Tok::Str(s) => PartiqlError::syntax(format!("Unexpected term: '{s}'")),
            Tok::Num(n) => PartiqlError::syntax(format!("Unexpected term: {n}")),
            Tok::Param => PartiqlError::syntax("Unexpected term: ?"),
            Tok::Punct(p) => PartiqlError::syntax(format!("Unexpected token: {p}")),
        }
    }

    fn is_kw(&self, kw: &str) -> bool {
        matches!(&self.peek().tok, Tok::Word(w) if w.eq_ignore_ascii_case(kw))
    }

    fn eat_kw(&mut self, kw: &str) -> bool {
        let yes = self.is_kw(kw);
        if yes {
            self.pos += 1;
        }
        yes
    }

    fn expect_kw(&mut self, kw: &str) -> R<()> {
        if self.eat_kw(kw) {
            Ok(())
        } else {
            Err(self.expected(kw))
        }
    }

    fn expected(&self, what: &str) -> PartiqlError {
        match &self.peek().tok {
            Tok::Eof => PartiqlError::syntax(format!("Expected {what} but found end of statement")),
            _ => {
                let PartiqlError(m) = self.unexpected();
                PartiqlError(format!("{m} (expected {what})"))
            }
        }
    }

    fn is_punct(&self, p: &str) -> bool {
        matches!(&self.peek().tok, Tok::Punct(q) if *q == p)
    }

    fn eat_punct(&mut self, p: &str) -> bool {
        let yes = self.is_punct(p);
        if yes {
            self.pos += 1;
        }
        yes
    }

    fn expect_punct(&mut self, p: &str) -> R<()> {
        if self.eat_punct(p) {
            Ok(())
        } else {
            Err(self.expected(&format!("'{p}'")))
        }
    }

    /// Enters one level of nesting.
    fn nest(&mut self) -> R<()> {
        self.depth += 1;
        if self.depth > STATEMENT_NESTING_MAX {
            return Err(PartiqlError(format!(
                "Statement nesting exceeds the maximum of {STATEMENT_NESTING_MAX} levels"
            )));
        }
        Ok(())
    }

    fn unnest(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    fn param(&mut self) -> R<AttrValue> {
        let v = self.params.get(self.used).cloned().ok_or_else(|| {
            PartiqlError("Number of parameters in request and statement don't match.".into())
        })?;
        self.used += 1;
        Ok(v)
    }

    // ---- statements ----

    fn statement(&mut self) -> R<Statement> {
        if self.eat_kw("SELECT") {
            return Ok(Statement::Select(self.select_rest()?));
        }
        if self.eat_kw("INSERT") {
            self.expect_kw("INTO")?;
            let table = self.name()?;
            self.expect_kw("VALUE")?;
            if !self.is_punct("{") && self.peek().tok != Tok::Param {
                return Err(self.expected("a tuple"));
            }
            let item = match self.literal(0)? {
                AttrValue::M(m) => m,
                _ => return Err(PartiqlError(
                    "Unsupported operation: Inserting an item that is not a tuple is not supported"
                        .into(),
                )),
            };
            return Ok(Statement::Insert { table, item });
        }
        if self.eat_kw("UPDATE") {
            return self.update_rest();
        }
        if self.eat_kw("DELETE") {
            self.expect_kw("FROM")?;
            let table = self.name()?;
            self.expect_kw("WHERE")?;
            let condition = self.condition()?;
            let returning = self.returning()?;
            if !matches!(returning, Returning::None | Returning::AllOld) {
                return Err(PartiqlError(
                    "Unsupported operation: DELETE supports only RETURNING ALL OLD *".into(),
                ));
            }
            return Ok(Statement::Delete { table, condition, returning });
        }
        if self.eat_kw("EXISTS") {
            self.expect_punct("(")?;
            self.expect_kw("SELECT")?;
            let s = self.select_rest()?;
            self.expect_punct(")")?;
            return Ok(Statement::Exists(s));
        }
        Err(self.expected("SELECT, INSERT, UPDATE, DELETE or EXISTS"))
    }

    fn select_rest(&mut self) -> R<Select> {
        let projection = if self.eat_punct("*") {
            None
        } else {
            let mut paths = vec![self.path()?];
            while self.eat_punct(",") {
                paths.push(self.path()?);
            }
            for (i, a) in paths.iter().enumerate() {
                for b in paths.iter().skip(i + 1) {
                    if let Some(kind) = clash(a, b) {
                        return Err(PartiqlError(clash_message(kind, a, b)));
                    }
                }
            }
            Some(paths)
        };
        self.expect_kw("FROM")?;
        let table = self.name()?;
        let index = if self.eat_punct(".") { Some(self.name()?) } else { None };
        let condition = if self.eat_kw("WHERE") { Some(self.condition()?) } else { None };
        let mut order_by = Vec::new();
        if self.eat_kw("ORDER") {
            self.expect_kw("BY")?;
            loop {
                let path = self.path()?;
                let desc = if self.eat_kw("DESC") {
                    true
                } else {
                    self.eat_kw("ASC");
                    false
                };
                order_by.push((path, desc));
                if !self.eat_punct(",") {
                    break;
                }
            }
        }
        Ok(Select { table, index, projection, condition, order_by })
    }

    fn update_rest(&mut self) -> R<Statement> {
        let table = self.name()?;
        let mut actions: Vec<Action> = Vec::new();
        loop {
            if self.eat_kw("SET") {
                loop {
                    let path = self.path()?;
                    self.expect_punct("=")?;
                    let action = match self.set_rhs()? {
                        SetRhs::Value(v) => Action::Set(path, v),
                        SetRhs::Add(p, v) | SetRhs::Delete(p, v) if p != path => {
                            let _ = v;
                            return Err(PartiqlError(
                                "Unsupported operation: SET_ADD and SET_DELETE must name the attribute they set".into(),
                            ));
                        }
                        SetRhs::Add(p, v) => Action::Add(p, v),
                        SetRhs::Delete(p, v) => Action::Delete(p, v),
                    };
                    push_action(&mut actions, action)?;
                    if !self.eat_punct(",") {
                        break;
                    }
                }
            } else if self.eat_kw("REMOVE") {
                loop {
                    let path = self.path()?;
                    push_action(&mut actions, Action::Remove(path))?;
                    if !self.eat_punct(",") {
                        break;
                    }
                }
            } else {
                break;
            }
        }
        if actions.is_empty() {
            return Err(self.expected("SET or REMOVE"));
        }
        self.expect_kw("WHERE")?;
        let condition = self.condition()?;
        let returning = self.returning()?;
        Ok(Statement::Update {
            table,
            update: Update::from_actions(actions, false),
            condition,
            returning,
        })
    }

    fn returning(&mut self) -> R<Returning> {
        if !self.eat_kw("RETURNING") {
            return Ok(Returning::None);
        }
        let all = if self.eat_kw("ALL") {
            true
        } else if self.eat_kw("MODIFIED") {
            false
        } else {
            return Err(self.expected("ALL or MODIFIED"));
        };
        let old = if self.eat_kw("OLD") {
            true
        } else if self.eat_kw("NEW") {
            false
        } else {
            return Err(self.expected("OLD or NEW"));
        };
        self.expect_punct("*")?;
        Ok(match (all, old) {
            (true, true) => Returning::AllOld,
            (false, true) => Returning::ModifiedOld,
            (true, false) => Returning::AllNew,
            (false, false) => Returning::ModifiedNew,
        })
    }

    // ---- names and paths ----

    /// A table, index or attribute name.
    fn name(&mut self) -> R<String> {
        match &self.peek().tok {
            Tok::Quoted(q) => {
                let q = q.clone();
                self.pos += 1;
                Ok(q)
            }
            Tok::Word(w) if !is_reserved(w) => {
                let w = w.clone();
                self.pos += 1;
                Ok(w)
            }
            _ => Err(self.expected("a name")),
        }
    }

    fn path(&mut self) -> R<Path> {
        let mut steps = vec![Step::Attr(self.name()?)];
        loop {
            if self.is_punct(".") && matches!(self.peek_at(1), Tok::Word(_) | Tok::Quoted(_)) {
                self.pos += 1;
                steps.push(Step::Attr(self.name()?));
            } else if self.eat_punct("[") {
                match self.bump() {
                    Tok::Num(n) => {
                        let i = n.parse::<usize>().map_err(|_| {
                            PartiqlError::syntax(format!("Invalid list index: {n}"))
                        })?;
                        steps.push(Step::Index(i));
                    }
                    Tok::Str(s) => steps.push(Step::Attr(s)),
                    _ => {
                        self.pos = self.pos.saturating_sub(1);
                        return Err(self.expected("a list index or a key in quotes"));
                    }
                }
                self.expect_punct("]")?;
            } else {
                break;
            }
            if steps.len() > PATH_DEPTH_MAX {
                return Err(PartiqlError(format!(
                    "Document path exceeds the maximum depth of {PATH_DEPTH_MAX}"
                )));
            }
        }
        Ok(Path(steps))
    }

    // ---- literals ----

    /// Whether the next token starts a literal (or a parameter).
    fn at_literal(&self) -> bool {
        match &self.peek().tok {
            Tok::Str(_) | Tok::Num(_) | Tok::Param => true,
            Tok::Punct(p) => {
                ["<<", "[", "{"].contains(p)
                    || (*p == "-" && matches!(self.peek_at(1), Tok::Num(_)))
            }
            Tok::Word(w) => ["TRUE", "FALSE", "NULL"].iter().any(|k| w.eq_ignore_ascii_case(k)),
            _ => false,
        }
    }

    /// A literal value (or a parameter), `depth` collections deep.
    fn literal(&mut self, depth: usize) -> R<AttrValue> {
        if depth > ATTRIBUTE_NESTING_MAX {
            return Err(PartiqlError("Nesting Levels have exceeded supported limits".into()));
        }
        let negative = self.eat_punct("-");
        let t = self.bump();
        if negative && !matches!(t, Tok::Num(_)) {
            self.pos -= 1;
            return Err(self.expected("a number"));
        }
        match t {
            Tok::Param => self.param(),
            Tok::Str(s) => Ok(AttrValue::S(s)),
            Tok::Num(n) => {
                let text = if negative { format!("-{n}") } else { n };
                Number::parse(&text).map(AttrValue::N).map_err(|e| PartiqlError(e.to_string()))
            }
            Tok::Word(w) if w.eq_ignore_ascii_case("TRUE") => Ok(AttrValue::Bool(true)),
            Tok::Word(w) if w.eq_ignore_ascii_case("FALSE") => Ok(AttrValue::Bool(false)),
            Tok::Word(w) if w.eq_ignore_ascii_case("NULL") => Ok(AttrValue::Null),
            Tok::Punct("[") => {
                self.nest()?;
                let mut items = Vec::new();
                if !self.eat_punct("]") {
                    loop {
                        items.push(self.literal(depth + 1)?);
                        if self.eat_punct("]") {
                            break;
                        }
                        self.expect_punct(",")?;
                    }
                }
                self.unnest();
                Ok(AttrValue::L(items))
            }
            Tok::Punct("{") => {
                self.nest()?;
                let mut map = BTreeMap::new();
                if !self.eat_punct("}") {
                    loop {
                        let key = match self.bump() {
                            Tok::Str(s) => s,
                            Tok::Param => match self.param()? {
                                AttrValue::S(s) => s,
                                _ => {
                                    return Err(PartiqlError(
                                        "A tuple's attribute name must be a string".into(),
                                    ))
                                }
                            },
                            _ => {
                                self.pos -= 1;
                                return Err(self.expected("an attribute name in single quotes"));
                            }
                        };
                        self.expect_punct(":")?;
                        let v = self.literal(depth + 1)?;
                        if map.insert(key.clone(), v).is_some() {
                            return Err(PartiqlError(format!(
                                "Duplicate attribute name in tuple: {key}"
                            )));
                        }
                        if self.eat_punct("}") {
                            break;
                        }
                        self.expect_punct(",")?;
                    }
                }
                self.unnest();
                Ok(AttrValue::M(map))
            }
            Tok::Punct("<<") => {
                let mut members = Vec::new();
                loop {
                    members.push(self.literal(depth + 1)?);
                    if self.eat_punct(">>") {
                        break;
                    }
                    self.expect_punct(",")?;
                }
                set_of(members)
            }
            _ => {
                self.pos -= 1;
                Err(self.expected("a value"))
            }
        }
    }

    // ---- conditions ----

    fn condition(&mut self) -> R<Condition> {
        let mut c = self.and()?;
        while self.eat_kw("OR") {
            c = Condition::Or(Box::new(c), Box::new(self.and()?));
        }
        Ok(c)
    }

    fn and(&mut self) -> R<Condition> {
        let mut c = self.not()?;
        while self.eat_kw("AND") {
            c = Condition::And(Box::new(c), Box::new(self.not()?));
        }
        Ok(c)
    }

    fn not(&mut self) -> R<Condition> {
        self.nest()?;
        let c = if self.eat_kw("NOT") {
            Condition::Not(Box::new(self.not()?))
        } else if self.eat_punct("(") {
            let c = self.condition()?;
            self.expect_punct(")")?;
            c
        } else {
            self.predicate()?
        };
        self.unnest();
        Ok(c)
    }

    /// The name of the function called at the cursor (`name(`), lowercased.
    fn function_here(&self) -> Option<String> {
        match (&self.peek().tok, self.peek_at(1)) {
            (Tok::Word(w), Tok::Punct("(")) => Some(w.to_ascii_lowercase()),
            _ => None,
        }
    }

    fn predicate(&mut self) -> R<Condition> {
        if let Some(f) = self.function_here() {
            match f.as_str() {
                "begins_with" | "contains" | "attribute_type" => {
                    self.pos += 2;
                    let a = self.operand()?;
                    self.expect_punct(",")?;
                    let b = self.operand()?;
                    self.expect_punct(")")?;
                    return Ok(match f.as_str() {
                        "begins_with" => Condition::BeginsWith(a, b),
                        "contains" => Condition::Contains(a, b),
                        _ => match (a, b) {
                            (Operand::Path(p), Operand::Value(AttrValue::S(t))) => {
                                Condition::AttributeType(p, Operand::Value(AttrValue::S(t)))
                            }
                            _ => {
                                return Err(PartiqlError(
                                    "attribute_type takes an attribute path and a type name in single quotes".into(),
                                ))
                            }
                        },
                    });
                }
                "size" => {}
                "exists" => {
                    return Err(PartiqlError(
                        "Unsupported operation: EXISTS can only be used as a statement of ExecuteTransaction".into(),
                    ))
                }
                other => {
                    return Err(PartiqlError(format!("Unsupported function: {other}")));
                }
            }
        }
        let left = self.operand()?;
        let negated = self.eat_kw("NOT");
        let c = if self.eat_kw("BETWEEN") {
            let low = self.operand()?;
            self.expect_kw("AND")?;
            Condition::Between(left, low, self.operand()?)
        } else if self.eat_kw("IN") {
            let close = if self.eat_punct("[") {
                "]"
            } else if self.eat_punct("(") {
                ")"
            } else {
                return Err(self.expected("'[' or '('"));
            };
            let mut list = vec![self.operand()?];
            while self.eat_punct(",") {
                list.push(self.operand()?);
            }
            self.expect_punct(close)?;
            if list.len() > IN_OPERANDS_MAX {
                return Err(PartiqlError(format!(
                    "The IN operator takes at most {IN_OPERANDS_MAX} values"
                )));
            }
            Condition::In(left, list)
        } else if !negated && self.eat_kw("IS") {
            let not = self.eat_kw("NOT");
            let Operand::Path(path) = left else {
                return Err(PartiqlError("IS takes an attribute path on its left".into()));
            };
            let c = self.is_type(path)?;
            return Ok(if not { Condition::Not(Box::new(c)) } else { c });
        } else if negated {
            return Err(self.expected("BETWEEN or IN after NOT"));
        } else {
            let op = match &self.peek().tok {
                Tok::Punct("=") => CmpOp::Eq,
                Tok::Punct("<>") | Tok::Punct("!=") => CmpOp::Ne,
                Tok::Punct("<") => CmpOp::Lt,
                Tok::Punct("<=") => CmpOp::Le,
                Tok::Punct(">") => CmpOp::Gt,
                Tok::Punct(">=") => CmpOp::Ge,
                _ => return Err(self.expected("a comparison")),
            };
            self.pos += 1;
            Condition::Compare(left, op, self.operand()?)
        };
        Ok(if negated { Condition::Not(Box::new(c)) } else { c })
    }

    /// `path IS <type>`: MISSING, NULL (null or missing, as in PartiQL) or a data type.
    fn is_type(&mut self, path: Path) -> R<Condition> {
        let ty = |t: &str| Operand::Value(AttrValue::S(t.to_string()));
        if self.eat_kw("MISSING") {
            return Ok(Condition::AttributeNotExists(path));
        }
        if self.eat_kw("NULL") {
            return Ok(Condition::Or(
                Box::new(Condition::AttributeType(path.clone(), ty("NULL"))),
                Box::new(Condition::AttributeNotExists(path)),
            ));
        }
        let Tok::Word(w) = self.peek().tok.clone() else {
            return Err(self.expected("MISSING, NULL or a type"));
        };
        let name = match w.to_ascii_uppercase().as_str() {
            "STRING" => "S",
            "NUMBER" | "INT" | "INTEGER" | "DECIMAL" | "FLOAT" | "DOUBLE" => "N",
            "BOOLEAN" | "BOOL" => "BOOL",
            "BLOB" => "B",
            "LIST" => "L",
            "TUPLE" | "STRUCT" => "M",
            _ => return Err(PartiqlError(format!("Unsupported type for IS: {w}"))),
        };
        self.pos += 1;
        Ok(Condition::AttributeType(path, ty(name)))
    }

    fn operand(&mut self) -> R<Operand> {
        if self.at_literal() {
            return Ok(Operand::Value(self.literal(0)?));
        }
        if let Some(f) = self.function_here() {
            if f == "size" {
                self.pos += 2;
                let p = self.path()?;
                self.expect_punct(")")?;
                return Ok(Operand::Size(p));
            }
            return Err(PartiqlError(format!("Unsupported function in this position: {f}")));
        }
        Ok(Operand::Path(self.path()?))
    }

    // ---- update values ----

    fn set_rhs(&mut self) -> R<SetRhs> {
        if let Some(f) = self.function_here() {
            if f == "set_add" || f == "set_delete" {
                self.pos += 2;
                let p = self.path()?;
                self.expect_punct(",")?;
                let v = self.literal(0)?;
                self.expect_punct(")")?;
                if !matches!(v, AttrValue::Ss(_) | AttrValue::Ns(_) | AttrValue::Bs(_)) {
                    return Err(PartiqlError(format!("{} takes a set", f.to_ascii_uppercase())));
                }
                return Ok(if f == "set_add" { SetRhs::Add(p, v) } else { SetRhs::Delete(p, v) });
            }
        }
        let a = self.term()?;
        Ok(SetRhs::Value(if self.eat_punct("+") {
            SetValue::Plus(a, self.term()?)
        } else if self.is_punct("-") && !matches!(self.peek_at(1), Tok::Eof) {
            self.pos += 1;
            SetValue::Minus(a, self.term()?)
        } else {
            SetValue::Operand(a)
        }))
    }

    fn term(&mut self) -> R<UpdateOperand> {
        if let Some(f) = self.function_here() {
            self.pos += 2;
            self.nest()?;
            let t = match f.as_str() {
                "list_append" => {
                    let a = self.term()?;
                    self.expect_punct(",")?;
                    let b = self.term()?;
                    UpdateOperand::ListAppend(Box::new(a), Box::new(b))
                }
                "if_not_exists" => {
                    let p = self.path()?;
                    self.expect_punct(",")?;
                    UpdateOperand::IfNotExists(p, Box::new(self.term()?))
                }
                other => {
                    return Err(PartiqlError(format!("Unsupported function in SET: {other}")));
                }
            };
            self.expect_punct(")")?;
            self.unnest();
            return Ok(t);
        }
        if self.at_literal() {
            return Ok(UpdateOperand::Value(self.literal(0)?));
        }
        Ok(UpdateOperand::Path(self.path()?))
    }
}

static EOF: Token = Token { tok: Tok::Eof, at: 0 };

fn is_reserved(w: &str) -> bool {
    RESERVED.iter().any(|k| w.eq_ignore_ascii_case(k))
}

/// Adds `action`, refusing one whose path overlaps or conflicts with an earlier one's.
fn push_action(actions: &mut Vec<Action>, action: Action) -> R<()> {
    for earlier in actions.iter() {
        if let Some(kind) = clash(earlier.path(), action.path()) {
            return Err(PartiqlError(clash_message(kind, earlier.path(), action.path())));
        }
    }
    actions.push(action);
    Ok(())
}

/// A set literal: all strings, all numbers or all binaries, without duplicates.
fn set_of(members: Vec<Value>) -> R<AttrValue> {
    let mismatch =
        || PartiqlError("A set's members must all be strings, all numbers or all binaries".into());
    let set = match members.first() {
        Some(AttrValue::S(_)) => AttrValue::Ss(
            members
                .into_iter()
                .map(|m| if let AttrValue::S(s) = m { Ok(s) } else { Err(mismatch()) })
                .collect::<R<_>>()?,
        ),
        Some(AttrValue::N(_)) => AttrValue::Ns(
            members
                .into_iter()
                .map(|m| if let AttrValue::N(n) = m { Ok(n) } else { Err(mismatch()) })
                .collect::<R<_>>()?,
        ),
        Some(AttrValue::B(_)) => AttrValue::Bs(
            members
                .into_iter()
                .map(|m| if let AttrValue::B(b) = m { Ok(b) } else { Err(mismatch()) })
                .collect::<R<_>>()?,
        ),
        _ => return Err(mismatch()),
    };
    let dup = match &set {
        AttrValue::Ss(v) => has_duplicates(v),
        AttrValue::Ns(v) => has_duplicates(v),
        AttrValue::Bs(v) => has_duplicates(v),
        _ => false,
    };
    if dup {
        return Err(PartiqlError(
            "One or more parameter values were invalid: Input collection contains duplicates"
                .into(),
        ));
    }
    Ok(set)
}

fn has_duplicates<T: PartialEq>(v: &[T]) -> bool {
    v.iter().enumerate().any(|(i, a)| v.iter().skip(i + 1).any(|b| a == b))
}

#[cfg(test)]
#[path = "parser_tests.rs"]
mod tests;
