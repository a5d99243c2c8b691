//! One run at a time through the lease object, without a reserved
//! concurrency: an overlapping run waits, a crashed run's lease expires.

use super::*;

fn lease_held_until(store: &MemoryStore, until: DateTime<Utc>) {
    let body = json!({"holder": "a crashed run", "expires_at": until});
    store
        .put_now(PutRequest {
            key: Layout::default().lease_key(),
            body: body.to_string().into_bytes(),
            content_type: "application/json",
            ..Default::default()
        })
        .unwrap();
}

#[tokio::test(start_paused = true)]
async fn overlapping_runs_take_turns() {
    let (function, _) = function(one_app());
    *function.apps[0].source.answer_after.lock().unwrap() = Duration::from_secs(5);
    let deadlines = Deadlines::after(Duration::from_secs(60));
    let (a, b) = tokio::join!(
        function.handle(json!({}), deadlines, None),
        function.handle(json!({}), deadlines, None)
    );
    assert_eq!(
        a.unwrap().apps[0].days_written + b.unwrap().apps[0].days_written,
        30
    );
    let calls = function.apps[0].source.called_at.lock().unwrap().clone();
    assert_eq!(calls.len(), 2);
    let apart = calls[1] - calls[0];
    assert!(
        apart >= Duration::from_secs(5),
        "the runs overlapped: {apart:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_lease_held_all_along_stops_the_run_before_any_call_and_an_expired_one_is_taken() {
    let (function, _) = function(one_app());
    let invoke = || function.handle(json!({}), Deadlines::after(Duration::from_secs(10)), None);
    lease_held_until(&function.store, Utc::now() + chrono::Duration::hours(1));
    let err = invoke().await.unwrap_err();
    assert_eq!(err.kind().error_type(), "RunInProgress");
    assert!(err.kind().is_retryable());
    assert!(err.to_string().contains("a crashed run"), "{err}");
    assert_eq!(function.apps[0].source.calls(), 0);

    lease_held_until(&function.store, Utc::now() - chrono::Duration::seconds(1));
    assert_eq!(invoke().await.unwrap().apps[0].days_written, 30);
}
