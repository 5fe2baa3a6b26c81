//! The write-batch codec: the payload of one WAL record, and the unit of atomicity.
//!
//! The byte format, with a worked example, is specified once: "WAL record payload: the write
//! batch" in `docs/format/wal.md`, which is also the [`crate::wal`] module's documentation. A
//! batch is applied all or nothing: it is one WAL record, and recovery either sees the whole
//! record (its checksum holds) or none of it.

use crate::error::{Error, Result};
use crate::key::{SequenceNumber, ValueKind};
use crate::util::coding::{self, Decoder};

/// Bytes of the fixed part of a batch header: sequence (8) + count and flags (4).
pub const HEADER_LEN: usize = 8 + 4;
const _: () = assert!(HEADER_LEN == std::mem::size_of::<u64>() + std::mem::size_of::<u32>());
/// Bit 31 of the count field: an 8-byte commit time follows the fixed header.
pub const FLAG_COMMIT_TIME: u32 = 1 << 31;
/// Bytes of the commit time (milliseconds since the Unix epoch) of a batch flagged with it.
pub const COMMIT_TIME_LEN: usize = 8;
/// Bytes of a commit-time marker: a timed batch without entries.
pub const TIME_MARKER_LEN: usize = HEADER_LEN + COMMIT_TIME_LEN;
const _: () = assert!(TIME_MARKER_LEN == 20 && COMMIT_TIME_LEN == std::mem::size_of::<u64>());

/// A commit-time marker (`docs/format/wal.md`): an empty batch carrying the commit time of the
/// batches that follow it in the same WAL file, up to the next marker. `sequence` is the first
/// sequence number of the group it precedes.
pub fn time_marker(sequence: SequenceNumber, millis: u64) -> [u8; TIME_MARKER_LEN] {
    let mut m = [0u8; TIME_MARKER_LEN];
    let (seq, rest) = m.split_at_mut(8);
    seq.copy_from_slice(&sequence.to_le_bytes());
    let (count, time) = rest.split_at_mut(4);
    count.copy_from_slice(&FLAG_COMMIT_TIME.to_le_bytes());
    time.copy_from_slice(&millis.to_le_bytes());
    m
}

/// Identifies a keyspace inside the database; never reused after a keyspace is dropped.
pub type KeyspaceId = u32;

/// An encoded batch under construction.
#[derive(Debug, Clone)]
pub struct BatchRep {
    rep: Vec<u8>,
    count: u32,
}

impl Default for BatchRep {
    fn default() -> Self {
        Self::new()
    }
}

impl BatchRep {
    /// An empty batch (sequence 0).
    pub fn new() -> Self {
        BatchRep { rep: vec![0; HEADER_LEN], count: 0 }
    }

    /// Appends a put.
    pub fn put(&mut self, ks: KeyspaceId, key: &[u8], value: &[u8]) {
        self.rep.push(ValueKind::Put as u8);
        coding::put_varint32(&mut self.rep, ks);
        coding::put_length_prefixed(&mut self.rep, key);
        coding::put_length_prefixed(&mut self.rep, value);
        self.bump();
    }

    /// Appends a delete.
    pub fn delete(&mut self, ks: KeyspaceId, key: &[u8]) {
        self.rep.push(ValueKind::Delete as u8);
        coding::put_varint32(&mut self.rep, ks);
        coding::put_length_prefixed(&mut self.rep, key);
        self.bump();
    }

    fn bump(&mut self) {
        self.count = self.count.saturating_add(1);
        debug_assert!(self.count & FLAG_COMMIT_TIME == 0, "a batch never holds 2^31 entries");
        let c = self.count.to_le_bytes();
        if let Some(dst) = self.rep.get_mut(8..HEADER_LEN) {
            dst.copy_from_slice(&c);
        }
    }

    /// Entries in the batch.
    pub fn count(&self) -> u32 {
        self.count
    }

    /// Encoded size in bytes.
    pub fn encoded_len(&self) -> usize {
        self.rep.len()
    }

    /// Sets the first sequence number.
    pub fn set_sequence(&mut self, seq: SequenceNumber) {
        if let Some(dst) = self.rep.get_mut(0..8) {
            dst.copy_from_slice(&seq.to_le_bytes());
        }
    }

