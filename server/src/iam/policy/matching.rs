//! Wildcard matching and policy variables.
//!
//! A policy string (an action, a resource, a condition value) becomes a [`Template`]: literal
//! characters, the wildcards `*` (any run of characters) and `?` (any one character) where the
//! element takes wildcards, and, in version 2012-10-17 documents where the element takes them,
//! policy variables: `${aws:username}` (the context key's value), `${aws:username, 'guest'}`
//! (with a default when the key is absent), and the escapes `${*}`, `${?}`, `${$}` for a
//! literal `*`, `?`, `$`. A variable with no value leaves the template unresolved: it matches
//! nothing. A variable's value is literal text (a `*` in it is no wildcard).
//!
//! [`glob`] is the two-pointer wildcard match (it backtracks only to the last `*`: time at
//! most the product of the lengths, never exponential). [`glob_arn`] matches ARNs as IAM does:
//! segment by segment between the first five colons, a segment's wildcards staying inside it,
//! except that a `*` ending a segment also matches across the colons after it.

use std::borrow::Cow;

use super::Context;

/// One element of a resolved pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tok {
    /// A character matched as is (or case-insensitively).
    Lit(char),
    /// `*`: any run of characters, empty included.
    Star,
    /// `?`: any one character.
    Quest,
}

/// A template element before resolution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Piece {
    Tok(Tok),
    /// A policy variable: the context key (lower case) and the default.
    Var {
        key: String,
        default: Option<String>,
    },
}

/// A policy string, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Template {
    /// No variables: the pattern itself.
    Static(Vec<Tok>),
    /// With variables, resolved against each request's context.
    Dynamic(Vec<Piece>),
}

impl Template {
    /// Parses `text`: `*` and `?` are wildcards when `wildcards`, `${...}` is a variable or an
    /// escape when `variables`; anything else (an unterminated `${`, say) is literal.
    pub(crate) fn parse(text: &str, variables: bool, wildcards: bool) -> Template {
        let chars: Vec<char> = text.chars().collect();
        let mut pieces = Vec::with_capacity(chars.len());
        let mut dynamic = false;
        let mut i = 0;
        while let Some(&c) = chars.get(i) {
            if variables && c == '$' && chars.get(i + 1) == Some(&'{') {
                if let Some((piece, next)) = variable(&chars, i + 2) {
                    dynamic |= matches!(piece, Piece::Var { .. });
                    pieces.push(piece);
                    i = next;
                    continue;
                }
            }
            pieces.push(Piece::Tok(match c {
                '*' if wildcards => Tok::Star,
                '?' if wildcards => Tok::Quest,
                c => Tok::Lit(c),
            }));
            i += 1;
        }
        if dynamic {
            Template::Dynamic(pieces)
        } else {
            let toks = pieces
                .into_iter()
                .filter_map(|p| match p {
                    Piece::Tok(t) => Some(t),
                    Piece::Var { .. } => None,
                })
                .collect();
            Template::Static(toks)
        }
    }

    /// The pattern for a request: variables replaced by their values; `None` when a variable
    /// has no value (the key absent, or multivalued) and no default.
    pub(crate) fn resolve<'t>(&'t self, context: &Context) -> Option<Cow<'t, [Tok]>> {
        let pieces = match self {
            Template::Static(toks) => return Some(Cow::Borrowed(toks)),
            Template::Dynamic(pieces) => pieces,
        };
        let mut toks = Vec::with_capacity(pieces.len());
        for piece in pieces {
            match piece {
                Piece::Tok(t) => toks.push(*t),
                Piece::Var { key, default } => {
                    let value = match context.get(key) {
                        Some([one]) => one.as_str(),
                        Some([]) | None => default.as_deref()?,
                        Some(_) => return None,
                    };
                    toks.extend(value.chars().map(Tok::Lit));
                }
            }
        }
        Some(Cow::Owned(toks))
    }

    /// Whether the template is a lone `*` (matches everything).
    pub(crate) fn is_any(&self) -> bool {
        matches!(self, Template::Static(toks) if toks.as_slice() == [Tok::Star])
    }
}

