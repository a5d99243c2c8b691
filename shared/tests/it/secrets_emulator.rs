//! Both Secrets Manager sources in a real call: Tencent (the emulator)
//! refuses the UserSig with 70001, the client asks the provider for a fresh
//! one. The UserSig-secret reader re-reads the secret from moto_server once
//! (a retry only if it holds a new UserSig); the key-secret reader re-reads
//! the key and signs anew (always a new UserSig, so always one retry).

use std::sync::Arc;
use std::time::Duration;

use crate::common::secrets::*;
use testkit::http_client;
use tim::api::appinfo::AppInfoRequest;
use tim::region::Endpoint;
use tim::secrets::{KeySecretProvider, UserSigSecretProvider};
use tim::usersig::{Clock, SecretKey, Signer};
use tim::{Client, ClientConfig, CredentialsProvider, Deadline, ErrorClass, RetryPolicy};
use tim_emulator::{Emulator, EmulatorConfig, Fault};

const GET_APP_INFO: &str = "openconfigsvr/getappinfo";

fn client(emu: &Emulator, provider: Arc<dyn CredentialsProvider>) -> Client {
    let config = ClientConfig {
        endpoint: Some(Endpoint::parse_override(&emu.base_url()).unwrap()),
        retry: RetryPolicy {
            max_attempts: 2,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(20),
        },
        ..ClientConfig::default()
    };
    Client::new(http_client(&config), config, provider)
}

async fn date_only(client: &Client) -> Result<(), tim::Error> {
    client
        .get_app_info(
            &AppInfoRequest::only(["Date"]),
            Deadline::after(Duration::from_secs(10)),
        )
        .await
        .map(|_| ())
}

#[tokio::test]
async fn a_rejected_usersig_is_replaced_by_the_rotated_one() {
    let emu = Emulator::start(EmulatorConfig::default().with_app(APP, KEY))
        .await
        .unwrap();
    let sm = secrets_manager().await;
    let id = create_secret(
        &sm,
        "usersig",
        &usersig_secret(KEY, now() - 3_600, 30 * 86_400).to_json(),
    )
    .await;
    let provider = Arc::new(UserSigSecretProvider::new(sm.clone(), &id));
    let client = client(&emu, provider.clone());
    date_only(&client).await.unwrap();
    assert_eq!(provider.reads(), 1);

    // The secret was rotated meanwhile, and Tencent now says "expired".
    let rotated = usersig_secret(KEY, now(), 30 * 86_400);
    replace_value(&sm, &id, &rotated.to_json()).await;
    emu.inject_for(GET_APP_INFO, Fault::ErrorCode(70001), 1);
    date_only(&client).await.unwrap();
    assert_eq!(provider.reads(), 2, "one re-read");
    assert_eq!(emu.stats().per_command.get(GET_APP_INFO), Some(&3));
    assert_eq!(
        provider.credentials().await.unwrap().usersig,
        rotated.usersig
    );

    // Warm again: no further reads.
    date_only(&client).await.unwrap();
    assert_eq!(provider.reads(), 2);
    emu.shutdown().await;
}

#[tokio::test]
async fn a_rejected_usersig_that_was_not_rotated_fails_after_one_re_read() {
    let emu = Emulator::start(EmulatorConfig::default().with_app(APP, KEY))
        .await
        .unwrap();
    let sm = secrets_manager().await;
    let secret = usersig_secret(KEY, now() - 3_600, 30 * 86_400);
    let id = create_secret(&sm, "usersig", &secret.to_json()).await;
    let provider = Arc::new(UserSigSecretProvider::new(sm, &id));
    let client = client(&emu, provider.clone());

    emu.inject_for(GET_APP_INFO, Fault::ErrorCode(70001), 2);
    let err = date_only(&client).await.unwrap_err();
    assert_eq!(err.class(), ErrorClass::UserSigRejected, "{err}");
    assert_eq!(provider.reads(), 2, "the first read and one re-read");
    assert_eq!(
        emu.stats().per_command.get(GET_APP_INFO),
        Some(&1),
        "the same UserSig is not retried"
    );
    let message = err.to_string();
    assert!(
        message.contains(&id) && message.contains("rotate"),
        "{message}"
    );
    assert!(!message.contains(secret.usersig.expose_secret()));
    emu.shutdown().await;
}

