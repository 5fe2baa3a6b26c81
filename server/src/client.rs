//! The Rust client of the key-value protocol (blocking; `docs/protocol.md`).
//!
//! A [`Client`] is one connection shared by any number of threads. Each call sends its frame and
//! waits for the response with its id, so calls from several threads are pipelined on the one
//! connection. A reader thread routes the responses, which may arrive out of order.
//! [`Client::send`] pipelines explicitly: it returns a [`Pending`] that is waited on later. A
//! [`Pool`] spreads calls over several connections.
//!
//! With [`Credentials`] ([`Client::connect_with`]), the client speaks protocol version 2 and
//! authenticates with AUTH (an HMAC of the server's nonce with the secret access key; the
//! secret never crosses the network). Without, it speaks version 1, which only a server started
//! with `--auth none` accepts.

pub use crate::dynamo_client::Credentials;
use crate::kv::codec::{
    self, AuthRequest, BatchOp, ErrorCode, Request, Response, Scan, ScanRange, Welcome, LEN_FIELD,
    NONCE_LEN, WELCOME_LEN,
};
use std::collections::HashMap;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// What can go wrong talking to the server.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    #[error("I/O error: {0}")]
    Io(#[from] io::Error),
    /// The server sent something this client cannot decode.
    #[error("protocol error: {0}")]
    Protocol(String),
    /// The server answered with an error.
    #[error("server error {code:?}: {message}")]
    Server { code: ErrorCode, message: String },
    /// The server refused the connection at the handshake.
    #[error("connection refused by the server: {0:?}")]
    Refused(ErrorCode),
    /// The connection closed before the response arrived.
    #[error("connection closed: {0}")]
    Closed(String),
    /// The request is larger than the server's frame bound; it was not sent.
    #[error("request of {len} bytes exceeds the server's frame bound of {max}")]
    TooLarge { len: usize, max: u32 },
    /// The server answered with a response of the wrong kind for the request.
    #[error("unexpected response: {0}")]
    Unexpected(String),
}

pub type Result<T> = std::result::Result<T, ClientError>;

/// The largest response frame the client accepts, whatever the server's WELCOME says.
pub const CLIENT_FRAME_LEN_MAX: u32 = 256 << 20;

/// One page of a scan: the entries, and the token that continues it (`None` at the end).
pub type ScanPage = (Vec<(Vec<u8>, Vec<u8>)>, Option<Vec<u8>>);

/// A response (or why the connection failed) and when it arrived.
pub type Delivery = (std::result::Result<Response, String>, Instant);

/// Who gets a response: a waiting [`Pending`], or a callback run on the reader thread.
enum Waiter {
    Channel(SyncSender<Delivery>),
    Callback(Box<dyn FnOnce(Delivery) + Send>),
}

impl Waiter {
    fn deliver(self, d: Delivery) {
        match self {
            Waiter::Channel(tx) => {
                let _ = tx.send(d);
            }
            Waiter::Callback(f) => f(d),
        }
    }
}

struct Shared {
    writer: Mutex<BufWriter<TcpStream>>,
    pending: Mutex<HashMap<u64, Waiter>>,
    /// Set when the connection failed: later calls fail at once.
    broken: Mutex<Option<String>>,
    next_id: AtomicU64,
    welcome: Welcome,
    stream: TcpStream,
}

/// One connection to a server.
#[derive(Clone)]
pub struct Client {
    shared: Arc<Shared>,
}

/// A request that was sent and whose response has not been collected yet.
pub struct Pending {
    rx: Receiver<Delivery>,
}

impl Pending {
    /// Waits for the response.
    pub fn wait(self) -> Result<Response> {
        self.wait_timed().map(|(r, _)| r)
    }

    /// Waits for the response; also returns when it arrived (read off the socket), which is
    /// what an open-loop latency benchmark measures.
    pub fn wait_timed(self) -> Result<(Response, Instant)> {
        match self.rx.recv() {
            Ok((Ok(Response::Error { code, message }), _)) => {
                Err(ClientError::Server { code, message })
            }
            Ok((Ok(r), at)) => Ok((r, at)),
            Ok((Err(e), _)) => Err(ClientError::Closed(e)),
            Err(_) => Err(ClientError::Closed("the connection's reader stopped".into())),
        }
    }
}

