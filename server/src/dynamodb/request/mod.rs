//! Reading a request body: [`parse`] decodes it in one pass into its operation's shape
//! ([`shapes`], whose members are [`member::Member`]s); then the operation checks the members in
//! DynamoDB's order, with DynamoDB's words: a wrong JSON type is `SerializationException`
//! ("Unexpected value type for X: expected a string"), a broken constraint is
//! [`Constraints`]' "N validation errors detected". The parameters many operations share
//! (table name, expression names and values, return values) are read here.

pub mod member;
pub mod shapes;

use crate::dynamodb::error::{validation, DResult, DynamoError};
use crate::dynamodb::limits::{TABLE_NAME_LEN_MAX, TABLE_NAME_LEN_MIN};
use crate::dynamodb::model::lenient::Checked;
use crate::dynamodb::model::value::AttrValue;
use member::{Member, Str};
use serde::Deserialize;
use shapes::{Names, Values};
use std::collections::HashMap;

/// Decodes a request body into the shape `S`. The body is first checked as JSON in full (so a
/// syntax error anywhere comes before everything else, as it did when bodies were parsed into a
/// tree, and nothing decoded later skips unchecked bytes); it must be a JSON object
/// (`SerializationException` otherwise). A member given twice anywhere in the shape is refused
/// too (DynamoDB's SDKs never send one).
pub fn parse<'a, S: Deserialize<'a>>(body: &'a [u8]) -> DResult<S> {
    serde_json::from_slice::<Checked>(body)
        .map_err(|e| DynamoError::Serialization(format!("Request body is not valid JSON: {e}")))?;
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(DynamoError::Serialization(
            "Start of structure or map expected in the request body".into(),
        ));
    }
    // Valid JSON whose members take any value: only a member given twice fails here.
    serde_json::from_slice(body)
        .map_err(|e| DynamoError::Serialization(format!("The request body cannot be read: {e}")))
}

/// The request's `TableName`, checked as DynamoDB checks it.
pub fn table_name(name: Member<Str>) -> DResult<Str> {
    let mut c = Constraints::default();
    let name = name.get("TableName")?;
    c.table_name("tableName", name.as_deref());
    c.finish()?;
    Ok(name.unwrap_or_default())
}

/// DynamoDB's constraint messages, gathered so that one response lists every violation:
/// "2 validation errors detected: Value null at 'tableName' failed to satisfy constraint: Member
/// must not be null; Value …".
#[derive(Default)]
pub struct Constraints(Vec<String>);

impl Constraints {
    pub fn add(&mut self, value: &str, at: &str, constraint: &str) {
        self.0.push(format!("Value {value} at '{at}' failed to satisfy constraint: {constraint}"));
    }

    pub fn not_null<T>(&mut self, at: &str, v: Option<T>) {
        if v.is_none() {
            self.add("null", at, "Member must not be null");
        }
    }

    pub fn table_name(&mut self, at: &str, name: Option<&str>) {
        let Some(name) = name else {
            self.not_null::<()>(at, None);
            return;
        };
        let value = format!("'{name}'");
        if name.len() < TABLE_NAME_LEN_MIN {
            self.add(
                &value,
                at,
                &format!("Member must have length greater than or equal to {TABLE_NAME_LEN_MIN}"),
            );
        }
        if name.len() > TABLE_NAME_LEN_MAX {
            self.add(
                &value,
                at,
                &format!("Member must have length less than or equal to {TABLE_NAME_LEN_MAX}"),
            );
        }
        if !name.bytes().all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b)) {
            self.add(&value, at, "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+");
        }
    }

    /// `value` must be one of `allowed`.
    pub fn one_of(&mut self, at: &str, value: Option<&str>, allowed: &[&str]) {
        if let Some(v) = value {
            if !allowed.contains(&v) {
                self.add(
                    &format!("'{v}'"),
                    at,
                    &format!("Member must satisfy enum value set: [{}]", allowed.join(", ")),
                );
            }
        }
    }

    pub fn range(&mut self, at: &str, value: Option<i64>, min: i64, max: i64) {
        if let Some(v) = value {
            if v < min {
                self.add(
                    &format!("'{v}'"),
                    at,
                    &format!("Member must have value greater than or equal to {min}"),
                );
            } else if v > max {
                self.add(
                    &format!("'{v}'"),
                    at,
                    &format!("Member must have value less than or equal to {max}"),
                );
            }
        }
    }

    pub fn len(&mut self, at: &str, value: &str, len: usize, min: usize, max: usize) {
        if len < min {
            self.add(value, at, &format!("Member must have length greater than or equal to {min}"));
        } else if len > max {
            self.add(value, at, &format!("Member must have length less than or equal to {max}"));
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn finish(self) -> DResult<()> {
        match self.0.len() {
            0 => Ok(()),
            1 => Err(validation(format!("1 validation error detected: {}", self.0.join("; ")))),
            n => Err(validation(format!("{n} validation errors detected: {}", self.0.join("; ")))),
        }
    }
}

/// `ReturnValues`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReturnValues {
    None,
    AllOld,
    UpdatedOld,
    AllNew,
    UpdatedNew,
}

