//! Tables: [`table`] (metadata and key schema), [`index`] (secondary indexes: metadata, entry
//! keys, projections) and [`catalog`] (the table catalog keyspace).

pub mod catalog;
pub mod index;
pub mod table;
