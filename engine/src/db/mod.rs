//! The database: the public API over the write path, recovery, keyspaces, snapshots and
//! iterators.
//!
//! ```no_run
//! use shale_engine::{Db, IterOptions, Options, WriteBatch, WriteOptions};
//! # fn main() -> shale_engine::Result<()> {
//! let db = Db::open("/tmp/shale-example", Options::default())?;
//! let ks = db.default_keyspace();
//! db.put(&ks, b"hello", b"world")?;
//! let users = db.create_keyspace("users")?;
//! let mut batch = WriteBatch::new();
//! batch.put(&users, b"u1", b"ada").delete(&ks, b"hello");
//! db.write(batch, WriteOptions::SYNC)?;
//! let snap = db.snapshot();
//! for kv in db.iter(&users, IterOptions::prefix("u"))? {
//!     let (k, v) = kv?;
//!     println!("{k:?} = {v:?}");
//! }
//! assert_eq!(snap.get(&ks, b"hello")?, None);
//! # Ok(()) }
//! ```

pub(crate) mod archive;
mod background;
mod blob_gc;
mod busy;
pub(crate) mod checkpoint;
mod clock;
mod compact;
mod flush;
mod iter;
mod keyspace;
pub(crate) mod options;
mod publish;
mod recovery;
mod snapshot;
mod stats;
pub(crate) mod tail;
mod write;

pub use archive::{ArchiveStats, RestorePoint, Restored};
pub use clock::{Clock, ManualClock, SystemClock};
pub use iter::DbIterator;
pub use keyspace::Keyspace;
pub use recovery::DEFAULT_KEYSPACE;
pub use snapshot::Snapshot;
pub use stats::{DbStats, KeyspaceStats, LevelStats, Percentiles, VerifyReport};
pub use tail::{LogUpdates, LoggedBatch, LoggedEntry};
pub use write::WriteBatch;

use crate::cache::DEFAULT_SHARDS;
use crate::error::{Error, Result};
use crate::filename;
use crate::fs::{FileLock, WritableFile};
use crate::iter::{InternalIterator, MergingIterator};
use crate::key::{Lookup, SequenceNumber};
use crate::manifest::{LevelFiles, ManifestState, VersionEdit, KEYSPACE_NAME_LEN_MAX};
use crate::perf::{self, Stat};
use crate::sst::{BlockCache, TableOptions};
use crate::version::{self, BlobCache, TableCache, TableReads};
use crate::wal::LogWriter;
use crate::{IterOptions, Options, WriteOptions};
use background::BgState;
use keyspace::KeyspaceState;
use snapshot::SnapshotList;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, RwLock};
use std::thread::JoinHandle;

/// State touched only by the one thread committing (the group-commit leader, or a keyspace
/// change), under `Core::commit`.
pub(crate) struct CommitState {
    pub(crate) wal: LogWriter,
    pub(crate) wal_number: u64,
    /// Last sequence number written to the WAL.
    pub(crate) last_seq: SequenceNumber,
    /// WAL files that may still hold unflushed writes (the current one included).
    pub(crate) live_wals: BTreeSet<u64>,
    pub(crate) manifest: LogWriter,
    pub(crate) manifest_state: ManifestState,
    /// The commit time of the last group (ms since the Unix epoch): the next is never less.
    pub(crate) last_commit_ms: u64,
    /// The commit time of the last marker written to the current WAL file (`None`: none yet).
    pub(crate) wal_time: Option<u64>,
    /// The batches of the current WAL file (`None`: none yet).
    pub(crate) wal_span: Option<archive::WalSpan>,
    /// The batches of each sealed live WAL file, for the archive.
    pub(crate) sealed_spans: BTreeMap<u64, Option<archive::WalSpan>>,
}

static NEXT_DB_ID: AtomicU64 = AtomicU64::new(1);

