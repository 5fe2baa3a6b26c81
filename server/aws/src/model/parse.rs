//! Loading a botocore `service-2.json`: the raw serde form, then checked and turned into
//! [`Model`]. Structure members keep their order (`xmlOrder` when the model gives one), which
//! a `serde_json::Map` would not.

use super::{ErrorShape, Kind, Member, Metadata, Model, Operation, Shape};
use crate::Fault;
use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Deserialize)]
struct RawModel {
    #[serde(default)]
    metadata: RawMetadata,
    #[serde(default)]
    operations: BTreeMap<String, RawOperation>,
    #[serde(default)]
    shapes: BTreeMap<String, RawShape>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct RawMetadata {
    #[serde(default)]
    api_version: String,
    target_prefix: Option<String>,
    xml_namespace: Option<String>,
    aws_query_compatible: Option<IgnoredAny>,
}

#[derive(Deserialize)]
struct RawOperation {
    input: Option<RawRef>,
    output: Option<RawRef>,
    #[serde(default)]
    errors: Vec<RawRef>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawRef {
    shape: String,
    location_name: Option<String>,
    xml_namespace: Option<RawXmlNamespace>,
    result_wrapper: Option<String>,
}

#[derive(Deserialize)]
struct RawXmlNamespace {
    uri: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawShape {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default, deserialize_with = "members_in_order")]
    members: Vec<(String, RawRef)>,
    #[serde(default)]
    required: Vec<String>,
    xml_order: Option<Vec<String>>,
    member: Option<RawRef>,
    key: Option<RawRef>,
    value: Option<RawRef>,
    #[serde(default)]
    flattened: bool,
    #[serde(default)]
    exception: bool,
    error: Option<RawError>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawError {
    code: Option<String>,
    http_status_code: Option<u16>,
    #[serde(default)]
    sender_fault: bool,
}

/// A JSON object as its entries in text order.
fn members_in_order<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(String, RawRef)>, D::Error> {
    struct InOrder;
    impl<'de> Visitor<'de> for InOrder {
        type Value = Vec<(String, RawRef)>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an object of members")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = Vec::new();
            while let Some(entry) = map.next_entry()? {
                out.push(entry);
            }
            Ok(out)
        }
    }
    d.deserialize_map(InOrder)
}

pub(super) fn parse(text: &str) -> Result<Model, String> {
    let raw: RawModel =
        serde_json::from_str(text).map_err(|e| format!("the model is not valid: {e}"))?;
    let metadata = Metadata {
        api_version: raw.metadata.api_version,
        target_prefix: raw.metadata.target_prefix,
        xml_namespace: raw.metadata.xml_namespace,
        query_compatible: raw.metadata.aws_query_compatible.is_some(),
    };
    let mut shapes = BTreeMap::new();
    for (name, s) in raw.shapes {
        let shape = shape(&name, s)?;
        shapes.insert(name, shape);
    }
    let known = |what: &str, shape: &str| {
        if shapes.contains_key(shape) {
            Ok(())
        } else {
            Err(format!("{what} names the unknown shape {shape}"))
        }
    };
    for (name, s) in &shapes {
        let refs: Vec<&Member> = match &s.kind {
            Kind::Structure { members, .. } => members.iter().collect(),
            Kind::List { member, .. } => vec![member],
            Kind::Map { key, value, .. } => vec![key, value],
            _ => Vec::new(),
        };
        for r in refs {
            known(&format!("shape {name}"), &r.shape)?;
        }
    }
    let mut operations = BTreeMap::new();
    for (name, op) in raw.operations {
        let what = format!("operation {name}");
        for r in op.input.iter().chain(&op.output).chain(&op.errors) {
            known(&what, &r.shape)?;
        }
        let operation = Operation {
            name: name.clone(),
            input: op.input.map(|r| r.shape),
            result_wrapper: op.output.as_ref().and_then(|r| r.result_wrapper.clone()),
            output: op.output.map(|r| r.shape),
            errors: op.errors.into_iter().map(|r| r.shape).collect(),
        };
        operations.insert(name, operation);
    }
    Ok(Model { metadata, operations, shapes })
}

fn member(name: &str, r: RawRef) -> Member {
    Member {
        name: name.to_string(),
        shape: r.shape,
        location_name: r.location_name,
        xml_namespace: r.xml_namespace.and_then(|n| n.uri),
    }
}

fn shape(name: &str, s: RawShape) -> Result<Shape, String> {
    let need = |r: Option<RawRef>, what: &str| {
        r.map(|r| member("", r)).ok_or_else(|| format!("shape {name} has no {what}"))
    };
    let kind = match s.kind.as_str() {
        "structure" | "union" => {
            let mut members: Vec<Member> =
                s.members.into_iter().map(|(n, r)| member(&n, r)).collect();
            if let Some(order) = &s.xml_order {
                let rank =
                    |m: &Member| order.iter().position(|o| *o == m.name).unwrap_or(order.len());
                members.sort_by_key(rank);
            }
            Kind::Structure { members, required: s.required }
        }
        "list" => Kind::List { member: need(s.member, "member")?, flattened: s.flattened },
        "map" => Kind::Map {
            key: need(s.key, "key")?,
            value: need(s.value, "value")?,
            flattened: s.flattened,
        },
        "string" | "enum" => Kind::String,
        "integer" => Kind::Integer,
        "long" => Kind::Long,
        "float" => Kind::Float,
        "double" => Kind::Double,
        "boolean" => Kind::Boolean,
        "timestamp" => Kind::Timestamp,
        "blob" => Kind::Blob,
        other => return Err(format!("shape {name} has the unsupported type {other}")),
    };
    let error = s.exception.then(|| {
        let e =
            s.error.unwrap_or(RawError { code: None, http_status_code: None, sender_fault: true });
        let status = e.http_status_code.unwrap_or(if e.sender_fault { 400 } else { 500 });
        ErrorShape {
            name: name.to_string(),
            code: e.code.unwrap_or_else(|| name.to_string()),
            status,
            fault: if e.sender_fault || status < 500 { Fault::Sender } else { Fault::Receiver },
        }
    });
    Ok(Shape { kind, error })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_model() {
        let m = Model::parse(
            r#"{"metadata": {"apiVersion": "1"},
                "operations": {"Op": {"name": "Op", "input": {"shape": "In"},
                                      "documentation": "<p>ignored</p>"}},
                "shapes": {
                  "In": {"type": "structure", "required": ["B"],
                         "members": {"Z": {"shape": "S", "locationName": "z"},
                                     "B": {"shape": "L"}}},
                  "L": {"type": "list", "member": {"shape": "S", "locationName": "item"},
                        "flattened": true},
                  "S": {"type": "string"}}}"#,
        )
        .unwrap();
        assert_eq!(m.metadata().api_version, "1");
        assert!(!m.metadata().query_compatible);
        let op = m.operation("Op").unwrap();
        assert_eq!((op.output.as_deref(), op.errors.len()), (None, 0));
        let Some(Shape { kind: Kind::Structure { members, .. }, error: None }) = m.shape("In")
        else {
            panic!()
        };
        // Text order, not name order.
        assert_eq!(members.iter().map(Member::wire_name).collect::<Vec<_>>(), ["z", "B"]);
        let Some(Shape { kind: Kind::List { member, flattened: true }, .. }) = m.shape("L") else {
            panic!()
        };
        assert_eq!(member.location_name.as_deref(), Some("item"));
    }

    #[test]
    fn refusals() {
        let bad = |t: &str| Model::parse(t).unwrap_err();
        assert!(bad("[").contains("not valid"));
        assert!(bad(r#"{"shapes": {"A": {"type": "document"}}}"#).contains("unsupported type"));
        assert!(bad(r#"{"shapes": {"A": {"type": "list"}}}"#).contains("no member"));
        assert!(bad(r#"{"shapes": {"A": {"type": "list", "member": {"shape": "B"}}}}"#)
            .contains("unknown shape B"));
        assert!(bad(r#"{"operations": {"X": {"input": {"shape": "Q"}}}, "shapes": {}}"#)
            .contains("operation X"));
    }
}
