//! Issue 18 §1, against moto_server and the Tencent emulator: a principal
//! that may create a tagged secret and rotate it with the refresher names
//! it `tencent-chat/evil/usersig` and tags it with a real app's key secret
//! and SDKAppID. The deployed wiring (`lambda::Settings::from_env`, the
//! handler as Lambda calls it) refuses every step with `SecretNotServed`:
//! no key read, no call to Tencent, nothing written. The app's own secret,
//! through the same function, still rotates.

use crate::common;

use std::sync::{Arc, Mutex};

use crate::common::{Fixture, KEY, SDKAPPID, STEPS, key_json, secrets_manager};
use aws_sdk_secretsmanager::types::Tag;
use lambda_kit::{Env, Function, Invocation};
use tim_emulator::{Emulator, EmulatorConfig};
use usersig_refresher::lambda::Settings;
use usersig_refresher::{
    Outcome, RotationEvent, Rotator, SecretMetadata, SecretStore, SecretsError,
};

/// The real Secrets Manager client (moto), recording every call as
/// `Operation secret-id`: what was read, and whether anything was.
#[derive(Clone)]
struct Recording {
    sm: aws_sdk_secretsmanager::Client,
    calls: Arc<Mutex<Vec<String>>>,
}

impl Recording {
    fn record(&self, operation: &str, secret_id: &str) {
        self.calls
            .lock()
            .unwrap()
            .push(format!("{operation} {secret_id}"));
    }

    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.calls.lock().unwrap())
    }
}

impl SecretStore for Recording {
    async fn describe(&self, secret_id: &str) -> Result<SecretMetadata, SecretsError> {
        self.record("DescribeSecret", secret_id);
        self.sm.describe(secret_id).await
    }

    async fn get_value(
        &self,
        secret_id: &str,
        version_id: Option<&str>,
        stage: &str,
    ) -> Result<String, SecretsError> {
        self.record("GetSecretValue", secret_id);
        self.sm.get_value(secret_id, version_id, stage).await
    }

    async fn put_pending(
        &self,
        secret_id: &str,
        token: &str,
        value: &str,
        rotation_token: Option<&str>,
    ) -> Result<(), SecretsError> {
        self.record("PutSecretValue", secret_id);
        self.sm
            .put_pending(secret_id, token, value, rotation_token)
            .await
    }

    async fn update_stage(
        &self,
        secret_id: &str,
        stage: &str,
        move_to: Option<&str>,
        remove_from: Option<&str>,
    ) -> Result<(), SecretsError> {
        self.record("UpdateSecretVersionStage", secret_id);
        self.sm
            .update_stage(secret_id, stage, move_to, remove_from)
            .await
    }
}

/// A secret in moto named `name`, holding `value`, with `tags`, and a
/// rotation started on it (the token staged AWSPENDING without a value).
async fn rotating_secret(
    sm: &aws_sdk_secretsmanager::Client,
    name: String,
    value: &str,
    key_id: &str,
    tags: &[(&str, &str)],
) -> Fixture {
    let created = sm
        .create_secret()
        .name(&name)
        .secret_string(value)
        .set_tags(Some(
            tags.iter()
                .map(|(k, v)| Tag::builder().key(*k).value(*v).build())
                .collect(),
        ))
        .send()
        .await
        .unwrap();
    let mut f = Fixture {
        sm: sm.clone(),
        key_id: key_id.to_owned(),
        secret_id: name,
        secret_arn: created.arn.unwrap(),
        first_version: created.version_id.unwrap(),
        token: String::new(),
    };
    f.token = f.start_rotation().await;
    f
}

/// One invocation as Lambda makes it (20 s left).
async fn invoke(
    rotator: &Rotator<Recording>,
    event: RotationEvent,
) -> Result<usersig_refresher::StepReport, usersig_refresher::RotationError> {
    let invocation = Invocation {
        request_id: common::uuid(),
        deadline_ms: 20_000,
        cold_start: false,
    };
    Function::handle(rotator, event, &invocation).await
}

fn event_for(f: &Fixture, step: &str, secret_id: &str) -> RotationEvent {
    let mut event = f.event(step);
    event.secret_id = secret_id.to_owned();
    event
}

