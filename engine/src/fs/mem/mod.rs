//! [`MemFs`]: an in-memory file system, fault-injecting for tests.
//!
//! Crash and fault-injection tests of the database run against a [`MemFs`]: the test keeps a
//! clone (they share one state behind an `Arc<Mutex<_>>`), hands another to the database as an
//! `Arc<dyn FileSystem>`, and then fails chosen operations or simulates power loss. `FaultFs`
//! (`fault.rs`) does the same over real files, counting operations with the same code. The
//! hooks that do that (and their semantics) are in `hooks.rs`, compiled only for tests and with
//! the `testing` feature; without them a `MemFs` is a plain in-memory file system (the server's
//! `--in-memory` mode, fuzzing): every operation succeeds as the model below says, and nothing
//! is ever lost.
//!
//! # Model
//!
//! * **Paths** are normalised by components: `.` is dropped, `..` removes the component before it
//!   (it is ignored right after `/` and kept at the start of a relative path), and repeated and
//!   trailing separators do not matter. So `a/./b`, `a//b/` and `a/c/../b` name one file.
//!   Relative and absolute paths both work but are different namespaces: `a` and `/a` are
//!   different files (there is no current directory). The two roots, the empty path (also
//!   spelled `.`) and `/`, always exist.
//! * **Directories** are a set of paths. [`FileSystem::create_dir_all`] adds a directory and its
//!   missing parents, and that is *durable at once* (a simplification: real file systems need an
//!   `fsync` of the parent). Directories are never removed and cannot be renamed.
//! * **Inodes** hold a file's `live` bytes (what reads see) and how many of them are durable
//!   (survive power loss). In this model the durable bytes are always a prefix of the live ones:
//!   only appends change `live` without making it durable. So a sync only moves a mark, and no
//!   byte is held twice (this file system also backs `shale-server --in-memory`).
//! * **Entries**: every directory maps names to inodes twice, in a `live` map (what `open`,
//!   `list` and `exists` see) and a `durable` map (what survives power loss).
//!
//! # Operations
//!
//! * [`FileSystem::create`] needs the parent directory (else `NotFound`) and points the live entry
//!   at a *new, empty* inode. The old inode (if any) is untouched: readers holding it still read
//!   it, and if the old entry was durable and the directory is not synced, a crash brings the old
//!   contents back.
//! * [`FileSystem::open`] needs a live entry (else `NotFound`); a reader reads the inode's live
//!   bytes, so it sees later appends. Handles keep working after their entry is removed or
//!   replaced (like an unlinked but open POSIX file).
//! * [`WritableFile::append`] extends the live bytes; [`WritableFile::sync`] makes all of them
//!   durable; [`WritableFile::len`] is the live length.
//! * [`FileSystem::rename`] and [`FileSystem::remove`] change only live entries;
//!   [`FileSystem::sync_dir`] sets that directory's durable entries to its live entries. A
//!   rename between two directories is durable per directory: if only one of them is synced
//!   before a crash, the file may survive under both names (sharing one inode, like a hard link)
//!   or under neither.
//! * [`FileSystem::truncate`] cuts (or zero-extends) the live bytes and then makes the inode
//!   durable (durable = live). It does not make the entry durable.
//! * [`FileSystem::list`] returns the live entry names plus the names of immediate
//!   subdirectories, sorted; [`FileSystem::exists`] checks live entries and directories.
//! * [`FileSystem::lock`] creates the file entry if missing (not durable until `sync_dir`, like
//!   any creation) and records the path in an in-process set of held locks; locking a held path
//!   fails with [`io::ErrorKind::WouldBlock`]. Dropping the guard releases the lock.
//! * A file and a directory never share a name: creating a file over a directory fails with
//!   `IsADirectory`, a directory over a file with `NotADirectory` / `AlreadyExists`. Creating a
//!   directory where only a *durable* (already removed) file entry is left drops that entry for
//!   good, as directory creation is durable at once.
//!
#[cfg(any(test, feature = "testing"))]
mod hooks;