/// Everything shared by the database's handles, snapshots and background threads.
///
/// # Lock order
///
/// A thread holding one of these takes only those further down the list, and never waits for
/// one further up (a condition-variable wait releases its own lock first):
///
/// 1. the group-commit **leader role** (`WriteQueue::leader_active`, `write.rs`): no lock
///    object, but the leader holds the role across `commit_group` and, with `background_flush`
///    off, across the inline flush that follows. A writer waits for the role or its hand-off
///    holding nothing. `queue` itself is only ever held alone: the leader drops it before it
///    takes the commit lock and takes it again after.
/// 2. `flushing`: a keyspace's flush claim (`busy.rs`; `Busy::claim` waits for it).
/// 3. `compacting`: a keyspace's compaction claim (`drop_keyspace` takes both claims, in this
///    order; a flush or a compaction claims before it takes the commit lock).
/// 4. `commit`: the WAL, the manifest and the sequence counter (`CommitState`).
///    4a. the WAL archive's state (`archive::Archive::inner`), under which no lock is taken.
/// 5. `bg`, the background threads' state (`rotate_wal` requests a flush under `commit`).
/// 6. `keyspaces` (read or write). `flush_all` drops it before `rotate_wal`, which takes `bg`.
/// 7. a keyspace's super version lock `KeyspaceState::sv` (read or write; switched and
///    installed under `commit`).
/// 8. leaves, under which no other lock is taken: `publisher`'s state (`publish.rs`),
///    `current_wal`, `poison_cause`, `compact_pointers`, `snapshots`' list, `MemTable::grow`,
///    the claims' own set (`Busy::set`) and `DbShared::threads` (held while joining threads,
///    which never take it); and `obsolete` and `retired_blobs`, under which only the caches'
///    shard locks are taken.
/// 9. the shard locks of the table, blob file and block caches (`cache/lru.rs`): innermost.
///
/// Besides taking these locks, one wait happens under one: `rotate_wal` holds `commit` while
/// `Publisher::wait_all` waits for the inserts in flight. Their writers hold no lock and need
/// only the publisher's, so they finish.
pub(crate) struct Core {
    pub(crate) dir: PathBuf,
    pub(crate) opts: Options,
    pub(crate) db_id: u64,
    _lock: Box<dyn FileLock>,
    queue: Mutex<write::WriteQueue>,
    /// Hand-off rounds of group-commit leaders so far: a waiting writer watches it between
    /// yields before it parks (`write.rs`).
    handoff_rounds: AtomicU64,
    pub(crate) commit: Mutex<CommitState>,
    /// Makes commit groups visible in order once their inserts are done; holds the last
    /// sequence number readers see.
    publisher: publish::Publisher,
    pub(crate) keyspaces: RwLock<BTreeMap<String, Keyspace>>,
    default_ks: Keyspace,
    /// Next file number to hand out (WAL files, tables, manifests).
    pub(crate) next_file: AtomicU64,
    pub(crate) table_opts: TableOptions,
    pub(crate) tables: Arc<TableCache>,
    /// Open blob files: where values separated from the tables are read.
    pub(crate) blobs: Arc<BlobCache>,
    poisoned: AtomicBool,
    poison_cause: Mutex<Option<String>>,
    pub(crate) snapshots: SnapshotList,
    pub(crate) current_wal: Mutex<Arc<dyn WritableFile>>,
    pub(crate) bg: Mutex<BgState>,
    pub(crate) bg_cv: Condvar,
    /// Memtable switches so far (tells a writer that its group switched one).
    pub(crate) rotations: AtomicU64,
    pub(crate) counters: compact::WorkCounters,
    /// Per keyspace and level: largest key of the file compacted last (round robin).
    pub(crate) compact_pointers: Mutex<std::collections::HashMap<u32, Vec<Vec<u8>>>>,
    /// Tables removed from the tree, deleted once no super version refers to them.
    pub(crate) obsolete: Mutex<Vec<Arc<crate::manifest::FileMeta>>>,
    /// Blob files removed from the manifest, deleted once no reader can reach them.
    pub(crate) retired_blobs: Mutex<Vec<blob_gc::RetiredBlob>>,
    /// Keyspaces being flushed: one flush per keyspace at a time (the flush threads, inline
    /// flushes and `Db::flush` callers), so a memtable is flushed exactly once, oldest first.
    pub(crate) flushing: busy::Busy,
    /// Keyspaces being compacted: one compaction per keyspace at a time.
    pub(crate) compacting: busy::Busy,
    /// The WAL archive (`Options::wal_archive`).
    pub(crate) archive: Option<Arc<archive::Archive>>,
}

