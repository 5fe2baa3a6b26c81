//! Feeds arbitrary bytes to the bloom filter reader: `BloomFilter::new`, then probes. Nothing may
//! panic; a filter built from keys taken from the input never denies one of them.

#![no_main]

use libfuzzer_sys::fuzz_target;
use shale_engine::sst::filter::{BloomBuilder, BloomFilter};

fuzz_target!(|data: &[u8]| {
    // As a stored filter block.
    if let Ok(f) = BloomFilter::new(data.to_vec()) {
        assert_eq!(f.len(), data.len());
        assert!((1..=30).contains(&f.probes()));
        for chunk in data.chunks(7) {
            let _ = f.may_contain(chunk);
        }
        let _ = f.may_contain(b"");
        let _ = f.may_contain_hash(u64::MAX);
    }
    // As keys: no false negatives, for any bits per key.
    let Some((&bits, keys)) = data.split_first() else { return };
    let mut b = BloomBuilder::new(u32::from(bits % 40));
    let keys: Vec<&[u8]> = keys.split(|&c| c == b'\n').collect();
    for k in &keys {
        b.add_key(k);
    }
    let f = BloomFilter::new(b.finish()).expect("a built filter parses");
    for k in &keys {
        assert!(f.may_contain(k));
    }
});
