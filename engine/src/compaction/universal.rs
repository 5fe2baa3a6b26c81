//! Universal (size-tiered) compaction, for write-heavy keyspaces (RocksDB's universal style,
//! simplified).
//!
//! The data is a list of **sorted runs**, newest first: every L0 file is a run (flushes, and
//! merges of runs) and the last level is one run. Nothing lives in between. When there are at
//! least `level0_trigger` runs:
//!
//! 1. **Space amplification**: if the runs other than the oldest add up to at least
//!    `max_size_amplification_percent` (default 200 %) of the oldest, merge everything into the
//!    last level;
//! 2. **Size ratio**: otherwise, starting from the newest run, take the next older run while it
//!    is no bigger than (100 + `size_ratio_percent`) % of what is taken so far; when that takes
//!    at least two runs, merge them into one L0 run;
//! 3. otherwise merge the newest `level0_trigger` runs.
//!
//! Runs only ever merge with their neighbours, so their sequence ranges stay disjoint and L0
//! ordered newest first by largest sequence. Each byte is rewritten about log(N) times (fewer
//! than leveled), at the price of more runs to read and up to 2x space before a full merge.

use super::picker::Compaction;
use crate::manifest::{FileMeta, LevelFiles, LEVELS};
use std::sync::Arc;

/// Knobs of universal compaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UniversalOptions {
    /// Runs that trigger a compaction (default 4).
    pub level0_trigger: usize,
    /// A run joins a merge while it is at most this much bigger than the runs taken (default 1).
    pub size_ratio_percent: u64,
    /// Merge everything when newer runs reach this share of the oldest (default 200).
    pub max_size_amplification_percent: u64,
}

impl Default for UniversalOptions {
    fn default() -> Self {
        UniversalOptions {
            level0_trigger: 4,
            size_ratio_percent: 1,
            max_size_amplification_percent: 200,
        }
    }
}

/// The next universal compaction of `files`, if one is due.
pub fn pick_universal(files: &LevelFiles, o: &UniversalOptions) -> Option<Compaction> {
    let last = LEVELS - 1;
    // Files between L0 and the last level (left by leveled compaction, before the keyspace
    // switched style) first move down: runs must not skip over older data.
    for level in 1..last {
        if let Some(inputs) = files.get(level).filter(|f| !f.is_empty()) {
            return super::picker::compaction_of(files, level, level + 1, inputs.clone(), 1.0);
        }
    }
    let l0: Vec<Arc<FileMeta>> = files.first().cloned().unwrap_or_default();
    let bottom: Vec<Arc<FileMeta>> = files.get(last).cloned().unwrap_or_default();
    // Runs newest first; the last level, when not empty, is the oldest run.
    let mut runs: Vec<(u64, Vec<Arc<FileMeta>>)> =
        l0.iter().map(|f| (f.size, vec![Arc::clone(f)])).collect();
    if !bottom.is_empty() {
        runs.push((bottom.iter().map(|f| f.size).sum(), bottom.clone()));
    }
    if runs.len() < o.level0_trigger.max(2) {
        return None;
    }
    let (oldest, newer) = runs.split_last()?;
    let newer_bytes: u64 = newer.iter().map(|r| r.0).sum();
    if newer_bytes.saturating_mul(100) >= oldest.0.saturating_mul(o.max_size_amplification_percent)
    {
        return Some(Compaction {
            level: 0,
            output_level: last,
            inputs: l0,
            overlapping: bottom,
            trivial_move: false,
            score: newer_bytes as f64 / oldest.0.max(1) as f64,
        });
    }
    let mut taken = 0usize;
    let mut bytes = 0u64;
    for (size, _) in &runs {
        if taken >= 2 && size.saturating_mul(100) > bytes.saturating_mul(100 + o.size_ratio_percent)
        {
            break;
        }
        taken += 1;
        bytes += size;
    }
    if taken < 2 {
        taken = o.level0_trigger.max(2);
    }
    let takes_bottom = !bottom.is_empty() && taken >= runs.len();
    let inputs: Vec<Arc<FileMeta>> = l0.iter().take(taken.min(l0.len())).cloned().collect();
    Some(Compaction {
        level: 0,
        output_level: if takes_bottom { last } else { 0 },
        inputs,
        overlapping: if takes_bottom { bottom } else { Vec::new() },
        trivial_move: false,
        score: runs.len() as f64 / o.level0_trigger.max(1) as f64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(number: u64, size: u64, seq: u64) -> Arc<FileMeta> {
        Arc::new(FileMeta {
            number,
            size,
            largest_seq: seq,
            smallest_seq: seq,
            ..Default::default()
        })
    }

    #[test]
    fn size_ratio_merges_similar_newest_runs() {
        let mut files = LevelFiles::default();
        files[0] = vec![run(9, 10, 9), run(8, 10, 8), run(7, 10, 7), run(6, 100, 6)];
        files[LEVELS - 1] = vec![run(1, 10_000, 1)];
        let c = pick_universal(&files, &UniversalOptions::default()).unwrap();
        assert_eq!(c.output_level, 0);
        assert_eq!(c.inputs.iter().map(|f| f.number).collect::<Vec<_>>(), vec![9, 8, 7]);
    }

    #[test]
    fn space_amplification_merges_everything() {
        let mut files = LevelFiles::default();
        files[0] = vec![run(9, 100, 9), run(8, 100, 8), run(7, 100, 7)];
        files[LEVELS - 1] = vec![run(1, 100, 1)];
        let c = pick_universal(&files, &UniversalOptions::default()).unwrap();
        assert_eq!(c.output_level, LEVELS - 1);
        assert_eq!(c.inputs.len() + c.overlapping.len(), 4);
        // Below the trigger, nothing.
        files[0].truncate(2);
        assert!(pick_universal(&files, &UniversalOptions::default()).is_none());
    }
}
