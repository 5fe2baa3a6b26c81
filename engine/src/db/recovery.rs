//! Opening a database: lock, read the manifest, replay the WAL, start a fresh manifest and WAL.
//!
//! Order of an open:
//! 1. create the directory if asked, take `LOCK`;
//! 2. read `CURRENT` and replay the manifest it names (a torn last record of the manifest is an
//!    edit that was never acknowledged, and is ignored);
//! 3. replay every WAL file numbered at or above the manifest's log number, oldest first, into
//!    fresh memtables (skipping a keyspace's writes in WAL files below its own log number: those
//!    are in its SSTables), following [`WalRecoveryMode`] on damage;
//! 4. flush the recovered memtables to L0 SSTables (each fsynced), fsync the directory;
//! 5. write a new manifest holding one snapshot of the state (with the new tables, and a log
//!    number past every replayed WAL), point `CURRENT` at it;
//! 6. only then remove the replayed WAL files, the old manifest and any SSTable or blob file the
//!    manifest does not name (left by a flush or compaction that crashed before its manifest
//!    edit, or a blob file all garbage whose removal a reader delayed);
//! 7. create a new WAL file and fsync the directory.
//!
//! A crash anywhere before step 5 completes leaves the previous manifest and every WAL in place:
//! the next open redoes the recovery. Nothing is ever appended to, or cut off, a recovered WAL.

use super::archive::{self, Archive, WalSpan};
use super::keyspace::KeyspaceState;
use super::{flush, CommitState, Keyspace};
use crate::batch::{BatchEntries, KeyspaceId};
use crate::compaction::Horizon;
use crate::db::options::{BATCH_BYTES_CEILING, KEY_LEN_CEILING, VALUE_LEN_CEILING};
use crate::error::{Error, Result};
use crate::filename;
use crate::fs::{self, FileSystem};
use crate::key::SequenceNumber;
use crate::manifest::{self, LevelFiles, ManifestState, VersionEdit};
use crate::memtable::MemTable;
use crate::sst::TableOptions;
use crate::wal::{LogEvent, LogReader, LogWriter};
use crate::{Options, WalRecoveryMode};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

/// Name of the keyspace every database has.
pub const DEFAULT_KEYSPACE: &str = "default";

/// What recovery hands to [`Core`].
pub(crate) struct Recovered {
    pub(crate) commit: CommitState,
    pub(crate) keyspaces: BTreeMap<String, Keyspace>,
    pub(crate) wal_file: Arc<dyn fs::WritableFile>,
    pub(crate) next_file: u64,
    /// A point-in-time salvage dropped part of the log (the archive has a gap there).
    pub(crate) salvaged: bool,
}

fn io_at(e: std::io::Error, what: &str, path: &Path) -> Error {
    Error::Io(std::io::Error::new(e.kind(), format!("{what} {}: {e}", path.display())))
}

pub(crate) fn check_options(o: &Options) -> Result<()> {
    let bad = |what: &str, v: usize, max: usize| {
        Err(Error::invalid(format!("option {what} = {v} is outside 1..={max}")))
    };
    if o.key_len_max == 0 || o.key_len_max > KEY_LEN_CEILING {
        return bad("key_len_max", o.key_len_max, KEY_LEN_CEILING);
    }
    if o.value_len_max > VALUE_LEN_CEILING {
        return bad("value_len_max", o.value_len_max, VALUE_LEN_CEILING);
    }
    if o.batch_bytes_max == 0 || o.batch_bytes_max > BATCH_BYTES_CEILING {
        return bad("batch_bytes_max", o.batch_bytes_max, BATCH_BYTES_CEILING);
    }
    if o.memtable_bytes_max == 0 {
        return bad("memtable_bytes_max", 0, usize::MAX);
    }
    if o.mmap_reads && o.direct_reads {
        return Err(Error::invalid("options mmap_reads and direct_reads exclude each other"));
    }
    Ok(())
}

