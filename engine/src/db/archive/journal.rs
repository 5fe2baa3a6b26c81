//! The archive journal's records: what the WAL archive holds (archived WAL files, base
//! checkpoints) and the keyspaces the archived batches name. The specification follows
//! (`docs/format/archive.md`).
#![doc = include_str!("../../../../docs/format/archive.md")]

use crate::batch::KeyspaceId;
use crate::error::{Error, Result};
use crate::key::SequenceNumber;
use crate::manifest::KEYSPACE_NAME_LEN_MAX;
use crate::util::coding::{self, Decoder};

/// Record types (the first byte of a journal record). 0 is reserved.
pub(crate) const TYPE_KEYSPACE_CREATED: u8 = 1;
pub(crate) const TYPE_KEYSPACE_DROPPED: u8 = 2;
pub(crate) const TYPE_FILE_ARCHIVED: u8 = 3;
pub(crate) const TYPE_FILE_REMOVED: u8 = 4;
pub(crate) const TYPE_BASE_TAKEN: u8 = 5;
pub(crate) const TYPE_BASE_REMOVED: u8 = 6;
pub(crate) const TYPE_RETENTION_SET: u8 = 7;
/// Longest journal record: a keyspace creation with the longest name.
pub(crate) const RECORD_LEN_MAX: usize = 1 + 4 + 8 + 8 + 5 + KEYSPACE_NAME_LEN_MAX;

/// The batches of one WAL file: first and last sequence numbers and commit times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct WalSpan {
    pub(crate) first_seq: SequenceNumber,
    pub(crate) last_seq: SequenceNumber,
    /// Commit times in milliseconds since the Unix epoch (0 for a batch that carries none).
    pub(crate) first_ms: u64,
    pub(crate) last_ms: u64,
}

impl WalSpan {
    /// A span of one batch.
    pub(crate) fn of(first_seq: SequenceNumber, last_seq: SequenceNumber, ms: u64) -> Self {
        WalSpan { first_seq, last_seq, first_ms: ms, last_ms: ms }
    }

    /// Widens `span` (none yet: starts it) by a batch of sequences `first..=last` at `ms`.
    pub(crate) fn extend(
        span: &mut Option<WalSpan>,
        first: SequenceNumber,
        last: SequenceNumber,
        ms: u64,
    ) {
        match span {
            Some(s) => {
                debug_assert!(first > s.last_seq, "batches follow each other in a WAL");
                s.last_seq = last;
                s.last_ms = s.last_ms.max(ms);
            }
            None => *span = Some(WalSpan::of(first, last, ms)),
        }
    }
}

/// One journal record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Record {
    /// A keyspace exists from after sequence `seq` on, since `ms`.
    KeyspaceCreated { id: KeyspaceId, seq: SequenceNumber, ms: u64, name: String },
    /// A keyspace is gone after sequence `seq`, since `ms`.
    KeyspaceDropped { id: KeyspaceId, seq: SequenceNumber, ms: u64 },
    /// WAL file `number` is in the archive, holding `span`.
    FileArchived { number: u64, span: WalSpan },
    /// WAL file `number` left the archive.
    FileRemoved { number: u64 },
    /// Base checkpoint `number` (folder `base-NNNNNN`) holds every write up to `seq`; it was
    /// taken at `taken_ms`.
    BaseTaken { number: u64, seq: SequenceNumber, taken_ms: u64 },
    /// Base checkpoint `number` left the archive.
    BaseRemoved { number: u64 },
    /// The window is `ms` long from now on (it outlives the options of one open).
    RetentionSet { ms: u64 },
}

