//! SigV4 request authentication.
//!
//! A request is signed either in its `Authorization` header:
//!
//! ```text
//! Authorization: AWS4-HMAC-SHA256 Credential=<key id>/<yyyymmdd>/<region>/<service>/aws4_request,
//!                SignedHeaders=host;x-amz-date, Signature=<64 hex>
//! ```
//!
//! or in a presigned URL's query string (`X-Amz-Algorithm`, `X-Amz-Credential`, `X-Amz-Date`,
//! `X-Amz-Expires`, `X-Amz-SignedHeaders`, `X-Amz-Signature`, `X-Amz-Security-Token`).
//!
//! [`verify::Verifier::verify`] authenticates a request against stored credentials (looked up
//! through [`verify::Keys`]) with AWS's checks, in AWS's order, and AWS's errors
//! ([`AuthError`], worded per service family by [`AuthError::to_aws`]): the signature's parts
//! ([`AuthHeader`]), its date and the clock skew, `host` signed, the credential scope (the
//! endpoint's region, the routed service's signing name, the request's day), the access key
//! id, the session token and its expiry, the payload hash, and the signature itself, recomputed
//! with [`sign`] (checked against AWS's published test suite) and compared in constant time.
//! Derived signing keys are cached per key id, day, region and service, so a request costs one
//! SHA-256 of its body, one of its canonical request (hashed as it is written) and one HMAC.
//!
//! [`client::sign_request`] signs a raw request the way the SDKs do (tests, benchmarks);
//! [`time`] reads and writes `X-Amz-Date`.

pub mod auth_error;
mod cache;
pub mod client;
mod presigned;
pub mod sign;
pub mod time;
pub mod verify;

pub use auth_error::{AuthError, ScopeMismatch};
pub use verify::{
    Credential, Expected, Incoming, Keys, Lookup, Verified, Verifier, VerifierOptions,
};

use crate::{AwsError, Wire};
use http::HeaderMap;

/// The only algorithm AWS's SDKs sign with.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// A parsed `Authorization` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthHeader {
    /// `Credential=`: `<key id>/<date>/<region>/<service>/aws4_request`.
    pub credential: String,
    /// `SignedHeaders=`.
    pub signed_headers: String,
    /// `Signature=`.
    pub signature: String,
}

/// The credential scope's parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope<'a> {
    /// The access key id.
    pub access_key_id: &'a str,
    /// `yyyymmdd`.
    pub date: &'a str,
    /// The region.
    pub region: &'a str,
    /// The service (`dynamodb`, `iam`, `monitoring`…).
    pub service: &'a str,
}

fn param<'a>(params: &'a str, name: &str) -> Option<&'a str> {
    params.split(',').find_map(|kv| kv.trim().strip_prefix(name)?.strip_prefix('='))
}

/// An `Authorization` header's parts, borrowed from it, and its date header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AuthParts<'a> {
    pub credential: &'a str,
    pub signed_headers: &'a str,
    pub signature: &'a str,
}

/// Reads the `Authorization` header: missing, [`AuthError::MissingToken`]; not SigV4 or
/// incomplete, [`AuthError::Incomplete`] naming every missing part.
pub(crate) fn auth_parts(headers: &HeaderMap) -> Result<AuthParts<'_>, AuthError> {
    let Some(auth) = headers.get(http::header::AUTHORIZATION) else {
        return Err(AuthError::MissingToken);
    };
    let date =
        headers.contains_key(&sign::names::X_AMZ_DATE) || headers.contains_key(http::header::DATE);
    auth_parts_of(auth.to_str().unwrap_or(""), date)
}

/// [`auth_parts`] of an `Authorization` header's text, given whether the request has a date
/// header.
pub(crate) fn auth_parts_of(auth: &str, date: bool) -> Result<AuthParts<'_>, AuthError> {
    let Some(params) = auth.strip_prefix("AWS4-HMAC-SHA256 ") else {
        return Err(AuthError::Incomplete(format!(
            "Authorization header requires the '{ALGORITHM}' algorithm. Authorization={auth}"
        )));
    };
    let (credential, signature, signed_headers) =
        (param(params, "Credential"), param(params, "Signature"), param(params, "SignedHeaders"));
    match (credential, signature, signed_headers) {
        (Some(credential), Some(signature), Some(signed_headers)) if date => {
            Ok(AuthParts { credential, signed_headers, signature })
        }
        _ => {
            let mut m = String::new();
            for (p, v) in [
                ("Credential", credential),
                ("Signature", signature),
                ("SignedHeaders", signed_headers),
            ] {
                if v.is_none() {
                    m.push_str(&format!("Authorization header requires '{p}' parameter. "));
                }
            }
            if !date {
                m.push_str(
                    "Authorization header requires existence of either a 'X-Amz-Date' or a \
                     'Date' header. ",
                );
            }
            Err(AuthError::Incomplete(format!("{m}Authorization={auth}")))
        }
    }
}

