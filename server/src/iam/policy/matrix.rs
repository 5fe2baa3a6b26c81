//! The policy test matrix: each case is policies, a request (action, resource, context,
//! principal) and the decision IAM reaches on it. The condition cases are in `conditions`.

mod conditions;

use super::Decision::{Allow, ExplicitDeny, ImplicitDeny};
use super::*;
use conditions::{date_bool_ip_arn_null_cases, set_operator_cases, string_and_number_cases};

const T: &str = "arn:aws:dynamodb:us-east-1:123456789012:table/Books";
const T2: &str = "arn:aws:dynamodb:us-east-1:123456789012:table/Authors";
const IDX: &str = "arn:aws:dynamodb:us-east-1:123456789012:table/Books/index/ByAuthor";
const GET: &str = "dynamodb:GetItem";
const ALICE: &str = "arn:aws:iam::123456789012:user/alice";
const ACCT: &str = "123456789012";
const NOW: &str = "2026-06-01T12:00:00Z";

struct Case {
    name: &'static str,
    policies: Vec<String>,
    kind: PolicyKind,
    action: &'static str,
    resource: &'static str,
    context: Context,
    principal: Option<PrincipalMatch>,
    expect: Decision,
}

impl Case {
    fn with(mut self, key: &str, value: &str) -> Self {
        self.context.set(key, value);
        self
    }
    fn multi(mut self, key: &str, values: &[&str]) -> Self {
        self.context.set_multi(key, values.iter().map(|v| v.to_string()).collect());
        self
    }
    fn by(mut self, arn: &str, account: &str) -> Self {
        self.principal = Some(PrincipalMatch::new(arn, account));
        self
    }
    fn trust(mut self) -> Self {
        self.kind = PolicyKind::Trust;
        self
    }
}

fn case(
    name: &'static str,
    policies: Vec<String>,
    action: &'static str,
    resource: &'static str,
    expect: Decision,
) -> Case {
    let (kind, context, principal) = (PolicyKind::Identity, Context::new(), None);
    Case { name, policies, kind, action, resource, context, principal, expect }
}

/// `GetItem` on the `Books` table under one policy.
fn get(name: &'static str, policy: String, expect: Decision) -> Case {
    case(name, vec![policy], GET, T, expect)
}

