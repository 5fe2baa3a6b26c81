//! The leveled compaction picker (RocksDB's, with `level_compaction_dynamic_level_bytes`).
//!
//! **Targets.** The last level's target is its size (at least `level_base_bytes`); each level
//! above targets a tenth (`multiplier`) of the one below. Levels whose target would fall below
//! `level_base_bytes` stay empty: the highest level with a target of at least `level_base_bytes`
//! is the *base level*, where L0 compacts into. A young database thus writes L0 straight into
//! the last level, and grows upper levels as the last one passes 10×, 100× … the base size —
//! which keeps about 90 % of the data in the last level and bounds space amplification near 1.11.
//!
//! **Scores.** L0: files / `level0_trigger` (its files overlap, so each costs a read).
//! Base level and below: bytes / target. The highest score ≥ 1 wins; L0 wins ties.
//!
//! **Inputs.** L0: every L0 file, plus the base-level files overlapping them. Level n: the file
//! after the level's round-robin pointer (by largest key), plus the overlapping files of n + 1.
//! A single level-n file that overlaps nothing below moves down without a rewrite (trivial move).

use crate::manifest::{FileMeta, LevelFiles, LEVELS};
use std::sync::Arc;

/// Knobs of leveled compaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompactionOptions {
    /// L0 files that trigger a compaction into the base level (default 4).
    pub level0_trigger: usize,
    /// L0 files at which writes slow down (default 20).
    pub level0_slowdown: usize,
    /// L0 files at which writes stop until compaction catches up (default 36).
    pub level0_stop: usize,
    /// Target size of the base level (default 64 MiB).
    pub level_base_bytes: u64,
    /// Each level targets this many times the one above (default 10).
    pub multiplier: u64,
    /// Output tables are cut near this size (default 16 MiB).
    pub target_file_bytes: u64,
    /// Writes slow down once compaction is this many bytes behind (default 64 GiB).
    pub pending_bytes_slowdown: u64,
    /// Writes stop once compaction is this many bytes behind (default 256 GiB).
    pub pending_bytes_stop: u64,
}

impl Default for CompactionOptions {
    fn default() -> Self {
        CompactionOptions {
            level0_trigger: 4,
            level0_slowdown: 20,
            level0_stop: 36,
            level_base_bytes: 64 << 20,
            multiplier: 10,
            target_file_bytes: 16 << 20,
            pending_bytes_slowdown: 64 << 30,
            pending_bytes_stop: 256 << 30,
        }
    }
}

/// Target bytes per level and the base level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LevelTargets {
    /// The level L0 compacts into.
    pub base_level: usize,
    /// Target bytes of each level (0 for L0 and levels above the base level).
    pub target: [u64; LEVELS],
}

fn level_bytes(files: &[Arc<FileMeta>]) -> u64 {
    files.iter().map(|f| f.size).sum()
}

/// The dynamic targets for `files`.
pub fn level_targets(files: &LevelFiles, o: &CompactionOptions) -> LevelTargets {
    let last = LEVELS - 1;
    let multiplier = o.multiplier.max(2);
    let base = o.level_base_bytes.max(1);
    let mut target = [0u64; LEVELS];
    let mut t = files.get(last).map_or(0, |f| level_bytes(f)).max(base);
    let mut base_level = last;
    if let Some(slot) = target.get_mut(last) {
        *slot = t;
    }
    for level in (1..last).rev() {
        t /= multiplier;
        if t < base {
            break;
        }
        if let Some(slot) = target.get_mut(level) {
            *slot = t;
        }
        base_level = level;
    }
    // The base level never moves below a level that still holds data: L0 compacting past it
    // would put newer versions under older ones. Such a level drains down at the base target.
    let first_non_empty = (1..last).find(|&l| files.get(l).is_some_and(|f| !f.is_empty()));
    if let Some(fne) = first_non_empty.filter(|&l| l < base_level) {
        for slot in target.iter_mut().take(base_level).skip(fne) {
            *slot = base;
        }
        base_level = fne;
    }
    LevelTargets { base_level, target }
}

