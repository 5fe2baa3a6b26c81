//! The policy grammar: JSON to statements, with IAM's `MalformedPolicyDocument` messages.
//!
//! ```text
//! policy    = { "Version"?: "2008-10-17" | "2012-10-17", "Id"?: string,
//!               "Statement": statement | [statement, ...] }
//! statement = { "Sid"?: alphanumeric string, "Effect": "Allow" | "Deny",
//!               ("Action" | "NotAction"): string | [string, ...],
//!               ("Resource" | "NotResource"): string | [string, ...],        identity only
//!               ("Principal" | "NotPrincipal"): "*" | {type: string | [...]}, trust only
//!               "Condition"?: {operator: {key: value | [value, ...]}} }
//! ```
//!
//! Field names are case-sensitive and unknown fields are refused.

use std::collections::HashSet;

use serde_json::{Map, Value as Json};

use super::condition;
use super::eval::{Principal, Set, Statement};
use super::matching::{Template, Tok};
use super::{
    Effect, Policy, PolicyError, PolicyKind, PolicyVersion, POLICY_DOCUMENT_BYTES_MAX,
    POLICY_STATEMENTS_MAX,
};

const TOP_FIELDS: &[&str] = &["Version", "Id", "Statement"];
const STATEMENT_FIELDS: &[&str] = &[
    "Sid",
    "Effect",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Principal",
    "NotPrincipal",
    "Condition",
];

/// Parses a policy document (see [`Policy::parse`]).
pub(crate) fn parse(document: &str, kind: PolicyKind) -> Result<Policy, PolicyError> {
    if document.len() > POLICY_DOCUMENT_BYTES_MAX {
        return Err(PolicyError::TooLarge { bytes: document.len() });
    }
    let json: Json = serde_json::from_str(document).map_err(|_| PolicyError::Syntax)?;
    let Json::Object(top) = json else {
        return Err(PolicyError::Syntax);
    };
    known_fields(&top, TOP_FIELDS)?;
    let (version, version_declared) = match top.get("Version") {
        None => (PolicyVersion::V2008_10_17, false),
        Some(Json::String(v)) if v == "2012-10-17" => (PolicyVersion::V2012_10_17, true),
        Some(Json::String(v)) if v == "2008-10-17" => (PolicyVersion::V2008_10_17, true),
        Some(_) => return Err(PolicyError::Syntax),
    };
    let id = match top.get("Id") {
        None => None,
        Some(Json::String(id)) => Some(id.clone()),
        Some(_) => return Err(PolicyError::Syntax),
    };
    let objects: Vec<&Map<String, Json>> = match top.get("Statement") {
        None => return Err(PolicyError::MissingField("Statement")),
        Some(Json::Object(one)) => vec![one],
        Some(Json::Array(list)) => {
            if list.len() > POLICY_STATEMENTS_MAX {
                return Err(PolicyError::TooManyStatements { count: list.len() });
            }
            list.iter()
                .map(|s| s.as_object().ok_or(PolicyError::Syntax))
                .collect::<Result<_, _>>()?
        }
        Some(_) => return Err(PolicyError::Syntax),
    };
    if objects.is_empty() {
        return Err(PolicyError::Syntax);
    }
    let variables = version == PolicyVersion::V2012_10_17;
    let mut sids: HashSet<&str> = HashSet::new();
    let mut statements = Vec::with_capacity(objects.len());
    for object in objects {
        if let Some(sid) = sid(object)? {
            if !sids.insert(sid) {
                return Err(PolicyError::DuplicateSid);
            }
        }
        statements.push(statement(object, kind, variables)?);
    }
    Ok(Policy { version, version_declared, id, statements })
}

fn known_fields(object: &Map<String, Json>, known: &[&str]) -> Result<(), PolicyError> {
    match object.keys().find(|k| !known.contains(&k.as_str())) {
        Some(unknown) => Err(PolicyError::UnknownField(unknown.clone())),
        None => Ok(()),
    }
}

/// The statement's `Sid`, if any and not empty.
fn sid(object: &Map<String, Json>) -> Result<Option<&str>, PolicyError> {
    match object.get("Sid") {
        None => Ok(None),
        Some(Json::String(sid)) if sid.chars().all(|c| c.is_ascii_alphanumeric()) => {
            Ok(Some(sid.as_str()).filter(|s| !s.is_empty()))
        }
        Some(Json::String(_)) => Err(PolicyError::SidNotAlphanumeric),
        Some(_) => Err(PolicyError::Syntax),
    }
}

fn statement(
    object: &Map<String, Json>,
    kind: PolicyKind,
    variables: bool,
) -> Result<Statement, PolicyError> {
    known_fields(object, STATEMENT_FIELDS)?;
    let effect = match object.get("Effect") {
        None => return Err(PolicyError::MissingField("Effect")),
        Some(Json::String(e)) => match e.as_str() {
            "Allow" => Effect::Allow,
            "Deny" => Effect::Deny,
            e if e.eq_ignore_ascii_case("allow") || e.eq_ignore_ascii_case("deny") => {
                return Err(PolicyError::LegacyParsing)
            }
            _ => return Err(PolicyError::Syntax),
        },
        Some(_) => return Err(PolicyError::Syntax),
    };
    let actions = either(object, "Action", "NotAction")?.ok_or(PolicyError::MissingActions)?;
    let actions = Set {
        negated: actions.0,
        items: actions.1.into_iter().map(action).collect::<Result<_, _>>()?,
    };
    if actions.items.is_empty() {
        return Err(PolicyError::MissingActions);
    }
    let (resources, principals) = match kind {
        PolicyKind::Identity => {
            if object.contains_key("Principal") || object.contains_key("NotPrincipal") {
                return Err(PolicyError::PrincipalNotAllowed);
            }
            (Some(resources(object, variables)?), None)
        }
        PolicyKind::Trust => {
            for field in ["Resource", "NotResource"] {
                if object.contains_key(field) {
                    return Err(PolicyError::ProhibitedField(field));
                }
            }
            (None, Some(principals(object)?))
        }
    };
    let conditions = match object.get("Condition") {
        None => Vec::new(),
        Some(block) => condition::parse_block(block, variables)?,
    };
    Ok(Statement { effect, actions, resources, principals, conditions })
}

