//! The push-statistics history within a run: windows, pacing, rows,
//! idempotence, and failures that cost neither the operations archive nor
//! the other apps.

use super::*;
use crate::tencent::freshness;

const SEVEN_DAYS: PushHistory = PushHistory {
    days: 7,
    spacing: crate::tencent::push_history::CALL_SPACING,
};

async fn run_push(
    apps: &[App<FakeSource>],
    store: &MemoryStore,
    request: RunRequest,
) -> Result<RunSummary, RunError> {
    run_with_push(apps, store, request, SEVEN_DAYS).await
}

fn push_key(sdkappid: u64, date: NaiveDate) -> String {
    Layout::default().day_key(&PUSH, sdkappid, date)
}

/// The last `n` complete China days, oldest first.
fn last_days(n: u64) -> Vec<NaiveDate> {
    let today = freshness::china_today(Utc::now());
    (1..=n)
        .rev()
        .map(|back| today - chrono::Days::new(back))
        .collect()
}

/// What a first run pulls: every day Tencent may still hold (catch-up).
fn expected_dates() -> Vec<NaiveDate> {
    last_days(28)
}

fn lines(store: &MemoryStore, key: &str) -> Vec<Value> {
    String::from_utf8(store.object(key).body)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn api_error(code: i64) -> tim::Error {
    tim::Error::Api {
        command: "timpush/all_member_push_statistics".into(),
        code,
        info: "injected".into(),
    }
}

fn push_counts(summary: &RunSummary) -> (usize, usize, usize, usize, usize) {
    let push = summary.apps[0].push.as_ref().unwrap();
    (
        push.days_asked,
        push.days_written,
        push.days_unchanged,
        push.days_kept_archived,
        push.days_failed,
    )
}

#[tokio::test(start_paused = true)]
async fn one_paced_call_per_china_day_one_object_and_one_raw_copy_per_day() {
    let apps = one_app();
    let store = MemoryStore::default();
    let summary = run_push(&apps, &store, RunRequest::default())
        .await
        .unwrap();

    let calls = apps[0].source.push_requests.lock().unwrap().clone();
    assert_eq!(calls.len(), 28, "nothing archived yet: Tencent's 28 days");
    for ((_, request), date) in calls.iter().zip(expected_dates()) {
        assert_eq!(request.start_time, freshness::start_of(date).timestamp());
        assert_eq!(request.end_time - request.start_time, 86_400);
        assert!(request.task_ids.is_empty(), "overall statistics");
    }
    for pair in calls.windows(2) {
        assert!(
            pair[1].0 - pair[0].0 >= Duration::from_millis(1100),
            "calls {:?} apart",
            pair[1].0 - pair[0].0
        );
    }
    assert_eq!(push_counts(&summary), (28, 28, 0, 0, 0));
    let push = summary.apps[0].push.as_ref().unwrap();
    assert_eq!(push.first_date, expected_dates().first().copied());
    assert_eq!(push.last_date, expected_dates().last().copied());
    for date in expected_dates() {
        // One object a day (its rows are proved in push_rows).
        let rows = lines(&store, &push_key(APP, date));
        assert_eq!(rows.len(), 3, "totals and two channels");
        assert!(rows.iter().all(|r| r["date"] == json!(date.to_string())));
        let object = store.object(&push_key(APP, date));
        assert_eq!(object.content_type, "application/x-ndjson");
        // Tencent's body byte for byte (the fake ends it with a space).
        let prefix =
            format!("tencent-chat/operations/raw/push/sdkappid={APP}/dt={date}/pulled_at=");
        let raws: Vec<String> = store
            .keys()
            .into_iter()
            .filter(|k| k.starts_with(&prefix))
            .collect();
        assert_eq!(raws.len(), 1, "{date}");
        assert!(raws[0].ends_with(".json.gz"));
        let raw = raw_text(&store, &raws[0]);
        assert!(
            raw.ends_with("} ") && raw.contains("PlatformStatistics"),
            "{raw}"
        );
        assert_eq!(store.object(&raws[0]).content_encoding, Some("gzip"));
    }
    // The operations archive is there too.
    assert_eq!(summary.apps[0].days_written, 30);

    // Up to date: the next run revises the last PUSH_ARCHIVE_DAYS only.
    apps[0].source.push_requests.lock().unwrap().clear();
    let again = run_push(&apps, &store, RunRequest::default())
        .await
        .unwrap();
    assert_eq!(push_counts(&again), (7, 0, 7, 0, 0));
    assert_eq!(apps[0].source.push_requests.lock().unwrap().len(), 7);
}

#[tokio::test(start_paused = true)]
async fn after_an_outage_every_day_since_the_newest_archived_one_is_pulled() {
    let apps = one_app();
    let store = MemoryStore::default();
    run_push(&apps, &store, RunRequest::default())
        .await
        .unwrap();
    // Ten days without a run: the newest ten push days are not archived.
    for date in last_days(10) {
        store.objects.lock().unwrap().remove(&push_key(APP, date));
    }
    let summary = run_push(&apps, &store, RunRequest::default())
        .await
        .unwrap();
    assert_eq!(push_counts(&summary), (10, 10, 0, 0, 0));
    for date in last_days(10) {
        assert!(store.stored(&push_key(APP, date)).is_some(), "{date}");
    }
}

#[tokio::test(start_paused = true)]
async fn unchanged_days_are_not_rewritten_grown_counts_are_and_lower_ones_kept() {
    let apps = one_app();
    let store = MemoryStore::default();
    run_push(&apps, &store, RunRequest::default())
        .await
        .unwrap();
    let newest = *expected_dates().last().unwrap();
    let before = store.object(&push_key(APP, newest));

    store.reset_counts();
    let again = run_push(&apps, &store, RunRequest::default())
        .await
        .unwrap();
    assert_eq!(push_counts(&again), (7, 0, 7, 0, 0));
    assert_eq!(store.heads.load(Ordering::SeqCst), 30 + 7, "one per day");
    assert_eq!(store.gets.load(Ordering::SeqCst), 0);
    assert_eq!(
        store.lists.load(Ordering::SeqCst),
        1,
        "where the push catch-up starts"
    );
    assert_eq!(
        store.puts.load(Ordering::SeqCst),
        1 + 7,
        "only the raw copies"
    );
    assert_eq!(store.object(&push_key(APP, newest)).body, before.body);

    apps[0].source.push_growth.store(5, Ordering::SeqCst);
    let grown = run_push(&apps, &store, RunRequest::default())
        .await
        .unwrap();
    assert_eq!(push_counts(&grown).1, 7);
    let grown_body = store.object(&push_key(APP, newest)).body;
    assert_ne!(grown_body, before.body);

    // A partial answer: lower counts keep the archived rows, reported.
    apps[0].source.push_growth.store(0, Ordering::SeqCst);
    let partial = run_push(&apps, &store, RunRequest::default())
        .await
        .unwrap();
    assert_eq!(push_counts(&partial), (7, 0, 0, 7, 0));
    let push = partial.apps[0].push.clone().unwrap();
    assert_eq!(push.kept_days.len(), 7);
    assert!(push.kept_days[0].reason.contains("< archived"), "{push:?}");
    assert_eq!(store.object(&push_key(APP, newest)).body, grown_body);
}

#[tokio::test(start_paused = true)]
async fn a_transient_failure_fails_its_day_alone_and_a_rate_limit_spaces_the_next_call() {
    let apps = one_app();
    // What the client's own retries did not overcome.
    *apps[0].source.push_failures.lock().unwrap() = vec![api_error(90102), api_error(60007)];
    let store = MemoryStore::default();
    let err = run_push(&apps, &store, RunRequest::default())
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "TencentRetryable");
    let push = err.summary().unwrap().apps[0].push.clone().unwrap();
    assert_eq!((push.days_written, push.days_failed), (26, 2));
    let calls = apps[0].source.push_requests.lock().unwrap().clone();
    assert_eq!(calls.len(), 28, "one call a day");
    assert!(calls[1].0 - calls[0].0 >= Duration::from_millis(1100));
    assert!(
        calls[2].0 - calls[1].0 >= Duration::from_secs(2),
        "after a rate limit"
    );
}

