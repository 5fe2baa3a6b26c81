//! Point-in-time recovery against a model, with a writer running: a table with a global and a
//! local index takes random puts, updates and deletes, pausing now and then; while it goes on,
//! the table is restored to an instant inside each pause (RestoreTableToPointInTime with a
//! fractional RestoreDateTime). Each restored table must equal the model's table at that
//! instant, item for item, and its indexes must answer as the model's items say.
//!
//! Every third instant is also exported (ExportTableToPointInTime with that ExportTime): the
//! export's items must be the model's then, and imported back (ImportTable) they must make the
//! same table, its global index included.
//!
//! `SHALE_PITR_MODEL_OPS` (default 400) makes the run longer.

use serde_json::{json, Value as Json};
use shale_engine::fs::MemFs;
use shale_engine::{Db, Options, WalArchiveOptions};
use shale_server::dynamodb::ops::{Gateway, GatewayOptions};
use std::collections::BTreeMap;
use std::sync::{mpsc, Arc};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// (pk, sk) → item.
type Model = BTreeMap<(String, u64), Json>;

fn now_ms() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs_f64() * 1000.0
}

fn ks(h: &str, r: Option<&str>) -> Json {
    let mut k = vec![json!({"AttributeName": h, "KeyType": "HASH"})];
    if let Some(r) = r {
        k.push(json!({"AttributeName": r, "KeyType": "RANGE"}));
    }
    Json::Array(k)
}

fn open(export_root: &std::path::Path) -> Gateway {
    let opts = Options {
        fs: Arc::new(MemFs::new()),
        memtable_bytes_max: 64 << 10,
        // As shale-server opens it: dormant until a table enables recovery.
        wal_archive: Some(WalArchiveOptions { retention: Duration::ZERO, ..Default::default() }),
        ..Options::default()
    };
    let db = Db::open("/pitr", opts).unwrap();
    let opts = GatewayOptions {
        sync: false,
        export_root: Some(export_root.to_path_buf()),
        ..GatewayOptions::default()
    };
    Gateway::open(db, opts).unwrap()
}

/// Every item of `table`, by key.
fn scan(g: &Gateway, table: &str) -> Model {
    let mut out = Model::new();
    let mut start: Option<Json> = None;
    loop {
        let mut req = json!({"TableName": table});
        if let Some(s) = start.take() {
            req["ExclusiveStartKey"] = s;
        }
        let r = g.handle("Scan", &req).unwrap();
        for it in r["Items"].as_array().unwrap() {
            let pk = it["pk"]["S"].as_str().unwrap().to_string();
            let sk = it["sk"]["N"].as_str().unwrap().parse().unwrap();
            out.insert((pk, sk), it.clone());
        }
        match r.get("LastEvaluatedKey") {
            Some(k) => start = Some(k.clone()),
            None => return out,
        }
    }
}

/// The keys the global index `byOwner` answers for `owner`, in its order.
fn by_owner(g: &Gateway, table: &str, owner: &str) -> Vec<(String, u64)> {
    let r = g
        .handle(
            "Query",
            &json!({"TableName": table, "IndexName": "byOwner",
                    "KeyConditionExpression": "#o = :o",
                    "ExpressionAttributeNames": {"#o": "owner"},
                    "ExpressionAttributeValues": {":o": {"S": owner}}}),
        )
        .unwrap();
    let items = r["Items"].as_array().unwrap();
    items
        .iter()
        .map(|i| {
            (i["pk"]["S"].as_str().unwrap().into(), i["sk"]["N"].as_str().unwrap().parse().unwrap())
        })
        .collect()
}

/// What `byOwner` should answer for `owner` given the table's items (ordered by `at`, then by
/// the table's key).
fn model_by_owner(m: &Model, owner: &str) -> Vec<(String, u64)> {
    let mut v: Vec<(u64, (String, u64))> = m
        .iter()
        .filter(|(_, i)| i["owner"]["S"] == owner)
        .map(|(k, i)| (i["at"]["N"].as_str().unwrap().parse().unwrap(), k.clone()))
        .collect();
    v.sort();
    v.into_iter().map(|(_, k)| k).collect()
}

/// The local index `byAt`'s count for partition `pk`.
fn lsi_count(g: &Gateway, table: &str, pk: &str) -> u64 {
    let r = g
        .handle(
            "Query",
            &json!({"TableName": table, "IndexName": "byAt", "Select": "COUNT",
                    "KeyConditionExpression": "pk = :p",
                    "ExpressionAttributeValues": {":p": {"S": pk}}}),
        )
        .unwrap();
    r["Count"].as_u64().unwrap()
}

struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) % n
    }
}

/// One random write, applied to the table and the model.
fn write(g: &Gateway, m: &mut Model, rng: &mut Rng, n: u64) {
    let pk = format!("p{}", rng.below(6));
    let sk = rng.below(15);
    let key = json!({"pk": {"S": pk}, "sk": {"N": sk.to_string()}});
    match rng.below(6) {
        0 => {
            g.handle("DeleteItem", &json!({"TableName": "src", "Key": key})).unwrap();
            m.remove(&(pk, sk));
        }
        1 if m.contains_key(&(pk.clone(), sk)) => {
            let owner = ["ada", "bob", "cy"][rng.below(3) as usize];
            g.handle(
                "UpdateItem",
                &json!({"TableName": "src", "Key": key, "UpdateExpression": "SET #o = :o",
                        "ExpressionAttributeNames": {"#o": "owner"},
                        "ExpressionAttributeValues": {":o": {"S": owner}}}),
            )
            .unwrap();
            if let Some(i) = m.get_mut(&(pk, sk)) {
                i["owner"] = json!({"S": owner});
            }
        }
        _ => {
            let owner = ["ada", "bob", "cy"][rng.below(3) as usize];
            let item = json!({"pk": {"S": pk}, "sk": {"N": sk.to_string()},
                              "owner": {"S": owner}, "at": {"N": n.to_string()},
                              "note": {"S": format!("write {n}")}});
            g.handle("PutItem", &json!({"TableName": "src", "Item": item})).unwrap();
            m.insert((pk, sk), item);
        }
    }
}

/// Exports `src` as of `instant` (ms), checks the export's items against `want`, imports them
/// into a new table and checks that too, its global index included.
fn export_and_import(g: &Gateway, root: &std::path::Path, n: usize, instant: f64, want: &Model) {
    use std::io::Read;
    let run = shale_server::dynamodb::transfer::worker::run_pending;
    let d = g
        .handle(
            "ExportTableToPointInTime",
            &json!({"TableArn": "arn:aws:dynamodb:us-east-1:000000000000:table/src",
                    "S3Bucket": "bkt", "ExportTime": instant / 1000.0}),
        )
        .unwrap_or_else(|e| panic!("export {n}: {e:?}"));
    let arn = d["ExportDescription"]["ExportArn"].clone();
    run(g);
    let d = g.handle("DescribeExport", &json!({"ExportArn": arn})).unwrap()["ExportDescription"]
        .clone();
    assert_eq!(d["ExportStatus"], "COMPLETED", "export {n}: {d}");
    let folder = std::path::Path::new(d["ExportManifest"].as_str().unwrap()).parent().unwrap();
    let files =
        std::fs::read_to_string(root.join("bkt").join(folder).join("manifest-files.json")).unwrap();
    let mut got = Model::new();
    for entry in files.lines() {
        let f: Json = serde_json::from_str(entry).unwrap();
        let raw =
            std::fs::read(root.join("bkt").join(f["dataFileS3Key"].as_str().unwrap())).unwrap();
        let mut text = String::new();
        flate2::read::GzDecoder::new(&raw[..]).read_to_string(&mut text).unwrap();
        for line in text.lines() {
            let it = serde_json::from_str::<Json>(line).unwrap()["Item"].clone();
            let pk = it["pk"]["S"].as_str().unwrap().to_string();
            let sk = it["sk"]["N"].as_str().unwrap().parse().unwrap();
            got.insert((pk, sk), it);
        }
    }
    assert_eq!(&got, want, "export {n} at {instant}");
    let target = format!("imported{n}");
    let d = g
        .handle(
            "ImportTable",
            &json!({"S3BucketSource": {"S3Bucket": "bkt",
                                       "S3KeyPrefix": format!("{}/data/", folder.display())},
                    "InputFormat": "DYNAMODB_JSON", "InputCompressionType": "GZIP",
                    "TableCreationParameters": {
                        "TableName": target, "KeySchema": ks("pk", Some("sk")),
                        "AttributeDefinitions": [
                            {"AttributeName": "pk", "AttributeType": "S"},
                            {"AttributeName": "sk", "AttributeType": "N"},
                            {"AttributeName": "owner", "AttributeType": "S"},
                            {"AttributeName": "at", "AttributeType": "N"}],
                        "BillingMode": "PAY_PER_REQUEST",
                        "GlobalSecondaryIndexes": [{"IndexName": "byOwner",
                            "KeySchema": ks("owner", Some("at")),
                            "Projection": {"ProjectionType": "ALL"}}]}}),
        )
        .unwrap_or_else(|e| panic!("import {n}: {e:?}"));
    let arn = d["ImportTableDescription"]["ImportArn"].clone();
    run(g);
    let d = g.handle("DescribeImport", &json!({"ImportArn": arn})).unwrap();
    assert_eq!(d["ImportTableDescription"]["ImportStatus"], "COMPLETED", "import {n}: {d}");
    assert_eq!(&scan(g, &target), want, "import {n}: the table");
    for owner in ["ada", "bob", "cy"] {
        assert_eq!(by_owner(g, &target, owner), model_by_owner(want, owner), "import {n}: byOwner");
    }
    g.handle("DeleteTable", &json!({"TableName": target})).unwrap();
}

