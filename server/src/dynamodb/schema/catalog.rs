//! The table catalog: every table's [`TableMeta`], stored in the engine keyspace
//! `dynamo.catalog` (key: the table name; value: the metadata as JSON), and cached in memory with
//! the handle of the table's item keyspace.
//!
//! Each table's items live in their own keyspace `dynamo.t.<n>`, and each secondary index's
//! entries in `dynamo.x.<n>`, `n` never reused. Creating a table creates the keyspaces first and
//! then writes the catalog entry (fsynced); deleting one removes the entry first and then drops
//! the keyspaces. On open, keyspaces that no catalog entry names (a crash between the two
//! steps) are dropped.
//!
//! Control-plane changes are serialized by one mutex; readers take an `Arc<Table>` snapshot.

use crate::dynamodb::error::{DResult, DynamoError};
use crate::dynamodb::limits::TABLES_MAX;
use crate::dynamodb::schema::index::IndexMeta;
use crate::dynamodb::schema::table::TableMeta;
use crate::dynamodb::stream::registry::STREAM_KEYSPACE_PREFIX;
use shale_engine::{Db, IterOptions, Keyspace, WriteOptions};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, RwLock};

/// Every keyspace of the gateway starts with this: its reserved namespace (the key-value
/// protocol leaves them alone).
pub const KEYSPACE_PREFIX: &str = crate::namespace::DYNAMODB.prefix;
/// The catalog's keyspace.
pub const CATALOG_KEYSPACE: &str = "dynamo.catalog";
/// Item keyspaces are named this, then a number.
pub const TABLE_KEYSPACE_PREFIX: &str = "dynamo.t.";
/// Index keyspaces are named this, then a number (from the same sequence).
pub const INDEX_KEYSPACE_PREFIX: &str = "dynamo.x.";
/// Item-collection size keyspaces (tables with local indexes) are named this, then a number.
pub const COLLECTIONS_KEYSPACE_PREFIX: &str = "dynamo.c.";

/// A table: its metadata, its item keyspace and its indexes' keyspaces.
#[derive(Debug)]
pub struct Table {
    pub meta: TableMeta,
    pub ks: Keyspace,
    /// The keyspace of each of `meta.indexes`, in the same order.
    pub index_ks: Vec<Keyspace>,
    /// The item collections' sizes (tables with local indexes).
    pub collections_ks: Option<Keyspace>,
}

impl Table {
    /// The index called `name` that reads may use, with its keyspace.
    pub fn index(&self, name: &str) -> Option<(&IndexMeta, &Keyspace)> {
        self.indexes().find(|(m, _)| m.name == name)
    }

    /// The indexes writes maintain (all but those being deleted), with their keyspaces.
    pub fn indexes(&self) -> impl Iterator<Item = (&IndexMeta, &Keyspace)> {
        self.meta.indexes.iter().zip(&self.index_ks).filter(|(m, _)| m.is_written())
    }
}

/// The keyspace of `meta`'s item collection sizes.
fn collections_keyspace(db: &Db, meta: &TableMeta) -> DResult<Option<Keyspace>> {
    meta.collections.as_deref().map(|n| Ok(db.keyspace(n)?)).transpose()
}

/// The keyspaces of `meta`'s indexes, in order.
fn index_keyspaces(db: &Db, meta: &TableMeta) -> DResult<Vec<Keyspace>> {
    meta.indexes.iter().map(|i| Ok(db.keyspace(&i.keyspace)?)).collect()
}

