//! SSTables: immutable, sorted files of internal keys (RocksDB's BlockBasedTable, simplified).
//!
//! [`TableBuilder`] writes a table, [`Table`] reads it; [`block`], [`filter`] and [`props`] are
//! the codecs of its blocks. In the code, a block trailer is [`BLOCK_TRAILER_LEN`] bytes (a
//! [`Compression`] byte, then the crc) and the footer is [`FOOTER_LEN`] bytes ending in
//! [`MAGIC`]. The format is specified once, in `docs/format/sst.md`, which follows here as it
//! is.
//!
#![doc = include_str!("../../../docs/format/sst.md")]

pub mod block;
pub mod filter;
pub mod props;
mod reader;
mod writer;

pub use props::TableProperties;
pub use reader::{
    BlockCache, ReadStats, Table, TableIter, BLOCK_CONTENTS_LEN_MAX, COMPACTION_READAHEAD,
};
pub use writer::{TableBuilder, TableOptions};

use crate::error::{Error, Result};
use crate::util::coding::{self, Decoder};
use crate::util::crc;

/// Bytes after every block: type (1) + crc32 (4).
pub const BLOCK_TRAILER_LEN: usize = 1 + 4;
/// Bytes of the footer.
pub const FOOTER_LEN: usize = 3 * 16 + 4 + 4 + 8;
const _: () = assert!(FOOTER_LEN == 64);
/// Last 8 bytes of every SSTable ("shaleSST" read as a little-endian u64).
pub const MAGIC: u64 = u64::from_le_bytes(*b"shaleSST");
/// Format version written in the footer.
pub const FORMAT_VERSION: u32 = 1;

/// How a block's bytes are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[repr(u8)]
pub enum Compression {
    /// Stored as is.
    #[default]
    None = 1,
    /// zstd-compressed.
    Zstd = 2,
}

impl Compression {
    /// Decodes a type byte; 0 (reserved) and unknown bytes are `None`.
    pub fn from_u8(b: u8) -> Option<Self> {
        match b {
            1 => Some(Compression::None),
            2 => Some(Compression::Zstd),
            _ => None,
        }
    }
}

/// Where a block is stored in a file (its size excludes the trailer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BlockHandle {
    /// File offset of the block's first byte.
    pub offset: u64,
    /// Stored size in bytes, trailer excluded.
    pub size: u64,
}

impl BlockHandle {
    /// Appends the varint encoding.
    pub fn encode_to(&self, dst: &mut Vec<u8>) {
        coding::put_varint64(dst, self.offset);
        coding::put_varint64(dst, self.size);
    }

    /// Decodes the varint encoding.
    pub fn decode_from(d: &mut Decoder<'_>) -> Result<Self> {
        Ok(BlockHandle { offset: d.varint64()?, size: d.varint64()? })
    }
}

/// Builds a block trailer for `stored` bytes of type `ty`.
pub fn block_trailer(ty: Compression, stored: &[u8]) -> [u8; BLOCK_TRAILER_LEN] {
    let [c0, c1, c2, c3] = crc::payload_and_type(stored, ty as u8).to_le_bytes();
    [ty as u8, c0, c1, c2, c3]
}

/// Checks `stored ++ trailer` and returns the block's uncompressed contents.
pub fn unpack_block(stored: &[u8], trailer: &[u8], contents_len_max: usize) -> Result<Vec<u8>> {
    let [ty, c0, c1, c2, c3] = <[u8; BLOCK_TRAILER_LEN]>::try_from(trailer)
        .map_err(|_| Error::corruption("sst: short block trailer"))?;
    if crc::payload_and_type(stored, ty) != u32::from_le_bytes([c0, c1, c2, c3]) {
        return Err(Error::corruption("sst: block checksum mismatch"));
    }
    match Compression::from_u8(ty) {
        Some(Compression::None) => Ok(stored.to_vec()),
        Some(Compression::Zstd) => {
            let mut d = Decoder::new(stored, "zstd block");
            let raw_len = d.varint64()?;
            if raw_len > contents_len_max as u64 {
                return Err(Error::corruption(format!(
                    "sst: block of {raw_len} bytes exceeds the bound {contents_len_max}"
                )));
            }
            // `raw_len <= contents_len_max`, a usize.
            let raw_len = raw_len as usize;
            let out = zstd::bulk::decompress(d.remaining(), raw_len)
                .map_err(|e| Error::corruption(format!("sst: zstd: {e}")))?;
            if out.len() != raw_len {
                return Err(Error::corruption("sst: zstd block shorter than its stated size"));
            }
            Ok(out)
        }
        None => Err(Error::corruption(format!("sst: unknown block type {ty}"))),
    }
}

