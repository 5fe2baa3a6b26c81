//! ImportTable, DescribeImport and ListImports, over the source reader
//! (`dynamodb/transfer/import.rs`, `docs/backup.md`).
//!
//! ImportTable checks its input, makes the table from `TableCreationParameters` exactly as
//! CreateTable would (same checks, same messages), marked as being imported into: `CREATING`
//! to DescribeTable, not found by item operations, not changeable. The transfer thread then
//! reads every file under the key prefix and writes the items through the one write path, a
//! thousand to an engine batch, with their index entries. An entry that is not a valid item of
//! the table (bad text, no key, a key of the wrong type, over 400 KB, a GSI key of the wrong
//! type) is counted in `ErrorCount` and logged; the import then ends `FAILED` with DynamoDB's
//! `ItemValidationError`, the table kept with the valid items. A missing bucket or an unreadable
//! file fails the import and removes the table; so does a crash ([`super::super::transfer::worker::recover`]).

use crate::dynamodb::error::{validation, DResult, DynamoError};
use crate::dynamodb::model::value::item_from_json;
use crate::dynamodb::ops::exports::{
    authorize_arn, check_bucket, check_token, decode_arn, CLIENT_TOKEN_SECS,
};
use crate::dynamodb::ops::pitr::name_of;
use crate::dynamodb::ops::tables::{self, CreateTableInput};
use crate::dynamodb::ops::{now_secs, Gateway, Input};
use crate::dynamodb::request::member::Str;
use crate::dynamodb::request::{self as req, shapes, Constraints};
use crate::dynamodb::schema::catalog::Table;
use crate::dynamodb::transfer::import::{self as reader, CsvOptions, Entry, ReadSpec};
use crate::dynamodb::transfer::records::{ImportRecord, Status};
use crate::dynamodb::transfer::worker::{store_error, Job};
use crate::dynamodb::transfer::{check_key_prefix, new_id, Compression, DataFormat, Failure};
use crate::dynamodb::write::{self, Action, Gate, WriteOp};
use crate::iam::caller::Caller;
use serde_json::{json, Map, Value as Json};
use std::collections::HashMap;
use std::sync::Arc;

/// The most ListImports answers in one page (the model's `ListImportsMaxLimit`).
pub const LIST_IMPORTS_MAX: i64 = 25;
/// Most imports in progress at once (DynamoDB's quota): more are refused with
/// LimitExceededException.
pub const IMPORTS_IN_PROGRESS_MAX: usize = 50;
/// Items an import writes per engine batch.
pub const IMPORT_BATCH_ITEMS: usize = 1000;
/// Bad entries an import logs (the rest are only counted).
pub const IMPORT_ERRORS_LOGGED_MAX: u64 = 100;
/// The members of `TableCreationParameters`.
const CREATION_MEMBERS: &[&str] = &[
    "TableName",
    "AttributeDefinitions",
    "KeySchema",
    "BillingMode",
    "ProvisionedThroughput",
    "OnDemandThroughput",
    "SSESpecification",
    "GlobalSecondaryIndexes",
];
/// DynamoDB's message for an import with bad items.
pub const ITEM_VALIDATION_MESSAGE: &str = "Some of the items failed validation checks and were \
     not imported. Please check CloudWatch error logs for more details.";

/// ImportTable's input, checked.
pub struct ImportInput<'a> {
    token: Option<Str<'a>>,
    source: Json,
    bucket: String,
    key_prefix: String,
    format: DataFormat,
    format_options: Option<Json>,
    compression: Compression,
    creation: Json,
    table_name: String,
}

fn str_member<'j>(v: &'j Json, key: &str, at: &str) -> DResult<Option<&'j str>> {
    match v.get(key) {
        None | Some(Json::Null) => Ok(None),
        Some(Json::String(s)) => Ok(Some(s)),
        Some(_) => Err(DynamoError::Serialization(format!("{at}.{key} must be a string"))),
    }
}

