//! Runs one workload: client threads, a per-thread latency histogram (hdrhistogram, ns), a
//! sampler that records throughput once per second, and the progress bar.

use crate::engine::{BenchResult, Engine};
use crate::flags::Flags;
use crate::keys::{make_key, thread_rng, Chooser, ValueGen, Zipfian, ZIPFIAN_THETA};
use crate::workload::{Workload, Ycsb};
use hdrhistogram::Histogram;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rand::rngs::SmallRng;
use rand::Rng;
use serde::{Deserialize, Serialize};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Operations between two updates of the shared counter the sampler reads.
const PUBLISH_EVERY: u64 = 16;
/// Throughput sample period.
const SAMPLE_PERIOD: Duration = Duration::from_secs(1);
/// Latencies above this are clamped (hdrhistogram needs a bound): one minute.
const LATENCY_NS_MAX: u64 = 60_000_000_000;

/// Latency percentiles in microseconds.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq)]
pub struct Latency {
    pub p50: f64,
    pub p75: f64,
    pub p99: f64,
    pub p999: f64,
    pub p9999: f64,
    pub max: f64,
    pub mean: f64,
}

impl Latency {
    /// The percentiles of a histogram of nanoseconds.
    pub fn of(h: &Histogram<u64>) -> Latency {
        let us = |q: f64| h.value_at_quantile(q) as f64 / 1e3;
        Latency {
            p50: us(0.5),
            p75: us(0.75),
            p99: us(0.99),
            p999: us(0.999),
            p9999: us(0.9999),
            max: h.max() as f64 / 1e3,
            mean: h.mean() / 1e3,
        }
    }

    /// db_bench's percentile line.
    pub fn line(&self) -> String {
        format!(
            "Percentiles: P50: {:.2} P75: {:.2} P99: {:.2} P99.9: {:.2} P99.99: {:.2}",
            self.p50, self.p75, self.p99, self.p999, self.p9999
        )
    }

    /// The percentiles the charts and tables show, with their labels.
    pub fn points(&self) -> [(&'static str, f64); 5] {
        [
            ("P50", self.p50),
            ("P75", self.p75),
            ("P99", self.p99),
            ("P99.9", self.p999),
            ("P99.99", self.p9999),
        ]
    }
}

/// Every figure of one workload on one engine.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct RunResult {
    pub workload: String,
    pub engine: String,
    pub threads: usize,
    pub ops: u64,
    /// Wall-clock seconds.
    pub seconds: f64,
    pub ops_per_sec: f64,
    /// Summed thread time per operation (db_bench's definition).
    pub micros_per_op: f64,
    pub mb_per_sec: f64,
    /// `(found, of)` for the workloads that look keys up.
    pub found: Option<(u64, u64)>,
    pub latency_us: Latency,
    /// Operations per second, one sample per second of the run.
    pub throughput: Vec<f64>,
    /// Table blocks read from storage per operation (block cache misses), when known.
    pub blocks_read_per_op: Option<f64>,
}

impl RunResult {
    /// db_bench's result line.
    pub fn line(&self) -> String {
        let found = match self.found {
            Some((f, of)) => format!(" ({f} of {of} found)"),
            None => String::new(),
        };
        format!(
            "{:<12} : {:>11.3} micros/op {} ops/sec {:.3} seconds {} operations; {:>6.1} MB/s{found}",
            self.workload,
            self.micros_per_op,
            self.ops_per_sec as u64,
            self.seconds,
            self.ops,
            self.mb_per_sec
        )
    }
}

/// State all threads of one run share.
struct Shared {
    /// Operations done (published every few operations).
    ops: AtomicU64,
    /// Keys inserted beyond `num` by YCSB inserts.
    inserted: AtomicU64,
    /// The readers are done: the readwhilewriting writer stops.
    readers_done: AtomicBool,
    /// The run is over: the sampler stops.
    finished: AtomicBool,
}

/// What one client thread measured.
struct ThreadOut {
    hist: Histogram<u64>,
    ops: u64,
    bytes: u64,
    found: u64,
    seconds: f64,
}

/// One client thread's working state.
struct Client<'a> {
    engine: &'a dyn Engine,
    flags: &'a Flags,
    shared: &'a Shared,
    rng: SmallRng,
    values: ValueGen,
    key: Vec<u8>,
    hist: Histogram<u64>,
    ops: u64,
    unpublished: u64,
    bytes: u64,
    found: u64,
    max_ops: u64,
    deadline: Option<Instant>,
}

fn new_histogram() -> Histogram<u64> {
    // 3 significant digits from 1 ns to a minute: a few hundred KB per thread.
    Histogram::new_with_bounds(1, LATENCY_NS_MAX, 3).expect("constant histogram bounds are valid")
}

