//! Content codings of bodies: gzip in (`Content-Encoding: gzip`, which botocore sends for
//! CloudWatch's PutMetricData bodies of 10 KB and more, and other SDKs send when asked) and gzip
//! out (when the request's `Accept-Encoding` allows it and the answer is at least
//! [`GZIP_RESPONSE_BYTES_MIN`]).
//!
//! - **Signatures**: SigV4 signs a body as sent, so the front door verifies a request's
//!   signature against the compressed bytes and decodes them after.
//! - **Bounds**: a decoded body has the bound of a plain one (`body_bytes_max`). [`gunzip`]
//!   inflates through a bounded buffer that never grows past the bound and refuses the body
//!   the moment it would: a small body that inflates to gigabytes (a zip bomb) costs at most
//!   `body_bytes_max` of memory and the time to inflate that much.
//! - **`x-amz-crc32`** is the CRC32 of the bytes on the wire: of the compressed body when the
//!   answer is compressed. That is what the SDKs check: botocore reads the raw body
//!   (`decode_content=False`) and checks its CRC32; the Go SDK v2 checks the checksum before
//!   it decompresses ("if the response is gzipped the checksum is of the gzipped response");
//!   the Java SDK v2 says `calculateCrc32FromCompressedData`.

use crate::response::Reply;
use crate::AwsError;
use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;
use http::HeaderMap;
use std::io::{Read, Write};

/// Answers shorter than this are sent as they are even when the client accepts gzip:
/// DynamoDB's threshold, 4 KiB (measured against DynamoDB by Alternator's
/// `test_compressed_response`).
pub const GZIP_RESPONSE_BYTES_MIN: usize = 4096;

/// Bytes inflated at a time.
const INFLATE_CHUNK_BYTES: usize = 16 << 10;

/// How a request's body is encoded (`Content-Encoding`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestCoding {
    /// As is (no `Content-Encoding`, or `identity`).
    Identity,
    /// gzip (`gzip` or `x-gzip`), one layer.
    Gzip,
}

/// Why a request's body could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodingError {
    /// A `Content-Encoding` this server does not decode (named).
    Unsupported(String),
    /// The body is not a valid gzip stream (what the decoder said).
    Corrupt(String),
    /// Decoded, the body passes `body_bytes_max`.
    TooLarge {
        /// The bound.
        body_bytes_max: usize,
    },
}

impl std::fmt::Display for CodingError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CodingError::Unsupported(what) => {
                write!(f, "Content-Encoding {what:?} is not supported (gzip and identity are)")
            }
            CodingError::Corrupt(why) => {
                write!(f, "The request body is not valid gzip (Content-Encoding: gzip): {why}")
            }
            CodingError::TooLarge { body_bytes_max } => write!(
                f,
                "Request body exceeds the limit of {body_bytes_max} bytes once decompressed"
            ),
        }
    }
}

impl std::error::Error for CodingError {}

impl From<CodingError> for AwsError {
    /// `SerializationException` (HTTP 415 for a coding not served, 400 for a corrupt body), or
    /// `RequestEntityTooLarge` (HTTP 413), as a plain body is refused.
    fn from(e: CodingError) -> AwsError {
        match &e {
            CodingError::Unsupported(_) => AwsError::serialization(e.to_string()).with_status(415),
            CodingError::Corrupt(_) => AwsError::serialization(e.to_string()),
            CodingError::TooLarge { body_bytes_max } => {
                let mut too_large = AwsError::request_entity_too_large(*body_bytes_max);
                too_large.message = e.to_string();
                too_large
            }
        }
    }
}

impl RequestCoding {
    /// The coding of a request's body from its `Content-Encoding` headers (each a comma list:
    /// botocore appends `,gzip` to a coding already there).
    pub fn of(headers: &HeaderMap) -> Result<RequestCoding, CodingError> {
        let mut gzip_layers = 0usize;
        for value in headers.get_all(http::header::CONTENT_ENCODING) {
            let text = value.to_str().map_err(|_| {
                CodingError::Unsupported(String::from_utf8_lossy(value.as_bytes()).into())
            })?;
            for coding in text.split(',').map(str::trim).filter(|c| !c.is_empty()) {
                if coding.eq_ignore_ascii_case("identity") {
                    continue;
                }
                if coding.eq_ignore_ascii_case("gzip") || coding.eq_ignore_ascii_case("x-gzip") {
                    gzip_layers += 1;
                    continue;
                }
                return Err(CodingError::Unsupported(coding.to_string()));
            }
        }
        match gzip_layers {
            0 => Ok(RequestCoding::Identity),
            1 => Ok(RequestCoding::Gzip),
            _ => Err(CodingError::Unsupported(format!("gzip applied {gzip_layers} times"))),
        }
    }
}

