//! Online creation of a global secondary index (UpdateTable `GlobalSecondaryIndexUpdates`):
//! - 16 clients write, update and delete items, moving them between index keys, while the
//!   index is backfilled; once it is ACTIVE it equals its recomputation from the table
//!   (0 missing, 0 extra, 0 stale);
//! - a restart in the middle of a backfill resumes it from its stored cursor;
//! - deleting the index removes it and its keyspace.

use serde_json::{json, Value as Json};
use shale_engine::fs::MemFs;
use shale_engine::{Db, Options};
use shale_server::dynamodb::ops::{Gateway, GatewayOptions};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn open(fs: &Arc<MemFs>, items_per_sec: u64, chunk: usize) -> Gateway {
    let opts = Options { fs: fs.clone(), ..Options::default() };
    let db = Db::open("/backfill", opts).expect("open");
    let gopts = GatewayOptions {
        sync: false,
        backfill_items_per_sec: items_per_sec,
        backfill_chunk_items: chunk,
        ..GatewayOptions::default()
    };
    Gateway::open(db, gopts).expect("gateway")
}

fn create_table(g: &Gateway) {
    g.handle(
        "CreateTable",
        &json!({
            "TableName": "items",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "BillingMode": "PAY_PER_REQUEST"
        }),
    )
    .expect("CreateTable");
}

fn put(g: &Gateway, i: u64, group: u64) {
    g.handle(
        "PutItem",
        &json!({"TableName": "items", "Item": {
            "pk": {"S": format!("k{i}")}, "grp": {"S": format!("g{group}")},
            "n": {"N": (i % 97).to_string()}, "pad": {"S": "x".repeat(50)}}}),
    )
    .expect("PutItem");
}

