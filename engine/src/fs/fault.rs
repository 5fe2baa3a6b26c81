//! [`FaultFs`]: fault injection and simulated power loss over a real file system, for tests.
//!
//! [`MemFs`](super::MemFs) runs the crash and fault tests in memory. `FaultFs` runs the same tests
//! on a real backend ([`OsFs`](super::OsFs), `UringFs`): it forwards every operation to the file
//! system it wraps, so the backend's own appends, syncs, reads and renames are what the engine
//! uses, while `FaultFs` counts the operations, fails the chosen one, and remembers what was made
//! durable so that it can undo the rest when a test simulates power loss. (The idea is LevelDB's
//! `FaultInjectionTestEnv`.) The test API is [`MemFs`](super::MemFs)'s, with the same meaning
//! where the sections below do not say otherwise.
//!
//! # Model
//!
//! * **Paths**: a relative path resolves under the root directory given to [`FaultFs::new`] (so
//!   tests that use the directory `db` with `MemFs` work unchanged); an absolute path is used as
//!   it is. Paths are normalised by components as `MemFs` does (`a/./b`, `a//b/` and `a/c/../b`
//!   name one file), without looking at symbolic links. [`FaultFs::owning`] also takes an owner of
//!   the root (say, its `tempfile::TempDir`), dropped after the last clone and the last handle.
//! * **The disk holds the live state**: `open`, `list`, `exists` and reads see the real files.
//!   What a power loss would keep is bookkeeping on the side:
//!   * every file an operation touched is a *node* with a **synced length**: the bytes known
//!     durable. A file made by [`FileSystem::create`] (or `create_direct`, or `lock`) starts at
//!     0; a successful [`WritableFile::sync`] (or `append_and_sync`) of its writer raises it to
//!     the length the writer had before the sync; [`FileSystem::truncate`] sets it to the new
//!     length, and [`FileSystem::sync_file`] raises it to the file's length before the sync. A
//!     file found on disk (there before, or written by [`FaultFs::set_file_bytes`]) is durable in
//!     full.
//!   * every directory keeps, for each name an operation touched, a **live** and a **durable**
//!     entry: the node the name holds now, and the node it held at the last successful
//!     [`FileSystem::sync_dir`] of that directory (or none). A name no operation touched is
//!     durable as it is on disk.
//! * **Trash**: a power loss must be able to undo a `remove`, a `rename` over an existing file and
//!   a `create` over one. So when a name goes away while a durable entry still names its node and
//!   no other live name holds the node, the file is not deleted: `remove` and `create` move it to
//!   `<root>/.faultfs-trash/<n>`, `rename` hard-links it there before replacing it. A trashed file
//!   is deleted for real once no durable entry names its node (after a `sync_dir`), and the whole
//!   trash at a power loss. [`FileSystem::list`] of the root never shows the trash directory.
//! * **Directories** are durable at once, as in `MemFs` (a real file system needs an `fsync` of
//!   the parent): [`FileSystem::create_dir_all`] forwards, and a durable-only entry of a file of
//!   the same name (removed, not yet dir-synced) is dropped for good. Directories cannot be
//!   renamed ([`io::ErrorKind::Unsupported`], as in `MemFs`).
//!
//! # Operations
//!
//! Every [`FileSystem`] method forwards to the wrapped file system on the resolved path (the
//! defaulted ones too: `open_mmap`, `open_direct`, `create_direct`, `read_many`), with these
//! differences:
//! * `create` (and `create_direct`) over an existing file first takes the old name away as
//!   `remove` does (trash or delete), then creates a new file: a *new inode*, as in `MemFs`
//!   (readers of the old file keep reading it, and a power loss before `sync_dir` brings the old
//!   contents back), not the backend's `O_TRUNC` of the old inode in place;
//! * `list` is sorted (as `MemFs`'s) and hides the trash in the root;
//! * handles are wrapped: each remembers the power-loss generation it was opened in.
//!
//! The backend's own behaviour is kept otherwise: for example, after a `truncate` of a file that
//! has an open writer, [`WritableFile::len`] of that writer is what the backend says (`OsFs`
//! keeps its own count), where `MemFs` reports the cut length.
//!
//! # Power loss
//!
//! [`FaultFs::crash`]`(seed)` makes the disk look as it would after a power loss and reboot:
//! * every touched directory entry whose live node is not its durable node is put back: a file
//!   whose creation was not dir-synced is removed, an unsynced rename or remove is undone
//!   (restored by a hard link from the trash or from the node's current name), a file replaced
//!   by an unsynced `rename` or `create` comes back;
//! * every node left on disk with bytes past its synced length is cut to its synced length plus
//!   a pseudo-random prefix (from `seed`) of those bytes; the prefix is `0` and "all of them" each
//!   with probability of about 1/4, as in `MemFs`;
//! * the trash is deleted, and what is left is taken as durable: the bookkeeping starts afresh
//!   (a second crash keeps it all);
//! * every handle opened before ([`WritableFile`], [`ReadableFile`], [`FileLock`]) becomes stale:
//!   each operation on it fails with an `io::Error` "stale handle after simulated crash" without
//!   reaching the backend (a stale [`WritableFile::len`] reports the last length that handle saw),
//!   and every lock taken through `FaultFs` is released (the backend's lock is dropped).
//!
//! A crash waits for operations in progress and runs alone. It returns the real I/O error if it
//! cannot put a file back (the bookkeeping is then reset all the same). The same history and seed
//! give the same result. [`FaultFs::crash_drop_unsynced`] keeps no unsynced byte. A crash does not
//! count as an operation and leaves the operation count and any armed fault as they are.
//!
//! # Fault injection
//!
//! Operations are counted as in `MemFs` (with the same code): each [`FileSystem`] method is one;
//! so are [`WritableFile::append`], [`WritableFile::sync`], [`ReadableFile::read_at`] and
//! [`ReadableFile::len`], but not the infallible [`WritableFile::len`], dropping a handle, nor the
//! test helpers. The defaulted handle methods count as `MemFs`'s defaults do: `read_full_at` is
//! its `read_at` calls, and `append_and_sync` is two operations, the append and then the sync (a
//! fault at the append writes nothing; a fault at the sync leaves the data appended but not
//! synced; with no fault the backend's own `append_and_sync` runs, one linked submission on
//! io_uring). `read_many` counts as `MemFs`'s default (each request's `read_full_at`) does: one
//! operation per request with a non-empty buffer, and a second one for a request that came back
//! short but not empty (the `read_at` that would find the end of the file) — the one difference
//! is that those second operations are counted after the batch's first ones, not in between. The
//! requests no fault failed go to the backend's `read_many` in one call (this layer's handles
//! unwrapped to the backend's, a file of another file system as it is), so io_uring still
//! batches them. A call counts before anything else is checked.
//! [`FaultFs::fail_after`]`(k, mode)` fails the `k`-th counted operation from now with
//! `io::Error::other("injected fault")` before it reaches the backend, so it has no effect;
//! [`FaultMode::Permanent`] fails every later one too, until [`FaultFs::clear_faults`].
//!
//! # Limits
//!
//! * The real machine never loses power: the backend's `fsync`s run but what they make durable is
//!   modelled, not observed. Bytes the kernel wrote back on its own still count as unsynced.
//! * Unsynced bytes survive as a prefix, as in `MemFs`; a real power loss can also leave torn or
//!   zeroed blocks in the middle.
//! * Directory creations are durable at once (above).
//! * Trash lives under the root: a file outside the root on another file system cannot be removed
//!   or replaced through `FaultFs` while a durable entry names it (the move to the trash fails).
//! * A file that already had several names (hard links) before `FaultFs` touched them is taken as
//!   several files. Changes made around `FaultFs` (another process, `std::fs`) are not seen.
//! * Path operations run one at a time; reads and writes of open handles run concurrently.

