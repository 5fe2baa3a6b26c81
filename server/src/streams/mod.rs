//! The DynamoDB Streams API (`DynamoDBStreams_20120810`, AWS JSON 1.0, signed for
//! `dynamodb`) on the gateway's endpoint: ListStreams, DescribeStream, GetShardIterator and
//! GetRecords over the streams the tables write ([`crate::dynamodb::stream`]).
//!
//! Every operation authorizes its caller for its IAM action (`dynamodb:GetRecords`…) on the
//! stream's ARN (ListStreams: on `*`), and answers DynamoDB Streams' errors.

pub mod iterator;
mod ops;

use crate::dynamodb::error::{DResult, DynamoError};
use crate::dynamodb::ops::Gateway;
use crate::http::service::{Address, Call, Operation, Service};
use crate::http::trace::{self, Step};
use crate::iam::caller::Caller;
use serde_json::Value as Json;
use shale_aws::protocol::JSON_1_0_CONTENT_TYPE;
use shale_aws::{AwsError, Reply};
use std::sync::Arc;

/// `X-Amz-Target` prefix of every operation.
pub const TARGET_PREFIX: &str = "DynamoDBStreams_20120810";

/// An operation's handler: the gateway, the request body and the caller.
pub struct Handler {
    pub run: fn(&Gateway, &[u8], &Caller) -> DResult<Json>,
    /// Runs on the connection's task (bounded metadata work) rather than a blocking thread.
    pub inline: bool,
}

/// Every operation, by name.
pub static OPERATIONS: &[Operation<Handler>] = &[
    Operation {
        name: "DescribeStream",
        iam_action: "dynamodb:DescribeStream",
        handler: Handler { run: ops::describe_stream, inline: false },
    },
    Operation {
        name: "GetRecords",
        iam_action: "dynamodb:GetRecords",
        handler: Handler { run: ops::get_records, inline: false },
    },
    Operation {
        name: "GetShardIterator",
        iam_action: "dynamodb:GetShardIterator",
        handler: Handler { run: ops::get_shard_iterator, inline: false },
    },
    Operation {
        name: "ListStreams",
        iam_action: "dynamodb:ListStreams",
        handler: Handler { run: ops::list_streams, inline: true },
    },
];

/// The Streams API over the gateway's streams.
pub struct Streams {
    gateway: Arc<Gateway>,
}

impl Streams {
    pub fn new(gateway: Arc<Gateway>) -> Streams {
        Streams { gateway }
    }

    /// Runs the operation called `name` on a JSON body as `caller` would (tests).
    pub fn handle(&self, name: &str, body: &Json, caller: &Caller) -> DResult<Json> {
        let op = OPERATIONS.iter().find(|o| o.name == name).ok_or(DynamoError::UnknownOperation)?;
        (op.handler.run)(&self.gateway, body.to_string().as_bytes(), caller)
    }
}

impl Service for Streams {
    type Handler = Handler;

    fn name(&self) -> &'static str {
        "dynamodbstreams"
    }

    fn address(&self) -> Address {
        Address { json_target_prefix: Some(TARGET_PREFIX), ..Address::default() }
    }

    fn signing_name(&self) -> &'static str {
        "dynamodb"
    }

    fn operations(&self) -> &'static [Operation<Handler>] {
        OPERATIONS
    }

    fn runs_inline(&self, op: &Operation<Handler>) -> bool {
        op.handler.inline
    }

    fn call(&self, op: &Operation<Handler>, call: &Call<'_>) -> Result<Reply, AwsError> {
        match (op.handler.run)(&self.gateway, call.body, call.caller) {
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
