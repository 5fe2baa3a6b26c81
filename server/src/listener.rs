//! One listener for both front doors: accepts TCP connections, admits at most
//! `connections_max` at once, hands each to its protocol's connection task, and on shutdown
//! stops accepting, lets every connection finish the requests it has read (each task watches
//! the same stop signal) for up to `drain_timeout`, then closes what is left.
//!
//! A connection past `connections_max` is still handed over, without an [`Admission`], so its
//! protocol can refuse it in its own way (the kv protocol answers the handshake with
//! `TOO_MANY_CONNECTIONS`; HTTP closes it).

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;

/// The listener's bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListenerLimits {
    /// Most connections served at once.
    pub connections_max: usize,
    /// How long shutdown waits for connections to finish their requests.
    pub drain_timeout: Duration,
}

/// A connection's place among the `connections_max` served; released when dropped.
pub type Admission = Option<OwnedSemaphorePermit>;

/// Accepts on `listener` until `stop` turns true, running `connection(stream, peer, admission,
/// stop)` for each connection; then drains (see the module doc). `name` labels the logs.
pub async fn serve<F, Fut>(
    name: &'static str,
    listener: TcpListener,
    limits: ListenerLimits,
    mut stop: watch::Receiver<bool>,
    connection: F,
) -> io::Result<()>
where
    F: Fn(TcpStream, SocketAddr, Admission, watch::Receiver<bool>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let slots = Arc::new(Semaphore::new(limits.connections_max.min(Semaphore::MAX_PERMITS)));
    let mut tasks = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        // Out of file descriptors and the like: back off instead of spinning.
                        tracing::warn!("{name}: accept failed: {e}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let admission = Arc::clone(&slots).try_acquire_owned().ok();
                tasks.spawn(connection(stream, peer, admission, stop.clone()));
            }
            _ = stop.changed() => break,
            Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
        }
    }
    drop(listener);
    tracing::info!("{name}: stopped accepting; draining {} connections", tasks.len());
    let drained = tokio::time::timeout(limits.drain_timeout, async {
        while tasks.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!("{name}: drain timed out; closing the remaining connections");
        tasks.abort_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// Admitted connections get a byte `1`, the rest `0`; shutdown drains.
    #[tokio::test]
    async fn admits_up_to_the_bound_and_drains() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop_tx, stop) = watch::channel(false);
        let limits = ListenerLimits { connections_max: 2, drain_timeout: Duration::from_secs(5) };
        let server = tokio::spawn(serve(
            "test",
            listener,
            limits,
            stop,
            |mut s, _, admission, mut stop| async move {
                let _ = s.write_all(&[u8::from(admission.is_some())]).await;
                // Hold the connection (and its admission) until shutdown.
                let _ = stop.changed().await;
                drop(admission);
            },
        ));
        let mut answers = Vec::new();
        let mut conns = Vec::new();
        for _ in 0..3 {
            let mut c = tokio::net::TcpStream::connect(addr).await.unwrap();
            let mut b = [0u8; 1];
            c.read_exact(&mut b).await.unwrap();
            answers.push(b[0]);
            conns.push(c);
        }
        assert_eq!(answers, vec![1, 1, 0]);
        stop_tx.send(true).unwrap();
        tokio::time::timeout(Duration::from_secs(5), server).await.unwrap().unwrap().unwrap();
    }
}
