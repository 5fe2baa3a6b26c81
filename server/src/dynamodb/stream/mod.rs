//! DynamoDB Streams, the table's side: a stream's metadata, its layout on disk
//! ([`shards`]), its records ([`record`]), the live state that numbers and shards new records
//! ([`live`]), and every stream of the server ([`registry`]). The Streams API that reads
//! them is [`crate::streams`].
//!
//! A record is written in the same engine batch as the item change it describes, by the one
//! write path ([`crate::dynamodb::write`]): a change is in the stream if and only if it is in
//! the table, across crashes.

pub mod live;
pub mod record;
pub mod registry;
pub mod shards;
pub mod worker;

use crate::dynamodb::schema::table::KeyAttr;
use serde::{Deserialize, Serialize};

/// What a stream's records hold (`StreamViewType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ViewType {
    KeysOnly,
    NewImage,
    OldImage,
    NewAndOldImages,
}

impl ViewType {
    pub fn name(self) -> &'static str {
        match self {
            ViewType::KeysOnly => "KEYS_ONLY",
            ViewType::NewImage => "NEW_IMAGE",
            ViewType::OldImage => "OLD_IMAGE",
            ViewType::NewAndOldImages => "NEW_AND_OLD_IMAGES",
        }
    }

    pub fn parse(s: &str) -> Option<ViewType> {
        match s {
            "KEYS_ONLY" => Some(ViewType::KeysOnly),
            "NEW_IMAGE" => Some(ViewType::NewImage),
            "OLD_IMAGE" => Some(ViewType::OldImage),
            "NEW_AND_OLD_IMAGES" => Some(ViewType::NewAndOldImages),
            _ => None,
        }
    }

    /// The enum set as DynamoDB's validation message lists it (its own order).
    pub const ENUM_SET: &'static str = "[OLD_IMAGE, KEYS_ONLY, NEW_AND_OLD_IMAGES, NEW_IMAGE]";
}

/// A table's latest stream, as its metadata records it (DescribeTable's
/// `StreamSpecification`, `LatestStreamArn` and `LatestStreamLabel`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamRef {
    pub arn: String,
    pub label: String,
    pub view: ViewType,
    /// The keyspace of its records (`dynamo.s.<n>`).
    pub keyspace: String,
    /// Records are written while it is enabled; a disabled one stays readable.
    pub enabled: bool,
}

/// A stream, as the stream registry stores it (by ARN, in `dynamo.streams`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StreamMeta {
    pub arn: String,
    pub label: String,
    pub table_name: String,
    /// The keyspace of its records and generations (`dynamo.s.<n>`).
    pub keyspace: String,
    pub view: ViewType,
    pub hash: KeyAttr,
    pub range: Option<KeyAttr>,
    /// When it was enabled, seconds since the epoch.
    pub created: f64,
    /// When it was disabled (or its table deleted), seconds since the epoch.
    pub disabled: Option<f64>,
}

/// A stream's label: its creation time, UTC, `YYYY-MM-DDTHH:MM:SS.mmm` (DynamoDB's form, no
/// zone).
pub fn label_of(ms: u64) -> String {
    let secs = ms / 1000;
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let (y, mo, d) = shale_aws::sigv4::time::civil_from_days(days);
    let rem = secs % 86_400;
    format!(
        "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}.{:03}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        ms % 1000
    )
}

/// A stream's ARN: `<table ARN>/stream/<label>`.
pub fn arn_of(table_arn: &str, label: &str) -> String {
    format!("{table_arn}/stream/{label}")
}

/// Milliseconds since the epoch.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod format_tests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_and_arns() {
        assert_eq!(label_of(1_432_154_270_252), "2015-05-20T20:37:50.252");
        assert_eq!(
            arn_of("arn:aws:dynamodb:us-east-1:000000000000:table/T", "2015-05-20T20:37:50.252"),
            "arn:aws:dynamodb:us-east-1:000000000000:table/T/stream/2015-05-20T20:37:50.252"
        );
        for v in ["KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"] {
            assert_eq!(ViewType::parse(v).map(ViewType::name), Some(v));
        }
        assert_eq!(ViewType::parse("new_image"), None);
    }
}
