//! Capacity and throttling, decided by a clock the test sets (`ManualClock`): provisioned
//! tables and global indexes throttle exactly past their rate plus 300 seconds of burst;
//! on-demand tables past their `OnDemandThroughput`; batches answer unprocessed items and keys;
//! a transaction is cancelled; a throttled write changes nothing; `ConsumedCapacity` is the
//! charge; `--capacity report` throttles nothing.

use serde_json::{json, Value as Json};
use shale_engine::fs::MemFs;
use shale_engine::{Db, Options};
use shale_server::dynamodb::capacity::clock::ManualClock;
use shale_server::dynamodb::capacity::throttle::Enforcement;
use shale_server::dynamodb::error::DynamoError;
use shale_server::dynamodb::ops::{Gateway, GatewayOptions};
use std::sync::Arc;

const T0: f64 = 1_800_000_000.0;

fn open(enforcement: Enforcement) -> (Gateway, Arc<ManualClock>) {
    let fs = Arc::new(MemFs::new());
    let db = Db::open("/capacity", Options { fs, ..Options::default() }).expect("open");
    let clock = Arc::new(ManualClock::at(T0));
    let gopts = GatewayOptions {
        sync: false,
        capacity: enforcement,
        clock: clock.clone(),
        ..GatewayOptions::default()
    };
    (Gateway::open(db, gopts).expect("gateway"), clock)
}

fn provisioned(g: &Gateway, name: &str, read: i64, write: i64) {
    g.handle(
        "CreateTable",
        &json!({
            "TableName": name,
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "ProvisionedThroughput": {"ReadCapacityUnits": read, "WriteCapacityUnits": write}
        }),
    )
    .expect("CreateTable");
}

fn put(g: &Gateway, table: &str, pk: &str, bytes: usize) -> Result<Json, DynamoError> {
    g.handle(
        "PutItem",
        &json!({"TableName": table, "Item": {"pk": {"S": pk}, "v": {"S": "x".repeat(bytes)}},
                "ReturnConsumedCapacity": "TOTAL"}),
    )
}

fn get(g: &Gateway, table: &str, pk: &str, consistent: bool) -> Result<Json, DynamoError> {
    g.handle(
        "GetItem",
        &json!({"TableName": table, "Key": {"pk": {"S": pk}}, "ConsistentRead": consistent,
                "ReturnConsumedCapacity": "TOTAL"}),
    )
}

/// The error's `__type` suffix and its first throttling reason.
fn throttle_of(e: &DynamoError) -> (String, String) {
    let body = e.body();
    let ty = body["__type"].as_str().unwrap_or("").rsplit('#').next().unwrap_or("").to_string();
    let reasons = if body["ThrottlingReasons"].is_array() {
        &body["ThrottlingReasons"]
    } else {
        &body["throttlingReasons"]
    };
    (ty, reasons[0]["reason"].as_str().unwrap_or("").to_string())
}

#[test]
fn provisioned_reads_throttle_exactly_past_rate_plus_burst() {
    let (g, clock) = open(Enforcement::Enforce);
    provisioned(&g, "tbl", 2, 1000);
    put(&g, "tbl", "a", 10).unwrap();
    // 2 RCU: 600 units of burst; a strongly consistent read of a small item costs 1.
    for i in 0..600 {
        let r = get(&g, "tbl", "a", true).unwrap_or_else(|e| panic!("read {i}: {e:?}"));
        assert_eq!(r["ConsumedCapacity"]["CapacityUnits"], json!(1.0));
    }
    let e = get(&g, "tbl", "a", true).unwrap_err();
    assert_eq!(
        throttle_of(&e),
        (
            "ProvisionedThroughputExceededException".into(),
            "TableReadProvisionedThroughputExceeded".into()
        )
    );
    assert!(e
        .message()
        .starts_with("The level of configured provisioned throughput for the table was exceeded"));
    assert_eq!(
        e.body()["ThrottlingReasons"][0]["resource"],
        json!("arn:aws:dynamodb:us-east-1:000000000000:table/tbl")
    );
    // Half a second refills one unit: two eventually consistent reads (half a unit each).
    clock.advance(0.5);
    get(&g, "tbl", "a", false).unwrap();
    get(&g, "tbl", "a", false).unwrap();
    assert!(get(&g, "tbl", "a", false).is_err());
    // Scans are charged too, and refused when the bucket is empty.
    assert!(g.handle("Scan", &json!({"TableName": "tbl"})).is_err());
    clock.advance(1.0);
    g.handle("Scan", &json!({"TableName": "tbl"})).unwrap();
    // Burst never exceeds 300 seconds of the rate.
    clock.advance(10_000.0);
    for _ in 0..600 {
        get(&g, "tbl", "a", true).unwrap();
    }
    assert!(get(&g, "tbl", "a", true).is_err());
}

