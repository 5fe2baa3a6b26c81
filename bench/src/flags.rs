//! Command-line flags, named and defaulted as db_bench names them (`--num`, `--key_size`, ...),
//! so that a db_bench command line runs unchanged against Shale.

use clap::{Args, Parser, Subcommand, ValueEnum};
use serde::Serialize;
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "shale-bench",
    version,
    about = "db_bench- and YCSB-style benchmarks for Shale, side by side with RocksDB",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub cmd: Option<Cmd>,
    #[command(flatten)]
    pub flags: Flags,
}

#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// Runs the standard set on Shale and RocksDB and rewrites docs/benchmarks.md and its charts.
    Report(ReportArgs),
    /// Open-loop latency of a running shale-server: GET/PUT at fixed offered rates.
    Latency(LatencyArgs),
    /// GetItem/PutItem/Query over HTTP: Shale's DynamoDB gateway against dynalite.
    Dynamo(DynamoArgs),
    /// The I/O backends side by side (pread, mmap, io_uring, io_uring + O_DIRECT): readrandom,
    /// fillsync and multi_get, with RocksDB's db_bench in the same run.
    Io(IoArgs),
    /// Draws the charts again from a results.json (of a run or of `report`).
    Charts {
        /// The results file.
        #[arg(long, default_value = "docs/bench/results.json")]
        from: PathBuf,
        /// Where throughput.svg and latency.svg go (default: beside the results file).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Args, Debug, Clone)]
pub struct IoArgs {
    /// Keys written by the random fill the reads run on (16-byte keys, 100-byte values).
    #[arg(long, default_value_t = 2_000_000)]
    pub num: u64,
    /// Block cache bytes (the tables hold several times this).
    #[arg(long = "cache_size", default_value_t = 32 << 20)]
    pub cache_size: u64,
    /// Seconds per read run.
    #[arg(long, default_value_t = 3)]
    pub duration: u64,
    /// Runs of every configuration (round-robin); the report shows the median.
    #[arg(long, default_value_t = 3)]
    pub repeat: usize,
    /// After each write workload, let db_bench wait for RocksDB's compactions (its
    /// `waitforcompaction`, which sleeps about 5 s) so that its W-Amp covers them as Shale's
    /// does; `false` for quick runs such as the smoke tests, whose RocksDB W-Amp then leaves
    /// the compactions still pending out.
    #[arg(long = "db_bench_settle", num_args = 0..=1, default_missing_value = "true",
          default_value = "true", value_parser = parse_bool)]
    pub db_bench_settle: bool,
    /// Reader thread counts.
    #[arg(long, value_delimiter = ',', default_value = "1,4,16")]
    pub threads: Vec<usize>,
    /// Writer thread counts of fillsync.
    #[arg(long = "sync_threads", value_delimiter = ',', default_value = "1,8,32")]
    pub sync_threads: Vec<usize>,
    /// fsynced writes per fillsync thread.
    #[arg(long = "sync_writes", default_value_t = 2000)]
    pub sync_writes: u64,
    /// multi_get batch sizes.
    #[arg(long, value_delimiter = ',', default_value = "16,64")]
    pub batches: Vec<usize>,
    /// Keys each unsynced write run (fillseq, fillrandom, overwrite) writes, on every backend.
    #[arg(long = "write_num", default_value_t = 1_000_000)]
    pub write_num: u64,
    /// Scratch directory for the databases (on the disk being measured).
    #[arg(long, default_value = "/tmp/shale-bench-io")]
    pub db: PathBuf,
    /// The RocksDB db_bench binary (Debian's rocksdb-tools).
    #[arg(long, default_value = "db_bench")]
    pub db_bench: String,
    /// Rewrite this markdown file's I/O section (between its markers) and put the JSON beside
    /// it under bench/io.json.
    #[arg(long = "write-markdown")]
    pub write_markdown: Option<PathBuf>,
}

