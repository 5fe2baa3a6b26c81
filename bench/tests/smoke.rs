//! Smoke runs of the real `shale-bench` binary with tiny sizes: every workload runs, its output
//! has db_bench's shape, and the JSON and charts are written. No timing is asserted.

use std::path::Path;
use std::process::Command;

const ALL: &str =
    "fillseq,readrandom,multireadrandom,fillrandom,overwrite,readseq,readreverse,seekrandom,\
readwhilewriting,deleterandom,fillsync,ycsba,ycsbb,ycsbc,ycsbd,ycsbe,ycsbf";

fn bench(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_shale-bench")).args(args).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    stdout
}

fn has_db_bench() -> bool {
    Command::new("db_bench").arg("--help").output().is_ok()
}

/// Each workload printed `name : X micros/op Y ops/sec ...` followed by a Percentiles line.
fn check_lines(stdout: &str, names: &[&str], prefix: &str) {
    let lines: Vec<&str> = stdout.lines().collect();
    for name in names {
        let at = lines
            .iter()
            .position(|l| {
                let l = l.trim_start().strip_prefix(prefix).unwrap_or(l);
                l.split(" : ").next().map(str::trim) == Some(*name) && l.contains(" ops/sec ")
            })
            .unwrap_or_else(|| panic!("no result line for {name} in\n{stdout}"));
        let next = lines[at + 1].trim_start();
        assert!(
            next.strip_prefix(prefix).unwrap_or(next).starts_with("Percentiles: P50: "),
            "{next}"
        );
    }
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn every_workload_runs_and_reports() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let out_dir = dir.path().join("out");
    let stdout = bench(&[
        "--benchmarks",
        ALL,
        "--num=3000",
        "--threads=2",
        "--seed=7",
        "--write_buffer_size=65536",
        "--cache_size=1048576",
        "--db",
        db.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    let names: Vec<&str> = ALL.split(',').collect();
    check_lines(&stdout, &names, "");
    assert!(stdout.contains("** keyspace default **"), "{stdout}");
    assert!(stdout.contains("amplification: write "), "{stdout}");
    let v = json(&out_dir.join("results.json"));
    let outcomes = v["outcomes"].as_array().unwrap();
    assert_eq!(outcomes.len(), names.len());
    for (o, name) in outcomes.iter().zip(&names) {
        assert_eq!(o["result"]["workload"], *name);
        assert!(o["result"]["ops"].as_u64().unwrap() > 0, "{name}");
        assert!(o["result"]["latency_us"]["p99"].as_f64().unwrap() > 0.0, "{name}");
    }
    // readrandom and multireadrandom right after fillseq find every key they look for.
    for i in [1, 2] {
        let found = &outcomes[i]["result"]["found"];
        assert_eq!(found[0], found[1], "{}", outcomes[i]);
    }
    for chart in ["throughput.svg", "latency.svg"] {
        let svg = std::fs::read_to_string(out_dir.join(chart)).unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("ycsbf"), "{chart}");
    }
}

#[test]
fn unknown_workload_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_shale-bench"))
        .args(["--benchmarks=fillseq,nonesuch", "--num=10", "--db"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown benchmark \"nonesuch\""));
}