#[cfg(any(test, feature = "testing"))]
use super::inject::Injector;
use super::{FileLock, FileSystem, ReadableFile, WritableFile};
use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::fmt;
use std::io;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// An in-memory file system; for tests (feature `testing`), it can also fail chosen operations
/// and simulate power loss.
///
/// Cloning is cheap and the clones share one state. The exact semantics are in the top comments
/// of `engine/src/fs/mem/mod.rs` (the file system) and `engine/src/fs/mem/hooks.rs` (what
/// survives `MemFs::crash`, which operations `MemFs::fail_after` counts, stale handles).
#[derive(Clone, Default)]
pub struct MemFs {
    state: Arc<Mutex<State>>,
}

type InodeId = u64;

/// A file's contents.
#[derive(Default)]
struct Inode {
    /// What readers see.
    live: Vec<u8>,
    /// What survives power loss: the first `durable_len` bytes of `live`. Between syncs a file
    /// only grows by appends, and every other change (a truncation, a power loss, a test's
    /// [`MemFs::set_file_bytes`]) makes the whole file durable at once, so the durable bytes
    /// are always a prefix of the live ones: a sync costs nothing, and no byte is held twice.
    durable_len: usize,
    /// Open readers and writers (of the current generation); an inode with open handles is kept
    /// even when no entry names it.
    handles: usize,
}

impl Inode {
    /// Makes every live byte durable (after any change: the live bytes are the file now).
    fn make_durable(&mut self) {
        self.durable_len = self.live.len();
    }
}

/// A directory's entries.
#[derive(Default)]
struct Dir {
    live: BTreeMap<OsString, InodeId>,
    durable: BTreeMap<OsString, InodeId>,
}

#[derive(Default)]
struct State {
    /// Every directory created. The roots (the empty path and `/`) exist implicitly; an entry for
    /// a root appears here when a file is put in it.
    dirs: BTreeMap<PathBuf, Dir>,
    inodes: BTreeMap<InodeId, Inode>,
    next_inode: InodeId,
    /// Paths of held locks (normalised).
    locks: BTreeSet<PathBuf>,
    /// Bumped by every crash; handles of an older generation are stale.
    generation: u64,
    /// The operation count and the armed fault.
    #[cfg(any(test, feature = "testing"))]
    injector: Injector,
}

pub(super) fn stale() -> io::Error {
    io::Error::other("stale handle after simulated crash")
}

fn not_found(path: &Path) -> io::Error {
    io::Error::new(
        io::ErrorKind::NotFound,
        format!("{}: no such file or directory", path.display()),
    )
}

fn is_a_directory(path: &Path) -> io::Error {
    io::Error::new(io::ErrorKind::IsADirectory, format!("{} is a directory", path.display()))
}

fn not_a_directory(path: &Path) -> io::Error {
    io::Error::new(io::ErrorKind::NotADirectory, format!("{} is not a directory", path.display()))
}

/// Normalises `path` by components (see the module docs).
pub(super) fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => match out.components().next_back() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir | Component::Prefix(_)) => {}
                Some(Component::CurDir | Component::ParentDir) | None => out.push(".."),
            },
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// True for a normalised path with no parent: the empty path or `/`.
fn is_root(path: &Path) -> bool {
    path.parent().is_none()
}

/// Splits a normalised file path into its parent directory and its name.
fn split(path: &Path) -> io::Result<(&Path, OsString)> {
    match (path.parent(), path.file_name()) {
        (Some(parent), Some(name)) => Ok((parent, name.to_os_string())),
        _ => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} does not name a file", path.display()),
        )),
    }
}

impl State {
    /// Counts one operation and fails it if a fault says so.
    #[cfg(any(test, feature = "testing"))]
    fn begin_op(&mut self) -> io::Result<()> {
        self.injector.begin_op()
    }

    /// Without the test hooks no fault can be armed: every operation goes ahead.
    #[cfg(not(any(test, feature = "testing")))]
    fn begin_op(&mut self) -> io::Result<()> {
        Ok(())
    }

    fn check_generation(&self, generation: u64) -> io::Result<()> {
        if generation == self.generation {
            Ok(())
        } else {
            Err(stale())
        }
    }

