//! Capacity: what requests consume ([`units`], by DynamoDB's rules), and enforcing each
//! table's and global index's rate ([`throttle`], token [`bucket`]s run by a [`clock`] that tests
//! can set).

pub mod bucket;
pub mod clock;
pub mod throttle;
pub mod units;

pub use units::{
    read_units, write_units, Consumed, Mode, PerTable, READ_UNIT_BYTES, WRITE_UNIT_BYTES,
};
