//! ops-pull end to end: the real `tim::Client` against the in-process Tencent
//! emulator, the real `aws-sdk-s3` client against moto_server.

use std::io::Read;
use std::sync::Arc;

use crate::common::*;
use serde_json::{Map, Value};
use tim::usersig::FixedClock;
use tim_emulator::{Fault, ResultFault};

#[tokio::test]
async fn thirty_days_land_a_rerun_writes_nothing_and_a_changed_day_is_rewritten() {
    let h = harness(&[APP]).await;
    let days = h.emulator.ops_days();
    assert_eq!(days.len(), 30);

    let summary = h.invoke(event("scheduled")).await.unwrap();
    let app = &summary.apps[0];
    assert_eq!(app.sdkappid, Some(APP));
    assert_eq!(
        (
            app.days_pulled,
            app.days_written,
            app.days_unchanged,
            app.days_failed
        ),
        (30, 30, 0, 0)
    );
    assert_eq!(app.first_date, days.iter().min().copied());
    assert_eq!(app.last_date, days.iter().max().copied());
    assert_eq!(h.puts(), 31, "30 days and the raw copy");

    let mut expected: Vec<String> = days.iter().map(|&d| daily_key(APP, d)).collect();
    expected.sort();
    assert_eq!(h.keys("daily/").await, expected);
    for &date in &days {
        let object = h.object(&daily_key(APP, date)).await;
        assert_eq!(object.content_type.as_deref(), Some("application/x-ndjson"));
        assert_eq!(object.sha.as_ref().map(String::len), Some(64));
        let line = h.line(APP, date).await;
        assert_eq!(line["sdkappid"], Value::from(APP));
        assert_eq!(line["date"], Value::from(date.to_string()));
        assert!(
            line["ActiveUserNum"].is_u64(),
            "numbers are numbers: {line:?}"
        );
        assert!(line["UpMsgNum"].is_u64());
        assert_eq!(line["AppId"], Value::from(APP));
        assert!(line["AppName"].is_string());
        let pulled_at = line["pulled_at"].as_str().unwrap();
        assert!(
            chrono::DateTime::parse_from_rfc3339(pulled_at).is_ok(),
            "{pulled_at}"
        );
    }

    // Same data again: no daily PUT at all, objects untouched.
    let untouched = days[3];
    let etag_before = h.object(&daily_key(APP, untouched)).await.etag;
    let again = h.invoke(event("manual")).await.unwrap();
    assert_eq!(
        (again.apps[0].days_written, again.apps[0].days_unchanged),
        (0, 30)
    );
    // moto's HEAD tells the content hash written as metadata.
    assert_eq!(h.puts(), 1, "only the new raw copy");
    assert_eq!(h.object(&daily_key(APP, untouched)).await.etag, etag_before);

    // Tencent corrects one day: that day alone is rewritten.
    let corrected = days[10];
    h.emulator
        .set_ops_value(APP, corrected, "ActiveUserNum", "777777");
    let changed = h.invoke(event("scheduled")).await.unwrap();
    assert_eq!(
        (changed.apps[0].days_written, changed.apps[0].days_unchanged),
        (1, 29)
    );
    assert_eq!(h.puts(), 2, "one day and the raw copy");
    assert_eq!(
        h.line(APP, corrected).await["ActiveUserNum"],
        Value::from(777_777)
    );
    assert_eq!(h.object(&daily_key(APP, untouched)).await.etag, etag_before);
    assert_eq!(h.keys("raw/").await.len(), 3, "one raw copy per pull");
    h.emulator.shutdown().await;
}

#[tokio::test]
async fn the_raw_copy_decompresses_to_tencents_body() {
    let h = harness(&[APP]).await;
    let summary = h.invoke(event("scheduled")).await.unwrap();
    let raw_key = summary.apps[0].raw_key.clone().unwrap();
    assert!(
        raw_key.starts_with(&format!("{PREFIX}/raw/sdkappid={APP}/pulled_at=")),
        "{raw_key}"
    );
    assert!(raw_key.ends_with(".json.gz"), "{raw_key}");
    let object = h.object(&raw_key).await;
    assert_eq!(object.content_type.as_deref(), Some("application/json"));
    assert_eq!(object.content_encoding.as_deref(), Some("gzip"));
    let mut text = String::new();
    flate2::read::GzDecoder::new(&object.body[..])
        .read_to_string(&mut text)
        .unwrap();
    let envelope: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(envelope["ErrorCode"], Value::from(0));
    let rows = envelope["Result"].as_array().unwrap();
    assert_eq!(rows.len(), 30);
    assert!(
        rows.iter().all(|r| r["ActiveUserNum"].is_string()),
        "as Tencent sent it"
    );
    h.emulator.shutdown().await;
}

