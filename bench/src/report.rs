//! `shale-bench report`: the standard set on Shale and on RocksDB's db_bench, in one run, written
//! into `docs/benchmarks.md` (between its report markers; the hand-written analysis around them
//! stays) with the charts and the JSON under `docs/bench/`.
//!
//! Standard set: 16-byte keys, 100-byte values, 5M keys (`--scale` multiplies), a 64 MiB block
//! cache (the random fill leaves several times that in tables), one client thread: fillseq and
//! fillrandom (every key written), then on the random fill, each for `--duration` seconds:
//! readrandom, seekrandom, readwhilewriting, YCSB A, B, C, E, F; then fillsync (`num / 1000`
//! writes per thread) with 1 and with 16 threads; fillrandom and overwrite with 4 threads;
//! fillrandom with 4 KiB values (a tenth of the keys), without and with blob files; fillrandom
//! of twice the keys (write amplification of a deeper tree). The plan runs `--runs` times and
//! each figure is the median.

use crate::engine::BenchResult;
use crate::flags::{Cli, Flags, ReportArgs};
use crate::runner::Latency;
use crate::session::{self, Outcome, SessionReport};
use clap::Parser;
use serde::Serialize;
use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

pub const BEGIN: &str = "<!-- BEGIN shale-bench report (generated: edit outside these markers) -->";
pub const END: &str = "<!-- END shale-bench report -->";

/// Keys of the standard set before `--scale`.
const STANDARD_KEYS: f64 = 5_000_000.0;
/// Block cache of the standard set.
const STANDARD_CACHE: u64 = 64 << 20;

#[derive(Serialize)]
struct ReportJson<'a> {
    command: String,
    machine: String,
    minutes: f64,
    /// The medians (what the table shows).
    sessions: &'a [SessionReport],
    /// Every run, in order.
    runs: &'a [Vec<SessionReport>],
}

/// The standard set's parameters, as the command line would give them.
fn standard_flags(args: &ReportArgs) -> Flags {
    let mut f = Cli::parse_from(["shale-bench"]).flags;
    f.num = ((STANDARD_KEYS * args.scale) as u64).max(1000);
    f.cache_size = STANDARD_CACHE;
    f.duration = args.duration;
    f.db_bench_settle = args.db_bench_settle;
    f.db = args.db.clone();
    f.compare = Some(args.db_bench.clone());
    f.seed = 301;
    f.progress = "never".into();
    f
}

/// One session of the standard set.
struct Planned {
    benchmarks: &'static str,
    threads: usize,
    /// Bounded by `--duration` (the fills always write every key).
    timed: bool,
    /// Appended to each workload's label in the table (empty for the 1-thread, 100-byte set).
    label: &'static str,
    /// The session's parameters, from the standard ones.
    tweak: fn(&mut Flags),
}

/// The standard set's sessions, in order. The second reads the random fill of the first.
const PLAN: [Planned; 8] = [
    Planned {
        benchmarks: "fillseq,fillrandom",
        threads: 1,
        timed: false,
        label: "",
        tweak: |_| {},
    },
    Planned {
        benchmarks: "readrandom,seekrandom,readwhilewriting,ycsba,ycsbb,ycsbc,ycsbe,ycsbf",
        threads: 1,
        timed: true,
        label: "",
        tweak: |_| {},
    },
    Planned { benchmarks: "fillsync", threads: 1, timed: false, label: " (1 thr)", tweak: |_| {} },
    Planned {
        benchmarks: "fillsync",
        threads: 16,
        timed: false,
        label: " (16 thr)",
        tweak: |_| {},
    },
    // The same keys, written by 4 threads (each writes a quarter, as db_bench's `--num` is per
    // thread), then overwritten by them.
    Planned {
        benchmarks: "fillrandom,overwrite",
        threads: 4,
        timed: false,
        label: " (4 thr)",
        tweak: |f| f.num = (f.num / 4).max(1000),
    },
    // Large values: a tenth of the keys, 4 KiB each, in the tree and in blob files.
    Planned {
        benchmarks: "fillrandom",
        threads: 1,
        timed: false,
        label: " (4 KiB values)",
        tweak: large_values,
    },
    Planned {
        benchmarks: "fillrandom",
        threads: 1,
        timed: false,
        label: " (4 KiB values, blob files)",
        tweak: |f| {
            large_values(f);
            f.enable_blob_files = true;
            f.min_blob_size = BLOB_MIN_BYTES;
        },
    },
    // Twice the keys, for the write amplification of a deeper tree.
    Planned {
        benchmarks: "fillrandom",
        threads: 1,
        timed: false,
        label: " (2x keys)",
        tweak: |f| f.num = f.num.saturating_mul(2),
    },
];

