//! Writing one export, laid out as DynamoDB lays it out (`docs/format/export.md`):
//!
//! ```text
//! <bucket>/<prefix>/AWSDynamoDB/<ExportId>/_started
//! <bucket>/<prefix>/AWSDynamoDB/<ExportId>/data/<26 base32 chars>.json.gz    (or .ion.gz)
//! <bucket>/<prefix>/AWSDynamoDB/<ExportId>/manifest-files.json
//! <bucket>/<prefix>/AWSDynamoDB/<ExportId>/manifest-files.md5
//! <bucket>/<prefix>/AWSDynamoDB/<ExportId>/manifest-summary.json
//! <bucket>/<prefix>/AWSDynamoDB/<ExportId>/manifest-summary.md5
//! ```
//!
//! Everything is written into `<ExportId>.partial/` beside, each file fsynced, and the folder
//! renamed to `<ExportId>` last: an export is there whole or not at all (a crash leaves only the
//! `.partial` folder, which the next start removes).

#![doc = include_str!("../../../../docs/format/export.md")]

use super::{iso_millis, random_name, DataFormat, Failure, EXPORTS_FOLDER};
use crate::dynamodb::model::value::{item_size, Item};
use base64::Engine as _;
use flate2::write::GzEncoder;
use md5::{Digest, Md5};
use serde_json::json;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// Uncompressed bytes after which a data file is closed and the next one started.
pub const DATA_FILE_BYTES_MAX: u64 = 256 << 20;
/// The manifest format version DynamoDB writes.
pub const MANIFEST_VERSION: &str = "2020-06-30";
/// The suffix of the folder an export is written in before it is published.
pub const PARTIAL_SUFFIX: &str = ".partial";

/// What an export is, for its manifests.
#[derive(Debug, Clone)]
pub struct ExportSpec {
    pub id: String,
    pub arn: String,
    pub table_arn: String,
    pub table_id: String,
    pub bucket: String,
    pub bucket_owner: Option<String>,
    /// `S3Prefix`, if one was given.
    pub prefix: Option<String>,
    pub format: DataFormat,
    /// Seconds since the epoch.
    pub start_time: f64,
    pub export_time: f64,
}

impl ExportSpec {
    /// The key every file of the export starts with: `<prefix>/AWSDynamoDB/<id>`.
    pub fn key_base(&self) -> String {
        match self.prefix.as_deref().map(|p| p.trim_end_matches('/')) {
            Some(p) if !p.is_empty() => format!("{p}/{EXPORTS_FOLDER}/{}", self.id),
            _ => format!("{EXPORTS_FOLDER}/{}", self.id),
        }
    }

    /// The key of `manifest-summary.json`.
    pub fn manifest_summary_key(&self) -> String {
        format!("{}/manifest-summary.json", self.key_base())
    }

    /// The export's folder in bucket folder `bucket_dir`, and the one it is built in.
    pub fn folders(&self, bucket_dir: &Path) -> (PathBuf, PathBuf) {
        let done = bucket_dir.join(self.key_base());
        let mut partial = done.clone().into_os_string();
        partial.push(PARTIAL_SUFFIX);
        (done, PathBuf::from(partial))
    }
}

/// What an export wrote.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Exported {
    pub item_count: u64,
    /// The items' size by DynamoDB's rules.
    pub billed_size_bytes: u64,
    /// Bytes of data files written (compressed).
    pub file_bytes: u64,
    pub data_files: u64,
    pub manifest_files_key: String,
    /// Seconds since the epoch.
    pub end_time: f64,
}

