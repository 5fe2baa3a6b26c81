//! The built-in web console (`/console/`) against the real server process: its embedded files
//! with their content types and security headers, every file the page references, the
//! redirect, 404s, `--console false`; and the console's JavaScript itself under `node --test`
//! (`server/console/test/`: the SigV4 signer against botocore's signatures, and the client the
//! browser uses creating, listing, describing and deleting a table on this server); and the
//! pages themselves clicked through in headless Chromium (`server/tests/console_e2e/`, Debian's
//! `chromium` driven by playwright-core from its lockfile), with dynamodb-admin pointed at the
//! same server. Screenshots land in `target/console-screenshots/`.

mod common;

use common::Server;
use shale_server::dynamo_client::{parse_head, HttpResponse};
use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;

/// `GET path` on a connection of its own, without credentials.
fn get(addr: &str, path: &str) -> HttpResponse {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(60))).unwrap();
    let head = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    s.write_all(head.as_bytes()).unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    let h = parse_head(&out).unwrap().expect("a whole response head");
    let body = out[h.head_len..h.head_len + h.body_len].to_vec();
    HttpResponse { status: h.status, headers: h.headers, body }
}

fn header<'r>(r: &'r HttpResponse, name: &str) -> Option<&'r str> {
    r.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

/// The values of `attr="…"` in `text`.
fn attribute_values(text: &str, attr: &str) -> Vec<String> {
    let open = format!("{attr}=\"");
    text.split(&open).skip(1).filter_map(|rest| rest.split('"').next()).map(String::from).collect()
}

/// The relative modules a JavaScript file imports (`from './x.js'`, `from '../y.js'`).
fn imports(text: &str) -> Vec<String> {
    text.split("from '")
        .skip(1)
        .filter_map(|rest| rest.split('\'').next())
        .filter(|s| s.starts_with('.'))
        .map(String::from)
        .collect()
}

/// `relative` resolved against the file at `base` (both under `/console/`).
fn resolve(base: &str, relative: &str) -> String {
    let mut parts: Vec<&str> = base.split('/').collect();
    parts.pop();
    for seg in relative.split('/') {
        match seg {
            "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    parts.join("/")
}

fn content_type_for(path: &str) -> &'static str {
    match path.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "application/javascript; charset=utf-8",
        Some("svg") => "image/svg+xml",
        _ => panic!("no content type expected for {path}"),
    }
}

fn assert_secured(r: &HttpResponse, what: &str) {
    let csp = header(r, "content-security-policy").unwrap_or_else(|| panic!("{what}: no CSP"));
    for part in ["default-src 'self'", "connect-src 'self'", "script-src 'self'"] {
        assert!(csp.contains(part), "{what}: {part} not in {csp}");
    }
    assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"), "{what}: {csp}");
    assert_eq!(header(r, "x-content-type-options"), Some("nosniff"), "{what}");
    assert_eq!(header(r, "cache-control"), Some("no-cache"), "{what}");
}

#[test]
fn the_console_is_served_with_every_file_it_references() {
    let server = Server::start(None, &[]);
    let addr = server.dynamo_addr.as_str();
    let index = get(addr, "/console/");
    assert_eq!(index.status, 200);
    assert_eq!(header(&index, "content-type"), Some("text/html; charset=utf-8"));
    assert_secured(&index, "/console/");
    let html = String::from_utf8(index.body.clone()).unwrap();
    assert!(html.starts_with("<!doctype html>"), "{html}");
    assert!(!html.contains("<script>"), "no inline script");

    // Every file the page references, and every module those import, is served with its type.
    let mut todo: Vec<String> = attribute_values(&html, "src")
        .into_iter()
        .chain(attribute_values(&html, "href"))
        .filter(|p| !p.starts_with('#') && !p.contains(':'))
        .map(|p| format!("/console/{p}"))
        .collect();
    let mut seen = BTreeSet::new();
    while let Some(path) = todo.pop() {
        if !seen.insert(path.clone()) {
            continue;
        }
        let r = get(addr, &path);
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(header(&r, "content-type"), Some(content_type_for(&path)), "{path}");
        assert_secured(&r, &path);
        if path.ends_with(".js") {
            let text = String::from_utf8(r.body).unwrap();
            todo.extend(imports(&text).iter().map(|i| resolve(&path, i)));
        }
    }
    for needed in [
        "/console/css/console.css",
        "/console/js/main.js",
        "/console/js/sigv4.js",
        "/console/js/api.js",
        "/console/js/pages/tables.js",
        "/console/js/pages/create_table.js",
        "/console/js/pages/table.js",
    ] {
        assert!(seen.contains(needed), "{needed} is not reached from index.html: {seen:?}");
    }
    // Every embedded file is reached from the page (none is dead weight).
    for a in shale_server::http::console::ASSETS {
        let path = format!("/console/{}", a.path);
        assert!(path.ends_with("index.html") || seen.contains(&path), "{path} is never loaded");
    }
    assert_eq!(get(addr, "/console/index.html").body, index.body);

    let moved = get(addr, "/console");
    assert_eq!(moved.status, 301);
    assert_eq!(header(&moved, "location"), Some("/console/"));
    for missing in ["/console/nope.js", "/console/js/", "/console/../README.md", "/console/js/x"] {
        assert_eq!(get(addr, missing).status, 404, "{missing}");
    }
    // The API is untouched beside it, and the summary names the console.
    assert_eq!(get(addr, "/").status, 200);
    let tables = common_list_tables(addr);
    assert_eq!(tables.status, 200, "{}", String::from_utf8_lossy(&tables.body));
    let log = server.log.lock().unwrap().join("\n");
    assert!(log.contains(&format!("console:    http://{addr}/console/")), "{log}");
    assert!(server.terminate());
}