impl std::fmt::Debug for Core {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Core").field("dir", &self.dir).field("db_id", &self.db_id).finish()
    }
}

impl Core {
    pub(crate) fn check_poison(&self) -> Result<()> {
        if !self.poisoned.load(Ordering::Acquire) {
            return Ok(());
        }
        let cause = self.poison_cause.lock().unwrap_or_else(|e| e.into_inner()).clone();
        Err(Error::Poisoned(cause.unwrap_or_default()))
    }

    pub(crate) fn poison(&self, e: &Error) {
        let mut cause = self.poison_cause.lock().unwrap_or_else(|e| e.into_inner());
        if cause.is_none() {
            *cause = Some(e.to_string());
        }
        self.poisoned.store(true, Ordering::Release);
    }

    fn state_of<'a>(&self, ks: &'a Keyspace) -> Result<&'a KeyspaceState> {
        self.check_keyspace(&ks.state)?;
        Ok(&ks.state)
    }

    /// Reads `key` as of `seq`, or of the latest write when `None`. The latest sequence is read
    /// *after* taking the super version: read before, a compaction finishing in between could have
    /// dropped the version it needs (shadowed by a newer one it cannot see). Read after, the
    /// memtables held are exactly those written up to some moment within the call.
    pub(crate) fn get_at(
        &self,
        ks: &Keyspace,
        key: &[u8],
        seq: Option<SequenceNumber>,
    ) -> Result<Option<Vec<u8>>> {
        let state = self.state_of(ks)?;
        let sv = state.sv();
        let seq = seq.unwrap_or_else(|| self.last_sequence());
        let read = || {
            let t = perf::timer();
            let in_memtable = sv.newest_first().find_map(|m| m.get(key, seq));
            t.stop(Stat::MemtableNanos);
            let found = match in_memtable {
                Some(l) => {
                    perf::count(Stat::MemtableHits, 1);
                    Some(l)
                }
                None => {
                    let t = perf::timer();
                    let found = version::get(&self.tables, &sv.files, key, seq);
                    t.stop(Stat::TableNanos);
                    found?
                }
            };
            self.resolve(key, found)
        };
        read().map_err(|e| state.settle_read_error(e))
    }

    /// The value a lookup found: its bytes, read from a blob file if separated.
    pub(crate) fn resolve(&self, key: &[u8], found: Option<Lookup>) -> Result<Option<Vec<u8>>> {
        Ok(match found {
            Some(Lookup::Value(v)) => Some(v),
            Some(Lookup::Blob(p)) => Some(self.blobs.read(key, &p)?),
            Some(Lookup::Deleted) | None => None,
        })
    }

    /// Reads every key of `keys` as of one sequence, `seq` or the latest write when `None` (read
    /// after taking the super version, as in [`Core::get_at`]): the memtables first, then the
    /// tables with the data-block reads of the whole batch issued together
    /// ([`version::multi_get`]).
    pub(crate) fn multi_get_at(
        &self,
        ks: &Keyspace,
        keys: &[&[u8]],
        seq: Option<SequenceNumber>,
    ) -> Result<Vec<Option<Vec<u8>>>> {
        let state = self.state_of(ks)?;
        let sv = state.sv();
        let seq = seq.unwrap_or_else(|| self.last_sequence());
        let t = perf::timer();
        let mut found: Vec<Option<Lookup>> =
            keys.iter().map(|k| sv.newest_first().find_map(|m| m.get(k, seq))).collect();
        t.stop(Stat::MemtableNanos);
        perf::count(Stat::MemtableHits, found.iter().filter(|f| f.is_some()).count() as u64);
        let read = || {
            if found.iter().any(Option::is_none) {
                let t = perf::timer();
                let read = version::multi_get(&self.tables, &sv.files, keys, seq, &mut found);
                t.stop(Stat::TableNanos);
                read?;
            }
            keys.iter().zip(found).map(|(k, f)| self.resolve(k, f)).collect::<Result<Vec<_>>>()
        };
        read().map_err(|e| state.settle_read_error(e))
    }

    /// An iterator as of `seq`, or of the latest write when `None` (read after taking the super
    /// version, as in [`Core::get_at`]).
    pub(crate) fn iter_at(
        &self,
        ks: &Keyspace,
        opts: IterOptions,
        seq: Option<SequenceNumber>,
    ) -> Result<DbIterator> {
        let state = self.state_of(ks)?;
        let sv = state.sv();
        let seq = seq.unwrap_or_else(|| self.last_sequence());
        let mut children: Vec<Box<dyn InternalIterator>> =
            sv.newest_first().map(|m| Box::new(m.iter()) as Box<dyn InternalIterator>).collect();
        let tables = version::iterators(&self.tables, &sv.files);
        children.extend(tables.map_err(|e| state.settle_read_error(e))?);
        let blobs = Arc::clone(&self.blobs);
        let it = DbIterator::new(MergingIterator::new(children), seq, opts, blobs, sv);
        Ok(it.of_keyspace(Arc::clone(&ks.state)))
    }

    /// Appends `edit` to the manifest durably, then applies it to the in-memory state.
    ///
    /// The edit is applied to a copy of the state first: an edit the state rejects never reaches
    /// the disk (where it would make every later open fail).
    fn log_edit(&self, cs: &mut CommitState, edit: &VersionEdit) -> Result<()> {
        let mut next = cs.manifest_state.clone();
        next.apply(edit)?;
        let res = cs.manifest.add_records(&[&edit.encode()]).and_then(|_| cs.manifest.sync());
        if let Err(e) = res {
            let e = Error::Io(e);
            self.poison(&e);
            return Err(e);
        }
        cs.manifest_state = next;
        Ok(())
    }

    /// Every live keyspace's state.
    pub(crate) fn keyspace_states(&self) -> Vec<Arc<KeyspaceState>> {
        let keyspaces = self.keyspaces.read().unwrap_or_else(|e| e.into_inner());
        keyspaces.values().map(|k| Arc::clone(&k.state)).collect()
    }
}

