//! A request's expressions, parsed together: every expression parameter an operation takes
//! (`ConditionExpression`, `UpdateExpression`, `ProjectionExpression`, `FilterExpression`,
//! `KeyConditionExpression`) or its legacy counterpart (`Expected`, `AttributeUpdates`,
//! `AttributesToGet`, `QueryFilter`/`ScanFilter`, `KeyConditions`, with `ConditionalOperator`),
//! sharing one set of `ExpressionAttributeNames`/`Values` whose every entry must be used.

use crate::dynamodb::error::{validation, DResult};
use crate::dynamodb::expr::path::{parse_projection, Names, Path};
use crate::dynamodb::expr::{self, legacy, Condition, KeyOp, Update, Values};
use crate::dynamodb::request::{ExprParams, Req};

/// The expressions of one request, not yet parsed.
pub struct Expressions<'a> {
    req: Req<'a>,
    params: ExprParams,
    /// Expression parameters present, with their text.
    present: Vec<(&'static str, &'a str)>,
    /// Legacy parameters present.
    legacy: Vec<&'static str>,
}

/// The parsed expressions.
#[derive(Default)]
pub struct Parsed {
    pub condition: Option<Condition>,
    pub update: Option<Update>,
    pub projection: Option<Vec<Path>>,
    pub filter: Option<Condition>,
    pub key_condition: Option<Vec<(String, KeyOp)>>,
}

impl<'a> Expressions<'a> {
    /// Reads the expression parameters `exprs` and legacy parameters `legacy` the operation
    /// takes, and refuses a request that mixes the two kinds.
    pub fn read(req: Req<'a>, exprs: &[&'static str], legacy: &[&'static str]) -> DResult<Self> {
        let params = ExprParams::read(req)?;
        let mut present = Vec::new();
        for &e in exprs {
            if let Some(s) = req.str(e)? {
                present.push((e, s));
            }
        }
        let mut legacy_present = Vec::new();
        for &l in legacy {
            if req.get(l).is_some() {
                legacy_present.push(l);
            }
        }
        // ConditionalOperator is itself a legacy parameter: with expressions it is a mix.
        if req.get("ConditionalOperator").is_some() {
            legacy_present.push("ConditionalOperator");
        }
        if !present.is_empty() && !legacy_present.is_empty() {
            let names: Vec<&str> = present.iter().map(|(n, _)| *n).collect();
            return Err(validation(legacy::mixing_message(&legacy_present, &names)));
        }
        params.require_expressions(!present.is_empty())?;
        Ok(Expressions { req, params, present, legacy: legacy_present })
    }

    /// Parses everything, then checks that every name and value placeholder was used.
    pub fn parse(&self) -> DResult<Parsed> {
        let mut names = Names::new(self.params.names.as_ref());
        let mut values = Values::new(self.params.values.as_ref());
        let mut out = Parsed::default();
        for &(param, text) in &self.present {
            match param {
                "ConditionExpression" => {
                    out.condition =
                        Some(expr::parse_condition(text, param, &mut names, &mut values)?)
                }
                "FilterExpression" => {
                    out.filter = Some(expr::parse_condition(text, param, &mut names, &mut values)?)
                }
                "UpdateExpression" => {
                    out.update = Some(expr::parse_update(text, &mut names, &mut values)?)
                }
                "ProjectionExpression" => {
                    out.projection = Some(parse_projection(text, &mut names)?)
                }
                "KeyConditionExpression" => {
                    out.key_condition =
                        Some(expr::parse_key_condition(text, &mut names, &mut values)?)
                }
                _ => {}
            }
        }
        if !self.present.is_empty() {
            names.check_all_used()?;
            values.check_all_used()?;
        }
        let op = self.req.get("ConditionalOperator");
        for &param in &self.legacy {
            let Some(v) = self.req.get(param) else { continue };
            match param {
                "Expected" => out.condition = Some(legacy::expected(v, op)?),
                "QueryFilter" | "ScanFilter" => out.filter = Some(legacy::filter(v, op, param)?),
                "KeyConditions" => out.key_condition = Some(legacy::key_conditions(v)?),
                "AttributeUpdates" => out.update = Some(legacy::attribute_updates(v)?),
                "AttributesToGet" => out.projection = Some(legacy::attributes_to_get(v)?),
                _ => {}
            }
        }
        Ok(out)
    }
}