fn read_frame(
    rd: &mut impl Read,
    frame_len_max: u32,
) -> std::result::Result<(u64, Response), String> {
    let mut len_field = [0u8; LEN_FIELD];
    rd.read_exact(&mut len_field).map_err(|e| format!("reading a response: {e}"))?;
    // The response bound is the server's frame bound: check before allocating.
    let len = codec::check_len(len_field, frame_len_max).map_err(|e| e.to_string())?;
    let mut rest = vec![0u8; len];
    rd.read_exact(&mut rest).map_err(|e| format!("reading a response: {e}"))?;
    let (h, body) = codec::split_frame(&rest).map_err(|e| e.to_string())?;
    let resp = codec::decode_response(h.ty, body).map_err(|e| e.to_string())?;
    Ok((h.id, resp))
}

/// Sends AUTH (request id 1) for `nonce` and waits for its answer.
fn authenticate(
    rd: &mut impl Read,
    wr: &mut impl Write,
    creds: &Credentials,
    nonce: &[u8; NONCE_LEN],
    frame_len_max: u32,
) -> Result<()> {
    let auth = AuthRequest::sign(
        &creds.access_key_id,
        &creds.secret_access_key,
        creds.session_token.as_deref(),
        nonce,
    );
    let frame = Request::Auth(auth).encode(1, false);
    let max = frame_len_max.min(codec::AUTH_FRAME_LEN_MAX);
    if frame.len() - LEN_FIELD > max as usize {
        return Err(ClientError::TooLarge { len: frame.len(), max });
    }
    wr.write_all(&frame)?;
    wr.flush()?;
    match read_frame(rd, frame_len_max).map_err(ClientError::Closed)? {
        (1, Response::Done) => Ok(()),
        (_, Response::Error { code, message }) => Err(ClientError::Server { code, message }),
        (id, other) => {
            Err(ClientError::Protocol(format!("AUTH (id 1) answered by {id}: {other:?}")))
        }
    }
}

impl Client {
    /// Connects and does the handshake, without authenticating (protocol version 1: only a
    /// server started with `--auth none` accepts it).
    pub fn connect(addr: impl ToSocketAddrs) -> Result<Client> {
        Client::connect_with(addr, None)
    }

    /// Connects and does the handshake; with `credentials`, speaks version 2 and authenticates
    /// (a refused AUTH is [`ClientError::Server`] with [`ErrorCode::AuthFailed`]).
    pub fn connect_with(
        addr: impl ToSocketAddrs,
        credentials: Option<&Credentials>,
    ) -> Result<Client> {
        let stream = TcpStream::connect(addr)?;
        stream.set_nodelay(true)?;
        let mut rd = BufReader::with_capacity(64 << 10, stream.try_clone()?);
        let mut wr = BufWriter::with_capacity(64 << 10, stream.try_clone()?);
        let version = if credentials.is_some() { codec::VERSION } else { codec::VERSION_1 };
        wr.write_all(&codec::hello(version))?;
        wr.flush()?;
        let mut w = [0u8; WELCOME_LEN];
        rd.read_exact(&mut w)?;
        let welcome = codec::parse_welcome(&w).ok_or_else(|| {
            ClientError::Protocol("the server's greeting has the wrong magic".into())
        })?;
        if let Some(code) = welcome.refusal {
            return Err(ClientError::Refused(code));
        }
        if welcome.version != version {
            return Err(ClientError::Protocol(format!(
                "asked for protocol version {version}, the server answered {}",
                welcome.version
            )));
        }
        // The server states its bound; the client also keeps its own, so that a server (or
        // anything answering on its port) cannot make it allocate without limit.
        let frame_len_max = welcome.frame_len_max.min(CLIENT_FRAME_LEN_MAX);
        let mut next_id = 1;
        if let Some(creds) = credentials {
            let mut nonce = [0u8; NONCE_LEN];
            rd.read_exact(&mut nonce)?;
            authenticate(&mut rd, &mut wr, creds, &nonce, frame_len_max)?;
            next_id = 2;
        }
        let shared = Arc::new(Shared {
            writer: Mutex::new(wr),
            pending: Mutex::new(HashMap::new()),
            broken: Mutex::new(None),
            next_id: AtomicU64::new(next_id),
            welcome,
            stream,
        });
        let reader_shared = Arc::downgrade(&shared);
        std::thread::Builder::new().name("shale-client-reader".into()).spawn(move || loop {
            let got = read_frame(&mut rd, frame_len_max);
            let Some(shared) = reader_shared.upgrade() else { return };
            let at = Instant::now();
            match got {
                Ok((id, resp)) => {
                    let tx = shared.pending.lock().unwrap_or_else(|e| e.into_inner()).remove(&id);
                    match tx {
                        Some(waiter) => waiter.deliver((Ok(resp), at)),
                        // Id 0 (or unknown): the server is closing the connection on an error.
                        None => shared.fail(match resp {
                            Response::Error { code, message } => format!("{code:?}: {message}"),
                            other => format!("response to no request: {other:?}"),
                        }),
                    }
                }
                Err(e) => {
                    shared.fail(e);
                    return;
                }
            }
        })?;
        Ok(Client { shared })
    }

