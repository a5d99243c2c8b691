//! The crate's integration tests, one module a behaviour, linked once.

mod client_apis;
mod client_credentials;
mod client_retries;
mod client_secrets;
mod common;
mod facts;
mod readme_examples;
#[cfg(feature = "secrets-manager")]
mod secrets_emulator;
#[cfg(feature = "secrets-manager")]
mod secrets_moto;
mod usersig_cli;
mod usersig_reference;
mod usersig_refusals;
mod usersig_round_trip;
