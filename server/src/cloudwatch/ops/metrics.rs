//! ListMetrics, GetMetricStatistics, GetMetricData and PutMetricData over the metric store.
//! Resolution is one minute: periods are whole minutes, and high-resolution metrics
//! (`StorageResolution: 1`) and percentiles are refused by name.

use super::input::{
    check_len, list, opt_enum, opt_f64, opt_i64, opt_str, refuse, req_str, str_list,
};
use super::math::{self, Series};
use crate::cloudwatch::error::{CwError, CwResult};
use crate::cloudwatch::store::series::SeriesKey;
use crate::cloudwatch::store::stats::Stats;
use crate::cloudwatch::store::{minute_of, RETENTION_MINUTES};
use crate::cloudwatch::CloudWatch;
use serde_json::{json, Map, Value as Json};
use std::collections::BTreeMap;

/// The statistics every metric has.
pub const STATISTICS: [&str; 5] = ["SampleCount", "Average", "Sum", "Minimum", "Maximum"];
/// CloudWatch's units.
pub const UNITS: [&str; 27] = [
    "Seconds",
    "Microseconds",
    "Milliseconds",
    "Bytes",
    "Kilobytes",
    "Megabytes",
    "Gigabytes",
    "Terabytes",
    "Bits",
    "Kilobits",
    "Megabits",
    "Gigabits",
    "Terabits",
    "Percent",
    "Count",
    "Bytes/Second",
    "Kilobytes/Second",
    "Megabytes/Second",
    "Gigabytes/Second",
    "Terabytes/Second",
    "Bits/Second",
    "Kilobits/Second",
    "Megabits/Second",
    "Gigabits/Second",
    "Terabits/Second",
    "Count/Second",
    "None",
];
/// Most datapoints GetMetricStatistics answers.
pub const DATAPOINTS_MAX: i64 = 1440;
/// Most metrics one ListMetrics page holds.
pub const LIST_PAGE: usize = 500;
/// Most dimensions of a metric.
pub const DIMENSIONS_MAX: usize = 30;
/// Most datapoints one PutMetricData carries.
pub const PUT_METRICS_MAX: usize = 1000;
/// Most values of one `Values` list.
pub const VALUES_MAX: usize = 150;
/// Most queries of one GetMetricData.
pub const QUERIES_MAX: usize = 500;
/// Most datapoints one GetMetricData answers.
pub const METRIC_DATA_POINTS_MAX: i64 = 100_800;

/// Reads a metric's `Dimensions` (name and value each required).
pub fn dimensions(v: &Json, member: &str) -> CwResult<Vec<(String, String)>> {
    let mut out: Vec<(String, String)> = Vec::new();
    for d in list(v, member, DIMENSIONS_MAX)? {
        let name = req_str(d, "Name", 1, 255)?;
        let value = req_str(d, "Value", 1, 1024)?;
        if out.iter().any(|(n, _)| n == name) {
            return Err(CwError::invalid(format!(
                "No metric may have more than one dimension named {name}."
            )));
        }
        out.push((name.to_string(), value.to_string()));
    }
    Ok(out)
}

/// `Dimensions` as JSON.
pub fn dimensions_json(dims: &[(String, String)]) -> Json {
    Json::Array(dims.iter().map(|(n, v)| json!({"Name": n, "Value": v})).collect())
}

/// A statistic's value of `s`.
pub fn statistic(s: &Stats, name: &str) -> f64 {
    match name {
        "SampleCount" => s.count,
        "Sum" => s.sum,
        "Minimum" => s.min,
        "Maximum" => s.max,
        _ => s.average(),
    }
}

/// The statistics of `key` (with `unit`, when given) in whole minutes over `period_secs`
/// periods between `start` and `end` (epoch seconds).
pub fn periods(
    cw: &CloudWatch,
    key: &SeriesKey,
    unit: Option<&str>,
    (start, end): (f64, f64),
    period_secs: i64,
) -> CwResult<(Vec<(i64, Stats)>, String)> {
    let Some(stored_unit) = cw.store.unit(key) else { return Ok((Vec::new(), "None".into())) };
    if unit.is_some_and(|u| u != stored_unit) {
        return Ok((Vec::new(), stored_unit));
    }
    let period = (period_secs / 60).max(1);
    let (from, to) = (minute_of(start), (end / 60.0).ceil() as i64);
    let points =
        cw.store.statistics(key, from, to, period).map_err(|e| CwError::internal(e.to_string()))?;
    Ok((points.into_iter().map(|(m, s)| (m * 60, s)).collect(), stored_unit))
}

