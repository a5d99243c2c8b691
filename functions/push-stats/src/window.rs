//! The window rules: what a `start`/`end` pair must be for Tencent to
//! answer it. Shape (order, length) is checked while reading the request;
//! reach (Tencent's retention, the future) needs "now" and is checked right
//! after, before any app is selected or Tencent is called, so a caller's
//! mistake is a 400 of its own and never Tencent's refusal turned 502
//! (which pages on-call through the 5xx alarm).

use tim::api::push::MAX_WINDOW_SECS;

use crate::error::{ApiError, ErrorCode};

/// How far back Tencent answers push statistics: 30 days before now.
pub const RETENTION_SECS: i64 = 30 * 86_400;
/// How far past our "now" an `end` may lie: clocks differ a little (the
/// caller's, API Gateway's, Tencent's), and an `end` of "now" by the
/// caller's clock must not be refused for it.
pub const CLOCK_SKEW_SECS: i64 = 60;

/// `2026-11-01T00:00:00Z` for a validated unix time.
pub fn to_iso(seconds: i64) -> String {
    chrono::DateTime::from_timestamp(seconds, 0)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

/// `start < end`, at most [`MAX_WINDOW_SECS`] apart.
pub(crate) fn check_shape(start: i64, end: i64) -> Result<(), ApiError> {
    let (start_iso, end_iso) = (to_iso(start), to_iso(end));
    let (code, message) = if start >= end {
        let message = format!("end ({end_iso}) must be after start ({start_iso})");
        (ErrorCode::InvalidWindow, message)
    } else if end - start > MAX_WINDOW_SECS {
        let message = format!(
            "the window from {start_iso} to {end_iso} is longer than Tencent's limit of \
            30 days ({MAX_WINDOW_SECS} s); split it into several requests"
        );
        (ErrorCode::WindowTooLong, message)
    } else {
        return Ok(());
    };
    Err(ApiError::param(code, "end", message))
}

/// Within Tencent's reach at `now` (unix seconds): `start` no older than
/// [`RETENTION_SECS`], `end` no later than `now` + [`CLOCK_SKEW_SECS`].
/// The error's `bound` is the limit crossed: the oldest allowed start, or now.
pub fn check_reach(start: i64, end: i64, now: i64) -> Result<(), ApiError> {
    let oldest = now.saturating_sub(RETENTION_SECS);
    let (code, parameter, message, bound) = if start < oldest {
        let message = format!(
            "start ({}) is older than Tencent keeps push statistics (30 days): the oldest \
            start now is {} (bound, bound_iso)",
            to_iso(start),
            to_iso(oldest)
        );
        (ErrorCode::WindowBeforeRetention, "start", message, oldest)
    } else if end > now.saturating_add(CLOCK_SKEW_SECS) {
        let message = format!(
            "end ({}) is in the future: it may be at most now, {} (bound, bound_iso)",
            to_iso(end),
            to_iso(now)
        );
        (ErrorCode::WindowInFuture, "end", message, now)
    } else {
        return Ok(());
    };
    Err(ApiError::param(code, parameter, message).with_bound(bound))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_793_523_600; // 2026-11-01T09:00:00Z

    #[test]
    fn the_oldest_start_and_the_latest_end_pass_one_second_more_does_not() {
        let oldest = NOW - RETENTION_SECS;
        assert_eq!(check_reach(oldest, NOW, NOW), Ok(()));
        assert_eq!(check_reach(oldest, NOW + CLOCK_SKEW_SECS, NOW), Ok(()));

        let before = check_reach(oldest - 1, NOW, NOW).unwrap_err();
        assert_eq!(
            (
                before.code,
                before.parameter.as_deref(),
                before.bound.map(|b| b.get())
            ),
            (
                ErrorCode::WindowBeforeRetention,
                Some("start"),
                Some(oldest)
            )
        );
        assert!(
            before.message.contains("2026-10-02T09:00:00Z"),
            "{}",
            before.message
        );

        let future = check_reach(oldest, NOW + CLOCK_SKEW_SECS + 1, NOW).unwrap_err();
        assert_eq!(
            (
                future.code,
                future.parameter.as_deref(),
                future.bound.map(|b| b.get())
            ),
            (ErrorCode::WindowInFuture, Some("end"), Some(NOW))
        );
        let body = future.body("req-1");
        assert_eq!(body["error"]["bound"], NOW);
        assert_eq!(body["error"]["bound_iso"], "2026-11-01T09:00:00Z");
    }

    #[test]
    fn both_codes_are_client_errors() {
        assert_eq!(ErrorCode::WindowBeforeRetention.status(), 400);
        assert_eq!(ErrorCode::WindowInFuture.status(), 400);
        assert_eq!(
            ErrorCode::WindowBeforeRetention.as_str(),
            "window_before_retention"
        );
        assert_eq!(ErrorCode::WindowInFuture.as_str(), "window_in_future");
    }
}
