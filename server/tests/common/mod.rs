//! Starts the real `shale-server` process for end-to-end tests.

#![allow(dead_code)]

pub mod aws;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The root credentials every test server is started with (AWS's documented example pair).
pub const ROOT_ACCESS_KEY_ID: &str = "AKIAIOSFODNN7EXAMPLE";
/// Its secret.
pub const ROOT_SECRET_ACCESS_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

/// The root's credentials, for signing.
pub fn root() -> shale_server::dynamo_client::Credentials {
    shale_server::dynamo_client::Credentials::new(ROOT_ACCESS_KEY_ID, ROOT_SECRET_ACCESS_KEY)
}

/// A key-value protocol client of the server at `addr`, authenticated as the root.
pub fn kv_client(addr: &str) -> shale_server::client::Client {
    shale_server::client::Client::connect_with(addr, Some(&root())).unwrap()
}

/// A running server; killed when dropped.
pub struct Server {
    pub child: Child,
    /// The key-value protocol's address.
    pub addr: String,
    /// The DynamoDB gateway's address.
    pub dynamo_addr: String,
    /// Every line the server wrote on stderr so far.
    pub log: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Server {
    /// Starts `shale-server` on ephemeral ports with `args`; waits until it listens.
    pub fn start(data_dir: Option<&Path>, args: &[&str]) -> Server {
        Server::start_logging(data_dir, args, "info")
    }

    /// [`Server::start`] with the log filter `filter` (`RUST_LOG`).
    pub fn start_logging(data_dir: Option<&Path>, args: &[&str], filter: &str) -> Server {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_shale-server"));
        cmd.args(["--kv-addr", "127.0.0.1:0"]);
        if !args.contains(&"--dynamodb-addr") {
            cmd.args(["--dynamodb-addr", "127.0.0.1:0"]);
        }
        cmd.args(args);
        match data_dir {
            Some(d) => cmd.arg("--data-dir").arg(d),
            None => cmd.arg("--in-memory"),
        };
        let mut child = cmd
            .env("RUST_LOG", filter)
            .env("SHALE_ROOT_ACCESS_KEY_ID", ROOT_ACCESS_KEY_ID)
            .env("SHALE_ROOT_SECRET_ACCESS_KEY", ROOT_SECRET_ACCESS_KEY)
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let lines = std::sync::Arc::clone(&log);
        std::thread::spawn(move || {
            let mut dynamo = None;
            let mut sent = false;
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if !sent {
                    if let Some(addr) = line.split("dynamodb gateway listening on ").nth(1) {
                        dynamo = Some(addr.trim().to_string());
                    } else if let Some(addr) = line.split("kv protocol listening on ").nth(1) {
                        let _ =
                            tx.send((addr.trim().to_string(), dynamo.clone().unwrap_or_default()));
                        sent = true;
                    }
                }
                if std::env::var_os("SHALE_TEST_SERVER_LOG").is_some() {
                    eprintln!("[server] {line}");
                }
                if let Ok(mut l) = lines.lock() {
                    l.push(line);
                }
            }
        });
        let (addr, dynamo_addr) =
            rx.recv_timeout(Duration::from_secs(60)).expect("the server did not start listening");
        Server { child, addr, dynamo_addr, log }
    }

    /// Sends SIGTERM and waits for the exit; returns whether it exited successfully.
    pub fn terminate(mut self) -> bool {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.success();
            }
            assert!(Instant::now() < deadline, "the server did not exit after SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGKILL, then reap.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
