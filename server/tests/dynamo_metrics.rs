//! DynamoDB's CloudWatch metrics on known traffic, with a clock the test sets: every request
//! counted once, in the minute it ran, with the statistics CloudWatch answers.

use serde_json::json;
use shale_engine::fs::MemFs;
use shale_engine::{Db, Options};
use shale_server::cloudwatch::store::series::SeriesKey;
use shale_server::cloudwatch::store::stats::Stats;
use shale_server::cloudwatch::store::{minute_of, MetricStore};
use shale_server::dynamodb::capacity::clock::ManualClock;
use shale_server::dynamodb::metrics::harvest::Harvester;
use shale_server::dynamodb::ops::{Gateway, GatewayOptions};
use std::sync::Arc;

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

#[test]
fn metrics_count_known_traffic_per_minute_and_survive_a_restart() {
    let fs = Arc::new(MemFs::new());
    let (g, db, clock) = open(&fs, true);
    let store = MetricStore::open(&db).unwrap();
    let mut h = Harvester::default();
    g.handle(
        "CreateTable",
        &json!({
            "TableName": "tbl",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 7}
        }),
    )
    .unwrap();
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
    // 10 writes of 2 KB items: 2 units each.
    assert_eq!(
        minute_stats(&store, &key("ConsumedWriteCapacityUnits", &t), m0),
        Some(Stats { count: 10.0, sum: 20.0, min: 2.0, max: 2.0 })
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
        Some(20.0)
    );
    assert_eq!(minute_stats(&store, &key("ReadThrottleEvents", &t), m1), Some(throttles));
}

#[test]
fn metrics_off_records_nothing() {
    let (g, db, _clock) = open(&Arc::new(MemFs::new()), false);
    let store = MetricStore::open(&db).unwrap();
    g.handle(
        "CreateTable",
        &json!({
            "TableName": "tbl",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "BillingMode": "PAY_PER_REQUEST"
        }),
    )
    .unwrap();
    g.handle("PutItem", &json!({"TableName": "tbl", "Item": {"pk": {"S": "a"}}})).unwrap();
    assert!(g.handle("GetItem", &json!({"TableName": "tbl"})).is_err());
    Harvester::default().pass(&g, &store);
    assert_eq!(store.list(None, None, &[], None), Vec::<SeriesKey>::new());
}
