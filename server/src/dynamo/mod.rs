//! The DynamoDB-compatible gateway (issue #7): DynamoDB's JSON protocol over HTTP, served from
//! Shale keyspaces. DynamoDB semantics (types, numbers, expressions, key encoding) live here,
//! never in the engine; the gateway uses only the engine's public API.
//!
//! Layers, bottom up:
//! - Data model: [`number`] (DynamoDB's exact 38-digit decimal and its order-preserving
//!   encoding), [`value`] (the ten attribute types, their JSON form, validation, item size),
//!   [`key`] (table keys as order-preserving engine keys), [`item_codec`] (the binary form items
//!   are stored in).
//! - Expressions: [`path`] (document paths, placeholders, projections) and [`expr`] (condition,
//!   filter, key-condition and update expressions, and the legacy parameters).
//! - Tables: [`table`] (metadata and key schema), [`catalog`] (the table catalog keyspace).
//! - Requests: [`request`] (reading the JSON body, constraint messages), [`error`] (DynamoDB's
//!   error shapes), [`capacity`] (consumed capacity), [`locks`] (item lock striping).
//! - Operations: [`ops`] (one module per group of operations, all behind `Gateway::handle`).
//! - The front door: [`http`] (HTTP/1.1, headers, checksums, bounds).

pub mod capacity;
pub mod catalog;
pub mod error;
pub mod expr;
pub mod http;
pub mod item_codec;
pub mod key;
pub mod locks;
pub mod number;
pub mod ops;
pub mod path;
pub mod request;
pub mod table;
pub mod value;
