//! [`Table`]: reads an SSTable: point lookups (filter first, then one data block) and a
//! two-level iterator (index block over data blocks).

use super::block::{Block, BlockIter};
use super::filter::BloomFilter;
use super::props::TableProperties;
use super::{unpack_block, BlockHandle, Footer, BLOCK_TRAILER_LEN, FOOTER_LEN};
use crate::cache::{BlockKey, ShardedLru};
use crate::error::{Error, Result};
use crate::fs::ReadableFile;
use crate::iter::InternalIterator;
use crate::key::{self, Lookup, SequenceNumber, ValueKind, KIND_SEEK};
use crate::perf::{self, Stat};
use crate::util::coding::Decoder;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Largest uncompressed block accepted (the largest entry the engine allows, plus slack).
pub const BLOCK_CONTENTS_LEN_MAX: usize = (1 << 30) + (16 << 20) + (1 << 20);

/// The shared cache of uncompressed blocks, keyed by (file number, block offset).
pub type BlockCache = ShardedLru<BlockKey, Block>;

/// Counters a table updates on reads (shared by every table of a database).
#[derive(Debug, Default)]
pub struct ReadStats {
    /// Point lookups that consulted a bloom filter.
    pub bloom_checks: AtomicU64,
    /// ... of which the filter said "absent" (a data block read saved).
    pub bloom_negatives: AtomicU64,
    /// ... of which the filter said "maybe" but the key was absent.
    pub bloom_false_positives: AtomicU64,
    /// Blocks read from the file (cache misses included, cache hits not).
    pub blocks_read: AtomicU64,
}

/// An open SSTable.
pub struct Table {
    file: Arc<dyn ReadableFile>,
    number: u64,
    size: u64,
    index: Arc<Block>,
    filter: Option<BloomFilter>,
    props: TableProperties,
    cache: Option<Arc<BlockCache>>,
    stats: Arc<ReadStats>,
}

impl std::fmt::Debug for Table {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Table").field("number", &self.number).field("size", &self.size).finish()
    }
}

fn read_exact(file: &dyn ReadableFile, offset: u64, len: usize) -> Result<Vec<u8>> {
    let mut buf = vec![0u8; len];
    let n = read_counted(file, &mut buf, offset)?;
    if n != len {
        return Err(Error::corruption(format!(
            "sst: file ends at {} inside a block at {offset} of {len} bytes",
            offset + n as u64
        )));
    }
    Ok(buf)
}

/// Where the block at `h` of table `number` (`size` bytes) lies, trailer included: its offset
/// and length, checked to lie before the footer.
fn block_span(number: u64, size: u64, h: BlockHandle) -> Result<(u64, usize)> {
    let end = h
        .offset
        .checked_add(h.size)
        .and_then(|e| e.checked_add(BLOCK_TRAILER_LEN as u64))
        .filter(|&e| e <= size.saturating_sub(FOOTER_LEN as u64))
        .ok_or_else(|| {
            Error::corruption(format!("sst {number}: block handle {h:?} outside the file"))
        })?;
    let len =
        usize::try_from(end - h.offset).map_err(|_| Error::corruption("sst: block too large"))?;
    Ok((h.offset, len))
}

/// Checks and unpacks `buf`, the stored block at `h` of table `number` followed by its trailer.
fn unpack_stored(number: u64, h: BlockHandle, buf: &[u8]) -> Result<Vec<u8>> {
    let cut = buf.len().saturating_sub(BLOCK_TRAILER_LEN);
    let (stored, trailer) = buf.split_at_checked(cut).unwrap_or((buf, &[]));
    unpack_block(stored, trailer, BLOCK_CONTENTS_LEN_MAX).map_err(|e| match e {
        Error::Corruption(m) => {
            Error::Corruption(format!("sst {number} block at {}: {m}", h.offset))
        }
        e => e,
    })
}

