//! Keys and values on the command line: UTF-8 text, or hex written `0x…`.

/// Parses a key or value argument: `0x…` is hex, anything else is UTF-8 text.
pub fn parse_bytes(s: &str) -> Result<Vec<u8>, String> {
    let Some(hex) = s.strip_prefix("0x") else { return Ok(s.as_bytes().to_vec()) };
    if hex.len() % 2 != 0 {
        return Err(format!("hex argument {s:?} has an odd number of digits"));
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| {
            hex.get(i..i + 2)
                .and_then(|d| u8::from_str_radix(d, 16).ok())
                .ok_or_else(|| format!("hex argument {s:?} has a non-hex digit"))
        })
        .collect()
}

/// Formats bytes as text when printable UTF-8 (no control characters, not starting with `0x`),
/// else as `0x…` hex — so that output can be pasted back as an argument.
pub fn show(b: &[u8]) -> String {
    match std::str::from_utf8(b) {
        Ok(s) if !s.starts_with("0x") && s.chars().all(|c| !c.is_control()) => s.to_owned(),
        _ => {
            let mut out = String::from("0x");
            for x in b {
                out.push_str(&format!("{x:02x}"));
            }
            out
        }
    }
}

/// Formats an encoded internal key as `key @seq kind`.
pub fn show_internal(ikey: &[u8]) -> String {
    match shale_engine::key::split_internal(ikey) {
        Some((k, t)) => {
            let kind =
                match shale_engine::key::ValueKind::from_u8(shale_engine::key::trailer_kind(t)) {
                    Some(shale_engine::key::ValueKind::Put) => "put",
                    Some(shale_engine::key::ValueKind::Delete) => "del",
                    Some(shale_engine::key::ValueKind::Blob) => "blob",
                    None => "?",
                };
            format!("{} @{} {kind}", show(k), shale_engine::key::trailer_seq(t))
        }
        None => format!("(malformed {})", show(ikey)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_arguments() {
        assert_eq!(parse_bytes("abc").unwrap(), b"abc");
        assert_eq!(parse_bytes("0x00ff").unwrap(), vec![0, 255]);
        assert!(parse_bytes("0x0").is_err());
        assert!(parse_bytes("0xzz").is_err());
        assert_eq!(show(b"abc"), "abc");
        assert_eq!(show(&[0, 1]), "0x0001");
        assert_eq!(show(b"0xab"), "0x30786162");
        let mut ik = b"k".to_vec();
        ik.extend_from_slice(&shale_engine::key::trailer(7, 1).to_le_bytes());
        assert_eq!(show_internal(&ik), "k @7 put");
    }
}
