//! Kinesis Data Streams destinations: this server streams a table's changes to DynamoDB
//! Streams only (`StreamSpecification`), never to Kinesis. DescribeKinesisStreamingDestination
//! answers that a table has no destination; EnableKinesisStreamingDestination,
//! DisableKinesisStreamingDestination and UpdateKinesisStreamingDestination are refused with
//! ValidationException naming the operation, once the request is checked and the table found
//! (a missing table is ResourceNotFoundException, as DynamoDB answers).

use crate::dynamodb::access;
use crate::dynamodb::error::{validation, DResult};
use crate::dynamodb::ops::pitr::name_of;
use crate::dynamodb::ops::{Gateway, Input};
use crate::dynamodb::request::member::{Member, Str};
use crate::dynamodb::request::shapes;
use crate::dynamodb::request::Constraints;
use crate::dynamodb::schema::catalog::not_found;
use crate::iam::caller::Caller;
use serde_json::{json, Value as Json};

/// The longest `TableName` these operations take (a name or an ARN: the model's `TableArn`).
const TABLE_NAME_OR_ARN_LEN_MAX: usize = 1024;
/// A Kinesis stream ARN's length bounds (the model's `StreamArn`).
const STREAM_ARN_LEN_MIN: usize = 37;
const STREAM_ARN_LEN_MAX: usize = 1024;

/// DescribeKinesisStreamingDestination's input: a table name or ARN, checked.
pub struct DescribeInput<'a> {
    table: Str<'a>,
}

/// The input of Enable-, Disable- and UpdateKinesisStreamingDestination: a table name or ARN
/// and a stream ARN, checked (the configurations are not read: the operations are refused).
pub struct ChangeInput<'a> {
    table: Str<'a>,
}

/// Reads `TableName` (a name or ARN) and, when `stream` is given, `StreamArn`.
fn decode<'a>(table: Member<Str<'a>>, stream: Option<Member<Str<'_>>>) -> DResult<Str<'a>> {
    let mut c = Constraints::default();
    let table = table.get("TableName")?;
    c.not_null("tableName", table.as_ref());
    if let Some(t) = table.as_deref() {
        c.len("tableName", &format!("'{t}'"), t.chars().count(), 1, TABLE_NAME_OR_ARN_LEN_MAX);
    }
    if let Some(stream) = stream {
        let arn = stream.get("StreamArn")?;
        c.not_null("streamArn", arn.as_ref());
        if let Some(a) = arn.as_deref() {
            let len = a.chars().count();
            c.len("streamArn", &format!("'{a}'"), len, STREAM_ARN_LEN_MIN, STREAM_ARN_LEN_MAX);
        }
    }
    c.finish()?;
    Ok(table.unwrap_or_default())
}

/// Whether `caller` may run `action` on the table named (or whose ARN is) `table`.
fn authorize(g: &Gateway, caller: &Caller, action: &str, table: &str) -> DResult<()> {
    access::table(g, caller, action, name_of(g, table)?, |_| {})
}

impl<'a> Input<'a> for DescribeInput<'a> {
    fn authorize(&self, g: &Gateway, caller: &Caller, action: &'static str) -> DResult<()> {
        authorize(g, caller, action, &self.table)
    }

    type Shape = shapes::KinesisStreamingDestination<'a>;

    fn decode(w: shapes::KinesisStreamingDestination<'a>) -> DResult<Self> {
        Ok(DescribeInput { table: decode(w.table_name, None)? })
    }
}

impl<'a> Input<'a> for ChangeInput<'a> {
    fn authorize(&self, g: &Gateway, caller: &Caller, action: &'static str) -> DResult<()> {
        authorize(g, caller, action, &self.table)
    }

    type Shape = shapes::KinesisStreamingDestination<'a>;

    fn decode(w: shapes::KinesisStreamingDestination<'a>) -> DResult<Self> {
        Ok(ChangeInput { table: decode(w.table_name, Some(w.stream_arn))? })
    }
}

/// The name of the table named (or whose ARN is) `table`, once it is found (not while it is
/// being imported into).
fn find<'t>(g: &Gateway, table: &'t str) -> DResult<&'t str> {
    let name = name_of(g, table)?;
    g.catalog.get(name).filter(|t| t.meta.importing.is_none()).ok_or_else(|| not_found(name))?;
    Ok(name)
}

pub fn describe(g: &Gateway, input: DescribeInput) -> DResult<Json> {
    let name = find(g, &input.table)?;
    Ok(json!({"TableName": name, "KinesisDataStreamDestinations": []}))
}

/// The refusal of operation `op`.
fn refuse(g: &Gateway, input: ChangeInput, op: &str) -> DResult<Json> {
    find(g, &input.table)?;
    Err(validation(format!(
        "{op} is not supported by this server: Kinesis Data Streams are not served (a table's \
         changes are streamed by DynamoDB Streams: StreamSpecification)"
    )))
}

pub fn enable(g: &Gateway, input: ChangeInput) -> DResult<Json> {
    refuse(g, input, "EnableKinesisStreamingDestination")
}

pub fn disable(g: &Gateway, input: ChangeInput) -> DResult<Json> {
    refuse(g, input, "DisableKinesisStreamingDestination")
}

pub fn update(g: &Gateway, input: ChangeInput) -> DResult<Json> {
    refuse(g, input, "UpdateKinesisStreamingDestination")
}
