//! RocksDB's own `db_bench` (Debian's rocksdb-tools ships RocksDB 7.8's): the command line that
//! gives it our parameters, and parsers for its output (which our own output also follows).

use crate::engine::BenchResult;
use crate::flags::Flags;
use crate::runner::{Latency, RunResult};
use crate::workload::Workload;
use std::path::Path;
use std::process::Command;

/// What a db_bench run printed about one workload.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DbBenchRun {
    pub result: RunResult,
    /// RocksDB's version line (`7.8.3`).
    pub version: String,
    /// The `Sum` row's W-Amp of RocksDB's compaction stats (after `waitforcompaction`).
    pub write_amplification: Option<f64>,
    /// Files and bytes per level from the same table.
    pub levels: Vec<(usize, u64)>,
    /// db_bench built with assertions enabled (it says so; it slows RocksDB down).
    pub assertions_enabled: bool,
}

/// The db_bench arguments for `workload` with the flags' parameters, on `dir`.
pub fn args(
    flags: &Flags,
    workload: Workload,
    index: usize,
    dir: &Path,
    report_file: &Path,
) -> Vec<String> {
    let threads = flags.threads.max(1);
    // After a write workload, let compaction settle (db_bench sleeps ~5 s for it) so that the
    // stats' W-Amp covers the workload's compactions, as Shale's figure does.
    let wait = if workload.writes() && flags.db_bench_settle { ",waitforcompaction" } else { "" };
    let mut a = vec![
        format!("--benchmarks={}{wait},stats", workload.name()),
        format!("--db={}", dir.display()),
        format!("--use_existing_db={}", u8::from(!workload.fresh_db())),
        format!("--num={}", flags.num),
        format!("--reads={}", flags.reads()),
        format!("--threads={threads}"),
        format!("--key_size={}", flags.key_size),
        format!("--value_size={}", flags.value_size),
        format!("--compression_type={}", flags.compression.db_bench_name()),
        format!("--cache_size={}", flags.cache_size),
        format!("--mmap_read={}", u8::from(flags.mmap_read)),
        format!("--write_buffer_size={}", flags.write_buffer_size),
        format!("--max_write_buffer_number={}", flags.max_write_buffer_number),
        format!("--sync={}", u8::from(flags.sync)),
        format!("--duration={}", flags.duration),
        format!("--bloom_bits={}", flags.bloom_bits),
        format!("--block_size={}", flags.block_size),
        format!("--seek_nexts={}", flags.seek_nexts),
        format!("--level0_file_num_compaction_trigger={}", flags.level0_trigger),
        format!("--level0_slowdown_writes_trigger={}", flags.level0_slowdown),
        format!("--level0_stop_writes_trigger={}", flags.level0_stop),
        format!("--max_bytes_for_level_base={}", flags.max_bytes_for_level_base),
        format!("--target_file_size_base={}", flags.target_file_size_base),
        format!("--max_background_jobs={}", flags.max_background_jobs),
        format!("--enable_blob_files={}", u8::from(flags.enable_blob_files)),
        format!("--min_blob_size={}", flags.min_blob_size),
        format!("--enable_blob_garbage_collection={}", u8::from(flags.enable_blob_files)),
        "--histogram=1".to_string(),
        "--report_interval_seconds=1".to_string(),
        format!("--report_file={}", report_file.display()),
    ];
    if flags.direct_io {
        a.push("--use_direct_reads=1".to_string());
        a.push("--use_direct_io_for_flush_and_compaction=1".to_string());
    }
    if workload == Workload::MultiReadRandom {
        a.push(format!("--batch_size={}", flags.batch_size.max(1)));
        a.push("--multiread_batched=1".to_string());
    }
    if workload == Workload::FillSync {
        // db_bench 7.8 divides `num` (the key range) by 1000 for fillsync but keeps the write
        // count at the original `--num`: say the count explicitly.
        a.push(format!("--writes={}", workload.ops_per_thread(flags.num, flags.reads())));
    }
    // db_bench seeds thread t with seed + t: one process per workload with one seed would replay
    // the fill's key sequence in the reads. Each workload gets its own range of seeds, as the
    // threads of consecutive benchmarks in one db_bench process do.
    a.push(format!("--seed={}", flags.seed.wrapping_add(1000 * (index as u64 + 1))));
    a
}