impl<'a> Client<'a> {
    fn new(
        engine: &'a dyn Engine,
        flags: &'a Flags,
        shared: &'a Shared,
        seed: (u64, usize, usize),
        max_ops: u64,
        deadline: Option<Instant>,
    ) -> Self {
        let mut rng = thread_rng(seed.0, seed.1, seed.2);
        let values = ValueGen::new(&mut rng, flags.value_size);
        Client {
            engine,
            flags,
            shared,
            rng,
            values,
            key: Vec::with_capacity(flags.key_size),
            hist: new_histogram(),
            ops: 0,
            unpublished: 0,
            bytes: 0,
            found: 0,
            max_ops,
            deadline,
        }
    }

    /// Counts one finished operation that started at `t0`; says whether to stop.
    fn done(&mut self, t0: Instant) -> bool {
        self.done_batch(t0, 1)
    }

    /// [`Self::done`] for a call that did `n` operations (one latency sample for the call, as
    /// db_bench records a multi_get).
    fn done_batch(&mut self, t0: Instant, n: u64) -> bool {
        let ns = (t0.elapsed().as_nanos() as u64).clamp(1, LATENCY_NS_MAX);
        let _ = self.hist.record(ns);
        self.ops += n;
        self.unpublished += n;
        if self.unpublished >= PUBLISH_EVERY {
            self.publish();
            if let Some(d) = self.deadline {
                if Instant::now() >= d {
                    return true;
                }
            }
        }
        self.ops >= self.max_ops
    }

    fn publish(&mut self) {
        self.shared.ops.fetch_add(self.unpublished, Ordering::Relaxed);
        self.unpublished = 0;
    }

    /// A uniformly random key of `[0, range)`.
    fn uniform_key_in(&mut self, range: u64) {
        let i = self.rng.gen_range(0..range.max(1));
        make_key(i, self.flags.key_size, &mut self.key);
    }

    fn uniform_key(&mut self) {
        self.uniform_key_in(self.flags.num);
    }

    fn put_current(&mut self, sync: bool) -> BenchResult<()> {
        let v = self.values.next(self.flags.value_size);
        self.engine.put(&self.key, v, sync)?;
        self.bytes += (self.key.len() + v.len()) as u64;
        Ok(())
    }

    fn get_current(&mut self) -> BenchResult<bool> {
        let got = self.engine.get(&self.key)?;
        if let Some(len) = got {
            self.found += 1;
            self.bytes += (self.key.len() + len) as u64;
        }
        Ok(got.is_some())
    }

    /// Runs `workload` until its operation count or the deadline.
    fn run(&mut self, workload: Workload) -> BenchResult<()> {
        if self.max_ops == 0 {
            return Ok(());
        }
        match workload {
            Workload::FillSeq => {
                for i in 0.. {
                    let t0 = Instant::now();
                    make_key(i, self.flags.key_size, &mut self.key);
                    self.put_current(self.flags.sync)?;
                    if self.done(t0) {
                        break;
                    }
                }
            }
            Workload::FillRandom | Workload::Overwrite | Workload::FillSync => {
                let sync = self.flags.sync || workload == Workload::FillSync;
                // As in db_bench, fillsync's keys range over `num / 1000`.
                let range = if workload == Workload::FillSync {
                    (self.flags.num / 1000).max(1)
                } else {
                    self.flags.num
                };
                loop {
                    let t0 = Instant::now();
                    self.uniform_key_in(range);
                    self.put_current(sync)?;
                    if self.done(t0) {
                        break;
                    }
                }
            }
            Workload::DeleteRandom => loop {
                let t0 = Instant::now();
                self.uniform_key();
                self.engine.delete(&self.key, self.flags.sync)?;
                self.bytes += self.key.len() as u64;
                if self.done(t0) {
                    break;
                }
            },
            Workload::ReadRandom | Workload::ReadWhileWriting => loop {
                let t0 = Instant::now();
                self.uniform_key();
                self.get_current()?;
                if self.done(t0) {
                    break;
                }
            },
            Workload::MultiReadRandom => {
                let n = self.flags.batch_size.max(1);
                let mut keys = vec![Vec::new(); n];
                loop {
                    let t0 = Instant::now();
                    for k in keys.iter_mut() {
                        self.uniform_key();
                        k.clone_from(&self.key);
                    }
                    for (k, got) in keys.iter().zip(self.engine.multi_get(&keys)?) {
                        if let Some(len) = got {
                            self.found += 1;
                            self.bytes += (k.len() + len) as u64;
                        }
                    }
                    if self.done_batch(t0, n as u64) {
                        break;
                    }
                }
            }
            Workload::SeekRandom => loop {
                let t0 = Instant::now();
                self.uniform_key();
                let mut first: Option<bool> = None;
                let want = &self.key;
                let mut bytes = 0u64;
                self.engine.scan(
                    Some(want),
                    false,
                    1 + self.flags.seek_nexts as u64,
                    &mut |k, v| {
                        first.get_or_insert(k == want.as_slice());
                        bytes += (k.len() + v.len()) as u64;
                    },
                )?;
                self.bytes += bytes;
                if first == Some(true) {
                    self.found += 1;
                }
                if self.done(t0) {
                    break;
                }
            },
            Workload::ReadSeq | Workload::ReadReverse => {
                self.scan_all(workload == Workload::ReadReverse)?
            }
            Workload::Ycsb(y) => self.ycsb(y)?,
        }
        self.publish();
        Ok(())
    }