#[tokio::test]
async fn a_field_subset_is_requested_and_merged_into_stored_days() {
    let h = harness(&[APP]).await;
    let days = h.emulator.ops_days();

    // Into an empty archive: the subset alone (plus our columns).
    let summary = h.invoke(event("fields")).await.unwrap();
    assert_eq!(summary.apps[0].days_written, 30);
    let line = h.line(APP, days[0]).await;
    let mut names: Vec<&str> = line.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "ActiveUserNum",
            "DownMsgNum",
            "UpMsgNum",
            "date",
            "pulled_at",
            "sdkappid"
        ]
    );

    // A full run fills the days in; a later subset run keeps the other fields.
    let full = h.invoke(event("manual")).await.unwrap();
    assert_eq!(full.apps[0].days_written, 30);
    let login_times = h.line(APP, days[2]).await["LoginTimes"].clone();
    assert!(login_times.is_u64());
    h.emulator.set_ops_value(APP, days[2], "UpMsgNum", "31337");
    h.puts();
    let subset = h.invoke(event("fields")).await.unwrap();
    assert_eq!(
        (subset.apps[0].days_written, subset.apps[0].days_unchanged),
        (1, 29)
    );
    assert_eq!(h.puts(), 2);
    let line = h.line(APP, days[2]).await;
    assert_eq!(line["UpMsgNum"], Value::from(31_337));
    assert_eq!(line["LoginTimes"], login_times);
    h.emulator.shutdown().await;
}

#[tokio::test]
async fn two_apps_are_pulled_into_sixty_daily_objects() {
    let h = harness(&[APP, OTHER_APP]).await;
    let summary = h.invoke(event("scheduled")).await.unwrap();
    assert_eq!(summary.apps.len(), 2);
    assert_eq!(summary.apps[0].sdkappid, Some(APP));
    assert_eq!(summary.apps[1].sdkappid, Some(OTHER_APP));
    assert!(summary.apps.iter().all(|a| a.days_written == 30));
    let keys = h.keys("daily/").await;
    assert_eq!(keys.len(), 60);
    assert_eq!(
        keys.iter()
            .filter(|k| k.contains(&format!("sdkappid={OTHER_APP}/")))
            .count(),
        30
    );
    assert_eq!(h.keys("raw/").await.len(), 2);
    let day = h.emulator.ops_days()[0];
    assert_eq!(
        h.line(OTHER_APP, day).await["AppId"],
        Value::from(OTHER_APP)
    );
    assert_eq!(
        h.emulator
            .stats()
            .per_command
            .get("openconfigsvr/getappinfo"),
        Some(&2)
    );
    h.emulator.shutdown().await;
}

#[tokio::test]
async fn a_failed_pull_writes_nothing_and_returns_an_error() {
    let h = harness(&[APP]).await;

    // Gateway errors beyond the retries: transient, so retryable.
    h.emulator
        .inject_for("openconfigsvr/getappinfo", Fault::HttpStatus(502), 10);
    let err = h.invoke(event("scheduled")).await.unwrap_err();
    assert_eq!(err.error_type(), "TencentRetryable", "{err}");
    assert!(err.to_string().contains("502"), "{err}");
    assert_eq!(h.puts(), 0);
    assert!(h.keys("").await.is_empty());
    h.emulator.clear_faults();

    // A configuration error: not retryable, says so.
    h.emulator.inject(Fault::ErrorCode(60006), 1);
    let err = h.invoke(event("scheduled")).await.unwrap_err();
    assert_eq!(err.error_type(), "TencentConfiguration", "{err}");
    assert!(!err.is_retryable());
    assert!(err.to_string().contains("60006"), "{err}");
    let summary = err.summary().unwrap();
    assert_eq!(summary.apps[0].days_written, 0);
    assert!(summary.apps[0].error.is_some());
    assert!(h.keys("").await.is_empty(), "nothing written");

    let diagnostic = lambda_kit::Diagnostic::from(err);
    assert_eq!(diagnostic.error_type, "TencentConfiguration");
    h.emulator.shutdown().await;
}

