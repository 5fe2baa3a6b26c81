//! The AWS managed policies this server knows (`arn:aws:iam::aws:policy/…`): attachable like
//! any managed policy, listed by ListPolicies (Scope `AWS` or `All`), never stored or changed.
//! Their documents are AWS's, narrowed to the services this endpoint serves.

use super::model::ManagedPolicy;

/// Name, id and document of each.
const BUILTIN: &[(&str, &str, &str)] = &[
    (
        "AdministratorAccess",
        "ANPAIWMBCKSKIEE64ZLYK",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
    ),
    (
        "AmazonDynamoDBFullAccess",
        "ANPAINUGF2JSOSUY76KYA",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["dynamodb:*","cloudwatch:*","iam:GetRole","iam:ListRoles"],"Resource":"*"}]}"#,
    ),
    (
        "AmazonDynamoDBReadOnlyAccess",
        "ANPAIY2XFNA232XJ6J7X2",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["dynamodb:BatchGetItem","dynamodb:Describe*","dynamodb:List*","dynamodb:GetItem","dynamodb:Query","dynamodb:Scan","dynamodb:PartiQLSelect","cloudwatch:DescribeAlarms","cloudwatch:GetMetricStatistics","cloudwatch:GetMetricData","cloudwatch:ListMetrics"],"Resource":"*"}]}"#,
    ),
    (
        "IAMFullAccess",
        "ANPAI7XKCFMBPM3QQRRVQ",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:*","Resource":"*"}]}"#,
    ),
    (
        "IAMReadOnlyAccess",
        "ANPAJKSO7NDY4T57MWDSQ",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:Get*","iam:List*"],"Resource":"*"}]}"#,
    ),
];

/// The ARN prefix of AWS managed policies.
pub const AWS_POLICY_ARN_PREFIX: &str = "arn:aws:iam::aws:policy/";

fn policy(name: &str, id: &str, document: &str) -> ManagedPolicy {
    ManagedPolicy::new(
        name.into(),
        id.into(),
        "/".into(),
        1_420_070_400, // 2015-01-01
        document.into(),
        None,
    )
}

/// The AWS managed policy with `arn`.
pub fn get(arn: &str) -> Option<ManagedPolicy> {
    let name = arn.strip_prefix(AWS_POLICY_ARN_PREFIX)?;
    BUILTIN.iter().find(|(n, _, _)| *n == name).map(|(n, id, d)| policy(n, id, d))
}

/// Every AWS managed policy, by ARN.
pub fn all() -> impl Iterator<Item = (String, ManagedPolicy)> {
    BUILTIN.iter().map(|(n, id, d)| (format!("{AWS_POLICY_ARN_PREFIX}{n}"), policy(n, id, d)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iam::policy::{Policy, PolicyKind};

    #[test]
    fn every_builtin_parses_and_is_found() {
        for (arn, p) in all() {
            Policy::parse(p.document(), PolicyKind::Identity).unwrap();
            assert_eq!(get(&arn), Some(p));
        }
        assert_eq!(get("arn:aws:iam::aws:policy/Nope"), None);
        assert_eq!(get("arn:aws:iam::000000000000:policy/AdministratorAccess"), None);
    }
}
