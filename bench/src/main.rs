//! `shale-bench`: db_bench-compatible workloads and YCSB A–F on Shale, side by side with RocksDB.
//!
//! ```text
//! shale-bench --benchmarks fillrandom,readrandom --num 1000000 --compare db_bench
//! shale-bench report            # the standard set; rewrites docs/benchmarks.md and its charts
//! shale-bench latency --target 127.0.0.1:7070   # open-loop GET/PUT latency of a shale-server
//! shale-bench dynamo --start shale,dynalite      # DynamoDB gateway vs dynalite over HTTP
//! shale-bench io --write-markdown docs/benchmarks.md   # pread vs mmap vs io_uring vs O_DIRECT
//! ```
//!
//! The engine's criterion micro-benchmarks live beside the code they measure (`engine/benches/`).

mod charts;
mod dbbench;
mod dynamo;
mod engine;
mod flags;
mod io;
mod keys;
mod latency;
mod report;
#[cfg(feature = "rocksdb")]
mod rocks;
mod runner;
mod session;
mod workload;

use clap::Parser;
use flags::{Cli, Cmd};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.cmd {
        Some(Cmd::Report(args)) => report::run(&args),
        Some(Cmd::Latency(args)) => latency::run(&args),
        Some(Cmd::Dynamo(args)) => dynamo::run(&args),
        Some(Cmd::Io(args)) => io::run(&args),
        Some(Cmd::Charts { from, out }) => {
            let out =
                out.unwrap_or_else(|| from.parent().map(|p| p.to_path_buf()).unwrap_or_default());
            session::redraw_charts(&from, &out)
        }
        None => {
            let mut stdout = std::io::stdout();
            session::run(&cli.flags, &mut stdout).and_then(|r| {
                session::write_outputs(&cli.flags.out, &r, &r.outcomes)?;
                println!("results: {}", cli.flags.out.join("results.json").display());
                Ok(())
            })
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("shale-bench: {e}");
            ExitCode::FAILURE
        }
    }
}
