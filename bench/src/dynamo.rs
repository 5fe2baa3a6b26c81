//! `shale-bench dynamo`: GetItem, PutItem and Query throughput and latency over HTTP, Shale's
//! DynamoDB gateway against dynalite (or any DynamoDB-compatible server), with the same load
//! generator in the same run.
//!
//! ```text
//! shale-bench dynamo --start shale,dynalite [--duration 10] [--write-markdown docs/benchmarks.md]
//! shale-bench dynamo --target shale=127.0.0.1:8000
//! shale-bench dynamo --backup --items 1000000 [--write-markdown docs/benchmarks.md]
//! ```
//!
//! For each target, in turn: create table `bench` (hash `pk` S, range `sk` N, on demand), load
//! `--items` items in partitions of 10, then run GetItem, Query and PutItem closed-loop (`--connections`
//! connections driven by one thread, one request at a time each, as fast as answered), then GetItem
//! open-loop at `--rate` (latency from the scheduled send time). Every answer is checked (HTTP
//! 200 and the expected item or items); any failure fails the run, after the table is printed.

mod async_conn;
mod backup;
mod phases;
mod render;
mod requests;
mod servers;

use crate::engine::BenchResult;
use crate::flags::DynamoArgs;
use phases::{ClosedResult, OpenResult, Phase};
use requests::Op;

/// The pair the servers `--start` launches get as their root credentials, and what requests
/// are signed with when the environment names no credentials (AWS's documented example).
const DEFAULT_ACCESS_KEY_ID: &str = "AKIAIOSFODNN7EXAMPLE";
const DEFAULT_SECRET_ACCESS_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

/// The credentials every request is signed with: `AWS_ACCESS_KEY_ID` and
/// `AWS_SECRET_ACCESS_KEY` when set (a `--target` server's root credentials), else the pair
/// the servers of `--start` are launched with.
pub(crate) fn credentials() -> &'static shale_server::dynamo_client::Credentials {
    static CREDS: std::sync::OnceLock<shale_server::dynamo_client::Credentials> =
        std::sync::OnceLock::new();
    CREDS.get_or_init(|| {
        shale_server::dynamo_client::Credentials::from_env().unwrap_or_else(|| {
            shale_server::dynamo_client::Credentials::new(
                DEFAULT_ACCESS_KEY_ID,
                DEFAULT_SECRET_ACCESS_KEY,
            )
        })
    })
}

pub const BEGIN: &str = "<!-- BEGIN shale-bench dynamo -->";
pub const END: &str = "<!-- END shale-bench dynamo -->";

/// The markers and heading of a run's markdown section: the standard one, or (with `--gsis`)
/// one per index count.
fn section_marks(gsis: u8, section: Option<&str>) -> (String, String, String) {
    if let Some(name) = section {
        return (
            format!("<!-- BEGIN shale-bench dynamo --section {name} -->"),
            format!("<!-- END shale-bench dynamo --section {name} -->"),
            format!("## DynamoDB gateway: {name}"),
        );
    }
    if gsis == 0 {
        return (BEGIN.into(), END.into(), HEADING.into());
    }
    (
        format!("<!-- BEGIN shale-bench dynamo --gsis {gsis} -->"),
        format!("<!-- END shale-bench dynamo --gsis {gsis} -->"),
        format!("{HEADING}, {gsis} global secondary indexes"),
    )
}
/// The heading put before the markers when the file has none.
const HEADING: &str = "## DynamoDB gateway vs dynalite";

/// One server to measure: already running (`--target`) or launched here (`--start`).
struct Spec {
    name: String,
    /// The address of a running server; `None`: launch it.
    addr: Option<String>,
}

/// Everything measured on one target.
pub(crate) struct TargetResult {
    pub name: String,
    pub settings: String,
    pub items: u64,
    pub load_secs: f64,
    pub closed: Vec<ClosedResult>,
    pub open: OpenResult,
}

impl TargetResult {
    /// The closed-loop figures of `op`.
    pub(crate) fn closed(&self, op: Op) -> Option<&ClosedResult> {
        self.closed.iter().find(|c| c.op == op)
    }

    /// Failed requests over every phase.
    fn errors(&self) -> u64 {
        self.closed.iter().map(|c| c.errors).sum::<u64>() + self.open.errors
    }

    fn first_error(&self) -> Option<&str> {
        self.closed
            .iter()
            .find_map(|c| c.first_error.as_deref())
            .or(self.open.first_error.as_deref())
    }
}

/// The targets of `--target NAME=ADDR` then `--start NAME,...`, in that order.
fn specs(args: &DynamoArgs) -> BenchResult<Vec<Spec>> {
    let mut specs = Vec::new();
    for t in &args.targets {
        let (name, addr) = t
            .split_once('=')
            .filter(|(n, a)| !n.is_empty() && !a.is_empty())
            .ok_or_else(|| format!("--target {t:?}: expected NAME=HOST:PORT"))?;
        specs.push(Spec { name: name.to_string(), addr: Some(addr.to_string()) });
    }
    for name in args.start.iter().filter(|n| !n.is_empty()) {
        if !servers::NAMES.contains(&name.as_str()) {
            return Err(format!(
                "--start {name:?}: unknown server (known: {})",
                servers::NAMES.join(", ")
            )
            .into());
        }
        specs.push(Spec { name: name.clone(), addr: None });
    }
    if specs.is_empty() {
        return Err(
            "nothing to measure: give --target NAME=HOST:PORT or --start shale,dynalite".into()
        );
    }
    Ok(specs)
}

