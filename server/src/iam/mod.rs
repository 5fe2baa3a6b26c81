//! IAM on the endpoint: who may call (identities, their access keys, their policies) and what
//! they may do (the policy language and its evaluation).
//!
//! - [`store`]: users, groups, roles, managed policies, access keys and temporary sessions,
//!   kept in memory and persisted in the engine's `iam.store` keyspace (`docs/format/iam.md`);
//!   secret access keys are sealed at rest ([`seal`]).
//! - [`policy`]: the policy language (parse, evaluate).
//! - [`caller`]: an authenticated request's identity, and [`caller::Caller::authorize`], which
//!   every operation of every service calls before it acts.
//! - [`service`] and [`ops`]: the IAM API (the AWS query protocol, version 2010-05-08).

pub mod caller;
pub mod error;
pub mod ids;
pub mod ops;
pub mod policy;
pub mod seal;
pub mod service;
pub mod store;
pub mod xml;
