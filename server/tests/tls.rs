//! TLS on the HTTP front door (`--tls-cert`, `--tls-key`) against the real server process: a
//! TLS client is served, plain HTTP still works from loopback, and plain HTTP from another
//! address is refused.

mod common;

use common::Server;
use rustls::pki_types::CertificateDer;
use shale_server::dynamo_client::DynamoClient;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;

/// A self-signed certificate for `localhost` and 127.0.0.1, written as PEM files.
fn cert(
    dir: &std::path::Path,
) -> (std::path::PathBuf, std::path::PathBuf, CertificateDer<'static>) {
    let ck =
        rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
    let (c, k) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&c, ck.cert.pem()).unwrap();
    std::fs::write(&k, ck.key_pair.serialize_pem()).unwrap();
    (c, k, ck.cert.der().clone())
}

/// A signed ListTables request for `host`.
fn list_tables(host: &str) -> Vec<u8> {
    let body = b"{}";
    let target = "DynamoDB_20120810.ListTables";
    let ct = "application/x-amz-json-1.0";
    let signed = common::root().sign(
        "dynamodb",
        host,
        &[("x-amz-target", target), ("content-type", ct)],
        body,
    );
    let mut req = format!(
        "POST / HTTP/1.1\r\nHost: {host}\r\nX-Amz-Target: {target}\r\nContent-Type: {ct}\r\n"
    );
    for (k, v) in signed {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("Content-Length: 2\r\nConnection: close\r\n\r\n{}");
    req.into_bytes()
}

#[test]
fn tls_is_served_and_plain_http_only_from_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let (c, k, der) = cert(dir.path());
    let server = Server::start(
        None,
        &[
            "--dynamodb-addr",
            "0.0.0.0:0",
            "--tls-cert",
            c.to_str().unwrap(),
            "--tls-key",
            k.to_str().unwrap(),
        ],
    );
    let port = server.dynamo_addr.rsplit(':').next().unwrap().to_string();
    let local = format!("127.0.0.1:{port}");

    // TLS, with the certificate as the only root.
    let mut roots = rustls::RootCertStore::empty();
    roots.add(der).unwrap();
    // ring, as the server uses (see server/src/tls.rs).
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let config = Arc::new(config);
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let conn = rustls::ClientConnection::new(Arc::clone(&config), name.clone()).unwrap();
    let mut tls = rustls::StreamOwned::new(conn, TcpStream::connect(&local).unwrap());
    tls.write_all(&list_tables(&local)).unwrap();
    let mut out = Vec::new();
    let _ = tls.read_to_end(&mut out);
    let out = String::from_utf8_lossy(&out);
    assert!(out.starts_with("HTTP/1.1 200"), "{out}");
    assert!(out.contains("TableNames"), "{out}");

    // The key-value port speaks TLS too: a version-1 HELLO over TLS is answered (refused,
    // since version 1 has no authentication).
    let conn = rustls::ClientConnection::new(config, name).unwrap();
    let mut kv = rustls::StreamOwned::new(conn, TcpStream::connect(&server.addr).unwrap());
    kv.write_all(&shale_server::kv::codec::hello(1)).unwrap();
    let mut welcome = [0u8; 16];
    kv.read_exact(&mut welcome).unwrap();
    assert_eq!(&welcome[..4], b"SHKV");
    let refusal = u16::from_le_bytes([welcome[6], welcome[7]]);
    assert_eq!(refusal, shale_server::kv::codec::ErrorCode::AuthRequired.to_u16());

    // Plain HTTP from loopback.
    let mut plain = DynamoClient::connect(&local, &common::root()).unwrap();
    let (status, body) = plain.call("ListTables", &serde_json::json!({})).unwrap();
    assert_eq!(status, 200, "{body}");

    // Plain HTTP from another address of this machine, if it has one, is refused.
    let udp = std::net::UdpSocket::bind("0.0.0.0:0").unwrap();
    let outward = udp.connect("192.0.2.1:9").ok().and_then(|()| udp.local_addr().ok());
    if let Some(ip) = outward.map(|a| a.ip()).filter(|ip| !ip.is_loopback() && !ip.is_unspecified())
    {
        let addr = format!("{ip}:{port}");
        let mut s = TcpStream::connect(&addr).unwrap();
        s.write_all(&list_tables(&addr)).unwrap();
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out);
        let out = String::from_utf8_lossy(&out);
        assert!(out.starts_with("HTTP/1.1 400") && out.contains("TLS is required"), "{out}");
    }
    assert!(server.terminate());
}

#[test]
fn tls_flags_must_come_together_and_name_readable_pem() {
    let dir = tempfile::tempdir().unwrap();
    let (c, _k, _) = cert(dir.path());
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_shale-server"))
        .args(["--in-memory", "--tls-cert", c.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--tls-key"));
    let missing = dir.path().join("nope.pem");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_shale-server"))
        .args(["--in-memory", "--tls-cert", c.to_str().unwrap(), "--tls-key"])
        .arg(&missing)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope.pem"));
}
