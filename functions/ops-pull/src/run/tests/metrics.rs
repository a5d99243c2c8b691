//! The EMF documents a run prints, validated against the EMF specification
//! and infra/metrics.json, then read for their values and timestamps.

use super::*;
use crate::tencent::freshness;

async fn invoke(
    function: &crate::OpsPull<FakeSource, MemoryStore>,
    payload: Value,
) -> Result<RunSummary, RunError> {
    function
        .handle(payload, Deadlines::after(Duration::from_secs(30)), None)
        .await
}

/// The run's documents, checked, split into business days (by date, from
/// the timestamp), per-app documents and `RunSucceeded` values.
#[derive(Default)]
struct Printed {
    business: BTreeMap<NaiveDate, Value>,
    apps: Vec<Value>,
    runs: Vec<Value>,
}

fn printed(lines: &Captured) -> Printed {
    let docs = testkit::emf::check_output(&lines.take().join("\n"), "ops-pull", NAMESPACE);
    let mut printed = Printed::default();
    for doc in docs {
        if doc.get("RunSucceeded").is_some() {
            printed.runs.push(doc["RunSucceeded"].clone());
        } else if doc.get("AppsNotSetUp").is_some() {
            continue;
        } else if doc.get("DaysWritten").is_some() {
            printed.apps.push(doc);
        } else {
            let ms = doc["_aws"]["Timestamp"].as_i64().unwrap();
            let at = DateTime::from_timestamp_millis(ms).unwrap();
            let date = at.date_naive();
            let noon = freshness::metrics_instant(date);
            assert_eq!(at, noon, "noon China time: {doc}");
            assert!(printed.business.insert(date, doc).is_none(), "one per day");
        }
    }
    printed
}

#[tokio::test]
async fn a_run_emits_recent_days_its_counts_and_success() {
    let (function, lines) = function(apps_with(1, recent_thirty_days));
    function.apps[0]
        .source
        .set(25, "UpMsgNum", json!("not a number"));
    invoke(&function, json!({})).await.unwrap();
    let now = Utc::now();
    let out = printed(&lines);

    let yesterday = china_today() - chrono::Days::new(1);
    let dates: Vec<NaiveDate> = out.business.keys().copied().collect();
    assert!((13..=14).contains(&dates.len()), "{dates:?}");
    assert_eq!(dates.last(), Some(&yesterday));
    for date in &dates {
        assert!(now - freshness::metrics_instant(*date) < chrono::Duration::days(14));
    }
    let newest = &out.business[&yesterday];
    assert_eq!(newest["SDKAppID"], json!("1400000000"));
    assert_eq!(newest["ActiveUserNum"], json!(129));
    assert_eq!(newest["UpMsgNum"], json!(1029));
    assert_eq!(newest["LoginTimes"], json!(7 * 29));
    assert!(newest.get("SomethingNew").is_none() && newest.get("AppName").is_none());
    let declared = &newest["_aws"]["CloudWatchMetrics"][0]["Metrics"];
    assert_eq!(declared.as_array().map(Vec::len), Some(3));

    assert_eq!(out.apps.len(), 1);
    let app = &out.apps[0];
    assert_eq!(app["SDKAppID"], json!("1400000000"));
    let counts = [
        "DaysWritten",
        "DaysUnchanged",
        "DaysFailed",
        "MalformedRows",
    ]
    .map(|n| &app[n]);
    assert_eq!(counts, [&json!(30), &json!(0), &json!(0), &json!(1)]);
    let lag = app["NewestDayLagHours"].as_f64().unwrap();
    assert!(
        (lag - freshness::lag_hours(yesterday, now)).abs() <= 0.1,
        "{lag}"
    );
    assert_eq!(out.runs, [json!(1)]);

    // Unchanged: counts and success, no business document.
    invoke(&function, json!({})).await.unwrap();
    let out = printed(&lines);
    assert!(out.business.is_empty(), "{:?}", out.business);
    assert_eq!(out.apps[0]["DaysWritten"], json!(0));
    assert_eq!(out.apps[0]["DaysUnchanged"], json!(30));
    assert_eq!(out.runs, [json!(1)]);

    // One changed day: its document only.
    function.apps[0].source.set(28, "ActiveUserNum", json!("5"));
    invoke(&function, json!({})).await.unwrap();
    let out = printed(&lines);
    let changed = yesterday - chrono::Days::new(1);
    assert_eq!(out.business.keys().collect::<Vec<_>>(), [&changed]);
    assert_eq!(out.business[&changed]["ActiveUserNum"], json!(5));
    assert_eq!(out.apps[0]["FieldsKeptArchived"], json!(0));

    // A count archived as a number, now not sent: kept, and counted.
    function.apps[0].source.set(27, "LoginTimes", Value::Null);
    invoke(&function, json!({})).await.unwrap();
    assert_eq!(printed(&lines).apps[0]["FieldsKeptArchived"], json!(1));
}

