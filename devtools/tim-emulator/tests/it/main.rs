//! The crate's integration tests, one module a behaviour, linked once.

mod admin_api;
mod apis;
mod binary;
mod checks;
mod common;
mod faults;
mod rates;
mod server;
