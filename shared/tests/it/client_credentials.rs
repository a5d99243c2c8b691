//! The REST client against the in-process Tencent emulator: a refused
//! UserSig is re-signed once and retried once, whatever the code and even
//! within the same second; credentials failures are retried only when
//! transient.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use async_trait::async_trait;
use tim::api::appinfo::AppInfoRequest;
use tim::usersig::{Clock, SecretKey, SystemClock};
use tim::{AppCredentials, CredentialsProvider, Error, ErrorClass, LocalSigner, StaticCredentials};
use tim_emulator::Fault;

use crate::common::client::*;

#[tokio::test]
async fn re_signs_once_when_tencent_rejects_the_usersig() {
    let emu = emulator().await;
    emu.inject(Fault::ErrorCode(70001), 1);
    let provider = frozen_signer(KEY);
    let client = client(&emu.base_url(), provider.clone());

    let info = client
        .get_app_info(&AppInfoRequest::all_fields(), soon())
        .await
        .unwrap();

    assert_eq!(info.days.len(), 30);
    assert_eq!(provider.refreshes(), 1);
    assert_eq!(emu.stats().requests, 2);
    emu.shutdown().await;
}

/// Every UserSig-rejected code gets one re-sign and one retry, the
/// re-signed UserSig being a new one even within the same second.
#[tokio::test]
async fn every_usersig_refusal_is_followed_by_one_retry_with_a_new_signature() {
    let emu = emulator().await;
    for code in [70001, 70002, 70003, 70004, 70009, 70052, 60004] {
        emu.reset_stats();
        emu.inject(Fault::ErrorCode(code), 1);
        let provider = frozen_signer(KEY);
        let refused = provider.credentials().await.unwrap();
        let client = client(&emu.base_url(), provider.clone());

        client
            .get_app_info(&AppInfoRequest::only(["Date"]), soon())
            .await
            .unwrap_or_else(|e| panic!("{code}: {e:?}"));

        assert_eq!(provider.refreshes(), 1, "{code}");
        assert_eq!(emu.stats().requests, 2, "{code}");
        let used = provider.credentials().await.unwrap();
        assert_ne!(used.usersig, refused.usersig, "{code}: a new UserSig");
    }
    emu.shutdown().await;
}

#[tokio::test]
async fn a_second_rejection_fails_after_exactly_one_refresh() {
    let emu = emulator().await;
    emu.inject(Fault::ErrorCode(70001), 5);
    let provider = frozen_signer(KEY);
    let client = client(&emu.base_url(), provider.clone());

    let err = client
        .get_app_info(&AppInfoRequest::all_fields(), soon())
        .await
        .unwrap_err();

    assert!(matches!(err, Error::Api { code: 70001, .. }), "{err:?}");
    assert_eq!(err.class(), ErrorClass::UserSigRejected);
    assert_eq!(provider.refreshes(), 1);
    assert_eq!(emu.stats().requests, 2);
    emu.shutdown().await;
}

/// A clock that can be moved: signs in the past until the refresh.
struct MovableClock(AtomicU64);

