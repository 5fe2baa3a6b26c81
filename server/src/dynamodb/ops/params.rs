//! A request's expressions, parsed together: every expression parameter an operation takes
//! (`ConditionExpression`, `UpdateExpression`, `ProjectionExpression`, `FilterExpression`,
//! `KeyConditionExpression`) or its legacy counterpart (`Expected`, `AttributeUpdates`,
//! `AttributesToGet`, `QueryFilter`/`ScanFilter`, `KeyConditions`, with `ConditionalOperator`),
//! sharing one set of `ExpressionAttributeNames`/`Values` whose every entry must be used.

use crate::dynamodb::error::{validation, DResult};
use crate::dynamodb::expr::path::{parse_projection, Names, Path};
use crate::dynamodb::expr::{self, legacy, Condition, KeyOp, Update, Values};
use crate::dynamodb::request::member::{Member, Str};
use crate::dynamodb::request::shapes;
use crate::dynamodb::request::ExprParams;
use serde_json::Value as Json;

/// The expression members of one request, as decoded: what [`Expressions::read`] takes.
pub struct ExprMembers<'a, const E: usize, const L: usize> {
    pub names: Member<shapes::Names<'a>>,
    pub values: Member<shapes::Values<'a>>,
    /// The expression parameters the operation takes, in the order they are parsed.
    pub expressions: [(&'static str, Member<Str<'a>>); E],
    /// The legacy parameters it takes.
    pub legacy: [(&'static str, Member<Json>); L],
    /// `ConditionalOperator`, for operations that take legacy conditions.
    pub conditional_operator: Member<Json>,
}

/// The projection of a single-item read (GetItem, a BatchGetItem table): `ProjectionExpression`
/// or `AttributesToGet`, with the names, values and `ConditionalOperator` checked as for any
/// expression.
pub fn read_projection(
    names: Member<shapes::Names>,
    values: Member<shapes::Values>,
    projection_expression: Member<Str>,
    attributes_to_get: Member<Json>,
    conditional_operator: Member<Json>,
) -> DResult<Option<Vec<Path>>> {
    let ex = Expressions::read(ExprMembers {
        names,
        values,
        expressions: [("ProjectionExpression", projection_expression)],
        legacy: [("AttributesToGet", attributes_to_get)],
        conditional_operator,
    })?;
    Ok(ex.parse()?.projection)
}

/// The expressions of one request, not yet parsed.
pub struct Expressions<'a> {
    params: ExprParams,
    /// Expression parameters present, with their text.
    present: Vec<(&'static str, Str<'a>)>,
    /// Legacy parameters present.
    legacy: Vec<(&'static str, Json)>,
    conditional_operator: Option<Json>,
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
    /// Checks the members, and refuses a request that mixes expressions with legacy
    /// parameters.
    pub fn read<const E: usize, const L: usize>(m: ExprMembers<'a, E, L>) -> DResult<Self> {
        let params = ExprParams::read(m.names, m.values)?;
        let mut present = Vec::new();
        for (e, text) in m.expressions {
            if let Some(s) = text.get(e)? {
                present.push((e, s));
            }
        }
        let mut legacy = Vec::new();
        for (l, v) in m.legacy {
            // A legacy parameter of any JSON type counts as given (its type is checked when
            // it is parsed).
            if let Member::Present(v) = v {
                legacy.push((l, v));
            }
        }
        let conditional_operator = m.conditional_operator.present();
        let mut legacy_names: Vec<&str> = legacy.iter().map(|(l, _)| *l).collect();
        // ConditionalOperator is itself a legacy parameter: with expressions it is a mix.
        if conditional_operator.is_some() {
            legacy_names.push("ConditionalOperator");
        }
        if !present.is_empty() && !legacy_names.is_empty() {
            let names: Vec<&str> = present.iter().map(|(n, _)| *n).collect();
            return Err(validation(legacy::mixing_message(&legacy_names, &names)));
        }
        params.require_expressions(!present.is_empty())?;
        Ok(Expressions { params, present, legacy, conditional_operator })
    }

    /// Parses everything, then checks that every name and value placeholder was used.
    pub fn parse(&self) -> DResult<Parsed> {
        let mut names = Names::new(self.params.names.as_ref());
        let mut values = Values::new(self.params.values.as_ref());
        let mut out = Parsed::default();
        for (param, text) in &self.present {
            let param = *param;
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
        let op = self.conditional_operator.as_ref();
        for (param, v) in &self.legacy {
            let (param, v) = (*param, v);
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