/// Reads `Period`: whole minutes (this server keeps one-minute resolution).
fn period(v: &Json, member: &str) -> CwResult<i64> {
    let p = opt_i64(v, member)?.ok_or_else(|| CwError::missing(member))?;
    if p < 60 || p % 60 != 0 {
        return Err(CwError::invalid(format!(
            "The parameter {member} must be a multiple of 60 (this server keeps metrics at one-minute resolution)."
        )));
    }
    Ok(p)
}

fn time_range(v: &Json) -> CwResult<(f64, f64)> {
    let start = opt_f64(v, "StartTime")?.ok_or_else(|| CwError::missing("StartTime"))?;
    let end = opt_f64(v, "EndTime")?.ok_or_else(|| CwError::missing("EndTime"))?;
    if start >= end {
        return Err(CwError::invalid(
            "The parameter StartTime must be less than the parameter EndTime.",
        ));
    }
    Ok((start, end))
}

pub fn get_metric_statistics(cw: &CloudWatch, v: &Json) -> CwResult<Json> {
    let ns = req_str(v, "Namespace", 1, 255)?;
    let name = req_str(v, "MetricName", 1, 255)?;
    let dims = dimensions(v, "Dimensions")?;
    let (start, end) = time_range(v)?;
    let period = period(v, "Period")?;
    let stats = str_list(v, "Statistics", 5)?;
    refuse(v, "ExtendedStatistics", "this server keeps no percentiles")?;
    if stats.is_empty() {
        return Err(CwError::combination("Must specify either Statistics or ExtendedStatistics"));
    }
    for s in &stats {
        if !STATISTICS.contains(s) {
            return Err(CwError::invalid(format!(
                "The value {s} for parameter Statistics is not valid; it must be one of: {}.",
                STATISTICS.join(", ")
            )));
        }
    }
    let unit = opt_enum(v, "Unit", &UNITS)?;
    let requested = ((end - start) / period as f64).ceil() as i64;
    if requested > DATAPOINTS_MAX {
        return Err(CwError::invalid(format!(
            "You have requested up to {requested} datapoints, which exceeds the limit of 1,440. You may reduce the datapoints requested by increasing Period, or decreasing the time range."
        )));
    }
    let key = SeriesKey::new(ns, name, dims);
    let (points, unit) = periods(cw, &key, unit, (start, end), period)?;
    let datapoints: Vec<Json> = points
        .iter()
        .map(|(t, s)| {
            let mut d = Map::new();
            d.insert("Timestamp".into(), json!(*t as f64));
            for st in &stats {
                d.insert((*st).to_string(), json!(statistic(s, st)));
            }
            d.insert("Unit".into(), json!(unit));
            Json::Object(d)
        })
        .collect();
    Ok(json!({"Label": name, "Datapoints": datapoints}))
}

pub fn list_metrics(cw: &CloudWatch, v: &Json) -> CwResult<Json> {
    let ns = opt_str(v, "Namespace")?;
    let name = opt_str(v, "MetricName")?;
    let mut filter = Vec::new();
    for d in list(v, "Dimensions", 10)? {
        let n = req_str(d, "Name", 1, 255)?;
        let val = opt_str(d, "Value")?;
        filter.push((n.to_string(), val.map(str::to_string)));
    }
    let since = opt_enum(v, "RecentlyActive", &["PT3H"])?.map(|_| minute_of(cw.clock.now()) - 180);
    if super::input::opt_bool(v, "IncludeLinkedAccounts")? == Some(true) {
        return Err(CwError::invalid(
            "The parameter IncludeLinkedAccounts is not supported: this server has one account.",
        ));
    }
    let skip = super::input::next_token(v)?;
    let all = cw.store.list(ns, name, &filter, since);
    let page: Vec<Json> = all
        .iter()
        .skip(skip)
        .take(LIST_PAGE)
        .map(|k| json!({"Namespace": k.namespace, "MetricName": k.name, "Dimensions": dimensions_json(&k.dimensions)}))
        .collect();
    let next = (skip + LIST_PAGE < all.len()).then(|| (skip + LIST_PAGE).to_string());
    Ok(super::input::with_token(json!({ "Metrics": page }), next))
}

