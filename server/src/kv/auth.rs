//! Authentication and authorization on the key-value protocol (`docs/protocol.md`,
//! "Authentication" and "Authorization").
//!
//! A version-2 connection starts with AUTH. The server looks its access key id up among the
//! keys the HTTP front door verifies SigV4 signatures against (the root's, IAM users' and STS
//! sessions', through [`Authenticator`]'s [`Keys`]), checks the session token, the signature
//! over the connection's nonce and the expiry, all in constant time, and makes the
//! connection's [`Caller`]. Every later request is authorized with that caller by the IAM policy
//! engine ([`Caller::authorize`]): action `shale:<Op>`, resource
//! `arn:shale:kv:REGION:ACCOUNT:keyspace/NAME` (or `*` for server-wide requests).
//!
//! IAM changes reach open connections: when the store's generation moves on, the key is looked
//! up again (a deleted or deactivated key closes the connection) and the policies are resolved
//! again. Temporary credentials stop working at their expiry, on an open connection too.

use super::codec::{self, AuthRequest, BatchOp, ErrorCode, Request, Response, NONCE_LEN};
use crate::http::Auth;
use crate::iam::caller::{Authenticator, Caller, KeyOwner};
use shale_aws::sigv4::sign::bytes_match;
use shale_aws::sigv4::verify::{Keys, Lookup};
use std::collections::HashSet;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::SystemTime;

/// AUTH_FAILED's message whatever failed (never more detail).
pub const MSG_AUTH_FAILED: &str =
    "authentication failed: the access key id, session token or signature is not valid";
/// AUTH_FAILED's message for temporary credentials past their expiry.
pub const MSG_EXPIRED: &str = "the security token included in the request is expired";
/// AUTH_REQUIRED's message for a request before AUTH.
pub const MSG_AUTH_REQUIRED: &str =
    "authentication required: a connection's first request must be AUTH";
/// INVALID_ARGUMENT's message for a second AUTH.
pub const MSG_ALREADY_AUTHENTICATED: &str = "the connection is already authenticated";

/// How the key-value front door authenticates its clients.
#[derive(Debug, Clone)]
pub enum KvAuth {
    /// `--auth sigv4`: version 1 is refused; AUTH is verified against the root credentials and
    /// IAM's keys and sessions; every request is authorized by the caller's policies.
    SigV4(Arc<Authenticator>),
    /// `--auth none`: version 1 is served without AUTH, AUTH accepts any credentials, and the
    /// anonymous caller may do everything.
    None {
        /// The account the anonymous caller belongs to.
        account: String,
    },
}

impl KvAuth {
    /// The mode of the HTTP front door's `auth`, with the same authenticator.
    pub fn of(http: &Auth) -> KvAuth {
        match http {
            Auth::SigV4 { authenticator, .. } => KvAuth::SigV4(Arc::clone(authenticator)),
            Auth::None { account } => KvAuth::None { account: account.clone() },
        }
    }

    /// Whether a HELLO asking for `version` is refused with AUTH_REQUIRED (version 1, which has
    /// no AUTH, when clients must authenticate).
    pub fn refuses(&self, version: u16) -> bool {
        matches!(self, KvAuth::SigV4(_)) && version < codec::VERSION
    }
}

/// What the connection does with a request.
#[derive(Debug)]
pub enum Admit {
    /// Serve it.
    Serve(Request),
    /// Send this answer instead, and read on.
    Answer(Vec<u8>),
    /// Send this answer instead, then close the connection.
    Close(Vec<u8>),
}

/// One connection's authentication: before AUTH, and the caller after it.
pub struct Gate {
    auth: Arc<KvAuth>,
    /// The WELCOME's nonce (version 2).
    nonce: Option<[u8; NONCE_LEN]>,
    peer: Option<IpAddr>,
    secure: bool,
    session: Option<Session>,
}

impl std::fmt::Debug for Gate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gate")
            .field("peer", &self.peer)
            .field("authenticated", &self.session.as_ref().map(|s| &s.caller.identity.arn))
            .finish_non_exhaustive()
    }
}

/// An authenticated connection's caller.
struct Session {
    caller: Caller,
    /// The verified key (`--auth sigv4`), checked again when IAM changes.
    key: Option<VerifiedKey>,
}

/// What was verified at AUTH, to check it again later. No secret is kept.
struct VerifiedKey {
    access_key_id: String,
    owner: KeyOwner,
    expires: Option<SystemTime>,
    /// The IAM store's generation the caller was resolved at.
    generation: u64,
}

