//! Model-based tests: random operation sequences on a [`Db`], checked after every operation
//! against a plain `BTreeMap` model of what the database must hold.
//!
//! Environment (all optional):
//! * `SHALE_MODEL_SEEDS=N`: number of seeds for the `MemFs` runs (default 6, split between the
//!   small-memtable and the default-memtable test);
//! * `SHALE_MODEL_SEED=S`: run only seed `S` (decimal or 0x-hex; it goes to whichever test its
//!   configuration belongs to) — every failure message names the seed and the operation index;
//! * `SHALE_MODEL_OPS=N`: operations per seed (default 3000).
//! * `SHALE_MODEL_COMPACTION_SEEDS=N`: number of compaction seeds (default 4: two leveled, two
//!   universal), run with tiny tables, L0 trigger 2 and compaction on the background thread.
//!
//! Seeds with a small memtable also call `db.flush()` now and then (with the default background
//! flush, memtables move into L0 SSTables mid-run too), and vary the table options: one in three
//! has no block cache, one in three stores blocks uncompressed, one in three cuts 1 KiB blocks.

mod common;

use common::{collect_kvs, env_u64, expected, in_bounds, Kvs, Rng};
use shale_engine::compaction::{CompactionOptions, CompactionStyle, UniversalOptions};
use shale_engine::fs::{FileSystem, MemFs};
use shale_engine::sst::{Compression, TableOptions};
use shale_engine::{
    Db, Error, IterOptions, Keyspace, Options, Snapshot, WriteBatch, WriteOptions, DEFAULT_KEYSPACE,
};
use std::collections::{BTreeMap, VecDeque};
use std::fmt::Write as _;
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

/// One keyspace's contents.
type KsModel = BTreeMap<Vec<u8>, Vec<u8>>;
/// Every live keyspace by name (`(keyspace name, key) -> value`, nested for cheap ranges).
type Model = BTreeMap<String, KsModel>;

/// Keyspace names the runs use (the default one is never dropped). One is not ASCII.
const KS_NAMES: [&str; 5] = [DEFAULT_KEYSPACE, "a", "b", "c", "ključ"];
/// A small key alphabet, with the byte extremes, so that keys collide often.
const ALPHABET: [u8; 4] = [0x00, b'a', b'b', 0xff];
const SEED_BASE: u64 = 0x5EED_0000;
const SNAPSHOTS_LIVE_MAX: usize = 4;

fn hex(b: &[u8]) -> String {
    let mut s = String::new();
    for x in b.iter().take(24) {
        let _ = write!(s, "{x:02x}");
    }
    if b.len() > 24 {
        let _ = write!(s, "..({} bytes)", b.len());
    }
    if s.is_empty() {
        s.push_str("<empty>");
    }
    s
}

fn show_bound(b: &Bound<Vec<u8>>) -> String {
    match b {
        Bound::Unbounded => "unbounded".into(),
        Bound::Included(k) => format!("incl {}", hex(k)),
        Bound::Excluded(k) => format!("excl {}", hex(k)),
    }
}

fn show_opts(o: &IterOptions) -> String {
    format!(
        "[{} .. {}]{}",
        show_bound(&o.lower),
        show_bound(&o.upper),
        if o.reverse { " rev" } else { "" }
    )
}

/// `None` when equal, else a description of the first difference.
fn diff_kvs(got: &Kvs, want: &Kvs) -> Option<String> {
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        if g != w {
            return Some(format!(
                "first difference at item {i}: got ({}, {}), want ({}, {}) [got {} items, want {}]",
                hex(&g.0),
                hex(&g.1),
                hex(&w.0),
                hex(&w.1),
                got.len(),
                want.len()
            ));
        }
    }
    if got.len() != want.len() {
        let n = got.len().min(want.len());
        let extra = got.get(n).or(want.get(n)).map(|(k, _)| hex(k)).unwrap_or_default();
        return Some(format!(
            "got {} items, want {} (first unmatched key {extra})",
            got.len(),
            want.len()
        ));
    }
    None
}

/// How one seed runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    Mem,
    Os,
    /// The real file system through io_uring (`UringFs`).
    Uring,
    /// io_uring with `O_DIRECT` table reads and flush/compaction writes.
    UringDirect,
}

#[derive(Clone)]
struct Config {
    seed: u64,
    ops: usize,
    backend: Backend,
    memtable_bytes_max: usize,
    /// Per-mille of writes with `sync: true`.
    sync_per_mille: u64,
    /// Per-mille of operations that are `db.flush()` (small memtables only).
    flush_per_mille: u64,
    block_cache_bytes: usize,
    table: TableOptions,
    /// Compaction seeds: small tables and a low L0 trigger, so that the background thread
    /// compacts all the time (universal style on odd seeds).
    compaction: Option<(CompactionOptions, CompactionStyle)>,
    /// Per-mille of operations that are `db.compact_range` of a random keyspace.
    compact_range_per_mille: u64,
    /// Key-value separation: values of at least this many bytes go to blob files (keyspace
    /// "b" keeps its values in the tables, so that both kinds meet in one database).
    blob_threshold: Option<usize>,
}

impl Config {
    /// The configuration a seed implies: even seeds use a tiny memtable (4, 8 or 16 KiB), so
    /// that memtables rotate (and new WAL files start) every few dozen writes; odd seeds the
    /// default one.
    fn for_seed(seed: u64, ops: usize, backend: Backend) -> Config {
        let memtable_bytes_max = if seed.is_multiple_of(2) {
            [4 << 10, 8 << 10, 16 << 10][(seed / 2 % 3) as usize]
        } else {
            Options::default().memtable_bytes_max
        };
        let sync_per_mille = if backend == Backend::Mem { 100 } else { 20 };
        let small = memtable_bytes_max < (1 << 20);
        let mut block_cache_bytes = Options::default().block_cache_bytes;
        let mut table = TableOptions::default();
        if small {
            // Seeds 0, 2, 4 (mod 6): 1 KiB blocks, no block cache, uncompressed blocks.
            match seed % 6 {
                0 => table.block_size = 1 << 10,
                2 => block_cache_bytes = 0,
                _ => table.compression = Compression::None,
            }
        }
        let flush_per_mille = if small { 15 } else { 0 };
        Config {
            seed,
            ops,
            backend,
            memtable_bytes_max,
            sync_per_mille,
            flush_per_mille,
            block_cache_bytes,
            table,
            compaction: None,
            compact_range_per_mille: 0,
            blob_threshold: None,
        }
    }

