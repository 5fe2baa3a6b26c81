//! The key-value front door: the binary protocol's codec, the handlers that run requests on the
//! engine, and the TCP server (codec → auth → handlers → engine).

pub mod auth;
pub mod codec;
pub mod handlers;
pub mod server;
