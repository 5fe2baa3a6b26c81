//! [`AwsError`]: one error type for every service on the endpoint, rendered in the error form of
//! the protocol the request came in:
//!
//! AWS JSON 1.0 (HTTP status of the error, `Content-Type: application/x-amz-json-1.0`):
//! ```text
//! {"__type": "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException",
//!  "message": "Requested resource not found"}
//! ```
//! The query protocol (`Content-Type: text/xml`):
//! ```text
//! <ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
//!   <Error><Type>Sender</Type><Code>NoSuchEntity</Code><Message>…</Message></Error>
//!   <RequestId>…</RequestId>
//! </ErrorResponse>
//! ```
//! Smithy RPC v2 CBOR (`Content-Type: application/cbor`, `smithy-protocol: rpc-v2-cbor`): a CBOR
//! map `{"__type": "<namespace>#<Code>", "message": "…"}`.
//!
//! An error may carry more fields (DynamoDB's `Item` of a failed condition, the
//! `CancellationReasons` of a cancelled transaction): JSON 1.0 and CBOR put them beside
//! `message`; the query protocol has no place for them.

use crate::protocol::{Wire, CBOR_CONTENT_TYPE, JSON_1_0_CONTENT_TYPE, XML_CONTENT_TYPE};
use crate::response::Reply;
use serde_json::{Map, Value as Json};
use std::borrow::Cow;

/// The Smithy namespace of the protocol errors AWS's JSON services share.
pub const CORAL_SERVICE: &str = "com.amazon.coral.service";
/// The Smithy namespace of validation errors.
pub const CORAL_VALIDATE: &str = "com.amazon.coral.validate";

/// Whose fault an error is: the query protocol's `<Type>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The request is wrong (HTTP 4xx).
    Sender,
    /// The server failed (HTTP 5xx).
    Receiver,
}

/// A request's failure, as every protocol can render it.
#[derive(Debug, Clone, PartialEq)]
pub struct AwsError {
    /// The error code (`ValidationException`, `NoSuchEntity`).
    pub code: Cow<'static, str>,
    /// The Smithy namespace JSON and CBOR put before `#` in `__type` (none: the bare code).
    pub namespace: Option<Cow<'static, str>>,
    /// Whose fault it is.
    pub fault: Fault,
    /// The HTTP status.
    pub status: u16,
    /// The message (omitted from JSON and CBOR when empty).
    pub message: String,
    /// More fields, beside `message` in JSON and CBOR.
    pub extra: Map<String, Json>,
    /// More response headers (CloudWatch's `x-amzn-query-error` in JSON and CBOR); boxed, as
    /// few errors have any.
    pub headers: Option<Box<Vec<(&'static str, String)>>>,
}

impl AwsError {
    /// A sender's error (HTTP 400 unless changed with [`AwsError::with_status`]).
    pub fn sender(code: impl Into<Cow<'static, str>>, message: impl Into<String>) -> AwsError {
        AwsError {
            code: code.into(),
            namespace: None,
            fault: Fault::Sender,
            status: 400,
            message: message.into(),
            extra: Map::new(),
            headers: None,
        }
    }

    /// The server's error (HTTP 500).
    pub fn receiver(code: impl Into<Cow<'static, str>>, message: impl Into<String>) -> AwsError {
        AwsError { fault: Fault::Receiver, status: 500, ..AwsError::sender(code, message) }
    }

    /// With the Smithy namespace of `__type`.
    pub fn in_namespace(mut self, namespace: impl Into<Cow<'static, str>>) -> AwsError {
        self.namespace = Some(namespace.into());
        self
    }

    /// With another HTTP status.
    pub fn with_status(mut self, status: u16) -> AwsError {
        self.status = status;
        self
    }

    /// With one more response header.
    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> AwsError {
        self.headers.get_or_insert_with(Box::default).push((name, value.into()));
        self
    }

