//! `GET /metrics` on the real server, read by a Prometheus text-format parser
//! (`prometheus-parse`): DynamoDB's metrics after known traffic, the latency histogram and
//! the engine's statistics; credentials required (HTTP Basic or SigV4), wrong ones refused,
//! and a user without `cloudwatch:GetMetricData` denied; `--metrics-addr` serves it too. And the
//! per-request latency breakdown: `x-shale-trace: 1` answered in the response header
//! (`docs/format/trace.md`), refused when malformed, and summed on the page.

mod common;

use common::{Server, ROOT_ACCESS_KEY_ID, ROOT_SECRET_ACCESS_KEY};
use serde_json::json;
use shale_server::dynamo_client::{encode_request, DynamoClient, HttpResponse};
use shale_server::http::trace;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// A GET of `path` with `authorization` (when given): status, headers and body.
fn get(addr: &str, path: &str, authorization: Option<&str>) -> (u16, String, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    let auth = authorization.map(|a| format!("Authorization: {a}\r\n")).unwrap_or_default();
    write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Connection: close\r\n\r\n").unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let (head, body) = out.split_once("\r\n\r\n").unwrap_or((&out, ""));
    let status = head.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    (status, head.to_string(), body.to_string())
}

fn basic(id: &str, secret: &str) -> String {
    use base64::Engine as _;
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}")))
}

fn sample(scrape: &prometheus_parse::Scrape, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    scrape
        .samples
        .iter()
        .find(|s| s.metric == name && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .map(|s| match s.value {
            prometheus_parse::Value::Counter(v)
            | prometheus_parse::Value::Gauge(v)
            | prometheus_parse::Value::Untyped(v) => v,
            _ => f64::NAN,
        })
}

fn parse(body: &str) -> prometheus_parse::Scrape {
    let lines = body.lines().map(|l| Ok(l.to_string()));
    prometheus_parse::Scrape::parse(lines).expect("the page parses as Prometheus text")
}

#[test]
fn prometheus_reads_dynamodb_and_engine_metrics_with_credentials() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(Some(dir.path()), &["--metrics-addr", "127.0.0.1:0"]);
    let addr = server.dynamo_addr.clone();
    let mut c = DynamoClient::connect(&addr, &common::root()).unwrap();
    let (status, _) = c
        .call(
            "CreateTable",
            &json!({"TableName": "prom", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                    "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                    "ProvisionedThroughput": {"ReadCapacityUnits": 10, "WriteCapacityUnits": 5}}),
        )
        .unwrap();
    assert_eq!(status, 200);
    for i in 0..7 {
        let (status, _) = c
            .call("PutItem", &json!({"TableName": "prom", "Item": {"pk": {"S": format!("k{i}")}}}))
            .unwrap();
        assert_eq!(status, 200);
    }
    let root = basic(ROOT_ACCESS_KEY_ID, ROOT_SECRET_ACCESS_KEY);
    // The harvester moves each second's counts into the totals.
    let deadline = Instant::now() + Duration::from_secs(15);
    let scrape = loop {
        let (status, head, body) = get(&addr, "/metrics", Some(&root));
        assert_eq!(status, 200, "{head}");
        assert!(head.to_ascii_lowercase().contains("content-type: text/plain; version=0.0.4"));
        let scrape = parse(&body);
        let writes = sample(
            &scrape,
            "shale_dynamodb_consumed_write_capacity_units_count",
            &[("table", "prom")],
        );
        if writes == Some(7.0) {
            break scrape;
        }
        assert!(Instant::now() < deadline, "no write metrics after 15 s: {writes:?}");
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(
        sample(&scrape, "shale_dynamodb_consumed_write_capacity_units_sum", &[("table", "prom")]),
        Some(7.0)
    );
    assert_eq!(
        sample(&scrape, "shale_dynamodb_provisioned_read_capacity_units", &[("table", "prom")]),
        Some(10.0)
    );
    let h = scrape
        .samples
        .iter()
        .find(|s| {
            s.metric == "shale_dynamodb_request_latency_seconds"
                && s.labels.get("operation") == Some("PutItem")
        })
        .expect("the PutItem latency histogram");
    match &h.value {
        prometheus_parse::Value::Histogram(buckets) => {
            assert_eq!(buckets.last().map(|b| b.count), Some(7.0), "+Inf holds every request");
            assert!(buckets.windows(2).all(|w| w[0].count <= w[1].count), "cumulative");
        }
        other => panic!("not a histogram: {other:?}"),
    }
    assert!(sample(&scrape, "shale_engine_wal_syncs_total", &[]).is_some_and(|v| v >= 1.0));
    assert!(sample(&scrape, "shale_engine_user_bytes_total", &[]).is_some_and(|v| v > 0.0));
    assert!(scrape.samples.iter().any(|s| s.metric == "shale_engine_level_files"));
    // The WAL archive is there, dormant: no table has point-in-time recovery on.
    assert_eq!(sample(&scrape, "shale_engine_archive_retention_seconds", &[]), Some(0.0));
    assert_eq!(sample(&scrape, "shale_engine_archive_bases", &[]), Some(0.0));
    // Without credentials: 401 asking for Basic; wrong ones refused.
    let (status, head, _) = get(&addr, "/metrics", None);
    assert_eq!(status, 401);
    assert!(head.to_ascii_lowercase().contains("www-authenticate: basic"));
    for wrong in
        [basic(ROOT_ACCESS_KEY_ID, "nope"), basic("AKIANOBODY", "x"), "Basic !!!".to_string()]
    {
        assert_eq!(get(&addr, "/metrics", Some(&wrong)).0, 401, "{wrong}");
    }
    // An IAM user without cloudwatch:GetMetricData is denied; with it, served.
    let root_creds = common::root();
    let iam = |params: &[(&str, &str)]| common::aws::query(&addr, "iam", params, &root_creds);
    assert_eq!(iam(&[("Action", "CreateUser"), ("UserName", "scraper")]).status, 200);
    let key = iam(&[("Action", "CreateAccessKey"), ("UserName", "scraper")]);
    assert_eq!(key.status, 200);
    let user = basic(&key.field("AccessKeyId").unwrap(), &key.field("SecretAccessKey").unwrap());
    assert_eq!(get(&addr, "/metrics", Some(&user)).0, 403);
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"cloudwatch:GetMetricData","Resource":"*"}]}"#;
    let put = [
        ("Action", "PutUserPolicy"),
        ("UserName", "scraper"),
        ("PolicyName", "scrape"),
        ("PolicyDocument", policy),
    ];
    assert_eq!(iam(&put).status, 200);
    assert_eq!(get(&addr, "/metrics", Some(&user)).0, 200);
    // `--metrics-addr` serves the same page (and nothing else).
    let metrics_addr = {
        let log = server.log.lock().unwrap();
        let line = log
            .iter()
            .find(|l| l.contains("metrics listening on "))
            .expect("the metrics address")
            .clone();
        line.rsplit("metrics listening on ").next().unwrap().trim().to_string()
    };
    let (status, _, body) = get(&metrics_addr, "/metrics", Some(&root));
    assert_eq!(status, 200);
    let page = parse(&body);
    assert!(sample(
        &page,
        "shale_dynamodb_consumed_write_capacity_units_count",
        &[("table", "prom")]
    )
    .is_some());
    let mut other = DynamoClient::connect(&metrics_addr, &common::root()).unwrap();
    let (status, answer) = other.call("ListTables", &json!({})).unwrap();
    assert_eq!(status, 400, "no AWS API on the metrics address: {answer}");
    assert!(server.terminate());
}

