//! The WAL archive: point-in-time recovery's record of the past (`docs/backup.md`).
//!
//! With `Options::wal_archive` set, a WAL file whose writes are all flushed moves into
//! `archive/` instead of being deleted, every batch in it stamped with its group's commit time
//! (`docs/format/wal.md`). Base checkpoints (`archive/base-<seq>/`, [`Db::checkpoint`]'s
//! format) are taken every `base_interval`. The state as of any instant of the window is then
//! the newest base taken before it plus the archived (and live) batches committed up to it
//! ([`Db::restore_to`], `restore.rs`).
//!
//! `archive/JOURNAL` (a log in the WAL's framing, records in `journal.rs`, format in
//! `docs/format/archive.md`) lists the archived files with their spans, the bases, and every
//! keyspace an archived batch may name, with the sequence numbers of its creation and drop. It
//! is rewritten whole at every open (so it never grows past what the archive holds), and
//! reconciled with the directory: a file archived without its journal record (a crash between
//! the rename and the sync) is scanned, a half-made base (`base-<seq>.tmp`) is removed.
//!
//! Retention: files and bases older than the window are removed, oldest first, keeping the
//! newest base at or before the window's start; past `archive_bytes_max`, the oldest files go
//! even inside the window, and bases that no longer have the log after them go with them.
//!
//! Lock order: `Archive::inner` comes right after `Core::commit` (flushes archive files and
//! keyspace changes are journaled under the commit lock) and takes no other lock.
//!
//! [`Db::checkpoint`]: crate::Db::checkpoint
//! [`Db::restore_to`]: crate::Db::restore_to

mod api;
pub(crate) mod journal;
mod maintain;
mod restore;

pub use maintain::ArchiveStats;
pub use restore::{RestorePoint, Restored};

use crate::batch::{BatchEntries, KeyspaceId};
use crate::db::options::{
    WalArchiveOptions, BATCH_BYTES_CEILING, KEY_LEN_CEILING, VALUE_LEN_CEILING,
};
use crate::error::{Error, Result};
use crate::filename;
use crate::fs::{self, FileSystem};
use crate::key::SequenceNumber;
use crate::wal::{LogEvent, LogReader, LogWriter};
use journal::Record;
pub(crate) use journal::WalSpan;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// The archive's folder inside the database directory.
pub const ARCHIVE_DIR: &str = "archive";
/// The journal's name inside the archive folder.
pub const JOURNAL: &str = "JOURNAL";

/// The folder name of base checkpoint `number` (a number of the database's file counter).
pub(crate) fn base_name(number: u64) -> String {
    format!("base-{number:06}")
}

fn parse_base(name: &str) -> Option<u64> {
    let n = name.strip_prefix("base-")?;
    if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    n.parse().ok()
}

/// An archived WAL file.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ArchivedFile {
    pub(crate) span: WalSpan,
    pub(crate) bytes: u64,
}

/// A keyspace as the journal knows it.
#[derive(Debug, Clone)]
pub(crate) struct KeyspaceLife {
    pub(crate) name: String,
    /// Batches after this sequence may write it; created at this time (ms).
    pub(crate) created: (SequenceNumber, u64),
    /// Batches after this sequence do not; dropped at this time (ms).
    pub(crate) dropped: Option<(SequenceNumber, u64)>,
}

/// A base checkpoint.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Base {
    /// It holds every write up to this sequence.
    pub(crate) seq: SequenceNumber,
    /// When it was taken (ms since the Unix epoch): restores to this instant or later may
    /// start from it.
    pub(crate) taken_ms: u64,
}

/// What the archive holds (the journal's state).
#[derive(Debug, Default)]
pub(crate) struct Holdings {
    pub(crate) files: BTreeMap<u64, ArchivedFile>,
    pub(crate) keyspaces: BTreeMap<KeyspaceId, KeyspaceLife>,
    /// Base checkpoints by number (so also by sequence: a later base holds more).
    pub(crate) bases: BTreeMap<u64, Base>,
    /// The window's length last set ([`crate::Db::set_archive_retention`]), if ever.
    pub(crate) retention_ms: Option<u64>,
}

