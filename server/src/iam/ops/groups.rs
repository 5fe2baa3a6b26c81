//! CreateGroup, GetGroup, ListGroups, ListGroupsForUser, DeleteGroup, AddUserToGroup,
//! RemoveUserFromGroup.

use super::users::{no_such_user, user_arn, write_user};
use super::{arn, authorize, name, now, paging, path, path_prefix, Page, NAME_LEN_MAX};
use crate::http::service::Call;
use crate::iam::error::{already_exists, delete_conflict, limit_exceeded, no_such_entity};
use crate::iam::service::{Iam, XMLNS};
use crate::iam::store::model::Group;
use crate::iam::store::GROUPS_MAX;
use crate::iam::xml::{iso8601, Answer};
use shale_aws::query::{Form, XmlWriter};
use shale_aws::{AwsError, Reply};

/// Most groups one user is in.
pub const GROUPS_PER_USER_MAX: usize = 10;

fn write_group(iam: &Iam, w: &mut XmlWriter, g: &Group) {
    w.leaf("Path", &g.path);
    w.leaf("GroupName", &g.name);
    w.leaf("GroupId", &g.id);
    w.leaf("Arn", &arn(iam, "group", &g.path, &g.name));
    w.leaf("CreateDate", &iso8601(g.created));
}

fn no_such_group(name: &str) -> AwsError {
    no_such_entity(format!("The group with name {name} cannot be found."))
}

fn group_arn(iam: &Iam, name: &str) -> String {
    let state = iam.store().state();
    match state.groups.get(&name.to_lowercase()) {
        Some(g) => arn(iam, "group", &g.path, &g.name),
        None => arn(iam, "group", "/", name),
    }
}

pub(super) fn create(iam: &Iam, form: &Form, call: &Call<'_>) -> Result<Reply, AwsError> {
    let group = name(form, "GroupName", 128)?;
    let path = path(form)?;
    authorize(call, "iam:CreateGroup", &arn(iam, "group", &path, group))?;
    let g = iam.store().change(|e| {
        if e.state.groups.contains_key(&group.to_lowercase()) {
            return Err(already_exists(format!("Group with name {group} already exists.")));
        }
        if e.state.groups.len() >= GROUPS_MAX {
            return Err(limit_exceeded(format!(
                "Cannot exceed quota for GroupsPerAccount: {GROUPS_MAX}"
            )));
        }
        let g = Group {
            name: group.to_string(),
            id: crate::iam::ids::id("AGPA", 17).map_err(crate::iam::error::service_failure)?,
            path: path.clone(),
            created: now(),
            inline: Default::default(),
            attached: Default::default(),
        };
        e.state.groups.insert(group.to_lowercase(), g.clone());
        e.group(group);
        Ok(g)
    })?;
    let mut a = Answer::new("CreateGroup", XMLNS);
    a.w().open("Group");
    write_group(iam, a.w(), &g);
    a.w().close("Group");
    Ok(a.finish(call.request_id))
}

