//! The gateway's HTTP front door (DynamoDB's JSON 1.0 protocol over HTTP/1.1):
//!
//! ```text
//! POST / HTTP/1.1
//! X-Amz-Target: DynamoDB_20120810.<Operation>
//! Content-Type: application/x-amz-json-1.0        (application/json is accepted too)
//! Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…
//!
//! {…request JSON…}
//! ```
//!
//! Every answer is JSON with `x-amzn-RequestId` and `x-amz-crc32` (the CRC32 of the body bytes
//! sent). Errors are HTTP 400 (500 for internal ones) with `{"__type": …, "message": …}`
//! ([`crate::dynamodb::error`]). `GET /` answers DynamoDB's health line.
//!
//! Bounds: `body_bytes_max` (checked against Content-Length before reading, and while reading a
//! chunked body), `request_bytes_max` (the bodies held at once across connections: a request
//! waits for its share before its body is read), `connections_max`, and `idle_timeout` for a
//! client that stalls while sending its headers or body. SigV4 signatures are parsed but not verified yet: any credentials are
//! accepted, a request without an `Authorization` header is refused.

use crate::dynamodb::error::DynamoError;
use crate::dynamodb::ops::Gateway;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONTENT_LENGTH, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};

/// `X-Amz-Target` prefix of every operation.
pub const TARGET_PREFIX: &str = "DynamoDB_20120810.";
/// DynamoDB's answer to `GET /`.
pub const HEALTH_LINE: &str = "healthy: dynamodb.us-east-1.amazonaws.com ";

/// The HTTP front door's bounds.
#[derive(Debug, Clone)]
pub struct HttpLimits {
    /// Largest request body (DynamoDB's largest requests, 25 items of 400 KB, fit).
    pub body_bytes_max: usize,
    /// Bytes of request bodies held at once across all connections (a request holds its
    /// Content-Length, or `body_bytes_max` when chunked, until it is answered).
    pub request_bytes_max: usize,
    /// Most connections served at once; more are closed at accept.
    pub connections_max: usize,
    /// How long a client may stall sending a request's headers or body.
    pub idle_timeout: Duration,
    /// How long shutdown waits for requests in flight.
    pub drain_timeout: Duration,
}

impl Default for HttpLimits {
    fn default() -> Self {
        HttpLimits {
            body_bytes_max: 16 << 20,
            request_bytes_max: 256 << 20,
            connections_max: 1024,
            idle_timeout: Duration::from_secs(60),
            drain_timeout: Duration::from_secs(30),
        }
    }
}

static REQUEST_COUNTER: AtomicU64 = AtomicU64::new(0);

/// A request id in DynamoDB's form (52 characters of `[0-9A-Z]`).
fn request_id() -> String {
    const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHIJKLMNOPQRSTUV";
    let n = REQUEST_COUNTER.fetch_add(1, Ordering::Relaxed);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let mut out = String::with_capacity(52);
    let mut seed = xxhash_rust::xxh3::xxh3_128(&[n.to_le_bytes(), t.to_le_bytes()].concat());
    for i in 0..52 {
        if i == 25 {
            seed = xxhash_rust::xxh3::xxh3_128(&seed.to_le_bytes());
        }
        out.push(char::from(ALPHABET.get((seed & 31) as usize).copied().unwrap_or(b'0')));
        seed >>= 5;
    }
    out
}

fn respond(status: u16, body: Vec<u8>, content_type: &'static str) -> Response<Full<Bytes>> {
    let crc = crc32fast::hash(&body);
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let h = r.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&request_id()) {
        h.insert("x-amzn-RequestId", v);
    }
    if let Ok(v) = HeaderValue::from_str(&crc.to_string()) {
        h.insert("x-amz-crc32", v);
    }
    r
}

fn error_response(e: &DynamoError) -> Response<Full<Bytes>> {
    respond(e.status(), e.body().to_string().into_bytes(), "application/x-amz-json-1.0")
}

/// Checks the SigV4 `Authorization` header's shape (any credentials are accepted).
fn check_auth(req: &Request<Incoming>) -> Result<(), DynamoError> {
    let Some(auth) = req.headers().get("authorization") else {
        return Err(DynamoError::MissingAuthenticationToken);
    };
    let auth = auth.to_str().unwrap_or("");
    let Some(params) = auth.strip_prefix("AWS4-HMAC-SHA256 ") else {
        return Err(DynamoError::IncompleteSignature(format!(
            "Authorization header requires the 'AWS4-HMAC-SHA256' algorithm. Authorization={auth}"
        )));
    };
    let mut missing = Vec::new();
    for p in ["Credential", "Signature", "SignedHeaders"] {
        if !params.split(',').any(|kv| kv.trim().starts_with(&format!("{p}="))) {
            missing.push(format!("Authorization header requires '{p}' parameter."));
        }
    }
    if !req.headers().contains_key("x-amz-date") && !req.headers().contains_key("date") {
        missing.push(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
                .into(),
        );
    }
    if !missing.is_empty() {
        return Err(DynamoError::IncompleteSignature(format!(
            "{} Authorization={auth}",
            missing.join(" ")
        )));
    }
    Ok(())
}

/// What every connection shares.
struct Shared {
    gw: Arc<Gateway>,
    limits: HttpLimits,
    /// The `request_bytes_max` budget, one permit a byte.
    budget: Semaphore,
}

