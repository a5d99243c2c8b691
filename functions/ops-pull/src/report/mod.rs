//! What a run reports: its summary (the return value and log lines) and its
//! CloudWatch metrics.

pub mod metrics;
pub mod summary;