pub(super) fn get(iam: &Iam, form: &Form, call: &Call<'_>) -> Result<Reply, AwsError> {
    let group = name(form, "GroupName", 128)?;
    let paging = paging(form)?;
    authorize(call, "iam:GetGroup", &group_arn(iam, group))?;
    let state = iam.store().state();
    let g = state.groups.get(&group.to_lowercase()).ok_or_else(|| no_such_group(group))?;
    let page = Page::of(
        state
            .users
            .iter()
            .filter(|(_, u)| u.groups.iter().any(|n| n.eq_ignore_ascii_case(&g.name))),
        &paging,
    );
    let mut a = Answer::new("GetGroup", XMLNS);
    a.w().open("Group");
    write_group(iam, a.w(), g);
    a.w().close("Group");
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

pub(super) fn list(iam: &Iam, form: &Form, call: &Call<'_>) -> Result<Reply, AwsError> {
    let prefix = path_prefix(form)?;
    let paging = paging(form)?;
    authorize(call, "iam:ListGroups", &arn(iam, "group", "/", ""))?;
    let state = iam.store().state();
    let page = Page::of(state.groups.iter().filter(|(_, g)| g.path.starts_with(&prefix)), &paging);
    let mut a = Answer::new("ListGroups", XMLNS);
    a.w().open("Groups");
    for g in &page.items {
        a.w().open("member");
        write_group(iam, a.w(), g);
        a.w().close("member");
    }
    a.w().close("Groups");
    page.finish(a.w());
    Ok(a.finish(call.request_id))
}

pub(super) fn list_for_user(iam: &Iam, form: &Form, call: &Call<'_>) -> Result<Reply, AwsError> {
    let user = name(form, "UserName", NAME_LEN_MAX)?;
    let paging = paging(form)?;
    authorize(call, "iam:ListGroupsForUser", &user_arn(iam, user))?;
    let state = iam.store().state();
    let u = state.users.get(&user.to_lowercase()).ok_or_else(|| no_such_user(user))?;
    let page = Page::of(
        state.groups.iter().filter(|(k, _)| u.groups.iter().any(|n| n.to_lowercase() == **k)),
        &paging,
    );
    let mut a = Answer::new("ListGroupsForUser", XMLNS);
    a.w().open("Groups");
    for g in &page.items {
        a.w().open("member");
        write_group(iam, a.w(), g);
        a.w().close("member");
    }
    a.w().close("Groups");
    page.finish(a.w());
    Ok(a.finish(call.request_id))
}

pub(super) fn delete(iam: &Iam, form: &Form, call: &Call<'_>) -> Result<Reply, AwsError> {
    let group = name(form, "GroupName", 128)?;
    authorize(call, "iam:DeleteGroup", &group_arn(iam, group))?;
    iam.store().change(|e| {
        let key = group.to_lowercase();
        let g = e.state.groups.get(&key).ok_or_else(|| no_such_group(group))?;
        if e.state.users.values().any(|u| u.groups.iter().any(|n| n.eq_ignore_ascii_case(&g.name)))
        {
            return Err(delete_conflict(
                "Cannot delete entity, must remove users from group first.",
            ));
        }
        if !g.inline.is_empty() {
            return Err(delete_conflict("Cannot delete entity, must delete policies first."));
        }
        if !g.attached.is_empty() {
            return Err(delete_conflict("Cannot delete entity, must detach all policies first."));
        }
        e.state.groups.remove(&key);
        e.group(group);
        Ok(())
    })?;
    Ok(Answer::empty("DeleteGroup", XMLNS).finish(call.request_id))
}

fn membership(iam: &Iam, form: &Form, call: &Call<'_>, add: bool) -> Result<Reply, AwsError> {
    let group = name(form, "GroupName", 128)?;
    let user = name(form, "UserName", NAME_LEN_MAX)?;
    let action = if add { "iam:AddUserToGroup" } else { "iam:RemoveUserFromGroup" };
    authorize(call, action, &group_arn(iam, group))?;
    iam.store().change(|e| {
        let g = e.state.groups.get(&group.to_lowercase()).ok_or_else(|| no_such_group(group))?;
        let gname = g.name.clone();
        let u = e.state.users.get_mut(&user.to_lowercase()).ok_or_else(|| no_such_user(user))?;
        if add {
            if !u.groups.contains(&gname) && u.groups.len() >= GROUPS_PER_USER_MAX {
                return Err(limit_exceeded(format!(
                    "Cannot exceed quota for GroupsPerUser: {GROUPS_PER_USER_MAX}"
                )));
            }
            u.groups.insert(gname);
        } else if !u.groups.remove(&gname) {
            return Err(no_such_entity(format!(
                "The user with name {user} cannot be found in group {group}."
            )));
        }
        e.user(user);
        Ok(())
    })?;
    let op = if add { "AddUserToGroup" } else { "RemoveUserFromGroup" };
    Ok(Answer::empty(op, XMLNS).finish(call.request_id))
}

pub(super) fn add_user(iam: &Iam, form: &Form, call: &Call<'_>) -> Result<Reply, AwsError> {
    membership(iam, form, call, true)
}

pub(super) fn remove_user(iam: &Iam, form: &Form, call: &Call<'_>) -> Result<Reply, AwsError> {
    membership(iam, form, call, false)
}