/// `InputFormatOptions.Csv`: the delimiter and the header list.
fn csv_options(o: &Json, c: &mut Constraints) -> DResult<(u8, Option<Vec<String>>)> {
    let Some(csv) = o.get("Csv") else { return Ok((b',', None)) };
    let delimiter = match str_member(csv, "Delimiter", "InputFormatOptions.Csv")? {
        None => b',',
        Some(d) if d.len() == 1 && ",;:|\t ".contains(d) => {
            d.as_bytes().first().copied().unwrap_or(b',')
        }
        Some(d) => {
            c.add(
                &format!("'{d}'"),
                "inputFormatOptions.csv.delimiter",
                "Member must satisfy regular expression pattern: [,;:|\\t ]",
            );
            b','
        }
    };
    let header = match csv.get("HeaderList") {
        None | Some(Json::Null) => None,
        Some(Json::Array(list)) => {
            if list.is_empty() || list.len() > 255 {
                c.add(
                    "HeaderList",
                    "inputFormatOptions.csv.headerList",
                    "Member must have length between 1 and 255",
                );
            }
            let mut names = Vec::with_capacity(list.len());
            for h in list {
                let Some(h) = h.as_str() else {
                    return Err(DynamoError::Serialization("HeaderList must hold strings".into()));
                };
                let printable =
                    h.bytes().all(|b| (0x20..=0x7e).contains(&b) && b != b'"' && b != b',');
                if h.is_empty() || h.len() > 65536 || !printable {
                    c.add(&format!("'{h}'"), "inputFormatOptions.csv.headerList.member", "Member must satisfy regular expression pattern: [\\x20-\\x21\\x23-\\x2B\\x2D-\\x7E]*");
                }
                names.push(h.to_string());
            }
            Some(names)
        }
        Some(_) => return Err(DynamoError::Serialization("HeaderList must be a list".into())),
    };
    Ok((delimiter, header))
}

impl<'a> Input<'a> for ImportInput<'a> {
    fn authorize(&self, g: &Gateway, caller: &Caller, action: &'static str) -> DResult<()> {
        crate::dynamodb::access::table(g, caller, action, &self.table_name, |_| {})
    }

    type Shape = shapes::ImportTable<'a>;

    fn decode(w: shapes::ImportTable<'a>) -> DResult<Self> {
        let mut c = Constraints::default();
        let token = w.client_token.get("ClientToken")?;
        check_token(&mut c, token.as_deref());
        let source = w.s3_bucket_source.get("S3BucketSource")?;
        c.not_null("s3BucketSource", source.as_ref());
        let source = source.unwrap_or(Json::Null);
        let bucket = str_member(&source, "S3Bucket", "S3BucketSource")?;
        let owner = str_member(&source, "S3BucketOwner", "S3BucketSource")?;
        let key_prefix = str_member(&source, "S3KeyPrefix", "S3BucketSource")?;
        if source.is_object() {
            check_bucket(&mut c, "s3BucketSource.", bucket, owner);
        }
        let format = w.input_format.get("InputFormat")?;
        c.not_null("inputFormat", format.as_ref());
        c.one_of("inputFormat", format.as_deref(), &["DYNAMODB_JSON", "ION", "CSV"]);
        let compression = w.input_compression_type.get("InputCompressionType")?;
        c.one_of("inputCompressionType", compression.as_deref(), &["GZIP", "ZSTD", "NONE"]);
        let options = w.input_format_options.get("InputFormatOptions")?;
        if let Some(o) = &options {
            csv_options(o, &mut c)?;
        }
        let creation = w.table_creation_parameters.get("TableCreationParameters")?;
        c.not_null("tableCreationParameters", creation.as_ref());
        let creation = creation.unwrap_or(Json::Null);
        let table_name = str_member(&creation, "TableName", "TableCreationParameters")?;
        if creation.is_object() {
            c.table_name("tableCreationParameters.tableName", table_name);
        }
        c.finish()?;
        let format =
            format.as_deref().and_then(DataFormat::parse).unwrap_or(DataFormat::DynamodbJson);
        if options.is_some() && format != DataFormat::Csv {
            return Err(validation("InputFormatOptions can only be given with InputFormat CSV"));
        }
        if let Json::Object(m) = &creation {
            if let Some(k) = m.keys().find(|k| !CREATION_MEMBERS.contains(&k.as_str())) {
                return Err(validation(format!(
                    "TableCreationParameters has no member {k}: it takes {}",
                    CREATION_MEMBERS.join(", ")
                )));
            }
        }
        let key_prefix = key_prefix.unwrap_or("");
        check_key_prefix(key_prefix, "S3KeyPrefix").map_err(validation)?;
        Ok(ImportInput {
            token,
            bucket: bucket.unwrap_or_default().to_string(),
            key_prefix: key_prefix.to_string(),
            source,
            format,
            format_options: options,
            compression: compression
                .as_deref()
                .and_then(Compression::parse)
                .unwrap_or(Compression::None),
            creation: creation.clone(),
            table_name: table_name.unwrap_or_default().to_string(),
        })
    }
}

