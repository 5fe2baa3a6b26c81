//! Amazon Ion text, as DynamoDB's `ION` exports write items and ImportTable reads them
//! (`docs/format/export.md`).
//!
//! Writing: one line per item, `$ion_1_0 {Item:{…}}`. A String is an Ion string, a Number an
//! Ion decimal with an integer's trailing zeros in its exponent (`103.`, `6d2`, `1.5`), a Binary a blob (`{{base64}}`), a Boolean `true`/`false`, Null
//! `null`, a Map a struct, a List a list, and the sets are lists annotated `$dynamodb_SS::`,
//! `$dynamodb_NS::` and `$dynamodb_BS::`. Field names are bare identifiers where Ion allows,
//! else quoted symbols (`'first name'`).
//!
//! Reading takes Ion text in general, as other tools write it: comments, the `$ion_1_0` version
//! marker, ints (decimal, `0x`, `0b`, with `_`), decimals (`d` exponents), finite floats, short
//! and long (`'''…'''`) strings with every Ion escape, symbols, blobs and clobs, `null.<type>`,
//! annotations, lists and structs. What has no DynamoDB type (timestamps, s-expressions,
//! `nan`, infinities) is refused with a message naming it. A value becomes DynamoDB's JSON wire
//! form ([`to_attribute`]), so the item is then checked exactly as a request's item is.

use crate::dynamodb::model::value::{AttrValue, Item};
use base64::Engine as _;
use serde_json::{json, Map, Value as Json};

/// Deepest nesting of Ion containers read (DynamoDB's items nest at most 32 levels).
pub const ION_DEPTH_MAX: usize = 64;

/// The annotations of DynamoDB's sets.
pub const STRING_SET: &str = "$dynamodb_SS";
pub const NUMBER_SET: &str = "$dynamodb_NS";
pub const BINARY_SET: &str = "$dynamodb_BS";

// ---------------------------------------------------------------------------------------------
// Writing

/// Appends `$ion_1_0 {Item:{…}}` for `item` (no newline).
pub fn write_item(item: &Item, out: &mut String) {
    out.push_str("$ion_1_0 {Item:");
    write_struct(item.iter(), out);
    out.push('}');
}

fn write_struct<'a>(fields: impl Iterator<Item = (&'a String, &'a AttrValue)>, out: &mut String) {
    out.push('{');
    for (i, (name, v)) in fields.enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_field_name(name, out);
        out.push(':');
        write_value(v, out);
    }
    out.push('}');
}

/// Whether `s` may be written as a bare identifier symbol: `[A-Za-z_][A-Za-z0-9_]*`, not a
/// keyword (`$` is left out, as `$10` names a symbol by id).
fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    first_ok
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !matches!(s, "null" | "true" | "false" | "nan")
}

fn write_field_name(name: &str, out: &mut String) {
    if is_identifier(name) {
        out.push_str(name);
    } else {
        write_quoted(name, '\'', out);
    }
}

fn write_quoted(s: &str, quote: char, out: &mut String) {
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push(quote);
}

/// A Number as an Ion decimal, as DynamoDB writes it: `103.`, `6d2` (600), `-1.5`, `0.`. (An
/// Ion number without a point or exponent would be an int.)
fn write_number(text: &str, out: &mut String) {
    if text.contains('.') {
        out.push_str(text);
        return;
    }
    let digits = text.trim_start_matches('-');
    let trimmed = text.trim_end_matches('0');
    let zeros = text.len() - trimmed.len();
    if zeros == 0 || zeros == digits.len() {
        out.push_str(text);
        out.push('.');
    } else {
        out.push_str(trimmed);
        out.push('d');
        out.push_str(&zeros.to_string());
    }
}

fn write_blob(b: &[u8], out: &mut String) {
    out.push_str("{{");
    out.push_str(&base64::engine::general_purpose::STANDARD.encode(b));
    out.push_str("}}");
}