/// Parses a variable whose name starts at `start` (just after `${`): the piece and the index
/// after its `}`, or `None` when the text is not a variable.
fn variable(chars: &[char], start: usize) -> Option<(Piece, usize)> {
    let close = |i: usize| (chars.get(i) == Some(&'}')).then_some(i + 1);
    if let (Some(&c), Some(next)) = (chars.get(start), close(start + 1)) {
        if matches!(c, '*' | '?' | '$') {
            return Some((Piece::Tok(Tok::Lit(c)), next));
        }
    }
    let mut i = start;
    while chars.get(i).is_some_and(|&c| is_name_char(c)) {
        i += 1;
    }
    let name: String = chars.get(start..i)?.iter().collect();
    if name.is_empty() {
        return None;
    }
    let key = name.to_ascii_lowercase();
    if let Some(next) = close(i) {
        return Some((Piece::Var { key, default: None }, next));
    }
    // `${key, 'default'}`: blanks around the comma and before the brace.
    i = skip_blanks(chars, i);
    if chars.get(i) != Some(&',') {
        return None;
    }
    i = skip_blanks(chars, i + 1);
    if chars.get(i) != Some(&'\'') {
        return None;
    }
    let quoted = i + 1;
    let end = quoted + chars.get(quoted..)?.iter().position(|&c| c == '\'')?;
    let default: String = chars.get(quoted..end)?.iter().collect();
    let next = close(skip_blanks(chars, end + 1))?;
    Some((Piece::Var { key, default: Some(default) }, next))
}

/// The characters of a context key's name in a variable.
fn is_name_char(c: char) -> bool {
    !c.is_whitespace() && !matches!(c, '$' | '{' | '}' | ',' | '\'' | '*' | '?')
}

fn skip_blanks(chars: &[char], mut i: usize) -> usize {
    while chars.get(i).is_some_and(|c| c.is_whitespace()) {
        i += 1;
    }
    i
}

/// Whether two characters match, case-insensitively when `fold`.
fn same(a: char, b: char, fold: bool) -> bool {
    a == b || (fold && a.to_lowercase().eq(b.to_lowercase()))
}

/// Whether `text` matches `pattern` (`*`, `?` wildcards; case-insensitively when `fold`).
pub(crate) fn glob(pattern: &[Tok], text: &[char], fold: bool) -> bool {
    let (mut p, mut t) = (0, 0);
    // The last `*` seen and the text position it is currently matched up to.
    let mut star: Option<(usize, usize)> = None;
    while let Some(&c) = text.get(t) {
        match pattern.get(p) {
            Some(Tok::Star) => {
                star = Some((p, t));
                p += 1;
            }
            Some(Tok::Quest) => {
                p += 1;
                t += 1;
            }
            Some(&Tok::Lit(l)) if same(l, c, fold) => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    // Let the last `*` take one more character and retry after it.
                    star = Some((sp, st + 1));
                    p = sp + 1;
                    t = st + 1;
                }
                None => return false,
            },
        }
    }
    pattern.get(p..).is_some_and(|rest| rest.iter().all(|&tok| tok == Tok::Star))
}

/// ARN segments: the parts between the first five colons, the sixth holding the rest.
const ARN_SEGMENTS: usize = 6;

/// Whether the ARN `text` matches the ARN pattern `pattern` (case-sensitively), IAM's way.
pub(crate) fn glob_arn(pattern: &[Tok], text: &[char]) -> bool {
    let pattern_segments = split_pattern(pattern);
    let text_segments = split_text(text);
    arn_from(&pattern_segments, &text_segments, text)
}

/// Matches pattern segments against text segments (`(start, end)` ranges in `text`).
fn arn_from(pattern: &[&[Tok]], segments: &[(usize, usize)], text: &[char]) -> bool {
    let Some((seg, pattern_rest)) = pattern.split_first() else {
        return segments.is_empty();
    };
    let Some(&(start, _)) = segments.first() else {
        return false;
    };
    // A segment ending with `*` may take the following segments too, colons included.
    let spans = if seg.last() == Some(&Tok::Star) { segments.len() } else { 1 };
    (1..=spans).any(|taken| {
        let Some(&(_, end)) = segments.get(taken - 1) else {
            return false;
        };
        let (Some(part), Some(rest)) = (text.get(start..end), segments.get(taken..)) else {
            return false;
        };
        glob(seg, part, false) && arn_from(pattern_rest, rest, text)
    })
}

fn split_pattern(pattern: &[Tok]) -> Vec<&[Tok]> {
    let mut segments = Vec::with_capacity(ARN_SEGMENTS);
    let mut rest = pattern;
    while segments.len() + 1 < ARN_SEGMENTS {
        match rest.iter().position(|&t| t == Tok::Lit(':')) {
            Some(colon) => {
                segments.push(rest.get(..colon).unwrap_or_default());
                rest = rest.get(colon + 1..).unwrap_or_default();
            }
            None => break,
        }
    }
    segments.push(rest);
    segments
}

