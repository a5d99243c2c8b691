//! Tencent's calendar: days are China calendar days (UTC+8), and a day's
//! data is published the next day around 10:00 China time. What the newest
//! day of an answer should be, how late it is, and where in time a day's
//! metrics belong.

use chrono::{DateTime, Days, Duration, NaiveDate, NaiveTime, Timelike, Utc};
use serde::Serialize;

/// UTC+8 (China has no daylight saving time).
const CHINA_OFFSET: Duration = Duration::hours(8);
/// The China-time hour from which yesterday's data is expected (Tencent
/// publishes T-1 "around 10:00"; before that the newest day may be T-2).
pub const PUBLISHED_BY_HOUR: u32 = 10;

/// getappinfo answers with an empty `Result` in a row (counted back through
/// the app's raw copies) from which the run fails (`TencentEmptyAnswer`) instead of
/// warning (`EmptyResult`). Two: one empty answer can be a glitch on
/// Tencent's side that the next day's run does not see; two in a row (a
/// day apart on the schedule) are a stop, and with the failure the
/// heartbeat alarm fires within a day, long before Tencent's 30 days run out.
pub const EMPTY_ANSWERS_FAIL_AFTER: u32 = 2;

/// Something a successful pull says that an operator should look at. Not a
/// failure: Tencent answered, the days it sent were archived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Warning {
    /// `Result` was an empty list: no day at all.
    EmptyResult,
    /// The newest `Date` is older than the day Tencent should have published
    /// by now (the summary's `last_date` against `expected_newest_date`).
    StaleNewestDay,
    /// Days missing between the answer's oldest and newest day (the
    /// summary's `missing_dates`): Tencent may never send them again.
    MissingDays,
}

/// The oldest newest day that is not late at `now`: T-1 from 10:00 China
/// time, T-2 before it (T being China's date at `now`).
pub fn expected_newest_day(now: DateTime<Utc>) -> NaiveDate {
    let local = (now + CHINA_OFFSET).naive_utc();
    let back = 1 + u64::from(local.hour() < PUBLISHED_BY_HOUR);
    local.date() - Days::new(back)
}

/// The warnings for a successful pull whose newest day is `newest` (`None`:
/// `Result` held no dated row).
pub fn warnings(newest: Option<NaiveDate>, rows: usize, now: DateTime<Utc>) -> Vec<Warning> {
    let mut warnings = Vec::new();
    if rows == 0 {
        warnings.push(Warning::EmptyResult);
    }
    if newest.is_some_and(|newest| newest < expected_newest_day(now)) {
        warnings.push(Warning::StaleNewestDay);
    }
    warnings
}

/// The days between the oldest and the newest of `days` (sorted) that are
/// not among them.
pub fn missing_days(days: &[NaiveDate]) -> Vec<NaiveDate> {
    let gaps = days.windows(2).map(|pair| (pair[0], pair[1]));
    let gaps = gaps.flat_map(|(day, next)| day.iter_days().skip(1).take_while(move |d| *d < next));
    gaps.collect()
}

/// China's calendar date at `now`.
pub fn china_today(now: DateTime<Utc>) -> NaiveDate {
    (now + CHINA_OFFSET).date_naive()
}

/// The instant a China calendar day starts.
pub fn start_of(day: NaiveDate) -> DateTime<Utc> {
    (day.and_time(NaiveTime::MIN) - CHINA_OFFSET).and_utc()
}

/// Hours from the end of `newest` (China time) to `now`, to one decimal.
pub fn lag_hours(newest: NaiveDate, now: DateTime<Utc>) -> f64 {
    let end = start_of(newest) + Duration::days(1);
    let seconds = (now - end).num_seconds();
    // Seconds fit an f64 exactly for any realistic lag.
    (seconds as f64 / 360.0).round() / 10.0
}

/// Where a day's business metrics are stamped: 12:00 China time that day
/// (04:00 UTC), so UTC daily buckets put the point on the same date.
pub fn metrics_instant(day: NaiveDate) -> DateTime<Utc> {
    start_of(day) + Duration::hours(12)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn before_ten_china_time_the_day_before_yesterday_is_enough() {
        // 01:59:59 UTC is 09:59:59 in China, on the same date; 16:00 UTC is
        // midnight in China: already the next date there.
        for (now, newest) in [
            ("2026-11-30T01:59:59Z", "2026-11-28"),
            ("2026-11-30T02:00:00Z", "2026-11-29"),
            ("2026-11-30T15:59:59Z", "2026-11-29"),
            ("2026-11-30T16:00:00Z", "2026-11-29"),
        ] {
            assert_eq!(expected_newest_day(at(now)), day(newest), "{now}");
        }
    }

    #[test]
    fn warnings_name_an_empty_result_and_a_stale_newest_day() {
        let now = at("2026-11-30T06:00:00Z");
        assert!(warnings(Some(day("2026-11-29")), 30, now).is_empty());
        assert_eq!(
            warnings(Some(day("2026-11-28")), 30, now),
            [Warning::StaleNewestDay]
        );
        assert_eq!(warnings(None, 0, now), [Warning::EmptyResult]);
        // Before 10:00 China time T-2 is not late yet.
        assert!(warnings(Some(day("2026-11-28")), 30, at("2026-11-30T01:15:00Z")).is_empty());
    }

    /// The stack's default schedule, `cron(M H * * ? *)` in UTC.
    fn default_schedule() -> (u32, u32) {
        let template = include_str!("../../../../infra/template.yaml");
        let start = template.find("ScheduleExpression:").unwrap();
        let line = template[start..]
            .lines()
            .find_map(|l| l.trim().strip_prefix("Default: cron("))
            .unwrap();
        let mut parts = line.split_whitespace();
        let minute = parts.next().unwrap().parse().unwrap();
        let hour = parts.next().unwrap().parse().unwrap();
        (hour, minute)
    }

    #[test]
    fn the_default_schedule_runs_after_tencent_publishes_yesterday() {
        let (hour, minute) = default_schedule();
        let run = at(&format!("2026-11-30T{hour:02}:{minute:02}:00Z"));
        // Every scheduled run must expect (and so get) China's yesterday:
        // before 10:00 China time the rule settles for the day before.
        assert_eq!(
            expected_newest_day(run),
            china_today(run) - Days::new(1),
            "cron({minute} {hour} * * ? *) runs before Tencent publishes T-1"
        );
        // A healthy newest day is then this old at the run, well under the
        // 48 h the lag alarm allows by default.
        let lag = lag_hours(china_today(run) - Days::new(1), run);
        assert!((10.0..24.0).contains(&lag), "{lag}");
    }

    #[test]
    fn lag_counts_from_the_end_of_the_day_in_china() {
        // 2026-11-29 ends at 2026-11-29T16:00Z; the 02:30 UTC schedule is 10.5 h later.
        for (newest, now, lag) in [
            ("2026-11-29", "2026-11-30T02:30:00Z", 10.5),
            ("2026-11-28", "2026-11-30T02:30:00Z", 34.5),
            ("2026-11-29", "2026-11-29T16:00:00Z", 0.0),
        ] {
            assert_eq!(lag_hours(day(newest), at(now)), lag, "{newest} at {now}");
        }
    }

    #[test]
    fn a_days_metrics_are_stamped_at_noon_china_time() {
        let noon = at("2026-11-29T04:00:00Z");
        assert_eq!(metrics_instant(day("2026-11-29")), noon);
    }
}
