//! `O_DIRECT` files: reads and appends that bypass the page cache (Linux).
//!
//! With `O_DIRECT` the kernel moves data straight between the device and the caller's buffer,
//! so the buffer's address, the file offset and the length must all be multiples of the
//! device's logical block size. [`DIRECT_ALIGN`] (4096) is a multiple of every logical block
//! size in use, so it is always enough.
//!
//! * **Reads** ([`read_direct`]) cover the aligned span around the requested bytes with an
//!   [`AlignedBuf`] (each thread keeps one, up to 256 KiB, for reuse) and copy the requested part
//!   out, so callers keep reading any offset and length.
//! * **Appends** ([`DirectWritable`]) gather into an aligned buffer of [`DIRECT_WRITE_BUFFER`]
//!   bytes and write it whole when it fills. `sync` writes the partial last block padded with
//!   zeros, cuts the file back to its true length, and `fdatasync`s; the partial block stays in
//!   the buffer and is written again, completed, by the next flush. Bytes appended are visible
//!   to readers only after the `sync` (or the flush) that writes them: the engine opens an
//!   SSTable for reading only after its builder synced it.
//!
//! A file system that refuses `O_DIRECT` (tmpfs answers `EINVAL`) gets the buffered file
//! instead; [`open_flags`] reports which one it got.

use std::alloc::{alloc_zeroed, dealloc, Layout};
use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// Alignment of buffers, offsets and lengths of `O_DIRECT` I/O.
pub const DIRECT_ALIGN: usize = 4096;
/// Bytes a direct appender gathers before one write (RocksDB's default writable-file buffer).
pub const DIRECT_WRITE_BUFFER: usize = 1 << 20;
const _: () = assert!(DIRECT_ALIGN.is_power_of_two());
const _: () = assert!(DIRECT_WRITE_BUFFER.is_multiple_of(DIRECT_ALIGN));

/// A zeroed heap buffer whose address is a multiple of [`DIRECT_ALIGN`].
pub struct AlignedBuf {
    ptr: std::ptr::NonNull<u8>,
    len: usize,
}

// SAFETY: an `AlignedBuf` owns its allocation exclusively, like a `Vec<u8>`.
unsafe impl Send for AlignedBuf {}
// SAFETY: shared access only hands out `&[u8]`, like a `Vec<u8>`.
unsafe impl Sync for AlignedBuf {}

impl std::fmt::Debug for AlignedBuf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AlignedBuf").field("len", &self.len).finish()
    }
}

impl AlignedBuf {
    /// `len` zero bytes (rounded up to a multiple of [`DIRECT_ALIGN`], at least one block).
    pub fn new(len: usize) -> io::Result<AlignedBuf> {
        let len = align_up(len.max(1) as u64) as usize;
        let layout = Layout::from_size_align(len, DIRECT_ALIGN)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "direct I/O buffer size"))?;
        // SAFETY: `layout` has a non-zero size.
        let raw = unsafe { alloc_zeroed(layout) };
        let ptr = std::ptr::NonNull::new(raw)
            .ok_or_else(|| io::Error::new(io::ErrorKind::OutOfMemory, "direct I/O buffer"))?;
        Ok(AlignedBuf { ptr, len })
    }

    /// The whole buffer.
    pub fn as_slice(&self) -> &[u8] {
        // SAFETY: `ptr` points at `len` initialised (zeroed, then written) bytes owned by self.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }

    /// The whole buffer, writable.
    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        // SAFETY: as `as_slice`, and `&mut self` makes the access exclusive.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }
}

impl Drop for AlignedBuf {
    fn drop(&mut self) {
        if let Ok(layout) = Layout::from_size_align(self.len, DIRECT_ALIGN) {
            // SAFETY: allocated in `new` with this very layout.
            unsafe { dealloc(self.ptr.as_ptr(), layout) }
        }
    }
}

/// `n` rounded down to a multiple of [`DIRECT_ALIGN`].
pub fn align_down(n: u64) -> u64 {
    n & !(DIRECT_ALIGN as u64 - 1)
}

/// `n` rounded up to a multiple of [`DIRECT_ALIGN`].
pub fn align_up(n: u64) -> u64 {
    align_down(n.saturating_add(DIRECT_ALIGN as u64 - 1))
}

/// The aligned span covering `len` bytes at `offset`: its start and its length.
pub fn span(offset: u64, len: usize) -> (u64, usize) {
    let start = align_down(offset);
    let end = align_up(offset.saturating_add(len as u64));
    (start, (end - start) as usize)
}

