//! The results as terminal lines, a terminal table, the targets, and the markdown
//! section of `docs/benchmarks.md`.

use super::phases::{ClosedResult, CpuUse, OpenResult};
use super::requests::{Op, PARTITION_ITEMS};
use super::TargetResult;
use crate::flags::DynamoArgs;
use crate::runner::Latency;
use std::fmt::Write as _;

/// The GetItem throughput target: this many times dynalite's.
const THROUGHPUT_RATIO_TARGET: f64 = 10.0;
/// The open-loop GetItem P99 target, microseconds.
const P99_TARGET_US: f64 = 1000.0;
/// Achieved below this fraction of the offered rate: the rate was not sustained.
const SUSTAINED: f64 = 0.99;

/// Every closed-loop phase, in the order they run.
const OPS: [Op; 4] = [Op::Get, Op::Query, Op::QueryIndex, Op::Put];

/// The closed-loop phases of a run: the Query of an index only on a table with one.
pub(crate) fn ops(args: &DynamoArgs) -> Vec<Op> {
    OPS.into_iter().filter(|op| *op != Op::QueryIndex || args.gsis > 0).collect()
}

/// "server + client + other" cores, "?" where unknown.
fn cpu(c: &CpuUse) -> String {
    let f = |v: Option<f64>| v.map_or("?".into(), |v| format!("{v:.2}"));
    format!("{} + {} + {}", f(c.server), f(c.client), f(c.other))
}

fn lat(l: &Latency) -> String {
    format!("{:.0} / {:.0} / {:.0}", l.p50, l.p99, l.p999)
}

/// The live line of a closed-loop phase.
pub(crate) fn closed_line(r: &ClosedResult, connections: usize) -> String {
    format!(
        "{:<8} closed loop, {connections} conns: {:>8.0} ops/s ({} requests) | P50 / P99 / P99.9 {} µs | errors {}",
        r.op.label(),
        r.ops_per_sec,
        r.ops,
        lat(&r.latency),
        r.errors
    )
}

/// The live line of the open-loop phase.
pub(crate) fn open_line(r: &OpenResult) -> String {
    format!(
        "GetItem  open loop at {}/s: achieved {:.0}/s ({} requests, {} missed) | P50 / P99 / P99.9 {} µs (of which send lag {} µs) | errors {}",
        r.offered,
        r.achieved,
        r.ops,
        r.missed,
        lat(&r.latency),
        lat(&r.send_lag),
        r.errors
    )
}

/// The first dynalite target: the baseline of the ratios.
fn baseline(results: &[TargetResult]) -> Option<&TargetResult> {
    results.iter().find(|r| r.name.starts_with("dynalite"))
}

/// `ops` over the baseline's throughput of `op`, as "12.3×".
fn ratio(results: &[TargetResult], op: Op, ops: f64) -> String {
    baseline(results)
        .and_then(|b| b.closed(op))
        .filter(|b| b.ops_per_sec > 0.0)
        .map_or("—".into(), |b| format!("{:.1}×", ops / b.ops_per_sec))
}

/// One table row: (operation, target, ops/s, latency, errors, ratio, CPU).
type Row = [String; 7];

fn rows(results: &[TargetResult], args: &DynamoArgs) -> Vec<Row> {
    let mut rows = Vec::new();
    for op in OPS {
        for r in results {
            if let Some(c) = r.closed(op) {
                rows.push([
                    format!("{} closed loop", op.label()),
                    r.name.clone(),
                    format!("{:.0}", c.ops_per_sec),
                    lat(&c.latency),
                    c.errors.to_string(),
                    ratio(results, op, c.ops_per_sec),
                    cpu(&c.cpu),
                ]);
            }
        }
    }
    for r in results {
        let o = &r.open;
        let missed = if o.missed > 0 { format!(" ({} missed)", o.missed) } else { String::new() };
        rows.push([
            format!("GetItem open loop at {}/s", args.rate),
            r.name.clone(),
            format!("{:.0}{missed}", o.achieved),
            format!("{} (send lag {})", lat(&o.latency), lat(&o.send_lag)),
            o.errors.to_string(),
            "—".into(),
            cpu(&o.cpu),
        ]);
    }
    rows
}

fn header() -> Row {
    [
        "operation",
        "target",
        "ops/s",
        "P50 / P99 / P99.9 µs",
        "errors",
        "vs dynalite",
        "CPU cores server + client + other",
    ]
    .map(String::from)
}

