//! Feeds arbitrary bytes to the IAM policy parser, as an identity policy and as a trust policy:
//! whatever the bytes, the parser answers (a policy or a `MalformedPolicyDocument` error) and
//! never panics; and a policy that parses is evaluated against a fixed request, with a context
//! holding every kind of condition value and a principal, which must not panic either.

#![no_main]

use libfuzzer_sys::fuzz_target;
use shale_server::iam::policy::{evaluate, Context, Policy, PolicyKind, PrincipalMatch, Request};
use std::sync::OnceLock;

fn context() -> &'static Context {
    static C: OnceLock<Context> = OnceLock::new();
    C.get_or_init(|| {
        let mut c = Context::new();
        c.set("aws:username", "alice");
        c.set("aws:userid", "AIDAEXAMPLE");
        c.set("aws:PrincipalAccount", "123456789012");
        c.set("aws:SourceIp", "203.0.113.9");
        c.set("aws:SecureTransport", "true");
        c.set("aws:CurrentTime", "2026-06-01T12:00:00Z");
        c.set("aws:EpochTime", "1780315200");
        c.set("aws:SourceArn", "arn:aws:dynamodb:us-east-1:123456789012:table/Books");
        c.set("s3:max-keys", "10");
        c.set_multi("dynamodb:LeadingKeys", vec!["alice".into()]);
        c.set_multi("dynamodb:Attributes", vec!["pk".into(), "title".into(), "*".into()]);
        c.set_multi("aws:TagKeys", vec![]);
        c
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(document) = std::str::from_utf8(data) else { return };
    let caller = PrincipalMatch::new("arn:aws:iam::123456789012:user/alice", "123456789012");
    let resource = "arn:aws:dynamodb:us-east-1:123456789012:table/Books/index/ByAuthor";
    for kind in [PolicyKind::Identity, PolicyKind::Trust] {
        match Policy::parse(document, kind) {
            Ok(policy) => {
                for action in ["dynamodb:GetItem", "sts:AssumeRole", "s3:*"] {
                    let request = Request::new(action, resource, context()).with_principal(&caller);
                    let one = policy.evaluate(&request);
                    // Evaluating a policy twice (as two policies) decides the same.
                    assert_eq!(evaluate([&policy, &policy], &request), one);
                }
            }
            Err(e) => {
                let _ = e.to_string();
            }
        }
    }
});