/// `ImportTableDescription`.
fn description(r: &ImportRecord) -> Json {
    let mut d = summary(r);
    if let Json::Object(o) = &mut d {
        let mut put = |k: &str, v: Json| {
            o.insert(k.to_string(), v);
        };
        put("TableId", json!(r.table_id));
        put("ClientToken", json!(r.client_token));
        put("ErrorCount", json!(r.error_count));
        put("InputCompressionType", json!(r.compression.name()));
        put("TableCreationParameters", r.creation.clone());
        put("ProcessedItemCount", json!(r.processed_item_count));
        put("ImportedItemCount", json!(r.imported_item_count));
        if let Some(opts) = &r.format_options {
            put("InputFormatOptions", opts.clone());
        }
        if r.end_time.is_some() {
            put("ProcessedSizeBytes", json!(r.processed_size_bytes));
        }
        if let Some(c) = &r.failure_code {
            put("FailureCode", json!(c));
        }
        if let Some(m) = &r.failure_message {
            put("FailureMessage", json!(m));
        }
    }
    d
}

/// `ImportSummary`.
fn summary(r: &ImportRecord) -> Json {
    let mut d = Map::new();
    d.insert("ImportArn".into(), json!(r.arn));
    d.insert("ImportStatus".into(), json!(r.status.name()));
    d.insert("TableArn".into(), json!(r.table_arn));
    d.insert("S3BucketSource".into(), r.source.clone());
    d.insert("InputFormat".into(), json!(r.format.name()));
    d.insert("StartTime".into(), json!(r.start_time));
    if let Some(t) = r.end_time {
        d.insert("EndTime".into(), json!(t));
    }
    Json::Object(d)
}

pub fn import(g: &Gateway, input: ImportInput) -> DResult<Json> {
    let now = now_secs();
    let records = &g.transfers.records;
    if let Some(token) = input.token.as_deref() {
        let earlier = records
            .imports()
            .map_err(store_error)?
            .into_iter()
            .find(|r| r.client_token == token && now - r.start_time < CLIENT_TOKEN_SECS);
        if let Some(r) = earlier {
            if r.table_name == input.table_name {
                return Ok(json!({"ImportTableDescription": description(&r)}));
            }
            return Err(DynamoError::ImportConflict(format!(
                "Duplicate request detected: ClientToken {token} was used to import into table {}",
                r.table_name
            )));
        }
    }
    if g.transfers.buckets.is_none() {
        return Err(validation(
            "Imports are off: start the server with --export-root DIR, whose folders are the \
             buckets",
        ));
    }
    let running = records
        .imports()
        .map_err(store_error)?
        .iter()
        .filter(|r| r.status == Status::InProgress)
        .count();
    if running >= IMPORTS_IN_PROGRESS_MAX {
        return Err(DynamoError::LimitExceeded(format!(
            "There are {running} imports in progress, the most at once ({IMPORTS_IN_PROGRESS_MAX})"
        )));
    }
    let record = begin(g, input, now)?;
    records.put_import(&record).map_err(store_error)?;
    g.transfers.push(Job::Import { arn: record.arn.clone() });
    Ok(json!({"ImportTableDescription": description(&record)}))
}

