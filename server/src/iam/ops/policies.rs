//! Policies: inline policies of users, groups and roles (Put/Get/List/Delete…Policy); customer
//! managed policies (CreatePolicy, GetPolicy, ListPolicies, DeletePolicy) and their versions
//! (CreatePolicyVersion, GetPolicyVersion, ListPolicyVersions, DeletePolicyVersion,
//! SetDefaultPolicyVersion); attaching managed policies (Attach/Detach/ListAttached…Policies).
//!
//! A managed policy has at most [`POLICY_VERSIONS_MAX`] versions, `v1`, `v2`, … (a deleted
//! version's id is never given again); its default version is the one policy evaluation uses,
//! so changing it changes what the policy allows on the next request.
//!
//! Documents are validated by the policy parser ([`crate::iam::policy`]) before they are
//! stored: a document that does not parse is `MalformedPolicyDocument`, and a stored one
//! always parses. Documents are returned URL-encoded, as IAM returns them (the SDKs decode
//! them).

use super::{arn, authorize, name, now, paging, path, path_prefix, required, Page};
use super::{NAME_LEN_MAX, POLICY_NAME_LEN_MAX};
use crate::http::service::Call;
use crate::iam::error::{
    already_exists, delete_conflict, invalid_input, limit_exceeded, malformed_policy,
    no_such_entity, validation,
};
use crate::iam::policy::{Policy, PolicyKind};
use crate::iam::service::{Iam, XMLNS};
use crate::iam::store::model::{ManagedPolicy, PolicyVersion};
use crate::iam::store::{builtin, State, MANAGED_POLICIES_MAX, POLICY_VERSIONS_MAX};
use crate::iam::xml::{iso8601, Answer};
use shale_aws::query::{Form, XmlWriter};
use shale_aws::{AwsError, Reply};
use std::collections::{BTreeMap, BTreeSet};

/// Most managed policies attached to one user, group or role.
pub const ATTACHED_MAX: usize = 10;
/// Largest managed policy document, in characters without whitespace.
pub const MANAGED_POLICY_SIZE_MAX: usize = 6144;
/// Largest policy document accepted at all, in bytes.
pub const POLICY_DOCUMENT_LEN_MAX: usize = 131_072;

/// Whose policies an operation is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Owner {
    User,
    Group,
    Role,
}

impl Owner {
    fn param(self) -> &'static str {
        match self {
            Owner::User => "UserName",
            Owner::Group => "GroupName",
            Owner::Role => "RoleName",
        }
    }
    fn kind(self) -> &'static str {
        match self {
            Owner::User => "user",
            Owner::Group => "group",
            Owner::Role => "role",
        }
    }
    fn title(self) -> &'static str {
        match self {
            Owner::User => "User",
            Owner::Group => "Group",
            Owner::Role => "Role",
        }
    }
    /// IAM's quota on the total size of an owner's inline policies.
    fn inline_size_max(self) -> usize {
        match self {
            Owner::User => 2048,
            Owner::Group => 5120,
            Owner::Role => 10240,
        }
    }
    fn missing(self, name: &str) -> AwsError {
        no_such_entity(format!("The {} with name {name} cannot be found.", self.kind()))
    }
    /// The owner's path and exact name, if it exists.
    fn find(self, s: &State, name: &str) -> Option<(String, String)> {
        let k = name.to_lowercase();
        match self {
            Owner::User => s.users.get(&k).map(|u| (u.path.clone(), u.name.clone())),
            Owner::Group => s.groups.get(&k).map(|g| (g.path.clone(), g.name.clone())),
            Owner::Role => s.roles.get(&k).map(|r| (r.path.clone(), r.name.clone())),
        }
    }
    fn parts<'s>(
        self,
        s: &'s mut State,
        name: &str,
    ) -> Option<(&'s mut BTreeMap<String, String>, &'s mut BTreeSet<String>)> {
        let k = name.to_lowercase();
        match self {
            Owner::User => s.users.get_mut(&k).map(|u| (&mut u.inline, &mut u.attached)),
            Owner::Group => s.groups.get_mut(&k).map(|g| (&mut g.inline, &mut g.attached)),
            Owner::Role => s.roles.get_mut(&k).map(|r| (&mut r.inline, &mut r.attached)),
        }
    }
    fn parts_ref<'s>(
        self,
        s: &'s State,
        name: &str,
    ) -> Option<(&'s BTreeMap<String, String>, &'s BTreeSet<String>)> {
        let k = name.to_lowercase();
        match self {
            Owner::User => s.users.get(&k).map(|u| (&u.inline, &u.attached)),
            Owner::Group => s.groups.get(&k).map(|g| (&g.inline, &g.attached)),
            Owner::Role => s.roles.get(&k).map(|r| (&r.inline, &r.attached)),
        }
    }
    fn touch(self, e: &mut crate::iam::store::Edit<'_>, name: &str) {
        match self {
            Owner::User => e.user(name),
            Owner::Group => e.group(name),
            Owner::Role => e.role(name),
        }
    }
}

