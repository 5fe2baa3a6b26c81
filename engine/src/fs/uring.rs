//! [`UringFs`]: file data through io_uring (Linux). Batched reads, `fdatasync`, a WAL group's
//! linked write + `fdatasync`, and `O_DIRECT` reads and writes go through a ring; the rest
//! (create, rename, list, locks, directory syncs) is [`OsFs`]'s, and memory-mapped reads stay
//! `open_mmap`'s.
//!
//! Each thread has its own ring, made on its first I/O ([`RING_ENTRIES`] entries), so threads
//! never share a submission queue and need no lock around it. An operation is submitted and
//! waited for before the call returns: the calling thread's buffer is the I/O buffer, as with
//! `pread`/`write`.
//!
//! * A WAL group's append and its `fdatasync` go out as one linked submission
//!   ([`WritableFile::append_and_sync`]); syncs go through the ring too.
//! * A buffered append on its own (an unsynced WAL group, a table's 1 MiB write) is a plain
//!   `pwrite`. A buffered write cannot complete inline on the ring (it only copies into the page
//!   cache, but the ring's non-blocking attempt is refused), so io_uring hands it to a kernel
//!   worker thread and the caller waits for two thread switches: every unsynced write measured
//!   15× slower that way (`docs/benchmarks.md`, "I/O backends").
//! * [`FileSystem::read_many`] puts up to [`RING_ENTRIES`] reads in one submission: the block
//!   reads of a `multi_get` wait for the device together instead of one after the other.
//! * A single [`ReadableFile::read_at`] is a plain `pread`, as in RocksDB (whose io_uring use is
//!   MultiGet's batches): a lone read gains nothing from a ring, and through one it measured
//!   3–36% slower on blocks in the page cache (`docs/benchmarks.md`, "I/O backends").
//!   [`UringFs::all_on_ring`] (`--io-backend uring-all`) sends them, and buffered appends,
//!   through the ring anyway: for measuring what the default avoids.
//! * `O_DIRECT` files ([`FileSystem::open_direct`], [`FileSystem::create_direct`]) read and
//!   append through aligned buffers (`direct.rs`).
//!
//! Waiting is retried on `EINTR`, `EAGAIN` and `EBUSY`. Any other failure to wait, with an
//! operation in flight, aborts the process: the kernel may still write into the caller's
//! buffer, so returning an error would not be memory-safe.
//!
//! [`UringFs::new`] checks that a ring can be set up and used (a kernel without io_uring, or a
//! seccomp profile or container that forbids it, fails there), so callers can fall back to
//! [`OsFs`]; see [`super::IoBackend`].

use super::direct::{self, AlignedBuf};
use super::ReadRequest;
use super::{FileLock, FileSystem, OsFs, ReadableFile, WritableFile};
use io_uring::{opcode, squeue, types, IoUring};
use std::cell::RefCell;
use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::io::AsRawFd;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Submission queue size of each thread's ring: the most operations one submission carries (a
/// larger [`FileSystem::read_many`] batch goes out in several).
pub const RING_ENTRIES: u32 = 64;
/// Bytes one read or write submission moves at most (the kernel caps a request's length).
const IO_LEN_MAX: usize = 1 << 30;

thread_local! {
    static RING: RefCell<Option<IoUring>> = const { RefCell::new(None) };
}

/// Runs `op` on this thread's ring, making the ring first if needed.
fn with_ring<R>(op: impl FnOnce(&mut IoUring) -> io::Result<R>) -> io::Result<R> {
    RING.with(|cell| {
        let mut slot = cell.try_borrow_mut().map_err(|_| io::Error::other("io_uring ring busy"))?;
        if slot.is_none() {
            *slot = Some(IoUring::new(RING_ENTRIES)?);
        }
        match slot.as_mut() {
            Some(ring) => op(ring),
            None => Err(io::Error::other("io_uring ring missing")),
        }
    })
}

