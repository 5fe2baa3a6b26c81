//! The engines the workloads drive: one trait, so the identical workload code measures Shale and
//! (with the `rocksdb` feature) RocksDB.

use crate::flags::{CompressionKind, Flags};
use serde::Serialize;
use shale_engine::compaction::CompactionOptions;
use shale_engine::fs::IoBackend;
use shale_engine::sst::{Compression, TableOptions};
use shale_engine::{Db, IterOptions, Keyspace, Options, WriteOptions};
use std::error::Error;
use std::ops::Bound;
use std::path::Path;

pub type BenchResult<T> = Result<T, Box<dyn Error + Send + Sync>>;

/// What an engine says about its tree after a run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct EngineStats {
    /// The engine's own report (level table and counters), printed after the run.
    #[serde(skip)]
    pub report: String,
    /// Files and bytes per level.
    pub levels: Vec<(usize, u64)>,
    /// Bytes of all table files.
    pub table_bytes: u64,
    /// Bytes written to tables (flush + compaction) per byte flushed.
    pub write_amplification: f64,
    /// Table blocks read from storage (block cache misses).
    pub blocks_read: u64,
    /// Bytes flushes and compactions wrote to table and blob files since the open (the WAL
    /// excluded): the numerator of the write amplification the report compares.
    pub storage_write_bytes: u64,
}

/// One storage engine under test.
pub trait Engine: Send + Sync {
    /// Name and version, for the report.
    fn name(&self) -> String;
    fn put(&self, key: &[u8], value: &[u8], sync: bool) -> BenchResult<()>;
    fn delete(&self, key: &[u8], sync: bool) -> BenchResult<()>;
    /// The value's length if the key is present.
    fn get(&self, key: &[u8]) -> BenchResult<Option<usize>>;
    /// [`Engine::get`] of every key, in one call where the engine has a batched read.
    fn multi_get(&self, keys: &[Vec<u8>]) -> BenchResult<Vec<Option<usize>>> {
        keys.iter().map(|k| self.get(k)).collect()
    }
    /// Visits up to `limit` entries from `start` (or the first/last key) in key order (or reverse);
    /// returns how many were visited.
    fn scan(
        &self,
        start: Option<&[u8]>,
        reverse: bool,
        limit: u64,
        visit: &mut dyn FnMut(&[u8], &[u8]),
    ) -> BenchResult<u64>;
    /// Waits until flushes and compactions are done (between workloads, not timed).
    fn wait_idle(&self) -> BenchResult<()>;
    fn stats(&self) -> EngineStats;
}

/// Opens the engine the flags name on `dir` (emptied first when `fresh`).
pub fn open(flags: &Flags, dir: &Path, fresh: bool) -> BenchResult<Box<dyn Engine>> {
    if flags.min_blob_size != 0 && !flags.enable_blob_files {
        return Err("--min_blob_size applies only with --enable_blob_files".into());
    }
    if flags.enable_blob_files && flags.target.is_some() {
        return Err("--enable_blob_files configures an embedded engine; a server's blob \
                    threshold is its own configuration (--target)"
            .into());
    }
    if fresh && dir.exists() && flags.target.is_none() {
        std::fs::remove_dir_all(dir)?;
    }
    if let Some(addr) = &flags.target {
        let connections = flags.connections.unwrap_or(flags.threads).max(1);
        return Ok(Box::new(RemoteEngine::connect(addr, connections)?));
    }
    std::fs::create_dir_all(dir)?;
    match flags.engine {
        crate::flags::EngineKind::Shale => Ok(Box::new(ShaleEngine::open(flags, dir)?)),
        #[cfg(feature = "rocksdb")]
        crate::flags::EngineKind::Rocksdb => {
            Ok(Box::new(crate::rocks::RocksEngine::open(flags, dir)?))
        }
        #[cfg(not(feature = "rocksdb"))]
        crate::flags::EngineKind::Rocksdb => {
            Err("--engine rocksdb needs a build with `--features rocksdb`".into())
        }
    }
}

/// Shale, embedded.
pub struct ShaleEngine {
    db: Db,
    ks: Keyspace,
}

