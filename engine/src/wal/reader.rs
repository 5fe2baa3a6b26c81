//! [`LogReader`]: reads records back and classifies how the log ends.

use super::{Header, RecordType, BLOCK_LEN, HEADER_LEN};
use crate::error::Result;
use crate::fs::ReadableFile;
use crate::util::crc;
use std::ops::Range;
use std::sync::Arc;

/// What [`LogReader::read_record`] found next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogEvent<'a> {
    /// A complete record. `offset` = file offset of its first fragment, `end` = offset just past
    /// its last fragment.
    Record {
        /// The record's payload (valid until the next call).
        payload: &'a [u8],
        /// File offset of the record's first fragment header.
        offset: u64,
        /// File offset just past the record's last fragment.
        end: u64,
    },
    /// Clean end of the log: end of file at a record boundary, or only zero bytes remain
    /// (a block trailer, a zero-filled or preallocated tail).
    End {
        /// The end of the last record (0 for a log without records). When it is less than the
        /// file's length, only zeros follow; cut the file here before appending to it again.
        offset: u64,
    },
    /// The log ends inside a record (partial header, partial payload, or FIRST/MIDDLE fragments
    /// with end of file before LAST).
    TornTail {
        /// Where the incomplete record starts: truncating the file there leaves a clean log.
        offset: u64,
    },
    /// Bytes no crash can produce: a complete fragment fails its checksum or has a bad type, a
    /// fragment crosses a block boundary while the file continues past it, fragments are out of
    /// order, a non-zero byte follows a zero header or sits in a block trailer, or the record
    /// exceeds `record_len_max`.
    Corrupt {
        /// Start of the bad record; every record before it was intact.
        offset: u64,
        /// What is wrong, with the offset of the offending bytes.
        reason: String,
    },
}

/// The terminal event, remembered so that later calls repeat it.
#[derive(Debug, Clone)]
enum Stop {
    End(u64),
    Torn(u64),
    Corrupt(u64, String),
}

impl Stop {
    fn event(&self) -> LogEvent<'static> {
        match self {
            Stop::End(offset) => LogEvent::End { offset: *offset },
            Stop::Torn(offset) => LogEvent::TornTail { offset: *offset },
            Stop::Corrupt(offset, reason) => {
                LogEvent::Corrupt { offset: *offset, reason: reason.clone() }
            }
        }
    }
}

/// The outcome of one step of the reader's state machine.
enum Step {
    /// Consumed a fragment, a trailer or loaded a block; keep going.
    Continue,
    /// A FULL fragment: its payload is `block[payload]`.
    Full { payload: Range<usize>, offset: u64, end: u64 },
    /// A LAST fragment completed the record assembled in `record`.
    Assembled { offset: u64, end: u64 },
    /// A terminal event.
    Stop(Stop),
}

/// Reads the records of a log file in order, one block at a time.
///
/// Memory is bounded by one block plus `record_len_max`: no buffer is ever sized by a length
/// read from the file.
#[derive(Debug)]
pub struct LogReader {
    file: Arc<dyn ReadableFile>,
    record_len_max: usize,
    /// The current block as read: shorter than `BLOCK_LEN` only when the file ends inside it.
    block: Vec<u8>,
    /// File offset of `block[0]`, or of the block to read next when `need_block`.
    block_start: u64,
    /// Offset in `block` of the next unread byte.
    pos: usize,
    /// The current block is consumed (or none was read yet): read the one at `block_start`.
    need_block: bool,
    /// Payload of the record being assembled from FIRST, MIDDLE and LAST fragments.
    record: Vec<u8>,
    /// File offset of the FIRST fragment of the record being assembled.
    open: Option<u64>,
    /// File offset just past the last complete record (0 before any).
    last_end: u64,
    /// The terminal event, once reached.
    done: Option<Stop>,
}

impl LogReader {
    /// A reader of `file` from its start that reports records longer than `record_len_max` as
    /// [`LogEvent::Corrupt`].
    pub fn new(file: Arc<dyn ReadableFile>, record_len_max: usize) -> Self {
        LogReader {
            file,
            record_len_max,
            block: Vec::new(),
            block_start: 0,
            pos: 0,
            need_block: true,
            record: Vec::new(),
            open: None,
            last_end: 0,
            done: None,
        }
    }

