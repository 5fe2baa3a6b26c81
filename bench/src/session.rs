//! A benchmark session: the workloads of `--benchmarks` in order on one database, each optionally
//! followed by RocksDB's db_bench with the same parameters; db_bench-style output, then the tree
//! and its amplification, the JSON file and the charts.

use crate::charts::{self, Panel};
use crate::dbbench::{self, DbBenchRun};
use crate::engine::{self, BenchResult, Engine, EngineStats};
use crate::flags::Flags;
use crate::runner::{self, RunResult};
use crate::workload::Workload;
use serde::Serialize;
use std::io::Write;
use std::path::Path;

/// RocksDB's figures for one workload, from db_bench.
#[derive(Debug, Clone, Serialize)]
pub struct RocksFigures {
    pub result: RunResult,
    pub write_amplification: Option<f64>,
    pub levels: Vec<(usize, u64)>,
    pub assertions_enabled: bool,
}

/// One workload's figures.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    /// The workload's label (its name, plus the thread count when it differs between runs).
    pub label: String,
    /// The engine this session ran (Shale unless `--engine` says otherwise).
    pub result: RunResult,
    /// The tree after the workload and its compactions.
    pub tree: EngineStats,
    pub rocksdb: Option<RocksFigures>,
    /// RocksDB driven by this harness's own workload code (`report` with the `rocksdb` feature).
    pub rocksdb_same_code: Option<RunResult>,
    /// This engine's ops/s over db_bench's.
    pub ratio: Option<f64>,
}

/// What the session measured at the end.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Amplification {
    /// Table bytes written (flush + compaction) per byte flushed, since the last fresh database.
    pub write: f64,
    /// Table blocks read from storage per read operation, over the read workloads.
    pub read: Option<f64>,
    /// Table bytes on disk per byte of live user data (keys + values, from a full scan).
    pub space: Option<f64>,
    pub table_bytes: u64,
    pub live_bytes: u64,
}

/// Everything a session measured: the JSON file.
#[derive(Debug, Clone, Serialize)]
pub struct SessionReport {
    pub settings: Flags,
    pub seed: u64,
    pub engine: String,
    pub outcomes: Vec<Outcome>,
    pub amplification: Amplification,
}

/// Runs `workloads` with `flags`, printing db_bench-style lines to `out`.
pub fn run(flags: &Flags, out: &mut dyn Write) -> BenchResult<SessionReport> {
    let workloads = flags
        .benchmarks
        .iter()
        .filter(|n| !n.is_empty())
        .map(|n| Workload::parse(n).ok_or_else(|| format!("unknown benchmark {n:?}")))
        .collect::<Result<Vec<_>, _>>()?;
    let mut flags = flags.clone();
    if flags.seed == 0 {
        flags.seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_micros() as u64)
            .unwrap_or(1);
        writeln!(out, "Set seed to {} because --seed was 0", flags.seed)?;
    }
    let compare = flags.compare.clone();
    print_header(&flags, out)?;
    let shale_dir = flags.db.join(format!("{:?}", flags.engine).to_lowercase());
    let rocks_dir = flags.db.join("rocksdb-db_bench");
    let mut engine: Option<Box<dyn Engine>> = None;
    let mut outcomes = Vec::new();
    let (mut read_ops, mut read_blocks) = (0u64, 0f64);
    for (i, w) in workloads.iter().copied().enumerate() {
        if engine.is_none() || w.fresh_db() {
            drop(engine.take());
            engine = Some(engine::open(&flags, &shale_dir, w.fresh_db())?);
        }
        let Some(e) = engine.as_deref() else { continue };
        let shale = runner::run(e, &flags, w, i)?;
        e.wait_idle()?;
        writeln!(out, "{}", shale.line())?;
        writeln!(out, "{}", shale.latency_us.line())?;
        if let Some(b) = shale.blocks_read_per_op {
            read_ops += shale.ops;
            read_blocks += b * shale.ops as f64;
        }
        let rocksdb = match compare.as_deref() {
            Some(bin) if w.in_db_bench() => {
                let DbBenchRun { result, write_amplification, levels, assertions_enabled, .. } =
                    dbbench::run(bin, &flags, w, i, &rocks_dir)?;
                writeln!(out, "  RocksDB db_bench: {}", result.line())?;
                writeln!(out, "  RocksDB db_bench: {}", result.latency_us.line())?;
                Some(RocksFigures { result, write_amplification, levels, assertions_enabled })
            }
            Some(_) => {
                writeln!(out, "  (db_bench has no {} workload)", w.name())?;
                None
            }
            None => None,
        };
        let ratio = rocksdb.as_ref().map(|r| shale.ops_per_sec / r.result.ops_per_sec.max(1e-9));
        if let (Some(ratio), Some(r)) = (ratio, &rocksdb) {
            writeln!(
                out,
                "  Shale/RocksDB: ops/s {ratio:.2}x; P50 {:.2}x P99 {:.2}x P99.9 {:.2}x (latency: lower is better)",
                shale.latency_us.p50 / r.result.latency_us.p50.max(1e-9),
                shale.latency_us.p99 / r.result.latency_us.p99.max(1e-9),
                shale.latency_us.p999 / r.result.latency_us.p999.max(1e-9),
            )?;
        }
        outcomes.push(Outcome {
            label: w.name().to_string(),
            result: shale,
            tree: e.stats(),
            rocksdb,
            rocksdb_same_code: None,
            ratio,
        });
    }
    let mut amplification = Amplification::default();
    if let Some(e) = engine.as_deref() {
        let stats = e.stats();
        writeln!(out, "\n{}", stats.report.trim_end())?;
        amplification = amplify(e, &stats, read_ops, read_blocks)?;
        writeln!(
            out,
            "amplification: write {:.2}, read {} blocks/op, space {} ({:.1} MB of tables for {:.1} MB of live data)",
            amplification.write,
            amplification.read.map_or("-".to_string(), |r| format!("{r:.3}")),
            amplification.space.map_or("-".to_string(), |s| format!("{s:.2}")),
            amplification.table_bytes as f64 / 1048576.0,
            amplification.live_bytes as f64 / 1048576.0,
        )?;
    }
    let report = SessionReport {
        seed: flags.seed,
        engine: engine.as_deref().map(|e| e.name()).unwrap_or_default(),
        settings: flags,
        outcomes,
        amplification,
    };
    Ok(report)
}

