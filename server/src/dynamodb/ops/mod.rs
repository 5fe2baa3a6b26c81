//! The gateway's operations (DynamoDB API 2012-08-10): one module per group, all behind
//! [`Gateway::handle`], which takes the operation name from `X-Amz-Target` and the parsed body.
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
pub mod tables;
pub mod transact;

use crate::dynamodb::error::{DResult, DynamoError};
use crate::dynamodb::model::item_codec;
use crate::dynamodb::model::value::Item;
use crate::dynamodb::request::Req;
use crate::dynamodb::schema::catalog::{Catalog, Table};
use crate::dynamodb::write::locks::Locks;
use serde_json::Value as Json;
use shale_engine::{Db, Keyspace, WriteOptions};
use std::sync::Arc;

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

/// Every operation this gateway serves.
pub const OPERATIONS: &[&str] = &[
    "BatchGetItem",
    "BatchWriteItem",
    "CreateTable",
    "DeleteItem",
    "DeleteTable",
    "DescribeTable",
    "GetItem",
    "ListTables",
    "PutItem",
    "Query",
    "Scan",
    "TransactGetItems",
    "TransactWriteItems",
    "UpdateItem",
    "UpdateTable",
];

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

    /// Whether `op` runs on the connection's task: item reads (bounded: one item, 100 keys, a
    /// 1 MB page) and, when writes are not fsynced, item writes. The rest runs on a blocking
    /// thread: fsynced writes wait for the disk (and group commit gathers the waiting writers),
    /// table changes fsync the manifest, and DescribeTable counts the table's items.
    pub fn runs_inline(&self, op: &str) -> bool {
        match op {
            "GetItem" | "BatchGetItem" | "Query" | "Scan" | "TransactGetItems" | "ListTables" => {
                true
            }
            "PutItem" | "UpdateItem" | "DeleteItem" | "BatchWriteItem" | "TransactWriteItems" => {
                !self.opts.sync
            }
            _ => false,
        }
    }

    /// Runs one operation on its parsed body.
    pub fn handle(&self, op: &str, body: &Json) -> DResult<Json> {
        let Json::Object(map) = body else {
            return Err(DynamoError::Serialization("Start of structure or map expected".into()));
        };
        let req = Req(map);
        let result = match op {
            "CreateTable" => tables::create(self, req),
            "DescribeTable" => tables::describe(self, req),
            "ListTables" => tables::list(self, req),
            "UpdateTable" => tables::update(self, req),
            "DeleteTable" => tables::delete(self, req),
            "GetItem" => items::get(self, req),
            "PutItem" => items::put(self, req),
            "UpdateItem" => items::update(self, req),
            "DeleteItem" => items::delete(self, req),
            "Query" => query::query(self, req),
            "Scan" => query::scan(self, req),
            "BatchGetItem" => batch::get(self, req),
            "BatchWriteItem" => batch::write(self, req),
            "TransactWriteItems" => transact::write(self, req),
            "TransactGetItems" => transact::get(self, req),
            _ => Err(DynamoError::UnknownOperation),
        };
        match result {
            Err(DynamoError::Internal(m)) => Err(self.settle_internal(op, req, m)),
            r => r,
        }
    }

    /// An internal error of an item request whose table was deleted meanwhile (its keyspace
    /// was dropped under it) is that table being gone: ResourceNotFoundException, as DynamoDB
    /// answers.
    fn settle_internal(&self, op: &str, req: Req, message: String) -> DynamoError {
        let mut names: Vec<&str> = Vec::new();
        if let Some(Json::String(t)) = req.get("TableName") {
            names.push(t);
        }
        if let Some(Json::Object(items)) = req.get("RequestItems") {
            names.extend(items.keys().map(String::as_str));
        }
        if let Some(Json::Array(actions)) = req.get("TransactItems") {
            let inner = actions.iter().filter_map(Json::as_object).flat_map(|a| a.values());
            names.extend(inner.filter_map(|a| a.get("TableName")).filter_map(Json::as_str));
        }
        let control = matches!(op, "CreateTable" | "UpdateTable" | "DeleteTable");
        if !control && names.iter().any(|n| self.catalog.get(n).is_none()) {
            return DynamoError::ResourceNotFound("Requested resource not found".into());
        }
        DynamoError::Internal(message)
    }

    /// A table for an item operation (DynamoDB's data-plane message when it is missing).
    /// (An item request racing the table's deletion is settled by [`Gateway::handle`].)
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
