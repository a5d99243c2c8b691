#![doc = include_str!("../README.md")]

pub mod apps;
pub mod context;
pub mod error;
mod event;
pub mod handler;
pub mod lambda;
pub mod metrics;
pub mod request;
pub mod response;
pub mod window;

pub use apps::{App, Apps, PushStatsSource};
pub use context::CallContext;
pub use handler::{Answered, answer, handle};
