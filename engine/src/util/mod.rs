//! Small helpers shared by the codecs: integer coding and checksums.

pub mod coding;
pub mod crc;
pub mod hash;
pub mod histogram;
pub mod rand;
