//! [`MmapFile`]: a [`ReadableFile`] over a read-only memory map (the optional mmap read mode
//! for SSTables).

use super::ReadableFile;
use memmap2::Mmap;
use std::fs::File;
use std::io;
use std::path::Path;

/// A whole file mapped read-only.
#[derive(Debug)]
pub struct MmapFile {
    map: Mmap,
}

impl MmapFile {
    /// Maps the file at `path`.
    pub fn open(path: &Path) -> io::Result<MmapFile> {
        let file = File::open(path)?;
        // SAFETY: the engine maps only SSTables, which are immutable once written and removed
        // only by unlinking (the mapping keeps the inode alive); nothing truncates or rewrites a
        // mapped file, so the mapped bytes never change under the reader.
        let map = unsafe { Mmap::map(&file)? };
        Ok(MmapFile { map })
    }
}

impl ReadableFile for MmapFile {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        let Ok(start) = usize::try_from(offset) else { return Ok(0) };
        let Some(src) = self.map.get(start..) else { return Ok(0) };
        let n = src.len().min(buf.len());
        if let (Some(dst), Some(src)) = (buf.get_mut(..n), src.get(..n)) {
            dst.copy_from_slice(src);
        }
        Ok(n)
    }

    fn len(&self) -> io::Result<u64> {
        Ok(self.map.len() as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_like_pread() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, b"hello mmap").unwrap();
        let f = MmapFile::open(&p).unwrap();
        let mut buf = [0u8; 4];
        assert_eq!(f.read_at(&mut buf, 6).unwrap(), 4);
        assert_eq!(&buf, b"mmap");
        assert_eq!(f.read_at(&mut buf, 8).unwrap(), 2);
        assert_eq!(f.read_at(&mut buf, 100).unwrap(), 0);
        assert_eq!(f.len().unwrap(), 10);
    }
}
