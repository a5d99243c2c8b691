//! What a run reports: its return value and its log line.

use chrono::NaiveDate;
use serde::Serialize;

use crate::tencent::freshness::Warning;

/// The whole run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RunSummary {
    /// The release that ran (the workspace version): which CHANGELOG entry
    /// applies to what this run wrote.
    pub version: &'static str,
    /// Nothing was written; `days_written` counts the days that would have been.
    pub dry_run: bool,
    /// The `RequestField` subset, when one was asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<Vec<String>>,
    pub apps: Vec<AppSummary>,
}

/// One app's part of the run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AppSummary {
    /// The app's configured name (the secret it comes from).
    pub app: String,
    /// `not_set_up`: its UserSig secret has no value yet (nothing pulled,
    /// not a failure). Absent for an app that was pulled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<AppState>,
    pub sdkappid: u64,
    /// Distinct days with a valid `Date` in Tencent's answer.
    pub days_pulled: usize,
    pub days_written: usize,
    pub days_unchanged: usize,
    pub days_failed: usize,
    /// Rows with a bad `Date` (not placed in any day; kept in the raw copy),
    /// rows with a count that is not an integer (written as null, the text
    /// in the line's `malformed`), and extra rows for a `Date` Tencent sent
    /// more than once (the later row is archived).
    pub malformed_rows: usize,
    pub first_date: Option<NaiveDate>,
    /// The newest day Tencent sent.
    pub last_date: Option<NaiveDate>,
    /// When the answer had no day: the newest day in the archive (what
    /// `NewestDayLagHours` is computed from then).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub newest_archived_date: Option<NaiveDate>,
    /// getappinfo answers with an empty `Result` in a row, this one
    /// included (0: this answer had rows).
    #[serde(skip_serializing_if = "is_zero")]
    pub empty_answers: u32,
    /// The oldest newest day that is not late at the pull (T-1 China time,
    /// T-2 before 10:00 China time); set for every answered pull.
    pub expected_newest_date: Option<NaiveDate>,
    /// What an operator should look at although the pull succeeded.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<Warning>,
    /// Days missing inside the answered window (warning `MissingDays`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing_dates: Vec<NaiveDate>,
    /// The raw copy written by this run.
    pub raw_key: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub failed_days: Vec<FailedDay>,
    /// Counts archived as numbers that this run's answer sent as null, as
    /// text or not at all: the archived numbers were kept (metric
    /// `FieldsKeptArchived`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields_kept: Vec<KeptField>,
    /// Why the pull (nothing written) or the raw copy failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The push-statistics history; absent when it is off
    /// (`PUSH_ARCHIVE_DAYS=0`) or for a field-subset run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub push: Option<PushSummary>,
}

/// One app's push-statistics history in a run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PushSummary {
    /// Tencent said push is not enabled for the app (90045): nothing to
    /// archive, not a failure.
    pub not_enabled: bool,
    /// Days asked for (the oldest and newest below).
    pub days_asked: usize,
    pub days_written: usize,
    pub days_unchanged: usize,
    /// Days whose new answer had lower counts than the archived day (a
    /// partial answer): the archived day was kept (see `kept_days`).
    pub days_kept_archived: usize,
    /// Not pulled or not written (see `failed_days`).
    pub days_failed: usize,
    pub first_date: Option<NaiveDate>,
    pub last_date: Option<NaiveDate>,
    /// The days kept archived, with the count that went down.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub kept_days: Vec<FailedDay>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub failed_days: Vec<FailedDay>,
}

/// `a,b,c`: dates (a date's `Debug` is its `Display`) or warnings (their
/// names, as serialised).
fn join<T: std::fmt::Debug>(items: impl IntoIterator<Item = T>) -> String {
    let items: Vec<String> = items.into_iter().map(|item| format!("{item:?}")).collect();
    items.join(",")
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// A day whose object could not be written (or, in `kept_days`, was not
/// replaced), and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailedDay {
    pub date: NaiveDate,
    pub reason: String,
}

/// An app's state when it was not pulled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AppState {
    /// The UserSig secret exists but has no value yet (the first rotation
    /// fills it).
    NotSetUp,
}

/// A field of a day whose archived number was kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeptField {
    pub date: NaiveDate,
    pub field: String,
}

impl RunSummary {
    /// Apps whose UserSig secret has no value yet.
    pub fn apps_not_set_up(&self) -> usize {
        // (Not set up is the one state an app can be in.)
        self.apps.iter().filter(|a| a.state.is_some()).count()
    }

    /// Logs one structured line per app (and a warning line per app with
    /// warnings, and one for its push history) and one for the run. An app's
    /// lines take its `app` and `sdkappid` from its span (lambda_kit's JSON
    /// lines have a span's fields at the top level).
    pub fn log(&self) {
        for app in &self.apps {
            let _app =
                tracing::info_span!("app", app = %app.app, sdkappid = app.sdkappid).entered();
            if !app.warnings.is_empty() {
                tracing::warn!(
                    warnings = %join(&app.warnings),
                    last_date = app.last_date.map(|d| d.to_string()),
                    expected_newest_date = app.expected_newest_date.map(|d| d.to_string()),
                    missing_dates = %join(&app.missing_dates),
                    "ops-pull app warning"
                );
            }
            tracing::info!(
                state = app.state.map(|_| "not_set_up"),
                dry_run = self.dry_run,
                days_pulled = app.days_pulled,
                days_written = app.days_written,
                days_unchanged = app.days_unchanged,
                days_failed = app.days_failed,
                malformed_rows = app.malformed_rows,
                first_date = app.first_date.map(|d| d.to_string()),
                last_date = app.last_date.map(|d| d.to_string()),
                newest_archived_date = app.newest_archived_date.map(|d| d.to_string()),
                empty_answers = app.empty_answers,
                raw_key = app.raw_key.as_deref(),
                failed_days = (!app.failed_days.is_empty())
                    .then(|| join(app.failed_days.iter().map(|d| d.date))),
                fields_kept = app.fields_kept.len(),
                error = app.error.as_deref(),
                "ops-pull app summary"
            );
            if let Some(push) = &app.push {
                tracing::info!(
                    dry_run = self.dry_run,
                    not_enabled = push.not_enabled,
                    days_asked = push.days_asked,
                    days_written = push.days_written,
                    days_unchanged = push.days_unchanged,
                    days_kept_archived = push.days_kept_archived,
                    days_failed = push.days_failed,
                    first_date = push.first_date.map(|d| d.to_string()),
                    last_date = push.last_date.map(|d| d.to_string()),
                    "ops-pull push history summary"
                );
            }
        }
        let sum = |count: fn(&AppSummary) -> usize| self.apps.iter().map(count).sum::<usize>();
        tracing::info!(
            dry_run = self.dry_run,
            apps = self.apps.len(),
            days_written = sum(|a| a.days_written),
            days_unchanged = sum(|a| a.days_unchanged),
            days_failed = sum(|a| a.days_failed),
            malformed_rows = sum(|a| a.malformed_rows),
            summary = %serde_json::to_string(self).unwrap_or_default(),
            "ops-pull run summary"
        );
    }
}
