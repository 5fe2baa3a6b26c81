//! `shale-bench latency`: open-loop latency of a running shale-server over its key-value protocol.
//!
//! Two sending threads issue requests at fixed times (the offered rate, split between them and
//! staggered), round-robin over the connections, without waiting for answers: requests are
//! pipelined. Each connection's reader thread records, for every response, the time from when
//! its request was *scheduled* to when the response arrived. So when the server falls behind,
//! the queueing shows in the percentiles. There is no coordinated omission: a slow response never
//! delays the requests that follow it.

use crate::engine::BenchResult;
use crate::flags::LatencyArgs;
use crate::keys::{make_key, thread_rng, ValueGen};
use crate::runner::Latency;
use hdrhistogram::Histogram;
use rand::Rng;
use serde::Serialize;
use shale_server::client::{Client, Pending, Pool};
use shale_server::kv::codec::Request;
use shale_server::kv::codec::Response;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const BEGIN: &str =
    "<!-- BEGIN shale-bench latency (generated: edit outside these markers) -->";
pub const END: &str = "<!-- END shale-bench latency -->";

/// Figures at one offered rate.
#[derive(Debug, Clone, Serialize)]
pub struct RateResult {
    pub offered: u64,
    /// Responses per second actually received during the measured window.
    pub achieved: f64,
    pub get: Latency,
    pub put: Latency,
    pub gets: u64,
    pub puts: u64,
    pub errors: u64,
}

/// A histogram of nanoseconds, one to sixty seconds, three significant digits.
pub(crate) fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 60_000_000_000, 3).expect("constant histogram bounds are valid")
}

/// Loads keys `0..num` with pipelined PUTs over the pool.
fn load(pool: &Pool, args: &LatencyArgs) -> BenchResult<()> {
    let conns = pool.len();
    std::thread::scope(|s| -> BenchResult<()> {
        let handles: Vec<_> = (0..conns)
            .map(|c| {
                let client = pool.nth(c).clone();
                s.spawn(move || -> Result<(), String> {
                    let mut rng = thread_rng(args.seed, 0, c);
                    let mut values = ValueGen::new(&mut rng, args.value_size);
                    let mut key = Vec::new();
                    let mut window: std::collections::VecDeque<Pending> = Default::default();
                    let mut i = c as u64;
                    while i < args.num {
                        make_key(i, args.key_size, &mut key);
                        let req = Request::Put {
                            keyspace: args.keyspace.clone(),
                            key: key.clone(),
                            value: values.next(args.value_size).to_vec(),
                        };
                        window.push_back(client.send(&req, false).map_err(|e| e.to_string())?);
                        if window.len() >= 64 {
                            if let Some(p) = window.pop_front() {
                                p.wait().map_err(|e| e.to_string())?;
                            }
                        }
                        i += conns as u64;
                    }
                    for p in window {
                        p.wait().map_err(|e| e.to_string())?;
                    }
                    Ok(())
                })
            })
            .collect();
        for h in handles {
            h.join().map_err(|_| "a loader thread panicked")??;
        }
        Ok(())
    })
}

/// What the response callbacks record.
struct Recorder {
    get: Histogram<u64>,
    put: Histogram<u64>,
    errors: u64,
    last: Option<Instant>,
}

/// Sending threads: one per core of this 2-core class of machine. The connections' own reader
/// threads record the responses (no thread waits for each one), so the load generator spends
/// little of the CPU the server needs.
const SENDERS: usize = 2;

