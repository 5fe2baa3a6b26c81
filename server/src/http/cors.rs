//! CORS: which web pages a browser lets call the endpoint (`--cors-origins`, `cors_origins` in
//! `--config`).
//!
//! - A **preflight** (`OPTIONS` with `Origin` and `Access-Control-Request-Method`) is answered
//!   before anything else, without credentials (a browser sends none with it): `200` with
//!   `Access-Control-Allow-Origin`, `-Allow-Methods`, `-Allow-Headers` (the headers asked for,
//!   echoed, or [`ALLOW_HEADERS`] when none are asked or the list is not headers' names) and
//!   `-Max-Age` when its origin is allowed; `403` with none of them when not.
//! - **Every other answer** to a request from an allowed origin, errors included, carries
//!   `Access-Control-Allow-Origin` and `Access-Control-Expose-Headers` ([`EXPOSE_HEADERS`]:
//!   the request id, `x-amz-crc32`, … which the SDKs read). An origin not allowed gets no CORS
//!   header: the request is answered as usual and the browser keeps the answer from the page.
//!
//! The default is `*` under `--auth sigv4`: what DynamoDB answers, and safe since CORS is not
//! what protects the endpoint. Every request must carry a signature made with a secret key, so
//! a page can only call it with credentials its user gave it; refusing other origins would
//! only stop such pages. Under `--auth none` nothing else protects the endpoint, and `*` would
//! let any page a browser on the machine opens read and write the database, so the default
//! there is no origin at all (`--cors-origins` still opens it to the origins named).

use http::header::{HeaderMap, HeaderValue};
use shale_aws::Reply;

/// `Access-Control-Allow-Headers` when a preflight asks for none (or for a list that is not
/// headers' names): what the AWS SDKs send.
pub const ALLOW_HEADERS: &str = "authorization, content-type, content-encoding, x-amz-date, \
     x-amz-target, x-amz-security-token, x-amz-user-agent, x-amz-content-sha256, \
     x-amz-api-version, amz-sdk-invocation-id, amz-sdk-request, smithy-protocol, accept, \
     x-shale-trace";

/// `Access-Control-Expose-Headers`: the response headers a page's SDK reads (a browser shows a
/// page only the few safelisted ones otherwise).
pub const EXPOSE_HEADERS: &str = "x-amzn-RequestId, x-amzn-ErrorType, x-amz-crc32, x-amz-id-2, \
     x-amzn-query-error, smithy-protocol, x-shale-trace, Date";

/// `Access-Control-Allow-Methods`: the methods the endpoint serves.
pub const ALLOW_METHODS: &str = "GET, POST, OPTIONS";

/// How long a browser may keep a preflight's answer (browsers cap it lower: Chrome at 2 hours,
/// Firefox at 24).
pub const PREFLIGHT_MAX_AGE_SECS: u64 = 86_400;

/// Longest `Access-Control-Request-Headers` echoed back; a longer one is answered with
/// [`ALLOW_HEADERS`].
pub const REQUEST_HEADERS_ECHO_BYTES_MAX: usize = 4096;

/// The origins allowed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Cors {
    /// None: no CORS header on any answer; every preflight refused.
    #[default]
    Off,
    /// Any origin (`*`).
    Any,
    /// These origins (`scheme://host[:port]`, lower case), each matched exactly.
    Only(Vec<String>),
}

/// Why `--cors-origins` was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CorsError {
    /// An entry that is not `*` nor an origin.
    #[error(
        "--cors-origins: {0:?} is not an origin (scheme://host[:port], no path), \"*\" or \"none\""
    )]
    NotAnOrigin(String),
}

impl Cors {
    /// The default under `--auth sigv4` (`signed`) or `none`: see the module doc.
    pub fn default_for(signed: bool) -> Cors {
        if signed {
            Cors::Any
        } else {
            Cors::Off
        }
    }

