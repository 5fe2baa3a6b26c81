//! The `Condition` element: `{operator: {key: value or [values]}}`.
//!
//! Every operator of a statement and every key under an operator must match (AND); a key
//! matches when the request's value matches any of the policy's values (OR). A negated operator
//! (`StringNotEquals`, `NotIpAddress`, ...) matches when the request's value matches none of
//! them. As IAM documents: a key absent from the request fails a positive operator and passes a
//! negated one; `...IfExists` passes when the key is absent; `Null` tests presence itself.
//!
//! Multivalued keys (`dynamodb:LeadingKeys`, `dynamodb:Attributes`) take a set operator:
//! `ForAllValues:` matches when every request value matches (and when the key is absent or
//! empty), `ForAnyValue:` when at least one does (and never when the key is absent, unless
//! `IfExists`). With a negated operator, "matches" is the negated test of each request value.
//! Without a set operator, a multivalued key matches a positive operator when any of its values
//! does, and a negated one when none does.

use serde_json::Value as Json;

use super::matching::{glob, glob_arn, Template};
use super::values::{parse_date, parse_ip, parse_number, Cidr};
use super::{Context, PolicyError};

/// `ForAllValues:` or `ForAnyValue:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SetOperator {
    ForAllValues,
    ForAnyValue,
}

/// A comparison, request value on the left: `NumericLessThan` is request < policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cmp {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Cmp {
    fn holds<T: PartialOrd>(self, request: T, policy: T) -> bool {
        match self {
            Cmp::Eq => request == policy,
            Cmp::Lt => request < policy,
            Cmp::Le => request <= policy,
            Cmp::Gt => request > policy,
            Cmp::Ge => request >= policy,
        }
    }
}

/// What an operator tests, before negation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Test {
    /// `StringEquals` (`fold`: `...IgnoreCase`), `StringLike` (`like`: wildcards).
    String {
        fold: bool,
        like: bool,
    },
    Numeric(Cmp),
    Date(Cmp),
    Bool,
    Binary,
    Ip,
    /// `ArnEquals` and `ArnLike`, which IAM treats alike.
    Arn,
    Null,
}

/// The operators: name, test, negated.
const OPERATORS: &[(&str, Test, bool)] = &[
    ("StringEquals", Test::String { fold: false, like: false }, false),
    ("StringNotEquals", Test::String { fold: false, like: false }, true),
    ("StringEqualsIgnoreCase", Test::String { fold: true, like: false }, false),
    ("StringNotEqualsIgnoreCase", Test::String { fold: true, like: false }, true),
    ("StringLike", Test::String { fold: false, like: true }, false),
    ("StringNotLike", Test::String { fold: false, like: true }, true),
    ("NumericEquals", Test::Numeric(Cmp::Eq), false),
    ("NumericNotEquals", Test::Numeric(Cmp::Eq), true),
    ("NumericLessThan", Test::Numeric(Cmp::Lt), false),
    ("NumericLessThanEquals", Test::Numeric(Cmp::Le), false),
    ("NumericGreaterThan", Test::Numeric(Cmp::Gt), false),
    ("NumericGreaterThanEquals", Test::Numeric(Cmp::Ge), false),
    ("DateEquals", Test::Date(Cmp::Eq), false),
    ("DateNotEquals", Test::Date(Cmp::Eq), true),
    ("DateLessThan", Test::Date(Cmp::Lt), false),
    ("DateLessThanEquals", Test::Date(Cmp::Le), false),
    ("DateGreaterThan", Test::Date(Cmp::Gt), false),
    ("DateGreaterThanEquals", Test::Date(Cmp::Ge), false),
    ("Bool", Test::Bool, false),
    ("BinaryEquals", Test::Binary, false),
    ("IpAddress", Test::Ip, false),
    ("NotIpAddress", Test::Ip, true),
    ("ArnEquals", Test::Arn, false),
    ("ArnLike", Test::Arn, false),
    ("ArnNotEquals", Test::Arn, true),
    ("ArnNotLike", Test::Arn, true),
    ("Null", Test::Null, false),
];

/// A parsed operator name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Operator {
    set: Option<SetOperator>,
    test: Test,
    negated: bool,
    if_exists: bool,
}

