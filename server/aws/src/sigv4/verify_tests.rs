//! Tests of [`Verifier`]: requests signed by [`crate::sigv4::client`] verify; every rejection
//! is AWS's error in both service families; presigned URLs; the signing key cache.

use super::*;
use crate::sigv4::client::{sign_request, Signer};
use crate::sigv4::time::parse_amz_date;
use crate::{AwsError, Wire};
use http::{HeaderName, HeaderValue};
use std::collections::HashMap;
use std::sync::Mutex;

const ID: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const TEMP_ID: &str = "ASIATEMP";
const TEMP_SECRET: &str = "temporary-secret";
const TOKEN: &str = "FQoGZXIvYXdzE+token/with=chars";
const DATE: &str = "20261206T103000Z";
const HOST: &str = "dynamodb.us-east-1.amazonaws.com";
const BODY: &[u8] = br#"{"TableName":"t","Key":{"pk":{"S":"a"}}}"#;
const IAM: Wire = Wire::Query { xmlns: "https://iam.amazonaws.com/doc/2010-05-08/" };
const DYNAMODB: Expected = Expected { region: "us-east-1", service: "dynamodb" };

fn at(date: &str) -> SystemTime {
    parse_amz_date(date).unwrap()
}

fn now() -> SystemTime {
    at(DATE)
}

struct Stored {
    secret: String,
    token: Option<String>,
    expires: Option<SystemTime>,
}

/// A key store whose credentials the tests change.
struct Store(Mutex<HashMap<String, Stored>>);

impl Store {
    fn new() -> Store {
        let s = Store(Mutex::new(HashMap::new()));
        s.set(ID, SECRET, None, None);
        s.set(TEMP_ID, TEMP_SECRET, Some(TOKEN), Some(at("20261206T120000Z")));
        s
    }

    fn set(&self, id: &str, secret: &str, token: Option<&str>, expires: Option<SystemTime>) {
        let stored = Stored { secret: secret.into(), token: token.map(Into::into), expires };
        self.0.lock().unwrap().insert(id.into(), stored);
    }
}

impl Keys for Store {
    type Principal = String;
    fn lookup(&self, access_key_id: &str) -> Lookup<String> {
        match self.0.lock().unwrap().get(access_key_id) {
            Some(s) => Lookup::Found(Credential {
                secret: s.secret.as_str().into(),
                session_token: s.token.clone(),
                expires: s.expires,
                principal: format!("user/{access_key_id}"),
            }),
            None => Lookup::Unknown,
        }
    }
}

/// A request as the server receives it.
#[derive(Clone)]
struct Req {
    method: &'static str,
    path: String,
    query: String,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Req {
    fn incoming(&self) -> Incoming<'_> {
        Incoming {
            method: self.method,
            path: &self.path,
            query: &self.query,
            headers: &self.headers,
            body: &self.body,
        }
    }

    fn set(&mut self, name: &str, value: &str) {
        let name = HeaderName::from_bytes(name.as_bytes()).unwrap();
        self.headers.insert(name, HeaderValue::from_str(value).unwrap());
    }

    /// The `Authorization` header with `from` replaced by `to`.
    fn with_auth_replaced(mut self, from: &str, to: &str) -> Req {
        let auth = self.headers["authorization"].to_str().unwrap().replace(from, to);
        self.set("authorization", &auth);
        self
    }
}

/// A DynamoDB GetItem signed with `signer` at `date`.
fn signed_by(signer: Signer, date: &str) -> Req {
    let headers = [
        ("Content-Type", "application/x-amz-json-1.0"),
        ("X-Amz-Target", "DynamoDB_20120810.GetItem"),
    ];
    let added = signer.sign_headers("POST", HOST, "/", "", &headers, BODY, at(date));
    let mut r = Req {
        method: "POST",
        path: "/".into(),
        query: String::new(),
        headers: HeaderMap::new(),
        body: BODY.to_vec(),
    };
    r.set("host", HOST);
    for (k, v) in headers.iter().copied().chain(added.iter().map(|(k, v)| (k.as_str(), v.as_str())))
    {
        r.set(k, v);
    }
    r
}

fn signer<'a>(id: &'a str, secret: &'a str, token: Option<&'a str>) -> Signer<'a> {
    Signer {
        access_key_id: id,
        secret,
        session_token: token,
        region: "us-east-1",
        service: "dynamodb",
    }
}

fn signed() -> Req {
    signed_by(signer(ID, SECRET, None), DATE)
}

