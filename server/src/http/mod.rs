//! The HTTP front door of every AWS service on the endpoint (DynamoDB today; DynamoDB
//! Streams, IAM, STS, CloudWatch to come), over HTTP/1.1 on [`crate::listener`].
//!
//! One dispatch path for every request, whatever its protocol and service:
//!
//! 0. **CORS preflight**: an `OPTIONS` preflight is answered at once, without credentials
//!    ([`cors`]);
//! 1. **route**: [`shale_aws::protocol::detect`] gives the protocol; the service is found by its
//!    address ([`service::Services`]) and the operation by name in the service's registry
//!    (a query-protocol request names its operation in the body, so it is found after step 4);
//! 2. **bound and read**: the body, within `body_bytes_max` and the shared `request_bytes_max`
//!    budget ([`shale_aws::body`]), once a request without any credentials is refused (and one
//!    whose `Content-Encoding` is not gzip or identity);
//! 3. **authenticate**: the SigV4 signature, over the body as sent, verified against the
//!    root's and the IAM store's keys ([`auth`]), gives the [`crate::iam::caller::Caller`];
//! 4. **decode**: a gzip body inflated within `body_bytes_max` on a blocking thread
//!    ([`shale_aws::encoding::gunzip`]; for a query request whose service only its `Action`
//!    names, before step 3, which then follows);
//! 5. **authorize and run**: the operation authorizes its caller for its action, resources
//!    and condition keys, then runs, on the connection's task or a blocking thread, as the
//!    service says; timed, with the engine's breakdown, when the request asks
//!    (`x-shale-trace: 1`) and for a sample of requests ([`trace`]);
//! 6. **encode**: the service's answer, or an [`AwsError`] in the protocol's error form,
//!    gzip-compressed when the request accepts it and it is long enough
//!    ([`shale_aws::encoding::gzip_reply`]), with a request id, `x-amz-crc32` (of the bytes
//!    sent), and the CORS headers when the request's `Origin` is allowed.
//!
//! `GET /console/…` serves the web console's embedded files when it is on ([`console`]).
//! `GET /` answers DynamoDB's health line; `GET /metrics` the Prometheus page (when the
//! endpoint serves one), authenticated by SigV4 or HTTP Basic (access key id and secret) and
//! authorized for `cloudwatch:GetMetricData`. Bounds: `body_bytes_max`, `request_bytes_max`,
//! `connections_max`, and `idle_timeout` for a client that stalls while sending its headers or
//! body.

pub mod auth;
pub mod console;
pub mod cors;
pub mod service;
pub mod trace;

pub use auth::Auth;
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::CONTENT_LENGTH;
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use service::Call;
pub use service::Services;
use shale_aws::body::{BodyLimits, ByteBudget};
use shale_aws::encoding::{self, RequestCoding};
use shale_aws::protocol::{self, Detected};
use shale_aws::query::Form;
use shale_aws::request_id::request_id;
use shale_aws::{AwsError, Fault, Reply, Wire};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;

/// DynamoDB's answer to `GET /`.
pub const HEALTH_LINE: &str = "healthy: dynamodb.us-east-1.amazonaws.com ";

/// The HTTP front door's bounds (`[http]` in `--config`).
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
            // What the HTTP front door has always run with (it used to borrow kv's).
            idle_timeout: Duration::from_secs(300),
            drain_timeout: Duration::from_secs(30),
        }
    }
}

/// What every connection shares.
struct Shared {
    services: Services,
    body: BodyLimits,
    /// The `request_bytes_max` budget.
    budget: ByteBudget,
    auth: Auth,
}

/// Where a request came from.
#[derive(Debug, Clone, Copy)]
struct Peer {
    addr: SocketAddr,
    /// Over TLS.
    secure: bool,
}

