//! An item's DynamoDB JSON, written straight into a string (no intermediate JSON tree): the
//! export's hot loop. The output is byte for byte what `serde_json` writes for
//! [`crate::dynamodb::model::value::item_to_json`] (members in name order, the same escapes),
//! which the tests check.

use crate::dynamodb::model::value::{AttrValue, Item};
use base64::Engine as _;

/// Appends `s` as a JSON string.
fn string(s: &str, out: &mut String) {
    out.push('"');
    let mut start = 0;
    for (i, c) in s.char_indices() {
        let esc = match c {
            '"' => "\\\"",
            '\\' => "\\\\",
            '\n' => "\\n",
            '\r' => "\\r",
            '\t' => "\\t",
            '\u{8}' => "\\b",
            '\u{c}' => "\\f",
            c if (c as u32) < 0x20 => "",
            _ => continue,
        };
        out.push_str(s.get(start..i).unwrap_or_default());
        if esc.is_empty() {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push_str(esc);
        }
        start = i + c.len_utf8();
    }
    out.push_str(s.get(start..).unwrap_or_default());
    out.push('"');
}

fn binary(b: &[u8], out: &mut String) {
    out.push('"');
    base64::engine::general_purpose::STANDARD.encode_string(b, out);
    out.push('"');
}

fn list<T>(items: &[T], each: impl Fn(&T, &mut String), out: &mut String) {
    out.push('[');
    for (i, x) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        each(x, out);
    }
    out.push(']');
}

fn value(v: &AttrValue, out: &mut String) {
    let (ty, tail): (&str, &dyn Fn(&mut String)) = match v {
        AttrValue::S(s) => ("S", &|o: &mut String| string(s, o)),
        AttrValue::N(n) => ("N", &|o: &mut String| string(&n.to_text(), o)),
        AttrValue::B(b) => ("B", &|o: &mut String| binary(b, o)),
        AttrValue::Ss(v) => ("SS", &|o: &mut String| list(v, |s, o| string(s, o), o)),
        AttrValue::Ns(v) => ("NS", &|o: &mut String| list(v, |n, o| string(&n.to_text(), o), o)),
        AttrValue::Bs(v) => ("BS", &|o: &mut String| list(v, |b, o| binary(b, o), o)),
        AttrValue::M(m) => ("M", &|o: &mut String| map(m.iter(), o)),
        AttrValue::L(l) => ("L", &|o: &mut String| list(l, value, o)),
        AttrValue::Bool(b) => {
            ("BOOL", &|o: &mut String| o.push_str(if *b { "true" } else { "false" }))
        }
        AttrValue::Null => ("NULL", &|o: &mut String| o.push_str("true")),
    };
    out.push_str("{\"");
    out.push_str(ty);
    out.push_str("\":");
    tail(out);
    out.push('}');
}

fn map<'a>(fields: impl Iterator<Item = (&'a String, &'a AttrValue)>, out: &mut String) {
    out.push('{');
    for (i, (k, v)) in fields.enumerate() {
        if i > 0 {
            out.push(',');
        }
        string(k, out);
        out.push(':');
        value(v, out);
    }
    out.push('}');
}

/// Appends `{"Item":{…}}` for `item` (no newline).
pub fn write_item(item: &Item, out: &mut String) {
    out.push_str("{\"Item\":");
    map(item.iter(), out);
    out.push('}');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dynamodb::model::value::{item_from_json, item_to_json};
    use serde_json::json;

    #[test]
    fn writes_what_serde_json_writes() {
        let item = item_from_json(&json!({
            "s": {"S": "quote \" backslash \\ nl \n cr \r tab \t bell \u{7} del \u{7f} é 😀"},
            "n": {"N": "-1.50"}, "b": {"B": "AP8="}, "ss": {"SS": ["a", "b\"c"]},
            "ns": {"NS": ["1", "2.5"]}, "bs": {"BS": ["AQ==", "Ag=="]},
            "m": {"M": {"x y": {"L": [{"BOOL": true}, {"NULL": true}, {"BOOL": false}]}, "": {"M": {}}}},
            "l": {"L": []}, "k\u{1}": {"S": ""},
        }))
        .unwrap();
        let mut mine = String::new();
        write_item(&item, &mut mine);
        assert_eq!(mine, json!({ "Item": item_to_json(&item) }).to_string());
    }
}
