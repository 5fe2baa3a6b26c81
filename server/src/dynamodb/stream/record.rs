//! A stream record: what one item change left in its stream, stored under its shard and
//! sequence number ([`super::shards`]) and rendered as the Streams API's `Record`.
//!
//! ```text
//! record value: version (u8, 1) | event (u8: 1 INSERT, 2 MODIFY, 3 REMOVE)
//!             | flags (u8: bit 0 a TTL deletion, bit 1 OldImage follows, bit 2 NewImage follows)
//!             | created ms (u64 LE)
//!             | Keys (varint length, the stored item form)
//!             | OldImage (the same, when flagged) | NewImage (the same, when flagged)
//!             | crc32 (u32 LE) of everything before it
//! ```
//!
//! The images kept are those of the stream's view type, chosen when the record is written.

use super::ViewType;
use crate::byte_reader::{put_varint, ByteReader};
use crate::dynamodb::error::{DResult, DynamoError};
use crate::dynamodb::model::item_codec;
use crate::dynamodb::model::value::{item_size, item_to_json, Item};
use serde_json::{json, Map, Value as Json};

/// The record format's version byte.
pub const RECORD_VERSION: u8 = 1;
const FLAG_TTL: u8 = 1;
const FLAG_OLD: u8 = 2;
const FLAG_NEW: u8 = 4;
/// Bytes of a record beside its items: version, event, flags, time, checksum.
pub const RECORD_OVERHEAD_LEN: usize = 1 + 1 + 1 + 8 + 4;

/// What happened to the item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventName {
    Insert,
    Modify,
    Remove,
}

impl EventName {
    pub fn name(self) -> &'static str {
        match self {
            EventName::Insert => "INSERT",
            EventName::Modify => "MODIFY",
            EventName::Remove => "REMOVE",
        }
    }

    fn code(self) -> u8 {
        match self {
            EventName::Insert => 1,
            EventName::Modify => 2,
            EventName::Remove => 3,
        }
    }

    fn of_code(c: u8) -> Option<EventName> {
        match c {
            1 => Some(EventName::Insert),
            2 => Some(EventName::Modify),
            3 => Some(EventName::Remove),
            _ => None,
        }
    }
}

/// One stream record.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub event: EventName,
    /// Written by the TTL expirer (its `userIdentity` is DynamoDB's service).
    pub by_ttl: bool,
    pub created_ms: u64,
    pub keys: Item,
    pub old: Option<Item>,
    pub new: Option<Item>,
}

impl Record {
    /// The record of a change from `old` to `new` (at least one present, and different) of
    /// the item whose key attributes are `keys`, with the images `view` keeps; `None` when
    /// nothing changed (DynamoDB writes no record then).
    pub fn of_change(
        view: ViewType,
        keys: &Item,
        old: Option<&Item>,
        new: Option<&Item>,
        created_ms: u64,
        by_ttl: bool,
    ) -> Option<Record> {
        let event = match (old, new) {
            (None, None) => return None,
            (Some(o), Some(n)) if o == n => return None,
            (None, Some(_)) => EventName::Insert,
            (Some(_), Some(_)) => EventName::Modify,
            (Some(_), None) => EventName::Remove,
        };
        let (keep_old, keep_new) = match view {
            ViewType::KeysOnly => (false, false),
            ViewType::NewImage => (false, true),
            ViewType::OldImage => (true, false),
            ViewType::NewAndOldImages => (true, true),
        };
        Some(Record {
            event,
            by_ttl,
            created_ms,
            keys: keys.clone(),
            old: old.filter(|_| keep_old).cloned(),
            new: new.filter(|_| keep_new).cloned(),
        })
    }

    /// DynamoDB's `SizeBytes`: the item sizes of Keys and the images kept.
    pub fn size_bytes(&self) -> usize {
        item_size(&self.keys)
            + self.old.as_ref().map_or(0, item_size)
            + self.new.as_ref().map_or(0, item_size)
    }