async fn handle(
    req: Request<Incoming>,
    shared: Arc<Shared>,
    peer: Peer,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let rid = request_id();
    let cors = shared.services.cors();
    // 0. A CORS preflight is answered before anything else (a browser sends no credentials).
    if let Some(preflight) = cors.preflight(req.method(), req.headers()) {
        return Ok(preflight.into_http(&rid));
    }
    let allow_origin = cors.for_request(req.headers());
    let gzip = encoding::accepts_gzip(req.headers());
    let reply = match dispatch(req, &shared, peer, &rid).await {
        Ok(reply) => reply,
        Err((wire, e)) => {
            if e.fault == Fault::Receiver {
                tracing::error!("internal error: {}", e.message);
            }
            e.reply(wire, &rid)
        }
    };
    let reply = if gzip { compress(reply).await } else { reply };
    let mut response = reply.into_http(&rid);
    cors.decorate(allow_origin, response.headers_mut());
    Ok(response)
}

/// Answers longer than this are compressed on a blocking thread rather than on the
/// connection's task.
pub const GZIP_INLINE_BYTES_MAX: usize = 64 << 10;

/// [`encoding::gzip_reply`], on a blocking thread for a large answer.
async fn compress(reply: Reply) -> Reply {
    if reply.body.len() <= GZIP_INLINE_BYTES_MAX {
        return encoding::gzip_reply(reply);
    }
    match tokio::task::spawn_blocking(move || encoding::gzip_reply(reply)).await {
        Ok(reply) => reply,
        // Only a runtime shutting down cancels it (compressing into memory does not fail).
        Err(e) => Reply::new(500, "text/plain", format!("compressing the answer: {e}").into()),
    }
}

/// A gzip request body inflated within `body_bytes_max`, on a blocking thread.
async fn inflate(raw: Bytes, body_bytes_max: usize) -> Result<Bytes, AwsError> {
    match tokio::task::spawn_blocking(move || encoding::gunzip(&raw, body_bytes_max)).await {
        Ok(Ok(decoded)) => Ok(Bytes::from(decoded)),
        Ok(Err(e)) => Err(e.into()),
        Err(e) => Err(AwsError::internal(format!("the request's task failed: {e}"))),
    }
}

