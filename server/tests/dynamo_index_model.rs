//! Secondary indexes under random writes and crashes: a table with two global indexes and a
//! local one takes random puts, updates (moving items between index keys, out of and into
//! sparse indexes), deletes, batches and transactions; at random points the in-memory file
//! system loses power (keeping a random part of what was not synced), sometimes in the middle
//! of a write failing on an injected I/O error. A quarter of the way in, a third global index
//! is added to the live table (its backfill, paced and in small chunks, goes on through writes
//! and crashes, resuming after each). After every recovery each active index must equal its
//! recomputation from the table: 0 missing, 0 extra, 0 stale entries; at the end, every index.
//! The sizes of the item collections (the table has a local index) must equal theirs too.
//!
//! `SHALE_INDEX_MODEL_SEEDS` (default 6) and `SHALE_INDEX_MODEL_OPS` (default 300 per seed) make
//! the run longer.

use serde_json::{json, Value as Json};
use shale_engine::fs::{FaultMode, MemFs};
use shale_engine::{Db, Options};
use shale_server::dynamodb::ops::{Gateway, GatewayOptions};
use std::sync::Arc;

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// A small deterministic generator (SplitMix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn open(fs: &Arc<MemFs>, sync: bool) -> Gateway {
    let opts = Options { fs: fs.clone(), ..Options::default() };
    let db = Db::open("/model", opts).expect("the database reopens after a crash");
    let gopts = GatewayOptions {
        sync,
        backfill_items_per_sec: 400,
        backfill_chunk_items: 2,
        ..GatewayOptions::default()
    };
    Gateway::open(db, gopts).expect("gateway")
}