/// `file.read_full_at`, counted in the thread's performance context.
fn read_counted(file: &dyn ReadableFile, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
    let t = perf::timer();
    let n = file.read_full_at(buf, offset);
    t.stop(Stat::FileReadNanos);
    perf::count(Stat::FileReads, 1);
    perf::count(Stat::FileReadBytes, buf.len() as u64);
    n
}

/// Reads, checks and unpacks the block at `h` of table `number` (`size` bytes), without cache.
fn read_contents(
    file: &dyn ReadableFile,
    number: u64,
    size: u64,
    stats: &ReadStats,
    h: BlockHandle,
) -> Result<Vec<u8>> {
    let (offset, len) = block_span(number, size, h)?;
    stats.blocks_read.fetch_add(1, Ordering::Relaxed);
    unpack_stored(number, h, &read_exact(file, offset, len)?)
}

impl Table {
    /// Opens the table in `file` (`size` bytes, file number `number`): reads and checks the
    /// footer, the index, the filter and the properties.
    pub fn open(
        file: Arc<dyn ReadableFile>,
        number: u64,
        size: u64,
        cache: Option<Arc<BlockCache>>,
        stats: Arc<ReadStats>,
    ) -> Result<Table> {
        if size < FOOTER_LEN as u64 {
            return Err(Error::corruption(format!("sst {number}: {size} bytes is too short")));
        }
        let footer =
            Footer::decode(&read_exact(file.as_ref(), size - FOOTER_LEN as u64, FOOTER_LEN)?)?;
        let read = |h| read_contents(file.as_ref(), number, size, &stats, h);
        let index = Arc::new(Block::new(read(footer.index)?)?);
        let filter = if footer.filter.size > 0 {
            Some(BloomFilter::new(read(footer.filter)?)?)
        } else {
            None
        };
        let props = TableProperties::decode(&read(footer.properties)?)?;
        Ok(Table { file, number, size, index, filter, props, cache, stats })
    }

    /// The data block at `h`, through the block cache.
    fn data_block(&self, h: BlockHandle) -> Result<Arc<Block>> {
        let load = || {
            let contents =
                read_contents(self.file.as_ref(), self.number, self.size, &self.stats, h)?;
            let b = Block::new(contents)?;
            let charge = b.len();
            Ok((Arc::new(b), charge))
        };
        let Some(c) = &self.cache else { return load().map(|(b, _)| b) };
        let cached = perf::timer();
        let (mut missed, mut load_nanos) = (false, 0);
        let block = c.get_or_insert_with(BlockKey { file: self.number, offset: h.offset }, || {
            missed = true;
            let t = perf::timer();
            let loaded = load();
            load_nanos = t.elapsed_nanos();
            loaded
        });
        perf::count(if missed { Stat::BlockCacheMisses } else { Stat::BlockCacheHits }, 1);
        if cached.is_timing() {
            perf::charge(Stat::BlockCacheNanos, cached.elapsed_nanos().saturating_sub(load_nanos));
        }
        block
    }

    /// The table's file number.
    pub fn number(&self) -> u64 {
        self.number
    }

    /// The file's size in bytes.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The properties block.
    pub fn properties(&self) -> &TableProperties {
        &self.props
    }

    /// Does the filter allow `user_key` (true when there is no filter)?
    pub fn may_contain(&self, user_key: &[u8]) -> bool {
        match &self.filter {
            Some(f) => f.may_contain(user_key),
            None => true,
        }
    }

    /// The newest version of `user_key` with sequence `<= seq` in this table.
    pub fn get(&self, user_key: &[u8], seq: SequenceNumber) -> Result<Option<Lookup>> {
        match self.locate(user_key, seq)? {
            Some(h) => self.search_block(&self.data_block(h)?, user_key, seq),
            None => Ok(None),
        }
    }