/// Makes the table an import fills (marked as being imported into), and the import's record.
fn begin(g: &Gateway, input: ImportInput, now: f64) -> DResult<ImportRecord> {
    // The table's parameters are CreateTable's: decoded and checked by CreateTable's input.
    let body =
        serde_json::to_vec(&input.creation).map_err(|e| DynamoError::Internal(e.to_string()))?;
    let definition: shapes::TableDefinition = req::parse(&body)?;
    let create = CreateTableInput::decode(definition)?;
    let id = new_id(now);
    let table_arn = g.table_arn(&input.table_name);
    let arn = format!("{table_arn}/import/{id}");
    let table = tables::make(g, create, Some(arn.clone()))?;
    Ok(ImportRecord {
        id,
        arn,
        status: Status::InProgress,
        table_name: input.table_name.clone(),
        table_arn,
        table_id: Some(table.meta.table_id.clone()),
        client_token: input.token.as_deref().map_or_else(|| new_id(now), str::to_string),
        source: input.source,
        bucket: input.bucket,
        key_prefix: input.key_prefix,
        format: input.format,
        format_options: input.format_options,
        compression: input.compression,
        creation: input.creation,
        start_time: now,
        end_time: None,
        processed_size_bytes: 0,
        processed_item_count: 0,
        imported_item_count: 0,
        error_count: 0,
        failure_code: None,
        failure_message: None,
    })
}

/// What an import has counted.
#[derive(Debug, Default)]
pub struct Counts {
    bytes: u64,
    processed: u64,
    imported: u64,
    errors: u64,
    first_error: Option<String>,
}

impl Counts {
    fn bad(&mut self, arn: &str, why: String) {
        self.processed += 1;
        self.errors += 1;
        if self.errors <= IMPORT_ERRORS_LOGGED_MAX {
            tracing::warn!("import {arn}: item not imported: {why}");
        }
        if self.first_error.is_none() {
            self.first_error = Some(why);
        }
    }
}

/// Runs the import recorded under `arn` (the transfer thread).
pub(crate) fn run(g: &Gateway, arn: &str) {
    let records = &g.transfers.records;
    let Ok(Some(mut r)) = records.import(arn) else {
        tracing::error!("import {arn} is queued but not recorded");
        return;
    };
    let dir = match &g.transfers.buckets {
        Some(b) => b.bucket(&r.bucket),
        None => Err(Failure::new("InvalidExportRoot", "the server has no --export-root")),
    };
    carry_out(g, &mut r, dir, &mut |_, _| {});
    if let Err(e) = records.put_import(&r) {
        tracing::error!("recording the end of import {arn}: {e}");
    }
}

/// Imports into folder `dir` (a bucket's folder) as the ImportTable request `request` says
/// (its `S3BucketSource.S3Bucket` only named, not looked up), on this thread and without
/// recording it: `shale import` on a data directory. `progress` is called with the entries
/// read and bytes read so far now and then.
pub fn import_from_folder(
    g: &Gateway,
    request: &Json,
    dir: &std::path::Path,
    progress: &mut dyn FnMut(u64, u64),
) -> DResult<ImportRecord> {
    let body = serde_json::to_vec(request).map_err(|e| DynamoError::Internal(e.to_string()))?;
    let shape: shapes::ImportTable = req::parse(&body)?;
    let input = ImportInput::decode(shape)?;
    let mut r = begin(g, input, now_secs())?;
    carry_out(g, &mut r, Ok(dir.to_path_buf()), progress);
    Ok(r)
}

