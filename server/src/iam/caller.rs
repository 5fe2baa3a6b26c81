//! Who is calling, and what they may do.
//!
//! [`Authenticator`] turns a verified access key id into an [`Identity`] (the root, a user, a
//! role session) and resolves the policies that govern it: a user's inline and attached
//! policies and those of its groups; a role's, narrowed by the session policy given to
//! AssumeRole. [`Caller::authorize`] evaluates them for one action on one resource, as IAM
//! does: an explicit Deny anywhere wins, then an Allow, else the implicit deny.
//!
//! Resolved policies are cached per identity and dropped when the store changes (its
//! generation moves on), so a policy change takes effect on the next request.

use super::policy::{self, Context, Decision, Policy, PolicyKind, Request};
use super::store::model::{KeyStatus, SessionOf};
use super::store::root::RootCredentials;
use super::store::Store;
use shale_aws::sigv4::verify::{Credential, Keys, Lookup};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Most identities whose resolved policies are cached.
pub const RESOLVED_CACHE_ENTRIES_MAX: usize = 10_000;

/// Who a request's credentials belong to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Principal {
    /// The account's root: allowed everything.
    Root,
    /// An IAM user.
    User { name: String },
    /// A session of an assumed role.
    RoleSession { role: String, session: String, policy: Option<String> },
    /// `--auth none`: nobody authenticated, everything allowed.
    Anonymous,
}

/// An authenticated identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub principal: Principal,
    /// `arn:aws:iam::ACCOUNT:root`, `…:user/NAME`, `arn:aws:sts::ACCOUNT:assumed-role/R/S`.
    pub arn: String,
    /// `aws:userid`: the account id, the user's `AIDA…` id, or `AROA…:session`.
    pub user_id: String,
    pub account: String,
    /// Whether the credentials are temporary (STS): they may not call IAM.
    pub temporary: bool,
    /// Whether the credentials came from GetSessionToken (they may not call IAM, nor STS
    /// but GetCallerIdentity and AssumeRole).
    pub session_token_of_user: bool,
}

/// The policies that govern an identity.
#[derive(Debug, Default)]
pub struct Resolved {
    /// Identity policies: user, groups, or role.
    pub identity: Vec<Arc<Policy>>,
    /// The session policy of a role session: permissions are what both allow.
    pub session: Option<Arc<Policy>>,
}

/// A request's caller: identity, where it came from, and its policies.
#[derive(Debug, Clone)]
pub struct Caller {
    /// Shared: a request's caller is made without copying its identity.
    pub identity: Arc<Identity>,
    pub source_ip: Option<IpAddr>,
    pub secure_transport: bool,
    pub now: SystemTime,
    /// None for the root and `--auth none`: everything is allowed.
    policies: Option<Arc<Resolved>>,
}

/// A refusal, in AWS's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denied {
    pub message: String,
}

impl Caller {
    /// `--auth none`: the anonymous caller, allowed everything.
    pub fn anonymous(account: &str, source_ip: Option<IpAddr>, secure_transport: bool) -> Caller {
        Caller {
            identity: Arc::new(Identity {
                principal: Principal::Anonymous,
                arn: format!("arn:aws:iam::{account}:root"),
                user_id: account.to_string(),
                account: account.to_string(),
                temporary: false,
                session_token_of_user: false,
            }),
            source_ip,
            secure_transport,
            now: SystemTime::now(),
            policies: None,
        }
    }

    /// Whether every action is allowed (the root, or no authentication).
    pub fn is_unrestricted(&self) -> bool {
        self.policies.is_none()
    }

