//! Reading an operation's input (the JSON every protocol is decoded into, timestamps as epoch
//! seconds): typed members with CloudWatch's errors naming the member.

use crate::cloudwatch::error::{CwError, CwResult};
use serde_json::Value as Json;

/// A string member, when given.
pub fn opt_str<'a>(v: &'a Json, member: &str) -> CwResult<Option<&'a str>> {
    match v.get(member) {
        None | Some(Json::Null) => Ok(None),
        Some(Json::String(s)) => Ok(Some(s)),
        Some(_) => Err(CwError::invalid(format!("The parameter {member} must be a string."))),
    }
}

/// A required string member, of `min..=max` characters.
pub fn req_str<'a>(v: &'a Json, member: &str, min: usize, max: usize) -> CwResult<&'a str> {
    let s = opt_str(v, member)?.ok_or_else(|| CwError::missing(member))?;
    check_len(s, member, min, max)?;
    Ok(s)
}

/// Refuses a string outside `min..=max` characters.
pub fn check_len(s: &str, member: &str, min: usize, max: usize) -> CwResult<()> {
    let n = s.chars().count();
    if n < min || n > max {
        return Err(CwError::invalid(format!(
            "The parameter {member} must be between {min} and {max} characters long."
        )));
    }
    Ok(())
}

/// A number member, when given.
pub fn opt_f64(v: &Json, member: &str) -> CwResult<Option<f64>> {
    match v.get(member) {
        None | Some(Json::Null) => Ok(None),
        Some(Json::Number(n)) => match n.as_f64() {
            Some(x) if x.is_finite() => Ok(Some(x)),
            _ => Err(CwError::invalid(format!("The parameter {member} must be a finite number."))),
        },
        Some(_) => Err(CwError::invalid(format!("The parameter {member} must be a number."))),
    }
}

/// An integer member, when given.
pub fn opt_i64(v: &Json, member: &str) -> CwResult<Option<i64>> {
    match opt_f64(v, member)? {
        None => Ok(None),
        Some(x) if x.fract() == 0.0 && x.abs() < 9.0e15 => Ok(Some(x as i64)),
        Some(_) => Err(CwError::invalid(format!("The parameter {member} must be an integer."))),
    }
}

/// A boolean member, when given.
pub fn opt_bool(v: &Json, member: &str) -> CwResult<Option<bool>> {
    match v.get(member) {
        None | Some(Json::Null) => Ok(None),
        Some(Json::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(CwError::invalid(format!("The parameter {member} must be a boolean."))),
    }
}

/// A list member (empty when not given), of at most `max` entries.
pub fn list<'a>(v: &'a Json, member: &str, max: usize) -> CwResult<&'a [Json]> {
    match v.get(member) {
        None | Some(Json::Null) => Ok(&[]),
        Some(Json::Array(a)) if a.len() <= max => Ok(a),
        Some(Json::Array(_)) => Err(CwError::invalid(format!(
            "The collection {member} must not have more than {max} members."
        ))),
        Some(_) => Err(CwError::invalid(format!("The parameter {member} must be a list."))),
    }
}

/// A list of strings.
pub fn str_list<'a>(v: &'a Json, member: &str, max: usize) -> CwResult<Vec<&'a str>> {
    list(v, member, max)?
        .iter()
        .map(|e| {
            e.as_str().ok_or_else(|| {
                CwError::invalid(format!("The members of {member} must be strings."))
            })
        })
        .collect()
}

/// One of `allowed`, when given.
pub fn opt_enum<'a>(v: &'a Json, member: &str, allowed: &[&str]) -> CwResult<Option<&'a str>> {
    let s = opt_str(v, member)?;
    if let Some(s) = s {
        if !allowed.contains(&s) {
            return Err(CwError::invalid(format!(
                "The value {s} for parameter {member} is not valid; it must be one of: {}.",
                allowed.join(", ")
            )));
        }
    }
    Ok(s)
}

/// Refuses a member this server does not serve, naming it.
pub fn refuse(v: &Json, member: &str, why: &str) -> CwResult<()> {
    match v.get(member) {
        None | Some(Json::Null) => Ok(()),
        Some(Json::Array(a)) if a.is_empty() => Ok(()),
        Some(_) => {
            Err(CwError::invalid(format!("The parameter {member} is not supported: {why}.")))
        }
    }
}

/// Adds `NextToken` to an answer object when there is one.
pub fn with_token(mut out: Json, token: Option<String>) -> Json {
    if let (Json::Object(o), Some(t)) = (&mut out, token) {
        o.insert("NextToken".into(), Json::String(t));
    }
    out
}

/// Most records a page of DescribeAlarms or DescribeAlarmHistory holds.
pub const RECORDS_MAX: i64 = 100;

/// A page's position: `NextToken` (the items already given, as this server words its tokens)
/// and `MaxRecords` (`default` when absent, 1–[`RECORDS_MAX`]).
pub fn paging(v: &Json, default: i64) -> CwResult<(usize, usize)> {
    let max = opt_i64(v, "MaxRecords")?.unwrap_or(default);
    if !(1..=RECORDS_MAX).contains(&max) {
        return Err(CwError::invalid(format!(
            "The parameter MaxRecords must be between 1 and {RECORDS_MAX}."
        )));
    }
    Ok((next_token(v)?, max as usize))
}

/// `NextToken`: the number of items already given (0 when absent).
pub fn next_token(v: &Json) -> CwResult<usize> {
    match opt_str(v, "NextToken")? {
        None => Ok(0),
        Some(t) => t.parse::<usize>().map_err(|_| CwError::next_token()),
    }
}
