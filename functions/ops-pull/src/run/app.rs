//! One app's part of a run: its operations data (see `operations`) and its
//! push history (see `push`), side by side, so that neither waits for nor
//! costs the other. Each writes what it can and reports what failed.

use crate::archive::store::ArchiveStore;
use crate::report::summary::{AppState, AppSummary};
use crate::tencent::source::{App, OpsSource};

use super::context::{AppOutcome, Context};
use super::operations::operations;
use super::push::push_history;

pub(crate) async fn archive_app<S: OpsSource, A: ArchiveStore>(
    app: &App<S>,
    cx: &Context<'_, A>,
) -> AppOutcome {
    let mut outcome = AppOutcome {
        summary: AppSummary {
            app: app.name.clone(),
            ..AppSummary::default()
        },
        failures: Vec::new(),
        day_metrics: Vec::new(),
    };
    if let Err(tim::Error::Credentials { .. }) = app.source.sdkappid().await
        && app.source.not_set_up().await
    {
        tracing::warn!(app = %app.name, "the UserSig secret has no value yet: the app is not set up, nothing pulled");
        outcome.summary.state = Some(AppState::NotSetUp);
        return outcome;
    }
    // A field-subset run pulls operations data only.
    let push_on = cx.push.days > 0 && cx.request.fields.is_none();
    let ((), push) = futures::join!(operations(app, cx, &mut outcome), async {
        if push_on {
            Some(push_history(app, cx).await)
        } else {
            None
        }
    });
    if let Some((summary, failures, sdkappid)) = push {
        outcome.summary.sdkappid = outcome.summary.sdkappid.or(sdkappid);
        outcome.summary.push = Some(summary);
        outcome.failures.extend(failures);
    }
    let summary = &mut outcome.summary;
    if let (Some(sdkappid), None, false) =
        (summary.sdkappid, summary.last_date, cx.writer.dry_run())
    {
        // No day in the answer: the lag alarm still needs the archive's age.
        let folder = cx.layout.daily_folder(sdkappid);
        summary.newest_archived_date = cx.writer.newest_day(&folder, "").await;
    }
    outcome
}
