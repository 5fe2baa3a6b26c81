//! Internal keys: what the memtable (and later the SSTables) order entries by.
//!
//! An internal key is `(user key, sequence number, kind)`, ordered by user key ascending (bytewise),
//! then by *trailer* descending, where `trailer = sequence << 8 | kind`. So for one user key the
//! newest version comes first, and a lookup for "the newest version at or below sequence `s`" is a
//! seek to `(key, s << 8 | KIND_SEEK)`.

use std::cmp::Ordering;

/// A write's position in the database's single history.
pub type SequenceNumber = u64;

/// Largest sequence number (56 bits: the trailer keeps 8 bits for the kind).
pub const SEQUENCE_MAX: SequenceNumber = (1 << 56) - 1;

/// What an entry says about its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum ValueKind {
    /// The key has this value.
    Put = 1,
    /// The key is deleted (a tombstone).
    Delete = 2,
    /// The key's value is in a blob file; the entry's value is a [`crate::blob::BlobPointer`].
    /// Only tables hold these (a flush writes them); write batches and memtables never do.
    Blob = 3,
}

/// Kind byte used in seek targets: larger than every real kind, so `(k, s << 8 | KIND_SEEK)`
/// orders before every entry of `k` at sequence `s`.
pub const KIND_SEEK: u8 = 0xff;

impl ValueKind {
    /// Decodes a kind byte; `0` is reserved and, like any unknown byte, yields `None`.
    pub fn from_u8(b: u8) -> Option<Self> {
        match b {
            1 => Some(ValueKind::Put),
            2 => Some(ValueKind::Delete),
            3 => Some(ValueKind::Blob),
            _ => None,
        }
    }
}

/// Packs a sequence number and a kind byte.
#[inline]
pub fn trailer(seq: SequenceNumber, kind: u8) -> u64 {
    (seq << 8) | u64::from(kind)
}

/// The sequence number of a trailer.
#[inline]
pub fn trailer_seq(trailer: u64) -> SequenceNumber {
    trailer >> 8
}

/// The kind byte of a trailer.
#[inline]
pub fn trailer_kind(trailer: u64) -> u8 {
    (trailer & 0xff) as u8
}

/// Compares two internal keys given as (user key, trailer).
#[inline]
pub fn compare(a_key: &[u8], a_trailer: u64, b_key: &[u8], b_trailer: u64) -> Ordering {
    a_key.cmp(b_key).then_with(|| b_trailer.cmp(&a_trailer))
}

/// Bytes of the trailer at the end of an encoded internal key.
pub const TRAILER_LEN: usize = 8;

/// Encodes an internal key as stored in SSTables: the user key, then the trailer as 8 bytes
/// little-endian.
pub fn encode_internal(dst: &mut Vec<u8>, user_key: &[u8], trailer: u64) {
    dst.extend_from_slice(user_key);
    dst.extend_from_slice(&trailer.to_le_bytes());
}

/// Splits an encoded internal key into user key and trailer; `None` if shorter than a trailer.
#[inline]
pub fn split_internal(ikey: &[u8]) -> Option<(&[u8], u64)> {
    let cut = ikey.len().checked_sub(TRAILER_LEN)?;
    let (user, t) = ikey.split_at_checked(cut)?;
    let t: [u8; TRAILER_LEN] = t.try_into().ok()?;
    Some((user, u64::from_le_bytes(t)))
}

/// Compares two encoded internal keys (a malformed key, shorter than a trailer, sorts first).
pub fn compare_internal(a: &[u8], b: &[u8]) -> Ordering {
    match (split_internal(a), split_internal(b)) {
        (Some((ak, at)), Some((bk, bt))) => compare(ak, at, bk, bt),
        (None, None) => a.cmp(b),
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
    }
}

/// The answer to a point lookup of a user key at a sequence number: memtables, tables and the
/// version above them all answer with it (`None` when they hold no visible version).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// The newest visible version is this value.
    Value(Vec<u8>),
    /// The newest visible version is a tombstone.
    Deleted,
    /// The newest visible version's value is in a blob file: this encoded
    /// [`crate::blob::BlobPointer`] says where (tables only; the reader resolves it).
    Blob(Vec<u8>),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newer_versions_sort_first() {
        let new = trailer(10, ValueKind::Put as u8);
        let old = trailer(5, ValueKind::Put as u8);
        assert_eq!(compare(b"a", new, b"a", old), Ordering::Less);
        assert_eq!(compare(b"a", old, b"b", new), Ordering::Less);
        let seek = trailer(7, KIND_SEEK);
        assert_eq!(compare(b"a", seek, b"a", old), Ordering::Less);
        assert_eq!(compare(b"a", seek, b"a", new), Ordering::Greater);
        assert_eq!(trailer_seq(new), 10);
        assert_eq!(trailer_kind(new), 1);
        assert_eq!(ValueKind::from_u8(0), None);
    }

    #[test]
    fn internal_encoding() {
        let mut a = Vec::new();
        encode_internal(&mut a, b"key", trailer(9, 1));
        assert_eq!(a.len(), 3 + TRAILER_LEN);
        assert_eq!(split_internal(&a), Some((&b"key"[..], trailer(9, 1))));
        let mut b = Vec::new();
        encode_internal(&mut b, b"key", trailer(3, 1));
        assert_eq!(compare_internal(&a, &b), Ordering::Less);
        assert_eq!(split_internal(b"short"), None);
        assert_eq!(compare_internal(b"x", &a), Ordering::Less);
    }
}
