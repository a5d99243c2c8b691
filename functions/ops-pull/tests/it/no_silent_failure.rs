//! Issue 17 end to end (moto S3, the Tencent emulator): no answer of
//! Tencent's passes as a success that archived nothing, no partial answer
//! replaces real numbers, permanent failures are not retried, overlapping
//! runs stay within Tencent's rate, and two runs never share a raw key.

use std::time::Duration;

use crate::common::*;
use ops_pull::{Deadlines, PushHistory};
use serde_json::{Value, json};
use tim_emulator::{Fault, ResultFault};

const PUSH: &str = "timpush/all_member_push_statistics";
const APPINFO: &str = "openconfigsvr/getappinfo";

fn lag_of(apps: &[Value]) -> Option<f64> {
    apps[0].get("NewestDayLagHours").and_then(Value::as_f64)
}

#[tokio::test]
async fn a_date_in_another_format_fails_the_app_and_keeps_the_raw_copy() {
    let h = harness(&[APP, OTHER_APP]).await;
    for day in h.emulator.ops_days() {
        h.emulator
            .set_ops_value(APP, day, "Date", day.format("%Y-%m-%d").to_string());
    }
    let err = h.invoke(event("scheduled")).await.unwrap_err();
    assert_eq!(err.error_type(), "TencentUnkeyableRows", "{err}");
    assert!(!err.is_retryable());
    assert!(err.to_string().contains("none with a valid Date"), "{err}");
    let summary = err.summary().unwrap();
    assert_eq!(summary.apps[0].days_written, 0);
    assert_eq!(
        summary.apps[1].days_written, 30,
        "the other app is archived"
    );
    let raw = h.keys(&format!("raw/sdkappid={APP}/")).await;
    assert_eq!(raw.len(), 1, "the answer is kept as evidence");
    assert!(
        h.keys(&format!("daily/sdkappid={APP}/")).await.is_empty(),
        "no day of the unkeyable app"
    );
    let (_, _, runs) = printed(&h);
    assert_eq!(runs, [Value::from(0)], "RunSucceeded 0, not 1");
    h.emulator.shutdown().await;
}

#[tokio::test]
async fn empty_answers_warn_once_then_fail_and_the_lag_still_ages() {
    let h = harness(&[APP]).await;
    h.invoke(event("scheduled")).await.unwrap();
    let newest = *h.emulator.ops_days().iter().max().unwrap();
    let (_, apps, _) = printed(&h);
    let healthy = lag_of(&apps).unwrap();

    // Tencent stops sending days: the first empty answer is a warning...
    let empty = Fault::Result(ResultFault::Empty);
    h.emulator.inject_for(APPINFO, empty.clone(), 1);
    let summary = h.invoke(event("manual")).await.unwrap();
    let app = &summary.apps[0];
    assert_eq!(app.empty_answers, 1);
    assert_eq!(app.newest_archived_date, Some(newest));
    let (_, apps, runs) = printed(&h);
    assert_eq!(runs, [Value::from(1)]);
    // ...whose lag comes from the archive, so the lag alarm sees the stop.
    let lag = lag_of(&apps).expect("NewestDayLagHours every run");
    assert!((lag - healthy).abs() < 0.2, "{lag} vs {healthy}");

    // ...and the second in a row fails, named.
    h.emulator.inject_for(APPINFO, empty, 1);
    let err = h.invoke(event("manual")).await.unwrap_err();
    assert_eq!(err.error_type(), "TencentEmptyAnswer", "{err}");
    let (_, apps, runs) = printed(&h);
    assert_eq!(runs, [Value::from(0)]);
    assert!(lag_of(&apps).is_some());
    let manifest = h
        .object(&format!("{PREFIX}/manifest/sdkappid={APP}.json"))
        .await;
    let manifest: Value = serde_json::from_slice(&manifest.body).unwrap();
    assert_eq!(manifest["empty_answers"], 2);

    // A failed pull with a known app still reports the archive's lag.
    h.emulator.inject_for(APPINFO, Fault::HttpStatus(502), 10);
    h.invoke(event("manual")).await.unwrap_err();
    let (_, apps, _) = printed(&h);
    assert!(lag_of(&apps).is_some());
    h.emulator.shutdown().await;
}