    /// With one more field.
    pub fn with_field(mut self, name: &str, value: Json) -> AwsError {
        self.extra.insert(name.into(), value);
        self
    }

    /// `UnknownOperationException`: no operation of any service matches `what` (the target,
    /// action or path asked for, named in the message: DynamoDB's own answer has no message,
    /// which clients show as an unknown error).
    pub fn unknown_operation(what: &str) -> AwsError {
        AwsError::sender(
            "UnknownOperationException",
            format!("This endpoint does not serve the operation {what}"),
        )
        .in_namespace(CORAL_SERVICE)
    }

    /// `SerializationException`: the body is not what the operation takes.
    pub fn serialization(message: impl Into<String>) -> AwsError {
        AwsError::sender("SerializationException", message).in_namespace(CORAL_SERVICE)
    }

    /// `MissingAuthenticationTokenException`: no `Authorization` header.
    pub fn missing_authentication_token() -> AwsError {
        AwsError::sender(
            "MissingAuthenticationTokenException",
            "Request is missing Authentication Token",
        )
        .in_namespace(CORAL_SERVICE)
    }

    /// `IncompleteSignatureException`: an `Authorization` header that is not complete SigV4.
    pub fn incomplete_signature(message: impl Into<String>) -> AwsError {
        AwsError::sender("IncompleteSignatureException", message).in_namespace(CORAL_SERVICE)
    }

    /// `RequestEntityTooLarge` (HTTP 413): the body passes `body_bytes_max`.
    pub fn request_entity_too_large(body_bytes_max: usize) -> AwsError {
        AwsError::sender(
            "RequestEntityTooLarge",
            format!("Request body exceeds the limit of {body_bytes_max} bytes"),
        )
        .in_namespace(CORAL_SERVICE)
        .with_status(413)
    }

    /// `InternalFailure` (HTTP 500) of the wire layer itself.
    pub fn internal(message: impl Into<String>) -> AwsError {
        AwsError::receiver("InternalFailure", message)
    }

    /// `__type` of JSON and CBOR: `<namespace>#<code>`, or the bare code.
    pub fn type_name(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{ns}#{}", self.code),
            None => self.code.to_string(),
        }
    }

    /// The JSON 1.0 body (also the shape of the CBOR body).
    pub fn json_body(&self) -> Json {
        let mut m = Map::new();
        m.insert("__type".into(), Json::String(self.type_name()));
        if !self.message.is_empty() {
            m.insert("message".into(), Json::String(self.message.clone()));
        }
        for (k, v) in &self.extra {
            m.insert(k.clone(), v.clone());
        }
        Json::Object(m)
    }

    /// The query protocol's XML body.
    pub fn xml_body(&self, xmlns: &str, request_id: &str) -> String {
        let mut w = crate::query::XmlWriter::new();
        w.open_ns("ErrorResponse", xmlns);
        w.open("Error");
        w.leaf("Type", if self.fault == Fault::Sender { "Sender" } else { "Receiver" });
        w.leaf("Code", &self.code);
        w.leaf("Message", &self.message);
        w.close("Error");
        w.leaf("RequestId", request_id);
        w.close("ErrorResponse");
        w.finish()
    }

    /// The answer to send, in `wire`'s error form.
    pub fn reply(&self, wire: Wire, request_id: &str) -> Reply {
        let mut reply = self.body_reply(wire, request_id);
        if let Some(h) = &self.headers {
            reply.headers.extend(h.iter().cloned());
        }
        reply
    }

    fn body_reply(&self, wire: Wire, request_id: &str) -> Reply {
        match wire {
            Wire::Json10 => Reply::new(
                self.status,
                JSON_1_0_CONTENT_TYPE,
                self.json_body().to_string().into_bytes(),
            ),
            Wire::Query { xmlns } => Reply::new(
                self.status,
                XML_CONTENT_TYPE,
                self.xml_body(xmlns, request_id).into_bytes(),
            ),
            Wire::RpcV2Cbor => {
                Reply::new(self.status, CBOR_CONTENT_TYPE, crate::cbor::encode(&self.json_body()))
                    .with_header(
                        crate::protocol::SMITHY_PROTOCOL_HEADER,
                        crate::protocol::RPC_V2_CBOR,
                    )
            }
        }
    }
}

