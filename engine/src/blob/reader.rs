//! [`BlobFile`]: reads values of one blob file by pointer, and walks all its records (`verify`,
//! `blob-dump`).

use super::{
    decode_footer, decode_header, decode_record, BlobPointer, BLOB_FOOTER_LEN, BLOB_HEADER_LEN,
    RECORD_HEADER_LEN,
};
use crate::error::{Error, Result};
use crate::fs::ReadableFile;
use crate::perf::{self, Stat};
use std::sync::Arc;

/// One decoded record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlobRecord<'a> {
    /// The record's stored crc.
    pub crc: u32,
    /// The key it was written for.
    pub key: &'a [u8],
    /// The value.
    pub value: &'a [u8],
}

/// An open blob file.
#[derive(Debug)]
pub struct BlobFile {
    file: Arc<dyn ReadableFile>,
    number: u64,
    /// Length of the file as the manifest records it.
    size: u64,
}

impl BlobFile {
    /// Opens blob file `number` of `size` bytes (the manifest's figure) read through `file`.
    pub fn new(file: Arc<dyn ReadableFile>, number: u64, size: u64) -> BlobFile {
        BlobFile { file, number, size }
    }

    /// The file's number.
    pub fn number(&self) -> u64 {
        self.number
    }

    fn corrupt(&self, what: impl std::fmt::Display) -> Error {
        Error::corruption(format!("blob file {}: {what}", self.number))
    }

    /// The value `p` points to, written for `key`; every check of the module docs applies.
    /// `value_len_max` bounds the read before anything is allocated.
    pub fn read(&self, key: &[u8], p: &BlobPointer, value_len_max: usize) -> Result<Vec<u8>> {
        if p.file != self.number {
            return Err(self.corrupt(format!("pointer names file {}", p.file)));
        }
        if p.value_len as usize > value_len_max {
            return Err(self.corrupt(format!(
                "pointer to a value of {} bytes, more than value_len_max ({value_len_max})",
                p.value_len
            )));
        }
        let len = p.record_len(key.len());
        let end = p.offset.checked_add(len as u64);
        if p.offset < BLOB_HEADER_LEN as u64
            || end.is_none_or(|e| e > self.size.saturating_sub(BLOB_FOOTER_LEN as u64))
        {
            return Err(self.corrupt(format!(
                "pointer to {len} bytes at offset {} outside the records of a {}-byte file",
                p.offset, self.size
            )));
        }
        let mut buf = vec![0u8; len];
        let t = perf::timer();
        let n = self.file.read_full_at(&mut buf, p.offset);
        t.stop(Stat::FileReadNanos);
        perf::count(Stat::FileReads, 1);
        perf::count(Stat::FileReadBytes, len as u64);
        let n = n?;
        if n < len {
            return Err(self.corrupt(format!("short read at offset {}: {n} of {len}", p.offset)));
        }
        let (rec, _) = decode_record(&buf).map_err(|e| self.corrupt(e))?;
        if rec.crc != p.crc || rec.key != key || rec.value.len() != p.value_len as usize {
            return Err(self.corrupt(format!(
                "the record at offset {} is not the one the pointer names (crc {:#010x}, \
                 pointer {:#010x})",
                p.offset, rec.crc, p.crc
            )));
        }
        // The value is the buffer's tail: keep the allocation, drop the header and key.
        buf.drain(..RECORD_HEADER_LEN + key.len());
        Ok(buf)
    }

