//! ExportTableToPointInTime, DescribeExport and ListExports, over the export writer
//! (`dynamodb/transfer/export.rs`, `docs/backup.md`).
//!
//! An export is recorded `IN_PROGRESS` and queued; the transfer thread writes it. Without
//! `ExportTime` it is of the table as it was when asked for (an engine snapshot taken then);
//! with one, of the table restored as of that instant (as RestoreTableToPointInTime restores
//! it). Point-in-time recovery must be on, as DynamoDB requires.

use crate::dynamodb::access;
use crate::dynamodb::error::{validation, DResult, DynamoError};
use crate::dynamodb::model::item_codec;
use crate::dynamodb::model::value::Item;
use crate::dynamodb::ops::pitr::{self, name_of};
use crate::dynamodb::ops::{now_secs, Gateway, Input};
use crate::dynamodb::request::member::{Member, Str};
use crate::dynamodb::request::{shapes, Constraints};
use crate::dynamodb::transfer::export::{self as writer, ExportSpec};
use crate::dynamodb::transfer::records::{ExportRecord, Status};
use crate::dynamodb::transfer::worker::{store_error, Job};
use crate::dynamodb::transfer::{check_key_prefix, new_id, DataFormat, Failure};
use crate::iam::caller::Caller;
use serde_json::{json, Map, Value as Json};
use shale_engine::{DbIterator, IterOptions, Keyspace, Snapshot};

/// The most ListExports answers in one page (the model's `ListExportsMaxLimit`).
pub const LIST_EXPORTS_MAX: i64 = 25;
/// Most exports in progress at once (DynamoDB's quota): more are refused with
/// LimitExceededException.
pub const EXPORTS_IN_PROGRESS_MAX: usize = 300;
/// How long a ClientToken names its export (DynamoDB's 8 hours).
pub const CLIENT_TOKEN_SECS: f64 = 8.0 * 3600.0;

/// ExportTableToPointInTime's input, checked.
pub struct ExportInput<'a> {
    table_arn: Str<'a>,
    time: Option<f64>,
    token: Option<Str<'a>>,
    bucket: Str<'a>,
    owner: Option<Str<'a>>,
    prefix: Option<Str<'a>>,
    format: DataFormat,
    type_given: bool,
}

/// Checks a ClientToken (`^[^$]+$`).
pub(crate) fn check_token(c: &mut Constraints, token: Option<&str>) {
    if let Some(t) = token {
        if t.is_empty() || t.contains('$') {
            c.add(
                &format!("'{t}'"),
                "clientToken",
                "Member must satisfy regular expression pattern: ^[^\\$]+$",
            );
        }
    }
}

/// Checks a bucket name and owner as the model does.
pub(crate) fn check_bucket(
    c: &mut Constraints,
    at: &str,
    bucket: Option<&str>,
    owner: Option<&str>,
) {
    c.not_null(&format!("{at}s3Bucket"), bucket);
    if let Some(b) = bucket {
        c.len(&format!("{at}s3Bucket"), &format!("'{b}'"), b.len(), 0, 255);
    }
    if let Some(o) = owner {
        if o.len() != 12 || !o.bytes().all(|c| c.is_ascii_digit()) {
            c.add(
                &format!("'{o}'"),
                &format!("{at}s3BucketOwner"),
                "Member must satisfy regular expression pattern: [0-9]{12}",
            );
        }
    }
}

