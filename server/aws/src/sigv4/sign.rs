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
//!
//! The canonical request is written into a [`Sink`]: a buffer to read it, or the SHA-256 hasher
//! directly ([`canonical_request_sha256`]), so verifying builds no string; [`signature_of_hash`]
//! likewise feeds the string to sign to the HMAC piece by piece.

use hmac::{Hmac, Mac};
use http::HeaderMap;
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// Hex SHA-256 of the empty payload.
pub const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// The payload hash of a presigned URL (and of S3's unsigned bodies).
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

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

/// Where canonical text goes: a buffer (to read it) or straight into a hash (to sign it without
/// building it).
pub trait Sink {
    /// Appends `bytes`.
    fn put(&mut self, bytes: &[u8]);
}

impl Sink for Vec<u8> {
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

impl Sink for Sha256 {
    fn put(&mut self, bytes: &[u8]) {
        Digest::update(self, bytes);
    }
}

/// A request's headers, looked up by name.
pub trait HeaderSource {
    /// Calls `f` with each value of the header `name` (matched in any case), in the order
    /// received, and returns how many there were.
    fn each_value(&self, name: &str, f: &mut dyn FnMut(&[u8])) -> usize;
}

impl HeaderSource for [(&str, &[u8])] {
    fn each_value(&self, name: &str, f: &mut dyn FnMut(&[u8])) -> usize {
        let mut n = 0;
        for (_, v) in self.iter().filter(|(k, _)| k.eq_ignore_ascii_case(name)) {
            f(v);
            n += 1;
        }
        n
    }
}

impl HeaderSource for HeaderMap {
    fn each_value(&self, name: &str, f: &mut dyn FnMut(&[u8])) -> usize {
        let mut n = 0;
        let mut each = |v: &http::HeaderValue| {
            f(v.as_bytes());
            n += 1;
        };
        // The names every SDK signs are looked up without parsing them.
        match names::known(name) {
            Some(known) => self.get_all(known).iter().for_each(&mut each),
            None => self.get_all(name).iter().for_each(&mut each),
        }
        n
    }
}

/// Header names SigV4 reads, as constants: a lookup by a [`http::HeaderName`] hashes it, one
/// by a `&str` parses and validates it first.
pub mod names {
    use http::header::{HeaderName, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, DATE, HOST};

    /// `x-amz-date`.
    pub static X_AMZ_DATE: HeaderName = HeaderName::from_static("x-amz-date");
    /// `x-amz-target`.
    pub static X_AMZ_TARGET: HeaderName = HeaderName::from_static("x-amz-target");
    /// `x-amz-content-sha256`.
    pub static X_AMZ_CONTENT_SHA256: HeaderName = HeaderName::from_static("x-amz-content-sha256");
    /// `x-amz-security-token`.
    pub static X_AMZ_SECURITY_TOKEN: HeaderName = HeaderName::from_static("x-amz-security-token");

    /// The constant of a lower-case header name SDKs commonly sign.
    pub fn known(name: &str) -> Option<&'static HeaderName> {
        Some(match name {
            "host" => &HOST,
            "x-amz-date" => &X_AMZ_DATE,
            "content-type" => &CONTENT_TYPE,
            "x-amz-target" => &X_AMZ_TARGET,
            "x-amz-security-token" => &X_AMZ_SECURITY_TOKEN,
            "x-amz-content-sha256" => &X_AMZ_CONTENT_SHA256,
            "content-length" => &CONTENT_LENGTH,
            "authorization" => &AUTHORIZATION,
            "date" => &DATE,
            _ => return None,
        })
    }
}

/// A [`Sink`] into a SHA-256 through a stack buffer: canonical text arrives in many small
/// pieces, and one hasher update per piece costs more than a copy.
struct BufferedSha256 {
    hasher: Sha256,
    buf: [u8; BufferedSha256::BUF_LEN],
    len: usize,
}

impl BufferedSha256 {
    /// Bytes gathered before they are hashed (a typical canonical request fits).
    const BUF_LEN: usize = 512;

    fn new() -> BufferedSha256 {
        BufferedSha256 { hasher: Sha256::new(), buf: [0; Self::BUF_LEN], len: 0 }
    }

    fn flush(&mut self) {
        Digest::update(&mut self.hasher, self.buf.get(..self.len).unwrap_or_default());
        self.len = 0;
    }

    fn finalize(&mut self) -> [u8; 32] {
        self.flush();
        self.hasher.finalize_reset().into()
    }
}

