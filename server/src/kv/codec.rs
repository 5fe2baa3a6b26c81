//! The key-value wire protocol: handshake, frames, requests and responses.
//! (The same specification, with a worked hex example, is in `docs/protocol.md`.)
//!
//! All integers are little-endian. `bytes` is a `u32` length then that many bytes; `string` is
//! `bytes` holding UTF-8; `opt<bytes>` is a `u8` (0 absent, 1 present) then `bytes` if present.
//!
//! **Handshake.** The client sends `HELLO` (8 bytes): magic `"SHKV"`, `u16` version, `u16` 0.
//! The server answers `WELCOME` (16 bytes): magic, `u16` version (the server's), `u16` refusal
//! (0: accepted; otherwise an error code, e.g. unsupported version or too many connections, and
//! the server closes), `u32` frame_len_max, `u32` inflight_max.
//!
//! **Frame** (both directions), `FRAME_HEADER_LEN` = 20 bytes of header then the body:
//!
//! ```text
//! offset size field
//!      0    4 len        bytes after this field (16 + body length), at most frame_len_max
//!      4    4 crc        crc32 (IEEE) of every byte after this field: type .. end of body
//!      8    1 type       request op code, or response kind; 0 is reserved (never valid)
//!      9    1 flags      request: bit 0 = SYNC (fsync the WAL before answering); response: 0
//!     10    2 reserved   0
//!     12    8 id         request id, chosen by the client, echoed by its response
//!     20    . body
//! ```
//!
//! **Requests** (type: body):
//! 1 PING `bytes` · 2 GET `string ks, bytes key` · 3 MULTIGET `string ks, u32 n, n × bytes key`
//! · 4 PUT `string ks, bytes key, bytes value` · 5 DELETE `string ks, bytes key` · 6 BATCH
//! `u32 n, n × (u8 op [1 put, 2 delete], string ks, bytes key, [bytes value if put])` · 7 SCAN
//! `string ks, u8 mode, [mode 1 range: opt<bytes> start, opt<bytes> end | mode 2 prefix: bytes
//! prefix], u32 limit, u8 reverse, opt<bytes> token` · 8 CREATE_KEYSPACE `string` · 9
//! DROP_KEYSPACE `string` · 10 LIST_KEYSPACES (empty) · 11 STATS (empty).
//!
//! **Responses** (kind: body): 1 DONE (empty) · 2 VALUE `bytes` · 3 NOT_FOUND (empty) · 4 VALUES
//! `u32 n, n × opt<bytes>` · 5 PAGE `u32 n, n × (bytes key, bytes value), opt<bytes> token` · 6
//! KEYSPACES `u32 n, n × string` · 7 TEXT `string` · 8 PONG `bytes` · 9 ERROR `u16 code, string
//! message`.
//!
//! Responses may arrive in any order: the server works on up to inflight_max requests of one
//! connection at once, and the client matches responses to requests by id. A frame that cannot be
//! decoded is answered with ERROR `BAD_FRAME` (id 0 when the id itself is unreadable) and the
//! connection is closed.

use crate::byte_reader::ByteReader;
use std::fmt;

/// The handshake's magic bytes.
pub const MAGIC: [u8; 4] = *b"SHKV";
/// The protocol version this code speaks.
pub const VERSION: u16 = 1;
/// Length of the client's HELLO.
pub const HELLO_LEN: usize = 8;
/// Length of the server's WELCOME.
pub const WELCOME_LEN: usize = 16;
/// Size of a frame's `len` field.
pub const LEN_FIELD: usize = 4;
/// Size of a frame's header: len, crc, type, flags, reserved, id.
pub const FRAME_HEADER_LEN: usize = 20;
/// Header bytes the `len` field counts (everything after it but the body).
pub const LEN_COUNTED_HEADER: usize = FRAME_HEADER_LEN - LEN_FIELD;
/// Default bound on a frame's `len`.
pub const FRAME_LEN_MAX_DEFAULT: u32 = 16 << 20;
/// Request flag: fsync the WAL before answering.
pub const FLAG_SYNC: u8 = 1;

