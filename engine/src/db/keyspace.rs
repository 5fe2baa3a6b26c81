//! Keyspaces (RocksDB's column families): separately ordered key spaces sharing one WAL and one
//! sequence-number space. Each has its own memtables.

use crate::batch::KeyspaceId;
use crate::memtable::MemTable;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

/// The memtables of a keyspace: the active one takes writes; immutable ones, newest first,
/// wait to be flushed.
#[derive(Debug)]
pub(crate) struct MemSet {
    pub(crate) active: Arc<MemTable>,
    pub(crate) immutables: Vec<Arc<MemTable>>,
}

impl MemSet {
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
    pub(crate) mems: RwLock<Arc<MemSet>>,
}

impl KeyspaceState {
    pub(crate) fn new(id: KeyspaceId, name: String, db_id: u64, wal_number: u64) -> Self {
        KeyspaceState {
            id,
            name,
            db_id,
            dropped: AtomicBool::new(false),
            mems: RwLock::new(Arc::new(MemSet {
                active: Arc::new(MemTable::new(wal_number)),
                immutables: Vec::new(),
            })),
        }
    }

    /// The current memtables (a consistent pair of active + immutables).
    pub(crate) fn mems(&self) -> Arc<MemSet> {
        Arc::clone(&self.mems.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// Makes the active memtable immutable and starts a fresh one whose entries begin in WAL
    /// `wal_number`.
    pub(crate) fn switch_memtable(&self, wal_number: u64) {
        let mut guard = self.mems.write().unwrap_or_else(|e| e.into_inner());
        let old = Arc::clone(&guard);
        let mut immutables = Vec::with_capacity(old.immutables.len() + 1);
        immutables.push(Arc::clone(&old.active));
        immutables.extend(old.immutables.iter().cloned());
        *guard = Arc::new(MemSet { active: Arc::new(MemTable::new(wal_number)), immutables });
    }

    pub(crate) fn is_dropped(&self) -> bool {
        self.dropped.load(Ordering::Acquire)
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
