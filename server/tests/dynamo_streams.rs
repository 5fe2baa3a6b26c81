//! DynamoDB Streams against the real server: a consumer follows every shard of a table's
//! stream (children after their parents) while writers run every kind of write, across shard
//! rollovers (`--stream-shard-rollover 1`) and a restart; its reconstruction of the table must
//! equal the table, every change exactly once, each item's changes in order. Then a SIGKILL
//! during writes: after the restart, every acknowledged write has its record and no record
//! exists for a change that is not in the table. And an item that expired before a restart is
//! deleted by the TTL expirer after it, with its REMOVE record.

mod common;

use common::Server;
use serde_json::{json, Value as Json};
use shale_server::dynamo_client::DynamoClient;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const TABLE: &str = "streamed";
const ITEMS: u64 = 24;

fn call(c: &mut DynamoClient, op: &str, body: Json) -> Json {
    let (status, out) = c.call(op, &body).unwrap();
    assert_eq!(status, 200, "{op}: {out}");
    out
}

fn create_table(addr: &str) -> String {
    let mut c = DynamoClient::connect(addr, &common::root()).unwrap();
    let out = call(
        &mut c,
        "CreateTable",
        json!({"TableName": TABLE, "BillingMode": "PAY_PER_REQUEST",
               "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
               "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
               "StreamSpecification": {"StreamEnabled": true, "StreamViewType": "NEW_AND_OLD_IMAGES"}}),
    );
    out["TableDescription"]["LatestStreamArn"].as_str().unwrap().to_string()
}

fn key(i: u64) -> Json {
    json!({"pk": {"S": format!("item-{i}")}})
}

/// One write of every kind in turn, on pseudo-random items; `None` when the server is away.
fn one_write(c: &mut DynamoClient, n: u64) -> Option<()> {
    let i = (n * 7919 + 13) % ITEMS;
    let j = (n * 104_729 + 5) % ITEMS;
    let (op, body) = match n % 5 {
        0 => (
            "PutItem",
            json!({"TableName": TABLE, "Item": {"pk": {"S": format!("item-{i}")}, "v": {"N": n.to_string()}}}),
        ),
        1 => (
            "UpdateItem",
            json!({"TableName": TABLE, "Key": key(i), "UpdateExpression": "ADD c :one", "ExpressionAttributeValues": {":one": {"N": "1"}}}),
        ),
        2 => ("DeleteItem", json!({"TableName": TABLE, "Key": key(i)})),
        3 => (
            "BatchWriteItem",
            json!({"RequestItems": {TABLE: [
                {"PutRequest": {"Item": {"pk": {"S": format!("item-{i}")}, "b": {"N": n.to_string()}}}},
                {"DeleteRequest": {"Key": key((i + 1) % ITEMS)}}]}}),
        ),
        _ => {
            let j = if j == i { (j + 1) % ITEMS } else { j };
            (
                "TransactWriteItems",
                json!({"TransactItems": [
                {"Update": {"TableName": TABLE, "Key": key(i), "UpdateExpression": "SET t = :n", "ExpressionAttributeValues": {":n": {"N": n.to_string()}}}},
                {"Put": {"TableName": TABLE, "Item": {"pk": {"S": format!("item-{j}")}, "t": {"N": n.to_string()}}}}]}),
            )
        }
    };
    let (status, out) = c.call(op, &body).ok()?;
    assert!(
        status == 200
            || out["__type"].as_str().is_some_and(
                |t| t.contains("TransactionConflict") || t.contains("TransactionCanceled")
            ),
        "{op}: {out}"
    );
    Some(())
}