/// The results as an aligned plain-text table.
pub(crate) fn text_table(results: &[TargetResult], args: &DynamoArgs) -> String {
    let mut all = vec![header()];
    all.extend(rows(results, args));
    let widths: Vec<usize> = (0..header().len())
        .map(|i| all.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let mut s = String::new();
    for row in &all {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (c, w))| if i < 2 { format!("{c:<w$}") } else { format!("{c:>w$}") })
            .collect();
        let _ = writeln!(s, "{}", cells.join("  ").trim_end());
    }
    s
}

/// Server CPU microseconds per closed-loop request of `op`, when known.
fn cpu_per_request(r: &TargetResult, op: Op) -> Option<f64> {
    let c = r.closed(op)?;
    Some(c.cpu.server? * 1e6 / c.ops_per_sec.max(1e-9))
}

/// Server CPU per request of each operation and target, and Shale's advantage in it: the
/// comparison that does not depend on how much CPU the load generator leaves the server.
pub(crate) fn cpu_lines(results: &[TargetResult]) -> Vec<String> {
    let base = baseline(results);
    OPS.iter()
        .filter_map(|&op| {
            let cells: Vec<String> = results
                .iter()
                .filter_map(|r| {
                    let us = cpu_per_request(r, op)?;
                    let vs = base
                        .filter(|b| b.name != r.name)
                        .and_then(|b| Some((b.name.as_str(), cpu_per_request(b, op)?)))
                        .map_or(String::new(), |(name, b)| {
                            format!(" ({name}: {:.1}× as much)", b / us)
                        });
                    Some(format!("{} {us:.0} µs{vs}", r.name))
                })
                .collect();
            (!cells.is_empty())
                .then(|| format!("server CPU per {}: {}", op.label(), cells.join(", ")))
        })
        .collect()
}

/// Whether each Shale target met the targets, one line each.
pub(crate) fn verdicts(results: &[TargetResult], args: &DynamoArgs) -> Vec<String> {
    let base = baseline(results).and_then(|b| b.closed(Op::Get)).map(|c| c.ops_per_sec);
    let yes = |ok: bool| if ok { "met" } else { "MISSED" };
    results
        .iter()
        .filter(|r| r.name.starts_with("shale"))
        .map(|r| {
            let get = r.closed(Op::Get).map_or(0.0, |c| c.ops_per_sec);
            let throughput = match base {
                Some(b) if b > 0.0 => {
                    let x = get / b;
                    format!("{} ({x:.1}×)", yes(x >= THROUGHPUT_RATIO_TARGET))
                }
                _ => "not compared (no dynalite target)".into(),
            };
            let o = &r.open;
            let sustained = o.achieved >= SUSTAINED * o.offered as f64;
            let p99_ok = sustained && o.latency.p99 < P99_TARGET_US;
            format!(
                "{}: GetItem throughput ≥ {THROUGHPUT_RATIO_TARGET:.0}× dynalite: {throughput}; \
                 GetItem P99 < 1 ms at {}/s: {} (P99 {:.0} µs, achieved {:.0}/s)",
                r.name,
                args.rate,
                yes(p99_ok),
                o.latency.p99,
                o.achieved
            )
        })
        .collect()
}