    /// The server's bounds, from the handshake.
    pub fn welcome(&self) -> Welcome {
        self.shared.welcome
    }

    /// Sends `req` without waiting for its response.
    pub fn send(&self, req: &Request, sync: bool) -> Result<Pending> {
        let (tx, rx) = sync_channel(1);
        self.send_to(req, sync, Waiter::Channel(tx))?;
        Ok(Pending { rx })
    }

    /// Sends `req`; `on_response` runs on the connection's reader thread when the response (or
    /// the connection's failure) arrives, with the arrival time. Cheaper than a [`Pending`] when
    /// many requests are in flight: no thread waits for each one.
    pub fn send_with(
        &self,
        req: &Request,
        sync: bool,
        on_response: impl FnOnce(Delivery) + Send + 'static,
    ) -> Result<()> {
        self.send_to(req, sync, Waiter::Callback(Box::new(on_response)))
    }

    fn send_to(&self, req: &Request, sync: bool, waiter: Waiter) -> Result<()> {
        let id = self.shared.next_id.fetch_add(1, Ordering::Relaxed);
        let frame = req.encode(id, sync);
        let max = self.shared.welcome.frame_len_max;
        if frame.len() - LEN_FIELD > max as usize {
            return Err(ClientError::TooLarge { len: frame.len(), max });
        }
        {
            let broken = self.shared.broken.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(e) = broken.as_ref() {
                return Err(ClientError::Closed(e.clone()));
            }
            self.shared.pending.lock().unwrap_or_else(|e| e.into_inner()).insert(id, waiter);
        }
        let mut w = self.shared.writer.lock().unwrap_or_else(|e| e.into_inner());
        if let Err(e) = w.write_all(&frame).and_then(|_| w.flush()) {
            drop(w);
            self.shared.fail(format!("sending a request: {e}"));
            return Err(ClientError::Io(e));
        }
        Ok(())
    }

    /// Sends `req` and waits for its response.
    pub fn call(&self, req: &Request, sync: bool) -> Result<Response> {
        self.send(req, sync)?.wait()
    }

    pub fn ping(&self, payload: &[u8]) -> Result<()> {
        match self.call(&Request::Ping(payload.to_vec()), false)? {
            Response::Pong(p) if p == payload => Ok(()),
            other => Err(unexpected(other)),
        }
    }

    pub fn get(&self, keyspace: &str, key: &[u8]) -> Result<Option<Vec<u8>>> {
        match self.call(&Request::Get { keyspace: keyspace.into(), key: key.to_vec() }, false)? {
            Response::Value(v) => Ok(Some(v)),
            Response::NotFound => Ok(None),
            other => Err(unexpected(other)),
        }
    }

    pub fn multi_get(&self, keyspace: &str, keys: &[Vec<u8>]) -> Result<Vec<Option<Vec<u8>>>> {
        let req = Request::MultiGet { keyspace: keyspace.into(), keys: keys.to_vec() };
        match self.call(&req, false)? {
            Response::Values(v) if v.len() == keys.len() => Ok(v),
            other => Err(unexpected(other)),
        }
    }

    /// Writes `key`; with `sync`, the answer comes after the WAL is fsynced.
    pub fn put(&self, keyspace: &str, key: &[u8], value: &[u8], sync: bool) -> Result<()> {
        let req =
            Request::Put { keyspace: keyspace.into(), key: key.to_vec(), value: value.to_vec() };
        done(self.call(&req, sync)?)
    }

    pub fn delete(&self, keyspace: &str, key: &[u8], sync: bool) -> Result<()> {
        done(self.call(&Request::Delete { keyspace: keyspace.into(), key: key.to_vec() }, sync)?)
    }

    /// Applies every operation or none (across keyspaces).
    pub fn batch(&self, ops: Vec<BatchOp>, sync: bool) -> Result<()> {
        done(self.call(&Request::Batch(ops), sync)?)
    }

