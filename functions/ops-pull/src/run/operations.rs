//! One app's operations data in a run: getappinfo, then its days and the
//! raw copy; an answer with nothing to archive is never a success.

use std::collections::BTreeMap;

use chrono::{NaiveDate, Utc};
use tokio::sync::OnceCell;

use crate::archive::index::Manifest;
use crate::archive::layout::{self};
use crate::archive::store::ArchiveStore;
use crate::archive::write::{DayOutcome, DayWritten, Guard};
use crate::error::{RunErrorKind, RunFailure};
use crate::report::metrics::DayMetrics;
use crate::report::summary::{FailedDay, KeptField};
use crate::tencent::appinfo::{Pulled, pull};
use crate::tencent::freshness;
use crate::tencent::source::{App, OpsSource};

use super::context::{
    AppOutcome, Context, Learnt, day_before, describe_app, manifest_of, write_days,
};

/// getappinfo, then its days and raw copy. Fills the summary's operations
/// fields.
pub(crate) async fn operations<S: OpsSource, A: ArchiveStore>(
    app: &App<S>,
    cx: &Context<'_, A>,
    manifest: &OnceCell<Manifest>,
    outcome: &mut AppOutcome,
) -> Learnt {
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
            return Learnt::default();
        }
    };
    let sdkappid = pulled.sdkappid;
    summary.sdkappid = Some(sdkappid);
    let raw_key = cx.layout.raw_key(sdkappid, pulled.pulled_at, cx.run_id);
    let raw = std::mem::take(&mut pulled.raw);
    let (learnt, raw_written) = futures::join!(
        operation_days(app, cx, manifest, pulled, outcome),
        cx.writer.raw(&raw_key, &raw)
    );
    record_raw(app, outcome, raw_key, raw_written, cx);
    learnt
}

/// The pulled days written (none when the answer was malformed: the raw
/// copy is the evidence).
async fn operation_days<S: OpsSource, A: ArchiveStore>(
    app: &App<S>,
    cx: &Context<'_, A>,
    manifest: &OnceCell<Manifest>,
    pulled: Pulled,
    outcome: &mut AppOutcome,
) -> Learnt {
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
        return Learnt::default();
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
        return empty_answer(app, cx, manifest, sdkappid, outcome).await;
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
        return Learnt::default();
    }

    let listing = match (summary.first_date, cx.writer.merge()) {
        (Some(first), false) => {
            let (listing, _) = futures::join!(
                cx.writer.listing(
                    cx.layout.daily_folder(sdkappid),
                    cx.layout.daily_key(sdkappid, day_before(first)),
                ),
                manifest_of(cx, manifest, sdkappid)
            );
            listing
        }
        _ => None,
    };
    let empty = Manifest::default();
    let read = manifest.get().unwrap_or(&empty);
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
    let results = write_days(
        cx,
        listing.as_ref(),
        read,
        days,
        &pulled_at,
        Guard::KeepNumbers,
    )
    .await;

    let mut entries = Vec::new();
    let summary = &mut outcome.summary;
    for (date, key, result) in results {
        match result {
            Ok(DayWritten {
                outcome: outcome_of_day,
                entry,
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
                entries.extend(entry.map(|entry| (key, entry)));
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
    Learnt {
        listing,
        entries,
        empty_answers: Some(0),
    }
}

/// An empty `Result`: a warning the first time, a failure from
/// [`freshness::EMPTY_ANSWERS_FAIL_AFTER`] answers in a row (counted in
/// the app's manifest).
async fn empty_answer<S, A: ArchiveStore>(
    app: &App<S>,
    cx: &Context<'_, A>,
    manifest: &OnceCell<Manifest>,
    sdkappid: u64,
    outcome: &mut AppOutcome,
) -> Learnt {
    let in_a_row = manifest_of(cx, manifest, sdkappid).await.empty_answers + 1;
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
    Learnt {
        empty_answers: Some(in_a_row),
        ..Learnt::default()
    }
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
