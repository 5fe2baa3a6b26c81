//! Isolation of the DynamoDB gateway under concurrency, against the real server process:
//! 16 clients race conditional increments (optimistic read-then-conditional-write loops and
//! atomic ADDs) on one item, and transfers between two items with TransactWriteItems while
//! readers check every TransactGetItems view; half the clients do the same in PartiQL
//! (ExecuteStatement, ExecuteTransaction). No update may be lost, no transaction torn.

mod common;

use common::Server;
use serde_json::{json, Value as Json};
use shale_server::dynamo_client::DynamoClient;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

const CLIENTS: usize = 16;

fn ok(c: &mut DynamoClient, op: &str, body: Json) -> Json {
    let (status, out) = c.call(op, &body).unwrap();
    assert_eq!(status, 200, "{op} failed: {out}");
    out
}

fn create_table(addr: &str, name: &str) {
    let mut c = DynamoClient::connect(addr, &common::root()).unwrap();
    ok(
        &mut c,
        "CreateTable",
        json!({
            "TableName": name,
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "BillingMode": "PAY_PER_REQUEST"
        }),
    );
}

fn number(item: &Json, attr: &str) -> i64 {
    item[attr]["N"].as_str().unwrap().parse().unwrap()
}

#[test]
fn conditional_increments_lose_no_update() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(Some(dir.path()), &[]);
    let addr = server.dynamo_addr.clone();
    create_table(&addr, "counters");
    let mut c = DynamoClient::connect(&addr, &common::root()).unwrap();
    ok(
        &mut c,
        "PutItem",
        json!({"TableName": "counters", "Item": {"pk": {"S": "c"}, "n": {"N": "0"}}}),
    );
    let per_client = 40;
    let conflicts = Arc::new(AtomicU64::new(0));
    let threads: Vec<_> = (0..CLIENTS)
        .map(|t| {
            let (addr, conflicts) = (addr.clone(), Arc::clone(&conflicts));
            std::thread::spawn(move || {
                let mut c = DynamoClient::connect(&addr, &common::root()).unwrap();
                for _ in 0..per_client {
                    if t % 4 == 0 {
                        // Atomic ADD: always succeeds.
                        ok(&mut c, "UpdateItem", json!({
                            "TableName": "counters", "Key": {"pk": {"S": "c"}},
                            "UpdateExpression": "ADD n :one",
                            "ExpressionAttributeValues": {":one": {"N": "1"}}
                        }));
                        continue;
                    }
                    // Optimistic: read, then write n+1 only if n is unchanged; retry on conflict.
                    // Every other optimistic client does it in PartiQL.
                    let partiql = t % 2 == 1;
                    loop {
                        let n = if partiql {
                            let got = ok(&mut c, "ExecuteStatement", json!({
                                "Statement": "SELECT n FROM counters WHERE pk = 'c'", "ConsistentRead": true
                            }));
                            number(&got["Items"][0], "n")
                        } else {
                            let got = ok(&mut c, "GetItem", json!({
                                "TableName": "counters", "Key": {"pk": {"S": "c"}}, "ConsistentRead": true
                            }));
                            number(&got["Item"], "n")
                        };
                        let (new, old) = ((n + 1).to_string(), n.to_string());
                        let (status, out) = if partiql {
                            c.call("ExecuteStatement", &json!({
                                "Statement": "UPDATE counters SET n = ? WHERE pk = 'c' AND n = ?",
                                "Parameters": [{"N": new}, {"N": old}]
                            })).unwrap()
                        } else {
                            c.call("UpdateItem", &json!({
                                "TableName": "counters", "Key": {"pk": {"S": "c"}},
                                "UpdateExpression": "SET n = :new",
                                "ConditionExpression": "n = :old",
                                "ExpressionAttributeValues": {":new": {"N": new}, ":old": {"N": old}}
                            })).unwrap()
                        };
                        if status == 200 {
                            break;
                        }
                        assert!(
                            out["__type"].as_str().unwrap().ends_with("#ConditionalCheckFailedException"),
                            "{out}"
                        );
                        conflicts.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let got = ok(
        &mut c,
        "GetItem",
        json!({"TableName": "counters", "Key": {"pk": {"S": "c"}}, "ConsistentRead": true}),
    );
    assert_eq!(number(&got["Item"], "n"), (CLIENTS * per_client) as i64);
    eprintln!("conditional increments: {} conflicts retried", conflicts.load(Ordering::Relaxed));
    assert!(server.terminate());
}

#[test]
fn transactions_are_atomic_and_isolated() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(Some(dir.path()), &[]);
    let addr = server.dynamo_addr.clone();
    create_table(&addr, "bank");
    let mut c = DynamoClient::connect(&addr, &common::root()).unwrap();
    for (pk, bal) in [("a", 100), ("b", 100)] {
        ok(
            &mut c,
            "PutItem",
            json!({"TableName": "bank", "Item": {"pk": {"S": pk}, "bal": {"N": bal.to_string()}}}),
        );
    }
    ok(
        &mut c,
        "PutItem",
        json!({"TableName": "bank", "Item": {"pk": {"S": "count"}, "n": {"N": "0"}}}),
    );
    let per_client = 30;
    let committed = Arc::new(AtomicU64::new(0));
    let cancelled = Arc::new(AtomicU64::new(0));
    let writers: Vec<_> = (0..CLIENTS)
        .map(|t| {
            let (addr, committed, cancelled) =
                (addr.clone(), Arc::clone(&committed), Arc::clone(&cancelled));
            std::thread::spawn(move || {
                let mut c = DynamoClient::connect(&addr, &common::root()).unwrap();
                for i in 0..per_client {
                    let (from, to) = if (t + i) % 2 == 0 { ("a", "b") } else { ("b", "a") };
                    let amount = 1 + (t + i) % 7;
                    // Half the clients transfer with PartiQL's ExecuteTransaction.
                    let (status, out) = if t % 2 == 1 {
                        let x = json!({"N": amount.to_string()});
                        c.call("ExecuteTransaction", &json!({"TransactStatements": [
                            {"Statement": "UPDATE bank SET bal = bal - ? WHERE pk = ? AND bal >= ?",
                             "Parameters": [x, {"S": from}, x]},
                            {"Statement": "UPDATE bank SET bal = bal + ? WHERE pk = ?",
                             "Parameters": [x, {"S": to}]},
                            {"Statement": "UPDATE bank SET n = n + 1 WHERE pk = 'count'"}
                        ]})).unwrap()
                    } else {
                        c.call("TransactWriteItems", &json!({"TransactItems": [
                            {"Update": {"TableName": "bank", "Key": {"pk": {"S": from}},
                                "UpdateExpression": "SET bal = bal - :x", "ConditionExpression": "bal >= :x",
                                "ExpressionAttributeValues": {":x": {"N": amount.to_string()}}}},
                            {"Update": {"TableName": "bank", "Key": {"pk": {"S": to}},
                                "UpdateExpression": "SET bal = bal + :x",
                                "ExpressionAttributeValues": {":x": {"N": amount.to_string()}}}},
                            {"Update": {"TableName": "bank", "Key": {"pk": {"S": "count"}},
                                "UpdateExpression": "ADD n :one",
                                "ExpressionAttributeValues": {":one": {"N": "1"}}}}
                        ]})).unwrap()
                    };
                    if status == 200 {
                        committed.fetch_add(1, Ordering::Relaxed);
                    } else {
                        assert!(out["__type"].as_str().unwrap().ends_with("#TransactionCanceledException"), "{out}");
                        assert_eq!(out["CancellationReasons"][0]["Code"], "ConditionalCheckFailed", "{out}");
                        cancelled.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    // Readers: every consistent view holds the total, and never a negative balance.
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (addr, stop) = (addr.clone(), Arc::clone(&stop));
            std::thread::spawn(move || {
                let mut c = DynamoClient::connect(&addr, &common::root()).unwrap();
                let mut views = 0;
                while !stop.load(Ordering::Relaxed) || views == 0 {
                    // Alternately TransactGetItems and PartiQL's ExecuteTransaction of SELECTs.
                    let out = if views % 2 == 0 {
                        ok(
                            &mut c,
                            "TransactGetItems",
                            json!({"TransactItems": [
                                {"Get": {"TableName": "bank", "Key": {"pk": {"S": "a"}}}},
                                {"Get": {"TableName": "bank", "Key": {"pk": {"S": "b"}}}}
                            ]}),
                        )
                    } else {
                        ok(
                            &mut c,
                            "ExecuteTransaction",
                            json!({"TransactStatements": [
                                {"Statement": "SELECT bal FROM bank WHERE pk = 'a'"},
                                {"Statement": "SELECT bal FROM bank WHERE pk = 'b'"}
                            ]}),
                        )
                    };
                    let a = number(&out["Responses"][0]["Item"], "bal");
                    let b = number(&out["Responses"][1]["Item"], "bal");
                    assert_eq!(a + b, 200, "a torn transaction: a={a} b={b}");
                    assert!(a >= 0 && b >= 0);
                    views += 1;
                }
                views
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    stop.store(true, Ordering::Relaxed);
    for r in readers {
        assert!(r.join().unwrap() > 0);
    }
    let committed = committed.load(Ordering::Relaxed);
    assert_eq!(committed + cancelled.load(Ordering::Relaxed), (CLIENTS * per_client) as u64);
    let got = ok(&mut c, "GetItem", json!({"TableName": "bank", "Key": {"pk": {"S": "count"}}}));
    assert_eq!(number(&got["Item"], "n") as u64, committed, "committed transactions vs counter");
    assert!(server.terminate());
}
