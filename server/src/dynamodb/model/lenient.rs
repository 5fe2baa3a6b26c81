//! Lenient JSON visiting: a visitor that takes any JSON value and always consumes it, so that a
//! value of the wrong type is recorded where it is found and reported later, in DynamoDB's
//! order of checks and in its words, instead of failing the parse on the spot. Request members
//! ([`crate::dynamodb::request::member`]) and attribute values
//! ([`crate::dynamodb::model::value`]) are decoded straight from the request's bytes this way;
//! the only errors the parse itself raises are JSON syntax errors.

use serde::de::{Deserializer, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::fmt;

/// A JSON scalar, strings borrowed from the request where they have no escapes.
#[derive(Debug)]
pub enum Scalar<'de> {
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    Str(Cow<'de, str>),
}

/// What a lenient visitor does with each kind of JSON value. `seq` and `map` must consume
/// every element ([`drain_seq`], [`drain_map`] for what they do not want).
pub trait AnyVisitor<'de>: Sized {
    type Value;
    fn scalar(self, s: Scalar<'de>) -> Self::Value;
    fn seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error>;
    fn map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error>;
}

/// Visits any JSON value with `v`: `deserializer.deserialize_any(Any(v))`.
pub struct Any<V>(pub V);

/// Any JSON value, read in full and thrown away: unlike `serde::de::IgnoredAny`, every string
/// is checked (UTF-8, escapes), every number parsed and the nesting bound kept, exactly as a
/// parse into `serde_json::Value` checks them, without building anything.
pub struct Checked;

impl<'de> serde::Deserialize<'de> for Checked {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Checked, D::Error> {
        visit_any(d, CheckedVisitor)
    }
}

struct CheckedVisitor;

impl<'de> AnyVisitor<'de> for CheckedVisitor {
    type Value = Checked;
    fn scalar(self, _: Scalar<'de>) -> Checked {
        Checked
    }
    fn seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Checked, A::Error> {
        while seq.next_element::<Checked>()?.is_some() {}
        Ok(Checked)
    }
    fn map<A: MapAccess<'de>>(self, mut map: A) -> Result<Checked, A::Error> {
        while map.next_entry::<Checked, Checked>()?.is_some() {}
        Ok(Checked)
    }
}

/// Visits the value `d` holds with `v`.
pub fn visit_any<'de, D: Deserializer<'de>, V: AnyVisitor<'de>>(
    d: D,
    v: V,
) -> Result<V::Value, D::Error> {
    d.deserialize_any(Any(v))
}

/// Consumes the rest of a sequence ([`Checked`]).
pub fn drain_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
    while seq.next_element::<Checked>()?.is_some() {}
    Ok(())
}

/// Consumes the rest of a map ([`Checked`]).
pub fn drain_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
    while map.next_entry::<Checked, Checked>()?.is_some() {}
    Ok(())
}

impl<'de, V: AnyVisitor<'de>> Visitor<'de> for Any<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_unit<E>(self) -> Result<V::Value, E> {
        Ok(self.0.scalar(Scalar::Null))
    }
    fn visit_none<E>(self) -> Result<V::Value, E> {
        Ok(self.0.scalar(Scalar::Null))
    }
    fn visit_bool<E>(self, b: bool) -> Result<V::Value, E> {
        Ok(self.0.scalar(Scalar::Bool(b)))
    }
    fn visit_i64<E>(self, n: i64) -> Result<V::Value, E> {
        Ok(self.0.scalar(Scalar::Int(n)))
    }
    fn visit_u64<E>(self, n: u64) -> Result<V::Value, E> {
        Ok(self.0.scalar(match i64::try_from(n) {
            Ok(n) => Scalar::Int(n),
            Err(_) => Scalar::Uint(n),
        }))
    }
    fn visit_f64<E>(self, n: f64) -> Result<V::Value, E> {
        Ok(self.0.scalar(Scalar::Float(n)))
    }
    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<V::Value, E> {
        Ok(self.0.scalar(Scalar::Str(Cow::Borrowed(s))))
    }
    fn visit_str<E>(self, s: &str) -> Result<V::Value, E> {
        Ok(self.0.scalar(Scalar::Str(Cow::Owned(s.to_owned()))))
    }
    fn visit_string<E>(self, s: String) -> Result<V::Value, E> {
        Ok(self.0.scalar(Scalar::Str(Cow::Owned(s))))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        self.0.seq(seq)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.0.map(map)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Names the kind of value it saw; keeps nothing.
    struct Kind;

    impl<'de> AnyVisitor<'de> for Kind {
        type Value = String;
        fn scalar(self, s: Scalar<'de>) -> String {
            match s {
                Scalar::Str(Cow::Borrowed(_)) => "borrowed".into(),
                other => format!("{other:?}"),
            }
        }
        fn seq<A: SeqAccess<'de>>(self, seq: A) -> Result<String, A::Error> {
            drain_seq(seq)?;
            Ok("seq".into())
        }
        fn map<A: MapAccess<'de>>(self, map: A) -> Result<String, A::Error> {
            drain_map(map)?;
            Ok("map".into())
        }
    }

    fn kind(json: &str) -> String {
        let mut d = serde_json::Deserializer::from_str(json);
        visit_any(&mut d, Kind).unwrap()
    }

    #[test]
    fn every_kind_is_taken_and_consumed() {
        assert_eq!(kind("null"), "Null");
        assert_eq!(kind("true"), "Bool(true)");
        assert_eq!(kind("-3"), "Int(-3)");
        assert_eq!(kind("18446744073709551615"), "Uint(18446744073709551615)");
        assert_eq!(kind("1.5"), "Float(1.5)");
        assert_eq!(kind("\"plain\""), "borrowed");
        assert_eq!(kind("\"esc\\n\""), "Str(\"esc\\n\")");
        assert_eq!(kind("[1, [2], {\"a\": 3}]"), "seq");
        assert_eq!(kind("{\"a\": [1, 2], \"b\": {}}"), "map");
        // A drained value still has its syntax checked.
        let mut d = serde_json::Deserializer::from_str("[1, }");
        assert!(visit_any(&mut d, Kind).is_err());
    }

    #[test]
    fn checked_refuses_what_a_full_parse_refuses() {
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        for bad in [&b"[\"\\ud800\"]"[..], b"[1e400]", b"[\"\xff\"]", b"[1,]", deep.as_bytes()] {
            let full = serde_json::from_slice::<serde_json::Value>(bad).unwrap_err();
            let checked = serde_json::from_slice::<Checked>(bad).err().map(|e| e.to_string());
            assert_eq!(checked, Some(full.to_string()), "{}", String::from_utf8_lossy(bad));
        }
        assert!(serde_json::from_slice::<Checked>(b"{\"a\": [1, 2.5, \"x\", null]}").is_ok());
    }
}
