//! SigV4 signature computation, as a server recomputes it to verify a request: the canonical
//! request, the string to sign, the signing key derived from a secret, the signature, and a
//! constant-time comparison. Checked against AWS's published SigV4 test suite.
//!
//! ```text
//! canonical request = METHOD \n canonical URI \n canonical query \n
//!                     canonical headers (name:value\n each, in SignedHeaders order) \n
//!                     SignedHeaders \n payload hash (hex SHA-256)
//! string to sign    = AWS4-HMAC-SHA256 \n X-Amz-Date \n <date>/<region>/<service>/aws4_request \n
//!                     hex SHA-256 of the canonical request
//! signing key       = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")
//! signature         = hex HMAC(signing key, string to sign)
//! ```
//!
//! The canonical URI is the path as sent, URI-encoded once more (the SDKs encode the already
//! encoded path again for every service but S3); query parameters are decoded, re-encoded and
//! sorted; header values are trimmed, inner runs of spaces collapsed, and repeated headers joined
//! with commas.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// Hex SHA-256 of the empty payload.
pub const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// What a request's signature covers.
#[derive(Debug, Clone, Copy)]
pub struct Signed<'a> {
    /// The HTTP method.
    pub method: &'a str,
    /// The path as sent (percent-encoded).
    pub path: &'a str,
    /// The query string as sent, without `?`.
    pub query: &'a str,
    /// Every header, name (any case) and value, in the order received.
    pub headers: &'a [(&'a str, &'a [u8])],
    /// `SignedHeaders`: lowercase names joined by `;`.
    pub signed_headers: &'a str,
    /// Hex SHA-256 of the body (or `x-amz-content-sha256` when sent).
    pub payload_sha256: &'a str,
}

/// Hex SHA-256 of `data`.
pub fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        // Writing into a String cannot fail.
        let _ = write!(s, "{b:02x}");
    }
    s
}

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC takes a key of any length: `new_from_slice` cannot fail for it.
    let mut mac = match HmacSha256::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => return [0; 32],
    };
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// Percent-encodes `s` as SigV4 does: unreserved characters (`A-Z a-z 0-9 - _ . ~`) stay, and
/// `/` too when `keep_slash`; every other byte becomes `%XX` (upper-case hex).
pub fn uri_encode(s: &[u8], keep_slash: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) || (keep_slash && b == b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Decodes `%XX` escapes (and, in a query, `+` stays a plus: SigV4 signs it as `%2B`).
fn percent_decode(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hexval = |c: u8| char::from(c).to_digit(16).and_then(|d| u8::try_from(d).ok());
        match (
            b.get(i),
            b.get(i + 1).copied().and_then(hexval),
            b.get(i + 2).copied().and_then(hexval),
        ) {
            (Some(b'%'), Some(h), Some(l)) => {
                out.push(h << 4 | l);
                i += 3;
            }
            (Some(&c), _, _) => {
                out.push(c);
                i += 1;
            }
            (None, _, _) => break,
        }
    }
    out
}

/// The canonical query string: parameters decoded, re-encoded, sorted by name then value.
pub fn canonical_query(query: &str) -> String {
    let mut params: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (uri_encode(&percent_decode(k), false), uri_encode(&percent_decode(v), false))
        })
        .collect();
    params.sort();
    params.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&")
}

/// A header value as signed: trimmed, inner runs of spaces collapsed to one.
fn trim_value(v: &[u8]) -> String {
    let s = String::from_utf8_lossy(v);
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The canonical request, or the name of a signed header the request lacks.
pub fn canonical_request(r: &Signed) -> Result<String, String> {
    let mut headers = String::new();
    for name in r.signed_headers.split(';') {
        let values: Vec<String> = r
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| trim_value(v))
            .collect();
        if values.is_empty() {
            return Err(name.to_string());
        }
        headers.push_str(name);
        headers.push(':');
        headers.push_str(&values.join(","));
        headers.push('\n');
    }
    Ok(format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        r.method,
        uri_encode(r.path.as_bytes(), true),
        canonical_query(r.query),
        headers,
        r.signed_headers,
        r.payload_sha256
    ))
}

