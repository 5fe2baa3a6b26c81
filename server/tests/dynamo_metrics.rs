//! DynamoDB's CloudWatch metrics on known traffic, with a clock the test sets: every request
//! counted once, in the minute it ran, with the statistics CloudWatch answers; DynamoDB Streams'
//! GetRecords (ReturnedBytes, ReturnedRecordsCount); an index backfill's progress
//! (OnlineIndexPercentageProgress).

use serde_json::json;
use shale_engine::fs::MemFs;
use shale_engine::{Db, Options};
use shale_server::cloudwatch::store::series::SeriesKey;
use shale_server::cloudwatch::store::stats::Stats;
use shale_server::cloudwatch::store::{minute_of, MetricStore};
use shale_server::dynamodb::capacity::clock::ManualClock;
use shale_server::dynamodb::metrics::harvest::Harvester;
use shale_server::dynamodb::ops::{Gateway, GatewayOptions};
use shale_server::iam::caller::Caller;
use std::sync::Arc;
use std::time::{Duration, Instant};

const T0: f64 = 1_800_000_000.0;

fn key(name: &str, dims: &[(&str, &str)]) -> SeriesKey {
    let d = dims.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect();
    SeriesKey::new("AWS/DynamoDB", name, d)
}

/// A gateway over a database in `fs`, counting requests when `metrics`, on a clock at T0.
fn open(fs: &Arc<MemFs>, metrics: bool) -> (Gateway, Db, Arc<ManualClock>) {
    let db = Db::open("/metrics", Options { fs: fs.clone(), ..Options::default() }).unwrap();
    let clock = Arc::new(ManualClock::at(T0));
    let gopts =
        GatewayOptions { sync: false, clock: clock.clone(), metrics, ..GatewayOptions::default() };
    (Gateway::open(db.clone(), gopts).unwrap(), db, clock)
}

fn minute_stats(store: &MetricStore, k: &SeriesKey, minute: i64) -> Option<Stats> {
    store.statistics(k, minute, minute + 1, 1).unwrap().first().map(|(_, s)| *s)
}

/// Creates table `tbl` (hash key `pk`, S) with the settings in `extra` (billing, streams).
fn create_tbl(g: &Gateway, extra: serde_json::Value) -> serde_json::Value {
    let mut body = json!({
        "TableName": "tbl",
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}]
    });
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    g.handle("CreateTable", &body).unwrap()
}

