//! Random identifiers and secrets, shaped as AWS shapes them:
//!
//! | what | form | example |
//! |---|---|---|
//! | access key id | `AKIA` + 16 of `A-Z2-7` (temporary: `ASIA`) | `AKIAIOSFODNN7EXAMPLE` |
//! | secret access key | 40 of `A-Za-z0-9+/` | `wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY` |
//! | user, role, group, policy id | `AIDA` / `AROA` / `AGPA` / `ANPA` + 17 of `A-Z2-7` | `AIDACKCEVSQ6C2EXAMPLE` |
//! | session token | 200 of `A-Za-z0-9+/` | |
//!
//! Every one comes from the operating system's random source (`getrandom`).

/// Characters of ids (base32's alphabet, as AWS's ids use).
const ID_ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
/// Characters of secrets and session tokens.
const SECRET_ALPHABET: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Length of a secret access key.
pub const SECRET_LEN: usize = 40;
/// Length of a session token.
pub const SESSION_TOKEN_LEN: usize = 200;

/// Random bytes from the operating system. Its failure (no entropy source) is not something
/// the server can go on without.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], String> {
    let mut b = [0u8; N];
    getrandom::getrandom(&mut b).map_err(|e| format!("the random source failed: {e}"))?;
    Ok(b)
}

fn random_string(alphabet: &[u8], len: usize) -> Result<String, String> {
    debug_assert!(alphabet.len().is_power_of_two() && alphabet.len() <= 256);
    let mask = alphabet.len() - 1;
    let mut out = String::with_capacity(len);
    let mut left = 0;
    let mut pool = [0u8; 64];
    let mut at = 0;
    while out.len() < len {
        if left == 0 {
            pool = random_bytes::<64>()?;
            left = pool.len();
            at = 0;
        }
        let b = pool.get(at).copied().unwrap_or(0);
        at += 1;
        left -= 1;
        // The alphabet's size is a power of two: masking keeps the draw uniform.
        out.push(char::from(alphabet.get(usize::from(b) & mask).copied().unwrap_or(b'A')));
    }
    Ok(out)
}

/// `prefix` followed by `n` random id characters.
pub fn id(prefix: &str, n: usize) -> Result<String, String> {
    Ok(format!("{prefix}{}", random_string(ID_ALPHABET, n)?))
}

/// A long-term access key id (`AKIA…`).
pub fn access_key_id() -> Result<String, String> {
    id("AKIA", 16)
}

/// A temporary access key id (`ASIA…`).
pub fn temporary_access_key_id() -> Result<String, String> {
    id("ASIA", 16)
}

/// A secret access key.
pub fn secret_access_key() -> Result<String, String> {
    random_string(SECRET_ALPHABET, SECRET_LEN)
}

/// A session token.
pub fn session_token() -> Result<String, String> {
    random_string(SECRET_ALPHABET, SESSION_TOKEN_LEN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let k = access_key_id().unwrap();
        assert_eq!(k.len(), 20);
        assert!(k.starts_with("AKIA"));
        assert!(k.bytes().all(|b| ID_ALPHABET.contains(&b)));
        assert!(temporary_access_key_id().unwrap().starts_with("ASIA"));
        let s = secret_access_key().unwrap();
        assert_eq!(s.len(), SECRET_LEN);
        assert!(s.bytes().all(|b| SECRET_ALPHABET.contains(&b)));
        assert_eq!(session_token().unwrap().len(), SESSION_TOKEN_LEN);
        assert_ne!(secret_access_key().unwrap(), secret_access_key().unwrap());
        assert_eq!(id("AIDA", 17).unwrap().len(), 21);
    }
}