const _: () = assert!(FRAME_HEADER_LEN == 4 + 4 + 1 + 1 + 2 + 8);
const _: () = assert!(LEN_COUNTED_HEADER == 16);
const _: () = assert!(HELLO_LEN == MAGIC.len() + 2 + 2);
const _: () = assert!(WELCOME_LEN == MAGIC.len() + 2 + 2 + 4 + 4);

/// Request op codes.
pub mod op {
    pub const PING: u8 = 1;
    pub const GET: u8 = 2;
    pub const MULTIGET: u8 = 3;
    pub const PUT: u8 = 4;
    pub const DELETE: u8 = 5;
    pub const BATCH: u8 = 6;
    pub const SCAN: u8 = 7;
    pub const CREATE_KEYSPACE: u8 = 8;
    pub const DROP_KEYSPACE: u8 = 9;
    pub const LIST_KEYSPACES: u8 = 10;
    pub const STATS: u8 = 11;
}

/// Response kinds.
pub mod kind {
    pub const DONE: u8 = 1;
    pub const VALUE: u8 = 2;
    pub const NOT_FOUND: u8 = 3;
    pub const VALUES: u8 = 4;
    pub const PAGE: u8 = 5;
    pub const KEYSPACES: u8 = 6;
    pub const TEXT: u8 = 7;
    pub const PONG: u8 = 8;
    pub const ERROR: u8 = 9;
}

/// Error codes carried by ERROR responses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorCode {
    /// The frame could not be decoded (bad checksum, truncated body, bad type): the connection
    /// is closed after this answer.
    BadFrame,
    /// The frame's `len` exceeds frame_len_max: the connection is closed after this answer.
    FrameTooLarge,
    /// The handshake's magic or version was not accepted.
    BadHandshake,
    /// A well-formed request the engine refused (key too long, empty batch, ...).
    InvalidArgument,
    NoSuchKeyspace,
    KeyspaceExists,
    /// The server is at its connection limit: the connection is closed after this answer.
    TooManyConnections,
    /// The server is shutting down and takes no new requests.
    ShuttingDown,
    Io,
    Corruption,
    /// The database refuses writes after an earlier I/O failure (fsyncgate): restart the server.
    Poisoned,
    Internal,
    /// A code this client does not know.
    Other(u16),
}

impl ErrorCode {
    pub fn to_u16(self) -> u16 {
        match self {
            ErrorCode::BadFrame => 1,
            ErrorCode::FrameTooLarge => 2,
            ErrorCode::BadHandshake => 3,
            ErrorCode::InvalidArgument => 10,
            ErrorCode::NoSuchKeyspace => 11,
            ErrorCode::KeyspaceExists => 12,
            ErrorCode::TooManyConnections => 20,
            ErrorCode::ShuttingDown => 21,
            ErrorCode::Io => 30,
            ErrorCode::Corruption => 31,
            ErrorCode::Poisoned => 32,
            ErrorCode::Internal => 40,
            ErrorCode::Other(c) => c,
        }
    }

    pub fn from_u16(c: u16) -> ErrorCode {
        match c {
            1 => ErrorCode::BadFrame,
            2 => ErrorCode::FrameTooLarge,
            3 => ErrorCode::BadHandshake,
            10 => ErrorCode::InvalidArgument,
            11 => ErrorCode::NoSuchKeyspace,
            12 => ErrorCode::KeyspaceExists,
            20 => ErrorCode::TooManyConnections,
            21 => ErrorCode::ShuttingDown,
            30 => ErrorCode::Io,
            31 => ErrorCode::Corruption,
            32 => ErrorCode::Poisoned,
            40 => ErrorCode::Internal,
            c => ErrorCode::Other(c),
        }
    }
}

/// Why a frame or handshake could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// `len` is below the header's size.
    TooShort(u32),
    /// `len` is above the bound.
    TooLarge {
        len: u32,
        max: u32,
    },
    Checksum,
    /// The body ended before a field did.
    Truncated,
    /// Bytes were left after the last field.
    Trailing(usize),
    UnknownType(u8),
    BadUtf8,
    /// A field held a value outside its domain.
    Invalid(&'static str),
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::TooShort(n) => write!(f, "frame length {n} is shorter than its header"),
            DecodeError::TooLarge { len, max } => {
                write!(f, "frame length {len} exceeds the maximum {max}")
            }
            DecodeError::Checksum => write!(f, "frame checksum mismatch"),
            DecodeError::Truncated => write!(f, "frame body ends inside a field"),
            DecodeError::Trailing(n) => write!(f, "{n} unexpected bytes after the last field"),
            DecodeError::UnknownType(t) => write!(f, "unknown frame type {t}"),
            DecodeError::BadUtf8 => write!(f, "a string field is not UTF-8"),
            DecodeError::Invalid(what) => write!(f, "invalid {what}"),
        }
    }
}

