//! The write-ahead-log codec: the byte format of log files (the WAL, and later the MANIFEST).
//!
//! A log is a sequence of *records*, each an opaque payload. The codec only frames records; what a
//! payload means (a write batch, a version edit) is the business of the layers above.
//! [`LogWriter`] appends records, [`LogReader`] reads them back and classifies how the log ends.
//! The same text, for readers of the documentation, is `docs/format/wal.md`.
//!
//! # Blocks
//!
//! The file is a sequence of blocks of [`BLOCK_LEN`] (32 KiB) bytes; only the last block may be
//! shorter. A record is stored as one or more *fragments*, and a fragment never crosses a block
//! boundary. When fewer than [`HEADER_LEN`] bytes remain in a block, the writer fills them with
//! zeros (the block *trailer*) and continues in the next block.
//!
//! # Fragments
//!
//! | offset | size     | field   | meaning                                                    |
//! |-------:|---------:|---------|------------------------------------------------------------|
//! | 0      | 4        | crc     | CRC-32 (IEEE) of the type byte then the payload, LE        |
//! | 4      | 2        | length  | payload bytes in this fragment, LE (at most 32 761)        |
//! | 6      | 1        | type    | [`RecordType`]: 1 FULL, 2 FIRST, 3 MIDDLE, 4 LAST           |
//! | 7      | `length` | payload | this fragment's part of the record                         |
//!
//! Type `0` is reserved and never written: an all-zero header marks zero-filled space
//! (a trailer, or a preallocated or zeroed tail of the file). A record that fits in the rest of
//! the block is one FULL fragment; otherwise it is a FIRST fragment filling the block, MIDDLE
//! fragments filling whole blocks, and a LAST fragment. A fragment's payload may be empty: an
//! empty record is a FULL fragment of length 0, and a record that starts exactly
//! [`HEADER_LEN`] bytes before a block end begins with an empty FIRST fragment.
//!
//! # Worked example
//!
//! An empty file after `add_records(&[b"hello", b"abc"])` holds 22 bytes:
//!
//! ```text
//! offset  bytes                 field
//!      0  9d 23 ac 8a           crc = 0x8aac239d, CRC-32 of 01 68 65 6c 6c 6f
//!      4  05 00                 length = 5
//!      6  01                    type = FULL
//!      7  68 65 6c 6c 6f        "hello"
//!     12  a9 20 9d 53           crc = 0x539d20a9, CRC-32 of 01 61 62 63
//!     16  03 00                 length = 3
//!     18  01                    type = FULL
//!     19  61 62 63              "abc"
//! ```
//!
//! A record longer than a block: `add_records(&[&[0x11; 100], &[0xab; 70_000]])` on an empty
//! file writes a FULL fragment at 0 (100 bytes, ends at 107), then the 70 000-byte record as a
//! FIRST fragment at 107 (32 654 bytes, filling block 0), a MIDDLE fragment at 32 768
//! (32 761 bytes, all of block 1) and a LAST fragment at 65 536 (4 585 bytes); the file is
//! 70 128 bytes long.
//!
//! (Both examples are asserted by the tests `worked_example` and `fragmentation_example`.)
//!
//! # Reading and recovery
//!
//! [`LogReader::read_record`] returns a [`LogEvent`]: each complete record, then exactly one
//! terminal event, repeated on every later call:
//!
//! * [`LogEvent::End`]: the file ends at a record boundary, or only zero bytes follow the last
//!   record (a trailer, a preallocated tail). `offset` is the end of the last record.
//! * [`LogEvent::TornTail`]: the file ends inside a record (a partial header, a partial payload,
//!   or FIRST/MIDDLE fragments without their LAST); this is what a crash during an append leaves.
//!   `offset` is where the incomplete record starts; cutting the file there leaves a clean log.
//! * [`LogEvent::Corrupt`]: bytes that neither a completed append nor a torn one leaves: a
//!   complete fragment whose checksum or type is wrong, a fragment whose length crosses the
//!   block end while the file goes on past the block, fragments out of order (MIDDLE or LAST
//!   without FIRST, FIRST or FULL inside a record), a non-zero trailer byte, a non-zero byte
//!   anywhere after a zero header, or a record longer than the reader's bound. `offset` is where
//!   the bad record starts (or the bad trailer or zero header, when no record is open): every
//!   byte before it is intact records and trailers.
//!
//! A fragment whose length runs past the end of the file is torn, not corrupt: a crash that
//! persisted the header but not all of the payload looks exactly like that. The length field is
//! not covered by the crc, so a damaged length could pass for a torn write; the reader reports
//! `Corrupt` instead when the bytes up to the end of the file match the fragment's crc (only
//! the length is wrong) or when a checksum-valid fragment follows (the log goes on).
//!
//! A zero-filled tail reads as `End` at the end of the last record: a writer must not append
//! after the zeros (a later reader would find data after a zero header), so cut the file to
//! that offset before continuing it.

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
