#![doc = include_str!("../README.md")]

pub mod config;
pub mod error;
pub mod handler;
pub mod lambda;
pub mod metrics;
pub mod request;
pub mod response;
pub mod time;

pub use handler::{Answered, Invocation, PushStatsSource, answer, handle};