    /// `self` with values of at least `threshold` bytes separated into blob files, and blob
    /// garbage collected once a quarter of a file is garbage.
    fn with_blobs(mut self, threshold: usize) -> Config {
        self.blob_threshold = Some(threshold);
        self
    }

    /// A compaction seed: a small memtable (4, 8 or 16 KiB), tiny tables and level targets,
    /// L0 trigger 2, leveled on even and universal on odd seeds, and `compact_range` as an
    /// operation now and then when `compact_range` is set.
    fn compaction(seed: u64, ops: usize, compact_range: bool) -> Config {
        let mut cfg = Config::for_seed(seed & !1, ops, Backend::Mem);
        cfg.seed = seed;
        let co = CompactionOptions {
            level_base_bytes: 32 << 10,
            target_file_bytes: 8 << 10,
            level0_trigger: 2,
            ..CompactionOptions::default()
        };
        let style = if seed.is_multiple_of(2) {
            CompactionStyle::Leveled
        } else {
            CompactionStyle::Universal(UniversalOptions::default())
        };
        cfg.compaction = Some((co, style));
        cfg.compact_range_per_mille = if compact_range { 8 } else { 0 };
        cfg
    }

    fn small_memtable(&self) -> bool {
        self.memtable_bytes_max < (1 << 20)
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "seed {:#x}, {} ops, {:?} fs, memtable_bytes_max {}, {}/1000 sync writes, \
             {}/1000 flushes, block cache {} bytes, {} KiB blocks, {:?}, compaction {:?}, \
             {}/1000 compact_range, blob threshold {:?}",
            self.seed,
            self.ops,
            self.backend,
            self.memtable_bytes_max,
            self.sync_per_mille,
            self.flush_per_mille,
            self.block_cache_bytes,
            self.table.block_size >> 10,
            self.table.compression,
            self.compaction,
            self.compact_range_per_mille,
            self.blob_threshold
        )
    }
}

#[derive(Debug, Default)]
struct Stats {
    puts: u64,
    deletes: u64,
    batches: u64,
    gets: u64,
    iters: u64,
    snapshot_checks: u64,
    reopens: u64,
    creates: u64,
    drops: u64,
    flushes: u64,
    compact_ranges: u64,
    /// Compactions and trivial moves (summed over the sessions).
    compactions: u64,
    /// Bytes of blob files written (summed over the sessions).
    blob_bytes_written: u64,
    /// Bytes of blob files removed as all garbage (summed over the sessions).
    blob_bytes_reclaimed: u64,
}

struct SnapEntry {
    snap: Snapshot,
    model: Model,
    gens: BTreeMap<String, u64>,
    seq: u64,
    taken_at: usize,
}

struct Run {
    cfg: Config,
    op: usize,
    rng: Rng,
    opts: Options,
    dir: PathBuf,
    _tmp: Option<tempfile::TempDir>,
    memfs: Option<MemFs>,
    db: Option<Db>,
    handles: BTreeMap<String, Keyspace>,
    model: Model,
    /// Incarnation of each live keyspace name (a recreated name is a new keyspace).
    gens: BTreeMap<String, u64>,
    next_gen: u64,
    /// Expected `latest_sequence()`.
    seq: u64,
    snaps: Vec<SnapEntry>,
    log: VecDeque<String>,
    stats: Stats,
}

impl Run {
    fn new(cfg: Config) -> Run {
        let (memfs, tmp, dir) = match cfg.backend {
            Backend::Mem => (Some(MemFs::new()), None, PathBuf::from("/model/db")),
            Backend::Os | Backend::Uring | Backend::UringDirect => {
                let t = tempfile::tempdir().expect("tempdir");
                let d = t.path().join("db");
                (None, Some(t), d)
            }
        };
        let mut opts = Options {
            memtable_bytes_max: cfg.memtable_bytes_max,
            block_cache_bytes: cfg.block_cache_bytes,
            table: cfg.table,
            ..Options::default()
        };
        if let Some(m) = &memfs {
            opts.fs = Arc::new(m.clone());
        }
        if cfg.backend == Backend::Os {
            opts.fs = Arc::new(shale_engine::fs::OsFs);
        }
        if matches!(cfg.backend, Backend::Uring | Backend::UringDirect) {
            opts.fs = shale_engine::fs::IoBackend::Uring.file_system().expect("io_uring");
        }
        if cfg.backend == Backend::UringDirect {
            opts.direct_reads = true;
            opts.direct_writes = true;
        }
        if let Some((co, style)) = cfg.compaction {
            opts.compaction = co;
            opts.compaction_style = style;
        }
        if let Some(t) = cfg.blob_threshold {
            opts.blob_threshold_bytes = Some(t);
            opts.keyspace_blob_thresholds.insert("b".into(), None);
            opts.blob_gc_ratio = 0.25;
        }
        let rng = Rng::new(cfg.seed);
        let mut run = Run {
            cfg,
            op: 0,
            rng,
            opts,
            dir,
            _tmp: tmp,
            memfs,
            db: None,
            handles: BTreeMap::new(),
            model: Model::new(),
            gens: BTreeMap::new(),
            next_gen: 0,
            seq: 0,
            snaps: Vec::new(),
            log: VecDeque::new(),
            stats: Stats::default(),
        };
        let db = Db::open(&run.dir, run.opts.clone())
            .unwrap_or_else(|e| run.fail(format!("first open failed: {e}")));
        run.add_keyspace(DEFAULT_KEYSPACE, db.default_keyspace());
        run.db = Some(db);
        run
    }

    fn db(&self) -> &Db {
        self.db.as_ref().expect("db is open")
    }

    /// Tracks a keyspace just created under `name` (empty, a new incarnation) with handle `h`.
    fn add_keyspace(&mut self, name: &str, h: Keyspace) {
        self.handles.insert(name.to_owned(), h);
        self.model.insert(name.to_owned(), KsModel::new());
        self.gens.insert(name.to_owned(), self.next_gen);
        self.next_gen += 1;
    }

    #[track_caller]
    fn fail(&self, msg: String) -> ! {
        let recent: Vec<String> =
            self.log.iter().enumerate().map(|(i, l)| format!("  {i:2}: {l}")).collect();
        panic!(
            "MODEL MISMATCH seed={:#x} op={} [{:?}]\n{msg}\nlast operations (oldest first):\n{}\n\
             reproduce: SHALE_MODEL_SEED={:#x} SHALE_MODEL_OPS={} cargo test -p shale-engine --test model",
            self.cfg.seed,
            self.op,
            self.cfg,
            recent.join("\n"),
            self.cfg.seed,
            self.cfg.ops,
        );
    }

    fn note(&mut self, s: String) {
        if self.log.len() == 24 {
            self.log.pop_front();
        }
        self.log.push_back(format!("#{} {s}", self.op));
    }

