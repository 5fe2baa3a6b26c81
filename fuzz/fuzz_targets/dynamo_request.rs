//! Feeds arbitrary request bodies to every operation of the DynamoDB gateway, over an
//! in-memory database holding one table with a few items: whatever the bytes, the gateway
//! answers (a result or a DynamoDB error) and never panics. And an item decoded straight from
//! the bytes is the item decoded from the same JSON parsed first (the two ways requests and
//! legacy parameters are read).

#![no_main]

use libfuzzer_sys::fuzz_target;
use shale_engine::fs::MemFs;
use shale_engine::{Db, Options};
use shale_server::dynamodb::ops::registry::OPERATIONS;
use shale_server::dynamodb::ops::{Gateway, GatewayOptions};
use serde::de::DeserializeSeed;
use shale_server::dynamodb::model::value::{decode::ItemSeed, item_from_json};
use std::sync::{Arc, OnceLock};

fn gateway() -> &'static Gateway {
    static G: OnceLock<Gateway> = OnceLock::new();
    G.get_or_init(|| {
        let opts = Options { fs: Arc::new(MemFs::new()), ..Options::default() };
        let db = Db::open("/fuzz", opts).unwrap();
        let g = Gateway::open(db, GatewayOptions { sync: false, ..GatewayOptions::default() })
            .unwrap();
        let create = serde_json::json!({
            "TableName": "fuzz",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                          {"AttributeName": "sk", "KeyType": "RANGE"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                     {"AttributeName": "sk", "AttributeType": "N"},
                                     {"AttributeName": "g", "AttributeType": "S"},
                                     {"AttributeName": "a", "AttributeType": "N"}],
            "BillingMode": "PAY_PER_REQUEST",
            // Indexes, so that writes and reads through them are fuzzed too.
            "GlobalSecondaryIndexes": [{"IndexName": "byG",
                "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"},
                              {"AttributeName": "sk", "KeyType": "RANGE"}],
                "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["x"]}}],
            "LocalSecondaryIndexes": [{"IndexName": "byA",
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                              {"AttributeName": "a", "KeyType": "RANGE"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"}}]
        });
        g.handle("CreateTable", &create).unwrap();
        for i in 0..5 {
            let put = serde_json::json!({"TableName": "fuzz", "Item": {
                "pk": {"S": "p"}, "sk": {"N": i.to_string()}, "g": {"S": "g"},
                "a": {"N": i.to_string()}, "l": {"L": [{"N": "1"}]}}});
            g.handle("PutItem", &put).unwrap();
        }
        g
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, body)) = data.split_first() else { return };
    // Control-plane operations that would change the fixture's table are left out.
    let ops: Vec<_> = OPERATIONS
        .iter()
        .filter(|op| !matches!(op.name, "DeleteTable" | "UpdateTable"))
        .collect();
    let op = ops[usize::from(which) % ops.len()];
    let caller = shale_server::iam::caller::Caller::anonymous("000000000000", None, false);
    let _ = gateway().run(op, body, &caller);
    if let Ok(json) = serde_json::from_slice::<serde_json::Value>(body) {
        let mut d = serde_json::Deserializer::from_slice(body);
        let streamed = ItemSeed.deserialize(&mut d).expect("valid JSON decodes");
        assert_eq!(streamed, item_from_json(&json));
    }
});