/// The owner's name from the form, and the ARN its operations authorize against.
fn owner_of(iam: &Iam, form: &Form, owner: Owner) -> Result<(String, String), AwsError> {
    let n = name(form, owner.param(), NAME_LEN_MAX)?.to_string();
    let state = iam.store().state();
    let resource = match owner.find(&state, &n) {
        Some((p, exact)) => arn(iam, owner.kind(), &p, &exact),
        None => arn(iam, owner.kind(), "/", &n),
    };
    Ok((n, resource))
}

/// Characters of a document without whitespace (what IAM's size quotas count).
fn policy_size(doc: &str) -> usize {
    doc.chars().filter(|c| !c.is_whitespace()).count()
}

/// A document from the form, parsed as `kind`.
pub(super) fn document<'f>(
    form: &'f Form,
    param: &str,
    kind: PolicyKind,
) -> Result<&'f str, AwsError> {
    let doc = required(form, param)?;
    if doc.is_empty() || doc.len() > POLICY_DOCUMENT_LEN_MAX {
        return Err(validation(format!(
            "1 validation error detected: Value at '{}' failed to satisfy constraint: Member must have length less than or equal to {POLICY_DOCUMENT_LEN_MAX}",
            super::camel(param)
        )));
    }
    Policy::parse(doc, kind).map_err(|e| malformed_policy(e.to_string()))?;
    Ok(doc)
}

fn policy_name(form: &Form) -> Result<&str, AwsError> {
    name(form, "PolicyName", POLICY_NAME_LEN_MAX)
}

fn put_inline(iam: &Iam, form: &Form, call: &Call<'_>, owner: Owner) -> Result<Reply, AwsError> {
    let (n, resource) = owner_of(iam, form, owner)?;
    let pname = policy_name(form)?.to_string();
    let doc = document(form, "PolicyDocument", PolicyKind::Identity)?.to_string();
    authorize(call, &format!("iam:Put{}Policy", owner.title()), &resource)?;
    iam.store().change(|e| {
        let (inline, _) = owner.parts(e.state, &n).ok_or_else(|| owner.missing(&n))?;
        let others: usize =
            inline.iter().filter(|(k, _)| **k != pname).map(|(_, d)| policy_size(d)).sum();
        if others + policy_size(&doc) > owner.inline_size_max() {
            return Err(limit_exceeded(format!(
                "Maximum policy size of {} bytes exceeded for {} {n}",
                owner.inline_size_max(),
                owner.kind()
            )));
        }
        inline.insert(pname.clone(), doc.clone());
        owner.touch(e, &n);
        Ok(())
    })?;
    let op = match owner {
        Owner::User => "PutUserPolicy",
        Owner::Group => "PutGroupPolicy",
        Owner::Role => "PutRolePolicy",
    };
    Ok(Answer::empty(op, XMLNS).finish(call.request_id))
}

fn get_inline(iam: &Iam, form: &Form, call: &Call<'_>, owner: Owner) -> Result<Reply, AwsError> {
    let (n, resource) = owner_of(iam, form, owner)?;
    let pname = policy_name(form)?;
    authorize(call, &format!("iam:Get{}Policy", owner.title()), &resource)?;
    let state = iam.store().state();
    let (inline, _) = owner.parts_ref(&state, &n).ok_or_else(|| owner.missing(&n))?;
    let doc = inline.get(pname).ok_or_else(|| {
        no_such_entity(format!("The {} policy with name {pname} cannot be found.", owner.kind()))
    })?;
    let (_, exact) = owner.find(&state, &n).unwrap_or_default();
    let op = match owner {
        Owner::User => "GetUserPolicy",
        Owner::Group => "GetGroupPolicy",
        Owner::Role => "GetRolePolicy",
    };
    let mut a = Answer::new(op, XMLNS);
    a.w().leaf(owner.param(), &exact);
    a.w().leaf("PolicyName", pname);
    a.w().leaf("PolicyDocument", &encode_document(doc));
    Ok(a.finish(call.request_id))
}