#[test]
fn backup_mode_refuses_the_flags_it_would_ignore() {
    for (flag, value) in [
        ("--gsis", "1"),
        ("--target", "shale=127.0.0.1:1"),
        ("--start", "dynalite"),
        ("--rounds", "2"),
        ("--stream-view", "KEYS_ONLY"),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_shale-bench"))
            .args(["dynamo", "--backup", flag, value])
            .output()
            .unwrap();
        assert!(!out.status.success(), "{flag}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(flag) && stderr.contains("does not apply to --backup"), "{stderr}");
    }
}

#[test]
fn blob_flags_are_refused_where_they_would_be_ignored() {
    for (args, says) in [
        (&["--min_blob_size=100"][..], "--min_blob_size applies only with --enable_blob_files"),
        (&["--enable_blob_files", "--target=127.0.0.1:1"][..], "--enable_blob_files configures"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_shale-bench"))
            .args(["--benchmarks=fillseq", "--num=10", "--progress=never", "--db"])
            .arg(dir.path())
            .args(args)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
    // Together, the blob flags are honoured: a fill with every value in blob files runs.
    let dir = tempfile::tempdir().unwrap();
    bench(&[
        "--benchmarks=fillrandom",
        "--num=200",
        "--value_size=1000",
        "--enable_blob_files",
        "--min_blob_size=512",
        "--progress=never",
        "--db",
        dir.path().to_str().unwrap(),
        "--out",
        dir.path().join("out").to_str().unwrap(),
    ]);
}

#[test]
fn compare_with_db_bench_parses_both_sides() {
    if !has_db_bench() {
        eprintln!("db_bench not installed (apt install rocksdb-tools): skipped");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let names = ["fillrandom", "readrandom", "seekrandom", "fillsync"];
    let stdout = bench(&[
        "--benchmarks",
        &names.join(","),
        "--num=2000",
        "--compare=db_bench",
        "--db_bench_settle=false",
        "--db",
        dir.path().join("db").to_str().unwrap(),
        "--out",
        dir.path().join("out").to_str().unwrap(),
    ]);
    check_lines(&stdout, &names, "RocksDB db_bench: ");
    let v = json(&dir.path().join("out/results.json"));
    for o in v["outcomes"].as_array().unwrap() {
        let r = &o["rocksdb"]["result"];
        assert!(r["ops"].as_u64().unwrap() > 0, "{o}");
        assert!(r["engine"].as_str().unwrap().starts_with("RocksDB 7."), "{o}");
        assert!(r["latency_us"]["p99"].as_f64().unwrap() > 0.0, "{o}");
        assert!(o["ratio"].as_f64().unwrap() > 0.0);
    }
}

#[test]
fn report_rewrites_only_its_section() {
    if !has_db_bench() {
        eprintln!("db_bench not installed (apt install rocksdb-tools): skipped");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let docs = dir.path().join("docs");
    std::fs::create_dir_all(&docs).unwrap();
    std::fs::write(docs.join("benchmarks.md"), "# Benchmarks\n\nHand-written intro.\n").unwrap();
    bench(&[
        "report",
        "--scale=0.0004",
        "--duration=0",
        "--db_bench_settle=false",
        "--runs=2",
        "--docs",
        docs.to_str().unwrap(),
        "--db",
        dir.path().join("db").to_str().unwrap(),
    ]);
    let md = std::fs::read_to_string(docs.join("benchmarks.md")).unwrap();
    assert!(md.starts_with("# Benchmarks\n\nHand-written intro.\n"), "{md}");
    for row in [
        "| fillseq |",
        "| readrandom |",
        "| ycsbe |",
        "| fillsync (16 thr) |",
        "| overwrite (4 thr) | 4 |",
        "| fillrandom (4 KiB values) |",
        "| fillrandom (4 KiB values, blob files) |",
        "| fillrandom (2x keys) |",
        "median of 2 runs",
    ] {
        assert!(md.contains(row), "{row} missing:\n{md}");
    }
    assert!(docs.join("bench/throughput.svg").exists() && docs.join("bench/latency.svg").exists());
    let v = json(&docs.join("bench/results.json"));
    assert_eq!(v["sessions"].as_array().unwrap().len(), 8);
    assert_eq!(v["runs"].as_array().unwrap().len(), 2);
}

#[test]
fn io_compares_backends_and_rewrites_only_its_section() {
    if !has_db_bench() {
        eprintln!("db_bench not installed (apt install rocksdb-tools): skipped");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let md = dir.path().join("benchmarks.md");
    std::fs::write(
        &md,
        "# Benchmarks\n\n<!-- BEGIN shale-bench io (generated: edit outside these markers) -->\nold\n<!-- END shale-bench io -->\n\nAfter.\n",
    )
    .unwrap();
    bench(&[
        "io",
        "--num=3000",
        "--cache_size=65536",
        "--duration=1",
        "--db_bench_settle=false",
        "--threads=1,2",
        "--sync_threads=2",
        "--sync_writes=20",
        "--batches=4",
        "--write_num=2000",
        "--repeat=1",
        "--db",
        dir.path().join("db").to_str().unwrap(),
        "--write-markdown",
        md.to_str().unwrap(),
    ]);
    let text = std::fs::read_to_string(&md).unwrap();
    assert!(text.starts_with("# Benchmarks\n\n") && text.ends_with("\n\nAfter.\n"), "{text}");
    assert!(!text.contains("\nold\n"), "{text}");
    for row in [
        "| io_uring + O_DIRECT | 2 |",
        "| mmap | 1 |",
        "| pread | 4 |",
        "#### fillsync",
        "| io_uring, all I/O on the ring | overwrite |",
        "#### Flagged",
    ] {
        assert!(text.contains(row), "{row} missing:\n{text}");
    }
    let v = json(&dir.path().join("bench/io.json"));
    let rows = v["rows"].as_array().unwrap();
    // readrandom: 6 Shale + 3 RocksDB backends at 2 thread counts; multi_get: 4 + 2; fillsync
    // 4 + 2 at one thread count; fillseq, fillrandom and overwrite: 5 + 2 each.
    assert_eq!(rows.len(), 18 + 6 + 6 + 21, "{v}");
    for r in rows {
        assert!(r["result"]["ops"].as_u64().unwrap() > 0, "{r}");
    }
}

/// `--target` runs the workloads against a shale-server (started in this process, in memory).
#[test]
fn workloads_run_against_a_server() {
    use shale_engine::fs::MemFs;
    use shale_engine::{Db, Options};
    use shale_server::kv::handlers::Handler;
    use shale_server::kv::server::{serve, Limits};
    use std::sync::Arc;

    let db = Db::open("/db", Options { fs: Arc::new(MemFs::new()), ..Options::default() }).unwrap();
    let handler = Arc::new(Handler::new(db, 10_000, Limits::default().frame_len_max));
    let rt = tokio::runtime::Runtime::new().unwrap();
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    // `--auth none`: the benchmark connects without credentials (protocol version 1).
    let auth = Arc::new(shale_server::kv::auth::KvAuth::None { account: "000000000000".into() });
    let server = rt.spawn(serve(listener, handler, auth, Limits::default(), None, stopped));
    let names = ["fillrandom", "readrandom", "seekrandom", "readreverse", "ycsbe", "fillsync"];
    let dir = tempfile::tempdir().unwrap();
    let stdout = bench(&[
        "--benchmarks",
        &names.join(","),
        "--num=2000",
        "--threads=2",
        "--target",
        &addr,
        "--out",
        dir.path().join("out").to_str().unwrap(),
    ]);
    check_lines(&stdout, &names, "");
    assert!(stdout.contains("readrandom") && stdout.contains("found)"), "{stdout}");
    // The latency subcommand against the same server, briefly.
    let out = Command::new(env!("CARGO_BIN_EXE_shale-bench"))
        .args([
            "latency",
            "--target",
            &addr,
            "--rates",
            "2000",
            "--connections",
            "2",
            "--duration",
            "1",
            "--num",
            "500",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains("offered    2000 ops/s"),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stop.send(true).unwrap();
    rt.block_on(server).unwrap().unwrap();
}

/// `dynamo` runs every phase against the DynamoDB gateway (in this process, in memory).
#[test]
fn dynamo_runs_against_the_gateway() {
    use shale_engine::fs::MemFs;
    use shale_engine::{Db, Options};
    use shale_server::dynamodb::ops::{Gateway, GatewayOptions};
    use shale_server::http::{serve, Auth, HttpLimits, Services};
    use std::sync::Arc;

    let db = Db::open("/db", Options { fs: Arc::new(MemFs::new()), ..Options::default() }).unwrap();
    let gateway = Arc::new(Gateway::open(db, GatewayOptions::default()).unwrap());
    let rt = tokio::runtime::Runtime::new().unwrap();
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let auth = Auth::None { account: "000000000000".into() };
    let services = Services::new().with(gateway);
    let server = rt.spawn(serve(listener, services, HttpLimits::default(), auth, None, stopped));
    let dir = tempfile::tempdir().unwrap();
    let md = dir.path().join("b.md");
    let stdout = bench(&[
        "dynamo",
        "--target",
        &format!("shale={addr}"),
        "--duration=1",
        "--warmup-ms=200",
        "--items=200",
        "--rate=200",
        "--connections=4",
        "--write-markdown",
        md.to_str().unwrap(),
    ]);
    for op in ["GetItem closed loop", "PutItem closed loop", "Query closed loop"] {
        let row = stdout.lines().find(|l| l.starts_with(op)).unwrap_or_else(|| panic!("{stdout}"));
        let cells: Vec<&str> = row.split_whitespace().collect();
        // operation (3 words), target, ops/s, P50 / P99 / P99.9, errors, ratio, CPU.
        assert!(cells[4].parse::<f64>().unwrap() > 0.0, "{row}");
        assert_eq!(cells[10], "0", "{row}");
    }
    assert!(stdout.contains("GetItem  open loop at 200/s: achieved"), "{stdout}");
    let text = std::fs::read_to_string(&md).unwrap();
    assert!(text.contains("## DynamoDB gateway vs dynalite\n\n<!-- BEGIN shale-bench dynamo -->"));
    assert!(text.contains("| Query closed loop | shale |"), "{text}");
    stop.send(true).unwrap();
    rt.block_on(server).unwrap().unwrap();
}