/// Fills the import's table from bucket folder `dir`, then ends the import in `r`: COMPLETED,
/// FAILED with `ItemValidationError` (the table kept), or FAILED (the table removed).
fn carry_out(
    g: &Gateway,
    r: &mut ImportRecord,
    dir: Result<std::path::PathBuf, Failure>,
    progress: &mut dyn FnMut(u64, u64),
) {
    let arn = r.arn.clone();
    let mut counts = Counts::default();
    let table = g.catalog.get(&r.table_name).filter(|t| t.meta.importing.as_deref() == Some(&*arn));
    let result = match (&table, dir) {
        (Some(t), Ok(dir)) => load(g, r, t, &dir, &mut counts, progress),
        (None, _) => Err(Failure::new("InternalError", format!("table {} is gone", r.table_name))),
        (_, Err(f)) => Err(f),
    };
    let finished = result.and_then(|()| {
        g.catalog
            .update(&r.table_name, |m| {
                m.importing = None;
                Ok(())
            })
            .and_then(|_| Ok(g.db.sync_wal()?))
            .map_err(|e| Failure::new("InternalError", e.message()))
    });
    r.end_time = Some(now_secs());
    r.processed_size_bytes = counts.bytes;
    r.processed_item_count = counts.processed;
    r.imported_item_count = counts.imported;
    r.error_count = counts.errors;
    match finished {
        Ok(()) if counts.errors == 0 => r.status = Status::Completed,
        Ok(()) => {
            r.status = Status::Failed;
            r.failure_code = Some("ItemValidationError".into());
            r.failure_message = Some(format!(
                "{ITEM_VALIDATION_MESSAGE} The first: {}",
                counts.first_error.unwrap_or_default()
            ));
        }
        Err(f) => {
            tracing::warn!("import {arn} failed: {f}");
            if table.is_some() {
                if let Err(e) = g.catalog.delete(&r.table_name) {
                    tracing::error!(
                        "removing table {} after its import failed: {}",
                        r.table_name,
                        e.message()
                    );
                }
            }
            r.status = Status::Failed;
            r.failure_code = Some(f.code);
            r.failure_message = Some(f.message);
        }
    }
}

