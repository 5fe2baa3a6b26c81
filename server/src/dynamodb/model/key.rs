//! Order-preserving encoding of table keys into engine keys. The encoding, with worked
//! examples (checked by `tests::worked_example`), is specified once, in
//! `docs/format/dynamodb.md` ("Item keys"), included atop [`super::item_codec`].
//!
//! The escaping makes the partition component prefix-free, so every item of a partition sits in
//! one contiguous engine range ([`partition_prefix`]) sorted by its sort key, which is what Query
//! walks. A number partition key is encoded by its normalized form, so `1.0` and `1` are one key.

use crate::dynamodb::limits::{PARTITION_KEY_LEN_MAX, SORT_KEY_LEN_MAX};
use crate::dynamodb::model::value::{AttrValue, Invalid};

fn key_bytes(v: &AttrValue) -> Result<(u8, Vec<u8>), Invalid> {
    match v {
        AttrValue::S(s) => Ok((b'S', s.as_bytes().to_vec())),
        AttrValue::B(b) => Ok((b'B', b.clone())),
        AttrValue::N(n) => Ok((b'N', n.key_bytes())),
        other => Err(Invalid(format!(
            "One or more parameter values were invalid: Key attributes must be scalars of type S, N or B, not {}",
            other.type_name()
        ))),
    }
}

fn check_len(v: &AttrValue, max: usize, which: &str) -> Result<(), Invalid> {
    let len = match v {
        AttrValue::S(s) => s.len(),
        AttrValue::B(b) => b.len(),
        _ => 0,
    };
    if matches!(v, AttrValue::S(_) | AttrValue::B(_)) && len == 0 {
        return Err(Invalid(format!(
            "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty {} value.",
            if matches!(v, AttrValue::S(_)) { "string" } else { "binary" }
        )));
    }
    if len > max {
        return Err(Invalid(format!(
            "One or more parameter values were invalid: Size of {which} key exceeded the maximum allowed {max} bytes"
        )));
    }
    Ok(())
}

/// The engine-key prefix shared by every item of the partition `pk`.
pub fn partition_prefix(pk: &AttrValue) -> Result<Vec<u8>, Invalid> {
    check_len(pk, PARTITION_KEY_LEN_MAX, "hashkey")?;
    let (tag, bytes) = key_bytes(pk)?;
    let mut out = Vec::new();
    escaped(Some(tag), &bytes, &mut out);
    out.extend_from_slice(&COMPONENT_END);
    Ok(out)
}

/// The sort component alone (appended to the partition prefix).
pub fn sort_component(sk: &AttrValue) -> Result<Vec<u8>, Invalid> {
    check_len(sk, SORT_KEY_LEN_MAX, "range")?;
    Ok(key_bytes(sk)?.1)
}

/// The engine key of the item whose key attributes are `pk` (and `sk`).
pub fn encode(pk: &AttrValue, sk: Option<&AttrValue>) -> Result<Vec<u8>, Invalid> {
    let mut k = partition_prefix(pk)?;
    if let Some(sk) = sk {
        k.extend(sort_component(sk)?);
    }
    Ok(k)
}

/// The end of a prefix-free component (partition, or an index's sort key).
const COMPONENT_END: [u8; 2] = [0x00, 0x01];

fn escaped(tag: Option<u8>, bytes: &[u8], out: &mut Vec<u8>) {
    out.reserve(bytes.len() + 3);
    out.extend(tag);
    for &b in bytes {
        out.push(b);
        if b == 0 {
            out.push(0xff);
        }
    }
}

/// An index's sort component: the value's bytes escaped and ended like a partition component
/// (it is followed by the table key, so it must be prefix-free), without the tag (the index's
/// sort key has one declared type).
pub fn index_sort_component(sk: &AttrValue) -> Result<Vec<u8>, Invalid> {
    check_len(sk, SORT_KEY_LEN_MAX, "range")?;
    let mut out = Vec::new();
    escaped(None, &key_bytes(sk)?.1, &mut out);
    out.extend_from_slice(&COMPONENT_END);
    Ok(out)
}

/// The prefix shared by the index sort components of every value starting with `sk`
/// (`begins_with`): its escaped bytes, unterminated.
pub fn index_sort_prefix(sk: &AttrValue) -> Result<Vec<u8>, Invalid> {
    check_len(sk, SORT_KEY_LEN_MAX, "range")?;
    let mut out = Vec::new();
    escaped(None, &key_bytes(sk)?.1, &mut out);
    Ok(out)
}

