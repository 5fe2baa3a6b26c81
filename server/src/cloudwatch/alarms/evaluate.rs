//! Evaluating an alarm: the statistic of each of its last `EvaluationPeriods` periods (the
//! current minute counts as it fills), compared with the threshold; `DatapointsToAlarm` of
//! them breaching puts it in ALARM. Missing periods follow `TreatMissingData`: `missing` (the
//! default) and `ignore` judge the periods that have data (`ignore` keeps the state when none
//! has; `missing` goes to INSUFFICIENT_DATA), `breaching` and `notBreaching` count them as
//! such.

use super::model::{Alarm, HistoryItem, State};
use super::notify;
use crate::cloudwatch::ops::metrics::{periods, statistic};
use crate::cloudwatch::store::minute_of;
use crate::cloudwatch::store::series::SeriesKey;
use crate::cloudwatch::CloudWatch;
use serde_json::json;
use std::sync::{Arc, Weak};
use std::time::Duration;

/// A verdict: the state, its reason, and the reason's data (JSON).
pub type Verdict = (State, String, String);

/// The state `alarm` should be in at `now`.
pub fn verdict(cw: &CloudWatch, alarm: &Alarm, now: f64) -> Verdict {
    let m = alarm.evaluation_periods.max(1);
    let n = alarm.datapoints_to_alarm.unwrap_or(m).clamp(1, m);
    let end = ((minute_of(now) + 1) * 60) as f64;
    let start = end - (m * alarm.period) as f64;
    let key = SeriesKey::new(&alarm.namespace, &alarm.metric_name, alarm.dimensions.clone());
    let points = match periods(cw, &key, alarm.unit.as_deref(), (start, end), alarm.period) {
        Ok((p, _)) => p,
        Err(e) => {
            tracing::warn!("cloudwatch: evaluating alarm {}: {}", alarm.name, e.message);
            Vec::new()
        }
    };
    let values: Vec<(i64, f64)> =
        points.iter().map(|(t, s)| (*t, statistic(s, &alarm.statistic))).collect();
    let missing = (m as usize).saturating_sub(values.len());
    let treat = alarm.treat_missing.as_deref().unwrap_or("missing");
    let mut breaching = values.iter().filter(|(_, v)| alarm.breaches(*v)).count();
    if treat == "breaching" {
        breaching += missing;
    }
    let shown: Vec<String> = values.iter().map(|(_, v)| format!("{v}")).collect();
    let data = json!({
        "version": "1.0",
        "queryDate": now,
        "startDate": start,
        "statistic": alarm.statistic,
        "period": alarm.period,
        "recentDatapoints": values.iter().map(|(_, v)| *v).collect::<Vec<_>>(),
        "threshold": alarm.threshold,
        "evaluatedDatapoints": values.iter().map(|(t, v)| json!({"timestamp": *t as f64, "value": v})).collect::<Vec<_>>(),
    })
    .to_string();
    if values.is_empty() && matches!(treat, "missing" | "ignore") {
        if treat == "ignore" {
            return (alarm.state, alarm.state_reason.clone(), data);
        }
        return (
            State::InsufficientData,
            format!("Insufficient Data: {m} datapoints were unknown."),
            data,
        );
    }
    let words = match alarm.comparison.as_str() {
        "GreaterThanOrEqualToThreshold" => "greater than or equal to",
        "GreaterThanThreshold" => "greater than",
        "LessThanThreshold" => "less than",
        _ => "less than or equal to",
    };
    let state = if breaching as i64 >= n { State::Alarm } else { State::Ok };
    let reason = match state {
        State::Alarm => format!(
            "Threshold Crossed: {breaching} out of the last {m} datapoints [{}] were {words} the threshold ({}) (minimum {n} datapoints for OK -> ALARM transition).",
            shown.join(", "),
            alarm.threshold
        ),
        _ => format!(
            "Threshold Crossed: {breaching} out of the last {m} datapoints [{}] were {words} the threshold ({}) (minimum {n} datapoints for ALARM -> OK transition).",
            shown.join(", "),
            alarm.threshold
        ),
    };
    (state, reason, data)
}

/// Moves `alarm` to `state` at `now` (with its reason), recording the change and running the
/// new state's actions. Nothing happens when it is in `state` already.
pub fn transition(cw: &CloudWatch, alarm: Alarm, (state, reason, data): Verdict, now: f64) {
    if state == alarm.state {
        return;
    }
    // The alarm as stored now: another change may have come between the verdict and here.
    let _changing = cw.alarms.changing();
    let Some(mut alarm) = cw.alarms.get(&alarm.name) else { return };
    if state == alarm.state {
        return;
    }
    let old = (alarm.state, alarm.state_reason.clone());
    alarm.state = state;
    alarm.state_reason = reason.clone();
    alarm.state_reason_data = Some(data);
    alarm.state_updated = now;
    let history = HistoryItem {
        alarm: alarm.name.clone(),
        at: now,
        kind: "StateUpdate".into(),
        summary: format!("Alarm updated from {} to {}", old.0.name(), state.name()),
        data: json!({
            "version": "1.0",
            "oldState": {"stateValue": old.0.name(), "stateReason": old.1},
            "newState": {"stateValue": state.name(), "stateReason": reason},
        })
        .to_string(),
    };
    if let Err(e) = cw.alarms.put(alarm.clone(), vec![history]) {
        tracing::warn!("cloudwatch: storing alarm {}: {e}", alarm.name);
        return;
    }
    if alarm.actions_enabled && !alarm.actions(state).is_empty() {
        notify::send(cw, &alarm, old.0, now);
    }
}

/// Evaluates every alarm at `now`.
pub fn evaluate_all(cw: &CloudWatch, now: f64) {
    for alarm in cw.alarms.all() {
        let v = verdict(cw, &alarm, now);
        transition(cw, alarm, v, now);
    }
}

/// Starts the evaluator: every `interval` until `cw` is dropped.
pub fn start(cw: &Arc<CloudWatch>, interval: Duration) {
    let weak: Weak<CloudWatch> = Arc::downgrade(cw);
    let spawned =
        std::thread::Builder::new().name("cloudwatch-alarms".into()).spawn(move || loop {
            std::thread::sleep(interval);
            let Some(cw) = weak.upgrade() else { return };
            evaluate_all(&cw, cw.clock.now());
        });
    if let Err(e) = spawned {
        tracing::error!("cloudwatch: the alarm evaluator did not start: {e}");
    }
}