fn write_value(v: &AttrValue, out: &mut String) {
    match v {
        AttrValue::S(s) => write_quoted(s, '"', out),
        AttrValue::N(n) => write_number(&n.to_text(), out),
        AttrValue::B(b) => write_blob(b, out),
        AttrValue::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        AttrValue::Null => out.push_str("null"),
        AttrValue::M(m) => write_struct(m.iter(), out),
        AttrValue::L(l) => {
            out.push('[');
            for (i, v) in l.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(v, out);
            }
            out.push(']');
        }
        AttrValue::Ss(v) => write_set(STRING_SET, v, |s, out| write_quoted(s, '"', out), out),
        AttrValue::Ns(v) => write_set(NUMBER_SET, v, |n, out| write_number(&n.to_text(), out), out),
        AttrValue::Bs(v) => write_set(BINARY_SET, v, |b, out| write_blob(b, out), out),
    }
}

fn write_set<T>(annotation: &str, v: &[T], each: impl Fn(&T, &mut String), out: &mut String) {
    out.push_str(annotation);
    out.push_str("::[");
    for (i, x) in v.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        each(x, out);
    }
    out.push(']');
}

// ---------------------------------------------------------------------------------------------
// Reading

/// An Ion value as read (what DynamoDB's types need of Ion's data model).
#[derive(Debug, Clone, PartialEq)]
pub enum Ion {
    Null,
    Bool(bool),
    /// An int, decimal or float, as DynamoDB number text (`-12`, `1.5E3`).
    Number(String),
    String(String),
    Symbol(String),
    Bytes(Vec<u8>),
    List(Vec<Annotated>),
    Struct(Vec<(String, Annotated)>),
}

/// A value with its annotations.
#[derive(Debug, Clone, PartialEq)]
pub struct Annotated {
    pub annotations: Vec<String>,
    pub value: Ion,
}

/// Reads every top-level value of `text` (the `$ion_1_0` marker is dropped).
pub fn read_all(text: &str) -> Result<Vec<Annotated>, String> {
    let mut p = Parser { s: text.as_bytes(), i: 0, text };
    let mut out = Vec::new();
    loop {
        p.skip_space()?;
        if p.i >= p.s.len() {
            return Ok(out);
        }
        let v = p.value(0)?;
        let marker = v.annotations.is_empty()
            && matches!(&v.value, Ion::Symbol(s) if s.starts_with("$ion_") && s != "$ion_");
        if !marker {
            out.push(v);
        }
    }
}

/// The item of one exported line: its one top-level struct's `Item` field, as DynamoDB's JSON
/// wire form (checked by the caller as any item is).
pub fn item_of_line(line: &str) -> Result<Json, String> {
    let mut values = read_all(line)?;
    let top = match (values.pop(), values.is_empty()) {
        (Some(v), true) => v,
        (None, _) => return Err("the line holds no Ion value".into()),
        (Some(_), false) => return Err("the line holds more than one Ion value".into()),
    };
    let Ion::Struct(fields) = top.value else {
        return Err("the line's value is not a struct with an Item field".into());
    };
    let mut item = None;
    for (name, v) in fields {
        if name == "Item" {
            if item.is_some() {
                return Err("the struct has two Item fields".into());
            }
            item = Some(v);
        }
    }
    let Some(item) = item else { return Err("the struct has no Item field".into()) };
    match to_attribute(item, 0)? {
        Json::Object(mut m) => match m.remove("M") {
            Some(map) => Ok(map),
            None => Err("the Item field is not a struct".into()),
        },
        _ => Err("the Item field is not a struct".into()),
    }
}

