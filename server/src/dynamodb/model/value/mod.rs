//! DynamoDB's attribute values: the ten types, their JSON wire form, validation as DynamoDB
//! validates, and item size by DynamoDB's rules.

pub mod decode;

#[cfg(test)]
use crate::dynamodb::limits::ATTRIBUTE_NESTING_MAX;
use crate::dynamodb::model::number::Number;
use base64::Engine as _;
use serde::de::DeserializeSeed;
use serde_json::{Map, Value as Json};
use std::collections::BTreeMap;

/// An attribute value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttrValue {
    S(String),
    N(Number),
    B(Vec<u8>),
    /// String set (no duplicates, never empty; kept in order).
    Ss(Vec<String>),
    Ns(Vec<Number>),
    Bs(Vec<Vec<u8>>),
    M(BTreeMap<String, AttrValue>),
    L(Vec<AttrValue>),
    Bool(bool),
    Null,
}

/// An item: attribute names to values.
pub type Item = BTreeMap<String, AttrValue>;

/// A validation failure, with DynamoDB's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid(pub String);

/// Messages of values whose JSON has the wrong shape (a number where DynamoDB's wire form has a
/// string, an array where it has a map) start with this: DynamoDB answers those with a
/// SerializationException, not a ValidationException.
pub const SHAPE_ERROR_PREFIX: &str = "Unexpected JSON type";

impl Invalid {
    /// Whether the JSON had the wrong shape (see [`SHAPE_ERROR_PREFIX`]).
    pub fn is_shape_error(&self) -> bool {
        self.0.starts_with(SHAPE_ERROR_PREFIX)
    }
}

fn shape(what: &str) -> Invalid {
    Invalid(format!("{SHAPE_ERROR_PREFIX}: {what}"))
}

fn invalid(msg: impl Into<String>) -> Invalid {
    Invalid(msg.into())
}

fn b64(s: &str) -> Result<Vec<u8>, Invalid> {
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .map_err(|_| invalid("Invalid Binary value: the value is not valid base64"))
}

impl AttrValue {
    /// The type's wire name.
    pub fn type_name(&self) -> &'static str {
        match self {
            AttrValue::S(_) => "S",
            AttrValue::N(_) => "N",
            AttrValue::B(_) => "B",
            AttrValue::Ss(_) => "SS",
            AttrValue::Ns(_) => "NS",
            AttrValue::Bs(_) => "BS",
            AttrValue::M(_) => "M",
            AttrValue::L(_) => "L",
            AttrValue::Bool(_) => "BOOL",
            AttrValue::Null => "NULL",
        }
    }

    /// Parses the JSON wire form (`{"S": "x"}`, ...), validating as DynamoDB does (the same
    /// decoder as requests are read with, [`decode`]).
    pub fn from_json(v: &Json) -> Result<AttrValue, Invalid> {
        decode::ValueSeed { depth: 0 }
            .deserialize(v)
            .unwrap_or_else(|e| Err(invalid(e.to_string())))
    }

    /// The JSON wire form.
    pub fn to_json(&self) -> Json {
        let enc = |b: &[u8]| Json::String(base64::engine::general_purpose::STANDARD.encode(b));
        let (ty, inner) = match self {
            AttrValue::S(s) => ("S", Json::String(s.clone())),
            AttrValue::N(n) => ("N", Json::String(n.to_text())),
            AttrValue::B(b) => ("B", enc(b)),
            AttrValue::Ss(v) => {
                ("SS", Json::Array(v.iter().map(|s| Json::String(s.clone())).collect()))
            }
            AttrValue::Ns(v) => {
                ("NS", Json::Array(v.iter().map(|n| Json::String(n.to_text())).collect()))
            }
            AttrValue::Bs(v) => ("BS", Json::Array(v.iter().map(|b| enc(b)).collect())),
            AttrValue::M(m) => {
                ("M", Json::Object(m.iter().map(|(k, v)| (k.clone(), v.to_json())).collect()))
            }
            AttrValue::L(l) => ("L", Json::Array(l.iter().map(AttrValue::to_json).collect())),
            AttrValue::Bool(b) => ("BOOL", Json::Bool(*b)),
            AttrValue::Null => ("NULL", Json::Bool(true)),
        };
        let mut m = Map::new();
        m.insert(ty.to_string(), inner);
        Json::Object(m)
    }

    /// Bytes this value counts for in DynamoDB's item size (400 KB limit, capacity units).
    pub fn size(&self) -> usize {
        match self {
            AttrValue::S(s) => s.len(),
            AttrValue::N(n) => number_size(n),
            AttrValue::B(b) => b.len(),
            AttrValue::Ss(v) => v.iter().map(String::len).sum(),
            AttrValue::Ns(v) => v.iter().map(number_size).sum(),
            AttrValue::Bs(v) => v.iter().map(Vec::len).sum(),
            AttrValue::M(m) => 3 + m.iter().map(|(k, v)| k.len() + v.size() + 1).sum::<usize>(),
            AttrValue::L(l) => 3 + l.iter().map(|v| v.size() + 1).sum::<usize>(),
            AttrValue::Bool(_) | AttrValue::Null => 1,
        }
    }
}