use super::inject::{pick_kept, Injector};
use super::mem::{normalize, stale};
use super::{FaultMode, FileLock, FileSystem, ReadRequest, ReadableFile, WritableFile};
use crate::util::rand::SplitMix64;
use std::any::Any;
use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard};

/// The trash directory's name inside the root.
const TRASH: &str = ".faultfs-trash";

/// A synced length meaning "every byte" (a file found on disk).
const ALL: u64 = u64::MAX;

type NodeId = u64;

/// A file an operation touched.
struct Node {
    /// Bytes known durable ([`ALL`]: every byte).
    synced: u64,
    /// A name in the trash that keeps the contents while no live name does.
    trash: Option<PathBuf>,
}

/// What a touched name of a directory holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Entry {
    /// The node the name holds on disk now.
    live: Option<NodeId>,
    /// The node it held at the last `sync_dir` (or when first touched).
    durable: Option<NodeId>,
}

#[derive(Default)]
struct State {
    injector: Injector,
    /// Directory (resolved) -> touched name -> entry.
    dirs: BTreeMap<PathBuf, BTreeMap<OsString, Entry>>,
    nodes: BTreeMap<NodeId, Node>,
    next_node: NodeId,
    next_trash: u64,
    /// The backend's guards of the locks held through this layer.
    locks: BTreeMap<u64, Box<dyn FileLock>>,
    next_lock: u64,
}

/// Splits a resolved file path into its directory and its name.
fn split(path: &Path) -> io::Result<(&Path, &OsStr)> {
    match (path.parent(), path.file_name()) {
        (Some(dir), Some(name)) => Ok((dir, name)),
        _ => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} does not name a file", path.display()),
        )),
    }
}

impl State {
    fn entry(&self, path: &Path) -> Option<Entry> {
        let (dir, name) = split(path).ok()?;
        self.dirs.get(dir)?.get(name).copied()
    }

    fn entry_mut(&mut self, path: &Path) -> io::Result<&mut Entry> {
        let (dir, name) = split(path)?;
        Ok(self.dirs.entry(dir.to_path_buf()).or_default().entry(name.to_os_string()).or_default())
    }

    fn new_node(&mut self, synced: u64) -> NodeId {
        let id = self.next_node;
        self.next_node = self.next_node.wrapping_add(1);
        self.nodes.insert(id, Node { synced, trash: None });
        id
    }

    /// The node the live name `path` (resolved) holds, registering the name first if no
    /// operation touched it yet: a file on disk then becomes a node durable in full, under a
    /// durable entry. `None`: no file there (nothing, a directory, or an unreadable path).
    fn touch(&mut self, path: &Path) -> io::Result<Option<NodeId>> {
        if let Some(e) = self.entry(path) {
            return Ok(e.live);
        }
        match std::fs::symlink_metadata(path) {
            Ok(m) if !m.is_dir() => {
                let node = self.new_node(ALL);
                *self.entry_mut(path)? = Entry { live: Some(node), durable: Some(node) };
                Ok(Some(node))
            }
            _ => Ok(None),
        }
    }

    /// Every (path, entry) of the touched names.
    fn entries(&self) -> impl Iterator<Item = (PathBuf, Entry)> + '_ {
        self.dirs.iter().flat_map(|(dir, names)| names.iter().map(|(n, e)| (dir.join(n), *e)))
    }

    /// A live name of `node` other than `except`.
    fn live_path(&self, node: NodeId, except: Option<&Path>) -> Option<PathBuf> {
        self.entries()
            .find(|(p, e)| e.live == Some(node) && Some(p.as_path()) != except)
            .map(|(p, _)| p)
    }

    /// A durable name of `node`.
    fn durable_path(&self, node: NodeId) -> Option<PathBuf> {
        self.entries().find(|(_, e)| e.durable == Some(node)).map(|(p, _)| p)
    }

    /// Whether taking the live name `path` from `node` must keep the contents in the trash: a
    /// durable entry names the node, and neither the trash nor another live name holds it.
    fn must_keep(&self, node: NodeId, path: &Path) -> bool {
        self.nodes.get(&node).is_some_and(|n| n.trash.is_none())
            && self.durable_path(node).is_some()
            && self.live_path(node, Some(path)).is_none()
    }

    /// Forgets `node` if no entry names it; deletes its trash copy once no durable entry does.
    fn collect(&mut self, node: NodeId) {
        let live = self.live_path(node, None).is_some();
        let durable = self.durable_path(node).is_some();
        if !durable {
            if let Some(trash) = self.nodes.get_mut(&node).and_then(|n| n.trash.take()) {
                // Best effort: a leftover trash file is deleted at the next crash.
                let _ = std::fs::remove_file(trash);
            }
        }
        if !live && !durable {
            self.nodes.remove(&node);
        }
    }
}

