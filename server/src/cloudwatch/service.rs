//! The CloudWatch service as the HTTP front door sees it: addressed as
//! `GraniteServiceVersion20100801` in RPC v2 CBOR (`POST /service/GraniteServiceVersion20100801/
//! operation/<Op>`) and JSON 1.0 (`X-Amz-Target: GraniteServiceVersion20100801.<Op>`), and by
//! the credential scope `monitoring` in the query protocol; signed for `monitoring`.
//! Every request is decoded from its protocol into the operation's JSON input (by the model),
//! authorized for `cloudwatch:<Op>`, run, and its answer encoded back.

use super::error::{CwError, NAMESPACE};
use super::ops::{Handler, OPERATIONS};
use super::CloudWatch;
use crate::http::service::{Address, Call, Operation, Service};
use serde_json::Value as Json;
use shale_aws::protocol::{
    CBOR_CONTENT_TYPE, JSON_1_0_CONTENT_TYPE, RPC_V2_CBOR, SMITHY_PROTOCOL_HEADER, XML_CONTENT_TYPE,
};
use shale_aws::query::Form;
use shale_aws::{AwsError, Reply, Wire};

/// The service's name in JSON 1.0 targets and RPC v2 CBOR paths.
pub const TARGET_PREFIX: &str = "GraniteServiceVersion20100801";
/// The XML namespace of query answers.
pub const XMLNS: &str = "http://monitoring.amazonaws.com/doc/2010-08-01/";
/// The API version.
pub const VERSION: &str = "2010-08-01";

impl CloudWatch {
    /// An error of the wire layer or the model (named by its query code) in `wire`'s form:
    /// JSON and CBOR name the error shape and carry the code in `x-amzn-query-error`.
    fn render(&self, e: AwsError, wire: Wire) -> AwsError {
        if matches!(wire, Wire::Query { .. }) {
            return e;
        }
        match self.model.error(&e.code) {
            Some(shape) if e.namespace.is_none() => {
                let fault = if shape.status >= 500 { "Receiver" } else { "Sender" };
                let header = format!("{};{fault}", shape.code);
                AwsError { code: shape.name.clone().into(), ..e }
                    .in_namespace(NAMESPACE)
                    .with_header("x-amzn-query-error", header)
            }
            _ => e,
        }
    }

    /// The request's input as JSON.
    fn input(&self, op: &shale_aws::model::Operation, call: &Call<'_>) -> Result<Json, AwsError> {
        match call.wire {
            Wire::Query { .. } => {
                let form = Form::parse(call.body)?;
                crate::iam::service::check_version(&form, VERSION)?;
                self.model.input_from_query(op, &form)
            }
            Wire::Json10 => {
                let v = if call.body.iter().all(u8::is_ascii_whitespace) {
                    Json::Object(Default::default())
                } else {
                    serde_json::from_slice(call.body).map_err(|e| {
                        AwsError::serialization(format!("the body is not JSON: {e}"))
                    })?
                };
                self.model.normalize_input(op, v)
            }
            Wire::RpcV2Cbor => {
                let v = if call.body.is_empty() {
                    Json::Object(Default::default())
                } else {
                    shale_aws::cbor::decode(call.body).map_err(|e| {
                        AwsError::serialization(format!("the body is not CBOR: {e}"))
                    })?
                };
                self.model.normalize_input(op, v)
            }
        }
    }

    fn authorize(
        &self,
        op: &Operation<Handler>,
        input: &Json,
        call: &Call<'_>,
    ) -> Result<(), CwError> {
        let caller = call.caller;
        if caller.is_unrestricted() {
            return Ok(());
        }
        let resource = match input.get("AlarmName").and_then(Json::as_str) {
            Some(name) if op.handler.on_alarm => self.alarm_arn(name),
            _ => "*".to_string(),
        };
        let context = caller.context();
        caller.authorize(op.iam_action, &resource, &context).map_err(|d| CwError {
            shape: "AccessDeniedException",
            code: "AccessDenied",
            status: 403,
            message: d.message,
        })
    }
}

impl Service for CloudWatch {
    type Handler = Handler;

    fn name(&self) -> &'static str {
        "cloudwatch"
    }

    fn address(&self) -> Address {
        Address {
            json_target_prefix: Some(TARGET_PREFIX),
            query: Some(("monitoring", XMLNS)),
            cbor_service: Some(TARGET_PREFIX),
        }
    }

    fn signing_name(&self) -> &'static str {
        "monitoring"
    }

    fn operations(&self) -> &'static [Operation<Handler>] {
        OPERATIONS
    }

    fn runs_inline(&self, _op: &Operation<Handler>) -> bool {
        // Metric queries read the engine; alarm changes fsync.
        false
    }

    fn call(&self, op: &Operation<Handler>, call: &Call<'_>) -> Result<Reply, AwsError> {
        let wire = call.wire;
        let model_op = self
            .model
            .operation(op.name)
            .ok_or_else(|| AwsError::internal(format!("{} is not in the model", op.name)))?;
        let input = self.input(model_op, call).map_err(|e| self.render(e, wire))?;
        self.authorize(op, &input, call).map_err(|e| e.to_aws(wire))?;
        let out = (op.handler.run)(self, &input).map_err(|e| {
            if e.status >= 500 {
                tracing::error!("cloudwatch {}: {}", op.name, e.message);
            }
            e.to_aws(wire)
        })?;
        Ok(match wire {
            Wire::Json10 => Reply::new(
                200,
                JSON_1_0_CONTENT_TYPE,
                self.model.output_to_json(model_op, &out).to_string().into_bytes(),
            ),
            Wire::Query { xmlns } => Reply::new(
                200,
                XML_CONTENT_TYPE,
                self.model.output_to_xml(model_op, &out, xmlns, call.request_id).into_bytes(),
            ),
            Wire::RpcV2Cbor => {
                Reply::new(200, CBOR_CONTENT_TYPE, self.model.output_to_cbor(model_op, &out))
                    .with_header(SMITHY_PROTOCOL_HEADER, RPC_V2_CBOR)
            }
        })
    }

    fn internal(&self, message: String) -> AwsError {
        CwError::internal(message).to_aws(Wire::Json10)
    }
}