/// Submits `entries` (at most [`RING_ENTRIES`]) together and waits for all of their
/// completions; writes each one's raw result (negative: `-errno`) to `results`, in submission
/// order.
///
/// # Safety
/// Every buffer and file descriptor the entries refer to must stay valid until this returns (all
/// of them have completed by then, so the kernel no longer touches them).
unsafe fn complete_slice(entries: &[squeue::Entry], results: &mut [i32]) -> io::Result<()> {
    if entries.len() > RING_ENTRIES as usize || results.len() != entries.len() {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "io_uring batch too large"));
    }
    with_ring(|ring| {
        // The queue is empty at the start of every call (each call reaps all it submits) and the
        // batch fits, so every push succeeds; should one not, what was pushed is still waited
        // for before returning.
        let mut n = 0;
        for (i, entry) in entries.iter().enumerate() {
            let entry = entry.clone().user_data(i as u64);
            // SAFETY: the caller keeps the buffers and descriptors of the entries alive until
            // this call returns, and it returns only after reaping the completion of every entry
            // pushed (below). The ring is this thread's alone, so no other submission
            // interleaves.
            if unsafe { ring.submission().push(&entry) }.is_err() {
                break;
            }
            n += 1;
        }
        let mut done = 0;
        while done < n {
            match ring.submit_and_wait(n - done) {
                Ok(_) => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::Interrupted
                            | io::ErrorKind::WouldBlock
                            | io::ErrorKind::ResourceBusy
                    ) =>
                {
                    std::thread::yield_now();
                    continue;
                }
                Err(e) => {
                    // Operations may be in flight: returning would let the kernel write into a
                    // buffer the caller is about to free. No recovery is memory-safe.
                    eprintln!("shale: io_uring wait failed with an operation in flight: {e}");
                    std::process::abort();
                }
            }
            for cqe in ring.completion() {
                if let Some(r) = results.get_mut(cqe.user_data() as usize) {
                    *r = cqe.result();
                    done += 1;
                }
            }
        }
        if n < entries.len() {
            return Err(io::Error::other("io_uring submission queue full"));
        }
        Ok(())
    })
}

/// [`complete_slice`] for a fixed number of entries.
///
/// # Safety
/// As [`complete_slice`].
unsafe fn complete_all<const N: usize>(entries: [squeue::Entry; N]) -> io::Result<[i32; N]> {
    let mut results = [0i32; N];
    // SAFETY: forwarded to the caller.
    unsafe { complete_slice(&entries, &mut results) }?;
    Ok(results)
}

/// Submits one operation and waits for it; returns its non-negative result.
///
/// # Safety
/// As [`complete_all`].
unsafe fn complete(entry: io_uring::squeue::Entry) -> io::Result<u32> {
    // SAFETY: forwarded to the caller.
    let [res] = unsafe { complete_all([entry]) }?;
    if res < 0 {
        Err(io::Error::from_raw_os_error(-res))
    } else {
        Ok(res as u32)
    }
}

/// Positional read into `buf` (may be short at end of file).
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    let len = buf.len().min(IO_LEN_MAX) as u32;
    let entry = opcode::Read::new(types::Fd(file.as_raw_fd()), buf.as_mut_ptr(), len)
        .offset(offset)
        .build();
    loop {
        // SAFETY: `buf` and `file` are borrowed for this whole call, which returns only after
        // the read completed.
        match unsafe { complete(entry.clone()) } {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            r => return r.map(|n| n as usize),
        }
    }
}

/// Positional write of all of `data` at `offset`.
fn write_all_at(file: &File, mut data: &[u8], mut offset: u64) -> io::Result<()> {
    while !data.is_empty() {
        let len = data.len().min(IO_LEN_MAX) as u32;
        let entry = opcode::Write::new(types::Fd(file.as_raw_fd()), data.as_ptr(), len)
            .offset(offset)
            .build();
        // SAFETY: `data` and `file` are borrowed for this whole call, which returns only after
        // the write completed.
        let n = match unsafe { complete(entry) } {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            r => r? as usize,
        };
        if n == 0 {
            return Err(io::Error::new(io::ErrorKind::WriteZero, "io_uring write wrote nothing"));
        }
        data = data.get(n..).unwrap_or_default();
        offset += n as u64;
    }
    Ok(())
}

/// `fdatasync` through the ring.
fn datasync(file: &File) -> io::Result<()> {
    let entry =
        opcode::Fsync::new(types::Fd(file.as_raw_fd())).flags(types::FsyncFlags::DATASYNC).build();
    // SAFETY: `file` is borrowed for this whole call, which returns after the sync completed.
    unsafe { complete(entry) }.map(|_| ())
}

