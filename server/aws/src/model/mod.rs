//! Model-driven codecs: one service implementation that works on `serde_json` values, served
//! over AWS JSON 1.0, the query protocol and Smithy RPC v2 CBOR from a botocore service model
//! (`service-2.json`, e.g. CloudWatch's).
//!
//! The value a service sees is the one the JSON 1.0 protocol carries: members by their wire
//! name (`locationName`, else the member name), integers and doubles as JSON numbers, blobs as
//! base64 text, timestamps as epoch seconds (a JSON integer when whole, else a float).
//!
//! | direction | JSON 1.0 | query | RPC v2 CBOR |
//! |---|---|---|---|
//! | in | [`Model::normalize_input`] | [`Model::input_from_query`] | [`crate::cbor::decode`], then [`Model::normalize_input`] |
//! | out | [`Model::output_to_json`] | [`Model::output_to_xml`] | [`Model::output_to_cbor`] |
//!
//! Inputs are checked against the model as they are decoded: a value that does not parse for
//! its type is `InvalidParameterValue`, a missing `required` member `MissingParameter` (both
//! naming the parameter); members the model does not know are ignored, as AWS does. Outputs
//! write the modeled members only (nulls left out), in the model's XML order. Every walk is
//! bounded by [`NESTING_MAX`].
//!
//! Errors: [`Model::error`] finds a modeled error by its query code or shape name. For an
//! `awsQueryCompatible` service (CloudWatch) botocore reads JSON and CBOR errors as AWS sends
//! them: `__type` the shape (`…#InvalidParameterValueException`) and the header
//! `x-amzn-query-error: InvalidParameterValue;Sender`, whose code becomes the error's `Code`
//! (the shape name its `QueryErrorCode`).
//!
//! Supported shape types: structure (and union), list, map, string, enum, integer, long,
//! double, float, boolean, timestamp, blob. `timestampFormat` traits are not read: the query
//! protocol takes ISO 8601 (or epoch seconds) and answers ISO 8601, JSON carries epoch seconds
//! and CBOR tag 1.

mod cbor_out;
mod json;
mod parse;
mod query_in;
mod time;
mod xml_out;

use crate::{AwsError, Fault};
use std::collections::BTreeMap;

/// Deepest nesting of shapes any walk follows (CloudWatch's deepest operation is 11).
pub const NESTING_MAX: usize = 32;
/// Most members a list or map of a query form may have.
pub const QUERY_LIST_MAX: usize = crate::query::FORM_FIELDS_MAX;

/// A botocore service model: operations and the shapes they use.
#[derive(Debug, Clone)]
pub struct Model {
    metadata: Metadata,
    operations: BTreeMap<String, Operation>,
    shapes: BTreeMap<String, Shape>,
}

/// The model's `metadata` this crate uses.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Metadata {
    /// `apiVersion` (the query protocol's `Version`).
    pub api_version: String,
    /// `targetPrefix` (JSON 1.0's `X-Amz-Target` prefix, RPC v2 CBOR's service path).
    pub target_prefix: Option<String>,
    /// `xmlNamespace` of query-protocol answers.
    pub xml_namespace: Option<String>,
    /// `awsQueryCompatible`: JSON and CBOR errors also name the query error code
    /// (`x-amzn-query-error: <Code>;<Sender|Receiver>`).
    pub query_compatible: bool,
}

/// One operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation {
    /// Its name (`GetMetricStatistics`).
    pub name: String,
    /// The input shape, if it takes one.
    pub input: Option<String>,
    /// The output shape, if it answers one.
    pub output: Option<String>,
    /// The query protocol's element around the output (`GetMetricStatisticsResult`).
    pub result_wrapper: Option<String>,
    /// The error shapes it may answer.
    pub errors: Vec<String>,
}

/// A modeled error: what an `exception` structure's `error` trait says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorShape {
    /// The shape's name (`InvalidParameterValueException`): JSON's and CBOR's `__type`.
    pub name: String,
    /// The query protocol's code (`InvalidParameterValue`), the shape name if none is given.
    pub code: String,
    /// The HTTP status.
    pub status: u16,
    /// Whose fault it is.
    pub fault: Fault,
}

/// A shape and what it is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Shape {
    pub(crate) kind: Kind,
    pub(crate) error: Option<ErrorShape>,
}

/// The types of shape.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Kind {
    /// Members in XML order, and the member names that are required.
    Structure {
        members: Vec<Member>,
        required: Vec<String>,
    },
    List {
        member: Member,
        flattened: bool,
    },
    Map {
        key: Member,
        value: Member,
        flattened: bool,
    },
    String,
    Integer,
    Long,
    Float,
    Double,
    Boolean,
    Timestamp,
    Blob,
}

/// A reference to a shape: a structure's member, a list's member, a map's key or value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Member {
    /// The member name (empty for list members, map keys and values).
    pub(crate) name: String,
    pub(crate) shape: String,
    pub(crate) location_name: Option<String>,
    pub(crate) xml_namespace: Option<String>,
}

impl Member {
    /// The name on the wire: `locationName`, else the member name.
    pub(crate) fn wire_name(&self) -> &str {
        self.location_name.as_deref().unwrap_or(&self.name)
    }
}

