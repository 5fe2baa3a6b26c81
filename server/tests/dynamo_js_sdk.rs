//! The AWS SDK for JavaScript v3 against the real server process: `tests/dynamo_js/` holds a
//! `node --test` suite using `@aws-sdk/client-dynamodb` unchanged (pinned by its
//! package-lock.json; `npm ci` installs it on first run).
//!
//! Needs `node` and `npm` (on the CI machine). Without them the test fails under CI (`CI` set)
//! and is skipped with a message otherwise.

mod common;

use common::Server;
use std::path::Path;
use std::process::Command;

fn present(tool: &str) -> bool {
    Command::new(tool).arg("--version").output().is_ok_and(|o| o.status.success())
}

#[test]
fn javascript_sdk_suite() {
    if !present("node") || !present("npm") {
        assert!(std::env::var_os("CI").is_none(), "node and npm are required");
        eprintln!("skipped: node or npm is missing");
        return;
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/dynamo_js");
    if !dir.join("node_modules/@aws-sdk/client-dynamodb").exists() {
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--silent"])
            .current_dir(&dir)
            .status()
            .unwrap();
        assert!(status.success(), "npm ci failed in {}", dir.display());
    }
    let server = Server::start(None, &[]);
    let status = Command::new("node")
        .args(["--test", "sdk.test.mjs"])
        .current_dir(&dir)
        .env("SHALE_DYNAMO_ENDPOINT", format!("http://{}", server.dynamo_addr))
        .status()
        .unwrap();
    assert!(status.success(), "the JavaScript SDK suite failed");
    assert!(server.terminate());
}
