//! Feeds arbitrary bytes to the DynamoDB stream decoders: stored records, generation and
//! reservation entries, shard ids, sequence numbers and shard iterators. No panic; whatever
//! decodes re-encodes to what decodes the same.

#![no_main]

use libfuzzer_sys::fuzz_target;
use shale_server::dynamodb::stream::record::Record;
use shale_server::dynamodb::stream::shards::{
    decode_reserved, encode_reserved, parse_seq, Generation, ShardRef,
};
use shale_server::streams::iterator::ShardIterator;

fuzz_target!(|data: &[u8]| {
    if let Ok(r) = Record::decode(data) {
        assert_eq!(Record::decode(&r.encode()).expect("re-encoded record decodes"), r);
    }
    if let Some((key, value)) = data.split_first_chunk::<5>() {
        if let Ok(g) = Generation::decode(key, value) {
            let back = Generation::decode(&Generation::key(g.number), &g.encode());
            assert_eq!(back.expect("re-encoded generation decodes"), g);
        }
    }
    if let Ok(bound) = decode_reserved(data) {
        assert_eq!(decode_reserved(&encode_reserved(bound)).ok(), Some(bound));
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Some((ms, gen_low, index)) = ShardRef::parse(text) {
            let shard = ShardRef { generation: u32::from(gen_low), index };
            assert_eq!(shard.id(ms), text, "a shard id parses only in the form it is written");
        }
        let _ = parse_seq(text);
        if let Some(it) = ShardIterator::decode(text) {
            assert_eq!(ShardIterator::decode(&it.encode()), Some(it));
        }
    }
});
