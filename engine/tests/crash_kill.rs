//! Real-process crash test: a child process writes with `sync: true` from several threads and is
//! killed with SIGKILL at a random moment; the parent then reopens the database and checks that
//! every acknowledged write survived, that each writer's keys form a gap-free prefix, and that
//! two-key batches are all-or-nothing.
//!
//! The same binary is parent and child: with `SHALE_CRASH_CHILD=<dir>` set it is a writer (on the
//! I/O backend `SHALE_CRASH_BACKEND` names).
//!
//! It runs on every real I/O backend in turn: `pread` (`OsFs`), `uring` (`UringFs`) and
//! `pread-blob` (`OsFs` with key-value separation); the
//! child writes and the parent recovers through the same one. Where io_uring cannot be set up the
//! `uring` run is skipped with a note, except under CI (`CI` set), where that is a failure.
//!
//! Environment:
//! * `SHALE_CRASH_CYCLES` (default 50): kill/recover cycles per backend;
//! * `SHALE_CRASH_BACKENDS` (default `pread,uring,pread-blob`): the backends to run,
//!   comma-separated (`pread-blob`: pread with values of 100 bytes or more in blob files);
//! * `SHALE_TEST_SEED` (decimal or 0x-hex, default fixed): seed of the kill delays (the same
//!   delays on every backend);
//! * `SHALE_CRASH_VERBOSE` (set: on): one line per cycle on stderr.
//!
//! After each reopen, once the compaction the open may start has finished, the directory must
//! hold only `CURRENT`, `LOCK`, the live manifest, the SSTables it names and one WAL (read with
//! the engine's public manifest reader): a kill in the middle of a background flush or of a
//! recovery must leave nothing that no open removes. (Checked while that compaction ran, the
//! directory could hold its unfinished output: a table numbered after the manifest, that the
//! manifest does not name yet.)
//!
//! A kill ends the process, not the machine: what `write` handed to the kernel survives, so this
//! tests the process-crash contract (acknowledged writes durable, torn tails dropped, recovery and
//! flushes that are themselves killed and redone), not power loss (the `MemFs` and `FaultFs` tests
//! of `crash.rs` cover that, on every backend).

mod common;

use common::Rng;
use shale_engine::fs::{FileSystem, IoBackend};
use shale_engine::{Db, IterOptions, Keyspace, Options, WriteBatch, WriteOptions};
use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const CHILD_ENV: &str = "SHALE_CRASH_CHILD";
const BACKEND_ENV: &str = "SHALE_CRASH_BACKEND";
const BACKENDS_ENV: &str = "SHALE_CRASH_BACKENDS";
const CYCLES_ENV: &str = "SHALE_CRASH_CYCLES";
const VERBOSE_ENV: &str = "SHALE_CRASH_VERBOSE";
const CYCLES_DEFAULT: u64 = 50;
const SEED_DEFAULT: u64 = 0x5348_414C_455F_4B31;
/// A fresh directory every this many cycles.
const CYCLES_PER_DIR: u64 = 50;
const THREADS: u64 = 4;
/// A child that is never killed (its parent died) stops by itself after this long.
const CHILD_LIFETIME_MAX: Duration = Duration::from_secs(60);
/// Failures printed in full; the rest are only counted.
const FAILURES_PRINTED_MAX: usize = 20;

/// A stateless 64-bit mix of `x` (one SplitMix64 step).
fn mix(x: u64) -> u64 {
    Rng::new(x).next_u64()
}

/// What one run of cycles is on: an I/O backend, and whether values of at least
/// [`BLOB_THRESHOLD`] bytes go to blob files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Target {
    io: IoBackend,
    blobs: bool,
}

/// The blob threshold of `pread-blob`: about half the values (10..=2000 bytes) are separated.
const BLOB_THRESHOLD: usize = 100;

impl Target {
    /// `pread`, `uring` or `pread-blob`.
    fn parse(name: &str) -> Option<Target> {
        match name {
            "pread" => Some(Target { io: IoBackend::Pread, blobs: false }),
            "uring" => Some(Target { io: IoBackend::Uring, blobs: false }),
            "pread-blob" => Some(Target { io: IoBackend::Pread, blobs: true }),
            _ => None,
        }
    }