/// Where the ring puts a batched read's bytes.
enum Landing {
    /// Straight into the request's buffer.
    Buffer,
    /// Into an aligned bounce buffer covering the span from `start` (an `O_DIRECT` file).
    Bounce(AlignedBuf, u64),
    /// Not through the ring (another backend's file, or nothing to read).
    Elsewhere,
}

/// Reads the (at most [`RING_ENTRIES`]) requests of `reqs` in one submission; pushes each
/// result to `out`.
fn read_batch(reqs: &mut [ReadRequest<'_>], out: &mut Vec<io::Result<usize>>) {
    let mut entries = Vec::with_capacity(reqs.len());
    let mut landings = Vec::with_capacity(reqs.len());
    for r in reqs.iter_mut() {
        let file = r.file.as_any().and_then(|a| a.downcast_ref::<UringReadable>());
        let landing = match file {
            Some(f) if !r.buf.is_empty() && r.buf.len() <= IO_LEN_MAX => {
                let fd = types::Fd(f.file.as_raw_fd());
                if f.direct {
                    let (start, len) = direct::span(r.offset, r.buf.len());
                    match AlignedBuf::new(len) {
                        Ok(mut b) => {
                            let ptr = b.as_mut_slice().as_mut_ptr();
                            entries
                                .push(opcode::Read::new(fd, ptr, len as u32).offset(start).build());
                            Landing::Bounce(b, start)
                        }
                        Err(_) => Landing::Elsewhere,
                    }
                } else {
                    let (ptr, len) = (r.buf.as_mut_ptr(), r.buf.len() as u32);
                    entries.push(opcode::Read::new(fd, ptr, len).offset(r.offset).build());
                    Landing::Buffer
                }
            }
            _ => Landing::Elsewhere,
        };
        landings.push(landing);
    }
    let mut results = vec![0i32; entries.len()];
    // SAFETY: each entry points into a request's buffer (borrowed mutably through `reqs` for
    // this whole call) or into a bounce buffer owned by `landings` (its heap block does not move
    // when the `AlignedBuf` value moves), and at a file borrowed through `reqs`; this returns
    // only after every entry completed.
    let submitted = unsafe { complete_slice(&entries, &mut results) }.is_ok();
    let mut ring_results = results.into_iter();
    for (r, landing) in reqs.iter_mut().zip(landings) {
        let raw = match landing {
            Landing::Elsewhere => None,
            _ => ring_results.next(),
        };
        let wanted = r.buf.len();
        let got = match (landing, raw) {
            // Interrupted or refused for now: read it the plain way below.
            (_, Some(res))
                if submitted && res < 0 && ![libc::EINTR, libc::EAGAIN].contains(&-res) =>
            {
                Err(io::Error::from_raw_os_error(-res))
            }
            (Landing::Buffer, Some(res)) if submitted && res as usize == wanted => Ok(wanted),
            (Landing::Bounce(b, start), Some(res)) if submitted && res >= 0 => {
                match direct::copy_out(b.as_slice(), res as usize, start, r.buf, r.offset) {
                    n if n == wanted => Ok(n),
                    // Short: end of file, or a short read to finish; read it whole again.
                    _ => r.file.read_full_at(r.buf, r.offset),
                }
            }
            // Not through the ring, not submitted, or short: read it the plain way.
            _ => r.file.read_full_at(r.buf, r.offset),
        };
        out.push(got);
    }
}

/// The ring's writes and `fdatasync` for [`direct::DirectWritable`].
#[derive(Debug)]
struct RingWrite;

impl direct::RawWrite for RingWrite {
    fn write_all_at(&self, file: &File, data: &[u8], offset: u64) -> io::Result<()> {
        write_all_at(file, data, offset)
    }

    fn datasync(&self, file: &File) -> io::Result<()> {
        datasync(file)
    }
}

/// The io_uring file system.
#[derive(Debug, Clone, Copy)]
pub struct UringFs {
    os: OsFs,
    /// Single reads (`read_at`) and buffered appends go through the ring too, not only batches,
    /// syncs and linked writes ([`UringFs::all_on_ring`]).
    ring_reads: bool,
}

impl UringFs {
    /// An io_uring file system, after checking that this process can set up and use a ring.
    /// Batches of reads ([`FileSystem::read_many`]), appends and syncs go through the ring; a
    /// single `read_at` is a `pread` (see the module comment for why).
    pub fn new() -> io::Result<UringFs> {
        let entry = opcode::Nop::new().build();
        // SAFETY: a no-op refers to no memory.
        unsafe { complete(entry) }?;
        Ok(UringFs { os: OsFs, ring_reads: false })
    }

    /// [`UringFs::new`], with single reads and buffered appends through the ring as well: for
    /// measuring the ring on the paths the default keeps off it (`--io-backend uring-all`).
    pub fn all_on_ring() -> io::Result<UringFs> {
        Ok(UringFs { ring_reads: true, ..UringFs::new()? })
    }
}

#[derive(Debug)]
struct UringWritable {
    file: File,
    len: AtomicU64,
    /// Buffered appends through the ring too ([`UringFs::all_on_ring`]); else `pwrite`.
    ring_appends: bool,
    /// Appends reserve their offset and write under this lock (the trait allows one appender at
    /// a time; the lock keeps that true without trusting it).
    append: Mutex<()>,
}

impl WritableFile for UringWritable {
    /// A plain `pwrite`, not the ring: a buffered write only copies into the page cache, and
    /// the ring cannot do that without blocking, so it hands every such write to a kernel
    /// worker thread (io-wq) and the caller waits for a thread switch there and back. Measured
    /// on the unsynced WAL path, that made fillrandom 15× slower than `pwrite`
    /// (`docs/benchmarks.md`, "I/O backends").
    fn append(&self, data: &[u8]) -> io::Result<()> {
        let _one = self.append.lock().unwrap_or_else(|e| e.into_inner());
        let at = self.len.load(Ordering::Acquire);
        if self.ring_appends {
            write_all_at(&self.file, data, at)?;
        } else {
            std::os::unix::fs::FileExt::write_all_at(&self.file, data, at)?;
        }
        self.len.store(at + data.len() as u64, Ordering::Release);
        Ok(())
    }

    fn sync(&self) -> io::Result<()> {
        datasync(&self.file)
    }

    /// The write and the `fdatasync` go out in one submission, linked so that the sync starts
    /// only once the write completed in full. After a short write the kernel cancels the sync;
    /// the rest is then written and synced on its own.
    fn append_and_sync(&self, data: &[u8]) -> io::Result<()> {
        if data.is_empty() || data.len() > IO_LEN_MAX {
            self.append(data)?;
            return self.sync();
        }
        let _one = self.append.lock().unwrap_or_else(|e| e.into_inner());
        let at = self.len.load(Ordering::Acquire);
        let fd = types::Fd(self.file.as_raw_fd());
        let write = opcode::Write::new(fd, data.as_ptr(), data.len() as u32)
            .offset(at)
            .build()
            .flags(squeue::Flags::IO_LINK);
        let sync = opcode::Fsync::new(fd).flags(types::FsyncFlags::DATASYNC).build();
        // SAFETY: `data` and the file are borrowed for this whole call, which returns only after
        // both operations completed.
        let [wrote, synced] = unsafe { complete_all([write, sync]) }?;
        if wrote < 0 {
            return Err(io::Error::from_raw_os_error(-wrote));
        }
        let wrote = wrote as usize;
        if wrote < data.len() {
            write_all_at(&self.file, data.get(wrote..).unwrap_or_default(), at + wrote as u64)?;
            self.len.store(at + data.len() as u64, Ordering::Release);
            return datasync(&self.file);
        }
        self.len.store(at + data.len() as u64, Ordering::Release);
        if synced < 0 {
            return Err(io::Error::from_raw_os_error(-synced));
        }
        Ok(())
    }

    fn len(&self) -> u64 {
        self.len.load(Ordering::Acquire)
    }
}

#[derive(Debug)]
struct UringReadable {
    file: File,
    /// Opened with `O_DIRECT`: reads go through an aligned bounce buffer.
    direct: bool,
    /// `read_at` through the ring ([`UringFs::all_on_ring`]); else `pread`.
    ring_reads: bool,
}

impl ReadableFile for UringReadable {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        let one = |b: &mut [u8], o: u64| {
            if self.ring_reads {
                read_at(&self.file, b, o)
            } else {
                super::os::pread(&self.file, b, o)
            }
        };
        if self.direct {
            return direct::read_direct(buf, offset, one);
        }
        one(buf, offset)
    }

    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }

    fn len(&self) -> io::Result<u64> {
        Ok(self.file.metadata()?.len())
    }
}

