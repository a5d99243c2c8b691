//! One app's operations data in a run: getappinfo, then its days and the
//! raw copy; an answer with nothing to archive is never a success.

use std::collections::BTreeMap;

use chrono::{NaiveDate, Utc};

use crate::archive::layout;
use crate::archive::store::ArchiveStore;
use crate::archive::write::{DayOutcome, DayWritten, Guard};
use crate::error::{RunErrorKind, RunFailure};
use crate::report::metrics::DayMetrics;
use crate::report::summary::{FailedDay, KeptField};
use crate::tencent::appinfo::{Pulled, pull};
use crate::tencent::freshness;
use crate::tencent::source::{App, OpsSource};

use super::context::{AppOutcome, Context, describe_app, write_days};

/// getappinfo, then its days and raw copy. Fills the summary's operations
/// fields.
pub(crate) async fn operations<S: OpsSource, A: ArchiveStore>(
    app: &App<S>,
    cx: &Context<'_, A>,
    outcome: &mut AppOutcome,
) {
    let summary = &mut outcome.summary;
    let mut pulled = match pull(app, &cx.request.app_info_request(), cx.deadlines.tencent).await {
        Ok(pulled) => pulled,
        Err((sdkappid, error)) => {
            let text = format!(
                "{}: getappinfo failed, nothing written: {error}",
                describe_app(app, sdkappid)
            );
            tracing::error!(app = %app.name, sdkappid, error_type = error.error_type(), error = %error, "pull failed");
            outcome.failures.push(RunFailure::pull(&error, text));
            summary.sdkappid = sdkappid;
            summary.error = Some(error.to_string());
            return;
        }
    };
    let sdkappid = pulled.sdkappid;
    summary.sdkappid = Some(sdkappid);
    let raw_key = cx.layout.raw_key(sdkappid, pulled.pulled_at, cx.run_id);
    let raw = std::mem::take(&mut pulled.raw);
    let ((), raw_written) = futures::join!(
        operation_days(app, cx, &raw_key, pulled, outcome),
        cx.writer.raw(&raw_key, &raw)
    );
    record_raw(app, outcome, raw_key, raw_written, cx);
}

/// The pulled days written (none when the answer was malformed: the raw
/// copy is the evidence).
async fn operation_days<S: OpsSource, A: ArchiveStore>(
    app: &App<S>,
    cx: &Context<'_, A>,
    raw_key: &str,
    pulled: Pulled,
    outcome: &mut AppOutcome,
) {
    let sdkappid = pulled.sdkappid;
    let summary = &mut outcome.summary;
    if let Some(malformed) = pulled.malformed_answer {
        let text = format!(
            "{}: getappinfo answered {malformed}; no day written (raw copy kept)",
            describe_app(app, Some(sdkappid))
        );
        tracing::error!(app = %app.name, sdkappid, error = %malformed, "malformed answer");
        let kind = RunErrorKind::TencentMalformedAnswer;
        outcome.failures.push(RunFailure::of_kind(kind, text));
        summary.error = Some(format!("malformed answer: {malformed}"));
        return;
    }
    summary.days_pulled = pulled.days.len();
    summary.malformed_rows = pulled.malformed_rows;
    summary.first_date = pulled.days.keys().next().copied();
    summary.last_date = pulled.days.keys().next_back().copied();
    summary.expected_newest_date = Some(freshness::expected_newest_day(pulled.pulled_at));
    summary.warnings = freshness::warnings(summary.last_date, pulled.rows, pulled.pulled_at);
    let dates: Vec<NaiveDate> = pulled.days.keys().copied().collect();
    summary.missing_dates = freshness::missing_days(&dates);
    if !summary.missing_dates.is_empty() {
        summary.warnings.push(freshness::Warning::MissingDays);
    }
    if pulled.rows == 0 {
        return empty_answer(app, cx, raw_key, sdkappid, outcome).await;
    }
    if pulled.days.is_empty() {
        // Rows, but not one could be placed in a day: Tencent changed how
        // it sends `Date`. Never a success: nothing would be archived again.
        let text = format!(
            "{}: getappinfo answered {} row(s), none with a valid Date (YYYYMMDD); no day written (raw copy kept)",
            describe_app(app, Some(sdkappid)),
            pulled.unkeyable_rows
        );
        tracing::error!(app = %app.name, sdkappid, rows = pulled.unkeyable_rows, "no row with a valid Date");
        let kind = RunErrorKind::TencentUnkeyableRows;
        outcome.failures.push(RunFailure::of_kind(kind, text));
        summary.error = Some(format!(
            "{} row(s), none with a valid Date",
            pulled.unkeyable_rows
        ));
        return;
    }

    let pulled_at = layout::pulled_at_text(pulled.pulled_at);
    let now = Utc::now();
    let mut metrics: BTreeMap<NaiveDate, DayMetrics> = BTreeMap::new();
    let days = pulled
        .days
        .into_iter()
        .map(|(date, object)| {
            metrics.extend(DayMetrics::of(date, object.lines(), now).map(|m| (date, m)));
            (date, cx.layout.daily_key(sdkappid, date), object)
        })
        .collect();
    let results = write_days(cx, days, &pulled_at, Guard::KeepNumbers).await;

    let summary = &mut outcome.summary;
    for (date, result) in results {
        match result {
            Ok(DayWritten {
                outcome: outcome_of_day,
                kept,
            }) => {
                if !kept.is_empty() {
                    tracing::warn!(app = %app.name, sdkappid, %date, fields = ?kept, "counts archived as numbers not replaced by null, text or absence: the archived numbers are kept");
                }
                summary
                    .fields_kept
                    .extend(kept.into_iter().map(|field| KeptField { date, field }));
                if outcome_of_day == DayOutcome::Written {
                    summary.days_written += 1;
                    if let (Some(metrics), false) = (metrics.remove(&date), cx.writer.dry_run()) {
                        outcome.day_metrics.push((sdkappid, metrics));
                    }
                } else {
                    summary.days_unchanged += 1;
                }
            }
            Err(reason) => {
                summary.days_failed += 1;
                outcome.failures.push(RunFailure::storage(format!(
                    "sdkappid {sdkappid} dt={date}: {reason}"
                )));
                summary.failed_days.push(FailedDay { date, reason });
            }
        }
    }
    summary.failed_days.sort_by_key(|d| d.date);
    summary
        .fields_kept
        .sort_by(|a, b| (a.date, &a.field).cmp(&(b.date, &b.field)));
}