#[derive(Args, Debug, Clone)]
pub struct LatencyArgs {
    /// The server's key-value address. Connections authenticate with `AWS_ACCESS_KEY_ID`,
    /// `AWS_SECRET_ACCESS_KEY` (and `AWS_SESSION_TOKEN`) when set; without them, only a server
    /// with `--auth none` accepts them.
    #[arg(long, default_value = "127.0.0.1:7070")]
    pub target: String,
    /// Offered rates to measure, operations per second (comma-separated).
    #[arg(long, value_delimiter = ',', default_value = "10000,50000")]
    pub rates: Vec<u64>,
    /// Connections (one sending and one receiving thread each).
    #[arg(long, default_value_t = 16)]
    pub connections: usize,
    /// Percent of operations that are GETs (the rest are PUTs).
    #[arg(long, default_value_t = 90)]
    pub read_percent: u32,
    /// Seconds per rate (after a one-second warm-up at that rate).
    #[arg(long, default_value_t = 10)]
    pub duration: u64,
    /// Keys loaded before measuring, and the key space the operations choose from uniformly.
    #[arg(long, default_value_t = 100_000)]
    pub num: u64,
    #[arg(long = "key_size", default_value_t = 16)]
    pub key_size: usize,
    #[arg(long = "value_size", default_value_t = 100)]
    pub value_size: usize,
    /// PUTs ask for fsync (the SYNC flag).
    #[arg(long)]
    pub sync: bool,
    /// Skip loading the keys (they are already there).
    #[arg(long)]
    pub no_load: bool,
    /// Keyspace to use.
    #[arg(long, default_value = "default")]
    pub keyspace: String,
    /// Rewrite this markdown file's latency section (between its markers) with the results.
    #[arg(long)]
    pub docs: Option<std::path::PathBuf>,
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
}

#[derive(Args, Debug, Clone)]
pub struct DynamoArgs {
    /// A running DynamoDB-compatible server to measure, NAME=HOST:PORT (repeatable).
    #[arg(long = "target")]
    pub targets: Vec<String>,
    /// Servers to launch (and stop at the end): shale, shale-nosync, shale-mem, shale-noauth,
    /// shale-mem-noauth (`--auth none`), shale-mem-bare (`--capacity off --metrics false`),
    /// dynalite, dynalite-mem (comma-separated). Requests are
    /// signed with AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY when set (a --target server's
    /// credentials), else with the pair launched servers are given as root.
    #[arg(long, value_delimiter = ',')]
    pub start: Vec<String>,
    /// Client threads of the closed-loop phases, and connections of the open-loop phase.
    #[arg(long, default_value_t = 16)]
    pub connections: usize,
    /// Seconds each phase is measured (after the warm-up).
    #[arg(long, default_value_t = 10)]
    pub duration: u64,
    /// Milliseconds each phase runs before it is measured.
    #[arg(long, default_value_t = 1000)]
    pub warmup_ms: u64,
    /// Items loaded, in partitions of 10 (rounded up to whole partitions).
    #[arg(long, default_value_t = 10_000)]
    pub items: u64,
    /// Bytes of each item's payload attribute.
    #[arg(long, default_value_t = 100)]
    pub value_size: usize,
    /// Offered GetItem rate of the open-loop phase, requests per second.
    #[arg(long, default_value_t = 5000)]
    pub rate: u64,
    /// Global secondary indexes on the table (0 to 5), `gsi0`.. keyed by the string attributes
    /// `g0`..: every item has each, PutItem writes new values (moving the item in every index),
    /// and a "Query on gsi0" phase runs. The markdown section is its own per count.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=5))]
    pub gsis: u8,
    /// Give the table a DynamoDB stream with this view type (every write then also writes a
    /// stream record, in the same batch).
    #[arg(long, value_parser = ["KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"])]
    pub stream_view: Option<String>,
    /// Rewrite this markdown file's DynamoDB section (between its markers) with the results.
    #[arg(long)]
    pub write_markdown: Option<PathBuf>,
    /// Measure every server this many times, alternating their order from round to round (the
    /// machine is noisy); the table shows each server's median round by GetItem throughput.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=20))]
    pub rounds: u32,
    /// Write the markdown into its own section called NAME (markers `--section NAME`) instead
    /// of the standard one.
    #[arg(long)]
    pub section: Option<String>,
    /// Measure backups and restores instead (`shale` only: CreateBackup,
    /// RestoreTableFromBackup and RestoreTableToPointInTime on a table of `--items` items;
    /// markdown section `backup`, or `--section`).
    #[arg(long)]
    pub backup: bool,
    /// dynalite's cli.js (run with `node`), or `npx` to run `npx dynalite`.
    #[arg(long, default_value = "/work/dynalite/node_modules/dynalite/cli.js")]
    pub dynalite: String,
    /// Where launched servers keep their data (a fresh directory each, removed at the end).
    #[arg(long, default_value_os_t = std::env::temp_dir())]
    pub scratch: PathBuf,
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
}

