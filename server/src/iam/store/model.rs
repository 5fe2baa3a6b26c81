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

/// A customer managed policy: its versions (at most
/// [`POLICY_VERSIONS_MAX`](super::POLICY_VERSIONS_MAX)), one of them the default, which is the
/// one policy evaluation uses.
///
/// Persisted as a [`PolicyRecord`]: the default version's document in `document` (so a record
/// written before versions existed, which has only that, is a policy with one version, `v1`)
/// and the other versions beside it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "PolicyRecord", into = "PolicyRecord")]
pub struct ManagedPolicy {
    pub name: String,
    /// `ANPA…`.
    pub id: String,
    pub path: String,
    pub created: u64,
    pub description: Option<String>,
    /// Every version, in increasing number (never empty; holds `default_version`).
    pub versions: Vec<PolicyVersion>,
    /// The number of the default version (`v2` is 2).
    pub default_version: u32,
    /// The highest version number ever given: the next version is `last_version + 1`, so a
    /// deleted version's id is never given again.
    pub last_version: u32,
}

/// One version of a managed policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyVersion {
    /// The version's number: its id is `v<number>`.
    pub number: u32,
    pub document: String,
    /// Seconds since the epoch.
    pub created: u64,
}

/// What [`ManagedPolicy::operative`] answers for a policy without versions (none is made).
static NO_VERSION: PolicyVersion = PolicyVersion { number: 0, document: String::new(), created: 0 };

impl PolicyVersion {
    /// The version id, `v<number>`.
    pub fn id(&self) -> String {
        format!("v{}", self.number)
    }
}

impl ManagedPolicy {
    /// A new policy with one version, `v1`, the default.
    pub fn new(
        name: String,
        id: String,
        path: String,
        created: u64,
        document: String,
        description: Option<String>,
    ) -> ManagedPolicy {
        ManagedPolicy {
            name,
            id,
            path,
            created,
            description,
            versions: vec![PolicyVersion { number: 1, document, created }],
            default_version: 1,
            last_version: 1,
        }
    }

    /// The default version.
    pub fn operative(&self) -> &PolicyVersion {
        // The record's invariant (made when it is read, kept by every change): the default
        // version is among the versions. Were it not, a version without a document: it does
        // not parse, so it allows nothing.
        self.version(self.default_version).or(self.versions.first()).unwrap_or(&NO_VERSION)
    }

    /// The default version's document: what policy evaluation uses.
    pub fn document(&self) -> &str {
        &self.operative().document
    }

    /// The version numbered `number`.
    pub fn version(&self, number: u32) -> Option<&PolicyVersion> {
        self.versions.iter().find(|v| v.number == number)
    }

    /// When the policy was last updated, as IAM's `UpdateDate` says: when its most recent
    /// version was created (its creation, while it has one version).
    pub fn updated(&self) -> u64 {
        self.versions.iter().map(|v| v.created).max().unwrap_or(self.created).max(self.created)
    }
}

/// A managed policy as its `policy/<ARN>` record holds it (`docs/format/iam.md`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PolicyRecord {
    pub name: String,
    pub id: String,
    pub path: String,
    pub created: u64,
    /// The default version's document.
    pub document: String,
    #[serde(default)]
    pub description: Option<String>,
    /// The default version's number (absent in records written before versions: 1).
    #[serde(default = "first_version")]
    pub default_version: u32,
    /// When the default version was created (absent: `created`).
    #[serde(default)]
    pub default_created: Option<u64>,
    /// The highest version number ever given (absent: the highest number present).
    #[serde(default)]
    pub last_version: Option<u32>,
    /// The versions other than the default, in increasing number.
    #[serde(default)]
    pub versions: Vec<PolicyVersion>,
}

fn first_version() -> u32 {
    1
}

impl TryFrom<PolicyRecord> for ManagedPolicy {
    type Error = String;

    fn try_from(r: PolicyRecord) -> Result<ManagedPolicy, String> {
        let default = PolicyVersion {
            number: r.default_version,
            document: r.document,
            created: r.default_created.unwrap_or(r.created),
        };
        let mut versions = r.versions;
        versions.push(default);
        versions.sort_by_key(|v| v.number);
        if versions.iter().any(|v| v.number == 0) {
            return Err("a policy version numbered 0".into());
        }
        if versions.iter().zip(versions.iter().skip(1)).any(|(a, b)| a.number == b.number) {
            return Err(format!("policy {} has two versions with one number", r.name));
        }
        let highest = versions.last().map_or(1, |v| v.number);
        let last_version = r.last_version.unwrap_or(highest).max(highest);
        Ok(ManagedPolicy {
            name: r.name,
            id: r.id,
            path: r.path,
            created: r.created,
            description: r.description,
            versions,
            default_version: r.default_version,
            last_version,
        })
    }
}

impl From<ManagedPolicy> for PolicyRecord {
    fn from(p: ManagedPolicy) -> PolicyRecord {
        let (default, others): (Vec<PolicyVersion>, Vec<PolicyVersion>) =
            p.versions.into_iter().partition(|v| v.number == p.default_version);
        let default = default.into_iter().next();
        PolicyRecord {
            name: p.name,
            id: p.id,
            path: p.path,
            created: p.created,
            default_created: Some(default.as_ref().map_or(p.created, |d| d.created)),
            document: default.map(|d| d.document).unwrap_or_default(),
            description: p.description,
            default_version: p.default_version,
            last_version: Some(p.last_version),
            versions: others,
        }
    }
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
