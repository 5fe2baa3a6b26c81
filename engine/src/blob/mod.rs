//! Blob files: values separated from the LSM tree (key-value separation, as in WiscKey and
//! RocksDB's BlobDB).
//!
//! [`BlobWriter`] writes a blob file, [`BlobFile`] reads records back through a
//! [`BlobPointer`]. The format is specified once, in `docs/format/blob.md`, which follows here as
//! it is (a test below checks its worked example byte for byte).
//!
#![doc = include_str!("../../../docs/format/blob.md")]

mod reader;
mod writer;

pub use reader::{BlobFile, BlobRecord};
pub use writer::{BlobFileSummary, BlobWriter};

use crate::error::{Error, Result};
use crate::util::coding::{self, Decoder};
use crate::util::crc;

/// The first 8 bytes of every blob file, and the last 8: `SHALEBLB`.
pub const BLOB_MAGIC: u64 = u64::from_le_bytes(*b"SHALEBLB");
/// The blob file format version this code writes and reads.
pub const BLOB_VERSION: u32 = 1;
/// Bytes of the file header: magic (8), version (4), keyspace (4).
pub const BLOB_HEADER_LEN: usize = 8 + 4 + 4;
/// Bytes of a record header: crc (4), type (1), key length (4), value length (4).
pub const RECORD_HEADER_LEN: usize = 4 + 1 + 4 + 4;
/// Bytes of the footer: records (8), record bytes (8), keyspace (4), crc (4), version (4),
/// magic (8).
pub const BLOB_FOOTER_LEN: usize = 8 + 8 + 4 + 4 + 4 + 8;
/// Bytes of the footer its crc covers: records, record bytes, keyspace.
const FOOTER_CHECKED_LEN: usize = 8 + 8 + 4;
/// Most bytes an encoded pointer takes: two varint64s, a varint32 and a fixed32.
pub const POINTER_LEN_MAX: usize = 10 + 10 + 5 + 4;

const _: () = assert!(BLOB_HEADER_LEN == 16 && RECORD_HEADER_LEN == 13 && BLOB_FOOTER_LEN == 36);

/// Record types; 0 is reserved.
pub const TYPE_VALUE: u8 = 1;
/// The footer's checksum type.
pub const TYPE_FOOTER: u8 = 2;

/// Where a separated value lives: the value of a table entry of kind `Blob`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BlobPointer {
    /// The blob file's number.
    pub file: u64,
    /// Offset of the record's first byte.
    pub offset: u64,
    /// Length of the value.
    pub value_len: u32,
    /// The record's crc (as stored in its header).
    pub crc: u32,
}

impl BlobPointer {
    /// Appends the encoded pointer to `dst`.
    pub fn encode_to(&self, dst: &mut Vec<u8>) {
        coding::put_varint64(dst, self.file);
        coding::put_varint64(dst, self.offset);
        coding::put_varint32(dst, self.value_len);
        dst.extend_from_slice(&self.crc.to_le_bytes());
    }

    /// The encoded pointer.
    pub fn encode(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(POINTER_LEN_MAX);
        self.encode_to(&mut v);
        v
    }

    /// Decodes a pointer; anything but exactly one pointer is corruption.
    pub fn decode(bytes: &[u8]) -> Result<BlobPointer> {
        let mut d = Decoder::new(bytes, "blob pointer");
        let p = BlobPointer {
            file: d.varint64()?,
            offset: d.varint64()?,
            value_len: d.varint32()?,
            crc: d.fixed32()?,
        };
        if !d.is_empty() {
            return Err(Error::corruption("blob pointer: trailing bytes"));
        }
        Ok(p)
    }

    /// Bytes of the record this pointer names, for a key of `key_len` bytes.
    pub fn record_len(&self, key_len: usize) -> usize {
        RECORD_HEADER_LEN + key_len + self.value_len as usize
    }
}

/// The encoded file header of a blob file of keyspace `keyspace`.
pub fn encode_header(keyspace: u32) -> [u8; BLOB_HEADER_LEN] {
    let mut h = [0u8; BLOB_HEADER_LEN];
    h[..8].copy_from_slice(&BLOB_MAGIC.to_le_bytes());
    h[8..12].copy_from_slice(&BLOB_VERSION.to_le_bytes());
    h[12..].copy_from_slice(&keyspace.to_le_bytes());
    h
}

