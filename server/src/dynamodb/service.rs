//! The DynamoDB service as the HTTP front door sees it: addressed by AWS JSON 1.0 with
//! `X-Amz-Target: DynamoDB_20120810.<Operation>`, its operations from
//! [`super::ops::registry`], its errors rendered by the wire layer.
//!
//! ```text
//! POST / HTTP/1.1
//! X-Amz-Target: DynamoDB_20120810.<Operation>
//! Content-Type: application/x-amz-json-1.0        (application/json is accepted too)
//! Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…
//!
//! {…request JSON…}
//! ```

use super::error::DynamoError;
use super::ops::registry::{self, Handler};
use super::ops::Gateway;
use crate::http::service::{Address, Call, Operation, Service};
use crate::http::trace::{self, Step};
use shale_aws::protocol::JSON_1_0_CONTENT_TYPE;
use shale_aws::{AwsError, Reply};

/// `X-Amz-Target` prefix of every operation (before the `.`).
pub const TARGET_PREFIX: &str = "DynamoDB_20120810";

impl Service for Gateway {
    type Handler = Handler;

    fn name(&self) -> &'static str {
        "dynamodb"
    }

    fn address(&self) -> Address {
        Address { json_target_prefix: Some(TARGET_PREFIX), ..Address::default() }
    }

    fn operations(&self) -> &'static [Operation<Handler>] {
        registry::OPERATIONS
    }

    fn runs_inline(&self, op: &Operation<Handler>) -> bool {
        Gateway::runs_inline(self, op)
    }

    fn signing_name(&self) -> &'static str {
        "dynamodb"
    }

    fn call(&self, op: &Operation<Handler>, call: &Call<'_>) -> Result<Reply, AwsError> {
        match self.run(op, call.body, call.caller) {
            Ok(v) => {
                let body = trace::step(Step::Encode, || v.to_string().into_bytes());
                Ok(Reply::new(200, JSON_1_0_CONTENT_TYPE, body))
            }
            Err(e) => Err(e.to_aws()),
        }
    }

    fn internal(&self, message: String) -> AwsError {
        DynamoError::Internal(message).to_aws()
    }
}