fn list_inline(iam: &Iam, form: &Form, call: &Call<'_>, owner: Owner) -> Result<Reply, AwsError> {
    let (n, resource) = owner_of(iam, form, owner)?;
    let paging = paging(form)?;
    authorize(call, &format!("iam:List{}Policies", owner.title()), &resource)?;
    let state = iam.store().state();
    let (inline, _) = owner.parts_ref(&state, &n).ok_or_else(|| owner.missing(&n))?;
    let page = Page::of(inline.keys().map(|k| (k, k)), &paging);
    let op = match owner {
        Owner::User => "ListUserPolicies",
        Owner::Group => "ListGroupPolicies",
        Owner::Role => "ListRolePolicies",
    };
    let mut a = Answer::new(op, XMLNS);
    a.w().open("PolicyNames");
    for k in &page.items {
        a.w().leaf("member", k);
    }
    a.w().close("PolicyNames");
    page.finish(a.w());
    Ok(a.finish(call.request_id))
}

fn delete_inline(iam: &Iam, form: &Form, call: &Call<'_>, owner: Owner) -> Result<Reply, AwsError> {
    let (n, resource) = owner_of(iam, form, owner)?;
    let pname = policy_name(form)?.to_string();
    authorize(call, &format!("iam:Delete{}Policy", owner.title()), &resource)?;
    iam.store().change(|e| {
        let (inline, _) = owner.parts(e.state, &n).ok_or_else(|| owner.missing(&n))?;
        if inline.remove(&pname).is_none() {
            return Err(no_such_entity(format!(
                "The {} policy with name {pname} cannot be found.",
                owner.kind()
            )));
        }
        owner.touch(e, &n);
        Ok(())
    })?;
    let op = match owner {
        Owner::User => "DeleteUserPolicy",
        Owner::Group => "DeleteGroupPolicy",
        Owner::Role => "DeleteRolePolicy",
    };
    Ok(Answer::empty(op, XMLNS).finish(call.request_id))
}

/// A document as IAM returns it: URL-encoded.
fn encode_document(doc: &str) -> String {
    shale_aws::sigv4::sign::uri_encode(doc.as_bytes(), false)
}

fn policy_arn(form: &Form) -> Result<&str, AwsError> {
    let a = required(form, "PolicyArn")?;
    let ok = a.len() >= 20
        && a.len() <= 2048
        && a.starts_with("arn:aws:iam::")
        && a.contains(":policy/");
    if !ok {
        return Err(invalid_input(format!("ARN {a} is not valid.")));
    }
    Ok(a)
}

fn attach(
    iam: &Iam,
    form: &Form,
    call: &Call<'_>,
    owner: Owner,
    on: bool,
) -> Result<Reply, AwsError> {
    let (n, resource) = owner_of(iam, form, owner)?;
    let parn = policy_arn(form)?.to_string();
    let verb = if on { "Attach" } else { "Detach" };
    let action = format!("iam:{verb}{}Policy", owner.title());
    super::authorize_with(call, &action, &resource, |c| c.set("iam:PolicyARN", parn.clone()))?;
    iam.store().change(|e| {
        let exists = e.state.policy(&parn).is_some();
        let (_, attached) = owner.parts(e.state, &n).ok_or_else(|| owner.missing(&n))?;
        if on {
            if !exists {
                return Err(no_such_entity(format!(
                    "Policy {parn} does not exist or is not attachable."
                )));
            }
            if !attached.contains(&parn) && attached.len() >= ATTACHED_MAX {
                return Err(limit_exceeded(format!(
                    "Cannot exceed quota for PoliciesPer{}: {ATTACHED_MAX}",
                    owner.title()
                )));
            }
            attached.insert(parn.clone());
        } else if !attached.remove(&parn) {
            return Err(no_such_entity(format!("Policy {parn} was not found.")));
        }
        owner.touch(e, &n);
        Ok(())
    })?;
    let op = match (owner, on) {
        (Owner::User, true) => "AttachUserPolicy",
        (Owner::Group, true) => "AttachGroupPolicy",
        (Owner::Role, true) => "AttachRolePolicy",
        (Owner::User, false) => "DetachUserPolicy",
        (Owner::Group, false) => "DetachGroupPolicy",
        (Owner::Role, false) => "DetachRolePolicy",
    };
    Ok(Answer::empty(op, XMLNS).finish(call.request_id))
}