/// What the clones of a [`FaultFs`] share.
struct Shared {
    inner: Arc<dyn FileSystem>,
    /// Absolute and normalised.
    root: PathBuf,
    trash: PathBuf,
    /// Held shared by every operation while it runs and exclusively by a crash, so that a crash
    /// never lands in the middle of one (a write that completes after the files were cut would
    /// leave bytes no power loss could).
    gate: RwLock<()>,
    /// Bumped by every crash; handles of an older generation are stale.
    generation: AtomicU64,
    state: Mutex<State>,
    /// Dropped last, with the last clone and handle (see [`FaultFs::owning`]).
    _owner: Option<Box<dyn Any + Send + Sync>>,
}

/// A fault-injecting layer over a real file system: fails chosen operations and simulates power
/// loss on real files (see the top comment of `engine/src/fs/fault.rs` for the exact model).
///
/// Cloning is cheap and the clones share one state: a test keeps one and hands another to the
/// database as its `Arc<dyn FileSystem>`.
#[derive(Clone)]
pub struct FaultFs {
    shared: Arc<Shared>,
}

impl Shared {
    fn gate(&self) -> RwLockReadGuard<'_, ()> {
        self.gate.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn lock_state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn resolve(&self, path: &Path) -> PathBuf {
        let path = normalize(path);
        if path.is_absolute() {
            path
        } else {
            normalize(&self.root.join(path))
        }
    }

    fn check_generation(&self, generation: u64) -> io::Result<()> {
        if self.generation.load(Ordering::Acquire) == generation {
            Ok(())
        } else {
            Err(stale())
        }
    }

    /// Counts one operation of a handle of `generation` and fails it if a fault says so or the
    /// handle is stale.
    fn begin_handle_op(&self, generation: u64) -> io::Result<()> {
        self.lock_state().injector.begin_op()?;
        self.check_generation(generation)
    }

    /// Raises the synced length of `node` to `len` (its writer of `generation` synced).
    fn synced(&self, node: NodeId, generation: u64, len: u64) {
        let mut st = self.lock_state();
        if self.check_generation(generation).is_ok() {
            if let Some(n) = st.nodes.get_mut(&node) {
                n.synced = n.synced.max(len);
            }
        }
    }

    /// A fresh name in the trash.
    fn trash_path(&self, st: &mut State) -> io::Result<PathBuf> {
        std::fs::create_dir_all(&self.trash)?;
        let n = st.next_trash;
        st.next_trash = st.next_trash.wrapping_add(1);
        Ok(self.trash.join(n.to_string()))
    }

    /// Takes the live name `path` (resolved) away from `node`: the file moves to the trash if a
    /// power loss may need it back, else it is removed.
    fn unlink(&self, st: &mut State, path: &Path, node: NodeId) -> io::Result<()> {
        if st.must_keep(node, path) {
            let trash = self.trash_path(st)?;
            self.inner.rename(path, &trash)?;
            if let Some(n) = st.nodes.get_mut(&node) {
                n.trash = Some(trash);
            }
        } else {
            self.inner.remove(path)?;
        }
        st.entry_mut(path)?.live = None;
        st.collect(node);
        Ok(())
    }

    /// `create` or `create_direct` (`make`) of `path`.
    fn create_with(
        self: &Arc<Self>,
        path: &Path,
        make: impl FnOnce(&dyn FileSystem, &Path) -> io::Result<Arc<dyn WritableFile>>,
    ) -> io::Result<Arc<dyn WritableFile>> {
        let _gate = self.gate();
        let mut st = self.lock_state();
        st.injector.begin_op()?;
        let path = self.resolve(path);
        if let Some(old) = st.touch(&path)? {
            self.unlink(&mut st, &path, old)?;
        }
        let inner = make(&*self.inner, &path)?;
        let node = st.new_node(0);
        st.entry_mut(&path)?.live = Some(node);
        Ok(Arc::new(FaultWritable {
            fs: Arc::clone(self),
            inner,
            node,
            generation: self.generation.load(Ordering::Acquire),
            len_seen: AtomicU64::new(0),
        }))
    }

    /// `open`, `open_mmap` or `open_direct` (`open`) of `path`.
    fn open_with(
        self: &Arc<Self>,
        path: &Path,
        open: impl FnOnce(&dyn FileSystem, &Path) -> io::Result<Arc<dyn ReadableFile>>,
    ) -> io::Result<Arc<dyn ReadableFile>> {
        let _gate = self.gate();
        let mut st = self.lock_state();
        st.injector.begin_op()?;
        let inner = open(&*self.inner, &self.resolve(path))?;
        Ok(Arc::new(FaultReadable {
            fs: Arc::clone(self),
            inner,
            generation: self.generation.load(Ordering::Acquire),
        }))
    }

    /// Simulates power loss (see the module docs); `rng` picks the unsynced bytes that survive
    /// (none without it).
    fn power_loss(&self, rng: Option<SplitMix64>) -> io::Result<()> {
        let _gate = self.gate.write().unwrap_or_else(PoisonError::into_inner);
        let mut st = self.lock_state();
        let result = self.restore_durable(&st, rng);
        // Whatever happened, what is on disk now is the new durable state.
        st.dirs.clear();
        st.nodes.clear();
        let locks = std::mem::take(&mut st.locks);
        self.generation.fetch_add(1, Ordering::AcqRel);
        drop(st);
        drop(locks);
        result
    }