    fn handle(&self, name: &str) -> Keyspace {
        self.handles.get(name).cloned().unwrap_or_else(|| self.fail(format!("no handle {name:?}")))
    }

    fn live_names(&self) -> Vec<String> {
        self.model.keys().cloned().collect()
    }

    fn random_ks(&mut self) -> String {
        let names = self.live_names();
        self.rng.pick(&names).clone()
    }

    fn random_key_raw(&mut self) -> Vec<u8> {
        let len = match self.rng.below(10) {
            0 => 0,
            1..=4 => self.rng.range(1, 2),
            5..=7 => self.rng.range(3, 4),
            _ => self.rng.range(5, 7),
        };
        (0..len).map(|_| *self.rng.pick(&ALPHABET)).collect()
    }

    /// A key of `ks`: often an existing one, so overwrites and deletes hit.
    fn random_key(&mut self, ks: &str) -> Vec<u8> {
        let n = self.model.get(ks).map_or(0, |m| m.len());
        if n > 0 && self.rng.chance(2, 5) {
            let i = self.rng.index(n);
            if let Some(k) = self.model.get(ks).and_then(|m| m.keys().nth(i)) {
                return k.clone();
            }
        }
        self.random_key_raw()
    }

    fn random_value(&mut self) -> Vec<u8> {
        let len = if self.rng.chance(1, 50) {
            self.rng.range(1 << 10, 6 << 10)
        } else {
            self.rng.range(0, 99)
        };
        self.rng.bytes(len)
    }

    fn write_opts(&mut self) -> WriteOptions {
        WriteOptions { sync: self.rng.chance(self.cfg.sync_per_mille, 1000) }
    }

    fn check_seq(&self, what: &str) {
        let got = self.db().latest_sequence();
        if got != self.seq {
            self.fail(format!("latest_sequence() after {what}: got {got}, want {}", self.seq));
        }
    }

    fn op_put(&mut self) {
        let ks = self.random_ks();
        let k = self.random_key(&ks);
        let v = self.random_value();
        let wo = self.write_opts();
        self.note(format!("put {ks}/{} = {} sync={}", hex(&k), hex(&v), wo.sync));
        let h = self.handle(&ks);
        if let Err(e) = self.db().put_with(&h, &k, &v, wo) {
            self.fail(format!("put failed: {e}"));
        }
        self.seq += 1;
        self.model.get_mut(&ks).expect("live").insert(k.clone(), v);
        self.check_seq("put");
        self.check_get(&ks, &k, "read back after put");
        self.stats.puts += 1;
    }

    fn op_delete(&mut self) {
        let ks = self.random_ks();
        let k = self.random_key(&ks);
        let wo = self.write_opts();
        self.note(format!("delete {ks}/{} sync={}", hex(&k), wo.sync));
        let h = self.handle(&ks);
        if let Err(e) = self.db().delete_with(&h, &k, wo) {
            self.fail(format!("delete failed: {e}"));
        }
        self.seq += 1;
        self.model.get_mut(&ks).expect("live").remove(&k);
        self.check_seq("delete");
        self.check_get(&ks, &k, "read back after delete");
        self.stats.deletes += 1;
    }

    fn op_batch(&mut self) {
        // 2-3 keyspaces (fewer when fewer are live).
        let mut names = self.live_names();
        let want = self.rng.range(2, 3).min(names.len());
        let mut chosen = Vec::new();
        while chosen.len() < want {
            let i = self.rng.index(names.len());
            chosen.push(names.swap_remove(i));
        }
        let n = if self.rng.chance(1, 30) { 0 } else { self.rng.range(1, 12) };
        let mut batch = WriteBatch::new();
        let mut used: Vec<(String, Vec<u8>)> = Vec::new();
        let mut desc = Vec::new();
        let mut new_model = self.model.clone();
        for _ in 0..n {
            let ks = self.rng.pick(&chosen).clone();
            // Often the same key again, so that a later op of the batch must win.
            let k = match used.iter().filter(|(u, _)| *u == ks).count() {
                c if c > 0 && self.rng.chance(1, 3) => {
                    let same: Vec<&Vec<u8>> =
                        used.iter().filter(|(u, _)| *u == ks).map(|(_, k)| k).collect();
                    let i = self.rng.index(same.len());
                    same[i].clone()
                }
                _ => self.random_key(&ks),
            };
            let h = self.handle(&ks);
            if self.rng.chance(3, 5) {
                let v = self.random_value();
                desc.push(format!("put {ks}/{}={}", hex(&k), hex(&v)));
                batch.put(&h, &k, &v);
                new_model.get_mut(&ks).expect("live").insert(k.clone(), v);
            } else {
                desc.push(format!("del {ks}/{}", hex(&k)));
                batch.delete(&h, &k);
                new_model.get_mut(&ks).expect("live").remove(&k);
            }
            used.push((ks, k));
        }
        let wo = self.write_opts();
        self.note(format!("batch sync={} [{}]", wo.sync, desc.join(", ")));
        if batch.len() != n {
            self.fail(format!("WriteBatch::len() = {}, want {n}", batch.len()));
        }
        if let Err(e) = self.db().write(batch, wo) {
            self.fail(format!("batch write failed: {e}"));
        }
        self.seq += n as u64;
        self.model = new_model;
        self.check_seq("batch");
        for (ks, k) in used {
            self.check_get(&ks, &k, "read back after batch");
        }
        self.stats.batches += 1;
    }

    fn check_get(&self, ks: &str, k: &[u8], what: &str) {
        let h = self.handle(ks);
        let want = self.model.get(ks).and_then(|m| m.get(k)).cloned();
        match self.db().get(&h, k) {
            Ok(got) if got == want => {}
            Ok(got) => self.fail(format!(
                "{what}: get {ks}/{}: got {:?}, want {:?}",
                hex(k),
                got.as_deref().map(hex),
                want.as_deref().map(hex)
            )),
            Err(e) => self.fail(format!("{what}: get {ks}/{} failed: {e}", hex(k))),
        }
    }

