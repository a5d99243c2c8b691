//! Runs that write less: a dry run, and a field subset merged into the
//! stored days.

use super::*;

#[tokio::test]
async fn a_dry_run_writes_nothing_but_reports() {
    let apps = one_app();
    let store = MemoryStore::default();
    let request = RunRequest {
        dry_run: true,
        ..RunRequest::default()
    };
    let summary = run_with(&apps, &store, request.clone()).await.unwrap();
    assert!(summary.dry_run);
    let reported = serde_json::to_value(&summary).unwrap();
    assert_eq!(reported["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(summary.apps[0].days_written, 30, "would write");
    assert_eq!(summary.apps[0].raw_key, None);
    assert_eq!(store.puts.load(Ordering::SeqCst), 0);
    assert!(store.keys().is_empty());

    run_with(&apps, &store, RunRequest::default())
        .await
        .unwrap();
    apps[0].source.set(0, "LoginTimes", json!("5"));
    store.reset_counts();
    let summary = run_with(&apps, &store, request).await.unwrap();
    assert_eq!(
        (summary.apps[0].days_written, summary.apps[0].days_unchanged),
        (1, 29)
    );
    assert_eq!(store.puts.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_field_subset_merges_into_stored_days() {
    let apps = one_app();
    let store = MemoryStore::default();
    run_with(&apps, &store, RunRequest::default())
        .await
        .unwrap();

    apps[0].source.set(9, "ActiveUserNum", json!("4242"));
    apps[0].source.set(9, "LoginTimes", json!("1"));
    store.reset_counts();
    let request = RunRequest {
        fields: Some(vec!["ActiveUserNum".into()]),
        dry_run: false,
        ..RunRequest::default()
    };
    let summary = run_with(&apps, &store, request).await.unwrap();
    assert_eq!(
        summary.fields.as_deref(),
        Some(&["ActiveUserNum".to_owned()][..])
    );
    assert_eq!(
        (summary.apps[0].days_written, summary.apps[0].days_unchanged),
        (1, 29)
    );
    assert_eq!(store.gets.load(Ordering::SeqCst), 30);
    let line = line_of(&store, &daily_key(APP, 9));
    assert_eq!(line["ActiveUserNum"], json!(4242));
    assert_eq!(
        line["LoginTimes"],
        json!(63),
        "a field not pulled keeps its stored value"
    );
    assert_eq!(line["AppName"], json!("demo"));
}

#[tokio::test]
async fn a_field_subset_into_an_empty_archive_writes_the_subset() {
    let apps = one_app();
    let store = MemoryStore::default();
    let request = RunRequest {
        fields: Some(vec!["UpMsgNum".into()]),
        dry_run: false,
        ..RunRequest::default()
    };
    run_with(&apps, &store, request).await.unwrap();
    let line = line_of(&store, &daily_key(APP, 0));
    let mut keys: Vec<&str> = line.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["UpMsgNum", "date", "pulled_at", "sdkappid"]);
}
