//! The file-system seam: every byte the engine reads or writes goes through [`FileSystem`].
//!
//! This is the only module that touches `std::fs`. Implementations:
//! * [`OsFs`]: the operating system's files (`pread`/`write`/`fdatasync`);
//! * `UringFs` (Linux): file data through io_uring, the rest as `OsFs`;
//! * [`MemFs`]: an in-memory file system. For tests it can fail the k-th operation and simulate
//!   power loss (unsynced file data and unsynced directory entries vanish);
//! * `FaultFs`: the same fault injection and simulated power loss over a real file system
//!   (`OsFs`, `UringFs`), so that the crash and fault tests run on every backend.
//!
//! The fault injection (`FaultFs`, `FaultMode` and `MemFs`'s crash and fault hooks) is compiled
//! only into the engine's own tests and with the cargo feature `testing`, never into a release
//! build: the engine's integration tests and benches turn the feature on through a
//! dev-dependency of the engine on itself (`engine/Cargo.toml`).
//!
//! `O_DIRECT` (Linux): [`FileSystem::open_direct`] and [`FileSystem::create_direct`] give
//! files that bypass the page cache (aligned buffers inside; see `direct.rs`), for SSTable reads
//! and for flush and compaction output when the options ask for them.
//!
//! [`FileSystem::read_many`] reads a batch of blocks, from one or many files, at once: io_uring
//! puts the whole batch in one submission (the engine's `multi_get`).
//!
//! [`BytesFile`] is a lone [`ReadableFile`] over bytes already in memory (fuzzing, tests).
//!
//! The trait is shaped so that an io_uring backend fits: reads are positional (`read_at`), writes
//! are appends to a file that only grows, and durability is explicit (`sync`, `sync_dir`).

mod bytes;
#[cfg(target_os = "linux")]
mod direct;
#[cfg(any(test, feature = "testing"))]
mod fault;
#[cfg(any(test, feature = "testing"))]
mod inject;
#[cfg(test)]
mod injecting_tests;
mod mem;
mod mmap;
mod os;
#[cfg(target_os = "linux")]
mod uring;

pub use bytes::BytesFile;
#[cfg(target_os = "linux")]
pub use direct::{DIRECT_ALIGN, DIRECT_WRITE_BUFFER};
#[cfg(any(test, feature = "testing"))]
pub use fault::FaultFs;
#[cfg(any(test, feature = "testing"))]
pub use inject::FaultMode;
pub use mem::MemFs;
pub use mmap::MmapFile;
pub use os::OsFs;
#[cfg(target_os = "linux")]
pub use uring::UringFs;

use std::any::Any;
use std::fmt::Debug;
use std::io;
use std::path::Path;
use std::sync::Arc;

/// A file opened for appending. Only one thread appends at a time; `sync` may run concurrently.
pub trait WritableFile: Send + Sync + Debug {
    /// Appends all of `data` at the end of the file.
    fn append(&self, data: &[u8]) -> io::Result<()>;
    /// Makes every appended byte durable (`fdatasync`).
    fn sync(&self) -> io::Result<()>;
    /// Appends `data`, then makes every appended byte durable: [`WritableFile::append`] then
    /// [`WritableFile::sync`], which a backend may do in one submission (io_uring links the
    /// write and the fsync).
    fn append_and_sync(&self, data: &[u8]) -> io::Result<()> {
        self.append(data)?;
        self.sync()
    }
    /// The file's length including unsynced appends.
    fn len(&self) -> u64;
    /// True when nothing has been appended and the file was empty.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A file opened for positional reads.
pub trait ReadableFile: Send + Sync + Debug {
    /// Reads up to `buf.len()` bytes at `offset`; returns how many were read (0 at end of file).
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize>;
    /// The file's current length.
    fn len(&self) -> io::Result<u64>;
    /// True when the file holds no bytes.
    fn is_empty(&self) -> io::Result<bool> {
        Ok(self.len()? == 0)
    }

