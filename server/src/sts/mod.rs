//! STS on the endpoint: GetCallerIdentity, AssumeRole and GetSessionToken, in the AWS query
//! protocol (version 2011-06-15), signed for the `sts` service.
//!
//! Temporary credentials (`ASIA…` key, secret, session token) are kept in the IAM store with
//! their expiry, survive restarts, and stop working at expiry (`ExpiredTokenException`).
//! AssumeRole needs both the caller's identity policies to allow `sts:AssumeRole` on the role
//! (the root needs none) and the role's trust policy to name the caller.

use crate::http::service::{Address, Call, Operation, Service};
use crate::iam::caller::{Identity, Principal};
use crate::iam::error::{access_denied, validation};
use crate::iam::ops::check_name;
use crate::iam::policy::{self, Decision, Policy, PolicyKind, PrincipalMatch, Request};
use crate::iam::service::check_version;
use crate::iam::store::model::SessionOf;
use crate::iam::store::{now_secs, LiveSession, Store};
use crate::iam::xml::{iso8601, Answer};
use shale_aws::query::Form;
use shale_aws::{AwsError, Reply};
use std::sync::Arc;

/// STS's XML namespace.
pub const XMLNS: &str = "https://sts.amazonaws.com/doc/2011-06-15/";
/// The API version.
pub const VERSION: &str = "2011-06-15";
/// Shortest session, in seconds.
pub const DURATION_SECS_MIN: u64 = 900;
/// Longest GetSessionToken session of a user (36 hours) and of the root (1 hour).
pub const SESSION_TOKEN_SECS_MAX: u64 = 129_600;
/// Longest GetSessionToken session of the root.
pub const ROOT_SESSION_TOKEN_SECS_MAX: u64 = 3600;
/// Largest session policy, in characters without whitespace.
pub const SESSION_POLICY_SIZE_MAX: usize = 2048;

/// An STS operation's handler.
pub type Handler = fn(&Sts, &Form, &Call<'_>) -> Result<Reply, AwsError>;

/// Every STS operation served.
pub static OPERATIONS: &[Operation<Handler>] = &[
    Operation { name: "AssumeRole", iam_action: "sts:AssumeRole", handler: assume_role },
    Operation {
        name: "GetCallerIdentity",
        iam_action: "sts:GetCallerIdentity",
        handler: get_caller_identity,
    },
    Operation {
        name: "GetSessionToken",
        iam_action: "sts:GetSessionToken",
        handler: get_session_token,
    },
];

/// The STS service.
#[derive(Debug, Clone)]
pub struct Sts {
    store: Arc<Store>,
}

impl Sts {
    /// Over the IAM store.
    pub fn new(store: Arc<Store>) -> Sts {
        Sts { store }
    }
}

impl Service for Sts {
    type Handler = Handler;

    fn name(&self) -> &'static str {
        "sts"
    }

    fn address(&self) -> Address {
        Address { query: Some(("sts", XMLNS)), ..Address::default() }
    }

    fn signing_name(&self) -> &'static str {
        "sts"
    }

    fn operations(&self) -> &'static [Operation<Handler>] {
        OPERATIONS
    }

    fn runs_inline(&self, op: &Operation<Handler>) -> bool {
        op.name == "GetCallerIdentity"
    }

    fn call(&self, op: &Operation<Handler>, call: &Call<'_>) -> Result<Reply, AwsError> {
        let form = Form::parse(call.body)?;
        check_version(&form, VERSION)?;
        (op.handler)(self, &form, call)
    }

    fn internal(&self, message: String) -> AwsError {
        AwsError::receiver("InternalFailure", message)
    }
}

fn write_credentials(a: &mut Answer, live: &LiveSession) {
    let w = a.w();
    w.open("Credentials");
    w.leaf("AccessKeyId", &live.session.id);
    w.leaf("SecretAccessKey", &live.secret);
    w.leaf("SessionToken", &live.token);
    w.leaf("Expiration", &iso8601(live.session.expires));
    w.close("Credentials");
}

/// `DurationSeconds` (default one hour, at most `max`); `too_long` words the refusal of a
/// longer one.
fn duration(form: &Form, max: u64, too_long: &str) -> Result<u64, AwsError> {
    match form.get("DurationSeconds") {
        None => Ok(3600.min(max)),
        Some(v) => match v.parse::<u64>() {
            Ok(n) if n >= DURATION_SECS_MIN && n <= max => Ok(n),
            Ok(n) if n >= DURATION_SECS_MIN => Err(validation(too_long)),
            _ => Err(validation(format!(
                "1 validation error detected: Value '{v}' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to {DURATION_SECS_MIN}"
            ))),
        },
    }
}

fn get_caller_identity(_: &Sts, _: &Form, call: &Call<'_>) -> Result<Reply, AwsError> {
    // Always allowed: AWS lets every identity ask who it is, whatever its policies say.
    let id: &Identity = &call.caller.identity;
    let mut a = Answer::new("GetCallerIdentity", XMLNS);
    a.w().leaf("UserId", &id.user_id);
    a.w().leaf("Account", &id.account);
    a.w().leaf("Arn", &id.arn);
    Ok(a.finish(call.request_id))
}