impl Operator {
    /// `[ForAllValues:|ForAnyValue:]Name[IfExists]`; `Null` takes neither affix.
    fn parse(name: &str) -> Option<Operator> {
        let (set, rest) = if let Some(rest) = name.strip_prefix("ForAllValues:") {
            (Some(SetOperator::ForAllValues), rest)
        } else if let Some(rest) = name.strip_prefix("ForAnyValue:") {
            (Some(SetOperator::ForAnyValue), rest)
        } else {
            (None, name)
        };
        let (if_exists, base) = match rest.strip_suffix("IfExists") {
            Some(base) => (true, base),
            None => (false, rest),
        };
        let &(_, test, negated) = OPERATORS.iter().find(|(n, _, _)| *n == base)?;
        if test == Test::Null && (if_exists || set.is_some()) {
            return None;
        }
        Some(Operator { set, test, negated, if_exists })
    }
}

/// A policy value, typed by its operator.
#[derive(Debug, Clone, PartialEq)]
enum PolicyValue {
    /// String, ARN and Bool values (which take policy variables).
    Pattern(Template),
    /// `None`: not a number, matches nothing.
    Number(Option<f64>),
    /// Milliseconds since the epoch.
    Date(i64),
    /// `None`: not an address range, matches nothing.
    Ip(Option<Cidr>),
    Binary(String),
    /// `Null`'s `true` (absent) or `false` (present); `None` for other values.
    Null(Option<bool>),
}

/// One key under one operator.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Condition {
    operator: Operator,
    /// The context key, lower case.
    key: String,
    values: Vec<PolicyValue>,
}

/// Parses a statement's `Condition` element; `variables` when the document is version
/// 2012-10-17.
pub(crate) fn parse_block(json: &Json, variables: bool) -> Result<Vec<Condition>, PolicyError> {
    let Json::Object(operators) = json else {
        return Err(PolicyError::Syntax);
    };
    let mut conditions = Vec::new();
    for (name, keys) in operators {
        let operator =
            Operator::parse(name).ok_or_else(|| PolicyError::UnknownOperator(name.clone()))?;
        let Json::Object(keys) = keys else {
            return Err(PolicyError::Syntax);
        };
        for (key, values) in keys {
            if !key.contains(':') || key.starts_with(':') {
                return Err(PolicyError::ActionWithoutVendor);
            }
            let values = scalars(values)?
                .iter()
                .map(|v| policy_value(operator.test, v, variables))
                .collect::<Result<_, _>>()?;
            conditions.push(Condition { operator, key: key.to_ascii_lowercase(), values });
        }
    }
    Ok(conditions)
}

/// A value or a list of values: strings, numbers and booleans, as strings.
fn scalars(json: &Json) -> Result<Vec<String>, PolicyError> {
    let scalar = |v: &Json| match v {
        Json::String(s) => Ok(s.clone()),
        Json::Number(n) => Ok(n.to_string()),
        Json::Bool(b) => Ok(b.to_string()),
        _ => Err(PolicyError::Syntax),
    };
    match json {
        Json::Array(list) => list.iter().map(scalar).collect(),
        v => Ok(vec![scalar(v)?]),
    }
}

fn policy_value(test: Test, text: &str, variables: bool) -> Result<PolicyValue, PolicyError> {
    Ok(match test {
        Test::String { like, .. } => PolicyValue::Pattern(Template::parse(text, variables, like)),
        Test::Arn => PolicyValue::Pattern(Template::parse(text, variables, true)),
        Test::Bool => PolicyValue::Pattern(Template::parse(text, variables, false)),
        Test::Numeric(_) => PolicyValue::Number(parse_number(text)),
        Test::Date(_) => PolicyValue::Date(parse_date(text).ok_or(PolicyError::LegacyParsing)?),
        Test::Ip => PolicyValue::Ip(Cidr::parse(text)),
        Test::Binary => PolicyValue::Binary(text.to_owned()),
        Test::Null => PolicyValue::Null(match text.to_ascii_lowercase().as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        }),
    })
}

