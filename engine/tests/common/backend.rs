//! The file systems the crash and fault tests run on, one test body for all of them.
//!
//! * [`Backend`]: `Mem` (the in-memory [`MemFs`]), `Pread` ([`IoBackend::Pread`]: `OsFs`),
//!   `Uring` ([`IoBackend::Uring`]: `UringFs`), `UringDirect` (`UringFs` with `O_DIRECT` table
//!   reads and flush/compaction writes) and `MemBlob` (`MemFs`, with values of
//!   [`BLOB_TEST_THRESHOLD`] bytes or more separated into blob files); [`TestFs::options`] sets
//!   what each needs. The real ones run under a
//!   [`FaultFs`] rooted in a fresh `tempfile::tempdir()`, so the same fault injection and
//!   simulated power loss work on real files.
//! * [`TestFs`]: a fresh file system of one backend with `MemFs`'s test API (`fail_after`,
//!   `crash`, `file_bytes`, ...); it dereferences to `dyn FileSystem` and [`TestFs::arc`] gives
//!   the handle for `Options::fs`.
//! * [`backend_tests!`]: `backend_tests!(name, ...)` turns each `fn name(backend: Backend)` into
//!   the tests `name::mem`, `name::pread`, `name::uring`, `name::uring_direct` and
//!   `name::mem_blob`, so a single body runs on every backend (`cargo test name` runs all five,
//!   `cargo test ::pread` one).
//!
//! Where io_uring cannot be set up (an old kernel, a seccomp profile) the `uring` tests print a
//! note and pass, except under CI (the `CI` environment variable set), where they fail: CI must
//! run them (as `read_modes.rs` and `model.rs` require).

use shale_engine::fs::{FaultFs, FaultMode, FileSystem, IoBackend, MemFs};
use std::path::Path;
use std::sync::Arc;

/// Where a test's database lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// [`MemFs`], in memory.
    Mem,
    /// Real files through `pread`/`write`/`fdatasync` (`OsFs`), under a [`FaultFs`].
    Pread,
    /// Real files through io_uring (`UringFs`), under a [`FaultFs`].
    Uring,
    /// As `Uring`, with `O_DIRECT` table reads and flush/compaction writes.
    UringDirect,
    /// As `Mem`, with key-value separation: values of [`BLOB_TEST_THRESHOLD`] bytes or more go
    /// to blob files ([`TestFs::options`] sets it).
    MemBlob,
}

/// The blob threshold of [`Backend::MemBlob`]: small, so that most test values are separated
/// and the shortest ones are not.
pub const BLOB_TEST_THRESHOLD: usize = 16;

impl Backend {
    /// Every backend.
    pub const ALL: [Backend; 5] =
        [Backend::Mem, Backend::Pread, Backend::Uring, Backend::UringDirect, Backend::MemBlob];

    /// `mem`, `pread` or `uring`.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Mem => "mem",
            Backend::Pread => "pread",
            Backend::Uring => "uring",
            Backend::UringDirect => "uring_direct",
            Backend::MemBlob => "mem_blob",
        }
    }

    /// Whether files live on a real disk (slower: real `fsync`s).
    pub fn is_disk(self) -> bool {
        !matches!(self, Backend::Mem | Backend::MemBlob)
    }

    /// Whether the backend can run here. io_uring may not be: then a note goes to stderr and
    /// this is false, except under CI (`CI` set), where it panics.
    pub fn available(self) -> bool {
        if !matches!(self, Backend::Uring | Backend::UringDirect) {
            return true;
        }
        match IoBackend::Uring.file_system() {
            Ok(_) => true,
            Err(e) => {
                assert!(std::env::var_os("CI").is_none(), "io_uring must be available in CI: {e}");
                eprintln!("skipped: io_uring is not available ({e})");
                false
            }
        }
    }

    /// A fresh, empty file system of this backend (real backends: in a new temporary
    /// directory, removed when the last clone of the [`TestFs`] and the last database and
    /// handle using it are gone).
    pub fn fs(self) -> TestFs {
        let io = match self {
            Backend::Mem => return TestFs::Mem(MemFs::new()),
            Backend::MemBlob => return TestFs::MemBlob(MemFs::new()),
            Backend::Pread => IoBackend::Pread,
            Backend::Uring | Backend::UringDirect => IoBackend::Uring,
        };
        let inner = io.file_system().unwrap_or_else(|e| panic!("{}: {e}", self.name()));
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().to_path_buf();
        TestFs::Disk { fs: FaultFs::owning(inner, root, dir), backend: self }
    }
}

/// Runs `body` on `backend` if it is [available](Backend::available) here.
pub fn run(backend: Backend, body: fn(Backend)) {
    if backend.available() {
        body(backend);
    }
}

/// One test per backend from one body: `backend_tests!(name, ...)` expects each
/// `fn name(backend: Backend)` and makes the module `name` with the tests `mem`, `pread`,
/// `uring` and `uring_direct`.
#[allow(unused_macros)]
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            use crate::common::backend::{run, Backend};

            #[test]
            fn mem() {
                run(Backend::Mem, super::$name);
            }

            #[test]
            fn pread() {
                run(Backend::Pread, super::$name);
            }

            #[test]
            fn uring() {
                run(Backend::Uring, super::$name);
            }

            #[test]
            fn uring_direct() {
                run(Backend::UringDirect, super::$name);
            }

            #[test]
            fn mem_blob() {
                run(Backend::MemBlob, super::$name);
            }
        }
    )*};
}
#[allow(unused_imports)]
pub(crate) use backend_tests;

