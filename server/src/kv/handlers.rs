//! Executes decoded key-value requests against the engine. Engine calls block (a sync write
//! waits for an fsync), so the server runs [`Handler::handle`] on a blocking thread.

use super::codec::{BatchOp, ErrorCode, Request, Response, Scan, ScanRange};
use crate::bounds::{max_lower, min_upper};
use shale_engine::{Db, Error, IterOptions, Keyspace, WriteBatch, WriteOptions};
use std::collections::HashMap;
use std::ops::Bound;

/// Bytes a response needs beyond its entries (header and counts), kept free under the frame
/// bound when a SCAN or MULTIGET fills its response.
const RESPONSE_OVERHEAD: usize = 64;
/// Bytes each entry of a PAGE costs beyond its key and value (two length fields).
const PAGE_ENTRY_OVERHEAD: usize = 8;

/// Turns requests into responses.
pub struct Handler {
    db: Db,
    /// Most entries one SCAN page returns (a request's limit of 0 asks for this many).
    scan_limit_max: u32,
    /// Responses stay below this many bytes (the protocol's frame bound).
    frame_len_max: u32,
}

/// Keyspaces under a reserved namespace ([`crate::namespace`]) belong to a service: the
/// key-value protocol neither lists nor touches them, so it cannot break the service's
/// encodings.
fn is_reserved(name: &str) -> bool {
    crate::namespace::reserved_by(name).is_some()
}

/// An engine error as the protocol reports it.
pub fn error_response(e: &Error) -> Response {
    let code = match e {
        Error::Io(_) => ErrorCode::Io,
        Error::Corruption(_) => ErrorCode::Corruption,
        // A keyspace dropped under a request is, to the protocol, a refused argument.
        Error::InvalidArgument(_) | Error::KeyspaceDropped(_) => ErrorCode::InvalidArgument,
        Error::NotFound(_) => ErrorCode::NoSuchKeyspace,
        Error::AlreadyExists(_) => ErrorCode::KeyspaceExists,
        Error::Poisoned(_) => ErrorCode::Poisoned,
        _ => ErrorCode::Internal,
    };
    let message = match e {
        // Worded as it was when a dropped keyspace was an invalid argument.
        Error::KeyspaceDropped(_) => format!("invalid argument: {e}"),
        e => e.to_string(),
    };
    Response::Error { code, message }
}

fn invalid(message: impl Into<String>) -> Response {
    Response::Error { code: ErrorCode::InvalidArgument, message: message.into() }
}

impl Handler {
    pub fn new(db: Db, scan_limit_max: u32, frame_len_max: u32) -> Self {
        Handler { db, scan_limit_max: scan_limit_max.max(1), frame_len_max }
    }

    /// The database.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The database, to close it.
    pub fn into_db(self) -> Db {
        self.db
    }

    /// A keyspace by name; the gateway's keyspaces do not exist for this protocol.
    fn keyspace(&self, name: &str) -> Result<Keyspace, Error> {
        if is_reserved(name) {
            return Err(Error::NotFound(format!("keyspace {name:?}")));
        }
        self.db.keyspace(name)
    }

    fn response_budget(&self) -> usize {
        (self.frame_len_max as usize).saturating_sub(RESPONSE_OVERHEAD)
    }

    /// Executes one request; `sync` makes writes durable before the answer.
    pub fn handle(&self, req: Request, sync: bool) -> Response {
        match self.try_handle(req, WriteOptions { sync }) {
            Ok(r) => r,
            Err(e) => error_response(&e),
        }
    }