impl Sink for BufferedSha256 {
    fn put(&mut self, bytes: &[u8]) {
        if self.len + bytes.len() > Self::BUF_LEN {
            self.flush();
        }
        match self.buf.get_mut(self.len..self.len + bytes.len()) {
            Some(room) => {
                room.copy_from_slice(bytes);
                self.len += bytes.len();
            }
            // Longer than the buffer: hashed at once.
            None => Digest::update(&mut self.hasher, bytes),
        }
        debug_assert!(self.len <= Self::BUF_LEN);
    }
}

/// The parts of a canonical request beside its headers.
#[derive(Debug, Clone, Copy)]
pub struct Canonical<'a> {
    /// The HTTP method.
    pub method: &'a str,
    /// The path as sent (percent-encoded); empty is `/`.
    pub path: &'a str,
    /// The query string as sent, without `?`.
    pub query: &'a str,
    /// A query parameter left out of the canonical query (a presigned URL's `X-Amz-Signature`).
    pub skip_param: Option<&'a str>,
    /// `SignedHeaders`: lowercase names joined by `;`.
    pub signed_headers: &'a str,
    /// The payload hash: hex SHA-256 of the body, or `UNSIGNED-PAYLOAD`.
    pub payload_sha256: &'a str,
}

/// Hex SHA-256 of `data`.
pub fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(hex_digit(b >> 4, false)));
        s.push(char::from(hex_digit(*b, false)));
    }
    s
}

/// The hex digit of the low nibble of `n`, in lower or upper case.
fn hex_digit(n: u8, upper: bool) -> u8 {
    match n & 0xf {
        d @ 0..=9 => b'0' + d,
        d if upper => b'A' + d - 10,
        d => b'a' + d - 10,
    }
}

/// Lowercase hex of a 32-byte digest, without allocating.
pub fn hex32(bytes: &[u8; 32]) -> [u8; 64] {
    let mut out = [0u8; 64];
    for (pair, b) in out.chunks_exact_mut(2).zip(bytes) {
        if let [hi, lo] = pair {
            *hi = hex_digit(b >> 4, false);
            *lo = hex_digit(*b, false);
        }
    }
    out
}

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    hmac_parts(key, &[data])
}

/// HMAC-SHA256 of the concatenation of `parts` (also the key-value protocol's AUTH signature).
pub fn hmac_parts(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    // HMAC takes a key of any length: `new_from_slice` cannot fail for it.
    let mut mac = match HmacSha256::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => return [0; 32],
    };
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().into()
}

fn unreserved(b: u8, keep_slash: bool) -> bool {
    b.is_ascii_alphanumeric() || b"-_.~".contains(&b) || (keep_slash && b == b'/')
}

/// Percent-encodes `s` as SigV4 does: unreserved characters (`A-Z a-z 0-9 - _ . ~`) stay, and
/// `/` too when `keep_slash`; every other byte becomes `%XX` (upper-case hex).
pub fn uri_encode(s: &[u8], keep_slash: bool) -> String {
    let mut out = Vec::with_capacity(s.len());
    write_uri_encoded(&mut out, s, keep_slash);
    // Only ASCII was written.
    String::from_utf8(out).unwrap_or_default()
}

/// [`uri_encode`] into a sink, runs of unreserved bytes at once.
fn write_uri_encoded<S: Sink + ?Sized>(out: &mut S, s: &[u8], keep_slash: bool) {
    let mut rest = s;
    while !rest.is_empty() {
        let run = rest.iter().position(|&b| !unreserved(b, keep_slash)).unwrap_or(rest.len());
        let (plain, tail) = rest.split_at(run);
        if !plain.is_empty() {
            out.put(plain);
        }
        if let Some((&b, tail)) = tail.split_first() {
            out.put(&[b'%', hex_digit(b >> 4, true), hex_digit(b, true)]);
            rest = tail;
        } else {
            rest = tail;
        }
    }
}

/// Decodes `%XX` escapes (and, in a query, `+` stays a plus: SigV4 signs it as `%2B`).
pub(crate) fn percent_decode(s: &str) -> Vec<u8> {
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
    canonical_query_without(query, None)
}

/// [`canonical_query`] without the parameter named `skip` (compared after re-encoding).
pub fn canonical_query_without(query: &str, skip: Option<&str>) -> String {
    let mut params: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (uri_encode(&percent_decode(k), false), uri_encode(&percent_decode(v), false))
        })
        .filter(|(k, _)| Some(k.as_str()) != skip)
        .collect();
    params.sort();
    let mut out = String::with_capacity(query.len() + 16);
    for (i, (k, v)) in params.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
    out
}