fn verifier() -> Verifier {
    Verifier::new(VerifierOptions::default())
}

fn verify(r: &Req) -> Result<Verified<String>, AuthError> {
    verifier().verify(&r.incoming(), &DYNAMODB, now(), &Store::new())
}

/// The error's (code, status, message) in both families: JSON, then query.
fn forms(e: &AuthError) -> [(String, u16, String); 2] {
    let f = |a: AwsError| (a.type_name(), a.status, a.message);
    [f(e.to_aws(Wire::Json10)), f(e.to_aws(IAM))]
}

#[test]
fn a_signed_request_verifies() {
    let v = verify(&signed()).unwrap();
    assert_eq!(
        v,
        Verified {
            principal: "user/AKIDEXAMPLE".into(),
            access_key_id: ID.into(),
            presigned: false,
        }
    );
    // sign_request is the same signer; its headers verify too.
    let added = sign_request(
        "POST",
        HOST,
        "/",
        "",
        &[],
        BODY,
        ID,
        SECRET,
        None,
        "us-east-1",
        "dynamodb",
        now(),
    );
    let mut r = signed();
    r.headers.clear();
    r.set("host", HOST);
    for (k, v) in &added {
        r.set(k, v);
    }
    assert!(verify(&r).is_ok());
    // Within the skew either way; temporary credentials with their token.
    assert!(verifier()
        .verify(&signed().incoming(), &DYNAMODB, at("20261206T104459Z"), &Store::new())
        .is_ok());
    assert!(verify(&signed_by(signer(ID, SECRET, None), "20261206T104000Z")).is_ok());
    let temp = signed_by(signer(TEMP_ID, TEMP_SECRET, Some(TOKEN)), DATE);
    assert_eq!(verify(&temp).unwrap().principal, "user/ASIATEMP");
}

#[test]
fn missing_and_incomplete_signatures() {
    let mut r = signed();
    r.headers.remove("authorization");
    let e = verify(&r).unwrap_err();
    assert_eq!(e, AuthError::MissingToken);
    let msg = "Request is missing Authentication Token".to_string();
    assert_eq!(
        forms(&e),
        [
            (
                "com.amazon.coral.service#MissingAuthenticationTokenException".into(),
                400,
                msg.clone()
            ),
            ("MissingAuthenticationToken".into(), 403, msg),
        ]
    );
    for (auth, needle) in [
        ("Basic abc", "requires the 'AWS4-HMAC-SHA256' algorithm"),
        ("AWS4-HMAC-SHA256 Credential=a/b/c/d/e", "requires 'Signature' parameter."),
    ] {
        let mut r = signed();
        r.set("authorization", auth);
        let e = verify(&r).unwrap_err();
        assert!(matches!(&e, AuthError::Incomplete(m) if m.contains(needle)), "{e:?}");
        let [json, query] = forms(&e);
        assert_eq!(
            (json.0.as_str(), json.1),
            ("com.amazon.coral.service#IncompleteSignatureException", 400)
        );
        assert_eq!((query.0.as_str(), query.1), ("IncompleteSignature", 400));
    }
    let mut r = signed();
    r.set("x-amz-date", "2026-12-06T10:30:00Z");
    assert_eq!(
        verify(&r).unwrap_err(),
        AuthError::Incomplete(
            "Date must be in ISO-8601 'basic format'. Got '2026-12-06T10:30:00Z'. See \
             http://en.wikipedia.org/wiki/ISO_8601"
                .into()
        )
    );
    let r = signed().with_auth_replaced("/us-east-1/dynamodb/aws4_request", "/us-east-1/dynamodb");
    assert_eq!(
        verify(&r).unwrap_err(),
        AuthError::Incomplete(
            "Credential must have exactly 5 slash-delimited elements, e.g. \
             keyid/date/region/service/term, got 'AKIDEXAMPLE/20261206/us-east-1/dynamodb'"
                .into()
        )
    );
}

