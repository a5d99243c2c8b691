//! The push-statistics history within a run: windows, pacing, rows,
//! idempotence, and failures that cost neither the operations archive nor
//! the other apps. (A dry run and a field subset: `modes`.)

use super::*;
use crate::tencent::freshness;
use crate::tencent::push_history::window;

const PUSH_STATS: &str = "timpush/all_member_push_statistics";

async fn run_push(apps: &[App<FakeSource>], store: &MemoryStore) -> Result<RunSummary, RunError> {
    run_with_push(apps, store, RunRequest::default(), SEVEN_DAYS).await
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

/// (asked, written, unchanged, kept archived, failed) push days of app 0.
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

fn push_calls(app: &App<FakeSource>) -> Vec<(tokio::time::Instant, PushStatsRequest)> {
    app.source.push_requests.lock().unwrap().clone()
}

#[tokio::test(start_paused = true)]
async fn one_paced_call_per_china_day_one_object_and_one_raw_copy_per_day() {
    let apps = one_app();
    let store = MemoryStore::default();
    let summary = run_push(&apps, &store).await.unwrap();

    // Nothing archived yet: every day Tencent may still hold (catch-up).
    let days = last_days(28);
    let calls = push_calls(&apps[0]);
    assert_eq!(calls.len(), 28);
    for ((_, request), date) in calls.iter().zip(&days) {
        assert_eq!(
            *request,
            window(*date),
            "(a window's seconds: push_history)"
        );
    }
    for pair in calls.windows(2) {
        let apart = pair[1].0 - pair[0].0;
        assert!(
            apart >= Duration::from_millis(1100),
            "calls {apart:?} apart"
        );
    }
    assert_eq!(push_counts(&summary), (28, 28, 0, 0, 0));
    let push = summary.apps[0].push.as_ref().unwrap();
    assert_eq!(
        (push.first_date, push.last_date),
        (Some(days[0]), Some(days[27]))
    );
    for date in days {
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
            .filter(|k| k.starts_with(&prefix) && k.ends_with(".json.gz"))
            .collect();
        assert_eq!(raws.len(), 1, "{date}");
        let raw = raw_text(&store, &raws[0]);
        assert!(
            raw.ends_with("} ") && raw.contains("PlatformStatistics"),
            "{raw}"
        );
        assert_eq!(store.object(&raws[0]).content_encoding, Some("gzip"));
    }
}

#[tokio::test(start_paused = true)]
async fn after_an_outage_every_day_since_the_newest_archived_one_is_pulled() {
    let apps = one_app();
    let store = MemoryStore::default();
    run_push(&apps, &store).await.unwrap();
    // Ten days without a run: the newest ten push days are not archived.
    for date in last_days(10) {
        store.objects.lock().unwrap().remove(&push_key(APP, date));
    }
    let summary = run_push(&apps, &store).await.unwrap();
    assert_eq!(push_counts(&summary), (10, 10, 0, 0, 0));
    for date in last_days(10) {
        assert!(store.stored(&push_key(APP, date)).is_some(), "{date}");
    }
}

#[tokio::test(start_paused = true)]
async fn unchanged_days_are_not_rewritten_grown_counts_are_and_lower_ones_kept() {
    let apps = one_app();
    let store = MemoryStore::default();
    run_push(&apps, &store).await.unwrap();
    let newest = push_key(APP, *last_days(1).last().unwrap());
    let before = store.object(&newest).body;

    // Up to date: the run revises the last PUSH_ARCHIVE_DAYS only.
    store.reset_counts();
    apps[0].source.push_requests.lock().unwrap().clear();
    let again = run_push(&apps, &store).await.unwrap();
    assert_eq!(push_counts(&again), (7, 0, 7, 0, 0));
    assert_eq!(push_calls(&apps[0]).len(), 7);
    assert_eq!(store.count("head"), 30 + 7, "one per day");
    assert_eq!(store.count("get"), 0);
    assert_eq!(store.count("list"), 1, "where the push catch-up starts");
    assert_eq!(store.count("put"), 1 + 7, "only the raw copies");
    assert_eq!(store.object(&newest).body, before);

    apps[0].source.push_growth.store(5, Ordering::SeqCst);
    let grown = run_push(&apps, &store).await.unwrap();
    assert_eq!(push_counts(&grown).1, 7);
    let grown_body = store.object(&newest).body;
    assert_ne!(grown_body, before);

    // A partial answer: lower counts keep the archived rows, reported.
    apps[0].source.push_growth.store(0, Ordering::SeqCst);
    let partial = run_push(&apps, &store).await.unwrap();
    assert_eq!(push_counts(&partial), (7, 0, 0, 7, 0));
    let kept = &partial.apps[0].push.as_ref().unwrap().kept_days;
    assert_eq!(kept.len(), 7);
    assert!(kept[0].reason.contains("< archived"), "{kept:?}");
    assert_eq!(store.object(&newest).body, grown_body);
}

#[tokio::test(start_paused = true)]
async fn a_transient_failure_fails_its_day_alone_and_a_rate_limit_spaces_the_next_call() {
    let apps = one_app();
    // What the client's own retries did not overcome.
    *apps[0].source.push_failures.lock().unwrap() =
        vec![api_error(PUSH_STATS, 90102), api_error(PUSH_STATS, 60007)];
    let err = run_push(&apps, &MemoryStore::default()).await.unwrap_err();
    assert_eq!(err.kind().error_type(), "TencentRetryable");
    let push = err.summary().unwrap().apps[0].push.clone().unwrap();
    assert_eq!((push.days_written, push.days_failed), (26, 2));
    let calls = push_calls(&apps[0]);
    assert_eq!(calls.len(), 28, "one call a day");
    assert!(calls[1].0 - calls[0].0 >= Duration::from_millis(1100));
    assert!(
        calls[2].0 - calls[1].0 >= Duration::from_secs(2),
        "after a rate limit"
    );
}

#[tokio::test(start_paused = true)]
async fn a_push_failure_costs_neither_the_operations_archive_nor_the_other_app() {
    let apps = apps_with(2, thirty_days);
    // App b: no permission, which no retry fixes: its remaining days are not called.
    let mut failures = vec![api_error(PUSH_STATS, 90102); 3];
    failures.push(api_error(PUSH_STATS, 90009));
    *apps[1].source.push_failures.lock().unwrap() = failures;
    let store = MemoryStore::default();
    let err = run_push(&apps, &store).await.unwrap_err();
    assert_eq!(err.kind().error_type(), "TencentConfiguration");
    let message = err.to_string();
    assert!(
        message.contains("app secret-b (sdkappid 1400000001): push statistics dt="),
        "{message}"
    );
    assert!(
        message.contains("90102") && message.contains("90009"),
        "{message}"
    );
    // As the README shows it: `… push statistics dt=YYYY-MM-DD not pulled: …`.
    let shape = reads_as_in_the_readme(&message);
    assert!(shape, "{message}");
    assert!(!message.contains("secret-a"), "{message}");

    let summary = err.summary().unwrap();
    let b = &summary.apps[1];
    assert_eq!(b.days_written, 30, "b's operations archive is complete");
    let push = b.push.as_ref().unwrap();
    assert_eq!((push.days_written, push.days_failed), (0, 28));
    assert_eq!(push.failed_days.len(), 28);
    assert_eq!(
        push_calls(&apps[1]).len(),
        4,
        "no call after the one no retry fixes"
    );
    assert_eq!(push_counts(summary).1, 28, "a's push history is complete");
    for date in last_days(28) {
        assert!(store.stored(&push_key(APP + 1, date)).is_none());
    }
}

#[tokio::test(start_paused = true)]
async fn an_operations_failure_does_not_cost_the_push_history() {
    let apps = one_app();
    apps[0].source.fail(130011);
    let store = MemoryStore::default();
    let err = run_push(&apps, &store).await.unwrap_err();
    assert!(err.to_string().contains("getappinfo failed"), "{err}");
    let app = &err.summary().unwrap().apps[0];
    assert_eq!(app.days_written, 0);
    assert_eq!(app.push.as_ref().unwrap().days_written, 28);
    assert!(store.stored(&push_key(APP, last_days(1)[0])).is_some());
}

#[tokio::test(start_paused = true)]
async fn push_not_enabled_is_reported_not_failed() {
    let apps = one_app();
    *apps[0].source.push_failures.lock().unwrap() = vec![api_error(PUSH_STATS, 90045)];
    let summary = run_push(&apps, &MemoryStore::default()).await.unwrap();
    let push = summary.apps[0].push.clone().unwrap();
    assert!(push.not_enabled);
    assert_eq!((push.days_written, push.days_failed), (0, 0));
    assert_eq!(push_calls(&apps[0]).len(), 1);
}

/// Whether a failure reads `push statistics dt=YYYY-MM-DD not pulled: `.
fn reads_as_in_the_readme(message: &str) -> bool {
    message.split("push statistics dt=").skip(1).any(|rest| {
        rest.get(10..)
            .is_some_and(|after| after.starts_with(" not pulled: "))
            && NaiveDate::parse_from_str(&rest[..10], "%Y-%m-%d").is_ok()
    })
}
