//! End-to-end tests of the DynamoDB gateway through real clients: the Python suite in
//! `tests/dynamo_py/` drives boto3 and the AWS CLI against the real server process.
//!
//! Needs `python3` with `boto3`, `pytest` and the `aws` CLI (`.ci/run` installs them with pip).
//! Without them the test fails under CI (`CI` set) and is skipped with a message otherwise.

mod common;

use common::Server;
use std::process::Command;

fn tools_present() -> bool {
    let py = Command::new("python3")
        .args(["-c", "import boto3, pytest, zstandard"])
        .status()
        .is_ok_and(|s| s.success());
    let aws = Command::new("aws").arg("--version").output().is_ok_and(|o| o.status.success());
    py && aws
}

#[test]
fn boto3_and_aws_cli_suite() {
    if !tools_present() {
        assert!(
            std::env::var_os("CI").is_none(),
            "python3 with boto3 and pytest, and the aws CLI, are required (pip install boto3 awscli pytest zstandard)"
        );
        eprintln!("skipped: python3 with boto3/pytest or the aws CLI is missing");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // The buckets of exports and imports (test_exports.py makes its own in it).
    let buckets = tempfile::tempdir().unwrap();
    let root = buckets.path().to_str().unwrap();
    // Debug logging: the log checked for secrets below is as talkative as it gets in use.
    let server = Server::start_logging(
        Some(dir.path()),
        &[
            "--ttl-scan-interval",
            "1",
            "--ttl-change-cooldown",
            "3",
            "--alarm-evaluation-interval",
            "1",
            "--alarm-webhook-allow",
            "http://127.0.0.1:",
            "--export-root",
            root,
        ],
        "debug",
    );
    let suite = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/dynamo_py");
    let secrets = dir.path().join("secrets-seen-by-the-suite");
    let status = Command::new("python3")
        .args(["-m", "pytest", "-q", "-p", "no:cacheprovider", suite])
        .env("SHALE_DYNAMO_ENDPOINT", format!("http://{}", server.dynamo_addr))
        .env("SHALE_SECRETS_FILE", &secrets)
        .env("SHALE_EXPORT_ROOT", root)
        .status()
        .unwrap();
    assert!(status.success(), "the boto3 / AWS CLI suite failed");
    let log = std::sync::Arc::clone(&server.log);
    assert!(server.terminate());
    // No secret the suite was given (access keys, STS credentials) nor the root's is in the
    // server's log of the whole run.
    let seen = std::fs::read_to_string(&secrets).unwrap_or_default();
    let mut all: Vec<&str> = seen.lines().filter(|s| !s.is_empty()).collect();
    assert!(all.len() >= 10, "the suite recorded only {} secrets", all.len());
    all.push(common::ROOT_SECRET_ACCESS_KEY);
    let log = log.lock().unwrap();
    assert!(!log.is_empty());
    for line in log.iter() {
        for s in &all {
            assert!(!line.contains(s), "a secret is in the server's log: {line}");
        }
    }
}

/// The boto3 test that needs streams trimmed within seconds, against its own server.
#[test]
fn boto3_stream_trimming() {
    if !tools_present() {
        assert!(std::env::var_os("CI").is_none(), "python3 with boto3 and pytest are required");
        eprintln!("skipped: python3 with boto3/pytest is missing");
        return;
    }
    let args = ["--stream-shard-rollover", "1", "--stream-retention", "2"];
    let server = Server::start(None, &args);
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/dynamo_py/test_streams_trim.py");
    let status = Command::new("python3")
        .args(["-m", "pytest", "-q", "-p", "no:cacheprovider", file])
        .env("SHALE_DYNAMO_ENDPOINT", format!("http://{}", server.dynamo_addr))
        .env("SHALE_SHORT_STREAM_RETENTION", "1")
        .status()
        .unwrap();
    assert!(status.success(), "the stream trimming test failed");
    assert!(server.terminate());
}
