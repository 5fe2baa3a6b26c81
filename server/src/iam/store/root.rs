//! The account's root credentials: the one identity that may do everything, and the one that
//! creates the others.
//!
//! Where they come from, first match wins:
//! 1. `SHALE_ROOT_ACCESS_KEY_ID` and `SHALE_ROOT_SECRET_ACCESS_KEY` (or the flags
//!    `--root-access-key-id` / `--root-secret-access-key`), both or neither;
//! 2. `<data-dir>/root-credentials`, written on first start;
//! 3. otherwise generated: written to `<data-dir>/root-credentials` (mode 0600, in the AWS
//!    shared-credentials format, so `AWS_SHARED_CREDENTIALS_FILE` can point at it) and printed
//!    once on stderr. An in-memory server prints them and keeps them nowhere.
//!
//! ```text
//! [default]
//! aws_access_key_id = AKIA…
//! aws_secret_access_key = …
//! ```

use std::path::Path;

/// The file's name in the data directory.
pub const ROOT_CREDENTIALS_FILE: &str = "root-credentials";
/// Longest access key id (IAM's bound).
pub const ACCESS_KEY_ID_LEN_MAX: usize = 128;
/// Longest secret access key accepted.
pub const SECRET_LEN_MAX: usize = 128;

/// The root's key pair.
#[derive(Clone, PartialEq, Eq)]
pub struct RootCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
}

impl std::fmt::Debug for RootCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RootCredentials")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

/// Where the root credentials came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The environment or the flags.
    Given,
    /// `<data-dir>/root-credentials`.
    File,
    /// Made now (and written to the file when there is a data directory).
    Generated,
}

impl RootCredentials {
    /// Checks a given pair: an id of letters and digits (it sits in the SigV4 credential
    /// scope, between `/`s) and a secret of printable ASCII without spaces.
    pub fn new(access_key_id: String, secret_access_key: String) -> Result<Self, String> {
        if access_key_id.is_empty()
            || access_key_id.len() > ACCESS_KEY_ID_LEN_MAX
            || !access_key_id.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            return Err(format!(
                "the root access key id must be 1 to {ACCESS_KEY_ID_LEN_MAX} letters and digits"
            ));
        }
        if secret_access_key.is_empty()
            || secret_access_key.len() > SECRET_LEN_MAX
            || !secret_access_key.bytes().all(|b| b.is_ascii_graphic())
        {
            // The secret itself is never part of a message.
            return Err(format!(
                "the root secret access key must be 1 to {SECRET_LEN_MAX} printable ASCII characters without spaces"
            ));
        }
        Ok(RootCredentials { access_key_id, secret_access_key })
    }

    /// Resolves the root credentials (see the module doc). `given` is the environment's or the
    /// flags' pair; `data_dir` is None for an in-memory server.
    pub fn resolve(
        given: Option<(String, String)>,
        data_dir: Option<&Path>,
    ) -> Result<(RootCredentials, Source), String> {
        if let Some((id, secret)) = given {
            return Ok((RootCredentials::new(id, secret)?, Source::Given));
        }
        let path = data_dir.map(|d| d.join(ROOT_CREDENTIALS_FILE));
        if let Some(path) = &path {
            match std::fs::read_to_string(path) {
                Ok(text) => return Ok((parse_file(&text, path)?, Source::File)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(format!("reading {}: {e}", path.display())),
            }
        }
        let creds = RootCredentials::new(
            crate::iam::ids::access_key_id()?,
            crate::iam::ids::secret_access_key()?,
        )?;
        if let Some(path) = &path {
            crate::iam::seal::write_private(path, creds.file_text().as_bytes())?;
        }
        Ok((creds, Source::Generated))
    }

    /// The file's text.
    pub fn file_text(&self) -> String {
        format!(
            "[default]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            self.access_key_id, self.secret_access_key
        )
    }
}

fn parse_file(text: &str, path: &Path) -> Result<RootCredentials, String> {
    let mut id = None;
    let mut secret = None;
    for line in text.lines() {
        if let Some((k, v)) = line.split_once('=') {
            match k.trim() {
                "aws_access_key_id" => id = Some(v.trim().to_string()),
                "aws_secret_access_key" => secret = Some(v.trim().to_string()),
                _ => {}
            }
        }
    }
    match (id, secret) {
        (Some(id), Some(secret)) => {
            RootCredentials::new(id, secret).map_err(|e| format!("{}: {e}", path.display()))
        }
        _ => Err(format!("{} lacks aws_access_key_id or aws_secret_access_key", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_then_file_then_generated() {
        let dir = tempfile::tempdir().unwrap();
        let (c, s) = RootCredentials::resolve(None, Some(dir.path())).unwrap();
        assert_eq!(s, Source::Generated);
        use std::os::unix::fs::PermissionsExt as _;
        let meta = std::fs::metadata(dir.path().join(ROOT_CREDENTIALS_FILE)).unwrap();
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        let (again, s) = RootCredentials::resolve(None, Some(dir.path())).unwrap();
        assert_eq!((again, s), (c.clone(), Source::File));
        let given = Some(("AKIAGIVEN".to_string(), "s3cr3t/+x".to_string()));
        let (g, s) = RootCredentials::resolve(given, Some(dir.path())).unwrap();
        assert_eq!((g.access_key_id.as_str(), s), ("AKIAGIVEN", Source::Given));
        let (m, s) = RootCredentials::resolve(None, None).unwrap();
        assert_eq!(s, Source::Generated);
        assert_ne!(m, c);
    }

    #[test]
    fn bad_pairs_are_refused_without_the_secret_in_the_message() {
        let e = RootCredentials::new("a/b".into(), "x".into()).unwrap_err();
        assert!(e.contains("letters and digits"));
        let e = RootCredentials::new("AKIA".into(), "has space secret".into()).unwrap_err();
        assert!(!e.contains("has space"));
        assert!(format!("{:?}", RootCredentials::new("A".into(), "hidden".into()).unwrap())
            .find("hidden")
            .is_none());
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(ROOT_CREDENTIALS_FILE), "[default]\n").unwrap();
        assert!(RootCredentials::resolve(None, Some(dir.path())).unwrap_err().contains("lacks"));
    }
}
