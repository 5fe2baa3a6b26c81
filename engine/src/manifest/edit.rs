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
        }
        Ok(())
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
        assert!(s.apply(&VersionEdit { drop_keyspaces: vec![1], ..Default::default() }).is_err());
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
