//! The compact binary form items are stored in (engine values), not JSON text. Decoding checks
//! every length against the bytes left before allocating, bounds nesting at
//! `ATTRIBUTE_NESTING_MAX + 1`, and re-validates numbers and UTF-8: stored bytes that do not
//! decode are reported as corruption, never trusted. The engine checksums the bytes (WAL
//! records, SSTable blocks); this format adds none.
//!
//! The format, with the gateway's catalog and key encodings, is `docs/format/dynamodb.md`,
//! included below; its worked examples are checked by `tests::worked_example` here and in
//! [`super::key`]:
//!
#![doc = include_str!("../../../../docs/format/dynamodb.md")]

use crate::byte_reader::{put_varint, ByteReader, VarintError};
use crate::dynamodb::limits::ATTRIBUTE_NESTING_MAX;
use crate::dynamodb::model::number::Number;
use crate::dynamodb::model::value::{AttrValue, Item};
use std::collections::BTreeMap;

/// The first byte of every stored item: the format's version.
pub const FORMAT_VERSION: u8 = 1;

const S: u8 = 1;
const N: u8 = 2;
const B: u8 = 3;
const SS: u8 = 4;
const NS: u8 = 5;
const BS: u8 = 6;
const M: u8 = 7;
const L: u8 = 8;
const BOOL: u8 = 9;
const NULL: u8 = 10;

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    put_varint(out, b.len() as u64);
    out.extend_from_slice(b);
}

fn put_value(out: &mut Vec<u8>, v: &AttrValue) {
    match v {
        AttrValue::S(s) => {
            out.push(S);
            put_bytes(out, s.as_bytes());
        }
        AttrValue::N(n) => {
            out.push(N);
            put_bytes(out, n.to_text().as_bytes());
        }
        AttrValue::B(b) => {
            out.push(B);
            put_bytes(out, b);
        }
        AttrValue::Ss(v) => {
            out.push(SS);
            put_varint(out, v.len() as u64);
            v.iter().for_each(|s| put_bytes(out, s.as_bytes()));
        }
        AttrValue::Ns(v) => {
            out.push(NS);
            put_varint(out, v.len() as u64);
            v.iter().for_each(|n| put_bytes(out, n.to_text().as_bytes()));
        }
        AttrValue::Bs(v) => {
            out.push(BS);
            put_varint(out, v.len() as u64);
            v.iter().for_each(|b| put_bytes(out, b));
        }
        AttrValue::M(m) => {
            out.push(M);
            put_map(out, m);
        }
        AttrValue::L(l) => {
            out.push(L);
            put_varint(out, l.len() as u64);
            l.iter().for_each(|v| put_value(out, v));
        }
        AttrValue::Bool(b) => {
            out.push(BOOL);
            out.push(u8::from(*b));
        }
        AttrValue::Null => out.push(NULL),
    }
}

fn put_map(out: &mut Vec<u8>, m: &BTreeMap<String, AttrValue>) {
    put_varint(out, m.len() as u64);
    for (k, v) in m {
        put_bytes(out, k.as_bytes());
        put_value(out, v);
    }
}

/// The stored form of `item`.
pub fn encode(item: &Item) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    out.push(FORMAT_VERSION);
    put_map(&mut out, item);
    out
}

/// Why stored bytes did not decode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Corrupt(pub &'static str);

/// The item form's reads over the shared [`ByteReader`].
struct Reader<'a> {
    b: ByteReader<'a>,
}

impl<'a> Reader<'a> {
    fn u8(&mut self) -> Result<u8, Corrupt> {
        self.b.u8().map_err(|_| Corrupt("truncated"))
    }

    fn varint(&mut self) -> Result<u64, Corrupt> {
        self.b.varint().map_err(|e| match e {
            VarintError::Truncated => Corrupt("truncated"),
            VarintError::TooLong => Corrupt("varint too long"),
        })
    }

    /// A count of items each at least one byte long: never more than the bytes left.
    fn count(&mut self) -> Result<usize, Corrupt> {
        let n = self.varint()?;
        if n > self.b.remaining() as u64 {
            return Err(Corrupt("count exceeds the bytes left"));
        }
        Ok(n as usize)
    }

