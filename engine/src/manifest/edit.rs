//! [`VersionEdit`] codec and the state it edits.

use crate::batch::KeyspaceId;
use crate::error::{Error, Result};
use crate::key::SequenceNumber;
use crate::util::coding::{self, Decoder};
use std::collections::BTreeMap;

/// Longest keyspace name, in bytes.
pub const KEYSPACE_NAME_LEN_MAX: usize = 255;

const TAG_NEXT_FILE: u32 = 1;
const TAG_LAST_SEQUENCE: u32 = 2;
const TAG_LOG_NUMBER: u32 = 3;
const TAG_NEXT_KEYSPACE: u32 = 4;
const TAG_ADD_KEYSPACE: u32 = 5;
const TAG_DROP_KEYSPACE: u32 = 6;
const TAG_NEW_FILE: u32 = 7;
const TAG_DELETE_FILE: u32 = 8;
const TAG_KEYSPACE_LOG: u32 = 9;
const TAG_NEW_BLOB_FILE: u32 = 10;
const TAG_BLOB_GARBAGE: u32 = 11;
const TAG_DELETE_BLOB_FILE: u32 = 12;
const TAG_NEW_FILE_WITH_BLOBS: u32 = 13;
/// Most blob files one table may point into (a table's references are listed in its record).
pub const TABLE_BLOB_REFS_MAX: usize = 1 << 16;

/// Number of levels of the tree (L0 .. L6).
pub const LEVELS: usize = 7;
/// Longest smallest/largest key recorded for a file (an internal key: user key + 8).
const FILE_KEY_LEN_MAX: usize = (16 << 20) + 8;

/// What the manifest records about one SSTable.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileMeta {
    /// File number (`NNNNNN.sst`).
    pub number: u64,
    /// Size in bytes.
    pub size: u64,
    /// Smallest internal key (encoded: user key ++ trailer).
    pub smallest: Vec<u8>,
    /// Largest internal key (encoded).
    pub largest: Vec<u8>,
    /// Smallest sequence number.
    pub smallest_seq: SequenceNumber,
    /// Largest sequence number.
    pub largest_seq: SequenceNumber,
    /// Entries in the file.
    pub entries: u64,
    /// The blob files its entries point into, ascending (empty: none).
    pub blob_refs: Vec<u64>,
}

impl FileMeta {
    /// The smallest user key.
    pub fn smallest_user_key(&self) -> &[u8] {
        crate::key::split_internal(&self.smallest).map_or(&[], |(k, _)| k)
    }

    /// The largest user key.
    pub fn largest_user_key(&self) -> &[u8] {
        crate::key::split_internal(&self.largest).map_or(&[], |(k, _)| k)
    }

    fn encode_to(&self, b: &mut Vec<u8>) {
        coding::put_varint64(b, self.number);
        coding::put_varint64(b, self.size);
        coding::put_length_prefixed(b, &self.smallest);
        coding::put_length_prefixed(b, &self.largest);
        coding::put_varint64(b, self.smallest_seq);
        coding::put_varint64(b, self.largest_seq);
        coding::put_varint64(b, self.entries);
    }

    fn decode_from(d: &mut Decoder<'_>) -> Result<Self> {
        Ok(FileMeta {
            number: d.varint64()?,
            size: d.varint64()?,
            smallest: d.length_prefixed(FILE_KEY_LEN_MAX)?.to_vec(),
            largest: d.length_prefixed(FILE_KEY_LEN_MAX)?.to_vec(),
            smallest_seq: d.varint64()?,
            largest_seq: d.varint64()?,
            entries: d.varint64()?,
            blob_refs: Vec::new(),
        })
    }

    /// The blob references of tag 13: a count, then the numbers ascending.
    fn encode_blob_refs(&self, b: &mut Vec<u8>) {
        coding::put_varint32(b, self.blob_refs.len() as u32);
        for n in &self.blob_refs {
            coding::put_varint64(b, *n);
        }
    }

