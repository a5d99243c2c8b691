//! One run: pull every app concurrently, then write every app's days and raw
//! copies in one bounded-concurrency stream of S3 calls.

use std::time::Duration;

use chrono::{NaiveDate, Utc};
use futures::StreamExt;
use lambda_kit::metrics::Metrics;
use tim::Deadline;

use crate::archive::{self, DailyObject, Layout};
use crate::error::{Failure, RunError};
use crate::freshness;
use crate::input::RunRequest;
use crate::metrics::{self as emf, DayMetrics};
use crate::pull::pull;
use crate::source::{App, OpsSource};
use crate::store::{ArchiveStore, PutCondition, PutRequest, StoreError};
use crate::summary::{AppSummary, FailedDay, RunSummary};

/// S3 calls in flight at once, across all apps of a run.
pub const WRITE_CONCURRENCY: usize = 16;

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

/// One S3 job of the write phase.
enum Job {
    Day {
        app: usize,
        key: String,
        object: DailyObject,
        pulled_at: String,
    },
    Raw {
        app: usize,
        key: String,
        raw: Vec<u8>,
    },
}

enum DayOutcome {
    Written,
    Unchanged,
}

enum JobResult {
    Day {
        app: usize,
        date: NaiveDate,
        result: Result<DayOutcome, String>,
        /// The day's business numbers, if a document is due once written.
        metrics: Option<DayMetrics>,
    },
    Raw {
        app: usize,
        key: String,
        result: Result<(), String>,
    },
}