/// Why AUTH (or a later check of its key) failed: each closes the connection.
enum Failure {
    /// Anything about the key id, token or signature: one message for all.
    Invalid,
    /// Temporary credentials past their expiry.
    Expired,
    /// The caller's policies could not be resolved.
    Internal(String),
}

impl Failure {
    fn frame(&self, id: u64) -> Vec<u8> {
        let (code, message) = match self {
            Failure::Invalid => (ErrorCode::AuthFailed, MSG_AUTH_FAILED.to_string()),
            Failure::Expired => (ErrorCode::AuthFailed, MSG_EXPIRED.to_string()),
            Failure::Internal(m) => (ErrorCode::Internal, m.clone()),
        };
        Response::Error { code, message }.encode(id)
    }
}

fn expired(expires: Option<SystemTime>) -> bool {
    expires.is_some_and(|e| SystemTime::now() >= e)
}

impl Gate {
    /// The gate of a connection speaking `version`, whose WELCOME carried `nonce` (version 2),
    /// from `peer`, over TLS when `secure`. A version-1 connection (served only by `--auth
    /// none`) is authenticated from the start, as the anonymous caller.
    pub fn new(
        auth: Arc<KvAuth>,
        version: u16,
        nonce: Option<[u8; NONCE_LEN]>,
        peer: Option<IpAddr>,
        secure: bool,
    ) -> Gate {
        let session = match (&*auth, version) {
            (KvAuth::None { account }, v) if v < codec::VERSION => {
                Some(Session { caller: Caller::anonymous(account, peer, secure), key: None })
            }
            _ => None,
        };
        Gate { auth, nonce, peer, secure, session }
    }

    /// Whether AUTH has succeeded.
    pub fn authenticated(&self) -> bool {
        self.session.is_some()
    }

    /// The bound on the next frame's `len`: `configured`, or less before AUTH has succeeded.
    pub fn frame_len_max(&self, configured: u32) -> u32 {
        if self.authenticated() {
            configured
        } else {
            configured.min(codec::AUTH_FRAME_LEN_MAX)
        }
    }

    /// Decides what happens to request `id`: AUTH is answered here; any other request is
    /// served only after AUTH, and only when the caller's policies allow it.
    pub fn admit(&mut self, id: u64, request: Request) -> Admit {
        let Some(session) = &mut self.session else {
            let Request::Auth(auth) = request else {
                let message = MSG_AUTH_REQUIRED.to_string();
                return Admit::Close(
                    Response::Error { code: ErrorCode::AuthRequired, message }.encode(id),
                );
            };
            return match self.authenticate(&auth) {
                Ok(session) => {
                    self.session = Some(session);
                    Admit::Answer(Response::Done.encode(id))
                }
                Err(f) => Admit::Close(f.frame(id)),
            };
        };
        if let Request::Auth(_) = request {
            let message = MSG_ALREADY_AUTHENTICATED.to_string();
            return Admit::Answer(
                Response::Error { code: ErrorCode::InvalidArgument, message }.encode(id),
            );
        }
        if let (KvAuth::SigV4(a), Some(key)) = (&*self.auth, &mut session.key) {
            if let Err(f) = recheck(a, key, &mut session.caller, self.peer, self.secure) {
                return Admit::Close(f.frame(id));
            }
        }
        match authorize(&self.auth, &mut session.caller, &request) {
            Ok(()) => Admit::Serve(request),
            Err(message) => {
                Admit::Answer(Response::Error { code: ErrorCode::AccessDenied, message }.encode(id))
            }
        }
    }

    /// Verifies AUTH: the key, its session token (required exactly when the credential has
    /// one), the signature over this connection's nonce, then the expiry.
    fn authenticate(&self, req: &AuthRequest) -> Result<Session, Failure> {
        let account = match &*self.auth {
            KvAuth::None { account } => account,
            KvAuth::SigV4(a) => return self.authenticate_sigv4(a, req),
        };
        if self.nonce.is_none() {
            return Err(Failure::Invalid);
        }
        Ok(Session { caller: Caller::anonymous(account, self.peer, self.secure), key: None })
    }