#[tokio::test(start_paused = true)]
async fn a_push_failure_costs_neither_the_operations_archive_nor_the_other_app() {
    let apps = vec![
        App::new("secret-a", FakeSource::new(APP)),
        App::new("secret-b", FakeSource::new(APP + 1)),
    ];
    // App b: no permission, which no retry fixes: its remaining days are not called.
    *apps[1].source.push_failures.lock().unwrap() = vec![api_error(90102); 3]
        .into_iter()
        .chain([api_error(90009)])
        .collect();
    let store = MemoryStore::default();
    let err = run_push(&apps, &store, RunRequest::default())
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "TencentConfiguration");
    let message = err.to_string();
    assert!(
        message.contains("app secret-b (sdkappid 1400000001): push statistics dt="),
        "{message}"
    );
    assert!(
        message.contains("90102") && message.contains("90009"),
        "{message}"
    );
    assert!(!message.contains("secret-a"), "{message}");

    let summary = err.summary().unwrap();
    let b = &summary.apps[1];
    assert_eq!(b.days_written, 30, "b's operations archive is complete");
    let push = b.push.as_ref().unwrap();
    assert_eq!((push.days_written, push.days_failed), (0, 28));
    assert_eq!(push.failed_days.len(), 28);
    assert_eq!(
        apps[1].source.push_requests.lock().unwrap().len(),
        4,
        "three transient failures, one no retry fixes, then no more calls"
    );
    let a = &summary.apps[0];
    assert_eq!(
        (a.days_written, a.push.as_ref().unwrap().days_written),
        (30, 28)
    );
    for date in expected_dates() {
        assert!(store.stored(&push_key(APP, date)).is_some());
        assert!(store.stored(&push_key(APP + 1, date)).is_none());
    }
}

