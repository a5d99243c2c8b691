//! What a handler is told about one invocation.

use std::time::Duration;

use tim::Deadline;

/// One invocation, as Lambda's context describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    /// Lambda's request id (`Context::request_id`).
    pub request_id: String,
    /// Lambda's deadline: milliseconds since the epoch (or, under
    /// `cargo lambda watch`, the timeout itself: see [`Invocation::time_left`]).
    pub deadline_ms: u64,
    /// The invocation that builds the function: the first of this execution
    /// environment (or the next one, after a build that panicked).
    pub cold_start: bool,
}

impl Invocation {
    /// Time left before Lambda ends the invocation
    /// ([`Deadline::lambda_time_left`]: a value before 2001 is taken as the
    /// time left, which is what `cargo lambda watch` sends).
    pub fn time_left(&self) -> Duration {
        Deadline::lambda_time_left(self.deadline_ms)
    }

    /// The deadline minus `margin`, kept to report a failure before the
    /// runtime kills the process.
    pub fn deadline(&self, margin: Duration) -> Deadline {
        Deadline::from_epoch_millis(self.deadline_ms, margin)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now_ms() -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
            .unwrap_or(0)
    }

    #[test]
    fn the_deadline_is_the_invocation_s_minus_the_margin() {
        let invocation = Invocation {
            request_id: String::new(),
            deadline_ms: now_ms() + 10_000,
            cold_start: false,
        };
        let left = invocation.time_left();
        assert!(
            left <= Duration::from_secs(10) && left > Duration::from_secs(9),
            "{left:?}"
        );
        let deadline = invocation.deadline(Duration::from_secs(2)).remaining();
        assert!(
            deadline <= Duration::from_secs(8) && deadline > Duration::from_secs(7),
            "{deadline:?}"
        );
    }

    #[test]
    fn a_cargo_lambda_watch_timeout_is_time_left() {
        let invocation = Invocation {
            request_id: String::new(),
            deadline_ms: 600_000,
            cold_start: false,
        };
        assert_eq!(invocation.time_left(), Duration::from_secs(600));
        let left = invocation.deadline(Duration::from_secs(1)).remaining();
        assert!(left > Duration::from_secs(598), "{left:?}");
    }

    #[test]
    fn a_past_deadline_leaves_no_time() {
        let invocation = Invocation {
            request_id: String::new(),
            deadline_ms: now_ms() - 1_000,
            cold_start: false,
        };
        assert_eq!(invocation.time_left(), Duration::ZERO);
        assert!(invocation.deadline(Duration::from_millis(500)).is_past());
    }
}