/// The table, by key, from a Scan.
fn scan(addr: &str) -> BTreeMap<String, Json> {
    let mut c = DynamoClient::connect(addr, &common::root()).unwrap();
    let out = call(&mut c, "Scan", json!({"TableName": TABLE, "ConsistentRead": true}));
    out["Items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["pk"]["S"].as_str().unwrap().to_string(), i.clone()))
        .collect()
}

/// A consumer's view: every shard's iterator, the reconstructed table, what it has seen.
#[derive(Default)]
struct Consumer {
    /// Shard id → the next iterator (`None`: drained).
    shards: BTreeMap<String, Option<String>>,
    parents: HashMap<String, String>,
    model: BTreeMap<String, Json>,
    seen: HashSet<String>,
    last_seq_of_item: HashMap<String, u128>,
    records: usize,
    /// How many records carried each NewImage `v`.
    new_values: HashMap<String, usize>,
    /// The keys of the REMOVE records the TTL expirer made.
    ttl_removes: Vec<String>,
}

impl Consumer {
    /// One pass over the stream: new shards found, each readable shard read until it has
    /// nothing more for now. Returns the records read; `None` when the server is away.
    fn poll(&mut self, addr: &str, arn: &str) -> Option<usize> {
        let mut c = DynamoClient::connect(addr, &common::root()).ok()?;
        let (status, d) =
            c.call("DynamoDBStreams_20120810.DescribeStream", &json!({"StreamArn": arn})).ok()?;
        assert_eq!(status, 200, "{d}");
        for s in d["StreamDescription"]["Shards"].as_array().unwrap() {
            let id = s["ShardId"].as_str().unwrap().to_string();
            if let Some(p) = s["ParentShardId"].as_str() {
                self.parents.insert(id.clone(), p.to_string());
            }
            if let std::collections::btree_map::Entry::Vacant(slot) = self.shards.entry(id) {
                let body = json!({"StreamArn": arn, "ShardId": slot.key(), "ShardIteratorType": "TRIM_HORIZON"});
                let (status, it) =
                    c.call("DynamoDBStreams_20120810.GetShardIterator", &body).ok()?;
                assert_eq!(status, 200, "{it}");
                slot.insert(Some(it["ShardIterator"].as_str().unwrap().to_string()));
            }
        }
        let mut read = 0;
        let ids: Vec<String> = self.shards.keys().cloned().collect();
        for id in ids {
            // Children after their parents: a parent still open or unread holds its child.
            if let Some(p) = self.parents.get(&id) {
                if self.shards.get(p).is_some_and(Option::is_some) {
                    continue;
                }
            }
            while let Some(Some(it)) = self.shards.get(&id).cloned() {
                let (status, r) = c
                    .call("DynamoDBStreams_20120810.GetRecords", &json!({"ShardIterator": it}))
                    .ok()?;
                assert_eq!(status, 200, "{r}");
                let records = r["Records"].as_array().unwrap();
                for rec in records {
                    self.apply(rec);
                }
                read += records.len();
                self.shards.insert(id.clone(), r["NextShardIterator"].as_str().map(str::to_string));
                if records.is_empty() {
                    break;
                }
            }
        }
        Some(read)
    }

    fn apply(&mut self, rec: &Json) {
        let d = &rec["dynamodb"];
        let pk = d["Keys"]["pk"]["S"].as_str().unwrap().to_string();
        let seq: u128 = d["SequenceNumber"].as_str().unwrap().parse().unwrap();
        assert!(
            self.seen.insert(rec["eventID"].as_str().unwrap().to_string()),
            "a record twice: {rec}"
        );
        if let Some(prev) = self.last_seq_of_item.insert(pk.clone(), seq) {
            assert!(prev < seq, "{pk}: record {seq} after {prev}");
        }
        if let Some(v) = d["NewImage"]["v"]["N"].as_str() {
            *self.new_values.entry(v.to_string()).or_default() += 1;
        }
        match rec["eventName"].as_str().unwrap() {
            "INSERT" => {
                assert!(!self.model.contains_key(&pk), "INSERT of a present item: {rec}");
                self.model.insert(pk, d["NewImage"].clone());
            }
            "MODIFY" => {
                assert_eq!(self.model.get(&pk), Some(&d["OldImage"]), "MODIFY's old image: {rec}");
                self.model.insert(pk, d["NewImage"].clone());
            }
            "REMOVE" => {
                if rec["userIdentity"]
                    == json!({"Type": "Service", "PrincipalId": "dynamodb.amazonaws.com"})
                {
                    self.ttl_removes.push(pk.clone());
                }
                assert_eq!(self.model.remove(&pk).as_ref(), Some(&d["OldImage"]), "REMOVE: {rec}");
            }
            other => panic!("event {other}"),
        }
        self.records += 1;
    }

    /// Polls until a pass reads nothing.
    fn drain(&mut self, addr: &str, arn: &str) {
        while self.poll(addr, arn).unwrap() > 0 {}
    }
}

fn run_writers(addr: &str, stop: &AtomicBool, base: u64) -> u64 {
    let done = Arc::new(Mutex::new(0u64));
    std::thread::scope(|s| {
        for w in 0..2u64 {
            let done = Arc::clone(&done);
            s.spawn(move || {
                let Ok(mut c) = DynamoClient::connect(addr, &common::root()) else { return };
                let mut n = base + w * 1_000_000;
                while !stop.load(Ordering::Relaxed) {
                    if one_write(&mut c, n).is_none() {
                        return;
                    }
                    n += 1;
                    *done.lock().unwrap() += 1;
                }
            });
        }
    });
    let n = *done.lock().unwrap();
    n
}

#[test]
fn a_consumer_follows_every_shard_across_rollovers_and_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let args = ["--stream-shard-rollover", "1"];
    let mut server = Server::start(Some(dir.path()), &args);
    let arn = create_table(&server.dynamo_addr);
    let mut consumer = Consumer::default();
    let mut writes = 0;
    for phase in 0..2u64 {
        if phase == 1 {
            // A restart between the phases: the stream and the consumer's iterators go on.
            assert!(server.terminate());
            server = Server::start(Some(dir.path()), &args);
        }
        let addr = server.dynamo_addr.clone();
        let stop = AtomicBool::new(false);
        let started = Instant::now();
        std::thread::scope(|s| {
            let w = s.spawn(|| run_writers(&addr, &stop, phase * 10_000_000));
            while started.elapsed() < Duration::from_millis(2500) {
                consumer.poll(&addr, &arn);
                std::thread::sleep(Duration::from_millis(50));
            }
            stop.store(true, Ordering::Relaxed);
            writes += w.join().unwrap();
        });
        consumer.drain(&addr, &arn);
        assert_eq!(consumer.model, scan(&addr), "phase {phase}: the stream rebuilds the table");
    }
    assert!(server.terminate());
    let generations: HashSet<&str> =
        consumer.shards.keys().map(|id| id.get(8..28).unwrap()).collect();
    assert!(generations.len() >= 3, "at least two rollovers: {generations:?}");
    assert!(
        consumer.records > 100 && writes > 100,
        "{} records of {writes} writes",
        consumer.records
    );
}

