//! The matrix's condition cases: every operator family, with and without `IfExists`, set
//! operators on multivalued keys, and policy variables in condition values.

use super::*;

pub(super) fn string_and_number_cases() -> Vec<Case> {
    vec![
        get("StringEquals match", cond("StringEquals", "aws:username", r#""alice""#), Allow)
            .with("aws:username", "alice"),
        get(
            "StringEquals mismatch",
            cond("StringEquals", "aws:username", r#""alice""#),
            ImplicitDeny,
        )
        .with("aws:username", "bob"),
        get(
            "StringEquals absent",
            cond("StringEquals", "aws:username", r#""alice""#),
            ImplicitDeny,
        ),
        get(
            "StringEquals is case-sensitive",
            cond("StringEquals", "aws:username", r#""Alice""#),
            ImplicitDeny,
        )
        .with("aws:username", "alice"),
        get(
            "StringEquals any of the values",
            cond("StringEquals", "aws:username", r#"["bob","alice"]"#),
            Allow,
        )
        .with("aws:username", "alice"),
        get(
            "condition key is case-insensitive",
            cond("StringEquals", "AWS:UserName", r#""alice""#),
            Allow,
        )
        .with("aws:username", "alice"),
        get("StringNotEquals differs", cond("StringNotEquals", "aws:username", r#""bob""#), Allow)
            .with("aws:username", "alice"),
        get(
            "StringNotEquals same",
            cond("StringNotEquals", "aws:username", r#"["bob","alice"]"#),
            ImplicitDeny,
        )
        .with("aws:username", "alice"),
        get("StringNotEquals absent", cond("StringNotEquals", "aws:username", r#""bob""#), Allow),
        get(
            "StringEqualsIgnoreCase",
            cond("StringEqualsIgnoreCase", "aws:username", r#""ALICE""#),
            Allow,
        )
        .with("aws:username", "alice"),
        get(
            "StringNotEqualsIgnoreCase same",
            cond("StringNotEqualsIgnoreCase", "aws:username", r#""ALICE""#),
            ImplicitDeny,
        )
        .with("aws:username", "alice"),
        get("StringLike", cond("StringLike", "s3:prefix", r#""home/*""#), Allow)
            .with("s3:prefix", "home/alice/x"),
        get("StringLike miss", cond("StringLike", "s3:prefix", r#""home/?""#), ImplicitDeny)
            .with("s3:prefix", "home/alice"),
        get("StringNotLike match", cond("StringNotLike", "s3:prefix", r#""home/*""#), ImplicitDeny)
            .with("s3:prefix", "home/alice"),
        get("StringNotLike absent", cond("StringNotLike", "s3:prefix", r#""home/*""#), Allow),
        get(
            "StringEqualsIfExists absent",
            cond("StringEqualsIfExists", "aws:username", r#""alice""#),
            Allow,
        ),
        get(
            "StringEqualsIfExists mismatch",
            cond("StringEqualsIfExists", "aws:username", r#""alice""#),
            ImplicitDeny,
        )
        .with("aws:username", "bob"),
        get(
            "StringNotLikeIfExists absent",
            cond("StringNotLikeIfExists", "s3:prefix", r#""x*""#),
            Allow,
        ),
        get(
            "StringEquals * is literal",
            cond("StringEquals", "aws:username", r#""*""#),
            ImplicitDeny,
        )
        .with("aws:username", "alice"),
        get(
            "StringLike with ${aws:username}",
            cond("StringLike", "s3:prefix", r#""home/${aws:username}/*""#),
            Allow,
        )
        .with("aws:username", "alice")
        .with("s3:prefix", "home/alice/docs"),
        get(
            "StringLike with another user's prefix",
            cond("StringLike", "s3:prefix", r#""home/${aws:username}/*""#),
            ImplicitDeny,
        )
        .with("aws:username", "bob")
        .with("s3:prefix", "home/alice/docs"),
        get(
            "NumericEquals",
            cond("NumericEquals", "dynamodb:ReturnConsumedCapacity", r#""10""#),
            Allow,
        )
        .with("dynamodb:ReturnConsumedCapacity", "10.0"),
        get("NumericLessThan", cond("NumericLessThan", "s3:max-keys", r#""10""#), Allow)
            .with("s3:max-keys", "5"),
        get(
            "NumericLessThan equal",
            cond("NumericLessThan", "s3:max-keys", r#""10""#),
            ImplicitDeny,
        )
        .with("s3:max-keys", "10"),
        get(
            "NumericLessThanEquals",
            cond("NumericLessThanEquals", "s3:max-keys", r#""10""#),
            Allow,
        )
        .with("s3:max-keys", "10"),
        get("NumericGreaterThan", cond("NumericGreaterThan", "s3:max-keys", r#""10""#), Allow)
            .with("s3:max-keys", "11"),
        get(
            "NumericGreaterThanEquals below",
            cond("NumericGreaterThanEquals", "s3:max-keys", r#""10""#),
            ImplicitDeny,
        )
        .with("s3:max-keys", "9"),
        get("NumericNotEquals", cond("NumericNotEquals", "s3:max-keys", r#""10""#), Allow)
            .with("s3:max-keys", "11"),
        get("NumericNotEquals absent", cond("NumericNotEquals", "s3:max-keys", r#""10""#), Allow),
        get(
            "Numeric request value not a number",
            cond("NumericEquals", "s3:max-keys", r#""10""#),
            ImplicitDeny,
        )
        .with("s3:max-keys", "ten"),
        get(
            "NumericLessThanIfExists absent",
            cond("NumericLessThanIfExists", "s3:max-keys", r#""10""#),
            Allow,
        ),
        get(
            "NumericLessThan absent",
            cond("NumericLessThan", "s3:max-keys", r#""10""#),
            ImplicitDeny,
        ),
        get("Numeric JSON number value", cond("NumericEquals", "s3:max-keys", "10"), Allow)
            .with("s3:max-keys", "10"),
        get("Numeric decimal", cond("NumericLessThan", "s3:max-keys", r#""1.5""#), Allow)
            .with("s3:max-keys", "1.25"),
    ]
}

pub(super) fn date_bool_ip_arn_null_cases() -> Vec<Case> {
    let ct = "aws:CurrentTime";
    vec![
        get("DateLessThan before", cond("DateLessThan", ct, r#""2026-12-06T12:00:00Z""#), Allow)
            .with(ct, NOW),
        get(
            "DateLessThan after",
            cond("DateLessThan", ct, r#""2026-01-01T00:00:00Z""#),
            ImplicitDeny,
        )
        .with(ct, NOW),
        get("DateGreaterThan", cond("DateGreaterThan", ct, r#""2026-01-01""#), Allow).with(ct, NOW),
        get(
            "DateEquals epoch and ISO",
            cond("DateEquals", "aws:EpochTime", r#""2026-06-01T12:00:00Z""#),
            Allow,
        )
        .with("aws:EpochTime", "1780315200"),
        get("DateNotEquals", cond("DateNotEquals", ct, r#""2026-06-01""#), Allow).with(ct, NOW),
        get(
            "DateLessThanEquals equal",
            cond("DateLessThanEquals", ct, r#""2026-06-01T14:00:00+02:00""#),
            Allow,
        )
        .with(ct, NOW),
        get(
            "DateGreaterThanEquals date only",
            cond("DateGreaterThanEquals", ct, r#""2026-06-01""#),
            Allow,
        )
        .with(ct, NOW),
        get(
            "DateLessThanIfExists absent",
            cond("DateLessThanIfExists", ct, r#""2026-01-01""#),
            Allow,
        ),
        get("DateLessThan absent", cond("DateLessThan", ct, r#""2027-01-01""#), ImplicitDeny),
        get("Bool true", cond("Bool", "aws:SecureTransport", r#""true""#), Allow)
            .with("aws:SecureTransport", "true"),
        get("Bool mismatch", cond("Bool", "aws:SecureTransport", r#""true""#), ImplicitDeny)
            .with("aws:SecureTransport", "false"),
        get(
            "deny without TLS",
            deny_cond("Bool", "aws:SecureTransport", r#""false""#),
            ExplicitDeny,
        )
        .with("aws:SecureTransport", "false"),
        get(
            "deny without TLS, with TLS",
            deny_cond("Bool", "aws:SecureTransport", r#""false""#),
            Allow,
        )
        .with("aws:SecureTransport", "true"),
        get(
            "deny without TLS, key absent",
            deny_cond("Bool", "aws:SecureTransport", r#""false""#),
            Allow,
        ),
        get(
            "BoolIfExists deny, key absent",
            deny_cond("BoolIfExists", "aws:MultiFactorAuthPresent", r#""false""#),
            ExplicitDeny,
        ),
        get("Bool JSON true", cond("Bool", "aws:SecureTransport", "true"), Allow)
            .with("aws:SecureTransport", "true"),
        get("IpAddress in range", cond("IpAddress", "aws:SourceIp", r#""203.0.113.0/24""#), Allow)
            .with("aws:SourceIp", "203.0.113.9"),
        get(
            "IpAddress out of range",
            cond("IpAddress", "aws:SourceIp", r#""203.0.113.0/24""#),
            ImplicitDeny,
        )
        .with("aws:SourceIp", "198.51.100.9"),
        get(
            "NotIpAddress outside",
            cond("NotIpAddress", "aws:SourceIp", r#""203.0.113.0/24""#),
            Allow,
        )
        .with("aws:SourceIp", "198.51.100.9"),
        get(
            "NotIpAddress inside",
            cond("NotIpAddress", "aws:SourceIp", r#""203.0.113.0/24""#),
            ImplicitDeny,
        )
        .with("aws:SourceIp", "203.0.113.9"),
        get(
            "IpAddress IPv6",
            cond("IpAddress", "aws:SourceIp", r#""2001:DB8:1234:5678::/64""#),
            Allow,
        )
        .with("aws:SourceIp", "2001:db8:1234:5678::42"),
        get(
            "IpAddress list",
            cond("IpAddress", "aws:SourceIp", r#"["10.0.0.0/8","203.0.113.0/24"]"#),
            Allow,
        )
        .with("aws:SourceIp", "10.1.2.3"),
        get("IpAddress absent", cond("IpAddress", "aws:SourceIp", r#""10.0.0.0/8""#), ImplicitDeny),
        get("NotIpAddress absent", cond("NotIpAddress", "aws:SourceIp", r#""10.0.0.0/8""#), Allow),
        get(
            "deny outside the network",
            deny_cond("NotIpAddress", "aws:SourceIp", r#""10.0.0.0/8""#),
            ExplicitDeny,
        )
        .with("aws:SourceIp", "8.8.8.8"),
        get(
            "IpAddressIfExists absent",
            cond("IpAddressIfExists", "aws:SourceIp", r#""10.0.0.0/8""#),
            Allow,
        ),
        get("ArnEquals", cond("ArnEquals", "aws:SourceArn", &format!(r#""{T}""#)), Allow)
            .with("aws:SourceArn", T),
        get(
            "ArnLike",
            cond("ArnLike", "aws:SourceArn", r#""arn:aws:dynamodb:*:*:table/*""#),
            Allow,
        )
        .with("aws:SourceArn", T),
        get("ArnLike miss", cond("ArnLike", "aws:SourceArn", r#""arn:aws:s3:::*""#), ImplicitDeny)
            .with("aws:SourceArn", T),
        get("ArnNotEquals", cond("ArnNotEquals", "aws:SourceArn", &format!(r#""{T2}""#)), Allow)
            .with("aws:SourceArn", T),
        get(
            "ArnNotLike match",
            cond("ArnNotLike", "aws:SourceArn", r#""arn:aws:dynamodb:*""#),
            ImplicitDeny,
        )
        .with("aws:SourceArn", T),
        get(
            "ArnLikeIfExists absent",
            cond("ArnLikeIfExists", "aws:SourceArn", r#""arn:aws:s3:::*""#),
            Allow,
        ),
        get(
            "ArnEquals with a variable",
            cond(
                "ArnEquals",
                "aws:PrincipalArn",
                r#""arn:aws:iam::123456789012:user/${aws:username}""#,
            ),
            Allow,
        )
        .with("aws:PrincipalArn", ALICE)
        .with("aws:username", "alice"),
        get("Null true, absent", cond("Null", "aws:TokenIssueTime", r#""true""#), Allow),
        get("Null true, present", cond("Null", "aws:TokenIssueTime", r#""true""#), ImplicitDeny)
            .with("aws:TokenIssueTime", NOW),
        get("Null false, present", cond("Null", "aws:TokenIssueTime", "false"), Allow)
            .with("aws:TokenIssueTime", NOW),
        get("Null false, absent", cond("Null", "aws:TokenIssueTime", r#""false""#), ImplicitDeny),
        get("BinaryEquals", cond("BinaryEquals", "aws:x", r#""QmluYXJ5""#), Allow)
            .with("aws:x", "QmluYXJ5"),
    ]
}

pub(super) fn set_operator_cases() -> Vec<Case> {
    let (lk, attrs) = ("dynamodb:LeadingKeys", "dynamodb:Attributes");
    let own_keys = cond("ForAllValues:StringEquals", lk, r#"["${aws:username}"]"#);
    let cols = r#"["pk","title","year"]"#;
    let two_ops = |a: &str, b: &str| {
        let c = format!(r#""Action":"{GET}","Resource":"*","Condition":{{{a},{b}}}"#);
        v12(&[st("Allow", &c)])
    };
    vec![
        get("ForAllValues one key", cond("ForAllValues:StringEquals", lk, r#"["alice"]"#), Allow)
            .multi(lk, &["alice"]),
        get(
            "ForAllValues another key too",
            cond("ForAllValues:StringEquals", lk, r#"["alice"]"#),
            ImplicitDeny,
        )
        .multi(lk, &["alice", "bob"]),
        get("ForAllValues absent", cond("ForAllValues:StringEquals", lk, r#"["alice"]"#), Allow),
        get("ForAllValues empty", cond("ForAllValues:StringEquals", attrs, cols), Allow)
            .multi(attrs, &[]),
        get(
            "ForAllValues attributes subset",
            cond("ForAllValues:StringEquals", attrs, cols),
            Allow,
        )
        .multi(attrs, &["pk", "year"]),
        get(
            "ForAllValues attributes extra",
            cond("ForAllValues:StringEquals", attrs, cols),
            ImplicitDeny,
        )
        .multi(attrs, &["pk", "secret"]),
        get("ForAnyValue one matches", cond("ForAnyValue:StringEquals", attrs, cols), Allow)
            .multi(attrs, &["secret", "title"]),
        get("ForAnyValue none match", cond("ForAnyValue:StringEquals", attrs, cols), ImplicitDeny)
            .multi(attrs, &["secret"]),
        get("ForAnyValue absent", cond("ForAnyValue:StringEquals", attrs, cols), ImplicitDeny),
        get(
            "ForAnyValue IfExists absent",
            cond("ForAnyValue:StringEqualsIfExists", attrs, cols),
            Allow,
        ),
        get("ForAllValues:StringLike", cond("ForAllValues:StringLike", lk, r#""user-*""#), Allow)
            .multi(lk, &["user-1", "user-2"]),
        get(
            "ForAnyValue:StringNotEquals deny",
            deny_cond("ForAnyValue:StringNotEquals", attrs, cols),
            ExplicitDeny,
        )
        .multi(attrs, &["pk", "secret"]),
        get(
            "ForAnyValue:StringNotEquals deny, all listed",
            deny_cond("ForAnyValue:StringNotEquals", attrs, cols),
            Allow,
        )
        .multi(attrs, &["pk", "title"]),
        get(
            "ForAllValues:StringNotEquals none listed",
            cond("ForAllValues:StringNotEquals", attrs, r#"["secret"]"#),
            Allow,
        )
        .multi(attrs, &["a", "b"]),
        get(
            "ForAllValues:StringNotEquals one listed",
            cond("ForAllValues:StringNotEquals", attrs, r#"["secret"]"#),
            ImplicitDeny,
        )
        .multi(attrs, &["a", "secret"]),
        get("LeadingKeys = ${aws:username}", own_keys.clone(), Allow)
            .multi(lk, &["alice"])
            .with("aws:username", "alice"),
        get("LeadingKeys of another user", own_keys.clone(), ImplicitDeny)
            .multi(lk, &["bob"])
            .with("aws:username", "alice"),
        get("LeadingKeys, username unknown", own_keys, ImplicitDeny).multi(lk, &["alice"]),
        get(
            "plain operator on a multivalued key: any",
            cond("StringEquals", attrs, r#""title""#),
            Allow,
        )
        .multi(attrs, &["pk", "title"]),
        get(
            "plain negated operator on a multivalued key: none",
            cond("StringNotEquals", attrs, r#""title""#),
            ImplicitDeny,
        )
        .multi(attrs, &["pk", "title"]),
        get(
            "ForAnyValue:NumericGreaterThan",
            cond("ForAnyValue:NumericGreaterThan", "aws:x", r#""5""#),
            Allow,
        )
        .multi("aws:x", &["1", "9"]),
        get(
            "ForAllValues:IpAddress",
            cond("ForAllValues:IpAddress", "aws:x", r#""10.0.0.0/8""#),
            ImplicitDeny,
        )
        .multi("aws:x", &["10.0.0.1", "11.0.0.1"]),
        get(
            "two operators, both match",
            two_ops(
                r#""StringEquals":{"aws:username":"alice"}"#,
                r#""Bool":{"aws:SecureTransport":"true"}"#,
            ),
            Allow,
        )
        .with("aws:username", "alice")
        .with("aws:SecureTransport", "true"),
        get(
            "two operators, one fails",
            two_ops(
                r#""StringEquals":{"aws:username":"alice"}"#,
                r#""Bool":{"aws:SecureTransport":"true"}"#,
            ),
            ImplicitDeny,
        )
        .with("aws:username", "alice")
        .with("aws:SecureTransport", "false"),
        get(
            "two keys under one operator, one fails",
            cond("StringEquals", "aws:username", r#""alice","aws:userid":"AID1""#),
            ImplicitDeny,
        )
        .with("aws:username", "alice")
        .with("aws:userid", "AID2"),
        get(
            "two keys under one operator, both match",
            cond("StringEquals", "aws:username", r#""alice","aws:userid":"AID1""#),
            Allow,
        )
        .with("aws:username", "alice")
        .with("aws:userid", "AID1"),
    ]
}
