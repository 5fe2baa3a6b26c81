//! Compaction: keeps each keyspace's tree shaped by merging tables into deeper levels.
//!
//! * [`picker`] scores the levels (L0 by file count, deeper levels by bytes against dynamic
//!   targets) and chooses the most urgent compaction.
//! * [`run`] merges the input tables, drops versions no reader can see and tombstones at the
//!   bottom, and writes the output tables.
//!
//! The database (`db/compact.rs`) runs them on a background thread, installs the result with one
//! manifest edit, and removes input files once no reader holds them. `docs/compaction.md`
//! explains the picker and the stall rules with their numbers.

pub mod filter;
pub mod horizon;
pub mod picker;
pub mod run;
pub mod universal;

pub use filter::{ttl_expiry, ttl_value, CompactionFilter, Decision, TtlFilter};
pub use horizon::Horizon;
pub use picker::{level_targets, pending_bytes, pick, Compaction, CompactionOptions, LevelTargets};
pub use run::{run_compaction, CompactionOutput, OutputFiles};
pub use universal::{pick_universal, UniversalOptions};

/// How a keyspace is compacted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CompactionStyle {
    /// Leveled (default): low read and space amplification.
    #[default]
    Leveled,
    /// Universal (size-tiered): low write amplification, for write-heavy keyspaces.
    Universal(UniversalOptions),
}