/// Runs `bin` (db_bench) for one workload on `dir` and parses what it printed.
pub fn run(
    bin: &str,
    flags: &Flags,
    workload: Workload,
    index: usize,
    dir: &Path,
) -> BenchResult<DbBenchRun> {
    if !workload.in_db_bench() {
        return Err(format!("db_bench has no {} workload", workload.name()).into());
    }
    std::fs::create_dir_all(dir)?;
    let report = dir.with_extension("report.csv");
    let out = Command::new(bin)
        .args(args(flags, workload, index, dir, &report))
        .output()
        .map_err(|e| format!("cannot run {bin}: {e} (install Debian's rocksdb-tools)"))?;
    // The header (version, warnings) goes to stderr, the results to stdout.
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    if !out.status.success() {
        return Err(format!("{bin} failed ({}): {text}", out.status).into());
    }
    let mut run = parse_output(&text, workload.name())
        .ok_or_else(|| format!("no result line for {} in db_bench's output", workload.name()))?;
    run.result.threads = flags.threads.max(1);
    if let Ok(csv) = std::fs::read_to_string(&report) {
        run.result.throughput = parse_report_csv(&csv);
    }
    let _ = std::fs::remove_file(&report);
    Ok(run)
}

/// Parses a db_bench result line: `name : X micros/op Y ops/sec S seconds N operations; M MB/s
/// (F of R found)`.
pub fn parse_result_line(line: &str) -> Option<RunResult> {
    let (name, rest) = line.split_once(" : ")?;
    let t: Vec<&str> = rest.split_whitespace().collect();
    let num_before = |word: &str| -> Option<f64> {
        let i = t.iter().position(|w| w.trim_end_matches(';') == word)?;
        t.get(i.checked_sub(1)?)?.parse().ok()
    };
    let found = line.rfind('(').and_then(|i| {
        let inner = line[i + 1..].trim_end().strip_suffix("found)")?;
        let (f, of) = inner.trim().split_once(" of ")?;
        Some((f.trim().parse().ok()?, of.trim().parse().ok()?))
    });
    Some(RunResult {
        workload: name.trim().to_string(),
        micros_per_op: num_before("micros/op")?,
        ops_per_sec: num_before("ops/sec")?,
        seconds: num_before("seconds")?,
        ops: num_before("operations")? as u64,
        mb_per_sec: num_before("MB/s").unwrap_or(0.0),
        found,
        ..RunResult::default()
    })
}

/// Parses `Percentiles: P50: a P75: b P99: c P99.9: d P99.99: e` (microseconds).
pub fn parse_percentiles(line: &str) -> Option<Latency> {
    let rest = line.trim().strip_prefix("Percentiles:")?;
    let t: Vec<&str> = rest.split_whitespace().collect();
    let get = |label: &str| -> Option<f64> {
        let i = t.iter().position(|w| *w == label)?;
        t.get(i + 1)?.parse().ok()
    };
    Some(Latency {
        p50: get("P50:")?,
        p75: get("P75:")?,
        p99: get("P99:")?,
        p999: get("P99.9:")?,
        p9999: get("P99.99:")?,
        ..Latency::default()
    })
}

fn size_bytes(value: &str, unit: &str) -> Option<u64> {
    let v: f64 = value.parse().ok()?;
    let m = match unit {
        "B" => 1.0,
        "KB" => 1024.0,
        "MB" => 1048576.0,
        "GB" => 1073741824.0,
        "TB" => 1099511627776.0,
        _ => return None,
    };
    Some((v * m) as u64)
}