/// Measures one offered rate for `warmup + duration`, recording only the second part.
fn measure(pool: &Pool, args: &LatencyArgs, rate: u64, index: usize) -> BenchResult<RateResult> {
    let conns = pool.len();
    let senders = SENDERS.min(conns).max(1);
    // Each sender offers rate / senders, staggered against the others by half an interval.
    let interval = Duration::from_secs_f64(senders as f64 / rate.max(1) as f64);
    let warmup = Duration::from_secs(1);
    let total = warmup + Duration::from_secs(args.duration);
    let start = Instant::now() + Duration::from_millis(50);
    let measure_from = start + warmup;
    let recorder = Arc::new(Mutex::new(Recorder {
        get: histogram(),
        put: histogram(),
        errors: 0,
        last: None,
    }));
    let outstanding = Arc::new(AtomicU64::new(0));
    std::thread::scope(|s| -> Result<(), String> {
        let handles: Vec<_> = (0..senders)
            .map(|t| {
                let (recorder, outstanding) = (Arc::clone(&recorder), Arc::clone(&outstanding));
                let mine: Vec<Client> =
                    (0..conns).filter(|c| c % senders == t).map(|c| pool.nth(c).clone()).collect();
                s.spawn(move || -> Result<(), String> {
                    let mut rng = thread_rng(args.seed, index + 1, t);
                    let mut values = ValueGen::new(&mut rng, args.value_size);
                    let mut key = Vec::new();
                    let mut next = start + interval.mul_f64(t as f64 / senders as f64);
                    let mut k = 0usize;
                    while next < start + total {
                        let now = Instant::now();
                        if next > now {
                            std::thread::sleep(next - now);
                        }
                        make_key(rng.gen_range(0..args.num.max(1)), args.key_size, &mut key);
                        let is_get = rng.gen_range(0..100) < args.read_percent;
                        let req = if is_get {
                            Request::Get { keyspace: args.keyspace.clone(), key: key.clone() }
                        } else {
                            Request::Put {
                                keyspace: args.keyspace.clone(),
                                key: key.clone(),
                                value: values.next(args.value_size).to_vec(),
                            }
                        };
                        let client = mine.get(k % mine.len()).ok_or("no connection")?;
                        k += 1;
                        let scheduled = next;
                        let (recorder, done) = (Arc::clone(&recorder), Arc::clone(&outstanding));
                        outstanding.fetch_add(1, Ordering::AcqRel);
                        let sent = client.send_with(
                            &req,
                            !is_get && args.sync,
                            move |(result, arrived)| {
                                if let Ok(mut r) = recorder.lock() {
                                    match result {
                                        Ok(Response::Error { .. }) | Err(_) => r.errors += 1,
                                        Ok(_) if scheduled >= measure_from => {
                                            let ns = arrived
                                                .saturating_duration_since(scheduled)
                                                .as_nanos()
                                                as u64;
                                            let h = if is_get { &mut r.get } else { &mut r.put };
                                            let _ = h.record(ns.clamp(1, 60_000_000_000));
                                            r.last =
                                                Some(r.last.map_or(arrived, |l| l.max(arrived)));
                                        }
                                        Ok(_) => {}
                                    }
                                }
                                done.fetch_sub(1, Ordering::AcqRel);
                            },
                        );
                        if let Err(e) = sent {
                            outstanding.fetch_sub(1, Ordering::AcqRel);
                            return Err(e.to_string());
                        }
                        next += interval;
                    }
                    Ok(())
                })
            })
            .collect();
        for h in handles {
            h.join().map_err(|_| "a sender thread panicked".to_string())??;
        }
        Ok(())
    })?;
    // The last responses.
    let deadline = Instant::now() + Duration::from_secs(60);
    while outstanding.load(Ordering::Acquire) > 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    let r = recorder.lock().map_err(|_| "a response callback panicked")?;
    let done = r.get.len() + r.put.len();
    let end = r.last.unwrap_or(measure_from);
    let window = end.saturating_duration_since(measure_from).as_secs_f64().max(1e-9);
    Ok(RateResult {
        offered: rate,
        achieved: done as f64 / window,
        get: Latency::of(&r.get),
        put: Latency::of(&r.put),
        gets: r.get.len(),
        puts: r.put.len(),
        errors: r.errors + outstanding.load(Ordering::Acquire),
    })
}

/// Runs the latency benchmark and prints (and optionally writes) its table.
pub fn run(args: &LatencyArgs) -> BenchResult<()> {
    let pool = crate::engine::kv_pool(&args.target, args.connections)?;
    if !args.no_load {
        let t = Instant::now();
        load(&pool, args)?;
        println!("loaded {} keys in {:.1} s", args.num, t.elapsed().as_secs_f64());
    }
    let mut results = Vec::new();
    for (i, &rate) in args.rates.iter().enumerate() {
        let r = measure(&pool, args, rate, i)?;
        println!(
            "offered {:>7} ops/s: achieved {:>9.0} ops/s | GET P50 {:.0} P99 {:.0} P99.9 {:.0} µs | PUT P50 {:.0} P99 {:.0} P99.9 {:.0} µs | errors {}",
            r.offered, r.achieved, r.get.p50, r.get.p99, r.get.p999, r.put.p50, r.put.p99, r.put.p999, r.errors
        );
        results.push(r);
    }
    if let Some(md) = &args.docs {
        crate::report::splice_between(md, BEGIN, END, &render(args, &results))?;
        println!("wrote {}", md.display());
    }
    Ok(())
}

fn render(args: &LatencyArgs, results: &[RateResult]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Produced by `cargo run --release -p shale-bench -- latency --target {} --rates {} --connections {} \
         --read-percent {} --duration {} --num {}{}` against `shale-server` on the same machine ({}), over loopback. \
         The offered load is open loop: requests are sent on schedule and pipelined. Latency runs from each \
         request's scheduled time to its response, so queueing counts. {}-byte keys, {}-byte values, keys \
         uniform over the loaded set (all in the block cache or memtable).",
        args.target,
        args.rates.iter().map(u64::to_string).collect::<Vec<_>>().join(","),
        args.connections,
        args.read_percent,
        args.duration,
        args.num,
        if args.sync { " --sync" } else { "" },
        crate::report::machine(),
        args.key_size,
        args.value_size,
    );
    let _ = writeln!(s);
    let _ = writeln!(s, "| offered ops/s | achieved ops/s | GET P50 / P99 / P99.9 µs | PUT{} P50 / P99 / P99.9 µs | errors |", if args.sync { " (fsync)" } else { "" });
    let _ = writeln!(s, "|---:|---:|---:|---:|---:|");
    for r in results {
        let _ = writeln!(
            s,
            "| {} | {:.0} | {:.0} / {:.0} / {:.0} | {:.0} / {:.0} / {:.0} | {} |",
            r.offered,
            r.achieved,
            r.get.p50,
            r.get.p99,
            r.get.p999,
            r.put.p50,
            r.put.p99,
            r.put.p999,
            r.errors
        );
    }
    s
}
