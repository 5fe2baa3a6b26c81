//! The key-value wire protocol's codec: handshake, frames, requests and responses. The
//! specification, with its worked hex example (checked by `tests::worked_example_of_docs_protocol_md`),
//! is `docs/protocol.md`, included here:
//!
#![doc = include_str!("../../../../docs/protocol.md")]

use std::fmt;

mod decode;
mod encode;

pub use decode::{decode_request, decode_response};

/// The handshake's magic bytes.
pub const MAGIC: [u8; 4] = *b"SHKV";

/// The newest protocol version, the one this code speaks: a nonce in WELCOME, then AUTH.
pub const VERSION: u16 = 2;

/// The first protocol version: no nonce, no AUTH. Served only by a server with `--auth none`.
pub const VERSION_1: u16 = 1;

/// Length of the client's HELLO.
pub const HELLO_LEN: usize = 8;

/// Length of a version-1 WELCOME, and of every refusal: the part every version shares.
pub const WELCOME_LEN: usize = 16;

/// Length of the server's nonce, which follows the 16 bytes in an accepted version-2 WELCOME.
pub const NONCE_LEN: usize = 32;

/// Length of an accepted version-2 WELCOME.
pub const WELCOME_V2_LEN: usize = WELCOME_LEN + NONCE_LEN;

/// What AUTH's signature covers before the nonce and the access key id.
pub const AUTH_SIGNATURE_PREFIX: &[u8] = b"SHKV-AUTH-v2\n";

/// The bound on a frame's `len` until AUTH has succeeded (at most `frame_len_max`): a client
/// that has not authenticated cannot make the server allocate a large body.
pub const AUTH_FRAME_LEN_MAX: u32 = 64 << 10;

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

const _: () = assert!(WELCOME_V2_LEN == 48);

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
    pub const AUTH: u8 = 12;
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
    /// The server authenticates its clients and the HELLO asked for version 1 (a WELCOME
    /// refusal), or a request came before AUTH (the connection is closed after this answer).
    AuthRequired,
    /// AUTH did not authenticate: the connection is closed after this answer.
    AuthFailed,
    /// The caller's policies do not allow the request; the connection stays open.
    AccessDenied,
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
            ErrorCode::AuthRequired => 50,
            ErrorCode::AuthFailed => 51,
            ErrorCode::AccessDenied => 52,
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
            50 => ErrorCode::AuthRequired,
            51 => ErrorCode::AuthFailed,
            52 => ErrorCode::AccessDenied,
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

/// An AUTH request: who the client is, and its proof. `Debug` hides the token and signature.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthRequest {
    pub access_key_id: String,
    /// The session token of temporary credentials.
    pub session_token: Option<Vec<u8>>,
    /// [`auth_signature`] of the secret access key, the server's nonce and the key id.
    pub signature: Vec<u8>,
}

impl fmt::Debug for AuthRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthRequest")
            .field("access_key_id", &self.access_key_id)
            .field("session_token", &self.session_token.as_ref().map(|_| "<redacted>"))
            .field("signature", &"<redacted>")
            .finish()
    }
}

impl AuthRequest {
    /// The AUTH of `access_key_id` with `secret_access_key` (and the session token of temporary
    /// credentials), for the server's `nonce`.
    pub fn sign(
        access_key_id: &str,
        secret_access_key: &str,
        session_token: Option<&str>,
        nonce: &[u8; NONCE_LEN],
    ) -> AuthRequest {
        AuthRequest {
            access_key_id: access_key_id.to_string(),
            session_token: session_token.map(|t| t.as_bytes().to_vec()),
            signature: auth_signature(secret_access_key.as_bytes(), nonce, access_key_id).to_vec(),
        }
    }
}

