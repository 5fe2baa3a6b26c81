//! Protocol detection: which of AWS's wire protocols a request speaks, decided from its method,
//! path and headers before its body is read.
//!
//! | protocol | how it is recognised | payload | services |
//! |---|---|---|---|
//! | AWS JSON 1.0 | `POST`, `X-Amz-Target: <Prefix>.<Operation>`, `Content-Type: application/x-amz-json-1.0` (or `application/json`) | JSON | DynamoDB, DynamoDB Streams, CloudWatch |
//! | query | `POST`, `Content-Type: application/x-www-form-urlencoded` | form in (`Action=…&Version=…`), XML out | IAM, STS, CloudWatch |
//! | Smithy RPC v2 CBOR | `POST /service/<Service>/operation/<Operation>`, `smithy-protocol: rpc-v2-cbor` | CBOR | CloudWatch |
//!
//! A query request names its operation in the body (`Action`), so detection gives the protocol
//! and, from the SigV4 credential scope, the service; the front door reads `Action` after the
//! body.

use http::{HeaderMap, Method};

/// The protocols' header names and values.
pub const TARGET_HEADER: &str = "x-amz-target";
/// Header that marks an RPC v2 CBOR request and answer.
pub const SMITHY_PROTOCOL_HEADER: &str = "smithy-protocol";
/// Its value.
pub const RPC_V2_CBOR: &str = "rpc-v2-cbor";
/// Content type of AWS JSON 1.0.
pub const JSON_1_0_CONTENT_TYPE: &str = "application/x-amz-json-1.0";
/// Content type of a query-protocol request.
pub const FORM_CONTENT_TYPE: &str = "application/x-www-form-urlencoded";
/// Content type of a query-protocol answer.
pub const XML_CONTENT_TYPE: &str = "text/xml";
/// Content type of an RPC v2 CBOR request and answer.
pub const CBOR_CONTENT_TYPE: &str = "application/cbor";

/// How an answer is encoded: the protocol of the request it answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wire {
    /// AWS JSON 1.0.
    Json10,
    /// The query protocol; `xmlns` is the service's XML namespace
    /// (e.g. `https://iam.amazonaws.com/doc/2010-05-08/`).
    Query {
        /// The XML namespace of the service's answers.
        xmlns: &'static str,
    },
    /// Smithy RPC v2 CBOR.
    RpcV2Cbor,
}

/// What detection found, borrowed from the request's path and headers (nothing is allocated).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detected<'r> {
    /// `GET /`: the health line.
    Health,
    /// AWS JSON 1.0: the `X-Amz-Target` prefix (which names the service and its API version,
    /// e.g. `DynamoDB_20120810`) and the operation.
    Json10 {
        /// The target prefix, before the last `.`.
        prefix: &'r str,
        /// The operation, after it.
        operation: &'r str,
    },
    /// The query protocol; the service from the SigV4 credential scope when the request has one.
    Query {
        /// The scope's service (`iam`, `sts`, `monitoring`), if the header names one.
        scope_service: Option<&'r str>,
    },
    /// Smithy RPC v2 CBOR: the service and operation from the path.
    RpcV2Cbor {
        /// The path's service name (e.g. `GraniteServiceVersion20100801`).
        service: &'r str,
        /// The path's operation name.
        operation: &'r str,
    },
    /// None of them: answered as an unknown operation in JSON 1.0 (what DynamoDB, the
    /// endpoint's first service, answers).
    Unknown,
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The base media type of `Content-Type` (parameters dropped), if there is one.
pub fn content_type(headers: &HeaderMap) -> Option<&str> {
    header(headers, "content-type").map(|ct| ct.split(';').next().unwrap_or("").trim())
}

/// Decides the protocol of a request from its method, path and headers.
pub fn detect<'r>(method: &Method, path: &'r str, headers: &'r HeaderMap) -> Detected<'r> {
    if method == Method::GET && path == "/" {
        return Detected::Health;
    }
    if method != Method::POST {
        return Detected::Unknown;
    }
    if header(headers, SMITHY_PROTOCOL_HEADER) == Some(RPC_V2_CBOR) {
        return match rpc_v2_path(path) {
            Some((service, operation)) => Detected::RpcV2Cbor { service, operation },
            None => Detected::Unknown,
        };
    }
    if let Some(target) = header(headers, TARGET_HEADER) {
        let json = match content_type(headers) {
            None => true,
            Some(ct) => ct == JSON_1_0_CONTENT_TYPE || ct == "application/json",
        };
        return match target.rsplit_once('.') {
            Some((prefix, operation)) if json && !prefix.is_empty() && !operation.is_empty() => {
                Detected::Json10 { prefix, operation }
            }
            _ => Detected::Unknown,
        };
    }
    if content_type(headers) == Some(FORM_CONTENT_TYPE) {
        let scope_service = header(headers, "authorization").and_then(crate::sigv4::scope_service);
        return Detected::Query { scope_service };
    }
    Detected::Unknown
}