    /// The name as `SHALE_CRASH_BACKEND(S)` spell it.
    fn name(self) -> &'static str {
        match (self.io, self.blobs) {
            (IoBackend::Uring, _) => "uring",
            (_, true) => "pread-blob",
            _ => "pread",
        }
    }

    /// Small memtables, so that the child rotates the WAL and its background thread flushes
    /// tables often: kills land in the middle of flushes too. Files go through `fs`.
    fn options(self, fs: &Arc<dyn FileSystem>) -> Options {
        Options {
            memtable_bytes_max: 256 << 10,
            fs: Arc::clone(fs),
            blob_threshold_bytes: self.blobs.then_some(BLOB_THRESHOLD),
            ..Default::default()
        }
    }
}

fn main_key(t: u64, i: u64) -> Vec<u8> {
    format!("t{t}-{i:08}").into_bytes()
}

fn partner_key(t: u64, i: u64) -> Vec<u8> {
    format!("p{t}-{i:08}").into_bytes()
}

/// Whether write `i` of thread `t` is a two-key batch (main key + partner key).
fn is_batch(t: u64, i: u64) -> bool {
    mix((t << 40) ^ i ^ 0xBA7C).is_multiple_of(8)
}

/// The value of write `i` of thread `t` (`part` 0: main key, 1: partner): 10..=2000 bytes, so
/// records straddle WAL blocks at varying offsets; mostly short, to keep the log (and the debug
/// build's replay of it) small.
fn value(t: u64, i: u64, part: u64) -> Vec<u8> {
    let h = mix((t << 48) ^ (i << 1) ^ part);
    let len = 10 + (h % if h & 0x300 == 0 { 1991 } else { 200 }) as usize;
    let mut v = h.to_le_bytes().repeat(len.div_ceil(8));
    v.truncate(len);
    v
}

