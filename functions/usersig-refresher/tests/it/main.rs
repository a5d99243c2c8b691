//! The crate's integration tests, one module a behaviour, linked once.

mod common;
mod facts;
mod rotation_apps;
mod rotation_live;
mod rotation_moto;
mod rotation_served;