    fn restore_durable(&self, st: &State, mut rng: Option<SplitMix64>) -> io::Result<()> {
        // 1. Link every node a durable entry needs back under a staging name first: its live
        //    name may be one of those removed next.
        let mut staged: Vec<(PathBuf, PathBuf)> = Vec::new();
        let mut wrong: Vec<PathBuf> = Vec::new();
        for (path, e) in st.entries() {
            if e.live == e.durable {
                continue;
            }
            if let Some(node) = e.durable {
                let from = st
                    .nodes
                    .get(&node)
                    .and_then(|n| n.trash.clone())
                    .or_else(|| st.live_path(node, None))
                    .ok_or_else(|| {
                        io::Error::other(format!(
                            "FaultFs: nothing holds the durable contents of {}",
                            path.display()
                        ))
                    })?;
                std::fs::create_dir_all(&self.trash)?;
                let stage = self.trash.join(format!("restore-{}", staged.len()));
                std::fs::hard_link(&from, &stage)?;
                staged.push((stage, path.clone()));
            }
            if e.live.is_some() {
                wrong.push(path);
            }
        }
        // 2. Remove the names not dir-synced, 3. put the durable ones back.
        for path in wrong {
            match std::fs::remove_file(&path) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
        }
        for (stage, path) in staged {
            std::fs::rename(&stage, &path)?;
        }
        // 4. Cut unsynced bytes, node by node in creation order (reproducible from the seed).
        for (&id, node) in &st.nodes {
            if node.synced == ALL {
                continue;
            }
            let Some(path) = st.durable_path(id) else { continue };
            let len = std::fs::metadata(&path)?.len();
            let unsynced = len.saturating_sub(node.synced);
            if unsynced == 0 {
                continue;
            }
            let keep = match rng.as_mut() {
                Some(rng) => {
                    let n = usize::try_from(unsynced).unwrap_or(usize::MAX);
                    u64::try_from(pick_kept(rng, n)).unwrap_or(unsynced)
                }
                None => 0,
            };
            if keep < unsynced {
                let f = std::fs::OpenOptions::new().write(true).open(&path)?;
                f.set_len(node.synced.saturating_add(keep))?;
            }
        }
        // 5. Empty the trash.
        match std::fs::remove_dir_all(&self.trash) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }
}

impl FaultFs {
    /// A layer over `inner` whose relative paths resolve under `root` (an existing directory; it
    /// also holds the trash). No fault is armed; every file already on disk counts as durable.
    pub fn new(inner: Arc<dyn FileSystem>, root: impl Into<PathBuf>) -> FaultFs {
        Self::make(inner, root.into(), None)
    }

    /// Like [`FaultFs::new`], and `owner` (say, the `tempfile::TempDir` holding `root`) is
    /// dropped only after the last clone of this `FaultFs` and the last handle opened through
    /// it: a database still open on the layer keeps its directory.
    pub fn owning(
        inner: Arc<dyn FileSystem>,
        root: impl Into<PathBuf>,
        owner: impl Any + Send + Sync,
    ) -> FaultFs {
        Self::make(inner, root.into(), Some(Box::new(owner)))
    }

    fn make(
        inner: Arc<dyn FileSystem>,
        root: PathBuf,
        owner: Option<Box<dyn Any + Send + Sync>>,
    ) -> FaultFs {
        let root = normalize(&std::path::absolute(&root).unwrap_or(root));
        let trash = root.join(TRASH);
        FaultFs {
            shared: Arc::new(Shared {
                inner,
                root,
                trash,
                gate: RwLock::new(()),
                generation: AtomicU64::new(0),
                state: Mutex::new(State::default()),
                _owner: owner,
            }),
        }
    }

    /// The directory relative paths resolve under (absolute).
    pub fn root(&self) -> &Path {
        &self.shared.root
    }

    /// Simulates power loss and reboot, keeping a pseudo-random (from `seed`) prefix of each
    /// file's unsynced bytes. Directory entries not dir-synced are undone, every handle opened
    /// before becomes stale and every lock is released. Fails with the real error if a file
    /// cannot be put back. See the module docs.
    pub fn crash(&self, seed: u64) -> io::Result<()> {
        self.shared.power_loss(Some(SplitMix64::new(seed)))
    }

    /// Like [`FaultFs::crash`], but no unsynced byte survives.
    pub fn crash_drop_unsynced(&self) -> io::Result<()> {
        self.shared.power_loss(None)
    }

    /// Arms a fault: the `k`-th counted operation from now (`k = 0`: the very next one) fails
    /// with `io::Error::other("injected fault")` and has no effect; with [`FaultMode::Permanent`]
    /// every later operation fails too. Replaces an armed fault and ends a permanent failure
    /// already under way.
    pub fn fail_after(&self, k: u64, mode: FaultMode) {
        self.shared.lock_state().injector.fail_after(k, mode);
    }

    /// Disarms any fault and ends a permanent failure.
    pub fn clear_faults(&self) {
        self.shared.lock_state().injector.clear();
    }

    /// The number of operations counted since this layer was made (failed ones included).
    pub fn op_count(&self) -> u64 {
        self.shared.lock_state().injector.ops()
    }

    /// The number of operations that failed with an injected fault.
    pub fn faults_hit(&self) -> u64 {
        self.shared.lock_state().injector.faults_hit()
    }

    /// Test helper: the bytes of the file `path` names now, or `None` if there is no such file.
    pub fn file_bytes(&self, path: impl AsRef<Path>) -> Option<Vec<u8>> {
        let _gate = self.shared.gate();
        let path = self.shared.resolve(path.as_ref());
        match std::fs::symlink_metadata(&path) {
            Ok(m) if m.is_file() => std::fs::read(&path).ok(),
            _ => None,
        }
    }

    /// Test helper: the durable length of the file `path` names now (the entry itself may not be
    /// durable), or `None` if there is no such file.
    pub fn durable_len(&self, path: impl AsRef<Path>) -> Option<u64> {
        let _gate = self.shared.gate();
        let path = self.shared.resolve(path.as_ref());
        let len = match std::fs::symlink_metadata(&path) {
            Ok(m) if m.is_file() => m.len(),
            _ => return None,
        };
        let st = self.shared.lock_state();
        let synced = st.entry(&path).and_then(|e| e.live).and_then(|n| st.nodes.get(&n));
        Some(synced.map_or(len, |n| n.synced.min(len)))
    }

