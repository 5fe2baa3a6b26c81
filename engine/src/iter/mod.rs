//! Iterators over internal keys, and the merge of several of them.
//!
//! Every source of entries (a memtable now; SSTable blocks and files later) implements
//! [`InternalIterator`]; [`MergingIterator`] combines them into one ordered stream, and the
//! database's user iterator resolves versions, snapshots and tombstones on top.

mod merge;

pub use merge::MergingIterator;

use crate::error::Result;

/// A cursor over entries ordered by internal key (user key ascending, trailer descending).
///
/// Positioning methods leave the iterator either on an entry (`valid()`) or past either end.
/// Errors (I/O or corruption while reading) make it invalid and are reported by `status`.
pub trait InternalIterator: Send {
    /// True when positioned on an entry.
    fn valid(&self) -> bool;
    /// Positions on the first entry.
    fn seek_to_first(&mut self);
    /// Positions on the last entry.
    fn seek_to_last(&mut self);
    /// Positions on the first entry `>= (user_key, trailer)`.
    fn seek(&mut self, user_key: &[u8], trailer: u64);
    /// Positions on the last entry `< (user_key, trailer)`.
    fn seek_lt(&mut self, user_key: &[u8], trailer: u64);
    /// Moves to the next entry. Requires `valid()`.
    fn next(&mut self);
    /// Moves to the previous entry. Requires `valid()`.
    fn prev(&mut self);
    /// The current entry's user key. Requires `valid()`.
    fn user_key(&self) -> &[u8];
    /// The current entry's trailer (sequence << 8 | kind). Requires `valid()`.
    fn trailer(&self) -> u64;
    /// The current entry's value. Requires `valid()`.
    fn value(&self) -> &[u8];
    /// The first error met, if any.
    fn status(&self) -> Result<()>;
}
