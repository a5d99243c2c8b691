//! The crate's integration tests, one module a behaviour, linked once.

mod apps;
mod apps_moto;
mod blame;
mod common;
mod emulator;
mod facts;
mod http;
mod http_bad_requests;
mod http_properties;
mod key_secret;
mod moto;
mod trail;
