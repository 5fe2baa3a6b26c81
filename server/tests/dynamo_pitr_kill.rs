//! SIGKILL the real server during RestoreTableToPointInTime, at points spread over the
//! restore's duration, restart it, and check that nothing is half-made: the target table is
//! absent or whole (every item, its index answering, `RestoreInProgress` false), the source is
//! untouched, no restore folder is left, and a new restore then succeeds.

mod common;

use common::Server;
use serde_json::{json, Value as Json};
use shale_server::dynamo_client::DynamoClient;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const ITEMS: u64 = 3000;

fn call(addr: &str, op: &str, body: &Json) -> (u16, Json) {
    let mut c = DynamoClient::connect(addr, &common::root()).unwrap();
    c.call(op, body).unwrap()
}

fn ok(addr: &str, op: &str, body: &Json) -> Json {
    let (status, out) = call(addr, op, body);
    assert_eq!(status, 200, "{op}: {out}");
    out
}

/// Items in `table` (a Select COUNT scan), or `None` if there is no such table.
fn count(addr: &str, table: &str, index: Option<&str>) -> Option<u64> {
    let mut total = 0;
    let mut start: Option<Json> = None;
    loop {
        let mut req = json!({"TableName": table, "Select": "COUNT"});
        if let Some(i) = index {
            req["IndexName"] = json!(i);
        }
        if let Some(s) = start.take() {
            req["ExclusiveStartKey"] = s;
        }
        let (status, out) = call(addr, "Scan", &req);
        if status == 400
            && out["__type"].as_str().is_some_and(|t| t.ends_with("ResourceNotFoundException"))
        {
            return None;
        }
        assert_eq!(status, 200, "{out}");
        total += out["Count"].as_u64().unwrap();
        match out.get("LastEvaluatedKey") {
            Some(k) => start = Some(k.clone()),
            None => return Some(total),
        }
    }
}

fn restore(addr: &str, target: &str, at: f64) -> (u16, Json) {
    // The kill may come before the connection: then nothing was asked.
    let Ok(mut c) = DynamoClient::connect(addr, &common::root()) else { return (0, Json::Null) };
    c.call(
        "RestoreTableToPointInTime",
        &json!({"SourceTableName": "source", "TargetTableName": target, "RestoreDateTime": at}),
    )
    .unwrap_or((0, Json::Null))
}

fn restore_folders(data: &Path) -> usize {
    std::fs::read_dir(data.join("restores")).map_or(0, |d| d.count())
}

#[test]
fn a_restore_cut_by_sigkill_leaves_no_half_made_table() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(Some(dir.path()), &[]);
    let addr = server.dynamo_addr.clone();
    ok(
        &addr,
        "CreateTable",
        &json!({"TableName": "source",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                     {"AttributeName": "g", "AttributeType": "S"}],
            "GlobalSecondaryIndexes": [{"IndexName": "byG",
                "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"}}],
            "BillingMode": "PAY_PER_REQUEST"}),
    );
    ok(
        &addr,
        "UpdateContinuousBackups",
        &json!({"TableName": "source",
                "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": true}}),
    );
    for chunk in 0..ITEMS / 25 {
        let puts: Vec<Json> = (0..25)
            .map(|i| {
                let n = chunk * 25 + i;
                json!({"PutRequest": {"Item": {"pk": {"S": format!("k{n:05}")},
                    "g": {"S": format!("g{}", n % 7)}, "v": {"S": "x".repeat(200)}}}})
            })
            .collect();
        ok(&addr, "BatchWriteItem", &json!({"RequestItems": {"source": puts}}));
    }
    std::thread::sleep(Duration::from_millis(100));
    let at = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs_f64();
    std::thread::sleep(Duration::from_millis(50));
    // One restore uninterrupted: how long one takes.
    let started = Instant::now();
    let (status, out) = restore(&addr, "whole", at);
    assert_eq!(status, 200, "{out}");
    let took = started.elapsed();
    eprintln!("source count {:?} at {at}", count(&addr, "source", None));
    eprintln!(
        "scan whole: {}",
        call(&addr, "Scan", &json!({"TableName": "whole", "Select": "COUNT"})).1
    );
    eprintln!(
        "cb: {}",
        call(&addr, "DescribeContinuousBackups", &json!({"TableName": "source"})).1
    );
    assert_eq!(count(&addr, "whole", None), Some(ITEMS));
    drop(server);

    let cycles = 5u32;
    // Restores the kill cut (the table then absent), and those it let finish.
    let (mut cut, mut whole) = (0, 0);
    // Tables a cut restore had made, removed at the restart.
    let mut removed = 0;
    for cycle in 0..cycles {
        let server = Server::start(Some(dir.path()), &[]);
        let addr = server.dynamo_addr.clone();
        let target = format!("cut{cycle}");
        let t = {
            let (addr, target) = (addr.clone(), target.clone());
            std::thread::spawn(move || restore(&addr, &target, at))
        };
        std::thread::sleep(took * cycle / cycles);
        server.kill();
        let (status, _) = t.join().unwrap();

        let server = Server::start(Some(dir.path()), &[]);
        let addr = server.dynamo_addr.clone();
        let log = server.log.lock().unwrap().join("\n");
        removed += usize::from(log.contains("its restore did not finish"));
        assert_eq!(restore_folders(dir.path()), 0, "cycle {cycle}: a restore folder was left");
        assert_eq!(count(&addr, "source", None), Some(ITEMS), "cycle {cycle}: the source");
        match count(&addr, &target, None) {
            None => {
                assert_ne!(status, 200, "cycle {cycle}: an answered restore is gone");
                cut += 1;
            }
            Some(n) => {
                whole += 1;
                assert_eq!(n, ITEMS, "cycle {cycle}: a half-made table");
                assert_eq!(
                    count(&addr, &target, Some("byG")),
                    Some(ITEMS),
                    "cycle {cycle}: its index"
                );
                let d = ok(&addr, "DescribeTable", &json!({"TableName": target}));
                assert_eq!(d["Table"]["RestoreSummary"]["RestoreInProgress"], json!(false));
            }
        }
        // The name is free again, or holds the whole table: a new restore works either way.
        let again = format!("again{cycle}");
        let (status, out) = restore(&addr, &again, at);
        assert_eq!(status, 200, "cycle {cycle}: {out}");
        assert_eq!(count(&addr, &again, None), Some(ITEMS));
        assert!(server.terminate());
    }
    eprintln!(
        "a restore takes {took:?}; SIGKILL cut {cut} restores ({removed} of them had made their \
         table, removed at the restart), {whole} finished whole"
    );
    assert!(cut > 0, "no kill struck during a restore");
}

