//! The background jobs of online index changes: filling a global index added to a live table
//! (backfill), and removing a deleted one.
//!
//! **Backfill.** The index is in the catalog (`CREATING`) before its job starts, so every write
//! from then on maintains it ([`super::execute`] reads the table's indexes again once it holds
//! its item locks). The job walks the table in chunks of
//! [`crate::dynamodb::limits::BACKFILL_CHUNK_ITEMS`] keys; for each
//! chunk it takes the items' stripe locks, reads the items again and writes their entries in one
//! batch, so an entry is always computed from the item as it is, never from a version a
//! concurrent write has replaced: no entry is lost, doubled or stale. After each chunk the
//! cursor (the last key copied) and the progress (items, bytes) are stored with the index, so a
//! restart resumes there; the job logs its progress every few seconds and when it is done.
//! The walk is paced to [`GatewayOptions::backfill_items_per_sec`] items a second and yields
//! between chunks, so foreground writes go on. At the end the index
//! becomes `ACTIVE`.
//!
//! **Deletion.** The index is marked `DELETING` (no longer read or written); the job waits for
//! the writes in flight (it takes every stripe lock once), then removes the index from the
//! catalog and drops its keyspace. A restart finishes either job.
//!
//! [`GatewayOptions::backfill_items_per_sec`]: crate::dynamodb::ops::GatewayOptions

use super::locks::Locks;
use super::{index_changes, Outcome};
use crate::dynamodb::error::{DResult, DynamoError};
use crate::dynamodb::model::value::item_size;
use crate::dynamodb::ops::decode;
use crate::dynamodb::schema::catalog::{Catalog, Table};
use crate::dynamodb::schema::index::{Backfill, IndexStatus};
use shale_engine::{Db, IterOptions, WriteBatch, WriteOptions};
use std::ops::Bound;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How often a running backfill logs its progress.
const PROGRESS_EVERY: Duration = Duration::from_secs(5);

/// What the jobs share with the gateway.
#[derive(Clone)]
pub struct JobContext {
    pub db: Db,
    pub catalog: Arc<Catalog>,
    pub locks: Arc<Locks>,
    /// Write options of the index entries (the gateway's sync setting).
    pub write: WriteOptions,
    /// Backfill pace (0: unpaced).
    pub items_per_sec: u64,
    /// Items per backfill chunk.
    pub chunk_items: usize,
}

/// The running jobs; dropping the gateway stops and joins them.
#[derive(Default)]
pub struct Jobs {
    stop: Arc<AtomicBool>,
    running: Mutex<Vec<JoinHandle<()>>>,
}

impl Jobs {
    /// Starts the job that finishes the index change under way on `table`'s index `index`
    /// (a backfill while it is `CREATING`, a removal while it is `DELETING`).
    pub fn start(&self, cx: &JobContext, table: &str, index: &str) {
        // The job knows the index by its keyspace: an index deleted and created again under the
        // same name is another index, which this job must not touch.
        let Some(t) = cx.catalog.get(table) else { return };
        let Some(ix) = t.meta.indexes.iter().find(|i| i.name == index) else { return };
        let job = Job {
            table: table.to_string(),
            index: index.to_string(),
            keyspace: ix.keyspace.clone(),
        };
        let (job_cx, job_index, job_table) = (cx.clone(), job.index.clone(), job.table.clone());
        let stop = Arc::clone(&self.stop);
        let spawned = std::thread::Builder::new().name(format!("index-{index}")).spawn(move || {
            if let Err(e) = run(&job_cx, &stop, &job) {
                // The change stays where it was stored; the next start resumes it.
                tracing::warn!(
                    "index {job_index} of table {job_table}: the job stopped: {}",
                    e.message()
                );
            }
        });
        match spawned {
            Ok(h) => {
                let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
                running.retain(|h| !h.is_finished());
                running.push(h);
            }
            Err(e) => tracing::warn!("index {index} of table {table}: no thread for its job: {e}"),
        }
    }

