//! [`AuthError`]: why a request's SigV4 authentication failed, and how each family of AWS
//! services words it.
//!
//! | error | JSON services (DynamoDB, Streams, CloudWatch JSON/CBOR): `com.amazon.coral.service#…`, HTTP 400 | query services (IAM, STS) |
//! |---|---|---|
//! | [`AuthError::MissingToken`] | `MissingAuthenticationTokenException` | `MissingAuthenticationToken`, 403 |
//! | [`AuthError::Incomplete`] | `IncompleteSignatureException` | `IncompleteSignature`, 400 |
//! | [`AuthError::InvalidSignature`], [`AuthError::BadScope`] | `InvalidSignatureException` | `SignatureDoesNotMatch`, 403 |
//! | [`AuthError::UnrecognizedClient`] | `UnrecognizedClientException` | `InvalidClientTokenId`, 403 |
//! | [`AuthError::ExpiredToken`] | `ExpiredTokenException` | `ExpiredToken`, 403 |
//!
//! DynamoDB answers every authentication error with HTTP 400 (its documented status for them);
//! the query services with 403 but for `IncompleteSignature` (AWS's common errors). The
//! messages are AWS's; a scope's wrong region is worded per family: DynamoDB names it
//! (`Credential should be scoped to a valid region, not 'eu-west-1'. `), STS and IAM do not
//! (`Credential should be scoped to a valid region. `).

use crate::error::CORAL_SERVICE;
use crate::{AwsError, Wire};
use std::fmt;

/// `UnrecognizedClientException` / `InvalidClientTokenId`'s message.
pub const MSG_INVALID_TOKEN: &str = "The security token included in the request is invalid.";
/// `ExpiredTokenException` / `ExpiredToken`'s message.
pub const MSG_EXPIRED_TOKEN: &str = "The security token included in the request is expired";
/// `MissingAuthenticationTokenException`'s message.
pub const MSG_MISSING_TOKEN: &str = "Request is missing Authentication Token";
/// A signature that is not the one the server computes.
pub const MSG_SIGNATURE_MISMATCH: &str = "The request signature we calculated does not match the \
     signature you provided. Check your AWS Secret Access Key and signing method. Consult the \
     service documentation for details.";

/// How a credential scope (`<key id>/<date>/<region>/<service>/<terminator>`) differs from what
/// the request should be scoped to; every part that differs is named.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ScopeMismatch {
    /// The scope's region, when it is not the endpoint's.
    pub region: Option<String>,
    /// The service the scope should name, when it names another.
    pub service: Option<String>,
    /// The scope's terminator, when it is not `aws4_request`.
    pub terminator: Option<String>,
    /// The scope's date, when it is not the request date's `YYYYMMDD`: `(scope date, request
    /// date's YYYYMMDD, request date)`.
    pub date: Option<(String, String, String)>,
}

impl ScopeMismatch {
    /// Whether nothing differs.
    pub fn is_empty(&self) -> bool {
        self.region.is_none()
            && self.service.is_none()
            && self.terminator.is_none()
            && self.date.is_none()
    }

    /// AWS's message: one sentence per part that differs, each ending `. `; `name_region`
    /// names the wrong region as DynamoDB does.
    pub fn message(&self, name_region: bool) -> String {
        let mut m = String::new();
        if let Some(region) = &self.region {
            if name_region {
                m.push_str(&format!(
                    "Credential should be scoped to a valid region, not '{region}'. "
                ));
            } else {
                m.push_str("Credential should be scoped to a valid region. ");
            }
        }
        if let Some(service) = &self.service {
            m.push_str(&format!("Credential should be scoped to correct service: '{service}'. "));
        }
        if let Some(term) = &self.terminator {
            m.push_str(&format!(
                "Credential should be scoped with a valid terminator: 'aws4_request', not '{term}'. "
            ));
        }
        if let Some((scope, day, date)) = &self.date {
            m.push_str(&format!(
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date \
                 from HTTP: '{scope}' != '{day}', from '{date}'. "
            ));
        }
        m
    }
}

/// Why a request's SigV4 authentication failed. Nothing here holds a secret or the signature
/// the server computed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthError {
    /// No `Authorization` header and no `X-Amz-Signature` query parameter.
    MissingToken,
    /// The signature's parts are missing or malformed (AWS's message).
    Incomplete(String),
    /// The signature does not verify: wrong signature, clock skew, an expired presigned URL,
    /// `host` not signed, a payload hash that is not the body's (AWS's message).
    InvalidSignature(String),
    /// The credential scope is not the endpoint's region, the routed service, `aws4_request` or
    /// the request's date.
    BadScope(Box<ScopeMismatch>),
    /// The access key id is unknown, or the session token is missing, not the credential's, or
    /// sent for a credential without one.
    UnrecognizedClient,
    /// The credential (its session) has expired.
    ExpiredToken,
}