/// `op` with `body`, its request carrying `x-shale-trace: value` when given.
fn call_traced(
    c: &mut DynamoClient,
    addr: &str,
    op: &str,
    body: &str,
    value: Option<&str>,
) -> HttpResponse {
    let mut req = encode_request(addr, op, body.as_bytes(), &common::root());
    if let Some(v) = value {
        let at = req.windows(2).position(|w| w == b"\r\n").unwrap() + 2;
        req.splice(at..at, format!("x-shale-trace: {v}\r\n").into_bytes());
    }
    c.send_raw(&req).unwrap();
    c.read_response().unwrap()
}

/// The figures of a response's `x-shale-trace` header, by name.
fn figures(r: &HttpResponse) -> std::collections::HashMap<String, u64> {
    let v = r.header("x-shale-trace").expect("an x-shale-trace header");
    trace::parse(v).expect("the header parses").into_iter().collect()
}

#[test]
fn x_shale_trace_answers_the_engine_breakdown_and_the_page_sums_it() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(Some(dir.path()), &[]);
    let addr = server.dynamo_addr.clone();
    let mut c = DynamoClient::connect(&addr, &common::root()).unwrap();
    let create = json!({"TableName": "traced", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "BillingMode": "PAY_PER_REQUEST"});
    assert_eq!(c.call("CreateTable", &create).unwrap().0, 200);
    let item = r#"{"TableName": "traced", "Item": {"pk": {"S": "a"}, "v": {"S": "hello"}}}"#;

    // Asked for: the write's WAL bytes, its WAL (or fsync) and memtable insert times, all
    // within the operation's.
    let put = call_traced(&mut c, &addr, "PutItem", item, Some("1"));
    assert_eq!(put.status, 200, "{}", String::from_utf8_lossy(&put.body));
    let f = figures(&put);
    assert!(f["wal_bytes"] > 0 && f["memtable_insert_nanos"] > 0, "{f:?}");
    assert!(f["wal_nanos"] + f["fsync_nanos"] > 0, "{f:?}");
    let stages = [
        "memtable_nanos",
        "table_nanos",
        "write_stall_nanos",
        "write_queue_nanos",
        "wal_nanos",
        "fsync_nanos",
        "memtable_insert_nanos",
        "publish_wait_nanos",
    ];
    let engine: u64 = stages.iter().map(|s| f[*s]).sum();
    assert!(f["operation_nanos"] >= engine, "{f:?}");
    // The gateway's own steps: decoding and encoding took time, and everything measured is
    // within the operation.
    assert!(f["decode_nanos"] > 0 && f["encode_nanos"] > 0, "{f:?}");
    let steps = f["decode_nanos"] + f["authorize_nanos"] + f["encode_nanos"];
    assert!(f["operation_nanos"] >= engine + steps, "{f:?}");

    // A read of the item just written: found in a memtable, no file read, nothing written.
    let get = r#"{"TableName": "traced", "Key": {"pk": {"S": "a"}}}"#;
    let r = call_traced(&mut c, &addr, "GetItem", get, Some("1"));
    assert_eq!(r.status, 200);
    let f = figures(&r);
    assert!(f["memtable_hits"] >= 1 && f["memtable_nanos"] > 0, "{f:?}");
    assert_eq!((f["wal_bytes"], f["file_reads"]), (0, 0), "{f:?}");

    // Not asked for (or asked not to): no header. A failed request still answers its trace.
    for value in [None, Some("0")] {
        let r = call_traced(&mut c, &addr, "GetItem", get, value);
        assert_eq!((r.status, r.header("x-shale-trace")), (200, None));
    }
    let missing = r#"{"TableName": "nope", "Key": {"pk": {"S": "a"}}}"#;
    let r = call_traced(&mut c, &addr, "GetItem", missing, Some("1"));
    assert_eq!(r.status, 400);
    assert!(figures(&r)["operation_nanos"] > 0);
    // A malformed value is refused by name, and the request does nothing.
    let other = r#"{"TableName": "traced", "Item": {"pk": {"S": "b"}}}"#;
    let r = call_traced(&mut c, &addr, "PutItem", other, Some("yes"));
    assert_eq!(r.status, 400);
    assert_eq!(r.error_type().as_deref(), Some("ValidationException"));
    assert!(String::from_utf8_lossy(&r.body).contains("x-shale-trace"));
    let (_, got) =
        c.call("GetItem", &json!({"TableName": "traced", "Key": {"pk": {"S": "b"}}})).unwrap();
    assert_eq!(got, json!({}), "the refused PutItem wrote nothing");

    // The page sums the timed requests (the traced ones and a sample of the others).
    for _ in 0..200 {
        assert_eq!(c.call("GetItem", &serde_json::from_str(get).unwrap()).unwrap().0, 200);
    }
    let root = basic(ROOT_ACCESS_KEY_ID, ROOT_SECRET_ACCESS_KEY);
    let (status, _, body) = get_page(&addr, &root);
    assert_eq!(status, 200);
    let page = parse(&body);
    let at = |name: &str, extra: &[(&str, &str)]| {
        let mut labels = vec![("service", "dynamodb"), ("operation", "GetItem")];
        labels.extend_from_slice(extra);
        sample(&page, name, &labels)
    };
    let timed = at("shale_request_trace_requests_total", &[]).unwrap();
    assert!(timed >= 2.0, "the traced GetItems at least: {timed}");
    let seconds = at("shale_request_trace_seconds_total", &[("stage", "operation")]).unwrap();
    assert!(seconds > 0.0);
    let memtable = at("shale_request_trace_seconds_total", &[("stage", "memtable")]).unwrap();
    assert!(memtable > 0.0 && memtable < seconds, "{memtable} of {seconds}");
    let hits = at("shale_request_trace_events_total", &[("event", "memtable_hits")]).unwrap();
    // Every timed GetItem hit a memtable but the one of a missing table.
    assert!(hits >= timed - 1.0, "{hits} memtable hits in {timed} GetItems");
    let put_bytes = sample(
        &page,
        "shale_request_trace_bytes_total",
        &[("service", "dynamodb"), ("operation", "PutItem"), ("kind", "wal")],
    );
    assert!(put_bytes.is_some_and(|b| b > 0.0), "{put_bytes:?}");
    assert!(server.terminate());
}

fn get_page(addr: &str, authorization: &str) -> (u16, String, String) {
    get(addr, "/metrics", Some(authorization))
}