impl Condition {
    /// Whether the request's context satisfies this key's condition.
    pub(crate) fn matches(&self, context: &Context) -> bool {
        let op = self.operator;
        let values = context.get(&self.key);
        // Present: the key with at least one value.
        let present = values.filter(|v| !v.is_empty());
        if op.test == Test::Null {
            let absent = present.is_none();
            return self.values.contains(&PolicyValue::Null(Some(absent)));
        }
        // Whether one request value passes the (possibly negated) test.
        let passes = |request: &String| self.any_policy_value(request, context) != op.negated;
        match op.set {
            None => match present {
                None => op.if_exists || op.negated,
                Some(vs) if op.negated => vs.iter().all(passes),
                Some(vs) => vs.iter().any(passes),
            },
            Some(SetOperator::ForAllValues) => match present {
                None => true,
                Some(vs) if vs.iter().all(String::is_empty) => true,
                Some(vs) => vs.iter().all(passes),
            },
            Some(SetOperator::ForAnyValue) => match present {
                None => op.if_exists,
                Some(vs) => vs.iter().any(passes),
            },
        }
    }

    /// Whether a request value matches any of the policy's values (before negation).
    fn any_policy_value(&self, request: &str, context: &Context) -> bool {
        let chars: Vec<char> = match self.operator.test {
            Test::String { .. } | Test::Arn | Test::Bool => request.chars().collect(),
            _ => Vec::new(),
        };
        let number = || parse_number(request);
        let date = || parse_date(request);
        let ip = || parse_ip(request);
        self.values.iter().any(|value| match (self.operator.test, value) {
            (Test::String { fold, .. }, PolicyValue::Pattern(t)) => {
                t.resolve(context).is_some_and(|p| glob(&p, &chars, fold))
            }
            (Test::Bool, PolicyValue::Pattern(t)) => {
                t.resolve(context).is_some_and(|p| glob(&p, &chars, true))
            }
            (Test::Arn, PolicyValue::Pattern(t)) => {
                t.resolve(context).is_some_and(|p| glob_arn(&p, &chars))
            }
            (Test::Numeric(cmp), PolicyValue::Number(Some(p))) => {
                number().is_some_and(|r| cmp.holds(r, *p))
            }
            (Test::Date(cmp), PolicyValue::Date(p)) => date().is_some_and(|r| cmp.holds(r, *p)),
            (Test::Ip, PolicyValue::Ip(Some(range))) => ip().is_some_and(|r| range.contains(r)),
            (Test::Binary, PolicyValue::Binary(p)) => p == request,
            _ => false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operator_names() {
        let op = Operator::parse("ForAnyValue:StringNotLikeIfExists").unwrap();
        assert_eq!(op.set, Some(SetOperator::ForAnyValue));
        assert_eq!(op.test, Test::String { fold: false, like: true });
        assert!(op.negated && op.if_exists);
        assert!(Operator::parse("Null").is_some());
        for bad in
            ["NullIfExists", "ForAllValues:Null", "StringEqual", "stringequals", "IfExists", ""]
        {
            assert!(Operator::parse(bad).is_none(), "{bad}");
        }
        for (name, _, _) in OPERATORS {
            assert!(Operator::parse(name).is_some());
            if *name != "Null" {
                assert!(Operator::parse(&format!("{name}IfExists")).is_some());
                assert!(Operator::parse(&format!("ForAllValues:{name}")).is_some());
            }
        }
    }

    #[test]
    fn values_are_normalized() {
        let json = serde_json::json!({"Bool": {"aws:SecureTransport": true},
            "NumericEquals": {"s3:max-keys": [10, "20"]}});
        let conditions = parse_block(&json, true).unwrap();
        assert_eq!(conditions.len(), 2);
        let mut ctx = Context::new();
        ctx.set("aws:securetransport", "TRUE");
        ctx.set("S3:Max-Keys", "10");
        assert!(conditions.iter().all(|c| c.matches(&ctx)));
        assert_eq!(
            parse_block(&serde_json::json!({"Bool": {"aws:x": null}}), true),
            Err(PolicyError::Syntax)
        );
        assert_eq!(
            parse_block(&serde_json::json!({"Bool": {"x": "true"}}), true),
            Err(PolicyError::ActionWithoutVendor)
        );
        assert_eq!(
            parse_block(&serde_json::json!({"DateLessThan": {"aws:CurrentTime": "soon"}}), true),
            Err(PolicyError::LegacyParsing)
        );
    }
}
