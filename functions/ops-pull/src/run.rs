//! One run: every app at once (see `app_run`), then the report: summary,
//! metrics, and an error naming every app and day that failed.

use std::time::Duration;

use chrono::Utc;
use lambda_kit::metrics::Metrics;
use tim::Deadline;

use crate::app_run::{Context, archive_app};
use crate::archive::Layout;
use crate::error::{Failure, RunError};
use crate::input::RunRequest;
use crate::metrics as emf;
use crate::push_history::PushHistory;
use crate::source::{App, OpsSource};
use crate::store::ArchiveStore;
use crate::summary::{AppSummary, RunSummary};
pub use crate::write::WRITE_CONCURRENCY;
use crate::write::Writer;

/// When each phase must give up, so the function reports before Lambda kills it.
#[derive(Debug, Clone, Copy)]
pub struct Deadlines {
    /// For the Tencent calls (leaves time for the writes).
    pub tencent: Deadline,
    /// For the S3 calls (leaves time to report).
    pub storage: Deadline,
}

impl Deadlines {
    /// Time kept after the Tencent deadline for writing: a third of the
    /// invocation's time, at most this much.
    pub const WRITE_RESERVE: Duration = Duration::from_secs(3);
    /// Time kept after the storage deadline for reporting: a tenth of the
    /// invocation's time, at most this much.
    pub const REPORT_RESERVE: Duration = Duration::from_millis(500);

    /// For one Lambda invocation: its time left (which understands
    /// `cargo lambda watch`'s timeout-instead-of-instant), split.
    pub fn for_invocation(invocation: &lambda_kit::Invocation) -> Self {
        Self::within(invocation.time_left())
    }

    /// Splits `remaining` into the Tencent phase, the write phase and the
    /// reporting reserve (short timeouts keep proportionate reserves).
    pub fn within(remaining: Duration) -> Self {
        let report = Self::REPORT_RESERVE.min(remaining / 10);
        let write = Self::WRITE_RESERVE.min(remaining / 3);
        Self {
            tencent: Deadline::after(remaining.saturating_sub(report + write)),
            storage: Deadline::after(remaining.saturating_sub(report)),
        }
    }

    /// Both phases `duration` from now (tests, local runs).
    pub fn after(duration: Duration) -> Self {
        Self {
            tencent: Deadline::after(duration),
            storage: Deadline::after(duration),
        }
    }
}

/// Runs `request` over `apps`, every app at once (each app's operations
/// data and push history side by side; S3 calls bounded across all apps by
/// [`WRITE_CONCURRENCY`]). Returns the summary, or an error that lists every
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
    let writer = Writer::new(
        store,
        deadlines.storage,
        request.dry_run,
        request.fields.is_some(),
    );
    let run_id = request.run_id.clone().unwrap_or_else(new_run_id);
    let cx = Context {
        writer: &writer,
        run_id: &run_id,
        layout,
        request,
        push,
        deadlines,
    };
    let outcomes = futures::future::join_all(apps.iter().map(|app| archive_app(app, &cx))).await;

    let dry_run = request.dry_run;
    let mut failures: Vec<Failure> = Vec::new();
    let mut summaries: Vec<AppSummary> = Vec::with_capacity(apps.len());
    for outcome in outcomes {
        if !dry_run {
            for (sdkappid, day) in &outcome.day_metrics {
                day.emit(metrics, *sdkappid);
            }
        }
        failures.extend(outcome.failures);
        summaries.push(outcome.summary);
    }
    failures.sort_by(|a, b| a.text.cmp(&b.text));

    let summary = RunSummary {
        dry_run,
        fields: request.fields.clone(),
        apps: summaries,
    };
    summary.log();
    if !dry_run {
        let now = Utc::now();
        for app in &summary.apps {
            emf::emit_app(metrics, app, now);
        }
    }
    if failures.is_empty() {
        Ok(summary)
    } else {
        Err(RunError::incomplete(&failures, summary))
    }
}

/// A run's id when the invocation has none (tests, local runs): unique
/// enough that two runs' raw copies never share a key.
fn new_run_id() -> String {
    format!("local{:016x}", fastrand::u64(..))
}

#[cfg(test)]
#[path = "run_tests.rs"]
mod tests;
