//! Query-protocol input: a flattened form (`Dimensions.member.1.Name=TableName`,
//! `StartTime=2024-01-01T00:00:00Z`) decoded into the JSON value the JSON 1.0 protocol would
//! carry, walking the operation's input shape.
//!
//! The form names are botocore's: a structure member is `<parent>.<Name>`, a list member
//! `<list>.member.<n>` (`<list>.<n>` when flattened; `member` is the list member's
//! `locationName` when it has one), a map entry `<map>.entry.<n>.key` and `.value`. Numbering
//! starts at 1 and stops at the first gap; an empty field (`Dimensions=`) is an empty list.
//! Fields the model does not name (and `Action`, `Version`) are ignored.

use super::time::Epoch;
use super::{check_depth, invalid, join, missing, shown, Kind, Model, Operation, QUERY_LIST_MAX};
use crate::query::Form;
use crate::AwsError;
use serde_json::{Map, Number, Value as Json};

impl Model {
    /// Decodes a query-protocol form into `op`'s input as a JSON 1.0 value. A value that does
    /// not parse for its type is `InvalidParameterValue`, a missing required member
    /// `MissingParameter`, each naming the form field.
    pub fn input_from_query(&self, op: &Operation, form: &Form) -> Result<Json, AwsError> {
        let Some(input) = &op.input else {
            return Ok(Json::Object(Map::new()));
        };
        let walk = Walk { model: self, form };
        Ok(walk.value(input, "", 0)?.unwrap_or_else(|| Json::Object(Map::new())))
    }
}

struct Walk<'a> {
    model: &'a Model,
    form: &'a Form,
}

impl Walk<'_> {
    /// The value of shape `shape` at form name `key` ("" for the input itself), if the form
    /// has it.
    fn value(&self, shape: &str, key: &str, depth: usize) -> Result<Option<Json>, AwsError> {
        check_depth(depth, key)?;
        let Some(shape) = self.model.shape(shape) else {
            return Ok(None);
        };
        match &shape.kind {
            Kind::Structure { members, required } => {
                if !key.is_empty() && !self.form.has_under(key) {
                    return Ok(None);
                }
                let mut out = Map::new();
                for m in members {
                    let name = m.wire_name();
                    if let Some(v) = self.value(&m.shape, &join(key, name), depth + 1)? {
                        out.insert(name.to_string(), v);
                    }
                }
                for m in members.iter().filter(|m| required.contains(&m.name)) {
                    if !out.contains_key(m.wire_name()) {
                        return Err(missing(&join(key, m.wire_name())));
                    }
                }
                Ok(Some(Json::Object(out)))
            }
            Kind::List { member, flattened } => {
                let base = match (flattened, &member.location_name) {
                    (false, name) => join(key, name.as_deref().unwrap_or("member")),
                    (true, None) => key.to_string(),
                    (true, Some(name)) => match key.rsplit_once('.') {
                        Some((parent, _)) => join(parent, name),
                        None => name.clone(),
                    },
                };
                let mut items = Vec::new();
                while let Some(v) =
                    self.value(&member.shape, &format!("{base}.{}", items.len() + 1), depth + 1)?
                {
                    if items.len() >= QUERY_LIST_MAX {
                        return Err(invalid(key, format!("more than {QUERY_LIST_MAX} members")));
                    }
                    items.push(v);
                }
                Ok(self.collection(key, !items.is_empty()).then_some(Json::Array(items)))
            }
            Kind::Map { key: k, value: v, flattened } => {
                let base = if *flattened { key.to_string() } else { join(key, "entry") };
                let (k_name, v_name) = (
                    k.location_name.as_deref().unwrap_or("key"),
                    v.location_name.as_deref().unwrap_or("value"),
                );
                let mut out = Map::new();
                for n in 1.. {
                    let entry = format!("{base}.{n}");
                    let (k_key, v_key) = (join(&entry, k_name), join(&entry, v_name));
                    let found = (
                        self.value(&k.shape, &k_key, depth + 1)?,
                        self.value(&v.shape, &v_key, depth + 1)?,
                    );
                    match found {
                        (None, None) => break,
                        (Some(Json::String(name)), Some(value)) => {
                            if n > QUERY_LIST_MAX {
                                return Err(invalid(
                                    key,
                                    format!("more than {QUERY_LIST_MAX} entries"),
                                ));
                            }
                            out.insert(name, value);
                        }
                        (Some(_), Some(_)) => {
                            return Err(invalid(&k_key, "a map key must be a string"))
                        }
                        (None, Some(_)) => return Err(missing(&k_key)),
                        (Some(_), None) => return Err(missing(&v_key)),
                    }
                }
                Ok(self.collection(key, !out.is_empty()).then_some(Json::Object(out)))
            }
            kind => self.form.get(key).map(|text| scalar(kind, key, text)).transpose(),
        }
    }

    /// Whether a list or map is present: it has members, or an empty field names it.
    fn collection(&self, key: &str, has_members: bool) -> bool {
        has_members || self.form.get(key) == Some("")
    }
}

