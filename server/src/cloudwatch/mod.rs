//! CloudWatch on the endpoint (API 2010-08-01, credential scope `monitoring`), over the three
//! protocols its SDKs speak: Smithy RPC v2 CBOR (current boto3), AWS JSON 1.0 and the query
//! protocol (XML). One implementation works on JSON values; [`shale_aws::model`] decodes and
//! encodes each protocol from the botocore service model, trimmed to the operations served
//! (`model.json`, made by `trim_model.py`).
//!
//! - [`store`]: the metric store (DynamoDB's metrics and PutMetricData's).
//! - [`ops`]: the operations and their registry; [`alarms`]: metric alarms, their evaluation
//!   and webhook actions; [`error`]: CloudWatch's errors; [`service`]: the front door's view.

pub mod alarms;
pub mod error;
pub mod ops;
pub mod prometheus;
pub mod service;
pub mod store;

use crate::dynamodb::capacity::clock::Clock;
use alarms::Alarms;
use shale_aws::model::Model;
use std::sync::Arc;
use store::MetricStore;

/// The botocore model of the operations served.
pub const MODEL_JSON: &str = include_str!("model.json");

/// The CloudWatch service.
#[derive(Debug)]
pub struct CloudWatch {
    pub(crate) model: Model,
    pub store: Arc<MetricStore>,
    pub alarms: Arc<Alarms>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) region: String,
    pub(crate) account: String,
    /// URL prefixes alarm webhooks may go to (`--alarm-webhook-allow`).
    pub(crate) webhook_allow: Vec<String>,
}

/// What the CloudWatch service is made with.
#[derive(Debug, Clone)]
pub struct CloudWatchOptions {
    pub region: String,
    pub account: String,
    pub clock: Arc<dyn Clock>,
    pub webhook_allow: Vec<String>,
}

impl CloudWatch {
    /// The service over `store` and `alarms`.
    pub fn new(
        store: Arc<MetricStore>,
        alarms: Arc<Alarms>,
        opts: CloudWatchOptions,
    ) -> Result<CloudWatch, String> {
        let model = Model::parse(MODEL_JSON).map_err(|e| format!("the CloudWatch model: {e}"))?;
        Ok(CloudWatch {
            model,
            store,
            alarms,
            clock: opts.clock,
            region: opts.region,
            account: opts.account,
            webhook_allow: opts.webhook_allow,
        })
    }

    /// The ARN of alarm `name`.
    pub fn alarm_arn(&self, name: &str) -> String {
        format!("arn:aws:cloudwatch:{}:{}:alarm:{name}", self.region, self.account)
    }
}