#[tokio::test]
async fn a_rate_limit_burst_is_retried_and_then_succeeds() {
    let h = harness(&[APP]).await;
    h.emulator.inject(Fault::ErrorCode(60007), 2);
    let summary = h.invoke(event("scheduled")).await.unwrap();
    assert_eq!(summary.apps[0].days_written, 30);
    assert_eq!(
        h.emulator
            .stats()
            .per_command
            .get("openconfigsvr/getappinfo"),
        Some(&3)
    );
    assert_eq!(h.keys("daily/").await.len(), 30);
    h.emulator.shutdown().await;
}

#[tokio::test]
async fn a_dry_run_writes_nothing_but_reports() {
    let h = harness(&[APP]).await;
    let summary = h.invoke(event("dry-run")).await.unwrap();
    assert!(summary.dry_run);
    assert_eq!(summary.apps[0].days_pulled, 30);
    assert_eq!(summary.apps[0].days_written, 30, "would write");
    assert_eq!(summary.apps[0].raw_key, None);
    assert_eq!(h.puts(), 0);
    assert!(h.keys("").await.is_empty());
    h.emulator.shutdown().await;
}

#[tokio::test]
async fn odd_counts_are_written_as_null_with_their_text_and_counted() {
    let h = harness(&[APP]).await;
    let day = h.emulator.ops_days()[5];
    h.emulator.set_ops_value(APP, day, "ActiveUserNum", "abc");
    h.emulator.set_ops_value(APP, day, "UpMsgNum", "1.5");
    h.emulator.set_ops_null(APP, day, "LoginTimes");
    let summary = h.invoke(event("scheduled")).await.unwrap();
    assert_eq!(summary.apps[0].malformed_rows, 1);
    assert_eq!(summary.apps[0].days_written, 30);
    let line = h.line(APP, day).await;
    for field in ["ActiveUserNum", "UpMsgNum", "LoginTimes"] {
        assert_eq!(line[field], Value::Null, "{field}");
    }
    assert_eq!(
        line["malformed"],
        serde_json::json!({"ActiveUserNum": "abc", "UpMsgNum": "1.5"})
    );
    assert!(line["DownMsgNum"].is_u64(), "the rest of the row is intact");
    h.emulator.shutdown().await;
}

#[tokio::test]
async fn invalid_input_is_refused_before_any_call() {
    let h = harness(&[APP]).await;
    let err = h
        .invoke(serde_json::json!({"fields": ["ActiveUserNum"], "dryRun": true}))
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "InvalidInput");
    assert!(err.to_string().contains("dryRun"), "{err}");
    assert_eq!(h.emulator.stats().requests, 0);
    assert_eq!(h.puts(), 0);
    h.emulator.shutdown().await;
}

#[tokio::test]
async fn an_answer_without_a_result_list_fails_and_keeps_only_the_raw_copy() {
    let h = harness(&[APP]).await;
    for (fault, why) in [
        (ResultFault::Missing, "no Result"),
        (ResultFault::NotAList, "Result is an object, not a list"),
    ] {
        h.emulator
            .inject_for("openconfigsvr/getappinfo", Fault::Result(fault), 1);
        let err = h.invoke(event("scheduled")).await.unwrap_err();
        assert_eq!(err.error_type(), "TencentMalformedAnswer");
        assert!(err.is_retryable());
        assert!(err.to_string().contains(why), "{err}");
        assert!(h.keys("daily/").await.is_empty(), "no daily object");
        let (business, apps, runs) = printed(&h);
        assert!(business.is_empty());
        assert_eq!(runs, [Value::from(0)]);
        assert!(apps[0].get("NewestDayLagHours").is_none());
    }
    assert_eq!(
        h.keys("raw/").await.len(),
        2,
        "each answer kept as evidence"
    );
    h.emulator.shutdown().await;
}

