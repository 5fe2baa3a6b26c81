//! The archive's upkeep: base checkpoints, retention, the journal's syncs, and what `stats`
//! reports. A background thread (`shale-archive`) runs [`Core::maintain_archive`] every
//! `WalArchiveOptions::maintain_interval`.

use super::journal::Record;
use super::{base_name, remove_dir_all, Archive, Inner};
use crate::db::Core;
use crate::error::Result;
use crate::filename;
use crate::key::SequenceNumber;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

/// What the WAL archive holds (`DbStats::archive`, `Db::archive_stats`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArchiveStats {
    /// Archived WAL files.
    pub files: u64,
    /// Their bytes.
    pub file_bytes: u64,
    /// Base checkpoints.
    pub bases: u64,
    /// The earliest instant a restore can reach (ms since the Unix epoch): when the oldest base
    /// that the log still follows was taken. `None` until a base exists.
    pub earliest_restorable_ms: Option<u64>,
    /// The newest commit time (ms): a restore to it, or to any later instant, gets every write.
    pub latest_commit_ms: u64,
    /// The first sequence number the archived (or live) log holds.
    pub log_start_sequence: SequenceNumber,
    /// The retention window's length (ms).
    pub retention_ms: u64,
    /// Files and bases removed for retention or for the size bound since the database opened.
    pub removed: u64,
    /// Why the last attempt to take a base failed, if it did.
    pub base_error: Option<String>,
}

impl Archive {
    /// The first sequence the log (archived files, then live ones) holds, given the live WALs'
    /// first sequence (`None`: they hold no batch).
    pub(crate) fn log_start(
        inner: &Inner,
        live_first: Option<SequenceNumber>,
        last_seq: SequenceNumber,
    ) -> SequenceNumber {
        inner
            .holdings
            .files
            .values()
            .next()
            .map(|f| f.span.first_seq)
            .or(live_first)
            .unwrap_or(last_seq + 1)
    }

    /// The bases the log still follows (a restore can start from them), oldest first.
    pub(crate) fn usable_bases(
        inner: &Inner,
        log_start: SequenceNumber,
    ) -> impl Iterator<Item = (u64, super::Base)> + '_ {
        inner
            .holdings
            .bases
            .iter()
            .filter(move |(_, b)| b.seq + 1 >= log_start)
            .map(|(n, b)| (*n, *b))
    }

    fn remove_file(&self, inner: &mut Inner, number: u64) -> Result<()> {
        let path = self.dir.join(filename::wal(number));
        match self.fs.remove(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            r => r?,
        }
        self.append(inner, &Record::FileRemoved { number })
    }

    fn remove_base(&self, inner: &mut Inner, number: u64) -> Result<()> {
        let dir = self.dir.join(base_name(number));
        if self.fs.exists(&dir)? {
            remove_dir_all(self.fs.as_ref(), &dir)?;
        }
        self.append(inner, &Record::BaseRemoved { number })
    }
}

impl Core {
    /// The live WAL files' first sequence and the last sequence written.
    pub(crate) fn live_log(&self) -> (Option<SequenceNumber>, SequenceNumber) {
        let cs = self.commit.lock().unwrap_or_else(|e| e.into_inner());
        let sealed = cs.sealed_spans.values().flatten().next().map(|s| s.first_seq);
        (sealed.or(cs.wal_span.map(|s| s.first_seq)), cs.last_seq)
    }

    /// Takes a base checkpoint into the archive now; returns the sequence it holds.
    pub(crate) fn take_archive_base(&self, archive: &Archive) -> Result<SequenceNumber> {
        let number = self.next_file.fetch_add(1, Ordering::SeqCst);
        let dir = archive.dir.join(base_name(number));
        let seq = match self.checkpoint(&dir) {
            Ok(seq) => seq,
            Err(e) => {
                if self.opts.fs.exists(&dir).unwrap_or(false) {
                    let _ = remove_dir_all(self.opts.fs.as_ref(), &dir);
                }
                return Err(e);
            }
        };
        // Every batch up to `seq` was committed by now (and at no later time than the last
        // commit time, even if the clock stepped back).
        let last_commit = self.commit.lock().unwrap_or_else(|e| e.into_inner()).last_commit_ms;
        let taken_ms = self.opts.clock.now_ms().max(last_commit);
        {
            let mut inner = archive.lock();
            archive.append(&mut inner, &Record::BaseTaken { number, seq, taken_ms })?;
        }
        archive.sync()?;
        Ok(seq)
    }

    /// One round of upkeep: sync the journal, apply retention and the size bound, and take a
    /// base when the newest is `base_interval` old (or none is usable).
    pub(crate) fn maintain_archive(&self) -> Result<()> {
        let Some(archive) = &self.archive else { return Ok(()) };
        archive.sync()?;
        let now = self.opts.clock.now_ms();
        let (live_first, last_seq) = self.live_log();
        let due = {
            let mut inner = archive.lock();
            if inner.pins == 0 {
                self.purge(archive, &mut inner, now, live_first, last_seq)?;
            }
            let start = Archive::log_start(&inner, live_first, last_seq);
            let newest = Archive::usable_bases(&inner, start).last().map(|(_, b)| b.taken_ms);
            let interval =
                u64::try_from(archive.opts.base_interval.as_millis()).unwrap_or(u64::MAX);
            // A window of 0 keeps nothing (the archive is dormant): no base either.
            archive.retention_ms() > 0 && newest.is_none_or(|t| now.saturating_sub(t) >= interval)
        };
        archive.sync()?;
        if due {
            // A failed base (a full disk, say) is reported and tried again next round: the
            // database goes on, and the window stops moving until one succeeds.
            let failed = self.take_archive_base(archive).err().map(|e| e.to_string());
            *archive.base_error.lock().unwrap_or_else(|e| e.into_inner()) = failed;
        }
        Ok(())
    }