/// A signed ListTables.
fn common_list_tables(addr: &str) -> HttpResponse {
    let body = b"{}";
    let headers = [
        ("x-amz-target", "DynamoDB_20120810.ListTables"),
        ("content-type", "application/x-amz-json-1.0"),
    ];
    let mut head = format!("POST / HTTP/1.1\r\nHost: {addr}\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    for (k, v) in common::root().sign("dynamodb", addr, &headers, body) {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\nConnection: close\r\n\r\n", body.len()));
    let mut s = TcpStream::connect(addr).unwrap();
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    let h = parse_head(&out).unwrap().expect("a whole response head");
    HttpResponse {
        status: h.status,
        headers: h.headers,
        body: out[h.head_len..h.head_len + h.body_len].to_vec(),
    }
}

#[test]
fn console_false_serves_no_console_and_the_api_still_works() {
    let server = Server::start(None, &["--console", "false"]);
    let addr = server.dynamo_addr.as_str();
    for path in ["/console/", "/console", "/console/js/api.js", "/console/index.html"] {
        let r = get(addr, path);
        assert_eq!(r.status, 404, "{path}");
        assert!(header(&r, "content-security-policy").is_none(), "{path}");
    }
    assert_eq!(common_list_tables(addr).status, 200);
    let log = server.log.lock().unwrap().join("\n");
    assert!(log.contains("console:    off"), "{log}");
    assert!(server.terminate());
}

fn node_present() -> bool {
    Command::new("node").arg("--version").output().is_ok_and(|o| o.status.success())
}

/// `node --test server/console/test/`: the signer's unit tests, and the end-to-end run of the
/// console's client against this server (`SHALE_ENDPOINT`).
#[test]
fn the_console_javascript_passes_its_node_tests() {
    if !node_present() {
        assert!(std::env::var_os("CI").is_none(), "node is required under CI");
        eprintln!("skipped: node is not on PATH (the console's JavaScript tests need Node 20)");
        return;
    }
    let server = Server::start(None, &[]);
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("console");
    let out = Command::new("node")
        .args(["--test", "test/"])
        .current_dir(&dir)
        .env("SHALE_ENDPOINT", format!("http://{}", server.dynamo_addr))
        .env("SHALE_ACCESS_KEY_ID", common::ROOT_ACCESS_KEY_ID)
        .env("SHALE_SECRET_ACCESS_KEY", common::ROOT_SECRET_ACCESS_KEY)
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "node --test failed:\n{report}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The end-to-end tests ran (not skipped) and passed.
    assert!(
        report.contains("ok 1 - create, list, describe and delete a table with a GSI"),
        "{report}"
    );
    assert!(report.contains("# skipped 0"), "{report}");
    assert!(server.terminate());
}

/// What the browser tests need: Debian's Chromium and the harness's npm packages
/// (`npm ci` in `server/tests/console_e2e`); `None` when both are there, else what is missing.
fn browser_missing(e2e: &Path) -> Option<String> {
    let chromium = std::env::var("SHALE_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let mut missing = Vec::new();
    if !node_present() {
        missing.push("node".to_string());
    }
    if !Path::new(&chromium).exists() {
        missing.push(format!("{chromium} (apt-get install chromium)"));
    }
    if !e2e.join("node_modules/playwright-core").exists() {
        missing.push(format!("{}/node_modules (npm ci there)", e2e.display()));
    }
    (!missing.is_empty()).then(|| missing.join(", "))
}

/// `node --test server/tests/console_e2e/*.test.mjs`: each workflow of the console clicked
/// through in headless Chromium against one real server (with a data directory, so that
/// backups and restores run as in production), two files at a time (each file's tables are
/// its own; the pages mostly wait on the server's clocks: TTL scans, backfill pacing,
/// metric harvests).
#[test]
fn the_console_pages_pass_their_browser_tests() {
    let e2e = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/console_e2e");
    if let Some(missing) = browser_missing(&e2e) {
        assert!(std::env::var_os("CI").is_none(), "the browser tests need {missing} under CI");
        eprintln!("skipped: the console's browser tests need {missing}");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(Some(dir.path()), BROWSER_SERVER_ARGS);
    let mut files: Vec<String> = std::fs::read_dir(&e2e)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".test.mjs"))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    let screenshots = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/console-screenshots");
    let out = Command::new("node")
        .args(["--test", "--test-concurrency=2", "--test-reporter=tap"])
        .args(&files)
        .current_dir(&e2e)
        .env("SHALE_ENDPOINT", format!("http://{}", server.dynamo_addr))
        .env("SHALE_ACCESS_KEY_ID", common::ROOT_ACCESS_KEY_ID)
        .env("SHALE_SECRET_ACCESS_KEY", common::ROOT_SECRET_ACCESS_KEY)
        .env("SHALE_SCREENSHOTS", &screenshots)
        .env_remove("SHALE_CONSOLE_DIR")
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the console's browser tests failed (screenshots in {}):\n{report}{}",
        screenshots.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    // Every file ran its tests, none skipped.
    assert!(report.contains("# skipped 0"), "{report}");
    assert!(report.contains("# fail 0"), "{report}");
    assert!(server.terminate());
}

/// The server the browser tests run against: TTL scanned every second with a short cooldown
/// between TTL changes, so that the TTL page sees its effects within a test, and index
/// backfills paced at 20 items a second, so that the Indexes page shows one in progress.
const BROWSER_SERVER_ARGS: &[&str] = &[
    "--ttl-scan-interval",
    "1",
    "--ttl-change-cooldown",
    "3",
    "--dynamodb-backfill-items-per-sec",
    "20",
];
