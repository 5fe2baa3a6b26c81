//! Secrets at rest. A secret access key must stay recoverable (SigV4 is verified by signing
//! again with it), so it cannot be hashed: it is sealed with ChaCha20-Poly1305 under a
//! 256-bit key kept in `<data-dir>/iam-seal-key` (mode 0600, written once on first start).
//! A copy of the database without that file holds no usable secret.
//!
//! Sealed form (base64 in the store's records, `docs/format/iam.md`):
//!
//! ```text
//! nonce (12 random bytes) || ciphertext || tag (16 bytes)
//! associated data: the access key id (a sealed secret moved to another key id fails to open)
//! ```

use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use std::path::Path;

/// Bytes of the sealing key.
pub const SEAL_KEY_LEN: usize = 32;
/// Bytes of a nonce.
pub const NONCE_LEN: usize = 12;
/// Bytes of the authentication tag.
pub const TAG_LEN: usize = 16;
/// Name of the key file in the data directory.
pub const SEAL_KEY_FILE: &str = "iam-seal-key";

/// Seals and opens secrets.
pub struct Sealer {
    cipher: ChaCha20Poly1305,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(<key redacted>)")
    }
}

impl Sealer {
    /// A sealer with a fresh random key (an in-memory database: nothing outlives the process).
    pub fn ephemeral() -> Result<Sealer, String> {
        Ok(Sealer::with_key(&super::ids::random_bytes::<SEAL_KEY_LEN>()?))
    }

    /// A sealer with `key`.
    pub fn with_key(key: &[u8; SEAL_KEY_LEN]) -> Sealer {
        Sealer { cipher: ChaCha20Poly1305::new(Key::from_slice(key)) }
    }

    /// The sealer of `data_dir`: its key file is read, or created (0600) when missing.
    pub fn open(data_dir: &Path) -> Result<Sealer, String> {
        let path = data_dir.join(SEAL_KEY_FILE);
        match std::fs::read(&path) {
            Ok(bytes) => {
                let key: [u8; SEAL_KEY_LEN] = bytes.as_slice().try_into().map_err(|_| {
                    format!(
                        "{} holds {} bytes, not the {SEAL_KEY_LEN} of a sealing key",
                        path.display(),
                        bytes.len()
                    )
                })?;
                Ok(Sealer::with_key(&key))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = super::ids::random_bytes::<SEAL_KEY_LEN>()?;
                write_private(&path, &key)?;
                Ok(Sealer::with_key(&key))
            }
            Err(e) => Err(format!("reading {}: {e}", path.display())),
        }
    }

    /// Seals `secret`, bound to `key_id`.
    pub fn seal(&self, key_id: &str, secret: &str) -> Result<String, String> {
        let nonce = super::ids::random_bytes::<NONCE_LEN>()?;
        let sealed = self
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload { msg: secret.as_bytes(), aad: key_id.as_bytes() },
            )
            .map_err(|_| "sealing a secret failed".to_string())?;
        let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(base64::engine::general_purpose::STANDARD.encode(out))
    }

    /// Opens what [`Sealer::seal`] sealed for `key_id`.
    pub fn open_secret(&self, key_id: &str, sealed: &str) -> Result<String, String> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(sealed)
            .map_err(|_| format!("the sealed secret of {key_id} is not base64"))?;
        if bytes.len() < NONCE_LEN + TAG_LEN {
            return Err(format!("the sealed secret of {key_id} is too short"));
        }
        let (nonce, body) = bytes.split_at(NONCE_LEN);
        let plain = self
            .cipher
            .decrypt(Nonce::from_slice(nonce), Payload { msg: body, aad: key_id.as_bytes() })
            .map_err(|_| {
                format!("the secret of {key_id} does not open with this data directory's {SEAL_KEY_FILE}")
            })?;
        String::from_utf8(plain).map_err(|_| format!("the secret of {key_id} is not UTF-8"))
    }
}

/// Writes `bytes` to a new file at `path` readable by its owner only (0600), fsynced.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<(), String> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| format!("creating {}: {e}", path.display()))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(|e| format!("writing {}: {e}", path.display()))?;
    if let Some(dir) = path.parent() {
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_and_open() {
        let s = Sealer::with_key(&[7; SEAL_KEY_LEN]);
        let sealed = s.seal("AKIA1", "secret").unwrap();
        assert!(!sealed.contains("secret"));
        assert_eq!(s.open_secret("AKIA1", &sealed).unwrap(), "secret");
        assert_ne!(s.seal("AKIA1", "secret").unwrap(), sealed, "fresh nonce each time");
        // Bound to its key id, and to the key.
        assert!(s.open_secret("AKIA2", &sealed).is_err());
        assert!(Sealer::with_key(&[8; SEAL_KEY_LEN]).open_secret("AKIA1", &sealed).is_err());
        assert!(s.open_secret("AKIA1", "!!").is_err());
        assert!(s.open_secret("AKIA1", "AAAA").is_err());
    }

    #[test]
    fn the_key_file_is_created_once_with_mode_0600() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let a = Sealer::open(dir.path()).unwrap();
        let sealed = a.seal("K", "v").unwrap();
        let mode = std::fs::metadata(dir.path().join(SEAL_KEY_FILE)).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let b = Sealer::open(dir.path()).unwrap();
        assert_eq!(b.open_secret("K", &sealed).unwrap(), "v");
        std::fs::write(dir.path().join(SEAL_KEY_FILE), b"short").unwrap();
        assert!(Sealer::open(dir.path()).unwrap_err().contains("not the 32 of a sealing key"));
    }
}
