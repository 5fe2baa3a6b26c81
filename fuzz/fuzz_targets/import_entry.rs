//! Feeds arbitrary bytes to ImportTable's entry parsers (`dynamodb/transfer/`): the Ion reader
//! and the CSV record reader. No panic, no unbounded recursion; an item the Ion reader accepts
//! (and DynamoDB's item checks pass) writes back as Ion that reads to the same item.

#![no_main]

use libfuzzer_sys::fuzz_target;
use shale_server::dynamodb::model::value::item_from_json;
use shale_server::dynamodb::transfer::{csv, ion};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(json) = ion::item_of_line(text) {
            if let Ok(item) = item_from_json(&json) {
                let mut line = String::new();
                ion::write_item(&item, &mut line);
                let back = ion::item_of_line(&line).expect("written Ion reads");
                assert_eq!(item_from_json(&back).expect("and checks"), item);
            }
        }
    }
    let mut reader = csv::Reader::new(data, b',', 1024);
    while let Ok(Some(_)) = reader.next_record() {}
    let _ = csv::split(data, b'\t');
});