/// Inflates a gzip body (every member of it: a stream of several members is one body), within
/// `body_bytes_max` decoded bytes (see the module doc). An empty body stays empty.
pub fn gunzip(raw: &[u8], body_bytes_max: usize) -> Result<Vec<u8>, CodingError> {
    if raw.is_empty() {
        return Ok(Vec::new());
    }
    let mut decoder = MultiGzDecoder::new(raw);
    // A first guess at the size; the buffer then grows by doubling, never past the bound.
    let mut out = Vec::with_capacity(raw.len().saturating_mul(4).min(body_bytes_max));
    let mut chunk = vec![0u8; INFLATE_CHUNK_BYTES];
    loop {
        let n = match decoder.read(&mut chunk) {
            Ok(0) => return Ok(out),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(CodingError::Corrupt(e.to_string())),
        };
        let len = out.len().saturating_add(n);
        if len > body_bytes_max {
            return Err(CodingError::TooLarge { body_bytes_max });
        }
        if len > out.capacity() {
            let capacity = out.capacity().saturating_mul(2).max(len).min(body_bytes_max);
            out.reserve_exact(capacity - out.len());
        }
        out.extend_from_slice(chunk.get(..n).unwrap_or_default());
    }
}

/// Whether a request's `Accept-Encoding` headers accept gzip: `gzip` (or `x-gzip`) with a
/// non-zero quality, or `*` with one when gzip is not named.
pub fn accepts_gzip(headers: &HeaderMap) -> bool {
    let mut gzip = None;
    let mut any = None;
    for value in headers.get_all(http::header::ACCEPT_ENCODING) {
        let Ok(text) = value.to_str() else { continue };
        for item in text.split(',') {
            let mut parts = item.split(';').map(str::trim);
            let coding = parts.next().unwrap_or("");
            // A quality that does not parse is read as a refusal.
            let quality = parts
                .find_map(|p| p.strip_prefix("q=").or_else(|| p.strip_prefix("Q=")))
                .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok())
                .unwrap_or(0.0);
            if coding.eq_ignore_ascii_case("gzip") || coding.eq_ignore_ascii_case("x-gzip") {
                gzip = Some(quality > 0.0);
            } else if coding == "*" {
                any = Some(quality > 0.0);
            }
        }
    }
    gzip.or(any).unwrap_or(false)
}

