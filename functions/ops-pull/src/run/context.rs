//! What the parts of one app's run share: the run's settings, the app's
//! outcome, and writing days.

use chrono::NaiveDate;
use futures::future::join_all;

use crate::archive::layout::Layout;
use crate::archive::object::DailyObject;
use crate::archive::store::ArchiveStore;
use crate::archive::write::{DayWritten, Guard, Writer};
use crate::error::RunFailure;
use crate::input::RunRequest;
use crate::report::metrics::DayMetrics;
use crate::report::summary::AppSummary;
use crate::run::deadlines::Deadlines;
use crate::tencent::push_history::PushHistory;
use crate::tencent::source::App;

/// What one app's part leaves for the run's report.
pub(crate) struct AppOutcome {
    pub summary: AppSummary,
    pub failures: Vec<RunFailure>,
    /// Business metrics of the days written (emitted by the run).
    pub day_metrics: Vec<(u64, DayMetrics)>,
}

/// The run's settings, shared by every app.
pub(crate) struct Context<'a, A> {
    pub writer: &'a Writer<'a, A>,
    /// In the raw copies' keys.
    pub run_id: &'a str,
    pub layout: &'a Layout,
    pub request: &'a RunRequest,
    pub push: PushHistory,
    pub deadlines: Deadlines,
}

pub(crate) fn describe_app<S>(app: &App<S>, sdkappid: Option<u64>) -> String {
    match sdkappid {
        Some(id) => format!("app {} (sdkappid {id})", app.name),
        None => format!("app {}", app.name),
    }
}

/// What writing one day gave: its date, and what was written, or why it
/// failed.
pub(crate) type DayWrite = (NaiveDate, Result<DayWritten, String>);

/// Writes each `(date, key, object)` under `guard`, all at once within the
/// writer's bound.
pub(crate) async fn write_days<A: ArchiveStore>(
    cx: &Context<'_, A>,
    days: Vec<(NaiveDate, String, DailyObject)>,
    pulled_at: &str,
    guard: Guard,
) -> Vec<DayWrite> {
    join_all(days.into_iter().map(|(date, key, object)| async move {
        (date, cx.writer.day(key, object, pulled_at, guard).await)
    }))
    .await
}
