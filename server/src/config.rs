//! The server's configuration: a TOML file (`--config`) for engine options and each front door's
//! limits, and
//! command-line flags, which win over the file.
//!
//! ```toml
//! data_dir = "./shale-data"
//! kv_addr = "127.0.0.1:7070"
//! stream_shard_rollover = 14400   # seconds between a DynamoDB stream's shard rollovers
//! stream_retention = 86400        # seconds a stream's records stay readable
//! ttl_scan_interval = 10          # seconds between the TTL expirer's passes
//! ttl_change_cooldown = 3600      # seconds before a table's TTL setting may change again
//! capacity = "enforce"            # "report": nothing throttled, still counted; "off": neither
//! metrics = true                  # count DynamoDB requests in CloudWatch / Prometheus metrics
//! throughput_decreases_per_day = 4
//! alarm_evaluation_interval = 60  # seconds between evaluations of CloudWatch alarms
//! alarm_webhook_allow = ["http://127.0.0.1:9000/"]  # where alarm actions may POST
//! export_root = "/srv/buckets"    # folders that are the S3 buckets of exports and imports
//! cors_origins = ["http://localhost:3000"]  # web pages that may call it (CORS); "*": any, "none"
//! console = true                  # serve the web console at /console/ on the gateway's port
//!
//! [engine]
//! memtable_bytes_max = 67108864
//! block_cache_bytes = 268435456
//! wal_sync_interval_ms = 0        # 0: only writes that ask for it are fsynced
//! compression = "zstd"            # or "none"
//!
//! [kv]                            # the key-value protocol's front door ("[limits]" is its old name)
//! frame_len_max = 16777216
//! connections_max = 1024
//! inflight_max = 128
//! idle_timeout_secs = 300
//!
//! [http]                          # the HTTP front door of the AWS services
//! body_bytes_max = 16777216
//! request_bytes_max = 268435456
//! connections_max = 1024
//! idle_timeout_secs = 300
//! drain_timeout_secs = 30
//! ```
//!
//! Every section reaches what it names and nothing else: `[kv]` the key-value server, `[http]`
//! the HTTP front door, `[engine]` the engine.

use crate::http::HttpLimits;
use crate::kv::server::Limits;
use serde::Deserialize;
use shale_engine::compaction::{CompactionOptions, CompactionStyle};
use shale_engine::sst::Compression;
use shale_engine::Options;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The configuration file.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub data_dir: Option<PathBuf>,
    pub in_memory: Option<bool>,
    pub kv_addr: Option<String>,
    pub dynamodb_addr: Option<String>,
    /// Whether the DynamoDB gateway fsyncs each write before answering (default true).
    pub dynamodb_sync: Option<bool>,
    /// Pace of an index backfill, in items a second (default 20000; 0: unpaced).
    pub dynamodb_backfill_items_per_sec: Option<u64>,
    /// Seconds between a stream's shard rollovers (default 14400; at least 1).
    pub stream_shard_rollover: Option<u64>,
    /// Seconds a stream's records stay readable (default 86400; at least 1).
    pub stream_retention: Option<u64>,
    /// Seconds between the TTL expirer's passes (default 10; at least 1).
    pub ttl_scan_interval: Option<u64>,
    /// Seconds before a table's TTL setting may change again (default 3600).
    pub ttl_change_cooldown: Option<u64>,
    /// `enforce` (default), `report` or `off`.
    pub capacity: Option<String>,
    /// Whether DynamoDB requests are counted in the metrics (default true).
    pub metrics: Option<bool>,
    /// Provisioned throughput decreases allowed any time in a UTC day (default 4).
    pub throughput_decreases_per_day: Option<i64>,
    /// Where the Prometheus page is also served (`GET /metrics`).
    pub metrics_addr: Option<String>,
    /// Seconds between evaluations of CloudWatch alarms (default 60).
    pub alarm_evaluation_interval: Option<u64>,
    /// URL prefixes alarm webhooks may go to.
    pub alarm_webhook_allow: Option<Vec<String>>,
    /// The folder of the buckets of exports and imports (default `<data_dir>/exports`).
    pub export_root: Option<std::path::PathBuf>,
    /// `sigv4` (default) or `none`.
    pub auth: Option<String>,
    /// How far a signed request's date may be from the server's clock, in seconds (default 900).
    pub auth_clock_skew_secs: Option<u64>,
    /// The endpoint's region (default us-east-1).
    pub region: Option<String>,
    /// The web origins allowed by CORS: a comma list or a list of origins, `"*"` for any,
    /// `"none"` for none (default: `"*"` under `auth = "sigv4"`, none under `"none"`).
    pub cors_origins: Option<OneOrMany>,
    /// Whether the web console is served at `/console/` on the gateway's port (default true).
    pub console: Option<bool>,
    /// PEM certificate chain and key: both front doors serve TLS.
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    #[serde(default)]
    pub engine: EngineConfig,
    /// The key-value front door (`[kv]`; `[limits]` is accepted as its old name).
    #[serde(default, alias = "limits")]
    pub kv: LimitsConfig,
    /// The HTTP front door (`[http]`).
    #[serde(default)]
    pub http: HttpConfig,
}

