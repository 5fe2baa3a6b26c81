//! The HTTP front door against the real server process: CORS (preflights and the headers of
//! every answer, by `--cors-origins`), gzip request bodies (signed as sent, bounded once
//! inflated) and answers (with the `x-amz-crc32` of the bytes sent), and the first minute: a
//! port in use fails before the data directory is made, and the startup summary names
//! everything once.

mod common;

use common::Server;
use flate2::write::GzEncoder;
use flate2::Compression;
use serde_json::json;
use shale_server::dynamo_client::{parse_head, HttpResponse};
use std::io::{Read, Write};
use std::net::TcpStream;

const ALLOWED: &str = "http://localhost:3000";

/// One request on a connection of its own: `method` with `headers` and `body`, signed (over
/// `body` as sent and every header given) when `sign`.
fn send(
    addr: &str,
    method: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    sign: bool,
) -> HttpResponse {
    let mut head = format!("{method} / HTTP/1.1\r\nHost: {addr}\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    if sign {
        for (k, v) in common::root().sign("dynamodb", addr, headers, body) {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
    }
    head.push_str(&format!("Content-Length: {}\r\nConnection: close\r\n\r\n", body.len()));
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(60))).unwrap();
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    let h = parse_head(&out).unwrap().expect("a whole response head");
    let body = out[h.head_len..h.head_len + h.body_len].to_vec();
    HttpResponse { status: h.status, headers: h.headers, body }
}

/// A signed DynamoDB call with more headers.
fn call(addr: &str, op: &str, body: &[u8], more: &[(&str, &str)]) -> HttpResponse {
    let target = format!("DynamoDB_20120810.{op}");
    let mut headers =
        vec![("x-amz-target", target.as_str()), ("content-type", "application/x-amz-json-1.0")];
    headers.extend_from_slice(more);
    send(addr, "POST", &headers, body, true)
}

fn preflight(addr: &str, origin: &str) -> HttpResponse {
    let headers = [
        ("origin", origin),
        ("access-control-request-method", "POST"),
        ("access-control-request-headers", "authorization,content-type,x-amz-date,x-amz-target"),
    ];
    send(addr, "OPTIONS", &headers, b"", false)
}

fn cors_headers(r: &HttpResponse) -> Vec<&str> {
    r.headers
        .iter()
        .filter(|(k, _)| k.starts_with("access-control-"))
        .map(|(k, _)| k.as_str())
        .collect()
}

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn gunzip(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(data).read_to_end(&mut out).unwrap();
    out
}