/// `/service/<Service>/operation/<Operation>` split into its two names.
fn rpc_v2_path(path: &str) -> Option<(&str, &str)> {
    let rest = path.strip_prefix("/service/")?;
    let (service, rest) = rest.split_once('/')?;
    let operation = rest.strip_prefix("operation/")?;
    let ok = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    (ok(service) && ok(operation)).then_some((service, operation))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn json_1_0_by_target() {
        let h = headers(&[
            ("x-amz-target", "DynamoDB_20120810.PutItem"),
            ("content-type", "application/x-amz-json-1.0"),
        ]);
        assert_eq!(
            detect(&Method::POST, "/", &h),
            Detected::Json10 { prefix: "DynamoDB_20120810", operation: "PutItem" }
        );
        let h = headers(&[("x-amz-target", "DynamoDB_20120810.GetItem")]);
        assert!(matches!(detect(&Method::POST, "/", &h), Detected::Json10 { .. }), "no type");
        let h = headers(&[
            ("x-amz-target", "DynamoDB_20120810.GetItem"),
            ("content-type", "application/json; charset=utf-8"),
        ]);
        assert!(matches!(detect(&Method::POST, "/", &h), Detected::Json10 { .. }));
    }

    #[test]
    fn json_with_another_content_type_or_a_bad_target_is_unknown() {
        let h = headers(&[
            ("x-amz-target", "DynamoDB_20120810.GetItem"),
            ("content-type", "text/plain"),
        ]);
        assert_eq!(detect(&Method::POST, "/", &h), Detected::Unknown);
        for t in ["GetItem", "DynamoDB_20120810.", ".GetItem"] {
            let mut h = HeaderMap::new();
            h.insert("x-amz-target", HeaderValue::from_str(t).unwrap());
            assert_eq!(detect(&Method::POST, "/", &h), Detected::Unknown, "{t}");
        }
    }

    #[test]
    fn query_by_form_with_the_scope_service() {
        let h = headers(&[
            ("content-type", "application/x-www-form-urlencoded; charset=utf-8"),
            (
                "authorization",
                "AWS4-HMAC-SHA256 Credential=AKID/20261206/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=ab",
            ),
        ]);
        assert_eq!(detect(&Method::POST, "/", &h), Detected::Query { scope_service: Some("iam") });
        let h = headers(&[("content-type", "application/x-www-form-urlencoded")]);
        assert_eq!(detect(&Method::POST, "/", &h), Detected::Query { scope_service: None });
    }

    #[test]
    fn rpc_v2_cbor_by_header_and_path() {
        let h =
            headers(&[("smithy-protocol", "rpc-v2-cbor"), ("content-type", "application/cbor")]);
        assert_eq!(
            detect(
                &Method::POST,
                "/service/GraniteServiceVersion20100801/operation/PutMetricData",
                &h
            ),
            Detected::RpcV2Cbor {
                service: "GraniteServiceVersion20100801",
                operation: "PutMetricData"
            }
        );
        for bad in [
            "/",
            "/service/X",
            "/service/X/op/Y",
            "/service//operation/Y",
            "/service/X/operation/a/b",
        ] {
            assert_eq!(detect(&Method::POST, bad, &h), Detected::Unknown, "{bad}");
        }
    }

    #[test]
    fn health_and_other_methods() {
        assert_eq!(detect(&Method::GET, "/", &HeaderMap::new()), Detected::Health);
        assert_eq!(detect(&Method::GET, "/x", &HeaderMap::new()), Detected::Unknown);
        assert_eq!(detect(&Method::PUT, "/", &HeaderMap::new()), Detected::Unknown);
        assert_eq!(detect(&Method::POST, "/", &HeaderMap::new()), Detected::Unknown);
    }
}