/// The strings of `field` or of its negation `not_field` (never both): whether negated, and
/// the strings; `None` when neither is there.
fn either<'j>(
    object: &'j Map<String, Json>,
    field: &str,
    not_field: &str,
) -> Result<Option<(bool, Vec<&'j str>)>, PolicyError> {
    match (object.get(field), object.get(not_field)) {
        (Some(_), Some(_)) => Err(PolicyError::Syntax),
        (Some(v), None) => Ok(Some((false, strings(v)?))),
        (None, Some(v)) => Ok(Some((true, strings(v)?))),
        (None, None) => Ok(None),
    }
}

/// A string, or a list of strings.
fn strings(json: &Json) -> Result<Vec<&str>, PolicyError> {
    match json {
        Json::String(s) => Ok(vec![s.as_str()]),
        Json::Array(list) => list.iter().map(|v| v.as_str().ok_or(PolicyError::Syntax)).collect(),
        _ => Err(PolicyError::Syntax),
    }
}

/// An action: `*`, or `vendor:name` with wildcards in the name.
fn action(text: &str) -> Result<Template, PolicyError> {
    if text == "*" {
        return Ok(Template::Static(vec![Tok::Star]));
    }
    let (vendor, name) = text.split_once(':').ok_or(PolicyError::ActionWithoutVendor)?;
    if name.contains(':') {
        return Err(PolicyError::ActionColons);
    }
    if vendor.contains(['*', '?']) {
        return Err(PolicyError::VendorWildcard);
    }
    if vendor.is_empty()
        || !vendor.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
    {
        return Err(PolicyError::InvalidVendor(vendor.to_owned()));
    }
    Ok(Template::parse(&text.to_lowercase(), false, true))
}

fn resources(object: &Map<String, Json>, variables: bool) -> Result<Set<Template>, PolicyError> {
    let (negated, texts) =
        either(object, "Resource", "NotResource")?.ok_or(PolicyError::MissingResources)?;
    if texts.is_empty() {
        return Err(PolicyError::MissingResources);
    }
    let items = texts
        .into_iter()
        .map(|text| {
            if text != "*" && !text.contains(':') {
                return Err(PolicyError::ResourceNotArn(text.to_owned()));
            }
            Ok(Template::parse(text, variables, true))
        })
        .collect::<Result<_, _>>()?;
    Ok(Set { negated, items })
}

fn principals(object: &Map<String, Json>) -> Result<Set<Principal>, PolicyError> {
    let (negated, json) = match (object.get("Principal"), object.get("NotPrincipal")) {
        (Some(_), Some(_)) => return Err(PolicyError::Syntax),
        (Some(p), None) => (false, p),
        (None, Some(p)) => (true, p),
        (None, None) => return Err(PolicyError::MissingPrincipal),
    };
    let items = match json {
        Json::String(s) if s == "*" => vec![Principal::Any],
        Json::Object(types) => {
            let mut items = Vec::new();
            for (kind, values) in types {
                for value in strings(values)? {
                    items.push(principal(kind, value)?);
                }
            }
            items
        }
        _ => return Err(PolicyError::Syntax),
    };
    if items.is_empty() {
        return Err(PolicyError::MissingPrincipal);
    }
    Ok(Set { negated, items })
}

fn is_account_id(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())
}

/// One principal: `kind` is `AWS`, `Service`, `Federated` or `CanonicalUser`.
fn principal(kind: &str, value: &str) -> Result<Principal, PolicyError> {
    let invalid = || PolicyError::InvalidPrincipal(format!("\"{kind}\":\"{value}\""));
    let wildcard = value.contains(['*', '?']);
    match kind {
        "AWS" if value == "*" => Ok(Principal::Any),
        "AWS" if is_account_id(value) => Ok(Principal::Account(value.to_owned())),
        "AWS" if !wildcard => aws_arn(value).ok_or_else(invalid),
        "Service" | "Federated" | "CanonicalUser" if !value.is_empty() && !wildcard => {
            Ok(if kind == "Service" {
                Principal::Service(value.to_owned())
            } else {
                Principal::Other(value.to_owned())
            })
        }
        _ => Err(invalid()),
    }
}

/// An IAM or STS ARN: `arn:PARTITION:iam::ACCOUNT:root` (the account), a user, a role (which
/// also matches its sessions), or any other `iam`/`sts` resource.
fn aws_arn(value: &str) -> Option<Principal> {
    let mut parts = value.splitn(6, ':');
    let (arn, partition, service, region, account, resource) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let valid = arn == "arn"
        && !partition.is_empty()
        && matches!(service, "iam" | "sts")
        && region.is_empty()
        && is_account_id(account)
        && !resource.is_empty();
    if !valid {
        return None;
    }
    if resource == "root" {
        return Some(Principal::Account(account.to_owned()));
    }
    let session_prefix = match (service, resource.strip_prefix("role/")) {
        ("iam", Some(path_and_name)) => {
            let name = path_and_name.rsplit('/').next().filter(|n| !n.is_empty())?;
            Some(format!("arn:{partition}:sts::{account}:assumed-role/{name}/"))
        }
        _ => None,
    };
    Some(Principal::Arn { arn: value.to_owned(), session_prefix })
}
