//! Launching the servers of `--start`: `shale-server` (the binary beside this one) and dynalite
//! (under node), each on a free loopback port with a fresh data directory, and stopping them.
//!
//! | name           | server                                                          |
//! |----------------|-----------------------------------------------------------------|
//! | `shale`        | `shale-server --data-dir DIR` (gateway defaults: fsync per write) |
//! | `shale-nosync` | the same with `--dynamodb-sync false`                           |
//! | `shale-mem`    | `shale-server --in-memory`                                      |
//! | `shale-noauth` | `shale` with `--auth none` (no SigV4 verification, no policies) |
//! | `shale-mem-noauth` | `shale-mem` with `--auth none`                              |
//! | `shale-mem-bare` | `shale-mem` with `--capacity off --metrics false` (no capacity accounting, no metrics) |
//! | `dynalite`     | `dynalite --path DIR` (LevelDB on disk)                         |
//! | `dynalite-mem` | `dynalite` (in memory)                                          |

use super::requests::answers;
use crate::engine::BenchResult;
use crate::flags::DynamoArgs;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The names `--start` accepts.
pub(crate) const NAMES: [&str; 8] = [
    "shale",
    "shale-nosync",
    "shale-mem",
    "shale-noauth",
    "shale-mem-noauth",
    "shale-mem-bare",
    "dynalite",
    "dynalite-mem",
];
/// How long a server may take to start answering.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// The line `shale-server` logs when its gateway listens, followed by the address.
const LISTENING: &str = "dynamodb gateway listening on ";

/// A server this process started; stopped (and its directory removed) when dropped.
pub(crate) struct Launched {
    /// Its gateway address.
    pub addr: String,
    /// How it runs (durability, storage), for the report.
    pub settings: String,
    pub pid: u32,
    child: Child,
    dir: PathBuf,
}

