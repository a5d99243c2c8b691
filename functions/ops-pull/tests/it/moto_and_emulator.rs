//! ops-pull end to end: the real `tim::Client` against the in-process Tencent
//! emulator, the real `aws-sdk-s3` client against moto_server. (A line's
//! columns are `archive::object`'s tests; a field subset's are `run`'s.)

use crate::common::*;
use serde_json::Value;

#[tokio::test]
async fn thirty_days_land_a_rerun_writes_nothing_and_a_changed_day_is_rewritten() {
    let h = harness(&[APP]).await;
    let days = h.emulator.ops_days();
    assert_eq!(days.len(), 30);

    let summary = h.invoke(event("scheduled")).await.unwrap();
    let app = &summary.apps[0];
    assert_eq!(app.sdkappid, APP);
    let counts = (app.days_pulled, app.days_written, app.days_unchanged);
    assert_eq!(counts, (30, 30, 0));
    assert_eq!(app.first_date, days.iter().min().copied());
    assert_eq!(app.last_date, days.iter().max().copied());

    let daily = format!("{PREFIX}/daily/");
    let written = h.etags(&daily).await;
    let mut expected: Vec<String> = days.iter().map(|&d| daily_key(APP, d)).collect();
    expected.sort();
    assert_eq!(written.keys().cloned().collect::<Vec<_>>(), expected);
    for key in written.keys() {
        let (object, _) = h.object(key).await;
        assert_eq!(object.content_type(), Some("application/x-ndjson"));
        let sha = object.metadata().and_then(|m| m.get("content-sha256"));
        assert_eq!(sha.map(String::len), Some(64), "{key}");
    }

    // Same data again: moto's HEAD tells the content hash written as
    // metadata, so no day is written (its pulled_at would change its ETag).
    let again = h.invoke(event("manual")).await.unwrap();
    let counts = (again.apps[0].days_written, again.apps[0].days_unchanged);
    assert_eq!(counts, (0, 30));
    assert_eq!(h.etags(&daily).await, written);

    // Tencent corrects one day: that day alone is rewritten.
    let corrected = days[10];
    h.emulator
        .set_ops_value(APP, corrected, "ActiveUserNum", "777777");
    let changed = h.invoke(event("scheduled")).await.unwrap();
    let counts = (changed.apps[0].days_written, changed.apps[0].days_unchanged);
    assert_eq!(counts, (1, 29));
    let rewritten: Vec<String> = h
        .etags(&daily)
        .await
        .into_iter()
        .filter(|(key, etag)| written[key] != *etag)
        .map(|(key, _)| key)
        .collect();
    assert_eq!(rewritten, [daily_key(APP, corrected)]);
    let (_, body) = h.object(&daily_key(APP, corrected)).await;
    assert!(
        String::from_utf8(body)
            .unwrap()
            .contains(r#""ActiveUserNum":777777"#)
    );
    let raw = h.etags(&format!("{PREFIX}/raw/")).await;
    assert_eq!(raw.len(), 3, "one raw copy per pull");
    h.emulator.shutdown().await;
}

#[tokio::test]
async fn the_raw_copy_decompresses_to_tencents_body() {
    let h = harness(&[APP]).await;
    let summary = h.invoke(event("scheduled")).await.unwrap();
    let (object, body) = h.object(summary.apps[0].raw_key.as_deref().unwrap()).await;
    assert_eq!(object.content_type(), Some("application/json"));
    assert_eq!(object.content_encoding(), Some("gzip"));
    let body = flate2::read::GzDecoder::new(&body[..]);
    let envelope: Value = serde_json::from_reader(body).unwrap();
    assert_eq!(envelope["ErrorCode"], Value::from(0));
    let rows = envelope["Result"].as_array().unwrap();
    assert_eq!(rows.len(), 30);
    let as_sent = rows.iter().all(|r| r["ActiveUserNum"].is_string());
    assert!(as_sent, "as Tencent sent it");
    h.emulator.shutdown().await;
}
