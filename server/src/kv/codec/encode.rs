//! Encoding requests and responses into frames.

use super::*;

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
        Request::Auth(_) => op::AUTH,
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
        Request::Auth(a) => {
            w.bytes(a.access_key_id.as_bytes())
                .opt_bytes(a.session_token.as_deref())
                .bytes(&a.signature);
        }
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
