//! PartiQL's tokens: names (bare, or in double quotes), string literals in single quotes
//! (`''` is a quote), numbers, `?` parameters and punctuation. Comments (`--` to the end of the
//! line, `/* ... */`) and whitespace separate tokens.

use super::PartiqlError;

/// A token's kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    /// A bare word: a keyword (matched case-insensitively) or a name.
    Word(String),
    /// A name in double quotes (`""` is a quote): never a keyword.
    Quoted(String),
    /// A string literal in single quotes.
    Str(String),
    /// A number literal as written (digits, an optional fraction and exponent).
    Num(String),
    /// A `?` parameter.
    Param,
    /// Punctuation: `<<`, `>>`, `<=`, `>=`, `<>`, `!=`, `=`, `<`, `>`, `(`, `)`, `[`, `]`,
    /// `{`, `}`, `,`, `.`, `:`, `+`, `-`, `*`.
    Punct(&'static str),
    Eof,
}

/// A token and where it starts (a byte offset of the statement).
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub tok: Tok,
    pub at: usize,
}

const PUNCT: &[&str] = &[
    "<<", ">>", "<=", ">=", "<>", "!=", "=", "<", ">", "(", ")", "[", "]", "{", "}", ",", ".", ":",
    "+", "-", "*",
];

/// Splits `s` into tokens, ending with [`Tok::Eof`].
pub fn tokens(s: &str) -> Result<Vec<Token>, PartiqlError> {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let rest = &s[i..];
        let Some(c) = rest.chars().next() else { break };
        if c.is_whitespace() {
            i += c.len_utf8();
            continue;
        }
        if rest.starts_with("--") {
            i += rest.find('\n').unwrap_or(rest.len());
            continue;
        }
        if let Some(body) = rest.strip_prefix("/*") {
            let end =
                body.find("*/").ok_or_else(|| PartiqlError::syntax("Unterminated comment"))?;
            i += end + 4;
            continue;
        }
        let at = i;
        if c == '\'' || c == '"' {
            let (text, len) = quoted(rest, c)?;
            out.push(Token { tok: if c == '\'' { Tok::Str(text) } else { Tok::Quoted(text) }, at });
            i += len;
            continue;
        }
        if c.is_ascii_digit() {
            let len = number_len(rest);
            out.push(Token { tok: Tok::Num(rest[..len].to_string()), at });
            i += len;
            continue;
        }
        if c.is_alphabetic() || c == '_' {
            let len = rest
                .char_indices()
                .find(|(_, ch)| !(ch.is_alphanumeric() || *ch == '_' || *ch == '$'))
                .map_or(rest.len(), |(n, _)| n);
            out.push(Token { tok: Tok::Word(rest[..len].to_string()), at });
            i += len;
            continue;
        }
        if c == '?' {
            out.push(Token { tok: Tok::Param, at });
            i += 1;
            continue;
        }
        match PUNCT.iter().find(|p| rest.starts_with(**p)) {
            Some(p) => {
                out.push(Token { tok: Tok::Punct(p), at });
                i += p.len();
            }
            None => {
                return Err(PartiqlError::syntax(format!("Unexpected character: {c}")));
            }
        }
    }
    out.push(Token { tok: Tok::Eof, at: s.len() });
    Ok(out)
}

/// The text of the quoted token at the start of `s` (quote `q`, doubled inside), and its
/// length in bytes with the quotes.
fn quoted(s: &str, q: char) -> Result<(String, usize), PartiqlError> {
    let mut text = String::new();
    let mut chars = s.char_indices().skip(1).peekable();
    while let Some((i, c)) = chars.next() {
        if c == q {
            if chars.peek().map(|(_, n)| *n) == Some(q) {
                text.push(q);
                chars.next();
                continue;
            }
            return Ok((text, i + 1));
        }
        text.push(c);
    }
    Err(PartiqlError::syntax(if q == '\'' {
        "Unterminated string literal"
    } else {
        "Unterminated quoted identifier"
    }))
}

/// The length of the number at the start of `s`: digits, a fraction, an exponent.
fn number_len(s: &str) -> usize {
    let b = s.as_bytes();
    let digits = |mut i: usize| {
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        i
    };
    let mut i = digits(0);
    if b.get(i) == Some(&b'.') && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
        i = digits(i + 1);
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        let sign = usize::from(matches!(b.get(i + 1), Some(b'+' | b'-')));
        if b.get(i + 1 + sign).is_some_and(u8::is_ascii_digit) {
            i = digits(i + 1 + sign);
        }
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(s: &str) -> Vec<Tok> {
        tokens(s).unwrap().into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn every_kind_of_token() {
        assert_eq!(
            kinds("SELECT \"a\"\"b\" FROM t -- note\n WHERE x<>'it''s' AND n>=1.5e3 /* c */ ?"),
            vec![
                Tok::Word("SELECT".into()),
                Tok::Quoted("a\"b".into()),
                Tok::Word("FROM".into()),
                Tok::Word("t".into()),
                Tok::Word("WHERE".into()),
                Tok::Word("x".into()),
                Tok::Punct("<>"),
                Tok::Str("it's".into()),
                Tok::Word("AND".into()),
                Tok::Word("n".into()),
                Tok::Punct(">="),
                Tok::Num("1.5e3".into()),
                Tok::Param,
                Tok::Eof,
            ]
        );
        assert_eq!(kinds("<<1>>")[0], Tok::Punct("<<"));
        assert_eq!(kinds("a.b[0]").len(), 7);
    }

    #[test]
    fn unterminated_and_unknown_are_errors() {
        for bad in ["'abc", "\"abc", "/* x", "a # b", "a ; b"] {
            assert!(tokens(bad).is_err(), "{bad}");
        }
    }
}