impl<'a> Input<'a> for ExportInput<'a> {
    fn authorize(&self, g: &Gateway, caller: &Caller, action: &'static str) -> DResult<()> {
        access::table(g, caller, action, name_of(g, &self.table_arn)?, |_| {})
    }

    type Shape = shapes::ExportTableToPointInTime<'a>;

    fn decode(w: shapes::ExportTableToPointInTime<'a>) -> DResult<Self> {
        let mut c = Constraints::default();
        let arn = w.table_arn.get("TableArn")?;
        c.not_null("tableArn", arn.as_ref());
        if let Some(a) = arn.as_deref() {
            c.len("tableArn", &format!("'{a}'"), a.len(), 1, 1024);
        }
        let bucket = w.s3_bucket.get("S3Bucket")?;
        let owner = w.s3_bucket_owner.get("S3BucketOwner")?;
        check_bucket(&mut c, "", bucket.as_deref(), owner.as_deref());
        let prefix = w.s3_prefix.get("S3Prefix")?;
        if let Some(p) = prefix.as_deref() {
            c.len("s3Prefix", &format!("'{p}'"), p.len(), 1, 1024);
        }
        let token = w.client_token.get("ClientToken")?;
        check_token(&mut c, token.as_deref());
        let format = w.export_format.get("ExportFormat")?;
        c.one_of("exportFormat", format.as_deref(), &["DYNAMODB_JSON", "ION"]);
        let export_type = w.export_type.get("ExportType")?;
        c.one_of("exportType", export_type.as_deref(), &["FULL_EXPORT", "INCREMENTAL_EXPORT"]);
        let sse = w.s3_sse_algorithm.get("S3SseAlgorithm")?;
        c.one_of("s3SseAlgorithm", sse.as_deref(), &["AES256", "KMS"]);
        let kms = w.s3_sse_kms_key_id.get("S3SseKmsKeyId")?;
        c.finish()?;
        if export_type.as_deref() == Some("INCREMENTAL_EXPORT")
            || w.incremental_export_specification.is_given()
        {
            return Err(validation(
                "ExportType INCREMENTAL_EXPORT (and IncrementalExportSpecification) is not \
                 supported: this server writes full exports only",
            ));
        }
        if sse.is_some() || kms.is_some() {
            return Err(validation(
                "S3SseAlgorithm and S3SseKmsKeyId are not supported: exports are written \
                 unencrypted into the export root's folders",
            ));
        }
        if let Some(p) = prefix.as_deref() {
            check_key_prefix(p, "S3Prefix").map_err(validation)?;
        }
        let time = match w.export_time.get("ExportTime")? {
            None => None,
            Some(t) => Some(t.as_f64().ok_or_else(|| {
                DynamoError::Serialization(
                    "ExportTime must be a timestamp (seconds since the epoch)".into(),
                )
            })?),
        };
        Ok(ExportInput {
            table_arn: arn.unwrap_or_default(),
            time,
            token,
            bucket: bucket.unwrap_or_default(),
            owner,
            prefix,
            format: match format.as_deref() {
                Some("ION") => DataFormat::Ion,
                _ => DataFormat::DynamodbJson,
            },
            type_given: export_type.is_some(),
        })
    }
}

/// `ExportDescription`.
fn description(r: &ExportRecord) -> Json {
    let mut d = Map::new();
    let mut put = |k: &str, v: Json| {
        d.insert(k.to_string(), v);
    };
    put("ExportArn", json!(r.arn));
    put("ExportStatus", json!(r.status.name()));
    put("StartTime", json!(r.start_time));
    put("TableArn", json!(r.table_arn));
    put("TableId", json!(r.table_id));
    put("ExportTime", json!(r.export_time));
    put("ClientToken", json!(r.client_token));
    put("S3Bucket", json!(r.bucket));
    if let Some(o) = &r.bucket_owner {
        put("S3BucketOwner", json!(o));
    }
    if let Some(p) = &r.prefix {
        put("S3Prefix", json!(p));
    }
    put("ExportFormat", json!(r.format.name()));
    if r.export_type_given {
        put("ExportType", json!("FULL_EXPORT"));
    }
    if let Some(t) = r.end_time {
        put("EndTime", json!(t));
    }
    if let Some(m) = &r.manifest {
        put("ExportManifest", json!(m));
    }
    if let Some(n) = r.item_count {
        put("ItemCount", json!(n));
    }
    if let Some(n) = r.billed_size_bytes {
        put("BilledSizeBytes", json!(n));
    }
    if let Some(c) = &r.failure_code {
        put("FailureCode", json!(c));
    }
    if let Some(m) = &r.failure_message {
        put("FailureMessage", json!(m));
    }
    Json::Object(d)
}

/// The writer's view of a record.
pub(crate) fn spec_of(r: &ExportRecord) -> ExportSpec {
    ExportSpec {
        id: r.id.clone(),
        arn: r.arn.clone(),
        table_arn: r.table_arn.clone(),
        table_id: r.table_id.clone(),
        bucket: r.bucket.clone(),
        bucket_owner: r.bucket_owner.clone(),
        prefix: r.prefix.clone(),
        format: r.format,
        start_time: r.start_time,
        export_time: r.export_time,
    }
}

