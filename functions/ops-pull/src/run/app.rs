//! One app's part of a run: its credentials, then each dataset (operations
//! data, push history) side by side, so that neither waits for nor costs
//! the other; and what every dataset shares: writing its raw copies and days.

use bytes::Bytes;
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use futures::future::{OptionFuture, join_all};

use crate::archive::layout::{self, Dataset};
use crate::archive::object::DailyObject;
use crate::archive::store::ArchiveStore;
use crate::archive::write::DayWritten;
use crate::error::RunFailure;
use crate::report::summary::{AppState, AppSummary};
use crate::tencent::source::{App, OpsSource};

use super::{Context, operations, push};

pub(crate) async fn archive_app<S: OpsSource, A: ArchiveStore>(
    app: &App<S>,
    cx: &Context<'_, A>,
) -> AppSummary {
    let mut summary = AppSummary::default();
    (summary.app, summary.sdkappid) = (app.name.clone(), app.sdkappid);
    match app.source.credentials().await {
        Ok(false) => {
            tracing::warn!(app = %app.name, sdkappid = app.sdkappid, "the UserSig secret has no value yet: the app is not set up, nothing pulled");
            summary.state = Some(AppState::NotSetUp);
            return summary;
        }
        Err(error) => cx.pull_failed(&mut summary, &error, "credentials not read, nothing pulled"),
        Ok(true) => {
            // A field-subset run pulls operations data only.
            let push_on = cx.push.days > 0 && cx.request.fields.is_none();
            let push = OptionFuture::from(push_on.then(|| push::push_history(app, cx)));
            let operations = operations::operations(app, cx, &mut summary);
            ((), summary.push) = futures::join!(operations, push);
        }
    }
    if summary.last_date.is_none() && !cx.writer.dry_run {
        // No day in the answer (or no answer): the lag alarm still needs the archive's age.
        let folder = cx.layout.folder(layout::OPERATIONS.folder, app.sdkappid);
        summary.newest_archived_date = cx.writer.newest_day(&folder).await;
    }
    summary
}

/// Writes a dataset's pull: Tencent's bodies (`raws`, each for one day or,
/// `None`, the whole window) and its days, all at once within the writer's
/// bound, each failure also the run's. Returns each raw copy's key (none in
/// a dry run) and each day's outcome, or why not, in the order given.
pub(crate) async fn archive<A: ArchiveStore>(
    cx: &Context<'_, A>,
    dataset: &Dataset,
    sdkappid: u64,
    pulled_at: DateTime<Utc>,
    raws: Vec<(Option<NaiveDate>, Bytes)>,
    days: Vec<DailyObject>,
) -> (Vec<Raw>, Vec<(NaiveDate, Result<DayWritten, String>)>) {
    // As written on every line: RFC 3339, UTC, milliseconds.
    let stamp = pulled_at.to_rfc3339_opts(SecondsFormat::Millis, true);
    let (stamp, layout, name) = (&stamp, cx.layout, dataset.name);
    let raw_writes = raws.into_iter().map(|(date, raw)| async move {
        let key = layout.raw_key(dataset, sdkappid, date, pulled_at, &cx.run_id);
        let result = cx.writer.raw(&key, &raw).await.inspect_err(|reason| {
            let text = format!("sdkappid {sdkappid}: {name} raw copy {key} not written: {reason}");
            cx.failed(RunFailure::storage(text));
        });
        (date, result.map(|()| (!cx.writer.dry_run).then_some(key)))
    });
    let day_writes = days.into_iter().map(|object| async move {
        let (date, key) = (object.date, layout.day_key(dataset, sdkappid, object.date));
        let result = cx.writer.day(key, object, stamp, dataset.rule).await;
        if let Err(reason) = &result {
            let text = format!("sdkappid {sdkappid} {name} dt={date}: {reason}");
            cx.failed(RunFailure::storage(text));
        }
        (date, result)
    });
    futures::join!(join_all(raw_writes), join_all(day_writes))
}

/// A raw copy's day (`None`: the whole window) and its key, or why it was not written.
pub(crate) type Raw = (Option<NaiveDate>, Result<Option<String>, String>);