/// The large-value sessions: a tenth of the keys, 4 KiB values.
fn large_values(f: &mut Flags) {
    f.value_size = 4096;
    f.num = (f.num / 10).max(1000);
}

/// Values of at least this many bytes go to blob files in the blob session (both engines).
const BLOB_MIN_BYTES: u64 = 512;

/// Runs the plan on the engine `base` names (with `base.compare` after each workload).
fn run_plan(base: &Flags) -> BenchResult<Vec<SessionReport>> {
    let mut stdout = std::io::stdout();
    let mut sessions = Vec::new();
    for (session, p) in PLAN.iter().enumerate() {
        let mut f = base.clone();
        (p.tweak)(&mut f);
        // Each session its own seeds: workload i of two sessions must not replay one key sequence
        // (a read session replaying the fill's sequence would find every key it looks for).
        f.seed = base.seed.wrapping_add(1_000_003 * session as u64);
        if !p.timed {
            f.duration = 0;
        }
        f.benchmarks = p.benchmarks.split(',').map(str::to_string).collect();
        f.threads = p.threads;
        println!("== {:?}: {}{} ({} keys)", f.engine, p.benchmarks, p.label, f.num);
        let mut s = session::run(&f, &mut stdout)?;
        for o in &mut s.outcomes {
            o.label.push_str(p.label);
        }
        sessions.push(s);
    }
    Ok(sessions)
}

/// One run of the plan on Shale (with db_bench after each workload) and, with the `rocksdb`
/// feature, on RocksDB through the same code; the engines take turns going first.
fn run_once(base: &Flags, run: usize) -> BenchResult<Vec<SessionReport>> {
    #[cfg(feature = "rocksdb")]
    {
        let mut f = base.clone();
        f.engine = crate::flags::EngineKind::Rocksdb;
        f.compare = None;
        let (mut ours, theirs) = if run % 2 == 0 {
            let ours = run_plan(base)?;
            (ours, run_plan(&f)?)
        } else {
            let theirs = run_plan(&f)?;
            (run_plan(base)?, theirs)
        };
        for (o_s, t_s) in ours.iter_mut().zip(theirs) {
            for (o, t) in o_s.outcomes.iter_mut().zip(t_s.outcomes) {
                o.rocksdb_same_code = Some(t.result);
            }
        }
        Ok(ours)
    }
    #[cfg(not(feature = "rocksdb"))]
    {
        let _ = run;
        run_plan(base)
    }
}

/// The index of the median of `values` (the lower one of an even count).
fn median_index(values: &[f64]) -> usize {
    let mut idx: Vec<usize> = (0..values.len()).collect();
    idx.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    idx.get(values.len().saturating_sub(1) / 2).copied().unwrap_or(0)
}