impl FileSystem for UringFs {
    fn create_dir_all(&self, dir: &Path) -> io::Result<()> {
        self.os.create_dir_all(dir)
    }

    fn create(&self, path: &Path) -> io::Result<Arc<dyn WritableFile>> {
        let file = OpenOptions::new().write(true).create(true).truncate(true).open(path)?;
        Ok(Arc::new(UringWritable {
            file,
            len: AtomicU64::new(0),
            ring_appends: self.ring_reads,
            append: Mutex::new(()),
        }))
    }

    fn open(&self, path: &Path) -> io::Result<Arc<dyn ReadableFile>> {
        let file = File::open(path)?;
        Ok(Arc::new(UringReadable { file, direct: false, ring_reads: self.ring_reads }))
    }

    fn open_direct(&self, path: &Path) -> io::Result<Arc<dyn ReadableFile>> {
        match direct::open_read(path)? {
            Some(file) => {
                Ok(Arc::new(UringReadable { file, direct: true, ring_reads: self.ring_reads }))
            }
            None => {
                direct::log_refused(path);
                self.open(path)
            }
        }
    }

    fn create_direct(&self, path: &Path) -> io::Result<Arc<dyn WritableFile>> {
        match direct::create_write(path)? {
            Some(file) => Ok(Arc::new(direct::DirectWritable::new(file, RingWrite)?)),
            None => {
                direct::log_refused(path);
                self.create(path)
            }
        }
    }

