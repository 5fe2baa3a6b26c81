//! SigV4 verification on arbitrary input, over a fixed key store: arbitrary bytes as the
//! `Authorization` header (alone, or after `AWS4-HMAC-SHA256 ` so the parts are reached), with
//! headers, a query string and a body from the input; arbitrary presigned query strings; and
//! a request signed by the client helper with an arbitrary path, query and body, which must
//! verify. `AuthHeader::parse` and `Verifier::verify` never panic, and every failure renders in
//! both service families.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shale_aws::sigv4::client::Signer;
use shale_aws::sigv4::time::parse_amz_date;
use shale_aws::sigv4::{
    AuthHeader, Credential, Expected, Incoming, Keys, Lookup, Verifier, VerifierOptions,
};
use shale_aws::Wire;
use std::sync::OnceLock;
use std::time::SystemTime;

struct Fixed;

impl Keys for Fixed {
    type Principal = u8;
    fn lookup(&self, access_key_id: &str) -> Lookup<u8> {
        let (secret, token) = match access_key_id {
            "AKID" => ("secret", None),
            "ASIA" => ("temp", Some("token".to_string())),
            _ => return Lookup::Unknown,
        };
        Lookup::Found(Credential {
            secret: secret.into(),
            session_token: token,
            expires: None,
            principal: 1,
        })
    }
}

fn verifier() -> &'static Verifier {
    static V: OnceLock<Verifier> = OnceLock::new();
    // A small cache: eviction is exercised too.
    V.get_or_init(|| {
        Verifier::new(VerifierOptions { key_cache_entries_max: 8, ..VerifierOptions::default() })
    })
}

fn now() -> SystemTime {
    parse_amz_date("20261206T103000Z").unwrap_or(SystemTime::UNIX_EPOCH)
}

const EXPECTED: Expected = Expected { region: "us-east-1", service: "dynamodb" };

fn check(method: &str, path: &str, query: &str, headers: &http::HeaderMap, body: &[u8]) {
    let _ = AuthHeader::parse(headers).map(|a| a.scope().map(|s| s.service.len()));
    let req = Incoming { method, path, query, headers, body };
    if let Err(e) = verifier().verify(&req, &EXPECTED, now(), &Fixed) {
        let _ = e.to_aws(Wire::Json10);
        let _ = e.to_aws(Wire::Query { xmlns: "https://sts.amazonaws.com/doc/2011-06-15/" });
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else { return };
    let mut lines = rest.splitn(4, |&b| b == b'\n');
    let first = lines.next().unwrap_or(b"");
    let query = String::from_utf8_lossy(lines.next().unwrap_or(b"")).into_owned();
    let head = lines.next().unwrap_or(b"");
    let body = lines.next().unwrap_or(b"");
    let mut headers = http::HeaderMap::new();
    headers.insert("host", http::HeaderValue::from_static("localhost"));
    headers.insert("x-amz-date", http::HeaderValue::from_static("20261206T103000Z"));
    // More headers: `name:value` separated by `;`.
    for h in head.split(|&b| b == b';') {
        let mut kv = h.splitn(2, |&b| b == b':');
        if let (Some(k), Some(v)) = (kv.next(), kv.next()) {
            if let (Ok(k), Ok(v)) =
                (http::HeaderName::from_bytes(k), http::HeaderValue::from_bytes(v))
            {
                headers.append(k, v);
            }
        }
    }
    match selector % 4 {
        0 | 1 => {
            let auth = if selector % 4 == 0 {
                first.to_vec()
            } else {
                [b"AWS4-HMAC-SHA256 ".as_slice(), first].concat()
            };
            if let Ok(v) = http::HeaderValue::from_bytes(&auth) {
                headers.insert("authorization", v);
            }
            check("POST", "/", &query, &headers, body);
        }
        2 => {
            // A presigned query string: the first line, then the second.
            let q = format!("{}&{query}", String::from_utf8_lossy(first));
            check("GET", "/", &q, &headers, body);
        }
        _ => {
            // Signed by the client helper: it must verify, whatever the path, query and body.
            let path = String::from_utf8_lossy(first).into_owned();
            let token = (selector & 0x10 != 0).then_some("token");
            let (id, secret) = if token.is_some() { ("ASIA", "temp") } else { ("AKID", "secret") };
            let signer = Signer {
                access_key_id: id,
                secret,
                session_token: token,
                region: "us-east-1",
                service: "dynamodb",
            };
            let added = signer.sign_headers("POST", "localhost", &path, &query, &[], body, now());
            let mut signed = http::HeaderMap::new();
            signed.insert("host", http::HeaderValue::from_static("localhost"));
            for (k, v) in &added {
                if let (Ok(k), Ok(v)) =
                    (http::HeaderName::from_bytes(k.as_bytes()), http::HeaderValue::from_str(v))
                {
                    signed.insert(k, v);
                }
            }
            let req =
                Incoming { method: "POST", path: &path, query: &query, headers: &signed, body };
            let verified = verifier().verify(&req, &EXPECTED, now(), &Fixed);
            assert!(verified.is_ok(), "{path:?} {query:?}: {verified:?}");
        }
    }
});
