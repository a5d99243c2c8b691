//! One app's part of a run: its operations data and its push history (see
//! `app_push`), side by side, so that neither waits for nor costs the other.
//! Each writes what it can and reports what failed; the app's manifest is
//! written last.

use std::collections::BTreeMap;

use chrono::{Days, NaiveDate, Utc};
use futures::future::join_all;
use tokio::sync::OnceCell;

use crate::app_push::push_history;
use crate::archive::{self, DailyObject, Layout};
use crate::error::{Failure, FailureKind};
use crate::freshness;
use crate::index::{self, Entry, Listing, Manifest};
use crate::input::RunRequest;
use crate::metrics::DayMetrics;
use crate::pull::{Pulled, pull};
use crate::push_history::PushHistory;
use crate::run::Deadlines;
use crate::source::{App, OpsSource};
use crate::store::ArchiveStore;
use crate::summary::{AppSummary, FailedDay};
use crate::write::{DayOutcome, Guard, Writer};

/// What one app's part leaves for the run's report.
pub(crate) struct AppOutcome {
    pub summary: AppSummary,
    pub failures: Vec<Failure>,
    /// Business metrics of the days written (emitted by the run).
    pub day_metrics: Vec<(u64, DayMetrics)>,
}

/// What one family (operations or push) learnt of the archive.
#[derive(Default)]
pub(crate) struct Learnt {
    pub listing: Option<Listing>,
    pub entries: Vec<(String, Entry)>,
    /// getappinfo's empty answers in a row, as this run counted them.
    pub empty_answers: Option<u32>,
}

/// The run's settings, shared by every app.
pub(crate) struct Context<'a, A> {
    pub writer: &'a Writer<'a, A>,
    /// In the raw copies' keys.
    pub run_id: &'a str,
    pub layout: &'a Layout,
    pub request: &'a RunRequest,
    pub push: PushHistory,
    pub deadlines: Deadlines,
}

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

pub(crate) async fn manifest_of<'m, A: ArchiveStore>(
    cx: &Context<'_, A>,
    cell: &'m OnceCell<Manifest>,
    sdkappid: u64,
) -> &'m Manifest {
    cell.get_or_init(|| async move { cx.writer.manifest(&cx.layout.manifest_key(sdkappid)).await })
        .await
}

pub(crate) fn describe_app<S>(app: &App<S>, sdkappid: Option<u64>) -> String {
    match sdkappid {
        Some(id) => format!("app {} (sdkappid {id})", app.name),
        None => format!("app {}", app.name),
    }
}

/// getappinfo, then its days and raw copy. Fills the summary's operations
/// fields.
async fn operations<S: OpsSource, A: ArchiveStore>(
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
            outcome.failures.push(Failure::pull(&error, text));
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
        let kind = FailureKind::TencentMalformedAnswer;
        outcome.failures.push(Failure::of_kind(kind, text));
        summary.error = Some(format!("malformed answer: {malformed}"));
        return Learnt::default();
    }
    summary.days_pulled = pulled.days.len();
    summary.malformed_rows = pulled.malformed_rows;
    summary.first_date = pulled.days.keys().next().copied();
    summary.last_date = pulled.days.keys().next_back().copied();
    summary.expected_newest_date = Some(freshness::expected_newest_day(pulled.pulled_at));
    summary.warnings = freshness::warnings(summary.last_date, pulled.rows, pulled.pulled_at);
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
        let kind = FailureKind::TencentUnkeyableRows;
        outcome.failures.push(Failure::of_kind(kind, text));
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
    let pulled_at = archive::pulled_at_text(pulled.pulled_at);
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
    let results = write_days(cx, listing.as_ref(), read, days, &pulled_at, Guard::Replace).await;

    let mut entries = Vec::new();
    let summary = &mut outcome.summary;
    for (date, key, result) in results {
        match result {
            Ok((outcome_of_day, entry)) => {
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
                outcome.failures.push(Failure::storage(format!(
                    "sdkappid {sdkappid} dt={date}: {reason}"
                )));
                summary.failed_days.push(FailedDay { date, reason });
            }
        }
    }
    summary.failed_days.sort_by_key(|d| d.date);
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
        let kind = FailureKind::TencentEmptyAnswer;
        outcome.failures.push(Failure::of_kind(kind, text));
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
            outcome.failures.push(Failure::storage(format!(
                "{}: raw copy {key} not written: {reason}",
                describe_app(app, summary.sdkappid)
            )));
            summary.error = Some(format!("raw copy not written: {reason}"));
        }
    }
}

/// What writing one day gave: its date, key, and outcome with the
/// manifest entry, or why it failed.
pub(crate) type DayWrite = (
    NaiveDate,
    String,
    Result<(DayOutcome, Option<Entry>), String>,
);

/// Writes each `(date, key, object)` (all at once, within the writer's
/// bound) against what the listing and the manifest say is stored.
pub(crate) async fn write_days<A: ArchiveStore>(
    cx: &Context<'_, A>,
    listing: Option<&Listing>,
    read: &Manifest,
    days: Vec<(NaiveDate, String, DailyObject)>,
    pulled_at: &str,
    guard: Guard,
) -> Vec<DayWrite> {
    join_all(days.into_iter().map(|(date, key, object)| {
        let stored = Listing::stored(listing, read, &key);
        async move {
            let result = cx
                .writer
                .day(key.clone(), object, pulled_at, stored, guard)
                .await;
            (date, key, result)
        }
    }))
    .await
}

pub(crate) fn day_before(date: NaiveDate) -> NaiveDate {
    date - Days::new(1)
}
