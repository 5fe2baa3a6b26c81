//! [`BlobCache`]: the open blob files of a database, and the reads of values through blob
//! pointers (`crate::blob`).

use crate::blob::{BlobFile, BlobPointer};
use crate::cache::ShardedLru;
use crate::error::{Error, Result};
use crate::filename;
use crate::fs::FileSystem;
use std::path::PathBuf;
use std::sync::Arc;

/// Opens blob files on demand and keeps at most a bounded number open.
pub struct BlobCache {
    fs: Arc<dyn FileSystem>,
    dir: PathBuf,
    files: ShardedLru<u64, BlobFile>,
    /// Longest value a pointer may name (the database's `value_len_max`).
    value_len_max: usize,
}

impl std::fmt::Debug for BlobCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlobCache").field("dir", &self.dir).finish()
    }
}

impl BlobCache {
    /// A cache of at most `open_files_max` open blob files in `dir`.
    pub fn new(
        fs: Arc<dyn FileSystem>,
        dir: PathBuf,
        open_files_max: usize,
        value_len_max: usize,
    ) -> Self {
        let shards = super::file_cache_shards(open_files_max);
        BlobCache { fs, dir, files: ShardedLru::new(open_files_max.max(1), shards), value_len_max }
    }

    /// Blob file `number`, opened if needed.
    pub fn file(&self, number: u64) -> Result<Arc<BlobFile>> {
        self.files.get_or_insert_with(number, || {
            let path = self.dir.join(filename::blob(number));
            let io = |e: std::io::Error| {
                Error::Io(std::io::Error::new(e.kind(), format!("opening {}: {e}", path.display())))
            };
            let file = self.fs.open(&path).map_err(io)?;
            let len = file.len().map_err(io)?;
            Ok((Arc::new(BlobFile::new(file, number, len)), 1))
        })
    }

    /// The value the encoded pointer `pointer` names, for the entry of `key`.
    pub fn read(&self, key: &[u8], pointer: &[u8]) -> Result<Vec<u8>> {
        let p = BlobPointer::decode(pointer)?;
        self.file(p.file)?.read(key, &p, self.value_len_max)
    }

    /// Forgets a blob file (it is being removed).
    pub fn evict(&self, number: u64) {
        self.files.erase(&number);
    }
}
