//! `shale-bench dynamo --backup`: the throughput of CreateBackup, RestoreTableFromBackup,
//! RestoreTableToPointInTime, ExportTableToPointInTime (DynamoDB JSON and Ion) and ImportTable
//! (of the DynamoDB JSON export) on a table of `--items` items (DynamoDB has no equivalent to
//! compare with locally: dynalite has none of these).
//!
//! Launches `shale` (data on disk), creates the table, enables point-in-time recovery, loads
//! the items, then times each operation once, end to end as a client sees it (the operations
//! return when their work is done). Each restored table is checked: its item count must be the
//! table's. Exports and imports run in the background: they are timed from the request to the
//! first Describe that reports them COMPLETED (polled every 10 ms). Items/s is the table's items
//! over the time; MB/s the operation's bytes over the time: the backup's size for backups and
//! restores, the items' size (`BilledSizeBytes`) for exports, the uncompressed input read
//! (`ProcessedSizeBytes`) for the import.

use super::requests::{self, Conn, TABLE};
use super::servers;
use crate::engine::BenchResult;
use crate::flags::DynamoArgs;
use serde_json::{json, Value as Json};
use std::time::Instant;

/// One timed operation.
struct Timed {
    what: &'static str,
    seconds: f64,
    /// The bytes its MB/s counts.
    bytes: u64,
}

/// Polls `op` on `arn` until its status (under `out`, `status`) is no longer IN_PROGRESS.
fn wait_done(c: &mut Conn, op: &str, key: &str, arn: &str, out: &str) -> BenchResult<Json> {
    loop {
        let d = call(c, op, &json!({ key: arn }))?[out].clone();
        let status = d["ExportStatus"].as_str().or(d["ImportStatus"].as_str()).unwrap_or("");
        match status {
            "IN_PROGRESS" => std::thread::sleep(std::time::Duration::from_millis(10)),
            "COMPLETED" => return Ok(d),
            _ => return Err(format!("{op} {arn}: {d}").into()),
        }
    }
}

fn call(c: &mut Conn, op: &str, body: &Json) -> BenchResult<Json> {
    let (status, out) = c.control(op, &body.to_string())?;
    if status != 200 {
        return Err(format!("{op}: HTTP {status}: {out}").into());
    }
    Ok(serde_json::from_str(&out).map_err(|e| format!("{op}: {e}"))?)
}

/// Items in `table`, by a paged Select COUNT scan.
fn count(c: &mut Conn, table: &str) -> BenchResult<u64> {
    let mut total = 0;
    let mut start: Option<Json> = None;
    loop {
        let mut req = json!({"TableName": table, "Select": "COUNT"});
        if let Some(s) = start.take() {
            req["ExclusiveStartKey"] = s;
        }
        let out = call(c, "Scan", &req)?;
        total += out["Count"].as_u64().unwrap_or(0);
        match out.get("LastEvaluatedKey") {
            Some(k) => start = Some(k.clone()),
            None => return Ok(total),
        }
    }
}