/// The engine key of an index entry: the index's partition component, its sort component
/// ([`index_sort_component`], when the index has a sort key), then the item's engine key in
/// the table. Entries sort by index key, then by table key; the entries of one index
/// partition, and of one index sort key value within it, are prefix ranges.
pub fn index_entry(
    pk: &AttrValue,
    sk: Option<&AttrValue>,
    table_key: &[u8],
) -> Result<Vec<u8>, Invalid> {
    let mut k = partition_prefix(pk)?;
    if let Some(sk) = sk {
        k.extend(index_sort_component(sk)?);
    }
    k.extend_from_slice(table_key);
    Ok(k)
}

/// The position of a key's partition in the key space, for parallel Scan: the first 8 bytes of
/// its escaped partition component (after the tag, before the end marker), zero-padded, as a
/// big-endian number. It never decreases in key order, and every key of a partition has the
/// same one.
pub fn partition_position(key: &[u8]) -> u64 {
    let end = partition_len(key).saturating_sub(2).max(1);
    let mut b = [0u8; 8];
    for (dst, src) in b.iter_mut().zip(key.get(1..end).unwrap_or(&[])) {
        *dst = *src;
    }
    u64::from_be_bytes(b)
}

/// The first key that can hold a partition at `position` or later, given the partition key's
/// type tag: every key whose [`partition_position`] is at least `position` sorts at or after
/// it (a few keys after it may have smaller positions; a walk skips them).
pub fn position_lower_bound(tag: u8, position: u64) -> Vec<u8> {
    let mut k = vec![tag];
    k.extend_from_slice(&position.to_be_bytes());
    k
}

/// The type tag of partition keys of type `ty` (`S`, `N` or `B`).
pub fn tag_of(ty: &str) -> u8 {
    ty.bytes().next().unwrap_or(b'S')
}