/// The index in the 8-digit suffix of a key.
fn parse_index(digits: &[u8]) -> Option<u64> {
    if digits.len() != 8 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

// ---------------------------------------------------------------------------------------------
// Child

fn child_main(dir: &Path) -> ! {
    let name = std::env::var(BACKEND_ENV).unwrap_or_else(|_| "pread".into());
    let target = Target::parse(&name);
    let fs = match target.map(|t| t.io.file_system()) {
        Some(Ok(fs)) => fs,
        Some(Err(e)) => {
            eprintln!("crash_kill child: backend {name}: {e}");
            std::process::exit(2);
        }
        None => {
            eprintln!("crash_kill child: unknown backend {name:?}");
            std::process::exit(2);
        }
    };
    let Some(target) = target else { std::process::exit(2) };
    let db = match Db::open(dir, target.options(&fs)) {
        Ok(db) => db,
        Err(e) => {
            eprintln!("crash_kill child: open of {} failed: {e}", dir.display());
            std::process::exit(2);
        }
    };
    let ks = db.default_keyspace();
    let starts: Vec<u64> = (0..THREADS)
        .map(|t| {
            resume_index(&db, &ks, t).unwrap_or_else(|e| {
                eprintln!("crash_kill child: read failed: {e}");
                std::process::exit(3);
            })
        })
        .collect();
    let deadline = Instant::now() + CHILD_LIFETIME_MAX;
    std::thread::scope(|s| {
        for (t, &start) in (0..THREADS).zip(&starts) {
            let (db, ks) = (&db, &ks);
            s.spawn(move || child_writer(db, ks, t, start, deadline));
        }
    });
    std::process::exit(0);
}

/// How many keys thread `t` has: its keys form a prefix `0..n` (the parent checks that), so
/// gallop then bisect on their presence.
fn resume_index(db: &Db, ks: &Keyspace, t: u64) -> shale_engine::Result<u64> {
    let has = |i: u64| db.get(ks, &main_key(t, i)).map(|v| v.is_some());
    if !has(0)? {
        return Ok(0);
    }
    // Invariant: has(lo), !has(hi).
    let mut lo = 0u64;
    let mut hi = 1u64;
    while has(hi)? {
        lo = hi;
        hi *= 2;
    }
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if has(mid)? {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Ok(hi)
}

fn child_writer(db: &Db, ks: &Keyspace, t: u64, start: u64, deadline: Instant) {
    let stdout = std::io::stdout();
    for i in start.. {
        if Instant::now() > deadline {
            return;
        }
        let res = if is_batch(t, i) {
            let mut b = WriteBatch::new();
            b.put(ks, &main_key(t, i), &value(t, i, 0)).put(
                ks,
                &partner_key(t, i),
                &value(t, i, 1),
            );
            db.write(b, WriteOptions { sync: true })
        } else {
            db.put_with(ks, &main_key(t, i), &value(t, i, 0), WriteOptions { sync: true })
        };
        if let Err(e) = res {
            eprintln!("crash_kill child: write t{t} i{i} failed: {e}");
            std::process::exit(4);
        }
        // One line per lock, flushed: an ack is out before the next write starts. A failed write
        // means the parent is gone: stop.
        let mut out = stdout.lock();
        if writeln!(out, "ack {t} {i}").and_then(|()| out.flush()).is_err() {
            std::process::exit(5);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Parent

/// Kills and reaps the child if the parent unwinds.
struct ChildGuard(Option<Child>);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        if let Some(mut c) = self.0.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

#[derive(Default)]
struct Stats {
    acks: u64,
    cycles_without_ack: u64,
    keys_max: u64,
    /// Most live tables seen after an open.
    tables_max: usize,
}

struct Failures {
    /// Cycles with at least one failure.
    cycles: u64,
    last_cycle: Option<u64>,
    printed: usize,
    seed: u64,
    /// The backend's name (`SHALE_CRASH_BACKENDS` spelling).
    backend: &'static str,
}

impl Failures {
    fn report(&mut self, cycle: u64, msg: String) {
        if self.last_cycle != Some(cycle) {
            self.last_cycle = Some(cycle);
            self.cycles += 1;
        }
        if self.printed < FAILURES_PRINTED_MAX {
            self.printed += 1;
            eprintln!(
                "crash_kill FAILURE (SHALE_CRASH_BACKENDS={} SHALE_TEST_SEED={:#x}, cycle {cycle}): \
                 {msg}",
                self.backend, self.seed
            );
        }
    }
}

/// Parses complete `ack t i` lines (a line cut by the kill is ignored).
fn parse_acks(out: &[u8]) -> Result<Vec<(u64, u64)>, String> {
    let text = String::from_utf8_lossy(out);
    let mut acks = Vec::new();
    let complete = match text.rfind('\n') {
        Some(p) => &text[..p],
        None => "",
    };
    for line in complete.lines() {
        let mut w = line.split(' ');
        match (w.next(), w.next(), w.next(), w.next()) {
            (Some("ack"), Some(t), Some(i), None) => {
                let t: u64 = t.parse().map_err(|_| format!("bad ack line {line:?}"))?;
                let i: u64 = i.parse().map_err(|_| format!("bad ack line {line:?}"))?;
                acks.push((t, i));
            }
            _ => return Err(format!("unexpected child output line {line:?}")),
        }
    }
    Ok(acks)
}

/// Runs one child on `backend` for `delay`, kills it, returns its acks.
fn run_child(dir: &Path, backend: Target, delay: Duration) -> Result<Vec<(u64, u64)>, String> {
    let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    let child = Command::new(exe)
        .env(CHILD_ENV, dir)
        .env(BACKEND_ENV, backend.name())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("spawning the child: {e}"))?;
    let mut guard = ChildGuard(Some(child));
    let child = guard.0.as_mut().ok_or("no child")?;
    let mut stdout = child.stdout.take().ok_or("child without stdout")?;
    // Reads until the pipe closes (the child died): everything printed before the kill counts.
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let r = stdout.read_to_end(&mut buf);
        (buf, r)
    });
    std::thread::sleep(delay);
    let early = child.try_wait().map_err(|e| format!("try_wait: {e}"))?;
    let _ = child.kill();
    let status = child.wait().map_err(|e| format!("wait: {e}"))?;
    guard.0 = None;
    let (out, r) = reader.join().map_err(|_| "stdout reader panicked".to_string())?;
    r.map_err(|e| format!("reading child stdout: {e}"))?;
    if let Some(st) = early {
        return Err(format!("child exited by itself before the kill: {st}"));
    }
    if status.signal() != Some(9) {
        return Err(format!("child was not killed by SIGKILL: {status}"));
    }
    parse_acks(&out)
}

/// Checks the reopened database against the acks (one pass over the keyspace); returns each
/// thread's key count.
fn verify(db: &Db, acks: &[(u64, u64)], prev: &[u64]) -> Result<Vec<u64>, String> {
    let ks = db.default_keyspace();
    let mut counts = vec![0u64; THREADS as usize];
    let mut partners = vec![BTreeSet::new(); THREADS as usize];
    for kv in db.iter(&ks, IterOptions::all()).map_err(|e| e.to_string())? {
        let (k, v) = kv.map_err(|e| format!("iterating: {e}"))?;
        let stray = || format!("stray key {:?}", String::from_utf8_lossy(&k));
        let (kind, t) = match k.as_slice() {
            [kind @ (b't' | b'p'), t @ b'0'..=b'9', b'-', ..] => (*kind, u64::from(t - b'0')),
            _ => return Err(stray()),
        };
        let Some(i) = (t < THREADS).then(|| parse_index(&k[3..])).flatten() else {
            return Err(stray());
        };
        let n = &mut counts[t as usize];
        if kind == b't' {
            // Main keys come in order: exactly t{t}-0 .. t{t}-(n-1).
            if i != *n {
                return Err(format!(
                    "thread {t}: expected key {:?} next, found {:?} (a hole)",
                    String::from_utf8_lossy(&main_key(t, *n)),
                    String::from_utf8_lossy(&k)
                ));
            }
            if v != value(t, i, 0) {
                return Err(format!("thread {t}: wrong value of key {i} ({} bytes)", v.len()));
            }
            *n += 1;
        } else {
            if v != value(t, i, 1) {
                return Err(format!("thread {t}: wrong value of partner key {i}"));
            }
            partners[t as usize].insert(i);
        }
    }
    for t in 0..THREADS {
        let n = counts[t as usize];
        // Every acknowledged write is there.
        if let Some(max) = acks.iter().filter(|a| a.0 == t).map(|a| a.1).max() {
            if n < max + 1 {
                return Err(format!("thread {t}: write {max} was acknowledged, only {n} keys"));
            }
        }
        // Nothing an earlier recovery saw is lost.
        if n < prev[t as usize] {
            return Err(format!(
                "thread {t}: {n} keys, an earlier recovery saw {}",
                prev[t as usize]
            ));
        }
        // Partner keys: present exactly for the batches among the n writes.
        let expected: BTreeSet<u64> = (0..n).filter(|&i| is_batch(t, i)).collect();
        let got = &partners[t as usize];
        if *got != expected {
            let missing: Vec<_> = expected.difference(got).take(5).collect();
            let extra: Vec<_> = got.difference(&expected).take(5).collect();
            return Err(format!(
                "thread {t}: batch not atomic: partners missing for {missing:?}, present without \
                 their main key for {extra:?} (n = {n})"
            ));
        }
    }
    Ok(counts)
}

/// After an open, the directory holds `CURRENT`, `LOCK`, the one manifest `CURRENT` names, the
/// SSTables that manifest names and one WAL file: an open or a flush killed half-way must not
/// leave files (an unnamed table, an old manifest, a replayed WAL) that no later open removes.
/// Returns the number of live tables.
fn check_files(fs: &dyn FileSystem, dir: &Path) -> Result<usize, String> {
    let wals = common::check_db_files(fs, dir)?;
    if wals.len() != 1 {
        return Err(format!("after an open: WAL files {wals:?}, expected exactly one"));
    }
    let (_, state) = common::read_manifest(fs, dir)?;
    Ok(state.live_files().count())
}

/// The backends to run (`SHALE_CRASH_BACKENDS`, default all three), without io_uring where no
/// ring can be set up (a note; under CI, a panic).
fn backends() -> Vec<Target> {
    let list = std::env::var(BACKENDS_ENV).unwrap_or_else(|_| "pread,uring,pread-blob".into());
    let mut out = Vec::new();
    for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let Some(backend) = Target::parse(name) else {
            panic!("{BACKENDS_ENV}: unknown backend {name:?} (pread, uring or pread-blob)")
        };
        if let Err(e) = backend.io.file_system() {
            assert!(std::env::var_os("CI").is_none(), "io_uring must be available in CI: {e}");
            eprintln!("crash_kill: skipping {name}: io_uring is not available ({e})");
            continue;
        }
        out.push(backend);
    }
    out
}

fn parent_main() -> ! {
    let cycles: u64 = match std::env::var(CYCLES_ENV) {
        Ok(s) => s.parse().unwrap_or_else(|_| panic!("{CYCLES_ENV}={s:?} is not a number")),
        Err(_) => CYCLES_DEFAULT,
    };
    let seed = common::env_seed(SEED_DEFAULT);
    let verbose = std::env::var_os(VERBOSE_ENV).is_some();
    let mut ok = true;
    for backend in backends() {
        ok &= run_backend(backend, cycles, seed, verbose);
    }
    std::process::exit(if ok { 0 } else { 1 });
}

/// `cycles` kill/recover cycles on `backend`; true when all passed.
fn run_backend(backend: Target, cycles: u64, seed: u64, verbose: bool) -> bool {
    let name = backend.name();
    let fs = backend.io.file_system().unwrap_or_else(|e| panic!("{name}: {e}"));
    let started = Instant::now();
    let mut failures = Failures { cycles: 0, last_cycle: None, printed: 0, seed, backend: name };
    let mut failed_opens = 0u64;
    let mut stats = Stats::default();
    let mut tmp: Option<tempfile::TempDir> = None;
    let mut dir = PathBuf::new();
    let mut prev = vec![0u64; THREADS as usize];
    for cycle in 0..cycles {
        if cycle % CYCLES_PER_DIR == 0 || tmp.is_none() {
            let t = tempfile::Builder::new().prefix("shale-crash-kill").tempdir().expect("tempdir");
            dir = t.path().join("db");
            tmp = Some(t);
            prev = vec![0; THREADS as usize];
        }
        let delay = Duration::from_millis(Rng::new(seed ^ mix(cycle)).range(5, 150) as u64);
        let acks = match run_child(&dir, backend, delay) {
            Ok(a) => a,
            Err(e) => {
                failures.report(cycle, e);
                tmp = None;
                continue;
            }
        };
        stats.acks += acks.len() as u64;
        if acks.is_empty() {
            stats.cycles_without_ack += 1;
        }
        let t_open = Instant::now();
        let opened = Db::open(&dir, backend.options(&fs));
        let open_time = t_open.elapsed();
        let db = match opened {
            Ok(db) => db,
            Err(e) => {
                failed_opens += 1;
                failures.report(cycle, format!("open after the kill failed: {e}"));
                tmp = None;
                continue;
            }
        };
        // The open asks for a compaction when recovery left L0 past its trigger, and that
        // compaction writes its output (numbered after the new manifest) while this check lists
        // the directory: wait for it, so that the check sees a settled directory, then check that
        // the open and that background work together left nothing behind.
        if let Err(e) = db.wait_for_background_work() {
            failures.report(cycle, format!("background work after the open failed: {e}"));
        }
        match check_files(&*fs, &dir) {
            Ok(n) => stats.tables_max = stats.tables_max.max(n),
            Err(e) => failures.report(cycle, e),
        }
        match verify(&db, &acks, &prev) {
            Ok(counts) => {
                if verbose {
                    eprintln!(
                        "{name} cycle {cycle}: kill after {delay:?}, {} acks, reopen \
                         {open_time:.1?}, keys per thread {counts:?}",
                        acks.len()
                    );
                }
                stats.keys_max = stats.keys_max.max(counts.iter().sum());
                prev = counts;
            }
            Err(e) => {
                failures.report(cycle, format!("{e} (kill after {delay:?}, {} acks)", acks.len()));
                tmp = None;
            }
        }
        if let Err(e) = db.close() {
            failures.report(cycle, format!("close failed: {e}"));
            tmp = None;
        }
    }
    let mut failed = failures.cycles;
    // Not vacuous: the children wrote enough to flush (and so could be killed while flushing).
    if cycles >= 10 && stats.tables_max == 0 {
        eprintln!(
            "crash_kill FAILURE ({name}): no open ever found a table: the children never flushed"
        );
        failed += 1;
    }
    println!(
        "crash_kill ({name}): seed {seed:#x}, {} acks, {} cycles killed before any ack, up to {} \
         writes per directory, up to {} live tables, {failed_opens} failed opens, {:.1?}",
        stats.acks,
        stats.cycles_without_ack,
        stats.keys_max,
        stats.tables_max,
        started.elapsed()
    );
    let passed = cycles.saturating_sub(failed);
    // `exit` runs no destructors: remove the directory first.
    drop(tmp);
    println!("crash_kill ({name}): {passed} passed, {failed} failed");
    failed == 0 && failed_opens == 0
}

fn main() {
    match std::env::var_os(CHILD_ENV) {
        Some(dir) => child_main(Path::new(&dir)),
        None => parent_main(),
    }
}