/// Issue 17 §6: with the key secret, a refusal is followed by a re-sign and
/// one retry, also when the re-sign happens in the second the refused
/// UserSig was signed in (the clock here stands still).
#[tokio::test]
async fn a_refused_locally_signed_usersig_is_re_signed_and_retried_once() {
    let emu = Emulator::start(EmulatorConfig::default().with_app(APP, KEY))
        .await
        .unwrap();
    let sm = secrets_manager().await;
    let id = create_secret(&sm, "key", &key_secret_json(KEY)).await;
    let signed_at = now();
    let provider = Arc::new(KeySecretProvider::new(sm, &id).with_clock(TestClock::at(signed_at)));
    let client = client(&emu, provider.clone());
    date_only(&client).await.unwrap();
    let refused = provider.credentials().await.unwrap();
    assert_eq!((provider.reads(), emu.stats().requests), (1, 1));

    emu.inject_for(GET_APP_INFO, Fault::ErrorCode(70001), 1);
    date_only(&client).await.unwrap();
    assert_eq!(provider.reads(), 2, "the key is re-read once");
    assert_eq!(
        emu.stats().per_command.get(GET_APP_INFO),
        Some(&3),
        "the refused request and one retry"
    );
    let resigned = provider.credentials().await.unwrap();
    assert_ne!(resigned.usersig, refused.usersig);
    let claims = Signer::new(APP, SecretKey::new(KEY))
        .verify(resigned.usersig.expose_secret(), ADMIN, signed_at)
        .unwrap();
    assert_eq!(claims.time, signed_at);

    // Refused again after the re-sign: one retry only, then Tencent's code.
    emu.reset_stats();
    emu.inject_for(GET_APP_INFO, Fault::ErrorCode(70001), 2);
    let err = date_only(&client).await.unwrap_err();
    assert_eq!(err.class(), ErrorClass::UserSigRejected, "{err}");
    assert_eq!(err.code(), Some(70001), "{err:?}");
    assert_eq!(emu.stats().requests, 2);
    assert_eq!(provider.reads(), 3);
    emu.shutdown().await;
}

/// The key was regenerated in the console: Tencent refuses the UserSig in
/// the secret. Until the secret is rotated, requests fail at once without
/// reaching Tencent (each refusal counts toward the 70050 lock-out), and
/// DescribeSecret is asked at most once per `REFUSAL_CHECK_SECS`.
#[tokio::test]
async fn a_refused_usersig_is_not_sent_again_until_the_secret_is_rotated() {
    let emu = Emulator::start(EmulatorConfig::default().with_app(APP, KEY))
        .await
        .unwrap();
    let sm = secrets_manager().await;
    let stale = usersig_secret("the key before it was regenerated", now(), 30 * 86_400);
    let id = create_secret(&sm, "usersig", &stale.to_json()).await;
    let clock = TestClock::at(now());
    let provider = Arc::new(UserSigSecretProvider::new(sm.clone(), &id).with_clock(clock.clone()));
    let client = client(&emu, provider.clone());

    for _ in 0..100 {
        let err = date_only(&client).await.unwrap_err();
        assert_eq!(err.class(), ErrorClass::UserSigRejected, "{err}");
        assert_eq!(err.code(), Some(70009), "Tencent's code kept: {err}");
    }
    assert!(emu.stats().requests <= 2, "{:?}", emu.stats());
    assert_eq!((provider.reads(), provider.version_checks()), (2, 0));

    // Rotated: the next check after REFUSAL_CHECK_SECS notices the new
    // version and the call succeeds; the check is not repeated before.
    replace_value(&sm, &id, &usersig_secret(KEY, now(), 30 * 86_400).to_json()).await;
    clock.set(clock.now_unix() + UserSigSecretProvider::REFUSAL_CHECK_SECS - 1);
    date_only(&client).await.unwrap_err();
    clock.set(clock.now_unix() + 1);
    date_only(&client).await.unwrap();
    assert_eq!((provider.reads(), provider.version_checks()), (3, 1));
    emu.shutdown().await;
}
