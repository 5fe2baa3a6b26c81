//! DynamoDB's Number: an exact decimal with up to 38 significant digits and a magnitude from
//! 1E-130 to 9.9999999999999999999999999999999999999E+125 (or zero).
//!
//! Stored normalized as sign, significant digits `d1 d2 … dn` (no leading or trailing zeros)
//! and exponent `e`, meaning `±0.d1d2…dn × 10^e`. Normalized numbers compare by sign, then
//! exponent, then digits. Output is plain decimal notation without trailing zeros
//! (`"1.50"` → `"1.5"`, `"1E2"` → `"100"`), as DynamoDB answers.
//!
//! [`Number::key_bytes`] is an order-preserving byte encoding (for sort keys):
//!
//! ```text
//! zero:      0x80
//! positive:  0x81, u16 BE (e + EXP_BIAS), each digit as d + 1 (1..=10), 0x00
//! negative:  0x7f, then every byte of the positive encoding's tail inverted (!b)
//! ```
//!
//! A shorter digit string sorts first (its 0x00 terminator is below every digit), as 0.12 <
//! 0.123 requires; inverting the tail reverses the order for negative numbers.

use std::cmp::Ordering;
use std::fmt;

/// Most significant digits a Number holds.
pub const DIGITS_MAX: usize = 38;
/// Largest exponent `e` (in `0.d… × 10^e`): 9.99…E+125 is 0.999… × 10^126.
pub const EXP_MAX: i32 = 126;
/// Smallest exponent: 1E-130 is 0.1 × 10^-129.
pub const EXP_MIN: i32 = -129;
/// Added to the exponent in the key encoding so it is never negative.
const EXP_BIAS: i32 = 1000;
/// Longest input string accepted before parsing (DynamoDB's own text bound is far below).
pub const TEXT_LEN_MAX: usize = 1024;

const _: () = assert!(EXP_MIN + EXP_BIAS > 0 && EXP_MAX + EXP_BIAS < u16::MAX as i32);

/// Why a string is not a valid Number, worded as DynamoDB words it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NumberError {
    /// Not a number at all.
    Invalid,
    /// More than 38 significant digits.
    Precision,
    /// Magnitude above 9.99…E+125.
    Overflow,
    /// Magnitude below 1E-130 (and not zero).
    Underflow,
}

impl fmt::Display for NumberError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NumberError::Invalid => "The parameter cannot be converted to a numeric value",
            NumberError::Precision => "Attempting to store more than 38 significant digits in a Number",
            NumberError::Overflow => {
                "Number overflow. Attempting to store a number with magnitude larger than supported range"
            }
            NumberError::Underflow => {
                "Number underflow. Attempting to store a number with magnitude smaller than supported range"
            }
        })
    }
}

impl std::error::Error for NumberError {}

/// An exact DynamoDB number.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Number {
    negative: bool,
    /// Significant digits 0..=9, first and last non-zero; empty for zero.
    digits: Vec<u8>,
    /// `value = ±0.digits × 10^exp` (0 for zero).
    exp: i32,
}

impl Number {
    pub fn zero() -> Number {
        Number { negative: false, digits: Vec::new(), exp: 0 }
    }

    pub fn is_zero(&self) -> bool {
        self.digits.is_empty()
    }

    /// Builds a normalized number from digits `d` meaning `±0.d × 10^exp`, checking the bounds.
    fn normalized(
        negative: bool,
        mut digits: Vec<u8>,
        mut exp: i32,
    ) -> Result<Number, NumberError> {
        let lead = digits.iter().take_while(|&&d| d == 0).count();
        digits.drain(..lead);
        exp -= lead as i32;
        while digits.last() == Some(&0) {
            digits.pop();
        }
        if digits.is_empty() {
            return Ok(Number::zero());
        }
        if exp > EXP_MAX {
            return Err(NumberError::Overflow);
        }
        if exp < EXP_MIN {
            return Err(NumberError::Underflow);
        }
        if digits.len() > DIGITS_MAX {
            return Err(NumberError::Precision);
        }
        Ok(Number { negative, digits, exp })
    }

