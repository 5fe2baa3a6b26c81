//! A table's metadata (what the catalog stores) and its key schema: which attributes form the
//! key, their types, and how an item's key becomes an engine key.
//!
//! The metadata is stored as JSON in the catalog keyspace. Fields that later features add
//! (secondary indexes, streams, TTL) are optional with serde defaults, so catalogs written
//! before them still load.

use crate::dynamodb::error::DynamoError;
use crate::dynamodb::model::key;
use crate::dynamodb::model::value::{AttrValue, Item};
use crate::dynamodb::schema::index::IndexMeta;
use serde::{Deserialize, Serialize};

/// The type a key attribute is declared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ScalarType {
    S,
    N,
    B,
}

impl ScalarType {
    pub fn parse(s: &str) -> Option<ScalarType> {
        match s {
            "S" => Some(ScalarType::S),
            "N" => Some(ScalarType::N),
            "B" => Some(ScalarType::B),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            ScalarType::S => "S",
            ScalarType::N => "N",
            ScalarType::B => "B",
        }
    }

    /// Whether `v` is of this type.
    pub fn matches(self, v: &AttrValue) -> bool {
        matches!(
            (self, v),
            (ScalarType::S, AttrValue::S(_))
                | (ScalarType::N, AttrValue::N(_))
                | (ScalarType::B, AttrValue::B(_))
        )
    }
}

/// A key attribute: name and declared type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyAttr {
    pub name: String,
    pub ty: ScalarType,
}

/// `BillingMode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BillingMode {
    Provisioned,
    PayPerRequest,
}

impl BillingMode {
    pub fn name(self) -> &'static str {
        match self {
            BillingMode::Provisioned => "PROVISIONED",
            BillingMode::PayPerRequest => "PAY_PER_REQUEST",
        }
    }
}

/// Provisioned throughput and its change history (DynamoDB reports both).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Throughput {
    pub read: i64,
    pub write: i64,
    /// Seconds since the epoch of the last increase and decrease.
    pub last_increase: Option<f64>,
    pub last_decrease: Option<f64>,
    pub decreases_today: i64,
}

/// Everything the catalog knows of a table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableMeta {
    pub name: String,
    /// Engine keyspace holding the items (named by a number, so a table recreated under the same
    /// name never sees the old one's items).
    pub keyspace: String,
    pub hash: KeyAttr,
    pub range: Option<KeyAttr>,
    /// Every attribute definition given at creation (key attributes, later index keys).
    pub attribute_definitions: Vec<KeyAttr>,
    pub billing: BillingMode,
    pub throughput: Throughput,
    /// Seconds since the epoch.
    pub created: f64,
    /// A unique id (DynamoDB's TableId).
    pub table_id: String,
    /// When billing was last switched to PAY_PER_REQUEST.
    #[serde(default)]
    pub pay_per_request_since: Option<f64>,
    /// Secondary indexes, global ones first (DynamoDB checks an item against them first), each
    /// kind in creation order.
    #[serde(default)]
    pub indexes: Vec<IndexMeta>,
    /// A table with local indexes: the keyspace of its item collections' sizes (`dynamo.c.<n>`,
    /// key: the partition's key component, value: u64 little-endian bytes).
    #[serde(default)]
    pub collections: Option<String>,
    /// Its latest stream (enabled, or disabled and still named by DescribeTable).
    #[serde(default)]
    pub stream: Option<crate::dynamodb::stream::StreamRef>,
    /// Time to Live: the attribute while it is enabled, and when it last changed.
    #[serde(default)]
    pub ttl: Option<TtlMeta>,
    /// An on-demand table's own maximum request units a second (`OnDemandThroughput`).
    #[serde(default)]
    pub on_demand: Option<OnDemand>,
    /// Point-in-time recovery, while enabled.
    #[serde(default)]
    pub pitr: Option<PitrMeta>,
    /// What the table was restored from, if it was (DescribeTable's `RestoreSummary`).
    #[serde(default)]
    pub restored: Option<RestoreMeta>,
    /// The ARN of the ImportTable filling the table, while it runs: the table is `CREATING`,
    /// item operations do not find it, and a crash leaves it to be removed at the next start.
    #[serde(default)]
    pub importing: Option<String>,
    /// `DeletionProtectionEnabled`: DeleteTable refuses the table while it is on.
    #[serde(default)]
    pub deletion_protection: bool,
    /// `TableClass`, once given (CreateTable or UpdateTable); none: STANDARD, never set.
    #[serde(default)]
    pub table_class: Option<String>,
    /// Its tags, key → value (CreateTable's `Tags`, TagResource, UntagResource; at most
    /// [`crate::dynamodb::limits::TAGS_PER_RESOURCE_MAX`]). A restore does not copy them, as
    /// DynamoDB's restores do not.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub tags: std::collections::BTreeMap<String, String>,
}

