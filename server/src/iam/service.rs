//! The IAM service as the HTTP front door sees it: the AWS query protocol (form-encoded
//! `Action=…&Version=2010-05-08`, XML answers), signed for the `iam` service.
//!
//! Credentials from GetSessionToken may not call IAM (AWS requires MFA for that, which this
//! server does not have): such a request is refused as `InvalidClientTokenId`, as AWS refuses
//! it.

use super::ops::{self, Handler};
use super::store::Store;
use crate::http::service::{Address, Call, Operation, Service};
use shale_aws::query::Form;
use shale_aws::{AwsError, Reply};
use std::sync::Arc;

/// IAM's XML namespace.
pub const XMLNS: &str = "https://iam.amazonaws.com/doc/2010-05-08/";
/// The API version.
pub const VERSION: &str = "2010-05-08";

/// The IAM service.
#[derive(Debug, Clone)]
pub struct Iam {
    store: Arc<Store>,
}

impl Iam {
    /// Over `store`.
    pub fn new(store: Arc<Store>) -> Iam {
        Iam { store }
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }
}

/// Checks `Version` (when given) against the service's and finds the form's operation.
pub fn check_version(form: &Form, version: &str) -> Result<(), AwsError> {
    match form.get("Version") {
        Some(v) if v != version => Err(AwsError::sender(
            "InvalidAction",
            format!("Could not find operation {} for version {v}", form.action().unwrap_or("")),
        )),
        _ => Ok(()),
    }
}

impl Service for Iam {
    type Handler = Handler;

    fn name(&self) -> &'static str {
        "iam"
    }

    fn address(&self) -> Address {
        Address { query: Some(("iam", XMLNS)), ..Address::default() }
    }

    fn signing_name(&self) -> &'static str {
        "iam"
    }

    fn operations(&self) -> &'static [Operation<Handler>] {
        ops::OPERATIONS
    }

    fn runs_inline(&self, _op: &Operation<Handler>) -> bool {
        // Changes fsync the store; reads are cheap but share the path.
        false
    }

    fn call(&self, op: &Operation<Handler>, call: &Call<'_>) -> Result<Reply, AwsError> {
        if call.caller.identity.session_token_of_user {
            return Err(AwsError::sender(
                "InvalidClientTokenId",
                "The security token included in the request is invalid",
            )
            .with_status(403));
        }
        let form = Form::parse(call.body)?;
        check_version(&form, VERSION)?;
        (op.handler)(self, &form, call)
    }

    fn internal(&self, message: String) -> AwsError {
        super::error::service_failure(message)
    }
}