    /// Parses DynamoDB's number text: `[+-]digits[.digits][(e|E)[+-]digits]`.
    pub fn parse(s: &str) -> Result<Number, NumberError> {
        if s.is_empty() || s.len() > TEXT_LEN_MAX {
            return Err(NumberError::Invalid);
        }
        let b = s.as_bytes();
        let mut i = 0;
        let mut negative = false;
        if let Some(&c) = b.first() {
            if c == b'+' || c == b'-' {
                negative = c == b'-';
                i = 1;
            }
        }
        let mut digits = Vec::new();
        let mut int_digits: i64 = 0;
        let mut seen_digit = false;
        let mut seen_point = false;
        while let Some(&c) = b.get(i) {
            match c {
                b'0'..=b'9' => {
                    digits.push(c - b'0');
                    seen_digit = true;
                    if !seen_point {
                        int_digits += 1;
                    }
                }
                b'.' if !seen_point => seen_point = true,
                _ => break,
            }
            i += 1;
        }
        if !seen_digit {
            return Err(NumberError::Invalid);
        }
        let mut exp10: i64 = 0;
        if let Some(&c) = b.get(i) {
            if c != b'e' && c != b'E' {
                return Err(NumberError::Invalid);
            }
            i += 1;
            let mut neg_exp = false;
            if let Some(&s) = b.get(i) {
                if s == b'+' || s == b'-' {
                    neg_exp = s == b'-';
                    i += 1;
                }
            }
            let start = i;
            while let Some(&c) = b.get(i) {
                if !c.is_ascii_digit() {
                    return Err(NumberError::Invalid);
                }
                // Saturate: anything this large over/underflows anyway.
                exp10 = (exp10 * 10 + i64::from(c - b'0')).min(1 << 40);
                i += 1;
            }
            if i == start {
                return Err(NumberError::Invalid);
            }
            if neg_exp {
                exp10 = -exp10;
            }
        }
        let exp =
            (int_digits + exp10).clamp(i64::from(i32::MIN / 2), i64::from(i32::MAX / 2)) as i32;
        Number::normalized(negative, digits, exp)
    }

    /// The plain decimal text DynamoDB answers with.
    pub fn to_text(&self) -> String {
        if self.is_zero() {
            return "0".to_string();
        }
        let mut s = String::with_capacity(self.digits.len() + 8);
        if self.negative {
            s.push('-');
        }
        let n = self.digits.len() as i32;
        let digit = |d: &u8| char::from(b'0' + d);
        if self.exp <= 0 {
            s.push_str("0.");
            for _ in 0..-self.exp {
                s.push('0');
            }
            s.extend(self.digits.iter().map(digit));
        } else if self.exp >= n {
            s.extend(self.digits.iter().map(digit));
            for _ in 0..self.exp - n {
                s.push('0');
            }
        } else {
            let (int, frac) = self.digits.split_at(self.exp as usize);
            s.extend(int.iter().map(digit));
            s.push('.');
            s.extend(frac.iter().map(digit));
        }
        s
    }

    fn cmp_magnitude(&self, other: &Number) -> Ordering {
        match (self.is_zero(), other.is_zero()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Less,
            (false, true) => Ordering::Greater,
            (false, false) => self.exp.cmp(&other.exp).then_with(|| self.digits.cmp(&other.digits)),
        }
    }

    /// The digits of `self` aligned so that position 0 has weight 10^(top-1), over `len`
    /// positions.
    fn aligned(&self, top: i32, len: usize) -> Vec<u8> {
        let mut v = vec![0u8; len];
        let shift = (top - self.exp) as usize;
        for (i, d) in self.digits.iter().enumerate() {
            if let Some(slot) = v.get_mut(shift + i) {
                *slot = *d;
            }
        }
        v
    }

    /// `self + other`, exactly; errors when the result needs more than 38 digits or leaves the
    /// range.
    pub fn add(&self, other: &Number) -> Result<Number, NumberError> {
        if self.is_zero() {
            return Ok(other.clone());
        }
        if other.is_zero() {
            return Ok(self.clone());
        }
        // Align both on a common grid: from the highest exponent (plus a carry digit) down to
        // the lowest digit of either.
        let top = self.exp.max(other.exp) + 1;
        let low = (self.exp - self.digits.len() as i32).min(other.exp - other.digits.len() as i32);
        let len = (top - low) as usize;
        if len > 400 {
            // The operands are too far apart for the sum to keep 38 significant digits.
            return Err(NumberError::Overflow);
        }
        let a = self.aligned(top, len);
        let b = other.aligned(top, len);
        let (negative, digits) = if self.negative == other.negative {
            let mut out = vec![0u8; len];
            let mut carry = 0;
            for i in (0..len).rev() {
                let s = a.get(i).copied().unwrap_or(0) + b.get(i).copied().unwrap_or(0) + carry;
                if let Some(o) = out.get_mut(i) {
                    *o = s % 10;
                }
                carry = s / 10;
            }
            (self.negative, out)
        } else {
            // Subtract the smaller magnitude from the larger; the sign is the larger's.
            let (big, small, negative) = match self.cmp_magnitude(other) {
                Ordering::Less => (&b, &a, other.negative),
                _ => (&a, &b, self.negative),
            };
            let mut out = vec![0u8; len];
            let mut borrow = 0i8;
            for i in (0..len).rev() {
                let mut d = big.get(i).copied().unwrap_or(0) as i8
                    - small.get(i).copied().unwrap_or(0) as i8
                    - borrow;
                borrow = 0;
                if d < 0 {
                    d += 10;
                    borrow = 1;
                }
                if let Some(o) = out.get_mut(i) {
                    *o = d as u8;
                }
            }
            (negative, out)
        };
        // DynamoDB words a result that needs more than 38 digits as an overflow.
        Number::normalized(negative, digits, top).map_err(|e| match e {
            NumberError::Precision => NumberError::Overflow,
            e => e,
        })
    }

    /// `-self`.
    pub fn negate(&self) -> Number {
        Number { negative: !self.negative && !self.is_zero(), ..self.clone() }
    }