/// Compresses `contents` as `ty` (falling back to none when compression does not pay).
pub fn pack_block(ty: Compression, contents: &[u8], level: i32) -> (Compression, Vec<u8>) {
    if ty == Compression::Zstd {
        if let Ok(z) = zstd::bulk::compress(contents, level) {
            // Keep compression only when it saves at least 1/8.
            if z.len() + coding::VARINT64_LEN_MAX < contents.len() - contents.len() / 8 {
                let mut stored = Vec::with_capacity(z.len() + coding::VARINT64_LEN_MAX);
                coding::put_varint64(&mut stored, contents.len() as u64);
                stored.extend_from_slice(&z);
                return (Compression::Zstd, stored);
            }
        }
    }
    (Compression::None, contents.to_vec())
}

/// The fixed-size footer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Footer {
    /// The index block.
    pub index: BlockHandle,
    /// The filter block (size 0: no filter).
    pub filter: BlockHandle,
    /// The properties block.
    pub properties: BlockHandle,
    /// Format version.
    pub version: u32,
}

impl Footer {
    /// Encodes the footer.
    pub fn encode(&self) -> [u8; FOOTER_LEN] {
        let mut b = Vec::with_capacity(FOOTER_LEN);
        for h in [self.index, self.filter, self.properties] {
            b.extend_from_slice(&h.offset.to_le_bytes());
            b.extend_from_slice(&h.size.to_le_bytes());
        }
        b.extend_from_slice(&self.version.to_le_bytes());
        let c = crc32fast::hash(&b);
        b.extend_from_slice(&c.to_le_bytes());
        b.extend_from_slice(&MAGIC.to_le_bytes());
        let mut out = [0u8; FOOTER_LEN];
        out.copy_from_slice(&b);
        out
    }

    /// Decodes and checks a footer.
    pub fn decode(bytes: &[u8]) -> Result<Footer> {
        if bytes.len() != FOOTER_LEN {
            return Err(Error::corruption("sst: short footer"));
        }
        let mut d = Decoder::new(bytes, "sst footer");
        let mut h = [BlockHandle::default(); 3];
        for slot in &mut h {
            *slot = BlockHandle { offset: d.fixed64()?, size: d.fixed64()? };
        }
        let version = d.fixed32()?;
        let stored_crc = d.fixed32()?;
        let magic = d.fixed64()?;
        if magic != MAGIC {
            return Err(Error::corruption("sst: bad magic (not an SSTable, or truncated)"));
        }
        let covered = bytes.get(..FOOTER_LEN - 12).unwrap_or_default();
        if crc32fast::hash(covered) != stored_crc {
            return Err(Error::corruption("sst: footer checksum mismatch"));
        }
        if version != FORMAT_VERSION {
            return Err(Error::corruption(format!("sst: unsupported format version {version}")));
        }
        let [index, filter, properties] = h;
        Ok(Footer { index, filter, properties, version })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn footer_round_trip_and_checks() {
        let f = Footer {
            index: BlockHandle { offset: 100, size: 20 },
            filter: BlockHandle { offset: 50, size: 40 },
            properties: BlockHandle { offset: 90, size: 5 },
            version: FORMAT_VERSION,
        };
        let b = f.encode();
        assert_eq!(Footer::decode(&b).unwrap(), f);
        for i in 0..FOOTER_LEN {
            let mut m = b;
            m[i] ^= 0x10;
            assert!(Footer::decode(&m).unwrap_err().is_corruption(), "byte {i}");
        }
        assert!(Footer::decode(&b[1..]).is_err());
    }

    #[test]
    fn blocks_pack_and_unpack() {
        let contents: Vec<u8> = (0..4096u32).map(|i| (i % 7) as u8).collect();
        for ty in [Compression::None, Compression::Zstd] {
            let (got_ty, stored) = pack_block(ty, &contents, 3);
            assert_eq!(got_ty, ty);
            let t = block_trailer(got_ty, &stored);
            assert_eq!(unpack_block(&stored, &t, 1 << 20).unwrap(), contents);
            let mut bad = stored.clone();
            bad[0] ^= 1;
            assert!(unpack_block(&bad, &t, 1 << 20).unwrap_err().is_corruption());
            let mut bad_t = t;
            bad_t[0] = 0;
            assert!(unpack_block(&stored, &bad_t, 1 << 20).is_err());
        }
        // Incompressible data stays uncompressed.
        let mut rng = crate::util::rand::SplitMix64::new(1);
        let noise: Vec<u8> = (0..4096).map(|_| rng.next_u64() as u8).collect();
        assert_eq!(pack_block(Compression::Zstd, &noise, 3).0, Compression::None);
        // A zstd block claiming a huge size is refused before allocating.
        let (_, z) = pack_block(Compression::Zstd, &contents, 3);
        let t = block_trailer(Compression::Zstd, &z);
        assert!(unpack_block(&z, &t, 100).unwrap_err().is_corruption());
    }
}

#[cfg(test)]
mod example {
    //! The worked example of `docs/format/sst.md`.
    use super::*;
    use crate::fs::{FileSystem, MemFs};
    use crate::key::trailer;
    use std::path::Path;
    use std::sync::Arc;

