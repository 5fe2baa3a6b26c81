//! The DynamoDB gateway's HTTP front door against the real server process: headers, checksums,
//! and DynamoDB-shaped 4xx answers to malformed, truncated and oversize requests, after which
//! the server keeps serving.

mod common;

use common::Server;
use serde_json::json;
use shale_server::dynamo_client::{DynamoClient, HttpResponse};
use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};

const BODY_MAX: usize = 4096;

fn start() -> Server {
    Server::start(None, &["--dynamodb-body-bytes-max", &BODY_MAX.to_string()])
}

fn assert_error(r: &HttpResponse, status: u16, ty: &str) {
    assert_eq!(r.status, status, "{}", String::from_utf8_lossy(&r.body));
    let j = r.json().unwrap();
    assert_eq!(j["__type"].as_str().unwrap(), ty, "{j}");
    assert_eq!(r.header("x-amz-crc32").unwrap(), crc32fast::hash(&r.body).to_string());
    assert_eq!(r.header("x-amzn-requestid").unwrap().len(), 52);
}

fn healthy(addr: &str) {
    let mut c = DynamoClient::connect(addr, &common::root()).unwrap();
    let (status, out) = c.call("ListTables", &json!({})).unwrap();
    assert_eq!(status, 200, "{out}");
    assert!(out["TableNames"].is_array());
}