impl std::error::Error for DecodeError {}

/// One operation of a BATCH.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchOp {
    Put { keyspace: String, key: Vec<u8>, value: Vec<u8> },
    Delete { keyspace: String, key: Vec<u8> },
}

/// What a SCAN covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScanRange {
    /// `start <= key < end`, each side unbounded when absent.
    Range { start: Option<Vec<u8>>, end: Option<Vec<u8>> },
    /// Keys starting with the prefix.
    Prefix(Vec<u8>),
}

/// A SCAN request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scan {
    pub keyspace: String,
    pub range: ScanRange,
    /// Most entries in the page (the server may return fewer: its own bound, or the frame size).
    pub limit: u32,
    pub reverse: bool,
    /// The previous page's continuation token; the scan resumes after it.
    pub token: Option<Vec<u8>>,
}

/// A request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    Ping(Vec<u8>),
    Get { keyspace: String, key: Vec<u8> },
    MultiGet { keyspace: String, keys: Vec<Vec<u8>> },
    Put { keyspace: String, key: Vec<u8>, value: Vec<u8> },
    Delete { keyspace: String, key: Vec<u8> },
    Batch(Vec<BatchOp>),
    Scan(Scan),
    CreateKeyspace(String),
    DropKeyspace(String),
    ListKeyspaces,
    Stats,
}

/// A response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response {
    Done,
    Value(Vec<u8>),
    NotFound,
    Values(Vec<Option<Vec<u8>>>),
    Page { entries: Vec<(Vec<u8>, Vec<u8>)>, token: Option<Vec<u8>> },
    Keyspaces(Vec<String>),
    Text(String),
    Pong(Vec<u8>),
    Error { code: ErrorCode, message: String },
}

// ---------------------------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------------------------

/// Builds one frame: the header is filled in by `finish`.
struct FrameWriter {
    buf: Vec<u8>,
}

impl FrameWriter {
    fn new(ty: u8, flags: u8, id: u64) -> Self {
        let mut buf = Vec::with_capacity(64);
        buf.extend_from_slice(&[0u8; 8]); // len, crc: filled in by finish
        buf.push(ty);
        buf.push(flags);
        buf.extend_from_slice(&0u16.to_le_bytes());
        buf.extend_from_slice(&id.to_le_bytes());
        FrameWriter { buf }
    }

    fn u8(&mut self, v: u8) -> &mut Self {
        self.buf.push(v);
        self
    }

    fn u16(&mut self, v: u16) -> &mut Self {
        self.buf.extend_from_slice(&v.to_le_bytes());
        self
    }

    fn u32(&mut self, v: u32) -> &mut Self {
        self.buf.extend_from_slice(&v.to_le_bytes());
        self
    }

    fn bytes(&mut self, b: &[u8]) -> &mut Self {
        // Callers keep every field below the frame bound (u32): see `Request::encoded_len`.
        self.u32(b.len() as u32);
        self.buf.extend_from_slice(b);
        self
    }

    fn opt_bytes(&mut self, b: Option<&[u8]>) -> &mut Self {
        match b {
            Some(b) => self.u8(1).bytes(b),
            None => self.u8(0),
        }
    }

    fn finish(mut self) -> Vec<u8> {
        let len = (self.buf.len() - LEN_FIELD) as u32;
        let crc = crc32fast::hash(self.buf.get(8..).unwrap_or_default());
        let mut head = [0u8; 8];
        head[..4].copy_from_slice(&len.to_le_bytes());
        head[4..].copy_from_slice(&crc.to_le_bytes());
        for (d, s) in self.buf.iter_mut().zip(head) {
            *d = s;
        }
        self.buf
    }
}

/// The client's HELLO.
pub fn hello() -> [u8; HELLO_LEN] {
    let mut h = [0u8; HELLO_LEN];
    h[..4].copy_from_slice(&MAGIC);
    h[4..6].copy_from_slice(&VERSION.to_le_bytes());
    h
}