#[test]
fn the_clock_skew() {
    let expired = signed_by(signer(ID, SECRET, None), "20261206T101459Z");
    let e = verify(&expired).unwrap_err();
    let msg = "Signature expired: 20261206T101459Z is now earlier than 20261206T101500Z \
               (20261206T103000Z - 15 min.)";
    assert_eq!(e, AuthError::InvalidSignature(msg.into()));
    assert_eq!(
        forms(&e),
        [
            ("com.amazon.coral.service#InvalidSignatureException".into(), 400, msg.into()),
            ("SignatureDoesNotMatch".into(), 403, msg.into()),
        ]
    );
    let future = signed_by(signer(ID, SECRET, None), "20261206T104501Z");
    assert_eq!(
        verify(&future).unwrap_err(),
        AuthError::InvalidSignature(
            "Signature not yet current: 20261206T104501Z is still later than 20261206T104500Z \
             (20261206T103000Z + 15 min.)"
                .into()
        )
    );
    // The window follows the configured skew.
    let five = Verifier::new(VerifierOptions {
        clock_skew_max: Duration::from_secs(300),
        ..VerifierOptions::default()
    });
    let r = signed_by(signer(ID, SECRET, None), "20261206T102000Z");
    let e = five.verify(&r.incoming(), &DYNAMODB, now(), &Store::new()).unwrap_err();
    assert_eq!(
        e,
        AuthError::InvalidSignature(
            "Signature expired: 20261206T102000Z is now earlier than 20261206T102500Z \
             (20261206T103000Z - 5 min.)"
                .into()
        )
    );
}

#[test]
fn host_must_be_signed_and_signed_headers_present() {
    let r = signed()
        .with_auth_replaced("SignedHeaders=content-type;host;", "SignedHeaders=content-type;");
    let e = verify(&r).unwrap_err();
    assert_eq!(
        e,
        AuthError::InvalidSignature(
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.".into()
        )
    );
    let mut r = signed();
    r.headers.remove("x-amz-target");
    assert_eq!(verify(&r).unwrap_err(), AuthError::InvalidSignature(MSG_SIGNATURE_MISMATCH.into()));
}

#[test]
fn the_credential_scope() {
    let wrong = Signer { region: "eu-west-1", service: "iam", ..signer(ID, SECRET, None) };
    let e = verify(&signed_by(wrong, DATE)).unwrap_err();
    let [json, query] = forms(&e);
    assert_eq!(json.0, "com.amazon.coral.service#InvalidSignatureException");
    assert_eq!(
        json.2,
        "Credential should be scoped to a valid region, not 'eu-west-1'. \
         Credential should be scoped to correct service: 'dynamodb'. "
    );
    assert_eq!(
        (query.0.as_str(), query.1, query.2.as_str()),
        (
            "SignatureDoesNotMatch",
            403,
            "Credential should be scoped to a valid region. \
             Credential should be scoped to correct service: 'dynamodb'. "
        )
    );
    let r = signed()
        .with_auth_replaced("/20261206/", "/20261205/")
        .with_auth_replaced("/aws4_request", "/aws5_request");
    assert_eq!(
        verify(&r).unwrap_err().to_aws(Wire::Json10).message,
        "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'. \
         Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from \
         HTTP: '20261205' != '20261206', from '20261206T103000Z'. "
    );
}

#[test]
fn keys_tokens_and_expiry() {
    let unknown = signed_by(signer("AKIDUNKNOWN", SECRET, None), DATE);
    let e = verify(&unknown).unwrap_err();
    assert_eq!(e, AuthError::UnrecognizedClient);
    let msg = "The security token included in the request is invalid.".to_string();
    assert_eq!(
        forms(&e),
        [
            ("com.amazon.coral.service#UnrecognizedClientException".into(), 400, msg.clone()),
            ("InvalidClientTokenId".into(), 403, msg),
        ]
    );
    // A token the credential does not have, none when it has one, or another one.
    for (id, secret, token) in [
        (ID, SECRET, Some(TOKEN)),
        (TEMP_ID, TEMP_SECRET, None),
        (TEMP_ID, TEMP_SECRET, Some("FQoGZXIvYXdzE+token/with=chaRs")),
    ] {
        let r = signed_by(signer(id, secret, token), DATE);
        assert_eq!(verify(&r).unwrap_err(), AuthError::UnrecognizedClient, "{id} {token:?}");
    }
    // Expired credentials, even correctly signed.
    let store = Store::new();
    store.set(TEMP_ID, TEMP_SECRET, Some(TOKEN), Some(at("20261206T103000Z")));
    let r = signed_by(signer(TEMP_ID, TEMP_SECRET, Some(TOKEN)), DATE);
    let e = verifier().verify(&r.incoming(), &DYNAMODB, now(), &store).unwrap_err();
    assert_eq!(e, AuthError::ExpiredToken);
    let msg = "The security token included in the request is expired".to_string();
    assert_eq!(
        forms(&e),
        [
            ("com.amazon.coral.service#ExpiredTokenException".into(), 400, msg.clone()),
            ("ExpiredToken".into(), 403, msg),
        ]
    );
}