    fn decode_blob_refs(&mut self, d: &mut Decoder<'_>) -> Result<()> {
        let n = d.varint32()? as usize;
        // Each number takes at least one byte: refuse a count the record cannot hold.
        if n > TABLE_BLOB_REFS_MAX || n > d.remaining().len() {
            return Err(Error::corruption(format!("version edit: {n} blob references")));
        }
        let mut refs = Vec::with_capacity(n);
        for _ in 0..n {
            let r = d.varint64()?;
            if refs.last().is_some_and(|&l| l >= r) {
                return Err(Error::corruption("version edit: blob references out of order"));
            }
            refs.push(r);
        }
        self.blob_refs = refs;
        Ok(())
    }
}

/// What the manifest records about one blob file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BlobFileMeta {
    /// File number (`NNNNNN.blob`).
    pub number: u64,
    /// Size in bytes.
    pub size: u64,
    /// Value records in the file.
    pub records: u64,
    /// Bytes of those records.
    pub record_bytes: u64,
    /// Records no table points to any more.
    pub garbage_records: u64,
    /// Bytes of those records.
    pub garbage_bytes: u64,
}

impl BlobFileMeta {
    /// The share of the file's record bytes that is garbage (0 for an empty file).
    pub fn garbage_ratio(&self) -> f64 {
        if self.record_bytes == 0 {
            return 0.0;
        }
        self.garbage_bytes as f64 / self.record_bytes as f64
    }

    /// True when no table points into the file any more.
    pub fn all_garbage(&self) -> bool {
        self.garbage_records >= self.records
    }
}

/// Garbage found in one blob file: records and their bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BlobGarbage {
    /// Records no table points to any more.
    pub records: u64,
    /// Bytes of those records.
    pub bytes: u64,
}

/// The files of one keyspace, per level. L0 holds newest files first (they may overlap); every
/// other level is sorted by smallest key with no overlap.
pub type LevelFiles = [Vec<std::sync::Arc<FileMeta>>; LEVELS];

/// A change to the database's durable state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VersionEdit {
    /// New next-file-number.
    pub next_file: Option<u64>,
    /// New last sequence number.
    pub last_sequence: Option<SequenceNumber>,
    /// WAL files below this number are obsolete.
    pub log_number: Option<u64>,
    /// New next keyspace id.
    pub next_keyspace: Option<KeyspaceId>,
    /// Keyspaces created.
    pub add_keyspaces: Vec<(KeyspaceId, String)>,
    /// Keyspaces dropped.
    pub drop_keyspaces: Vec<KeyspaceId>,
    /// Files added: (keyspace, level, file).
    pub new_files: Vec<(KeyspaceId, u32, FileMeta)>,
    /// Files removed: (keyspace, level, file number).
    pub deleted_files: Vec<(KeyspaceId, u32, u64)>,
    /// Per keyspace: WAL files numbered below this hold none of its unflushed writes.
    pub keyspace_logs: Vec<(KeyspaceId, u64)>,
    /// Blob files added: (keyspace, file); their garbage is recorded apart.
    pub new_blob_files: Vec<(KeyspaceId, BlobFileMeta)>,
    /// Garbage found: (keyspace, blob file number, garbage), added to the file's.
    pub blob_garbage: Vec<(KeyspaceId, u64, BlobGarbage)>,
    /// Blob files removed (all their records garbage): (keyspace, file number).
    pub deleted_blob_files: Vec<(KeyspaceId, u64)>,
}