#[tokio::test(start_paused = true)]
async fn an_operations_failure_does_not_cost_the_push_history() {
    let apps = one_app();
    *apps[0].source.fail_with.lock().unwrap() = Some(tim::Error::Api {
        command: "openconfigsvr/getappinfo".into(),
        code: 130011,
        info: "SQL query error".into(),
    });
    let store = MemoryStore::default();
    let err = run_push(&apps, &store, RunRequest::default())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("getappinfo failed"), "{err}");
    let app = &err.summary().unwrap().apps[0];
    assert_eq!(app.days_written, 0);
    assert_eq!(app.push.as_ref().unwrap().days_written, 28);
    assert!(store.stored(&push_key(APP, expected_dates()[27])).is_some());
}

#[tokio::test(start_paused = true)]
async fn push_not_enabled_is_reported_not_failed() {
    let apps = one_app();
    *apps[0].source.push_failures.lock().unwrap() = vec![api_error(90045)];
    let store = MemoryStore::default();
    let summary = run_push(&apps, &store, RunRequest::default())
        .await
        .unwrap();
    let push = summary.apps[0].push.clone().unwrap();
    assert!(push.not_enabled);
    assert_eq!((push.days_written, push.days_failed), (0, 0));
    assert_eq!(apps[0].source.push_requests.lock().unwrap().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_dry_run_writes_nothing_and_a_field_subset_pulls_operations_only() {
    let apps = one_app();
    let store = MemoryStore::default();
    let dry = run_push(
        &apps,
        &store,
        RunRequest {
            dry_run: true,
            ..RunRequest::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(
        dry.apps[0].push.as_ref().unwrap().days_written,
        28,
        "would be written"
    );
    assert_eq!(store.puts.load(Ordering::SeqCst), 0);
    assert!(store.keys().is_empty());

    let subset = RunRequest {
        fields: Some(vec!["ActiveUserNum".into()]),
        ..RunRequest::default()
    };
    let summary = run_push(&apps, &store, subset).await.unwrap();
    assert!(summary.apps[0].push.is_none());
    assert_eq!(
        apps[0].source.push_requests.lock().unwrap().len(),
        28,
        "only the dry run's calls"
    );
    assert!(store.keys().iter().all(|k| !k.contains("/push/")));
}