#[test]
fn metrics_count_known_traffic_per_minute_and_survive_a_restart() {
    let fs = Arc::new(MemFs::new());
    let (g, db, clock) = open(&fs, true);
    let store = MetricStore::open(&db).unwrap();
    let mut h = Harvester::default();
    create_tbl(
        &g,
        json!({"ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 7}}),
    );
    let m0 = minute_of(T0);
    for i in 0..10 {
        g.handle("PutItem", &json!({"TableName": "tbl", "Item": {"pk": {"S": format!("k{i}")}, "v": {"S": "x".repeat(1500)}}}))
            .unwrap();
    }
    for _ in 0..4 {
        g.handle("GetItem", &json!({"TableName": "tbl", "Key": {"pk": {"S": "k1"}}})).unwrap();
    }
    g.handle("Scan", &json!({"TableName": "tbl"})).unwrap();
    // A failed condition, a client error, and (once the read burst is spent) throttles.
    let failed = g.handle(
        "PutItem",
        &json!({"TableName": "tbl", "Item": {"pk": {"S": "k1"}}, "ConditionExpression": "attribute_not_exists(pk)"}),
    );
    assert!(failed.is_err());
    assert!(g.handle("GetItem", &json!({"TableName": "tbl"})).is_err());
    h.pass(&g, &store);
    let t = [("TableName", "tbl")];
    // 10 writes of 2 KB items: 2 units each; and the write whose condition failed, charged
    // for the item as it is (2 KB, 2 units), as DynamoDB charges it.
    assert_eq!(
        minute_stats(&store, &key("ConsumedWriteCapacityUnits", &t), m0),
        Some(Stats { count: 11.0, sum: 22.0, min: 2.0, max: 2.0 })
    );
    let reads = minute_stats(&store, &key("ConsumedReadCapacityUnits", &t), m0).unwrap();
    assert_eq!(reads.count, 5.0, "4 GetItems and a Scan");
    assert_eq!(reads.sum, 4.0 * 0.5 + 2.0, "a Scan of 15 KB eventually consistent: 2 units");
    let get = [("TableName", "tbl"), ("Operation", "GetItem")];
    let latency = minute_stats(&store, &key("SuccessfulRequestLatency", &get), m0).unwrap();
    assert_eq!(latency.count, 4.0);
    assert!(latency.min >= 0.0 && latency.max >= latency.min);
    let scan = [("TableName", "tbl"), ("Operation", "Scan")];
    assert_eq!(
        minute_stats(&store, &key("ReturnedItemCount", &scan), m0).map(|s| s.sum),
        Some(10.0)
    );
    assert_eq!(
        minute_stats(&store, &key("ConditionalCheckFailedRequests", &t), m0).map(|s| s.sum),
        Some(1.0)
    );
    assert_eq!(minute_stats(&store, &key("UserErrors", &[]), m0).map(|s| s.sum), Some(1.0));
    assert_eq!(
        minute_stats(&store, &key("ProvisionedWriteCapacityUnits", &t), m0).map(|s| s.max),
        Some(7.0)
    );
    // A change of capacity is sampled at once, not at the next minute.
    let update = json!({"TableName": "tbl",
        "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 9}});
    g.handle("UpdateTable", &update).unwrap();
    h.pass(&g, &store);
    let s = minute_stats(&store, &key("ProvisionedWriteCapacityUnits", &t), m0).unwrap();
    assert_eq!((s.min, s.max, s.count), (7.0, 9.0, 2.0));
    // Unchanged, it is not sampled again within the minute.
    h.pass(&g, &store);
    let s = minute_stats(&store, &key("ProvisionedWriteCapacityUnits", &t), m0).unwrap();
    assert_eq!(s.count, 2.0);
    // The next minute: throttles.
    clock.advance(60.0);
    for _ in 0..700 {
        let _ = g.handle(
            "GetItem",
            &json!({"TableName": "tbl", "Key": {"pk": {"S": "k1"}}, "ConsistentRead": true}),
        );
    }
    h.pass(&g, &store);
    let m1 = m0 + 1;
    let throttles = minute_stats(&store, &key("ReadThrottleEvents", &t), m1).unwrap();
    let served = minute_stats(&store, &key("SuccessfulRequestLatency", &get), m1).unwrap();
    assert_eq!(throttles.sum + served.count, 700.0);
    assert!(throttles.sum >= 300.0, "{throttles:?}");
    assert_eq!(
        minute_stats(&store, &key("ThrottledRequests", &get), m1).map(|s| s.sum),
        Some(throttles.sum)
    );
    assert_eq!(
        minute_stats(&store, &key("ConsumedWriteCapacityUnits", &t), m1),
        None,
        "nothing written in minute 1"
    );
    drop(g);
    drop(store);
    db.close().unwrap();
    // A restart: every minute is still there.
    let db = Db::open("/metrics", Options { fs, ..Options::default() }).unwrap();
    let store = MetricStore::open(&db).unwrap();
    assert_eq!(
        minute_stats(&store, &key("ConsumedWriteCapacityUnits", &t), m0).map(|s| s.sum),
        Some(22.0)
    );
    assert_eq!(minute_stats(&store, &key("ReadThrottleEvents", &t), m1), Some(throttles));
}

#[test]
fn metrics_off_records_nothing() {
    let (g, db, _clock) = open(&Arc::new(MemFs::new()), false);
    let store = MetricStore::open(&db).unwrap();
    create_tbl(&g, json!({"BillingMode": "PAY_PER_REQUEST"}));
    g.handle("PutItem", &json!({"TableName": "tbl", "Item": {"pk": {"S": "a"}}})).unwrap();
    assert!(g.handle("GetItem", &json!({"TableName": "tbl"})).is_err());
    Harvester::default().pass(&g, &store);
    assert_eq!(store.list(None, None, &[], None), Vec::<SeriesKey>::new());
}

/// Runs DynamoDB Streams' operation `name` in process, as an allowed-everything caller.
fn streams(g: &Gateway, name: &str, body: serde_json::Value) -> serde_json::Value {
    let op = shale_server::streams::OPERATIONS.iter().find(|o| o.name == name).unwrap();
    let caller = Caller::anonymous(&g.options().account, None, false);
    (op.handler.run)(g, body.to_string().as_bytes(), &caller).unwrap()
}

#[test]
fn get_records_counts_the_records_and_bytes_it_returns() {
    let (g, db, _clock) = open(&Arc::new(MemFs::new()), true);
    let store = MetricStore::open(&db).unwrap();
    let stream = json!({"StreamEnabled": true, "StreamViewType": "NEW_IMAGE"});
    let created =
        create_tbl(&g, json!({"BillingMode": "PAY_PER_REQUEST", "StreamSpecification": stream}));
    let desc = &created["TableDescription"];
    let (arn, label) =
        (desc["LatestStreamArn"].as_str().unwrap(), desc["LatestStreamLabel"].as_str().unwrap());
    for i in 0..3 {
        let item = json!({"TableName": "tbl", "Item": {"pk": {"S": format!("k{i}")}, "v": {"S": "x".repeat(100)}}});
        g.handle("PutItem", &item).unwrap();
    }
    // Every shard read once from its start (the writes are published: the records are there).
    let stream = streams(&g, "DescribeStream", json!({"StreamArn": arn}));
    let (mut read, mut calls, mut most) = (0, 0, 0);
    for shard in stream["StreamDescription"]["Shards"].as_array().unwrap() {
        let it = streams(
            &g,
            "GetShardIterator",
            json!({"StreamArn": arn, "ShardId": shard["ShardId"], "ShardIteratorType": "TRIM_HORIZON"}),
        );
        let got = streams(&g, "GetRecords", json!({"ShardIterator": it["ShardIterator"]}));
        let n = got["Records"].as_array().unwrap().len();
        (read, calls, most) = (read + n, calls + 1, most.max(n));
    }
    assert_eq!(read, 3);
    Harvester::default().pass(&g, &store);
    let m0 = minute_of(T0);
    let d = [("TableName", "tbl"), ("StreamLabel", label), ("Operation", "GetRecords")];
    let records = minute_stats(&store, &key("ReturnedRecordsCount", &d), m0).unwrap();
    assert_eq!((records.count, records.sum, records.max), (calls as f64, 3.0, most as f64));
    let bytes = minute_stats(&store, &key("ReturnedBytes", &d), m0).unwrap();
    // Each record holds its keys and its new image: more than the 100-byte attribute.
    assert!(bytes.count == calls as f64 && bytes.sum > 300.0, "{bytes:?}");
    let latency = [("TableName", "tbl"), ("Operation", "GetRecords")];
    let l = minute_stats(&store, &key("SuccessfulRequestLatency", &latency), m0).unwrap();
    assert_eq!(l.count, calls as f64);
}

#[test]
fn an_index_backfill_reports_its_progress_then_100() {
    let fs = Arc::new(MemFs::new());
    let db = Db::open("/metrics", Options { fs: fs.clone(), ..Options::default() }).unwrap();
    let gopts = GatewayOptions {
        sync: false,
        clock: Arc::new(ManualClock::at(T0)),
        // 2000 items at 2000 a second, in chunks of 100: about a second.
        backfill_items_per_sec: 2000,
        backfill_chunk_items: 100,
        ..GatewayOptions::default()
    };
    let g = Gateway::open(db.clone(), gopts).unwrap();
    let store = MetricStore::open(&db).unwrap();
    create_tbl(&g, json!({"BillingMode": "PAY_PER_REQUEST"}));
    for i in 0..2000 {
        let item =
            json!({"TableName": "tbl", "Item": {"pk": {"S": format!("k{i}")}, "g": {"S": "a"}}});
        g.handle("PutItem", &item).unwrap();
    }
    g.handle(
        "UpdateTable",
        &json!({
            "TableName": "tbl",
            "AttributeDefinitions": [{"AttributeName": "g", "AttributeType": "S"}],
            "GlobalSecondaryIndexUpdates": [{"Create": {"IndexName": "byG",
                "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"}}}]
        }),
    )
    .unwrap();
    let mut h = Harvester::default();
    let active = || {
        let d = g.handle("DescribeTable", &json!({"TableName": "tbl"})).unwrap();
        d["Table"]["GlobalSecondaryIndexes"][0]["IndexStatus"] == "ACTIVE"
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while !active() {
        assert!(Instant::now() < deadline, "the backfill finished");
        h.pass(&g, &store);
        std::thread::sleep(Duration::from_millis(100));
    }
    h.pass(&g, &store);
    let d = [("TableName", "tbl"), ("GlobalSecondaryIndexName", "byG")];
    let progress =
        minute_stats(&store, &key("OnlineIndexPercentageProgress", &d), minute_of(T0)).unwrap();
    assert_eq!(progress.max, 100.0, "{progress:?}");
    assert!(progress.count >= 3.0 && progress.min < 100.0, "{progress:?}");
    // Nothing more once ACTIVE.
    h.pass(&g, &store);
    let after =
        minute_stats(&store, &key("OnlineIndexPercentageProgress", &d), minute_of(T0)).unwrap();
    assert_eq!(after.count, progress.count, "nothing more once ACTIVE");
}
