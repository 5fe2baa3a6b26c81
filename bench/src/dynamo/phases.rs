//! The measured phases.
//!
//! - Closed loop: `--connections` connections, each with one request at a time, as fast as the
//!   server answers, all driven by one thread ([`super::async_conn`]). Latency is from send to
//!   answer.
//! - Open loop: GetItem at a fixed offered rate. Request `n` is scheduled at `start + n / rate`;
//!   the connection threads take the schedule's slots in order, each when it is free, sleep
//!   until the slot's time (or send at once when late) and record latency from the *scheduled*
//!   time. When the server falls behind, the queueing counts: coordinated omission is not
//!   hidden. Slots still unsent when the phase ends are counted as missed.
//!
//! Each phase also measures the CPU the server (when its pid is known) and this process used
//! during the measured window: client and server share the machine's cores.

use super::async_conn::AsyncConn;
use super::requests::{Conn, Gen, Op};
use crate::engine::BenchResult;
use crate::flags::DynamoArgs;
use crate::latency::histogram;
use crate::runner::Latency;
use hdrhistogram::Histogram;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Latencies above this are clamped (hdrhistogram needs a bound): one minute.
const LATENCY_NS_MAX: u64 = 60_000_000_000;
/// Time between the threads being connected and the first request.
const START_DELAY: Duration = Duration::from_millis(50);

/// Clock ticks per second of `/proc/PID/stat` (USER_HZ: 100 on Linux).
const CLK_TCK: f64 = 100.0;

/// CPU time (user and system) a process has used so far, seconds.
fn cpu_secs(pid: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // After the command name (in parentheses, maybe with spaces): state, ... utime, stime.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / CLK_TCK)
}

/// CPU time the whole machine has spent busy so far (`/proc/stat`: user, nice, system, irq,
/// softirq, steal), seconds.
fn busy_secs() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let line = stat.lines().find(|l| l.starts_with("cpu "))?;
    let f: Vec<u64> = line.split_whitespace().skip(1).filter_map(|v| v.parse().ok()).collect();
    let busy: u64 = [0, 1, 2, 5, 6, 7].iter().filter_map(|&i| f.get(i)).sum();
    Some(busy as f64 / CLK_TCK)
}

/// CPU used during a measured window, in cores (CPU seconds per second).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct CpuUse {
    pub server: Option<f64>,
    pub client: Option<f64>,
    /// Everything else on the machine (other processes, the kernel's own threads): a run
    /// sharing the machine with other work shows here.
    pub other: Option<f64>,
}

/// Samples the CPU of the server and of this process at the window's bounds.
fn meter_cpu(server_pid: Option<u32>, w: Window) -> CpuUse {
    let sample = || {
        let server = server_pid.and_then(|p| cpu_secs(&p.to_string()));
        (server, cpu_secs("self"), busy_secs())
    };
    sleep_until(w.measure_from);
    let (s0, c0, b0) = sample();
    sleep_until(w.end);
    let (s1, c1, b1) = sample();
    let secs = w.secs();
    let per_sec = |a: Option<f64>, b: Option<f64>| Some((b? - a?) / secs);
    let (server, client) = (per_sec(s0, s1), per_sec(c0, c1));
    let other = per_sec(b0, b1).and_then(|b| Some((b - server? - client?).max(0.0)));
    CpuUse { server, client, other }
}

/// What one thread (then the whole phase) recorded.
struct Tally {
    hist: Histogram<u64>,
    /// Open loop: how late each request was sent after its scheduled time (the load
    /// generator's own delay, a part of the latency).
    lag: Histogram<u64>,
    errors: u64,
    first_error: Option<String>,
    last_arrival: Option<Instant>,
}

impl Tally {
    fn new() -> Tally {
        Tally {
            hist: histogram(),
            lag: histogram(),
            errors: 0,
            first_error: None,
            last_arrival: None,
        }
    }

