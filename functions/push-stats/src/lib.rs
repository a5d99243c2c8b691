//! push-stats: Tencent Cloud Chat push statistics
//! (`v4/timpush/all_member_push_statistics`) behind an IAM-authorised
//! API Gateway HTTP API (payload format 2.0).
//!
//! - [`handler`]: routing, the [`handler::PushStatsSource`] trait, the response.
//! - [`request`]: reading and validating GET queries and POST bodies.
//! - [`time`]: unix seconds and ISO-8601 bounds.
//! - [`response`]: the 200 body (counts and rates).
//! - [`error`]: error codes, HTTP statuses, Tencent failure mapping.
//! - [`config`]: the function's configuration, read once at cold start.

pub mod config;
pub mod error;
pub mod handler;
pub mod request;
pub mod response;
pub mod time;

pub use handler::{Invocation, PushStatsSource, handle};