impl Record {
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(48);
        match self {
            Record::KeyspaceCreated { id, seq, ms, name } => {
                b.push(TYPE_KEYSPACE_CREATED);
                b.extend_from_slice(&id.to_le_bytes());
                b.extend_from_slice(&seq.to_le_bytes());
                b.extend_from_slice(&ms.to_le_bytes());
                coding::put_length_prefixed(&mut b, name.as_bytes());
            }
            Record::KeyspaceDropped { id, seq, ms } => {
                b.push(TYPE_KEYSPACE_DROPPED);
                b.extend_from_slice(&id.to_le_bytes());
                b.extend_from_slice(&seq.to_le_bytes());
                b.extend_from_slice(&ms.to_le_bytes());
            }
            Record::FileArchived { number, span } => {
                b.push(TYPE_FILE_ARCHIVED);
                for v in [number, &span.first_seq, &span.last_seq, &span.first_ms, &span.last_ms] {
                    b.extend_from_slice(&v.to_le_bytes());
                }
            }
            Record::FileRemoved { number } => {
                b.push(TYPE_FILE_REMOVED);
                b.extend_from_slice(&number.to_le_bytes());
            }
            Record::BaseTaken { number, seq, taken_ms } => {
                b.push(TYPE_BASE_TAKEN);
                for v in [number, seq, taken_ms] {
                    b.extend_from_slice(&v.to_le_bytes());
                }
            }
            Record::BaseRemoved { number } => {
                b.push(TYPE_BASE_REMOVED);
                b.extend_from_slice(&number.to_le_bytes());
            }
            Record::RetentionSet { ms } => {
                b.push(TYPE_RETENTION_SET);
                b.extend_from_slice(&ms.to_le_bytes());
            }
        }
        debug_assert!(b.len() <= RECORD_LEN_MAX);
        b
    }

    pub(crate) fn decode(bytes: &[u8]) -> Result<Record> {
        let mut d = Decoder::new(bytes, "archive journal record");
        let r = match d.u8()? {
            TYPE_KEYSPACE_CREATED => {
                let id = d.fixed32()?;
                let seq = d.fixed64()?;
                let ms = d.fixed64()?;
                let name = d.length_prefixed(KEYSPACE_NAME_LEN_MAX)?;
                let name = String::from_utf8(name.to_vec()).map_err(|_| {
                    Error::corruption("archive journal: keyspace name is not UTF-8")
                })?;
                Record::KeyspaceCreated { id, seq, ms, name }
            }
            TYPE_KEYSPACE_DROPPED => {
                Record::KeyspaceDropped { id: d.fixed32()?, seq: d.fixed64()?, ms: d.fixed64()? }
            }
            TYPE_FILE_ARCHIVED => {
                let number = d.fixed64()?;
                let span = WalSpan {
                    first_seq: d.fixed64()?,
                    last_seq: d.fixed64()?,
                    first_ms: d.fixed64()?,
                    last_ms: d.fixed64()?,
                };
                if span.first_seq > span.last_seq || span.first_ms > span.last_ms {
                    return Err(Error::corruption(format!(
                        "archive journal: WAL {number}'s span {span:?} runs backwards"
                    )));
                }
                Record::FileArchived { number, span }
            }
            TYPE_FILE_REMOVED => Record::FileRemoved { number: d.fixed64()? },
            TYPE_BASE_TAKEN => Record::BaseTaken {
                number: d.fixed64()?,
                seq: d.fixed64()?,
                taken_ms: d.fixed64()?,
            },
            TYPE_BASE_REMOVED => Record::BaseRemoved { number: d.fixed64()? },
            TYPE_RETENTION_SET => Record::RetentionSet { ms: d.fixed64()? },
            t => {
                return Err(Error::corruption(format!("archive journal: unknown record type {t}")))
            }
        };
        if !d.is_empty() {
            return Err(Error::corruption("archive journal: trailing bytes after a record"));
        }
        Ok(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect::<Vec<_>>().join(" ")
    }

    #[test]
    fn records_round_trip_and_damage_is_corruption() {
        let span = WalSpan { first_seq: 5, last_seq: 9, first_ms: 100, last_ms: 130 };
        let all = [
            Record::KeyspaceCreated { id: 3, seq: 41, ms: 5, name: "dynamo.t.1".into() },
            Record::KeyspaceDropped { id: 3, seq: 99, ms: 6 },
            Record::FileArchived { number: 12, span },
            Record::FileRemoved { number: 12 },
            Record::BaseTaken { number: 20, seq: 77, taken_ms: 1_765_000_000_000 },
            Record::BaseRemoved { number: 20 },
            Record::RetentionSet { ms: 3_024_000_000 },
        ];
        for r in &all {
            let enc = r.encode();
            assert_eq!(&Record::decode(&enc).unwrap(), r);
            for cut in 0..enc.len() {
                assert!(Record::decode(&enc[..cut]).is_err(), "{r:?} cut at {cut}");
            }
            let mut long = enc.clone();
            long.push(0);
            assert!(Record::decode(&long).is_err());
        }
        assert!(Record::decode(&[0]).unwrap_err().is_corruption());
        assert!(Record::decode(&[7]).unwrap_err().is_corruption());
        let backwards = WalSpan { first_seq: 9, last_seq: 5, first_ms: 1, last_ms: 1 };
        let enc = Record::FileArchived { number: 1, span: backwards }.encode();
        assert!(Record::decode(&enc).unwrap_err().is_corruption());
    }

    #[test]
    fn worked_example_matches_the_format_doc() {
        let span = WalSpan {
            first_seq: 1,
            last_seq: 300,
            first_ms: 1_765_000_000_000,
            last_ms: 1_765_000_001_500,
        };
        let created = Record::KeyspaceCreated { id: 2, seq: 0, ms: 0, name: "users".into() };
        let enc = created.encode();
        let mut framed = vec![1u8];
        framed.extend_from_slice(&enc);
        let crc = crc32fast::hash(&framed).to_le_bytes();
        let got = [
            hex(&enc),
            hex(&Record::FileArchived { number: 7, span }.encode()),
            format!("crc `{}`", hex(&crc)),
            format!("length `{}`", hex(&(enc.len() as u16).to_le_bytes())),
        ];
        let doc = include_str!("../../../../docs/format/archive.md");
        for line in got {
            assert!(doc.contains(&line), "archive.md lacks {line}");
        }
    }
}