/// The dispatch path (see the module doc).
async fn dispatch(
    req: Request<Incoming>,
    shared: &Shared,
    peer: Peer,
    rid: &str,
) -> Result<Reply, (Wire, AwsError)> {
    let (parts, body) = req.into_parts();
    // An operation this endpoint does not serve: named in the answer and logged.
    let unknown = |wire, what: &str| {
        tracing::info!("refused an unknown operation: {what}");
        (wire, AwsError::unknown_operation(what))
    };
    // The web console's static files (no data in them, so no credentials).
    if let Some(reply) = console::answer(&parts.method, parts.uri.path(), shared.services.console())
    {
        return Ok(reply);
    }
    if parts.method == hyper::Method::GET && parts.uri.path() == "/metrics" {
        if let Some(page) = shared.services.metrics_page() {
            let scrape = || {
                let caller =
                    shared.auth.authenticate_scrape(&parts, Some(peer.addr.ip()), peer.secure)?;
                auth::authorize_scrape(&caller)
            };
            scrape().map_err(|e| (Wire::Json10, e))?;
            let page = page();
            return Ok(Reply::new(
                200,
                crate::cloudwatch::prometheus::CONTENT_TYPE,
                page.into_bytes(),
            ));
        }
    }
    // A query-protocol request may come as `GET /?Action=…` (presigned URLs do).
    let query_get = parts.method == hyper::Method::GET
        && parts.uri.path() == "/"
        && parts.uri.query().is_some_and(|q| shale_aws::sigv4::has_param(q, "Action"));
    let detected = if query_get {
        Detected::Query { scope_service: None }
    } else {
        protocol::detect(&parts.method, parts.uri.path(), &parts.headers)
    };
    // 1. Route. A query request without a scope is routed by its Action, once read.
    let (wire, service, op) = match detected {
        Detected::Health => {
            return Ok(Reply::new(200, "text/plain", HEALTH_LINE.as_bytes().to_vec()))
        }
        Detected::Json10 { prefix, operation } => {
            let json = || unknown(Wire::Json10, &format!("{prefix}.{operation}"));
            let s = shared.services.by_json_prefix(prefix).ok_or_else(json)?;
            let op = s.find(operation).ok_or_else(json)?;
            (Wire::Json10, Some(s), Some(op))
        }
        Detected::RpcV2Cbor { service, operation } => {
            let cbor = || unknown(Wire::RpcV2Cbor, &format!("{service}.{operation}"));
            let s = shared.services.by_cbor_service(service).ok_or_else(cbor)?;
            let op = s.find(operation).ok_or_else(cbor)?;
            (Wire::RpcV2Cbor, Some(s), Some(op))
        }
        Detected::Query { scope_service } => {
            let scope = scope_service
                .map(str::to_string)
                .or_else(|| parts.uri.query().and_then(shale_aws::sigv4::presigned_scope_service));
            match scope {
                Some(scope) => {
                    // No query service for this scope: JSON 1.0, the endpoint's first protocol.
                    let s = shared
                        .services
                        .by_query_scope(Some(&scope))
                        .ok_or_else(|| unknown(Wire::Json10, &format!("of service {scope}")))?;
                    let xmlns = s.address().query.map_or("", |q| q.1);
                    (Wire::Query { xmlns }, Some(s), None)
                }
                None => (Wire::Query { xmlns: shared.services.first_query_xmlns() }, None, None),
            }
        }
        Detected::Unknown => {
            let target = parts.headers.get("x-amz-target").and_then(|v| v.to_str().ok());
            let what = match target {
                Some(t) => format!("{t:?} (X-Amz-Target is <service>_<version>.<Operation>)"),
                None => format!(
                    "{} {} (no X-Amz-Target, query Action or known path)",
                    parts.method,
                    parts.uri.path()
                ),
            };
            return Err(unknown(Wire::Json10, &what));
        }
    };
    // 2. Bound and read the body (a request without credentials is refused first).
    shared.auth.precheck(&parts, wire).map_err(|e| (wire, e))?;
    let coding = RequestCoding::of(&parts.headers).map_err(|e| (wire, AwsError::from(e)))?;
    let declared = parts
        .headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let internal = |wire, e: AwsError| match (e.fault, service) {
        // The wire layer's own failure is the service's internal error.
        (Fault::Receiver, Some(s)) => (wire, s.internal(e.message)),
        _ => (wire, e),
    };
    let mut held = shale_aws::body::read_body(body, declared, coding, &shared.body, &shared.budget)
        .await
        .map_err(|e| internal(wire, e))?;
    // 3. Authenticate (a GET's signature covers its empty body; a compressed body's, the bytes
    // sent), before a compressed body is inflated when the service is known already.
    let raw = held.bytes.clone();
    let authenticate = |s: &Arc<dyn service::Dispatch>, wire| {
        let (ip, secure) = (Some(peer.addr.ip()), peer.secure);
        shared.auth.authenticate(&parts, &raw, wire, s.signing_name(), ip, secure)
    };
    let early = match service {
        Some(s) => Some(authenticate(s, wire).map_err(|e| (wire, e))?),
        None => None,
    };
    let body = match coding {
        RequestCoding::Identity => raw.clone(),
        RequestCoding::Gzip => {
            let decoded = inflate(raw.clone(), shared.body.body_bytes_max)
                .await
                .map_err(|e| internal(wire, e))?;
            held.keep_share(raw.len() + decoded.len());
            decoded
        }
    };
    // A query request's form: the body, or the query string of a GET.
    let payload: Bytes = if query_get {
        // SigV4 reads a raw `+` in the query string as a plus sign; a form decoder would read
        // a space. Decode it as what was signed.
        let query = parts.uri.query().unwrap_or("").replace('+', "%2B");
        Bytes::from(query.into_bytes())
    } else {
        body
    };
    let form = match wire {
        Wire::Query { .. } => Some(Form::parse(&payload).map_err(|e| (wire, e))?),
        _ => None,
    };
    let invalid_action = |form: &Form| {
        let message = format!(
            "Could not find operation {} for version {}",
            form.action().unwrap_or(""),
            form.get("Version").unwrap_or("")
        );
        AwsError::sender("InvalidAction", message)
    };
    let (wire, service) = match (service, &form) {
        (Some(s), _) => (wire, s),
        (None, Some(form)) => {
            let s = shared
                .services
                .by_query_action(form.action().unwrap_or(""))
                .ok_or_else(|| (wire, invalid_action(form)))?;
            let wire = Wire::Query { xmlns: s.address().query.map_or("", |q| q.1) };
            (wire, s)
        }
        (None, None) => return Err(unknown(Wire::Json10, parts.uri.path())),
    };
    let caller = match early {
        Some(caller) => caller,
        None => authenticate(service, wire).map_err(|e| (wire, e))?,
    };
    let op = match (op, &form) {
        (Some(op), _) => op,
        (None, Some(form)) => {
            service.find(form.action().unwrap_or("")).ok_or_else(|| (wire, invalid_action(form)))?
        }
        (None, None) => return Err(unknown(wire, parts.uri.path())),
    };
    // 5. Authorize and run (timed for `x-shale-trace`, or as a sample).
    let traced = trace::requested(&parts.headers).map_err(|e| (wire, e))?;
    let key = (service.name(), service.op_name(op));
    let traces = shared.services.traces().cloned();
    if service.runs_inline(op) {
        let call = Call { wire, body: &payload, caller: &caller, request_id: rid };
        let (r, t) = trace::run(traces.as_deref(), traced, key, || service.call(op, &call));
        return with_trace(r, t).map_err(|e| (wire, e));
    }
    let (task_service, bytes) = (Arc::clone(service), payload);
    let rid = rid.to_string();
    let run = move || {
        let call = Call { wire, body: &bytes, caller: &caller, request_id: &rid };
        let (r, t) = trace::run(traces.as_deref(), traced, key, || task_service.call(op, &call));
        with_trace(r, t)
    };
    match tokio::task::spawn_blocking(run).await {
        Ok(r) => r.map_err(|e| (wire, e)),
        Err(e) => Err((wire, service.internal(format!("the request's task failed: {e}")))),
    }
}