fn list_attached(iam: &Iam, form: &Form, call: &Call<'_>, owner: Owner) -> Result<Reply, AwsError> {
    let (n, resource) = owner_of(iam, form, owner)?;
    let paging = paging(form)?;
    let prefix = path_prefix(form)?;
    authorize(call, &format!("iam:ListAttached{}Policies", owner.title()), &resource)?;
    let state = iam.store().state();
    let (_, attached) = owner.parts_ref(&state, &n).ok_or_else(|| owner.missing(&n))?;
    let policies: Vec<(String, ManagedPolicy)> = attached
        .iter()
        .filter_map(|a| state.policy(a).map(|p| (a.clone(), p)))
        .filter(|(_, p)| p.path.starts_with(&prefix))
        .collect();
    let page = Page::of(policies.iter().map(|(a, p)| (a, (a, p))), &paging);
    let op = match owner {
        Owner::User => "ListAttachedUserPolicies",
        Owner::Group => "ListAttachedGroupPolicies",
        Owner::Role => "ListAttachedRolePolicies",
    };
    let mut a = Answer::new(op, XMLNS);
    a.w().open("AttachedPolicies");
    for (parn, p) in &page.items {
        a.w().open("member");
        a.w().leaf("PolicyName", &p.name);
        a.w().leaf("PolicyArn", parn);
        a.w().close("member");
    }
    a.w().close("AttachedPolicies");
    page.finish(a.w());
    Ok(a.finish(call.request_id))
}

/// How many users, groups and roles have `arn` attached.
fn attachment_count(s: &State, arn: &str) -> usize {
    s.users.values().filter(|u| u.attached.contains(arn)).count()
        + s.groups.values().filter(|g| g.attached.contains(arn)).count()
        + s.roles.values().filter(|r| r.attached.contains(arn)).count()
}

fn write_policy(w: &mut XmlWriter, parn: &str, p: &ManagedPolicy, attachments: usize) {
    w.leaf("PolicyName", &p.name);
    w.leaf("PolicyId", &p.id);
    w.leaf("Arn", parn);
    w.leaf("Path", &p.path);
    w.leaf("DefaultVersionId", &p.operative().id());
    w.leaf("AttachmentCount", &attachments.to_string());
    w.leaf("PermissionsBoundaryUsageCount", "0");
    w.leaf("IsAttachable", "true");
    if let Some(d) = &p.description {
        w.leaf("Description", d);
    }
    w.leaf("CreateDate", &iso8601(p.created));
    w.leaf("UpdateDate", &iso8601(p.updated()));
}

pub(super) fn create(iam: &Iam, form: &Form, call: &Call<'_>) -> Result<Reply, AwsError> {
    let pname = policy_name(form)?.to_string();
    let path = path(form)?;
    let doc = managed_document(form)?;
    let description = form.get("Description").map(str::to_string);
    if description.as_ref().is_some_and(|d| d.chars().count() > 1000) {
        return Err(validation("1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 1000"));
    }
    let parn = arn(iam, "policy", &path, &pname);
    authorize(call, "iam:CreatePolicy", &parn)?;
    check_managed_size(&doc)?;
    let p = iam.store().change(|e| {
        if e.state.policies.values().any(|p| p.name.eq_ignore_ascii_case(&pname)) {
            return Err(already_exists(format!(
                "A policy called {pname} already exists. Duplicate names are not allowed."
            )));
        }
        if e.state.policies.len() >= MANAGED_POLICIES_MAX {
            return Err(limit_exceeded(format!(
                "Cannot exceed quota for PoliciesPerAccount: {MANAGED_POLICIES_MAX}"
            )));
        }
        let p = ManagedPolicy::new(
            pname.clone(),
            crate::iam::ids::id("ANPA", 17).map_err(crate::iam::error::service_failure)?,
            path.clone(),
            now(),
            doc.clone(),
            description.clone(),
        );
        e.state.policies.insert(parn.clone(), p.clone());
        e.policy(&parn);
        Ok(p)
    })?;
    let mut a = Answer::new("CreatePolicy", XMLNS);
    a.w().open("Policy");
    write_policy(a.w(), &parn, &p, 0);
    a.w().close("Policy");
    Ok(a.finish(call.request_id))
}

