//! The first minute of `shale-server`: every listening socket is bound before the database is
//! opened, so a port in use fails at once, named with the flag that set it, and leaves the data
//! directory untouched ([`bind`]); once the server serves, one summary says what it is serving
//! and how ([`Summary`]), logged once.

use shale_engine::fs::FileSystem;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// An address to listen on, and where it was set: `--dynamodb-addr`, `dynamodb_addr in
/// server.toml`, or `the default of --dynamodb-addr`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenAddr {
    /// `host:port`.
    pub addr: String,
    /// Where it was set, for error messages.
    pub set_by: String,
}

impl ListenAddr {
    /// The address of `flag` (`--kv-addr`): the flag's value, else the configuration file's
    /// `key` in `config`, else `default`.
    pub fn pick(
        flag: &str,
        given: Option<String>,
        key: &str,
        from_file: Option<String>,
        config: Option<&std::path::Path>,
        default: &str,
    ) -> ListenAddr {
        match (given, from_file) {
            (Some(addr), _) => ListenAddr { addr, set_by: flag.to_string() },
            (None, Some(addr)) => {
                let file = config.map_or_else(String::new, |p| p.display().to_string());
                ListenAddr { addr, set_by: format!("{key} in {file}") }
            }
            (None, None) => {
                ListenAddr { addr: default.to_string(), set_by: format!("the default of {flag}") }
            }
        }
    }
}

/// Why a listening socket could not be bound.
#[derive(Debug, thiserror::Error)]
pub enum BindError {
    /// Another process listens there.
    #[error("address {addr} is in use ({set_by})")]
    InUse {
        /// The address.
        addr: String,
        /// Where it was set.
        set_by: String,
    },
    /// Any other failure (no such interface, permission denied, not an address).
    #[error("cannot listen on {addr} ({set_by}): {source}")]
    Other {
        /// The address.
        addr: String,
        /// Where it was set.
        set_by: String,
        /// The system's error.
        source: std::io::Error,
    },
}

/// Binds `at` (non-blocking, for tokio's `TcpListener::from_std`).
pub fn bind(at: &ListenAddr) -> Result<std::net::TcpListener, BindError> {
    let fail = |source: std::io::Error| {
        let (addr, set_by) = (at.addr.clone(), at.set_by.clone());
        if source.kind() == std::io::ErrorKind::AddrInUse {
            BindError::InUse { addr, set_by }
        } else {
            BindError::Other { addr, set_by, source }
        }
    };
    let listener = std::net::TcpListener::bind(&at.addr).map_err(fail)?;
    listener.set_nonblocking(true).map_err(fail)?;
    Ok(listener)
}

/// The I/O backend a file system is: `io_uring`, `io_uring (all on the ring)`, `pread`, or its
/// type's name for another one. (The engine's file systems say what they are only by `Debug`.)
pub fn io_backend_name(fs: &dyn FileSystem) -> String {
    let debug = format!("{fs:?}");
    if debug.starts_with("UringFs") {
        if debug.contains("ring_reads: true") {
            "io_uring (all on the ring)".to_string()
        } else {
            "io_uring".to_string()
        }
    } else if debug.starts_with("OsFs") {
        "pread".to_string()
    } else {
        debug.split([' ', '{', '(']).next().unwrap_or("").to_string()
    }
}

/// How durable an answered write is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Durability {
    /// Everything in memory: nothing is.
    pub in_memory: bool,
    /// `--dynamodb-sync`: DynamoDB writes are fsynced before they are answered.
    pub dynamodb_sync: bool,
    /// The WAL's background fsync interval, if any.
    pub wal_sync_interval: Option<Duration>,
}

impl fmt::Display for Durability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.in_memory {
            return f.write_str("none: in memory, everything is gone when the server stops");
        }
        if self.dynamodb_sync {
            f.write_str("DynamoDB writes fsynced before they are answered (--dynamodb-sync true)")?;
        } else {
            f.write_str(
                "DynamoDB writes answered before they are fsynced (--dynamodb-sync false)",
            )?;
        }
        match self.wal_sync_interval {
            Some(d) => write!(f, "; WAL fsynced in the background every {} ms", d.as_millis()),
            None => f.write_str("; no background WAL fsync (only writes that ask are fsynced)"),
        }
    }
}

/// What the server serves and how: logged once, when it serves.
#[derive(Debug, Clone)]
pub struct Summary {
    /// The server's version.
    pub version: &'static str,
    /// The data directory, or `None` in memory.
    pub data_dir: Option<PathBuf>,
    /// [`io_backend_name`], with `O_DIRECT` when on.
    pub io_backend: String,
    /// How durable an answered write is.
    pub durability: Durability,
    /// How requests are authenticated.
    pub auth: String,
    /// The certificate both front doors serve TLS with, if any.
    pub tls_cert: Option<PathBuf>,
    /// The web origins allowed ([`crate::http::cors::Cors::describe`]).
    pub cors: String,
    /// The HTTP front door's address.
    pub dynamodb: SocketAddr,
    /// The key-value protocol's address.
    pub kv: SocketAddr,
    /// The Prometheus page's own address, if any.
    pub metrics: Option<SocketAddr>,
    /// Whether the web console is served (at `/console/` on the gateway's port).
    pub console: bool,
}