/// `reply` gzip-compressed, with `Content-Encoding: gzip` and `Vary: Accept-Encoding`, when it
/// is at least [`GZIP_RESPONSE_BYTES_MIN`] long, not encoded already, and smaller compressed;
/// else `reply` as it is. (Its `x-amz-crc32` is then of the compressed bytes: the module doc.)
pub fn gzip_reply(reply: Reply) -> Reply {
    let encoded =
        reply.headers.iter().any(|(name, _)| name.eq_ignore_ascii_case("content-encoding"));
    if reply.body.len() < GZIP_RESPONSE_BYTES_MIN || encoded {
        return reply;
    }
    // The fastest level: JSON and XML answers shrink several times over even at it.
    let mut encoder = GzEncoder::new(Vec::with_capacity(reply.body.len() / 4), Compression::fast());
    let compressed = match encoder.write_all(&reply.body).and_then(|()| encoder.finish()) {
        Ok(c) if c.len() < reply.body.len() => c,
        _ => return reply,
    };
    Reply { body: compressed, ..reply }
        .with_header("content-encoding", "gzip")
        .with_header("vary", "Accept-Encoding")
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut e = GzEncoder::new(Vec::new(), Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn headers(name: &'static str, values: &[&'static str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(name, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn the_request_coding_is_read_from_every_content_encoding_header() {
        let of = |v: &[&'static str]| RequestCoding::of(&headers("content-encoding", v));
        assert_eq!(of(&[]), Ok(RequestCoding::Identity));
        assert_eq!(of(&["identity"]), Ok(RequestCoding::Identity));
        assert_eq!(of(&["gzip"]), Ok(RequestCoding::Gzip));
        assert_eq!(of(&["GZIP"]), Ok(RequestCoding::Gzip));
        assert_eq!(of(&["identity,gzip"]), Ok(RequestCoding::Gzip), "botocore's appended form");
        assert_eq!(of(&["x-gzip"]), Ok(RequestCoding::Gzip));
        assert_eq!(of(&["br"]), Err(CodingError::Unsupported("br".into())));
        assert!(matches!(of(&["gzip", "gzip"]), Err(CodingError::Unsupported(_))));
        assert!(matches!(of(&["gzip, deflate"]), Err(CodingError::Unsupported(_))));
        let e = AwsError::from(of(&["br"]).unwrap_err());
        assert_eq!((e.code.as_ref(), e.status), ("SerializationException", 415));
        assert!(e.message.contains("\"br\""), "{}", e.message);
    }

    #[test]
    fn gunzip_inflates_every_member_and_refuses_corrupt_bodies() {
        let body = br#"{"TableName": "t"}"#;
        assert_eq!(gunzip(&gz(body), 100).unwrap(), body);
        assert_eq!(gunzip(b"", 100).unwrap(), b"");
        let mut two = gz(b"ab");
        two.extend(gz(b"cd"));
        assert_eq!(gunzip(&two, 100).unwrap(), b"abcd");
        // Not gzip, cut short, a flipped byte in the data (its CRC fails), trailing junk.
        let whole = gz(body);
        let mut flipped = whole.clone();
        flipped[12] ^= 0xff;
        let mut trailing = whole.clone();
        trailing.extend_from_slice(b"junk");
        for bad in [&body[..], &whole[..whole.len() - 3], &flipped[..], &trailing[..]] {
            let e = gunzip(bad, 100).unwrap_err();
            assert!(matches!(e, CodingError::Corrupt(_)), "{e:?}");
            let aws = AwsError::from(e);
            assert_eq!(aws.type_name(), "com.amazon.coral.service#SerializationException");
            assert_eq!(aws.status, 400);
        }
    }

    #[test]
    fn a_zip_bomb_is_refused_at_the_bound_without_growing_past_it() {
        // 64 MiB of zeros: about 64 KiB compressed.
        let bomb = {
            let mut e = GzEncoder::new(Vec::new(), Compression::best());
            let zeros = vec![0u8; 1 << 20];
            for _ in 0..64 {
                e.write_all(&zeros).unwrap();
            }
            e.finish().unwrap()
        };
        assert!(bomb.len() < 128 << 10, "{}", bomb.len());
        let e = gunzip(&bomb, 1 << 20).unwrap_err();
        assert_eq!(e, CodingError::TooLarge { body_bytes_max: 1 << 20 });
        let aws = AwsError::from(e);
        assert_eq!((aws.code.as_ref(), aws.status), ("RequestEntityTooLarge", 413));
        assert!(aws.message.contains("once decompressed"), "{}", aws.message);
        // Exactly at the bound is fine.
        assert_eq!(gunzip(&gz(&[7u8; 1000]), 1000).unwrap().len(), 1000);
        assert!(gunzip(&gz(&[7u8; 1001]), 1000).is_err());
    }

    #[test]
    fn accept_encoding_with_qualities_and_wildcards() {
        let accepts = |v: &[&'static str]| accepts_gzip(&headers("accept-encoding", v));
        assert!(!accepts(&[]));
        assert!(!accepts(&["identity"]));
        assert!(accepts(&["gzip"]));
        assert!(accepts(&["deflate, gzip;q=0.5"]));
        assert!(accepts(&["br", "GZip"]));
        assert!(accepts(&["*"]));
        assert!(!accepts(&["gzip;q=0"]));
        assert!(!accepts(&["gzip;q=0.000"]));
        assert!(!accepts(&["*, gzip;q=0"]), "gzip refused by name wins over *");
        assert!(!accepts(&["*;q=0"]));
        assert!(!accepts(&["gzip;q=zero"]));
    }

    #[test]
    fn large_answers_are_compressed_and_small_ones_are_not() {
        let small = Reply::new(200, "application/x-amz-json-1.0", b"{}".to_vec());
        assert!(gzip_reply(small.clone()) == small);
        let body =
            format!("{{\"Items\": [{}]}}", r#"{"pk": {"S": "a"}},"#.repeat(400)).into_bytes();
        // Just under the threshold: plain.
        let under =
            Reply::new(200, "application/x-amz-json-1.0", vec![b' '; GZIP_RESPONSE_BYTES_MIN - 1]);
        assert!(gzip_reply(under.clone()) == under);
        let big = Reply::new(200, "application/x-amz-json-1.0", body.clone());
        let z = gzip_reply(big);
        assert!(z.body.len() < body.len() / 4, "{}", z.body.len());
        assert!(z.headers.contains(&("content-encoding", "gzip".into())));
        assert_eq!(gunzip(&z.body, body.len()).unwrap(), body);
        // Its CRC32 is of the compressed bytes sent.
        let http = z.into_http("RID");
        let sent = http.headers()["x-amz-crc32"].to_str().unwrap().to_string();
        assert_ne!(sent, crc32fast::hash(&body).to_string());
        // Random bytes do not shrink: sent as they are.
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let noise: Vec<u8> = (0..4096)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        let r = Reply::new(200, "application/octet-stream", noise);
        assert!(gzip_reply(r.clone()) == r, "noise is sent as it is");
    }
}
