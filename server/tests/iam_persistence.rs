//! IAM and STS against the real server process: identities, keys, policies and sessions
//! survive a restart and `kill -9`; secrets never reach the server's log or, in the clear,
//! its files.

mod common;

use common::aws::{credentials_of, query};
use common::Server;
use serde_json::json;
use shale_server::dynamo_client::DynamoClient;

const READ_ONLY: &str = "arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess";

fn trust_root() -> String {
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::000000000000:root"}, "Action": "sts:AssumeRole"}]})
    .to_string()
}

/// Whether `creds` may ListTables.
fn lists_tables(addr: &str, creds: &shale_server::dynamo_client::Credentials) -> (u16, String) {
    let mut c = DynamoClient::connect(addr, creds).unwrap();
    let r = c.call_raw("ListTables", b"{}").unwrap();
    (r.status, r.error_type().unwrap_or_default())
}

#[test]
fn identities_survive_restart_and_kill_and_no_secret_is_logged() {
    let dir = tempfile::tempdir().unwrap();
    let root = common::root();
    let server = Server::start_logging(Some(dir.path()), &[], "trace");
    let addr = server.dynamo_addr.clone();
    let ok = |a: &common::aws::Answer| assert_eq!(a.status, 200, "{}", a.body);
    ok(&query(&addr, "iam", &[("Action", "CreateUser"), ("UserName", "alice")], &root));
    let key = query(&addr, "iam", &[("Action", "CreateAccessKey"), ("UserName", "alice")], &root);
    ok(&key);
    let alice = credentials_of(&key);
    ok(&query(
        &addr,
        "iam",
        &[("Action", "AttachUserPolicy"), ("UserName", "alice"), ("PolicyArn", READ_ONLY)],
        &root,
    ));
    let trust = trust_root();
    ok(&query(
        &addr,
        "iam",
        &[("Action", "CreateRole"), ("RoleName", "reader"), ("AssumeRolePolicyDocument", &trust)],
        &root,
    ));
    ok(&query(
        &addr,
        "iam",
        &[("Action", "AttachRolePolicy"), ("RoleName", "reader"), ("PolicyArn", READ_ONLY)],
        &root,
    ));
    let assumed = query(
        &addr,
        "sts",
        &[
            ("Action", "AssumeRole"),
            ("RoleArn", "arn:aws:iam::000000000000:role/reader"),
            ("RoleSessionName", "s1"),
        ],
        &root,
    );
    ok(&assumed);
    let session = credentials_of(&assumed);
    assert_eq!(lists_tables(&addr, &alice).0, 200);
    assert_eq!(lists_tables(&addr, &session).0, 200);
    // A wrong secret and a wrong token are refused (and must not be logged either).
    let mut wrong = alice.clone();
    wrong.secret_access_key = "not-the-secret-at-all".into();
    assert_eq!(lists_tables(&addr, &wrong).1, "InvalidSignatureException");

    // A clean restart, then a kill -9: everything is still there and still works.
    let mut logs = vec![std::sync::Arc::clone(&server.log)];
    assert!(server.terminate());
    let server = Server::start_logging(Some(dir.path()), &[], "trace");
    let addr = server.dynamo_addr.clone();
    assert_eq!(lists_tables(&addr, &alice).0, 200);
    assert_eq!(lists_tables(&addr, &session).0, 200);
    ok(&query(&addr, "iam", &[("Action", "CreateUser"), ("UserName", "bob")], &root));
    logs.push(std::sync::Arc::clone(&server.log));
    server.kill();
    let server = Server::start_logging(Some(dir.path()), &[], "trace");
    logs.push(std::sync::Arc::clone(&server.log));
    let addr = server.dynamo_addr.clone();
    let users = query(&addr, "iam", &[("Action", "ListUsers")], &root);
    assert!(users.body.contains("<UserName>bob</UserName>"), "{}", users.body);
    assert_eq!(lists_tables(&addr, &alice).0, 200);
    let who = query(&addr, "sts", &[("Action", "GetCallerIdentity")], &session);
    assert_eq!(
        who.field("Arn").as_deref(),
        Some("arn:aws:sts::000000000000:assumed-role/reader/s1")
    );
    // A deleted key stops working at once.
    let id = alice.access_key_id.clone();
    ok(&query(
        &addr,
        "iam",
        &[("Action", "DeleteAccessKey"), ("UserName", "alice"), ("AccessKeyId", &id)],
        &root,
    ));
    assert_eq!(lists_tables(&addr, &alice).1, "UnrecognizedClientException");
    assert!(server.terminate());

    // No secret in any log line of the three runs…
    let log: Vec<String> = logs.iter().flat_map(|l| l.lock().unwrap().clone()).collect();
    assert!(log.len() > 6, "{log:?}");
    let secrets = [
        common::ROOT_SECRET_ACCESS_KEY,
        &alice.secret_access_key,
        &session.secret_access_key,
        session.session_token.as_deref().unwrap(),
        "not-the-secret-at-all",
    ];
    for line in &log {
        for s in secrets {
            assert!(!line.contains(s), "a secret in the log: {line}");
        }
    }
    // …nor in the clear in any file of the data directory (the root's own file aside).
    for entry in walk(dir.path()) {
        if entry.file_name().is_some_and(|n| n == "root-credentials") {
            continue;
        }
        let bytes = std::fs::read(&entry).unwrap();
        for s in secrets {
            assert!(
                !bytes.windows(s.len()).any(|w| w == s.as_bytes()),
                "a secret in the clear in {}",
                entry.display()
            );
        }
    }
}

