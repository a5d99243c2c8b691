//! ops-pull's CloudWatch metrics (EMF documents through
//! `lambda_kit::metrics`); every name is listed in `infra/metrics.json`.
//!
//! - Business: one document per app per day written (new or changed) whose
//!   date is under 14 days old (CloudWatch refuses EMF points older than two
//!   weeks), stamped at noon China time that day, one metric per numeric
//!   field of Tencent's row but the identifiers (`AppId`, `QQ`).
//! - Per app per run (not for dry runs): `DaysWritten`, `DaysUnchanged`,
//!   `DaysFailed`, `MalformedRows`, `FieldsKeptArchived`, and `NewestDayLagHours` whatever the
//!   pull did (from the answer's newest day, else the archive's, so that a
//!   silent stop still ages); with push history on, `PushDaysWritten`,
//!   `PushDaysUnchanged`, `PushDaysKeptArchived` and `PushDaysFailed`.
//! - Per run (not for dry runs), `Function=ops-pull`: `AppsNotSetUp`, and
//!   for full runs in which an app was set up, `RunSucceeded`.

use chrono::{DateTime, Duration, Utc};
use lambda_kit::metrics::{Document, Metrics, Unit};
use tim::api::appinfo::NUMERIC_FIELDS;

use crate::archive::object::DailyObject;
use crate::report::summary::{AppSummary, PushSummary};
use crate::tencent::freshness;

/// The business metric names: Tencent's numeric fields without the identifiers.
pub fn business_names() -> impl Iterator<Item = &'static str> {
    let is_id = |name: &&str| ["AppId", "QQ"].contains(name);
    NUMERIC_FIELDS.iter().copied().filter(move |n| !is_id(n))
}

/// A written day's business document from its one row as pulled, or
/// nothing when none is due: the day is too old for CloudWatch, or it is not
/// exactly one row. Absent fields and values that are not integers (null
/// counts) are left out.
pub fn emit_day(metrics: &Metrics, sdkappid: u64, day: &DailyObject, now: DateTime<Utc>) {
    let [line] = &day.lines[..] else { return };
    let at = freshness::metrics_instant(day.date);
    if now - at >= Duration::days(14) {
        return;
    }
    let doc = app_document(metrics, sdkappid).at(at.timestamp_millis());
    let numbers = business_names().filter_map(|name| Some((name, line.get(name)?.as_i64()?)));
    metrics.emit(numbers.fold(doc, |doc, (name, n)| doc.metric(name, Unit::Count, n)));
}

/// A document with the dimension of every per-app metric.
fn app_document(metrics: &Metrics, id: u64) -> Document {
    metrics.document().dimension("SDKAppID", id.to_string())
}

/// The per-app document of a run. A metric without a value (`None`: no
/// push history, no newest day) is left out of the document.
pub fn emit_app(metrics: &Metrics, app: &AppSummary, now: DateTime<Utc>) {
    let push = |count: fn(&PushSummary) -> usize| app.push.as_ref().map(count);
    let kept = push(|p| p.days_kept_archived);
    let newest = app.last_date.or(app.newest_archived_date);
    let lag = newest.map(|newest| freshness::lag_hours(newest, now));
    let doc = app_document(metrics, app.sdkappid)
        .metric("DaysWritten", Unit::Count, app.days_written)
        .metric("DaysUnchanged", Unit::Count, app.days_unchanged)
        .metric("DaysFailed", Unit::Count, app.days_failed)
        .metric("MalformedRows", Unit::Count, app.malformed_rows)
        .metric("FieldsKeptArchived", Unit::Count, app.fields_kept.len())
        .metric("PushDaysWritten", Unit::Count, push(|p| p.days_written))
        .metric("PushDaysUnchanged", Unit::Count, push(|p| p.days_unchanged))
        .metric("PushDaysKeptArchived", Unit::Count, kept)
        .metric("PushDaysFailed", Unit::Count, push(|p| p.days_failed))
        .metric("NewestDayLagHours", Unit::None, lag);
    metrics.emit(doc);
}

/// A per-run document (`AppsNotSetUp`: apps whose UserSig secret has no
/// value yet; `RunSucceeded`: 1 for a run that returned success, 0 for an error).
pub fn emit_run(metrics: &Metrics, name: &str, value: usize) {
    let doc = metrics.document().dimension("Function", "ops-pull");
    metrics.emit(doc.metric(name, Unit::Count, value));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::object::Line;
    use chrono::NaiveDate;
    use serde_json::Value;

    #[test]
    fn business_names_are_infra_metrics_jsons() {
        let catalog: Value =
            serde_json::from_str(include_str!("../../../../infra/metrics.json")).unwrap();
        let listed: Vec<&str> = catalog["business_metrics"]["names"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_str().unwrap())
            .collect();
        assert_eq!(business_names().collect::<Vec<_>>(), listed);
    }

    #[test]
    fn a_day_keeps_integers_and_drops_the_rest() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 29).unwrap();
        let now = DateTime::parse_from_rfc3339("2026-11-30T06:00:00Z")
            .unwrap()
            .to_utc();
        let line: Line = serde_json::from_value(serde_json::json!({
            "ActiveUserNum": 5, "UpMsgNum": "abc", "AppId": 1400000000u64,
            "AppName": "demo", "NewThing": 3, "sdkappid": 1400000000u64
        }))
        .unwrap();
        let (metrics, printed) = Metrics::capture("Test");
        let emitted = |day, lines: &[Line]| {
            emit_day(
                &metrics,
                7,
                &DailyObject::from_lines(day, lines.to_vec()),
                now,
            );
            let docs = printed.take();
            docs.iter()
                .map(|d| serde_json::from_str(d).unwrap())
                .collect::<Vec<Value>>()
        };
        let docs = emitted(day, std::slice::from_ref(&line));
        let defined = &docs[0]["_aws"]["CloudWatchMetrics"][0]["Metrics"];
        let names: Vec<&str> = defined
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["Name"].as_str().unwrap())
            .collect();
        assert_eq!(
            (names, &docs[0]["ActiveUserNum"]),
            (vec!["ActiveUserNum"], &serde_json::json!(5))
        );
        assert!(emitted(day, &[line.clone(), line.clone()]).is_empty());
        // 2026-11-16 noon China time is 14 days and 2 hours before `now`.
        let old = NaiveDate::from_ymd_opt(2026, 11, 16).unwrap();
        assert!(emitted(old, std::slice::from_ref(&line)).is_empty());
        assert_eq!(emitted(old.succ_opt().unwrap(), &[line]).len(), 1);
    }
}
