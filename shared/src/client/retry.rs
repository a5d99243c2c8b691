//! When a call must be answered by, how long to wait between attempts, and
//! when not to retry at all.

use std::time::Duration;

use tokio::time::Instant;

use crate::error::Error;

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

/// Retries are only started with at least this much time before the
/// deadline: an attempt that cannot complete a round trip only adds load.
pub const MIN_RETRY_WINDOW: Duration = Duration::from_millis(50);

/// Backoff between attempts of a retryable failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// Delay cap before the first retry; doubles each retry (full jitter).
    pub base_delay: Duration,
    /// The longest pause, and the pause (give or take jitter) after a rate limit.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(2),
        }
    }
}

impl RetryPolicy {
    /// The pause before retry number `retry` (1 = the first retry), given a
    /// uniform sample `unit` in `[0, 1)`.
    ///
    /// - Ordinary retryable failures: full jitter, uniform in
    ///   `[0, min(max_delay, base_delay · 2^(retry-1))]`.
    /// - Rate limits (60007, 60011, 60018, 60019, HTTP 429): uniform in
    ///   `[max_delay/2, max_delay]`. Tencent counts its limits per second, so
    ///   an early retry almost surely lands in the same window and burns an
    ///   attempt; waiting about the cap (2 s by default) moves to a fresh
    ///   window, and the jitter keeps concurrent callers apart.
    pub fn delay(&self, retry: u32, rate_limited: bool, unit: f64) -> Duration {
        let unit = Some(unit)
            .filter(|u| u.is_finite())
            .map_or(0.0, |u| u.clamp(0.0, 1.0));
        if rate_limited {
            let half = self.max_delay / 2;
            return half + (self.max_delay - half).mul_f64(unit);
        }
        let doublings = retry.saturating_sub(1).min(31);
        let cap = self.base_delay.saturating_mul(1u32 << doublings);
        cap.min(self.max_delay).mul_f64(unit)
    }
}

/// What the client does when Tencent asks it to slow down (60007, 60011,
/// 60018, 60019, HTTP 429).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnRateLimit {
    /// Back off (about `max_delay`) and retry within the deadline: batch
    /// callers (ops-pull) that would rather wait than fail.
    #[default]
    Retry,
    /// Return the rate-limit error at once: interactive callers (push-stats)
    /// that pass Tencent's wait on to their own caller (`Retry-After`).
    ReturnAtOnce,
}

impl OnRateLimit {
    /// Whether the client retries `error` under this rule.
    pub fn retries(self, error: &Error) -> bool {
        error.is_retryable() && !(self == Self::ReturnAtOnce && slow_down(error))
    }
}

/// Tencent (or its gateway) asked us to slow down.
pub(super) fn slow_down(error: &Error) -> bool {
    error.is_rate_limited() || matches!(error, Error::Http { status: 429, .. })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_jitter_doubles_up_to_the_cap() {
        let policy = RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(500),
        };
        assert_eq!(policy.delay(1, false, 0.0), Duration::ZERO);
        assert_eq!(policy.delay(1, false, 1.0), Duration::from_millis(100));
        assert_eq!(policy.delay(2, false, 1.0), Duration::from_millis(200));
        assert_eq!(policy.delay(3, false, 0.5), Duration::from_millis(200));
        assert_eq!(policy.delay(4, false, 1.0), Duration::from_millis(500));
        assert_eq!(policy.delay(60, false, 1.0), Duration::from_millis(500));
        assert_eq!(policy.delay(1, true, 0.0), Duration::from_millis(250));
        assert_eq!(policy.delay(1, true, 1.0), Duration::from_millis(500));
        assert_eq!(policy.delay(1, false, f64::NAN), Duration::ZERO);
    }

    #[test]
    fn return_at_once_gives_up_on_rate_limits_only() {
        let api = |code| Error::Api {
            command: "x".into(),
            code,
            info: String::new(),
        };
        let http = |status| Error::Http {
            command: "x".into(),
            status,
        };
        for limited in [api(60007), api(60011), api(60018), api(60019), http(429)] {
            assert!(OnRateLimit::Retry.retries(&limited), "{limited}");
            assert!(!OnRateLimit::ReturnAtOnce.retries(&limited), "{limited}");
        }
        for other in [api(90102), http(502)] {
            assert!(OnRateLimit::ReturnAtOnce.retries(&other), "{other}");
        }
        assert!(
            !OnRateLimit::Retry.retries(&api(70050)),
            "a lock-out is not retried"
        );
    }

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