#[derive(Args, Debug, Clone)]
pub struct ReportArgs {
    /// Where benchmarks.md goes; the charts and JSON go to DOCS/bench/.
    #[arg(long, default_value = "docs")]
    pub docs: PathBuf,
    /// Scratch directory for the databases (on the disk being measured).
    #[arg(long, default_value = "/tmp/shale-bench-report")]
    pub db: PathBuf,
    /// Scales every key count (1.0 = the standard set; smaller for a quick look).
    #[arg(long, default_value_t = 1.0)]
    pub scale: f64,
    /// Seconds per time-bounded workload.
    #[arg(long, default_value_t = 20)]
    pub duration: u64,
    /// The RocksDB db_bench binary (Debian's rocksdb-tools).
    #[arg(long, default_value = "db_bench")]
    pub db_bench: String,
    /// Runs of the whole plan; each figure is the median of its engine's runs.
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
    /// After each write workload, let db_bench wait for RocksDB's compactions (its
    /// `waitforcompaction`, which sleeps about 5 s) so that its W-Amp covers them as Shale's
    /// does; `false` for quick runs such as the smoke tests, whose RocksDB W-Amp then leaves
    /// the compactions still pending out.
    #[arg(long = "db_bench_settle", num_args = 0..=1, default_missing_value = "true",
          default_value = "true", value_parser = parse_bool)]
    pub db_bench_settle: bool,
}

/// Which engine runs the workloads in this process.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EngineKind {
    /// Shale, embedded.
    Shale,
    /// RocksDB through the `rocksdb` crate (cargo feature `rocksdb`).
    Rocksdb,
}

/// Block compression, with db_bench's names.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CompressionKind {
    None,
    Zstd,
}

impl CompressionKind {
    /// The value of db_bench's `--compression_type`.
    pub fn db_bench_name(self) -> &'static str {
        match self {
            CompressionKind::None => "none",
            CompressionKind::Zstd => "zstd",
        }
    }
}

/// Parses db_bench-style booleans: `1`, `0`, `true`, `false`.
fn parse_bool(s: &str) -> Result<bool, String> {
    match s {
        "1" | "true" | "yes" => Ok(true),
        "0" | "false" | "no" => Ok(false),
        _ => Err(format!("expected 0, 1, true or false, got {s:?}")),
    }
}

