//! The bounds-checked byte reader and the varint coding the server's codecs share (the kv
//! protocol's frames, the stored item form). Every read checks the bytes left first, so a
//! length read from the input never allocates or slices past it; each codec maps [`Short`]
//! and [`VarintError`] to its own error.

/// The input ended before the value did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Short;

/// Why a varint did not decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VarintError {
    /// The input ended inside it.
    Truncated,
    /// More than 10 bytes (past 64 bits).
    TooLong,
}

/// Longest varint of a `u64`.
pub const VARINT_LEN_MAX: usize = 10;

/// Appends `v` as a little-endian base-128 varint (7 bits a byte, high bit set on all but the
/// last).
pub fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8 & 0x7f) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// A reader over a byte slice.
#[derive(Debug, Clone, Copy)]
pub struct ByteReader<'a> {
    b: &'a [u8],
}

impl<'a> ByteReader<'a> {
    /// A reader at the start of `b`.
    pub fn new(b: &'a [u8]) -> ByteReader<'a> {
        ByteReader { b }
    }

    /// The bytes not read yet.
    pub fn rest(&self) -> &'a [u8] {
        self.b
    }

    /// How many bytes are left.
    pub fn remaining(&self) -> usize {
        self.b.len()
    }

    /// The next `n` bytes.
    pub fn take(&mut self, n: usize) -> Result<&'a [u8], Short> {
        let (head, rest) = self.b.split_at_checked(n).ok_or(Short)?;
        self.b = rest;
        Ok(head)
    }

    /// The next `N` bytes as an array.
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N], Short> {
        self.take(N)?.try_into().map_err(|_| Short)
    }

    /// One byte.
    pub fn u8(&mut self) -> Result<u8, Short> {
        let (&x, rest) = self.b.split_first().ok_or(Short)?;
        self.b = rest;
        Ok(x)
    }

    /// A little-endian `u16`.
    pub fn u16_le(&mut self) -> Result<u16, Short> {
        self.array().map(u16::from_le_bytes)
    }

    /// A little-endian `u32`.
    pub fn u32_le(&mut self) -> Result<u32, Short> {
        self.array().map(u32::from_le_bytes)
    }

    /// A varint (see [`put_varint`]).
    pub fn varint(&mut self) -> Result<u64, VarintError> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = self.u8().map_err(|_| VarintError::Truncated)?;
            v |= u64::from(byte & 0x7f) << shift;
            if byte < 0x80 {
                return Ok(v);
            }
        }
        Err(VarintError::TooLong)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_round_trip_with_their_worked_bytes() {
        let mut out = Vec::new();
        put_varint(&mut out, 300);
        assert_eq!(out, vec![0xac, 0x02], "300 = 0b10_0101100: low 7 bits first");
        for v in [0, 1, 127, 128, 16_383, 16_384, u64::from(u32::MAX), u64::MAX] {
            let mut out = Vec::new();
            put_varint(&mut out, v);
            assert!(out.len() <= VARINT_LEN_MAX);
            let mut r = ByteReader::new(&out);
            assert_eq!(r.varint(), Ok(v));
            assert_eq!(r.remaining(), 0);
        }
        assert_eq!(ByteReader::new(&[0x80]).varint(), Err(VarintError::Truncated));
        assert_eq!(ByteReader::new(&[0xff; 11]).varint(), Err(VarintError::TooLong));
    }

    #[test]
    fn reads_are_bounded() {
        let mut r = ByteReader::new(&[1, 2, 0, 3, 0, 0, 0, 9]);
        assert_eq!(r.u8(), Ok(1));
        assert_eq!(r.u16_le(), Ok(2));
        assert_eq!(r.u32_le(), Ok(3));
        assert_eq!(r.take(2), Err(Short));
        assert_eq!(r.rest(), &[9]);
        assert_eq!(r.take(1), Ok(&[9][..]));
        assert_eq!(r.u8(), Err(Short));
    }
}