/// Copies the part of an aligned read (of `got` bytes from `start`) that covers `offset` into
/// `buf`; returns how many bytes that is.
pub fn copy_out(bounce: &[u8], got: usize, start: u64, buf: &mut [u8], offset: u64) -> usize {
    let head = (offset - start) as usize;
    let n = got.saturating_sub(head).min(buf.len());
    if let (Some(dst), Some(src)) = (buf.get_mut(..n), bounce.get(head..head + n)) {
        dst.copy_from_slice(src);
    }
    n
}

/// Bounce buffers up to this size are kept per thread and reused (larger ones, such as a
/// compaction's readahead, are allocated per read).
const BOUNCE_KEEP_MAX: usize = 256 << 10;

thread_local! {
    static BOUNCE: std::cell::RefCell<Option<AlignedBuf>> = const { std::cell::RefCell::new(None) };
}

/// A positional read of `buf.len()` bytes at `offset` from an `O_DIRECT` file, through an
/// aligned bounce buffer (this thread's, reused, when the span fits [`BOUNCE_KEEP_MAX`]);
/// `read` performs one aligned read (short only at end of file).
pub fn read_direct(
    buf: &mut [u8],
    offset: u64,
    read: impl Fn(&mut [u8], u64) -> io::Result<usize>,
) -> io::Result<usize> {
    if buf.is_empty() {
        return Ok(0);
    }
    let (start, len) = span(offset, buf.len());
    let through = |bounce: &mut AlignedBuf, buf: &mut [u8]| -> io::Result<usize> {
        let mut got = 0;
        while got < len {
            let Some(rest) = bounce.as_mut_slice().get_mut(got..len) else { break };
            let n = read(rest, start + got as u64)?;
            if n == 0 {
                break;
            }
            got += n;
            if got % DIRECT_ALIGN != 0 {
                break; // end of file
            }
        }
        Ok(copy_out(bounce.as_slice(), got, start, buf, offset))
    };
    if len <= BOUNCE_KEEP_MAX {
        let kept = BOUNCE.with(|cell| {
            let Ok(mut slot) = cell.try_borrow_mut() else { return None };
            if slot.as_ref().is_none_or(|b| b.as_slice().len() < len) {
                *slot = AlignedBuf::new(len.max(16 << 10)).ok();
            }
            slot.as_mut().map(|b| through(b, buf))
        });
        if let Some(r) = kept {
            return r;
        }
    }
    through(&mut AlignedBuf::new(len)?, buf)
}

