//! The SigV4 `Authorization` header:
//!
//! ```text
//! Authorization: AWS4-HMAC-SHA256 Credential=<key id>/<yyyymmdd>/<region>/<service>/aws4_request,
//!                SignedHeaders=host;x-amz-date, Signature=<64 hex>
//! ```
//!
//! Today the header's shape is checked (every part present, a date header beside it) and any
//! credentials are accepted. [`sign`] recomputes a request's signature (checked against AWS's
//! published test suite); verifying requests with it against stored credentials comes with
//! access control.

pub mod sign;

use crate::AwsError;
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

impl AuthHeader {
    /// Reads and checks the request's `Authorization` header: missing,
    /// `MissingAuthenticationTokenException`; not SigV4 or incomplete,
    /// `IncompleteSignatureException` naming every missing part.
    pub fn parse(headers: &HeaderMap) -> Result<AuthHeader, AwsError> {
        let Some(auth) = headers.get("authorization") else {
            return Err(AwsError::missing_authentication_token());
        };
        let auth = auth.to_str().unwrap_or("");
        let Some(params) = auth.strip_prefix("AWS4-HMAC-SHA256 ") else {
            return Err(AwsError::incomplete_signature(format!(
                "Authorization header requires the '{ALGORITHM}' algorithm. Authorization={auth}"
            )));
        };
        let mut missing = Vec::new();
        for p in ["Credential", "Signature", "SignedHeaders"] {
            if param(params, p).is_none() {
                missing.push(format!("Authorization header requires '{p}' parameter."));
            }
        }
        if !headers.contains_key("x-amz-date") && !headers.contains_key("date") {
            missing.push(
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
                    .into(),
            );
        }
        if !missing.is_empty() {
            return Err(AwsError::incomplete_signature(format!(
                "{} Authorization={auth}",
                missing.join(" ")
            )));
        }
        let get = |p| param(params, p).unwrap_or("").to_string();
        Ok(AuthHeader {
            credential: get("Credential"),
            signed_headers: get("SignedHeaders"),
            signature: get("Signature"),
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
    }
}
