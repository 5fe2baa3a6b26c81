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
    /// Its entries in all, those left out included: the batch takes sequences
    /// `sequence..sequence + count`.
    pub count: u32,
    /// When its group was committed, in milliseconds since the Unix epoch (`None` for a batch
    /// written before commit times were recorded).
    pub commit_time_ms: Option<u64>,
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

/// A WAL file to read: live, or archived (whose torn tail, left by a crash, ends it).
pub(crate) struct LogFile {
    pub(crate) number: u64,
    pub(crate) file: Arc<dyn ReadableFile>,
    pub(crate) archived: bool,
}

/// The batches of [`Db::updates_since`](super::Db::updates_since), read from the log one at a
/// time.
pub struct LogUpdates {
    /// The files not read yet.
    files: VecDeque<LogFile>,
    /// The file being read: its number, its reader, whether it is the last, whether archived.
    reading: Option<(u64, LogReader, bool, bool)>,
    /// The sequence the next batch must start at (once one was read): the log has no gap.
    next_seq: Option<SequenceNumber>,
    /// The commit time of the last marker of the file being read.
    file_time: Option<u64>,
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
            .field("files", &self.files.iter().map(|f| f.number).collect::<Vec<_>>())
            .field("reading", &self.reading.as_ref().map(|r| r.0))
            .field("from", &self.from)
            .field("visible", &self.visible)
            .finish()
    }
}

impl Core {
    /// See [`Db::updates_since`](super::Db::updates_since).
    pub(crate) fn updates_since(&self, from: SequenceNumber) -> Result<LogUpdates> {
        self.check_poison()?;
        let (files, visible) = self.log_files(from)?;
        let mut names: BTreeMap<KeyspaceId, String> = self
            .keyspaces
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .map(|ks| (ks.id(), ks.name().to_string()))
            .collect();
        if let Some(a) = &self.archive {
            // Archived batches may name keyspaces dropped since: their entries are left out.
            let inner = a.lock();
            for (id, k) in &inner.holdings.keyspaces {
                if k.dropped.is_none() {
                    names.entry(*id).or_insert_with(|| k.name.clone());
                }
            }
        }
        let updates = LogUpdates::new(files, from, visible, names);
        updates.check_reaches(from)?;
        Ok(updates)
    }

    /// The WAL files holding batches from `from` on, opened: the archived ones (if any) and
    /// the live ones, oldest first, with the last sequence visible now. Listed under the commit
    /// lock, so no file moves between the two lists.
    pub(crate) fn log_files(
        &self,
        from: SequenceNumber,
    ) -> Result<(VecDeque<LogFile>, SequenceNumber)> {
        let cs = self.commit.lock().unwrap_or_else(|e| e.into_inner());
        let visible = self.publisher.visible();
        let mut files = VecDeque::new();
        if let Some(a) = &self.archive {
            let inner = a.lock();
            for (number, file) in a.files_from(&inner, from)? {
                files.push_back(LogFile { number, file, archived: true });
            }
        }
        for &n in &cs.live_wals {
            let file = self.opts.fs.open(&self.dir.join(filename::wal(n)))?;
            files.push_back(LogFile { number: n, file, archived: false });
        }
        Ok((files, visible))
    }
}

impl LogUpdates {
    pub(crate) fn new(
        files: VecDeque<LogFile>,
        from: SequenceNumber,
        visible: SequenceNumber,
        names: BTreeMap<KeyspaceId, String>,
    ) -> Self {
        LogUpdates {
            files,
            reading: None,
            next_seq: None,
            file_time: None,
            from,
            visible,
            names,
            done: false,
        }
    }

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
        for f in &self.files {
            let number = f.number;
            let mut reader = LogReader::new(Arc::clone(&f.file), BATCH_BYTES_CEILING);
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
                let Some(f) = self.files.pop_front() else { return Ok(None) };
                let reader = LogReader::new(f.file, BATCH_BYTES_CEILING);
                self.reading = Some((f.number, reader, self.files.is_empty(), f.archived));
                self.file_time = None;
            }
            let Some((number, reader, is_last, archived)) = self.reading.as_mut() else {
                return Ok(None);
            };
            let (number, is_last, archived) = (*number, *is_last, *archived);
            let payload = match reader.read_record()? {
                LogEvent::Record { payload, .. } => payload,
                // The current file may be being appended to: its torn tail is a group not yet
                // written whole (and not visible).
                LogEvent::End { .. } | LogEvent::TornTail { .. } if is_last => return Ok(None),
                // An archived file that was the newest WAL at a crash: its torn tail was never
                // acknowledged, and recovery went on after it.
                LogEvent::End { .. } | LogEvent::TornTail { .. } if archived => {
                    self.reading = None;
                    continue;
                }
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
            self.file_time = entries.commit_time().or(self.file_time);
            let commit_time_ms = self.file_time;
            let count32 = entries.entry_count();
            let count = u64::from(count32);
            if count == 0 {
                continue;
            }
            if sequence > self.visible {
                return Ok(None);
            }
            match self.next_seq {
                Some(next) if next != sequence => {
                    return Err(Error::NotFound(format!(
                        "the log has a gap: WAL {number} goes on at sequence {sequence}, \
                         after {}: the batches between are in no WAL file (archiving was off, \
                         or a salvage dropped them)",
                        next.saturating_sub(1)
                    )))
                }
                _ => self.next_seq = Some(sequence + count),
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
            return Ok(Some(LoggedBatch {
                sequence,
                count: count32,
                commit_time_ms,
                entries: out,
            }));
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
