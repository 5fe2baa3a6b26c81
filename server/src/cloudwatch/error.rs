//! CloudWatch's errors. The query protocol names an error by its code
//! (`InvalidParameterValue`); JSON 1.0 and RPC v2 CBOR by its shape
//! (`InvalidParameterValueException`), with the code in `x-amzn-query-error` (the model is
//! `awsQueryCompatible`, so SDKs report the same code whatever the protocol).

use shale_aws::{AwsError, Wire};

/// The namespace of CloudWatch's error shapes in `__type`.
pub const NAMESPACE: &str = "com.amazonaws.cloudwatch";

/// One of CloudWatch's errors.
#[derive(Debug, Clone, PartialEq)]
pub struct CwError {
    /// The error shape (`InvalidParameterValueException`).
    pub shape: &'static str,
    /// The query code (`InvalidParameterValue`).
    pub code: &'static str,
    pub status: u16,
    pub message: String,
}

/// `Result` with [`CwError`].
pub type CwResult<T> = Result<T, CwError>;

impl CwError {
    fn new(shape: &'static str, code: &'static str, status: u16, message: String) -> CwError {
        CwError { shape, code, status, message }
    }

    /// `InvalidParameterValue`.
    pub fn invalid(message: impl Into<String>) -> CwError {
        CwError::new("InvalidParameterValueException", "InvalidParameterValue", 400, message.into())
    }

    /// `MissingParameter`: `member` is required.
    pub fn missing(member: &str) -> CwError {
        CwError::new(
            "MissingRequiredParameterException",
            "MissingParameter",
            400,
            format!("The parameter {member} is required."),
        )
    }

    /// `InvalidParameterCombination`.
    pub fn combination(message: impl Into<String>) -> CwError {
        CwError::new(
            "InvalidParameterCombinationException",
            "InvalidParameterCombination",
            400,
            message.into(),
        )
    }

    /// `ResourceNotFound`.
    pub fn not_found(message: impl Into<String>) -> CwError {
        CwError::new("ResourceNotFound", "ResourceNotFound", 404, message.into())
    }

    /// `LimitExceeded`.
    pub fn limit(message: impl Into<String>) -> CwError {
        CwError::new("LimitExceededFault", "LimitExceeded", 400, message.into())
    }

    /// `InvalidNextToken`.
    pub fn next_token() -> CwError {
        CwError::new(
            "InvalidNextToken",
            "InvalidNextToken",
            400,
            "The NextToken is invalid.".into(),
        )
    }

    /// `InvalidFormat`.
    pub fn format(message: impl Into<String>) -> CwError {
        CwError::new("InvalidFormatFault", "InvalidFormat", 400, message.into())
    }

    /// `InternalServiceError`.
    pub fn internal(message: impl Into<String>) -> CwError {
        CwError::new("InternalServiceFault", "InternalServiceError", 500, message.into())
    }

    /// The error as `wire` renders it.
    pub fn to_aws(&self, wire: Wire) -> AwsError {
        let fault = if self.status >= 500 { "Receiver" } else { "Sender" };
        let e = match wire {
            Wire::Query { .. } => {
                if self.status >= 500 {
                    AwsError::receiver(self.code, self.message.clone())
                } else {
                    AwsError::sender(self.code, self.message.clone())
                }
            }
            Wire::Json10 | Wire::RpcV2Cbor => {
                let e = if self.status >= 500 {
                    AwsError::receiver(self.shape, self.message.clone())
                } else {
                    AwsError::sender(self.shape, self.message.clone())
                };
                e.in_namespace(NAMESPACE)
                    .with_header("x-amzn-query-error", format!("{};{fault}", self.code))
            }
        };
        e.with_status(self.status)
    }
}