    /// The reads of files this backend opened go out together, [`RING_ENTRIES`] per
    /// submission; reads of other files, and any read the ring answered short, are done one by
    /// one afterwards.
    fn read_many(&self, reqs: &mut [ReadRequest<'_>]) -> Vec<io::Result<usize>> {
        let mut out = Vec::with_capacity(reqs.len());
        for chunk in reqs.chunks_mut(RING_ENTRIES as usize) {
            read_batch(chunk, &mut out);
        }
        out
    }

    fn open_mmap(&self, path: &Path) -> io::Result<Arc<dyn ReadableFile>> {
        self.os.open_mmap(path)
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        self.os.rename(from, to)
    }

    fn hard_link(&self, from: &Path, to: &Path) -> io::Result<()> {
        self.os.hard_link(from, to)
    }

    fn remove(&self, path: &Path) -> io::Result<()> {
        self.os.remove(path)
    }

    fn remove_dir(&self, dir: &Path) -> io::Result<()> {
        self.os.remove_dir(dir)
    }

    fn truncate(&self, path: &Path, len: u64) -> io::Result<()> {
        self.os.truncate(path, len)
    }

    fn sync_file(&self, path: &Path) -> io::Result<()> {
        datasync(&File::open(path)?)
    }

    fn list(&self, dir: &Path) -> io::Result<Vec<String>> {
        self.os.list(dir)
    }

    fn exists(&self, path: &Path) -> io::Result<bool> {
        self.os.exists(path)
    }

    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        self.os.sync_dir(dir)
    }

