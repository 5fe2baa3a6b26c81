//! What a Query or Scan reads: the table, or one of its secondary indexes. The source knows its
//! keyspace, its key attributes, how a sort key value becomes a position in its keyspace, the
//! engine key of an `ExclusiveStartKey` and the `LastEvaluatedKey` of an item.

use crate::dynamodb::error::{validation, DResult, DynamoError};
use crate::dynamodb::model::key;
use crate::dynamodb::model::value::{AttrValue, Item};
use crate::dynamodb::ops::decode;
use crate::dynamodb::schema::catalog::Table;
use crate::dynamodb::schema::index::{IndexKind, IndexMeta, Projection};
use crate::dynamodb::schema::table::KeyAttr;
use shale_engine::{Keyspace, Snapshot};

/// A table, or one of its indexes.
pub struct Source<'t> {
    pub table: &'t Table,
    pub index: Option<(&'t IndexMeta, &'t Keyspace)>,
}

impl<'t> Source<'t> {
    /// The table, or its index called `name` (DynamoDB's message when it has none).
    pub fn of(table: &'t Table, index: Option<&str>) -> DResult<Source<'t>> {
        let index = match index {
            None => None,
            Some(name) => {
                let found = table.index(name).ok_or_else(|| {
                    validation(format!("The table does not have the specified index: {name}"))
                })?;
                if !found.0.is_readable() {
                    return Err(validation(format!(
                        "Cannot read from backfilling global secondary index: {name}"
                    )));
                }
                Some(found)
            }
        };
        Ok(Source { table, index })
    }

    pub fn ks(&self) -> &Keyspace {
        self.index.map_or(&self.table.ks, |(_, ks)| ks)
    }

    pub fn hash(&self) -> &KeyAttr {
        self.index.map_or(&self.table.meta.hash, |(ix, _)| &ix.hash)
    }

    pub fn range(&self) -> Option<&KeyAttr> {
        match self.index {
            Some((ix, _)) => ix.range.as_ref(),
            None => self.table.meta.range.as_ref(),
        }
    }

    /// Whether `name` is one of this source's key attributes.
    pub fn is_key_attr(&self, name: &str) -> bool {
        self.hash().name == name || self.range().is_some_and(|r| r.name == name)
    }

    pub fn global_index(&self) -> Option<&IndexMeta> {
        self.index.map(|(ix, _)| ix).filter(|ix| ix.kind == IndexKind::Global)
    }

    /// Whether the source's entries hold every attribute (the table, or an `ALL` index).
    pub fn holds_everything(&self) -> bool {
        self.index.is_none_or(|(ix, _)| ix.projection == Projection::All)
    }

    /// Whether an item read from the source holds the attribute `name`.
    pub fn holds(&self, name: &str) -> bool {
        self.index.is_none_or(|(ix, _)| ix.projects(&self.table.meta, name))
    }

    /// The position of the sort key value `v` within a partition (after its prefix), and
    /// whether positions are whole engine keys (the table's: the sort key is last) or prefixes
    /// of them (an index's: its entries go on with the table key).
    pub fn sort_position(&self, v: &AttrValue) -> DResult<(Vec<u8>, bool)> {
        Ok(match self.index {
            None => (key::sort_component(v)?, true),
            Some(_) => (key::index_sort_component(v)?, false),
        })
    }

    /// The prefix of every sort key starting with `v` (`begins_with`).
    pub fn sort_prefix(&self, v: &AttrValue) -> DResult<Vec<u8>> {
        Ok(match self.index {
            None => key::sort_component(v)?,
            Some(_) => key::index_sort_prefix(v)?,
        })
    }

    /// The engine key an `ExclusiveStartKey` stands for: the table key, plus the index keys
    /// when reading an index, and nothing else.
    pub fn start_key(&self, start: &Item) -> DResult<Vec<u8>> {
        let invalid = || {
            validation("The provided starting key is invalid: The provided key element does not match the schema")
        };
        let meta = &self.table.meta;
        let Some((ix, _)) = self.index else {
            return meta.key_of_key(start).map_err(|_| invalid());
        };
        let names: std::collections::BTreeSet<&str> =
            meta.key_names().chain(ix.key_names()).collect();
        if start.len() != names.len() || !start.keys().all(|k| names.contains(k.as_str())) {
            return Err(invalid());
        }
        let table_key = meta.key_of_item(start).map_err(|_| invalid())?;
        ix.entry_key(start, &table_key).ok().flatten().ok_or_else(invalid)
    }

    /// The `LastEvaluatedKey` of `item` (read from this source).
    pub fn last_key(&self, item: &Item) -> Item {
        let names = self
            .table
            .meta
            .key_names()
            .chain(self.index.into_iter().flat_map(|(ix, _)| ix.key_names()));
        names.filter_map(|n| item.get(n).map(|v| (n.to_string(), v.clone()))).collect()
    }

    /// The table's item for an entry read from an index (the entry holds the table key), read
    /// from `snapshot`, the one the entry was read from.
    pub fn fetch(&self, snapshot: &Snapshot, entry: &Item) -> DResult<Option<Item>> {
        let key = self.table.meta.key_of_item(entry).map_err(|e| {
            DynamoError::Internal(format!("an index entry lacks its table key: {}", e.message()))
        })?;
        match snapshot.get(&self.table.ks, &key)? {
            Some(bytes) => decode(&bytes).map(Some),
            None => Ok(None),
        }
    }

    /// What a `Select` of the index's projection returns of a fetched item.
    pub fn projected(&self, item: Item) -> Item {
        match self.index {
            Some((ix, _)) => ix.project(&self.table.meta, &item),
            None => item,
        }
    }
}
