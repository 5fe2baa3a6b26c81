//! The key-value front door: accepts TCP connections, reads frames, runs requests on blocking
//! threads (several per connection at once), and writes the responses as they complete.
//!
//! Every resource is bounded, and the bound is named in [`Limits`]:
//! - a frame's length is checked against `frame_len_max` before its body is allocated;
//! - the request bytes held across all connections are bounded by `request_bytes_max` (a reader
//!   waits for budget before allocating a body);
//! - each connection has at most `inflight_max` requests being worked on or answered; when they
//!   are all busy, the server stops reading that socket, and TCP pushes back on the client;
//! - at most `connections_max` connections are served (more are refused at the handshake);
//! - a connection idle (or stalled mid-frame) for `idle_timeout` is closed.
//!
//! A client that stops reading its responses therefore holds at most `inflight_max` responses
//! in memory before the server stops reading from it.

use super::codec::{self, ErrorCode, Request, Response, HELLO_LEN, LEN_FIELD};
use super::handlers::Handler;
use crate::listener::ListenerLimits;
use std::io;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader, BufWriter};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch, Semaphore};

/// The server's bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub frame_len_max: u32,
    pub connections_max: usize,
    pub inflight_max: usize,
    /// Request bytes held at once, across connections.
    pub request_bytes_max: usize,
    pub idle_timeout: Duration,
    /// How long shutdown waits for in-flight requests before closing anyway.
    pub drain_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            frame_len_max: codec::FRAME_LEN_MAX_DEFAULT,
            connections_max: 1024,
            inflight_max: 128,
            request_bytes_max: 256 << 20,
            idle_timeout: Duration::from_secs(300),
            drain_timeout: Duration::from_secs(30),
        }
    }
}

/// The request budget is counted in KiB so that one semaphore permit covers a kibibyte.
fn budget_units(bytes: usize) -> u32 {
    u32::try_from(bytes.div_ceil(1024)).unwrap_or(u32::MAX).max(1)
}

/// Serves `listener` until `shutdown` turns true; then stops accepting, lets every connection
/// finish the requests it has read (answering them), and returns (through the one listener,
/// [`crate::listener`]).
pub async fn serve(
    listener: TcpListener,
    handler: Arc<Handler>,
    limits: Limits,
    shutdown: watch::Receiver<bool>,
) -> io::Result<()> {
    let budget = Arc::new(Semaphore::new(budget_units(limits.request_bytes_max) as usize));
    let listener_limits = ListenerLimits {
        connections_max: limits.connections_max,
        drain_timeout: limits.drain_timeout,
    };
    crate::listener::serve(
        "kv",
        listener,
        listener_limits,
        shutdown,
        move |stream, peer, admission, shutdown| {
            let (handler, budget) = (Arc::clone(&handler), Arc::clone(&budget));
            async move {
                let admitted = admission.is_some();
                let result = connection(stream, handler, limits, budget, shutdown, admitted).await;
                if let Err(e) = result {
                    tracing::debug!(%peer, "connection ended: {e}");
                }
                drop(admission);
            }
        },
    )
    .await
}

/// Why a connection stops reading.
enum Stop {
    /// The client closed, went idle, or the server is shutting down.
    Quiet,
    /// A protocol error: answer with this frame, then close.
    Answer(Vec<u8>),
}