pub fn put_metric_data(cw: &CloudWatch, v: &Json) -> CwResult<Json> {
    let ns = req_str(v, "Namespace", 1, 255)?;
    if ns.starts_with("AWS/") {
        return Err(CwError::invalid(format!(
            "The value {ns} for parameter Namespace is invalid: the AWS/ namespaces are reserved for AWS services."
        )));
    }
    refuse(v, "EntityMetricData", "this server keeps no entities")?;
    let data = list(v, "MetricData", PUT_METRICS_MAX)?;
    if data.is_empty() {
        return Err(CwError::missing("MetricData"));
    }
    let now = cw.clock.now();
    // Every datapoint is checked before any is recorded.
    let mut points = Vec::with_capacity(data.len());
    for (i, d) in data.iter().enumerate() {
        let at = format!("MetricData.member.{}", i + 1);
        let name = req_str(d, "MetricName", 1, 255)
            .map_err(|e| CwError { message: format!("{at}: {}", e.message), ..e })?;
        let dims = dimensions(d, "Dimensions")?;
        let ts = opt_f64(d, "Timestamp")?.unwrap_or(now);
        if ts < now - (RETENTION_MINUTES as f64 - 1.0) * 60.0 || ts > now + 2.0 * 3600.0 {
            return Err(CwError::invalid(format!(
                "The parameter {at}.Timestamp must specify a time no more than two weeks in the past and no more than two hours in the future."
            )));
        }
        if let Some(r) = opt_i64(d, "StorageResolution")? {
            if r != 60 {
                return Err(CwError::invalid(format!(
                    "The parameter {at}.StorageResolution must be 60: this server keeps metrics at one-minute resolution."
                )));
            }
        }
        let unit = opt_enum(d, "Unit", &UNITS)?.unwrap_or("None");
        let value = opt_f64(d, "Value")?;
        let stat = match d.get("StatisticValues") {
            None | Some(Json::Null) => None,
            Some(s) => {
                let f = |m: &str| {
                    opt_f64(s, m)?
                        .ok_or_else(|| CwError::missing(&format!("{at}.StatisticValues.{m}")))
                };
                let st = Stats {
                    count: f("SampleCount")?,
                    sum: f("Sum")?,
                    min: f("Minimum")?,
                    max: f("Maximum")?,
                };
                if st.count <= 0.0 || st.min > st.max {
                    return Err(CwError::invalid(format!(
                        "The parameter {at}.StatisticValues must have a positive SampleCount and Minimum no greater than Maximum."
                    )));
                }
                Some(st)
            }
        };
        let values = list(d, "Values", VALUES_MAX)?;
        let counts = list(d, "Counts", VALUES_MAX)?;
        let given = usize::from(value.is_some())
            + usize::from(stat.is_some())
            + usize::from(!values.is_empty());
        if given != 1 {
            return Err(CwError::combination(format!(
                "The parameters {at}.Value, {at}.StatisticValues and {at}.Values are mutually exclusive and one is required."
            )));
        }
        let stats = match (value, stat) {
            (Some(x), _) => Stats::one(x),
            (_, Some(s)) => s,
            _ => {
                if !counts.is_empty() && counts.len() != values.len() {
                    return Err(CwError::invalid(format!(
                        "The parameters {at}.Values and {at}.Counts must be of the same size."
                    )));
                }
                let mut acc: Option<Stats> = None;
                for (j, x) in values.iter().enumerate() {
                    let x = x.as_f64().filter(|x| x.is_finite()).ok_or_else(|| {
                        CwError::invalid(format!("The members of {at}.Values must be numbers."))
                    })?;
                    let c = counts.get(j).map_or(Some(1.0), Json::as_f64).ok_or_else(|| {
                        CwError::invalid(format!("The members of {at}.Counts must be numbers."))
                    })?;
                    let s = Stats::repeated(x, c);
                    match &mut acc {
                        Some(a) => a.merge(&s),
                        None => acc = Some(s),
                    }
                }
                acc.ok_or_else(|| CwError::missing(&format!("{at}.Values")))?
            }
        };
        points.push((SeriesKey::new(ns, name, dims), unit, minute_of(ts), stats));
    }
    for (key, unit, minute, stats) in points {
        cw.store.record(&key, unit, minute, stats).map_err(|_| {
            CwError::limit("The metric store holds its most series; no new metric can be added.")
        })?;
    }
    Ok(json!({}))
}

/// One GetMetricData query, read.
struct Query {
    id: String,
    label: Option<String>,
    return_data: bool,
    what: What,
}

enum What {
    Stat { key: SeriesKey, period: i64, stat: String, unit: Option<String> },
    Expression(String),
}

