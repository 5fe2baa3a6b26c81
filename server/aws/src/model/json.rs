//! JSON values in and out: the input of AWS JSON 1.0 and (once [`crate::cbor::decode`]d)
//! RPC v2 CBOR normalised to what [`Model::input_from_query`] gives, and the output of JSON 1.0
//! written from the modeled members.
//!
//! JSON 1.0 clients send timestamps as epoch seconds; the CBOR decoder turns tag-1 timestamps
//! into their number; some clients send ISO 8601 text. All become epoch seconds.

use super::time::Epoch;
use super::{check_depth, invalid, join, missing, Kind, Model, Operation, NESTING_MAX};
use crate::AwsError;
use serde_json::{Map, Number, Value as Json};

impl Model {
    /// `op`'s input from a JSON 1.0 or CBOR body: timestamps (epoch seconds or ISO 8601 text)
    /// become epoch seconds, required members are checked; everything else is kept as given.
    /// A null body is an empty input; a body that is not an object is a
    /// `SerializationException`.
    pub fn normalize_input(&self, op: &Operation, value: Json) -> Result<Json, AwsError> {
        let Some(input) = &op.input else {
            return Ok(value);
        };
        let mut value = if value.is_null() { Json::Object(Map::new()) } else { value };
        if !value.is_object() {
            return Err(AwsError::serialization("the input is not an object"));
        }
        normalize(self, input, &mut value, "", 0)?;
        Ok(value)
    }

    /// `op`'s output for JSON 1.0: the modeled members of `value` (nulls and values whose type
    /// does not fit left out), timestamps as epoch seconds, doubles as floats. `{}` for an
    /// operation without output.
    pub fn output_to_json(&self, op: &Operation, value: &Json) -> Json {
        op.output
            .as_ref()
            .and_then(|output| output_value(self, output, value, 0))
            .filter(Json::is_object)
            .unwrap_or_else(|| Json::Object(Map::new()))
    }
}

fn normalize(
    model: &Model,
    shape: &str,
    v: &mut Json,
    path: &str,
    depth: usize,
) -> Result<(), AwsError> {
    check_depth(depth, path)?;
    let Some(shape) = model.shape(shape) else {
        return Ok(());
    };
    match (&shape.kind, v) {
        (_, Json::Null) => {}
        (Kind::Structure { members, required }, Json::Object(m)) => {
            for member in members {
                let name = member.wire_name();
                if let Some(x) = m.get_mut(name) {
                    normalize(model, &member.shape, x, &join(path, name), depth + 1)?;
                }
                let absent = m.get(name).is_none_or(Json::is_null);
                if absent && required.contains(&member.name) {
                    return Err(missing(&join(path, name)));
                }
            }
        }
        (Kind::List { member, .. }, Json::Array(items)) => {
            for (i, x) in items.iter_mut().enumerate() {
                normalize(model, &member.shape, x, &format!("{path}[{i}]"), depth + 1)?;
            }
        }
        (Kind::Map { value, .. }, Json::Object(m)) => {
            for (k, x) in m.iter_mut() {
                normalize(model, &value.shape, x, &join(path, k), depth + 1)?;
            }
        }
        (Kind::Timestamp, v) => {
            let t = Epoch::from_json(v)
                .ok_or_else(|| invalid(path, "not a timestamp (epoch seconds or ISO 8601 text)"))?;
            *v = t.to_json();
        }
        _ => {}
    }
    Ok(())
}

/// The JSON output of `v` as shape `shape`; `None` to leave it out.
fn output_value(model: &Model, shape: &str, v: &Json, depth: usize) -> Option<Json> {
    if depth > NESTING_MAX {
        return None;
    }
    let kind = &model.shape(shape)?.kind;
    Some(match (kind, v) {
        (_, Json::Null) => return None,
        (Kind::Structure { members, .. }, Json::Object(m)) => {
            let mut out = Map::new();
            for member in members {
                let name = member.wire_name();
                if let Some(x) =
                    m.get(name).and_then(|x| output_value(model, &member.shape, x, depth + 1))
                {
                    out.insert(name.to_string(), x);
                }
            }
            Json::Object(out)
        }
        (Kind::List { member, .. }, Json::Array(items)) => Json::Array(
            items
                .iter()
                .map(|x| output_value(model, &member.shape, x, depth + 1).unwrap_or(Json::Null))
                .collect(),
        ),
        (Kind::Map { value, .. }, Json::Object(m)) => Json::Object(
            m.iter()
                .filter_map(|(k, x)| {
                    Some((k.clone(), output_value(model, &value.shape, x, depth + 1)?))
                })
                .collect(),
        ),
        (Kind::Timestamp, v) => Epoch::from_json(v)?.to_json(),
        (Kind::Double | Kind::Float, Json::Number(n)) => {
            Json::Number(Number::from_f64(n.as_f64()?)?)
        }
        (Kind::Integer | Kind::Long, Json::Number(n)) => integer(n)?,
        (Kind::Boolean, Json::Bool(_)) | (Kind::String | Kind::Blob, Json::String(_)) => v.clone(),
        _ => return None,
    })
}