    fn try_handle(&self, req: Request, wo: WriteOptions) -> Result<Response, Error> {
        Ok(match req {
            Request::Ping(b) => Response::Pong(b),
            Request::Get { keyspace, key } => {
                let ks = self.keyspace(&keyspace)?;
                match self.db.get(&ks, &key)? {
                    Some(v) if v.len() > self.response_budget() => {
                        invalid(format!("the value ({} bytes) does not fit in a frame", v.len()))
                    }
                    Some(v) => Response::Value(v),
                    None => Response::NotFound,
                }
            }
            Request::MultiGet { keyspace, keys } => {
                let ks = self.keyspace(&keyspace)?;
                // One engine multi_get: the block reads of all the keys go out together.
                let refs: Vec<&[u8]> = keys.iter().map(Vec::as_slice).collect();
                let values = self.db.multi_get(&ks, &refs)?;
                let size: usize = values.iter().map(|v| 5 + v.as_ref().map_or(0, Vec::len)).sum();
                if size > self.response_budget() {
                    return Ok(invalid("the values do not fit in one frame: ask for fewer keys"));
                }
                Response::Values(values)
            }
            Request::Put { keyspace, key, value } => {
                let ks = self.keyspace(&keyspace)?;
                self.db.put_with(&ks, &key, &value, wo)?;
                Response::Done
            }
            Request::Delete { keyspace, key } => {
                let ks = self.keyspace(&keyspace)?;
                self.db.delete_with(&ks, &key, wo)?;
                Response::Done
            }
            Request::Batch(ops) => {
                let mut handles: HashMap<String, Keyspace> = HashMap::new();
                let mut batch = WriteBatch::new();
                for op in &ops {
                    let name = match op {
                        BatchOp::Put { keyspace, .. } | BatchOp::Delete { keyspace, .. } => {
                            keyspace
                        }
                    };
                    if !handles.contains_key(name) {
                        handles.insert(name.clone(), self.keyspace(name)?);
                    }
                    let Some(ks) = handles.get(name) else { continue };
                    match op {
                        BatchOp::Put { key, value, .. } => batch.put(ks, key, value),
                        BatchOp::Delete { key, .. } => batch.delete(ks, key),
                    };
                }
                self.db.write(batch, wo)?;
                Response::Done
            }
            Request::Scan(s) => self.scan(s)?,
            Request::CreateKeyspace(name) => {
                if let Some(ns) = crate::namespace::reserved_by(&name) {
                    return Ok(invalid(format!(
                        "keyspace names starting with {:?} are reserved for {}",
                        ns.prefix, ns.owner
                    )));
                }
                self.db.create_keyspace(&name)?;
                Response::Done
            }
            Request::DropKeyspace(name) => {
                let ks = self.keyspace(&name)?;
                self.db.drop_keyspace(&ks)?;
                Response::Done
            }
            Request::ListKeyspaces => Response::Keyspaces(
                self.db.list_keyspaces().into_iter().filter(|k| !is_reserved(k)).collect(),
            ),
            Request::Stats => Response::Text(self.db.stats().to_string()),
            // The connection answers AUTH (`super::auth`); it never reaches the engine.
            Request::Auth(_) => invalid("AUTH is answered by the connection, not run"),
        })
    }

