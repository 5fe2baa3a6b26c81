//! A request member as decoded: absent (or JSON `null`, which DynamoDB treats as absent), a
//! value of its shape, or a value of the wrong JSON type, kept to be reported when the
//! operation checks that member (`SerializationException: Unexpected value type for X:
//! expected a string`), in DynamoDB's order of checks.
//!
//! Request shapes ([`super::shapes`]) are `serde` derives whose members are all [`Member`]s, so
//! that decoding a body fails only on JSON syntax (and on a member given twice).

use crate::dynamodb::error::{DResult, DynamoError};
use crate::dynamodb::model::lenient::{drain_map, drain_seq, visit_any, AnyVisitor, Scalar};
use crate::dynamodb::model::value::decode::{attributes, Decoded, Text};
use crate::dynamodb::model::value::Item;
use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess};
use serde_json::Value as Json;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::marker::PhantomData;

/// One member of a request shape.
#[derive(Debug, Default)]
pub enum Member<T> {
    /// Not in the request, or `null`.
    #[default]
    Absent,
    Present(T),
    /// A value of another JSON type; the shape expected (`"a string"`).
    Wrong(&'static str),
}

fn wrong_type(name: &str, expected: &str) -> DynamoError {
    DynamoError::Serialization(format!("Unexpected value type for {name}: expected {expected}"))
}

impl<T> Member<T> {
    /// The value of the member called `name` (`None` if absent); a value of the wrong type is
    /// DynamoDB's `SerializationException`.
    pub fn get(self, name: &str) -> DResult<Option<T>> {
        match self {
            Member::Absent => Ok(None),
            Member::Present(v) => Ok(Some(v)),
            Member::Wrong(expected) => Err(wrong_type(name, expected)),
        }
    }

    /// Whether the member is in the request with a value (of any type).
    pub fn is_given(&self) -> bool {
        !matches!(self, Member::Absent)
    }

    pub fn as_ref(&self) -> Member<&T> {
        match self {
            Member::Absent => Member::Absent,
            Member::Present(v) => Member::Present(v),
            Member::Wrong(e) => Member::Wrong(e),
        }
    }

    /// The value, if it is one of the member's shape.
    pub fn present(self) -> Option<T> {
        match self {
            Member::Present(v) => Some(v),
            _ => None,
        }
    }
}

impl<T: AsRef<str>> Member<T> {
    /// The member's text, if it is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Member::Present(s) => Some(s.as_ref()),
            _ => None,
        }
    }
}

/// A member's shape: the JSON it takes and how it is built from it. Anything else is consumed
/// and becomes [`Member::Wrong`] with [`Shape::EXPECTED`].
pub trait Shape<'de>: Sized {
    /// The shape as DynamoDB's type messages name it (`"a string"`).
    const EXPECTED: &'static str;

    fn scalar(_: Scalar<'de>) -> Member<Self> {
        Member::Wrong(Self::EXPECTED)
    }
    fn seq<A: SeqAccess<'de>>(seq: A) -> Result<Member<Self>, A::Error> {
        drain_seq(seq)?;
        Ok(Member::Wrong(Self::EXPECTED))
    }
    fn map<A: MapAccess<'de>>(map: A) -> Result<Member<Self>, A::Error> {
        drain_map(map)?;
        Ok(Member::Wrong(Self::EXPECTED))
    }
}

struct MemberVisitor<T>(PhantomData<T>);

impl<'de, T: Shape<'de>> AnyVisitor<'de> for MemberVisitor<T> {
    type Value = Member<T>;
    fn scalar(self, s: Scalar<'de>) -> Member<T> {
        match s {
            Scalar::Null => Member::Absent,
            s => T::scalar(s),
        }
    }
    fn seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Member<T>, A::Error> {
        T::seq(seq)
    }
    fn map<A: MapAccess<'de>>(self, map: A) -> Result<Member<T>, A::Error> {
        T::map(map)
    }
}

impl<'de, T: Shape<'de>> Deserialize<'de> for Member<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        visit_any(d, MemberVisitor(PhantomData))
    }
}

/// A string member, borrowed from the request where it has no escapes.
pub type Str<'a> = Cow<'a, str>;

impl<'de: 'a, 'a> Shape<'de> for Cow<'a, str> {
    const EXPECTED: &'static str = "a string";
    fn scalar(s: Scalar<'de>) -> Member<Self> {
        match s {
            Scalar::Str(s) => Member::Present(s),
            _ => Member::Wrong(Self::EXPECTED),
        }
    }
}

impl<'de> Shape<'de> for bool {
    const EXPECTED: &'static str = "a boolean";
    fn scalar(s: Scalar<'de>) -> Member<Self> {
        match s {
            Scalar::Bool(b) => Member::Present(b),
            _ => Member::Wrong(Self::EXPECTED),
        }
    }
}

impl<'de> Shape<'de> for i64 {
    const EXPECTED: &'static str = "a number";
    fn scalar(s: Scalar<'de>) -> Member<Self> {
        match s {
            Scalar::Int(n) => Member::Present(n),
            Scalar::Uint(_) | Scalar::Float(_) => Member::Wrong("an integer"),
            _ => Member::Wrong(Self::EXPECTED),
        }
    }
}