/// The runs folded into one: each engine's figures for a workload are those of its run with
/// the median throughput (so a row's latencies and series come from one real run), and the
/// ratio is of those medians. The amplification line comes from the run that gave Shale's
/// median of the session's first workload.
fn medians(runs: &[Vec<SessionReport>]) -> Vec<SessionReport> {
    let Some(first) = runs.first() else { return Vec::new() };
    let mut out = Vec::new();
    for (si, session) in first.iter().enumerate() {
        let of_run = |r: &Vec<SessionReport>| r.get(si).cloned();
        let all: Vec<SessionReport> = runs.iter().filter_map(of_run).collect();
        let pick = |oi: usize, f: &dyn Fn(&Outcome) -> Option<f64>| -> Option<Outcome> {
            let cands: Vec<&Outcome> = all.iter().filter_map(|s| s.outcomes.get(oi)).collect();
            let have: Vec<(&Outcome, f64)> =
                cands.iter().filter_map(|o| Some((*o, f(o)?))).collect();
            let vals: Vec<f64> = have.iter().map(|(_, v)| *v).collect();
            have.get(median_index(&vals)).map(|(o, _)| (*o).clone())
        };
        let mut merged = session.clone();
        for (oi, slot) in merged.outcomes.iter_mut().enumerate() {
            let Some(mut o) = pick(oi, &|o| Some(o.result.ops_per_sec)) else { continue };
            o.rocksdb =
                pick(oi, &|o| Some(o.rocksdb.as_ref()?.result.ops_per_sec)).and_then(|x| x.rocksdb);
            o.rocksdb_same_code = pick(oi, &|o| Some(o.rocksdb_same_code.as_ref()?.ops_per_sec))
                .and_then(|x| x.rocksdb_same_code);
            o.ratio =
                o.rocksdb.as_ref().map(|r| o.result.ops_per_sec / r.result.ops_per_sec.max(1e-9));
            *slot = o;
        }
        let firsts: Vec<f64> =
            all.iter().map(|s| s.outcomes.first().map_or(0.0, |o| o.result.ops_per_sec)).collect();
        if let Some(s) = all.get(median_index(&firsts)) {
            merged.amplification = s.amplification.clone();
        }
        out.push(merged);
    }
    out
}

pub fn run(args: &ReportArgs) -> BenchResult<()> {
    if args.runs == 0 {
        return Err("--runs must be at least 1".into());
    }
    let started = Instant::now();
    let base = standard_flags(args);
    let mut runs = Vec::new();
    for run in 0..args.runs {
        println!("==== run {} of {}", run + 1, args.runs);
        runs.push(run_once(&base, run)?);
    }
    let sessions = medians(&runs);
    let minutes = started.elapsed().as_secs_f64() / 60.0;
    let features = if cfg!(feature = "rocksdb") { " --features rocksdb" } else { "" };
    let settle = if args.db_bench_settle { "" } else { " --db_bench_settle=false" };
    let command = format!(
        "cargo run --release -p shale-bench{features} -- report --scale {} --duration {} --runs {}{settle}",
        args.scale, args.duration, args.runs
    );
    let outcomes: Vec<Outcome> = sessions.iter().flat_map(|s| s.outcomes.iter().cloned()).collect();
    let machine = machine();
    let json = ReportJson {
        command: command.clone(),
        machine: machine.clone(),
        minutes,
        sessions: &sessions,
        runs: &runs,
    };
    let bench_dir = args.docs.join("bench");
    session::write_outputs(&bench_dir, &json, &outcomes)?;
    let section = render(&command, &machine, minutes, args.runs, &base, &sessions, &outcomes);
    let md = args.docs.join("benchmarks.md");
    splice(&md, &section)?;
    println!("wrote {} and {} ({minutes:.1} minutes)", md.display(), bench_dir.display());
    Ok(())
}

/// CPU, cores, memory and kernel, as the machine reports them.
pub fn machine() -> String {
    let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
    let cpu = read("/proc/cpuinfo")
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name")?.split_once(':').map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let mem_kb: u64 = read("/proc/meminfo")
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:")?.split_whitespace().next()?.parse().ok())
        .unwrap_or(0);
    let kernel = read("/proc/sys/kernel/osrelease");
    format!("{cpu}, {cores} cores, {:.0} GiB, Linux {}", mem_kb as f64 / 1048576.0, kernel.trim())
}

