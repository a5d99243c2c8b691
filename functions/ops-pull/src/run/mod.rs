//! One run: every app at once (see `app`), then the report: summary,
//! metrics, and an error naming every app and day that failed.

mod app;
pub mod deadlines;
mod operations;
mod push;

use chrono::Utc;
use lambda_kit::metrics::Metrics;

use crate::archive::layout::Layout;
use crate::archive::store::ArchiveStore;
use crate::archive::write::Writer;
use crate::error::{RunError, RunFailure};
use crate::input::RunRequest;
use crate::report::metrics as emf;
use crate::report::summary::RunSummary;
use crate::tencent::push_history::PushHistory;
use crate::tencent::source::{App, OpsSource};
use app::{Context, archive_app};
use deadlines::Deadlines;

/// Runs `request` over `apps`, every app at once (each app's operations
/// data and push history side by side; S3 calls bounded across all apps by
/// [`crate::archive::write::WRITE_CONCURRENCY`]). Returns the summary, or an error that lists every
/// failed app and day (everything that could be written was). Unless it is
/// a dry run, emits each written day's business metrics and each app's
/// counts to `metrics`.
pub async fn run<S: OpsSource, A: ArchiveStore>(
    apps: &[App<S>],
    store: &A,
    layout: &Layout,
    request: &RunRequest,
    push: PushHistory,
    deadlines: Deadlines,
    metrics: &Metrics,
) -> Result<RunSummary, RunError> {
    // A field-subset run merges into the stored days.
    let merge = request.fields.is_some();
    let writer = Writer::new(store, deadlines.storage, request.dry_run, merge);
    let run_id = request.run_id.clone().unwrap_or_else(new_run_id);
    let cx = Context {
        writer: &writer,
        run_id: &run_id,
        layout,
        request,
        push,
        deadlines,
        metrics,
    };
    let outcomes = futures::future::join_all(apps.iter().map(|app| archive_app(app, &cx))).await;

    let (failures, apps): (Vec<_>, _) = outcomes
        .into_iter()
        .map(|o| (o.failures, o.summary))
        .unzip();
    let mut failures: Vec<RunFailure> = failures.into_iter().flatten().collect();
    failures.sort_by(|a, b| a.text.cmp(&b.text));

    let summary = RunSummary {
        version: env!("CARGO_PKG_VERSION"),
        dry_run: request.dry_run,
        fields: request.fields.clone(),
        apps,
    };
    summary.log();
    if !request.dry_run {
        let now = Utc::now();
        for app in &summary.apps {
            emf::emit_app(metrics, app, now);
        }
        emf::emit_run(metrics, "AppsNotSetUp", summary.apps_not_set_up());
    }
    if failures.is_empty() {
        Ok(summary)
    } else {
        Err(RunError::incomplete(&failures, summary))
    }
}

/// A run's id when the invocation has none (tests, local runs): unique
/// enough that two runs' raw copies never share a key.
pub(crate) fn new_run_id() -> String {
    format!("local{:016x}", fastrand::u64(..))
}

#[cfg(test)]
mod tests;
