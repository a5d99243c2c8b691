//! When a call must be answered by.

use std::time::Duration;

use tokio::time::Instant;

/// When the caller needs an answer by. Lambda functions pass their remaining
/// time minus a margin to report the failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Deadline(pub Instant);

impl Deadline {
    /// `duration` from now.
    pub fn after(duration: Duration) -> Self {
        Self(Instant::now() + duration)
    }

    /// From Lambda's `Context::deadline` (milliseconds since the epoch),
    /// keeping `margin` to report a failure before the runtime kills us.
    pub fn from_epoch_millis(deadline_ms: u64, margin: Duration) -> Self {
        Self::after(Self::lambda_time_left(deadline_ms).saturating_sub(margin))
    }

    /// Time left before Lambda's `Context::deadline`. The Lambda service
    /// sends epoch milliseconds, but `cargo lambda watch` sends the function
    /// timeout itself (e.g. `600000`): a value too small to be an instant
    /// (before September 2001) is taken as the time left.
    pub fn lambda_time_left(deadline_ms: u64) -> Duration {
        const EARLIEST_EPOCH_MS: u64 = 1_000_000_000_000;
        if deadline_ms < EARLIEST_EPOCH_MS {
            return Duration::from_millis(deadline_ms);
        }
        let now_ms = u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap_or(0);
        Duration::from_millis(deadline_ms.saturating_sub(now_ms))
    }

    /// Time left (zero once past).
    pub fn remaining(&self) -> Duration {
        self.0.saturating_duration_since(Instant::now())
    }

    /// Whether no time is left.
    pub fn is_past(&self) -> bool {
        self.remaining().is_zero()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lambda_deadline_is_epoch_millis_or_cargo_lambdas_relative_timeout() {
        // cargo lambda watch sends the timeout itself.
        assert_eq!(
            Deadline::lambda_time_left(600_000),
            Duration::from_secs(600)
        );
        let in_ten_s = u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap() + 10_000;
        let left = Deadline::lambda_time_left(in_ten_s);
        assert!(
            left <= Duration::from_secs(10) && left > Duration::from_secs(8),
            "{left:?}"
        );
        assert_eq!(
            Deadline::lambda_time_left(1_600_000_000_000),
            Duration::ZERO,
            "a past instant"
        );
    }
}