impl VersionEdit {
    /// Encodes the edit.
    pub fn encode(&self) -> Vec<u8> {
        let mut b = Vec::new();
        if let Some(v) = self.next_file {
            coding::put_varint32(&mut b, TAG_NEXT_FILE);
            coding::put_varint64(&mut b, v);
        }
        if let Some(v) = self.last_sequence {
            coding::put_varint32(&mut b, TAG_LAST_SEQUENCE);
            coding::put_varint64(&mut b, v);
        }
        if let Some(v) = self.log_number {
            coding::put_varint32(&mut b, TAG_LOG_NUMBER);
            coding::put_varint64(&mut b, v);
        }
        if let Some(v) = self.next_keyspace {
            coding::put_varint32(&mut b, TAG_NEXT_KEYSPACE);
            coding::put_varint32(&mut b, v);
        }
        for (id, name) in &self.add_keyspaces {
            coding::put_varint32(&mut b, TAG_ADD_KEYSPACE);
            coding::put_varint32(&mut b, *id);
            coding::put_length_prefixed(&mut b, name.as_bytes());
        }
        for id in &self.drop_keyspaces {
            coding::put_varint32(&mut b, TAG_DROP_KEYSPACE);
            coding::put_varint32(&mut b, *id);
        }
        for (ks, level, f) in &self.new_files {
            let tag = if f.blob_refs.is_empty() { TAG_NEW_FILE } else { TAG_NEW_FILE_WITH_BLOBS };
            coding::put_varint32(&mut b, tag);
            coding::put_varint32(&mut b, *ks);
            coding::put_varint32(&mut b, *level);
            f.encode_to(&mut b);
            if tag == TAG_NEW_FILE_WITH_BLOBS {
                f.encode_blob_refs(&mut b);
            }
        }
        for (ks, level, number) in &self.deleted_files {
            coding::put_varint32(&mut b, TAG_DELETE_FILE);
            coding::put_varint32(&mut b, *ks);
            coding::put_varint32(&mut b, *level);
            coding::put_varint64(&mut b, *number);
        }
        for (ks, log) in &self.keyspace_logs {
            coding::put_varint32(&mut b, TAG_KEYSPACE_LOG);
            coding::put_varint32(&mut b, *ks);
            coding::put_varint64(&mut b, *log);
        }
        for (ks, f) in &self.new_blob_files {
            coding::put_varint32(&mut b, TAG_NEW_BLOB_FILE);
            coding::put_varint32(&mut b, *ks);
            coding::put_varint64(&mut b, f.number);
            coding::put_varint64(&mut b, f.size);
            coding::put_varint64(&mut b, f.records);
            coding::put_varint64(&mut b, f.record_bytes);
        }
        for (ks, number, g) in &self.blob_garbage {
            coding::put_varint32(&mut b, TAG_BLOB_GARBAGE);
            coding::put_varint32(&mut b, *ks);
            coding::put_varint64(&mut b, *number);
            coding::put_varint64(&mut b, g.records);
            coding::put_varint64(&mut b, g.bytes);
        }
        for (ks, number) in &self.deleted_blob_files {
            coding::put_varint32(&mut b, TAG_DELETE_BLOB_FILE);
            coding::put_varint32(&mut b, *ks);
            coding::put_varint64(&mut b, *number);
        }
        b
    }

    /// Decodes an edit; any malformed byte is corruption.
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        let mut d = Decoder::new(bytes, "version edit");
        let mut e = VersionEdit::default();
        while !d.is_empty() {
            match d.varint32()? {
                TAG_NEXT_FILE => e.next_file = Some(d.varint64()?),
                TAG_LAST_SEQUENCE => e.last_sequence = Some(d.varint64()?),
                TAG_LOG_NUMBER => e.log_number = Some(d.varint64()?),
                TAG_NEXT_KEYSPACE => e.next_keyspace = Some(d.varint32()?),
                TAG_ADD_KEYSPACE => {
                    let id = d.varint32()?;
                    let name = d.length_prefixed(KEYSPACE_NAME_LEN_MAX)?;
                    let name = std::str::from_utf8(name).map_err(|_| {
                        Error::corruption("version edit: keyspace name is not UTF-8")
                    })?;
                    e.add_keyspaces.push((id, name.to_owned()));
                }
                TAG_DROP_KEYSPACE => e.drop_keyspaces.push(d.varint32()?),
                tag @ (TAG_NEW_FILE | TAG_NEW_FILE_WITH_BLOBS) => {
                    let ks = d.varint32()?;
                    let level = d.varint32()?;
                    let mut f = FileMeta::decode_from(&mut d)?;
                    if tag == TAG_NEW_FILE_WITH_BLOBS {
                        f.decode_blob_refs(&mut d)?;
                    }
                    e.new_files.push((ks, level, f));
                }
                TAG_NEW_BLOB_FILE => {
                    let ks = d.varint32()?;
                    let f = BlobFileMeta {
                        number: d.varint64()?,
                        size: d.varint64()?,
                        records: d.varint64()?,
                        record_bytes: d.varint64()?,
                        ..Default::default()
                    };
                    e.new_blob_files.push((ks, f));
                }
                TAG_BLOB_GARBAGE => {
                    let ks = d.varint32()?;
                    let number = d.varint64()?;
                    let g = BlobGarbage { records: d.varint64()?, bytes: d.varint64()? };
                    e.blob_garbage.push((ks, number, g));
                }
                TAG_DELETE_BLOB_FILE => {
                    let ks = d.varint32()?;
                    e.deleted_blob_files.push((ks, d.varint64()?));
                }
                TAG_DELETE_FILE => {
                    let ks = d.varint32()?;
                    let level = d.varint32()?;
                    e.deleted_files.push((ks, level, d.varint64()?));
                }
                TAG_KEYSPACE_LOG => {
                    let ks = d.varint32()?;
                    e.keyspace_logs.push((ks, d.varint64()?));
                }
                tag => return Err(Error::corruption(format!("version edit: unknown tag {tag}"))),
            }
        }
        Ok(e)
    }
}