/// Runs the backup phases on a launched `shale`; prints them, and writes the markdown section
/// `--section` (default `backup`) when asked.
pub(crate) fn run(args: &DynamoArgs) -> BenchResult<()> {
    // What this mode does not do is refused by name.
    let refused = [
        (!args.targets.is_empty(), "--target"),
        (!(args.start.is_empty() || args.start == ["shale"]), "--start (other than shale)"),
        (args.gsis > 0, "--gsis"),
        (args.stream_view.is_some(), "--stream-view"),
        (args.rounds > 1, "--rounds"),
    ];
    if let Some((_, flag)) = refused.iter().find(|(given, _)| *given) {
        return Err(format!("{flag} does not apply to --backup (it launches shale once)").into());
    }
    let server = servers::start("shale", args)?;
    let addr = server.addr.clone();
    requests::create_table(&addr, 0, None)?;
    let mut c = Conn::open(&addr)?;
    call(
        &mut c,
        "UpdateContinuousBackups",
        &json!({"TableName": TABLE,
                "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": true}}),
    )?;
    let items = requests::item_count(args.items);
    let load = requests::load(&addr, items, args.connections, (args.value_size, 0), args.seed)?;
    println!("loaded {items} items in {load:.1} s ({:.0} items/s)", items as f64 / load);
    let mut timed = Vec::new();

    let t = Instant::now();
    let made = call(&mut c, "CreateBackup", &json!({"TableName": TABLE, "BackupName": "bench"}))?;
    let arn = made["BackupDetails"]["BackupArn"].as_str().unwrap_or_default().to_string();
    let bytes = made["BackupDetails"]["BackupSizeBytes"].as_u64().unwrap_or(0);
    timed.push(Timed { what: "CreateBackup", seconds: t.elapsed().as_secs_f64(), bytes });

    let t = Instant::now();
    call(
        &mut c,
        "RestoreTableFromBackup",
        &json!({"TargetTableName": "fromBackup", "BackupArn": arn}),
    )?;
    timed.push(Timed { what: "RestoreTableFromBackup", seconds: t.elapsed().as_secs_f64(), bytes });
    let got = count(&mut c, "fromBackup")?;
    if got != items {
        return Err(
            format!("the table restored from the backup has {got} items, not {items}").into()
        );
    }

    let t = Instant::now();
    call(
        &mut c,
        "RestoreTableToPointInTime",
        &json!({"SourceTableName": TABLE, "TargetTableName": "fromLog", "UseLatestRestorableTime": true}),
    )?;
    timed.push(Timed {
        what: "RestoreTableToPointInTime (latest)",
        seconds: t.elapsed().as_secs_f64(),
        bytes,
    });
    let got = count(&mut c, "fromLog")?;
    if got != items {
        return Err(
            format!("the table restored to the latest time has {got} items, not {items}").into()
        );
    }
    // Exports into a bucket of the server's default export root (`<data-dir>/exports`).
    let bucket = server.dir().join("data").join("exports").join("bench");
    std::fs::create_dir_all(&bucket).map_err(|e| format!("creating {}: {e}", bucket.display()))?;
    let table_arn = format!("arn:aws:dynamodb:us-east-1:000000000000:table/{TABLE}");
    let mut json_data = String::new();
    for (format, what) in [
        ("DYNAMODB_JSON", "ExportTableToPointInTime (DYNAMODB_JSON)"),
        ("ION", "ExportTableToPointInTime (ION)"),
    ] {
        let t = Instant::now();
        let d = call(
            &mut c,
            "ExportTableToPointInTime",
            &json!({"TableArn": table_arn, "S3Bucket": "bench", "ExportFormat": format}),
        )?;
        let arn = d["ExportDescription"]["ExportArn"].as_str().unwrap_or_default().to_string();
        let d = wait_done(&mut c, "DescribeExport", "ExportArn", &arn, "ExportDescription")?;
        let seconds = t.elapsed().as_secs_f64();
        if d["ItemCount"].as_u64() != Some(items) {
            return Err(
                format!("the {format} export holds {} items, not {items}", d["ItemCount"]).into()
            );
        }
        let bytes = d["BilledSizeBytes"].as_u64().unwrap_or(0);
        timed.push(Timed { what, seconds, bytes });
        if format == "DYNAMODB_JSON" {
            let manifest = d["ExportManifest"].as_str().unwrap_or_default();
            json_data = format!("{}/data/", manifest.trim_end_matches("/manifest-summary.json"));
        }
    }
    let t = Instant::now();
    let d = call(
        &mut c,
        "ImportTable",
        &json!({"S3BucketSource": {"S3Bucket": "bench", "S3KeyPrefix": json_data},
                "InputFormat": "DYNAMODB_JSON", "InputCompressionType": "GZIP",
                "TableCreationParameters": {"TableName": "imported",
                    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                  {"AttributeName": "sk", "KeyType": "RANGE"}],
                    "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                             {"AttributeName": "sk", "AttributeType": "N"}],
                    "BillingMode": "PAY_PER_REQUEST"}}),
    )?;
    let arn = d["ImportTableDescription"]["ImportArn"].as_str().unwrap_or_default().to_string();
    let d = wait_done(&mut c, "DescribeImport", "ImportArn", &arn, "ImportTableDescription")?;
    let seconds = t.elapsed().as_secs_f64();
    let got = count(&mut c, "imported")?;
    if got != items || d["ImportedItemCount"].as_u64() != Some(items) {
        return Err(format!("the import made a table of {got} items, not {items}: {d}").into());
    }
    let read = d["ProcessedSizeBytes"].as_u64().unwrap_or(0);
    timed.push(Timed { what: "ImportTable (DYNAMODB_JSON, gzip)", seconds, bytes: read });
    let settings = server.settings.clone();
    drop(server);

    let mb = bytes as f64 / 1_048_576.0;
    let mut table =
        String::from("| operation | seconds | items/s | MB/s |\n|---|---:|---:|---:|\n");
    for t in &timed {
        table.push_str(&format!(
            "| {} | {:.2} | {:.0} | {:.1} |\n",
            t.what,
            t.seconds,
            items as f64 / t.seconds,
            t.bytes as f64 / 1_048_576.0 / t.seconds
        ));
    }
    println!("\n{table}");
    if let Some(md) = &args.write_markdown {
        let section = format!(
            "Produced by `{}` on {}. Server: {settings}. The table: {items} items of {} bytes \
             (hash and range key), loaded in {load:.1} s over {} connections with \
             point-in-time recovery on; the backup is {mb:.1} MB. Each operation is timed once, \
             as the client sees it (each returns when its work is done), and each restored \
             table's item count is checked.\n\n{table}",
            super::command_line(),
            crate::report::machine(),
            args.value_size,
            args.connections,
        );
        let name = args.section.clone().unwrap_or_else(|| "backup".into());
        super::write_markdown(md, super::section_marks(0, Some(&name)), &section)?;
        println!("wrote {}", md.display());
    }
    Ok(())
}
