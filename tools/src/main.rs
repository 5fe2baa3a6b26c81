//! `shale`: the storage engineer's command line for a Shale database (RocksDB's `ldb`).
//!
//! Keys and values are UTF-8 text, or hex when written `0x…`. Output prints keys and values as
//! text when they are printable UTF-8, else as `0x…` hex.

use clap::{Parser, Subcommand};
use shale_engine::{Db, IterOptions, Keyspace, Options, WriteOptions};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(name = "shale", version, about = "Inspect and edit a Shale database")]
struct Cli {
    /// Database directory.
    #[arg(long, global = true, default_value = "./shale-data")]
    db: PathBuf,
    /// Keyspace for data commands.
    #[arg(long, global = true, default_value = shale_engine::DEFAULT_KEYSPACE)]
    keyspace: String,
    /// Fail instead of creating a missing database.
    #[arg(long, global = true)]
    no_create: bool,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Sets KEY to VALUE (durably: fsync before returning).
    Put { key: String, value: String },
    /// Prints the value of KEY; exit code 1 when it is absent.
    Get { key: String },
    /// Deletes KEY (durably).
    Delete { key: String },
    /// Prints key/value pairs in order, one per line, tab-separated.
    Scan {
        /// Only keys starting with P.
        #[arg(long)]
        prefix: Option<String>,
        /// Start at K (inclusive).
        #[arg(long)]
        from: Option<String>,
        /// Stop before K (exclusive).
        #[arg(long)]
        to: Option<String>,
        /// At most N pairs.
        #[arg(long)]
        limit: Option<usize>,
        /// Largest key first.
        #[arg(long)]
        reverse: bool,
    },
    /// Lists keyspaces.
    Keyspaces,
    /// Creates a keyspace.
    CreateKeyspace { name: String },
    /// Drops a keyspace and its data.
    DropKeyspace { name: String },
}

/// Parses a key or value argument: `0x…` is hex, anything else is UTF-8 text.
fn parse_bytes(s: &str) -> Result<Vec<u8>, String> {
    let Some(hex) = s.strip_prefix("0x") else { return Ok(s.as_bytes().to_vec()) };
    if hex.len() % 2 != 0 {
        return Err(format!("hex argument {s:?} has an odd number of digits"));
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| {
            hex.get(i..i + 2)
                .and_then(|d| u8::from_str_radix(d, 16).ok())
                .ok_or_else(|| format!("hex argument {s:?} has a non-hex digit"))
        })
        .collect()
}

/// Formats bytes as text when printable UTF-8 without tabs/newlines, else as `0x…` hex.
fn show(b: &[u8]) -> String {
    match std::str::from_utf8(b) {
        Ok(s) if !s.starts_with("0x") && s.chars().all(|c| !c.is_control()) => s.to_owned(),
        _ => {
            let mut out = String::from("0x");
            for x in b {
                out.push_str(&format!("{x:02x}"));
            }
            out
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode, String> {
    let opts = Options { create_if_missing: !cli.no_create, ..Options::default() };
    let db = Db::open(&cli.db, opts).map_err(|e| format!("opening {}: {e}", cli.db.display()))?;
    let ks =
        || -> Result<Keyspace, String> { db.keyspace(&cli.keyspace).map_err(|e| e.to_string()) };
    let mut out = std::io::stdout().lock();
    let w = |r: std::io::Result<()>| r.map_err(|e| format!("writing output: {e}"));
    match cli.cmd {
        Cmd::Put { key, value } => {
            let (k, v) = (parse_bytes(&key)?, parse_bytes(&value)?);
            db.put_with(&ks()?, &k, &v, WriteOptions::SYNC).map_err(|e| e.to_string())?;
        }
        Cmd::Get { key } => {
            let k = parse_bytes(&key)?;
            match db.get(&ks()?, &k).map_err(|e| e.to_string())? {
                Some(v) => w(writeln!(out, "{}", show(&v)))?,
                None => {
                    eprintln!("not found: {key}");
                    return Ok(ExitCode::from(1));
                }
            }
        }
        Cmd::Delete { key } => {
            let k = parse_bytes(&key)?;
            db.delete_with(&ks()?, &k, WriteOptions::SYNC).map_err(|e| e.to_string())?;
        }
        Cmd::Scan { prefix, from, to, limit, reverse } => {
            let mut o = match prefix {
                Some(p) => IterOptions::prefix(parse_bytes(&p)?),
                None => IterOptions::all(),
            };
            if let Some(f) = from {
                o = o.from(parse_bytes(&f)?);
            }
            if let Some(t) = to {
                o = o.to(parse_bytes(&t)?);
            }
            if reverse {
                o = o.reverse();
            }
            let it = db.iter(&ks()?, o).map_err(|e| e.to_string())?;
            for kv in it.take(limit.unwrap_or(usize::MAX)) {
                let (k, v) = kv.map_err(|e| e.to_string())?;
                w(writeln!(out, "{}\t{}", show(&k), show(&v)))?;
            }
        }
        Cmd::Keyspaces => {
            for name in db.list_keyspaces() {
                w(writeln!(out, "{name}"))?;
            }
        }
        Cmd::CreateKeyspace { name } => {
            db.create_keyspace(&name).map_err(|e| e.to_string())?;
        }
        Cmd::DropKeyspace { name } => {
            let k = db.keyspace(&name).map_err(|e| e.to_string())?;
            db.drop_keyspace(&k).map_err(|e| e.to_string())?;
        }
    }
    db.close().map_err(|e| e.to_string())?;
    Ok(ExitCode::SUCCESS)
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(msg) => {
            eprintln!("shale: {msg}");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_arguments() {
        assert_eq!(parse_bytes("abc").unwrap(), b"abc");
        assert_eq!(parse_bytes("0x00ff").unwrap(), vec![0, 255]);
        assert!(parse_bytes("0x0").is_err());
        assert!(parse_bytes("0xzz").is_err());
        assert_eq!(show(b"abc"), "abc");
        assert_eq!(show(&[0, 1]), "0x0001");
        assert_eq!(show(b"0xab"), "0x30786162");
    }
}