#[test]
fn cors_preflights_and_answers_follow_the_allowed_origins() {
    let server =
        Server::start(None, &["--cors-origins", &format!("{ALLOWED},https://app.example")]);
    let addr = server.dynamo_addr.clone();

    // A preflight from an allowed origin: no credentials needed, the origin and headers echoed.
    let r = preflight(&addr, ALLOWED);
    assert_eq!(r.status, 200);
    assert_eq!(r.header("access-control-allow-origin"), Some(ALLOWED));
    assert!(r.header("access-control-allow-methods").unwrap().contains("POST"));
    assert_eq!(
        r.header("access-control-allow-headers"),
        Some("authorization,content-type,x-amz-date,x-amz-target")
    );
    assert_eq!(r.header("access-control-max-age"), Some("86400"));
    // From another origin: 403, and nothing that would let a browser go on.
    let r = preflight(&addr, "https://evil.example");
    assert_eq!(r.status, 403);
    assert!(cors_headers(&r).is_empty(), "{:?}", r.headers);

    // Answers, errors included, carry the origin and the exposed headers for an allowed origin.
    let r = call(&addr, "ListTables", b"{}", &[("origin", ALLOWED)]);
    assert_eq!(r.status, 200);
    assert_eq!(r.header("access-control-allow-origin"), Some(ALLOWED));
    let exposed = r.header("access-control-expose-headers").unwrap().to_ascii_lowercase();
    for h in ["x-amzn-requestid", "x-amz-crc32", "x-amz-id-2", "date"] {
        assert!(exposed.contains(h), "{h}: {exposed}");
    }
    let r = call(&addr, "DescribeTable", br#"{"TableName": "nope"}"#, &[("origin", ALLOWED)]);
    assert_eq!(r.error_type().as_deref(), Some("ResourceNotFoundException"));
    assert_eq!(r.header("access-control-allow-origin"), Some(ALLOWED));
    let unsigned = [
        ("x-amz-target", "DynamoDB_20120810.ListTables"),
        ("content-type", "application/x-amz-json-1.0"),
        ("origin", "https://app.example"),
    ];
    let r = send(&addr, "POST", &unsigned, b"{}", false);
    assert_eq!(r.error_type().as_deref(), Some("MissingAuthenticationTokenException"));
    assert_eq!(r.header("access-control-allow-origin"), Some("https://app.example"));
    // Another origin: answered as usual, without CORS headers (the browser keeps it from the page).
    let r = call(&addr, "ListTables", b"{}", &[("origin", "https://evil.example")]);
    assert_eq!(r.status, 200);
    assert!(r.json().unwrap()["TableNames"].is_array());
    assert!(cors_headers(&r).is_empty(), "{:?}", r.headers);
    assert!(server.terminate());
}

#[test]
fn cors_is_open_to_any_origin_by_default_and_closed_under_auth_none() {
    let server = Server::start(None, &[]);
    let r = preflight(&server.dynamo_addr, "https://anyone.example");
    assert_eq!((r.status, r.header("access-control-allow-origin")), (200, Some("*")));
    let r = call(&server.dynamo_addr, "Frob", b"{}", &[("origin", "https://anyone.example")]);
    assert_eq!(r.error_type().as_deref(), Some("UnknownOperationException"));
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    assert!(server.terminate());
    // Without authentication nothing else guards the endpoint: no origin unless named.
    let server = Server::start(None, &["--auth", "none"]);
    assert_eq!(preflight(&server.dynamo_addr, "https://anyone.example").status, 403);
    assert!(server.terminate());
    let server = Server::start(None, &["--auth", "none", "--cors-origins", ALLOWED]);
    assert_eq!(preflight(&server.dynamo_addr, ALLOWED).status, 200);
    assert!(server.terminate());
}

/// The server's peak resident memory, in bytes (Linux).
fn peak_rss_bytes(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

#[test]
fn gzip_requests_are_signed_as_sent_and_bounded_once_inflated() {
    const BODY_MAX: usize = 1 << 20;
    let server = Server::start(None, &["--dynamodb-body-bytes-max", &BODY_MAX.to_string()]);
    let addr = server.dynamo_addr.clone();
    let create = json!({
        "TableName": "gzt", "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
    });
    let r = call(&addr, "CreateTable", create.to_string().as_bytes(), &[]);
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));

    // Accepted: signed over the compressed bytes.
    let item =
        json!({"TableName": "gzt", "Item": {"pk": {"S": "a"}, "v": {"S": "x".repeat(9000)}}});
    let body = gz(item.to_string().as_bytes());
    let r = call(&addr, "PutItem", &body, &[("content-encoding", "gzip")]);
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let get = json!({"TableName": "gzt", "Key": {"pk": {"S": "a"}}});
    let r = call(&addr, "GetItem", get.to_string().as_bytes(), &[]);
    assert_eq!(r.json().unwrap()["Item"]["v"]["S"].as_str().map(str::len), Some(9000));

    // Corrupt: the protocol's SerializationException.
    let mut flipped = body.clone();
    flipped[20] ^= 0xff;
    for bad in [&b"{}"[..], &body[..body.len() - 5], &flipped[..]] {
        let r = call(&addr, "PutItem", bad, &[("content-encoding", "gzip")]);
        assert_eq!(r.status, 400);
        let j = r.json().unwrap();
        assert_eq!(j["__type"], "com.amazon.coral.service#SerializationException", "{j}");
        assert_eq!(r.header("x-amz-crc32").unwrap(), crc32fast::hash(&r.body).to_string());
    }

    // A zip bomb: 512 MiB of zeros in about half a megabyte (one compressed MiB, repeated as
    // gzip members), refused at the 1 MiB bound without the server holding it.
    let member = {
        let mut e = GzEncoder::new(Vec::new(), Compression::best());
        e.write_all(&vec![0u8; 1 << 20]).unwrap();
        e.finish().unwrap()
    };
    let bomb: Vec<u8> = member.iter().copied().cycle().take(member.len() * 512).collect();
    assert!(bomb.len() < BODY_MAX, "{}", bomb.len());
    let pid = server.child.id();
    let before = peak_rss_bytes(pid);
    for _ in 0..3 {
        let r = call(&addr, "ListTables", &bomb, &[("content-encoding", "gzip")]);
        assert_eq!(r.status, 413, "{}", String::from_utf8_lossy(&r.body));
        let j = r.json().unwrap();
        assert_eq!(j["__type"], "com.amazon.coral.service#RequestEntityTooLarge", "{j}");
        assert!(j["message"].as_str().unwrap().contains("once decompressed"), "{j}");
    }
    if let (Some(before), Some(after)) = (before, peak_rss_bytes(pid)) {
        let grew = after.saturating_sub(before);
        assert!(grew < 64 << 20, "the peak RSS grew by {grew} bytes");
    }
    let r = call(&addr, "ListTables", b"{}", &[]);
    assert_eq!(r.status, 200, "the server still serves");
    assert!(server.terminate());
}

