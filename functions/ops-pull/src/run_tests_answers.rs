//! What Tencent's answer says beyond its rows: a malformed `Result`, an
//! empty one, a stale newest day, and the fields asked for.

use super::*;

fn recent_app(name: &str, sdkappid: u64) -> App<FakeSource> {
    App::new(name, FakeSource::with_rows(sdkappid, recent_thirty_days()))
}

#[tokio::test]
async fn an_answer_without_a_result_list_fails_the_run_and_writes_no_day() {
    for (result, why) in [
        (None, "ErrorCode 0 but no Result"),
        (
            Some(json!({"Date": "20261101"})),
            "ErrorCode 0 but Result is an object, not a list",
        ),
    ] {
        let apps = vec![recent_app("secret-a", APP), recent_app("secret-b", APP + 1)];
        *apps[1].source.result.lock().unwrap() = Some(result);
        let store = MemoryStore::default();
        let err = run_with(&apps, &store, RunRequest::default())
            .await
            .unwrap_err();
        assert_eq!(err.error_type(), "TencentMalformedAnswer");
        assert!(err.is_retryable());
        let message = err.to_string();
        assert!(
            message.contains("secret-b") && message.contains(why),
            "{message}"
        );
        let keys = store.keys();
        let of_b: Vec<&String> = keys
            .iter()
            .filter(|k| k.contains("sdkappid=1400000001"))
            .collect();
        assert_eq!(of_b.len(), 1, "only the raw copy, as evidence: {of_b:?}");
        assert!(of_b[0].contains("/raw/"), "{of_b:?}");
        let summary = err.summary().unwrap();
        let b = &summary.apps[1];
        assert_eq!((b.days_pulled, b.days_written), (0, 0));
        assert_eq!(b.raw_key.as_ref(), Some(of_b[0]));
        assert!(b.error.as_deref().unwrap().contains(why), "{b:?}");
        assert_eq!(summary.apps[0].days_written, 30, "the other app landed");
    }
}

#[tokio::test]
async fn an_empty_result_succeeds_with_a_warning() {
    let apps = vec![App::new("secret-a", FakeSource::with_rows(APP, Vec::new()))];
    let store = MemoryStore::default();
    let summary = run_with(&apps, &store, RunRequest::default())
        .await
        .unwrap();
    let app = &summary.apps[0];
    assert_eq!(app.warnings, [crate::Warning::EmptyResult]);
    assert_eq!((app.days_pulled, app.last_date), (0, None));
    assert!(app.expected_newest_date.is_some());
    assert_eq!(store.keys().len(), 1, "the raw copy only");
    let json = serde_json::to_value(&summary).unwrap();
    assert_eq!(json["apps"][0]["warnings"], json!(["EmptyResult"]));
}

#[tokio::test]
async fn a_stale_newest_day_succeeds_with_a_warning() {
    let newest = china_today() - chrono::Days::new(3);
    let rows = thirty_days_from(newest - chrono::Days::new(29));
    let apps = vec![App::new("secret-a", FakeSource::with_rows(APP, rows))];
    let store = MemoryStore::default();
    let summary = run_with(&apps, &store, RunRequest::default())
        .await
        .unwrap();
    let app = &summary.apps[0];
    assert_eq!(app.warnings, [crate::Warning::StaleNewestDay]);
    assert_eq!(app.last_date, Some(newest));
    let expected = app.expected_newest_date.unwrap();
    assert!(expected > newest, "{expected} vs {newest}");
    assert_eq!(app.days_written, 30, "the days sent are archived");
    let json = serde_json::to_value(app).unwrap();
    assert_eq!(json["warnings"], json!(["StaleNewestDay"]));
    assert_eq!(json["last_date"], json!(newest.to_string()));
    assert_eq!(json["expected_newest_date"], json!(expected.to_string()));

    // The newest day being yesterday (China time) is never stale.
    let apps = vec![recent_app("secret-a", APP)];
    let summary = run_with(&apps, &MemoryStore::default(), RunRequest::default())
        .await
        .unwrap();
    assert!(summary.apps[0].warnings.is_empty(), "{:?}", summary.apps[0]);
    let json = serde_json::to_value(&summary.apps[0]).unwrap();
    assert!(json.get("warnings").is_none(), "{json}");
}

#[tokio::test]
async fn a_field_subset_asks_for_date_too() {
    let apps = one_app();
    let store = MemoryStore::default();
    let request = RunRequest {
        fields: Some(vec!["UpMsgNum".into()]),
        dry_run: false,
    };
    let summary = run_with(&apps, &store, request).await.unwrap();
    let asked = apps[0].source.requests.lock().unwrap().clone();
    assert_eq!(asked, [AppInfoRequest::only(["UpMsgNum", "Date"])]);
    assert_eq!(summary.apps[0].days_written, 30);
    assert_eq!(summary.apps[0].malformed_rows, 0);
}
