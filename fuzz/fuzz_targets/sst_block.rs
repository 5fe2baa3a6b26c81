//! Feeds arbitrary bytes to the block reader: `Block::new`, then forward and backward iteration
//! and seeks to a key taken from the input. Nothing may panic, loop forever or allocate beyond
//! the block's size, and every entry yielded must be a well-formed internal key.
//!
//! Input: `target_len:u8 ++ target[target_len] ++ block contents`. A target of 8 bytes or more
//! is an encoded internal key; a shorter one is a user key sought at the newest trailer.

#![no_main]

use libfuzzer_sys::fuzz_target;
use shale_engine::iter::InternalIterator;
use shale_engine::key::{split_internal, TRAILER_LEN};
use shale_engine::sst::block::{Block, BlockIter};
use std::sync::Arc;

fn check_entry(it: &BlockIter, len: usize) {
    let ikey = it.internal_key();
    assert!(ikey.len() >= TRAILER_LEN && ikey.len() <= len);
    assert_eq!(it.user_key().len() + TRAILER_LEN, ikey.len());
    assert!(it.value().len() <= len);
}

fuzz_target!(|data: &[u8]| {
    let Some((&n, rest)) = data.split_first() else { return };
    let n = usize::from(n).min(rest.len());
    let (target, contents) = rest.split_at(n);
    let (user, trailer) = split_internal(target).unwrap_or((target, u64::MAX));
    let len = contents.len();
    let Ok(block) = Block::new(contents.to_vec()) else { return };
    assert_eq!(block.len(), len);
    let block = Arc::new(block);
    // Every entry takes at least 3 bytes, and each step moves strictly forward or backward.
    let bound = len / 3 + 1;

    let mut it = block.iter();
    it.seek_to_first();
    let mut forward = 0;
    while it.valid() {
        check_entry(&it, len);
        it.next();
        forward += 1;
        assert!(forward <= bound);
    }
    let forward_ok = it.status().is_ok();

    let mut it = block.iter();
    it.seek_to_last();
    let mut backward = 0;
    while it.valid() {
        check_entry(&it, len);
        it.prev();
        backward += 1;
        assert!(backward <= bound);
    }
    if forward_ok && forward == 0 {
        // No entry forward and no corruption: the block is empty, backward too.
        assert!(backward == 0 || it.status().is_err());
    }

    for lt in [false, true] {
        let mut it = block.iter();
        if lt {
            it.seek_lt(user, trailer);
        } else {
            it.seek(user, trailer);
        }
        let mut steps = 0u32;
        while it.valid() && steps < 4 {
            check_entry(&it, len);
            if steps.is_multiple_of(2) {
                it.next();
            } else {
                it.prev();
                it.prev();
            }
            steps += 1;
        }
        if !it.valid() {
            // A corrupt iterator stays invalid.
            if it.status().is_err() {
                it.seek_to_first();
                assert!(!it.valid());
            }
        }
    }
});
