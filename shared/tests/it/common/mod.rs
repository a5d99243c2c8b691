//! Helpers shared by several of the crate's test files, one module per
//! subject; each test module uses its subset.
#![allow(dead_code)] // each test module uses its own subset

pub mod client;
#[cfg(feature = "secrets-manager")]
pub mod secrets;
pub mod usersig;
