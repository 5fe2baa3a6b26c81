//! Timestamps: read from ISO 8601 text (`2024-01-01T00:00:00Z`, fractional seconds and a
//! `Z` or `±hh:mm` offset optional) or epoch seconds (text or a JSON number), carried as epoch
//! seconds (a JSON integer when whole, else a float), written as ISO 8601 UTC with
//! milliseconds (`2024-01-01T00:01:00.000Z`) for the query protocol.
//!
//! Only years 0000 to 9999 are accepted: every such time has an ISO 8601 form.

use serde_json::{Number, Value as Json};

/// 0000-01-01T00:00:00Z.
const SECS_MIN: i64 = -62_167_219_200;
/// 9999-12-31T23:59:59Z.
const SECS_MAX: i64 = 253_402_300_799;
const DAY: i64 = 86_400;

/// A time: whole seconds since the epoch and the nanoseconds after them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Epoch {
    secs: i64,
    nanos: u32,
}

impl Epoch {
    fn new(secs: i64, nanos: u32) -> Option<Epoch> {
        (SECS_MIN..=SECS_MAX).contains(&secs).then_some(Epoch { secs, nanos })
    }

    /// From ISO 8601 text or epoch seconds as text.
    pub(crate) fn parse(text: &str) -> Option<Epoch> {
        parse_epoch_text(text).or_else(|| parse_iso(text))
    }

    /// From a JSON number of epoch seconds or a string [`Epoch::parse`] reads.
    pub(crate) fn from_json(v: &Json) -> Option<Epoch> {
        match v {
            Json::String(s) => Epoch::parse(s),
            Json::Number(n) => match n.as_i64() {
                Some(secs) => Epoch::new(secs, 0),
                None => from_f64(n.as_f64()?),
            },
            _ => None,
        }
    }

    /// Epoch seconds: an integer when whole, else a float.
    pub(crate) fn to_json(self) -> Json {
        if self.nanos == 0 {
            return Json::from(self.secs);
        }
        Number::from_f64(self.secs as f64 + f64::from(self.nanos) / 1e9)
            .map_or_else(|| Json::from(self.secs), Json::Number)
    }

    /// ISO 8601 UTC with milliseconds.
    pub(crate) fn to_iso_millis(self) -> String {
        let days = self.secs.div_euclid(DAY);
        let rem = self.secs.rem_euclid(DAY);
        let (y, m, d) = civil_from_days(days);
        format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
            rem / 3600,
            rem % 3600 / 60,
            rem % 60,
            self.nanos / 1_000_000
        )
    }
}

/// A float of epoch seconds, to the microsecond (a double holds no more at today's times).
fn from_f64(f: f64) -> Option<Epoch> {
    if !f.is_finite() || f < SECS_MIN as f64 || f > SECS_MAX as f64 + 1.0 {
        return None;
    }
    let micros = (f * 1e6).round();
    let secs = (micros / 1e6).floor();
    let frac = (micros - secs * 1e6) as u32;
    Epoch::new(secs as i64, frac.min(999_999) * 1000)
}

/// `-?digits(.digits)?`: epoch seconds as text.
fn parse_epoch_text(text: &str) -> Option<Epoch> {
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, frac) = match body.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (body, None),
    };
    if whole.is_empty() || whole.len() > 12 || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut secs: i64 = whole.parse().ok()?;
    let mut nanos = match frac {
        Some(f) => fraction_nanos(f)?,
        None => 0,
    };
    if negative {
        secs = -secs;
        if nanos > 0 {
            secs -= 1;
            nanos = 1_000_000_000 - nanos;
        }
    }
    Epoch::new(secs, nanos)
}

/// The nanoseconds of a fraction's digits (past the ninth ignored); at least one digit.
fn fraction_nanos(digits: &str) -> Option<u32> {
    if digits.is_empty() || digits.len() > 64 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut nanos = 0u32;
    for b in digits.bytes().chain(std::iter::repeat(b'0')).take(9) {
        nanos = nanos * 10 + u32::from(b - b'0');
    }
    Some(nanos)
}

/// Digits at `range` of `s` as a number.
fn digits(s: &str, range: std::ops::Range<usize>) -> Option<i64> {
    let part = s.get(range)?;
    if !part.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    part.parse().ok()
}

