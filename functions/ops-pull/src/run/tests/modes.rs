//! Runs that write less: a dry run, and a field subset merged into the
//! stored days.

use super::*;

#[tokio::test(start_paused = true)]
async fn a_dry_run_writes_nothing_but_reports() {
    let apps = one_app();
    let store = MemoryStore::default();
    let dry = RunRequest {
        dry_run: true,
        ..RunRequest::default()
    };
    let summary = run_with_push(&apps, &store, dry.clone(), SEVEN_DAYS)
        .await
        .unwrap();
    let reported = serde_json::to_value(&summary).unwrap();
    assert_eq!(reported["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(reported["dry_run"], true);
    let app = &summary.apps[0];
    let would_write = (app.days_written, app.push.as_ref().unwrap().days_written);
    assert_eq!(would_write, (30, 28), "operations and push days");
    assert_eq!(app.raw_key, None);
    assert_eq!(store.count("put"), 0);
    assert!(store.keys().is_empty());

    full_run(&apps, &store).await.unwrap();
    apps[0].source.set(0, "LoginTimes", json!("5"));
    store.reset_counts();
    let summary = run_with(&apps, &store, dry).await.unwrap();
    let app = &summary.apps[0];
    assert_eq!((app.days_written, app.days_unchanged), (1, 29));
    assert_eq!(store.count("put"), 0);
}

#[tokio::test(start_paused = true)]
async fn a_field_subset_merges_into_stored_days_and_pulls_no_push_history() {
    let apps = one_app();
    let store = MemoryStore::default();
    full_run(&apps, &store).await.unwrap();

    apps[0].source.set(9, "ActiveUserNum", json!("4242"));
    apps[0].source.set(9, "LoginTimes", json!("1"));
    store.reset_counts();
    let request = RunRequest {
        fields: Some(vec!["ActiveUserNum".into()]),
        ..RunRequest::default()
    };
    let summary = run_with_push(&apps, &store, request, SEVEN_DAYS)
        .await
        .unwrap();
    let reported = serde_json::to_value(&summary).unwrap();
    assert_eq!(reported["fields"], json!(["ActiveUserNum"]));
    let app = &summary.apps[0];
    assert_eq!((app.days_written, app.days_unchanged), (1, 29));
    assert_eq!(store.count("get"), 30, "each stored day read to merge into");
    let line = line_of(&store, &daily_key(APP, 9));
    assert_eq!(line["ActiveUserNum"], json!(4242));
    assert_eq!(line["LoginTimes"], json!(63), "not pulled: kept as stored");

    assert!(app.push.is_none());
    assert!(apps[0].source.push_requests.lock().unwrap().is_empty());
    assert!(store.keys().iter().all(|k| !k.contains("/push/")));
}

#[tokio::test]
async fn a_field_subset_into_an_empty_archive_writes_the_subset() {
    let apps = one_app();
    let store = MemoryStore::default();
    let request = RunRequest {
        fields: Some(vec!["UpMsgNum".into()]),
        ..RunRequest::default()
    };
    run_with(&apps, &store, request).await.unwrap();
    let line = line_of(&store, &daily_key(APP, 0));
    let keys: Vec<&str> = line.keys().map(String::as_str).collect();
    assert_eq!(keys, ["UpMsgNum", "date", "pulled_at", "sdkappid"]);
}