/// Backup folders in the data directory, and how many of them hold a manifest.
fn backup_folders(data: &Path) -> (usize, usize) {
    let Ok(dir) = std::fs::read_dir(data.join("backups")) else { return (0, 0) };
    let folders: Vec<_> = dir.map(|e| e.unwrap().path()).collect();
    let whole = folders.iter().filter(|f| f.join("MANIFEST").exists()).count();
    (folders.len(), whole)
}

#[test]
fn a_backup_cut_by_sigkill_is_available_or_absent_and_backups_outlive_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(Some(dir.path()), &[]);
    let addr = server.dynamo_addr.clone();
    ok(
        &addr,
        "CreateTable",
        &json!({"TableName": "source",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "BillingMode": "PAY_PER_REQUEST"}),
    );
    for chunk in 0..ITEMS / 25 {
        let puts: Vec<Json> = (0..25)
            .map(|i| {
                json!({"PutRequest": {"Item": {"pk": {"S": format!("k{:05}", chunk * 25 + i)},
                    "v": {"S": "y".repeat(300)}}}})
            })
            .collect();
        ok(&addr, "BatchWriteItem", &json!({"RequestItems": {"source": puts}}));
    }
    let started = Instant::now();
    ok(&addr, "CreateBackup", &json!({"TableName": "source", "BackupName": "timed"}));
    let took = started.elapsed();
    drop(server);

    let cycles = 5u32;
    let mut answered = 0;
    for cycle in 0..cycles {
        let server = Server::start(Some(dir.path()), &[]);
        let addr = server.dynamo_addr.clone();
        let t = {
            let addr = addr.clone();
            std::thread::spawn(move || {
                // The kill may come before the connection: then nothing was asked.
                let Ok(mut c) = DynamoClient::connect(&addr, &common::root()) else { return 0 };
                c.call(
                    "CreateBackup",
                    &json!({"TableName": "source", "BackupName": format!("b{cycle}")}),
                )
                .map_or(0, |(s, _)| s)
            })
        };
        std::thread::sleep(took * cycle / cycles);
        server.kill();
        answered += usize::from(t.join().unwrap() == 200);

        let server = Server::start(Some(dir.path()), &[]);
        let addr = server.dynamo_addr.clone();
        let (folders, whole) = backup_folders(dir.path());
        assert_eq!(folders, whole, "cycle {cycle}: a half-made backup folder was left");
        // Every backup listed is whole: it restores every item.
        let list = ok(&addr, "ListBackups", &json!({"TableName": "source"}));
        let arns: Vec<String> = list["BackupSummaries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["BackupArn"].as_str().unwrap().to_string())
            .collect();
        let timed = ok(&addr, "DescribeBackup", &json!({"BackupArn": arns[0]}));
        assert_eq!(
            timed["BackupDescription"]["BackupDetails"]["BackupName"], "timed",
            "cycle {cycle}: the first backup outlived the restarts"
        );
        let last = arns.last().unwrap();
        let target = format!("fromBackup{cycle}");
        ok(&addr, "RestoreTableFromBackup", &json!({"TargetTableName": target, "BackupArn": last}));
        assert_eq!(count(&addr, &target, None), Some(ITEMS), "cycle {cycle}: restored from {last}");
        assert!(server.terminate());
    }
    eprintln!("a backup takes {took:?}; {answered} of {cycles} cut backups were answered first");
}
