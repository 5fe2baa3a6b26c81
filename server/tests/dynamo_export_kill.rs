//! SIGKILL the real server during ExportTableToPointInTime and during ImportTable, at points
//! spread over the job's duration, restart it, and check that nothing is half-made: an export is
//! COMPLETED with every file (its manifests matching its data) or FAILED with nothing of it left
//! (no `.partial` folder, no folder of its id); an imported table is whole and ACTIVE or absent,
//! its import FAILED; the source table is untouched; and a new export and import then succeed.

mod common;

use common::Server;
use serde_json::{json, Value as Json};
use shale_server::dynamo_client::DynamoClient;
use std::io::Read;
use std::path::Path;
use std::time::{Duration, Instant};

const ITEMS: u64 = 20_000;

fn call(addr: &str, op: &str, body: &Json) -> (u16, Json) {
    let mut c = DynamoClient::connect(addr, &common::root()).unwrap();
    c.call(op, body).unwrap_or((0, Json::Null))
}

fn ok(addr: &str, op: &str, body: &Json) -> Json {
    let (status, out) = call(addr, op, body);
    assert_eq!(status, 200, "{op}: {out}");
    out
}

/// Items in `table`, or `None` if item operations do not find it.
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

fn wait(addr: &str, op: &str, key: &str, arn: &str, out_key: &str, status_key: &str) -> Json {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let d = ok(addr, op, &json!({ key: arn }))[out_key].clone();
        if d[status_key] != "IN_PROGRESS" {
            return d;
        }
        assert!(Instant::now() < deadline, "{arn} still IN_PROGRESS");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn wait_export(addr: &str, arn: &str) -> Json {
    wait(addr, "DescribeExport", "ExportArn", arn, "ExportDescription", "ExportStatus")
}

fn wait_import(addr: &str, arn: &str) -> Json {
    wait(addr, "DescribeImport", "ImportArn", arn, "ImportTableDescription", "ImportStatus")
}

fn start_export(addr: &str) -> String {
    let table_arn = "arn:aws:dynamodb:us-east-1:000000000000:table/source";
    let d =
        ok(addr, "ExportTableToPointInTime", &json!({"TableArn": table_arn, "S3Bucket": "bkt"}));
    d["ExportDescription"]["ExportArn"].as_str().unwrap().to_string()
}

fn start_import(addr: &str, table: &str, prefix: &str) -> (u16, Json) {
    call(
        addr,
        "ImportTable",
        &json!({"S3BucketSource": {"S3Bucket": "bkt", "S3KeyPrefix": prefix},
            "InputFormat": "DYNAMODB_JSON", "InputCompressionType": "GZIP",
            "TableCreationParameters": {"TableName": table,
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                         {"AttributeName": "g", "AttributeType": "S"}],
                "GlobalSecondaryIndexes": [{"IndexName": "byG",
                    "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "ALL"}}],
                "BillingMode": "PAY_PER_REQUEST"}}),
    )
}

/// Every folder under the bucket's `AWSDynamoDB/`: (name, whole).
fn export_folders(root: &Path) -> Vec<String> {
    std::fs::read_dir(root.join("bkt/AWSDynamoDB"))
        .map(|d| d.map(|e| e.unwrap().file_name().into_string().unwrap()).collect())
        .unwrap_or_default()
}

/// Checks a completed export's files: the data files' items add up to ITEMS.
fn check_export_files(root: &Path, d: &Json) {
    let manifest = d["ExportManifest"].as_str().unwrap();
    let folder = root.join("bkt").join(Path::new(manifest).parent().unwrap());
    let files = std::fs::read_to_string(folder.join("manifest-files.json")).unwrap();
    let mut lines = 0u64;
    for entry in files.lines() {
        let f: Json = serde_json::from_str(entry).unwrap();
        let raw =
            std::fs::read(root.join("bkt").join(f["dataFileS3Key"].as_str().unwrap())).unwrap();
        let mut text = String::new();
        flate2::read::GzDecoder::new(&raw[..]).read_to_string(&mut text).unwrap();
        assert_eq!(text.lines().count() as u64, f["itemCount"].as_u64().unwrap());
        lines += text.lines().count() as u64;
    }
    assert_eq!(lines, ITEMS);
    assert!(folder.join("manifest-summary.json").exists() && folder.join("_started").exists());
}

#[test]
fn exports_and_imports_cut_by_sigkill_leave_nothing_half_made() {
    let dir = tempfile::tempdir().unwrap();
    let buckets = tempfile::tempdir().unwrap();
    std::fs::create_dir(buckets.path().join("bkt")).unwrap();
    let root = buckets.path().to_str().unwrap().to_string();
    let args = ["--export-root", root.as_str()];
    let server = Server::start(Some(dir.path()), &args);
    let addr = server.dynamo_addr.clone();
    ok(
        &addr,
        "CreateTable",
        &json!({"TableName": "source",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
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
    // One export and one import uninterrupted: how long each takes.
    let started = Instant::now();
    let whole = wait_export(&addr, &start_export(&addr));
    let export_took = started.elapsed();
    assert_eq!(whole["ExportStatus"], "COMPLETED", "{whole}");
    check_export_files(buckets.path(), &whole);
    let data = format!(
        "{}/data/",
        Path::new(whole["ExportManifest"].as_str().unwrap()).parent().unwrap().display()
    );
    let started = Instant::now();
    let (status, out) = start_import(&addr, "whole", &data);
    assert_eq!(status, 200, "{out}");
    let d = wait_import(&addr, out["ImportTableDescription"]["ImportArn"].as_str().unwrap());
    let import_took = started.elapsed();
    assert_eq!(d["ImportStatus"], "COMPLETED", "{d}");
    assert_eq!(count(&addr, "whole", Some("byG")), Some(ITEMS));
    drop(server);

    // Kills from the job's start to twice its length after: some cut it, some come after.
    let cycles = 5u32;
    let (mut exports_cut, mut imports_cut) = (0, 0);
    for cycle in 0..cycles {
        // An export, killed.
        let server = Server::start(Some(dir.path()), &args);
        let addr = server.dynamo_addr.clone();
        let arn = start_export(&addr);
        std::thread::sleep(export_took * 2 * cycle / cycles);
        server.kill();
        // An import, killed.
        let server = Server::start(Some(dir.path()), &args);
        let addr = server.dynamo_addr.clone();
        let target = format!("cut{cycle}");
        let (status, out) = start_import(&addr, &target, &data);
        assert_eq!(status, 200, "{out}");
        let import_arn = out["ImportTableDescription"]["ImportArn"].as_str().unwrap().to_string();
        std::thread::sleep(import_took * 2 * cycle / cycles);
        server.kill();

        let server = Server::start(Some(dir.path()), &args);
        let addr = server.dynamo_addr.clone();
        assert_eq!(count(&addr, "source", None), Some(ITEMS), "cycle {cycle}: the source");
        assert!(
            export_folders(buckets.path()).iter().all(|f| !f.ends_with(".partial")),
            "cycle {cycle}: a half-made export folder was left: {:?}",
            export_folders(buckets.path())
        );
        let d = wait_export(&addr, &arn);
        let id = arn.rsplit('/').next().unwrap();
        match d["ExportStatus"].as_str().unwrap() {
            "COMPLETED" => check_export_files(buckets.path(), &d),
            "FAILED" => {
                exports_cut += 1;
                assert!(d["FailureMessage"].as_str().unwrap().contains("server stopped"), "{d}");
                assert!(!export_folders(buckets.path()).iter().any(|f| f.starts_with(id)));
            }
            s => panic!("cycle {cycle}: export status {s}"),
        }
        let d = wait_import(&addr, &import_arn);
        match (d["ImportStatus"].as_str().unwrap(), count(&addr, &target, None)) {
            ("COMPLETED", Some(n)) => {
                assert_eq!(n, ITEMS, "cycle {cycle}: a half-made table");
                assert_eq!(count(&addr, &target, Some("byG")), Some(ITEMS));
            }
            ("FAILED", None) => imports_cut += 1,
            (s, n) => panic!("cycle {cycle}: import {s} with table of {n:?} items"),
        }
        let d = ok(&addr, "DescribeTable", &json!({"TableName": "source"}));
        assert_eq!(d["Table"]["TableStatus"], "ACTIVE");
        // A new export and a new import succeed.
        let again = wait_export(&addr, &start_export(&addr));
        assert_eq!(again["ExportStatus"], "COMPLETED", "cycle {cycle}: {again}");
        let again_table = format!("again{cycle}");
        let (status, out) = start_import(&addr, &again_table, &data);
        assert_eq!(status, 200, "{out}");
        let d = wait_import(&addr, out["ImportTableDescription"]["ImportArn"].as_str().unwrap());
        assert_eq!(d["ImportStatus"], "COMPLETED", "{d}");
        assert_eq!(count(&addr, &again_table, None), Some(ITEMS));
        assert!(server.terminate());
    }
    eprintln!(
        "an export takes {export_took:?}, an import {import_took:?}; SIGKILL cut {exports_cut} \
         exports and {imports_cut} imports of {cycles}"
    );
    assert!(exports_cut > 0 && imports_cut > 0, "no kill struck during a job");
}