    /// Starts the job of every index change the catalog records as under way (after a restart).
    pub fn resume(&self, cx: &JobContext) {
        for name in cx.catalog.names_after(None, usize::MAX).0 {
            let Some(t) = cx.catalog.get(&name) else { continue };
            for ix in &t.meta.indexes {
                if ix.status != IndexStatus::Active {
                    self.start(cx, &name, &ix.name);
                }
            }
        }
    }

    /// Waits for every job to end (tests).
    pub fn wait(&self) {
        let running = std::mem::take(&mut *self.running.lock().unwrap_or_else(|e| e.into_inner()));
        for h in running {
            let _ = h.join();
        }
    }
}

impl Drop for Jobs {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        self.wait();
    }
}

/// One index change under way: the table, the index's name and its keyspace (which names it
/// uniquely).
struct Job {
    table: String,
    index: String,
    keyspace: String,
}

/// The job's table, if it still has the job's index, with the index's position in it.
fn current(cx: &JobContext, job: &Job) -> Option<(Arc<Table>, usize)> {
    let t = cx.catalog.get(&job.table)?;
    let pos = t.meta.indexes.iter().position(|i| i.keyspace == job.keyspace)?;
    Some((t, pos))
}

/// Waits until no write that began before now is in flight: every stripe held once.
fn barrier(cx: &JobContext) {
    drop(cx.locks.lock((0..super::locks::STRIPES).collect()));
}

fn run(cx: &JobContext, stop: &AtomicBool, job: &Job) -> DResult<()> {
    let (table, index) = (job.table.as_str(), job.index.as_str());
    // A write that read the catalog before the index was added may still be in flight, about to
    // store an item the walk has passed: wait for it before walking.
    barrier(cx);
    let started = Instant::now();
    let mut last_report = started;
    let mut copied = 0u64;
    loop {
        if stop.load(Ordering::Acquire) {
            return Ok(());
        }
        // The table or the index went away: nothing left to do.
        let Some((t, pos)) = current(cx, job) else { return Ok(()) };
        let Some(ix) = t.meta.indexes.get(pos) else { return Ok(()) };
        match ix.status {
            IndexStatus::Active => return Ok(()),
            IndexStatus::Deleting => return remove(cx, job),
            IndexStatus::Creating => {}
        }
        let progress = ix.backfill.clone().unwrap_or_default();
        let Some(n) = backfill_chunk(cx, &t, &progress, job)? else {
            cx.catalog.update(table, |m| {
                if let Some(ix) = m.indexes.iter_mut().find(|i| i.keyspace == job.keyspace) {
                    if ix.status == IndexStatus::Creating {
                        ix.status = IndexStatus::Active;
                        ix.backfill = None;
                    }
                }
                Ok(())
            })?;
            tracing::info!(
                "index {index} of table {table}: backfilled {} items ({} bytes), ACTIVE",
                progress.items,
                progress.bytes
            );
            return Ok(());
        };
        copied += n;
        if last_report.elapsed() >= PROGRESS_EVERY {
            last_report = Instant::now();
            tracing::info!(
                "index {index} of table {table}: backfilling, {} items ({} bytes) so far",
                progress.items + n,
                progress.bytes
            );
        }
        if cx.items_per_sec > 0 {
            let due = Duration::from_secs_f64(copied as f64 / cx.items_per_sec as f64);
            if let Some(wait) = due.checked_sub(started.elapsed()) {
                std::thread::sleep(wait);
            }
        } else {
            std::thread::yield_now();
        }
    }
}