/// A list member (`"a list"`), each element decoded as `T` (a [`Member`] where an element may
/// have the wrong type).
impl<'de, T: Deserialize<'de>> Shape<'de> for Vec<T> {
    const EXPECTED: &'static str = "a list";
    fn seq<A: SeqAccess<'de>>(mut seq: A) -> Result<Member<Self>, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(e) = seq.next_element()? {
            out.push(e);
        }
        Ok(Member::Present(out))
    }
}

/// A map member (`"a structure or map"`) keyed by strings, sorted by key as DynamoDB reports
/// the first failing entry; a key given twice keeps its last value.
pub type Map<'a, T> = BTreeMap<Text<'a>, T>;

impl<'de: 'a, 'a, T: Deserialize<'de>> Shape<'de> for BTreeMap<Text<'a>, T> {
    const EXPECTED: &'static str = "a structure or map";
    fn map<A: MapAccess<'de>>(mut map: A) -> Result<Member<Self>, A::Error> {
        let mut out = BTreeMap::new();
        while let Some((k, v)) = map.next_entry()? {
            out.insert(k, v);
        }
        Ok(Member::Present(out))
    }
}

/// An attribute map member (`Item`, `Key`, `ExclusiveStartKey`: `"a map"`), decoded and
/// validated as it is read; a refused attribute value is kept to be reported in turn.
impl<'de> Shape<'de> for Decoded<Item> {
    const EXPECTED: &'static str = "a map";
    fn map<A: MapAccess<'de>>(map: A) -> Result<Member<Self>, A::Error> {
        attributes(map, 0).map(Member::Present)
    }
}

/// A member kept as JSON (the legacy parameters, read by [`crate::dynamodb::expr::legacy`]):
/// any value is of its shape.
impl<'de> Shape<'de> for Json {
    const EXPECTED: &'static str = "a JSON value";
    fn scalar(s: Scalar<'de>) -> Member<Self> {
        Member::Present(match s {
            Scalar::Null => Json::Null,
            Scalar::Bool(b) => Json::Bool(b),
            Scalar::Int(n) => Json::from(n),
            Scalar::Uint(n) => Json::from(n),
            Scalar::Float(n) => Json::from(n),
            Scalar::Str(s) => Json::String(s.into_owned()),
        })
    }
    fn seq<A: SeqAccess<'de>>(seq: A) -> Result<Member<Self>, A::Error> {
        Json::deserialize(SeqAccessDeserializer::new(seq)).map(Member::Present)
    }
    fn map<A: MapAccess<'de>>(map: A) -> Result<Member<Self>, A::Error> {
        Json::deserialize(MapAccessDeserializer::new(map)).map(Member::Present)
    }
}

/// Makes a derived request structure a [`Shape`] (`"a structure or map"`), for nesting.
macro_rules! structure {
    ($name:ident) => {
        impl<'de: 'a, 'a> $crate::dynamodb::request::member::Shape<'de> for $name<'a> {
            const EXPECTED: &'static str = "a structure or map";
            fn map<A: serde::de::MapAccess<'de>>(
                map: A,
            ) -> Result<$crate::dynamodb::request::member::Member<Self>, A::Error> {
                <$name<'a> as serde::Deserialize<'de>>::deserialize(
                    serde::de::value::MapAccessDeserializer::new(map),
                )
                .map($crate::dynamodb::request::member::Member::Present)
            }
        }
    };
}
pub(crate) use structure;

#[cfg(test)]
mod tests {
    use super::*;

    fn member<'a, T: Shape<'a>>(json: &'a str) -> Member<T> {
        serde_json::from_str(json).unwrap()
    }

    fn message<T>(m: Member<T>) -> String {
        m.get("X").err().map(|e| e.message().to_string()).unwrap_or_default()
    }

    #[test]
    fn wrong_types_are_kept_and_reported_by_name() {
        assert!(matches!(member::<Str>("\"a\""), Member::Present(Cow::Borrowed("a"))));
        assert!(matches!(member::<Str>("null"), Member::Absent));
        assert_eq!(
            message(member::<Str>("[1, {\"a\": 2}]")),
            "Unexpected value type for X: expected a string"
        );
        assert_eq!(
            message(member::<bool>("\"true\"")),
            "Unexpected value type for X: expected a boolean"
        );
        assert_eq!(
            message(member::<i64>("\"5\"")),
            "Unexpected value type for X: expected a number"
        );
        assert_eq!(
            message(member::<i64>("1.0")),
            "Unexpected value type for X: expected an integer"
        );
        assert_eq!(
            message(member::<i64>("18446744073709551615")),
            "Unexpected value type for X: expected an integer"
        );
        assert_eq!(
            message(member::<Vec<Member<Str>>>("{}")),
            "Unexpected value type for X: expected a list"
        );
        assert_eq!(
            message(member::<Map<Member<Str>>>("[]")),
            "Unexpected value type for X: expected a structure or map"
        );
        assert_eq!(
            message(member::<Decoded<Item>>("\"x\"")),
            "Unexpected value type for X: expected a map"
        );
        assert!(matches!(member::<Json>("[1]"), Member::Present(Json::Array(_))));
    }

    #[test]
    fn maps_are_sorted_and_keep_the_last_of_a_repeated_key() {
        let m = member::<Map<Member<i64>>>("{\"b\": 1, \"a\": 2, \"b\": 3}").present().unwrap();
        let got: Vec<(&str, i64)> =
            m.iter().map(|(k, v)| (&*k.0, *v.as_ref().present().unwrap())).collect();
        assert_eq!(got, [("a", 2), ("b", 3)]);
    }
}