    /// `multi_get` of 1..=40 keys of one keyspace (present, absent, repeated) against the model.
    fn op_multi_get(&mut self) {
        let ks = self.random_ks();
        let n = self.rng.range(1, 41);
        let keys: Vec<Vec<u8>> = (0..n).map(|_| self.random_key(&ks)).collect();
        self.note(format!("multi_get {ks} of {n} keys"));
        let h = self.handle(&ks);
        let refs: Vec<&[u8]> = keys.iter().map(Vec::as_slice).collect();
        match self.db().multi_get(&h, &refs) {
            Ok(got) => {
                for (k, g) in keys.iter().zip(got) {
                    let want = self.model.get(&ks).and_then(|m| m.get(k)).cloned();
                    if g != want {
                        self.fail(format!(
                            "multi_get {ks}/{}: got {:?}, want {:?}",
                            hex(k),
                            g.as_deref().map(hex),
                            want.as_deref().map(hex)
                        ));
                    }
                }
            }
            Err(e) => self.fail(format!("multi_get {ks} failed: {e}")),
        }
        self.stats.gets += 1;
    }

    fn op_get(&mut self) {
        let ks = self.random_ks();
        let k = self.random_key(&ks);
        self.note(format!("get {ks}/{}", hex(&k)));
        self.check_get(&ks, &k, "get");
        self.stats.gets += 1;
    }

    fn random_bound(&mut self, ks: &str) -> Bound<Vec<u8>> {
        match self.rng.below(3) {
            0 => Bound::Unbounded,
            1 => Bound::Included(self.random_key(ks)),
            _ => Bound::Excluded(self.random_key(ks)),
        }
    }

    fn random_iter_opts(&mut self, ks: &str) -> IterOptions {
        let mut o = match self.rng.below(6) {
            0 => IterOptions::all(),
            1 => {
                let plen = self.rng.range(0, 3);
                let p: Vec<u8> = (0..plen).map(|_| *self.rng.pick(&ALPHABET)).collect();
                IterOptions::prefix(p)
            }
            2 => {
                let (a, b) = (self.random_key(ks), self.random_key(ks));
                IterOptions::range(a.clone().min(b.clone()), a.max(b))
            }
            3 => {
                let a = self.random_key(ks);
                IterOptions::all().from(a)
            }
            _ => IterOptions {
                lower: self.random_bound(ks),
                upper: self.random_bound(ks),
                reverse: false,
            },
        };
        if self.rng.chance(1, 2) {
            o = o.reverse();
        }
        o
    }

    fn check_iter(&self, ks: &str, opts: &IterOptions, what: &str) {
        let h = self.handle(ks);
        let want = expected(&self.model[ks], opts);
        let got = collect_kvs(self.db().iter(&h, opts.clone()))
            .unwrap_or_else(|e| self.fail(format!("{what} {ks} {}: {e}", show_opts(opts))));
        if let Some(d) = diff_kvs(&got, &want) {
            self.fail(format!("{what} {ks} {}: {d}", show_opts(opts)));
        }
    }

    fn op_iter(&mut self) {
        let ks = self.random_ks();
        let opts = self.random_iter_opts(&ks);
        self.note(format!("iter {ks} {}", show_opts(&opts)));
        self.check_iter(&ks, &opts, "iter");
        self.stats.iters += 1;
    }

    fn op_create(&mut self) {
        let free: Vec<&str> =
            KS_NAMES.iter().copied().filter(|n| !self.model.contains_key(*n)).collect();
        if free.is_empty() || self.rng.chance(1, 8) {
            // Creating a live name must fail and change nothing.
            let name = self.random_ks();
            self.note(format!("create existing {name} (must fail)"));
            match self.db().create_keyspace(&name) {
                Err(Error::AlreadyExists(_)) => {}
                other => self.fail(format!("create_keyspace({name:?}) of a live name: {other:?}")),
            }
            return;
        }
        let name = (*self.rng.pick(&free)).to_owned();
        self.note(format!("create keyspace {name}"));
        let h = self
            .db()
            .create_keyspace(&name)
            .unwrap_or_else(|e| self.fail(format!("create_keyspace({name:?}): {e}")));
        if h.name() != name {
            self.fail(format!("created keyspace is named {:?}, want {name:?}", h.name()));
        }
        self.add_keyspace(&name, h);
        self.check_list();
        // A new (or recreated) keyspace starts empty.
        self.check_iter(&name, &IterOptions::all(), "iter of a new keyspace");
        let k = self.random_key_raw();
        self.check_get(&name, &k, "get in a new keyspace");
        self.stats.creates += 1;
    }

    fn op_drop(&mut self) {
        let names: Vec<String> =
            self.live_names().into_iter().filter(|n| n != DEFAULT_KEYSPACE).collect();
        if names.is_empty() {
            return;
        }
        let name = self.rng.pick(&names).clone();
        self.note(format!("drop keyspace {name}"));
        let h = self.handle(&name);
        if let Err(e) = self.db().drop_keyspace(&h) {
            self.fail(format!("drop_keyspace({name:?}): {e}"));
        }
        self.handles.remove(&name);
        self.model.remove(&name);
        self.gens.remove(&name);
        self.check_list();
        match self.db().keyspace(&name) {
            Err(Error::NotFound(_)) => {}
            other => self.fail(format!("keyspace({name:?}) after drop: {other:?}")),
        }
        // The dropped handle refuses everything.
        if self.db().get(&h, b"a").is_ok() {
            self.fail(format!("get through dropped handle {name:?} succeeded"));
        }
        if self.db().put(&h, b"a", b"x").is_ok() {
            self.fail(format!("put through dropped handle {name:?} succeeded"));
        }
        if self.db().iter(&h, IterOptions::all()).is_ok() {
            self.fail(format!("iter through dropped handle {name:?} succeeded"));
        }
        if self.db().drop_keyspace(&h).is_ok() {
            self.fail(format!("second drop of {name:?} succeeded"));
        }
        self.check_seq("failed writes to a dropped keyspace");
        self.stats.drops += 1;
    }

    fn check_list(&self) {
        let got = self.db().list_keyspaces();
        let want = self.live_names();
        if got != want {
            self.fail(format!("list_keyspaces(): got {got:?}, want {want:?}"));
        }
    }

    fn op_snapshot_take(&mut self) {
        if self.snaps.len() >= SNAPSHOTS_LIVE_MAX {
            self.op_snapshot_drop();
        }
        let snap = self.db().snapshot();
        self.note(format!("snapshot take (seq {})", snap.sequence()));
        if snap.sequence() != self.seq {
            self.fail(format!("snapshot.sequence() = {}, want {}", snap.sequence(), self.seq));
        }
        self.snaps.push(SnapEntry {
            snap,
            model: self.model.clone(),
            gens: self.gens.clone(),
            seq: self.seq,
            taken_at: self.op,
        });
    }

    fn op_snapshot_drop(&mut self) {
        if self.snaps.is_empty() {
            return;
        }
        let i = self.rng.index(self.snaps.len());
        let s = self.snaps.swap_remove(i);
        self.note(format!("snapshot drop (seq {}, taken at op {})", s.seq, s.taken_at));
    }