/// Every table.
pub struct Catalog {
    db: Db,
    ks: Keyspace,
    tables: RwLock<BTreeMap<String, Arc<Table>>>,
    /// Serializes create, update and delete; holds the next keyspace number.
    change: Mutex<u64>,
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> DynamoError {
    DynamoError::Internal(format!("the table catalog is corrupt ({what}): {e}"))
}

impl Catalog {
    /// Loads the catalog (creating its keyspace on first use) and drops orphan item keyspaces.
    pub fn open(db: Db) -> DResult<Catalog> {
        let ks = match db.keyspace(CATALOG_KEYSPACE) {
            Ok(ks) => ks,
            Err(_) => db.create_keyspace(CATALOG_KEYSPACE)?,
        };
        let mut tables = BTreeMap::new();
        let mut it = db.iter(&ks, IterOptions::all())?;
        while it.advance()? {
            let name = String::from_utf8(it.key().to_vec()).map_err(|e| corrupt("name", e))?;
            let meta: TableMeta =
                serde_json::from_slice(it.value()).map_err(|e| corrupt(&name, e))?;
            let tks = db.keyspace(&meta.keyspace).map_err(|e| corrupt(&name, e))?;
            let index_ks = index_keyspaces(&db, &meta).map_err(|e| corrupt(&name, e.message()))?;
            let collections_ks =
                collections_keyspace(&db, &meta).map_err(|e| corrupt(&name, e.message()))?;
            tables.insert(name, Arc::new(Table { meta, ks: tks, index_ks, collections_ks }));
        }
        drop(it);
        let mut next = 1u64;
        for name in db.list_keyspaces() {
            let Some(n) = name
                .strip_prefix(TABLE_KEYSPACE_PREFIX)
                .or_else(|| name.strip_prefix(INDEX_KEYSPACE_PREFIX))
                .or_else(|| name.strip_prefix(COLLECTIONS_KEYSPACE_PREFIX))
            else {
                // Stream keyspaces take their numbers from the same sequence; the stream
                // registry keeps them.
                if let Some(n) = name.strip_prefix(STREAM_KEYSPACE_PREFIX) {
                    next = next.max(n.parse::<u64>().map_or(0, |n| n.saturating_add(1)));
                }
                continue;
            };
            if let Ok(n) = n.parse::<u64>() {
                next = next.max(n.saturating_add(1));
            }
            let named = |t: &Arc<Table>| {
                t.meta.keyspace == name
                    || t.meta.indexes.iter().any(|i| i.keyspace == name)
                    || t.meta.collections.as_deref() == Some(name.as_str())
            };
            if !tables.values().any(named) {
                tracing::warn!("dropping keyspace {name}: no table names it (an interrupted CreateTable or DeleteTable)");
                db.drop_keyspace(&db.keyspace(&name)?)?;
            }
        }
        Ok(Catalog { db, ks, tables: RwLock::new(tables), change: Mutex::new(next) })
    }

    /// A table by name.
    pub fn get(&self, name: &str) -> Option<Arc<Table>> {
        self.tables.read().unwrap_or_else(|e| e.into_inner()).get(name).cloned()
    }

    /// Every table's metadata.
    pub fn tables(&self) -> Vec<TableMeta> {
        let tables = self.tables.read().unwrap_or_else(|e| e.into_inner());
        tables.values().map(|t| t.meta.clone()).collect()
    }

    /// Table names in order, from after `start`.
    pub fn names_after(&self, start: Option<&str>, limit: usize) -> (Vec<String>, bool) {
        let tables = self.tables.read().unwrap_or_else(|e| e.into_inner());
        let range = match start {
            Some(s) => {
                tables.range::<str, _>((std::ops::Bound::Excluded(s), std::ops::Bound::Unbounded))
            }
            None => tables.range::<str, _>(..),
        };
        let mut names: Vec<String> =
            range.take(limit.saturating_add(1)).map(|(k, _)| k.clone()).collect();
        let more = names.len() > limit;
        names.truncate(limit);
        (names, more)
    }

    fn store(&self, meta: &TableMeta) -> DResult<()> {
        let json = serde_json::to_vec(meta).map_err(|e| DynamoError::Internal(e.to_string()))?;
        self.db.put_with(&self.ks, meta.name.as_bytes(), &json, WriteOptions::SYNC)?;
        Ok(())
    }

