//! Point-in-time restore: the newest base taken at or before the target, copied (tables
//! hard-linked) into a new folder and opened there, plus the batches of the archived and live
//! log after it, up to the target, written on top. The result is an ordinary database.
//!
//! A file `RESTORING` stays in the output folder until the restore is complete and durable:
//! [`crate::Db::open`] refuses such a folder, so a crash mid-restore never passes for a restore.

use super::{base_name, Archive, Base, RESTORING};
use crate::db::tail::LogUpdates;
use crate::db::{Core, Db};
use crate::error::{Error, Result};
use crate::fs;
use crate::key::SequenceNumber;
use crate::{Keyspace, Options, WriteBatch, WriteOptions};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// The state a restore rebuilds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestorePoint {
    /// As of this instant (milliseconds since the Unix epoch): every batch committed at or
    /// before it, none after.
    Time(u64),
    /// Every batch that ends at or before this sequence number.
    Sequence(SequenceNumber),
    /// Every write visible when the restore starts.
    Latest,
}

/// What a restore rebuilt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restored {
    /// The last sequence number of the source the restored database holds.
    pub sequence: SequenceNumber,
    /// The commit time of the last batch replayed (`None`: none was, the base is all).
    pub commit_time_ms: Option<u64>,
    /// The sequence number the base held.
    pub base_sequence: SequenceNumber,
    /// The batches replayed on top of the base.
    pub batches: u64,
}

/// A keyspace's creation or drop between the base and the target, in log order.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Event {
    /// Drops sort first: a name dropped and created again at one sequence is the new one.
    Dropped(String),
    Created(String),
}

/// Releases the archive's pin when the restore ends.
struct Pin<'a>(&'a Archive);

impl Drop for Pin<'_> {
    fn drop(&mut self) {
        let mut inner = self.0.lock();
        inner.pins = inner.pins.saturating_sub(1);
    }
}

/// The restored database's keyspaces by name, created and dropped as the log says.
struct Target {
    db: Db,
    handles: HashMap<String, Keyspace>,
}

impl Target {
    fn keyspace(&mut self, name: &str) -> Result<Keyspace> {
        if let Some(k) = self.handles.get(name) {
            return Ok(k.clone());
        }
        let k = match self.db.keyspace(name) {
            Ok(k) => k,
            // Written before its creation was journaled: only a keyspace of the base can be.
            Err(Error::NotFound(_)) => self.db.create_keyspace(name)?,
            Err(e) => return Err(e),
        };
        self.handles.insert(name.to_owned(), k.clone());
        Ok(k)
    }

    fn apply(&mut self, event: &Event) -> Result<()> {
        match event {
            Event::Created(name) => {
                if self.db.keyspace(name).is_err() {
                    self.db.create_keyspace(name)?;
                }
            }
            Event::Dropped(name) => {
                self.handles.remove(name);
                if let Ok(k) = self.db.keyspace(name) {
                    self.db.drop_keyspace(&k)?;
                }
            }
        }
        Ok(())
    }
}

