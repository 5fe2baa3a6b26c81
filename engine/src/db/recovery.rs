//! Opening a database: lock, read the manifest, replay the WAL, start a fresh manifest and WAL.
//!
//! Order of an open:
//! 1. create the directory if asked, take `LOCK`;
//! 2. read `CURRENT` and replay the manifest it names (a torn last record of the manifest is an
//!    edit that was never acknowledged, and is ignored);
//! 3. replay every WAL file numbered at or above the manifest's log number, oldest first, into
//!    fresh memtables, following [`WalRecoveryMode`] on damage; a torn tail is cut off the file so
//!    that the next open finds a clean log;
//! 4. write a new manifest holding one snapshot of the state, point `CURRENT` at it, remove the
//!    old manifest;
//! 5. create a new WAL file (never append to a recovered one) and sync the directory.

use super::keyspace::KeyspaceState;
use super::{filename, CommitState, Keyspace};
use crate::batch::{BatchEntries, KeyspaceId};
use crate::db::options::{BATCH_BYTES_CEILING, KEY_LEN_CEILING, VALUE_LEN_CEILING};
use crate::error::{Error, Result};
use crate::fs::{self, FileSystem};
use crate::key::SequenceNumber;
use crate::manifest::{self, ManifestState, VersionEdit};
use crate::wal::{LogEvent, LogReader, LogWriter};
use crate::{Options, WalRecoveryMode};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

/// Name of the keyspace every database has.
pub const DEFAULT_KEYSPACE: &str = "default";

/// What recovery hands to [`Core`].
pub(crate) struct Recovered {
    pub(crate) commit: CommitState,
    pub(crate) keyspaces: BTreeMap<String, Keyspace>,
    pub(crate) wal_file: Arc<dyn fs::WritableFile>,
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
    /// The file holds no record at all: replay continues, and the file can be removed.
    Empty,
    /// Replay stops here (point-in-time salvage): this file is to be cut at the offset and later
    /// WAL files dropped. The caller does both, in the order that keeps a crash in between safe.
    Salvaged(u64),
}

struct Replay<'a> {
    fs: &'a dyn FileSystem,
    dir: &'a Path,
    opts: &'a Options,
    live: &'a BTreeMap<KeyspaceId, Arc<KeyspaceState>>,
    next_keyspace: KeyspaceId,
    last_seq: SequenceNumber,
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
        for (seq, e) in (first..).zip(entries) {
            let e = e?;
            match self.live.get(&e.keyspace) {
                Some(ks) => {
                    let mems = ks.mems();
                    if mems.active.approximate_bytes() >= self.opts.memtable_bytes_max {
                        ks.switch_memtable(wal_number);
                    }
                    ks.mems().active.add(seq, e.kind, e.key, e.value);
                }
                // Written before its keyspace was dropped.
                None if e.keyspace < self.next_keyspace => {}
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
        loop {
            let (offset, why) = match reader.read_record()? {
                LogEvent::Record { payload, offset, .. } => {
                    match self.apply_record(payload, number) {
                        Ok(()) => continue,
                        Err(Error::Corruption(m)) => (offset, m),
                        Err(e) => return Err(e),
                    }
                }
                LogEvent::End { offset } => {
                    return Ok(if offset == 0 { Stop::Empty } else { Stop::Continue })
                }
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
                    if !is_last {
                        return Ok(Stop::Salvaged(offset));
                    }
                    self.fs.truncate(&path, offset).map_err(|e| io_at(e, "truncating", &path))?;
                    return Ok(Stop::Continue);
                }
                LogEvent::Corrupt { offset, reason } => (offset, reason),
            };
            if mode != WalRecoveryMode::PointInTime {
                return Err(Error::corruption(format!(
                    "{} at offset {offset}: {why}",
                    path.display()
                )));
            }
            return Ok(Stop::Salvaged(offset));
        }
    }
}