impl Model {
    /// Loads a botocore `service-2.json` text. Every shape an operation or member names must
    /// be in it; documentation and unknown keys are ignored.
    pub fn parse(text: &str) -> Result<Model, String> {
        parse::parse(text)
    }

    /// The model's metadata.
    pub fn metadata(&self) -> &Metadata {
        &self.metadata
    }

    /// An operation by name.
    pub fn operation(&self, name: &str) -> Option<&Operation> {
        self.operations.get(name)
    }

    /// A modeled error by its query code (`InvalidParameterValue`) or shape name
    /// (`InvalidParameterValueException`).
    pub fn error(&self, code: &str) -> Option<&ErrorShape> {
        if let Some(e) = self.shapes.get(code).and_then(|s| s.error.as_ref()) {
            return Some(e);
        }
        self.shapes.values().filter_map(|s| s.error.as_ref()).find(|e| e.code == code)
    }

    pub(crate) fn shape(&self, name: &str) -> Option<&Shape> {
        self.shapes.get(name)
    }
}

/// `InvalidParameterValue` naming the parameter at `path`.
pub(crate) fn invalid(path: &str, why: impl std::fmt::Display) -> AwsError {
    AwsError::sender("InvalidParameterValue", format!("Invalid value for parameter {path}: {why}"))
}

/// A value quoted for a message, cut to 64 characters.
pub(crate) fn shown(text: &str) -> String {
    match text.char_indices().nth(64) {
        Some((cut, _)) => format!("'{}…'", text.get(..cut).unwrap_or_default()),
        None => format!("'{text}'"),
    }
}

/// `MissingParameter` naming the parameter at `path`.
pub(crate) fn missing(path: &str) -> AwsError {
    AwsError::sender("MissingParameter", format!("The parameter {path} is required."))
}

/// Refuses a walk deeper than [`NESTING_MAX`].
pub(crate) fn check_depth(depth: usize, path: &str) -> Result<(), AwsError> {
    if depth > NESTING_MAX {
        return Err(invalid(path, format!("nested deeper than {NESTING_MAX} levels")));
    }
    Ok(())
}

/// `parent.child`, or `child` at the top.
pub(crate) fn join(parent: &str, child: &str) -> String {
    if parent.is_empty() {
        child.to_string()
    } else {
        format!("{parent}.{child}")
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The CloudWatch model the server embeds.
    pub(crate) fn cloudwatch() -> Model {
        Model::parse(include_str!("../../../src/cloudwatch/model.json")).unwrap()
    }

    #[test]
    fn cloudwatch_model_loads() {
        let m = cloudwatch();
        assert_eq!(
            m.metadata(),
            &Metadata {
                api_version: "2010-08-01".into(),
                target_prefix: Some("GraniteServiceVersion20100801".into()),
                xml_namespace: Some("http://monitoring.amazonaws.com/doc/2010-08-01/".into()),
                query_compatible: true,
            }
        );
        let op = m.operation("GetMetricStatistics").unwrap();
        assert_eq!(op.input.as_deref(), Some("GetMetricStatisticsInput"));
        assert_eq!(op.output.as_deref(), Some("GetMetricStatisticsOutput"));
        assert_eq!(op.result_wrapper.as_deref(), Some("GetMetricStatisticsResult"));
        assert!(op.errors.contains(&"InvalidParameterValueException".to_string()));
        let op = m.operation("DeleteAlarms").unwrap();
        assert_eq!((op.output.as_deref(), op.result_wrapper.as_deref()), (None, None));
        assert!(m.operation("PutDashboard").is_none(), "trimmed away");
    }

    #[test]
    fn errors_by_code_or_name() {
        let m = cloudwatch();
        let e = m.error("InvalidParameterValue").unwrap();
        assert_eq!(e.name, "InvalidParameterValueException");
        assert_eq!((e.status, e.fault), (400, Fault::Sender));
        assert_eq!(m.error("InvalidParameterValueException"), Some(e));
        let e = m.error("InternalServiceError").unwrap();
        assert_eq!(
            (e.name.as_str(), e.status, e.fault),
            ("InternalServiceFault", 500, Fault::Receiver)
        );
        assert_eq!(m.error("ResourceNotFound").unwrap().status, 404);
        assert!(m.error("Datapoint").is_none(), "not an error shape");
        assert!(m.error("Nope").is_none());
    }

    #[test]
    fn members_in_xml_order() {
        let m = cloudwatch();
        let Some(Shape { kind: Kind::Structure { members, required }, .. }) =
            m.shape("MetricAlarm")
        else {
            panic!("MetricAlarm is a structure")
        };
        let names: Vec<&str> = members.iter().map(|m| m.name.as_str()).collect();
        // xmlOrder puts Dimensions before ExtendedStatistic, unlike the members map.
        let pos = |n: &str| names.iter().position(|x| *x == n).unwrap();
        assert!(pos("Dimensions") < pos("ExtendedStatistic"));
        assert_eq!(names.first(), Some(&"AlarmName"));
        assert!(required.is_empty());
    }
}
