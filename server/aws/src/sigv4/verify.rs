//! [`Verifier`]: authenticates a request's SigV4 signature against stored credentials.
//!
//! The checks, in AWS's order (each failure is AWS's error, see [`AuthError`]):
//!
//! 1. A signature at all: an `Authorization` header, or a presigned URL's `X-Amz-Signature`
//!    (else `MissingAuthenticationToken`).
//! 2. Its parts: `AWS4-HMAC-SHA256`, `Credential`, `SignedHeaders`, `Signature` and a date
//!    (`X-Amz-Date`, else `Date`), or the presigned URL's `X-Amz-*` parameters
//!    (`IncompleteSignature`).
//! 3. The date: ISO 8601 basic format (`IncompleteSignature`), within the allowed clock skew of
//!    now, or for a presigned URL not past `X-Amz-Date + X-Amz-Expires` (`InvalidSignature`:
//!    `Signature expired: … is now earlier than … (… - 15 min.)`).
//! 4. `host` among the signed headers (`InvalidSignature`).
//! 5. The credential: five `/`-separated parts (`IncompleteSignature`), scoped to the expected
//!    region, the routed service's signing name, `aws4_request` and the request's day
//!    (`InvalidSignature`, every difference named).
//! 6. The access key id known (`UnrecognizedClient`), the session token the credential's
//!    (`UnrecognizedClient`), the credential not expired (`ExpiredToken`).
//! 7. `x-amz-content-sha256`, when sent, the body's SHA-256 (`InvalidSignature`); a presigned
//!    URL may declare `UNSIGNED-PAYLOAD` instead (header or `X-Amz-Content-Sha256`).
//! 8. The signature: recomputed (the canonical request hashed as it is written, a cached
//!    signing key, one HMAC) and compared in constant time (`InvalidSignature`).

use super::auth_error::MSG_SIGNATURE_MISMATCH;
use super::cache::{KeyCache, Slot};
use super::sign::names::{X_AMZ_CONTENT_SHA256, X_AMZ_DATE, X_AMZ_SECURITY_TOKEN};
use super::sign::{
    bytes_match, canonical_request_sha256, hex32, signature_of_hash, Canonical, SigningKey,
    UNSIGNED_PAYLOAD,
};
use super::time::{amz_date_of_secs, parse_amz_date_secs, unix_secs};
use super::{auth_parts_of, presigned, AuthError, ScopeMismatch, ALGORITHM};
use http::header::{HeaderName, AUTHORIZATION, DATE};
use http::HeaderMap;
use sha2::{Digest, Sha256};
use std::fmt;
use std::time::{Duration, SystemTime};

/// The default of [`VerifierOptions::clock_skew_max`]: AWS's 15 minutes.
pub const CLOCK_SKEW_MAX_DEFAULT: Duration = Duration::from_secs(15 * 60);
/// The default of [`VerifierOptions::presigned_expires_max`]: AWS's 7 days.
pub const PRESIGNED_EXPIRES_MAX_DEFAULT: Duration = Duration::from_secs(7 * 24 * 3600);
/// The default of [`VerifierOptions::key_cache_entries_max`].
pub const KEY_CACHE_ENTRIES_MAX_DEFAULT: usize = 4096;

/// A stored credential, as the key lookup returns it. Its `Debug` hides the secret and token.
#[derive(Clone)]
pub struct Credential<P> {
    /// The secret access key (shared: a lookup need not copy it).
    pub secret: std::sync::Arc<str>,
    /// The session token, required (and only allowed) when `Some`.
    pub session_token: Option<String>,
    /// When the credential stops being valid.
    pub expires: Option<SystemTime>,
    /// Whatever the caller wants back on success.
    pub principal: P,
}

impl<P: fmt::Debug> fmt::Debug for Credential<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credential")
            .field("secret", &"<redacted>")
            .field("session_token", &self.session_token.as_ref().map(|_| "<redacted>"))
            .field("expires", &self.expires)
            .field("principal", &self.principal)
            .finish()
    }
}

/// What the key lookup found.
#[derive(Debug)]
pub enum Lookup<P> {
    /// The access key id's credential.
    Found(Credential<P>),
    /// No such access key id.
    Unknown,
}

/// The store of credentials, by access key id.
pub trait Keys {
    /// What a verified request's credential stands for.
    type Principal;
    /// The credential of `access_key_id`.
    fn lookup(&self, access_key_id: &str) -> Lookup<Self::Principal>;
}