    /// The request context every evaluation starts from: `aws:username`, `aws:userid`,
    /// `aws:PrincipalArn`, `aws:PrincipalAccount`, `aws:PrincipalType`, `aws:SourceIp`,
    /// `aws:SecureTransport`, `aws:CurrentTime`, `aws:EpochTime`.
    pub fn context(&self) -> Context {
        let mut c = Context::new();
        let id = &self.identity;
        if let Principal::User { name } = &id.principal {
            c.set("aws:username", name.clone());
        }
        c.set("aws:userid", id.user_id.clone());
        c.set("aws:PrincipalArn", id.arn.clone());
        c.set("aws:PrincipalAccount", id.account.clone());
        let kind = match id.principal {
            Principal::Root | Principal::Anonymous => "Account",
            Principal::User { .. } => "User",
            Principal::RoleSession { .. } => "AssumedRole",
        };
        c.set("aws:PrincipalType", kind);
        if let Some(ip) = self.source_ip {
            c.set("aws:SourceIp", ip.to_string());
        }
        c.set("aws:SecureTransport", if self.secure_transport { "true" } else { "false" });
        let secs = self.now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        c.set("aws:CurrentTime", crate::iam::xml::iso8601(secs));
        c.set("aws:EpochTime", secs.to_string());
        c
    }

    /// Whether `action` on `resource` is allowed with `context` (start it from
    /// [`Caller::context`] and add the service's condition keys).
    pub fn authorize(&self, action: &str, resource: &str, context: &Context) -> Result<(), Denied> {
        let Some(resolved) = &self.policies else { return Ok(()) };
        let request = Request { action, resource, context, principal: None };
        let deny = |why: String| Denied {
            message: format!(
                "User: {} is not authorized to perform: {action} on resource: {resource} {why}",
                self.identity.arn
            ),
        };
        match policy::evaluate(resolved.identity.iter().map(|p| p.as_ref()), &request) {
            Decision::ExplicitDeny => {
                return Err(deny("with an explicit deny in an identity-based policy".into()))
            }
            Decision::ImplicitDeny => {
                return Err(deny(format!(
                    "because no identity-based policy allows the {action} action"
                )))
            }
            Decision::Allow => {}
        }
        if let Some(session) = &resolved.session {
            match policy::evaluate([session.as_ref()], &request) {
                Decision::Allow => {}
                Decision::ExplicitDeny => {
                    return Err(deny("with an explicit deny in a session policy".into()))
                }
                Decision::ImplicitDeny => {
                    return Err(deny(format!(
                        "because no session policy allows the {action} action"
                    )))
                }
            }
        }
        Ok(())
    }
}

/// What a verified access key id stands for.
#[derive(Debug, Clone)]
pub struct KeyOwner {
    pub principal: Principal,
    /// For temporary credentials: the id of the user or role they were made for. A user or
    /// role deleted and made again under the same name has another id: such credentials get
    /// no policies (as in AWS, where permissions follow the unique id, not the name).
    pub bound_id: Option<String>,
    pub temporary: bool,
    pub session_token_of_user: bool,
}

/// Looks up access keys and resolves callers.
pub struct Authenticator {
    store: Arc<Store>,
    root: RootCredentials,
    /// The root's secret, shared with every lookup.
    root_secret: Arc<str>,
    /// The root's identity, shared with every caller it makes.
    root_identity: Arc<Identity>,
    /// Identities and resolved policies of the other principals, with the store generation
    /// they were made at.
    cache: Mutex<HashMap<Principal, Cached>>,
}

/// A principal's identity and policies, as of a store generation.
#[derive(Clone)]
struct Cached {
    generation: u64,
    identity: Arc<Identity>,
    policies: Arc<Resolved>,
    /// The user's or role's id as of `generation`.
    entity_id: Option<String>,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator").field("root", &self.root).finish_non_exhaustive()
    }
}

impl Keys for Authenticator {
    type Principal = KeyOwner;

