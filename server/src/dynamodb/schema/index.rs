//! A secondary index's metadata, and what an item is in it: whether the item has an entry
//! (sparse indexes: an item without the index's key attributes has none), the entry's engine
//! key ([`crate::dynamodb::model::key::index_entry`]) and its projected attributes.
//!
//! Every index has its own engine keyspace; its entries are written in the same atomic batch as
//! the item change they follow ([`crate::dynamodb::write`]), so an index is never stale.

use crate::dynamodb::limits::{PARTITION_KEY_LEN_MAX, SORT_KEY_LEN_MAX};
use crate::dynamodb::model::key;
use crate::dynamodb::model::value::{AttrValue, Item};
use crate::dynamodb::schema::table::{KeyAttr, KeyError, TableMeta, Throughput};
use serde::{Deserialize, Serialize};

/// Local (same partition key as the table, read with the table's consistency) or global.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum IndexKind {
    Local,
    Global,
}

/// Which attributes an index entry holds besides the table's and the index's keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Projection {
    All,
    KeysOnly,
    /// These non-key attributes.
    Include(Vec<String>),
}

impl Projection {
    pub fn type_name(&self) -> &'static str {
        match self {
            Projection::All => "ALL",
            Projection::KeysOnly => "KEYS_ONLY",
            Projection::Include(_) => "INCLUDE",
        }
    }
}

/// An index's lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum IndexStatus {
    /// Being filled from the table (a GSI added by UpdateTable); written like an active one.
    Creating,
    Active,
    /// Being removed: no longer written or read; its keyspace is dropped in the background.
    Deleting,
}

impl IndexStatus {
    pub fn name(self) -> &'static str {
        match self {
            IndexStatus::Creating => "CREATING",
            IndexStatus::Active => "ACTIVE",
            IndexStatus::Deleting => "DELETING",
        }
    }
}

/// Everything the catalog knows of one index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndexMeta {
    pub name: String,
    pub kind: IndexKind,
    /// Engine keyspace holding the entries (`dynamo.x.<n>`, never reused).
    pub keyspace: String,
    pub hash: KeyAttr,
    pub range: Option<KeyAttr>,
    pub projection: Projection,
    pub status: IndexStatus,
    /// A global index's provisioned throughput (zero in on-demand mode).
    #[serde(default)]
    pub throughput: Throughput,
    /// Seconds since the epoch.
    pub created: f64,
    /// A global index added to a live table: how far its backfill has gone (while `Creating`).
    #[serde(default)]
    pub backfill: Option<Backfill>,
}

/// A backfill's progress, stored with the index so that a restart resumes it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Backfill {
    /// The engine key of the last table item copied (none yet: `None`).
    pub cursor: Option<Vec<u8>>,
    /// Items read from the table so far, and their bytes.
    pub items: u64,
    pub bytes: u64,
}

impl IndexMeta {
    pub fn arn(&self, table_arn: &str) -> String {
        format!("{table_arn}/index/{}", self.name)
    }

    /// Whether writes maintain the index (and reads may use it once it is active).
    pub fn is_written(&self) -> bool {
        self.status != IndexStatus::Deleting
    }

    /// Whether reads may use the index: it holds every entry.
    pub fn is_readable(&self) -> bool {
        self.status == IndexStatus::Active
    }