fn with_push(h: &mut Harness, days: u32) {
    h.function.push = PushHistory {
        days,
        ..PushHistory::default()
    };
}

#[tokio::test]
async fn push_results_missing_is_a_named_failure_never_a_day_of_zeros() {
    let mut h = harness(&[APP]).await;
    with_push(&mut h, 2);
    let days = last_china_days(2);
    // Every attempt at the older day answers without `Results`.
    h.emulator
        .inject_for(PUSH, Fault::Result(ResultFault::Missing), 3);
    let err = h.invoke(event("scheduled")).await.unwrap_err();
    assert_eq!(err.error_type(), "TencentMalformedAnswer", "{err}");
    assert!(err.is_retryable());
    assert!(err.to_string().contains("no Results"), "{err}");
    let push = err.summary().unwrap().apps[0].push.clone().unwrap();
    assert_eq!((push.days_written, push.days_failed), (1, 1));
    assert_eq!(push.failed_days[0].date, days[0]);
    let written = h.keys(&format!("push/sdkappid={APP}/")).await;
    assert_eq!(
        written,
        [push_key(APP, days[1])],
        "nothing for the failed day"
    );
    assert_eq!(
        h.emulator.stats().calls_of(PUSH, APP),
        4,
        "3 tries, then the next day"
    );
    h.emulator.shutdown().await;
}

#[tokio::test]
async fn lower_push_counts_never_replace_the_archived_day() {
    let mut h = harness(&[APP]).await;
    with_push(&mut h, 1);
    let day = last_china_days(1)[0];
    h.invoke(event("scheduled")).await.unwrap();
    // The archive holds more than Tencent now answers (its answer for the
    // day is partial): raise every archived count.
    let key = push_key(APP, day);
    let archived = h.object(&key).await;
    let raised: String = String::from_utf8(archived.body)
        .unwrap()
        .lines()
        .map(|line| {
            let mut row: serde_json::Map<String, Value> = serde_json::from_str(line).unwrap();
            for count in ["total", "sent", "delivered", "clicked"] {
                row[count] = Value::from(row[count].as_u64().unwrap() + 1000);
            }
            format!("{}\n", Value::Object(row))
        })
        .collect();
    h.s3.put_object()
        .bucket(&h.bucket)
        .key(&key)
        .body(raised.clone().into_bytes().into())
        .send()
        .await
        .unwrap();
    printed(&h);

    let summary = h.invoke(event("manual")).await.unwrap();
    let push = summary.apps[0].push.clone().unwrap();
    assert_eq!((push.days_written, push.days_kept_archived), (0, 1));
    assert!(
        push.kept_days[0].reason.contains("< archived"),
        "{:?}",
        push.kept_days
    );
    assert_eq!(
        String::from_utf8(h.object(&key).await.body).unwrap(),
        raised,
        "the archived day is kept as it was"
    );
    let (_, apps, _) = printed(&h);
    assert_eq!(apps[0]["PushDaysKeptArchived"], json!(1));
    h.emulator.shutdown().await;
}