/// Appends one value record to `dst`; returns its crc.
pub fn encode_record(dst: &mut Vec<u8>, key: &[u8], value: &[u8]) -> u32 {
    let start = dst.len();
    // The database bounds keys (16 MiB) and values (1 GiB) far below 4 GiB.
    let (key_len, value_len) = (key.len() as u32, value.len() as u32);
    dst.extend_from_slice(&[0; 4]);
    dst.push(TYPE_VALUE);
    dst.extend_from_slice(&key_len.to_le_bytes());
    dst.extend_from_slice(&value_len.to_le_bytes());
    dst.extend_from_slice(key);
    dst.extend_from_slice(value);
    let crc = crc::type_and_payload(TYPE_VALUE, dst.get(start + 5..).unwrap_or_default());
    if let Some(c) = dst.get_mut(start..start + 4) {
        c.copy_from_slice(&crc.to_le_bytes());
    }
    crc
}

/// Decodes the record at the start of `bytes` (which must hold its header, key and value: no
/// length read from the record sizes an allocation); returns it and its length. Checks the type
/// and the crc.
pub fn decode_record(bytes: &[u8]) -> Result<(BlobRecord<'_>, usize)> {
    let mut d = Decoder::new(bytes, "blob record");
    let stored = d.fixed32()?;
    let ty = d.u8()?;
    if ty != TYPE_VALUE {
        return Err(Error::corruption(format!("blob record: type {ty}, not a value")));
    }
    let key_len = d.fixed32()? as usize;
    let value_len = d.fixed32()? as usize;
    let key = d.bytes(key_len)?;
    let value = d.bytes(value_len)?;
    let len = RECORD_HEADER_LEN + key_len + value_len;
    let payload = bytes.get(5..len).unwrap_or_default();
    let actual = crc::type_and_payload(TYPE_VALUE, payload);
    if actual != stored {
        return Err(Error::corruption(format!(
            "blob record: checksum {actual:#010x}, header says {stored:#010x}"
        )));
    }
    Ok((BlobRecord { crc: stored, key, value }, len))
}

/// The footer of a file of keyspace `keyspace` holding `records` records of `record_bytes`
/// bytes.
pub fn encode_footer(records: u64, record_bytes: u64, keyspace: u32) -> [u8; BLOB_FOOTER_LEN] {
    let mut f = [0u8; BLOB_FOOTER_LEN];
    f[..8].copy_from_slice(&records.to_le_bytes());
    f[8..16].copy_from_slice(&record_bytes.to_le_bytes());
    f[16..20].copy_from_slice(&keyspace.to_le_bytes());
    let crc = crc::type_and_payload(TYPE_FOOTER, &f[..FOOTER_CHECKED_LEN]);
    f[20..24].copy_from_slice(&crc.to_le_bytes());
    f[24..28].copy_from_slice(&BLOB_VERSION.to_le_bytes());
    f[28..].copy_from_slice(&BLOB_MAGIC.to_le_bytes());
    f
}

/// What a footer says: (records, record bytes, keyspace).
pub type FooterCounts = (u64, u64, u32);

/// Decodes a footer.
pub fn decode_footer(bytes: &[u8]) -> Result<FooterCounts> {
    let mut d = Decoder::new(bytes, "blob footer");
    let records = d.fixed64()?;
    let record_bytes = d.fixed64()?;
    let keyspace = d.fixed32()?;
    let stored = d.fixed32()?;
    let version = d.fixed32()?;
    let magic = d.fixed64()?;
    if magic != BLOB_MAGIC {
        return Err(Error::corruption("blob footer: bad magic (not a blob file, or cut short)"));
    }
    if version != BLOB_VERSION {
        return Err(Error::corruption(format!("blob footer: unknown version {version}")));
    }
    let actual =
        crc::type_and_payload(TYPE_FOOTER, bytes.get(..FOOTER_CHECKED_LEN).unwrap_or_default());
    if actual != stored {
        return Err(Error::corruption("blob footer: checksum mismatch"));
    }
    Ok((records, record_bytes, keyspace))
}

