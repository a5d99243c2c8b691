//! One app's part of a run: its operations data (see `operations`) and its
//! push history (see `push`), side by side, so that neither waits for nor
//! costs the other. Each writes what it can and reports what failed; the
//! app's manifest is written last.

use chrono::{Days, Utc};
use tokio::sync::OnceCell;

use crate::archive::index::{self, Listing, Manifest};
use crate::archive::store::ArchiveStore;
use crate::report::summary::{AppState, AppSummary};
use crate::tencent::freshness;
use crate::tencent::source::{App, OpsSource};

use super::context::{AppOutcome, Context, Learnt};
use super::operations::operations;
use super::push::push_history;

pub(crate) async fn archive_app<S: OpsSource, A: ArchiveStore>(
    app: &App<S>,
    cx: &Context<'_, A>,
) -> AppOutcome {
    let manifest = OnceCell::new();
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
    let (ops, push) = futures::join!(operations(app, cx, &manifest, &mut outcome), async {
        if push_on {
            Some(push_history(app, cx, &manifest).await)
        } else {
            None
        }
    });
    let mut learnt = vec![ops];
    if let Some((summary, failures, sdkappid, push_learnt)) = push {
        outcome.summary.sdkappid = outcome.summary.sdkappid.or(sdkappid);
        outcome.summary.push = Some(summary);
        outcome.failures.extend(failures);
        learnt.push(push_learnt);
    }
    let summary = &mut outcome.summary;
    if let (Some(sdkappid), None, false) =
        (summary.sdkappid, summary.last_date, cx.writer.dry_run())
    {
        // No day in the answer: the lag alarm still needs the archive's age.
        summary.newest_archived_date = cx.writer.newest_day(cx.layout.daily_folder(sdkappid)).await;
    }
    if let (Some(sdkappid), Some(read), false) = (
        outcome.summary.sdkappid,
        manifest.get(),
        cx.writer.dry_run(),
    ) {
        save_manifest(cx, sdkappid, read, learnt).await;
    }
    outcome
}

/// Writes the app's manifest when this run learnt something new.
async fn save_manifest<A: ArchiveStore>(
    cx: &Context<'_, A>,
    sdkappid: u64,
    read: &Manifest,
    learnt: Vec<Learnt>,
) {
    let oldest = (freshness::china_today(Utc::now()) - Days::new(index::KEEP_DAYS))
        .format("%Y-%m-%d")
        .to_string();
    let listings: Vec<&Listing> = learnt.iter().filter_map(|l| l.listing.as_ref()).collect();
    let entries = learnt.iter().flat_map(|l| l.entries.iter().cloned());
    let empty_answers = learnt.iter().find_map(|l| l.empty_answers);
    let next = index::next_manifest(read, &listings, entries, &oldest, empty_answers);
    if next == *read {
        return;
    }
    let key = cx.layout.manifest_key(sdkappid);
    if let Err(error) = cx.writer.save_manifest(&key, &next).await {
        tracing::warn!(sdkappid, key, error = %error, "manifest not written: the next run checks objects one by one");
    }
}