/// Length of the partition component at the start of an engine key.
pub fn partition_len(key: &[u8]) -> usize {
    let mut i = 1;
    while i < key.len() {
        match (key.get(i), key.get(i + 1)) {
            (Some(0), Some(0x01)) => return i + 2,
            (Some(0), _) => i += 2,
            _ => i += 1,
        }
    }
    key.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dynamodb::model::number::Number;

    fn s(x: &str) -> AttrValue {
        AttrValue::S(x.into())
    }
    fn n(x: &str) -> AttrValue {
        AttrValue::N(Number::parse(x).unwrap())
    }

    #[test]
    fn a_partition_is_contiguous_and_sorted_by_sort_key() {
        let mut keys = Vec::new();
        for pk in [s("a"), s("a\0"), s("ab"), AttrValue::B(vec![0, 0]), n("1")] {
            for sk in ["-10", "-1.5", "0", "2", "10", "1E20"] {
                keys.push((
                    pk.clone(),
                    Number::parse(sk).unwrap(),
                    encode(&pk, Some(&n(sk))).unwrap(),
                ));
            }
        }
        let mut sorted = keys.clone();
        sorted.sort_by(|a, b| a.2.cmp(&b.2));
        for w in sorted.windows(2) {
            let (a, b) = (&w[0], &w[1]);
            if a.0 == b.0 {
                assert!(a.1 < b.1, "sort keys out of order: {:?} {:?}", a.1, b.1);
            }
        }
        // Each partition's items lie under its prefix and nowhere else.
        for (pk, _, key) in &keys {
            let p = partition_prefix(pk).unwrap();
            for (other, _, k) in &keys {
                assert_eq!(k.starts_with(&p), other == pk, "{pk:?} vs {other:?}");
            }
            assert!(key.starts_with(&p));
        }
        assert_eq!(encode(&n("1.0"), None).unwrap(), encode(&n("1"), None).unwrap());
    }

    #[test]
    fn partition_positions_follow_key_order() {
        let mut keys: Vec<Vec<u8>> =
            ["", "a", "a\0", "a\0\x01", "ab", "abcdefghij", "abcdefgh", "b", "\u{7f}"]
                .iter()
                .skip(1)
                .flat_map(|p| {
                    ["", "x", "\0"].map(|sk| encode(&s(p), Some(&s(sk))).unwrap_or_default())
                })
                .filter(|k| !k.is_empty())
                .collect();
        keys.sort();
        for w in keys.windows(2) {
            assert!(partition_position(&w[0]) <= partition_position(&w[1]), "{w:?}");
        }
        // Every key of a partition has one position, and the lower bound of its position is not
        // after it.
        let a1 = encode(&s("a"), Some(&s("x"))).unwrap();
        let a2 = encode(&s("a"), Some(&s("\u{ff}\u{ff}"))).unwrap();
        assert_eq!(partition_position(&a1), partition_position(&a2));
        for k in &keys {
            assert!(position_lower_bound(b'S', partition_position(k)) <= *k);
        }
    }

    #[test]
    fn partition_length() {
        for pk in [s("a"), s("a\0b"), AttributeValueB(), n("-1.5")] {
            let p = partition_prefix(&pk).unwrap();
            let k = encode(&pk, Some(&s("x\0\x01"))).unwrap();
            assert_eq!(partition_len(&k), p.len(), "{pk:?}");
        }
    }

    #[allow(non_snake_case)]
    fn AttributeValueB() -> AttrValue {
        AttrValue::B(vec![0, 1, 0, 0xff])
    }

    /// The worked example of `docs/format/dynamodb.md`.
    #[test]
    fn worked_example() {
        let hex = |b: Vec<u8>| -> String {
            b.iter().map(|x| format!("{x:02x} ")).collect::<String>().trim_end().to_string()
        };
        assert_eq!(hex(encode(&s("a"), Some(&n("1.5"))).unwrap()), "53 61 00 01 81 03 e9 02 06 00");
        assert_eq!(
            hex(encode(&s("a"), Some(&n("-1.5"))).unwrap()),
            "53 61 00 01 7f fc 16 fd f9 ff"
        );
        assert_eq!(hex(encode(&AttrValue::B(vec![0, 7]), None).unwrap()), "42 00 ff 07 00 01");
    }

    #[test]
    fn index_entries_sort_by_index_key_then_table_key() {
        // (index pk, index sk, table key): sorted entries follow (pk, sk, table key) order,
        // whatever bytes the sort keys hold (zeros, prefixes of one another).
        let sks = ["", "\0", "\0\0", "\0\x01", "a", "a\0", "a\0b", "ab", "b"];
        let mut entries = Vec::new();
        for pk in ["p", "q"] {
            for (i, sk) in sks.iter().enumerate().skip(1) {
                for tk in [&b"\x00"[..], b"\x01\x00", b"\xff"] {
                    let e = index_entry(&s(pk), Some(&s(sk)), tk).unwrap();
                    entries.push(((pk, i, tk), e));
                }
            }
        }
        let mut sorted = entries.clone();
        sorted.sort_by(|a, b| a.1.cmp(&b.1));
        let order: Vec<_> = sorted.iter().map(|e| e.0).collect();
        let mut want: Vec<_> = entries.iter().map(|e| e.0).collect();
        want.sort();
        assert_eq!(order, want);
        // One sort key value's entries are the prefix range of (partition, sort component).
        let mut p = partition_prefix(&s("p")).unwrap();
        p.extend(index_sort_component(&s("a")).unwrap());
        let under: Vec<_> =
            entries.iter().filter(|e| e.1.starts_with(&p)).map(|e| e.0 .1).collect();
        assert_eq!(under, [4, 4, 4]);
        assert_eq!(
            index_entry(&n("7"), None, b"tk").unwrap(),
            [encode(&n("7"), None).unwrap(), b"tk".to_vec()].concat()
        );
    }

    /// The index entry example of `docs/format/dynamodb.md`.
    #[test]
    fn index_worked_example() {
        let hex = |b: Vec<u8>| -> String {
            b.iter().map(|x| format!("{x:02x} ")).collect::<String>().trim_end().to_string()
        };
        let table_key = encode(&s("a"), None).unwrap();
        assert_eq!(
            hex(index_entry(&s("o"), Some(&n("1.5")), &table_key).unwrap()),
            "53 6f 00 01 81 03 e9 02 06 00 ff 00 01 53 61 00 01"
        );
    }

    #[test]
    fn string_sort_keys_sort_bytewise() {
        let pk = s("p");
        let a = encode(&pk, Some(&s("B"))).unwrap();
        let b = encode(&pk, Some(&s("a"))).unwrap();
        let c = encode(&pk, Some(&s("ab"))).unwrap();
        assert!(a < b && b < c);
    }

    #[test]
    fn limits_and_types() {
        assert!(encode(&s(""), None).unwrap_err().0.contains("empty string"));
        assert!(encode(&s(&"x".repeat(2049)), None).unwrap_err().0.contains("2048"));
        assert!(encode(&s("p"), Some(&s(&"x".repeat(1025)))).unwrap_err().0.contains("1024"));
        assert!(encode(&AttrValue::Bool(true), None).unwrap_err().0.contains("scalars"));
    }
}
