//! The IAM operations: their registry, and what they share (parameters, paging, ARNs,
//! authorization).
//!
//! Every operation authorizes its caller first, for its action (`iam:CreateUser`) on the
//! resource it names (`arn:aws:iam::ACCOUNT:user/PATH/NAME`), then validates and acts. Names
//! are unique case-insensitively, as IAM's are.

mod groups;
mod keys;
mod policies;
mod roles;
#[cfg(test)]
mod tests;
mod users;

use super::error::{access_denied, validation};
use super::service::Iam;
use crate::http::service::{Call, Operation};
use shale_aws::query::{Form, XmlWriter};
use shale_aws::{AwsError, Reply};

/// An IAM operation's handler.
pub type Handler = fn(&Iam, &Form, &Call<'_>) -> Result<Reply, AwsError>;

macro_rules! op {
    ($name:literal, $handler:path) => {
        Operation { name: $name, iam_action: concat!("iam:", $name), handler: $handler }
    };
}

/// Every IAM operation served, by name.
pub static OPERATIONS: &[Operation<Handler>] = &[
    op!("AddUserToGroup", groups::add_user),
    op!("AttachGroupPolicy", policies::attach_group),
    op!("AttachRolePolicy", policies::attach_role),
    op!("AttachUserPolicy", policies::attach_user),
    op!("CreateAccessKey", keys::create),
    op!("CreateGroup", groups::create),
    op!("CreatePolicy", policies::create),
    op!("CreatePolicyVersion", policies::create_version),
    op!("CreateRole", roles::create),
    op!("CreateUser", users::create),
    op!("DeleteAccessKey", keys::delete),
    op!("DeleteGroup", groups::delete),
    op!("DeleteGroupPolicy", policies::delete_group_inline),
    op!("DeletePolicy", policies::delete),
    op!("DeletePolicyVersion", policies::delete_version),
    op!("DeleteRole", roles::delete),
    op!("DeleteRolePolicy", policies::delete_role_inline),
    op!("DeleteUser", users::delete),
    op!("DeleteUserPolicy", policies::delete_user_inline),
    op!("DetachGroupPolicy", policies::detach_group),
    op!("DetachRolePolicy", policies::detach_role),
    op!("DetachUserPolicy", policies::detach_user),
    op!("GetGroup", groups::get),
    op!("GetGroupPolicy", policies::get_group_inline),
    op!("GetPolicy", policies::get),
    op!("GetPolicyVersion", policies::get_version),
    op!("GetRole", roles::get),
    op!("GetRolePolicy", policies::get_role_inline),
    op!("GetUser", users::get),
    op!("GetUserPolicy", policies::get_user_inline),
    op!("ListAccessKeys", keys::list),
    op!("ListAttachedGroupPolicies", policies::list_attached_group),
    op!("ListAttachedRolePolicies", policies::list_attached_role),
    op!("ListAttachedUserPolicies", policies::list_attached_user),
    op!("ListGroupPolicies", policies::list_group_inline),
    op!("ListGroups", groups::list),
    op!("ListGroupsForUser", groups::list_for_user),
    op!("ListPolicies", policies::list),
    op!("ListPolicyVersions", policies::list_versions),
    op!("ListRolePolicies", policies::list_role_inline),
    op!("ListRoles", roles::list),
    op!("ListUserPolicies", policies::list_user_inline),
    op!("ListUsers", users::list),
    op!("PutGroupPolicy", policies::put_group_inline),
    op!("PutRolePolicy", policies::put_role_inline),
    op!("PutUserPolicy", policies::put_user_inline),
    op!("RemoveUserFromGroup", groups::remove_user),
    op!("SetDefaultPolicyVersion", policies::set_default_version),
    op!("UpdateAccessKey", keys::update),
];

/// Default and largest `MaxItems`.
pub const MAX_ITEMS_DEFAULT: usize = 100;
/// Largest `MaxItems`.
pub const MAX_ITEMS_MAX: usize = 1000;
/// Longest user, group or role name.
pub const NAME_LEN_MAX: usize = 64;
/// Longest policy name.
pub const POLICY_NAME_LEN_MAX: usize = 128;
/// Longest path.
pub const PATH_LEN_MAX: usize = 512;

/// `paramName` as IAM's validation messages name `ParamName`.
fn camel(name: &str) -> String {
    let mut c = name.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

/// A required parameter.
pub fn required<'f>(form: &'f Form, name: &str) -> Result<&'f str, AwsError> {
    form.get(name).ok_or_else(|| {
        validation(format!(
            "1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must not be null",
            camel(name)
        ))
    })
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_+=,.@-".contains(c)
}

/// A required name parameter of 1 to `len_max` characters of `[\w+=,.@-]`.
pub fn name<'f>(form: &'f Form, param: &str, len_max: usize) -> Result<&'f str, AwsError> {
    let v = required(form, param)?;
    check_name(v, param, len_max)?;
    Ok(v)
}

