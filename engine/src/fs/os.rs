//! [`OsFs`]: the operating system's file system through `std::fs`.

use super::{FileLock, FileSystem, ReadableFile, WritableFile};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// The real file system.
#[derive(Debug, Default, Clone, Copy)]
pub struct OsFs;

#[derive(Debug)]
struct OsWritable {
    file: File,
    len: AtomicU64,
}

impl WritableFile for OsWritable {
    fn append(&self, data: &[u8]) -> io::Result<()> {
        (&self.file).write_all(data)?;
        self.len.fetch_add(data.len() as u64, Ordering::Release);
        Ok(())
    }

    fn sync(&self) -> io::Result<()> {
        self.file.sync_data()
    }

    fn len(&self) -> u64 {
        self.len.load(Ordering::Acquire)
    }
}

#[derive(Debug)]
struct OsReadable {
    file: File,
    /// Opened with `O_DIRECT`: reads go through an aligned bounce buffer.
    direct: bool,
}

/// `pread`, retried when interrupted.
pub(super) fn pread(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    loop {
        match file.read_at(buf, offset) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            r => return r,
        }
    }
}

impl ReadableFile for OsReadable {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        #[cfg(target_os = "linux")]
        if self.direct {
            return super::direct::read_direct(buf, offset, |b, o| pread(&self.file, b, o));
        }
        pread(&self.file, buf, offset)
    }

    fn len(&self) -> io::Result<u64> {
        Ok(self.file.metadata()?.len())
    }
}

/// `pwrite`/`fdatasync` for [`super::direct::DirectWritable`].
#[cfg(target_os = "linux")]
#[derive(Debug)]
struct Pwrite;

#[cfg(target_os = "linux")]
impl super::direct::RawWrite for Pwrite {
    fn write_all_at(&self, file: &File, data: &[u8], offset: u64) -> io::Result<()> {
        file.write_all_at(data, offset)
    }

    fn datasync(&self, file: &File) -> io::Result<()> {
        file.sync_data()
    }
}

#[derive(Debug)]
struct OsLock {
    _file: File,
}

impl FileLock for OsLock {}

impl FileSystem for OsFs {
    fn create_dir_all(&self, dir: &Path) -> io::Result<()> {
        fs::create_dir_all(dir)
    }

    fn create(&self, path: &Path) -> io::Result<Arc<dyn WritableFile>> {
        let file = OpenOptions::new().write(true).create(true).truncate(true).open(path)?;
        Ok(Arc::new(OsWritable { file, len: AtomicU64::new(0) }))
    }

    fn open(&self, path: &Path) -> io::Result<Arc<dyn ReadableFile>> {
        let file = File::open(path)?;
        Ok(Arc::new(OsReadable { file, direct: false }))
    }

    #[cfg(target_os = "linux")]
    fn open_direct(&self, path: &Path) -> io::Result<Arc<dyn ReadableFile>> {
        match super::direct::open_read(path)? {
            Some(file) => Ok(Arc::new(OsReadable { file, direct: true })),
            None => {
                super::direct::log_refused(path);
                self.open(path)
            }
        }
    }

    #[cfg(target_os = "linux")]
    fn create_direct(&self, path: &Path) -> io::Result<Arc<dyn WritableFile>> {
        match super::direct::create_write(path)? {
            Some(file) => Ok(Arc::new(super::direct::DirectWritable::new(file, Pwrite)?)),
            None => {
                super::direct::log_refused(path);
                self.create(path)
            }
        }
    }

    fn open_mmap(&self, path: &Path) -> io::Result<Arc<dyn ReadableFile>> {
        Ok(Arc::new(super::MmapFile::open(path)?))
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        fs::rename(from, to)
    }

    fn hard_link(&self, from: &Path, to: &Path) -> io::Result<()> {
        fs::hard_link(from, to)
    }

    fn remove(&self, path: &Path) -> io::Result<()> {
        fs::remove_file(path)
    }

    fn remove_dir(&self, dir: &Path) -> io::Result<()> {
        fs::remove_dir(dir)
    }

    fn truncate(&self, path: &Path, len: u64) -> io::Result<()> {
        let f = OpenOptions::new().write(true).open(path)?;
        f.set_len(len)?;
        f.sync_all()
    }

    fn sync_file(&self, path: &Path) -> io::Result<()> {
        File::open(path)?.sync_data()
    }

    fn list(&self, dir: &Path) -> io::Result<Vec<String>> {
        let mut out = Vec::new();
        for entry in fs::read_dir(dir)? {
            if let Some(name) = entry?.file_name().to_str() {
                out.push(name.to_owned());
            }
        }
        Ok(out)
    }

    fn exists(&self, path: &Path) -> io::Result<bool> {
        path.try_exists()
    }

    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        File::open(dir)?.sync_all()
    }

    fn lock(&self, path: &Path) -> io::Result<Box<dyn FileLock>> {
        let file = OpenOptions::new().write(true).create(true).truncate(false).open(path)?;
        match file.try_lock() {
            Ok(()) => Ok(Box::new(OsLock { _file: file })),
            Err(fs::TryLockError::WouldBlock) => Err(io::Error::new(
                io::ErrorKind::WouldBlock,
                format!("{} is held by another process or handle", path.display()),
            )),
            Err(fs::TryLockError::Error(e)) => Err(e),
        }
    }
}
