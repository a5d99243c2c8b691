//! The operations dataset in one app's run: getappinfo, its raw copy and
//! days; an answer with nothing to archive is never a success.

use chrono::Utc;

use crate::archive::layout::OPERATIONS;
use crate::archive::store::ArchiveStore;
use crate::error::RunErrorKind::{
    TencentEmptyAnswer, TencentMalformedAnswer, TencentUnkeyableRows,
};
use crate::error::RunFailure;
use crate::report::metrics;
use crate::report::summary::KeptField;
use crate::tencent::appinfo::group_days;
use crate::tencent::freshness::{self, EMPTY_ANSWERS_FAIL_AFTER, Warning};
use crate::tencent::source::{App, OpsSource};

use super::app::{AppOutcome, Context, archive};

/// getappinfo, then its raw copy and days. Fills the summary's operations
/// fields.
pub(crate) async fn operations<S: OpsSource, A: ArchiveStore>(
    app: &App<S>,
    sdkappid: u64,
    cx: &Context<'_, A>,
    outcome: &mut AppOutcome,
) {
    let request = cx.request.app_info_request();
    let info = app.source.get_app_info(&request, cx.deadlines.tencent);
    let info = match info.await {
        Ok(info) => info,
        Err(error) => return outcome.pull_failed(&error, "getappinfo failed, nothing written"),
    };
    let who = format!("app {} (sdkappid {sdkappid})", app.name);
    let (summary, failures) = (&mut outcome.summary, &mut outcome.failures);
    let pulled = group_days(&app.name, sdkappid, info);
    if pulled.malformed_answer.is_none() {
        summary.days_pulled = pulled.days.len();
        summary.malformed_rows = pulled.malformed_rows;
        summary.first_date = pulled.days.keys().next().copied();
        summary.last_date = pulled.days.keys().next_back().copied();
        summary.expected_newest_date = Some(freshness::expected_newest_day(pulled.pulled_at));
        summary.warnings = freshness::warnings(summary.last_date, pulled.rows, pulled.pulled_at);
        let dates: Vec<_> = pulled.days.keys().copied().collect();
        summary.missing_dates = freshness::missing_days(&dates);
        if !summary.missing_dates.is_empty() {
            summary.warnings.push(Warning::MissingDays);
        }
    }
    // Nothing to archive but the raw copy, as evidence.
    let unusable = match &pulled.malformed_answer {
        Some(malformed) => Some((
            TencentMalformedAnswer,
            format!("malformed answer: {malformed}"),
        )),
        // Tencent changed how it sends `Date`: nothing would be archived again.
        None if pulled.rows > 0 && pulled.days.is_empty() => {
            let rows = pulled.unkeyable_rows;
            let why = format!("{rows} row(s), none with a valid Date (YYYYMMDD)");
            Some((TencentUnkeyableRows, why))
        }
        None => None,
    };
    if let Some((kind, error)) = unusable {
        tracing::error!(app = %app.name, sdkappid, error = %error, "nothing to archive in the answer");
        let text = format!("{who}: getappinfo answered {error}; no day written (raw copy kept)");
        failures.push(RunFailure { kind, text });
        summary.error = Some(error);
    }

    // The business numbers are the day as pulled, before the rule.
    let as_pulled = pulled.days.clone();
    let (raws, pulled_at) = (vec![(None, pulled.raw)], pulled.pulled_at);
    let days = pulled.days.into_values().collect();
    let archived = archive(cx, &OPERATIONS, sdkappid, pulled_at, raws, days, failures).await;

    let summary = &mut outcome.summary;
    summary.days_written = archived.days.iter().filter(|(_, day)| day.written).count();
    summary.days_unchanged = archived.days.len() - summary.days_written;
    summary.days_failed = archived.failed.len();
    summary.failed_days = archived.failed;
    summary.raw_key = archived.raw_keys.into_iter().next();
    if let Some((_, reason)) = archived.raw_failed.into_iter().next() {
        summary.error = Some(format!("raw copy not written: {reason}"));
    }
    for (date, day) in archived.days {
        if !day.kept.is_empty() {
            tracing::warn!(app = %app.name, sdkappid, %date, fields = ?day.kept, "counts archived as numbers not replaced by null, text or absence: the archived numbers are kept");
        }
        let kept = day.kept.into_iter().map(|field| KeptField { date, field });
        summary.fields_kept.extend(kept);
        if day.written
            && !cx.writer.dry_run
            && let Some(object) = as_pulled.get(&date)
        {
            metrics::emit_day(cx.metrics, sdkappid, object, Utc::now());
        }
    }
    if pulled.rows == 0 && pulled.malformed_answer.is_none() {
        empty_answer(app, sdkappid, cx, outcome).await;
    }
}

/// An empty `Result`: a warning the first time, a failure from
/// [`EMPTY_ANSWERS_FAIL_AFTER`] answers in a row, counted back through the
/// app's earlier raw copies (read only on an empty answer).
async fn empty_answer<S, A: ArchiveStore>(
    app: &App<S>,
    sdkappid: u64,
    cx: &Context<'_, A>,
    outcome: &mut AppOutcome,
) {
    let folder = cx.layout.raw_folder(&OPERATIONS, sdkappid);
    let earlier = async {
        let keys = cx.writer.list(&folder, "").await?;
        // Raw keys sort by time; this run's own copy is not an earlier one.
        let this_run = format!("-{}.json.gz", cx.run_id);
        let earlier = keys.iter().rev().filter(|k| !k.ends_with(&this_run));
        let mut in_a_row = 1;
        for key in earlier.take(EMPTY_ANSWERS_FAIL_AFTER as usize - 1) {
            if !was_empty(&cx.writer.body(key).await?.unwrap_or_default()) {
                break;
            }
            in_a_row += 1;
        }
        Ok::<_, String>(in_a_row)
    };
    let in_a_row = earlier.await.unwrap_or_else(|error| {
        tracing::warn!(app = %app.name, sdkappid, error = %error, "earlier raw copies not read: this empty answer counts as the first");
        1
    });
    outcome.summary.empty_answers = in_a_row;
    if in_a_row >= EMPTY_ANSWERS_FAIL_AFTER {
        let text = format!(
            "app {} (sdkappid {sdkappid}): getappinfo answered an empty Result in {in_a_row} runs in a row; no day archived",
            app.name
        );
        tracing::error!(app = %app.name, sdkappid, in_a_row, "empty answers in a row");
        let kind = TencentEmptyAnswer;
        outcome.failures.push(RunFailure { kind, text });
        outcome.summary.error = Some(format!("empty Result in {in_a_row} runs in a row"));
    }
}

/// Whether a raw copy (gzip of getappinfo's body) holds `Result: []`.
fn was_empty(gzipped: &[u8]) -> bool {
    let body: Option<serde_json::Value> =
        serde_json::from_reader(flate2::read::GzDecoder::new(gzipped)).ok();
    body.is_some_and(|b| b["Result"].as_array().is_some_and(Vec::is_empty))
}