    /// The stored form.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64);
        out.push(RECORD_VERSION);
        out.push(self.event.code());
        let mut flags = 0;
        for (set, bit) in [
            (self.by_ttl, FLAG_TTL),
            (self.old.is_some(), FLAG_OLD),
            (self.new.is_some(), FLAG_NEW),
        ] {
            if set {
                flags |= bit;
            }
        }
        out.push(flags);
        out.extend_from_slice(&self.created_ms.to_le_bytes());
        for item in std::iter::once(&self.keys).chain(&self.old).chain(&self.new) {
            let bytes = item_codec::encode(item);
            put_varint(&mut out, bytes.len() as u64);
            out.extend_from_slice(&bytes);
        }
        let crc = crc32fast::hash(&out);
        out.extend_from_slice(&crc.to_le_bytes());
        out
    }

    /// Decodes a stored record.
    pub fn decode(b: &[u8]) -> DResult<Record> {
        let corrupt =
            |what: &str| DynamoError::Internal(format!("a stream record is corrupt ({what})"));
        if b.len() < RECORD_OVERHEAD_LEN {
            return Err(corrupt("truncated"));
        }
        let (body, crc) = b.split_at(b.len() - 4);
        if crc32fast::hash(body).to_le_bytes()[..] != *crc {
            return Err(corrupt("checksum"));
        }
        let mut r = ByteReader::new(body);
        let short = |_| corrupt("truncated");
        if r.u8().map_err(short)? != RECORD_VERSION {
            return Err(corrupt("unknown version"));
        }
        let event = EventName::of_code(r.u8().map_err(short)?).ok_or_else(|| corrupt("event"))?;
        let flags = r.u8().map_err(short)?;
        if flags & !(FLAG_TTL | FLAG_OLD | FLAG_NEW) != 0 {
            return Err(corrupt("flags"));
        }
        let created_ms = u64::from_le_bytes(r.array().map_err(short)?);
        let mut item = || -> DResult<Item> {
            let len = r.varint().map_err(|_| corrupt("length"))?;
            let len = usize::try_from(len).map_err(|_| corrupt("length"))?;
            let bytes = r.take(len).map_err(short)?;
            item_codec::decode(bytes).map_err(|e| corrupt(e.0))
        };
        let keys = item()?;
        let old = if flags & FLAG_OLD != 0 { Some(item()?) } else { None };
        let new = if flags & FLAG_NEW != 0 { Some(item()?) } else { None };
        if r.remaining() != 0 {
            return Err(corrupt("trailing bytes"));
        }
        Ok(Record { event, by_ttl: flags & FLAG_TTL != 0, created_ms, keys, old, new })
    }

    /// The Streams API's `Record` of this record, the stream's `seq`-th.
    pub fn to_json(&self, seq: u64, stream_arn: &str, view: ViewType, region: &str) -> Json {
        let mut d = Map::new();
        d.insert("ApproximateCreationDateTime".into(), json!(self.created_ms / 1000));
        d.insert("Keys".into(), item_to_json(&self.keys));
        if let Some(n) = &self.new {
            d.insert("NewImage".into(), item_to_json(n));
        }
        if let Some(o) = &self.old {
            d.insert("OldImage".into(), item_to_json(o));
        }
        d.insert("SequenceNumber".into(), json!(super::shards::format_seq(seq)));
        d.insert("SizeBytes".into(), json!(self.size_bytes()));
        d.insert("StreamViewType".into(), json!(view.name()));
        let mut r = Map::new();
        r.insert("eventID".into(), json!(event_id(stream_arn, seq)));
        r.insert("eventName".into(), json!(self.event.name()));
        r.insert("eventVersion".into(), json!("1.1"));
        r.insert("eventSource".into(), json!("aws:dynamodb"));
        r.insert("awsRegion".into(), json!(region));
        r.insert("dynamodb".into(), Json::Object(d));
        if self.by_ttl {
            r.insert(
                "userIdentity".into(),
                json!({"Type": "Service", "PrincipalId": "dynamodb.amazonaws.com"}),
            );
        }
        Json::Object(r)
    }
}

/// A record's `eventID`: 32 hex digits, the xxh3-128 of its stream and sequence number (the
/// same record always has the same id; two records never share one in practice).
pub fn event_id(stream_arn: &str, seq: u64) -> String {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    h.update(stream_arn.as_bytes());
    h.update(&seq.to_le_bytes());
    format!("{:032x}", h.digest128())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dynamodb::model::value::AttrValue;

    fn item(pairs: &[(&str, &str)]) -> Item {
        pairs.iter().map(|(k, v)| (k.to_string(), AttrValue::S(v.to_string()))).collect()
    }

    #[test]
    fn events_images_and_sizes() {
        let keys = item(&[("pk", "a"), ("sk", "b")]);
        let old = item(&[("pk", "a"), ("sk", "b"), ("data", "old")]);
        let new = item(&[("pk", "a"), ("sk", "b"), ("data", "test")]);
        let v = ViewType::NewAndOldImages;
        assert_eq!(Record::of_change(v, &keys, None, None, 0, false), None);
        assert_eq!(Record::of_change(v, &keys, Some(&old), Some(&old), 0, false), None);
        let ins = Record::of_change(ViewType::NewImage, &keys, None, Some(&new), 0, false).unwrap();
        // DynamoDB's own figures: Keys {pk: "a", sk: "b"} is 6 bytes, NewImage 14.
        assert_eq!((ins.event, ins.size_bytes()), (EventName::Insert, 20));
        let m = Record::of_change(v, &keys, Some(&old), Some(&new), 0, false).unwrap();
        assert_eq!((m.event, m.size_bytes()), (EventName::Modify, 6 + 13 + 14));
        let r = Record::of_change(ViewType::KeysOnly, &keys, Some(&old), None, 0, true).unwrap();
        assert_eq!((r.event, r.old.is_none(), r.size_bytes()), (EventName::Remove, true, 6));
        let j = r.to_json(5, "arn", ViewType::KeysOnly, "us-east-1");
        assert_eq!(j["userIdentity"]["PrincipalId"], "dynamodb.amazonaws.com");
        assert_eq!(j["dynamodb"]["SequenceNumber"], "000000000000000000005");
        assert_eq!(j["eventID"].as_str().unwrap().len(), 32);
        assert!(m.to_json(1, "arn", v, "r").get("userIdentity").is_none());
    }

    #[test]
    fn the_stored_form_round_trips_and_refuses_damage() {
        let keys = item(&[("pk", "a")]);
        let new = item(&[("pk", "a"), ("x", "y")]);
        for view in
            [ViewType::KeysOnly, ViewType::NewImage, ViewType::OldImage, ViewType::NewAndOldImages]
        {
            let r = Record::of_change(view, &keys, Some(&keys), Some(&new), 1234, true).unwrap();
            let b = r.encode();
            assert_eq!(Record::decode(&b).unwrap(), r);
            for i in 0..b.len() {
                let mut bad = b.clone();
                bad[i] ^= 0x40;
                assert!(Record::decode(&bad).is_err(), "flipped byte {i}");
            }
            assert!(Record::decode(&b[..b.len() - 1]).is_err());
        }
    }
}