/// Reads the source and writes its items into `table`.
fn load(
    g: &Gateway,
    r: &ImportRecord,
    table: &Arc<Table>,
    dir: &std::path::Path,
    counts: &mut Counts,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<(), Failure> {
    if r.source.get("S3BucketOwner").and_then(Json::as_str).is_some_and(|o| o != g.opts.account) {
        return Err(Failure::new(
            "S3AccessDenied",
            format!("Access Denied: bucket {} is not owned by the given S3BucketOwner", r.bucket),
        ));
    }
    let files = reader::list(dir, &r.key_prefix)?;
    let csv = r.format_options.as_ref().map(|o| {
        let mut c = Constraints::default();
        csv_options(o, &mut c).unwrap_or((b',', None))
    });
    let spec = ReadSpec {
        format: r.format,
        compression: r.compression,
        csv: (r.format == DataFormat::Csv).then(|| {
            let (delimiter, header) = csv.unwrap_or((b',', None));
            CsvOptions {
                delimiter,
                header,
                typed: table
                    .meta
                    .attribute_definitions
                    .iter()
                    .map(|a| (a.name.clone(), a.ty))
                    .collect(),
            }
        }),
    };
    let mut chunk: Vec<Json> = Vec::with_capacity(IMPORT_BATCH_ITEMS);
    for file in &files {
        let mut failed = None;
        counts.bytes += reader::read_file(file, &spec, &mut |entry| {
            match entry {
                Entry::Bad(why) => counts.bad(&r.arn, why),
                Entry::Item(item) => {
                    chunk.push(item);
                    if chunk.len() >= IMPORT_BATCH_ITEMS {
                        if let Err(e) = flush(g, table, &mut chunk, counts, &r.arn) {
                            failed = Some(e.clone());
                            return Err(e);
                        }
                        progress(counts.processed, counts.bytes);
                    }
                }
            }
            Ok(())
        })?;
        if let Some(e) = failed {
            return Err(e);
        }
    }
    flush(g, table, &mut chunk, counts, &r.arn)?;
    progress(counts.processed, counts.bytes);
    Ok(())
}

/// Writes the items of `chunk` (emptied): each checked as a PutItem's item; a key given twice
/// keeps its last item (both count as imported, as DynamoDB counts them).
fn flush(
    g: &Gateway,
    table: &Arc<Table>,
    chunk: &mut Vec<Json>,
    counts: &mut Counts,
    arn: &str,
) -> Result<(), Failure> {
    let mut ops: Vec<WriteOp> = Vec::with_capacity(chunk.len());
    let mut at: HashMap<Vec<u8>, usize> = HashMap::new();
    let mut replaced = 0u64;
    for json in chunk.drain(..) {
        let checked = item_from_json(&json)
            .map_err(|e| e.0)
            .and_then(|item| write::check_item_size(&item).map(|()| item).map_err(|e| e.message()))
            .and_then(|item| {
                let key = table.meta.key_of_item(&item).map_err(|e| e.message().to_string())?;
                Ok((key, item))
            });
        let (key, item) = match checked {
            Ok(v) => v,
            Err(why) => {
                counts.bad(arn, why);
                continue;
            }
        };
        counts.processed += 1;
        let op = WriteOp {
            table: Arc::clone(table),
            key_item: table.meta.key_attrs(&item),
            key: key.clone(),
            condition: None,
            action: Action::Put(item),
        };
        match at.get(&key) {
            Some(&i) => {
                if let Some(slot) = ops.get_mut(i) {
                    *slot = op;
                    replaced += 1;
                }
            }
            None => {
                at.insert(key, ops.len());
                ops.push(op);
            }
        }
    }
    counts.imported += replaced;
    while !ops.is_empty() {
        match write::execute(g, &ops, Gate::Free)
            .map_err(|e| Failure::new("InternalError", e.message()))?
        {
            Ok(_) => {
                counts.imported += ops.len() as u64;
                break;
            }
            Err(refusals) => {
                // Each refused item is an error; the others are written without them.
                let mut keep = Vec::with_capacity(ops.len());
                for (op, refusal) in ops.into_iter().zip(refusals) {
                    match refusal {
                        None => keep.push(op),
                        Some(r) => {
                            counts.processed -= 1;
                            counts.bad(arn, refusal_message(r));
                        }
                    }
                }
                ops = keep;
            }
        }
    }
    Ok(())
}

fn refusal_message(r: write::Refusal) -> String {
    match r {
        write::Refusal::Invalid(e) => e.message(),
        write::Refusal::Condition(_) => "a condition failed".into(),
        write::Refusal::Throttled(_) => "throttled".into(),
    }
}

/// DescribeImport's input.
pub struct ArnInput<'a> {
    arn: Str<'a>,
}

impl<'a> Input<'a> for ArnInput<'a> {
    fn authorize(&self, _g: &Gateway, caller: &Caller, action: &'static str) -> DResult<()> {
        authorize_arn(caller, action, &self.arn)
    }

    type Shape = shapes::ImportArn<'a>;

    fn decode(w: shapes::ImportArn<'a>) -> DResult<Self> {
        Ok(ArnInput { arn: decode_arn(w.import_arn, "ImportArn", "importArn")? })
    }
}

pub fn describe(g: &Gateway, input: ArnInput) -> DResult<Json> {
    let arn: &str = &input.arn;
    if !arn.starts_with("arn:") || !arn.contains("/import/") {
        return Err(validation(format!("Invalid Import ARN: {arn}")));
    }
    let r = g
        .transfers
        .records
        .import(arn)
        .map_err(store_error)?
        .ok_or_else(|| DynamoError::ImportNotFound(format!("Import not found: {arn}")))?;
    Ok(json!({"ImportTableDescription": description(&r)}))
}