/// What is verified.
#[derive(Debug, Clone, Copy)]
pub struct Incoming<'a> {
    /// The HTTP method.
    pub method: &'a str,
    /// The path as sent, percent-encoded.
    pub path: &'a str,
    /// The query string as sent, without `?`.
    pub query: &'a str,
    /// The request's headers.
    pub headers: &'a HeaderMap,
    /// The whole body.
    pub body: &'a [u8],
}

/// What the request must be scoped to.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    /// The endpoint's region.
    pub region: &'a str,
    /// The signing name of the service the request is routed to: `dynamodb`, `iam`, `sts`,
    /// `monitoring`.
    pub service: &'a str,
}

/// How a [`Verifier`] verifies.
#[derive(Debug, Clone, Copy)]
pub struct VerifierOptions {
    /// How far a request's date may be from now (default 15 minutes, AWS's).
    pub clock_skew_max: Duration,
    /// The longest `X-Amz-Expires` of a presigned URL (default 7 days, AWS's).
    pub presigned_expires_max: Duration,
    /// The most derived signing keys cached, one per (access key id, day, region, service);
    /// a full cache drops an arbitrary key to take a new one (default 4096).
    pub key_cache_entries_max: usize,
}

impl Default for VerifierOptions {
    fn default() -> VerifierOptions {
        VerifierOptions {
            clock_skew_max: CLOCK_SKEW_MAX_DEFAULT,
            presigned_expires_max: PRESIGNED_EXPIRES_MAX_DEFAULT,
            key_cache_entries_max: KEY_CACHE_ENTRIES_MAX_DEFAULT,
        }
    }
}

/// A verified request: who signed it, and for what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified<P> {
    /// The credential's principal.
    pub principal: P,
    /// The access key id that signed. (The scope's region and service are the
    /// [`Expected`] ones: any other is refused.)
    pub access_key_id: String,
    /// Whether it was signed in its query string.
    pub presigned: bool,
}

/// Verifies requests' signatures, caching derived signing keys. Shared by every connection.
pub struct Verifier {
    options: VerifierOptions,
    cache: KeyCache,
}

/// A signature's claims, wherever they were sent.
struct Claim<'a> {
    credential: &'a str,
    signed_headers: &'a str,
    signature: &'a str,
    amz_date: &'a str,
    session_token: Option<&'a [u8]>,
    /// A presigned URL's `X-Amz-Content-Sha256`.
    content_sha256: Option<&'a str>,
    presigned: bool,
}

const MSG_HOST_NOT_SIGNED: &str =
    "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.";
const MSG_CONTENT_SHA256_MISMATCH: &str =
    "The provided 'x-amz-content-sha256' header does not match what was computed.";

/// `15 min` (whole minutes) or `61 sec`, as the skew messages word a window.
fn window(secs: u64) -> String {
    if secs.is_multiple_of(60) {
        format!("{} min", secs / 60)
    } else {
        format!("{secs} sec")
    }
}

fn bad_date(date: &str) -> AuthError {
    AuthError::Incomplete(format!(
        "Date must be in ISO-8601 'basic format'. Got '{date}'. See http://en.wikipedia.org/wiki/ISO_8601"
    ))
}

/// `Signature expired: <date> is now earlier than <now - window> (<now> - <window>.)`.
fn expired(amz_date: &str, now: u64, window_secs: u64) -> AuthError {
    AuthError::InvalidSignature(format!(
        "Signature expired: {amz_date} is now earlier than {} ({} - {}.)",
        amz_date_of_secs(now.saturating_sub(window_secs)),
        amz_date_of_secs(now),
        window(window_secs)
    ))
}

/// `Signature not yet current: <date> is still later than <now + skew> (<now> + <skew>.)`.
fn not_yet_current(amz_date: &str, now: u64, skew_secs: u64) -> AuthError {
    AuthError::InvalidSignature(format!(
        "Signature not yet current: {amz_date} is still later than {} ({} + {}.)",
        amz_date_of_secs(now.saturating_add(skew_secs)),
        amz_date_of_secs(now),
        window(skew_secs)
    ))
}

fn header_str<'a>(headers: &'a HeaderMap, name: &HeaderName) -> Option<&'a str> {
    headers.get(name).map(|v| v.to_str().unwrap_or(""))
}

impl Verifier {
    /// A verifier with `options`.
    pub fn new(options: VerifierOptions) -> Verifier {
        Verifier { options, cache: KeyCache::new(options.key_cache_entries_max) }
    }

    /// Its options.
    pub fn options(&self) -> &VerifierOptions {
        &self.options
    }

    /// How many derived signing keys are cached now.
    pub fn cached_keys(&self) -> usize {
        self.cache.len()
    }

