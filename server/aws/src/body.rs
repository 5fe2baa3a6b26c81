//! Request bodies, bounded: `body_bytes_max` per body (checked against `Content-Length` before
//! reading, and while reading a chunked body), and `request_bytes_max` across every connection:
//! a request waits for its share of the [`ByteBudget`] before its body is read, and holds it
//! until it is answered. A client that stalls mid-body for `idle_timeout` is refused.
//!
//! A compressed body ([`RequestCoding::Gzip`]) is inflated after it is read, within the same
//! `body_bytes_max` ([`crate::encoding::gunzip`]): its share of the budget covers the decoded
//! bytes too, taken with the body's own in one wait (a request never waits for more budget
//! while it holds some, which could deadlock two requests), and cut down to what is held once
//! decoded ([`HeldBody::keep_share`]).

use crate::encoding::RequestCoding;
use crate::AwsError;
use bytes::Bytes;
use http_body::Body;
use http_body_util::{BodyExt, Limited};
use std::time::Duration;
use tokio::sync::{Semaphore, SemaphorePermit};

/// The bounds of request bodies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyLimits {
    /// Largest request body.
    pub body_bytes_max: usize,
    /// Bytes of request bodies held at once across all connections (a request holds its
    /// `Content-Length`, or `body_bytes_max` when chunked, until it is answered).
    pub request_bytes_max: usize,
    /// How long a client may stall sending a body.
    pub idle_timeout: Duration,
}

/// The `request_bytes_max` budget shared by every connection of a front door, one permit a
/// byte.
#[derive(Debug)]
pub struct ByteBudget(Semaphore);

impl ByteBudget {
    /// A budget of `request_bytes_max` bytes.
    pub fn new(request_bytes_max: usize) -> ByteBudget {
        ByteBudget(Semaphore::new(request_bytes_max.min(Semaphore::MAX_PERMITS)))
    }

    /// Bytes free now.
    pub fn available(&self) -> usize {
        self.0.available_permits()
    }
}

/// A body read, with the share of the budget it holds until dropped.
#[derive(Debug)]
pub struct HeldBody<'a> {
    /// The bytes, as sent.
    pub bytes: Bytes,
    share: SemaphorePermit<'a>,
}

impl HeldBody<'_> {
    /// Gives the budget back beyond `bytes_held` (at least one byte's share stays held): once a
    /// compressed body is decoded, its share is the two bodies' sizes.
    pub fn keep_share(&mut self, bytes_held: usize) {
        let excess = self.share.num_permits().saturating_sub(bytes_held.max(1));
        if excess > 0 {
            drop(self.share.split(excess));
        }
    }

    /// Bytes of the budget held.
    pub fn share(&self) -> usize {
        self.share.num_permits()
    }
}