#[test]
fn payload_and_signature() {
    let mut r = signed();
    r.set("x-amz-content-sha256", &crate::sigv4::sign::sha256_hex(b"another body"));
    assert_eq!(
        verify(&r).unwrap_err(),
        AuthError::InvalidSignature(
            "The provided 'x-amz-content-sha256' header does not match what was computed.".into()
        )
    );
    r.set("x-amz-content-sha256", "UNSIGNED-PAYLOAD");
    assert!(matches!(verify(&r), Err(AuthError::InvalidSignature(_))), "only S3 skips the body");
    // The header, when right, is accepted (and here unsigned).
    r.set("x-amz-content-sha256", &crate::sigv4::sign::sha256_hex(BODY));
    assert!(verify(&r).is_ok());
    let wrong_secret = signed_by(signer(ID, "not the secret", None), DATE);
    let e = verify(&wrong_secret).unwrap_err();
    assert_eq!(
        forms(&e),
        [
            (
                "com.amazon.coral.service#InvalidSignatureException".into(),
                400,
                MSG_SIGNATURE_MISMATCH.into()
            ),
            ("SignatureDoesNotMatch".into(), 403, MSG_SIGNATURE_MISMATCH.into()),
        ]
    );
    assert!(
        MSG_SIGNATURE_MISMATCH.starts_with("The request signature we calculated does not match")
    );
    // A changed body, header, path or query is a different request.
    let mut body = signed();
    body.body.push(b' ');
    let mut header = signed();
    header.set("x-amz-target", "DynamoDB_20120810.DeleteItem");
    let mut path = signed();
    path.path = "/x".into();
    let mut query = signed();
    query.query = "a=1".into();
    for r in [body, header, path, query] {
        assert_eq!(
            verify(&r).unwrap_err(),
            AuthError::InvalidSignature(MSG_SIGNATURE_MISMATCH.into())
        );
    }
}

#[test]
fn no_secret_in_errors_or_debug() {
    let c = Credential {
        secret: SECRET.into(),
        session_token: Some(TOKEN.to_string()),
        expires: None,
        principal: 7,
    };
    let d = format!("{c:?} {:?}", Lookup::Found(c.clone()));
    assert!(!d.contains(SECRET) && !d.contains(TOKEN) && d.contains("<redacted>"), "{d}");
    let wrong = signed_by(signer(ID, "not the secret", None), DATE);
    let expected = signed();
    let e = format!("{:?}", verify(&wrong).unwrap_err());
    let sig = expected.headers["authorization"].to_str().unwrap().rsplit('=').next().unwrap();
    assert!(!e.contains(SECRET) && !e.contains(sig), "{e}");
}

/// `GetCallerIdentity` presigned for STS.
fn presigned(signer: Signer, date: &str, expires: u64) -> Req {
    let q = signer.presign_query(
        "GET",
        "sts.amazonaws.com",
        "/",
        "Action=GetCallerIdentity&Version=2011-06-15",
        at(date),
        Duration::from_secs(expires),
    );
    let mut r =
        Req { method: "GET", path: "/".into(), query: q, headers: HeaderMap::new(), body: vec![] };
    r.set("host", "sts.amazonaws.com");
    r
}

const STS: Expected = Expected { region: "us-east-1", service: "sts" };

fn sts_signer<'a>(id: &'a str, secret: &'a str, token: Option<&'a str>) -> Signer<'a> {
    Signer { service: "sts", ..signer(id, secret, token) }
}

fn verify_sts(r: &Req, when: &str) -> Result<Verified<String>, AuthError> {
    verifier().verify(&r.incoming(), &STS, at(when), &Store::new())
}