    /// Verifies the request's SigV4 signature: the `Authorization` header, or a presigned query
    /// string (`X-Amz-Algorithm`, `X-Amz-Credential`, `X-Amz-Date`, `X-Amz-Expires`,
    /// `X-Amz-SignedHeaders`, `X-Amz-Signature`, `X-Amz-Security-Token`; its canonical query
    /// leaves out `X-Amz-Signature`, and its payload hash is the body's unless it declares
    /// `UNSIGNED-PAYLOAD`). See the module doc for the checks.
    pub fn verify<K: Keys>(
        &self,
        req: &Incoming,
        expected: &Expected,
        now: SystemTime,
        keys: &K,
    ) -> Result<Verified<K::Principal>, AuthError> {
        let now = unix_secs(now);
        let skew = self.options.clock_skew_max.as_secs();
        if let Some(auth) = req.headers.get(AUTHORIZATION) {
            let date =
                header_str(req.headers, &X_AMZ_DATE).or_else(|| header_str(req.headers, &DATE));
            let parts = auth_parts_of(auth.to_str().unwrap_or(""), date.is_some())?;
            let amz_date = date.unwrap_or("");
            let date_secs = parse_amz_date_secs(amz_date).ok_or_else(|| bad_date(amz_date))?;
            if date_secs.saturating_add(skew) < now {
                return Err(expired(amz_date, now, skew));
            }
            if date_secs > now.saturating_add(skew) {
                return Err(not_yet_current(amz_date, now, skew));
            }
            let claim = Claim {
                credential: parts.credential,
                signed_headers: parts.signed_headers,
                signature: parts.signature,
                amz_date,
                session_token: req.headers.get(&X_AMZ_SECURITY_TOKEN).map(|v| v.as_bytes()),
                content_sha256: None,
                presigned: false,
            };
            return self.check(req, expected, now, keys, &claim);
        }
        if !presigned::is_presigned(req.query) {
            return Err(AuthError::MissingToken);
        }
        let p = presigned::parse(req.query)?;
        if p.algorithm != ALGORITHM {
            return Err(AuthError::Incomplete(format!(
                "Unsupported AWS 'algorithm': '{}' (only {ALGORITHM} for now). ",
                p.algorithm
            )));
        }
        let date_secs = parse_amz_date_secs(&p.date).ok_or_else(|| bad_date(&p.date))?;
        let lifetime = match &p.expires {
            None => skew,
            Some(e) => self.expires_secs(e)?,
        };
        if date_secs > now.saturating_add(skew) {
            return Err(not_yet_current(&p.date, now, skew));
        }
        if date_secs.saturating_add(lifetime) < now {
            return Err(expired(&p.date, now, lifetime));
        }
        let claim = Claim {
            credential: &p.credential,
            signed_headers: &p.signed_headers,
            signature: &p.signature,
            amz_date: &p.date,
            session_token: p
                .security_token
                .as_deref()
                .map(str::as_bytes)
                .or_else(|| req.headers.get(&X_AMZ_SECURITY_TOKEN).map(|v| v.as_bytes())),
            content_sha256: p.content_sha256.as_deref(),
            presigned: true,
        };
        self.check(req, expected, now, keys, &claim)
    }

    /// `X-Amz-Expires` in seconds: a whole number from 1 to `presigned_expires_max`.
    fn expires_secs(&self, raw: &str) -> Result<u64, AuthError> {
        let max = self.options.presigned_expires_max.as_secs();
        match raw.parse::<i64>() {
            Err(_) => Err(AuthError::Incomplete("X-Amz-Expires should be a number".into())),
            Ok(n) if n < 1 => Err(AuthError::Incomplete("X-Amz-Expires must be positive".into())),
            Ok(n) => match u64::try_from(n) {
                Ok(n) if n <= max => Ok(n),
                _ => {
                    let span = if max == PRESIGNED_EXPIRES_MAX_DEFAULT.as_secs() {
                        "a week".to_string()
                    } else {
                        window(max)
                    };
                    Err(AuthError::Incomplete(format!(
                        "X-Amz-Expires must be less than {span} (in seconds) that is {max}"
                    )))
                }
            },
        }
    }

