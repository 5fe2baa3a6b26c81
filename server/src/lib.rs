//! `shale-server`: the network front doors over the Shale engine, and the Rust client.
//!
//! - [`kv`]: the binary key-value protocol (`docs/protocol.md`): codec, handlers, TCP server.
//! - [`client`]: the blocking Rust client (connection, pipelining, pool, typed errors), used by
//!   the `shale` CLI (`--addr`) and `shale-bench` (`--target`).
//! - [`bounds`]: key-range bound arithmetic both front doors use.
//! - [`config`]: the server's configuration (TOML file and command-line flags).
//! - [`listener`]: the one accept loop of both front doors.
//! - [`http`]: the HTTP front door of the AWS services: one dispatch path over `shale-aws`.
//! - [`dynamodb`]: the DynamoDB service (`docs/dynamodb.md`): registry, typed inputs,
//!   operations, expressions, table catalog and data model.
//! - [`namespace`]: the keyspace prefixes the services reserve.
//! - [`startup`]: the first minute: sockets bound before the database opens, the startup summary.
//! - [`dynamo_client`]: a small blocking HTTP client for the gateway (tests and benchmarks).

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)
)]

pub mod backup;
pub mod bounds;
pub mod byte_reader;
pub mod client;
pub mod cloudwatch;
pub mod config;
pub mod dynamo_client;
pub mod dynamodb;
pub mod http;
pub mod iam;
pub mod kv;
pub mod listener;
pub mod namespace;
pub mod startup;
pub mod streams;
pub mod sts;
pub mod tls;
