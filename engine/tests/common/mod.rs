//! Helpers shared by the integration tests (each test binary compiles its own copy, so not every
//! binary uses every item).
#![allow(dead_code)]

pub mod backend;

use shale_engine::{DbIterator, IterOptions};
use std::ops::Bound;

/// Key-value pairs, in iteration order.
pub type Kvs = Vec<(Vec<u8>, Vec<u8>)>;

/// SplitMix64: a tiny seedable PRNG, so that every test run is reproducible from its seed.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator starting from `seed`.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        assert!(n > 0, "Rng::below(0)");
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `0..n` as a `usize` (`n > 0`).
    pub fn index(&mut self, n: usize) -> usize {
        self.below(n as u64) as usize
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.index(hi - lo + 1)
    }

    /// True with probability `num / den`.
    pub fn chance(&mut self, num: u64, den: u64) -> bool {
        self.below(den) < num
    }

    /// `len` random bytes.
    pub fn bytes(&mut self, len: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(len + 8);
        while out.len() < len {
            out.extend_from_slice(&self.next_u64().to_le_bytes());
        }
        out.truncate(len);
        out
    }

    /// A uniformly chosen element of `items` (non-empty).
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.index(items.len())]
    }
}

/// Seed of the current test run: `SHALE_TEST_SEED` if set (decimal or 0x-hex), else `default`.
pub fn env_seed(default: u64) -> u64 {
    env_u64("SHALE_TEST_SEED").unwrap_or(default)
}

/// The environment variable `name` as a decimal or 0x-hex integer, if it is set and parses.
pub fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|s| parse_u64(&s))
}

/// Parses a decimal or `0x`-prefixed hexadecimal integer.
pub fn parse_u64(s: &str) -> Option<u64> {
    let s = s.trim();
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => s.parse().ok(),
    }
}

/// Prints what was running (a seed, an offset, ...) if the test panics while this is alive.
pub struct OnPanic(pub String);

impl Drop for OnPanic {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("FAILED: {}", self.0);
        }
    }
}

/// Whether `k` lies within the bounds of `opts`.
pub fn in_bounds(k: &[u8], opts: &IterOptions) -> bool {
    let lo = match &opts.lower {
        Bound::Unbounded => true,
        Bound::Included(l) => k >= l.as_slice(),
        Bound::Excluded(l) => k > l.as_slice(),
    };
    let hi = match &opts.upper {
        Bound::Unbounded => true,
        Bound::Included(u) => k <= u.as_slice(),
        Bound::Excluded(u) => k < u.as_slice(),
    };
    lo && hi
}

/// What an iterator with `opts` must yield over `data` (pairs in ascending key order).
pub fn expected<'a>(
    data: impl IntoIterator<Item = (&'a Vec<u8>, &'a Vec<u8>)>,
    opts: &IterOptions,
) -> Kvs {
    let mut out: Kvs = data
        .into_iter()
        .filter(|(k, _)| in_bounds(k, opts))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if opts.reverse {
        out.reverse();
    }
    out
}

/// Every pair an iterator yields, or a description of the error that ended it.
pub fn collect_kvs(it: shale_engine::Result<DbIterator>) -> Result<Kvs, String> {
    let it = it.map_err(|e| format!("iter failed: {e}"))?;
    it.collect::<shale_engine::Result<Kvs>>().map_err(|e| format!("iteration failed: {e}"))
}

/// The manifest `CURRENT` names in `dir` and the state it describes, read the way an open reads
/// it (a torn last record is an edit never acknowledged, and is ignored).
pub fn read_manifest(
    fs: &dyn shale_engine::fs::FileSystem,
    dir: &std::path::Path,
) -> Result<(String, shale_engine::manifest::ManifestState), String> {
    use shale_engine::manifest::{ManifestState, VersionEdit, RECORD_LEN_MAX};
    use shale_engine::wal::{LogEvent, LogReader};
    let current = shale_engine::fs::read_small_file(fs, &dir.join("CURRENT"), 4096)
        .map_err(|e| format!("reading CURRENT: {e}"))?;
    let name = std::str::from_utf8(&current)
        .ok()
        .and_then(|s| s.strip_suffix('\n'))
        .ok_or_else(|| format!("CURRENT holds {:?}", String::from_utf8_lossy(&current)))?
        .to_owned();
    let file = fs.open(&dir.join(&name)).map_err(|e| format!("opening {name}: {e}"))?;
    let mut reader = LogReader::new(file, RECORD_LEN_MAX);
    let mut state = ManifestState::default();
    loop {
        match reader.read_record().map_err(|e| format!("reading {name}: {e}"))? {
            LogEvent::Record { payload, .. } => {
                let edit = VersionEdit::decode(payload).map_err(|e| format!("{name}: {e}"))?;
                state.apply(&edit).map_err(|e| format!("{name}: {e}"))?;
            }
            LogEvent::End { .. } | LogEvent::TornTail { .. } => return Ok((name, state)),
            LogEvent::Corrupt { offset, reason } => {
                return Err(format!("{name} is corrupt at offset {offset}: {reason}"))
            }
        }
    }
}

/// Checks the files of the database directory `dir` after an open: `CURRENT`, `LOCK`, the one
/// manifest `CURRENT` names, the SSTables and blob files that manifest names (each present) and
/// WAL files it does not call obsolete; anything else (a table or blob file no manifest names, an
/// old manifest, an obsolete WAL, a temporary file) was left behind. Returns the names of the WAL files.
pub fn check_db_files(
    fs: &dyn shale_engine::fs::FileSystem,
    dir: &std::path::Path,
) -> Result<Vec<String>, String> {
    use shale_engine::filename::{self, FileKind};
    let (manifest, state) = read_manifest(fs, dir)?;
    let live: std::collections::BTreeSet<u64> = state.live_files().collect();
    let live_blobs: std::collections::BTreeSet<u64> = state.live_blob_files().collect();
    let mut blobs = std::collections::BTreeSet::new();
    let mut names = fs.list(dir).map_err(|e| format!("listing {}: {e}", dir.display()))?;
    names.sort();
    let mut stray = Vec::new();
    let mut wals = Vec::new();
    let mut tables = std::collections::BTreeSet::new();
    for name in &names {
        match filename::parse(name) {
            Some(FileKind::Current | FileKind::Lock) => {}
            Some(FileKind::Manifest(_)) if *name == manifest => {}
            Some(FileKind::Wal(n)) if n >= state.log_number => wals.push(name.clone()),
            Some(FileKind::Table(n)) if live.contains(&n) => {
                tables.insert(n);
            }
            Some(FileKind::Blob(n)) if live_blobs.contains(&n) => {
                blobs.insert(n);
            }
            _ => stray.push(name.clone()),
        }
    }
    let mut missing: Vec<String> =
        live.iter().filter(|n| !tables.contains(n)).map(|n| filename::table(*n)).collect();
    missing.extend(live_blobs.iter().filter(|n| !blobs.contains(n)).map(|n| filename::blob(*n)));
    if !missing.is_empty() {
        return Err(format!("{manifest} names missing tables {missing:?} (directory: {names:?})"));
    }
    if !stray.is_empty() {
        return Err(format!(
            "files left behind: {stray:?} ({manifest} names tables {live:?}, log number {}; \
             directory: {names:?})",
            state.log_number
        ));
    }
    Ok(wals)
}
