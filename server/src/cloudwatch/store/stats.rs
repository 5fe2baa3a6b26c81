//! One minute of one metric: the statistics CloudWatch keeps of its datapoints (sample count,
//! sum, minimum, maximum), from which every statistic it answers (`SampleCount`, `Sum`,
//! `Average`, `Minimum`, `Maximum`) over any period of whole minutes is computed exactly.
//!
//! Stored as [`STATS_LEN`] bytes (see `docs/format/cloudwatch.md`):
//!
//! ```text
//! version u8 (1) | sample count f64 LE | sum f64 LE | min f64 LE | max f64 LE | crc32 LE
//! ```
//!
//! The CRC32 covers the 33 bytes before it.

use std::fmt;

/// The format version of a stored minute.
pub const STATS_VERSION: u8 = 1;
/// Bytes of a stored minute: the version, four f64s and the CRC32.
pub const STATS_LEN: usize = 1 + 4 * 8 + 4;
const _: () = assert!(STATS_LEN == 37);

/// Why stored statistics were refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Corrupt(pub String);

/// `body` sealed: its CRC32 (u32 LE), then the body (how series, alarms and history items are
/// stored).
pub fn seal(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(4 + body.len());
    out.extend_from_slice(&crc32fast::hash(body).to_le_bytes());
    out.extend_from_slice(body);
    out
}

/// The body of a sealed value, once its CRC32 matches; `what` names it in errors.
pub fn unseal<'b>(bytes: &'b [u8], what: &str) -> Result<&'b [u8], Corrupt> {
    let (crc, body) = bytes
        .split_first_chunk::<4>()
        .ok_or_else(|| Corrupt(format!("a stored {what} is shorter than its checksum")))?;
    if crc32fast::hash(body) != u32::from_le_bytes(*crc) {
        return Err(Corrupt(format!("a stored {what}'s checksum does not match")));
    }
    Ok(body)
}

impl fmt::Display for Corrupt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Statistics of a set of datapoints.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stats {
    pub count: f64,
    pub sum: f64,
    pub min: f64,
    pub max: f64,
}

impl Stats {
    /// One datapoint of `value`.
    pub fn one(value: f64) -> Stats {
        Stats { count: 1.0, sum: value, min: value, max: value }
    }

    /// `count` datapoints of `value` (PutMetricData's `Values` with `Counts`).
    pub fn repeated(value: f64, count: f64) -> Stats {
        Stats { count, sum: value * count, min: value, max: value }
    }

    /// Adds `other`'s datapoints.
    pub fn merge(&mut self, other: &Stats) {
        self.count += other.count;
        self.sum += other.sum;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }

    /// The mean datapoint.
    pub fn average(&self) -> f64 {
        if self.count > 0.0 {
            self.sum / self.count
        } else {
            0.0
        }
    }

    /// The stored form.
    pub fn encode(&self) -> [u8; STATS_LEN] {
        let mut out = [0u8; STATS_LEN];
        let mut body = Vec::with_capacity(STATS_LEN);
        body.push(STATS_VERSION);
        for v in [self.count, self.sum, self.min, self.max] {
            body.extend_from_slice(&v.to_le_bytes());
        }
        body.extend_from_slice(&crc32fast::hash(&body).to_le_bytes());
        out.copy_from_slice(&body);
        out
    }

    /// Reads the stored form.
    pub fn decode(bytes: &[u8]) -> Result<Stats, Corrupt> {
        if bytes.len() != STATS_LEN {
            return Err(Corrupt(format!(
                "a stored minute is {} bytes, not {STATS_LEN}",
                bytes.len()
            )));
        }
        let (body, crc) = bytes.split_at(STATS_LEN - 4);
        let stored = u32::from_le_bytes(crc.try_into().map_err(|_| Corrupt("short crc".into()))?);
        if crc32fast::hash(body) != stored {
            return Err(Corrupt("a stored minute's checksum does not match".into()));
        }
        if body.first() != Some(&STATS_VERSION) {
            return Err(Corrupt(format!("a stored minute has version {:?}", body.first())));
        }
        let f = |i: usize| -> Result<f64, Corrupt> {
            let b = body.get(1 + 8 * i..9 + 8 * i).ok_or_else(|| Corrupt("short".into()))?;
            Ok(f64::from_le_bytes(b.try_into().map_err(|_| Corrupt("short".into()))?))
        };
        Ok(Stats { count: f(0)?, sum: f(1)?, min: f(2)?, max: f(3)? })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_and_round_trip() {
        let mut s = Stats::one(2.0);
        s.merge(&Stats::repeated(0.5, 4.0));
        assert_eq!(s, Stats { count: 5.0, sum: 4.0, min: 0.5, max: 2.0 });
        assert_eq!(s.average(), 0.8);
        let b = s.encode();
        assert_eq!(Stats::decode(&b), Ok(s));
        let mut bad = b;
        bad[3] ^= 1;
        assert!(Stats::decode(&bad).is_err());
        assert!(Stats::decode(&b[..36]).is_err());
    }
}
