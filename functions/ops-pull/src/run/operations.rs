//! The operations dataset in one app's run: getappinfo, its rows grouped
//! by day, its raw copy and days; an answer with nothing to archive is
//! never a success.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use tim::api::appinfo::AppInfo;

use crate::archive::layout::OPERATIONS;
use crate::archive::object::DailyObject;
use crate::archive::store::ArchiveStore;
use crate::error::RunErrorKind::{
    TencentEmptyAnswer, TencentMalformedAnswer, TencentUnkeyableRows,
};
use crate::error::RunFailure;
use crate::report::metrics;
use crate::report::summary::{AppSummary, FailedDay, KeptField};
use crate::tencent::freshness::{self, EMPTY_ANSWERS_FAIL_AFTER, Warning, china_today};
use crate::tencent::source::{App, OpsSource};

use super::Context;
use super::app::archive;

/// getappinfo, then its raw copy and days. Fills the summary's operations
/// fields.
pub(crate) async fn operations<S: OpsSource, A: ArchiveStore>(
    app: &App<S>,
    cx: &Context<'_, A>,
    summary: &mut AppSummary,
) {
    let (name, sdkappid) = (&app.name, app.sdkappid);
    let request = cx.request.app_info_request();
    let info = app.source.get_app_info(&request, cx.deadlines.tencent);
    let info = match info.await {
        Ok(info) => info,
        Err(error) => return cx.pull_failed(summary, &error, "getappinfo failed, nothing written"),
    };
    let pulled_at = Utc::now();
    let days = group_days(summary, &info, pulled_at);
    let rows = info.days.len();
    // Nothing to archive but the raw copy, as evidence.
    let unusable = match info.malformed() {
        Some(m) => Some((TencentMalformedAnswer, format!("malformed answer: {m}"))),
        // Tencent changed how it sends `Date`: nothing would be archived again.
        None if rows > 0 && days.is_empty() => {
            let why = format!("{rows} row(s), none with a valid Date (YYYYMMDD)");
            Some((TencentUnkeyableRows, why))
        }
        None => None,
    };
    if let Some((kind, error)) = unusable {
        tracing::error!(app = %name, sdkappid, error = %error, "nothing to archive in the answer");
        let text = format!(
            "app {name} (sdkappid {sdkappid}): getappinfo answered {error}; no day written (raw copy kept)"
        );
        cx.failed(RunFailure { kind, text });
        summary.error = Some(error);
    } else {
        summary.expected_newest_date = Some(freshness::expected_newest_day(pulled_at));
        summary.warnings = freshness::warnings(summary.last_date, rows, pulled_at);
        let dates: Vec<_> = days.keys().copied().collect();
        summary.missing_dates = freshness::missing_days(&dates);
        if !summary.missing_dates.is_empty() {
            summary.warnings.push(Warning::MissingDays);
        }
    }

    // The business numbers are the day as pulled, before the rule.
    let as_pulled = days.clone();
    let raws = vec![(None, info.raw.clone())];
    let days = days.into_values().collect();
    let (raws, days) = archive(cx, &OPERATIONS, sdkappid, pulled_at, raws, days).await;
    for (_, raw) in raws {
        match raw {
            Ok(key) => summary.raw_key = key,
            Err(reason) => summary.error = Some(format!("raw copy not written: {reason}")),
        }
    }
    for (date, result) in days {
        match result {
            Err(reason) => {
                summary.days_failed += 1;
                summary.failed_days.push(FailedDay { date, reason });
            }
            Ok(day) => {
                if !day.kept.is_empty() {
                    tracing::warn!(app = %name, sdkappid, %date, fields = ?day.kept, "counts archived as numbers not replaced by null, text or absence: the archived numbers are kept");
                }
                let kept = day.kept.into_iter().map(|field| KeptField { date, field });
                summary.fields_kept.extend(kept);
                if !day.written {
                    summary.days_unchanged += 1;
                    continue;
                }
                summary.days_written += 1;
                if let (false, Some(pulled)) = (cx.writer.dry_run, as_pulled.get(&date)) {
                    metrics::emit_day(cx.metrics, sdkappid, pulled, Utc::now());
                }
            }
        }
    }
    if rows == 0 && info.malformed().is_none() {
        empty_answer(cx, summary).await;
    }
}