/// `YYYY-MM-DDThh:mm:ss[.f…][Z|±hh:mm|±hhmm|±hh]` (no zone is UTC).
fn parse_iso(s: &str) -> Option<Epoch> {
    let sep = |i: usize, c: &[u8]| s.as_bytes().get(i).is_some_and(|b| c.contains(b));
    if !(sep(4, b"-") && sep(7, b"-") && sep(10, b"Tt") && sep(13, b":") && sep(16, b":")) {
        return None;
    }
    let (y, mo, d) = (digits(s, 0..4)?, digits(s, 5..7)?, digits(s, 8..10)?);
    let (h, mi, sec) = (digits(s, 11..13)?, digits(s, 14..16)?, digits(s, 17..19)?);
    if !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 59
    {
        return None;
    }
    let mut rest = s.get(19..)?;
    let mut nanos = 0;
    if let Some(after) = rest.strip_prefix('.') {
        let end = after.bytes().position(|b| !b.is_ascii_digit()).unwrap_or(after.len());
        nanos = fraction_nanos(after.get(..end)?)?;
        rest = after.get(end..)?;
    }
    let offset = match rest {
        "" | "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes().first() {
                Some(b'+') => 1,
                Some(b'-') => -1,
                _ => return None,
            };
            let zone = rest.get(1..)?;
            let (oh, om) = match zone.len() {
                2 => (digits(zone, 0..2)?, 0),
                4 => (digits(zone, 0..2)?, digits(zone, 2..4)?),
                5 if zone.as_bytes().get(2) == Some(&b':') => {
                    (digits(zone, 0..2)?, digits(zone, 3..5)?)
                }
                _ => return None,
            };
            if oh > 23 || om > 59 {
                return None;
            }
            sign * (oh * 3600 + om * 60)
        }
    };
    Epoch::new(days_from_civil(y, mo, d) * DAY + h * 3600 + mi * 60 + sec - offset, nanos)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if y % 4 == 0 && (y % 100 != 0 || y % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let (era, yoe) = (y.div_euclid(400), y.rem_euclid(400));
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a count of days since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let (era, doe) = (z.div_euclid(146_097), z.rem_euclid(146_097));
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn secs(s: &str) -> Json {
        Epoch::parse(s).map(Epoch::to_json).unwrap_or(Json::Null)
    }

    #[test]
    fn iso_8601_forms() {
        assert_eq!(secs("2024-01-01T00:00:00Z"), json!(1_704_067_200));
        assert_eq!(secs("2024-01-01T00:00:00"), json!(1_704_067_200), "no zone is UTC");
        assert_eq!(secs("2024-01-01t00:00:00z"), json!(1_704_067_200));
        assert_eq!(secs("2024-01-01T00:00:00.500Z"), json!(1_704_067_200.5));
        assert_eq!(secs("2024-01-01T00:00:00.000Z"), json!(1_704_067_200));
        assert_eq!(secs("2024-01-01T01:00:00+01:00"), json!(1_704_067_200));
        assert_eq!(secs("2023-12-31T23:00:00-0100"), json!(1_704_067_200));
        assert_eq!(secs("2024-01-01T02:00:00+02"), json!(1_704_067_200));
        assert_eq!(secs("1970-01-01T00:00:00Z"), json!(0));
        let f = secs("2024-02-29T12:34:56.123456789Z").as_f64().unwrap();
        assert!((f - 1_709_210_096.123_456_7).abs() < 1e-6, "{f}");
        assert_eq!(secs("0000-01-01T00:00:00Z"), json!(SECS_MIN));
        assert_eq!(secs("9999-12-31T23:59:59Z"), json!(SECS_MAX));
    }

    #[test]
    fn epoch_seconds_as_text() {
        assert_eq!(secs("1704067200"), json!(1_704_067_200));
        assert_eq!(secs("1704067200.25"), json!(1_704_067_200.25));
        assert_eq!(secs("-1.5"), json!(-1.5));
        assert_eq!(secs("0"), json!(0));
    }

    #[test]
    fn refusals() {
        for bad in [
            "",
            "x",
            "2024-13-01T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2024-01-01T24:00:00Z",
            "2024-01-01T00:60:00Z",
            "2024-01-01T00:00:60Z",
            "2024-01-01 00:00:00Z",
            "2024-01-01T00:00:00.Z",
            "2024-01-01T00:00:00+1:00",
            "2024-01-01T00:00:00+24:00",
            "2024-01-01T00:00:00ZZ",
            "+2024-01-01T00:00:00Z",
            "2024-1-01T00:00:00Z",
            "１２３",
            "1.",
            ".5",
            "1e9",
            "999999999999999",
            "-62167219201",
        ] {
            assert!(Epoch::parse(bad).is_none(), "{bad:?}");
        }
        assert!(Epoch::from_json(&json!(true)).is_none());
        assert!(Epoch::from_json(&json!(1e300)).is_none());
        assert!(Epoch::from_json(&json!(u64::MAX)).is_none());
    }

    #[test]
    fn iso_with_milliseconds() {
        let iso = |v: Json| Epoch::from_json(&v).unwrap().to_iso_millis();
        assert_eq!(iso(json!(1_704_067_260)), "2024-01-01T00:01:00.000Z");
        assert_eq!(iso(json!(1_704_067_200.123)), "2024-01-01T00:00:00.123Z");
        assert_eq!(iso(json!(1_704_067_200.999_9)), "2024-01-01T00:00:00.999Z");
        assert_eq!(iso(json!(-0.5)), "1969-12-31T23:59:59.500Z");
        assert_eq!(iso(json!("2024-02-29T23:59:59+00:00")), "2024-02-29T23:59:59.000Z");
        assert_eq!(iso(json!(SECS_MIN)), "0000-01-01T00:00:00.000Z");
        assert_eq!(iso(json!(SECS_MAX)), "9999-12-31T23:59:59.000Z");
    }

    #[test]
    fn every_day_round_trips() {
        // Each day of 1999..2101 (leap years, century rules) through text and back.
        let start = days_from_civil(1999, 1, 1);
        for day in start..start + 37_000 {
            let t = Epoch::new(day * DAY + 3_723, 0).unwrap();
            assert_eq!(Epoch::parse(&t.to_iso_millis()), Some(t));
        }
    }
}
