//! `GET /metrics`: the Prometheus text exposition format (version 0.0.4) of DynamoDB's
//! metrics since the server started, each operation's request latency histogram, and the
//! engine's statistics.
//!
//! - Each DynamoDB metric becomes a summary without quantiles, `shale_dynamodb_<metric>_sum`
//!   and `_count` (the CloudWatch metric's Sum and SampleCount), labelled `table`,
//!   `operation` and `index` as its dimensions are; the provisioned capacities are gauges.
//! - `shale_dynamodb_request_latency_seconds`: a histogram per `operation`.
//! - `shale_engine_*`: levels' files and bytes per keyspace, flush and compaction bytes,
//!   stalls, WAL syncs, block cache hits and misses, write amplification.
//! - `shale_request_trace_*`: the latency breakdown of a sample of the requests
//!   ([`crate::http::trace`]), summed per `service` and `operation`: the requests timed, their
//!   seconds per `stage` (the whole `operation`, and the engine's steps), their engine `event`s
//!   and `bytes`.

use crate::cloudwatch::store::series::SeriesKey;
use crate::dynamodb::metrics::histogram::BOUNDS_MS;
use crate::dynamodb::metrics::{DynamoMetrics, OPERATIONS};
use crate::http::trace::{self, TraceSum};
use shale_engine::DbStats;
use std::collections::BTreeMap;
use std::fmt::Write;

/// The content type of the exposition format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// `SuccessfulRequestLatency` → `successful_request_latency`.
fn snake(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// A label value, escaped.
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

fn labels(key: &SeriesKey) -> String {
    let parts: Vec<String> = key
        .dimensions
        .iter()
        .map(|(n, v)| {
            let n = match n.as_str() {
                "TableName" => "table",
                "Operation" => "operation",
                "GlobalSecondaryIndexName" => "index",
                other => other,
            };
            format!("{n}=\"{}\"", escape(v))
        })
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!("{{{}}}", parts.join(","))
    }
}

/// Renders the page, with `traces`, the sums of the timed requests by (service, operation).
pub fn render(
    metrics: &DynamoMetrics,
    stats: &DbStats,
    traces: &[((&'static str, &'static str), TraceSum)],
) -> String {
    let mut out = String::new();
    let totals = metrics.totals.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let mut families: BTreeMap<String, Vec<(SeriesKey, crate::cloudwatch::store::stats::Stats)>> =
        BTreeMap::new();
    for (k, (s, _)) in totals {
        families.entry(k.name.clone()).or_default().push((k, s));
    }
    for (name, series) in families {
        let base = format!("shale_dynamodb_{}", snake(&name));
        if name.starts_with("Provisioned") {
            let _ = writeln!(out, "# HELP {base} DynamoDB's {name}.\n# TYPE {base} gauge");
            for (k, s) in series {
                let _ = writeln!(out, "{base}{} {}", labels(&k), s.max);
            }
            continue;
        }
        let _ = writeln!(out, "# HELP {base} DynamoDB's {name} (Sum and SampleCount since the start).\n# TYPE {base} summary");
        for (k, s) in series {
            let l = labels(&k);
            let _ = writeln!(out, "{base}_sum{l} {}\n{base}_count{l} {}", s.sum, s.count);
        }
    }
    let h = "shale_dynamodb_request_latency_seconds";
    let _ =
        writeln!(out, "# HELP {h} Latency of successful DynamoDB requests.\n# TYPE {h} histogram");
    for (op, hist) in OPERATIONS.iter().zip(&metrics.latency) {
        let r = hist.read();
        for (b, c) in BOUNDS_MS.iter().zip(&r.cumulative) {
            let _ = writeln!(out, "{h}_bucket{{operation=\"{op}\",le=\"{}\"}} {c}", b / 1000.0);
        }
        let _ = writeln!(out, "{h}_bucket{{operation=\"{op}\",le=\"+Inf\"}} {}", r.count);
        let _ = writeln!(out, "{h}_sum{{operation=\"{op}\"}} {}", r.sum_ms / 1000.0);
        let _ = writeln!(out, "{h}_count{{operation=\"{op}\"}} {}", r.count);
    }
    engine(&mut out, stats);
    request_traces(&mut out, traces);
    out
}

fn request_traces(out: &mut String, traces: &[((&'static str, &'static str), TraceSum)]) {
    let requests = "shale_request_trace_requests_total";
    family(out, requests, "counter", "Requests timed for the latency breakdown (a sample).");
    for ((service, op), sum) in traces {
        let _ = writeln!(
            out,
            "{requests}{{service=\"{service}\",operation=\"{op}\"}} {}",
            sum.requests
        );
    }
    let families = [
        ("seconds", "stage", "Seconds of the timed requests in each stage."),
        ("events", "event", "Engine events of the timed requests."),
        ("bytes", "kind", "Bytes the timed requests read from files or wrote to the WAL."),
    ];
    for (kind, label, help) in families {
        let name = format!("shale_request_trace_{kind}_total");
        family(out, &name, "counter", help);
        for ((service, op), sum) in traces {
            let at = |what: &str| {
                format!("{name}{{service=\"{service}\",operation=\"{op}\",{label}=\"{what}\"}}")
            };
            if kind == "seconds" {
                let _ = writeln!(out, "{} {}", at("operation"), sum.operation_nanos as f64 / 1e9);
                for (step, v) in sum.steps.iter() {
                    let what = step.name().trim_end_matches("_nanos");
                    let _ = writeln!(out, "{} {}", at(what), v as f64 / 1e9);
                }
            }
            for (stat, v) in sum.engine.iter() {
                let (k, what) = trace::prometheus_kind(stat);
                if k == kind {
                    let v = if k == "seconds" { v as f64 / 1e9 } else { v as f64 };
                    let _ = writeln!(out, "{} {v}", at(what));
                }
            }
        }
    }
}

fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

fn engine(out: &mut String, s: &DbStats) {
    family(out, "shale_engine_level_files", "gauge", "Table files per keyspace and level.");
    for ks in &s.keyspaces {
        for (i, l) in ks.levels.iter().enumerate() {
            let _ = writeln!(
                out,
                "shale_engine_level_files{{keyspace=\"{}\",level=\"{i}\"}} {}",
                escape(&ks.name),
                l.files
            );
        }
    }
    family(
        out,
        "shale_engine_level_bytes",
        "gauge",
        "Bytes of table files per keyspace and level.",
    );
    for ks in &s.keyspaces {
        for (i, l) in ks.levels.iter().enumerate() {
            let _ = writeln!(
                out,
                "shale_engine_level_bytes{{keyspace=\"{}\",level=\"{i}\"}} {}",
                escape(&ks.name),
                l.bytes
            );
        }
    }
    family(
        out,
        "shale_engine_memtable_bytes",
        "gauge",
        "Bytes the keyspace's memtables allocated.",
    );
    for ks in &s.keyspaces {
        let _ = writeln!(
            out,
            "shale_engine_memtable_bytes{{keyspace=\"{}\"}} {}",
            escape(&ks.name),
            ks.memtable_bytes
        );
    }
    let counters: [(&str, &str, f64); 15] = [
        ("shale_engine_user_bytes_total", "Bytes of write batches accepted.", s.user_bytes as f64),
        ("shale_engine_flushes_total", "Memtables flushed.", s.flushes as f64),
        ("shale_engine_flush_bytes_total", "Bytes of tables flushes wrote.", s.flush_bytes as f64),
        ("shale_engine_compactions_total", "Compactions run.", s.compactions as f64),
        (
            "shale_engine_compaction_read_bytes_total",
            "Bytes of tables compactions read.",
            s.compaction_read_bytes as f64,
        ),
        (
            "shale_engine_compaction_write_bytes_total",
            "Bytes of tables compactions wrote.",
            s.compaction_write_bytes as f64,
        ),
        (
            "shale_engine_stalls_total",
            "Times a writer stopped for flush or compaction.",
            s.stalls as f64,
        ),
        (
            "shale_engine_stall_seconds_total",
            "Time writers spent stopped.",
            s.stall_micros as f64 / 1e6,
        ),
        ("shale_engine_slowdowns_total", "Writes delayed because L0 was deep.", s.slowdowns as f64),
        ("shale_engine_wal_syncs_total", "WAL fsyncs.", s.wal_syncs as f64),
        ("shale_engine_wal_bytes_total", "Bytes written to the WAL.", s.wal_bytes as f64),
        ("shale_engine_block_cache_hits_total", "Block cache hits.", s.block_cache_hits as f64),
        (
            "shale_engine_block_cache_misses_total",
            "Block cache misses.",
            s.block_cache_misses as f64,
        ),
        ("shale_engine_blocks_read_total", "Blocks read from table files.", s.blocks_read as f64),
        (
            "shale_engine_bloom_negatives_total",
            "Lookups a bloom filter answered absent.",
            s.bloom_negatives as f64,
        ),
    ];
    for (name, help, v) in counters {
        family(out, name, "counter", help);
        let _ = writeln!(out, "{name} {v}");
    }
    // The WAL archive point-in-time recovery restores from (`docs/backup.md`).
    if let Some(a) = &s.archive {
        let gauges: [(&str, &str, f64); 5] = [
            ("shale_engine_archive_files", "Archived WAL files.", a.files as f64),
            ("shale_engine_archive_bytes", "Bytes of archived WAL files.", a.file_bytes as f64),
            ("shale_engine_archive_bases", "Base checkpoints in the archive.", a.bases as f64),
            (
                "shale_engine_archive_retention_seconds",
                "How far back the archive keeps the log (0: dormant).",
                a.retention_ms as f64 / 1e3,
            ),
            (
                "shale_engine_archive_earliest_restorable_seconds",
                "The earliest restorable instant, seconds since the epoch (0: none yet).",
                a.earliest_restorable_ms.map_or(0.0, |ms| ms as f64 / 1e3),
            ),
        ];
        for (name, help, v) in gauges {
            family(out, name, "gauge", help);
            let _ = writeln!(out, "{name} {v}");
        }
        family(
            out,
            "shale_engine_archive_removed_total",
            "counter",
            "Archived files and bases removed by retention or the size bound.",
        );
        let _ = writeln!(out, "shale_engine_archive_removed_total {}", a.removed);
    }
    let gauges: [(&str, &str, f64); 3] = [
        (
            "shale_engine_block_cache_usage_bytes",
            "Bytes the block cache holds.",
            s.block_cache_usage as f64,
        ),
        (
            "shale_engine_block_cache_capacity_bytes",
            "The block cache's capacity.",
            s.block_cache_capacity as f64,
        ),
        (
            "shale_engine_write_amplification",
            "Bytes written to storage per byte written by users.",
            s.write_amplification(),
        ),
    ];
    for (name, help, v) in gauges {
        family(out, name, "gauge", help);
        let _ = writeln!(out, "{name} {v}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_labels() {
        assert_eq!(snake("SuccessfulRequestLatency"), "successful_request_latency");
        let k = SeriesKey::new("AWS/DynamoDB", "X", vec![("TableName".into(), "a\"b".into())]);
        assert_eq!(labels(&k), "{table=\"a\\\"b\"}");
    }
}