/// Whether a replay with the same ClientToken asks for the same export.
fn same_request(r: &ExportRecord, input: &ExportInput, name: &str) -> bool {
    r.table_name == name
        && r.bucket == *input.bucket
        && r.bucket_owner.as_deref() == input.owner.as_deref()
        && r.prefix.as_deref() == input.prefix.as_deref()
        && r.format == input.format
        && (!r.export_time_given && input.time.is_none()
            || input.time.is_some_and(|t| (t - r.export_time).abs() < 0.001))
}

pub fn export(g: &Gateway, input: ExportInput) -> DResult<Json> {
    let name = name_of(g, &input.table_arn)?.to_string();
    let now = now_secs();
    let records = &g.transfers.records;
    if let Some(token) = input.token.as_deref() {
        let earlier = records
            .exports()
            .map_err(store_error)?
            .into_iter()
            .find(|r| r.client_token == token && now - r.start_time < CLIENT_TOKEN_SECS);
        if let Some(r) = earlier {
            if same_request(&r, &input, &name) {
                return Ok(json!({"ExportDescription": description(&r)}));
            }
            return Err(DynamoError::ExportConflict(format!(
                "Duplicate request detected: ClientToken {token} was used for another export"
            )));
        }
    }
    let table = g
        .catalog
        .get(&name)
        .filter(|t| t.meta.importing.is_none())
        .ok_or_else(|| DynamoError::TableNotFound(format!("Table not found: {name}")))?;
    let running = records
        .exports()
        .map_err(store_error)?
        .iter()
        .filter(|r| r.status == Status::InProgress)
        .count();
    if running >= EXPORTS_IN_PROGRESS_MAX {
        return Err(DynamoError::LimitExceeded(format!(
            "There are {running} exports in progress, the most at once ({EXPORTS_IN_PROGRESS_MAX})"
        )));
    }
    let Some(recovery) = table.meta.pitr else {
        return Err(DynamoError::PointInTimeRecoveryUnavailable(format!(
            "Point in time recovery is not enabled for table '{name}'"
        )));
    };
    if g.transfers.buckets.is_none() {
        return Err(validation(
            "Exports are off: start the server with --export-root DIR, whose folders are the \
             buckets",
        ));
    }
    let (earliest, _) = pitr::window(g, &recovery);
    if let Some(t) = input.time {
        if t < earliest.floor() || t > now {
            return Err(DynamoError::InvalidExportTime(format!(
                "Export Time is invalid: {t} is outside the recovery window of table '{name}', \
                 {earliest} to {now}"
            )));
        }
    }
    let id = new_id(now);
    let table_arn = g.table_arn(&name);
    let record = ExportRecord {
        arn: format!("{table_arn}/export/{id}"),
        id,
        status: Status::InProgress,
        table_name: name,
        table_arn,
        table_id: table.meta.table_id.clone(),
        start_time: now,
        end_time: None,
        export_time: input.time.unwrap_or(now),
        export_time_given: input.time.is_some(),
        client_token: input.token.as_deref().map_or_else(|| new_id(now), str::to_string),
        bucket: input.bucket.to_string(),
        bucket_owner: input.owner.as_deref().map(str::to_string),
        prefix: input.prefix.as_deref().map(str::to_string),
        format: input.format,
        export_type_given: input.type_given,
        item_count: None,
        billed_size_bytes: None,
        manifest: None,
        failure_code: None,
        failure_message: None,
    };
    // The table as it is now, read by the job later.
    let snapshot = input.time.is_none().then(|| (g.db.snapshot(), table.ks.clone()));
    records.put_export(&record).map_err(store_error)?;
    g.transfers.push(Job::Export { arn: record.arn.clone(), now: snapshot });
    Ok(json!({"ExportDescription": description(&record)}))
}

/// The items of keyspace `ks` read through `it`, decoded.
struct Items {
    it: DbIterator,
}