#[test]
fn gzip_answers_when_accepted_with_the_crc32_of_the_bytes_sent() {
    let server = Server::start(None, &[]);
    let addr = server.dynamo_addr.clone();
    let create = json!({
        "TableName": "big", "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
    });
    assert_eq!(call(&addr, "CreateTable", create.to_string().as_bytes(), &[]).status, 200);
    let item =
        json!({"TableName": "big", "Item": {"pk": {"S": "a"}, "v": {"S": "abc".repeat(3000)}}});
    assert_eq!(call(&addr, "PutItem", item.to_string().as_bytes(), &[]).status, 200);
    let get = json!({"TableName": "big", "Key": {"pk": {"S": "a"}}}).to_string();

    let r = call(&addr, "GetItem", get.as_bytes(), &[("accept-encoding", "gzip, deflate")]);
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    // What botocore checks: the CRC32 of the body as received, before anything inflates it.
    assert_eq!(r.header("x-amz-crc32").unwrap(), crc32fast::hash(&r.body).to_string());
    let plain = gunzip(&r.body);
    assert!(r.body.len() * 4 < plain.len());
    let j: serde_json::Value = serde_json::from_slice(&plain).unwrap();
    assert_eq!(j["Item"]["v"]["S"].as_str().map(str::len), Some(9000));

    // Not asked for, or refused: plain, with the CRC32 of the plain body.
    for accept in [None, Some("identity"), Some("gzip;q=0")] {
        let more: Vec<(&str, &str)> = accept.map(|a| ("accept-encoding", a)).into_iter().collect();
        let r = call(&addr, "GetItem", get.as_bytes(), &more);
        assert_eq!(r.header("content-encoding"), None, "{accept:?}");
        assert_eq!(r.body, plain);
        assert_eq!(r.header("x-amz-crc32").unwrap(), crc32fast::hash(&r.body).to_string());
    }
    // Short answers stay plain.
    let r = call(&addr, "ListTables", b"{}", &[("accept-encoding", "gzip")]);
    assert_eq!(r.header("content-encoding"), None);
    assert!(server.terminate());
}

#[test]
fn a_port_in_use_fails_before_the_data_directory_is_made() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken_addr = taken.local_addr().unwrap().to_string();
    let scratch = tempfile::tempdir().unwrap();
    let data_dir = scratch.path().join("fresh");
    for (flag, other) in [("--dynamodb-addr", "--kv-addr"), ("--kv-addr", "--dynamodb-addr")] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_shale-server"))
            .arg("--data-dir")
            .arg(&data_dir)
            .args([flag, &taken_addr, other, "127.0.0.1:0"])
            .env("SHALE_ROOT_ACCESS_KEY_ID", common::ROOT_ACCESS_KEY_ID)
            .env("SHALE_ROOT_SECRET_ACCESS_KEY", common::ROOT_SECRET_ACCESS_KEY)
            .output()
            .unwrap();
        assert!(!out.status.success());
        let stderr = String::from_utf8_lossy(&out.stderr);
        let said = format!("address {taken_addr} is in use ({flag})");
        assert_eq!(stderr.matches(&said).count(), 1, "{stderr}");
        // One error line (not also through the log).
        assert_eq!(stderr.matches("in use").count(), 1, "{stderr}");
        assert_eq!(stderr.lines().filter(|l| l.contains("shale-server:")).count(), 1, "{stderr}");
        assert!(!data_dir.exists(), "the data directory was made");
    }
    drop(taken);
}

/// The server's log once its summary's last line is in (the harness sees that line before it
/// keeps it).
fn whole_summary(server: &Server) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let log = server.log.lock().unwrap().join("\n");
        if log.contains("kv protocol listening on") || std::time::Instant::now() > deadline {
            return log;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

#[test]
fn the_startup_summary_names_everything_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(Some(dir.path()), &["--wal-sync-interval-ms", "250"]);
    let log = whole_summary(&server);
    let data = std::fs::canonicalize(dir.path()).unwrap();
    for part in [
        format!("shale-server {} serving", env!("CARGO_PKG_VERSION")),
        format!("data:       {} (io backend ", data.display()),
        "durability: DynamoDB writes fsynced before they are answered".into(),
        "WAL fsynced in the background every 250 ms".into(),
        format!(
            "auth:       sigv4, region us-east-1, root access key id {}",
            common::ROOT_ACCESS_KEY_ID
        ),
        "tls:        off".into(),
        "cors:       any origin (*)".into(),
        format!("endpoint:   http://{} (DynamoDB", server.dynamo_addr),
        format!("console:    http://{}/console/", server.dynamo_addr),
        format!("dynamodb gateway listening on {}", server.dynamo_addr),
        format!("kv protocol listening on {}", server.addr),
    ] {
        assert!(log.contains(&part), "{part:?} is not in the log:\n{log}");
    }
    assert_eq!(log.matches(" serving").count(), 1, "{log}");
    assert_eq!(log.matches("listening on").count(), 2, "{log}");
    assert!(server.terminate());
    // In memory.
    let server = Server::start(None, &[]);
    let log = whole_summary(&server);
    assert!(log.contains("data:       in memory"), "{log}");
    assert!(log.contains("durability: none: in memory"), "{log}");
    assert!(server.terminate());
}
