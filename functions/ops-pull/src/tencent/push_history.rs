//! Push-statistics history: Tencent's overall `all_member_push_statistics`
//! (no task ids), one call per China calendar day, paced under Tencent's
//! limit for that API (1 call a second per app).
//!
//! Tencent keeps these statistics for 30 days only, and a day's counts keep
//! growing for days after a push (late deliveries, clicks), so every run
//! pulls the days missed since the newest archived one (catch-up) and
//! re-pulls the last `PUSH_ARCHIVE_DAYS` complete days (revisions).

use std::time::Duration;

use chrono::{DateTime, Days, NaiveDate, Utc};
use tim::Deadline;
use tim::api::push::PushStatsRequest;
use tim::client::Response;

use tokio::time::Instant;

use crate::tencent::freshness::{china_today, start_of};
use crate::tencent::source::OpsSource;

/// `PUSH_ARCHIVE_DAYS` when unset.
pub const DEFAULT_DAYS: u32 = 7;
/// Tencent keeps 30 days, and the days at the edge of its window may be
/// partly dropped already: an answer for them can hold lower counts than
/// the day really had. 28 keeps two days away from that edge (and an
/// answer lower than the archive never replaces it anyway: see
/// `push_rows::keeping_lower_rows`).
pub const MAX_DAYS: u32 = 28;
/// Between two calls of one app (retries included). Tencent allows one call
/// a second; the margin keeps two calls out of one second even when the
/// network delays the first and not the second.
pub const CALL_SPACING: Duration = Duration::from_millis(1100);
/// After a rate-limit answer: the next second is surely a fresh window.
pub const RATE_LIMITED_SPACING: Duration = Duration::from_secs(2);
/// Tencent's "push is not enabled for this app": the app has no push
/// statistics, which is a state to report, not a failure to alarm on.
pub const PUSH_NOT_ENABLED: i64 = 90045;

/// How much push history a run archives: complete days before today
/// (China time) re-pulled each run; 0 switches it off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PushHistory {
    pub days: u32,
}

impl PushHistory {
    /// Off: no push call, no push object.
    pub const OFF: Self = Self { days: 0 };

    /// The days to pull at `now`, oldest first: every day after
    /// `newest_archived` (at most [`MAX_DAYS`] back; all of them when
    /// nothing is archived yet) through yesterday, plus the last `days`
    /// complete China days (today is still being counted). Off: none.
    pub fn dates(&self, now: DateTime<Utc>, newest_archived: Option<NaiveDate>) -> Vec<NaiveDate> {
        if self.days == 0 {
            return Vec::new();
        }
        let today = china_today(now);
        let oldest = today - Days::new(u64::from(MAX_DAYS));
        let revisions = today - Days::new(u64::from(self.days));
        let from = match newest_archived {
            Some(newest) if newest < today => (newest + Days::new(1)).clamp(oldest, revisions),
            Some(_) => revisions,
            None => oldest,
        };
        from.iter_days().take_while(|day| *day < today).collect()
    }
}

/// A day's window, [00:00, 24:00) China time, in unix seconds, as
/// getappinfo's `Date` counts days.
pub fn window(date: NaiveDate) -> PushStatsRequest {
    let start = start_of(date).timestamp();
    PushStatsRequest {
        start_time: start,
        end_time: start + 24 * 3600,
        task_ids: Vec::new(),
    }
}

/// Pulls `dates` for one app, one call at a time, [`CALL_SPACING`] apart
/// (the client retries transient faults within a call; the lease keeps
/// runs, and so their pacing, one at a time). After a failure no retry can
/// fix (bad key, no permission), the remaining days are not called and
/// carry that failure. Every asked day, oldest first, with its statistics
/// or why not; `None` when Tencent answered that push is not enabled for
/// the app (90045).
pub(crate) async fn pull_history<S: OpsSource>(
    source: &S,
    dates: Vec<NaiveDate>,
    deadline: Deadline,
) -> Option<Vec<(NaiveDate, Result<Response, tim::Error>)>> {
    let mut days = Vec::new();
    let mut stop: Option<tim::Error> = None;
    let mut next_call = Instant::now();
    for date in dates {
        let result = match stop.clone() {
            Some(error) => Err(error),
            None => {
                // Past the deadline the client answers at once that it was reached.
                tokio::time::sleep_until(next_call.min(deadline.0)).await;
                let result = source.push_statistics(&window(date), deadline).await;
                let rate_limited = result.as_ref().is_err_and(tim::Error::is_rate_limited);
                let spacing = rate_limited.then_some(RATE_LIMITED_SPACING);
                next_call = Instant::now() + spacing.unwrap_or(CALL_SPACING);
                result
            }
        };
        match &result {
            Err(error) if error.code() == Some(PUSH_NOT_ENABLED) => return None,
            Err(error) if !error.is_retryable() => stop = Some(error.clone()),
            _ => {}
        }
        days.push((date, result));
    }
    Some(days)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn the_days_catch_up_from_the_newest_archived_day_and_revise_the_last_ones() {
        // 2026-11-30 17:00 UTC is already 2026-12-01 01:00 in China.
        let now = DateTime::parse_from_rfc3339("2026-11-30T17:00:00Z")
            .unwrap()
            .to_utc();
        let history = PushHistory { days: 3 };
        let dates = |newest: Option<&str>| -> Vec<String> {
            history
                .dates(now, newest.map(day))
                .iter()
                .map(|d| d.to_string())
                .collect()
        };
        let last_three = ["2026-11-28", "2026-11-29", "2026-11-30"];
        assert_eq!(dates(Some("2026-11-30")), last_three, "up to date");
        assert_eq!(dates(Some("2026-12-25")), last_three, "a future day");
        // Ten days missed: every one since the newest archived day.
        let after_outage = dates(Some("2026-11-20"));
        assert_eq!(after_outage.len(), 10);
        assert_eq!(after_outage[0], "2026-11-21");
        // Nothing archived, or archived too long ago: Tencent's 28 days.
        for newest in [None, Some("2026-01-01")] {
            let all = dates(newest);
            assert_eq!((all.len(), all[0].as_str()), (28, "2026-11-03"));
        }
        assert!(PushHistory::OFF.dates(now, None).is_empty());
    }

    #[test]
    fn a_window_is_a_china_day_in_unix_seconds() {
        let request = window(NaiveDate::from_ymd_opt(2026, 11, 29).unwrap());
        // 2026-11-29 00:00 +08:00 = 2026-11-28 16:00 UTC.
        assert_eq!(request.start_time, 1_795_881_600);
        assert_eq!(request.end_time - request.start_time, 86_400);
        assert!(request.task_ids.is_empty());
    }
}