impl ReturnValues {
    const ALL: [&'static str; 5] = ["NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"];

    /// Reads `ReturnValues`; `allowed` are the values the operation takes (PutItem and
    /// DeleteItem take NONE and ALL_OLD only).
    pub fn read(v: Member<Str>, allowed: &[&str]) -> DResult<ReturnValues> {
        let v = v.get("ReturnValues")?;
        let v = v.as_deref();
        let mut c = Constraints::default();
        c.one_of("returnValues", v, &Self::ALL);
        c.finish()?;
        let Some(v) = v else { return Ok(ReturnValues::None) };
        if !allowed.contains(&v) {
            return Err(validation(if allowed.len() == 2 {
                "ReturnValues can only be ALL_OLD or NONE"
            } else {
                "Return values set to invalid value"
            }));
        }
        Ok(match v {
            "ALL_OLD" => ReturnValues::AllOld,
            "UPDATED_OLD" => ReturnValues::UpdatedOld,
            "ALL_NEW" => ReturnValues::AllNew,
            "UPDATED_NEW" => ReturnValues::UpdatedNew,
            _ => ReturnValues::None,
        })
    }
}

/// Whether the answer carries item collection metrics (`ReturnItemCollectionMetrics`: SIZE or
/// NONE; tables with local indexes have item collections).
pub fn return_collection_metrics(v: Member<Str>) -> DResult<bool> {
    let v = v.get("ReturnItemCollectionMetrics")?;
    let v = v.as_deref();
    let mut c = Constraints::default();
    c.one_of("returnItemCollectionMetrics", v, &["SIZE", "NONE"]);
    c.finish()?;
    Ok(v == Some("SIZE"))
}

/// Whether a failed condition returns the item (`ReturnValuesOnConditionCheckFailure`).
pub fn return_old_on_failure(v: Member<Str>) -> DResult<bool> {
    let v = v.get("ReturnValuesOnConditionCheckFailure")?;
    let v = v.as_deref();
    let mut c = Constraints::default();
    c.one_of("returnValuesOnConditionCheckFailure", v, &["ALL_OLD", "NONE"]);
    c.finish()?;
    Ok(v == Some("ALL_OLD"))
}

/// `ExpressionAttributeNames` and `ExpressionAttributeValues`, checked.
#[derive(Debug, Default)]
pub struct ExprParams {
    pub names: Option<HashMap<String, String>>,
    pub values: Option<HashMap<String, AttrValue>>,
}

impl ExprParams {
    /// Checks the two members (each placeholder in turn, by name).
    pub fn read(names: Member<Names>, values: Member<Values>) -> DResult<ExprParams> {
        let mut p = ExprParams::default();
        if let Some(m) = names.get("ExpressionAttributeNames")? {
            if m.is_empty() {
                return Err(validation("ExpressionAttributeNames must not be empty"));
            }
            let mut names = HashMap::with_capacity(m.len());
            for (k, v) in m {
                let k = k.0;
                if !k.starts_with('#') || k.len() < 2 {
                    return Err(validation(format!(
                        "ExpressionAttributeNames contains invalid key: Syntax error; key: \"{k}\""
                    )));
                }
                let Member::Present(v) = v else {
                    return Err(DynamoError::Serialization(
                        "Unexpected value type for ExpressionAttributeNames: expected string values"
                            .into(),
                    ));
                };
                if v.is_empty() {
                    return Err(validation(format!(
                        "ExpressionAttributeNames contains invalid value: Empty attribute name; for key: \"{k}\""
                    )));
                }
                names.insert(k.into_owned(), v.into_owned());
            }
            p.names = Some(names);
        }
        if let Some(m) = values.get("ExpressionAttributeValues")? {
            if m.is_empty() {
                return Err(validation("ExpressionAttributeValues must not be empty"));
            }
            let mut values = HashMap::with_capacity(m.len());
            for (k, v) in m {
                let k = k.0;
                if !k.starts_with(':') || k.len() < 2 {
                    return Err(validation(format!(
                        "ExpressionAttributeValues contains invalid key: Syntax error; key: \"{k}\""
                    )));
                }
                let v = v.0.map_err(|e| {
                    if e.is_shape_error() {
                        return DynamoError::from(e);
                    }
                    validation(format!(
                        "ExpressionAttributeValues contains invalid value: {} for key {k}",
                        e.0
                    ))
                })?;
                values.insert(k.into_owned(), v);
            }
            p.values = Some(values);
        }
        Ok(p)
    }