    /// Creates a table with `indexes` secondary indexes (and, when `collections`, a keyspace for
    /// its item collections' sizes); `make` fills in the metadata given the names of the
    /// keyspaces made: the table's, each index's, the collections' (called under the catalog
    /// lock, after the name is known to be free).
    pub fn create(
        &self,
        name: &str,
        (indexes, collections, stream): (usize, bool, bool),
        make: impl FnOnce(String, Vec<String>, Option<String>, Option<String>) -> TableMeta,
    ) -> DResult<Arc<Table>> {
        let mut next = self.change.lock().unwrap_or_else(|e| e.into_inner());
        if self.get(name).is_some() {
            return Err(DynamoError::ResourceInUse(format!("Table already exists: {name}")));
        }
        if self.tables.read().unwrap_or_else(|e| e.into_inner()).len() >= TABLES_MAX {
            return Err(DynamoError::LimitExceeded(format!(
                "Subscriber limit exceeded: Table count exceeds the limit of {TABLES_MAX}"
            )));
        }
        let ks_name = format!("{TABLE_KEYSPACE_PREFIX}{next}");
        *next = next.saturating_add(1);
        let ks = self.db.create_keyspace(&ks_name)?;
        let mut index_names = Vec::with_capacity(indexes);
        let mut index_ks = Vec::with_capacity(indexes);
        for _ in 0..indexes {
            let name = format!("{INDEX_KEYSPACE_PREFIX}{next}");
            *next = next.saturating_add(1);
            index_ks.push(self.db.create_keyspace(&name)?);
            index_names.push(name);
        }
        let (collections_name, collections_ks) = if collections {
            let name = format!("{COLLECTIONS_KEYSPACE_PREFIX}{next}");
            *next = next.saturating_add(1);
            let ks = self.db.create_keyspace(&name)?;
            (Some(name), Some(ks))
        } else {
            (None, None)
        };
        let stream_name = if stream {
            let name = format!("{STREAM_KEYSPACE_PREFIX}{next}");
            *next = next.saturating_add(1);
            self.db.create_keyspace(&name)?;
            Some(name)
        } else {
            None
        };
        let meta = make(ks_name, index_names, collections_name, stream_name);
        debug_assert!(meta.indexes.iter().zip(&index_ks).all(|(m, k)| m.keyspace == k.name()));
        self.store(&meta)?;
        let table = Arc::new(Table { meta, ks, index_ks, collections_ks });
        self.tables
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(name.to_string(), Arc::clone(&table));
        Ok(table)
    }

    /// Rewrites a table's metadata; `change` edits a copy and may refuse.
    pub fn update(
        &self,
        name: &str,
        change: impl FnOnce(&mut TableMeta) -> DResult<()>,
    ) -> DResult<Arc<Table>> {
        let _guard = self.change.lock().unwrap_or_else(|e| e.into_inner());
        let old = self.get(name).ok_or_else(|| not_found(name))?;
        let mut meta = old.meta.clone();
        change(&mut meta)?;
        let index_ks = index_keyspaces(&self.db, &meta)?;
        self.store(&meta)?;
        Ok(self.publish(&old, meta, index_ks))
    }

    /// Makes `meta` (stored) the table `old` is now, with its indexes' keyspaces.
    fn publish(&self, old: &Table, meta: TableMeta, index_ks: Vec<Keyspace>) -> Arc<Table> {
        let name = meta.name.clone();
        let collections_ks = old.collections_ks.clone();
        let table = Arc::new(Table { meta, ks: old.ks.clone(), index_ks, collections_ks });
        self.tables.write().unwrap_or_else(|e| e.into_inner()).insert(name, Arc::clone(&table));
        table
    }

    /// Adds an index to a table: creates its keyspace, then stores the metadata `change` makes
    /// given the keyspace's name (refusing, it leaves nothing behind).
    pub fn add_index(
        &self,
        name: &str,
        change: impl FnOnce(&mut TableMeta, String) -> DResult<()>,
    ) -> DResult<Arc<Table>> {
        self.add_keyspace(name, INDEX_KEYSPACE_PREFIX, change)
    }

    /// Gives a table a keyspace named `prefix` and the next number (an index's, a stream's):
    /// creates it, then stores the metadata `change` makes given its name (refusing, it
    /// leaves nothing behind).
    pub fn add_keyspace(
        &self,
        name: &str,
        prefix: &str,
        change: impl FnOnce(&mut TableMeta, String) -> DResult<()>,
    ) -> DResult<Arc<Table>> {
        let mut next = self.change.lock().unwrap_or_else(|e| e.into_inner());
        let old = self.get(name).ok_or_else(|| not_found(name))?;
        let mut meta = old.meta.clone();
        let ks_name = format!("{prefix}{next}");
        *next = next.saturating_add(1);
        let ks = self.db.create_keyspace(&ks_name)?;
        let stored = change(&mut meta, ks_name)
            .and_then(|()| index_keyspaces(&self.db, &meta))
            .and_then(|index_ks| self.store(&meta).map(|()| index_ks));
        let index_ks = match stored {
            Ok(k) => k,
            Err(e) => {
                // Whatever the failure, the keyspace goes (on open, if not now).
                let _ = self.db.drop_keyspace(&ks);
                return Err(e);
            }
        };
        Ok(self.publish(&old, meta, index_ks))
    }