#[test]
fn presigned_urls() {
    let r = presigned(sts_signer(ID, SECRET, None), DATE, 3600);
    assert!(r.query.contains("X-Amz-Credential=AKIDEXAMPLE%2F20261206%2Fus-east-1%2Fsts%2F"));
    let v = verify_sts(&r, "20261206T112959Z").unwrap();
    assert!(v.presigned);
    let temp = presigned(sts_signer(TEMP_ID, TEMP_SECRET, Some(TOKEN)), DATE, 900);
    assert!(verify_sts(&temp, DATE).is_ok());
    // Past X-Amz-Expires.
    assert_eq!(
        verify_sts(&r, "20261206T113001Z").unwrap_err(),
        AuthError::InvalidSignature(
            "Signature expired: 20261206T103000Z is now earlier than 20261206T103001Z \
             (20261206T113001Z - 60 min.)"
                .into()
        )
    );
    // Not yet current.
    assert!(matches!(
        verify_sts(&r, "20261206T101459Z"),
        Err(AuthError::InvalidSignature(m)) if m.starts_with("Signature not yet current")
    ));
    // A tampered query, a wrong secret, a parameter dropped.
    let mut tampered = r.clone();
    tampered.query = tampered.query.replace("Version=2011-06-15", "Version=2011-06-16");
    let wrong = presigned(sts_signer(ID, "nope", None), DATE, 3600);
    for bad in [tampered, wrong] {
        assert_eq!(
            verify_sts(&bad, DATE).unwrap_err(),
            AuthError::InvalidSignature(MSG_SIGNATURE_MISMATCH.into())
        );
    }
    let mut dropped = r.clone();
    dropped.query = dropped.query.replace("&X-Amz-SignedHeaders=host", "");
    assert!(matches!(
        verify_sts(&dropped, DATE),
        Err(AuthError::Incomplete(m)) if m.contains("'X-Amz-SignedHeaders'")
    ));
    // X-Amz-Expires bounds.
    let week = presigned(sts_signer(ID, SECRET, None), DATE, 604_801);
    assert_eq!(
        verify_sts(&week, DATE).unwrap_err(),
        AuthError::Incomplete(
            "X-Amz-Expires must be less than a week (in seconds) that is 604800".into()
        )
    );
    let mut nan = r.clone();
    nan.query = nan.query.replace("X-Amz-Expires=3600", "X-Amz-Expires=soon");
    assert_eq!(
        verify_sts(&nan, DATE).unwrap_err(),
        AuthError::Incomplete("X-Amz-Expires should be a number".into())
    );
    // Presigned with a token the store does not know for it.
    let mut token = r.clone();
    token.set("x-amz-security-token", TOKEN);
    assert_eq!(verify_sts(&token, DATE).unwrap_err(), AuthError::UnrecognizedClient);
    // The payload: the body's hash, declared or not; UNSIGNED-PAYLOAD only when declared.
    let mut sha = r.clone();
    sha.set("x-amz-content-sha256", &crate::sigv4::sign::sha256_hex(b""));
    assert!(verify_sts(&sha, DATE).is_ok());
    sha.set("x-amz-content-sha256", &crate::sigv4::sign::sha256_hex(b"x"));
    assert!(
        matches!(verify_sts(&sha, DATE), Err(AuthError::InvalidSignature(m)) if m.contains("x-amz-content-sha256"))
    );
    sha.set("x-amz-content-sha256", "UNSIGNED-PAYLOAD");
    assert_eq!(
        verify_sts(&sha, DATE).unwrap_err(),
        AuthError::InvalidSignature(MSG_SIGNATURE_MISMATCH.into())
    );
    let unsigned = presigned_unsigned_payload();
    assert!(verify_sts(&unsigned, DATE).is_ok());
    let mut undeclared = unsigned.clone();
    undeclared.query = undeclared.query.replace("&X-Amz-Content-Sha256=UNSIGNED-PAYLOAD", "");
    assert_eq!(
        verify_sts(&undeclared, DATE).unwrap_err(),
        AuthError::InvalidSignature(MSG_SIGNATURE_MISMATCH.into())
    );
}

/// A presigned URL that declares (and signs) `UNSIGNED-PAYLOAD` in its query, as S3-style
/// presigners do.
fn presigned_unsigned_payload() -> Req {
    use crate::sigv4::sign::{
        canonical_request_sha256, hex32, signature_of_hash, Canonical, SigningKey,
    };
    let q = "Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256\
             &X-Amz-Content-Sha256=UNSIGNED-PAYLOAD\
             &X-Amz-Credential=AKIDEXAMPLE%2F20261206%2Fus-east-1%2Fsts%2Faws4_request\
             &X-Amz-Date=20261206T103000Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host";
    let c = Canonical {
        method: "GET",
        path: "/",
        query: q,
        skip_param: None,
        signed_headers: "host",
        payload_sha256: "UNSIGNED-PAYLOAD",
    };
    let headers: &[(&str, &[u8])] = &[("host", b"sts.amazonaws.com")];
    let hash = canonical_request_sha256(&c, headers).unwrap();
    let key = SigningKey::derive(SECRET, "20261206", "us-east-1", "sts");
    let sig = hex32(&signature_of_hash(&key, DATE, "20261206/us-east-1/sts/aws4_request", &hash));
    let query = format!("{q}&X-Amz-Signature={}", std::str::from_utf8(&sig).unwrap());
    let mut r =
        Req { method: "GET", path: "/".into(), query, headers: HeaderMap::new(), body: vec![] };
    r.set("host", "sts.amazonaws.com");
    r
}