    /// `self - other`.
    pub fn sub(&self, other: &Number) -> Result<Number, NumberError> {
        self.add(&other.negate())
    }

    /// The order-preserving encoding (see the module docs).
    pub fn key_bytes(&self) -> Vec<u8> {
        if self.is_zero() {
            return vec![0x80];
        }
        let mut tail = Vec::with_capacity(self.digits.len() + 3);
        tail.extend_from_slice(&((self.exp + EXP_BIAS) as u16).to_be_bytes());
        tail.extend(self.digits.iter().map(|d| d + 1));
        tail.push(0);
        let mut out = Vec::with_capacity(tail.len() + 1);
        if self.negative {
            out.push(0x7f);
            out.extend(tail.iter().map(|b| !b));
        } else {
            out.push(0x81);
            out.extend(tail);
        }
        out
    }
}

impl PartialOrd for Number {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Number {
    fn cmp(&self, other: &Self) -> Ordering {
        let sign = |n: &Number| {
            if n.is_zero() {
                0
            } else if n.negative {
                -1
            } else {
                1
            }
        };
        match sign(self).cmp(&sign(other)) {
            Ordering::Equal if self.negative => other.cmp_magnitude(self),
            Ordering::Equal => self.cmp_magnitude(other),
            o => o,
        }
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_text())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Number {
        Number::parse(s).unwrap()
    }

    #[test]
    fn parses_and_normalizes_like_dynamodb() {
        for (input, out) in [
            ("0", "0"),
            ("-0", "0"),
            ("0.000", "0"),
            ("1.50", "1.5"),
            ("+7", "7"),
            ("1E2", "100"),
            ("1e-2", "0.01"),
            ("-12.3400e1", "-123.4"),
            ("000123", "123"),
            (".5", "0.5"),
            ("5.", "5"),
            ("123456789012345678901234567890.12345678", "123456789012345678901234567890.12345678"),
            ("1E-130", &format!("0.{}1", "0".repeat(129))),
        ] {
            assert_eq!(n(input).to_text(), out, "{input}");
        }
        assert_eq!(n("9.9999999999999999999999999999999999999E+125").to_text().len(), 126);
    }

    #[test]
    fn rejects_what_dynamodb_rejects() {
        for bad in
            ["", "abc", "1.2.3", "--1", "1e", "e5", "1 ", " 1", "0x10", "NaN", "Infinity", "."]
        {
            assert_eq!(Number::parse(bad), Err(NumberError::Invalid), "{bad:?}");
        }
        assert_eq!(Number::parse(&"1".repeat(39)), Err(NumberError::Precision));
        assert!(
            Number::parse(&format!("{}000", "1".repeat(38))).is_ok(),
            "trailing zeros are not precision"
        );
        assert_eq!(Number::parse("1E126"), Err(NumberError::Overflow));
        assert_eq!(Number::parse("1E-131"), Err(NumberError::Underflow));
        assert_eq!(Number::parse("1E999999999999999"), Err(NumberError::Overflow));
        assert_eq!(Number::parse("1E-999999999999999"), Err(NumberError::Underflow));
        assert_eq!(Number::parse("0E999999"), Ok(Number::zero()));
    }

    #[test]
    fn exact_arithmetic() {
        assert_eq!(n("0.1").add(&n("0.2")).unwrap(), n("0.3"));
        assert_eq!(n("1").sub(&n("1")).unwrap(), Number::zero());
        assert_eq!(n("-5").add(&n("3")).unwrap(), n("-2"));
        assert_eq!(n("3").sub(&n("5.5")).unwrap(), n("-2.5"));
        assert_eq!(n("99999999999999999999999999999999999999").add(&n("1")).unwrap(), n("1E38"));
        assert_eq!(
            n("1E10").add(&n("1E-10")).unwrap().to_text(),
            format!("1{}.{}1", "0".repeat(10), "0".repeat(9))
        );
        // 39 significant digits in the result: refused, and DynamoDB calls it an overflow.
        assert_eq!(n("1E38").add(&n("1")), Err(NumberError::Overflow));
        assert_eq!(
            n("9.9999999999999999999999999999999999999E+125").add(&n("1E125")),
            Err(NumberError::Overflow)
        );
        assert_eq!(n("1E100").add(&n("1E-100")), Err(NumberError::Overflow));
    }

    #[test]
    fn order_and_key_encoding_agree() {
        let mut values: Vec<Number> = [
            "-1E125", "-1000", "-100", "-99.5", "-1.23", "-1.2", "-1", "-0.5", "-1E-130", "0",
            "1E-130", "0.12", "0.123", "0.5", "1", "1.2", "1.23", "9", "10", "99.5", "100",
            "1E125",
        ]
        .iter()
        .map(|s| n(s))
        .collect();
        let sorted = values.clone();
        values.reverse();
        values.sort();
        assert_eq!(values, sorted, "Ord");
        let mut by_key = sorted.clone();
        by_key.reverse();
        by_key.sort_by_key(|v| v.key_bytes());
        assert_eq!(by_key, sorted, "key bytes");
        assert_eq!(n("1.50").key_bytes(), n("1.5").key_bytes());
    }
}
