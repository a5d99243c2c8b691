//! What fails, and what still lands: a failed pull, failed writes, the
//! storage deadline, invalid input, and how an invocation's time is split.

use super::*;

#[tokio::test]
async fn a_failed_pull_writes_nothing_for_that_app_and_fails_the_run() {
    let apps = apps_with(2, thirty_days);
    apps[1].source.fail(60006);
    let store = MemoryStore::default();
    let err = full_run(&apps, &store).await.unwrap_err();
    assert_eq!(err.kind().error_type(), "TencentConfiguration");
    assert!(!err.kind().is_retryable());
    let message = err.to_string();
    assert!(
        message.contains("secret-b") && message.contains("1400000001") && message.contains("60006"),
        "{message}"
    );
    assert!(store.keys().iter().all(|k| !k.contains("=1400000001")));
    assert_eq!(store.keys().len(), 31, "the other app still landed");
    let summary = err.summary().unwrap();
    assert_eq!(summary.apps[0].days_written, 30);
    assert!(summary.apps[1].error.as_deref().unwrap().contains("60006"));
}

#[tokio::test]
async fn failed_writes_are_listed_and_the_rest_land() {
    let apps = one_app();
    let store = MemoryStore::default();
    *store.fail_puts_containing.lock().unwrap() =
        vec!["dt=2026-10-05".into(), "dt=2026-10-20".into()];
    let err = full_run(&apps, &store).await.unwrap_err();
    assert_eq!(err.kind().error_type(), "StorageFailed");
    assert!(err.kind().is_retryable());
    for date in ["2026-10-05", "2026-10-20"] {
        let day = format!("sdkappid 1400000000 operations dt={date}");
        assert!(err.to_string().contains(&day), "{err}");
    }
    let app = &err.summary().unwrap().apps[0];
    assert_eq!((app.days_written, app.days_failed), (28, 2));
    let failed: Vec<String> = app.failed_days.iter().map(|d| d.date.to_string()).collect();
    assert_eq!(failed, ["2026-10-05", "2026-10-20"]);
    assert_eq!(store.keys().len(), 29, "28 days and the raw copy");

    // The next run repairs exactly the missing days.
    store.fail_puts_containing.lock().unwrap().clear();
    let repaired = full_run(&apps, &store).await.unwrap();
    let app = &repaired.apps[0];
    assert_eq!((app.days_written, app.days_unchanged), (2, 28));
}

#[tokio::test]
async fn writes_stop_at_the_storage_deadline() {
    let apps = one_app();
    let store = MemoryStore::default();
    store.hang.store(true, Ordering::SeqCst);
    let deadlines = Deadlines {
        tencent: Deadline::after(Duration::from_secs(30)),
        storage: Deadline::after(Duration::from_millis(50)),
    };
    let (layout, metrics) = (Layout::default(), Metrics::capture(NAMESPACE).0);
    let request = RunRequest::default();
    let err = run(
        &apps,
        &store,
        &layout,
        &request,
        PushHistory::OFF,
        deadlines,
        &metrics,
    )
    .await
    .unwrap_err();
    let app = &err.summary().unwrap().apps[0];
    assert_eq!(app.days_failed, 30);
    let reason = &app.failed_days[0].reason;
    assert!(reason.contains("deadline"), "{reason}");
    assert!(app.error.as_deref().unwrap().contains("raw copy"));
}

#[tokio::test]
async fn invalid_input_calls_nothing() {
    let (function, lines) = function(one_app());
    let payload = json!({"fields": ["NoSuchField"]});
    let deadlines = Deadlines::after(Duration::from_secs(5));
    let err = function.handle(payload, deadlines, None).await.unwrap_err();
    assert_eq!(err.kind().error_type(), "InvalidInput");
    assert_eq!(function.apps[0].source.calls(), 0);
    assert!(function.store.calls.lock().unwrap().is_empty());
    // An invalid payload is a run that did not succeed.
    let docs = testkit::emf::check_output(&lines.take().join("\n"), "ops-pull", NAMESPACE);
    assert_eq!(docs.len(), 1, "{docs:?}");
    assert_eq!(docs[0]["RunSucceeded"], json!(0));
    assert_eq!(docs[0]["Function"], json!("ops-pull"));
}

#[tokio::test(start_paused = true)]
async fn deadlines_keep_proportionate_reserves() {
    for (within, tencent, storage) in [(60_000, 56_500, 59_500), (3_000, 1_700, 2_700)] {
        let deadlines = Deadlines::within(Duration::from_millis(within));
        assert_eq!(
            deadlines.tencent.remaining(),
            Duration::from_millis(tencent)
        );
        assert_eq!(
            deadlines.storage.remaining(),
            Duration::from_millis(storage)
        );
    }
}
