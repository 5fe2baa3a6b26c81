//! `shale-bench io`: Shale's I/O backends side by side, with RocksDB's db_bench in the same run.
//!
//! 1. One random fill (`--num` keys, 16-byte keys, 100-byte values, no compression) per engine;
//!    the tables end up several times the `--cache_size` block cache.
//! 2. readrandom for `--duration` seconds at each of `--threads`, per backend: Shale over pread,
//!    mmap, io_uring (single reads are `pread`s there), io_uring with single reads on the ring
//!    (`uring-all`), pread + O_DIRECT and io_uring + O_DIRECT (each a fresh open of the same
//!    database); RocksDB over pread, mmap and O_DIRECT (Debian's db_bench is not built with
//!    liburing, so RocksDB has no io_uring row).
//! 3. multireadrandom with each of `--batches` keys per multi_get, one thread, against the same
//!    backend's single-get readrandom at one thread.
//! 4. fillsync (`--sync_writes` fsynced writes per thread) at each of `--sync_threads`, on a fresh
//!    database per run: Shale over pread, io_uring and io_uring + O_DIRECT (O_DIRECT changes
//!    only flush and compaction writes), RocksDB over pread and O_DIRECT.
//! 5. Unsynced writes, one thread, `--write_num` keys: fillseq and fillrandom on a fresh database,
//!    then overwrite on the random fill, on every backend whose write path differs (mmap changes
//!    only reads, so it has no row): Shale over pread, io_uring, io_uring with everything on the
//!    ring (`uring-all`, where every buffered write goes through the ring), pread + O_DIRECT and
//!    io_uring + O_DIRECT; RocksDB over pread and O_DIRECT.
//!
//! A backend more than 2× slower than another on any workload is flagged, on stdout and in the
//! section: among all of them for writes, and among those of the same cache (buffered or
//! O_DIRECT) for reads, since O_DIRECT reads come from the device by design.
//!
//! Buffered backends read through a page cache that already holds the tables (the machine's
//! memory is far larger than the data); O_DIRECT rows read from the device on every block-cache
//! miss. Every configuration runs `--repeat` times, round-robin with the others of its part, and
//! the tables show each one's median run (this is a noisy 2-core machine); the JSON keeps every
//! run. `--write-markdown` rewrites the section between this module's markers and stores every
//! figure in `bench/io.json` beside the markdown file.

use crate::dbbench;
use crate::engine::{self, BenchResult};
use crate::flags::{Cli, Flags, IoArgs};
use crate::runner::{self, RunResult};
use crate::workload::Workload;
use clap::Parser;
use serde::Serialize;
use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

pub const BEGIN: &str = "<!-- BEGIN shale-bench io (generated: edit outside these markers) -->";
pub const END: &str = "<!-- END shale-bench io -->";

/// One way of doing file I/O.
#[derive(Debug, Clone, Copy, Serialize)]
struct Backend {
    name: &'static str,
    /// Shale's `--io_backend`.
    io_backend: &'static str,
    mmap: bool,
    direct: bool,
    /// RocksDB (db_bench) has this mode.
    in_rocksdb: bool,
}

const PREAD: Backend =
    Backend { name: "pread", io_backend: "pread", mmap: false, direct: false, in_rocksdb: true };
const MMAP: Backend =
    Backend { name: "mmap", io_backend: "pread", mmap: true, direct: false, in_rocksdb: true };
const URING: Backend = Backend {
    name: "io_uring",
    io_backend: "uring",
    mmap: false,
    direct: false,
    in_rocksdb: false,
};
const URING_ALL: Backend = Backend {
    name: "io_uring, all I/O on the ring",
    io_backend: "uring-all",
    mmap: false,
    direct: false,
    in_rocksdb: false,
};
const PREAD_DIRECT: Backend = Backend {
    name: "pread + O_DIRECT",
    io_backend: "pread",
    mmap: false,
    direct: true,
    in_rocksdb: true,
};
const URING_DIRECT: Backend = Backend {
    name: "io_uring + O_DIRECT",
    io_backend: "uring",
    mmap: false,
    direct: true,
    in_rocksdb: false,
};