/// An empty `Result`: a warning the first time, a failure from
/// [`freshness::EMPTY_ANSWERS_FAIL_AFTER`] answers in a row, counted back
/// through the app's earlier raw copies (read only on an empty answer).
async fn empty_answer<S, A: ArchiveStore>(
    app: &App<S>,
    cx: &Context<'_, A>,
    raw_key: &str,
    sdkappid: u64,
    outcome: &mut AppOutcome,
) {
    let mut in_a_row = 1;
    let folder = cx.layout.raw_folder(sdkappid);
    let counted = cx
        .writer
        .newest_bodies(&folder, raw_key, |body| {
            let empty = was_empty(body);
            in_a_row += u32::from(empty);
            empty && in_a_row < freshness::EMPTY_ANSWERS_FAIL_AFTER
        })
        .await;
    if let Err(error) = counted {
        tracing::warn!(app = %app.name, sdkappid, error = %error, "earlier raw copies not read: this empty answer counts as the first");
    }
    outcome.summary.empty_answers = in_a_row;
    if in_a_row >= freshness::EMPTY_ANSWERS_FAIL_AFTER {
        let text = format!(
            "{}: getappinfo answered an empty Result in {in_a_row} runs in a row; no day archived",
            describe_app(app, Some(sdkappid))
        );
        tracing::error!(app = %app.name, sdkappid, in_a_row, "empty answers in a row");
        let kind = RunErrorKind::TencentEmptyAnswer;
        outcome.failures.push(RunFailure::of_kind(kind, text));
        outcome.summary.error = Some(format!("empty Result in {in_a_row} runs in a row"));
    }
}

/// Whether a raw copy (gzip of getappinfo's body) holds `Result: []`.
fn was_empty(gzipped: &[u8]) -> bool {
    let body: Option<serde_json::Value> =
        serde_json::from_reader(flate2::read::GzDecoder::new(gzipped)).ok();
    body.and_then(|b| {
        b.get("Result")
            .and_then(|r| r.as_array().map(Vec::is_empty))
    })
    .unwrap_or(false)
}

fn record_raw<S, A: ArchiveStore>(
    app: &App<S>,
    outcome: &mut AppOutcome,
    key: String,
    result: Result<(), String>,
    cx: &Context<'_, A>,
) {
    let summary = &mut outcome.summary;
    match result {
        Ok(()) => summary.raw_key = (!cx.writer.dry_run()).then_some(key),
        Err(reason) => {
            outcome.failures.push(RunFailure::storage(format!(
                "{}: raw copy {key} not written: {reason}",
                describe_app(app, summary.sdkappid)
            )));
            summary.error = Some(format!("raw copy not written: {reason}"));
        }
    }
}
