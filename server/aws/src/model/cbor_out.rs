//! RPC v2 CBOR output: an operation's JSON output encoded as botocore's `RpcV2CBORParser`
//! (and the Smithy RPC v2 CBOR protocol) expect it: timestamps as tag 1 around epoch seconds
//! (an integer when whole, else a float) — untagged numbers reach boto3 as plain numbers, not
//! datetimes —, blobs as byte strings (base64 text decoded), doubles and floats as CBOR
//! floats (ciborium writes each in the shortest width that keeps it exactly), integers as
//! integers.
//!
//! An operation without output answers an empty body; one with an output shape always a map
//! (`{}` at least: botocore cannot read an empty body as a structure).

use super::json::integer;
use super::time::Epoch;
use super::{Kind, Model, Operation, NESTING_MAX};
use ciborium::Value as Cbor;
use serde_json::Value as Json;

/// CBOR's tag of an epoch-based date/time.
const EPOCH_TAG: u64 = 1;

impl Model {
    /// `op`'s answer in RPC v2 CBOR: `value`'s modeled members (nulls and values whose type
    /// does not fit left out), timestamps tagged, blobs as bytes. Empty for an operation
    /// without output.
    pub fn output_to_cbor(&self, op: &Operation, value: &Json) -> Vec<u8> {
        let Some(output) = &op.output else {
            return Vec::new();
        };
        let v = match self.cbor_value(output, value, 0) {
            Some(map @ Cbor::Map(_)) => map,
            _ => Cbor::Map(Vec::new()),
        };
        let mut out = Vec::new();
        // Writing into a Vec cannot fail, and the value holds text keys only.
        let _ = ciborium::into_writer(&v, &mut out);
        out
    }