/// A string or a list of strings (`cors_origins = "*"` or `cors_origins = ["https://a", …]`).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum OneOrMany {
    /// One string (itself maybe a comma list).
    One(String),
    /// Several.
    Many(Vec<String>),
}

impl OneOrMany {
    /// The strings.
    pub fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s],
            OneOrMany::Many(v) => v,
        }
    }
}

/// Engine options (each absent one keeps the engine's default).
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct EngineConfig {
    pub memtable_bytes_max: Option<usize>,
    pub max_immutable_memtables: Option<usize>,
    pub block_cache_bytes: Option<usize>,
    pub table_cache_files: Option<usize>,
    /// Milliseconds between background WAL fsyncs; 0 turns them off.
    pub wal_sync_interval_ms: Option<u64>,
    pub flush_threads: Option<usize>,
    pub compaction_threads: Option<usize>,
    pub compaction_bytes_per_sec: Option<u64>,
    /// "leveled" or "universal".
    pub compaction_style: Option<String>,
    /// "none" or "zstd".
    pub compression: Option<String>,
    pub bloom_bits_per_key: Option<u32>,
    pub block_size: Option<usize>,
    pub level0_trigger: Option<usize>,
    pub target_file_bytes: Option<u64>,
    pub level_base_bytes: Option<u64>,
    pub mmap_reads: Option<bool>,
    /// "auto" (default: io_uring where it works, else pread), "pread", "uring" (io_uring; fails
    /// where unavailable) or "uring-all" (single reads and buffered writes on the ring too, for
    /// measuring: slower). Ignored with
    /// `in_memory`.
    pub io_backend: Option<String>,
    /// `O_DIRECT` for table reads and for flush and compaction writes (the block cache is then
    /// the only cache). Not together with `mmap_reads`.
    pub direct_io: Option<bool>,
}

/// The HTTP front door's limits (each absent one keeps [`HttpLimits::default`]).
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct HttpConfig {
    pub body_bytes_max: Option<usize>,
    pub request_bytes_max: Option<usize>,
    pub connections_max: Option<usize>,
    pub idle_timeout_secs: Option<u64>,
    pub drain_timeout_secs: Option<u64>,
}

impl HttpConfig {
    /// The limits, defaults where unset.
    pub fn limits(&self) -> HttpLimits {
        let mut l = HttpLimits::default();
        if let Some(v) = self.body_bytes_max {
            l.body_bytes_max = v;
        }
        if let Some(v) = self.request_bytes_max {
            l.request_bytes_max = v;
        }
        if let Some(v) = self.connections_max {
            l.connections_max = v;
        }
        if let Some(v) = self.idle_timeout_secs {
            l.idle_timeout = Duration::from_secs(v);
        }
        if let Some(v) = self.drain_timeout_secs {
            l.drain_timeout = Duration::from_secs(v);
        }
        l
    }
}

/// The key-value server's limits (each absent one keeps [`Limits::default`]).
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LimitsConfig {
    pub frame_len_max: Option<u32>,
    pub connections_max: Option<usize>,
    pub inflight_max: Option<usize>,
    pub request_bytes_max: Option<usize>,
    pub idle_timeout_secs: Option<u64>,
    pub drain_timeout_secs: Option<u64>,
    pub scan_limit_max: Option<u32>,
}

impl FileConfig {
    /// Reads and parses a configuration file (unknown keys are errors).
    pub fn load(path: &Path) -> Result<FileConfig, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
    }
}

