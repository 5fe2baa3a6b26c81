//! Reading an import's source: every file whose key starts with `S3KeyPrefix` (in key order),
//! decompressed (GZIP, ZSTD or NONE), split into items in its format. An entry that is not an
//! item (bad JSON, Ion or CSV, no `Item`, a line over [`RECORD_BYTES_MAX`]) is reported as
//! [`Entry::Bad`] for the import's `ErrorCount`, and reading goes on; blank lines are skipped.
//! Items come out as DynamoDB's JSON wire form, for the caller to check as it checks a request's
//! item (`dynamodb/ops/imports.rs`).

use super::csv::{self, Record};
use super::{ion, Compression, DataFormat, Failure, IMPORT_FILES_MAX, RECORD_BYTES_MAX};
use crate::dynamodb::schema::table::ScalarType;
use serde_json::{json, Map, Value as Json};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// How CSV files are read.
#[derive(Debug, Clone)]
pub struct CsvOptions {
    pub delimiter: u8,
    /// `HeaderList`: when given, every line is data; else each file's first line is its header.
    pub header: Option<Vec<String>>,
    /// The key attributes (the table's and its global indexes'), typed by their definitions;
    /// every other column is a String.
    pub typed: Vec<(String, ScalarType)>,
}

/// How the source is read.
#[derive(Debug, Clone)]
pub struct ReadSpec {
    pub format: DataFormat,
    pub compression: Compression,
    pub csv: Option<CsvOptions>,
}

/// One source file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    /// Its key in the bucket.
    pub key: String,
    pub path: PathBuf,
}

/// An entry of a source file.
#[derive(Debug, Clone, PartialEq)]
pub enum Entry {
    /// An item, in DynamoDB's JSON wire form.
    Item(Json),
    /// Not an item: why, with the file and line.
    Bad(String),
}

/// The files of bucket folder `bucket_dir` whose key starts with `prefix`, in key order (at most
/// [`IMPORT_FILES_MAX`]).
pub fn list(bucket_dir: &Path, prefix: &str) -> Result<Vec<SourceFile>, Failure> {
    let mut out = Vec::new();
    let mut stack = vec![(bucket_dir.to_path_buf(), String::new())];
    while let Some((dir, key_dir)) = stack.pop() {
        let entries = std::fs::read_dir(&dir)
            .map_err(|e| Failure::io(&format!("listing {}", dir.display()), e))?;
        for entry in entries {
            let entry = entry.map_err(|e| Failure::io(&format!("listing {}", dir.display()), e))?;
            let Ok(name) = entry.file_name().into_string() else { continue };
            let key = format!("{key_dir}{name}");
            let ty = entry.file_type().map_err(|e| Failure::io("reading a file's type", e))?;
            if ty.is_dir() {
                let sub = format!("{key}/");
                // Only folders that can hold keys under the prefix.
                if sub.starts_with(prefix) || prefix.starts_with(&sub) {
                    stack.push((entry.path(), sub));
                }
            } else if ty.is_file() && key.starts_with(prefix) {
                out.push(SourceFile { key, path: entry.path() });
                if out.len() > IMPORT_FILES_MAX {
                    return Err(Failure::new(
                        "TooManyFiles",
                        format!(
                            "More than {IMPORT_FILES_MAX} files match the key prefix {prefix:?}"
                        ),
                    ));
                }
            }
        }
    }
    out.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(out)
}

/// Counts bytes read through it (the uncompressed size, `ProcessedSizeBytes`).
struct Counting<R> {
    inner: R,
    bytes: u64,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }
}

fn open(file: &SourceFile, compression: Compression) -> Result<Box<dyn Read>, Failure> {
    let f = std::fs::File::open(&file.path)
        .map_err(|e| Failure::io(&format!("opening {}", file.key), e))?;
    let f = BufReader::with_capacity(1 << 20, f);
    Ok(match compression {
        Compression::None => Box::new(f),
        Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(f)),
        Compression::Zstd => Box::new(
            zstd::stream::read::Decoder::with_buffer(f)
                .map_err(|e| Failure::io(&format!("reading {} as zstd", file.key), e))?,
        ),
    })
}

/// A source file that cannot be read or decompressed fails the import.
fn unreadable(file: &SourceFile, compression: Compression, e: std::io::Error) -> Failure {
    Failure::new(
        "InvalidSourceFile",
        format!("Could not read {} as {}: {e}", file.key, compression.name()),
    )
}

/// Reads one line of at most `max` bytes into `buf` (without its `\n` or `\r\n`). `Ok(None)` at
/// the end; `Ok(Some(false))` for a longer line, consumed but not kept.
fn read_line(r: &mut impl BufRead, max: usize, buf: &mut Vec<u8>) -> std::io::Result<Option<bool>> {
    buf.clear();
    let mut len = 0usize;
    let mut any = false;
    loop {
        let chunk = r.fill_buf()?;
        if chunk.is_empty() {
            return Ok(any.then_some(len <= max));
        }
        any = true;
        let (part, done) = match chunk.iter().position(|&c| c == b'\n') {
            Some(at) => (chunk.get(..at).unwrap_or_default(), true),
            None => (chunk, false),
        };
        len += part.len();
        if len <= max {
            buf.extend_from_slice(part);
        }
        let used = part.len() + usize::from(done);
        r.consume(used);
        if done {
            if buf.last() == Some(&b'\r') {
                buf.pop();
            }
            return Ok(Some(len <= max));
        }
    }
}