fn get_session_token(sts: &Sts, form: &Form, call: &Call<'_>) -> Result<Reply, AwsError> {
    let caller = call.caller;
    let (of, max) = match &caller.identity.principal {
        Principal::Root | Principal::Anonymous => (SessionOf::Root, ROOT_SESSION_TOKEN_SECS_MAX),
        Principal::User { name } => {
            let id = sts.store.state().users.get(&name.to_lowercase()).map(|u| u.id.clone());
            let id =
                id.ok_or_else(|| access_denied("The user of these credentials no longer exists"))?;
            (SessionOf::User { name: name.clone(), id }, SESSION_TOKEN_SECS_MAX)
        }
        Principal::RoleSession { .. } => {
            return Err(access_denied("Cannot call GetSessionToken with session credentials"))
        }
    };
    if caller.identity.temporary {
        return Err(access_denied("Cannot call GetSessionToken with session credentials"));
    }
    let secs = match form.get("DurationSeconds") {
        None => 43_200.min(max),
        Some(_) => duration(
            form,
            max,
            &format!(
                "1 validation error detected: Value at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to {max}"
            ),
        )?,
    };
    let live = sts.store.create_session(of, now_secs() + secs)?;
    let mut a = Answer::new("GetSessionToken", XMLNS);
    write_credentials(&mut a, &live);
    Ok(a.finish(call.request_id))
}

fn assume_role(sts: &Sts, form: &Form, call: &Call<'_>) -> Result<Reply, AwsError> {
    let caller = call.caller;
    let role_arn = crate::iam::ops::required(form, "RoleArn")?;
    let session = crate::iam::ops::required(form, "RoleSessionName")?;
    if session.len() < 2 {
        return Err(validation(format!(
            "1 validation error detected: Value '{session}' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2"
        )));
    }
    check_name(session, "RoleSessionName", 64)?;
    let session_policy = match form.get("Policy") {
        None => None,
        Some(doc) => {
            Policy::parse(doc, PolicyKind::Identity)
                .map_err(|e| crate::iam::error::malformed_policy(e.to_string()))?;
            let size = doc.chars().filter(|c| !c.is_whitespace()).count();
            if size > SESSION_POLICY_SIZE_MAX {
                return Err(AwsError::sender(
                    "PackedPolicyTooLarge",
                    format!("Packed size of the session policy exceeds {SESSION_POLICY_SIZE_MAX} characters."),
                ));
            }
            Some(doc.to_string())
        }
    };
    let denied = || {
        access_denied(format!(
            "User: {} is not authorized to perform: sts:AssumeRole on resource: {role_arn}",
            caller.identity.arn
        ))
    };
    let account = sts.store.account().id.clone();
    let role_name = role_arn
        .strip_prefix(&format!("arn:aws:iam::{account}:role"))
        .and_then(|rest| rest.rsplit('/').next())
        .filter(|n| !n.is_empty())
        .ok_or_else(denied)?;
    let state = sts.store.state();
    let role = state.roles.get(&role_name.to_lowercase()).ok_or_else(denied)?;
    let exact_arn = format!("arn:aws:iam::{account}:role{}{}", role.path, role.name);
    if exact_arn != role_arn {
        return Err(denied());
    }
    // The caller's own policies must allow it (the root needs none)…
    caller.authorize("sts:AssumeRole", role_arn, &caller.context()).map_err(|_| denied())?;
    // …and the role must trust the caller.
    let trust = Policy::parse(&role.trust, PolicyKind::Trust).map_err(|e| {
        crate::iam::error::service_failure(format!("role {} trust policy: {e}", role.name))
    })?;
    let principal = PrincipalMatch { arn: caller.identity.arn.clone(), account: account.clone() };
    let context = caller.context();
    let request = Request {
        action: "sts:AssumeRole",
        resource: role_arn,
        context: &context,
        principal: Some(&principal),
    };
    if policy::evaluate([&trust], &request) != Decision::Allow {
        return Err(denied());
    }
    let secs = duration(
        form,
        role.max_session_secs,
        "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
    )?;
    let of = SessionOf::Role {
        name: role.name.clone(),
        id: role.id.clone(),
        session_name: session.to_string(),
        policy: session_policy.clone(),
    };
    let role_id = role.id.clone();
    let role_name = role.name.clone();
    drop(state);
    let live = sts.store.create_session(of, now_secs() + secs)?;
    let mut a = Answer::new("AssumeRole", XMLNS);
    write_credentials(&mut a, &live);
    a.w().open("AssumedRoleUser");
    a.w().leaf("AssumedRoleId", &format!("{role_id}:{session}"));
    a.w().leaf("Arn", &format!("arn:aws:sts::{account}:assumed-role/{role_name}/{session}"));
    a.w().close("AssumedRoleUser");
    if let Some(p) = &session_policy {
        let size = p.chars().filter(|c| !c.is_whitespace()).count();
        a.w().leaf("PackedPolicySize", &(size * 100 / SESSION_POLICY_SIZE_MAX).to_string());
    }
    Ok(a.finish(call.request_id))
}
