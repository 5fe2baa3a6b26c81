//! The DynamoDB service (API 2012-08-10, AWS JSON 1.0) served from Shale keyspaces. DynamoDB
//! semantics (types, numbers, expressions, key encoding) live here, never in the engine; the
//! service uses only the engine's public API, and the wire (protocol, errors, bounds, SigV4)
//! is `shale-aws`'s.
//!
//! Folders, bottom up:
//! - [`model`]: numbers, attribute values, key encoding, the stored item form.
//! - [`expr`]: document paths and projections, condition, filter, key-condition and update
//!   expressions, and the legacy parameters.
//! - [`schema`]: table metadata and the table catalog.
//! - [`write`](mod@write): the one place that builds the atomic engine batch of an item change (with its
//!   item locks); secondary index entries and stream records join it there.
//! - [`ops`]: the operations, their registry ([`ops::registry`]) and the service
//!   ([`ops::Gateway`]); [`request`] decodes request bodies into their botocore shapes, [`error`] is DynamoDB's errors,
//!   [`capacity`] consumed capacity and throttling, [`metrics`] the CloudWatch metrics,
//!   [`limits`] every DynamoDB limit in one place.
//! - [`service`]: the service as the HTTP front door sees it (its address and its calls).

pub mod access;
pub mod capacity;
pub mod error;
pub mod expirer;
pub mod expr;
pub mod limits;
pub mod metrics;
pub mod model;
pub mod ops;
pub mod partiql;
pub mod request;
pub mod schema;
pub mod service;
pub mod stream;
pub mod transfer;
pub mod write;
