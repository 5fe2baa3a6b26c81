//! A metric alarm as stored and as DescribeAlarms answers it, and its history items.
//!
//! Stored in keyspace `cloudwatch.alarms` under its name, as a CRC32 (LE, over the JSON that
//! follows) and the JSON of [`Alarm`]; history items in `cloudwatch.alarm_history` under
//! `time (u64 BE, microseconds since the epoch) | sequence (u32 BE)`, the same way (see
//! `docs/format/cloudwatch.md`).

use crate::cloudwatch::ops::metrics::dimensions_json;
use crate::cloudwatch::store::stats::{seal, unseal, Corrupt};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value as Json};

/// An alarm's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum State {
    Ok,
    Alarm,
    InsufficientData,
}

impl State {
    pub fn name(self) -> &'static str {
        match self {
            State::Ok => "OK",
            State::Alarm => "ALARM",
            State::InsufficientData => "INSUFFICIENT_DATA",
        }
    }

    pub fn parse(s: &str) -> Option<State> {
        match s {
            "OK" => Some(State::Ok),
            "ALARM" => Some(State::Alarm),
            "INSUFFICIENT_DATA" => Some(State::InsufficientData),
            _ => None,
        }
    }
}

/// `ComparisonOperator`.
pub const COMPARISONS: [&str; 4] = [
    "GreaterThanOrEqualToThreshold",
    "GreaterThanThreshold",
    "LessThanThreshold",
    "LessThanOrEqualToThreshold",
];
/// `TreatMissingData`.
pub const TREAT_MISSING: [&str; 4] = ["breaching", "notBreaching", "ignore", "missing"];

/// One metric alarm.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alarm {
    pub name: String,
    pub arn: String,
    pub description: Option<String>,
    pub actions_enabled: bool,
    pub ok_actions: Vec<String>,
    pub alarm_actions: Vec<String>,
    pub insufficient_data_actions: Vec<String>,
    pub namespace: String,
    pub metric_name: String,
    pub dimensions: Vec<(String, String)>,
    pub statistic: String,
    pub period: i64,
    pub unit: Option<String>,
    pub evaluation_periods: i64,
    pub datapoints_to_alarm: Option<i64>,
    pub threshold: f64,
    pub comparison: String,
    pub treat_missing: Option<String>,
    pub state: State,
    pub state_reason: String,
    pub state_reason_data: Option<String>,
    /// Seconds since the epoch.
    pub state_updated: f64,
    pub configuration_updated: f64,
}

impl Alarm {
    /// Whether `value` breaches the threshold.
    pub fn breaches(&self, value: f64) -> bool {
        match self.comparison.as_str() {
            "GreaterThanOrEqualToThreshold" => value >= self.threshold,
            "GreaterThanThreshold" => value > self.threshold,
            "LessThanThreshold" => value < self.threshold,
            _ => value <= self.threshold,
        }
    }

    /// The actions of `state`.
    pub fn actions(&self, state: State) -> &[String] {
        match state {
            State::Ok => &self.ok_actions,
            State::Alarm => &self.alarm_actions,
            State::InsufficientData => &self.insufficient_data_actions,
        }
    }

    /// The `MetricAlarm` DescribeAlarms answers.
    pub fn to_json(&self) -> Json {
        let mut j = json!({
            "AlarmName": self.name,
            "AlarmArn": self.arn,
            "AlarmConfigurationUpdatedTimestamp": self.configuration_updated,
            "ActionsEnabled": self.actions_enabled,
            "OKActions": self.ok_actions,
            "AlarmActions": self.alarm_actions,
            "InsufficientDataActions": self.insufficient_data_actions,
            "StateValue": self.state.name(),
            "StateReason": self.state_reason,
            "StateUpdatedTimestamp": self.state_updated,
            "StateTransitionedTimestamp": self.state_updated,
            "MetricName": self.metric_name,
            "Namespace": self.namespace,
            "Statistic": self.statistic,
            "Dimensions": dimensions_json(&self.dimensions),
            "Period": self.period,
            "EvaluationPeriods": self.evaluation_periods,
            "Threshold": self.threshold,
            "ComparisonOperator": self.comparison,
            "TreatMissingData": self.treat_missing.clone().unwrap_or_else(|| "missing".into()),
        });
        let put = |j: &mut Json, k: &str, v: Option<Json>| {
            if let (Some(v), Json::Object(o)) = (v, j) {
                o.insert(k.into(), v);
            }
        };
        put(&mut j, "AlarmDescription", self.description.as_ref().map(|d| json!(d)));
        put(&mut j, "Unit", self.unit.as_ref().map(|u| json!(u)));
        put(&mut j, "DatapointsToAlarm", self.datapoints_to_alarm.map(|d| json!(d)));
        put(&mut j, "StateReasonData", self.state_reason_data.as_ref().map(|d| json!(d)));
        j
    }
}

/// One history item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryItem {
    pub alarm: String,
    /// Seconds since the epoch.
    pub at: f64,
    /// `ConfigurationUpdate`, `StateUpdate` or `Action`.
    pub kind: String,
    pub summary: String,
    pub data: String,
}

impl HistoryItem {
    pub fn to_json(&self) -> Json {
        json!({
            "AlarmName": self.alarm,
            "AlarmType": "MetricAlarm",
            "Timestamp": self.at,
            "HistoryItemType": self.kind,
            "HistorySummary": self.summary,
            "HistoryData": self.data,
        })
    }
}

/// The stored form of `value`: CRC32 (LE) of its JSON, then the JSON.
pub fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    seal(&serde_json::to_vec(value).unwrap_or_default())
}

/// Reads a stored form.
pub fn decode<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Result<T, Corrupt> {
    let body = unseal(bytes, "alarm")?;
    serde_json::from_slice(body).map_err(|e| Corrupt(format!("a stored alarm is not valid: {e}")))
}