/// Opens (or creates) the database in `dir`.
pub(crate) fn recover(
    fs: &dyn FileSystem,
    dir: &Path,
    opts: &Options,
    db_id: u64,
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
    let mut manifests = Vec::new();
    let mut max_number = 0u64;
    for name in fs.list(dir)? {
        match filename::parse(&name) {
            Some(filename::FileKind::Wal(n)) => {
                max_number = max_number.max(n);
                if n >= state.log_number {
                    wals.push(n);
                } else {
                    // Obsolete: its data is recorded elsewhere.
                    fs.remove(&dir.join(&name))?;
                }
            }
            Some(filename::FileKind::Manifest(n)) => {
                max_number = max_number.max(n);
                manifests.push(n);
            }
            Some(filename::FileKind::Temp) => fs.remove(&dir.join(&name))?,
            _ => {}
        }
    }
    wals.sort_unstable();
    let mut next_file = state.next_file.max(max_number + 1);

    // Keyspaces, with memtables starting at the first WAL replayed.
    let first_wal = wals.first().copied().unwrap_or(next_file);
    let live: BTreeMap<KeyspaceId, Arc<KeyspaceState>> = state
        .keyspaces
        .iter()
        .map(|(id, name)| (*id, Arc::new(KeyspaceState::new(*id, name.clone(), db_id, first_wal))))
        .collect();

    let mut replay = Replay {
        fs,
        dir,
        opts,
        live: &live,
        next_keyspace: state.next_keyspace,
        // The manifest's last sequence is only a floor for new sequence numbers: WAL files it
        // still names hold older batches, so replay checks order among them alone.
        last_seq: 0,
    };
    let mut salvaged_at: Option<(usize, u64)> = None;
    let mut empty = Vec::new();
    for (i, &n) in wals.iter().enumerate() {
        match replay.replay_file(n, i + 1 == wals.len())? {
            Stop::Salvaged(offset) => {
                salvaged_at = Some((i, offset));
                break;
            }
            Stop::Empty => empty.push(n),
            Stop::Continue => {}
        }
    }
    let last_seq = replay.last_seq.max(state.last_sequence);
    // The replayed WAL files may have been written without fsync by the previous process: make
    // them durable before the new WAL takes writes, or a later acknowledged sync write could
    // survive a power loss that takes earlier, already-visible writes with it.
    for &n in wals.iter().take(salvaged_at.map_or(wals.len(), |(i, _)| i + 1)) {
        let p = dir.join(filename::wal(n));
        fs.sync_file(&p).map_err(|e| io_at(e, "syncing", &p))?;
    }
    if let Some((i, offset)) = salvaged_at {
        // Later WAL files go first, durably; only then is the damaged one cut. Cutting first
        // would let a crash bring the later files back after a hole in the history.
        for &n in wals.iter().skip(i + 1) {
            fs.remove(&dir.join(filename::wal(n)))?;
        }
        fs.sync_dir(dir)?;
        if let Some(&n) = wals.get(i) {
            let p = dir.join(filename::wal(n));
            fs.truncate(&p, offset).map_err(|e| io_at(e, "truncating", &p))?;
        }
    }

    // A fresh manifest with one snapshot record, then CURRENT, then drop the old manifest.
    let manifest_number = next_file;
    let wal_number = next_file + 1;
    next_file += 2;
    state.next_file = next_file;
    state.last_sequence = last_seq;
    if wals.is_empty() {
        state.log_number = wal_number;
    }
    let manifest_name = filename::manifest(manifest_number);
    let manifest_path = dir.join(&manifest_name);
    let mfile = fs.create(&manifest_path).map_err(|e| io_at(e, "creating", &manifest_path))?;
    let mut manifest = LogWriter::new(mfile);
    manifest.add_records(&[&state.snapshot().encode()])?;
    manifest.sync()?;
    fs::write_file_atomic(fs, dir, filename::CURRENT, format!("{manifest_name}\n").as_bytes())?;
    // The previous manifest, and any left by an open that crashed before switching CURRENT.
    for n in manifests.into_iter().filter(|&n| n != manifest_number) {
        fs.remove(&dir.join(filename::manifest(n)))?;
    }

    // WAL files without a single record carry nothing: remove them (the sync_dir below covers it).
    for n in empty {
        fs.remove(&dir.join(filename::wal(n)))?;
    }

    let wal_path = dir.join(filename::wal(wal_number));
    let wal_file = fs.create(&wal_path).map_err(|e| io_at(e, "creating", &wal_path))?;
    fs.sync_dir(dir)?;

    let keyspaces =
        live.values().map(|s| (s.name.clone(), Keyspace { state: Arc::clone(s) })).collect();
    Ok(Recovered {
        commit: CommitState {
            wal: LogWriter::new(Arc::clone(&wal_file)),
            wal_number,
            last_seq,
            manifest,
            manifest_state: state,
            next_file,
        },
        keyspaces,
        wal_file,
    })
}
