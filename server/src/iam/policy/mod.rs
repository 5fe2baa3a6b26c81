//! The IAM policy language: parse a JSON policy document ([`Policy::parse`]) and decide a
//! request against policies ([`evaluate`]), as AWS IAM does.
//!
//! A policy is a list of statements. A statement applies to a request when its `Action` (or
//! `NotAction`), its `Resource` (or `NotResource`; trust policies have none), its `Principal`
//! (or `NotPrincipal`; trust policies only) and every operator of its `Condition` match. The
//! decision over all the statements of all the policies: an applying `Deny` statement wins
//! ([`Decision::ExplicitDeny`]), else an applying `Allow` statement ([`Decision::Allow`]), else
//! [`Decision::ImplicitDeny`].
//!
//! - `parse`: the document's grammar and IAM's `MalformedPolicyDocument` messages.
//! - `matching`: wildcard (`*`, `?`) matching, ARN matching segment by segment, and policy
//!   variables (`${aws:username}`, `${key, 'default'}`, `${*}`).
//! - `condition`: the condition operators and their set (`ForAllValues:`, `ForAnyValue:`) and
//!   `...IfExists` forms; `values`: the typed values they compare (numbers, dates, addresses).
//! - `eval`: statements and principals against a request.
//!
//! The module is pure: no I/O, no clock (the caller puts `aws:CurrentTime` in the [`Context`]).

mod condition;
mod error;
mod eval;
mod matching;
mod parse;
mod values;

#[cfg(test)]
mod matrix;
#[cfg(test)]
mod tests;

use std::collections::HashMap;

pub use error::PolicyError;
pub use eval::evaluate;

/// Largest policy document the parser reads: longer ones are refused before parsing. IAM's own
/// quotas are far smaller (6,144 characters for a managed policy, 10,240 for a user's inline
/// policies together); callers check those. This bound keeps a request's parse bounded.
pub const POLICY_DOCUMENT_BYTES_MAX: usize = 128 * 1024;
/// Most statements a document may hold. IAM states no count (its size quotas bound it); this
/// bound keeps each evaluation bounded.
pub const POLICY_STATEMENTS_MAX: usize = 1000;

/// Which document a policy is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyKind {
    /// A permissions policy attached to a user, group or role (inline or managed): no
    /// `Principal`, a `Resource` in every statement.
    Identity,
    /// A role's trust policy (`AssumeRolePolicyDocument`): a `Principal` in every statement, no
    /// `Resource`.
    Trust,
}

/// The policy language version a document declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PolicyVersion {
    /// `"Version": "2008-10-17"`, or no `Version`: policy variables are plain text.
    V2008_10_17,
    /// `"Version": "2012-10-17"`: policy variables (`${aws:username}`) are substituted.
    V2012_10_17,
}

/// The effect of a statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Effect {
    Allow,
    Deny,
}

/// A parsed policy document.
#[derive(Debug, Clone)]
pub struct Policy {
    version: PolicyVersion,
    version_declared: bool,
    id: Option<String>,
    statements: Vec<eval::Statement>,
}

impl Policy {
    /// Parses a JSON policy document of the given kind. An error's `Display` is the message IAM
    /// sends with `MalformedPolicyDocument` (or, for [`PolicyError::TooLarge`], the one of
    /// `LimitExceeded`).
    pub fn parse(document: &str, kind: PolicyKind) -> Result<Policy, PolicyError> {
        parse::parse(document, kind)
    }

    /// The language version: the declared one, or 2008-10-17 when the document declares none.
    pub fn version(&self) -> PolicyVersion {
        self.version
    }

    /// Whether the document has a `Version` element.
    pub fn version_declared(&self) -> bool {
        self.version_declared
    }

    /// The document's `Id`, if any.
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// How many statements the document has.
    pub fn statement_count(&self) -> usize {
        self.statements.len()
    }