/// A number's size: about one byte per two significant digits, plus one (DynamoDB documents
/// "up to 21 bytes" for 38 digits).
fn number_size(n: &Number) -> usize {
    let digits = n.to_text().bytes().filter(u8::is_ascii_digit).count();
    1 + digits.div_ceil(2)
}

/// Checks a set: not empty, no duplicates.
fn set<T: Ord + Clone + std::fmt::Debug>(items: Vec<T>, kind: &str) -> Result<Vec<T>, Invalid> {
    if items.is_empty() {
        // DynamoDB's wording differs for binary sets (and keeps its double space for the others).
        return Err(invalid(if kind == "binary" {
            "One or more parameter values were invalid: Binary sets should not be empty".into()
        } else {
            format!("One or more parameter values were invalid: An {kind} set  may not be empty")
        }));
    }
    let mut sorted = items.clone();
    sorted.sort();
    if sorted.windows(2).any(|w| w.first() == w.get(1)) {
        return Err(invalid(format!("One or more parameter values were invalid: Input collection {items:?} contains duplicates.")));
    }
    Ok(items)
}

/// Parses an item (`{"name": {"S": "x"}, ...}`).
pub fn item_from_json(v: &Json) -> Result<Item, Invalid> {
    decode::ItemSeed.deserialize(v).unwrap_or_else(|e| Err(invalid(e.to_string())))
}

/// An item's JSON wire form.
pub fn item_to_json(item: &Item) -> Json {
    Json::Object(item.iter().map(|(k, v)| (k.clone(), v.to_json())).collect())
}

/// An item's size by DynamoDB's rules: attribute names plus values.
pub fn item_size(item: &Item) -> usize {
    item.iter().map(|(k, v)| k.len() + v.size()).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_type_round_trips_through_json() {
        let j = json!({
            "s": {"S": "héllo"}, "n": {"N": "1.50"}, "b": {"B": "AAEC"},
            "ss": {"SS": ["a", "b"]}, "ns": {"NS": ["1", "2.5"]}, "bs": {"BS": ["AA==", "AQ=="]},
            "m": {"M": {"x": {"L": [{"NULL": true}, {"BOOL": false}]}}}, "e": {"S": ""}
        });
        let item = item_from_json(&j).unwrap();
        assert_eq!(item.get("b"), Some(&AttrValue::B(vec![0, 1, 2])));
        let back = item_to_json(&item);
        assert_eq!(back["n"], json!({"N": "1.5"}), "numbers come back normalized");
        assert_eq!(item_from_json(&back).unwrap(), item);
    }

    #[test]
    fn refuses_what_dynamodb_refuses_with_its_words() {
        let err = |j: Json| AttrValue::from_json(&j).unwrap_err().0;
        assert!(err(json!({})).contains("is empty"));
        assert!(err(json!({"S": "a", "N": "1"})).contains("more than one datatypes"));
        assert!(err(json!({"SS": []})).contains("may not be empty"));
        assert!(err(json!({"SS": ["a", "a"]})).contains("contains duplicates"));
        assert!(err(json!({"NS": ["1", "1.0"]})).contains("contains duplicates"));
        assert!(err(json!({"NULL": false})).contains("must have the value of true"));
        assert!(err(json!({"N": "1e999"})).contains("Number overflow"));
        assert!(err(json!({"B": "!!"})).contains("base64"));
        let mut deep = json!({"S": "x"});
        for _ in 0..=ATTRIBUTE_NESTING_MAX {
            deep = json!({"L": [deep]});
        }
        assert!(err(deep).contains("Nesting Levels"));
    }

    #[test]
    fn sizes_follow_dynamodb_rules() {
        let item = item_from_json(
            &json!({"name": {"S": "abc"}, "n": {"N": "12345"}, "l": {"L": [{"BOOL": true}]}}),
        )
        .unwrap();
        // "name"+3, "n"+(1+3), "l"+(3 + 1 + 1)
        assert_eq!(item_size(&item), 7 + 5 + 6);
    }
}
