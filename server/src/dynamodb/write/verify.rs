//! The write path's invariant, checked: every index of a table equals its recomputation from
//! the table's items (each item's entry, under its entry key, holding exactly its projected
//! attributes). Tests check it after crashes and concurrent writes; operators can run it.
//!
//! The check holds every recomputed entry of one index in memory at once (a test and tool
//! helper, not for tables larger than memory); it reads the table and the index from one
//! engine snapshot each, so run it while the table is quiet.

use crate::dynamodb::error::DResult;
use crate::dynamodb::model::item_codec;
use crate::dynamodb::ops::{decode, Gateway};
use crate::dynamodb::schema::catalog::not_found;
use shale_engine::IterOptions;
use std::collections::BTreeMap;

/// How one index compares with its recomputation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexCheck {
    pub index: String,
    /// Whether the index is active (one being created lacks the entries not backfilled yet).
    pub active: bool,
    /// Entries the index holds.
    pub entries: u64,
    /// Entries the table's items call for that the index lacks.
    pub missing: u64,
    /// Entries the index holds that no item calls for.
    pub extra: u64,
    /// Entries under the right key holding other attributes than the item's projection.
    pub stale: u64,
}

impl IndexCheck {
    pub fn is_exact(&self) -> bool {
        self.missing == 0 && self.extra == 0 && self.stale == 0
    }
}

impl Gateway {
    /// Compares every index of the table called `table` (those being written: not ones being
    /// deleted) with its recomputation from the table.
    pub fn check_indexes(&self, table: &str) -> DResult<Vec<IndexCheck>> {
        let t = self.catalog.get(table).ok_or_else(|| not_found(table))?;
        let mut out = Vec::new();
        for (ix, ks) in t.indexes() {
            let mut want: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
            let mut it = self.db.iter(&t.ks, IterOptions::all())?;
            while it.advance()? {
                let item = decode(it.value())?;
                // An item the index cannot hold (of another type than its key) has no entry.
                if let Ok(Some(k)) = ix.entry_key(&item, it.key()) {
                    want.insert(k, item_codec::encode(&ix.project(&t.meta, &item)));
                }
            }
            drop(it);
            let mut check = IndexCheck {
                index: ix.name.clone(),
                active: ix.is_readable(),
                entries: 0,
                missing: 0,
                extra: 0,
                stale: 0,
            };
            let mut it = self.db.iter(ks, IterOptions::all())?;
            while it.advance()? {
                check.entries += 1;
                match want.remove(it.key()) {
                    None => check.extra += 1,
                    Some(v) if v != it.value() => check.stale += 1,
                    Some(_) => {}
                }
            }
            check.missing = want.len() as u64;
            out.push(check);
        }
        Ok(out)
    }

    /// Compares the stored size of every item collection of the table called `table` (one with
    /// local indexes) with its recomputation from the items: the number of collections whose
    /// stored size differs (0 for a table without collections).
    pub fn check_collections(&self, table: &str) -> DResult<u64> {
        let t = self.catalog.get(table).ok_or_else(|| not_found(table))?;
        let Some(cks) = &t.collections_ks else { return Ok(0) };
        // The items and the sizes as of one moment.
        let snapshot = self.db.snapshot();
        let mut want: BTreeMap<Vec<u8>, u64> = BTreeMap::new();
        let mut it = snapshot.iter(&t.ks, IterOptions::all())?;
        while it.advance()? {
            let item = decode(it.value())?;
            let bytes = super::collections::item_bytes(&t, it.key(), &item);
            *want.entry(super::collections::partition(it.key()).to_vec()).or_default() += bytes;
        }
        drop(it);
        let mut differ = 0;
        let mut it = snapshot.iter(cks, IterOptions::all())?;
        while it.advance()? {
            let stored = it.value().try_into().map(u64::from_le_bytes).unwrap_or(u64::MAX);
            if want.remove(it.key()) != Some(stored) {
                differ += 1;
            }
        }
        Ok(differ + want.len() as u64)
    }
}