    /// Records one answer, its latency counted from `from` when `measured` (failures count
    /// during the warm-up too).
    fn record(&mut self, result: Result<(), String>, from: Instant, measured: bool) {
        let arrived = Instant::now();
        match result {
            Ok(()) if measured => {
                let ns = arrived.saturating_duration_since(from).as_nanos() as u64;
                let _ = self.hist.record(ns.clamp(1, LATENCY_NS_MAX));
            }
            Ok(()) => {}
            Err(e) => {
                self.errors += 1;
                self.first_error.get_or_insert(e);
            }
        }
        if measured {
            self.last_arrival = Some(self.last_arrival.map_or(arrived, |l| l.max(arrived)));
        }
    }

    fn record_lag(&mut self, scheduled: Instant, sent: Instant) {
        let ns = sent.saturating_duration_since(scheduled).as_nanos() as u64;
        let _ = self.lag.record(ns.clamp(1, LATENCY_NS_MAX));
    }

    fn merge(&mut self, other: Tally) {
        let _ = self.hist.add(&other.hist);
        let _ = self.lag.add(&other.lag);
        self.errors += other.errors;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
        self.last_arrival = match (self.last_arrival, other.last_arrival) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
    }
}

/// A closed-loop phase's figures.
#[derive(Debug, Clone)]
pub(crate) struct ClosedResult {
    pub op: Op,
    /// Successful requests in the measured window.
    pub ops: u64,
    pub ops_per_sec: f64,
    pub latency: Latency,
    pub errors: u64,
    pub first_error: Option<String>,
    pub cpu: CpuUse,
}

/// An open-loop phase's figures.
#[derive(Debug, Clone)]
pub(crate) struct OpenResult {
    pub offered: u64,
    /// Successful answers per second in the measured window.
    pub achieved: f64,
    pub ops: u64,
    /// Slots of the measured window never sent (the server was too far behind).
    pub missed: u64,
    pub latency: Latency,
    /// How late requests were sent after their scheduled time (included in `latency`).
    pub send_lag: Latency,
    pub errors: u64,
    pub first_error: Option<String>,
    pub cpu: CpuUse,
}

/// What a phase runs on.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Phase {
    /// Items loaded (the keys requests choose from).
    pub items: u64,
    /// The phase's number, which seeds its random keys.
    pub index: usize,
    /// The server's process, for the CPU figures (unknown for `--target`).
    pub server_pid: Option<u32>,
}

/// The phase's timeline: warm-up, then the measured window.
#[derive(Clone, Copy)]
struct Window {
    start: Instant,
    measure_from: Instant,
    end: Instant,
}

impl Window {
    fn new(args: &DynamoArgs) -> Window {
        let start = Instant::now() + START_DELAY;
        let measure_from = start + Duration::from_millis(args.warmup_ms);
        Window { start, measure_from, end: measure_from + Duration::from_secs(args.duration) }
    }

    fn secs(&self) -> f64 {
        self.end.saturating_duration_since(self.measure_from).as_secs_f64().max(1e-9)
    }
}

/// Opens `n` connections to `addr` (and a request generator for each), then runs
/// `body(conn, gen, window)` on one thread per connection and merges what they recorded.
fn run_threads<F>(
    addr: &str,
    args: &DynamoArgs,
    phase: Phase,
    body: F,
) -> BenchResult<(Tally, Window, CpuUse)>
where
    F: Fn(Conn, Gen, Window) -> Tally + Sync,
{
    let n = args.connections.max(1);
    let mut clients = Vec::with_capacity(n);
    for t in 0..n {
        let gen = Gen::new(args.seed, (phase.index, t), phase.items, args.value_size, args.gsis);
        clients.push((Conn::open(addr)?, gen));
    }
    let window = Window::new(args);
    let body = &body;
    std::thread::scope(|s| {
        let handles: Vec<_> = clients
            .into_iter()
            .map(|(conn, gen)| s.spawn(move || body(conn, gen, window)))
            .collect();
        let meter = s.spawn(move || meter_cpu(phase.server_pid, window));
        let mut total = Tally::new();
        for h in handles {
            total.merge(h.join().map_err(|_| "a client thread panicked")?);
        }
        let cpu = meter.join().map_err(|_| "the CPU meter panicked")?;
        Ok((total, window, cpu))
    })
}

