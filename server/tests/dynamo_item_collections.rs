//! Item collections of a table with a local secondary index: a write that would take a
//! partition's items plus their local index entries past the limit is refused
//! (`ItemCollectionSizeLimitExceededException`, a transaction's cancellation reason), other
//! partitions and shrinking writes go on, and the stored sizes stay exact. The limit is
//! DynamoDB's 10 GB; the test lowers it to a few kilobytes.

use serde_json::json;
use shale_engine::fs::MemFs;
use shale_engine::{Db, Options};
use shale_server::dynamodb::error::DynamoError;
use shale_server::dynamodb::ops::{Gateway, GatewayOptions};
use std::sync::Arc;

const LIMIT: u64 = 4000;

fn gateway() -> Gateway {
    let opts = Options { fs: Arc::new(MemFs::new()), ..Options::default() };
    let db = Db::open("/collections", opts).expect("open");
    let gopts = GatewayOptions {
        sync: false,
        item_collection_bytes_max: LIMIT,
        ..GatewayOptions::default()
    };
    let g = Gateway::open(db, gopts).expect("gateway");
    g.handle(
        "CreateTable",
        &json!({
            "TableName": "events",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                          {"AttributeName": "sk", "KeyType": "RANGE"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                     {"AttributeName": "sk", "AttributeType": "N"},
                                     {"AttributeName": "at", "AttributeType": "N"}],
            "BillingMode": "PAY_PER_REQUEST",
            "LocalSecondaryIndexes": [{"IndexName": "byAt",
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                              {"AttributeName": "at", "KeyType": "RANGE"}],
                "Projection": {"ProjectionType": "ALL"}}]
        }),
    )
    .expect("CreateTable");
    g
}

fn put(g: &Gateway, pk: &str, sk: u64) -> Result<serde_json::Value, DynamoError> {
    g.handle(
        "PutItem",
        &json!({"TableName": "events", "ReturnItemCollectionMetrics": "SIZE",
                "Item": {"pk": {"S": pk}, "sk": {"N": sk.to_string()}, "at": {"N": "1"},
                         "body": {"S": "x".repeat(300)}}}),
    )
}

#[test]
fn a_full_item_collection_refuses_growth_only() {
    let g = gateway();
    // Each item counts about 2 × 320 bytes (the item and its ALL-projected entry).
    let mut stored = 0;
    let refused = loop {
        match put(&g, "p", stored) {
            Ok(r) => {
                assert_eq!(
                    r["ItemCollectionMetrics"]["ItemCollectionKey"],
                    json!({"pk": {"S": "p"}})
                );
                assert_eq!(r["ItemCollectionMetrics"]["SizeEstimateRangeGB"], json!([0.0, 1.0]));
                stored += 1;
            }
            Err(e) => break e,
        }
        assert!(stored < 100, "the limit is reached");
    };
    assert_eq!(refused, DynamoError::ItemCollectionSizeLimitExceeded);
    assert_eq!(refused.message(), "Collection size exceeded.");
    assert!(stored >= 5, "{stored} items fit");
    // Another partition is its own collection.
    put(&g, "q", 0).expect("another partition");
    // Overwriting with the same size, and deleting, are fine; then there is room again.
    put(&g, "p", 0).expect("an overwrite that does not grow");
    g.handle(
        "DeleteItem",
        &json!({"TableName": "events",
        "Key": {"pk": {"S": "p"}, "sk": {"N": "0"}}}),
    )
    .expect("DeleteItem");
    put(&g, "p", 0).expect("room again");
    // In a transaction, the reason of the action that overflows.
    let t = g.handle(
        "TransactWriteItems",
        &json!({"TransactItems": [
        {"Put": {"TableName": "events", "Item": {"pk": {"S": "q"}, "sk": {"N": "9"}}}},
        {"Put": {"TableName": "events", "Item": {"pk": {"S": "p"}, "sk": {"N": "99"},
                 "body": {"S": "y".repeat(300)}}}}]}),
    );
    match t {
        Err(DynamoError::TransactionCanceled { reasons }) => {
            assert_eq!(reasons[0]["Code"], "None");
            assert_eq!(reasons[1]["Code"], "ItemCollectionSizeLimitExceeded");
        }
        other => panic!("expected a cancellation, got {other:?}"),
    }
    assert_eq!(g.check_collections("events").expect("check"), 0);
}
