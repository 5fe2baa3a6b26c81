//! Authorization of DynamoDB requests: the IAM action, the resources (tables, indexes) and the
//! condition keys of each request, checked against the caller's policies before the operation
//! acts ([`crate::dynamodb::ops::Input::authorize`], called by the registry for every
//! operation).
//!
//! Resources are ARNs: `arn:aws:dynamodb:REGION:ACCOUNT:table/NAME`, and
//! `…:table/NAME/index/INDEX` for a Query or Scan of an index.

use super::capacity::Mode;
use super::error::{DResult, DynamoError};
use super::expr::path::{Path, Step};
use super::model::value::{AttrValue, Item};
use super::ops::Gateway;
use super::request::ReturnValues;
use crate::iam::caller::Caller;
use crate::iam::policy::Context;

/// The ARN of table `name`.
pub fn table_arn(g: &Gateway, name: &str) -> String {
    format!("arn:aws:dynamodb:{}:{}:table/{name}", g.opts.region, g.opts.account)
}

/// The ARN of index `index` of table `table`.
pub fn index_arn(g: &Gateway, table: &str, index: &str) -> String {
    format!("{}/index/{index}", table_arn(g, table))
}

/// Checks `action` on `resource` with `context`.
pub fn check(caller: &Caller, action: &str, resource: &str, context: &Context) -> DResult<()> {
    caller.authorize(action, resource, context).map_err(|d| DynamoError::AccessDenied(d.message))
}

/// Checks `action` on table `table` with the caller's base context and `extra` keys.
pub fn table(
    g: &Gateway,
    caller: &Caller,
    action: &str,
    table: &str,
    extra: impl FnOnce(&mut Context),
) -> DResult<()> {
    if caller.is_unrestricted() {
        return Ok(());
    }
    let mut context = caller.context();
    extra(&mut context);
    check(caller, action, &table_arn(g, table), &context)
}

/// Checks `action` on every resource ListTables-like operations name: `*`.
pub fn account_wide(caller: &Caller, action: &str) -> DResult<()> {
    if caller.is_unrestricted() {
        return Ok(());
    }
    check(caller, action, "*", &caller.context())
}

/// DynamoDB's condition keys of one request on one table.
#[derive(Debug, Default)]
pub struct Keys {
    /// `dynamodb:LeadingKeys`: the partition key values of every item touched.
    pub leading: Vec<String>,
    /// `dynamodb:Attributes`: the top-level attributes the request names (None: it names none,
    /// as a read of whole items).
    pub attributes: Option<Vec<String>>,
    /// `dynamodb:Select` (Query and Scan).
    pub select: Option<&'static str>,
    /// `dynamodb:ReturnValues` (writes).
    pub return_values: Option<&'static str>,
    /// `dynamodb:ReturnConsumedCapacity`.
    pub return_consumed_capacity: Option<&'static str>,
}

impl Keys {
    /// Adds the keys to `context`.
    pub fn apply(self, context: &mut Context) {
        if !self.leading.is_empty() {
            context.set_multi("dynamodb:LeadingKeys", self.leading);
        }
        if let Some(a) = self.attributes {
            context.set_multi("dynamodb:Attributes", a);
        }
        if let Some(s) = self.select {
            context.set("dynamodb:Select", s);
        }
        if let Some(r) = self.return_values {
            context.set("dynamodb:ReturnValues", r);
        }
        if let Some(r) = self.return_consumed_capacity {
            context.set("dynamodb:ReturnConsumedCapacity", r);
        }
    }

    /// Adds the partition key value of `item` (a key or a whole item) of `table`, if the table
    /// exists and the item has it.
    pub fn lead(&mut self, g: &Gateway, table: &str, item: &Item) {
        if let Some(t) = g.catalog.get(table) {
            if let Some(v) = item.get(&t.meta.hash.name).and_then(key_text) {
                if !self.leading.contains(&v) {
                    self.leading.push(v);
                }
            }
        }
    }

    /// Adds attribute names.
    pub fn names<'n>(&mut self, names: impl IntoIterator<Item = &'n str>) {
        let a = self.attributes.get_or_insert_with(Vec::new);
        for n in names {
            if !a.iter().any(|x| x == n) {
                a.push(n.to_string());
            }
        }
    }

    /// A read's projection: its top-level attributes and `dynamodb:Select` =
    /// `SPECIFIC_ATTRIBUTES`; without one the read returns whole items, `ALL_ATTRIBUTES` (so
    /// that a policy limiting Attributes and requiring SPECIFIC_ATTRIBUTES refuses it).
    pub fn projection(&mut self, projection: Option<&[Path]>) {
        match projection {
            Some(p) => {
                self.paths(p);
                self.select = Some("SPECIFIC_ATTRIBUTES");
            }
            None => self.select = Some("ALL_ATTRIBUTES"),
        }
    }

    /// Adds the top-level attributes of `paths`.
    pub fn paths<'p>(&mut self, paths: impl IntoIterator<Item = &'p Path>) {
        let tops: Vec<&str> = paths
            .into_iter()
            .filter_map(|p| match p.0.first() {
                Some(Step::Attr(a)) => Some(a.as_str()),
                _ => None,
            })
            .collect();
        self.names(tops);
    }
}

/// A key value as `dynamodb:LeadingKeys` holds it: a string as is, a number as written,
/// binary in base64.
pub fn key_text(v: &AttrValue) -> Option<String> {
    use base64::Engine as _;
    match v {
        AttrValue::S(s) => Some(s.clone()),
        AttrValue::N(n) => Some(n.to_string()),
        AttrValue::B(b) => Some(base64::engine::general_purpose::STANDARD.encode(b)),
        _ => None,
    }
}

/// `ReturnConsumedCapacity`'s name.
pub fn mode_name(m: Mode) -> &'static str {
    match m {
        Mode::None => "NONE",
        Mode::Total => "TOTAL",
        Mode::Indexes => "INDEXES",
    }
}

/// `ReturnValues`' name.
pub fn return_values_name(r: ReturnValues) -> &'static str {
    match r {
        ReturnValues::None => "NONE",
        ReturnValues::AllOld => "ALL_OLD",
        ReturnValues::UpdatedOld => "UPDATED_OLD",
        ReturnValues::AllNew => "ALL_NEW",
        ReturnValues::UpdatedNew => "UPDATED_NEW",
    }
}

/// Checks `action` on `table` with `keys`.
pub fn table_with(
    g: &Gateway,
    caller: &Caller,
    action: &str,
    table_name: &str,
    keys: Keys,
) -> DResult<()> {
    table(g, caller, action, table_name, |c| keys.apply(c))
}