/// The generated section of the markdown file.
pub(crate) fn markdown(command: &str, results: &[TargetResult], args: &DynamoArgs) -> String {
    let mut s = String::new();
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let _ = writeln!(
        s,
        "Produced by `{command}` on {}. Client and servers share the machine's {cores} cores \
         (the load generator's threads compete with the server for CPU) and talk over loopback.",
        crate::report::machine()
    );
    let _ = writeln!(s);
    let _ = writeln!(s, "Servers, each launched fresh and measured alone, one after the other:");
    let _ = writeln!(s);
    for r in results {
        let _ = writeln!(
            s,
            "- **{}**: {}. Loaded in {:.1} s ({:.0} items/s).",
            r.name,
            r.settings,
            r.load_secs,
            r.items as f64 / r.load_secs.max(1e-9)
        );
    }
    let _ = writeln!(s);
    let items = results.first().map_or(0, |r| r.items);
    if let Some(view) = &args.stream_view {
        let _ = writeln!(
            s,
            "The table has a DynamoDB stream (`StreamViewType` {view}): every write also writes              its stream record, in the same atomic batch."
        );
        let _ = writeln!(s);
    }
    if args.gsis > 0 {
        let _ = writeln!(
            s,
            "The table has {} global secondary indexes `gsi0`..`gsi{}` (hash key `g<j>`, a string \
             of {} distinct values; projection ALL), and every item has each attribute: each \
             PutItem writes new values, so it moves the item in every index (a delete and a put \
             of an entry per index, in the same atomic batch). \"Query on gsi0\" reads the items \
             of one random `g0` value (about {} of them).",
            args.gsis,
            args.gsis - 1,
            super::requests::INDEX_VALUES,
            results.first().map_or(0, |r| r.items) / super::requests::INDEX_VALUES
        );
        let _ = writeln!(s);
    }
    let _ = writeln!(
        s,
        "Table `bench`: hash key `pk` (S), range key `sk` (N), PAY_PER_REQUEST; {items} items in \
         partitions of {PARTITION_ITEMS}, each with a {}-byte string attribute. Closed loop: {} \
         client threads, each with its own keep-alive HTTP/1.1 connection and one request at a \
         time; {} s per operation after a {} ms warm-up. GetItem (eventually consistent) and \
         PutItem (an overwrite) on a uniformly random existing item; Query reads one random \
         partition ({PARTITION_ITEMS} items). In this order: GetItem, Query, PutItem (so that \
         Query does not step over the overwrites' old versions), then the open loop, on the \
         same data. Open loop: GetItem offered at {}/s over the {} \
         connections; each request's latency runs from its *scheduled* send time, so queueing \
         behind a slow answer counts (no coordinated omission); \"send lag\" is the part of it \
         spent before the load generator sent the request (its threads waking up late). Every answer is checked: HTTP \
         200, GetItem found its item, Query returned {PARTITION_ITEMS} items. The CPU column is \
         the CPU time the server, the load generator and everything else on the machine used \
         during the measured window, per second ({cores}.00 would be all the cores; \"other\" \
         well above zero means the run shared the machine with other work).",
        args.value_size,
        args.connections,
        args.duration,
        args.warmup_ms,
        args.rate,
        args.connections
    );
    let _ = writeln!(s);
    let _ =
        writeln!(s, "| operation | target | ops/s | P50 / P99 / P99.9 µs | errors | vs dynalite | CPU cores: server + client + other |");
    let _ = writeln!(s, "|---|---|---:|---:|---:|---:|---:|");
    for row in rows(results, args) {
        let _ = writeln!(s, "| {} |", row.join(" | "));
    }
    let _ = writeln!(s);
    for line in cpu_lines(results) {
        let _ = writeln!(s, "- {line}");
    }
    let _ = writeln!(s);
    let _ = writeln!(s, "The issue's targets:");
    let _ = writeln!(s);
    for line in verdicts(results, args) {
        let _ = writeln!(s, "- {line}");
    }
    s
}

/// With more than one round: each server's GetItem closed-loop throughput in every round, the
/// ratio of the medians to the first server's, and the median of the same-round ratios (each
/// round's servers ran back to back, so their ratio is spared the machine's slower drifts).
pub(crate) fn rounds_line(rounds: &[Vec<TargetResult>]) -> Option<String> {
    if rounds.first().is_none_or(|r| r.len() < 2) {
        return None;
    }
    let get = |r: &TargetResult| r.closed(Op::Get).map_or(0.0, |c| c.ops_per_sec);
    let median = |rs: &[TargetResult]| {
        let mut v: Vec<f64> = rs.iter().map(get).collect();
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or(0.0)
    };
    let base = rounds.first().map_or(0.0, |r| median(r));
    let mut parts = Vec::new();
    for rs in rounds {
        let name = rs.first().map_or("", |r| r.name.as_str());
        let each: Vec<String> = rs.iter().map(|r| format!("{:.0}", get(r))).collect();
        let m = median(rs);
        let mut paired: Vec<f64> = rs
            .iter()
            .zip(rounds.first().into_iter().flatten())
            .map(|(r, first)| if get(first) > 0.0 { get(r) / get(first) } else { 0.0 })
            .collect();
        paired.sort_by(f64::total_cmp);
        let paired = paired.get(paired.len() / 2).copied().unwrap_or(0.0);
        parts.push(format!(
            "**{name}** {} (median {m:.0}, {:.2}× the first; same-round ratios' median {paired:.3}×)",
            each.join(" / "),
            if base > 0.0 { m / base } else { 0.0 }
        ));
    }
    Some(format!(
        "GetItem closed-loop ops/s in each of {} rounds (order alternating from round to round; the \
         table shows each server's median round): {}.",
        rounds.first().map_or(0, Vec::len),
        parts.join("; ")
    ))
}