/// Reads `file`, calling `each` with every entry; returns the bytes read, uncompressed.
pub fn read_file(
    file: &SourceFile,
    spec: &ReadSpec,
    each: &mut dyn FnMut(Entry) -> Result<(), Failure>,
) -> Result<u64, Failure> {
    // An empty file (an export's `_started`) holds nothing, whatever its compression.
    if std::fs::metadata(&file.path).is_ok_and(|m| m.len() == 0) {
        return Ok(0);
    }
    let mut input = BufReader::with_capacity(
        1 << 20,
        Counting { inner: open(file, spec.compression)?, bytes: 0 },
    );
    if spec.format == DataFormat::Csv {
        return read_csv(file, spec, input, each);
    }
    let mut buf = Vec::new();
    let mut line_no = 0u64;
    loop {
        let got = read_line(&mut input, RECORD_BYTES_MAX, &mut buf)
            .map_err(|e| unreadable(file, spec.compression, e))?;
        let Some(whole) = got else { break };
        line_no += 1;
        let at = || format!("{} line {line_no}", file.key);
        if !whole {
            each(Entry::Bad(format!("{}: longer than {RECORD_BYTES_MAX} bytes", at())))?;
            continue;
        }
        let Ok(text) = std::str::from_utf8(&buf) else {
            each(Entry::Bad(format!("{}: not valid UTF-8", at())))?;
            continue;
        };
        if text.trim().is_empty() {
            continue;
        }
        let item = match spec.format {
            DataFormat::Ion => ion::item_of_line(text),
            _ => json_item(text),
        };
        each(match item {
            Ok(item) => Entry::Item(item),
            Err(why) => Entry::Bad(format!("{}: {why}", at())),
        })?;
    }
    Ok(input.into_inner().bytes)
}

/// A DYNAMODB_JSON line's item: `{"Item": {…}}`.
fn json_item(text: &str) -> Result<Json, String> {
    let v: Json = serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
    let Json::Object(mut top) = v else { return Err("the line is not a JSON object".into()) };
    match top.remove("Item") {
        Some(item @ Json::Object(_)) if top.is_empty() => Ok(item),
        Some(Json::Object(_)) => Err("the object has members besides Item".into()),
        Some(_) => Err("Item is not an object".into()),
        None => Err("the object has no Item".into()),
    }
}

