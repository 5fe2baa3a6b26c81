//! Where exports and imports run: the operations record a job `IN_PROGRESS` and queue it; one
//! background thread ([`start`]) runs the queue in order. A job found `IN_PROGRESS` at start
//! was cut short by a crash: [`recover`] removes what it left (an export's `.partial` folder, an
//! import's table) and marks it `FAILED`, so nothing half-made remains.

use super::records::{Records, Status, StoreError};
use super::Buckets;
use crate::dynamodb::error::{DResult, DynamoError};
use crate::dynamodb::ops::{exports, imports, now_secs, Gateway};
use shale_engine::{Db, Keyspace, Snapshot};
use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, Weak};
use std::time::Duration;

/// A queued job.
pub enum Job {
    /// An export; `now`: the snapshot and keyspace of the table as it was when asked for (no
    /// `ExportTime`), else it is restored as of its export time.
    Export {
        arn: String,
        now: Option<(Snapshot, Keyspace)>,
    },
    Import {
        arn: String,
    },
}

/// The exports' and imports' records, queue and export root.
pub struct Transfers {
    pub records: Records,
    /// Where buckets are (`--export-root`); `None`: exports and imports are refused.
    pub buckets: Option<Buckets>,
    queue: Mutex<VecDeque<Job>>,
    ready: Condvar,
}

impl Transfers {
    pub fn open(db: &Db, root: Option<PathBuf>) -> Result<Transfers, StoreError> {
        Ok(Transfers {
            records: Records::open(db)?,
            buckets: root.map(Buckets::new),
            queue: Mutex::new(VecDeque::new()),
            ready: Condvar::new(),
        })
    }

    pub fn push(&self, job: Job) {
        self.queue.lock().unwrap_or_else(|e| e.into_inner()).push_back(job);
        self.ready.notify_one();
    }

    fn pop(&self, wait: Duration) -> Option<Job> {
        let mut q = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        if q.is_empty() {
            q = self.ready.wait_timeout(q, wait).unwrap_or_else(|e| e.into_inner()).0;
        }
        q.pop_front()
    }
}

/// The records' store failing, in DynamoDB's words.
pub fn store_error(e: StoreError) -> DynamoError {
    DynamoError::Internal(e.to_string())
}

fn run(g: &Gateway, job: Job) {
    match job {
        Job::Export { arn, now } => exports::run(g, &arn, now),
        Job::Import { arn } => imports::run(g, &arn),
    }
    if let Err(e) = g.transfers.records.prune(now_secs()) {
        tracing::warn!("removing old export and import records: {e}");
    }
}

/// Runs the queued jobs now, on this thread (tests; the offline CLI).
pub fn run_pending(g: &Gateway) {
    while let Some(job) = g.transfers.pop(Duration::ZERO) {
        run(g, job);
    }
}

/// Starts the thread that runs the queue, until the gateway is dropped.
pub fn start(gateway: &Arc<Gateway>) {
    let weak: Weak<Gateway> = Arc::downgrade(gateway);
    let spawned = std::thread::Builder::new().name("shale-transfer".into()).spawn(move || loop {
        let Some(g) = weak.upgrade() else { return };
        // Wakes often enough to notice the gateway has gone.
        if let Some(job) = g.transfers.pop(Duration::from_millis(200)) {
            run(&g, job);
        }
    });
    if spawned.is_err() {
        tracing::error!("could not start the export and import thread: they will not run");
    }
}

/// What a crash cut short: exports' `.partial` folders removed, imports' tables removed, both
/// marked `FAILED`.
pub fn recover(g: &Gateway) -> DResult<()> {
    let t = &g.transfers;
    t.records.prune(now_secs()).map_err(store_error)?;
    let message = "The server stopped while the job ran; nothing of it was kept";
    for mut r in t.records.exports().map_err(store_error)? {
        if r.status != Status::InProgress {
            continue;
        }
        if let Some(b) = &t.buckets {
            let spec = exports::spec_of(&r);
            let (_, partial) = spec.folders(&b.root().join(&r.bucket));
            if partial.exists() {
                std::fs::remove_dir_all(&partial).map_err(|e| {
                    DynamoError::Internal(format!("removing {}: {e}", partial.display()))
                })?;
            }
        }
        tracing::warn!("export {} did not finish before the server stopped", r.arn);
        r.status = Status::Failed;
        r.end_time = Some(now_secs());
        r.failure_code = Some("InternalError".into());
        r.failure_message = Some(message.into());
        t.records.put_export(&r).map_err(store_error)?;
    }
    // A table still marked as being imported into was cut short (its record may not have been
    // written yet).
    for meta in g.catalog.tables() {
        if meta.importing.is_some() {
            tracing::warn!("removing table {}: its import did not finish", meta.name);
            g.catalog.delete(&meta.name)?;
        }
    }
    for mut r in t.records.imports().map_err(store_error)? {
        if r.status != Status::InProgress {
            continue;
        }
        r.status = Status::Failed;
        r.end_time = Some(now_secs());
        r.failure_code = Some("InternalError".into());
        r.failure_message = Some(message.into());
        t.records.put_import(&r).map_err(store_error)?;
    }
    Ok(())
}
