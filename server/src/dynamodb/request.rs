//! Reading a request's JSON body: typed accessors that answer a wrong JSON type with
//! `SerializationException`, DynamoDB's "N validation errors detected" constraint messages, and
//! the parameters many operations share (table name, expression names and values, return
//! values).

use crate::dynamodb::error::{validation, DResult, DynamoError};
use crate::dynamodb::limits::{TABLE_NAME_LEN_MAX, TABLE_NAME_LEN_MIN};
use crate::dynamodb::model::value::{item_from_json, AttrValue, Item};
use serde_json::{Map, Value as Json};
use std::collections::HashMap;

/// A request body: a JSON object.
#[derive(Clone, Copy)]
pub struct Req<'a>(pub &'a Map<String, Json>);

fn wrong_type(name: &str, expected: &str) -> DynamoError {
    DynamoError::Serialization(format!("Unexpected value type for {name}: expected {expected}"))
}

impl<'a> Req<'a> {
    /// The body parsed as a JSON object (`SerializationException` otherwise).
    pub fn parse(body: &[u8]) -> DResult<Json> {
        let v: Json = serde_json::from_slice(body).map_err(|e| {
            DynamoError::Serialization(format!("Request body is not valid JSON: {e}"))
        })?;
        if !v.is_object() {
            return Err(DynamoError::Serialization(
                "Start of structure or map expected in the request body".into(),
            ));
        }
        Ok(v)
    }

