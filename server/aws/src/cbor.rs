//! CBOR ↔ JSON values for Smithy RPC v2 CBOR: services handle one value model (`serde_json`)
//! whatever the protocol. Byte strings decode to base64 text, as the JSON protocols carry blobs;
//! tags are dropped to their content (epoch timestamps, tag 1, become their number).

use serde_json::{Map, Number, Value as Json};

/// Deepest nesting [`decode`] accepts; deeper input is refused before it can recurse further.
pub const CBOR_NESTING_MAX: usize = 64;

/// Why a CBOR body was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CborError(pub String);

impl std::fmt::Display for CborError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Encodes a JSON value as CBOR.
pub fn encode(value: &Json) -> Vec<u8> {
    let mut out = Vec::new();
    // Writing into a Vec cannot fail, and every JSON value has a CBOR form.
    let _ = ciborium::into_writer(&to_cbor(value), &mut out);
    out
}

fn to_cbor(v: &Json) -> ciborium::Value {
    use ciborium::Value as C;
    match v {
        Json::Null => C::Null,
        Json::Bool(b) => C::Bool(*b),
        Json::Number(n) => {
            if let Some(i) = n.as_i64() {
                C::Integer(i.into())
            } else if let Some(u) = n.as_u64() {
                C::Integer(u.into())
            } else {
                C::Float(n.as_f64().unwrap_or(0.0))
            }
        }
        Json::String(s) => C::Text(s.clone()),
        Json::Array(a) => C::Array(a.iter().map(to_cbor).collect()),
        Json::Object(m) => {
            C::Map(m.iter().map(|(k, v)| (C::Text(k.clone()), to_cbor(v))).collect())
        }
    }
}

/// Decodes a CBOR body into a JSON value.
pub fn decode(bytes: &[u8]) -> Result<Json, CborError> {
    let v: ciborium::Value =
        ciborium::de::from_reader_with_recursion_limit(bytes, CBOR_NESTING_MAX)
            .map_err(|e| CborError(format!("the body is not valid CBOR: {e}")))?;
    from_cbor(v)
}

fn from_cbor(v: ciborium::Value) -> Result<Json, CborError> {
    use base64::Engine as _;
    use ciborium::Value as C;
    Ok(match v {
        C::Null => Json::Null,
        C::Bool(b) => Json::Bool(b),
        C::Integer(i) => {
            let i: i128 = i.into();
            if let Ok(x) = i64::try_from(i) {
                Json::from(x)
            } else if let Ok(x) = u64::try_from(i) {
                Json::from(x)
            } else {
                return Err(CborError(format!("integer {i} is out of range")));
            }
        }
        C::Float(f) => Number::from_f64(f).map(Json::Number).unwrap_or(Json::Null),
        C::Text(s) => Json::String(s),
        C::Bytes(b) => Json::String(base64::engine::general_purpose::STANDARD.encode(b)),
        C::Array(a) => Json::Array(a.into_iter().map(from_cbor).collect::<Result<_, _>>()?),
        C::Map(entries) => {
            let mut m = Map::new();
            for (k, v) in entries {
                let C::Text(k) = k else {
                    return Err(CborError("a map key is not a text string".into()));
                };
                m.insert(k, from_cbor(v)?);
            }
            Json::Object(m)
        }
        C::Tag(_, inner) => from_cbor(*inner)?,
        _ => return Err(CborError("an unsupported CBOR value".into())),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn round_trip() {
        let v = json!({"Namespace": "app", "MetricData": [{"Value": 1.5, "Count": 3, "Neg": -2}],
                       "Flag": true, "Nothing": null});
        assert_eq!(decode(&encode(&v)).unwrap(), v);
    }

    #[test]
    fn worked_example_bytes() {
        // {"a": 1} is a one-entry map (0xa1), text "a" (0x61 0x61), unsigned 1 (0x01).
        assert_eq!(encode(&json!({"a": 1})), vec![0xa1, 0x61, b'a', 0x01]);
        // A byte string (0x42 'h' 'i') decodes to base64 text, and tag 1 to its number.
        assert_eq!(decode(&[0x42, b'h', b'i']).unwrap(), json!("aGk="));
        assert_eq!(decode(&[0xc1, 0x1a, 0x65, 0x00, 0x00, 0x00]).unwrap(), json!(1694498816));
    }

    #[test]
    fn refusals() {
        assert!(decode(&[0xff]).is_err(), "a break with nothing open");
        assert!(decode(&[0xa1, 0x01, 0x01]).is_err(), "an integer map key");
        assert!(decode(&[0x61]).is_err(), "truncated text");
        let deep: Vec<u8> =
            std::iter::repeat_n(0x81, CBOR_NESTING_MAX + 10).chain([0x01]).collect();
        assert!(decode(&deep).is_err(), "nesting past the bound");
    }
}
