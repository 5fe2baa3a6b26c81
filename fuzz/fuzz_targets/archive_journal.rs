//! Feeds arbitrary bytes to the WAL archive's journal (`archive/JOURNAL`,
//! `docs/format/archive.md`) and opens the database: the open must not panic, and fails, if it
//! does, with corruption (a bad record) and nothing else. The bytes go in both raw and framed as
//! one log record, so the record decoder sees them too.

#![no_main]

use libfuzzer_sys::fuzz_target;
use shale_engine::fs::{FileSystem, MemFs};
use shale_engine::wal::LogWriter;
use shale_engine::{Db, Options, WalArchiveOptions};
use std::path::Path;
use std::sync::Arc;

fn open_with_journal(journal: &[u8]) {
    let fs = MemFs::new();
    fs.create_dir_all(Path::new("/db/archive")).unwrap();
    let f = fs.create(Path::new("/db/archive/JOURNAL")).unwrap();
    f.append(journal).unwrap();
    f.sync().unwrap();
    let opts = Options {
        fs: Arc::new(fs.clone()),
        wal_archive: Some(WalArchiveOptions::default()),
        ..Options::default()
    };
    match Db::open("/db", opts) {
        Ok(db) => drop(db),
        Err(e) => assert!(e.is_corruption(), "{e}"),
    }
}

fuzz_target!(|data: &[u8]| {
    open_with_journal(data);
    let fs = MemFs::new();
    let file = fs.create(Path::new("/framed")).unwrap();
    let mut w = LogWriter::new(file);
    w.add_record(data).unwrap();
    let framed = fs.open(Path::new("/framed")).unwrap();
    let mut bytes = vec![0; framed.len().unwrap() as usize];
    framed.read_full_at(&mut bytes, 0).unwrap();
    open_with_journal(&bytes);
});