impl Iterator for Items {
    type Item = Result<Item, Failure>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.it.advance() {
            Ok(true) => Some(item_codec::decode(self.it.value()).map_err(|e| {
                Failure::new("InternalError", format!("a stored item is corrupt: {}", e.0))
            })),
            Ok(false) => None,
            Err(e) => Some(Err(Failure::new("InternalError", e.to_string()))),
        }
    }
}

/// Runs the export recorded under `arn` (the transfer thread).
pub(crate) fn run(g: &Gateway, arn: &str, now: Option<(Snapshot, Keyspace)>) {
    let records = &g.transfers.records;
    let Ok(Some(mut r)) = records.export(arn) else {
        tracing::error!("export {arn} is queued but not recorded");
        return;
    };
    let result = write(g, &r, now);
    r.end_time = Some(now_secs());
    match result {
        Ok(out) => {
            r.status = Status::Completed;
            r.item_count = Some(out.item_count);
            r.billed_size_bytes = Some(out.billed_size_bytes);
            r.manifest = Some(spec_of(&r).manifest_summary_key());
            r.end_time = Some(out.end_time);
        }
        Err(f) => {
            tracing::warn!("export {arn} failed: {f}");
            r.status = Status::Failed;
            r.failure_code = Some(f.code);
            r.failure_message = Some(f.message);
        }
    }
    if let Err(e) = records.put_export(&r) {
        tracing::error!("recording the end of export {arn}: {e}");
    }
}

fn write(
    g: &Gateway,
    r: &ExportRecord,
    now: Option<(Snapshot, Keyspace)>,
) -> Result<writer::Exported, Failure> {
    let buckets = g
        .transfers
        .buckets
        .as_ref()
        .ok_or_else(|| Failure::new("InvalidExportRoot", "the server has no --export-root"))?;
    let dir = buckets.bucket(&r.bucket)?;
    if r.bucket_owner.as_deref().is_some_and(|o| o != g.opts.account) {
        return Err(Failure::new(
            "S3AccessDenied",
            format!(
                "Access Denied: bucket {} is not owned by account {:?}",
                r.bucket, r.bucket_owner
            ),
        ));
    }
    let spec = spec_of(r);
    let mut progress = |_, _| {};
    match now {
        Some((snap, ks)) => {
            let it = snap
                .iter(&ks, IterOptions::all())
                .map_err(|e| Failure::new("InternalError", e.to_string()))?;
            writer::write(&dir, &spec, &mut Items { it }, &mut progress)
        }
        None => pitr::with_table_at(g, &r.table_name, r.export_time, |then, meta| {
            let ks = then
                .keyspace(&meta.keyspace)
                .map_err(|e| Failure::new("InternalError", e.to_string()))?;
            let it = then
                .iter(&ks, IterOptions::all())
                .map_err(|e| Failure::new("InternalError", e.to_string()))?;
            writer::write(&dir, &spec, &mut Items { it }, &mut progress)
        }),
    }
}

/// Writes an export of table `name` as it is now into folder `dir` (a bucket's folder, under
/// `prefix`), on this thread and without recording it: `shale export` on a data directory.
/// `progress` is called with the items and bytes written so far now and then.
pub fn export_to_folder(
    g: &Gateway,
    name: &str,
    dir: &std::path::Path,
    prefix: Option<&str>,
    format: DataFormat,
    progress: &mut dyn FnMut(u64, u64),
) -> DResult<(ExportSpec, writer::Exported)> {
    if let Some(p) = prefix {
        check_key_prefix(p, "the prefix").map_err(validation)?;
    }
    let table = g
        .catalog
        .get(name)
        .filter(|t| t.meta.importing.is_none())
        .ok_or_else(|| DynamoError::TableNotFound(format!("Table not found: {name}")))?;
    let now = now_secs();
    let id = new_id(now);
    let table_arn = g.table_arn(name);
    let spec = ExportSpec {
        arn: format!("{table_arn}/export/{id}"),
        id,
        table_arn,
        table_id: table.meta.table_id.clone(),
        bucket: dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
        bucket_owner: None,
        prefix: prefix.map(str::to_string),
        format,
        start_time: now,
        export_time: now,
    };
    let snap = g.db.snapshot();
    let it = snap.iter(&table.ks, IterOptions::all())?;
    let out = writer::write(dir, &spec, &mut Items { it }, progress)
        .map_err(|f| DynamoError::Internal(f.to_string()))?;
    Ok((spec, out))
}

