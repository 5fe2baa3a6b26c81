//! Shard iterators: where a reader is in a shard, handed out by GetShardIterator and
//! GetRecords and given back to GetRecords. Specified in `docs/format/dynamodb.md` ("Shard
//! iterators").
//!
//! ```text
//! <stream ARN>|1|<base64url, no padding, of:>
//!     version (u8, 1) | generation (u32 BE) | shard (u16 BE) | position (u64 BE)
//!     | issued ms (u64 BE) | crc32 (u32 BE) of the stream ARN and the bytes before it
//! ```
//!
//! The position is the sequence number of the next record to read. An iterator is good for
//! 15 minutes ([`crate::dynamodb::limits::SHARD_ITERATOR_LIFETIME`]); the checksum turns a
//! mangled or forged one into a clear error rather than a read elsewhere.

use crate::byte_reader::ByteReader;
use crate::dynamodb::stream::shards::ShardRef;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

/// The version byte.
pub const ITERATOR_VERSION: u8 = 1;
/// Bytes of an iterator's binary part.
pub const ITERATOR_BYTES_LEN: usize = 1 + 4 + 2 + 8 + 8 + 4;
const _: () = assert!(ITERATOR_BYTES_LEN == 27);

/// A decoded shard iterator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardIterator {
    pub stream_arn: String,
    pub shard: ShardRef,
    pub position: u64,
    pub issued_ms: u64,
}

fn crc(arn: &str, bytes: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(arn.as_bytes());
    h.update(bytes);
    h.finalize()
}

impl ShardIterator {
    pub fn encode(&self) -> String {
        let mut b = Vec::with_capacity(ITERATOR_BYTES_LEN);
        b.push(ITERATOR_VERSION);
        b.extend_from_slice(&self.shard.generation.to_be_bytes());
        b.extend_from_slice(&self.shard.index.to_be_bytes());
        b.extend_from_slice(&self.position.to_be_bytes());
        b.extend_from_slice(&self.issued_ms.to_be_bytes());
        let c = crc(&self.stream_arn, &b);
        b.extend_from_slice(&c.to_be_bytes());
        format!("{}|1|{}", self.stream_arn, URL_SAFE_NO_PAD.encode(&b))
    }

    /// Decodes an iterator (`None`: not one this server made).
    pub fn decode(s: &str) -> Option<ShardIterator> {
        let (arn, blob) = s.rsplit_once('|')?;
        let arn = arn.strip_suffix("|1")?;
        let b = URL_SAFE_NO_PAD.decode(blob).ok()?;
        if b.len() != ITERATOR_BYTES_LEN {
            return None;
        }
        let (body, sum) = b.split_at(ITERATOR_BYTES_LEN - 4);
        if crc(arn, body).to_be_bytes()[..] != *sum {
            return None;
        }
        let mut r = ByteReader::new(body);
        if r.u8().ok()? != ITERATOR_VERSION {
            return None;
        }
        let generation = u32::from_be_bytes(r.array().ok()?);
        let index = u16::from_be_bytes(r.array().ok()?);
        let position = u64::from_be_bytes(r.array().ok()?);
        let issued_ms = u64::from_be_bytes(r.array().ok()?);
        Some(ShardIterator {
            stream_arn: arn.to_string(),
            shard: ShardRef { generation, index },
            position,
            issued_ms,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iterators_round_trip_and_refuse_damage() {
        let it = ShardIterator {
            stream_arn:
                "arn:aws:dynamodb:us-east-1:000000000000:table/T/stream/2026-12-06T00:00:00.000"
                    .into(),
            shard: ShardRef { generation: 2, index: 3 },
            position: 77,
            issued_ms: 1_765_000_000_000,
        };
        let s = it.encode();
        assert!(s.starts_with(&format!("{}|1|", it.stream_arn)) && s.len() < 2048);
        assert_eq!(ShardIterator::decode(&s), Some(it.clone()));
        let other = s.replace("table/T/", "table/U/");
        assert_eq!(ShardIterator::decode(&other), None, "bound to its stream");
        let mut chars: Vec<char> = s.chars().collect();
        let last = chars.len() - 3;
        chars[last] = if chars[last] == 'A' { 'B' } else { 'A' };
        assert_eq!(ShardIterator::decode(&chars.iter().collect::<String>()), None);
        for bad in ["", "x", "arn|1|", "arn|2|AAAA", "arn|1|!!!!"] {
            assert_eq!(ShardIterator::decode(bad), None, "{bad}");
        }
    }
}