/// Stops background threads when the last handle goes.
struct DbShared {
    core: Arc<Core>,
    threads: Mutex<Vec<JoinHandle<()>>>,
}

impl DbShared {
    fn stop_threads(&self) {
        background::stop(&self.core, &self.threads);
    }
}

impl Drop for DbShared {
    fn drop(&mut self) {
        self.stop_threads();
    }
}

/// An open database. `Send + Sync`; clone it to share it between threads.
///
/// Dropping the last handle stops background threads; writes acknowledged without `sync` are in
/// the operating system's page cache (they survive a process crash, not a power loss). Use
/// [`Db::close`] to make everything durable first.
#[derive(Clone)]
pub struct Db {
    shared: Arc<DbShared>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db").field("dir", &self.core().dir).finish()
    }
}

impl Db {
    /// Opens the database in `path`, creating it if `options.create_if_missing`, and recovers
    /// every write the WAL holds.
    pub fn open(path: impl AsRef<Path>, options: Options) -> Result<Db> {
        archive::refuse_unfinished_restore(options.fs.as_ref(), path.as_ref())?;
        Db::open_unchecked(path, options)
    }

    /// [`Db::open`] without refusing an unfinished restore (the restore itself opens it).
    pub(crate) fn open_unchecked(path: impl AsRef<Path>, options: Options) -> Result<Db> {
        recovery::check_options(&options)?;
        let dir = path.as_ref().to_path_buf();
        let fs = Arc::clone(&options.fs);
        if options.create_if_missing {
            fs.create_dir_all(&dir)?;
        } else if !fs.exists(&dir)? {
            return Err(Error::NotFound(format!("database {} (no such directory)", dir.display())));
        }
        let lock = fs.lock(&dir.join(filename::LOCK)).map_err(|e| {
            if e.kind() == std::io::ErrorKind::WouldBlock {
                Error::Locked(format!("{}: {e}", dir.display()))
            } else {
                Error::Io(e)
            }
        })?;
        let db_id = NEXT_DB_ID.fetch_add(1, Ordering::Relaxed);
        let table_opts = options.table;
        let archive = match options.wal_archive {
            Some(a) => Some(Arc::new(archive::Archive::open(Arc::clone(&fs), &dir, a)?)),
            None => None,
        };
        let rec =
            recovery::recover(fs.as_ref(), &dir, &options, &table_opts, db_id, archive.as_deref())?;
        if let Some(a) = &archive {
            let live = rec.keyspaces.values().map(|k| (k.id(), k.name().to_owned()));
            a.note_live_keyspaces(live.collect())?;
        }
        let block_cache = (options.block_cache_bytes > 0)
            .then(|| Arc::new(BlockCache::new(options.block_cache_bytes, DEFAULT_SHARDS)));
        let tables = Arc::new(TableCache::new(
            Arc::clone(&fs),
            dir.clone(),
            options.table_cache_files,
            block_cache,
            match (options.mmap_reads, options.direct_reads) {
                (true, _) => TableReads::Mmap,
                (false, true) => TableReads::Direct,
                (false, false) => TableReads::Buffered,
            },
        ));
        let blobs = Arc::new(BlobCache::new(
            Arc::clone(&fs),
            dir.clone(),
            options.table_cache_files,
            options.value_len_max,
        ));
        let last_seq = rec.commit.last_seq;
        let salvaged = rec.salvaged;
        let default_ks = rec
            .keyspaces
            .get(DEFAULT_KEYSPACE)
            .cloned()
            .ok_or_else(|| Error::corruption("manifest: the default keyspace is missing"))?;
        let core = Arc::new(Core {
            dir,
            opts: options,
            db_id,
            _lock: lock,
            queue: Mutex::new(write::WriteQueue::default()),
            handoff_rounds: AtomicU64::new(0),
            commit: Mutex::new(rec.commit),
            publisher: publish::Publisher::new(last_seq),
            keyspaces: RwLock::new(rec.keyspaces),
            default_ks,
            poisoned: AtomicBool::new(false),
            poison_cause: Mutex::new(None),
            snapshots: SnapshotList::default(),
            current_wal: Mutex::new(rec.wal_file),
            next_file: AtomicU64::new(rec.next_file),
            table_opts,
            tables,
            blobs,
            bg: Mutex::new(BgState::default()),
            bg_cv: Condvar::new(),
            rotations: AtomicU64::new(0),
            counters: compact::WorkCounters::default(),
            compact_pointers: Mutex::new(std::collections::HashMap::new()),
            obsolete: Mutex::new(Vec::new()),
            retired_blobs: Mutex::new(Vec::new()),
            flushing: busy::Busy::default(),
            compacting: busy::Busy::default(),
            archive,
        });
        let threads = background::start(&core)?;
        if salvaged {
            if let Some(a) = &core.archive {
                // The log lost a stretch: restores need a base after it.
                core.take_archive_base(a)?;
            }
        }
        Ok(Db { shared: Arc::new(DbShared { core, threads: Mutex::new(threads) }) })
    }