async fn handle(
    req: Request<Incoming>,
    shared: Arc<Shared>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (gw, limits) = (&shared.gw, &shared.limits);
    if req.method() == Method::GET && req.uri().path() == "/" {
        return Ok(respond(200, HEALTH_LINE.as_bytes().to_vec(), "text/plain"));
    }
    if req.method() != Method::POST {
        return Ok(error_response(&DynamoError::UnknownOperation));
    }
    let op = req
        .headers()
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .and_then(|t| t.strip_prefix(TARGET_PREFIX))
        .filter(|op| crate::dynamodb::ops::OPERATIONS.contains(op))
        .map(str::to_string);
    let Some(op) = op else {
        return Ok(error_response(&DynamoError::UnknownOperation));
    };
    if let Some(ct) = req.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()) {
        let base = ct.split(';').next().unwrap_or("").trim();
        if base != "application/x-amz-json-1.0" && base != "application/json" {
            return Ok(error_response(&DynamoError::UnknownOperation));
        }
    }
    if let Err(e) = check_auth(&req) {
        return Ok(error_response(&e));
    }
    let too_large = || {
        let msg = format!("Request body exceeds the limit of {} bytes", limits.body_bytes_max);
        respond(
            413,
            serde_json::json!({"__type": "com.amazon.coral.service#RequestEntityTooLarge", "message": msg})
                .to_string()
                .into_bytes(),
            "application/x-amz-json-1.0",
        )
    };
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limits.body_bytes_max as u64) {
        return Ok(too_large());
    }
    // Wait for this body's share of the budget before reading it; held until answered.
    let share = declared.map_or(limits.body_bytes_max, |n| n as usize);
    let share = share.clamp(1, limits.request_bytes_max.max(1));
    let Ok(_held) = shared.budget.acquire_many(u32::try_from(share).unwrap_or(u32::MAX)).await
    else {
        return Ok(error_response(&DynamoError::Internal("the request budget is closed".into())));
    };
    let body = Limited::new(req.into_body(), limits.body_bytes_max);
    let body = match tokio::time::timeout(limits.idle_timeout, body.collect()).await {
        Err(_) => {
            return Ok(error_response(&DynamoError::Serialization(
                "Timed out reading the request body".into(),
            )))
        }
        Ok(Err(e)) => {
            if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() {
                return Ok(too_large());
            }
            return Ok(error_response(&DynamoError::Serialization(format!(
                "Could not read the request body: {e}"
            ))));
        }
        Ok(Ok(b)) => b.to_bytes(),
    };
    let result = match crate::dynamodb::request::Req::parse(&body) {
        Err(e) => Err(e),
        Ok(json) if gw.runs_inline(&op) => gw.handle(&op, &json),
        Ok(json) => {
            let gw = Arc::clone(gw);
            match tokio::task::spawn_blocking(move || gw.handle(&op, &json)).await {
                Ok(r) => r,
                Err(e) => Err(DynamoError::Internal(format!("the request's task failed: {e}"))),
            }
        }
    };
    Ok(match result {
        Ok(v) => respond(200, v.to_string().into_bytes(), "application/x-amz-json-1.0"),
        Err(e) => {
            if matches!(e, DynamoError::Internal(_)) {
                tracing::error!("internal error: {}", e.message());
            }
            error_response(&e)
        }
    })
}

/// Serves the gateway on `listener` until `stop` turns true, then stops accepting, lets every
/// connection finish the request it is on (up to `drain_timeout`) and returns.
pub async fn serve(
    listener: TcpListener,
    gw: Arc<Gateway>,
    limits: HttpLimits,
    mut stop: watch::Receiver<bool>,
) -> std::io::Result<()> {
    let budget = Semaphore::new(limits.request_bytes_max.min(Semaphore::MAX_PERMITS));
    let shared = Arc::new(Shared { gw, limits, budget });
    let open = Arc::new(AtomicUsize::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    loop {
        let (stream, _) = tokio::select! {
            r = listener.accept() => match r {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!("accept: {e}");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
            _ = stop.changed() => break,
        };
        if open.load(Ordering::Relaxed) >= shared.limits.connections_max {
            drop(stream);
            continue;
        }
        let _ = stream.set_nodelay(true);
        open.fetch_add(1, Ordering::Relaxed);
        let (shared, open, mut stop) = (Arc::clone(&shared), Arc::clone(&open), stop.clone());
        tasks.spawn(async move {
            let idle = shared.limits.idle_timeout;
            let service = hyper::service::service_fn(move |req| handle(req, Arc::clone(&shared)));
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(idle)
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service);
            let mut conn = std::pin::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => {}
                _ = stop.changed() => {
                    conn.as_mut().graceful_shutdown();
                    let _ = conn.as_mut().await;
                }
            }
            open.fetch_sub(1, Ordering::Relaxed);
        });
        // Reap finished connections so the set does not grow.
        while tasks.try_join_next().is_some() {}
    }
    let drain = shared.limits.drain_timeout;
    let _ = tokio::time::timeout(drain, async { while tasks.join_next().await.is_some() {} }).await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_look_like_dynamodbs() {
        let a = request_id();
        let b = request_id();
        assert_eq!(a.len(), 52);
        assert!(a.bytes().all(|c| c.is_ascii_digit() || c.is_ascii_uppercase()));
        assert_ne!(a, b);
    }
}
