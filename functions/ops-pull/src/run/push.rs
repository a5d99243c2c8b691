//! One app's push-statistics history in a run: the newest archived push
//! day (one listing: where to catch up from), the paced pulls, a raw copy
//! of each answer, then one object per day pulled.

use chrono::{Days, Utc};

use crate::archive::layout;
use crate::archive::push_rows::push_object;
use crate::archive::store::ArchiveStore;
use crate::archive::write::{DayOutcome, DayWritten, Guard};
use crate::error::{RunErrorKind, RunFailure};
use crate::report::summary::{FailedDay, PushSummary};
use crate::run::context::{Context, describe_app, write_days};
use crate::tencent::freshness::china_today;
use crate::tencent::push_history::{MAX_DAYS, pull_history};
use crate::tencent::source::{App, OpsSource};

/// The push history: paced pulls, then one object per day pulled.
pub(crate) async fn push_history<S: OpsSource, A: ArchiveStore>(
    app: &App<S>,
    cx: &Context<'_, A>,
) -> (PushSummary, Vec<RunFailure>, Option<u64>) {
    let mut summary = PushSummary::default();
    let mut failures = Vec::new();
    let sdkappid = match app.source.sdkappid().await {
        Ok(id) => id,
        Err(error) => {
            failures.push(RunFailure::pull(
                &error,
                format!(
                    "{}: push statistics not pulled: {error}",
                    describe_app(app, None)
                ),
            ));
            return (summary, failures, None);
        }
    };
    // The newest archived day among those Tencent may still hold: the
    // catch-up starts after it.
    let oldest = china_today(Utc::now()) - Days::new(u64::from(MAX_DAYS) + 1);
    let folder = cx.layout.push_folder(sdkappid);
    let start_after = cx.layout.push_key(sdkappid, oldest);
    let newest = cx.writer.newest_day(&folder, &start_after).await;
    let dates = cx.push.dates(Utc::now(), newest);
    summary.days_asked = dates.len();
    summary.first_date = dates.first().copied();
    summary.last_date = dates.last().copied();
    let pulled = pull_history(
        &app.source,
        &app.pacer,
        cx.push,
        dates,
        cx.deadlines.tencent,
    )
    .await;
    if pulled.not_enabled {
        tracing::warn!(app = %app.name, sdkappid, "push is not enabled for this app (90045): no push history");
        summary.not_enabled = true;
        return (summary, failures, Some(sdkappid));
    }
    let mut failed = |summary: &mut PushSummary,
                      date: chrono::NaiveDate,
                      kind: RunErrorKind,
                      text: String,
                      reason: String| {
        tracing::error!(app = %app.name, sdkappid, %date, error_type = kind.error_type(), error = %reason, "push statistics pull failed");
        failures.push(RunFailure::of_kind(kind, text));
        summary.days_failed += 1;
        summary.failed_days.push(FailedDay { date, reason });
    };
    let who = describe_app(app, Some(sdkappid));
    let mut days = Vec::new();
    let mut raws = Vec::new();
    for (date, result) in pulled.days {
        let response = match result {
            Ok(response) => response,
            Err(error) => {
                let text = format!("{who}: push statistics dt={date} not pulled: {error}");
                let kind = RunErrorKind::of_pull(&error);
                failed(&mut summary, date, kind, text, error.to_string());
                continue;
            }
        };
        let raw_key = cx
            .layout
            .push_raw_key(sdkappid, date, pulled.pulled_at, cx.run_id);
        let envelope = serde_json::Value::Object(response.envelope);
        match push_object(sdkappid, date, &envelope) {
            Ok(object) => days.push((date, cx.layout.push_key(sdkappid, date), object)),
            Err(why) => {
                let text = format!(
                    "{who}: push statistics dt={date} answered {why}; not written (raw copy kept)"
                );
                let kind = RunErrorKind::TencentMalformedAnswer;
                failed(&mut summary, date, kind, text, why);
            }
        }
        raws.push((date, raw_key, response.raw));
    }
    let pulled_at = layout::pulled_at_text(pulled.pulled_at);
    let (written, raw_written) = futures::join!(
        write_days(cx, days, &pulled_at, Guard::NeverLower),
        futures::future::join_all(
            raws.iter()
                .map(|(date, key, raw)| async move { (*date, key, cx.writer.raw(key, raw).await) })
        )
    );
    for (date, key, result) in raw_written {
        if let Err(reason) = result {
            let text = format!("{who}: push raw copy {key} not written: {reason}");
            failures.push(RunFailure::storage(text));
            summary.failed_days.push(FailedDay { date, reason });
        }
    }
    for (date, result) in written {
        match result {
            Ok(DayWritten { outcome, kept }) => {
                if !kept.is_empty() {
                    let reason = kept.join("; ");
                    tracing::warn!(app = %app.name, sdkappid, %date, reason, "push statistics rows lower than archived (a partial answer): those rows keep their archived counts");
                    summary.days_kept_archived += 1;
                    summary.kept_days.push(FailedDay { date, reason });
                } else if outcome == DayOutcome::Written {
                    summary.days_written += 1;
                } else {
                    summary.days_unchanged += 1;
                }
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
    (summary, failures, Some(sdkappid))
}
