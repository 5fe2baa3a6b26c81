//! The stream worker: a thread that rolls every enabled stream over to a new generation of
//! shards once its current one is `--stream-shard-rollover` old, and drops the streams
//! disabled longer than the retention period. It wakes at least once a second (or as often
//! as the rollover interval, when that is shorter) and stops when dropped.

use super::now_ms;
use super::registry::Streams;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// The longest the worker sleeps between two looks.
const TICK_MAX: Duration = Duration::from_secs(1);

/// The running worker.
pub struct StreamWorker {
    stop: Arc<(Mutex<bool>, Condvar)>,
    thread: Option<JoinHandle<()>>,
}

impl StreamWorker {
    /// Starts the worker over `streams`.
    pub fn start(streams: Arc<Streams>, rollover: Duration) -> StreamWorker {
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let flag = Arc::clone(&stop);
        let tick = (rollover / 4).clamp(Duration::from_millis(10), TICK_MAX);
        let thread = std::thread::Builder::new()
            .name("shale-streams".into())
            .spawn(move || {
                let (lock, cv) = &*flag;
                let mut stopped = lock.lock().unwrap_or_else(|e| e.into_inner());
                while !*stopped {
                    let (s, _) = cv.wait_timeout(stopped, tick).unwrap_or_else(|e| e.into_inner());
                    stopped = s;
                    if *stopped {
                        break;
                    }
                    drop(stopped);
                    if let Err(e) = streams.maintain(rollover, now_ms()) {
                        tracing::error!("stream maintenance failed: {}", e.message());
                    }
                    stopped = lock.lock().unwrap_or_else(|e| e.into_inner());
                }
            })
            .ok();
        if thread.is_none() {
            tracing::error!("could not start the stream worker: streams will not roll over");
        }
        StreamWorker { stop, thread }
    }
}

impl Drop for StreamWorker {
    fn drop(&mut self) {
        let (lock, cv) = &*self.stop;
        *lock.lock().unwrap_or_else(|e| e.into_inner()) = true;
        cv.notify_all();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
