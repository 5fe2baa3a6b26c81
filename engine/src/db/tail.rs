//! Log tailing: the write batches the WAL still holds, from a sequence number on
//! ([`Db::updates_since`](super::Db::updates_since), RocksDB's `GetUpdatesSince`), for
//! point-in-time recovery and replication to build on.
//!
//! The WAL files that may hold unflushed writes (`CommitState::live_wals`) are opened under the
//! commit lock, so a flush cannot remove one between the listing and the opening (an open
//! handle keeps a removed file readable). Batches are read in log order, which is sequence
//! order, up to the last sequence visible when the call was made: a batch written later, or
//! still being appended (a torn tail in the current file), is not returned.

use super::Core;
use crate::batch::{BatchEntries, KeyspaceId};
use crate::db::options::{BATCH_BYTES_CEILING, KEY_LEN_CEILING, VALUE_LEN_CEILING};
use crate::error::{Error, Result};
use crate::filename;
use crate::fs::ReadableFile;
use crate::key::{SequenceNumber, ValueKind};
use crate::wal::{LogEvent, LogReader};
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

/// One write batch as the log holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedBatch {
    /// The sequence number of its first entry (each entry takes the next one).
    pub sequence: SequenceNumber,
    /// Its entries, in order (those of keyspaces dropped since are left out).
    pub entries: Vec<LoggedEntry>,
}

/// One entry of a [`LoggedBatch`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedEntry {
    /// The keyspace written, by name.
    pub keyspace: String,
    /// The key.
    pub key: Vec<u8>,
    /// The value put, or `None` for a delete.
    pub value: Option<Vec<u8>>,
}

/// The batches of [`Db::updates_since`](super::Db::updates_since), read from the log one at a
/// time.
pub struct LogUpdates {
    /// The files not read yet, with their numbers.
    files: VecDeque<(u64, Arc<dyn ReadableFile>)>,
    /// The file being read: its number, its reader, and whether it is the last.
    reading: Option<(u64, LogReader, bool)>,
    /// Batches that end before this sequence are skipped.
    from: SequenceNumber,
    /// The last sequence visible when the call was made: nothing after it is returned.
    visible: SequenceNumber,
    /// Keyspace names by id, as of the call.
    names: BTreeMap<KeyspaceId, String>,
    /// Set after an error or the end: nothing more is returned.
    done: bool,
}

impl std::fmt::Debug for LogUpdates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogUpdates")
            .field("files", &self.files.iter().map(|(n, _)| *n).collect::<Vec<_>>())
            .field("reading", &self.reading.as_ref().map(|(n, _, _)| *n))
            .field("from", &self.from)
            .field("visible", &self.visible)
            .finish()
    }
}

impl Core {
    /// See [`Db::updates_since`](super::Db::updates_since).
    pub(crate) fn updates_since(&self, from: SequenceNumber) -> Result<LogUpdates> {
        self.check_poison()?;
        let cs = self.commit.lock().unwrap_or_else(|e| e.into_inner());
        let visible = self.publisher.visible();
        let mut files = VecDeque::new();
        for &n in &cs.live_wals {
            files.push_back((n, self.opts.fs.open(&self.dir.join(filename::wal(n)))?));
        }
        drop(cs);
        let names = self
            .keyspaces
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .map(|ks| (ks.id(), ks.name().to_string()))
            .collect();
        let updates = LogUpdates { files, reading: None, from, visible, names, done: false };
        updates.check_reaches(from)?;
        Ok(updates)
    }
}

impl LogUpdates {
    /// Refuses `from` when the log no longer holds it: its oldest batch starts after it (and
    /// something at or after `from` was written).
    fn check_reaches(&self, from: SequenceNumber) -> Result<()> {
        // Sequence numbers start at 1: 0 asks for everything too.
        let from = from.max(1);
        if from > self.visible {
            return Ok(());
        }
        let oldest = self.peek_first_sequence()?;
        match oldest {
            Some(first) if first <= from => Ok(()),
            _ => Err(Error::NotFound(format!(
                "sequence {from}: the log holds {} (older writes are in tables only)",
                match oldest {
                    Some(first) => format!("sequences from {first} on"),
                    None => "no batch".to_string(),
                }
            ))),
        }
    }

    /// The first sequence of the oldest batch the log holds (read with readers of their own:
    /// nothing is consumed).
    fn peek_first_sequence(&self) -> Result<Option<SequenceNumber>> {
        for (number, file) in &self.files {
            let mut reader = LogReader::new(Arc::clone(file), BATCH_BYTES_CEILING);
            loop {
                match reader.read_record()? {
                    LogEvent::Record { payload, .. } => {
                        let e = BatchEntries::new(payload, KEY_LEN_CEILING, VALUE_LEN_CEILING)?;
                        if e.entry_count() > 0 {
                            return Ok(Some(e.sequence()));
                        }
                    }
                    LogEvent::End { .. } | LogEvent::TornTail { .. } => break,
                    LogEvent::Corrupt { offset, reason } => {
                        return Err(Error::corruption(format!(
                            "WAL {number} at offset {offset}: {reason}"
                        )))
                    }
                }
            }
        }
        Ok(None)
    }

    fn next_batch(&mut self) -> Result<Option<LoggedBatch>> {
        loop {
            if self.reading.is_none() {
                let Some((number, file)) = self.files.pop_front() else { return Ok(None) };
                let reader = LogReader::new(file, BATCH_BYTES_CEILING);
                self.reading = Some((number, reader, self.files.is_empty()));
            }
            let Some((number, reader, is_last)) = self.reading.as_mut() else { return Ok(None) };
            let (number, is_last) = (*number, *is_last);
            let payload = match reader.read_record()? {
                LogEvent::Record { payload, .. } => payload,
                // The current file may be being appended to: its torn tail is a group not yet
                // written whole (and not visible).
                LogEvent::End { .. } | LogEvent::TornTail { .. } if is_last => return Ok(None),
                LogEvent::End { .. } => {
                    self.reading = None;
                    continue;
                }
                LogEvent::TornTail { offset } => {
                    return Err(Error::corruption(format!(
                        "WAL {number}: ends inside a record at offset {offset}, before a later WAL"
                    )))
                }
                LogEvent::Corrupt { offset, reason } => {
                    return Err(Error::corruption(format!(
                        "WAL {number} at offset {offset}: {reason}"
                    )))
                }
            };
            let entries = BatchEntries::new(payload, KEY_LEN_CEILING, VALUE_LEN_CEILING)?;
            let sequence = entries.sequence();
            let count = u64::from(entries.entry_count());
            if count == 0 {
                continue;
            }
            if sequence > self.visible {
                return Ok(None);
            }
            if sequence.saturating_add(count) <= self.from {
                continue;
            }
            let mut out = Vec::with_capacity(entries.entry_count() as usize);
            for e in entries {
                let e = e?;
                let Some(keyspace) = self.names.get(&e.keyspace) else { continue };
                let value = match e.kind {
                    ValueKind::Put => Some(e.value.to_vec()),
                    ValueKind::Delete => None,
                    ValueKind::Blob => {
                        return Err(Error::corruption(format!("WAL {number}: a blob entry")))
                    }
                };
                out.push(LoggedEntry { keyspace: keyspace.clone(), key: e.key.to_vec(), value });
            }
            return Ok(Some(LoggedBatch { sequence, entries: out }));
        }
    }
}

impl Iterator for LogUpdates {
    type Item = Result<LoggedBatch>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let next = self.next_batch();
        if !matches!(next, Ok(Some(_))) {
            self.done = true;
        }
        next.transpose()
    }
}
