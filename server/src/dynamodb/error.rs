//! The gateway's errors and their wire form, as DynamoDB sends them:
//!
//! ```text
//! HTTP 400 (client errors) or 500 (internal errors)
//! {"__type": "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException",
//!  "message": "Requested resource not found"}
//! ```
//!
//! Validation errors come from the `com.amazon.coral.validate` namespace, protocol errors
//! (serialization, unknown operation, authentication) from `com.amazon.coral.service`, and the
//! service's own errors from `com.amazonaws.dynamodb.v20120810`. Some errors carry more fields:
//! `Item` for a failed condition with `ReturnValuesOnConditionCheckFailure`, `CancellationReasons`
//! for a cancelled transaction, `ThrottlingReasons` (`throttlingReasons` for
//! `ThrottlingException`) for a throttled request.

use serde_json::Value as Json;

use shale_aws::error::{CORAL_SERVICE, CORAL_VALIDATE};
use shale_aws::AwsError;

/// The Smithy namespace of DynamoDB's own errors.
const SERVICE: &str = "com.amazonaws.dynamodb.v20120810";
/// The namespace of `ThrottlingException`.
const CORAL_AVAILABILITY: &str = "com.amazon.coral.availability";

/// A request's failure.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum DynamoError {
    /// `ValidationException`: the request is malformed or breaks a limit.
    Validation(String),
    /// `SerializationException`: the body is not the JSON the operation takes.
    Serialization(String),
    /// `UnknownOperationException`: `X-Amz-Target` names no operation.
    UnknownOperation,
    /// `MissingAuthenticationTokenException`: no `Authorization` header.
    MissingAuthenticationToken,
    /// `IncompleteSignatureException`: an `Authorization` header that is not SigV4.
    IncompleteSignature(String),
    /// `ResourceNotFoundException`.
    ResourceNotFound(String),
    /// `ResourceInUseException`.
    ResourceInUse(String),
    /// `ConditionalCheckFailedException`, with the item when the request asked for it.
    ConditionalCheckFailed { item: Option<Json> },
    /// `TransactionCanceledException`, one reason per action.
    TransactionCanceled { reasons: Vec<Json> },
    /// `IdempotentParameterMismatchException`.
    IdempotentParameterMismatch,
    /// `TransactionInProgressException`: the same ClientRequestToken is still running.
    TransactionInProgress,
    /// `LimitExceededException`.
    LimitExceeded(String),
    /// `ItemCollectionSizeLimitExceededException`: a write would take an item collection (a
    /// partition of a table with local indexes) past its size limit.
    ItemCollectionSizeLimitExceeded,
    /// `DuplicateItemException`: a PartiQL INSERT of an item whose key exists.
    DuplicateItem,
    /// `AccessDeniedException`: the caller's policies do not allow the request.
    AccessDenied(String),
    /// `RequestLimitExceeded` (too many requests in flight).
    RequestLimitExceeded(String),
    /// `ExpiredIteratorException` (Streams): a shard iterator past its 15 minutes.
    ExpiredIterator(String),
    /// `TrimmedDataAccessException` (Streams): records past the retention period.
    TrimmedDataAccess(String),
    /// `ProvisionedThroughputExceededException`: a provisioned table or global index is out of
    /// capacity; `reasons` is its `ThrottlingReasons` list.
    ProvisionedThroughputExceeded { message: String, reasons: Json },
    /// `ThrottlingException`: an on-demand table past its maximum; `reasons` is its
    /// `throttlingReasons` list.
    Throttling { message: String, reasons: Json },
    /// `TableNotFoundException` (backups and point-in-time recovery name a missing table so).
    TableNotFound(String),
    /// `TableAlreadyExistsException`: a restore's target table exists.
    TableAlreadyExists(String),
    /// `PointInTimeRecoveryUnavailableException`: the table's point-in-time recovery is off.
    PointInTimeRecoveryUnavailable(String),
    /// `InvalidRestoreTimeException`: the instant is outside the recovery window.
    InvalidRestoreTime(String),
    /// `BackupNotFoundException`.
    BackupNotFound(String),
    /// `BackupInUseException`: another operation on the backup is under way.
    BackupInUse(String),
    /// `InvalidExportTimeException`: ExportTime is outside the recovery window.
    InvalidExportTime(String),
    /// `ExportConflictException`: a ClientToken reused with other parameters.
    ExportConflict(String),
    /// `ExportNotFoundException`.
    ExportNotFound(String),
    /// `ImportConflictException`: a ClientToken reused for another table.
    ImportConflict(String),
    /// `ImportNotFoundException`.
    ImportNotFound(String),
    /// `TableInUseException`: the table is being restored or changed.
    TableInUse(String),
    /// `InternalServerError` (HTTP 500).
    Internal(String),
}

