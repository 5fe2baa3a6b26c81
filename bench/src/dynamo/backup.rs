//! `shale-bench dynamo --backup`: the throughput of CreateBackup, RestoreTableFromBackup and
//! RestoreTableToPointInTime on a table of `--items` items (DynamoDB has no equivalent to
//! compare with locally: dynalite has no backups).
//!
//! Launches `shale` (data on disk), creates the table, enables point-in-time recovery, loads
//! the items, then times each operation once, end to end as a client sees it (the operations
//! return when their work is done). Each restored table is checked: its item count must be the
//! table's. Items/s is the table's items over the time; MB/s the backup's bytes over the time.

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
    timed.push(Timed { what: "CreateBackup", seconds: t.elapsed().as_secs_f64() });
    let arn = made["BackupDetails"]["BackupArn"].as_str().unwrap_or_default().to_string();
    let bytes = made["BackupDetails"]["BackupSizeBytes"].as_u64().unwrap_or(0);

    let t = Instant::now();
    call(
        &mut c,
        "RestoreTableFromBackup",
        &json!({"TargetTableName": "fromBackup", "BackupArn": arn}),
    )?;
    timed.push(Timed { what: "RestoreTableFromBackup", seconds: t.elapsed().as_secs_f64() });
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
    });
    let got = count(&mut c, "fromLog")?;
    if got != items {
        return Err(
            format!("the table restored to the latest time has {got} items, not {items}").into()
        );
    }
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
            mb / t.seconds
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
