//! SigV4 verification cost: one GetItem request as the benchmark client sends it (signed
//! `host;x-amz-target;content-type;x-amz-date`, a 60-byte JSON body), verified against a
//! one-key store with a warm signing-key cache; beside it the parts of the work (the body's
//! SHA-256, the canonical request's SHA-256, the signature's HMAC).
//!
//! `cargo bench -p shale-aws --bench sigv4`

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use http::{HeaderMap, HeaderName, HeaderValue};
use sha2::{Digest, Sha256};
use shale_aws::sigv4::client::sign_request;
use shale_aws::sigv4::sign::{canonical_request_sha256, signature_of_hash, Canonical, SigningKey};
use shale_aws::sigv4::{Credential, Expected, Incoming, Keys, Lookup, Verifier, VerifierOptions};
use std::sync::Arc;
use std::time::SystemTime;

const KEY_ID: &str = "AKIAIOSFODNN7EXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const BODY: &[u8] = br#"{"TableName":"usertable","Key":{"pk":{"S":"user000000012345"}}}"#;

struct OneKey(Arc<str>);

impl Keys for OneKey {
    type Principal = ();
    fn lookup(&self, access_key_id: &str) -> Lookup<()> {
        if access_key_id == KEY_ID {
            Lookup::Found(Credential {
                secret: self.0.clone(),
                session_token: None,
                expires: None,
                principal: (),
            })
        } else {
            Lookup::Unknown
        }
    }
}

fn headers(now: SystemTime) -> HeaderMap {
    let target = ("x-amz-target", "DynamoDB_20120810.GetItem");
    let ct = ("content-type", "application/x-amz-json-1.0");
    let host = "127.0.0.1:8000";
    let added = sign_request(
        "POST",
        host,
        "/",
        "",
        &[target, ct],
        BODY,
        KEY_ID,
        SECRET,
        None,
        "us-east-1",
        "dynamodb",
        now,
    );
    let mut map = HeaderMap::new();
    let mut put = |k: &str, v: &str| {
        map.append(
            HeaderName::from_bytes(k.as_bytes()).expect("name"),
            HeaderValue::from_str(v).expect("value"),
        );
    };
    put("host", host);
    put(target.0, target.1);
    put(ct.0, ct.1);
    for (k, v) in &added {
        put(k, v);
    }
    put("content-length", &BODY.len().to_string());
    map
}

fn bench(c: &mut Criterion) {
    let now = SystemTime::now();
    let map = headers(now);
    let keys = OneKey(Arc::from(SECRET));
    let verifier = Verifier::new(VerifierOptions::default());
    let incoming = Incoming { method: "POST", path: "/", query: "", headers: &map, body: BODY };
    let expected = Expected { region: "us-east-1", service: "dynamodb" };
    verifier.verify(&incoming, &expected, now, &keys).expect("verifies");
    c.bench_function("sigv4/verify_get_item", |b| {
        b.iter(|| verifier.verify(black_box(&incoming), &expected, now, &keys).is_ok())
    });
    c.bench_function("sigv4/body_sha256", |b| b.iter(|| Sha256::digest(black_box(BODY))));
    let canonical = Canonical {
        method: "POST",
        path: "/",
        query: "",
        skip_param: None,
        signed_headers: "content-type;host;x-amz-date;x-amz-target",
        payload_sha256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    };
    c.bench_function("sigv4/canonical_request_sha256", |b| {
        b.iter(|| canonical_request_sha256(black_box(&canonical), &map))
    });
    let key = SigningKey::derive(SECRET, "20261206", "us-east-1", "dynamodb");
    let hash = [7u8; 32];
    c.bench_function("sigv4/signature_hmac", |b| {
        b.iter(|| {
            signature_of_hash(
                &key,
                "20261206T120000Z",
                "20261206/us-east-1/dynamodb/aws4_request",
                black_box(&hash),
            )
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