/// A test file system: [`MemFs`], or a [`FaultFs`] over real files. Clones share one state.
#[derive(Debug, Clone)]
pub enum TestFs {
    /// In memory.
    Mem(MemFs),
    /// In memory, for key-value separated databases ([`Backend::MemBlob`]).
    MemBlob(MemFs),
    /// Real files in a temporary directory (`fs.root()`), which the layer owns.
    Disk {
        /// The layer the database uses.
        fs: FaultFs,
        /// `Pread`, `Uring` or `UringDirect`.
        backend: Backend,
    },
}

impl TestFs {
    /// The backend this file system runs on.
    pub fn backend(&self) -> Backend {
        match self {
            TestFs::Mem(_) => Backend::Mem,
            TestFs::MemBlob(_) => Backend::MemBlob,
            TestFs::Disk { backend, .. } => *backend,
        }
    }

    /// Default options on this file system, with `O_DIRECT` on for `UringDirect` and blob
    /// separation for `MemBlob`.
    pub fn options(&self) -> shale_engine::Options {
        let direct = self.backend() == Backend::UringDirect;
        let blobs = self.backend() == Backend::MemBlob;
        shale_engine::Options {
            fs: self.arc(),
            direct_reads: direct,
            direct_writes: direct,
            blob_threshold_bytes: blobs.then_some(BLOB_TEST_THRESHOLD),
            // A clock that stands still: the WAL's commit-time markers, and so every file's
            // bytes, are the same in every run (the crash tests rebuild databases and count
            // operations).
            clock: Arc::new(shale_engine::ManualClock::new(1_765_000_000_000)),
            ..shale_engine::Options::default()
        }
    }

    /// A handle for `Options::fs` (sharing this file system's state).
    pub fn arc(&self) -> Arc<dyn FileSystem> {
        match self {
            TestFs::Mem(fs) => Arc::new(fs.clone()),
            TestFs::MemBlob(fs) => Arc::new(fs.clone()),
            TestFs::Disk { fs, .. } => Arc::new(fs.clone()),
        }
    }

    /// `MemFs::fail_after` / `FaultFs::fail_after`.
    pub fn fail_after(&self, k: u64, mode: FaultMode) {
        match self {
            TestFs::Mem(fs) => fs.fail_after(k, mode),
            TestFs::MemBlob(fs) => fs.fail_after(k, mode),
            TestFs::Disk { fs, .. } => fs.fail_after(k, mode),
        }
    }

    /// Disarms any fault.
    pub fn clear_faults(&self) {
        match self {
            TestFs::Mem(fs) => fs.clear_faults(),
            TestFs::MemBlob(fs) => fs.clear_faults(),
            TestFs::Disk { fs, .. } => fs.clear_faults(),
        }
    }

    /// Operations counted so far.
    pub fn op_count(&self) -> u64 {
        match self {
            TestFs::Mem(fs) => fs.op_count(),
            TestFs::MemBlob(fs) => fs.op_count(),
            TestFs::Disk { fs, .. } => fs.op_count(),
        }
    }

    /// Operations failed by an injected fault so far.
    pub fn faults_hit(&self) -> u64 {
        match self {
            TestFs::Mem(fs) => fs.faults_hit(),
            TestFs::MemBlob(fs) => fs.faults_hit(),
            TestFs::Disk { fs, .. } => fs.faults_hit(),
        }
    }

    /// Simulated power loss keeping a prefix (from `seed`) of unsynced bytes (panics if the
    /// real files cannot be put back).
    pub fn crash(&self, seed: u64) {
        match self {
            TestFs::Mem(fs) => fs.crash(seed),
            TestFs::MemBlob(fs) => fs.crash(seed),
            TestFs::Disk { fs, .. } => fs.crash(seed).expect("FaultFs::crash"),
        }
    }

    /// Simulated power loss keeping no unsynced byte.
    pub fn crash_drop_unsynced(&self) {
        match self {
            TestFs::Mem(fs) => fs.crash_drop_unsynced(),
            TestFs::MemBlob(fs) => fs.crash_drop_unsynced(),
            TestFs::Disk { fs, .. } => fs.crash_drop_unsynced().expect("FaultFs::crash"),
        }
    }

    /// The bytes of the file `path`, if there is one.
    pub fn file_bytes(&self, path: impl AsRef<Path>) -> Option<Vec<u8>> {
        match self {
            TestFs::Mem(fs) => fs.file_bytes(path),
            TestFs::MemBlob(fs) => fs.file_bytes(path),
            TestFs::Disk { fs, .. } => fs.file_bytes(path),
        }
    }

    /// The durable length of the file `path`, if there is one.
    pub fn durable_len(&self, path: impl AsRef<Path>) -> Option<u64> {
        match self {
            TestFs::Mem(fs) => fs.durable_len(path),
            TestFs::MemBlob(fs) => fs.durable_len(path),
            TestFs::Disk { fs, .. } => fs.durable_len(path),
        }
    }

    /// Writes the whole file `path`, durable with its directory entry.
    pub fn set_file_bytes(&self, path: impl AsRef<Path>, bytes: &[u8]) -> std::io::Result<()> {
        match self {
            TestFs::Mem(fs) => fs.set_file_bytes(path, bytes),
            TestFs::MemBlob(fs) => fs.set_file_bytes(path, bytes),
            TestFs::Disk { fs, .. } => fs.set_file_bytes(path, bytes),
        }
    }
}

impl std::ops::Deref for TestFs {
    type Target = dyn FileSystem;

    fn deref(&self) -> &(dyn FileSystem + 'static) {
        match self {
            TestFs::Mem(fs) => fs,
            TestFs::MemBlob(fs) => fs,
            TestFs::Disk { fs, .. } => fs,
        }
    }
}