/// Decodes a file header: the keyspace.
pub fn decode_header(bytes: &[u8]) -> Result<u32> {
    let mut d = Decoder::new(bytes, "blob header");
    if d.fixed64()? != BLOB_MAGIC {
        return Err(Error::corruption("blob header: bad magic (not a blob file)"));
    }
    let version = d.fixed32()?;
    if version != BLOB_VERSION {
        return Err(Error::corruption(format!("blob header: unknown version {version}")));
    }
    d.fixed32()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointer_round_trip_and_malformed() {
        let p = BlobPointer { file: 300, offset: 1 << 40, value_len: 4096, crc: 0xDEAD_BEEF };
        let e = p.encode();
        assert!(e.len() <= POINTER_LEN_MAX);
        assert_eq!(BlobPointer::decode(&e).unwrap(), p);
        for cut in 0..e.len() {
            assert!(BlobPointer::decode(&e[..cut]).is_err());
        }
        let mut long = e.clone();
        long.push(0);
        assert!(BlobPointer::decode(&long).is_err());
    }

    /// The hex bytes of the first ```hex block of `page`.
    fn hex_block(page: &str) -> Vec<u8> {
        let start = page.find("```hex\n").expect("a hex block") + 7;
        let end = start + page[start..].find("```").expect("its end");
        page[start..end]
            .split_whitespace()
            .map(|b| u8::from_str_radix(b, 16).expect("hex byte"))
            .collect()
    }

    /// docs/format/blob.md's example: the file the writer makes for it, and the pointer, are
    /// exactly the bytes on that page.
    #[test]
    fn this_page_s_example() {
        let page = include_str!("../../../docs/format/blob.md");
        let fs = crate::fs::MemFs::new();
        let path = std::path::Path::new("/000007.blob");
        let mut w = BlobWriter::new(crate::fs::FileSystem::create(&fs, path).unwrap(), 7, 3);
        let p = w.add(b"k", b"vv").unwrap();
        let s = w.finish().unwrap();
        assert_eq!(fs.file_bytes(path).unwrap(), hex_block(page));
        assert_eq!((s.size, s.records, s.record_bytes), (68, 1, 16));
        assert_eq!(p, BlobPointer { file: 7, offset: 16, value_len: 2, crc: 0x32e0_6a51 });
        assert!(page.contains("`07 10 02 51 6a e0 32`"));
        assert_eq!(p.encode(), [0x07, 0x10, 0x02, 0x51, 0x6a, 0xe0, 0x32]);
    }

    /// The parts of the worked example of docs/format/blob.md, one by one.
    #[test]
    fn worked_example_bytes() {
        let mut rec = Vec::new();
        let crc = encode_record(&mut rec, b"k", b"vv");
        let want_payload = [0x01, 0, 0, 0, 0x02, 0, 0, 0, b'k', b'v', b'v'];
        assert_eq!(crc, crc32fast::hash(&[&[TYPE_VALUE][..], &want_payload].concat()));
        assert_eq!(crc, 0x32e0_6a51);
        let mut want = crc.to_le_bytes().to_vec();
        want.push(TYPE_VALUE);
        want.extend_from_slice(&want_payload);
        assert_eq!(rec, want);
        assert_eq!(rec.len(), 16);
        assert_eq!(&encode_header(3)[..], b"SHALEBLB\x01\x00\x00\x00\x03\x00\x00\x00");
        let p = BlobPointer { file: 7, offset: 16, value_len: 2, crc };
        let mut pe = vec![0x07, 0x10, 0x02];
        pe.extend_from_slice(&crc.to_le_bytes());
        assert_eq!(p.encode(), pe);
        let f = encode_footer(1, 16, 3);
        assert_eq!(&f[..20], &[1, 0, 0, 0, 0, 0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0]);
        assert_eq!(&f[20..24], &0xde0a_bda2u32.to_le_bytes());
        assert_eq!(&f[24..], b"\x01\x00\x00\x00SHALEBLB");
        assert_eq!(decode_footer(&f).unwrap(), (1, 16, 3));
        let (r, len) = decode_record(&rec).unwrap();
        assert_eq!((r.key, r.value, r.crc, len), (&b"k"[..], &b"vv"[..], crc, 16));
    }

    #[test]
    fn damaged_records_and_footers_are_corruption() {
        let mut rec = Vec::new();
        encode_record(&mut rec, b"key", b"value");
        for i in 0..rec.len() {
            let mut m = rec.clone();
            m[i] ^= 0x40;
            assert!(decode_record(&m).is_err(), "flip at {i} passed");
        }
        for cut in 0..rec.len() {
            assert!(decode_record(&rec[..cut]).is_err());
        }
        let f = encode_footer(5, 500, 2);
        for i in 0..f.len() {
            let mut m = f;
            m[i] ^= 1;
            assert!(decode_footer(&m).is_err(), "footer flip at {i} passed");
        }
        assert!(decode_header(&encode_header(1)[..15]).is_err());
    }
}