    fn lock(&self, path: &Path) -> io::Result<Box<dyn FileLock>> {
        self.os.lock(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_reads_and_syncs_through_the_ring() {
        let Ok(fs) = UringFs::all_on_ring() else {
            eprintln!("io_uring is not available here: nothing to test");
            return;
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let w = fs.create(&path).unwrap();
        w.append(b"hello ").unwrap();
        let big: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        w.append_and_sync(&big).unwrap();
        w.sync().unwrap();
        assert_eq!(w.len(), 6 + big.len() as u64);
        let r = fs.open(&path).unwrap();
        assert_eq!(r.len().unwrap(), w.len());
        let mut head = [0u8; 6];
        assert_eq!(r.read_at(&mut head, 0).unwrap(), 6);
        assert_eq!(&head, b"hello ");
        let mut all = vec![0u8; big.len()];
        assert_eq!(r.read_full_at(&mut all, 6).unwrap(), big.len());
        assert_eq!(all, big);
        // Past the end: a short read, then nothing.
        let mut tail = [0u8; 10];
        assert_eq!(r.read_at(&mut tail, w.len() - 4).unwrap(), 4);
        assert_eq!(r.read_at(&mut tail, w.len()).unwrap(), 0);
        fs.sync_file(&path).unwrap();
        // Reads from many threads at once, each on its own ring.
        let r2 = Arc::clone(&r);
        let threads: Vec<_> = (0..4u64)
            .map(|t| {
                let r = Arc::clone(&r2);
                let want = big.clone();
                std::thread::spawn(move || {
                    for i in 0..200u64 {
                        let off = (t * 7919 + i * 104_729) % (want.len() as u64 - 100);
                        let mut b = [0u8; 100];
                        assert_eq!(r.read_full_at(&mut b, 6 + off).unwrap(), 100);
                        let o = off as usize;
                        assert_eq!(&b[..], &want[o..o + 100]);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
    }

    #[test]
    fn linked_append_and_sync_keeps_appending_at_the_end() {
        let Ok(fs) = UringFs::new() else { return };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wal");
        let w = fs.create(&path).unwrap();
        let mut want = Vec::new();
        for i in 0..50u8 {
            let chunk = vec![i; 1 + usize::from(i) * 37];
            if i % 3 == 0 {
                w.append(&chunk).unwrap();
            } else {
                w.append_and_sync(&chunk).unwrap();
            }
            want.extend_from_slice(&chunk);
        }
        w.append_and_sync(&[]).unwrap();
        assert_eq!(w.len(), want.len() as u64);
        let mut got = vec![0u8; want.len()];
        assert_eq!(fs.open(&path).unwrap().read_full_at(&mut got, 0).unwrap(), want.len());
        assert_eq!(got, want);
    }

    #[test]
    fn read_many_batches_buffered_direct_and_foreign_files() {
        let Ok(fs) = UringFs::new() else { return };
        let dir = tempfile::tempdir().unwrap();
        let data: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 253) as u8).collect();
        let path = dir.path().join("f");
        std::fs::write(&path, &data).unwrap();
        let ring = UringFs::all_on_ring().unwrap();
        let files = [
            fs.open(&path).unwrap(),
            ring.open_direct(&path).unwrap(),
            OsFs.open(&path).unwrap(),
            Arc::new(crate::fs::BytesFile::new(data.clone())) as Arc<dyn ReadableFile>,
        ];
        // 150 reads (more than one submission): every file kind, odd offsets and lengths, reads
        // running past the end, and empty reads.
        let spans: Vec<(usize, u64, usize)> = (0..150u64)
            .map(|i| {
                let off = (i * 104_729) % (data.len() as u64 + 10);
                let len = [0usize, 1, 100, 4096, 5000, 70_000][(i % 6) as usize];
                ((i % 4) as usize, off, len)
            })
            .collect();
        let mut bufs: Vec<Vec<u8>> = spans.iter().map(|&(_, _, len)| vec![0xAA; len]).collect();
        let mut reqs: Vec<ReadRequest<'_>> = spans
            .iter()
            .zip(bufs.iter_mut())
            .map(|(&(f, offset, _), buf)| ReadRequest { file: files[f].as_ref(), offset, buf })
            .collect();
        let results = fs.read_many(&mut reqs);
        drop(reqs);
        for ((&(f, off, len), buf), res) in spans.iter().zip(&bufs).zip(results) {
            let o = (off as usize).min(data.len());
            let end = (o + len).min(data.len());
            let n = res.unwrap();
            assert_eq!(n, end - o, "file {f} at {off} for {len}");
            assert_eq!(&buf[..n], &data[o..end], "file {f} at {off} for {len}");
        }
    }

    #[test]
    fn errors_come_back_as_io_errors() {
        let Ok(fs) = UringFs::new() else { return };
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            fs.open(&dir.path().join("missing")).unwrap_err().kind(),
            io::ErrorKind::NotFound
        );
        // Reading a directory through the ring fails with the kernel's error (EISDIR).
        let d = File::open(dir.path()).unwrap();
        let mut b = [0u8; 8];
        assert!(read_at(&d, &mut b, 0).is_err());
    }
}