    /// Removes what the window and the size bound no longer need (no restore is reading).
    fn purge(
        &self,
        archive: &Archive,
        inner: &mut Inner,
        now: u64,
        live_first: Option<SequenceNumber>,
        last_seq: SequenceNumber,
    ) -> Result<()> {
        let removed_before = archive.removed.load(Ordering::Relaxed);
        if archive.retention_ms() == 0 {
            // Dormant: everything goes.
            let files: Vec<u64> = inner.holdings.files.keys().copied().collect();
            let bases: Vec<u64> = inner.holdings.bases.keys().copied().collect();
            for n in files {
                archive.remove_file(inner, n)?;
                archive.removed.fetch_add(1, Ordering::Relaxed);
            }
            for n in bases {
                archive.remove_base(inner, n)?;
                archive.removed.fetch_add(1, Ordering::Relaxed);
            }
            return Ok(());
        }
        let window_start = now.saturating_sub(archive.retention_ms());
        // Size bound first: the oldest files go.
        while inner.holdings.file_bytes() > archive.opts.archive_bytes_max {
            let Some(&oldest) = inner.holdings.files.keys().next() else { break };
            archive.remove_file(inner, oldest)?;
            archive.removed.fetch_add(1, Ordering::Relaxed);
        }
        // Bases the log no longer follows are of no use.
        let start = Archive::log_start(inner, live_first, last_seq);
        let stale: Vec<u64> = inner
            .holdings
            .bases
            .iter()
            .filter(|(_, b)| b.seq + 1 < start)
            .map(|(n, _)| *n)
            .collect();
        // The newest base at or before the window's start serves restores to the start itself.
        let keep_from = Archive::usable_bases(inner, start)
            .filter(|(_, b)| b.taken_ms <= window_start)
            .last()
            .map(|(n, _)| n);
        let old: Vec<u64> = match keep_from {
            Some(k) => inner.holdings.bases.keys().filter(|n| **n < k).copied().collect(),
            None => Vec::new(),
        };
        for n in stale.into_iter().chain(old).collect::<std::collections::BTreeSet<_>>() {
            archive.remove_base(inner, n)?;
            archive.removed.fetch_add(1, Ordering::Relaxed);
        }
        // Files wholly before the oldest base left, and older than the window, go.
        let oldest_base = inner.holdings.bases.values().next().map(|b| b.seq);
        let done: Vec<u64> = inner
            .holdings
            .files
            .iter()
            .filter(|(_, f)| {
                f.span.last_ms < window_start && oldest_base.is_some_and(|s| f.span.last_seq <= s)
            })
            .map(|(n, _)| *n)
            .collect();
        for n in done {
            archive.remove_file(inner, n)?;
            archive.removed.fetch_add(1, Ordering::Relaxed);
        }
        debug_assert!(archive.removed.load(Ordering::Relaxed) >= removed_before);
        Ok(())
    }

    /// What the archive holds now.
    pub(crate) fn archive_stats(&self) -> Option<ArchiveStats> {
        let archive = self.archive.as_ref()?;
        let (live_first, last_seq) = self.live_log();
        let last_commit = self.commit.lock().unwrap_or_else(|e| e.into_inner()).last_commit_ms;
        let inner = archive.lock();
        let start = Archive::log_start(&inner, live_first, last_seq);
        let earliest = Archive::usable_bases(&inner, start).next().map(|(_, b)| b.taken_ms);
        Some(ArchiveStats {
            files: inner.holdings.files.len() as u64,
            file_bytes: inner.holdings.file_bytes(),
            bases: inner.holdings.bases.len() as u64,
            earliest_restorable_ms: earliest,
            latest_commit_ms: last_commit,
            log_start_sequence: start,
            retention_ms: archive.retention_ms(),
            removed: archive.removed.load(Ordering::Relaxed),
            base_error: archive.base_error.lock().unwrap_or_else(|e| e.into_inner()).clone(),
        })
    }

    /// The archive thread: upkeep every `interval`; a failure poisons the database.
    pub(crate) fn archive_loop(self: Arc<Self>, interval: Duration) {
        loop {
            {
                let bg = self.bg.lock().unwrap_or_else(|e| e.into_inner());
                let (bg, _) = self
                    .bg_cv
                    .wait_timeout_while(bg, interval, |s| !s.shutdown)
                    .unwrap_or_else(|e| e.into_inner());
                if bg.shutdown {
                    return;
                }
            }
            if self.check_poison().is_err() {
                continue;
            }
            if let Err(e) = self.maintain_archive() {
                self.poison(&e);
            }
        }
    }
}