async fn connection(
    stream: TcpStream,
    handler: Arc<Handler>,
    limits: Limits,
    budget: Arc<Semaphore>,
    mut shutdown: watch::Receiver<bool>,
    admitted: bool,
) -> io::Result<()> {
    stream.set_nodelay(true)?;
    let (rd, wr) = stream.into_split();
    let mut rd = BufReader::with_capacity(64 << 10, rd);
    let mut wr = BufWriter::with_capacity(64 << 10, wr);

    let mut hello = [0u8; HELLO_LEN];
    tokio::time::timeout(limits.idle_timeout, rd.read_exact(&mut hello))
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "no handshake"))??;
    let refusal = match codec::parse_hello(&hello) {
        _ if *shutdown.borrow() => Some(ErrorCode::ShuttingDown),
        Some(codec::VERSION) if admitted => None,
        Some(codec::VERSION) => Some(ErrorCode::TooManyConnections),
        _ => Some(ErrorCode::BadHandshake),
    };
    let inflight_max = u32::try_from(limits.inflight_max).unwrap_or(u32::MAX);
    wr.write_all(&codec::welcome(refusal, limits.frame_len_max, inflight_max)).await?;
    wr.flush().await?;
    if let Some(code) = refusal {
        return Err(io::Error::other(format!("refused: {code:?}")));
    }

    // The writer: sends responses as they complete, flushing when none is waiting.
    let (tx, mut rx) = mpsc::channel::<Vec<u8>>(limits.inflight_max.max(1));
    let writer = tokio::spawn(async move {
        while let Some(frame) = rx.recv().await {
            wr.write_all(&frame).await?;
            while let Ok(more) = rx.try_recv() {
                wr.write_all(&more).await?;
            }
            wr.flush().await?;
        }
        wr.shutdown().await
    });

    let inflight = Arc::new(Semaphore::new(limits.inflight_max.max(1)));
    let stop = loop {
        let mut len_field = [0u8; LEN_FIELD];
        let read = tokio::select! {
            r = tokio::time::timeout(limits.idle_timeout, rd.read_exact(&mut len_field)) => r,
            _ = shutdown.changed() => break Stop::Quiet,
        };
        match read {
            Ok(Ok(_)) => {}
            Ok(Err(_)) | Err(_) => break Stop::Quiet, // closed, reset, or idle
        }
        let len = match codec::check_len(len_field, limits.frame_len_max) {
            Ok(len) => len,
            Err(e) => {
                let code = match e {
                    codec::DecodeError::TooLarge { .. } => ErrorCode::FrameTooLarge,
                    _ => ErrorCode::BadFrame,
                };
                break Stop::Answer(Response::Error { code, message: e.to_string() }.encode(0));
            }
        };
        // Budget first, then the buffer: the bytes held across connections stay bounded.
        // A frame larger than the whole budget (a configuration with request_bytes_max below
        // frame_len_max) takes the whole budget rather than waiting forever.
        let units = budget_units(len).min(budget_units(limits.request_bytes_max));
        let Ok(bytes) = Arc::clone(&budget).acquire_many_owned(units).await else {
            break Stop::Quiet;
        };
        let mut rest = vec![0u8; len];
        match tokio::time::timeout(limits.idle_timeout, rd.read_exact(&mut rest)).await {
            Ok(Ok(_)) => {}
            Ok(Err(_)) | Err(_) => break Stop::Quiet, // truncated frame or stalled client
        }
        let (header, request) = match codec::split_frame(&rest) {
            Ok((h, body)) => match codec::decode_request(h.ty, body) {
                Ok(req) => (h, req),
                Err(e) => break Stop::Answer(bad_frame(h.id, &e)),
            },
            Err(e) => break Stop::Answer(bad_frame(0, &e)),
        };
        drop(rest);
        let sync = header.flags & codec::FLAG_SYNC != 0;
        let Ok(slot) = Arc::clone(&inflight).acquire_owned().await else { break Stop::Quiet };
        if may_wait(&request, sync) {
            // A fsynced write (or a long scan) runs on a blocking thread, so that this
            // connection's next requests, and other connections' fsyncs, proceed meanwhile
            // (concurrent sync writers share one fsync).
            let (handler, tx) = (Arc::clone(&handler), tx.clone());
            tokio::spawn(async move {
                let response = run(handler, request, sync).await;
                let _ = tx.send(response.encode(header.id)).await;
                drop((slot, bytes));
            });
        } else {
            // Short requests (memtable or block-cache work, microseconds) run right here: a hop
            // to another thread would cost more than the request.
            let response = handler.handle(request, sync);
            if tx.send(response.encode(header.id)).await.is_err() {
                break Stop::Quiet;
            }
            drop((slot, bytes));
        }
    };
    // Answer what was read, then the error (if any), then close.
    let _ = inflight.acquire_many(limits.inflight_max.max(1) as u32).await;
    if let Stop::Answer(frame) = stop {
        let _ = tx.send(frame).await;
    }
    drop(tx);
    writer.await.map_err(io::Error::other)?
}

fn bad_frame(id: u64, e: &codec::DecodeError) -> Vec<u8> {
    Response::Error { code: ErrorCode::BadFrame, message: e.to_string() }.encode(id)
}

/// Requests that may block for long: fsynced writes wait for the disk, scans read many blocks,
/// keyspace changes write the manifest.
fn may_wait(request: &Request, sync: bool) -> bool {
    match request {
        Request::Put { .. } | Request::Delete { .. } | Request::Batch(_) => sync,
        Request::Scan(_) | Request::CreateKeyspace(_) | Request::DropKeyspace(_) => true,
        Request::MultiGet { keys, .. } => keys.len() > 16,
        Request::Ping(_) | Request::Get { .. } | Request::ListKeyspaces | Request::Stats => false,
    }
}

/// Runs one request on a blocking thread (engine calls block on I/O and fsync).
async fn run(handler: Arc<Handler>, request: Request, sync: bool) -> Response {
    match tokio::task::spawn_blocking(move || handler.handle(request, sync)).await {
        Ok(r) => r,
        Err(e) => {
            Response::Error { code: ErrorCode::Internal, message: format!("request failed: {e}") }
        }
    }
}
