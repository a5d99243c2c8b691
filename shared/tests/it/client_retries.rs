//! The REST client against the in-process Tencent emulator: what it retries
//! (rate limits, 5xx, broken bodies, refused connections) and what it does
//! not, failover to the backup endpoint, and the deadline.

use std::sync::Arc;
use std::time::Duration;

use testkit::http_client;
use tim::api::appinfo::AppInfoRequest;
use tim::error::NetworkFailure;
use tim::usersig::SecretKey;
use tim::{Client, ClientConfig, Deadline, Error, ErrorClass, LocalSigner, RetryPolicy};
use tim_emulator::Fault;
use tokio::time::Instant;

use crate::common::client::*;

#[tokio::test]
async fn retries_rate_limit_then_succeeds() {
    let emu = emulator().await;
    emu.inject(Fault::ErrorCode(60007), 2);
    let client = client(&emu.base_url(), Counting::new(signer()));

    let info = client
        .get_app_info(&AppInfoRequest::all_fields(), soon())
        .await
        .unwrap();

    assert_eq!(info.days.len(), 30);
    assert_eq!(
        emu.stats().requests,
        3,
        "two rate-limited answers, then success"
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn retries_stop_after_max_attempts() {
    let emu = emulator().await;
    emu.inject(Fault::ErrorCode(60007), 10);
    let client = client(&emu.base_url(), Counting::new(signer()));

    let err = client
        .get_app_info(&AppInfoRequest::all_fields(), soon())
        .await
        .unwrap_err();

    assert!(matches!(err, Error::Api { code: 60007, .. }), "{err:?}");
    assert!(err.is_rate_limited());
    assert_eq!(emu.stats().requests, u64::from(fast_retries().max_attempts));
    emu.shutdown().await;
}

#[tokio::test]
async fn configuration_errors_are_not_retried() {
    let emu = emulator().await;
    emu.inject(Fault::ErrorCode(60006), 5);
    let provider = Counting::new(signer());
    let client = client(&emu.base_url(), provider.clone());

    let err = client
        .get_app_info(&AppInfoRequest::all_fields(), soon())
        .await
        .unwrap_err();

    assert!(matches!(err, Error::Api { code: 60006, .. }), "{err:?}");
    assert_eq!(err.class(), ErrorClass::Configuration);
    assert!(err.hint().is_some());
    assert_eq!(emu.stats().requests, 1, "exactly one request");
    assert_eq!(provider.refreshes(), 0);
    emu.shutdown().await;
}

#[tokio::test]
async fn a_non_admin_identifier_is_a_configuration_error() {
    let emu = emulator().await;
    let provider = Arc::new(LocalSigner::new(APP, "alice", SecretKey::new(KEY), None));
    let client = client(&emu.base_url(), provider);

    let err = client
        .get_app_info(&AppInfoRequest::all_fields(), soon())
        .await
        .unwrap_err();

    assert_eq!(err.code(), Some(60010), "{err:?}");
    assert_eq!(err.class(), ErrorClass::Configuration);
    assert_eq!(emu.stats().requests, 1);
    emu.shutdown().await;
}

#[tokio::test]
async fn http_502_is_retried() {
    let emu = emulator().await;
    emu.inject_for(GET_APP_INFO, Fault::HttpStatus(502), 2);
    let client = client(&emu.base_url(), Counting::new(signer()));

    let info = client
        .get_app_info(&AppInfoRequest::all_fields(), soon())
        .await
        .unwrap();

    assert_eq!(info.days.len(), 30);
    assert_eq!(emu.stats().requests, 3);
    emu.shutdown().await;
}

#[tokio::test]
async fn a_bad_status_that_persists_is_an_http_error() {
    let emu = emulator().await;
    emu.inject(Fault::HttpStatus(503), 10);
    let client = client(&emu.base_url(), Counting::new(signer()));

    let err = client
        .get_app_info(&AppInfoRequest::all_fields(), soon())
        .await
        .unwrap_err();

    assert!(matches!(err, Error::Http { status: 503, .. }), "{err:?}");
    assert_eq!(emu.stats().requests, 4);
    emu.shutdown().await;
}

#[tokio::test]
async fn truncated_and_non_json_bodies_are_retried() {
    let emu = emulator().await;
    let client = client(&emu.base_url(), Counting::new(signer()));

    emu.inject(Fault::TruncatedBody, 1);
    let info = client
        .get_app_info(&AppInfoRequest::all_fields(), soon())
        .await
        .unwrap();
    assert_eq!(info.days.len(), 30);
    assert_eq!(emu.stats().requests, 2);

    emu.inject(Fault::NonJsonBody, 2);
    let info = client
        .get_app_info(&AppInfoRequest::all_fields(), soon())
        .await
        .unwrap();
    assert_eq!(info.days.len(), 30);
    assert_eq!(emu.stats().requests, 5);

    emu.inject(Fault::NonJsonBody, 10);
    let err = client
        .get_app_info(&AppInfoRequest::all_fields(), soon())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    emu.shutdown().await;
}

#[tokio::test]
async fn fails_over_to_the_backup_when_the_primary_refuses_connections() {
    let emu = emulator().await;
    let endpoint = format!("{},{}", closed_port_url(), emu.base_url());
    let client = client(&endpoint, Counting::new(signer()));

    for _ in 0..3 {
        let info = client
            .get_app_info(&AppInfoRequest::all_fields(), soon())
            .await
            .unwrap();
        assert_eq!(info.days.len(), 30);
    }

    assert_eq!(
        emu.stats().requests,
        3,
        "every call answered by the backup, none retried"
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn refused_connections_without_a_backup_are_retried_then_fail() {
    let client = client(&closed_port_url(), Counting::new(signer()));

    let err = client
        .get_app_info(&AppInfoRequest::all_fields(), soon())
        .await
        .unwrap_err();

    assert!(
        matches!(
            err,
            Error::Network {
                kind: NetworkFailure::Connect,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.class(), ErrorClass::Network);
    assert!(!err.to_string().contains("usersig"), "{err}");
}

#[tokio::test]
async fn the_deadline_is_respected() {
    let emu = emulator().await;
    emu.inject(Fault::Delay(Duration::from_secs(3)), 10);
    let client = client(&emu.base_url(), Counting::new(signer()));
    let budget = Duration::from_millis(300);

    let started = Instant::now();
    let err = client
        .get_app_info(&AppInfoRequest::all_fields(), Deadline::after(budget))
        .await
        .unwrap_err();
    let elapsed = started.elapsed();

    // A correctness bound (never run past the deadline), not a speed test:
    // the slack is generous for a loaded CI machine.
    assert!(
        elapsed < budget + Duration::from_millis(500),
        "took {elapsed:?}"
    );
    match &err {
        Error::Deadline { attempts, last, .. } => {
            assert!(*attempts >= 1);
            let last = last.as_deref().unwrap();
            assert!(
                matches!(
                    last,
                    Error::Network {
                        kind: NetworkFailure::Timeout,
                        ..
                    }
                ),
                "{last:?}"
            );
        }
        other => panic!("expected a deadline error, got {other:?}"),
    }
    assert!(err.is_timeout());
    emu.shutdown().await;
}

#[tokio::test]
async fn backoff_never_sleeps_past_the_deadline() {
    let emu = emulator().await;
    emu.inject(Fault::ErrorCode(60007), 10);
    let config = ClientConfig {
        retry: RetryPolicy {
            max_attempts: 10,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(2),
        },
        ..config(&emu.base_url())
    };
    let client = Client::new(http_client(&config), config, Counting::new(signer()));
    let budget = Duration::from_millis(400);

    let started = Instant::now();
    let err = client
        .get_app_info(&AppInfoRequest::all_fields(), Deadline::after(budget))
        .await
        .unwrap_err();

    // The rate-limit pause (at least 1 s here) does not fit: give up at once.
    assert!(started.elapsed() < budget, "took {:?}", started.elapsed());
    assert!(
        matches!(err, Error::Deadline { attempts: 1, .. }),
        "{err:?}"
    );
    assert_eq!(err.code(), Some(60007));
    assert_eq!(err.class(), ErrorClass::Retryable);
    assert_eq!(emu.stats().requests, 1);
    emu.shutdown().await;
}

#[tokio::test]
async fn a_past_deadline_sends_nothing() {
    let emu = emulator().await;
    let client = client(&emu.base_url(), Counting::new(signer()));

    let err = client
        .get_app_info(
            &AppInfoRequest::all_fields(),
            Deadline::after(Duration::ZERO),
        )
        .await
        .unwrap_err();

    assert!(
        matches!(
            err,
            Error::Deadline {
                attempts: 0,
                last: None,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(emu.stats().requests, 0);
    emu.shutdown().await;
}