#[test]
fn writes_are_charged_their_size_and_a_throttled_write_changes_nothing() {
    let (g, clock) = open(Enforcement::Enforce);
    provisioned(&g, "tbl", 1000, 1);
    // 5 KB items cost 5 units; 300 units of burst take 60 of them.
    for i in 0..60 {
        let r = put(&g, "tbl", &format!("k{i}"), 5000).unwrap();
        assert_eq!(r["ConsumedCapacity"]["CapacityUnits"], json!(5.0));
    }
    let e = put(&g, "tbl", "late", 10).unwrap_err();
    assert_eq!(throttle_of(&e).1, "TableWriteProvisionedThroughputExceeded");
    assert_eq!(
        g.handle("GetItem", &json!({"TableName": "tbl", "Key": {"pk": {"S": "late"}}})).unwrap(),
        json!({})
    );
    // A large write goes through when the bucket holds any unit, and is paid back after.
    clock.advance(1.0);
    put(&g, "tbl", "big", 5000).unwrap();
    clock.advance(3.0);
    assert!(put(&g, "tbl", "x", 10).is_err(), "4 of the 5 units owed are back: still below zero");
    clock.advance(1.5);
    put(&g, "tbl", "x", 10).unwrap();
}

#[test]
fn global_indexes_have_their_own_buckets() {
    let (g, clock) = open(Enforcement::Enforce);
    g.handle(
        "CreateTable",
        &json!({
            "TableName": "tbl",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                     {"AttributeName": "g", "AttributeType": "S"}],
            "ProvisionedThroughput": {"ReadCapacityUnits": 100, "WriteCapacityUnits": 100},
            "GlobalSecondaryIndexes": [{
                "IndexName": "by_g",
                "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
                "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}
            }]
        }),
    )
    .unwrap();
    // Items outside the index cost it nothing.
    for i in 0..400 {
        g.handle("PutItem", &json!({"TableName": "tbl", "Item": {"pk": {"S": format!("p{i}")}}}))
            .unwrap();
    }
    // 300 units of the index's burst, one per indexed item.
    for i in 0..300 {
        let r = g
            .handle(
                "PutItem",
                &json!({"TableName": "tbl", "Item": {"pk": {"S": format!("i{i}")}, "g": {"S": "x"}},
                        "ReturnConsumedCapacity": "INDEXES"}),
            )
            .unwrap();
        assert_eq!(
            r["ConsumedCapacity"]["GlobalSecondaryIndexes"]["by_g"]["CapacityUnits"],
            json!(1.0)
        );
    }
    let e = g
        .handle(
            "PutItem",
            &json!({"TableName": "tbl", "Item": {"pk": {"S": "last"}, "g": {"S": "x"}}}),
        )
        .unwrap_err();
    assert_eq!(
        throttle_of(&e),
        (
            "ProvisionedThroughputExceededException".into(),
            "IndexWriteProvisionedThroughputExceeded".into()
        )
    );
    assert!(e.message().contains("one or more global secondary indexes"));
    assert_eq!(
        e.body()["ThrottlingReasons"][0]["resource"],
        json!("arn:aws:dynamodb:us-east-1:000000000000:table/tbl/index/by_g")
    );
    // The table still takes writes the index does not see.
    g.handle("PutItem", &json!({"TableName": "tbl", "Item": {"pk": {"S": "plain"}}})).unwrap();
    // Index reads: 300 units of the index's read burst; a query of the 300 items reads
    // 300 small entries (under 4 KB: one unit, eventually consistent: half).
    let q = json!({"TableName": "tbl", "IndexName": "by_g", "KeyConditionExpression": "g = :g",
                   "ExpressionAttributeValues": {":g": {"S": "x"}}, "ReturnConsumedCapacity": "INDEXES"});
    for _ in 0..600 {
        g.handle("Query", &q).unwrap();
    }
    let e = g.handle("Query", &q).unwrap_err();
    assert_eq!(throttle_of(&e).1, "IndexReadProvisionedThroughputExceeded");
    // The table's own reads are unaffected.
    g.handle("GetItem", &json!({"TableName": "tbl", "Key": {"pk": {"S": "p1"}}})).unwrap();
    clock.advance(1.0);
    g.handle("Query", &q).unwrap();
}