/// Parses the first `** Compaction Stats **` level table: per level (files, bytes) and the `Sum`
/// row's W-Amp.
pub fn parse_compaction_stats(out: &str) -> (Vec<(usize, u64)>, Option<f64>) {
    let mut lines = out.lines().skip_while(|l| !l.starts_with("** Compaction Stats"));
    let header = lines.nth(1).unwrap_or_default();
    // The Size column prints as two tokens ("8.78 MB"), so data columns sit one to the right.
    let wamp_col = header.split_whitespace().position(|h| h == "W-Amp").map(|i| i + 1);
    let mut levels = Vec::new();
    let mut wamp = None;
    for line in lines.skip(1) {
        let t: Vec<&str> = line.split_whitespace().collect();
        let Some(first) = t.first() else { break };
        if let Some(n) = first.strip_prefix('L').and_then(|n| n.parse::<usize>().ok()) {
            let files = t.get(1).and_then(|f| f.split('/').next()?.parse().ok()).unwrap_or(0);
            let bytes = match (t.get(2), t.get(3)) {
                (Some(v), Some(u)) => size_bytes(v, u).unwrap_or(0),
                _ => 0,
            };
            if levels.len() <= n {
                levels.resize(n + 1, (0, 0));
            }
            levels[n] = (files, bytes);
        } else if *first == "Sum" {
            wamp = wamp_col.and_then(|c| t.get(c)?.parse().ok());
        } else {
            break;
        }
    }
    (levels, wamp)
}

/// Parses db_bench's whole output for workload `name`.
pub fn parse_output(out: &str, name: &str) -> Option<DbBenchRun> {
    // Progress lines end in '\r', not '\n'.
    let lines: Vec<&str> = out.split(['\n', '\r']).collect();
    let at = lines.iter().position(|l| parse_result_line(l).is_some_and(|r| r.workload == name))?;
    let mut result = parse_result_line(lines[at])?;
    for l in &lines[at..] {
        if let Some(lat) = parse_percentiles(l) {
            result.latency_us =
                Latency { max: result.latency_us.max, mean: result.latency_us.mean, ..lat };
            break;
        }
        let t: Vec<&str> = l.split_whitespace().collect();
        if t.first() == Some(&"Min:") {
            if let Some(max) =
                t.iter().position(|w| *w == "Max:").and_then(|i| t.get(i + 1)?.parse().ok())
            {
                result.latency_us.max = max;
            }
        }
        if t.first() == Some(&"Count:") {
            if let Some(avg) =
                t.iter().position(|w| *w == "Average:").and_then(|i| t.get(i + 1)?.parse().ok())
            {
                result.latency_us.mean = avg;
            }
        }
    }
    let version = lines
        .iter()
        .find_map(|l| l.trim().strip_prefix("RocksDB:")?.trim().strip_prefix("version "))
        .unwrap_or("?")
        .trim()
        .to_string();
    result.engine = format!("RocksDB {version} (db_bench)");
    let (levels, write_amplification) = parse_compaction_stats(out);
    Some(DbBenchRun {
        result,
        version,
        write_amplification,
        levels,
        assertions_enabled: out.contains("Assertions are enabled"),
    })
}