/// The state a sequence of edits builds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ManifestState {
    /// Next file number to hand out.
    pub next_file: u64,
    /// Last sequence number made durable through the manifest (the WAL may know later ones).
    pub last_sequence: SequenceNumber,
    /// WAL files numbered below this are obsolete.
    pub log_number: u64,
    /// Next keyspace id to hand out.
    pub next_keyspace: KeyspaceId,
    /// Live keyspaces.
    pub keyspaces: BTreeMap<KeyspaceId, String>,
    /// Each live keyspace's files.
    pub files: BTreeMap<KeyspaceId, LevelFiles>,
    /// Each live keyspace's log number (absent: the global log number).
    pub keyspace_logs: BTreeMap<KeyspaceId, u64>,
    /// Each live keyspace's blob files, by number.
    pub blobs: BTreeMap<KeyspaceId, BTreeMap<u64, BlobFileMeta>>,
}

impl ManifestState {
    /// Applies an edit, checking it against the state.
    pub fn apply(&mut self, e: &VersionEdit) -> Result<()> {
        if let Some(v) = e.next_file {
            self.next_file = v;
        }
        if let Some(v) = e.last_sequence {
            self.last_sequence = self.last_sequence.max(v);
        }
        if let Some(v) = e.log_number {
            self.log_number = v;
        }
        if let Some(v) = e.next_keyspace {
            self.next_keyspace = v;
        }
        for (id, name) in &e.add_keyspaces {
            if self.keyspaces.values().any(|n| n == name) || self.keyspaces.contains_key(id) {
                return Err(Error::corruption(format!(
                    "manifest: keyspace {name:?} (id {id}) added twice"
                )));
            }
            self.keyspaces.insert(*id, name.clone());
            self.next_keyspace = self.next_keyspace.max(id.saturating_add(1));
        }
        for id in &e.drop_keyspaces {
            if self.keyspaces.remove(id).is_none() {
                return Err(Error::corruption(format!("manifest: dropping unknown keyspace {id}")));
            }
            self.files.remove(id);
            self.keyspace_logs.remove(id);
            self.blobs.remove(id);
        }
        for (ks, level, number) in &e.deleted_files {
            let files = self.level_mut(*ks, *level)?;
            let before = files.len();
            files.retain(|f| f.number != *number);
            if files.len() == before {
                return Err(Error::corruption(format!(
                    "manifest: deleting file {number} not in keyspace {ks} level {level}"
                )));
            }
        }
        for (ks, level, f) in &e.new_files {
            let level_files = self.level_mut(*ks, *level)?;
            level_files.push(std::sync::Arc::new(f.clone()));
            if *level == 0 {
                // Newest data first: by largest sequence (runs' sequence ranges are disjoint),
                // then by file number.
                level_files.sort_by_key(|f| std::cmp::Reverse((f.largest_seq, f.number)));
            } else {
                level_files.sort_by(|a, b| crate::key::compare_internal(&a.smallest, &b.smallest));
            }
        }
        for (ks, log) in &e.keyspace_logs {
            if self.keyspaces.contains_key(ks) {
                self.keyspace_logs.insert(*ks, *log);
            }
        }
        self.apply_blobs(e)
    }

