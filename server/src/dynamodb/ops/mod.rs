//! The gateway's operations (DynamoDB API 2012-08-10): one module per group, all behind
//! [`Gateway::run`], which takes the operation (named by `X-Amz-Target`) and the body's bytes.
//!
//! - [`tables`]: CreateTable, DescribeTable, ListTables, UpdateTable, DeleteTable.
//! - [`items`]: GetItem, PutItem, UpdateItem, DeleteItem.
//! - [`query`]: Query and Scan.
//! - [`batch`]: BatchGetItem and BatchWriteItem.
//! - [`transact`]: TransactWriteItems and TransactGetItems.

pub mod batch;
pub mod items;
mod params;
pub mod query;
pub mod registry;
pub mod tables;
pub mod transact;

use crate::dynamodb::error::{DResult, DynamoError};
use crate::dynamodb::model::item_codec;
use crate::dynamodb::model::value::Item;
use crate::dynamodb::schema::catalog::{Catalog, Table};
use crate::dynamodb::write::locks::Locks;
use crate::http::service::Operation;
use registry::{Handler, Schedule};
use serde_json::Value as Json;
use shale_engine::{Db, Keyspace, WriteOptions};
use std::sync::Arc;

/// An operation's input: its request body decoded into [`Input::Shape`] (botocore's shape,
/// [`crate::dynamodb::request::shapes`]) in one pass, then checked, in DynamoDB's order of
/// checks, before its handler runs: the handler reads typed fields, never the JSON. What needs
/// the table (its existence, a key against its schema) is the handler's.
pub trait Input<'a>: Sized {
    /// The request shape the body is decoded into.
    type Shape: serde::Deserialize<'a>;
    /// Checks the decoded shape.
    fn decode(shape: Self::Shape) -> DResult<Self>;
}

/// How the gateway is run.
#[derive(Debug, Clone)]
pub struct GatewayOptions {
    /// Acknowledge writes only once fsynced (group commit). Default true.
    pub sync: bool,
    /// Region and account shown in ARNs.
    pub region: String,
    pub account: String,
}

impl Default for GatewayOptions {
    fn default() -> Self {
        GatewayOptions { sync: true, region: "us-east-1".into(), account: "000000000000".into() }
    }
}

/// The DynamoDB service over one database.
pub struct Gateway {
    pub(crate) db: Db,
    pub(crate) catalog: Catalog,
    pub(crate) locks: Locks,
    pub(crate) tokens: transact::Tokens,
    /// The last item counts of large tables, by keyspace (see `tables::counts`).
    pub(crate) counts: std::sync::Mutex<std::collections::HashMap<String, tables::Counted>>,
    pub(crate) opts: GatewayOptions,
}

impl Gateway {
    pub fn open(db: Db, opts: GatewayOptions) -> DResult<Gateway> {
        let catalog = Catalog::open(db.clone())?;
        Ok(Gateway {
            db,
            catalog,
            locks: Locks::default(),
            tokens: transact::Tokens::default(),
            counts: Default::default(),
            opts,
        })
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Whether `op` runs on the connection's task (see [`Schedule`]).
    pub fn runs_inline(&self, op: &Operation<Handler>) -> bool {
        match op.handler.schedule {
            Schedule::Read => true,
            Schedule::Write => !self.opts.sync,
            Schedule::SlowRead | Schedule::TableChange => false,
        }
    }

    /// Runs the operation called `name` on a request body given as JSON (for tests and
    /// tools; the front door calls [`Gateway::run`] with the body's bytes).
    pub fn handle(&self, name: &str, body: &Json) -> DResult<Json> {
        match registry::operation(name) {
            Some(op) => self.run(op, body.to_string().as_bytes()),
            None => Err(DynamoError::UnknownOperation),
        }
    }

    /// Runs `op` on its request body.
    pub fn run(&self, op: &Operation<Handler>, body: &[u8]) -> DResult<Json> {
        (op.handler.run)(self, body)
    }

    /// A table for an item operation (DynamoDB's data-plane message when it is missing).
    /// (An item request racing the table's deletion gets the engine's
    /// `Error::KeyspaceDropped`, which is ResourceNotFoundException too.)
    pub(crate) fn table(&self, name: &str) -> DResult<Arc<Table>> {
        self.catalog
            .get(name)
            .ok_or_else(|| DynamoError::ResourceNotFound("Requested resource not found".into()))
    }

    pub(crate) fn write_options(&self) -> WriteOptions {
        WriteOptions { sync: self.opts.sync }
    }

    /// Reads and decodes one item.
    pub(crate) fn read_item(&self, ks: &Keyspace, key: &[u8]) -> DResult<Option<Item>> {
        match self.db.get(ks, key)? {
            None => Ok(None),
            Some(bytes) => decode(&bytes).map(Some),
        }
    }

    /// The items under `keys`, in order, read by one engine `multi_get` (their block reads go
    /// out together).
    pub(crate) fn read_items(&self, ks: &Keyspace, keys: &[&[u8]]) -> DResult<Vec<Option<Item>>> {
        let values = self.db.multi_get(ks, keys)?;
        values.into_iter().map(|v| v.map(|b| decode(&b)).transpose()).collect()
    }
}

/// Decodes a stored item.
pub(crate) fn decode(bytes: &[u8]) -> DResult<Item> {
    item_codec::decode(bytes)
        .map_err(|e| DynamoError::Internal(format!("a stored item is corrupt: {}", e.0)))
}

/// Seconds since the epoch.
pub(crate) fn now_secs() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}
