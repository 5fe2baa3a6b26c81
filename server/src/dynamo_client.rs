//! A small blocking client for the DynamoDB gateway: one keep-alive HTTP/1.1 connection,
//! DynamoDB's JSON protocol. Tests and the benchmark harness use it; applications use an AWS
//! SDK.
//!
//! Every request is signed with SigV4 ([`Credentials`]), as the SDKs sign.

use serde_json::Value as Json;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// Largest response body accepted.
pub const RESPONSE_BYTES_MAX: usize = 64 << 20;
/// Longest response head (status line and headers) accepted.
const HEAD_LEN_MAX: usize = 64 << 10;

/// A response.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    pub status: u16,
    /// Header names lowercased.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> std::io::Result<Json> {
        serde_json::from_slice(&self.body).map_err(std::io::Error::other)
    }

    /// The DynamoDB error name (`__type` after `#`), if this is an error.
    pub fn error_type(&self) -> Option<String> {
        let j = self.json().ok()?;
        let t = j.get("__type")?.as_str()?;
        Some(t.rsplit('#').next().unwrap_or(t).to_string())
    }
}

/// The credentials a client signs its requests with.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    /// The session token of temporary credentials.
    pub session_token: Option<String>,
    /// The region requests are signed for.
    pub region: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

impl Credentials {
    /// Long-term credentials for us-east-1.
    pub fn new(access_key_id: &str, secret_access_key: &str) -> Credentials {
        Credentials {
            access_key_id: access_key_id.into(),
            secret_access_key: secret_access_key.into(),
            session_token: None,
            region: "us-east-1".into(),
        }
    }

    /// From the environment, as the SDKs read it: `AWS_ACCESS_KEY_ID`,
    /// `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_REGION` or `AWS_DEFAULT_REGION`.
    pub fn from_env() -> Option<Credentials> {
        let id = std::env::var("AWS_ACCESS_KEY_ID").ok()?;
        let secret = std::env::var("AWS_SECRET_ACCESS_KEY").ok()?;
        let region = std::env::var("AWS_REGION")
            .or_else(|_| std::env::var("AWS_DEFAULT_REGION"))
            .unwrap_or_else(|_| "us-east-1".into());
        Some(Credentials {
            access_key_id: id,
            secret_access_key: secret,
            session_token: std::env::var("AWS_SESSION_TOKEN").ok(),
            region,
        })
    }

    /// The SigV4 headers of a request (`X-Amz-Date`, `Authorization`, and
    /// `X-Amz-Security-Token` for temporary credentials), signed now.
    pub fn sign(
        &self,
        service: &str,
        host: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Vec<(String, String)> {
        let signer = shale_aws::sigv4::client::Signer {
            access_key_id: &self.access_key_id,
            secret: &self.secret_access_key,
            session_token: self.session_token.as_deref(),
            region: &self.region,
            service,
        };
        signer.sign_headers("POST", host, "/", "", headers, body, std::time::SystemTime::now())
    }
}

/// The bytes of one request: `op` with `body`, signed with `creds`, keep-alive. `op` is a
/// DynamoDB operation (`GetItem`), or a whole `X-Amz-Target` when it has a dot
/// (`DynamoDBStreams_20120810.GetRecords`).
pub fn encode_request(host: &str, op: &str, body: &[u8], creds: &Credentials) -> Vec<u8> {
    let target = if op.contains('.') { op.to_string() } else { format!("DynamoDB_20120810.{op}") };
    let ct = "application/x-amz-json-1.0";
    let signed =
        creds.sign("dynamodb", host, &[("x-amz-target", &target), ("content-type", ct)], body);
    let mut head = format!(
        "POST / HTTP/1.1\r\nHost: {host}\r\nX-Amz-Target: {target}\r\nContent-Type: {ct}\r\n"
    );
    for (k, v) in signed {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let mut buf = Vec::with_capacity(head.len() + body.len());
    buf.extend_from_slice(head.as_bytes());
    buf.extend_from_slice(body);
    buf
}

/// A response's head.
#[derive(Debug, Clone)]
pub struct Head {
    pub status: u16,
    /// Header names lowercased.
    pub headers: Vec<(String, String)>,
    /// Bytes of the status line and headers, blank line included.
    pub head_len: usize,
    /// The body's length (Content-Length).
    pub body_len: usize,
}

/// Parses a response head at the start of `buf`: `None` until the blank line has arrived.
pub fn parse_head(buf: &[u8]) -> std::io::Result<Option<Head>> {
    let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
        if buf.len() > HEAD_LEN_MAX {
            return Err(bad(format!("response head longer than {HEAD_LEN_MAX} bytes")));
        }
        return Ok(None);
    };
    let text = std::str::from_utf8(buf.get(..end).unwrap_or_default())
        .map_err(|_| bad("response head is not UTF-8"))?;
    let mut lines = text.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or_else(|| bad(format!("bad status line {status_line:?}")))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let body_len = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .ok_or_else(|| bad("response without Content-Length"))?;
    if body_len > RESPONSE_BYTES_MAX {
        return Err(bad(format!("response of {body_len} bytes exceeds {RESPONSE_BYTES_MAX}")));
    }
    Ok(Some(Head { status, headers, head_len: end + 4, body_len }))
}

/// One connection to the gateway.
pub struct DynamoClient {
    stream: TcpStream,
    host: String,
    creds: Credentials,
    /// Bytes read but not yet consumed.
    buf: Vec<u8>,
}

fn bad(msg: impl Into<String>) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, msg.into())
}

impl DynamoClient {
    /// Connects to `addr`; requests are signed with `creds`.
    pub fn connect(addr: &str, creds: &Credentials) -> std::io::Result<DynamoClient> {
        let stream = TcpStream::connect(addr)?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(Duration::from_secs(120)))?;
        Ok(DynamoClient {
            stream,
            host: addr.to_string(),
            creds: creds.clone(),
            buf: Vec::with_capacity(4096),
        })
    }

    /// Calls `op` with `body`; returns the status and parsed body.
    pub fn call(&mut self, op: &str, body: &Json) -> std::io::Result<(u16, Json)> {
        let r = self.call_raw(op, body.to_string().as_bytes())?;
        Ok((r.status, r.json()?))
    }

    /// Calls `op` with raw body bytes.
    pub fn call_raw(&mut self, op: &str, body: &[u8]) -> std::io::Result<HttpResponse> {
        let req = encode_request(&self.host, op, body, &self.creds);
        self.send_raw(&req)?;
        self.read_response()
    }

    /// Writes raw bytes to the connection (for tests of malformed requests).
    pub fn send_raw(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.stream.write_all(bytes)?;
        self.stream.flush()
    }

    fn fill(&mut self) -> std::io::Result<()> {
        let mut chunk = [0u8; 16 << 10];
        let n = self.stream.read(&mut chunk)?;
        if n == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "connection closed",
            ));
        }
        self.buf.extend_from_slice(chunk.get(..n).unwrap_or_default());
        Ok(())
    }

    /// Reads one response.
    pub fn read_response(&mut self) -> std::io::Result<HttpResponse> {
        let head = loop {
            if let Some(h) = parse_head(&self.buf)? {
                break h;
            }
            self.fill()?;
        };
        while self.buf.len() < head.head_len + head.body_len {
            self.fill()?;
        }
        let body =
            self.buf.get(head.head_len..head.head_len + head.body_len).unwrap_or_default().to_vec();
        self.buf.drain(..head.head_len + head.body_len);
        Ok(HttpResponse { status: head.status, headers: head.headers, body })
    }
}