/// AUTH's signature: HMAC-SHA256 with the secret access key's bytes as the key, of
/// `"SHKV-AUTH-v2\n"`, the 32-byte nonce and the access key id's bytes.
pub fn auth_signature(secret: &[u8], nonce: &[u8; NONCE_LEN], access_key_id: &str) -> [u8; 32] {
    shale_aws::sigv4::sign::hmac_parts(
        secret,
        &[AUTH_SIGNATURE_PREFIX, nonce, access_key_id.as_bytes()],
    )
}

/// A request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    Ping(Vec<u8>),
    Get {
        keyspace: String,
        key: Vec<u8>,
    },
    MultiGet {
        keyspace: String,
        keys: Vec<Vec<u8>>,
    },
    Put {
        keyspace: String,
        key: Vec<u8>,
        value: Vec<u8>,
    },
    Delete {
        keyspace: String,
        key: Vec<u8>,
    },
    Batch(Vec<BatchOp>),
    Scan(Scan),
    CreateKeyspace(String),
    DropKeyspace(String),
    ListKeyspaces,
    Stats,
    /// The first request of a version-2 connection.
    Auth(AuthRequest),
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

/// The client's HELLO, asking for `version`.
pub fn hello(version: u16) -> [u8; HELLO_LEN] {
    let mut h = [0u8; HELLO_LEN];
    h[..4].copy_from_slice(&MAGIC);
    h[4..6].copy_from_slice(&version.to_le_bytes());
    h
}

/// The 16 bytes every WELCOME starts with (all of a version-1 WELCOME, and of a refusal):
/// `refusal` `None` accepts the connection. `version` is the connection's version when
/// accepted, [`VERSION`] when refused.
pub fn welcome(
    version: u16,
    refusal: Option<ErrorCode>,
    frame_len_max: u32,
    inflight_max: u32,
) -> [u8; WELCOME_LEN] {
    let mut w = [0u8; WELCOME_LEN];
    w[..4].copy_from_slice(&MAGIC);
    w[4..6].copy_from_slice(&version.to_le_bytes());
    w[6..8].copy_from_slice(&refusal.map_or(0, ErrorCode::to_u16).to_le_bytes());
    w[8..12].copy_from_slice(&frame_len_max.to_le_bytes());
    w[12..16].copy_from_slice(&inflight_max.to_le_bytes());
    w
}

/// An accepted version-2 WELCOME: the 16 bytes, then the server's nonce.
pub fn welcome_v2(
    frame_len_max: u32,
    inflight_max: u32,
    nonce: &[u8; NONCE_LEN],
) -> [u8; WELCOME_V2_LEN] {
    let mut w = [0u8; WELCOME_V2_LEN];
    w[..WELCOME_LEN].copy_from_slice(&welcome(VERSION, None, frame_len_max, inflight_max));
    w[WELCOME_LEN..].copy_from_slice(nonce);
    w
}

/// Whether the server speaks `version`.
pub fn speaks(version: u16) -> bool {
    version == VERSION_1 || version == VERSION
}

/// Whether an accepted WELCOME of `version` is followed by a nonce.
pub fn has_nonce(version: u16) -> bool {
    version >= VERSION
}

/// The version a HELLO asks for, if its magic is right.
pub fn parse_hello(h: &[u8; HELLO_LEN]) -> Option<u16> {
    let [m0, m1, m2, m3, v0, v1, _, _] = *h;
    ([m0, m1, m2, m3] == MAGIC).then(|| u16::from_le_bytes([v0, v1]))
}

/// What a WELCOME's first 16 bytes say (an accepted version-2 WELCOME's nonce follows them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Welcome {
    /// The connection's version when accepted; the server's newest when refused.
    pub version: u16,
    /// Why the server refused the connection (it closes it), if it did.
    pub refusal: Option<ErrorCode>,
    pub frame_len_max: u32,
    pub inflight_max: u32,
}

/// Parses a WELCOME's first 16 bytes, if its magic is right.
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

// ---------------------------------------------------------------------------------------------
// Frames: length checks and splitting (the bodies are decoded in `decode.rs`)
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
mod tests;