impl Holdings {
    fn apply(&mut self, r: Record) {
        match r {
            Record::KeyspaceCreated { id, seq, ms, name } => {
                self.keyspaces.insert(id, KeyspaceLife { name, created: (seq, ms), dropped: None });
            }
            Record::KeyspaceDropped { id, seq, ms } => {
                if let Some(k) = self.keyspaces.get_mut(&id) {
                    k.dropped = Some((seq, ms));
                }
            }
            Record::FileArchived { number, span } => {
                self.files.insert(number, ArchivedFile { span, bytes: 0 });
            }
            Record::FileRemoved { number } => {
                self.files.remove(&number);
            }
            Record::BaseTaken { number, seq, taken_ms } => {
                self.bases.insert(number, Base { seq, taken_ms });
            }
            Record::BaseRemoved { number } => {
                self.bases.remove(&number);
            }
            Record::RetentionSet { ms } => self.retention_ms = Some(ms),
        }
    }

    /// The records that rebuild this state.
    fn snapshot(&self) -> Vec<Record> {
        let ks = self.keyspaces.iter().flat_map(|(&id, k)| {
            let (seq, ms) = k.created;
            let created = Record::KeyspaceCreated { id, seq, ms, name: k.name.clone() };
            let dropped = k.dropped.map(|(seq, ms)| Record::KeyspaceDropped { id, seq, ms });
            std::iter::once(created).chain(dropped)
        });
        let files =
            self.files.iter().map(|(&number, f)| Record::FileArchived { number, span: f.span });
        let bases = self.bases.iter().map(|(&number, b)| Record::BaseTaken {
            number,
            seq: b.seq,
            taken_ms: b.taken_ms,
        });
        let retention = self.retention_ms.map(|ms| Record::RetentionSet { ms });
        ks.chain(files).chain(bases).chain(retention).collect()
    }

    /// Archived bytes in all.
    pub(crate) fn file_bytes(&self) -> u64 {
        self.files.values().map(|f| f.bytes).sum()
    }
}

pub(crate) struct Inner {
    journal: LogWriter,
    /// Records appended since the journal's last sync.
    unsynced: bool,
    pub(crate) holdings: Holdings,
    /// Restores reading the archive: while any runs, nothing is removed.
    pins: usize,
}

/// The WAL archive of an open database.
pub(crate) struct Archive {
    pub(crate) dir: PathBuf,
    db_dir: PathBuf,
    fs: Arc<dyn FileSystem>,
    pub(crate) opts: WalArchiveOptions,
    retention_ms: AtomicU64,
    /// Files and bases removed by retention and the size bound (`ArchiveStats::removed`).
    pub(crate) removed: AtomicU64,
    /// The last failure to take a base (a leaf lock).
    pub(crate) base_error: Mutex<Option<String>>,
    pub(crate) inner: Mutex<Inner>,
}

impl std::fmt::Debug for Archive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Archive").field("dir", &self.dir).finish()
    }
}

/// Reads a WAL file's batches' span (`None`: no batch); a torn tail ends it.
pub(crate) fn scan_span(fs: &dyn FileSystem, path: &Path) -> Result<Option<WalSpan>> {
    let mut reader = LogReader::new(fs.open(path)?, BATCH_BYTES_CEILING);
    let mut span = None;
    let mut time = None;
    loop {
        match reader.read_record()? {
            LogEvent::Record { payload, .. } => {
                let e = BatchEntries::new(payload, KEY_LEN_CEILING, VALUE_LEN_CEILING)?;
                time = e.commit_time().or(time);
                if e.entry_count() > 0 {
                    let last = e.sequence() + u64::from(e.entry_count()) - 1;
                    WalSpan::extend(&mut span, e.sequence(), last, time.unwrap_or(0));
                }
            }
            LogEvent::End { .. } | LogEvent::TornTail { .. } => return Ok(span),
            LogEvent::Corrupt { offset, reason } => {
                return Err(Error::corruption(format!(
                    "{} at offset {offset}: {reason}",
                    path.display()
                )))
            }
        }
    }
}