impl AuthError {
    /// The error in the form of the service family answering: JSON services (DynamoDB,
    /// Streams, CloudWatch JSON/CBOR) vs query services (IAM, STS).
    pub fn to_aws(&self, wire: Wire) -> AwsError {
        let query = matches!(wire, Wire::Query { .. });
        let (json_code, query_code, query_status) = match self {
            AuthError::MissingToken => {
                ("MissingAuthenticationTokenException", "MissingAuthenticationToken", 403)
            }
            AuthError::Incomplete(_) => {
                ("IncompleteSignatureException", "IncompleteSignature", 400)
            }
            AuthError::InvalidSignature(_) | AuthError::BadScope(_) => {
                ("InvalidSignatureException", "SignatureDoesNotMatch", 403)
            }
            AuthError::UnrecognizedClient => {
                ("UnrecognizedClientException", "InvalidClientTokenId", 403)
            }
            AuthError::ExpiredToken => ("ExpiredTokenException", "ExpiredToken", 403),
        };
        let message = match self {
            AuthError::MissingToken => MSG_MISSING_TOKEN.to_string(),
            AuthError::Incomplete(m) | AuthError::InvalidSignature(m) => m.clone(),
            AuthError::BadScope(s) => s.message(!query),
            AuthError::UnrecognizedClient => MSG_INVALID_TOKEN.to_string(),
            AuthError::ExpiredToken => MSG_EXPIRED_TOKEN.to_string(),
        };
        if query {
            AwsError::sender(query_code, message).with_status(query_status)
        } else {
            AwsError::sender(json_code, message).in_namespace(CORAL_SERVICE)
        }
    }
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let e = self.to_aws(Wire::Json10);
        write!(f, "{}: {}", e.code, e.message)
    }
}

impl std::error::Error for AuthError {}

#[cfg(test)]
mod tests {
    use super::*;

    const IAM: Wire = Wire::Query { xmlns: "https://iam.amazonaws.com/doc/2010-05-08/" };

    #[test]
    fn each_family_words_each_error() {
        let cases = [
            (
                AuthError::MissingToken,
                "MissingAuthenticationTokenException",
                "MissingAuthenticationToken",
                403,
            ),
            (
                AuthError::Incomplete("x".into()),
                "IncompleteSignatureException",
                "IncompleteSignature",
                400,
            ),
            (
                AuthError::InvalidSignature("x".into()),
                "InvalidSignatureException",
                "SignatureDoesNotMatch",
                403,
            ),
            (
                AuthError::UnrecognizedClient,
                "UnrecognizedClientException",
                "InvalidClientTokenId",
                403,
            ),
            (AuthError::ExpiredToken, "ExpiredTokenException", "ExpiredToken", 403),
        ];
        for (e, json, query, status) in cases {
            for wire in [Wire::Json10, Wire::RpcV2Cbor] {
                let a = e.to_aws(wire);
                assert_eq!(a.type_name(), format!("com.amazon.coral.service#{json}"));
                assert_eq!(a.status, 400, "{json}");
            }
            let a = e.to_aws(IAM);
            assert_eq!((a.code.as_ref(), a.status, a.namespace.clone()), (query, status, None));
            assert_eq!(a.message, e.to_aws(Wire::Json10).message);
        }
        assert_eq!(
            AuthError::UnrecognizedClient.to_aws(IAM).message,
            "The security token included in the request is invalid."
        );
        assert_eq!(
            AuthError::ExpiredToken.to_aws(Wire::Json10).message,
            "The security token included in the request is expired"
        );
        assert_eq!(
            AuthError::MissingToken.to_string(),
            "MissingAuthenticationTokenException: Request is missing Authentication Token"
        );
    }

    #[test]
    fn scope_messages() {
        let s = ScopeMismatch {
            region: Some("c".into()),
            service: Some("dynamodb".into()),
            terminator: Some("e".into()),
            date: Some(("b".into(), "20130609".into(), "20130609T095204Z".into())),
        };
        assert_eq!(
            AuthError::BadScope(Box::new(s.clone())).to_aws(Wire::Json10).message,
            "Credential should be scoped to a valid region, not 'c'. \
             Credential should be scoped to correct service: 'dynamodb'. \
             Credential should be scoped with a valid terminator: 'aws4_request', not 'e'. \
             Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from \
             HTTP: 'b' != '20130609', from '20130609T095204Z'. "
        );
        let sts = ScopeMismatch {
            region: Some("us-west-2".into()),
            service: Some("sts".into()),
            ..Default::default()
        };
        let a = AuthError::BadScope(Box::new(sts)).to_aws(IAM);
        assert_eq!(a.code, "SignatureDoesNotMatch");
        assert_eq!(
            a.message,
            "Credential should be scoped to a valid region. \
             Credential should be scoped to correct service: 'sts'. "
        );
        assert!(ScopeMismatch::default().is_empty() && !s.is_empty());
    }
}
