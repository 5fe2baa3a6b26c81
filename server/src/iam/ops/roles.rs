//! CreateRole, GetRole, ListRoles, DeleteRole. A role's trust policy
//! (`AssumeRolePolicyDocument`) says who may assume it (STS AssumeRole checks it).

use super::policies::document;
use super::{arn, authorize, name, now, paging, path, path_prefix, Page, NAME_LEN_MAX};
use crate::http::service::Call;
use crate::iam::error::{
    already_exists, delete_conflict, limit_exceeded, no_such_entity, validation,
};
use crate::iam::policy::PolicyKind;
use crate::iam::service::{Iam, XMLNS};
use crate::iam::store::model::Role;
use crate::iam::store::ROLES_MAX;
use crate::iam::xml::{iso8601, Answer};
use shale_aws::query::{Form, XmlWriter};
use shale_aws::{AwsError, Reply};

/// Shortest and longest `MaxSessionDuration`, in seconds.
pub const MAX_SESSION_SECS_RANGE: std::ops::RangeInclusive<u64> = 3600..=43200;

fn write_role(iam: &Iam, w: &mut XmlWriter, r: &Role) {
    w.leaf("Path", &r.path);
    w.leaf("RoleName", &r.name);
    w.leaf("RoleId", &r.id);
    w.leaf("Arn", &arn(iam, "role", &r.path, &r.name));
    w.leaf("CreateDate", &iso8601(r.created));
    w.leaf(
        "AssumeRolePolicyDocument",
        &shale_aws::sigv4::sign::uri_encode(r.trust.as_bytes(), false),
    );
    if let Some(d) = &r.description {
        w.leaf("Description", d);
    }
    w.leaf("MaxSessionDuration", &r.max_session_secs.to_string());
}

/// The error of a missing role.
pub fn no_such_role(name: &str) -> AwsError {
    no_such_entity(format!("The role with name {name} cannot be found."))
}

fn role_arn(iam: &Iam, name: &str) -> String {
    let state = iam.store().state();
    match state.roles.get(&name.to_lowercase()) {
        Some(r) => arn(iam, "role", &r.path, &r.name),
        None => arn(iam, "role", "/", name),
    }
}

pub(super) fn create(iam: &Iam, form: &Form, call: &Call<'_>) -> Result<Reply, AwsError> {
    let role = name(form, "RoleName", NAME_LEN_MAX)?;
    let path = path(form)?;
    let trust = document(form, "AssumeRolePolicyDocument", PolicyKind::Trust)?.to_string();
    let description = form.get("Description").map(str::to_string);
    let max_session_secs = match form.get("MaxSessionDuration") {
        None => 3600,
        Some(v) => match v.parse::<u64>() {
            Ok(n) if MAX_SESSION_SECS_RANGE.contains(&n) => n,
            _ => {
                return Err(validation(format!(
                    "1 validation error detected: Value '{v}' at 'maxSessionDuration' failed to satisfy constraint: Member must have value between 3600 and 43200"
                )))
            }
        },
    };
    authorize(call, "iam:CreateRole", &arn(iam, "role", &path, role))?;
    let r = iam.store().change(|e| {
        if e.state.roles.contains_key(&role.to_lowercase()) {
            return Err(already_exists(format!("Role with name {role} already exists.")));
        }
        if e.state.roles.len() >= ROLES_MAX {
            return Err(limit_exceeded(format!(
                "Cannot exceed quota for RolesPerAccount: {ROLES_MAX}"
            )));
        }
        let r = Role {
            name: role.to_string(),
            id: crate::iam::ids::id("AROA", 17).map_err(crate::iam::error::service_failure)?,
            path: path.clone(),
            created: now(),
            trust: trust.clone(),
            description: description.clone(),
            max_session_secs,
            inline: Default::default(),
            attached: Default::default(),
        };
        e.state.roles.insert(role.to_lowercase(), r.clone());
        e.role(role);
        Ok(r)
    })?;
    let mut a = Answer::new("CreateRole", XMLNS);
    a.w().open("Role");
    write_role(iam, a.w(), &r);
    a.w().close("Role");
    Ok(a.finish(call.request_id))
}

pub(super) fn get(iam: &Iam, form: &Form, call: &Call<'_>) -> Result<Reply, AwsError> {
    let role = name(form, "RoleName", NAME_LEN_MAX)?;
    authorize(call, "iam:GetRole", &role_arn(iam, role))?;
    let state = iam.store().state();
    let r = state.roles.get(&role.to_lowercase()).ok_or_else(|| no_such_role(role))?;
    let mut a = Answer::new("GetRole", XMLNS);
    a.w().open("Role");
    write_role(iam, a.w(), r);
    a.w().close("Role");
    Ok(a.finish(call.request_id))
}

pub(super) fn list(iam: &Iam, form: &Form, call: &Call<'_>) -> Result<Reply, AwsError> {
    let prefix = path_prefix(form)?;
    let paging = paging(form)?;
    authorize(call, "iam:ListRoles", &arn(iam, "role", "/", ""))?;
    let state = iam.store().state();
    let page = Page::of(state.roles.iter().filter(|(_, r)| r.path.starts_with(&prefix)), &paging);
    let mut a = Answer::new("ListRoles", XMLNS);
    a.w().open("Roles");
    for r in &page.items {
        a.w().open("member");
        write_role(iam, a.w(), r);
        a.w().close("member");
    }
    a.w().close("Roles");
    page.finish(a.w());
    Ok(a.finish(call.request_id))
}

pub(super) fn delete(iam: &Iam, form: &Form, call: &Call<'_>) -> Result<Reply, AwsError> {
    let role = name(form, "RoleName", NAME_LEN_MAX)?;
    authorize(call, "iam:DeleteRole", &role_arn(iam, role))?;
    iam.store().change(|e| {
        let key = role.to_lowercase();
        let r = e.state.roles.get(&key).ok_or_else(|| no_such_role(role))?;
        if !r.inline.is_empty() {
            return Err(delete_conflict("Cannot delete entity, must delete policies first."));
        }
        if !r.attached.is_empty() {
            return Err(delete_conflict("Cannot delete entity, must detach all policies first."));
        }
        e.state.roles.remove(&key);
        e.role(role);
        Ok(())
    })?;
    Ok(Answer::empty("DeleteRole", XMLNS).finish(call.request_id))
}
