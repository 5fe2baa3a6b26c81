//! Statements against a request, and the decision over many policies.

use super::condition::Condition;
use super::matching::{glob, glob_arn, Template};
use super::{Decision, Effect, Policy, PrincipalMatch, Request};

/// A list of patterns, or (`NotAction`, `NotResource`, `NotPrincipal`) its complement.
#[derive(Debug, Clone)]
pub(crate) struct Set<T> {
    pub(crate) negated: bool,
    pub(crate) items: Vec<T>,
}

/// A principal of a trust policy's `Principal` element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Principal {
    /// `"*"` or `{"AWS": "*"}`: anyone.
    Any,
    /// An account id (`"123456789012"`, `arn:aws:iam::123456789012:root`): any principal of
    /// the account.
    Account(String),
    /// A user, role or session ARN. A role's ARN also matches its sessions, which start with
    /// `session_prefix` (`arn:aws:sts::123456789012:assumed-role/NAME/`).
    Arn { arn: String, session_prefix: Option<String> },
    /// A service (`ec2.amazonaws.com`), compared case-insensitively.
    Service(String),
    /// A federated provider or canonical user, compared exactly.
    Other(String),
}

impl Principal {
    fn matches(&self, caller: Option<&PrincipalMatch>) -> bool {
        let Some(caller) = caller else {
            return *self == Principal::Any;
        };
        match self {
            Principal::Any => true,
            Principal::Account(account) => !account.is_empty() && caller.account == *account,
            Principal::Arn { arn, session_prefix } => {
                caller.arn == *arn
                    || session_prefix.as_ref().is_some_and(|p| caller.arn.starts_with(p.as_str()))
            }
            Principal::Service(service) => caller.arn.eq_ignore_ascii_case(service),
            Principal::Other(name) => caller.arn == *name,
        }
    }
}

/// A parsed statement.
#[derive(Debug, Clone)]
pub(crate) struct Statement {
    pub(crate) effect: Effect,
    /// Action patterns, lower case.
    pub(crate) actions: Set<Template>,
    /// Identity policies only.
    pub(crate) resources: Option<Set<Template>>,
    /// Trust policies only.
    pub(crate) principals: Option<Set<Principal>>,
    pub(crate) conditions: Vec<Condition>,
}

/// The request, prepared once for all the statements.
struct Prepared<'r> {
    request: &'r Request<'r>,
    /// The action, lower case.
    action: Vec<char>,
    resource: Vec<char>,
}

impl Statement {
    /// Whether the statement applies to the request.
    fn applies(&self, req: &Prepared) -> bool {
        let context = req.request.context;
        let action = self
            .actions
            .items
            .iter()
            .any(|t| t.resolve(context).is_some_and(|p| glob(&p, &req.action, false)));
        if action == self.actions.negated {
            return false;
        }
        if let Some(principals) = &self.principals {
            let hit = principals.items.iter().any(|p| p.matches(req.request.principal));
            if hit == principals.negated {
                return false;
            }
        }
        if let Some(resources) = &self.resources {
            let hit = resources.items.iter().any(|t| {
                t.is_any() || t.resolve(context).is_some_and(|p| glob_arn(&p, &req.resource))
            });
            if hit == resources.negated {
                return false;
            }
        }
        self.conditions.iter().all(|c| c.matches(context))
    }
}

/// Evaluates every statement of every policy against the request: an applying `Deny` statement
/// beats an applying `Allow` statement, which beats none applying (an implicit deny).
pub fn evaluate<'p>(policies: impl IntoIterator<Item = &'p Policy>, request: &Request) -> Decision {
    let prepared = Prepared {
        request,
        action: request.action.to_lowercase().chars().collect(),
        resource: request.resource.chars().collect(),
    };
    let mut allowed = false;
    for policy in policies {
        for statement in &policy.statements {
            // Once allowed, only a Deny can change the decision.
            if allowed && statement.effect == Effect::Allow {
                continue;
            }
            if statement.applies(&prepared) {
                match statement.effect {
                    Effect::Deny => return Decision::ExplicitDeny,
                    Effect::Allow => allowed = true,
                }
            }
        }
    }
    if allowed {
        Decision::Allow
    } else {
        Decision::ImplicitDeny
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn principals() {
        let alice = PrincipalMatch::new("arn:aws:iam::111122223333:user/alice", "111122223333");
        let session =
            PrincipalMatch::new("arn:aws:sts::111122223333:assumed-role/admin/s1", "111122223333");
        let ec2 = PrincipalMatch::service("ec2.amazonaws.com");
        assert!(Principal::Any.matches(None));
        assert!(Principal::Any.matches(Some(&alice)));
        let account = Principal::Account("111122223333".into());
        assert!(account.matches(Some(&alice)) && account.matches(Some(&session)));
        assert!(!account.matches(Some(&ec2)) && !account.matches(None));
        let user = Principal::Arn { arn: alice.arn.clone(), session_prefix: None };
        assert!(user.matches(Some(&alice)) && !user.matches(Some(&session)));
        let role = Principal::Arn {
            arn: "arn:aws:iam::111122223333:role/admin".into(),
            session_prefix: Some("arn:aws:sts::111122223333:assumed-role/admin/".into()),
        };
        assert!(role.matches(Some(&session)) && !role.matches(Some(&alice)));
        let service = Principal::Service("EC2.amazonaws.com".into());
        assert!(service.matches(Some(&ec2)) && !service.matches(Some(&alice)));
    }
}