impl Archive {
    /// Opens (creating) the archive of the database in `db_dir`: reads the journal, reconciles
    /// it with the folder, and rewrites it.
    pub(crate) fn open(
        fs: Arc<dyn FileSystem>,
        db_dir: &Path,
        opts: WalArchiveOptions,
    ) -> Result<Archive> {
        let dir = db_dir.join(ARCHIVE_DIR);
        fs.create_dir_all(&dir)?;
        let mut holdings = Holdings::default();
        let journal_path = dir.join(JOURNAL);
        if fs.exists(&journal_path)? {
            let mut reader = LogReader::new(fs.open(&journal_path)?, journal::RECORD_LEN_MAX);
            loop {
                match reader.read_record()? {
                    LogEvent::Record { payload, .. } => holdings.apply(Record::decode(payload)?),
                    // A torn tail: records appended and never synced.
                    LogEvent::End { .. } | LogEvent::TornTail { .. } => break,
                    LogEvent::Corrupt { offset, reason } => {
                        return Err(Error::corruption(format!(
                            "{} at offset {offset}: {reason}",
                            journal_path.display()
                        )))
                    }
                }
            }
        }
        // Reconcile with the folder.
        let mut present_files = BTreeMap::new();
        let mut present_bases = Vec::new();
        for name in fs.list(&dir)? {
            let path = dir.join(&name);
            if let Some(filename::FileKind::Wal(n)) = filename::parse(&name) {
                present_files.insert(n, fs.open(&path)?.len()?);
            } else if let Some(number) = parse_base(&name) {
                present_bases.push(number);
            }
        }
        holdings.files.retain(|n, _| present_files.contains_key(n));
        for (n, bytes) in &present_files {
            match holdings.files.get_mut(n) {
                Some(f) => f.bytes = *bytes,
                None => {
                    let path = dir.join(filename::wal(*n));
                    match scan_span(fs.as_ref(), &path)? {
                        Some(span) => {
                            holdings.files.insert(*n, ArchivedFile { span, bytes: *bytes });
                        }
                        None => fs.remove(&path)?,
                    }
                }
            }
        }
        holdings.bases.retain(|n, _| present_bases.contains(n));
        for number in present_bases {
            if !holdings.bases.contains_key(&number) {
                // A base is journaled once whole: this one was being taken at a crash.
                remove_dir_all(fs.as_ref(), &dir.join(base_name(number)))?;
            }
        }
        let journal = write_journal(fs.as_ref(), &dir, &holdings)?;
        fs.sync_dir(&dir)?;
        // A window set on an earlier open outlives the options: WAL files recovery archives
        // below must not go for a window the owner has not set again yet.
        let retention_ms = holdings
            .retention_ms
            .unwrap_or_else(|| u64::try_from(opts.retention.as_millis()).unwrap_or(u64::MAX));
        Ok(Archive {
            dir,
            db_dir: db_dir.to_path_buf(),
            fs,
            opts,
            retention_ms: AtomicU64::new(retention_ms),
            removed: AtomicU64::new(0),
            base_error: Mutex::new(None),
            inner: Mutex::new(Inner { journal, unsynced: false, holdings, pins: 0 }),
        })
    }

    pub(crate) fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn append(&self, inner: &mut Inner, r: &Record) -> Result<()> {
        inner.journal.add_record(&r.encode())?;
        inner.unsynced = true;
        inner.holdings.apply(r.clone());
        Ok(())
    }

    /// Makes the journal and the folders' renames durable.
    pub(crate) fn sync(&self) -> Result<()> {
        let mut inner = self.lock();
        if inner.unsynced {
            inner.journal.sync()?;
            self.fs.sync_dir(&self.dir)?;
            self.fs.sync_dir(&self.db_dir)?;
            inner.unsynced = false;
        }
        Ok(())
    }

    /// Moves WAL file `number` of the database folder, all of whose writes are flushed, into the
    /// archive (deletes it when it holds no batch). Durable at the next [`Archive::sync`]; until
    /// then a crash leaves it in the database folder, and recovery archives it again.
    pub(crate) fn take_wal(&self, number: u64, span: Option<WalSpan>) -> Result<()> {
        let from = self.db_dir.join(filename::wal(number));
        // A window of 0 keeps nothing: the archive is dormant.
        let Some(span) = span.filter(|_| self.retention_ms() > 0) else {
            self.fs.remove(&from)?;
            return Ok(());
        };
        let to = self.dir.join(filename::wal(number));
        let bytes = self.fs.open(&from)?.len()?;
        self.fs.rename(&from, &to)?;
        let mut inner = self.lock();
        self.append(&mut inner, &Record::FileArchived { number, span })?;
        if let Some(f) = inner.holdings.files.get_mut(&number) {
            f.bytes = bytes;
        }
        Ok(())
    }

