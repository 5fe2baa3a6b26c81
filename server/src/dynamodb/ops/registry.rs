//! The DynamoDB service's operation registry: every operation once, with the IAM action it
//! needs, its handler, and how it is scheduled. The front door finds operations here
//! ([`crate::http::service`]); nothing else lists operation names.

use super::{
    backups, batch, endpoints, exports, imports, items, kinesis, limits, partiql, pitr, query,
    tables, tags, transact, ttl, Gateway, Input,
};
use crate::dynamodb::error::DResult;
use crate::dynamodb::metrics;
use crate::dynamodb::request;
use crate::http::service::Operation;
use crate::http::trace::{self, Step};
use crate::iam::caller::Caller;
use serde_json::Value as Json;
use std::time::Instant;

/// Where an operation runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schedule {
    /// An item read, bounded (one item, 100 keys, a 1 MB page): on the connection's task.
    Read,
    /// An item write: on the connection's task when writes are not fsynced; when they are, on
    /// a blocking thread, where it waits for the disk (and group commit gathers the waiting
    /// writers).
    Write,
    /// A read that may take long (DescribeTable counts the table's items): on a blocking
    /// thread.
    SlowRead,
    /// A table change (which fsyncs the manifest): on a blocking thread.
    TableChange,
}

/// What the registry holds for each DynamoDB operation.
#[derive(Debug)]
pub struct Handler {
    /// Runs the operation on its request body for its caller: the body is decoded, the
    /// caller authorized ([`Input::authorize`]), then the handler runs.
    pub run: fn(&Gateway, &[u8], &Caller) -> DResult<Json>,
    /// Where it runs.
    pub schedule: Schedule,
}

/// One registry entry: `op!(Name, Schedule, handler)`; the handler takes its operation's
/// typed input ([`Input`]): the body is decoded into the input's shape, then checked.
macro_rules! op {
    ($name:literal, $schedule:ident, $handler:path) => {
        Operation {
            name: $name,
            iam_action: concat!("dynamodb:", $name),
            handler: Handler {
                run: |g, body, caller| {
                    run(g, body, caller, ($name, concat!("dynamodb:", $name)), $handler)
                },
                schedule: Schedule::$schedule,
            },
        }
    };
}

/// Runs operation `name` (needing `action`) on `body` for `caller`: decodes its input,
/// authorizes it, runs `handler`, and counts the request in the metrics.
fn run<'a, I: Input<'a>>(
    g: &Gateway,
    body: &'a [u8],
    caller: &Caller,
    (name, action): (&'static str, &'static str),
    handler: fn(&Gateway, I) -> DResult<Json>,
) -> DResult<Json> {
    let started = Instant::now();
    let input = match trace::step(Step::Decode, || request::parse(body).and_then(I::decode)) {
        Ok(input) => input,
        Err(e) => {
            g.metrics.error(None, &[], &e);
            return Err(e);
        }
    };
    if let Err(e) = trace::step(Step::Authorize, || input.authorize(g, caller, action)) {
        g.metrics.error(None, &[], &e);
        return Err(e);
    }
    let slot = metrics::slot(name);
    let cells: Vec<_> = match slot {
        Some(_) if g.metrics.is_on() => input.tables().iter().map(|t| g.metrics.table(t)).collect(),
        _ => Vec::new(),
    };
    let result = handler(g, input);
    g.metrics.finish(slot, &cells, started, &result);
    result
}

/// Every operation the service serves, by name.
pub static OPERATIONS: &[Operation<Handler>] = &[
    op!("BatchExecuteStatement", Write, partiql::batch::batch),
    op!("BatchGetItem", Read, batch::get),
    op!("BatchWriteItem", Write, batch::write),
    op!("CreateBackup", TableChange, backups::create),
    op!("CreateTable", TableChange, tables::create),
    op!("DeleteBackup", TableChange, backups::delete),
    op!("DeleteItem", Write, items::delete),
    op!("DeleteTable", TableChange, tables::delete),
    op!("DescribeBackup", SlowRead, backups::describe),
    op!("DescribeContinuousBackups", Read, pitr::describe),
    op!("DescribeEndpoints", Read, endpoints::describe),
    op!("DescribeExport", SlowRead, exports::describe),
    op!("DescribeImport", SlowRead, imports::describe),
    op!("DescribeKinesisStreamingDestination", Read, kinesis::describe),
    op!("DescribeLimits", Read, limits::describe),
    op!("DescribeTable", SlowRead, tables::describe),
    op!("DescribeTimeToLive", Read, ttl::describe),
    op!("DisableKinesisStreamingDestination", Read, kinesis::disable),
    op!("EnableKinesisStreamingDestination", Read, kinesis::enable),
    op!("ExecuteStatement", Write, partiql::execute),
    op!("ExecuteTransaction", Write, partiql::transaction::transaction),
    op!("ExportTableToPointInTime", TableChange, exports::export),
    op!("GetItem", Read, items::get),
    op!("ImportTable", TableChange, imports::import),
    op!("ListBackups", SlowRead, backups::list),
    op!("ListExports", SlowRead, exports::list),
    op!("ListImports", SlowRead, imports::list),
    op!("ListTables", Read, tables::list),
    op!("ListTagsOfResource", Read, tags::list),
    op!("PutItem", Write, items::put),
    op!("Query", Read, query::query),
    op!("RestoreTableFromBackup", TableChange, backups::restore),
    op!("RestoreTableToPointInTime", TableChange, pitr::restore),
    op!("Scan", Read, query::scan),
    op!("TagResource", TableChange, tags::tag),
    op!("TransactGetItems", Read, transact::get),
    op!("TransactWriteItems", Write, transact::write),
    op!("UntagResource", TableChange, tags::untag),
    op!("UpdateContinuousBackups", TableChange, pitr::update),
    op!("UpdateItem", Write, items::update),
    op!("UpdateKinesisStreamingDestination", Read, kinesis::update),
    op!("UpdateTable", TableChange, tables::update),
    op!("UpdateTimeToLive", TableChange, ttl::update),
];

/// The operation called `name`.
pub fn operation(name: &str) -> Option<&'static Operation<Handler>> {
    OPERATIONS.iter().find(|op| op.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_operation_once_in_order_with_its_iam_action() {
        let names: Vec<&str> = OPERATIONS.iter().map(|o| o.name).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(names, sorted, "sorted and unique");
        for o in OPERATIONS {
            assert_eq!(o.iam_action, format!("dynamodb:{}", o.name));
        }
        assert!(operation("PutItem").is_some());
        assert!(operation("putitem").is_none());
    }
}