    fn dir_exists(&self, path: &Path) -> bool {
        is_root(path) || self.dirs.contains_key(path)
    }

    fn dir(&self, path: &Path) -> Option<&Dir> {
        self.dirs.get(path)
    }

    fn dir_mut(&mut self, path: &Path) -> Option<&mut Dir> {
        if is_root(path) {
            Some(self.dirs.entry(path.to_path_buf()).or_default())
        } else {
            self.dirs.get_mut(path)
        }
    }

    /// The inode of the live entry `path` (normalised).
    fn live_entry(&self, path: &Path) -> Option<InodeId> {
        let (parent, name) = split(path).ok()?;
        self.dir(parent)?.live.get(&name).copied()
    }

    /// The inode of the live entry `path` (normalised), or the error `open` would give.
    fn file(&self, path: &Path) -> io::Result<InodeId> {
        if self.dir_exists(path) {
            return Err(is_a_directory(path));
        }
        split(path)?;
        self.live_entry(path).ok_or_else(|| not_found(path))
    }

    /// Checks that `path` (normalised) can name a new file: its parent exists and it is not a
    /// directory.
    fn check_new_file(&self, path: &Path) -> io::Result<()> {
        let (parent, _) = split(path)?;
        if self.dir_exists(path) {
            return Err(is_a_directory(path));
        }
        if !self.dir_exists(parent) {
            return Err(not_found(parent));
        }
        Ok(())
    }

    /// Checks that `path` (normalised) is an existing directory.
    fn check_dir(&self, path: &Path) -> io::Result<()> {
        if self.dir_exists(path) {
            Ok(())
        } else if self.live_entry(path).is_some() {
            Err(not_a_directory(path))
        } else {
            Err(not_found(path))
        }
    }

    fn new_inode(&mut self, handles: usize) -> InodeId {
        let id = self.next_inode;
        self.next_inode = self.next_inode.wrapping_add(1);
        self.inodes.insert(id, Inode { handles, ..Inode::default() });
        id
    }

    fn inode(&self, id: InodeId) -> io::Result<&Inode> {
        self.inodes
            .get(&id)
            .ok_or_else(|| io::Error::other("MemFs: inode of an open handle is gone"))
    }

    fn inode_mut(&mut self, id: InodeId) -> io::Result<&mut Inode> {
        self.inodes
            .get_mut(&id)
            .ok_or_else(|| io::Error::other("MemFs: inode of an open handle is gone"))
    }

    /// Points the live entry `path` (normalised, parent existing) at `id`.
    fn link(&mut self, path: &Path, id: InodeId) -> io::Result<()> {
        let (parent, name) = split(path)?;
        let dir = self.dir_mut(parent).ok_or_else(|| not_found(parent))?;
        if let Some(old) = dir.live.insert(name, id) {
            self.collect(old);
        }
        Ok(())
    }

    /// Drops inode `id` if no handle holds it and no entry names it.
    fn collect(&mut self, id: InodeId) {
        let Some(inode) = self.inodes.get(&id) else {
            return;
        };
        if inode.handles > 0 {
            return;
        }
        let named =
            self.dirs.values().any(|d| d.live.values().chain(d.durable.values()).any(|&i| i == id));
        if !named {
            self.inodes.remove(&id);
        }
    }
}

impl MemFs {
    /// An empty file system: only the roots (the empty path and `/`) exist, no fault is armed.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock_state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Releases a handle of `generation` on inode `id` (nothing if the handle is stale).
    fn release(&self, id: InodeId, generation: u64) {
        let mut st = self.lock_state();
        if st.generation != generation {
            return;
        }
        if let Some(inode) = st.inodes.get_mut(&id) {
            inode.handles = inode.handles.saturating_sub(1);
        }
        st.collect(id);
    }
}

impl fmt::Debug for MemFs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("MemFs");
        // `try_lock`: never block (or deadlock) just to print.
        if let Ok(st) = self.state.try_lock() {
            d.field("dirs", &st.dirs.len())
                .field("inodes", &st.inodes.len())
                .field("generation", &st.generation);
            #[cfg(any(test, feature = "testing"))]
            d.field("ops", &st.injector.ops()).field("faults_hit", &st.injector.faults_hit());
        }
        d.finish_non_exhaustive()
    }
}