    /// Reads as many bytes as fit in `buf` starting at `offset`, stopping early only at end of
    /// file; returns the count read.
    fn read_full_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        let mut done = 0;
        while done < buf.len() {
            let Some(rest) = buf.get_mut(done..) else { break };
            let n = self.read_at(rest, offset + done as u64)?;
            if n == 0 {
                break;
            }
            done += n;
        }
        Ok(done)
    }

    /// The concrete file, for a backend that batches reads of its own files
    /// ([`FileSystem::read_many`]); `None` (the default) opts out of batching.
    fn as_any(&self) -> Option<&dyn Any> {
        None
    }
}

/// One read of a batch ([`FileSystem::read_many`]): fill `buf` from `file` at `offset`.
#[derive(Debug)]
pub struct ReadRequest<'a> {
    /// The file to read.
    pub file: &'a dyn ReadableFile,
    /// Where in the file the read starts.
    pub offset: u64,
    /// Where the bytes go; the read fills it, stopping early only at end of file.
    pub buf: &'a mut [u8],
}

/// A held lock on a database directory; released when dropped.
pub trait FileLock: Send + Sync + Debug {}

/// The operations the engine needs from a file system.
pub trait FileSystem: Send + Sync + Debug {
    /// Creates `dir` and its missing parents.
    fn create_dir_all(&self, dir: &Path) -> io::Result<()>;
    /// Creates `path` (truncating an existing file) for appending.
    fn create(&self, path: &Path) -> io::Result<Arc<dyn WritableFile>>;
    /// Opens an existing file for positional reads.
    fn open(&self, path: &Path) -> io::Result<Arc<dyn ReadableFile>>;
    /// Opens an existing, immutable file for reads through a memory map where the file system
    /// supports it (the default reads like [`FileSystem::open`]).
    fn open_mmap(&self, path: &Path) -> io::Result<Arc<dyn ReadableFile>> {
        self.open(path)
    }
    /// Opens an existing, immutable file for positional reads that bypass the page cache
    /// (`O_DIRECT`) where the file system supports it; the default reads like
    /// [`FileSystem::open`].
    fn open_direct(&self, path: &Path) -> io::Result<Arc<dyn ReadableFile>> {
        self.open(path)
    }
    /// Creates `path` for appending with writes that bypass the page cache (`O_DIRECT`) where
    /// the file system supports it: appends are gathered and become visible to readers only
    /// when written out (at `sync` at the latest). The default is [`FileSystem::create`].
    fn create_direct(&self, path: &Path) -> io::Result<Arc<dyn WritableFile>> {
        self.create(path)
    }
    /// Performs every read of `reqs`, each as [`ReadableFile::read_full_at`]; returns each one's
    /// result (bytes read) in order. A backend may issue them together (io_uring: one
    /// submission); the default reads them one after the other.
    fn read_many(&self, reqs: &mut [ReadRequest<'_>]) -> Vec<io::Result<usize>> {
        reqs.iter_mut().map(|r| r.file.read_full_at(r.buf, r.offset)).collect()
    }
    /// Atomically replaces `to` with `from` (durable only after [`FileSystem::sync_dir`]).
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()>;
    /// Makes `to` a second name of the file `from` (a hard link; durable after
    /// [`FileSystem::sync_dir`]). `to` must not exist.
    fn hard_link(&self, from: &Path, to: &Path) -> io::Result<()>;
    /// Removes a file (durable only after [`FileSystem::sync_dir`]).
    fn remove(&self, path: &Path) -> io::Result<()>;
    /// Removes an empty directory (durable only after [`FileSystem::sync_dir`] of its parent).
    fn remove_dir(&self, dir: &Path) -> io::Result<()>;
    /// Cuts a file to `len` bytes and makes the new length durable.
    fn truncate(&self, path: &Path, len: u64) -> io::Result<()>;
    /// Makes the bytes of an existing file durable (`fdatasync` of a fresh handle): for files
    /// written by an earlier process, whose data may still sit only in the page cache.
    fn sync_file(&self, path: &Path) -> io::Result<()>;
    /// The names of the entries of `dir` (not full paths), in no particular order.
    fn list(&self, dir: &Path) -> io::Result<Vec<String>>;
    /// True when `path` exists.
    fn exists(&self, path: &Path) -> io::Result<bool>;
    /// Makes the directory's entries (creations, renames, removals) durable.
    fn sync_dir(&self, dir: &Path) -> io::Result<()>;
    /// Takes an exclusive lock on `path` (created if missing); fails at once if it is held.
    fn lock(&self, path: &Path) -> io::Result<Box<dyn FileLock>>;
}

/// Which file system reads and writes the engine's files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IoBackend {
    /// `pread`/`write`/`fdatasync` ([`OsFs`]).
    Pread,
    /// io_uring (`UringFs`) for appends, syncs and batched reads, `pread` for single reads;
    /// fails where a ring cannot be set up.
    Uring,
    /// io_uring for single reads and buffered appends as well (`UringFs::all_on_ring`): for
    /// measuring the ring on the paths [`IoBackend::Uring`] keeps off it.
    UringAll,
    /// io_uring where it works, else `pread` (the fallback is logged once, to stderr).
    Auto,
}

