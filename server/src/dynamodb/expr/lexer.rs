//! Tokens of DynamoDB's expression language, as its syntax errors name them.
//!
//! The parsers ([`crate::dynamodb::expr::parser`], [`crate::dynamodb::expr::update`]) read the text through
//! [`crate::dynamodb::expr::path::Cursor`] and look at the next token with [`next`]; document paths are
//! read by the cursor itself. A syntax error names the offending token and the text from the
//! token before it to the token after it, as DynamoDB does:
//! `Syntax error; token: ":", near: "hits : incr"`, and `token: "<EOF>"` at the end.
//!
//! ```text
//! word   ::= [A-Za-z_][A-Za-z0-9_]*        name  ::= "#" [A-Za-z0-9_]+
//! digits ::= [0-9]+                         value ::= ":" [A-Za-z0-9_]+
//! op     ::= "<=" | ">=" | "<>" | any other single character
//! ```

use crate::dynamodb::expr::path::{is_ident, is_ident_start, ExprError};

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tok {
    /// An identifier: an attribute name, keyword or function name.
    Word,
    /// A `#name` placeholder.
    Name,
    /// A `:value` placeholder.
    Value,
    /// Digits (only valid inside a list index).
    Digits,
    /// An operator or punctuation character (`<=`, `>=` and `<>` are one token).
    Op,
    /// The end of the text.
    Eof,
}

/// A token: its kind and byte range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Token {
    pub(crate) kind: Tok,
    pub(crate) start: usize,
    pub(crate) end: usize,
}

impl Token {
    /// The token's text.
    pub(crate) fn text<'s>(&self, s: &'s str) -> &'s str {
        s.get(self.start..self.end).unwrap_or("")
    }

    /// Whether this is the operator or punctuation `op`.
    pub(crate) fn is_op(&self, s: &str, op: &str) -> bool {
        self.kind == Tok::Op && self.text(s) == op
    }

    /// Whether this is the keyword `kw` (keywords are case-insensitive).
    pub(crate) fn is_keyword(&self, s: &str, kw: &str) -> bool {
        self.kind == Tok::Word && self.text(s).eq_ignore_ascii_case(kw)
    }
}

/// The token at or after byte `from` (whitespace skipped).
pub(crate) fn next(s: &str, from: usize) -> Token {
    let b = s.as_bytes();
    let mut i = from;
    while b.get(i).is_some_and(|c| c.is_ascii_whitespace()) {
        i += 1;
    }
    let start = i;
    let Some(&c) = b.get(i) else {
        return Token { kind: Tok::Eof, start, end: start };
    };
    let run = |mut j: usize, f: fn(u8) -> bool| {
        while b.get(j).copied().is_some_and(f) {
            j += 1;
        }
        j
    };
    let (kind, end) = if is_ident_start(c) {
        (Tok::Word, run(i + 1, is_ident))
    } else if c == b'#' && b.get(i + 1).copied().is_some_and(is_ident) {
        (Tok::Name, run(i + 1, is_ident))
    } else if c == b':' && b.get(i + 1).copied().is_some_and(is_ident) {
        (Tok::Value, run(i + 1, is_ident))
    } else if c.is_ascii_digit() {
        (Tok::Digits, run(i + 1, |d| d.is_ascii_digit()))
    } else if matches!((c, b.get(i + 1)), (b'<', Some(b'=' | b'>')) | (b'>', Some(b'='))) {
        (Tok::Op, i + 2)
    } else {
        // One character, however many bytes it takes.
        let len = s.get(i..).and_then(|t| t.chars().next()).map_or(1, char::len_utf8);
        (Tok::Op, i + len)
    };
    Token { kind, start, end }
}