/// Reads `CURRENT` and replays the manifest it names.
fn read_manifest(fs: &dyn FileSystem, dir: &Path) -> Result<ManifestState> {
    let current_path = dir.join(filename::CURRENT);
    let current = fs::read_small_file(fs, &current_path, 4096).map_err(|e| {
        if e.kind() == std::io::ErrorKind::InvalidData {
            Error::corruption(format!("{}: {e}", current_path.display()))
        } else {
            io_at(e, "reading", &current_path)
        }
    })?;
    let name = std::str::from_utf8(&current)
        .ok()
        .and_then(|s| s.strip_suffix('\n'))
        .ok_or_else(|| Error::corruption("CURRENT does not hold a manifest name and a newline"))?;
    let Some(filename::FileKind::Manifest(_)) = filename::parse(name) else {
        return Err(Error::corruption(format!("CURRENT names {name:?}, not a manifest")));
    };
    let path = dir.join(name);
    let file = fs.open(&path).map_err(|e| io_at(e, "opening", &path))?;
    let mut reader = LogReader::new(file, manifest::RECORD_LEN_MAX);
    let mut state = ManifestState::default();
    let mut records = 0usize;
    loop {
        match reader.read_record()? {
            LogEvent::Record { payload, .. } => {
                state.apply(&VersionEdit::decode(payload)?)?;
                records += 1;
            }
            LogEvent::End { .. } | LogEvent::TornTail { .. } => break,
            LogEvent::Corrupt { offset, reason } => {
                return Err(Error::corruption(format!(
                    "{} at offset {offset}: {reason}",
                    path.display()
                )))
            }
        }
    }
    if records == 0 {
        return Err(Error::corruption(format!("{} holds no snapshot record", path.display())));
    }
    Ok(state)
}

/// How a WAL replay ended.
enum Stop {
    /// Replay continues with the next file.
    Continue,
    /// Replay stops here (a salvage): later WAL files are not replayed.
    Salvaged,
}

struct Replay<'a> {
    fs: &'a dyn FileSystem,
    dir: &'a Path,
    opts: &'a Options,
    state: &'a ManifestState,
    /// Per live keyspace: its memtables, oldest first (the last one takes writes).
    mems: BTreeMap<KeyspaceId, Vec<Arc<MemTable>>>,
    last_seq: SequenceNumber,
    /// Per WAL file replayed: its batches (for the archive).
    spans: BTreeMap<u64, Option<WalSpan>>,
    /// The latest commit time replayed.
    last_ms: u64,
    /// The commit time of the last marker of the file being replayed.
    file_time: Option<u64>,
}