    /// `Ok` when the document declares version 2012-10-17, which IAM requires of managed
    /// policies (`CreatePolicy`, `CreatePolicyVersion`); else
    /// [`PolicyError::VersionTooOld`].
    pub fn require_current_version(&self) -> Result<(), PolicyError> {
        match self.version {
            PolicyVersion::V2012_10_17 => Ok(()),
            PolicyVersion::V2008_10_17 => Err(PolicyError::VersionTooOld),
        }
    }

    /// This policy alone against a request (see [`evaluate`]).
    pub fn evaluate(&self, request: &Request) -> Decision {
        evaluate([self], request)
    }
}

/// The outcome of evaluating policies against a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// An `Allow` statement applies and no `Deny` statement does.
    Allow,
    /// A `Deny` statement applies.
    ExplicitDeny,
    /// No statement applies.
    ImplicitDeny,
}

impl Decision {
    /// Whether the request may go ahead.
    pub fn is_allowed(self) -> bool {
        self == Decision::Allow
    }
}

/// The principal making a request, as trust policies (`Principal`, `NotPrincipal`) match it.
///
/// A user or role session is its ARN (`arn:aws:iam::123456789012:user/alice`,
/// `arn:aws:sts::123456789012:assumed-role/admin/session`) and its account. A service is its
/// name (`ec2.amazonaws.com`) with an empty account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrincipalMatch {
    /// The principal's ARN (or a service's name).
    pub arn: String,
    /// The principal's 12-digit account id (empty for a service).
    pub account: String,
}

impl PrincipalMatch {
    /// A user, role or session principal.
    pub fn new(arn: impl Into<String>, account: impl Into<String>) -> Self {
        PrincipalMatch { arn: arn.into(), account: account.into() }
    }

    /// A service principal (`ec2.amazonaws.com`).
    pub fn service(name: impl Into<String>) -> Self {
        PrincipalMatch { arn: name.into(), account: String::new() }
    }
}

/// What is asked: one action on one resource, with the request context.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The action, `service:Operation` (`dynamodb:GetItem`); matched case-insensitively.
    pub action: &'a str,
    /// The resource's ARN (`arn:aws:dynamodb:us-east-1:123456789012:table/Books`), or `*`
    /// for actions on no resource; matched case-sensitively. Trust policies ignore it.
    pub resource: &'a str,
    /// The condition keys and policy variables of the request.
    pub context: &'a Context,
    /// The calling principal, for trust policies; identity policies ignore it.
    pub principal: Option<&'a PrincipalMatch>,
}

impl<'a> Request<'a> {
    /// A request without a principal (identity policies).
    pub fn new(action: &'a str, resource: &'a str, context: &'a Context) -> Self {
        Request { action, resource, context, principal: None }
    }

    /// The same request made by `principal` (trust policies).
    pub fn with_principal(self, principal: &'a PrincipalMatch) -> Self {
        Request { principal: Some(principal), ..self }
    }
}

/// The request context: condition keys (`aws:SourceIp`, `dynamodb:LeadingKeys`), each with one
/// or more string values. Key names are case-insensitive, as in IAM.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    keys: HashMap<String, Vec<String>>,
}

impl Context {
    /// An empty context.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `key` to one value, replacing any earlier values.
    pub fn set(&mut self, key: &str, value: impl Into<String>) {
        self.keys.insert(key.to_ascii_lowercase(), vec![value.into()]);
    }

    /// Sets a multivalued key (`dynamodb:Attributes`), replacing any earlier values. An empty
    /// list is a key present with no values.
    pub fn set_multi(&mut self, key: &str, values: Vec<String>) {
        self.keys.insert(key.to_ascii_lowercase(), values);
    }

    /// Removes `key`.
    pub fn remove(&mut self, key: &str) {
        self.keys.remove(&key.to_ascii_lowercase());
    }

    /// The values of `key`, if present.
    pub fn get(&self, key: &str) -> Option<&[String]> {
        if key.bytes().any(|b| b.is_ascii_uppercase()) {
            self.keys.get(&key.to_ascii_lowercase()).map(Vec::as_slice)
        } else {
            self.keys.get(key).map(Vec::as_slice)
        }
    }
}