fn raw(addr: &str, bytes: &[u8], close_write: bool) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(30))).unwrap();
    s.write_all(bytes).unwrap();
    if close_write {
        s.shutdown(Shutdown::Write).unwrap();
    }
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn protocol_errors_are_dynamodb_shaped_and_the_server_keeps_serving() {
    let server = start();
    let addr = server.dynamo_addr.clone();
    let mut c = DynamoClient::connect(&addr, &common::root()).unwrap();

    // Success: checksum and request id on every answer.
    let r = c.call_raw("ListTables", b"{}").unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.header("x-amz-crc32").unwrap(), crc32fast::hash(&r.body).to_string());
    assert_eq!(r.header("content-type").unwrap(), "application/x-amz-json-1.0");

    // Unknown operation, malformed JSON, a non-object body, a wrong member type.
    let r = c.call_raw("DropEverything", b"{}").unwrap();
    assert_error(&r, 400, "com.amazon.coral.service#UnknownOperationException");
    let r = c.call_raw("GetItem", b"{\"TableName\": ").unwrap();
    assert_error(&r, 400, "com.amazon.coral.service#SerializationException");
    let r = c.call_raw("GetItem", b"[1, 2]").unwrap();
    assert_error(&r, 400, "com.amazon.coral.service#SerializationException");
    let r = c.call_raw("GetItem", br#"{"TableName": 5, "Key": {}}"#).unwrap();
    assert_error(&r, 400, "com.amazon.coral.service#SerializationException");
    let r = c.call_raw("GetItem", br#"{"TableName": "t", "Key": {"k": {"Q": "x"}}}"#).unwrap();
    assert_error(&r, 400, "com.amazon.coral.validate#ValidationException");
    let r = c.call_raw("DescribeTable", br#"{"TableName": "missing"}"#).unwrap();
    assert_error(&r, 400, "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException");
    assert_eq!(
        r.json().unwrap()["message"],
        "Requested resource not found: Table: missing not found"
    );

    // Oversize: refused from Content-Length before the body is read.
    let big = vec![b' '; BODY_MAX + 1];
    let r = c.call_raw("ListTables", &big).unwrap();
    assert_eq!(r.status, 413);
    assert!(r.json().unwrap()["__type"].as_str().unwrap().contains("RequestEntityTooLarge"));
    healthy(&addr);

    // Oversize with a chunked body (no Content-Length): refused while reading.
    let chunk = vec![b' '; BODY_MAX];
    let mut req = format!(
        "POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: DynamoDB_20120810.ListTables\r\nX-Amz-Date: 20260101T000000Z\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential=a/b/c/d/e, SignedHeaders=host, Signature=0\r\n\
         Transfer-Encoding: chunked\r\n\r\n{:x}\r\n", chunk.len()).into_bytes();
    req.extend_from_slice(&chunk);
    req.extend_from_slice(format!("\r\n{:x}\r\n", chunk.len()).as_bytes());
    req.extend_from_slice(&chunk);
    req.extend_from_slice(b"\r\n0\r\n\r\n");
    let out = raw(&addr, &req, false);
    assert!(out.starts_with("HTTP/1.1 413"), "{out}");

    // Missing and malformed Authorization.
    let out = raw(&addr, b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: DynamoDB_20120810.ListTables\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}", false);
    assert!(out.starts_with("HTTP/1.1 400"), "{out}");
    assert!(out.contains("com.amazon.coral.service#MissingAuthenticationTokenException"), "{out}");
    assert!(out.contains("Request is missing Authentication Token"), "{out}");
    let out = raw(&addr, b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: DynamoDB_20120810.ListTables\r\nAuthorization: Basic abc\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}", false);
    assert!(out.contains("IncompleteSignatureException"), "{out}");

    // Truncated: the body ends before Content-Length says.
    let out = raw(&addr, b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: DynamoDB_20120810.ListTables\r\nX-Amz-Date: 20260101T000000Z\r\nAuthorization: AWS4-HMAC-SHA256 Credential=a, SignedHeaders=host, Signature=0\r\nContent-Length: 100\r\n\r\n{\"Limit\"", true);
    assert!(out.is_empty() || out.starts_with("HTTP/1.1 400"), "{out}");
    healthy(&addr);

    // Not HTTP at all.
    let out = raw(&addr, b"\x00\x01\x02 garbage\r\n\r\n", true);
    assert!(out.is_empty() || out.starts_with("HTTP/1.1 400"), "{out}");

    // The health line, and the long-lived connection still works.
    let out = raw(&addr, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", false);
    assert!(out.starts_with("HTTP/1.1 200") && out.contains("healthy: dynamodb"), "{out}");
    let r = c.call_raw("ListTables", b"{}").unwrap();
    assert_eq!(r.status, 200);
    healthy(&addr);
    assert!(server.terminate());
}

#[test]
fn application_json_is_accepted() {
    let server = start();
    let target = "DynamoDB_20120810.ListTables";
    let signed = common::root().sign(
        "dynamodb",
        "x",
        &[("x-amz-target", target), ("content-type", "application/json")],
        b"{}",
    );
    let mut req = format!(
        "POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: {target}\r\nContent-Type: application/json\r\n"
    );
    for (k, v) in signed {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("Content-Length: 2\r\nConnection: close\r\n\r\n{}");
    let out = raw(&server.dynamo_addr, req.as_bytes(), false);
    assert!(out.starts_with("HTTP/1.1 200"), "{out}");
    assert!(out.contains("TableNames"), "{out}");
}

const AUTH: &str = "X-Amz-Date: 20260101T000000Z\r\nAuthorization: AWS4-HMAC-SHA256 \
                    Credential=a/20260101/us-east-1/monitoring/aws4_request, SignedHeaders=host, Signature=0\r\n";

/// CloudWatch's query and RPC v2 CBOR requests reach CloudWatch (here refused by
/// authentication, in each protocol's error form); a CBOR path or a JSON target of a service
/// the endpoint does not serve is an unknown operation.
#[test]
fn cloudwatch_is_routed_and_other_services_are_unknown_operations() {
    let server = start();
    let addr = server.dynamo_addr.clone();
    let body = "Action=ListMetrics&Version=2010-08-01";
    let query = format!(
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n{AUTH}\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let out = raw(&addr, query.as_bytes(), false);
    assert!(out.starts_with("HTTP/1.1 403"), "{out}");
    assert!(
        out.contains("<ErrorResponse xmlns=\"http://monitoring.amazonaws.com/doc/2010-08-01/\">"),
        "{out}"
    );
    let cbor = |service: &str| {
        format!(
            "POST /service/{service}/operation/ListMetrics HTTP/1.1\r\nHost: x\r\n\
             smithy-protocol: rpc-v2-cbor\r\nContent-Type: application/cbor\r\n{AUTH}\
             Content-Length: 1\r\nConnection: close\r\n\r\n\u{a0}"
        )
    };
    let out = raw(&addr, cbor("GraniteServiceVersion20100801").as_bytes(), false);
    assert!(out.starts_with("HTTP/1.1 400"), "{out}");
    assert!(out.to_ascii_lowercase().contains("smithy-protocol: rpc-v2-cbor"), "{out}");
    assert!(out.contains("InvalidSignatureException"), "{out}");
    let kinesis = format!(
        "POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: Kinesis_20131202.ListStreams\r\n\
         Content-Type: application/x-amz-json-1.0\r\n{AUTH}Content-Length: 2\r\nConnection: close\r\n\r\n{{}}"
    );
    for req in [cbor("Kinesis_20131202"), kinesis] {
        let out = raw(&addr, req.as_bytes(), false);
        assert!(out.starts_with("HTTP/1.1 400"), "{out}");
        assert!(out.contains("com.amazon.coral.service#UnknownOperationException"), "{out}");
    }
    healthy(&addr);
    assert!(server.terminate());
}

/// `[http]` of `--config` reaches the HTTP front door (and `[kv]` does not).
#[test]
fn the_http_section_of_the_config_bounds_the_http_front_door() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("shale.toml");
    std::fs::write(&config, "[http]\nbody_bytes_max = 100\n[kv]\nframe_len_max = 1048576\n")
        .unwrap();
    let server = Server::start(None, &["--config", config.to_str().unwrap()]);
    let mut c = DynamoClient::connect(&server.dynamo_addr, &common::root()).unwrap();
    let r = c.call_raw("ListTables", &[b' '; 101]).unwrap();
    assert_eq!(r.status, 413, "{}", String::from_utf8_lossy(&r.body));
    let r = c
        .call_raw("ListTables", &[b' '; 60][..].iter().copied().chain(*b"{}").collect::<Vec<_>>())
        .unwrap();
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert!(server.terminate());
}