/// DescribeExport's input.
pub struct ArnInput<'a> {
    arn: Str<'a>,
}

/// An ARN member, checked (37 to 1024 characters).
pub(crate) fn decode_arn<'a>(m: Member<Str<'a>>, name: &str, at: &str) -> DResult<Str<'a>> {
    let mut c = Constraints::default();
    let arn = m.get(name)?;
    c.not_null(at, arn.as_ref());
    if let Some(a) = arn.as_deref() {
        c.len(at, &format!("'{a}'"), a.len(), 37, 1024);
    }
    c.finish()?;
    Ok(arn.unwrap_or_default())
}

/// Authorizes an action on `arn`.
pub(crate) fn authorize_arn(caller: &Caller, action: &str, arn: &str) -> DResult<()> {
    if caller.is_unrestricted() {
        return Ok(());
    }
    access::check(caller, action, arn, &caller.context())
}

impl<'a> Input<'a> for ArnInput<'a> {
    fn authorize(&self, _g: &Gateway, caller: &Caller, action: &'static str) -> DResult<()> {
        authorize_arn(caller, action, &self.arn)
    }

    type Shape = shapes::ExportArn<'a>;

    fn decode(w: shapes::ExportArn<'a>) -> DResult<Self> {
        Ok(ArnInput { arn: decode_arn(w.export_arn, "ExportArn", "exportArn")? })
    }
}

pub fn describe(g: &Gateway, input: ArnInput) -> DResult<Json> {
    let arn: &str = &input.arn;
    if !arn.starts_with("arn:") || !arn.contains("/export/") {
        return Err(validation(format!("Invalid Export ARN: {arn}")));
    }
    let r = g
        .transfers
        .records
        .export(arn)
        .map_err(store_error)?
        .ok_or_else(|| DynamoError::ExportNotFound(format!("Export not found: {arn}")))?;
    Ok(json!({"ExportDescription": description(&r)}))
}

/// ListExports' input, checked.
pub struct ListInput<'a> {
    table: Option<Str<'a>>,
    limit: usize,
    next: Option<Str<'a>>,
}

impl<'a> Input<'a> for ListInput<'a> {
    fn authorize(&self, g: &Gateway, caller: &Caller, action: &'static str) -> DResult<()> {
        match &self.table {
            Some(t) => access::table(g, caller, action, name_of(g, t)?, |_| {}),
            None => authorize_arn(caller, action, "*"),
        }
    }

    type Shape = shapes::ListExports<'a>;

    fn decode(w: shapes::ListExports<'a>) -> DResult<Self> {
        let mut c = Constraints::default();
        let table = w.table_arn.get("TableArn")?;
        let limit = w.max_results.get("MaxResults")?;
        c.range("maxResults", limit, 1, LIST_EXPORTS_MAX);
        let next = w.next_token.get("NextToken")?;
        c.finish()?;
        Ok(ListInput {
            table,
            limit: limit.and_then(|l| usize::try_from(l).ok()).unwrap_or(LIST_EXPORTS_MAX as usize),
            next,
        })
    }
}

pub fn list(g: &Gateway, input: ListInput) -> DResult<Json> {
    let table = input.table.as_deref().map(|t| name_of(g, t)).transpose()?;
    let mut all = g.transfers.records.exports().map_err(store_error)?;
    all.retain(|r| table.is_none_or(|t| r.table_name == t));
    if let Some(next) = input.next.as_deref() {
        match all.iter().position(|r| r.arn == next) {
            Some(i) => {
                all.drain(..i);
            }
            None => return Err(validation(format!("Invalid NextToken: {next}"))),
        }
    }
    let rest = all.split_off(input.limit.min(all.len()));
    let summaries: Vec<Json> = all
        .iter()
        .map(|r| json!({"ExportArn": r.arn, "ExportStatus": r.status.name(), "ExportType": "FULL_EXPORT"}))
        .collect();
    let mut out = json!({ "ExportSummaries": summaries });
    if let (Some(next), Json::Object(o)) = (rest.first(), &mut out) {
        o.insert("NextToken".into(), json!(next.arn));
    }
    Ok(out)
}
