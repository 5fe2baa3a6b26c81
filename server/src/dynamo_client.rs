//! A small blocking client for the DynamoDB gateway: one keep-alive HTTP/1.1 connection,
//! DynamoDB's JSON protocol. Tests and the benchmark harness use it; applications use an AWS
//! SDK.
//!
//! Requests carry a SigV4-shaped `Authorization` header with a placeholder signature (the
//! gateway does not verify signatures yet).

use serde_json::Value as Json;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// Largest response body accepted.
pub const RESPONSE_BYTES_MAX: usize = 64 << 20;
/// Longest response header line accepted.
const HEADER_LINE_MAX: usize = 16 << 10;

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

/// One connection to the gateway.
pub struct DynamoClient {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    host: String,
}

fn bad(msg: impl Into<String>) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, msg.into())
}

impl DynamoClient {
    pub fn connect(addr: &str) -> std::io::Result<DynamoClient> {
        let stream = TcpStream::connect(addr)?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(Duration::from_secs(120)))?;
        Ok(DynamoClient {
            reader: BufReader::new(stream.try_clone()?),
            writer: stream,
            host: addr.to_string(),
        })
    }

    /// Calls `op` with `body`; returns the status and parsed body.
    pub fn call(&mut self, op: &str, body: &Json) -> std::io::Result<(u16, Json)> {
        let r = self.call_raw(op, body.to_string().as_bytes())?;
        Ok((r.status, r.json()?))
    }

    /// Calls `op` with raw body bytes.
    pub fn call_raw(&mut self, op: &str, body: &[u8]) -> std::io::Result<HttpResponse> {
        let head = format!(
            "POST / HTTP/1.1\r\nHost: {}\r\nX-Amz-Target: DynamoDB_20120810.{op}\r\n\
             Content-Type: application/x-amz-json-1.0\r\nX-Amz-Date: 20260101T000000Z\r\n\
             Authorization: AWS4-HMAC-SHA256 Credential=shale/20260101/us-east-1/dynamodb/aws4_request, \
             SignedHeaders=host;x-amz-date;x-amz-target, Signature=0\r\nContent-Length: {}\r\n\r\n",
            self.host,
            body.len()
        );
        let mut buf = Vec::with_capacity(head.len() + body.len());
        buf.extend_from_slice(head.as_bytes());
        buf.extend_from_slice(body);
        self.send_raw(&buf)?;
        self.read_response()
    }

    /// Writes raw bytes to the connection (for tests of malformed requests).
    pub fn send_raw(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.writer.write_all(bytes)?;
        self.writer.flush()
    }

    fn line(&mut self) -> std::io::Result<String> {
        let mut line = Vec::new();
        let n = (&mut self.reader).take(HEADER_LINE_MAX as u64).read_until(b'\n', &mut line)?;
        if n == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "connection closed",
            ));
        }
        let s = String::from_utf8(line).map_err(|_| bad("header is not UTF-8"))?;
        Ok(s.trim_end_matches(['\r', '\n']).to_string())
    }

    /// Reads one response.
    pub fn read_response(&mut self) -> std::io::Result<HttpResponse> {
        let status_line = self.line()?;
        let status = status_line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse::<u16>().ok())
            .ok_or_else(|| bad(format!("bad status line {status_line:?}")))?;
        let mut headers = Vec::new();
        loop {
            let l = self.line()?;
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':') {
                headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
            }
        }
        let len = headers
            .iter()
            .find(|(k, _)| k == "content-length")
            .and_then(|(_, v)| v.parse::<usize>().ok())
            .ok_or_else(|| bad("response without Content-Length"))?;
        if len > RESPONSE_BYTES_MAX {
            return Err(bad(format!("response of {len} bytes exceeds {RESPONSE_BYTES_MAX}")));
        }
        let mut body = vec![0; len];
        self.reader.read_exact(&mut body)?;
        Ok(HttpResponse { status, headers, body })
    }
}
