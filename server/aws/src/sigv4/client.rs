//! Signing on the client's side, as the SDKs sign: for tests and the benchmark client, which
//! send raw requests. [`sign_request`] gives the headers to add (`X-Amz-Date`, the session
//! token, `Authorization`); [`Signer::presign_query`] a presigned URL's query string.

use super::sign::{
    canonical_request_sha256, hex32, sha256_hex, signature_of_hash, uri_encode, Canonical,
    SigningKey, EMPTY_SHA256,
};
use super::time::amz_date;
use super::ALGORITHM;
use std::time::{Duration, SystemTime};

/// Whose credentials sign, and for which region and service.
#[derive(Clone, Copy)]
pub struct Signer<'a> {
    /// The access key id.
    pub access_key_id: &'a str,
    /// The secret access key.
    pub secret: &'a str,
    /// The session token of temporary credentials.
    pub session_token: Option<&'a str>,
    /// The region signed for.
    pub region: &'a str,
    /// The service's signing name (`dynamodb`, `iam`, `sts`, `monitoring`).
    pub service: &'a str,
}

impl std::fmt::Debug for Signer<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("access_key_id", &self.access_key_id)
            .field("secret", &"<redacted>")
            .field("session_token", &self.session_token.map(|_| "<redacted>"))
            .field("region", &self.region)
            .field("service", &self.service)
            .finish()
    }
}

/// Names signed by the signer itself, whatever the caller passes.
const OWN: [&str; 3] = ["host", "x-amz-date", "x-amz-security-token"];

impl Signer<'_> {
    fn scope(&self, date: &str) -> String {
        format!("{date}/{}/{}/aws4_request", self.region, self.service)
    }

    /// The signature (hex) of a canonical request with the headers `signed` (lowercase names,
    /// sorted, each once).
    fn sign(
        &self,
        canonical: &Canonical,
        signed: &[(&str, &[u8])],
        date: &str,
        amz: &str,
    ) -> String {
        // Every signed header is in `signed`: the hash cannot miss one.
        let hash = canonical_request_sha256(canonical, signed).unwrap_or([0; 32]);
        let key = SigningKey::derive(self.secret, date, self.region, self.service);
        let sig = hex32(&signature_of_hash(&key, amz, &self.scope(date), &hash));
        String::from_utf8_lossy(&sig).into_owned()
    }

    /// The headers to add to a request (see [`sign_request`]).
    #[allow(clippy::too_many_arguments)]
    pub fn sign_headers(
        &self,
        method: &str,
        host: &str,
        path: &str,
        query: &str,
        headers: &[(&str, &str)],
        body: &[u8],
        now: SystemTime,
    ) -> Vec<(String, String)> {
        let amz = amz_date(now);
        let date = amz.get(..8).unwrap_or("");
        let mut all: Vec<(String, &str)> = vec![("host".into(), host), ("x-amz-date".into(), &amz)];
        if let Some(token) = self.session_token {
            all.push(("x-amz-security-token".into(), token));
        }
        for (name, value) in headers {
            let name = name.to_ascii_lowercase();
            if !OWN.contains(&name.as_str()) {
                all.push((name, value));
            }
        }
        // Sorted by name; a name's values stay in the order given.
        all.sort_by(|a, b| a.0.cmp(&b.0));
        let mut names: Vec<&str> = all.iter().map(|(n, _)| n.as_str()).collect();
        names.dedup();
        let signed_headers = names.join(";");
        let signed: Vec<(&str, &[u8])> =
            all.iter().map(|(n, v)| (n.as_str(), v.as_bytes())).collect();
        let payload = sha256_hex(body);
        let canonical = Canonical {
            method,
            path,
            query,
            skip_param: None,
            signed_headers: &signed_headers,
            payload_sha256: &payload,
        };
        let sig = self.sign(&canonical, &signed, date, &amz);
        let authorization = format!(
            "{ALGORITHM} Credential={}/{}, SignedHeaders={signed_headers}, Signature={sig}",
            self.access_key_id,
            self.scope(date)
        );
        let mut out = vec![("X-Amz-Date".to_string(), amz.clone())];
        if let Some(token) = self.session_token {
            out.push(("X-Amz-Security-Token".to_string(), token.to_string()));
        }
        out.push(("Authorization".to_string(), authorization));
        out
    }

    /// The query string of a presigned URL for `method host path?query` without a body, valid
    /// `expires` from `now`: `query` followed by the `X-Amz-*` parameters, the signature last.
    /// Only `host` is signed, and the empty body's hash (as botocore presigns for every service
    /// but S3).
    pub fn presign_query(
        &self,
        method: &str,
        host: &str,
        path: &str,
        query: &str,
        now: SystemTime,
        expires: Duration,
    ) -> String {
        let amz = amz_date(now);
        let date = amz.get(..8).unwrap_or("");
        let credential = format!("{}/{}", self.access_key_id, self.scope(date));
        let mut q = String::from(query);
        let mut add = |k: &str, v: &str| {
            if !q.is_empty() {
                q.push('&');
            }
            q.push_str(k);
            q.push('=');
            q.push_str(&uri_encode(v.as_bytes(), false));
        };
        add("X-Amz-Algorithm", ALGORITHM);
        add("X-Amz-Credential", &credential);
        add("X-Amz-Date", &amz);
        add("X-Amz-Expires", &expires.as_secs().to_string());
        if let Some(token) = self.session_token {
            add("X-Amz-Security-Token", token);
        }
        add("X-Amz-SignedHeaders", "host");
        let canonical = Canonical {
            method,
            path,
            query: &q,
            skip_param: None,
            signed_headers: "host",
            payload_sha256: EMPTY_SHA256,
        };
        let sig = self.sign(&canonical, &[("host", host.as_bytes())], date, &amz);
        format!("{q}&X-Amz-Signature={sig}")
    }
}