/// A header value as signed: trimmed, inner runs of spaces and tabs collapsed to one space.
fn write_trimmed<S: Sink + ?Sized>(out: &mut S, v: &[u8]) {
    let blank = |b: &u8| *b == b' ' || *b == b'\t';
    let edges = v.first().is_some_and(blank) || v.last().is_some_and(blank);
    if !edges && !v.contains(&b'\t') && !v.windows(2).any(|w| w == b"  ") {
        // Nothing to trim or collapse: the value as it is (almost every header).
        out.put(v);
        return;
    }
    let mut first = true;
    for word in v.split(|&b| b == b' ' || b == b'\t').filter(|w| !w.is_empty()) {
        if !first {
            out.put(b" ");
        }
        out.put(word);
        first = false;
    }
}

/// Writes the canonical request of `c` and `headers` into `out`; the error is the name of a
/// signed header the request lacks.
pub fn write_canonical_request<'a, H, S>(
    c: &Canonical<'a>,
    headers: &H,
    out: &mut S,
) -> Result<(), &'a str>
where
    H: HeaderSource + ?Sized,
    S: Sink + ?Sized,
{
    out.put(c.method.as_bytes());
    out.put(b"\n");
    if c.path.is_empty() {
        out.put(b"/");
    } else {
        write_uri_encoded(out, c.path.as_bytes(), true);
    }
    out.put(b"\n");
    if !c.query.is_empty() {
        out.put(canonical_query_without(c.query, c.skip_param).as_bytes());
    }
    out.put(b"\n");
    for name in c.signed_headers.split(';') {
        out.put(name.as_bytes());
        out.put(b":");
        let mut first = true;
        let n = headers.each_value(name, &mut |v| {
            if !first {
                out.put(b",");
            }
            write_trimmed(out, v);
            first = false;
        });
        if n == 0 {
            return Err(name);
        }
        out.put(b"\n");
    }
    out.put(b"\n");
    out.put(c.signed_headers.as_bytes());
    out.put(b"\n");
    out.put(c.payload_sha256.as_bytes());
    Ok(())
}

/// SHA-256 of the canonical request of `c` and `headers`, hashed as it is written (nothing is
/// built); the error is the name of a signed header the request lacks.
pub fn canonical_request_sha256<'a, H>(c: &Canonical<'a>, headers: &H) -> Result<[u8; 32], &'a str>
where
    H: HeaderSource + ?Sized,
{
    let mut hasher = BufferedSha256::new();
    write_canonical_request(c, headers, &mut hasher)?;
    Ok(hasher.finalize())
}

/// The canonical request, or the name of a signed header the request lacks.
pub fn canonical_request(r: &Signed) -> Result<String, String> {
    let c = Canonical {
        method: r.method,
        path: r.path,
        query: r.query,
        skip_param: None,
        signed_headers: r.signed_headers,
        payload_sha256: r.payload_sha256,
    };
    let mut out = Vec::with_capacity(256);
    write_canonical_request(&c, r.headers, &mut out).map_err(str::to_string)?;
    Ok(String::from_utf8_lossy(&out).into_owned())
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

/// A derived signing key, ready to sign with: its HMAC state after the inner and outer key pads
/// are absorbed, so a signature costs two SHA-256 compressions fewer than from the raw key.
/// Its `Debug` hides it.
#[derive(Clone)]
pub struct SigningKey(HmacSha256);

impl SigningKey {
    /// The key of raw signing-key bytes (see [`signing_key`]).
    pub fn new(key: &[u8; 32]) -> SigningKey {
        // HMAC takes a key of any length: `new_from_slice` cannot fail for 32 bytes.
        SigningKey(
            HmacSha256::new_from_slice(key)
                .unwrap_or_else(|_| HmacSha256::new(&Default::default())),
        )
    }

    /// The signing key of `secret` for one day, region and service.
    pub fn derive(secret: &str, date: &str, region: &str, service: &str) -> SigningKey {
        SigningKey::new(&signing_key(secret, date, region, service))
    }
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(<redacted>)")
    }
}

/// The hex signature of `string_to_sign` with `key`.
pub fn signature(key: &[u8; 32], string_to_sign: &str) -> String {
    hex(&hmac(key, string_to_sign.as_bytes()))
}

