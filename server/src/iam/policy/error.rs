//! Why a policy document is refused. Each error's `Display` is the message IAM sends with
//! `MalformedPolicyDocument` where IAM's wording is known (from its API's answers), else one in
//! IAM's style; the variant keeps the detail IAM's message leaves out.

use super::{POLICY_DOCUMENT_BYTES_MAX, POLICY_STATEMENTS_MAX};

/// A refused policy document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// The document is longer than [`POLICY_DOCUMENT_BYTES_MAX`]: refused before parsing. IAM
    /// answers a too-long document with `LimitExceeded`, in this wording.
    #[error("Cannot exceed quota for PolicySize: {max}", max = POLICY_DOCUMENT_BYTES_MAX)]
    TooLarge {
        /// The document's length in bytes.
        bytes: usize,
    },
    /// More statements than [`POLICY_STATEMENTS_MAX`].
    #[error("Policy document cannot contain more than {max} statements.", max = POLICY_STATEMENTS_MAX)]
    TooManyStatements {
        /// How many the document has.
        count: usize,
    },
    /// Not JSON, or not of the grammar's shape (a value of the wrong type, an empty
    /// `Statement`, both `Action` and `NotAction`, an unknown `Version`).
    #[error("Syntax errors in policy.")]
    Syntax,
    /// A field the grammar does not have (names are case-sensitive).
    #[error("Unknown field {0}")]
    UnknownField(String),
    /// A required field is missing (`Statement`, `Effect`).
    #[error("Missing required field {0}")]
    MissingField(&'static str),
    /// An `Effect` of the wrong case (`allow`), which IAM's legacy parser refuses; or a date
    /// condition value that is no date.
    #[error("The policy failed legacy parsing")]
    LegacyParsing,
    /// The document is not version 2012-10-17, which managed policies require
    /// ([`super::Policy::require_current_version`]).
    #[error("Policy document must be version 2012-10-17 or greater.")]
    VersionTooOld,
    /// Two statements have the same `Sid`.
    #[error("Statement IDs (SID) in a single policy must be unique.")]
    DuplicateSid,
    /// A `Sid` with a character other than an ASCII letter or digit.
    #[error(
        "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*"
    )]
    SidNotAlphanumeric,
    /// A statement with neither `Action` nor `NotAction`, or an empty list of them.
    #[error("Policy statement must contain actions.")]
    MissingActions,
    /// An identity policy's statement with neither `Resource` nor `NotResource`, or an empty
    /// list of them.
    #[error("Policy statement must contain resources.")]
    MissingResources,
    /// A trust policy's statement with neither `Principal` nor `NotPrincipal`, or no principal
    /// in them.
    #[error(
        "Invalid principal in policy: com.amazon.balsa.error.InvalidPolicyException: The passed in policy has a statement with no principals!"
    )]
    MissingPrincipal,
    /// An identity policy with `Principal` or `NotPrincipal`.
    #[error("Policy document should not specify a principal.")]
    PrincipalNotAllowed,
    /// A trust policy with `Resource` or `NotResource` (the field's name).
    #[error("Has prohibited field {0}")]
    ProhibitedField(&'static str),
    /// An action (or condition key) with no `vendor:` prefix.
    #[error("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.")]
    ActionWithoutVendor,
    /// An action with more than one colon.
    #[error("Actions/Condition can contain only one colon.")]
    ActionColons,
    /// An action whose vendor has a wildcard (`*:Get*`).
    #[error("Action vendors (e.g., aws, ec2, etc.) must not contain wildcards.")]
    VendorWildcard,
    /// An action whose vendor has a character other than letters, digits, `-` and `.`.
    #[error("Vendor {0} is not valid")]
    InvalidVendor(String),
    /// A resource that is neither `*` nor an ARN.
    #[error("Resource {0} must be in ARN format or \"*\".")]
    ResourceNotArn(String),
    /// A principal that is not of its type's form (`"AWS": "bob"`), or of an unknown type.
    #[error("Invalid principal in policy: {0}")]
    InvalidPrincipal(String),
    /// A condition operator the language does not have (`StringEqual`, `NullIfExists`). IAM
    /// answers it as a syntax error.
    #[error("Syntax errors in policy.")]
    UnknownOperator(String),
}
