//! Request ids: every answer carries one (`x-amzn-RequestId`, and `<RequestId>` in query-protocol
//! XML), in DynamoDB's form: 52 characters of `[0-9A-V]`.

use std::sync::atomic::{AtomicU64, Ordering};

/// Length of a request id.
pub const REQUEST_ID_LEN: usize = 52;

static REQUEST_COUNTER: AtomicU64 = AtomicU64::new(0);

/// A new request id, unique within the process and unlikely to repeat across restarts (it
/// hashes a counter with the clock).
pub fn request_id() -> String {
    const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHIJKLMNOPQRSTUV";
    let n = REQUEST_COUNTER.fetch_add(1, Ordering::Relaxed);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let mut out = String::with_capacity(REQUEST_ID_LEN);
    let mut seed = xxhash_rust::xxh3::xxh3_128(&[n.to_le_bytes(), t.to_le_bytes()].concat());
    for i in 0..REQUEST_ID_LEN {
        // 128 bits give 25 characters of 5 bits; rehash for the rest.
        if i == 25 {
            seed = xxhash_rust::xxh3::xxh3_128(&seed.to_le_bytes());
        }
        out.push(char::from(ALPHABET.get((seed & 31) as usize).copied().unwrap_or(b'0')));
        seed >>= 5;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_look_like_dynamodbs() {
        let a = request_id();
        let b = request_id();
        assert_eq!(a.len(), REQUEST_ID_LEN);
        assert!(a.bytes().all(|c| c.is_ascii_digit() || c.is_ascii_uppercase()));
        assert_ne!(a, b);
    }
}