    fn op_snapshot_check(&mut self) {
        if self.snaps.is_empty() {
            return;
        }
        let i = self.rng.index(self.snaps.len());
        let full = self.rng.chance(1, 2);
        // Random probes chosen up front (the rng is borrowed mutably).
        let mut probes: Vec<(String, Vec<u8>, IterOptions)> = Vec::new();
        for name in self.live_names() {
            for _ in 0..4 {
                let k = if self.rng.chance(1, 2) {
                    let m = &self.snaps[i].model;
                    let n = m.get(&name).map_or(0, |m| m.len());
                    if n > 0 {
                        let j = self.rng.index(n);
                        m[&name].keys().nth(j).cloned().unwrap_or_default()
                    } else {
                        self.random_key_raw()
                    }
                } else {
                    self.random_key(&name)
                };
                let o = self.random_iter_opts(&name);
                probes.push((name.clone(), k, o));
            }
        }
        let s = &self.snaps[i];
        self.note(format!(
            "snapshot check (seq {}, taken at op {}, full={full})",
            s.seq, s.taken_at
        ));
        let s = &self.snaps[i];
        let empty = KsModel::new();
        for name in self.live_names() {
            // Same incarnation as at the snapshot: its contents then; else (created or recreated
            // since) nothing at all.
            let want_model = match (s.gens.get(&name), self.gens.get(&name)) {
                (Some(a), Some(b)) if a == b => &s.model[&name],
                _ => &empty,
            };
            let h = self.handle(&name);
            let what = format!("snapshot (seq {}, taken at op {})", s.seq, s.taken_at);
            if full {
                for reverse in [false, true] {
                    let o = IterOptions { reverse, ..IterOptions::all() };
                    let got = collect_kvs(s.snap.iter(&h, o.clone()))
                        .unwrap_or_else(|e| self.fail(format!("{what} {name}: {e}")));
                    if let Some(d) = diff_kvs(&got, &expected(want_model, &o)) {
                        self.fail(format!("{what} full iter {name} {}: {d}", show_opts(&o)));
                    }
                }
            }
            for (pn, k, o) in probes.iter().filter(|(pn, _, _)| *pn == name) {
                let got = s
                    .snap
                    .get(&h, k)
                    .unwrap_or_else(|e| self.fail(format!("{what} get {pn}/{}: {e}", hex(k))));
                let want = want_model.get(k).cloned();
                if got != want {
                    self.fail(format!(
                        "{what} get {pn}/{}: got {:?}, want {:?}",
                        hex(k),
                        got.as_deref().map(hex),
                        want.as_deref().map(hex)
                    ));
                }
                let got = collect_kvs(s.snap.iter(&h, o.clone()))
                    .unwrap_or_else(|e| self.fail(format!("{what} {pn}: {e}")));
                if let Some(d) = diff_kvs(&got, &expected(want_model, o)) {
                    self.fail(format!("{what} iter {pn} {}: {d}", show_opts(o)));
                }
            }
            // The same probes in one multi_get at the snapshot.
            let keys: Vec<&[u8]> = probes
                .iter()
                .filter(|(pn, _, _)| *pn == name)
                .map(|(_, k, _)| k.as_slice())
                .collect();
            let got = s
                .snap
                .multi_get(&h, &keys)
                .unwrap_or_else(|e| self.fail(format!("{what} multi_get {name}: {e}")));
            for (k, g) in keys.iter().zip(got) {
                if g.as_deref() != want_model.get(*k).map(Vec::as_slice) {
                    self.fail(format!(
                        "{what} multi_get {name}/{}: got {:?}",
                        hex(k),
                        g.as_deref().map(hex)
                    ));
                }
            }
        }
        self.stats.snapshot_checks += 1;
    }

    /// Every live keyspace, in full, both directions, against the model.
    fn check_all(&self, what: &str) {
        self.check_list();
        self.check_seq(what);
        for name in self.live_names() {
            for reverse in [false, true] {
                let o = IterOptions { reverse, ..IterOptions::all() };
                self.check_iter(&name, &o, what);
            }
        }
    }

    fn op_reopen(&mut self) {
        let close = self.rng.chance(1, 2);
        self.note(format!("reopen (close first: {close}, {} snapshots dropped)", self.snaps.len()));
        self.snaps.clear();
        let db = self.db.take().expect("open");
        if let Err(e) = db.verify() {
            self.fail(format!("verify before the reopen failed: {e}"));
        }
        let s = db.stats();
        self.stats.compactions += s.compactions + s.trivial_moves;
        self.stats.blob_bytes_written += s.flush_blob_bytes + s.compaction_blob_bytes;
        self.stats.blob_bytes_reclaimed += s.blob_bytes_reclaimed;
        if close {
            if let Err(e) = db.close() {
                self.fail(format!("close failed: {e}"));
            }
        } else {
            drop(db);
        }
        let db = Db::open(&self.dir, self.opts.clone())
            .unwrap_or_else(|e| self.fail(format!("reopen failed: {e}")));
        self.handles.clear();
        for name in self.live_names() {
            let h = db
                .keyspace(&name)
                .unwrap_or_else(|e| self.fail(format!("keyspace({name:?}) after reopen: {e}")));
            self.handles.insert(name, h);
        }
        self.db = Some(db);
        self.check_all("after reopen");
        self.stats.reopens += 1;
    }

    /// `db.flush()`: afterwards every memtable is empty, so the checks that follow read tables.
    fn op_flush(&mut self) {
        self.note("flush".into());
        if let Err(e) = self.db().flush() {
            self.fail(format!("flush failed: {e}"));
        }
        if self.model.values().any(|m| !m.is_empty()) && self.files_of(is_table) == 0 {
            self.fail("flush left live data but no table file".into());
        }
        self.check_all("after flush");
        self.stats.flushes += 1;
    }

    /// `db.compact_range` of a random keyspace (all of it, or a random range).
    fn op_compact_range(&mut self) {
        let name = self.random_ks();
        let (lo, hi) = if self.rng.chance(1, 2) {
            (None, None)
        } else {
            let (a, b) = (self.random_key(&name), self.random_key(&name));
            (Some(a.clone().min(b.clone())), Some(a.max(b)))
        };
        self.note(format!(
            "compact_range {name:?} [{} .. {}]",
            lo.as_deref().map_or("-".into(), hex),
            hi.as_deref().map_or("-".into(), hex)
        ));
        let h = self.handle(&name);
        if let Err(e) = self.db().compact_range(&h, lo.as_deref(), hi.as_deref()) {
            self.fail(format!("compact_range failed: {e}"));
        }
        self.check_all("after compact_range");
        self.stats.compact_ranges += 1;
    }

