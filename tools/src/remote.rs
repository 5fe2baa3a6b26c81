//! The data commands over the network: `shale --addr HOST:PORT put|get|delete|scan|...` talks
//! to a running `shale-server` through its Rust client, authenticated with the credentials of
//! `--access-key-id`, `--secret-access-key`, `--session-token` or, as the AWS SDKs read them,
//! `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`.

use crate::text::{parse_bytes, show};
use crate::Cmd;
use shale_server::client::{Client, ClientError, Credentials};
use shale_server::kv::codec::{ErrorCode, ScanRange};
use std::io::Write;
use std::process::ExitCode;

/// The credentials to authenticate with: both the key id and the secret, or neither (then the
/// client does not authenticate).
pub fn credentials(
    access_key_id: Option<String>,
    secret_access_key: Option<String>,
    session_token: Option<String>,
) -> Result<Option<Credentials>, String> {
    match (access_key_id, secret_access_key) {
        (Some(id), Some(secret)) => {
            let mut c = Credentials::new(&id, &secret);
            c.session_token = session_token.filter(|t| !t.is_empty());
            Ok(Some(c))
        }
        (None, None) => Ok(None),
        _ => Err("give both the access key id and the secret access key (AWS_ACCESS_KEY_ID and \
                  AWS_SECRET_ACCESS_KEY), or neither"
            .into()),
    }
}

pub fn run(
    addr: &str,
    credentials: Option<&Credentials>,
    keyspace: &str,
    cmd: Cmd,
    out: &mut dyn Write,
) -> Result<ExitCode, String> {
    let w = |r: std::io::Result<()>| r.map_err(|e| format!("writing output: {e}"));
    let c = Client::connect_with(addr, credentials).map_err(|e| match e {
        ClientError::Refused(ErrorCode::AuthRequired) => format!(
            "connecting to {addr}: the server requires authentication: set AWS_ACCESS_KEY_ID and \
             AWS_SECRET_ACCESS_KEY (or --access-key-id and --secret-access-key)"
        ),
        e => format!("connecting to {addr}: {e}"),
    })?;
    let err = |e: ClientError| e.to_string();
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