/// Loads the table on `addr` and runs every phase.
fn measure(
    name: &str,
    addr: &str,
    (settings, pid): (String, Option<u32>),
    args: &DynamoArgs,
) -> BenchResult<TargetResult> {
    let items = requests::item_count(args.items);
    requests::create_table(addr, args.gsis, args.stream_view.as_deref())?;
    let shape = (args.value_size, args.gsis);
    let load_secs = requests::load(addr, items, args.connections, shape, args.seed)?;
    println!(
        "{name}: loaded {items} items in {load_secs:.1} s ({:.0} items/s)",
        items as f64 / load_secs.max(1e-9)
    );
    let mut closed = Vec::new();
    // Query before PutItem: the overwrites leave versions behind (until a flush or compaction)
    // that a Query must step over, and the faster server would leave more of them.
    for (i, op) in render::ops(args).into_iter().enumerate() {
        let r =
            phases::closed_loop(addr, op, args, Phase { items, index: i + 1, server_pid: pid })?;
        println!("{name}: {}", render::closed_line(&r, args.connections));
        closed.push(r);
    }
    let index = closed.len() + 1;
    let open = phases::open_loop(addr, args, Phase { items, index, server_pid: pid })?;
    println!("{name}: {}", render::open_line(&open));
    Ok(TargetResult { name: name.to_string(), settings, items, load_secs, closed, open })
}

/// The round of one server whose GetItem closed-loop throughput is the median of its rounds.
fn median_round(mut rounds: Vec<TargetResult>) -> Option<TargetResult> {
    let get = |r: &TargetResult| r.closed(Op::Get).map_or(0.0, |c| c.ops_per_sec);
    rounds.sort_by(|a, b| get(a).total_cmp(&get(b)));
    let mid = rounds.len() / 2;
    (mid < rounds.len()).then(|| rounds.swap_remove(mid))
}

/// Measures one target, launching (and afterwards stopping) it when `--start` named it.
fn measure_spec(spec: &Spec, args: &DynamoArgs) -> BenchResult<TargetResult> {
    match &spec.addr {
        Some(addr) => {
            let settings = "a running server (settings as it was started)".to_string();
            measure(&spec.name, addr, (settings, None), args)
        }
        None => {
            let server = servers::start(&spec.name, args)?;
            let r = measure(
                &spec.name,
                &server.addr,
                (server.settings.clone(), Some(server.pid)),
                args,
            );
            drop(server);
            r
        }
    }
}

/// Runs the benchmark: every target in turn, then the table (and the markdown section).
pub fn run(args: &DynamoArgs) -> BenchResult<()> {
    if args.backup {
        return backup::run(args);
    }
    let specs = specs(args)?;
    // Every round measures every server; odd rounds in reverse order.
    let mut rounds: Vec<Vec<TargetResult>> = specs.iter().map(|_| Vec::new()).collect();
    for round in 0..args.rounds {
        let mut order: Vec<usize> = (0..specs.len()).collect();
        if round % 2 == 1 {
            order.reverse();
        }
        for i in order {
            if let (Some(spec), Some(out)) = (specs.get(i), rounds.get_mut(i)) {
                out.push(measure_spec(spec, args)?);
            }
        }
    }
    let per_round = render::rounds_line(&rounds);
    let results: Vec<TargetResult> = rounds.into_iter().filter_map(median_round).collect();
    println!();
    if let Some(line) = &per_round {
        println!("{line}");
    }
    print!("{}", render::text_table(&results, args));
    for line in render::cpu_lines(&results).into_iter().chain(render::verdicts(&results, args)) {
        println!("{line}");
    }
    if let Some(md) = &args.write_markdown {
        let mut section = render::markdown(&command_line(), &results, args);
        if let Some(line) = &per_round {
            section.push('\n');
            section.push_str(line);
            section.push('\n');
        }
        write_markdown(md, section_marks(args.gsis, args.section.as_deref()), &section)?;
        println!("wrote {}", md.display());
    }
    check_errors(&results)
}

/// The command line as it was typed.
fn command_line() -> String {
    // Arguments with spaces are quoted, so the line can be pasted back into a shell.
    let quote = |a: String| if a.contains(' ') { format!("'{a}'") } else { a };
    std::env::args().map(quote).collect::<Vec<_>>().join(" ")
}

/// Splices `section` between the markers of `md`, adding the heading and markers if absent.
fn write_markdown(
    md: &std::path::Path,
    (begin, end, heading): (String, String, String),
    section: &str,
) -> BenchResult<()> {
    let old = std::fs::read_to_string(md).unwrap_or_default();
    if !old.contains(&begin) {
        let with_heading = if old.trim().is_empty() {
            format!("# Benchmarks\n\n{heading}\n")
        } else {
            format!("{}\n\n{heading}\n", old.trim_end())
        };
        std::fs::write(md, with_heading)?;
    }
    crate::report::splice_between(md, &begin, &end, section)
}

/// An error if any request failed on any target.
fn check_errors(results: &[TargetResult]) -> BenchResult<()> {
    let failed: Vec<String> = results
        .iter()
        .filter(|r| r.errors() > 0)
        .map(|r| {
            format!(
                "{}: {} failed requests (first: {})",
                r.name,
                r.errors(),
                r.first_error().unwrap_or("?")
            )
        })
        .collect();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(failed.join("; ").into())
    }
}