    pub(crate) fn core(&self) -> &Arc<Core> {
        &self.shared.core
    }

    /// The directory the database lives in.
    pub fn path(&self) -> &Path {
        &self.core().dir
    }

    /// The time by the database's clock (`Options::clock`), in ms since the Unix epoch: the
    /// clock commit times are read from, so a write committed after this call has a commit
    /// time of at least this.
    pub fn now_ms(&self) -> u64 {
        self.core().opts.clock.now_ms()
    }

    /// The file system the database lives on (`Options::fs`).
    pub fn file_system(&self) -> Arc<dyn crate::fs::FileSystem> {
        Arc::clone(&self.core().opts.fs)
    }

    /// The keyspace every database has ([`DEFAULT_KEYSPACE`]).
    pub fn default_keyspace(&self) -> Keyspace {
        self.core().default_ks.clone()
    }

    /// An existing keyspace by name.
    pub fn keyspace(&self, name: &str) -> Result<Keyspace> {
        let ks = self.core().keyspaces.read().unwrap_or_else(|e| e.into_inner());
        ks.get(name).cloned().ok_or_else(|| Error::NotFound(format!("keyspace {name:?}")))
    }

    /// Names of every keyspace, sorted.
    pub fn list_keyspaces(&self) -> Vec<String> {
        self.core().keyspaces.read().unwrap_or_else(|e| e.into_inner()).keys().cloned().collect()
    }