    /// Test helper (for corruption tests): writes `bytes` as the whole contents of the file
    /// `path` (an existing file in place, keeping its inode, so open readers see the new bytes; a
    /// missing one is created) and makes the contents and the directory entry durable. Fails if
    /// the parent directory is missing or `path` is a directory. Not counted.
    pub fn set_file_bytes(&self, path: impl AsRef<Path>, bytes: &[u8]) -> io::Result<()> {
        let _gate = self.shared.gate();
        let mut st = self.shared.lock_state();
        let path = self.shared.resolve(path.as_ref());
        let (dir, _) = split(&path)?;
        if path.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::IsADirectory,
                format!("{} is a directory", path.display()),
            ));
        }
        if !dir.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("{}: no such directory", dir.display()),
            ));
        }
        std::fs::write(&path, bytes)?;
        let node = match st.touch(&path)? {
            Some(node) => node,
            None => st.new_node(ALL),
        };
        if let Some(n) = st.nodes.get_mut(&node) {
            n.synced = ALL;
        }
        let e = st.entry_mut(&path)?;
        let old = e.durable;
        *e = Entry { live: Some(node), durable: Some(node) };
        if let Some(old) = old.filter(|&o| o != node) {
            st.collect(old);
        }
        Ok(())
    }
}

impl fmt::Debug for FaultFs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("FaultFs");
        d.field("inner", &self.shared.inner).field("root", &self.shared.root);
        // `try_lock`: never block (or deadlock) just to print.
        if let Ok(st) = self.shared.state.try_lock() {
            d.field("nodes", &st.nodes.len())
                .field("generation", &self.shared.generation.load(Ordering::Relaxed))
                .field("ops", &st.injector.ops())
                .field("faults_hit", &st.injector.faults_hit());
        }
        d.finish_non_exhaustive()
    }
}

/// A [`WritableFile`] of a [`FaultFs`].
struct FaultWritable {
    fs: Arc<Shared>,
    inner: Arc<dyn WritableFile>,
    node: NodeId,
    generation: u64,
    /// The last length this handle saw (reported by `len` once the handle is stale).
    len_seen: AtomicU64,
}

impl fmt::Debug for FaultWritable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FaultWritable")
            .field("inner", &self.inner)
            .field("node", &self.node)
            .field("generation", &self.generation)
            .finish()
    }
}

impl FaultWritable {
    fn saw(&self) -> u64 {
        let len = self.inner.len();
        self.len_seen.store(len, Ordering::Relaxed);
        len
    }
}

impl WritableFile for FaultWritable {
    fn append(&self, data: &[u8]) -> io::Result<()> {
        let _gate = self.fs.gate();
        self.fs.begin_handle_op(self.generation)?;
        let r = self.inner.append(data);
        self.saw();
        r
    }

    fn sync(&self) -> io::Result<()> {
        let _gate = self.fs.gate();
        self.fs.begin_handle_op(self.generation)?;
        let len = self.saw();
        self.inner.sync()?;
        self.fs.synced(self.node, self.generation, len);
        Ok(())
    }

    /// Two operations, as `MemFs` counts the default (append, then sync); without a fault at
    /// either, the backend's own `append_and_sync`.
    fn append_and_sync(&self, data: &[u8]) -> io::Result<()> {
        let _gate = self.fs.gate();
        self.fs.begin_handle_op(self.generation)?;
        if let Err(e) = self.fs.begin_handle_op(self.generation) {
            let r = self.inner.append(data);
            self.saw();
            return r.and(Err(e));
        }
        let r = self.inner.append_and_sync(data);
        let len = self.saw();
        r?;
        self.fs.synced(self.node, self.generation, len);
        Ok(())
    }

    fn len(&self) -> u64 {
        if self.fs.check_generation(self.generation).is_ok() {
            self.saw()
        } else {
            self.len_seen.load(Ordering::Relaxed)
        }
    }
}

/// A [`ReadableFile`] of a [`FaultFs`].
struct FaultReadable {
    fs: Arc<Shared>,
    inner: Arc<dyn ReadableFile>,
    generation: u64,
}

impl fmt::Debug for FaultReadable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FaultReadable")
            .field("inner", &self.inner)
            .field("generation", &self.generation)
            .finish()
    }
}

impl ReadableFile for FaultReadable {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        let _gate = self.fs.gate();
        self.fs.begin_handle_op(self.generation)?;
        self.inner.read_at(buf, offset)
    }

    fn len(&self) -> io::Result<u64> {
        let _gate = self.fs.gate();
        self.fs.begin_handle_op(self.generation)?;
        self.inner.len()
    }

    /// This wrapper, so that [`FileSystem::read_many`] of its [`FaultFs`] can hand the
    /// backend's own files to the backend.
    fn as_any(&self) -> Option<&dyn Any> {
        Some(self)
    }
}

/// A [`FileLock`] of a [`FaultFs`].
struct FaultLock {
    fs: Arc<Shared>,
    id: u64,
    generation: u64,
}

impl fmt::Debug for FaultLock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FaultLock")
            .field("id", &self.id)
            .field("generation", &self.generation)
            .finish()
    }
}

impl FileLock for FaultLock {}

impl Drop for FaultLock {
    fn drop(&mut self) {
        let mut st = self.fs.lock_state();
        // A stale guard's lock was released by the crash.
        let guard = match self.fs.check_generation(self.generation) {
            Ok(()) => st.locks.remove(&self.id),
            Err(_) => None,
        };
        drop(st);
        drop(guard);
    }
}

impl FileSystem for FaultFs {
    fn create_dir_all(&self, dir: &Path) -> io::Result<()> {
        let sh = &self.shared;
        let _gate = sh.gate();
        let mut st = sh.lock_state();
        st.injector.begin_op()?;
        let dir = sh.resolve(dir);
        sh.inner.create_dir_all(&dir)?;
        // Durable at once: a file of the same name left only in a durable entry is gone.
        for a in dir.ancestors() {
            let Ok((parent, name)) = split(a) else { continue };
            let gone = match st.dirs.get_mut(parent).and_then(|d| d.get_mut(name)) {
                Some(e) if e.live.is_none() => e.durable.take(),
                _ => None,
            };
            if let Some(node) = gone {
                st.collect(node);
            }
        }
        Ok(())
    }

    fn create(&self, path: &Path) -> io::Result<Arc<dyn WritableFile>> {
        self.shared.create_with(path, |fs, p| fs.create(p))
    }

    fn create_direct(&self, path: &Path) -> io::Result<Arc<dyn WritableFile>> {
        self.shared.create_with(path, |fs, p| fs.create_direct(p))
    }

