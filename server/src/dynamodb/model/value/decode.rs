//! Decoding attribute values from their JSON wire form, straight from the request's bytes (or
//! from a parsed `serde_json::Value`, through the same code), validated as DynamoDB validates.
//!
//! A value that fails validation does not stop the parse: the failure is kept and the rest of
//! the JSON consumed, so that the request's other checks still come first in DynamoDB's order
//! and a JSON syntax error anywhere in the body still wins. Which failure is reported matches
//! DynamoDB's: the first attribute by name (sorted) of a map, the first element of a list or
//! set, and "more than one datatypes" before anything inside the value.

use super::{b64, invalid, set, shape, AttrValue, Invalid, Item};
use crate::dynamodb::limits::{ATTRIBUTE_NAME_LEN_MAX, ATTRIBUTE_NESTING_MAX};
use crate::dynamodb::model::lenient::{
    drain_map, drain_seq, visit_any, AnyVisitor, Checked, Scalar,
};
use crate::dynamodb::model::number::{Number, NumberError};
use serde::de::{Deserialize, DeserializeSeed, Deserializer, MapAccess, SeqAccess};
use std::borrow::Cow;
use std::collections::BTreeMap;

/// An attribute value as decoded: the value, or why DynamoDB refuses it.
pub type Decoded<T> = Result<T, Invalid>;

/// One attribute value (`{"S": "x"}`) at nesting `depth` (an item's attributes are at 0).
#[derive(Clone, Copy)]
pub struct ValueSeed {
    pub depth: usize,
}

impl<'de> DeserializeSeed<'de> for ValueSeed {
    type Value = Decoded<AttrValue>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Decoded<AttrValue>, D::Error> {
        // The attribute itself is level 1: values nested 31 levels below it are the deepest.
        if self.depth >= ATTRIBUTE_NESTING_MAX {
            Checked::deserialize(d)?;
            return Ok(Err(invalid("Nesting Levels have exceeded supported limits")));
        }
        visit_any(d, self)
    }
}

impl<'de> AnyVisitor<'de> for ValueSeed {
    type Value = Decoded<AttrValue>;

    fn scalar(self, _: Scalar<'de>) -> Decoded<AttrValue> {
        Err(shape("an AttributeValue must be a JSON object"))
    }

    fn seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Decoded<AttrValue>, A::Error> {
        drain_seq(seq)?;
        Ok(self.scalar(Scalar::Null))
    }

    fn map<A: MapAccess<'de>>(self, mut map: A) -> Result<Decoded<AttrValue>, A::Error> {
        // The type member, the last of a repeated name winning, as in a parsed JSON object. A
        // second distinct name decides the answer: the rest is skipped (so a value with a
        // million members costs no more than its bytes). No allocation: one member is kept.
        let mut member: Option<(Cow<'de, str>, Decoded<AttrValue>)> = None;
        while let Some(ty) = map.next_key::<Text<'de>>()? {
            if member.as_ref().is_some_and(|(t, _)| *t != ty.0) {
                map.next_value::<Checked>()?;
                drain_map(map)?;
                return Ok(Err(invalid(
                    "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes",
                )));
            }
            let v = map.next_value_seed(Inner { ty: &ty.0, depth: self.depth })?;
            member = Some((ty.0, v));
        }
        Ok(match member {
            None => Err(invalid(
                "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes",
            )),
            Some((_, v)) => v,
        })
    }
}

/// The value of one type member (`"x"` of `{"S": "x"}`).
struct Inner<'t> {
    ty: &'t str,
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for Inner<'_> {
    type Value = Decoded<AttrValue>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Decoded<AttrValue>, D::Error> {
        visit_any(d, self)
    }
}

