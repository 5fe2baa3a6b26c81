//! The closed loop's connections, driven by one thread: a tokio current-thread runtime runs
//! every connection of a phase, so the load generator spends its CPU on requests rather than on
//! waking one thread per connection (which, on a 2-core machine, takes CPU from the server).
//! Requests and answers are framed by `shale_server::dynamo_client`'s `encode_request` and
//! `parse_head`, as the blocking client frames them.

use super::requests::{check, Op};
use crate::engine::BenchResult;
use shale_server::dynamo_client::{encode_request, parse_head, HttpResponse};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Bytes read from the socket at a time.
const READ_CHUNK: usize = 16 << 10;

/// One keep-alive connection, one request at a time; reconnects after a transport error.
pub(crate) struct AsyncConn {
    addr: String,
    stream: TcpStream,
    /// Bytes read but not yet consumed.
    buf: Vec<u8>,
}

async fn connect(addr: &str) -> std::io::Result<TcpStream> {
    let s = TcpStream::connect(addr).await?;
    s.set_nodelay(true)?;
    Ok(s)
}

impl AsyncConn {
    pub(crate) async fn open(addr: &str) -> BenchResult<AsyncConn> {
        let stream = connect(addr).await.map_err(|e| format!("connecting to {addr}: {e}"))?;
        Ok(AsyncConn { addr: addr.to_string(), stream, buf: Vec::with_capacity(READ_CHUNK) })
    }

    /// Sends one request and checks its answer (see [`check`]).
    pub(crate) async fn request(&mut self, op: Op, body: &str) -> Result<(), String> {
        match self.exchange(op, body).await {
            Ok(r) => check(op, &r),
            Err(e) => {
                if let Ok(s) = connect(&self.addr).await {
                    self.stream = s;
                    self.buf.clear();
                }
                Err(format!("{}: {e}", op.name()))
            }
        }
    }

    async fn exchange(&mut self, op: Op, body: &str) -> std::io::Result<HttpResponse> {
        let req = encode_request(&self.addr, op.name(), body.as_bytes(), super::credentials());
        self.stream.write_all(&req).await?;
        loop {
            if let Some(h) = parse_head(&self.buf)? {
                let end = h.head_len + h.body_len;
                if self.buf.len() >= end {
                    let body = self.buf.get(h.head_len..end).unwrap_or_default().to_vec();
                    self.buf.drain(..end);
                    return Ok(HttpResponse { status: h.status, headers: h.headers, body });
                }
            }
            let len = self.buf.len();
            self.buf.resize(len + READ_CHUNK, 0);
            let n = self.stream.read(&mut self.buf[len..]).await?;
            self.buf.truncate(len + n);
            if n == 0 {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "connection closed",
                ));
            }
        }
    }
}
