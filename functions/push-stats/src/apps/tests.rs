//! `Apps::select` over fake sources: which app answers, the 400s, and one
//! app's secret (failing, or never answering) not holding up another's.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tim::Deadline;
use tim::api::push::{PushStatistics, PushStatsRequest};

use super::*;

const A: u64 = 1_400_000_001;
const B: u64 = 1_400_000_002;

/// An app whose secret holds `Ok(sdkappid)`, cannot be read (`Err`), or
/// never answers (`None`). Counts reads.
#[derive(Debug)]
struct Fake {
    secret: Option<Result<u64, tim::Error>>,
    reads: AtomicUsize,
}

fn fake(secret: Option<Result<u64, tim::Error>>) -> Fake {
    Fake {
        secret,
        reads: AtomicUsize::new(0),
    }
}

impl PushStatsSource for Fake {
    fn push_statistics(
        &self,
        _request: &PushStatsRequest,
        _deadline: Deadline,
    ) -> impl Future<Output = Result<PushStatistics, tim::Error>> + Send {
        std::future::ready(Err(tim::Error::credentials("not called here")))
    }

    async fn sdkappid(&self) -> Result<u64, tim::Error> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        match &self.secret {
            Some(result) => result.clone(),
            None => std::future::pending().await,
        }
    }
}

fn apps(fakes: Vec<Fake>) -> Apps<Fake> {
    Apps::new(
        fakes
            .into_iter()
            .enumerate()
            .map(|(i, source)| App {
                secret_id: format!("secret-{i}"),
                source,
            })
            .collect(),
    )
}

fn unreadable() -> tim::Error {
    tim::Error::credentials_transient("AccessDeniedException")
}

async fn selected(apps: &Apps<Fake>, requested: Option<u64>) -> Result<u64, ApiError> {
    apps.select(requested, "req").await.map(|s| s.sdkappid)
}

fn refusal(result: Result<u64, ApiError>) -> (ErrorCode, Option<String>) {
    let error = result.expect_err("should be refused");
    (error.code, error.parameter)
}

#[tokio::test]
async fn several_apps_are_chosen_by_sdkappid_and_none_given_is_refused_without_reading() {
    let two = apps(vec![fake(Some(Ok(A))), fake(Some(Ok(B)))]);
    assert_eq!(selected(&two, Some(A)).await, Ok(A));
    assert_eq!(selected(&two, Some(B)).await, Ok(B));
    // The source handed out is that app's.
    let chosen = two.select(Some(B), "req").await.unwrap();
    assert!(std::ptr::eq(chosen.source, &two.apps[1].source));

    let reads_before: usize = two
        .apps
        .iter()
        .map(|a| a.source.reads.load(Ordering::SeqCst))
        .sum();
    let required = two.select(None, "req").await.unwrap_err();
    assert_eq!(
        (
            required.code,
            required.parameter.as_deref(),
            required.status()
        ),
        (ErrorCode::SdkappidRequired, Some("sdkappid"), 400)
    );
    assert!(required.message.contains("2 apps"), "{}", required.message);
    let reads_after: usize = two
        .apps
        .iter()
        .map(|a| a.source.reads.load(Ordering::SeqCst))
        .sum();
    assert_eq!(reads_after, reads_before, "no secret is read to refuse it");

    let unknown = two.select(Some(7), "req").await.unwrap_err();
    assert_eq!(
        (unknown.code, unknown.parameter.as_deref(), unknown.status()),
        (ErrorCode::UnknownSdkappid, Some("sdkappid"), 400)
    );
    assert!(
        unknown.message.contains("1400000001, 1400000002"),
        "{}",
        unknown.message
    );
}

#[tokio::test]
async fn with_one_app_sdkappid_is_optional_but_must_match_when_given() {
    let one = apps(vec![fake(Some(Ok(A)))]);
    assert_eq!(selected(&one, None).await, Ok(A));
    assert_eq!(selected(&one, Some(A)).await, Ok(A));
    assert_eq!(
        refusal(selected(&one, Some(B)).await),
        (ErrorCode::UnknownSdkappid, Some("sdkappid".into()))
    );
    // Its secret unreadable: the service's failure, as before.
    let broken = apps(vec![fake(Some(Err(unreadable())))]);
    for requested in [None, Some(A)] {
        let error = broken.select(requested, "req").await.unwrap_err();
        assert_eq!(
            (error.code, error.status()),
            (ErrorCode::CredentialsUnavailable, 502),
            "{requested:?}"
        );
    }
}

#[tokio::test]
async fn one_apps_unreadable_secret_does_not_stop_the_other_app() {
    let two = apps(vec![fake(Some(Err(unreadable()))), fake(Some(Ok(B)))]);
    assert_eq!(selected(&two, Some(B)).await, Ok(B));

    // An id no readable secret holds may be the unreadable one's: 502 (retry),
    // not the caller's mistake.
    let error = two.select(Some(A), "req").await.unwrap_err();
    assert_eq!(
        (error.code, error.status(), error.parameter),
        (ErrorCode::CredentialsUnavailable, 502, None)
    );
    assert!(
        error
            .message
            .contains("1 of the 2 configured credentials secrets could not be read"),
        "{}",
        error.message
    );
    assert!(
        !error.message.contains("AccessDenied"),
        "details stay in the log"
    );
}

#[tokio::test]
async fn a_secret_that_never_answers_does_not_hold_up_the_app_asked_for() {
    let two = apps(vec![fake(None), fake(Some(Ok(B)))]);
    let answer = tokio::time::timeout(Duration::from_secs(5), selected(&two, Some(B))).await;
    assert_eq!(answer.ok(), Some(Ok(B)));
    // Asking for the hanging one waits for it (the handler's deadline ends it).
    let waiting = tokio::time::timeout(Duration::from_millis(50), selected(&two, Some(A))).await;
    assert!(waiting.is_err(), "{waiting:?}");
}

#[tokio::test]
async fn the_apps_are_read_concurrently() {
    /// Answers only once both apps' reads have started.
    #[derive(Debug)]
    struct Barrier(std::sync::Arc<tokio::sync::Barrier>, u64);
    impl PushStatsSource for Barrier {
        fn push_statistics(
            &self,
            _request: &PushStatsRequest,
            _deadline: Deadline,
        ) -> impl Future<Output = Result<PushStatistics, tim::Error>> + Send {
            std::future::ready(Err(tim::Error::credentials("not called here")))
        }
        async fn sdkappid(&self) -> Result<u64, tim::Error> {
            self.0.wait().await;
            Ok(self.1)
        }
    }
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(2));
    let two = Apps::new(
        [A, B]
            .map(|id| App {
                secret_id: id.to_string(),
                source: Barrier(barrier.clone(), id),
            })
            .into(),
    );
    let answer = tokio::time::timeout(Duration::from_secs(5), two.select(Some(B), "req")).await;
    assert_eq!(
        answer.ok().and_then(Result::ok).map(|s| s.sdkappid),
        Some(B)
    );
}