    fn lookup(&self, access_key_id: &str) -> Lookup<KeyOwner> {
        if access_key_id == self.root.access_key_id {
            return Lookup::Found(Credential {
                secret: Arc::clone(&self.root_secret),
                session_token: None,
                expires: None,
                principal: KeyOwner {
                    principal: Principal::Root,
                    bound_id: None,
                    temporary: false,
                    session_token_of_user: false,
                },
            });
        }
        if let Some((key, secret)) = self.store.key_secret(access_key_id) {
            if key.status != KeyStatus::Active {
                return Lookup::Unknown;
            }
            return Lookup::Found(Credential {
                secret,
                session_token: None,
                expires: None,
                principal: KeyOwner {
                    principal: Principal::User { name: key.user },
                    bound_id: None,
                    temporary: false,
                    session_token_of_user: false,
                },
            });
        }
        let Some(live) = self.store.session(access_key_id) else { return Lookup::Unknown };
        let (principal, bound_id, of_user) = match live.session.of {
            SessionOf::Root => (Principal::Root, None, true),
            SessionOf::User { name, id } => (Principal::User { name }, Some(id), true),
            SessionOf::Role { name, id, session_name, policy } => (
                Principal::RoleSession { role: name, session: session_name, policy },
                Some(id),
                false,
            ),
        };
        Lookup::Found(Credential {
            secret: live.secret,
            session_token: Some(live.token.to_string()),
            expires: Some(UNIX_EPOCH + Duration::from_secs(live.session.expires)),
            principal: KeyOwner {
                principal,
                bound_id,
                temporary: true,
                session_token_of_user: of_user,
            },
        })
    }
}

impl Authenticator {
    /// Over `store`, with the account's root credentials.
    pub fn new(store: Arc<Store>, root: RootCredentials) -> Authenticator {
        let account = store.account().id.clone();
        let root_identity = Arc::new(Identity {
            principal: Principal::Root,
            arn: format!("arn:aws:iam::{account}:root"),
            user_id: account.clone(),
            account,
            temporary: false,
            session_token_of_user: false,
        });
        let root_secret = root.secret_access_key.as_str().into();
        Authenticator { store, root, root_secret, root_identity, cache: Mutex::new(HashMap::new()) }
    }

    /// The store.
    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    /// The caller a verified key's owner makes. A user or role deleted since its credentials
    /// were issued has no policies: it is refused everything.
    pub fn caller(
        &self,
        owner: KeyOwner,
        source_ip: Option<IpAddr>,
        secure_transport: bool,
    ) -> Result<Caller, String> {
        self.caller_at(owner, source_ip, secure_transport, SystemTime::now())
    }

    /// [`Authenticator::caller`] for a request received at `now`.
    pub fn caller_at(
        &self,
        owner: KeyOwner,
        source_ip: Option<IpAddr>,
        secure_transport: bool,
        now: SystemTime,
    ) -> Result<Caller, String> {
        if owner.principal == Principal::Root && !owner.temporary {
            // The root's long-term key: nothing to look up, nothing to copy.
            let identity = Arc::clone(&self.root_identity);
            return Ok(Caller { identity, source_ip, secure_transport, now, policies: None });
        }
        let (identity, policies) = self.identity(&owner)?;
        Ok(Caller { identity, source_ip, secure_transport, now, policies })
    }