/// Runs `request` over `apps`. Returns the summary, or an error that lists
/// every failed app and day (everything that could be written was). Unless
/// it is a dry run, emits each written day's business metrics and each
/// app's counts to `metrics`.
pub async fn run<S: OpsSource, A: ArchiveStore>(
    apps: &[App<S>],
    store: &A,
    layout: &Layout,
    request: &RunRequest,
    deadlines: Deadlines,
    metrics: &Metrics,
) -> Result<RunSummary, RunError> {
    let app_request = request.app_info_request();
    let pulls = futures::future::join_all(
        apps.iter()
            .map(|app| pull(app, &app_request, deadlines.tencent)),
    )
    .await;

    let mut summaries: Vec<AppSummary> = Vec::with_capacity(apps.len());
    let mut failures: Vec<Failure> = Vec::new();
    let mut jobs: Vec<Job> = Vec::new();
    for (index, (app, pull)) in apps.iter().zip(pulls).enumerate() {
        let mut summary = AppSummary {
            app: app.name.clone(),
            ..AppSummary::default()
        };
        match pull {
            Err((sdkappid, error)) => {
                let text = format!(
                    "{}: getappinfo failed, nothing written: {error}",
                    describe_app(app, sdkappid)
                );
                tracing::error!(app = %app.name, sdkappid, error_type = error.error_type(), error = %error, "pull failed");
                failures.push(Failure::pull(&error, text));
                summary.sdkappid = sdkappid;
                summary.error = Some(error.to_string());
            }
            Ok(pulled) => {
                summary.sdkappid = Some(pulled.sdkappid);
                jobs.push(Job::Raw {
                    app: index,
                    key: layout.raw_key(pulled.sdkappid, pulled.pulled_at),
                    raw: pulled.raw,
                });
                if let Some(malformed) = pulled.malformed_answer {
                    let text = format!(
                        "{}: getappinfo answered {malformed}; no day written (raw copy kept)",
                        describe_app(app, summary.sdkappid)
                    );
                    tracing::error!(app = %app.name, sdkappid = pulled.sdkappid, error = %malformed, "malformed answer");
                    failures.push(Failure::malformed(text));
                    summary.error = Some(format!("malformed answer: {malformed}"));
                    summaries.push(summary);
                    continue;
                }
                summary.days_pulled = pulled.days.len();
                summary.malformed_rows = pulled.malformed_rows;
                summary.first_date = pulled.days.keys().next().copied();
                summary.last_date = pulled.days.keys().next_back().copied();
                summary.expected_newest_date =
                    Some(freshness::expected_newest_day(pulled.pulled_at));
                summary.warnings =
                    freshness::warnings(summary.last_date, pulled.rows, pulled.pulled_at);
                let pulled_at = archive::pulled_at_text(pulled.pulled_at);
                for (date, object) in pulled.days {
                    jobs.push(Job::Day {
                        app: index,
                        key: layout.daily_key(pulled.sdkappid, date),
                        object,
                        pulled_at: pulled_at.clone(),
                    });
                }
            }
        }
        summaries.push(summary);
    }

    let merge = request.fields.is_some();
    let dry_run = request.dry_run;
    let results: Vec<JobResult> = futures::stream::iter(jobs)
        .map(|job| execute(store, job, merge, dry_run, deadlines.storage))
        .buffer_unordered(WRITE_CONCURRENCY)
        .collect()
        .await;

    for result in results {
        match result {
            JobResult::Raw { app, key, result } => match result {
                Ok(()) => summaries[app].raw_key = (!dry_run).then_some(key),
                Err(reason) => {
                    let summary = &mut summaries[app];
                    failures.push(Failure::storage(format!(
                        "{}: raw copy {key} not written: {reason}",
                        describe_app(&apps[app], summary.sdkappid)
                    )));
                    summary.error = Some(format!("raw copy not written: {reason}"));
                }
            },
            JobResult::Day {
                app,
                date,
                result,
                metrics: day_metrics,
            } => {
                let summary = &mut summaries[app];
                match result {
                    Ok(DayOutcome::Written) => {
                        summary.days_written += 1;
                        if let (Some(day_metrics), Some(sdkappid), false) =
                            (day_metrics, summary.sdkappid, dry_run)
                        {
                            day_metrics.emit(metrics, sdkappid);
                        }
                    }
                    Ok(DayOutcome::Unchanged) => summary.days_unchanged += 1,
                    Err(reason) => {
                        summary.days_failed += 1;
                        failures.push(Failure::storage(format!(
                            "sdkappid {} dt={date}: {reason}",
                            summary.sdkappid.unwrap_or_default()
                        )));
                        summary.failed_days.push(FailedDay { date, reason });
                    }
                }
            }
        }
    }
    for summary in &mut summaries {
        summary.failed_days.sort_by_key(|d| d.date);
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

fn describe_app<S>(app: &App<S>, sdkappid: Option<u64>) -> String {
    match sdkappid {
        Some(id) => format!("app {} (sdkappid {id})", app.name),
        None => format!("app {}", app.name),
    }
}

async fn execute<A: ArchiveStore>(
    store: &A,
    job: Job,
    merge: bool,
    dry_run: bool,
    deadline: Deadline,
) -> JobResult {
    let expired = || "deadline reached before S3 answered".to_owned();
    match job {
        Job::Raw { app, key, raw } => {
            let result = if dry_run {
                Ok(())
            } else {
                tokio::time::timeout_at(deadline.0, write_raw(store, &key, &raw))
                    .await
                    .unwrap_or_else(|_| Err(expired()))
            };
            JobResult::Raw { app, key, result }
        }
        Job::Day {
            app,
            key,
            object,
            pulled_at,
        } => {
            let date = object.date;
            let metrics = DayMetrics::of(date, object.lines(), Utc::now());
            let result = tokio::time::timeout_at(
                deadline.0,
                write_day(store, key, object, &pulled_at, merge, dry_run),
            )
            .await
            .unwrap_or_else(|_| Err(expired()));
            JobResult::Day {
                app,
                date,
                result,
                metrics,
            }
        }
    }
}

async fn write_raw<A: ArchiveStore>(store: &A, key: &str, raw: &[u8]) -> Result<(), String> {
    let body = archive::gzip(raw).map_err(|e| format!("gzip: {e}"))?;
    store
        .put(PutRequest {
            key: key.to_owned(),
            body,
            content_type: archive::RAW_CONTENT_TYPE,
            content_encoding: Some(archive::RAW_CONTENT_ENCODING),
            content_sha256: None,
            // A raw copy is never replaced: each pull has its own key.
            condition: PutCondition::IfAbsent,
        })
        .await
        .map_err(|e| e.to_string())
}

/// Writes one day unless the stored object already holds the same content.
/// A field-subset run merges into the stored object (and guards the PUT with
/// its ETag) so that it never drops the fields it did not pull.
async fn write_day<A: ArchiveStore>(
    store: &A,
    key: String,
    object: DailyObject,
    pulled_at: &str,
    merge: bool,
    dry_run: bool,
) -> Result<DayOutcome, String> {
    let (object, stored) = if merge {
        match store.get(&key).await.map_err(|e| e.to_string())? {
            Some((stored, body)) => (
                object.merged_over(&body).map_err(|e| e.to_string())?,
                Some(stored),
            ),
            None => (object, None),
        }
    } else {
        (object, store.head(&key).await.map_err(|e| e.to_string())?)
    };
    let hash = object.content_sha256();
    if stored.as_ref().and_then(|s| s.content_sha256.as_deref()) == Some(hash.as_str()) {
        return Ok(DayOutcome::Unchanged);
    }
    if dry_run {
        return Ok(DayOutcome::Written);
    }
    let condition = match (merge, stored) {
        (false, _) => PutCondition::Always,
        (true, None) => PutCondition::IfAbsent,
        (true, Some(stored)) => stored
            .etag
            .map_or(PutCondition::Always, PutCondition::IfMatch),
    };
    store
        .put(PutRequest {
            body: object.body(pulled_at),
            key,
            content_type: archive::DAILY_CONTENT_TYPE,
            content_encoding: None,
            content_sha256: Some(hash),
            condition,
        })
        .await
        .map_err(|e: StoreError| e.to_string())?;
    Ok(DayOutcome::Written)
}

#[cfg(test)]
#[path = "run_tests.rs"]
mod tests;