impl Inner<'_> {
    fn must_be(&self, json_type: &str) -> Invalid {
        shape(&format!("the {} value must be a JSON {json_type}", self.ty))
    }

    /// What a value of the wrong JSON type for this member is refused with.
    fn wrong(&self) -> Invalid {
        match self.ty {
            "S" | "N" | "B" => self.must_be("string"),
            "SS" | "NS" | "BS" | "L" => self.must_be("array"),
            "M" => self.must_be("object"),
            "BOOL" => self.must_be("boolean"),
            "NULL" => invalid(
                "One or more parameter values were invalid: Null attribute value types must have the value of true",
            ),
            other => invalid(format!("Supplied AttributeValue has an unknown datatype: {other}")),
        }
    }
}

fn number(s: &str) -> Decoded<Number> {
    Number::parse(s).map_err(|e| match e {
        NumberError::Invalid => invalid(format!("{e}: {s}")),
        e => invalid(e.to_string()),
    })
}

impl<'de> AnyVisitor<'de> for Inner<'_> {
    type Value = Decoded<AttrValue>;

    fn scalar(self, s: Scalar<'de>) -> Decoded<AttrValue> {
        match (self.ty, s) {
            ("S", Scalar::Str(s)) => Ok(AttrValue::S(s.into_owned())),
            ("N", Scalar::Str(s)) => number(&s).map(AttrValue::N),
            ("B", Scalar::Str(s)) => b64(&s).map(AttrValue::B),
            ("BOOL", Scalar::Bool(b)) => Ok(AttrValue::Bool(b)),
            ("NULL", Scalar::Bool(true)) => Ok(AttrValue::Null),
            _ => Err(self.wrong()),
        }
    }

    fn seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Decoded<AttrValue>, A::Error> {
        // The first failing element is the one reported; the rest are still consumed.
        fn collect<'de, A: SeqAccess<'de>, T>(
            seq: &mut A,
            mut element: impl FnMut(Cow<'de, str>) -> Decoded<T>,
            wrong: impl Fn() -> Invalid,
        ) -> Result<Decoded<Vec<T>>, A::Error> {
            let mut out: Decoded<Vec<T>> = Ok(Vec::new());
            while let Some(MaybeText(s)) = seq.next_element()? {
                let e = s.ok_or_else(&wrong).and_then(&mut element);
                match (&mut out, e) {
                    (Ok(v), Ok(e)) => v.push(e),
                    (Ok(_), Err(e)) => out = Err(e),
                    (Err(_), _) => {}
                }
            }
            Ok(out)
        }
        let string = || self.must_be("string");
        Ok(match self.ty {
            "SS" => collect(&mut seq, |s| Ok(s.into_owned()), string)?
                .and_then(|v| set(v, "string").map(AttrValue::Ss)),
            "NS" => collect(&mut seq, |s| number(&s), string)?
                .and_then(|v| set(v, "number").map(AttrValue::Ns)),
            "BS" => collect(&mut seq, |s| b64(&s), string)?
                .and_then(|v| set(v, "binary").map(AttrValue::Bs)),
            "L" => {
                let mut out: Decoded<Vec<AttrValue>> = Ok(Vec::new());
                let seed = ValueSeed { depth: self.depth + 1 };
                while let Some(e) = seq.next_element_seed(seed)? {
                    match (&mut out, e) {
                        (Ok(v), Ok(e)) => v.push(e),
                        (Ok(_), Err(e)) => out = Err(e),
                        (Err(_), _) => {}
                    }
                }
                out.map(AttrValue::L)
            }
            _ => {
                drain_seq(seq)?;
                Err(self.wrong())
            }
        })
    }

    fn map<A: MapAccess<'de>>(self, map: A) -> Result<Decoded<AttrValue>, A::Error> {
        if self.ty != "M" {
            drain_map(map)?;
            return Ok(Err(self.wrong()));
        }
        Ok(attributes(map, self.depth + 1)?.map(AttrValue::M))
    }
}

/// DynamoDB's refusal of an attribute name (of an item, or a key of a nested map) longer than
/// [`ATTRIBUTE_NAME_LEN_MAX`] bytes.
pub const ATTRIBUTE_NAME_TOO_LARGE: &str =
    "Attribute name is too large, must be less than 65536 bytes";