/// The workload parameters: what both engines are given.
#[derive(Args, Debug, Clone, Serialize)]
pub struct Flags {
    /// Comma-separated workloads, run in order on one database (fill* start a fresh one):
    /// fillseq, fillrandom, overwrite, readrandom, readseq, readreverse, seekrandom,
    /// readwhilewriting, deleterandom, fillsync, ycsba ... ycsbf.
    #[arg(long, value_delimiter = ',', default_value = "fillseq,fillrandom,readrandom")]
    pub benchmarks: Vec<String>,
    /// Number of keys in the database (and of writes per thread for the fill workloads).
    #[arg(long, default_value_t = 1_000_000)]
    pub num: u64,
    /// Reads per thread for the read workloads; negative means `--num`.
    #[arg(long, default_value_t = -1, allow_negative_numbers = true)]
    pub reads: i64,
    /// Concurrent client threads (readwhilewriting adds one writer).
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    #[arg(long = "key_size", default_value_t = 16)]
    pub key_size: usize,
    #[arg(long = "value_size", default_value_t = 100)]
    pub value_size: usize,
    /// Block compression (db_bench: --compression_type).
    #[arg(long, alias = "compression_type", value_enum, default_value_t = CompressionKind::None)]
    pub compression: CompressionKind,
    /// Block cache bytes.
    #[arg(long = "cache_size", default_value_t = 8 << 20)]
    pub cache_size: u64,
    /// Shale's file I/O: auto (io_uring where it works, else pread), pread, uring or uring-all
    /// (single reads and buffered writes on the ring too, for measuring).
    #[arg(long = "io_backend", default_value = "auto")]
    pub io_backend: String,
    /// O_DIRECT for table reads and for flush and compaction writes (db_bench:
    /// --use_direct_reads and --use_direct_io_for_flush_and_compaction).
    #[arg(long = "direct_io", num_args = 0..=1, default_missing_value = "true",
          default_value = "false", value_parser = parse_bool)]
    pub direct_io: bool,
    /// Keys per multi_get in multireadrandom (db_bench: --batch_size).
    #[arg(long = "batch_size", default_value_t = 1)]
    pub batch_size: usize,
    /// Read SSTables through memory maps (db_bench: --mmap_read).
    #[arg(long = "mmap_read", default_value_t = false)]
    pub mmap_read: bool,
    /// Memtable bytes before a flush.
    #[arg(long = "write_buffer_size", default_value_t = 64 << 20)]
    pub write_buffer_size: u64,
    /// Memtables in memory, the active one included (so at most this minus one await flush).
    #[arg(long = "max_write_buffer_number", default_value_t = 2)]
    pub max_write_buffer_number: usize,
    /// fsync every write (fillsync always does).
    #[arg(long, num_args = 0..=1, default_missing_value = "true", default_value = "false",
          value_parser = parse_bool)]
    pub sync: bool,
    /// Seconds for the random workloads; 0 means `--num`/`--reads` decide.
    #[arg(long, default_value_t = 0)]
    pub duration: u64,
    /// Random seed; 0 takes one from the clock (and prints it).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// The database directory (emptied by the fill workloads).
    #[arg(long, default_value = "/tmp/shale-bench")]
    pub db: PathBuf,
    #[arg(long = "bloom_bits", default_value_t = 10)]
    pub bloom_bits: u32,
    #[arg(long = "block_size", default_value_t = 4096)]
    pub block_size: usize,
    /// Next() calls after each Seek in seekrandom.
    #[arg(long = "seek_nexts", default_value_t = 0)]
    pub seek_nexts: usize,
    /// Longest YCSB-E scan (lengths are uniform in 1..=this).
    #[arg(long = "ycsb_scan_max", default_value_t = 100)]
    pub ycsb_scan_max: usize,
    /// L0 files that trigger a compaction (db_bench: level0_file_num_compaction_trigger).
    #[arg(long = "level0_file_num_compaction_trigger", default_value_t = 4)]
    pub level0_trigger: usize,
    #[arg(long = "level0_slowdown_writes_trigger", default_value_t = 20)]
    pub level0_slowdown: usize,
    #[arg(long = "level0_stop_writes_trigger", default_value_t = 36)]
    pub level0_stop: usize,
    /// Target size of the base level.
    #[arg(long = "max_bytes_for_level_base", default_value_t = 64 << 20)]
    pub max_bytes_for_level_base: u64,
    /// Target size of a compaction output table.
    #[arg(long = "target_file_size_base", default_value_t = 16 << 20)]
    pub target_file_size_base: u64,
    /// Key-value separation: values of at least `--min_blob_size` bytes go to blob files
    /// (Shale's `blob_threshold_bytes`; RocksDB's integrated BlobDB, with its garbage
    /// collection on, as Shale's always is).
    #[arg(long = "enable_blob_files", num_args = 0..=1, default_missing_value = "true",
          default_value = "false", value_parser = parse_bool)]
    pub enable_blob_files: bool,
    /// After each write workload, let db_bench wait for RocksDB's compactions (its
    /// `waitforcompaction`, which sleeps about 5 s) so that its W-Amp covers them as Shale's
    /// does; `false` for quick runs such as the smoke tests, whose RocksDB W-Amp then leaves
    /// the compactions still pending out.
    #[arg(long = "db_bench_settle", num_args = 0..=1, default_missing_value = "true",
          default_value = "true", value_parser = parse_bool)]
    pub db_bench_settle: bool,
    /// The smallest value that goes to a blob file (with `--enable_blob_files`).
    #[arg(long = "min_blob_size", default_value_t = 0)]
    pub min_blob_size: u64,
    /// Background threads: one flushes, the rest compact (RocksDB: max_background_jobs).
    #[arg(long = "max_background_jobs", default_value_t = 2)]
    pub max_background_jobs: usize,
    /// The engine that runs the workloads in this process.
    #[arg(long, value_enum, default_value_t = EngineKind::Shale)]
    #[serde(skip)]
    pub engine: EngineKind,
    /// Also run RocksDB's own db_bench with the same parameters after each workload
    /// (`--compare db_bench`, or a path to the binary) and print the ratios.
    #[arg(long)]
    #[serde(skip)]
    pub compare: Option<String>,
    /// Run the workloads against a running shale-server at HOST:PORT (its key-value protocol)
    /// instead of an embedded engine. Connections authenticate with `AWS_ACCESS_KEY_ID`,
    /// `AWS_SECRET_ACCESS_KEY` (and `AWS_SESSION_TOKEN`) when set.
    #[arg(long)]
    #[serde(skip)]
    pub target: Option<String>,
    /// Connections to open to --target (default: --threads).
    #[arg(long)]
    #[serde(skip)]
    pub connections: Option<usize>,
    /// Directory for the JSON results and the SVG charts.
    #[arg(long, default_value = "target/bench-results")]
    #[serde(skip)]
    pub out: PathBuf,
    /// Progress bar: auto (when stderr is a terminal), always or never.
    #[arg(long, default_value = "auto")]
    #[serde(skip)]
    pub progress: String,
}

impl Flags {
    /// Reads per thread.
    pub fn reads(&self) -> u64 {
        if self.reads < 0 {
            self.num
        } else {
            self.reads as u64
        }
    }
}