/// A writer that hashes and counts what passes.
struct Hashing<W> {
    inner: W,
    md5: Md5,
    bytes: u64,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.md5.update(buf.get(..n).unwrap_or_default());
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// One data file being written.
struct DataFile {
    key: String,
    enc: GzEncoder<Hashing<BufWriter<File>>>,
    items: u64,
    raw_bytes: u64,
}

/// A closed data file: its `manifest-files.json` line.
struct Written {
    key: String,
    items: u64,
    md5: [u8; 16],
    bytes: u64,
}

fn io<'a>(what: &'a str, path: &'a Path) -> impl FnOnce(std::io::Error) -> Failure + 'a {
    move |e| Failure::io(&format!("{what} {}", path.display()), e)
}

/// Writes `bytes` to `path` and fsyncs it.
fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    let mut f = File::create(path).map_err(io("creating", path))?;
    f.write_all(bytes).map_err(io("writing", path))?;
    f.sync_all().map_err(io("syncing", path))
}

/// Fsyncs a folder (so the names in it last).
pub fn sync_dir(path: &Path) -> Result<(), Failure> {
    File::open(path).and_then(|d| d.sync_all()).map_err(io("syncing the folder", path))
}

/// The base64 MD5 of `bytes`.
fn md5_base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(Md5::digest(bytes))
}

/// Appends an item's data-file line (no newline).
pub fn encode_line(format: DataFormat, item: &Item, out: &mut String) {
    match format {
        DataFormat::Ion => super::ion::write_item(item, out),
        // CSV is an import format only; exports refuse it before they start.
        DataFormat::DynamodbJson | DataFormat::Csv => super::ddb_json::write_item(item, out),
    }
}