/// A value as DynamoDB's JSON wire form (`{"S": "x"}`).
pub fn to_attribute(v: Annotated, depth: usize) -> Result<Json, String> {
    let set = v.annotations.iter().find(|a| a.starts_with("$dynamodb_")).cloned();
    if let Some(set) = set {
        let Ion::List(members) = v.value else {
            return Err(format!("the annotation {set} is on a value that is not a list"));
        };
        let (ty, want) = match set.as_str() {
            STRING_SET => ("SS", "string"),
            NUMBER_SET => ("NS", "number"),
            BINARY_SET => ("BS", "blob"),
            other => return Err(format!("unknown annotation {other}")),
        };
        let mut out = Vec::with_capacity(members.len());
        for m in members {
            out.push(match (ty, m.value) {
                ("SS", Ion::String(s) | Ion::Symbol(s)) => Json::String(s),
                ("NS", Ion::Number(n)) => Json::String(n),
                ("BS", Ion::Bytes(b)) => {
                    Json::String(base64::engine::general_purpose::STANDARD.encode(b))
                }
                _ => return Err(format!("a member of a {set} list is not a {want}")),
            });
        }
        return Ok(json!({ ty: out }));
    }
    if depth > ION_DEPTH_MAX {
        return Err(format!("values nest deeper than {ION_DEPTH_MAX} levels"));
    }
    Ok(match v.value {
        Ion::Null => json!({"NULL": true}),
        Ion::Bool(b) => json!({ "BOOL": b }),
        Ion::Number(n) => json!({ "N": n }),
        Ion::String(s) | Ion::Symbol(s) => json!({ "S": s }),
        Ion::Bytes(b) => json!({ "B": base64::engine::general_purpose::STANDARD.encode(b) }),
        Ion::List(l) => {
            let l: Result<Vec<Json>, String> =
                l.into_iter().map(|v| to_attribute(v, depth + 1)).collect();
            json!({ "L": l? })
        }
        Ion::Struct(fields) => {
            let mut m = Map::new();
            for (k, v) in fields {
                if m.contains_key(&k) {
                    return Err(format!("the struct repeats the field {k:?}"));
                }
                m.insert(k, to_attribute(v, depth + 1)?);
            }
            json!({ "M": m })
        }
    })
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
    text: &'a str,
}

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c == b'$'
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'$'
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn peek_at(&self, n: usize) -> Option<u8> {
        self.s.get(self.i + n).copied()
    }

    fn err<T>(&self, what: &str) -> Result<T, String> {
        Err(format!("{what} at byte {}", self.i))
    }

    fn skip_space(&mut self) -> Result<(), String> {
        loop {
            match self.peek() {
                Some(b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) => self.i += 1,
                Some(b'/') if self.peek_at(1) == Some(b'/') => {
                    while self.peek().is_some_and(|c| c != b'\n') {
                        self.i += 1;
                    }
                }
                Some(b'/') if self.peek_at(1) == Some(b'*') => {
                    self.i += 2;
                    loop {
                        match self.peek() {
                            None => return self.err("an unterminated comment"),
                            Some(b'*') if self.peek_at(1) == Some(b'/') => {
                                self.i += 2;
                                break;
                            }
                            Some(_) => self.i += 1,
                        }
                    }
                }
                _ => return Ok(()),
            }
        }
    }

    fn expect(&mut self, c: u8) -> Result<(), String> {
        self.skip_space()?;
        if self.peek() == Some(c) {
            self.i += 1;
            Ok(())
        } else {
            self.err(&format!("expected '{}'", char::from(c)))
        }
    }

    /// A value with its annotations.
    fn value(&mut self, depth: usize) -> Result<Annotated, String> {
        if depth > ION_DEPTH_MAX {
            return self.err(&format!("values nest deeper than {ION_DEPTH_MAX} levels"));
        }
        let mut annotations = Vec::new();
        loop {
            self.skip_space()?;
            let start = self.i;
            // A symbol followed by `::` is an annotation.
            let sym = match self.peek() {
                Some(b'\'') if self.peek_at(1) != Some(b'\'') || self.peek_at(2) != Some(b'\'') => {
                    Some(self.quoted(b'\'')?)
                }
                Some(c) if is_ident_start(c) => Some(self.identifier()),
                _ => None,
            };
            let Some(sym) = sym else { break };
            self.skip_space()?;
            if self.peek() == Some(b':') && self.peek_at(1) == Some(b':') {
                self.i += 2;
                annotations.push(sym);
                continue;
            }
            self.i = start;
            break;
        }
        self.skip_space()?;
        let value = match self.peek() {
            None => return self.err("expected a value"),
            Some(b'{') if self.peek_at(1) == Some(b'{') => Ion::Bytes(self.lob()?),
            Some(b'{') => self.structure(depth)?,
            Some(b'[') => self.list(depth)?,
            Some(b'(') => return self.err("an s-expression has no DynamoDB type"),
            Some(b'"') => Ion::String(self.quoted(b'"')?),
            Some(b'\'') if self.peek_at(1) == Some(b'\'') && self.peek_at(2) == Some(b'\'') => {
                Ion::String(self.long_strings()?)
            }
            Some(b'\'') => Ion::Symbol(self.quoted(b'\'')?),
            Some(c) if is_ident_start(c) => {
                let word = self.identifier();
                match word.as_str() {
                    "null" => {
                        // `null.string` and the like: a typed null is a null.
                        if self.peek() == Some(b'.') {
                            self.i += 1;
                            let _ = self.identifier();
                        }
                        Ion::Null
                    }
                    "true" => Ion::Bool(true),
                    "false" => Ion::Bool(false),
                    "nan" => return self.err("nan has no DynamoDB type"),
                    _ => Ion::Symbol(word),
                }
            }
            Some(c) if c.is_ascii_digit() || c == b'-' || c == b'+' => self.number()?,
            Some(c) => return self.err(&format!("unexpected character '{}'", char::from(c))),
        };
        Ok(Annotated { annotations, value })
    }

    fn identifier(&mut self) -> String {
        let start = self.i;
        while self.peek().is_some_and(is_ident) {
            self.i += 1;
        }
        self.text.get(start..self.i).unwrap_or_default().to_string()
    }

    fn structure(&mut self, depth: usize) -> Result<Ion, String> {
        self.i += 1;
        let mut fields = Vec::new();
        loop {
            self.skip_space()?;
            if self.peek() == Some(b'}') {
                self.i += 1;
                return Ok(Ion::Struct(fields));
            }
            let name = match self.peek() {
                Some(b'"') => self.quoted(b'"')?,
                Some(b'\'') if self.peek_at(1) == Some(b'\'') && self.peek_at(2) == Some(b'\'') => {
                    self.long_strings()?
                }
                Some(b'\'') => self.quoted(b'\'')?,
                Some(c) if is_ident_start(c) => self.identifier(),
                _ => return self.err("expected a field name"),
            };
            self.expect(b':')?;
            let v = self.value(depth + 1)?;
            fields.push((name, v));
            self.skip_space()?;
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b'}') => {}
                _ => return self.err("expected ',' or '}' in a struct"),
            }
        }
    }

    fn list(&mut self, depth: usize) -> Result<Ion, String> {
        self.i += 1;
        let mut items = Vec::new();
        loop {
            self.skip_space()?;
            if self.peek() == Some(b']') {
                self.i += 1;
                return Ok(Ion::List(items));
            }
            items.push(self.value(depth + 1)?);
            self.skip_space()?;
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b']') => {}
                _ => return self.err("expected ',' or ']' in a list"),
            }
        }
    }

    /// `{{ base64 }}` (a blob) or `{{ "text" }}` (a clob): the bytes.
    fn lob(&mut self) -> Result<Vec<u8>, String> {
        self.i += 2;
        self.skip_space()?;
        let bytes = match self.peek() {
            Some(b'"') => self.quoted(b'"')?.into_bytes(),
            Some(b'\'') => self.long_strings()?.into_bytes(),
            _ => {
                let mut b64 = String::new();
                while let Some(c) = self.peek() {
                    if c == b'}' {
                        break;
                    }
                    if !c.is_ascii_whitespace() {
                        b64.push(char::from(c));
                    }
                    self.i += 1;
                }
                base64::engine::general_purpose::STANDARD
                    .decode(b64.as_bytes())
                    .map_err(|_| format!("a blob is not valid base64 at byte {}", self.i))?
            }
        };
        self.skip_space()?;
        if self.peek() == Some(b'}') && self.peek_at(1) == Some(b'}') {
            self.i += 2;
            Ok(bytes)
        } else {
            self.err("expected '}}' closing a blob")
        }
    }

    /// Adjacent long strings (`'''a''' '''b'''` is `"ab"`).
    fn long_strings(&mut self) -> Result<String, String> {
        let mut out = String::new();
        loop {
            self.i += 3;
            loop {
                match self.peek() {
                    None => return self.err("an unterminated long string"),
                    Some(b'\'')
                        if self.peek_at(1) == Some(b'\'') && self.peek_at(2) == Some(b'\'') =>
                    {
                        self.i += 3;
                        break;
                    }
                    Some(b'\\') => self.escape(&mut out, true)?,
                    Some(_) => self.char_into(&mut out)?,
                }
            }
            let save = self.i;
            self.skip_space()?;
            if !(self.peek() == Some(b'\'')
                && self.peek_at(1) == Some(b'\'')
                && self.peek_at(2) == Some(b'\''))
            {
                self.i = save;
                return Ok(out);
            }
        }
    }

    /// A short string or quoted symbol, `quote` included.
    fn quoted(&mut self, quote: u8) -> Result<String, String> {
        self.i += 1;
        let mut out = String::new();
        loop {
            match self.peek() {
                None | Some(b'\n') => return self.err("an unterminated string"),
                Some(c) if c == quote => {
                    self.i += 1;
                    return Ok(out);
                }
                Some(b'\\') => self.escape(&mut out, false)?,
                Some(_) => self.char_into(&mut out)?,
            }
        }
    }

    /// Copies one UTF-8 character.
    fn char_into(&mut self, out: &mut String) -> Result<(), String> {
        let rest = self.text.get(self.i..).unwrap_or_default();
        match rest.chars().next() {
            Some(c) => {
                out.push(c);
                self.i += c.len_utf8();
                Ok(())
            }
            None => self.err("invalid UTF-8"),
        }
    }

    fn hex(&mut self, n: usize) -> Result<u32, String> {
        let digits = self.text.get(self.i..self.i + n).unwrap_or_default();
        let v = u32::from_str_radix(digits, 16)
            .ok()
            .filter(|_| digits.len() == n && digits.bytes().all(|c| c.is_ascii_hexdigit()))
            .ok_or_else(|| format!("a bad escape at byte {}", self.i))?;
        self.i += n;
        Ok(v)
    }

    fn escape(&mut self, out: &mut String, long: bool) -> Result<(), String> {
        self.i += 1;
        let Some(c) = self.peek() else { return self.err("an unterminated escape") };
        self.i += 1;
        let ch = match c {
            b'a' => '\u{7}',
            b'b' => '\u{8}',
            b't' => '\t',
            b'n' => '\n',
            b'f' => '\u{c}',
            b'r' => '\r',
            b'v' => '\u{b}',
            b'?' => '?',
            b'0' => '\0',
            b'\'' => '\'',
            b'"' => '"',
            b'/' => '/',
            b'\\' => '\\',
            b'x' => char::from_u32(self.hex(2)?).unwrap_or('\u{fffd}'),
            b'u' | b'U' => {
                let mut v = self.hex(if c == b'u' { 4 } else { 8 })?;
                // A surrogate pair written as two \u escapes.
                if (0xd800..0xdc00).contains(&v)
                    && self.peek() == Some(b'\\')
                    && self.peek_at(1) == Some(b'u')
                {
                    self.i += 2;
                    let low = self.hex(4)?;
                    v = 0x10000 + ((v - 0xd800) << 10) + (low.wrapping_sub(0xdc00) & 0x3ff);
                }
                char::from_u32(v).ok_or_else(|| format!("a bad \\u escape at byte {}", self.i))?
            }
            // A backslash before a newline continues the string.
            b'\n' => return Ok(()),
            b'\r' if long => {
                if self.peek() == Some(b'\n') {
                    self.i += 1;
                }
                return Ok(());
            }
            _ => return self.err("an unknown escape"),
        };
        out.push(ch);
        Ok(())
    }

    /// An int, decimal or float; refuses timestamps and infinities by name.
    fn number(&mut self) -> Result<Ion, String> {
        let start = self.i;
        while self.peek().is_some_and(|c| {
            c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'+' | b'-' | b':')
        }) {
            self.i += 1;
        }
        let tok = self.text.get(start..self.i).unwrap_or_default();
        if tok == "+inf" || tok == "-inf" {
            return Err(format!("{tok} has no DynamoDB type"));
        }
        let (neg, body) = match tok.strip_prefix('-') {
            Some(b) => (true, b),
            None => (false, tok),
        };
        let sign = if neg { "-" } else { "" };
        let lower = body.to_ascii_lowercase();
        if let Some(hex) = lower.strip_prefix("0x") {
            return radix(hex, 16, sign, tok);
        }
        if let Some(bin) = lower.strip_prefix("0b") {
            return radix(bin, 2, sign, tok);
        }
        // A timestamp has a '-' after its year, or is a year followed by 'T'.
        if body.len() >= 5 && (body.as_bytes().get(4) == Some(&b'-') || lower.ends_with('t')) {
            return Err(format!("the timestamp {tok} has no DynamoDB type"));
        }
        if tok.starts_with('+') || body.contains("__") || body.ends_with('_') {
            return Err(format!("{tok} is not an Ion number"));
        }
        let clean: String = body.chars().filter(|&c| c != '_').collect();
        // Mantissa and exponent: `d`/`D` (decimal) or `e`/`E` (float).
        let (mantissa, exponent) = match clean.find(['d', 'D', 'e', 'E']) {
            Some(at) => (clean.get(..at).unwrap_or(""), Some(clean.get(at + 1..).unwrap_or(""))),
            None => (clean.as_str(), None),
        };
        let mantissa = mantissa.strip_suffix('.').unwrap_or(mantissa);
        let ok_mantissa = !mantissa.is_empty()
            && mantissa.bytes().all(|c| c.is_ascii_digit() || c == b'.')
            && mantissa.bytes().filter(|&c| c == b'.').count() <= 1
            && !mantissa.starts_with('.');
        let ok_exponent = exponent.is_none_or(|e| {
            let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
            !digits.is_empty() && digits.bytes().all(|c| c.is_ascii_digit())
        });
        if !ok_mantissa || !ok_exponent {
            return Err(format!("{tok} is not an Ion number"));
        }
        Ok(Ion::Number(match exponent {
            Some(e) => format!("{sign}{mantissa}E{e}"),
            None => format!("{sign}{mantissa}"),
        }))
    }
}

