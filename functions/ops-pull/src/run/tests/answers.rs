//! What Tencent's answer says beyond its rows: a malformed `Result`, an
//! empty one, a stale newest day, and the fields asked for.

use super::*;

/// (Which answers are malformed, and how they are named: `tim::api::appinfo`.)
#[tokio::test]
async fn an_answer_without_a_result_list_fails_the_run_and_writes_no_day() {
    let apps = apps_with(2, recent_thirty_days);
    apps[1].source.no_result.store(true, Ordering::SeqCst);
    let store = MemoryStore::default();
    let err = full_run(&apps, &store).await.unwrap_err();
    assert_eq!(err.kind().error_type(), "TencentMalformedAnswer");
    assert!(err.kind().is_retryable());
    assert!(err.to_string().contains("secret-b"), "{err}");
    let of_b: Vec<String> = store
        .keys()
        .into_iter()
        .filter(|k| k.contains("sdkappid=1400000001"))
        .collect();
    let summary = err.summary().unwrap();
    let b = &summary.apps[1];
    assert_eq!(
        of_b,
        [b.raw_key.clone().unwrap()],
        "only the raw copy, as evidence"
    );
    let why = b.error.as_deref().unwrap();
    assert!(why.contains("ErrorCode 0 but no Result"), "{why}");
    assert_eq!(summary.apps[0].days_written, 30, "the other app landed");
}

#[tokio::test]
async fn an_empty_result_warns_once_then_fails_and_rows_reset_the_count() {
    let apps = apps_with(1, Vec::new);
    let store = MemoryStore::default();
    let run = || full_run(&apps, &store);
    let summary = run().await.unwrap();
    let json = serde_json::to_value(&summary.apps[0]).unwrap();
    assert_eq!(json["warnings"], json!(["EmptyResult"]));
    assert_eq!(json["empty_answers"], 1);
    assert_eq!(json["days_pulled"], 0);
    assert!(json["expected_newest_date"].is_string(), "{json}");
    assert_eq!(store.keys().len(), 1, "the raw copy, which counts it");

    // The second in a row is a failure, named, with the raw copy kept.
    let err = run().await.unwrap_err();
    assert_eq!(err.kind().error_type(), "TencentEmptyAnswer");
    assert!(err.kind().is_retryable());
    assert!(err.to_string().contains("2 runs in a row"), "{err}");
    let app = &err.summary().unwrap().apps[0];
    assert_eq!(app.empty_answers, 2);
    assert!(app.raw_key.is_some());

    // Rows again: success, and the count starts over.
    *apps[0].source.rows.lock().unwrap() = recent_thirty_days();
    assert_eq!(run().await.unwrap().apps[0].empty_answers, 0);
    apps[0].source.rows.lock().unwrap().clear();
    let summary = run().await.unwrap();
    assert_eq!(summary.apps[0].empty_answers, 1, "the first after rows");
}

#[tokio::test]
async fn rows_without_a_usable_date_fail_the_app_and_keep_the_raw_copy() {
    let apps = apps_with(2, recent_thirty_days);
    // Tencent changes how it sends Date: "2026-11-01", or a number.
    for (i, row) in apps[0].source.rows.lock().unwrap().iter_mut().enumerate() {
        let date = row["Date"].as_str().unwrap().to_owned();
        row["Date"] = if i % 2 == 0 {
            json!(format!("{}-{}-{}", &date[..4], &date[4..6], &date[6..]))
        } else {
            json!(date.parse::<u64>().unwrap())
        };
    }
    let store = MemoryStore::default();
    let err = full_run(&apps, &store).await.unwrap_err();
    assert_eq!(err.kind().error_type(), "TencentUnkeyableRows");
    assert!(!err.kind().is_retryable(), "the same answer comes again");
    assert!(
        err.to_string()
            .contains("30 row(s), none with a valid Date")
    );
    let summary = err.summary().unwrap();
    let a = &summary.apps[0];
    assert_eq!((a.days_written, a.malformed_rows), (0, 30));
    assert!(a.warnings.is_empty(), "{:?}", a.warnings);
    let of_a: Vec<String> = store
        .keys()
        .into_iter()
        .filter(|k| k.contains("sdkappid=1400000000/"))
        .collect();
    assert_eq!(of_a, [a.raw_key.clone().unwrap()], "the raw copy only");
    assert_eq!(summary.apps[1].days_written, 30, "the other app landed");
}

#[tokio::test]
async fn a_stale_newest_day_succeeds_with_a_warning() {
    let newest = china_today() - chrono::Days::new(3);
    let rows = thirty_days_from(newest - chrono::Days::new(29));
    let source = FakeSource::with_rows(APP, rows);
    let apps = vec![App {
        name: "secret-a".into(),
        sdkappid: APP,
        source,
    }];
    let summary = full_run(&apps, &MemoryStore::default()).await.unwrap();
    let app = &summary.apps[0];
    assert_eq!(app.days_written, 30, "the days sent are archived");
    let expected = app.expected_newest_date.unwrap();
    assert!(expected > newest, "{expected} vs {newest}");
    let json = serde_json::to_value(app).unwrap();
    assert_eq!(json["warnings"], json!(["StaleNewestDay"]));
    assert_eq!(json["last_date"], json!(newest.to_string()));
    assert_eq!(json["expected_newest_date"], json!(expected.to_string()));

    // No warning: no `warnings` key (yesterday is never stale: freshness).
    let apps = apps_with(1, recent_thirty_days);
    let summary = full_run(&apps, &MemoryStore::default()).await.unwrap();
    let json = serde_json::to_value(&summary.apps[0]).unwrap();
    assert!(json.get("warnings").is_none(), "{json}");
}

#[tokio::test]
async fn each_run_has_its_own_raw_key_even_in_the_same_millisecond() {
    let apps = one_app();
    let store = MemoryStore::default();
    let request = RunRequest {
        run_id: Some("c0ffee-1".into()),
        ..RunRequest::default()
    };
    let named = run_with(&apps, &store, request).await.unwrap();
    let key = named.apps[0].raw_key.clone().unwrap();
    assert!(key.ends_with("-c0ffee-1.json.gz"), "{key}");
    // Runs without an id (local, tests) make one up: never the same key,
    // so the second never fails its If-None-Match.
    let (a, b) = tokio::join!(full_run(&apps, &store), full_run(&apps, &store));
    assert_ne!(a.unwrap().apps[0].raw_key, b.unwrap().apps[0].raw_key);
    assert_eq!(
        store.keys().iter().filter(|k| k.contains("/raw/")).count(),
        3
    );
}

#[tokio::test]
async fn a_future_date_is_malformed_and_a_missing_day_is_named() {
    let apps = apps_with(1, recent_thirty_days);
    let yesterday = china_today() - chrono::Days::new(1);
    let gone = yesterday - chrono::Days::new(3);
    {
        let mut rows = apps[0].source.rows.lock().unwrap();
        rows.retain(|r| r["Date"] != json!(gone.format("%Y%m%d").to_string()));
        let mut future = rows[0].clone();
        future["Date"] = json!("20991231");
        rows.push(future);
    }
    let store = MemoryStore::default();
    let summary = full_run(&apps, &store).await.unwrap();
    let app = &summary.apps[0];
    assert_eq!(app.malformed_rows, 1);
    assert_eq!(app.last_date, Some(yesterday), "never the newest day");
    assert!(store.keys().iter().all(|k| !k.contains("dt=2099")));
    let json = serde_json::to_value(app).unwrap();
    assert_eq!(json["warnings"], json!(["MissingDays"]));
    assert_eq!(json["missing_dates"], json!([gone.to_string()]));
}