/// An integer member's number: an integer, or a float with no fraction.
pub(super) fn integer(n: &Number) -> Option<Json> {
    if n.is_i64() || n.is_u64() {
        return Some(Json::Number(n.clone()));
    }
    let f = n.as_f64()?;
    (f.fract() == 0.0 && f.abs() < 9.0e15).then(|| Json::from(f as i64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::tests::cloudwatch;
    use serde_json::json;

    #[test]
    fn timestamps_become_epoch_seconds() {
        let m = cloudwatch();
        let op = m.operation("GetMetricStatistics").unwrap();
        let v = m
            .normalize_input(
                op,
                json!({"Namespace": "n", "MetricName": "m", "Period": 60,
                       "StartTime": "2024-01-01T00:00:00Z", "EndTime": 1_704_070_800.5,
                       "Dimensions": [{"Name": "a", "Value": "b"}], "Extra": "kept"}),
            )
            .unwrap();
        assert_eq!(
            v,
            json!({"Namespace": "n", "MetricName": "m", "Period": 60, "StartTime": 1_704_067_200,
                   "EndTime": 1_704_070_800.5, "Dimensions": [{"Name": "a", "Value": "b"}],
                   "Extra": "kept"})
        );
        let op = m.operation("PutMetricData").unwrap();
        let v = m
            .normalize_input(
                op,
                json!({"Namespace": "n", "MetricData": [
                    {"MetricName": "a", "Timestamp": 1_704_067_200},
                    {"MetricName": "b", "Timestamp": "2024-01-01T00:00:01.250+00:00"}]}),
            )
            .unwrap();
        assert_eq!(v["MetricData"][1]["Timestamp"], json!(1_704_067_201.25));
        assert_eq!(v["MetricData"][0]["Timestamp"], json!(1_704_067_200));
    }

    #[test]
    fn refusals_name_the_member() {
        let m = cloudwatch();
        let op = m.operation("PutMetricData").unwrap();
        let e = m
            .normalize_input(
                op,
                json!({"Namespace": "n", "MetricData": [{"MetricName": "a"},
                                                        {"MetricName": "b", "Timestamp": "soon"}]}),
            )
            .unwrap_err();
        assert_eq!(e.code, "InvalidParameterValue");
        assert!(e.message.contains("MetricData[1].Timestamp"), "{}", e.message);
        let e = m.normalize_input(op, json!({"MetricData": []})).unwrap_err();
        assert_eq!(
            (e.code.as_ref(), e.message.as_str()),
            ("MissingParameter", "The parameter Namespace is required.")
        );
        let e = m.normalize_input(op, json!({"Namespace": null})).unwrap_err();
        assert_eq!(e.code, "MissingParameter");
        let e = m.normalize_input(op, json!([1])).unwrap_err();
        assert_eq!(e.code, "SerializationException");
        let op = m.operation("DescribeAlarms").unwrap();
        assert_eq!(m.normalize_input(op, Json::Null).unwrap(), json!({}));
    }

    #[test]
    fn json_output() {
        let m = cloudwatch();
        let op = m.operation("GetMetricStatistics").unwrap();
        let out = m.output_to_json(
            op,
            &json!({"Label": "l", "Datapoints": [
                {"Timestamp": "2024-01-01T00:01:00Z", "Sum": 3, "Unit": "Count", "Junk": 1},
                {"Timestamp": 1_704_067_320.5, "SampleCount": 2.0, "Average": null}],
                "Unmodeled": true}),
        );
        assert_eq!(
            out,
            json!({"Label": "l", "Datapoints": [
                {"Timestamp": 1_704_067_260, "Sum": 3.0, "Unit": "Count"},
                {"Timestamp": 1_704_067_320.5, "SampleCount": 2.0}]})
        );
        assert_eq!(out.to_string().matches("3.0").count(), 1, "doubles as floats: {out}");
        let op = m.operation("DeleteAlarms").unwrap();
        assert_eq!(m.output_to_json(op, &json!({"x": 1})), json!({}));
        let op = m.operation("DescribeAlarms").unwrap();
        let out = m.output_to_json(
            op,
            &json!({"MetricAlarms": [{"Period": 60.0, "Threshold": 1,
                                                                 "EvaluationPeriods": 1.5}]}),
        );
        assert_eq!(out, json!({"MetricAlarms": [{"Period": 60, "Threshold": 1.0}]}));
    }
}
