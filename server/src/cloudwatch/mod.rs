//! CloudWatch on the endpoint: the metric store ([`store`]) that DynamoDB's metrics and
//! PutMetricData's custom ones go to.

pub mod store;