/// Copies the next chunk of `t`'s items into its index `index` and stores the progress;
/// `None` when no item is left.
fn backfill_chunk(
    cx: &JobContext,
    t: &Table,
    progress: &Backfill,
    job: &Job,
) -> DResult<Option<u64>> {
    let mut opts = IterOptions::all();
    if let Some(c) = &progress.cursor {
        opts.lower = Bound::Excluded(c.clone());
    }
    let mut keys = Vec::with_capacity(cx.chunk_items);
    let mut it = cx.db.iter(&t.ks, opts)?;
    while keys.len() < cx.chunk_items && it.advance()? {
        keys.push(it.key().to_vec());
    }
    drop(it);
    let Some(last) = keys.last().cloned() else { return Ok(None) };
    let stripes = keys.iter().map(|k| cx.locks.stripe(t.ks.name(), k)).collect();
    let (mut items, mut bytes) = (0u64, 0u64);
    {
        let _held = cx.locks.lock(stripes);
        // The table as it is under the locks: the index is still being created.
        let Some((now, now_pos)) = current(cx, job) else { return Ok(None) };
        if now.ks.name() != t.ks.name()
            || now.meta.indexes.get(now_pos).is_none_or(|i| i.status != IndexStatus::Creating)
        {
            return Ok(Some(0));
        }
        let refs: Vec<&[u8]> = keys.iter().map(Vec::as_slice).collect();
        let values = cx.db.multi_get(&t.ks, &refs)?;
        let mut batch = WriteBatch::new();
        let only = only_index(&now, now_pos);
        for (key, value) in keys.iter().zip(values) {
            let Some(value) = value else { continue };
            let item = decode(&value)?;
            items += 1;
            bytes += item_size(&item) as u64;
            let out = Outcome { new: Some(item), ..Outcome::default() };
            index_changes(&only, key, &out, &mut batch);
        }
        if !batch.is_empty() {
            cx.db.write(batch, cx.write)?;
        }
    }
    cx.catalog.update(&job.table, |m| {
        let found = m.indexes.iter_mut().find(|i| i.keyspace == job.keyspace);
        if let Some(ix) = found.filter(|i| i.status == IndexStatus::Creating) {
            let b = ix.backfill.get_or_insert_with(Backfill::default);
            b.cursor = Some(last);
            b.items += items;
            b.bytes += bytes;
        }
        Ok(())
    })?;
    Ok(Some(items.max(1)))
}

/// The table with only its index at `pos` (the one a backfill writes).
fn only_index(t: &Table, pos: usize) -> Table {
    let mut meta = t.meta.clone();
    let keep = meta.indexes.get(pos).cloned();
    meta.indexes = keep.into_iter().collect();
    let index_ks = t.index_ks.get(pos).cloned().into_iter().collect();
    Table { meta, ks: t.ks.clone(), index_ks, collections_ks: None }
}

/// Finishes deleting an index: waits for the writes in flight, forgets it, drops its keyspace.
/// Of two jobs finishing the same deletion (a backfill that saw it, and the deletion's own),
/// only the one whose catalog change removed the index drops the keyspace.
fn remove(cx: &JobContext, job: &Job) -> DResult<()> {
    // Once every stripe has been held, no write that could still see the index is in flight.
    barrier(cx);
    let Some((t, pos)) = current(cx, job) else { return Ok(()) };
    let Some(ks) = t.index_ks.get(pos).cloned() else { return Ok(()) };
    let mut removed = false;
    cx.catalog.update(&job.table, |m| {
        let before = m.indexes.len();
        m.indexes.retain(|i| !(i.keyspace == job.keyspace && i.status == IndexStatus::Deleting));
        removed = m.indexes.len() < before;
        // Attribute definitions only that index used go with it.
        let used: Vec<String> = m
            .key_names()
            .map(str::to_string)
            .chain(m.indexes.iter().flat_map(|i| i.key_names().map(str::to_string)))
            .collect();
        m.attribute_definitions.retain(|a| used.contains(&a.name));
        Ok(())
    })?;
    if removed {
        cx.db.drop_keyspace(&ks).map_err(DynamoError::from)?;
        tracing::info!("index {} of table {}: deleted", job.index, job.table);
    }
    Ok(())
}