/// A scalar's text as its JSON value.
fn scalar(kind: &Kind, key: &str, text: &str) -> Result<Json, AwsError> {
    let bad = |what: &str| invalid(key, format!("{} is not {what}", shown(text)));
    Ok(match kind {
        Kind::Integer => Json::from(text.parse::<i32>().map_err(|_| bad("an integer"))?),
        Kind::Long => Json::from(text.parse::<i64>().map_err(|_| bad("an integer"))?),
        Kind::Float | Kind::Double => text
            .parse::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .map(Json::Number)
            .ok_or_else(|| bad("a finite number"))?,
        Kind::Boolean => match text {
            t if t.eq_ignore_ascii_case("true") => Json::Bool(true),
            t if t.eq_ignore_ascii_case("false") => Json::Bool(false),
            _ => return Err(bad("true or false")),
        },
        Kind::Timestamp => Epoch::parse(text)
            .map(Epoch::to_json)
            .ok_or_else(|| bad("an ISO 8601 timestamp or epoch seconds"))?,
        Kind::Blob => {
            use base64::Engine as _;
            base64::engine::general_purpose::STANDARD.decode(text).map_err(|_| bad("base64"))?;
            Json::String(text.to_string())
        }
        _ => Json::String(text.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::tests::cloudwatch;
    use serde_json::json;

    fn decode(m: &Model, op: &str, body: &str) -> Result<Json, AwsError> {
        m.input_from_query(m.operation(op).unwrap(), &Form::parse(body.as_bytes()).unwrap())
    }

    #[test]
    fn get_metric_statistics() {
        // As botocore 1.43 serializes it.
        let body = "Action=GetMetricStatistics&Version=2010-08-01&Namespace=AWS%2FDynamoDB\
            &MetricName=ConsumedReadCapacityUnits&Dimensions.member.1.Name=TableName\
            &Dimensions.member.1.Value=t1&Dimensions.member.2.Name=Op&Dimensions.member.2.Value=a+b\
            &StartTime=2024-01-01T00%3A00%3A00Z&EndTime=2024-01-01T01%3A00%3A00.500000Z\
            &Period=60&Statistics.member.1=Sum&Statistics.member.2=Average\
            &ExtendedStatistics.member.1=p99&Unit=Count&Unknown=1";
        assert_eq!(
            decode(&cloudwatch(), "GetMetricStatistics", body).unwrap(),
            json!({
                "Namespace": "AWS/DynamoDB", "MetricName": "ConsumedReadCapacityUnits",
                "Dimensions": [{"Name": "TableName", "Value": "t1"}, {"Name": "Op", "Value": "a b"}],
                "StartTime": 1_704_067_200, "EndTime": 1_704_070_800.5, "Period": 60,
                "Statistics": ["Sum", "Average"], "ExtendedStatistics": ["p99"], "Unit": "Count"
            })
        );
    }

    #[test]
    fn put_metric_data_with_nested_lists_maps_and_timestamps() {
        let body = "Action=PutMetricData&Version=2010-08-01&Namespace=app\
            &MetricData.member.1.MetricName=Latency&MetricData.member.1.Dimensions.member.1.Name=Host\
            &MetricData.member.1.Dimensions.member.1.Value=h1&MetricData.member.1.Timestamp=1704067200\
            &MetricData.member.1.Values.member.1=1.5&MetricData.member.1.Values.member.2=2\
            &MetricData.member.1.Counts.member.1=3&MetricData.member.1.Counts.member.2=1\
            &MetricData.member.1.Unit=Milliseconds&MetricData.member.1.StorageResolution=1\
            &MetricData.member.2.MetricName=Errors&MetricData.member.2.Dimensions=\
            &MetricData.member.2.StatisticValues.SampleCount=4&MetricData.member.2.StatisticValues.Sum=10\
            &MetricData.member.2.StatisticValues.Minimum=1&MetricData.member.2.StatisticValues.Maximum=5\
            &MetricData.member.2.Timestamp=2024-01-01T00%3A00%3A30.25%2B00%3A00\
            &MetricData.member.4.MetricName=AfterAGap\
            &EntityMetricData.member.1.Entity.KeyAttributes.entry.1.key=Type\
            &EntityMetricData.member.1.Entity.KeyAttributes.entry.1.value=Service\
            &EntityMetricData.member.1.Entity.KeyAttributes.entry.2.key=Name\
            &EntityMetricData.member.1.Entity.KeyAttributes.entry.2.value=api\
            &EntityMetricData.member.1.MetricData.member.1.MetricName=M\
            &EntityMetricData.member.1.MetricData.member.1.Value=0.0001\
            &StrictEntityValidation=true";
        assert_eq!(
            decode(&cloudwatch(), "PutMetricData", body).unwrap(),
            json!({
                "Namespace": "app",
                "MetricData": [
                    {"MetricName": "Latency", "Dimensions": [{"Name": "Host", "Value": "h1"}],
                     "Timestamp": 1_704_067_200, "Values": [1.5, 2.0], "Counts": [3.0, 1.0],
                     "Unit": "Milliseconds", "StorageResolution": 1},
                    {"MetricName": "Errors", "Dimensions": [], "Timestamp": 1_704_067_230.25,
                     "StatisticValues": {"SampleCount": 4.0, "Sum": 10.0, "Minimum": 1.0,
                                         "Maximum": 5.0}}
                ],
                "EntityMetricData": [{
                    "Entity": {"KeyAttributes": {"Type": "Service", "Name": "api"}},
                    "MetricData": [{"MetricName": "M", "Value": 0.0001}]
                }],
                "StrictEntityValidation": true
            })
        );
    }

    #[test]
    fn bad_values_name_the_parameter() {
        let m = cloudwatch();
        let base = "Namespace=n&MetricName=m&StartTime=2024-01-01T00:00:00Z\
                    &EndTime=2024-01-01T01:00:00Z&Period=60";
        let err = |extra: &str| {
            decode(&m, "GetMetricStatistics", &format!("{base}&{extra}")).unwrap_err()
        };
        let e = err("Period=sixty");
        assert_eq!((e.code.as_ref(), e.status), ("InvalidParameterValue", 400));
        assert_eq!(e.message, "Invalid value for parameter Period: 'sixty' is not an integer");
        assert!(err("Period=4294967296").message.contains("Period"), "past i32");
        assert!(err("StartTime=yesterday")
            .message
            .contains("StartTime: 'yesterday' is not an ISO"));
        let e = err("Dimensions.member.1.Name=a");
        assert_eq!(e.code, "MissingParameter");
        assert_eq!(e.message, "The parameter Dimensions.member.1.Value is required.");
        let long = "x".repeat(100);
        let e = err(&format!("Period={long}"));
        assert!(e.message.contains(&format!("'{}…'", "x".repeat(64))), "cut: {}", e.message);
        let e = decode(
            &m,
            "PutMetricData",
            "Namespace=n&MetricData.member.1.MetricName=a\
                                             &MetricData.member.1.Value=NaN",
        )
        .unwrap_err();
        assert!(e.message.contains("MetricData.member.1.Value: 'NaN' is not a finite number"));
        let e = decode(&m, "PutMetricData", "Namespace=n&StrictEntityValidation=yes").unwrap_err();
        assert!(e.message.contains("StrictEntityValidation"));
        let e = decode(&m, "PutMetricData", "MetricData.member.1.MetricName=a").unwrap_err();
        assert_eq!(e.message, "The parameter Namespace is required.");
        let e = decode(
            &m,
            "PutMetricData",
            "Namespace=n&EntityMetricData.member.1.Entity.KeyAttributes.entry.1.key=k",
        )
        .unwrap_err();
        assert_eq!(
            e.message,
            "The parameter EntityMetricData.member.1.Entity.KeyAttributes.entry.1.value is required."
        );
    }

    #[test]
    fn operations_without_members_and_empty_forms() {
        let m = cloudwatch();
        assert_eq!(decode(&m, "DescribeAlarms", "Action=DescribeAlarms").unwrap(), json!({}));
        assert_eq!(
            decode(&m, "DeleteAlarms", "AlarmNames.member.1=a&AlarmNames.member.2=b").unwrap(),
            json!({"AlarmNames": ["a", "b"]})
        );
    }

    /// A model whose shape contains itself, with a flattened list and a named map.
    fn recursive() -> Model {
        Model::parse(
            r#"{"operations": {"Op": {"input": {"shape": "Node"}}},
                "shapes": {
                  "Node": {"type": "structure", "members": {
                     "Next": {"shape": "Node"}, "V": {"shape": "S"},
                     "Items": {"shape": "Flat", "locationName": "Item"},
                     "Tags": {"shape": "Tags"}, "Data": {"shape": "B"}}},
                  "Flat": {"type": "list", "member": {"shape": "S", "locationName": "Thing"},
                           "flattened": true},
                  "Tags": {"type": "map", "key": {"shape": "S", "locationName": "K"},
                           "value": {"shape": "S", "locationName": "V"}},
                  "B": {"type": "blob"},
                  "S": {"type": "string"}}}"#,
        )
        .unwrap()
    }

    #[test]
    fn flattened_lists_named_maps_and_blobs() {
        let m = recursive();
        assert_eq!(
            decode(&m, "Op", "Thing.1=a&Thing.2=b&Tags.entry.1.K=k&Tags.entry.1.V=v&Data=aGk%3D")
                .unwrap(),
            json!({"Item": ["a", "b"], "Tags": {"k": "v"}, "Data": "aGk="})
        );
        assert!(decode(&m, "Op", "Data=%%%").unwrap_err().message.contains("Data"));
    }

    #[test]
    fn depth_is_bounded() {
        let m = recursive();
        let ok = format!("{}V=x", "Next.".repeat(5));
        let v = decode(&m, "Op", &ok).unwrap();
        assert_eq!(v.pointer("/Next/Next/Next/Next/Next/V"), Some(&json!("x")));
        let deep = format!("{}V=x", "Next.".repeat(crate::model::NESTING_MAX + 1));
        let e = decode(&m, "Op", &deep).unwrap_err();
        assert_eq!(e.code, "InvalidParameterValue");
        assert!(e.message.contains("nested deeper than"), "{}", e.message);
    }
}
