//! The entities the IAM store keeps, as they are persisted (JSON values of `iam.store`
//! records; `docs/format/iam.md`).

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// An IAM user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub name: String,
    /// `AIDA…`.
    pub id: String,
    pub path: String,
    /// Seconds since the epoch.
    pub created: u64,
    /// Inline policies: name → document.
    #[serde(default)]
    pub inline: BTreeMap<String, String>,
    /// ARNs of attached managed policies.
    #[serde(default)]
    pub attached: BTreeSet<String>,
    /// Names of the groups the user is in.
    #[serde(default)]
    pub groups: BTreeSet<String>,
}

/// An IAM group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    pub name: String,
    /// `AGPA…`.
    pub id: String,
    pub path: String,
    pub created: u64,
    #[serde(default)]
    pub inline: BTreeMap<String, String>,
    #[serde(default)]
    pub attached: BTreeSet<String>,
}

/// An IAM role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Role {
    pub name: String,
    /// `AROA…`.
    pub id: String,
    pub path: String,
    pub created: u64,
    /// The trust policy (`AssumeRolePolicyDocument`).
    pub trust: String,
    #[serde(default)]
    pub description: Option<String>,
    /// Longest session AssumeRole grants, in seconds (3600–43200).
    pub max_session_secs: u64,
    #[serde(default)]
    pub inline: BTreeMap<String, String>,
    #[serde(default)]
    pub attached: BTreeSet<String>,
}

/// A customer managed policy (one version, `v1`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManagedPolicy {
    pub name: String,
    /// `ANPA…`.
    pub id: String,
    pub path: String,
    pub created: u64,
    pub document: String,
    #[serde(default)]
    pub description: Option<String>,
}

/// Active or Inactive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyStatus {
    Active,
    Inactive,
}

impl KeyStatus {
    /// The IAM name.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyStatus::Active => "Active",
            KeyStatus::Inactive => "Inactive",
        }
    }
}

/// A user's long-term access key.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessKey {
    /// `AKIA…`.
    pub id: String,
    /// The user's name.
    pub user: String,
    /// The secret, sealed ([`crate::iam::seal`]).
    pub sealed_secret: String,
    pub status: KeyStatus,
    pub created: u64,
}

impl std::fmt::Debug for AccessKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessKey")
            .field("id", &self.id)
            .field("user", &self.user)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

/// Whose temporary credentials a session's are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SessionOf {
    /// GetSessionToken by the account's root.
    Root,
    /// GetSessionToken by a user. `id`: the user's `AIDA…` id when the session was made (a
    /// user deleted and made again under the same name is another user: its sessions do not
    /// carry over).
    User {
        name: String,
        #[serde(default)]
        id: String,
    },
    /// AssumeRole.
    Role {
        name: String,
        /// The role's `AROA…` id when the session was made (see `User`).
        #[serde(default)]
        id: String,
        session_name: String,
        /// The session policy passed to AssumeRole, if any: it limits the role's permissions.
        #[serde(default)]
        policy: Option<String>,
    },
}

/// Temporary credentials (STS).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// `ASIA…`.
    pub id: String,
    pub sealed_secret: String,
    /// The session token, sealed like the secret (it is a bearer credential too).
    pub sealed_token: String,
    /// Seconds since the epoch at which it stops working.
    pub expires: u64,
    pub of: SessionOf,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("id", &self.id)
            .field("expires", &self.expires)
            .field("of", &self.of)
            .finish_non_exhaustive()
    }
}