    /// One page of a scan: entries, and the token that continues it (`None` at the end).
    pub fn scan_page(&self, scan: &Scan) -> Result<ScanPage> {
        match self.call(&Request::Scan(scan.clone()), false)? {
            Response::Page { entries, token } => Ok((entries, token)),
            other => Err(unexpected(other)),
        }
    }

    /// Every entry of `range` (page by page), up to `max` entries.
    pub fn scan(
        &self,
        keyspace: &str,
        range: ScanRange,
        reverse: bool,
        max: usize,
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        let mut scan = Scan { keyspace: keyspace.into(), range, limit: 0, reverse, token: None };
        let mut out = Vec::new();
        while out.len() < max {
            scan.limit = u32::try_from(max - out.len()).unwrap_or(u32::MAX);
            let (entries, token) = self.scan_page(&scan)?;
            out.extend(entries);
            match token {
                Some(t) => scan.token = Some(t),
                None => break,
            }
        }
        out.truncate(max);
        Ok(out)
    }

    pub fn create_keyspace(&self, name: &str) -> Result<()> {
        done(self.call(&Request::CreateKeyspace(name.into()), false)?)
    }

    pub fn drop_keyspace(&self, name: &str) -> Result<()> {
        done(self.call(&Request::DropKeyspace(name.into()), false)?)
    }

    pub fn list_keyspaces(&self) -> Result<Vec<String>> {
        match self.call(&Request::ListKeyspaces, false)? {
            Response::Keyspaces(k) => Ok(k),
            other => Err(unexpected(other)),
        }
    }

    /// The engine's statistics report (text).
    pub fn stats(&self) -> Result<String> {
        match self.call(&Request::Stats, false)? {
            Response::Text(t) => Ok(t),
            other => Err(unexpected(other)),
        }
    }
}

impl Shared {
    /// Marks the connection broken and fails every waiting call.
    fn fail(&self, why: String) {
        let mut broken = self.broken.lock().unwrap_or_else(|e| e.into_inner());
        if broken.is_none() {
            *broken = Some(why.clone());
        }
        let waiting: Vec<_> =
            self.pending.lock().unwrap_or_else(|e| e.into_inner()).drain().collect();
        drop(broken);
        for (_, waiter) in waiting {
            waiter.deliver((Err(why.clone()), Instant::now()));
        }
        let _ = self.stream.shutdown(std::net::Shutdown::Both);
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        // Wakes the reader thread (blocked on a read) so that it exits.
        let _ = self.stream.shutdown(std::net::Shutdown::Both);
    }
}

fn unexpected(r: Response) -> ClientError {
    ClientError::Unexpected(format!("{r:?}"))
}

fn done(r: Response) -> Result<()> {
    match r {
        Response::Done => Ok(()),
        other => Err(unexpected(other)),
    }
}

/// Several connections to one server, used round-robin.
#[derive(Clone)]
pub struct Pool {
    clients: Arc<Vec<Client>>,
    next: Arc<AtomicUsize>,
}

impl Pool {
    /// Opens `connections` connections (at least one), without authenticating.
    pub fn connect(addr: impl ToSocketAddrs + Clone, connections: usize) -> Result<Pool> {
        Pool::connect_with(addr, connections, None)
    }

    /// Opens `connections` connections (at least one), each authenticated with `credentials`
    /// when given ([`Client::connect_with`]).
    pub fn connect_with(
        addr: impl ToSocketAddrs + Clone,
        connections: usize,
        credentials: Option<&Credentials>,
    ) -> Result<Pool> {
        let clients = (0..connections.max(1))
            .map(|_| Client::connect_with(addr.clone(), credentials))
            .collect::<Result<Vec<_>>>()?;
        Ok(Pool { clients: Arc::new(clients), next: Arc::new(AtomicUsize::new(0)) })
    }

    /// The next connection in turn.
    pub fn client(&self) -> &Client {
        self.nth(self.next.fetch_add(1, Ordering::Relaxed))
    }

    /// Connection `i` (modulo the pool's size): to pin a thread to one connection.
    #[allow(clippy::indexing_slicing)] // `connect` opens at least one; the index is reduced modulo the count
    pub fn nth(&self, i: usize) -> &Client {
        &self.clients[i % self.clients.len()]
    }

    pub fn len(&self) -> usize {
        self.clients.len()
    }

    pub fn is_empty(&self) -> bool {
        self.clients.is_empty()
    }
}
