//! One app's part of a run: its credentials, then each dataset (operations
//! data, push history) side by side, so that neither waits for nor costs
//! the other; and what every dataset shares: writing its raw copies and days.

use bytes::Bytes;
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use futures::future::{OptionFuture, join_all};
use lambda_kit::metrics::Metrics;

use crate::archive::layout::{self, Dataset, Layout};
use crate::archive::object::DailyObject;
use crate::archive::store::ArchiveStore;
use crate::archive::write::{DayWritten, Writer};
use crate::error::RunFailure;
use crate::input::RunRequest;
use crate::report::summary::{AppState, AppSummary, FailedDay};
use crate::run::deadlines::Deadlines;
use crate::tencent::push_history::PushHistory;
use crate::tencent::source::{App, OpsSource};

/// The run's settings, shared by every app.
pub(crate) struct Context<'a, A> {
    pub writer: &'a Writer<'a, A>,
    /// In the raw copies' keys.
    pub run_id: &'a str,
    pub layout: &'a Layout,
    pub request: &'a RunRequest,
    pub push: PushHistory,
    pub deadlines: Deadlines,
    /// Each written day's business numbers go here (none in a dry run).
    pub metrics: &'a Metrics,
}

/// What one app's part leaves for the run's report.
#[derive(Default)]
pub(crate) struct AppOutcome {
    pub summary: AppSummary,
    pub failures: Vec<RunFailure>,
}

impl AppOutcome {
    /// A pull that failed: logged, a run failure, and the summary's error.
    pub fn pull_failed(&mut self, error: &tim::Error, what: &str) {
        let (name, sdkappid) = (&self.summary.app, self.summary.sdkappid);
        tracing::error!(app = %name, sdkappid, error_type = error.error_type(), error = %error, "pull failed");
        let text = format!("app {name} (sdkappid {sdkappid}): {what}: {error}");
        self.failures.push(RunFailure::pull(error, text));
        self.summary.error = Some(error.to_string());
    }
}

pub(crate) async fn archive_app<S: OpsSource, A: ArchiveStore>(
    app: &App<S>,
    cx: &Context<'_, A>,
) -> AppOutcome {
    let (name, sdkappid) = (&app.name, app.sdkappid);
    let mut outcome = AppOutcome::default();
    (outcome.summary.app, outcome.summary.sdkappid) = (name.clone(), sdkappid);
    // A field-subset run pulls operations data only.
    let push_on = cx.push.days > 0 && cx.request.fields.is_none();
    if let Err(error) = app.source.credentials().await {
        if matches!(error, tim::Error::Credentials { .. }) && app.source.not_set_up().await {
            tracing::warn!(app = %name, sdkappid, "the UserSig secret has no value yet: the app is not set up, nothing pulled");
            outcome.summary.state = Some(AppState::NotSetUp);
            return outcome;
        }
        outcome.pull_failed(&error, "credentials not read, nothing pulled");
    } else {
        let push = push_on.then(|| super::push::push_history(app, cx));
        let operations = super::operations::operations(app, cx, &mut outcome);
        let ((), push) = futures::join!(operations, OptionFuture::from(push));
        if let Some((push, mut failures)) = push {
            outcome.summary.push = Some(push);
            outcome.failures.append(&mut failures);
        }
    }
    let summary = &mut outcome.summary;
    if summary.last_date.is_none() && !cx.writer.dry_run {
        // No day in the answer (or no answer): the lag alarm still needs the archive's age.
        let folder = cx.layout.folder(&layout::OPERATIONS, sdkappid);
        summary.newest_archived_date = cx.writer.newest_day(&folder, "").await;
    }
    outcome
}

/// What archiving one dataset's pull gave, day by day.
#[derive(Default)]
pub(crate) struct Archived {
    /// Days written (new or changed) or found unchanged, oldest first.
    pub days: Vec<(NaiveDate, DayWritten)>,
    /// Days whose object could not be written.
    pub failed: Vec<FailedDay>,
    /// Raw copies written, and those that were not (their day, why).
    pub raw_keys: Vec<String>,
    pub raw_failed: Vec<(Option<NaiveDate>, String)>,
    /// Each of the failures above, for the run's error.
    pub failures: Vec<RunFailure>,
}

/// Writes a dataset's pull: Tencent's bodies (`raws`, each for one day or,
/// `None`, the whole window) and its days, all at once within the writer's
/// bound.
pub(crate) async fn archive<A: ArchiveStore>(
    cx: &Context<'_, A>,
    dataset: &Dataset,
    sdkappid: u64,
    pulled_at: DateTime<Utc>,
    raws: Vec<(Option<NaiveDate>, Bytes)>,
    days: Vec<DailyObject>,
) -> Archived {
    // As written on every line: RFC 3339, UTC, milliseconds.
    let stamp = pulled_at.to_rfc3339_opts(SecondsFormat::Millis, true);
    let (stamp, layout) = (&stamp, cx.layout);
    let raw_writes = raws.into_iter().map(|(date, raw)| async move {
        let key = layout.raw_key(dataset, sdkappid, date, pulled_at, cx.run_id);
        let written = cx.writer.raw(&key, &raw).await;
        (date, key, written)
    });
    let day_writes = days.into_iter().map(|object| async move {
        let (date, key) = (object.date, layout.day_key(dataset, sdkappid, object.date));
        (date, cx.writer.day(key, object, stamp, dataset.rule).await)
    });
    let (raws, days) = futures::join!(join_all(raw_writes), join_all(day_writes));
    let mut archived = Archived::default();
    let name = dataset.name;
    for (date, key, result) in raws {
        match result {
            Ok(()) if cx.writer.dry_run => {}
            Ok(()) => archived.raw_keys.push(key),
            Err(reason) => {
                let text =
                    format!("sdkappid {sdkappid}: {name} raw copy {key} not written: {reason}");
                archived.failures.push(RunFailure::storage(text));
                archived.raw_failed.push((date, reason));
            }
        }
    }
    for (date, result) in days {
        match result {
            Ok(day) => archived.days.push((date, day)),
            Err(reason) => {
                let text = format!("sdkappid {sdkappid} {name} dt={date}: {reason}");
                archived.failures.push(RunFailure::storage(text));
                archived.failed.push(FailedDay { date, reason });
            }
        }
    }
    archived
}