    /// Journals (durably) that keyspace `id` named `name` exists after sequence `seq`.
    pub(crate) fn keyspace_created(
        &self,
        id: KeyspaceId,
        name: &str,
        seq: SequenceNumber,
        ms: u64,
    ) -> Result<()> {
        {
            let mut inner = self.lock();
            if inner.holdings.keyspaces.get(&id).is_some_and(|k| k.dropped.is_none()) {
                return Ok(());
            }
            let r = Record::KeyspaceCreated { id, seq, ms, name: name.to_owned() };
            self.append(&mut inner, &r)?;
        }
        self.sync()
    }

    /// Journals (durably) the live keyspaces the journal does not know yet (all of them when
    /// archiving starts), as existing since before the archive's first batch.
    pub(crate) fn note_live_keyspaces(&self, live: Vec<(KeyspaceId, String)>) -> Result<()> {
        {
            let mut inner = self.lock();
            for (id, name) in live {
                if !inner.holdings.keyspaces.contains_key(&id) {
                    let r = Record::KeyspaceCreated { id, seq: 0, ms: 0, name };
                    self.append(&mut inner, &r)?;
                }
            }
        }
        self.sync()
    }

    /// Journals that keyspace `id` is gone after sequence `seq` (durable at the next sync).
    pub(crate) fn keyspace_dropped(
        &self,
        id: KeyspaceId,
        seq: SequenceNumber,
        ms: u64,
    ) -> Result<()> {
        let mut inner = self.lock();
        self.append(&mut inner, &Record::KeyspaceDropped { id, seq, ms })
    }

    /// The retention window's length now.
    pub(crate) fn retention_ms(&self) -> u64 {
        self.retention_ms.load(Ordering::Relaxed)
    }

    /// Sets the window's length, durably (it holds at the next open too).
    pub(crate) fn set_retention_ms(&self, ms: u64) -> Result<()> {
        {
            let mut inner = self.lock();
            if inner.holdings.retention_ms != Some(ms) {
                self.append(&mut inner, &Record::RetentionSet { ms })?;
            }
            self.retention_ms.store(ms, Ordering::Relaxed);
        }
        self.sync()
    }

    /// Paths of the archived files holding batches from `from` on, oldest first, opened.
    pub(crate) fn files_from(
        &self,
        inner: &Inner,
        from: SequenceNumber,
    ) -> Result<Vec<(u64, Arc<dyn fs::ReadableFile>)>> {
        let mut out = Vec::new();
        for (&n, f) in &inner.holdings.files {
            if f.span.last_seq >= from {
                out.push((n, self.fs.open(&self.dir.join(filename::wal(n)))?));
            }
        }
        Ok(out)
    }
}

/// A restore in progress leaves this file in its output folder until it is done.
pub const RESTORING: &str = "RESTORING";

/// Refuses to open the output of a restore that never finished (a crash during
/// [`crate::Db::restore_to`]): it is incomplete; remove the folder and restore again.
pub(crate) fn refuse_unfinished_restore(fs: &dyn FileSystem, dir: &Path) -> Result<()> {
    if fs.exists(&dir.join(RESTORING))? {
        return Err(Error::invalid(format!(
            "{} holds an unfinished restore (the file {RESTORING}): remove the folder and \
             restore again",
            dir.display()
        )));
    }
    Ok(())
}

/// Writes `holdings` as a fresh journal (`JOURNAL.tmp`, synced, renamed over `JOURNAL`) and
/// returns a writer appending to it.
fn write_journal(fs: &dyn FileSystem, dir: &Path, holdings: &Holdings) -> Result<LogWriter> {
    let tmp = dir.join(format!("{JOURNAL}.tmp"));
    let file = fs.create(&tmp)?;
    let mut w = LogWriter::new(file);
    let records: Vec<Vec<u8>> = holdings.snapshot().iter().map(Record::encode).collect();
    let refs: Vec<&[u8]> = records.iter().map(Vec::as_slice).collect();
    w.add_records_and_sync(&refs)?;
    fs.rename(&tmp, &dir.join(JOURNAL))?;
    Ok(w)
}

/// Removes a folder and everything in it (the archive's folders hold files only).
pub(crate) fn remove_dir_all(fs: &dyn FileSystem, dir: &Path) -> Result<()> {
    for name in fs.list(dir)? {
        fs.remove(&dir.join(name))?;
    }
    fs.remove_dir(dir)?;
    Ok(())
}