/// A [`WritableFile`] of a [`MemFs`].
struct MemWritable {
    fs: MemFs,
    id: InodeId,
    generation: u64,
    /// The last length this handle saw (reported by `len` once the handle is stale).
    len_seen: AtomicU64,
}

impl fmt::Debug for MemWritable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemWritable")
            .field("inode", &self.id)
            .field("generation", &self.generation)
            .finish()
    }
}

impl WritableFile for MemWritable {
    fn append(&self, data: &[u8]) -> io::Result<()> {
        let mut st = self.fs.lock_state();
        st.begin_op()?;
        st.check_generation(self.generation)?;
        let inode = st.inode_mut(self.id)?;
        debug_assert!(inode.durable_len <= inode.live.len(), "durable bytes past the live ones");
        inode.live.extend_from_slice(data);
        self.len_seen.store(inode.live.len() as u64, Ordering::Relaxed);
        Ok(())
    }

    fn sync(&self) -> io::Result<()> {
        let mut st = self.fs.lock_state();
        st.begin_op()?;
        st.check_generation(self.generation)?;
        st.inode_mut(self.id)?.make_durable();
        Ok(())
    }

    fn len(&self) -> u64 {
        let st = self.fs.lock_state();
        match st.check_generation(self.generation).and_then(|()| st.inode(self.id)) {
            Ok(inode) => {
                let len = inode.live.len() as u64;
                self.len_seen.store(len, Ordering::Relaxed);
                len
            }
            Err(_) => self.len_seen.load(Ordering::Relaxed),
        }
    }
}

impl Drop for MemWritable {
    fn drop(&mut self) {
        self.fs.release(self.id, self.generation);
    }
}

/// A [`ReadableFile`] of a [`MemFs`].
struct MemReadable {
    fs: MemFs,
    id: InodeId,
    generation: u64,
}

impl fmt::Debug for MemReadable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemReadable")
            .field("inode", &self.id)
            .field("generation", &self.generation)
            .finish()
    }
}

impl ReadableFile for MemReadable {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        let mut st = self.fs.lock_state();
        st.begin_op()?;
        st.check_generation(self.generation)?;
        let live = &st.inode(self.id)?.live;
        let src =
            usize::try_from(offset).ok().and_then(|start| live.get(start..)).unwrap_or_default();
        let n = src.len().min(buf.len());
        if let (Some(dst), Some(src)) = (buf.get_mut(..n), src.get(..n)) {
            dst.copy_from_slice(src);
        }
        Ok(n)
    }

    fn len(&self) -> io::Result<u64> {
        let mut st = self.fs.lock_state();
        st.begin_op()?;
        st.check_generation(self.generation)?;
        Ok(st.inode(self.id)?.live.len() as u64)
    }
}

impl Drop for MemReadable {
    fn drop(&mut self) {
        self.fs.release(self.id, self.generation);
    }
}

/// A [`FileLock`] of a [`MemFs`].
struct MemLock {
    fs: MemFs,
    path: PathBuf,
    generation: u64,
}

impl fmt::Debug for MemLock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemLock")
            .field("path", &self.path)
            .field("generation", &self.generation)
            .finish()
    }
}

impl FileLock for MemLock {}

impl Drop for MemLock {
    fn drop(&mut self) {
        let mut st = self.fs.lock_state();
        if st.generation == self.generation {
            st.locks.remove(&self.path);
        }
    }
}

