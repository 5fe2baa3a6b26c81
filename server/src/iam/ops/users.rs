//! CreateUser, GetUser, ListUsers, DeleteUser.

use super::{arn, authorize, name, now, paging, path, path_prefix, Page, NAME_LEN_MAX};
use crate::http::service::Call;
use crate::iam::caller::Principal;
use crate::iam::error::{already_exists, delete_conflict, no_such_entity};
use crate::iam::service::{Iam, XMLNS};
use crate::iam::store::model::User;
use crate::iam::store::USERS_MAX;
use crate::iam::xml::{iso8601, Answer};
use shale_aws::query::{Form, XmlWriter};
use shale_aws::{AwsError, Reply};

/// Writes a `<User>`'s members (inside an element the caller opened).
pub fn write_user(iam: &Iam, w: &mut XmlWriter, u: &User) {
    w.leaf("Path", &u.path);
    w.leaf("UserName", &u.name);
    w.leaf("UserId", &u.id);
    w.leaf("Arn", &arn(iam, "user", &u.path, &u.name));
    w.leaf("CreateDate", &iso8601(u.created));
}

/// The error of a missing user.
pub fn no_such_user(name: &str) -> AwsError {
    no_such_entity(format!("The user with name {name} cannot be found."))
}

/// The user called `name` (its resource ARN for authorization when it is missing uses `/`).
pub fn user_arn(iam: &Iam, name: &str) -> String {
    let state = iam.store().state();
    match state.users.get(&name.to_lowercase()) {
        Some(u) => arn(iam, "user", &u.path, &u.name),
        None => arn(iam, "user", "/", name),
    }
}

pub(super) fn create(iam: &Iam, form: &Form, call: &Call<'_>) -> Result<Reply, AwsError> {
    let user = name(form, "UserName", NAME_LEN_MAX)?;
    let path = path(form)?;
    authorize(call, "iam:CreateUser", &arn(iam, "user", &path, user))?;
    let u = iam.store().change(|e| {
        if e.state.users.contains_key(&user.to_lowercase()) {
            return Err(already_exists(format!("User with name {user} already exists.")));
        }
        if e.state.users.len() >= USERS_MAX {
            return Err(crate::iam::error::limit_exceeded(format!(
                "Cannot exceed quota for UsersPerAccount: {USERS_MAX}"
            )));
        }
        let u = User {
            name: user.to_string(),
            id: crate::iam::ids::id("AIDA", 17).map_err(crate::iam::error::service_failure)?,
            path: path.clone(),
            created: now(),
            inline: Default::default(),
            attached: Default::default(),
            groups: Default::default(),
        };
        e.state.users.insert(user.to_lowercase(), u.clone());
        e.user(user);
        Ok(u)
    })?;
    let mut a = Answer::new("CreateUser", XMLNS);
    a.w().open("User");
    write_user(iam, a.w(), &u);
    a.w().close("User");
    Ok(a.finish(call.request_id))
}

pub(super) fn get(iam: &Iam, form: &Form, call: &Call<'_>) -> Result<Reply, AwsError> {
    let state = iam.store().state();
    let mut a = Answer::new("GetUser", XMLNS);
    let wanted = match form.get("UserName") {
        Some(_) => Some(name(form, "UserName", NAME_LEN_MAX)?.to_string()),
        None => match &call.caller.identity.principal {
            Principal::User { name } => Some(name.clone()),
            Principal::Root | Principal::Anonymous => None,
            Principal::RoleSession { .. } => {
                return Err(crate::iam::error::validation(
                    "Must specify userName when calling with non-User credentials",
                ))
            }
        },
    };
    match wanted {
        Some(n) => {
            authorize(call, "iam:GetUser", &user_arn(iam, &n))?;
            let u = state.users.get(&n.to_lowercase()).ok_or_else(|| no_such_user(&n))?;
            a.w().open("User");
            write_user(iam, a.w(), u);
            a.w().close("User");
        }
        None => {
            // The root: the account's own identity.
            let account = &iam.store().account().id;
            a.w().open("User");
            a.w().leaf("UserId", account);
            a.w().leaf("Arn", &format!("arn:aws:iam::{account}:root"));
            a.w().leaf("CreateDate", &iso8601(0));
            a.w().close("User");
        }
    }
    Ok(a.finish(call.request_id))
}

pub(super) fn list(iam: &Iam, form: &Form, call: &Call<'_>) -> Result<Reply, AwsError> {
    let prefix = path_prefix(form)?;
    let paging = paging(form)?;
    authorize(call, "iam:ListUsers", &arn(iam, "user", "/", ""))?;
    let state = iam.store().state();
    let page = Page::of(state.users.iter().filter(|(_, u)| u.path.starts_with(&prefix)), &paging);
    let mut a = Answer::new("ListUsers", XMLNS);
    a.w().open("Users");
    for u in &page.items {
        a.w().open("member");
        write_user(iam, a.w(), u);
        a.w().close("member");
    }
    a.w().close("Users");
    page.finish(a.w());
    Ok(a.finish(call.request_id))
}

pub(super) fn delete(iam: &Iam, form: &Form, call: &Call<'_>) -> Result<Reply, AwsError> {
    let user = name(form, "UserName", NAME_LEN_MAX)?;
    authorize(call, "iam:DeleteUser", &user_arn(iam, user))?;
    iam.store().change(|e| {
        let key = user.to_lowercase();
        let u = e.state.users.get(&key).ok_or_else(|| no_such_user(user))?;
        if e.state.keys.values().any(|k| k.user.eq_ignore_ascii_case(&u.name)) {
            return Err(delete_conflict("Cannot delete entity, must delete access keys first."));
        }
        if !u.inline.is_empty() {
            return Err(delete_conflict("Cannot delete entity, must delete policies first."));
        }
        if !u.attached.is_empty() {
            return Err(delete_conflict("Cannot delete entity, must detach all policies first."));
        }
        if !u.groups.is_empty() {
            return Err(delete_conflict(
                "Cannot delete entity, must remove user from all groups first.",
            ));
        }
        e.state.users.remove(&key);
        e.user(user);
        Ok(())
    })?;
    Ok(Answer::empty("DeleteUser", XMLNS).finish(call.request_id))
}