    /// The blob-file part of [`ManifestState::apply`]: new files, then garbage, then removals
    /// (a removed file must be all garbage). Runs after the table part: a table added by this
    /// edit may point only into blob files that exist once it is applied.
    fn apply_blobs(&mut self, e: &VersionEdit) -> Result<()> {
        for (ks, f) in &e.new_blob_files {
            self.check_keyspace(*ks)?;
            let files = self.blobs.entry(*ks).or_default();
            if files.insert(f.number, f.clone()).is_some() {
                return Err(Error::corruption(format!(
                    "manifest: blob file {} added twice",
                    f.number
                )));
            }
        }
        for (ks, number, g) in &e.blob_garbage {
            let f = self.blob_mut(*ks, *number)?;
            f.garbage_records = f.garbage_records.saturating_add(g.records);
            f.garbage_bytes = f.garbage_bytes.saturating_add(g.bytes);
            if f.garbage_records > f.records || f.garbage_bytes > f.record_bytes {
                return Err(Error::corruption(format!(
                    "manifest: blob file {number} has more garbage ({} records, {} bytes) than \
                     records ({}, {} bytes)",
                    f.garbage_records, f.garbage_bytes, f.records, f.record_bytes
                )));
            }
        }
        for (ks, number) in &e.deleted_blob_files {
            let f = self.blob_mut(*ks, *number)?;
            if !f.all_garbage() {
                return Err(Error::corruption(format!(
                    "manifest: blob file {number} removed with {} of {} records live",
                    f.records - f.garbage_records,
                    f.records
                )));
            }
            self.blobs.get_mut(ks).map(|m| m.remove(number));
        }
        for (ks, _, f) in &e.new_files {
            for r in &f.blob_refs {
                if !self.blobs.get(ks).is_some_and(|m| m.contains_key(r)) {
                    return Err(Error::corruption(format!(
                        "manifest: table {} points into blob file {r}, which keyspace {ks} \
                         does not have",
                        f.number
                    )));
                }
            }
        }
        Ok(())
    }

    fn check_keyspace(&self, ks: KeyspaceId) -> Result<()> {
        if self.keyspaces.contains_key(&ks) {
            Ok(())
        } else {
            Err(Error::corruption(format!("manifest: file edit for unknown keyspace {ks}")))
        }
    }

    fn blob_mut(&mut self, ks: KeyspaceId, number: u64) -> Result<&mut BlobFileMeta> {
        self.blobs.get_mut(&ks).and_then(|m| m.get_mut(&number)).ok_or_else(|| {
            Error::corruption(format!("manifest: keyspace {ks} has no blob file {number}"))
        })
    }