/// Runs `op` closed-loop over `--connections` connections, all on one thread.
pub(crate) fn closed_loop(
    addr: &str,
    op: Op,
    args: &DynamoArgs,
    phase: Phase,
) -> BenchResult<ClosedResult> {
    let n = args.connections.max(1);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("starting the load generator's runtime: {e}"))?;
    let (tally, window, cpu) = rt.block_on(async {
        let mut clients = Vec::with_capacity(n);
        for t in 0..n {
            let gen =
                Gen::new(args.seed, (phase.index, t), phase.items, args.value_size, args.gsis);
            clients.push((AsyncConn::open(addr).await?, gen));
        }
        let window = Window::new(args);
        let meter = std::thread::spawn(move || meter_cpu(phase.server_pid, window));
        let mut tasks = tokio::task::JoinSet::new();
        for (mut conn, mut gen) in clients {
            tasks.spawn(async move {
                let mut tally = Tally::new();
                tokio::time::sleep_until(window.start.into()).await;
                loop {
                    let body = gen.body(op);
                    let sent = Instant::now();
                    if sent >= window.end {
                        break;
                    }
                    let result = conn.request(op, &body).await;
                    tally.record(result, sent, sent >= window.measure_from);
                }
                tally
            });
        }
        let mut total = Tally::new();
        while let Some(t) = tasks.join_next().await {
            total.merge(t.map_err(|_| "a client task panicked")?);
        }
        let cpu = meter.join().map_err(|_| "the CPU meter panicked")?;
        BenchResult::Ok((total, window, cpu))
    })?;
    let ops = tally.hist.len();
    Ok(ClosedResult {
        op,
        ops,
        ops_per_sec: ops as f64 / window.secs(),
        latency: Latency::of(&tally.hist),
        errors: tally.errors,
        first_error: tally.first_error,
        cpu,
    })
}

fn sleep_until(t: Instant) {
    let now = Instant::now();
    if t > now {
        std::thread::sleep(t - now);
    }
}

/// Runs GetItem open-loop at `--rate` over `--connections` connections.
pub(crate) fn open_loop(addr: &str, args: &DynamoArgs, phase: Phase) -> BenchResult<OpenResult> {
    let rate = args.rate.max(1) as f64;
    let slot = |n: u64| Duration::from_secs_f64(n as f64 / rate);
    let next = AtomicU64::new(0);
    let missed = AtomicU64::new(0);
    let (tally, window, cpu) = run_threads(addr, args, phase, |mut conn, mut gen, w| {
        let mut tally = Tally::new();
        loop {
            let scheduled = w.start + slot(next.fetch_add(1, Ordering::Relaxed));
            if scheduled >= w.end {
                break;
            }
            if Instant::now() >= w.end {
                // Too far behind to send it within the phase.
                if scheduled >= w.measure_from {
                    missed.fetch_add(1, Ordering::Relaxed);
                }
                continue;
            }
            let body = gen.body(Op::Get);
            sleep_until(scheduled);
            let sent = Instant::now();
            let result = conn.request(Op::Get, &body);
            let measured = scheduled >= w.measure_from;
            tally.record(result, scheduled, measured);
            if measured {
                tally.record_lag(scheduled, sent);
            }
        }
        tally
    })?;
    let ops = tally.hist.len();
    let end = tally.last_arrival.unwrap_or(window.end).max(window.end);
    let secs = end.saturating_duration_since(window.measure_from).as_secs_f64().max(1e-9);
    Ok(OpenResult {
        offered: args.rate,
        achieved: ops as f64 / secs,
        ops,
        missed: missed.load(Ordering::Relaxed),
        latency: Latency::of(&tally.hist),
        send_lag: Latency::of(&tally.lag),
        errors: tally.errors,
        first_error: tally.first_error,
        cpu,
    })
}