impl AuthHeader {
    /// Reads and checks the request's `Authorization` header: missing,
    /// `MissingAuthenticationTokenException`; not SigV4 or incomplete,
    /// `IncompleteSignatureException` naming every missing part. (The shape only:
    /// [`verify::Verifier::verify`] authenticates.)
    pub fn parse(headers: &HeaderMap) -> Result<AuthHeader, AwsError> {
        let p = auth_parts(headers).map_err(|e| e.to_aws(Wire::Json10))?;
        Ok(AuthHeader {
            credential: p.credential.to_string(),
            signed_headers: p.signed_headers.to_string(),
            signature: p.signature.to_string(),
        })
    }

    /// The credential's scope, when it has the five parts of one.
    pub fn scope(&self) -> Option<Scope<'_>> {
        split_scope(&self.credential)
    }
}

fn split_scope(credential: &str) -> Option<Scope<'_>> {
    let mut parts = credential.split('/');
    let scope = Scope {
        access_key_id: parts.next()?,
        date: parts.next()?,
        region: parts.next()?,
        service: parts.next()?,
    };
    (parts.next() == Some("aws4_request") && parts.next().is_none()).then_some(scope)
}

/// The service of a presigned request's credential scope (`X-Amz-Credential` in the query
/// string), without checking the rest.
pub fn presigned_scope_service(query: &str) -> Option<String> {
    let (_, credential) =
        form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == "X-Amz-Credential")?;
    Some(split_scope(&credential)?.service.to_string())
}

/// Whether a query string has the parameter `name`.
pub fn has_param(query: &str, name: &str) -> bool {
    form_urlencoded::parse(query.as_bytes()).any(|(k, _)| k == name)
}

/// The service of an `Authorization` header's credential scope, without checking the rest.
pub fn scope_service(authorization: &str) -> Option<&str> {
    let params = authorization.strip_prefix("AWS4-HMAC-SHA256 ")?;
    Some(split_scope(param(params, "Credential")?)?.service)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    const GOOD: &str =
        "AWS4-HMAC-SHA256 Credential=AKID/20261206/us-east-1/dynamodb/aws4_request, \
                        SignedHeaders=host;x-amz-date, Signature=abcd";

    fn with(auth: Option<&str>, date: bool) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Some(a) = auth {
            h.insert("authorization", HeaderValue::from_str(a).unwrap());
        }
        if date {
            h.insert("x-amz-date", HeaderValue::from_static("20261206T000000Z"));
        }
        h
    }

    #[test]
    fn a_complete_header_parses_with_its_scope() {
        let a = AuthHeader::parse(&with(Some(GOOD), true)).unwrap();
        assert_eq!(a.signed_headers, "host;x-amz-date");
        assert_eq!(a.signature, "abcd");
        let s = a.scope().unwrap();
        assert_eq!(
            (s.access_key_id, s.date, s.region, s.service),
            ("AKID", "20261206", "us-east-1", "dynamodb")
        );
        assert_eq!(scope_service(GOOD), Some("dynamodb"));
    }

    #[test]
    fn every_rejection() {
        let e = AuthHeader::parse(&with(None, true)).unwrap_err();
        assert_eq!(e.code, "MissingAuthenticationTokenException");
        let e = AuthHeader::parse(&with(Some("Basic abc"), true)).unwrap_err();
        assert_eq!(e.code, "IncompleteSignatureException");
        assert!(e.message.contains("requires the 'AWS4-HMAC-SHA256' algorithm"));
        let e = AuthHeader::parse(&with(Some("AWS4-HMAC-SHA256 Credential=a"), false)).unwrap_err();
        assert!(e.message.contains("requires 'Signature' parameter."));
        assert!(e.message.contains("requires 'SignedHeaders' parameter."));
        assert!(!e.message.contains("requires 'Credential'"));
        assert!(e.message.contains("'X-Amz-Date' or a 'Date' header"));
        assert!(AuthHeader::parse(&with(Some(GOOD), false)).is_err(), "no date header");
    }

    #[test]
    fn malformed_scopes_have_none() {
        for c in ["AKID", "AKID/d/r/s", "AKID/d/r/s/aws4_request/x", "AKID/d/r/s/other"] {
            let a = AuthHeader {
                credential: c.into(),
                signed_headers: String::new(),
                signature: String::new(),
            };
            assert_eq!(a.scope(), None, "{c}");
        }
        assert_eq!(scope_service("Basic x"), None);
        let q = "Action=GetCallerIdentity&X-Amz-Credential=AKID%2F20261206%2Fus-east-1%2Fsts%2Faws4_request";
        assert_eq!(presigned_scope_service(q).as_deref(), Some("sts"));
        assert!(has_param(q, "Action") && !has_param(q, "Nope"));
        assert_eq!(presigned_scope_service("X-Amz-Credential=a%2Fb"), None);
    }
}