fn read_query(q: &Json) -> CwResult<Query> {
    let id = req_str(q, "Id", 1, 255)?;
    let ok_id = id.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !ok_id {
        return Err(CwError::invalid(format!(
            "The value {id} for parameter MetricDataQueries.member.Id is not valid: it must start with a lowercase letter and hold only letters, digits and underscores."
        )));
    }
    refuse(q, "AccountId", "this server has one account")?;
    let label = opt_str(q, "Label")?.map(str::to_string);
    let return_data = super::input::opt_bool(q, "ReturnData")?.unwrap_or(true);
    let what = match (q.get("MetricStat").filter(|m| !m.is_null()), opt_str(q, "Expression")?) {
        (Some(ms), None) => {
            let m = ms.get("Metric").ok_or_else(|| CwError::missing("MetricStat.Metric"))?;
            let key = SeriesKey::new(
                req_str(m, "Namespace", 1, 255)?,
                req_str(m, "MetricName", 1, 255)?,
                dimensions(m, "Dimensions")?,
            );
            let stat = req_str(ms, "Stat", 1, 255)?;
            if !STATISTICS.contains(&stat) {
                return Err(CwError::invalid(format!(
                    "The value {stat} for parameter MetricStat.Stat is not supported: this server answers {}.",
                    STATISTICS.join(", ")
                )));
            }
            let unit = opt_enum(ms, "Unit", &UNITS)?.map(str::to_string);
            What::Stat { key, period: period(ms, "Period")?, stat: stat.to_string(), unit }
        }
        (None, Some(e)) => {
            check_len(e, "Expression", 1, math::EXPRESSION_LEN_MAX)?;
            What::Expression(e.to_string())
        }
        _ => {
            return Err(CwError::combination(format!(
                "The query {id} must have exactly one of MetricStat and Expression."
            )))
        }
    };
    Ok(Query { id: id.to_string(), label, return_data, what })
}

pub fn get_metric_data(cw: &CloudWatch, v: &Json) -> CwResult<Json> {
    let queries = list(v, "MetricDataQueries", QUERIES_MAX)?;
    if queries.is_empty() {
        return Err(CwError::missing("MetricDataQueries"));
    }
    let (start, end) = time_range(v)?;
    if opt_str(v, "NextToken")?.is_some() {
        // Every answer is whole: no token was ever given out.
        return Err(CwError::next_token());
    }
    refuse(v, "LabelOptions", "labels are not formatted by time zone")?;
    let ascending = opt_enum(v, "ScanBy", &["TimestampDescending", "TimestampAscending"])?
        == Some("TimestampAscending");
    let max_points = opt_i64(v, "MaxDatapoints")?.unwrap_or(METRIC_DATA_POINTS_MAX);
    let queries = queries.iter().map(read_query).collect::<CwResult<Vec<_>>>()?;
    let mut ids = std::collections::BTreeSet::new();
    for q in &queries {
        if !ids.insert(q.id.as_str()) {
            return Err(CwError::invalid(format!(
                "The Id {} is used by more than one query.",
                q.id
            )));
        }
    }
    // Metric queries first, then expressions in order (each may use those before it).
    let mut vars: BTreeMap<String, Series> = BTreeMap::new();
    let mut labels: BTreeMap<String, String> = BTreeMap::new();
    for q in &queries {
        if let What::Stat { key, period, stat, unit } = &q.what {
            let (points, _) = periods(cw, key, unit.as_deref(), (start, end), *period)?;
            vars.insert(
                q.id.clone(),
                points.iter().map(|(t, s)| (*t, statistic(s, stat))).collect(),
            );
            labels.insert(q.id.clone(), q.label.clone().unwrap_or_else(|| key.name.clone()));
        }
    }
    for q in &queries {
        if let What::Expression(e) = &q.what {
            let series = match math::eval(e, &vars)? {
                math::Value::Series(s) => s,
                // A scalar is a value at every timestamp the queries have.
                math::Value::Scalar(x) => {
                    let times: std::collections::BTreeSet<i64> =
                        vars.values().flat_map(|s| s.keys().copied()).collect();
                    times.into_iter().map(|t| (t, x)).collect()
                }
            };
            vars.insert(q.id.clone(), series);
            labels.insert(q.id.clone(), q.label.clone().unwrap_or_else(|| q.id.clone()));
        }
    }
    let mut results = Vec::new();
    let mut total = 0i64;
    for q in queries.iter().filter(|q| q.return_data) {
        let Some(s) = vars.get(&q.id) else { continue };
        let mut points: Vec<(i64, f64)> = s.iter().map(|(t, x)| (*t, *x)).collect();
        if !ascending {
            points.reverse();
        }
        total += points.len() as i64;
        if total > max_points {
            return Err(CwError::invalid(format!(
                "The answer would hold more than MaxDatapoints ({max_points}) datapoints; narrow the time range or increase the periods."
            )));
        }
        results.push(json!({
            "Id": q.id,
            "Label": labels.get(&q.id).cloned().unwrap_or_default(),
            "Timestamps": points.iter().map(|(t, _)| json!(*t as f64)).collect::<Vec<_>>(),
            "Values": points.iter().map(|(_, x)| json!(x)).collect::<Vec<_>>(),
            "StatusCode": "Complete",
        }));
    }
    Ok(json!({"MetricDataResults": results, "Messages": []}))
}