impl Replay<'_> {
    fn apply_record(&mut self, payload: &[u8], wal_number: u64) -> Result<()> {
        let entries = BatchEntries::new(payload, KEY_LEN_CEILING, VALUE_LEN_CEILING)?;
        let first = entries.sequence();
        let count = entries.entry_count();
        if first <= self.last_seq && count > 0 {
            return Err(Error::corruption(format!(
                "WAL {wal_number}: batch sequence {first} does not follow {}",
                self.last_seq
            )));
        }
        if let Some(t) = entries.commit_time() {
            self.file_time = Some(t);
        }
        if count > 0 {
            let ms = self.file_time.unwrap_or(0);
            let span = self.spans.entry(wal_number).or_default();
            WalSpan::extend(span, first, first + u64::from(count) - 1, ms);
            self.last_ms = self.last_ms.max(ms);
        }
        for (seq, e) in (first..).zip(entries) {
            let e = e?;
            let skip_before = self.state.keyspace_log(e.keyspace);
            match self.mems.get_mut(&e.keyspace) {
                // Already in the keyspace's SSTables.
                Some(_) if wal_number < skip_before => {}
                Some(mems) => {
                    let full = mems
                        .last()
                        .is_none_or(|m| m.approximate_bytes() >= self.opts.memtable_bytes_max);
                    if full {
                        mems.push(Arc::new(MemTable::new(
                            wal_number,
                            self.opts.memtable_bytes_max,
                        )));
                    }
                    if let Some(m) = mems.last() {
                        // Single-threaded: each entry may start a segment.
                        m.start_segment_if_full(seq);
                        m.add(seq, e.kind, e.key, e.value);
                    }
                }
                // Written before its keyspace was dropped.
                None if e.keyspace < self.state.next_keyspace => {}
                None => {
                    return Err(Error::corruption(format!(
                        "WAL {wal_number}: entry for keyspace {} that was never created",
                        e.keyspace
                    )))
                }
            }
            self.last_seq = seq;
        }
        Ok(())
    }

    fn replay_file(&mut self, number: u64, is_last: bool) -> Result<Stop> {
        let path = self.dir.join(filename::wal(number));
        let file = self.fs.open(&path).map_err(|e| io_at(e, "opening", &path))?;
        let mut reader = LogReader::new(file, BATCH_BYTES_CEILING);
        let mode = self.opts.wal_recovery_mode;
        self.file_time = None;
        loop {
            let (offset, why) = match reader.read_record()? {
                LogEvent::Record { payload, offset, .. } => {
                    match self.apply_record(payload, number) {
                        Ok(()) => continue,
                        Err(Error::Corruption(m)) => (offset, m),
                        Err(e) => return Err(e),
                    }
                }
                LogEvent::End { .. } => return Ok(Stop::Continue),
                LogEvent::TornTail { offset } => {
                    let tolerated = match mode {
                        WalRecoveryMode::TolerateCorruptedTail => is_last,
                        WalRecoveryMode::AbsoluteConsistency => false,
                        WalRecoveryMode::PointInTime => true,
                    };
                    if !tolerated {
                        return Err(Error::corruption(format!(
                            "{}: log ends inside a record at offset {offset}",
                            path.display()
                        )));
                    }
                    return Ok(if is_last { Stop::Continue } else { Stop::Salvaged });
                }
                LogEvent::Corrupt { offset, reason } => (offset, reason),
            };
            if mode != WalRecoveryMode::PointInTime {
                return Err(Error::corruption(format!(
                    "{} at offset {offset}: {why}",
                    path.display()
                )));
            }
            return Ok(Stop::Salvaged);
        }
    }
}