impl Launched {
    /// Its scratch folder (the data directory is `data/` in it).
    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Drop for Launched {
    fn drop(&mut self) {
        // The process group: `npx` runs dynalite in a child of its own.
        let group = format!("-{}", self.pid);
        let _ = Command::new("kill").args(["-TERM", "--", &group]).stderr(Stdio::null()).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline && matches!(self.child.try_wait(), Ok(None)) {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = Command::new("kill").args(["-KILL", "--", &group]).stderr(Stdio::null()).status();
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Starts the server `name` (one of [`NAMES`]) and waits until it answers ListTables.
pub(crate) fn start(name: &str, args: &DynamoArgs) -> BenchResult<Launched> {
    let dir = args.scratch.join(format!("shale-bench-dynamo-{}-{name}", std::process::id()));
    let (mut cmd, settings) = command(name, args, &dir)?;
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("data"))
        .map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let log = dir.join("server.log");
    let out = std::fs::File::create(&log)?;
    cmd.stdin(Stdio::null()).stdout(out.try_clone()?).stderr(out).process_group(0);
    let child = cmd.spawn().map_err(|e| format!("starting {name} ({cmd:?}): {e}"))?;
    let pid = child.id();
    let mut launched = Launched { addr: String::new(), settings, pid, child, dir };
    launched.addr = if name.starts_with("shale") {
        wait_for_line(&mut launched.child, &log)?
    } else {
        dynalite_addr(&cmd)?
    };
    wait_ready(&mut launched.child, &launched.addr, &log).map_err(|e| format!("{name}: {e}"))?;
    println!("started {name} at {} (pid {pid}): {}", launched.addr, launched.settings);
    Ok(launched)
}

/// The command line of `name`, and its settings as the report states them.
fn command(name: &str, args: &DynamoArgs, dir: &Path) -> BenchResult<(Command, String)> {
    let data = dir.join("data");
    match name {
        "shale" | "shale-nosync" | "shale-mem" | "shale-noauth" | "shale-mem-noauth"
        | "shale-mem-bare" => {
            let mut cmd = Command::new(shale_server_path()?);
            cmd.args(["--kv-addr", "127.0.0.1:0", "--dynamodb-addr", "127.0.0.1:0"]);
            let creds = super::credentials();
            cmd.env("SHALE_ROOT_ACCESS_KEY_ID", &creds.access_key_id);
            cmd.env("SHALE_ROOT_SECRET_ACCESS_KEY", &creds.secret_access_key);
            let noauth = name.ends_with("-noauth");
            if noauth {
                cmd.args(["--auth", "none"]);
            }
            let bare = name.ends_with("-bare");
            if bare {
                cmd.args(["--capacity", "off", "--metrics", "false"]);
            }
            let settings = match name.trim_end_matches("-noauth").trim_end_matches("-bare") {
                "shale-mem" => {
                    cmd.arg("--in-memory");
                    "shale-server --in-memory (nothing on disk)".to_string()
                }
                _ => {
                    cmd.arg("--data-dir").arg(&data);
                    if name == "shale-nosync" {
                        cmd.args(["--dynamodb-sync", "false"]);
                        "shale-server, data on disk, `--dynamodb-sync false` (writes reach the \
                         WAL before the answer; fsynced by the background WAL interval)"
                            .to_string()
                    } else {
                        "shale-server, data on disk, defaults (`--dynamodb-sync true`: each write \
                         answered after its group-commit fsync)"
                            .to_string()
                    }
                }
            };
            let settings = if bare {
                format!("{settings}; `--capacity off --metrics false` (no capacity accounting, no metrics)")
            } else {
                settings
            };
            let settings = if noauth {
                format!("{settings}; `--auth none` (no signature verification)")
            } else {
                format!("{settings}; `--auth sigv4` (every signature verified)")
            };
            Ok((cmd, settings))
        }
        "dynalite" | "dynalite-mem" => {
            let port = free_port()?;
            let mut cmd = dynalite_command(&args.dynalite);
            cmd.args(["--host", "127.0.0.1", "--port", &port.to_string()]);
            cmd.args(["--createTableMs", "0"]);
            let version = dynalite_version(&args.dynalite);
            let settings = if name == "dynalite" {
                cmd.arg("--path").arg(&data);
                format!("dynalite {version} on node {}, `--path` (LevelDB on disk; LevelDB's default non-synced writes)", node_version())
            } else {
                format!("dynalite {version} on node {}, in memory", node_version())
            };
            Ok((cmd, settings))
        }
        _ => {
            Err(format!("unknown server {name:?} in --start (known: {})", NAMES.join(", ")).into())
        }
    }
}

/// `shale-server` beside the running executable (`target/release/` for a release build).
fn shale_server_path() -> BenchResult<PathBuf> {
    let exe = std::env::current_exe()?;
    let path = exe.with_file_name("shale-server");
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!(
            "{} not found: build it with `cargo build --release -p shale-server` \
             (the same profile as shale-bench)",
            path.display()
        )
        .into())
    }
}

fn dynalite_command(cli: &str) -> Command {
    if cli == "npx" {
        let mut cmd = Command::new("npx");
        cmd.args(["--yes", "dynalite"]);
        cmd
    } else {
        let mut cmd = Command::new("node");
        cmd.arg(cli);
        cmd
    }
}

/// dynalite's version, from the package.json beside its cli.js.
fn dynalite_version(cli: &str) -> String {
    let pkg = Path::new(cli).with_file_name("package.json");
    std::fs::read(pkg)
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .and_then(|v| v["version"].as_str().map(str::to_string))
        .unwrap_or_else(|| "(version unknown)".into())
}

fn node_version() -> String {
    Command::new("node")
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "(unknown)".into())
}

/// A loopback port nothing listens on right now.
fn free_port() -> BenchResult<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// The address a dynalite command was given.
fn dynalite_addr(cmd: &Command) -> BenchResult<String> {
    let args: Vec<String> = cmd.get_args().map(|a| a.to_string_lossy().into_owned()).collect();
    let port = args
        .iter()
        .position(|a| a == "--port")
        .and_then(|i| args.get(i + 1))
        .ok_or("dynalite command without --port")?;
    Ok(format!("127.0.0.1:{port}"))
}

/// Waits for `shale-server`'s "listening" line in its log; returns the address.
fn wait_for_line(child: &mut Child, log: &Path) -> BenchResult<String> {
    let deadline = Instant::now() + START_TIMEOUT;
    while Instant::now() < deadline {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        if let Some(addr) = text.lines().find_map(|l| Some(l.split_once(LISTENING)?.1.trim())) {
            return Ok(addr.to_string());
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("shale-server exited ({status}):\n{}", tail(log)).into());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Err(format!("shale-server did not start within {START_TIMEOUT:?}:\n{}", tail(log)).into())
}

/// Waits until the server answers ListTables (or exits, or takes too long).
fn wait_ready(child: &mut Child, addr: &str, log: &Path) -> BenchResult<()> {
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        let last = match answers(addr) {
            Ok(()) => return Ok(()),
            Err(e) => e,
        };
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("the server exited ({status}):\n{}", tail(log)).into());
        }
        if Instant::now() >= deadline {
            let waited = START_TIMEOUT;
            return Err(
                format!("no answer at {addr} within {waited:?} ({last}):\n{}", tail(log)).into()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The last lines of a log, for error messages.
fn tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}