#[test]
fn restores_to_instants_taken_while_a_writer_runs_equal_the_model_then() {
    let ops =
        std::env::var("SHALE_PITR_MODEL_OPS").ok().and_then(|v| v.parse().ok()).unwrap_or(400u64);
    let buckets = tempfile::tempdir().unwrap();
    std::fs::create_dir(buckets.path().join("bkt")).unwrap();
    let g = Arc::new(open(buckets.path()));
    g.handle(
        "CreateTable",
        &json!({
            "TableName": "src",
            "KeySchema": ks("pk", Some("sk")),
            "AttributeDefinitions": [
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "N"},
                {"AttributeName": "owner", "AttributeType": "S"},
                {"AttributeName": "at", "AttributeType": "N"}],
            "BillingMode": "PAY_PER_REQUEST",
            "GlobalSecondaryIndexes": [{"IndexName": "byOwner", "KeySchema": ks("owner", Some("at")),
                                        "Projection": {"ProjectionType": "ALL"}}],
            "LocalSecondaryIndexes": [{"IndexName": "byAt", "KeySchema": ks("pk", Some("at")),
                                       "Projection": {"ProjectionType": "KEYS_ONLY"}}]
        }),
    )
    .unwrap();
    g.handle(
        "UpdateContinuousBackups",
        &json!({"TableName": "src",
                "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": true}}),
    )
    .unwrap();
    // Let the window's start (the first base) fall before the first write.
    std::thread::sleep(Duration::from_millis(20));

    // The writer sends, after every tenth write, a pause: an instant inside it and the model.
    let (tx, rx) = mpsc::channel::<(f64, Model)>();
    let writer = {
        let g = Arc::clone(&g);
        std::thread::spawn(move || {
            let (mut m, mut rng) = (Model::new(), Rng(7));
            for n in 0..ops {
                write(&g, &mut m, &mut rng, n);
                if n % 10 == 9 {
                    // Commit times come from a clock up to a few ms behind: stay clear of both
                    // edges of the pause.
                    let after = now_ms();
                    std::thread::sleep(Duration::from_millis(40));
                    tx.send((after + 20.0, m.clone())).unwrap();
                }
            }
        })
    };
    let mut restored = 0;
    for (n, (instant, want)) in rx.iter().enumerate() {
        let target = format!("restored{n}");
        let r = g
            .handle(
                "RestoreTableToPointInTime",
                &json!({"SourceTableName": "src", "TargetTableName": target,
                        "RestoreDateTime": instant / 1000.0}),
            )
            .unwrap_or_else(|e| panic!("restore {n}: {e:?}"));
        assert_eq!(r["TableDescription"]["RestoreSummary"]["RestoreInProgress"], json!(false));
        let got = scan(&g, &target);
        assert_eq!(got, want, "restore {n} to {instant}: the table");
        for owner in ["ada", "bob", "cy"] {
            assert_eq!(
                by_owner(&g, &target, owner),
                model_by_owner(&want, owner),
                "restore {n}: byOwner {owner}"
            );
        }
        for p in 0..6 {
            let pk = format!("p{p}");
            let count = want.keys().filter(|(k, _)| *k == pk).count() as u64;
            assert_eq!(lsi_count(&g, &target, &pk), count, "restore {n}: byAt {pk}");
        }
        g.handle("DeleteTable", &json!({"TableName": target})).unwrap();
        if n % 3 == 0 {
            export_and_import(&g, buckets.path(), n, instant, &want);
        }
        restored += 1;
    }
    writer.join().unwrap();
    assert_eq!(restored, ops / 10);
}