#[test]
fn after_a_sigkill_every_acknowledged_write_has_one_record_and_no_other() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(Some(dir.path()), &[]);
    let addr = server.dynamo_addr.clone();
    let arn = create_table(&addr);
    let acked = Mutex::new(Vec::new());
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        for w in 0..3u64 {
            let (addr, acked, stop) = (&addr, &acked, &stop);
            s.spawn(move || {
                let Ok(mut c) = DynamoClient::connect(addr, &common::root()) else { return };
                for n in (w * 1_000_000).. {
                    if stop.load(Ordering::Relaxed) {
                        return;
                    }
                    let body = json!({"TableName": TABLE, "Item": {"pk": {"S": format!("item-{}", n % ITEMS)}, "v": {"N": n.to_string()}}});
                    match c.call("PutItem", &body) {
                        Ok((200, _)) => acked.lock().unwrap().push(n),
                        _ => return,
                    }
                }
            });
        }
        std::thread::sleep(Duration::from_millis(1500));
        server.kill();
        stop.store(true, Ordering::Relaxed);
    });
    let server = Server::start(Some(dir.path()), &[]);
    let mut consumer = Consumer::default();
    consumer.drain(&server.dynamo_addr, &arn);
    assert_eq!(consumer.model, scan(&server.dynamo_addr), "records match the table exactly");
    let acked = acked.into_inner().unwrap();
    assert!(acked.len() > 50, "{} writes acknowledged", acked.len());
    for n in &acked {
        assert_eq!(consumer.new_values.get(&n.to_string()), Some(&1), "acknowledged write {n}");
    }
    assert!(server.terminate());
}