    /// The encoded bytes (a WAL record payload).
    pub fn encoded(&self) -> &[u8] {
        &self.rep
    }

    /// Removes every entry.
    pub fn clear(&mut self) {
        self.rep.clear();
        self.rep.resize(HEADER_LEN, 0);
        self.count = 0;
    }

    /// The entries, decoded (the rep was built by this type, so decoding cannot fail on bounds).
    pub fn entries(&self) -> Result<BatchEntries<'_>> {
        BatchEntries::new(&self.rep, usize::MAX, usize::MAX)
    }
}

/// One decoded entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry<'a> {
    /// Put or delete.
    pub kind: ValueKind,
    /// The keyspace written.
    pub keyspace: KeyspaceId,
    /// The user key.
    pub key: &'a [u8],
    /// The value (empty for a delete).
    pub value: &'a [u8],
}

/// A decoder over an encoded batch that yields its entries in order.
#[derive(Debug, Clone)]
pub struct BatchEntries<'a> {
    d: Decoder<'a>,
    sequence: SequenceNumber,
    commit_time: Option<u64>,
    count: u32,
    left: u32,
    key_len_max: usize,
    value_len_max: usize,
}

impl<'a> BatchEntries<'a> {
    /// Starts decoding `bytes`; keys and values longer than the bounds are corruption.
    pub fn new(bytes: &'a [u8], key_len_max: usize, value_len_max: usize) -> Result<Self> {
        let mut d = Decoder::new(bytes, "write batch");
        let sequence = d.fixed64()?;
        let count_and_flags = d.fixed32()?;
        let count = count_and_flags & !FLAG_COMMIT_TIME;
        let commit_time =
            if count_and_flags & FLAG_COMMIT_TIME != 0 { Some(d.fixed64()?) } else { None };
        // Each entry takes at least 3 bytes: reject absurd counts before iterating.
        if u64::from(count) * 3 > d.remaining().len() as u64 {
            return Err(Error::corruption(format!(
                "write batch: count {count} does not fit {} bytes",
                bytes.len()
            )));
        }
        Ok(BatchEntries {
            d,
            sequence,
            commit_time,
            count,
            left: count,
            key_len_max,
            value_len_max,
        })
    }

    /// First sequence number of the batch.
    pub fn sequence(&self) -> SequenceNumber {
        self.sequence
    }

    /// The commit time (milliseconds since the Unix epoch) the batch carries: a commit-time
    /// marker's, or `None` for an ordinary batch (whose time is the last marker's before it in
    /// its WAL file).
    pub fn commit_time(&self) -> Option<u64> {
        self.commit_time
    }

    /// Number of entries the header announces.
    pub fn entry_count(&self) -> u32 {
        self.count
    }

    fn decode_one(&mut self) -> Result<Entry<'a>> {
        let kind_byte = self.d.u8()?;
        let kind = ValueKind::from_u8(kind_byte)
            .ok_or_else(|| Error::corruption(format!("write batch: bad entry kind {kind_byte}")))?;
        let keyspace = self.d.varint32()?;
        let key = self.d.length_prefixed(self.key_len_max)?;
        let value = match kind {
            ValueKind::Put => self.d.length_prefixed(self.value_len_max)?,
            ValueKind::Delete => &[],
            ValueKind::Blob => {
                return Err(Error::corruption("write batch: a blob entry (only tables hold them)"))
            }
        };
        Ok(Entry { kind, keyspace, key, value })
    }
}