/// The answer (or the error) with its `x-shale-trace` header when it was traced.
fn with_trace(r: Result<Reply, AwsError>, t: Option<trace::Trace>) -> Result<Reply, AwsError> {
    let Some(t) = t else { return r };
    match r {
        Ok(reply) => Ok(reply.with_header(trace::TRACE_HEADER, t.header_value())),
        Err(e) => Err(e.with_header(trace::TRACE_HEADER, t.header_value())),
    }
}

/// Serves `services` on `listener` until `stop` turns true, then stops accepting, lets every
/// connection finish the request it is on (up to `drain_timeout`) and returns.
pub async fn serve(
    listener: TcpListener,
    services: Services,
    limits: HttpLimits,
    auth: Auth,
    tls: Option<crate::tls::Tls>,
    stop: watch::Receiver<bool>,
) -> std::io::Result<()> {
    let body = BodyLimits {
        body_bytes_max: limits.body_bytes_max,
        request_bytes_max: limits.request_bytes_max,
        idle_timeout: limits.idle_timeout,
    };
    let budget = ByteBudget::new(limits.request_bytes_max);
    let shared = Arc::new(Shared { services, body, budget, auth });
    let listener_limits = crate::listener::ListenerLimits {
        connections_max: limits.connections_max,
        drain_timeout: limits.drain_timeout,
    };
    let idle = limits.idle_timeout;
    crate::listener::serve(
        "http",
        listener,
        listener_limits,
        stop,
        move |stream, peer, admission, mut stop| {
            let shared = Arc::clone(&shared);
            let tls = tls.clone();
            async move {
                let Some(_admission) = admission else { return };
                let _ = stream.set_nodelay(true);
                let stream = match crate::tls::accept(tls.as_ref(), stream, peer, true).await {
                    Ok(Some(s)) => s,
                    Ok(None) => return,
                    Err(e) => {
                        tracing::debug!("http: connection from {peer} refused: {e}");
                        return;
                    }
                };
                let secure = stream.is_tls();
                let service = hyper::service::service_fn(move |req| {
                    handle(req, Arc::clone(&shared), Peer { addr: peer, secure })
                });
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
            }
        },
    )
    .await
}