impl Core {
    /// See [`Db::restore_to`].
    pub(crate) fn restore_to(
        &self,
        point: RestorePoint,
        out: &Path,
        mut options: Options,
    ) -> Result<Restored> {
        let archive = self.archive.as_ref().ok_or_else(|| {
            Error::invalid("restore_to: the database keeps no WAL archive (Options::wal_archive)")
        })?;
        let fs = std::sync::Arc::clone(&self.opts.fs);
        if fs.exists(out)? {
            return Err(Error::AlreadyExists(format!("restore output {}", out.display())));
        }
        let (live_first, last_seq) = self.live_log();
        let (base_number, base, names, events) = {
            let mut inner = archive.lock();
            let start = Archive::log_start(&inner, live_first, last_seq);
            let fits = |b: &Base| match point {
                RestorePoint::Time(t) => b.taken_ms <= t,
                RestorePoint::Sequence(s) => b.seq <= s,
                RestorePoint::Latest => true,
            };
            let chosen = Archive::usable_bases(&inner, start).filter(|(_, b)| fits(b)).last();
            let Some((number, base)) = chosen else {
                let earliest = Archive::usable_bases(&inner, start).next().map(|(_, b)| b);
                return Err(Error::NotFound(match earliest {
                    Some(b) => format!(
                        "{point:?} is before the archive's window, which starts at {} ms \
                         (sequence {})",
                        b.taken_ms, b.seq
                    ),
                    None => format!("{point:?}: the archive holds no base checkpoint yet"),
                }));
            };
            // By sequence, then drops first; each with its time.
            let mut events: BTreeMap<(SequenceNumber, Event), u64> = BTreeMap::new();
            for k in inner.holdings.keyspaces.values() {
                if k.created.0 >= base.seq {
                    events.insert((k.created.0, Event::Created(k.name.clone())), k.created.1);
                }
                if let Some((seq, ms)) = k.dropped.filter(|d| d.0 >= base.seq) {
                    events.insert((seq, Event::Dropped(k.name.clone())), ms);
                }
            }
            let names: BTreeMap<_, _> =
                inner.holdings.keyspaces.iter().map(|(id, k)| (*id, k.name.clone())).collect();
            inner.pins += 1;
            let events: Vec<(SequenceNumber, u64, Event)> =
                events.into_iter().map(|((seq, e), ms)| (seq, ms, e)).collect();
            (number, base, names, events)
        };
        let _pin = Pin(archive);
        let from = base.seq + 1;
        let (files, visible) = self.log_files(from)?;
        let updates = LogUpdates::new(files, from, visible, names);

        fs.create_dir_all(out)?;
        fs::write_file_atomic(fs.as_ref(), out, RESTORING, b"restore in progress\n")?;
        let base_dir = archive.dir.join(base_name(base_number));
        for name in fs.list(&base_dir)? {
            let (from_path, to_path) = (base_dir.join(&name), out.join(&name));
            let immutable = name.ends_with(".sst") || name.ends_with(".blob");
            if !immutable || fs.hard_link(&from_path, &to_path).is_err() {
                let len = fs.open(&from_path)?.len()?;
                crate::db::checkpoint::copy_prefix(fs.as_ref(), &from_path, &to_path, len)?;
            }
        }
        fs.sync_dir(out)?;
        options.fs = std::sync::Arc::clone(&fs);
        options.wal_archive = None;
        options.create_if_missing = false;
        options.error_if_exists = false;
        let db = Db::open_unchecked(out, options)?;
        let mut target = Target { db, handles: HashMap::new() };
        let mut events = events.into_iter().peekable();
        let mut restored = Restored {
            sequence: base.seq,
            commit_time_ms: None,
            base_sequence: base.seq,
            batches: 0,
        };
        for batch in updates {
            let batch = batch?;
            if restored.batches == 0 && batch.sequence != from {
                return Err(Error::NotFound(format!(
                    "the log after the base (sequence {}) starts at {}: a gap",
                    base.seq, batch.sequence
                )));
            }
            let last = batch.sequence + u64::from(batch.count).saturating_sub(1);
            let include = match point {
                RestorePoint::Time(t) => batch.commit_time_ms.unwrap_or(0) <= t,
                RestorePoint::Sequence(s) => last <= s,
                RestorePoint::Latest => true,
            };
            if !include {
                break;
            }
            // A keyspace change at sequence s came after batch s and before the next.
            while let Some((_, _, e)) = events.next_if(|(s, _, _)| *s < batch.sequence) {
                target.apply(&e)?;
            }
            let mut wb = WriteBatch::new();
            for e in &batch.entries {
                let ks = target.keyspace(&e.keyspace)?;
                match &e.value {
                    Some(v) => wb.put(&ks, &e.key, v),
                    None => wb.delete(&ks, &e.key),
                };
            }
            if !wb.is_empty() {
                target.db.write(wb, WriteOptions::default())?;
            }
            restored.sequence = last;
            restored.commit_time_ms = batch.commit_time_ms;
            restored.batches += 1;
        }
        // The changes after the last batch replayed: those made before the point.
        let before_point = |(s, ms, _): &(SequenceNumber, u64, Event)| match point {
            RestorePoint::Time(t) => *ms <= t,
            RestorePoint::Sequence(p) => *s < p,
            RestorePoint::Latest => true,
        };
        for (_, _, e) in events.take_while(before_point) {
            target.apply(&e)?;
        }
        target.db.flush()?;
        target.db.close()?;
        fs.remove(&out.join(RESTORING))?;
        fs.sync_dir(out)?;
        Ok(restored)
    }
}