impl std::fmt::Display for AwsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for AwsError {}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn not_found() -> AwsError {
        AwsError::sender("ResourceNotFoundException", "Requested resource not found")
            .in_namespace("com.amazonaws.dynamodb.v20120810")
    }

    #[test]
    fn json_1_0_form() {
        let r = not_found().with_field("Item", json!({"a": {"S": "x"}})).reply(Wire::Json10, "RID");
        assert_eq!(r.status, 400);
        assert_eq!(r.content_type, "application/x-amz-json-1.0");
        let body: Json = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(
            body,
            json!({"__type": "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException",
                   "message": "Requested resource not found", "Item": {"a": {"S": "x"}}})
        );
        // An empty message is left out.
        assert_eq!(AwsError::sender("X", "").json_body(), json!({"__type": "X"}));
        assert_eq!(
            AwsError::unknown_operation("DynamoDB_20120810.Frob").json_body(),
            json!({"__type": "com.amazon.coral.service#UnknownOperationException",
                   "message": "This endpoint does not serve the operation DynamoDB_20120810.Frob"})
        );
    }

    #[test]
    fn query_form() {
        let e = AwsError::sender("NoSuchEntity", "The user with name bob & <co> cannot be found.")
            .with_status(404);
        let r = e.reply(Wire::Query { xmlns: "https://iam.amazonaws.com/doc/2010-05-08/" }, "RID");
        assert_eq!(r.status, 404);
        assert_eq!(r.content_type, "text/xml");
        assert_eq!(
            String::from_utf8(r.body).unwrap(),
            "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error>\
             <Type>Sender</Type><Code>NoSuchEntity</Code>\
             <Message>The user with name bob &amp; &lt;co&gt; cannot be found.</Message>\
             </Error><RequestId>RID</RequestId></ErrorResponse>"
        );
        let r = AwsError::internal("disk")
            .reply(Wire::Query { xmlns: "https://sts.amazonaws.com/doc/2011-06-15/" }, "R");
        assert_eq!(r.status, 500);
        assert!(String::from_utf8(r.body).unwrap().contains("<Type>Receiver</Type>"));
    }

    #[test]
    fn rpc_v2_cbor_form() {
        let e = AwsError::sender("InvalidParameterValue", "bad namespace")
            .in_namespace("com.amazonaws.cloudwatch");
        let r = e.reply(Wire::RpcV2Cbor, "RID");
        assert_eq!(r.status, 400);
        assert_eq!(r.content_type, "application/cbor");
        assert!(r.headers.contains(&("smithy-protocol", "rpc-v2-cbor".to_string())));
        let r = e.clone().with_header("x-amzn-query-error", "InvalidParameterValue;Sender");
        let r = r.reply(Wire::RpcV2Cbor, "RID");
        assert!(r.headers.contains(&("x-amzn-query-error", "InvalidParameterValue;Sender".into())));
        let back = crate::cbor::decode(&r.body).unwrap();
        assert_eq!(
            back,
            json!({"__type": "com.amazonaws.cloudwatch#InvalidParameterValue",
                   "message": "bad namespace"})
        );
    }

    #[test]
    fn statuses_and_faults() {
        assert_eq!(AwsError::request_entity_too_large(10).status, 413);
        assert_eq!(AwsError::internal("x").fault, Fault::Receiver);
        assert_eq!(AwsError::serialization("x").fault, Fault::Sender);
        assert_eq!(
            AwsError::request_entity_too_large(10).message,
            "Request body exceeds the limit of 10 bytes"
        );
        assert_eq!(
            AwsError::missing_authentication_token().type_name(),
            "com.amazon.coral.service#MissingAuthenticationTokenException"
        );
    }
}
