//! The engine's one error type.
//!
//! `Corruption` (bytes on disk that fail a check) is kept apart from `Io` (the operating system
//! refused an operation): a caller may retry or fail over on `Io`, but `Corruption` means the data
//! itself cannot be trusted.

use std::io;

/// Every fallible engine operation returns this.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The operating system (or the file-system seam) failed an operation.
    #[error("I/O error: {0}")]
    Io(#[from] io::Error),
    /// Bytes read back from storage failed a checksum, a bound or a structural check.
    #[error("corruption: {0}")]
    Corruption(String),
    /// The caller passed something the engine does not accept (oversize key, unknown keyspace, ...).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// A named thing (keyspace, database) does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// The keyspace was dropped while the caller held a handle on it (the caller's write or
    /// compaction did not happen). The message names it.
    #[error("keyspace {0:?} was dropped")]
    KeyspaceDropped(String),
    /// A named thing already exists where the caller asked for a new one.
    #[error("already exists: {0}")]
    AlreadyExists(String),
    /// An earlier write or fsync failed; the database refuses writes until it is reopened.
    #[error("database refuses writes after an earlier failure (reopen it): {0}")]
    Poisoned(String),
    /// Another process (or another handle in this one) holds the database's lock.
    #[error("database is locked: {0}")]
    Locked(String),
}

/// The engine's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Shorthand for a [`Error::Corruption`] with a formatted message.
    pub(crate) fn corruption(msg: impl Into<String>) -> Self {
        Error::Corruption(msg.into())
    }

    /// Shorthand for a [`Error::InvalidArgument`] with a formatted message.
    pub(crate) fn invalid(msg: impl Into<String>) -> Self {
        Error::InvalidArgument(msg.into())
    }

    /// An equal error (`io::Error` is not `Clone`: its kind and message are kept), for reporting
    /// one failure to several callers.
    pub(crate) fn duplicate(&self) -> Error {
        match self {
            Error::Io(io) => Error::Io(std::io::Error::new(io.kind(), io.to_string())),
            Error::Corruption(m) => Error::Corruption(m.clone()),
            Error::InvalidArgument(m) => Error::InvalidArgument(m.clone()),
            Error::NotFound(m) => Error::NotFound(m.clone()),
            Error::KeyspaceDropped(m) => Error::KeyspaceDropped(m.clone()),
            Error::AlreadyExists(m) => Error::AlreadyExists(m.clone()),
            Error::Poisoned(m) => Error::Poisoned(m.clone()),
            Error::Locked(m) => Error::Locked(m.clone()),
        }
    }

    /// True for [`Error::Corruption`].
    pub fn is_corruption(&self) -> bool {
        matches!(self, Error::Corruption(_))
    }
}