/// Reads a body within `limits`, after waiting for its share of `budget`. `declared` is the
/// request's `Content-Length`, if any; a body of `coding` gzip takes `body_bytes_max` more for
/// what it decodes to (see the module doc).
pub async fn read_body<'a, B>(
    body: B,
    declared: Option<u64>,
    coding: RequestCoding,
    limits: &BodyLimits,
    budget: &'a ByteBudget,
) -> Result<HeldBody<'a>, AwsError>
where
    B: Body<Data = Bytes>,
    B::Error:
        std::fmt::Display + Send + Sync + 'static + Into<Box<dyn std::error::Error + Send + Sync>>,
{
    if declared.is_some_and(|n| n > limits.body_bytes_max as u64) {
        return Err(AwsError::request_entity_too_large(limits.body_bytes_max));
    }
    let share = declared.map_or(limits.body_bytes_max, |n| n as usize);
    let share = match coding {
        RequestCoding::Identity => share,
        RequestCoding::Gzip => share.saturating_add(limits.body_bytes_max),
    };
    let share = share.clamp(1, limits.request_bytes_max.max(1));
    let Ok(held) = budget.0.acquire_many(u32::try_from(share).unwrap_or(u32::MAX)).await else {
        return Err(AwsError::internal("the request budget is closed"));
    };
    let limited = Limited::new(body, limits.body_bytes_max);
    match tokio::time::timeout(limits.idle_timeout, limited.collect()).await {
        Err(_) => Err(AwsError::serialization("Timed out reading the request body")),
        Ok(Err(e)) => {
            if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() {
                Err(AwsError::request_entity_too_large(limits.body_bytes_max))
            } else {
                Err(AwsError::serialization(format!("Could not read the request body: {e}")))
            }
        }
        Ok(Ok(b)) => Ok(HeldBody { bytes: b.to_bytes(), share: held }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::{Full, StreamBody};
    use std::convert::Infallible;

    const IDENTITY: RequestCoding = RequestCoding::Identity;

    fn limits(body_bytes_max: usize) -> BodyLimits {
        BodyLimits {
            body_bytes_max,
            request_bytes_max: 100,
            idle_timeout: Duration::from_millis(50),
        }
    }

    #[tokio::test]
    async fn a_body_within_bounds_holds_its_share_until_dropped() {
        let budget = ByteBudget::new(100);
        let held = read_body(
            Full::new(Bytes::from_static(b"hello")),
            Some(5),
            IDENTITY,
            &limits(10),
            &budget,
        )
        .await
        .unwrap();
        assert_eq!(&held.bytes[..], b"hello");
        assert_eq!(budget.available(), 95);
        drop(held);
        assert_eq!(budget.available(), 100);
    }

    #[tokio::test]
    async fn a_declared_length_over_the_bound_is_refused_before_reading() {
        let budget = ByteBudget::new(100);
        let e = read_body(
            Full::new(Bytes::from_static(b"x")),
            Some(11),
            IDENTITY,
            &limits(10),
            &budget,
        )
        .await
        .unwrap_err();
        assert_eq!((e.code.as_ref(), e.status), ("RequestEntityTooLarge", 413));
        assert_eq!(budget.available(), 100);
    }

    #[tokio::test]
    async fn a_chunked_body_over_the_bound_is_refused_while_reading() {
        let budget = ByteBudget::new(100);
        let chunks =
            futures_stream(vec![Bytes::from_static(b"123456"), Bytes::from_static(b"789012")]);
        let e = read_body(chunks, None, IDENTITY, &limits(10), &budget).await.unwrap_err();
        assert_eq!(e.status, 413);
    }

    #[tokio::test]
    async fn a_stalled_body_times_out() {
        let budget = ByteBudget::new(100);
        let stalled = StreamBody::new(Pending);
        let e = read_body(stalled, None, IDENTITY, &limits(10), &budget).await.unwrap_err();
        assert_eq!(e.code, "SerializationException");
        assert_eq!(e.message, "Timed out reading the request body");
    }

    #[tokio::test]
    async fn requests_wait_for_the_budget() {
        let budget = ByteBudget::new(8);
        let l = limits(10);
        let first =
            read_body(Full::new(Bytes::from_static(b"12345678")), Some(8), IDENTITY, &l, &budget)
                .await
                .unwrap();
        let second = read_body(Full::new(Bytes::from_static(b"1")), Some(1), IDENTITY, &l, &budget);
        let waited = tokio::time::timeout(Duration::from_millis(30), second).await;
        assert!(waited.is_err(), "the second body waits while the first holds the budget");
        drop(first);
        let third = read_body(Full::new(Bytes::from_static(b"1")), Some(1), IDENTITY, &l, &budget);
        assert!(tokio::time::timeout(Duration::from_millis(500), third).await.is_ok());
    }

    #[tokio::test]
    async fn a_gzip_body_takes_a_share_for_its_decoded_bytes_and_gives_back_the_rest() {
        let budget = ByteBudget::new(100);
        let gz = RequestCoding::Gzip;
        let mut held =
            read_body(Full::new(Bytes::from_static(b"hello")), Some(5), gz, &limits(10), &budget)
                .await
                .unwrap();
        assert_eq!(held.share(), 15, "its 5 bytes and up to 10 decoded");
        assert_eq!(budget.available(), 85);
        held.keep_share(5 + 7);
        assert_eq!(budget.available(), 88);
        held.keep_share(0);
        assert_eq!(held.share(), 1, "one byte's share stays held");
        drop(held);
        assert_eq!(budget.available(), 100);
        // Never more than the whole budget (which would wait forever).
        let small = BodyLimits { request_bytes_max: 12, ..limits(10) };
        let budget = ByteBudget::new(12);
        let held = read_body(Full::new(Bytes::from_static(b"hello")), Some(5), gz, &small, &budget);
        let held = tokio::time::timeout(Duration::from_millis(500), held).await.unwrap().unwrap();
        assert_eq!(held.share(), 12);
    }

    /// A stream of data frames.
    fn futures_stream(chunks: Vec<Bytes>) -> StreamBody<Chunks> {
        StreamBody::new(Chunks(chunks.into_iter()))
    }

    struct Chunks(std::vec::IntoIter<Bytes>);

    impl futures_core_stream::Stream for Chunks {
        type Item = Result<http_body::Frame<Bytes>, Infallible>;
        fn poll_next(
            mut self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Self::Item>> {
            std::task::Poll::Ready(self.0.next().map(|b| Ok(http_body::Frame::data(b))))
        }
    }

    /// A body that never sends anything.
    struct Pending;

    impl futures_core_stream::Stream for Pending {
        type Item = Result<http_body::Frame<Bytes>, Infallible>;
        fn poll_next(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Self::Item>> {
            std::task::Poll::Pending
        }
    }
}