    pub(super) fn example_table() -> Vec<u8> {
        let fs = MemFs::new();
        let f = fs.create(Path::new("t.sst")).unwrap();
        let opts = TableOptions {
            block_size: 4096,
            restart_interval: 16,
            bloom_bits_per_key: 10,
            compression: Compression::None,
            zstd_level: 3,
        };
        let mut b = TableBuilder::new(f, opts, 0);
        b.add(b"a", trailer(1, 1), b"1").unwrap();
        b.add(b"b", trailer(2, 1), b"2").unwrap();
        b.finish().unwrap();
        fs.file_bytes("t.sst").unwrap()
    }

    #[test]
    fn worked_example() {
        let bytes = example_table();
        let hex: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
        for (i, row) in hex.chunks(16).enumerate() {
            println!("{:04x}: {}", i * 16, row.join(" "));
        }
        let t = Table::open(
            Arc::new(crate::fs::BytesFile::new(bytes.clone())),
            1,
            bytes.len() as u64,
            None,
            Arc::new(ReadStats::default()),
        )
        .unwrap();
        assert_eq!(t.properties().entries, 2);
        assert_eq!(bytes.len(), EXAMPLE_LEN);
        assert_eq!(&bytes[..EXAMPLE_DATA_BLOCK.len()], EXAMPLE_DATA_BLOCK);
        // The footer: handles of the index (102, 22), filter (39, 9), properties (53, 44).
        let footer = Footer::decode(&bytes[bytes.len() - FOOTER_LEN..]).unwrap();
        assert_eq!(footer.index, BlockHandle { offset: 102, size: 22 });
        assert_eq!(footer.filter, BlockHandle { offset: 39, size: 9 });
        assert_eq!(footer.properties, BlockHandle { offset: 53, size: 44 });
        assert_eq!(&bytes[bytes.len() - 8..], b"shaleSST");
    }

    const EXAMPLE_LEN: usize = 193;
    /// The data block (34 bytes) and its trailer (5 bytes).
    const EXAMPLE_DATA_BLOCK: &[u8] = &[
        0x00, 0x09, 0x01, 0x61, 0x01, 0x01, 0, 0, 0, 0, 0, 0, 0x31, // a@1 put => "1"
        0x00, 0x09, 0x01, 0x62, 0x01, 0x02, 0, 0, 0, 0, 0, 0, 0x32, // b@2 put => "2"
        0, 0, 0, 0, 1, 0, 0, 0, // restarts [0], 1 restart
        0x01, 0x60, 0x51, 0xfd, 0x2d, // type none, crc32
    ];
}
