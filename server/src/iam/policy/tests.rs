//! Parse errors, one per malformed form, and the public API's edges.

use super::*;

const OK_STATEMENT: &str = r#"{"Effect":"Allow","Action":"dynamodb:GetItem","Resource":"*"}"#;

fn identity(doc: &str) -> Result<Policy, PolicyError> {
    Policy::parse(doc, PolicyKind::Identity)
}

fn trust(doc: &str) -> Result<Policy, PolicyError> {
    Policy::parse(doc, PolicyKind::Trust)
}

/// A 2012-10-17 document with one statement.
fn one(statement: &str) -> String {
    format!(r#"{{"Version":"2012-10-17","Statement":[{statement}]}}"#)
}

fn err(result: Result<Policy, PolicyError>) -> PolicyError {
    match result {
        Ok(_) => panic!("parsed"),
        Err(e) => e,
    }
}

#[test]
fn well_formed_documents() {
    let p = identity(&one(OK_STATEMENT)).unwrap();
    assert_eq!(p.version(), PolicyVersion::V2012_10_17);
    assert!(p.version_declared());
    assert_eq!(p.statement_count(), 1);
    assert_eq!(p.require_current_version(), Ok(()));
    let p = identity(&format!(r#"{{"Id":"x","Statement":{OK_STATEMENT}}}"#)).unwrap();
    assert_eq!(p.version(), PolicyVersion::V2008_10_17);
    assert!(!p.version_declared());
    assert_eq!(p.id(), Some("x"));
    assert_eq!(p.require_current_version(), Err(PolicyError::VersionTooOld));
    assert_eq!(
        PolicyError::VersionTooOld.to_string(),
        "Policy document must be version 2012-10-17 or greater."
    );
    let p = identity(&format!(r#"{{"Version":"2008-10-17","Statement":[{OK_STATEMENT}]}}"#));
    assert_eq!(p.unwrap().version(), PolicyVersion::V2008_10_17);
    // Sid (optional, alphanumeric, unique when not empty), lists, conditions.
    let doc = one(
        r#"{"Sid":"S1","Effect":"Deny","NotAction":["s3:*","iam:*"],"NotResource":["arn:aws:s3:::b/*"],
            "Condition":{"StringEquals":{"aws:username":["a",1,true]}}},
           {"Sid":"","Effect":"Allow","Action":"*","Resource":"*"},
           {"Sid":"","Effect":"Allow","Action":"*","Resource":"*"}"#,
    );
    assert_eq!(identity(&doc).unwrap().statement_count(), 3);
    let t = r#"{"Effect":"Allow","Principal":{"Service":["ec2.amazonaws.com"],"AWS":"123456789012"},"Action":"sts:AssumeRole"}"#;
    assert_eq!(trust(&one(t)).unwrap().statement_count(), 1);
}

#[test]
fn malformed_documents() {
    use PolicyError as E;
    let cases: Vec<(String, PolicyError)> = vec![
        ("not json".into(), E::Syntax),
        ("[]".into(), E::Syntax),
        (r#"{"Version":"2012-10-17","Statement":[]}"#.into(), E::Syntax),
        (r#"{"Version":"2012-10-17"}"#.into(), E::MissingField("Statement")),
        (r#"{"Version":"2019-10-19","Statement":[]}"#.into(), E::Syntax),
        (r#"{"Version":20121017,"Statement":{}}"#.into(), E::Syntax),
        (r#"{"Version":"2012-10-17","Statement":"x"}"#.into(), E::Syntax),
        (r#"{"Version":"2012-10-17","Statement":["x"]}"#.into(), E::Syntax),
        (r#"{"Version":"2012-10-17","Id":1,"Statement":[]}"#.into(), E::Syntax),
        (
            format!(r#"{{"version":"2012-10-17","Statement":[{OK_STATEMENT}]}}"#),
            E::UnknownField("version".into()),
        ),
        (
            one(r#"{"Effect":"Allow","Action":"*","Resource":"*","Extra":1}"#),
            E::UnknownField("Extra".into()),
        ),
        (
            one(r#"{"effect":"Allow","Action":"*","Resource":"*"}"#),
            E::UnknownField("effect".into()),
        ),
        (one(r#"{"Action":"*","Resource":"*"}"#), E::MissingField("Effect")),
        (one(r#"{"Effect":"allow","Action":"*","Resource":"*"}"#), E::LegacyParsing),
        (one(r#"{"Effect":"Permit","Action":"*","Resource":"*"}"#), E::Syntax),
        (one(r#"{"Effect":true,"Action":"*","Resource":"*"}"#), E::Syntax),
        (one(r#"{"Effect":"Allow","Resource":"*"}"#), E::MissingActions),
        (one(r#"{"Effect":"Allow","Action":[],"Resource":"*"}"#), E::MissingActions),
        (one(r#"{"Effect":"Allow","Action":"*","NotAction":"*","Resource":"*"}"#), E::Syntax),
        (one(r#"{"Effect":"Allow","Action":[1],"Resource":"*"}"#), E::Syntax),
        (one(r#"{"Effect":"Allow","Action":{"a":1},"Resource":"*"}"#), E::Syntax),
        (one(r#"{"Effect":"Allow","Action":"GetItem","Resource":"*"}"#), E::ActionWithoutVendor),
        (one(r#"{"Effect":"Allow","Action":"dynamodb:Get:Item","Resource":"*"}"#), E::ActionColons),
        (one(r#"{"Effect":"Allow","Action":"*:GetItem","Resource":"*"}"#), E::VendorWildcard),
        (
            one(r#"{"Effect":"Allow","Action":"dyn amo:GetItem","Resource":"*"}"#),
            E::InvalidVendor("dyn amo".into()),
        ),
        (one(r#"{"Effect":"Allow","Action":"*"}"#), E::MissingResources),
        (one(r#"{"Effect":"Allow","Action":"*","Resource":[]}"#), E::MissingResources),
        (one(r#"{"Effect":"Allow","Action":"*","Resource":"*","NotResource":"*"}"#), E::Syntax),
        (
            one(r#"{"Effect":"Allow","Action":"*","Resource":"table/Books"}"#),
            E::ResourceNotArn("table/Books".into()),
        ),
        (
            one(r#"{"Effect":"Allow","Action":"*","Resource":"*","Principal":"*"}"#),
            E::PrincipalNotAllowed,
        ),
        (
            one(r#"{"Effect":"Allow","Action":"*","Resource":"*","NotPrincipal":{"AWS":"*"}}"#),
            E::PrincipalNotAllowed,
        ),
        (
            one(r#"{"Sid":"a-b","Effect":"Allow","Action":"*","Resource":"*"}"#),
            E::SidNotAlphanumeric,
        ),
        (one(r#"{"Sid":1,"Effect":"Allow","Action":"*","Resource":"*"}"#), E::Syntax),
        (
            one(&format!(
                r#"{{"Sid":"A",{},{{"Sid":"A",{}"#,
                &OK_STATEMENT[1..],
                &OK_STATEMENT[1..]
            )),
            E::DuplicateSid,
        ),
        (one(r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":[]}"#), E::Syntax),
        (
            one(
                r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEqual":{"aws:x":"y"}}}"#,
            ),
            E::UnknownOperator("StringEqual".into()),
        ),
        (
            one(
                r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NullIfExists":{"aws:x":"true"}}}"#,
            ),
            E::UnknownOperator("NullIfExists".into()),
        ),
        (
            one(
                r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":"x"}}"#,
            ),
            E::Syntax,
        ),
        (
            one(
                r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:x":{}}}}"#,
            ),
            E::Syntax,
        ),
        (
            one(
                r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:x":[[1]]}}}"#,
            ),
            E::Syntax,
        ),
        (
            one(
                r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"username":"x"}}}"#,
            ),
            E::ActionWithoutVendor,
        ),
        (
            one(
                r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"tomorrow"}}}"#,
            ),
            E::LegacyParsing,
        ),
    ];
    for (doc, want) in cases {
        assert_eq!(err(identity(&doc)), want, "{doc}");
    }
}

#[test]
fn malformed_trust_policies() {
    use PolicyError as E;
    let cases: Vec<(&str, PolicyError)> = vec![
        (r#"{"Effect":"Allow","Action":"sts:AssumeRole"}"#, E::MissingPrincipal),
        (r#"{"Effect":"Allow","Principal":{},"Action":"sts:AssumeRole"}"#, E::MissingPrincipal),
        (
            r#"{"Effect":"Allow","Principal":{"AWS":[]},"Action":"sts:AssumeRole"}"#,
            E::MissingPrincipal,
        ),
        (
            r#"{"Effect":"Allow","Principal":"*","NotPrincipal":"*","Action":"sts:AssumeRole"}"#,
            E::Syntax,
        ),
        (
            r#"{"Effect":"Allow","Principal":"arn:aws:iam::123456789012:root","Action":"sts:AssumeRole"}"#,
            E::Syntax,
        ),
        (
            r#"{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Resource":"*"}"#,
            E::ProhibitedField("Resource"),
        ),
        (
            r#"{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","NotResource":"*"}"#,
            E::ProhibitedField("NotResource"),
        ),
        (r#"{"Effect":"Allow","Principal":{"AWS":"*"}}"#, E::MissingActions),
        (
            r#"{"Effect":"Allow","Principal":{"AWS":"bob"},"Action":"sts:AssumeRole"}"#,
            E::InvalidPrincipal(r#""AWS":"bob""#.into()),
        ),
        (
            r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/*"},"Action":"sts:AssumeRole"}"#,
            E::InvalidPrincipal(r#""AWS":"arn:aws:iam::123456789012:user/*""#.into()),
        ),
        (
            r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:s3:::bucket"},"Action":"sts:AssumeRole"}"#,
            E::InvalidPrincipal(r#""AWS":"arn:aws:s3:::bucket""#.into()),
        ),
        (
            r#"{"Effect":"Allow","Principal":{"Service":"*"},"Action":"sts:AssumeRole"}"#,
            E::InvalidPrincipal(r#""Service":"*""#.into()),
        ),
        (
            r#"{"Effect":"Allow","Principal":{"Aws":"*"},"Action":"sts:AssumeRole"}"#,
            E::InvalidPrincipal(r#""Aws":"*""#.into()),
        ),
        (r#"{"Effect":"Allow","Principal":{"AWS":1},"Action":"sts:AssumeRole"}"#, E::Syntax),
    ];
    for (statement, want) in cases {
        assert_eq!(err(trust(&one(statement))), want, "{statement}");
    }
}

#[test]
fn error_messages() {
    let messages = [
        (PolicyError::Syntax, "Syntax errors in policy."),
        (PolicyError::UnknownField("Foo".into()), "Unknown field Foo"),
        (PolicyError::MissingField("Effect"), "Missing required field Effect"),
        (PolicyError::MissingActions, "Policy statement must contain actions."),
        (PolicyError::MissingResources, "Policy statement must contain resources."),
        (PolicyError::PrincipalNotAllowed, "Policy document should not specify a principal."),
        (PolicyError::ProhibitedField("Resource"), "Has prohibited field Resource"),
        (
            PolicyError::ActionWithoutVendor,
            "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
        ),
        (PolicyError::ResourceNotArn("x".into()), "Resource x must be in ARN format or \"*\"."),
        (PolicyError::TooLarge { bytes: 1 }, "Cannot exceed quota for PolicySize: 131072"),
    ];
    for (error, message) in messages {
        assert_eq!(error.to_string(), message);
    }
}

#[test]
fn bounds() {
    let filler = " ".repeat(POLICY_DOCUMENT_BYTES_MAX);
    let doc = format!("{}{filler}", one(OK_STATEMENT));
    assert_eq!(err(identity(&doc)), PolicyError::TooLarge { bytes: doc.len() });
    let exactly = format!(
        "{}{}",
        one(OK_STATEMENT),
        " ".repeat(POLICY_DOCUMENT_BYTES_MAX - one(OK_STATEMENT).len())
    );
    assert!(identity(&exactly).is_ok());
    let many = vec![r#"{"Effect":"Allow","Action":"*","Resource":"*"}"#; POLICY_STATEMENTS_MAX + 1];
    let doc = format!(r#"{{"Version":"2012-10-17","Statement":[{}]}}"#, many.join(","));
    assert_eq!(
        err(identity(&doc)),
        PolicyError::TooManyStatements { count: POLICY_STATEMENTS_MAX + 1 }
    );
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    assert_eq!(err(identity(&deep)), PolicyError::Syntax);
    // A pathological wildcard pattern against a long resource stays fast.
    let pattern = format!("arn:aws:s3:::{}b", "a*".repeat(2000));
    let p = identity(&one(&format!(r#"{{"Effect":"Allow","Action":"*","Resource":"{pattern}"}}"#)))
        .unwrap();
    let resource = format!("arn:aws:s3:::{}", "a".repeat(4000));
    let ctx = Context::new();
    let started = std::time::Instant::now();
    assert_eq!(p.evaluate(&Request::new("s3:GetObject", &resource, &ctx)), Decision::ImplicitDeny);
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

#[test]
fn context_keys_are_case_insensitive() {
    let mut ctx = Context::new();
    ctx.set("AWS:UserName", "alice");
    assert_eq!(ctx.get("aws:username"), Some(&["alice".to_string()][..]));
    assert_eq!(ctx.get("AWS:USERNAME"), Some(&["alice".to_string()][..]));
    ctx.set_multi("dynamodb:Attributes", vec!["a".into(), "b".into()]);
    assert_eq!(ctx.get("DynamoDB:attributes").map(<[String]>::len), Some(2));
    ctx.remove("aws:USERNAME");
    assert_eq!(ctx.get("aws:username"), None);
}

#[test]
fn decision_helpers() {
    assert!(Decision::Allow.is_allowed());
    assert!(!Decision::ExplicitDeny.is_allowed() && !Decision::ImplicitDeny.is_allowed());
    let p = identity(&one(OK_STATEMENT)).unwrap();
    let ctx = Context::new();
    let alice = PrincipalMatch::new("arn:aws:iam::123456789012:user/alice", "123456789012");
    // Identity policies ignore the principal.
    let req = Request::new("dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:1:table/t", &ctx);
    assert_eq!(p.evaluate(&req), Decision::Allow);
    assert_eq!(p.evaluate(&req.with_principal(&alice)), Decision::Allow);
}
