//! Background work: the flush threads, the compaction threads and the periodic WAL sync; how the
//! rest of the database wakes them ([`Core::request_flush`], [`Core::request_compaction`]), waits
//! for them ([`Core::wait_idle`]) and stops them ([`stop`]).
//!
//! Every thread sleeps on `Core::bg_cv` under `Core::bg` (a [`BgState`]): a flush or compaction
//! thread works each time its request counter moves, the WAL sync thread once per interval, and
//! all of them return once `shutdown` is set. With `Options::background_flush` off there are no
//! flush or compaction threads: the work runs inline, in the thread that asks for it.

use super::Core;
use crate::error::{Error, Result};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// What background threads wait on.
#[derive(Debug, Default)]
pub(crate) struct BgState {
    pub(crate) shutdown: bool,
    /// Bumped by every flush request: each flush thread works when it sees a new value.
    pub(crate) flush_requests: u64,
    /// Bumped by every compaction request.
    pub(crate) compaction_requests: u64,
}

/// Starts the threads the options ask for (flush and compaction threads with
/// `background_flush`, the WAL sync thread with `wal_sync_interval`) and requests a compaction:
/// recovery may have left L0 past its trigger.
pub(crate) fn start(core: &Arc<Core>) -> std::io::Result<Vec<JoinHandle<()>>> {
    let mut threads = Vec::new();
    if core.opts.background_flush {
        for i in 0..core.opts.flush_threads.max(1) {
            let c = Arc::clone(core);
            threads.push(
                std::thread::Builder::new()
                    .name(format!("shale-flush-{i}"))
                    .spawn(move || c.flush_loop())?,
            );
        }
        for i in 0..core.opts.compaction_threads.max(1) {
            let c = Arc::clone(core);
            threads.push(
                std::thread::Builder::new()
                    .name(format!("shale-compact-{i}"))
                    .spawn(move || c.compaction_loop())?,
            );
        }
    }
    // Recovery may have left L0 past its trigger.
    core.request_compaction();
    if let Some(iv) = core.archive.as_ref().and_then(|a| a.opts.maintain_interval) {
        let c = Arc::clone(core);
        threads.push(
            std::thread::Builder::new()
                .name("shale-archive".into())
                .spawn(move || c.archive_loop(iv))?,
        );
    }
    if let Some(iv) = core.opts.wal_sync_interval {
        let c = Arc::clone(core);
        threads.push(
            std::thread::Builder::new()
                .name("shale-wal-sync".into())
                .spawn(move || c.background_sync(iv))?,
        );
    }
    Ok(threads)
}

/// Tells every background thread to stop, and waits for them.
pub(crate) fn stop(core: &Core, threads: &Mutex<Vec<JoinHandle<()>>>) {
    core.bg.lock().unwrap_or_else(|e| e.into_inner()).shutdown = true;
    core.bg_cv.notify_all();
    let threads = std::mem::take(&mut *threads.lock().unwrap_or_else(|e| e.into_inner()));
    for t in threads {
        let _ = t.join();
    }
}

impl Core {
    /// A background thread: each time `requests` (a counter in [`BgState`]) moves, runs `work`;
    /// returns at shutdown.
    fn worker_loop(&self, requests: impl Fn(&BgState) -> u64, work: impl Fn(&Core)) {
        let mut seen = 0u64;
        loop {
            {
                let mut bg = self.bg.lock().unwrap_or_else(|e| e.into_inner());
                while !bg.shutdown && requests(&bg) == seen {
                    bg = self.bg_cv.wait(bg).unwrap_or_else(|e| e.into_inner());
                }
                if bg.shutdown {
                    return;
                }
                seen = requests(&bg);
            }
            work(self);
            self.bg_cv.notify_all();
        }
    }

    /// The flush thread: waits for work, flushes until no immutable memtable is left.
    fn flush_loop(self: Arc<Self>) {
        self.worker_loop(|bg| bg.flush_requests, Core::flush_pending);
    }

    /// Wakes the flush thread.
    pub(crate) fn request_flush(&self) {
        let mut bg = self.bg.lock().unwrap_or_else(|e| e.into_inner());
        bg.flush_requests = bg.flush_requests.wrapping_add(1);
        drop(bg);
        self.bg_cv.notify_all();
    }

    /// The compaction thread.
    fn compaction_loop(self: Arc<Self>) {
        self.worker_loop(
            |bg| bg.compaction_requests,
            |core| {
                core.compact_pending();
                core.remove_obsolete_tables();
            },
        );
    }

    /// Wakes the compaction thread (or, without background work, compacts now).
    pub(crate) fn request_compaction(&self) {
        if self.opts.background_flush {
            let mut bg = self.bg.lock().unwrap_or_else(|e| e.into_inner());
            bg.compaction_requests = bg.compaction_requests.wrapping_add(1);
            drop(bg);
            self.bg_cv.notify_all();
        } else {
            self.compact_pending();
        }
    }

    /// The WAL sync thread: every `interval`, fsyncs the current WAL if it grew (or changed)
    /// since its last sync; a failure poisons the database.
    fn background_sync(self: Arc<Self>, interval: std::time::Duration) {
        let mut synced: Option<(usize, u64)> = None;
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
            let file = Arc::clone(&*self.current_wal.lock().unwrap_or_else(|e| e.into_inner()));
            let id = Arc::as_ptr(&file) as *const () as usize;
            let len = file.len();
            if synced == Some((id, len)) {
                continue;
            }
            match file.sync() {
                Ok(()) => synced = Some((id, len)),
                Err(e) => self.poison(&Error::Io(e)),
            }
        }
    }

    /// Waits until no flush or compaction is due or running, and obsolete tables are removed.
    pub(crate) fn wait_idle(&self) -> Result<()> {
        loop {
            self.check_poison()?;
            let keyspaces = self.keyspace_states();
            let mut busy = false;
            for ks in &keyspaces {
                let sv = ks.sv();
                busy |= !sv.immutables.is_empty();
                busy |= self.compacting.try_claim(ks.id).is_none();
                busy |= self.compaction_due(ks);
            }
            if !busy {
                self.remove_obsolete_tables();
                if self.obsolete.lock().unwrap_or_else(|e| e.into_inner()).is_empty()
                    && !self.blobs_retired()
                {
                    return Ok(());
                }
            }
            if self.opts.background_flush {
                self.request_flush();
                self.request_compaction();
            } else {
                self.flush_pending();
                self.compact_pending();
            }
            let bg = self.bg.lock().unwrap_or_else(|e| e.into_inner());
            let _ = self
                .bg_cv
                .wait_timeout(bg, std::time::Duration::from_millis(20))
                .unwrap_or_else(|e| e.into_inner());
        }
    }
}