    /// The CBOR of `v` as shape `shape`; `None` to leave it out.
    fn cbor_value(&self, shape: &str, v: &Json, depth: usize) -> Option<Cbor> {
        if depth > NESTING_MAX {
            return None;
        }
        Some(match (&self.shape(shape)?.kind, v) {
            (_, Json::Null) => return None,
            (Kind::Structure { members, .. }, Json::Object(m)) => Cbor::Map(
                members
                    .iter()
                    .filter_map(|member| {
                        let name = member.wire_name();
                        let x = self.cbor_value(&member.shape, m.get(name)?, depth + 1)?;
                        Some((Cbor::Text(name.to_string()), x))
                    })
                    .collect(),
            ),
            (Kind::List { member, .. }, Json::Array(items)) => Cbor::Array(
                items
                    .iter()
                    .map(|x| self.cbor_value(&member.shape, x, depth + 1).unwrap_or(Cbor::Null))
                    .collect(),
            ),
            (Kind::Map { value, .. }, Json::Object(m)) => Cbor::Map(
                m.iter()
                    .filter_map(|(k, x)| {
                        Some((Cbor::Text(k.clone()), self.cbor_value(&value.shape, x, depth + 1)?))
                    })
                    .collect(),
            ),
            (Kind::Timestamp, v) => {
                let secs = match Epoch::from_json(v)?.to_json() {
                    Json::Number(n) => match n.as_i64() {
                        Some(i) => Cbor::Integer(i.into()),
                        None => Cbor::Float(n.as_f64()?),
                    },
                    _ => return None,
                };
                Cbor::Tag(EPOCH_TAG, Box::new(secs))
            }
            (Kind::Blob, Json::String(s)) => {
                use base64::Engine as _;
                match base64::engine::general_purpose::STANDARD.decode(s) {
                    Ok(bytes) => Cbor::Bytes(bytes),
                    Err(_) => Cbor::Bytes(s.as_bytes().to_vec()),
                }
            }
            (Kind::Double | Kind::Float, Json::Number(n)) => Cbor::Float(n.as_f64()?),
            (Kind::Integer | Kind::Long, Json::Number(n)) => match integer(n)? {
                Json::Number(i) => match (i.as_i64(), i.as_u64()) {
                    (Some(x), _) => Cbor::Integer(x.into()),
                    (None, Some(x)) => Cbor::Integer(x.into()),
                    (None, None) => return None,
                },
                _ => return None,
            },
            (Kind::Boolean, Json::Bool(b)) => Cbor::Bool(*b),
            (Kind::String, Json::String(s)) => Cbor::Text(s.clone()),
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::tests::cloudwatch;
    use serde_json::json;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// A GetMetricStatistics answer, also printed for the botocore check (`--nocapture`).
    fn get_metric_statistics_cbor() -> Vec<u8> {
        let m = cloudwatch();
        let op = m.operation("GetMetricStatistics").unwrap();
        m.output_to_cbor(
            op,
            &json!({"Label": "l", "Datapoints": [
                {"Timestamp": 1_704_067_260, "Sum": 3, "Unit": "Count",
                 "ExtendedStatistics": {"p99": 0.0001}},
                {"Timestamp": "2024-01-01T00:02:00.250Z", "Average": 1.5, "Minimum": null}]}),
        )
    }

    #[test]
    fn timestamps_are_tagged() {
        let bytes = get_metric_statistics_cbor();
        println!("GetMetricStatistics CBOR: {}", hex(&bytes));
        let v: Cbor = ciborium::from_reader(bytes.as_slice()).unwrap();
        let Cbor::Map(top) = v else { panic!("{v:?}") };
        let (_, Cbor::Array(points)) = &top[1] else { panic!("{top:?}") };
        let Cbor::Map(p0) = &points[0] else { panic!() };
        assert_eq!(
            p0[0],
            (
                Cbor::Text("Timestamp".into()),
                Cbor::Tag(1, Box::new(Cbor::Integer(1_704_067_260.into())))
            )
        );
        assert_eq!(p0[1], (Cbor::Text("Sum".into()), Cbor::Float(3.0)));
        let Cbor::Map(p1) = &points[1] else { panic!() };
        assert_eq!(
            p1[0],
            (Cbor::Text("Timestamp".into()), Cbor::Tag(1, Box::new(Cbor::Float(1_704_067_320.25))))
        );
        assert_eq!(p1.len(), 2, "Minimum is null: left out");
        // Tag 1 (0xc1) then the unsigned 1704067260 (0x1a 0x65 0x92 0x00 0xbc).
        assert!(hex(&bytes).contains("c11a659200bc"), "{}", hex(&bytes));
        // And the crate's decoder reads it back as epoch seconds.
        let back = crate::cbor::decode(&bytes).unwrap();
        assert_eq!(back["Datapoints"][1]["Timestamp"], json!(1_704_067_320.25));
        assert_eq!(back["Label"], json!("l"));
    }

    #[test]
    fn empty_and_missing_outputs() {
        let m = cloudwatch();
        assert!(m.output_to_cbor(m.operation("DeleteAlarms").unwrap(), &json!({})).is_empty());
        let op = m.operation("DescribeAlarms").unwrap();
        assert_eq!(m.output_to_cbor(op, &json!({})), vec![0xa0]);
        assert_eq!(m.output_to_cbor(op, &json!("not an object")), vec![0xa0]);
        let v = m.output_to_cbor(
            op,
            &json!({"MetricAlarms": [{"Period": 60.0, "ActionsEnabled": true,
                                                               "AlarmName": 7}]}),
        );
        let back = crate::cbor::decode(&v).unwrap();
        assert_eq!(back, json!({"MetricAlarms": [{"ActionsEnabled": true, "Period": 60}]}));
    }

    #[test]
    fn blobs_are_bytes() {
        let m = Model::parse(
            r#"{"operations": {"Op": {"output": {"shape": "Out"}}},
                "shapes": {"Out": {"type": "structure", "members": {"B": {"shape": "B"}}},
                           "B": {"type": "blob"}}}"#,
        )
        .unwrap();
        let bytes = m.output_to_cbor(m.operation("Op").unwrap(), &json!({"B": "aGk="}));
        // {"B": h'6869'}
        assert_eq!(bytes, vec![0xa1, 0x61, b'B', 0x42, b'h', b'i']);
    }
}
