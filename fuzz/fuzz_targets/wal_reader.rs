//! Feeds arbitrary bytes to the WAL reader as a log file: it must not panic, must stay within
//! its record bound, and every event must be consistent with the file and with the events
//! before it.

#![no_main]

use libfuzzer_sys::fuzz_target;
use shale_engine::fs::BytesFile;
use shale_engine::wal::{LogEvent, LogReader, HEADER_LEN};
use std::sync::Arc;

const RECORD_LEN_MAX: usize = 1 << 20;

fuzz_target!(|data: &[u8]| {
    let file_len = data.len() as u64;
    let mut reader = LogReader::new(Arc::new(BytesFile::new(data.to_vec())), RECORD_LEN_MAX);
    let mut last_end = 0u64;
    let terminal = loop {
        let event = match reader.read_record() {
            Ok(event) => event,
            Err(e) => panic!("a file in memory cannot fail to read: {e}"),
        };
        match event {
            LogEvent::Record { payload, offset, end } => {
                assert!(payload.len() <= RECORD_LEN_MAX);
                assert!(last_end <= offset && offset < end && end <= file_len);
                assert!(end - offset >= (HEADER_LEN + payload.len()) as u64);
                last_end = end;
                continue;
            }
            LogEvent::End { offset } => assert_eq!(offset, last_end),
            LogEvent::TornTail { offset } | LogEvent::Corrupt { offset, .. } => {
                assert!(last_end <= offset && offset < file_len);
            }
        }
        break format!("{event:?}");
    };
    // The terminal event repeats.
    for _ in 0..2 {
        let again = reader.read_record().map(|e| format!("{e:?}")).ok();
        assert_eq!(again.as_deref(), Some(terminal.as_str()));
    }
});