/// A `0x`/`0b` int as decimal text.
fn radix(digits: &str, base: u32, sign: &str, tok: &str) -> Result<Ion, String> {
    let digits: String = digits.chars().filter(|&c| c != '_').collect();
    u128::from_str_radix(&digits, base)
        .map(|v| Ion::Number(format!("{sign}{v}")))
        .map_err(|_| format!("{tok} is not an Ion int DynamoDB can hold"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dynamodb::model::value::item_from_json;

    fn item(j: Json) -> Item {
        item_from_json(&j).unwrap()
    }

    #[test]
    fn every_type_round_trips() {
        let it = item(json!({
            "Id": {"N": "103"}, "Price": {"N": "-1.50"}, "Tiny": {"N": "1E-40"},
            "Pages": {"N": "600"}, "Neg": {"N": "-2000"}, "Zero": {"N": "0"},
            "Title": {"S": "Book \"103\"\n\tTitle ü"}, "Pic": {"B": "AAEC/w=="},
            "InPublication": {"BOOL": false}, "Gone": {"NULL": true},
            "Authors": {"SS": ["Author1", "Author2"]}, "Ratings": {"NS": ["1", "2.5"]},
            "Blobs": {"BS": ["AA==", "AQ=="]},
            "Nested": {"M": {"a b": {"L": [{"S": "x"}, {"N": "0"}, {"M": {}}]}, "null": {"S": "k"}}},
        }));
        let mut line = String::new();
        write_item(&it, &mut line);
        assert!(
            line.starts_with("$ion_1_0 {Item:{Authors:$dynamodb_SS::[\"Author1\",\"Author2\"],"),
            "{line}"
        );
        assert!(line.contains("Id:103.,"), "{line}");
        assert!(line.contains("Price:-1.5,"), "{line}");
        assert!(line.contains("Pages:6d2,") && line.contains("Neg:-2d3,"), "{line}");
        assert!(line.contains("Zero:0."), "{line}");
        assert!(line.contains("'a b':["), "{line}");
        assert!(line.contains("'null':\"k\""), "{line}");
        assert!(line.contains("Pic:{{AAEC/w==}}"), "{line}");
        let back = item_from_json(&item_of_line(&line).unwrap()).unwrap();
        assert_eq!(back, it);
    }

    #[test]
    fn reads_the_aws_documentation_example() {
        let line = "$ion_1_0 {Item:{Authors:$dynamodb_SS::[\"Author1\",\"Author2\"],\
            Dimensions:\"8.5 x 11.0 x 1.5\",ISBN:\"333-3333333333\",Id:103.,InPublication:false,\
            PageCount:6d2,Price:2000.,ProductCategory:\"Book\",Title:\"Book 103 Title\"}}";
        let it = item_from_json(&item_of_line(line).unwrap()).unwrap();
        assert_eq!(it.get("Id").unwrap().to_json(), json!({"N": "103"}));
        assert_eq!(it.get("PageCount").unwrap().to_json(), json!({"N": "600"}));
        assert_eq!(it.get("Authors").unwrap().to_json(), json!({"SS": ["Author1", "Author2"]}));
        assert_eq!(it.get("InPublication").unwrap().to_json(), json!({"BOOL": false}));
    }

    #[test]
    fn reads_general_ion() {
        let line = r#"/* c */ {'Item': { "s": '''a''' '''b''', sym: hello, i: 0x1F, b: -0b101,
            u: 1_000, f: 1.5e3, d: 12.5d-1, n: null.string, c: {{ "clob" }},
            e: "\u00e9\x41\U0001F600", t: true, l: [1, 2.] } // tail
        }"#;
        let it = item_from_json(&item_of_line(line).unwrap()).unwrap();
        let get = |k: &str| it.get(k).unwrap().to_json();
        assert_eq!(get("s"), json!({"S": "ab"}));
        assert_eq!(get("sym"), json!({"S": "hello"}));
        assert_eq!(get("i"), json!({"N": "31"}));
        assert_eq!(get("b"), json!({"N": "-5"}));
        assert_eq!(get("u"), json!({"N": "1000"}));
        assert_eq!(get("f"), json!({"N": "1500"}));
        assert_eq!(get("d"), json!({"N": "1.25"}));
        assert_eq!(get("n"), json!({"NULL": true}));
        assert_eq!(get("c"), json!({"B": "Y2xvYg=="}));
        assert_eq!(get("e"), json!({"S": "éA😀"}));
        assert_eq!(get("l"), json!({"L": [{"N": "1"}, {"N": "2"}]}));
    }

    #[test]
    fn refuses_what_has_no_dynamodb_type_by_name() {
        for (line, want) in [
            ("{Item:{t:2007-02-23T12:14Z}}", "timestamp"),
            ("{Item:{t:2007T}}", "timestamp"),
            ("{Item:{x:(a b)}}", "s-expression"),
            ("{Item:{x:nan}}", "nan"),
            ("{Item:{x:+inf}}", "+inf"),
            ("{Item:{x:$dynamodb_XS::[\"a\"]}}", "unknown annotation"),
            ("{Item:{x:$dynamodb_NS::[\"a\"]}}", "not a number"),
            ("{Item:{x:$dynamodb_SS::\"a\"}}", "not a list"),
            ("{Item:{x:1,x:2}}", "repeats"),
            ("{Item:\"s\"}", "not a struct"),
            ("{Thing:{}}", "no Item"),
            ("{Item:{x:\"open}}", "unterminated"),
            ("{Item:{x:{{!!}}}}", "base64"),
            ("{Item:{x:1__0}}", "not an Ion number"),
            ("{Item:{}} {Item:{}}", "more than one"),
            ("", "no Ion value"),
        ] {
            let e = item_of_line(line).unwrap_err();
            assert!(e.contains(want), "{line}: {e}");
        }
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let line = format!("{{Item:{{x:{}{}}}}}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(item_of_line(&line).unwrap_err().contains("nest deeper"));
    }
}