    /// The next record, or how the log ends. After [`LogEvent::End`], [`LogEvent::TornTail`] or
    /// [`LogEvent::Corrupt`] every call returns that event again.
    ///
    /// `Err` only for I/O errors; the reader's position is unchanged by a failed read, so the
    /// call may be retried.
    pub fn read_record(&mut self) -> Result<LogEvent<'_>> {
        if let Some(stop) = &self.done {
            return Ok(stop.event());
        }
        loop {
            match self.step()? {
                Step::Continue => {}
                Step::Full { payload, offset, end } => {
                    // `step` checked the range against the block.
                    let payload = self.block.get(payload).unwrap_or_default();
                    return Ok(LogEvent::Record { payload, offset, end });
                }
                Step::Assembled { offset, end } => {
                    return Ok(LogEvent::Record { payload: &self.record, offset, end });
                }
                Step::Stop(stop) => {
                    let event = stop.event();
                    self.done = Some(stop);
                    return Ok(event);
                }
            }
        }
    }

    /// The file ends here: clean unless a record is open.
    fn eof(&self) -> Step {
        match self.open {
            Some(start) => Step::Stop(Stop::Torn(start)),
            None => Step::Stop(Stop::End(self.last_end)),
        }
    }

    /// The file ends inside the fragment (or header) at `here`.
    fn torn(&self, here: u64) -> Step {
        Step::Stop(Stop::Torn(self.open.unwrap_or(here)))
    }

    /// The fragment header at `here` (= `block[pos..]`) declares a length that runs past the end
    /// of the file. A crash that cut the append short leaves exactly that, followed only by a
    /// prefix of the fragment's payload. But the length is not covered by the checksum, so a
    /// damaged length looks the same, except that whole, checksum-valid fragments (the rest of
    /// the log) then follow it. Look for one: if there is, this is corruption, not a torn tail,
    /// and recovery must not silently cut acknowledged records off.
    ///
    /// Likewise when the bytes up to the end of the file complete the fragment: its checksum
    /// matches them, so only the length is wrong.
    ///
    /// The scan covers at most the rest of one block and checks a checksum only where a type
    /// byte and a length that fits line up. A payload that itself embeds a valid fragment can
    /// make a real torn tail read as corruption: the safe direction.
    fn torn_unless_valid_fragment_follows(&self, here: u64) -> Step {
        let data = self.block.get(self.pos + HEADER_LEN..).unwrap_or_default();
        // The whole fragment may be there, with only its length damaged: then the bytes up to
        // the end of the file carry the checksum (a cut-short payload almost never does).
        if let Some(h) = self.block.get(self.pos..).and_then(|b| b.first_chunk::<HEADER_LEN>()) {
            let h = Header::decode(*h);
            if crc::type_and_payload(h.ty, data) == h.crc {
                return self.corrupt(
                    here,
                    format!(
                        "fragment at {here} is complete up to the end of the file but its \
                         length field says {}: damaged length",
                        h.len
                    ),
                );
            }
        }
        let mut j = 0usize;
        while let Some(window) = data.get(j..) {
            let Some((h, rest)) = window.split_first_chunk::<HEADER_LEN>() else { break };
            let h = Header::decode(*h);
            let len = usize::from(h.len);
            if RecordType::try_from(h.ty).is_ok() {
                if let Some(payload) = rest.get(..len) {
                    if crc::type_and_payload(h.ty, payload) == h.crc {
                        let at = here + (HEADER_LEN + j) as u64;
                        return self.corrupt(
                            here,
                            format!(
                                "fragment at {here} runs past the end of the file, \
                                 but a valid fragment follows at {at}: damaged length"
                            ),
                        );
                    }
                }
            }
            j += 1;
        }
        self.torn(here)
    }

    /// Bad bytes at `here`: the open record, or the one starting at `here`, is corrupt.
    fn corrupt(&self, here: u64, reason: String) -> Step {
        Step::Stop(Stop::Corrupt(self.open.unwrap_or(here), reason))
    }

    /// Reads the block at `block_start`. On error nothing changes but the buffer's contents.
    fn load_block(&mut self) -> Result<()> {
        self.block.resize(BLOCK_LEN, 0);
        match self.file.read_full_at(&mut self.block, self.block_start) {
            Ok(n) => {
                self.block.truncate(n);
                self.pos = 0;
                self.need_block = false;
                Ok(())
            }
            Err(e) => {
                self.block.clear();
                Err(e.into())
            }
        }
    }

    /// True when the file has a byte past the current (full) block.
    fn file_continues_past_block(&self) -> Result<bool> {
        let mut byte = [0u8; 1];
        let n = self.file.read_full_at(&mut byte, self.block_start + BLOCK_LEN as u64)?;
        Ok(n > 0)
    }

    /// Offset of the first non-zero byte from `block[pos..]` to the end of the file, if any.
    fn first_non_zero_from_here(&self) -> Result<Option<u64>> {
        let rest = self.block.get(self.pos..).unwrap_or_default();
        if let Some(i) = rest.iter().position(|&b| b != 0) {
            return Ok(Some(self.block_start + (self.pos + i) as u64));
        }
        if self.block.len() < BLOCK_LEN {
            return Ok(None);
        }
        let mut buf = vec![0u8; BLOCK_LEN];
        let mut start = self.block_start + BLOCK_LEN as u64;
        loop {
            let n = self.file.read_full_at(&mut buf, start)?;
            let read = buf.get(..n).unwrap_or_default();
            if let Some(i) = read.iter().position(|&b| b != 0) {
                return Ok(Some(start + i as u64));
            }
            if n < BLOCK_LEN {
                return Ok(None);
            }
            start += BLOCK_LEN as u64;
        }
    }

    /// Consumes one unit: loads a block, skips a trailer, or decodes one fragment.
    fn step(&mut self) -> Result<Step> {
        if self.need_block {
            self.load_block()?;
            if self.block.is_empty() {
                return Ok(self.eof());
            }
        }
        let here = self.block_start + self.pos as u64;
        let space = BLOCK_LEN.saturating_sub(self.pos);
        let rest = self.block.get(self.pos..).unwrap_or_default();

        if space < HEADER_LEN {
            // The block trailer: the zeros the writer put where a header does not fit.
            if let Some(i) = rest.iter().position(|&b| b != 0) {
                let at = here + i as u64;
                return Ok(self.corrupt(here, format!("non-zero byte at {at} in a block trailer")));
            }
            if self.block.len() < BLOCK_LEN {
                return Ok(self.eof());
            }
            self.block_start += BLOCK_LEN as u64;
            self.need_block = true;
            return Ok(Step::Continue);
        }

        let Some((header, _)) = rest.split_first_chunk::<HEADER_LEN>() else {
            // The file ends less than a header from here.
            if rest.iter().all(|&b| b == 0) {
                return Ok(self.eof());
            }
            return Ok(self.torn(here));
        };
        let header = Header::decode(*header);
        if header.is_zero() {
            return Ok(match self.first_non_zero_from_here()? {
                None => self.eof(),
                Some(at) => self
                    .corrupt(here, format!("non-zero byte at {at} after a zero header at {here}")),
            });
        }

        let len = usize::from(header.len);
        let end_in_block = self.pos + HEADER_LEN + len;
        if end_in_block > BLOCK_LEN {
            // No writer lets a fragment cross its block, so this is damage; but when the file
            // ends before the declared end, it looks just like a fragment cut short by a crash.
            if self.block.len() < BLOCK_LEN || !self.file_continues_past_block()? {
                return Ok(self.torn_unless_valid_fragment_follows(here));
            }
            return Ok(self.corrupt(
                here,
                format!("fragment at {here} of length {len} crosses the block boundary"),
            ));
        }
        let payload = self.pos + HEADER_LEN..end_in_block;
        let Some(bytes) = self.block.get(payload.clone()) else {
            // The file ends inside the payload.
            return Ok(self.torn_unless_valid_fragment_follows(here));
        };
        if crc::type_and_payload(header.ty, bytes) != header.crc {
            return Ok(self.corrupt(here, format!("checksum mismatch in the fragment at {here}")));
        }
        let Ok(ty) = RecordType::try_from(header.ty) else {
            let ty = header.ty;
            return Ok(self.corrupt(here, format!("bad fragment type {ty} at {here}")));
        };
        let end = here + (HEADER_LEN + len) as u64;
        let max = self.record_len_max;
        self.pos = end_in_block;

        match (ty, self.open) {
            (RecordType::Full | RecordType::First, Some(start)) => Ok(self.corrupt(
                here,
                format!("{ty:?} fragment at {here} inside the record that starts at {start}"),
            )),
            (RecordType::Middle | RecordType::Last, None) => Ok(self.corrupt(
                here,
                format!("{ty:?} fragment at {here} without a FIRST fragment before it"),
            )),
            (RecordType::Full | RecordType::First, None) if len > max => Ok(self
                .corrupt(here, format!("record at {here} is longer than the {max} bytes allowed"))),
            (RecordType::Middle | RecordType::Last, Some(start))
                if self.record.len().saturating_add(len) > max =>
            {
                Ok(self.corrupt(
                    here,
                    format!("record at {start} is longer than the {max} bytes allowed"),
                ))
            }
            (RecordType::Full, None) => {
                self.last_end = end;
                Ok(Step::Full { payload, offset: here, end })
            }
            (RecordType::First, None) => {
                self.record.clear();
                self.record.extend_from_slice(bytes);
                self.open = Some(here);
                Ok(Step::Continue)
            }
            (RecordType::Middle, Some(_)) => {
                self.record.extend_from_slice(bytes);
                Ok(Step::Continue)
            }
            (RecordType::Last, Some(start)) => {
                self.record.extend_from_slice(bytes);
                self.open = None;
                self.last_end = end;
                Ok(Step::Assembled { offset: start, end })
            }
        }
    }
}