/// ListImports' input, checked.
pub struct ListInput<'a> {
    table: Option<Str<'a>>,
    limit: usize,
    next: Option<String>,
}

/// A NextToken of ListImports: the next import's ARN in hex, padded with `00` bytes to a
/// multiple of 16 digits and at least 112 (the model's pattern `([0-9a-f]{16})+`).
fn encode_token(arn: &str) -> String {
    let mut hex: String = arn.bytes().map(|b| format!("{b:02x}")).collect();
    while hex.len() < 112 || !hex.len().is_multiple_of(16) {
        hex.push_str("00");
    }
    hex
}

fn decode_token(token: &str) -> Option<String> {
    let bytes: Option<Vec<u8>> = (0..token.len() / 2)
        .map(|i| token.get(2 * i..2 * i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect();
    let mut bytes = bytes?;
    while bytes.last() == Some(&0) {
        bytes.pop();
    }
    String::from_utf8(bytes).ok()
}

impl<'a> Input<'a> for ListInput<'a> {
    fn authorize(&self, g: &Gateway, caller: &Caller, action: &'static str) -> DResult<()> {
        match &self.table {
            Some(t) => crate::dynamodb::access::table(g, caller, action, name_of(g, t)?, |_| {}),
            None => authorize_arn(caller, action, "*"),
        }
    }

    type Shape = shapes::ListImports<'a>;

    fn decode(w: shapes::ListImports<'a>) -> DResult<Self> {
        let mut c = Constraints::default();
        let table = w.table_arn.get("TableArn")?;
        let limit = w.page_size.get("PageSize")?;
        c.range("pageSize", limit, 1, LIST_IMPORTS_MAX);
        let next = w.next_token.get("NextToken")?;
        if let Some(t) = next.as_deref() {
            let ok = (112..=1024).contains(&t.len())
                && t.len().is_multiple_of(16)
                && t.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
            if !ok {
                c.add(
                    &format!("'{t}'"),
                    "nextToken",
                    "Member must satisfy regular expression pattern: ([0-9a-f]{16})+",
                );
            }
        }
        c.finish()?;
        let next = match next.as_deref() {
            Some(t) => Some(decode_token(t).ok_or_else(|| validation("Invalid NextToken"))?),
            None => None,
        };
        Ok(ListInput {
            table,
            limit: limit.and_then(|l| usize::try_from(l).ok()).unwrap_or(LIST_IMPORTS_MAX as usize),
            next,
        })
    }
}

pub fn list(g: &Gateway, input: ListInput) -> DResult<Json> {
    let table = input.table.as_deref().map(|t| name_of(g, t)).transpose()?;
    let mut all = g.transfers.records.imports().map_err(store_error)?;
    all.retain(|r| table.is_none_or(|t| r.table_name == t));
    // Newest first.
    all.sort_by(|a, b| b.start_time.total_cmp(&a.start_time).then_with(|| b.arn.cmp(&a.arn)));
    if let Some(next) = input.next.as_deref() {
        match all.iter().position(|r| r.arn == next) {
            Some(i) => {
                all.drain(..i);
            }
            None => return Err(validation("Invalid NextToken")),
        }
    }
    let rest = all.split_off(input.limit.min(all.len()));
    let mut out = json!({ "ImportSummaryList": all.iter().map(summary).collect::<Vec<_>>() });
    if let (Some(next), Json::Object(o)) = (rest.first(), &mut out) {
        o.insert("NextToken".into(), json!(encode_token(&next.arn)));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_tokens_round_trip_and_fit_the_pattern() {
        let arn = "arn:aws:dynamodb:us-east-1:000000000000:table/t/import/01658528578619-c4d4e311";
        let t = encode_token(arn);
        assert!(t.len() >= 112 && t.len().is_multiple_of(16), "{t}");
        assert_eq!(decode_token(&t).as_deref(), Some(arn));
        assert_eq!(decode_token(&encode_token("a")).as_deref(), Some("a"));
    }
}
