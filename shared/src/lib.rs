//! Tencent Cloud Chat (TIM) for AWS Lambda functions.
//!
//! - [`usersig`]: UserSig (TLSSigAPIv2) signing, verification, inspection.
//! - [`region`]: regions, their primary and backup domains, endpoint overrides.
//! - [`client`]: the REST client (retries, failover, deadline, re-sign once).
//! - [`api`]: typed requests and answers of the APIs the functions use.
//! - [`credentials`]: where the UserSig comes from; [`secrets`] adds AWS
//!   Secrets Manager sources (feature `secrets-manager`).
//! - [`config`]: the one configuration layer (environment variables) every
//!   function reads its settings through.
//! - [`error`]: one error type, classed retryable / UserSig rejected /
//!   configuration / bad request / network.

pub mod api;
pub mod client;
pub mod config;
pub mod credentials;
pub mod error;
pub mod region;
pub mod usersig;

mod cache;

pub use client::{Client, ClientConfig, Deadline, RetryPolicy};
pub use credentials::{AppCredentials, CredentialsProvider, LocalSigner, StaticCredentials};
pub use error::{Error, ErrorClass};
pub use region::{Endpoint, Region};
#[cfg(feature = "secrets-manager")]
pub mod secrets;
