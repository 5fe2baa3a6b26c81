//! The cursor over an expression's bytes that the path, condition and update parsers share:
//! whitespace, identifiers, placeholders, document paths, with the errors it holds.

use super::*;

pub(crate) fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_'
}

pub(crate) fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
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