    /// DynamoDB refuses names or values when the request has no expression.
    pub fn require_expressions(&self, any_expression: bool) -> DResult<()> {
        if !any_expression {
            if self.values.is_some() {
                return Err(validation(
                    "ExpressionAttributeValues can only be specified when using expressions",
                ));
            }
            if self.names.is_some() {
                return Err(validation(
                    "ExpressionAttributeNames can only be specified when using expressions",
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shapes::ItemWrite;

    #[test]
    fn constraint_messages() {
        let mut c = Constraints::default();
        c.table_name("tableName", Some("a!"));
        let e = c.finish().unwrap_err();
        assert_eq!(e, validation("2 validation errors detected: Value 'a!' at 'tableName' failed to satisfy constraint: Member must have length greater than or equal to 3; Value 'a!' at 'tableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"));
        assert_eq!(table_name(Member::Absent).unwrap_err(), validation("1 validation error detected: Value null at 'tableName' failed to satisfy constraint: Member must not be null"));
    }

    #[test]
    fn wrong_json_types_are_serialization_errors() {
        let w: ItemWrite = parse(br#"{"TableName": 5, "Limit": "x"}"#).unwrap();
        assert!(matches!(table_name(w.table_name), Err(DynamoError::Serialization(_))));
        let not_object = parse::<ItemWrite>(b" [1]").unwrap_err();
        assert_eq!(not_object.message(), "Start of structure or map expected in the request body");
        assert!(parse::<ItemWrite>(b"{").unwrap_err().message().contains("not valid JSON"));
        assert!(parse::<ItemWrite>(b"[1,").unwrap_err().message().contains("not valid JSON"));
        assert!(parse::<ItemWrite>(b"").unwrap_err().message().contains("not valid JSON"));
    }

    #[test]
    fn syntax_errors_come_before_everything_else() {
        // A refused attribute value, then broken JSON: the JSON is reported.
        let body = br#"{"TableName": "t", "Item": {"a": {"N": "x"}}, "Key": [1,}"#;
        let e = parse::<ItemWrite>(body).unwrap_err();
        assert!(e.message().contains("not valid JSON"), "{}", e.message());
        // A member given twice, then broken JSON: the JSON too.
        let body = br#"{"TableName": "t", "TableName": "u", "Item": {"#;
        assert!(parse::<ItemWrite>(body).unwrap_err().message().contains("not valid JSON"));
        let body = br#"{"TableName": "t", "TableName": "u"}"#;
        let e = parse::<ItemWrite>(body).unwrap_err();
        assert!(matches!(e, DynamoError::Serialization(_)));
        assert!(e.message().contains("duplicate field `TableName`"), "{}", e.message());
        // Bytes no member reads are checked all the same.
        for body in [
            &br#"{"TableName": "t", "Other": "\ud800"}"#[..],
            b"{\"Other\": \"\xff\"}",
            br#"{"Item": {"a": {"L": [[1e400]]}}}"#,
        ] {
            let e = parse::<ItemWrite>(body).unwrap_err();
            assert!(e.message().contains("not valid JSON"), "{}", e.message());
        }
    }

    #[test]
    fn null_is_absent() {
        let w: ItemWrite = parse(br#"{"TableName": null, "ReturnValues": null}"#).unwrap();
        assert!(!w.table_name.is_given());
        assert_eq!(ReturnValues::read(w.return_values, &["NONE"]).unwrap(), ReturnValues::None);
    }

    #[test]
    fn strings_are_borrowed_from_the_body_unless_escaped() {
        let w: ItemWrite =
            parse(br#"{"TableName": "plain", "ConditionExpression": "a\u0020b"}"#).unwrap();
        assert!(matches!(w.table_name, Member::Present(std::borrow::Cow::Borrowed("plain"))));
        assert!(
            matches!(w.condition_expression, Member::Present(std::borrow::Cow::Owned(ref s)) if s == "a b")
        );
    }

    #[test]
    fn expression_parameters() {
        let read = |body: &[u8]| {
            let w: ItemWrite = parse(body).unwrap();
            ExprParams::read(w.expression_attribute_names, w.expression_attribute_values)
        };
        let e = read(br#"{"ExpressionAttributeNames": {"x": "a"}}"#).unwrap_err();
        assert!(e.message().contains("invalid key: Syntax error; key: \"x\""));
        let e = read(br##"{"ExpressionAttributeNames": {"#x": 1}}"##).unwrap_err();
        assert_eq!(
            e.message(),
            "Unexpected value type for ExpressionAttributeNames: expected string values"
        );
        let e = read(br#"{"ExpressionAttributeValues": {}}"#).unwrap_err();
        assert_eq!(e.message(), "ExpressionAttributeValues must not be empty");
        // Placeholders are checked by name: ":a" is reported before ":b".
        let e = read(br#"{"ExpressionAttributeValues": {":b": {"N": "x"}, ":a": {"SS": []}}}"#)
            .unwrap_err();
        assert!(e.message().contains("set  may not be empty for key :a"), "{}", e.message());
        let e = read(br#"{"ExpressionAttributeValues": {":a": null}}"#).unwrap_err();
        assert!(matches!(e, DynamoError::Serialization(_)));
        let p = read(br#"{"ExpressionAttributeValues": {":v": {"N": "1"}}}"#).unwrap();
        assert!(p.require_expressions(false).is_err());
        assert!(p.require_expressions(true).is_ok());
    }
}
