//! The DynamoDB-compatible gateway (issue #7), under construction: so far its data model.
//! DynamoDB semantics (types, numbers, key encoding) live here, never in the engine.
//!
//! - [`number`]: DynamoDB's exact 38-digit decimal, its text form and an order-preserving
//!   encoding.
//! - [`value`]: the ten attribute types, their JSON wire form, validation and item size.
//! - [`key`]: table keys (partition + sort) as order-preserving engine keys.
//! - [`item_codec`]: the compact binary form items are stored in.
//! - [`path`]: document paths, placeholders and projection expressions.

pub mod item_codec;
pub mod key;
pub mod number;
pub mod path;
pub mod value;
