//! The IAM store: users, groups, roles, managed policies, access keys and STS sessions.
//!
//! Everything lives in memory (for the lookup on every request's path) and is persisted in the
//! engine's `iam.store` keyspace, one record per entity (`docs/format/iam.md`), written with
//! fsync before a change is acknowledged. A change is computed on a copy of the state, written
//! as one engine batch, and only then published, so memory never runs ahead of the disk.
//!
//! Lock order: `state` before `sessions`; neither is held across anything but the engine write
//! of the change it guards.
//!
//! The account's root credentials are not in the store: they come from the environment, flags
//! or `<data-dir>/root-credentials` ([`root`]).

pub mod builtin;
pub mod model;
pub mod root;

use super::seal::Sealer;
use model::{AccessKey, Group, KeyStatus, ManagedPolicy, Role, Session, SessionOf, User};
use shale_engine::{Db, IterOptions, Keyspace, WriteBatch, WriteOptions};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

/// The keyspace of the store.
pub const KEYSPACE: &str = "iam.store";
/// Most users (IAM's quota).
pub const USERS_MAX: usize = 5000;
/// Most groups.
pub const GROUPS_MAX: usize = 300;
/// Most roles.
pub const ROLES_MAX: usize = 1000;
/// Most customer managed policies.
pub const MANAGED_POLICIES_MAX: usize = 1500;
/// Most versions of one managed policy.
pub const POLICY_VERSIONS_MAX: usize = 5;
/// Most access keys of one user.
pub const KEYS_PER_USER_MAX: usize = 2;
/// Most live STS sessions at once (expired ones are reclaimed as new ones are made).
pub const SESSIONS_MAX: usize = 100_000;
/// Most live STS sessions of one user, role or the root (so that no one caller can take the
/// whole of `SESSIONS_MAX`).
pub const SESSIONS_PER_PRINCIPAL_MAX: usize = 1_000;

/// The account the store's identities belong to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// The 12-digit account id.
    pub id: String,
    /// The endpoint's region.
    pub region: String,
}

impl Default for Account {
    fn default() -> Self {
        Account { id: "000000000000".into(), region: "us-east-1".into() }
    }
}

/// Every entity but sessions, by lower-cased name (IAM names are unique case-insensitively)
/// or by ARN (managed policies) or id (access keys). Its `Debug` leaves the secrets out.
#[derive(Clone, Default)]
pub struct State {
    pub users: BTreeMap<String, User>,
    pub groups: BTreeMap<String, Group>,
    pub roles: BTreeMap<String, Role>,
    pub policies: BTreeMap<String, ManagedPolicy>,
    pub keys: BTreeMap<String, AccessKey>,
    /// Opened secrets of `keys`, by key id (never persisted in the clear, never logged).
    secrets: HashMap<String, Arc<str>>,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("State")
            .field("users", &self.users)
            .field("groups", &self.groups)
            .field("roles", &self.roles)
            .field("policies", &self.policies)
            .field("keys", &self.keys)
            .finish_non_exhaustive()
    }
}

impl State {
    /// The managed policy with `arn`: the account's, or an AWS managed one.
    pub fn policy(&self, arn: &str) -> Option<ManagedPolicy> {
        self.policies.get(arn).cloned().or_else(|| builtin::get(arn))
    }
}

/// An STS session with its opened secret and token.
#[derive(Clone)]
pub struct LiveSession {
    pub session: Session,
    pub secret: Arc<str>,
    pub token: Arc<str>,
}

/// A change to persist: record key and its new value (None: deleted).
pub type Change = (String, Option<Vec<u8>>);

/// The store.
pub struct Store {
    db: Db,
    ks: Keyspace,
    sealer: Sealer,
    account: Account,
    state: RwLock<Arc<State>>,
    sessions: RwLock<HashMap<String, LiveSession>>,
    /// Bumped by every change of `state`: caches of resolved policies compare it.
    generation: AtomicU64,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("account", &self.account).finish_non_exhaustive()
    }
}

/// Record keys.
pub fn user_key(name: &str) -> String {
    format!("user/{}", name.to_lowercase())
}
/// The record key of a group.
pub fn group_key(name: &str) -> String {
    format!("group/{}", name.to_lowercase())
}
/// The record key of a role.
pub fn role_key(name: &str) -> String {
    format!("role/{}", name.to_lowercase())
}
/// The record key of a managed policy.
pub fn policy_key(arn: &str) -> String {
    format!("policy/{arn}")
}
/// The record key of an access key.
pub fn key_key(id: &str) -> String {
    format!("key/{id}")
}
/// The record key of a session.
pub fn session_key(id: &str) -> String {
    format!("session/{id}")
}

fn json<T: serde::Serialize>(v: &T) -> Option<Vec<u8>> {
    serde_json::to_vec(v).ok()
}

/// Seconds since the epoch now.
pub fn now_secs() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

