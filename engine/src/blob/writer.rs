//! [`BlobWriter`]: writes one blob file (the format is in the module docs of [`super`]).

use super::{encode_footer, encode_header, encode_record, BlobPointer, BLOB_HEADER_LEN};
use crate::error::Result;
use crate::fs::WritableFile;
use std::sync::Arc;

/// Bytes gathered before an append: large sequential writes, as tables do.
const BUFFER_BYTES: usize = 1 << 20;

/// What a finished blob file holds (what the manifest records about it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BlobFileSummary {
    /// Bytes of the whole file.
    pub size: u64,
    /// Value records.
    pub records: u64,
    /// Bytes of the records (headers, keys and values).
    pub record_bytes: u64,
}

/// Appends value records to a new blob file; [`BlobWriter::finish`] writes the footer and
/// fsyncs. A writer dropped unfinished leaves a file without a footer, which no manifest names
/// (the caller removes it; the next open would).
#[derive(Debug)]
pub struct BlobWriter {
    file: Arc<dyn WritableFile>,
    number: u64,
    keyspace: u32,
    buf: Vec<u8>,
    /// File offset of `buf[0]`.
    flushed: u64,
    records: u64,
    record_bytes: u64,
}

impl BlobWriter {
    /// A writer of blob file `number` of keyspace `keyspace` on the empty `file`.
    pub fn new(file: Arc<dyn WritableFile>, number: u64, keyspace: u32) -> Self {
        let mut buf = Vec::with_capacity(BUFFER_BYTES);
        buf.extend_from_slice(&encode_header(keyspace));
        BlobWriter { file, number, keyspace, buf, flushed: 0, records: 0, record_bytes: 0 }
    }

    /// The blob file's number.
    pub fn number(&self) -> u64 {
        self.number
    }

    /// Appends the record of `key` = `value`; returns the pointer to it.
    pub fn add(&mut self, key: &[u8], value: &[u8]) -> Result<BlobPointer> {
        let offset = self.flushed + self.buf.len() as u64;
        let before = self.buf.len();
        let crc = encode_record(&mut self.buf, key, value);
        self.records += 1;
        self.record_bytes += (self.buf.len() - before) as u64;
        if self.buf.len() >= BUFFER_BYTES {
            self.flush()?;
        }
        // The database bounds values far below 4 GiB.
        Ok(BlobPointer { file: self.number, offset, value_len: value.len() as u32, crc })
    }

    /// Bytes written so far (footer excluded).
    pub fn len(&self) -> u64 {
        self.flushed + self.buf.len() as u64
    }

    /// True when no record was added.
    pub fn is_empty(&self) -> bool {
        self.records == 0
    }

    fn flush(&mut self) -> Result<()> {
        if !self.buf.is_empty() {
            self.file.append(&self.buf)?;
            self.flushed += self.buf.len() as u64;
            self.buf.clear();
        }
        Ok(())
    }

    /// Writes the footer and makes the file durable.
    pub fn finish(mut self) -> Result<BlobFileSummary> {
        let footer = encode_footer(self.records, self.record_bytes, self.keyspace);
        self.buf.extend_from_slice(&footer);
        self.flush()?;
        self.file.sync()?;
        debug_assert_eq!(
            self.flushed,
            (BLOB_HEADER_LEN + footer.len()) as u64 + self.record_bytes,
            "file = header + records + footer"
        );
        Ok(BlobFileSummary {
            size: self.flushed,
            records: self.records,
            record_bytes: self.record_bytes,
        })
    }
}
