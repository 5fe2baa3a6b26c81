//! CreateAccessKey, ListAccessKeys, UpdateAccessKey, DeleteAccessKey.
//!
//! The secret access key is in CreateAccessKey's answer and nowhere else, ever: it is sealed
//! in the store, never logged, never listed.

use super::users::{no_such_user, user_arn};
use super::{authorize, name, now, paging, Page, NAME_LEN_MAX};
use crate::http::service::Call;
use crate::iam::caller::Principal;
use crate::iam::error::{invalid_input, limit_exceeded, no_such_entity, validation};
use crate::iam::service::{Iam, XMLNS};
use crate::iam::store::model::KeyStatus;
use crate::iam::store::KEYS_PER_USER_MAX;
use crate::iam::xml::{iso8601, Answer};
use shale_aws::query::Form;
use shale_aws::{AwsError, Reply};

/// The user a key operation is about: `UserName`, or the calling user.
fn target_user(form: &Form, call: &Call<'_>) -> Result<String, AwsError> {
    if form.get("UserName").is_some() {
        return Ok(name(form, "UserName", NAME_LEN_MAX)?.to_string());
    }
    match &call.caller.identity.principal {
        Principal::User { name } => Ok(name.clone()),
        _ => Err(invalid_input(
            "The root's access key is set when the server starts (SHALE_ROOT_ACCESS_KEY_ID, \
             or <data-dir>/root-credentials): name an IAM user with UserName",
        )),
    }
}

fn no_such_key(id: &str) -> AwsError {
    no_such_entity(format!("The Access Key with id {id} cannot be found."))
}

pub(super) fn create(iam: &Iam, form: &Form, call: &Call<'_>) -> Result<Reply, AwsError> {
    let user = target_user(form, call)?;
    authorize(call, "iam:CreateAccessKey", &user_arn(iam, &user))?;
    let (key, secret, user_name) = iam.store().change(|e| {
        let u = e.state.users.get(&user.to_lowercase()).ok_or_else(|| no_such_user(&user))?;
        let user_name = u.name.clone();
        let n = e.state.keys.values().filter(|k| k.user.eq_ignore_ascii_case(&user_name)).count();
        if n >= KEYS_PER_USER_MAX {
            return Err(limit_exceeded(format!(
                "Cannot exceed quota for AccessKeysPerUser: {KEYS_PER_USER_MAX}"
            )));
        }
        let (key, secret) = e.add_key(&user_name, now())?;
        Ok((key, secret, user_name))
    })?;
    let mut a = Answer::new("CreateAccessKey", XMLNS);
    let w = a.w();
    w.open("AccessKey");
    w.leaf("UserName", &user_name);
    w.leaf("AccessKeyId", &key.id);
    w.leaf("Status", key.status.as_str());
    w.leaf("SecretAccessKey", &secret);
    w.leaf("CreateDate", &iso8601(key.created));
    w.close("AccessKey");
    Ok(a.finish(call.request_id))
}

pub(super) fn list(iam: &Iam, form: &Form, call: &Call<'_>) -> Result<Reply, AwsError> {
    let user = target_user(form, call)?;
    let paging = paging(form)?;
    authorize(call, "iam:ListAccessKeys", &user_arn(iam, &user))?;
    let state = iam.store().state();
    let u = state.users.get(&user.to_lowercase()).ok_or_else(|| no_such_user(&user))?;
    let page =
        Page::of(state.keys.iter().filter(|(_, k)| k.user.eq_ignore_ascii_case(&u.name)), &paging);
    let mut a = Answer::new("ListAccessKeys", XMLNS);
    a.w().leaf("UserName", &u.name);
    a.w().open("AccessKeyMetadata");
    for k in &page.items {
        let w = a.w();
        w.open("member");
        w.leaf("UserName", &u.name);
        w.leaf("AccessKeyId", &k.id);
        w.leaf("Status", k.status.as_str());
        w.leaf("CreateDate", &iso8601(k.created));
        w.close("member");
    }
    a.w().close("AccessKeyMetadata");
    page.finish(a.w());
    Ok(a.finish(call.request_id))
}

/// The key `AccessKeyId` names, checked to belong to the target user.
fn owned_key(iam: &Iam, form: &Form, user: &str) -> Result<String, AwsError> {
    let id = super::required(form, "AccessKeyId")?;
    if id.len() < 16 || id.len() > 128 || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(validation(format!(
            "1 validation error detected: Value '{id}' at 'accessKeyId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w]+"
        )));
    }
    let state = iam.store().state();
    if !state.users.contains_key(&user.to_lowercase()) {
        return Err(no_such_user(user));
    }
    match state.keys.get(id) {
        Some(k) if k.user.eq_ignore_ascii_case(user) => Ok(id.to_string()),
        _ => Err(no_such_key(id)),
    }
}

pub(super) fn update(iam: &Iam, form: &Form, call: &Call<'_>) -> Result<Reply, AwsError> {
    let user = target_user(form, call)?;
    let status = match super::required(form, "Status")? {
        "Active" => KeyStatus::Active,
        "Inactive" => KeyStatus::Inactive,
        other => {
            return Err(validation(format!(
                "1 validation error detected: Value '{other}' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive]"
            )))
        }
    };
    authorize(call, "iam:UpdateAccessKey", &user_arn(iam, &user))?;
    let id = owned_key(iam, form, &user)?;
    iam.store().change(|e| {
        if !e.state.keys.contains_key(&id) {
            return Err(no_such_key(&id));
        }
        e.set_key_status(&id, status);
        Ok(())
    })?;
    Ok(Answer::empty("UpdateAccessKey", XMLNS).finish(call.request_id))
}

pub(super) fn delete(iam: &Iam, form: &Form, call: &Call<'_>) -> Result<Reply, AwsError> {
    let user = target_user(form, call)?;
    authorize(call, "iam:DeleteAccessKey", &user_arn(iam, &user))?;
    let id = owned_key(iam, form, &user)?;
    iam.store().change(|e| {
        if !e.state.keys.contains_key(&id) {
            return Err(no_such_key(&id));
        }
        e.delete_key(&id);
        Ok(())
    })?;
    Ok(Answer::empty("DeleteAccessKey", XMLNS).finish(call.request_id))
}