/// The attack, with the stack's UserSig secret given in
/// `TIM_ROTATION_TARGET_<id>` by name (the ARN form against moto is
/// `rotation_apps`'; both forms against every step: the unit tests).
#[tokio::test]
async fn a_self_made_secret_tagged_with_a_real_apps_key_is_refused() {
    let emulator = Emulator::start(EmulatorConfig::default().with_app(SDKAPPID, KEY))
        .await
        .unwrap();
    let sm = secrets_manager().await;
    let app = testkit::unique_name("tencent-chat/app");
    let key_name = format!("{app}/key");
    let key_arn = sm
        .create_secret()
        .name(&key_name)
        .secret_string(key_json(SDKAPPID, KEY))
        .send()
        .await
        .unwrap()
        .arn
        .unwrap();
    let sdkappid = SDKAPPID.to_string();
    let tags = [
        ("tim:sdkappid", sdkappid.as_str()),
        ("tim:key-secret", key_arn.as_str()),
    ];
    let placeholder = r#"{"placeholder":true}"#;
    let own = rotating_secret(&sm, format!("{app}/usersig"), placeholder, &key_arn, &tags).await;
    // Unique per run (moto may be shared), `tencent-chat/evil…/usersig`.
    let evil_name = format!("{}/usersig", testkit::unique_name("tencent-chat/evil"));
    let evil = rotating_secret(&sm, evil_name, placeholder, &key_arn, &tags).await;

    let usersig_side = own.secret_id.clone();
    let base_url = emulator.base_url();
    let settings = Settings::from_env(&Env::from_pairs([
        ("TIM_ROTATION_APPS", sdkappid.as_str()),
        (
            &format!("TIM_ROTATION_TARGET_{SDKAPPID}"),
            format!("{usersig_side}={key_arn}").as_str(),
        ),
        ("TIM_ENDPOINT", base_url.as_str()),
        ("LIVE_CHECK", "true"),
    ]))
    .unwrap();
    let store = Recording {
        sm: sm.clone(),
        calls: Arc::default(),
    };
    let rotator = Rotator::new(
        store.clone(),
        settings.config.clone(),
        settings.http.clone(),
        settings.metrics.clone(),
    );

    let before = evil.state().await;
    // Secrets Manager names the secret by ARN; a hand-made event may use
    // the name (then DescribeSecret alone is asked, to learn ARN and name).
    for (event_id, expected_calls) in [
        (evil.secret_arn.clone(), vec![]),
        (
            evil.secret_id.clone(),
            vec![format!("DescribeSecret {}", evil.secret_id)],
        ),
    ] {
        for step in STEPS {
            let err = invoke(&rotator, event_for(&evil, step, &event_id))
                .await
                .unwrap_err();
            let case = format!("{event_id} {step}");
            assert_eq!(err.error_type(), "SecretNotServed", "{case}: {err}");
            assert!(!err.is_retryable(), "{case}");
            assert!(err.to_string().contains(&event_id), "{case}: {err}");
            assert_eq!(
                store.take(),
                expected_calls,
                "{case}: no key read, no write"
            );
        }
    }
    assert_eq!(emulator.stats().requests, 0, "no call to Tencent");
    assert_eq!(evil.state().await, before, "nothing written");
    assert_eq!(
        evil.pending_value().await,
        None,
        "the AWSPENDING version holds no value"
    );

    // The stack's own secret, tagged alike, rotates through the same
    // function: its key is read, Tencent asked once.
    for step in STEPS {
        let report = invoke(&rotator, event_for(&own, step, &own.secret_arn))
            .await
            .unwrap_or_else(|e| panic!("{step}: {e}"));
        if step == "testSecret" {
            assert_eq!(report.outcome, Outcome::Tested);
        }
    }
    let calls = store.take();
    assert_eq!(
        calls
            .iter()
            .filter(|c| *c == &format!("GetSecretValue {key_arn}"))
            .count(),
        2,
        "createSecret and testSecret each read it: {calls:?}"
    );
    assert_eq!(emulator.stats().requests, 1);
    assert_eq!(own.stages().await[&own.token], ["AWSCURRENT"]);
    emulator.shutdown().await;
}
