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
        .args(["-c", "import boto3, pytest"])
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
            "python3 with boto3 and pytest, and the aws CLI, are required (pip install boto3 awscli pytest)"
        );
        eprintln!("skipped: python3 with boto3/pytest or the aws CLI is missing");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(Some(dir.path()), &[]);
    let suite = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/dynamo_py");
    let status = Command::new("python3")
        .args(["-m", "pytest", "-q", "-p", "no:cacheprovider", suite])
        .env("SHALE_DYNAMO_ENDPOINT", format!("http://{}", server.dynamo_addr))
        .status()
        .unwrap();
    assert!(status.success(), "the boto3 / AWS CLI suite failed");
    assert!(server.terminate());
}