impl fmt::Display for Summary {
    /// A small block; its `… listening on <address>` lines end with the address (scripts and
    /// the test harness read them).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "shale-server {} serving", self.version)?;
        match &self.data_dir {
            Some(dir) => {
                writeln!(f, "  data:       {} (io backend {})", dir.display(), self.io_backend)?
            }
            None => writeln!(f, "  data:       in memory (no file I/O)")?,
        }
        writeln!(f, "  durability: {}", self.durability)?;
        writeln!(f, "  auth:       {}", self.auth)?;
        match &self.tls_cert {
            Some(cert) => writeln!(
                f,
                "  tls:        on, certificate {} (plain connections from loopback only)",
                cert.display()
            )?,
            None => writeln!(f, "  tls:        off")?,
        }
        writeln!(f, "  cors:       {}", self.cors)?;
        let scheme = if self.tls_cert.is_some() { "https" } else { "http" };
        writeln!(
            f,
            "  endpoint:   {scheme}://{} (DynamoDB, DynamoDB Streams, IAM, STS, CloudWatch; \
             Prometheus page at /metrics)",
            self.dynamodb
        )?;
        if self.console {
            writeln!(f, "  console:    {scheme}://{}/console/", self.dynamodb)?;
        } else {
            writeln!(f, "  console:    off")?;
        }
        writeln!(f, "  dynamodb gateway listening on {}", self.dynamodb)?;
        write!(f, "  kv protocol listening on {}", self.kv)?;
        if let Some(m) = self.metrics {
            write!(f, "\n  metrics listening on {m}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_in_use_is_named_with_what_set_it() {
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = taken.local_addr().unwrap().to_string();
        let at = ListenAddr::pick(
            "--dynamodb-addr",
            Some(addr.clone()),
            "dynamodb_addr",
            None,
            None,
            "x",
        );
        let e = bind(&at).unwrap_err();
        assert!(matches!(e, BindError::InUse { .. }), "{e:?}");
        assert_eq!(e.to_string(), format!("address {addr} is in use (--dynamodb-addr)"));
        let at = ListenAddr::pick(
            "--kv-addr",
            None,
            "kv_addr",
            Some("nonsense".into()),
            Some(std::path::Path::new("server.toml")),
            "127.0.0.1:7070",
        );
        assert_eq!(at.set_by, "kv_addr in server.toml");
        let e = bind(&at).unwrap_err();
        assert!(e.to_string().starts_with("cannot listen on nonsense (kv_addr in server.toml): "));
        let at = ListenAddr::pick("--kv-addr", None, "kv_addr", None, None, "127.0.0.1:0");
        assert_eq!(at.set_by, "the default of --kv-addr");
        assert!(bind(&at).is_ok());
    }

    #[test]
    fn the_summary_names_everything_and_ends_address_lines_with_the_address() {
        let s = Summary {
            version: "1.2.3",
            data_dir: Some(PathBuf::from("/srv/shale")),
            io_backend: "io_uring".into(),
            durability: Durability {
                in_memory: false,
                dynamodb_sync: true,
                wal_sync_interval: Some(Duration::from_millis(100)),
            },
            auth: "sigv4".into(),
            tls_cert: None,
            cors: "any origin (*)".into(),
            dynamodb: "127.0.0.1:8000".parse().unwrap(),
            kv: "127.0.0.1:7070".parse().unwrap(),
            metrics: Some("127.0.0.1:9100".parse().unwrap()),
            console: true,
        };
        let text = s.to_string();
        for part in [
            "shale-server 1.2.3",
            "/srv/shale (io backend io_uring)",
            "fsynced before they are answered",
            "every 100 ms",
            "auth:       sigv4",
            "tls:        off",
            "cors:       any origin (*)",
            "endpoint:   http://127.0.0.1:8000",
            "console:    http://127.0.0.1:8000/console/",
        ] {
            assert!(text.contains(part), "{part}: {text}");
        }
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines.contains(&"  dynamodb gateway listening on 127.0.0.1:8000"), "{text}");
        assert!(lines.contains(&"  kv protocol listening on 127.0.0.1:7070"), "{text}");
        assert!(lines.contains(&"  metrics listening on 127.0.0.1:9100"), "{text}");
        let memory = Summary {
            data_dir: None,
            durability: Durability { in_memory: true, ..s.durability },
            tls_cert: Some(PathBuf::from("cert.pem")),
            metrics: None,
            console: false,
            ..s
        }
        .to_string();
        assert!(memory.contains("console:    off"), "{memory}");
        assert!(memory.contains("data:       in memory"), "{memory}");
        assert!(memory.contains("durability: none: in memory"), "{memory}");
        assert!(memory.contains("https://127.0.0.1:8000"), "{memory}");
        assert!(memory.ends_with("kv protocol listening on 127.0.0.1:7070"), "{memory}");
    }

    #[test]
    fn io_backends_are_named() {
        assert_eq!(io_backend_name(&shale_engine::fs::OsFs), "pread");
        assert_eq!(io_backend_name(&shale_engine::fs::MemFs::new()), "MemFs");
        #[cfg(target_os = "linux")]
        if let Ok(fs) = shale_engine::fs::UringFs::new() {
            assert_eq!(io_backend_name(&fs), "io_uring");
        }
    }
}
