//! [`BytesFile`]: a read-only file over bytes in memory.

use super::ReadableFile;
use std::fmt;
use std::io;

/// A [`ReadableFile`] over an owned byte vector: for decoding bytes that are already in memory
/// (fuzzing, tests, a file read whole) with the same readers that decode files.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct BytesFile {
    data: Vec<u8>,
}

impl BytesFile {
    /// A file whose contents are `data`.
    pub fn new(data: Vec<u8>) -> Self {
        BytesFile { data }
    }

    /// The file's contents.
    pub fn as_bytes(&self) -> &[u8] {
        &self.data
    }

    /// The file's contents, by value.
    pub fn into_inner(self) -> Vec<u8> {
        self.data
    }
}

impl From<Vec<u8>> for BytesFile {
    fn from(data: Vec<u8>) -> Self {
        BytesFile::new(data)
    }
}

impl fmt::Debug for BytesFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BytesFile").field("len", &self.data.len()).finish()
    }
}

impl ReadableFile for BytesFile {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        let rest =
            usize::try_from(offset).ok().and_then(|o| self.data.get(o..)).unwrap_or_default();
        let n = rest.len().min(buf.len());
        if let (Some(dst), Some(src)) = (buf.get_mut(..n), rest.get(..n)) {
            dst.copy_from_slice(src);
        }
        Ok(n)
    }

    fn len(&self) -> io::Result<u64> {
        Ok(self.data.len() as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_within_and_past_the_end() {
        let f = BytesFile::new(b"hello world".to_vec());
        let mut buf = [0u8; 5];
        assert_eq!(f.read_at(&mut buf, 6).unwrap(), 5);
        assert_eq!(&buf, b"world");
        assert_eq!(f.read_at(&mut buf, 9).unwrap(), 2);
        assert_eq!(&buf[..2], b"ld");
        assert_eq!(f.read_at(&mut buf, 11).unwrap(), 0);
        assert_eq!(f.read_at(&mut buf, u64::MAX).unwrap(), 0);
        let mut big = [0u8; 32];
        assert_eq!(f.read_full_at(&mut big, 0).unwrap(), 11);
        assert_eq!(f.len().unwrap(), 11);
    }
}