    fn open(&self, path: &Path) -> io::Result<Arc<dyn ReadableFile>> {
        self.shared.open_with(path, |fs, p| fs.open(p))
    }

    fn open_mmap(&self, path: &Path) -> io::Result<Arc<dyn ReadableFile>> {
        self.shared.open_with(path, |fs, p| fs.open_mmap(p))
    }

    fn open_direct(&self, path: &Path) -> io::Result<Arc<dyn ReadableFile>> {
        self.shared.open_with(path, |fs, p| fs.open_direct(p))
    }

    fn read_many(&self, reqs: &mut [ReadRequest<'_>]) -> Vec<io::Result<usize>> {
        let sh = &self.shared;
        let _gate = sh.gate();
        let mut out: Vec<Option<io::Result<usize>>> = Vec::with_capacity(reqs.len());
        let mut lens = Vec::with_capacity(reqs.len());
        let mut batch: Vec<ReadRequest<'_>> = Vec::with_capacity(reqs.len());
        {
            let mut st = sh.lock_state();
            for r in reqs.iter_mut() {
                lens.push(r.buf.len());
                let file = r.file;
                let ours = file
                    .as_any()
                    .and_then(|a| a.downcast_ref::<FaultReadable>())
                    .filter(|f| Arc::ptr_eq(&f.fs, sh));
                // `MemFs` (the default `read_many`): no `read_at` for an empty buffer.
                let counted = if r.buf.is_empty() { Ok(()) } else { st.injector.begin_op() };
                let checked = match ours {
                    Some(f) => counted.and_then(|()| sh.check_generation(f.generation)),
                    None => counted,
                };
                match checked {
                    Err(e) => out.push(Some(Err(e))),
                    Ok(()) => {
                        out.push(None);
                        let file: &dyn ReadableFile = match ours {
                            Some(f) => &*f.inner,
                            None => file,
                        };
                        batch.push(ReadRequest { file, offset: r.offset, buf: &mut *r.buf });
                    }
                }
            }
        }
        let mut done =
            if batch.is_empty() { Vec::new() } else { sh.inner.read_many(&mut batch) }.into_iter();
        drop(batch);
        let mut st = sh.lock_state();
        out.into_iter()
            .zip(lens)
            .map(|(res, len)| {
                let res = match res {
                    Some(res) => res,
                    None => done
                        .next()
                        .unwrap_or_else(|| Err(io::Error::other("read_many: result missing"))),
                };
                match res {
                    // `MemFs` needs a second `read_at` to find the end of the file.
                    Ok(n) if n > 0 && n < len => st.injector.begin_op().map(|()| n),
                    other => other,
                }
            })
            .collect()
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        let sh = &self.shared;
        let _gate = sh.gate();
        let mut st = sh.lock_state();
        st.injector.begin_op()?;
        let (from, to) = (sh.resolve(from), sh.resolve(to));
        if std::fs::symlink_metadata(&from).is_ok_and(|m| m.is_dir()) {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                format!("FaultFs cannot rename the directory {}", from.display()),
            ));
        }
        let node = if from == to { None } else { st.touch(&from)? };
        let Some(node) = node else {
            // The same path (nothing to do), or no file: the backend's answer.
            return sh.inner.rename(&from, &to);
        };
        let old = st.touch(&to)?;
        if old == Some(node) {
            // Two names of one file: the rename does nothing.
            return sh.inner.rename(&from, &to);
        }
        if let Some(old) = old {
            if st.must_keep(old, &to) {
                let trash = sh.trash_path(&mut st)?;
                std::fs::hard_link(&to, &trash)?;
                if let Some(n) = st.nodes.get_mut(&old) {
                    n.trash = Some(trash);
                }
            }
        }
        sh.inner.rename(&from, &to)?;
        st.entry_mut(&from)?.live = None;
        st.entry_mut(&to)?.live = Some(node);
        if let Some(old) = old {
            st.collect(old);
        }
        Ok(())
    }

    fn hard_link(&self, from: &Path, to: &Path) -> io::Result<()> {
        let sh = &self.shared;
        let _gate = sh.gate();
        let mut st = sh.lock_state();
        st.injector.begin_op()?;
        let (from, to) = (sh.resolve(from), sh.resolve(to));
        let node = st.touch(&from)?;
        st.touch(&to)?;
        sh.inner.hard_link(&from, &to)?;
        if let Some(node) = node {
            st.entry_mut(&to)?.live = Some(node);
        }
        Ok(())
    }

    fn remove(&self, path: &Path) -> io::Result<()> {
        let sh = &self.shared;
        let _gate = sh.gate();
        let mut st = sh.lock_state();
        st.injector.begin_op()?;
        let path = sh.resolve(path);
        match st.touch(&path)? {
            Some(node) => sh.unlink(&mut st, &path, node),
            None => sh.inner.remove(&path),
        }
    }

    fn remove_dir(&self, dir: &Path) -> io::Result<()> {
        let sh = &self.shared;
        let _gate = sh.gate();
        let mut st = sh.lock_state();
        st.injector.begin_op()?;
        let dir = sh.resolve(dir);
        sh.inner.remove_dir(&dir)?;
        st.dirs.remove(&dir);
        Ok(())
    }

    fn truncate(&self, path: &Path, len: u64) -> io::Result<()> {
        let sh = &self.shared;
        let _gate = sh.gate();
        let mut st = sh.lock_state();
        st.injector.begin_op()?;
        let path = sh.resolve(path);
        let node = st.touch(&path)?;
        sh.inner.truncate(&path, len)?;
        if let Some(n) = node.and_then(|n| st.nodes.get_mut(&n)) {
            n.synced = len;
        }
        Ok(())
    }

    fn sync_file(&self, path: &Path) -> io::Result<()> {
        let sh = &self.shared;
        let _gate = sh.gate();
        let mut st = sh.lock_state();
        st.injector.begin_op()?;
        let path = sh.resolve(path);
        let node = st.touch(&path)?;
        let len = std::fs::metadata(&path).map(|m| m.len());
        sh.inner.sync_file(&path)?;
        if let (Some(n), Ok(len)) = (node.and_then(|n| st.nodes.get_mut(&n)), len) {
            n.synced = n.synced.max(len);
        }
        Ok(())
    }

    fn list(&self, dir: &Path) -> io::Result<Vec<String>> {
        let sh = &self.shared;
        let _gate = sh.gate();
        let mut st = sh.lock_state();
        st.injector.begin_op()?;
        let dir = sh.resolve(dir);
        let mut names = sh.inner.list(&dir)?;
        if dir == sh.root {
            names.retain(|n| n != TRASH);
        }
        names.sort();
        Ok(names)
    }

    fn exists(&self, path: &Path) -> io::Result<bool> {
        let sh = &self.shared;
        let _gate = sh.gate();
        let mut st = sh.lock_state();
        st.injector.begin_op()?;
        sh.inner.exists(&sh.resolve(path))
    }

    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        let sh = &self.shared;
        let _gate = sh.gate();
        let mut st = sh.lock_state();
        st.injector.begin_op()?;
        let dir = sh.resolve(dir);
        sh.inner.sync_dir(&dir)?;
        let mut dropped = Vec::new();
        if let Some(names) = st.dirs.get_mut(&dir) {
            for e in names.values_mut() {
                if e.durable != e.live {
                    dropped.extend(e.durable);
                    e.durable = e.live;
                }
            }
            names.retain(|_, e| e.live.is_some());
        }
        for node in dropped {
            st.collect(node);
        }
        Ok(())
    }

    fn lock(&self, path: &Path) -> io::Result<Box<dyn FileLock>> {
        let sh = &self.shared;
        let _gate = sh.gate();
        let mut st = sh.lock_state();
        st.injector.begin_op()?;
        let path = sh.resolve(path);
        let existed = st.touch(&path)?.is_some();
        let guard = sh.inner.lock(&path)?;
        if !existed {
            // The backend created the file: a new entry, not durable until `sync_dir`.
            let node = st.new_node(0);
            st.entry_mut(&path)?.live = Some(node);
        }
        let id = st.next_lock;
        st.next_lock = st.next_lock.wrapping_add(1);
        st.locks.insert(id, guard);
        Ok(Box::new(FaultLock {
            fs: Arc::clone(sh),
            id,
            generation: sh.generation.load(Ordering::Acquire),
        }))
    }
}

