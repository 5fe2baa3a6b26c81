//! `shale`: the storage engineer's command line for a Shale database (RocksDB's `ldb` and
//! `sst_dump`).
//!
//! Keys and values are UTF-8 text, or hex when written `0x…`. Output prints keys and values as
//! text when they are printable UTF-8, else as `0x…` hex.

mod inspect;
mod remote;
mod text;
mod transfer;

use clap::{Parser, Subcommand};
use shale_engine::{Db, IterOptions, Keyspace, Options, WriteOptions};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use text::{parse_bytes, show};

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
    /// Key-value separation: flushes write values of at least this many bytes to blob files
    /// (the engine's `blob_threshold_bytes`; without it, values stay in the tables).
    #[arg(long, global = true)]
    blob_threshold_bytes: Option<usize>,
    /// Talk to a running shale-server at HOST:PORT instead of opening --db (data, keyspace and
    /// stats commands).
    #[arg(long, global = true)]
    addr: Option<String>,
    /// With --addr: the access key id to authenticate with (the root's or an IAM user's).
    /// Without credentials, the CLI speaks the unauthenticated protocol version 1, which only a
    /// server with `--auth none` accepts.
    #[arg(long, global = true, env = "AWS_ACCESS_KEY_ID")]
    access_key_id: Option<String>,
    /// With --addr: the secret access key (prefer the environment variable to the flag).
    #[arg(long, global = true, env = "AWS_SECRET_ACCESS_KEY", hide_env_values = true)]
    secret_access_key: Option<String>,
    /// With --addr: the session token of temporary credentials (STS).
    #[arg(long, global = true, env = "AWS_SESSION_TOKEN", hide_env_values = true)]
    session_token: Option<String>,
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
    /// Writes every memtable to an SSTable now.
    Flush,
    /// Flushes, then compacts the keyspace's tables (those holding keys in [--from, --to] when
    /// given) down to the last level.
    Compact {
        /// First key of the range (inclusive).
        #[arg(long)]
        from: Option<String>,
        /// Last key of the range (inclusive).
        #[arg(long)]
        to: Option<String>,
    },
    /// Writes a consistent, openable copy of the database into the new directory OUT.
    Checkpoint { out: PathBuf },
    /// Prints the level table, memtables and cache counters.
    Stats,
    /// Reads every block of every live SSTable and every record of every blob file, checks every
    /// checksum and follows every blob pointer; exit code 1 on corruption.
    Verify,
    /// Prints the live manifest's edits and the state they build.
    ManifestDump,
    /// Prints an SSTable's properties and index, and with --scan every entry.
    SstDump {
        file: PathBuf,
        /// Also print every entry.
        #[arg(long)]
        scan: bool,
    },
    /// Prints every record (write batch) of a WAL file.
    WalDump { file: PathBuf },
    /// Exports DynamoDB table TABLE of the database, as it is now, into folder TO, laid out as
    /// ExportTableToPointInTime lays it out in a bucket (the server must be stopped).
    Export {
        /// The table.
        #[arg(long)]
        table: String,
        /// The folder standing for the bucket (created if missing).
        #[arg(long)]
        to: PathBuf,
        /// The key prefix under it (`S3Prefix`).
        #[arg(long)]
        prefix: Option<String>,
        /// `DYNAMODB_JSON` or `ION`.
        #[arg(long, default_value = "DYNAMODB_JSON")]
        format: String,
    },
    /// Imports the files under folder FROM into a new DynamoDB table of the database, as
    /// ImportTable does (the server must be stopped). Exit code 1: some items were not imported
    /// (the table keeps the others); 2: the import failed and left no table.
    Import {
        /// The folder standing for the bucket.
        #[arg(long)]
        from: PathBuf,
        /// Only the files whose path under FROM starts with this (`S3KeyPrefix`).
        #[arg(long, default_value = "")]
        key_prefix: String,
        /// `DYNAMODB_JSON`, `ION` or `CSV`.
        #[arg(long)]
        input_format: String,
        /// `GZIP`, `ZSTD` or `NONE`.
        #[arg(long, default_value = "NONE")]
        input_compression_type: String,
        /// `InputFormatOptions` as JSON (CSV's `Delimiter` and `HeaderList`), or file://PATH.
        #[arg(long)]
        input_format_options: Option<String>,
        /// `TableCreationParameters` as JSON (the table's name, keys, indexes, billing), or
        /// file://PATH, as the AWS CLI takes it.
        #[arg(long)]
        table_creation_parameters: String,
    },
    /// Checks a blob file (header, footer, every record's checksum) and prints its counts, and
    /// with --scan every record.
    BlobDump {
        file: PathBuf,
        /// Also print every record.
        #[arg(long)]
        scan: bool,
    },
}

