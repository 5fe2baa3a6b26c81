//! The data commands over the network: `shale --addr HOST:PORT put|get|delete|scan|...` talks
//! to a running `shale-server` through its Rust client.

use crate::text::{parse_bytes, show};
use crate::Cmd;
use shale_server::client::Client;
use shale_server::kv::codec::ScanRange;
use std::io::Write;
use std::process::ExitCode;

pub fn run(addr: &str, keyspace: &str, cmd: Cmd, out: &mut dyn Write) -> Result<ExitCode, String> {
    let w = |r: std::io::Result<()>| r.map_err(|e| format!("writing output: {e}"));
    let c = Client::connect(addr).map_err(|e| format!("connecting to {addr}: {e}"))?;
    let err = |e: shale_server::client::ClientError| e.to_string();
    match cmd {
        Cmd::Put { key, value } => {
            c.put(keyspace, &parse_bytes(&key)?, &parse_bytes(&value)?, true).map_err(err)?;
        }
        Cmd::Get { key } => match c.get(keyspace, &parse_bytes(&key)?).map_err(err)? {
            Some(v) => w(writeln!(out, "{}", show(&v)))?,
            None => {
                eprintln!("not found: {key}");
                return Ok(ExitCode::from(1));
            }
        },
        Cmd::Delete { key } => c.delete(keyspace, &parse_bytes(&key)?, true).map_err(err)?,
        Cmd::Scan { prefix, from, to, limit, reverse } => {
            let range = match (prefix, from, to) {
                (Some(p), None, None) => ScanRange::Prefix(parse_bytes(&p)?),
                (None, from, to) => ScanRange::Range {
                    start: from.as_deref().map(parse_bytes).transpose()?,
                    end: to.as_deref().map(parse_bytes).transpose()?,
                },
                _ => return Err("with --addr, give --prefix or --from/--to, not both".into()),
            };
            let entries =
                c.scan(keyspace, range, reverse, limit.unwrap_or(usize::MAX)).map_err(err)?;
            for (k, v) in entries {
                w(writeln!(out, "{}\t{}", show(&k), show(&v)))?;
            }
        }
        Cmd::Keyspaces => {
            for name in c.list_keyspaces().map_err(err)? {
                w(writeln!(out, "{name}"))?;
            }
        }
        Cmd::CreateKeyspace { name } => c.create_keyspace(&name).map_err(err)?,
        Cmd::DropKeyspace { name } => c.drop_keyspace(&name).map_err(err)?,
        Cmd::Stats => w(write!(out, "{}", c.stats().map_err(err)?))?,
        other => {
            return Err(format!(
                "{} works on a database directory (--db), not through --addr",
                format!("{other:?}")
                    .split([' ', '{'])
                    .next()
                    .unwrap_or("this command")
                    .to_lowercase()
            ))
        }
    }
    Ok(ExitCode::SUCCESS)
}