fn print_header(flags: &Flags, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "Keys:       {} bytes each", flags.key_size)?;
    writeln!(out, "Values:     {} bytes each (half compressible)", flags.value_size)?;
    writeln!(out, "Entries:    {}", flags.num)?;
    writeln!(
        out,
        "Settings:   WAL on, sync {}, memtable {} MB x {}, block cache {} MB, bloom {} bits/key, \
         compression {}, block {} B, L0 trigger {}, level base {} MB, table {} MB, {} background jobs",
        if flags.sync { "on" } else { "off (fillsync: on)" },
        flags.write_buffer_size >> 20,
        flags.max_write_buffer_number,
        flags.cache_size >> 20,
        flags.bloom_bits,
        flags.compression.db_bench_name(),
        flags.block_size,
        flags.level0_trigger,
        flags.max_bytes_for_level_base >> 20,
        flags.target_file_size_base >> 20,
        flags.max_background_jobs,
    )?;
    writeln!(out, "------------------------------------------------")
}

/// Space amplification needs the live data: one full scan, after the timed workloads.
fn amplify(
    e: &dyn Engine,
    stats: &EngineStats,
    read_ops: u64,
    read_blocks: f64,
) -> BenchResult<Amplification> {
    let mut live = 0u64;
    e.scan(None, false, u64::MAX, &mut |k, v| live += (k.len() + v.len()) as u64)?;
    Ok(Amplification {
        write: stats.write_amplification,
        read: (read_ops > 0).then(|| read_blocks / read_ops as f64),
        space: (live > 0).then(|| stats.table_bytes as f64 / live as f64),
        table_bytes: stats.table_bytes,
        live_bytes: live,
    })
}

/// Writes `results.json`, `throughput.svg` and `latency.svg` into `dir`.
pub fn write_outputs<T: Serialize>(dir: &Path, json: &T, outcomes: &[Outcome]) -> BenchResult<()> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join("results.json"), serde_json::to_vec_pretty(json)?)?;
    let panels: Vec<Panel> = outcomes
        .iter()
        .map(|o| {
            let mut runs = vec![&o.result];
            runs.extend(o.rocksdb.as_ref().map(|r| &r.result));
            runs.extend(o.rocksdb_same_code.as_ref());
            Panel { workload: o.label.clone(), runs }
        })
        .collect();
    charts::throughput(&dir.join("throughput.svg"), &panels)?;
    charts::latency(&dir.join("latency.svg"), &panels)?;
    Ok(())
}

/// Draws the charts of a results file (a session's, or the report's with its `sessions`).
pub fn redraw_charts(from: &Path, out: &Path) -> BenchResult<()> {
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(from)?)?;
    let sessions: Vec<&serde_json::Value> = match v.get("sessions").and_then(|s| s.as_array()) {
        Some(list) => list.iter().collect(),
        None => vec![&v],
    };
    let run = |x: Option<&serde_json::Value>| -> BenchResult<Option<RunResult>> {
        Ok(match x {
            Some(x) if !x.is_null() => Some(serde_json::from_value(x.clone())?),
            _ => None,
        })
    };
    let mut rows: Vec<(String, Vec<RunResult>)> = Vec::new();
    for o in sessions
        .iter()
        .flat_map(|s| s.get("outcomes").and_then(|o| o.as_array()).into_iter().flatten())
    {
        let label = o.get("label").and_then(|l| l.as_str()).unwrap_or("?").to_string();
        let mut runs = Vec::new();
        runs.extend(run(o.get("result"))?);
        runs.extend(run(o.get("rocksdb").and_then(|r| r.get("result")))?);
        runs.extend(run(o.get("rocksdb_same_code"))?);
        rows.push((label, runs));
    }
    let panels: Vec<Panel> = rows
        .iter()
        .map(|(label, runs)| Panel { workload: label.clone(), runs: runs.iter().collect() })
        .collect();
    std::fs::create_dir_all(out)?;
    charts::throughput(&out.join("throughput.svg"), &panels)?;
    charts::latency(&out.join("latency.svg"), &panels)?;
    Ok(())
}