/// A managed policy's versions and its default survive a clean restart and `kill -9`; the
/// default decides what an attached user's key may do before and after; a deleted version's id
/// is not given again after a restart.
#[test]
fn policy_versions_survive_restart_and_kill() {
    let dir = tempfile::tempdir().unwrap();
    let root = common::root();
    let server = Server::start(Some(dir.path()), &[]);
    let addr = server.dynamo_addr.clone();
    let ok = |a: &common::aws::Answer| {
        assert_eq!(a.status, 200, "{}", a.body);
        a.body.clone()
    };
    let allow = |action: &str| {
        json!({"Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}]})
        .to_string()
    };
    let arn = "arn:aws:iam::000000000000:policy/lister";
    let iam = |addr: &str, params: &[(&str, &str)]| query(addr, "iam", params, &root);
    let (v1, v2, v3) =
        (allow("dynamodb:ListTables"), allow("dynamodb:DescribeLimits"), allow("s3:*"));
    ok(&iam(
        &addr,
        &[("Action", "CreatePolicy"), ("PolicyName", "lister"), ("PolicyDocument", &v1)],
    ));
    ok(&iam(&addr, &[("Action", "CreateUser"), ("UserName", "carol")]));
    ok(&iam(&addr, &[("Action", "AttachUserPolicy"), ("UserName", "carol"), ("PolicyArn", arn)]));
    let carol =
        credentials_of(&iam(&addr, &[("Action", "CreateAccessKey"), ("UserName", "carol")]));
    assert_eq!(lists_tables(&addr, &carol).0, 200);
    let create = |addr: &str, doc: &str, default: &str| {
        let a = iam(
            addr,
            &[
                ("Action", "CreatePolicyVersion"),
                ("PolicyArn", arn),
                ("PolicyDocument", doc),
                ("SetAsDefault", default),
            ],
        );
        ok(&a);
        a.field("VersionId").unwrap()
    };
    assert_eq!(create(&addr, &v2, "true"), "v2");
    assert_eq!(lists_tables(&addr, &carol).1, "AccessDeniedException");
    assert_eq!(create(&addr, &v3, "false"), "v3");
    ok(&iam(&addr, &[("Action", "DeletePolicyVersion"), ("PolicyArn", arn), ("VersionId", "v3")]));
    let versions = |addr: &str| {
        let body = ok(&iam(addr, &[("Action", "ListPolicyVersions"), ("PolicyArn", arn)]));
        body.split("<VersionId>")
            .skip(1)
            .map(|s| s[..s.find('<').unwrap()].to_string())
            .collect::<Vec<_>>()
    };
    let default_of = |addr: &str| {
        iam(addr, &[("Action", "GetPolicy"), ("PolicyArn", arn)]).field("DefaultVersionId")
    };
    assert_eq!(versions(&addr), ["v2", "v1"]);

    // A clean restart: the same versions, the same default, the same refusal.
    assert!(server.terminate());
    let server = Server::start(Some(dir.path()), &[]);
    let addr = server.dynamo_addr.clone();
    assert_eq!(versions(&addr), ["v2", "v1"]);
    assert_eq!(default_of(&addr).as_deref(), Some("v2"));
    assert_eq!(lists_tables(&addr, &carol).1, "AccessDeniedException");
    let got =
        iam(&addr, &[("Action", "GetPolicyVersion"), ("PolicyArn", arn), ("VersionId", "v1")]);
    assert!(ok(&got).contains("dynamodb%3AListTables"), "{}", got.body);
    // v3 was given before the restart: the next version is v4.
    assert_eq!(create(&addr, &v3, "false"), "v4");
    ok(&iam(
        &addr,
        &[("Action", "SetDefaultPolicyVersion"), ("PolicyArn", arn), ("VersionId", "v1")],
    ));
    assert_eq!(lists_tables(&addr, &carol).0, 200);

    // kill -9: what was answered is there.
    server.kill();
    let server = Server::start(Some(dir.path()), &[]);
    let addr = server.dynamo_addr.clone();
    assert_eq!(versions(&addr), ["v4", "v2", "v1"]);
    assert_eq!(default_of(&addr).as_deref(), Some("v1"));
    assert_eq!(lists_tables(&addr, &carol).0, 200);
    assert!(server.terminate());
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn a_generated_root_is_printed_once_and_kept_0600() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let run = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_shale-server"))
            .args(["--data-dir"])
            .arg(dir.path())
            .args(["--kv-addr", "127.0.0.1:0", "--dynamodb-addr", "127.0.0.1:0", "--bogus-flag"])
            .env_remove("SHALE_ROOT_ACCESS_KEY_ID")
            .env_remove("SHALE_ROOT_SECRET_ACCESS_KEY")
            .output()
            .unwrap()
    };
    // A bad flag stops the server before anything is made.
    assert!(!run().status.success());
    assert!(!dir.path().join("root-credentials").exists());
    let server_log = |extra: &[&str]| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_shale-server"));
        cmd.arg("--data-dir").arg(dir.path());
        cmd.args(["--kv-addr", "127.0.0.1:0", "--dynamodb-addr", "127.0.0.1:0"]).args(extra);
        cmd.env_remove("SHALE_ROOT_ACCESS_KEY_ID").env_remove("SHALE_ROOT_SECRET_ACCESS_KEY");
        cmd.stderr(std::process::Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        let stderr = child.stderr.take().unwrap();
        let mut lines = Vec::new();
        use std::io::BufRead as _;
        for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
            let done = line.contains("kv protocol listening on");
            lines.push(line);
            if done {
                break;
            }
        }
        let _ = child.kill();
        let _ = child.wait();
        lines.join("\n")
    };
    let first = server_log(&[]);
    let file = dir.path().join("root-credentials");
    let mode = std::fs::metadata(&file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let text = std::fs::read_to_string(&file).unwrap();
    let secret = text.lines().find_map(|l| l.strip_prefix("aws_secret_access_key = ")).unwrap();
    assert!(first.contains(secret), "printed once on first start: {first}");
    let second = server_log(&[]);
    assert!(!second.contains(secret), "never again: {second}");
    let seal = std::fs::metadata(dir.path().join("iam-seal-key")).unwrap().permissions().mode();
    assert_eq!(seal & 0o777, 0o600);
}