impl Store {
    /// Opens the store of `db` (creating its keyspace on first start) and loads it.
    pub fn open(db: Db, sealer: Sealer, account: Account) -> Result<Store, String> {
        let ks = match db.keyspace(KEYSPACE) {
            Ok(ks) => ks,
            Err(_) => {
                db.create_keyspace(KEYSPACE).map_err(|e| format!("creating {KEYSPACE}: {e}"))?
            }
        };
        let mut state = State::default();
        let mut sessions = HashMap::new();
        let mut expired = Vec::new();
        let now = now_secs();
        let mut it = db.iter(&ks, IterOptions::default()).map_err(|e| e.to_string())?;
        while it.advance().map_err(|e| format!("reading {KEYSPACE}: {e}"))? {
            let key = String::from_utf8_lossy(it.key()).into_owned();
            let value = it.value();
            let bad = |e: serde_json::Error| format!("{KEYSPACE} record {key}: {e}");
            let (kind, name) = key.split_once('/').unwrap_or((key.as_str(), ""));
            match kind {
                "user" => {
                    state.users.insert(name.into(), serde_json::from_slice(value).map_err(bad)?);
                }
                "group" => {
                    state.groups.insert(name.into(), serde_json::from_slice(value).map_err(bad)?);
                }
                "role" => {
                    state.roles.insert(name.into(), serde_json::from_slice(value).map_err(bad)?);
                }
                "policy" => {
                    state.policies.insert(name.into(), serde_json::from_slice(value).map_err(bad)?);
                }
                "key" => {
                    let k: AccessKey = serde_json::from_slice(value).map_err(bad)?;
                    let secret = sealer.open_secret(&k.id, &k.sealed_secret)?;
                    state.secrets.insert(k.id.clone(), secret.into());
                    state.keys.insert(name.into(), k);
                }
                "session" => {
                    let s: Session = serde_json::from_slice(value).map_err(bad)?;
                    if s.expires <= now {
                        expired.push(key.clone());
                    } else {
                        let secret = sealer.open_secret(&s.id, &s.sealed_secret)?;
                        let token = sealer.open_secret(&s.id, &s.sealed_token)?;
                        sessions.insert(
                            s.id.clone(),
                            LiveSession { session: s, secret: secret.into(), token: token.into() },
                        );
                    }
                }
                _ => return Err(format!("{KEYSPACE} holds an unknown record {key}")),
            }
        }
        drop(it);
        let store = Store {
            db,
            ks,
            sealer,
            account,
            state: RwLock::new(Arc::new(state)),
            sessions: RwLock::new(sessions),
            generation: AtomicU64::new(1),
        };
        store.persist(expired.into_iter().map(|k| (k, None)).collect()).map_err(|e| e.message)?;
        Ok(store)
    }

    /// The account.
    pub fn account(&self) -> &Account {
        &self.account
    }

    /// The current state (a snapshot: later changes do not show in it).
    pub fn state(&self) -> Arc<State> {
        match self.state.read() {
            Ok(s) => Arc::clone(&s),
            Err(p) => Arc::clone(&p.into_inner()),
        }
    }

    /// The generation of the state: bumped by every change.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    fn persist(&self, changes: Vec<Change>) -> Result<(), shale_aws::AwsError> {
        if changes.is_empty() {
            return Ok(());
        }
        let mut batch = WriteBatch::new();
        for (k, v) in &changes {
            match v {
                Some(v) => batch.put(&self.ks, k.as_bytes(), v),
                None => batch.delete(&self.ks, k.as_bytes()),
            };
        }
        self.db
            .write(batch, WriteOptions { sync: true })
            .map_err(|e| super::error::service_failure(format!("writing the IAM store: {e}")))
    }

    /// Applies a change: `f` edits a copy of the state and says which records changed (their
    /// new values are taken from the edited copy); the records are written, then the copy is
    /// published. An error from `f` changes nothing.
    pub fn change<R>(
        &self,
        f: impl FnOnce(&mut Edit<'_>) -> Result<R, shale_aws::AwsError>,
    ) -> Result<R, shale_aws::AwsError> {
        let mut guard = match self.state.write() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        let mut next = State::clone(&guard);
        let mut edit = Edit { state: &mut next, touched: Vec::new(), sealer: &self.sealer };
        let r = f(&mut edit)?;
        let touched = std::mem::take(&mut edit.touched);
        let changes = touched.into_iter().map(|t| t.record(&next)).collect();
        self.persist(changes)?;
        *guard = Arc::new(next);
        self.generation.fetch_add(1, Ordering::AcqRel);
        Ok(r)
    }

    /// The live session with access key id `id`.
    pub fn session(&self, id: &str) -> Option<LiveSession> {
        let sessions = match self.sessions.read() {
            Ok(s) => s,
            Err(p) => p.into_inner(),
        };
        sessions.get(id).cloned()
    }

    /// Makes temporary credentials for `of`, valid until `expires` (epoch seconds).
    pub fn create_session(
        &self,
        of: SessionOf,
        expires: u64,
    ) -> Result<LiveSession, shale_aws::AwsError> {
        let fail = |e: String| super::error::service_failure(e);
        let id = super::ids::temporary_access_key_id().map_err(fail)?;
        let secret = super::ids::secret_access_key().map_err(fail)?;
        let token = super::ids::session_token().map_err(fail)?;
        let session = Session {
            sealed_secret: self.sealer.seal(&id, &secret).map_err(fail)?,
            sealed_token: self.sealer.seal(&id, &token).map_err(fail)?,
            id,
            expires,
            of,
        };
        let mut sessions = match self.sessions.write() {
            Ok(s) => s,
            Err(p) => p.into_inner(),
        };
        let now = now_secs();
        let expired: Vec<String> = sessions
            .values()
            .filter(|s| s.session.expires <= now)
            .map(|s| s.session.id.clone())
            .collect();
        if sessions.len() - expired.len() >= SESSIONS_MAX {
            return Err(super::error::limit_exceeded(format!(
                "Cannot exceed quota for live sessions: {SESSIONS_MAX}"
            )));
        }
        let owner = |o: &SessionOf| match o {
            SessionOf::Root => String::new(),
            SessionOf::User { name, .. } => format!("user/{}", name.to_lowercase()),
            SessionOf::Role { name, .. } => format!("role/{}", name.to_lowercase()),
        };
        let mine = owner(&session.of);
        let live_of_owner = sessions
            .values()
            .filter(|s| s.session.expires > now && owner(&s.session.of) == mine)
            .count();
        if live_of_owner >= SESSIONS_PER_PRINCIPAL_MAX {
            return Err(super::error::limit_exceeded(format!(
                "Cannot exceed quota for live sessions of one identity: {SESSIONS_PER_PRINCIPAL_MAX}"
            )));
        }
        let mut changes: Vec<Change> = expired.iter().map(|id| (session_key(id), None)).collect();
        changes.push((session_key(&session.id), json(&session)));
        self.persist(changes)?;
        for id in &expired {
            sessions.remove(id);
        }
        let live = LiveSession { session, secret: secret.into(), token: token.into() };
        sessions.insert(live.session.id.clone(), live.clone());
        Ok(live)
    }

    /// The secret of access key `id`, if the store has it.
    pub fn key_secret(&self, id: &str) -> Option<(AccessKey, Arc<str>)> {
        let state = self.state();
        let key = state.keys.get(id)?.clone();
        let secret = Arc::clone(state.secrets.get(id)?);
        Some((key, secret))
    }
}

