//! A stream's layout in its keyspace (`dynamo.s.<n>`): generations of shards, and the keys of
//! their records. Specified in `docs/format/dynamodb.md` ("Stream keyspaces").
//!
//! A stream is cut into **generations**; each generation has [`SHARDS_PER_GENERATION`] shards,
//! and an item's records go to the shard its partition key hashes to, so one item's records
//! stay in one shard, in order. Every rollover (`--stream-shard-rollover`) starts a new
//! generation: shard `i` of the new one is the child of shard `i` of the old one (the same
//! partitions hash to both), and the old one is closed. Sequence numbers are the stream's own
//! counter: increasing within a shard, across shards, and from parent to child.
//!
//! ```text
//! generation key: 0x00 | generation (u32 BE)
//! generation value: start sequence (u64 LE) | created ms (u64 LE) | shards (u16 LE) | crc32 (u32 LE)
//! record key:     0x01 | generation (u32 BE) | shard (u16 BE) | sequence (u64 BE)
//! record value:   see `record.rs`
//! reservation key: 0x02
//! reservation value: bound (u64 LE) | crc32 (u32 LE)
//! trim key:       0x03
//! trim value:     first untrimmed generation (u64 LE) | crc32 (u32 LE)
//! ```

use crate::byte_reader::ByteReader;
use crate::dynamodb::error::{DResult, DynamoError};

/// Shards in each generation.
pub const SHARDS_PER_GENERATION: u16 = 4;
/// The first byte of a generation key.
pub const GENERATION_TAG: u8 = 0x00;
/// The first byte of a record key.
pub const RECORD_TAG: u8 = 0x01;
/// The key of the reservation entry: every sequence number below its value may have been
/// handed out (see `live.rs`).
pub const RESERVED_KEY: [u8; 1] = [0x02];
/// The key of the trim entry: every generation numbered below its value is trimmed (its
/// records deleted, or being deleted).
pub const TRIMMED_KEY: [u8; 1] = [0x03];
/// Bytes of the reservation entry's value: the bound (u64 LE) and its crc32 (u32 LE).
pub const RESERVED_VALUE_LEN: usize = 8 + 4;
/// Sequence numbers reserved by one durable write of the reservation entry.
pub const RESERVE_BLOCK: u64 = 4096;
/// Bytes of a record key.
pub const RECORD_KEY_LEN: usize = 1 + 4 + 2 + 8;
/// Bytes of a generation key.
pub const GENERATION_KEY_LEN: usize = 1 + 4;
/// Bytes of a generation value.
pub const GENERATION_VALUE_LEN: usize = 8 + 8 + 2 + 4;
/// Digits of a sequence number as the API writes it (the model's minimum length).
pub const SEQUENCE_DIGITS: usize = 21;

const _: () = assert!(RECORD_KEY_LEN == 15 && GENERATION_VALUE_LEN == 22);

/// One generation of shards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Generation {
    pub number: u32,
    /// The first sequence number of its records.
    pub start: u64,
    /// When it started, in milliseconds since the epoch (it names its shards).
    pub created_ms: u64,
    pub shards: u16,
}

impl Generation {
    pub fn key(number: u32) -> [u8; GENERATION_KEY_LEN] {
        let mut k = [0u8; GENERATION_KEY_LEN];
        k[0] = GENERATION_TAG;
        k[1..].copy_from_slice(&number.to_be_bytes());
        k
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(GENERATION_VALUE_LEN);
        v.extend_from_slice(&self.start.to_le_bytes());
        v.extend_from_slice(&self.created_ms.to_le_bytes());
        v.extend_from_slice(&self.shards.to_le_bytes());
        let crc = crc32fast::hash(&v);
        v.extend_from_slice(&crc.to_le_bytes());
        debug_assert_eq!(v.len(), GENERATION_VALUE_LEN);
        v
    }

    /// Decodes a generation entry (its key and value).
    pub fn decode(key: &[u8], value: &[u8]) -> DResult<Generation> {
        let corrupt = |what: &str| {
            DynamoError::Internal(format!("a stream's generation entry is corrupt ({what})"))
        };
        let number = match key {
            [GENERATION_TAG, a, b, c, d] => u32::from_be_bytes([*a, *b, *c, *d]),
            _ => return Err(corrupt("key")),
        };
        if value.len() != GENERATION_VALUE_LEN {
            return Err(corrupt("length"));
        }
        let (body, crc) = value.split_at(GENERATION_VALUE_LEN - 4);
        if crc32fast::hash(body).to_le_bytes()[..] != *crc {
            return Err(corrupt("checksum"));
        }
        let mut r = ByteReader::new(body);
        let short = |_| corrupt("length");
        let start = u64::from_le_bytes(r.array().map_err(short)?);
        let created_ms = u64::from_le_bytes(r.array().map_err(short)?);
        let shards = r.u16_le().map_err(short)?;
        if shards == 0 {
            return Err(corrupt("no shards"));
        }
        Ok(Generation { number, start, created_ms, shards })
    }

    /// The shard of this generation that a partition (its engine-key component) maps to.
    pub fn shard_of(&self, partition: &[u8]) -> u16 {
        let h = xxhash_rust::xxh3::xxh3_64(partition);
        u16::try_from(h % u64::from(self.shards.max(1))).unwrap_or(0)
    }
}

/// The reservation entry's value for `bound`.
pub fn encode_reserved(bound: u64) -> Vec<u8> {
    let mut v = bound.to_le_bytes().to_vec();
    let crc = crc32fast::hash(&v);
    v.extend_from_slice(&crc.to_le_bytes());
    v
}

