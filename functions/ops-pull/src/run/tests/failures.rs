//! What fails, and what still lands: a failed pull, failed writes, the
//! storage deadline, invalid input, and how an invocation's time is split.

use super::*;

#[tokio::test]
async fn a_failed_pull_writes_nothing_for_that_app_and_fails_the_run() {
    let apps = vec![
        App::new("secret-a", FakeSource::new(APP)),
        App::new("secret-b", FakeSource::new(APP + 1)),
    ];
    *apps[1].source.fail_with.lock().unwrap() = Some(tim::Error::Api {
        command: "openconfigsvr/getappinfo".into(),
        code: 60006,
        info: "invalid sdkappid".into(),
    });
    let store = MemoryStore::default();
    let err = run_with(&apps, &store, RunRequest::default())
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "TencentConfiguration");
    assert!(!err.is_retryable());
    let message = err.to_string();
    assert!(
        message.contains("secret-b") && message.contains("1400000001") && message.contains("60006"),
        "{message}"
    );

    assert!(
        store
            .keys()
            .iter()
            .all(|k| !k.contains("sdkappid=1400000001"))
    );
    assert_eq!(store.keys().len(), 31, "the other app still landed");
    let summary = err.summary().unwrap();
    assert_eq!(summary.apps[0].days_written, 30);
    assert_eq!(summary.apps[1].days_written, 0);
    assert!(summary.apps[1].error.as_deref().unwrap().contains("60006"));
}

#[tokio::test]
async fn failed_writes_are_listed_and_the_rest_land() {
    let apps = one_app();
    let store = MemoryStore::default();
    *store.fail_puts_containing.lock().unwrap() =
        vec!["dt=2026-10-05".into(), "dt=2026-10-20".into()];
    let err = run_with(&apps, &store, RunRequest::default())
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "StorageFailed");
    assert!(err.is_retryable());
    let message = err.to_string();
    assert!(
        message.contains("sdkappid 1400000000 operations dt=2026-10-05"),
        "{message}"
    );
    assert!(
        message.contains("sdkappid 1400000000 operations dt=2026-10-20"),
        "{message}"
    );
    let app = &err.summary().unwrap().apps[0];
    assert_eq!((app.days_written, app.days_failed), (28, 2));
    assert_eq!(
        app.failed_days
            .iter()
            .map(|d| d.date.to_string())
            .collect::<Vec<_>>(),
        ["2026-10-05", "2026-10-20"]
    );
    assert_eq!(store.keys().len(), 29, "28 days and the raw copy");

    // The next run repairs exactly the missing days.
    store.fail_puts_containing.lock().unwrap().clear();
    let repaired = run_with(&apps, &store, RunRequest::default())
        .await
        .unwrap();
    assert_eq!(
        (
            repaired.apps[0].days_written,
            repaired.apps[0].days_unchanged
        ),
        (2, 28)
    );
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
    let err = run(
        &apps,
        &store,
        &Layout::default(),
        &RunRequest::default(),
        PushHistory::OFF,
        deadlines,
        &Metrics::capture(NAMESPACE).0,
    )
    .await
    .unwrap_err();
    let app = &err.summary().unwrap().apps[0];
    assert_eq!(app.days_failed, 30);
    assert!(
        app.failed_days[0].reason.contains("deadline"),
        "{:?}",
        app.failed_days[0]
    );
    assert!(app.error.as_deref().unwrap().contains("raw copy"));
}

#[tokio::test]
async fn invalid_input_calls_nothing() {
    let (metrics, lines) = Metrics::capture(NAMESPACE);
    let function = crate::OpsPull {
        apps: one_app(),
        store: MemoryStore::default(),
        layout: Layout::default(),
        push: PushHistory::OFF,
        metrics,
    };
    let err = function
        .handle(
            json!({"fields": ["NoSuchField"]}),
            Deadlines::after(Duration::from_secs(5)),
        )
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "InvalidInput");
    assert_eq!(function.apps[0].source.calls.load(Ordering::SeqCst), 0);
    assert_eq!(function.store.heads.load(Ordering::SeqCst), 0);
    // An invalid payload is a run that did not succeed.
    let docs = testkit::emf::check_output(&lines.take().join("\n"), "ops-pull", NAMESPACE);
    assert_eq!(docs.len(), 1, "{docs:?}");
    assert_eq!(docs[0]["RunSucceeded"], json!(0));
    assert_eq!(docs[0]["Function"], json!("ops-pull"));
}

#[tokio::test(start_paused = true)]
async fn deadlines_keep_proportionate_reserves() {
    let long = Deadlines::within(Duration::from_secs(60));
    assert_eq!(long.tencent.remaining(), Duration::from_millis(56_500));
    assert_eq!(long.storage.remaining(), Duration::from_millis(59_500));
    let short = Deadlines::within(Duration::from_secs(3));
    assert_eq!(short.tencent.remaining(), Duration::from_millis(1_700));
    assert_eq!(short.storage.remaining(), Duration::from_millis(2_700));
}

#[tokio::test(start_paused = true)]
async fn a_lambda_deadline_is_an_instant_or_a_local_runs_timeout() {
    let invocation = |deadline_ms| lambda_kit::Invocation {
        request_id: "r".into(),
        deadline_ms,
        cold_start: false,
    };
    let in_a_minute = u64::try_from(Utc::now().timestamp_millis()).unwrap() + 60_000;
    let real = Deadlines::for_invocation(&invocation(in_a_minute));
    assert!(
        real.storage.remaining() > Duration::from_secs(58),
        "{:?}",
        real.storage.remaining()
    );
    assert!(real.storage.remaining() <= Duration::from_secs(60));
    let local = Deadlines::for_invocation(&invocation(600_000));
    assert_eq!(local.storage.remaining(), Duration::from_millis(599_500));
    let past = Deadlines::for_invocation(&invocation(in_a_minute - 120_000));
    assert!(past.tencent.is_past() && past.storage.is_past());
}