/// The backends of each part.
const READ_BACKENDS: [Backend; 6] = [PREAD, MMAP, URING, URING_ALL, PREAD_DIRECT, URING_DIRECT];
const MULTI_GET_BACKENDS: [Backend; 4] = [PREAD, URING, PREAD_DIRECT, URING_DIRECT];
const SYNC_BACKENDS: [Backend; 4] = [PREAD, URING, PREAD_DIRECT, URING_DIRECT];
const WRITE_BACKENDS: [Backend; 5] = [PREAD, URING, URING_ALL, PREAD_DIRECT, URING_DIRECT];
/// The unsynced write workloads, in the order they run on each backend's database.
const WRITE_WORKLOADS: [Workload; 3] =
    [Workload::FillSeq, Workload::FillRandom, Workload::Overwrite];
/// A backend this many times slower than another on a workload is flagged.
const FLAG_RATIO: f64 = 2.0;

/// One measured run.
#[derive(Debug, Clone, Serialize)]
struct Row {
    part: &'static str,
    backend: &'static str,
    engine: &'static str,
    threads: usize,
    /// Keys per multi_get (1: single gets).
    batch: usize,
    result: RunResult,
}

#[derive(Serialize)]
struct IoJson<'a> {
    command: String,
    machine: String,
    minutes: f64,
    rows: &'a [Row],
}

fn base_flags(args: &IoArgs) -> Flags {
    let mut f = Cli::parse_from(["shale-bench"]).flags;
    f.num = args.num;
    f.cache_size = args.cache_size;
    f.duration = args.duration;
    f.db_bench_settle = args.db_bench_settle;
    f.db = args.db.clone();
    f.seed = 801;
    f.progress = "never".into();
    f
}

fn with_backend(f: &Flags, b: Backend, rocksdb: bool) -> Flags {
    let mut f = f.clone();
    f.io_backend = b.io_backend.to_string();
    f.mmap_read = b.mmap;
    f.direct_io = b.direct;
    if rocksdb {
        // db_bench has no io_uring switch for Get; its rows use the plain read path.
        f.io_backend = "pread".into();
    }
    f
}

/// Runs `w` on Shale with `f` on `dir` (emptied first when the workload starts fresh).
fn shale(f: &Flags, w: Workload, index: usize, dir: &Path) -> BenchResult<RunResult> {
    let e = engine::open(f, dir, w.fresh_db())?;
    let r = runner::run(e.as_ref(), f, w, index)?;
    e.wait_idle()?;
    Ok(r)
}

fn say(row: &Row) {
    let l = &row.result.latency_us;
    println!(
        "{:<10} {:<20} {:<8} {:>2} thr batch {:>2}: {:>10.0} ops/s  P50 {:.1} P99 {:.1} P99.9 {:.1} µs",
        row.part,
        row.backend,
        row.engine,
        row.threads,
        row.batch,
        row.result.ops_per_sec,
        l.p50,
        l.p99,
        l.p999
    );
}

/// One part of the run: a workload over some backends, each configuration (threads, keys per
/// call) `--repeat` times round-robin.
struct Part<'a> {
    name: &'static str,
    workload: Workload,
    backends: &'a [Backend],
    flags: Flags,
    shale_dir: std::path::PathBuf,
    rocks_dir: std::path::PathBuf,
}

impl Part<'_> {
    /// Runs every backend at `threads` threads with `batch` keys per call (`index` seeds the
    /// key sequence: the same for every backend).
    fn measure(
        &self,
        args: &IoArgs,
        threads: usize,
        batch: usize,
        index: usize,
        rows: &mut Vec<Row>,
    ) -> BenchResult<()> {
        for b in repeated(self.backends, args.repeat) {
            for rocksdb in [false, true] {
                if rocksdb && !b.in_rocksdb {
                    continue;
                }
                let mut f = with_backend(&self.flags, b, rocksdb);
                f.threads = threads;
                f.batch_size = batch;
                let result = if rocksdb {
                    if self.workload.fresh_db() {
                        let _ = std::fs::remove_dir_all(&self.rocks_dir);
                    }
                    dbbench::run(&args.db_bench, &f, self.workload, index, &self.rocks_dir)?.result
                } else {
                    shale(&f, self.workload, index, &self.shale_dir)?
                };
                let engine = if rocksdb { "rocksdb" } else { "shale" };
                let row = Row { part: self.name, backend: b.name, engine, threads, batch, result };
                say(&row);
                rows.push(row);
            }
        }
        Ok(())
    }
}