/// `v` rounded, with thousands separators (`1,234,567`).
pub fn fmt_ops(v: f64) -> String {
    let s = format!("{:.0}", v.max(0.0));
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The generated part of docs/benchmarks.md.
fn render(
    command: &str,
    machine: &str,
    minutes: f64,
    runs: usize,
    f: &Flags,
    sessions: &[SessionReport],
    outcomes: &[Outcome],
) -> String {
    let mut s = String::new();
    let rocks = outcomes.iter().find_map(|o| o.rocksdb.as_ref());
    let rocks_name = rocks.map_or("RocksDB".to_string(), |r| r.result.engine.clone());
    let _ = writeln!(s, "Produced by `{command}` in {minutes:.1} minutes on {machine}.");
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "Each figure is the median of {runs} run{} (each engine's own median run: its latencies and series \
         come from that run; a ratio is of the medians). In every run db_bench follows each Shale \
         workload, and the same-code RocksDB runs the whole plan before or after Shale, in turn.",
        if runs == 1 { "" } else { "s" }
    );
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "Both engines, same run, same disk: {}-byte keys, {}-byte values (half compressible), \
         {} keys, WAL on, sync off (fillsync: every write fsynced), memtable {} MiB x {}, block cache {} MiB, \
         bloom {} bits/key, compression {}, {}-byte blocks, L0 compaction trigger {}, level base {} MiB, \
         table files {} MiB, {} background jobs, {} s per time-bounded workload, seed {}. \
         RocksDB is {rocks_name}{}.",
        f.key_size,
        f.value_size,
        fmt_ops(f.num as f64),
        f.write_buffer_size >> 20,
        f.max_write_buffer_number,
        f.cache_size >> 20,
        f.bloom_bits,
        f.compression.db_bench_name(),
        f.block_size,
        f.level0_trigger,
        f.max_bytes_for_level_base >> 20,
        f.target_file_size_base >> 20,
        f.max_background_jobs,
        f.duration,
        f.seed,
        if rocks.is_some_and(|r| r.assertions_enabled) {
            " (Debian's build, which prints \"Assertions are enabled; benchmarks unnecessarily slow\")"
        } else {
            ""
        },
    );
    let _ = writeln!(s);
    let same_code =
        outcomes.iter().find_map(|o| o.rocksdb_same_code.as_ref()).map(|r| r.engine.clone());
    let lat = |l: &Latency| format!("{:.1} / {:.1} / {:.1}", l.p50, l.p99, l.p999);
    let mut header =
        "| workload | threads | Shale ops/s | RocksDB db_bench ops/s | Shale/db_bench".to_string();
    let mut rule = "|---|---:|---:|---:|---:".to_string();
    if same_code.is_some() {
        header += " | RocksDB same-code ops/s | Shale/same-code";
        rule += "|---:|---:";
    }
    header += " | Shale P50 / P99 / P99.9 µs | db_bench P50 / P99 / P99.9 µs";
    rule += "|---:|---:";
    if same_code.is_some() {
        header += " | same-code P50 / P99 / P99.9 µs";
        rule += "|---:";
    }
    let _ = writeln!(s, "{header} |\n{rule}|");
    for o in outcomes {
        let mut row =
            format!("| {} | {} | {}", o.label, o.result.threads, fmt_ops(o.result.ops_per_sec));
        let ratio = |r: f64| format!("**{r:.2}×**");
        match &o.rocksdb {
            Some(r) => {
                let _ = write!(
                    row,
                    " | {} | {}",
                    fmt_ops(r.result.ops_per_sec),
                    o.ratio.map_or("—".into(), ratio)
                );
            }
            None => row += " | — (no such db_bench workload) | —",
        }
        if same_code.is_some() {
            match &o.rocksdb_same_code {
                Some(r) => {
                    let _ = write!(
                        row,
                        " | {} | {}",
                        fmt_ops(r.ops_per_sec),
                        ratio(o.result.ops_per_sec / r.ops_per_sec.max(1e-9))
                    );
                }
                None => row += " | — | —",
            }
        }
        let _ = write!(
            row,
            " | {} | {}",
            lat(&o.result.latency_us),
            o.rocksdb.as_ref().map_or("—".into(), |r| lat(&r.result.latency_us))
        );
        if same_code.is_some() {
            let _ = write!(
                row,
                " | {}",
                o.rocksdb_same_code.as_ref().map_or("—".into(), |r| lat(&r.latency_us))
            );
        }
        let _ = writeln!(s, "{row} |");
    }
    let _ = writeln!(s);
    match &same_code {
        Some(name) => {
            let _ = writeln!(
                s,
                "\"Same-code\" is {name}, built from source by the `rocksdb` crate and driven by this harness's own \
                 workload code: the exact comparison, and the only RocksDB figure for YCSB (db_bench has no YCSB)."
            );
        }
        None => {
            let _ = writeln!(
                s,
                "db_bench has no YCSB workloads: RocksDB's YCSB figures need the harness built with the `rocksdb` \
                 feature (`cargo run --release -p shale-bench --features rocksdb -- report`), which drives RocksDB with \
                 the same workload code."
            );
        }
    }
    let _ = writeln!(s);
    if let Some(reads) = sessions.get(1) {
        let a = &reads.amplification;
        let _ = writeln!(
            s,
            "Amplification. Write: table (and blob) bytes that flushes and compactions wrote per byte \
             flushed, after each fill and its compactions; RocksDB's is the `Sum` row's W-Amp of its \
             compaction stats, the same definition. {} After the read set (Shale): read {} table blocks \
             from storage per read operation; space {} ({:.0} MiB of tables for {:.0} MiB of live keys \
             and values).",
            write_amps(sessions.iter()),
            a.read.map_or("—".into(), |r| format!("{r:.2}")),
            a.space.map_or("—".into(), |r| format!("{r:.2}")),
            a.table_bytes as f64 / 1048576.0,
            a.live_bytes as f64 / 1048576.0,
        );
        let _ = writeln!(s);
    }
    let _ = writeln!(
        s,
        "Throughput over each run (ops/s per second):\n\n![throughput](bench/throughput.svg)\n"
    );
    let _ = writeln!(s, "Latency percentiles (µs, log scale):\n\n![latency](bench/latency.svg)\n");
    let _ = writeln!(
        s,
        "Every figure, with the per-second series: [`bench/results.json`](bench/results.json)."
    );
    s
}