impl IoBackend {
    /// Parses `pread`, `uring`, `uring-all` or `auto`.
    pub fn parse(s: &str) -> Option<IoBackend> {
        match s {
            "pread" => Some(IoBackend::Pread),
            "uring" | "io_uring" => Some(IoBackend::Uring),
            "uring-all" => Some(IoBackend::UringAll),
            "auto" => Some(IoBackend::Auto),
            _ => None,
        }
    }

    /// The file system for this backend.
    pub fn file_system(self) -> io::Result<Arc<dyn FileSystem>> {
        match self {
            IoBackend::Pread => Ok(Arc::new(OsFs)),
            IoBackend::Uring => uring_fs(false),
            IoBackend::UringAll => uring_fs(true),
            IoBackend::Auto => match uring_fs(false) {
                Ok(fs) => Ok(fs),
                Err(e) => {
                    static LOGGED: std::sync::Once = std::sync::Once::new();
                    LOGGED.call_once(|| {
                        eprintln!("shale: io_uring is not available ({e}); using pread/write");
                    });
                    Ok(Arc::new(OsFs))
                }
            },
        }
    }
}

#[cfg(target_os = "linux")]
fn uring_fs(ring_reads: bool) -> io::Result<Arc<dyn FileSystem>> {
    Ok(Arc::new(if ring_reads { UringFs::all_on_ring()? } else { UringFs::new()? }))
}

#[cfg(not(target_os = "linux"))]
fn uring_fs(_ring_reads: bool) -> io::Result<Arc<dyn FileSystem>> {
    Err(io::Error::new(io::ErrorKind::Unsupported, "io_uring needs Linux"))
}

/// Reads a whole small file, refusing files longer than `len_max` before allocating for them.
pub fn read_small_file(fs: &dyn FileSystem, path: &Path, len_max: u64) -> io::Result<Vec<u8>> {
    let f = fs.open(path)?;
    let len = f.len()?;
    if len > len_max {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{} is {len} bytes, more than the {len_max} allowed", path.display()),
        ));
    }
    // `len <= len_max`, a small bound chosen by the caller.
    let mut buf = vec![0u8; len as usize];
    let n = f.read_full_at(&mut buf, 0)?;
    buf.truncate(n);
    Ok(buf)
}

/// Writes `data` to `path` atomically and durably: a temporary file is written and synced,
/// renamed over `path`, and the directory is synced.
pub fn write_file_atomic(
    fs: &dyn FileSystem,
    dir: &Path,
    name: &str,
    data: &[u8],
) -> io::Result<()> {
    let tmp = dir.join(format!("{name}.tmp"));
    let f = fs.create(&tmp)?;
    f.append(data)?;
    f.sync()?;
    drop(f);
    fs.rename(&tmp, &dir.join(name))?;
    fs.sync_dir(dir)
}