/// A table's point-in-time recovery setting, while enabled.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PitrMeta {
    /// When it was (last) enabled, seconds since the epoch: no restore reaches before.
    pub since: f64,
    /// `RecoveryPeriodInDays` (1 to 35).
    pub period_days: u32,
}

/// Where a restored table came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RestoreMeta {
    /// `SourceBackupArn`, for a restore from an on-demand backup.
    #[serde(default)]
    pub source_backup_arn: Option<String>,
    /// `SourceTableArn`.
    pub source_table_arn: String,
    /// The instant restored, seconds since the epoch (`RestoreDateTime`).
    pub restore_time: f64,
    /// True until every item is copied: a table left so by a crash is removed at the next
    /// start.
    pub in_progress: bool,
}

/// `OnDemandThroughput`: most read and write request units a second (-1: no maximum of the
/// table's own, DynamoDB's per-table maximum applies).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnDemand {
    pub read: i64,
    pub write: i64,
}

/// A table's Time to Live setting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TtlMeta {
    /// The attribute items expire by, while TTL is enabled.
    pub attribute: Option<String>,
    /// When it was last enabled or disabled, seconds since the epoch.
    pub changed: f64,
}

/// Why a key was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyError {
    /// The key does not fit the schema (missing attribute, wrong type, extra attribute). A
    /// transaction reports it as its action's cancellation reason.
    Schema(String),
    /// A key value is invalid whatever the schema (empty, too long): always the request's error.
    Value(String),
}

impl KeyError {
    pub fn message(&self) -> &str {
        match self {
            KeyError::Schema(m) | KeyError::Value(m) => m,
        }
    }
}

impl From<KeyError> for DynamoError {
    fn from(e: KeyError) -> Self {
        DynamoError::Validation(e.message().to_string())
    }
}

/// Checks a key value by itself (DynamoDB names the attribute in the message).
fn check_value(attr: &KeyAttr, v: &AttrValue, range: bool) -> Result<(), KeyError> {
    let (len, empty_kind) = match v {
        AttrValue::S(s) => (s.len(), "string"),
        AttrValue::B(b) => (b.len(), "binary"),
        _ => return Ok(()),
    };
    if len == 0 {
        return Err(KeyError::Value(format!(
            "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty {empty_kind} value. Key: {}",
            attr.name
        )));
    }
    if range && len > crate::dynamodb::limits::SORT_KEY_LEN_MAX {
        return Err(KeyError::Value(format!(
            "One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of {} bytes",
            crate::dynamodb::limits::SORT_KEY_LEN_MAX
        )));
    }
    if !range && len > crate::dynamodb::limits::PARTITION_KEY_LEN_MAX {
        return Err(KeyError::Value(format!(
            "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of{} bytes",
            crate::dynamodb::limits::PARTITION_KEY_LEN_MAX
        )));
    }
    Ok(())
}

fn encode(pk: &AttrValue, sk: Option<&AttrValue>) -> Result<Vec<u8>, KeyError> {
    key::encode(pk, sk).map_err(|e| KeyError::Value(e.0))
}

impl TableMeta {
    pub fn arn(&self, region: &str, account: &str) -> String {
        format!("arn:aws:dynamodb:{region}:{account}:table/{}", self.name)
    }

