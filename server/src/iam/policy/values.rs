//! The typed values condition operators compare: numbers, dates and IP address ranges, parsed
//! from the strings policies and request contexts hold.

use std::net::IpAddr;

/// A number (`NumericEquals` and the rest): an integer or a decimal, finite.
pub(crate) fn parse_number(text: &str) -> Option<f64> {
    text.trim().parse::<f64>().ok().filter(|n| n.is_finite())
}

/// A date (`DateEquals` and the rest) as milliseconds since the Unix epoch: an ISO 8601 date
/// (`2026-12-06`), date and time (`2026-12-06T12:00:00Z`, with an optional fraction of a
/// second and a `Z` or `±hh:mm` offset; no offset is UTC), or epoch seconds (`1796558400`).
pub(crate) fn parse_date(text: &str) -> Option<i64> {
    let text = text.trim();
    if !text.contains(['-', 'T', 't']) {
        let seconds: i64 = text.parse().ok()?;
        return seconds.checked_mul(1000);
    }
    let mut cur = Cursor { bytes: text.as_bytes(), at: 0 };
    let year = cur.number(4)?;
    let (mut month, mut day) = (1, 1);
    if cur.eat(b'-') {
        month = cur.number(2)?;
        if cur.eat(b'-') {
            day = cur.number(2)?;
        }
    }
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let (mut hour, mut minute, mut second, mut millis, mut offset) = (0, 0, 0, 0, 0);
    if cur.eat(b'T') || cur.eat(b't') {
        hour = cur.number(2)?;
        if cur.eat(b':') {
            minute = cur.number(2)?;
            if cur.eat(b':') {
                second = cur.number(2)?;
                if cur.eat(b'.') {
                    millis = cur.fraction_millis()?;
                }
            }
        }
        offset = cur.offset_seconds()?;
    }
    if cur.at != cur.bytes.len() || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let seconds =
        days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offset;
    seconds.checked_mul(1000)?.checked_add(millis)
}

/// A cursor over an ASCII date.
struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn eat(&mut self, b: u8) -> bool {
        let hit = self.bytes.get(self.at) == Some(&b);
        self.at += usize::from(hit);
        hit
    }

    /// Exactly `len` digits.
    fn number(&mut self, len: usize) -> Option<i64> {
        let digits = self.bytes.get(self.at..self.at + len)?;
        let mut n = 0i64;
        for &d in digits {
            if !d.is_ascii_digit() {
                return None;
            }
            n = n * 10 + i64::from(d - b'0');
        }
        self.at += len;
        Some(n)
    }

    /// One to nine digits of a fraction of a second, as milliseconds.
    fn fraction_millis(&mut self) -> Option<i64> {
        let start = self.at;
        let mut millis = 0i64;
        while let Some(&d) = self.bytes.get(self.at).filter(|d| d.is_ascii_digit()) {
            if self.at - start < 3 {
                millis = millis * 10 + i64::from(d - b'0');
            }
            self.at += 1;
        }
        let len = self.at - start;
        if !(1..=9).contains(&len) {
            return None;
        }
        for _ in len..3 {
            millis *= 10;
        }
        Some(millis)
    }

    /// The time zone: nothing (UTC), `Z`, or `±hh`, `±hhmm`, `±hh:mm`; as seconds east of UTC.
    fn offset_seconds(&mut self) -> Option<i64> {
        if self.eat(b'Z') || self.eat(b'z') {
            return Some(0);
        }
        let sign = if self.eat(b'+') {
            1
        } else if self.eat(b'-') {
            -1
        } else {
            return Some(0);
        };
        let hours = self.number(2)?;
        self.eat(b':');
        let minutes = if self.at < self.bytes.len() { self.number(2)? } else { 0 };
        if hours > 23 || minutes > 59 {
            return None;
        }
        Some(sign * (hours * 3600 + minutes * 60))
    }
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// An address range (`IpAddress`, `NotIpAddress`): `203.0.113.0/24`, `2001:db8::/32`, or one
/// address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cidr {
    network: IpAddr,
    prefix: u32,
}