/// How far compaction is behind: the bytes of L0 once it reaches its trigger, plus every
/// level's bytes beyond its target (RocksDB's "pending compaction bytes", simplified).
pub fn pending_bytes(files: &LevelFiles, o: &CompactionOptions) -> u64 {
    let t = level_targets(files, o);
    let mut pending = 0u64;
    if let Some(l0) = files.first() {
        if l0.len() >= o.level0_trigger {
            pending += level_bytes(l0);
        }
    }
    for level in t.base_level..LEVELS {
        let bytes = files.get(level).map_or(0, |f| level_bytes(f));
        pending += bytes.saturating_sub(t.target.get(level).copied().unwrap_or(0));
    }
    pending
}

/// A chosen compaction.
#[derive(Debug, Clone)]
pub struct Compaction {
    /// Level the inputs come from.
    pub level: usize,
    /// Level the outputs go to.
    pub output_level: usize,
    /// Input files of `level`.
    pub inputs: Vec<Arc<FileMeta>>,
    /// Input files of `output_level` (overlapping `inputs`).
    pub overlapping: Vec<Arc<FileMeta>>,
    /// Move the single input down without rewriting it.
    pub trivial_move: bool,
    /// The score that chose it (≥ 1 for automatic compactions).
    pub score: f64,
}

/// The user-key range covered by `files`.
fn key_range(files: &[Arc<FileMeta>]) -> Option<(Vec<u8>, Vec<u8>)> {
    let lo = files.iter().map(|f| f.smallest_user_key()).min()?;
    let hi = files.iter().map(|f| f.largest_user_key()).max()?;
    Some((lo.to_vec(), hi.to_vec()))
}

/// Files of `level_files` overlapping the user-key range `[lo, hi]`.
pub fn overlapping(level_files: &[Arc<FileMeta>], lo: &[u8], hi: &[u8]) -> Vec<Arc<FileMeta>> {
    level_files
        .iter()
        .filter(|f| f.largest_user_key() >= lo && f.smallest_user_key() <= hi)
        .cloned()
        .collect()
}

/// Builds the compaction of `inputs` (from `level`) into `output_level`.
pub fn compaction_of(
    files: &LevelFiles,
    level: usize,
    output_level: usize,
    inputs: Vec<Arc<FileMeta>>,
    score: f64,
) -> Option<Compaction> {
    let (lo, hi) = key_range(&inputs)?;
    let overlapping = files.get(output_level).map(|f| overlapping(f, &lo, &hi)).unwrap_or_default();
    let trivial_move = level > 0 && inputs.len() == 1 && overlapping.is_empty();
    Some(Compaction { level, output_level, inputs, overlapping, trivial_move, score })
}

