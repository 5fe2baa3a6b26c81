//! `shale export` and `shale import`: ExportTableToPointInTime and ImportTable done offline on a
//! data directory (the server stopped), with a progress bar. The folder given stands for the S3
//! bucket: an export is laid out in it as DynamoDB lays one out (`docs/format/export.md`), and an
//! import reads the files under its key prefix, in DynamoDB JSON, Ion or CSV.

use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{json, Value as Json};
use shale_engine::{Db, Options, WalArchiveOptions};
use shale_server::dynamodb::ops::{exports, imports, Gateway, GatewayOptions};
use shale_server::dynamodb::transfer::records::Status;
use shale_server::dynamodb::transfer::DataFormat;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

/// Opens the data directory as shale-server does (the WAL archive dormant unless a table's
/// recovery keeps it), with the DynamoDB gateway over it.
fn open(data: &Path, create: bool) -> Result<(Db, Gateway), String> {
    let opts = Options {
        create_if_missing: create,
        wal_archive: Some(WalArchiveOptions { retention: Duration::ZERO, ..Default::default() }),
        ..Options::default()
    };
    let db = Db::open(data, opts).map_err(|e| format!("opening {}: {e}", data.display()))?;
    let g = Gateway::open(db.clone(), GatewayOptions { sync: false, ..GatewayOptions::default() })
        .map_err(|e| {
            format!("opening the DynamoDB tables of {}: {}", data.display(), e.message())
        })?;
    Ok((db, g))
}

fn bar(len: Option<u64>, what: &str) -> ProgressBar {
    let (pb, template) = match len {
        Some(n) => (
            ProgressBar::new(n),
            "{spinner} {elapsed_precise} [{bar:40}] {pos}/{len} items ({per_sec}) {msg}",
        ),
        None => (
            ProgressBar::new_spinner(),
            "{spinner} {elapsed_precise} {pos} items ({per_sec}) {msg}",
        ),
    };
    if let Ok(style) = ProgressStyle::with_template(template) {
        pb.set_style(style.progress_chars("=> "));
    }
    pb.set_message(what.to_string());
    pb.enable_steady_tick(Duration::from_millis(200));
    pb
}

/// `shale export`.
pub fn export(
    data: &Path,
    table: &str,
    to: &Path,
    prefix: Option<&str>,
    format: &str,
    out: &mut dyn Write,
) -> Result<ExitCode, String> {
    let format = match DataFormat::parse(format) {
        Some(f @ (DataFormat::DynamodbJson | DataFormat::Ion)) => f,
        _ => return Err(format!("--format takes DYNAMODB_JSON or ION, not {format:?}")),
    };
    std::fs::create_dir_all(to).map_err(|e| format!("creating {}: {e}", to.display()))?;
    let (db, g) = open(data, false)?;
    let described = g
        .handle("DescribeTable", &json!({ "TableName": table }))
        .map_err(|e| format!("table {table}: {}", e.message()))?;
    let pb = bar(described["Table"]["ItemCount"].as_u64(), "exported");
    let done = exports::export_to_folder(&g, table, to, prefix, format, &mut |items, _| {
        pb.set_position(items)
    });
    pb.finish_and_clear();
    let (spec, exported) = done.map_err(|e| format!("exporting {table}: {}", e.message()))?;
    drop(g);
    db.close().map_err(|e| e.to_string())?;
    writeln!(
        out,
        "exported {} items ({} bytes of items, {} bytes in {} data files) of table {table} to {}",
        exported.item_count,
        exported.billed_size_bytes,
        exported.file_bytes,
        exported.data_files,
        to.join(spec.key_base()).display()
    )
    .map_err(|e| e.to_string())?;
    Ok(ExitCode::SUCCESS)
}

/// What `shale import` is given.
pub struct ImportArgs {
    pub from: PathBuf,
    pub key_prefix: String,
    pub input_format: String,
    pub input_compression_type: String,
    pub input_format_options: Option<String>,
    pub table_creation_parameters: String,
}

/// A JSON argument given inline or as `file://PATH`, as the AWS CLI takes them.
fn json_arg(flag: &str, v: &str) -> Result<Json, String> {
    let text = match v.strip_prefix("file://") {
        Some(path) => std::fs::read_to_string(path).map_err(|e| format!("{flag}: {path}: {e}"))?,
        None => v.to_string(),
    };
    serde_json::from_str(&text).map_err(|e| format!("{flag} is not JSON: {e}"))
}

/// `shale import`: exit code 0 when every item was imported, 1 when some were not (the table is
/// kept with the others), 2 when the import failed (no table is left).
pub fn import(data: &Path, a: ImportArgs, out: &mut dyn Write) -> Result<ExitCode, String> {
    if !a.from.is_dir() {
        return Err(format!("--from {}: no such folder", a.from.display()));
    }
    let mut request = json!({
        "S3BucketSource": {"S3Bucket": "local", "S3KeyPrefix": a.key_prefix},
        "InputFormat": a.input_format,
        "InputCompressionType": a.input_compression_type,
        "TableCreationParameters":
            json_arg("--table-creation-parameters", &a.table_creation_parameters)?,
    });
    if let Some(o) = &a.input_format_options {
        request["InputFormatOptions"] = json_arg("--input-format-options", o)?;
    }
    let (db, g) = open(data, true)?;
    let pb = bar(None, "read");
    let done =
        imports::import_from_folder(&g, &request, &a.from, &mut |items, _| pb.set_position(items));
    pb.finish_and_clear();
    let r = done.map_err(|e| format!("importing: {}", e.message()))?;
    drop(g);
    db.close().map_err(|e| e.to_string())?;
    let w = |r: std::io::Result<()>| r.map_err(|e| e.to_string());
    w(writeln!(
        out,
        "{} items read ({} bytes), {} imported into table {}, {} errors",
        r.processed_item_count,
        r.processed_size_bytes,
        r.imported_item_count,
        r.table_name,
        r.error_count
    ))?;
    match (r.status, r.failure_code.as_deref()) {
        (Status::Completed, _) => Ok(ExitCode::SUCCESS),
        (_, Some("ItemValidationError")) => {
            eprintln!("shale: {}", r.failure_message.unwrap_or_default());
            Ok(ExitCode::from(1))
        }
        _ => Err(format!(
            "the import failed ({}): {}",
            r.failure_code.unwrap_or_default(),
            r.failure_message.unwrap_or_default()
        )),
    }
}