    /// Creates a keyspace (durably: it exists after a crash once this returns).
    pub fn create_keyspace(&self, name: &str) -> Result<Keyspace> {
        if name.is_empty() || name.len() > KEYSPACE_NAME_LEN_MAX {
            return Err(Error::invalid(format!(
                "keyspace name must be 1..={KEYSPACE_NAME_LEN_MAX} bytes, got {}",
                name.len()
            )));
        }
        let core = self.core();
        core.check_poison()?;
        let mut cs = core.commit.lock().unwrap_or_else(|e| e.into_inner());
        if core.keyspaces.read().unwrap_or_else(|e| e.into_inner()).contains_key(name) {
            return Err(Error::AlreadyExists(format!("keyspace {name:?}")));
        }
        let id = cs.manifest_state.next_keyspace;
        let edit = VersionEdit {
            add_keyspaces: vec![(id, name.to_owned())],
            next_keyspace: Some(id.saturating_add(1)),
            ..Default::default()
        };
        core.log_edit(&mut cs, &edit)?;
        if let Some(a) = &core.archive {
            // Durable before any batch can name it.
            let ms = core.opts.clock.now_ms().max(cs.last_commit_ms);
            if let Err(e) = a.keyspace_created(id, name, cs.last_seq, ms) {
                core.poison(&e);
                return Err(e);
            }
        }
        let ks = Keyspace {
            state: Arc::new(KeyspaceState::new(
                id,
                name.to_owned(),
                core.db_id,
                cs.wal_number,
                Arc::new(LevelFiles::default()),
                core.opts.memtable_bytes_max,
            )),
        };
        core.keyspaces
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(name.to_owned(), ks.clone());
        Ok(ks)
    }

    /// Drops a keyspace and its data (durably). The default keyspace cannot be dropped. Handles
    /// to it fail from now on.
    pub fn drop_keyspace(&self, ks: &Keyspace) -> Result<()> {
        let core = self.core();
        if ks.name() == DEFAULT_KEYSPACE {
            return Err(Error::invalid("the default keyspace cannot be dropped"));
        }
        core.check_keyspace(&ks.state)?;
        core.check_poison()?;
        // Wait for a flush or compaction of the keyspace to finish (claims come before the
        // commit lock, as in the background threads): its tables are about to be removed.
        let _flushing = core.flushing.claim(ks.id());
        let _compacting = core.compacting.claim(ks.id());
        let mut cs = core.commit.lock().unwrap_or_else(|e| e.into_inner());
        core.check_keyspace(&ks.state)?;
        let files: Vec<u64> = cs
            .manifest_state
            .files
            .get(&ks.id())
            .map(|levels| levels.iter().flatten().map(|f| f.number).collect())
            .unwrap_or_default();
        let blob_files: Vec<u64> = cs
            .manifest_state
            .blobs
            .get(&ks.id())
            .map(|m| m.keys().copied().collect())
            .unwrap_or_default();
        // The keyspace's writes may be the newest ones and may leave with the WAL once other
        // keyspaces flush: record the last sequence so that it never goes back after a reopen,
        // after making every write up to it durable (so the record never runs ahead of the data).
        if let Err(e) = cs.wal.sync() {
            let e = Error::Io(e);
            core.poison(&e);
            return Err(e);
        }
        let edit = VersionEdit {
            drop_keyspaces: vec![ks.id()],
            last_sequence: Some(cs.last_seq),
            ..Default::default()
        };
        core.log_edit(&mut cs, &edit)?;
        if let Some(a) = &core.archive {
            let ms = core.opts.clock.now_ms().max(cs.last_commit_ms);
            a.keyspace_dropped(ks.id(), cs.last_seq, ms)?;
        }
        ks.state.dropped.store(true, Ordering::Release);
        core.keyspaces.write().unwrap_or_else(|e| e.into_inner()).remove(ks.name());
        // The manifest no longer names its tables: remove them (open readers keep their handles).
        for n in files {
            core.tables.evict(n);
            let p = core.dir.join(filename::table(n));
            core.opts.fs.remove(&p)?;
        }
        for n in blob_files {
            core.blobs.evict(n);
            core.opts.fs.remove(&core.dir.join(filename::blob(n)))?;
        }
        Ok(())
    }