/// What a change touched, to be written from the edited state.
enum Touched {
    User(String),
    Group(String),
    Role(String),
    Policy(String),
    Key(String),
}

impl Touched {
    fn record(self, s: &State) -> Change {
        match self {
            Touched::User(n) => (user_key(&n), s.users.get(&n.to_lowercase()).and_then(json)),
            Touched::Group(n) => (group_key(&n), s.groups.get(&n.to_lowercase()).and_then(json)),
            Touched::Role(n) => (role_key(&n), s.roles.get(&n.to_lowercase()).and_then(json)),
            Touched::Policy(a) => (policy_key(&a), s.policies.get(&a).and_then(json)),
            Touched::Key(id) => (key_key(&id), s.keys.get(&id).and_then(json)),
        }
    }
}

/// A change in progress: the state's copy, and which records it touched.
pub struct Edit<'a> {
    pub state: &'a mut State,
    touched: Vec<Touched>,
    sealer: &'a Sealer,
}

impl Edit<'_> {
    /// Marks user `name`'s record as changed (or deleted).
    pub fn user(&mut self, name: &str) {
        self.touched.push(Touched::User(name.into()));
    }
    /// Marks a group's record.
    pub fn group(&mut self, name: &str) {
        self.touched.push(Touched::Group(name.into()));
    }
    /// Marks a role's record.
    pub fn role(&mut self, name: &str) {
        self.touched.push(Touched::Role(name.into()));
    }
    /// Marks a managed policy's record.
    pub fn policy(&mut self, arn: &str) {
        self.touched.push(Touched::Policy(arn.into()));
    }

    /// Adds a new access key for `user`; returns it with its secret.
    pub fn add_key(
        &mut self,
        user: &str,
        created: u64,
    ) -> Result<(AccessKey, String), shale_aws::AwsError> {
        let fail = |e: String| super::error::service_failure(e);
        let id = super::ids::access_key_id().map_err(fail)?;
        let secret = super::ids::secret_access_key().map_err(fail)?;
        let key = AccessKey {
            sealed_secret: self.sealer.seal(&id, &secret).map_err(fail)?,
            id: id.clone(),
            user: user.into(),
            status: KeyStatus::Active,
            created,
        };
        self.state.keys.insert(id.clone(), key.clone());
        self.state.secrets.insert(id.clone(), secret.as_str().into());
        self.touched.push(Touched::Key(id));
        Ok((key, secret))
    }

    /// Changes a key's status.
    pub fn set_key_status(&mut self, id: &str, status: KeyStatus) {
        if let Some(k) = self.state.keys.get_mut(id) {
            k.status = status;
            self.touched.push(Touched::Key(id.into()));
        }
    }

    /// Deletes a key.
    pub fn delete_key(&mut self, id: &str) {
        self.state.keys.remove(id);
        self.state.secrets.remove(id);
        self.touched.push(Touched::Key(id.into()));
    }
}

#[cfg(test)]
mod tests;