/// The attributes of a map (an item, or an `M` value at `depth`): the failure of the first
/// attribute by name is the one reported.
pub fn attributes<'de, A: MapAccess<'de>>(
    mut map: A,
    depth: usize,
) -> Result<Decoded<BTreeMap<String, AttrValue>>, A::Error> {
    let mut out = BTreeMap::new();
    let mut failed: BTreeMap<String, Invalid> = BTreeMap::new();
    while let Some(name) = map.next_key::<String>()? {
        let value = map.next_value_seed(ValueSeed { depth })?;
        let value = if name.len() > ATTRIBUTE_NAME_LEN_MAX {
            Err(invalid(ATTRIBUTE_NAME_TOO_LARGE))
        } else {
            value
        };
        match value {
            Ok(v) => {
                failed.remove(&name);
                out.insert(name, v);
            }
            Err(e) => {
                out.remove(&name);
                failed.insert(name, e);
            }
        }
    }
    Ok(match failed.into_values().next() {
        Some(e) => Err(e),
        None => Ok(out),
    })
}

/// An item (`{"name": {"S": "x"}, ...}`) from anything JSON: a map of attribute values, or the
/// refusal of something else.
pub struct ItemSeed;

impl<'de> DeserializeSeed<'de> for ItemSeed {
    type Value = Decoded<Item>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Decoded<Item>, D::Error> {
        visit_any(d, self)
    }
}

impl<'de> AnyVisitor<'de> for ItemSeed {
    type Value = Decoded<Item>;

    fn scalar(self, _: Scalar<'de>) -> Decoded<Item> {
        Err(invalid("An item must be a map of attribute names to values"))
    }
    fn seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Decoded<Item>, A::Error> {
        drain_seq(seq)?;
        Ok(self.scalar(Scalar::Null))
    }
    fn map<A: MapAccess<'de>>(self, map: A) -> Result<Decoded<Item>, A::Error> {
        attributes(map, 0)
    }
}

/// A JSON string, borrowed from the input where it has no escapes; any other JSON value is
/// consumed and gives `None` (lenient: for elements that must be strings).
#[derive(Debug)]
pub struct MaybeText<'a>(pub Option<Cow<'a, str>>);

impl<'de: 'a, 'a> Deserialize<'de> for MaybeText<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        visit_any(d, MaybeTextVisitor).map(MaybeText)
    }
}

struct MaybeTextVisitor;

impl<'de> AnyVisitor<'de> for MaybeTextVisitor {
    type Value = Option<Cow<'de, str>>;
    fn scalar(self, s: Scalar<'de>) -> Self::Value {
        match s {
            Scalar::Str(s) => Some(s),
            _ => None,
        }
    }
    fn seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        drain_seq(seq).map(|()| None)
    }
    fn map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        drain_map(map).map(|()| None)
    }
}

/// A JSON string, borrowed from the input where it has no escapes (object keys, which JSON
/// makes strings); any other value is a deserialization error.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Text<'a>(pub Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        visit_any(d, MaybeTextVisitor)?
            .map(Text)
            .ok_or_else(|| serde::de::Error::custom("expected a string"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from_bytes(json: &str) -> Decoded<AttrValue> {
        let mut d = serde_json::Deserializer::from_str(json);
        ValueSeed { depth: 0 }.deserialize(&mut d).unwrap()
    }

    #[test]
    fn a_second_type_member_ends_the_value_whatever_follows() {
        let e = from_bytes(r#"{"S": "a", "N": {"x": [1, {"y": 2}]}, "B": "c"}"#).unwrap_err();
        assert!(e.0.contains("more than one datatypes"), "{}", e.0);
        assert_eq!(from_bytes(r#"{"S": "a", "S": "b"}"#), Ok(AttrValue::S("b".into())));
        assert!(from_bytes("{}").unwrap_err().0.contains("is empty"));
    }
}
