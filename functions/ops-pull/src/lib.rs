#![doc = include_str!("../README.md")]
//!
//! Modules, in the order of a run: `handler` (one invocation), `input` (the
//! payload), `tencent` (what comes from Tencent: getappinfo, the paced push
//! history, Tencent's calendar), `run` (every app at once), `archive` (what
//! goes to S3: layout, objects, writes), `lease` (one run at a time), `report` (summary, metrics), `error`.

pub mod archive;
pub mod error;
pub mod handler;
pub mod input;
pub mod lambda;
pub mod lease;
pub mod report;
pub mod run;
pub mod tencent;

pub use archive::store::S3Store;
pub use error::RunError;
pub use handler::OpsPull;
pub use report::summary::RunSummary;
pub use run::deadlines::Deadlines;
pub use tencent::push_history::PushHistory;
pub use tencent::source::{App, TencentApp};
