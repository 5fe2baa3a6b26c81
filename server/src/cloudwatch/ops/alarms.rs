//! PutMetricAlarm, DescribeAlarms, DescribeAlarmsForMetric, DeleteAlarms, SetAlarmState and
//! DescribeAlarmHistory. Metric-math alarms (`Metrics`), percentiles and composite alarms are
//! refused by name.

use super::input::{
    opt_bool, opt_enum, opt_f64, opt_i64, opt_str, paging, refuse, req_str, str_list, with_token,
};
use super::metrics::{dimensions, STATISTICS, UNITS};
use crate::cloudwatch::alarms::evaluate;
use crate::cloudwatch::alarms::model::{Alarm, HistoryItem, State, COMPARISONS, TREAT_MISSING};
use crate::cloudwatch::alarms::notify;
use crate::cloudwatch::error::{CwError, CwResult};
use crate::cloudwatch::CloudWatch;
use serde_json::{json, Value as Json};

/// Most actions of each kind.
const ACTIONS_MAX: usize = 5;
/// Most names DescribeAlarms and DeleteAlarms take.
const NAMES_MAX: usize = 100;

fn actions(cw: &CloudWatch, v: &Json, member: &str) -> CwResult<Vec<String>> {
    let urls = str_list(v, member, ACTIONS_MAX)?;
    for u in &urls {
        if let Some(why) = notify::refusal(u, &cw.webhook_allow) {
            return Err(CwError::invalid(format!("{member}: {why}")));
        }
    }
    Ok(urls.into_iter().map(str::to_string).collect())
}

pub fn put_metric_alarm(cw: &CloudWatch, v: &Json) -> CwResult<Json> {
    let name = req_str(v, "AlarmName", 1, 255)?;
    refuse(v, "Metrics", "metric-math alarms are not served")?;
    refuse(v, "ExtendedStatistic", "this server keeps no percentiles")?;
    refuse(v, "ThresholdMetricId", "anomaly-detection alarms are not served")?;
    refuse(v, "EvaluateLowSampleCountPercentile", "this server keeps no percentiles")?;
    refuse(v, "Tags", "alarms take no tags on this server")?;
    let statistic =
        opt_enum(v, "Statistic", &STATISTICS)?.ok_or_else(|| CwError::missing("Statistic"))?;
    let period = opt_i64(v, "Period")?.ok_or_else(|| CwError::missing("Period"))?;
    if period < 60 || period % 60 != 0 {
        return Err(CwError::invalid(
            "The parameter Period must be a multiple of 60 (this server keeps metrics at one-minute resolution).",
        ));
    }
    let evaluation_periods =
        opt_i64(v, "EvaluationPeriods")?.ok_or_else(|| CwError::missing("EvaluationPeriods"))?;
    if evaluation_periods < 1 || evaluation_periods * period > 86_400 {
        return Err(CwError::invalid(
            "The parameter EvaluationPeriods must be at least 1, and EvaluationPeriods times Period at most one day.",
        ));
    }
    let datapoints_to_alarm = opt_i64(v, "DatapointsToAlarm")?;
    if datapoints_to_alarm.is_some_and(|d| d < 1 || d > evaluation_periods) {
        return Err(CwError::invalid(
            "The parameter DatapointsToAlarm must be between 1 and EvaluationPeriods.",
        ));
    }
    let now = cw.clock.now();
    let changing = cw.alarms.changing();
    let old = cw.alarms.get(name);
    let alarm = Alarm {
        name: name.to_string(),
        arn: cw.alarm_arn(name),
        description: opt_str(v, "AlarmDescription")?.map(str::to_string),
        actions_enabled: opt_bool(v, "ActionsEnabled")?.unwrap_or(true),
        ok_actions: actions(cw, v, "OKActions")?,
        alarm_actions: actions(cw, v, "AlarmActions")?,
        insufficient_data_actions: actions(cw, v, "InsufficientDataActions")?,
        namespace: req_str(v, "Namespace", 1, 255)?.to_string(),
        metric_name: req_str(v, "MetricName", 1, 255)?.to_string(),
        dimensions: dimensions(v, "Dimensions")?,
        statistic: statistic.to_string(),
        period,
        unit: opt_enum(v, "Unit", &UNITS)?.map(str::to_string),
        evaluation_periods,
        datapoints_to_alarm,
        threshold: opt_f64(v, "Threshold")?.ok_or_else(|| CwError::missing("Threshold"))?,
        comparison: opt_enum(v, "ComparisonOperator", &COMPARISONS)?
            .ok_or_else(|| CwError::missing("ComparisonOperator"))?
            .to_string(),
        treat_missing: opt_enum(v, "TreatMissingData", &TREAT_MISSING)?.map(str::to_string),
        // A new alarm starts with too little data; an updated one keeps its state until
        // evaluated.
        state: old.as_ref().map_or(State::InsufficientData, |a| a.state),
        state_reason: old.as_ref().map_or_else(
            || "Unchecked: Initial alarm creation".to_string(),
            |a| a.state_reason.clone(),
        ),
        state_reason_data: None,
        state_updated: old.as_ref().map_or(now, |a| a.state_updated),
        configuration_updated: now,
    };
    let verb = if old.is_some() { "updated" } else { "created" };
    let history = HistoryItem {
        alarm: name.to_string(),
        at: now,
        kind: "ConfigurationUpdate".into(),
        summary: format!("Alarm \"{name}\" {verb}"),
        data: json!({"version": "1.0", "type": if old.is_some() { "Update" } else { "Create" },
                     "updatedAlarm": alarm.to_json()})
        .to_string(),
    };
    cw.alarms.put(alarm.clone(), vec![history]).map_err(CwError::limit)?;
    drop(changing);
    // Evaluated at once, then every minute.
    let verdict = evaluate::verdict(cw, &alarm, now);
    evaluate::transition(cw, alarm, verdict, now);
    Ok(json!({}))
}