/// The server's WELCOME: `refusal` `None` accepts the connection.
pub fn welcome(
    refusal: Option<ErrorCode>,
    frame_len_max: u32,
    inflight_max: u32,
) -> [u8; WELCOME_LEN] {
    let mut w = [0u8; WELCOME_LEN];
    w[..4].copy_from_slice(&MAGIC);
    w[4..6].copy_from_slice(&VERSION.to_le_bytes());
    w[6..8].copy_from_slice(&refusal.map_or(0, ErrorCode::to_u16).to_le_bytes());
    w[8..12].copy_from_slice(&frame_len_max.to_le_bytes());
    w[12..16].copy_from_slice(&inflight_max.to_le_bytes());
    w
}

/// The version a HELLO asks for, if its magic is right.
pub fn parse_hello(h: &[u8; HELLO_LEN]) -> Option<u16> {
    let [m0, m1, m2, m3, v0, v1, _, _] = *h;
    ([m0, m1, m2, m3] == MAGIC).then(|| u16::from_le_bytes([v0, v1]))
}

/// What a WELCOME says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Welcome {
    pub version: u16,
    /// Why the server refused the connection (it closes it), if it did.
    pub refusal: Option<ErrorCode>,
    pub frame_len_max: u32,
    pub inflight_max: u32,
}

/// Parses a WELCOME, if its magic is right.
pub fn parse_welcome(w: &[u8; WELCOME_LEN]) -> Option<Welcome> {
    let [m0, m1, m2, m3, v0, v1, r0, r1, f0, f1, f2, f3, i0, i1, i2, i3] = *w;
    let refusal = u16::from_le_bytes([r0, r1]);
    ([m0, m1, m2, m3] == MAGIC).then(|| Welcome {
        version: u16::from_le_bytes([v0, v1]),
        refusal: (refusal != 0).then(|| ErrorCode::from_u16(refusal)),
        frame_len_max: u32::from_le_bytes([f0, f1, f2, f3]),
        inflight_max: u32::from_le_bytes([i0, i1, i2, i3]),
    })
}

impl Request {
    /// The whole frame for this request.
    pub fn encode(&self, id: u64, sync: bool) -> Vec<u8> {
        encode_request(self, id, if sync { FLAG_SYNC } else { 0 })
    }
}

fn encode_request(req: &Request, id: u64, flags: u8) -> Vec<u8> {
    let ty = match req {
        Request::Ping(_) => op::PING,
        Request::Get { .. } => op::GET,
        Request::MultiGet { .. } => op::MULTIGET,
        Request::Put { .. } => op::PUT,
        Request::Delete { .. } => op::DELETE,
        Request::Batch(_) => op::BATCH,
        Request::Scan(_) => op::SCAN,
        Request::CreateKeyspace(_) => op::CREATE_KEYSPACE,
        Request::DropKeyspace(_) => op::DROP_KEYSPACE,
        Request::ListKeyspaces => op::LIST_KEYSPACES,
        Request::Stats => op::STATS,
    };
    let mut w = FrameWriter::new(ty, flags, id);
    match req {
        Request::Ping(b) => {
            w.bytes(b);
        }
        Request::Get { keyspace, key } | Request::Delete { keyspace, key } => {
            w.bytes(keyspace.as_bytes()).bytes(key);
        }
        Request::MultiGet { keyspace, keys } => {
            w.bytes(keyspace.as_bytes()).u32(keys.len() as u32);
            for k in keys {
                w.bytes(k);
            }
        }
        Request::Put { keyspace, key, value } => {
            w.bytes(keyspace.as_bytes()).bytes(key).bytes(value);
        }
        Request::Batch(ops) => {
            w.u32(ops.len() as u32);
            for o in ops {
                match o {
                    BatchOp::Put { keyspace, key, value } => {
                        w.u8(1).bytes(keyspace.as_bytes()).bytes(key).bytes(value);
                    }
                    BatchOp::Delete { keyspace, key } => {
                        w.u8(2).bytes(keyspace.as_bytes()).bytes(key);
                    }
                }
            }
        }
        Request::Scan(s) => {
            w.bytes(s.keyspace.as_bytes());
            match &s.range {
                ScanRange::Range { start, end } => {
                    w.u8(1).opt_bytes(start.as_deref()).opt_bytes(end.as_deref());
                }
                ScanRange::Prefix(p) => {
                    w.u8(2).bytes(p);
                }
            }
            w.u32(s.limit).u8(u8::from(s.reverse)).opt_bytes(s.token.as_deref());
        }
        Request::CreateKeyspace(n) | Request::DropKeyspace(n) => {
            w.bytes(n.as_bytes());
        }
        Request::ListKeyspaces | Request::Stats => {}
    }
    w.finish()
}

