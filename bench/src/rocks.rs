//! RocksDB through the `rocksdb` crate (cargo feature `rocksdb`): the exact comparison, since the
//! identical workload code drives both engines. Configured from the same flags as Shale.

use crate::dbbench::parse_compaction_stats;
use crate::engine::{BenchResult, Engine, EngineStats};
use crate::flags::{CompressionKind, Flags};
use rocksdb::statistics::Ticker;
use rocksdb::{
    BlockBasedOptions, Cache, DBCompressionType, Options, WaitForCompactOptions, WriteOptions, DB,
};
use std::path::Path;

pub struct RocksEngine {
    db: DB,
    opts: Options,
    sync: WriteOptions,
    nosync: WriteOptions,
}

impl RocksEngine {
    pub fn open(flags: &Flags, dir: &Path) -> BenchResult<RocksEngine> {
        let mut table = BlockBasedOptions::default();
        table.set_block_size(flags.block_size);
        table.set_bloom_filter(f64::from(flags.bloom_bits), false);
        table.set_block_cache(&Cache::new_lru_cache(flags.cache_size as usize));
        let mut opts = Options::default();
        opts.create_if_missing(true);
        opts.set_block_based_table_factory(&table);
        opts.set_write_buffer_size(flags.write_buffer_size as usize);
        opts.set_max_write_buffer_number(flags.max_write_buffer_number as i32);
        opts.set_compression_type(match flags.compression {
            CompressionKind::None => DBCompressionType::None,
            CompressionKind::Zstd => DBCompressionType::Zstd,
        });
        opts.set_level_zero_file_num_compaction_trigger(flags.level0_trigger as i32);
        opts.set_level_zero_slowdown_writes_trigger(flags.level0_slowdown as i32);
        opts.set_level_zero_stop_writes_trigger(flags.level0_stop as i32);
        opts.set_max_bytes_for_level_base(flags.max_bytes_for_level_base);
        opts.set_target_file_size_base(flags.target_file_size_base);
        opts.set_max_background_jobs(flags.max_background_jobs as i32);
        if flags.enable_blob_files {
            opts.set_enable_blob_files(true);
            opts.set_min_blob_size(flags.min_blob_size);
            opts.set_enable_blob_gc(true);
        }
        opts.enable_statistics();
        let db = DB::open(&opts, dir)?;
        let mut sync = WriteOptions::default();
        sync.set_sync(true);
        Ok(RocksEngine { db, opts, sync, nosync: WriteOptions::default() })
    }

    fn write_options(&self, sync: bool) -> &WriteOptions {
        if sync {
            &self.sync
        } else {
            &self.nosync
        }
    }
}

impl Engine for RocksEngine {
    fn name(&self) -> String {
        "RocksDB 10.4 (rocksdb crate)".to_string()
    }

    fn put(&self, key: &[u8], value: &[u8], sync: bool) -> BenchResult<()> {
        Ok(self.db.put_opt(key, value, self.write_options(sync))?)
    }

    fn delete(&self, key: &[u8], sync: bool) -> BenchResult<()> {
        Ok(self.db.delete_opt(key, self.write_options(sync))?)
    }

    fn get(&self, key: &[u8]) -> BenchResult<Option<usize>> {
        Ok(self.db.get_pinned(key)?.map(|v| v.len()))
    }

    fn scan(
        &self,
        start: Option<&[u8]>,
        reverse: bool,
        limit: u64,
        visit: &mut dyn FnMut(&[u8], &[u8]),
    ) -> BenchResult<u64> {
        let mut it = self.db.raw_iterator();
        match (start, reverse) {
            (Some(s), false) => it.seek(s),
            (Some(s), true) => it.seek_for_prev(s),
            (None, false) => it.seek_to_first(),
            (None, true) => it.seek_to_last(),
        }
        let mut n = 0;
        while n < limit && it.valid() {
            if let (Some(k), Some(v)) = (it.key(), it.value()) {
                visit(k, v);
            }
            n += 1;
            if reverse {
                it.prev();
            } else {
                it.next();
            }
        }
        it.status()?;
        Ok(n)
    }

    fn wait_idle(&self) -> BenchResult<()> {
        Ok(self.db.wait_for_compact(&WaitForCompactOptions::default())?)
    }

    fn stats(&self) -> EngineStats {
        let report = self.db.property_value("rocksdb.stats").ok().flatten().unwrap_or_default();
        let (levels, wamp) = parse_compaction_stats(&report);
        let table_bytes =
            self.db.property_int_value("rocksdb.total-sst-files-size").ok().flatten().unwrap_or(0);
        EngineStats {
            table_bytes,
            levels,
            write_amplification: wamp.unwrap_or(0.0),
            blocks_read: self.opts.get_ticker_count(Ticker::BlockCacheMiss),
            // RocksDB counts these from the I/O statistics of the flush and compaction jobs: the
            // blob files those jobs write are included.
            storage_write_bytes: self.opts.get_ticker_count(Ticker::FlushWriteBytes)
                + self.opts.get_ticker_count(Ticker::CompactWriteBytes),
            report,
        }
    }
}
