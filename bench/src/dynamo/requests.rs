//! The benchmark's table and items, the request bodies of each operation, and the check that an
//! answer is the one expected (HTTP 200, the item found, the whole partition queried).
//!
//! Item `i` lives in partition `i / 10` (hash key `pk`, a string) at sort key `i % 10` (`sk`, a
//! number), with one string attribute `v` of `--value-size` bytes: a Query of a partition
//! returns 10 items.

use crate::engine::BenchResult;
use crate::keys::{thread_rng, ValueGen};
use rand::rngs::SmallRng;
use rand::Rng;
use shale_server::dynamo_client::{DynamoClient, HttpResponse};
use std::time::{Duration, Instant};

/// The table every target gets.
pub(crate) const TABLE: &str = "bench";
/// Items per partition, so items per Query.
pub(crate) const PARTITION_ITEMS: u64 = 10;

/// A measured operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Op {
    Get,
    Put,
    Query,
    /// A Query of `gsi0` (tables with `--gsis` ≥ 1).
    QueryIndex,
}

/// Distinct values of each index attribute `g<j>`: a Query of `gsi0` returns about
/// items / this many items.
pub(crate) const INDEX_VALUES: u64 = 1000;

impl Op {
    /// The DynamoDB operation name (the `X-Amz-Target` suffix).
    pub(crate) fn name(self) -> &'static str {
        match self {
            Op::Get => "GetItem",
            Op::Put => "PutItem",
            Op::Query | Op::QueryIndex => "Query",
        }
    }

    /// How the operation is shown in results.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Op::QueryIndex => "Query on gsi0",
            op => op.name(),
        }
    }
}

/// Items actually loaded: `items` rounded up to whole partitions (at least one).
pub(crate) fn item_count(items: u64) -> u64 {
    items.div_ceil(PARTITION_ITEMS).max(1) * PARTITION_ITEMS
}

fn pk(partition: u64) -> String {
    format!("p{partition:08}")
}

/// The GetItem body of item `i`.
pub(crate) fn get_body(i: u64) -> String {
    format!(
        r#"{{"TableName":"{TABLE}","Key":{{"pk":{{"S":"{}"}},"sk":{{"N":"{}"}}}}}}"#,
        pk(i / PARTITION_ITEMS),
        i % PARTITION_ITEMS
    )
}