    fn step(&mut self) {
        if self.cfg.compact_range_per_mille > 0
            && self.rng.chance(self.cfg.compact_range_per_mille, 1000)
        {
            self.op_compact_range();
            return;
        }
        if self.cfg.flush_per_mille > 0 && self.rng.chance(self.cfg.flush_per_mille, 1000) {
            self.op_flush();
            return;
        }
        let r = self.rng.below(1000);
        match r {
            0..=279 => self.op_put(),
            280..=399 => self.op_delete(),
            400..=519 => self.op_batch(),
            520..=619 => self.op_get(),
            620..=669 => self.op_multi_get(),
            670..=779 => self.op_iter(),
            780..=819 => self.op_snapshot_take(),
            820..=839 => self.op_snapshot_drop(),
            840..=899 => self.op_snapshot_check(),
            900..=914 => self.op_create(),
            915..=922 => self.op_drop(),
            923..=928 => self.op_reopen(),
            929..=944 => {
                self.note("sync_wal".into());
                if let Err(e) = self.db().sync_wal() {
                    self.fail(format!("sync_wal failed: {e}"));
                }
            }
            _ => {
                self.note("full check".into());
                self.check_all("full check");
            }
        }
    }

    fn wal_files(&self) -> usize {
        self.files_of(is_wal)
    }

    /// Files of the database directory whose name `pred` accepts.
    fn files_of(&self, pred: fn(&str) -> bool) -> usize {
        let names = match &self.memfs {
            Some(m) => m.list(&self.dir).unwrap_or_default(),
            None => std::fs::read_dir(&self.dir)
                .map(|d| d.filter_map(|e| e.ok()?.file_name().into_string().ok()).collect())
                .unwrap_or_default(),
        };
        names.iter().filter(|n| pred(n)).count()
    }

    fn run(mut self) -> Stats {
        eprintln!("model run: {:?}", self.cfg);
        // Start with three keyspaces so that batches span several from the first op.
        for name in ["a", "b"] {
            self.note(format!("create keyspace {name}"));
            let h = self
                .db()
                .create_keyspace(name)
                .unwrap_or_else(|e| self.fail(format!("create_keyspace({name:?}): {e}")));
            self.add_keyspace(name, h);
        }
        for op in 0..self.cfg.ops {
            self.op = op;
            self.step();
        }
        self.op = self.cfg.ops;
        self.check_all("end of run");
        self.op_reopen();
        eprintln!(
            "model run seed {:#x} done: {:?}, {} WAL files, {} tables, {} keys, last sequence {}",
            self.cfg.seed,
            self.stats,
            self.wal_files(),
            self.files_of(is_table),
            self.model.values().map(|m| m.len()).sum::<usize>(),
            self.seq
        );
        self.stats
    }
}

fn is_wal(name: &str) -> bool {
    matches!(shale_engine::filename::parse(name), Some(shale_engine::filename::FileKind::Wal(_)))
}

fn is_table(name: &str) -> bool {
    matches!(shale_engine::filename::parse(name), Some(shale_engine::filename::FileKind::Table(_)))
}

fn env_usize(name: &str) -> Option<usize> {
    env_u64(name).map(|v| v as usize)
}

fn ops_per_seed() -> usize {
    env_usize("SHALE_MODEL_OPS").unwrap_or(3000)
}

/// The seeds of the `MemFs` runs whose configuration has (or has not) a small memtable.
fn memfs_seeds(small: bool) -> Vec<u64> {
    let ops = ops_per_seed();
    let all: Vec<u64> = match env_u64("SHALE_MODEL_SEED") {
        Some(s) => vec![s],
        None => {
            let n = env_usize("SHALE_MODEL_SEEDS").unwrap_or(6) as u64;
            (0..n).map(|i| SEED_BASE + i).collect()
        }
    };
    all.into_iter()
        .filter(|&s| Config::for_seed(s, ops, Backend::Mem).small_memtable() == small)
        .collect()
}

#[test]
fn model_memfs_small_memtable() {
    for s in memfs_seeds(true) {
        Run::new(Config::for_seed(s, ops_per_seed(), Backend::Mem)).run();
    }
}

#[test]
fn model_memfs_default_memtable() {
    for s in memfs_seeds(false) {
        Run::new(Config::for_seed(s, ops_per_seed(), Backend::Mem)).run();
    }
}

/// Seeds with compaction running all the time on the background thread (tiny tables, L0
/// trigger 2; half of them universal), concurrently with the model's writes, reads, snapshots
/// and iterators. `SHALE_MODEL_COMPACTION_SEEDS` sets their number (default 4).
fn compaction_seeds() -> Vec<u64> {
    match env_u64("SHALE_MODEL_SEED") {
        Some(s) => vec![s],
        None => {
            let n = env_usize("SHALE_MODEL_COMPACTION_SEEDS").unwrap_or(4) as u64;
            (0..n).map(|i| SEED_BASE + 0x300 + i).collect()
        }
    }
}

/// Runs the compaction seeds of one style (universal: odd seeds).
fn run_compaction_seeds(compact_range: bool, universal: bool) {
    for s in compaction_seeds().into_iter().filter(|s| s.is_multiple_of(2) != universal) {
        let stats = Run::new(Config::compaction(s, ops_per_seed(), compact_range)).run();
        assert!(stats.compactions > 0, "seed {s:#x}: no compaction ran ({stats:?})");
    }
}

#[test]
fn model_memfs_compaction_leveled() {
    run_compaction_seeds(false, false);
}

/// [`model_memfs_compaction_leveled`] with the universal style.
#[test]
fn model_memfs_compaction_universal() {
    run_compaction_seeds(false, true);
}

/// The compaction seeds (both styles) with `db.compact_range` as a model operation.
#[test]
fn model_memfs_compaction_with_compact_range() {
    run_compaction_seeds(true, false);
    run_compaction_seeds(true, true);
}

/// Key-value separation (values of 32 bytes or more in blob files; keyspace "b" without): a
/// small-memtable seed, then the compaction seeds of both styles with `compact_range`, so that
/// blob files are written by flushes, carried and relocated by compactions, and removed once
/// all garbage. Every run must have written and reclaimed blob files.
#[test]
fn model_memfs_blobs() {
    let ops = ops_per_seed();
    let mut configs = vec![Config::for_seed(SEED_BASE + 0x200, ops, Backend::Mem).with_blobs(32)];
    for s in compaction_seeds().into_iter().take(2) {
        configs.push(Config::compaction(s, ops, true).with_blobs(32));
    }
    for cfg in configs {
        let compacts = cfg.compaction.is_some();
        let stats = Run::new(cfg).run();
        assert!(stats.blob_bytes_written > 0, "no blob file was written: {stats:?}");
        if compacts {
            assert!(stats.blob_bytes_reclaimed > 0, "no blob file was reclaimed: {stats:?}");
        }
    }
}

