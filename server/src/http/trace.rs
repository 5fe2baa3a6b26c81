//! Per-request latency breakdown: the engine's performance context ([`shale_engine::perf`]) of
//! one operation, answered in the `x-shale-trace` header when the request asks for it
//! (`x-shale-trace: 1`), and summed per operation for the Prometheus page from a sample of the
//! requests (one in [`SAMPLE_EVERY`] per thread) and every traced one.
//!
//! An operation runs on one thread from decoding to encoding (on the connection's task or on
//! a blocking thread, never across an `await`), so the context of that thread over the call is
//! the operation's. The gateway's own steps (decoding the input, authorizing the caller,
//! encoding the answer) are timed on that thread too, by [`step`], while the operation is.
//!
#![doc = include_str!("../../../docs/format/trace.md")]

use shale_aws::AwsError;
use shale_engine::perf::{self, PerfContext, PerfLevel, Stat};
use std::cell::Cell;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Instant;

/// The request header that asks for the breakdown, and the response header that carries it.
pub const TRACE_HEADER: &str = "x-shale-trace";

/// One request in this many on each thread is timed for the Prometheus page.
pub const SAMPLE_EVERY: u32 = 64;

/// What the request's `x-shale-trace` header asks: `1` a breakdown, `0` (or no header) none.
pub fn requested(headers: &hyper::HeaderMap) -> Result<bool, AwsError> {
    match headers.get(TRACE_HEADER).map(|v| v.as_bytes()) {
        None | Some(b"0") => Ok(false),
        Some(b"1") => Ok(true),
        Some(other) => Err(AwsError::sender(
            "ValidationException",
            format!(
                "{TRACE_HEADER} must be 1 (answer the request's latency breakdown) or 0, not {:?}",
                String::from_utf8_lossy(other)
            ),
        )),
    }
}

/// A step of the gateway's own in an operation, timed by [`step`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Parsing the request body and decoding it into the operation's input.
    Decode,
    /// Authorizing the caller (IAM policy evaluation).
    Authorize,
    /// Encoding the answer into the response body.
    Encode,
}

impl Step {
    /// Every step, in the header's order.
    pub const ALL: [Step; 3] = [Step::Decode, Step::Authorize, Step::Encode];

    /// Its figure's name in the header (`decode_nanos`, …).
    pub fn name(self) -> &'static str {
        match self {
            Step::Decode => "decode_nanos",
            Step::Authorize => "authorize_nanos",
            Step::Encode => "encode_nanos",
        }
    }
}

/// Nanoseconds of the gateway's steps in one operation (or summed over several).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Steps {
    decode: u64,
    authorize: u64,
    encode: u64,
}

impl Steps {
    fn slot(&mut self, step: Step) -> &mut u64 {
        match step {
            Step::Decode => &mut self.decode,
            Step::Authorize => &mut self.authorize,
            Step::Encode => &mut self.encode,
        }
    }

    /// The nanoseconds of `step`.
    pub fn get(&self, step: Step) -> u64 {
        match step {
            Step::Decode => self.decode,
            Step::Authorize => self.authorize,
            Step::Encode => self.encode,
        }
    }

    fn add_nanos(&mut self, step: Step, nanos: u64) {
        let v = self.slot(step);
        *v = v.saturating_add(nanos);
    }

    fn add(&mut self, other: &Steps) {
        for s in Step::ALL {
            self.add_nanos(s, other.get(s));
        }
    }

    /// Every step with its nanoseconds, in [`Step::ALL`]'s order.
    pub fn iter(&self) -> impl Iterator<Item = (Step, u64)> + '_ {
        Step::ALL.into_iter().map(|s| (s, self.get(s)))
    }
}

thread_local! {
    /// The steps of the operation this thread is timing, `None` when it times none.
    static STEPS: Cell<Option<Steps>> = const { Cell::new(None) };
}

/// Runs `f`, the gateway's step `which` of an operation, timing it when the operation is
/// timed ([`run`]); otherwise only one thread-local read.
pub fn step<R>(which: Step, f: impl FnOnce() -> R) -> R {
    if STEPS.with(|s| s.get().is_none()) {
        return f();
    }
    let started = Instant::now();
    let r = f();
    let nanos = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
    STEPS.with(|s| {
        if let Some(mut steps) = s.get() {
            steps.add_nanos(which, nanos);
            s.set(Some(steps));
        }
    });
    r
}

