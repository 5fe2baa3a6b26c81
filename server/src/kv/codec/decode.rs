//! Decoding request and response bodies: every length is checked against the bytes left.

use super::*;
use crate::byte_reader::ByteReader;

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
        op::AUTH => Request::Auth(AuthRequest {
            access_key_id: r.string()?,
            session_token: r.opt_bytes()?,
            signature: r.bytes()?,
        }),
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