    /// The data block that would hold the newest version of `user_key` at or below `seq`, or
    /// `None` when the filter or the index rule the key out (the first half of [`Table::get`]).
    pub fn locate(&self, user_key: &[u8], seq: SequenceNumber) -> Result<Option<BlockHandle>> {
        let filtered = self.filter.is_some();
        if filtered {
            self.stats.bloom_checks.fetch_add(1, Ordering::Relaxed);
            if !self.may_contain(user_key) {
                self.stats.bloom_negatives.fetch_add(1, Ordering::Relaxed);
                perf::count(Stat::FilterNegatives, 1);
                return Ok(None);
            }
        }
        let mut index = self.index.iter();
        index.seek(user_key, key::trailer(seq, KIND_SEEK));
        index.status()?;
        if !index.valid() {
            if filtered {
                self.stats.bloom_false_positives.fetch_add(1, Ordering::Relaxed);
            }
            return Ok(None);
        }
        decode_handle(index.value()).map(Some)
    }

    /// Looks `user_key` up in `block`, the data block [`Table::locate`] chose (the second half
    /// of [`Table::get`]).
    pub fn search_block(
        &self,
        block: &Arc<Block>,
        user_key: &[u8],
        seq: SequenceNumber,
    ) -> Result<Option<Lookup>> {
        let mut data = block.iter();
        data.seek(user_key, key::trailer(seq, KIND_SEEK));
        data.status()?;
        let mut result = None;
        if data.valid() && data.user_key() == user_key {
            result = match ValueKind::from_u8(key::trailer_kind(data.trailer())) {
                Some(ValueKind::Put) => Some(Lookup::Value(data.value().to_vec())),
                Some(ValueKind::Delete) => Some(Lookup::Deleted),
                Some(ValueKind::Blob) => Some(Lookup::Blob(data.value().to_vec())),
                None => {
                    return Err(Error::corruption(format!(
                        "sst {}: entry with unknown kind",
                        self.number
                    )))
                }
            };
        }
        if self.filter.is_some() && result.is_none() {
            self.stats.bloom_false_positives.fetch_add(1, Ordering::Relaxed);
        }
        Ok(result)
    }

    /// The data block at `h` if the block cache holds it.
    pub fn cached_block(&self, h: BlockHandle) -> Option<Arc<Block>> {
        let t = perf::timer();
        let block = self.cache.as_ref()?.get(&BlockKey { file: self.number, offset: h.offset });
        t.stop(Stat::BlockCacheNanos);
        perf::count(if block.is_some() { Stat::BlockCacheHits } else { Stat::BlockCacheMisses }, 1);
        block
    }

    /// The file and the span (offset, length) to read for the data block at `h`, for a caller
    /// that batches reads ([`crate::fs::FileSystem::read_many`]); then [`Table::block_from`].
    pub fn block_read(&self, h: BlockHandle) -> Result<(&dyn ReadableFile, u64, usize)> {
        let (offset, len) = block_span(self.number, self.size, h)?;
        Ok((self.file.as_ref(), offset, len))
    }

    /// The data block at `h` from `buf`, the bytes of [`Table::block_read`]'s span: checked,
    /// unpacked and put in the block cache.
    pub fn block_from(&self, h: BlockHandle, buf: &[u8]) -> Result<Arc<Block>> {
        self.stats.blocks_read.fetch_add(1, Ordering::Relaxed);
        let block = Arc::new(Block::new(unpack_stored(self.number, h, buf)?)?);
        Ok(match &self.cache {
            Some(c) => {
                let charge = block.len();
                let t = perf::timer();
                let kept =
                    c.insert(BlockKey { file: self.number, offset: h.offset }, block, charge);
                t.stop(Stat::BlockCacheNanos);
                kept
            }
            None => block,
        })
    }