impl EngineConfig {
    /// Applies the set options to `o`.
    pub fn apply(&self, o: &mut Options) -> Result<(), String> {
        if let Some(v) = self.memtable_bytes_max {
            o.memtable_bytes_max = v;
        }
        if let Some(v) = self.max_immutable_memtables {
            o.max_immutable_memtables = v;
        }
        if let Some(v) = self.block_cache_bytes {
            o.block_cache_bytes = v;
        }
        if let Some(v) = self.table_cache_files {
            o.table_cache_files = v;
        }
        if let Some(ms) = self.wal_sync_interval_ms {
            o.wal_sync_interval = (ms > 0).then(|| Duration::from_millis(ms));
        }
        if let Some(v) = self.flush_threads {
            o.flush_threads = v;
        }
        if let Some(v) = self.compaction_threads {
            o.compaction_threads = v;
        }
        if let Some(v) = self.compaction_bytes_per_sec {
            o.compaction_bytes_per_sec = v;
        }
        if let Some(s) = &self.compaction_style {
            o.compaction_style = match s.as_str() {
                "leveled" => CompactionStyle::Leveled,
                "universal" => CompactionStyle::Universal(Default::default()),
                other => {
                    return Err(format!(
                        "compaction_style: {other:?} is not \"leveled\" or \"universal\""
                    ))
                }
            };
        }
        if let Some(s) = &self.io_backend {
            let backend = shale_engine::fs::IoBackend::parse(s).ok_or_else(|| {
                format!("io_backend: {s:?} is not \"auto\", \"pread\", \"uring\" or \"uring-all\"")
            })?;
            o.fs = backend.file_system().map_err(|e| format!("io_backend {s:?}: {e}"))?;
        }
        if let Some(s) = &self.compression {
            o.table.compression = match s.as_str() {
                "none" => Compression::None,
                "zstd" => Compression::Zstd,
                other => return Err(format!("compression: {other:?} is not \"none\" or \"zstd\"")),
            };
        }
        if let Some(v) = self.bloom_bits_per_key {
            o.table.bloom_bits_per_key = v;
        }
        if let Some(v) = self.block_size {
            o.table.block_size = v;
        }
        let c: &mut CompactionOptions = &mut o.compaction;
        if let Some(v) = self.level0_trigger {
            c.level0_trigger = v;
        }
        if let Some(v) = self.target_file_bytes {
            c.target_file_bytes = v;
        }
        if let Some(v) = self.level_base_bytes {
            c.level_base_bytes = v;
        }
        if let Some(v) = self.mmap_reads {
            o.mmap_reads = v;
        }
        if let Some(v) = self.direct_io {
            o.direct_reads = v;
            o.direct_writes = v;
        }
        Ok(())
    }
}

impl LimitsConfig {
    /// Applies the set limits to `l`; returns the scan page bound if set.
    pub fn apply(&self, l: &mut Limits) -> Option<u32> {
        if let Some(v) = self.frame_len_max {
            l.frame_len_max = v;
        }
        if let Some(v) = self.connections_max {
            l.connections_max = v;
        }
        if let Some(v) = self.inflight_max {
            l.inflight_max = v;
        }
        if let Some(v) = self.request_bytes_max {
            l.request_bytes_max = v;
        }
        if let Some(v) = self.idle_timeout_secs {
            l.idle_timeout = Duration::from_secs(v);
        }
        if let Some(v) = self.drain_timeout_secs {
            l.drain_timeout = Duration::from_secs(v);
        }
        self.scan_limit_max
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_applies_a_file() {
        let f: FileConfig = toml::from_str(
            "kv_addr = \"127.0.0.1:9\"\n[engine]\nmemtable_bytes_max = 1024\nwal_sync_interval_ms = 5\n\
             compression = \"zstd\"\ncompaction_style = \"universal\"\n[limits]\ninflight_max = 7\n",
        )
        .unwrap();
        assert_eq!(f.kv_addr.as_deref(), Some("127.0.0.1:9"));
        let mut o = Options::default();
        f.engine.apply(&mut o).unwrap();
        assert_eq!(o.memtable_bytes_max, 1024);
        assert_eq!(o.wal_sync_interval, Some(Duration::from_millis(5)));
        assert_eq!(o.table.compression, Compression::Zstd);
        let mut l = Limits::default();
        f.kv.apply(&mut l);
        assert_eq!(l.inflight_max, 7);
        assert!(toml::from_str::<FileConfig>("nonsense = 1").is_err(), "unknown keys are refused");
        // [kv] is [limits]'s new name; [http] reaches the HTTP front door only.
        let f: FileConfig = toml::from_str(
            "[kv]\ninflight_max = 9\n[http]\nidle_timeout_secs = 7\nconnections_max = 3\n",
        )
        .unwrap();
        let mut l = Limits::default();
        f.kv.apply(&mut l);
        assert_eq!(l.inflight_max, 9);
        assert_eq!(l.idle_timeout, Limits::default().idle_timeout, "[http] does not reach kv");
        assert_eq!(f.http.limits().idle_timeout, Duration::from_secs(7));
        assert_eq!(f.http.limits().connections_max, 3);
        assert_eq!(f.http.limits().body_bytes_max, HttpLimits::default().body_bytes_max);
        assert!(toml::from_str::<FileConfig>("[http]\nframe_len_max = 1").is_err());
        let f: FileConfig = toml::from_str("console = false").unwrap();
        assert_eq!(f.console, Some(false));
        let f: FileConfig = toml::from_str("cors_origins = \"*\"").unwrap();
        assert_eq!(f.cors_origins.map(OneOrMany::into_vec), Some(vec!["*".to_string()]));
        let f: FileConfig = toml::from_str("cors_origins = [\"http://a\", \"http://b\"]").unwrap();
        assert_eq!(f.cors_origins.map(OneOrMany::into_vec).map(|v| v.len()), Some(2));
        let bad: FileConfig = toml::from_str("[engine]\ncompression = \"lz4\"").unwrap();
        assert!(bad.engine.apply(&mut Options::default()).is_err());
    }
}
