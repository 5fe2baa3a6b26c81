//! [`TableBuilder`]: writes a sorted stream of entries as an SSTable (format in `sst/mod.rs`).

use super::block::BlockBuilder;
use super::filter::BloomBuilder;
use super::props::TableProperties;
use super::{block_trailer, pack_block, BlockHandle, Compression, Footer, FORMAT_VERSION};
use crate::error::{Error, Result};
use crate::fs::WritableFile;
use crate::key::{self, ValueKind};
use std::cmp::Ordering;
use std::sync::Arc;

/// How tables are built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableOptions {
    /// Target uncompressed size of a data block (default 4 KiB).
    pub block_size: usize,
    /// Entries between restart points in a block (default 16).
    pub restart_interval: usize,
    /// Bloom filter bits per key; 0 writes no filter (default 10, about 1% false positives).
    pub bloom_bits_per_key: u32,
    /// Compression of data blocks (default zstd).
    pub compression: Compression,
    /// zstd level (default 3).
    pub zstd_level: i32,
}

impl Default for TableOptions {
    fn default() -> Self {
        TableOptions {
            block_size: 4096,
            restart_interval: 16,
            bloom_bits_per_key: 10,
            compression: Compression::Zstd,
            zstd_level: 3,
        }
    }
}

/// Appends are gathered up to this many bytes before one write (flush and compaction output go
/// out in large sequential writes).
const WRITE_BUFFER_LEN: usize = 1 << 20;

/// Builds one table. Entries must be added in increasing internal-key order.
pub struct TableBuilder {
    file: Arc<dyn WritableFile>,
    opts: TableOptions,
    data: BlockBuilder,
    index: BlockBuilder,
    bloom: Option<BloomBuilder>,
    props: TableProperties,
    out: Vec<u8>,
    offset: u64,
    last_key: Vec<u8>,
    ikey: Vec<u8>,
    handle_buf: Vec<u8>,
}

impl std::fmt::Debug for TableBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TableBuilder").field("offset", &self.offset).finish()
    }
}

impl TableBuilder {
    /// A builder writing to `file` (empty) a table of keyspace `keyspace`.
    pub fn new(file: Arc<dyn WritableFile>, opts: TableOptions, keyspace: u32) -> Self {
        let bloom =
            (opts.bloom_bits_per_key > 0).then(|| BloomBuilder::new(opts.bloom_bits_per_key));
        TableBuilder {
            file,
            data: BlockBuilder::new(opts.restart_interval.max(1)),
            index: BlockBuilder::new(1),
            bloom,
            props: TableProperties {
                compression: opts.compression,
                filter_bits_per_key: opts.bloom_bits_per_key,
                keyspace,
                smallest_seq: u64::MAX,
                ..Default::default()
            },
            opts,
            out: Vec::with_capacity(WRITE_BUFFER_LEN),
            offset: 0,
            last_key: Vec::new(),
            ikey: Vec::new(),
            handle_buf: Vec::new(),
        }
    }

    /// Adds an entry; `(user_key, trailer)` must sort after every entry added before.
    pub fn add(&mut self, user_key: &[u8], trailer: u64, value: &[u8]) -> Result<()> {
        self.ikey.clear();
        key::encode_internal(&mut self.ikey, user_key, trailer);
        if self.props.entries > 0
            && key::compare_internal(&self.last_key, &self.ikey) != Ordering::Less
        {
            return Err(Error::invalid("sst: entries added out of order"));
        }
        if self.props.entries == 0 {
            self.props.smallest_key = self.ikey.clone();
        }
        if let Some(b) = &mut self.bloom {
            b.add_key(user_key);
        }
        self.data.add(&self.ikey, value);
        let seq = key::trailer_seq(trailer);
        let p = &mut self.props;
        p.entries += 1;
        if ValueKind::from_u8(key::trailer_kind(trailer)) == Some(ValueKind::Delete) {
            p.deletions += 1;
        }
        p.raw_key_bytes += self.ikey.len() as u64;
        p.raw_value_bytes += value.len() as u64;
        p.smallest_seq = p.smallest_seq.min(seq);
        p.largest_seq = p.largest_seq.max(seq);
        std::mem::swap(&mut self.last_key, &mut self.ikey);
        if self.data.estimated_len() >= self.opts.block_size {
            self.flush_data_block()?;
        }
        Ok(())
    }

    /// Entries added so far.
    pub fn entries(&self) -> u64 {
        self.props.entries
    }

    /// Bytes written so far plus the pending block (an estimate of the file size).
    pub fn estimated_size(&self) -> u64 {
        self.offset + self.data.estimated_len() as u64
    }

    /// Writes a block (packed as `ty`) and returns its handle.
    fn write_block(&mut self, contents_ty: Compression, contents: &[u8]) -> Result<BlockHandle> {
        let (ty, stored) = pack_block(contents_ty, contents, self.opts.zstd_level);
        let handle = BlockHandle { offset: self.offset, size: stored.len() as u64 };
        self.out.extend_from_slice(&stored);
        self.out.extend_from_slice(&block_trailer(ty, &stored));
        self.offset += (stored.len() + super::BLOCK_TRAILER_LEN) as u64;
        if self.out.len() >= WRITE_BUFFER_LEN {
            self.file.append(&self.out)?;
            self.out.clear();
        }
        Ok(handle)
    }

    fn flush_data_block(&mut self) -> Result<()> {
        if self.data.is_empty() {
            return Ok(());
        }
        let contents = self.data.finish().to_vec();
        self.data.reset();
        let handle = self.write_block(self.opts.compression, &contents)?;
        self.props.data_blocks += 1;
        self.props.data_bytes += handle.size + super::BLOCK_TRAILER_LEN as u64;
        self.handle_buf.clear();
        handle.encode_to(&mut self.handle_buf);
        self.index.add(&self.last_key, &self.handle_buf);
        Ok(())
    }

    /// Writes the rest of the table and fsyncs the file; returns the table's properties and
    /// file size. The caller makes the file's directory entry durable.
    pub fn finish(mut self) -> Result<(TableProperties, u64)> {
        self.flush_data_block()?;
        if self.props.entries == 0 {
            self.props.smallest_seq = 0;
        }
        self.props.largest_key = self.last_key.clone();
        let filter = match self.bloom.take() {
            Some(mut b) => {
                let bytes = b.finish();
                self.write_block(Compression::None, &bytes)?
            }
            None => BlockHandle::default(),
        };
        let props_bytes = self.props.encode();
        let properties = self.write_block(Compression::None, &props_bytes)?;
        let index_contents = self.index.finish().to_vec();
        let index = self.write_block(Compression::None, &index_contents)?;
        let footer = Footer { index, filter, properties, version: FORMAT_VERSION };
        self.out.extend_from_slice(&footer.encode());
        self.offset += super::FOOTER_LEN as u64;
        self.file.append(&self.out)?;
        self.out.clear();
        self.file.sync()?;
        Ok((self.props, self.offset))
    }
}
