//! # shale-aws: the AWS wire layer
//!
//! Everything about how AWS clients talk, and nothing about what they ask for: this crate has
//! no engine dependency, so it is tested and fuzzed alone. `shale-server`'s HTTP front door
//! uses it for every AWS service it serves on one endpoint.
//!
//! A request's way through it, in the order the front door calls it:
//!
//! 1. [`protocol::detect`]: which protocol the request speaks, from its method, path and
//!    headers: AWS JSON 1.0 (`X-Amz-Target: <Prefix>.<Operation>`: DynamoDB, DynamoDB
//!    Streams, CloudWatch's JSON form), the query protocol (a form body with `Action=`: IAM,
//!    STS, CloudWatch) or Smithy RPC v2 CBOR (`smithy-protocol: rpc-v2-cbor`,
//!    `POST /service/<Service>/operation/<Operation>`: CloudWatch).
//! 2. [`sigv4::AuthHeader::parse`]: the SigV4 `Authorization` header's shape;
//!    [`sigv4::Verifier::verify`] (once the body is read) authenticates the request against
//!    stored credentials, [`sigv4::AuthError::to_aws`] words a failure for the service family.
//! 3. [`body::read_body`]: the body, bounded by `body_bytes_max` and by the
//!    `request_bytes_max` budget shared by every connection ([`body::ByteBudget`]).
//! 4. The codecs of each protocol's payload: [`query::Form`] (form in) and [`query::XmlWriter`]
//!    (XML out), [`cbor`] (CBOR ↔ JSON values); JSON 1.0 bodies are `serde_json`.
//!    [`model::Model`] drives all three from a botocore service model, so one service
//!    implementation on JSON values answers every protocol (CloudWatch).
//!    A gzip body (`Content-Encoding: gzip`) is inflated within the same bound
//!    ([`encoding::gunzip`]) once its signature has been checked against the bytes sent.
//! 5. [`response::Reply`]: the answer, with its request id ([`request_id`]) and `x-amz-crc32`
//!    (on every answer; DynamoDB's clients check it); [`AwsError`] renders itself in each
//!    protocol's error form. [`encoding::gzip_reply`] compresses a large answer for a client
//!    whose `Accept-Encoding` allows it (`x-amz-crc32` is then of the compressed bytes).
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)
)]
#![warn(missing_docs)]

pub mod body;
pub mod cbor;
pub mod encoding;
pub mod error;
pub mod model;
pub mod protocol;
pub mod query;
pub mod request_id;
pub mod response;
pub mod sigv4;

pub use error::{AwsError, Fault};
pub use protocol::{Detected, Wire};
pub use response::Reply;