/// `Result` with [`DynamoError`].
pub type DResult<T> = Result<T, DynamoError>;

/// Shorthand for a validation error.
pub fn validation(msg: impl Into<String>) -> DynamoError {
    DynamoError::Validation(msg.into())
}

impl DynamoError {
    /// The `__type` field.
    pub fn type_name(&self) -> String {
        let (ns, name) = self.namespace_and_code();
        format!("{ns}#{name}")
    }

    /// The Smithy namespace and the error code.
    fn namespace_and_code(&self) -> (&'static str, &'static str) {
        match self {
            DynamoError::Validation(_) => (CORAL_VALIDATE, "ValidationException"),
            DynamoError::Serialization(_) => (CORAL_SERVICE, "SerializationException"),
            DynamoError::UnknownOperation => (CORAL_SERVICE, "UnknownOperationException"),
            DynamoError::MissingAuthenticationToken => {
                (CORAL_SERVICE, "MissingAuthenticationTokenException")
            }
            DynamoError::IncompleteSignature(_) => (CORAL_SERVICE, "IncompleteSignatureException"),
            DynamoError::ResourceNotFound(_) => (SERVICE, "ResourceNotFoundException"),
            DynamoError::ResourceInUse(_) => (SERVICE, "ResourceInUseException"),
            DynamoError::ConditionalCheckFailed { .. } => {
                (SERVICE, "ConditionalCheckFailedException")
            }
            DynamoError::TransactionCanceled { .. } => (SERVICE, "TransactionCanceledException"),
            DynamoError::IdempotentParameterMismatch => {
                (SERVICE, "IdempotentParameterMismatchException")
            }
            DynamoError::TransactionInProgress => (SERVICE, "TransactionInProgressException"),
            DynamoError::LimitExceeded(_) => (SERVICE, "LimitExceededException"),
            DynamoError::ItemCollectionSizeLimitExceeded => {
                (SERVICE, "ItemCollectionSizeLimitExceededException")
            }
            DynamoError::DuplicateItem => (SERVICE, "DuplicateItemException"),
            DynamoError::RequestLimitExceeded(_) => (SERVICE, "RequestLimitExceeded"),
            DynamoError::AccessDenied(_) => (CORAL_SERVICE, "AccessDeniedException"),
            DynamoError::ExpiredIterator(_) => (SERVICE, "ExpiredIteratorException"),
            DynamoError::TrimmedDataAccess(_) => (SERVICE, "TrimmedDataAccessException"),
            DynamoError::ProvisionedThroughputExceeded { .. } => {
                (SERVICE, "ProvisionedThroughputExceededException")
            }
            DynamoError::Throttling { .. } => (CORAL_AVAILABILITY, "ThrottlingException"),
            DynamoError::TableNotFound(_) => (SERVICE, "TableNotFoundException"),
            DynamoError::TableAlreadyExists(_) => (SERVICE, "TableAlreadyExistsException"),
            DynamoError::PointInTimeRecoveryUnavailable(_) => {
                (SERVICE, "PointInTimeRecoveryUnavailableException")
            }
            DynamoError::InvalidRestoreTime(_) => (SERVICE, "InvalidRestoreTimeException"),
            DynamoError::BackupNotFound(_) => (SERVICE, "BackupNotFoundException"),
            DynamoError::BackupInUse(_) => (SERVICE, "BackupInUseException"),
            DynamoError::InvalidExportTime(_) => (SERVICE, "InvalidExportTimeException"),
            DynamoError::ExportConflict(_) => (SERVICE, "ExportConflictException"),
            DynamoError::ExportNotFound(_) => (SERVICE, "ExportNotFoundException"),
            DynamoError::ImportConflict(_) => (SERVICE, "ImportConflictException"),
            DynamoError::ImportNotFound(_) => (SERVICE, "ImportNotFoundException"),
            DynamoError::TableInUse(_) => (SERVICE, "TableInUseException"),
            DynamoError::Internal(_) => (SERVICE, "InternalServerError"),
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        match self {
            DynamoError::Internal(_) => 500,
            _ => 400,
        }
    }

    /// The `message` field.
    pub fn message(&self) -> String {
        match self {
            DynamoError::Validation(m)
            | DynamoError::Serialization(m)
            | DynamoError::IncompleteSignature(m)
            | DynamoError::ResourceNotFound(m)
            | DynamoError::ResourceInUse(m)
            | DynamoError::LimitExceeded(m)
            | DynamoError::RequestLimitExceeded(m)
            | DynamoError::AccessDenied(m)
            | DynamoError::ExpiredIterator(m)
            | DynamoError::TrimmedDataAccess(m)
            | DynamoError::TableNotFound(m)
            | DynamoError::TableAlreadyExists(m)
            | DynamoError::PointInTimeRecoveryUnavailable(m)
            | DynamoError::InvalidRestoreTime(m)
            | DynamoError::BackupNotFound(m)
            | DynamoError::BackupInUse(m)
            | DynamoError::InvalidExportTime(m)
            | DynamoError::ExportConflict(m)
            | DynamoError::ExportNotFound(m)
            | DynamoError::ImportConflict(m)
            | DynamoError::ImportNotFound(m)
            | DynamoError::TableInUse(m)
            | DynamoError::Internal(m) => m.clone(),
            DynamoError::ProvisionedThroughputExceeded { message, .. }
            | DynamoError::Throttling { message, .. } => message.clone(),
            DynamoError::UnknownOperation => String::new(),
            DynamoError::MissingAuthenticationToken => {
                "Request is missing Authentication Token".into()
            }
            DynamoError::ConditionalCheckFailed { .. } => "The conditional request failed".into(),
            DynamoError::TransactionCanceled { reasons } => {
                let codes: Vec<&str> = reasons
                    .iter()
                    .map(|r| r.get("Code").and_then(Json::as_str).unwrap_or("None"))
                    .collect();
                format!("Transaction cancelled, please refer cancellation reasons for specific reasons [{}]", codes.join(", "))
            }
            DynamoError::TransactionInProgress => {
                "Transaction is ongoing for the idempotency token".into()
            }
            DynamoError::ItemCollectionSizeLimitExceeded => "Collection size exceeded.".into(),
            DynamoError::DuplicateItem => "Duplicate primary key exists in table".into(),
            DynamoError::IdempotentParameterMismatch => "The request uses the same client token as a previous, but non-identical request. Do not reuse a client token with different requests, unless the requests are identical.".into(),
        }
    }

    /// The error as the wire layer renders it.
    pub fn to_aws(&self) -> AwsError {
        let (ns, code) = self.namespace_and_code();
        let e = if self.status() >= 500 {
            AwsError::receiver(code, self.message())
        } else {
            AwsError::sender(code, self.message())
        };
        let e = e.in_namespace(ns).with_status(self.status());
        match self {
            DynamoError::ConditionalCheckFailed { item: Some(item) } => {
                e.with_field("Item", item.clone())
            }
            DynamoError::TransactionCanceled { reasons } => {
                e.with_field("CancellationReasons", Json::Array(reasons.clone()))
            }
            DynamoError::ProvisionedThroughputExceeded { reasons, .. } => {
                e.with_field("ThrottlingReasons", reasons.clone())
            }
            DynamoError::Throttling { reasons, .. } => {
                e.with_field("throttlingReasons", reasons.clone())
            }
            _ => e,
        }
    }

    /// The response body (JSON 1.0).
    pub fn body(&self) -> Json {
        self.to_aws().json_body()
    }
}

impl From<shale_engine::Error> for DynamoError {
    fn from(e: shale_engine::Error) -> Self {
        match e {
            // The table was deleted while the request held it (DeleteTable dropped its
            // keyspace): the table is gone, as DynamoDB answers.
            shale_engine::Error::KeyspaceDropped(_) => {
                DynamoError::ResourceNotFound("Requested resource not found".into())
            }
            e => DynamoError::Internal(format!("storage engine error: {e}")),
        }
    }
}

impl From<crate::dynamodb::model::value::Invalid> for DynamoError {
    fn from(e: crate::dynamodb::model::value::Invalid) -> Self {
        if e.is_shape_error() {
            DynamoError::Serialization(e.0)
        } else {
            DynamoError::Validation(e.0)
        }
    }
}

impl From<crate::dynamodb::expr::path::ExprError> for DynamoError {
    fn from(e: crate::dynamodb::expr::path::ExprError) -> Self {
        DynamoError::Validation(e.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn wire_form() {
        let e = validation("bad");
        assert_eq!(e.status(), 400);
        assert_eq!(
            e.body(),
            json!({"__type": "com.amazon.coral.validate#ValidationException", "message": "bad"})
        );
        let e = DynamoError::ConditionalCheckFailed { item: Some(json!({"a": {"S": "x"}})) };
        assert_eq!(e.body()["Item"], json!({"a": {"S": "x"}}));
        assert_eq!(
            e.type_name(),
            "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException"
        );
        let e = DynamoError::TransactionCanceled {
            reasons: vec![json!({"Code": "None"}), json!({"Code": "ConditionalCheckFailed"})],
        };
        assert!(e.message().ends_with("[None, ConditionalCheckFailed]"));
        assert_eq!(DynamoError::Internal("x".into()).status(), 500);
        assert_eq!(
            DynamoError::UnknownOperation.body(),
            json!({"__type": "com.amazon.coral.service#UnknownOperationException"})
        );
    }
}
