//! DescribeLimits: this server's capacity limits, in DynamoDB's shape. A table (or global
//! index) may be provisioned up to [`CAPACITY_MAX`] units each of reads and writes, and an
//! on-demand table runs up to [`ON_DEMAND_UNITS_MAX`] units a second; the server adds no
//! account-wide limit of its own, so the account's are what its [`TABLES_MAX`] tables reach.

use crate::dynamodb::access;
use crate::dynamodb::capacity::throttle::ON_DEMAND_UNITS_MAX;
use crate::dynamodb::error::DResult;
use crate::dynamodb::limits::{CAPACITY_MAX, TABLES_MAX};
use crate::dynamodb::ops::{Gateway, Input};
use crate::dynamodb::request::shapes;
use crate::iam::caller::Caller;
use serde_json::{json, Value as Json};

// A provisioned table's limit and an on-demand table's maximum are the same figure, which
// DescribeLimits answers once.
const _: () = assert!(CAPACITY_MAX as f64 == ON_DEMAND_UNITS_MAX);

/// DescribeLimits' input: nothing.
pub struct DescribeLimitsInput;

impl<'a> Input<'a> for DescribeLimitsInput {
    fn authorize(&self, g: &Gateway, caller: &Caller, action: &'static str) -> DResult<()> {
        let _ = g;
        access::account_wide(caller, action)
    }

    type Shape = shapes::DescribeLimits;

    fn decode(_: shapes::DescribeLimits) -> DResult<Self> {
        Ok(DescribeLimitsInput)
    }
}

pub fn describe(g: &Gateway, _: DescribeLimitsInput) -> DResult<Json> {
    let _ = g;
    let account = CAPACITY_MAX * TABLES_MAX as i64;
    Ok(json!({
        "AccountMaxReadCapacityUnits": account,
        "AccountMaxWriteCapacityUnits": account,
        "TableMaxReadCapacityUnits": CAPACITY_MAX,
        "TableMaxWriteCapacityUnits": CAPACITY_MAX,
    }))
}