#[tokio::test]
async fn only_a_full_run_feeds_the_heartbeat() {
    let (function, lines) = function(apps_with(1, recent_thirty_days));
    let summary = invoke(&function, json!({"dry_run": true})).await.unwrap();
    assert_eq!(summary.apps[0].days_written, 30);
    assert!(lines.take().is_empty(), "a dry run emits nothing");

    // A field subset archives, but never says the day's run succeeded,
    // whether it succeeds or fails.
    let subset = json!({"fields": ["ActiveUserNum"]});
    invoke(&function, subset.clone()).await.unwrap();
    assert!(printed(&lines).runs.is_empty());
    function.apps[0].source.fail(60007);
    invoke(&function, subset).await.unwrap_err();
    assert!(printed(&lines).runs.is_empty());
}

#[tokio::test]
async fn a_failed_run_reports_zero_and_no_business_document() {
    let (function, lines) = function(apps_with(1, recent_thirty_days));
    function.apps[0].source.fail(60007);
    invoke(&function, json!({})).await.unwrap_err();
    let out = printed(&lines);
    assert!(out.business.is_empty());
    assert_eq!(out.runs, [json!(0)]);
    assert_eq!(out.apps.len(), 1);
    assert_eq!(out.apps[0]["DaysWritten"], json!(0));
    let lag = out.apps[0].get("NewestDayLagHours");
    assert!(lag.is_none(), "no newest day: {lag:?}");
}

#[tokio::test]
async fn an_app_not_set_up_is_counted_and_no_app_set_up_feeds_no_heartbeat() {
    let (function, lines) = function(apps_with(2, recent_thirty_days));
    let not_set_up = |app: usize| {
        function.apps[app]
            .source
            .not_set_up
            .store(true, Ordering::SeqCst)
    };
    not_set_up(1);
    let summary = invoke(&function, json!({})).await.unwrap();
    let json = serde_json::to_value(&summary).unwrap();
    assert_eq!(json["apps"][1]["state"], "not_set_up");
    assert_eq!(json["apps"][1]["app"], "secret-b");
    assert!(json["apps"][0].get("state").is_none(), "{json}");
    assert_eq!(
        function.apps[1].source.calls(),
        0,
        "nothing asked of Tencent"
    );
    let docs = testkit::emf::check_output(&lines.take().join("\n"), "ops-pull", NAMESPACE);
    let counted: Vec<&Value> = docs.iter().filter_map(|d| d.get("AppsNotSetUp")).collect();
    assert_eq!(counted, [&json!(1)]);
    assert!(
        docs.iter().any(|d| d["RunSucceeded"] == json!(1)),
        "{docs:?}"
    );

    not_set_up(0);
    let summary = invoke(&function, json!({})).await.unwrap();
    assert_eq!(summary.apps_not_set_up(), 2);
    assert!(
        printed(&lines).runs.is_empty(),
        "no app set up: the heartbeat waits"
    );
}

#[tokio::test]
async fn an_app_whose_credentials_fail_still_ages_from_the_archive() {
    let (function, lines) = function(apps_with(1, recent_thirty_days));
    invoke(&function, json!({})).await.unwrap();
    lines.take();
    let refused = tim::Error::credentials("secret \"a\" holds the credentials of SDKAppID 7");
    *function.apps[0].source.credentials_error.lock().unwrap() = Some(refused);
    let err = invoke(&function, json!({})).await.unwrap_err();
    assert_eq!(err.kind().error_type(), "TencentConfiguration");
    assert!(err.to_string().contains("credentials not read"), "{err}");
    let app = &err.summary().unwrap().apps[0];
    let yesterday = china_today() - chrono::Days::new(1);
    assert_eq!(
        (app.sdkappid, app.newest_archived_date),
        (APP, Some(yesterday))
    );
    let out = printed(&lines);
    assert!(
        out.apps[0]["NewestDayLagHours"].as_f64().unwrap() > 0.0,
        "{:?}",
        out.apps
    );
    assert_eq!(out.runs, [json!(0)]);
}