    /// Reads a list of entries, each a comma list: origins, `*` (any origin) or `none` (or an
    /// empty list: no origin).
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<Cors, CorsError> {
        let mut origins = Vec::new();
        let mut any = false;
        for item in entries.iter().flat_map(|e| e.as_ref().split(',')).map(str::trim) {
            match item {
                "" | "none" => {}
                "*" => any = true,
                origin => {
                    let (scheme, host) = origin
                        .split_once("://")
                        .ok_or_else(|| CorsError::NotAnOrigin(origin.to_string()))?;
                    let token = |s: &str| {
                        !s.is_empty()
                            && s.bytes().all(|b| {
                                b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'+')
                            })
                    };
                    let host_ok = !host.is_empty()
                        && host.bytes().all(|b| {
                            b.is_ascii_alphanumeric()
                                || matches!(b, b'-' | b'.' | b':' | b'[' | b']')
                        });
                    if !token(scheme) || !host_ok {
                        return Err(CorsError::NotAnOrigin(origin.to_string()));
                    }
                    origins.push(origin.to_ascii_lowercase());
                }
            }
        }
        Ok(match (any, origins.is_empty()) {
            (true, _) => Cors::Any,
            (false, true) => Cors::Off,
            (false, false) => Cors::Only(origins),
        })
    }

    /// For the startup summary: `any origin (*)`, `none`, or the origins.
    pub fn describe(&self) -> String {
        match self {
            Cors::Off => "none (no web page may call it)".to_string(),
            Cors::Any => "any origin (*)".to_string(),
            Cors::Only(o) => o.join(", "),
        }
    }

    /// The `Access-Control-Allow-Origin` of an answer to a request from `origin` (its `Origin`
    /// header), or `None` when that origin is not allowed.
    fn allow(&self, origin: &HeaderValue) -> Option<HeaderValue> {
        match self {
            Cors::Off => None,
            Cors::Any => Some(HeaderValue::from_static("*")),
            Cors::Only(list) => {
                let o = origin.to_str().ok()?;
                list.iter().any(|allowed| allowed.eq_ignore_ascii_case(o)).then(|| origin.clone())
            }
        }
    }

    /// The answer to a preflight, or `None` when the request is not one.
    pub fn preflight(&self, method: &http::Method, headers: &HeaderMap) -> Option<Reply> {
        if method != http::Method::OPTIONS {
            return None;
        }
        let origin = headers.get(http::header::ORIGIN)?;
        headers.get(http::header::ACCESS_CONTROL_REQUEST_METHOD)?;
        let Some(allow_origin) = self.allow(origin) else {
            tracing::debug!("refused a CORS preflight from {origin:?}: not in --cors-origins");
            return Some(Reply::new(403, "text/plain", Vec::new()));
        };
        let asked = headers
            .get(http::header::ACCESS_CONTROL_REQUEST_HEADERS)
            .and_then(|v| v.to_str().ok())
            .filter(|v| header_names(v));
        let mut reply = Reply::new(200, "text/plain", Vec::new())
            .with_header("access-control-allow-origin", to_string(&allow_origin))
            .with_header("access-control-allow-methods", ALLOW_METHODS)
            .with_header("access-control-allow-headers", asked.unwrap_or(ALLOW_HEADERS))
            .with_header("access-control-max-age", PREFLIGHT_MAX_AGE_SECS.to_string());
        if matches!(self, Cors::Only(_)) {
            reply = reply.with_header("vary", "Origin");
        }
        if asked.is_some() {
            reply = reply.with_header("vary", "Access-Control-Request-Headers");
        }
        Some(reply)
    }

    /// What [`Cors::decorate`] adds to the answer of a request with `headers`.
    pub fn for_request(&self, headers: &HeaderMap) -> Option<HeaderValue> {
        headers.get(http::header::ORIGIN).and_then(|o| self.allow(o))
    }

    /// Adds `Access-Control-Allow-Origin: allow_origin` and `Access-Control-Expose-Headers` to
    /// an answer ([`Cors::for_request`]).
    pub fn decorate(&self, allow_origin: Option<HeaderValue>, headers: &mut HeaderMap) {
        let Some(allow_origin) = allow_origin else { return };
        headers.insert(http::header::ACCESS_CONTROL_ALLOW_ORIGIN, allow_origin);
        headers.insert(
            http::header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(EXPOSE_HEADERS),
        );
        if matches!(self, Cors::Only(_)) {
            headers.append(http::header::VARY, HeaderValue::from_static("Origin"));
        }
    }
}

fn to_string(v: &HeaderValue) -> String {
    String::from_utf8_lossy(v.as_bytes()).into_owned()
}