    /// One iterator over the database; every entry is one operation, timed from the previous.
    fn scan_all(&mut self, reverse: bool) -> BenchResult<()> {
        let mut last = Instant::now();
        let limit = self.max_ops;
        let engine = self.engine;
        let mut stop = false;
        engine.scan(None, reverse, limit, &mut |k, v| {
            if stop {
                return;
            }
            self.bytes += (k.len() + v.len()) as u64;
            stop = self.done(last);
            last = Instant::now();
        })?;
        Ok(())
    }

    fn ycsb(&mut self, y: Ycsb) -> BenchResult<()> {
        let mix = y.mix();
        let num = self.flags.num.max(2);
        let mut chooser = if mix.latest {
            Chooser::Latest(Zipfian::new(num, ZIPFIAN_THETA))
        } else {
            Chooser::ScrambledZipfian(Zipfian::new(num, ZIPFIAN_THETA))
        };
        loop {
            let t0 = Instant::now();
            let r: f64 = self.rng.gen();
            if r < mix.insert {
                let i = num + self.shared.inserted.fetch_add(1, Ordering::Relaxed);
                make_key(i, self.flags.key_size, &mut self.key);
                self.put_current(false)?;
            } else {
                let count = num + self.shared.inserted.load(Ordering::Relaxed);
                let i = chooser.pick(&mut self.rng, count);
                make_key(i, self.flags.key_size, &mut self.key);
                let r = r - mix.insert;
                if r < mix.read {
                    self.get_current()?;
                } else if r < mix.read + mix.update {
                    self.put_current(false)?;
                } else if r < mix.read + mix.update + mix.read_modify_write {
                    self.get_current()?;
                    self.put_current(false)?;
                } else {
                    let len = self.rng.gen_range(1..=self.flags.ycsb_scan_max.max(1)) as u64;
                    let mut bytes = 0;
                    self.engine.scan(Some(&self.key), false, len, &mut |k, v| {
                        bytes += (k.len() + v.len()) as u64
                    })?;
                    self.bytes += bytes;
                }
            }
            if self.done(t0) {
                break;
            }
        }
        Ok(())
    }

    fn finish(self, started: Instant) -> ThreadOut {
        ThreadOut {
            hist: self.hist,
            ops: self.ops,
            bytes: self.bytes,
            found: self.found,
            seconds: started.elapsed().as_secs_f64(),
        }
    }
}

/// The progress bar: on stderr when it is a terminal (or `--progress always`).
fn progress_bar(flags: &Flags, name: &str, len: u64, timed: bool) -> ProgressBar {
    let show = match flags.progress.as_str() {
        "always" => true,
        "never" => false,
        _ => std::io::stderr().is_terminal(),
    };
    let target = if show { ProgressDrawTarget::stderr() } else { ProgressDrawTarget::hidden() };
    let bar = ProgressBar::with_draw_target(Some(len), target);
    let template = if timed {
        "{prefix:>16} [{bar:30}] {pos}/{len}s {msg}"
    } else {
        "{prefix:>16} [{bar:30}] {pos}/{len} ops {msg} eta {eta}"
    };
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_prefix(name.to_string());
    bar
}