/// The real-disk seed (small memtable: even seed) on `backend`. The io_uring backends are
/// skipped where no ring can be set up, except under CI, where they must work.
fn run_disk_seed(backend: Backend) {
    if backend != Backend::Os && shale_engine::fs::IoBackend::Uring.file_system().is_err() {
        assert!(std::env::var_os("CI").is_none(), "io_uring must be available in CI");
        eprintln!("skipped: io_uring is not available");
        return;
    }
    let seed = env_u64("SHALE_MODEL_OS_SEED").unwrap_or(SEED_BASE + 0x100);
    Run::new(Config::for_seed(seed, ops_per_seed(), backend)).run();
}

/// One seed on the real file system through pread/write.
#[test]
fn model_osfs() {
    run_disk_seed(Backend::Os);
}

/// The same seed through io_uring.
#[test]
fn model_uring() {
    run_disk_seed(Backend::Uring);
}

/// The same seed through io_uring with `O_DIRECT` table reads and writes (on a file system
/// that refuses `O_DIRECT` the engine falls back to buffered files, and says so).
#[test]
fn model_uring_direct() {
    run_disk_seed(Backend::UringDirect);
}

// ---------------------------------------------------------------------------------------------
// Concurrent variant: writers on disjoint key ranges, readers checking snapshot stability.
// ---------------------------------------------------------------------------------------------

const CONC_WRITERS: u8 = 4;
const CONC_READERS: u64 = 2;

/// Writer `t` owns the keys starting with `b'0' + t` in both keyspaces.
fn conc_key(rng: &mut Rng, t: u8) -> Vec<u8> {
    let len = rng.range(0, 4);
    let mut k = vec![b'0' + t];
    k.extend((0..len).map(|_| *rng.pick(&ALPHABET)));
    k
}

fn conc_value(rng: &mut Rng) -> Vec<u8> {
    let len = if rng.chance(1, 40) { rng.range(1 << 10, 3 << 10) } else { rng.range(0, 60) };
    rng.bytes(len)
}

/// Runs one writer; returns its models of (default, aux) and the sequence numbers it consumed.
fn conc_writer(seed: u64, t: u8, ops: usize, db: &Db, ks: &[Keyspace; 2]) -> ([KsModel; 2], u64) {
    let mut rng = Rng::new(seed ^ (u64::from(t) + 1).wrapping_mul(0xA076_1D64_78BD_642F));
    let mut model: [KsModel; 2] = [KsModel::new(), KsModel::new()];
    let mut seqs = 0u64;
    let ctx = |op: usize, msg: String| -> String {
        format!("CONCURRENT MODEL MISMATCH seed={seed:#x} writer={t} op={op}: {msg}")
    };
    let prefix = IterOptions::prefix(vec![b'0' + t]);
    for op in 0..ops {
        let wo = WriteOptions { sync: rng.chance(1, 20) };
        let mut touched: Vec<(usize, Vec<u8>)> = Vec::new();
        match rng.below(100) {
            0..=44 => {
                let i = rng.index(2);
                let (k, v) = (conc_key(&mut rng, t), conc_value(&mut rng));
                db.put_with(&ks[i], &k, &v, wo)
                    .unwrap_or_else(|e| panic!("{}", ctx(op, format!("put: {e}"))));
                model[i].insert(k.clone(), v);
                seqs += 1;
                touched.push((i, k));
            }
            45..=69 => {
                let i = rng.index(2);
                let k = conc_key(&mut rng, t);
                db.delete_with(&ks[i], &k, wo)
                    .unwrap_or_else(|e| panic!("{}", ctx(op, format!("delete: {e}"))));
                model[i].remove(&k);
                seqs += 1;
                touched.push((i, k));
            }
            70..=89 => {
                let n = rng.range(1, 8);
                let mut b = WriteBatch::new();
                for _ in 0..n {
                    let i = rng.index(2);
                    let k = match touched.iter().rev().find(|(j, _)| *j == i) {
                        Some((_, k)) if rng.chance(1, 3) => k.clone(),
                        _ => conc_key(&mut rng, t),
                    };
                    if rng.chance(2, 3) {
                        let v = conc_value(&mut rng);
                        b.put(&ks[i], &k, &v);
                        model[i].insert(k.clone(), v);
                    } else {
                        b.delete(&ks[i], &k);
                        model[i].remove(&k);
                    }
                    touched.push((i, k));
                }
                db.write(b, wo).unwrap_or_else(|e| panic!("{}", ctx(op, format!("batch: {e}"))));
                seqs += n as u64;
            }
            _ => {
                // Nobody else writes this prefix: a fresh snapshot and the latest state must both
                // show exactly this writer's model.
                let i = rng.index(2);
                let snap = db.snapshot();
                let want = expected(&model[i], &prefix);
                for (what, got) in [
                    ("snapshot iter", collect_kvs(snap.iter(&ks[i], prefix.clone()))),
                    ("latest iter", collect_kvs(db.iter(&ks[i], prefix.clone()))),
                ] {
                    let got = got.unwrap_or_else(|e| panic!("{}", ctx(op, format!("{what}: {e}"))));
                    if let Some(d) = diff_kvs(&got, &want) {
                        panic!(
                            "{}",
                            ctx(op, format!("{what} of own prefix in {}: {d}", ks[i].name()))
                        );
                    }
                }
            }
        }
        for (i, k) in touched {
            let got =
                db.get(&ks[i], &k).unwrap_or_else(|e| panic!("{}", ctx(op, format!("get: {e}"))));
            let want = model[i].get(&k).cloned();
            if got != want {
                panic!(
                    "{}",
                    ctx(
                        op,
                        format!(
                            "read-your-write {}/{}: got {:?}, want {:?}",
                            ks[i].name(),
                            hex(&k),
                            got.as_deref().map(hex),
                            want.as_deref().map(hex)
                        )
                    )
                );
            }
        }
    }
    (model, seqs)
}

