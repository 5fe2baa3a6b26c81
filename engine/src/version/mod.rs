//! The version set's read side: which tables a keyspace has, and how to read them.
//!
//! A keyspace's [`LevelFiles`] (from the manifest) say which SSTables make up each level. The
//! [`TableCache`] keeps a bounded number of them open; [`get`] and [`iterators`] read through it:
//! L0 newest first (its files may overlap), then every deeper level by binary search over its
//! disjoint, sorted key ranges.

use crate::cache::{ShardedLru, DEFAULT_SHARDS};
use crate::error::{Error, Result};
use crate::filename;
use crate::fs::FileSystem;
use crate::iter::InternalIterator;
use crate::key::{Lookup, SequenceNumber};
use crate::manifest::{FileMeta, LevelFiles};
use crate::sst::{BlockCache, ReadStats, Table};
use std::path::PathBuf;

mod blobs;
mod level_iter;
mod multi_get;
pub use blobs::BlobCache;
pub use level_iter::LevelIter;
pub use multi_get::multi_get;
use std::sync::Arc;

/// A cache of fewer open files than this is one shard: each shard holds `open_files_max /
/// shards` files, too few for a small cache split [`DEFAULT_SHARDS`] ways.
const SHARDED_OPEN_FILES_MIN: usize = 64;

/// The shard count of a cache of at most `open_files_max` open files (tables, blob files).
fn file_cache_shards(open_files_max: usize) -> usize {
    if open_files_max >= SHARDED_OPEN_FILES_MIN {
        DEFAULT_SHARDS
    } else {
        1
    }
}

/// Opens tables on demand and keeps at most a bounded number open.
pub struct TableCache {
    fs: Arc<dyn FileSystem>,
    dir: PathBuf,
    tables: ShardedLru<u64, Table>,
    blocks: Option<Arc<BlockCache>>,
    stats: Arc<ReadStats>,
    reads: TableReads,
}

/// How the table cache opens tables for reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableReads {
    /// [`FileSystem::open`]: positional reads through the page cache.
    Buffered,
    /// [`FileSystem::open_mmap`]: memory maps.
    Mmap,
    /// [`FileSystem::open_direct`]: `O_DIRECT`, the block cache the only cache.
    Direct,
}

impl std::fmt::Debug for TableCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TableCache").field("dir", &self.dir).finish()
    }
}

impl TableCache {
    /// A cache of at most `open_files_max` open tables in `dir`, reading blocks through
    /// `blocks`.
    pub fn new(
        fs: Arc<dyn FileSystem>,
        dir: PathBuf,
        open_files_max: usize,
        blocks: Option<Arc<BlockCache>>,
        reads: TableReads,
    ) -> Self {
        let shards = file_cache_shards(open_files_max);
        TableCache {
            fs,
            dir,
            tables: ShardedLru::new(open_files_max.max(1), shards),
            blocks,
            stats: Arc::new(ReadStats::default()),
            reads,
        }
    }

    /// The table of `meta`, opened if needed.
    pub fn table(&self, meta: &FileMeta) -> Result<Arc<Table>> {
        self.tables.get_or_insert_with(meta.number, || {
            let path = self.dir.join(filename::table(meta.number));
            let opened = match self.reads {
                TableReads::Buffered => self.fs.open(&path),
                TableReads::Mmap => self.fs.open_mmap(&path),
                TableReads::Direct => self.fs.open_direct(&path),
            };
            let file = opened.map_err(|e| {
                Error::Io(std::io::Error::new(e.kind(), format!("opening {}: {e}", path.display())))
            })?;
            let t = Table::open(
                file,
                meta.number,
                meta.size,
                self.blocks.clone(),
                Arc::clone(&self.stats),
            )?;
            Ok((Arc::new(t), 1))
        })
    }

    /// Forgets a table (its file is being removed).
    pub fn evict(&self, number: u64) {
        self.tables.erase(&number);
    }

    /// The file system the tables are read through.
    pub fn fs(&self) -> &dyn FileSystem {
        self.fs.as_ref()
    }

    /// Read counters (bloom filter use, blocks read).
    pub fn stats(&self) -> &ReadStats {
        &self.stats
    }

    /// The block cache, if any.
    pub fn block_cache(&self) -> Option<&Arc<BlockCache>> {
        self.blocks.as_ref()
    }
}

/// What the manifest records about table `number` of `size` bytes, from its properties.
pub fn file_meta(number: u64, size: u64, props: crate::sst::TableProperties) -> FileMeta {
    FileMeta {
        number,
        size,
        smallest: props.smallest_key,
        largest: props.largest_key,
        smallest_seq: props.smallest_seq,
        largest_seq: props.largest_seq,
        entries: props.entries,
        blob_refs: Vec::new(),
    }
}

/// Does `meta`'s key range include `user_key`?
pub(crate) fn covers(meta: &FileMeta, user_key: &[u8]) -> bool {
    meta.smallest_user_key() <= user_key && user_key <= meta.largest_user_key()
}

/// The newest version of `user_key` at or below `seq` in the tables of `files`.
pub fn get(
    tables: &TableCache,
    files: &LevelFiles,
    user_key: &[u8],
    seq: SequenceNumber,
) -> Result<Option<Lookup>> {
    let mut levels = files.iter();
    if let Some(l0) = levels.next() {
        for meta in l0.iter().filter(|m| covers(m, user_key) && m.smallest_seq <= seq) {
            if let Some(found) = tables.table(meta)?.get(user_key, seq)? {
                return Ok(Some(found));
            }
        }
    }
    for level in levels {
        // The first file whose largest key >= user_key.
        let i = level.partition_point(|m| m.largest_user_key() < user_key);
        if let Some(meta) = level.get(i).filter(|m| covers(m, user_key)) {
            if let Some(found) = tables.table(meta)?.get(user_key, seq)? {
                return Ok(Some(found));
            }
        }
    }
    Ok(None)
}

/// The iterators over `files`: one per L0 table, newest first (they overlap), then one
/// [`LevelIter`] per deeper non-empty level (its tables are disjoint, so one child suffices and
/// only the table being read is open).
pub fn iterators(
    tables: &Arc<TableCache>,
    files: &LevelFiles,
) -> Result<Vec<Box<dyn InternalIterator>>> {
    let mut out: Vec<Box<dyn InternalIterator>> = Vec::new();
    let (l0, deeper) = files.split_first().map_or((&[][..], &[][..]), |(a, b)| (a.as_slice(), b));
    for meta in l0 {
        out.push(Box::new(tables.table(meta)?.iter()));
    }
    for level in deeper.iter().filter(|l| !l.is_empty()) {
        out.push(Box::new(LevelIter::new(Arc::clone(tables), level.clone())));
    }
    Ok(out)
}