fn doc(version: &str, statements: &[String]) -> String {
    format!(r#"{{"Version":"{version}","Statement":[{}]}}"#, statements.join(","))
}

fn v12(statements: &[String]) -> String {
    doc("2012-10-17", statements)
}

/// A statement: the effect, then the other elements as JSON members.
fn st(effect: &str, members: &str) -> String {
    format!(r#"{{"Effect":"{effect}",{members}}}"#)
}

/// A statement with one action and one resource.
fn ar(effect: &str, action: &str, resource: &str) -> String {
    st(effect, &format!(r#""Action":"{action}","Resource":"{resource}""#))
}

fn allow(action: &str, resource: &str) -> String {
    v12(&[ar("Allow", action, resource)])
}

/// Allows `GetItem` on anything under one condition operator and key.
fn cond(op: &str, key: &str, values: &str) -> String {
    let c =
        format!(r#""Action":"{GET}","Resource":"*","Condition":{{"{op}":{{"{key}":{values}}}}}"#);
    v12(&[st("Allow", &c)])
}

/// Allows everything but denies `GetItem` under one condition.
fn deny_cond(op: &str, key: &str, values: &str) -> String {
    let c =
        format!(r#""Action":"{GET}","Resource":"*","Condition":{{"{op}":{{"{key}":{values}}}}}"#);
    v12(&[ar("Allow", "*", "*"), st("Deny", &c)])
}

/// A trust policy allowing `sts:AssumeRole` to a `Principal` element.
fn trust(principal: &str) -> String {
    v12(&[st("Allow", &format!(r#""Principal":{principal},"Action":"sts:AssumeRole""#))])
}

fn assume(name: &'static str, policy: String, expect: Decision) -> Case {
    case(name, vec![policy], "sts:AssumeRole", "*", expect).trust()
}

fn action_and_resource_cases() -> Vec<Case> {
    let user_table = "arn:aws:dynamodb:us-east-1:123456789012:table/${aws:username}";
    vec![
        get("exact allow", allow(GET, T), Allow),
        case("other action", vec![allow(GET, T)], "dynamodb:PutItem", T, ImplicitDeny),
        get("action lower case in policy", allow("dynamodb:getitem", T), Allow),
        case("action upper case in request", vec![allow(GET, T)], "DYNAMODB:GETITEM", T, Allow),
        get("action prefix wildcard", allow("dynamodb:Get*", T), Allow),
        case(
            "action wildcard miss",
            vec![allow("dynamodb:Get*", T)],
            "dynamodb:PutItem",
            T,
            ImplicitDeny,
        ),
        get("action ? wildcard", allow("dynamodb:?etItem", T), Allow),
        get("action *", allow("*", T), Allow),
        case(
            "service wildcard other service",
            vec![allow("dynamodb:*", "*")],
            "s3:GetObject",
            "*",
            ImplicitDeny,
        ),
        get(
            "action list",
            v12(&[st(
                "Allow",
                &format!(r#""Action":["dynamodb:PutItem","{GET}"],"Resource":"{T}""#),
            )]),
            Allow,
        ),
        get(
            "NotAction other",
            v12(&[st("Allow", r#""NotAction":"dynamodb:DeleteItem","Resource":"*""#)]),
            Allow,
        ),
        case(
            "NotAction same",
            vec![v12(&[st("Allow", r#""NotAction":"dynamodb:DeleteItem","Resource":"*""#)])],
            "dynamodb:DeleteItem",
            T,
            ImplicitDeny,
        ),
        case(
            "NotAction wildcard",
            vec![v12(&[st("Allow", r#""NotAction":"dynamodb:Delete*","Resource":"*""#)])],
            "dynamodb:DeleteTable",
            T,
            ImplicitDeny,
        ),
        get("other table", allow(GET, T2), ImplicitDeny),
        get("resource *", allow(GET, "*"), Allow),
        get(
            "resource table/*",
            allow(GET, "arn:aws:dynamodb:us-east-1:123456789012:table/*"),
            Allow,
        ),
        case("index under Books*", vec![allow(GET, &format!("{T}*"))], GET, IDX, Allow),
        case("table ARN is not its index", vec![allow(GET, T)], GET, IDX, ImplicitDeny),
        get(
            "resource case-sensitive",
            allow(GET, "arn:aws:dynamodb:us-east-1:123456789012:table/books"),
            ImplicitDeny,
        ),
        get("region and account wildcards", allow(GET, "arn:aws:dynamodb:*:*:table/Books"), Allow),
        get("other region", allow(GET, "arn:aws:dynamodb:us-west-2:*:table/Books"), ImplicitDeny),
        get("trailing * spans segments", allow(GET, "arn:aws:dynamodb:*"), Allow),
        get("trailing * in service", allow(GET, "arn:aws:dynamo*"), Allow),
        get(
            "? in region",
            allow(GET, "arn:aws:dynamodb:us-east-?:123456789012:table/Books"),
            Allow,
        ),
        get(
            "* inside a segment stays in it",
            allow(GET, "arn:aws:dynamodb:us-*-1:table/Books"),
            ImplicitDeny,
        ),
        get(
            "resource list",
            v12(&[st("Allow", &format!(r#""Action":"{GET}","Resource":["{T2}","{T}"]"#))]),
            Allow,
        ),
        get(
            "NotResource other",
            v12(&[st("Allow", &format!(r#""Action":"{GET}","NotResource":"{T2}""#))]),
            Allow,
        ),
        get(
            "NotResource same",
            v12(&[st("Allow", &format!(r#""Action":"{GET}","NotResource":"{T}""#))]),
            ImplicitDeny,
        ),
        get(
            "NotResource wildcard",
            v12(&[st("Allow", r#""Action":"*","NotResource":"arn:aws:dynamodb:*:*:table/*""#)]),
            ImplicitDeny,
        ),
        case(
            "NotAction and NotResource",
            vec![v12(&[st("Allow", &format!(r#""NotAction":"dynamodb:*","NotResource":"{T}""#))])],
            "s3:GetObject",
            "arn:aws:s3:::b/k",
            Allow,
        ),
        get("deny only", v12(&[ar("Deny", GET, T)]), ExplicitDeny),
        get("allow and deny", v12(&[ar("Allow", GET, T), ar("Deny", GET, T)]), ExplicitDeny),
        get(
            "deny another action",
            v12(&[ar("Allow", "*", "*"), ar("Deny", "dynamodb:PutItem", "*")]),
            Allow,
        ),
        case(
            "deny in second policy",
            vec![allow("*", "*"), v12(&[ar("Deny", GET, T)])],
            GET,
            T,
            ExplicitDeny,
        ),
        case(
            "deny in first policy",
            vec![v12(&[ar("Deny", "dynamodb:*", "*")]), allow(GET, T)],
            GET,
            T,
            ExplicitDeny,
        ),
        case("allow in second policy", vec![allow("s3:*", "*"), allow(GET, T)], GET, T, Allow),
        case("no policies", vec![], GET, T, ImplicitDeny),
        get(
            "deny with NotResource",
            v12(&[
                ar("Allow", "*", "*"),
                st("Deny", &format!(r#""Action":"*","NotResource":"{T2}""#)),
            ]),
            ExplicitDeny,
        ),
        get(
            "Statement as an object",
            format!(r#"{{"Version":"2012-10-17","Statement":{}}}"#, ar("Allow", GET, T)),
            Allow,
        ),
        get(
            "no Version: variables are text",
            format!(r#"{{"Statement":{}}}"#, ar("Allow", GET, user_table)),
            ImplicitDeny,
        )
        .with("aws:username", "Books"),
        get(
            "2008-10-17: variables are text",
            doc("2008-10-17", &[ar("Allow", GET, user_table)]),
            ImplicitDeny,
        )
        .with("aws:username", "Books"),
        case(
            "2008-10-17: literal ${...} matches itself",
            vec![doc("2008-10-17", &[ar("Allow", GET, user_table)])],
            GET,
            user_table,
            Allow,
        ),
        get("${aws:username} in resource", allow(GET, user_table), Allow)
            .with("aws:username", "Books"),
        get("${aws:username} of another user", allow(GET, user_table), ImplicitDeny)
            .with("aws:username", "Authors"),
        get("unresolved variable", allow(GET, user_table), ImplicitDeny),
        get(
            "variable default",
            allow(GET, "arn:aws:dynamodb:us-east-1:123456789012:table/${aws:username, 'Books'}"),
            Allow,
        ),
        get("a variable's * is literal", allow(GET, user_table), ImplicitDeny)
            .with("aws:username", "B*"),
        get("escape ${*} is literal", allow(GET, &format!("{T}${{*}}")), ImplicitDeny),
        case(
            "escape ${*} matches a literal *",
            vec![allow(GET, &format!("{T}${{*}}"))],
            GET,
            "arn:aws:dynamodb:us-east-1:123456789012:table/Books*",
            Allow,
        ),
        case(
            "variable then wildcard",
            vec![allow(GET, "arn:aws:dynamodb:*:*:table/${aws:username}-*")],
            GET,
            "arn:aws:dynamodb:us-east-1:123456789012:table/Books-2026",
            Allow,
        )
        .with("aws:username", "Books"),
        get(
            "variable key is case-insensitive",
            allow(GET, "arn:aws:dynamodb:us-east-1:123456789012:table/${AWS:UserName}"),
            Allow,
        )
        .with("aws:username", "Books"),
    ]
}

fn trust_cases() -> Vec<Case> {
    let root = r#"{"AWS":"arn:aws:iam::123456789012:root"}"#;
    let mfa = v12(&[st(
        "Allow",
        &format!(
            r#""Principal":{root},"Action":"sts:AssumeRole","Condition":{{"Bool":{{"aws:MultiFactorAuthPresent":"true"}}}}"#
        ),
    )]);
    vec![
        assume("account root, user of the account", trust(root), Allow).by(ALICE, ACCT),
        assume("account id, other account", trust(r#"{"AWS":"123456789012"}"#), ImplicitDeny).by("arn:aws:iam::999988887777:user/alice", "999988887777"),
        assume("account id, user of the account", trust(r#"{"AWS":"123456789012"}"#), Allow).by(ALICE, ACCT),
        assume("user ARN, that user", trust(&format!(r#"{{"AWS":"{ALICE}"}}"#)), Allow).by(ALICE, ACCT),
        assume("user ARN, another user", trust(&format!(r#"{{"AWS":"{ALICE}"}}"#)), ImplicitDeny).by("arn:aws:iam::123456789012:user/bob", ACCT),
        assume("Principal *", trust(r#""*""#), Allow).by(ALICE, ACCT),
        assume("AWS *", trust(r#"{"AWS":"*"}"#), Allow).by(ALICE, ACCT),
        assume("service", trust(r#"{"Service":"ec2.amazonaws.com"}"#), Allow).by("ec2.amazonaws.com", ""),
        assume("service, user caller", trust(r#"{"Service":"ec2.amazonaws.com"}"#), ImplicitDeny).by(ALICE, ACCT),
        assume("role ARN, session of the role", trust(r#"{"AWS":"arn:aws:iam::123456789012:role/ops/admin"}"#), Allow).by("arn:aws:sts::123456789012:assumed-role/admin/s1", ACCT),
        case("other action", vec![trust(root)], "sts:AssumeRoleWithSAML", "*", ImplicitDeny).trust().by(ALICE, ACCT),
        assume("NotPrincipal other user", v12(&[st("Allow", r#""NotPrincipal":{"AWS":"arn:aws:iam::123456789012:user/bob"},"Action":"sts:AssumeRole""#)]), Allow).by(ALICE, ACCT),
        assume("deny a user, allow the account", v12(&[st("Allow", &format!(r#""Principal":{root},"Action":"sts:AssumeRole""#)), st("Deny", &format!(r#""Principal":{{"AWS":"{ALICE}"}},"Action":"sts:*""#))]), ExplicitDeny).by(ALICE, ACCT),
        assume("MFA condition met", mfa.clone(), Allow).by(ALICE, ACCT).with("aws:MultiFactorAuthPresent", "true"),
        assume("MFA condition absent", mfa, ImplicitDeny).by(ALICE, ACCT),
        assume("principal list", trust(r#"{"AWS":["arn:aws:iam::111122223333:root","123456789012"]}"#), Allow).by(ALICE, ACCT),
        assume("no caller", trust(root), ImplicitDeny),
        assume("no caller, Principal *", trust(r#""*""#), Allow),
    ]
}

#[test]
fn matrix() {
    let cases: Vec<Case> = [
        action_and_resource_cases(),
        string_and_number_cases(),
        date_bool_ip_arn_null_cases(),
        set_operator_cases(),
        trust_cases(),
    ]
    .into_iter()
    .flatten()
    .collect();
    assert!(cases.len() >= 100, "{} cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let policies: Vec<Policy> = case
            .policies
            .iter()
            .map(|p| {
                Policy::parse(p, case.kind).unwrap_or_else(|e| panic!("{}: {e}: {p}", case.name))
            })
            .collect();
        let request = Request {
            action: case.action,
            resource: case.resource,
            context: &case.context,
            principal: case.principal.as_ref(),
        };
        let got = evaluate(&policies, &request);
        if got != case.expect {
            failures.push(format!("{}: expected {:?}, got {got:?}", case.name, case.expect));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