/// Checks a name's length and characters.
pub fn check_name(v: &str, param: &str, len_max: usize) -> Result<(), AwsError> {
    if v.is_empty() || v.chars().count() > len_max {
        return Err(validation(format!(
            "1 validation error detected: Value '{v}' at '{}' failed to satisfy constraint: Member must have length less than or equal to {len_max}",
            camel(param)
        )));
    }
    if !v.chars().all(is_name_char) {
        return Err(validation(format!(
            "1 validation error detected: Value '{v}' at '{}' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+",
            camel(param)
        )));
    }
    Ok(())
}

/// The `Path` parameter (default `/`): starts and ends with `/`, printable ASCII.
pub fn path(form: &Form) -> Result<String, AwsError> {
    let p = form.get("Path").unwrap_or("/");
    let ok = p.len() <= PATH_LEN_MAX
        && p.starts_with('/')
        && p.ends_with('/')
        && p.bytes().all(|b| (0x21..=0x7e).contains(&b));
    if !ok {
        return Err(validation(format!(
            "1 validation error detected: Value '{p}' at 'path' failed to satisfy constraint: Member must satisfy regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)"
        )));
    }
    Ok(p.to_string())
}

/// `PathPrefix` of the List operations (default `/`).
pub fn path_prefix(form: &Form) -> Result<String, AwsError> {
    let p = form.get("PathPrefix").unwrap_or("/");
    if p.len() > PATH_LEN_MAX || !p.starts_with('/') {
        return Err(validation(format!(
            "1 validation error detected: Value '{p}' at 'pathPrefix' failed to satisfy constraint: Member must satisfy regular expression pattern: \\u002F[\\u0021-\\u007F]*"
        )));
    }
    Ok(p.to_string())
}

/// `Marker` and `MaxItems` of a List operation.
pub struct Paging {
    /// The key to start at (inclusive).
    pub start: Option<String>,
    pub max_items: usize,
}

/// Reads `Marker` and `MaxItems` (1–1000, default 100).
pub fn paging(form: &Form) -> Result<Paging, AwsError> {
    let max_items = match form.get("MaxItems") {
        None => MAX_ITEMS_DEFAULT,
        Some(v) => match v.parse::<usize>() {
            Ok(n) if (1..=MAX_ITEMS_MAX).contains(&n) => n,
            _ => {
                return Err(validation(format!(
                    "1 validation error detected: Value '{v}' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and {MAX_ITEMS_MAX}"
                )))
            }
        },
    };
    let start = match form.get("Marker") {
        None => None,
        Some(m) => {
            use base64::Engine as _;
            let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(m)
                .ok()
                .and_then(|b| String::from_utf8(b).ok());
            match bytes {
                Some(s) => Some(s),
                None => return Err(validation("Invalid Marker.")),
            }
        }
    };
    Ok(Paging { start, max_items })
}

/// One page of `items` (key, value) in key order from the marker; writes `IsTruncated` and
/// `Marker` after the caller's list with [`Page::finish`].
pub struct Page<T> {
    pub items: Vec<T>,
    next: Option<String>,
}

impl<T> Page<T> {
    /// Takes up to `paging.max_items` of `items` (sorted by key) from the marker on.
    pub fn of<'k>(items: impl Iterator<Item = (&'k String, T)>, paging: &Paging) -> Page<T> {
        let mut out = Vec::new();
        let mut next = None;
        for (k, v) in items {
            if paging.start.as_ref().is_some_and(|s| k < s) {
                continue;
            }
            if out.len() == paging.max_items {
                next = Some(k.clone());
                break;
            }
            out.push(v);
        }
        Page { items: out, next }
    }

    /// `IsTruncated` and, when truncated, `Marker`.
    pub fn finish(&self, w: &mut XmlWriter) {
        w.leaf("IsTruncated", if self.next.is_some() { "true" } else { "false" });
        if let Some(n) = &self.next {
            use base64::Engine as _;
            w.leaf("Marker", &base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(n));
        }
    }
}

/// Authorizes the call's caller for `action` on `resource`.
pub fn authorize(call: &Call<'_>, action: &str, resource: &str) -> Result<(), AwsError> {
    authorize_with(call, action, resource, |_| {})
}

/// [`authorize`] with IAM's condition keys of the request (`iam:PolicyARN`) added.
pub fn authorize_with(
    call: &Call<'_>,
    action: &str,
    resource: &str,
    keys: impl FnOnce(&mut crate::iam::policy::Context),
) -> Result<(), AwsError> {
    let caller = call.caller;
    if caller.is_unrestricted() {
        return Ok(());
    }
    let mut context = caller.context();
    keys(&mut context);
    caller.authorize(action, resource, &context).map_err(|d| access_denied(d.message))
}

/// ARNs of IAM's resources.
pub fn arn(iam: &Iam, kind: &str, path: &str, name: &str) -> String {
    format!("arn:aws:iam::{}:{kind}{path}{name}", iam.store().account().id)
}

/// Seconds since the epoch, now.
pub fn now() -> u64 {
    super::store::now_secs()
}
