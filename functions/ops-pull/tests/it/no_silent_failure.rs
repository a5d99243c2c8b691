//! No silent failure, end to end (moto S3, the Tencent emulator): after an
//! empty answer or a failed pull the lag still ages from the archive, and the
//! lease rests on conditional writes S3 honours.

use crate::common::*;
use ops_pull::Deadlines;
use ops_pull::archive::store::{ArchiveStore, PutCondition, PutRequest, StoreError};

use serde_json::Value;
use tim_emulator::{Fault, ResultFault};

const APPINFO: &str = "openconfigsvr/getappinfo";

fn lag_of(apps: &[Value]) -> Option<f64> {
    apps[0].get("NewestDayLagHours").and_then(Value::as_f64)
}

#[tokio::test]
async fn after_an_empty_answer_or_a_failed_pull_the_lag_ages_from_the_archive() {
    let h = harness(&[APP]).await;
    h.invoke(event("scheduled")).await.unwrap();
    let newest = *h.emulator.ops_days().iter().max().unwrap();
    let (apps, _) = printed(&h);
    let healthy = lag_of(&apps).unwrap();

    h.emulator
        .inject_for(APPINFO, Fault::Result(ResultFault::Empty), 1);
    let summary = h.invoke(event("manual")).await.unwrap();
    assert_eq!(summary.apps[0].newest_archived_date, Some(newest));
    let (apps, _) = printed(&h);
    let lag = lag_of(&apps).expect("NewestDayLagHours every run");
    assert!((lag - healthy).abs() < 0.2, "{lag} vs {healthy}");

    h.emulator.inject_for(APPINFO, Fault::HttpStatus(502), 10);
    h.invoke(event("manual")).await.unwrap_err();
    let (apps, runs) = printed(&h);
    assert_eq!(runs, [Value::from(0)]);
    assert!(lag_of(&apps).is_some());
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
        condition,
        ..Default::default()
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
        .handle(event("manual"), deadlines, None)
        .await
        .unwrap_err();
    assert_eq!(err.kind().error_type(), "RunInProgress", "{err}");
    assert!(err.to_string().contains("another run"), "{err}");
    h.emulator.shutdown().await;
}