impl Response {
    /// The whole frame answering request `id`.
    pub fn encode(&self, id: u64) -> Vec<u8> {
        let ty = match self {
            Response::Done => kind::DONE,
            Response::Value(_) => kind::VALUE,
            Response::NotFound => kind::NOT_FOUND,
            Response::Values(_) => kind::VALUES,
            Response::Page { .. } => kind::PAGE,
            Response::Keyspaces(_) => kind::KEYSPACES,
            Response::Text(_) => kind::TEXT,
            Response::Pong(_) => kind::PONG,
            Response::Error { .. } => kind::ERROR,
        };
        let mut w = FrameWriter::new(ty, 0, id);
        match self {
            Response::Done | Response::NotFound => {}
            Response::Value(v) | Response::Pong(v) => {
                w.bytes(v);
            }
            Response::Values(vs) => {
                w.u32(vs.len() as u32);
                for v in vs {
                    w.opt_bytes(v.as_deref());
                }
            }
            Response::Page { entries, token } => {
                w.u32(entries.len() as u32);
                for (k, v) in entries {
                    w.bytes(k).bytes(v);
                }
                w.opt_bytes(token.as_deref());
            }
            Response::Keyspaces(names) => {
                w.u32(names.len() as u32);
                for n in names {
                    w.bytes(n.as_bytes());
                }
            }
            Response::Text(t) => {
                w.bytes(t.as_bytes());
            }
            Response::Error { code, message } => {
                w.u16(code.to_u16()).bytes(message.as_bytes());
            }
        }
        w.finish()
    }
}

// ---------------------------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------------------------

/// Reads a frame's `len` field and checks it against the bound *before* anything is allocated
/// for the rest of the frame. Returns the number of bytes that follow the field.
pub fn check_len(len_field: [u8; LEN_FIELD], frame_len_max: u32) -> Result<usize, DecodeError> {
    let len = u32::from_le_bytes(len_field);
    if (len as usize) < LEN_COUNTED_HEADER {
        return Err(DecodeError::TooShort(len));
    }
    if len > frame_len_max {
        return Err(DecodeError::TooLarge { len, max: frame_len_max });
    }
    Ok(len as usize)
}

/// A frame's fixed header fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub ty: u8,
    pub flags: u8,
    pub id: u64,
}

/// Checks the crc of `rest` (the bytes after the `len` field) and splits it into the header
/// and the body.
pub fn split_frame(rest: &[u8]) -> Result<(Header, &[u8]), DecodeError> {
    let (crc, covered) = rest.split_at_checked(4).ok_or(DecodeError::Truncated)?;
    let (fixed, body) =
        covered.split_at_checked(LEN_COUNTED_HEADER - 4).ok_or(DecodeError::Truncated)?;
    let id_bytes: [u8; 8] =
        fixed.get(4..12).and_then(|b| b.try_into().ok()).ok_or(DecodeError::Truncated)?;
    let header = Header {
        ty: fixed.first().copied().ok_or(DecodeError::Truncated)?,
        flags: fixed.get(1).copied().ok_or(DecodeError::Truncated)?,
        id: u64::from_le_bytes(id_bytes),
    };
    let want: [u8; 4] = crc.try_into().map_err(|_| DecodeError::Truncated)?;
    if crc32fast::hash(covered) != u32::from_le_bytes(want) {
        return Err(DecodeError::Checksum);
    }
    Ok((header, body))
}

