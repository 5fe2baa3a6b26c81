//! File-level inspection: `sst-dump`, `blob-dump`, `wal-dump`, `manifest-dump` (RocksDB's
//! sst_dump, blob_dump and ldb's dump_wal / manifest_dump). They read files directly and never
//! open a database.

use crate::text::{show, show_internal};
use shale_engine::batch::BatchEntries;
use shale_engine::blob::{BlobFile, BlobPointer};
use shale_engine::fs::{FileSystem, OsFs};
use shale_engine::iter::InternalIterator;
use shale_engine::key::ValueKind;
use shale_engine::manifest::{ManifestState, VersionEdit, RECORD_LEN_MAX};
use shale_engine::sst::{ReadStats, Table};
use shale_engine::wal::{LogEvent, LogReader};
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

type Out<'a> = &'a mut dyn Write;

fn io(e: std::io::Error) -> String {
    format!("writing output: {e}")
}

/// `shale sst-dump FILE [--scan]`.
pub fn sst_dump(path: &Path, scan: bool, out: Out<'_>) -> Result<(), String> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    let number = match shale_engine::filename::parse(name) {
        Some(shale_engine::filename::FileKind::Table(n)) => n,
        _ => 0,
    };
    let file = OsFs.open(path).map_err(|e| format!("opening {}: {e}", path.display()))?;
    let size = file.len().map_err(|e| format!("reading {}: {e}", path.display()))?;
    let table = Arc::new(
        Table::open(file, number, size, None, Arc::new(ReadStats::default()))
            .map_err(|e| format!("{}: {e}", path.display()))?,
    );
    let p = table.properties();
    writeln!(out, "file: {}  ({size} bytes)", path.display()).map_err(io)?;
    let lines = [
        ("keyspace", p.keyspace.to_string()),
        ("entries", p.entries.to_string()),
        ("deletions", p.deletions.to_string()),
        ("data blocks", p.data_blocks.to_string()),
        ("data bytes (stored)", p.data_bytes.to_string()),
        ("raw key bytes", p.raw_key_bytes.to_string()),
        ("raw value bytes", p.raw_value_bytes.to_string()),
        ("sequence range", format!("{} .. {}", p.smallest_seq, p.largest_seq)),
        ("smallest key", show_internal(&p.smallest_key)),
        ("largest key", show_internal(&p.largest_key)),
        ("compression", format!("{:?}", p.compression)),
        ("bloom bits per key", p.filter_bits_per_key.to_string()),
    ];
    for (k, v) in lines {
        writeln!(out, "  {k:<20} {v}").map_err(io)?;
    }
    writeln!(out, "index:").map_err(io)?;
    for (i, (last, h)) in table.data_blocks().map_err(|e| e.to_string())?.iter().enumerate() {
        writeln!(
            out,
            "  block {i:>5}  offset {:>10}  size {:>7}  last {}",
            h.offset,
            h.size,
            show_internal(last)
        )
        .map_err(io)?;
    }
    if scan {
        writeln!(out, "entries:").map_err(io)?;
        let mut it = table.iter();
        it.seek_to_first();
        while it.valid() {
            let t = it.trailer();
            let mut ik = it.user_key().to_vec();
            ik.extend_from_slice(&t.to_le_bytes());
            let value = if shale_engine::key::trailer_kind(t) == ValueKind::Blob as u8 {
                match BlobPointer::decode(it.value()) {
                    Ok(p) => format!(
                        "blob file {} offset {} ({} bytes, crc {:#010x})",
                        p.file, p.offset, p.value_len, p.crc
                    ),
                    Err(e) => format!("(bad blob pointer {}: {e})", show(it.value())),
                }
            } else {
                show(it.value())
            };
            writeln!(out, "  {}  =>  {value}", show_internal(&ik)).map_err(io)?;
            it.next();
        }
        it.status().map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(())
}

/// `shale blob-dump FILE [--scan]`: a blob file's header and footer (checked against each
/// other), and with `--scan` every record: offset, key, value length and crc. Every record's
/// checksum is checked either way.
pub fn blob_dump(path: &Path, scan: bool, out: Out<'_>) -> Result<(), String> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    let number = match shale_engine::filename::parse(name) {
        Some(shale_engine::filename::FileKind::Blob(n)) => n,
        _ => 0,
    };
    let file = OsFs.open(path).map_err(|e| format!("opening {}: {e}", path.display()))?;
    let size = file.len().map_err(|e| format!("reading {}: {e}", path.display()))?;
    let blob = BlobFile::new(file, number, size);
    writeln!(out, "file: {}  ({size} bytes)", path.display()).map_err(io)?;
    if scan {
        writeln!(out, "records:").map_err(io)?;
    }
    let mut failed = None;
    let counts = blob.scan(|offset, r| {
        if scan && failed.is_none() {
            let line = format!(
                "  offset {offset:>10}  crc {:#010x}  {}  =>  {} bytes",
                r.crc,
                show(r.key),
                r.value.len()
            );
            failed = writeln!(out, "{line}").err();
        }
    });
    if let Some(e) = failed {
        return Err(io(e));
    }
    let (records, bytes) = counts.map_err(|e| format!("{}: {e}", path.display()))?;
    writeln!(out, "  records              {records}").map_err(io)?;
    writeln!(out, "  record bytes         {bytes}").map_err(io)?;
    Ok(())
}