    fn authenticate_sigv4(&self, a: &Authenticator, req: &AuthRequest) -> Result<Session, Failure> {
        let Some(nonce) = &self.nonce else { return Err(Failure::Invalid) };
        // Read before the lookup: a change made after it is noticed at the next request.
        let generation = a.store().generation();
        let cred = match a.lookup(&req.access_key_id) {
            Lookup::Found(c) => c,
            Lookup::Unknown => {
                // The same work as for a known key, so that timing does not tell them apart.
                let _ = codec::auth_signature(b"", nonce, &req.access_key_id);
                return Err(Failure::Invalid);
            }
        };
        let token_ok = match (&cred.session_token, &req.session_token) {
            (None, None) => true,
            (Some(want), Some(got)) => bytes_match(want.as_bytes(), got),
            _ => false,
        };
        let want = codec::auth_signature(cred.secret.as_bytes(), nonce, &req.access_key_id);
        let signature_ok = bytes_match(&want, &req.signature);
        if !(token_ok & signature_ok) {
            return Err(Failure::Invalid);
        }
        // Only a caller holding the secret learns that the credentials have expired.
        if expired(cred.expires) {
            return Err(Failure::Expired);
        }
        let owner = cred.principal;
        let caller = a.caller(owner.clone(), self.peer, self.secure).map_err(Failure::Internal)?;
        let key = VerifiedKey {
            access_key_id: req.access_key_id.clone(),
            owner,
            expires: cred.expires,
            generation,
        };
        Ok(Session { caller, key: Some(key) })
    }
}

/// Checks an authenticated connection's key before each request: temporary credentials
/// expire; after an IAM change, the key must still exist (and be active) for the same owner,
/// and the caller's policies are resolved again.
fn recheck(
    a: &Authenticator,
    key: &mut VerifiedKey,
    caller: &mut Caller,
    peer: Option<IpAddr>,
    secure: bool,
) -> Result<(), Failure> {
    if expired(key.expires) {
        return Err(Failure::Expired);
    }
    let generation = a.store().generation();
    if generation == key.generation {
        return Ok(());
    }
    match a.lookup(&key.access_key_id) {
        Lookup::Found(c) if c.principal.principal == key.owner.principal => {}
        _ => return Err(Failure::Invalid),
    }
    *caller = a.caller(key.owner.clone(), peer, secure).map_err(Failure::Internal)?;
    key.generation = generation;
    Ok(())
}

/// Asks the caller's policies about every action and resource `request` needs; the refusal's
/// message is AWS's.
fn authorize(auth: &KvAuth, caller: &mut Caller, request: &Request) -> Result<(), String> {
    if caller.is_unrestricted() {
        return Ok(());
    }
    let KvAuth::SigV4(a) = auth else { return Ok(()) };
    let needs = requirements(request);
    if needs.is_empty() {
        return Ok(());
    }
    let account = a.store().account();
    caller.now = SystemTime::now();
    let context = caller.context();
    for (action, keyspace) in needs {
        let resource = match keyspace {
            Some(name) => keyspace_arn(&account.region, &account.id, name),
            None => "*".to_string(),
        };
        caller.authorize(action, &resource, &context).map_err(|d| d.message)?;
    }
    Ok(())
}

/// A keyspace's ARN: `arn:shale:kv:REGION:ACCOUNT:keyspace/NAME`.
pub fn keyspace_arn(region: &str, account: &str, keyspace: &str) -> String {
    format!("arn:shale:kv:{region}:{account}:keyspace/{keyspace}")
}

/// The actions a request needs, each with the keyspace it applies to (`None`: the server-wide
/// resource `*`). PING and AUTH need none; a BATCH needs `shale:Write` on every keyspace it
/// touches (each once, in order of first appearance).
pub fn requirements(request: &Request) -> Vec<(&'static str, Option<&str>)> {
    match request {
        Request::Ping(_) | Request::Auth(_) => Vec::new(),
        Request::Get { keyspace, .. } => vec![("shale:Get", Some(keyspace))],
        Request::MultiGet { keyspace, .. } => vec![("shale:MultiGet", Some(keyspace))],
        Request::Put { keyspace, .. } => vec![("shale:Put", Some(keyspace))],
        Request::Delete { keyspace, .. } => vec![("shale:Delete", Some(keyspace))],
        Request::Batch(ops) => {
            let mut seen = HashSet::new();
            let mut needs = Vec::new();
            for op in ops {
                let (BatchOp::Put { keyspace, .. } | BatchOp::Delete { keyspace, .. }) = op;
                if seen.insert(keyspace.as_str()) {
                    needs.push(("shale:Write", Some(keyspace.as_str())));
                }
            }
            needs
        }
        Request::Scan(s) => vec![("shale:Scan", Some(&s.keyspace))],
        Request::CreateKeyspace(name) => vec![("shale:CreateKeyspace", Some(name))],
        Request::DropKeyspace(name) => vec![("shale:DropKeyspace", Some(name))],
        Request::ListKeyspaces => vec![("shale:ListKeyspaces", None)],
        Request::Stats => vec![("shale:Stats", None)],
    }
}

#[cfg(test)]
mod tests;