    /// Every live blob file number.
    pub fn live_blob_files(&self) -> impl Iterator<Item = u64> + '_ {
        self.blobs.values().flat_map(|m| m.keys().copied())
    }

    fn level_mut(
        &mut self,
        ks: KeyspaceId,
        level: u32,
    ) -> Result<&mut Vec<std::sync::Arc<FileMeta>>> {
        self.check_keyspace(ks)?;
        self.files
            .entry(ks)
            .or_default()
            .get_mut(level as usize)
            .ok_or_else(|| Error::corruption(format!("manifest: level {level} out of range")))
    }

    /// The log number of keyspace `ks`: its writes in WAL files below it are all in SSTables.
    pub fn keyspace_log(&self, ks: KeyspaceId) -> u64 {
        self.keyspace_logs.get(&ks).copied().unwrap_or(self.log_number).max(self.log_number)
    }

    /// Every live file number.
    pub fn live_files(&self) -> impl Iterator<Item = u64> + '_ {
        self.files.values().flat_map(|levels| levels.iter().flatten().map(|f| f.number))
    }

    /// One edit that recreates this whole state.
    pub fn snapshot(&self) -> VersionEdit {
        VersionEdit {
            next_file: Some(self.next_file),
            last_sequence: Some(self.last_sequence),
            log_number: Some(self.log_number),
            next_keyspace: Some(self.next_keyspace),
            add_keyspaces: self.keyspaces.iter().map(|(id, n)| (*id, n.clone())).collect(),
            drop_keyspaces: Vec::new(),
            new_files: self
                .files
                .iter()
                .flat_map(|(ks, levels)| {
                    levels.iter().enumerate().flat_map(move |(level, files)| {
                        files.iter().map(move |f| (*ks, level as u32, (**f).clone()))
                    })
                })
                .collect(),
            deleted_files: Vec::new(),
            keyspace_logs: self.keyspace_logs.iter().map(|(k, l)| (*k, *l)).collect(),
            new_blob_files: self
                .blobs
                .iter()
                .flat_map(|(ks, m)| {
                    m.values().map(|f| {
                        (*ks, BlobFileMeta { garbage_records: 0, garbage_bytes: 0, ..f.clone() })
                    })
                })
                .collect(),
            blob_garbage: self
                .blobs
                .iter()
                .flat_map(|(ks, m)| {
                    m.values().filter(|f| f.garbage_records > 0 || f.garbage_bytes > 0).map(|f| {
                        let g = BlobGarbage { records: f.garbage_records, bytes: f.garbage_bytes };
                        (*ks, f.number, g)
                    })
                })
                .collect(),
            deleted_blob_files: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_apply() {
        let e = VersionEdit {
            next_file: Some(9),
            last_sequence: Some(1234),
            log_number: Some(3),
            next_keyspace: Some(2),
            add_keyspaces: vec![(0, "default".into()), (1, "users".into())],
            drop_keyspaces: vec![],
            new_files: vec![(
                1,
                0,
                FileMeta {
                    number: 7,
                    size: 4096,
                    smallest: b"a\x01\0\0\0\0\0\0\0".to_vec(),
                    largest: b"z\x01\0\0\0\0\0\0\0".to_vec(),
                    smallest_seq: 1,
                    largest_seq: 9,
                    entries: 20,
                    blob_refs: vec![],
                },
            )],
            deleted_files: vec![],
            keyspace_logs: vec![(1, 5)],
            ..Default::default()
        };
        let dec = VersionEdit::decode(&e.encode()).unwrap();
        assert_eq!(dec, e);
        let mut s = ManifestState::default();
        s.apply(&dec).unwrap();
        s.apply(&VersionEdit { drop_keyspaces: vec![1], ..Default::default() }).unwrap();
        assert_eq!(s.keyspaces.len(), 1);
        let mut again = ManifestState::default();
        again.apply(&s.snapshot()).unwrap();
        assert_eq!(again, s);
        // Files of a dropped keyspace go with it; deleting an absent file is corruption.
        assert!(!s.files.contains_key(&1));
        let mut t = ManifestState::default();
        t.apply(&dec).unwrap();
        assert_eq!(t.files[&1][0].len(), 1);
        assert_eq!(t.keyspace_log(1), 5);
        assert_eq!(t.live_files().collect::<Vec<_>>(), vec![7]);
        t.apply(&VersionEdit { deleted_files: vec![(1, 0, 7)], ..Default::default() }).unwrap();
        assert!(t
            .apply(&VersionEdit { deleted_files: vec![(1, 0, 7)], ..Default::default() })
            .is_err());
        assert!(s.apply(&VersionEdit { drop_keyspaces: vec![1], ..Default::default() }).is_err());
    }

    #[test]
    fn blob_files_garbage_and_references() {
        let meta = |number, blob_refs: Vec<u64>| FileMeta {
            number,
            smallest: b"a\x01\0\0\0\0\0\0\0".to_vec(),
            largest: b"b\x01\0\0\0\0\0\0\0".to_vec(),
            blob_refs,
            ..Default::default()
        };
        let blob = |number| BlobFileMeta {
            number,
            size: 1000,
            records: 4,
            record_bytes: 900,
            ..Default::default()
        };
        let mut s = ManifestState::default();
        s.apply(&VersionEdit { add_keyspaces: vec![(0, "default".into())], ..Default::default() })
            .unwrap();
        let add = VersionEdit {
            new_files: vec![(0, 1, meta(10, vec![5, 6])), (0, 1, meta(11, vec![]))],
            new_blob_files: vec![(0, blob(5)), (0, blob(6))],
            ..Default::default()
        };
        assert_eq!(VersionEdit::decode(&add.encode()).unwrap(), add);
        s.apply(&add).unwrap();
        let g = BlobGarbage { records: 3, bytes: 600 };
        let e = VersionEdit { blob_garbage: vec![(0, 5, g)], ..Default::default() };
        assert_eq!(VersionEdit::decode(&e.encode()).unwrap(), e);
        s.apply(&e).unwrap();
        assert!((s.blobs[&0][&5].garbage_ratio() - 600.0 / 900.0).abs() < 1e-9);
        // A snapshot carries files, references and garbage.
        let mut again = ManifestState::default();
        again.apply(&VersionEdit::decode(&s.snapshot().encode()).unwrap()).unwrap();
        assert_eq!(again, s);
        // Removing a file with a live record, more garbage than records, a reference to a
        // missing blob file: corruption, and the state is left as it was.
        let remove = VersionEdit { deleted_blob_files: vec![(0, 5)], ..Default::default() };
        assert!(s.clone().apply(&remove).is_err());
        let too_much = BlobGarbage { records: 2, bytes: 1 };
        assert!(s
            .clone()
            .apply(&VersionEdit { blob_garbage: vec![(0, 5, too_much)], ..Default::default() })
            .is_err());
        assert!(s
            .clone()
            .apply(&VersionEdit {
                new_files: vec![(0, 2, meta(12, vec![9]))],
                ..Default::default()
            })
            .is_err());
        assert!(s
            .clone()
            .apply(&VersionEdit { new_blob_files: vec![(0, blob(6))], ..Default::default() })
            .is_err());
        // The last record's garbage and the removal in one edit.
        let last = BlobGarbage { records: 1, bytes: 300 };
        let done = VersionEdit {
            blob_garbage: vec![(0, 5, last)],
            deleted_blob_files: vec![(0, 5)],
            ..Default::default()
        };
        s.apply(&done).unwrap();
        assert_eq!(s.live_blob_files().collect::<Vec<_>>(), vec![6]);
        // References must ascend; a huge count is refused before allocating.
        let mut bad =
            VersionEdit { new_files: vec![(0, 1, meta(13, vec![6, 6]))], ..Default::default() }
                .encode();
        assert!(VersionEdit::decode(&bad).is_err());
        bad = vec![13, 0, 1];
        meta(14, vec![]).encode_to(&mut bad);
        coding::put_varint32(&mut bad, u32::MAX);
        assert!(VersionEdit::decode(&bad).is_err());
    }

    #[test]
    fn worked_example_bytes() {
        // The snapshot record of a new database, as in docs/format/manifest.md.
        let mut s = ManifestState { next_file: 4, log_number: 3, ..Default::default() };
        s.apply(&VersionEdit { add_keyspaces: vec![(0, "default".into())], ..Default::default() })
            .unwrap();
        let mut want = vec![0x01, 0x04, 0x02, 0x00, 0x03, 0x03, 0x04, 0x01, 0x05, 0x00, 0x07];
        want.extend_from_slice(b"default");
        assert_eq!(s.snapshot().encode(), want);
        assert_eq!(want.len(), 18);
    }

    #[test]
    fn malformed_is_corruption() {
        let e = VersionEdit { add_keyspaces: vec![(3, "abc".into())], ..Default::default() };
        let enc = e.encode();
        for cut in 1..enc.len() {
            assert!(VersionEdit::decode(&enc[..cut]).is_err());
        }
        assert!(VersionEdit::decode(&[0]).is_err());
        assert!(VersionEdit::decode(&[99, 1]).is_err());
        assert!(VersionEdit::decode(&[5, 1, 2, 0xff, 0xfe]).is_err());
    }
}