/// Opens (or creates) the database in `dir`.
pub(crate) fn recover(
    fs: &dyn FileSystem,
    dir: &Path,
    opts: &Options,
    topts: &TableOptions,
    db_id: u64,
    archive: Option<&Archive>,
) -> Result<Recovered> {
    let exists = fs.exists(&dir.join(filename::CURRENT))?;
    let mut state = if exists {
        if opts.error_if_exists {
            return Err(Error::AlreadyExists(format!("database {}", dir.display())));
        }
        read_manifest(fs, dir)?
    } else {
        if !opts.create_if_missing {
            return Err(Error::NotFound(format!("database {} (no CURRENT file)", dir.display())));
        }
        let mut s = ManifestState { next_file: 1, ..Default::default() };
        s.keyspaces.insert(0, DEFAULT_KEYSPACE.to_owned());
        s.next_keyspace = 1;
        s
    };
    if state.keyspaces.get(&0).map(String::as_str) != Some(DEFAULT_KEYSPACE) {
        return Err(Error::corruption("manifest: the default keyspace (id 0) is missing"));
    }

    // Inventory the directory.
    let mut wals = Vec::new();
    let mut obsolete = Vec::new();
    let mut manifests = Vec::new();
    let mut tables = Vec::new();
    let mut blobs = Vec::new();
    let mut max_number = 0u64;
    for name in fs.list(dir)? {
        match filename::parse(&name) {
            Some(filename::FileKind::Wal(n)) => {
                max_number = max_number.max(n);
                if n >= state.log_number {
                    wals.push(n);
                } else {
                    obsolete.push(name);
                }
            }
            Some(filename::FileKind::Manifest(n)) => {
                max_number = max_number.max(n);
                manifests.push(n);
            }
            Some(filename::FileKind::Table(n)) => {
                max_number = max_number.max(n);
                tables.push(n);
            }
            Some(filename::FileKind::Blob(n)) => {
                max_number = max_number.max(n);
                blobs.push(n);
            }
            Some(filename::FileKind::Temp) => obsolete.push(name),
            _ => {}
        }
    }
    wals.sort_unstable();
    let live_tables: BTreeSet<u64> = state.live_files().collect();
    for n in &live_tables {
        if !tables.contains(n) {
            return Err(Error::corruption(format!(
                "manifest names {} but the file is missing",
                filename::table(*n)
            )));
        }
    }
    for n in state.live_blob_files() {
        if !blobs.contains(&n) {
            return Err(Error::corruption(format!(
                "manifest names {} but the file is missing",
                filename::blob(n)
            )));
        }
    }
    let mut next_file = state.next_file.max(max_number + 1);

    // Replay the WAL into memtables.
    let mut replay = Replay {
        fs,
        dir,
        opts,
        state: &state,
        mems: state.keyspaces.keys().map(|id| (*id, Vec::new())).collect(),
        last_seq: 0,
        spans: BTreeMap::new(),
        last_ms: 0,
        file_time: None,
    };
    // WAL files replayed to their end (a salvaged one and those after it are not archived).
    let mut whole = wals.len();
    for (i, &n) in wals.iter().enumerate() {
        if let Stop::Salvaged = replay.replay_file(n, i + 1 == wals.len())? {
            whole = i;
            // A keyspace flushed on its own may already hold, in its tables, writes made after
            // the damaged record: salvaging would keep those and lose their batch partners in
            // other keyspaces. Refuse rather than split batches.
            let ahead = state
                .files
                .values()
                .flat_map(|levels| levels.iter().flatten())
                .map(|f| f.largest_seq)
                .max()
                .unwrap_or(0);
            if ahead > replay.last_seq {
                return Err(Error::corruption(format!(
                    "WAL {n} is damaged, and tables already hold writes up to sequence {ahead}, \
                     past the last good record ({}): a point-in-time salvage would split batches",
                    replay.last_seq
                )));
            }
            break;
        }
    }
    // The manifest's last sequence is only a floor for new sequence numbers: WAL files it still
    // names hold older batches, so replay checks order among them alone.
    let files_seq = state
        .files
        .values()
        .flat_map(|levels| levels.iter().flatten().map(|f| f.largest_seq))
        .max()
        .unwrap_or(0);
    let last_seq = replay.last_seq.max(state.last_sequence).max(files_seq);
    let recovered = std::mem::take(&mut replay.mems);
    let spans = std::mem::take(&mut replay.spans);
    let last_ms = replay.last_ms;

    // Flush what was recovered: afterwards no WAL file is needed.
    let wal_number = {
        let mut edit = VersionEdit::default();
        for (ks, mems) in &recovered {
            let threshold = state.keyspaces.get(ks).and_then(|name| opts.blob_threshold_for(name));
            for m in mems {
                let number = next_file;
                next_file += 1;
                let mut next_number = || {
                    next_file += 1;
                    next_file - 1
                };
                let blobs = threshold.map(|threshold| flush::BlobSeparation {
                    threshold,
                    next_number: &mut next_number,
                });
                // No reader exists yet: every shadowed version is garbage.
                let files = flush::TableFiles { fs, dir, direct: opts.direct_writes };
                let built = flush::build_table(
                    &files,
                    number,
                    *ks,
                    m,
                    topts,
                    &Horizon::no_readers(),
                    blobs,
                )?;
                if let Some(f) = built {
                    edit.new_files.push((*ks, 0, f.table));
                    edit.new_blob_files.extend(f.blob.map(|b| (*ks, b)));
                }
            }
        }
        if !edit.new_files.is_empty() {
            fs.sync_dir(dir)?;
        }
        state.apply(&edit)?;
        next_file
    };
    let manifest_number = wal_number + 1;
    next_file = manifest_number + 1;
    state.next_file = next_file;
    state.last_sequence = last_seq;
    state.log_number = wal_number;
    state.keyspace_logs = state.keyspaces.keys().map(|ks| (*ks, wal_number)).collect();

    // A fresh manifest with one snapshot record, then CURRENT.
    let manifest_name = filename::manifest(manifest_number);
    let manifest_path = dir.join(&manifest_name);
    let mfile = fs.create(&manifest_path).map_err(|e| io_at(e, "creating", &manifest_path))?;
    let mut manifest = LogWriter::new(mfile);
    manifest.add_records(&[&state.snapshot().encode()])?;
    manifest.sync()?;
    fs::write_file_atomic(fs, dir, filename::CURRENT, format!("{manifest_name}\n").as_bytes())?;

    // Now nothing refers to the replayed WALs, the old manifests, or unnamed tables.
    let live_tables: BTreeSet<u64> = state.live_files().collect();
    let mut remove: Vec<String> = Vec::new();
    match archive {
        // WAL files left below the log number by a crash (the flush that made them obsolete
        // had not archived them yet), then the files replayed whole, go to the archive.
        Some(a) => {
            for name in obsolete {
                match filename::parse(&name) {
                    Some(filename::FileKind::Wal(n)) => {
                        a.take_wal(n, archive::scan_span(fs, &dir.join(&name))?)?
                    }
                    _ => remove.push(name),
                }
            }
            for n in wals.get(..whole).unwrap_or_default() {
                a.take_wal(*n, spans.get(n).copied().flatten())?;
            }
            remove.extend(wals.get(whole..).unwrap_or_default().iter().map(|n| filename::wal(*n)));
        }
        None => {
            remove = obsolete;
            remove.extend(wals.iter().map(|n| filename::wal(*n)));
        }
    }
    remove.extend(
        manifests.iter().filter(|&&n| n != manifest_number).map(|n| filename::manifest(*n)),
    );
    remove.extend(tables.iter().filter(|n| !live_tables.contains(n)).map(|n| filename::table(*n)));
    // Blob files no manifest names: written by a flush or compaction that never committed, or
    // all garbage and removed from the manifest while a reader still held them.
    let live_blobs: BTreeSet<u64> = state.live_blob_files().collect();
    remove.extend(blobs.iter().filter(|n| !live_blobs.contains(n)).map(|n| filename::blob(*n)));
    for name in remove {
        let p = dir.join(name);
        match fs.remove(&p) {
            // `CURRENT.tmp` was just reused (and renamed away) by the switch of CURRENT.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            r => r.map_err(|e| io_at(e, "removing", &p))?,
        }
    }

    let wal_path = dir.join(filename::wal(wal_number));
    let wal_file = fs.create(&wal_path).map_err(|e| io_at(e, "creating", &wal_path))?;
    fs.sync_dir(dir)?;

    let keyspaces = state
        .keyspaces
        .iter()
        .map(|(id, name)| {
            let files: Arc<LevelFiles> = Arc::new(state.files.get(id).cloned().unwrap_or_default());
            let ks = KeyspaceState::new(
                *id,
                name.clone(),
                db_id,
                wal_number,
                files,
                opts.memtable_bytes_max,
            );
            (name.clone(), Keyspace { state: Arc::new(ks) })
        })
        .collect();
    Ok(Recovered {
        commit: CommitState {
            wal: LogWriter::new(Arc::clone(&wal_file)),
            wal_number,
            live_wals: BTreeSet::from([wal_number]),
            last_seq,
            manifest,
            manifest_state: state,
            last_commit_ms: last_ms,
            wal_time: None,
            wal_span: None,
            sealed_spans: BTreeMap::new(),
        },
        keyspaces,
        wal_file,
        next_file,
        salvaged: whole < wals.len(),
    })
}