    fn bytes(&mut self) -> Result<&'a [u8], Corrupt> {
        let n = self.varint()?;
        let n = usize::try_from(n).map_err(|_| Corrupt("length"))?;
        self.b.take(n).map_err(|_| Corrupt("length exceeds the bytes left"))
    }

    fn string(&mut self) -> Result<String, Corrupt> {
        String::from_utf8(self.bytes()?.to_vec()).map_err(|_| Corrupt("string is not UTF-8"))
    }

    fn number(&mut self) -> Result<Number, Corrupt> {
        let text = std::str::from_utf8(self.bytes()?).map_err(|_| Corrupt("number is not text"))?;
        Number::parse(text).map_err(|_| Corrupt("invalid number"))
    }

    fn value(&mut self, depth: usize) -> Result<AttrValue, Corrupt> {
        if depth > ATTRIBUTE_NESTING_MAX + 1 {
            return Err(Corrupt("nested too deep"));
        }
        Ok(match self.u8()? {
            S => AttrValue::S(self.string()?),
            N => AttrValue::N(self.number()?),
            B => AttrValue::B(self.bytes()?.to_vec()),
            SS => {
                let n = self.count()?;
                AttrValue::Ss((0..n).map(|_| self.string()).collect::<Result<_, _>>()?)
            }
            NS => {
                let n = self.count()?;
                AttrValue::Ns((0..n).map(|_| self.number()).collect::<Result<_, _>>()?)
            }
            BS => {
                let n = self.count()?;
                AttrValue::Bs(
                    (0..n).map(|_| self.bytes().map(<[u8]>::to_vec)).collect::<Result<_, _>>()?,
                )
            }
            M => AttrValue::M(self.map(depth + 1)?),
            L => {
                let n = self.count()?;
                AttrValue::L((0..n).map(|_| self.value(depth + 1)).collect::<Result<_, _>>()?)
            }
            BOOL => match self.u8()? {
                0 => AttrValue::Bool(false),
                1 => AttrValue::Bool(true),
                _ => return Err(Corrupt("boolean")),
            },
            NULL => AttrValue::Null,
            _ => return Err(Corrupt("unknown value tag")),
        })
    }

    fn map(&mut self, depth: usize) -> Result<BTreeMap<String, AttrValue>, Corrupt> {
        let n = self.count()?;
        let mut m = BTreeMap::new();
        for _ in 0..n {
            let k = self.string()?;
            let v = self.value(depth)?;
            m.insert(k, v);
        }
        Ok(m)
    }
}

/// Decodes a stored item.
pub fn decode(b: &[u8]) -> Result<Item, Corrupt> {
    let mut r = Reader { b: ByteReader::new(b) };
    if r.u8()? != FORMAT_VERSION {
        return Err(Corrupt("unknown item format version"));
    }
    let item = r.map(0)?;
    if r.b.remaining() != 0 {
        return Err(Corrupt("trailing bytes"));
    }
    Ok(item)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dynamodb::model::value::item_from_json;
    use serde_json::json;

    fn sample() -> Item {
        item_from_json(&json!({
            "pk": {"S": "user#1"}, "n": {"N": "-12.50"}, "b": {"B": "AAE="},
            "ss": {"SS": ["x", "y"]}, "ns": {"NS": ["1", "1E10"]}, "bs": {"BS": ["AA=="]},
            "m": {"M": {"inner": {"L": [{"BOOL": true}, {"NULL": true}, {"S": ""}]}}}
        }))
        .unwrap()
    }

    /// The worked example of `docs/format/dynamodb.md`.
    #[test]
    fn worked_example() {
        let item = item_from_json(&json!({
            "pk": {"S": "a"}, "n": {"N": "-1.50"}, "ok": {"BOOL": true}
        }))
        .unwrap();
        let hex: String = encode(&item).iter().map(|b| format!("{b:02x} ")).collect();
        assert_eq!(
            hex.trim_end(),
            "01 03 01 6e 02 04 2d 31 2e 35 02 6f 6b 09 01 02 70 6b 01 01 61"
        );
        assert_eq!(decode(&encode(&item)).unwrap(), item);
        let mut bad = encode(&item);
        bad[0] = 2;
        assert_eq!(decode(&bad), Err(Corrupt("unknown item format version")));
    }

    #[test]
    fn round_trips_every_type() {
        let item = sample();
        let bytes = encode(&item);
        assert_eq!(decode(&bytes).unwrap(), item);
        assert!(
            bytes.len()
                < serde_json::to_vec(&crate::dynamodb::model::value::item_to_json(&item))
                    .unwrap()
                    .len()
                    / 2
        );
    }

    #[test]
    fn damaged_bytes_are_corruption_never_a_panic() {
        let bytes = encode(&sample());
        for cut in 0..bytes.len() {
            assert!(decode(&bytes[..cut]).is_err(), "cut {cut}");
        }
        for i in 0..bytes.len() {
            for x in [0x00, 0xff, 0x80] {
                let mut b = bytes.clone();
                b[i] = x;
                let _ = decode(&b);
            }
        }
        // A huge count is refused before anything is allocated for it.
        assert_eq!(
            decode(&[FORMAT_VERSION, 0xff, 0xff, 0xff, 0xff, 0x0f]),
            Err(Corrupt("count exceeds the bytes left"))
        );
        assert_eq!(decode(&[FORMAT_VERSION, 1, 0, 1]), Err(Corrupt("truncated")));
        assert_eq!(
            decode(&[FORMAT_VERSION, 1, 0, 0]),
            Err(Corrupt("unknown value tag")),
            "tag 0 is reserved"
        );
    }
}