pub fn run(args: &IoArgs) -> BenchResult<()> {
    let started = Instant::now();
    let base = base_flags(args);
    let shale_dir = args.db.join("shale");
    let rocks_dir = args.db.join("rocksdb");
    let mut rows: Vec<Row> = Vec::new();

    // 1. The fills the reads run on (every key written, not time-bounded).
    let mut fill = base.clone();
    fill.duration = 0;
    println!("== fillrandom of {} keys on each engine", args.num);
    let r = shale(&fill, Workload::FillRandom, 0, &shale_dir)?;
    println!("shale: {}", r.line());
    let r = dbbench::run(&args.db_bench, &fill, Workload::FillRandom, 0, &rocks_dir)?;
    println!("rocksdb {}: {}", r.version, r.result.line());
    let rocks_version = r.version;

    // 2. readrandom per backend and thread count; the same key sequence for every backend.
    let reads = Part {
        name: "readrandom",
        workload: Workload::ReadRandom,
        backends: &READ_BACKENDS,
        flags: base.clone(),
        shale_dir: shale_dir.clone(),
        rocks_dir: rocks_dir.clone(),
    };
    for (ti, &threads) in args.threads.iter().enumerate() {
        reads.measure(args, threads, 1, 10 + ti, &mut rows)?;
    }

    // 3. multi_get batches at one thread.
    let multi = Part {
        name: "multi_get",
        workload: Workload::MultiReadRandom,
        backends: &MULTI_GET_BACKENDS,
        ..reads
    };
    for (bi, &batch) in args.batches.iter().enumerate() {
        multi.measure(args, 1, batch, 20 + bi, &mut rows)?;
    }

    // 4. fillsync on fresh databases (fillsync's key range and write count are num / 1000).
    let mut sync = base.clone();
    sync.num = args.sync_writes.saturating_mul(1000);
    sync.duration = 0;
    let syncs = Part {
        name: "fillsync",
        workload: Workload::FillSync,
        backends: &SYNC_BACKENDS,
        flags: sync,
        shale_dir: args.db.join("shale-sync"),
        rocks_dir: args.db.join("rocksdb-sync"),
    };
    for (ti, &threads) in args.sync_threads.iter().enumerate() {
        syncs.measure(args, threads, 1, 30 + ti, &mut rows)?;
    }

    // 5. Unsynced writes: each workload round-robin over the backends (overwrite runs on the
    // database the last random fill left).
    let mut writes = base.clone();
    writes.num = args.write_num;
    writes.duration = 0;
    for (wi, w) in WRITE_WORKLOADS.into_iter().enumerate() {
        let part = Part {
            name: w.name(),
            workload: w,
            backends: &WRITE_BACKENDS,
            flags: writes.clone(),
            shale_dir: args.db.join("shale-writes"),
            rocks_dir: args.db.join("rocksdb-writes"),
        };
        part.measure(args, 1, 1, 40 + wi, &mut rows)?;
    }
    let _ = std::fs::remove_dir_all(&args.db);
    let flagged = flags(args, &rows);
    for f in &flagged {
        println!("FLAG: {f}");
    }

    let minutes = started.elapsed().as_secs_f64() / 60.0;
    let command = format!(
        "cargo run --release -p shale-bench -- io --num {} --cache_size {} --duration {} --repeat {} --threads {} --sync_threads {} --sync_writes {} --batches {} --write_num {}{}",
        args.num,
        args.cache_size,
        args.duration,
        args.repeat,
        join(&args.threads),
        join(&args.sync_threads),
        args.sync_writes,
        join(&args.batches),
        args.write_num,
        if args.db_bench_settle { "" } else { " --db_bench_settle=false" },
    );
    let machine = crate::report::machine();
    let section = render(args, &rows, &command, &machine, minutes, &rocks_version, &flagged);
    println!("\n{section}");
    if let Some(md) = &args.write_markdown {
        crate::report::splice_between(md, BEGIN, END, &section)?;
        let dir = md.parent().unwrap_or(Path::new(".")).join("bench");
        std::fs::create_dir_all(&dir)?;
        let json = IoJson { command, machine, minutes, rows: &rows };
        std::fs::write(dir.join("io.json"), serde_json::to_string_pretty(&json)?)?;
        println!("wrote {} and {}", md.display(), dir.join("io.json").display());
    }
    Ok(())
}