fn create_index(g: &Gateway) -> Json {
    g.handle(
        "UpdateTable",
        &json!({
            "TableName": "items",
            "AttributeDefinitions": [{"AttributeName": "grp", "AttributeType": "S"},
                                     {"AttributeName": "n", "AttributeType": "N"}],
            "GlobalSecondaryIndexUpdates": [{"Create": {
                "IndexName": "byGroup",
                "KeySchema": [{"AttributeName": "grp", "KeyType": "HASH"},
                              {"AttributeName": "n", "KeyType": "RANGE"}],
                "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["v"]}}}]
        }),
    )
    .expect("UpdateTable Create")
}

fn status(g: &Gateway) -> Option<String> {
    let d = g.handle("DescribeTable", &json!({"TableName": "items"})).expect("DescribeTable");
    d["Table"]["GlobalSecondaryIndexes"][0]["IndexStatus"].as_str().map(str::to_string)
}

fn wait_active(g: &Gateway) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while status(g).as_deref() != Some("ACTIVE") {
        assert!(Instant::now() < deadline, "the backfill finished");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn assert_exact(g: &Gateway) {
    let checks = g.check_indexes("items").expect("check_indexes");
    assert_eq!(checks.len(), 1);
    for c in checks {
        assert!(c.active && c.is_exact(), "{c:?}");
        assert!(c.entries > 0);
    }
}

#[test]
fn sixteen_clients_write_while_an_index_is_backfilled() {
    let fs = Arc::new(MemFs::new());
    // A few thousand items a second in small chunks: the backfill takes about a second, and
    // the clients write all through it.
    let g = Arc::new(open(&fs, 4000, 50));
    create_table(&g);
    for i in 0..3000 {
        put(&g, i, i % 10);
    }
    let created = create_index(&g);
    let ix = &created["TableDescription"]["GlobalSecondaryIndexes"][0];
    assert_eq!(ix["IndexStatus"], "CREATING");
    assert_eq!(ix["Backfilling"], true);
    // A backfilling index cannot be read.
    let q = g.handle("Scan", &json!({"TableName": "items", "IndexName": "byGroup"}));
    assert!(q
        .unwrap_err()
        .message()
        .contains("Cannot read from backfilling global secondary index"));

    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..16u64)
        .map(|c| {
            let (g, stop) = (Arc::clone(&g), Arc::clone(&stop));
            std::thread::spawn(move || {
                let mut x = c.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
                let mut writes = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    let i = x % 3500;
                    let key = json!({"pk": {"S": format!("k{i}")}});
                    let _ = match x % 5 {
                        0 => g.handle("DeleteItem", &json!({"TableName": "items", "Key": key})),
                        1 => g.handle(
                            "UpdateItem",
                            &json!({"TableName": "items", "Key": key,
                            "UpdateExpression": "REMOVE grp"}),
                        ),
                        2 => g.handle(
                            "UpdateItem",
                            &json!({"TableName": "items", "Key": key,
                            "UpdateExpression": "SET v = :v",
                            "ExpressionAttributeValues": {":v": {"N": (x % 1000).to_string()}}}),
                        ),
                        _ => g.handle(
                            "UpdateItem",
                            &json!({"TableName": "items", "Key": key,
                            "UpdateExpression": "SET grp = :g, n = :n",
                            "ExpressionAttributeValues": {":g": {"S": format!("g{}", x % 13)},
                                                          ":n": {"N": (x % 50).to_string()}}}),
                        ),
                    };
                    writes += 1;
                }
                writes
            })
        })
        .collect();
    let started = Instant::now();
    let mut writes_during = 0;
    wait_active(&g);
    let backfill = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        writes_during += c.join().expect("client");
    }
    assert!(writes_during > 100, "the clients wrote during the backfill ({writes_during})");
    eprintln!("backfill {backfill:?} with {writes_during} concurrent writes");
    assert_exact(&g);
    // Reads now work, and return what the table holds.
    let r = g.handle(
        "Query",
        &json!({"TableName": "items", "IndexName": "byGroup",
        "KeyConditionExpression": "grp = :g", "ExpressionAttributeValues": {":g": {"S": "g3"}}}),
    );
    assert!(r.expect("Query")["Count"].as_u64().is_some());
}

#[test]
fn a_restart_resumes_the_backfill_and_deletion_removes_the_index() {
    let fs = Arc::new(MemFs::new());
    let g = open(&fs, 2000, 20);
    create_table(&g);
    for i in 0..1000 {
        put(&g, i, i % 4);
    }
    create_index(&g);
    std::thread::sleep(Duration::from_millis(100));
    drop(g);
    // Reopened unpaced: the job resumes from the stored cursor and finishes.
    let g = open(&fs, 0, 20);
    let d = g.handle("DescribeTable", &json!({"TableName": "items"})).expect("DescribeTable");
    let ix = &d["Table"]["GlobalSecondaryIndexes"][0];
    if ix["IndexStatus"] == "CREATING" {
        assert_eq!(ix["Backfilling"], true);
    }
    wait_active(&g);
    assert_exact(&g);
    // Deleting: DELETING (or gone) at once, then gone with its keyspace.
    let before = g.db().list_keyspaces().len();
    g.handle(
        "UpdateTable",
        &json!({"TableName": "items",
                "GlobalSecondaryIndexUpdates": [{"Delete": {"IndexName": "byGroup"}}]}),
    )
    .expect("Delete");
    g.wait_for_index_jobs();
    let d = g.handle("DescribeTable", &json!({"TableName": "items"})).expect("DescribeTable");
    assert!(d["Table"].get("GlobalSecondaryIndexes").is_none(), "{d}");
    assert_eq!(g.db().list_keyspaces().len(), before - 1);
    // The definitions only the index used went with it.
    assert_eq!(d["Table"]["AttributeDefinitions"].as_array().map(Vec::len), Some(1));
}

#[test]
fn an_index_deleted_while_created_and_created_again_is_a_new_index() {
    let fs = Arc::new(MemFs::new());
    let g = open(&fs, 3000, 10);
    create_table(&g);
    for i in 0..600 {
        put(&g, i, i % 5);
    }
    let keyspaces = g.db().list_keyspaces().len();
    for _ in 0..3 {
        create_index(&g);
        g.handle(
            "UpdateTable",
            &json!({"TableName": "items",
                    "GlobalSecondaryIndexUpdates": [{"Delete": {"IndexName": "byGroup"}}]}),
        )
        .expect("Delete while CREATING");
        // The old jobs finish the deletion; the new index's job is its own.
        let deadline = Instant::now() + Duration::from_secs(60);
        while status(&g).is_some() {
            assert!(Instant::now() < deadline, "the deletion finished");
            std::thread::sleep(Duration::from_millis(5));
        }
    }
    create_index(&g);
    wait_active(&g);
    g.wait_for_index_jobs();
    assert_exact(&g);
    assert_eq!(g.db().list_keyspaces().len(), keyspaces + 1, "every deleted index's keyspace went");
}