#[test]
fn batches_answer_what_capacity_did_not_admit_as_unprocessed() {
    let (g, clock) = open(Enforcement::Enforce);
    provisioned(&g, "tbl", 1, 1);
    // 25 puts of 20 units each against 300 units: 15 are admitted, 10 are unprocessed.
    let requests: Vec<Json> = (0..25)
        .map(|i| json!({"PutRequest": {"Item": {"pk": {"S": format!("k{i:02}")}, "v": {"S": "x".repeat(20_000)}}}}))
        .collect();
    let r = g
        .handle(
            "BatchWriteItem",
            &json!({"RequestItems": {"tbl": requests}, "ReturnConsumedCapacity": "TOTAL"}),
        )
        .unwrap();
    let left = r["UnprocessedItems"]["tbl"].as_array().expect("unprocessed").clone();
    assert_eq!(left.len(), 10);
    assert_eq!(left[0]["PutRequest"]["Item"]["pk"], json!({"S": "k15"}));
    assert_eq!(r["ConsumedCapacity"][0]["CapacityUnits"], json!(300.0));
    // Nothing admitted at all: the whole batch is throttled.
    let e =
        g.handle("BatchWriteItem", &json!({"RequestItems": {"tbl": left.clone()}})).unwrap_err();
    assert_eq!(throttle_of(&e).0, "ProvisionedThroughputExceededException");
    // Retried later, the unprocessed items go in.
    clock.advance(10_000.0);
    let r = g.handle("BatchWriteItem", &json!({"RequestItems": {"tbl": left}})).unwrap();
    assert_eq!(r["UnprocessedItems"], json!({}));
    // Reads: 300 units; use 250, then a batch of 100 consistent reads of items of 20 KB
    // (5 units each, estimated at one each when admitted): the bucket admits 50 keys.
    for _ in 0..250 {
        get(&g, "tbl", "none", true).unwrap();
    }
    let keys: Vec<Json> = (0..100).map(|i| json!({"pk": {"S": format!("n{i}")}})).collect();
    let r = g
        .handle(
            "BatchGetItem",
            &json!({"RequestItems": {"tbl": {"Keys": keys, "ConsistentRead": true}}}),
        )
        .unwrap();
    assert_eq!(r["UnprocessedKeys"]["tbl"]["Keys"].as_array().map(Vec::len), Some(50));
    assert_eq!(r["UnprocessedKeys"]["tbl"]["ConsistentRead"], json!(true));
    let keys: Vec<Json> = (0..3).map(|i| json!({"pk": {"S": format!("n{i}")}})).collect();
    let e =
        g.handle("BatchGetItem", &json!({"RequestItems": {"tbl": {"Keys": keys}}})).unwrap_err();
    assert_eq!(throttle_of(&e).1, "TableReadProvisionedThroughputExceeded");
}

#[test]
fn transactions_are_cancelled_when_a_table_is_out_of_capacity() {
    let (g, _clock) = open(Enforcement::Enforce);
    provisioned(&g, "tbl", 1, 1);
    provisioned(&g, "utb", 100, 100);
    // Transactions cost double: 150 single-item transactions of 1 KB use 300 units.
    for i in 0..150 {
        g.handle(
            "TransactWriteItems",
            &json!({"TransactItems": [{"Put": {"TableName": "tbl", "Item": {"pk": {"S": format!("k{i}")}}}}]}),
        )
        .unwrap();
    }
    let e = g
        .handle(
            "TransactWriteItems",
            &json!({"TransactItems": [
                {"Put": {"TableName": "utb", "Item": {"pk": {"S": "a"}}}},
                {"Put": {"TableName": "tbl", "Item": {"pk": {"S": "b"}}}}
            ]}),
        )
        .unwrap_err();
    let body = e.body();
    assert_eq!(body["CancellationReasons"][0]["Code"], json!("None"));
    assert_eq!(body["CancellationReasons"][1]["Code"], json!("ProvisionedThroughputExceeded"));
    // Nothing was written, on either table.
    for t in ["utb", "tbl"] {
        let pk = if t == "utb" { "a" } else { "b" };
        assert_eq!(
            g.handle("GetItem", &json!({"TableName": t, "Key": {"pk": {"S": pk}}})).unwrap(),
            json!({})
        );
    }
    // Reads: 300 units, 2 per transactional read.
    for _ in 0..150 {
        g.handle(
            "TransactGetItems",
            &json!({"TransactItems": [{"Get": {"TableName": "tbl", "Key": {"pk": {"S": "k1"}}}}]}),
        )
        .unwrap();
    }
    let e = g
        .handle(
            "TransactGetItems",
            &json!({"TransactItems": [{"Get": {"TableName": "tbl", "Key": {"pk": {"S": "k1"}}}}]}),
        )
        .unwrap_err();
    assert_eq!(e.body()["CancellationReasons"][0]["Code"], json!("ProvisionedThroughputExceeded"));
}

