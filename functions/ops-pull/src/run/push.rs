//! One app's push-statistics history in a run: the paced pulls, then one
//! object per day pulled, against the same listing + manifest as the
//! operations days.

use chrono::{NaiveDate, Utc};
use tokio::sync::OnceCell;

use crate::archive::index::Manifest;
use crate::archive::layout;
use crate::archive::push_rows::push_object;
use crate::archive::store::ArchiveStore;
use crate::archive::write::{DayOutcome, Guard};
use crate::error::RunFailure;
use crate::report::summary::{FailedDay, PushSummary};
use crate::run::context::{Context, Learnt, day_before, describe_app, manifest_of, write_days};
use crate::tencent::push_history::pull_history;
use crate::tencent::source::{App, OpsSource};

/// The push history: paced pulls, then one object per day pulled.
pub(crate) async fn push_history<S: OpsSource, A: ArchiveStore>(
    app: &App<S>,
    cx: &Context<'_, A>,
    manifest: &OnceCell<Manifest>,
) -> (PushSummary, Vec<RunFailure>, Option<u64>, Learnt) {
    let mut summary = PushSummary::default();
    let mut failures = Vec::new();
    let sdkappid = match app.source.sdkappid().await {
        Ok(id) => id,
        Err(error) => {
            let dates = cx.push.dates(Utc::now());
            summary.days_asked = dates.len();
            summary.days_failed = dates.len();
            summary.first_date = dates.first().copied();
            summary.last_date = dates.last().copied();
            failures.push(RunFailure::pull(
                &error,
                format!(
                    "{}: push statistics not pulled: {error}",
                    describe_app(app, None)
                ),
            ));
            return (summary, failures, None, Learnt::default());
        }
    };
    let pulled = pull_history(&app.source, &app.pacer, cx.push, cx.deadlines.tencent).await;
    let dates: Vec<NaiveDate> = cx.push.dates(pulled.pulled_at);
    summary.days_asked = dates.len();
    summary.first_date = dates.first().copied();
    summary.last_date = dates.last().copied();
    if pulled.not_enabled {
        tracing::warn!(app = %app.name, sdkappid, "push is not enabled for this app (90045): no push history");
        summary.not_enabled = true;
        return (summary, failures, Some(sdkappid), Learnt::default());
    }
    let mut objects = Vec::new();
    for (date, result) in pulled.days {
        match result {
            Ok(stats) => objects.push((date, push_object(sdkappid, date, &stats))),
            Err(error) => {
                tracing::error!(app = %app.name, sdkappid, %date, error_type = error.error_type(), error = %error, "push statistics pull failed");
                failures.push(RunFailure::pull(
                    &error,
                    format!(
                        "{}: push statistics dt={date} not pulled: {error}",
                        describe_app(app, Some(sdkappid))
                    ),
                ));
                summary.days_failed += 1;
                summary.failed_days.push(FailedDay {
                    date,
                    reason: error.to_string(),
                });
            }
        }
    }
    let Some(first) = objects.first().map(|(date, _)| *date) else {
        return (summary, failures, Some(sdkappid), Learnt::default());
    };
    let (listing, read) = futures::join!(
        cx.writer.listing(
            cx.layout.push_folder(sdkappid),
            cx.layout.push_key(sdkappid, day_before(first)),
        ),
        manifest_of(cx, manifest, sdkappid)
    );
    let pulled_at = layout::pulled_at_text(pulled.pulled_at);
    let days = objects
        .into_iter()
        .map(|(date, object)| (date, cx.layout.push_key(sdkappid, date), object))
        .collect();
    let mut entries = Vec::new();
    let written = write_days(
        cx,
        listing.as_ref(),
        read,
        days,
        &pulled_at,
        Guard::NeverLower,
    )
    .await;
    for (date, key, result) in written {
        match result {
            Ok((DayOutcome::Written, entry)) => {
                summary.days_written += 1;
                entries.extend(entry.map(|e| (key, e)));
            }
            Ok((DayOutcome::Unchanged, entry)) => {
                summary.days_unchanged += 1;
                entries.extend(entry.map(|e| (key, e)));
            }
            Ok((DayOutcome::KeptArchived { reason }, entry)) => {
                tracing::warn!(app = %app.name, sdkappid, %date, reason, "push statistics lower than archived (a partial answer): the archived day is kept");
                summary.days_kept_archived += 1;
                summary.kept_days.push(FailedDay { date, reason });
                entries.extend(entry.map(|e| (key, e)));
            }
            Err(reason) => {
                failures.push(RunFailure::storage(format!(
                    "sdkappid {sdkappid} push dt={date}: {reason}"
                )));
                summary.days_failed += 1;
                summary.failed_days.push(FailedDay { date, reason });
            }
        }
    }
    summary.failed_days.sort_by_key(|d| d.date);
    summary.kept_days.sort_by_key(|d| d.date);
    let learnt = Learnt {
        listing,
        entries,
        empty_answers: None,
    };
    (summary, failures, Some(sdkappid), learnt)
}
