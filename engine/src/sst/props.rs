//! The properties block: what a table holds, for statistics, the CLI and sanity checks.
//!
//! Contents are tagged fields (`tag:varint32` then the value), like a version edit:
//!
//! | tag | field | encoding |
//! |---:|---|---|
//! | 1 | entries | varint64 |
//! | 2 | deletions (tombstones) | varint64 |
//! | 3 | data blocks | varint64 |
//! | 4 | data bytes as stored (compressed, trailers included) | varint64 |
//! | 5 | raw key bytes (internal keys) | varint64 |
//! | 6 | raw value bytes | varint64 |
//! | 7 | smallest sequence | varint64 |
//! | 8 | largest sequence | varint64 |
//! | 9 | smallest internal key | length-prefixed |
//! | 10 | largest internal key | length-prefixed |
//! | 11 | compression of data blocks as configured | u8 |
//! | 12 | filter bits per key (0: no filter) | varint32 |
//! | 13 | keyspace id | varint32 |
//!
//! Tag 0 is reserved; an unknown tag is corruption.

use super::Compression;
use crate::error::{Error, Result};
use crate::util::coding::{self, Decoder};

/// Longest key accepted in a properties block (an internal key: user key + 8).
const KEY_LEN_MAX: usize = (16 << 20) + 8;

/// What a table holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableProperties {
    /// Entries (puts and deletes).
    pub entries: u64,
    /// Deletes among them.
    pub deletions: u64,
    /// Data blocks.
    pub data_blocks: u64,
    /// Bytes of data blocks as stored (compressed, with trailers).
    pub data_bytes: u64,
    /// Bytes of internal keys before prefix compression.
    pub raw_key_bytes: u64,
    /// Bytes of values before compression.
    pub raw_value_bytes: u64,
    /// Smallest sequence number.
    pub smallest_seq: u64,
    /// Largest sequence number.
    pub largest_seq: u64,
    /// Smallest internal key (encoded).
    pub smallest_key: Vec<u8>,
    /// Largest internal key (encoded).
    pub largest_key: Vec<u8>,
    /// Compression configured for data blocks (a block may still be stored uncompressed).
    pub compression: Compression,
    /// Bloom filter bits per key (0: none).
    pub filter_bits_per_key: u32,
    /// Keyspace the table belongs to.
    pub keyspace: u32,
}

impl TableProperties {
    /// Encodes the properties.
    pub fn encode(&self) -> Vec<u8> {
        let mut b = Vec::new();
        let nums = [
            (1, self.entries),
            (2, self.deletions),
            (3, self.data_blocks),
            (4, self.data_bytes),
            (5, self.raw_key_bytes),
            (6, self.raw_value_bytes),
            (7, self.smallest_seq),
            (8, self.largest_seq),
        ];
        for (tag, v) in nums {
            coding::put_varint32(&mut b, tag);
            coding::put_varint64(&mut b, v);
        }
        coding::put_varint32(&mut b, 9);
        coding::put_length_prefixed(&mut b, &self.smallest_key);
        coding::put_varint32(&mut b, 10);
        coding::put_length_prefixed(&mut b, &self.largest_key);
        coding::put_varint32(&mut b, 11);
        b.push(self.compression as u8);
        coding::put_varint32(&mut b, 12);
        coding::put_varint32(&mut b, self.filter_bits_per_key);
        coding::put_varint32(&mut b, 13);
        coding::put_varint32(&mut b, self.keyspace);
        b
    }

    /// Decodes properties; malformed bytes are corruption.
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        let mut d = Decoder::new(bytes, "sst properties");
        let mut p = TableProperties::default();
        while !d.is_empty() {
            match d.varint32()? {
                1 => p.entries = d.varint64()?,
                2 => p.deletions = d.varint64()?,
                3 => p.data_blocks = d.varint64()?,
                4 => p.data_bytes = d.varint64()?,
                5 => p.raw_key_bytes = d.varint64()?,
                6 => p.raw_value_bytes = d.varint64()?,
                7 => p.smallest_seq = d.varint64()?,
                8 => p.largest_seq = d.varint64()?,
                9 => p.smallest_key = d.length_prefixed(KEY_LEN_MAX)?.to_vec(),
                10 => p.largest_key = d.length_prefixed(KEY_LEN_MAX)?.to_vec(),
                11 => {
                    let b = d.u8()?;
                    p.compression = Compression::from_u8(b).ok_or_else(|| {
                        Error::corruption(format!("sst properties: compression type {b}"))
                    })?;
                }
                12 => p.filter_bits_per_key = d.varint32()?,
                13 => p.keyspace = d.varint32()?,
                tag => return Err(Error::corruption(format!("sst properties: unknown tag {tag}"))),
            }
        }
        Ok(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_truncation() {
        let p = TableProperties {
            entries: 10,
            deletions: 2,
            data_blocks: 3,
            data_bytes: 9000,
            raw_key_bytes: 100,
            raw_value_bytes: 1000,
            smallest_seq: 5,
            largest_seq: 14,
            smallest_key: b"a\x01\0\0\0\0\0\0\0".to_vec(),
            largest_key: b"z\x01\0\0\0\0\0\0\0".to_vec(),
            compression: Compression::Zstd,
            filter_bits_per_key: 10,
            keyspace: 3,
        };
        let enc = p.encode();
        assert_eq!(TableProperties::decode(&enc).unwrap(), p);
        for cut in 1..enc.len() {
            let _ = TableProperties::decode(&enc[..cut]);
        }
        assert!(TableProperties::decode(&[0]).is_err());
        assert!(TableProperties::decode(&[11, 0]).is_err());
    }
}
