//! DescribeEndpoints: the address clients should send DynamoDB requests to, and how long they
//! may keep it (DynamoDB's 1440 minutes).
//!
//! The address is the gateway's own listening address (`--dynamodb-addr`, with the port it
//! was given when that was 0), host and port without a scheme, as DynamoDB answers a host
//! name: the request's `Host` header does not reach the operations. A gateway that was not
//! told its address (embedded in tests) answers [`ENDPOINT_DEFAULT`].

use crate::dynamodb::access;
use crate::dynamodb::error::DResult;
use crate::dynamodb::ops::{Gateway, Input};
use crate::dynamodb::request::shapes;
use crate::iam::caller::Caller;
use serde_json::{json, Value as Json};

/// How long a client may cache the address, in minutes (DynamoDB's answer).
pub const CACHE_PERIOD_MINUTES: i64 = 1440;
/// The address answered when the gateway was not told its own: the default `--dynamodb-addr`.
pub const ENDPOINT_DEFAULT: &str = "127.0.0.1:8000";

/// DescribeEndpoints' input: nothing.
pub struct DescribeEndpointsInput;

impl<'a> Input<'a> for DescribeEndpointsInput {
    fn authorize(&self, g: &Gateway, caller: &Caller, action: &'static str) -> DResult<()> {
        let _ = g;
        access::account_wide(caller, action)
    }

    type Shape = shapes::DescribeEndpoints;

    fn decode(_: shapes::DescribeEndpoints) -> DResult<Self> {
        Ok(DescribeEndpointsInput)
    }
}

pub fn describe(g: &Gateway, _: DescribeEndpointsInput) -> DResult<Json> {
    let address = g.endpoint.get().map_or(ENDPOINT_DEFAULT, String::as_str);
    Ok(json!({"Endpoints": [{"Address": address, "CachePeriodInMinutes": CACHE_PERIOD_MINUTES}]}))
}