/// Runs one reader until `stop`; returns how many snapshots it checked.
fn conc_reader(seed: u64, r: u64, db: &Db, ks: &[Keyspace; 2], stop: &AtomicBool) -> u64 {
    let mut rng = Rng::new(seed ^ (r + 100).wrapping_mul(0xE703_7ED1_A0B4_28DB));
    let mut rounds = 0u64;
    loop {
        let done = stop.load(Ordering::Acquire);
        let ctx = |msg: String| -> String {
            format!("CONCURRENT MODEL MISMATCH seed={seed:#x} reader={r} round={rounds}: {msg}")
        };
        let snap = db.snapshot();
        let i = rng.index(2);
        let mut opts = match rng.below(3) {
            0 => IterOptions::all(),
            1 => IterOptions::prefix(vec![b'0' + rng.below(u64::from(CONC_WRITERS)) as u8]),
            _ => IterOptions::range(conc_key(&mut rng, 0), conc_key(&mut rng, CONC_WRITERS - 1)),
        };
        if rng.chance(1, 2) {
            opts = opts.reverse();
        }
        let first =
            collect_kvs(snap.iter(&ks[i], opts.clone())).unwrap_or_else(|e| panic!("{}", ctx(e)));
        let second =
            collect_kvs(snap.iter(&ks[i], opts.clone())).unwrap_or_else(|e| panic!("{}", ctx(e)));
        if let Some(d) = diff_kvs(&second, &first) {
            panic!(
                "{}",
                ctx(format!("two iterations of one snapshot differ {}: {d}", show_opts(&opts)))
            );
        }
        let mut other_dir = opts.clone();
        other_dir.reverse = !opts.reverse;
        let mut third =
            collect_kvs(snap.iter(&ks[i], other_dir)).unwrap_or_else(|e| panic!("{}", ctx(e)));
        third.reverse();
        if let Some(d) = diff_kvs(&third, &first) {
            panic!(
                "{}",
                ctx(format!("reverse iteration of one snapshot differs {}: {d}", show_opts(&opts)))
            );
        }
        for w in first.windows(2) {
            let ordered = if opts.reverse { w[0].0 > w[1].0 } else { w[0].0 < w[1].0 };
            if !ordered {
                panic!(
                    "{}",
                    ctx(format!(
                        "keys out of order {}: {} then {}",
                        show_opts(&opts),
                        hex(&w[0].0),
                        hex(&w[1].0)
                    ))
                );
            }
        }
        for (k, v) in &first {
            if !in_bounds(k, &opts) || !(b'0'..b'0' + CONC_WRITERS).contains(&k[0]) {
                panic!(
                    "{}",
                    ctx(format!("key {} outside the bounds {}", hex(k), show_opts(&opts)))
                );
            }
            if rng.chance(1, 8) {
                let got = snap.get(&ks[i], k).unwrap_or_else(|e| panic!("{}", ctx(e.to_string())));
                if got.as_ref() != Some(v) {
                    panic!(
                        "{}",
                        ctx(format!("snapshot get {} disagrees with its iterator", hex(k)))
                    );
                }
            }
        }
        rounds += 1;
        if done {
            return rounds;
        }
    }
}

/// Compares both keyspaces in full with the union of the writers' models.
fn conc_check_final(seed: u64, what: &str, db: &Db, union: &[KsModel; 2], seq: u64) {
    for (i, name) in [DEFAULT_KEYSPACE, "aux"].iter().enumerate() {
        let ks = db.keyspace(name).unwrap_or_else(|e| panic!("seed={seed:#x} {what}: {name}: {e}"));
        for reverse in [false, true] {
            let o = IterOptions { reverse, ..IterOptions::all() };
            let got = collect_kvs(db.iter(&ks, o.clone()))
                .unwrap_or_else(|e| panic!("seed={seed:#x} {what}: {name}: {e}"));
            if let Some(d) = diff_kvs(&got, &expected(&union[i], &o)) {
                panic!(
                    "CONCURRENT MODEL MISMATCH seed={seed:#x} {what}: {name} {}: {d}",
                    show_opts(&o)
                );
            }
        }
    }
    assert_eq!(db.latest_sequence(), seq, "seed={seed:#x} {what}: latest_sequence()");
}

#[test]
fn model_concurrent() {
    let seed = env_u64("SHALE_MODEL_CONC_SEED").unwrap_or(SEED_BASE + 0x200);
    let ops = env_usize("SHALE_MODEL_CONC_OPS").unwrap_or(1500);
    eprintln!("concurrent model run: seed {seed:#x}, {ops} ops per writer");
    let fs = MemFs::new();
    let opts =
        Options { memtable_bytes_max: 8 << 10, fs: Arc::new(fs.clone()), ..Options::default() };
    let dir = Path::new("/model/concurrent");
    let db = Db::open(dir, opts.clone()).expect("open");
    let ks = [db.default_keyspace(), db.create_keyspace("aux").expect("create aux")];
    let stop = AtomicBool::new(false);
    let reader_rounds = AtomicU64::new(0);

    let (results, reader_panics) = std::thread::scope(|s| {
        let writers: Vec<_> = (0..CONC_WRITERS)
            .map(|t| {
                let (db, ks) = (&db, &ks);
                s.spawn(move || conc_writer(seed, t, ops, db, ks))
            })
            .collect();
        let readers: Vec<_> = (0..CONC_READERS)
            .map(|r| {
                let (db, ks, stop, rounds) = (&db, &ks, &stop, &reader_rounds);
                s.spawn(move || {
                    let n = conc_reader(seed, r, db, ks, stop);
                    rounds.fetch_add(n, Ordering::Relaxed);
                })
            })
            .collect();
        let results: Vec<_> = writers.into_iter().map(|h| h.join()).collect();
        stop.store(true, Ordering::Release);
        let reader_panics: Vec<_> = readers.into_iter().filter_map(|h| h.join().err()).collect();
        (results, reader_panics)
    });
    let mut union: [KsModel; 2] = [KsModel::new(), KsModel::new()];
    let mut seq = 0;
    for r in results {
        match r {
            Ok((m, n)) => {
                for (u, m) in union.iter_mut().zip(m) {
                    u.extend(m);
                }
                seq += n;
            }
            Err(p) => std::panic::resume_unwind(p),
        }
    }
    if let Some(p) = reader_panics.into_iter().next() {
        std::panic::resume_unwind(p);
    }
    assert!(reader_rounds.load(Ordering::Relaxed) >= CONC_READERS, "readers ran");
    conc_check_final(seed, "after the threads joined", &db, &union, seq);
    drop(ks);
    drop(db);
    let db = Db::open(dir, opts).expect("reopen");
    conc_check_final(seed, "after reopen", &db, &union, seq);
    eprintln!(
        "concurrent model run seed {seed:#x} done: {} reader rounds, {} keys, {seq} writes",
        reader_rounds.load(Ordering::Relaxed),
        union.iter().map(|m| m.len()).sum::<usize>()
    );
}