    /// Every data block: the last internal key in it (encoded) and its handle, in order.
    pub fn data_blocks(&self) -> Result<Vec<(Vec<u8>, BlockHandle)>> {
        let mut out = Vec::new();
        let mut it = self.index.iter();
        it.seek_to_first();
        while it.valid() {
            out.push((it.internal_key().to_vec(), decode_handle(it.value())?));
            it.next();
        }
        it.status()?;
        Ok(out)
    }

    /// An iterator over every entry.
    pub fn iter(self: &Arc<Self>) -> TableIter {
        TableIter {
            table: Arc::clone(self),
            index: self.index.iter(),
            data: None,
            error: None,
            readahead: None,
        }
    }

    /// An iterator for compaction: data blocks are read [`COMPACTION_READAHEAD`] bytes at a
    /// time (one large sequential read instead of one per block) and bypass the block cache (a
    /// compaction's inputs are about to be deleted; caching them would evict what readers use).
    pub fn compaction_iter(self: &Arc<Self>) -> TableIter {
        TableIter { readahead: Some(Readahead::default()), ..self.iter() }
    }

    /// The data block at `h` through the readahead buffer `ra`: served from it when it holds
    /// the block, else refilled with the [`COMPACTION_READAHEAD`] bytes from the block on.
    fn readahead_block(&self, h: BlockHandle, ra: &mut Readahead) -> Result<Arc<Block>> {
        let (offset, len) = block_span(self.number, self.size, h)?;
        let end = offset + len as u64;
        if offset < ra.start || end > ra.start + ra.buf.len() as u64 {
            // `block_span` put the block before the footer, so the span below covers it.
            let data_end = self.size.saturating_sub(FOOTER_LEN as u64);
            let want = (data_end - offset).min(COMPACTION_READAHEAD as u64) as usize;
            ra.buf.resize(want.max(len), 0);
            let n = read_counted(self.file.as_ref(), &mut ra.buf, offset)?;
            ra.buf.truncate(n);
            ra.start = offset;
            if n < len {
                return Err(Error::corruption(format!(
                    "sst {}: file ends at {} inside a block at {offset} of {len} bytes",
                    self.number,
                    offset + n as u64
                )));
            }
        }
        self.stats.blocks_read.fetch_add(1, Ordering::Relaxed);
        let at = (offset - ra.start) as usize;
        let stored = ra.buf.get(at..at + len).unwrap_or_default();
        Ok(Arc::new(Block::new(unpack_stored(self.number, h, stored)?)?))
    }

    /// Reads every block of the table and checks every checksum and structure; returns the
    /// number of entries seen.
    pub fn verify(self: &Arc<Self>) -> Result<u64> {
        let mut it = self.iter();
        it.seek_to_first();
        let mut n = 0u64;
        while it.valid() {
            n += 1;
            it.next();
        }
        it.status()?;
        if n != self.props.entries {
            return Err(Error::corruption(format!(
                "sst {}: {n} entries, properties say {}",
                self.number, self.props.entries
            )));
        }
        Ok(n)
    }
}

fn decode_handle(v: &[u8]) -> Result<BlockHandle> {
    let mut d = Decoder::new(v, "sst index entry");
    BlockHandle::decode_from(&mut d)
}

/// Iterates a table: the index block picks data blocks, loaded (through the cache) on demand.
pub struct TableIter {
    table: Arc<Table>,
    index: BlockIter,
    data: Option<BlockIter>,
    error: Option<Error>,
    /// Set for compaction ([`Table::compaction_iter`]).
    readahead: Option<Readahead>,
}

/// Bytes a compaction input is read ahead by (RocksDB's `compaction_readahead_size` default).
pub const COMPACTION_READAHEAD: usize = 2 << 20;

/// A window of a table's file: `buf` holds the bytes from offset `start`.
#[derive(Debug, Default)]
struct Readahead {
    start: u64,
    buf: Vec<u8>,
}