/// Writes the export of `items` into bucket folder `bucket_dir`, calling `progress` with the
/// items and bytes written so far now and then. On failure the `.partial` folder is removed.
pub fn write(
    bucket_dir: &Path,
    spec: &ExportSpec,
    items: &mut dyn Iterator<Item = Result<Item, Failure>>,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Exported, Failure> {
    let (done, partial) = spec.folders(bucket_dir);
    if done.exists() {
        return Err(Failure::new("ExportConflict", format!("{} exists already", done.display())));
    }
    if partial.exists() {
        std::fs::remove_dir_all(&partial).map_err(io("removing", &partial))?;
    }
    let result = write_partial(spec, &partial, items, progress).and_then(|out| {
        std::fs::rename(&partial, &done).map_err(io("publishing", &done))?;
        if let Some(parent) = done.parent() {
            sync_dir(parent)?;
        }
        Ok(out)
    });
    if result.is_err() && partial.exists() {
        let _ = std::fs::remove_dir_all(&partial);
    }
    result
}

fn write_partial(
    spec: &ExportSpec,
    partial: &Path,
    items: &mut dyn Iterator<Item = Result<Item, Failure>>,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Exported, Failure> {
    let data_dir = partial.join("data");
    std::fs::create_dir_all(&data_dir).map_err(io("creating", &data_dir))?;
    write_synced(&partial.join("_started"), b"")?;
    let base = spec.key_base();
    let mut out = Exported::default();
    let mut written: Vec<Written> = Vec::new();
    let mut file: Option<DataFile> = None;
    let mut line = String::new();
    for item in items {
        let item = item?;
        let f = match &mut file {
            Some(f) => f,
            None => file.insert(open_data_file(&data_dir, &base, spec.format)?),
        };
        line.clear();
        encode_line(spec.format, &item, &mut line);
        line.push('\n');
        f.enc.write_all(line.as_bytes()).map_err(|e| Failure::io("writing a data file", e))?;
        f.items += 1;
        f.raw_bytes += line.len() as u64;
        out.item_count += 1;
        out.billed_size_bytes += item_size(&item) as u64;
        if f.raw_bytes >= DATA_FILE_BYTES_MAX {
            if let Some(f) = file.take() {
                written.push(close_data_file(f, &data_dir)?);
            }
        }
        if out.item_count % 10_000 == 0 {
            progress(out.item_count, out.billed_size_bytes);
        }
    }
    // An empty table still gets one (empty) data file, as DynamoDB writes one per partition.
    let last = match file {
        Some(f) => Some(f),
        None if written.is_empty() => Some(open_data_file(&data_dir, &base, spec.format)?),
        None => None,
    };
    if let Some(f) = last {
        written.push(close_data_file(f, &data_dir)?);
    }
    sync_dir(&data_dir)?;
    let mut files_manifest = String::new();
    for w in &written {
        let md5 = base64::engine::general_purpose::STANDARD.encode(w.md5);
        let etag: String = w.md5.iter().map(|b| format!("{b:02x}")).collect();
        files_manifest.push_str(
            &json!({"itemCount": w.items, "md5Checksum": md5, "etag": etag,
                    "dataFileS3Key": w.key})
            .to_string(),
        );
        files_manifest.push('\n');
        out.file_bytes += w.bytes;
    }
    out.data_files = written.len() as u64;
    out.manifest_files_key = format!("{base}/manifest-files.json");
    write_synced(&partial.join("manifest-files.json"), files_manifest.as_bytes())?;
    write_synced(
        &partial.join("manifest-files.md5"),
        md5_base64(files_manifest.as_bytes()).as_bytes(),
    )?;
    out.end_time = crate::dynamodb::ops::now_secs();
    let summary = json!({
        "version": MANIFEST_VERSION,
        "exportArn": spec.arn,
        "startTime": iso_millis(spec.start_time),
        "endTime": iso_millis(out.end_time),
        "tableArn": spec.table_arn,
        "tableId": spec.table_id,
        "exportTime": iso_millis(spec.export_time),
        "s3Bucket": spec.bucket,
        "s3Prefix": spec.prefix,
        "s3SseAlgorithm": null,
        "s3SseKmsKeyId": null,
        "manifestFilesS3Key": out.manifest_files_key,
        "billedSizeBytes": out.billed_size_bytes,
        "itemCount": out.item_count,
        "outputFormat": spec.format.name(),
    });
    let summary = serde_json::to_vec_pretty(&summary)
        .map_err(|e| Failure::new("InternalError", e.to_string()))?;
    write_synced(&partial.join("manifest-summary.json"), &summary)?;
    write_synced(&partial.join("manifest-summary.md5"), md5_base64(&summary).as_bytes())?;
    sync_dir(partial)?;
    progress(out.item_count, out.billed_size_bytes);
    Ok(out)
}

fn open_data_file(data_dir: &Path, base: &str, format: DataFormat) -> Result<DataFile, Failure> {
    let name = format!("{}.{}.gz", random_name(26), format.extension());
    let path = data_dir.join(&name);
    let f = File::create(&path).map_err(io("creating", &path))?;
    let hashing =
        Hashing { inner: BufWriter::with_capacity(1 << 20, f), md5: Md5::new(), bytes: 0 };
    Ok(DataFile {
        key: format!("{base}/data/{name}"),
        enc: GzEncoder::new(hashing, flate2::Compression::fast()),
        items: 0,
        raw_bytes: 0,
    })
}

fn close_data_file(f: DataFile, data_dir: &Path) -> Result<Written, Failure> {
    let hashing = f.enc.finish().map_err(|e| Failure::io("finishing a data file", e))?;
    let Hashing { inner, md5, bytes } = hashing;
    let file = inner.into_inner().map_err(|e| Failure::io("flushing a data file", e.error()))?;
    file.sync_all()
        .map_err(|e| Failure::io(&format!("syncing a data file in {}", data_dir.display()), e))?;
    Ok(Written { key: f.key, items: f.items, md5: md5.finalize().into(), bytes })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dynamodb::model::value::item_from_json;
    use std::io::Read;

    fn spec(prefix: Option<&str>, format: DataFormat) -> ExportSpec {
        ExportSpec {
            id: "01604474914028-a8a2b9e3".into(),
            arn: "arn:aws:dynamodb:us-east-1:000000000000:table/T/export/01604474914028-a8a2b9e3"
                .into(),
            table_arn: "arn:aws:dynamodb:us-east-1:000000000000:table/T".into(),
            table_id: "id".into(),
            bucket: "bucket".into(),
            bucket_owner: None,
            prefix: prefix.map(str::to_string),
            format,
            start_time: 1604474914.028,
            export_time: 1604474914.028,
        }
    }

    fn items(n: u64) -> Vec<Result<Item, Failure>> {
        (0..n)
            .map(|i| {
                Ok(item_from_json(
                    &json!({"pk": {"S": format!("k{i}")}, "n": {"N": i.to_string()}}),
                )
                .unwrap())
            })
            .collect()
    }

    #[test]
    fn writes_the_layout_and_publishes_it_whole() {
        let dir = tempfile::tempdir().unwrap();
        for (prefix, format) in
            [(Some("2020-Nov/"), DataFormat::DynamodbJson), (None, DataFormat::Ion)]
        {
            let s = spec(prefix, format);
            let mut calls = 0;
            let out =
                write(dir.path(), &s, &mut items(25).into_iter(), &mut |_, _| calls += 1).unwrap();
            assert_eq!((out.item_count, out.data_files), (25, 1));
            assert!(calls >= 1);
            let (done, partial) = s.folders(dir.path());
            assert!(done.is_dir() && !partial.exists());
            let base = s.key_base();
            assert_eq!(base.starts_with("2020-Nov/AWSDynamoDB/"), prefix.is_some(), "{base}");
            for f in [
                "_started",
                "manifest-files.json",
                "manifest-files.md5",
                "manifest-summary.json",
                "manifest-summary.md5",
            ] {
                assert!(done.join(f).is_file(), "{f}");
            }
            let summary: serde_json::Value =
                serde_json::from_slice(&std::fs::read(done.join("manifest-summary.json")).unwrap())
                    .unwrap();
            assert_eq!(summary["itemCount"], 25);
            assert_eq!(summary["outputFormat"], format.name());
            assert_eq!(summary["startTime"], "2020-11-04T07:28:34.028Z");
            let files = std::fs::read_to_string(done.join("manifest-files.json")).unwrap();
            let line: serde_json::Value = serde_json::from_str(files.trim()).unwrap();
            let key = line["dataFileS3Key"].as_str().unwrap();
            assert!(key.starts_with(&format!("{base}/data/")), "{key}");
            let data = std::fs::read(dir.path().join(key)).unwrap();
            assert_eq!(line["md5Checksum"], md5_base64(&data));
            let mut text = String::new();
            flate2::read::GzDecoder::new(&data[..]).read_to_string(&mut text).unwrap();
            assert_eq!(text.lines().count(), 25);
            // A second export under the same id is refused, the first left alone.
            let again = write(dir.path(), &s, &mut items(1).into_iter(), &mut |_, _| {});
            assert_eq!(again.unwrap_err().code, "ExportConflict");
        }
    }

    #[test]
    fn the_worked_example_of_docs_format_export() {
        let doc = include_str!("../../../../docs/format/export.md");
        let item = item_from_json(&json!({
            "pk": {"S": "k1"}, "n": {"N": "600"}, "f": {"N": "-1.5"}, "b": {"B": "AP8="},
            "ss": {"SS": ["a", "b"]},
            "m": {"M": {"x y": {"L": [{"BOOL": true}, {"NULL": true}]}}},
        }))
        .unwrap();
        for format in [DataFormat::DynamodbJson, DataFormat::Ion] {
            let mut line = String::new();
            encode_line(format, &item, &mut line);
            assert!(doc.contains(&format!("```text\n{line}\n```")), "{line}");
            let back = match format {
                DataFormat::Ion => super::super::ion::item_of_line(&line).unwrap(),
                _ => serde_json::from_str::<serde_json::Value>(&line).unwrap()["Item"].clone(),
            };
            assert_eq!(item_from_json(&back).unwrap(), item);
        }
    }

    #[test]
    fn a_failing_source_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let s = spec(None, DataFormat::DynamodbJson);
        let mut src = items(3);
        src.push(Err(Failure::new("X", "the table went away")));
        let e = write(dir.path(), &s, &mut src.into_iter(), &mut |_, _| {}).unwrap_err();
        assert_eq!(e.code, "X");
        let (done, partial) = s.folders(dir.path());
        assert!(!done.exists() && !partial.exists());
    }
}