/// The Shale options that match the flags (and db_bench's meaning of them).
pub fn shale_options(flags: &Flags) -> BenchResult<Options> {
    let backend = IoBackend::parse(&flags.io_backend).ok_or_else(|| {
        format!("--io_backend {:?}: not auto, pread, uring or uring-all", flags.io_backend)
    })?;
    let fs =
        backend.file_system().map_err(|e| format!("--io_backend {}: {e}", flags.io_backend))?;
    Ok(Options {
        fs,
        mmap_reads: flags.mmap_read,
        direct_reads: flags.direct_io,
        direct_writes: flags.direct_io,
        memtable_bytes_max: flags.write_buffer_size as usize,
        max_immutable_memtables: flags.max_write_buffer_number.saturating_sub(1).max(1),
        block_cache_bytes: flags.cache_size as usize,
        table: TableOptions {
            block_size: flags.block_size,
            bloom_bits_per_key: flags.bloom_bits,
            compression: match flags.compression {
                CompressionKind::None => Compression::None,
                CompressionKind::Zstd => Compression::Zstd,
            },
            ..TableOptions::default()
        },
        compaction: CompactionOptions {
            level0_trigger: flags.level0_trigger,
            level0_slowdown: flags.level0_slowdown,
            level0_stop: flags.level0_stop,
            level_base_bytes: flags.max_bytes_for_level_base,
            target_file_bytes: flags.target_file_size_base,
            ..CompactionOptions::default()
        },
        flush_threads: 1,
        compaction_threads: flags.max_background_jobs.saturating_sub(1).max(1),
        blob_threshold_bytes: flags
            .enable_blob_files
            .then(|| usize::try_from(flags.min_blob_size).unwrap_or(usize::MAX)),
        ..Options::default()
    })
}

impl ShaleEngine {
    pub fn open(flags: &Flags, dir: &Path) -> BenchResult<ShaleEngine> {
        let db = Db::open(dir, shale_options(flags)?)?;
        let ks = db.default_keyspace();
        Ok(ShaleEngine { db, ks })
    }
}

impl Engine for ShaleEngine {
    fn name(&self) -> String {
        format!("Shale {}", env!("CARGO_PKG_VERSION"))
    }

    fn put(&self, key: &[u8], value: &[u8], sync: bool) -> BenchResult<()> {
        Ok(self.db.put_with(&self.ks, key, value, WriteOptions { sync })?)
    }

    fn delete(&self, key: &[u8], sync: bool) -> BenchResult<()> {
        Ok(self.db.delete_with(&self.ks, key, WriteOptions { sync })?)
    }

    fn get(&self, key: &[u8]) -> BenchResult<Option<usize>> {
        Ok(self.db.get(&self.ks, key)?.map(|v| v.len()))
    }

    fn multi_get(&self, keys: &[Vec<u8>]) -> BenchResult<Vec<Option<usize>>> {
        let refs: Vec<&[u8]> = keys.iter().map(Vec::as_slice).collect();
        Ok(self.db.multi_get(&self.ks, &refs)?.into_iter().map(|v| v.map(|v| v.len())).collect())
    }

    fn scan(
        &self,
        start: Option<&[u8]>,
        reverse: bool,
        limit: u64,
        visit: &mut dyn FnMut(&[u8], &[u8]),
    ) -> BenchResult<u64> {
        let mut opts = IterOptions::all();
        if let Some(s) = start {
            let bound = Bound::Included(s.to_vec());
            if reverse {
                opts.upper = bound;
            } else {
                opts.lower = bound;
            }
        }
        if reverse {
            opts = opts.reverse();
        }
        let mut it = self.db.iter(&self.ks, opts)?;
        let mut n = 0;
        while n < limit && it.advance()? {
            visit(it.key(), it.value());
            n += 1;
        }
        Ok(n)
    }

    fn wait_idle(&self) -> BenchResult<()> {
        Ok(self.db.wait_for_background_work()?)
    }