impl FileSystem for MemFs {
    fn create_dir_all(&self, dir: &Path) -> io::Result<()> {
        let mut st = self.lock_state();
        st.begin_op()?;
        let dir = normalize(dir);
        // Top-down: the roots first, `dir` last.
        let mut chain: Vec<&Path> = dir.ancestors().filter(|p| !is_root(p)).collect();
        chain.reverse();
        // Check everything first so that a failure has no effect.
        for &p in &chain {
            if st.live_entry(p).is_some() {
                return Err(if p == dir.as_path() {
                    io::Error::new(
                        io::ErrorKind::AlreadyExists,
                        format!("{} is a file", p.display()),
                    )
                } else {
                    not_a_directory(p)
                });
            }
        }
        for &p in &chain {
            if st.dirs.contains_key(p) {
                continue;
            }
            st.dirs.insert(p.to_path_buf(), Dir::default());
            // Directory creation is durable at once, so a removed (but not dir-synced) file of
            // the same name is gone for good: a file and a directory never share a name.
            if let (Some(parent), Some(name)) = (p.parent(), p.file_name()) {
                if let Some(old) = st.dirs.get_mut(parent).and_then(|d| d.durable.remove(name)) {
                    st.collect(old);
                }
            }
        }
        Ok(())
    }

    fn create(&self, path: &Path) -> io::Result<Arc<dyn WritableFile>> {
        let mut st = self.lock_state();
        st.begin_op()?;
        let path = normalize(path);
        st.check_new_file(&path)?;
        let id = st.new_inode(1);
        st.link(&path, id)?;
        Ok(Arc::new(MemWritable {
            fs: self.clone(),
            id,
            generation: st.generation,
            len_seen: AtomicU64::new(0),
        }))
    }

    fn open(&self, path: &Path) -> io::Result<Arc<dyn ReadableFile>> {
        let mut st = self.lock_state();
        st.begin_op()?;
        let id = st.file(&normalize(path))?;
        let inode = st.inode_mut(id)?;
        inode.handles = inode.handles.saturating_add(1);
        Ok(Arc::new(MemReadable { fs: self.clone(), id, generation: st.generation }))
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        let mut st = self.lock_state();
        st.begin_op()?;
        let (from, to) = (normalize(from), normalize(to));
        if st.dir_exists(&from) {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                format!("MemFs cannot rename the directory {}", from.display()),
            ));
        }
        let id = st.file(&from)?;
        st.check_new_file(&to)?;
        if from == to {
            return Ok(());
        }
        let (from_parent, from_name) = split(&from)?;
        if let Some(dir) = st.dir_mut(from_parent) {
            dir.live.remove(&from_name);
        }
        st.link(&to, id)
    }

    fn hard_link(&self, from: &Path, to: &Path) -> io::Result<()> {
        let mut st = self.lock_state();
        st.begin_op()?;
        let (from, to) = (normalize(from), normalize(to));
        let id = st.file(&from)?;
        st.check_new_file(&to)?;
        st.link(&to, id)
    }

    fn remove(&self, path: &Path) -> io::Result<()> {
        let mut st = self.lock_state();
        st.begin_op()?;
        let path = normalize(path);
        let id = st.file(&path)?;
        let (parent, name) = split(&path)?;
        if let Some(dir) = st.dir_mut(parent) {
            dir.live.remove(&name);
        }
        st.collect(id);
        Ok(())
    }

    fn remove_dir(&self, dir: &Path) -> io::Result<()> {
        let mut st = self.lock_state();
        st.begin_op()?;
        let dir = normalize(dir);
        st.check_dir(&dir)?;
        let Some(d) = st.dirs.get(&dir) else {
            return Err(not_found(&dir));
        };
        let has_subdirs = st.dirs.keys().any(|p| p.parent() == Some(dir.as_path()));
        if !d.live.is_empty() || has_subdirs {
            return Err(io::Error::new(
                io::ErrorKind::DirectoryNotEmpty,
                format!("{} is not empty", dir.display()),
            ));
        }
        // Like its creation, a directory's removal is durable at once.
        if let Some(d) = st.dirs.remove(&dir) {
            for id in d.durable.into_values() {
                st.collect(id);
            }
        }
        Ok(())
    }

    fn truncate(&self, path: &Path, len: u64) -> io::Result<()> {
        let mut st = self.lock_state();
        st.begin_op()?;
        let id = st.file(&normalize(path))?;
        let len = usize::try_from(len).map_err(|_| {
            io::Error::new(io::ErrorKind::InvalidInput, format!("length {len} is too large"))
        })?;
        let inode = st.inode_mut(id)?;
        inode.live.resize(len, 0);
        inode.make_durable();
        Ok(())
    }

    fn sync_file(&self, path: &Path) -> io::Result<()> {
        let mut st = self.lock_state();
        st.begin_op()?;
        let id = st.file(&normalize(path))?;
        st.inode_mut(id)?.make_durable();
        Ok(())
    }

    fn list(&self, dir: &Path) -> io::Result<Vec<String>> {
        let mut st = self.lock_state();
        st.begin_op()?;
        let dir = normalize(dir);
        st.check_dir(&dir)?;
        let mut names: BTreeSet<String> = BTreeSet::new();
        if let Some(d) = st.dir(&dir) {
            names.extend(d.live.keys().filter_map(|n| n.to_str()).map(str::to_owned));
        }
        let subdirs = st.dirs.keys().filter(|p| p.parent() == Some(dir.as_path()));
        names.extend(subdirs.filter_map(|p| p.file_name()?.to_str()).map(str::to_owned));
        Ok(names.into_iter().collect())
    }

    fn exists(&self, path: &Path) -> io::Result<bool> {
        let mut st = self.lock_state();
        st.begin_op()?;
        let path = normalize(path);
        Ok(st.dir_exists(&path) || st.live_entry(&path).is_some())
    }

    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        let mut st = self.lock_state();
        st.begin_op()?;
        let dir = normalize(dir);
        st.check_dir(&dir)?;
        let Some(d) = st.dir_mut(&dir) else {
            return Err(not_found(&dir));
        };
        let old = std::mem::replace(&mut d.durable, d.live.clone());
        for id in old.into_values() {
            st.collect(id);
        }
        Ok(())
    }

    fn lock(&self, path: &Path) -> io::Result<Box<dyn FileLock>> {
        let mut st = self.lock_state();
        st.begin_op()?;
        let path = normalize(path);
        st.check_new_file(&path)?;
        if st.locks.contains(&path) {
            return Err(io::Error::new(
                io::ErrorKind::WouldBlock,
                format!("{} is held by another handle", path.display()),
            ));
        }
        if st.live_entry(&path).is_none() {
            let id = st.new_inode(0);
            st.link(&path, id)?;
        }
        st.locks.insert(path.clone());
        Ok(Box::new(MemLock { fs: self.clone(), path, generation: st.generation }))
    }
}