impl Clock for MovableClock {
    fn now_unix(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// Signs with a clock two days behind until asked to refresh, then with the
/// real time: Tencent (the emulator) really finds the first UserSig expired.
struct ExpiredFirst {
    clock: Arc<MovableClock>,
    signer: Counting,
}

#[async_trait]
impl CredentialsProvider for ExpiredFirst {
    async fn credentials(&self) -> Result<AppCredentials, Error> {
        self.signer.credentials().await
    }

    async fn refresh(&self, rejected: &AppCredentials) -> Result<AppCredentials, Error> {
        self.clock.0.store(SystemClock.now_unix(), Ordering::SeqCst);
        self.signer.refresh(rejected).await
    }
}

#[tokio::test]
async fn an_expired_usersig_is_re_signed_once() {
    let emu = emulator().await;
    let clock = Arc::new(MovableClock(AtomicU64::new(
        SystemClock.now_unix() - 2 * 86_400,
    )));
    let inner = signer().with_validity(86_400).with_clock(clock.clone());
    let provider = Arc::new(ExpiredFirst {
        clock,
        signer: Counting {
            inner,
            refreshes: AtomicU32::new(0),
        },
    });
    let client = client(&emu.base_url(), provider.clone());

    let info = client
        .get_app_info(&AppInfoRequest::all_fields(), soon())
        .await
        .unwrap();

    assert_eq!(info.days.len(), 30);
    assert_eq!(provider.signer.refreshes(), 1);
    assert_eq!(emu.stats().requests, 2);
    emu.shutdown().await;
}

#[tokio::test]
async fn a_wrong_key_fails_with_70009_after_one_refresh() {
    let emu = emulator().await;
    let provider = frozen_signer("not-the-key");
    let client = client(&emu.base_url(), provider.clone());

    let err = client
        .get_app_info(&AppInfoRequest::all_fields(), soon())
        .await
        .unwrap_err();

    assert_eq!(err.code(), Some(70009), "{err:?}");
    assert_eq!(err.class(), ErrorClass::UserSigRejected);
    assert!(err.hint().is_some());
    assert_eq!(provider.refreshes(), 1);
    assert_eq!(emu.stats().requests, 2);
    emu.shutdown().await;
}

/// A provider whose refresh hands back the very credentials Tencent refused
/// (usersig-refresher's live check: exactly the pending UserSig).
struct SameAgain {
    credentials: AppCredentials,
    refreshes: AtomicU32,
}

#[async_trait]
impl CredentialsProvider for SameAgain {
    async fn credentials(&self) -> Result<AppCredentials, Error> {
        StaticCredentials(self.credentials.clone())
            .credentials()
            .await
    }

    async fn refresh(&self, rejected: &AppCredentials) -> Result<AppCredentials, Error> {
        self.refreshes.fetch_add(1, Ordering::SeqCst);
        StaticCredentials(self.credentials.clone())
            .refresh(rejected)
            .await
    }
}

#[tokio::test]
async fn a_refresh_that_yields_the_same_usersig_sends_one_request_per_refusal() {
    let emu = emulator().await;
    // Signed with the wrong key: Tencent answers 70009.
    let wrong = LocalSigner::new(APP, "administrator", SecretKey::new("not-the-key"), None)
        .credentials()
        .await
        .unwrap();
    let provider = Arc::new(SameAgain {
        credentials: wrong,
        refreshes: AtomicU32::new(0),
    });
    let err = client(&emu.base_url(), provider.clone())
        .get_app_info(&AppInfoRequest::all_fields(), soon())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(70009), "{err:?}");
    assert_eq!(err.class(), ErrorClass::UserSigRejected);
    assert_eq!(provider.refreshes.load(Ordering::SeqCst), 1);
    assert_eq!(
        emu.stats().requests,
        1,
        "the same UserSig is not sent twice"
    );

    // The same with StaticCredentials itself, on an injected refusal.
    emu.inject(Fault::ErrorCode(70001), 1);
    let fine = signer().credentials().await.unwrap();
    let err = client(&emu.base_url(), Arc::new(StaticCredentials(fine)))
        .get_app_info(&AppInfoRequest::all_fields(), soon())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Api { code: 70001, .. }), "{err:?}");
    assert_eq!(emu.stats().requests, 2, "one more request, not two");
    emu.shutdown().await;
}

/// Fails `failures` times with the given error, then signs.
struct Flaky {
    failures: AtomicU32,
    error: Error,
    inner: LocalSigner,
}

#[async_trait]
impl CredentialsProvider for Flaky {
    async fn credentials(&self) -> Result<AppCredentials, Error> {
        let left = self.failures.load(Ordering::SeqCst);
        if left > 0 {
            self.failures.store(left - 1, Ordering::SeqCst);
            return Err(self.error.clone());
        }
        self.inner.credentials().await
    }

    async fn refresh(&self, rejected: &AppCredentials) -> Result<AppCredentials, Error> {
        self.inner.refresh(rejected).await
    }
}

#[tokio::test]
async fn transient_credentials_failures_are_retried_and_others_are_not() {
    let emu = emulator().await;
    let transient = Arc::new(Flaky {
        failures: AtomicU32::new(2),
        error: Error::credentials_transient("Secrets Manager throttled"),
        inner: signer(),
    });
    let info = client(&emu.base_url(), transient)
        .get_app_info(&AppInfoRequest::all_fields(), soon())
        .await
        .unwrap();
    assert_eq!(info.days.len(), 30);
    assert_eq!(emu.stats().requests, 1);

    let broken = Arc::new(Flaky {
        failures: AtomicU32::new(10),
        error: Error::credentials("the key secret is not JSON"),
        inner: signer(),
    });
    let err = client(&emu.base_url(), broken.clone())
        .get_app_info(&AppInfoRequest::all_fields(), soon())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Credentials { .. }), "{err:?}");
    assert_eq!(err.class(), ErrorClass::Configuration);
    assert_eq!(
        broken.failures.load(Ordering::SeqCst),
        9,
        "asked once, not retried"
    );
    assert_eq!(emu.stats().requests, 1);
    emu.shutdown().await;
}