/// `backends` `n` times over, round-robin: on a noisy machine each backend gets its share of
/// the good and the bad moments, and the report keeps each one's median run.
fn repeated(backends: &[Backend], n: usize) -> Vec<Backend> {
    (0..n.max(1)).flat_map(|_| backends.iter().copied()).collect()
}

fn join(v: &[usize]) -> String {
    v.iter().map(usize::to_string).collect::<Vec<_>>().join(",")
}

/// The median run (by ops/s) of one configuration.
fn find<'a>(
    rows: &'a [Row],
    part: &str,
    backend: &str,
    engine: &str,
    threads: usize,
    batch: usize,
) -> Option<&'a RunResult> {
    let mut runs: Vec<&RunResult> = rows
        .iter()
        .filter(|r| {
            r.part == part
                && r.backend == backend
                && r.engine == engine
                && r.threads == threads
                && r.batch == batch
        })
        .map(|r| &r.result)
        .collect();
    runs.sort_by(|a, b| a.ops_per_sec.total_cmp(&b.ops_per_sec));
    runs.get(runs.len() / 2).copied()
}

/// `ops/s | P50 / P99 / P99.9` cells, or dashes.
fn cells(r: Option<&RunResult>) -> String {
    match r {
        Some(r) => format!(
            "{} | {:.1} / {:.1} / {:.1}",
            crate::report::fmt_ops(r.ops_per_sec),
            r.latency_us.p50,
            r.latency_us.p99,
            r.latency_us.p999
        ),
        None => "— | —".into(),
    }
}

fn ratio(a: Option<&RunResult>, b: Option<&RunResult>) -> String {
    match (a, b) {
        (Some(a), Some(b)) if b.ops_per_sec > 0.0 => {
            format!("{:.2}×", a.ops_per_sec / b.ops_per_sec)
        }
        _ => "—".into(),
    }
}

/// Every case of a backend more than [`FLAG_RATIO`]× slower than another on one workload
/// (threads and batch alike), by median runs; see the module docs for which are compared.
fn flags(args: &IoArgs, rows: &[Row]) -> Vec<String> {
    let mut out = Vec::new();
    let mut check = |part: &str, backends: &[Backend], threads: usize, batch: usize| {
        for class in [false, true] {
            let medians: Vec<(&str, f64)> = backends
                .iter()
                // Writes compare every backend; reads only those of one cache.
                .filter(|b| !is_read(part) || b.direct == class)
                .filter_map(|b| {
                    find(rows, part, b.name, "shale", threads, batch)
                        .map(|r| (b.name, r.ops_per_sec))
                })
                .collect();
            let Some(&(best, top)) = medians.iter().max_by(|a, b| a.1.total_cmp(&b.1)) else {
                continue;
            };
            for &(name, ops) in &medians {
                if ops > 0.0 && top / ops > FLAG_RATIO {
                    out.push(format!(
                        "{part} ({threads} thr{}): {name} {} ops/s is {:.1}× slower than {best} {} ops/s",
                        if batch > 1 { format!(", {batch} keys per call") } else { String::new() },
                        crate::report::fmt_ops(ops),
                        top / ops,
                        crate::report::fmt_ops(top),
                    ));
                }
            }
            if !is_read(part) {
                break;
            }
        }
    };
    for &t in &args.threads {
        check("readrandom", &READ_BACKENDS, t, 1);
    }
    for &b in &args.batches {
        check("multi_get", &MULTI_GET_BACKENDS, 1, b);
    }
    for &t in &args.sync_threads {
        check("fillsync", &SYNC_BACKENDS, t, 1);
    }
    for w in WRITE_WORKLOADS {
        check(w.name(), &WRITE_BACKENDS, 1, 1);
    }
    out
}

/// Parts whose backends are compared only within one cache (buffered or O_DIRECT).
fn is_read(part: &str) -> bool {
    matches!(part, "readrandom" | "multi_get")
}

