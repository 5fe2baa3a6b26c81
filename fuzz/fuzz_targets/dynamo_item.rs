//! Feeds arbitrary bytes to the DynamoDB gateway's stored-item decoder and number parser: no
//! panic, no allocation beyond the input; whatever decodes re-encodes to the same bytes' meaning.

#![no_main]

use libfuzzer_sys::fuzz_target;
use shale_server::dynamodb::model::item_codec;
use shale_server::dynamodb::model::number::Number;

fuzz_target!(|data: &[u8]| {
    if let Ok(item) = item_codec::decode(data) {
        let again = item_codec::encode(&item);
        assert_eq!(item_codec::decode(&again).expect("re-encoded item decodes"), item);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(n) = Number::parse(text) {
            let back = Number::parse(&n.to_text()).expect("normalized text parses");
            assert_eq!(back, n);
            assert_eq!(back.key_bytes(), n.key_bytes());
        }
    }
});