    /// Reads the whole file and calls `visit(offset, record)` for every record in order, then
    /// checks the header, the footer and that the footer's counts match: what `verify` and
    /// `blob-dump` do. Returns (records, record bytes).
    pub fn scan(&self, mut visit: impl FnMut(u64, &BlobRecord<'_>)) -> Result<(u64, u64)> {
        let len = self.file.len()?;
        if len != self.size {
            return Err(self.corrupt(format!("{len} bytes, the manifest says {}", self.size)));
        }
        if len < (BLOB_HEADER_LEN + BLOB_FOOTER_LEN) as u64 {
            return Err(self.corrupt(format!("{len} bytes: shorter than a header and a footer")));
        }
        let mut head = [0u8; BLOB_HEADER_LEN];
        self.file.read_full_at(&mut head, 0)?;
        let keyspace = decode_header(&head).map_err(|e| self.corrupt(e))?;
        let mut foot = [0u8; BLOB_FOOTER_LEN];
        let records_end = len - BLOB_FOOTER_LEN as u64;
        self.file.read_full_at(&mut foot, records_end)?;
        let (want_records, want_bytes, footer_keyspace) =
            decode_footer(&foot).map_err(|e| self.corrupt(e))?;
        if keyspace != footer_keyspace {
            return Err(self.corrupt(format!(
                "header names keyspace {keyspace}, the footer {footer_keyspace}"
            )));
        }
        // One record in memory at a time: its length is bounded by the file's own length.
        let mut at = BLOB_HEADER_LEN as u64;
        let (mut records, mut bytes) = (0u64, 0u64);
        let mut buf: Vec<u8> = Vec::new();
        while at < records_end {
            let mut head = [0u8; RECORD_HEADER_LEN];
            self.file.read_full_at(&mut head, at)?;
            let mut d = crate::util::coding::Decoder::new(&head, "blob record header");
            let (_crc, _ty) = (d.fixed32()?, d.u8()?);
            let (key_len, value_len) = (u64::from(d.fixed32()?), u64::from(d.fixed32()?));
            let rec_len = RECORD_HEADER_LEN as u64 + key_len + value_len;
            if at + rec_len > records_end {
                return Err(self.corrupt(format!(
                    "record at offset {at} of {rec_len} bytes runs past the records"
                )));
            }
            // At most the file's length (checked just above).
            let rec_len = rec_len as usize;
            buf.resize(rec_len, 0);
            if self.file.read_full_at(&mut buf, at)? < rec_len {
                return Err(self.corrupt(format!("short read at offset {at}")));
            }
            let (rec, _) =
                decode_record(&buf).map_err(|e| self.corrupt(format!("offset {at}: {e}")))?;
            visit(at, &rec);
            records += 1;
            bytes += rec_len as u64;
            at += rec_len as u64;
        }
        if (records, bytes) != (want_records, want_bytes) {
            return Err(self.corrupt(format!(
                "{records} records of {bytes} bytes, the footer says {want_records} of {want_bytes}"
            )));
        }
        Ok((records, bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::super::{BlobWriter, TYPE_VALUE};
    use super::*;
    use crate::fs::{FileSystem, MemFs};
    use std::path::Path;

    fn write(fs: &MemFs, values: &[(&[u8], Vec<u8>)]) -> (Vec<BlobPointer>, u64) {
        let f = fs.create(Path::new("/b")).unwrap();
        let mut w = BlobWriter::new(f, 9, 1);
        let ptrs = values.iter().map(|(k, v)| w.add(k, v).unwrap()).collect();
        let s = w.finish().unwrap();
        (ptrs, s.size)
    }

    #[test]
    fn pointers_read_back_and_wrong_ones_are_corruption() {
        let fs = MemFs::new();
        let values: Vec<(&[u8], Vec<u8>)> =
            vec![(b"a", vec![1; 10]), (b"bb", vec![2; 3_000_000]), (b"c", Vec::new())];
        let (ptrs, size) = write(&fs, &values);
        let file = BlobFile::new(fs.open(Path::new("/b")).unwrap(), 9, size);
        for ((k, v), p) in values.iter().zip(&ptrs) {
            assert_eq!(&file.read(k, p, 1 << 30).unwrap(), v);
        }
        // The wrong key, a shifted offset, a wrong crc, another file, past the end, over the
        // bound: corruption every time, never a value.
        let p = ptrs[0];
        assert!(file.read(b"x", &p, 1 << 30).is_err());
        assert!(file.read(b"a", &BlobPointer { offset: p.offset + 1, ..p }, 1 << 30).is_err());
        assert!(file.read(b"a", &BlobPointer { crc: p.crc ^ 1, ..p }, 1 << 30).is_err());
        assert!(file.read(b"a", &BlobPointer { file: 8, ..p }, 1 << 30).is_err());
        assert!(file.read(b"a", &BlobPointer { offset: size, ..p }, 1 << 30).is_err());
        assert!(file.read(b"a", &BlobPointer { offset: 0, ..p }, 1 << 30).is_err());
        assert!(file.read(b"bb", &ptrs[1], 1000).is_err());
        let mut seen = Vec::new();
        let (n, _) = file.scan(|off, r| seen.push((off, r.key.to_vec()))).unwrap();
        assert_eq!(n, 3);
        assert_eq!(
            seen.iter().map(|s| s.0).collect::<Vec<_>>(),
            ptrs.iter().map(|p| p.offset).collect::<Vec<_>>()
        );
    }

    #[test]
    fn scan_finds_every_damaged_byte() {
        let fs = MemFs::new();
        let (_, size) = write(&fs, &[(b"k1", vec![5; 50]), (b"k2", vec![6; 70])]);
        let good = fs.file_bytes(Path::new("/b")).unwrap();
        assert_eq!(good.len() as u64, size);
        assert_eq!(good[BLOB_HEADER_LEN + 4], TYPE_VALUE);
        for i in 0..good.len() {
            let mut bad = good.clone();
            bad[i] ^= 0x10;
            let f = fs.create(Path::new("/bad")).unwrap();
            f.append(&bad).unwrap();
            let file = BlobFile::new(fs.open(Path::new("/bad")).unwrap(), 9, size);
            assert!(file.scan(|_, _| {}).is_err(), "flip at byte {i} passed the scan");
        }
        // Cut short: the length no longer matches the manifest's.
        let f = fs.create(Path::new("/cut")).unwrap();
        f.append(&good[..good.len() - 1]).unwrap();
        assert!(BlobFile::new(fs.open(Path::new("/cut")).unwrap(), 9, size)
            .scan(|_, _| {})
            .is_err());
    }
}
