//! Key-range bounds shared by the front doors: narrowing a range to continue after a key (a
//! SCAN continuation token, a DynamoDB `ExclusiveStartKey`).

use std::ops::Bound;

/// The tighter of two lower bounds.
pub fn max_lower(a: Bound<Vec<u8>>, b: Bound<Vec<u8>>) -> Bound<Vec<u8>> {
    match (&a, &b) {
        (Bound::Unbounded, _) => b,
        (_, Bound::Unbounded) => a,
        (Bound::Included(x) | Bound::Excluded(x), Bound::Included(y) | Bound::Excluded(y)) => {
            if x > y || (x == y && matches!(a, Bound::Excluded(_))) {
                a
            } else {
                b
            }
        }
    }
}

/// The tighter of two upper bounds.
pub fn min_upper(a: Bound<Vec<u8>>, b: Bound<Vec<u8>>) -> Bound<Vec<u8>> {
    match (&a, &b) {
        (Bound::Unbounded, _) => b,
        (_, Bound::Unbounded) => a,
        (Bound::Included(x) | Bound::Excluded(x), Bound::Included(y) | Bound::Excluded(y)) => {
            if x < y || (x == y && matches!(a, Bound::Excluded(_))) {
                a
            } else {
                b
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tighter_bounds_win() {
        let inc = |k: &[u8]| Bound::Included(k.to_vec());
        let exc = |k: &[u8]| Bound::Excluded(k.to_vec());
        assert_eq!(max_lower(inc(b"a"), exc(b"b")), exc(b"b"));
        assert_eq!(max_lower(inc(b"b"), exc(b"b")), exc(b"b"));
        assert_eq!(max_lower(Bound::Unbounded, inc(b"a")), inc(b"a"));
        assert_eq!(min_upper(inc(b"c"), exc(b"b")), exc(b"b"));
        assert_eq!(min_upper(inc(b"b"), exc(b"b")), exc(b"b"));
        assert_eq!(min_upper(inc(b"a"), Bound::Unbounded), inc(b"a"));
    }
}
