//! The workloads, with db_bench's names and meaning, and YCSB's core workloads A–F.
//!
//! | name | what one thread does |
//! |---|---|
//! | fillseq | `num` puts of keys 0, 1, 2, … (fresh database) |
//! | fillrandom | `num` puts of uniformly random keys in `[0, num)` (fresh database) |
//! | overwrite | `num` puts of random keys over the existing database |
//! | fillsync | `num / 1000` puts of random keys in `[0, num / 1000)`, each fsynced (fresh database) |
//! | deleterandom | `num` deletes of random keys |
//! | readrandom | `reads` gets of random keys (reports how many were found) |
//! | readseq / readreverse | one iterator over up to `reads` entries, forward / backward |
//! | seekrandom | `reads` seeks to random keys, then `seek_nexts` nexts each |
//! | readwhilewriting | `reads` random gets, while one extra thread overwrites random keys |
//! | ycsba … ycsbf | `reads` YCSB operations in the workload's mix (below) |
//!
//! YCSB mixes: A 50% read / 50% update, B 95/5 read/update, C all reads, D 95% read / 5%
//! insert with the "latest" chooser, E 95% scans (1..=`ycsb_scan_max` entries) / 5% inserts,
//! F 50% read / 50% read-modify-write. All but D choose keys by scrambled zipfian over the
//! `num` loaded keys (run a fill first); inserts append keys `num, num+1, …`.

use serde::Serialize;

/// A YCSB core workload.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Ycsb {
    A,
    B,
    C,
    D,
    E,
    F,
}

/// Fractions of one YCSB workload's operations (they sum to 1).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Mix {
    pub read: f64,
    pub update: f64,
    pub insert: f64,
    pub scan: f64,
    pub read_modify_write: f64,
    /// Keys chosen by the "latest" distribution instead of scrambled zipfian.
    pub latest: bool,
}

impl Ycsb {
    pub fn mix(self) -> Mix {
        let m = |read, update, insert, scan, read_modify_write, latest| Mix {
            read,
            update,
            insert,
            scan,
            read_modify_write,
            latest,
        };
        match self {
            Ycsb::A => m(0.5, 0.5, 0.0, 0.0, 0.0, false),
            Ycsb::B => m(0.95, 0.05, 0.0, 0.0, 0.0, false),
            Ycsb::C => m(1.0, 0.0, 0.0, 0.0, 0.0, false),
            Ycsb::D => m(0.95, 0.0, 0.05, 0.0, 0.0, true),
            Ycsb::E => m(0.0, 0.0, 0.05, 0.95, 0.0, false),
            Ycsb::F => m(0.5, 0.0, 0.0, 0.0, 0.5, false),
        }
    }
}

/// One workload.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Workload {
    FillSeq,
    FillRandom,
    Overwrite,
    FillSync,
    DeleteRandom,
    ReadRandom,
    /// `--batch_size` random keys per `multi_get` (db_bench's multireadrandom with
    /// `--multiread_batched`); every key counts as one operation.
    MultiReadRandom,
    ReadSeq,
    ReadReverse,
    SeekRandom,
    ReadWhileWriting,
    Ycsb(Ycsb),
}

/// Every workload, in the order `--help` lists them.
pub const ALL: [Workload; 17] = [
    Workload::FillSeq,
    Workload::FillRandom,
    Workload::Overwrite,
    Workload::ReadRandom,
    Workload::MultiReadRandom,
    Workload::ReadSeq,
    Workload::ReadReverse,
    Workload::SeekRandom,
    Workload::ReadWhileWriting,
    Workload::DeleteRandom,
    Workload::FillSync,
    Workload::Ycsb(Ycsb::A),
    Workload::Ycsb(Ycsb::B),
    Workload::Ycsb(Ycsb::C),
    Workload::Ycsb(Ycsb::D),
    Workload::Ycsb(Ycsb::E),
    Workload::Ycsb(Ycsb::F),
];

impl Workload {
    pub fn parse(name: &str) -> Option<Workload> {
        ALL.into_iter().find(|w| w.name() == name)
    }

    /// The db_bench (or `ycsbX`) name.
    pub fn name(self) -> &'static str {
        match self {
            Workload::FillSeq => "fillseq",
            Workload::FillRandom => "fillrandom",
            Workload::Overwrite => "overwrite",
            Workload::FillSync => "fillsync",
            Workload::DeleteRandom => "deleterandom",
            Workload::ReadRandom => "readrandom",
            Workload::MultiReadRandom => "multireadrandom",
            Workload::ReadSeq => "readseq",
            Workload::ReadReverse => "readreverse",
            Workload::SeekRandom => "seekrandom",
            Workload::ReadWhileWriting => "readwhilewriting",
            Workload::Ycsb(Ycsb::A) => "ycsba",
            Workload::Ycsb(Ycsb::B) => "ycsbb",
            Workload::Ycsb(Ycsb::C) => "ycsbc",
            Workload::Ycsb(Ycsb::D) => "ycsbd",
            Workload::Ycsb(Ycsb::E) => "ycsbe",
            Workload::Ycsb(Ycsb::F) => "ycsbf",
        }
    }

    /// Starts from an empty database.
    pub fn fresh_db(self) -> bool {
        matches!(self, Workload::FillSeq | Workload::FillRandom | Workload::FillSync)
    }

    /// RocksDB's db_bench has a workload of this name.
    pub fn in_db_bench(self) -> bool {
        !matches!(self, Workload::Ycsb(_))
    }

    /// Operations per thread (before `--duration` cuts it short).
    pub fn ops_per_thread(self, num: u64, reads: u64) -> u64 {
        match self {
            Workload::FillSeq
            | Workload::FillRandom
            | Workload::Overwrite
            | Workload::DeleteRandom => num,
            Workload::FillSync => (num / 1000).max(1),
            _ => reads,
        }
    }

    /// `--duration` bounds it (db_bench: every random workload; not fillseq or the scans).
    pub fn timed(self) -> bool {
        !matches!(self, Workload::FillSeq | Workload::ReadSeq | Workload::ReadReverse)
    }

    /// Its operations write (so MB/s counts bytes written).
    pub fn writes(self) -> bool {
        matches!(
            self,
            Workload::FillSeq
                | Workload::FillRandom
                | Workload::Overwrite
                | Workload::FillSync
                | Workload::DeleteRandom
        )
    }

    /// It reports "(found of reads)" as db_bench does.
    pub fn reports_found(self) -> bool {
        matches!(
            self,
            Workload::ReadRandom
                | Workload::MultiReadRandom
                | Workload::ReadWhileWriting
                | Workload::SeekRandom
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_mixes_sum_to_one() {
        for w in ALL {
            assert_eq!(Workload::parse(w.name()), Some(w));
            if let Workload::Ycsb(y) = w {
                let m = y.mix();
                let sum = m.read + m.update + m.insert + m.scan + m.read_modify_write;
                assert!((sum - 1.0).abs() < 1e-9, "{w:?}");
            }
        }
        assert_eq!(Workload::parse("nonesuch"), None);
        assert_eq!(Workload::FillSync.ops_per_thread(5000, 1), 5);
    }
}
