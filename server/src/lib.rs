//! `shale-server`: the network front doors over the Shale engine, and the Rust client.
//!
//! - [`kv`]: the binary key-value protocol (`docs/protocol.md`): codec, handlers, TCP server.
//! - [`client`]: the blocking Rust client (connection, pipelining, pool, typed errors), used by
//!   the `shale` CLI (`--addr`) and `shale-bench` (`--target`).
//! - [`bounds`]: key-range bound arithmetic both front doors use.
//! - [`config`]: the server's configuration (TOML file and command-line flags).
//! - [`dynamo`]: the DynamoDB-compatible gateway (`docs/dynamodb.md`): HTTP front door,
//!   operations, expressions, table catalog and data model.
//! - [`dynamo_client`]: a small blocking HTTP client for the gateway (tests and benchmarks).

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)
)]

pub mod bounds;
pub mod byte_reader;
pub mod client;
pub mod config;
pub mod dynamo_client;
pub mod dynamodb;
pub mod http;
pub mod kv;
pub mod listener;
pub mod namespace;