/// Signs a request as the SDKs do: `host`, `x-amz-date`, `x-amz-security-token` (when a token is
/// given) and every header of `headers` are signed, the payload hash is the body's SHA-256. The
/// answer is the headers to add: `X-Amz-Date`, `X-Amz-Security-Token` (when a token is given)
/// and `Authorization`.
#[allow(clippy::too_many_arguments)]
pub fn sign_request(
    method: &str,
    host: &str,
    path: &str,
    query: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    access_key_id: &str,
    secret: &str,
    session_token: Option<&str>,
    region: &str,
    service: &str,
    now: SystemTime,
) -> Vec<(String, String)> {
    Signer { access_key_id, secret, session_token, region, service }
        .sign_headers(method, host, path, query, headers, body, now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sigv4::time::parse_amz_date;

    #[test]
    fn signs_the_aws_test_suite_request() {
        // post-x-www-form-urlencoded, from AWS's SigV4 test suite.
        let now = parse_amz_date("20150830T123600Z").unwrap();
        let added = sign_request(
            "POST",
            "example.amazonaws.com",
            "/",
            "",
            &[("Content-Type", "application/x-www-form-urlencoded")],
            b"Param1=value1",
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            None,
            "us-east-1",
            "service",
            now,
        );
        assert_eq!(
            added,
            vec![
                ("X-Amz-Date".to_string(), "20150830T123600Z".to_string()),
                (
                    "Authorization".to_string(),
                    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/\
                     aws4_request, SignedHeaders=content-type;host;x-amz-date, \
                     Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"
                        .to_string()
                ),
            ]
        );
        let with_token = Signer {
            access_key_id: "AKIDEXAMPLE",
            secret: "s",
            session_token: Some("tok"),
            region: "us-east-1",
            service: "sts",
        };
        let added = with_token.sign_headers("GET", "h", "/", "", &[], b"", now);
        assert_eq!(added.get(1), Some(&("X-Amz-Security-Token".to_string(), "tok".to_string())));
        let auth = &added.get(2).unwrap().1;
        assert!(auth.contains("SignedHeaders=host;x-amz-date;x-amz-security-token,"), "{auth}");
        assert!(!format!("{with_token:?}").contains("tok\""));
    }
}