    /// Deletes a table, its items and its indexes; returns what it was.
    pub fn delete(&self, name: &str) -> DResult<Arc<Table>> {
        let _guard = self.change.lock().unwrap_or_else(|e| e.into_inner());
        let table = self.get(name).ok_or_else(|| not_found(name))?;
        self.db.delete_with(&self.ks, name.as_bytes(), WriteOptions::SYNC)?;
        self.tables.write().unwrap_or_else(|e| e.into_inner()).remove(name);
        self.db.drop_keyspace(&table.ks)?;
        for ks in table.index_ks.iter().chain(&table.collections_ks) {
            self.db.drop_keyspace(ks)?;
        }
        Ok(table)
    }
}

/// DescribeTable's (and the control plane's) message for a missing table.
pub fn not_found(name: &str) -> DynamoError {
    DynamoError::ResourceNotFound(format!("Requested resource not found: Table: {name} not found"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dynamodb::schema::table::{BillingMode, KeyAttr, ScalarType, Throughput};
    use shale_engine::fs::MemFs;
    use shale_engine::Options;

    fn meta(name: &str, ks: String) -> TableMeta {
        TableMeta {
            name: name.into(),
            keyspace: ks,
            hash: KeyAttr { name: "pk".into(), ty: ScalarType::S },
            range: None,
            attribute_definitions: vec![],
            billing: BillingMode::PayPerRequest,
            throughput: Throughput::default(),
            created: 0.0,
            table_id: "id".into(),
            pay_per_request_since: None,
            indexes: vec![],
            collections: None,
            stream: None,
            ttl: None,
            on_demand: None,
            pitr: None,
            restored: None,
            importing: None,
            deletion_protection: false,
            table_class: None,
            tags: Default::default(),
        }
    }

    #[test]
    fn tables_survive_a_reopen_and_names_are_never_reused() {
        let fs = Arc::new(MemFs::new());
        let opts = || Options { fs: fs.clone(), ..Options::default() };
        let db = Db::open("/d", opts()).unwrap();
        let c = Catalog::open(db.clone()).unwrap();
        let a = c.create("alpha", (0, false, false), |ks, _, _, _| meta("alpha", ks)).unwrap();
        assert!(matches!(
            c.create("alpha", (0, false, false), |ks, _, _, _| meta("alpha", ks)),
            Err(DynamoError::ResourceInUse(_))
        ));
        c.create("beta", (0, false, false), |ks, _, _, _| meta("beta", ks)).unwrap();
        c.delete("alpha").unwrap();
        let a2 = c.create("alpha", (0, false, false), |ks, _, _, _| meta("alpha", ks)).unwrap();
        assert_ne!(a.meta.keyspace, a2.meta.keyspace);
        // An orphan keyspace (a crash inside CreateTable) is dropped on open.
        db.create_keyspace("dynamo.t.99").unwrap();
        drop(c);
        db.close().unwrap();
        let db = Db::open("/d", opts()).unwrap();
        let c = Catalog::open(db.clone()).unwrap();
        assert_eq!(c.names_after(None, 10), (vec!["alpha".to_string(), "beta".to_string()], false));
        assert_eq!(c.names_after(Some("alpha"), 10).0, vec!["beta".to_string()]);
        assert_eq!(c.names_after(None, 1), (vec!["alpha".to_string()], true));
        assert!(db.keyspace("dynamo.t.99").is_err());
        let a3 = c.create("gamma", (0, false, false), |ks, _, _, _| meta("gamma", ks)).unwrap();
        assert_eq!(a3.meta.keyspace, "dynamo.t.100");
        c.update("beta", |m| {
            m.billing = BillingMode::Provisioned;
            Ok(())
        })
        .unwrap();
        assert_eq!(c.get("beta").unwrap().meta.billing, BillingMode::Provisioned);
    }
}
