//! Tencent's per-API frequency limits: every call that reaches an API is
//! counted per second of the emulator's clock, per command and app; with
//! enforcement on, one beyond the limit is refused as Tencent refuses it.

use crate::convention::Command;
use crate::reply::ApiError;
use crate::state::State;

/// Counts the call; with enforcement on, refuses one beyond its API's
/// per-second limit for its app with 60007, Tencent's code for a REST API
/// called over its frequency limit (60011 is the app-wide request rate,
/// which the two documented per-API limits do not describe).
pub(crate) fn check(
    state: &State,
    command: Command,
    sdkappid: u64,
    now: u64,
) -> Result<(), ApiError> {
    let in_second = state.counters.call(command.path(), sdkappid, now);
    let limit = command.per_second_limit();
    if state.enforce_rate_limits && in_second > limit {
        state.counters.rate_limited(command.path(), sdkappid);
        return Err(ApiError::new(
            60007,
            format!(
                "REST API call frequency limit exceeded: {} allows {limit} calls per second per app",
                command.path()
            ),
        ));
    }
    Ok(())
}
