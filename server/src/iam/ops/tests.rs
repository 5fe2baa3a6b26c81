//! The IAM operations called as the service calls them (a form, a caller), over an in-memory
//! store: managed policy versions, and what the default version lets an attached user do.

use super::OPERATIONS;
use crate::http::service::Call;
use crate::iam::caller::{Authenticator, Caller, KeyOwner, Principal};
use crate::iam::policy::Context;
use crate::iam::seal::Sealer;
use crate::iam::service::{Iam, XMLNS};
use crate::iam::store::root::RootCredentials;
use crate::iam::store::{Account, Store};
use shale_aws::query::Form;
use shale_aws::{AwsError, Wire};
use shale_engine::fs::MemFs;
use shale_engine::{Db, Options};
use std::sync::Arc;

const ACCOUNT: &str = "000000000000";
const TABLE: &str = "arn:aws:dynamodb:us-east-1:000000000000:table/orders";

struct Env {
    iam: Iam,
    auth: Authenticator,
    root: Caller,
}

fn env() -> Env {
    let fs = Arc::new(MemFs::new());
    let db = Db::open("/db", Options { fs, ..Options::default() }).unwrap();
    let store = Arc::new(Store::open(db, Sealer::with_key(&[7; 32]), Account::default()).unwrap());
    let root = RootCredentials {
        access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
        secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
    };
    let auth = Authenticator::new(Arc::clone(&store), root);
    Env { iam: Iam::new(store), auth, root: Caller::anonymous(ACCOUNT, None, false) }
}

impl Env {
    /// Calls `action` with `params` as `caller`: the answer's XML, or the error.
    fn call_as(
        &self,
        caller: &Caller,
        action: &str,
        params: &[(&str, &str)],
    ) -> Result<String, AwsError> {
        let mut body = format!("Action={action}&Version=2010-05-08");
        for (k, v) in params {
            body.push_str(&format!(
                "&{k}={}",
                shale_aws::sigv4::sign::uri_encode(v.as_bytes(), false)
            ));
        }
        let form = Form::parse(body.as_bytes())?;
        let op = OPERATIONS.iter().find(|o| o.name == action).expect("an operation");
        let call = Call {
            wire: Wire::Query { xmlns: XMLNS },
            body: body.as_bytes(),
            caller,
            request_id: "r",
        };
        (op.handler)(&self.iam, &form, &call).map(|r| String::from_utf8(r.body).unwrap())
    }

    fn call(&self, action: &str, params: &[(&str, &str)]) -> Result<String, AwsError> {
        self.call_as(&self.root, action, params)
    }

    fn ok(&self, action: &str, params: &[(&str, &str)]) -> String {
        self.call(action, params).unwrap_or_else(|e| panic!("{action}: {e:?}"))
    }

    fn err(&self, action: &str, params: &[(&str, &str)]) -> AwsError {
        match self.call(action, params) {
            Ok(body) => panic!("{action} answered {body}"),
            Err(e) => e,
        }
    }

    /// A user's caller, made as a request's would be (through the authenticator's cache).
    fn user(&self, name: &str) -> Caller {
        let owner = KeyOwner {
            principal: Principal::User { name: name.into() },
            bound_id: None,
            temporary: false,
            session_token_of_user: false,
        };
        self.auth.caller(owner, None, false).unwrap()
    }

    fn policy(&self, name: &str, doc: &str) -> String {
        self.ok("CreatePolicy", &[("PolicyName", name), ("PolicyDocument", doc)]);
        format!("arn:aws:iam::{ACCOUNT}:policy/{name}")
    }
}