    /// Sets `key` to `value` in `ks` (without waiting for an fsync).
    pub fn put(&self, ks: &Keyspace, key: &[u8], value: &[u8]) -> Result<()> {
        self.put_with(ks, key, value, WriteOptions::default())
    }

    /// Sets `key` to `value` in `ks` with explicit write options.
    pub fn put_with(&self, ks: &Keyspace, key: &[u8], value: &[u8], o: WriteOptions) -> Result<()> {
        self.timed_write(|core| {
            write::write_single(core, o, |b| {
                b.put(ks, key, value);
            })
        })
    }

    /// Deletes `key` from `ks` (without waiting for an fsync).
    pub fn delete(&self, ks: &Keyspace, key: &[u8]) -> Result<()> {
        self.delete_with(ks, key, WriteOptions::default())
    }

    /// Deletes `key` from `ks` with explicit write options.
    pub fn delete_with(&self, ks: &Keyspace, key: &[u8], o: WriteOptions) -> Result<()> {
        self.timed_write(|core| {
            write::write_single(core, o, |b| {
                b.delete(ks, key);
            })
        })
    }

    /// Applies `batch` atomically: after any crash all of it or none of it is visible. With
    /// `sync`, returns once the batch is on stable storage.
    pub fn write(&self, batch: WriteBatch, options: WriteOptions) -> Result<()> {
        self.timed_write(|core| core.write(batch, options).0)
    }

    /// Runs a write, recording its latency when `latency_histograms` is on.
    fn timed_write(&self, write: impl FnOnce(&Core) -> Result<()>) -> Result<()> {
        let core = self.core();
        if !core.opts.latency_histograms {
            return write(core);
        }
        let t = std::time::Instant::now();
        let r = write(core);
        core.counters.write_latency.record(t.elapsed().as_nanos() as u64);
        r
    }

    /// The current value of `key` in `ks`.
    pub fn get(&self, ks: &Keyspace, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let core = self.core();
        if !core.opts.latency_histograms {
            return core.get_at(ks, key, None);
        }
        let t = std::time::Instant::now();
        let r = core.get_at(ks, key, None);
        core.counters.get_latency.record(t.elapsed().as_nanos() as u64);
        r
    }

    /// The current values of `keys` in `ks`, in order, all read as of one moment. Faster than
    /// as many [`Db::get`]s when blocks must come from disk: the data-block reads of the batch
    /// go out together (one io_uring submission with the io_uring backend).
    pub fn multi_get(&self, ks: &Keyspace, keys: &[&[u8]]) -> Result<Vec<Option<Vec<u8>>>> {
        self.core().multi_get_at(ks, keys, None)
    }

    /// [`Db::get`], but an entry the compaction filter would remove (an expired TTL entry) reads
    /// as absent before a compaction gets to it.
    pub fn get_unexpired(&self, ks: &Keyspace, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let v = self.get(ks, key)?;
        Ok(match (&self.core().opts.compaction_filter, v) {
            (Some(f), Some(v)) if f.hides(ks.name(), key, &v) => None,
            (_, v) => v,
        })
    }

