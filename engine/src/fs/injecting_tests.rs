//! The unit tests [`MemFs`] and [`FaultFs`] share. `FaultFs` gives `MemFs`'s test API and model
//! over a real file system, so each test here is one body that runs on every [`Kind`]: `MemFs`,
//! and `FaultFs` over each backend (`OsFs`, and `UringFs` where a ring can be set up). The tests
//! of one of them alone stay in `mem.rs` and `fault.rs`.
//!
//! Where the two legitimately differ, a body branches on [`Kind::is_mem`] or
//! [`Injecting::as_fault`], and says why at the branch.

use super::{FaultFs, FaultMode, FileSystem, MemFs, OsFs, ReadRequest, ReadableFile, WritableFile};
use crate::fs::{read_small_file, write_file_atomic};
use std::io;
use std::path::Path;
use std::sync::Arc;

pub(super) fn p(s: &str) -> &Path {
    Path::new(s)
}

pub(super) fn read_all(f: &dyn ReadableFile) -> Vec<u8> {
    let mut buf = vec![0u8; f.len().unwrap() as usize];
    let n = f.read_full_at(&mut buf, 0).unwrap();
    buf.truncate(n);
    buf
}

/// The backends `FaultFs` is tested over: `OsFs`, and `UringFs` where a ring can be set up.
pub(super) fn backends() -> Vec<(&'static str, Arc<dyn FileSystem>)> {
    let mut out: Vec<(&'static str, Arc<dyn FileSystem>)> = vec![("pread", Arc::new(OsFs))];
    #[cfg(target_os = "linux")]
    match crate::fs::UringFs::new() {
        Ok(u) => out.push(("uring", Arc::new(u))),
        Err(e) => eprintln!("io_uring is not available ({e}): pread only"),
    }
    out
}

/// A `FaultFs` over `inner` rooted in a fresh temporary directory, which it owns (removed with
/// the last clone and handle).
pub(super) fn fault_fs(inner: &Arc<dyn FileSystem>) -> FaultFs {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    FaultFs::owning(Arc::clone(inner), root, dir)
}

/// The test API `MemFs` and `FaultFs` share (`FaultFs`'s crashes unwrapped), usable as
/// `dyn Injecting`, and a [`FileSystem`] itself.
trait Injecting: FileSystem {
    fn fail_after(&self, k: u64, mode: FaultMode);
    fn clear_faults(&self);
    fn op_count(&self) -> u64;
    fn faults_hit(&self) -> u64;
    fn crash(&self, seed: u64);
    fn crash_drop_unsynced(&self);
    fn file_bytes(&self, path: &str) -> Option<Vec<u8>>;
    fn durable_len(&self, path: &str) -> Option<u64>;
    fn set_file_bytes(&self, path: &str, bytes: &[u8]) -> io::Result<()>;
    /// A handle sharing this file system's state.
    fn arc(&self) -> Arc<dyn FileSystem>;
    /// How many files the bookkeeping holds (`MemFs`: inodes, `FaultFs`: nodes).
    fn tracked_files(&self) -> usize;
    /// The `FaultFs`, for checks of what only it has (its trash, its backend).
    fn as_fault(&self) -> Option<&FaultFs>;
}

/// The methods of [`Injecting`] that `MemFs` and `FaultFs` (`$fs`) have alike: forwarded to
/// their own.
macro_rules! forward_to {
    ($fs:ident) => {
        fn fail_after(&self, k: u64, mode: FaultMode) {
            $fs::fail_after(self, k, mode);
        }
        fn clear_faults(&self) {
            $fs::clear_faults(self);
        }
        fn op_count(&self) -> u64 {
            $fs::op_count(self)
        }
        fn faults_hit(&self) -> u64 {
            $fs::faults_hit(self)
        }
        fn file_bytes(&self, path: &str) -> Option<Vec<u8>> {
            $fs::file_bytes(self, path)
        }
        fn durable_len(&self, path: &str) -> Option<u64> {
            $fs::durable_len(self, path)
        }
        fn set_file_bytes(&self, path: &str, bytes: &[u8]) -> io::Result<()> {
            $fs::set_file_bytes(self, path, bytes)
        }
        fn arc(&self) -> Arc<dyn FileSystem> {
            Arc::new(self.clone())
        }
    };
}

impl Injecting for MemFs {
    forward_to!(MemFs);

    fn crash(&self, seed: u64) {
        MemFs::crash(self, seed);
    }
    fn crash_drop_unsynced(&self) {
        MemFs::crash_drop_unsynced(self);
    }
    fn tracked_files(&self) -> usize {
        self.inode_count()
    }
    fn as_fault(&self) -> Option<&FaultFs> {
        None
    }
}

/// `FaultFs` crashes can fail with a real I/O error: a test fails then.
impl Injecting for FaultFs {
    forward_to!(FaultFs);

    fn crash(&self, seed: u64) {
        FaultFs::crash(self, seed).unwrap();
    }
    fn crash_drop_unsynced(&self) {
        FaultFs::crash_drop_unsynced(self).unwrap();
    }
    fn tracked_files(&self) -> usize {
        self.node_count()
    }
    fn as_fault(&self) -> Option<&FaultFs> {
        Some(self)
    }
}

/// A kind of file system the shared tests run on: `MemFs`, or `FaultFs` over `inner`.
struct Kind {
    /// `MemFs`, or the backend's name.
    name: &'static str,
    inner: Option<Arc<dyn FileSystem>>,
}

impl Kind {
    /// A fresh, empty file system of this kind.
    fn fresh(&self) -> Box<dyn Injecting> {
        match &self.inner {
            None => Box::new(MemFs::new()),
            Some(inner) => Box::new(fault_fs(inner)),
        }
    }

    fn is_mem(&self) -> bool {
        self.inner.is_none()
    }

    /// `mem` on `MemFs`, else `disk`: the loops of a few tests run fewer rounds on real files
    /// (real `fsync`s are slow).
    fn rounds(&self, mem: u64, disk: u64) -> u64 {
        if self.is_mem() {
            mem
        } else {
            disk
        }
    }

    /// A fresh file system with the directory `db` and the durable (data and entry) file `db/f`
    /// holding `durable`.
    fn with_durable_file(&self, durable: &[u8]) -> (Box<dyn Injecting>, Arc<dyn WritableFile>) {
        let fs = self.fresh();
        fs.create_dir_all(p("db")).unwrap();
        let w = fs.create(p("db/f")).unwrap();
        w.append(durable).unwrap();
        w.sync().unwrap();
        fs.sync_dir(p("db")).unwrap();
        (fs, w)
    }
}

/// Runs `body` on every kind, naming the kind on stderr first (shown when the test fails).
fn on_each_kind(body: impl Fn(&Kind)) {
    let mut kinds = vec![Kind { name: "MemFs", inner: None }];
    kinds.extend(backends().into_iter().map(|(name, inner)| Kind { name, inner: Some(inner) }));
    for kind in &kinds {
        match kind.inner {
            None => eprintln!("--- on {}", kind.name),
            Some(_) => eprintln!("--- on FaultFs over {}", kind.name),
        }
        body(kind);
    }
}

/// Whether the trash of a `FaultFs` is empty (always true of `MemFs`, which has none).
fn trash_is_empty(fs: &dyn Injecting) -> bool {
    fs.as_fault().is_none_or(FaultFs::trash_is_empty)
}

#[test]
fn create_append_read() {
    on_each_kind(|kind| {
        let fs = kind.fresh();
        fs.create_dir_all(p("data/db")).unwrap();
        let w = fs.create(p("data/db/log")).unwrap();
        assert!(w.is_empty());
        w.append(b"hello ").unwrap();
        let r = fs.open(p("data/./db//log")).unwrap();
        assert_eq!(read_all(&*r), b"hello ");
        // Readers see later appends.
        w.append(b"world").unwrap();
        assert_eq!(w.len(), 11);
        assert_eq!(r.len().unwrap(), 11);
        let mut buf = [0u8; 4];
        assert_eq!(r.read_at(&mut buf, 6).unwrap(), 4);
        assert_eq!(&buf, b"worl");
        assert_eq!(r.read_at(&mut buf, 9).unwrap(), 2);
        assert_eq!(&buf[..2], b"ld");
        assert_eq!(r.read_at(&mut buf, 11).unwrap(), 0);
        // An offset past `i64::MAX`: `MemFs` finds the end of the file; `pread` and io_uring
        // take offsets as `off_t`, which it does not fit, so the backends refuse it.
        let far = r.read_at(&mut buf, u64::MAX);
        if kind.is_mem() {
            assert_eq!(far.unwrap(), 0);
        } else {
            assert_eq!(far.unwrap_err().kind(), io::ErrorKind::InvalidInput);
        }
        assert_eq!(fs.file_bytes("data/db/log").unwrap(), b"hello world");

        // `create` truncates: a new inode, while the old reader keeps the old bytes.
        let w2 = fs.create(p("data/db/log")).unwrap();
        assert_eq!(w2.len(), 0);
        assert_eq!(read_all(&*r), b"hello world");
        assert_eq!(fs.file_bytes("data/db/log").unwrap(), b"");

        // Missing things are NotFound; a file cannot replace a directory, nor a directory move.
        assert_eq!(fs.open(p("data/db/nope")).unwrap_err().kind(), io::ErrorKind::NotFound);
        assert_eq!(fs.create(p("nodir/f")).unwrap_err().kind(), io::ErrorKind::NotFound);
        assert_eq!(fs.create(p("data/db")).unwrap_err().kind(), io::ErrorKind::IsADirectory);
        assert_eq!(
            fs.rename(p("data/db"), p("data/x")).unwrap_err().kind(),
            io::ErrorKind::Unsupported
        );
        let w3 = fs.create(p("top")).unwrap();
        w3.append(b"x").unwrap();
        assert_eq!(fs.file_bytes("./top").unwrap(), b"x");
    });
}

#[test]
fn works_behind_the_trait_helpers() {
    on_each_kind(|kind| {
        let fs = kind.fresh();
        let dynfs = fs.arc();
        dynfs.create_dir_all(p("db")).unwrap();
        write_file_atomic(&*dynfs, p("db"), "CURRENT", b"MANIFEST-1\n").unwrap();
        assert_eq!(read_small_file(&*dynfs, p("db/CURRENT"), 100).unwrap(), b"MANIFEST-1\n");
        assert!(read_small_file(&*dynfs, p("db/CURRENT"), 3).is_err());
        fs.crash_drop_unsynced();
        assert_eq!(fs.file_bytes("db/CURRENT").unwrap(), b"MANIFEST-1\n");
        assert!(!fs.exists(p("db/CURRENT.tmp")).unwrap());
        // Replaced without a directory sync: the old contents come back.
        let tmp = fs.create(p("db/CURRENT.tmp")).unwrap();
        tmp.append(b"MANIFEST-2\n").unwrap();
        tmp.sync().unwrap();
        fs.rename(p("db/CURRENT.tmp"), p("db/CURRENT")).unwrap();
        assert_eq!(fs.file_bytes("db/CURRENT").unwrap(), b"MANIFEST-2\n");
        fs.crash(3);
        assert_eq!(fs.file_bytes("db/CURRENT").unwrap(), b"MANIFEST-1\n");
        assert_eq!(fs.list(p("db")).unwrap(), ["CURRENT"]);
        assert!(trash_is_empty(&*fs));
    });
}

#[test]
fn sync_then_crash_keeps_data() {
    on_each_kind(|kind| {
        for seed in 0..kind.rounds(20, 5) {
            let (fs, _w) = kind.with_durable_file(b"all synced");
            fs.crash(seed);
            assert_eq!(fs.file_bytes("db/f").unwrap(), b"all synced");
            assert_eq!(fs.durable_len("db/f"), Some(10));
            assert_eq!(read_all(&*fs.open(p("db/f")).unwrap()), b"all synced");
        }
    });
}

#[test]
fn unsynced_appends_survive_as_a_prefix() {
    let unsynced: Vec<u8> = (0u8..200).collect();
    on_each_kind(|kind| {
        let (mut none, mut some, mut all) = (0, 0, 0);
        for seed in 0..kind.rounds(300, 60) {
            let (fs, w) = kind.with_durable_file(b"durable");
            for chunk in unsynced.chunks(37) {
                w.append(chunk).unwrap();
            }
            assert_eq!(fs.durable_len("db/f"), Some(7));
            fs.crash(seed);
            let got = fs.file_bytes("db/f").unwrap();
            let tail = got.strip_prefix(b"durable".as_slice()).expect("durable bytes kept");
            assert!(unsynced.starts_with(tail), "seed {seed}: not a prefix");
            match tail.len() {
                0 => none += 1,
                200 => all += 1,
                _ => some += 1,
            }
            // What survived is durable now.
            assert_eq!(fs.durable_len("db/f"), Some(got.len() as u64));
            fs.crash(seed.wrapping_add(1000));
            assert_eq!(fs.file_bytes("db/f").unwrap(), got);
            // The same history and seed give the same result.
            let (fs2, w2) = kind.with_durable_file(b"durable");
            for chunk in unsynced.chunks(37) {
                w2.append(chunk).unwrap();
            }
            fs2.crash(seed);
            assert_eq!(fs2.file_bytes("db/f").unwrap(), got);
        }
        assert!(none > 0 && some > 0 && all > 0, "none {none}, some {some}, all {all}");

        let (fs, w) = kind.with_durable_file(b"durable");
        w.append(b"lost").unwrap();
        fs.crash_drop_unsynced();
        assert_eq!(fs.file_bytes("db/f").unwrap(), b"durable");
    });
}

#[test]
fn file_in_unsynced_dir_vanishes() {
    on_each_kind(|kind| {
        let fs = kind.fresh();
        fs.create_dir_all(p("db")).unwrap();
        let w = fs.create(p("db/new")).unwrap();
        w.append(b"data").unwrap();
        w.sync().unwrap();
        assert!(fs.exists(p("db/new")).unwrap());
        fs.crash(7);
        assert!(!fs.exists(p("db/new")).unwrap());
        assert_eq!(fs.open(p("db/new")).unwrap_err().kind(), io::ErrorKind::NotFound);
        assert!(fs.list(p("db")).unwrap().is_empty());
        assert_eq!(fs.file_bytes("db/new"), None);
        // The directory itself was durable at once.
        assert!(fs.exists(p("db")).unwrap());

        // A dir-synced file whose data was never synced survives empty.
        let w = fs.create(p("db/empty")).unwrap();
        w.append(b"unsynced").unwrap();
        fs.sync_dir(p("db")).unwrap();
        fs.crash_drop_unsynced();
        assert_eq!(fs.file_bytes("db/empty").unwrap(), b"");
    });
}

#[test]
fn rename_and_remove_need_sync_dir() {
    on_each_kind(|kind| {
        let (fs, _w) = kind.with_durable_file(b"v1");
        fs.rename(p("db/f"), p("db/g")).unwrap();
        assert!(!fs.exists(p("db/f")).unwrap());
        assert_eq!(fs.file_bytes("db/g").unwrap(), b"v1");
        fs.crash(1);
        assert_eq!(fs.file_bytes("db/f").unwrap(), b"v1");
        assert!(!fs.exists(p("db/g")).unwrap());

        fs.rename(p("db/f"), p("db/g")).unwrap();
        fs.sync_dir(p("db")).unwrap();
        fs.crash(2);
        assert!(!fs.exists(p("db/f")).unwrap());
        assert_eq!(fs.file_bytes("db/g").unwrap(), b"v1");

        // Rename over an existing file replaces it.
        fs.set_file_bytes("db/h", b"other").unwrap();
        fs.rename(p("db/g"), p("db/h")).unwrap();
        assert_eq!(fs.file_bytes("db/h").unwrap(), b"v1");
        assert_eq!(fs.rename(p("db/g"), p("db/h")).unwrap_err().kind(), io::ErrorKind::NotFound);
        // `FaultFs` keeps the replaced file for a power loss in its trash (`MemFs` in its inode).
        if let Some(fault) = fs.as_fault() {
            assert!(!fault.trash_is_empty(), "the replaced file waits in the trash");
        }
        fs.crash(3);
        assert_eq!(fs.file_bytes("db/h").unwrap(), b"other");
        assert_eq!(fs.file_bytes("db/g").unwrap(), b"v1");
        assert!(trash_is_empty(&*fs));

        fs.remove(p("db/g")).unwrap();
        assert!(!fs.exists(p("db/g")).unwrap());
        assert_eq!(fs.remove(p("db/g")).unwrap_err().kind(), io::ErrorKind::NotFound);
        fs.crash(4);
        assert!(fs.exists(p("db/g")).unwrap());
        assert_eq!(fs.file_bytes("db/g").unwrap(), b"v1");
        fs.remove(p("db/g")).unwrap();
        fs.sync_dir(p("db")).unwrap();
        assert!(trash_is_empty(&*fs), "deleted for real once the removal is durable");
        fs.crash(5);
        assert!(!fs.exists(p("db/g")).unwrap());
        assert_eq!(fs.list(p("db")).unwrap(), ["h"]);
    });
}

#[test]
fn rename_between_directories_is_durable_per_directory() {
    on_each_kind(|kind| {
        let (fs, _w) = kind.with_durable_file(b"moved");
        fs.create_dir_all(p("other")).unwrap();
        fs.rename(p("db/f"), p("other/f")).unwrap();
        fs.sync_dir(p("other")).unwrap();
        fs.crash(0);
        // Only the target was synced: the file is under both names.
        assert_eq!(fs.file_bytes("db/f").unwrap(), b"moved");
        assert_eq!(fs.file_bytes("other/f").unwrap(), b"moved");

        fs.rename(p("other/f"), p("db/g")).unwrap();
        fs.sync_dir(p("other")).unwrap();
        fs.crash(0);
        // Only the source was synced: under neither name.
        assert_eq!(fs.file_bytes("other/f"), None);
        assert_eq!(fs.file_bytes("db/g"), None);
        assert_eq!(fs.file_bytes("db/f").unwrap(), b"moved");
    });
}

#[test]
fn create_over_durable_file_without_sync_dir_comes_back() {
    on_each_kind(|kind| {
        let (fs, _w) = kind.with_durable_file(b"old");
        let w = fs.create(p("db/f")).unwrap();
        w.append(b"new").unwrap();
        w.sync().unwrap();
        assert_eq!(fs.file_bytes("db/f").unwrap(), b"new");
        fs.crash(0);
        assert_eq!(fs.file_bytes("db/f").unwrap(), b"old");

        // With the directory synced the new file stays, and the old one is gone for good.
        let w = fs.create(p("db/f")).unwrap();
        w.append(b"new").unwrap();
        w.sync().unwrap();
        fs.sync_dir(p("db")).unwrap();
        assert!(trash_is_empty(&*fs));
        fs.crash(0);
        assert_eq!(fs.file_bytes("db/f").unwrap(), b"new");
    });
}

#[test]
fn removed_file_stays_readable_through_open_handle() {
    on_each_kind(|kind| {
        let (fs, w) = kind.with_durable_file(b"abc");
        let r = fs.open(p("db/f")).unwrap();
        fs.remove(p("db/f")).unwrap();
        fs.sync_dir(p("db")).unwrap();
        w.append(b"d").unwrap();
        assert_eq!(read_all(&*r), b"abcd");
        drop((r, w));
        assert_eq!(fs.tracked_files(), 0, "unreferenced file dropped");
        assert!(trash_is_empty(&*fs));
    });
}

#[test]
fn hard_link_needs_sync_dir() {
    on_each_kind(|kind| {
        let (fs, _w) = kind.with_durable_file(b"linked");
        fs.hard_link(p("db/f"), p("db/g")).unwrap();
        // The backends refuse a link over an existing name; `MemFs` does not check this
        // precondition of `FileSystem::hard_link` (the link replaces the name).
        if !kind.is_mem() {
            assert!(fs.hard_link(p("db/f"), p("db/g")).is_err(), "the target exists");
        }
        fs.remove(p("db/f")).unwrap();
        assert_eq!(fs.file_bytes("db/g").unwrap(), b"linked");
        fs.crash(0);
        assert_eq!(fs.file_bytes("db/f").unwrap(), b"linked");
        assert_eq!(fs.file_bytes("db/g"), None);

        fs.hard_link(p("db/f"), p("db/g")).unwrap();
        fs.sync_dir(p("db")).unwrap();
        fs.remove(p("db/f")).unwrap();
        fs.remove(p("db/g")).unwrap();
        fs.crash(0);
        assert_eq!(fs.list(p("db")).unwrap(), ["f", "g"]);
        assert_eq!(fs.file_bytes("db/g").unwrap(), b"linked");
    });
}

#[test]
fn handles_are_stale_after_crash() {
    on_each_kind(|kind| {
        let (fs, w) = kind.with_durable_file(b"kept");
        let r = fs.open(p("db/f")).unwrap();
        let m = fs.open_mmap(p("db/f")).unwrap();
        let lock = fs.lock(p("db/LOCK")).unwrap();
        w.append(b"+1").unwrap();
        assert_eq!(w.len(), 6);
        fs.crash_drop_unsynced();

        for e in [
            w.append(b"zzz").unwrap_err(),
            w.sync().unwrap_err(),
            w.append_and_sync(b"zzz").unwrap_err(),
            r.len().unwrap_err(),
            m.read_at(&mut [0u8; 4], 0).unwrap_err(),
        ] {
            assert!(e.to_string().contains("stale handle after simulated crash"), "{e}");
        }
        assert!(r.read_at(&mut [0u8; 4], 0).is_err());
        assert_eq!(w.len(), 6, "a stale len reports the last length seen");
        assert_eq!(fs.file_bytes("db/f").unwrap(), b"kept", "stale appends wrote nothing");
        // The lock file was never dir-synced: gone.
        assert!(!fs.exists(p("db/LOCK")).unwrap());

        // Locks are released by the crash; the stale guard's drop does not release a new lock.
        let lock2 = fs.lock(p("db/LOCK")).unwrap();
        drop(lock);
        assert_eq!(fs.lock(p("db/LOCK")).unwrap_err().kind(), io::ErrorKind::WouldBlock);
        drop(lock2);
        let _lock3 = fs.lock(p("db/LOCK")).unwrap();

        // Fresh handles work; dropping stale ones does not disturb them.
        let w2 = fs.create(p("db/g")).unwrap();
        drop((w, r, m));
        w2.append(b"new").unwrap();
        assert_eq!(fs.file_bytes("db/g").unwrap(), b"new");
    });
}

#[test]
fn fail_after_once() {
    on_each_kind(|kind| {
        let (fs, w) = kind.with_durable_file(b"base");
        let start = fs.op_count();
        fs.fail_after(1, FaultMode::Once);
        w.append(b"a").unwrap(); // op 0: fine
        let e = w.append(b"b").unwrap_err(); // op 1: injected
        assert_eq!(e.to_string(), "injected fault");
        assert_eq!(fs.file_bytes("db/f").unwrap(), b"basea", "a failed append writes nothing");
        w.append(b"c").unwrap(); // op 2: fine again
        assert_eq!(fs.op_count(), start + 3);
        assert_eq!(fs.faults_hit(), 1);

        // A failed sync makes nothing durable.
        fs.fail_after(0, FaultMode::Once);
        assert!(w.sync().is_err());
        assert_eq!(fs.durable_len("db/f"), Some(4));
        // A failed create creates nothing; a failed rename renames nothing.
        fs.fail_after(0, FaultMode::Once);
        assert!(fs.create(p("db/x")).is_err());
        assert!(!fs.exists(p("db/x")).unwrap());
        fs.fail_after(0, FaultMode::Once);
        assert!(fs.rename(p("db/f"), p("db/y")).is_err());
        assert!(fs.exists(p("db/f")).unwrap());
        // A failed sync_dir makes no entry durable.
        fs.create(p("db/z")).unwrap();
        fs.fail_after(0, FaultMode::Once);
        assert!(fs.sync_dir(p("db")).is_err());
        fs.crash_drop_unsynced();
        assert!(!fs.exists(p("db/z")).unwrap());
        assert_eq!(fs.file_bytes("db/f").unwrap(), b"base");
        assert_eq!(fs.faults_hit(), 5);
    });
}

/// `append_and_sync` is two operations everywhere (`MemFs`: the trait's default, an append and
/// then a sync; `FaultFs` counts its own the same way).
#[test]
fn append_and_sync_counts_two_operations() {
    on_each_kind(|kind| {
        let (fs, w) = kind.with_durable_file(b"base");
        let ops = fs.op_count();
        w.append_and_sync(b"1").unwrap();
        assert_eq!(fs.op_count() - ops, 2);
        assert_eq!(fs.durable_len("db/f"), Some(5));

        // A fault at the append: nothing written.
        fs.fail_after(0, FaultMode::Once);
        assert!(w.append_and_sync(b"2").is_err());
        assert_eq!(fs.file_bytes("db/f").unwrap(), b"base1");
        // A fault at the sync: appended, not durable.
        fs.fail_after(1, FaultMode::Once);
        assert!(w.append_and_sync(b"3").is_err());
        assert_eq!(fs.file_bytes("db/f").unwrap(), b"base13");
        assert_eq!(fs.durable_len("db/f"), Some(5));
        assert_eq!(fs.faults_hit(), 2);
        fs.crash_drop_unsynced();
        assert_eq!(fs.file_bytes("db/f").unwrap(), b"base1");
    });
}

#[test]
fn fail_after_permanent_and_op_count() {
    on_each_kind(|kind| {
        let fs = kind.fresh();
        assert_eq!(fs.op_count(), 0);
        fs.create_dir_all(p("d")).unwrap();
        let w = fs.create(p("d/f")).unwrap();
        let r = fs.open(p("d/f")).unwrap();
        w.append(b"x").unwrap();
        w.sync().unwrap();
        r.len().unwrap();
        r.read_at(&mut [0u8; 1], 0).unwrap();
        let _ = w.len(); // not counted
        assert!(fs.exists(p("d/f")).unwrap());
        assert!(fs.open(p("d/missing")).is_err()); // counted although it fails
        assert_eq!(fs.op_count(), 9);

        fs.fail_after(2, FaultMode::Permanent);
        w.append(b"1").unwrap();
        fs.list(p("d")).unwrap();
        assert!(w.append(b"2").is_err());
        assert!(w.sync().is_err());
        assert!(fs.list(p("d")).is_err());
        assert!(r.len().is_err());
        assert!(fs.lock(p("d/LOCK")).is_err());
        assert_eq!(fs.faults_hit(), 5);
        assert_eq!(fs.op_count(), 16);
        let _ = w.len(); // still infallible
        fs.clear_faults();
        assert_eq!(fs.file_bytes("d/f").unwrap(), b"x1");
        assert_eq!(fs.durable_len("d/f"), Some(1));
        assert!(!fs.exists(p("d/LOCK")).unwrap());
        w.append(b"3").unwrap();
        assert_eq!(fs.faults_hit(), 5);
        assert_eq!(fs.op_count(), 18);
    });
}

/// `read_many` reads and counts as `MemFs`'s default (each request's `read_full_at`) does: one
/// operation per request with a non-empty buffer, a second one for a short, non-empty read.
#[test]
fn read_many_counts_per_request() {
    on_each_kind(|kind| {
        let (fs, _w) = kind.with_durable_file(b"0123456789");
        let ops = fs.op_count();
        let f = fs.open(p("db/f")).unwrap();
        let (mut a, mut b, mut c, mut d) = ([0u8; 4], [0u8; 4], [0u8; 0], [0u8; 4]);
        let mut reqs = [
            ReadRequest { file: &*f, offset: 0, buf: &mut a },
            ReadRequest { file: &*f, offset: 8, buf: &mut b }, // short: 2 reads
            ReadRequest { file: &*f, offset: 3, buf: &mut c }, // empty: none
            ReadRequest { file: &*f, offset: 20, buf: &mut d }, // past the end: 1
        ];
        let got: Vec<usize> = fs.read_many(&mut reqs).into_iter().map(Result::unwrap).collect();
        assert_eq!(got, [4, 2, 0, 0]);
        assert_eq!(&a, b"0123");
        assert_eq!(&b[..2], b"89");
        assert_eq!(fs.op_count() - ops, 1 + 4);

        // A fault at a request fails that request only.
        let (mut a, mut b) = ([0u8; 2], [0u8; 2]);
        fs.fail_after(1, FaultMode::Once);
        let res = fs.read_many(&mut [
            ReadRequest { file: &*f, offset: 0, buf: &mut a },
            ReadRequest { file: &*f, offset: 2, buf: &mut b },
        ]);
        assert_eq!(res[0].as_ref().unwrap(), &2);
        assert_eq!(res[1].as_ref().unwrap_err().to_string(), "injected fault");
        assert_eq!(&a, b"01");
        fs.crash(0);
        let mut reqs = [ReadRequest { file: &*f, offset: 0, buf: &mut a }];
        let res = fs.read_many(&mut reqs);
        assert!(res[0].as_ref().unwrap_err().to_string().contains("stale handle"));
    });
}

#[test]
fn lock_conflict_and_release() {
    on_each_kind(|kind| {
        let fs = kind.fresh();
        fs.create_dir_all(p("db")).unwrap();
        let l1 = fs.lock(p("db/LOCK")).unwrap();
        assert!(fs.exists(p("db/LOCK")).unwrap(), "lock creates the file");
        assert_eq!(fs.lock(p("db/./LOCK")).unwrap_err().kind(), io::ErrorKind::WouldBlock);
        let other = fs.lock(p("db/OTHER")).unwrap();
        drop(l1);
        let l2 = fs.lock(p("db/LOCK")).unwrap();
        drop((l2, other));
        assert_eq!(fs.lock(p("nodir/LOCK")).unwrap_err().kind(), io::ErrorKind::NotFound);
        // Locking keeps an existing file's bytes.
        fs.set_file_bytes("db/LOCK", b"pid").unwrap();
        let _l3 = fs.lock(p("db/LOCK")).unwrap();
        assert_eq!(fs.file_bytes("db/LOCK").unwrap(), b"pid");
    });
}

#[test]
fn truncate_is_durable() {
    on_each_kind(|kind| {
        let (fs, w) = kind.with_durable_file(b"0123");
        w.append(b"456789").unwrap();
        fs.truncate(p("db/f"), 6).unwrap();
        assert_eq!(fs.file_bytes("db/f").unwrap(), b"012345");
        assert_eq!(fs.durable_len("db/f"), Some(6));
        // An open writer's length: `MemFs` reports the cut; under `FaultFs` it is what the
        // backend says (`OsFs` keeps its own count), see `fault.rs`.
        if kind.is_mem() {
            assert_eq!(w.len(), 6);
        }
        fs.crash_drop_unsynced();
        assert_eq!(fs.file_bytes("db/f").unwrap(), b"012345");
        fs.truncate(p("db/f"), 2).unwrap();
        fs.crash(9);
        assert_eq!(fs.file_bytes("db/f").unwrap(), b"01");
        fs.truncate(p("db/f"), 4).unwrap();
        assert_eq!(fs.file_bytes("db/f").unwrap(), b"01\0\0");
        assert_eq!(fs.truncate(p("db/nope"), 0).unwrap_err().kind(), io::ErrorKind::NotFound);
    });
}

#[test]
fn sync_file_by_path_makes_bytes_durable() {
    on_each_kind(|kind| {
        let (fs, w) = kind.with_durable_file(b"0123");
        w.append(b"45").unwrap();
        fs.sync_file(p("db/f")).unwrap();
        assert_eq!(fs.durable_len("db/f"), Some(6));
        fs.crash_drop_unsynced();
        assert_eq!(fs.file_bytes("db/f").unwrap(), b"012345");
        assert_eq!(fs.sync_file(p("db/nope")).unwrap_err().kind(), io::ErrorKind::NotFound);
    });
}

#[test]
fn list_and_exists() {
    on_each_kind(|kind| {
        let fs = kind.fresh();
        fs.create_dir_all(p("a/b/c")).unwrap();
        fs.create_dir_all(p("a/./b/../b/d/")).unwrap();
        // Created out of order: `list` is sorted.
        fs.create(p("a/b/file2")).unwrap();
        fs.create(p("a/b/file1")).unwrap();
        assert_eq!(fs.list(p("a/b")).unwrap(), ["c", "d", "file1", "file2"]);
        assert_eq!(fs.list(p("a")).unwrap(), ["b"]);
        assert_eq!(fs.list(p("")).unwrap(), ["a"]);
        assert_eq!(fs.list(p(".")).unwrap(), ["a"]);
        assert_eq!(fs.list(p("a/x")).unwrap_err().kind(), io::ErrorKind::NotFound);
        assert_eq!(fs.list(p("a/b/file1")).unwrap_err().kind(), io::ErrorKind::NotADirectory);
        for yes in ["a", "a/b", "a/b/c", "./a/b/d", "a/b/file1", "a//b/./file2", ""] {
            assert!(fs.exists(p(yes)).unwrap(), "{yes}");
        }
        for no in ["b", "a/b/file3", "a/b/c/file1"] {
            assert!(!fs.exists(p(no)).unwrap(), "{no}");
        }
        assert_eq!(
            fs.create_dir_all(p("a/b/file1/x")).unwrap_err().kind(),
            io::ErrorKind::NotADirectory
        );
        assert_eq!(
            fs.create_dir_all(p("a/b/file1")).unwrap_err().kind(),
            io::ErrorKind::AlreadyExists
        );
        // A path through a file: `MemFs` says it does not exist; the backends (`stat`) fail
        // with ENOTDIR.
        let through_a_file = fs.exists(p("a/b/file1/x"));
        if kind.is_mem() {
            assert!(!through_a_file.unwrap());
        } else {
            assert_eq!(through_a_file.unwrap_err().kind(), io::ErrorKind::NotADirectory);
        }
        fs.remove(p("a/b/file2")).unwrap();
        assert_eq!(fs.list(p("a/b")).unwrap(), ["c", "d", "file1"]);
        assert_eq!(fs.sync_dir(p("nodir")).unwrap_err().kind(), io::ErrorKind::NotFound);
        fs.sync_dir(p("")).unwrap();
    });
}

#[test]
fn dir_over_removed_durable_file() {
    on_each_kind(|kind| {
        let (fs, _w) = kind.with_durable_file(b"x");
        fs.remove(p("db/f")).unwrap();
        fs.create_dir_all(p("db/f")).unwrap();
        fs.crash(0);
        assert_eq!(fs.list(p("db")).unwrap(), ["f"]);
        assert_eq!(fs.file_bytes("db/f"), None);
        assert!(fs.list(p("db/f")).unwrap().is_empty(), "still the (empty) directory");
    });
}

#[test]
fn set_file_bytes_for_corruption() {
    on_each_kind(|kind| {
        let (fs, w) = kind.with_durable_file(b"good data");
        let r = fs.open(p("db/f")).unwrap();
        fs.set_file_bytes("db/f", b"bad data").unwrap();
        assert_eq!(read_all(&*r), b"bad data", "same inode: readers see it");
        // An open writer's length: as in `truncate_is_durable`.
        if kind.is_mem() {
            assert_eq!(w.len(), 8);
        }
        fs.set_file_bytes("db/new", b"fresh").unwrap();
        assert_eq!(fs.durable_len("db/new"), Some(5));
        assert!(fs.set_file_bytes("nodir/x", b"").is_err());
        assert!(fs.set_file_bytes("db", b"").is_err());
        let ops = fs.op_count();
        fs.crash_drop_unsynced();
        assert_eq!(fs.file_bytes("db/f").unwrap(), b"bad data");
        assert_eq!(fs.file_bytes("db/new").unwrap(), b"fresh");
        assert_eq!(fs.op_count(), ops, "helpers and crashes are not counted");
        assert_eq!(fs.durable_len("db/none"), None);
        // Over a removed (not yet dir-synced) file: the new bytes are what a crash keeps.
        fs.remove(p("db/new")).unwrap();
        fs.set_file_bytes("db/new", b"newer").unwrap();
        fs.crash_drop_unsynced();
        assert_eq!(fs.file_bytes("db/new").unwrap(), b"newer");

        // `FaultFs` only (`MemFs` has no disk): files on disk before a layer count as durable.
        if let (Some(fault), Some(inner)) = (fs.as_fault(), &kind.inner) {
            let fs2 = FaultFs::new(Arc::clone(inner), fault.root());
            assert_eq!(fs2.durable_len("db/f"), Some(8));
            fs2.remove(p("db/f")).unwrap();
            fs2.crash(1).unwrap();
            assert_eq!(fs2.file_bytes("db/f").unwrap(), b"bad data");
        }
    });
}

#[test]
fn shared_between_threads() {
    on_each_kind(|kind| {
        let fs = kind.fresh();
        fs.create_dir_all(p("db")).unwrap();
        let w = fs.create(p("db/log")).unwrap();
        let per_thread = kind.rounds(100, 25);
        std::thread::scope(|s| {
            for t in 0..4u8 {
                let w = Arc::clone(&w);
                s.spawn(move || {
                    for _ in 0..per_thread {
                        w.append(&[t]).unwrap();
                        w.sync().unwrap();
                    }
                });
            }
        });
        assert_eq!(fs.durable_len("db/log"), Some(4 * per_thread));
        assert_eq!(fs.op_count(), 2 + 4 * 2 * per_thread);
    });
}
