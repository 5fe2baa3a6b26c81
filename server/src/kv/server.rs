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
//!
//! Authentication ([`super::auth`]): a version-2 connection gets a fresh nonce in its WELCOME
//! and must send AUTH first; until then its frames are bounded by
//! [`codec::AUTH_FRAME_LEN_MAX`]. Every request after is authorized before it runs.

use super::auth::{Admit, Gate, KvAuth};
use super::codec::{self, ErrorCode, Request, Response, HELLO_LEN, LEN_FIELD, NONCE_LEN};
use super::handlers::Handler;
use crate::listener::ListenerLimits;
use crate::tls::Conn;
use std::io;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader, BufWriter};
use tokio::net::TcpListener;
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
/// [`crate::listener`]). Clients authenticate as `auth` says.
pub async fn serve(
    listener: TcpListener,
    handler: Arc<Handler>,
    auth: Arc<KvAuth>,
    limits: Limits,
    tls: Option<crate::tls::Tls>,
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
            let auth = Arc::clone(&auth);
            let tls = tls.clone();
            async move {
                let admitted = admission.is_some();
                let peer_ip = Some(peer.ip());
                let stream = match crate::tls::accept(tls.as_ref(), stream, peer, false).await {
                    Ok(Some(s)) => s,
                    Ok(None) => return,
                    Err(e) => {
                        tracing::debug!(%peer, "connection refused: {e}");
                        return;
                    }
                };
                let ctx = Context { handler, auth, peer_ip, limits, budget, shutdown, admitted };
                let result = match stream {
                    Conn::Plain(s) => match s.set_nodelay(true) {
                        Ok(()) => {
                            let (rd, wr) = s.into_split();
                            connection(rd, wr, false, ctx).await
                        }
                        Err(e) => Err(e),
                    },
                    Conn::Tls(s) => {
                        let (rd, wr) = tokio::io::split(*s);
                        connection(rd, wr, true, ctx).await
                    }
                };
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

/// One connection's context.
struct Context {
    handler: Arc<Handler>,
    auth: Arc<KvAuth>,
    peer_ip: Option<std::net::IpAddr>,
    limits: Limits,
    budget: Arc<Semaphore>,
    shutdown: watch::Receiver<bool>,
    admitted: bool,
}

/// Serves one connection, read from `rd` and written to `wr` (`secure`: over TLS).
async fn connection<R, W>(rd: R, wr: W, secure: bool, ctx: Context) -> io::Result<()>
where
    R: AsyncRead + Unpin + Send + 'static,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let Context { handler, auth, peer_ip, limits, budget, mut shutdown, admitted } = ctx;
    let mut rd = BufReader::with_capacity(64 << 10, rd);
    let mut wr = BufWriter::with_capacity(64 << 10, wr);

    let mut hello = [0u8; HELLO_LEN];
    tokio::time::timeout(limits.idle_timeout, rd.read_exact(&mut hello))
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "no handshake"))??;
    let version = codec::parse_hello(&hello).filter(|v| codec::speaks(*v));
    let mut refusal = match version {
        _ if *shutdown.borrow() => Some(ErrorCode::ShuttingDown),
        None => Some(ErrorCode::BadHandshake),
        Some(v) if auth.refuses(v) => Some(ErrorCode::AuthRequired),
        Some(_) if admitted => None,
        Some(_) => Some(ErrorCode::TooManyConnections),
    };
    let version = version.unwrap_or(codec::VERSION);
    // A fresh nonce for AUTH to sign (version 2).
    let mut nonce: Option<[u8; NONCE_LEN]> = None;
    if refusal.is_none() && codec::has_nonce(version) {
        match crate::iam::ids::random_bytes::<NONCE_LEN>() {
            Ok(n) => nonce = Some(n),
            Err(e) => {
                tracing::error!("kv: no nonce for a connection: {e}");
                refusal = Some(ErrorCode::Internal);
            }
        }
    }
    let inflight_max = u32::try_from(limits.inflight_max).unwrap_or(u32::MAX);
    let frame_len_max = limits.frame_len_max;
    let welcome = match (refusal, &nonce) {
        (None, Some(n)) => codec::welcome_v2(frame_len_max, inflight_max, n).to_vec(),
        // A refusal is 16 bytes in every version, and names the newest version.
        (Some(_), _) => {
            codec::welcome(codec::VERSION, refusal, frame_len_max, inflight_max).to_vec()
        }
        (None, None) => codec::welcome(version, None, frame_len_max, inflight_max).to_vec(),
    };
    wr.write_all(&welcome).await?;
    wr.flush().await?;
    if let Some(code) = refusal {
        return Err(io::Error::other(format!("refused: {code:?}")));
    }
    // Plain TCP (aws:SecureTransport is false).
    let mut gate = Gate::new(auth, version, nonce, peer_ip, secure);

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
        let len = match codec::check_len(len_field, gate.frame_len_max(limits.frame_len_max)) {
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
        let request = match gate.admit(header.id, request) {
            Admit::Serve(r) => r,
            Admit::Answer(frame) => {
                if tx.send(frame).await.is_err() {
                    break Stop::Quiet;
                }
                continue;
            }
            Admit::Close(frame) => break Stop::Answer(frame),
        };
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
        Request::Ping(_)
        | Request::Get { .. }
        | Request::ListKeyspaces
        | Request::Stats
        | Request::Auth(_) => false,
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