/// Parses `--report_file`: `secs_elapsed,interval_qps` rows.
pub fn parse_report_csv(csv: &str) -> Vec<f64> {
    csv.lines().skip(1).filter_map(|l| l.split(',').nth(1)?.trim().parse().ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "RocksDB:    version 7.8.3\n\
WARNING: Assertions are enabled; benchmarks unnecessarily slow\n\
... finished 100 ops\r... finished 200 ops\rreadrandom   :       6.549 micros/op 152538 ops/sec 1.311 seconds 200000 operations;   10.8 MB/s (126452 of 200000 found)\n\
\n\
Microseconds per read:\n\
Count: 200000 Average: 6.5498  StdDev: 3.41\n\
Min: 0  Median: 5.9144  Max: 209\n\
Percentiles: P50: 5.91 P75: 8.58 P99: 14.75 P99.9: 32.44 P99.99: 51.00\n\
\n\
** Compaction Stats [default] **\n\
Level    Files   Size     Score Read(GB)  Rn(GB) Rnp1(GB) Write(GB) Wnew(GB) Moved(GB) W-Amp Rd(MB/s)\n\
-------------------------------------------------------------------------------------------------------\n\
  L0      3/0    8.78 MB   0.8      0.0     0.0      0.0       0.0      0.0       0.0   1.0      0.0\n\
  L1      1/0    9.70 MB   0.0      0.0     0.0      0.0       0.0      0.0       0.0   0.8    205.7\n\
 Sum      4/0   18.48 MB   0.0      0.0     0.0      0.0       0.0      0.0       0.0   1.5     83.9\n\
 Int      0/0    0.00 KB   0.0      0.0     0.0      0.0       0.0      0.0       0.0   1.5     83.9\n";

    #[test]
    fn parses_db_bench_output() {
        let run = parse_output(SAMPLE, "readrandom").unwrap();
        let r = &run.result;
        assert_eq!(r.workload, "readrandom");
        assert_eq!(r.ops, 200_000);
        assert_eq!(r.ops_per_sec, 152_538.0);
        assert!((r.micros_per_op - 6.549).abs() < 1e-9);
        assert!((r.seconds - 1.311).abs() < 1e-9);
        assert!((r.mb_per_sec - 10.8).abs() < 1e-9);
        assert_eq!(r.found, Some((126_452, 200_000)));
        assert_eq!(r.latency_us.p99, 14.75);
        assert_eq!(r.latency_us.p9999, 51.0);
        assert_eq!(r.latency_us.max, 209.0);
        assert_eq!(r.latency_us.mean, 6.5498);
        assert_eq!(run.version, "7.8.3");
        assert!(run.assertions_enabled);
        assert_eq!(run.write_amplification, Some(1.5));
        assert_eq!(run.levels.len(), 2);
        assert_eq!(run.levels[0].0, 3);
        assert_eq!(run.levels[1].1, (9.70 * 1048576.0) as u64);
        assert!(parse_output(SAMPLE, "fillseq").is_none());
    }

    #[test]
    fn our_lines_parse_as_db_bench_lines() {
        let r = RunResult {
            workload: "seekrandom".into(),
            ops: 1000,
            seconds: 0.5,
            ops_per_sec: 2000.0,
            micros_per_op: 500.0,
            mb_per_sec: 0.2,
            found: Some((600, 1000)),
            latency_us: Latency {
                p50: 1.0,
                p75: 2.0,
                p99: 3.5,
                p999: 4.0,
                p9999: 5.0,
                ..Latency::default()
            },
            ..RunResult::default()
        };
        let back = parse_result_line(&r.line()).unwrap();
        assert_eq!(
            (back.workload.as_str(), back.ops, back.found),
            ("seekrandom", 1000, Some((600, 1000)))
        );
        assert_eq!(back.ops_per_sec, 2000.0);
        let lat = parse_percentiles(&r.latency_us.line()).unwrap();
        assert_eq!(lat.p99, 3.5);
    }

    #[test]
    fn parses_report_csv() {
        assert_eq!(
            parse_report_csv("secs_elapsed,interval_qps\n1,152538\n2,100\n"),
            vec![152538.0, 100.0]
        );
    }

    #[test]
    fn write_workloads_wait_for_compaction_unless_told_not_to() {
        use crate::flags::Cli;
        use clap::Parser;
        let mut flags = Cli::parse_from(["shale-bench"]).flags;
        let dir = Path::new("/tmp/db");
        let benchmarks = |f: &Flags, w: Workload| args(f, w, 0, dir, Path::new("/tmp/r")).remove(0);
        assert_eq!(
            benchmarks(&flags, Workload::FillRandom),
            "--benchmarks=fillrandom,waitforcompaction,stats"
        );
        assert_eq!(benchmarks(&flags, Workload::ReadRandom), "--benchmarks=readrandom,stats");
        flags.db_bench_settle = false;
        assert_eq!(benchmarks(&flags, Workload::FillRandom), "--benchmarks=fillrandom,stats");
    }
}