fn render(
    args: &IoArgs,
    rows: &[Row],
    command: &str,
    machine: &str,
    minutes: f64,
    rocks_version: &str,
    flagged: &[String],
) -> String {
    let mut s = String::new();
    let mb = |b: u64| b as f64 / f64::from(1u32 << 20);
    let _ = writeln!(s, "Produced by `{command}` ({minutes:.1} min) on {machine}.");
    let _ = writeln!(
        s,
        "\n{} keys of 16 + 100 bytes written by fillrandom, a {:.0} MiB block cache, {} s per read run; \
         every configuration ran {} times, round-robin with the others, and the table shows its median run. \
         RocksDB is Debian's db_bench {rocks_version} run by the same command on the same disk; its \
         build has no liburing, so it has no io_uring row. Latencies in µs (multi_get: per call).",
        crate::report::fmt_ops(args.num as f64),
        mb(args.cache_size),
        args.duration,
        args.repeat,
    );
    let _ = writeln!(s, "\n#### readrandom\n");
    by_threads(&mut s, rows, "readrandom", &READ_BACKENDS, &args.threads);
    let _ = writeln!(s, "\n#### multi_get (one thread) against as many single gets\n");
    let _ = writeln!(
        s,
        "| backend | keys per call | Shale multi_get keys/s | Shale P50 / P99 / P99.9 | vs Shale single gets | RocksDB MultiGet keys/s | RocksDB P50 / P99 / P99.9 | vs RocksDB single gets |"
    );
    let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|---:|---:|");
    for &batch in &args.batches {
        for b in MULTI_GET_BACKENDS {
            let ours = find(rows, "multi_get", b.name, "shale", 1, batch);
            let theirs = find(rows, "multi_get", b.name, "rocksdb", 1, batch);
            let _ = writeln!(
                s,
                "| {} | {batch} | {} | {} | {} | {} |",
                b.name,
                cells(ours),
                ratio(ours, find(rows, "readrandom", b.name, "shale", 1, 1)),
                cells(theirs),
                ratio(theirs, find(rows, "readrandom", b.name, "rocksdb", 1, 1)),
            );
        }
    }
    let _ = writeln!(
        s,
        "\n#### fillsync ({} fsynced writes per thread, fresh database)\n",
        args.sync_writes
    );
    by_threads(&mut s, rows, "fillsync", &SYNC_BACKENDS, &args.sync_threads);
    let _ = writeln!(
        s,
        "\n#### Unsynced writes ({} keys, one thread; overwrite on the random fill)\n",
        crate::report::fmt_ops(args.write_num as f64)
    );
    let _ = writeln!(
        s,
        "| backend | workload | Shale ops/s | Shale P50 / P99 / P99.9 | RocksDB ops/s | RocksDB P50 / P99 / P99.9 |"
    );
    let _ = writeln!(s, "|---|---|---:|---:|---:|---:|");
    for w in WRITE_WORKLOADS {
        for b in WRITE_BACKENDS {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} |",
                b.name,
                w.name(),
                cells(find(rows, w.name(), b.name, "shale", 1, 1)),
                cells(find(rows, w.name(), b.name, "rocksdb", 1, 1)),
            );
        }
    }
    let _ = writeln!(
        s,
        "\n#### Flagged: a backend more than {FLAG_RATIO}× slower than another on a workload\n"
    );
    if flagged.is_empty() {
        let _ = writeln!(s, "None.");
    }
    for f in flagged {
        let _ = writeln!(s, "- {f}");
    }
    s
}

/// A table of `part`: a row per thread count and backend, Shale's and RocksDB's medians.
fn by_threads(s: &mut String, rows: &[Row], part: &str, backends: &[Backend], threads: &[usize]) {
    let _ = writeln!(
        s,
        "| backend | threads | Shale ops/s | Shale P50 / P99 / P99.9 | RocksDB ops/s | RocksDB P50 / P99 / P99.9 |"
    );
    let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|");
    for &t in threads {
        for b in backends {
            let _ = writeln!(
                s,
                "| {} | {t} | {} | {} |",
                b.name,
                cells(find(rows, part, b.name, "shale", t, 1)),
                cells(find(rows, part, b.name, "rocksdb", t, 1)),
            );
        }
    }
}
