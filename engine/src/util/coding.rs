//! Integer and slice coding shared by every codec.
//!
//! * fixed-width integers are little-endian;
//! * varints are LEB128 (7 bits a byte, low groups first, high bit = "more"): a `u32` takes at most
//!   5 bytes, a `u64` at most [`VARINT64_LEN_MAX`];
//! * a length-prefixed slice is a varint32 length followed by that many bytes.
//!
//! Decoding goes through [`Decoder`], which never panics and never allocates: every read is
//! bounds-checked and a short or malformed input is a [`Error::Corruption`].

use crate::error::{Error, Result};

/// Most bytes a varint-encoded `u64` takes.
pub const VARINT64_LEN_MAX: usize = 10;

/// Appends `v` as a varint.
pub fn put_varint64(dst: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        dst.push((v as u8) | 0x80);
        v >>= 7;
    }
    dst.push(v as u8);
}

/// Appends `v` as a varint.
pub fn put_varint32(dst: &mut Vec<u8>, v: u32) {
    put_varint64(dst, u64::from(v));
}

/// Appends a varint32 length and then `s`. `s` must be shorter than 4 GiB (callers bound it).
pub fn put_length_prefixed(dst: &mut Vec<u8>, s: &[u8]) {
    put_varint64(dst, s.len() as u64);
    dst.extend_from_slice(s);
}

/// A bounds-checked cursor over bytes that came from disk or the network.
#[derive(Debug, Clone)]
pub struct Decoder<'a> {
    buf: &'a [u8],
    what: &'static str,
}

impl<'a> Decoder<'a> {
    /// A decoder over `buf`; `what` names the structure in error messages.
    pub fn new(buf: &'a [u8], what: &'static str) -> Self {
        Decoder { buf, what }
    }

    /// Bytes not yet consumed.
    pub fn remaining(&self) -> &'a [u8] {
        self.buf
    }

    /// True when every byte has been consumed.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    fn short(&self, need: &str) -> Error {
        Error::corruption(format!("{}: truncated while reading {need}", self.what))
    }

    /// Takes the next `n` bytes.
    pub fn bytes(&mut self, n: usize) -> Result<&'a [u8]> {
        if n > self.buf.len() {
            return Err(self.short("bytes"));
        }
        let (head, tail) = self.buf.split_at(n);
        self.buf = tail;
        Ok(head)
    }

    /// Takes one byte.
    pub fn u8(&mut self) -> Result<u8> {
        let (&b, tail) = self.buf.split_first().ok_or_else(|| self.short("u8"))?;
        self.buf = tail;
        Ok(b)
    }

    /// Takes a little-endian `u32`.
    pub fn fixed32(&mut self) -> Result<u32> {
        let b = self.bytes(4)?;
        let arr: [u8; 4] = b.try_into().map_err(|_| self.short("fixed32"))?;
        Ok(u32::from_le_bytes(arr))
    }

    /// Takes a little-endian `u64`.
    pub fn fixed64(&mut self) -> Result<u64> {
        let b = self.bytes(8)?;
        let arr: [u8; 8] = b.try_into().map_err(|_| self.short("fixed64"))?;
        Ok(u64::from_le_bytes(arr))
    }

    /// Takes a varint of at most 64 bits.
    pub fn varint64(&mut self) -> Result<u64> {
        let mut v: u64 = 0;
        for i in 0..VARINT64_LEN_MAX {
            let b = self.u8()?;
            let shift = 7 * i as u32;
            let low = u64::from(b & 0x7f);
            if i == VARINT64_LEN_MAX - 1 && b > 1 {
                break; // would overflow 64 bits
            }
            v |= low << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(Error::corruption(format!("{}: malformed varint", self.what)))
    }

    /// Takes a varint that must fit 32 bits.
    pub fn varint32(&mut self) -> Result<u32> {
        let v = self.varint64()?;
        u32::try_from(v).map_err(|_| Error::corruption(format!("{}: varint32 overflow", self.what)))
    }

    /// Takes a length-prefixed slice whose length must not exceed `len_max`.
    pub fn length_prefixed(&mut self, len_max: usize) -> Result<&'a [u8]> {
        let len = self.varint64()?;
        if len > len_max as u64 {
            return Err(Error::corruption(format!(
                "{}: length {len} exceeds bound {len_max}",
                self.what
            )));
        }
        // `len <= len_max` fits usize.
        self.bytes(len as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varint_round_trip() {
        let vals = [0u64, 1, 127, 128, 300, 16383, 16384, u32::MAX as u64, u64::MAX - 1, u64::MAX];
        let mut buf = Vec::new();
        for &v in &vals {
            put_varint64(&mut buf, v);
        }
        let mut d = Decoder::new(&buf, "test");
        for &v in &vals {
            assert_eq!(d.varint64().unwrap(), v);
        }
        assert!(d.is_empty());
    }

    #[test]
    fn varint_rejects_overlong_and_truncated() {
        let over = [0xffu8; 11];
        assert!(Decoder::new(&over, "t").varint64().unwrap_err().is_corruption());
        let mut ten = vec![0xffu8; 9];
        ten.push(0x02); // bit 64 set
        assert!(Decoder::new(&ten, "t").varint64().is_err());
        assert!(Decoder::new(&[0x80], "t").varint64().is_err());
        let mut b = Vec::new();
        put_varint64(&mut b, u64::from(u32::MAX) + 1);
        assert!(Decoder::new(&b, "t").varint32().is_err());
    }

    #[test]
    fn fixed_and_prefixed() {
        let mut b = Vec::new();
        b.extend_from_slice(&0xdead_beef_u32.to_le_bytes());
        b.extend_from_slice(&42u64.to_le_bytes());
        put_length_prefixed(&mut b, b"hello");
        let mut d = Decoder::new(&b, "t");
        assert_eq!(d.fixed32().unwrap(), 0xdead_beef);
        assert_eq!(d.fixed64().unwrap(), 42);
        assert!(d.clone().length_prefixed(4).is_err());
        assert_eq!(d.length_prefixed(5).unwrap(), b"hello");
        assert!(d.u8().is_err());
    }
}