/// Whether `list` is a comma list of header names short enough to echo.
fn header_names(list: &str) -> bool {
    list.len() <= REQUEST_HEADERS_ECHO_BYTES_MAX
        && list.split(',').map(str::trim).all(|name| {
            !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn preflight(origin: &'static str, asked: Option<&'static str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("origin", HeaderValue::from_static(origin));
        h.insert("access-control-request-method", HeaderValue::from_static("POST"));
        if let Some(a) = asked {
            h.insert("access-control-request-headers", HeaderValue::from_static(a));
        }
        h
    }

    fn header<'a>(r: &'a Reply, name: &str) -> Option<&'a str> {
        r.headers.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())
    }

    #[test]
    fn parses_origins_any_and_none() {
        assert_eq!(Cors::parse(&["*"]), Ok(Cors::Any));
        assert_eq!(Cors::parse(&["none"]), Ok(Cors::Off));
        assert_eq!(Cors::parse(&[""]), Ok(Cors::Off));
        assert_eq!(Cors::parse::<&str>(&[]), Ok(Cors::Off));
        assert_eq!(
            Cors::parse(&["https://App.example.com, http://localhost:3000", "http://[::1]:8080"]),
            Ok(Cors::Only(vec![
                "https://app.example.com".into(),
                "http://localhost:3000".into(),
                "http://[::1]:8080".into()
            ]))
        );
        assert_eq!(Cors::parse(&["http://a.example", "*"]), Ok(Cors::Any));
        for bad in
            ["example.com", "https://a.example/", "https://a.example/path", "://x", "http://"]
        {
            assert_eq!(Cors::parse(&[bad]), Err(CorsError::NotAnOrigin(bad.into())), "{bad}");
        }
        assert!(CorsError::NotAnOrigin("x".into()).to_string().contains("--cors-origins"));
        assert_eq!(Cors::default_for(true), Cors::Any);
        assert_eq!(Cors::default_for(false), Cors::Off);
    }

    #[test]
    fn a_preflight_from_an_allowed_origin_echoes_the_headers_asked_for() {
        let cors = Cors::parse(&["http://localhost:3000"]).unwrap();
        let asked = "authorization,content-type,x-amz-date,x-amz-target,amz-sdk-request";
        let r = cors
            .preflight(&http::Method::OPTIONS, &preflight("http://localhost:3000", Some(asked)))
            .unwrap();
        assert_eq!(r.status, 200);
        assert_eq!(header(&r, "access-control-allow-origin"), Some("http://localhost:3000"));
        assert_eq!(header(&r, "access-control-allow-methods"), Some(ALLOW_METHODS));
        assert_eq!(header(&r, "access-control-allow-headers"), Some(asked));
        assert_eq!(header(&r, "access-control-max-age"), Some("86400"));
        // None asked, or a list that is not headers' names: the SDKs' headers.
        for asked in [None, Some("x-amz-date, bad header"), Some("a,,b")] {
            let r = Cors::Any
                .preflight(&http::Method::OPTIONS, &preflight("https://x.example", asked))
                .unwrap();
            assert_eq!(header(&r, "access-control-allow-origin"), Some("*"));
            assert_eq!(
                header(&r, "access-control-allow-headers"),
                Some(ALLOW_HEADERS),
                "{asked:?}"
            );
        }
    }

    #[test]
    fn a_preflight_from_another_origin_is_refused_without_allow_headers() {
        let cors = Cors::parse(&["http://localhost:3000"]).unwrap();
        for cors in [cors, Cors::Off] {
            let r = cors
                .preflight(&http::Method::OPTIONS, &preflight("https://evil.example", None))
                .unwrap();
            assert_eq!(r.status, 403);
            assert!(r.headers.iter().all(|(n, _)| !n.starts_with("access-control-")), "{r:?}");
        }
        // Not a preflight: another method, or no Origin or requested method.
        let h = preflight("http://localhost:3000", None);
        assert!(Cors::Any.preflight(&http::Method::POST, &h).is_none());
        let mut h = HeaderMap::new();
        h.insert("origin", HeaderValue::from_static("http://a.example"));
        assert!(Cors::Any.preflight(&http::Method::OPTIONS, &h).is_none());
    }

    #[test]
    fn answers_carry_the_origin_and_the_exposed_headers_only_for_allowed_origins() {
        let cors = Cors::parse(&["http://localhost:3000"]).unwrap();
        let mut req = HeaderMap::new();
        req.insert("origin", HeaderValue::from_static("http://LOCALHOST:3000"));
        let mut out = HeaderMap::new();
        cors.decorate(cors.for_request(&req), &mut out);
        assert_eq!(out["access-control-allow-origin"], "http://LOCALHOST:3000");
        assert_eq!(out["access-control-expose-headers"], EXPOSE_HEADERS);
        assert_eq!(out["vary"], "Origin");
        req.insert("origin", HeaderValue::from_static("https://evil.example"));
        let mut out = HeaderMap::new();
        cors.decorate(cors.for_request(&req), &mut out);
        assert!(out.is_empty());
        // No Origin (not a browser): nothing either.
        let mut out = HeaderMap::new();
        Cors::Any.decorate(Cors::Any.for_request(&HeaderMap::new()), &mut out);
        assert!(out.is_empty());
    }
}
