//! One run: every app at once (see `app`), then the report: summary,
//! metrics, and an error naming every app and day that failed.

mod app;
pub mod deadlines;
mod operations;
mod push;

use std::sync::{Mutex, PoisonError};

use chrono::Utc;
use lambda_kit::metrics::Metrics;

use crate::archive::layout::Layout;
use crate::archive::store::ArchiveStore;
use crate::archive::write::Writer;
use crate::error::{RunError, RunFailure};
use crate::input::RunRequest;
use crate::report::metrics as emf;
use crate::report::summary::{AppSummary, RunSummary};
use crate::tencent::push_history::PushHistory;
use crate::tencent::source::{App, OpsSource};
use deadlines::Deadlines;

/// The run's settings, shared by every app, and what failed so far.
pub(crate) struct Context<'a, A> {
    pub writer: Writer<'a, A>,
    /// In the raw copies' keys.
    pub run_id: String,
    pub layout: &'a Layout,
    pub request: &'a RunRequest,
    pub push: PushHistory,
    pub deadlines: Deadlines,
    /// Each written day's business numbers go here (none in a dry run).
    pub metrics: &'a Metrics,
    failures: Mutex<Vec<RunFailure>>,
}

impl<A> Context<'_, A> {
    /// One more failure for the run's error.
    pub fn failed(&self, failure: RunFailure) {
        // Pushing cannot panic, so the lock is never poisoned.
        let mut failures = self.failures.lock().unwrap_or_else(PoisonError::into_inner);
        failures.push(failure);
    }

    /// A pull that failed: logged, a run failure, and the summary's error.
    pub fn pull_failed(&self, summary: &mut AppSummary, error: &tim::Error, what: &str) {
        let (name, sdkappid) = (&summary.app, summary.sdkappid);
        tracing::error!(app = %name, sdkappid, error_type = error.error_type(), error = %error, "pull failed");
        let text = format!("app {name} (sdkappid {sdkappid}): {what}: {error}");
        self.failed(RunFailure::pull(error, text));
        summary.error = Some(error.to_string());
    }
}

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
    let cx = Context {
        // A field-subset run merges into the stored days.
        writer: Writer::new(
            store,
            deadlines.storage,
            request.dry_run,
            request.fields.is_some(),
        ),
        run_id: request.run_id.clone().unwrap_or_else(new_run_id),
        layout,
        request,
        push,
        deadlines,
        metrics,
        failures: Mutex::default(),
    };
    let apps = futures::future::join_all(apps.iter().map(|app| app::archive_app(app, &cx))).await;
    let mut failures = cx
        .failures
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner);
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
    if !failures.is_empty() {
        return Err(RunError::incomplete(&failures, summary));
    }
    Ok(summary)
}

/// A run's id when the invocation has none (tests, local runs): unique
/// enough that two runs' raw copies never share a key.
pub(crate) fn new_run_id() -> String {
    format!("local{:016x}", fastrand::u64(..))
}

#[cfg(test)]
mod tests;
