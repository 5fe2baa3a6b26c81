//! [`Reply`]: an answer before it becomes an HTTP response. Every response carries
//! `x-amzn-RequestId` and `x-amz-crc32` (the CRC32 of the body bytes sent, which DynamoDB's
//! clients check).

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue, CONTENT_TYPE};
use http::{Response, StatusCode};
use http_body_util::Full;

/// An answer: status, content type, body and any more headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The HTTP status.
    pub status: u16,
    /// `Content-Type`.
    pub content_type: &'static str,
    /// The body bytes.
    pub body: Vec<u8>,
    /// More headers.
    pub headers: Vec<(&'static str, String)>,
}

impl Reply {
    /// An answer with no extra headers.
    pub fn new(status: u16, content_type: &'static str, body: Vec<u8>) -> Reply {
        Reply { status, content_type, body, headers: Vec::new() }
    }

    /// With one more header.
    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Reply {
        self.headers.push((name, value.into()));
        self
    }

    /// The HTTP response, with `x-amzn-RequestId: request_id` and `x-amz-crc32`.
    pub fn into_http(self, request_id: &str) -> Response<Full<Bytes>> {
        let crc = crc32fast::hash(&self.body);
        let mut r = Response::new(Full::new(Bytes::from(self.body)));
        *r.status_mut() =
            StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let h = r.headers_mut();
        h.insert(CONTENT_TYPE, HeaderValue::from_static(self.content_type));
        if let Ok(v) = HeaderValue::from_str(request_id) {
            h.insert("x-amzn-RequestId", v);
        }
        h.insert("x-amz-crc32", HeaderValue::from(crc));
        for (name, value) in self.headers {
            if let Ok(v) = HeaderValue::from_str(&value) {
                h.append(HeaderName::from_static(name), v);
            }
        }
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_of_every_answer() {
        let r = Reply::new(200, "application/x-amz-json-1.0", b"{}".to_vec())
            .with_header("smithy-protocol", "rpc-v2-cbor")
            .into_http("RID");
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "application/x-amz-json-1.0");
        assert_eq!(r.headers()["x-amzn-requestid"], "RID");
        assert_eq!(r.headers()["x-amz-crc32"], crc32fast::hash(b"{}").to_string().as_str());
        assert_eq!(r.headers()["smithy-protocol"], "rpc-v2-cbor");
        assert_eq!(Reply::new(999, "text/plain", vec![]).into_http("R").status(), 999);
        assert_eq!(Reply::new(1000, "text/plain", vec![]).into_http("R").status(), 500);
    }
}