fn page(v: &Json, alarms: Vec<Alarm>) -> CwResult<(Vec<Json>, Option<String>)> {
    let (skip, max) = paging(v, 50)?;
    let next = (skip + max < alarms.len()).then(|| (skip + max).to_string());
    Ok((alarms.iter().skip(skip).take(max).map(Alarm::to_json).collect(), next))
}

pub fn describe_alarms(cw: &CloudWatch, v: &Json) -> CwResult<Json> {
    let names = str_list(v, "AlarmNames", NAMES_MAX)?;
    let prefix = opt_str(v, "AlarmNamePrefix")?;
    if !names.is_empty() && prefix.is_some() {
        return Err(CwError::combination(
            "AlarmNames and AlarmNamePrefix cannot be given together.",
        ));
    }
    let types = str_list(v, "AlarmTypes", 2)?;
    let state =
        opt_enum(v, "StateValue", &["OK", "ALARM", "INSUFFICIENT_DATA"])?.and_then(State::parse);
    let action_prefix = opt_str(v, "ActionPrefix")?;
    refuse(v, "ChildrenOfAlarmName", "composite alarms are not served")?;
    refuse(v, "ParentsOfAlarmName", "composite alarms are not served")?;
    let alarms: Vec<Alarm> = cw
        .alarms
        .all()
        .into_iter()
        .filter(|a| {
            (names.is_empty() || names.contains(&a.name.as_str()))
                && prefix.is_none_or(|p| a.name.starts_with(p))
                && state.is_none_or(|s| a.state == s)
                && action_prefix.is_none_or(|p| {
                    [&a.ok_actions, &a.alarm_actions, &a.insufficient_data_actions]
                        .iter()
                        .any(|l| l.iter().any(|u| u.starts_with(p)))
                })
        })
        .collect();
    let metric_alarms = types.is_empty() || types.contains(&"MetricAlarm");
    let (list, next) = page(v, if metric_alarms { alarms } else { Vec::new() })?;
    Ok(with_token(json!({"MetricAlarms": list, "CompositeAlarms": []}), next))
}