    /// A member, `None` if absent or JSON null (DynamoDB treats null as absent).
    pub fn get(&self, name: &str) -> Option<&'a Json> {
        self.0.get(name).filter(|v| !v.is_null())
    }

    pub fn str(&self, name: &str) -> DResult<Option<&'a str>> {
        match self.get(name) {
            None => Ok(None),
            Some(Json::String(s)) => Ok(Some(s)),
            Some(_) => Err(wrong_type(name, "a string")),
        }
    }

    pub fn bool(&self, name: &str) -> DResult<Option<bool>> {
        match self.get(name) {
            None => Ok(None),
            Some(Json::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(wrong_type(name, "a boolean")),
        }
    }

    pub fn int(&self, name: &str) -> DResult<Option<i64>> {
        match self.get(name) {
            None => Ok(None),
            Some(Json::Number(n)) => {
                n.as_i64().map(Some).ok_or_else(|| wrong_type(name, "an integer"))
            }
            Some(_) => Err(wrong_type(name, "a number")),
        }
    }

    pub fn obj(&self, name: &str) -> DResult<Option<Req<'a>>> {
        match self.get(name) {
            None => Ok(None),
            Some(Json::Object(m)) => Ok(Some(Req(m))),
            Some(_) => Err(wrong_type(name, "a structure or map")),
        }
    }

    pub fn arr(&self, name: &str) -> DResult<Option<&'a Vec<Json>>> {
        match self.get(name) {
            None => Ok(None),
            Some(Json::Array(a)) => Ok(Some(a)),
            Some(_) => Err(wrong_type(name, "a list")),
        }
    }

    /// An attribute map (`Item`, `Key`, `ExclusiveStartKey`), validated.
    pub fn item(&self, name: &str) -> DResult<Option<Item>> {
        match self.get(name) {
            None => Ok(None),
            Some(v @ Json::Object(_)) => Ok(Some(item_from_json(v)?)),
            Some(_) => Err(wrong_type(name, "a map")),
        }
    }

    /// The request's `TableName`, checked as DynamoDB checks it.
    pub fn table_name(&self) -> DResult<&'a str> {
        let mut c = Constraints::default();
        let name = self.str("TableName")?;
        c.table_name("tableName", name);
        c.finish()?;
        Ok(name.unwrap_or_default())
    }
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
    pub fn read(req: Req, allowed: &[&str]) -> DResult<ReturnValues> {
        let v = req.str("ReturnValues")?;
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

/// Whether a failed condition returns the item (`ReturnValuesOnConditionCheckFailure`).
pub fn return_old_on_failure(req: Req) -> DResult<bool> {
    let v = req.str("ReturnValuesOnConditionCheckFailure")?;
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
    pub fn read(req: Req) -> DResult<ExprParams> {
        let mut p = ExprParams::default();
        if let Some(m) = req.obj("ExpressionAttributeNames")? {
            if m.0.is_empty() {
                return Err(validation("ExpressionAttributeNames must not be empty"));
            }
            let mut names = HashMap::with_capacity(m.0.len());
            for (k, v) in m.0 {
                if !k.starts_with('#') || k.len() < 2 {
                    return Err(validation(format!(
                        "ExpressionAttributeNames contains invalid key: Syntax error; key: \"{k}\""
                    )));
                }
                let Json::String(v) = v else {
                    return Err(wrong_type("ExpressionAttributeNames", "string values"));
                };
                if v.is_empty() {
                    return Err(validation(format!(
                        "ExpressionAttributeNames contains invalid value: Empty attribute name; for key: \"{k}\""
                    )));
                }
                names.insert(k.clone(), v.clone());
            }
            p.names = Some(names);
        }
        if let Some(m) = req.obj("ExpressionAttributeValues")? {
            if m.0.is_empty() {
                return Err(validation("ExpressionAttributeValues must not be empty"));
            }
            let mut values = HashMap::with_capacity(m.0.len());
            for (k, v) in m.0 {
                if !k.starts_with(':') || k.len() < 2 {
                    return Err(validation(format!(
                        "ExpressionAttributeValues contains invalid key: Syntax error; key: \"{k}\""
                    )));
                }
                let v = AttrValue::from_json(v).map_err(|e| {
                    if e.is_shape_error() {
                        return DynamoError::from(e);
                    }
                    validation(format!(
                        "ExpressionAttributeValues contains invalid value: {} for key {k}",
                        e.0
                    ))
                })?;
                values.insert(k.clone(), v);
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
    use serde_json::json;

    #[test]
    fn constraint_messages() {
        let mut c = Constraints::default();
        c.table_name("tableName", Some("a!"));
        let e = c.finish().unwrap_err();
        assert_eq!(e, validation("2 validation errors detected: Value 'a!' at 'tableName' failed to satisfy constraint: Member must have length greater than or equal to 3; Value 'a!' at 'tableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"));
        let body = json!({});
        let r = Req(body.as_object().unwrap());
        assert_eq!(r.table_name().unwrap_err(), validation("1 validation error detected: Value null at 'tableName' failed to satisfy constraint: Member must not be null"));
    }

    #[test]
    fn wrong_json_types_are_serialization_errors() {
        let body = json!({"TableName": 5, "Limit": "x"});
        let r = Req(body.as_object().unwrap());
        assert!(matches!(r.table_name(), Err(DynamoError::Serialization(_))));
        assert!(matches!(r.int("Limit"), Err(DynamoError::Serialization(_))));
        assert!(matches!(Req::parse(b"[1]"), Err(DynamoError::Serialization(_))));
        assert!(matches!(Req::parse(b"{"), Err(DynamoError::Serialization(_))));
    }

    #[test]
    fn expression_parameters() {
        let body = json!({"ExpressionAttributeNames": {"x": "a"}});
        let e = ExprParams::read(Req(body.as_object().unwrap())).unwrap_err();
        assert!(e.message().contains("invalid key: Syntax error; key: \"x\""));
        let body = json!({"ExpressionAttributeValues": {}});
        let e = ExprParams::read(Req(body.as_object().unwrap())).unwrap_err();
        assert_eq!(e.message(), "ExpressionAttributeValues must not be empty");
        let body = json!({"ExpressionAttributeValues": {":v": {"N": "1"}}});
        let p = ExprParams::read(Req(body.as_object().unwrap())).unwrap();
        assert!(p.require_expressions(false).is_err());
        assert!(p.require_expressions(true).is_ok());
    }
}