    /// The identity and policies of `owner` (cached until the store changes).
    fn identity(&self, owner: &KeyOwner) -> Result<(Arc<Identity>, Option<Arc<Resolved>>), String> {
        if owner.principal == Principal::Root || owner.principal == Principal::Anonymous {
            let mut id = Identity::clone(&self.root_identity);
            id.temporary = owner.temporary;
            id.session_token_of_user = owner.session_token_of_user;
            return Ok((Arc::new(id), None));
        }
        let generation = self.store.generation();
        if let Ok(cache) = self.cache.lock() {
            if let Some(c) = cache.get(&owner.principal) {
                if c.generation == generation
                    && c.identity.temporary == owner.temporary
                    && c.identity.session_token_of_user == owner.session_token_of_user
                {
                    let orphaned = owner.bound_id.is_some() && owner.bound_id != c.entity_id;
                    let policies = if orphaned {
                        Arc::new(Resolved::default())
                    } else {
                        Arc::clone(&c.policies)
                    };
                    return Ok((Arc::clone(&c.identity), Some(policies)));
                }
            }
        }
        let account = self.store.account().id.clone();
        let state = self.store.state();
        let (arn, user_id) = match &owner.principal {
            Principal::User { name } => match state.users.get(&name.to_lowercase()) {
                Some(u) => (user_arn(&account, &u.path, &u.name), u.id.clone()),
                None => (user_arn(&account, "/", name), String::new()),
            },
            Principal::RoleSession { role, session, .. } => {
                let id =
                    state.roles.get(&role.to_lowercase()).map_or(String::new(), |r| r.id.clone());
                (
                    format!("arn:aws:sts::{account}:assumed-role/{role}/{session}"),
                    format!("{id}:{session}"),
                )
            }
            Principal::Root | Principal::Anonymous => (String::new(), String::new()),
        };
        // The entity's id now: a session made for an entity since deleted (and perhaps made
        // again under its name) gets no policies.
        let current_id = match &owner.principal {
            Principal::User { name } => state.users.get(&name.to_lowercase()).map(|u| &u.id),
            Principal::RoleSession { role, .. } => {
                state.roles.get(&role.to_lowercase()).map(|r| &r.id)
            }
            Principal::Root | Principal::Anonymous => None,
        };
        let orphaned = owner.bound_id.as_ref().is_some_and(|b| current_id != Some(b));
        let entity_id = current_id.cloned();
        let identity = Arc::new(Identity {
            principal: owner.principal.clone(),
            arn,
            user_id,
            account,
            temporary: owner.temporary,
            session_token_of_user: owner.session_token_of_user,
        });
        let policies = self.resolved(&owner.principal)?;
        if let Ok(mut cache) = self.cache.lock() {
            if cache.len() >= RESOLVED_CACHE_ENTRIES_MAX {
                cache.clear();
            }
            let c = Cached {
                generation,
                identity: Arc::clone(&identity),
                policies: Arc::clone(&policies),
                entity_id,
            };
            cache.insert(owner.principal.clone(), c);
        }
        if orphaned {
            return Ok((identity, Some(Arc::new(Resolved::default()))));
        }
        Ok((identity, Some(policies)))
    }

    fn resolved(&self, principal: &Principal) -> Result<Arc<Resolved>, String> {
        let state = self.store.state();
        let parse = |doc: &str| {
            Policy::parse(doc, PolicyKind::Identity)
                .map(Arc::new)
                .map_err(|e| format!("a stored policy does not parse: {e}"))
        };
        let mut r = Resolved::default();
        let managed = |arns: &std::collections::BTreeSet<String>, out: &mut Vec<Arc<Policy>>| {
            for arn in arns {
                if let Some(p) = state.policy(arn) {
                    out.push(parse(p.document())?);
                }
            }
            Ok::<(), String>(())
        };
        match principal {
            Principal::User { name } => {
                if let Some(u) = state.users.get(&name.to_lowercase()) {
                    for doc in u.inline.values() {
                        r.identity.push(parse(doc)?);
                    }
                    managed(&u.attached, &mut r.identity)?;
                    for g in &u.groups {
                        if let Some(g) = state.groups.get(&g.to_lowercase()) {
                            for doc in g.inline.values() {
                                r.identity.push(parse(doc)?);
                            }
                            managed(&g.attached, &mut r.identity)?;
                        }
                    }
                }
            }
            Principal::RoleSession { role, policy, .. } => {
                if let Some(role) = state.roles.get(&role.to_lowercase()) {
                    for doc in role.inline.values() {
                        r.identity.push(parse(doc)?);
                    }
                    managed(&role.attached, &mut r.identity)?;
                }
                if let Some(doc) = policy {
                    r.session = Some(parse(doc)?);
                }
            }
            Principal::Root | Principal::Anonymous => {}
        }
        Ok(Arc::new(r))
    }
}

/// A user's ARN.
pub fn user_arn(account: &str, path: &str, name: &str) -> String {
    format!("arn:aws:iam::{account}:user{path}{name}")
}
