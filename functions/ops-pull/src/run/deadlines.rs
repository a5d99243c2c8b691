//! When each phase of an invocation must give up, so that the function
//! reports before Lambda ends it.

use std::time::Duration;

use tim::Deadline;

/// When each phase must give up, so the function reports before Lambda kills it.
#[derive(Debug, Clone, Copy)]
pub struct Deadlines {
    /// For the Tencent calls (leaves time for the writes).
    pub tencent: Deadline,
    /// For the S3 calls (leaves time to report).
    pub storage: Deadline,
}

impl Deadlines {
    /// Time kept after the Tencent deadline for writing: a third of the
    /// invocation's time, at most this much.
    pub const WRITE_RESERVE: Duration = Duration::from_secs(3);
    /// Time kept after the storage deadline for reporting: a tenth of the
    /// invocation's time, at most this much.
    pub const REPORT_RESERVE: Duration = Duration::from_millis(500);

    /// Splits `remaining` (an invocation's time left, which understands
    /// `cargo lambda watch`'s timeout-instead-of-instant) into the Tencent
    /// phase, the write phase and the reporting reserve (short timeouts
    /// keep proportionate reserves).
    pub fn within(remaining: Duration) -> Self {
        let report = Self::REPORT_RESERVE.min(remaining / 10);
        let write = Self::WRITE_RESERVE.min(remaining / 3);
        Self {
            tencent: Deadline::after(remaining.saturating_sub(report + write)),
            storage: Deadline::after(remaining.saturating_sub(report)),
        }
    }

    /// Both phases `duration` from now (tests, local runs).
    pub fn after(duration: Duration) -> Self {
        Self {
            tencent: Deadline::after(duration),
            storage: Deadline::after(duration),
        }
    }
}