fn allow(actions: &[&str]) -> String {
    serde_json::json!({"Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]})
    .to_string()
}

/// The text of every `<tag>` in `xml`, in order.
fn all(xml: &str, tag: &str) -> Vec<String> {
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(i) = rest.find(&open) {
        let after = &rest[i + open.len()..];
        let j = after.find(&close).unwrap();
        out.push(after[..j].to_string());
        rest = &after[j..];
    }
    out
}

fn one(xml: &str, tag: &str) -> String {
    let v = all(xml, tag);
    assert_eq!(v.len(), 1, "{tag} in {xml}");
    v[0].clone()
}

fn allowed(c: &Caller, action: &str) -> bool {
    c.authorize(action, TABLE, &Context::new()).is_ok()
}

#[test]
fn versions_are_made_listed_got_and_deleted_as_iam_does() {
    let env = env();
    let arn = env.policy("p", &allow(&["dynamodb:GetItem"]));
    let a: &[(&str, &str)] = &[("PolicyArn", arn.as_str())];
    // v2 not the default; v3 the default.
    let v2 = env.ok(
        "CreatePolicyVersion",
        &[("PolicyArn", &arn), ("PolicyDocument", &allow(&["dynamodb:PutItem"]))],
    );
    assert_eq!(one(&v2, "VersionId"), "v2");
    assert_eq!(one(&v2, "IsDefaultVersion"), "false");
    assert!(all(&v2, "Document").is_empty(), "CreatePolicyVersion returns no document");
    assert_eq!(one(&env.ok("GetPolicy", a), "DefaultVersionId"), "v1");
    let v3 = env.ok(
        "CreatePolicyVersion",
        &[
            ("PolicyArn", &arn),
            ("PolicyDocument", &allow(&["dynamodb:Query"])),
            ("SetAsDefault", "true"),
        ],
    );
    assert_eq!(one(&v3, "IsDefaultVersion"), "true");
    assert_eq!(one(&env.ok("GetPolicy", a), "DefaultVersionId"), "v3");
    // Listed newest first, one default; paged by MaxItems and Marker.
    let list = env.ok("ListPolicyVersions", a);
    assert_eq!(all(&list, "VersionId"), ["v3", "v2", "v1"]);
    assert_eq!(all(&list, "IsDefaultVersion"), ["true", "false", "false"]);
    assert!(all(&list, "Document").is_empty());
    assert_eq!(one(&list, "IsTruncated"), "false");
    let page = env.ok("ListPolicyVersions", &[("PolicyArn", &arn), ("MaxItems", "2")]);
    assert_eq!(all(&page, "VersionId"), ["v3", "v2"]);
    assert_eq!(one(&page, "IsTruncated"), "true");
    let marker = one(&page, "Marker");
    let rest = env.ok("ListPolicyVersions", &[("PolicyArn", &arn), ("Marker", &marker)]);
    assert_eq!(all(&rest, "VersionId"), ["v1"]);
    // Each version's own document.
    for (v, action) in [("v1", "GetItem"), ("v2", "PutItem"), ("v3", "Query")] {
        let got = env.ok("GetPolicyVersion", &[("PolicyArn", &arn), ("VersionId", v)]);
        assert!(one(&got, "Document").contains(action), "{v}: {got}");
        assert_eq!(one(&got, "IsDefaultVersion"), if v == "v3" { "true" } else { "false" });
    }
    // Up to 5: the 6th is refused, in AWS's words.
    for _ in 0..2 {
        env.ok(
            "CreatePolicyVersion",
            &[("PolicyArn", &arn), ("PolicyDocument", &allow(&["s3:*"]))],
        );
    }
    let e = env
        .err("CreatePolicyVersion", &[("PolicyArn", &arn), ("PolicyDocument", &allow(&["s3:*"]))]);
    assert_eq!((e.code.as_ref(), e.status), ("LimitExceeded", 409));
    assert_eq!(
        e.message,
        "A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version."
    );
    // The default version is not deleted; another is, and its id is not given again.
    let e = env.err("DeletePolicyVersion", &[("PolicyArn", &arn), ("VersionId", "v3")]);
    assert_eq!((e.code.as_ref(), e.status), ("DeleteConflict", 409));
    assert_eq!(e.message, "Cannot delete the default version of a policy.");
    env.ok("DeletePolicyVersion", &[("PolicyArn", &arn), ("VersionId", "v5")]);
    let e = env.err("GetPolicyVersion", &[("PolicyArn", &arn), ("VersionId", "v5")]);
    assert_eq!((e.code.as_ref(), e.status), ("NoSuchEntity", 404));
    assert_eq!(e.message, format!("Policy {arn} version v5 does not exist or is not attachable."));
    let v6 = env
        .ok("CreatePolicyVersion", &[("PolicyArn", &arn), ("PolicyDocument", &allow(&["s3:*"]))]);
    assert_eq!(one(&v6, "VersionId"), "v6");
    assert_eq!(all(&env.ok("ListPolicyVersions", a), "VersionId"), ["v6", "v4", "v3", "v2", "v1"]);
    // SetDefaultPolicyVersion moves the default.
    env.ok("SetDefaultPolicyVersion", &[("PolicyArn", &arn), ("VersionId", "v1")]);
    assert_eq!(one(&env.ok("GetPolicy", a), "DefaultVersionId"), "v1");
    let listed = env.ok("ListPolicies", &[("Scope", "Local")]);
    assert_eq!(all(&listed, "DefaultVersionId"), ["v1"]);
    // DeletePolicy: only once the other versions are gone (the default goes with the policy).
    let e = env.err("DeletePolicy", a);
    assert_eq!((e.code.as_ref(), e.status), ("DeleteConflict", 409));
    assert_eq!(
        e.message,
        "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy."
    );
    for v in ["v2", "v3", "v4", "v6"] {
        env.ok("DeletePolicyVersion", &[("PolicyArn", &arn), ("VersionId", v)]);
    }
    env.ok("DeletePolicy", a);
    assert_eq!(env.err("GetPolicy", a).code, "NoSuchEntity");
}

#[test]
fn every_refusal_of_the_version_operations() {
    let env = env();
    let arn = env.policy("p", &allow(&["dynamodb:GetItem"]));
    let missing = format!("arn:aws:iam::{ACCOUNT}:policy/nope");
    let doc = allow(&["dynamodb:GetItem"]);
    let code = |e: AwsError| (e.code.to_string(), e.status, e.message);
    // No such policy, for each operation.
    let not_found = ("NoSuchEntity".to_string(), 404, format!("Policy {missing} was not found."));
    let p = [("PolicyArn", missing.as_str()), ("PolicyDocument", doc.as_str())];
    assert_eq!(code(env.err("CreatePolicyVersion", &p)), not_found);
    assert_eq!(code(env.err("ListPolicyVersions", &p[..1])), not_found);
    let pv = [("PolicyArn", missing.as_str()), ("VersionId", "v1")];
    assert_eq!(code(env.err("DeletePolicyVersion", &pv)), not_found);
    assert_eq!(code(env.err("SetDefaultPolicyVersion", &pv)), not_found);
    assert_eq!(code(env.err("GetPolicyVersion", &pv)), not_found);
    // No such version.
    let e = env.err("DeletePolicyVersion", &[("PolicyArn", &arn), ("VersionId", "v2")]);
    assert_eq!(
        code(e),
        (
            "NoSuchEntity".into(),
            404,
            format!("Policy {arn} version v2 does not exist or is not deletable.")
        )
    );
    let e = env.err("SetDefaultPolicyVersion", &[("PolicyArn", &arn), ("VersionId", "v9")]);
    assert_eq!(
        code(e),
        (
            "NoSuchEntity".into(),
            404,
            format!("Policy {arn} version v9 does not exist or is not attachable.")
        )
    );
    // IAM's pattern allows `v1.x`; no version of a policy here has such an id.
    let e = env.err("GetPolicyVersion", &[("PolicyArn", &arn), ("VersionId", "v1.a")]);
    assert_eq!(e.code, "NoSuchEntity");
    // Version ids outside IAM's pattern.
    for bad in ["1", "v0", "v01", "V1", "v", "vx", "v1.%"] {
        for op in ["GetPolicyVersion", "DeletePolicyVersion", "SetDefaultPolicyVersion"] {
            let e = env.err(op, &[("PolicyArn", &arn), ("VersionId", bad)]);
            assert_eq!((e.code.as_ref(), e.status), ("ValidationError", 400), "{op} {bad}");
            assert!(e.message.contains("'versionId'"), "{}", e.message);
        }
    }
    // Missing parameters.
    let e = env.err("CreatePolicyVersion", &[("PolicyArn", &arn)]);
    assert_eq!(e.code, "ValidationError");
    assert!(e.message.contains("'policyDocument'"), "{}", e.message);
    let e = env.err("DeletePolicyVersion", &[("PolicyArn", &arn)]);
    assert!(e.message.contains("'versionId'"), "{}", e.message);
    let e = env.err("ListPolicyVersions", &[]);
    assert!(e.message.contains("'policyArn'"), "{}", e.message);
    // A bad ARN, a bad SetAsDefault, a bad MaxItems.
    let e = env.err("ListPolicyVersions", &[("PolicyArn", "not-an-arn-at-all-really")]);
    assert_eq!(e.code, "InvalidInput");
    let e = env.err(
        "CreatePolicyVersion",
        &[("PolicyArn", &arn), ("PolicyDocument", &doc), ("SetAsDefault", "yes")],
    );
    assert_eq!(e.code, "ValidationError");
    let e = env.err("ListPolicyVersions", &[("PolicyArn", &arn), ("MaxItems", "0")]);
    assert_eq!(e.code, "ValidationError");
    // Documents are validated as CreatePolicy validates them.
    let e = env.err("CreatePolicyVersion", &[("PolicyArn", &arn), ("PolicyDocument", "{")]);
    assert_eq!(
        (e.code.as_ref(), e.message.as_str()),
        ("MalformedPolicyDocument", "Syntax errors in policy.")
    );
    let no_resource =
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*"}]}"#;
    let e = env.err("CreatePolicyVersion", &[("PolicyArn", &arn), ("PolicyDocument", no_resource)]);
    assert_eq!(e.code, "MalformedPolicyDocument");
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:*","Resource":"*"}]}"#;
    let e = env.err("CreatePolicyVersion", &[("PolicyArn", &arn), ("PolicyDocument", trust)]);
    assert_eq!(e.code, "MalformedPolicyDocument");
    // Larger than a managed policy may be (6,144 characters without whitespace).
    let many: Vec<String> = (0..400).map(|i| format!("dynamodb:GetItem{i:05}")).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    let big = allow(&many);
    assert!(big.len() > 6144);
    let e = env.err("CreatePolicyVersion", &[("PolicyArn", &arn), ("PolicyDocument", &big)]);
    assert_eq!((e.code.as_ref(), e.status), ("LimitExceeded", 409));
    assert_eq!(e.message, "Cannot exceed quota for PolicySize: 6144");
    let e = env.err("CreatePolicy", &[("PolicyName", "big"), ("PolicyDocument", &big)]);
    assert_eq!(e.message, "Cannot exceed quota for PolicySize: 6144");
    // None of the refusals made a version.
    let list = env.ok("ListPolicyVersions", &[("PolicyArn", &arn)]);
    assert_eq!(all(&list, "VersionId"), ["v1"]);
    // AWS managed policies: their one version is listed and read, never changed.
    let aws = "arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess";
    let list = env.ok("ListPolicyVersions", &[("PolicyArn", aws)]);
    assert_eq!(all(&list, "VersionId"), ["v1"]);
    assert_eq!(all(&list, "IsDefaultVersion"), ["true"]);
    let e = env.err("CreatePolicyVersion", &[("PolicyArn", aws), ("PolicyDocument", &doc)]);
    assert_eq!(e.code, "InvalidInput");
    assert_eq!(
        env.err("SetDefaultPolicyVersion", &[("PolicyArn", aws), ("VersionId", "v1")]).code,
        "InvalidInput"
    );
    assert_eq!(
        env.err("DeletePolicyVersion", &[("PolicyArn", aws), ("VersionId", "v1")]).code,
        "InvalidInput"
    );
}

#[test]
fn the_default_version_is_what_an_attached_user_may_do_at_once() {
    let env = env();
    let arn = env.policy("p", &allow(&["dynamodb:GetItem"]));
    env.ok("CreateUser", &[("UserName", "alice")]);
    env.ok("CreateGroup", &[("GroupName", "readers")]);
    env.ok("AttachUserPolicy", &[("UserName", "alice"), ("PolicyArn", &arn)]);
    let alice = env.user("alice");
    assert!(allowed(&alice, "dynamodb:GetItem"));
    assert!(!allowed(&alice, "dynamodb:PutItem"));
    // A new version that is not the default changes nothing.
    env.ok(
        "CreatePolicyVersion",
        &[("PolicyArn", &arn), ("PolicyDocument", &allow(&["dynamodb:Scan"]))],
    );
    let alice = env.user("alice");
    assert!(allowed(&alice, "dynamodb:GetItem") && !allowed(&alice, "dynamodb:Scan"));
    // Made the default: the next request is evaluated against it.
    env.ok(
        "CreatePolicyVersion",
        &[
            ("PolicyArn", &arn),
            ("PolicyDocument", &allow(&["dynamodb:PutItem"])),
            ("SetAsDefault", "true"),
        ],
    );
    let alice = env.user("alice");
    assert!(!allowed(&alice, "dynamodb:GetItem"));
    assert!(allowed(&alice, "dynamodb:PutItem"));
    // SetDefaultPolicyVersion back and forth, through a group too.
    env.ok("DetachUserPolicy", &[("UserName", "alice"), ("PolicyArn", &arn)]);
    env.ok("AttachGroupPolicy", &[("GroupName", "readers"), ("PolicyArn", &arn)]);
    env.ok("AddUserToGroup", &[("GroupName", "readers"), ("UserName", "alice")]);
    assert!(allowed(&env.user("alice"), "dynamodb:PutItem"));
    env.ok("SetDefaultPolicyVersion", &[("PolicyArn", &arn), ("VersionId", "v2")]);
    let alice = env.user("alice");
    assert!(allowed(&alice, "dynamodb:Scan"));
    assert!(!allowed(&alice, "dynamodb:PutItem") && !allowed(&alice, "dynamodb:GetItem"));
    env.ok("SetDefaultPolicyVersion", &[("PolicyArn", &arn), ("VersionId", "v1")]);
    let alice = env.user("alice");
    assert!(allowed(&alice, "dynamodb:GetItem") && !allowed(&alice, "dynamodb:Scan"));
}

#[test]
fn the_version_operations_are_authorized_for_their_actions_on_the_policy() {
    let env = env();
    let arn = env.policy("p", &allow(&["dynamodb:GetItem"]));
    let other = env.policy("other", &allow(&["dynamodb:GetItem"]));
    let doc = allow(&["dynamodb:PutItem"]);
    env.ok("CreateUser", &[("UserName", "bob")]);
    let grant = serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Action": ["iam:CreatePolicyVersion", "iam:ListPolicyVersions", "iam:GetPolicyVersion",
            "iam:SetDefaultPolicyVersion", "iam:DeletePolicyVersion"], "Resource": arn}]})
    .to_string();
    let bob = env.user("bob");
    let denied = |r: Result<String, AwsError>, action: &str, on: &str| {
        let e = r.unwrap_err();
        assert_eq!((e.code.as_ref(), e.status), ("AccessDenied", 403));
        assert_eq!(
            e.message,
            format!("User: arn:aws:iam::{ACCOUNT}:user/bob is not authorized to perform: iam:{action} on resource: {on} because no identity-based policy allows the iam:{action} action")
        );
    };
    let create = [("PolicyArn", arn.as_str()), ("PolicyDocument", doc.as_str())];
    let v2 = [("PolicyArn", arn.as_str()), ("VersionId", "v2")];
    denied(env.call_as(&bob, "CreatePolicyVersion", &create), "CreatePolicyVersion", &arn);
    denied(env.call_as(&bob, "ListPolicyVersions", &create[..1]), "ListPolicyVersions", &arn);
    denied(env.call_as(&bob, "SetDefaultPolicyVersion", &v2), "SetDefaultPolicyVersion", &arn);
    denied(env.call_as(&bob, "DeletePolicyVersion", &v2), "DeletePolicyVersion", &arn);
    env.ok(
        "PutUserPolicy",
        &[("UserName", "bob"), ("PolicyName", "versions"), ("PolicyDocument", &grant)],
    );
    let bob = env.user("bob");
    env.call_as(&bob, "CreatePolicyVersion", &create).unwrap();
    env.call_as(&bob, "ListPolicyVersions", &create[..1]).unwrap();
    env.call_as(&bob, "GetPolicyVersion", &v2).unwrap();
    env.call_as(&bob, "SetDefaultPolicyVersion", &v2).unwrap();
    env.call_as(&bob, "SetDefaultPolicyVersion", &[("PolicyArn", &arn), ("VersionId", "v1")])
        .unwrap();
    env.call_as(&bob, "DeletePolicyVersion", &v2).unwrap();
    // Only on the policy the grant names.
    let create_other = [("PolicyArn", other.as_str()), ("PolicyDocument", doc.as_str())];
    denied(env.call_as(&bob, "CreatePolicyVersion", &create_other), "CreatePolicyVersion", &other);
}