/// `shale wal-dump FILE`: every record (a write batch) with its entries.
pub fn wal_dump(path: &Path, out: Out<'_>) -> Result<(), String> {
    let file = OsFs.open(path).map_err(|e| format!("opening {}: {e}", path.display()))?;
    let mut reader = LogReader::new(file, 2 << 30);
    let mut records = 0u64;
    loop {
        match reader.read_record().map_err(|e| e.to_string())? {
            LogEvent::Record { payload, offset, .. } => {
                records += 1;
                let entries = BatchEntries::new(payload, usize::MAX, usize::MAX)
                    .map_err(|e| format!("record at {offset}: {e}"))?;
                writeln!(
                    out,
                    "record at {offset}: sequence {} count {}",
                    entries.sequence(),
                    entries.entry_count()
                )
                .map_err(io)?;
                for e in entries {
                    let e = e.map_err(|e| format!("record at {offset}: {e}"))?;
                    writeln!(
                        out,
                        "  {:?} keyspace {} {} {}",
                        e.kind,
                        e.keyspace,
                        show(e.key),
                        show(e.value)
                    )
                    .map_err(io)?;
                }
            }
            LogEvent::End { offset } => {
                writeln!(out, "end at {offset}: {records} records").map_err(io)?;
                return Ok(());
            }
            LogEvent::TornTail { offset } => {
                writeln!(out, "torn tail at {offset} (an unfinished write): {records} records")
                    .map_err(io)?;
                return Ok(());
            }
            LogEvent::Corrupt { offset, reason } => {
                return Err(format!("{}: corruption at {offset}: {reason}", path.display()))
            }
        }
    }
}

/// `shale --db DIR manifest-dump`: the edits of the live manifest, then the resulting state.
pub fn manifest_dump(dir: &Path, out: Out<'_>) -> Result<(), String> {
    let current = shale_engine::fs::read_small_file(&OsFs, &dir.join("CURRENT"), 4096)
        .map_err(|e| format!("reading {}/CURRENT: {e}", dir.display()))?;
    let current = String::from_utf8_lossy(&current);
    let name = current.trim_end();
    let path = dir.join(name);
    let file = OsFs.open(&path).map_err(|e| format!("opening {}: {e}", path.display()))?;
    let mut reader = LogReader::new(file, RECORD_LEN_MAX);
    let mut state = ManifestState::default();
    writeln!(out, "manifest: {}", path.display()).map_err(io)?;
    loop {
        match reader.read_record().map_err(|e| e.to_string())? {
            LogEvent::Record { payload, offset, .. } => {
                let edit =
                    VersionEdit::decode(payload).map_err(|e| format!("edit at {offset}: {e}"))?;
                writeln!(out, "edit at {offset}: {edit:?}").map_err(io)?;
                state.apply(&edit).map_err(|e| format!("edit at {offset}: {e}"))?;
            }
            LogEvent::End { .. } | LogEvent::TornTail { .. } => break,
            LogEvent::Corrupt { offset, reason } => {
                return Err(format!("{}: corruption at {offset}: {reason}", path.display()))
            }
        }
    }
    writeln!(
        out,
        "state: next file {}, last sequence {}, log number {}, next keyspace id {}",
        state.next_file, state.last_sequence, state.log_number, state.next_keyspace
    )
    .map_err(io)?;
    for (id, name) in &state.keyspaces {
        writeln!(out, "keyspace {id} {name:?} (log number {})", state.keyspace_log(*id))
            .map_err(io)?;
        for (level, files) in state.files.get(id).into_iter().flat_map(|l| l.iter().enumerate()) {
            for f in files {
                writeln!(
                    out,
                    "  L{level} {:06}.sst {} bytes, {} entries, seq {}..{}, {} .. {}",
                    f.number,
                    f.size,
                    f.entries,
                    f.smallest_seq,
                    f.largest_seq,
                    show_internal(&f.smallest),
                    show_internal(&f.largest)
                )
                .map_err(io)?;
            }
        }
    }
    Ok(())
}