/// Runs `workload` on `engine` with the flags' threads and bounds; `index` seeds it.
pub fn run(
    engine: &dyn Engine,
    flags: &Flags,
    workload: Workload,
    index: usize,
) -> BenchResult<RunResult> {
    let threads = flags.threads.max(1);
    let deadline_secs =
        if workload.timed() && flags.duration > 0 { Some(flags.duration) } else { None };
    // As in db_bench, a duration replaces the operation count.
    let max_ops = if deadline_secs.is_some() {
        u64::MAX
    } else {
        workload.ops_per_thread(flags.num, flags.reads())
    };
    let shared = Shared {
        ops: AtomicU64::new(0),
        inserted: AtomicU64::new(0),
        readers_done: AtomicBool::new(false),
        finished: AtomicBool::new(false),
    };
    let blocks_before = engine.stats().blocks_read;
    let bar = match deadline_secs {
        Some(s) => progress_bar(flags, workload.name(), s, true),
        None => progress_bar(flags, workload.name(), max_ops.saturating_mul(threads as u64), false),
    };
    let samples = Mutex::new(Vec::new());
    let errors: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let started = Instant::now();
    let deadline = deadline_secs.map(|s| started + Duration::from_secs(s));
    let (outs, seconds): (Vec<ThreadOut>, f64) = std::thread::scope(|scope| {
        // The sampler: throughput once per second, the progress bar every 10 ms.
        scope.spawn(|| {
            let mut last_ops = 0;
            let mut last_t = started;
            while !shared.finished.load(Ordering::Acquire) {
                std::thread::sleep(Duration::from_millis(10));
                let ops = shared.ops.load(Ordering::Relaxed);
                let now = Instant::now();
                match deadline_secs {
                    Some(_) => bar.set_position(started.elapsed().as_secs()),
                    None => bar.set_position(ops),
                }
                bar.set_message(format!("{ops} ops"));
                if now.duration_since(last_t) >= SAMPLE_PERIOD {
                    let dt = now.duration_since(last_t).as_secs_f64();
                    if let Ok(mut s) = samples.lock() {
                        s.push((ops - last_ops) as f64 / dt);
                    }
                    last_ops = ops;
                    last_t = now;
                }
            }
            // The last partial period, if it is long enough to mean something.
            let dt = last_t.elapsed().as_secs_f64();
            let ops = shared.ops.load(Ordering::Relaxed);
            if dt >= 0.2 || last_ops == 0 {
                if let Ok(mut s) = samples.lock() {
                    s.push((ops - last_ops) as f64 / dt.max(1e-6));
                }
            }
        });
        if workload == Workload::ReadWhileWriting {
            // db_bench's extra writer: overwrites random keys until the readers finish.
            let (shared, errors) = (&shared, &errors);
            scope.spawn(move || {
                let mut w = Client::new(
                    engine,
                    flags,
                    shared,
                    (flags.seed, index, threads),
                    u64::MAX,
                    None,
                );
                while !shared.readers_done.load(Ordering::Acquire) {
                    w.uniform_key();
                    if let Err(e) = w.put_current(false) {
                        if let Ok(mut errs) = errors.lock() {
                            errs.push(format!("writer: {e}"));
                        }
                        break;
                    }
                }
            });
        }
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (shared, errors) = (&shared, &errors);
                scope.spawn(move || {
                    let mut c = Client::new(
                        engine,
                        flags,
                        shared,
                        (flags.seed, index, t),
                        max_ops,
                        deadline,
                    );
                    let t0 = Instant::now();
                    if let Err(e) = c.run(workload) {
                        if let Ok(mut errs) = errors.lock() {
                            errs.push(format!("thread {t}: {e}"));
                        }
                    }
                    c.finish(t0)
                })
            })
            .collect();
        let outs: Vec<ThreadOut> = handles.into_iter().filter_map(|h| h.join().ok()).collect();
        let seconds = started.elapsed().as_secs_f64();
        shared.readers_done.store(true, Ordering::Release);
        shared.finished.store(true, Ordering::Release);
        (outs, seconds)
    });
    bar.finish_and_clear();
    if let Some(e) = errors.into_inner().ok().and_then(|e| e.into_iter().next()) {
        return Err(format!("{}: {e}", workload.name()).into());
    }
    if outs.len() != threads {
        return Err(format!("{}: a client thread panicked", workload.name()).into());
    }
    let mut hist = new_histogram();
    let (mut ops, mut bytes, mut found, mut thread_secs) = (0, 0, 0, 0.0);
    for o in &outs {
        let _ = hist.add(&o.hist);
        ops += o.ops;
        bytes += o.bytes;
        found += o.found;
        thread_secs += o.seconds;
    }
    let blocks = engine.stats().blocks_read.saturating_sub(blocks_before);
    Ok(RunResult {
        workload: workload.name().to_string(),
        engine: engine.name(),
        threads,
        ops,
        seconds,
        ops_per_sec: ops as f64 / seconds.max(1e-9),
        micros_per_op: thread_secs * 1e6 / ops.max(1) as f64,
        mb_per_sec: bytes as f64 / 1048576.0 / seconds.max(1e-9),
        found: workload.reports_found().then_some((found, ops)),
        latency_us: Latency::of(&hist),
        throughput: samples.into_inner().unwrap_or_default(),
        blocks_read_per_op: (!workload.writes()).then(|| blocks as f64 / ops.max(1) as f64),
    })
}