#[tokio::test]
async fn an_empty_result_succeeds_with_a_warning() {
    let h = harness(&[APP]).await;
    h.emulator.inject_for(
        "openconfigsvr/getappinfo",
        Fault::Result(ResultFault::Empty),
        1,
    );
    let summary = h.invoke(event("scheduled")).await.unwrap();
    let json = serde_json::to_value(&summary.apps[0]).unwrap();
    assert_eq!(json["warnings"], serde_json::json!(["EmptyResult"]));
    assert_eq!(summary.apps[0].days_pulled, 0);
    assert!(h.keys("daily/").await.is_empty());
    let (business, apps, runs) = printed(&h);
    assert!(business.is_empty());
    assert_eq!(runs, [Value::from(1)]);
    assert!(apps[0].get("NewestDayLagHours").is_none());
    h.emulator.shutdown().await;
}

#[tokio::test]
async fn a_stale_newest_day_succeeds_with_a_warning() {
    // Tencent (the emulator) four days behind: its newest day is far too old.
    let four_days_ago = u64::try_from(chrono::Utc::now().timestamp()).unwrap() - 4 * 86_400;
    let h = harness_at(&[APP], Some(Arc::new(FixedClock(four_days_ago)))).await;
    let newest = h.emulator.ops_days()[0];
    let summary = h.invoke(event("scheduled")).await.unwrap();
    let app = &summary.apps[0];
    let json = serde_json::to_value(app).unwrap();
    assert_eq!(json["warnings"], serde_json::json!(["StaleNewestDay"]));
    assert_eq!(app.last_date, Some(newest));
    assert!(app.expected_newest_date.unwrap() > newest, "{app:?}");
    assert_eq!(app.days_written, 30);
    let (_, apps, runs) = printed(&h);
    assert_eq!(runs, [Value::from(1)]);
    let lag = apps[0]["NewestDayLagHours"].as_f64().unwrap();
    assert!(lag > 48.0, "{lag}");
    h.emulator.shutdown().await;
}

#[tokio::test]
async fn a_field_subset_asks_for_date_so_a_strict_answer_still_has_days() {
    let h = harness(&[APP]).await;
    h.emulator.inject_for(
        "openconfigsvr/getappinfo",
        Fault::Result(ResultFault::OnlyRequestedFields),
        1,
    );
    let summary = h.invoke(event("fields")).await.unwrap();
    assert_eq!(summary.apps[0].malformed_rows, 0);
    assert_eq!(summary.apps[0].days_written, 30);
    h.emulator.shutdown().await;
}

#[tokio::test]
async fn a_run_prints_valid_emf_for_recent_days_counts_and_success() {
    let h = harness(&[APP]).await;
    let days = h.emulator.ops_days();
    h.invoke(event("scheduled")).await.unwrap();
    let (business, apps, runs) = printed(&h);
    // Days up to 14 days old (by noon China time) get a document.
    assert!((12..=14).contains(&business.len()), "{}", business.len());
    let newest = business
        .iter()
        .max_by_key(|d| d["_aws"]["Timestamp"].as_i64())
        .unwrap();
    let noon_china = days[0].and_hms_opt(4, 0, 0).unwrap().and_utc();
    assert_eq!(
        newest["_aws"]["Timestamp"].as_i64(),
        Some(noon_china.timestamp_millis())
    );
    assert_eq!(newest["SDKAppID"], Value::from(APP.to_string()));
    let line = h.line(APP, days[0]).await;
    assert_eq!(newest["ActiveUserNum"], line["ActiveUserNum"]);
    assert!(newest.get("AppId").is_none() && newest.get("AppName").is_none());
    assert_eq!(apps.len(), 1);
    assert_eq!(apps[0]["DaysWritten"], Value::from(30));
    assert!(apps[0]["NewestDayLagHours"].is_number());
    assert_eq!(runs, [Value::from(1)]);
    // An unchanged run: no business document.
    h.invoke(event("scheduled")).await.unwrap();
    let (business, apps, runs) = printed(&h);
    assert!(business.is_empty());
    assert_eq!(apps[0]["DaysUnchanged"], Value::from(30));
    assert_eq!(runs, [Value::from(1)]);
    if let Some(line) = h.metrics.take().first() {
        panic!("nothing more printed: {line}");
    }
    h.emulator.shutdown().await;
}