#[cfg(test)]
impl FaultFs {
    /// Test helper: how many nodes (touched files) the bookkeeping holds.
    pub(super) fn node_count(&self) -> usize {
        self.shared.lock_state().nodes.len()
    }

    /// Test helper: whether the trash is empty (or missing).
    pub(super) fn trash_is_empty(&self) -> bool {
        std::fs::read_dir(&self.shared.trash).map_or(true, |mut d| d.next().is_none())
    }
}

/// The tests `FaultFs` shares with `MemFs` are in `injecting_tests.rs` (they run over every
/// backend); these are its own.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::fs::injecting_tests::{backends, fault_fs, p, read_all};
    use crate::fs::MemFs;

    #[test]
    fn paths_resolve_under_the_root() {
        for (name, inner) in backends() {
            let fs = fault_fs(&inner);
            let root = fs.root().to_path_buf();
            fs.create_dir_all(p("db/./sub/../x")).unwrap();
            assert!(root.join("db/x").is_dir(), "{name}");
            let w = fs.create(p("db//x/f")).unwrap();
            w.append(b"hello ").unwrap();
            let abs = root.join("db/x/f");
            let r = fs.open(&abs).unwrap();
            assert_eq!(read_all(&*r), b"hello ");
            w.append(b"world").unwrap();
            assert_eq!(r.len().unwrap(), 11, "{name}: readers see later appends");
            assert_eq!(std::fs::read(&abs).unwrap(), b"hello world");
            assert_eq!(fs.file_bytes("db/x/f").unwrap(), b"hello world");
            assert_eq!(fs.file_bytes(&abs).unwrap(), b"hello world");
            assert_eq!(fs.list(p("")).unwrap(), ["db"]);
            assert_eq!(fs.list(p("db/x")).unwrap(), ["f"]);
            assert!(fs.exists(p("./db/x/f")).unwrap());
        }
    }

    #[test]
    fn list_hides_the_trash() {
        for (_, inner) in backends() {
            let fs = fault_fs(&inner);
            fs.create_dir_all(p("db")).unwrap();
            fs.create_dir_all(p("a/b")).unwrap();
            fs.set_file_bytes("db/f", b"x").unwrap();
            fs.remove(p("db/f")).unwrap();
            assert!(fs.root().join(TRASH).is_dir());
            assert_eq!(fs.list(p("")).unwrap(), ["a", "db"]);
            assert_eq!(fs.list(fs.root()).unwrap(), ["a", "db"]);
            assert_eq!(fs.list(p("a")).unwrap(), ["b"]);
        }
    }

    #[test]
    fn direct_files_and_mmaps_go_through_the_layer() {
        for (name, inner) in backends() {
            let fs = fault_fs(&inner);
            fs.create_dir_all(p("db")).unwrap();
            let w = fs.create_direct(p("db/t")).unwrap();
            let data: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
            w.append(&data).unwrap();
            w.sync().unwrap();
            w.append(b"unsynced tail").unwrap();
            fs.sync_dir(p("db")).unwrap();
            assert_eq!(fs.durable_len("db/t"), Some(10_000), "{name}");
            let ops = fs.op_count();
            let r = fs.open_direct(p("db/t")).unwrap();
            let m = fs.open_mmap(p("db/t")).unwrap();
            assert_eq!(fs.op_count(), ops + 2, "each open is one operation");
            let mut buf = vec![0u8; 100];
            assert_eq!(r.read_full_at(&mut buf, 5000).unwrap(), 100);
            assert_eq!(buf, data[5000..5100]);
            assert_eq!(m.read_full_at(&mut buf, 0).unwrap(), 100);
            assert_eq!(buf, data[..100]);
            fs.crash_drop_unsynced().unwrap();
            assert!(r.len().is_err() && m.len().is_err(), "{name}: stale");
            assert_eq!(fs.file_bytes("db/t").unwrap(), data, "{name}");
        }
    }

    #[test]
    fn an_owned_directory_lives_as_long_as_the_layer_and_its_handles() {
        for (_, inner) in backends() {
            let dir = tempfile::tempdir().unwrap();
            let root = dir.path().to_path_buf();
            let fs = FaultFs::owning(Arc::clone(&inner), &root, dir);
            fs.create_dir_all(p("db")).unwrap();
            let w = fs.create(p("db/f")).unwrap();
            drop(fs);
            w.append(b"still here").unwrap();
            assert!(root.join("db/f").exists());
            drop(w);
            assert!(!root.exists(), "removed with the last handle");
        }
    }

    /// A crash while threads append and sync waits for the operations in progress; afterwards
    /// every file holds what a power loss could leave (a prefix at least as long as what was
    /// synced), and the writers fail.
    #[test]
    fn crash_while_writing() {
        for (_, inner) in backends() {
            let fs = fault_fs(&inner);
            fs.create_dir_all(p("db")).unwrap();
            let writers: Vec<_> = (0..3)
                .map(|t| fs.create(&Path::new("db").join(format!("f{t}"))).unwrap())
                .collect();
            fs.sync_dir(p("db")).unwrap();
            let synced: Vec<AtomicU64> = (0..3).map(|_| AtomicU64::new(0)).collect();
            std::thread::scope(|s| {
                for (t, w) in writers.iter().enumerate() {
                    let synced = &synced[t];
                    s.spawn(move || {
                        for i in 0u64.. {
                            let chunk = [t as u8; 10];
                            let r = if i % 2 == 0 {
                                w.append(&chunk)
                            } else {
                                w.append_and_sync(&chunk)
                            };
                            if r.is_err() {
                                break;
                            }
                            if i % 2 == 1 {
                                synced.store(w.len(), Ordering::Release);
                            }
                        }
                    });
                }
                std::thread::sleep(std::time::Duration::from_millis(30));
                fs.crash(11).unwrap();
            });
            for (t, s) in synced.iter().enumerate() {
                let got = fs.file_bytes(Path::new("db").join(format!("f{t}"))).unwrap();
                assert!(got.len() as u64 >= s.load(Ordering::Acquire), "synced bytes lost");
                assert!(got.iter().all(|&b| b == t as u8));
            }
        }
    }

    /// Random histories on `MemFs` and on `FaultFs` side by side: every operation must succeed or
    /// fail alike and count alike, the live files must match after each one, and so must the
    /// files a power loss (without unsynced bytes) leaves.
    #[test]
    fn matches_mem_fs() {
        const NAMES: [&str; 6] = ["a/f0", "a/f1", "a/f2", "b/f0", "b/f1", "b/f2"];
        for (name, inner) in backends() {
            for seed in 0..40u64 {
                let mut rng = SplitMix64::new(seed);
                let mut below = |n: u64| rng.next_u64() % n;
                let fs = fault_fs(&inner);
                let mem = MemFs::new();
                let both: [&dyn FileSystem; 2] = [&fs, &mem];
                for d in ["a", "b"] {
                    for f in both {
                        f.create_dir_all(p(d)).unwrap();
                    }
                }
                let mut writers: Vec<[Arc<dyn WritableFile>; 2]> = Vec::new();
                let mut history = Vec::new();
                for step in 0..60 {
                    let x = NAMES[below(6) as usize];
                    let y = NAMES[below(6) as usize];
                    let w = (!writers.is_empty()).then(|| below(writers.len() as u64) as usize);
                    let data: Vec<u8> = (0..below(20)).map(|i| (step * 7 + i) as u8).collect();
                    let op = below(12);
                    history.push(format!("{op} {x} {y} {w:?} {}", data.len()));
                    let what = format!("{name} seed {seed} step {step}: {history:?}");
                    let oks: Vec<bool> = match op {
                        0 | 1 => {
                            let made: Vec<_> = both.iter().map(|f| f.create(p(x))).collect();
                            let oks = made.iter().map(Result::is_ok).collect();
                            if let [Ok(a), Ok(b)] = &made[..] {
                                writers.push([Arc::clone(a), Arc::clone(b)]);
                            }
                            oks
                        }
                        2..=4 => match w {
                            Some(w) => writers[w].iter().map(|f| f.append(&data).is_ok()).collect(),
                            None => vec![],
                        },
                        5 => match w {
                            Some(w) => writers[w].iter().map(|f| f.sync().is_ok()).collect(),
                            None => vec![],
                        },
                        6 => match w {
                            Some(w) => writers[w]
                                .iter()
                                .map(|f| f.append_and_sync(&data).is_ok())
                                .collect(),
                            None => vec![],
                        },
                        7 => both.iter().map(|f| f.rename(p(x), p(y)).is_ok()).collect(),
                        8 => both.iter().map(|f| f.remove(p(x)).is_ok()).collect(),
                        9 => {
                            let d = if below(2) == 0 { "a" } else { "b" };
                            both.iter().map(|f| f.sync_dir(p(d)).is_ok()).collect()
                        }
                        10 if mem.file_bytes(y).is_none() => {
                            both.iter().map(|f| f.hard_link(p(x), p(y)).is_ok()).collect()
                        }
                        10 => both.iter().map(|f| f.sync_file(p(x)).is_ok()).collect(),
                        _ => {
                            fs.crash_drop_unsynced().unwrap();
                            mem.crash_drop_unsynced();
                            writers.clear();
                            vec![]
                        }
                    };
                    if let [a, b] = oks[..] {
                        assert_eq!(a, b, "{what}: FaultFs ok {a}, MemFs ok {b}");
                    }
                    assert_eq!(fs.op_count(), mem.op_count(), "{what}: op counts");
                    for n in NAMES {
                        assert_eq!(fs.file_bytes(n), mem.file_bytes(n), "{what}: {n}");
                        assert_eq!(fs.durable_len(n), mem.durable_len(n), "{what}: durable {n}");
                    }
                    for d in ["a", "b"] {
                        assert_eq!(fs.list(p(d)).unwrap(), mem.list(p(d)).unwrap(), "{what}");
                    }
                }
                fs.crash_drop_unsynced().unwrap();
                mem.crash_drop_unsynced();
                for n in NAMES {
                    assert_eq!(fs.file_bytes(n), mem.file_bytes(n), "{name} seed {seed}: {n}");
                }
                assert!(fs.trash_is_empty());
            }
        }
    }
}
