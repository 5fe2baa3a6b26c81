//! Time to Live: UpdateTimeToLive and DescribeTimeToLive. The expiry itself is the expirer's
//! ([`crate::dynamodb::expirer`]).
//!
//! A change takes effect when UpdateTimeToLive returns (`ENABLED` or `DISABLED` at once;
//! DynamoDB's `ENABLING` and `DISABLING` are not reported). As in DynamoDB, a table's setting
//! may change once per cooldown (`--ttl-change-cooldown`, default an hour); the checks on
//! the request's content come first.

use crate::dynamodb::access;
use crate::dynamodb::error::{validation, DResult};
use crate::dynamodb::ops::tables::TableNameInput;
use crate::dynamodb::ops::{now_secs, Gateway, Input};
use crate::dynamodb::request::member::Str;
use crate::dynamodb::request::shapes;
use crate::dynamodb::request::Constraints;
use crate::dynamodb::schema::catalog::not_found;
use crate::dynamodb::schema::table::TtlMeta;
use crate::iam::caller::Caller;
use serde_json::{json, Value as Json};

/// The longest TTL attribute name (the model's).
pub const TTL_ATTRIBUTE_NAME_LEN_MAX: usize = 255;

/// UpdateTimeToLive's input, checked.
pub struct UpdateTtlInput<'a> {
    table_name: Str<'a>,
    enabled: bool,
    attribute: String,
}

impl<'a> Input<'a> for UpdateTtlInput<'a> {
    fn authorize(&self, g: &Gateway, caller: &Caller, action: &'static str) -> DResult<()> {
        access::table(g, caller, action, &self.table_name, |_| {})
    }

    type Shape = shapes::UpdateTimeToLive<'a>;

    fn decode(w: shapes::UpdateTimeToLive<'a>) -> DResult<Self> {
        let mut c = Constraints::default();
        let name = w.table_name.get("TableName")?;
        c.table_name("tableName", name.as_deref());
        let spec = w.time_to_live_specification.get("TimeToLiveSpecification")?;
        let (mut enabled, mut attribute) = (None, None);
        match spec {
            None => c.not_null::<()>("timeToLiveSpecification", None),
            Some(spec) => {
                attribute = spec.attribute_name.get("AttributeName")?;
                enabled = spec.enabled.get("Enabled")?;
                let at = "timeToLiveSpecification.attributeName";
                c.not_null(at, attribute.as_ref());
                if let Some(a) = attribute.as_deref() {
                    c.len(at, &format!("'{a}'"), a.len(), 1, TTL_ATTRIBUTE_NAME_LEN_MAX);
                }
                c.not_null("timeToLiveSpecification.enabled", enabled);
            }
        }
        c.finish()?;
        Ok(UpdateTtlInput {
            table_name: name.unwrap_or_default(),
            enabled: enabled.unwrap_or(false),
            attribute: attribute.map(|a| a.into_owned()).unwrap_or_default(),
        })
    }
}

pub fn update(g: &Gateway, input: UpdateTtlInput) -> DResult<Json> {
    let name: &str = &input.table_name;
    let now = now_secs();
    let cooldown = g.opts.ttl_change_cooldown.as_secs_f64();
    g.catalog.update(name, |m| {
        let current = m.ttl.as_ref().and_then(|t| t.attribute.as_deref());
        match (input.enabled, current) {
            (true, Some(a)) if a == input.attribute => {
                return Err(validation("TimeToLive is already enabled"))
            }
            (_, Some(a)) if a != input.attribute => {
                return Err(validation(format!(
                "TimeToLive is active on a different AttributeName: current AttributeName is {a}"
            )))
            }
            (false, None) => return Err(validation("TimeToLive is already disabled")),
            _ => {}
        }
        if m.ttl.as_ref().is_some_and(|t| now - t.changed < cooldown) {
            return Err(validation(
                "Time to live has been modified multiple times within a fixed interval",
            ));
        }
        let attribute = input.enabled.then(|| input.attribute.clone());
        m.ttl = Some(TtlMeta { attribute, changed: now });
        Ok(())
    })?;
    Ok(
        json!({"TimeToLiveSpecification": {"Enabled": input.enabled, "AttributeName": input.attribute}}),
    )
}

pub fn describe(g: &Gateway, input: TableNameInput) -> DResult<Json> {
    let name = input.name();
    let table = g.catalog.get(name).ok_or_else(|| not_found(name))?;
    let d = match table.meta.ttl.as_ref().and_then(|t| t.attribute.as_deref()) {
        Some(a) => json!({"TimeToLiveStatus": "ENABLED", "AttributeName": a}),
        None => json!({"TimeToLiveStatus": "DISABLED"}),
    };
    Ok(json!({ "TimeToLiveDescription": d }))
}