/// Opens `path` for reading with `O_DIRECT`; `None` when this file system refuses it.
pub fn open_read(path: &Path) -> io::Result<Option<File>> {
    match OpenOptions::new().read(true).custom_flags(libc::O_DIRECT).open(path) {
        Ok(f) => Ok(Some(f)),
        Err(e) if e.raw_os_error() == Some(libc::EINVAL) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Creates (truncating) `path` for writing with `O_DIRECT`; `None` when this file system
/// refuses it.
pub fn create_write(path: &Path) -> io::Result<Option<File>> {
    let mut o = OpenOptions::new();
    o.write(true).create(true).truncate(true);
    match o.clone().custom_flags(libc::O_DIRECT).open(path) {
        Ok(f) => Ok(Some(f)),
        Err(e) if e.raw_os_error() == Some(libc::EINVAL) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Says once, to stderr, that `O_DIRECT` was refused and buffered I/O is used instead.
pub fn log_refused(path: &Path) {
    static LOGGED: std::sync::Once = std::sync::Once::new();
    LOGGED.call_once(|| {
        eprintln!(
            "shale: the file system of {} refuses O_DIRECT; using buffered I/O",
            path.display()
        );
    });
}

/// The raw operations a direct appender needs from its backend.
pub trait RawWrite: Send + Sync + std::fmt::Debug {
    /// Writes all of `data` at `offset`.
    fn write_all_at(&self, file: &File, data: &[u8], offset: u64) -> io::Result<()>;
    /// `fdatasync`.
    fn datasync(&self, file: &File) -> io::Result<()>;
}

#[derive(Debug)]
struct Pending {
    buf: AlignedBuf,
    /// File offset of `buf[0]` (aligned).
    base: u64,
    /// Bytes of `buf` holding appended data.
    filled: usize,
}

/// An append-only `O_DIRECT` file (see the module comment).
#[derive(Debug)]
pub struct DirectWritable<W: RawWrite> {
    file: File,
    io: W,
    pending: Mutex<Pending>,
    len: AtomicU64,
}

impl<W: RawWrite> DirectWritable<W> {
    /// An appender over `file` (opened with `O_DIRECT`, empty).
    pub fn new(file: File, io: W) -> io::Result<Self> {
        let buf = AlignedBuf::new(DIRECT_WRITE_BUFFER)?;
        Ok(DirectWritable {
            file,
            io,
            pending: Mutex::new(Pending { buf, base: 0, filled: 0 }),
            len: AtomicU64::new(0),
        })
    }

    /// Writes the full blocks of the buffer and keeps the partial last block (moved to the
    /// front); with `pad`, writes the partial block too, zero-padded, and cuts the file back.
    fn flush(&self, p: &mut Pending, pad: bool) -> io::Result<()> {
        let full = align_down(p.filled as u64) as usize;
        let tail = p.filled - full;
        let write_len = if pad && tail > 0 { full + DIRECT_ALIGN } else { full };
        if write_len > 0 {
            if let Some(zeros) = p.buf.as_mut_slice().get_mut(p.filled..write_len) {
                zeros.fill(0);
            }
            let data = p.buf.as_slice().get(..write_len).unwrap_or_default();
            self.io.write_all_at(&self.file, data, p.base)?;
        }
        if full > 0 {
            p.buf.as_mut_slice().copy_within(full..p.filled, 0);
            p.base += full as u64;
            p.filled = tail;
        }
        if pad && tail > 0 {
            self.file.set_len(p.base + tail as u64)?;
        }
        Ok(())
    }
}

impl<W: RawWrite> super::WritableFile for DirectWritable<W> {
    fn append(&self, mut data: &[u8]) -> io::Result<()> {
        let mut p = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        let n = data.len() as u64;
        while !data.is_empty() {
            let room = DIRECT_WRITE_BUFFER - p.filled;
            let take = room.min(data.len());
            let at = p.filled;
            if let (Some(dst), Some(src)) =
                (p.buf.as_mut_slice().get_mut(at..at + take), data.get(..take))
            {
                dst.copy_from_slice(src);
            }
            p.filled += take;
            data = data.get(take..).unwrap_or_default();
            if p.filled == DIRECT_WRITE_BUFFER {
                self.flush(&mut p, false)?;
            }
        }
        self.len.fetch_add(n, Ordering::Release);
        Ok(())
    }

    fn sync(&self) -> io::Result<()> {
        let mut p = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        self.flush(&mut p, true)?;
        self.io.datasync(&self.file)
    }

    fn len(&self) -> u64 {
        self.len.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fs::WritableFile;
    use std::os::unix::fs::FileExt;

    #[test]
    fn spans_cover_the_request() {
        assert_eq!(span(0, 1), (0, 4096));
        assert_eq!(span(4095, 2), (0, 8192));
        assert_eq!(span(4096, 4096), (4096, 4096));
        assert_eq!(span(5000, 10_000), (4096, 12_288));
        let b = AlignedBuf::new(10).unwrap();
        assert_eq!(b.as_slice().len(), 4096);
        assert_eq!(b.as_slice().as_ptr() as usize % DIRECT_ALIGN, 0);
    }

    #[derive(Debug)]
    struct Pwrite;
    impl RawWrite for Pwrite {
        fn write_all_at(&self, file: &File, data: &[u8], offset: u64) -> io::Result<()> {
            assert_eq!(offset % DIRECT_ALIGN as u64, 0);
            assert_eq!(data.len() % DIRECT_ALIGN, 0);
            assert_eq!(data.as_ptr() as usize % DIRECT_ALIGN, 0);
            file.write_all_at(data, offset)
        }
        fn datasync(&self, file: &File) -> io::Result<()> {
            file.sync_data()
        }
    }

    #[test]
    fn direct_appends_and_reads_give_back_the_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t");
        let Some(file) = create_write(&path).unwrap() else {
            eprintln!("O_DIRECT refused here: nothing to test");
            return;
        };
        let w = DirectWritable::new(file, Pwrite).unwrap();
        let mut want = Vec::new();
        for i in 0..300u32 {
            let chunk: Vec<u8> = (0..(i * 97) % 20_000).map(|j| (i + j) as u8).collect();
            w.append(&chunk).unwrap();
            want.extend_from_slice(&chunk);
            if i % 50 == 7 {
                w.sync().unwrap();
                assert_eq!(std::fs::metadata(&path).unwrap().len(), want.len() as u64);
            }
        }
        w.sync().unwrap();
        assert_eq!(w.len(), want.len() as u64);
        assert_eq!(std::fs::read(&path).unwrap(), want);
        let r = open_read(&path).unwrap().unwrap();
        for (off, len) in
            [(0u64, 1usize), (4095, 3), (12_345, 70_000), (want.len() as u64 - 5, 100)]
        {
            let mut buf = vec![0u8; len];
            let n = read_direct(&mut buf, off, |b, o| r.read_at(b, o)).unwrap();
            let o = off as usize;
            let end = (o + len).min(want.len());
            assert_eq!(n, end - o);
            assert_eq!(&buf[..n], &want[o..end]);
        }
    }
}