/// The PutItem body writing item `i` with payload `value` (printable ASCII) and the index
/// attributes `g<j>` = `v<index_values[j]>`.
pub(crate) fn put_body(i: u64, value: &[u8], index_values: &[u64]) -> String {
    let mut body = put_item_body(i, value);
    if !index_values.is_empty() {
        let attrs: String = index_values
            .iter()
            .enumerate()
            .map(|(j, x)| format!(r#","g{j}":{{"S":"v{x}"}}"#))
            .collect();
        // Before the item's closing brace and the body's.
        body.truncate(body.len().saturating_sub(2));
        body.push_str(&attrs);
        body.push_str("}}");
    }
    body
}

/// The Query body reading the items whose `g0` is `v<x>`, through `gsi0`.
pub(crate) fn query_index_body(x: u64) -> String {
    format!(
        r#"{{"TableName":"{TABLE}","IndexName":"gsi0","KeyConditionExpression":"g0 = :g","ExpressionAttributeValues":{{":g":{{"S":"v{x}"}}}}}}"#
    )
}

fn put_item_body(i: u64, value: &[u8]) -> String {
    let v = serde_json::Value::String(String::from_utf8_lossy(value).into_owned());
    format!(
        r#"{{"TableName":"{TABLE}","Item":{{"pk":{{"S":"{}"}},"sk":{{"N":"{}"}},"v":{{"S":{v}}}}}}}"#,
        pk(i / PARTITION_ITEMS),
        i % PARTITION_ITEMS
    )
}

/// The Query body reading all of `partition`.
pub(crate) fn query_body(partition: u64) -> String {
    format!(
        r#"{{"TableName":"{TABLE}","KeyConditionExpression":"pk = :p","ExpressionAttributeValues":{{":p":{{"S":"{}"}}}}}}"#,
        pk(partition)
    )
}

/// CreateTable: hash `pk` (S), range `sk` (N), on demand, with `gsis` global indexes
/// (`gsi<j>` keyed by `g<j>` (S), projecting everything).
fn create_table_body(gsis: u8, stream_view: Option<&str>) -> String {
    let mut defs = vec![
        serde_json::json!({"AttributeName": "pk", "AttributeType": "S"}),
        serde_json::json!({"AttributeName": "sk", "AttributeType": "N"}),
    ];
    let mut indexes = Vec::new();
    for j in 0..gsis {
        defs.push(serde_json::json!({"AttributeName": format!("g{j}"), "AttributeType": "S"}));
        indexes.push(serde_json::json!({
            "IndexName": format!("gsi{j}"),
            "KeySchema": [{"AttributeName": format!("g{j}"), "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "ALL"}
        }));
    }
    let mut body = serde_json::json!({
        "TableName": TABLE,
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                      {"AttributeName": "sk", "KeyType": "RANGE"}],
        "AttributeDefinitions": defs,
        "BillingMode": "PAY_PER_REQUEST"
    });
    if !indexes.is_empty() {
        body["GlobalSecondaryIndexes"] = serde_json::Value::Array(indexes);
    }
    if let Some(view) = stream_view {
        body["StreamSpecification"] =
            serde_json::json!({"StreamEnabled": true, "StreamViewType": view});
    }
    body.to_string()
}

/// The number after `"Count":` in a Query answer.
fn count_of(body: &[u8]) -> Option<u64> {
    const KEY: &[u8] = b"\"Count\":";
    let at = body.windows(KEY.len()).position(|w| w == KEY)? + KEY.len();
    let rest = body.get(at..)?;
    let digits: Vec<u8> = rest
        .iter()
        .skip_while(|b| b.is_ascii_whitespace())
        .take_while(|b| b.is_ascii_digit())
        .copied()
        .collect();
    std::str::from_utf8(&digits).ok()?.parse().ok()
}

/// Whether `r` is a correct answer to `op`: HTTP 200, and GetItem found its item, Query its
/// whole partition. The error says what was wrong.
pub(crate) fn check(op: Op, r: &HttpResponse) -> Result<(), String> {
    if r.status != 200 {
        let what = r.error_type().unwrap_or_else(|| String::from_utf8_lossy(&r.body).into_owned());
        return Err(format!("{}: HTTP {} {what}", op.name(), r.status));
    }
    match op {
        Op::Get if !r.body.windows(7).any(|w| w == b"\"Item\":") => {
            Err("GetItem: HTTP 200 without the item".into())
        }
        Op::Query if count_of(&r.body) != Some(PARTITION_ITEMS) => {
            Err(format!("Query: Count {:?}, expected {PARTITION_ITEMS}", count_of(&r.body)))
        }
        _ => Ok(()),
    }
}

/// One connection to a target, reconnecting after a failure.
pub(crate) struct Conn {
    addr: String,
    client: DynamoClient,
}

impl Conn {
    /// Connects to `addr`.
    pub(crate) fn open(addr: &str) -> BenchResult<Conn> {
        let client = DynamoClient::connect(addr, super::credentials())
            .map_err(|e| format!("connecting to {addr}: {e}"))?;
        Ok(Conn { addr: addr.to_string(), client })
    }

    /// Sends one request and checks its answer (see [`check`]). After a transport error the
    /// connection is replaced.
    pub(crate) fn request(&mut self, op: Op, body: &str) -> Result<(), String> {
        match self.client.call_raw(op.name(), body.as_bytes()) {
            Ok(r) => check(op, &r),
            Err(e) => {
                if let Ok(c) = DynamoClient::connect(&self.addr, super::credentials()) {
                    self.client = c;
                }
                Err(format!("{}: {e}", op.name()))
            }
        }
    }

    /// Calls a control-plane operation; returns the status and the body as text.
    pub(crate) fn control(&mut self, op: &str, body: &str) -> BenchResult<(u16, String)> {
        let r = self.client.call_raw(op, body.as_bytes()).map_err(|e| format!("{op}: {e}"))?;
        Ok((r.status, String::from_utf8_lossy(&r.body).into_owned()))
    }
}

/// Random request bodies of one client thread.
pub(crate) struct Gen {
    rng: SmallRng,
    values: ValueGen,
    items: u64,
    value_size: usize,
    gsis: u8,
}

impl Gen {
    /// A generator over `items` items, seeded from `(seed, phase, thread)`.
    pub(crate) fn new(
        seed: u64,
        (phase, thread): (usize, usize),
        items: u64,
        value_size: usize,
        gsis: u8,
    ) -> Gen {
        let mut rng = thread_rng(seed, phase, thread);
        let values = ValueGen::new(&mut rng, value_size);
        Gen { rng, values, items: items.max(1), value_size, gsis }
    }

    fn index_values(&mut self) -> Vec<u64> {
        (0..self.gsis).map(|_| self.rng.gen_range(0..INDEX_VALUES)).collect()
    }

    /// A request of `op` on a uniformly random existing item (or partition).
    pub(crate) fn body(&mut self, op: Op) -> String {
        match op {
            Op::Get => get_body(self.rng.gen_range(0..self.items)),
            Op::Put => {
                let i = self.rng.gen_range(0..self.items);
                let g = self.index_values();
                put_body(i, self.values.next(self.value_size), &g)
            }
            Op::Query => query_body(self.rng.gen_range(0..self.items / PARTITION_ITEMS)),
            Op::QueryIndex => query_index_body(self.rng.gen_range(0..INDEX_VALUES)),
        }
    }

    /// The PutItem body of item `i` with a fresh value (for loading).
    pub(crate) fn put_of(&mut self, i: u64) -> String {
        let g = self.index_values();
        put_body(i, self.values.next(self.value_size), &g)
    }
}

/// Whether `addr` answers ListTables with HTTP 200; the error says what happened instead.
pub(crate) fn answers(addr: &str) -> Result<(), String> {
    match Conn::open(addr).and_then(|mut c| c.control("ListTables", "{}")) {
        Ok((200, _)) => Ok(()),
        Ok((status, body)) => Err(format!("ListTables: HTTP {status}: {body}")),
        Err(e) => Err(e.to_string()),
    }
}

/// Creates the table (an existing one is kept: its items are overwritten) and waits until it
/// is ACTIVE.
pub(crate) fn create_table(addr: &str, gsis: u8, stream_view: Option<&str>) -> BenchResult<()> {
    let mut c = Conn::open(addr)?;
    let (status, body) = c.control("CreateTable", &create_table_body(gsis, stream_view))?;
    if status != 200 && !body.contains("ResourceInUseException") {
        return Err(format!("CreateTable on {addr}: HTTP {status}: {body}").into());
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    let describe = format!(r#"{{"TableName":"{TABLE}"}}"#);
    while Instant::now() < deadline {
        let (status, body) = c.control("DescribeTable", &describe)?;
        if status == 200 && body.contains(r#""TableStatus":"ACTIVE""#) {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Err(format!("table {TABLE} on {addr} did not become ACTIVE within 30 s").into())
}

/// Writes items `0..items` over `connections` connections; returns the seconds it took. Any
/// failed write is an error.
pub(crate) fn load(
    addr: &str,
    items: u64,
    connections: usize,
    (value_size, gsis): (usize, u8),
    seed: u64,
) -> BenchResult<f64> {
    let conns = connections.max(1);
    let started = Instant::now();
    std::thread::scope(|s| -> BenchResult<()> {
        let handles: Vec<_> = (0..conns)
            .map(|t| {
                s.spawn(move || -> Result<(), String> {
                    let mut conn = Conn::open(addr).map_err(|e| e.to_string())?;
                    let mut gen = Gen::new(seed, (0, t), items, value_size, gsis);
                    let mut i = t as u64;
                    while i < items {
                        conn.request(Op::Put, &gen.put_of(i))
                            .map_err(|e| format!("loading item {i}: {e}"))?;
                        i += conns as u64;
                    }
                    Ok(())
                })
            })
            .collect();
        for h in handles {
            h.join().map_err(|_| "a loader thread panicked")??;
        }
        Ok(())
    })?;
    Ok(started.elapsed().as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, body: &str) -> HttpResponse {
        HttpResponse { status, headers: Vec::new(), body: body.as_bytes().to_vec() }
    }

    #[test]
    fn bodies_are_json() {
        for body in [
            get_body(123),
            put_body(123, b"a\"b\\c", &[]),
            put_body(1, b"x", &[4, 5]),
            query_body(12),
            query_index_body(3),
            create_table_body(0, None),
            create_table_body(2, None),
        ] {
            let v: serde_json::Value = serde_json::from_str(&body).unwrap();
            assert_eq!(v["TableName"], TABLE);
        }
        let put: serde_json::Value = serde_json::from_str(&put_body(123, b"x", &[])).unwrap();
        assert_eq!(put["Item"]["pk"]["S"], "p00000012");
        assert_eq!(put["Item"]["sk"]["N"], "3");
        let put: serde_json::Value = serde_json::from_str(&put_body(7, b"x", &[4, 5])).unwrap();
        assert_eq!(
            (&put["Item"]["g0"]["S"], &put["Item"]["g1"]["S"]),
            (&"v4".into(), &"v5".into())
        );
        let t: serde_json::Value =
            serde_json::from_str(&create_table_body(2, Some("KEYS_ONLY"))).unwrap();
        assert_eq!(t["GlobalSecondaryIndexes"][1]["IndexName"], "gsi1");
        assert_eq!(t["StreamSpecification"]["StreamViewType"], "KEYS_ONLY");
    }

    #[test]
    fn answers_are_checked() {
        assert!(check(Op::Get, &response(200, r#"{"Item":{"pk":{"S":"p"}}}"#)).is_ok());
        assert!(check(Op::Get, &response(200, "{}")).is_err());
        assert!(check(Op::Query, &response(200, r#"{"Count":10,"Items":[]}"#)).is_ok());
        assert!(check(Op::Query, &response(200, r#"{"Count": 9}"#)).is_err());
        let e = check(Op::Put, &response(400, r#"{"__type":"x#ValidationException"}"#));
        assert_eq!(e.unwrap_err(), "PutItem: HTTP 400 ValidationException");
    }

    #[test]
    fn items_fill_whole_partitions() {
        assert_eq!(item_count(0), 10);
        assert_eq!(item_count(10_000), 10_000);
        assert_eq!(item_count(201), 210);
    }
}
