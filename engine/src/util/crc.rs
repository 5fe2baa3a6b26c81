//! CRC-32 (Castagnoli is not used; this is the IEEE polynomial of `crc32fast`) over a record's
//! type byte followed by its payload. Every checksummed unit on disk uses [`type_and_payload`].

/// CRC-32 of `ty` followed by `payload`, without concatenating them.
pub fn type_and_payload(ty: u8, payload: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&[ty]);
    h.update(payload);
    h.finalize()
}

/// CRC-32 of `payload` followed by `ty` (the SSTable block trailer's order: the type byte
/// follows the block on disk).
pub fn payload_and_type(payload: &[u8], ty: u8) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(payload);
    h.update(&[ty]);
    h.finalize()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_is_covered() {
        assert_ne!(type_and_payload(1, b"abc"), type_and_payload(2, b"abc"));
        assert_eq!(type_and_payload(1, b"abc"), crc32fast::hash(b"\x01abc"));
    }
}