/// A bounds-checked reader over a frame body: every length is checked against the bytes left,
/// so nothing is allocated beyond the frame that was already read.
struct Reader<'a> {
    b: ByteReader<'a>,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        self.b.take(n).map_err(|_| DecodeError::Truncated)
    }

    fn u8(&mut self) -> Result<u8, DecodeError> {
        self.b.u8().map_err(|_| DecodeError::Truncated)
    }

    fn u16(&mut self) -> Result<u16, DecodeError> {
        self.b.u16_le().map_err(|_| DecodeError::Truncated)
    }

    fn u32(&mut self) -> Result<u32, DecodeError> {
        self.b.u32_le().map_err(|_| DecodeError::Truncated)
    }

    fn bytes(&mut self) -> Result<Vec<u8>, DecodeError> {
        let n = self.u32()? as usize;
        Ok(self.take(n)?.to_vec())
    }

    fn string(&mut self) -> Result<String, DecodeError> {
        String::from_utf8(self.bytes()?).map_err(|_| DecodeError::BadUtf8)
    }

    fn bool(&mut self) -> Result<bool, DecodeError> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(DecodeError::Invalid("boolean")),
        }
    }

    fn opt_bytes(&mut self) -> Result<Option<Vec<u8>>, DecodeError> {
        Ok(if self.bool()? { Some(self.bytes()?) } else { None })
    }

    /// A count of items each at least `min_item` bytes long: refused when the body is too short
    /// to hold them, so that `Vec::with_capacity(count)` is bounded by the frame.
    fn count(&mut self, min_item: usize) -> Result<usize, DecodeError> {
        let n = self.u32()? as usize;
        if n.saturating_mul(min_item.max(1)) > self.b.remaining() {
            return Err(DecodeError::Truncated);
        }
        Ok(n)
    }

    fn end(self) -> Result<(), DecodeError> {
        if self.b.remaining() == 0 {
            Ok(())
        } else {
            Err(DecodeError::Trailing(self.b.remaining()))
        }
    }
}

/// Decodes a request body of type `ty`.
pub fn decode_request(ty: u8, body: &[u8]) -> Result<Request, DecodeError> {
    let mut r = Reader { b: ByteReader::new(body) };
    let req = match ty {
        op::PING => Request::Ping(r.bytes()?),
        op::GET => Request::Get { keyspace: r.string()?, key: r.bytes()? },
        op::MULTIGET => {
            let keyspace = r.string()?;
            let n = r.count(4)?;
            let mut keys = Vec::with_capacity(n);
            for _ in 0..n {
                keys.push(r.bytes()?);
            }
            Request::MultiGet { keyspace, keys }
        }
        op::PUT => Request::Put { keyspace: r.string()?, key: r.bytes()?, value: r.bytes()? },
        op::DELETE => Request::Delete { keyspace: r.string()?, key: r.bytes()? },
        op::BATCH => {
            let n = r.count(9)?;
            let mut ops = Vec::with_capacity(n);
            for _ in 0..n {
                ops.push(match r.u8()? {
                    1 => BatchOp::Put { keyspace: r.string()?, key: r.bytes()?, value: r.bytes()? },
                    2 => BatchOp::Delete { keyspace: r.string()?, key: r.bytes()? },
                    _ => return Err(DecodeError::Invalid("batch operation")),
                });
            }
            Request::Batch(ops)
        }
        op::SCAN => {
            let keyspace = r.string()?;
            let range = match r.u8()? {
                1 => ScanRange::Range { start: r.opt_bytes()?, end: r.opt_bytes()? },
                2 => ScanRange::Prefix(r.bytes()?),
                _ => return Err(DecodeError::Invalid("scan mode")),
            };
            Request::Scan(Scan {
                keyspace,
                range,
                limit: r.u32()?,
                reverse: r.bool()?,
                token: r.opt_bytes()?,
            })
        }
        op::CREATE_KEYSPACE => Request::CreateKeyspace(r.string()?),
        op::DROP_KEYSPACE => Request::DropKeyspace(r.string()?),
        op::LIST_KEYSPACES => Request::ListKeyspaces,
        op::STATS => Request::Stats,
        t => return Err(DecodeError::UnknownType(t)),
    };
    r.end()?;
    Ok(req)
}

