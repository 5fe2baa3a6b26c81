//! `shale-server`: the network front doors over the Shale engine, and the Rust client.
//!
//! - [`kv`]: the binary key-value protocol (`docs/protocol.md`): codec, handlers, TCP server.
//! - [`client`]: the blocking Rust client (connection, pipelining, pool, typed errors), used by
//!   the `shale` CLI (`--addr`) and `shale-bench` (`--target`).
//! - [`config`]: the server's configuration (TOML file and command-line flags).
//! - [`dynamo`]: the DynamoDB-compatible gateway's data model (the gateway itself is not served
//!   yet).

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)
)]

pub mod client;
pub mod config;
pub mod dynamo;
pub mod kv;