#[tokio::test]
async fn a_permanent_failure_is_recorded_and_the_retries_call_no_one() {
    let h = harness(&[APP]).await;
    let scheduled = event("scheduled");
    h.emulator.inject(Fault::ErrorCode(60006), 1);
    let first = h.invoke(scheduled.clone()).await.unwrap_err();
    assert_eq!(first.error_type(), "TencentConfiguration");
    let ledger = format!(
        "{PREFIX}/runs/event-id={}.json",
        scheduled["id"].as_str().unwrap()
    );
    assert_eq!(h.keys("runs/").await, std::slice::from_ref(&ledger));
    let entry: Value = serde_json::from_slice(&h.object(&ledger).await.body).unwrap();
    assert_eq!(entry["error_type"], "TencentConfiguration");

    // Lambda's two retries of the same event: the same errorType at once,
    // no request to Tencent, RunSucceeded 0 again.
    printed(&h);
    let requests = h.emulator.stats().requests;
    for _ in 0..2 {
        let retry = h.invoke(scheduled.clone()).await.unwrap_err();
        assert_eq!(retry.error_type(), "TencentConfiguration");
        assert!(!retry.is_retryable());
        assert!(retry.to_string().contains("not retried"), "{retry}");
    }
    assert_eq!(
        h.emulator.stats().requests,
        requests,
        "nothing sent to Tencent"
    );
    let (_, _, runs) = printed(&h);
    assert_eq!(runs, [Value::from(0), Value::from(0)]);

    // The next scheduled run is a new event: it tries again.
    let mut next = scheduled.clone();
    next["id"] = json!("a5d1a02d-0000-412e-82f5-13505f849b42");
    h.invoke(next).await.unwrap();

    // A manual payload is named by Lambda's request id.
    h.emulator.inject(Fault::ErrorCode(60006), 1);
    let deadlines = Deadlines::after(Duration::from_secs(30));
    let manual = event("manual");
    let err = h
        .function
        .handle_invocation(manual.clone(), deadlines, Some("req-7"))
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "TencentConfiguration");
    let again = h
        .function
        .handle_invocation(manual, deadlines, Some("req-7"))
        .await
        .unwrap_err();
    assert!(again.to_string().contains("not retried"), "{again}");
    assert!(
        h.keys("runs/")
            .await
            .contains(&format!("{PREFIX}/runs/request-id=req-7.json"))
    );
    h.emulator.shutdown().await;
}

#[tokio::test]
async fn a_transient_failure_is_not_recorded_and_its_retry_runs() {
    let h = harness(&[APP]).await;
    h.emulator.inject_for(APPINFO, Fault::HttpStatus(502), 10);
    let err = h.invoke(event("scheduled")).await.unwrap_err();
    assert_eq!(err.error_type(), "TencentRetryable");
    assert!(h.keys("runs/").await.is_empty());
    h.emulator.clear_faults();
    let summary = h.invoke(event("scheduled")).await.unwrap();
    assert_eq!(summary.apps[0].days_written, 30);
    h.emulator.shutdown().await;
}

#[tokio::test]
async fn overlapping_runs_lose_nothing_and_keep_tencents_rate() {
    // The emulator enforces Tencent's limits: a second push call of an app
    // within a second answers 60007.
    let mut h = harness(&[APP]).await;
    with_push(&mut h, 2);
    let (a, b) = tokio::join!(h.invoke(event("scheduled")), h.invoke(event("manual")));
    let (a, b) = (a.unwrap(), b.unwrap());
    for summary in [&a, &b] {
        let push = summary.apps[0].push.as_ref().unwrap();
        assert_eq!(push.days_failed, 0, "{push:?}");
        assert_eq!(summary.apps[0].days_failed, 0);
    }
    let stats = h.emulator.stats();
    assert!(stats.rate_limited.is_empty(), "{stats:?}");
    assert_eq!(stats.calls_of(PUSH, APP), 4);
    assert_eq!(stats.calls_per_second_max[PUSH][&APP], 1, "{stats:?}");
    assert_eq!(h.keys("daily/").await.len(), 30);
    assert_eq!(h.keys("push/").await.len(), 2);
    // Two runs, two raw copies: never one key for both.
    let raw = h.keys("raw/").await;
    assert_eq!(raw.len(), 2, "{raw:?}");
    assert_ne!(a.apps[0].raw_key, b.apps[0].raw_key);
    h.emulator.shutdown().await;
}
