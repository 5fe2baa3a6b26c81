//! Feeds arbitrary bytes to the blob file decoders: `BlobPointer::decode`, `decode_record`,
//! and a whole `BlobFile` (`scan`, then `read` through a pointer taken from the input). Nothing
//! may panic or allocate beyond the input's size; every record handed out must lie inside the
//! file, and a value read through a pointer must be exactly the one the pointer names.
//!
//! Input: `pointer_len:u8 ++ key_len:u8 ++ pointer[pointer_len] ++ key[key_len] ++ file`.

#![no_main]

use libfuzzer_sys::fuzz_target;
use shale_engine::blob::{decode_record, BlobFile, BlobPointer, BLOB_HEADER_LEN};
use shale_engine::fs::BytesFile;
use std::sync::Arc;

fuzz_target!(|data: &[u8]| {
    let [p_len, k_len, rest @ ..] = data else { return };
    let p_len = usize::from(*p_len).min(rest.len());
    let (pointer, rest) = rest.split_at(p_len);
    let k_len = usize::from(*k_len).min(rest.len());
    let (key, file) = rest.split_at(k_len);
    let len = file.len() as u64;

    // A record decoded at the start of the file is inside it, and round-trips.
    if let Ok((rec, n)) = decode_record(file) {
        assert!(n <= file.len());
        let mut again = Vec::new();
        let crc = shale_engine::blob::encode_record(&mut again, rec.key, rec.value);
        assert_eq!(crc, rec.crc);
        assert_eq!(again.as_slice(), file.get(..n).unwrap_or_default());
    }

    let blob = BlobFile::new(Arc::new(BytesFile::new(file.to_vec())), 7, len);
    let mut last = 0u64;
    let scanned = blob.scan(|offset, rec| {
        assert!(offset >= BLOB_HEADER_LEN as u64 && offset >= last);
        assert!(offset + (rec.key.len() + rec.value.len()) as u64 <= len);
        last = offset + 1;
    });
    if let Ok((records, bytes)) = scanned {
        assert!(bytes <= len && records <= bytes);
    }

    let Ok(p) = BlobPointer::decode(pointer) else { return };
    assert_eq!(BlobPointer::decode(&p.encode()).ok(), Some(p), "a decoded pointer round-trips");
    if let Ok(value) = blob.read(key, &p, 1 << 20) {
        assert_eq!(value.len(), p.value_len as usize);
        let start = p.offset as usize + p.record_len(key.len()) - value.len();
        assert_eq!(Some(value.as_slice()), file.get(start..start + value.len()));
    }
});