/// The string to sign of a canonical request, for `amz_date` (`yyyymmddThhmmssZ`) and the
/// credential scope `scope` (`date/region/service/aws4_request`).
pub fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &str) -> String {
    format!("AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}", sha256_hex(canonical_request.as_bytes()))
}

/// The signing key of `secret` for one day, region and service (cacheable per key id and day).
pub fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
    let k = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k = hmac(&k, region.as_bytes());
    let k = hmac(&k, service.as_bytes());
    hmac(&k, b"aws4_request")
}

/// The hex signature of `string_to_sign` with `key`.
pub fn signature(key: &[u8; 32], string_to_sign: &str) -> String {
    hex(&hmac(key, string_to_sign.as_bytes()))
}

/// Whether two signatures are equal, in time independent of where they differ.
pub fn signatures_match(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// AWS's SigV4 test suite: its example credentials, date and region.
    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    const DATE: &str = "20150830T123600Z";
    const SCOPE: &str = "20150830/us-east-1/service/aws4_request";

    fn sign(method: &str, path: &str, query: &str, extra: &[(&str, &[u8])], body: &[u8]) -> String {
        let mut headers: Vec<(&str, &[u8])> =
            vec![("Host", b"example.amazonaws.com"), ("X-Amz-Date", DATE.as_bytes())];
        headers.extend_from_slice(extra);
        let mut names: Vec<String> = headers.iter().map(|(n, _)| n.to_ascii_lowercase()).collect();
        names.sort();
        names.dedup();
        let signed_headers = names.join(";");
        let payload = sha256_hex(body);
        let r = Signed {
            method,
            path,
            query,
            headers: &headers,
            signed_headers: &signed_headers,
            payload_sha256: &payload,
        };
        let canonical = canonical_request(&r).unwrap();
        let key = signing_key(SECRET, "20150830", "us-east-1", "service");
        signature(&key, &string_to_sign(DATE, SCOPE, &canonical))
    }

    #[test]
    fn the_aws_test_suite() {
        assert_eq!(
            hex(&signing_key(SECRET, "20150830", "us-east-1", "service")),
            "938127b5336810ddb6a5d6af445fcac9e371f9ed418ed386b022aed82901be75"
        );
        // get-vanilla
        assert_eq!(
            sign("GET", "/", "", &[], b""),
            "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        );
        // get-vanilla-query-order-key-case: parameters sorted before signing.
        assert_eq!(
            sign("GET", "/", "Param2=value2&Param1=value1", &[], b""),
            "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"
        );
        // post-vanilla
        assert_eq!(
            sign("POST", "/", "", &[], b""),
            "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"
        );
        assert_eq!(sha256_hex(b""), EMPTY_SHA256);
    }

    #[test]
    fn canonical_forms() {
        assert_eq!(canonical_query("b=2&a=1&A=0&c"), "A=0&a=1&b=2&c=");
        assert_eq!(canonical_query("k=a%20b&k2=a+b"), "k=a%20b&k2=a%2Bb");
        assert_eq!(uri_encode(b"/a b/~x", true), "/a%20b/~x");
        assert_eq!(uri_encode(b"/%E1", true), "/%25E1", "an encoded path is encoded again");
        assert_eq!(trim_value(b"  a   b  "), "a b");
        let headers: Vec<(&str, &[u8])> = vec![("Host", b"h"), ("x-a", b"1"), ("X-A", b" 2 ")];
        let r = Signed {
            method: "GET",
            path: "/",
            query: "",
            headers: &headers,
            signed_headers: "host;x-a",
            payload_sha256: EMPTY_SHA256,
        };
        let c = canonical_request(&r).unwrap();
        assert!(c.contains("\nhost:h\nx-a:1,2\n\nhost;x-a\n"), "{c}");
        let missing = Signed { signed_headers: "host;x-b", ..r };
        assert_eq!(canonical_request(&missing).unwrap_err(), "x-b");
    }

    #[test]
    fn comparison_is_exact() {
        assert!(signatures_match("abc", "abc"));
        assert!(!signatures_match("abc", "abd"));
        assert!(!signatures_match("abc", "abcd"));
    }
}