fn create_table(g: &Gateway) {
    let ks = |h: &str, r: Option<&str>| {
        let mut k = vec![json!({"AttributeName": h, "KeyType": "HASH"})];
        if let Some(r) = r {
            k.push(json!({"AttributeName": r, "KeyType": "RANGE"}));
        }
        Json::Array(k)
    };
    g.handle(
        "CreateTable",
        &json!({
            "TableName": "tab",
            "KeySchema": ks("pk", Some("sk")),
            "AttributeDefinitions": [
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "N"},
                {"AttributeName": "owner", "AttributeType": "S"},
                {"AttributeName": "at", "AttributeType": "N"},
                {"AttributeName": "status", "AttributeType": "S"}],
            "BillingMode": "PAY_PER_REQUEST",
            "GlobalSecondaryIndexes": [
                {"IndexName": "byOwner", "KeySchema": ks("owner", Some("at")),
                 "Projection": {"ProjectionType": "ALL"}},
                {"IndexName": "byStatus", "KeySchema": ks("status", None),
                 "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["note"]}}],
            "LocalSecondaryIndexes": [
                {"IndexName": "byAt", "KeySchema": ks("pk", Some("at")),
                 "Projection": {"ProjectionType": "KEYS_ONLY"}}]
        }),
    )
    .expect("CreateTable");
}

fn key(r: &mut Rng) -> Json {
    json!({"pk": {"S": format!("p{}", r.below(3))}, "sk": {"N": r.below(8).to_string()}})
}

fn item(r: &mut Rng) -> Json {
    let mut item = key(r);
    let o = item.as_object_mut().expect("an object");
    if r.below(4) > 0 {
        o.insert("owner".into(), json!({"S": format!("o{}", r.below(4))}));
    }
    if r.below(4) > 0 {
        o.insert("at".into(), json!({"N": r.below(20).to_string()}));
    }
    if r.below(2) > 0 {
        let status = if r.below(2) == 0 { "new" } else { "done" };
        o.insert("status".into(), json!({ "S": status }));
    }
    o.insert("note".into(), json!({"S": format!("n{}", r.below(100))}));
    item
}

/// One random write; whether it was applied (refusals and injected failures are part of the
/// test).
fn random_write(g: &Gateway, r: &mut Rng) -> bool {
    let result = match r.below(7) {
        0 | 1 => g.handle("PutItem", &json!({"TableName": "tab", "Item": item(r)})),
        2 => {
            let (expr, values) = match r.below(4) {
                0 => ("SET #o = :v", json!({":v": {"S": format!("o{}", r.below(4))}})),
                1 => ("REMOVE #o", Json::Null),
                2 => ("SET #a = :v", json!({":v": {"N": r.below(20).to_string()}})),
                _ => ("SET note = :v, #s = :s", json!({":v": {"S": "u"}, ":s": {"S": "new"}})),
            };
            let mut req = json!({"TableName": "tab", "Key": key(r), "UpdateExpression": expr,
                                 "ExpressionAttributeNames": {}});
            let names = req["ExpressionAttributeNames"].as_object_mut().expect("an object");
            for (p, n) in [("#o", "owner"), ("#a", "at"), ("#s", "status")] {
                if expr.contains(p) {
                    names.insert(p.into(), json!(n));
                }
            }
            if !values.is_null() {
                req["ExpressionAttributeValues"] = values;
            }
            g.handle("UpdateItem", &req)
        }
        3 => g.handle("DeleteItem", &json!({"TableName": "tab", "Key": key(r)})),
        4 => {
            let puts: Vec<Json> =
                (0..1 + r.below(4)).map(|_| json!({"PutRequest": {"Item": item(r)}})).collect();
            g.handle("BatchWriteItem", &json!({"RequestItems": {"tab": puts}}))
        }
        5 => g.handle(
            "TransactWriteItems",
            &json!({"TransactItems": [
                {"Put": {"TableName": "tab", "Item": item(r)}},
                {"Delete": {"TableName": "tab", "Key": key(r)}}]}),
        ),
        // A type the index refuses: nothing may change.
        _ => g.handle(
            "PutItem",
            &json!({"TableName": "tab", "Item": {"pk": {"S": "p0"}, "sk": {"N": "1"},
                                               "owner": {"N": "5"}}}),
        ),
    };
    result.is_ok()
}

/// Every active index equals its recomputation (one being backfilled lacks what it has not
/// reached yet).
fn assert_exact(g: &Gateway, seed: u64, step: u64) {
    for c in g.check_indexes("tab").expect("check_indexes") {
        assert!(
            !c.active || c.is_exact(),
            "seed {seed}, step {step}: index {c:?} differs from the table"
        );
    }
    // The table has a local index: its item collections' sizes are exact too.
    let differ = g.check_collections("tab").expect("check_collections");
    assert_eq!(differ, 0, "seed {seed}, step {step}: item collection sizes differ");
}

fn add_index(g: &Gateway) {
    g.handle(
        "UpdateTable",
        &json!({"TableName": "tab",
                "AttributeDefinitions": [{"AttributeName": "note", "AttributeType": "S"}],
                "GlobalSecondaryIndexUpdates": [{"Create": {"IndexName": "byNote",
                    "KeySchema": [{"AttributeName": "note", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "KEYS_ONLY"}}}]}),
    )
    .expect("UpdateTable Create");
}

#[test]
fn indexes_equal_their_recomputation_after_every_crash() {
    let (seeds, ops) = (env("SHALE_INDEX_MODEL_SEEDS", 6), env("SHALE_INDEX_MODEL_OPS", 300));
    let (mut crashes, mut applied) = (0, 0);
    for seed in 0..seeds {
        let mut r = Rng(seed.wrapping_mul(0x2545_F491_4F6C_DD1D) ^ 7);
        let sync = seed % 2 == 0;
        let fs = Arc::new(MemFs::new());
        let mut g = open(&fs, sync);
        create_table(&g);
        for step in 0..ops {
            if step == ops / 4 {
                add_index(&g);
            }
            applied += u64::from(random_write(&g, &mut r));
            if r.below(40) == 0 {
                // Sometimes the power goes while a write fails on the disk.
                if r.below(2) == 0 {
                    fs.fail_after(r.below(8), FaultMode::Permanent);
                    for _ in 0..3 {
                        random_write(&g, &mut r);
                    }
                }
                drop(g);
                fs.crash(r.next());
                fs.clear_faults();
                crashes += 1;
                g = open(&fs, sync);
                assert_exact(&g, seed, step);
            }
        }
        g.wait_for_index_jobs();
        let checks = g.check_indexes("tab").expect("check");
        assert_eq!(checks.len(), 4, "seed {seed}: the added index is there");
        for c in &checks {
            assert!(c.active && c.is_exact(), "seed {seed}, at the end: {c:?}");
        }
        let counts: u64 = g.check_indexes("tab").expect("check").iter().map(|c| c.entries).sum();
        assert!(counts > 0, "seed {seed}: the indexes hold entries");
    }
    assert!(crashes > 0 || ops < 40, "the run crashed at least once");
    assert!(applied > seeds * ops / 2, "most writes applied: {applied} of {}", seeds * ops);
    eprintln!("{seeds} seeds, {} writes ({applied} applied), {crashes} crashes", seeds * ops);
}
