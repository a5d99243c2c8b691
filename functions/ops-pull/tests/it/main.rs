//! The crate's integration tests, one module a behaviour, linked once.

mod common;
mod facts;
mod lambda_two_apps;
mod moto_and_emulator;
mod no_silent_failure;
