//! SigV4's timestamps: `X-Amz-Date` is ISO 8601 basic format in UTC, `YYYYMMDDTHHMMSSZ`
//! (e.g. `20150830T123600Z`). Written and read here without a date library: the civil
//! (proleptic Gregorian) calendar from and to days since 1970-01-01.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

const SECS_PER_DAY: u64 = 86_400;

/// Length of an `X-Amz-Date` value.
pub const AMZ_DATE_LEN: usize = 16;

/// `(year, month 1..=12, day 1..=31)` of `days` since 1970-01-01 (Howard Hinnant's
/// `civil_from_days`).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11], March first
    let day = doy - (153 * mp + 2) / 5 + 1; // [1, 31]
    let month = if mp < 10 { mp + 3 } else { mp - 9 }; // [1, 12]
    let year = yoe + era * 400 + i64::from(month <= 2);
    // Both are in range by construction.
    (year, u32::try_from(month).unwrap_or(1), u32::try_from(day).unwrap_or(1))
}

/// Days since 1970-01-01 of a civil date (`days_from_civil`); `month` in 1..=12.
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let (month, day) = (i64::from(month), i64::from(day));
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year.rem_euclid(400); // [0, 399]
    let mp = if month > 2 { month - 3 } else { month + 9 }; // [0, 11]
    let doy = (153 * mp + 2) / 5 + day - 1; // [0, 365]
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; // [0, 146096]
    era * 146_097 + doe - 719_468
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Whole seconds since the Unix epoch (0 for a time before it).
pub fn unix_secs(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// `YYYYMMDDTHHMMSSZ` of `secs` since the Unix epoch.
pub fn amz_date_of_secs(secs: u64) -> String {
    let days = i64::try_from(secs / SECS_PER_DAY).unwrap_or(i64::MAX / 2);
    let (year, month, day) = civil_from_days(days);
    let rem = secs % SECS_PER_DAY;
    let (h, m, s) = (rem / 3600, rem / 60 % 60, rem % 60);
    format!("{year:04}{month:02}{day:02}T{h:02}{m:02}{s:02}Z")
}

/// `YYYYMMDDTHHMMSSZ` of `t` (UTC, whole seconds; a time before 1970 is written as the epoch).
pub fn amz_date(t: SystemTime) -> String {
    amz_date_of_secs(unix_secs(t))
}

fn digits(s: &[u8]) -> Option<u32> {
    s.iter().try_fold(0u32, |acc, &b| b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0')))
}

/// Seconds since the Unix epoch of an `X-Amz-Date` value, if it is one: exactly
/// `YYYYMMDDTHHMMSSZ`, a real calendar date, hours 00–23, minutes and seconds 00–59, no earlier
/// than 1970.
pub fn parse_amz_date_secs(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if b.len() != AMZ_DATE_LEN || b.get(8) != Some(&b'T') || b.get(15) != Some(&b'Z') {
        return None;
    }
    let year = i64::from(digits(b.get(0..4)?)?);
    let month = digits(b.get(4..6)?)?;
    let day = digits(b.get(6..8)?)?;
    let (h, m, sec) = (digits(b.get(9..11)?)?, digits(b.get(11..13)?)?, digits(b.get(13..15)?)?);
    let valid = year >= 1970
        && (1..=12).contains(&month)
        && day >= 1
        && day <= days_in_month(year, month)
        && h < 24
        && m < 60
        && sec < 60;
    if !valid {
        return None;
    }
    let days = u64::try_from(days_from_civil(year, month, day)).ok()?;
    Some(days * SECS_PER_DAY + u64::from(h * 3600 + m * 60 + sec))
}

/// The time of an `X-Amz-Date` value, if it is one (see [`parse_amz_date_secs`]).
pub fn parse_amz_date(s: &str) -> Option<SystemTime> {
    parse_amz_date_secs(s).map(|secs| UNIX_EPOCH + Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates() {
        assert_eq!(amz_date(UNIX_EPOCH), "19700101T000000Z");
        assert_eq!(amz_date_of_secs(1_440_938_160), "20150830T123600Z");
        assert_eq!(amz_date_of_secs(951_782_400), "20000229T000000Z", "a leap day");
        assert_eq!(amz_date_of_secs(4_102_444_799), "20991231T235959Z");
        assert_eq!(parse_amz_date_secs("20150830T123600Z"), Some(1_440_938_160));
        assert_eq!(parse_amz_date_secs("20000229T000000Z"), Some(951_782_400));
        assert_eq!(
            parse_amz_date("20150830T123600Z"),
            Some(UNIX_EPOCH + Duration::from_secs(1_440_938_160))
        );
    }

    #[test]
    fn every_day_round_trips() {
        // Every day from 1970 to 2400, and its civil form agrees with counting days by month.
        let (mut y, mut m, mut d) = (1970i64, 1u32, 1u32);
        for days in 0..days_from_civil(2400, 1, 1) {
            assert_eq!(civil_from_days(days), (y, m, d), "{days}");
            assert_eq!(days_from_civil(y, m, d), days);
            d += 1;
            if d > days_in_month(y, m) {
                (d, m) = (1, m + 1);
                if m > 12 {
                    (m, y) = (1, y + 1);
                }
            }
        }
        for secs in [0, 59, 86_399, 86_400, 1_700_000_000, 4_102_444_800 + 3_661] {
            assert_eq!(parse_amz_date_secs(&amz_date_of_secs(secs)), Some(secs), "{secs}");
        }
    }

    #[test]
    fn malformed_dates_are_none() {
        for bad in [
            "",
            "20150830",
            "20150830T123600",
            "20150830T123600z",
            "20150830t123600Z",
            "2015-08-30T12:36:00Z",
            "20150830T123600Z ",
            "20151330T000000Z",
            "20150000T000000Z",
            "20150229T000000Z",
            "21000229T000000Z",
            "20150431T000000Z",
            "20150830T240000Z",
            "20150830T126000Z",
            "20150830T123660Z",
            "19691231T235959Z",
            "2015083OT123600Z",
            "+0150830T123600Z",
            "２０１５0830T1236Z",
        ] {
            assert_eq!(parse_amz_date_secs(bad), None, "{bad}");
        }
        assert!(parse_amz_date_secs("24000229T000000Z").is_some(), "2400 is a leap year");
    }
}
