//! Compaction filters: a user callback decides, per entry a compaction rewrites, to keep it,
//! remove it, or replace its value; and [`TtlFilter`], which removes expired entries.
//!
//! A filter sees only the newest version of a key, and only when no live snapshot can see that
//! version (its sequence is above the newest snapshot's): a snapshot never observes a filtered
//! change; the latest state does. Removing writes a tombstone in the entry's place (so older versions below cannot
//! resurface), or drops the entry outright when nothing below the output level holds the key.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// What a compaction filter decides for one entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Keep the entry as it is.
    Keep,
    /// Remove the key.
    Remove,
    /// Keep the key with this value instead.
    Replace(Vec<u8>),
}

/// A user callback run by compactions on live values.
pub trait CompactionFilter: Send + Sync + std::fmt::Debug {
    /// Decides for `key` = `value` of `keyspace`, met while compacting into `level`.
    fn filter(&self, keyspace: &str, level: usize, key: &[u8], value: &[u8]) -> Decision;

    /// Whether reads asked to hide expired entries (`ReadOptions`-style `get_fresh`) should treat
    /// this entry as absent before a compaction removes it. Default: never.
    fn hides(&self, _keyspace: &str, _key: &[u8], _value: &[u8]) -> bool {
        false
    }
}

/// Where a value keeps its expiry time, in seconds since the Unix epoch (`None`: never expires).
pub type ExpiryOf = Arc<dyn Fn(&[u8]) -> Option<u64> + Send + Sync>;

/// Removes entries whose expiry time has passed.
///
/// The expiry comes from the value itself, read by `expiry_of` — e.g. [`TtlFilter::prefixed`],
/// for values written with [`ttl_value`] (an 8-byte little-endian expiry before the payload), or
/// the DynamoDB gateway's TTL attribute.
#[derive(Clone)]
pub struct TtlFilter {
    expiry_of: ExpiryOf,
    now: Arc<dyn Fn() -> u64 + Send + Sync>,
    keyspaces: Option<Vec<String>>,
}

impl std::fmt::Debug for TtlFilter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TtlFilter").field("keyspaces", &self.keyspaces).finish()
    }
}

/// The current time in seconds since the Unix epoch.
pub fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// A value carrying its expiry: `expires_at:u64le ++ payload`.
pub fn ttl_value(expires_at: u64, payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(8 + payload.len());
    v.extend_from_slice(&expires_at.to_le_bytes());
    v.extend_from_slice(payload);
    v
}

/// The expiry of a value written with [`ttl_value`] (`None` when shorter than 8 bytes).
pub fn ttl_expiry(value: &[u8]) -> Option<u64> {
    value.first_chunk::<8>().map(|b| u64::from_le_bytes(*b))
}

impl TtlFilter {
    /// A filter reading expiries with `expiry_of`, using the system clock.
    pub fn new(expiry_of: ExpiryOf) -> Self {
        TtlFilter { expiry_of, now: Arc::new(unix_now), keyspaces: None }
    }

    /// A filter for values written with [`ttl_value`].
    pub fn prefixed() -> Self {
        Self::new(Arc::new(ttl_expiry))
    }

    /// Restricts the filter to these keyspaces.
    pub fn only(mut self, keyspaces: &[&str]) -> Self {
        self.keyspaces = Some(keyspaces.iter().map(|s| (*s).to_owned()).collect());
        self
    }

    /// Uses `now` as the clock (tests).
    pub fn with_clock(mut self, now: Arc<dyn Fn() -> u64 + Send + Sync>) -> Self {
        self.now = now;
        self
    }

    fn applies(&self, keyspace: &str) -> bool {
        self.keyspaces.as_ref().is_none_or(|k| k.iter().any(|n| n == keyspace))
    }

    fn expired(&self, value: &[u8]) -> bool {
        (self.expiry_of)(value).is_some_and(|t| t <= (self.now)())
    }
}

impl CompactionFilter for TtlFilter {
    fn filter(&self, keyspace: &str, _level: usize, _key: &[u8], value: &[u8]) -> Decision {
        if self.applies(keyspace) && self.expired(value) {
            Decision::Remove
        } else {
            Decision::Keep
        }
    }

    fn hides(&self, keyspace: &str, _key: &[u8], value: &[u8]) -> bool {
        self.applies(keyspace) && self.expired(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttl_decisions() {
        let f = TtlFilter::prefixed().with_clock(Arc::new(|| 100)).only(&["sessions"]);
        let live = ttl_value(101, b"x");
        let dead = ttl_value(100, b"x");
        assert_eq!(f.filter("sessions", 1, b"k", &live), Decision::Keep);
        assert_eq!(f.filter("sessions", 1, b"k", &dead), Decision::Remove);
        assert_eq!(f.filter("other", 1, b"k", &dead), Decision::Keep);
        assert!(f.hides("sessions", b"k", &dead));
        assert!(!f.hides("sessions", b"k", b"short"));
        assert_eq!(ttl_expiry(&live), Some(101));
    }
}