/// The signature (raw bytes) of a canonical request given by its SHA-256, without building the
/// string to sign: `HMAC(key, "AWS4-HMAC-SHA256\n" + amz_date + "\n" + scope + "\n" + hex(hash))`.
pub fn signature_of_hash(
    key: &SigningKey,
    amz_date: &str,
    scope: &str,
    canonical_sha256: &[u8; 32],
) -> [u8; 32] {
    let hash_hex = hex32(canonical_sha256);
    let mut mac = key.0.clone();
    for part in
        [b"AWS4-HMAC-SHA256\n", amz_date.as_bytes(), b"\n", scope.as_bytes(), b"\n", &hash_hex]
    {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// Whether two byte strings are equal, in time independent of where they differ.
pub fn bytes_match(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Whether two signatures are equal, in time independent of where they differ.
pub fn signatures_match(a: &str, b: &str) -> bool {
    bytes_match(a.as_bytes(), b.as_bytes())
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
        // get-header-value-trim: values trimmed, inner runs of spaces collapsed (inside quotes too).
        assert_eq!(
            sign(
                "GET",
                "/",
                "",
                &[("My-Header1", b" value1"), ("My-Header2", b" \"a   b   c\"")],
                b""
            ),
            "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"
        );
        // post-x-www-form-urlencoded: the body's hash is the payload hash.
        assert_eq!(
            sign(
                "POST",
                "/",
                "",
                &[("Content-Type", b"application/x-www-form-urlencoded")],
                b"Param1=value1"
            ),
            "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"
        );
        assert_eq!(sha256_hex(b""), EMPTY_SHA256);
    }

    #[test]
    fn canonical_forms() {
        assert_eq!(canonical_query("b=2&a=1&A=0&c"), "A=0&a=1&b=2&c=");
        assert_eq!(canonical_query("k=a%20b&k2=a+b"), "k=a%20b&k2=a%2Bb");
        assert_eq!(uri_encode(b"/a b/~x", true), "/a%20b/~x");
        assert_eq!(uri_encode(b"/%E1", true), "/%25E1", "an encoded path is encoded again");
        let mut trimmed = Vec::new();
        write_trimmed(&mut trimmed, b" \t a   b\t\tc  ");
        assert_eq!(trimmed, b"a b c");
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
    fn the_streamed_hash_is_the_hash_of_the_built_request() {
        let headers: Vec<(&str, &[u8])> =
            vec![("Host", b"h"), ("X-Amz-Date", DATE.as_bytes()), ("x-a", b" 1  2 ")];
        let c = Canonical {
            method: "POST",
            path: "/a b/%41",
            query: "b=2&X-Amz-Signature=ab&a=1",
            skip_param: Some("X-Amz-Signature"),
            signed_headers: "host;x-a;x-amz-date",
            payload_sha256: UNSIGNED_PAYLOAD,
        };
        let mut built = Vec::new();
        write_canonical_request(&c, headers.as_slice(), &mut built).unwrap();
        let built = String::from_utf8(built).unwrap();
        assert_eq!(
            built,
            format!(
                "POST\n/a%20b/%2541\na=1&b=2\nhost:h\nx-a:1 2\nx-amz-date:{DATE}\n\n\
                 host;x-a;x-amz-date\nUNSIGNED-PAYLOAD"
            )
        );
        let hash = canonical_request_sha256(&c, headers.as_slice()).unwrap();
        assert_eq!(hex(&hash), sha256_hex(built.as_bytes()));
        let raw = signing_key(SECRET, "20150830", "us-east-1", "service");
        assert_eq!(
            hex(&signature_of_hash(&SigningKey::new(&raw), DATE, SCOPE, &hash)),
            signature(&raw, &string_to_sign(DATE, SCOPE, &built))
        );
        assert_eq!(&hex32(&hash)[..], hex(&hash).as_bytes());
        // A header map gives the same request; a missing signed header is named.
        let mut map = HeaderMap::new();
        map.insert("host", http::HeaderValue::from_static("h"));
        map.insert("x-amz-date", http::HeaderValue::from_static(DATE));
        map.append("x-a", http::HeaderValue::from_static(" 1  2 "));
        assert_eq!(canonical_request_sha256(&c, &map), Ok(hash));
        map.append("X-A", http::HeaderValue::from_static("3"));
        let mut two = Vec::new();
        write_canonical_request(&c, &map, &mut two).unwrap();
        assert!(String::from_utf8(two).unwrap().contains("\nx-a:1 2,3\n"));
        let missing = Canonical { signed_headers: "host;x-b", ..c };
        assert_eq!(canonical_request_sha256(&missing, &map), Err("x-b"));
        // An empty path is `/`.
        let mut root = Vec::new();
        write_canonical_request(&Canonical { path: "", ..c }, &map, &mut root).unwrap();
        assert!(root.starts_with(b"POST\n/\n"));
    }

    #[test]
    fn comparison_is_exact() {
        assert!(signatures_match("abc", "abc"));
        assert!(!signatures_match("abc", "abd"));
        assert!(!signatures_match("abc", "abcd"));
    }
}