/// "fillrandom: Shale 1.86, RocksDB 3.20; …" for every fill of the plan that db_bench ran too.
fn write_amps<'a>(sessions: impl Iterator<Item = &'a SessionReport>) -> String {
    let mut seen = std::collections::BTreeSet::new();
    let mut parts = Vec::new();
    for o in sessions.flat_map(|s| s.outcomes.iter()) {
        if !o.label.starts_with("fill") || o.label.starts_with("fillsync") || !seen.insert(&o.label)
        {
            continue;
        }
        let theirs = o.rocksdb.as_ref().and_then(|r| r.write_amplification);
        parts.push(format!(
            "{}: Shale {:.2}, RocksDB {}",
            o.label,
            o.tree.write_amplification,
            theirs.map_or("—".into(), |w| format!("{w:.2}"))
        ));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("{}.", parts.join("; "))
    }
}

/// Replaces the text between the markers in `md` (creating the file or the markers as needed).
fn splice(md: &Path, section: &str) -> BenchResult<()> {
    splice_between(md, BEGIN, END, section)
}

/// Replaces the text between `begin` and `end` in `md`; appends the markers (or creates the
/// file) when they are missing. Everything outside the markers is kept.
pub fn splice_between(md: &Path, begin: &str, end: &str, section: &str) -> BenchResult<()> {
    let old = std::fs::read_to_string(md).unwrap_or_default();
    let block = format!("{begin}\n{section}{end}");
    let new = match (old.find(begin), old.find(end)) {
        (Some(b), Some(e)) if b < e => format!("{}{block}{}", &old[..b], &old[e + end.len()..]),
        _ if old.is_empty() => format!("# Benchmarks\n\n{block}\n"),
        _ => format!("{}\n\n{block}\n", old.trim_end()),
    };
    std::fs::write(md, new)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splice_keeps_hand_written_text() {
        let dir = tempfile::tempdir().unwrap();
        let md = dir.path().join("b.md");
        splice(&md, "one\n").unwrap();
        let first = std::fs::read_to_string(&md).unwrap();
        assert!(first.starts_with("# Benchmarks") && first.contains("one\n"));
        std::fs::write(&md, format!("intro\n{}\n## Analysis\nkept\n", first.trim_end())).unwrap();
        splice(&md, "two\n").unwrap();
        let second = std::fs::read_to_string(&md).unwrap();
        assert!(second.contains("two\n") && !second.contains("one\n"));
        assert!(second.starts_with("intro") && second.ends_with("## Analysis\nkept\n"));
    }

    #[test]
    fn median_index_takes_the_middle_or_the_lower_middle() {
        assert_eq!(median_index(&[5.0, 1.0, 3.0]), 2);
        assert_eq!(median_index(&[4.0, 1.0, 3.0, 2.0]), 3);
        assert_eq!(median_index(&[7.0]), 0);
        assert_eq!(median_index(&[]), 0);
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(fmt_ops(1234567.4), "1,234,567");
        assert_eq!(fmt_ops(999.0), "999");
    }
}
