//! No silent failure, end to end (moto S3, the Tencent emulator): after
//! empty answers the lag still ages from the archive, a push answer without
//! `Results` is a named failure never a day of zeros, and overlapping runs
//! take turns through the lease on moto within Tencent's rate.

use crate::common::*;
use ops_pull::Deadlines;
use ops_pull::archive::store::{ArchiveStore, PutCondition, PutRequest, StoreError};

use serde_json::Value;
use tim_emulator::{Fault, ResultFault};

const PUSH: &str = "timpush/all_member_push_statistics";
const APPINFO: &str = "openconfigsvr/getappinfo";

fn lag_of(apps: &[Value]) -> Option<f64> {
    apps[0].get("NewestDayLagHours").and_then(Value::as_f64)
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

    // A failed pull with a known app still reports the archive's lag.
    h.emulator.inject_for(APPINFO, Fault::HttpStatus(502), 10);
    h.invoke(event("manual")).await.unwrap_err();
    let (_, apps, _) = printed(&h);
    assert!(lag_of(&apps).is_some());
    h.emulator.shutdown().await;
}

#[tokio::test]
async fn push_results_missing_is_a_named_failure_never_a_day_of_zeros() {
    let mut h = harness(&[APP]).await;
    h.with_push(2).await;
    let days = last_china_days(2);
    // The answer for the older day has no `Results`.
    h.emulator
        .inject_for(PUSH, Fault::Result(ResultFault::Missing), 1);
    let err = h.invoke(event("scheduled")).await.unwrap_err();
    assert_eq!(err.error_type(), "TencentMalformedAnswer", "{err}");
    assert!(err.is_retryable());
    assert!(err.to_string().contains("no Results"), "{err}");
    let push = err.summary().unwrap().apps[0].push.clone().unwrap();
    assert_eq!((push.days_written, push.days_failed), (1, 1));
    assert_eq!(push.failed_days[0].date, days[0]);
    let written = h.keys(&format!("push/sdkappid={APP}/dt={}", days[0])).await;
    assert!(written.is_empty(), "nothing for the failed day");
    assert_eq!(
        h.keys(&format!("push/sdkappid={APP}/dt={}", days[1])).await,
        [push_key(APP, days[1])]
    );
    let raw = h
        .keys(&format!("raw/push/sdkappid={APP}/dt={}/", days[0]))
        .await;
    assert_eq!(raw.len(), 1, "the answer is kept as evidence");
    assert_eq!(h.emulator.stats().calls_of(PUSH, APP), 2);
    h.emulator.shutdown().await;
}

#[tokio::test]
async fn overlapping_runs_lose_nothing_and_keep_tencents_rate() {
    // The emulator enforces Tencent's limits: a second push call of an app
    // within a second answers 60007.
    let mut h = harness(&[APP]).await;
    h.with_push(2).await;
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
    assert_eq!(h.keys("push/").await.len(), 3, "two days and the seed");
    // Two runs, two raw copies: never one key for both.
    let raw = h.keys("raw/sdkappid=").await;
    assert_eq!(raw.len(), 2, "{raw:?}");
    assert_ne!(a.apps[0].raw_key, b.apps[0].raw_key);
    h.emulator.shutdown().await;
}

#[tokio::test]
async fn the_lease_rests_on_conditional_writes_that_s3_honours() {
    let h = harness(&[APP]).await;
    h.invoke(event("scheduled")).await.unwrap();
    let key = format!("{PREFIX}/lease/ops-pull.json");
    let held = br#"{"holder":"another run","expires_at":"2999-01-01T00:00:00Z"}"#;
    let put = |condition| PutRequest {
        key: key.clone(),
        body: held.to_vec(),
        content_type: "application/json",
        content_encoding: None,
        content_sha256: None,
        condition,
    };
    let store = &h.function.store.inner;
    for condition in [
        PutCondition::IfAbsent,
        PutCondition::IfMatch("\"stale\"".into()),
    ] {
        let refused = store.put(put(condition)).await.unwrap_err();
        assert_eq!(refused, StoreError::PreconditionFailed);
    }
    store.put(put(PutCondition::Always)).await.unwrap();
    let deadlines = Deadlines::after(std::time::Duration::from_secs(2));
    let err = h
        .function
        .handle(event("manual"), deadlines)
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "RunInProgress", "{err}");
    assert!(err.to_string().contains("another run"), "{err}");
    h.emulator.shutdown().await;
}