/// An answer's days, each one row's object.
type Days = BTreeMap<NaiveDate, DailyObject>;

/// Tencent's rows by their `Date`, counting in the summary what is
/// malformed. Of two rows with the same `Date`, the later in Tencent's
/// order wins (one row a day, so that a `sum()` in Athena never counts a
/// day twice); both stay in the raw copy. A row dated after today (China
/// time) is malformed: archived, it would be the newest day for ever and
/// mask the lag.
fn group_days(summary: &mut AppSummary, info: &AppInfo, pulled_at: DateTime<Utc>) -> Days {
    let (app, sdkappid) = (&summary.app, summary.sdkappid);
    let mut days = BTreeMap::new();
    for row in &info.days {
        summary.malformed_rows += match row.date {
            Ok(date) if date > china_today(pulled_at) => {
                tracing::warn!(app, sdkappid, %date, "row dated after today (China time): kept in the raw copy only");
                1
            }
            Ok(date) => {
                let malformed: Vec<&str> = row.malformed_fields().collect();
                if !malformed.is_empty() {
                    tracing::warn!(app, sdkappid, %date, fields = ?malformed, "counts that are not integers: written as null, their text in \"malformed\"");
                }
                let twice = days.insert(date, DailyObject::from_row(sdkappid, date, row));
                if twice.is_some() {
                    tracing::warn!(app, sdkappid, %date, "Tencent sent this Date more than once: the later row is archived, both are in the raw copy");
                }
                usize::from(!malformed.is_empty()) + usize::from(twice.is_some())
            }
            Err(ref text) => {
                tracing::warn!(app, sdkappid, date = %text, "row without a valid Date: kept in the raw copy only");
                1
            }
        };
    }
    summary.days_pulled = days.len();
    summary.first_date = days.keys().next().copied();
    summary.last_date = days.keys().next_back().copied();
    days
}

/// An empty `Result`: a warning the first time, a failure from
/// [`EMPTY_ANSWERS_FAIL_AFTER`] answers in a row, counted back through the
/// app's earlier raw copies (read only on an empty answer).
async fn empty_answer<A: ArchiveStore>(cx: &Context<'_, A>, summary: &mut AppSummary) {
    let (name, sdkappid) = (summary.app.clone(), summary.sdkappid);
    let folder = cx.layout.folder(OPERATIONS.raw_folder, sdkappid);
    let earlier = async {
        let keys = cx.writer.list(&folder).await?;
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
        tracing::warn!(app = %name, sdkappid, error = %error, "earlier raw copies not read: this empty answer counts as the first");
        1
    });
    summary.empty_answers = in_a_row;
    if in_a_row >= EMPTY_ANSWERS_FAIL_AFTER {
        let text = format!(
            "app {name} (sdkappid {sdkappid}): getappinfo answered an empty Result in {in_a_row} runs in a row; no day archived"
        );
        tracing::error!(app = %name, sdkappid, in_a_row, "empty answers in a row");
        let kind = TencentEmptyAnswer;
        cx.failed(RunFailure { kind, text });
        summary.error = Some(format!("empty Result in {in_a_row} runs in a row"));
    }
}

/// Whether a raw copy (gzip of getappinfo's body) holds `Result: []`.
fn was_empty(gzipped: &[u8]) -> bool {
    let body =
        serde_json::from_reader::<_, serde_json::Value>(flate2::read::GzDecoder::new(gzipped));
    body.is_ok_and(|b| b["Result"].as_array().is_some_and(Vec::is_empty))
}
