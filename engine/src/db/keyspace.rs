//! Keyspaces (RocksDB's column families): separately ordered key spaces sharing one WAL and one
//! sequence-number space. Each has its own memtables.

use crate::batch::KeyspaceId;
use crate::error::Error;
use crate::manifest::LevelFiles;
use crate::memtable::MemTable;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

/// Everything a read of a keyspace needs, swapped as one: the active memtable (takes writes),
/// immutable memtables newest first (wait to be flushed), and the SSTables per level.
#[derive(Debug)]
pub(crate) struct SuperVersion {
    pub(crate) active: Arc<MemTable>,
    pub(crate) immutables: Vec<Arc<MemTable>>,
    pub(crate) files: Arc<LevelFiles>,
}

impl SuperVersion {
    /// Every memtable, newest first.
    pub(crate) fn newest_first(&self) -> impl Iterator<Item = &Arc<MemTable>> {
        std::iter::once(&self.active).chain(self.immutables.iter())
    }
}

#[derive(Debug)]
pub(crate) struct KeyspaceState {
    pub(crate) id: KeyspaceId,
    pub(crate) name: String,
    /// Identifies the database instance the keyspace belongs to.
    pub(crate) db_id: u64,
    pub(crate) dropped: AtomicBool,
    pub(crate) sv: RwLock<Arc<SuperVersion>>,
    /// The database's `memtable_bytes_max`: sizes new memtables' arenas.
    memtable_bytes_max: usize,
}

impl KeyspaceState {
    pub(crate) fn new(
        id: KeyspaceId,
        name: String,
        db_id: u64,
        wal_number: u64,
        files: Arc<LevelFiles>,
        memtable_bytes_max: usize,
    ) -> Self {
        KeyspaceState {
            id,
            name,
            db_id,
            dropped: AtomicBool::new(false),
            sv: RwLock::new(Arc::new(SuperVersion {
                active: Arc::new(MemTable::new(wal_number, memtable_bytes_max)),
                immutables: Vec::new(),
                files,
            })),
            memtable_bytes_max,
        }
    }

    /// The current super version (a consistent view of memtables and files).
    pub(crate) fn sv(&self) -> Arc<SuperVersion> {
        Arc::clone(&self.sv.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// Makes the active memtable immutable and starts a fresh one whose entries begin in WAL
    /// `wal_number`.
    pub(crate) fn switch_memtable(&self, wal_number: u64) {
        let mut guard = self.sv.write().unwrap_or_else(|e| e.into_inner());
        let old = Arc::clone(&guard);
        let mut immutables = Vec::with_capacity(old.immutables.len() + 1);
        immutables.push(Arc::clone(&old.active));
        immutables.extend(old.immutables.iter().cloned());
        *guard = Arc::new(SuperVersion {
            active: Arc::new(MemTable::new(wal_number, self.memtable_bytes_max)),
            immutables,
            files: Arc::clone(&old.files),
        });
    }

    /// Installs a flush: `flushed` (the oldest immutable memtable) leaves, `files` come in.
    pub(crate) fn install_flush(&self, flushed: &Arc<MemTable>, files: Arc<LevelFiles>) {
        let mut guard = self.sv.write().unwrap_or_else(|e| e.into_inner());
        let old = Arc::clone(&guard);
        let immutables =
            old.immutables.iter().filter(|m| !Arc::ptr_eq(m, flushed)).cloned().collect();
        *guard = Arc::new(SuperVersion { active: Arc::clone(&old.active), immutables, files });
    }

    /// Installs a new set of files (after a compaction), keeping the memtables.
    pub(crate) fn install_files(&self, files: Arc<LevelFiles>) {
        let mut guard = self.sv.write().unwrap_or_else(|e| e.into_inner());
        let old = Arc::clone(&guard);
        *guard = Arc::new(SuperVersion {
            active: Arc::clone(&old.active),
            immutables: old.immutables.clone(),
            files,
        });
    }

    /// The WAL number below which this keyspace has no unflushed write, given the WAL
    /// currently written: the oldest memtable's, or the current WAL when no memtable holds data.
    pub(crate) fn log_number(&self, current_wal: u64) -> u64 {
        let sv = self.sv();
        match sv.immutables.last() {
            Some(oldest) => oldest.wal_number(),
            None if sv.active.is_empty() => current_wal,
            None => sv.active.wal_number(),
        }
    }

    /// [`KeyspaceState::log_number`] as it will be once `flushed` has left.
    pub(crate) fn log_number_without(&self, flushed: &Arc<MemTable>, current_wal: u64) -> u64 {
        let sv = self.sv();
        match sv.immutables.iter().rev().find(|m| !Arc::ptr_eq(m, flushed)) {
            Some(oldest) => oldest.wal_number(),
            None if sv.active.is_empty() => current_wal,
            None => sv.active.wal_number(),
        }
    }

    pub(crate) fn is_dropped(&self) -> bool {
        self.dropped.load(Ordering::Acquire)
    }

    /// A read's error, named for its cause: a read of a keyspace dropped while it ran (whose
    /// table files were deleted under it) fails with [`Error::KeyspaceDropped`], not with the
    /// I/O error it surfaced as.
    pub(crate) fn settle_read_error(&self, e: Error) -> Error {
        if self.is_dropped() {
            Error::KeyspaceDropped(self.name.clone())
        } else {
            e
        }
    }
}

/// A handle on a keyspace. Cheap to clone; valid until the keyspace is dropped.
#[derive(Debug, Clone)]
pub struct Keyspace {
    pub(crate) state: Arc<KeyspaceState>,
}

impl Keyspace {
    /// The keyspace's name.
    pub fn name(&self) -> &str {
        &self.state.name
    }

    /// The keyspace's id (stable for its lifetime, never reused).
    pub fn id(&self) -> KeyspaceId {
        self.state.id
    }
}
