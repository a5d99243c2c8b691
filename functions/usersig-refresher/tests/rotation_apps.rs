//! Several apps: each UserSig secret names its key secret in the tag
//! `tim:key-secret`. Secrets in moto_server, testSecret's live check against
//! the Tencent emulator serving both apps.

mod common;

use std::time::Duration;

use aws_sdk_secretsmanager::types::Tag;
use common::{Fixture, KEY, SDKAPPID, STEPS, key_json, secrets_manager, usersig_json};
use lambda_kit::metrics::Metrics;
use tim::config::Env;
use tim::secrets::UserSigSecret;
use tim::usersig::{SecretKey, Signer};
use tim_emulator::{Emulator, EmulatorConfig};
use usersig_refresher::rotation::KEY_SECRET_TAG;
use usersig_refresher::{Config, Outcome, Rotator};

const APP_B: u64 = 1_400_000_002;
const KEY_B: &str = "key-of-app-b-0123456789abcdef0123456789abcdef";

/// A key secret in moto; its ARN.
async fn key_secret(sm: &aws_sdk_secretsmanager::Client, sdkappid: u64, key: &str) -> String {
    sm.create_secret()
        .name(testkit::unique_name("tencent-chat-key"))
        .secret_string(key_json(sdkappid, key))
        .send()
        .await
        .unwrap()
        .arn
        .unwrap()
}

/// A UserSig secret holding `value`, tagged with `key_arn` when given, and
/// a rotation started on it.
async fn usersig_secret(
    sm: &aws_sdk_secretsmanager::Client,
    value: &str,
    key_arn: Option<&str>,
) -> Fixture {
    let secret_id = testkit::unique_name("tencent-chat-usersig");
    let created = sm
        .create_secret()
        .name(&secret_id)
        .secret_string(value)
        .set_tags(key_arn.map(|arn| vec![Tag::builder().key(KEY_SECRET_TAG).value(arn).build()]))
        .send()
        .await
        .unwrap();
    let mut f = Fixture {
        sm: sm.clone(),
        key_id: key_arn.unwrap_or_default().to_owned(),
        secret_id,
        first_version: created.version_id.unwrap(),
        token: String::new(),
    };
    f.token = f.start_rotation().await;
    f
}

/// The deployed configuration: `TIM_KEY_SECRET_ID` only when `fallback`.
fn rotator(
    sm: &aws_sdk_secretsmanager::Client,
    emulator: &Emulator,
    fallback: Option<&str>,
) -> Rotator<aws_sdk_secretsmanager::Client> {
    let base_url = emulator.base_url();
    let mut env = vec![("TIM_ENDPOINT", base_url.as_str()), ("LIVE_CHECK", "true")];
    env.extend(fallback.map(|id| ("TIM_KEY_SECRET_ID", id)));
    let mut config = Config::read(&Env::from_pairs(env)).unwrap();
    config.client.retry = tim::RetryPolicy {
        max_attempts: 2,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(20),
    };
    Rotator::new(
        sm.clone(),
        config,
        reqwest::Client::new(),
        Metrics::capture("TencentChat").0,
    )
}

async fn current(f: &Fixture) -> UserSigSecret {
    UserSigSecret::from_json(&f.value("AWSCURRENT").await.unwrap()).unwrap()
}

fn verifies(secret: &UserSigSecret, sdkappid: u64, key: &str) -> bool {
    Signer::new(sdkappid, SecretKey::new(key))
        .verify(
            secret.usersig.expose_secret(),
            "administrator",
            common::now(),
        )
        .is_ok()
}

#[tokio::test]
async fn two_tagged_secrets_rotate_each_for_its_own_app() {
    let emulator = Emulator::start(
        EmulatorConfig::default()
            .with_app(SDKAPPID, KEY)
            .with_app(APP_B, KEY_B),
    )
    .await
    .unwrap();
    let sm = secrets_manager().await;
    let key_a = key_secret(&sm, SDKAPPID, KEY).await;
    let key_b = key_secret(&sm, APP_B, KEY_B).await;
    // A holds its app's UserSig (a running stack); B is a new app's
    // placeholder.
    let now = common::now();
    let a = usersig_secret(
        &sm,
        &usersig_json(KEY, now - 86_400, 30 * 86_400),
        Some(&key_a),
    )
    .await;
    let b = usersig_secret(&sm, r#"{"placeholder":true}"#, Some(&key_b)).await;

    // No TIM_KEY_SECRET_ID: the tags alone say which key signs what.
    let rotator = rotator(&sm, &emulator, None);
    for step in STEPS {
        for f in [&a, &b] {
            let report = f.run(&rotator, step).await.unwrap();
            if step == "testSecret" {
                assert_eq!(report.outcome, Outcome::Tested, "{}", f.secret_id);
            }
        }
    }
    // One live check each, accepted by the emulator for that app.
    assert_eq!(emulator.stats().requests, 2);
    for (f, app, key, other_key) in [(&a, SDKAPPID, KEY, KEY_B), (&b, APP_B, KEY_B, KEY)] {
        assert_eq!(
            f.stages().await[&f.token],
            ["AWSCURRENT"],
            "{}",
            f.secret_id
        );
        let secret = current(f).await;
        assert_eq!(secret.sdkappid, app, "{}", f.secret_id);
        assert!(verifies(&secret, app, key), "{}", f.secret_id);
        assert!(!verifies(&secret, app, other_key), "{}", f.secret_id);
    }
    emulator.shutdown().await;
}

#[tokio::test]
async fn an_untagged_secret_uses_tim_key_secret_id_and_without_it_fails_naming_both() {
    let emulator = Emulator::start(EmulatorConfig::default().with_app(SDKAPPID, KEY))
        .await
        .unwrap();
    let sm = secrets_manager().await;
    let key = key_secret(&sm, SDKAPPID, KEY).await;
    let value = usersig_json(KEY, common::now() - 86_400, 30 * 86_400);

    let f = usersig_secret(&sm, &value, None).await;
    let with_fallback = rotator(&sm, &emulator, Some(&key));
    for step in STEPS {
        f.run(&with_fallback, step).await.unwrap();
    }
    assert_eq!(f.stages().await[&f.token], ["AWSCURRENT"]);
    assert!(verifies(&current(&f).await, SDKAPPID, KEY));

    let f = usersig_secret(&sm, &value, None).await;
    let before = f.state().await;
    let without = rotator(&sm, &emulator, None);
    for step in ["createSecret", "testSecret"] {
        let err = f.run(&without, step).await.unwrap_err();
        assert_eq!(err.error_type(), "KeySecretNotConfigured", "{step}: {err}");
        assert!(!err.is_retryable());
        let message = err.to_string();
        assert!(
            message.contains("TIM_KEY_SECRET_ID") && message.contains(KEY_SECRET_TAG),
            "{message}"
        );
    }
    assert_eq!(f.state().await, before, "nothing changed");
    emulator.shutdown().await;
}