    /// The key attributes' names.
    pub fn key_names(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.hash.name.as_str()).chain(self.range.iter().map(|r| r.name.as_str()))
    }

    pub fn is_key_attr(&self, name: &str) -> bool {
        self.key_names().any(|k| k == name)
    }

    fn typed<'i>(&self, attr: &KeyAttr, v: &'i AttrValue) -> Result<&'i AttrValue, KeyError> {
        if !attr.ty.matches(v) {
            return Err(KeyError::Schema(format!(
                "One or more parameter values were invalid: Type mismatch for key {} expected: {} actual: {}",
                attr.name,
                attr.ty.name(),
                v.type_name()
            )));
        }
        check_value(attr, v, self.range.as_ref() == Some(attr))?;
        Ok(v)
    }

    /// The engine key of a whole item (PutItem): the key attributes must be present and typed.
    pub fn key_of_item(&self, item: &Item) -> Result<Vec<u8>, KeyError> {
        let get = |attr: &KeyAttr| -> Result<&AttrValue, KeyError> {
            let v = item.get(&attr.name).ok_or_else(|| {
                KeyError::Schema(format!(
                    "One or more parameter values were invalid: Missing the key {} in the item",
                    attr.name
                ))
            })?;
            self.typed(attr, v)
        };
        let pk = get(&self.hash)?;
        let sk = match &self.range {
            Some(r) => Some(get(r)?),
            None => None,
        };
        encode(pk, sk)
    }

    /// The engine key of a `Key` parameter: exactly the key attributes.
    pub fn key_of_key(&self, k: &Item) -> Result<Vec<u8>, KeyError> {
        let wanted = 1 + usize::from(self.range.is_some());
        let mismatch =
            || KeyError::Schema("The provided key element does not match the schema".into());
        if k.len() != wanted {
            return Err(mismatch());
        }
        let pk = k.get(&self.hash.name).ok_or_else(mismatch)?;
        if !self.hash.ty.matches(pk) {
            return Err(mismatch());
        }
        check_value(&self.hash, pk, false)?;
        let sk = match &self.range {
            Some(r) => {
                let v = k.get(&r.name).ok_or_else(mismatch)?;
                if !r.ty.matches(v) {
                    return Err(mismatch());
                }
                check_value(r, v, true)?;
                Some(v)
            }
            None => None,
        };
        encode(pk, sk)
    }

    /// The index called `name` that reads may use (not one being deleted).
    pub fn index(&self, name: &str) -> Option<&IndexMeta> {
        self.indexes.iter().find(|i| i.name == name && i.is_written())
    }

    /// A bare table for unit tests: hash key `hash` (S), sort key `range` (N).
    #[cfg(test)]
    pub fn for_tests(hash: &str, range: Option<&str>) -> TableMeta {
        TableMeta {
            name: "t".into(),
            keyspace: "dynamo.t.1".into(),
            hash: KeyAttr { name: hash.into(), ty: ScalarType::S },
            range: range.map(|r| KeyAttr { name: r.into(), ty: ScalarType::N }),
            attribute_definitions: vec![],
            billing: BillingMode::PayPerRequest,
            throughput: Throughput::default(),
            created: 0.0,
            table_id: "x".into(),
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

    /// The key attributes of an item (a `LastEvaluatedKey`, an `UnprocessedKeys` entry).
    pub fn key_attrs(&self, item: &Item) -> Item {
        self.key_names().filter_map(|n| item.get(n).map(|v| (n.to_string(), v.clone()))).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dynamodb::model::number::Number;

    fn meta(range: bool) -> TableMeta {
        TableMeta::for_tests("pk", range.then_some("sk"))
    }

    #[test]
    fn keys_are_checked_against_the_schema() {
        let m = meta(true);
        let mut item = Item::new();
        item.insert("pk".into(), AttrValue::S("a".into()));
        assert!(m.key_of_item(&item).unwrap_err().message().contains("Missing the key sk"));
        item.insert("sk".into(), AttrValue::S("1".into()));
        assert!(m
            .key_of_item(&item)
            .unwrap_err()
            .message()
            .contains("Type mismatch for key sk expected: N actual: S"));
        item.insert("sk".into(), AttrValue::N(Number::parse("1").unwrap()));
        let k = m.key_of_item(&item).unwrap();
        item.insert("other".into(), AttrValue::Bool(true));
        assert_eq!(m.key_of_item(&item).unwrap(), k);
        assert!(m.key_of_key(&item).is_err());
        let key = m.key_attrs(&item);
        assert_eq!(key.len(), 2);
        assert_eq!(m.key_of_key(&key).unwrap(), k);
        let m1 = meta(false);
        assert!(m1.key_of_key(&key).is_err());
    }
}