/// One operation's breakdown: its whole time, the gateway's steps and the engine's figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trace {
    /// Nanoseconds of the operation: decoding, authorizing, running and encoding it.
    pub operation_nanos: u64,
    /// The engine's figures over it.
    pub engine: PerfContext,
    /// The gateway's steps within it.
    pub steps: Steps,
}

impl Trace {
    /// The `x-shale-trace` header value: `operation_nanos=…`, every engine figure by name in
    /// [`Stat::ALL`]'s order, then the gateway's steps in [`Step::ALL`]'s order,
    /// comma-and-space separated.
    pub fn header_value(&self) -> String {
        let mut out = format!("operation_nanos={}", self.operation_nanos);
        for (s, v) in self.engine.iter() {
            let _ = write!(out, ", {}={v}", s.name());
        }
        for (s, v) in self.steps.iter() {
            let _ = write!(out, ", {}={v}", s.name());
        }
        out
    }
}

/// Reads a header value of [`Trace::header_value`]'s form into its names and values.
pub fn parse(value: &str) -> Option<Vec<(String, u64)>> {
    value
        .split(", ")
        .map(|pair| {
            let (name, v) = pair.split_once('=')?;
            Some((name.to_string(), v.parse().ok()?))
        })
        .collect()
}

thread_local! {
    /// Requests this thread ran since its last sample.
    static SINCE_SAMPLE: Cell<u32> = const { Cell::new(0) };
}

/// Whether this thread's next request is a sample (one in [`SAMPLE_EVERY`]).
fn sample_now() -> bool {
    SINCE_SAMPLE.with(|c| {
        let n = c.get() + 1;
        let due = n >= SAMPLE_EVERY;
        c.set(if due { 0 } else { n });
        due
    })
}

/// Runs `f`, an operation, timed when `traced` or when it is this thread's sample for
/// `traces`; the breakdown is added to `traces` and returned when `traced`.
pub fn run<R>(
    traces: Option<&Traces>,
    traced: bool,
    key: (&'static str, &'static str),
    f: impl FnOnce() -> R,
) -> (R, Option<Trace>) {
    let timed = traced || (traces.is_some() && sample_now());
    if !timed {
        return (f(), None);
    }
    let started = Instant::now();
    let outer = STEPS.with(|s| s.replace(Some(Steps::default())));
    let (r, engine) = perf::measure(PerfLevel::Time, f);
    let steps = STEPS.with(|s| s.replace(outer)).unwrap_or_default();
    let operation_nanos = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
    let trace = Trace { operation_nanos, engine, steps };
    if let Some(t) = traces {
        t.add(key, &trace);
    }
    (r, traced.then_some(trace))
}

/// The sum of the timed requests of one operation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TraceSum {
    /// Requests timed.
    pub requests: u64,
    /// Their operation nanoseconds.
    pub operation_nanos: u64,
    /// Their engine figures.
    pub engine: PerfContext,
    /// Their gateway steps.
    pub steps: Steps,
}

/// The timed requests so far, summed by (service, operation).
#[derive(Debug, Default)]
pub struct Traces {
    sums: Mutex<BTreeMap<(&'static str, &'static str), TraceSum>>,
}

impl Traces {
    /// None yet.
    pub fn new() -> Traces {
        Traces::default()
    }

    fn add(&self, key: (&'static str, &'static str), t: &Trace) {
        let mut sums = self.sums.lock().unwrap_or_else(|e| e.into_inner());
        let sum = sums.entry(key).or_default();
        sum.requests += 1;
        sum.operation_nanos = sum.operation_nanos.saturating_add(t.operation_nanos);
        sum.engine.add(&t.engine);
        sum.steps.add(&t.steps);
    }

    /// Every (service, operation) timed, with its sum.
    pub fn sums(&self) -> Vec<((&'static str, &'static str), TraceSum)> {
        let sums = self.sums.lock().unwrap_or_else(|e| e.into_inner());
        sums.iter().map(|(k, v)| (*k, *v)).collect()
    }
}

