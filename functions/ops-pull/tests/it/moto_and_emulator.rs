//! ops-pull end to end: the real `tim::Client` against the in-process Tencent
//! emulator, the real `aws-sdk-s3` client against moto_server.

use std::io::Read;

use crate::common::*;
use serde_json::Value;
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