impl Cidr {
    /// Parses a range; `None` when it is none.
    pub(crate) fn parse(text: &str) -> Option<Cidr> {
        let text = text.trim();
        let (addr, prefix) = match text.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (text, None),
        };
        let network: IpAddr = addr.parse().ok()?;
        let bits = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => p.parse().ok()?,
            Some(_) => return None,
            None => bits,
        };
        (prefix <= bits).then_some(Cidr { network, prefix })
    }

    /// Whether the range holds `ip` (an IPv4 range holds IPv4-mapped IPv6 addresses too).
    pub(crate) fn contains(&self, ip: IpAddr) -> bool {
        let ip = match (self.network, ip) {
            (IpAddr::V4(_), IpAddr::V6(v6)) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            _ => ip,
        };
        match (self.network, ip) {
            (IpAddr::V4(net), IpAddr::V4(a)) => {
                let mask = u32::MAX.checked_shl(32 - self.prefix).unwrap_or(0);
                u32::from(net) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(a)) => {
                let mask = u128::MAX.checked_shl(128 - self.prefix).unwrap_or(0);
                u128::from(net) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

/// A request's address (`aws:SourceIp`): an address, or an address with a prefix length.
pub(crate) fn parse_ip(text: &str) -> Option<IpAddr> {
    let text = text.trim();
    text.split_once('/').map_or(text, |(addr, _)| addr).parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(parse_date("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_date("0"), Some(0));
        assert_eq!(parse_date("1970-01-02"), Some(86_400_000));
        assert_eq!(parse_date("2026-12-06T12:00:00Z"), Some(1_796_558_400_000));
        assert_eq!(parse_date("1796558400"), Some(1_796_558_400_000));
        assert_eq!(parse_date("2026-12-06T14:00:00+02:00"), Some(1_796_558_400_000));
        assert_eq!(parse_date("2026-12-06T07:00:00-0500"), Some(1_796_558_400_000));
        assert_eq!(parse_date("2026-12-06t12:00:00.250z"), Some(1_796_558_400_250));
        assert_eq!(parse_date("2026-12-06T12:00Z"), Some(1_796_558_400_000));
        assert_eq!(parse_date("2024-02-29"), Some(1_709_164_800_000));
        assert_eq!(parse_date("2000-03-01"), Some(951_868_800_000));
        for bad in [
            "",
            "2026-13-01",
            "2023-02-29",
            "2026-12-06T25:00:00Z",
            "2026-12-06X",
            "abc",
            "12x",
            "2026-1-1",
            "2026-12-06T12:00:00.Z",
            "2026-12-06T12:00:00+2",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn cidrs() {
        let c = Cidr::parse("203.0.113.0/24").unwrap();
        assert!(c.contains("203.0.113.7".parse().unwrap()));
        assert!(!c.contains("203.0.114.7".parse().unwrap()));
        assert!(c.contains("::ffff:203.0.113.9".parse().unwrap()));
        let all = Cidr::parse("0.0.0.0/0").unwrap();
        assert!(all.contains("8.8.8.8".parse().unwrap()));
        let one = Cidr::parse("10.0.0.1").unwrap();
        assert!(one.contains("10.0.0.1".parse().unwrap()));
        assert!(!one.contains("10.0.0.2".parse().unwrap()));
        let v6 = Cidr::parse("2001:DB8:1234:5678::/64").unwrap();
        assert!(v6.contains("2001:db8:1234:5678::1".parse().unwrap()));
        assert!(!v6.contains("2001:db8:1234:5679::1".parse().unwrap()));
        assert!(!v6.contains("10.0.0.1".parse().unwrap()));
        assert!(Cidr::parse("::/0").unwrap().contains("::1".parse().unwrap()));
        for bad in ["10.0.0.0/33", "10.0.0.0/", "10.0.0/8", "x", "::/129", "10.0.0.0/+8"] {
            assert_eq!(Cidr::parse(bad), None, "{bad}");
        }
        assert_eq!(parse_ip("10.1.2.3/32"), Some("10.1.2.3".parse().unwrap()));
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_number(" 10 "), Some(10.0));
        assert_eq!(parse_number("1.5"), Some(1.5));
        assert_eq!(parse_number("-3"), Some(-3.0));
        assert_eq!(parse_number("inf"), None);
        assert_eq!(parse_number("NaN"), None);
        assert_eq!(parse_number("ten"), None);
    }
}