    /// [`Db::iter`], skipping entries the compaction filter would remove (expired TTL entries).
    pub fn iter_unexpired(&self, ks: &Keyspace, options: IterOptions) -> Result<DbIterator> {
        let it = self.iter(ks, options)?;
        Ok(match &self.core().opts.compaction_filter {
            Some(f) => it.hiding(Arc::clone(f), ks.name().to_owned()),
            None => it,
        })
    }

    /// An iterator over `ks` at the current state.
    pub fn iter(&self, ks: &Keyspace, options: IterOptions) -> Result<DbIterator> {
        let core = self.core();
        core.iter_at(ks, options, None)
    }

    /// A read view of the current state.
    pub fn snapshot(&self) -> Snapshot {
        let core = Arc::clone(self.core());
        let seq = core.snapshots.acquire_current(|| core.last_sequence());
        Snapshot { core, seq }
    }

    /// Sequence number of the last write visible to readers.
    pub fn latest_sequence(&self) -> SequenceNumber {
        self.core().last_sequence()
    }

    /// The oldest live snapshot's sequence number.
    pub fn oldest_snapshot(&self) -> Option<SequenceNumber> {
        self.core().snapshots.oldest()
    }

    /// Compacts the tables of `ks` holding keys in `[start, end]` (every table when both are
    /// `None`) down to the last level, after flushing the memtables: afterwards the range is
    /// in one sorted run, without shadowed versions or obsolete tombstones.
    pub fn compact_range(
        &self,
        ks: &Keyspace,
        start: Option<&[u8]>,
        end: Option<&[u8]>,
    ) -> Result<()> {
        let core = self.core();
        core.check_keyspace(&ks.state)?;
        core.compact_range(&ks.state, start, end)
    }

    /// The write batches the WAL still holds from sequence `from` on (the batch holding `from`
    /// first), in order, up to the last write visible now (RocksDB's `GetUpdatesSince`). The
    /// WAL keeps a batch until every keyspace it wrote is flushed: asked for an older sequence,
    /// this answers [`Error::NotFound`] (the writes are in tables only). Entries of keyspaces
    /// dropped since are left out.
    pub fn updates_since(&self, from: SequenceNumber) -> Result<LogUpdates> {
        self.core().updates_since(from)
    }

    /// Writes a consistent, openable copy of the database into the new directory `dir` while
    /// writes continue (tables are hard-linked, the WAL tail copied). Returns the sequence number
    /// of the last write the copy holds.
    pub fn checkpoint(&self, dir: impl AsRef<Path>) -> Result<SequenceNumber> {
        self.core().checkpoint(dir.as_ref())
    }

    /// [`Db::checkpoint`] of `keyspaces` only: the copy holds them (and an empty default
    /// keyspace, unless it is one of them), with their names; only their tables and blob files
    /// are linked. For backups of one table's keyspaces.
    pub fn checkpoint_keyspaces(
        &self,
        keyspaces: &[&Keyspace],
        dir: impl AsRef<Path>,
    ) -> Result<SequenceNumber> {
        let core = self.core();
        for ks in keyspaces {
            core.check_keyspace(&ks.state)?;
        }
        let ids: Vec<_> = keyspaces.iter().map(|k| k.id()).collect();
        core.checkpoint_of(dir.as_ref(), Some(&ids))
    }

    /// Waits until background work is done: no memtable waiting for a flush, no compaction due
    /// or running, obsolete tables removed (RocksDB's `WaitForCompact`).
    pub fn wait_for_background_work(&self) -> Result<()> {
        self.core().wait_idle()
    }

    /// Writes every memtable holding data to an L0 SSTable and waits for it.
    pub fn flush(&self) -> Result<()> {
        self.core().flush_all()
    }

    /// Makes every acknowledged write durable (fsync of the WAL).
    pub fn sync_wal(&self) -> Result<()> {
        self.core().sync_wal()
    }

    /// Syncs the WAL and stops background threads. Other clones of this handle stay usable.
    pub fn close(self) -> Result<()> {
        let r = self.core().sync_wal();
        self.shared.stop_threads();
        r
    }
}