/// How the Prometheus page names a figure: a stage's seconds, a count of events, or bytes.
pub fn prometheus_kind(stat: Stat) -> (&'static str, &'static str) {
    let name = stat.name();
    if let Some(stage) = name.strip_suffix("_nanos") {
        ("seconds", stage)
    } else if let Some(what) = name.strip_suffix("_bytes") {
        ("bytes", what)
    } else {
        ("events", name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_is_asked_with_1_and_anything_but_0_or_1_is_refused_by_name() {
        let mut h = hyper::HeaderMap::new();
        assert!(!requested(&h).unwrap());
        h.insert(TRACE_HEADER, "1".parse().unwrap());
        assert!(requested(&h).unwrap());
        h.insert(TRACE_HEADER, "0".parse().unwrap());
        assert!(!requested(&h).unwrap());
        for bad in ["true", "2", ""] {
            h.insert(TRACE_HEADER, bad.parse().unwrap());
            let e = requested(&h).unwrap_err();
            assert_eq!(e.code, "ValidationException");
            assert!(e.message.contains(TRACE_HEADER), "{}", e.message);
        }
    }

    #[test]
    fn untraced_requests_are_sampled_one_in_sample_every_and_summed() {
        let traces = Traces::new();
        // A fresh thread, so that the count starts at zero.
        std::thread::scope(|s| {
            s.spawn(|| {
                for _ in 0..SAMPLE_EVERY * 3 {
                    let ((), t) = run(Some(&traces), false, ("svc", "Op"), || ());
                    assert!(t.is_none());
                }
                let ((), t) = run(None, true, ("svc", "Other"), || ());
                assert!(t.is_some());
                let ((), t) = run(Some(&traces), true, ("svc", "Traced"), || {
                    step(Step::Decode, || std::thread::sleep(std::time::Duration::from_millis(1)))
                });
                let t = t.unwrap();
                assert!(t.steps.get(Step::Decode) >= 1_000_000, "{t:?}");
                assert!(t.operation_nanos >= t.steps.get(Step::Decode), "{t:?}");
                // Outside a timed operation a step is not timed (and costs one check).
                step(Step::Encode, || ());
            });
        });
        let sums = traces.sums();
        let keys: Vec<_> = sums.iter().map(|(k, s)| (k.1, s.requests)).collect();
        assert_eq!(keys, vec![("Op", 3), ("Traced", 1)]);
    }

    #[test]
    fn worked_example_of_the_format_document() {
        let doc = include_str!("../../../docs/format/trace.md");
        let engine = PerfContext::default()
            .with(Stat::MemtableNanos, 1200)
            .with(Stat::TableNanos, 3100)
            .with(Stat::FilterNegatives, 1)
            .with(Stat::BlockCacheHits, 1)
            .with(Stat::BlockCacheNanos, 150);
        let mut steps = Steps::default();
        steps.add_nanos(Step::Decode, 9500);
        steps.add_nanos(Step::Encode, 2300);
        let value = Trace { operation_nanos: 42_000, engine, steps }.header_value();
        assert!(doc.contains(&format!("\n{TRACE_HEADER}: {value}\n")), "{value}");
        // The table lists every figure, in order.
        let rows: Vec<&str> = doc
            .lines()
            .filter_map(|l| l.strip_prefix("| ")?.split(" | `").nth(1)?.split('`').next())
            .collect();
        let names: Vec<&str> = std::iter::once("operation_nanos")
            .chain(Stat::ALL.iter().map(|s| s.name()))
            .chain(Step::ALL.iter().map(|s| s.name()))
            .collect();
        assert_eq!(rows, names);
        assert!(doc.contains(&format!("one request in {SAMPLE_EVERY} ")));
    }

    #[test]
    fn header_value_round_trips_and_names_every_figure() {
        let t =
            Trace { operation_nanos: 5, engine: PerfContext::default(), steps: Steps::default() };
        let v = t.header_value();
        let parsed = parse(&v).unwrap();
        assert_eq!(parsed.len(), 1 + Stat::ALL.len() + Step::ALL.len());
        assert_eq!(parsed.first(), Some(&("operation_nanos".to_string(), 5)));
        assert_eq!(parse("a=1, b"), None);
        assert_eq!(prometheus_kind(Stat::WalNanos), ("seconds", "wal"));
        assert_eq!(prometheus_kind(Stat::FileReadBytes), ("bytes", "file_read"));
        assert_eq!(prometheus_kind(Stat::BlockCacheHits), ("events", "block_cache_hits"));
    }
}
