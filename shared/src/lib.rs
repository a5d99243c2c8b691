#![doc = include_str!("../README.md")]

pub mod api;
pub mod client;
pub mod config;
pub mod credentials;
pub mod error;
pub mod region;
#[cfg(feature = "secrets-manager")]
pub mod secrets;
pub mod usersig;

pub use client::{Client, ClientConfig, Deadline, OnRateLimit, RetryPolicy};
pub use credentials::{AppCredentials, CredentialsProvider, LocalSigner, StaticCredentials};
pub use error::{Error, ErrorClass};
pub use region::{Endpoint, Region};