/// The bound a reservation entry holds.
pub fn decode_reserved(value: &[u8]) -> DResult<u64> {
    let corrupt = || DynamoError::Internal("a stream's reservation entry is corrupt".into());
    if value.len() != RESERVED_VALUE_LEN {
        return Err(corrupt());
    }
    let (body, crc) = value.split_at(8);
    if crc32fast::hash(body).to_le_bytes()[..] != *crc {
        return Err(corrupt());
    }
    let b: [u8; 8] = body.try_into().map_err(|_| corrupt())?;
    Ok(u64::from_le_bytes(b))
}

/// A shard: its generation and index in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ShardRef {
    pub generation: u32,
    pub index: u16,
}

impl ShardRef {
    /// `shardId-<20-digit creation ms>-<generation 4 hex><index 4 hex>`, DynamoDB's form
    /// (37 characters).
    pub fn id(&self, created_ms: u64) -> String {
        format!("shardId-{created_ms:020}-{:04x}{:04x}", self.generation & 0xffff, self.index)
    }

    /// The shard an id names, with the creation time it claims (`None`: not an id of ours).
    /// Generations are numbered past 65,535 only after decades of rollovers; the id keeps
    /// the low 16 bits and the creation time tells generations apart.
    pub fn parse(id: &str) -> Option<(u64, u16, u16)> {
        let rest = id.strip_prefix("shardId-")?;
        let (ms, hex) = rest.split_once('-')?;
        // Only the form `id` writes: 20 digits, 8 lower-case hex digits.
        let lower_hex = |b: u8| b.is_ascii_digit() || (b'a'..=b'f').contains(&b);
        if ms.len() != 20
            || hex.len() != 8
            || !ms.bytes().all(|b| b.is_ascii_digit())
            || !hex.bytes().all(lower_hex)
        {
            return None;
        }
        let ms = ms.parse().ok()?;
        let gen_low = u16::from_str_radix(hex.get(..4)?, 16).ok()?;
        let index = u16::from_str_radix(hex.get(4..)?, 16).ok()?;
        Some((ms, gen_low, index))
    }

    /// The key of this shard's record `seq`.
    pub fn record_key(&self, seq: u64) -> Vec<u8> {
        let mut k = self.prefix();
        k.extend_from_slice(&seq.to_be_bytes());
        debug_assert_eq!(k.len(), RECORD_KEY_LEN);
        k
    }

    /// The prefix of every record key of this shard.
    pub fn prefix(&self) -> Vec<u8> {
        let mut k = Vec::with_capacity(RECORD_KEY_LEN);
        k.push(RECORD_TAG);
        k.extend_from_slice(&self.generation.to_be_bytes());
        k.extend_from_slice(&self.index.to_be_bytes());
        k
    }

    /// The sequence number of a record key of this shard.
    pub fn seq_of(&self, key: &[u8]) -> Option<u64> {
        let tail = key.strip_prefix(self.prefix().as_slice())?;
        Some(u64::from_be_bytes(tail.try_into().ok()?))
    }
}

/// A sequence number as the API writes it: decimal, zero-padded to [`SEQUENCE_DIGITS`].
pub fn format_seq(seq: u64) -> String {
    format!("{seq:0width$}", width = SEQUENCE_DIGITS)
}

/// A sequence number from the API (`None`: not one of ours).
pub fn parse_seq(s: &str) -> Option<u64> {
    if s.is_empty() || s.len() > 40 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.trim_start_matches('0').parse::<u64>().ok().or_else(|| {
        // All zeros.
        s.bytes().all(|b| b == b'0').then_some(0)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generations_round_trip_and_refuse_damage() {
        let g = Generation { number: 7, start: 1234, created_ms: 1_765_000_000_000, shards: 4 };
        let (k, v) = (Generation::key(7), g.encode());
        assert_eq!(Generation::decode(&k, &v).unwrap(), g);
        let mut bad = v.clone();
        bad[3] ^= 1;
        assert!(Generation::decode(&k, &bad).is_err());
        assert!(Generation::decode(&k, &v[..10]).is_err());
        assert!(Generation::decode(&[1, 0, 0, 0, 7], &v).is_err());
        let p = g.shard_of(b"partition");
        assert!(p < 4 && p == g.shard_of(b"partition"));
    }

    #[test]
    fn shard_ids_and_sequence_numbers() {
        let s = ShardRef { generation: 3, index: 2 };
        let id = s.id(1_765_000_000_123);
        assert_eq!(id, "shardId-00000001765000000123-00030002");
        assert_eq!(id.len(), 37);
        assert_eq!(ShardRef::parse(&id), Some((1_765_000_000_123, 3, 2)));
        for bad in [
            "shardId-1-00030002",
            "shard-00000001765000000123-00030002",
            "shardId-0000000176500000012x-00030002",
            "shardId-00000001765000000123-0003000",
            "shardId-00000001765000000123-0003000A",
            "shardId-00000001765000000123-+0030002",
        ] {
            assert_eq!(ShardRef::parse(bad), None, "{bad}");
        }
        let k = s.record_key(99);
        assert_eq!(s.seq_of(&k), Some(99));
        assert_eq!(ShardRef { generation: 3, index: 1 }.seq_of(&k), None);
        assert!(s.record_key(1) < s.record_key(256), "keys sort by sequence");
        assert_eq!(format_seq(42), "000000000000000000042");
        assert_eq!(parse_seq("000000000000000000042"), Some(42));
        assert_eq!(parse_seq("000000000000000000000"), Some(0));
        for bad in ["", "12a", "-1", "99999999999999999999999"] {
            assert_eq!(parse_seq(bad), None, "{bad}");
        }
    }
}
