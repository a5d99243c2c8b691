//! The push-statistics dataset in one app's run: the newest archived push
//! day (one listing: where to catch up from), the paced pulls, then a raw
//! copy and an object per day answered.

use chrono::Utc;
use serde_json::Value;
use tim::client::Response;

use crate::archive::layout::PUSH;
use crate::archive::push_rows::push_object;
use crate::archive::store::ArchiveStore;
use crate::error::{RunErrorKind, RunFailure};
use crate::report::summary::{FailedDay, PushSummary};
use crate::tencent::push_history::pull_history;
use crate::tencent::source::{App, OpsSource};

use super::Context;
use super::app::archive;

pub(crate) async fn push_history<S: OpsSource, A: ArchiveStore>(
    app: &App<S>,
    cx: &Context<'_, A>,
) -> PushSummary {
    let (name, sdkappid) = (&app.name, app.sdkappid);
    let mut summary = PushSummary::default();
    // The catch-up starts after the newest archived day (one listing: a
    // page holds almost three years of days).
    let folder = cx.layout.folder(PUSH.folder, sdkappid);
    let newest = cx.writer.newest_day(&folder).await;
    let dates = cx.push.dates(Utc::now(), newest);
    summary.days_asked = dates.len();
    (summary.first_date, summary.last_date) = (dates.first().copied(), dates.last().copied());
    let pulled_at = Utc::now();
    let Some(pulled) = pull_history(&app.source, dates, cx.deadlines.tencent).await else {
        tracing::warn!(app = %name, sdkappid, "push is not enabled for this app (90045): no push history");
        summary.not_enabled = true;
        return summary;
    };
    let (mut days, mut raws) = (Vec::new(), Vec::new());
    for (date, result) in pulled {
        let (kind, what, reason) = match result {
            Ok(Response { envelope, raw }) => {
                raws.push((Some(date), raw));
                match push_object(sdkappid, date, &Value::Object(envelope)) {
                    Ok(object) => {
                        days.push(object);
                        continue;
                    }
                    Err(why) => {
                        let what = format!("answered {why}; not written (raw copy kept)");
                        (RunErrorKind::TencentMalformedAnswer, what, why)
                    }
                }
            }
            Err(error) => {
                let what = format!("not pulled: {error}");
                (RunErrorKind::of_pull(&error), what, error.to_string())
            }
        };
        tracing::error!(app = %name, sdkappid, %date, error_type = kind.error_type(), error = %reason, "push statistics pull failed");
        let text = format!("app {name} (sdkappid {sdkappid}): push statistics dt={date} {what}");
        cx.failed(RunFailure { kind, text });
        summary.days_failed += 1;
        summary.failed_days.push(FailedDay { date, reason });
    }
    let (raws, days) = archive(cx, &PUSH, sdkappid, pulled_at, raws, days).await;
    for (date, raw) in raws {
        if let (Some(date), Err(reason)) = (date, raw) {
            summary.failed_days.push(FailedDay { date, reason });
        }
    }
    for (date, result) in days {
        match result {
            Err(reason) => {
                summary.days_failed += 1;
                summary.failed_days.push(FailedDay { date, reason });
            }
            Ok(day) if !day.kept.is_empty() => {
                let reason = day.kept.join("; ");
                tracing::warn!(app = %name, sdkappid, %date, reason, "push statistics rows lower than archived (a partial answer): those rows keep their archived counts");
                summary.days_kept_archived += 1;
                summary.kept_days.push(FailedDay { date, reason });
            }
            Ok(day) if day.written => summary.days_written += 1,
            Ok(_) => summary.days_unchanged += 1,
        }
    }
    summary.failed_days.sort_by_key(|d| d.date);
    summary
}
