//! The write-ahead-log codec: the byte format of log files (the WAL, and the MANIFEST).
//!
//! [`LogWriter`] appends records, [`LogReader`] reads them back and says how the log ends
//! ([`LogEvent`]); [`BLOCK_LEN`], [`HEADER_LEN`] and [`RecordType`] are the format's numbers. The
//! format is specified once, in `docs/format/wal.md`, which follows here as it is.
//!
#![doc = include_str!("../../../docs/format/wal.md")]

mod reader;
mod writer;

pub use reader::{LogEvent, LogReader};
pub use writer::LogWriter;

/// Bytes in a block; fragments never cross a block boundary.
pub const BLOCK_LEN: usize = 32 * 1024;
/// Bytes of a fragment's crc field.
pub const CRC_LEN: usize = 4;
/// Bytes of a fragment's length field.
pub const LENGTH_LEN: usize = 2;
/// Bytes of a fragment's type field.
pub const TYPE_LEN: usize = 1;
/// Bytes of a fragment header: crc, length, type.
pub const HEADER_LEN: usize = CRC_LEN + LENGTH_LEN + TYPE_LEN;
/// Most payload bytes a fragment can hold: a whole block less its header.
pub const FRAGMENT_PAYLOAD_MAX: usize = BLOCK_LEN - HEADER_LEN;
/// The reserved type byte; together with a zero crc and length it marks zero-filled space.
pub const ZERO_TYPE: u8 = 0;

const _: () = assert!(HEADER_LEN == 4 + 2 + 1);
// A header (with room for an empty payload) fits in a block.
const _: () = assert!(HEADER_LEN < BLOCK_LEN);
// The payload of a block-filling fragment fits the u16 length field.
const _: () = assert!(FRAGMENT_PAYLOAD_MAX <= u16::MAX as usize);

/// The type of a fragment: how it relates to the record it belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum RecordType {
    /// The whole record.
    Full = 1,
    /// The first fragment of a record of two or more.
    First = 2,
    /// An inner fragment: fills a whole block.
    Middle = 3,
    /// The last fragment of a record of two or more.
    Last = 4,
}

impl TryFrom<u8> for RecordType {
    /// The unknown byte.
    type Error = u8;

    fn try_from(b: u8) -> Result<Self, u8> {
        match b {
            1 => Ok(RecordType::Full),
            2 => Ok(RecordType::First),
            3 => Ok(RecordType::Middle),
            4 => Ok(RecordType::Last),
            other => Err(other),
        }
    }
}

impl From<RecordType> for u8 {
    fn from(t: RecordType) -> u8 {
        t as u8
    }
}

/// A decoded fragment header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Header {
    crc: u32,
    len: u16,
    ty: u8,
}

impl Header {
    fn decode(b: [u8; HEADER_LEN]) -> Self {
        let [c0, c1, c2, c3, l0, l1, ty] = b;
        Header { crc: u32::from_le_bytes([c0, c1, c2, c3]), len: u16::from_le_bytes([l0, l1]), ty }
    }

    fn encode(&self) -> [u8; HEADER_LEN] {
        let [c0, c1, c2, c3] = self.crc.to_le_bytes();
        let [l0, l1] = self.len.to_le_bytes();
        [c0, c1, c2, c3, l0, l1, self.ty]
    }

    /// True for the all-zero header that marks zero-filled space.
    fn is_zero(&self) -> bool {
        self.crc == 0 && self.len == 0 && self.ty == ZERO_TYPE
    }
}

#[cfg(test)]
mod tests;
