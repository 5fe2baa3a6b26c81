//! IAM's errors, in the query protocol's form (`<Error><Code>…`), with IAM's HTTP statuses.

use shale_aws::AwsError;

/// `NoSuchEntity` (404).
pub fn no_such_entity(message: impl Into<String>) -> AwsError {
    AwsError::sender("NoSuchEntity", message).with_status(404)
}

/// `EntityAlreadyExists` (409).
pub fn already_exists(message: impl Into<String>) -> AwsError {
    AwsError::sender("EntityAlreadyExists", message).with_status(409)
}

/// `MalformedPolicyDocument` (400).
pub fn malformed_policy(message: impl Into<String>) -> AwsError {
    AwsError::sender("MalformedPolicyDocument", message)
}

/// `LimitExceeded` (409).
pub fn limit_exceeded(message: impl Into<String>) -> AwsError {
    AwsError::sender("LimitExceeded", message).with_status(409)
}

/// `DeleteConflict` (409).
pub fn delete_conflict(message: impl Into<String>) -> AwsError {
    AwsError::sender("DeleteConflict", message).with_status(409)
}

/// `ValidationError` (400): a parameter outside its constraints.
pub fn validation(message: impl Into<String>) -> AwsError {
    AwsError::sender("ValidationError", message)
}

/// `InvalidInput` (400).
pub fn invalid_input(message: impl Into<String>) -> AwsError {
    AwsError::sender("InvalidInput", message)
}

/// `ServiceFailure` (500): the store could not be read or written.
pub fn service_failure(message: impl Into<String>) -> AwsError {
    AwsError::receiver("ServiceFailure", message)
}

/// `AccessDenied` (403) of the query services.
pub fn access_denied(message: impl Into<String>) -> AwsError {
    AwsError::sender("AccessDenied", message).with_status(403)
}