#[test]
fn an_item_expired_before_a_restart_is_deleted_after_it_with_a_service_record() {
    let dir = tempfile::tempdir().unwrap();
    // The first server's expirer would not come round for an hour.
    let server = Server::start(Some(dir.path()), &["--ttl-scan-interval", "3600"]);
    let arn = create_table(&server.dynamo_addr);
    let mut c = DynamoClient::connect(&server.dynamo_addr, &common::root()).unwrap();
    call(
        &mut c,
        "UpdateTimeToLive",
        json!({"TableName": TABLE, "TimeToLiveSpecification": {"Enabled": true, "AttributeName": "exp"}}),
    );
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    for (pk, exp) in [("old", now - 5), ("new", now + 3600)] {
        let item = json!({"pk": {"S": pk}, "exp": {"N": exp.to_string()}});
        call(&mut c, "PutItem", json!({"TableName": TABLE, "Item": item}));
    }
    let got = call(&mut c, "GetItem", json!({"TableName": TABLE, "Key": {"pk": {"S": "old"}}}));
    assert_eq!(got["Item"]["pk"]["S"], "old", "expired but not yet deleted: still read");
    drop(c);
    assert!(server.terminate());
    let server = Server::start(Some(dir.path()), &["--ttl-scan-interval", "1"]);
    let deadline = Instant::now() + Duration::from_secs(20);
    while scan(&server.dynamo_addr).contains_key("old") {
        assert!(Instant::now() < deadline, "the expired item was not deleted after the restart");
        std::thread::sleep(Duration::from_millis(200));
    }
    let mut consumer = Consumer::default();
    consumer.drain(&server.dynamo_addr, &arn);
    assert_eq!(consumer.model, scan(&server.dynamo_addr));
    assert_eq!(consumer.ttl_removes, vec!["old".to_string()]);
    assert!(consumer.model.contains_key("new"));
    assert!(server.terminate());
}

#[test]
fn records_past_the_retention_period_are_trimmed_a_generation_at_a_time() {
    let args = ["--stream-shard-rollover", "1", "--stream-retention", "2"];
    let server = Server::start(None, &args);
    let addr = server.dynamo_addr.clone();
    let arn = create_table(&addr);
    let mut c = DynamoClient::connect(&addr, &common::root()).unwrap();
    let item = json!({"TableName": TABLE, "Item": {"pk": {"S": "early"}}});
    call(&mut c, "PutItem", item);
    let d = call(&mut c, "DynamoDBStreams_20120810.DescribeStream", json!({"StreamArn": arn}));
    let first = d["StreamDescription"]["Shards"][0]["ShardId"].as_str().unwrap().to_string();
    let body = json!({"StreamArn": arn, "ShardId": first, "ShardIteratorType": "TRIM_HORIZON"});
    let it = call(&mut c, "DynamoDBStreams_20120810.GetShardIterator", body.clone());
    let it = it["ShardIterator"].as_str().unwrap().to_string();
    // Past the retention period and a rollover or two, the first generation is trimmed.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (status, out) =
            c.call("DynamoDBStreams_20120810.GetRecords", &json!({"ShardIterator": it})).unwrap();
        if status == 400 {
            assert_eq!(
                out["__type"].as_str().unwrap().rsplit('#').next(),
                Some("TrimmedDataAccessException"),
                "{out}"
            );
            assert_eq!(out["message"], "The data you are trying to access has been trimmed");
            break;
        }
        assert!(Instant::now() < deadline, "never trimmed");
        std::thread::sleep(Duration::from_millis(250));
    }
    let (status, out) = c.call("DynamoDBStreams_20120810.GetShardIterator", &body).unwrap();
    assert_eq!(status, 400, "{out}");
    assert!(out["__type"].as_str().unwrap().ends_with("TrimmedDataAccessException"), "{out}");
    let d = call(&mut c, "DynamoDBStreams_20120810.DescribeStream", json!({"StreamArn": arn}));
    let shards = d["StreamDescription"]["Shards"].as_array().unwrap();
    assert!(shards.iter().all(|s| s["ShardId"] != first.as_str()), "the trimmed shard is gone");
    // What is written now is read from the shards left.
    call(&mut c, "PutItem", json!({"TableName": TABLE, "Item": {"pk": {"S": "late"}}}));
    let mut consumer = Consumer::default();
    consumer.drain(&addr, &arn);
    assert!(consumer.model.contains_key("late") && !consumer.model.contains_key("early"));
    assert!(server.terminate());
}