fn run(cli: Cli) -> Result<ExitCode, String> {
    let mut stdout = std::io::stdout().lock();
    let out: &mut dyn Write = &mut stdout;
    let w = |r: std::io::Result<()>| r.map_err(|e| format!("writing output: {e}"));
    // File-level commands never open the database.
    match &cli.cmd {
        Cmd::SstDump { file, scan } => {
            return inspect::sst_dump(file, *scan, out).map(|()| ExitCode::SUCCESS)
        }
        Cmd::BlobDump { file, scan } => {
            return inspect::blob_dump(file, *scan, out).map(|()| ExitCode::SUCCESS)
        }
        Cmd::WalDump { file } => return inspect::wal_dump(file, out).map(|()| ExitCode::SUCCESS),
        _ => {}
    }
    // The DynamoDB commands open the database with its gateway.
    if matches!(cli.cmd, Cmd::Export { .. } | Cmd::Import { .. }) && cli.addr.is_some() {
        return Err("export and import work on a data directory (--db), not through --addr: \
                    against a running server, use ExportTableToPointInTime and ImportTable"
            .into());
    }
    match cli.cmd {
        Cmd::Export { table, to, prefix, format } => {
            return transfer::export(&cli.db, &table, &to, prefix.as_deref(), &format, out)
        }
        Cmd::Import {
            from,
            key_prefix,
            input_format,
            input_compression_type,
            input_format_options,
            table_creation_parameters,
        } => {
            let args = transfer::ImportArgs {
                from,
                key_prefix,
                input_format,
                input_compression_type,
                input_format_options,
                table_creation_parameters,
            };
            return transfer::import(&cli.db, args, out);
        }
        _ => {}
    }
    if let Some(addr) = &cli.addr {
        let creds =
            remote::credentials(cli.access_key_id, cli.secret_access_key, cli.session_token)?;
        return remote::run(addr, creds.as_ref(), &cli.keyspace, cli.cmd, out);
    }
    let opts = Options {
        create_if_missing: !cli.no_create,
        blob_threshold_bytes: cli.blob_threshold_bytes,
        ..Options::default()
    };
    let db = Db::open(&cli.db, opts).map_err(|e| format!("opening {}: {e}", cli.db.display()))?;
    let ks =
        || -> Result<Keyspace, String> { db.keyspace(&cli.keyspace).map_err(|e| e.to_string()) };
    let mut code = ExitCode::SUCCESS;
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
                    code = ExitCode::from(1);
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
        Cmd::Flush => db.flush().map_err(|e| e.to_string())?,
        Cmd::Compact { from, to } => {
            let from = from.as_deref().map(parse_bytes).transpose()?;
            let to = to.as_deref().map(parse_bytes).transpose()?;
            db.compact_range(&ks()?, from.as_deref(), to.as_deref()).map_err(|e| e.to_string())?;
        }
        Cmd::Stats => w(write!(out, "{}", db.stats()))?,
        Cmd::Checkpoint { out: dir } => {
            let seq = db.checkpoint(&dir).map_err(|e| e.to_string())?;
            w(writeln!(out, "checkpoint {} at sequence {seq}", dir.display()))?;
        }
        Cmd::Verify => match db.verify() {
            Ok(r) => w(writeln!(
                out,
                "ok: {} tables, {} entries; {} blob files, {} records, {} pointers followed",
                r.tables, r.entries, r.blob_files, r.blob_records, r.blob_pointers
            ))?,
            Err(e) => {
                eprintln!("verify failed: {e}");
                code = ExitCode::from(1);
            }
        },
        Cmd::ManifestDump => inspect::manifest_dump(&cli.db, out)?,
        Cmd::SstDump { .. }
        | Cmd::WalDump { .. }
        | Cmd::BlobDump { .. }
        | Cmd::Export { .. }
        | Cmd::Import { .. } => {}
    }
    db.close().map_err(|e| e.to_string())?;
    Ok(code)
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