    /// The index's key attribute names.
    pub fn key_names(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.hash.name.as_str()).chain(self.range.iter().map(|r| r.name.as_str()))
    }

    /// A value of an index key attribute of `item`, checked: `None` when the item does not
    /// have it (no entry). A value of another type than declared, an empty string or binary,
    /// or one too long, is refused with DynamoDB's words (which differ for an empty value an
    /// update expression wrote, `in_update`).
    fn key_value<'i>(
        &self,
        attr: &KeyAttr,
        item: &'i Item,
        in_update: bool,
    ) -> Result<Option<&'i AttrValue>, KeyError> {
        let Some(v) = item.get(&attr.name) else { return Ok(None) };
        if !attr.ty.matches(v) {
            return Err(KeyError::Schema(format!(
                "One or more parameter values were invalid: Type mismatch for Index Key {} Expected: {} Actual: {} IndexName: {}",
                attr.name,
                attr.ty.name(),
                v.type_name(),
                self.name
            )));
        }
        let empty = match v {
            AttrValue::S(s) => s.is_empty().then_some("string"),
            AttrValue::B(b) => b.is_empty().then_some("binary"),
            _ => None,
        };
        if let Some(kind) = empty {
            return Err(KeyError::Value(if in_update {
                format!("One or more parameter values are not valid. The update expression attempted to update a secondary index key to a value that is not supported. The AttributeValue for a key attribute cannot contain an empty {kind} value.")
            } else {
                format!("One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty {kind} value. IndexName: {}, IndexKey: {}", self.name, attr.name)
            }));
        }
        let len = match v {
            AttrValue::S(s) => s.len(),
            AttrValue::B(b) => b.len(),
            _ => 0,
        };
        let max = if Some(attr) == self.range.as_ref() {
            SORT_KEY_LEN_MAX
        } else {
            PARTITION_KEY_LEN_MAX
        };
        if len > max {
            return Err(KeyError::Value(format!(
                "One or more parameter values were invalid: Size limit exceeded for Index Key {} Actual Size: {len} bytes Max Size: {max} bytes IndexName: {}",
                attr.name, self.name
            )));
        }
        Ok(Some(v))
    }

    /// The engine key of `item`'s entry (`table_key`: its key in the table), or `None` when the
    /// item has no entry; an index key value the index cannot hold is an error.
    pub fn entry_key(&self, item: &Item, table_key: &[u8]) -> Result<Option<Vec<u8>>, KeyError> {
        self.checked_entry_key(item, table_key, false)
    }

    /// [`IndexMeta::entry_key`], worded for the result of an update expression when `in_update`.
    pub fn checked_entry_key(
        &self,
        item: &Item,
        table_key: &[u8],
        in_update: bool,
    ) -> Result<Option<Vec<u8>>, KeyError> {
        // Each key attribute the item has is checked, whether or not it has the other.
        let pk = self.key_value(&self.hash, item, in_update)?;
        let sk = match &self.range {
            Some(r) => match self.key_value(r, item, in_update)? {
                Some(v) => Some(v),
                None => return Ok(None),
            },
            None => None,
        };
        let Some(pk) = pk else { return Ok(None) };
        key::index_entry(pk, sk, table_key).map(Some).map_err(|e| KeyError::Value(e.0))
    }

    /// Whether the entry holds `name`.
    pub fn projects(&self, table: &TableMeta, name: &str) -> bool {
        match &self.projection {
            Projection::All => true,
            Projection::KeysOnly => table.is_key_attr(name) || self.key_names().any(|k| k == name),
            Projection::Include(attrs) => {
                table.is_key_attr(name)
                    || self.key_names().any(|k| k == name)
                    || attrs.iter().any(|a| a == name)
            }
        }
    }

    /// The attributes of `item` the entry holds.
    pub fn project(&self, table: &TableMeta, item: &Item) -> Item {
        match &self.projection {
            Projection::All => item.clone(),
            _ => item
                .iter()
                .filter(|(k, _)| self.projects(table, k))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dynamodb::model::number::Number;
    use crate::dynamodb::schema::table::ScalarType;

    fn index(projection: Projection) -> IndexMeta {
        IndexMeta {
            name: "byOwner".into(),
            kind: IndexKind::Global,
            keyspace: "dynamo.x.2".into(),
            hash: KeyAttr { name: "owner".into(), ty: ScalarType::S },
            range: Some(KeyAttr { name: "at".into(), ty: ScalarType::N }),
            projection,
            status: IndexStatus::Active,
            throughput: Throughput::default(),
            created: 0.0,
            backfill: None,
        }
    }

    fn item(pairs: &[(&str, AttrValue)]) -> Item {
        pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
    }

    #[test]
    fn sparse_typed_and_projected() {
        let ix = index(Projection::Include(vec!["note".into()]));
        let s = |x: &str| AttrValue::S(x.into());
        let n = |x: &str| AttrValue::N(Number::parse(x).unwrap());
        // No entry without both index key attributes.
        assert_eq!(ix.entry_key(&item(&[("owner", s("a"))]), b"k").unwrap(), None);
        let full = item(&[
            ("pk", s("1")),
            ("owner", s("a")),
            ("at", n("3")),
            ("note", s("x")),
            ("big", s("y")),
        ]);
        assert!(ix.entry_key(&full, b"k").unwrap().is_some());
        let wrong = item(&[("owner", n("1")), ("at", n("3"))]);
        assert_eq!(
            ix.entry_key(&wrong, b"k").unwrap_err().message(),
            "One or more parameter values were invalid: Type mismatch for Index Key owner Expected: S Actual: N IndexName: byOwner"
        );
        let empty = item(&[("owner", s("")), ("at", n("3"))]);
        assert!(ix
            .entry_key(&empty, b"k")
            .unwrap_err()
            .message()
            .contains("cannot contain an empty string value. IndexName: byOwner, IndexKey: owner"));
        let table = TableMeta::for_tests("pk", None);
        let p = ix.project(&table, &full);
        assert_eq!(p.keys().map(String::as_str).collect::<Vec<_>>(), ["at", "note", "owner", "pk"]);
        assert_eq!(index(Projection::KeysOnly).project(&table, &full).len(), 3);
        assert_eq!(index(Projection::All).project(&table, &full), full);
    }
}