#[test]
fn on_demand_tables_throttle_past_their_own_maximum() {
    let (g, clock) = open(Enforcement::Enforce);
    g.handle(
        "CreateTable",
        &json!({
            "TableName": "odt",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "BillingMode": "PAY_PER_REQUEST",
            "OnDemandThroughput": {"MaxReadRequestUnits": 5, "MaxWriteRequestUnits": -1}
        }),
    )
    .unwrap();
    let d = g.handle("DescribeTable", &json!({"TableName": "odt"})).unwrap();
    assert_eq!(
        d["Table"]["OnDemandThroughput"],
        json!({"MaxReadRequestUnits": 5, "MaxWriteRequestUnits": -1})
    );
    for _ in 0..5 {
        get(&g, "odt", "a", true).unwrap();
    }
    let e = get(&g, "odt", "a", true).unwrap_err();
    assert_eq!(
        throttle_of(&e),
        ("ThrottlingException".into(), "TableReadMaxOnDemandThroughputExceeded".into())
    );
    assert_eq!(e.body()["__type"], json!("com.amazon.coral.availability#ThrottlingException"));
    // Writes run by DynamoDB's per-table maximum.
    for i in 0..100 {
        put(&g, "odt", &format!("k{i}"), 10).unwrap();
    }
    clock.advance(1.0);
    get(&g, "odt", "a", true).unwrap();
    // The maximum is changed (and removed) by UpdateTable.
    g.handle(
        "UpdateTable",
        &json!({"TableName": "odt", "OnDemandThroughput": {"MaxReadRequestUnits": -1}}),
    )
    .unwrap();
    clock.advance(0.01);
    for _ in 0..100 {
        get(&g, "odt", "a", true).unwrap();
    }
    let d = g.handle("DescribeTable", &json!({"TableName": "odt"})).unwrap();
    assert_eq!(d["Table"].get("OnDemandThroughput"), None);
    // A provisioned table takes none.
    let e = g
        .handle(
            "CreateTable",
            &json!({
                "TableName": "prv",
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
                "OnDemandThroughput": {"MaxReadRequestUnits": 5}
            }),
        )
        .unwrap_err();
    assert!(e.message().contains("OnDemandThroughput"), "{}", e.message());
    let e = g
        .handle(
            "UpdateTable",
            &json!({"TableName": "odt", "OnDemandThroughput": {"MaxReadRequestUnits": 0}}),
        )
        .unwrap_err();
    assert!(e.message().contains("MaxReadRequestUnits"), "{}", e.message());
}

#[test]
fn throughput_changes_apply_at_once_and_decreases_are_limited_per_day() {
    let (g, clock) = open(Enforcement::Enforce);
    provisioned(&g, "tbl", 1, 1);
    for _ in 0..300 {
        get(&g, "tbl", "a", true).unwrap();
    }
    assert!(get(&g, "tbl", "a", true).is_err());
    let update = |r: i64| {
        g.handle(
            "UpdateTable",
            &json!({"TableName": "tbl", "ProvisionedThroughput": {"ReadCapacityUnits": r, "WriteCapacityUnits": 1}}),
        )
    };
    update(100).unwrap();
    clock.advance(1.0);
    for _ in 0..100 {
        get(&g, "tbl", "a", true).unwrap();
    }
    assert!(get(&g, "tbl", "a", true).is_err(), "the new rate from the change on, not before");
    // Four decreases in a day, then one an hour.
    for r in [50, 40, 30, 20] {
        update(r).unwrap();
    }
    let e = update(10).unwrap_err();
    assert!(matches!(e, DynamoError::LimitExceeded(_)), "{e:?}");
    assert!(e.message().contains("Number of decreases today: 4"), "{}", e.message());
    update(30).unwrap();
    clock.advance(3600.0);
    update(10).unwrap();
    let d = g.handle("DescribeTable", &json!({"TableName": "tbl"})).unwrap();
    assert_eq!(d["Table"]["ProvisionedThroughput"]["ReadCapacityUnits"], json!(10));
}

#[test]
fn report_mode_throttles_nothing_and_still_reports() {
    let (g, _clock) = open(Enforcement::Report);
    provisioned(&g, "tbl", 1, 1);
    for i in 0..400 {
        let r = put(&g, "tbl", &format!("k{i}"), 10).unwrap();
        assert_eq!(r["ConsumedCapacity"]["CapacityUnits"], json!(1.0));
    }
    for _ in 0..400 {
        get(&g, "tbl", "k1", true).unwrap();
    }
}

#[test]
fn capacity_off_throttles_nothing() {
    let (g, _clock) = open(Enforcement::Off);
    provisioned(&g, "tbl", 1, 1);
    for i in 0..400 {
        let r = put(&g, "tbl", &format!("k{i}"), 10).unwrap();
        assert_eq!(r["ConsumedCapacity"]["CapacityUnits"], json!(1.0), "still answered");
    }
}
