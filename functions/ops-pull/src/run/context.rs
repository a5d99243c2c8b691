//! What the parts of one app's run share: the run's settings, what each
//! part learnt of the archive, the app's outcome, and writing days against
//! the listing and the manifest.

use chrono::{Days, NaiveDate};
use futures::future::join_all;
use tokio::sync::OnceCell;

use crate::archive::index::{Entry, Listing, Manifest};
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

/// What one family (operations or push) learnt of the archive.
#[derive(Default)]
pub(crate) struct Learnt {
    pub listing: Option<Listing>,
    pub entries: Vec<(String, Entry)>,
    /// getappinfo's empty answers in a row, as this run counted them.
    pub empty_answers: Option<u32>,
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

pub(crate) async fn manifest_of<'m, A: ArchiveStore>(
    cx: &Context<'_, A>,
    cell: &'m OnceCell<Manifest>,
    sdkappid: u64,
) -> &'m Manifest {
    cell.get_or_init(|| async move { cx.writer.manifest(&cx.layout.manifest_key(sdkappid)).await })
        .await
}

pub(crate) fn describe_app<S>(app: &App<S>, sdkappid: Option<u64>) -> String {
    match sdkappid {
        Some(id) => format!("app {} (sdkappid {id})", app.name),
        None => format!("app {}", app.name),
    }
}

/// What writing one day gave: its date, key, and what was written, or why
/// it failed.
pub(crate) type DayWrite = (NaiveDate, String, Result<DayWritten, String>);

/// Writes each `(date, key, object)` (all at once, within the writer's
/// bound) against what the listing and the manifest say is stored.
pub(crate) async fn write_days<A: ArchiveStore>(
    cx: &Context<'_, A>,
    listing: Option<&Listing>,
    read: &Manifest,
    days: Vec<(NaiveDate, String, DailyObject)>,
    pulled_at: &str,
    guard: Guard,
) -> Vec<DayWrite> {
    join_all(days.into_iter().map(|(date, key, object)| {
        let stored = Listing::stored(listing, read, &key);
        async move {
            let result = cx
                .writer
                .day(key.clone(), object, pulled_at, stored, guard)
                .await;
            (date, key, result)
        }
    }))
    .await
}

pub(crate) fn day_before(date: NaiveDate) -> NaiveDate {
    date - Days::new(1)
}