#[cfg(test)]
impl MemFs {
    /// Test helper: how many inodes the file system holds.
    pub(super) fn inode_count(&self) -> usize {
        self.lock_state().inodes.len()
    }
}

/// The tests `MemFs` shares with `FaultFs` are in `injecting_tests.rs`; these are its own.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::fs::injecting_tests::p;

    /// `MemFs` has no current directory: `a` and `/a` are different files, and both roots always
    /// exist (`FaultFs` resolves relative paths under its root instead; see `fault.rs`).
    #[test]
    fn relative_and_absolute_paths_are_different_namespaces() {
        let fs = MemFs::new();
        for root in ["", ".", "/"] {
            assert!(fs.exists(p(root)).unwrap(), "{root}");
        }
        fs.create_dir_all(p("a/b")).unwrap();
        assert!(fs.list(p("/")).unwrap().is_empty());
        assert!(!fs.exists(p("/a")).unwrap());

        fs.create_dir_all(p("/data/db")).unwrap();
        let w = fs.create(p("/data/db/log")).unwrap();
        w.append(b"hello").unwrap();
        let r = fs.open(p("/data/./db//log")).unwrap();
        assert_eq!(r.len().unwrap(), 5);
        assert_eq!(fs.file_bytes("/data/db/log").unwrap(), b"hello");
        assert_eq!(fs.open(p("data/db/log")).unwrap_err().kind(), io::ErrorKind::NotFound);
        assert_eq!(fs.file_bytes("data/db/log"), None);
        assert_eq!(fs.list(p("/")).unwrap(), ["data"]);
        assert_eq!(fs.list(p("")).unwrap(), ["a"]);
        assert_eq!(fs.create(p("/data/db")).unwrap_err().kind(), io::ErrorKind::IsADirectory);
    }
}
