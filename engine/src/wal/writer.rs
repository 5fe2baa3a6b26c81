//! [`LogWriter`]: appends records to a log file.

use super::{Header, RecordType, BLOCK_LEN, FRAGMENT_PAYLOAD_MAX, HEADER_LEN};
use crate::fs::WritableFile;
use crate::util::crc;
use std::io;
use std::sync::Arc;

/// Capacity of the encoding buffer kept between calls; a larger one (left by a huge group) is
/// released after its append.
const BUF_RETAIN_MAX: usize = 1 << 20;

/// Appends records to a log file in the format of [`crate::wal`].
///
/// Every [`LogWriter::add_records`] call encodes its whole group into one buffer and hands it to
/// the file in one `append`, so a group commit costs one write system call.
#[derive(Debug)]
pub struct LogWriter {
    file: Arc<dyn WritableFile>,
    /// File offset just past the last successful append; the position in the current block is
    /// `offset % BLOCK_LEN`.
    offset: u64,
    /// Encoding buffer, reused across calls.
    buf: Vec<u8>,
}

impl LogWriter {
    /// A writer appending to `file`, starting at its current length. The length must be a
    /// fragment boundary: 0, or the end of the last record of a log in this format (the
    /// `offset` of [`super::LogEvent::End`]; cut a zero-filled tail off first). The writer
    /// pads the current block as needed.
    pub fn new(file: Arc<dyn WritableFile>) -> Self {
        let offset = file.len();
        LogWriter { file, offset, buf: Vec::new() }
    }

    /// Appends one record; see [`LogWriter::add_records`].
    pub fn add_record(&mut self, payload: &[u8]) -> io::Result<u64> {
        self.add_records(&[payload])
    }

    /// Appends `payloads` as consecutive records with a single `append` call and returns the
    /// file offset just past them. An empty slice appends nothing.
    ///
    /// The bytes are not durable until [`LogWriter::sync`]. If the append fails the writer keeps
    /// its previous position; the file may then hold part of the group (a torn tail that a
    /// reader reports as [`super::LogEvent::TornTail`]), so the caller should stop appending to
    /// this file (the database poisons itself) rather than retry.
    pub fn add_records(&mut self, payloads: &[&[u8]]) -> io::Result<u64> {
        self.add_records_iter(payloads.iter().copied(), false)
    }

    /// [`LogWriter::add_records`], then [`LogWriter::sync`], handed to the file as one
    /// [`WritableFile::append_and_sync`] (group commit: one submission for the whole group where
    /// the backend links them). With no payloads, only syncs.
    pub fn add_records_and_sync(&mut self, payloads: &[&[u8]]) -> io::Result<u64> {
        self.add_records_iter(payloads.iter().copied(), true)
    }

    /// [`LogWriter::add_records`] (and with `sync`, [`LogWriter::add_records_and_sync`]) of the
    /// payloads an iterator yields: the group-commit leader encodes its group's batches straight
    /// from their writers, with no list of them built first.
    pub fn add_records_iter<'a>(
        &mut self,
        payloads: impl IntoIterator<Item = &'a [u8]>,
        sync: bool,
    ) -> io::Result<u64> {
        self.buf.clear();
        let mut pos = self.offset;
        for payload in payloads {
            // Roughly one header per block touched; the Vec grows if this is short.
            self.buf
                .reserve(payload.len() + HEADER_LEN * (payload.len() / FRAGMENT_PAYLOAD_MAX + 1));
            pos = encode_record(&mut self.buf, pos, payload);
        }
        if self.buf.is_empty() {
            if sync {
                self.file.sync()?;
            }
            return Ok(self.offset);
        }
        debug_assert_eq!(pos - self.offset, self.buf.len() as u64);
        let appended =
            if sync { self.file.append_and_sync(&self.buf) } else { self.file.append(&self.buf) };
        if self.buf.capacity() > BUF_RETAIN_MAX {
            self.buf = Vec::new();
        }
        appended?;
        self.offset = pos;
        Ok(pos)
    }

    /// Makes every appended record durable.
    pub fn sync(&self) -> io::Result<()> {
        self.file.sync()
    }

    /// The file being appended to.
    pub fn file(&self) -> &Arc<dyn WritableFile> {
        &self.file
    }

    /// The file offset just past the last record appended (the log's length).
    pub fn len(&self) -> u64 {
        self.offset
    }

    /// True when the log holds no bytes.
    pub fn is_empty(&self) -> bool {
        self.offset == 0
    }
}

/// Appends to `buf` the fragments (and any block trailers) of one record that starts at file
/// offset `pos`; returns the file offset just past it.
fn encode_record(buf: &mut Vec<u8>, mut pos: u64, payload: &[u8]) -> u64 {
    let mut left = payload;
    let mut first = true;
    loop {
        // `BLOCK_LEN` fits u64 and the remainder fits usize.
        let mut block_offset = (pos % BLOCK_LEN as u64) as usize;
        let space = BLOCK_LEN - block_offset;
        if space < HEADER_LEN {
            buf.resize(buf.len() + space, 0);
            pos += space as u64;
            block_offset = 0;
        }
        let room = BLOCK_LEN - block_offset - HEADER_LEN;
        let len = left.len().min(room);
        let (fragment, rest) = left.split_at_checked(len).unwrap_or((left, &[]));
        let last = rest.is_empty();
        let ty = match (first, last) {
            (true, true) => RecordType::Full,
            (true, false) => RecordType::First,
            (false, false) => RecordType::Middle,
            (false, true) => RecordType::Last,
        };
        let ty = u8::from(ty);
        // `len <= FRAGMENT_PAYLOAD_MAX <= u16::MAX` (asserted at compile time in `wal`).
        let header = Header { crc: crc::type_and_payload(ty, fragment), len: len as u16, ty };
        buf.extend_from_slice(&header.encode());
        buf.extend_from_slice(fragment);
        pos += (HEADER_LEN + len) as u64;
        left = rest;
        first = false;
        if last {
            return pos;
        }
    }
}