/// DynamoDB's syntax error for the token at or after byte `pos` of `s`.
pub(crate) fn syntax_error(kind: &str, s: &str, pos: usize) -> ExprError {
    let bad = next(s, pos);
    // The token before the offending one: scan from the start.
    let mut prev: Option<Token> = None;
    let mut i = 0;
    loop {
        let t = next(s, i);
        if t.kind == Tok::Eof || t.end > bad.start {
            break;
        }
        prev = Some(t);
        i = t.end;
    }
    let from = prev.map_or(bad.start, |t| t.start);
    let (token, near) = if bad.kind == Tok::Eof {
        ("<EOF>".to_string(), s.get(from..bad.start).unwrap_or("").trim_end())
    } else {
        let after = next(s, bad.end);
        let to = if after.kind == Tok::Eof { bad.end } else { after.end };
        (bad.text(s).to_string(), s.get(from..to).unwrap_or(""))
    };
    ExprError(format!("Invalid {kind}: Syntax error; token: \"{token}\", near: \"{near}\""))
}

/// For each byte of `s` that is a `(`, the byte of its matching `)`, if it has one.
pub(crate) fn matching_parens(s: &str) -> Vec<Option<usize>> {
    let mut out = vec![None; s.len()];
    let mut open = Vec::new();
    for (i, c) in s.bytes().enumerate() {
        match c {
            b'(' => open.push(i),
            b')' => {
                if let Some(o) = open.pop() {
                    if let Some(slot) = out.get_mut(o) {
                        *slot = Some(i);
                    }
                }
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(s: &str) -> Vec<(Tok, &str)> {
        let mut out = Vec::new();
        let mut i = 0;
        loop {
            let t = next(s, i);
            if t.kind == Tok::Eof {
                return out;
            }
            out.push((t.kind, t.text(s)));
            i = t.end;
        }
    }

    #[test]
    fn splits_tokens() {
        assert_eq!(
            tokens(" a_1.#b[12] <= :v<>x>=(é,)"),
            vec![
                (Tok::Word, "a_1"),
                (Tok::Op, "."),
                (Tok::Name, "#b"),
                (Tok::Op, "["),
                (Tok::Digits, "12"),
                (Tok::Op, "]"),
                (Tok::Op, "<="),
                (Tok::Value, ":v"),
                (Tok::Op, "<>"),
                (Tok::Word, "x"),
                (Tok::Op, ">="),
                (Tok::Op, "("),
                (Tok::Op, "é"),
                (Tok::Op, ","),
                (Tok::Op, ")"),
            ]
        );
        assert_eq!(tokens("# :"), vec![(Tok::Op, "#"), (Tok::Op, ":")]);
        assert_eq!(tokens("#1 :_"), vec![(Tok::Name, "#1"), (Tok::Value, ":_")]);
    }

    #[test]
    fn syntax_errors_name_the_token_and_its_neighbours() {
        let e = |s: &str, pos: usize| syntax_error("UpdateExpression", s, pos).0;
        assert_eq!(
            e("ADD hits : incr", 9),
            "Invalid UpdateExpression: Syntax error; token: \":\", near: \"hits : incr\""
        );
        assert_eq!(
            e("INVALID SYNTAX HERE", 0),
            "Invalid UpdateExpression: Syntax error; token: \"INVALID\", near: \"INVALID SYNTAX\""
        );
        assert_eq!(
            e("SET a", 5),
            "Invalid UpdateExpression: Syntax error; token: \"<EOF>\", near: \"a\""
        );
        assert_eq!(
            e("", 0),
            "Invalid UpdateExpression: Syntax error; token: \"<EOF>\", near: \"\""
        );
        assert_eq!(
            e("a-b", 1),
            "Invalid UpdateExpression: Syntax error; token: \"-\", near: \"a-b\""
        );
    }

    #[test]
    fn matches_parentheses() {
        let m = matching_parens("((a) (b)) )(");
        assert_eq!(m[0], Some(8));
        assert_eq!(m[1], Some(3));
        assert_eq!(m[5], Some(7));
        assert_eq!(m[11], None);
    }
}