fn split_text(text: &[char]) -> Vec<(usize, usize)> {
    let mut segments = Vec::with_capacity(ARN_SEGMENTS);
    let mut start = 0;
    for (i, &c) in text.iter().enumerate() {
        if c == ':' && segments.len() + 1 < ARN_SEGMENTS {
            segments.push((start, i));
            start = i + 1;
        }
    }
    segments.push((start, text.len()));
    segments
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pat(s: &str) -> Vec<Tok> {
        match Template::parse(s, false, true) {
            Template::Static(t) => t,
            Template::Dynamic(_) => unreachable!(),
        }
    }

    fn g(p: &str, t: &str) -> bool {
        glob(&pat(p), &t.chars().collect::<Vec<_>>(), false)
    }

    fn arn(p: &str, t: &str) -> bool {
        glob_arn(&pat(p), &t.chars().collect::<Vec<_>>())
    }

    #[test]
    fn glob_basics() {
        assert!(g("*", ""));
        assert!(g("*", "anything"));
        assert!(g("a*c", "abbbc"));
        assert!(g("a?c", "abc"));
        assert!(!g("a?c", "ac"));
        assert!(g("a*b*c", "a-b-b-c"));
        assert!(!g("a*b*c", "a-b-b-d"));
        assert!(g("", ""));
        assert!(!g("", "x"));
        assert!(g("**", "x"));
        assert!(!g("abc", "ABC"));
        assert!(glob(&pat("GetItem"), &"getitem".chars().collect::<Vec<_>>(), true));
    }

    #[test]
    fn glob_is_not_exponential() {
        let text: Vec<char> = "a".repeat(5000).chars().collect();
        let pattern = pat(&format!("{}b", "a*".repeat(200)));
        assert!(!glob(&pattern, &text, false));
    }

    #[test]
    fn arn_segments() {
        let t = "arn:aws:dynamodb:us-east-1:123456789012:table/Books";
        assert!(arn("*", t));
        assert!(arn(t, t));
        assert!(arn("arn:aws:dynamodb:*:*:table/Books", t));
        assert!(arn("arn:aws:dynamodb:*", t));
        assert!(arn("arn:aws:dynamodb:us-east-1:123456789012:table/*", t));
        assert!(arn("arn:aws:dynamodb:us-east-1:123456789012:*", t));
        assert!(arn("arn:aws:dynamo*", t));
        assert!(!arn("arn:aws:dynamodb:us-east-?:123456789012:table/Books/x", t));
        assert!(arn("arn:aws:dynamodb:us-east-?:123456789012:table/Book?", t));
        // A `*` inside a segment stays inside it.
        assert!(!arn("arn:aws:d*b:123456789012:table/Books", t));
        assert!(!arn("arn:aws:dynamodb:us-*-1:table/Books", t));
        // The resource part may hold colons.
        assert!(arn("arn:aws:s3:::bucket/a:b*", "arn:aws:s3:::bucket/a:b:c"));
        assert!(!arn("arn:aws:dynamodb:us-east-1:123456789012:table/Books", "*"));
        assert!(arn("*", "*"));
        assert!(!arn(t, "arn:aws:dynamodb:us-east-1:123456789012:table/books"));
    }

    #[test]
    fn variables() {
        let mut ctx = Context::new();
        ctx.set("aws:username", "alice");
        let r = |s: &str, ctx: &Context| {
            Template::parse(s, true, true).resolve(ctx).map(|t| t.into_owned())
        };
        let lits = |s: &str| s.chars().map(Tok::Lit).collect::<Vec<_>>();
        assert_eq!(r("${aws:username}", &ctx), Some(lits("alice")));
        assert_eq!(r("${AWS:UserName}", &ctx), Some(lits("alice")));
        assert_eq!(r("${aws:userid}", &ctx), None);
        assert_eq!(r("${aws:userid, 'anon'}", &ctx), Some(lits("anon")));
        assert_eq!(r("${aws:userid,'a}b' }", &ctx), Some(lits("a}b")));
        assert_eq!(r("${*}${?}${$}", &ctx), Some(lits("*?$")));
        assert_eq!(r("a${", &ctx), Some(lits("a${")));
        assert_eq!(r("${}", &ctx), Some(lits("${}")));
        assert_eq!(r("x*", &ctx), Some(vec![Tok::Lit('x'), Tok::Star]));
        // Without variables (2008-10-17), `${...}` is text.
        let plain = Template::parse("${aws:username}", false, true);
        assert_eq!(plain.resolve(&ctx).map(|t| t.into_owned()), Some(lits("${aws:username}")));
        ctx.set_multi("aws:username", vec!["a".into(), "b".into()]);
        assert_eq!(r("${aws:username, 'd'}", &ctx), None);
    }
}
