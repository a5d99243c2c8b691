#![doc = include_str!("../README.md")]

pub mod apps;
pub mod error;
pub mod handler;
pub mod lambda;
pub mod metrics;
pub mod request;
pub mod response;
mod sdkappid_param;
pub mod time;

pub use apps::{App, Apps};
pub use handler::{Answered, Invocation, PushStatsSource, answer, handle};