pub fn describe_alarms_for_metric(cw: &CloudWatch, v: &Json) -> CwResult<Json> {
    let ns = req_str(v, "Namespace", 1, 255)?;
    let name = req_str(v, "MetricName", 1, 255)?;
    let dims = dimensions(v, "Dimensions")?;
    let statistic = opt_enum(v, "Statistic", &STATISTICS)?;
    refuse(v, "ExtendedStatistic", "this server keeps no percentiles")?;
    let period = opt_i64(v, "Period")?;
    let unit = opt_enum(v, "Unit", &UNITS)?;
    let mut dims = dims;
    dims.sort();
    let list: Vec<Json> = cw
        .alarms
        .all()
        .into_iter()
        .filter(|a| {
            a.namespace == ns
                && a.metric_name == name
                && (dims.is_empty() || a.dimensions == dims)
                && statistic.is_none_or(|s| a.statistic == s)
                && period.is_none_or(|p| a.period == p)
                && unit.is_none_or(|u| a.unit.as_deref() == Some(u))
        })
        .map(|a| a.to_json())
        .collect();
    Ok(json!({ "MetricAlarms": list }))
}

pub fn delete_alarms(cw: &CloudWatch, v: &Json) -> CwResult<Json> {
    let names = str_list(v, "AlarmNames", NAMES_MAX)?;
    if names.is_empty() {
        return Err(CwError::missing("AlarmNames"));
    }
    let _changing = cw.alarms.changing();
    cw.alarms.delete(&names).map_err(|missing| match missing {
        Some(n) => CwError::not_found(format!("An alarm named {n} does not exist.")),
        None => CwError::internal("the alarms could not be deleted"),
    })?;
    Ok(json!({}))
}

pub fn set_alarm_state(cw: &CloudWatch, v: &Json) -> CwResult<Json> {
    let name = req_str(v, "AlarmName", 1, 255)?;
    let state = opt_enum(v, "StateValue", &["OK", "ALARM", "INSUFFICIENT_DATA"])?
        .and_then(State::parse)
        .ok_or_else(|| CwError::missing("StateValue"))?;
    let reason = req_str(v, "StateReason", 0, 1023)?;
    let data = opt_str(v, "StateReasonData")?;
    if let Some(d) = data {
        if serde_json::from_str::<Json>(d).is_err() {
            return Err(CwError::format("The parameter StateReasonData must be JSON."));
        }
    }
    let alarm = cw
        .alarms
        .get(name)
        .ok_or_else(|| CwError::not_found(format!("An alarm named {name} does not exist.")))?;
    let data = data.map_or_else(|| "{}".to_string(), str::to_string);
    // The state holds until the next evaluation, as in CloudWatch.
    evaluate::transition(cw, alarm, (state, reason.to_string(), data), cw.clock.now());
    Ok(json!({}))
}

pub fn describe_alarm_history(cw: &CloudWatch, v: &Json) -> CwResult<Json> {
    let name = opt_str(v, "AlarmName")?;
    let kind = opt_enum(v, "HistoryItemType", &["ConfigurationUpdate", "StateUpdate", "Action"])?;
    let from = opt_f64(v, "StartDate")?.unwrap_or(0.0);
    let to = opt_f64(v, "EndDate")?.unwrap_or(f64::MAX);
    let types = str_list(v, "AlarmTypes", 2)?;
    if opt_str(v, "AlarmContributorId")?.is_some() {
        return Err(CwError::invalid(
            "The parameter AlarmContributorId is not supported: alarms have no contributors here.",
        ));
    }
    let ascending = opt_enum(v, "ScanBy", &["TimestampDescending", "TimestampAscending"])?
        == Some("TimestampAscending");
    let (skip, max) = paging(v, 100)?;
    let items = if types.is_empty() || types.contains(&"MetricAlarm") {
        cw.alarms.history(name, kind, (from, to), ascending)
    } else {
        Vec::new()
    };
    let page: Vec<Json> = items.iter().skip(skip).take(max).map(HistoryItem::to_json).collect();
    let next = (skip + max < items.len()).then(|| (skip + max).to_string());
    Ok(with_token(json!({ "AlarmHistoryItems": page }), next))
}