    /// Steps 4 to 8 (see the module doc), wherever the signature was sent.
    fn check<K: Keys>(
        &self,
        req: &Incoming,
        expected: &Expected,
        now: u64,
        keys: &K,
        claim: &Claim,
    ) -> Result<Verified<K::Principal>, AuthError> {
        if !claim.signed_headers.split(';').any(|h| h.eq_ignore_ascii_case("host")) {
            return Err(AuthError::InvalidSignature(MSG_HOST_NOT_SIGNED.into()));
        }
        let mut parts = claim.credential.split('/');
        let (Some(key_id), Some(date), Some(region), Some(service), Some(term), None) =
            (parts.next(), parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(AuthError::Incomplete(format!(
                "Credential must have exactly 5 slash-delimited elements, e.g. \
                 keyid/date/region/service/term, got '{}'",
                claim.credential
            )));
        };
        let day = claim.amz_date.get(..8).unwrap_or(claim.amz_date);
        let mismatch = ScopeMismatch {
            region: (region != expected.region).then(|| region.to_string()),
            service: (service != expected.service).then(|| expected.service.to_string()),
            terminator: (term != "aws4_request").then(|| term.to_string()),
            date: (date != day)
                .then(|| (date.to_string(), day.to_string(), claim.amz_date.to_string())),
        };
        if !mismatch.is_empty() {
            return Err(AuthError::BadScope(Box::new(mismatch)));
        }
        let Lookup::Found(credential) = keys.lookup(key_id) else {
            return Err(AuthError::UnrecognizedClient);
        };
        let token_ok = match (credential.session_token.as_deref(), claim.session_token) {
            (None, None) => true,
            (Some(stored), Some(sent)) => bytes_match(stored.as_bytes(), sent),
            _ => false,
        };
        if !token_ok {
            return Err(AuthError::UnrecognizedClient);
        }
        if credential.expires.is_some_and(|e| now >= unix_secs(e)) {
            return Err(AuthError::ExpiredToken);
        }
        let payload = payload_hash(req, claim.presigned, claim.content_sha256)?;
        let payload = match &payload {
            Some(hex) => std::str::from_utf8(hex).unwrap_or(""),
            None => UNSIGNED_PAYLOAD,
        };
        let slot = Slot::new(key_id, date, region, service, &credential.secret);
        let key = match self.cache.get(&slot) {
            Some(k) => k,
            None => {
                let k = SigningKey::derive(&credential.secret, date, region, service);
                self.cache.put(&slot, &k);
                k
            }
        };
        let canonical = Canonical {
            method: req.method,
            path: req.path,
            query: req.query,
            skip_param: claim.presigned.then_some(presigned::SIGNATURE_PARAM),
            signed_headers: claim.signed_headers,
            payload_sha256: payload,
        };
        let mismatch = || AuthError::InvalidSignature(MSG_SIGNATURE_MISMATCH.into());
        // A signed header the request lacks cannot give the signature the client computed.
        let hash = canonical_request_sha256(&canonical, req.headers).map_err(|_| mismatch())?;
        // The scope as signed: the credential after the key id.
        let scope = claim.credential.get(key_id.len() + 1..).unwrap_or("");
        let computed = hex32(&signature_of_hash(&key, claim.amz_date, scope, &hash));
        if !bytes_match(&computed, claim.signature.as_bytes()) {
            return Err(mismatch());
        }
        Ok(Verified {
            principal: credential.principal,
            access_key_id: key_id.to_string(),
            presigned: claim.presigned,
        })
    }
}

/// The payload hash to sign with: the body's hex SHA-256, checked against the hash the client
/// declares (`x-amz-content-sha256`, or a presigned URL's `X-Amz-Content-Sha256` parameter);
/// `None` for `UNSIGNED-PAYLOAD`, which only a presigned URL may declare (as S3-style
/// presigners do; the SDKs' presigners for the other services sign the body's hash, the empty
/// body's for a `GET`).
fn payload_hash(
    req: &Incoming,
    presigned: bool,
    declared_in_query: Option<&str>,
) -> Result<Option<[u8; 64]>, AuthError> {
    let declared = req
        .headers
        .get(&X_AMZ_CONTENT_SHA256)
        .map(|v| v.as_bytes())
        .or(declared_in_query.map(str::as_bytes));
    // Only a presigned GET without a body may leave its payload unsigned: a body (a JSON
    // operation, a query form) must always be covered by the signature.
    if presigned
        && declared == Some(UNSIGNED_PAYLOAD.as_bytes())
        && req.method == "GET"
        && req.body.is_empty()
    {
        return Ok(None);
    }
    let body = hex32(&Sha256::digest(req.body).into());
    match declared {
        Some(d) if d != body.as_slice() => {
            Err(AuthError::InvalidSignature(MSG_CONTENT_SHA256_MISMATCH.into()))
        }
        _ => Ok(Some(body)),
    }
}

#[cfg(test)]
#[path = "verify_tests.rs"]
mod tests;
