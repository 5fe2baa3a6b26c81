//! Alarm actions: webhooks. An action is an `http://` URL under one of the destinations the
//! server allows (`--alarm-webhook-allow`); a state change POSTs to it the JSON notification
//! Amazon SNS would deliver (`Type: Notification`, `Message`: the alarm's state change as
//! JSON), from a thread of its own, with a timeout. Each call is recorded in the alarm's
//! history (`Action`).

use super::model::{Alarm, HistoryItem, State};
use crate::cloudwatch::CloudWatch;
use serde_json::json;
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// How long a webhook may take to connect and to answer.
pub const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(5);
/// Longest webhook URL.
pub const URL_LEN_MAX: usize = 1024;

/// Why an action is refused, or `None` when `url` is an allowed webhook.
pub fn refusal(url: &str, allowed: &[String]) -> Option<String> {
    if url.len() > URL_LEN_MAX || split(url).is_none() {
        return Some(format!(
            "The action {url} is not valid: this server's alarm actions are http:// webhook URLs."
        ));
    }
    if !allowed.iter().any(|p| !p.is_empty() && url.starts_with(p.as_str())) {
        return Some(format!(
            "The action {url} is not an allowed webhook destination (allowed: {}; set --alarm-webhook-allow).",
            if allowed.is_empty() { "none".to_string() } else { allowed.join(", ") }
        ));
    }
    None
}

/// `http://host[:port]/path` → (host:port, path).
fn split(url: &str) -> Option<(String, String)> {
    let rest = url.strip_prefix("http://")?;
    let (host, path) = match rest.find('/') {
        Some(i) => (rest.get(..i)?, rest.get(i..)?),
        None => (rest, "/"),
    };
    if host.is_empty() || host.contains('@') || path.contains(['\r', '\n', ' ']) {
        return None;
    }
    let host = if host.contains(':') { host.to_string() } else { format!("{host}:80") };
    Some((host, path.to_string()))
}

/// The notification of `alarm`'s change from `old` at `now`.
pub fn notification(cw: &CloudWatch, alarm: &Alarm, old: State, now: f64) -> String {
    let at = crate::iam::xml::iso8601(now.max(0.0) as u64);
    let message = json!({
        "AlarmName": alarm.name,
        "AlarmDescription": alarm.description,
        "AWSAccountId": cw.account,
        "AlarmConfigurationUpdatedTimestamp": crate::iam::xml::iso8601(alarm.configuration_updated.max(0.0) as u64),
        "NewStateValue": alarm.state.name(),
        "NewStateReason": alarm.state_reason,
        "StateChangeTime": at,
        "Region": cw.region,
        "AlarmArn": alarm.arn,
        "OldStateValue": old.name(),
        "Trigger": {
            "MetricName": alarm.metric_name,
            "Namespace": alarm.namespace,
            "StatisticType": "Statistic",
            "Statistic": alarm.statistic.to_uppercase(),
            "Unit": alarm.unit,
            "Dimensions": alarm.dimensions.iter().map(|(n, v)| json!({"name": n, "value": v})).collect::<Vec<_>>(),
            "Period": alarm.period,
            "EvaluationPeriods": alarm.evaluation_periods,
            "DatapointsToAlarm": alarm.datapoints_to_alarm.unwrap_or(alarm.evaluation_periods),
            "ComparisonOperator": alarm.comparison,
            "Threshold": alarm.threshold,
            "TreatMissingData": alarm.treat_missing.clone().unwrap_or_else(|| "missing".into()),
        },
    });
    let id =
        format!("{:032x}", xxhash_rust::xxh3::xxh3_128(format!("{}/{now}", alarm.arn).as_bytes()));
    json!({
        "Type": "Notification",
        "MessageId": id,
        "TopicArn": format!("arn:aws:sns:{}:{}:shale-alarm-webhook", cw.region, cw.account),
        "Subject": format!("{}: \"{}\" in {}", alarm.state.name(), alarm.name, cw.region),
        "Message": message.to_string(),
        "Timestamp": at,
        "SignatureVersion": "1",
    })
    .to_string()
}

/// POSTs `body` to `url`; the HTTP status.
pub fn post(url: &str, body: &str) -> Result<u16, String> {
    let (host, path) = split(url).ok_or("not an http:// URL")?;
    let addr = host
        .to_socket_addrs()
        .map_err(|e| format!("resolving {host}: {e}"))?
        .next()
        .ok_or_else(|| format!("{host} has no address"))?;
    let mut s = TcpStream::connect_timeout(&addr, WEBHOOK_TIMEOUT).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(WEBHOOK_TIMEOUT)).map_err(|e| e.to_string())?;
    s.set_write_timeout(Some(WEBHOOK_TIMEOUT)).map_err(|e| e.to_string())?;
    let req = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: text/plain; charset=UTF-8\r\nx-amz-sns-message-type: Notification\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).map_err(|e| e.to_string())?;
    let mut head = [0u8; 32];
    let n = s.read(&mut head).map_err(|e| e.to_string())?;
    let line = String::from_utf8_lossy(head.get(..n).unwrap_or_default()).to_string();
    line.split_whitespace()
        .nth(1)
        .and_then(|c| c.parse::<u16>().ok())
        .ok_or_else(|| format!("not an HTTP answer: {line:?}"))
}

/// Sends `alarm`'s notifications for its new state (from a thread), recording each.
pub fn send(cw: &CloudWatch, alarm: &Alarm, old: State, now: f64) {
    let body = notification(cw, alarm, old, now);
    let urls = alarm.actions(alarm.state).to_vec();
    let name = alarm.name.clone();
    let alarms = std::sync::Arc::clone(&cw.alarms);
    let spawned = std::thread::Builder::new().name("alarm-webhook".into()).spawn(move || {
        for url in urls {
            let (summary, ok) = match post(&url, &body) {
                Ok(status) if (200..300).contains(&status) => {
                    (format!("Successfully executed action {url}"), true)
                }
                Ok(status) => (format!("Failed to execute action {url}: HTTP {status}"), false),
                Err(e) => (format!("Failed to execute action {url}: {e}"), false),
            };
            if !ok {
                tracing::warn!("cloudwatch: alarm {name}: {summary}");
            }
            let item = HistoryItem {
                alarm: name.clone(),
                at: now,
                kind: "Action".into(),
                summary,
                data: json!({"actionState": if ok { "Succeeded" } else { "Failed" }}).to_string(),
            };
            if let Err(e) = alarms.record(vec![item]) {
                tracing::warn!("cloudwatch: recording an alarm action: {e}");
            }
        }
    });
    if let Err(e) = spawned {
        tracing::warn!("cloudwatch: alarm {}: the webhook thread did not start: {e}", alarm.name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_allowed_http_webhooks() {
        let allowed = vec!["http://127.0.0.1:9000/".to_string()];
        assert_eq!(refusal("http://127.0.0.1:9000/hook", &allowed), None);
        assert!(refusal("http://127.0.0.1:9001/hook", &allowed)
            .unwrap()
            .contains("not an allowed"));
        assert!(refusal("arn:aws:sns:us-east-1:1:t", &allowed).unwrap().contains("webhook URLs"));
        assert!(refusal("https://127.0.0.1:9000/", &allowed).is_some());
        assert!(refusal("http://127.0.0.1:9000/a b", &allowed).is_some());
        assert!(refusal("http://127.0.0.1:9000/", &[]).unwrap().contains("none"));
        assert_eq!(split("http://h/x"), Some(("h:80".into(), "/x".into())));
        assert_eq!(split("http://h:1"), Some(("h:1".into(), "/".into())));
    }
}