#[tokio::test]
async fn two_apps_archive_push_history_paced_idempotent_and_apart() {
    let mut h = harness(&[APP, OTHER_APP]).await;
    h.with_push(3).await;
    let summary = h.invoke(event("scheduled")).await.unwrap();
    let days = last_china_days(3);
    for (app, id) in summary.apps.iter().zip([APP, OTHER_APP]) {
        let push = app.push.as_ref().unwrap();
        assert_eq!(
            (push.days_asked, push.days_written, push.days_failed),
            (3, 3, 0),
            "{id}"
        );
        assert_eq!(app.days_written, 30, "{id}");
        for &date in &days {
            let object = h.object(&push_key(id, date)).await;
            assert_eq!(object.content_type.as_deref(), Some("application/x-ndjson"));
            let rows: Vec<Map<String, Value>> = String::from_utf8(object.body)
                .unwrap()
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect();
            let totals: Vec<_> = rows.iter().filter(|r| r["event"] == "all").collect();
            assert_eq!(totals.len(), 1, "{rows:?}");
            assert!(rows.len() > 1, "per-channel rows too: {rows:?}");
            for row in &rows {
                assert_eq!(row["sdkappid"], Value::from(id));
                assert_eq!(row["date"], Value::from(date.to_string()));
                for column in ["total", "sent", "delivered", "clicked"] {
                    assert!(row[column].is_u64(), "{column}: {row:?}");
                }
                assert!(row.contains_key("delivery_rate") && row.contains_key("click_rate"));
            }
            let channels: u64 = rows
                .iter()
                .filter(|r| r["event"] != "all")
                .map(|r| r["total"].as_u64().unwrap())
                .sum();
            assert_eq!(channels, totals[0]["total"].as_u64().unwrap());
        }
    }
    let stats = h.emulator.stats();
    let push = "timpush/all_member_push_statistics";
    assert_eq!(stats.per_command.get(push).copied(), Some(6), "{stats:?}");
    for id in [APP, OTHER_APP] {
        assert_eq!(stats.calls_of(push, id), 3);
        assert_eq!(
            stats.calls_per_second_max[push][&id], 1,
            "Tencent allows one call a second per app: {stats:?}"
        );
    }
    assert!(stats.rate_limited.is_empty(), "{stats:?}");
    assert_eq!(
        stats
            .per_command
            .get("timpush/all_member_push_statistics")
            .copied(),
        Some(6),
        "{stats:?}"
    );

    // Unchanged counts: nothing rewritten, nothing asked one by one.
    h.puts();
    let again = h.invoke(event("scheduled")).await.unwrap();
    for app in &again.apps {
        let push = app.push.as_ref().unwrap();
        assert_eq!((push.days_written, push.days_unchanged), (0, 3));
    }
    assert_eq!(
        h.puts(),
        2 + 6,
        "the raw copies only: one getappinfo and three push answers per app"
    );

    // A failure no retry fixes hits one app's push history: that app's
    // operations archive and the other app are untouched, and the run
    // fails naming the app.
    h.emulator.inject_for(
        "timpush/all_member_push_statistics",
        Fault::ErrorCode(90009),
        1,
    );
    let err = h.invoke(event("scheduled")).await.unwrap_err();
    assert_eq!(err.error_type(), "TencentConfiguration");
    let summary = err.summary().unwrap();
    let failed: Vec<_> = summary
        .apps
        .iter()
        .filter(|a| a.push.as_ref().unwrap().days_failed > 0)
        .collect();
    assert_eq!(failed.len(), 1, "{summary:?}");
    let id = failed[0].sdkappid.unwrap();
    assert!(
        err.to_string()
            .contains(&format!("(sdkappid {id}): push statistics dt=")),
        "{err}"
    );
    assert!(
        summary
            .apps
            .iter()
            .all(|a| a.error.is_none() && a.days_failed == 0)
    );
    h.emulator.shutdown().await;
}