fn no_such_policy(parn: &str) -> AwsError {
    no_such_entity(format!("Policy {parn} was not found."))
}

pub(super) fn get(iam: &Iam, form: &Form, call: &Call<'_>) -> Result<Reply, AwsError> {
    let parn = policy_arn(form)?;
    authorize(call, "iam:GetPolicy", parn)?;
    let state = iam.store().state();
    let p = state.policy(parn).ok_or_else(|| no_such_policy(parn))?;
    let mut a = Answer::new("GetPolicy", XMLNS);
    a.w().open("Policy");
    write_policy(a.w(), parn, &p, attachment_count(&state, parn));
    a.w().close("Policy");
    Ok(a.finish(call.request_id))
}

/// The `VersionId` parameter: its number, or None for an id of IAM's pattern that no version
/// of this server has (`v1.x`: IAM's pattern allows a suffix; `v` and a number too large).
fn version_id(form: &Form) -> Result<(&str, Option<u32>), AwsError> {
    let v = required(form, "VersionId")?;
    let (digits, suffix) = match v.strip_prefix('v') {
        Some(rest) => rest.split_once('.').map_or((rest, None), |(d, s)| (d, Some(s))),
        None => ("", None),
    };
    let ok = !digits.is_empty()
        && !digits.starts_with('0')
        && digits.bytes().all(|b| b.is_ascii_digit())
        && suffix.is_none_or(|s| s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
    if !ok {
        return Err(validation(format!(
            "1 validation error detected: Value '{v}' at 'versionId' failed to satisfy constraint: Member must satisfy regular expression pattern: v[1-9][0-9]*(\\.[A-Za-z0-9-]*)?"
        )));
    }
    let number = if suffix.is_some() { None } else { digits.parse::<u32>().ok() };
    Ok((v, number))
}

/// A managed policy's document from `PolicyDocument`, validated as CreatePolicy and
/// CreatePolicyVersion validate it.
fn managed_document(form: &Form) -> Result<String, AwsError> {
    Ok(document(form, "PolicyDocument", PolicyKind::Identity)?.to_string())
}

/// IAM's quota on a managed policy document's size.
fn check_managed_size(doc: &str) -> Result<(), AwsError> {
    if policy_size(doc) > MANAGED_POLICY_SIZE_MAX {
        return Err(limit_exceeded(format!(
            "Cannot exceed quota for PolicySize: {MANAGED_POLICY_SIZE_MAX}"
        )));
    }
    Ok(())
}

/// An optional boolean parameter (`true`/`false`, as the SDKs send them).
fn flag(form: &Form, param: &str) -> Result<bool, AwsError> {
    match form.get(param) {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(v) => {
            Err(validation(format!("Invalid value '{v}' for {param}: expected true or false")))
        }
    }
}

/// The refusal of a change to an AWS managed policy's versions.
fn aws_managed(parn: &str) -> AwsError {
    invalid_input(format!("Cannot modify an AWS managed policy: {parn}"))
}

fn write_version(w: &mut XmlWriter, v: &PolicyVersion, default: bool, document: bool) {
    if document {
        w.leaf("Document", &encode_document(&v.document));
    }
    w.leaf("VersionId", &v.id());
    w.leaf("IsDefaultVersion", if default { "true" } else { "false" });
    w.leaf("CreateDate", &iso8601(v.created));
}

pub(super) fn create_version(iam: &Iam, form: &Form, call: &Call<'_>) -> Result<Reply, AwsError> {
    let parn = policy_arn(form)?.to_string();
    let doc = managed_document(form)?;
    let set_as_default = flag(form, "SetAsDefault")?;
    authorize(call, "iam:CreatePolicyVersion", &parn)?;
    check_managed_size(&doc)?;
    if builtin::get(&parn).is_some() {
        return Err(aws_managed(&parn));
    }
    let v = iam.store().change(|e| {
        let p = e.state.policies.get_mut(&parn).ok_or_else(|| no_such_policy(&parn))?;
        if p.versions.len() >= POLICY_VERSIONS_MAX {
            return Err(limit_exceeded(format!(
                "A managed policy can have up to {POLICY_VERSIONS_MAX} versions. Before you create a new version, you must delete an existing version."
            )));
        }
        let number = p.last_version.checked_add(1).ok_or_else(|| {
            limit_exceeded("Cannot exceed the number of versions a policy can be given.")
        })?;
        let v = PolicyVersion { number, document: doc.clone(), created: now() };
        p.versions.push(v.clone());
        p.last_version = number;
        if set_as_default {
            p.default_version = number;
        }
        e.policy(&parn);
        Ok(v)
    })?;
    let mut a = Answer::new("CreatePolicyVersion", XMLNS);
    a.w().open("PolicyVersion");
    write_version(a.w(), &v, set_as_default, false);
    a.w().close("PolicyVersion");
    Ok(a.finish(call.request_id))
}

fn no_such_version(parn: &str, version: &str, why: &str) -> AwsError {
    no_such_entity(format!("Policy {parn} version {version} does not exist or is not {why}."))
}

pub(super) fn get_version(iam: &Iam, form: &Form, call: &Call<'_>) -> Result<Reply, AwsError> {
    let parn = policy_arn(form)?;
    let (version, number) = version_id(form)?;
    authorize(call, "iam:GetPolicyVersion", parn)?;
    let state = iam.store().state();
    let p = state.policy(parn).ok_or_else(|| no_such_policy(parn))?;
    let v = number
        .and_then(|n| p.version(n))
        .ok_or_else(|| no_such_version(parn, version, "attachable"))?;
    let mut a = Answer::new("GetPolicyVersion", XMLNS);
    a.w().open("PolicyVersion");
    write_version(a.w(), v, v.number == p.default_version, true);
    a.w().close("PolicyVersion");
    Ok(a.finish(call.request_id))
}

pub(super) fn list_versions(iam: &Iam, form: &Form, call: &Call<'_>) -> Result<Reply, AwsError> {
    let parn = policy_arn(form)?;
    let paging = paging(form)?;
    authorize(call, "iam:ListPolicyVersions", parn)?;
    let state = iam.store().state();
    let p = state.policy(parn).ok_or_else(|| no_such_policy(parn))?;
    // Newest first, as IAM lists them: keys that sort that way.
    let rows: Vec<(String, &PolicyVersion)> =
        p.versions.iter().rev().map(|v| (format!("{:010}", u32::MAX - v.number), v)).collect();
    let page = Page::of(rows.iter().map(|(k, v)| (k, *v)), &paging);
    let mut a = Answer::new("ListPolicyVersions", XMLNS);
    a.w().open("Versions");
    for v in &page.items {
        a.w().open("member");
        write_version(a.w(), v, v.number == p.default_version, false);
        a.w().close("member");
    }
    a.w().close("Versions");
    page.finish(a.w());
    Ok(a.finish(call.request_id))
}

pub(super) fn delete_version(iam: &Iam, form: &Form, call: &Call<'_>) -> Result<Reply, AwsError> {
    let parn = policy_arn(form)?.to_string();
    let (version, number) = version_id(form)?;
    authorize(call, "iam:DeletePolicyVersion", &parn)?;
    if builtin::get(&parn).is_some() {
        return Err(aws_managed(&parn));
    }
    iam.store().change(|e| {
        let p = e.state.policies.get_mut(&parn).ok_or_else(|| no_such_policy(&parn))?;
        let n = number
            .filter(|n| p.version(*n).is_some())
            .ok_or_else(|| no_such_version(&parn, version, "deletable"))?;
        if n == p.default_version {
            return Err(delete_conflict("Cannot delete the default version of a policy."));
        }
        p.versions.retain(|v| v.number != n);
        e.policy(&parn);
        Ok(())
    })?;
    Ok(Answer::empty("DeletePolicyVersion", XMLNS).finish(call.request_id))
}

pub(super) fn set_default_version(
    iam: &Iam,
    form: &Form,
    call: &Call<'_>,
) -> Result<Reply, AwsError> {
    let parn = policy_arn(form)?.to_string();
    let (version, number) = version_id(form)?;
    authorize(call, "iam:SetDefaultPolicyVersion", &parn)?;
    if builtin::get(&parn).is_some() {
        return Err(aws_managed(&parn));
    }
    iam.store().change(|e| {
        let p = e.state.policies.get_mut(&parn).ok_or_else(|| no_such_policy(&parn))?;
        let n = number
            .filter(|n| p.version(*n).is_some())
            .ok_or_else(|| no_such_version(&parn, version, "attachable"))?;
        p.default_version = n;
        e.policy(&parn);
        Ok(())
    })?;
    Ok(Answer::empty("SetDefaultPolicyVersion", XMLNS).finish(call.request_id))
}

pub(super) fn list(iam: &Iam, form: &Form, call: &Call<'_>) -> Result<Reply, AwsError> {
    let paging = paging(form)?;
    let prefix = path_prefix(form)?;
    let scope = form.get("Scope").unwrap_or("All");
    if !["All", "AWS", "Local"].contains(&scope) {
        return Err(validation(format!(
            "1 validation error detected: Value '{scope}' at 'scope' failed to satisfy constraint: Member must satisfy enum value set: [All, AWS, Local]"
        )));
    }
    let only_attached = match form.get("OnlyAttached") {
        None | Some("false") => false,
        Some("true") => true,
        Some(v) => {
            return Err(validation(format!(
                "Invalid value '{v}' for OnlyAttached: expected true or false"
            )))
        }
    };
    authorize(call, "iam:ListPolicies", &arn(iam, "policy", "/", ""))?;
    let state = iam.store().state();
    let mut all: Vec<(String, ManagedPolicy)> = Vec::new();
    if scope != "Local" {
        all.extend(builtin::all());
    }
    if scope != "AWS" {
        all.extend(state.policies.iter().map(|(a, p)| (a.clone(), p.clone())));
    }
    all.sort_by(|a, b| a.0.cmp(&b.0));
    let rows: Vec<(String, ManagedPolicy, usize)> = all
        .into_iter()
        .map(|(a, p)| {
            let n = attachment_count(&state, &a);
            (a, p, n)
        })
        .filter(|(_, p, n)| p.path.starts_with(&prefix) && (!only_attached || *n > 0))
        .collect();
    let page = Page::of(rows.iter().map(|r| (&r.0, r)), &paging);
    let mut a = Answer::new("ListPolicies", XMLNS);
    a.w().open("Policies");
    for (parn, p, n) in &page.items {
        a.w().open("member");
        write_policy(a.w(), parn, p, *n);
        a.w().close("member");
    }
    a.w().close("Policies");
    page.finish(a.w());
    Ok(a.finish(call.request_id))
}

pub(super) fn delete(iam: &Iam, form: &Form, call: &Call<'_>) -> Result<Reply, AwsError> {
    let parn = policy_arn(form)?.to_string();
    authorize(call, "iam:DeletePolicy", &parn)?;
    if builtin::get(&parn).is_some() {
        return Err(AwsError::sender(
            "InvalidInput",
            format!("Cannot delete an AWS managed policy: {parn}"),
        ));
    }
    iam.store().change(|e| {
        if !e.state.policies.contains_key(&parn) {
            return Err(no_such_policy(&parn));
        }
        if attachment_count(e.state, &parn) > 0 {
            return Err(delete_conflict("Cannot delete a policy attached to entities."));
        }
        if e.state.policies.get(&parn).is_some_and(|p| p.versions.len() > 1) {
            return Err(delete_conflict(
                "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.",
            ));
        }
        e.state.policies.remove(&parn);
        e.policy(&parn);
        Ok(())
    })?;
    Ok(Answer::empty("DeletePolicy", XMLNS).finish(call.request_id))
}

macro_rules! per_owner {
    ($($fn_name:ident => $inner:ident($owner:ident $(, $extra:expr)?);)*) => {
        $(
            pub(super) fn $fn_name(iam: &Iam, form: &Form, call: &Call<'_>) -> Result<Reply, AwsError> {
                $inner(iam, form, call, Owner::$owner $(, $extra)?)
            }
        )*
    };
}

per_owner! {
    put_user_inline => put_inline(User);
    put_group_inline => put_inline(Group);
    put_role_inline => put_inline(Role);
    get_user_inline => get_inline(User);
    get_group_inline => get_inline(Group);
    get_role_inline => get_inline(Role);
    list_user_inline => list_inline(User);
    list_group_inline => list_inline(Group);
    list_role_inline => list_inline(Role);
    delete_user_inline => delete_inline(User);
    delete_group_inline => delete_inline(Group);
    delete_role_inline => delete_inline(Role);
    attach_user => attach(User, true);
    attach_group => attach(Group, true);
    attach_role => attach(Role, true);
    detach_user => attach(User, false);
    detach_group => attach(Group, false);
    detach_role => attach(Role, false);
    list_attached_user => list_attached(User);
    list_attached_group => list_attached(Group);
    list_attached_role => list_attached(Role);
}
