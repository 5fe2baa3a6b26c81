//! Feeds arbitrary bytes to the write-batch decoder (the payload of a WAL record): it must not
//! panic, must honour its key and value bounds, and must either decode exactly the announced
//! number of entries or report corruption.

#![no_main]

use libfuzzer_sys::fuzz_target;
use shale_engine::batch::BatchEntries;

const KEY_LEN_MAX: usize = 1 << 10;
const VALUE_LEN_MAX: usize = 1 << 16;

fuzz_target!(|data: &[u8]| {
    let Ok(entries) = BatchEntries::new(data, KEY_LEN_MAX, VALUE_LEN_MAX) else { return };
    let announced = entries.entry_count() as usize;
    let mut decoded = 0usize;
    let mut failed = false;
    for e in entries {
        match e {
            Ok(e) => {
                assert!(e.key.len() <= KEY_LEN_MAX && e.value.len() <= VALUE_LEN_MAX);
                decoded += 1;
            }
            Err(err) => {
                assert!(err.is_corruption());
                failed = true;
            }
        }
    }
    assert!(failed || decoded == announced);
});