/// Decodes a response body of kind `ty`.
pub fn decode_response(ty: u8, body: &[u8]) -> Result<Response, DecodeError> {
    let mut r = Reader { b: ByteReader::new(body) };
    let resp = match ty {
        kind::DONE => Response::Done,
        kind::VALUE => Response::Value(r.bytes()?),
        kind::NOT_FOUND => Response::NotFound,
        kind::VALUES => {
            let n = r.count(1)?;
            let mut vs = Vec::with_capacity(n);
            for _ in 0..n {
                vs.push(r.opt_bytes()?);
            }
            Response::Values(vs)
        }
        kind::PAGE => {
            let n = r.count(8)?;
            let mut entries = Vec::with_capacity(n);
            for _ in 0..n {
                entries.push((r.bytes()?, r.bytes()?));
            }
            Response::Page { entries, token: r.opt_bytes()? }
        }
        kind::KEYSPACES => {
            let n = r.count(4)?;
            let mut names = Vec::with_capacity(n);
            for _ in 0..n {
                names.push(r.string()?);
            }
            Response::Keyspaces(names)
        }
        kind::TEXT => Response::Text(r.string()?),
        kind::PONG => Response::Pong(r.bytes()?),
        kind::ERROR => {
            Response::Error { code: ErrorCode::from_u16(r.u16()?), message: r.string()? }
        }
        t => return Err(DecodeError::UnknownType(t)),
    };
    r.end()?;
    Ok(resp)
}

/// Checks a whole frame (`len` field included): its length against the bound and the bytes
/// present, then its crc; returns the header and the body.
fn split_whole_frame(frame: &[u8], frame_len_max: u32) -> Result<(Header, &[u8]), DecodeError> {
    let (len_field, rest) = frame.split_at_checked(LEN_FIELD).ok_or(DecodeError::Truncated)?;
    let len = check_len(len_field.try_into().map_err(|_| DecodeError::Truncated)?, frame_len_max)?;
    if rest.len() != len {
        return Err(if rest.len() < len {
            DecodeError::Truncated
        } else {
            DecodeError::Trailing(rest.len() - len)
        });
    }
    split_frame(rest)
}

/// Decodes a whole frame (`len` field included) holding a request: for tests and fuzzing.
pub fn decode_request_frame(
    frame: &[u8],
    frame_len_max: u32,
) -> Result<(Header, Request), DecodeError> {
    let (h, body) = split_whole_frame(frame, frame_len_max)?;
    Ok((h, decode_request(h.ty, body)?))
}

