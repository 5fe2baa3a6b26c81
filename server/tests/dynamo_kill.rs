//! SIGKILL the real server while DynamoDB clients write (default durability: each write
//! answered after its fsync), restart it, and check that every acknowledged write is there:
//! the table itself, every acknowledged PutItem and PartiQL INSERT, and each writer's counter (UpdateItem ADD),
//! which must equal its acknowledged increments, or one more when the last increment's answer
//! was lost with the server. `SHALE_DYNAMO_KILL_CYCLES` sets the cycle count (default 5).

mod common;

use common::Server;
use serde_json::{json, Value as Json};
use shale_server::dynamo_client::DynamoClient;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

const WRITERS: usize = 4;
const TABLE: &str = "durable";

/// What one writer had acknowledged, and whether a request was in flight when the server died.
#[derive(Default, Clone)]
struct Acked {
    increments: u64,
    increment_unsure: bool,
    puts: Vec<String>,
}

fn counter(c: &mut DynamoClient, w: usize) -> u64 {
    let (status, out) = c
        .call(
            "GetItem",
            &json!({"TableName": TABLE, "Key": {"pk": {"S": format!("counter-{w}")}}, "ConsistentRead": true}),
        )
        .unwrap();
    assert_eq!(status, 200, "{out}");
    out["Item"]["n"]["N"].as_str().map_or(0, |n| n.parse().unwrap())
}

/// Checks every acknowledged write; an increment whose answer was lost is settled by what the
/// counter now holds.
fn verify(addr: &str, acked: &mut [Acked]) {
    let mut c = DynamoClient::connect(addr, &common::root()).unwrap();
    for (w, a) in acked.iter_mut().enumerate() {
        let n = counter(&mut c, w);
        let max = a.increments + u64::from(a.increment_unsure);
        assert!(
            (a.increments..=max).contains(&n),
            "writer {w}: counter {n}, acknowledged {} (unsure: {})",
            a.increments,
            a.increment_unsure
        );
        a.increments = n;
        a.increment_unsure = false;
        for (i, pk) in a.puts.iter().enumerate() {
            // Read back by GetItem and by a PartiQL SELECT, alternately.
            let item = if i % 2 == 0 {
                let (status, out) = c
                    .call("GetItem", &json!({"TableName": TABLE, "Key": {"pk": {"S": pk}}}))
                    .unwrap();
                assert_eq!(status, 200, "{out}");
                out["Item"].clone()
            } else {
                let stmt = format!("SELECT * FROM {TABLE} WHERE pk = ?");
                let (status, out) = c
                    .call(
                        "ExecuteStatement",
                        &json!({"Statement": stmt, "Parameters": [{"S": pk}]}),
                    )
                    .unwrap();
                assert_eq!(status, 200, "{out}");
                out["Items"][0].clone()
            };
            assert_eq!(item["pk"]["S"], pk.as_str(), "acknowledged put {pk} lost");
        }
    }
}

fn write_until_stopped(addr: &str, w: usize, cycle: u64, stop: &AtomicBool, acked: &mut Acked) {
    let Ok(mut c) = DynamoClient::connect(addr, &common::root()) else { return };
    for i in 0u64.. {
        if stop.load(Ordering::Relaxed) {
            return;
        }
        let (op, body): (&str, Json) = if i % 2 == 0 {
            (
                "UpdateItem",
                json!({"TableName": TABLE, "Key": {"pk": {"S": format!("counter-{w}")}},
                       "UpdateExpression": "ADD n :one",
                       "ExpressionAttributeValues": {":one": {"N": "1"}}}),
            )
        } else if i % 4 == 1 {
            let pk = format!("item-{w}-{cycle}-{i}");
            (
                "PutItem",
                json!({"TableName": TABLE, "Item": {"pk": {"S": pk}, "v": {"N": i.to_string()}}}),
            )
        } else {
            // PartiQL's INSERT takes the same write path.
            let pk = format!("item-{w}-{cycle}-{i}");
            (
                "ExecuteStatement",
                json!({"Statement": format!("INSERT INTO {TABLE} VALUE {{'pk': ?, 'v': {i}}}"),
                       "Parameters": [{"S": pk}]}),
            )
        };
        if op == "UpdateItem" {
            acked.increment_unsure = true;
        }
        match c.call(op, &body) {
            Ok((200, _)) => {
                if op == "UpdateItem" {
                    acked.increments += 1;
                    acked.increment_unsure = false;
                } else if let Some(pk) = body["Item"]["pk"]["S"].as_str() {
                    acked.puts.push(pk.to_string());
                } else if let Some(pk) = body["Parameters"][0]["S"].as_str() {
                    acked.puts.push(pk.to_string());
                }
            }
            Ok((status, out)) => panic!("{op}: HTTP {status}: {out}"),
            // The server died: this request's fate is unknown.
            Err(_) => return,
        }
    }
}

#[test]
fn acknowledged_dynamodb_writes_survive_sigkill() {
    let cycles: u64 =
        std::env::var("SHALE_DYNAMO_KILL_CYCLES").ok().and_then(|v| v.parse().ok()).unwrap_or(5);
    let dir = tempfile::tempdir().unwrap();
    let mut acked = vec![Acked::default(); WRITERS];
    for cycle in 0..cycles {
        let server = Server::start(Some(dir.path()), &[]);
        let addr = server.dynamo_addr.clone();
        if cycle == 0 {
            let mut c = DynamoClient::connect(&addr, &common::root()).unwrap();
            let (status, out) = c
                .call(
                    "CreateTable",
                    &json!({"TableName": TABLE,
                        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                        "BillingMode": "PAY_PER_REQUEST"}),
                )
                .unwrap();
            assert_eq!(status, 200, "{out}");
        }
        verify(&addr, &mut acked);
        let stop = Arc::new(AtomicBool::new(false));
        let writers: Vec<_> = acked
            .iter()
            .cloned()
            .enumerate()
            .map(|(w, mut a)| {
                let (addr, stop) = (addr.clone(), Arc::clone(&stop));
                std::thread::spawn(move || {
                    write_until_stopped(&addr, w, cycle, &stop, &mut a);
                    a
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(300 + 97 * (cycle % 5)));
        server.kill();
        stop.store(true, Ordering::Relaxed);
        acked = writers.into_iter().map(|t| t.join().unwrap()).collect();
    }
    let server = Server::start(Some(dir.path()), &[]);
    verify(&server.dynamo_addr, &mut acked);
    let total: u64 = acked.iter().map(|a| a.increments + a.puts.len() as u64).sum();
    eprintln!("{cycles} SIGKILL cycles, {total} acknowledged DynamoDB writes, none lost");
    assert!(total > 0);
    assert!(server.terminate());
}