/// The most urgent compaction, if any level's score reaches 1. `pointers` holds, per level,
/// the largest key of the file compacted last (round robin).
pub fn pick(files: &LevelFiles, o: &CompactionOptions, pointers: &[Vec<u8>]) -> Option<Compaction> {
    let targets = level_targets(files, o);
    let l0 = files.first().map_or(0, Vec::len);
    let mut best: Option<(f64, usize)> = None;
    if l0 > 0 {
        let s = l0 as f64 / o.level0_trigger.max(1) as f64;
        best = Some((s, 0));
    }
    for level in targets.base_level..LEVELS - 1 {
        let t = targets.target.get(level).copied().unwrap_or(0);
        if t == 0 {
            continue;
        }
        let s = files.get(level).map_or(0, |f| level_bytes(f)) as f64 / t as f64;
        if best.is_none_or(|(b, _)| s > b) {
            best = Some((s, level));
        }
    }
    let (score, level) = best?;
    if score < 1.0 {
        return None;
    }
    if level == 0 {
        let inputs = files.first()?.clone();
        return compaction_of(files, 0, targets.base_level, inputs, score);
    }
    let level_files = files.get(level)?;
    let after = pointers.get(level).map(Vec::as_slice).unwrap_or(&[]);
    let file = level_files
        .iter()
        .find(|f| after.is_empty() || f.largest_user_key() > after)
        .or_else(|| level_files.first())?;
    compaction_of(files, level, level + 1, vec![Arc::clone(file)], score)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::{encode_internal, trailer};

    fn meta(number: u64, lo: &str, hi: &str, size: u64) -> Arc<FileMeta> {
        let mut smallest = Vec::new();
        encode_internal(&mut smallest, lo.as_bytes(), trailer(10, 1));
        let mut largest = Vec::new();
        encode_internal(&mut largest, hi.as_bytes(), trailer(1, 1));
        Arc::new(FileMeta { number, size, smallest, largest, ..Default::default() })
    }

    fn opts() -> CompactionOptions {
        CompactionOptions { level_base_bytes: 100, ..Default::default() }
    }

    #[test]
    fn young_database_compacts_l0_into_the_last_level() {
        let mut files = LevelFiles::default();
        let t = level_targets(&files, &opts());
        assert_eq!(t.base_level, LEVELS - 1);
        for n in 0..3 {
            files[0].push(meta(n, "a", "z", 10));
        }
        assert!(pick(&files, &opts(), &[]).is_none(), "3 L0 files: below the trigger");
        files[0].push(meta(3, "a", "z", 10));
        let c = pick(&files, &opts(), &[]).unwrap();
        assert_eq!((c.level, c.output_level, c.inputs.len()), (0, LEVELS - 1, 4));
    }

    #[test]
    fn upper_levels_appear_as_the_last_level_grows() {
        let mut files = LevelFiles::default();
        files[LEVELS - 1].push(meta(1, "a", "m", 5_000));
        files[LEVELS - 1].push(meta(2, "n", "z", 6_000));
        let t = level_targets(&files, &opts());
        assert_eq!(t.target[LEVELS - 1], 11_000);
        assert_eq!(t.target[LEVELS - 2], 1_100);
        assert_eq!(t.target[LEVELS - 3], 110);
        assert_eq!(t.base_level, LEVELS - 3);
    }

    #[test]
    fn over_target_level_compacts_round_robin_and_moves_trivially() {
        let mut files = LevelFiles::default();
        files[LEVELS - 1].push(meta(1, "a", "c", 1_000));
        files[LEVELS - 1].push(meta(2, "x", "z", 1_000));
        // L5 target is 200: 300 bytes score 1.5.
        files[LEVELS - 2].push(meta(3, "a", "b", 150));
        files[LEVELS - 2].push(meta(4, "m", "n", 150));
        let c = pick(&files, &opts(), &[]).unwrap();
        assert_eq!(c.level, LEVELS - 2);
        assert_eq!(c.inputs[0].number, 3);
        assert_eq!(c.overlapping.len(), 1);
        assert!(!c.trivial_move);
        let mut pointers = vec![Vec::new(); LEVELS];
        pointers[LEVELS - 2] = b"b".to_vec();
        let c = pick(&files, &opts(), &pointers).unwrap();
        assert_eq!(c.inputs[0].number, 4);
        assert!(c.trivial_move, "m..n overlaps nothing in the last level");
    }

    #[test]
    fn pending_bytes_count_l0_at_its_trigger_and_overflow_below() {
        let mut files = LevelFiles::default();
        files[LEVELS - 1].push(meta(1, "a", "z", 1_000));
        files[LEVELS - 2].push(meta(2, "a", "z", 150)); // target 100: 50 over
        assert_eq!(pending_bytes(&files, &opts()), 50);
        for n in 0..4 {
            files[0].push(meta(10 + n, "a", "z", 10));
        }
        assert_eq!(pending_bytes(&files, &opts()), 90, "L0 at its trigger counts whole");
    }

    #[test]
    fn base_level_stays_above_levels_holding_data() {
        let mut files = LevelFiles::default();
        // L6 small (base would be L6), but L4 still holds data from when the tree was bigger.
        files[LEVELS - 1].push(meta(1, "a", "z", 150));
        files[LEVELS - 3].push(meta(2, "a", "m", 80));
        let t = level_targets(&files, &opts());
        assert_eq!(t.base_level, LEVELS - 3, "L0 must compact into L4, not under it");
        assert_eq!(t.target[LEVELS - 3], 100);
        assert_eq!(t.target[LEVELS - 2], 100);
        for n in 0..4 {
            files[0].push(meta(10 + n, "a", "z", 1));
        }
        let c = pick(&files, &opts(), &[]).unwrap();
        assert_eq!((c.level, c.output_level), (0, LEVELS - 3));
    }

    #[test]
    fn overlap_is_by_user_key_range() {
        let files = vec![meta(1, "a", "c", 1), meta(2, "d", "f", 1), meta(3, "g", "i", 1)];
        let got: Vec<u64> = overlapping(&files, b"c", b"d").iter().map(|f| f.number).collect();
        assert_eq!(got, vec![1, 2]);
        assert!(overlapping(&files, b"j", b"k").is_empty());
    }
}