/// Decodes a whole frame holding a response: for tests, the client and fuzzing.
pub fn decode_response_frame(
    frame: &[u8],
    frame_len_max: u32,
) -> Result<(Header, Response), DecodeError> {
    let (h, body) = split_whole_frame(frame, frame_len_max)?;
    Ok((h, decode_response(h.ty, body)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        s.split_whitespace().map(|b| u8::from_str_radix(b, 16).unwrap()).collect()
    }

    #[test]
    fn worked_example_of_docs_protocol_md() {
        let get = Request::Get { keyspace: "default".into(), key: b"k".to_vec() }.encode(1, false);
        assert_eq!(
            get,
            hex("20 00 00 00 8e fb e4 bd 02 00 00 00 01 00 00 00 00 00 00 00 \
                 07 00 00 00 64 65 66 61 75 6c 74 01 00 00 00 6b")
        );
        let put =
            Request::Put { keyspace: "default".into(), key: b"k".to_vec(), value: b"v1".to_vec() }
                .encode(2, true);
        assert_eq!(
            put,
            hex("26 00 00 00 75 22 2a f2 04 01 00 00 02 00 00 00 00 00 00 00 \
                 07 00 00 00 64 65 66 61 75 6c 74 01 00 00 00 6b 02 00 00 00 76 31")
        );
        assert_eq!(hello().to_vec(), hex("53 48 4b 56 01 00 00 00"));
        assert_eq!(
            welcome(None, 16 << 20, 128).to_vec(),
            hex("53 48 4b 56 01 00 00 00 00 00 00 01 80 00 00 00")
        );
    }

    fn requests() -> Vec<Request> {
        vec![
            Request::Ping(b"p".to_vec()),
            Request::Get { keyspace: "ks".into(), key: vec![0, 255] },
            Request::MultiGet { keyspace: "ks".into(), keys: vec![b"a".to_vec(), vec![]] },
            Request::Put { keyspace: "ks".into(), key: b"k".to_vec(), value: vec![7; 300] },
            Request::Delete { keyspace: "ks".into(), key: b"k".to_vec() },
            Request::Batch(vec![
                BatchOp::Put { keyspace: "a".into(), key: b"1".to_vec(), value: b"x".to_vec() },
                BatchOp::Delete { keyspace: "b".into(), key: b"2".to_vec() },
            ]),
            Request::Scan(Scan {
                keyspace: "ks".into(),
                range: ScanRange::Range { start: Some(b"a".to_vec()), end: None },
                limit: 10,
                reverse: true,
                token: Some(b"t".to_vec()),
            }),
            Request::Scan(Scan {
                keyspace: "ks".into(),
                range: ScanRange::Prefix(b"p".to_vec()),
                limit: 0,
                reverse: false,
                token: None,
            }),
            Request::CreateKeyspace("n".into()),
            Request::DropKeyspace("n".into()),
            Request::ListKeyspaces,
            Request::Stats,
        ]
    }

    fn responses() -> Vec<Response> {
        vec![
            Response::Done,
            Response::Value(b"v".to_vec()),
            Response::NotFound,
            Response::Values(vec![Some(b"a".to_vec()), None]),
            Response::Page {
                entries: vec![(b"k".to_vec(), b"v".to_vec())],
                token: Some(b"k".to_vec()),
            },
            Response::Page { entries: vec![], token: None },
            Response::Keyspaces(vec!["default".into(), "x".into()]),
            Response::Text("stats".into()),
            Response::Pong(vec![]),
            Response::Error { code: ErrorCode::Poisoned, message: "no".into() },
            Response::Error { code: ErrorCode::Other(999), message: String::new() },
        ]
    }

    #[test]
    fn every_request_and_response_round_trips() {
        for (i, r) in requests().into_iter().enumerate() {
            let frame = r.encode(i as u64, i % 2 == 0);
            let (h, back) = decode_request_frame(&frame, FRAME_LEN_MAX_DEFAULT).unwrap();
            assert_eq!((h.id, h.flags & FLAG_SYNC != 0, &back), (i as u64, i % 2 == 0, &r));
        }
        for (i, r) in responses().into_iter().enumerate() {
            let frame = r.encode(i as u64);
            let (h, back) = decode_response_frame(&frame, FRAME_LEN_MAX_DEFAULT).unwrap();
            assert_eq!((h.id, &back), (i as u64, &r));
        }
    }

    #[test]
    fn damaged_frames_are_refused_never_panic() {
        for r in requests() {
            let frame = r.encode(5, false);
            // Every truncation, and every single-bit flip, is refused (the crc covers all but len).
            for cut in 0..frame.len() {
                assert!(
                    decode_request_frame(&frame[..cut], FRAME_LEN_MAX_DEFAULT).is_err(),
                    "{r:?} cut {cut}"
                );
            }
            for i in 0..frame.len() * 8 {
                let mut f = frame.clone();
                f[i / 8] ^= 1 << (i % 8);
                assert!(decode_request_frame(&f, FRAME_LEN_MAX_DEFAULT).is_err(), "{r:?} bit {i}");
            }
        }
    }

    #[test]
    fn lengths_are_checked_before_allocation() {
        assert_eq!(check_len(15u32.to_le_bytes(), 100), Err(DecodeError::TooShort(15)));
        assert_eq!(
            check_len(101u32.to_le_bytes(), 100),
            Err(DecodeError::TooLarge { len: 101, max: 100 })
        );
        assert_eq!(check_len(100u32.to_le_bytes(), 100), Ok(100));
        // A count claiming more items than the body can hold is refused before `with_capacity`.
        let mut body = Vec::new();
        body.extend_from_slice(&2u32.to_le_bytes());
        body.extend_from_slice(b"ks");
        body.extend_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(decode_request(op::MULTIGET, &body), Err(DecodeError::Truncated));
        // A byte string longer than what is left.
        let mut body = Vec::new();
        body.extend_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(decode_request(op::PING, &body), Err(DecodeError::Truncated));
        assert_eq!(decode_request(0, &[]), Err(DecodeError::UnknownType(0)));
        assert_eq!(decode_response(0, &[]), Err(DecodeError::UnknownType(0)));
        assert_eq!(decode_request(op::STATS, &[1]), Err(DecodeError::Trailing(1)));
    }
}
