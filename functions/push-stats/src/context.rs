//! What answering one request may rely on: its id, the deadline the HTTP
//! answer must meet, and "now" for the window rules.
//!
//! Derived from [`lambda_kit::Invocation`] (Lambda's own facts about the
//! invocation) but not the same thing: the deadline here is the earlier of
//! Lambda's (minus a margin to answer a 504 ourselves) and API Gateway's,
//! and "now" is fixed once so that tests can set it. Hence its own name.

use std::time::Duration;

use tim::Deadline;
use tim::usersig::{Clock, SystemClock};

/// What the handler needs to know about the call it is answering.
#[derive(Debug, Clone)]
pub struct CallContext {
    /// Lambda's request id (`Context::request_id`).
    pub request_id: String,
    pub deadline: Deadline,
    /// "Now" (unix seconds) for the window rules when the event does not
    /// carry API Gateway's `requestContext.timeEpoch`, which comes first:
    /// it is when the request arrived, and a test event's is fixed.
    pub now_unix: i64,
}

/// Margin kept before Lambda's deadline to answer with a 504 ourselves.
pub const DEADLINE_MARGIN: Duration = Duration::from_millis(500);
/// API Gateway HTTP APIs give up on an integration after 30 s.
pub const GATEWAY_TIMEOUT: Duration = Duration::from_secs(29);

impl CallContext {
    /// From Lambda's invocation: its deadline minus a margin, and never
    /// past API Gateway's own 30 s limit.
    pub fn from_lambda(invocation: &lambda_kit::Invocation) -> Self {
        Self {
            request_id: invocation.request_id.clone(),
            now_unix: i64::try_from(SystemClock.now_unix()).unwrap_or(i64::MAX),
            deadline: invocation
                .deadline(DEADLINE_MARGIN)
                .min(Deadline::after(GATEWAY_TIMEOUT)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lambda(deadline_in: Duration) -> lambda_kit::Invocation {
        let now_ms = u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap();
        lambda_kit::Invocation {
            request_id: "req-1".to_owned(),
            deadline_ms: now_ms + u64::try_from(deadline_in.as_millis()).unwrap(),
            cold_start: true,
        }
    }

    #[test]
    fn the_deadline_keeps_a_margin_before_lambdas_and_never_passes_the_gateways() {
        let short = CallContext::from_lambda(&lambda(Duration::from_secs(10)));
        assert_eq!(short.request_id, "req-1");
        let left = short.deadline.remaining();
        assert!(
            left <= Duration::from_secs(10) - DEADLINE_MARGIN,
            "{left:?}"
        );
        assert!(left > Duration::from_secs(8), "{left:?}");

        let long = CallContext::from_lambda(&lambda(Duration::from_secs(900)));
        assert!(long.deadline.remaining() <= GATEWAY_TIMEOUT);
        assert!(long.deadline.remaining() > GATEWAY_TIMEOUT - Duration::from_secs(2));
    }
}