#[test]
fn the_signing_key_cache() {
    let v = verifier();
    let store = Store::new();
    let r = signed();
    let cold = v.verify(&r.incoming(), &DYNAMODB, now(), &store);
    assert_eq!(v.cached_keys(), 1);
    let hot = v.verify(&r.incoming(), &DYNAMODB, now(), &store);
    assert_eq!((cold.clone(), v.cached_keys()), (hot, 1));
    assert!(cold.is_ok());
    // A failure on the hot path is the same failure.
    let wrong = signed_by(signer(ID, "not the secret", None), DATE);
    let e1 = v.verify(&wrong.incoming(), &DYNAMODB, now(), &store).unwrap_err();
    assert_eq!(e1, verify(&wrong).unwrap_err());
    // A changed secret misses: the old signature fails, the new one verifies.
    store.set(ID, "rotated secret", None, None);
    assert_eq!(
        v.verify(&r.incoming(), &DYNAMODB, now(), &store).unwrap_err(),
        AuthError::InvalidSignature(MSG_SIGNATURE_MISMATCH.into())
    );
    let rotated = signed_by(signer(ID, "rotated secret", None), DATE);
    assert!(v.verify(&rotated.incoming(), &DYNAMODB, now(), &store).is_ok());
    assert_eq!(v.cached_keys(), 1, "the rotated key replaced the old one");
    // Bounded.
    let small = Verifier::new(VerifierOptions { key_cache_entries_max: 16, ..Default::default() });
    for i in 0..200 {
        let id = format!("AKID{i}");
        store.set(&id, SECRET, None, None);
        let r = signed_by(signer(&id, SECRET, None), DATE);
        assert!(small.verify(&r.incoming(), &DYNAMODB, now(), &store).is_ok());
        assert!(small.cached_keys() <= 16);
    }
    assert!(small.cached_keys() > 0);
}

/// Requests signed by another implementation: botocore 1.43 (`SigV4Auth`, `SigV4QueryAuth`) at
/// 2026-12-06T10:30:00Z with temporary credentials (`ASIATEMP`, `temporary-secret`, `TOKEN`).
#[test]
fn requests_signed_by_botocore_verify() {
    let boto_sig = "b70172f0e0a50f26ba772c139091f20cdc2b9db9444283c357a0474c98fab9c5";
    let mut r = signed_by(signer(TEMP_ID, TEMP_SECRET, Some(TOKEN)), DATE);
    let ours = r.headers["authorization"].to_str().unwrap().to_string();
    assert!(ours.ends_with(boto_sig), "{ours}");
    r.set(
        "authorization",
        &format!(
            "AWS4-HMAC-SHA256 Credential=ASIATEMP/20261206/us-east-1/dynamodb/aws4_request, \
             SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target, \
             Signature={boto_sig}"
        ),
    );
    assert_eq!(r.headers["x-amz-security-token"], TOKEN);
    assert!(verify(&r).is_ok());
    let boto_query = "Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256\
        &X-Amz-Credential=ASIATEMP%2F20261206%2Fus-east-1%2Fsts%2Faws4_request\
        &X-Amz-Date=20261206T103000Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host\
        &X-Amz-Security-Token=FQoGZXIvYXdzE%2Btoken%2Fwith%3Dchars\
        &X-Amz-Signature=19d99d93e0249b31b4d30e32eb516a23053aa5f904964b2202c934f5ab78c6ce";
    let mut p = presigned(sts_signer(TEMP_ID, TEMP_SECRET, Some(TOKEN)), DATE, 900);
    assert!(p.query.ends_with(
        "X-Amz-Signature=19d99d93e0249b31b4d30e32eb516a23053aa5f904964b2202c934f5ab78c6ce"
    ));
    p.query = boto_query.into();
    let v = verify_sts(&p, "20261206T104459Z").unwrap();
    assert_eq!((v.access_key_id.as_str(), v.presigned), (TEMP_ID, true));
}