    /// One page of a scan: up to `limit` entries that fit in a frame, and a continuation token
    /// (the last key returned) when more may follow.
    fn scan(&self, s: Scan) -> Result<Response, Error> {
        let ks = self.keyspace(&s.keyspace)?;
        let mut opts = match s.range {
            ScanRange::Range { start, end } => IterOptions {
                lower: start.map_or(Bound::Unbounded, Bound::Included),
                upper: end.map_or(Bound::Unbounded, Bound::Excluded),
                reverse: false,
            },
            ScanRange::Prefix(p) => IterOptions::prefix(p),
        };
        if let Some(t) = s.token {
            // Resume after the token, never outside the requested range.
            if s.reverse {
                opts.upper = min_upper(opts.upper, Bound::Excluded(t));
            } else {
                opts.lower = max_lower(opts.lower, Bound::Excluded(t));
            }
        }
        opts.reverse = s.reverse;
        let limit =
            if s.limit == 0 { self.scan_limit_max } else { s.limit.min(self.scan_limit_max) };
        let budget = self.response_budget();
        let mut it = self.db.iter(&ks, opts)?;
        let mut entries: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
        let mut size = 0usize;
        let mut more = false;
        while it.advance()? {
            let cost = PAGE_ENTRY_OVERHEAD + it.key().len() + it.value().len();
            if entries.len() as u64 >= u64::from(limit) || size + cost + it.key().len() > budget {
                more = true;
                break;
            }
            size += cost;
            entries.push((it.key().to_vec(), it.value().to_vec()));
        }
        if entries.is_empty() && more {
            return Ok(invalid("the next entry does not fit in a frame"));
        }
        let token = if more { entries.last().map(|(k, _)| k.clone()) } else { None };
        Ok(Response::Page { entries, token })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shale_engine::fs::MemFs;
    use shale_engine::Options;
    use std::sync::Arc;

    fn handler(frame_len_max: u32) -> Handler {
        let db =
            Db::open("/db", Options { fs: Arc::new(MemFs::new()), ..Options::default() }).unwrap();
        Handler::new(db, 3, frame_len_max)
    }

    fn put(h: &Handler, k: &str, v: &str) {
        let r = h.handle(
            Request::Put { keyspace: "default".into(), key: k.into(), value: v.into() },
            false,
        );
        assert_eq!(r, Response::Done);
    }

    fn page(
        h: &Handler,
        range: ScanRange,
        reverse: bool,
        token: Option<Vec<u8>>,
    ) -> (Vec<String>, Option<Vec<u8>>) {
        let r = h.handle(
            Request::Scan(Scan { keyspace: "default".into(), range, limit: 0, reverse, token }),
            false,
        );
        match r {
            Response::Page { entries, token } => {
                (entries.into_iter().map(|(k, _)| String::from_utf8(k).unwrap()).collect(), token)
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn scans_page_with_tokens_in_both_directions_and_stay_in_range() {
        let h = handler(1 << 20);
        for k in ["a1", "a2", "a3", "a4", "a5", "b1", "b2"] {
            put(&h, k, "v");
        }
        let prefix = || ScanRange::Prefix(b"a".to_vec());
        let (p1, t1) = page(&h, prefix(), false, None);
        assert_eq!(p1, ["a1", "a2", "a3"]);
        let (p2, t2) = page(&h, prefix(), false, t1);
        assert_eq!((p2, t2), (vec!["a4".to_string(), "a5".to_string()], None));
        let (r1, rt) = page(&h, prefix(), true, None);
        assert_eq!(r1, ["a5", "a4", "a3"]);
        assert_eq!(page(&h, prefix(), true, rt).0, ["a2", "a1"]);
        // A forged token below the range does not widen it.
        assert_eq!(page(&h, prefix(), false, Some(b"0".to_vec())).0, ["a1", "a2", "a3"]);
        let range = ScanRange::Range { start: Some(b"a4".to_vec()), end: Some(b"b2".to_vec()) };
        assert_eq!(page(&h, range, false, None).0, ["a4", "a5", "b1"]);
    }

    #[test]
    fn responses_stay_below_the_frame_bound() {
        let h = handler(300);
        for i in 0..5 {
            put(&h, &format!("k{i}"), &"x".repeat(100));
        }
        let (keys, token) = page(&h, ScanRange::Range { start: None, end: None }, false, None);
        assert!(keys.len() < 3 && token.is_some(), "{keys:?}");
        put(&h, "big", &"y".repeat(1000));
        let r = h.handle(Request::Get { keyspace: "default".into(), key: b"big".to_vec() }, false);
        assert!(matches!(r, Response::Error { code: ErrorCode::InvalidArgument, .. }), "{r:?}");
    }

    #[test]
    fn engine_errors_map_to_codes() {
        let h = handler(1 << 20);
        h.db().create_keyspace("dynamo.t.1").unwrap();
        for req in [
            Request::Get { keyspace: "dynamo.t.1".into(), key: b"k".to_vec() },
            Request::CreateKeyspace("dynamo.x".into()),
            Request::DropKeyspace("dynamo.t.1".into()),
        ] {
            assert!(matches!(h.handle(req, false), Response::Error { .. }));
        }
        assert!(
            matches!(h.handle(Request::ListKeyspaces, false), Response::Keyspaces(k) if !k.iter().any(|k| k.starts_with("dynamo.")))
        );
        let r = h.handle(Request::Get { keyspace: "nope".into(), key: b"k".to_vec() }, false);
        assert!(matches!(r, Response::Error { code: ErrorCode::NoSuchKeyspace, .. }), "{r:?}");
        assert_eq!(h.handle(Request::CreateKeyspace("t".into()), false), Response::Done);
        let r = h.handle(Request::CreateKeyspace("t".into()), false);
        assert!(matches!(r, Response::Error { code: ErrorCode::KeyspaceExists, .. }), "{r:?}");
        let batch = Request::Batch(vec![
            BatchOp::Put { keyspace: "t".into(), key: b"x".to_vec(), value: b"1".to_vec() },
            BatchOp::Put { keyspace: "missing".into(), key: b"x".to_vec(), value: b"1".to_vec() },
        ]);
        assert!(matches!(
            h.handle(batch, true),
            Response::Error { code: ErrorCode::NoSuchKeyspace, .. }
        ));
        // All or nothing: the first put of the refused batch is not there.
        let r = h.handle(Request::Get { keyspace: "t".into(), key: b"x".to_vec() }, false);
        assert_eq!(r, Response::NotFound);
    }
}