impl TableIter {
    /// Loads the data block the index points at; `false` (and no data) when the index is
    /// exhausted or on error.
    fn load(&mut self) -> bool {
        self.data = None;
        if !self.index.valid() {
            if let Err(e) = self.index.status() {
                self.error.get_or_insert(e);
            }
            return false;
        }
        let block = decode_handle(self.index.value()).and_then(|h| match &mut self.readahead {
            Some(ra) => self.table.readahead_block(h, ra),
            None => self.table.data_block(h),
        });
        match block {
            Ok(b) => {
                self.data = Some(b.iter());
                true
            }
            Err(e) => {
                self.error.get_or_insert(e);
                false
            }
        }
    }

    fn data_valid(&self) -> bool {
        self.data.as_ref().is_some_and(|d| d.valid())
    }

    fn note_data_error(&mut self) {
        if let Some(Err(e)) = self.data.as_ref().map(|d| d.status()) {
            self.error.get_or_insert(e);
            self.data = None;
        }
    }

    /// Moves forward over empty or finished blocks.
    fn skip_forward(&mut self) {
        loop {
            self.note_data_error();
            if self.error.is_some() || self.data_valid() {
                return;
            }
            if self.data.is_none() && !self.index.valid() {
                return;
            }
            self.index.next();
            if !self.load() {
                return;
            }
            if let Some(d) = &mut self.data {
                d.seek_to_first();
            }
        }
    }

    /// Moves backward over empty or finished blocks.
    fn skip_backward(&mut self) {
        loop {
            self.note_data_error();
            if self.error.is_some() || self.data_valid() {
                return;
            }
            if self.data.is_none() && !self.index.valid() {
                return;
            }
            self.index.prev();
            if !self.load() {
                return;
            }
            if let Some(d) = &mut self.data {
                d.seek_to_last();
            }
        }
    }
}

impl InternalIterator for TableIter {
    fn valid(&self) -> bool {
        self.error.is_none() && self.data_valid()
    }

    fn seek_to_first(&mut self) {
        self.error = None;
        self.index.seek_to_first();
        if self.load() {
            if let Some(d) = &mut self.data {
                d.seek_to_first();
            }
        }
        self.skip_forward();
    }

    fn seek_to_last(&mut self) {
        self.error = None;
        self.index.seek_to_last();
        if self.load() {
            if let Some(d) = &mut self.data {
                d.seek_to_last();
            }
        }
        self.skip_backward();
    }

    fn seek(&mut self, user_key: &[u8], trailer: u64) {
        self.error = None;
        self.index.seek(user_key, trailer);
        if self.load() {
            if let Some(d) = &mut self.data {
                d.seek(user_key, trailer);
            }
        }
        self.skip_forward();
    }

    fn seek_lt(&mut self, user_key: &[u8], trailer: u64) {
        self.error = None;
        // The first block whose last key >= target holds the target's predecessor, or the
        // block before it does.
        self.index.seek(user_key, trailer);
        if !self.index.valid() {
            if let Err(e) = self.index.status() {
                self.error = Some(e);
                self.data = None;
                return;
            }
            self.index.seek_to_last();
        }
        if self.load() {
            if let Some(d) = &mut self.data {
                d.seek_lt(user_key, trailer);
            }
        }
        self.skip_backward();
    }

    fn next(&mut self) {
        if let Some(d) = &mut self.data {
            d.next();
        }
        self.skip_forward();
    }

    fn prev(&mut self) {
        if let Some(d) = &mut self.data {
            d.prev();
        }
        self.skip_backward();
    }

    fn user_key(&self) -> &[u8] {
        self.data.as_ref().map_or(&[], |d| d.user_key())
    }

    fn trailer(&self) -> u64 {
        self.data.as_ref().map_or(0, |d| d.trailer())
    }

    fn value(&self) -> &[u8] {
        self.data.as_ref().map_or(&[], |d| d.value())
    }

    fn status(&self) -> Result<()> {
        match &self.error {
            Some(e) => Err(e.duplicate()),
            None => Ok(()),
        }
    }
}
