//! CloudWatch's operations and their registry: each once, with the IAM action it needs and
//! its handler over the request's JSON (whatever protocol it came in).

pub mod alarms;
pub mod input;
pub mod math;
pub mod metrics;

use super::error::CwResult;
use super::CloudWatch;
use crate::http::service::Operation;
use serde_json::Value as Json;

/// What the registry holds for each operation.
#[derive(Debug)]
pub struct Handler {
    /// Runs the operation on its input.
    pub run: fn(&CloudWatch, &Json) -> CwResult<Json>,
    /// The resource it is authorized on: an alarm's ARN (from `AlarmName`), or `*`.
    pub on_alarm: bool,
}

macro_rules! op {
    ($name:literal, $handler:path, $on_alarm:literal) => {
        Operation {
            name: $name,
            iam_action: concat!("cloudwatch:", $name),
            handler: Handler { run: $handler, on_alarm: $on_alarm },
        }
    };
}

/// Every operation, by name.
pub static OPERATIONS: &[Operation<Handler>] = &[
    op!("DeleteAlarms", alarms::delete_alarms, false),
    op!("DescribeAlarmHistory", alarms::describe_alarm_history, false),
    op!("DescribeAlarms", alarms::describe_alarms, false),
    op!("DescribeAlarmsForMetric", alarms::describe_alarms_for_metric, false),
    op!("GetMetricData", metrics::get_metric_data, false),
    op!("GetMetricStatistics", metrics::get_metric_statistics, false),
    op!("ListMetrics", metrics::list_metrics, false),
    op!("PutMetricAlarm", alarms::put_metric_alarm, true),
    op!("PutMetricData", metrics::put_metric_data, false),
    op!("SetAlarmState", alarms::set_alarm_state, true),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_operation_once_in_order_and_in_the_model() {
        let names: Vec<&str> = OPERATIONS.iter().map(|o| o.name).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(names, sorted);
        let model = shale_aws::model::Model::parse(crate::cloudwatch::MODEL_JSON).unwrap();
        for o in OPERATIONS {
            assert!(model.operation(o.name).is_some(), "{} is in the model", o.name);
        }
    }
}
