//! Tables: [`table`] (metadata and key schema) and [`catalog`] (the table catalog keyspace).

pub mod catalog;
pub mod table;