impl<'a> Iterator for BatchEntries<'a> {
    type Item = Result<Entry<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            if self.d.is_empty() {
                return None;
            }
            self.d = Decoder::new(&[], "write batch");
            return Some(Err(Error::corruption(
                "write batch: trailing bytes after the last entry",
            )));
        }
        self.left -= 1;
        let r = self.decode_one();
        if r.is_err() {
            self.left = 0;
            self.d = Decoder::new(&[], "write batch");
        }
        Some(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let mut b = BatchRep::new();
        b.put(0, b"k1", b"v1");
        b.delete(7, b"k2");
        b.put(300, b"", b"");
        b.set_sequence(42);
        let e = BatchEntries::new(b.encoded(), 100, 100).unwrap();
        assert_eq!(e.sequence(), 42);
        assert_eq!(e.commit_time(), None);
        assert_eq!(e.entry_count(), 3);
        let got: Vec<_> = e.collect::<Result<_>>().unwrap();
        assert_eq!(
            got,
            vec![
                Entry { kind: ValueKind::Put, keyspace: 0, key: b"k1", value: b"v1" },
                Entry { kind: ValueKind::Delete, keyspace: 7, key: b"k2", value: b"" },
                Entry { kind: ValueKind::Put, keyspace: 300, key: b"", value: b"" },
            ]
        );
    }

    #[test]
    fn worked_example_bytes() {
        let mut b = BatchRep::new();
        b.put(0, b"a", b"1");
        b.set_sequence(5);
        assert_eq!(b.encoded(), &[5, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 1, b'a', 1, b'1'][..]);
        assert_eq!(hex(b.encoded()), documented("batch::tests::worked_example_bytes"));
        let marker = time_marker(5, 1_765_000_000_000);
        assert_eq!(hex(&marker), documented("batch::tests::worked_example_marker"));
        let e = BatchEntries::new(&marker, 100, 100).unwrap();
        let (seq, time, count) = (e.sequence(), e.commit_time(), e.entry_count());
        assert_eq!((seq, time, count), (5, Some(1_765_000_000_000), 0));
        assert_eq!(e.count(), 0);
    }

    /// The bytes of the first text block after the mention of `test` in docs/format/wal.md.
    fn documented(test: &str) -> String {
        let doc = include_str!("../../docs/format/wal.md");
        let block = doc.split(&format!("test `{test}`")).nth(1).unwrap();
        let bytes: Vec<&str> = block
            .lines()
            .skip_while(|l| !l.starts_with("```text"))
            .skip(1)
            .take_while(|l| !l.starts_with("```"))
            .map(|l| l.split("   ").next().unwrap().trim())
            .collect();
        bytes.join(" ")
    }

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect::<Vec<_>>().join(" ")
    }

    #[test]
    fn a_timed_batch_with_entries_decodes_too() {
        // Writers only time empty batches (markers), but the flag is general.
        let mut bytes = time_marker(9, 77).to_vec();
        bytes[8] = 1;
        bytes.extend_from_slice(&[2, 3, 1, b'k']);
        let e = BatchEntries::new(&bytes, 100, 100).unwrap();
        assert_eq!((e.sequence(), e.commit_time(), e.entry_count()), (9, Some(77), 1));
        let got: Vec<_> = e.collect::<Result<_>>().unwrap();
        let want = Entry { kind: ValueKind::Delete, keyspace: 3, key: b"k", value: b"" };
        assert_eq!(got, vec![want]);
    }

    #[test]
    fn malformed_is_corruption_never_panic() {
        let mut b = BatchRep::new();
        b.put(1, b"key", b"value");
        b.delete(1, b"gone");
        let enc = b.encoded().to_vec();
        for cut in 0..enc.len() {
            let r = BatchEntries::new(&enc[..cut], 100, 100)
                .and_then(|e| e.collect::<Result<Vec<_>>>());
            assert!(r.is_err(), "cut at {cut} decoded");
        }
        let mut extra = enc.clone();
        extra.push(0);
        assert!(BatchEntries::new(&extra, 100, 100).unwrap().collect::<Result<Vec<_>>>().is_err());
        // Bounds.
        assert!(BatchEntries::new(&enc, 2, 100).unwrap().collect::<Result<Vec<_>>>().is_err());
        // Every single-byte mutation decodes or errors, never panics.
        for i in 0..enc.len() {
            for x in [1u8, 0x80, 0xff] {
                let mut m = enc.clone();
                m[i] ^= x;
                let _ = BatchEntries::new(&m, 100, 100).map(|e| e.collect::<Vec<_>>());
            }
        }
        // Huge count with little data.
        let mut huge = enc.clone();
        huge[8..12].copy_from_slice(&(u32::MAX >> 1).to_le_bytes());
        assert!(BatchEntries::new(&huge, 100, 100).is_err());
    }
}