fn read_csv(
    file: &SourceFile,
    spec: &ReadSpec,
    input: BufReader<Counting<Box<dyn Read>>>,
    each: &mut dyn FnMut(Entry) -> Result<(), Failure>,
) -> Result<u64, Failure> {
    let opts =
        spec.csv.clone().unwrap_or(CsvOptions { delimiter: b',', header: None, typed: vec![] });
    let mut reader = csv::Reader::new(input, opts.delimiter, RECORD_BYTES_MAX);
    let mut header = opts.header.clone();
    let mut record_no = 0u64;
    loop {
        let rec = reader.next_record().map_err(|e| unreadable(file, spec.compression, e))?;
        let Some(rec) = rec else { break };
        record_no += 1;
        let at = || format!("{} record {record_no}", file.key);
        let fields = match rec {
            Record::Bad(why) => {
                each(Entry::Bad(format!("{}: {why}", at())))?;
                continue;
            }
            Record::Fields(f) => f,
        };
        let Some(names) = &header else {
            header = Some(fields);
            continue;
        };
        if fields.len() != names.len() {
            each(Entry::Bad(format!(
                "{}: {} fields where the header has {}",
                at(),
                fields.len(),
                names.len()
            )))?;
            continue;
        }
        let mut item = Map::new();
        for (name, value) in names.iter().zip(fields) {
            // An empty cell is no attribute.
            if value.is_empty() {
                continue;
            }
            let ty = opts.typed.iter().find(|(n, _)| n == name).map(|(_, t)| *t);
            let v = match ty {
                Some(ScalarType::N) => json!({ "N": value }),
                Some(ScalarType::B) => json!({ "B": value }),
                _ => json!({ "S": value }),
            };
            item.insert(name.clone(), v);
        }
        each(Entry::Item(Json::Object(item)))?;
    }
    Ok(reader.into_inner().into_inner().bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn spec(format: DataFormat, compression: Compression) -> ReadSpec {
        ReadSpec { format, compression, csv: None }
    }

    fn read(dir: &Path, key: &str, spec: &ReadSpec) -> (Vec<Entry>, u64) {
        let file = SourceFile { key: key.into(), path: dir.join(key) };
        let mut out = Vec::new();
        let n = read_file(&file, spec, &mut |e| {
            out.push(e);
            Ok(())
        })
        .unwrap();
        (out, n)
    }

    #[test]
    fn lists_keys_under_a_prefix_in_order() {
        let dir = tempfile::tempdir().unwrap();
        for k in ["a/x/2.json", "a/x/1.json", "a/y.json", "ab.json", "b/1.json"] {
            let p = dir.path().join(k);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, b"").unwrap();
        }
        let keys =
            |p: &str| list(dir.path(), p).unwrap().into_iter().map(|f| f.key).collect::<Vec<_>>();
        assert_eq!(keys("a/"), ["a/x/1.json", "a/x/2.json", "a/y.json"]);
        assert_eq!(keys("a"), ["a/x/1.json", "a/x/2.json", "a/y.json", "ab.json"]);
        assert_eq!(keys("a/x/1"), ["a/x/1.json"]);
        assert_eq!(keys("").len(), 5);
        assert!(keys("zz").is_empty());
    }

    #[test]
    fn json_lines_in_every_compression_with_bad_lines_counted() {
        let dir = tempfile::tempdir().unwrap();
        let text = "{\"Item\":{\"pk\":{\"S\":\"a\"}}}\n\n  \nnot json\n{\"pk\":{\"S\":\"b\"}}\n\
                    {\"Item\":{\"pk\":{\"S\":\"c\"}},\"x\":1}\r\n{\"Item\":{\"pk\":{\"S\":\"d\"}}}";
        std::fs::write(dir.path().join("none"), text).unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(text.as_bytes()).unwrap();
        std::fs::write(dir.path().join("gz"), gz.finish().unwrap()).unwrap();
        std::fs::write(dir.path().join("zst"), zstd::encode_all(text.as_bytes(), 3).unwrap())
            .unwrap();
        for (key, c) in
            [("none", Compression::None), ("gz", Compression::Gzip), ("zst", Compression::Zstd)]
        {
            let (entries, n) = read(dir.path(), key, &spec(DataFormat::DynamodbJson, c));
            assert_eq!(n, text.len() as u64, "{key}");
            let items: Vec<_> = entries
                .iter()
                .filter_map(|e| match e {
                    Entry::Item(i) => Some(i["pk"]["S"].as_str().unwrap().to_string()),
                    Entry::Bad(_) => None,
                })
                .collect();
            assert_eq!(items, ["a", "d"], "{key}");
            let bad: Vec<_> = entries
                .iter()
                .filter_map(|e| match e {
                    Entry::Bad(m) => Some(m.clone()),
                    Entry::Item(_) => None,
                })
                .collect();
            assert_eq!(bad.len(), 3, "{bad:?}");
            assert!(bad[0].contains(&format!("{key} line 4")) && bad[0].contains("not valid JSON"));
            assert!(bad[1].contains("no Item") && bad[2].contains("besides Item"), "{bad:?}");
        }
        // An empty file is empty whatever its compression (an export's `_started`).
        std::fs::write(dir.path().join("empty"), b"").unwrap();
        let (entries, n) = read(dir.path(), "empty", &spec(DataFormat::Ion, Compression::Gzip));
        assert!(entries.is_empty() && n == 0);
        // A file that is not what its compression says fails the import.
        let file = SourceFile { key: "none".into(), path: dir.path().join("none") };
        let e =
            read_file(&file, &spec(DataFormat::DynamodbJson, Compression::Gzip), &mut |_| Ok(()))
                .unwrap_err();
        assert_eq!(e.code, "InvalidSourceFile");
    }

    #[test]
    fn csv_header_typing_and_empty_cells() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("f.csv"), "pk;n;note\na;1;x\nb;2;\nc;3\n").unwrap();
        let typed = vec![("n".to_string(), ScalarType::N)];
        let mut s = spec(DataFormat::Csv, Compression::None);
        s.csv = Some(CsvOptions { delimiter: b';', header: None, typed: typed.clone() });
        let (entries, _) = read(dir.path(), "f.csv", &s);
        assert_eq!(
            entries[0],
            Entry::Item(json!({"pk": {"S": "a"}, "n": {"N": "1"}, "note": {"S": "x"}}))
        );
        assert_eq!(entries[1], Entry::Item(json!({"pk": {"S": "b"}, "n": {"N": "2"}})));
        assert!(
            matches!(&entries[2], Entry::Bad(m) if m.contains("record 4") && m.contains("2 fields"))
        );
        // With a HeaderList, the first line is data.
        s.csv = Some(CsvOptions {
            delimiter: b';',
            header: Some(vec!["a".into(), "b".into(), "c".into()]),
            typed,
        });
        let (entries, _) = read(dir.path(), "f.csv", &s);
        assert_eq!(
            entries[0],
            Entry::Item(json!({"a": {"S": "pk"}, "b": {"S": "n"}, "c": {"S": "note"}}))
        );
    }
}