    fn stats(&self) -> EngineStats {
        let s = self.db.stats();
        let mut levels = Vec::new();
        for k in &s.keyspaces {
            for (i, l) in k.levels.iter().enumerate() {
                if levels.len() <= i {
                    levels.push((0, 0));
                }
                levels[i].0 += l.files;
                levels[i].1 += l.bytes;
            }
        }
        EngineStats {
            report: s.to_string(),
            table_bytes: levels.iter().map(|l| l.1).sum(),
            levels,
            write_amplification: s.write_amplification(),
            blocks_read: s.blocks_read,
            storage_write_bytes: s.storage_write_bytes(),
        }
    }
}

/// A running shale-server, through its key-value protocol (`--target`).
pub struct RemoteEngine {
    pool: shale_server::client::Pool,
    addr: String,
}

impl RemoteEngine {
    pub fn connect(addr: &str, connections: usize) -> BenchResult<RemoteEngine> {
        let pool = kv_pool(addr, connections)?;
        Ok(RemoteEngine { pool, addr: addr.to_string() })
    }
}

/// `connections` connections to the shale-server at `addr`, authenticated with the credentials
/// of the environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`) when
/// set; else unauthenticated (a server with `--auth none`).
pub fn kv_pool(addr: &str, connections: usize) -> BenchResult<shale_server::client::Pool> {
    use shale_server::client::{ClientError, Credentials, Pool};
    use shale_server::kv::codec::ErrorCode;
    let creds = Credentials::from_env();
    Pool::connect_with(addr, connections, creds.as_ref()).map_err(|e| match e {
        ClientError::Refused(ErrorCode::AuthRequired) => format!(
            "{addr} requires authentication: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
        )
        .into(),
        e => e.into(),
    })
}

const REMOTE_KEYSPACE: &str = shale_engine::DEFAULT_KEYSPACE;

impl Engine for RemoteEngine {
    fn name(&self) -> String {
        format!("Shale server at {} ({} connections)", self.addr, self.pool.len())
    }

    fn put(&self, key: &[u8], value: &[u8], sync: bool) -> BenchResult<()> {
        Ok(self.pool.client().put(REMOTE_KEYSPACE, key, value, sync)?)
    }

    fn delete(&self, key: &[u8], sync: bool) -> BenchResult<()> {
        Ok(self.pool.client().delete(REMOTE_KEYSPACE, key, sync)?)
    }

    fn get(&self, key: &[u8]) -> BenchResult<Option<usize>> {
        Ok(self.pool.client().get(REMOTE_KEYSPACE, key)?.map(|v| v.len()))
    }

    fn multi_get(&self, keys: &[Vec<u8>]) -> BenchResult<Vec<Option<usize>>> {
        let values = self.pool.client().multi_get(REMOTE_KEYSPACE, keys)?;
        Ok(values.into_iter().map(|v| v.map(|v| v.len())).collect())
    }

    fn scan(
        &self,
        start: Option<&[u8]>,
        reverse: bool,
        limit: u64,
        visit: &mut dyn FnMut(&[u8], &[u8]),
    ) -> BenchResult<u64> {
        use shale_server::kv::codec::{Scan, ScanRange};
        let range = match (start, reverse) {
            (Some(s), false) => ScanRange::Range { start: Some(s.to_vec()), end: None },
            // Reverse from `s` inclusive: every key below s's successor.
            (Some(s), true) => {
                let mut end = s.to_vec();
                end.push(0);
                ScanRange::Range { start: None, end: Some(end) }
            }
            (None, _) => ScanRange::Range { start: None, end: None },
        };
        let mut scan =
            Scan { keyspace: REMOTE_KEYSPACE.into(), range, limit: 0, reverse, token: None };
        let client = self.pool.client();
        let mut n = 0u64;
        while n < limit {
            scan.limit = u32::try_from(limit - n).unwrap_or(u32::MAX);
            let (entries, token) = client.scan_page(&scan)?;
            for (k, v) in &entries {
                visit(k, v);
            }
            n += entries.len() as u64;
            match token {
                Some(t) => scan.token = Some(t),
                None => break,
            }
        }
        Ok(n)
    }

    fn wait_idle(&self) -> BenchResult<()> {
        Ok(())
    }

    fn stats(&self) -> EngineStats {
        EngineStats {
            report: self.pool.client().stats().unwrap_or_default(),
            ..EngineStats::default()
        }
    }
}
